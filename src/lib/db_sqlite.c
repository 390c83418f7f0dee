/*
 * db_sqlite.c -- the SQLite backend of the SQL layer (psy_db.h): one sqlite3 connection per store.
 *
 * The database runs in WAL mode with foreign keys on and waits up to five seconds for a writer lock.
 * The wait is its own (busy_wait): SQLite's built-in one sleeps 1, 2, 5, 10 ms ... between tries, so a
 * writer that found the lock taken by another thread's short write (an audit event: tens of
 * microseconds) slept for milliseconds; here the tries start 20 microseconds apart and grow to 1 ms.
 * Statements kept in the cache are prepared with SQLITE_PREPARE_PERSISTENT.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "psy_db.h"

struct sq_db {
    struct psy__db base;
    sqlite3 *h;
};

struct sq_stmt {
    psy__stmt base;
    sqlite3_stmt *h;
    int64_t changes;
    /* the rows of a statement run to its end before a pipeline's COMMIT (sq_pipeline): copies of its
     * values, row after row, read instead of the statement's; at is the current row */
    sqlite3_value **kept;
    int ncols, nkept, at;
};

static sqlite3 *handle(psy__stmt *s) { return ((struct sq_db *)s->db)->h; }
static sqlite3_stmt *sh(psy__stmt *s) { return ((struct sq_stmt *)s)->h; }

static psy__dberr kind_of(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT: return PSY_DBE_CONSTRAINT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return PSY_DBE_BUSY;
    default: return PSY_DBE_OTHER;
    }
}

static void fail(struct sq_db *db, int rc) { psy__db_seterr(&db->base, kind_of(rc), "%s", sqlite3_errmsg(db->h)); }

static void sq_close(struct psy__db *db)
{
    sqlite3_close_v2(((struct sq_db *)db)->h);
    free(db);
}

static int sq_exec(struct psy__db *base, const char *script)
{
    struct sq_db *db = (struct sq_db *)base;
    char *msg = NULL;
    int rc = sqlite3_exec(db->h, script, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        psy__db_seterr(base, kind_of(rc), "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static psy__stmt *sq_prepare(struct psy__db *base, const char *sql, int persistent)
{
    struct sq_db *db = (struct sq_db *)base;
    sqlite3_stmt *h = NULL;
    int rc = sqlite3_prepare_v3(db->h, sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0, &h, NULL);
    if (rc != SQLITE_OK) {
        fail(db, rc);
        return NULL;
    }
    if (!h) {
        psy__db_seterr(base, PSY_DBE_OTHER, "empty statement");
        return NULL;
    }
    struct sq_stmt *s = psy__calloc(1, sizeof *s);
    s->h = h;
    return &s->base;
}

static void drop_kept(struct sq_stmt *q)
{
    for (int i = 0; q->kept && i < q->nkept * q->ncols; i++) sqlite3_value_free(q->kept[i]);
    free(q->kept);
    q->kept = NULL;
    q->nkept = q->ncols = q->at = 0;
}

static void sq_finalize(psy__stmt *s)
{
    drop_kept((struct sq_stmt *)s);
    sqlite3_finalize(sh(s));
    free(s);
}

/* Binds return 0, or -1 with the failure recorded (a parameter number out of range, a value too big). */
static int bound(psy__stmt *s, int rc)
{
    if (rc == SQLITE_OK) return 0;
    psy__db_seterr(s->db, PSY_DBE_OTHER, "parameter: %s", sqlite3_errstr(rc));
    return -1;
}
static int sq_bind_int64(psy__stmt *s, int i, int64_t v) { return bound(s, sqlite3_bind_int64(sh(s), i, v)); }
static int sq_bind_double(psy__stmt *s, int i, double v) { return bound(s, sqlite3_bind_double(sh(s), i, v)); }
static int sq_bind_text(psy__stmt *s, int i, const char *v)
{
    return bound(s, sqlite3_bind_text(sh(s), i, v, -1, SQLITE_TRANSIENT));
}
/* The text is read where it lies (SQLITE_STATIC): a batch's values, which outlive the step. A binding
 * left on a cached statement after that is never read: each use binds every parameter again. */
static int sq_bind_text_kept(psy__stmt *s, int i, const char *v)
{
    return bound(s, sqlite3_bind_text(sh(s), i, v, -1, SQLITE_STATIC));
}
static int sq_bind_null(psy__stmt *s, int i) { return bound(s, sqlite3_bind_null(sh(s), i)); }

static int sq_step(psy__stmt *s)
{
    struct sq_stmt *q = (struct sq_stmt *)s;
    if (q->kept) {
        if (++q->at < q->nkept) return PSY_SQL_ROW;
        drop_kept(q);
        return PSY_SQL_DONE;
    }
    int rc = sqlite3_step(q->h);
    if (rc == SQLITE_ROW) return PSY_SQL_ROW;
    if (rc == SQLITE_DONE) {
        q->changes = sqlite3_stmt_readonly(q->h) ? 0 : sqlite3_changes64(handle(s));
        return PSY_SQL_DONE;
    }
    fail((struct sq_db *)s->db, rc);
    return PSY_SQL_ERROR;
}

static void sq_reset(psy__stmt *s)
{
    drop_kept((struct sq_stmt *)s);
    sqlite3_reset(sh(s));
    sqlite3_clear_bindings(sh(s));
    ((struct sq_stmt *)s)->changes = 0;
}

/* A kept value of the current row, or NULL when the statement's own row is current. */
static sqlite3_value *kept(psy__stmt *s, int col)
{
    struct sq_stmt *q = (struct sq_stmt *)s;
    if (!q->kept || col < 0 || col >= q->ncols || q->at >= q->nkept) return NULL;
    return q->kept[q->at * q->ncols + col];
}

static int64_t sq_int64(psy__stmt *s, int col)
{
    sqlite3_value *v = kept(s, col);
    return ((struct sq_stmt *)s)->kept ? (v ? sqlite3_value_int64(v) : 0) : sqlite3_column_int64(sh(s), col);
}
static double sq_double(psy__stmt *s, int col)
{
    sqlite3_value *v = kept(s, col);
    return ((struct sq_stmt *)s)->kept ? (v ? sqlite3_value_double(v) : 0) : sqlite3_column_double(sh(s), col);
}
static const char *sq_text(psy__stmt *s, int col)
{
    sqlite3_value *v = kept(s, col);
    if (((struct sq_stmt *)s)->kept) return v ? (const char *)sqlite3_value_text(v) : NULL;
    return (const char *)sqlite3_column_text(sh(s), col);
}
static int sq_is_null(psy__stmt *s, int col)
{
    sqlite3_value *v = kept(s, col);
    if (((struct sq_stmt *)s)->kept) return !v || sqlite3_value_type(v) == SQLITE_NULL;
    return sqlite3_column_type(sh(s), col) == SQLITE_NULL;
}

/* Copies the current row and every row after it, leaving the statement at its end (its changes
 * counted): a COMMIT cannot run while a write statement is still in progress. -1 when a step fails. */
static int keep_rows(struct sq_stmt *q)
{
    int cols = sqlite3_column_count(q->h), cap = 0, rc = SQLITE_ROW;
    q->ncols = cols;
    while (rc == SQLITE_ROW) {
        if (q->nkept == cap) {
            cap = cap ? cap * 2 : 4;
            q->kept = psy__realloc(q->kept, (size_t)cap * (size_t)(cols ? cols : 1) * sizeof *q->kept);
        }
        for (int c = 0; c < cols; c++) q->kept[q->nkept * cols + c] = sqlite3_value_dup(sqlite3_column_value(q->h, c));
        q->nkept++;
        rc = sqlite3_step(q->h);
    }
    if (rc != SQLITE_DONE) {
        fail((struct sq_db *)q->base.db, rc);
        drop_kept(q);
        return -1;
    }
    q->changes = sqlite3_stmt_readonly(q->h) ? 0 : sqlite3_changes64(handle(&q->base));
    q->at = 0;
    return 0;
}

/* SQLite has no round trips to save: lead, each statement and tail run in turn. With a tail (a COMMIT)
 * the statements that gave rows are run to their end first, their rows kept, so the COMMIT may run. */
static int sq_pipeline(struct psy__db *db, const char *lead, psy__stmt **stmts, size_t n, const char *tail,
                       int *first)
{
    int rc = lead && sq_exec(db, lead) ? -1 : 0;
    for (size_t i = 0; i < n; i++) {
        first[i] = rc ? PSY_SQL_ERROR : sq_step(stmts[i]);
        if (first[i] == PSY_SQL_ERROR) rc = -1;
        else if (first[i] == PSY_SQL_ROW && tail && keep_rows((struct sq_stmt *)stmts[i])) first[i] = PSY_SQL_ERROR, rc = -1;
    }
    if (!rc && tail && sq_exec(db, tail)) rc = -1;
    return rc;
}
static int64_t sq_changes(psy__stmt *s) { return ((struct sq_stmt *)s)->changes; }

static const struct psy__db_ops sqlite_ops = {
    .version = PSY_DB_OPS_VERSION,
    .dialect = PSY_DB_SQLITE,
    .close = sq_close,
    .exec = sq_exec,
    .prepare = sq_prepare,
    .finalize = sq_finalize,
    .bind_int64 = sq_bind_int64,
    .bind_double = sq_bind_double,
    .bind_text = sq_bind_text,
    .bind_text_kept = sq_bind_text_kept,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .reset = sq_reset,
    .col_int64 = sq_int64,
    .col_double = sq_double,
    .col_text = sq_text,
    .col_is_null = sq_is_null,
    .changes = sq_changes,
    .pipeline = sq_pipeline,
};

/* long enough for another connection's first open (migrating and seeding a new database) on a loaded
 * machine */
#define BUSY_WAIT_MS 15000

/* SQLite's busy handler: called with the number of earlier calls for this lock; nonzero tries again.
 * Sleeps 20 us doubling to 1 ms per try, and gives up after BUSY_WAIT_MS in all. */
static int busy_wait(void *arg, int tries)
{
    (void)arg;
    long long us = 20LL << (tries < 6 ? tries : 6);
    if (us > 1000) us = 1000;
    /* the sleeps so far: 20, 40, ... 640 us (1260 in all), then 1 ms each */
    long long waited = tries <= 6 ? 20LL * ((1LL << tries) - 1) : 1260 + (tries - 6) * 1000LL;
    if (waited > BUSY_WAIT_MS * 1000LL) return 0;
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
    return 1;
}

struct psy__db *psy__sqlite_open(const char *path, char *err, size_t errlen)
{
    struct sq_db *db = psy__calloc(1, sizeof *db);
    db->base.ops = &sqlite_ops;
    int rc = sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open: %s", db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
        sqlite3_close(db->h);
        free(db);
        return NULL;
    }
    sqlite3_busy_handler(db->h, busy_wait, NULL);
    /* The write-ahead log and its index (DB-wal, DB-shm) stay beside the database when the last
     * connection closes, the log emptied (journal_size_limit; it is also cut back to 64 MB after a
     * checkpoint that leaves more): otherwise every short-lived process, `psyclaim search` among them,
     * creates both files and deletes them again, file-system metadata work that costs more than its
     * query (docs/benchmarks.md). */
    int persist = 1;
    sqlite3_file_control(db->h, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
    /* A new database's switch to WAL takes an exclusive lock. Two connections making that switch at
     * once would each wait for the other, so SQLite gives one of them SQLITE_BUSY at once, without its
     * busy handler: that one waits and tries again, as the busy handler would have. */
    int tries = 0;
    while (sqlite3_exec(db->h, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) == SQLITE_BUSY && busy_wait(NULL, tries++))
        ;
    if (sq_exec(&db->base, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; "
                                "PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY; "
                                "PRAGMA journal_size_limit = 67108864")) {
        snprintf(err, errlen, "%s", db->base.err);
        sq_close(&db->base);
        return NULL;
    }
    return &db->base;
}
