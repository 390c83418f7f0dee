/*
 * srv_api.c -- the helpers of srv_api.h that the record, session, claim and report handlers share: path
 * ids, the clinician scope and what a user may see, audit events, the answers for library failures, the
 * practice's time zone and today's date in it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srv_api.h"

int api_id_param(struct srv_req *r, const char *name, psy_id *out)
{
    /* one form only: decimal digits without a sign or leading zeros, 1 to 18 of them (within psy_id) */
    const char *s = srv_param(r, name);
    size_t n = strspn(s, "0123456789");
    long long v = n && !s[n] && n <= 18 && s[0] != '0' ? strtoll(s, NULL, 10) : 0;
    if (v <= 0) {
        srv_reply_error(r, 404, "not_found", NULL, "no such %s", name);
        return -1;
    }
    *out = v;
    return 0;
}

psy_id api_own_clinician(const struct srv_req *r, psy_perm perm)
{
    if (psy_auth_scope(r->session.user.role, perm) == PSY_SCOPE_PRACTICE) return 0;
    return r->session.user.clinician_id ? r->session.user.clinician_id : -1;
}

int api_audit_rec(struct srv_req *r, const char *action, const char *type, psy_id id)
{
    char rec[32] = "";
    if (id) snprintf(rec, sizeof rec, "%lld", (long long)id);
    psy_status rc = psy_auth_audit(r->st, &r->session.user, action, type, rec, r->ip);
    if (rc) srv_reply_status(r, rc, NULL);
    else r->audited = 1;
    return rc ? -1 : 0;
}

int api_found(struct srv_req *r, psy_status rc, const char *what)
{
    if (rc == PSY_ENOTFOUND) srv_reply_error(r, 404, "not_found", NULL, "no such %s", what);
    else if (rc) srv_reply_status(r, rc, NULL);
    return rc ? -1 : 0;
}

void api_reply_store(struct srv_req *r, psy_status rc)
{
    if (rc == PSY_EINVAL) {
        const char *m = psy_store_errmsg(r->st);
        char field[48] = "";
        size_t k = strcspn(m, ":");
        if (m[k] == ':' && k < sizeof field) memcpy(field, m, k), field[k] = 0;
        srv_reply_error(r, 422, "invalid", *field ? field : NULL, "%s", m);
    } else if (rc == PSY_ECONFLICT) {
        srv_reply_error(r, 409, "conflict", "version",
                        "someone else changed this record since you opened it: reload to see their changes");
    } else {
        srv_reply_status(r, rc, NULL);
    }
}

int api_page(struct srv_req *r, struct psy_page *pg)
{
    long long limit;
    memset(pg, 0, sizeof *pg);
    if (srv_query_int(r, "limit", 1, PSY_PAGE_MAX, PSY_PAGE_DEFAULT, &limit)) return -1;
    pg->limit = (int)limit;
    pg->cursor = srv_query(r, "cursor");
    if (pg->cursor && strlen(pg->cursor) >= PSY_CURSOR_MAX) {
        srv_reply_error(r, 400, "invalid", "cursor", "cursor: not a cursor this list gave");
        return -1;
    }
    return 0;
}

void api_page_reply(struct srv_req *r, const struct psy_page *pg, json_t *items, json_t *extra)
{
    json_t *j = extra ? extra : json_object();
    json_object_set_new(j, "items", items);
    json_object_set_new(j, "next_cursor", *pg->next_cursor ? json_string(pg->next_cursor) : json_null());
    json_object_set_new(j, "total", json_integer(pg->total));
    srv_reply_json(r, 200, j);
}

void api_page_reply_jw(struct srv_req *r, const struct psy_page *pg, struct srv_jw *items, json_t *extra)
{
    struct srv_jw w = {0};
    srv_jw_raw(&w, "{\"items\":");
    srv_jw_raw(&w, items->p ? items->p : "[]");
    srv_jw_key(&w, "next_cursor", 0);
    if (*pg->next_cursor) srv_jw_str(&w, pg->next_cursor);
    else srv_jw_raw(&w, "null");
    srv_jw_key(&w, "total", 0);
    srv_jw_int(&w, pg->total);
    const char *k;
    json_t *v;
    json_object_foreach(extra, k, v) {
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!text) continue;
        srv_jw_key(&w, k, 0);
        srv_jw_raw(&w, text);
        free(text);
    }
    srv_jw_raw(&w, "}");
    free(items->p);
    items->p = NULL;
    json_decref(extra);
    srv_reply_jw(r, 200, &w);
}

void api_page_fail(struct srv_req *r, psy_status rc)
{
    if (rc == PSY_EINVAL) srv_reply_error(r, 400, "invalid", "cursor", "%s", psy_store_errmsg(r->st));
    else srv_reply_status(r, rc, NULL);
}

static int id_in(const psy_id *ids, size_t n, psy_id id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id) return 1;
    return 0;
}

int api_may_see(struct srv_req *r, int group, psy_id id)
{
    psy_id own = api_own_clinician(r, PSY_PERM_CLIENTS_READ);
    if (!own) return 1;
    psy_id *ids;
    size_t n;
    psy_id pr = r->session.user.practice_id;
    psy_status rc = group ? psy_records_group_list(r->st, pr, own, &ids, &n) : psy_records_client_ids(r->st, pr, own, &ids, &n);
    if (rc) return 0;
    int ok = id_in(ids, n, id);
    free(ids);
    return ok;
}

json_t *api_client_brief(const struct psy_client *c)
{
    json_t *dx = json_array();
    for (int i = 0; i < c->n_dx; i++) json_array_append_new(dx, json_string(c->dx[i]));
    return json_pack("{s:I, s:s, s:s, s:s, s:o, s:b}", "id", (json_int_t)c->id, "first_name", c->first_name,
                     "last_name", c->last_name, "birth_date", c->birth_date, "diagnoses", dx, "active", c->active);
}

int api_visible(struct srv_req *r, int group, psy_perm perm, psy_id **ids, size_t *n)
{
    psy_id own = api_own_clinician(r, perm), pr = r->session.user.practice_id;
    *ids = NULL;
    *n = 0;
    psy_status rc = own < 0 ? PSY_OK
                  : group   ? psy_records_group_list(r->st, pr, own, ids, n)
                            : psy_records_client_ids(r->st, pr, own, ids, n);
    if (rc) srv_reply_status(r, rc, NULL);
    return rc ? -1 : 0;
}

int api_group_param(struct srv_req *r, psy_id *id, struct psy_group *g)
{
    if (api_id_param(r, "id", id)) return -1;
    return api_found(r, api_may_see(r, 1, *id) ? psy_records_group_get(r->st, r->session.user.practice_id, *id, g) : PSY_ENOTFOUND,
                     "group");
}

void api_zone(struct srv_req *r, char out[PSY_TZ_MAX])
{
    struct psy_practice p;
    int ok = psy_records_practice_get(r->st, r->session.user.practice_id, &p) == PSY_OK && *p.time_zone;
    snprintf(out, PSY_TZ_MAX, "%s", ok ? p.time_zone : "UTC");
}

void api_today(struct srv_req *r, char out[PSY_DATE_MAX])
{
    char tz[PSY_TZ_MAX];
    api_zone(r, tz);
    psy_date_today(tz, out);
}
