/*
 * api_coding.c -- the coding engine over HTTP: POST /api/code-session codes one described session
 * (the code-session JSON of docs/coding.md) into claim lines and findings; GET /api/payers lists the
 * payer profiles a session may name.
 *
 * A session description holds no patient data (kind, minutes, date, codes, payer), so nothing here
 * goes to the audit trail. Invalid input answers 422 naming the field; a session that is valid but
 * cannot be billed as described answers 200 with error findings, because that is the engine's answer.
 */
#include <stdlib.h>
#include <string.h>
#include "srv_int.h"

void api_code_session(struct srv_req *r)
{
    if (!srv_body_is_json(r)) return;
    struct psy_coding_input s;
    char field[PSY_FIELD_MAX], msg[PSY_MESSAGE_MAX];
    psy_status rc = psy_session_from_json(r->body ? r->body : "", r->body_len, &s, field, sizeof field, msg,
                                          sizeof msg);
    if (rc == PSY_EPARSE || (rc && !*field)) {
        srv_reply_error(r, 400, "invalid_json", NULL, "the body is %s",
                        rc == PSY_EPARSE ? msg : "not one JSON object describing a session");
        return;
    }
    if (rc) {
        srv_reply_error(r, 422, "invalid", field, "%s: %s", field, msg);
        return;
    }
    struct psy_coding_result *res = malloc(sizeof *res);
    if (!res) {
        srv_reply_status(r, PSY_ENOMEM, NULL);
        return;
    }
    rc = psy_coding_session(r->srv->coder, &s, res);
    if (rc == PSY_EINVAL && res->n_findings) { /* one finding with rule INPUT names the field */
        const struct psy_finding *f = &res->findings[0];
        srv_reply_error(r, 422, "invalid", f->field[0] ? f->field : NULL, "%s", f->message);
    } else if (rc) {
        srv_reply_status(r, rc, NULL);
    } else {
        size_t len;
        char *text = psy_coding_result_json(res, 0, &len);
        srv_reply_json_text(r, 200, text, len);
        free(text);
    }
    free(res);
}

void api_payers(struct srv_req *r)
{
    const psy_payers *ps = psy_coding_payers(r->srv->coder);
    json_t *arr = json_array();
    for (size_t i = 0; i < psy_payers_count(ps); i++)
        json_array_append_new(arr, json_pack("{s:s, s:s}", "id", psy_payers_id(ps, i), "name", psy_payers_name(ps, i)));
    srv_reply_json(r, 200, json_pack("{s:s, s:o}", "default", "default", "payers", arr));
}
