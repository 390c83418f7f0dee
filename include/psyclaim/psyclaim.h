/*
 * psyclaim.h -- umbrella header of libpsyclaim: version, status codes, and every public module.
 *
 * Fallible functions return psy_status; results come back through parameters marked OUT. A human
 * message for the last failure on a store is kept on the handle (psy_store_errmsg).
 */
#ifndef PSYCLAIM_H
#define PSYCLAIM_H

#include <stddef.h>

typedef enum {
    PSY_OK = 0,
    PSY_ENOMEM,    /* out of memory */
    PSY_EINVAL,    /* invalid argument or input */
    PSY_ENOTFOUND, /* no such record */
    PSY_ECONFLICT, /* the record changed or already exists */
    PSY_ETOOBIG,   /* input over its cap */
    PSY_EPARSE,    /* malformed file or text */
    PSY_EIO,       /* operating-system I/O error */
    PSY_EDB,       /* database error */
    PSY_EPERM      /* not allowed */
} psy_status;

/* The library version, "MAJOR.MINOR.PATCH". */
const char *psy_version(void);

/* A short English name for a status ("not found"); never NULL. */
const char *psy_strerror(psy_status st);

/* Memory. Every allocation in psyclaim -- the library, the server and the CLI -- goes through these
 * (alloc.c): they never return NULL; out of memory prints a message and aborts, so no caller checks and
 * no caller has a half-done path for it. What they return is released with free(). */
void *psy_malloc(size_t n);
void *psy_calloc(size_t n, size_t m);
void *psy_realloc(void *p, size_t n);
char *psy_strdup(const char *s);

/* Built-in data compiled into the library (data/ in the source tree). Returns the file's bytes,
 * NUL-terminated, and its length in OUT len (may be NULL), or NULL when there is no such file.
 * The memory is static: never free it. */
const char *psy_data_get(const char *name, size_t *len);

/* Calls fn for every built-in data file whose name starts with prefix, in name order. */
void psy_data_each(const char *prefix, void (*fn)(void *ud, const char *name, const char *data, size_t len),
                   void *ud);

#include "psy_cents.h"
#include "psy_date.h"
#include "psy_store.h"
#include "psy_catalog.h"
#include "psy_auth.h"
#include "psy_server.h" /* implemented in libpsyclaim_server (src/server/) */
#include "psy_ncci.h"
#include "psy_payer.h"
#include "psy_coding.h"
#include "psy_claims.h"
#include "psy_x12.h"
#include "psy_pdf.h"
#include "psy_records.h"
#include "psy_audit.h"
#include "psy_search.h"
#include "psy_billing.h"
#include "psy_ledger.h"
#include "psy_setup.h"

#endif
