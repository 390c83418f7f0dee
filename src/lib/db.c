/*
 * db.c -- the SQL layer's common half: the per-store statement cache, dispatch to the backend
 * (db_sqlite.c or db_pg.c), `?` to $n rewriting, new-id inserts and multi-row batches.
 *
 * The one idea: a statement is looked up by its SQL text. The first psy__sql_prepare of a text
 * prepares it for good (server-side on PostgreSQL); psy__sql_finalize only resets it and hands it back,
 * so hot paths pay for parsing once per connection. A text that is already handed out (a nested query
 * with the same SQL) gets a private statement that finalize really frees.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_db.h"

#define CACHE_MAX 512 /* persistent statements per connection; texts beyond it are prepared per use */

void psy__db_seterr(struct psy__db *db, psy__dberr kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(db->err, sizeof db->err, fmt, ap);
    va_end(ap);
    size_t n = strlen(db->err);
    while (n && (db->err[n - 1] == '\n' || db->err[n - 1] == ' ')) db->err[--n] = 0;
    db->errkind = kind;
}

psy__dialect psy__db_dialect(psy_store *st) { return psy__store_conn(st)->ops->dialect; }
const char *psy__db_errtext(psy_store *st) { return psy__store_conn(st)->err; }
psy__dberr psy__db_errkind(psy_store *st) { return psy__store_conn(st)->errkind; }

psy_status psy__sql_exec(psy_store *st, const char *script) { return psy__store_exec(st, script); }

/* --- the statement cache ------------------------------------------------------------------------ */

static void cache_insert(struct psy__db *db, psy__stmt *s)
{
    if (db->cache_n * 2 >= db->cache_cap) {
        size_t cap = db->cache_cap ? db->cache_cap * 2 : 64;
        psy__stmt **t = psy__calloc(cap, sizeof *t);
        for (size_t i = 0; i < db->cache_cap; i++)
            for (psy__stmt *e = db->cache[i], *nx; e; e = nx) {
                nx = e->next;
                e->next = t[e->hash & (cap - 1)];
                t[e->hash & (cap - 1)] = e;
            }
        free(db->cache);
        db->cache = t;
        db->cache_cap = cap;
    }
    s->next = db->cache[s->hash & (db->cache_cap - 1)];
    db->cache[s->hash & (db->cache_cap - 1)] = s;
    db->cache_n++;
}

psy__stmt *psy__sql_prepare(psy_store *st, const char *sql)
{
    struct psy__db *db = psy__store_conn(st);
    uint64_t h = psy__hash64(sql, strlen(sql));
    int busy = 0;
    if (db->cache_cap)
        for (psy__stmt *s = db->cache[h & (db->cache_cap - 1)]; s; s = s->next)
            if (s->hash == h && strcmp(s->sql, sql) == 0) {
                if (s->in_use) {
                    busy = 1;
                    break;
                }
                s->in_use = 1;
                s->state = 0;
                return s;
            }
    int persistent = !busy && db->cache_n < CACHE_MAX;
    psy__stmt *s = db->ops->prepare(db, sql, persistent);
    if (!s) return NULL;
    s->db = db;
    s->hash = h;
    s->in_use = 1;
    s->state = 0;
    if (persistent) {
        s->sql = psy__strdup(sql);
        s->cached = 1;
        cache_insert(db, s);
    }
    return s;
}

void psy__sql_finalize(psy__stmt *s)
{
    if (!s) return;
    if (s->cached) {
        psy__sql_reset(s);
        s->in_use = 0;
        return;
    }
    s->db->ops->finalize(s);
}

void psy__db_close(struct psy__db *db)
{
    if (!db) return;
    for (size_t i = 0; i < db->cache_cap; i++)
        for (psy__stmt *e = db->cache[i], *nx; e; e = nx) {
            nx = e->next;
            free(e->sql);
            e->sql = NULL;
            db->ops->finalize(e);
        }
    free(db->cache);
    db->cache = NULL;
    db->cache_cap = db->cache_n = 0;
    db->ops->close(db);
}

/* --- running statements --------------------------------------------------------------------------- */

/* A refused bind leaves the statement failed, so its next step reports the failure. */
static int bound(psy__stmt *s, int rc)
{
    if (rc) s->state = 3;
    return rc ? -1 : 0;
}
int psy__sql_bind_int64(psy__stmt *s, int i, int64_t v) { return bound(s, s->db->ops->bind_int64(s, i, v)); }
int psy__sql_bind_double(psy__stmt *s, int i, double v) { return bound(s, s->db->ops->bind_double(s, i, v)); }
int psy__sql_bind_null(psy__stmt *s, int i) { return bound(s, s->db->ops->bind_null(s, i)); }

int psy__sql_bind_text(psy__stmt *s, int i, const char *v)
{
    return bound(s, v ? s->db->ops->bind_text(s, i, v) : s->db->ops->bind_null(s, i));
}

int psy__sql_bind_text_kept(psy__stmt *s, int i, const char *v)
{
    if (!v || !s->db->ops->bind_text_kept) return psy__sql_bind_text(s, i, v);
    return bound(s, s->db->ops->bind_text_kept(s, i, v));
}

int psy__sql_step(psy__stmt *s)
{
    if (s->state == 2) return PSY_SQL_DONE;
    if (s->state == 3) return PSY_SQL_ERROR;
    if (s->state == 4) { /* ran in a pipeline: its first row is current already */
        s->state = 1;
        return PSY_SQL_ROW;
    }
    int rc = s->db->ops->step(s);
    s->state = rc == PSY_SQL_ROW ? 1 : rc == PSY_SQL_DONE ? 2 : 3;
    return rc;
}

int64_t psy__sql_int64(psy__stmt *s, int col) { return s->db->ops->col_int64(s, col); }
double psy__sql_double(psy__stmt *s, int col) { return s->db->ops->col_double(s, col); }
const char *psy__sql_text(psy__stmt *s, int col) { return s->db->ops->col_text(s, col); }
int psy__sql_is_null(psy__stmt *s, int col) { return s->db->ops->col_is_null(s, col); }
int64_t psy__sql_changes(psy__stmt *s) { return s->db->ops->changes(s); }

void psy__sql_reset(psy__stmt *s)
{
    s->db->ops->reset(s);
    s->state = 0;
}

psy_status psy__sql_insert_id(psy_store *st, psy__stmt *s, int64_t *id)
{
    int rc = psy__sql_step(s);
    if (rc == PSY_SQL_ROW) {
        *id = psy__sql_int64(s, 0);
        while (rc == PSY_SQL_ROW) rc = psy__sql_step(s);
    } else if (rc == PSY_SQL_DONE) {
        psy__sql_reset(s);
        return psy__store_fail(st, PSY_EDB, "insert: the statement returned no id (missing RETURNING id?)");
    }
    psy_status out = rc == PSY_SQL_DONE ? PSY_OK : psy__store_dbfail(st, "insert");
    psy__sql_reset(s);
    return out;
}

/* --- placeholders ------------------------------------------------------------------------------- */

static int ident_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '$'; }

/* The end of a quoted run starting at p (a quote char), one past the closing quote. backslash: E'' */
static const char *skip_quoted(const char *p, int backslash)
{
    char q = *p++;
    for (; *p; p++) {
        if (backslash && *p == '\\' && p[1]) {
            p++;
        } else if (*p == q) {
            if (p[1] != q) return p + 1;
            p++; /* a doubled quote stands for itself */
        }
    }
    return p;
}

/* The end of a $tag$...$tag$ string starting at p, or NULL when p does not open one. */
static const char *skip_dollar(const char *p)
{
    const char *t = p + 1;
    if (isdigit((unsigned char)*t)) return NULL; /* $1: a parameter */
    while (isalnum((unsigned char)*t) || *t == '_') t++;
    if (*t != '$') return NULL;
    size_t tag = (size_t)(t - p) + 1;
    for (const char *e = t + 1; *e; e++)
        if (*e == '$' && strncmp(e, p, tag) == 0) return e + tag;
    return p + strlen(p);
}

char *psy__sql_numbered(const char *sql, int *nparams)
{
    struct psy__buf b = {0};
    int n = 0;
    const char *p = sql;
    psy__buf_put(&b, "", 0);
    while (*p) {
        const char *from = p;
        if (*p == '\'') {
            int esc = p > sql && (p[-1] == 'E' || p[-1] == 'e') && (p - 1 == sql || !ident_char(p[-2]));
            p = skip_quoted(p, esc);
        } else if (*p == '"') {
            p = skip_quoted(p, 0);
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n') p++;
        } else if (p[0] == '/' && p[1] == '*') {
            int depth = 0;
            do {
                if (p[0] == '/' && p[1] == '*') depth++, p += 2;
                else if (p[0] == '*' && p[1] == '/') depth--, p += 2;
                else p++;
            } while (*p && depth > 0);
        } else if (*p == '$' && (p == sql || !ident_char(p[-1])) && skip_dollar(p)) {
            p = skip_dollar(p);
        } else if (*p == '?') {
            psy__buf_printf(&b, "$%d", ++n);
            p++;
            continue;
        } else {
            p++;
        }
        psy__buf_put(&b, from, (size_t)(p - from));
    }
    *nparams = n;
    return b.p;
}

/* --- multi-row batches -------------------------------------------------------------------------- */

/* "COPY t (cols) FROM STDIN" for a plain multi-row insert on a backend that copies, else NULL. */
static char *copy_statement(psy_store *st, const char *head, const char *row, const char *tail)
{
    if (!psy__store_conn(st)->ops->copy || *tail || strncmp(head, "INSERT INTO ", 12)) return NULL;
    for (const char *p = row; *p; p++)
        if (!strchr("(?, )", *p)) return NULL;
    size_t n = strlen(head);
    while (n && head[n - 1] == ' ') n--;
    if (n < 6 || strncmp(head + n - 6, "VALUES", 6)) return NULL;
    const char *open = strchr(head, '('), *close = strrchr(head, ')');
    if (!open || !close || close < open || close > head + n - 6) return NULL;
    struct psy__buf q = {0};
    psy__buf_printf(&q, "COPY %.*s FROM STDIN", (int)(close + 1 - (head + 12)), head + 12);
    return q.p;
}

/* Appends v to out in COPY's text format. */
static void copy_text(struct psy__buf *out, const char *v)
{
    for (const char *p = v; *p; p++) {
        const char *rep = *p == '\\' ? "\\\\" : *p == '\t' ? "\\t" : *p == '\n' ? "\\n" : *p == '\r' ? "\\r" : NULL;
        if (rep) psy__buf_puts(out, rep);
        else psy__buf_put(out, p, 1);
    }
}

static psy_status send_copy(struct psy__batch *b)
{
    struct psy__buf data = {0};
    char num[40];
    for (size_t i = 0; i < b->nvals; i++) {
        const struct psy__batch_val *v = &b->vals[i];
        switch (v->type) {
        case 1: snprintf(num, sizeof num, "%lld", (long long)v->i); psy__buf_puts(&data, num); break;
        case 2: copy_text(&data, b->text.p + v->off); break;
        case 3: snprintf(num, sizeof num, "%.17g", v->d); psy__buf_puts(&data, num); break;
        default: psy__buf_puts(&data, "\\N"); break;
        }
        psy__buf_puts(&data, (i + 1) % (size_t)b->ncols ? "\t" : "\n");
    }
    struct psy__db *db = psy__store_conn(b->st);
    int r = db->ops->copy(db, b->copy, data.p ? data.p : "", data.n, psy__store_flat(b->st));
    psy__buf_free(&data);
    if (r) return psy__store_dbfail(b->st, "database");
    b->changes += (int64_t)b->rows;
    return PSY_OK;
}

void psy__batch_init(struct psy__batch *b, psy_store *st, const char *head, const char *row, const char *tail)
{
    memset(b, 0, sizeof *b);
    b->st = st;
    b->head = head;
    b->row = row;
    b->tail = tail ? tail : "";
    free(psy__sql_numbered(row, &b->ncols));
    /* chunks are powers of two, so a flush needs few distinct statement texts; stay far below the
     * parameter limits (32766 on SQLite, 65535 on PostgreSQL) */
    b->max_rows = 256;
    while (b->ncols && b->max_rows > 1 && b->max_rows * (size_t)b->ncols > 8192) b->max_rows /= 2;
    psy__buf_put(&b->text, "", 0);
    b->copy = copy_statement(st, head, row, b->tail);
    if (b->copy) b->max_rows = 8192;
}

static struct psy__batch_val *batch_val(struct psy__batch *b, int type)
{
    if (b->nvals == b->capvals) {
        b->capvals = b->capvals ? b->capvals * 2 : 256;
        b->vals = psy__realloc(b->vals, b->capvals * sizeof *b->vals);
    }
    struct psy__batch_val *v = &b->vals[b->nvals++];
    memset(v, 0, sizeof *v);
    v->type = type;
    return v;
}

void psy__batch_int64(struct psy__batch *b, int64_t v) { batch_val(b, 1)->i = v; }
void psy__batch_double(struct psy__batch *b, double v) { batch_val(b, 3)->d = v; }

void psy__batch_text(struct psy__batch *b, const char *v)
{
    struct psy__batch_val *bv = batch_val(b, v ? 2 : 0);
    if (!v) return;
    bv->off = b->text.n;
    psy__buf_put(&b->text, v, strlen(v) + 1);
}

psy_status psy__batch_row(struct psy__batch *b)
{
    b->rows++;
    if (b->nvals != b->rows * (size_t)b->ncols)
        return psy__store_fail(b->st, PSY_EINVAL, "batch row %zu has %zu values for %d columns", b->rows,
                               b->nvals - (b->rows - 1) * (size_t)b->ncols, b->ncols);
    return b->rows >= b->max_rows ? psy__batch_flush(b) : PSY_OK;
}

static psy_status send_chunk(struct psy__batch *b, size_t first, size_t rows)
{
    struct psy__buf sql = {0};
    psy__buf_puts(&sql, b->head);
    for (size_t r = 0; r < rows; r++) {
        psy__buf_puts(&sql, r ? ", " : " ");
        psy__buf_puts(&sql, b->row);
    }
    psy__buf_puts(&sql, " ");
    psy__buf_puts(&sql, b->tail);
    psy__stmt *s = psy__sql_prepare(b->st, sql.p);
    psy__buf_free(&sql);
    if (!s) return psy__store_dbfail(b->st, "database");
    const struct psy__batch_val *v = &b->vals[first * (size_t)b->ncols];
    for (size_t i = 0; i < rows * (size_t)b->ncols; i++) {
        int k = (int)i + 1;
        switch (v[i].type) {
        case 1: psy__sql_bind_int64(s, k, v[i].i); break;
        case 2: psy__sql_bind_text_kept(s, k, b->text.p + v[i].off); break; /* b->text lives past the step */
        case 3: psy__sql_bind_double(s, k, v[i].d); break;
        default: psy__sql_bind_null(s, k); break;
        }
    }
    psy_status rc = PSY_OK;
    if (psy__sql_step(s) == PSY_SQL_ERROR) rc = psy__store_dbfail(b->st, "database");
    else b->changes += psy__sql_changes(s);
    psy__sql_finalize(s);
    return rc;
}

psy_status psy__batch_settle(psy_store *st)
{
    struct psy__db *db = psy__store_conn(st);
    return db->ops->settle && db->ops->settle(db) ? psy__store_dbfail(st, "database") : PSY_OK;
}

psy_status psy__batch_flush(struct psy__batch *b)
{
    psy_status rc = PSY_OK;
    if (b->copy && b->rows) rc = send_copy(b);
    for (size_t done = 0, chunk = b->max_rows; !b->copy && !rc && done < b->rows; done += chunk) {
        while (chunk > b->rows - done) chunk /= 2;
        rc = send_chunk(b, done, chunk);
    }
    b->rows = b->nvals = 0;
    b->text.n = 0;
    psy__buf_put(&b->text, "", 0);
    b->flushes++;
    return rc;
}

void psy__batch_free(struct psy__batch *b)
{
    free(b->copy);
    free(b->vals);
    psy__buf_free(&b->text);
    memset(b, 0, sizeof *b);
}

/* --- the query API -------------------------------------------------------------------------------- */

int psy__sql_bind_args(psy__stmt *s, int first, const psy__arg *a, int n)
{
    for (int k = 0; k < n; k++) {
        int rc;
        switch (a[k].type) {
        case PSY__ARG_INT: rc = psy__sql_bind_int64(s, first + k, a[k].i); break;
        case PSY__ARG_REAL: rc = psy__sql_bind_double(s, first + k, a[k].d); break;
        case PSY__ARG_TEXT: rc = psy__sql_bind_text(s, first + k, a[k].s); break;
        default: rc = psy__sql_bind_null(s, first + k); break;
        }
        if (rc) return rc;
    }
    return 0;
}

psy__stmt *psy__db_stmt(psy_store *st, const char *sql, const psy__arg *a, int n)
{
    psy__stmt *s = psy__sql_prepare(st, sql);
    if (s && psy__sql_bind_args(s, 1, a, n)) {
        psy__sql_finalize(s);
        s = NULL;
    }
    return s;
}

psy_status psy__db_pipeline_with(psy_store *st, const char *lead, psy__stmt **s, size_t n, const char *tail)
{
    struct psy__db *db = psy__store_conn(st);
    int stack[16], *first = n <= 16 ? stack : psy__calloc(n, sizeof *first);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        first[i] = PSY_SQL_ERROR;
        if (s[i]->state == 3) rc = -1; /* a refused bind: its failure is recorded; nothing is sent */
    }
    if (!rc && db->ops->pipeline) {
        rc = db->ops->pipeline(db, lead, s, n, tail, first);
    } else if (!rc) {
        if (lead && db->ops->exec(db, lead)) rc = -1;
        for (size_t i = 0; i < n; i++)
            if ((first[i] = rc ? PSY_SQL_ERROR : db->ops->step(s[i])) == PSY_SQL_ERROR) rc = -1;
        if (!rc && tail && db->ops->exec(db, tail)) rc = -1;
    }
    for (size_t i = 0; i < n; i++)
        s[i]->state = first[i] == PSY_SQL_ROW ? 4 : first[i] == PSY_SQL_DONE ? 2 : 3;
    if (first != stack) free(first);
    return rc ? psy__store_dbfail(st, "database") : PSY_OK;
}

psy_status psy__db_pipeline(psy_store *st, psy__stmt **s, size_t n) { return psy__db_pipeline_with(st, NULL, s, n, NULL); }

psy_status psy__db_query(psy_store *st, psy__stmt **out, const char *sql, const psy__arg *a, int n)
{
    *out = psy__db_stmt(st, sql, a, n);
    return *out ? PSY_OK : psy__store_dbfail(st, "database");
}

psy_status psy__db_run(psy_store *st, int64_t *changes, const char *sql, const psy__arg *a, int n)
{
    psy__stmt *s;
    if (changes) *changes = 0;
    psy_status rc = psy__db_query(st, &s, sql, a, n);
    if (rc) return rc;
    if (psy__sql_step(s) == PSY_SQL_ERROR) rc = psy__store_dbfail(st, "database");
    else if (changes) *changes = psy__sql_changes(s);
    psy__sql_finalize(s);
    return rc;
}

psy_status psy__db_insert(psy_store *st, int64_t *id, const char *sql, const psy__arg *a, int n)
{
    struct psy__buf q = {0};
    psy__stmt *s;
    int64_t newid = 0;
    psy__buf_printf(&q, "%s RETURNING id", sql);
    psy_status rc = psy__db_query(st, &s, q.p, a, n);
    psy__buf_free(&q);
    if (rc) return rc;
    rc = psy__sql_insert_id(st, s, &newid);
    psy__sql_finalize(s);
    if (!rc) *id = newid;
    return rc;
}

/* Steps s once: PSY_OK on a row, PSY_ENOTFOUND when there is none, else the recorded failure. */
static psy_status first_row(psy_store *st, psy__stmt *s)
{
    int r = psy__sql_step(s);
    return r == PSY_SQL_ROW ? PSY_OK : r == PSY_SQL_DONE ? PSY_ENOTFOUND : psy__store_dbfail(st, "database");
}

psy_status psy__db_int(psy_store *st, int64_t *out, const char *sql, const psy__arg *a, int n)
{
    psy__stmt *s;
    psy_status rc = psy__db_query(st, &s, sql, a, n);
    if (rc) return rc;
    rc = first_row(st, s);
    if (!rc) *out = psy__sql_int64(s, 0);
    psy__sql_finalize(s);
    return rc;
}

psy_status psy__db_text(psy_store *st, char *dst, size_t len, const char *sql, const psy__arg *a, int n)
{
    psy__stmt *s;
    psy_status rc = psy__db_query(st, &s, sql, a, n);
    if (rc) return rc;
    rc = first_row(st, s);
    if (!rc) psy__db_col_copy(s, 0, dst, len);
    psy__sql_finalize(s);
    return rc;
}

psy_status psy__db_ints(psy_store *st, int64_t **out, size_t *n_out, const char *sql, const psy__arg *a, int n)
{
    psy__stmt *s;
    size_t cap = 0;
    int r;
    *out = NULL;
    *n_out = 0;
    psy_status rc = psy__db_query(st, &s, sql, a, n);
    if (rc) return rc;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) *PSY__PUSH(*out, *n_out, cap) = psy__sql_int64(s, 0);
    if (r != PSY_SQL_DONE) {
        rc = psy__store_dbfail(st, "database");
        free(*out);
        *out = NULL;
        *n_out = 0;
    }
    psy__sql_finalize(s);
    return rc;
}

psy_status psy__db_reserve_ids(psy_store *st, const char *table, size_t n, int64_t *ids)
{
    if (!n) return PSY_OK;
    if (psy__db_dialect(st) == PSY_DB_POSTGRES) {
        int64_t *got = NULL;
        size_t k = 0;
        /* the sequence is looked up once (OFFSET 0 keeps the subquery whole): named in nextval's argument it
         * was looked up for every id, 4 us each against 0.5 */
        psy_status rc = psy__db_ints(st, &got, &k,
                                     "SELECT nextval(q.seq) FROM (SELECT CAST(pg_get_serial_sequence(?, 'id') AS "
                                     "regclass) AS seq OFFSET 0) q, generate_series(1, CAST(? AS INTEGER)) ORDER BY 1",
                                     PSY_ARGS(PSY_TEXT(table), PSY_INT((long long)n)));
        if (!rc && k != n) rc = psy__store_fail(st, PSY_EDB, "%s: no ids for new rows", table);
        for (size_t i = 0; !rc && i < n; i++) ids[i] = got[i];
        free(got);
        return rc;
    }
    char sql[96];
    int64_t top = 0;
    snprintf(sql, sizeof sql, "SELECT COALESCE(max(id), 0) FROM %s", table);
    psy_status rc = psy__db_int(st, &top, sql, PSY_NOARGS);
    for (size_t i = 0; !rc && i < n; i++) ids[i] = top + 1 + (int64_t)i;
    return rc;
}

void psy__db_col_copy(psy__stmt *s, int col, char *dst, size_t len)
{
    psy__copy(dst, len, psy__sql_text(s, col));
}

char *psy__db_col_dup(psy__stmt *s, int col)
{
    const char *t = psy__sql_text(s, col);
    return psy__strdup(t ? t : "");
}

void psy__db_read(psy__stmt *s, const struct psy__map *m, void *item)
{
    unsigned char *base = item;
    for (size_t i = 0; i < m->n; i++) {
        const struct psy__col *c = &m->cols[i];
        void *dst = base + c->off;
        int col = (int)i;
        switch (c->kind) {
        case 'i': *(int64_t *)dst = psy__sql_int64(s, col); break;
        case 'c': *(long long *)dst = (long long)psy__sql_int64(s, col); break;
        case 'd': *(int *)dst = (int)psy__sql_int64(s, col); break;
        case 'l': *(long *)dst = (long)psy__sql_int64(s, col); break;
        case 'f': *(double *)dst = psy__sql_double(s, col); break;
        case 's': psy__db_col_copy(s, col, dst, c->size); break;
        case 'S': *(char **)dst = psy__db_col_dup(s, col); break;
        default: *(char **)dst = psy__sql_is_null(s, col) ? NULL : psy__db_col_dup(s, col); break;
        }
    }
}

psy_status psy__db_map_query(psy_store *st, psy__stmt **s, const struct psy__map *m, const char *rest,
                            const psy__arg *a, int n)
{
    struct psy__buf sql = {0};
    psy__buf_puts(&sql, "SELECT ");
    for (size_t i = 0; i < m->n; i++) psy__buf_printf(&sql, "%s%s", i ? ", " : "", m->cols[i].expr);
    psy__buf_printf(&sql, " %s", rest);
    psy_status rc = psy__db_query(st, s, sql.p, a, n);
    psy__buf_free(&sql);
    return rc;
}

psy_status psy__db_row(psy_store *st, void *item, const struct psy__map *m, const char *rest, const psy__arg *a, int n)
{
    psy__stmt *s;
    psy_status rc = psy__db_map_query(st, &s, m, rest, a, n);
    if (rc) return rc;
    rc = first_row(st, s);
    if (!rc) psy__db_read(s, m, item);
    psy__sql_finalize(s);
    return rc;
}

psy_status psy__db_rows(psy_store *st, void **out, size_t *n_out, size_t size, const struct psy__map *m,
                        const char *rest, const psy__arg *a, int n)
{
    psy__stmt *s;
    size_t cap = 0;
    int r;
    *out = NULL;
    *n_out = 0;
    psy_status rc = psy__db_map_query(st, &s, m, rest, a, n);
    if (rc) return rc;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        *out = psy__db_grow(*out, n_out, &cap, size);
        psy__db_read(s, m, (unsigned char *)*out + (*n_out - 1) * size);
    }
    if (r != PSY_SQL_DONE) rc = psy__store_dbfail(st, "database");
    psy__sql_finalize(s);
    return rc;
}

void *psy__db_grow(void *v, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) v = psy__realloc(v, (*cap = *cap ? *cap * 2 : 16) * size);
    memset((unsigned char *)v + *n * size, 0, size);
    (*n)++;
    return v;
}

/* --- WHERE from the filters given ---------------------------------------------------------------- */

static void query_args(struct psy__query *q, const psy__arg *a, int n)
{
    if (q->n + n > PSY__QUERY_ARGS) abort(); /* a programming error: raise PSY__QUERY_ARGS */
    for (int k = 0; k < n; k++) q->args[q->n++] = a[k];
}

void psy__query_init(struct psy__query *q, const char *head, const psy__arg *a, int n)
{
    memset(q, 0, sizeof *q);
    psy__buf_puts(&q->sql, head);
    query_args(q, a, n);
}

void psy__query_where_n(struct psy__query *q, const char *cond, const psy__arg *a, int n)
{
    psy__buf_printf(&q->sql, " %s (%s)", q->nwhere++ ? "AND" : "WHERE", cond);
    query_args(q, a, n);
}

void psy__query_where(struct psy__query *q, const char *cond, psy__arg a) { psy__query_where_n(q, cond, &a, 1); }

void psy__query_sql(struct psy__query *q, const char *text) { psy__buf_puts(&q->sql, text); }

void psy__query_sql_n(struct psy__query *q, const char *text, const psy__arg *a, int n)
{
    psy__buf_puts(&q->sql, text);
    query_args(q, a, n);
}

void psy__query_free(struct psy__query *q) { psy__buf_free(&q->sql); }

/* --- keyset paging ------------------------------------------------------------------------------ */

/* A cursor reads "p<id>.<key as hex>": the last row's id and sort key. */
static int cursor_read(const char *c, int64_t *id, char *key, size_t keylen)
{
    char *end;
    if (c[0] != 'p' || !isdigit((unsigned char)c[1])) return -1;
    long long v = strtoll(c + 1, &end, 10);
    if (*end != '.' || v < 0) return -1;
    *id = v;
    const char *h = end + 1;
    size_t n = strlen(h);
    if (n % 2 || n / 2 >= keylen) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned x;
        if (!isxdigit((unsigned char)h[2 * i]) || !isxdigit((unsigned char)h[2 * i + 1]) ||
            sscanf(h + 2 * i, "%2x", &x) != 1 || !x)
            return -1;
        key[i] = (char)x;
    }
    key[n / 2] = 0;
    return 0;
}

int psy__page_limit(const struct psy_page *pg)
{
    return pg->limit <= 0 ? PSY_PAGE_DEFAULT : pg->limit > PSY_PAGE_MAX ? PSY_PAGE_MAX : pg->limit;
}

psy_status psy__page_cursor(psy_store *st, struct psy_page *pg, int keyed, int64_t *last)
{
    *last = -1;
    pg->after_key[0] = 0;
    if (!pg->cursor || !*pg->cursor) return PSY_OK;
    if (strlen(pg->cursor) >= PSY_CURSOR_MAX || cursor_read(pg->cursor, last, pg->after_key, sizeof pg->after_key) ||
        (!keyed && pg->after_key[0])) {
        *last = -1;
        pg->after_key[0] = 0;
        return psy__store_fail(st, PSY_EINVAL, "cursor: not a cursor this list gave");
    }
    return PSY_OK;
}

psy_status psy__page_after(psy_store *st, struct psy__query *q, struct psy_page *pg, const char *key,
                           const char *id, int desc)
{
    if (!pg->cursor || !*pg->cursor) return PSY_OK;
    char *k = pg->after_key, cond[256];
    int64_t last;
    psy_status rc = psy__page_cursor(st, pg, key != NULL, &last);
    if (rc) return rc;
    if (key) {
        snprintf(cond, sizeof cond, "(%s, %s) %s (?, ?)", key, id, desc ? "<" : ">");
        psy__query_where_n(q, cond, PSY_ARGS(PSY_TEXT(k), PSY_INT(last)));
    } else {
        snprintf(cond, sizeof cond, "%s %s ?", id, desc ? "<" : ">");
        psy__query_where(q, cond, PSY_INT(last));
    }
    return PSY_OK;
}

void psy__page_order(struct psy__query *q, const struct psy_page *pg, const char *key, const char *id, int desc)
{
    const char *dir = desc ? " DESC" : "";
    if (key) psy__buf_printf(&q->sql, " ORDER BY %s%s, %s%s", key, dir, id, dir);
    else psy__buf_printf(&q->sql, " ORDER BY %s%s", id, dir);
    psy__buf_printf(&q->sql, " LIMIT %d", psy__page_limit(pg) + 1);
}

size_t psy__page_done(struct psy_page *pg, size_t n, const char *key, int64_t id)
{
    size_t lim = (size_t)psy__page_limit(pg);
    pg->next_cursor[0] = 0;
    if (n <= lim) return n;
    int k = snprintf(pg->next_cursor, sizeof pg->next_cursor, "p%lld.", (long long)id);
    for (const char *c = key ? key : ""; *c && k + 3 < (int)sizeof pg->next_cursor; c++)
        k += snprintf(pg->next_cursor + k, sizeof pg->next_cursor - (size_t)k, "%02x", (unsigned char)*c);
    return lim;
}

psy_status psy__page_total(psy_store *st, struct psy_page *pg, const struct psy__query *count)
{
    int64_t n = 0;
    psy_status rc = psy__db_int(st, &n, count->sql.p, count->args, count->n);
    pg->total = (long long)n;
    return rc;
}

int psy__like_pattern(const char *q, char pat[PSY__LIKE_MAX])
{
    size_t k = 0;
    while (q && isspace((unsigned char)*q)) q++;
    if (!q || !*q) return 0;
    pat[k++] = '%';
    for (; *q && k + 3 < PSY__LIKE_MAX; q++) {
        char c = (char)tolower((unsigned char)*q);
        if (c == '%' || c == '_' || c == '\\') pat[k++] = '\\';
        pat[k++] = c;
    }
    while (k > 1 && isspace((unsigned char)pat[k - 1])) k--;
    pat[k++] = '%';
    pat[k] = 0;
    return 1;
}

/* The counts of paged lists, by query and arguments, with the list version each was computed at. */
#define PAGE_CACHE_SLOTS 32
struct page_cache {
    struct {
        char *key;
        int64_t version, top;
        long long total;
    } e[PAGE_CACHE_SLOTS];
    unsigned next;
};

void psy__page_cache_free(void *cache)
{
    struct page_cache *c = cache;
    if (!c) return;
    for (int i = 0; i < PAGE_CACHE_SLOTS; i++) free(c->e[i].key);
    free(c);
}

/* The query's SQL and arguments as one text. */
static void count_key(const struct psy__query *q, struct psy__buf *b)
{
    psy__buf_puts(b, q->sql.p);
    for (int i = 0; i < q->n; i++) {
        const psy__arg *a = &q->args[i];
        if (a->type == PSY__ARG_INT) psy__buf_printf(b, "\x1fi%lld", (long long)a->i);
        else if (a->type == PSY__ARG_TEXT) psy__buf_printf(b, "\x1ft%s", a->s);
        else if (a->type == PSY__ARG_REAL) psy__buf_printf(b, "\x1f" "f%.17g", a->d);
        else psy__buf_puts(b, "\x1fn");
    }
}

psy_status psy__page_total_cached(psy_store *st, struct psy_page *pg, const struct psy__query *count,
                                  const char *list)
{
    /* the list's version and the table's highest id, read together: on SQLite no trigger raises the
     * version for each row written (it cost the claims build a tenth to a fifth of its claim writes; migration
     * 0028), and there a new row always takes an id above every committed one (one writer at a time), so
     * the pair changes with every insert as the version does with every other change */
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT (SELECT version FROM list_version WHERE name = ?), (SELECT COALESCE(max(id), 0) FROM %s)", list);
    psy__stmt *s = psy__db_stmt(st, sql, PSY_ARGS(PSY_TEXT(list)));
    int64_t version = 0, top = 0;
    int got = s && psy__sql_step(s) == PSY_SQL_ROW && !psy__sql_is_null(s, 0);
    if (got) {
        version = psy__sql_int64(s, 0);
        top = psy__sql_int64(s, 1);
    }
    psy__sql_finalize(s);
    if (!got) return psy__page_total(st, pg, count);
    void **slot = psy__store_page_cache(st);
    struct page_cache *c = *slot;
    if (!c) *slot = c = psy__calloc(1, sizeof *c);
    struct psy__buf key = {0};
    count_key(count, &key);
    for (int i = 0; i < PAGE_CACHE_SLOTS; i++)
        if (c->e[i].key && c->e[i].version == version && c->e[i].top == top && !strcmp(c->e[i].key, key.p)) {
            pg->total = c->e[i].total;
            psy__buf_free(&key);
            return PSY_OK;
        }
    psy_status rc = psy__page_total(st, pg, count);
    if (rc) {
        psy__buf_free(&key);
        return rc;
    }
    unsigned k = c->next++ % PAGE_CACHE_SLOTS;
    free(c->e[k].key);
    c->e[k].key = key.p; /* taken */
    c->e[k].version = version;
    c->e[k].top = top;
    c->e[k].total = pg->total;
    return PSY_OK;
}
