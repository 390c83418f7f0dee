/*
 * srv_json.c -- what handlers answer with: JSON bodies, the error envelope
 * {"error": {"code", "message", "field"}}, the table from library status to HTTP status, extra headers,
 * the session cookie, and reading JSON bodies, query arguments and path parameters.
 *
 * Error messages are written here or by the handlers, never copied from the store's message, which can
 * quote the data it failed on: no patient data leaves through an error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "srv_int.h"

static void clear_reply(struct srv_req *r)
{
    json_decref(r->json);
    r->json = NULL;
    r->raw = NULL;
    r->raw_len = 0;
    r->raw_type = NULL;
    free(r->owned);
    r->owned = NULL;
    r->etag = NULL;
}

void srv_reply_json(struct srv_req *r, unsigned status, json_t *body)
{
    clear_reply(r);
    r->status = status;
    r->json = body;
}

void srv_reply_download(struct srv_req *r, const char *type, const char *filename, char *data, size_t len)
{
    clear_reply(r);
    r->status = 200;
    r->owned = data;
    r->raw = data;
    r->raw_len = len;
    r->raw_type = type;
    char cd[160];
    snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", filename);
    srv_add_header(r, "Content-Disposition", cd);
}

void srv_reply_empty(struct srv_req *r, unsigned status)
{
    clear_reply(r);
    r->status = status;
}

void srv_reply_error(struct srv_req *r, unsigned status, const char *code, const char *field, const char *fmt,
                     ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *err = json_pack("{s:s, s:s, s:s?}", "code", code, "message", msg, "field", field);
    srv_reply_json(r, status, json_pack("{s:o}", "error", err));
}

/* How a library failure is answered. */
static const struct {
    psy_status st;
    unsigned http;
    const char *code;
} status_map[] = {
    {PSY_ENOMEM, 503, "unavailable"},    {PSY_EINVAL, 400, "invalid"},  {PSY_ENOTFOUND, 404, "not_found"},
    {PSY_ECONFLICT, 409, "conflict"},    {PSY_ETOOBIG, 413, "payload_too_large"},
    {PSY_EPARSE, 400, "invalid"},        {PSY_EIO, 500, "internal"},    {PSY_EDB, 500, "internal"},
    {PSY_EPERM, 403, "forbidden"},
};

void srv_reply_status(struct srv_req *r, psy_status rc, const char *field)
{
    if (rc == PSY_EDB && r->st && psy_store_unavailable(r->st)) {
        srv_add_header(r, "Retry-After", "5");
        srv_reply_error(r, 503, "unavailable", NULL, "database unavailable: try again in a moment");
        return;
    }
    for (size_t i = 0; i < sizeof status_map / sizeof status_map[0]; i++)
        if (status_map[i].st == rc) {
            srv_reply_error(r, status_map[i].http, status_map[i].code, field, "%s", psy_strerror(rc));
            return;
        }
    srv_reply_error(r, 500, "internal", field, "%s", psy_strerror(rc));
}

void srv_add_header(struct srv_req *r, const char *name, const char *value)
{
    if (r->nhdr == SRV_MAX_HEADERS) return;
    snprintf(r->hdr_name[r->nhdr], sizeof r->hdr_name[0], "%s", name);
    snprintf(r->hdr_value[r->nhdr], sizeof r->hdr_value[0], "%s", value);
    r->nhdr++;
}

void srv_set_session_cookie(struct srv_req *r, const char *token, long max_age)
{
    char v[200];
    snprintf(v, sizeof v, "%s=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Strict%s", SRV_SESSION_COOKIE, token,
             *token ? max_age : 0, r->srv->tls ? "; Secure" : "");
    srv_add_header(r, "Set-Cookie", v);
}

json_t *srv_user_json(const struct psy_user *u)
{
    json_t *j = json_pack("{s:I, s:I, s:s, s:s}", "id", (json_int_t)u->id, "practice_id",
                          (json_int_t)u->practice_id, "username", u->username, "role",
                          psy_auth_role_name(u->role));
    json_object_set_new(j, "clinician_id", u->clinician_id ? json_integer(u->clinician_id) : json_null());
    json_object_set_new(j, "active", json_boolean(u->active));
    json_object_set_new(j, "two_factor", json_boolean(u->totp));
    return j;
}

void srv_reply_json_text(struct srv_req *r, unsigned status, const char *text, size_t len)
{
    json_t *j = json_loadb(text, len, 0, NULL);
    if (j) srv_reply_json(r, status, j);
    else srv_reply_error(r, 500, "internal", NULL, "the answer could not be encoded");
}

int srv_body_is_json(struct srv_req *r)
{
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    size_t n = strlen("application/json");
    if (!ct || strncasecmp(ct, "application/json", n) != 0 || (ct[n] && ct[n] != ';' && ct[n] != ' ')) {
        srv_reply_error(r, 415, "unsupported_media_type", NULL, "send the body as application/json");
        return 0;
    }
    return 1;
}

json_t *srv_body_object(struct srv_req *r)
{
    if (!srv_body_is_json(r)) return NULL;
    json_error_t je;
    json_t *j = r->body_len ? json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (!j) {
        srv_reply_error(r, 400, "invalid_json", NULL, "the body is not valid JSON%s%s",
                        r->body_len ? ": " : "", r->body_len ? je.text : "");
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        srv_reply_error(r, 400, "invalid_json", NULL, "the body must be a JSON object");
        return NULL;
    }
    return j;
}

const char *srv_query(const struct srv_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

int srv_query_int(struct srv_req *r, const char *name, long long min, long long max, long long def,
                  long long *out)
{
    const char *v = srv_query(r, name);
    *out = def;
    if (!v) return 0;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || errno || n < min || n > max) {
        srv_reply_error(r, 400, "invalid", name, "%s must be a whole number from %lld to %lld", name, min, max);
        return -1;
    }
    *out = n;
    return 0;
}

/* The value of the route's path parameter name (":id" in the pattern); "" when it has none. */
const char *srv_param(const struct srv_req *r, const char *name)
{
    for (size_t i = 0; i < r->nparams; i++)
        if (strcmp(r->param_name[i], name) == 0) return r->param[i];
    return "";
}
