/*
 * audit_day.c -- the audit's impossible days: a clinician in two sessions that overlap in time
 * (R-IMP-1), a client in two overlapping sessions (R-IMP-2, a group member counted when present), a
 * clinician's time on one date over the hours of a day or over the practice's limit (R-IMP-3). A stop
 * before its start needs no rule here: the records refuse it and the schema's CHECK (stop_utc >
 * start_utc, 0003_records.sql) keeps it out of the store. Rules in docs/records.md.
 *
 * The one idea: two ordered queries over the period (sessions by clinician and start, presences by
 * client and start) and one sweep each, keeping the latest stop seen; the per-date totals are one sort
 * of the same rows. The work is O(n log n) in the sessions of the period, whatever the day holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "audit_int.h"
#include "psy_db.h"

struct row {
    psy_id session, who;
    char date[PSY_DATE_MAX];
    int64_t start, stop; /* epoch seconds; 0 = not recorded */
    int minutes;         /* the explicit total, else stop - start */
};

static psy_status load(psy_store *st, const char *sql, psy_id practice, const char *from, const char *to, int twice,
                       struct row **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    psy__stmt *s = twice ? psy__db_stmt(st, sql,
                                        PSY_ARGS(PSY_INT(practice), PSY_TEXT(from), PSY_TEXT(to), PSY_INT(practice),
                                                 PSY_TEXT(from), PSY_TEXT(to)))
                         : psy__db_stmt(st, sql, PSY_ARGS(PSY_INT(practice), PSY_TEXT(from), PSY_TEXT(to)));
    if (!s) return psy__store_dbfail(st, "audit");
    size_t cap = 0;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        if (*n == cap) *out = psy__realloc(*out, (cap = cap ? 2 * cap : 1024) * sizeof **out);
        struct row *x = &(*out)[(*n)++];
        memset(x, 0, sizeof *x);
        x->session = psy__sql_int64(s, 0);
        x->who = psy__sql_int64(s, 1);
        psy__copy(x->date, sizeof x->date, psy__sql_text(s, 2));
        const char *a = psy__sql_text(s, 3), *b = psy__sql_text(s, 4);
        if (a && *a && psy__rec_epoch(a, &x->start)) x->start = 0;
        if (b && *b && psy__rec_epoch(b, &x->stop)) x->stop = 0;
        int m = (int)psy__sql_int64(s, 5);
        x->minutes = m > 0 ? m : x->start && x->stop > x->start ? (int)((x->stop - x->start) / 60) : 0;
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) {
        free(*out);
        *out = NULL;
        *n = 0;
        return psy__store_dbfail(st, "audit");
    }
    return PSY_OK;
}

/* Rows are in (who, start) order; sessions without both times are not compared. */
static void sweep(const struct row *r, size_t n, const char *rule, const char *whom, psy__audit_emit emit, void *ud)
{
    psy_id who = 0, last_session = 0;
    int64_t last_stop = 0;
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (!r[i].start || r[i].stop <= r[i].start) continue;
        if (!any || r[i].who != who) {
            who = r[i].who;
            last_stop = 0;
            any = 1;
        }
        if (last_stop && r[i].start < last_stop && r[i].session != last_session) {
            char msg[320];
            snprintf(msg, sizeof msg, "session %lld overlaps session %lld of the same %s (id %lld): one person cannot "
                     "be in two sessions at once, so one of them is not billable as recorded",
                     (long long)r[i].session, (long long)last_session, whom, (long long)who);
            emit(ud, rule, 1, r[i].session, r[i].date, msg);
        }
        if (r[i].stop > last_stop) {
            last_stop = r[i].stop;
            last_session = r[i].session;
        }
    }
}

static int by_who_date(const void *pa, const void *pb)
{
    const struct row *a = pa, *b = pb;
    if (a->who != b->who) return a->who < b->who ? -1 : 1;
    int c = strcmp(a->date, b->date);
    if (c) return c;
    return a->session < b->session ? -1 : a->session > b->session;
}

psy_status psy__audit_day(psy_store *st, psy_id practice, const char *from, const char *to, int day_minutes_max,
                          psy__audit_emit emit, void *ud)
{
    struct row *r;
    size_t n;
    psy_status rc = load(st,
                         "SELECT id, clinician_id, service_date, COALESCE(start_utc, ''), COALESCE(stop_utc, ''), "
                         "COALESCE(minutes, 0) FROM session WHERE practice_id = ? AND service_date BETWEEN ? AND ? "
                         "ORDER BY clinician_id, start_utc, id",
                         practice, from, to, 0, &r, &n);
    if (rc) return rc;
    sweep(r, n, "R-IMP-1", "clinician", emit, ud);
    /* a clinician's time per date: over the day is impossible, over the practice's limit is questioned */
    qsort(r, n, sizeof *r, by_who_date);
    for (size_t i = 0; i < n;) {
        size_t k = i;
        long total = 0;
        while (k < n && r[k].who == r[i].who && !strcmp(r[k].date, r[i].date)) total += r[k++].minutes;
        int impossible = total > 24 * 60;
        if (impossible || (day_minutes_max > 0 && total > day_minutes_max)) {
            char msg[320];
            snprintf(msg, sizeof msg, "clinician %lld has %ld minutes of sessions on %s, %s (%ld session%s; "
                     "session %lld is the last)",
                     (long long)r[i].who, total, r[i].date,
                     impossible ? "more than the 1,440 minutes of a day" : "more than the practice's daily limit",
                     (long)(k - i), k - i == 1 ? "" : "s", (long long)r[k - 1].session);
            emit(ud, "R-IMP-3", impossible, r[k - 1].session, r[i].date, msg);
        }
        i = k;
    }
    free(r);
    rc = load(st,
              "SELECT id, client_id, service_date, COALESCE(start_utc, ''), COALESCE(stop_utc, ''), 0 FROM session "
              "WHERE practice_id = ? AND service_date BETWEEN ? AND ? AND COALESCE(client_id, 0) <> 0 "
              "UNION ALL SELECT s.id, a.client_id, s.service_date, COALESCE(s.start_utc, ''), "
              "COALESCE(s.stop_utc, ''), 0 FROM attendance a JOIN session s ON s.id = a.session_id "
              "WHERE s.practice_id = ? AND s.service_date BETWEEN ? AND ? AND a.present <> 0 ORDER BY 2, 4, 1",
              practice, from, to, 1, &r, &n);
    if (rc) return rc;
    sweep(r, n, "R-IMP-2", "client", emit, ud);
    free(r);
    return PSY_OK;
}
