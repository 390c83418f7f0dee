/*
 * audit_day.c -- the audit's impossible days: a clinician in two sessions that overlap in time
 * (R-IMP-1), a client in two overlapping sessions (R-IMP-2, a group member counted when present), a
 * clinician's time on one date over the hours of a day or over the practice's limit (R-IMP-3). A stop
 * before its start needs no rule here: the records refuse it and the schema's CHECK (stop_utc >
 * start_utc, 0003_records.sql) keeps it out of the store. Rules in docs/records.md.
 *
 * The one idea: the sessions the audit read, sorted by clinician and start and the presences by client
 * and start, and one sweep each, keeping the latest stop seen; the per-date totals are one sort of the
 * same rows. Nothing is read again from the store. The work is O(n log n) in the sessions of the
 * period, whatever the day holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "audit_int.h"

#define row psy__day_row

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

static int by_who_start(const void *pa, const void *pb)
{
    const struct row *a = pa, *b = pb;
    if (a->who != b->who) return a->who < b->who ? -1 : 1;
    if (a->start != b->start) return a->start < b->start ? -1 : 1;
    return a->session < b->session ? -1 : a->session > b->session;
}

static int by_who_date(const void *pa, const void *pb)
{
    const struct row *a = pa, *b = pb;
    if (a->who != b->who) return a->who < b->who ? -1 : 1;
    int c = strcmp(a->date, b->date);
    if (c) return c;
    return a->session < b->session ? -1 : a->session > b->session;
}

void psy__audit_day(struct row *r, size_t n, struct row *k, size_t nk, int day_minutes_max, psy__audit_emit emit,
                    void *ud)
{
    if (n > 1) qsort(r, n, sizeof *r, by_who_start);
    sweep(r, n, "R-IMP-1", "clinician", emit, ud);
    /* a clinician's time per date: over the day is impossible, over the practice's limit is questioned */
    if (n > 1) qsort(r, n, sizeof *r, by_who_date);
    for (size_t i = 0; i < n;) {
        size_t e = i;
        long total = 0;
        while (e < n && r[e].who == r[i].who && !strcmp(r[e].date, r[i].date)) total += r[e++].minutes;
        int impossible = total > 24 * 60;
        if (impossible || (day_minutes_max > 0 && total > day_minutes_max)) {
            char msg[320];
            snprintf(msg, sizeof msg, "clinician %lld has %ld minutes of sessions on %s, %s (%ld session%s; "
                     "session %lld is the last)",
                     (long long)r[i].who, total, r[i].date,
                     impossible ? "more than the 1,440 minutes of a day" : "more than the practice's daily limit",
                     (long)(e - i), e - i == 1 ? "" : "s", (long long)r[e - 1].session);
            emit(ud, "R-IMP-3", impossible, r[e - 1].session, r[i].date, msg);
        }
        i = e;
    }
    if (nk > 1) qsort(k, nk, sizeof *k, by_who_start);
    sweep(k, nk, "R-IMP-2", "client", emit, ud);
}
