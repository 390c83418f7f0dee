/*
 * api_auth.c -- signing in and out, the signed-in user, the audit trail, the health check (liveness) and
 * the readiness check (the database answers).
 *
 * JSON mapping first, handlers below. Sign-in answers 401 alike for an unknown user name, a wrong
 * password and a turned-off user, so the answer does not tell which user names exist.
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
static json_t *session_json(const struct psy_auth_session *s)
{
    json_t *perms = json_object();
    static const char *const scope_names[] = {"none", "own", "practice"};
    for (int p = 0; p < PSY_PERM_COUNT; p++) {
        psy_scope sc = psy_auth_scope(s->user.role, (psy_perm)p);
        json_object_set_new(perms, psy_auth_perm_name((psy_perm)p), json_string(scope_names[sc]));
    }
    return json_pack("{s:o, s:s, s:o, s:o, s:o}", "user", srv_user_json(&s->user), "csrf_token", s->csrf,
                     "expires_at", utc_json(s->expires_at), "idle_expires_at", utc_json(s->idle_expires_at),
                     "permissions", perms);
}

static json_t *event_json(const struct psy_audit_event *e)
{
    json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)e->id, "at", e->at,
                          "username", e->username, "action", e->action, "record_type", e->record_type,
                          "record_id", e->record_id, "ip", e->ip);
    json_object_set_new(j, "user_id", e->user_id ? json_integer(e->user_id) : json_null());
    return j;
}

/* --- handlers -------------------------------------------------------------------------------------- */

void api_health(struct srv_req *r)
{
    srv_reply_json(r, 200, json_pack("{s:s, s:s, s:i}", "status", "ok", "version", psy_version(),
                                     "schema_version", psy_store_schema_version(r->st)));
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
    json_t *ju = json_object_get(body, "username"), *jp = json_object_get(body, "password"),
           *jprac = json_object_get(body, "practice_id");
    if (!json_is_string(ju) || !*json_string_value(ju)) {
        srv_reply_error(r, 400, "missing_field", "username", "username is required (a string)");
    } else if (!json_is_string(jp) || !*json_string_value(jp)) {
        srv_reply_error(r, 400, "missing_field", "password", "password is required (a string)");
    } else if (jprac && !json_is_null(jprac) && (!json_is_integer(jprac) || json_integer_value(jprac) <= 0)) {
        srv_reply_error(r, 400, "invalid", "practice_id", "practice_id must be a positive whole number");
    } else {
        long long practice = json_is_integer(jprac) ? json_integer_value(jprac) : 0;
        psy_login_result res;
        struct psy_auth_session s;
        long wait = 0;
        psy_status rc = psy_auth_login(r->st, &r->srv->policy, practice, json_string_value(ju),
                                       json_string_value(jp), r->ip, 0, &res, &s, &wait);
        if (rc) {
            srv_reply_status(r, rc, NULL);
        } else if (res == PSY_LOGIN_OK) {
            srv_set_session_cookie(r, s.token, r->srv->policy.absolute_seconds);
            srv_reply_json(r, 200, session_json(&s));
        } else if (res == PSY_LOGIN_LIMITED) {
            char secs[32];
            snprintf(secs, sizeof secs, "%ld", wait);
            srv_add_header(r, "Retry-After", secs);
            srv_reply_error(r, 429, "rate_limited", NULL,
                            "too many failed sign-ins; try again in %ld minute%s", (wait + 59) / 60,
                            (wait + 59) / 60 == 1 ? "" : "s");
        } else if (res == PSY_LOGIN_AMBIGUOUS) {
            srv_reply_error(r, 400, "missing_field", "practice_id",
                            "several practices have this user name: give practice_id");
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

void api_me(struct srv_req *r) { srv_reply_json(r, 200, session_json(&r->session)); }

void api_audit(struct srv_req *r)
{
    long long limit, offset;
    if (srv_query_int(r, "limit", 1, 500, 50, &limit) || srv_query_int(r, "offset", 0, 1LL << 40, 0, &offset))
        return;
    struct psy_audit_event *ev;
    size_t n;
    long long total;
    /* the look at the trail is itself on the trail */
    psy_status rc = psy_auth_audit(r->st, &r->session.user, "audit.read", "audit_event", NULL, r->ip);
    if (!rc) rc = psy_auth_audit_list(r->st, r->session.user.practice_id, offset, limit, &ev, &n, &total);
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(arr, event_json(&ev[i]));
    free(ev);
    srv_reply_json(r, 200, json_pack("{s:I, s:I, s:I, s:o}", "total", (json_int_t)total, "offset",
                                     (json_int_t)offset, "limit", (json_int_t)limit, "events", arr));
}
