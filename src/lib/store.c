/*
 * store.c -- the practice database: opening, schema migrations, transactions and error messages.
 *
 * Owns the SQLite connection. Migrations are the numbered files data/sql/sqlite/NNNN_name.sql compiled
 * into the library; the store records the highest one applied in PRAGMA user_version and applies the
 * rest in one transaction at open, so a store is always at one schema version, never between two.
 * The database runs in WAL mode with foreign keys on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_int.h"

struct psy_store {
    sqlite3 *db;
    char errmsg[512];
    int depth; /* nesting of psy__store_begin */
};

const char *psy_store_default_uri(void)
{
    const char *env = getenv("PSYCLAIM_DB");
    return env && *env ? env : "psyclaim.db";
}

sqlite3 *psy__store_db(psy_store *st) { return st->db; }

const char *psy_store_errmsg(const psy_store *st) { return st ? st->errmsg : ""; }

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
    return psy__store_fail(st, PSY_EDB, "%s: %s", what, sqlite3_errmsg(st->db));
}

psy_status psy__store_exec(psy_store *st, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        psy__store_fail(st, PSY_EDB, "database: %s", msg ? msg : "unknown error");
        sqlite3_free(msg);
        return PSY_EDB;
    }
    return PSY_OK;
}

psy_status psy__store_begin(psy_store *st)
{
    if (st->depth++ > 0) return PSY_OK;
    psy_status rc = psy__store_exec(st, "BEGIN IMMEDIATE");
    if (rc) st->depth = 0;
    return rc;
}

psy_status psy__store_commit(psy_store *st)
{
    if (st->depth == 0 || --st->depth > 0) return PSY_OK;
    return psy__store_exec(st, "COMMIT");
}

void psy__store_rollback(psy_store *st)
{
    if (st->depth == 0) return;
    st->depth = 0;
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

const char *psy__store_meta_get(psy_store *st, const char *key, char *buf, size_t len)
{
    sqlite3_stmt *s;
    const char *out = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = ?", -1, &s, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s, 0));
        out = buf;
    }
    sqlite3_finalize(s);
    return out;
}

psy_status psy__store_meta_set(psy_store *st, const char *key, const char *value)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, "INSERT INTO meta(key, value) VALUES (?, ?) "
                                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           -1, &s, NULL) != SQLITE_OK)
        return psy__store_dbfail(st, "meta");
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? PSY_OK : psy__store_dbfail(st, "meta");
}

int psy_store_schema_version(psy_store *st)
{
    sqlite3_stmt *s;
    int v = 0;
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
    }
    return v;
}

/* --- migrations ------------------------------------------------------------------------------- */

struct migration_walk {
    psy_store *st;
    int from;    /* current version */
    int applied; /* highest applied */
    psy_status rc;
};

static void apply_one(void *ud, const char *name, const char *sql, size_t len)
{
    struct migration_walk *w = ud;
    (void)len;
    if (w->rc) return;
    /* name is "sql/sqlite/NNNN_what.sql" */
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    int version = 0;
    for (const char *p = base; *p >= '0' && *p <= '9'; p++) version = version * 10 + (*p - '0');
    if (version <= w->from) return;
    if (version != w->applied + 1) {
        w->rc = psy__store_fail(w->st, PSY_EINVAL, "migration %s out of sequence (expected %04d)", base,
                                w->applied + 1);
        return;
    }
    if (psy__store_exec(w->st, sql)) {
        char msg[sizeof w->st->errmsg];
        snprintf(msg, sizeof msg, "%s", w->st->errmsg);
        w->rc = psy__store_fail(w->st, PSY_EDB, "migration %s: %s", base, msg);
        return;
    }
    w->applied = version;
}

static psy_status migrate(psy_store *st)
{
    struct migration_walk w = {st, psy_store_schema_version(st), 0, PSY_OK};
    w.applied = w.from;
    psy_status rc = psy__store_begin(st);
    if (rc) return rc;
    psy_data_each("sql/sqlite/", apply_one, &w);
    if (!w.rc && w.applied != w.from) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", w.applied);
        w.rc = psy__store_exec(st, sql);
    }
    if (w.rc) {
        psy__store_rollback(st);
        return w.rc;
    }
    return psy__store_commit(st);
}

psy_status psy_store_open(const char *uri, psy_store **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (!uri || !*uri) uri = psy_store_default_uri();
    if (strncmp(uri, "sqlite:", 7) == 0) uri += 7;
    else if (strstr(uri, "://")) {
        if (errbuf) snprintf(errbuf, errlen, "database %s: unsupported scheme (use a file path or sqlite:PATH)", uri);
        return PSY_EINVAL;
    }
    psy_store *st = psy__calloc(1, sizeof *st);
    /* one handle is used by one thread (psy_store.h), so SQLite need not lock it on every call */
    int rc = sqlite3_open_v2(uri, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        if (errbuf) snprintf(errbuf, errlen, "cannot open database %s: %s", uri,
                             st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        sqlite3_close(st->db);
        free(st);
        return PSY_EDB;
    }
    sqlite3_busy_timeout(st->db, 5000);
    psy_status prc = psy__store_exec(st, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; "
                                         "PRAGMA synchronous = NORMAL");
    if (!prc) prc = migrate(st);
    if (prc) {
        if (errbuf) snprintf(errbuf, errlen, "database %s: %s", uri, st->errmsg);
        psy_store_close(st);
        return prc;
    }
    *out = st;
    return PSY_OK;
}

void psy_store_close(psy_store *st)
{
    if (!st) return;
    sqlite3_close_v2(st->db);
    free(st);
}
