/*
 * api_forms.c -- the practice's records created and edited over HTTP: practice settings, clinicians,
 * payers, clients with their diagnoses, insurance policies, prior authorisations, treatment plans
 * (with signatures) and groups with their rosters.
 *
 * Each create answers 201 with the record, each edit (PUT, the members sent replace those stored; the
 * body carries the `version` the form was loaded at) 200 with the record, a stale version 409 with the
 * stored record (`current`) and the one sent (`yours`), an invalid field 422 naming it. Every write goes
 * to the record's history (the library) and the audit trail (here). Who may write what is the route's
 * permission; a clinician's "own" scope is applied here: their clients' records and their groups.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srv_form.h"

extern const struct form_field api_practice_fields[];

#define F(st, f, t) FORM_F(st, f, t)
static const struct form_field clinician_fields[] = {
    F(struct psy_clinician, first_name, FORM_TEXT), F(struct psy_clinician, last_name, FORM_TEXT),
    F(struct psy_clinician, npi, FORM_TEXT), F(struct psy_clinician, taxonomy, FORM_TEXT),
    F(struct psy_clinician, credential, FORM_TEXT), F(struct psy_clinician, licence_number, FORM_TEXT),
    F(struct psy_clinician, licence_state, FORM_TEXT), F(struct psy_clinician, supervisor_id, FORM_ID),
    F(struct psy_clinician, active, FORM_BOOL), FORM_END};
static const struct form_field payer_fields[] = {
    F(struct psy_payer, name, FORM_TEXT), F(struct psy_payer, payer_code, FORM_TEXT), F(struct psy_payer, kind, FORM_TEXT),
    F(struct psy_payer, profile, FORM_TEXT), F(struct psy_payer, group_max, FORM_INT),
    F(struct psy_payer, requires_auth, FORM_BOOL), F(struct psy_payer, address, FORM_TEXT),
    F(struct psy_payer, city, FORM_TEXT), F(struct psy_payer, state, FORM_TEXT), F(struct psy_payer, zip, FORM_TEXT),
    F(struct psy_payer, timely_filing_days, FORM_INT), FORM_END};
static const struct form_field client_fields[] = {
    F(struct psy_client, first_name, FORM_TEXT), F(struct psy_client, last_name, FORM_TEXT),
    F(struct psy_client, birth_date, FORM_TEXT), F(struct psy_client, sex, FORM_TEXT),
    F(struct psy_client, address, FORM_TEXT), F(struct psy_client, city, FORM_TEXT), F(struct psy_client, state, FORM_TEXT),
    F(struct psy_client, zip, FORM_TEXT), F(struct psy_client, phone, FORM_TEXT), F(struct psy_client, email, FORM_TEXT),
    F(struct psy_client, emergency_name, FORM_TEXT), F(struct psy_client, emergency_phone, FORM_TEXT),
    F(struct psy_client, emergency_relation, FORM_TEXT), F(struct psy_client, telehealth_consent_date, FORM_TEXT),
    F(struct psy_client, active, FORM_BOOL), F(struct psy_client, discharge_date, FORM_TEXT), FORM_END};
static const struct form_field policy_fields[] = {
    F(struct psy_policy, payer_id, FORM_ID), F(struct psy_policy, member_id, FORM_TEXT),
    F(struct psy_policy, group_number, FORM_TEXT), F(struct psy_policy, priority, FORM_INT),
    F(struct psy_policy, relation, FORM_TEXT), F(struct psy_policy, subscriber_first, FORM_TEXT),
    F(struct psy_policy, subscriber_last, FORM_TEXT), F(struct psy_policy, subscriber_birth, FORM_TEXT),
    {"copay", FORM_MONEY, offsetof(struct psy_policy, copay_cents), sizeof(int64_t)},
    F(struct psy_policy, start_date, FORM_TEXT), F(struct psy_policy, end_date, FORM_TEXT), FORM_END};
static const struct form_field auth_fields[] = {
    F(struct psy_authorisation, payer_id, FORM_ID), F(struct psy_authorisation, number, FORM_TEXT),
    F(struct psy_authorisation, unit_kind, FORM_TEXT), F(struct psy_authorisation, units_approved, FORM_INT),
    F(struct psy_authorisation, units_prior, FORM_INT), F(struct psy_authorisation, start_date, FORM_TEXT),
    F(struct psy_authorisation, end_date, FORM_TEXT), FORM_END};
static const struct form_field plan_fields[] = {
    F(struct psy_plan, clinician_id, FORM_ID), F(struct psy_plan, frequency, FORM_TEXT),
    F(struct psy_plan, session_minutes, FORM_INT), F(struct psy_plan, start_date, FORM_TEXT),
    F(struct psy_plan, review_date, FORM_TEXT), F(struct psy_plan, end_date, FORM_TEXT), FORM_END};
static const struct form_field group_fields[] = {
    F(struct psy_group, name, FORM_TEXT), F(struct psy_group, clinician_id, FORM_ID),
    F(struct psy_group, co_clinician_id, FORM_ID), F(struct psy_group, modality, FORM_TEXT),
    F(struct psy_group, telehealth, FORM_BOOL), F(struct psy_group, capacity, FORM_INT),
    F(struct psy_group, schedule, FORM_TEXT), F(struct psy_group, active, FORM_BOOL), FORM_END};
#undef F

#define PR (r->session.user.practice_id)

/* --- shared steps ----------------------------------------------------------------------------------- */

/* The version the form was loaded at; replies 422 and returns -1 when missing. */
static int body_version(struct srv_req *r, json_t *body, int *version)
{
    json_t *v = json_object_get(body, "version");
    if (!json_is_integer(v) || json_integer_value(v) < 1) {
        srv_reply_error(r, 422, "invalid", "version", "version: the version of the record the form was loaded at is required");
        return -1;
    }
    *version = (int)json_integer_value(v);
    return 0;
}

static json_t *with_id(json_t *j, psy_id id, int version)
{
    json_object_set_new(j, "id", json_integer(id));
    json_object_set_new(j, "version", json_integer(version));
    return j;
}

static json_t *codes_json(int n, const char (*codes)[PSY_CODE_MAX])
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++) json_array_append_new(a, json_string(codes[i]));
    return a;
}

/* Writes the audit event, then answers status with the record (taken). */
static void done(struct srv_req *r, const char *action, const char *type, psy_id id, unsigned status, json_t *rec)
{
    if (api_audit_rec(r, action, type, id)) {
        json_decref(rec);
        return;
    }
    srv_reply_json(r, status, rec);
}

/* A clinician may write only for clients they may see; replies 404 otherwise. */
static int client_writable(struct srv_req *r, psy_id client)
{
    struct psy_client c;
    return api_found(r, api_may_see(r, 0, client) ? psy_records_client_get(r->st, PR, client, &c) : PSY_ENOTFOUND, "client");
}

/* --- practice --------------------------------------------------------------------------------------- */

static json_t *practice_json(const struct psy_practice *p)
{
    return with_id(form_json(api_practice_fields, p), p->id, p->version);
}

void api_practice_get(struct srv_req *r)
{
    struct psy_practice p;
    if (api_found(r, psy_records_practice_get(r->st, PR, &p), "practice")) return;
    srv_reply_json(r, 200, practice_json(&p));
}

void api_practice_put(struct srv_req *r)
{
    json_t *body = srv_body_object(r);
    struct psy_practice p;
    if (!body) return;
    if (!api_found(r, psy_records_practice_get(r->st, PR, &p), "practice") && !body_version(r, body, &p.version) &&
        !form_read(r, body, api_practice_fields, &p)) {
        psy_status rc = psy_records_practice_update(r->st, &p);
        struct psy_practice cur;
        if (rc) form_fail(r, rc, psy_records_practice_get(r->st, PR, &cur) ? NULL : practice_json(&cur), body);
        else if (!api_found(r, psy_records_practice_get(r->st, PR, &cur), "practice"))
            done(r, "practice.update", "practice", PR, 200, practice_json(&cur));
    }
    json_decref(body);
}

/* --- clinicians ------------------------------------------------------------------------------------- */

static json_t *clinician_json(const struct psy_clinician *c)
{
    return with_id(form_json(clinician_fields, c), c->id, c->version);
}

void api_clinicians(struct srv_req *r)
{
    struct psy_clinician *cs;
    size_t n;
    psy_status rc = psy_records_clinician_list(r->st, PR, &cs, &n);
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, clinician_json(&cs[i]));
    free(cs);
    srv_reply_json(r, 200, json_pack("{s:o}", "clinicians", a));
}

void api_clinician_post(struct srv_req *r)
{
    json_t *body = srv_body_object(r);
    struct psy_clinician c = {.active = 1};
    psy_id id;
    if (!body) return;
    if (!form_read(r, body, clinician_fields, &c)) {
        psy_status rc = psy_records_clinician_add(r->st, PR, &c, &id);
        if (rc) form_fail(r, rc, NULL, NULL);
        else if (!api_found(r, psy_records_clinician_get(r->st, PR, id, &c), "clinician"))
            done(r, "clinician.create", "clinician", id, 201, clinician_json(&c));
    }
    json_decref(body);
}

void api_clinician_put(struct srv_req *r)
{
    psy_id id;
    struct psy_clinician c, cur;
    if (api_id_param(r, "id", &id) || api_found(r, psy_records_clinician_get(r->st, PR, id, &c), "clinician")) return;
    json_t *body = srv_body_object(r);
    if (!body) return;
    if (!body_version(r, body, &c.version) && !form_read(r, body, clinician_fields, &c)) {
        psy_status rc = psy_records_clinician_update(r->st, PR, &c);
        if (rc) form_fail(r, rc, psy_records_clinician_get(r->st, PR, id, &cur) ? NULL : clinician_json(&cur), body);
        else if (!api_found(r, psy_records_clinician_get(r->st, PR, id, &cur), "clinician"))
            done(r, "clinician.update", "clinician", id, 200, clinician_json(&cur));
    }
    json_decref(body);
}

/* --- payers ----------------------------------------------------------------------------------------- */

static json_t *payer_json(const struct psy_payer *p)
{
    json_t *j = with_id(form_json(payer_fields, p), p->id, p->version);
    json_object_set_new(j, "billing_profile", json_string(psy_records_payer_profile(p)));
    return j;
}

void api_payer_records(struct srv_req *r)
{
    struct psy_payer *ps;
    size_t n;
    psy_status rc = psy_records_payer_list(r->st, PR, &ps, &n);
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, payer_json(&ps[i]));
    free(ps);
    json_t *prof = json_array();
    for (size_t i = 0; i < psy_setup_profile_count(); i++)
        json_array_append_new(prof, json_pack("{s:s, s:s}", "id", psy_setup_profile_id(i), "name", psy_setup_profile_name(i)));
    srv_reply_json(r, 200, json_pack("{s:o, s:o}", "payers", a, "profiles", prof));
}

void api_payer_post(struct srv_req *r)
{
    json_t *body = srv_body_object(r);
    struct psy_payer p = {0};
    psy_id id;
    if (!body) return;
    if (!form_read(r, body, payer_fields, &p)) {
        psy_status rc = psy_records_payer_add(r->st, PR, &p, &id);
        if (rc) form_fail(r, rc, NULL, NULL);
        else if (!api_found(r, psy_records_payer_get(r->st, PR, id, &p), "payer"))
            done(r, "payer.create", "payer", id, 201, payer_json(&p));
    }
    json_decref(body);
}

void api_payer_put(struct srv_req *r)
{
    psy_id id;
    struct psy_payer p, cur;
    if (api_id_param(r, "id", &id) || api_found(r, psy_records_payer_get(r->st, PR, id, &p), "payer")) return;
    json_t *body = srv_body_object(r);
    if (!body) return;
    if (!body_version(r, body, &p.version) && !form_read(r, body, payer_fields, &p)) {
        psy_status rc = psy_records_payer_update(r->st, PR, &p);
        if (rc) form_fail(r, rc, psy_records_payer_get(r->st, PR, id, &cur) ? NULL : payer_json(&cur), body);
        else if (!api_found(r, psy_records_payer_get(r->st, PR, id, &cur), "payer"))
            done(r, "payer.update", "payer", id, 200, payer_json(&cur));
    }
    json_decref(body);
}

/* --- clients ---------------------------------------------------------------------------------------- */

static json_t *client_json(const struct psy_client *c)
{
    json_t *j = with_id(form_json(client_fields, c), c->id, c->version);
    json_object_set_new(j, "diagnoses", codes_json(c->n_dx, c->dx));
    return j;
}

static int client_read(struct srv_req *r, json_t *body, struct psy_client *c)
{
    return form_read(r, body, client_fields, c) || form_codes(r, body, "diagnoses", &c->dx[0][0], PSY_CODE_MAX, PSY_REC_DX_MAX, &c->n_dx);
}

void api_client_post(struct srv_req *r)
{
    json_t *body = srv_body_object(r);
    struct psy_client c = {.active = 1};
    psy_id id;
    if (!body) return;
    if (!client_read(r, body, &c)) {
        psy_status rc = psy_records_client_add(r->st, PR, &c, &id);
        if (rc) form_fail(r, rc, NULL, NULL);
        else if (!api_found(r, psy_records_client_get(r->st, PR, id, &c), "client"))
            done(r, "client.create", "client", id, 201, client_json(&c));
    }
    json_decref(body);
}

void api_client_put(struct srv_req *r)
{
    psy_id id;
    struct psy_client c, cur;
    if (api_id_param(r, "id", &id) || client_writable(r, id) ||
        api_found(r, psy_records_client_get(r->st, PR, id, &c), "client"))
        return;
    json_t *body = srv_body_object(r);
    if (!body) return;
    if (!body_version(r, body, &c.version) && !client_read(r, body, &c)) {
        psy_status rc = psy_records_client_update(r->st, PR, &c);
        if (rc) form_fail(r, rc, psy_records_client_get(r->st, PR, id, &cur) ? NULL : client_json(&cur), body);
        else if (!api_found(r, psy_records_client_get(r->st, PR, id, &cur), "client"))
            done(r, "client.update", "client", id, 200, client_json(&cur));
    }
    json_decref(body);
}

/* --- policies --------------------------------------------------------------------------------------- */

static json_t *policy_json(const struct psy_policy *p)
{
    json_t *j = with_id(form_json(policy_fields, p), p->id, p->version);
    json_object_set_new(j, "client_id", json_integer(p->client_id));
    return j;
}

void api_policy_post(struct srv_req *r)
{
    psy_id client, id;
    if (api_id_param(r, "id", &client) || client_writable(r, client)) return;
    json_t *body = srv_body_object(r);
    struct psy_policy p = {.client_id = client, .priority = 1};
    snprintf(p.relation, sizeof p.relation, "self");
    if (!body) return;
    if (!form_read(r, body, policy_fields, &p)) {
        psy_status rc = psy_records_policy_add(r->st, PR, &p, &id);
        if (rc) form_fail(r, rc, NULL, NULL);
        else if (!api_found(r, psy_records_policy_get(r->st, PR, id, &p), "policy"))
            done(r, "policy.create", "policy", id, 201, policy_json(&p));
    }
    json_decref(body);
}

/* The policy of the path's :id when the user may see its client. */
static int policy_param(struct srv_req *r, psy_id *id, struct psy_policy *p)
{
    if (api_id_param(r, "id", id)) return -1;
    psy_status rc = psy_records_policy_get(r->st, PR, *id, p);
    if (!rc && !api_may_see(r, 0, p->client_id)) rc = PSY_ENOTFOUND;
    return api_found(r, rc, "policy");
}

void api_policy_get(struct srv_req *r)
{
    psy_id id;
    struct psy_policy p;
    if (policy_param(r, &id, &p)) return;
    done(r, "policy.read", "policy", id, 200, policy_json(&p));
}

void api_policy_put(struct srv_req *r)
{
    psy_id id;
    struct psy_policy p, cur;
    if (policy_param(r, &id, &p)) return;
    json_t *body = srv_body_object(r);
    if (!body) return;
    if (!body_version(r, body, &p.version) && !form_read(r, body, policy_fields, &p)) {
        psy_status rc = psy_records_policy_update(r->st, PR, &p);
        if (rc) form_fail(r, rc, psy_records_policy_get(r->st, PR, id, &cur) ? NULL : policy_json(&cur), body);
        else if (!api_found(r, psy_records_policy_get(r->st, PR, id, &cur), "policy"))
            done(r, "policy.update", "policy", id, 200, policy_json(&cur));
    }
    json_decref(body);
}

/* --- authorisations --------------------------------------------------------------------------------- */

static json_t *auth_json(const struct psy_authorisation *a)
{
    json_t *j = with_id(form_json(auth_fields, a), a->id, a->version);
    json_object_set_new(j, "client_id", json_integer(a->client_id));
    json_object_set_new(j, "codes", codes_json(a->n_codes, a->codes));
    return j;
}

static int auth_read(struct srv_req *r, json_t *body, struct psy_authorisation *a)
{
    return form_read(r, body, auth_fields, a) ||
           form_codes(r, body, "codes", &a->codes[0][0], PSY_CODE_MAX, PSY_REC_AUTH_CODES_MAX, &a->n_codes);
}

void api_auth_post(struct srv_req *r)
{
    psy_id client, id;
    if (api_id_param(r, "id", &client) || client_writable(r, client)) return;
    json_t *body = srv_body_object(r);
    struct psy_authorisation a = {.client_id = client};
    snprintf(a.unit_kind, sizeof a.unit_kind, "visit");
    if (!body) return;
    if (!auth_read(r, body, &a)) {
        psy_status rc = psy_records_auth_add(r->st, PR, &a, &id);
        if (rc) form_fail(r, rc, NULL, NULL);
        else if (!api_found(r, psy_records_auth_get(r->st, PR, id, &a), "authorisation"))
            done(r, "authorisation.create", "authorisation", id, 201, auth_json(&a));
    }
    json_decref(body);
}

static int auth_param(struct srv_req *r, psy_id *id, struct psy_authorisation *a)
{
    if (api_id_param(r, "id", id)) return -1;
    psy_status rc = psy_records_auth_get(r->st, PR, *id, a);
    if (!rc && !api_may_see(r, 0, a->client_id)) rc = PSY_ENOTFOUND;
    return api_found(r, rc, "authorisation");
}

void api_auth_get(struct srv_req *r)
{
    psy_id id;
    struct psy_authorisation a;
    if (auth_param(r, &id, &a)) return;
    done(r, "authorisation.read", "authorisation", id, 200, auth_json(&a));
}

void api_auth_put(struct srv_req *r)
{
    psy_id id;
    struct psy_authorisation a, cur;
    if (auth_param(r, &id, &a)) return;
    json_t *body = srv_body_object(r);
    if (!body) return;
    if (!body_version(r, body, &a.version) && !auth_read(r, body, &a)) {
        psy_status rc = psy_records_auth_update(r->st, PR, &a);
        if (rc) form_fail(r, rc, psy_records_auth_get(r->st, PR, id, &cur) ? NULL : auth_json(&cur), body);
        else if (!api_found(r, psy_records_auth_get(r->st, PR, id, &cur), "authorisation"))
            done(r, "authorisation.update", "authorisation", id, 200, auth_json(&cur));
    }
    json_decref(body);
}

/* --- treatment plans -------------------------------------------------------------------------------- */

static json_t *texts_json(int n, char *const *t)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++) json_array_append_new(a, json_string(t[i] ? t[i] : ""));
    return a;
}

static json_t *plan_json(const struct psy_plan *p)
{
    json_t *j = with_id(form_json(plan_fields, p), p->id, p->version);
    json_t *mods = json_array();
    if (p->modalities & PSY_MOD_INDIVIDUAL) json_array_append_new(mods, json_string("individual"));
    if (p->modalities & PSY_MOD_GROUP) json_array_append_new(mods, json_string("group"));
    if (p->modalities & PSY_MOD_FAMILY) json_array_append_new(mods, json_string("family"));
    json_object_set_new(j, "client_id", json_integer(p->client_id));
    json_object_set_new(j, "modalities", mods);
    json_object_set_new(j, "diagnoses", codes_json(p->n_dx, p->dx));
    json_object_set_new(j, "problems", texts_json(p->n_problems, p->problems));
    json_object_set_new(j, "goals", texts_json(p->n_goals, p->goals));
    json_object_set_new(j, "objectives", texts_json(p->n_objectives, p->objectives));
    json_object_set_new(j, "interventions", texts_json(p->n_interventions, p->interventions));
    json_object_set_new(j, "clinician_signed_at", json_string(p->clinician_signed_at));
    json_object_set_new(j, "client_signed_at", json_string(p->client_signed_at));
    return j;
}

/* A list of texts (pointers into body, which outlives the plan). */
static int texts_read(struct srv_req *r, json_t *body, const char *field, char **out, int cap, int *n)
{
    json_t *a = json_object_get(body, field);
    if (!a) return 0;
    if (!json_is_array(a) || (int)json_array_size(a) > cap) {
        srv_reply_error(r, 422, "invalid", field, "%s: a list of at most %d items", field, cap);
        return -1;
    }
    int k = 0;
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *v = json_array_get(a, i);
        if (!json_is_string(v)) {
            srv_reply_error(r, 422, "invalid", field, "%s[%zu]: must be text", field, i);
            return -1;
        }
        if (*json_string_value(v)) out[k++] = (char *)json_string_value(v);
    }
    *n = k;
    return 0;
}

static int plan_read(struct srv_req *r, json_t *body, struct psy_plan *p)
{
    if (form_read(r, body, plan_fields, p) || form_codes(r, body, "diagnoses", &p->dx[0][0], PSY_CODE_MAX, PSY_REC_DX_MAX, &p->n_dx) ||
        texts_read(r, body, "problems", p->problems, PSY_REC_PLAN_ITEMS_MAX, &p->n_problems) ||
        texts_read(r, body, "goals", p->goals, PSY_REC_GOALS_MAX, &p->n_goals) ||
        texts_read(r, body, "objectives", p->objectives, PSY_REC_PLAN_ITEMS_MAX, &p->n_objectives) ||
        texts_read(r, body, "interventions", p->interventions, PSY_REC_PLAN_ITEMS_MAX, &p->n_interventions))
        return -1;
    json_t *m = json_object_get(body, "modalities");
    if (!m) return 0;
    if (!json_is_array(m)) {
        srv_reply_error(r, 422, "invalid", "modalities", "modalities: a list of individual, group, family");
        return -1;
    }
    p->modalities = 0;
    for (size_t i = 0; i < json_array_size(m); i++) {
        const char *s = json_string_value(json_array_get(m, i));
        if (s && !strcmp(s, "individual")) p->modalities |= PSY_MOD_INDIVIDUAL;
        else if (s && !strcmp(s, "group")) p->modalities |= PSY_MOD_GROUP;
        else if (s && !strcmp(s, "family")) p->modalities |= PSY_MOD_FAMILY;
        else {
            srv_reply_error(r, 422, "invalid", "modalities", "modalities: individual, group or family");
            return -1;
        }
    }
    return 0;
}

/* A clinician writes plans only as the plan's clinician. */
static int plan_owner_ok(struct srv_req *r, const struct psy_plan *p)
{
    psy_id own = api_own_clinician(r, PSY_PERM_CLIENTS_WRITE);
    if (own && p->clinician_id != own) {
        srv_reply_error(r, 403, "forbidden", "clinician_id", "clinician_id: a clinician writes their own plans only");
        return 0;
    }
    return 1;
}

void api_plan_post(struct srv_req *r)
{
    psy_id client, id;
    if (api_id_param(r, "id", &client) || client_writable(r, client)) return;
    json_t *body = srv_body_object(r);
    if (!body) return;
    struct psy_plan p = {.client_id = client, .session_minutes = 53, .modalities = PSY_MOD_INDIVIDUAL};
    psy_id own = api_own_clinician(r, PSY_PERM_CLIENTS_WRITE);
    if (own > 0) p.clinician_id = own;
    if (!plan_read(r, body, &p) && plan_owner_ok(r, &p)) {
        psy_status rc = psy_records_plan_add(r->st, PR, &p, &id);
        struct psy_plan cur;
        if (rc) form_fail(r, rc, NULL, NULL);
        else if (!api_found(r, psy_records_plan_get(r->st, PR, id, &cur), "plan")) {
            done(r, "plan.create", "treatment_plan", id, 201, plan_json(&cur));
            psy_plan_clear(&cur);
        }
    }
    json_decref(body);
}

static int plan_param(struct srv_req *r, psy_id *id, struct psy_plan *p)
{
    if (api_id_param(r, "id", id)) return -1;
    psy_status rc = psy_records_plan_get(r->st, PR, *id, p);
    if (!rc && !api_may_see(r, 0, p->client_id)) {
        psy_plan_clear(p);
        rc = PSY_ENOTFOUND;
    }
    return api_found(r, rc, "plan");
}

void api_plan_get(struct srv_req *r)
{
    psy_id id;
    struct psy_plan p;
    if (plan_param(r, &id, &p)) return;
    done(r, "plan.read", "treatment_plan", id, 200, plan_json(&p));
    psy_plan_clear(&p);
}

void api_plan_put(struct srv_req *r)
{
    psy_id id;
    struct psy_plan p, cur;
    if (plan_param(r, &id, &p)) return;
    json_t *body = srv_body_object(r);
    if (body && plan_owner_ok(r, &p)) {
        /* the stored texts stay owned by p; the lists sent replace them by pointers into body */
        struct psy_plan in = p;
        if (!body_version(r, body, &in.version) && !plan_read(r, body, &in) && plan_owner_ok(r, &in)) {
            psy_status rc = psy_records_plan_update(r->st, PR, &in);
            if (rc) {
                json_t *c = NULL;
                if (!psy_records_plan_get(r->st, PR, id, &cur)) c = plan_json(&cur), psy_plan_clear(&cur);
                form_fail(r, rc, c, body);
            } else if (!api_found(r, psy_records_plan_get(r->st, PR, id, &cur), "plan")) {
                done(r, "plan.update", "treatment_plan", id, 200, plan_json(&cur));
                psy_plan_clear(&cur);
            }
        }
    }
    psy_plan_clear(&p);
    json_decref(body);
}

/* {"who": "clinician"} signs as the plan's clinician (the signed-in clinician); {"who": "client"} records
 * the client's signature (at: when, "" = now). */
void api_plan_sign(struct srv_req *r)
{
    psy_id id;
    struct psy_plan p, cur;
    if (plan_param(r, &id, &p)) return;
    json_t *body = srv_body_object(r);
    if (body) {
        const char *who = json_string_value(json_object_get(body, "who"));
        const char *at = json_string_value(json_object_get(body, "at"));
        psy_id me = r->session.user.clinician_id;
        if (!who || (strcmp(who, "clinician") && strcmp(who, "client"))) {
            srv_reply_error(r, 422, "invalid", "who", "who: clinician or client");
        } else if (!strcmp(who, "clinician") && me != p.clinician_id) {
            srv_reply_error(r, 403, "forbidden", "who", "only the plan's clinician, signed in as themselves, signs it");
        } else {
            psy_status rc = psy_records_plan_sign(r->st, PR, id, strcmp(who, "clinician") ? 'p' : 'c',
                                                  me ? me : p.clinician_id, at ? at : "");
            if (rc) form_fail(r, rc, NULL, NULL);
            else if (!api_found(r, psy_records_plan_get(r->st, PR, id, &cur), "plan")) {
                done(r, "plan.sign", "treatment_plan", id, 200, plan_json(&cur));
                psy_plan_clear(&cur);
            }
        }
    }
    psy_plan_clear(&p);
    json_decref(body);
}

/* --- groups and rosters ----------------------------------------------------------------------------- */

static json_t *group_form_json(const struct psy_group *g)
{
    return with_id(form_json(group_fields, g), g->id, g->version);
}

static int group_owner_ok(struct srv_req *r, const struct psy_group *g)
{
    psy_id own = api_own_clinician(r, PSY_PERM_CLIENTS_WRITE);
    if (own && g->clinician_id != own && g->co_clinician_id != own) {
        srv_reply_error(r, 403, "forbidden", "clinician_id", "clinician_id: a clinician writes the groups they lead only");
        return 0;
    }
    return 1;
}

void api_group_post(struct srv_req *r)
{
    json_t *body = srv_body_object(r);
    struct psy_group g = {.capacity = 8, .active = 1};
    snprintf(g.modality, sizeof g.modality, "group");
    psy_id own = api_own_clinician(r, PSY_PERM_CLIENTS_WRITE), id;
    if (own > 0) g.clinician_id = own;
    if (!body) return;
    if (!form_read(r, body, group_fields, &g) && group_owner_ok(r, &g)) {
        psy_status rc = psy_records_group_add(r->st, PR, &g, &id);
        if (rc) form_fail(r, rc, NULL, NULL);
        else if (!api_found(r, psy_records_group_get(r->st, PR, id, &g), "group"))
            done(r, "group.create", "therapy_group", id, 201, group_form_json(&g));
    }
    json_decref(body);
}

void api_group_put(struct srv_req *r)
{
    psy_id id;
    struct psy_group g, cur;
    if (api_group_param(r, &id, &g)) return;
    json_t *body = srv_body_object(r);
    if (!body) return;
    if (group_owner_ok(r, &g) && !body_version(r, body, &g.version) && !form_read(r, body, group_fields, &g) &&
        group_owner_ok(r, &g)) {
        psy_status rc = psy_records_group_update(r->st, PR, &g);
        if (rc) form_fail(r, rc, psy_records_group_get(r->st, PR, id, &cur) ? NULL : group_form_json(&cur), body);
        else if (!api_found(r, psy_records_group_get(r->st, PR, id, &cur), "group"))
            done(r, "group.update", "therapy_group", id, 200, group_form_json(&cur));
    }
    json_decref(body);
}

/* {"client_id", "joined"} adds a member; {"client_id", "left"} ends a membership. */
void api_group_roster(struct srv_req *r)
{
    psy_id id;
    struct psy_group g;
    if (api_group_param(r, &id, &g)) return;
    json_t *body = srv_body_object(r);
    if (!body) return;
    json_t *jc = json_object_get(body, "client_id");
    const char *joined = json_string_value(json_object_get(body, "joined"));
    const char *left = json_string_value(json_object_get(body, "left"));
    if (!group_owner_ok(r, &g)) {
    } else if (!json_is_integer(jc) || json_integer_value(jc) <= 0) {
        srv_reply_error(r, 422, "invalid", "client_id", "client_id: choose a client");
    } else if (!client_writable(r, json_integer_value(jc))) {
        psy_id client = json_integer_value(jc);
        psy_status rc = left ? psy_records_group_leave(r->st, PR, id, client, left)
                             : psy_records_group_join(r->st, PR, id, client, joined ? joined : "");
        if (rc == PSY_ECONFLICT && !left) srv_reply_error(r, 409, "conflict", "client_id", "client_id: already on the roster");
        else if (rc) form_fail(r, rc, NULL, NULL);
        else done(r, left ? "group.leave" : "group.join", "therapy_group", id, 200,
                  json_pack("{s:I, s:I}", "group_id", (json_int_t)id, "client_id", (json_int_t)client));
    }
    json_decref(body);
}
