/*
 * store.c -- the practice database: opening by URI, schema migrations, transactions and error messages.
 *
 * A store is one connection through the SQL layer (psy_db.h): SQLite for "PATH" or "sqlite:PATH",
 * PostgreSQL for "postgres://..." or "postgresql://..." (a libpq URI). Migrations are the numbered
 * files data/sql/<dialect>/NNNN_name.sql compiled into the library, the same numbers for both
 * dialects; numbers only rise and may leave gaps. SQLite records the highest applied in PRAGMA
 * user_version, PostgreSQL in the table schema_version (one row per migration). Pending migrations are
 * applied in one transaction at open, under a lock (BEGIN IMMEDIATE on SQLite, an advisory lock on
 * PostgreSQL) so two processes opening together apply them once; a store is always at one schema
 * version, never between two.
 *
 * Transactions nest: the outermost psy__store_begin starts a transaction, inner ones set savepoints.
 * An inner rollback undoes the work since its begin and the outer transaction goes on.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_db.h"

struct psy_store {
    struct psy__db *db;
    char errmsg[512];
    int depth; /* nesting of psy__store_begin */
    int bulk;        /* the outermost transaction is all-or-nothing: inner begins set no savepoint */
    int bulk_failed; /* an inner unit of a bulk transaction rolled back: the whole of it must */
    void *page_cache; /* counts of paged lists by list version (db.c) */
    psy_progress_fn progress;
    void *progress_ud;
    char *uri; /* as opened: psy__store_twin opens it again */
};

void psy_store_set_progress(psy_store *st, psy_progress_fn fn, void *ud)
{
    if (!st) return;
    st->progress = fn;
    st->progress_ud = ud;
}

void psy__progress(psy_store *st, const char *what, long long done, long long total)
{
    if (st && st->progress) st->progress(st->progress_ud, what, done < total ? done : total, total);
}

void **psy__store_page_cache(psy_store *st) { return &st->page_cache; }

const char *psy_store_default_uri(void)
{
    const char *env = getenv("PSYCLAIM_DB");
    return env && *env ? env : "psyclaim.db";
}

struct psy__db *psy__store_conn(psy_store *st) { return st->db; }

const char *psy_store_errmsg(const psy_store *st) { return st ? st->errmsg : ""; }

const char *psy_store_backend(const psy_store *st)
{
    return st && st->db->ops->dialect == PSY_DB_POSTGRES ? "postgres" : "sqlite";
}

psy_status psy__store_fail(psy_store *st, psy_status rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->errmsg, sizeof st->errmsg, fmt, ap);
    va_end(ap);
    return rc;
}

psy_status psy__store_dbfail(psy_store *st, const char *what)
{
    return psy__store_fail(st, PSY_EDB, "%s: %s", what, st->db->err);
}

psy_status psy__store_exec(psy_store *st, const char *sql)
{
    if (st->db->ops->exec(st->db, sql)) return psy__store_fail(st, PSY_EDB, "database: %s", st->db->err);
    return PSY_OK;
}

/* The outermost begin opens a write transaction; nested ones open savepoints, so a failed inner unit
 * (one record inside a batch) rolls back only itself and the outer transaction goes on. */
psy_status psy__store_begin(psy_store *st)
{
    char sql[48];
    if (st->bulk) {
        st->depth++;
        return PSY_OK;
    }
    if (st->depth == 0)
        snprintf(sql, sizeof sql, "%s", st->db->ops->dialect == PSY_DB_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN");
    else
        snprintf(sql, sizeof sql, "SAVEPOINT psy_sp%d", st->depth);
    psy_status rc = psy__store_exec(st, sql);
    if (!rc) st->depth++;
    return rc;
}

psy_status psy__store_commit(psy_store *st)
{
    char sql[48];
    if (st->depth == 0) return PSY_OK;
    if (st->bulk && st->depth > 1) {
        st->depth--;
        return PSY_OK;
    }
    if (st->bulk && st->bulk_failed) {
        psy__store_rollback(st);
        return psy__store_fail(st, PSY_EDB, "batch: a write inside it failed, so none of it was saved");
    }
    st->bulk = 0;
    if (--st->depth > 0) {
        snprintf(sql, sizeof sql, "RELEASE SAVEPOINT psy_sp%d", st->depth);
        return psy__store_exec(st, sql);
    }
    psy_status rc = psy__store_exec(st, "COMMIT");
    if (rc) st->db->ops->exec(st->db, "ROLLBACK"); /* a failed COMMIT leaves nothing half-open */
    return rc;
}

void psy__store_rollback(psy_store *st)
{
    char sql[96];
    if (st->depth == 0) return;
    if (st->bulk && st->depth > 1) {
        st->depth--;
        st->bulk_failed = 1; /* nothing to roll back to: the outermost end rolls everything back */
        return;
    }
    st->bulk = st->bulk_failed = 0;
    if (--st->depth > 0)
        snprintf(sql, sizeof sql, "ROLLBACK TO SAVEPOINT psy_sp%d; RELEASE SAVEPOINT psy_sp%d", st->depth,
                 st->depth);
    else
        snprintf(sql, sizeof sql, "ROLLBACK");
    st->db->ops->exec(st->db, sql); /* keeps st->errmsg: it says why the caller rolls back */
}

psy_status psy__store_lock_stmt(psy_store *st, int64_t key, psy__stmt **out)
{
    *out = NULL;
    if (st->db->ops->dialect != PSY_DB_POSTGRES) return PSY_OK; /* BEGIN IMMEDIATE already serialises */
    *out = psy__db_stmt(st, "SELECT pg_advisory_xact_lock(?)", PSY_ARGS(PSY_INT(key)));
    return *out ? PSY_OK : psy__store_dbfail(st, "lock");
}

psy_status psy__store_lock(psy_store *st, int64_t key)
{
    psy__stmt *s;
    psy_status rc = psy__store_lock_stmt(st, key, &s);
    if (!rc && s && psy__sql_step(s) == PSY_SQL_ERROR) rc = psy__store_dbfail(st, "lock");
    psy__sql_finalize(s);
    return rc;
}

psy_status psy__store_begin_lock(psy_store *st, int64_t key, psy__stmt **s, size_t n)
{
    psy_status rc;
    if (st->bulk || st->depth || st->db->ops->dialect != PSY_DB_POSTGRES) {
        if (!(rc = psy__store_begin(st)) && !(rc = psy__store_lock(st, key)) && n) rc = psy__db_pipeline(st, s, n);
        if (rc && psy__store_in_transaction(st)) psy__store_rollback(st);
        return rc;
    }
    psy__stmt *stack[8], **all = n < 8 ? stack : psy__calloc(n + 1, sizeof *all);
    if (!(rc = psy__store_lock_stmt(st, key, &all[0]))) {
        for (size_t i = 0; i < n; i++) all[i + 1] = s[i];
        rc = psy__db_pipeline_with(st, "BEGIN", all, n + 1, NULL);
        psy__sql_finalize(all[0]);
        if (rc) st->db->ops->exec(st->db, "ROLLBACK"); /* BEGIN may have run; the message says why */
        else st->depth = 1;
    }
    if (all != stack) free(all);
    return rc;
}

psy_status psy__store_commit_after(psy_store *st, psy__stmt **s, size_t n)
{
    psy_status rc;
    if (st->depth != 1 || st->bulk) { /* not the outermost commit: the statements, then as usual */
        if ((rc = psy__db_pipeline(st, s, n))) psy__store_rollback(st);
        else rc = psy__store_commit(st);
        return rc;
    }
    st->depth = 0;
    rc = psy__db_pipeline_with(st, NULL, s, n, "COMMIT");
    if (rc) st->db->ops->exec(st->db, "ROLLBACK"); /* a failed statement or COMMIT: nothing was kept */
    return rc;
}

psy_status psy__store_atomic(psy_store *st, psy__stmt **s, size_t n)
{
    psy_status rc;
    if (st->bulk) { /* a unit of a bulk transaction sets no savepoint: its failure fails the whole */
        st->depth++;
        if ((rc = psy__db_pipeline(st, s, n))) psy__store_rollback(st);
        else st->depth--;
        return rc;
    }
    char lead[48], tail[48];
    if (st->depth == 0) {
        snprintf(lead, sizeof lead, "%s", st->db->ops->dialect == PSY_DB_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN");
        snprintf(tail, sizeof tail, "COMMIT");
    } else {
        snprintf(lead, sizeof lead, "SAVEPOINT psy_sp%d", st->depth);
        snprintf(tail, sizeof tail, "RELEASE SAVEPOINT psy_sp%d", st->depth);
    }
    st->depth++;
    if ((rc = psy__db_pipeline_with(st, lead, s, n, tail))) psy__store_rollback(st); /* keeps the message */
    else st->depth--;
    return rc;
}

psy_status psy__store_begin_bulk(psy_store *st)
{
    if (st->depth) return psy__store_begin(st); /* inside a caller's transaction: an ordinary unit of it */
    psy_status rc = psy__store_begin(st);
    if (!rc) st->bulk = 1;
    st->bulk_failed = 0;
    return rc;
}

int psy__store_in_transaction(psy_store *st) { return st->depth > 0; }

int psy__store_flat(psy_store *st) { return st->depth == 1 || (st->depth > 0 && st->bulk); }

const char *psy__store_meta_get(psy_store *st, const char *key, char *buf, size_t len)
{
    psy__stmt *s = psy__db_stmt(st, "SELECT value FROM meta WHERE key = ?", PSY_ARGS(PSY_TEXT(key)));
    const char *out = NULL;
    if (!s) return NULL;
    if (psy__sql_step(s) == PSY_SQL_ROW) {
        snprintf(buf, len, "%s", psy__sql_text(s, 0));
        out = buf;
    }
    psy__sql_finalize(s);
    return out;
}

psy_status psy__store_meta_set(psy_store *st, const char *key, const char *value)
{
    psy__stmt *s = psy__db_stmt(st,
                                "INSERT INTO meta(key, value) VALUES (?, ?) "
                                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                                PSY_ARGS(PSY_TEXT(key), PSY_TEXT(value)));
    if (!s) return psy__store_dbfail(st, "meta");
    int rc = psy__sql_step(s);
    psy__sql_finalize(s);
    return rc == PSY_SQL_DONE ? PSY_OK : psy__store_dbfail(st, "meta");
}

/* PostgreSQL: whether the table of applied migrations exists on the search path (1, 0; -1 on error). */
static int has_version_table(psy_store *st)
{
    psy__stmt *s = psy__db_stmt(st, "SELECT to_regclass('schema_version') IS NOT NULL", PSY_NOARGS);
    int yes = s && psy__sql_step(s) == PSY_SQL_ROW ? (int)psy__sql_int64(s, 0) : -1;
    psy__sql_finalize(s);
    return yes;
}

/* The applied schema version; -1 when it cannot be read. */
static int read_version(psy_store *st)
{
    int pg = st->db->ops->dialect == PSY_DB_POSTGRES, v;
    if (pg && (v = has_version_table(st)) <= 0) return v < 0 ? -1 : 0; /* 0: before the first migration */
    psy__stmt *s = psy__db_stmt(st, pg ? "SELECT COALESCE(MAX(version), 0) FROM schema_version" : "PRAGMA user_version",
                                PSY_NOARGS);
    if (!s) return -1;
    v = psy__sql_step(s) == PSY_SQL_ROW ? (int)psy__sql_int64(s, 0) : -1;
    psy__sql_finalize(s);
    return v;
}

psy_status psy_store_defer_checkpoints(psy_store *st)
{
    if (st->db->ops->dialect == PSY_DB_POSTGRES) return PSY_OK;
    return psy__sql_exec(st, "PRAGMA wal_autocheckpoint = 0");
}

psy_status psy_store_checkpoint(psy_store *st)
{
    if (st->db->ops->dialect == PSY_DB_POSTGRES) return PSY_OK;
    return psy__sql_exec(st, "PRAGMA wal_checkpoint(PASSIVE)");
}

psy_status psy_store_ping(psy_store *st)
{
    psy__stmt *s = psy__db_stmt(st, "SELECT 1", PSY_NOARGS);
    int r = s ? psy__sql_step(s) : PSY_SQL_ERROR;
    psy__sql_finalize(s);
    return r == PSY_SQL_ROW ? PSY_OK : psy__store_fail(st, PSY_EDB, "database: %s", psy__db_errtext(st));
}

int psy_store_unavailable(const psy_store *st)
{
    return st && st->db->errkind == PSY_DBE_UNAVAILABLE;
}

int psy_store_schema_version(psy_store *st)
{
    int v = read_version(st);
    return v < 0 ? 0 : v;
}

/* --- migrations ------------------------------------------------------------------------------- */

struct migration_walk {
    psy_store *st;
    int from;    /* version before this open */
    int last;    /* number of the previous file seen (numbers must rise) */
    int applied; /* highest applied */
    int apply;   /* 0: only check the numbers and find the newest */
    psy_status rc;
};

static void apply_one(void *ud, const char *name, const char *sql, size_t len)
{
    struct migration_walk *w = ud;
    psy_store *st = w->st;
    (void)len;
    if (w->rc) return;
    /* name is "sql/<dialect>/NNNN_what.sql" */
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    int version = 0, digits = 0;
    for (const char *p = base; isdigit((unsigned char)*p); p++, digits++) version = version * 10 + (*p - '0');
    if (digits != 4 || base[4] != '_' || version == 0) {
        w->rc = psy__store_fail(st, PSY_EINVAL, "migration %s: the name must be NNNN_what.sql", base);
        return;
    }
    if (version <= w->last) {
        w->rc = psy__store_fail(st, PSY_EINVAL, "migration %s out of sequence (numbers must rise; the one before "
                                                "is %04d)", base, w->last);
        return;
    }
    w->last = version;
    if (!w->apply) {
        w->applied = version;
        return;
    }
    if (version <= w->from) return;
    if (psy__store_exec(st, sql)) {
        char msg[sizeof st->errmsg];
        snprintf(msg, sizeof msg, "%s", st->errmsg);
        w->rc = psy__store_fail(st, PSY_EDB, "migration %s: %s", base, msg);
        return;
    }
    if (st->db->ops->dialect == PSY_DB_POSTGRES) {
        psy__stmt *s = psy__db_stmt(st, "INSERT INTO schema_version(version, name) VALUES (?, ?)",
                                    PSY_ARGS(PSY_INT(version), PSY_TEXT(base)));
        if (!s || psy__sql_step(s) == PSY_SQL_ERROR)
            w->rc = psy__store_dbfail(st, "migration");
        psy__sql_finalize(s);
    }
    w->applied = version;
}

static psy_status migrate(psy_store *st)
{
    const char *dir = st->db->ops->dialect == PSY_DB_SQLITE ? "sql/sqlite/" : "sql/postgres/";
    struct migration_walk w = {st, 0, 0, 0, 0, PSY_OK};
    psy_data_each(dir, apply_one, &w); /* check the numbers, find the newest */
    if (w.rc) return w.rc;
    int newest = w.applied;
    int v = read_version(st);
    if (v < 0) return psy__store_dbfail(st, "reading the schema version");
    if (v >= newest) return PSY_OK; /* the usual case: nothing to do, no lock taken */

    /* PostgreSQL: a session lock taken before the transaction starts, so the transaction's view of the
     * catalog includes the tables that the process we waited for created */
    int pg = st->db->ops->dialect == PSY_DB_POSTGRES;
    char lock[96];
    snprintf(lock, sizeof lock, "SELECT pg_advisory_lock(%lld)", (long long)PSY__LOCK_MIGRATE);
    if (pg && psy__store_exec(st, lock)) return psy__store_dbfail(st, "waiting for the migration lock");
    snprintf(lock, sizeof lock, "SELECT pg_advisory_unlock(%lld)", (long long)PSY__LOCK_MIGRATE);
    psy_status rc = psy__store_begin(st);
    if (rc) {
        if (pg) st->db->ops->exec(st->db, lock);
        return rc;
    }
    if ((v = read_version(st)) < 0) rc = psy__store_dbfail(st, "reading the schema version");
    if (!rc && v == 0 && pg && has_version_table(st) == 0 &&
        st->db->ops->exec(st->db, "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                                  "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"))
        rc = psy__store_dbfail(st, "creating the table schema_version");
    if (!rc) { /* another process may have migrated while we waited for the lock */
        w = (struct migration_walk){st, v, 0, v, 1, PSY_OK};
        psy_data_each(dir, apply_one, &w);
        rc = w.rc;
    }
    if (!rc && w.applied != v && st->db->ops->dialect == PSY_DB_SQLITE) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", w.applied);
        rc = psy__store_exec(st, sql);
    }
    if (rc) psy__store_rollback(st);
    else rc = psy__store_commit(st);
    if (pg) st->db->ops->exec(st->db, lock); /* keeps st->errmsg */
    return rc;
}

/* Copies a URI for messages with any password replaced by "***". */
static void redact(const char *uri, char *out, size_t len)
{
    struct psy__buf b = {0};
    const char *p = uri, *scheme = strstr(uri, "://");
    psy__buf_puts(&b, "");
    if (scheme) {
        const char *auth = scheme + 3, *end = auth + strcspn(auth, "/?"), *at = NULL;
        for (const char *q = auth; q < end; q++)
            if (*q == '@') at = q;
        const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
        if (colon) {
            psy__buf_put(&b, uri, (size_t)(colon + 1 - uri));
            psy__buf_puts(&b, "***");
            p = at;
        }
    }
    while (*p) {
        const char *pw = strstr(p, "password=");
        if (!pw || (pw != uri && pw[-1] != '?' && pw[-1] != '&' && pw[-1] != ' ')) {
            psy__buf_puts(&b, p);
            break;
        }
        psy__buf_put(&b, p, (size_t)(pw + 9 - p));
        psy__buf_puts(&b, "***");
        p = pw + 9 + strcspn(pw + 9, "& ");
    }
    snprintf(out, len, "%s", b.p);
    psy__buf_free(&b);
}

psy_status psy_store_open(const char *uri, psy_store **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (!uri || !*uri) uri = psy_store_default_uri();
    char shown[300], err[400];
    redact(uri, shown, sizeof shown);
    int pg = strncmp(uri, "postgres://", 11) == 0 || strncmp(uri, "postgresql://", 13) == 0;
    const char *path = strncmp(uri, "sqlite:", 7) == 0 ? uri + 7 : uri;
    if (!pg && strstr(uri, "://") && path == uri) {
        if (errbuf)
            snprintf(errbuf, errlen, "database %s: unsupported scheme (use a file path, sqlite:PATH or "
                                     "postgres://...)", shown);
        return PSY_EINVAL;
    }
    err[0] = 0;
    struct psy__db *db = pg ? psy__pg_open(uri, err, sizeof err) : psy__sqlite_open(path, err, sizeof err);
    if (db && db->ops->version != PSY_DB_OPS_VERSION) {
        snprintf(err, sizeof err, "backend interface version %d, this build needs %d", db->ops->version,
                 PSY_DB_OPS_VERSION);
        psy__db_close(db);
        db = NULL;
    }
    if (!db) {
        if (errbuf) snprintf(errbuf, errlen, "database %s: %s", shown, err);
        return PSY_EDB;
    }
    psy_store *st = psy__calloc(1, sizeof *st);
    st->db = db;
    st->uri = psy__strndup(uri, strlen(uri));
    psy_status rc = migrate(st);
    if (rc) {
        if (errbuf) snprintf(errbuf, errlen, "database %s: %s", shown, st->errmsg);
        psy_store_close(st);
        return rc;
    }
    *out = st;
    return PSY_OK;
}

void psy_store_close(psy_store *st)
{
    if (!st) return;
    if (st->depth) {
        st->depth = 1;
        psy__store_rollback(st);
    }
    psy__db_close(st->db);
    psy__page_cache_free(st->page_cache);
    free(st->uri);
    free(st);
}

psy_store *psy__store_twin(psy_store *st)
{
    const char *u = st->uri;
    if (!u || psy__store_in_transaction(st)) return NULL;
    const char *path = strncmp(u, "sqlite:", 7) == 0 ? u + 7 : u;
    if (psy__db_dialect(st) == PSY_DB_SQLITE && (!*path || strstr(path, ":memory:") || strstr(path, "mode=memory")))
        return NULL;
    psy_store *twin = NULL;
    if (psy_store_open(u, &twin, NULL, 0)) return NULL;
    /* a reader of rows it reads once or twice: a small page cache of its own (the pages stay in the
     * system's file cache); the 32 MiB of a connection cost the claims build 60 MB and no time */
    if (psy__db_dialect(twin) == PSY_DB_SQLITE) psy__store_exec(twin, "PRAGMA cache_size = -2048");
    return twin;
}
