/*
 * psy_int.h -- declarations shared inside libpsyclaim and nowhere else (psy__ names).
 */
#ifndef PSY_INT_H
#define PSY_INT_H

#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include "psyclaim/psyclaim.h"

/* alloc.c: allocation never fails from the caller's view; out of memory aborts with a message. */
void *psy__malloc(size_t n);
void *psy__calloc(size_t n, size_t m);
void *psy__realloc(void *p, size_t n);
char *psy__strdup(const char *s);
char *psy__strndup(const char *s, size_t n);

/* A growable string with a hard cap (0 = no cap). */
struct psy__buf {
    char *p;
    size_t n, cap, max;
};
int psy__buf_put(struct psy__buf *b, const char *s, size_t n); /* 0 ok, -1 over the cap */
int psy__buf_puts(struct psy__buf *b, const char *s);
int psy__buf_printf(struct psy__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void psy__buf_free(struct psy__buf *b);

/* store.c */
sqlite3 *psy__store_db(psy_store *st);
psy_status psy__store_fail(psy_store *st, psy_status rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
psy_status psy__store_dbfail(psy_store *st, const char *what); /* records sqlite's message */
psy_status psy__store_exec(psy_store *st, const char *sql);
psy_status psy__store_begin(psy_store *st);
psy_status psy__store_commit(psy_store *st);
void psy__store_rollback(psy_store *st);
const char *psy__store_meta_get(psy_store *st, const char *key, char *buf, size_t len);
psy_status psy__store_meta_set(psy_store *st, const char *key, const char *value);

/* catalog.c: the prose of an explainer page (JSON body) flattened into one text, appended to b. */
void psy__catalog_page_text(const char *body, struct psy__buf *b);

/* text.c */
int psy__utf8_valid(const char *s, size_t n); /* 1 when n bytes are valid UTF-8 */
size_t psy__edit_distance(const char *a, const char *b, size_t limit); /* Damerau, capped at limit+1 */
uint64_t psy__hash64(const void *p, size_t n);                         /* FNV-1a */

#endif
