/*
 * api_ledger.c -- the client ledger over HTTP (psy_ledger.h):
 *   GET  /api/clients/:id/ledger      the client's entries, balance and the practice's reasons
 *   POST /api/clients/:id/ledger      a payment, refund or adjustment (biller, admin); idempotency_key
 *   POST /api/ledger/:id/reverse      a reversal of one entry (biller, admin)
 *   GET  /api/clients/:id/statement   the client's statement of a month as PDF
 *   GET  /api/balances                every client with a balance (biller, admin)
 *   GET  /api/reports/aging           accounts receivable by bucket, payers and patients (biller, admin)
 *   POST /api/ledger/close            closes a month (biller, admin)
 *   PUT  /api/ledger/settings         whether clinicians see their own clients' balances (admin)
 *   GET  /api/ledger/reasons          the practice's adjustment reasons, in use or not (biller, admin)
 *   POST /api/ledger/reasons          adds a reason or changes its words or use (biller, admin)
 *   PUT  /api/clients/:id/fee         the client's self-pay or sliding-scale fee per session (biller, admin)
 * A clinician reads the ledger and statement of their own clients only, and only when the practice allows
 * it (else the ledger answers {hidden: true} and the statement 403). Every read and write is on the audit
 * trail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srv_form.h"

/* 422 naming the field a library message starts with ("amount: ..."); 409 for a conflict; 404. */
static void reply_ledger(struct srv_req *r, psy_status rc, const char *err)
{
    char field[40] = "";
    size_t k = strcspn(err, ":");
    if (err[k] == ':' && k < sizeof field && !memchr(err, ' ', k)) memcpy(field, err, k), field[k] = 0;
    if (rc == PSY_EINVAL) srv_reply_error(r, 422, "invalid", *field ? field : NULL, "%s", err);
    else if (rc == PSY_ECONFLICT) srv_reply_error(r, 409, "conflict", *field ? field : NULL, "%s", err);
    else if (rc == PSY_ENOTFOUND) srv_reply_error(r, 404, "not_found", NULL, "%s", *err ? err : "not found");
    else srv_reply_status(r, rc, NULL);
}

/* The path's client when the user may see its money: a clinician their own clients' only, and only when
 * the practice allows; else replies and returns -1 (*hidden set, nothing replied, when hidden is given
 * and only the practice's setting stands in the way). */
static int money_client_or_hidden(struct srv_req *r, psy_id *client, int *hidden)
{
    if (api_id_param(r, "id", client)) return -1;
    if (!api_may_see(r, 0, *client)) {
        srv_reply_error(r, 404, "not_found", NULL, "no such client");
        return -1;
    }
    if (api_own_clinician(r, PSY_PERM_CLAIMS_READ)) {
        int yes = 0;
        psy_status rc = psy_ledger_clinicians_see(r->st, r->session.user.practice_id, &yes);
        if (rc) {
            srv_reply_status(r, rc, NULL);
            return -1;
        }
        if (!yes && hidden) {
            *hidden = 1;
            return -1;
        }
        if (!yes) {
            srv_reply_error(r, 403, "forbidden", NULL, "the practice shows balances to billers and admins only");
            return -1;
        }
    }
    return 0;
}

static int money_client(struct srv_req *r, psy_id *client) { return money_client_or_hidden(r, client, NULL); }

static json_t *entry_json(const struct psy_ledger_entry *e)
{
    char a[PSY_CENTS_TEXT_MAX];
    return json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "id",
                     (json_int_t)e->id, "kind", e->kind, "amount_cents", (json_int_t)e->amount_cents, "amount",
                     psy_cents_format(e->amount_cents, a), "date", e->entry_date, "service_date", e->service_date,
                     "claim_id", (json_int_t)e->claim_id, "session_id", (json_int_t)e->session_id, "code", e->code,
                     "method", e->method, "reference", e->reference, "reason_code", e->reason_code, "reason", e->reason,
                     "source", e->source, "reverses", (json_int_t)e->reverses, "reversed_by", (json_int_t)e->reversed_by,
                     "created_by", e->created_by);
}

static void reply_ledger_of(struct srv_req *r, psy_id client, unsigned status, json_t *extra)
{
    psy_id pr = r->session.user.practice_id;
    struct psy_ledger_entry *e;
    size_t n;
    long long bal;
    psy_status rc = psy_ledger_entries(r->st, pr, client, NULL, &e, &n, &bal);
    if (rc) {
        json_decref(extra);
        srv_reply_status(r, rc, NULL);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(arr, entry_json(&e[i]));
    free(e);
    struct psy_ledger_reason *rs = NULL;
    size_t nr = 0;
    json_t *reasons = json_array();
    if (!psy_ledger_reasons(r->st, pr, &rs, &nr))
        for (size_t i = 0; i < nr; i++)
            if (rs[i].active) json_array_append_new(reasons, json_pack("{s:s, s:s}", "code", rs[i].code, "words", rs[i].words));
    free(rs);
    long long fee = 0;
    if ((rc = psy_ledger_fee_get(r->st, pr, client, &fee))) {
        json_decref(arr);
        json_decref(reasons);
        json_decref(extra);
        srv_reply_status(r, rc, NULL);
        return;
    }
    char a[PSY_CENTS_TEXT_MAX], f[PSY_CENTS_TEXT_MAX];
    json_t *o = json_pack("{s:I, s:I, s:s, s:o, s:o, s:I, s:s}", "client_id", (json_int_t)client, "balance_cents",
                          (json_int_t)bal, "balance", psy_cents_format(bal, a), "entries", arr, "reasons", reasons,
                          "fee_cents", (json_int_t)fee, "fee", psy_cents_format(fee, f));
    if (extra) json_object_update(o, extra), json_decref(extra);
    srv_reply_json(r, status, o);
}

/* GET /api/clients/:id/ledger */
void api_client_ledger(struct srv_req *r)
{
    psy_id client;
    int hidden = 0;
    if (money_client_or_hidden(r, &client, &hidden)) {
        /* the page asks for every client it shows: a hidden ledger is an answer, not a failure */
        if (hidden)
            srv_reply_json(r, 200, json_pack("{s:I, s:b, s:s}", "client_id", (json_int_t)client, "hidden", 1, "message",
                                             "the practice shows balances to billers and admins only"));
        return;
    }
    if (api_audit_rec(r, "ledger.read", "client", client)) return;
    psy_status rc = psy_ledger_sync_client(r->st, r->session.user.practice_id, client, NULL);
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    reply_ledger_of(r, client, 200, NULL);
}

/* The text of a JSON member ("" when absent); 422 naming it when it is not a string. */
static int text_member(struct srv_req *r, json_t *body, const char *name, const char **out)
{
    json_t *v = json_object_get(body, name);
    *out = "";
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v)) {
        srv_reply_error(r, 422, "invalid", name, "%s: text", name);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

/* POST /api/clients/:id/ledger {kind, amount, method, reference, claim_id, date, reason, idempotency_key} */
void api_client_ledger_post(struct srv_req *r)
{
    psy_id client;
    if (api_id_param(r, "id", &client)) return;
    json_t *body = srv_body_object(r);
    if (!body) return;
    const char *kind, *amount, *method, *ref, *date, *reason, *key;
    if (text_member(r, body, "kind", &kind) || text_member(r, body, "amount", &amount) ||
        text_member(r, body, "method", &method) || text_member(r, body, "reference", &ref) ||
        text_member(r, body, "date", &date) || text_member(r, body, "reason", &reason) ||
        text_member(r, body, "idempotency_key", &key)) {
        json_decref(body);
        return;
    }
    int64_t cents = 0;
    json_t *claim = json_object_get(body, "claim_id");
    if (claim && !json_is_null(claim) && (!json_is_integer(claim) || json_integer_value(claim) < 0)) {
        srv_reply_error(r, 422, "invalid", "claim_id", "claim_id: a claim's id");
        json_decref(body);
        return;
    }
    if (form_dollars(amount, &cents)) {
        srv_reply_error(r, 422, "invalid", "amount", "amount: an amount in dollars such as 25.00");
        json_decref(body);
        return;
    }
    struct psy_ledger_write w = {.kind = kind, .client = client, .claim = claim ? json_integer_value(claim) : 0,
                                 .amount_cents = cents, .method = method, .reference = ref, .reason_code = reason,
                                 .date = date, .idempotency_key = key, .by = r->session.user.username};
    char action[40];
    snprintf(action, sizeof action, "ledger.%.20s", *kind ? kind : "write");
    psy_id entry = 0;
    int again = 0;
    char err[400] = "";
    psy_status rc = psy_ledger_record(r->st, r->session.user.practice_id, &w, &entry, &again, err, sizeof err);
    json_decref(body);
    if (rc) {
        char rec[24];
        snprintf(rec, sizeof rec, "%lld", (long long)client);
        psy_auth_audit_outcome(r->st, &r->session.user, action, "client", rec,
                               rc == PSY_EINVAL ? "invalid" : rc == PSY_ENOTFOUND ? "not_found" : "refused", err, r->ip);
        r->audited = 1;
        reply_ledger(r, rc, err);
        return;
    }
    if (api_audit_rec(r, action, "client", client)) return;
    reply_ledger_of(r, client, again ? 200 : 201, json_pack("{s:I, s:b}", "entry", (json_int_t)entry, "replayed", again));
}

/* POST /api/ledger/:id/reverse {reason, date} */
void api_ledger_reverse(struct srv_req *r)
{
    psy_id entry;
    if (api_id_param(r, "id", &entry)) return;
    json_t *body = srv_body_object(r);
    if (!body) return;
    const char *reason, *date;
    if (text_member(r, body, "reason", &reason) || text_member(r, body, "date", &date)) {
        json_decref(body);
        return;
    }
    psy_id rev = 0;
    char err[400] = "";
    psy_status rc = psy_ledger_reverse(r->st, r->session.user.practice_id, entry, reason, date, r->session.user.username,
                                       &rev, err, sizeof err);
    json_decref(body);
    if (rc) {
        reply_ledger(r, rc, err);
        return;
    }
    if (api_audit_rec(r, "ledger.reverse", "ledger_entry", entry)) return;
    srv_reply_json(r, 201, json_pack("{s:I, s:I}", "entry", (json_int_t)entry, "reversal", (json_int_t)rev));
}

/* GET /api/clients/:id/statement?month=YYYY-MM */
void api_client_statement(struct srv_req *r)
{
    psy_id client;
    if (money_client(r, &client)) return;
    const char *month = srv_query(r, "month");
    if (api_audit_rec(r, "statement.read", "client", client)) return;
    char *pdf = NULL, err[300] = "", name[64];
    size_t len = 0;
    psy_status rc = psy_ledger_sync_client(r->st, r->session.user.practice_id, client, NULL);
    if (!rc) rc = psy_ledger_statement(r->st, r->session.user.practice_id, client, month, &pdf, &len, err, sizeof err);
    if (rc) {
        reply_ledger(r, rc, err);
        return;
    }
    snprintf(name, sizeof name, "statement-%lld-%.7s.pdf", (long long)client, month);
    srv_reply_download(r, "application/pdf", name, pdf, len);
}

/* GET /api/balances */
void api_balances(struct srv_req *r)
{
    psy_id pr = r->session.user.practice_id;
    if (api_audit_rec(r, "ledger.balances", "client", 0)) return;
    struct psy_ledger_balance *b = NULL;
    size_t n = 0;
    int see = 0;
    psy_status rc = psy_ledger_sync(r->st, pr, NULL);
    if (!rc) rc = psy_ledger_balances(r->st, pr, srv_query(r, "through"), &b, &n);
    if (!rc) rc = psy_ledger_clinicians_see(r->st, pr, &see);
    if (rc) {
        free(b);
        srv_reply_status(r, rc, NULL);
        return;
    }
    json_t *arr = json_array();
    long long owed = 0, credit = 0;
    int over = 0;
    char a[PSY_CENTS_TEXT_MAX];
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(arr, json_pack("{s:I, s:s, s:I, s:s, s:I, s:s}", "client_id", (json_int_t)b[i].client_id,
                                             "name", b[i].name, "balance_cents", (json_int_t)b[i].balance_cents,
                                             "balance", psy_cents_format(b[i].balance_cents, a), "open_cents",
                                             (json_int_t)b[i].open_cents, "oldest", b[i].oldest));
        psy_cents_acc(b[i].balance_cents > 0 ? &owed : &credit, b[i].balance_cents, &over);
    }
    free(b);
    if (over) {
        json_decref(arr);
        srv_reply_error(r, 500, "overflow", NULL, "balance_cents: the balances add up past the largest amount");
        return;
    }
    srv_reply_json(r, 200, json_pack("{s:o, s:I, s:I, s:b}", "clients", arr, "owed_cents", (json_int_t)owed,
                                     "credit_cents", (json_int_t)credit, "clinicians_see_balances", see));
}

/* GET /api/reports/aging?as_of=YYYY-MM-DD */
void api_report_aging(struct srv_req *r)
{
    psy_id pr = r->session.user.practice_id;
    const char *as_of = srv_query(r, "as_of");
    if (as_of && *as_of && !psy_date_iso_valid(as_of)) {
        srv_reply_error(r, 400, "invalid", "as_of", "as_of: a date YYYY-MM-DD");
        return;
    }
    if (api_audit_rec(r, "report.aging", "", 0)) return;
    struct psy_aging a;
    psy_status rc = psy_ledger_sync(r->st, pr, NULL);
    if (!rc) rc = psy_ledger_aging(r->st, pr, as_of, &a);
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    json_t *rows = json_array(), *names = json_array();
    for (int k = 0; k < PSY_AGING_BUCKETS; k++) json_array_append_new(names, json_string(psy_aging_bucket_names[k]));
    for (size_t i = 0; i < a.n_rows; i++) {
        json_t *b = json_array();
        for (int k = 0; k < PSY_AGING_BUCKETS; k++) json_array_append_new(b, json_integer(a.rows[i].bucket[k]));
        json_array_append_new(rows, json_pack("{s:s, s:b, s:o, s:I}", "who", a.rows[i].who, "patient", a.rows[i].patient,
                                              "buckets_cents", b, "total_cents", (json_int_t)a.rows[i].total));
    }
    json_t *payer = json_array(), *patient = json_array();
    for (int k = 0; k < PSY_AGING_BUCKETS; k++) {
        json_array_append_new(payer, json_integer(a.payer[k]));
        json_array_append_new(patient, json_integer(a.patient[k]));
    }
    srv_reply_json(r, 200,
                   json_pack("{s:s, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:I}", "as_of", a.as_of, "buckets", names, "rows",
                             rows, "payer_cents", payer, "patient_cents", patient, "payer_total_cents",
                             (json_int_t)a.payer_total, "patient_total_cents", (json_int_t)a.patient_total,
                             "total_cents", (json_int_t)a.total, "credit_cents", (json_int_t)a.credit));
    psy_ledger_aging_free(&a);
}

/* POST /api/ledger/close {month} */
void api_ledger_close(struct srv_req *r)
{
    json_t *body = srv_body_object(r);
    if (!body) return;
    const char *month;
    if (text_member(r, body, "month", &month)) {
        json_decref(body);
        return;
    }
    char err[300] = "", m[8];
    snprintf(m, sizeof m, "%.7s", month);
    psy_status rc = psy_ledger_close_month(r->st, r->session.user.practice_id, month, r->session.user.username, err,
                                           sizeof err);
    json_decref(body);
    if (rc) {
        reply_ledger(r, rc, err);
        return;
    }
    if (api_audit_rec(r, "ledger.close", "month", 0)) return;
    srv_reply_json(r, 200, json_pack("{s:s, s:b}", "month", m, "closed", 1));
}

/* PUT /api/ledger/settings {clinicians_see_balances} */
void api_ledger_settings(struct srv_req *r)
{
    json_t *body = srv_body_object(r);
    if (!body) return;
    json_t *v = json_object_get(body, "clinicians_see_balances");
    if (!json_is_boolean(v)) {
        json_decref(body);
        srv_reply_error(r, 422, "invalid", "clinicians_see_balances", "clinicians_see_balances: true or false");
        return;
    }
    int yes = json_is_true(v);
    json_decref(body);
    psy_status rc = psy_ledger_clinicians_see_set(r->st, r->session.user.practice_id, yes);
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    if (api_audit_rec(r, "ledger.settings", "practice", r->session.user.practice_id)) return;
    srv_reply_json(r, 200, json_pack("{s:b}", "clinicians_see_balances", yes));
}

static void reply_reasons(struct srv_req *r, unsigned status)
{
    struct psy_ledger_reason *rs = NULL;
    size_t n = 0;
    psy_status rc = psy_ledger_reasons(r->st, r->session.user.practice_id, &rs, &n);
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:b}", "code", rs[i].code, "words", rs[i].words, "active",
                                             rs[i].active));
    free(rs);
    srv_reply_json(r, status, json_pack("{s:o}", "reasons", arr));
}

/* GET /api/ledger/reasons */
void api_ledger_reasons(struct srv_req *r)
{
    if (api_audit_rec(r, "ledger.reasons", "practice", r->session.user.practice_id)) return;
    reply_reasons(r, 200);
}

/* POST /api/ledger/reasons {code, words, active} */
void api_ledger_reason_set(struct srv_req *r)
{
    json_t *body = srv_body_object(r);
    if (!body) return;
    const char *code, *words;
    if (text_member(r, body, "code", &code) || text_member(r, body, "words", &words)) {
        json_decref(body);
        return;
    }
    json_t *act = json_object_get(body, "active");
    if (act && !json_is_boolean(act)) {
        json_decref(body);
        srv_reply_error(r, 422, "invalid", "active", "active: true or false");
        return;
    }
    psy_status rc = psy_ledger_reason_set(r->st, r->session.user.practice_id, code, words, !act || json_is_true(act));
    json_decref(body);
    if (rc) {
        reply_ledger(r, rc, psy_store_errmsg(r->st));
        return;
    }
    if (api_audit_rec(r, "ledger.reason", "practice", r->session.user.practice_id)) return;
    reply_reasons(r, 200);
}

/* PUT /api/clients/:id/fee {amount} ("" or "0" = none) */
void api_client_fee(struct srv_req *r)
{
    psy_id client;
    if (api_id_param(r, "id", &client)) return;
    json_t *body = srv_body_object(r);
    if (!body) return;
    const char *amount;
    int64_t cents = 0;
    if (text_member(r, body, "amount", &amount)) {
        json_decref(body);
        return;
    }
    if (*amount && form_dollars(amount, &cents)) {
        json_decref(body);
        srv_reply_error(r, 422, "invalid", "amount", "amount: an amount in dollars such as 60.00");
        return;
    }
    json_decref(body);
    psy_status rc = psy_ledger_fee_set(r->st, r->session.user.practice_id, client, cents);
    if (rc) {
        reply_ledger(r, rc, rc == PSY_EINVAL ? "amount: not below $0.00" : psy_store_errmsg(r->st));
        return;
    }
    if (api_audit_rec(r, "ledger.fee", "client", client)) return;
    char a[PSY_CENTS_TEXT_MAX];
    srv_reply_json(r, 200, json_pack("{s:I, s:I, s:s}", "client_id", (json_int_t)client, "fee_cents", (json_int_t)cents,
                                     "fee", psy_cents_format(cents, a)));
}
