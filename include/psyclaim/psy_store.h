/*
 * psy_store.h -- the database that holds a practice: its code catalog now, its records later.
 *
 * A store is opened from a URI: a plain PATH or "sqlite:PATH" for a SQLite file, or
 * "postgres://USER@HOST:PORT/DB?..." ("postgresql://" too; any libpq connection URI) for PostgreSQL.
 * Both backends hold the same schema and behave the same. Opening creates the SQLite file when needed
 * and applies every pending schema migration in one transaction. One handle is used by one thread;
 * several processes may open the same database at once.
 */
#ifndef PSY_STORE_H
#define PSY_STORE_H

#include "psyclaim.h"

typedef struct psy_store psy_store;

/* The database a command uses when none is given: $PSYCLAIM_DB, else "./psyclaim.db". */
const char *psy_store_default_uri(void);

/* Opens (creating if needed) and migrates the store at uri. On success *out is the handle; on failure
 * *out is NULL and, when errbuf is given, it holds a message naming the problem. */
psy_status psy_store_open(const char *uri, psy_store **out, char *errbuf, size_t errlen);

/* Closes the store; accepts NULL. */
void psy_store_close(psy_store *st);

/* The message of the last failure on this store ("" when none). Valid until the next call. */
const char *psy_store_errmsg(const psy_store *st);

/* "sqlite" or "postgres". */
const char *psy_store_backend(const psy_store *st);

/* Reads from the database (SELECT 1): PSY_OK when it answers, else PSY_EDB with the reason. A
 * PostgreSQL store whose connection was lost reopens it here, as on any call between transactions. */
psy_status psy_store_ping(psy_store *st);

/* 1 when the last failure on the store was the database server being out of reach ("database
 * unavailable": stopped, restarting, failing over); such a call may succeed again later. */
int psy_store_unavailable(const psy_store *st);

/* Checkpoints off the request path (a server): psy_store_defer_checkpoints stops this handle's commits
 * from copying the SQLite write-ahead log into the database file themselves (a commit that happened to
 * pass the log's threshold did that work, and its fsync, before answering); psy_store_checkpoint copies
 * what the log holds, without waiting for readers or writers (a passive checkpoint), from a handle of
 * its own. Nothing is lost either way: a commit is in the log before it returns. Both do nothing on
 * PostgreSQL. */
psy_status psy_store_defer_checkpoints(psy_store *st);
psy_status psy_store_checkpoint(psy_store *st);

/* Progress of long work on this handle: fn(ud, what, done, total) is called as it goes, done rising from 0
 * to total in the work's own units, and once with done == total when it ends. what names the work:
 * "claims build" (sessions of the period), "claims scrub" (claims), "demo data" (weeks generated, then
 * on PostgreSQL the tables copied), "import clients" (bytes of the file read; a file read a second time,
 * row by row after a refused row, counts again from 0). fn NULL: no calls (the default). fn runs on the caller's thread, inside the work's
 * transactions: it must not use the store. */
typedef void (*psy_progress_fn)(void *ud, const char *what, long long done, long long total);
void psy_store_set_progress(psy_store *st, psy_progress_fn fn, void *ud);

/* The schema version the store is at (the highest applied migration). */
int psy_store_schema_version(psy_store *st);

/* One page of a list that grows with the practice (claims, clients, sessions, remittances, suspense,
 * the audit trail). Lists are read in a fixed order, each row's sort key then its id, so a page
 * continues exactly after the last row of the one before even while rows are added or changed:
 * the cursor is that row's key and id, opaque to callers (give back next_cursor as it came).
 * Set cursor ("" or NULL for the first page) and limit (1 to PSY_PAGE_MAX; 0 means PSY_PAGE_DEFAULT);
 * a list function fills next_cursor ("" on the last page) and total (the rows matching the filter
 * over all pages, from one aggregate query). A cursor that is not one a list gave answers PSY_EINVAL
 * with "cursor: ..." as the store's message. */
#define PSY_CURSOR_MAX 300
#define PSY_PAGE_MAX 500
#define PSY_PAGE_DEFAULT 50
struct psy_page {
    const char *cursor;
    int limit;
    char next_cursor[PSY_CURSOR_MAX];
    long long total;
    char after_key[PSY_CURSOR_MAX]; /* internal: the key read from cursor */
};

#endif
