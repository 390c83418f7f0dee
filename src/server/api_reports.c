/*
 * api_reports.c -- the reports over HTTP: group attendance rates by week (GET /api/reports/attendance)
 * and group economics (GET /api/reports/group-economics): what a group session earns against the
 * number of members present, from each member's primary payer's fee for 90853 in the payer profiles
 * (the coding engine's charge), and the break-even group size for a clinician cost per hour.
 *
 * GET /api/reports/revenue gives billed against paid by service month and payer (psy_billing_revenue);
 * it spans every clinician's claims, so it needs claims.read for the whole practice.
 *
 * A clinician's reports cover their own groups only. A record payer is matched to a payer profile by its
 * kind: medicare -> "medicare", medicaid -> "example-medicaid", commercial -> "example-commercial",
 * other -> "default". Reading a report is on the audit trail (it is built from attendance).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srv_form.h"

#define GROUP_CODE "90853"

/* The Monday on or before date (YYYY-MM-DD). */
static void week_of(const char *date, char out[PSY_DATE_MAX])
{
    int wd = psy_date_weekday(date);
    if (wd < 0 || !psy_date_add(date, -((wd + 6) % 7), out)) snprintf(out, PSY_DATE_MAX, "%s", date);
}

void api_report_attendance(struct srv_req *r)
{
    psy_id pr = r->session.user.practice_id, *gids;
    size_t ng;
    if (api_visible(r, 1, PSY_PERM_REPORTS_READ, &gids, &ng)) return;
    if (api_audit_rec(r, "report.attendance", "", 0)) {
        free(gids);
        return;
    }
    json_t *groups = json_array();
    for (size_t i = 0; i < ng; i++) {
        struct psy_group g;
        struct psy_group_attendance *a;
        size_t na;
        if (psy_records_group_get(r->st, pr, gids[i], &g) || psy_records_group_attendance(r->st, pr, g.id, &a, &na))
            continue;
        json_t *weeks = json_array(), *cur = NULL;
        char cur_week[PSY_DATE_MAX] = "";
        for (size_t k = 0, e; k < na; k = e) { /* one session's members at a time */
            int present = 0;
            for (e = k; e < na && a[e].session_id == a[k].session_id; e++) present += a[e].present;
            char wk[PSY_DATE_MAX];
            week_of(a[k].service_date, wk);
            if (!cur || strcmp(wk, cur_week) != 0) {
                snprintf(cur_week, sizeof cur_week, "%s", wk);
                cur = json_pack("{s:s, s:i, s:i, s:i}", "week", wk, "sessions", 0, "present", 0, "recorded", 0);
                json_array_append_new(weeks, cur);
            }
            json_object_set_new(cur, "sessions", json_integer(json_integer_value(json_object_get(cur, "sessions")) + 1));
            json_object_set_new(cur, "present", json_integer(json_integer_value(json_object_get(cur, "present")) + present));
            json_object_set_new(cur, "recorded",
                                json_integer(json_integer_value(json_object_get(cur, "recorded")) + (json_int_t)(e - k)));
        }
        free(a);
        size_t w;
        json_t *x;
        json_array_foreach(weeks, w, x) {
            double rec = (double)json_integer_value(json_object_get(x, "recorded"));
            json_object_set_new(x, "rate", json_real(rec > 0 ? json_integer_value(json_object_get(x, "present")) / rec : 0));
        }
        json_array_append_new(groups, json_pack("{s:I, s:s, s:o}", "id", (json_int_t)g.id, "name", g.name, "weeks", weeks));
    }
    free(gids);
    srv_reply_json(r, 200, json_pack("{s:o}", "groups", groups));
}

static const char *profile_of(const char *kind)
{
    if (!strcmp(kind, "medicare")) return "medicare";
    if (!strcmp(kind, "medicaid")) return "example-medicaid";
    if (!strcmp(kind, "commercial")) return "example-commercial";
    return "default";
}

/* The profile's fee for one member's group psychotherapy on date, in cents (0 when it has none). */
static long long group_fee(struct srv_req *r, const char *profile, const char *date)
{
    struct psy_coding_input in;
    psy_session_init(&in);
    snprintf(in.date, sizeof in.date, "%s", date);
    in.kind = PSY_SESSION_GROUP;
    in.minutes = 90;
    in.group_size = 6;
    snprintf(in.payer, sizeof in.payer, "%s", profile);
    struct psy_coding_result *res = malloc(sizeof *res);
    long long fee = 0;
    if (res && psy_coding_session(r->srv->coder, &in, res) == PSY_OK)
        for (size_t i = 0; i < res->n_lines && !fee; i++)
            if (!strcmp(res->lines[i].code, GROUP_CODE)) fee = res->lines[i].charge_cents / (res->lines[i].units ? res->lines[i].units : 1);
    free(res);
    return fee;
}

/* The group fee of a payer on date (cents) and the payer's name: 0 and "no insurance" without one. Payers
 * are read once each (payers: by id), fees once per billing profile (fees). */
static long long payer_fee(struct srv_req *r, psy_id payer, const char *date, char name[PSY_REC_NAME_MAX],
                           json_t *fees, json_t *payers)
{
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)payer);
    json_t *known = payer ? json_object_get(payers, key) : NULL;
    if (payer && !known) {
        struct psy_payer py;
        if (psy_records_payer_get(r->st, r->session.user.practice_id, payer, &py) == PSY_OK)
            known = json_pack("{s:s, s:s}", "name", py.name, "profile", profile_of(py.kind));
        else
            known = json_pack("{s:n}", "name");
        json_object_set_new(payers, key, known);
    }
    const char *payer_name = known ? json_string_value(json_object_get(known, "name")) : NULL;
    if (!payer_name) {
        snprintf(name, PSY_REC_NAME_MAX, "no insurance");
        return 0;
    }
    snprintf(name, PSY_REC_NAME_MAX, "%s", payer_name);
    const char *prof = json_string_value(json_object_get(known, "profile"));
    json_t *cached = json_object_get(fees, prof);
    if (cached) return json_integer_value(cached);
    long long fee = group_fee(r, prof, date);
    json_object_set_new(fees, prof, json_integer(fee));
    return fee;
}

/* The fee of a client's primary payer on date (cents), and the payer's name (payer_fee). */
static long long member_fee(struct srv_req *r, psy_id client, const char *date, char name[PSY_REC_NAME_MAX],
                            json_t *fees, json_t *payers)
{
    struct psy_policy p;
    if (psy_records_policy_on(r->st, r->session.user.practice_id, client, date, 1, &p)) p.payer_id = 0;
    return payer_fee(r, p.payer_id, date, name, fees, payers);
}

void api_report_economics(struct srv_req *r)
{
    long long cost, minutes;
    /* people type dollars: cost_per_hour ("120", "$1,200.50"); cost_per_hour_cents is kept for scripts */
    const char *dollars = srv_query(r, "cost_per_hour");
    if (dollars) {
        int64_t c;
        if (form_dollars(dollars, &c) || c < 0 || c > 100000000) {
            srv_reply_error(r, 400, "invalid", "cost_per_hour",
                            "cost_per_hour: an amount in dollars from $0 to $1,000,000, such as 120 or 120.50");
            return;
        }
        cost = c;
    } else if (srv_query_int(r, "cost_per_hour_cents", 0, 100000000, 12000, &cost)) {
        return;
    }
    if (srv_query_int(r, "minutes", 15, 480, 90, &minutes)) return;
    psy_id pr = r->session.user.practice_id, *gids;
    size_t ng;
    if (api_visible(r, 1, PSY_PERM_REPORTS_READ, &gids, &ng)) return;
    if (api_audit_rec(r, "report.group_economics", "", 0)) {
        free(gids);
        return;
    }
    char today[PSY_DATE_MAX];
    api_today(r, today);
    long long session_cost = cost * minutes / 60;
    json_t *fees = json_object(), *payers = json_object(), *groups = json_array();
    for (size_t i = 0; i < ng; i++) {
        struct psy_group g;
        psy_id *ids;
        size_t n;
        if (psy_records_group_get(r->st, pr, gids[i], &g) || psy_records_group_roster(r->st, pr, g.id, today, &ids, &n)) continue;
        /* the payer mix of the roster */
        json_t *mix = json_object();
        long long sum = 0;
        for (size_t k = 0; k < n; k++) {
            char name[PSY_REC_NAME_MAX];
            long long fee = member_fee(r, ids[k], today, name, fees, payers);
            sum += fee;
            json_t *e = json_object_get(mix, name);
            if (!e) json_object_set_new(mix, name, e = json_pack("{s:s, s:i, s:I}", "payer", name, "members", 0, "fee_cents", (json_int_t)fee));
            json_object_set_new(e, "members", json_integer(json_integer_value(json_object_get(e, "members")) + 1));
        }
        free(ids);
        long long avg = n ? sum / (long long)n : 0;
        json_t *mix_arr = json_array(), *e;
        const char *key;
        json_object_foreach(mix, key, e) json_array_append(mix_arr, e);
        json_decref(mix);
        /* revenue per session against size, at the roster's average fee */
        int top = g.capacity > 12 ? g.capacity : 12;
        json_t *curve = json_array();
        for (int size = 1; size <= top; size++)
            json_array_append_new(curve, json_pack("{s:i, s:I}", "size", size, "revenue_cents", (json_int_t)(avg * size)));
        /* the sessions held: members present and what their payers pay */
        json_t *held = json_array();
        struct psy_group_attendance *a;
        size_t na;
        if (psy_records_group_attendance(r->st, pr, g.id, &a, &na) == PSY_OK) {
            for (size_t k = 0, end; k < na; k = end) { /* one session's members at a time */
                long long rev = 0;
                int present = 0;
                for (end = k; end < na && a[end].session_id == a[k].session_id; end++) {
                    if (!a[end].present) continue;
                    char name[PSY_REC_NAME_MAX];
                    present++;
                    rev += payer_fee(r, a[end].payer_id, a[end].service_date, name, fees, payers);
                }
                if (present)
                    json_array_append_new(held, json_pack("{s:I, s:s, s:i, s:I}", "session_id", (json_int_t)a[k].session_id,
                                                          "service_date", a[k].service_date, "present", present,
                                                          "revenue_cents", (json_int_t)rev));
            }
            free(a);
        }
        json_t *be = avg > 0 ? json_integer((json_int_t)((session_cost + avg - 1) / avg)) : json_null();
        json_array_append_new(groups, json_pack("{s:I, s:s, s:i, s:I, s:o, s:o, s:o, s:o}", "id", (json_int_t)g.id, "name",
                                                g.name, "capacity", g.capacity, "average_fee_cents", (json_int_t)avg,
                                                "payer_mix", mix_arr, "curve", curve, "sessions", held,
                                                "break_even_size", be));
    }
    free(gids);
    json_decref(fees);
    json_decref(payers);
    srv_reply_json(r, 200, json_pack("{s:I, s:I, s:I, s:{s:i, s:i}, s:o}", "cost_per_hour_cents", (json_int_t)cost,
                                     "minutes", (json_int_t)minutes, "session_cost_cents", (json_int_t)session_cost,
                                     "reference_per_member_cents", "low", 3000, "high", 6500, "groups", groups));
}

/* GET /api/reports/revenue?from=YYYY-MM&to=YYYY-MM: billed against paid by service month and payer, over
 * the claims sent (psy_billing_revenue), with each month's totals. */
void api_report_revenue(struct srv_req *r)
{
    const char *from = srv_query(r, "from"), *to = srv_query(r, "to");
    struct psy_billing_revenue *v;
    size_t n;
    psy_status rc = psy_billing_revenue(r->st, r->session.user.practice_id, from, to, &v, &n);
    if (rc == PSY_EINVAL) {
        api_reply_store(r, rc);
        r->status = 400;
        return;
    }
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    if (api_audit_rec(r, "report.revenue", "", 0)) {
        free(v);
        return;
    }
    json_t *rows = json_array(), *months = json_array(), *m = NULL;
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(rows, json_pack("{s:s, s:I, s:s, s:s, s:I, s:I, s:I, s:I}", "month", v[i].month, "payer_id",
                                              (json_int_t)v[i].payer_id, "payer_code", v[i].payer_code, "payer_name",
                                              v[i].payer_name, "claims", (json_int_t)v[i].claims, "billed_cents",
                                              (json_int_t)v[i].billed_cents, "paid_cents", (json_int_t)v[i].paid_cents,
                                              "patient_cents", (json_int_t)v[i].patient_cents));
        if (!m || strcmp(json_string_value(json_object_get(m, "month")), v[i].month)) {
            m = json_pack("{s:s, s:i, s:i}", "month", v[i].month, "billed_cents", 0, "paid_cents", 0);
            json_array_append_new(months, m);
        }
        json_object_set_new(m, "billed_cents", json_integer(json_integer_value(json_object_get(m, "billed_cents")) + v[i].billed_cents));
        json_object_set_new(m, "paid_cents", json_integer(json_integer_value(json_object_get(m, "paid_cents")) + v[i].paid_cents));
    }
    free(v);
    srv_reply_json(r, 200, json_pack("{s:o, s:o}", "rows", rows, "months", months));
}
