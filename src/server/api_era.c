/*
 * api_era.c -- POST /api/era/read: an 835 remittance file as the request body (its bytes as they
 * are, capped like every body), answered with what it says: the `era read` JSON document with the
 * codes in plain words (psy_x12_835_json with PSY_ERA_JSON_DETAIL). Nothing is stored or posted.
 *
 * A remittance names patients and pays claims of every clinician, so the route needs claims.read
 * for the whole practice (admins and billers) and each reading goes to the audit trail, with the
 * check or EFT number as the record. A malformed file answers 422 with the segment number and element.
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

void api_era_read(struct srv_req *r)
{
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (is_form(ct)) {
        srv_reply_error(r, 415, "unsupported_media_type", NULL,
                        "send the 835 file's bytes as the body (application/edi-x12 or text/plain), not a form");
        return;
    }
    if (!r->body_len) {
        srv_reply_error(r, 422, "invalid_x12", "body", "the body is empty: send an 835 file");
        return;
    }
    psy_x12_reader *rd = psy_x12_reader_mem(r->body, r->body_len, r->srv->max_body);
    char err[400], *doc = NULL;
    size_t len = 0, n = 0;
    psy_status rc = rd ? psy_x12_835_json(rd, PSY_ERA_JSON_DETAIL, &doc, &len, &n, err, sizeof err) : PSY_ENOMEM;
    psy_x12_reader_free(rd);
    if (rc == PSY_EPARSE || rc == PSY_ETOOBIG) {
        srv_reply_error(r, rc == PSY_ETOOBIG ? 413 : 422, rc == PSY_ETOOBIG ? "payload_too_large" : "invalid_x12",
                        "body", "%s", err);
        return;
    }
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    if (!n) {
        free(doc);
        srv_reply_error(r, 422, "invalid_x12", "body", "the file holds no 835 transaction (ST*835)");
        return;
    }
    json_t *j = json_loadb(doc, len, 0, NULL);
    free(doc);
    if (!j) {
        srv_reply_error(r, 500, "internal", NULL, "the answer could not be encoded");
        return;
    }
    /* on the trail before anything is shown; the first payment's check/EFT number names the file */
    const char *check = json_string_value(json_object_get(json_array_get(json_object_get(j, "payments"), 0),
                                                          "check_number"));
    char rec[PSY_AUDIT_ID_MAX];
    snprintf(rec, sizeof rec, "%s", check && *check ? check : "");
    rc = psy_auth_audit(r->st, &r->session.user, "era.read", "era", rec, r->ip);
    if (rc) {
        json_decref(j);
        srv_reply_status(r, rc, NULL);
        return;
    }
    srv_reply_json(r, 200, j);
}
