/*
 * psy_int.h -- declarations shared inside libpsyclaim and nowhere else (psy__ names): allocation, the
 * growable buffer, the store's internals, text helpers. The coding engine's internals are in coding_int.h.
 */
#ifndef PSY_INT_H
#define PSY_INT_H

#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include "psyclaim/psyclaim.h"
#include "psyclaim/psy_cents.h"

/* alloc.c: allocation never fails from the caller's view; out of memory aborts with a message. */
void *psy__malloc(size_t n);
void *psy__calloc(size_t n, size_t m);
void *psy__realloc(void *p, size_t n);
char *psy__strdup(const char *s);
/* snprintf(dst, cap, "%s", src) without the formatting machinery (hot paths copy many fields): at most
 * cap - 1 bytes of src (NULL: "") and the terminating NUL; returns the bytes copied. */
size_t psy__copy(char *dst, size_t cap, const char *src);
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

/* store.c. SQL goes through the layer in psy_db.h, on either backend. */
/* Reports progress of long work to the handle's progress function, if any (psy_store_set_progress). */
void psy__progress(psy_store *st, const char *what, long long done, long long total);
psy_status psy__store_fail(psy_store *st, psy_status rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
psy_status psy__store_dbfail(psy_store *st, const char *what); /* records the backend's message */
psy_status psy__store_exec(psy_store *st, const char *sql);
/* Transactions nest: the outermost begin starts one, inner ones set savepoints. An inner rollback
 * undoes only the work since its begin; the outermost commit makes everything durable. */
psy_status psy__store_begin(psy_store *st);
/* An all-or-nothing transaction for bulk work: units inside it set no savepoints (thousands of them
 * make PostgreSQL track every row lock of every unit), and when any unit rolls back the outermost
 * commit rolls everything back and fails. Inside an open transaction it is an ordinary begin. */
psy_status psy__store_begin_bulk(psy_store *st);
psy_status psy__store_commit(psy_store *st);
void psy__store_rollback(psy_store *st);
/* Inside a transaction: waits for a lock that only one process at a time holds until its transaction
 * ends (an advisory lock on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers). */
psy_status psy__store_lock(psy_store *st, int64_t key);
#define PSY__LOCK_MIGRATE 0x707379636c61696dLL /* "psyclaim" */
#define PSY__LOCK_SEED (PSY__LOCK_MIGRATE + 1)
#define PSY__LOCK_EXPORT 0x6578706f72740000LL /* "export", xored with the practice id */
int psy__store_in_transaction(psy_store *st);
/* Inside a transaction that a failure anywhere ends whole: the outermost one, or a bulk one (no
 * savepoint a unit could roll back to and go on from). */
int psy__store_flat(psy_store *st);
/* A second connection to the store's database, for reads on another thread while st writes: NULL when
 * there is none to have (an in-memory SQLite database, a failed open) or when st is inside a transaction,
 * whose changes the twin would not see. Close it with psy_store_close. */
psy_store *psy__store_twin(psy_store *st);
/* The catalog's generation (meta key catalog_generation): a random token every change to the code
 * tables (an import, a new built-in catalog) replaces in the same transaction, so anything derived from
 * the catalog (the search index on disk) knows when it is stale. psy__catalog_touch sets a new one;
 * psy__catalog_generation reads it into buf (cap >= 33), creating one when the store has none yet. */
psy_status psy__catalog_touch(psy_store *st);
psy_status psy__catalog_generation(psy_store *st, char *buf, size_t cap);
const char *psy__store_meta_get(psy_store *st, const char *key, char *buf, size_t len);
psy_status psy__store_meta_set(psy_store *st, const char *key, const char *value);

/* catalog.c: the prose of an explainer page (JSON body) flattened into one text, appended to b. */
void psy__catalog_page_text(const char *body, struct psy__buf *b);

/* text.c */
int psy__utf8_valid(const char *s, size_t n); /* 1 when n bytes are valid UTF-8 */
size_t psy__edit_distance(const char *a, const char *b, size_t limit); /* Damerau, capped at limit+1 */
uint64_t psy__hash64(const void *p, size_t n);                         /* FNV-1a */
/* h folded with the name and the bytes' psy__hash64 of every built-in data file under prefix, in name
 * order (h = h * 31 + hash of the name, then h * 31 + hash of the bytes): the bytes' hashes come from
 * the build, so the files are not read. */
uint64_t psy__data_hash(const char *prefix, uint64_t h);
/* "PATH:LINE: message" (or "PATH: message" when line is 0) into err; returns PSY_EPARSE. */
psy_status psy__vline_error(char *err, size_t errlen, const char *path, long line, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

/* date.c: "YYYY-MM-DD" (a real calendar date) as the integer YYYYMMDD; 0 when s is not such a date. */
int psy__date_int(const char *s);

#endif
