/*
 * psy_db.h -- the SQL layer inside libpsyclaim: one way to run SQL on SQLite or PostgreSQL.
 *
 * Modules write SQL once, with `?` placeholders, and run it through these calls; db.c keeps one
 * prepared statement per SQL text per store (prepare once, run many times) and hands it to the backend
 * (db_sqlite.c, db_pg.c). On PostgreSQL the `?` become $1..$n (quoted text, identifiers and comments
 * are left alone), statements are prepared server-side and values travel as text.
 *
 * Writing SQL that runs on both (the rules the contract tests hold both backends to):
 *   - Types: INTEGER / BIGINT, TEXT, REAL / DOUBLE PRECISION; booleans as INTEGER 0/1 (a PostgreSQL
 *     boolean result reads as 1/0 through psy__sql_int64); money in integer cents; dates as ISO text.
 *   - Upserts with INSERT ... ON CONFLICT (cols) DO UPDATE / DO NOTHING, never INSERT OR REPLACE/IGNORE.
 *   - New ids with INSERT ... RETURNING id (psy__sql_insert_id), never last_insert_rowid().
 *   - No SQLite-only functions (date(), ifnull(), printf(), group_concat()); do date arithmetic in C.
 *   - Text compares bytewise on both: the PostgreSQL migrations declare key text columns COLLATE "C".
 *   - A placeholder whose type the statement does not fix ("SELECT ?", "? IS NULL") gets a cast,
 *     CAST(? AS TEXT): PostgreSQL must know every parameter's type when it prepares.
 *   - A failed statement inside a transaction aborts the whole transaction on PostgreSQL. Code that
 *     wants to go on after a failure wraps the attempt in its own psy__store_begin/rollback (a savepoint).
 *   - One statement handle is used by one caller at a time; preparing a text that is already in use
 *     (a nested query with the same SQL) gives a separate, uncached statement.
 */
#ifndef PSY_DB_H
#define PSY_DB_H

#include <stddef.h>
#include <stdint.h>
#include "psy_int.h"

typedef enum { PSY_DB_SQLITE, PSY_DB_POSTGRES } psy__dialect;

/* What kind of failure the last error on a store was. */
typedef enum {
    PSY_DBE_OTHER,
    PSY_DBE_CONSTRAINT, /* unique, foreign key, check or not-null violation */
    PSY_DBE_BUSY,       /* lock timeout, deadlock or serialization failure: worth a retry */
    PSY_DBE_UNAVAILABLE /* the database server cannot be reached (PostgreSQL down, restarting, failing over) */
} psy__dberr;

enum { PSY_SQL_ERROR = -1, PSY_SQL_DONE = 0, PSY_SQL_ROW = 1 };

typedef struct psy__stmt psy__stmt;

psy__dialect psy__db_dialect(psy_store *st);
const char *psy__db_errtext(psy_store *st); /* the backend's message for the last failure */
psy__dberr psy__db_errkind(psy_store *st);

/* Runs SQL text that takes no parameters (one or more statements separated by ';'). */
psy_status psy__sql_exec(psy_store *st, const char *script);

/* A statement for sql, prepared on first use and reused afterwards; NULL on error (psy__db_errtext
 * says why). Give it back with psy__sql_finalize. */
psy__stmt *psy__sql_prepare(psy_store *st, const char *sql);
void psy__sql_finalize(psy__stmt *s); /* resets, clears bindings, returns it to the cache; NULL ok */

/* Parameters count from 1. Text is copied; a NULL string binds SQL NULL. */
void psy__sql_bind_int64(psy__stmt *s, int i, int64_t v);
void psy__sql_bind_double(psy__stmt *s, int i, double v);
void psy__sql_bind_text(psy__stmt *s, int i, const char *v);
void psy__sql_bind_null(psy__stmt *s, int i);

/* Runs the statement or moves to its next row: PSY_SQL_ROW, PSY_SQL_DONE, or PSY_SQL_ERROR. After
 * DONE or ERROR it stays there until psy__sql_reset. */
int psy__sql_step(psy__stmt *s);

/* Columns of the current row count from 0. Text is NULL for SQL NULL and valid until the next step. */
int64_t psy__sql_int64(psy__stmt *s, int col);
double psy__sql_double(psy__stmt *s, int col);
const char *psy__sql_text(psy__stmt *s, int col);
int psy__sql_is_null(psy__stmt *s, int col);

int64_t psy__sql_changes(psy__stmt *s); /* rows inserted, updated or deleted by its last run */
void psy__sql_reset(psy__stmt *s);      /* ready to run again; bindings cleared */

/* Runs an "INSERT ... RETURNING id" statement (bound beforehand) and stores the new row's id; resets
 * the statement. */
psy_status psy__sql_insert_id(psy_store *st, psy__stmt *s, int64_t *id);

/* Multi-row writes: rows of one "HEAD ROW, ROW, ... TAIL" statement collected and sent in chunks
 * (one round trip per chunk on PostgreSQL). ROW is a parenthesised template such as "(?, ?, 'x')";
 * add its `?` values in order, then end the row. The same key must not appear twice in one chunk of an
 * ON CONFLICT DO UPDATE statement; psy__batch_flush first when it might. */
struct psy__batch_val {
    int type; /* 0 null, 1 int64, 2 text (offset into text), 3 double */
    int64_t i;
    double d;
    size_t off;
};
struct psy__batch {
    psy_store *st;
    const char *head, *row, *tail;
    int ncols;
    size_t rows, max_rows, flushes;
    int64_t changes; /* rows changed by every chunk sent so far */
    struct psy__batch_val *vals;
    size_t nvals, capvals;
    struct psy__buf text;
};
void psy__batch_init(struct psy__batch *b, psy_store *st, const char *head, const char *row, const char *tail);
void psy__batch_int64(struct psy__batch *b, int64_t v);
void psy__batch_double(struct psy__batch *b, double v);
void psy__batch_text(struct psy__batch *b, const char *v); /* NULL adds SQL NULL */
psy_status psy__batch_row(struct psy__batch *b);            /* ends a row; sends a full chunk */
psy_status psy__batch_flush(struct psy__batch *b);          /* sends what is collected */
void psy__batch_free(struct psy__batch *b);

/* --- the backend interface (db_sqlite.c, db_pg.c) ------------------------------------------------ */

struct psy__db;
struct psy__db_ops {
    psy__dialect dialect;
    void (*close)(struct psy__db *db);
    int (*exec)(struct psy__db *db, const char *script); /* 0 ok */
    /* persistent: kept for the life of the connection (prepared server-side on PostgreSQL) */
    psy__stmt *(*prepare)(struct psy__db *db, const char *sql, int persistent);
    void (*finalize)(psy__stmt *s);
    void (*bind_int64)(psy__stmt *s, int i, int64_t v);
    void (*bind_double)(psy__stmt *s, int i, double v);
    void (*bind_text)(psy__stmt *s, int i, const char *v);
    void (*bind_null)(psy__stmt *s, int i);
    int (*step)(psy__stmt *s);
    void (*reset)(psy__stmt *s);
    int64_t (*col_int64)(psy__stmt *s, int col);
    double (*col_double)(psy__stmt *s, int col);
    const char *(*col_text)(psy__stmt *s, int col);
    int (*col_is_null)(psy__stmt *s, int col);
    int64_t (*changes)(psy__stmt *s);
};

/* The common head of every backend's connection and statement. A backend records each failure with
 * psy__db_seterr; the text stays until the next failure. */
struct psy__db {
    const struct psy__db_ops *ops;
    psy__stmt **cache; /* hash table of persistent statements by SQL text */
    size_t cache_cap, cache_n;
    char err[512];
    psy__dberr errkind;
};
struct psy__stmt {
    struct psy__db *db;
    char *sql;
    uint64_t hash;
    psy__stmt *next; /* cache chain */
    int cached, in_use, state; /* state: 0 ready, 1 rows, 2 done or failed */
};

/* The connection under a store (store.c). */
struct psy__db *psy__store_conn(psy_store *st);

/* Open a connection; NULL on failure with a message in err. */
struct psy__db *psy__sqlite_open(const char *path, char *err, size_t errlen);
struct psy__db *psy__pg_open(const char *conninfo, char *err, size_t errlen);
void psy__db_close(struct psy__db *db); /* finalizes cached statements, then closes */

void psy__db_seterr(struct psy__db *db, psy__dberr kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));


/* Rewrites `?` placeholders as $1..$n outside quotes and comments; returns a new string and the count. */
char *psy__sql_numbered(const char *sql, int *nparams);

#endif
