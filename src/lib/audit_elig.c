/*
 * audit_elig.c -- the audit's eligibility checks against the 271 answers kept with each policy
 * (eligibility_check, 0016_eligibility.sql): a session on a date the payer reported the coverage
 * inactive (R-ELIG-1), and sessions beyond the visits the payer said the plan allows (R-ELIG-2). The
 * claims scrubber runs the audit for each claim's sessions, so both reach the claims build as well.
 * Rules in docs/rules.md.
 *
 * Which answer speaks about a date: the newest answer (by the order they were read) that was asked
 * about that very date, or whose coverage dates contain it, or whose coverage dates show it outside them
 * (ended before, or not yet begun: inactive). Answers that were rejected or said nothing about coverage
 * do not speak.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "audit_int.h"
#include "psy_db.h"
#include "records_bulk.h"

struct check {
    psy_id id, policy;
    char as_of[PSY_DATE_MAX], status[10], begin[PSY_DATE_MAX], end[PSY_DATE_MAX];
    char year_begin[PSY_DATE_MAX]; /* the benefit year's first day when not a calendar year */
    long allowed, left;
};

/* 1 inactive, 0 active, -1 the answer says nothing about date. */
static int verdict(const struct check *c, const char *date)
{
    int active = !strcmp(c->status, "active"), inactive = !strcmp(c->status, "inactive");
    if (!active && !inactive) return -1;
    if (c->end[0] && strcmp(date, c->end) > 0) return 1;
    if (c->begin[0] && strcmp(date, c->begin) < 0) return 1;
    if (!strcmp(date, c->as_of) || (c->begin[0] && c->end[0])) return inactive;
    return -1;
}

/* The policy's answers, newest first (or of every policy of the practice when policy is 0, by policy). */
static psy_status load(psy_store *st, psy_id practice, psy_id policy, struct check **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    const char *sql = "SELECT id, policy_id, as_of, status, coverage_begin, coverage_end, visits_allowed, visits_left, "
                      "visits_year_begin "
                      "FROM eligibility_check WHERE practice_id = ? AND (? = 0 OR policy_id = ?) "
                      "ORDER BY policy_id, id DESC";
    psy__stmt *s = psy__db_stmt(st, sql, PSY_ARGS(PSY_INT(practice), PSY_INT(policy), PSY_INT(policy)));
    if (!s) return psy__store_dbfail(st, "eligibility_check");
    size_t cap = 0;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        if (*n == cap) *out = psy__realloc(*out, (cap = cap ? 2 * cap : 16) * sizeof **out);
        struct check *c = &(*out)[(*n)++];
        c->id = psy__sql_int64(s, 0);
        c->policy = psy__sql_int64(s, 1);
        snprintf(c->as_of, sizeof c->as_of, "%s", psy__sql_text(s, 2));
        snprintf(c->status, sizeof c->status, "%s", psy__sql_text(s, 3));
        snprintf(c->begin, sizeof c->begin, "%s", psy__sql_text(s, 4));
        snprintf(c->end, sizeof c->end, "%s", psy__sql_text(s, 5));
        c->allowed = (long)psy__sql_int64(s, 6);
        c->left = (long)psy__sql_int64(s, 7);
        snprintf(c->year_begin, sizeof c->year_begin, "%s", psy__sql_text(s, 8));
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) {
        free(*out);
        *out = NULL;
        *n = 0;
        return psy__store_dbfail(st, "eligibility_check");
    }
    return PSY_OK;
}

/* The first answer in c[0..n) that speaks about date: its verdict, and *which its index. */
static int speaks(const struct check *c, size_t n, const char *date, size_t *which)
{
    for (size_t i = 0; i < n; i++) {
        int v = verdict(&c[i], date);
        if (v >= 0) {
            *which = i;
            return v;
        }
    }
    return -1;
}

/* The first day of the benefit year holding date, for a year that begins each year on the month and day
 * of mmdd ("MM-DD"). */
static void year_of(const char *date, const char *mmdd, char out[PSY_DATE_MAX])
{
    unsigned y = (unsigned)atoi(date) % 10000u;
    snprintf(out, PSY_DATE_MAX, "%04u-%.5s", y, mmdd);
    if (strcmp(date, out) < 0) snprintf(out, PSY_DATE_MAX, "%04u-%.5s", (y + 9999u) % 10000u, mmdd);
}

/* The month and day a policy's benefit year starts, from its answers c[0..n) (newest first): a calendar
 * year, or the plan's year when the newest active answer with a visit limit counts it so (EB06 22/25). */
static const char *benefit_mmdd(const struct check *c, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!strcmp(c[k].status, "active") && (c[k].allowed >= 0 || c[k].left >= 0))
            return strlen(c[k].year_begin) == 10 ? c[k].year_begin + 5 : "01-01";
    return "01-01";
}

struct visit {
    psy_id session, client, policy;
    size_t held; /* the policy's entry in the held policies */
    char date[PSY_DATE_MAX];
};

/* A primary policy with answers kept: its client and the dates it is in force ("" end: open). */
struct held {
    psy_id policy, client;
    char start[PSY_DATE_MAX], end[PSY_DATE_MAX];
    size_t c0, c1;    /* its answers, [c0, c1) of the practice's */
    const char *mmdd; /* where its benefit year starts (benefit_mmdd) */
    /* the benefit year holding the audit's first date, its limiting answer (NULL none), and the visits of
     * that year before that date: all of them, and those after the answer's date */
    char year[PSY_DATE_MAX];
    const struct check *lim;
    long seen, after;
};

/* The newest active answer of c[0..n) (newest first) with a visit limit that was given in the benefit
 * year `year` (years starting on mmdd), or NULL. */
static const struct check *limit_of(const struct check *c, size_t n, const char *mmdd, const char *year)
{
    for (size_t k = 0; k < n; k++) {
        char ay[PSY_DATE_MAX];
        year_of(c[k].as_of, mmdd, ay);
        if (!strcmp(c[k].status, "active") && !strcmp(ay, year) && (c[k].allowed >= 0 || c[k].left >= 0)) return &c[k];
    }
    return NULL;
}

/* The answers of policy in c[0..n) (sorted by policy): [*c0, *c1). */
static void answers_of(const struct check *c, size_t n, psy_id policy, size_t *c0, size_t *c1)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c[mid].policy < policy) lo = mid + 1;
        else hi = mid;
    }
    *c0 = lo;
    while (lo < n && c[lo].policy == policy) lo++;
    *c1 = lo;
}

static int by_client(const void *pa, const void *pb)
{
    const struct held *a = pa, *b = pb;
    if (a->client != b->client) return a->client < b->client ? -1 : 1;
    return a->policy < b->policy ? -1 : a->policy > b->policy;
}

static int by_policy_date(const void *pa, const void *pb)
{
    const struct visit *a = pa, *b = pb;
    if (a->policy != b->policy) return a->policy < b->policy ? -1 : 1;
    int d = strcmp(a->date, b->date);
    if (d) return d;
    return a->session < b->session ? -1 : a->session > b->session;
}

/* A visit as read: a session of a client, or a present group member's. */
struct seen {
    psy_id session, client;
    char date[PSY_DATE_MAX];
};

/* The visits a claims build has read for the stretches before (psy__elig_keep_new): every visit of
 * [from, through], in the order read. A stretch reads only the dates past those, or from its own first
 * date on when it comes back to dates held (the reads ahead and the build's own reads may go out of
 * order); the dates before its benefit year go. Each stretch read its dates in a transaction of its own,
 * so the visits held are those the stretch that read them saw. */
struct psy__elig_keep {
    pthread_mutex_t mu;
    psy_id practice;
    char from[PSY_DATE_MAX], through[PSY_DATE_MAX]; /* "" from: nothing held */
    struct seen *v;
    size_t n, cap;
};

struct psy__elig_keep *psy__elig_keep_new(void)
{
    struct psy__elig_keep *k = psy__calloc(1, sizeof *k);
    pthread_mutex_init(&k->mu, NULL);
    return k;
}

void psy__elig_keep_free(struct psy__elig_keep *k)
{
    if (!k) return;
    pthread_mutex_destroy(&k->mu);
    free(k->v);
    free(k);
}

/* Makes k hold every visit of [year_start, to] of the practice: reads from the database the dates k does
 * not hold (all of them when k holds none, or holds none from year_start on, or is another practice's).
 * Returns PSY_SQL_DONE, or PSY_SQL_ERROR with k emptied. */
static int read_visits(psy_store *st, psy_id practice, const char *year_start, const char *from, const char *to,
                       struct psy__elig_keep *k)
{
    char next[PSY_DATE_MAX];
    int held = k->from[0] && k->practice == practice && strcmp(k->from, year_start) <= 0 &&
               psy_date_add(k->through, 1, next);
    /* the dates to read, lo to to: past those held, or from the stretch's first date when it comes back
     * to dates held; what is held before them stays from year_start on */
    const char *lo = !held ? year_start : strcmp(k->through, from) < 0 ? next : from;
    if (strcmp(lo, year_start) < 0) lo = year_start;
    size_t kept = 0;
    for (size_t i = 0; held && i < k->n; i++)
        if (strcmp(k->v[i].date, year_start) >= 0 && strcmp(k->v[i].date, lo) < 0) k->v[kept++] = k->v[i];
    k->n = kept;
    psy__stmt *s = psy__db_stmt(st,
                                "SELECT id, client_id, service_date FROM session WHERE practice_id = ? AND COALESCE("
                                "client_id, 0) <> 0 AND service_date BETWEEN ? AND ? UNION ALL SELECT s.id, a.client_id, "
                                "s.service_date FROM attendance a JOIN session s ON s.id = a.session_id WHERE "
                                "s.practice_id = ? AND a.present <> 0 AND s.service_date BETWEEN ? AND ?",
                                PSY_ARGS(PSY_INT(practice), PSY_TEXT(lo), PSY_TEXT(to), PSY_INT(practice), PSY_TEXT(lo),
                                         PSY_TEXT(to)));
    int r = s ? PSY_SQL_DONE : PSY_SQL_ERROR;
    while (s && (r = psy__sql_step(s)) == PSY_SQL_ROW) {
        struct seen *x = PSY__PUSH(k->v, k->n, k->cap);
        x->session = psy__sql_int64(s, 0);
        x->client = psy__sql_int64(s, 1);
        psy__copy(x->date, sizeof x->date, psy__sql_text(s, 2));
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) {
        k->n = 0;
        k->from[0] = 0;
        return r;
    }
    k->practice = practice;
    psy__copy(k->from, sizeof k->from, year_start);
    psy__copy(k->through, sizeof k->through, to);
    return PSY_SQL_DONE;
}

psy_status psy__audit_elig(psy_store *st, psy_id practice, const char *from, const char *to,
                           struct psy__elig_keep *keep, psy__audit_emit emit, void *ud)
{
    struct check *c;
    size_t nc;
    psy_status rc = load(st, practice, 0, &c, &nc);
    if (rc || !nc) {
        free(c);
        return rc;
    }
    /* sessions from the first day of the benefit year holding `from`, the earliest among the policies
     * with answers (visits count from their benefit year's start; those of a year before it count in no
     * year of the period), a year before `from` at most */
    char year_start[PSY_DATE_MAX];
    snprintf(year_start, sizeof year_start, "%s", from); /* an audit of every date: all of them */
    for (size_t i = 0; atoi(from) > 0 && i < nc;) {
        size_t j = i;
        while (j < nc && c[j].policy == c[i].policy) j++;
        char y[PSY_DATE_MAX];
        year_of(from, benefit_mmdd(c + i, j - i), y);
        if (strcmp(y, year_start) < 0) memcpy(year_start, y, sizeof y);
        i = j;
    }
    /* the primary policies with answers, by client; then the visits of the period, each with every such
     * policy of its client in force on its date, in (policy, date, session) order. The join is made here:
     * SQLite, planning it as one query, read the whole period's sessions once for every policy. */
    struct held *h = NULL;
    size_t nh = 0, caph = 0;
    psy__stmt *s = psy__db_stmt(st,
                                "SELECT id, client_id, start_date, COALESCE(end_date, '') FROM policy WHERE practice_id "
                                "= ? AND priority = 1 AND id IN (SELECT policy_id FROM eligibility_check WHERE "
                                "practice_id = ?)",
                                PSY_ARGS(PSY_INT(practice), PSY_INT(practice)));
    int r = s ? PSY_SQL_DONE : PSY_SQL_ERROR;
    while (s && (r = psy__sql_step(s)) == PSY_SQL_ROW) {
        struct held *x = PSY__PUSH(h, nh, caph);
        x->policy = psy__sql_int64(s, 0);
        x->client = psy__sql_int64(s, 1);
        psy__copy(x->start, sizeof x->start, psy__sql_text(s, 2));
        psy__copy(x->end, sizeof x->end, psy__sql_text(s, 3));
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) {
        free(c);
        free(h);
        return psy__store_dbfail(st, "audit");
    }
    if (nh > 1) qsort(h, nh, sizeof *h, by_client);
    for (size_t i = 0; i < nh; i++) {
        struct held *x = &h[i];
        answers_of(c, nc, x->policy, &x->c0, &x->c1);
        x->mmdd = benefit_mmdd(c + x->c0, x->c1 - x->c0);
        year_of(from, x->mmdd, x->year);
        x->lim = limit_of(c + x->c0, x->c1 - x->c0, x->mmdd, x->year);
        h[i].seen = h[i].after = 0;
    }
    /* the visits before the period are counted into their policy's year; those of the period are kept
     * with each policy of their client in force on their date */
    struct visit *v = NULL;
    size_t nv = 0, cap = 0;
    if (nh) {
        if (keep) pthread_mutex_lock(&keep->mu);
        struct psy__elig_keep own = {.practice = practice}, *k = keep ? keep : &own;
        r = read_visits(st, practice, year_start, from, to, k);
        for (size_t i = 0; r != PSY_SQL_ERROR && i < k->n; i++) {
            const struct seen *x = &k->v[i];
            if (strcmp(x->date, year_start) < 0 || strcmp(x->date, to) > 0) continue;
            size_t lo = 0, hi = nh;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (h[mid].client < x->client) lo = mid + 1;
                else hi = mid;
            }
            int before = strcmp(x->date, from) < 0;
            for (; lo < nh && h[lo].client == x->client; lo++) {
                /* p.start_date <= date AND (no end OR p.end_date >= date) */
                if (strcmp(h[lo].start, x->date) > 0 || (h[lo].end[0] && strcmp(h[lo].end, x->date) < 0)) continue;
                if (before) {
                    if (strcmp(x->date, h[lo].year) < 0) continue; /* a year before */
                    h[lo].seen++;
                    if (h[lo].lim && strcmp(x->date, h[lo].lim->as_of) > 0) h[lo].after++;
                    continue;
                }
                struct visit *y = PSY__PUSH(v, nv, cap);
                y->session = x->session;
                y->client = x->client;
                memcpy(y->date, x->date, sizeof y->date);
                y->policy = h[lo].policy;
                y->held = lo;
            }
        }
        if (k == &own) free(own.v);
        if (keep) pthread_mutex_unlock(&keep->mu);
    }
    if (r == PSY_SQL_ERROR) {
        free(c);
        free(h);
        free(v);
        return psy__store_dbfail(st, "audit");
    }
    if (nv > 1) qsort(v, nv, sizeof *v, by_policy_date);
    for (size_t i = 0; i < nv;) {
        psy_id pol = v[i].policy;
        /* per benefit year (benefit_mmdd); the newest active answer of that year with a visit limit, counted
         * on from the visits of the year before the period */
        const struct held *hp = &h[v[i].held];
        size_t c0 = hp->c0, c1 = hp->c1;
        const char *mmdd = hp->mmdd;
        int calendar = !strcmp(mmdd, "01-01");
        char year[PSY_DATE_MAX], y[PSY_DATE_MAX];
        memcpy(year, hp->year, sizeof year);
        long seen = hp->seen, after = hp->after;
        const struct check *lim = hp->lim;
        for (; i < nv && v[i].policy == pol; i++) {
            struct visit *x = &v[i];
            size_t w;
            char msg[256];
            if (speaks(c + c0, c1 - c0, x->date, &w) == 1) {
                snprintf(msg, sizeof msg,
                         "the payer's eligibility answer of %s reports the coverage inactive on %s: the claim "
                         "would be denied; check eligibility again or bill another policy",
                         c[c0 + w].as_of, x->date);
                emit(ud, "R-ELIG-1", 1, x->session, x->date, msg);
            }
            year_of(x->date, mmdd, y);
            if (strcmp(year, y)) {
                memcpy(year, y, sizeof year);
                seen = after = 0;
                lim = limit_of(c + c0, c1 - c0, mmdd, year);
            }
            seen++;
            if (lim && strcmp(x->date, lim->as_of) > 0) after++;
            if (!lim) continue;
            int over = lim->left >= 0 ? after > lim->left : seen > lim->allowed;
            if (!over) continue;
            if (lim->left >= 0)
                snprintf(msg, sizeof msg,
                         "visit %ld after the eligibility answer of %s, which left %ld visits this benefit year",
                         after, lim->as_of, lim->left);
            else if (calendar)
                snprintf(msg, sizeof msg, "visit %ld of %.4s; the eligibility answer of %s allows %ld a year", seen,
                         year, lim->as_of, lim->allowed);
            else
                snprintf(msg, sizeof msg, "visit %ld of the benefit year from %s; the eligibility answer of %s "
                         "allows %ld a year", seen, year, lim->as_of, lim->allowed);
            emit(ud, "R-ELIG-2", 0, x->session, x->date, msg);
        }
    }
    free(c);
    free(h);
    free(v);
    return PSY_OK;
}
