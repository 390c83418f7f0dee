/*
 * records_import.c -- clients, their diagnoses and insurance from a CSV file of another system
 * (docs/importing.md, "Clients from another system").
 *
 * The file is parsed with libcsv (quoted fields with commas, quotes and line breaks; LF or CRLF); a
 * UTF-8 byte-order mark is dropped. Columns are found by their header names, in any order. Each row is
 * written as the records API would write it -- the same validation, naming the field -- inside one
 * transaction, each row under its own savepoint: a refused row leaves nothing behind, and at the end the
 * transaction is committed only when every row was good (or the caller asked to skip bad rows) and
 * this is not a dry run. The report names rows and columns, never the values (they are patient data);
 * it lists every problem of a row, not only the first.
 *
 * A file is first read on the assumption that every row is good, in one all-or-nothing transaction
 * without a savepoint per row (psy__store_begin_bulk): the rows are checked in memory by the records
 * API's own field checks, against what is read once (payers, clients' names, diagnosis codes), and
 * written in sets with the same columns and history rows as the records API writes (fast_row,
 * fast_flush). At the first problem of any row that attempt is rolled back and the file is read again
 * as described above, so the report and what is kept are the same either way; a clean file costs
 * neither savepoints nor a round trip per statement (on PostgreSQL each savepoint is a round trip and
 * a subtransaction, and tens of thousands of them in one transaction slow every read of the rows they
 * wrote).
 */
#include <csv.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "records_int.h"

/* The columns, in the order docs/importing.md lists them. `field` is how the records API names the
 * field in its messages, so a refusal is reported under the CSV column. */
enum {
    C_FIRST, C_LAST, C_BIRTH, C_SEX, C_ADDRESS, C_CITY, C_STATE, C_ZIP, C_PHONE, C_EMAIL, C_EM_NAME, C_EM_PHONE,
    C_EM_REL, C_TH_CONSENT, C_DX, C_PAYER, C_MEMBER, C_GROUP, C_ORDER, C_RELATION, C_SUB_FIRST, C_SUB_LAST,
    C_SUB_BIRTH, C_START, C_END, C_COPAY, C_COUNT
};
static const struct {
    const char *name, *field;
    int required;
} columns[C_COUNT] = {
    {"first_name", "first_name", 1},         {"last_name", "last_name", 1},
    {"birth_date", "birth_date", 1},         {"sex", "sex", 1},
    {"address", "address", 0},               {"city", "city", 0},
    {"state", "state", 0},                   {"zip", "zip", 0},
    {"phone", "phone", 0},                   {"email", "email", 0},
    {"emergency_name", "emergency_name", 0}, {"emergency_phone", "emergency_phone", 0},
    {"emergency_relation", "emergency_relation", 0}, {"telehealth_consent_date", "telehealth_consent_date", 0},
    {"diagnoses", "dx", 0},                  {"payer_id", "payer_id", 0},
    {"member_id", "member_id", 0},           {"group_number", "group_number", 0},
    {"policy_order", "priority", 0},         {"relation", "relation", 0},
    {"subscriber_first", "subscriber_first", 0}, {"subscriber_last", "subscriber_last", 0},
    {"subscriber_birth", "subscriber_birth", 0}, {"policy_start", "start_date", 0},
    {"policy_end", "end_date", 0},           {"copay", "copay_cents", 0},
};

#define MAX_FIELDS 64
#define MAX_FIELD 2048

struct import {
    psy_store *st;
    psy_id practice;
    int flags;
    struct psy_import_report *r;
    long row;                 /* current row number, header = 1 */
    int col_of[C_COUNT];      /* the file's field index of each column, -1 absent */
    int header_done;
    char *fields[MAX_FIELDS]; /* the current row */
    int n_fields, too_many;
    psy_status rc;            /* a failure that stops the import (not a refused row) */
    size_t cap;
    int fast;                 /* the first attempt: no savepoints; any problem stops it (retry) */
    int retry;
    long analyze_at;          /* the rows written at which the tables' statistics are next refreshed */
    psy_id *row_client;       /* the client each earlier good row added, by data row (duplicate naming) */
    long *row_number;
    size_t n_added;
    struct fast *fx;          /* the first attempt's state (fast only) */
};

static void problem(struct import *im, const char *column, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void problem(struct import *im, const char *column, const char *fmt, ...)
{
    struct psy_import_report *r = im->r;
    struct psy_import_problem *p = realloc(r->problems, (r->n_problems + 1) * sizeof *p);
    if (!p) {
        im->rc = PSY_ENOMEM;
        return;
    }
    r->problems = p;
    p += r->n_problems++;
    p->row = im->row;
    snprintf(p->column, sizeof p->column, "%s", column);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->message, sizeof p->message, fmt, ap);
    va_end(ap);
}

static void on_field(void *s, size_t len, void *ud)
{
    struct import *im = ud;
    if (im->n_fields >= MAX_FIELDS) {
        im->too_many = 1;
        return;
    }
    char *f = malloc(len + 1);
    if (!f) {
        im->rc = PSY_ENOMEM;
        return;
    }
    memcpy(f, s ? s : "", len);
    f[len] = 0;
    im->fields[im->n_fields++] = f;
}

static const char *col(const struct import *im, int c)
{
    int i = im->col_of[c];
    return i >= 0 && i < im->n_fields ? im->fields[i] : "";
}

/* A date as other systems export it, MM/DD/YYYY or M/D/YYYY (the US order), written YYYY-MM-DD into out;
 * anything else is left for the records' own check. */
static const char *us_date(const char *v, char out[PSY_DATE_MAX])
{
    int m = 0, d = 0, y = 0, nm = 0, nd = 0, ny = 0;
    const char *p = v;
    for (; *p >= '0' && *p <= '9' && nm < 3; p++, nm++) m = m * 10 + (*p - '0');
    if (*p++ != '/' || nm < 1 || nm > 2) return v;
    for (; *p >= '0' && *p <= '9' && nd < 3; p++, nd++) d = d * 10 + (*p - '0');
    if (*p++ != '/' || nd < 1 || nd > 2) return v;
    for (; *p >= '0' && *p <= '9' && ny < 5; p++, ny++) y = y * 10 + (*p - '0');
    if (*p || ny != 4) return v;
    snprintf(out, PSY_DATE_MAX, "%04d-%02d-%02d", y, m, d);
    return out;
}

/* The value of column c as the records take it: dates also as MM/DD/YYYY, sex also spelled out
 * (female, male, unknown, any case). */
static const char *col_value(struct import *im, int c, char buf[PSY_DATE_MAX])
{
    const char *v = col(im, c);
    switch (c) {
    case C_BIRTH: case C_TH_CONSENT: case C_SUB_BIRTH: case C_START: case C_END: return us_date(v, buf);
    case C_SEX:
        if (!strcasecmp(v, "female") || !strcasecmp(v, "f")) return "F";
        if (!strcasecmp(v, "male") || !strcasecmp(v, "m")) return "M";
        if (!strcasecmp(v, "unknown") || !strcasecmp(v, "u")) return "U";
        return v;
    default: return v;
    }
}

static int copy_col(struct import *im, int c, char *dst, size_t size)
{
    char buf[PSY_DATE_MAX];
    const char *v = col_value(im, c, buf);
    if (strlen(v) >= size) {
        if (c == C_SEX) problem(im, columns[c].name, "F, M or U (or female, male, unknown)");
        else problem(im, columns[c].name, "longer than %zu bytes", size - 1);
        return 0;
    }
    memcpy(dst, v, strlen(v) + 1);
    return 1;
}

static void read_header(struct import *im)
{
    for (int c = 0; c < C_COUNT; c++) im->col_of[c] = -1;
    for (int i = 0; i < im->n_fields; i++) {
        char name[64];
        size_t k = 0;
        for (const char *p = im->fields[i]; *p && k + 1 < sizeof name; p++)
            name[k++] = *p == ' ' || *p == '-' ? '_' : (char)tolower((unsigned char)*p);
        name[k] = 0;
        int c = 0;
        while (c < C_COUNT && strcmp(columns[c].name, name)) c++;
        if (c == C_COUNT) {
            im->rc = psy__store_fail(im->st, PSY_EPARSE, "row 1: column %d ('%.40s') is not one of the documented "
                                                         "columns (docs/importing.md)", i + 1, name);
            return;
        }
        if (im->col_of[c] >= 0) {
            im->rc = psy__store_fail(im->st, PSY_EPARSE, "row 1: column '%s' is given twice", columns[c].name);
            return;
        }
        im->col_of[c] = i;
    }
    for (int c = 0; c < C_COUNT; c++)
        if (columns[c].required && im->col_of[c] < 0) {
            im->rc = psy__store_fail(im->st, PSY_EPARSE, "row 1: the required column '%s' is missing", columns[c].name);
            return;
        }
    im->header_done = 1;
}

/* The CSV column a library message ("FIELD: ..." or "FIELD[i]: ...") is about. */
static const char *column_of_message(const char *msg, int policy)
{
    size_t n = strcspn(msg, ":[");
    for (int c = policy ? C_PAYER : 0; c < (policy ? C_COUNT : C_PAYER); c++)
        if (strlen(columns[c].field) == n && !strncmp(columns[c].field, msg, n)) return columns[c].name;
    return "";
}

/* "$1,234.56" -> cents; -1 when malformed. */
static int64_t dollars(const char *v)
{
    int64_t whole = 0;
    int cents = 0, digits = 0;
    if (*v == '$') v++;
    for (; *v && *v != '.'; v++) {
        if (*v == ',') continue;
        if (!isdigit((unsigned char)*v) || whole > 100000000) return -1;
        whole = whole * 10 + (*v - '0');
        digits++;
    }
    if (*v == '.') {
        int n = 0;
        for (v++; isdigit((unsigned char)*v) && n < 2; v++, n++) cents = cents * 10 + (*v - '0');
        if (n == 1) cents *= 10;
        if (*v) return -1;
    }
    return digits || cents ? whole * 100 + cents : -1;
}

/* Whether this row already has a problem under the CSV column `column`. */
static int reported(const struct import *im, size_t from, const char *column)
{
    for (size_t i = from; i < im->r->n_problems; i++)
        if (!strcmp(im->r->problems[i].column, column)) return 1;
    return 0;
}

/* After the records API refused `field`, puts a value there it accepts (or empties it), so the rest of
 * the row can be checked too; 0 when the field is not one this can stand in for. Nothing patched is
 * ever written: a row with a problem is rolled back. */
static int stand_in(struct psy_client *c, struct psy_policy *p, const char *field, int *dx_orig)
{
    if (!strncmp(field, "dx[", 3)) {
        int i = atoi(field + 3);
        if (i < 0 || i >= c->n_dx) return 0;
        memmove(c->dx[i], c->dx[i + 1], (size_t)(c->n_dx - i - 1) * PSY_CODE_MAX);
        memmove(dx_orig + i, dx_orig + i + 1, (size_t)(c->n_dx - i - 1) * sizeof *dx_orig);
        c->n_dx--;
        return 1;
    }
#define SET(dst, v) snprintf(dst, sizeof dst, "%s", v)
    if (!strcmp(field, "first_name")) SET(c->first_name, "X");
    else if (!strcmp(field, "last_name")) SET(c->last_name, "X");
    else if (!strcmp(field, "birth_date")) SET(c->birth_date, "2000-01-01");
    else if (!strcmp(field, "sex")) SET(c->sex, "U");
    else if (!strcmp(field, "address")) *c->address = 0;
    else if (!strcmp(field, "city")) *c->city = 0;
    else if (!strcmp(field, "state")) *c->state = 0;
    else if (!strcmp(field, "zip")) *c->zip = 0;
    else if (!strcmp(field, "phone")) *c->phone = 0;
    else if (!strcmp(field, "email")) *c->email = 0;
    else if (!strcmp(field, "emergency_name") || !strcmp(field, "emergency_phone") ||
             !strcmp(field, "emergency_relation"))
        *c->emergency_name = *c->emergency_phone = *c->emergency_relation = 0;
    else if (!strcmp(field, "telehealth_consent_date")) *c->telehealth_consent_date = 0;
    else if (!strcmp(field, "dx")) c->n_dx = 0;
    else if (!strcmp(field, "member_id")) SET(p->member_id, "X");
    else if (!strcmp(field, "group_number")) *p->group_number = 0;
    else if (!strcmp(field, "priority")) p->priority = 1;
    else if (!strcmp(field, "relation")) SET(p->relation, "self");
    else if (!strcmp(field, "subscriber_first")) SET(p->subscriber_first, "X");
    else if (!strcmp(field, "subscriber_last")) SET(p->subscriber_last, "X");
    else if (!strcmp(field, "subscriber_birth")) *p->subscriber_birth = 0;
    else if (!strcmp(field, "copay_cents")) p->copay_cents = 0;
    else if (!strcmp(field, "start_date")) SET(p->start_date, "2000-01-01");
    else if (!strcmp(field, "end_date")) *p->end_date = 0;
    else return 0;
#undef SET
    return 1;
}

/* --- the first attempt: rows checked in memory, written in sets ------------------------------------
 * What the records API reads for each row is read once: the practice's payers, the names and birth
 * dates of its clients (for the same-person check), each distinct diagnosis code's catalog entry. The
 * rows go out FAST_CHUNK at a time with their ids reserved first, as multi-row inserts (COPY on
 * PostgreSQL), with the same columns, defaults and history rows as psy_records_client_add and
 * psy_records_policy_add. Anything in doubt stops the attempt: the file is then read row by row. */
#define FAST_CHUNK 4096
struct fast_row {
    struct psy_client c;
    struct psy_policy p;
    char zip[10];
    int has_policy;
};
struct fast_dx {
    char raw[PSY_CODE_MAX], norm[PSY_CODE_MAX];
};
struct fast {
    int loaded;
    char today[PSY_DATE_MAX];
    struct psy_payer *payers;
    size_t n_payers;
    json_t *keys; /* "birth\x1Ffirst\x1Flast", the names in the database's lower case */
    struct fast_dx *dx;
    size_t n_dx, cap_dx;
    struct fast_row *rows;
    size_t n_rows;
    size_t *unfolded, n_unfolded; /* the rows held whose names need the database's lower() (not ASCII) */
};

static void fast_free(struct fast *f)
{
    if (!f) return;
    free(f->payers);
    json_decref(f->keys);
    free(f->dx);
    free(f->rows);
    free(f->unfolded);
    free(f);
}

/* The same-person keys seen: a set of strings, kept as the keys of a jansson object (its hash table). */
static int key_has(const struct fast *f, const char *k) { return f->keys && json_object_get(f->keys, k); }

static psy_status key_add(struct fast *f, const char *k)
{
    if (!f->keys && !(f->keys = json_object())) return PSY_ENOMEM;
    return json_object_set_new(f->keys, k, json_true()) ? PSY_ENOMEM : PSY_OK;
}

/* The same-person key of a name and birth date; 0 when a name has bytes outside ASCII (SQL's lower()
 * may then fold differently: such names are folded by the database, fold_held). */
static int person_key(char *out, size_t size, const char *first, const char *last, const char *birth)
{
    int ascii = 1;
    snprintf(out, size, "%s\x1F%s\x1F%s", birth, first, last);
    for (char *p = out + strlen(birth); *p; p++) {
        if ((unsigned char)*p >= 0x80) ascii = 0;
        *p = (char)tolower((unsigned char)*p);
    }
    return ascii;
}

static psy_status fast_load(struct import *im)
{
    struct fast *f = im->fx;
    psy__rec_today(f->today);
    psy_status rc = psy_records_payer_list(im->st, im->practice, &f->payers, &f->n_payers);
    if (rc) return rc;
    if (!(f->rows = malloc(FAST_CHUNK * sizeof *f->rows))) return PSY_ENOMEM;
    psy__stmt *s;
    if (!(f->unfolded = malloc(FAST_CHUNK * sizeof *f->unfolded))) return PSY_ENOMEM;
    /* the names as the records API's same-person check compares them: by the database's lower() */
    if ((rc = psy__db_query(im->st, &s,
                            "SELECT birth_date, lower(first_name), lower(last_name) FROM client WHERE practice_id = ?",
                            PSY_ARGS(PSY_INT(im->practice)))))
        return rc;
    int r;
    char key[256];
    while (!rc && (r = psy__sql_step(s)) == PSY_SQL_ROW) {
        person_key(key, sizeof key, psy__sql_text(s, 1), psy__sql_text(s, 2), psy__sql_text(s, 0));
        rc = key_add(f, key);
    }
    if (!rc && r == PSY_SQL_ERROR) rc = psy__store_dbfail(im->st, "records");
    psy__sql_finalize(s);
    f->loaded = 1;
    return rc;
}

static psy_status find_payer(struct import *im, const char *code, psy_id *payer)
{
    if (!im->fast) return psy_records_payer_find(im->st, im->practice, code, payer);
    psy_status rc = im->fx->loaded ? PSY_OK : fast_load(im);
    for (size_t i = 0; !rc && i < im->fx->n_payers; i++)
        if (!strcmp(im->fx->payers[i].payer_code, code)) {
            *payer = im->fx->payers[i].id;
            return PSY_OK;
        }
    return rc ? rc : PSY_ENOTFOUND;
}

/* The same-person check of the rows held whose names are not ASCII: their names folded by the
 * database's own lower() (as psy_records_client_find compares them), FOLD_AT_ONCE rows a query, against
 * the practice's clients and every row before. A match stops the attempt: the row-by-row reading then
 * names the row. */
#define FOLD_AT_ONCE 128
static psy_status fold_held(struct import *im)
{
    struct fast *f = im->fx;
    psy__arg args[2 * FOLD_AT_ONCE];
    struct psy__buf sql = {0};
    psy_status rc = PSY_OK;
    for (size_t at = 0; !rc && at < f->n_unfolded; at += FOLD_AT_ONCE) {
        size_t k = f->n_unfolded - at < FOLD_AT_ONCE ? f->n_unfolded - at : FOLD_AT_ONCE;
        sql.n = 0;
        psy__buf_printf(&sql, "SELECT ");
        for (size_t i = 0; i < k; i++) {
            const struct psy_client *c = &f->rows[f->unfolded[at + i]].c;
            psy__buf_printf(&sql, "%slower(?), lower(?)", i ? ", " : "");
            args[2 * i] = PSY_TEXT(c->first_name);
            args[2 * i + 1] = PSY_TEXT(c->last_name);
        }
        psy__stmt *s;
        if ((rc = psy__db_query(im->st, &s, sql.p, args, (int)(2 * k)))) break;
        if (psy__sql_step(s) != PSY_SQL_ROW) rc = psy__store_dbfail(im->st, "records");
        char key[256];
        for (size_t i = 0; !rc && i < k; i++) {
            const char *first = psy__sql_text(s, (int)(2 * i)), *last = psy__sql_text(s, (int)(2 * i + 1));
            const char *birth = f->rows[f->unfolded[at + i]].c.birth_date;
            person_key(key, sizeof key, first ? first : "", last ? last : "", birth);
            rc = key_has(f, key) ? PSY_EINVAL : key_add(f, key);
        }
        psy__sql_finalize(s);
    }
    psy__buf_free(&sql);
    f->n_unfolded = 0;
    return rc;
}

/* Writes the rows held: clients, their diagnoses, policies, then the history rows in the order the
 * records API writes them (a client's, then its policy's). */
static psy_status fast_flush(struct import *im)
{
    struct fast *f = im->fx;
    size_t n = f->n_rows, np = 0;
    if (!n) return PSY_OK;
    psy_status frc = fold_held(im);
    if (frc) return frc;
    for (size_t i = 0; i < n; i++) np += f->rows[i].has_policy;
    psy_id *ids = malloc((n + np + 1) * sizeof *ids), *pids = ids + n;
    if (!ids) return PSY_ENOMEM;
    psy_status rc = psy__db_reserve_ids(im->st, "client", n, ids);
    if (!rc && np) rc = psy__db_reserve_ids(im->st, "policy", np, pids);
    char now[PSY_REC_TIME_MAX];
    psy__rec_now(now);
    struct psy__batch cb, db, pb, hb;
    psy__batch_init(&cb, im->st,
                    "INSERT INTO client (id, practice_id, first_name, last_name, birth_date, sex, address, city, state, "
                    "zip, phone, telehealth_consent_date, email, emergency_name, emergency_phone, emergency_relation, "
                    "created_at, updated_at) VALUES",
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "");
    psy__batch_init(&db, im->st, "INSERT INTO client_diagnosis (practice_id, client_id, code, position) VALUES",
                    "(?, ?, ?, ?)", "");
    psy__batch_init(&pb, im->st,
                    "INSERT INTO policy (id, practice_id, client_id, payer_id, member_id, group_number, priority, "
                    "relation, subscriber_first, subscriber_last, subscriber_birth, copay_cents, start_date, end_date, "
                    "created_at, updated_at) VALUES",
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "");
    psy__batch_init(&hb, im->st,
                    "INSERT INTO record_history (practice_id, record_type, record_id, version, action, actor_id, "
                    "changed_at, previous) VALUES",
                    "(?, ?, ?, ?, ?, ?, ?, ?)", "");
#define OR_NULL(v) psy__batch_text(b, *(v) ? (v) : NULL)
    struct psy__batch *b = &cb;
    for (size_t i = 0; !rc && i < n; i++) {
        const struct psy_client *c = &f->rows[i].c;
        psy__batch_int64(b, ids[i]);
        psy__batch_int64(b, im->practice);
        const char *texts[] = {c->first_name, c->last_name, c->birth_date, c->sex, c->address, c->city, c->state,
                               f->rows[i].zip, c->phone};
        for (size_t k = 0; k < sizeof texts / sizeof *texts; k++) psy__batch_text(b, texts[k]);
        OR_NULL(c->telehealth_consent_date);
        psy__batch_text(b, c->email);
        psy__batch_text(b, c->emergency_name);
        psy__batch_text(b, c->emergency_phone);
        psy__batch_text(b, c->emergency_relation);
        psy__batch_text(b, now);
        psy__batch_text(b, now);
        rc = psy__batch_row(b);
    }
    if (!rc) rc = psy__batch_flush(b);
    b = &db;
    for (size_t i = 0; !rc && i < n; i++)
        for (int k = 0; !rc && k < f->rows[i].c.n_dx; k++) {
            psy__batch_int64(b, im->practice);
            psy__batch_int64(b, ids[i]);
            psy__batch_text(b, f->rows[i].c.dx[k]);
            psy__batch_int64(b, k + 1);
            rc = psy__batch_row(b);
        }
    if (!rc) rc = psy__batch_flush(b);
    b = &pb;
    for (size_t i = 0, j = 0; !rc && i < n; i++) {
        const struct psy_policy *p = &f->rows[i].p;
        if (!f->rows[i].has_policy) continue;
        psy__batch_int64(b, pids[j++]);
        psy__batch_int64(b, im->practice);
        psy__batch_int64(b, ids[i]);
        psy__batch_int64(b, p->payer_id);
        psy__batch_text(b, p->member_id);
        psy__batch_text(b, p->group_number);
        psy__batch_int64(b, p->priority);
        psy__batch_text(b, p->relation);
        psy__batch_text(b, p->subscriber_first);
        psy__batch_text(b, p->subscriber_last);
        OR_NULL(p->subscriber_birth);
        psy__batch_int64(b, p->copay_cents);
        psy__batch_text(b, p->start_date);
        OR_NULL(p->end_date);
        psy__batch_text(b, now);
        psy__batch_text(b, now);
        rc = psy__batch_row(b);
    }
    if (!rc) rc = psy__batch_flush(b);
    b = &hb;
    for (size_t i = 0, j = 0; !rc && i < n; i++)
        for (int k = 0; !rc && k < 1 + f->rows[i].has_policy; k++) {
            psy__batch_int64(b, im->practice);
            psy__batch_text(b, k ? "policy" : "client");
            psy__batch_int64(b, k ? pids[j++] : ids[i]);
            psy__batch_int64(b, 1); /* a new record's version */
            psy__batch_text(b, "create");
            psy__batch_text(b, NULL);
            psy__batch_text(b, now);
            psy__batch_text(b, NULL);
            rc = psy__batch_row(b);
        }
    if (!rc) rc = psy__batch_flush(b);
#undef OR_NULL
    psy__batch_free(&cb);
    psy__batch_free(&db);
    psy__batch_free(&pb);
    psy__batch_free(&hb);
    free(ids);
    f->n_rows = 0;
    return rc;
}

/* The first attempt's checks of a parsed row, as psy_records_client_add and psy_records_policy_add make
 * them; a good row is held for fast_flush. Any problem stops the attempt. */
static void fast_row(struct import *im, struct psy_client *c, struct psy_policy *p, int has_policy, size_t before)
{
    struct fast *f = im->fx;
    psy_status rc = f->loaded ? PSY_OK : fast_load(im);
    char zip[10];
    c->active = 1;
    c->discharge_date[0] = 0;
    if (!rc && im->r->n_problems > before) rc = PSY_EINVAL;
    if (!rc) rc = psy__rec_client_fields(im->st, c, zip);
    /* the diagnoses: each distinct code looked up once */
    for (int i = 0; !rc && i < c->n_dx; i++) {
        size_t k = 0;
        while (k < f->n_dx && strcmp(f->dx[k].raw, c->dx[i])) k++;
        if (k == f->n_dx) {
            if (f->n_dx == f->cap_dx) {
                size_t cap = f->cap_dx ? 2 * f->cap_dx : 64;
                struct fast_dx *d = realloc(f->dx, cap * sizeof *d);
                if (!d) {
                    rc = PSY_ENOMEM;
                    break;
                }
                f->dx = d;
                f->cap_dx = cap;
            }
            if ((rc = psy__rec_dx(im->st, "dx", 1, (const char(*)[PSY_CODE_MAX])c->dx[i], &f->dx[k].norm, f->today)))
                break;
            snprintf(f->dx[k].raw, PSY_CODE_MAX, "%s", c->dx[i]);
            f->n_dx++;
        }
        memcpy(c->dx[i], f->dx[k].norm, PSY_CODE_MAX);
        for (int j = 0; !rc && j < i; j++)
            if (!strcmp(c->dx[j], c->dx[i])) rc = PSY_EINVAL; /* listed twice */
    }
    if (!rc && has_policy) rc = psy__rec_policy_fields(im->st, p);
    /* the same person in the practice or earlier in the file (names not in ASCII: when the row is written) */
    char key[256];
    int ascii = person_key(key, sizeof key, c->first_name, c->last_name, c->birth_date);
    if (!rc && ascii) rc = key_has(f, key) ? PSY_EINVAL : key_add(f, key);
    if (!rc && !ascii) f->unfolded[f->n_unfolded++] = f->n_rows;
    if (rc) {
        im->retry = 1;
        im->rc = rc;
        return;
    }
    struct fast_row *row = &f->rows[f->n_rows];
    row->c = *c;
    row->p = *p;
    memcpy(row->zip, zip, sizeof zip);
    row->has_policy = has_policy;
    im->r->clients++;
    if (has_policy) im->r->policies++;
    if (++f->n_rows == FAST_CHUNK) im->rc = fast_flush(im);
}

/* Checks and writes one data row under a savepoint; a refusal is reported and undone. Every problem of
 * the row is reported, each under its CSV column ("row" when it is about the row as a whole): after a
 * refusal by the records API the refused field gets a stand-in and the row is checked again. */
static void import_row(struct import *im)
{
    struct psy_client c;
    struct psy_policy p;
    memset(&c, 0, sizeof c);
    memset(&p, 0, sizeof p);
    size_t before = im->r->n_problems;
    static const int client_cols[] = {C_FIRST, C_LAST, C_BIRTH, C_SEX, C_ADDRESS, C_CITY, C_STATE, C_ZIP, C_PHONE,
                                      C_EMAIL, C_EM_NAME, C_EM_PHONE, C_EM_REL, C_TH_CONSENT};
    char *dst[] = {c.first_name, c.last_name, c.birth_date, c.sex, c.address, c.city, c.state, c.zip, c.phone,
                   c.email, c.emergency_name, c.emergency_phone, c.emergency_relation, c.telehealth_consent_date};
    size_t sizes[] = {sizeof c.first_name, sizeof c.last_name, sizeof c.birth_date, sizeof c.sex, sizeof c.address,
                      sizeof c.city, sizeof c.state, sizeof c.zip, sizeof c.phone, sizeof c.email,
                      sizeof c.emergency_name, sizeof c.emergency_phone, sizeof c.emergency_relation,
                      sizeof c.telehealth_consent_date};
    for (size_t i = 0; i < sizeof client_cols / sizeof client_cols[0]; i++)
        copy_col(im, client_cols[i], dst[i], sizes[i]);
    if (im->too_many) problem(im, "row", "more than %d fields", MAX_FIELDS);
    /* diagnoses: codes in pointer order, separated by ';', ',' or spaces */
    char dxs[512];
    int dx_orig[PSY_REC_DX_MAX]; /* the position in the cell of each code still in c.dx */
    if (copy_col(im, C_DX, dxs, sizeof dxs)) {
        for (char *save, *t = strtok_r(dxs, ";, ", &save); t; t = strtok_r(NULL, ";, ", &save)) {
            if (c.n_dx >= PSY_REC_DX_MAX || strlen(t) >= PSY_CODE_MAX) {
                problem(im, "diagnoses", "at most %d codes of up to 7 characters", PSY_REC_DX_MAX);
                c.n_dx = 0;
                break;
            }
            dx_orig[c.n_dx] = c.n_dx;
            snprintf(c.dx[c.n_dx++], PSY_CODE_MAX, "%s", t);
        }
    }
    /* the policy, when the row names a payer */
    int has_policy = *col(im, C_PAYER) != 0;
    if (!has_policy) {
        static const int pcols[] = {C_MEMBER, C_GROUP, C_ORDER, C_RELATION, C_SUB_FIRST, C_SUB_LAST, C_SUB_BIRTH,
                                    C_START, C_END, C_COPAY};
        for (size_t i = 0; i < sizeof pcols / sizeof pcols[0]; i++)
            if (*col(im, pcols[i])) problem(im, columns[pcols[i]].name, "given without payer_id");
    } else {
        psy_id payer = 0;
        psy_status q = find_payer(im, col(im, C_PAYER), &payer);
        if (q == PSY_ENOTFOUND) {
            problem(im, "payer_id", "no payer with this electronic id in the practice (add it first: psyclaim payer add)");
            /* the other policy columns are still checked, against any payer of the practice */
            struct psy_payer *ps;
            size_t np;
            if (psy_records_payer_list(im->st, im->practice, &ps, &np) == PSY_OK) {
                if (np) payer = ps[0].id;
                free(ps);
            }
            if (!payer) has_policy = 0;
        } else if (q) {
            im->rc = q;
            return;
        }
        p.payer_id = payer;
        copy_col(im, C_MEMBER, p.member_id, sizeof p.member_id);
        copy_col(im, C_GROUP, p.group_number, sizeof p.group_number);
        copy_col(im, C_SUB_FIRST, p.subscriber_first, sizeof p.subscriber_first);
        copy_col(im, C_SUB_LAST, p.subscriber_last, sizeof p.subscriber_last);
        copy_col(im, C_SUB_BIRTH, p.subscriber_birth, sizeof p.subscriber_birth);
        copy_col(im, C_START, p.start_date, sizeof p.start_date);
        copy_col(im, C_END, p.end_date, sizeof p.end_date);
        const char *order = col(im, C_ORDER), *rel = col(im, C_RELATION), *copay = col(im, C_COPAY);
        p.priority = !*order || !strcasecmp(order, "primary") || !strcmp(order, "1") ? 1
                     : !strcasecmp(order, "secondary") || !strcmp(order, "2")      ? 2
                     : !strcasecmp(order, "tertiary") || !strcmp(order, "3")       ? 3
                                                                                   : 0;
        if (!p.priority) problem(im, "policy_order", "primary, secondary or tertiary");
        copy_col(im, C_RELATION, p.relation, sizeof p.relation);
        if (!*rel) snprintf(p.relation, sizeof p.relation, "self");
        for (char *q2 = p.relation; *q2; q2++) *q2 = (char)tolower((unsigned char)*q2);
        if (*copay && (p.copay_cents = dollars(copay)) < 0) problem(im, "copay", "an amount in dollars such as 25 or 12.50");
        if (!*p.start_date && !reported(im, before, "policy_start")) problem(im, "policy_start", "required with payer_id");
    }
    if (im->rc) return;
    if (im->fast) {
        fast_row(im, &c, &p, has_policy, before);
        return;
    }

    /* the same person already in the practice, or earlier in this file */
    if (psy_records_date_valid(c.birth_date) && !reported(im, before, "first_name") &&
        !reported(im, before, "last_name")) {
        psy_id dup;
        psy_status q = psy_records_client_find(im->st, im->practice, c.first_name, c.last_name, c.birth_date, &dup);
        if (q == PSY_OK) {
            long earlier = 0;
            for (size_t i = 0; i < im->n_added; i++)
                if (im->row_client[i] == dup) earlier = im->row_number[i];
            if (earlier) problem(im, "row", "the same first name, last name and birth_date as row %ld", earlier);
            else problem(im, "row", "a client with the same first name, last name and birth_date is already in the "
                                    "practice (client %lld)", (long long)dup);
        } else if (q != PSY_ENOTFOUND) {
            im->rc = q;
            return;
        }
    }

    /* the records API's own checks, once per refused field; the row is written only when all is well */
    psy_id client = 0;
    int kept = 0;
    for (int round = 0; round < 2 * C_COUNT + PSY_REC_DX_MAX; round++) {
        psy_status rc = psy__store_begin(im->st); /* a savepoint: the row's client and policy, or neither */
        if (rc) {
            im->rc = rc;
            return;
        }
        rc = psy_records_client_add(im->st, im->practice, &c, &client);
        int in_policy = 0;
        if (!rc && has_policy) {
            p.client_id = client;
            in_policy = 1;
            rc = psy_records_policy_add(im->st, im->practice, &p, NULL);
        }
        if (rc == PSY_OK && im->r->n_problems == before) {
            kept = 1; /* good: keep it */
            break;
        }
        psy__store_rollback(im->st);
        if (im->fast) { /* a problem: the file is read again, row by row under savepoints */
            im->retry = 1;
            im->rc = rc ? rc : PSY_EINVAL;
            return;
        }
        if (rc == PSY_OK) return; /* checked through, refused for the problems reported */
        if (rc != PSY_EINVAL && rc != PSY_ECONFLICT) {
            im->rc = rc;
            return;
        }
        char msg[256], field[48];
        snprintf(msg, sizeof msg, "%s", psy_store_errmsg(im->st));
        size_t fl = strcspn(msg, ":");
        snprintf(field, sizeof field, "%.*s", (int)(fl < sizeof field ? fl : sizeof field - 1), msg);
        const char *column = column_of_message(msg, in_policy);
        const char *why = msg[fl] ? msg + fl + 1 + (msg[fl + 1] == ' ') : msg;
        if (!*column) {
            problem(im, "row", "%s", msg);
            return;
        }
        if (!strncmp(field, "dx[", 3)) {
            int i = atoi(field + 3);
            if (i >= 0 && i < c.n_dx) problem(im, column, "code %d: %s", dx_orig[i] + 1, why);
        } else if (!reported(im, before, column))
            problem(im, column, "%s", why);
        if (!stand_in(&c, &p, field, dx_orig)) return;
    }
    if (!kept) {
        if (im->r->n_problems == before) problem(im, "row", "could not be checked through");
        return;
    }
    psy_status rc = psy__store_commit(im->st);
    if (rc) {
        im->rc = rc;
        return;
    }
    if (im->n_added == im->cap) {
        size_t cap = im->cap ? im->cap * 2 : 64;
        psy_id *a = realloc(im->row_client, cap * sizeof *a);
        if (a) im->row_client = a;
        long *b = realloc(im->row_number, cap * sizeof *b);
        if (b) im->row_number = b;
        if (!a || !b) {
            im->rc = PSY_ENOMEM;
            return;
        }
        im->cap = cap;
    }
    im->row_client[im->n_added] = client;
    im->row_number[im->n_added++] = im->row;
    im->r->clients++;
    if (has_policy) im->r->policies++;
    /* PostgreSQL plans a statement (and a foreign key's check) once and keeps the plan; made while the
     * tables were small it scans them whole, and a large first import into a new practice slows with
     * the square of its rows. Fresh statistics each time the rows written quadruple make it plan again
     * with the index. (ANALYZE counts this transaction's own rows and is undone with it.) */
    if (im->r->clients >= im->analyze_at) {
        im->analyze_at = im->analyze_at ? im->analyze_at * 4 : 256;
        if (im->r->clients > 1 && psy__db_dialect(im->st) == PSY_DB_POSTGRES &&
            (rc = psy__sql_exec(im->st, "ANALYZE client, client_diagnosis, policy, record_history")))
            im->rc = rc;
    }
}

/* The place of a CSV column in the documented order ("row" first), for listing a row's problems. */
static int column_rank(const char *column)
{
    for (int c = 0; c < C_COUNT; c++)
        if (!strcmp(columns[c].name, column)) return c;
    return -1;
}

/* Orders the problems of the current row (from `from` on) as the columns are documented; stable. */
static void sort_row_problems(struct psy_import_report *r, size_t from)
{
    for (size_t i = from + 1; i < r->n_problems; i++) {
        struct psy_import_problem p = r->problems[i];
        size_t j = i;
        for (; j > from && column_rank(r->problems[j - 1].column) > column_rank(p.column); j--)
            r->problems[j] = r->problems[j - 1];
        r->problems[j] = p;
    }
}

static void on_row(int term, void *ud)
{
    struct import *im = ud;
    (void)term;
    im->row++;
    if (!im->rc) {
        int blank = 1;
        for (int i = 0; i < im->n_fields; i++) blank &= !*im->fields[i];
        if (!im->header_done) read_header(im);
        else if (!blank) {
            size_t before = im->r->n_problems;
            im->r->rows++;
            import_row(im);
            sort_row_problems(im->r, before);
            if (im->r->n_problems > before) im->r->refused++;
            else if (!im->rc) im->r->good++;
        }
    }
    for (int i = 0; i < im->n_fields; i++) free(im->fields[i]);
    im->n_fields = 0;
    im->too_many = 0;
}

void psy_import_report_clear(struct psy_import_report *r)
{
    if (!r) return;
    free(r->problems);
    memset(r, 0, sizeof *r);
}

/* One reading of the file: fast (no savepoints; *retry set at the first problem) or row by row. */
static psy_status import_file(psy_store *st, psy_id practice, const char *text, size_t len, int flags,
                              struct psy_import_report *r, int fast, int *retry)
{
    struct csv_parser p;
    struct import im;
    memset(r, 0, sizeof *r);
    memset(&im, 0, sizeof im);
    im.st = st;
    im.practice = practice;
    im.flags = flags;
    im.r = r;
    im.fast = fast;
    *retry = 0;
    if (fast && !(im.fx = calloc(1, sizeof *im.fx))) return PSY_ENOMEM;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)) return PSY_ENOMEM;
    psy_status rc = psy__rec_ref(st, "practice", "practice", practice, practice, 0);
    if (!rc) rc = fast ? psy__store_begin_bulk(st) : psy__store_begin(st);
    if (rc) {
        fast_free(im.fx);
        csv_free(&p);
        return rc;
    }
    /* in pieces of 1 MB, with the bytes read as progress (a second reading, row by row, counts again) */
    enum { PIECE = 1 << 20 };
    size_t at = 0;
    psy__progress(st, "import clients", 0, (long long)len);
    while (at < len && !im.rc) {
        size_t k = len - at < PIECE ? len - at : PIECE;
        if (csv_parse(&p, text + at, k, on_field, on_row, &im) != k) break;
        at += k;
        psy__progress(st, "import clients", (long long)at, (long long)len);
    }
    if ((at < len && !im.rc) || csv_fini(&p, on_field, on_row, &im)) {
        if (!im.rc)
            im.rc = psy__store_fail(st, PSY_EPARSE, "row %ld: not valid CSV (%s): check the quotes", im.row + 1,
                                    csv_strerror(csv_error(&p)));
    }
    csv_free(&p);
    for (int i = 0; i < im.n_fields; i++) free(im.fields[i]);
    if (!im.rc && !im.header_done) im.rc = psy__store_fail(st, PSY_EPARSE, "row 1: the file is empty (no header row)");
    if (fast && !im.rc && !r->refused) im.rc = fast_flush(&im);
    if (fast && !im.rc && !r->refused) im.rc = psy__batch_settle(st); /* a refusal is retried below, row by row */
    fast_free(im.fx);
    free(im.row_client);
    free(im.row_number);
    if (fast && (im.rc || r->refused)) { /* any failure is found again, and reported, row by row */
        psy__store_rollback(st);
        psy_import_report_clear(r);
        *retry = 1;
        return PSY_OK;
    }
    if (im.rc) {
        psy__store_rollback(st);
        r->clients = r->policies = 0;
        return im.rc;
    }
    int write = !(flags & PSY_IMPORT_DRY_RUN) && (!r->refused || (flags & PSY_IMPORT_SKIP_BAD));
    if (write) {
        if ((rc = psy__store_commit(st))) {
            r->clients = r->policies = 0;
            return rc;
        }
        r->committed = 1;
    } else {
        psy__store_rollback(st);
        r->clients = r->policies = 0;
    }
    return PSY_OK;
}

psy_status psy_records_import_clients(psy_store *st, psy_id practice, const char *text, size_t len, int flags,
                                      struct psy_import_report *r)
{
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) text += 3, len -= 3;
    int retry;
    psy_status rc = import_file(st, practice, text, len, flags, r, 1, &retry);
    if (!rc && retry) rc = import_file(st, practice, text, len, flags, r, 0, &retry);
    return rc;
}
