/*
 * db_pg.c -- the PostgreSQL backend of the SQL layer (psy_db.h): one libpq connection per store.
 *
 * Statements kept in the cache are prepared server-side once (PQprepare, named psy_N) and run with
 * PQexecPrepared; others run with PQexecParams. Parameters and results travel as text; a result is
 * fetched whole, so a caller may run other statements while it walks the rows. Several statements
 * whose arguments do not hang on each other's answers go out together in libpq's pipeline mode
 * (pg_pipeline): one round trip to the server instead of one each.
 *
 * The one idea about failures: a connection lost between transactions is reopened on the next call
 * (statements are prepared again lazily, and a read that failed is retried once); a connection lost
 * inside a transaction stays failed until the transaction is rolled back, so work is never half-kept.
 * Only a BEGIN and a read (SELECT) outside a transaction are ever sent twice: a write or a COMMIT whose
 * answer was lost may have been applied, so its failure goes to the caller. Reopening tries a few times
 * with growing pauses (RETRY_MS, about 1.3 s in all); when that fails the store says "database
 * unavailable" and calls in the next second fail at once instead of waiting again, so a server whose
 * database is down answers quickly and picks up again by itself once it is back.
 */
#include <dlfcn.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "psy_db.h"

/* libpq is loaded when the first PostgreSQL store opens, not linked: with it come OpenSSL, Kerberos
 * and LDAP, a dozen libraries whose loading and relocation cost a program that never talks to
 * PostgreSQL (`psyclaim search` on a SQLite file) several milliseconds and megabytes at every start
 * (docs/benchmarks.md). The functions this file calls are reached through pointers of their own
 * declared types, filled in once from the library (the macros below turn each call into a call
 * through its pointer). */
#ifndef PSY_LIBPQ_SONAME
#define PSY_LIBPQ_SONAME "libpq.so.5"
#endif
#define PQ_FUNCS(X)                                                                                          \
    X(PQclear) X(PQcmdTuples) X(PQconnectdbParams) X(PQerrorMessage) X(PQexec) X(PQexecParams)              \
    X(PQexecPrepared) X(PQfinish) X(PQgetResult) X(PQgetisnull) X(PQgetvalue) X(PQnfields) X(PQntuples)      \
    X(PQprepare) X(PQputCopyData) X(PQputCopyEnd) X(PQreset) X(PQresultErrorField) X(PQresultStatus)         \
    X(PQsetNoticeProcessor) X(PQstatus) X(PQtransactionStatus) X(PQenterPipelineMode) X(PQexitPipelineMode)     \
    X(PQpipelineSync) X(PQsendQueryParams) X(PQsendQueryPrepared)
#define PQ_POINTER(f) static __typeof__(f) *pq_##f;
PQ_FUNCS(PQ_POINTER)
#undef PQ_POINTER
static pthread_once_t pq_once = PTHREAD_ONCE_INIT;
static char pq_error[300]; /* why libpq could not be loaded; "" once it is */

static void pq_load(void)
{
    void *lib = dlopen(PSY_LIBPQ_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        snprintf(pq_error, sizeof pq_error, "cannot load the PostgreSQL client library: %s",
                 why ? why : PSY_LIBPQ_SONAME);
        return;
    }
#define PQ_RESOLVE(f)                                                                                        \
    if (!pq_error[0]) {                                                                                      \
        void *sym = dlsym(lib, #f);                                                                          \
        if (sym) memcpy(&pq_##f, &sym, sizeof sym);                                                          \
        else snprintf(pq_error, sizeof pq_error, "the PostgreSQL client library %s has no %s", PSY_LIBPQ_SONAME, #f); \
    }
    PQ_FUNCS(PQ_RESOLVE)
#undef PQ_RESOLVE
}

#define PQclear pq_PQclear
#define PQcmdTuples pq_PQcmdTuples
#define PQconnectdbParams pq_PQconnectdbParams
#define PQerrorMessage pq_PQerrorMessage
#define PQexec pq_PQexec
#define PQexecParams pq_PQexecParams
#define PQexecPrepared pq_PQexecPrepared
#define PQfinish pq_PQfinish
#define PQgetResult pq_PQgetResult
#define PQgetisnull pq_PQgetisnull
#define PQgetvalue pq_PQgetvalue
#define PQnfields pq_PQnfields
#define PQntuples pq_PQntuples
#define PQprepare pq_PQprepare
#define PQputCopyData pq_PQputCopyData
#define PQputCopyEnd pq_PQputCopyEnd
#define PQreset pq_PQreset
#define PQresultErrorField pq_PQresultErrorField
#define PQresultStatus pq_PQresultStatus
#define PQsetNoticeProcessor pq_PQsetNoticeProcessor
#define PQstatus pq_PQstatus
#define PQtransactionStatus pq_PQtransactionStatus
#define PQenterPipelineMode pq_PQenterPipelineMode
#define PQexitPipelineMode pq_PQexitPipelineMode
#define PQpipelineSync pq_PQpipelineSync
#define PQsendQueryParams pq_PQsendQueryParams
#define PQsendQueryPrepared pq_PQsendQueryPrepared

struct pg_db {
    struct psy__db base;
    PGconn *conn;
    unsigned names; /* statement names handed out */
    unsigned gen;   /* bumped when the connection is reopened */
    int idle;       /* the connection was outside a transaction after the last call */
    int copying;    /* a COPY inside a transaction went out and its answer is still owed (pg_copy) */
    int64_t quiet_until; /* monotonic ms: after a failed reopen, calls fail at once until then */
};

/* The pauses before each attempt to reopen a lost connection (ms), and how long a store that could not
 * reopen fails at once before trying again. */
static const int RETRY_MS[] = {0, 100, 300, 900};
enum { DOWN_QUIET_MS = 1000 };

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct pg_stmt {
    psy__stmt base;
    char *sql; /* with $n placeholders */
    int nparams;
    char name[24]; /* "" when not prepared server-side */
    unsigned gen;  /* connection generation the name was prepared in */
    int readonly;  /* a SELECT: safe to retry after a lost connection */
    char **vals, **bufs;
    size_t *caps;
    PGresult *res;
    int row, nrows;
    int64_t changes;
};

static struct pg_db *pdb(psy__stmt *s) { return (struct pg_db *)s->db; }

static psy__dberr kind_of(const char *sqlstate)
{
    if (!sqlstate) return PSY_DBE_OTHER;
    if (strncmp(sqlstate, "23", 2) == 0) return PSY_DBE_CONSTRAINT;
    if (!strcmp(sqlstate, "40001") || !strcmp(sqlstate, "40P01") || !strcmp(sqlstate, "55P03"))
        return PSY_DBE_BUSY;
    return PSY_DBE_OTHER;
}

/* Records a failure: the server's one-line message, or libpq's first line when there is no result. */
static void fail(struct pg_db *db, const PGresult *r)
{
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg || !*msg) msg = PQerrorMessage(db->conn);
    if (!strncmp(msg, "FATAL:  ", 8) || !strncmp(msg, "ERROR:  ", 8)) msg += 8;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    /* class 08: connection exception; 57P01-03: the server shut down or cannot take connections */
    if (PQstatus(db->conn) != CONNECTION_OK || (state && (!strncmp(state, "08", 2) || !strncmp(state, "57P0", 4)))) {
        psy__db_seterr(&db->base, PSY_DBE_UNAVAILABLE, "database unavailable (%.*s)", (int)strcspn(msg, "\n"),
                       *msg ? msg : "connection lost");
        return;
    }
    psy__db_seterr(&db->base, kind_of(state), "%.*s", (int)strcspn(msg, "\n"), *msg ? msg : "unknown PostgreSQL error");
}

static int ok_status(const PGresult *r)
{
    ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    return t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK || t == PGRES_EMPTY_QUERY;
}

/* The answer owed for a COPY that pg_copy sent without waiting: read before anything else goes out on the
 * connection. Returns 0 when the server took the rows, else -1 with its failure recorded, said to be the
 * rows written before (the call that meets it did not cause it, and a constraint it broke is no answer
 * to that call's own statement). */
static int settle(struct pg_db *db)
{
    if (!db->copying) return 0;
    db->copying = 0;
    PGresult *r;
    int ok = 1;
    while ((r = PQgetResult(db->conn))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && ok) {
            fail(db, r);
            ok = 0;
        }
        PQclear(r);
    }
    db->idle = PQtransactionStatus(db->conn) == PQTRANS_IDLE;
    if (ok) return 0;
    char msg[sizeof db->base.err];
    snprintf(msg, sizeof msg, "%s", db->base.err);
    psy__db_seterr(&db->base, db->base.errkind == PSY_DBE_CONSTRAINT ? PSY_DBE_OTHER : db->base.errkind,
                   "the rows written before were refused: %s", msg);
    return -1;
}

static int pg_settle(struct psy__db *base) { return settle((struct pg_db *)base); }

/* Before a call: reopens a connection that was lost outside a transaction, trying a few times with
 * growing pauses; none while a recent attempt failed. */
static int usable(struct pg_db *db)
{
    if (PQstatus(db->conn) == CONNECTION_OK) return 1;
    if (!db->idle || now_ms() < db->quiet_until) return 0;
    for (size_t i = 0; i < sizeof RETRY_MS / sizeof *RETRY_MS; i++) {
        if (RETRY_MS[i]) nanosleep(&(struct timespec){RETRY_MS[i] / 1000, (long)(RETRY_MS[i] % 1000) * 1000000L}, NULL);
        PQreset(db->conn);
        if (PQstatus(db->conn) == CONNECTION_OK) {
            db->gen++;
            db->quiet_until = 0;
            return 1;
        }
    }
    db->quiet_until = now_ms() + DOWN_QUIET_MS;
    return 0;
}

/* After a call: whether it failed because the connection went away while idle. */
static int lost_idle(struct pg_db *db, int was_idle)
{
    int lost = PQstatus(db->conn) != CONNECTION_OK;
    db->idle = lost ? was_idle : PQtransactionStatus(db->conn) == PQTRANS_IDLE;
    return lost && was_idle;
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* notices ("... already exists, skipping") are not errors */
}

static void pg_close(struct psy__db *db)
{
    settle((struct pg_db *)db); /* what it says is of no use to anyone now */
    PQfinish(((struct pg_db *)db)->conn);
    free(db);
}

static int pg_exec(struct psy__db *base, const char *script)
{
    struct pg_db *db = (struct pg_db *)base;
    if (settle(db) && strcmp(script, "ROLLBACK")) return -1; /* a rollback goes on: it undoes those rows */
    if (!usable(db)) {
        if (!strcmp(script, "ROLLBACK")) { /* the transaction died with the connection */
            db->idle = 1;
            return usable(db) ? 0 : (fail(db, NULL), -1);
        }
        fail(db, NULL);
        return -1;
    }
    int was_idle = db->idle;
    PGresult *r = PQexec(db->conn, script);
    int ok = ok_status(r);
    if (!ok && lost_idle(db, was_idle) && strncasecmp(script, "BEGIN", 5) == 0 && usable(db)) {
        PQclear(r);
        r = PQexec(db->conn, script);
        ok = ok_status(r);
        lost_idle(db, 1);
    }
    if (!ok) fail(db, r);
    PQclear(r);
    return ok ? 0 : -1;
}

/* COPY ... FROM STDIN with rows already in COPY's text format: one round trip for many rows. Inside a
 * transaction like any write, and never sent twice. With later, inside a transaction, its answer is not
 * waited for: the caller goes on (reading and checking the next rows of a file, formatting the next
 * table's) while the server writes these, and the next call on the connection reads the answer first
 * (settle), so a refusal still fails that call, and the transaction with it, before anything else is
 * sent. */
static int pg_copy(struct psy__db *base, const char *sql, const char *data, size_t len, int later)
{
    struct pg_db *db = (struct pg_db *)base;
    if (settle(db)) return -1;
    if (!usable(db)) {
        fail(db, NULL);
        return -1;
    }
    lost_idle(db, db->idle);
    PGresult *r = PQexec(db->conn, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        fail(db, r);
        PQclear(r);
        return -1;
    }
    PQclear(r);
    int sent = PQputCopyData(db->conn, data, (int)len) == 1;
    if (PQputCopyEnd(db->conn, sent ? NULL : "the rows could not be sent") != 1) sent = 0;
    if (sent && later && !db->idle) { /* the answer is read by the next call */
        db->copying = 1;
        return 0;
    }
    int ok = sent;
    while ((r = PQgetResult(db->conn))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            if (ok) fail(db, r);
            ok = 0;
        }
        PQclear(r);
    }
    if (!sent && ok == 0 && !*base->err) fail(db, NULL);
    return ok ? 0 : -1;
}

static int server_prepare(struct pg_db *db, struct pg_stmt *s)
{
    PGresult *r = PQprepare(db->conn, s->name, s->sql, s->nparams, NULL);
    int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) fail(db, r);
    else s->gen = db->gen;
    PQclear(r);
    db->idle = PQtransactionStatus(db->conn) == PQTRANS_IDLE;
    return ok ? 0 : -1;
}

static void pg_finalize(psy__stmt *base)
{
    struct pg_stmt *s = (struct pg_stmt *)base;
    PQclear(s->res);
    for (int i = 0; i < s->nparams; i++) free(s->bufs[i]);
    free(s->vals);
    free(s->bufs);
    free(s->caps);
    free(s->sql);
    free(s);
}

static psy__stmt *pg_prepare(struct psy__db *base, const char *sql, int persistent)
{
    struct pg_db *db = (struct pg_db *)base;
    struct pg_stmt *s = psy__calloc(1, sizeof *s);
    s->sql = psy__sql_numbered(sql, &s->nparams);
    size_t lead = strspn(sql, " \t\r\n(");
    s->readonly = strncasecmp(sql + lead, "SELECT", 6) == 0;
    if (s->nparams) {
        s->vals = psy__calloc((size_t)s->nparams, sizeof *s->vals);
        s->bufs = psy__calloc((size_t)s->nparams, sizeof *s->bufs);
        s->caps = psy__calloc((size_t)s->nparams, sizeof *s->caps);
    }
    /* a private statement is checked through the unnamed one and later run with PQexecParams */
    if (persistent) snprintf(s->name, sizeof s->name, "psy_%u", ++db->names);
    if (settle(db)) {
        pg_finalize(&s->base);
        return NULL;
    }
    int was_idle = db->idle, failed = !usable(db) || server_prepare(db, s);
    if (failed && lost_idle(db, was_idle) && usable(db)) failed = server_prepare(db, s); /* safe to repeat */
    if (failed) {
        if (PQstatus(db->conn) != CONNECTION_OK) fail(db, NULL);
        pg_finalize(&s->base);
        return NULL;
    }
    return &s->base;
}

/* Binds return 0, or -1 with the failure recorded: a parameter number the statement does not have. */
static int out_of_range(psy__stmt *base, int i)
{
    struct pg_stmt *s = (struct pg_stmt *)base;
    if (i >= 1 && i <= s->nparams) return 0;
    psy__db_seterr(base->db, PSY_DBE_OTHER, "parameter: number %d out of range (the statement has %d)", i, s->nparams);
    return -1;
}

static int set_param(psy__stmt *base, int i, const char *v, size_t n)
{
    struct pg_stmt *s = (struct pg_stmt *)base;
    if (out_of_range(base, i)) return -1;
    i--;
    if (n + 1 > s->caps[i]) {
        s->caps[i] = n + 1 < 32 ? 32 : n + 1;
        s->bufs[i] = psy__realloc(s->bufs[i], s->caps[i]);
    }
    memcpy(s->bufs[i], v, n);
    s->bufs[i][n] = 0;
    s->vals[i] = s->bufs[i];
    return 0;
}

static int pg_bind_int64(psy__stmt *s, int i, int64_t v)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%lld", (long long)v);
    return set_param(s, i, t, (size_t)n);
}

static int pg_bind_double(psy__stmt *s, int i, double v)
{
    char t[40];
    int n = snprintf(t, sizeof t, "%.17g", v);
    return set_param(s, i, t, (size_t)n);
}

static int pg_bind_text(psy__stmt *s, int i, const char *v) { return set_param(s, i, v, strlen(v)); }

static int pg_bind_null(psy__stmt *base, int i)
{
    if (out_of_range(base, i)) return -1;
    ((struct pg_stmt *)base)->vals[i - 1] = NULL;
    return 0;
}

static PGresult *run(struct pg_db *db, struct pg_stmt *s)
{
    const char *const *vals = (const char *const *)s->vals;
    if (!s->name[0]) return PQexecParams(db->conn, s->sql, s->nparams, NULL, vals, NULL, NULL, 0);
    if (s->gen != db->gen && server_prepare(db, s)) return NULL;
    return PQexecPrepared(db->conn, s->name, s->nparams, vals, NULL, NULL, 0);
}

static int pg_step(psy__stmt *base)
{
    struct pg_stmt *s = (struct pg_stmt *)base;
    struct pg_db *db = pdb(base);
    if (s->res) {
        if (++s->row < s->nrows) return PSY_SQL_ROW;
        PQclear(s->res); /* free a large result as soon as it is walked */
        s->res = NULL;
        s->nrows = 0;
        return PSY_SQL_DONE;
    }
    if (settle(db)) return PSY_SQL_ERROR;
    if (!usable(db)) {
        fail(db, NULL);
        return PSY_SQL_ERROR;
    }
    int was_idle = db->idle;
    PGresult *r = run(db, s);
    if (!ok_status(r) && lost_idle(db, was_idle) && s->readonly && usable(db)) {
        PQclear(r);
        r = run(db, s);
    }
    lost_idle(db, was_idle);
    if (!ok_status(r)) {
        fail(db, r);
        PQclear(r);
        return PSY_SQL_ERROR;
    }
    const char *ct = PQcmdTuples(r);
    s->changes = ct && *ct ? strtoll(ct, NULL, 10) : 0;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) {
        s->res = r;
        s->nrows = PQntuples(r);
        s->row = 0;
        return PSY_SQL_ROW;
    }
    PQclear(r);
    return PSY_SQL_DONE;
}

static void pg_reset(psy__stmt *base)
{
    struct pg_stmt *s = (struct pg_stmt *)base;
    PQclear(s->res);
    s->res = NULL;
    s->nrows = s->row = 0;
    s->changes = 0;
    for (int i = 0; i < s->nparams; i++) s->vals[i] = NULL;
}

static int in_row(struct pg_stmt *s, int col) { return s->res && s->row < s->nrows && col >= 0 && col < PQnfields(s->res); }

static const char *pg_col_text(psy__stmt *base, int col)
{
    struct pg_stmt *s = (struct pg_stmt *)base;
    if (!in_row(s, col) || PQgetisnull(s->res, s->row, col)) return NULL;
    return PQgetvalue(s->res, s->row, col);
}

static int64_t pg_col_int64(psy__stmt *s, int col)
{
    const char *v = pg_col_text(s, col);
    if (!v) return 0;
    if (v[0] == 't' && !v[1]) return 1; /* boolean */
    return strtoll(v, NULL, 10);
}

static double pg_col_double(psy__stmt *s, int col)
{
    const char *v = pg_col_text(s, col);
    return v ? strtod(v, NULL) : 0.0;
}

static int pg_is_null(psy__stmt *base, int col)
{
    struct pg_stmt *s = (struct pg_stmt *)base;
    return !in_row(s, col) || PQgetisnull(s->res, s->row, col);
}

static int64_t pg_changes(psy__stmt *s) { return ((struct pg_stmt *)s)->changes; }

/* Sends one statement of a pipeline: 1 when it went out. */
static int send_one(struct pg_db *db, struct pg_stmt *s)
{
    const char *const *vals = (const char *const *)s->vals;
    if (!s->name[0]) return PQsendQueryParams(db->conn, s->sql, s->nparams, NULL, vals, NULL, NULL, 0);
    return PQsendQueryPrepared(db->conn, s->name, s->nparams, vals, NULL, NULL, 0);
}

static int send_text(struct pg_db *db, const char *sql)
{
    return PQsendQueryParams(db->conn, sql, 0, NULL, NULL, NULL, NULL, 0);
}

/* One pass of pg_pipeline: sends lead, the statements and tail, one Sync, and reads every answer back
 * in order. A statement's rows stay on it (its first row current) and first[i] says what its first
 * step gives. The first failure is recorded; the server skips everything after it up to the Sync
 * (PGRES_PIPELINE_ABORTED), so those statements give PSY_SQL_ERROR too. Returns 0 when all ran. */
static int pipeline_once(struct pg_db *db, const char *lead, psy__stmt **stmts, size_t n, const char *tail,
                         int *first)
{
    for (size_t i = 0; i < n; i++) {
        struct pg_stmt *s = (struct pg_stmt *)stmts[i];
        PQclear(s->res);
        s->res = NULL;
        s->nrows = s->row = 0;
        s->changes = 0;
        first[i] = PSY_SQL_ERROR;
        /* a statement named before the connection was reopened is prepared again first */
        if (s->name[0] && s->gen != db->gen && server_prepare(db, s)) return -1;
    }
    if (PQenterPipelineMode(db->conn) != 1) {
        fail(db, NULL);
        return -1;
    }
    /* what went out, in order: -1 the lead, n the tail, else a statement's index */
    size_t total = n + (lead != NULL) + (tail != NULL), sent = 0;
    long *order = psy__calloc(total ? total : 1, sizeof *order);
    int ok = 1;
    if (lead) {
        if (!send_text(db, lead)) ok = 0;
        else order[sent++] = -1;
    }
    for (size_t i = 0; ok && i < n; i++) {
        if (!send_one(db, (struct pg_stmt *)stmts[i])) ok = 0;
        else order[sent++] = (long)i;
    }
    if (ok && tail) {
        if (!send_text(db, tail)) ok = 0;
        else order[sent++] = (long)n;
    }
    if (!ok) fail(db, NULL); /* libpq could not queue it: its message says why */
    int synced = PQpipelineSync(db->conn) == 1;
    if (!synced && ok) {
        fail(db, NULL);
        ok = 0;
    }
    for (size_t k = 0; synced && k < sent; k++) {
        PGresult *r = PQgetResult(db->conn);
        if (!r) { /* the connection broke: no answer for what is left */
            if (ok) fail(db, NULL);
            ok = 0;
            synced = 0;
            break;
        }
        ExecStatusType t = PQresultStatus(r);
        int good = ok_status(r);
        if (!good && t != PGRES_PIPELINE_ABORTED && ok) fail(db, r);
        if (!good) ok = 0;
        if (good && order[k] >= 0 && order[k] < (long)n) {
            struct pg_stmt *s = (struct pg_stmt *)stmts[order[k]];
            const char *ct = PQcmdTuples(r);
            s->changes = ct && *ct ? strtoll(ct, NULL, 10) : 0;
            if (t == PGRES_TUPLES_OK && PQntuples(r) > 0) {
                s->res = r;
                s->nrows = PQntuples(r);
                s->row = 0;
                r = NULL;
                first[order[k]] = PSY_SQL_ROW;
            } else {
                first[order[k]] = PSY_SQL_DONE;
            }
        }
        PQclear(r);
        while ((r = PQgetResult(db->conn))) PQclear(r); /* the end of this statement's answers */
    }
    if (synced) { /* the Sync's own answer */
        PGresult *r = PQgetResult(db->conn);
        if (!r || PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
            if (ok) fail(db, r);
            ok = 0;
        }
        PQclear(r);
    }
    if (PQexitPipelineMode(db->conn) != 1) {
        if (ok) fail(db, NULL);
        ok = 0;
        /* answers still owed (a send that failed half way): the connection cannot take another statement
         * until they are read, so it is opened afresh; a transaction it held is gone with it (the caller
         * rolls back, as after any failure) */
        if (PQstatus(db->conn) == CONNECTION_OK) {
            PQreset(db->conn);
            db->gen++;
        }
    }
    free(order);
    return ok ? 0 : -1;
}

static int pg_pipeline(struct psy__db *base, const char *lead, psy__stmt **stmts, size_t n, const char *tail,
                       int *first)
{
    struct pg_db *db = (struct pg_db *)base;
    if (settle(db)) {
        for (size_t i = 0; i < n; i++) first[i] = PSY_SQL_ERROR;
        return -1;
    }
    if (!usable(db)) {
        for (size_t i = 0; i < n; i++) first[i] = PSY_SQL_ERROR;
        fail(db, NULL);
        return -1;
    }
    int was_idle = db->idle, rc = pipeline_once(db, lead, stmts, n, tail, first);
    /* Sent twice only when nothing can have been kept: from outside a transaction, without a COMMIT,
     * and either opening one (BEGIN: nothing was committed) or only reading. */
    int reads = 1;
    for (size_t i = 0; i < n; i++) reads = reads && ((struct pg_stmt *)stmts[i])->readonly;
    int again = was_idle && !tail && (lead ? !strncasecmp(lead, "BEGIN", 5) : reads);
    if (rc && lost_idle(db, was_idle) && again && usable(db)) rc = pipeline_once(db, lead, stmts, n, tail, first);
    lost_idle(db, was_idle);
    return rc;
}

static const struct psy__db_ops pg_ops = {
    .version = PSY_DB_OPS_VERSION,
    .dialect = PSY_DB_POSTGRES,
    .close = pg_close,
    .exec = pg_exec,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .bind_int64 = pg_bind_int64,
    .bind_double = pg_bind_double,
    .bind_text = pg_bind_text,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .reset = pg_reset,
    .col_int64 = pg_col_int64,
    .col_double = pg_col_double,
    .col_text = pg_col_text,
    .col_is_null = pg_is_null,
    .changes = pg_changes,
    .copy = pg_copy,
    .settle = pg_settle,
    .pipeline = pg_pipeline,
};

struct psy__db *psy__pg_open(const char *conninfo, char *err, size_t errlen)
{
    /* the URI may set application_name; the encoding is always UTF-8 */
    static const char *const keys[] = {"application_name", "dbname", "client_encoding", NULL};
    const char *vals[] = {"psyclaim", conninfo, "UTF8", NULL};
    pthread_once(&pq_once, pq_load);
    if (pq_error[0]) {
        snprintf(err, errlen, "%s", pq_error);
        return NULL;
    }
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        const char *msg = conn ? PQerrorMessage(conn) : "out of memory";
        snprintf(err, errlen, "cannot connect: %.*s", (int)strcspn(msg, "\n"), msg);
        PQfinish(conn);
        return NULL;
    }
    PQsetNoticeProcessor(conn, quiet, NULL);
    struct pg_db *db = psy__calloc(1, sizeof *db);
    db->base.ops = &pg_ops;
    db->conn = conn;
    db->idle = 1;
    return &db->base;
}
