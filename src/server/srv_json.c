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

/* --- JSON written directly ----------------------------------------------------------------------- */

static void jw_need(struct srv_jw *w, size_t more)
{
    if (w->n + more + 1 <= w->cap) return;
    size_t cap = w->cap ? w->cap : 1024;
    while (cap < w->n + more + 1) cap *= 2;
    char *p = realloc(w->p, cap);
    if (!p) abort(); /* as jansson's allocator would fail the request: out of memory */
    w->p = p;
    w->cap = cap;
}

static void jw_put(struct srv_jw *w, const char *s, size_t n)
{
    jw_need(w, n);
    memcpy(w->p + w->n, s, n);
    w->n += n;
    w->p[w->n] = 0;
}

void srv_jw_raw(struct srv_jw *w, const char *text) { jw_put(w, text, strlen(text)); }

/* The length of the valid UTF-8 sequence at s (1 to 4), or 0 when the bytes there are not one. */
static int utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    int n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    if (n == 3 && ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))) return 0; /* overlong, surrogate */
    if (n == 4 && ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))) return 0; /* overlong, > U+10FFFF */
    return n;
}

void srv_jw_str(struct srv_jw *w, const char *s)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    jw_put(w, "\"", 1);
    while (*u) {
        size_t run = 0;
        while (u[run] >= 0x20 && u[run] < 0x80 && u[run] != '"' && u[run] != '\\') run++;
        if (run) {
            jw_put(w, (const char *)u, run);
            u += run;
            continue;
        }
        char esc[8];
        if (*u == '"' || *u == '\\') {
            esc[0] = '\\', esc[1] = (char)*u;
            jw_put(w, esc, 2);
            u++;
        } else if (*u < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *u);
            jw_put(w, esc, 6);
            u++;
        } else {
            int n = utf8_len(u);
            if (n) jw_put(w, (const char *)u, (size_t)n);
            else jw_put(w, "\\ufffd", 6);
            u += n ? n : 1;
        }
    }
    jw_put(w, "\"", 1);
}

void srv_jw_int(struct srv_jw *w, long long v)
{
    char buf[24], *e = buf + sizeof buf, *p = e;
    unsigned long long m = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do *--p = (char)('0' + m % 10); while (m /= 10);
    if (v < 0) *--p = '-';
    jw_put(w, p, (size_t)(e - p));
}

void srv_jw_key(struct srv_jw *w, const char *name, int first)
{
    if (!first) jw_put(w, ",", 1);
    srv_jw_str(w, name);
    jw_put(w, ":", 1);
}

void srv_reply_jw(struct srv_req *r, unsigned status, struct srv_jw *w)
{
    clear_reply(r);
    r->status = status;
    r->owned = w->p ? w->p : strdup("{}");
    r->raw = r->owned;
    r->raw_len = w->p ? w->n : 2;
    r->raw_type = "application/json; charset=utf-8";
    w->p = NULL;
    w->n = w->cap = 0;
}
