/*
 * api_era.c -- POST /api/era/read: an 835 remittance file as the request body (its bytes as they
 * are, capped like every body), answered with what it says: the `era read` JSON document with the
 * codes in plain words (psy_x12_835_json with PSY_ERA_JSON_DETAIL). Reading stores nothing.
 *
 * A remittance names patients and pays claims of every clinician, so the route needs claims.read
 * for the whole practice (admins and billers) and each reading goes to the audit trail, with the
 * check or EFT number as the record. A malformed file answers 422 with the segment number and element.
 *
 * POST /api/era/post takes the same body and posts it (psy_billing_era_post): payments and adjustments
 * stored against the claims it names, unmatched items in suspense, claims moved to paid, partially paid
 * or denied; a file already posted changes nothing. It answers with the posting's counts, the claims'
 * new states and the remittance in plain words. Posting needs claims.write for the whole practice.
 *
 * Incoming files: POST /api/incoming/read and /api/incoming/post take any file a clearinghouse or payer
 * sends back, tell its transaction from ST01/GS08 (psy_x12_detect) and read or post it with its own
 * reader: an 835 as above, a TA1, 999 or 277CA with psy_x12_ack_json / psy_billing_ack_post (claims
 * accepted or rejected with their errors in words, unknown ones in suspense), a 271 with
 * psy_billing_eligibility_read / _post (each answer kept with the policy it answers). Keeping a 271 is a
 * write of the clients' insurance: its post needs insurance.write for the whole practice as well as the
 * route's claims.write (403 otherwise), and goes to the audit trail as eligibility.post. The suspense items are resolved by hand (POST /api/suspense/:id/apply
 * with {"claim_number"}, /close with {"reason"}) and a rejected claim is taken back to work (POST
 * /api/claims/:id/rebuild); each is a write of the billing office (claims.write), on the audit trail.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "srv_api.h"

/* Form encodings wrap the file in something that is not X12; the page sends the bytes themselves. */
static int is_form(const char *ct)
{
    return ct && (strncasecmp(ct, "multipart/form-data", 19) == 0 ||
                  strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0);
}

/* The request's 835 as the detail document of psy_x12_835_json; on failure replies and returns NULL. */
static json_t *remittance(struct srv_req *r)
{
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (is_form(ct)) {
        srv_reply_error(r, 415, "unsupported_media_type", NULL,
                        "send the 835 file's bytes as the body (application/edi-x12 or text/plain), not a form");
        return NULL;
    }
    if (!r->body_len) {
        srv_reply_error(r, 422, "invalid_x12", "body", "the body is empty: send an 835 file");
        return NULL;
    }
    psy_x12_reader *rd = psy_x12_reader_mem(r->body, r->body_len, r->srv->max_body);
    char err[400], *doc = NULL;
    size_t len = 0, n = 0;
    psy_status rc = rd ? psy_x12_835_json(rd, PSY_ERA_JSON_DETAIL | PSY_ERA_JSON_LENIENT, &doc, &len, &n, err, sizeof err) : PSY_ENOMEM;
    psy_x12_reader_free(rd);
    if (rc == PSY_EPARSE || rc == PSY_ETOOBIG) {
        srv_reply_error(r, rc == PSY_ETOOBIG ? 413 : 422, rc == PSY_ETOOBIG ? "payload_too_large" : "invalid_x12",
                        "body", "%s", err);
        return NULL;
    }
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return NULL;
    }
    if (!n) {
        free(doc);
        srv_reply_error(r, 422, "invalid_x12", "body", "the file holds no 835 transaction (ST*835)");
        return NULL;
    }
    json_t *j = json_loadb(doc, len, 0, NULL);
    free(doc);
    if (!j) srv_reply_error(r, 500, "internal", NULL, "the answer could not be encoded");
    return j;
}

/* Writes the audit event for a remittance, the first payment's check/EFT number naming the file. */
static int audit_era(struct srv_req *r, const char *action, json_t *j)
{
    const char *check = json_string_value(json_object_get(json_array_get(json_object_get(j, "payments"), 0),
                                                          "check_number"));
    char rec[PSY_AUDIT_ID_MAX];
    snprintf(rec, sizeof rec, "%s", check && *check ? check : "");
    psy_status rc = psy_auth_audit(r->st, &r->session.user, action, "era", rec, r->ip);
    if (rc) {
        json_decref(j);
        srv_reply_status(r, rc, NULL);
        return -1;
    }
    return 0;
}

void api_era_read(struct srv_req *r)
{
    json_t *j = remittance(r);
    /* on the trail before anything is shown */
    if (j && !audit_era(r, "era.read", j)) srv_reply_json(r, 200, j);
}

/* The claims a remittance names, with the state posting left them in: {number, id, status}. */
static json_t *posted_claims(struct srv_req *r, json_t *doc)
{
    struct psy_billing_claim *c = NULL;
    size_t n = 0;
    json_t *out = json_array(), *pay, *cl;
    size_t i, k;
    if (psy_billing_claim_list(r->st, r->session.user.practice_id, NULL, &c, &n)) return out;
    json_array_foreach(json_object_get(doc, "payments"), i, pay) {
        json_array_foreach(json_object_get(pay, "claims"), k, cl) {
            const char *num = json_string_value(json_object_get(cl, "claim_id"));
            json_t *x = json_pack("{s:s, s:n, s:n}", "number", num ? num : "", "id", "status");
            for (size_t m = 0; num && m < n; m++)
                if (!strcmp(c[m].number, num)) {
                    json_object_set_new(x, "id", json_integer(c[m].id));
                    json_object_set_new(x, "status", json_string(c[m].status));
                }
            json_array_append_new(out, x);
        }
    }
    psy_billing_claims_free(c, n);
    return out;
}

/* What a posting did, as JSON (the CLI's `era post --json` says the same). */
static json_t *post_result_json(const struct psy_billing_post_result *p)
{
    json_t *o = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "already_posted", p->already_posted,
                          "payments", (json_int_t)p->payments, "payments_seen_before", (json_int_t)p->payments_seen_before,
                          "claims", (json_int_t)p->claims, "lines", (json_int_t)p->lines, "suspense",
                          (json_int_t)p->suspense, "denied", (json_int_t)p->denied, "unbalanced",
                          (json_int_t)p->unbalanced, "overpaid", (json_int_t)p->overpaid, "reversals",
                          (json_int_t)p->reversals, "paid_cents", (json_int_t)p->paid_cents);
    json_object_set_new(o, "next_claims", json_integer(p->next_claims));
    json_object_set_new(o, "next_held", json_integer(p->next_held));
    json_object_set_new(o, "next_to_replace", json_integer(p->next_to_replace));
    if (p->earlier_file)
        json_object_set_new(o, "earlier_file", json_pack("{s:I, s:s, s:s}", "id", (json_int_t)p->earlier_file, "name",
                                                         p->earlier_name, "posted_at", p->earlier_posted_at));
    return o;
}

/* Posts the request's 835 and builds the answer; NULL when it replied with an error. */
static json_t *era_post_answer(struct srv_req *r)
{
    json_t *j = remittance(r);
    if (!j || audit_era(r, "era.post", j)) return NULL;
    struct psy_billing_post_result p;
    char err[400] = "";
    psy_status rc = psy_billing_era_post(r->st, r->session.user.practice_id, r->body, r->body_len, &p, err, sizeof err);
    if (rc == PSY_EPARSE || rc == PSY_ECONFLICT) {
        json_decref(j);
        if (rc == PSY_EPARSE) srv_reply_error(r, 422, "invalid_x12", "body", "%s", err);
        else srv_reply_error(r, 409, "conflict", "body", "%s", err);
        return NULL;
    }
    if (rc) {
        json_decref(j);
        srv_reply_status(r, rc, NULL);
        return NULL;
    }
    json_t *posted = post_result_json(&p);
    return json_pack("{s:o, s:o, s:o}", "posted", posted, "claims", posted_claims(r, j), "remittance", j);
}

/* POST /api/era/post: stores the remittance's payments and adjustments against the claims it names. */
void api_era_post(struct srv_req *r)
{
    json_t *a = era_post_answer(r);
    if (a) srv_reply_json(r, 200, a);
}

/* --- incoming files: 835, TA1, 999, 277CA, 271 ---------------------------------------------------- */

/* The kind of the request's file; on failure (a form, an empty body, not X12, a kind psyclaim does not
 * take in) replies and returns -1. */
static int incoming_kind(struct srv_req *r, psy_x12_kind *kind)
{
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (is_form(ct)) {
        srv_reply_error(r, 415, "unsupported_media_type", NULL,
                        "send the file's bytes as the body (application/edi-x12 or text/plain), not a form");
        return -1;
    }
    if (!r->body_len) {
        srv_reply_error(r, 422, "invalid_x12", "body", "the body is empty: send an 835, 999, 277CA or 271 file");
        return -1;
    }
    char err[400] = "";
    psy_x12_reader *rd = psy_x12_reader_mem(r->body, r->body_len, r->srv->max_body);
    psy_status rc = rd ? psy_x12_detect(rd, kind, NULL, err, sizeof err) : PSY_ENOMEM;
    psy_x12_reader_free(rd);
    if (rc == PSY_EPARSE || rc == PSY_ETOOBIG) {
        srv_reply_error(r, rc == PSY_ETOOBIG ? 413 : 422, rc == PSY_ETOOBIG ? "payload_too_large" : "invalid_x12",
                        "body", "%s", err);
        return -1;
    }
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return -1;
    }
    switch (*kind) {
    case PSY_X12_KIND_835:
    case PSY_X12_KIND_999:
    case PSY_X12_KIND_277CA:
    case PSY_X12_KIND_277:
    case PSY_X12_KIND_TA1:
    case PSY_X12_KIND_271: return 0;
    default:
        srv_reply_error(r, 422, "unsupported_kind", "body", "%s",
                        *kind == PSY_X12_KIND_UNKNOWN ? (err[0] ? err : "not a file psyclaim reads")
                                                      : "the file is an 837P or 270 psyclaim sends, not one it receives");
        return -1;
    }
}

/* The request's acknowledgement as the JSON document of psy_x12_ack_json; NULL when it replied. */
static json_t *ack_doc(struct srv_req *r)
{
    char err[400] = "", *doc = NULL;
    size_t len = 0;
    psy_x12_reader *rd = psy_x12_reader_mem(r->body, r->body_len, r->srv->max_body);
    psy_status rc = rd ? psy_x12_ack_json(rd, &doc, &len, err, sizeof err) : PSY_ENOMEM;
    psy_x12_reader_free(rd);
    if (rc == PSY_EPARSE || rc == PSY_ETOOBIG) {
        srv_reply_error(r, 422, "invalid_x12", "body", "%s", err);
        return NULL;
    }
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return NULL;
    }
    json_t *j = json_loadb(doc, len, 0, NULL);
    free(doc);
    if (!j) srv_reply_error(r, 500, "internal", NULL, "the answer could not be encoded");
    return j;
}

/* The request's 271 as the document of psy_billing_eligibility_read ({"answers": [...]}); NULL when it
 * replied. */
static json_t *elig_doc(struct srv_req *r)
{
    char err[400] = "", *doc = NULL;
    psy_status rc = psy_billing_eligibility_read(r->body, r->body_len, &doc, NULL, err, sizeof err);
    if (rc == PSY_EPARSE || rc == PSY_ETOOBIG || rc == PSY_EINVAL) {
        srv_reply_error(r, 422, "invalid_x12", "body", "%s", err);
        return NULL;
    }
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return NULL;
    }
    json_t *j = json_loads(doc, 0, NULL);
    free(doc);
    if (!j) srv_reply_error(r, 500, "internal", NULL, "the answer could not be encoded");
    return j;
}

/* POST /api/incoming/post for a 271: each answer kept with its policy (insurance.write as well). */
static void incoming_post_271(struct srv_req *r)
{
    if (psy_auth_scope(r->session.user.role, PSY_PERM_INSURANCE_WRITE) != PSY_SCOPE_PRACTICE) {
        srv_reply_error(r, 403, "forbidden", NULL, "keeping eligibility answers needs insurance.write for the practice");
        return;
    }
    json_t *doc = elig_doc(r);
    if (!doc) return;
    if (api_audit_rec(r, "eligibility.post", "eligibility", 0)) { /* on the trail before anything is kept */
        json_decref(doc);
        return;
    }
    struct psy_billing_elig_result res;
    char err[400] = "";
    psy_status rc = psy_billing_eligibility_post(r->st, r->session.user.practice_id, NULL, r->body, r->body_len, &res,
                                                 err, sizeof err);
    if (rc) {
        json_decref(doc);
        if (rc == PSY_EPARSE || rc == PSY_EINVAL || rc == PSY_ETOOBIG) srv_reply_error(r, 422, "invalid_x12", "body", "%s", err);
        else srv_reply_status(r, rc, NULL);
        return;
    }
    json_t *posted = json_pack("{s:I, s:I, s:I, s:I, s:I}", "answers", (json_int_t)res.answers, "stored",
                               (json_int_t)res.stored, "seen_before", (json_int_t)res.seen_before, "unmatched",
                               (json_int_t)res.unmatched, "client", (json_int_t)res.client);
    srv_reply_json(r, 200, json_pack("{s:s, s:o, s:o}", "kind", "271", "posted", posted, "eligibility", doc));
}

/* POST /api/incoming/read: what the file is and what it says; nothing is stored. */
void api_incoming_read(struct srv_req *r)
{
    psy_x12_kind kind;
    if (incoming_kind(r, &kind)) return;
    if (kind == PSY_X12_KIND_271) {
        json_t *j = elig_doc(r);
        if (j && !api_audit_rec(r, "eligibility.read", "eligibility", 0))
            srv_reply_json(r, 200, json_pack("{s:s, s:o}", "kind", "271", "document", j));
        else json_decref(j);
        return;
    }
    json_t *j = kind == PSY_X12_KIND_835 ? remittance(r) : ack_doc(r);
    if (!j) return;
    if (kind == PSY_X12_KIND_835 ? audit_era(r, "era.read", j) : api_audit_rec(r, "ack.read", "ack", 0)) {
        if (kind != PSY_X12_KIND_835) json_decref(j);
        return;
    }
    srv_reply_json(r, 200, json_pack("{s:s, s:o}", "kind", psy_x12_kind_name(kind), "document", j));
}

/* POST /api/incoming/post: posts the file with its poster. */
void api_incoming_post(struct srv_req *r)
{
    psy_x12_kind kind;
    if (incoming_kind(r, &kind)) return;
    if (kind == PSY_X12_KIND_271) {
        incoming_post_271(r);
        return;
    }
    if (kind == PSY_X12_KIND_835) {
        json_t *a = era_post_answer(r);
        if (a) {
            json_object_set_new(a, "kind", json_string("835"));
            srv_reply_json(r, 200, a);
        }
        return;
    }
    json_t *doc = ack_doc(r);
    if (!doc) return;
    if (api_audit_rec(r, "ack.post", "ack", 0)) {
        json_decref(doc);
        return;
    }
    struct psy_billing_ack_result a;
    char err[600] = "";
    psy_status rc = psy_billing_ack_post(r->st, r->session.user.practice_id, NULL, r->body, r->body_len, &a, err,
                                         sizeof err);
    if (rc) {
        json_decref(doc);
        if (rc == PSY_EPARSE || rc == PSY_EINVAL) srv_reply_error(r, 422, "invalid_x12", "body", "%s", err);
        else srv_reply_status(r, rc, NULL);
        return;
    }
    json_t *posted = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I}", "already_posted", a.already_posted, "accepted",
                               (json_int_t)a.accepted, "rejected", (json_int_t)a.rejected, "unchanged",
                               (json_int_t)a.unchanged, "other", (json_int_t)a.other, "suspense",
                               (json_int_t)a.suspense, "errors", (json_int_t)a.errors);
    srv_reply_json(r, 200, json_pack("{s:s, s:o, s:o}", "kind", a.kind, "posted", posted, "acknowledgement", doc));
}

/* --- suspense by hand, rejected claims back to work ----------------------------------------------- */

/* A string field of the request's JSON object, required; NULL when it replied 400. The caller frees body. */
static const char *body_text(struct srv_req *r, json_t *body, const char *name, const char *what)
{
    const char *v = json_string_value(json_object_get(body, name));
    if (!v || !*v) {
        srv_reply_error(r, 400, "invalid", name, "%s: %s", name, what);
        return NULL;
    }
    return v;
}

/* Replies for a failed billing write: 404, 409 or 422 with the library's message. */
static void reply_billing(struct srv_req *r, psy_status rc, const char *field)
{
    if (rc == PSY_ENOTFOUND) srv_reply_error(r, 404, "not_found", field, "%s", psy_store_errmsg(r->st));
    else if (rc == PSY_ECONFLICT) srv_reply_error(r, 409, "conflict", field, "%s", psy_store_errmsg(r->st));
    else if (rc == PSY_EINVAL) srv_reply_error(r, 422, "invalid", field, "%s", psy_store_errmsg(r->st));
    else srv_reply_status(r, rc, NULL);
}

/* POST /api/suspense/:id/apply {"claim_number"} and /close {"reason"}. */
static void suspense_resolve(struct srv_req *r, int apply)
{
    psy_id id;
    if (api_id_param(r, "id", &id)) return;
    json_t *body = srv_body_object(r);
    if (!body) return;
    const char *v = apply ? body_text(r, body, "claim_number", "the number of the claim the item belongs to")
                          : body_text(r, body, "reason", "say why the item is closed");
    if (v && !api_audit_rec(r, apply ? "suspense.apply" : "suspense.close", "suspense_item", id)) {
        psy_id pr = r->session.user.practice_id;
        psy_status rc = apply ? psy_billing_suspense_apply(r->st, pr, id, v) : psy_billing_suspense_close(r->st, pr, id, v);
        if (rc) reply_billing(r, rc, apply ? "claim_number" : NULL);
        else srv_reply_json(r, 200, json_pack("{s:I, s:b, s:s}", "id", (json_int_t)id, "resolved", 1,
                                             apply ? "claim_number" : "reason", v));
    }
    json_decref(body);
}

void api_suspense_apply(struct srv_req *r) { suspense_resolve(r, 1); }
void api_suspense_close(struct srv_req *r) { suspense_resolve(r, 0); }

/* POST /api/claims/:id/rebuild {"reason"?}: a rejected claim, corrected, made ready to be sent again. */
void api_claim_rebuild(struct srv_req *r)
{
    psy_id id;
    if (api_id_param(r, "id", &id)) return;
    json_t *body = srv_body_object(r);
    if (!body) return;
    const char *reason = json_string_value(json_object_get(body, "reason"));
    if (!api_audit_rec(r, "claim.rebuild", "claim", id)) {
        psy_status rc = psy_billing_claim_rebuild(r->st, r->session.user.practice_id, id, reason);
        struct psy_billing_claim *c = NULL;
        size_t n = 0;
        if (rc) reply_billing(r, rc, "status");
        else if ((rc = psy_billing_claim_list(r->st, r->session.user.practice_id, NULL, &c, &n))) srv_reply_status(r, rc, NULL);
        else {
            const char *status = "";
            for (size_t i = 0; i < n; i++)
                if (c[i].id == id) status = c[i].status;
            srv_reply_json(r, 200, json_pack("{s:I, s:s}", "id", (json_int_t)id, "status", status));
        }
        psy_billing_claims_free(c, n);
    }
    json_decref(body);
}

/* GET /api/era/files: the incoming files posted (835s and acknowledgements), a page at a time, newest
 * first. */
void api_era_files(struct srv_req *r)
{
    const char *kind = srv_query(r, "kind");
    static const char *const kinds[] = {"835", "TA1", "999", "277CA", "277"};
    int known = !kind || !*kind;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0] && !known; i++) known = !strcmp(kind, kinds[i]);
    if (!known) {
        srv_reply_error(r, 400, "invalid", "kind", "kind: one of 835, TA1, 999, 277CA, 277");
        return;
    }
    struct psy_page pg;
    if (api_page(r, &pg) || api_audit_rec(r, "era.file.list", "era_file", 0)) return;
    struct psy_billing_era_file *v;
    size_t n;
    psy_status rc = psy_billing_era_file_page(r->st, r->session.user.practice_id, kind, srv_query(r, "q"), &pg, &v, &n);
    if (rc) {
        api_page_fail(r, rc);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:I, s:s}", "id", (json_int_t)v[i].id, "kind", v[i].kind,
                                             "name", v[i].name, "bytes", (json_int_t)v[i].bytes, "posted_at",
                                             v[i].posted_at));
    free(v);
    api_page_reply(r, &pg, arr, NULL);
}
