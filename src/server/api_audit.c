/*
 * api_audit.c -- the audit trail for a practice's admins: GET /api/audit (a page of events as JSON) and
 * GET /api/audit.csv (every event matching the filter as a CSV download), both filtered by user,
 * action, record, outcome and a date range in the practice's time zone; each event's time is given in UTC
 * (`at`) and in the practice's time zone (`at_local`). Looking is itself recorded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srv_api.h"

/* The event's instant (stored as UTC "YYYY-MM-DDTHH:MM:SSZ") as local time with its offset in time zone
 * tz ("2026-12-05T21:14:03-06:00"); "" when it is not such a text. */
static void local_time(const char *tz, const char *utc, char out[PSY_DATE_NOW_MAX])
{
    char date[PSY_DATE_TEXT_MAX];
    int hh, mm, ss, n = 0;
    int64_t t;
    out[0] = 0;
    if (strlen(utc) != 20 || utc[10] != 'T' || utc[19] != 'Z') return;
    snprintf(date, sizeof date, "%.10s", utc);
    if (sscanf(utc + 11, "%2d:%2d:%2d%n", &hh, &mm, &ss, &n) != 3 || n != 8 || hh > 23 || mm > 59 || ss > 60 ||
        !psy_date_zone_start("UTC", date, &t))
        return;
    psy_date_time_at(tz, t + hh * 3600 + mm * 60 + ss, out);
}

static json_t *event_json(const struct psy_audit_event *e, const char *tz)
{
    char local[PSY_DATE_NOW_MAX];
    local_time(tz, e->at, local);
    json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)e->id, "at", e->at,
                          "username", e->username, "action", e->action, "record_type", e->record_type,
                          "record_id", e->record_id, "ip", e->ip, "outcome", e->outcome, "detail", e->detail);
    json_object_set_new(j, "user_id", e->user_id ? json_integer(e->user_id) : json_null());
    json_object_set_new(j, "practice_id", e->practice_id ? json_integer(e->practice_id) : json_null());
    json_object_set_new(j, "at_local", json_string(local));
    return j;
}

struct audit_query {
    struct psy_audit_filter f;
    char record_type[PSY_AUDIT_TYPE_MAX], from[PSY_DATE_NOW_MAX], to[PSY_DATE_NOW_MAX];
};

/* Reads ?user=&action=&record=&outcome=&from=&to= into q; answers 400 naming the parameter and
 * returns -1 when one is malformed. record is "type:id", "type" or an id; from and to are dates
 * (YYYY-MM-DD, both included) in the practice's time zone. */
static int read_filter(struct srv_req *r, struct audit_query *q)
{
    memset(q, 0, sizeof *q);
    const char *user = srv_query(r, "user"), *action = srv_query(r, "action"), *record = srv_query(r, "record"),
               *outcome = srv_query(r, "outcome"), *from = srv_query(r, "from"), *to = srv_query(r, "to");
    static const char *const names[] = {"user", "action", "record", "outcome"};
    const char *vals[] = {user, action, record, outcome};
    static const size_t caps[] = {PSY_USERNAME_MAX, PSY_AUDIT_ACTION_MAX, PSY_AUDIT_TYPE_MAX + PSY_AUDIT_ID_MAX,
                                  PSY_AUDIT_OUTCOME_MAX};
    for (int i = 0; i < 4; i++)
        if (vals[i] && strlen(vals[i]) >= caps[i]) {
            srv_reply_error(r, 400, "invalid", names[i], "%s: too long", names[i]);
            return -1;
        }
    q->f.username = user;
    q->f.action = action;
    q->f.outcome = outcome;
    if (record && *record) {
        const char *colon = strchr(record, ':');
        if (colon) {
            snprintf(q->record_type, sizeof q->record_type, "%.*s", (int)(colon - record), record);
            q->f.record_type = q->record_type;
            q->f.record_id = colon + 1;
        } else if (strspn(record, "0123456789") == strlen(record)) {
            q->f.record_id = record;
        } else {
            q->f.record_type = record;
        }
    }
    char tz[PSY_TZ_MAX];
    api_zone(r, tz);
    int64_t t;
    if (from && *from) {
        if (!psy_date_zone_start(tz, from, &t)) {
            srv_reply_error(r, 400, "invalid", "from", "from: a date YYYY-MM-DD");
            return -1;
        }
        psy_date_utc_text(t, q->from);
        q->f.from_utc = q->from;
    }
    if (to && *to) {
        char next[PSY_DATE_TEXT_MAX];
        if (!psy_date_add(to, 1, next) || !psy_date_zone_start(tz, next, &t)) {
            srv_reply_error(r, 400, "invalid", "to", "to: a date YYYY-MM-DD");
            return -1;
        }
        psy_date_utc_text(t, q->to);
        q->f.to_utc = q->to;
    }
    if (q->f.from_utc && q->f.to_utc && strcmp(q->f.from_utc, q->f.to_utc) >= 0) {
        srv_reply_error(r, 400, "invalid", "to", "to: on or after from");
        return -1;
    }
    return 0;
}

/* Records the look at the trail, with the filter used. */
static int audit_look(struct srv_req *r, const char *action, const struct audit_query *q)
{
    char detail[PSY_AUDIT_DETAIL_MAX];
    snprintf(detail, sizeof detail, "user=%s action=%s record=%s%s%s outcome=%s from=%s to=%s",
             q->f.username ? q->f.username : "", q->f.action ? q->f.action : "",
             q->f.record_type ? q->f.record_type : "", q->f.record_type && q->f.record_id ? ":" : "",
             q->f.record_id ? q->f.record_id : "", q->f.outcome ? q->f.outcome : "", q->f.from_utc ? q->f.from_utc : "",
             q->f.to_utc ? q->f.to_utc : "");
    psy_status rc = psy_auth_audit_outcome(r->st, &r->session.user, action, "audit_event", NULL, "ok", detail, r->ip);
    if (rc) srv_reply_status(r, rc, NULL);
    return rc ? -1 : 0;
}

/* GET /api/audit: a page of events, newest first, by cursor (docs/api.yaml, "Lists"); ?offset= pages
 * by position as before (without a next_cursor). */
void api_audit(struct srv_req *r)
{
    long long offset;
    struct audit_query q;
    struct psy_page pg;
    if (api_page(r, &pg) || srv_query_int(r, "offset", 0, 1LL << 40, 0, &offset) || read_filter(r, &q) ||
        audit_look(r, "audit.read", &q))
        return;
    struct psy_audit_event *ev;
    size_t n;
    psy_status rc = srv_query(r, "offset") && !(pg.cursor && *pg.cursor)
                        ? psy_auth_audit_query(r->st, r->session.user.practice_id, &q.f, offset, pg.limit, &ev, &n, &pg.total)
                        : psy_auth_audit_page(r->st, r->session.user.practice_id, &q.f, &pg, &ev, &n);
    if (rc) {
        api_page_fail(r, rc);
        return;
    }
    char tz[PSY_TZ_MAX];
    api_zone(r, tz);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(arr, event_json(&ev[i], tz));
    free(ev);
    api_page_reply(r, &pg, arr, json_pack("{s:I, s:I, s:s}", "offset", (json_int_t)offset, "limit", (json_int_t)pg.limit,
                                          "time_zone", tz));
}

struct csv_buf {
    char *p;
    size_t n, cap;
};

static void put(struct csv_buf *b, const char *s, size_t len)
{
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + len + 1) cap *= 2;
        b->p = psy_realloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = 0;
}

/* One CSV field (RFC 4180): quoted, quotes doubled; a leading = + - @ or tab gets a ' so a
 * spreadsheet shows it as text instead of running it as a formula. */
static void csv_field(struct csv_buf *b, const char *v, int last)
{
    put(b, "\"", 1);
    if (*v == '=' || *v == '+' || *v == '-' || *v == '@' || *v == '\t') put(b, "'", 1);
    for (const char *c = v; *c; c++) {
        if (*c == '"') put(b, "\"\"", 2);
        else put(b, c, 1);
    }
    if (last) put(b, "\"\r\n", 3);
    else put(b, "\",", 2);
}

#define CSV_MAX_ROWS 100000

void api_audit_csv(struct srv_req *r)
{
    struct audit_query q;
    if (read_filter(r, &q) || audit_look(r, "audit.export", &q)) return;
    struct csv_buf b = {0};
    static const char head[] = "id,at,username,action,record_type,record_id,outcome,detail,ip\r\n";
    put(&b, head, sizeof head - 1);
    for (long long offset = 0; offset < CSV_MAX_ROWS;) {
        struct psy_audit_event *ev;
        size_t n;
        psy_status rc = psy_auth_audit_query(r->st, r->session.user.practice_id, &q.f, offset, 500, &ev, &n, NULL);
        if (rc) {
            free(b.p);
            srv_reply_status(r, rc, NULL);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            char id[24];
            snprintf(id, sizeof id, "%lld", ev[i].id);
            const char *cols[] = {id, ev[i].at, ev[i].username, ev[i].action, ev[i].record_type, ev[i].record_id,
                                  ev[i].outcome, ev[i].detail, ev[i].ip};
            for (int c = 0; c < 9; c++) csv_field(&b, cols[c], c == 8);
        }
        free(ev);
        if (n < 500) break;
        offset += (long long)n;
    }
    char name[64], today[PSY_DATE_MAX];
    api_today(r, today);
    snprintf(name, sizeof name, "audit-%s.csv", today);
    srv_reply_download(r, "text/csv; charset=utf-8", name, b.p, b.n);
}
