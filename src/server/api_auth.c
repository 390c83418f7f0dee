/*
 * api_auth.c -- signing in and out, the signed-in user, the health check (liveness) and the readiness
 * check (the database answers); the audit trail is api_audit.c's.
 *
 * JSON mapping first, handlers below. Sign-in answers 401 alike, after the same work, for an unknown
 * user name, a wrong password, a turned-off user and a name several practices hold, so the answer does
 * not tell which user names exist; the practices are named only once the password is proven.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "srv_int.h"

/* --- JSON mapping ---------------------------------------------------------------------------------- */

static json_t *utc_json(long long t)
{
    char buf[PSY_TIME_MAX];
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(buf);
}

/* The signed-in user, their CSRF token, when the session ends, and what their role may do. */
static json_t *session_json(const struct psy_auth_session *s, psy_store *st)
{
    json_t *perms = json_object();
    static const char *const scope_names[] = {"none", "own", "practice"};
    for (int p = 0; p < PSY_PERM_COUNT; p++) {
        psy_scope sc = psy_auth_scope(s->user.role, (psy_perm)p);
        json_object_set_new(perms, psy_auth_perm_name((psy_perm)p), json_string(scope_names[sc]));
    }
    return json_pack("{s:o, s:s, s:o, s:o, s:o, s:b, s:o}", "user", srv_user_json(&s->user), "csrf_token", s->csrf,
                     "expires_at", utc_json(s->expires_at), "idle_expires_at", utc_json(s->idle_expires_at),
                     "permissions", perms, "must_enrol", s->must_enrol, "practice",
                     api_practice_brief(st, s->user.practice_id));
}

/* --- handlers -------------------------------------------------------------------------------------- */

void api_health(struct srv_req *r)
{
    srv_reply_json(r, 200, json_pack("{s:s, s:s, s:i}", "status", "ok", "version", psy_version(),
                                     "schema_version", psy_store_schema_version(r->st)));
}

/* An optional string member: NULL when absent or null; else replies 400 naming it and sets *bad. */
static const char *opt_string(struct srv_req *r, json_t *body, const char *name, int *bad)
{
    json_t *v = json_object_get(body, name);
    if (!v || json_is_null(v)) return NULL;
    if (!json_is_string(v)) {
        srv_reply_error(r, 400, "invalid", name, "%s must be a string", name);
        *bad = 1;
        return NULL;
    }
    return json_string_value(v);
}

/* Readiness: the database answers a read (a PostgreSQL handle that lost its connection reopens it
 * here). /api/health stays the liveness answer and never touches the database. */
void api_ready(struct srv_req *r)
{
    if (psy_store_ping(r->st)) {
        srv_add_header(r, "Retry-After", "5");
        srv_reply_json(r, 503, json_pack("{s:s, s:s}", "status", "unavailable", "message",
                                         psy_store_unavailable(r->st) ? "database unavailable" : "the database cannot be read"));
        return;
    }
    srv_reply_json(r, 200, json_pack("{s:s, s:s}", "status", "ready", "backend", psy_store_backend(r->st)));
}

void api_login(struct srv_req *r)
{
    json_t *body = srv_body_object(r);
    if (!body) return;
    json_t *ju = json_object_get(body, "username"), *jp = json_object_get(body, "password");
    int bad = 0;
    if (!json_is_string(ju) || !*json_string_value(ju)) {
        srv_reply_error(r, 400, "missing_field", "username", "username is required (a string)");
    } else if (!json_is_string(jp) || !*json_string_value(jp)) {
        srv_reply_error(r, 400, "missing_field", "password", "password is required (a string)");
    } else {
        struct psy_login l = {0};
        l.username = json_string_value(ju);
        l.password = json_string_value(jp);
        l.practice = opt_string(r, body, "practice", &bad);
        if (!bad) l.code = opt_string(r, body, "code", &bad);
        l.ip = r->ip;
        struct psy_auth_session s;
        psy_status rc = bad ? PSY_OK : psy_auth_login(r->st, &r->srv->policy, &l, &s);
        if (bad) {
            /* answered */
        } else if (rc) {
            srv_reply_status(r, rc, NULL);
        } else if (l.result == PSY_LOGIN_OK) {
            srv_set_session_cookie(r, s.token, r->srv->policy.absolute_seconds);
            srv_reply_json(r, 200, session_json(&s, r->st));
        } else if (l.result == PSY_LOGIN_LIMITED) {
            char secs[32];
            snprintf(secs, sizeof secs, "%ld", l.retry_after);
            srv_add_header(r, "Retry-After", secs);
            srv_reply_error(r, 429, "rate_limited", NULL,
                            "too many failed sign-ins; try again in %ld second%s", l.retry_after,
                            l.retry_after == 1 ? "" : "s");
        } else if (l.result == PSY_LOGIN_CHOOSE) {
            /* only now that the password is proven: the names of the practices it opens */
            json_t *names = json_array();
            for (size_t i = 0; i < l.nchoices; i++) json_array_append_new(names, json_string(l.choices[i]));
            srv_reply_error(r, 409, "choose_practice", "practice",
                            "you work in several practices: choose the one to sign in to");
            json_object_set_new(r->json, "practices", names);
        } else if (l.result == PSY_LOGIN_CODE_NEEDED) {
            srv_reply_error(r, 401, "code_required", "code", "enter the 6-digit code from your authenticator app");
        } else if (l.result == PSY_LOGIN_CODE_BAD) {
            srv_reply_error(r, 401, "bad_code", "code", "that code is wrong or was used already; wait for the next one");
        } else {
            srv_reply_error(r, 401, "bad_credentials", NULL, "wrong user name or password");
        }
        memset(&s, 0, sizeof s);
    }
    json_decref(body);
}

void api_logout(struct srv_req *r)
{
    const char *token = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, SRV_SESSION_COOKIE);
    psy_status rc = psy_auth_logout(r->st, token);
    if (!rc) rc = psy_auth_audit(r->st, &r->session.user, "logout", NULL, NULL, r->ip);
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    srv_reply_empty(r, 204);
    srv_set_session_cookie(r, "", 0);
}

void api_me(struct srv_req *r) { srv_reply_json(r, 200, session_json(&r->session, r->st)); }
