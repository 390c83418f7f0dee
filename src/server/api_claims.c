/*
 * api_claims.c -- claims over HTTP, on the billing API of the library (psy_billing.h): the claims list
 * with filters and totals, one claim (lines with their rule ids and explanations, findings, history,
 * payments), building claims for a date range, scrubbing one, the 837P of a payer's ready claims as a
 * download, the CMS-1500 of a claim and a client's monthly superbill as PDF downloads, and the list of
 * remittance items in suspense.
 *
 * Admins and billers see and act on every claim; a clinician reads the claims of their own clients only
 * (others answer 404, as if they did not exist) and changes nothing. Claims carry no note text. Every
 * read or change of patient data goes to the audit trail before the answer is sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srv_api.h"

/* Replies 422 with the field named before the first ':' of msg (library messages read "field: what"). */
static void reply_field(struct srv_req *r, const char *code, const char *msg)
{
    char field[96] = "";
    size_t k = strcspn(msg, ":");
    if (msg[k] == ':' && k < sizeof field && !memchr(msg, ' ', k)) memcpy(field, msg, k), field[k] = 0;
    srv_reply_error(r, 422, code, *field ? field : NULL, "%s", msg);
}

/* 1 when m is a month YYYY-MM. */
static int month_valid(const char *m)
{
    char d[PSY_DATE_MAX];
    return m && strlen(m) == 7 && snprintf(d, sizeof d, "%s-01", m) == 10 && psy_records_date_valid(d);
}

/* The client's name as {id, first_name, last_name}, looked up once per request through cache. */
static json_t *client_ref(struct srv_req *r, psy_id id, json_t *cache)
{
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)id);
    json_t *c = json_object_get(cache, key);
    if (!c) {
        struct psy_client cl;
        c = psy_records_client_get(r->st, r->session.user.practice_id, id, &cl) == PSY_OK
                ? json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "first_name", cl.first_name, "last_name", cl.last_name)
                : json_pack("{s:I, s:n, s:n}", "id", (json_int_t)id, "first_name", "last_name");
        json_object_set_new(cache, key, c);
    }
    return json_incref(c);
}

static const char *str_of(json_t *v)
{
    const char *s = json_string_value(v);
    return s ? s : "";
}

static int count_errors(json_t *findings)
{
    int n = 0;
    size_t i;
    json_t *f;
    json_array_foreach(findings, i, f) n += !strcmp(str_of(json_object_get(f, "severity")), "error");
    return n;
}

/* The export choices: the payers of the claims the user sees, with how many are ready to send. */
static json_t *payers_json(struct srv_req *r, psy_id own, psy_status *rc)
{
    struct psy_billing_claim_payer *p;
    size_t n;
    json_t *arr = json_array();
    if ((*rc = psy_billing_claim_payers(r->st, r->session.user.practice_id, own, &p, &n))) return arr;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)p[i].id, "code", p[i].code,
                                             "name", p[i].name, "ready", (json_int_t)p[i].ready));
    free(p);
    return arr;
}

/* The totals of the claims matching f, by status and in all. */
static json_t *totals_json(struct srv_req *r, const struct psy_billing_claim_filter *f, psy_status *rc)
{
    struct psy_billing_claim_sum *s;
    size_t n;
    json_t *by_status = json_object();
    long long claims = 0, total = 0, paid = 0;
    int over = 0;
    if ((*rc = psy_billing_claim_sums(r->st, r->session.user.practice_id, f, &s, &n))) {
        json_decref(by_status);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_object_set_new(by_status, s[i].status, json_integer(s[i].claims));
        claims += s[i].claims;
        psy_cents_acc(&total, s[i].total_cents, &over);
        psy_cents_acc(&paid, s[i].paid_cents, &over);
    }
    free(s);
    if (over) {
        json_decref(by_status);
        srv_reply_error(r, 500, "overflow", NULL, "total_cents: the claims' amounts add up to more than an amount holds");
        return NULL;
    }
    return json_pack("{s:I, s:I, s:I, s:o}", "claims", (json_int_t)claims, "total_cents", (json_int_t)total,
                     "paid_cents", (json_int_t)paid, "by_status", by_status);
}

/* GET /api/claims?status=&payer=&month=&client=&q=&limit=&cursor=&totals= : a page of claims, newest
 * first, with the count of all that match; ?totals=1 adds the totals by status (amounts billed and
 * paid) and the export choices, which read every matching claim: the page asks for them once. */
void api_claims(struct srv_req *r)
{
    const char *status = srv_query(r, "status"), *month = srv_query(r, "month"), *tot = srv_query(r, "totals");
    long long client;
    psy_claim_state cs;
    struct psy_page pg;
    if (status && *status && psy_claim_state_parse(status, &cs)) {
        srv_reply_error(r, 400, "invalid", "status", "status: one of draft, ready, submitted, accepted, rejected, paid, "
                                                     "denied, partially_paid, closed");
        return;
    }
    if (month && *month && !month_valid(month)) {
        srv_reply_error(r, 400, "invalid", "month", "month: a month YYYY-MM");
        return;
    }
    if (srv_query_int(r, "client", 1, 1LL << 53, 0, &client) || api_page(r, &pg)) return;
    struct psy_billing_claim_filter f = {.status = status, .payer = srv_query(r, "payer"), .month = month,
                                         .q = srv_query(r, "q"), .client = client,
                                         .clinician = api_own_clinician(r, PSY_PERM_CLAIMS_READ)};
    if (api_audit_rec(r, "claim.list", "claim", 0)) return;
    struct psy_billing_claim *c;
    size_t n;
    psy_status rc = psy_billing_claim_page(r->st, r->session.user.practice_id, &f, &pg, &c, &n);
    if (rc) {
        api_page_fail(r, rc);
        return;
    }
    /* the rows written as JSON directly: a page of 50 as jansson objects cost more than its query */
    struct srv_jw w = {0};
    json_t *extra = json_object();
    srv_jw_raw(&w, "[");
    for (size_t i = 0; i < n; i++) {
        int nf = 0, ne = 0;
        if (c[i].findings && strcmp(c[i].findings, "[]") && *c[i].findings) {
            json_t *fd = json_loads(c[i].findings, 0, NULL);
            nf = (int)json_array_size(fd);
            ne = count_errors(fd);
            json_decref(fd);
        }
        srv_jw_raw(&w, i ? ",{" : "{");
        srv_jw_key(&w, "id", 1), srv_jw_int(&w, c[i].id);
        srv_jw_key(&w, "number", 0), srv_jw_str(&w, c[i].number);
        srv_jw_key(&w, "client", 0), srv_jw_raw(&w, "{");
        srv_jw_key(&w, "id", 1), srv_jw_int(&w, c[i].client_id);
        srv_jw_key(&w, "first_name", 0), srv_jw_str(&w, c[i].client_first);
        srv_jw_key(&w, "last_name", 0), srv_jw_str(&w, c[i].client_last);
        srv_jw_raw(&w, "}");
        srv_jw_key(&w, "payer_id", 0), srv_jw_int(&w, c[i].payer_id);
        srv_jw_key(&w, "payer_code", 0), srv_jw_str(&w, c[i].payer_code);
        srv_jw_key(&w, "service_date", 0), srv_jw_str(&w, c[i].service_date);
        srv_jw_key(&w, "status", 0), srv_jw_str(&w, c[i].status);
        srv_jw_key(&w, "total_cents", 0), srv_jw_int(&w, c[i].total_cents);
        srv_jw_key(&w, "paid_cents", 0), srv_jw_int(&w, c[i].paid_cents);
        srv_jw_key(&w, "lines", 0), srv_jw_int(&w, c[i].n_lines);
        srv_jw_key(&w, "findings", 0), srv_jw_int(&w, nf);
        srv_jw_key(&w, "errors", 0), srv_jw_int(&w, ne);
        /* the days the payer's timely-filing limit leaves (null: no limit known) */
        srv_jw_key(&w, "timely_limit_days", 0), srv_jw_int(&w, c[i].timely_limit);
        srv_jw_key(&w, "timely_days_left", 0);
        if (c[i].timely_limit) srv_jw_int(&w, c[i].timely_days_left);
        else srv_jw_raw(&w, "null");
        srv_jw_raw(&w, "}");
    }
    srv_jw_raw(&w, "]");
    psy_billing_claims_free(c, n);
    if (tot && !strcmp(tot, "1")) {
        json_t *t = totals_json(r, &f, &rc);
        if (!t) {
            free(w.p);
            json_decref(extra);
            if (rc) srv_reply_status(r, rc, NULL);
            return;
        }
        json_object_set_new(extra, "totals", t);
        json_object_set_new(extra, "payers", payers_json(r, f.clinician, &rc));
        if (rc) {
            free(w.p);
            json_decref(extra);
            srv_reply_status(r, rc, NULL);
            return;
        }
    }
    api_page_reply_jw(r, &pg, &w, extra);
}

/* The claim of the path's :id as its JSON document, when the user may see it; else replies (404) and
 * returns NULL. */
static json_t *claim_param(struct srv_req *r)
{
    psy_id id;
    if (api_id_param(r, "id", &id)) return NULL;
    char *text;
    size_t len;
    psy_status rc = psy_billing_claim_json(r->st, r->session.user.practice_id, id, &text, &len);
    if (api_found(r, rc, "claim")) return NULL;
    json_t *doc = json_loadb(text, len, 0, NULL);
    free(text);
    if (!doc) {
        srv_reply_error(r, 500, "internal", NULL, "the claim could not be read");
        return NULL;
    }
    if (!api_may_see(r, 0, json_integer_value(json_object_get(doc, "client_id")))) {
        json_decref(doc);
        srv_reply_error(r, 404, "not_found", NULL, "no such claim");
        return NULL;
    }
    return doc;
}

/* The claim's answer: its document with the client's name and diagnoses. */
static void reply_claim(struct srv_req *r, json_t *doc)
{
    psy_id cid = json_integer_value(json_object_get(doc, "client_id"));
    struct psy_client c;
    if (psy_records_client_get(r->st, r->session.user.practice_id, cid, &c) == PSY_OK)
        json_object_set_new(doc, "client", api_client_brief(&c));
    srv_reply_json(r, 200, doc);
}

/* GET /api/claims/:id */
void api_claim(struct srv_req *r)
{
    json_t *doc = claim_param(r);
    if (!doc) return;
    if (api_audit_rec(r, "claim.read", "claim", json_integer_value(json_object_get(doc, "id")))) {
        json_decref(doc);
        return;
    }
    reply_claim(r, doc);
}

/* POST /api/claims/:id/scrub */
void api_claim_scrub(struct srv_req *r)
{
    json_t *doc = claim_param(r);
    if (!doc) return;
    psy_id id = json_integer_value(json_object_get(doc, "id"));
    json_decref(doc);
    if (api_audit_rec(r, "claim.scrub", "claim", id)) return;
    psy_status rc = psy_billing_scrub(r->st, r->session.user.practice_id, id);
    if (rc == PSY_EPERM) {
        srv_reply_error(r, 409, "conflict", "status", "only draft and ready claims are scrubbed");
        return;
    }
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    char *text;
    size_t len;
    if ((rc = psy_billing_claim_json(r->st, r->session.user.practice_id, id, &text, &len))) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    doc = json_loadb(text, len, 0, NULL);
    free(text);
    if (!doc) srv_reply_error(r, 500, "internal", NULL, "the claim could not be read");
    else reply_claim(r, doc);
}

/* A date field of a JSON body: absent/"" -> "", else a valid date; replies 400 and returns NULL otherwise. */
static const char *body_date(struct srv_req *r, json_t *body, const char *name)
{
    json_t *v = json_object_get(body, name);
    if (!v || json_is_null(v)) return "";
    const char *s = json_string_value(v);
    if (!s || (*s && !psy_records_date_valid(s))) {
        srv_reply_error(r, 400, "invalid", name, "%s: a date YYYY-MM-DD", name);
        return NULL;
    }
    return s;
}

/* POST /api/claims/:id/correct and /api/claims/:id/void: a replacement (frequency 7) or void (8) of a
 * claim the payer adjudicated; 201 with the new claim, 409 with the reason when it is refused. */
static void claim_replace(struct srv_req *r, int freq)
{
    json_t *doc = claim_param(r);
    if (!doc) return;
    psy_id id = json_integer_value(json_object_get(doc, "id"));
    json_decref(doc);
    if (api_audit_rec(r, freq == PSY_FREQ_VOID ? "claim.void" : "claim.correct", "claim", id)) return;
    psy_id made = 0;
    char err[400];
    psy_status rc = psy_billing_claim_replace(r->st, r->session.user.practice_id, id, freq, &made, err, sizeof err);
    if (rc == PSY_EINVAL) {
        srv_reply_error(r, 409, "conflict", "status", "%s", err);
        return;
    }
    char *text;
    size_t len;
    if (!rc) rc = psy_billing_claim_json(r->st, r->session.user.practice_id, made, &text, &len);
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    doc = json_loadb(text, len, 0, NULL);
    free(text);
    if (!doc) srv_reply_error(r, 500, "internal", NULL, "the claim could not be read");
    else srv_reply_json(r, 201, doc);
}

void api_claim_correct(struct srv_req *r) { claim_replace(r, PSY_FREQ_REPLACEMENT); }

void api_claim_void(struct srv_req *r) { claim_replace(r, PSY_FREQ_VOID); }

/* GET /api/claims/timely?within=DAYS&payer=&client=&q=&limit=&cursor= : a page of the claims not yet sent,
 * soonest deadline first, with the days their payer's limit leaves and the count of all that match. */
void api_claims_timely(struct srv_req *r)
{
    long long within, client;
    struct psy_page pg;
    if (srv_query_int(r, "within", 0, 3650, -1, &within) || srv_query_int(r, "client", 1, 1LL << 53, 0, &client) ||
        api_page(r, &pg))
        return;
    psy_id pr = r->session.user.practice_id;
    struct psy_billing_timely_filter f = {.within = (int)within, .payer = srv_query(r, "payer"), .client = client,
                                          .clinician = api_own_clinician(r, PSY_PERM_CLAIMS_READ),
                                          .q = srv_query(r, "q")};
    if (api_audit_rec(r, "claim.timely", "claim", 0)) return;
    struct psy_billing_timely *t;
    size_t n;
    psy_status rc = psy_billing_timely_page(r->st, pr, &f, &pg, &t, &n);
    if (rc) {
        api_page_fail(r, rc);
        return;
    }
    json_t *arr = json_array(), *names = json_object();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:I, s:s, s:o, s:s, s:s, s:s, s:i, s:s, s:i}", "id",
                                             (json_int_t)t[i].claim, "number", t[i].number, "client",
                                             client_ref(r, t[i].client_id, names), "payer_code", t[i].payer_code,
                                             "service_date", t[i].service_date, "status", t[i].status, "limit_days",
                                             t[i].limit_days, "deadline", t[i].deadline, "days_left", t[i].days_left));
    free(t);
    json_decref(names);
    api_page_reply(r, &pg, arr, NULL);
}

/* POST /api/claims/build {"from", "to", "phone"} */
void api_claims_build(struct srv_req *r)
{
    json_t *body = srv_body_object(r);
    if (!body) return;
    psy_id pr = r->session.user.practice_id;
    const char *from = body_date(r, body, "from"), *to = from ? body_date(r, body, "to") : NULL;
    json_t *phone = json_object_get(body, "phone");
    if (!from || !to) goto out;
    if (*from && *to && strcmp(from, to) > 0) {
        srv_reply_error(r, 400, "invalid", "to", "to: on or after from");
        goto out;
    }
    if (phone && !json_is_string(phone)) {
        srv_reply_error(r, 400, "invalid", "phone", "phone: the billing office's phone as digits");
        goto out;
    }
    if (api_audit_rec(r, "claim.build", "claim", 0)) goto out;
    psy_status rc;
    if (phone && (rc = psy_billing_set_contact(r->st, pr, json_string_value(phone)))) {
        api_reply_store(r, rc);
        goto out;
    }
    struct psy_billing_build_result b;
    if ((rc = psy_billing_build(r->st, r->srv->coder, pr, from, to, &b))) {
        srv_reply_status(r, rc, NULL);
        goto out;
    }
    /* the problems: claims of the period held in draft, with their errors */
    struct psy_billing_claim *c;
    size_t n;
    if ((rc = psy_billing_claim_list(r->st, pr, "draft", &c, &n))) {
        srv_reply_status(r, rc, NULL);
        goto out;
    }
    json_t *problems = json_array();
    for (size_t i = 0; i < n; i++) {
        if ((*from && strcmp(c[i].service_date, from) < 0) || (*to && strcmp(c[i].service_date, to) > 0)) continue;
        json_t *f = json_loads(c[i].findings ? c[i].findings : "[]", 0, NULL), *x;
        size_t k;
        json_array_foreach(f, k, x) {
            if (strcmp(str_of(json_object_get(x, "severity")), "error")) continue;
            json_object_set_new(x, "claim_id", json_integer(c[i].id));
            json_object_set_new(x, "claim", json_string(c[i].number));
            json_array_append(problems, x);
        }
        json_decref(f);
    }
    psy_billing_claims_free(c, n);
    srv_reply_json(r, 200, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "sessions", (json_int_t)b.sessions,
                                     "members", (json_int_t)b.members, "already_billed", (json_int_t)b.already_billed,
                                     "uninsured", (json_int_t)b.uninsured, "not_coded", (json_int_t)b.not_coded, "lines",
                                     (json_int_t)b.lines, "claims_new", (json_int_t)b.claims_new, "ready", (json_int_t)b.ready,
                                     "draft", (json_int_t)b.draft, "problems", problems));
out:
    json_decref(body);
}

/* POST /api/claims/scrub: every draft and ready claim scrubbed again (after records were corrected). */
void api_claims_scrub(struct srv_req *r)
{
    json_t *body = srv_body_object(r);
    if (!body) return;
    json_decref(body);
    if (api_audit_rec(r, "claim.scrub", "claim", 0)) return;
    long ready, draft;
    psy_status rc = psy_billing_scrub_all(r->st, r->session.user.practice_id, &ready, &draft);
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    srv_reply_json(r, 200, json_pack("{s:I, s:I}", "ready", (json_int_t)ready, "draft", (json_int_t)draft));
}

/* The ready claims of a payer (by id, or code when payer is 0): the claims an export sends, their ids
 * into *ids (free it) and the payer's code into code_out. */
static psy_status export_ids(struct srv_req *r, psy_id payer, const char *code, char code_out[81], psy_id **ids,
                             size_t *nids)
{
    struct psy_billing_claim *c;
    size_t n;
    *ids = NULL;
    *nids = 0;
    snprintf(code_out, 81, "%s", code);
    psy_status rc = psy_billing_claim_list(r->st, r->session.user.practice_id, "ready", &c, &n);
    if (rc) return rc;
    *ids = psy_calloc(n ? n : 1, sizeof **ids);
    for (size_t i = 0; i < n; i++)
        if (payer ? c[i].payer_id == payer : !strcmp(c[i].payer_code, code)) {
            (*ids)[(*nids)++] = c[i].id;
            snprintf(code_out, 81, "%s", c[i].payer_code);
        }
    psy_billing_claims_free(c, n);
    return PSY_OK;
}

#define EXPORT_IDS_PER_ROW 100 /* claim ids per audit row: a row's detail holds them all */

/* Records an export as rows "claim.export" on the payer, with outcome and detail "payer=CODE
 * claims=4,7,9" (a batch of more than EXPORT_IDS_PER_ROW claims takes several rows, "part 2/3"); a
 * failure adds "error=" and the field refused. */
static int export_audit(struct srv_req *r, psy_id payer, const char *code, const char *outcome, const char *error,
                        const psy_id *ids, size_t nids)
{
    char rec[PSY_AUDIT_ID_MAX], detail[PSY_AUDIT_DETAIL_MAX];
    if (payer) snprintf(rec, sizeof rec, "%lld", (long long)payer);
    else snprintf(rec, sizeof rec, "%.60s", code);
    size_t parts = nids ? (nids + EXPORT_IDS_PER_ROW - 1) / EXPORT_IDS_PER_ROW : 1;
    psy_status rc = PSY_OK;
    for (size_t p = 0; !rc && p < parts; p++) {
        int k = snprintf(detail, sizeof detail, "payer=%s claims=", *code ? code : "?");
        for (size_t i = p * EXPORT_IDS_PER_ROW; i < nids && i < (p + 1) * EXPORT_IDS_PER_ROW; i++)
            k += snprintf(detail + k, sizeof detail - (size_t)k, "%s%lld", i % EXPORT_IDS_PER_ROW ? "," : "",
                          (long long)ids[i]);
        if (parts > 1) k += snprintf(detail + k, sizeof detail - (size_t)k, " part=%zu/%zu", p + 1, parts);
        if (error) snprintf(detail + k, sizeof detail - (size_t)k, " error=%.*s", (int)strcspn(error, ":"), error);
        rc = psy_auth_audit_outcome(r->st, &r->session.user, "claim.export", "payer", rec, outcome, detail, r->ip);
    }
    if (rc) srv_reply_status(r, rc, NULL);
    r->audited = 1;
    return rc ? -1 : 0;
}

/* POST /api/claims/export {"payer": code or id}: the 837P of the payer's ready claims, as a download. */
void api_claims_export(struct srv_req *r)
{
    json_t *body = srv_body_object(r);
    if (!body) return;
    json_t *pv = json_object_get(body, "payer"), *lv = json_object_get(body, "late_reason");
    char code[81] = "", late[300] = "";
    if (lv && !json_is_null(lv) && (!json_is_string(lv) || strlen(json_string_value(lv)) >= sizeof late)) {
        json_decref(body);
        srv_reply_error(r, 400, "invalid", "late_reason", "late_reason: why the payer takes a late claim, as text");
        return;
    }
    if (json_is_string(lv)) snprintf(late, sizeof late, "%s", json_string_value(lv));
    psy_id payer = 0;
    if (json_is_integer(pv) && json_integer_value(pv) > 0) payer = json_integer_value(pv);
    else if (json_is_string(pv) && *json_string_value(pv) && strlen(json_string_value(pv)) < sizeof code)
        snprintf(code, sizeof code, "%s", json_string_value(pv));
    json_decref(body);
    if (!payer && !*code) {
        srv_reply_error(r, 400, "invalid", "payer", "payer: the payer's electronic id (e.g. DEMOBLU01) or record id");
        return;
    }
    char *out = NULL, err[400], payer_code[81];
    size_t len, n, nids;
    psy_id *ids, batch = 0;
    psy_status rc = export_ids(r, payer, code, payer_code, &ids, &nids);
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    rc = psy_billing_export_late(r->st, r->session.user.practice_id, payer, code, *late ? late : NULL, &out, &len, &n,
                                 &batch, err, sizeof err);
    if (rc || !n) { /* the failure names the field refused, never the data in it */
        const char *why = rc == PSY_EINVAL ? (*err ? err : "preflight") : rc ? psy_strerror(rc) : "no ready claim";
        if (export_audit(r, payer, payer_code, "failed", why, ids, nids)) rc = PSY_EDB;
        else if (rc == PSY_EINVAL)
            reply_field(r, "preflight", *err ? err : "claims: the 837P writer refused the batch");
        else if (rc) srv_reply_status(r, rc, NULL);
        else srv_reply_error(r, 422, "invalid", "payer", "payer: no ready claim for this payer");
        free(ids);
        free(out);
        return;
    }
    if (export_audit(r, payer, payer_code, "ok", NULL, ids, nids)) {
        free(ids);
        free(out);
        return;
    }
    free(ids);
    char name[120], cnt[24], today[PSY_DATE_MAX];
    api_today(r, today);
    if (*code) snprintf(name, sizeof name, "%s-%s.837", code, today);
    else snprintf(name, sizeof name, "payer%lld-%s.837", (long long)payer, today);
    snprintf(cnt, sizeof cnt, "%zu", n);
    srv_reply_download(r, "application/edi-x12", name, out, len);
    srv_add_header(r, "X-Claims", cnt);
    snprintf(cnt, sizeof cnt, "%lld", (long long)batch);
    srv_add_header(r, "X-Batch", cnt); /* GET /api/claims/batches/:id/download fetches it again */
}

/* GET /api/claims/batches: the practice's 837P batches, a page at a time, newest first. */
void api_claims_batches(struct srv_req *r)
{
    struct psy_billing_batch *v;
    struct psy_page pg;
    size_t n;
    if (api_page(r, &pg)) return;
    psy_status rc = psy_billing_batch_page(r->st, r->session.user.practice_id, srv_query(r, "payer"), &pg, &v, &n);
    if (rc) {
        api_page_fail(r, rc);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:I, s:I, s:s, s:I, s:I, s:s, s:I, s:I, s:s, s:b}", "id", (json_int_t)v[i].id,
                                             "payer_id", (json_int_t)v[i].payer_id, "payer_code", v[i].payer_code, "isa13",
                                             (json_int_t)v[i].isa13, "gs06", (json_int_t)v[i].gs06, "st02", v[i].st02,
                                             "claims", (json_int_t)v[i].n_claims, "bytes", (json_int_t)v[i].bytes,
                                             "created_at", v[i].created_at, "written", v[i].written_at[0] != 0));
    free(v);
    api_page_reply(r, &pg, arr, NULL);
}

/* GET /api/claims/batches/:id/download: one batch's 837P again, byte for byte as exported. */
void api_claims_batch_download(struct srv_req *r)
{
    char *end;
    const char *idp = srv_param(r, "id");
    long long id = strtoll(idp, &end, 10);
    if (*end || id <= 0) {
        srv_reply_error(r, 404, "not_found", NULL, "no such batch");
        return;
    }
    if (api_audit_rec(r, "claim.batch.download", "batch", id)) return;
    char *out;
    size_t len;
    psy_status rc = psy_billing_batch_get(r->st, r->session.user.practice_id, id, &out, &len);
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    char name[64];
    snprintf(name, sizeof name, "batch-%lld.837", id);
    srv_reply_download(r, "application/edi-x12", name, out, len);
}

/* GET /api/claims/:id/cms1500 */
void api_claim_cms1500(struct srv_req *r)
{
    json_t *doc = claim_param(r);
    if (!doc) return;
    char number[PSY_CLAIM_ID_MAX + 1];
    snprintf(number, sizeof number, "%s", str_of(json_object_get(doc, "number")));
    psy_id id = json_integer_value(json_object_get(doc, "id"));
    json_decref(doc);
    if (api_audit_rec(r, "claim.cms1500", "claim", id)) return;
    char *pdf = NULL, err[300] = "", name[64];
    size_t len;
    psy_status rc = psy_billing_cms1500(r->st, r->session.user.practice_id, number, &pdf, &len, err, sizeof err);
    if (rc == PSY_EINVAL) {
        reply_field(r, "invalid", err);
        return;
    }
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    snprintf(name, sizeof name, "%s-cms1500.pdf", number);
    srv_reply_download(r, "application/pdf", name, pdf, len);
}

/* GET /api/superbill?client=ID&month=YYYY-MM */
void api_superbill(struct srv_req *r)
{
    long long client;
    const char *month = srv_query(r, "month");
    if (srv_query_int(r, "client", 1, 1LL << 53, 0, &client)) return;
    if (!client) {
        srv_reply_error(r, 400, "invalid", "client", "client: the client's id");
        return;
    }
    if (!month_valid(month)) {
        srv_reply_error(r, 400, "invalid", "month", "month: a month YYYY-MM");
        return;
    }
    struct psy_client c;
    if (!api_may_see(r, 0, client)) {
        srv_reply_error(r, 404, "not_found", NULL, "no such client");
        return;
    }
    if (api_found(r, psy_records_client_get(r->st, r->session.user.practice_id, client, &c), "client")) return;
    if (api_audit_rec(r, "superbill.read", "client", client)) return;
    char *pdf = NULL, err[300] = "", name[64];
    size_t len;
    psy_status rc = psy_billing_superbill(r->st, r->srv->coder, r->session.user.practice_id, client, month, &pdf, &len,
                                          err, sizeof err);
    if (rc == PSY_EINVAL || rc == PSY_ENOTFOUND) {
        reply_field(r, "invalid", *err ? err : "month: no signed session in this month");
        return;
    }
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    snprintf(name, sizeof name, "superbill-%lld-%s.pdf", client, month);
    srv_reply_download(r, "application/pdf", name, pdf, len);
}

/* GET /api/suspense */
void api_suspense(struct srv_req *r)
{
    struct psy_page pg;
    if (api_page(r, &pg) || api_audit_rec(r, "suspense.list", "suspense_item", 0)) return;
    struct psy_billing_suspense *s;
    size_t n;
    const char *all = srv_query(r, "all");
    long long sum = 0;
    psy_status rc = psy_billing_suspense_page(r->st, r->session.user.practice_id, all && !strcmp(all, "1"),
                                              srv_query(r, "q"), &pg, &s, &n, &sum);
    if (rc) {
        api_page_fail(r, rc);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "id",
                                             (json_int_t)s[i].id, "claim_number", s[i].claim_number, "code", s[i].code,
                                             "modifiers", s[i].modifiers, "charge_cents", (json_int_t)s[i].charge_cents,
                                             "paid_cents", (json_int_t)s[i].paid_cents, "why", s[i].why, "posted_at",
                                             s[i].posted_at, "source", s[i].source, "segment", s[i].segment, "verdict",
                                             s[i].verdict, "resolved", s[i].resolved, "resolution", s[i].resolution));
    }
    free(s);
    api_page_reply(r, &pg, arr, json_pack("{s:I}", "paid_cents", (json_int_t)sum));
}
