/*
 * billing_timely.c -- timely filing: how many days after the date of service a claim may still reach its
 * payer (the payer record's own limit, else its billing profile's timely_filing_days, e.g. Medicare 365),
 * the days each claim has left, the report of what is about to run out, and the export's refusal of a
 * claim past its limit unless it is sent late with a reason (kept in its history).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_db.h"
#include "billing_int.h"
#include "coding_int.h"

/* Limits looked up once per payer while one list or export runs. */
struct tf_cache {
    const psy_payers *ps;
    struct {
        psy_id payer;
        int days; /* the payer record's own limit; 0: its profile's */
        char profile[32];
    } p[32];
    size_t n;
};

/* Whether date (a weekday) is a federal holiday or the day one is observed (5 U.S.C. 6103: New Year's
 * Day, Martin Luther King Jr.'s birthday, Washington's birthday, Memorial Day, Juneteenth from 2021,
 * Independence Day, Labor Day, Columbus Day, Veterans Day, Thanksgiving, Christmas; one that falls on a
 * Saturday is observed the Friday before, on a Sunday the Monday after). */
static int federal_holiday(const struct psy_date *d, int wd)
{
    int m = d->month, day = d->day, nth = (day - 1) / 7 + 1, last = day + 7 > psy_date_month_days(d->year, m);
    if (wd == 1 && ((m == 1 && nth == 3) || (m == 2 && nth == 3) || (m == 5 && last) || (m == 9 && nth == 1) ||
                    (m == 10 && nth == 2)))
        return 1;
    if (wd == 4 && m == 11 && nth == 4) return 1;
    static const int fixed[][2] = {{1, 1}, {6, 19}, {7, 4}, {11, 11}, {12, 25}};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        if (fixed[i][0] == 6 && d->year < 2021) continue;
        struct psy_date h = {d->year, fixed[i][0], fixed[i][1]};
        int64_t hd = psy_date_to_days(h), today = psy_date_to_days(*d);
        int hwd = (int)(((hd % 7) + 7 + 4) % 7);
        int64_t observed = hwd == 6 ? hd - 1 : hwd == 0 ? hd + 1 : hd;
        if (observed == today) return 1;
    }
    /* New Year's Day on a Saturday is observed on December 31 of the year before */
    return m == 12 && day == 31 && wd == 5;
}

/* The first workday from date on (itself, when it is one), into out. */
static void next_workday(const char *date, char out[PSY_DATE_MAX])
{
    snprintf(out, PSY_DATE_MAX, "%s", date);
    struct psy_date d;
    for (int guard = 0; guard < 10 && psy_date_parse(out, &d); guard++) {
        int wd = psy_date_weekday(out);
        if (wd != 0 && wd != 6 && !federal_holiday(&d, wd)) return;
        char next[PSY_DATE_MAX];
        if (!psy_date_add(out, 1, next)) return;
        snprintf(out, PSY_DATE_MAX, "%s", next);
    }
}

/* The cache slot of payer (read the first time); NULL when the payer cannot be read. */
static int payer_slot(psy_store *st, psy_id practice, struct tf_cache *c, psy_id payer, size_t *slot)
{
    size_t i = 0;
    while (i < c->n && c->p[i].payer != payer) i++;
    if (i == c->n) {
        struct psy_payer p;
        if (psy_records_payer_get(st, practice, payer, &p)) return 0;
        if (c->n == sizeof c->p / sizeof c->p[0]) i = c->n - 1; /* reuse the last slot */
        else c->n++;
        c->p[i].payer = payer;
        c->p[i].days = p.timely_filing_days;
        snprintf(c->p[i].profile, sizeof c->p[i].profile, "%s", psy_records_payer_profile(&p));
    }
    *slot = i;
    return 1;
}

/* IMP: R-TF-2 -- a next payer's claim (claim, built after an earlier payer's adjudication) whose earlier
 * payer is Medicare: the later of last and months after the date of Medicare's adjudication in force. */
static void after_medicare(psy_store *st, psy_id practice, struct tf_cache *c, psy_id claim, int months,
                           char last[PSY_DATE_MAX])
{
    psy__stmt *s = psy__db_stmt(st,
                                "SELECT e.payer_id, COALESCE((SELECT y.adjudicated_on FROM payment y WHERE y.claim_id = "
                                "e.id AND y.claim_line_id IS NULL AND y.reversed_by IS NULL AND y.claim_status <> '22' "
                                "ORDER BY y.id DESC LIMIT 1), '') FROM claim c JOIN claim e ON e.id = c.cob_from_claim_id "
                                "WHERE c.id = ? AND c.practice_id = ?",
                                PSY_ARGS(PSY_INT(claim), PSY_INT(practice)));
    psy_id earlier = 0;
    char adjudicated[PSY_DATE_MAX] = "", until[PSY_DATE_MAX];
    if (s && psy__sql_step(s) == PSY_SQL_ROW) {
        earlier = psy__sql_int64(s, 0);
        psy__db_col_copy(s, 1, adjudicated, sizeof adjudicated);
    }
    psy__sql_finalize(s);
    size_t i;
    if (!earlier || !psy_date_iso_valid(adjudicated) || !payer_slot(st, practice, c, earlier, &i) ||
        strcmp(c->p[i].profile, "medicare"))
        return;
    if (psy_date_add_months(adjudicated, months, until) && (!last[0] || strcmp(until, last) > 0))
        snprintf(last, PSY_DATE_MAX, "%s", until);
}

/* IMP: R-TF-1 -- the last day a claim of date of service dos may reach payer: the payer record's limit in
 * days when set (timely_filing_days > 0), else its billing profile's in force on the date of service, in
 * days or calendar months (Medicare: one calendar year, the same date a year later), moved to the next
 * workday when the profile says so (Medicare); for claim (0: none), a next payer's claim, also R-TF-2.
 * Returns the limit in days from dos to that day, 0 (deadline "") when none is stated. */
int psy__billing_timely_deadline(psy_store *st, psy_id practice, void *cache, psy_id payer, const char *dos,
                                 psy_id claim, char deadline[PSY_DATE_MAX])
{
    struct tf_cache *c = cache;
    size_t i;
    deadline[0] = 0;
    if (!payer_slot(st, practice, c, payer, &i)) return 0;
    int ok = 0, own = c->p[i].days;
    if (!c->ps) c->ps = psy__payers_builtin_shared();
    const struct psy__payer_terms *t = NULL;
    if (!c->ps || psy__payer_terms(c->ps, c->p[i].profile, psy__date_int(dos), &t)) t = NULL;
    if (own > 0) {
        ok = psy_date_add(dos, own, deadline);
    } else if (t) {
        if (t->timely_filing_months) ok = psy_date_add_months(dos, t->timely_filing_months, deadline);
        else if (t->timely_filing_days) ok = psy_date_add(dos, t->timely_filing_days, deadline);
        if (ok && t->timely_next_workday) {
            char last[PSY_DATE_MAX];
            snprintf(last, sizeof last, "%s", deadline);
            next_workday(last, deadline);
        }
    }
    if (ok && claim && t && t->timely_after_medicare_months)
        after_medicare(st, practice, c, claim, t->timely_after_medicare_months, deadline);
    int64_t days = ok ? psy_date_between(dos, deadline) : INT64_MIN;
    if (days == INT64_MIN || days <= 0) {
        deadline[0] = 0;
        return 0;
    }
    return (int)days;
}

void *psy__billing_timely_cache(void) { return psy__calloc(1, sizeof(struct tf_cache)); }

void psy__billing_timely_cache_free(void *cache)
{
    free(cache);
}

/* The practice's today, in its time zone. */
static void practice_today(psy_store *st, psy_id practice, char out[PSY_DATE_MAX])
{
    struct psy_practice p;
    out[0] = 0;
    if (psy_records_practice_get(st, practice, &p) || !psy_date_today(p.time_zone[0] ? p.time_zone : "UTC", out))
        psy_date_today("UTC", out);
}

/* Days from today to the last day (negative once it has passed); 0 without one. */
static int days_left(const char *today, const char *deadline)
{
    int64_t d = deadline[0] ? psy_date_between(today, deadline) : INT64_MIN;
    return d == INT64_MIN ? 0 : (int)d;
}

psy_status psy_billing_timely_last_day(psy_store *st, psy_id practice, psy_id payer, const char *dos,
                                       char out[PSY_DATE_MAX], int *limit_days)
{
    out[0] = 0;
    if (limit_days) *limit_days = 0;
    if (!psy_date_iso_valid(dos)) return psy__store_fail(st, PSY_EINVAL, "service_date: not a date YYYY-MM-DD");
    struct psy_payer p;
    psy_status rc = psy_records_payer_get(st, practice, payer, &p);
    if (rc) return rc;
    void *cache = psy__billing_timely_cache();
    int days = psy__billing_timely_deadline(st, practice, cache, payer, dos, 0, out);
    psy__billing_timely_cache_free(cache);
    if (limit_days) *limit_days = days;
    return PSY_OK;
}

psy_status psy__billing_timely_fill(psy_store *st, psy_id practice, struct psy_billing_claim *c, size_t n)
{
    char today[PSY_DATE_MAX], deadline[PSY_DATE_MAX];
    practice_today(st, practice, today);
    void *cache = psy__billing_timely_cache();
    for (size_t i = 0; i < n; i++) {
        c[i].timely_limit = psy__billing_timely_deadline(st, practice, cache, c[i].payer_id, c[i].service_date, c[i].id,
                                                     deadline);
        c[i].timely_days_left = days_left(today, deadline);
    }
    psy__billing_timely_cache_free(cache);
    return PSY_OK;
}

/* Soonest deadline first (the fewest days left), then by claim: the order of the list and of its cursor. */
static int by_deadline(const void *a, const void *b)
{
    const struct psy_billing_timely *x = a, *y = b;
    int c = strcmp(x->deadline, y->deadline);
    if (c) return c;
    return x->claim < y->claim ? -1 : x->claim > y->claim;
}

/* The claims not yet sent that f keeps, with their deadlines, soonest first; *total counts them all, *out
 * keeps those after the cursor (after_date, after_id) when after_id >= 0. */
static psy_status timely_scan(psy_store *st, psy_id practice, const struct psy_billing_timely_filter *f,
                              const char *after_date, int64_t after_id, struct psy_billing_timely **out, size_t *n,
                              long long *total)
{
    char day[PSY_DATE_MAX];
    *out = NULL;
    *n = 0;
    *total = 0;
    if (f->today && *f->today) {
        if (!psy_date_iso_valid(f->today)) return psy__store_fail(st, PSY_EINVAL, "today: not a date YYYY-MM-DD");
        snprintf(day, sizeof day, "%s", f->today);
    } else {
        practice_today(st, practice, day);
    }
    struct psy__query q;
    psy__query_init(&q,
                    "SELECT c.id, c.claim_number, p.payer_code, c.service_date, c.status, c.payer_id, c.client_id, "
                    "COALESCE(c.cob_from_claim_id, 0) FROM claim c JOIN payer p ON p.id = c.payer_id",
                    PSY_NOARGS);
    /* the claims list's conditions (payer, client, a clinician's clients, the search box), unsent only */
    struct psy_billing_claim_filter cf = {.payer = f->payer, .client = f->client, .clinician = f->clinician, .q = f->q};
    struct psy__claim_texts texts;
    psy__billing_claim_filter(&q, practice, &cf, &texts);
    psy__query_where_n(&q, "c.status IN ('draft', 'ready', 'rejected')", NULL, 0);
    /* no ORDER BY: the rows are sorted by deadline below, and without it the unsent claims are found
     * through the (practice, status) index instead of a walk over every claim of the practice */
    psy__stmt *s = psy__db_stmt(st, q.sql.p, q.args, q.n);
    psy__query_free(&q);
    if (!s) return psy__store_dbfail(st, "claim");
    void *cache = psy__billing_timely_cache();
    size_t cap = 0;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        struct psy_billing_timely t = {0};
        t.claim = psy__sql_int64(s, 0);
        t.client_id = psy__sql_int64(s, 6);
        psy__db_col_copy(s, 1, t.number, sizeof t.number);
        psy__db_col_copy(s, 2, t.payer_code, sizeof t.payer_code);
        psy__db_col_copy(s, 3, t.service_date, sizeof t.service_date);
        psy__db_col_copy(s, 4, t.status, sizeof t.status);
        /* R-TF-2 looks for the earlier payer's claim: only a next payer's claim has one (a query each) */
        psy_id next_payers = psy__sql_int64(s, 7) ? t.claim : 0;
        t.limit_days = psy__billing_timely_deadline(st, practice, cache, psy__sql_int64(s, 5), t.service_date,
                                                    next_payers, t.deadline);
        if (!t.limit_days) continue;
        t.days_left = days_left(day, t.deadline);
        if (f->within >= 0 && t.days_left > f->within) continue;
        ++*total;
        if (after_id >= 0) {
            int c = strcmp(t.deadline, after_date);
            if (c < 0 || (c == 0 && t.claim <= after_id)) continue;
        }
        if (*n == cap) *out = psy__realloc(*out, (cap = cap ? 2 * cap : 16) * sizeof **out);
        (*out)[(*n)++] = t;
    }
    psy__sql_finalize(s);
    psy__billing_timely_cache_free(cache);
    if (r == PSY_SQL_ERROR) {
        free(*out);
        *out = NULL;
        *n = 0;
        return psy__store_dbfail(st, "claim");
    }
    if (*n) qsort(*out, *n, sizeof **out, by_deadline);
    return PSY_OK;
}

psy_status psy_billing_timely(psy_store *st, psy_id practice, int within, const char *today,
                              struct psy_billing_timely **out, size_t *n)
{
    struct psy_billing_timely_filter f = {.within = within, .today = today};
    long long total;
    return timely_scan(st, practice, &f, "", -1, out, n, &total);
}

psy_status psy_billing_timely_page(psy_store *st, psy_id practice, const struct psy_billing_timely_filter *f,
                                   struct psy_page *pg, struct psy_billing_timely **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    int64_t last;
    psy_status rc = psy__page_cursor(st, pg, 1, &last);
    if (!rc && last >= 0 && !psy_date_iso_valid(pg->after_key))
        rc = psy__store_fail(st, PSY_EINVAL, "cursor: not a cursor this list gave");
    if (!rc) rc = timely_scan(st, practice, f, pg->after_key, last, out, n, &pg->total);
    if (rc) return rc;
    size_t lim = (size_t)psy__page_limit(pg);
    *n = psy__page_done(pg, *n, *n > lim ? (*out)[lim - 1].deadline : NULL, *n > lim ? (*out)[lim - 1].claim : 0);
    return PSY_OK;
}

psy_status psy__billing_timely_gate(psy_store *st, psy_id practice, const struct psy__loaded *L, const char *late_reason,
                                    void *cache, char *err, size_t errlen)
{
    char iso[PSY_DATE_MAX], today[PSY_DATE_MAX], deadline[PSY_DATE_MAX];
    snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", L->date, L->date + 4, L->date + 6);
    int limit = psy__billing_timely_deadline(st, practice, cache, L->payer.id, iso, L->id, deadline);
    if (!limit) return PSY_OK;
    practice_today(st, practice, today);
    int left = days_left(today, deadline);
    if (left >= 0) return PSY_OK;
    if (!late_reason || !*late_reason) {
        snprintf(err, errlen, "claim %s is past payer %s's timely-filing limit of %d days from the date of service %s "
                 "(the last day was %s): nothing was exported; send it late with a reason (--force-late --reason "
                 "TEXT) only if the payer will accept it", L->number, L->payer.payer_code, limit, iso, deadline);
        return psy__store_fail(st, PSY_EINVAL, "%s", err);
    }
    char why[400];
    snprintf(why, sizeof why, "sent after the timely-filing limit of %d days (last day %s): %s", limit, deadline,
             late_reason);
    psy_status rc = psy__db_run(st, NULL, "UPDATE claim SET late_reason = ? WHERE id = ?",
                                PSY_ARGS(PSY_TEXT(late_reason), PSY_INT(L->id)));
    if (!rc) rc = psy__billing_history(st, L->id, "ready", "ready", why);
    return rc;
}
