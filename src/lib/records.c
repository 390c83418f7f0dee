/*
 * records.c -- the common ground of the records modules: statement helpers, field validation, dates
 * and instants, the change history, batches, and the practice and clinician records.
 *
 * The one idea: a write is validate-then-store inside one transaction (a savepoint inside a batch).
 * Validation reads only; when it fails nothing has been written and the error names the field. Every
 * update of a mutable row is limited to the caller's practice and to the version the caller read, in the
 * UPDATE itself (so two connections racing for a row cannot both win), bumps the version, and appends
 * to record_history the earlier values of the columns it changed, so any version can be rebuilt. SQL
 * goes through the SQL layer (psy_db.h) and runs unchanged on SQLite and PostgreSQL.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "records_int.h"

/* The column holding a row's practice: the practice row is its own. */
static const char *tenant_column(const char *table) { return strcmp(table, "practice") ? "practice_id" : "id"; }

/* --- statements ------------------------------------------------------------------------------------ */

psy_status psy__rec_update(psy_store *st, const char *table, psy_id practice, psy_id id, int version, const char *set,
                           const psy__arg *args, int n)
{
    struct psy__buf q = {0};
    psy__stmt *s;
    int64_t changes = 0;
    psy__buf_printf(&q, "UPDATE %s SET %s, version = version + 1 WHERE id = ? AND %s = ? AND version = ?", table, set,
                    tenant_column(table));
    psy_status rc = psy__db_query(st, &s, q.p, args, n);
    psy__buf_free(&q);
    if (rc) return rc;
    if (psy__sql_bind_args(s, n + 1, PSY_ARGS(PSY_INT(id), PSY_INT(practice), PSY_INT(version))) ||
        psy__sql_step(s) == PSY_SQL_ERROR)
        rc = psy__store_dbfail(st, "database");
    else changes = psy__sql_changes(s);
    psy__sql_finalize(s);
    if (!rc && changes != 1)
        rc = psy__store_fail(st, PSY_ECONFLICT, "version: %s %lld changed since it was read (version %d is gone)",
                             table, (long long)id, version);
    return rc;
}

psy_status psy__rec_get(psy_store *st, void *item, const struct psy__map *m, const char *what, psy_id id,
                        const char *rest, const psy__arg *args, int n)
{
    psy_status rc = psy__db_row(st, item, m, rest, args, n);
    if (rc == PSY_ENOTFOUND)
        rc = psy__store_fail(st, PSY_ENOTFOUND, "id: no %s %lld in this practice", what, (long long)id);
    return rc;
}

psy_status psy__rec_end(psy_store *st, psy_status rc)
{
    if (rc) {
        psy__store_rollback(st);
        return rc;
    }
    return psy__store_commit(st);
}

psy_status psy_records_batch_begin(psy_store *st) { return psy__store_begin(st); }

psy_status psy_records_batch_end(psy_store *st, int commit)
{
    if (!psy__store_in_transaction(st)) return psy__store_fail(st, PSY_EINVAL, "batch: no batch is open");
    if (!commit) {
        psy__store_rollback(st);
        return PSY_OK;
    }
    return psy__store_commit(st);
}

psy_status psy__rec_write_one(psy_store *st, psy_id practice, const char *table, psy_id id, int version,
                              const char *action, psy_id actor, psy__rec_write fn, const void *rec, psy_id *out_id)
{
    json_t *before = NULL;
    psy_id newid = id;
    psy_status rc = psy__store_begin(st);
    if (rc) return rc;
    if (id) rc = psy__rec_check_version(st, table, practice, id, version, &before);
    else if (strcmp(table, "practice") != 0) rc = psy__rec_ref(st, "practice", "practice", practice, practice, 0);
    if (!rc) rc = fn(st, practice, rec, &newid, version);
    if (!rc) {
        rc = psy__rec_history(st, practice ? practice : newid, table, newid, action, actor, before);
        before = NULL;
    }
    json_decref(before);
    if (!rc && out_id) *out_id = newid;
    return psy__rec_end(st, rc);
}

psy_status psy__rec_write_current(psy_store *st, psy_id practice, const char *table, psy_id id, const char *action,
                                  psy_id actor, psy__rec_write fn, const void *rec)
{
    int version;
    psy_status rc = psy__rec_version(st, table, practice, id, &version);
    if (rc) return rc;
    return psy__rec_write_one(st, practice, table, id, version, action, actor, fn, rec, NULL);
}

psy_status psy__rec_put_list(psy_store *st, const char *table, const char *parent_col, const char *value_col,
                             psy_id practice, psy_id parent, int n, const char *const *vals, int positioned)
{
    char sql[200];
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE practice_id = ? AND %s = ?", table, parent_col);
    psy_status rc = psy__db_run(st, NULL, sql, PSY_ARGS(PSY_INT(practice), PSY_INT(parent)));
    snprintf(sql, sizeof sql, "INSERT INTO %s (practice_id, %s, %s%s) VALUES (?, ?, ?%s)", table, parent_col, value_col,
             positioned ? ", position" : "", positioned ? ", ?" : "");
    for (int i = 0; !rc && i < n; i++) {
        const psy__arg row[] = {PSY_INT(practice), PSY_INT(parent), PSY_TEXT_OR_EMPTY(vals[i]), PSY_INT(i + 1)};
        rc = psy__db_run(st, NULL, sql, row, positioned ? 4 : 3); /* the position only where there is one */
    }
    return rc;
}

psy_status psy__rec_version(psy_store *st, const char *table, psy_id practice, psy_id id, int *version)
{
    char sql[128];
    int64_t v;
    snprintf(sql, sizeof sql, "SELECT version FROM %s WHERE id = ? AND %s = ?", table, tenant_column(table));
    psy_status rc = psy__db_int(st, &v, sql, PSY_ARGS(PSY_INT(id), PSY_INT(practice)));
    if (rc == PSY_ENOTFOUND) return psy__store_fail(st, rc, "id: no %s %lld in this practice", table, (long long)id);
    *version = (int)v;
    return rc;
}

/* --- validation ------------------------------------------------------------------------------------ */

psy_status psy__rec_bad(psy_store *st, const char *field, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return psy__store_fail(st, PSY_EINVAL, "%s: %s", field, msg);
}

psy_status psy__rec_text(psy_store *st, const char *field, const char *v, size_t max, int flags)
{
    size_t n = v ? strlen(v) : 0;
    if (n == 0) return (flags & PSY__REQ) ? psy__rec_bad(st, field, "required") : PSY_OK;
    if (n > max) return psy__rec_bad(st, field, "longer than %zu bytes", max);
    if (!psy__utf8_valid(v, n)) return psy__rec_bad(st, field, "not valid UTF-8");
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 && !((flags & PSY__MULTILINE) && (*p == '\n' || *p == '\t' || *p == '\r')))
            return psy__rec_bad(st, field, "control character");
    const char *q = v;
    while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r') q++;
    if (!*q && (flags & PSY__REQ)) return psy__rec_bad(st, field, "required");
    return PSY_OK;
}

static int digits_at(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* Parses the YYYY-MM-DD at s (the first 10 characters; what follows is the caller's), a real date in
 * the records' years 1900-2199. */
static int parse_ymd(const char *s, struct psy_date *d)
{
    char ten[PSY_DATE_MAX];
    if (strnlen(s, 10) < 10) return 0;
    memcpy(ten, s, 10);
    ten[10] = 0;
    return psy_date_parse(ten, d) && d->year <= 2199;
}

int psy_records_date_valid(const char *date)
{
    struct psy_date d;
    return date && strlen(date) == 10 && parse_ymd(date, &d);
}

psy_status psy__rec_date(psy_store *st, const char *field, const char *v, int required)
{
    if (!v || !*v) return required ? psy__rec_bad(st, field, "required") : PSY_OK;
    if (!psy_records_date_valid(v)) return psy__rec_bad(st, field, "not a date (YYYY-MM-DD)");
    return PSY_OK;
}

psy_status psy__rec_oneof(psy_store *st, const char *field, const char *v, const char *const *options)
{
    char list[200] = "";
    for (size_t i = 0; options[i]; i++) {
        if (v && strcmp(v, options[i]) == 0) return PSY_OK;
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", options[i]);
    }
    if (!v || !*v) return psy__rec_bad(st, field, "required (%s)", list);
    return psy__rec_bad(st, field, "must be one of %s", list);
}

int psy_records_npi_valid(const char *npi)
{
    if (!npi || strlen(npi) != 10 || (npi[0] != '1' && npi[0] != '2')) return 0;
    int sum = 24; /* the digits of the 80840 prefix, doubled as the rule says */
    for (int i = 8; i >= 0; i--) {
        if (!isdigit((unsigned char)npi[i])) return 0;
        int dgt = npi[i] - '0';
        if ((8 - i) % 2 == 0) { /* rightmost base digit and every second one to its left */
            dgt *= 2;
            if (dgt > 9) dgt -= 9;
        }
        sum += dgt;
    }
    if (!isdigit((unsigned char)npi[9])) return 0;
    return (10 - sum % 10) % 10 == npi[9] - '0';
}

psy_status psy__rec_npi(psy_store *st, const char *field, const char *v)
{
    if (!v || !*v) return psy__rec_bad(st, field, "required");
    if (strlen(v) != 10) return psy__rec_bad(st, field, "must be 10 digits");
    for (const char *p = v; *p; p++)
        if (!isdigit((unsigned char)*p)) return psy__rec_bad(st, field, "must be 10 digits");
    if (v[0] != '1' && v[0] != '2') return psy__rec_bad(st, field, "must start with 1 or 2");
    if (!psy_records_npi_valid(v)) return psy__rec_bad(st, field, "check digit does not match (Luhn)");
    return PSY_OK;
}

psy_status psy__rec_digits(psy_store *st, const char *field, const char *v, const int *lengths, char *out,
                           size_t outlen, int required)
{
    size_t n = 0;
    out[0] = 0;
    if (!v || !*v) return required ? psy__rec_bad(st, field, "required") : PSY_OK;
    for (const char *p = v; *p; p++) {
        if (isdigit((unsigned char)*p)) {
            if (n + 1 >= outlen) return psy__rec_bad(st, field, "too many digits");
            out[n++] = *p;
        } else if ((*p != '-' && *p != ' ') || p == v) {
            return psy__rec_bad(st, field, "digits only");
        }
    }
    out[n] = 0;
    char list[40] = "";
    for (size_t i = 0; lengths[i]; i++) {
        if ((size_t)lengths[i] == n) return PSY_OK;
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%d", i ? " or " : "", lengths[i]);
    }
    return psy__rec_bad(st, field, "must have %s digits", list);
}

psy_status psy__rec_dx(psy_store *st, const char *field, int n, const char (*dx)[PSY_CODE_MAX],
                       char (*out)[PSY_CODE_MAX], const char *date)
{
    char f[48];
    if (n < 0 || n > PSY_REC_DX_MAX) return psy__rec_bad(st, field, "at most %d diagnoses", PSY_REC_DX_MAX);
    for (int i = 0; i < n; i++) {
        snprintf(f, sizeof f, "%s[%d]", field, i);
        struct psy_code c;
        char norm[PSY_CODE_MAX];
        if (psy_catalog_normalize(PSY_SYS_ICD10CM, dx[i], norm)) return psy__rec_bad(st, f, "not an ICD-10-CM code");
        psy_status rc = psy_catalog_get(st, PSY_SYS_ICD10CM, norm, &c);
        if (rc == PSY_ENOTFOUND) return psy__rec_bad(st, f, "not in the ICD-10-CM catalog");
        if (rc) return rc;
        int billable = c.billable, ended = *c.terminated && date && *date && strcmp(c.terminated, date) < 0;
        psy_code_clear(&c);
        /* the code is not repeated: with a client it is patient data */
        if (!billable) return psy__rec_bad(st, f, "a category, not a billable code: pick a subcode");
        if (ended) return psy__rec_bad(st, f, "no longer valid on that date");
        for (int j = 0; j < i; j++)
            if (strcmp(out[j], norm) == 0) return psy__rec_bad(st, f, "listed twice");
        memcpy(out[i], norm, PSY_CODE_MAX);
    }
    return PSY_OK;
}

psy_status psy__rec_proc_code(psy_store *st, const char *field, const char *code, char out[PSY_CODE_MAX])
{
    struct psy_code c;
    psy_system sys = PSY_SYS_CPT;
    if (psy_catalog_normalize(sys, code, out)) {
        sys = PSY_SYS_HCPCS;
        if (psy_catalog_normalize(sys, code, out)) return psy__rec_bad(st, field, "not a CPT or HCPCS code");
    }
    psy_status rc = psy_catalog_get(st, sys, out, &c);
    if (rc == PSY_ENOTFOUND) return psy__rec_bad(st, field, "%s is not in the catalog", out);
    if (rc) return rc;
    int billable = c.billable;
    psy_code_clear(&c);
    return billable ? PSY_OK : psy__rec_bad(st, field, "%s is not billable", out);
}

/* table is always one of the schema's names, never taken from input. */
psy_status psy__rec_ref(psy_store *st, const char *field, const char *table, psy_id practice, psy_id id,
                        int active_only)
{
    char sql[160];
    int64_t active = 0;
    if (id <= 0) return psy__rec_bad(st, field, "required");
    snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE id = ? AND %s = ?", active_only ? "active" : "1", table,
             tenant_column(table));
    psy_status rc = psy__db_int(st, &active, sql, PSY_ARGS(PSY_INT(id), PSY_INT(practice)));
    if (rc == PSY_ENOTFOUND) return psy__rec_bad(st, field, "no %s %lld in this practice", table, (long long)id);
    if (rc) return rc;
    return active ? PSY_OK : psy__rec_bad(st, field, "%s %lld is inactive", table, (long long)id);
}

/* --- time ---------------------------------------------------------------------------------------- */

int64_t psy__rec_day_number(const char *date)
{
    struct psy_date d;
    if (!date || !parse_ymd(date, &d)) return INT64_MIN;
    return psy_date_to_days(d);
}

void psy__rec_date_add(const char *date, int days, char out[PSY_DATE_MAX])
{
    struct psy_date d;
    out[0] = 0;
    if (date && parse_ymd(date, &d)) psy_date_format(psy_date_from_days(psy_date_to_days(d) + days), out);
}

static void format_utc(int64_t t, char out[PSY_REC_TIME_MAX])
{
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400, sec = t - days * 86400;
    char tmp[80];
    struct psy_date d = psy_date_from_days(days);
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02dZ", d.year, d.month, d.day, (int)(sec / 3600),
             (int)(sec / 60 % 60),
             (int)(sec % 60));
    snprintf(out, PSY_REC_TIME_MAX, "%.20s", tmp);
}

void psy__rec_now(char out[PSY_REC_TIME_MAX]) { format_utc((int64_t)time(NULL), out); }

void psy__rec_today(char out[PSY_DATE_MAX])
{
    char now[PSY_REC_TIME_MAX];
    psy__rec_now(now);
    memcpy(out, now, 10);
    out[10] = 0;
}

/* Parses an instant with an optional seconds part and a Z or +/-HH:MM offset into epoch seconds. */
static int parse_instant(const char *s, int64_t *out)
{
    struct psy_date day;
    int h, mi, sec = 0, oh = 0, om = 0, sign = 0;
    if (!s || strlen(s) < 17 || !parse_ymd(s, &day) || (s[10] != 'T' && s[10] != ' ')) return 0;
    const char *p = s + 11;
    if (!digits_at(p, 2, &h) || p[2] != ':' || !digits_at(p + 3, 2, &mi)) return 0;
    p += 5;
    if (*p == ':') {
        if (!digits_at(p + 1, 2, &sec)) return 0;
        p += 3;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        if (!digits_at(p + 1, 2, &oh) || p[3] != ':' || !digits_at(p + 4, 2, &om) || oh > 14 || om > 59) return 0;
        p += 6;
    } else {
        return 0;
    }
    if (*p || h > 23 || mi > 59 || sec > 59) return 0;
    *out = psy_date_to_days(day) * 86400 + h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
    return 1;
}

psy_status psy_records_time_utc(const char *in, char out[PSY_REC_TIME_MAX])
{
    int64_t t;
    out[0] = 0;
    if (!parse_instant(in, &t)) return PSY_EINVAL;
    format_utc(t, out);
    return PSY_OK;
}

int psy__rec_epoch(const char *utc, int64_t *out) { return parse_instant(utc, out) ? 0 : -1; }

/* --- history ---------------------------------------------------------------------------------------- */

/* The columns of a table in order, with whether each is an integer column: read once per process and
 * dialect from the schema catalog (every store is migrated to the same schema when it opens), so a row
 * reads the same on both backends (values travel as text on PostgreSQL). */
struct table_cols {
    psy__dialect dialect;
    char table[32];
    char cols[1024]; /* "a, b, c" */
    unsigned char isint[64];
    int n;
};

static psy_status read_columns(psy_store *st, const char *table, struct table_cols *t)
{
    psy__stmt *s;
    struct psy__buf cols = {0};
    psy_status rc = psy__db_query(st, &s,
                                  psy__db_dialect(st) == PSY_DB_SQLITE
                                      ? "SELECT name, type FROM pragma_table_info(?) ORDER BY cid"
                                      : "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                                        "WHERE attrelid = to_regclass(CAST(? AS TEXT)) AND attnum > 0 "
                                        "AND NOT attisdropped ORDER BY attnum",
                                  PSY_ARGS(PSY_TEXT_OR_EMPTY(table)));
    if (rc) return rc;
    int r;
    t->n = 0;
    psy__buf_puts(&cols, "");
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW && t->n < 64) {
        const char *name = psy__sql_text(s, 0), *type = psy__sql_text(s, 1);
        char up[32] = "";
        for (size_t i = 0; type && type[i] && i + 1 < sizeof up; i++) up[i] = (char)toupper((unsigned char)type[i]);
        t->isint[t->n] = strstr(up, "INT") != NULL; /* SQLite's rule for integer affinity; bigint/integer on PG */
        psy__buf_printf(&cols, "%s%s", t->n++ ? ", " : "", name ? name : "");
    }
    if (r == PSY_SQL_ERROR) rc = psy__store_dbfail(st, "history");
    psy__sql_finalize(s);
    if (!rc && (!t->n || cols.n >= sizeof t->cols))
        rc = psy__store_fail(st, PSY_EDB, "history: cannot read the columns of %s", table);
    if (!rc) memcpy(t->cols, cols.p, cols.n + 1);
    psy__buf_free(&cols);
    return rc;
}

static psy_status table_columns(psy_store *st, const char *table, struct table_cols *out)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static struct table_cols cache[32];
    static int ncache;
    psy__dialect d = psy__db_dialect(st);
    pthread_mutex_lock(&mu);
    for (int i = 0; i < ncache; i++)
        if (cache[i].dialect == d && !strcmp(cache[i].table, table)) {
            *out = cache[i];
            pthread_mutex_unlock(&mu);
            return PSY_OK;
        }
    pthread_mutex_unlock(&mu);
    memset(out, 0, sizeof *out);
    out->dialect = d;
    snprintf(out->table, sizeof out->table, "%s", table);
    psy_status rc = read_columns(st, table, out);
    pthread_mutex_lock(&mu);
    if (!rc && ncache < (int)(sizeof cache / sizeof cache[0])) cache[ncache++] = *out;
    pthread_mutex_unlock(&mu);
    return rc;
}

json_t *psy__rec_row(psy_store *st, const char *table, psy_id id)
{
    char sql[160];
    struct psy__buf q = {0};
    struct table_cols t;
    psy__stmt *s;
    json_t *row = NULL;
    psy_status rc = table_columns(st, table, &t);
    if (!rc) {
        psy__buf_printf(&q, "SELECT %s FROM %s WHERE id = ?", t.cols, table);
        rc = psy__db_query(st, &s, q.p, PSY_ARGS(PSY_INT(id)));
    }
    if (!rc && psy__sql_step(s) == PSY_SQL_ROW) {
        row = json_object();
        const char *c = t.cols;
        for (int i = 0; i < t.n; i++) {
            size_t len = strcspn(c, ",");
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)len, c);
            c += len + (c[len] ? 2 : 0);
            json_t *v;
            if (psy__sql_is_null(s, i)) v = json_null();
            else if (t.isint[i]) v = json_integer(psy__sql_int64(s, i));
            else v = json_string(psy__sql_text(s, i));
            json_object_set_new(row, name, v);
        }
    }
    if (!rc) psy__sql_finalize(s);
    psy__buf_free(&q);
    /* Child lists are part of their parent's history: diagnoses, goals, covered codes. */
    static const struct { const char *parent, *table, *column, *key, *order; } lists[] = {
        {"client", "client_diagnosis", "client_id", "code", "position"},
        {"treatment_plan", "plan_diagnosis", "plan_id", "code", "position"},
        {"treatment_plan", "plan_goal", "plan_id", "text", "position"},
        {"treatment_plan", "plan_problem", "plan_id", "text", "position"},
        {"treatment_plan", "plan_objective", "plan_id", "text", "position"},
        {"treatment_plan", "plan_intervention", "plan_id", "text", "position"},
        {"authorisation", "authorisation_code", "authorisation_id", "code", "code"},
    };
    for (size_t i = 0; row && i < sizeof lists / sizeof lists[0]; i++) {
        if (strcmp(lists[i].parent, table) != 0) continue;
        snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE %s = ? ORDER BY %s", lists[i].key, lists[i].table,
                 lists[i].column, lists[i].order);
        if (psy__db_query(st, &s, sql, PSY_ARGS(PSY_INT(id)))) continue;
        json_t *arr = json_array();
        while (psy__sql_step(s) == PSY_SQL_ROW) json_array_append_new(arr, json_string(psy__sql_text(s, 0)));
        psy__sql_finalize(s);
        json_object_set_new(row, lists[i].table, arr);
    }
    return row;
}

psy_status psy__rec_history(psy_store *st, psy_id practice, const char *table, psy_id id, const char *action,
                            psy_id actor, json_t *before)
{
    json_t *after = psy__rec_row(st, table, id);
    if (!after) {
        json_decref(before);
        return psy__store_fail(st, PSY_EDB, "history: %s %lld vanished", table, (long long)id);
    }
    char *prev = NULL;
    if (before) {
        json_t *diff = json_object();
        const char *key;
        json_t *old;
        json_object_foreach(before, key, old)
        {
            if (!json_equal(old, json_object_get(after, key))) json_object_set(diff, key, old);
        }
        prev = json_dumps(diff, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(diff);
    }
    json_int_t version = json_integer_value(json_object_get(after, "version"));
    char now[PSY_REC_TIME_MAX];
    psy__rec_now(now);
    psy_status rc = psy__db_run(st, NULL,
                                "INSERT INTO record_history (practice_id, record_type, record_id, version, action, "
                                "actor_id, changed_at, previous) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                PSY_ARGS(PSY_INT(practice), PSY_TEXT_OR_EMPTY(table), PSY_INT(id),
                                         PSY_INT((psy_id)(version ? version : 1)), PSY_TEXT_OR_EMPTY(action),
                                         PSY_INT_OR_NULL(actor), PSY_TEXT_OR_EMPTY(now), PSY_TEXT_OR_NULL(prev)));
    free(prev);
    json_decref(after);
    json_decref(before);
    return rc;
}

psy_status psy__rec_check_version(psy_store *st, const char *table, psy_id practice, psy_id id, int version,
                                  json_t **before)
{
    char sql[128];
    int64_t have;
    if (before) *before = NULL;
    snprintf(sql, sizeof sql, "SELECT version FROM %s WHERE id = ? AND %s = ?", table, tenant_column(table));
    psy_status rc = psy__db_int(st, &have, sql, PSY_ARGS(PSY_INT(id), PSY_INT(practice)));
    if (rc == PSY_ENOTFOUND) return psy__store_fail(st, rc, "id: no %s %lld in this practice", table, (long long)id);
    if (rc) return rc;
    if (have != version)
        return psy__store_fail(st, PSY_ECONFLICT, "version: %s %lld changed since it was read (now version %lld)",
                               table, (long long)id, (long long)have);
    if (before) *before = psy__rec_row(st, table, id);
    return PSY_OK;
}

void psy_history_free(struct psy_history *h, size_t n)
{
    for (size_t i = 0; h && i < n; i++) free(h[i].previous);
    free(h);
}

#define C(f, t) PSY__COL(struct psy_history, f, t)
static const struct psy__col history_cols[] = {C(version, d), C(action, s), C(actor_id, i), C(changed_at, s),
                                                   C(previous, N)};
#undef C
static const struct psy__map history_map = PSY__MAP(history_cols);

psy_status psy_records_history(psy_store *st, psy_id practice, const char *record_type, psy_id id,
                               struct psy_history **out, size_t *n)
{
    return psy__db_rows(st, (void **)out, n, sizeof **out, &history_map,
                        "FROM record_history WHERE practice_id = ? AND record_type = ? AND record_id = ? ORDER BY id",
                        PSY_ARGS(PSY_INT(practice), PSY_TEXT_OR_EMPTY(record_type), PSY_INT(id)));
}

/* --- practice ---------------------------------------------------------------------------------------- */

static const int zip_lengths[] = {5, 9, 0};

/* Checks the address fields every record shares; writes the zip's digits to zip. */
static psy_status check_address(psy_store *st, const char *address, const char *city, const char *state,
                                const char *zipin, char zip[10])
{
    psy_status rc = psy__rec_text(st, "address", address, 128, 0);
    if (!rc) rc = psy__rec_text(st, "city", city, 64, 0);
    if (!rc && state && *state &&
        (strlen(state) != 2 || !isupper((unsigned char)state[0]) || !isupper((unsigned char)state[1])))
        rc = psy__rec_bad(st, "state", "two capital letters (postal code)");
    if (!rc) rc = psy__rec_digits(st, "zip", zipin, zip_lengths, zip, 10, 0);
    return rc;
}

/* A phone number's digits (10 to 15; spaces, dashes, dots, parentheses and a leading + are dropped). */
static psy_status check_phone(psy_store *st, const char *field, const char *in, char out[16])
{
    size_t k = 0;
    for (const char *c = in; *c; c++) {
        if (isdigit((unsigned char)*c)) {
            if (k == 15) return psy__rec_bad(st, field, "10 to 15 digits");
            out[k++] = *c;
        } else if (!strchr(" -.()+", *c)) {
            return psy__rec_bad(st, field, "digits only (spaces, dashes and parentheses are fine)");
        }
    }
    out[k] = 0;
    if (k && k < 10) return psy__rec_bad(st, field, "10 to 15 digits, area code first");
    return PSY_OK;
}

static psy_status check_email(psy_store *st, const char *field, const char *v)
{
    psy_status rc = psy__rec_text(st, field, v, 128, 0);
    if (rc || !*v) return rc;
    const char *at = strchr(v, '@');
    if (!at || at == v || !strchr(at, '.') || strchr(at + 1, '@') || strpbrk(v, " \t<>\"") || at[strlen(at) - 1] == '.')
        return psy__rec_bad(st, field, "an e-mail address such as billing@example.org");
    return PSY_OK;
}

static psy_status check_practice(psy_store *st, const struct psy_practice *p, char tax[10], char zip[10],
                                 char phone[16])
{
    static const int tax_len[] = {9, 0};
    psy_status rc = psy__rec_text(st, "name", p->name, 128, PSY__REQ);
    if (!rc) rc = psy__rec_npi(st, "npi", p->npi);
    if (!rc) rc = psy__rec_digits(st, "tax_id", p->tax_id, tax_len, tax, 10, 1);
    if (!rc) rc = check_address(st, p->address, p->city, p->state, p->zip, zip);
    if (!rc) {
        const char *tz = p->time_zone;
        if (!*tz) rc = psy__rec_bad(st, "time_zone", "required (an IANA name such as America/Chicago, or UTC)");
        for (const char *c = tz; !rc && *c; c++)
            if (!isalnum((unsigned char)*c) && !strchr("/_+-", *c))
                rc = psy__rec_bad(st, "time_zone", "an IANA name such as America/Chicago, or UTC");
    }
    if (!rc && (p->unsigned_note_days < 0 || p->unsigned_note_days > 365))
        rc = psy__rec_bad(st, "unsigned_note_days", "between 1 and 365 (0 = 7)");
    if (!rc) rc = psy__rec_text(st, "billing_contact", p->billing_contact, 64, 0);
    if (!rc) rc = check_phone(st, "billing_phone", p->billing_phone, phone);
    if (!rc) rc = check_email(st, "billing_email", p->billing_email);
    if (!rc && p->sole_proprietor != 0 && p->sole_proprietor != 1)
        rc = psy__rec_bad(st, "sole_proprietor", "0 (an organisation) or 1 (a clinician billing under their own NPI)");
    /* the billing provider's name on claims: 837P NM103 at most 60 characters, NM104 at most 35 */
    int sole = p->sole_proprietor == 1;
    if (!rc) rc = psy__rec_text(st, "first_name", p->first_name, 35, sole ? PSY__REQ : 0);
    if (!rc) rc = psy__rec_text(st, "last_name", p->last_name, 60, sole ? PSY__REQ : 0);
    return rc;
}

static psy_status write_practice(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version)
{
    const struct psy_practice *p = rec;
    char tax[10], zip[10], phone[16], now[PSY_REC_TIME_MAX];
    psy__rec_now(now);
    (void)practice;
    psy_status rc = check_practice(st, p, tax, zip, phone);
    if (rc) return rc;
    int days = p->unsigned_note_days ? p->unsigned_note_days : 7;
    /* an organisation keeps no person's name */
    const char *sole_first = p->sole_proprietor ? p->first_name : "", *sole_last = p->sole_proprietor ? p->last_name : "";
    if (*id)
        return psy__rec_update(st, "practice", *id, *id, version,
                               "name = ?, npi = ?, tax_id = ?, address = ?, city = ?, state = ?, zip = ?, "
                               "time_zone = ?, unsigned_note_days = ?, billing_contact = ?, billing_phone = ?, "
                               "billing_email = ?, sole_proprietor = ?, first_name = ?, last_name = ?, updated_at = ?",
                               PSY_ARGS(PSY_TEXT_OR_EMPTY(p->name), PSY_TEXT_OR_EMPTY(p->npi), PSY_TEXT_OR_EMPTY(tax),
                                        PSY_TEXT_OR_EMPTY(p->address), PSY_TEXT_OR_EMPTY(p->city),
                                        PSY_TEXT_OR_EMPTY(p->state), PSY_TEXT_OR_EMPTY(zip),
                                        PSY_TEXT_OR_EMPTY(p->time_zone), PSY_INT(days),
                                        PSY_TEXT_OR_EMPTY(p->billing_contact), PSY_TEXT_OR_EMPTY(phone),
                                        PSY_TEXT_OR_EMPTY(p->billing_email), PSY_INT(p->sole_proprietor),
                                        PSY_TEXT_OR_EMPTY(sole_first), PSY_TEXT_OR_EMPTY(sole_last),
                                        PSY_TEXT_OR_EMPTY(now)));
    return psy__db_insert(st, id,
                          "INSERT INTO practice (name, npi, tax_id, address, city, state, zip, time_zone, "
                          "unsigned_note_days, billing_contact, billing_phone, billing_email, sole_proprietor, "
                          "first_name, last_name, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                          PSY_ARGS(PSY_TEXT_OR_EMPTY(p->name), PSY_TEXT_OR_EMPTY(p->npi), PSY_TEXT_OR_EMPTY(tax),
                                   PSY_TEXT_OR_EMPTY(p->address), PSY_TEXT_OR_EMPTY(p->city),
                                   PSY_TEXT_OR_EMPTY(p->state), PSY_TEXT_OR_EMPTY(zip), PSY_TEXT_OR_EMPTY(p->time_zone),
                                   PSY_INT(days), PSY_TEXT_OR_EMPTY(p->billing_contact), PSY_TEXT_OR_EMPTY(phone),
                                   PSY_TEXT_OR_EMPTY(p->billing_email), PSY_INT(p->sole_proprietor),
                                   PSY_TEXT_OR_EMPTY(sole_first), PSY_TEXT_OR_EMPTY(sole_last), PSY_TEXT_OR_EMPTY(now),
                                   PSY_TEXT_OR_EMPTY(now)));
}

psy_status psy_records_practice_add(psy_store *st, const struct psy_practice *p, psy_id *id)
{
    return psy__rec_write_one(st, 0, "practice", 0, 0, "create", 0, write_practice, p, id);
}

#define C(f, t) PSY__COL(struct psy_practice, f, t)
static const struct psy__col practice_cols[] = {
    C(id, i),   C(name, s), C(npi, s),       C(tax_id, s),             C(address, s), C(city, s),
    C(state, s), C(zip, s), C(time_zone, s), C(unsigned_note_days, d), C(billing_contact, s),
    C(billing_phone, s), C(billing_email, s), C(sole_proprietor, d), C(first_name, s), C(last_name, s),
    C(version, d)};
#undef C
static const struct psy__map practice_map = PSY__MAP(practice_cols);

psy_status psy_records_practice_get(psy_store *st, psy_id id, struct psy_practice *p)
{
    memset(p, 0, sizeof *p);
    return psy__rec_get(st, p, &practice_map, "practice", id, "FROM practice WHERE id = ?", PSY_ARGS(PSY_INT(id)));
}

psy_status psy_records_practice_update(psy_store *st, const struct psy_practice *p)
{
    return psy__rec_write_one(st, p->id, "practice", p->id, p->version, "update", 0, write_practice, p, NULL);
}

psy_status psy_records_practice_list(psy_store *st, psy_id **ids, size_t *n)
{
    return psy__db_ints(st, ids, n, "SELECT id FROM practice ORDER BY id", PSY_NOARGS);
}

/* --- clinicians ---------------------------------------------------------------------------------------- */

static psy_status check_clinician(psy_store *st, psy_id practice, const struct psy_clinician *c)
{
    psy_status rc = psy__rec_text(st, "first_name", c->first_name, 64, PSY__REQ);
    if (!rc) rc = psy__rec_text(st, "last_name", c->last_name, 64, PSY__REQ);
    if (!rc) rc = psy__rec_npi(st, "npi", c->npi);
    if (!rc) {
        int ok = strlen(c->taxonomy) == 10 && c->taxonomy[9] == 'X';
        for (int i = 0; ok && i < 9; i++) ok = isdigit((unsigned char)c->taxonomy[i]) || isupper((unsigned char)c->taxonomy[i]);
        if (!ok) rc = psy__rec_bad(st, "taxonomy", "a 10-character NUCC code ending in X (e.g. 1041C0700X)");
    }
    if (!rc) rc = psy__rec_text(st, "credential", c->credential, 16, PSY__REQ);
    if (!rc) rc = psy__rec_text(st, "licence_number", c->licence_number, 30, 0);
    if (!rc && (*c->licence_state || *c->licence_number) &&
        (strlen(c->licence_state) != 2 || !isupper((unsigned char)c->licence_state[0]) ||
         !isupper((unsigned char)c->licence_state[1])))
        rc = psy__rec_bad(st, "licence_state", "two capital letters (postal code), required with a licence number");
    if (!rc && *c->licence_state && !*c->licence_number) rc = psy__rec_bad(st, "licence_number", "required with a licence state");
    if (!rc && c->supervisor_id) {
        rc = psy__rec_ref(st, "supervisor_id", "clinician", practice, c->supervisor_id, 1);
        if (!rc && c->supervisor_id == c->id) rc = psy__rec_bad(st, "supervisor_id", "a clinician cannot supervise themself");
    }
    if (!rc) {
        int64_t other;
        psy_status q = psy__db_int(st, &other, "SELECT id FROM clinician WHERE practice_id = ? AND npi = ? AND id <> ?",
                                   PSY_ARGS(PSY_INT(practice), PSY_TEXT_OR_EMPTY(c->npi), PSY_INT(c->id)));
        if (q == PSY_OK) rc = psy__store_fail(st, PSY_ECONFLICT, "npi: another clinician of this practice has it");
        else if (q != PSY_ENOTFOUND) rc = q;
    }
    return rc;
}

static psy_status write_clinician(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version)
{
    struct psy_clinician c = *(const struct psy_clinician *)rec;
    char now[PSY_REC_TIME_MAX];
    psy__rec_now(now);
    c.id = *id;
    psy_status rc = check_clinician(st, practice, &c);
    if (rc) return rc;
    if (!*id)
        return psy__db_insert(
            st, id,
            "INSERT INTO clinician (practice_id, first_name, last_name, npi, taxonomy, credential, "
            "licence_number, licence_state, supervisor_id, created_at, updated_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            PSY_ARGS(PSY_INT(practice), PSY_TEXT_OR_EMPTY(c.first_name), PSY_TEXT_OR_EMPTY(c.last_name),
                     PSY_TEXT_OR_EMPTY(c.npi), PSY_TEXT_OR_EMPTY(c.taxonomy), PSY_TEXT_OR_EMPTY(c.credential),
                     PSY_TEXT_OR_EMPTY(c.licence_number), PSY_TEXT_OR_EMPTY(c.licence_state),
                     PSY_INT_OR_NULL(c.supervisor_id), PSY_TEXT_OR_EMPTY(now), PSY_TEXT_OR_EMPTY(now)));
    if (c.active != 0 && c.active != 1) return psy__rec_bad(st, "active", "0 or 1");
    return psy__rec_update(st, "clinician", practice, c.id, version,
                           "first_name = ?, last_name = ?, npi = ?, taxonomy = ?, credential = ?, active = ?, "
                           "licence_number = ?, licence_state = ?, supervisor_id = ?, updated_at = ?",
                           PSY_ARGS(PSY_TEXT_OR_EMPTY(c.first_name), PSY_TEXT_OR_EMPTY(c.last_name),
                                    PSY_TEXT_OR_EMPTY(c.npi), PSY_TEXT_OR_EMPTY(c.taxonomy),
                                    PSY_TEXT_OR_EMPTY(c.credential), PSY_INT(c.active),
                                    PSY_TEXT_OR_EMPTY(c.licence_number), PSY_TEXT_OR_EMPTY(c.licence_state),
                                    PSY_INT_OR_NULL(c.supervisor_id), PSY_TEXT_OR_EMPTY(now)));
}

psy_status psy_records_clinician_add(psy_store *st, psy_id practice, const struct psy_clinician *c, psy_id *id)
{
    return psy__rec_write_one(st, practice, "clinician", 0, 0, "create", 0, write_clinician, c, id);
}

#define C(f, t) PSY__COL(struct psy_clinician, f, t)
static const struct psy__col clinician_cols[] = {C(id, i),       C(first_name, s), C(last_name, s), C(npi, s),
                                                     C(taxonomy, s), C(credential, s), C(active, d),    C(version, d),
                                                     C(licence_number, s), C(licence_state, s),
                                                     PSY__COLX(struct psy_clinician, "COALESCE(supervisor_id, 0)",
                                                               supervisor_id, i)};
#undef C
static const struct psy__map clinician_map = PSY__MAP(clinician_cols);

psy_status psy_records_clinician_get(psy_store *st, psy_id practice, psy_id id, struct psy_clinician *c)
{
    memset(c, 0, sizeof *c);
    return psy__rec_get(st, c, &clinician_map, "clinician", id, "FROM clinician WHERE practice_id = ? AND id = ?",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(id)));
}

psy_status psy_records_clinician_update(psy_store *st, psy_id practice, const struct psy_clinician *c)
{
    return psy__rec_write_one(st, practice, "clinician", c->id, c->version, "update", 0, write_clinician, c, NULL);
}

psy_status psy_records_clinician_list(psy_store *st, psy_id practice, struct psy_clinician **out, size_t *n)
{
    return psy__db_rows(st, (void **)out, n, sizeof **out, &clinician_map,
                        "FROM clinician WHERE practice_id = ? ORDER BY id", PSY_ARGS(PSY_INT(practice)));
}
