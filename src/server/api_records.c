/*
 * api_records.c -- the practice's records over HTTP, read side: clients (list, detail with diagnoses,
 * insurance, authorisations with units left, treatment plans with review dates, groups) and groups
 * (list, detail with roster, capacity, schedule and sessions); and POST /api/groups/:id/sessions, which
 * opens a new group session to document.
 *
 * A clinician sees only their own clients and groups (psy_records_client_ids / group_list with their
 * clinician id); anything else answers 404, as if it did not exist. Every read of patient data goes to
 * the audit trail before the answer is sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srv_api.h"

/* GET /api/clients?q=&limit=&cursor= : a page of the clients the user sees, by last name. */
void api_clients(struct srv_req *r)
{
    psy_id pr = r->session.user.practice_id, *ids;
    size_t n;
    struct psy_page pg;
    if (api_page(r, &pg) || api_audit_rec(r, "client.list", "client", 0)) return;
    psy_status rc = psy_records_client_page(r->st, pr, api_own_clinician(r, PSY_PERM_CLIENTS_READ), srv_query(r, "q"), &pg,
                                            &ids, &n);
    if (rc) {
        api_page_fail(r, rc);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        struct psy_client c;
        if (psy_records_client_get(r->st, pr, ids[i], &c) == PSY_OK) json_array_append_new(arr, api_client_brief(&c));
    }
    free(ids);
    api_page_reply(r, &pg, arr, NULL);
}

/* GET /api/sessions: the practice's sessions a page at a time, newest first; a clinician sees their
 * own sessions and their groups'. */
void api_sessions(struct srv_req *r)
{
    long long client, clinician, group;
    const char *from = srv_query(r, "from"), *to = srv_query(r, "to"), *status = srv_query(r, "status");
    struct psy_page pg;
    if (srv_query_int(r, "client", 1, 1LL << 53, 0, &client) || srv_query_int(r, "clinician", 1, 1LL << 53, 0, &clinician) ||
        srv_query_int(r, "group", 1, 1LL << 53, 0, &group) || api_page(r, &pg))
        return;
    if (from && *from && !psy_records_date_valid(from)) {
        srv_reply_error(r, 400, "invalid", "from", "from: a date YYYY-MM-DD");
        return;
    }
    if (to && *to && !psy_records_date_valid(to)) {
        srv_reply_error(r, 400, "invalid", "to", "to: a date YYYY-MM-DD");
        return;
    }
    if (status && *status && strcmp(status, "signed") && strcmp(status, "draft")) {
        srv_reply_error(r, 400, "invalid", "status", "status: signed or draft");
        return;
    }
    psy_id own = api_own_clinician(r, PSY_PERM_CLIENTS_READ);
    struct psy_session_filter f = {.client = client, .clinician = clinician, .group = group, .from = from, .to = to,
                                   .status = status, .q = srv_query(r, "q"), .seen_by = own};
    if (api_audit_rec(r, "session.list", "session", 0)) return;
    struct psy_session_row *v;
    size_t n;
    psy_status rc = psy_records_session_page(r->st, r->session.user.practice_id, &f, &pg, &v, &n);
    if (rc) {
        api_page_fail(r, rc);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *who = v[i].client_id ? json_pack("{s:I, s:s, s:s}", "id", (json_int_t)v[i].client_id, "first_name",
                                                 v[i].client_first, "last_name", v[i].client_last)
                                     : json_null();
        json_t *grp = v[i].group_id ? json_pack("{s:I, s:s}", "id", (json_int_t)v[i].group_id, "name", v[i].group_name)
                                    : json_null();
        json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:o, s:o, s:{s:I, s:s}, s:s, s:i, s:s}", "id",
                                             (json_int_t)v[i].id, "service_date", v[i].service_date, "kind", v[i].kind,
                                             "client", who, "group", grp, "clinician", "id",
                                             (json_int_t)v[i].clinician_id, "name", v[i].clinician_name, "status",
                                             v[i].signed_ ? "signed" : "draft", "minutes", v[i].minutes, "billed_code",
                                             v[i].billed_code));
    }
    free(v);
    api_page_reply(r, &pg, arr, NULL);
}

static json_t *codes_json(int n, const char (*codes)[PSY_CODE_MAX])
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++) json_array_append_new(a, json_string(codes[i]));
    return a;
}

typedef psy_status (*id_list_fn)(psy_store *st, psy_id practice, psy_id owner, psy_id **ids, size_t *n);
typedef json_t *(*item_fn)(struct srv_req *r, psy_id practice, psy_id id); /* NULL: left out */

/* The records an id list names, each as item makes it. */
static json_t *records_json(struct srv_req *r, psy_id pr, psy_id owner, id_list_fn list, item_fn item)
{
    psy_id *ids;
    size_t n;
    json_t *a = json_array();
    if (list(r->st, pr, owner, &ids, &n)) return a;
    for (size_t i = 0; i < n; i++) {
        json_t *j = item(r, pr, ids[i]);
        if (j) json_array_append_new(a, j);
    }
    free(ids);
    return a;
}

static json_t *policy_item(struct srv_req *r, psy_id pr, psy_id id)
{
    struct psy_policy p;
    struct psy_payer py;
    if (psy_records_policy_get(r->st, pr, id, &p) || psy_records_payer_get(r->st, pr, p.payer_id, &py)) return NULL;
    return json_pack("{s:I, s:I, s:s, s:s, s:s, s:i, s:I, s:s, s:s}", "id", (json_int_t)p.id, "payer_id",
                     (json_int_t)p.payer_id, "payer", py.name, "member_id", p.member_id, "group_number", p.group_number,
                     "priority", p.priority, "copay_cents", (json_int_t)p.copay_cents, "start_date", p.start_date,
                     "end_date", p.end_date);
}

static json_t *auth_item(struct srv_req *r, psy_id pr, psy_id id)
{
    struct psy_authorisation au;
    int used = 0;
    if (psy_records_auth_get(r->st, pr, id, &au) || psy_records_auth_used(r->st, pr, id, &used)) return NULL;
    return json_pack("{s:I, s:s, s:s, s:i, s:i, s:i, s:s, s:s, s:o}", "id", (json_int_t)au.id, "number", au.number,
                     "unit_kind", au.unit_kind, "units_approved", au.units_approved, "units_used", used, "units_left",
                     au.units_approved - used, "start_date", au.start_date, "end_date", au.end_date, "codes",
                     codes_json(au.n_codes, au.codes));
}

static json_t *plan_item(struct srv_req *r, psy_id pr, psy_id id)
{
    struct psy_plan p;
    if (psy_records_plan_get(r->st, pr, id, &p)) return NULL;
    json_t *mods = json_array();
    if (p.modalities & PSY_MOD_INDIVIDUAL) json_array_append_new(mods, json_string("individual"));
    if (p.modalities & PSY_MOD_GROUP) json_array_append_new(mods, json_string("group"));
    if (p.modalities & PSY_MOD_FAMILY) json_array_append_new(mods, json_string("family"));
    json_t *j = json_pack("{s:I, s:I, s:o, s:s, s:i, s:s, s:s, s:s, s:o, s:i, s:s}", "id", (json_int_t)p.id,
                          "clinician_id", (json_int_t)p.clinician_id, "modalities", mods, "frequency", p.frequency,
                          "session_minutes", p.session_minutes, "start_date", p.start_date, "review_date",
                          p.review_date, "end_date", p.end_date, "diagnoses", codes_json(p.n_dx, p.dx), "goals",
                          p.n_goals, "clinician_signed_at", p.clinician_signed_at);
    psy_plan_clear(&p);
    return j;
}

static json_t *session_item(struct srv_req *r, psy_id pr, psy_id id)
{
    struct psy_session s;
    if (psy_records_session_get(r->st, pr, id, &s)) return NULL;
    return json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)s.id, "kind", s.kind, "service_date", s.service_date,
                     "signed_at", s.signed_at);
}

static json_t *group_item(struct srv_req *r, psy_id pr, psy_id id)
{
    struct psy_group g;
    if (psy_records_group_get(r->st, pr, id, &g)) return NULL;
    return json_pack("{s:I, s:s}", "id", (json_int_t)g.id, "name", g.name);
}

void api_client(struct srv_req *r)
{
    psy_id id, pr = r->session.user.practice_id;
    struct psy_client c;
    if (api_id_param(r, "id", &id) || api_found(r, api_may_see(r, 0, id) ? psy_records_client_get(r->st, pr, id, &c) : PSY_ENOTFOUND, "client"))
        return;
    if (api_audit_rec(r, "client.read", "client", id)) return;
    json_t *j = api_client_brief(&c);
    json_object_set_new(j, "sex", json_string(c.sex));
    json_object_set_new(j, "address", json_string(c.address));
    json_object_set_new(j, "city", json_string(c.city));
    json_object_set_new(j, "state", json_string(c.state));
    json_object_set_new(j, "zip", json_string(c.zip));
    json_object_set_new(j, "phone", json_string(c.phone));
    json_object_set_new(j, "telehealth_consent_date", json_string(c.telehealth_consent_date));
    json_object_set_new(j, "version", json_integer(c.version));
    json_object_set_new(j, "policies", records_json(r, pr, id, psy_records_client_policies, policy_item));
    json_object_set_new(j, "authorisations", records_json(r, pr, id, psy_records_client_auths, auth_item));
    json_object_set_new(j, "plans", records_json(r, pr, id, psy_records_client_plans, plan_item));
    json_object_set_new(j, "groups", records_json(r, pr, id, psy_records_client_groups, group_item));
    json_object_set_new(j, "sessions", records_json(r, pr, id, psy_records_client_sessions, session_item));
    srv_reply_json(r, 200, j);
}

static json_t *group_json(struct srv_req *r, const struct psy_group *g)
{
    struct psy_clinician c;
    char who[160] = "";
    if (psy_records_clinician_get(r->st, r->session.user.practice_id, g->clinician_id, &c) == PSY_OK)
        snprintf(who, sizeof who, "%s %s, %s", c.first_name, c.last_name, c.credential);
    return json_pack("{s:I, s:s, s:I, s:s, s:I, s:s, s:b, s:i, s:s, s:b, s:i}", "id", (json_int_t)g->id, "name",
                     g->name, "clinician_id", (json_int_t)g->clinician_id, "clinician", who, "co_clinician_id",
                     (json_int_t)g->co_clinician_id, "modality", g->modality, "telehealth", g->telehealth,
                     "capacity", g->capacity, "schedule", g->schedule, "active", g->active, "version", g->version);
}

void api_groups(struct srv_req *r)
{
    psy_id pr = r->session.user.practice_id, *ids;
    size_t n;
    if (api_visible(r, 1, PSY_PERM_CLIENTS_READ, &ids, &n)) return;
    char today[PSY_DATE_MAX];
    api_today(r, today);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        struct psy_group g;
        psy_id *m;
        size_t nm = 0;
        if (psy_records_group_get(r->st, pr, ids[i], &g)) continue;
        json_t *j = group_json(r, &g);
        if (psy_records_group_roster(r->st, pr, g.id, today, &m, &nm) == PSY_OK) free(m);
        json_object_set_new(j, "members", json_integer((json_int_t)nm));
        json_array_append_new(arr, j);
    }
    free(ids);
    srv_reply_json(r, 200, json_pack("{s:o}", "groups", arr));
}

void api_group(struct srv_req *r)
{
    psy_id id;
    struct psy_group g;
    if (api_group_param(r, &id, &g)) return;
    if (api_audit_rec(r, "group.read", "therapy_group", id)) return;
    psy_id pr = r->session.user.practice_id;
    json_t *j = group_json(r, &g);
    char today[PSY_DATE_MAX];
    api_today(r, today);
    psy_id *ids;
    size_t n;
    json_t *roster = json_array();
    if (psy_records_group_roster(r->st, pr, id, today, &ids, &n) == PSY_OK) {
        for (size_t i = 0; i < n; i++) {
            struct psy_client c;
            if (psy_records_client_get(r->st, pr, ids[i], &c) == PSY_OK) json_array_append_new(roster, api_client_brief(&c));
        }
        free(ids);
    }
    json_object_set_new(j, "roster", roster);
    json_t *sessions = json_array();
    if (psy_records_group_sessions(r->st, pr, id, &ids, &n) == PSY_OK) {
        for (size_t i = 0; i < n; i++) {
            struct psy_session s;
            struct psy_attendance *a;
            size_t na = 0;
            int present = 0;
            if (psy_records_session_get(r->st, pr, ids[i], &s)) continue;
            if (psy_records_attendance_list(r->st, pr, s.id, &a, &na) == PSY_OK) {
                for (size_t k = 0; k < na; k++) present += a[k].present;
                free(a);
            }
            json_array_append_new(sessions, json_pack("{s:I, s:s, s:s, s:i, s:i, s:s}", "id", (json_int_t)s.id,
                                                      "service_date", s.service_date, "signed_at", s.signed_at,
                                                      "present", present, "recorded", (int)na, "billed_code",
                                                      s.billed_code));
        }
        free(ids);
    }
    json_object_set_new(j, "sessions", sessions);
    srv_reply_json(r, 200, j);
}
