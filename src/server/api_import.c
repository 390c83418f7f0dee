/*
 * api_import.c -- POST /api/import/clients: a practice's clients, their diagnoses and one insurance
 * policy per row from another system's CSV (docs/importing.md, "Clients from another system"), sent
 * as the request body itself (text/csv), like the remittance of /api/era/post.
 *
 * `?dry_run=1` checks every row and writes nothing; `?skip_bad=1` writes the good rows when some are
 * refused; without it nothing is written unless every row is good. The answer is the report of
 * psy_records_import_clients: counts and every problem of every refused row by row and column, never
 * the value. Imports land in the caller's practice and find only its payers. The route needs
 * clients.import for the practice (admins and billers); every import, dry or not, goes to the audit
 * trail before anything is read.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "srv_int.h"

/* A yes/no query flag: absent or 0/false -> 0, 1/true -> 1; anything else replies 400 and returns -1. */
static int flag(struct srv_req *r, const char *name)
{
    const char *v = srv_query(r, name);
    if (!v || !*v || !strcmp(v, "0") || !strcasecmp(v, "false")) return 0;
    if (!strcmp(v, "1") || !strcasecmp(v, "true")) return 1;
    srv_reply_error(r, 400, "invalid_argument", name, "%s: 1 or 0", name);
    return -1;
}

static json_t *report_json(const struct psy_import_report *rep, int dry_run, int skip_bad)
{
    json_t *problems = json_array();
    for (size_t i = 0; i < rep->n_problems; i++)
        json_array_append_new(problems, json_pack("{s:I, s:s, s:s}", "row", (json_int_t)rep->problems[i].row, "column",
                                                  rep->problems[i].column, "message", rep->problems[i].message));
    return json_pack("{s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:b, s:o}", "dry_run", dry_run, "skip_bad", skip_bad, "rows",
                     (json_int_t)rep->rows, "good", (json_int_t)rep->good, "refused", (json_int_t)rep->refused,
                     "clients", (json_int_t)rep->clients, "policies", (json_int_t)rep->policies, "committed",
                     rep->committed, "problems", problems);
}

void api_import_clients(struct srv_req *r)
{
    int dry_run = flag(r, "dry_run"), skip_bad = dry_run < 0 ? -1 : flag(r, "skip_bad");
    if (dry_run < 0 || skip_bad < 0) return;
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (ct && (!strncasecmp(ct, "multipart/form-data", 19) || !strncasecmp(ct, "application/x-www-form-urlencoded", 33))) {
        srv_reply_error(r, 415, "unsupported_media_type", NULL,
                        "send the CSV file's bytes as the body (text/csv), not a form");
        return;
    }
    if (!r->body_len) {
        srv_reply_error(r, 422, "invalid_csv", "body", "the body is empty: send a CSV file with a header row");
        return;
    }
    psy_status rc = psy_auth_audit(r->st, &r->session.user, dry_run ? "clients.import.dry_run" : "clients.import",
                                   "import", skip_bad ? "skip-bad" : "", r->ip);
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    struct psy_import_report rep;
    int flags = (dry_run ? PSY_IMPORT_DRY_RUN : 0) | (skip_bad ? PSY_IMPORT_SKIP_BAD : 0);
    rc = psy_records_import_clients(r->st, r->session.user.practice_id, r->body, r->body_len, flags, &rep);
    if (rc == PSY_EPARSE) {
        /* the message names a row and a header, never a value (records_import.c) */
        srv_reply_error(r, 422, "invalid_csv", "body", "%s", psy_store_errmsg(r->st));
        return;
    }
    if (rc) {
        psy_import_report_clear(&rep);
        srv_reply_status(r, rc, NULL);
        return;
    }
    json_t *body = report_json(&rep, dry_run, skip_bad);
    unsigned status = 200;
    if (!dry_run && !rep.committed) {
        /* refused rows stopped the import: the report, and an error saying nothing was written */
        status = 422;
        json_object_set_new(body, "error",
                            json_pack("{s:s, s:s, s:s}", "code", "rows_refused", "field", "body", "message",
                                      "rows were refused, so nothing was imported: fix them, or import only the "
                                      "good rows (skip_bad=1)"));
    }
    psy_import_report_clear(&rep);
    srv_reply_json(r, status, body);
}
