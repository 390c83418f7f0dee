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
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "srv_int.h"

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
    if (p->earlier_file)
        json_object_set_new(o, "earlier_file", json_pack("{s:I, s:s, s:s}", "id", (json_int_t)p->earlier_file, "name",
                                                         p->earlier_name, "posted_at", p->earlier_posted_at));
    return o;
}

/* POST /api/era/post: stores the remittance's payments and adjustments against the claims it names. */
void api_era_post(struct srv_req *r)
{
    json_t *j = remittance(r);
    if (!j || audit_era(r, "era.post", j)) return;
    struct psy_billing_post_result p;
    char err[400] = "";
    psy_status rc = psy_billing_era_post(r->st, r->session.user.practice_id, r->body, r->body_len, &p, err, sizeof err);
    if (rc == PSY_EPARSE || rc == PSY_ECONFLICT) {
        json_decref(j);
        if (rc == PSY_EPARSE) srv_reply_error(r, 422, "invalid_x12", "body", "%s", err);
        else srv_reply_error(r, 409, "conflict", "body", "%s", err);
        return;
    }
    if (rc) {
        json_decref(j);
        srv_reply_status(r, rc, NULL);
        return;
    }
    json_t *posted = post_result_json(&p);
    srv_reply_json(r, 200, json_pack("{s:o, s:o, s:o}", "posted", posted, "claims", posted_claims(r, j), "remittance", j));
}
