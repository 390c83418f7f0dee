/*
 * billing_view.c -- stored claims as a reader sees them: one claim with its lines (each with the coding
 * engine's rule ids and explanation), its findings, its status history and the payments posted to it
 * as a JSON document; the remittance items held in suspense; and revenue by service month and payer
 * (billed against paid); the practice's claims listed by status. Read-only: nothing here changes a claim.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_db.h"
#include "billing_int.h"
#include "records_int.h"

/* Runs sql with integer parameters and appends one object per row to arr. cols names the columns in
 * order, each "name:t" with t = i (integer), s (text) or l (comma list as an array of strings). */
static psy_status rows_json(psy_store *st, const char *sql, const int64_t *args, int nargs, const char *cols,
                            json_t *arr)
{
    psy__arg a[8];
    for (int i = 0; i < nargs && i < 8; i++) a[i] = PSY_INT(args[i]);
    psy__stmt *s = psy__db_stmt(st, sql, a, nargs < 8 ? nargs : 8);
    if (!s) return psy__store_dbfail(st, "claim");
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        json_t *o = json_object();
        const char *p = cols;
        for (int col = 0; *p; col++) {
            size_t n = strcspn(p, ":");
            char name[40];
            snprintf(name, sizeof name, "%.*s", (int)n, p);
            char t = p[n + 1];
            p += n + 2;
            p += *p == ' ';
            json_t *v;
            if (t == 'i') {
                v = psy__sql_is_null(s, col) ? json_null() : json_integer(psy__sql_int64(s, col));
            } else if (t == 'l') {
                v = json_array();
                const char *x = psy__sql_text(s, col);
                while (x && *x) {
                    size_t k = strcspn(x, ",");
                    if (k) json_array_append_new(v, json_stringn(x, k));
                    x += k + (x[k] == ',');
                }
            } else {
                v = json_string(psy__sql_text(s, col));
            }
            json_object_set_new(o, name, v ? v : json_null());
        }
        json_array_append_new(arr, o);
    }
    psy__sql_finalize(s);
    return r == PSY_SQL_DONE ? PSY_OK : psy__store_dbfail(st, "claim");
}

static void describe(json_t *o, const char *key, psy_x12_text_kind kind, const char *out_key)
{
    const char *w = psy_x12_describe(kind, json_string_value(json_object_get(o, key)));
    json_object_set_new(o, out_key, w ? json_string(w) : json_null());
}

/* The claims linked to this one, the original first: replacements and voids (replaces_claim_id) and the
 * next payers' claims (cob_from_claim_id), each with the claim it follows, as "chain". */
static psy_status chain_json(psy_store *st, psy_id practice, psy_id claim, json_t *doc)
{
    int64_t root = claim, up = 0;
    for (int depth = 0; depth < 32; depth++) { /* up to the first claim */
        psy_status rc = psy__db_int(st, &up,
                                    "SELECT COALESCE(replaces_claim_id, cob_from_claim_id, 0) FROM claim WHERE id = ? "
                                    "AND practice_id = ?",
                                    PSY_ARGS(PSY_INT(root), PSY_INT(practice)));
        if (rc) return rc;
        if (!up) break;
        root = up;
    }
    json_t *chain = json_array();
    json_object_set_new(doc, "chain", chain);
    const int64_t r1[2] = {practice, root};
    psy_status rc = rows_json(st,
                              "SELECT c.id, c.claim_number, p.payer_code, c.frequency, c.status, c.paid_cents, "
                              "c.replaces_claim_id, c.cob_from_claim_id FROM claim c JOIN payer p ON p.id = c.payer_id "
                              "WHERE c.practice_id = ? AND c.id = ?",
                              r1, 2, "id:i number:s payer_code:s frequency:i status:s paid_cents:i replaces:i follows:i",
                              chain);
    /* breadth first: each claim's followers after it (a chain is a handful of claims); the unary + keeps
     * SQLite on the two follower indexes rather than every claim of the practice */
    for (size_t i = 0; !rc && i < json_array_size(chain) && i < 64; i++) {
        int64_t id = json_integer_value(json_object_get(json_array_get(chain, i), "id"));
        const int64_t args[3] = {practice, id, id};
        rc = rows_json(st,
                       "SELECT c.id, c.claim_number, p.payer_code, c.frequency, c.status, c.paid_cents, "
                       "c.replaces_claim_id, c.cob_from_claim_id FROM claim c JOIN payer p ON p.id = c.payer_id "
                       "WHERE +c.practice_id = ? AND (c.replaces_claim_id = ? OR (c.cob_from_claim_id = ? AND "
                       "c.replaces_claim_id IS NULL)) ORDER BY c.id",
                       args, 3, "id:i number:s payer_code:s frequency:i status:s paid_cents:i replaces:i follows:i",
                       chain);
    }
    if (json_array_size(chain) == 1) json_array_clear(chain); /* a claim alone has no chain */
    return rc;
}

psy_status psy_billing_claim_json(psy_store *st, psy_id practice, psy_id claim, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    const int64_t key[2] = {practice, claim}, one[1] = {claim};
    json_t *head = json_array();
    psy_status rc = rows_json(st,
                              "SELECT c.id, c.claim_number, c.client_id, c.clinician_id, c.payer_id, p.payer_code, p.name, "
                              "c.service_date, c.status, c.frequency, c.place_of_service, c.prior_auth, c.payer_profile, "
                              "c.total_cents, c.paid_cents, c.patient_cents, c.created_at, c.findings, c.replaces_claim_id, "
                              "c.cob_from_claim_id, c.payer_claim_number, c.late_reason FROM claim c "
                              "JOIN payer p ON p.id = c.payer_id WHERE c.practice_id = ? AND c.id = ?",
                              key, 2,
                              "id:i number:s client_id:i clinician_id:i payer_id:i payer_code:s payer_name:s "
                              "service_date:s status:s frequency:i place_of_service:s prior_auth:s payer_profile:s "
                              "total_cents:i paid_cents:i patient_cents:i created_at:s findings:s replaces_claim_id:i "
                              "cob_from_claim_id:i payer_claim_number:s late_reason:s",
                              head);
    json_t *doc = json_array_get(head, 0);
    if (!rc && !doc) rc = psy__store_fail(st, PSY_ENOTFOUND, "claim: no claim %lld", (long long)claim);
    if (rc) {
        json_decref(head);
        return rc;
    }
    json_incref(doc);
    json_decref(head);
    json_t *findings = json_loads(json_string_value(json_object_get(doc, "findings")), 0, NULL);
    json_object_set_new(doc, "findings", json_is_array(findings) ? findings : json_array());
    if (!json_is_array(findings)) json_decref(findings);
    size_t i;
    json_t *p;
    json_t *lines = json_array(), *history = json_array(), *payments = json_array(), *batches = json_array(),
           *acks = json_array();
    json_object_set_new(doc, "lines", lines);
    json_object_set_new(doc, "history", history);
    json_object_set_new(doc, "payments", payments);
    json_object_set_new(doc, "batches", batches);
    json_object_set_new(doc, "acknowledgements", acks);
    rc = rows_json(st,
                   "SELECT id, line_number, session_id, code, modifiers, units, charge_cents, paid_cents, "
                   "place_of_service, dx_pointers, rules, explanation FROM claim_line WHERE claim_id = ? "
                   "ORDER BY line_number",
                   one, 1,
                   "id:i line_number:i session_id:i code:s modifiers:l units:i charge_cents:i paid_cents:i "
                   "place_of_service:s dx_pointers:l rules:l explanation:s",
                   lines);
    if (!rc)
        rc = rows_json(st,
                       "SELECT from_status, to_status, reason, changed_at FROM claim_status_history WHERE claim_id = ? "
                       "ORDER BY id",
                       one, 1, "from:s to:s reason:s at:s", history);
    if (!rc) /* each round the claim was sent in, with its control numbers */
        rc = rows_json(st,
                       "SELECT b.id, b.isa13, b.gs06, b.st02, b.created_at, b.written_to FROM claim_batch b JOIN "
                       "claim_batch_claim bc ON bc.batch_id = b.id WHERE bc.claim_id = ? ORDER BY b.id",
                       one, 1, "id:i isa13:i gs06:i st02:s created_at:s written_to:s", batches);
    if (!rc)
        rc = rows_json(st,
                       "SELECT a.kind, a.verdict, a.batch_id, a.payer_claim_number, a.errors, a.received_at, "
                       "COALESCE(f.name, '') FROM claim_ack a LEFT JOIN era_file f ON f.id = a.file_id "
                       "WHERE a.claim_id = ? ORDER BY a.id",
                       one, 1, "kind:s verdict:s batch_id:i payer_claim_number:s errors:s received_at:s file:s", acks);
    json_array_foreach(acks, i, p) {
        json_t *errs = json_loads(json_string_value(json_object_get(p, "errors")), 0, NULL);
        json_object_set_new(p, "errors", json_is_array(errs) ? errs : json_array());
        if (!json_is_array(errs)) json_decref(errs);
    }
    if (!rc)
        rc = rows_json(st,
                       "SELECT y.id, y.check_number, y.payer_claim_number, y.claim_status, l.line_number, y.charge_cents, "
                       "y.paid_cents, f.posted_at, y.crossover_payer, y.payer_key FROM payment y JOIN era_file f ON f.id = y.era_file_id "
                       "LEFT JOIN claim_line l ON l.id = y.claim_line_id WHERE y.claim_id = ? ORDER BY y.id",
                       one, 1,
                       "id:i check_number:s payer_claim_number:s claim_status:s line_number:i charge_cents:i "
                       "paid_cents:i posted_at:s crossover_payer:s payer_key:s",
                       payments);
    if (!rc) rc = chain_json(st, practice, claim, doc);
    json_array_foreach(payments, i, p) {
        if (rc) break;
        describe(p, "claim_status", PSY_X12_TEXT_CLAIM_STATUS, "claim_status_text");
        json_t *adj = json_array();
        json_object_set_new(p, "adjustments", adj);
        const int64_t pid[1] = {json_integer_value(json_object_get(p, "id"))};
        rc = rows_json(st, "SELECT group_code, reason, amount_cents FROM adjustment WHERE payment_id = ? ORDER BY id",
                       pid, 1, "group:s reason:s amount_cents:i", adj);
        size_t k;
        json_t *a;
        json_array_foreach(adj, k, a) {
            describe(a, "group", PSY_X12_TEXT_GROUP, "group_text");
            describe(a, "reason", PSY_X12_TEXT_REASON, "reason_text");
        }
    }
    if (!rc) {
        *out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!*out) rc = PSY_ENOMEM;
        else *len = strlen(*out);
    }
    json_decref(doc);
    return rc;
}

/* Ends a listing query: on failure frees what was read and names the table. */
static psy_status list_end(psy_store *st, psy__stmt *s, int r, void *items, const char *what)
{
    psy__sql_finalize(s);
    if (r == PSY_SQL_DONE) return PSY_OK;
    free(items);
    return psy__store_dbfail(st, what);
}

psy_status psy_billing_suspense_list(psy_store *st, psy_id practice, int include_resolved,
                                     struct psy_billing_suspense **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    psy__stmt *s = psy__db_stmt(st,
                                "SELECT s.id, s.claim_number, s.code, s.modifiers, s.charge_cents, s.paid_cents, "
                                "s.why, s.resolved, f.posted_at, s.source, s.segment_text, s.ack_verdict, s.resolution, "
                                "s.resolved_at FROM suspense_item s JOIN era_file f ON "
                                "f.id = s.era_file_id WHERE s.practice_id = ? AND (? = 1 OR s.resolved = 0) "
                                "ORDER BY s.id",
                                PSY_ARGS(PSY_INT(practice), PSY_INT(include_resolved ? 1 : 0)));
    if (!s) return psy__store_dbfail(st, "suspense_item");
    size_t cap = 0;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        if (*n == cap) *out = psy__realloc(*out, (cap = cap ? 2 * cap : 16) * sizeof **out);
        struct psy_billing_suspense *x = &(*out)[(*n)++];
        memset(x, 0, sizeof *x);
        x->id = psy__sql_int64(s, 0);
        snprintf(x->claim_number, sizeof x->claim_number, "%s", psy__sql_text(s, 1));
        snprintf(x->code, sizeof x->code, "%s", psy__sql_text(s, 2));
        snprintf(x->modifiers, sizeof x->modifiers, "%s", psy__sql_text(s, 3));
        x->charge_cents = psy__sql_int64(s, 4);
        x->paid_cents = psy__sql_int64(s, 5);
        snprintf(x->why, sizeof x->why, "%s", psy__sql_text(s, 6));
        x->resolved = (int)psy__sql_int64(s, 7);
        snprintf(x->posted_at, sizeof x->posted_at, "%s", psy__sql_text(s, 8));
        psy__db_col_copy(s, 9, x->source, sizeof x->source);
        psy__db_col_copy(s, 10, x->segment, sizeof x->segment);
        psy__db_col_copy(s, 11, x->verdict, sizeof x->verdict);
        psy__db_col_copy(s, 12, x->resolution, sizeof x->resolution);
        psy__db_col_copy(s, 13, x->resolved_at, sizeof x->resolved_at);
    }
    psy_status rc = list_end(st, s, r, *out, "suspense_item");
    if (rc) *out = NULL, *n = 0;
    return rc;
}

/* 1 when m is "" or a month YYYY-MM. */
static int month_ok(const char *m)
{
    char first[16];
    if (!m || !*m) return 1;
    return strlen(m) == 7 && snprintf(first, sizeof first, "%s-01", m) == 10 && psy_date_iso_valid(first);
}

#define C(f, k) PSY__COL(struct psy_billing_revenue, f, k)
static const struct psy__col revenue_cols[] = {
    PSY__COLX(struct psy_billing_revenue, "substr(c.service_date, 1, 7) AS m", month, s),
    PSY__COLX(struct psy_billing_revenue, "c.payer_id", payer_id, i),
    PSY__COLX(struct psy_billing_revenue, "p.payer_code", payer_code, s),
    PSY__COLX(struct psy_billing_revenue, "p.name", payer_name, s),
    PSY__COLX(struct psy_billing_revenue, "count(*)", claims, l),
    PSY__COLX(struct psy_billing_revenue, "sum(c.total_cents)", billed_cents, c),
    PSY__COLX(struct psy_billing_revenue, "sum(c.paid_cents)", paid_cents, c),
    PSY__COLX(struct psy_billing_revenue, "sum(c.patient_cents)", patient_cents, c)};
#undef C
static const struct psy__map revenue_map = PSY__MAP(revenue_cols);

psy_status psy_billing_revenue(psy_store *st, psy_id practice, const char *from, const char *to,
                               struct psy_billing_revenue **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!month_ok(from)) return psy__store_fail(st, PSY_EINVAL, "from: a month YYYY-MM");
    if (!month_ok(to)) return psy__store_fail(st, PSY_EINVAL, "to: a month YYYY-MM");
    /* billed: claims that left (submitted or later); paid: what remittances posted to them */
    struct psy__query q;
    void *v;
    psy__query_init(&q, "FROM claim c JOIN payer p ON p.id = c.payer_id", PSY_NOARGS);
    psy__query_where(&q, "c.practice_id = ?", PSY_INT(practice));
    psy__query_where_n(&q, "c.status NOT IN ('draft', 'ready')", PSY_NOARGS);
    if (from && *from) psy__query_where(&q, "substr(c.service_date, 1, 7) >= ?", PSY_TEXT(from));
    if (to && *to) psy__query_where(&q, "substr(c.service_date, 1, 7) <= ?", PSY_TEXT(to));
    psy__query_sql(&q,
                   " GROUP BY substr(c.service_date, 1, 7), c.payer_id, p.payer_code, p.name ORDER BY m, p.payer_code");
    psy_status rc = psy__db_rows(st, &v, n, sizeof **out, &revenue_map, q.sql.p, q.args, q.n);
    psy__query_free(&q);
    *out = v;
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* --- listing ------------------------------------------------------------------------------------ */

#define C(expr, f, k) PSY__COLX(struct psy_billing_claim, expr, f, k)
static const struct psy__col claim_cols[] = {
    C("c.id", id, i),           C("c.claim_number", number, s),   C("c.client_id", client_id, i),
    C("c.payer_id", payer_id, i), C("p.payer_code", payer_code, s), C("c.service_date", service_date, s),
    C("c.status", status, s),   C("c.total_cents", total_cents, c), C("c.paid_cents", paid_cents, c),
    C("c.findings", findings, S), C("(SELECT count(*) FROM claim_line l WHERE l.claim_id = c.id)", n_lines, d),
    C("k.first_name", client_first, s), C("k.last_name", client_last, s)};
#undef C
static const struct psy__map claim_map = PSY__MAP(claim_cols);

psy_status psy_billing_claim_list(psy_store *st, psy_id practice, const char *status, struct psy_billing_claim **out,
                                  size_t *n)
{
    struct psy__query q;
    void *v;
    psy__query_init(&q, "FROM claim c JOIN payer p ON p.id = c.payer_id JOIN client k ON k.id = c.client_id", PSY_NOARGS);
    psy__query_where(&q, "c.practice_id = ?", PSY_INT(practice));
    if (status && *status) psy__query_where(&q, "c.status = ?", PSY_TEXT(status));
    psy__query_sql(&q, " ORDER BY c.id");
    psy_status rc = psy__db_rows(st, &v, n, sizeof **out, &claim_map, q.sql.p, q.args, q.n);
    psy__query_free(&q);
    *out = v;
    if (!rc) rc = psy__billing_timely_fill(st, practice, *out, *n);
    if (rc) {
        psy_billing_claims_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static void suspense_filter(struct psy__query *q, psy_id practice, int include_resolved, const char *text,
                            char pat[PSY__LIKE_MAX])
{
    psy__query_where(q, "s.practice_id = ?", PSY_INT(practice));
    if (!include_resolved) psy__query_sql(q, " AND s.resolved = 0");
    if (psy__like_pattern(text, pat))
        psy__query_where_n(q, "lower(s.claim_number) LIKE ? ESCAPE '\\' OR lower(s.code) LIKE ? ESCAPE '\\'",
                           PSY_ARGS(PSY_TEXT(pat), PSY_TEXT(pat)));
}

psy_status psy_billing_suspense_page(psy_store *st, psy_id practice, int include_resolved, const char *text,
                                     struct psy_page *pg, struct psy_billing_suspense **out, size_t *n,
                                     long long *paid_cents)
{
#define C(expr, f, k) PSY__COLX(struct psy_billing_suspense, expr, f, k)
    static const struct psy__col cols[] = {
        C("s.id", id, i),           C("s.claim_number", claim_number, s), C("s.code", code, s),
        C("s.modifiers", modifiers, s), C("s.charge_cents", charge_cents, c), C("s.paid_cents", paid_cents, c),
        C("s.why", why, s),         C("s.resolved", resolved, d),         C("f.posted_at", posted_at, s),
        C("s.source", source, s),   C("s.segment_text", segment, s),      C("s.ack_verdict", verdict, s),
        C("s.resolution", resolution, s), C("s.resolved_at", resolved_at, s)};
#undef C
    static const struct psy__map map = PSY__MAP(cols);
    struct psy__query q;
    char pat[PSY__LIKE_MAX];
    void *v = NULL;
    *out = NULL;
    *n = 0;
    psy__query_init(&q, "SELECT count(*) FROM suspense_item s", PSY_NOARGS);
    suspense_filter(&q, practice, include_resolved, text, pat);
    psy_status rc = psy__page_total(st, pg, &q);
    psy__query_free(&q);
    if (!rc && paid_cents) {
        int64_t sum = 0;
        psy__query_init(&q, "SELECT coalesce(sum(s.paid_cents), 0) FROM suspense_item s", PSY_NOARGS);
        suspense_filter(&q, practice, include_resolved, text, pat);
        rc = psy__db_int(st, &sum, q.sql.p, q.args, q.n);
        psy__query_free(&q);
        *paid_cents = (long long)sum;
    }
    if (rc) return rc;
    psy__query_init(&q, "FROM suspense_item s JOIN era_file f ON f.id = s.era_file_id", PSY_NOARGS);
    suspense_filter(&q, practice, include_resolved, text, pat);
    rc = psy__page_after(st, &q, pg, NULL, "s.id", 0);
    if (!rc) {
        psy__page_order(&q, pg, NULL, "s.id", 0);
        rc = psy__db_rows(st, &v, n, sizeof **out, &map, q.sql.p, q.args, q.n);
    }
    psy__query_free(&q);
    *out = v;
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
        return rc;
    }
    size_t lim = (size_t)psy__page_limit(pg);
    *n = psy__page_done(pg, *n, NULL, *n > lim ? (*out)[lim - 1].id : 0);
    return PSY_OK;
}

/* Whether text q could be part of a claim number. psyclaim numbers a claim "PC" and its id
 * (billing_build.c, billing_bulk.c, billing_chain.c): every number holds digits and at most two letters
 * in a row, so a search of three or more characters without a digit (a name) matches no number, and
 * the claims are then found through their clients' index instead of by reading every claim's number. */
static int number_like(const char *q)
{
    while (isspace((unsigned char)*q)) q++;
    size_t n = strlen(q);
    while (n && isspace((unsigned char)q[n - 1])) n--;
    if (n <= 2) return 1;
    for (size_t i = 0; i < n; i++)
        if (isdigit((unsigned char)q[i])) return 1;
    return 0;
}

void psy__billing_claim_filter(struct psy__query *q, psy_id practice, const struct psy_billing_claim_filter *f,
                               struct psy__claim_texts *t)
{
    char *lo = t->lo, *hi = t->hi, *pat = t->pat;
    psy__query_where(q, "c.practice_id = ?", PSY_INT(practice));
    if (f->status && *f->status) psy__query_where(q, "c.status = ?", PSY_TEXT(f->status));
    if (f->payer && *f->payer)
        psy__query_where_n(q, "c.payer_id IN (SELECT y.id FROM payer y WHERE y.practice_id = ? AND (y.payer_code = ? OR y.id = ?))",
                           PSY_ARGS(PSY_INT(practice), PSY_TEXT(f->payer), PSY_INT(strtoll(f->payer, NULL, 10))));
    if (f->month && *f->month) {
        snprintf(lo, sizeof t->lo, "%.7s-01", f->month);
        snprintf(hi, sizeof t->hi, "%.7s-31", f->month);
        psy__query_where_n(q, "c.service_date BETWEEN ? AND ?", PSY_ARGS(PSY_TEXT(lo), PSY_TEXT(hi)));
    }
    if (f->client) psy__query_where(q, "c.client_id = ?", PSY_INT(f->client));
    if (f->clinician) psy__records_seen_by(q, "c.client_id", practice, f->clinician);
    if (!psy__like_pattern(f->q, pat)) return;
    if (number_like(f->q))
        psy__query_where_n(q,
                           "lower(c.claim_number) LIKE ? ESCAPE '\\' OR c.client_id IN (SELECT id FROM client k"
                           " WHERE k.practice_id = ? AND (lower(k.first_name || ' ' || k.last_name) LIKE ? ESCAPE '\\'"
                           " OR lower(k.last_name || ', ' || k.first_name) LIKE ? ESCAPE '\\'))",
                           PSY_ARGS(PSY_TEXT(pat), PSY_INT(practice), PSY_TEXT(pat), PSY_TEXT(pat)));
    else /* a name: the claims of the clients it finds, through claim_key, instead of every claim */
        psy__query_where_n(q,
                           "c.client_id IN (SELECT id FROM client k WHERE k.practice_id = ? AND"
                           " (lower(k.first_name || ' ' || k.last_name) LIKE ? ESCAPE '\\'"
                           " OR lower(k.last_name || ', ' || k.first_name) LIKE ? ESCAPE '\\'))",
                           PSY_ARGS(PSY_INT(practice), PSY_TEXT(pat), PSY_TEXT(pat)));
}

psy_status psy_billing_claim_page(psy_store *st, psy_id practice, const struct psy_billing_claim_filter *f,
                                  struct psy_page *pg, struct psy_billing_claim **out, size_t *n)
{
    static const char from[] = "FROM claim c JOIN payer p ON p.id = c.payer_id JOIN client k ON k.id = c.client_id";
    struct psy__query q, count;
    struct psy__claim_texts t;
    void *v = NULL;
    *out = NULL;
    *n = 0;
    psy__query_init(&count, "SELECT count(*) FROM claim c", PSY_NOARGS);
    psy__billing_claim_filter(&count, practice, f, &t);
    /* a filter on the claim's own columns counts again only when a claim changed; one on other tables
     * (the client's name, the clinician's clients, a payer's code) counts every time */
    int own = !(f->q && *f->q) && !f->clinician && !(f->payer && *f->payer);
    psy_status rc = own ? psy__page_total_cached(st, pg, &count, "claim") : psy__page_total(st, pg, &count);
    psy__query_free(&count);
    if (rc) return rc;
    psy__query_init(&q, from, PSY_NOARGS);
    psy__billing_claim_filter(&q, practice, f, &t);
    rc = psy__page_after(st, &q, pg, NULL, "c.id", 1);
    if (!rc) {
        psy__page_order(&q, pg, NULL, "c.id", 1);
        rc = psy__db_rows(st, &v, n, sizeof **out, &claim_map, q.sql.p, q.args, q.n);
    }
    psy__query_free(&q);
    *out = v;
    if (!rc) rc = psy__billing_timely_fill(st, practice, *out, *n);
    if (rc) {
        psy_billing_claims_free(*out, *n);
        *out = NULL;
        *n = 0;
        return rc;
    }
    size_t lim = (size_t)psy__page_limit(pg), keep = psy__page_done(pg, *n, NULL, *n > lim ? (*out)[lim - 1].id : 0);
    for (size_t i = keep; i < *n; i++) free((*out)[i].findings);
    *n = keep;
    return PSY_OK;
}

psy_status psy_billing_claim_sums(psy_store *st, psy_id practice, const struct psy_billing_claim_filter *f,
                                  struct psy_billing_claim_sum **out, size_t *n)
{
#define C(expr, f, k) PSY__COLX(struct psy_billing_claim_sum, expr, f, k)
    static const struct psy__col cols[] = {C("c.status", status, s), C("count(*)", claims, c),
                                           C("coalesce(sum(c.total_cents), 0)", total_cents, c),
                                           C("coalesce(sum(c.paid_cents), 0)", paid_cents, c)};
#undef C
    static const struct psy__map map = PSY__MAP(cols);
    struct psy__query q;
    struct psy__claim_texts t;
    void *v = NULL;
    psy__query_init(&q, "FROM claim c", PSY_NOARGS);
    psy__billing_claim_filter(&q, practice, f, &t);
    psy__query_sql(&q, " GROUP BY c.status ORDER BY c.status");
    psy_status rc = psy__db_rows(st, &v, n, sizeof **out, &map, q.sql.p, q.args, q.n);
    psy__query_free(&q);
    *out = v;
    return rc;
}

psy_status psy_billing_claim_payers(psy_store *st, psy_id practice, psy_id clinician,
                                    struct psy_billing_claim_payer **out, size_t *n)
{
    /* practice-wide: a probe of the (practice, payer, status) index per payer; a clinician's: one pass
     * over their clients' claims */
#define C(expr, f, k) PSY__COLX(struct psy_billing_claim_payer, expr, f, k)
    static const struct psy__col all_cols[] = {
        C("p.id", id, i), C("p.payer_code", code, s), C("p.name", name, s),
        C("(SELECT count(*) FROM claim r WHERE r.practice_id = p.practice_id AND r.payer_id = p.id"
          " AND r.status = 'ready')",
          ready, c)};
    static const struct psy__col own_cols[] = {C("p.id", id, i), C("p.payer_code", code, s), C("p.name", name, s),
                                               C("sum(CASE WHEN c.status = 'ready' THEN 1 ELSE 0 END)", ready, c)};
#undef C
    static const struct psy__map all_map = PSY__MAP(all_cols), own_map = PSY__MAP(own_cols);
    struct psy__query q;
    void *v = NULL;
    if (!clinician) {
        psy__query_init(&q, "FROM payer p", PSY_NOARGS);
        psy__query_where(&q, "p.practice_id = ?", PSY_INT(practice));
        psy__query_sql(&q, " AND EXISTS (SELECT 1 FROM claim e WHERE e.practice_id = p.practice_id"
                           " AND e.payer_id = p.id) ORDER BY p.payer_code, p.id");
    } else {
        psy__query_init(&q, "FROM claim c JOIN payer p ON p.id = c.payer_id", PSY_NOARGS);
        psy__query_where(&q, "c.practice_id = ?", PSY_INT(practice));
        psy__records_seen_by(&q, "c.client_id", practice, clinician);
        psy__query_sql(&q, " GROUP BY p.id, p.payer_code, p.name ORDER BY p.payer_code, p.id");
    }
    psy_status rc = psy__db_rows(st, &v, n, sizeof **out, clinician ? &own_map : &all_map, q.sql.p, q.args, q.n);
    psy__query_free(&q);
    *out = v;
    return rc;
}

void psy_billing_claims_free(struct psy_billing_claim *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++) free(c[i].findings);
    free(c);
}

/* The conditions of an incoming files list: the practice's, of one kind, with words of the name. */
static void era_file_filter(struct psy__query *q, psy_id practice, const char *kind, const char *text,
                            char pat[PSY__LIKE_MAX])
{
    psy__query_where(q, "f.practice_id = ?", PSY_INT(practice));
    if (kind && *kind) psy__query_where(q, "f.kind = ?", PSY_TEXT(kind));
    if (psy__like_pattern(text, pat)) psy__query_where(q, "lower(f.name) LIKE ? ESCAPE '\\'", PSY_TEXT(pat));
}

psy_status psy_billing_era_file_page(psy_store *st, psy_id practice, const char *kind, const char *text,
                                     struct psy_page *pg, struct psy_billing_era_file **out, size_t *n)
{
#define C(expr, f, k) PSY__COLX(struct psy_billing_era_file, expr, f, k)
    static const struct psy__col cols[] = {C("f.id", id, i), C("f.kind", kind, s), C("f.name", name, s),
                                           C("f.bytes", bytes, c), C("f.posted_at", posted_at, s)};
#undef C
    static const struct psy__map map = PSY__MAP(cols);
    char pat[PSY__LIKE_MAX];
    struct psy__query q;
    void *v = NULL;
    *out = NULL;
    *n = 0;
    psy__query_init(&q, "SELECT count(*) FROM era_file f", PSY_NOARGS);
    era_file_filter(&q, practice, kind, text, pat);
    psy_status rc = psy__page_total(st, pg, &q);
    psy__query_free(&q);
    if (rc) return rc;
    psy__query_init(&q, "FROM era_file f", PSY_NOARGS);
    era_file_filter(&q, practice, kind, text, pat);
    rc = psy__page_after(st, &q, pg, NULL, "f.id", 1);
    if (!rc) {
        psy__page_order(&q, pg, NULL, "f.id", 1);
        rc = psy__db_rows(st, &v, n, sizeof **out, &map, q.sql.p, q.args, q.n);
    }
    psy__query_free(&q);
    *out = v;
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
        return rc;
    }
    size_t lim = (size_t)psy__page_limit(pg);
    *n = psy__page_done(pg, *n, NULL, *n > lim ? (*out)[lim - 1].id : 0);
    return PSY_OK;
}
