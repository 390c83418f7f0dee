/*
 * records_import.c -- clients, their diagnoses and insurance from a CSV file of another system
 * (docs/importing.md, "Clients from another system").
 *
 * The file is parsed with libcsv (quoted fields with commas, quotes and line breaks; LF or CRLF); a
 * UTF-8 byte-order mark is dropped. Columns are found by their header names, in any order. Each row is
 * written as the records API would write it -- the same validation, naming the field -- inside one
 * transaction, each row under its own savepoint: a refused row leaves nothing behind, and at the end the
 * transaction is committed only when every row was good (or the caller asked to skip bad rows) and
 * this is not a dry run. The report names rows and columns, never the values (they are patient data).
 */
#include <csv.h>
#include <ctype.h>
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
    psy_id *row_client;       /* the client each earlier good row added, by data row (duplicate naming) */
    long *row_number;
    size_t n_added;
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

static int copy_col(struct import *im, int c, char *dst, size_t size)
{
    const char *v = col(im, c);
    if (strlen(v) >= size) {
        problem(im, columns[c].name, "longer than %zu bytes", size - 1);
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

/* Checks and writes one data row under a savepoint; a refusal is reported and undone. */
static void import_row(struct import *im)
{
    struct psy_client c;
    struct psy_policy p;
    memset(&c, 0, sizeof c);
    memset(&p, 0, sizeof p);
    size_t before = im->r->n_problems;
    int ok = 1;
    static const int client_cols[] = {C_FIRST, C_LAST, C_BIRTH, C_SEX, C_ADDRESS, C_CITY, C_STATE, C_ZIP, C_PHONE,
                                      C_EMAIL, C_EM_NAME, C_EM_PHONE, C_EM_REL, C_TH_CONSENT};
    char *dst[] = {c.first_name, c.last_name, c.birth_date, c.sex, c.address, c.city, c.state, c.zip, c.phone,
                   c.email, c.emergency_name, c.emergency_phone, c.emergency_relation, c.telehealth_consent_date};
    size_t sizes[] = {sizeof c.first_name, sizeof c.last_name, sizeof c.birth_date, sizeof c.sex, sizeof c.address,
                      sizeof c.city, sizeof c.state, sizeof c.zip, sizeof c.phone, sizeof c.email,
                      sizeof c.emergency_name, sizeof c.emergency_phone, sizeof c.emergency_relation,
                      sizeof c.telehealth_consent_date};
    for (size_t i = 0; i < sizeof client_cols / sizeof client_cols[0]; i++)
        ok &= copy_col(im, client_cols[i], dst[i], sizes[i]);
    if (im->too_many) {
        problem(im, "", "more than %d fields", MAX_FIELDS);
        ok = 0;
    }
    /* diagnoses: codes in pointer order, separated by ';', ',' or spaces */
    char dxs[512];
    if (copy_col(im, C_DX, dxs, sizeof dxs)) {
        for (char *save, *t = strtok_r(dxs, ";, ", &save); t; t = strtok_r(NULL, ";, ", &save)) {
            if (c.n_dx >= PSY_REC_DX_MAX || strlen(t) >= PSY_CODE_MAX) {
                problem(im, "diagnoses", "at most %d codes of up to 7 characters", PSY_REC_DX_MAX);
                ok = 0;
                break;
            }
            snprintf(c.dx[c.n_dx++], PSY_CODE_MAX, "%s", t);
        }
    } else
        ok = 0;
    /* the policy, when the row names a payer */
    int has_policy = *col(im, C_PAYER) != 0;
    if (!has_policy) {
        static const int pcols[] = {C_MEMBER, C_GROUP, C_ORDER, C_RELATION, C_SUB_FIRST, C_SUB_LAST, C_SUB_BIRTH,
                                    C_START, C_END, C_COPAY};
        for (size_t i = 0; i < sizeof pcols / sizeof pcols[0]; i++)
            if (*col(im, pcols[i])) {
                problem(im, columns[pcols[i]].name, "given without payer_id");
                ok = 0;
                break;
            }
    } else {
        psy_id payer;
        psy_status q = psy_records_payer_find(im->st, im->practice, col(im, C_PAYER), &payer);
        if (q == PSY_ENOTFOUND) {
            problem(im, "payer_id", "no payer with this electronic id in the practice (add it first: psyclaim payer add)");
            ok = 0;
        } else if (q) {
            im->rc = q;
            return;
        }
        p.payer_id = payer;
        ok &= copy_col(im, C_MEMBER, p.member_id, sizeof p.member_id);
        ok &= copy_col(im, C_GROUP, p.group_number, sizeof p.group_number);
        ok &= copy_col(im, C_SUB_FIRST, p.subscriber_first, sizeof p.subscriber_first);
        ok &= copy_col(im, C_SUB_LAST, p.subscriber_last, sizeof p.subscriber_last);
        ok &= copy_col(im, C_SUB_BIRTH, p.subscriber_birth, sizeof p.subscriber_birth);
        ok &= copy_col(im, C_START, p.start_date, sizeof p.start_date);
        ok &= copy_col(im, C_END, p.end_date, sizeof p.end_date);
        const char *order = col(im, C_ORDER), *rel = col(im, C_RELATION), *copay = col(im, C_COPAY);
        p.priority = !*order || !strcasecmp(order, "primary") || !strcmp(order, "1") ? 1
                     : !strcasecmp(order, "secondary") || !strcmp(order, "2")      ? 2
                     : !strcasecmp(order, "tertiary") || !strcmp(order, "3")       ? 3
                                                                                   : 0;
        if (!p.priority) {
            problem(im, "policy_order", "primary, secondary or tertiary");
            ok = 0;
        }
        ok &= copy_col(im, C_RELATION, p.relation, sizeof p.relation);
        if (!*rel) snprintf(p.relation, sizeof p.relation, "self");
        for (char *q2 = p.relation; *q2; q2++) *q2 = (char)tolower((unsigned char)*q2);
        if (*copay && (p.copay_cents = dollars(copay)) < 0) {
            problem(im, "copay", "an amount in dollars such as 25 or 12.50");
            ok = 0;
        }
        if (!*p.start_date) {
            problem(im, "policy_start", "required with payer_id");
            ok = 0;
        }
    }
    if (!ok || im->r->n_problems > before) return;

    /* the same person already in the practice, or earlier in this file */
    if (psy_records_date_valid(c.birth_date)) {
        psy_id dup;
        psy_status q = psy_records_client_find(im->st, im->practice, c.first_name, c.last_name, c.birth_date, &dup);
        if (q == PSY_OK) {
            long earlier = 0;
            for (size_t i = 0; i < im->n_added; i++)
                if (im->row_client[i] == dup) earlier = im->row_number[i];
            if (earlier) problem(im, "", "the same first name, last name and birth_date as row %ld", earlier);
            else problem(im, "", "a client with the same first name, last name and birth_date is already in the "
                                 "practice (client %lld)", (long long)dup);
            return;
        }
        if (q != PSY_ENOTFOUND) {
            im->rc = q;
            return;
        }
    }

    psy_status rc = psy__store_begin(im->st); /* a savepoint: the row's client and policy, or neither */
    if (rc) {
        im->rc = rc;
        return;
    }
    psy_id client;
    rc = psy_records_client_add(im->st, im->practice, &c, &client);
    int in_policy = 0;
    if (!rc && has_policy) {
        p.client_id = client;
        in_policy = 1;
        rc = psy_records_policy_add(im->st, im->practice, &p, NULL);
    }
    if (rc == PSY_EINVAL || rc == PSY_ECONFLICT) {
        const char *msg = psy_store_errmsg(im->st), *column = column_of_message(msg, in_policy);
        const char *what = strchr(msg, ':');
        problem(im, column, "%s", what && *column ? what + 2 : msg);
        psy__store_rollback(im->st);
        return;
    }
    if (rc) {
        psy__store_rollback(im->st);
        im->rc = rc;
        return;
    }
    if ((rc = psy__store_commit(im->st))) {
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

psy_status psy_records_import_clients(psy_store *st, psy_id practice, const char *text, size_t len, int flags,
                                      struct psy_import_report *r)
{
    struct csv_parser p;
    struct import im;
    memset(r, 0, sizeof *r);
    memset(&im, 0, sizeof im);
    im.st = st;
    im.practice = practice;
    im.flags = flags;
    im.r = r;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) text += 3, len -= 3;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)) return PSY_ENOMEM;
    psy_status rc = psy__rec_ref(st, "practice", "practice", practice, practice, 0);
    if (!rc) rc = psy__store_begin(st);
    if (rc) {
        csv_free(&p);
        return rc;
    }
    if (csv_parse(&p, text, len, on_field, on_row, &im) != len || csv_fini(&p, on_field, on_row, &im)) {
        if (!im.rc)
            im.rc = psy__store_fail(st, PSY_EPARSE, "row %ld: not valid CSV (%s): check the quotes", im.row + 1,
                                    csv_strerror(csv_error(&p)));
    }
    csv_free(&p);
    for (int i = 0; i < im.n_fields; i++) free(im.fields[i]);
    if (!im.rc && !im.header_done) im.rc = psy__store_fail(st, PSY_EPARSE, "row 1: the file is empty (no header row)");
    free(im.row_client);
    free(im.row_number);
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
