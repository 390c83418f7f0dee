/*
 * api_users.c -- the practice's users for its admins (list, add, change role and clinician, turn off and
 * on, reset a password or a lost second factor, require two-factor sign-in for the practice), and each
 * user's own password and second-factor enrolment. Every change is on the audit trail; no answer ever
 * carries a password hash, and a TOTP secret only in the answer that starts its enrolment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srv_api.h"

/* The user of the path's :id when they belong to the admin's practice; else replies 404. */
static int user_param(struct srv_req *r, struct psy_user *u)
{
    psy_id id;
    if (api_id_param(r, "id", &id)) return -1;
    psy_status rc = psy_auth_user_get(r->st, id, u);
    if (rc == PSY_ENOTFOUND || (!rc && u->practice_id != r->session.user.practice_id)) {
        srv_reply_error(r, 404, "not_found", NULL, "no such user");
        return -1;
    }
    if (rc) srv_reply_status(r, rc, NULL);
    return rc ? -1 : 0;
}

/* A library refusal as 422 naming the field its message starts with ("username: ..."). */
static void reply_refused(struct srv_req *r, psy_status rc, const char *default_field)
{
    if (rc != PSY_EINVAL) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    const char *m = psy_store_errmsg(r->st);
    char field[32] = "";
    size_t k = strcspn(m, ":");
    if (m[k] == ':' && k < sizeof field) memcpy(field, m, k), field[k] = 0;
    if (!strcmp(field, "clinician")) snprintf(field, sizeof field, "clinician_id");
    srv_reply_error(r, 422, "invalid", *field ? field : default_field, "%s", m);
}

/* A clinician id of the request: 0 for absent or null; -1 after replying 422 for anything but one of
 * the practice's clinicians. */
static long long clinician_field(struct srv_req *r, json_t *body)
{
    json_t *v = json_object_get(body, "clinician_id");
    if (!v || json_is_null(v)) return 0;
    struct psy_clinician c;
    if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
        psy_records_clinician_get(r->st, r->session.user.practice_id, json_integer_value(v), &c) != PSY_OK) {
        srv_reply_error(r, 422, "invalid", "clinician_id", "clinician_id: not a clinician of this practice");
        return -1;
    }
    return json_integer_value(v);
}

static int role_field(struct srv_req *r, json_t *body, psy_role *role)
{
    json_t *v = json_object_get(body, "role");
    if (!json_is_string(v) || psy_auth_role_parse(json_string_value(v), role)) {
        srv_reply_error(r, 422, "invalid", "role", "role: admin, clinician or biller");
        return -1;
    }
    return 0;
}

static const char *password_field(struct srv_req *r, json_t *body, const char *name)
{
    json_t *v = json_object_get(body, name);
    if (!json_is_string(v) || !*json_string_value(v)) {
        srv_reply_error(r, 400, "missing_field", name, "%s is required (a string)", name);
        return NULL;
    }
    return json_string_value(v);
}

void api_users(struct srv_req *r)
{
    long long practice = r->session.user.practice_id;
    struct psy_user *users = NULL;
    struct psy_clinician *cl = NULL;
    size_t n = 0, ncl = 0;
    int required = 0;
    psy_status rc = psy_auth_user_list(r->st, practice, &users, &n);
    if (!rc) rc = psy_records_clinician_list(r->st, practice, &cl, &ncl);
    if (!rc) rc = psy_auth_totp_required(r->st, practice, &required);
    if (!rc && api_audit_rec(r, "user.list", "user", 0)) goto out;
    if (rc) {
        srv_reply_status(r, rc, NULL);
        goto out;
    }
    json_t *ju = json_array(), *jc = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *u = srv_user_json(&users[i]);
        json_object_set_new(u, "created_at", json_string(users[i].created_at));
        json_array_append_new(ju, u);
    }
    for (size_t i = 0; i < ncl; i++) {
        char name[140];
        snprintf(name, sizeof name, "%s %s", cl[i].first_name, cl[i].last_name);
        json_array_append_new(jc, json_pack("{s:I, s:s, s:b}", "id", (json_int_t)cl[i].id, "name", name,
                                            "active", cl[i].active));
    }
    srv_reply_json(r, 200, json_pack("{s:o, s:o, s:b}", "users", ju, "clinicians", jc, "two_factor_required",
                                     required));
out:
    free(users);
    free(cl);
}

void api_user_add(struct srv_req *r)
{
    json_t *body = srv_body_object(r);
    if (!body) return;
    struct psy_user u = {0};
    u.practice_id = r->session.user.practice_id;
    u.active = 1;
    json_t *jn = json_object_get(body, "username");
    const char *pw;
    long long clin;
    if (!json_is_string(jn) || psy_auth_username_normalize(json_string_value(jn), u.username)) {
        srv_reply_error(r, 422, "invalid", "username", "username: 1 to 64 characters of letters, digits and . _ - @");
    } else if (!role_field(r, body, &u.role) && (clin = clinician_field(r, body)) >= 0 &&
               (pw = password_field(r, body, "password"))) {
        u.clinician_id = clin;
        long long id = 0;
        psy_status rc = psy_auth_user_add(r->st, &r->srv->policy, &u, pw, &id);
        if (rc == PSY_ECONFLICT) {
            srv_reply_error(r, 409, "conflict", "username", "the practice has a user by that name already");
        } else if (rc) {
            reply_refused(r, rc, NULL);
        } else if (!api_audit_rec(r, "user.add", "user", id)) {
            if (psy_auth_user_get(r->st, id, &u)) srv_reply_status(r, PSY_EDB, NULL);
            else srv_reply_json(r, 201, srv_user_json(&u));
        }
    }
    json_decref(body);
}

void api_user_patch(struct srv_req *r)
{
    struct psy_user u;
    if (user_param(r, &u)) return;
    json_t *body = srv_body_object(r);
    if (!body) return;
    psy_role role = u.role;
    long long clin = u.clinician_id;
    json_t *ja = json_object_get(body, "active");
    int self = u.id == r->session.user.id;
    if (json_object_get(body, "role") && role_field(r, body, &role)) goto out;
    if (json_object_get(body, "clinician_id") && (clin = clinician_field(r, body)) < 0) goto out;
    if (role != PSY_ROLE_CLINICIAN && !json_object_get(body, "clinician_id")) clin = 0;
    if (ja && !json_is_boolean(ja)) {
        srv_reply_error(r, 422, "invalid", "active", "active: true or false");
        goto out;
    }
    /* an admin cannot lock themselves out: someone must be left to undo it */
    if (self && role != PSY_ROLE_ADMIN) {
        srv_reply_error(r, 422, "invalid", "role", "role: you cannot take admin away from yourself");
        goto out;
    }
    if (self && ja && !json_is_true(ja)) {
        srv_reply_error(r, 422, "invalid", "active", "active: you cannot turn yourself off");
        goto out;
    }
    psy_status rc = PSY_OK;
    if (role != u.role || clin != u.clinician_id)
        rc = psy_auth_user_update(r->st, u.practice_id, u.id, role, clin);
    if (!rc && ja && json_is_true(ja) != (u.active != 0)) rc = psy_auth_user_set_active(r->st, u.id, json_is_true(ja));
    if (rc) {
        reply_refused(r, rc, NULL);
        goto out;
    }
    if (api_audit_rec(r, "user.update", "user", u.id)) goto out;
    if ((rc = psy_auth_user_get(r->st, u.id, &u))) srv_reply_status(r, rc, NULL);
    else srv_reply_json(r, 200, srv_user_json(&u));
out:
    json_decref(body);
}

void api_user_password(struct srv_req *r)
{
    struct psy_user u;
    if (user_param(r, &u)) return;
    json_t *body = srv_body_object(r);
    if (!body) return;
    const char *pw = password_field(r, body, "password");
    if (pw) {
        psy_status rc = psy_auth_user_set_password(r->st, &r->srv->policy, u.id, pw);
        if (rc) reply_refused(r, rc, "password");
        else if (!api_audit_rec(r, "user.password_reset", "user", u.id)) srv_reply_empty(r, 204);
    }
    json_decref(body);
}

void api_user_totp_reset(struct srv_req *r)
{
    struct psy_user u;
    if (user_param(r, &u)) return;
    psy_status rc = psy_auth_totp_reset(r->st, u.id);
    if (rc) srv_reply_status(r, rc, NULL);
    else if (!api_audit_rec(r, "user.totp_reset", "user", u.id)) srv_reply_empty(r, 204);
}

void api_users_two_factor(struct srv_req *r)
{
    json_t *body = srv_body_object(r);
    if (!body) return;
    json_t *v = json_object_get(body, "required");
    if (!json_is_boolean(v)) {
        srv_reply_error(r, 422, "invalid", "required", "required: true or false");
    } else {
        psy_status rc = psy_auth_totp_require(r->st, r->session.user.practice_id, json_is_true(v));
        if (rc) srv_reply_status(r, rc, NULL);
        else if (!api_audit_rec(r, json_is_true(v) ? "practice.two_factor_on" : "practice.two_factor_off",
                                "practice", r->session.user.practice_id))
            srv_reply_json(r, 200, json_pack("{s:b}", "two_factor_required", json_is_true(v)));
    }
    json_decref(body);
}

void api_me_password(struct srv_req *r)
{
    json_t *body = srv_body_object(r);
    if (!body) return;
    const char *cur = password_field(r, body, "current_password"), *pw = cur ? password_field(r, body, "password") : NULL;
    if (pw) {
        const char *token = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, SRV_SESSION_COOKIE);
        long wait = 0;
        psy_status rc = psy_auth_password_change(r->st, &r->srv->policy, r->session.user.id, cur, pw, token, r->ip,
                                                 &wait);
        if (rc == PSY_EPERM && wait > 0) {
            char secs[32];
            snprintf(secs, sizeof secs, "%ld", wait);
            srv_add_header(r, "Retry-After", secs);
            if (!api_audit_rec(r, "me.password_limited", "user", r->session.user.id))
                srv_reply_error(r, 429, "rate_limited", "current_password",
                                "current_password: too many wrong passwords; try again in %ld second%s", wait,
                                wait == 1 ? "" : "s");
        } else if (rc == PSY_EPERM) {
            if (!api_audit_rec(r, "me.password_refused", "user", r->session.user.id))
                srv_reply_error(r, 403, "wrong_password", "current_password", "current_password: not your password");
        } else if (rc) {
            reply_refused(r, rc, "password");
        } else if (!api_audit_rec(r, "me.password", "user", r->session.user.id)) {
            srv_reply_empty(r, 204);
        }
    }
    json_decref(body);
}

void api_me_totp_begin(struct srv_req *r)
{
    char secret[PSY_TOTP_B32_MAX], uri[PSY_TOTP_URI_MAX];
    char *qr = NULL;
    psy_status rc = psy_auth_totp_begin(r->st, r->session.user.id, secret, uri);
    if (rc == PSY_ECONFLICT) {
        srv_reply_error(r, 409, "conflict", NULL, "two-factor sign-in is set up already; an admin can reset it");
        return;
    }
    if (!rc) rc = psy_auth_qr_data_url(uri, &qr);
    if (rc) {
        srv_reply_status(r, rc, NULL);
    } else if (!api_audit_rec(r, "me.totp_begin", "user", r->session.user.id)) {
        srv_reply_json(r, 200, json_pack("{s:s, s:s, s:s}", "secret", secret, "otpauth_uri", uri, "qr", qr));
    }
    free(qr);
    memset(secret, 0, sizeof secret);
    memset(uri, 0, sizeof uri);
}

void api_me_totp_confirm(struct srv_req *r)
{
    json_t *body = srv_body_object(r);
    if (!body) return;
    json_t *v = json_object_get(body, "code");
    if (!json_is_string(v)) {
        srv_reply_error(r, 400, "missing_field", "code", "code is required (a string of 6 digits)");
    } else {
        psy_status rc = psy_auth_totp_confirm(r->st, r->session.user.id, json_string_value(v), 0);
        if (rc == PSY_ENOTFOUND)
            srv_reply_error(r, 409, "conflict", NULL, "no two-factor set-up was started (POST /api/me/totp)");
        else if (rc == PSY_EINVAL)
            srv_reply_error(r, 422, "invalid", "code", "code: not the code the app shows now");
        else if (rc)
            srv_reply_status(r, rc, NULL);
        else if (!api_audit_rec(r, "me.totp_enrol", "user", r->session.user.id))
            srv_reply_json(r, 200, json_pack("{s:b}", "two_factor", 1));
    }
    json_decref(body);
}
