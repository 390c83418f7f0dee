/*
 * api_setup.c -- the first run: GET /api/setup says whether the database still needs its first practice
 * (and which payer profiles it can start with), POST /api/setup creates the practice, its first admin
 * user and its payers (psy_setup_practice). Setting up is open without a session only while the
 * database has no practice at all; afterwards GET says only {"needed": false} and POST answers 403, and
 * adding more practices is `psyclaim init`'s work. Two racing POSTs cannot both succeed: the library checks and creates under
 * one lock, in one transaction.
 */
#include <stdio.h>
#include <string.h>
#include "srv_form.h"

#define P(f, t) FORM_F(struct psy_practice, f, t)
const struct form_field api_practice_fields[] = {
    P(name, FORM_TEXT),          P(npi, FORM_TEXT),           P(tax_id, FORM_TEXT),
    P(address, FORM_TEXT),       P(city, FORM_TEXT),          P(state, FORM_TEXT),
    P(zip, FORM_TEXT),           P(time_zone, FORM_TEXT),     P(unsigned_note_days, FORM_INT),
    P(billing_contact, FORM_TEXT), P(billing_phone, FORM_TEXT), P(billing_email, FORM_TEXT),
    P(sole_proprietor, FORM_BOOL), P(first_name, FORM_TEXT),  P(last_name, FORM_TEXT),
    FORM_END};
#undef P

static json_t *profiles_json(void)
{
    json_t *a = json_array();
    for (size_t i = 0; i < psy_setup_profile_count(); i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "id", psy_setup_profile_id(i), "name", psy_setup_profile_name(i)));
    return a;
}

void api_setup_get(struct srv_req *r)
{
    int needed = psy_setup_needed(r->st);
    if (needed < 0) srv_reply_status(r, PSY_EDB, NULL);
    else if (!needed) srv_reply_json(r, 200, json_pack("{s:b}", "needed", 0));
    else srv_reply_json(r, 200, json_pack("{s:b, s:o}", "needed", 1, "profiles", profiles_json()));
}

static int text_member(struct srv_req *r, json_t *body, const char *name, const char **out)
{
    json_t *v = json_object_get(body, name);
    *out = json_is_string(v) ? json_string_value(v) : "";
    if (v && !json_is_string(v)) {
        srv_reply_error(r, 422, "invalid", name, "%s: must be text", name);
        return -1;
    }
    return 0;
}

void api_setup_post(struct srv_req *r)
{
    int needed = psy_setup_needed(r->st);
    if (needed < 0) {
        srv_reply_status(r, PSY_EDB, NULL);
        return;
    }
    if (!needed) {
        srv_reply_error(r, 403, "forbidden", NULL, "this database has its practice already: sign in");
        return;
    }
    json_t *body = srv_body_object(r);
    if (!body) return;
    struct psy_setup s = {.only_first = 1};
    struct psy_setup_payer payers[16];
    snprintf(s.practice.time_zone, sizeof s.practice.time_zone, "America/Chicago");
    json_t *jp = json_object_get(body, "payers");
    if (form_read(r, body, api_practice_fields, &s.practice) || text_member(r, body, "admin_username", &s.admin_username) ||
        text_member(r, body, "admin_password", &s.admin_password))
        goto out;
    if (jp && (!json_is_array(jp) || json_array_size(jp) > 16)) {
        srv_reply_error(r, 422, "invalid", "payers", "payers: a list of at most 16 payers");
        goto out;
    }
    for (size_t i = 0; jp && i < json_array_size(jp); i++) {
        json_t *e = json_array_get(jp, i);
        const char *prof = json_string_value(json_object_get(e, "profile"));
        const char *code = json_string_value(json_object_get(e, "payer_code"));
        const char *name = json_string_value(json_object_get(e, "name"));
        payers[i] = (struct psy_setup_payer){prof ? prof : "", code ? code : "", name ? name : ""};
        s.n_payers++;
    }
    s.payers = payers;
    psy_id pid;
    long long uid;
    psy_status rc = psy_setup_practice(r->st, &r->srv->policy, &s, &pid, &uid);
    if (rc == PSY_ECONFLICT && strncmp(psy_store_errmsg(r->st), "practice:", 9) == 0) {
        srv_reply_error(r, 403, "forbidden", NULL, "this database has its practice already: sign in");
    } else if (rc) {
        form_fail(r, rc, NULL, NULL);
    } else {
        struct psy_user u;
        char rec[24];
        snprintf(rec, sizeof rec, "%lld", (long long)pid);
        if ((rc = psy_auth_user_get(r->st, uid, &u)) == PSY_OK)
            rc = psy_auth_audit(r->st, &u, "practice.setup", "practice", rec, r->ip);
        if (rc) srv_reply_status(r, rc, NULL);
        else srv_reply_json(r, 201, json_pack("{s:I, s:I, s:s}", "practice_id", (json_int_t)pid, "user_id",
                                              (json_int_t)uid, "username", u.username));
    }
out:
    json_decref(body);
}
