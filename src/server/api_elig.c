/*
 * api_elig.c -- eligibility on the client's page: the 271 answers kept with the client's policies
 * (GET /api/clients/:id/eligibility), a 270 to send the payer (POST /api/clients/:id/eligibility/request,
 * {"date", "policy"} -> the file as a download), and a 271 file read and kept with the policies it
 * answers (POST /api/eligibility/post, the file's bytes as the body).
 *
 * Answers name patients and their coverage: reading them needs clients.read with the clinician's own
 * scope applied; asking and keeping draw control numbers and write, so they need insurance.write for the
 * practice. Every one goes to the audit trail.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "srv_int.h"
#include "srv_api.h"

static int client_param(struct srv_req *r, psy_id *id)
{
    struct psy_client c;
    if (api_id_param(r, "id", id)) return -1;
    return api_found(r,
                     api_may_see(r, 0, *id) ? psy_records_client_get(r->st, r->session.user.practice_id, *id, &c)
                                            : PSY_ENOTFOUND,
                     "client");
}

/* GET /api/clients/:id/eligibility */
void api_client_eligibility(struct srv_req *r)
{
    psy_id id;
    if (client_param(r, &id) || api_audit_rec(r, "eligibility.read", "client", id)) return;
    char *out;
    size_t len;
    psy_status rc = psy_billing_eligibility_list(r->st, r->session.user.practice_id, id, &out, &len);
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    srv_reply_json_text(r, 200, out, len);
    free(out);
}

/* POST /api/clients/:id/eligibility/request */
void api_client_eligibility_request(struct srv_req *r)
{
    psy_id id;
    if (client_param(r, &id)) return;
    json_t *b = srv_body_object(r);
    if (!b) return;
    json_t *d = json_object_get(b, "date"), *p = json_object_get(b, "policy");
    if ((d && !json_is_null(d) && !json_is_string(d)) || (p && !json_is_null(p) && !json_is_integer(p))) {
        json_decref(b);
        srv_reply_error(r, 422, "invalid", d && !json_is_string(d) && !json_is_null(d) ? "date" : "policy",
                        "date is a string YYYY-MM-DD, policy an integer id");
        return;
    }
    char date[PSY_DATE_MAX] = "";
    if (json_is_string(d)) snprintf(date, sizeof date, "%s", json_string_value(d));
    psy_id policy = json_is_integer(p) ? (psy_id)json_integer_value(p) : 0;
    json_decref(b);
    if (api_audit_rec(r, "eligibility.request", "client", id)) return;
    char *out = NULL, err[300] = "", name[64];
    size_t len;
    psy_status rc = psy_billing_eligibility_request(r->st, r->session.user.practice_id, id, policy, date, &out, &len,
                                                    err, sizeof err);
    if (rc == PSY_EINVAL || rc == PSY_ENOTFOUND) {
        const char *colon = strchr(err, ':');
        char field[32];
        snprintf(field, sizeof field, "%.*s", colon ? (int)(colon - err) : 0, err);
        srv_reply_error(r, 422, "invalid", field[0] ? field : NULL, "%s", err);
        return;
    }
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    snprintf(name, sizeof name, "eligibility-%lld.270", (long long)id);
    srv_reply_download(r, "application/edi-x12", name, out, len);
}

/* POST /api/eligibility/post */
void api_eligibility_post(struct srv_req *r)
{
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (ct && (!strncasecmp(ct, "multipart/form-data", 19) || !strncasecmp(ct, "application/x-www-form-urlencoded", 33))) {
        srv_reply_error(r, 415, "unsupported_media_type", NULL, "send the 271 file's bytes as the body, not a form");
        return;
    }
    if (!r->body_len) {
        srv_reply_error(r, 422, "invalid_x12", "body", "the body is empty: send a 271 file");
        return;
    }
    if (api_audit_rec(r, "eligibility.post", "eligibility", 0)) return; /* on the trail before anything is kept */
    struct psy_billing_elig_result res;
    char err[400] = "";
    psy_status rc = psy_billing_eligibility_post(r->st, r->session.user.practice_id, NULL, r->body, r->body_len, &res,
                                                 err, sizeof err);
    if (rc == PSY_EPARSE || rc == PSY_ETOOBIG) {
        srv_reply_error(r, 422, "invalid_x12", "body", "%s", err);
        return;
    }
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    srv_reply_json(r, 200,
                   json_pack("{s:I, s:I, s:I, s:I, s:I}", "answers", (json_int_t)res.answers, "stored",
                             (json_int_t)res.stored, "seen_before", (json_int_t)res.seen_before, "unmatched",
                             (json_int_t)res.unmatched, "client", (json_int_t)res.client));
}
