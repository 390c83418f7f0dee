/*
 * audit_necessity.c -- the audit's medical-necessity, co-therapist and documentation-element checks,
 * each on the session (and client) it concerns so that the scrubber puts it on that session's claim:
 * R-PLAN-2 the claim's primary diagnosis is one of the treatment plan's diagnoses, R-PLAN-3 the plan's
 * frequency covers the sessions billed, R-CRED-3 no co-therapist bills a member of the same group
 * meeting again, R-DOC-IC / R-DOC-FAM / R-DOC-CRISIS / R-DOC-AUDIO the elements a note owes for 90785,
 * 90846, 90839 and audio-only telehealth, and R-TH-4 Medicare's in-person visit before home telehealth
 * (from the date the practice's settings give). Rules in docs/rules.md.
 *
 * The one idea: a few ordered queries over the period (widened back to the start of the frequency
 * periods, and a year back only once R-TH-4 is enforced), each read once: the billed lines sorted by
 * client and time, the plans with their diagnoses, and a bit mask of the documentation elements per
 * note (texts are never kept). Every check is one pass over the sorted lines, so the work stays
 * O(n log n) in the sessions.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "audit_int.h"
#include "psy_db.h"

struct line {
    psy_id session, client, clinician, group, attendance; /* attendance 0: an individual-type session */
    char kind[12], date[PSY_DATE_MAX], start[PSY_REC_TIME_MAX], stop[PSY_REC_TIME_MAX];
    int telehealth, audio, home, patient_absent, complexity;
};

struct plan {
    psy_id id, client;
    int modalities; /* 1 individual, 2 group, 4 family */
    char start[PSY_DATE_MAX], end[PSY_DATE_MAX], frequency[65];
    int ndx;
    char dx[12][PSY_CODE_MAX];
};

struct docmask {
    psy_id session, client; /* client 0: the group note */
    unsigned mask;
};

struct medicare_policy {
    psy_id client;
    char start[PSY_DATE_MAX], end[PSY_DATE_MAX];
};

struct ctx {
    psy_store *st;
    psy_id practice;
    const char *from, *to; /* the period reported */
    psy__audit_emit_rec emit;
    void *ud;
    psy_status rc;
};

/* --- reading --------------------------------------------------------------------------------------- */

static int step(struct ctx *c, psy__stmt *s)
{
    if (c->rc) return 0;
    int r = psy__sql_step(s);
    if (r == PSY_SQL_ERROR) c->rc = psy__store_dbfail(c->st, "audit");
    return r == PSY_SQL_ROW;
}

static const char *txt(psy__stmt *s, int i)
{
    const char *t = psy__sql_text(s, i);
    return t ? t : "";
}

#define COPY(dst, s, i) psy__copy((dst), sizeof(dst), txt((s), (i)))

/* Lines by client, date, start (as text; "" first), session and attendance row. */
static int by_client_date(const void *pa, const void *pb)
{
    const struct line *a = pa, *b = pb;
    if (a->client != b->client) return a->client < b->client ? -1 : 1;
    int d = strcmp(a->date, b->date);
    if (!d) d = strcmp(a->start, b->start);
    if (d) return d;
    if (a->session != b->session) return a->session < b->session ? -1 : 1;
    return a->attendance < b->attendance ? -1 : a->attendance > b->attendance;
}

/* The billed lines: an individual-type session's client, a group session's present members, by client,
 * date, start and session. */
static struct line *load_lines(struct ctx *c, const char *from, const char *to, size_t *n)
{
    struct line *v = NULL;
    size_t cap = 0;
    *n = 0;
    psy__stmt *s;
    static const char cols[] = "s.id, s.kind, s.service_date, COALESCE(s.start_utc, ''), COALESCE(s.stop_utc, ''), "
                               "s.clinician_id, COALESCE(s.group_id, 0), s.telehealth, COALESCE(s.th_modality, ''), "
                               "COALESCE(s.patient_location, ''), s.patient_absent, ";
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT %s s.client_id, s.interactive_complexity, 0 FROM session s WHERE s.practice_id = ? AND "
             "s.service_date BETWEEN ? AND ? AND s.client_id IS NOT NULL UNION ALL SELECT %s a.client_id, "
             "CASE WHEN s.interactive_complexity <> 0 OR a.interactive_complexity <> 0 THEN 1 ELSE 0 END, a.id "
             "FROM attendance a JOIN session s ON s.id = a.session_id WHERE s.practice_id = ? AND "
             "s.service_date BETWEEN ? AND ? AND a.present <> 0",
             cols, cols);
    c->rc = psy__db_query(c->st, &s, sql,
                          PSY_ARGS(PSY_INT(c->practice), PSY_TEXT(from), PSY_TEXT(to), PSY_INT(c->practice),
                                   PSY_TEXT(from), PSY_TEXT(to)));
    while (step(c, s)) {
        struct line *x = PSY__PUSH(v, *n, cap);
        memset(x, 0, sizeof *x);
        x->session = psy__sql_int64(s, 0);
        COPY(x->kind, s, 1);
        COPY(x->date, s, 2);
        COPY(x->start, s, 3);
        COPY(x->stop, s, 4);
        x->clinician = psy__sql_int64(s, 5);
        x->group = psy__sql_int64(s, 6);
        x->telehealth = (int)psy__sql_int64(s, 7);
        x->audio = !strcmp(txt(s, 8), "audio");
        x->home = !strcmp(txt(s, 9), "home");
        x->patient_absent = (int)psy__sql_int64(s, 10);
        x->client = psy__sql_int64(s, 11);
        x->complexity = (int)psy__sql_int64(s, 12);
        x->attendance = psy__sql_int64(s, 13);
    }
    psy__sql_finalize(s);
    /* sorted here rather than by the query: SQLite's sorter took as long again as reading the rows */
    if (*n > 1) qsort(v, *n, sizeof *v, by_client_date);
    return v;
}

static struct plan *load_plans(struct ctx *c, size_t *n)
{
    struct plan *v = NULL;
    size_t cap = 0;
    *n = 0;
    psy__stmt *s;
    c->rc = psy__db_query(c->st, &s,
                          "SELECT p.id, p.client_id, p.covers_individual + 2 * p.covers_group + 4 * p.covers_family, "
                          "p.frequency, p.start_date, COALESCE(p.end_date, ''), COALESCE(d.code, '') "
                          "FROM treatment_plan p LEFT JOIN plan_diagnosis d ON d.plan_id = p.id "
                          "WHERE p.practice_id = ? AND p.clinician_signed_at IS NOT NULL "
                          "ORDER BY p.client_id, p.start_date, p.id, d.position",
                          PSY_ARGS(PSY_INT(c->practice)));
    while (step(c, s)) {
        psy_id id = psy__sql_int64(s, 0);
        if (!*n || v[*n - 1].id != id) {
            struct plan *x = PSY__PUSH(v, *n, cap);
            memset(x, 0, sizeof *x);
            x->id = id;
            x->client = psy__sql_int64(s, 1);
            x->modalities = (int)psy__sql_int64(s, 2);
            COPY(x->frequency, s, 3);
            COPY(x->start, s, 4);
            COPY(x->end, s, 5);
        }
        struct plan *x = &v[*n - 1];
        if (*txt(s, 6) && x->ndx < 12) COPY(x->dx[x->ndx++], s, 6);
    }
    psy__sql_finalize(s);
    return v;
}

/* --- documentation elements -------------------------------------------------------------------------- */

enum {
    DOC_IC = 1u << 0,         /* an interactive-complexity factor named */
    DOC_ABSENT = 1u << 1,     /* the patient's absence stated */
    DOC_ASSESS = 1u << 2,     /* crisis: urgent assessment */
    DOC_HISTORY = 1u << 3,    /* crisis: history of the crisis state */
    DOC_MSE = 1u << 4,        /* crisis: mental status exam */
    DOC_DISPOSITION = 1u << 5, /* crisis: disposition */
    DOC_AUDIO = 1u << 6,      /* why audio-only: video offered, not possible or declined */
};

/* Words that state each element (lower case; a note or its addendum holding any of them has it). */
static const struct {
    unsigned bit;
    const char *const words[12];
} doc_words[] = {
    {DOC_IC, {"maladaptive communication", "caregiver", "sentinel event", "mandated report", "third part",
              "interpreter", "translator", "play equipment", "play therapy materials", "toys", "physical device",
              NULL}},
    {DOC_ABSENT, {"not present", "absent", "without the patient", "without the client", "patient was not",
                  "client was not", NULL}},
    {DOC_ASSESS, {"assessment", "assessed", NULL}},
    {DOC_HISTORY, {"history", NULL}},
    {DOC_MSE, {"mental status", "mse", NULL}},
    {DOC_DISPOSITION, {"disposition", NULL}},
    {DOC_AUDIO, {"video", "camera", "bandwidth", "internet", "broadband", NULL}},
};

static unsigned text_mask(const char *t)
{
    size_t n = strlen(t);
    char *low = psy__malloc(n + 1);
    for (size_t i = 0; i <= n; i++) low[i] = (char)tolower((unsigned char)t[i]);
    unsigned m = 0;
    for (size_t k = 0; k < sizeof doc_words / sizeof doc_words[0]; k++)
        for (const char *const *w = doc_words[k].words; *w && !(m & doc_words[k].bit); w++)
            if (strstr(low, *w)) m |= doc_words[k].bit;
    free(low);
    return m;
}

/* The elements each note states (with its addenda), for the sessions that owe some: crisis, family
 * without the patient, interactive complexity, audio-only telehealth, and group sessions with a member's
 * interactive complexity (that member's factor may be in the group note; a group line consults the notes
 * for complexity alone, audio-only sessions being read anyway). Sorted by session, client. */
static struct docmask *load_docs(struct ctx *c, size_t *n)
{
    struct docmask *v = NULL;
    size_t cap = 0;
    *n = 0;
    psy__stmt *s;
    static const char owes[] = "(s.kind = 'crisis' OR s.patient_absent <> 0 OR s.interactive_complexity <> 0 OR "
                               "s.th_modality = 'audio' OR (s.group_id IS NOT NULL AND EXISTS (SELECT 1 FROM "
                               "attendance m WHERE m.session_id = s.id AND m.interactive_complexity <> 0)))";
    char sql[2048];
    snprintf(sql, sizeof sql,
             "SELECT n.session_id, COALESCE(n.client_id, 0), n.theme || ' ' || n.techniques || ' ' || n.dynamics "
             "|| ' ' || n.factors || ' ' || n.participation || ' ' || n.response || ' ' || n.progress || ' ' || "
             "n.plan FROM note n JOIN session s ON s.id = n.session_id WHERE s.practice_id = ? AND "
             "s.service_date BETWEEN ? AND ? AND %s UNION ALL SELECT n.session_id, COALESCE(n.client_id, 0), "
             "d.text FROM note_addendum d JOIN note n ON n.id = d.note_id JOIN session s ON s.id = n.session_id "
             "WHERE s.practice_id = ? AND s.service_date BETWEEN ? AND ? AND %s ORDER BY 1, 2",
             owes, owes);
    c->rc = psy__db_query(c->st, &s, sql,
                          PSY_ARGS(PSY_INT(c->practice), PSY_TEXT(c->from), PSY_TEXT(c->to), PSY_INT(c->practice),
                                   PSY_TEXT(c->from), PSY_TEXT(c->to)));
    while (step(c, s)) {
        psy_id session = psy__sql_int64(s, 0), client = psy__sql_int64(s, 1);
        unsigned m = text_mask(txt(s, 2));
        if (*n && v[*n - 1].session == session && v[*n - 1].client == client) {
            v[*n - 1].mask |= m;
            continue;
        }
        *PSY__PUSH(v, *n, cap) = (struct docmask){session, client, m};
    }
    psy__sql_finalize(s);
    return v;
}

static unsigned doc_of(const struct docmask *v, size_t n, psy_id session, psy_id client)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid].session < session || (v[mid].session == session && v[mid].client < client)) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && v[lo].session == session && v[lo].client == client ? v[lo].mask : 0;
}

/* --- plan frequency ---------------------------------------------------------------------------------- */

enum period { PER_NONE, PER_DAY, PER_WEEK, PER_TWO_WEEKS, PER_MONTH };

/* A plan's frequency as "count per period": daily, weekly, twice weekly, 3x/week, 2 times a week, every
 * two weeks, every other week, monthly, twice a month ... Anything else (several modalities in one text,
 * "as needed", "biweekly", which means both twice a week and every two weeks) is not checked. */
static enum period parse_frequency(const char *text, int *count)
{
    char t[72];
    size_t k = 0;
    for (const char *p = text; *p && k + 1 < sizeof t; p++) t[k++] = (char)tolower((unsigned char)*p);
    while (k && t[k - 1] == ' ') k--;
    t[k] = 0;
    static const struct {
        const char *text;
        int count;
        enum period per;
    } words[] = {{"daily", 1, PER_DAY},          {"every day", 1, PER_DAY},         {"weekly", 1, PER_WEEK},
                 {"once weekly", 1, PER_WEEK},   {"once a week", 1, PER_WEEK},      {"once per week", 1, PER_WEEK},
                 {"twice weekly", 2, PER_WEEK},  {"twice a week", 2, PER_WEEK},     {"twice per week", 2, PER_WEEK},
                 {"every two weeks", 1, PER_TWO_WEEKS}, {"every 2 weeks", 1, PER_TWO_WEEKS},
                 {"every other week", 1, PER_TWO_WEEKS}, {"fortnightly", 1, PER_TWO_WEEKS},
                 {"monthly", 1, PER_MONTH},      {"once a month", 1, PER_MONTH},    {"once per month", 1, PER_MONTH},
                 {"twice monthly", 2, PER_MONTH}, {"twice a month", 2, PER_MONTH}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (!strcmp(t, words[i].text)) {
            *count = words[i].count;
            return words[i].per;
        }
    /* "<n>x/week", "<n>x per week", "<n>x weekly", "<n> times a week", "<n> times per month" ... */
    char *end;
    long n = strtol(t, &end, 10);
    if (end == t || n < 1 || n > 31) return PER_NONE;
    const char *r = end;
    while (*r == ' ') r++;
    if (!strncmp(r, "times", 5)) r += 5;
    else if (*r == 'x') r++;
    else return PER_NONE;
    while (*r == ' ' || *r == '/') r++;
    if (!strncmp(r, "per ", 4)) r += 4;
    else if (!strncmp(r, "a ", 2)) r += 2;
    *count = (int)n;
    if (!strcmp(r, "week") || !strcmp(r, "weekly")) return PER_WEEK;
    if (!strcmp(r, "month") || !strcmp(r, "monthly")) return PER_MONTH;
    if (!strcmp(r, "day") || !strcmp(r, "daily")) return PER_DAY;
    return PER_NONE;
}

/* The first day of the period holding date (weeks start on Monday; two-week blocks count from the
 * Monday 1970-01-05). */
static void period_start(enum period per, const char *date, char out[PSY_DATE_MAX])
{
    int64_t d = psy__rec_day_number(date);
    int64_t monday = d - ((d % 7 + 7 + 3) % 7); /* 1970-01-01 was a Thursday */
    switch (per) {
    case PER_WEEK: psy__rec_date_add("1970-01-01", (int)monday, out); break;
    case PER_TWO_WEEKS: psy__rec_date_add("1970-01-05", (int)((monday - 4) / 14 * 14), out); break;
    case PER_MONTH: snprintf(out, PSY_DATE_MAX, "%.8s01", date); break;
    default: snprintf(out, PSY_DATE_MAX, "%s", date);
    }
}

static const char *period_name(enum period per)
{
    return per == PER_DAY ? "day" : per == PER_WEEK ? "week" : per == PER_TWO_WEEKS ? "two weeks" : "month";
}

/* --- the checks -------------------------------------------------------------------------------------- */

static int modality_of(const char *kind)
{
    if (!strcmp(kind, "individual")) return 1;
    if (!strcmp(kind, "group") || !strcmp(kind, "multifamily")) return 2;
    if (!strcmp(kind, "family")) return 4;
    return 0;
}

static int in_period(struct ctx *c, const struct line *l)
{
    return strcmp(l->date, c->from) >= 0 && strcmp(l->date, c->to) <= 0;
}

static void say(struct ctx *c, const char *rule, const struct line *l, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void say(struct ctx *c, const char *rule, const struct line *l, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* a group member's finding is on the member's attendance, so it reaches that member's claim alone */
    c->emit(c->ud, rule, 1, l->attendance ? "attendance" : "session", l->attendance ? l->attendance : l->session,
            l->date, msg);
}

/* The client's signed plan in force on the date that covers the modality (the latest started). */
static const struct plan *plan_for(const struct plan *p, size_t np, size_t *cursor, const struct line *l, int mod)
{
    while (*cursor < np && p[*cursor].client < l->client) (*cursor)++;
    const struct plan *best = NULL;
    for (size_t i = *cursor; i < np && p[i].client == l->client; i++)
        if ((p[i].modalities & mod) && strcmp(p[i].start, l->date) <= 0 && (!*p[i].end || strcmp(l->date, p[i].end) <= 0))
            best = &p[i];
    return best;
}

static int same_code(const char *a, const char *b)
{
    for (;; a++, b++) {
        while (*a == '.') a++;
        while (*b == '.') b++;
        if (toupper((unsigned char)*a) != toupper((unsigned char)*b)) return 0;
        if (!*a) return 1;
    }
}

/* The first diagnosis of each client (the claim's principal diagnosis), sorted by client. */
struct primary {
    psy_id client;
    char code[PSY_CODE_MAX];
};

static struct primary *load_primary(struct ctx *c, size_t *n)
{
    struct primary *v = NULL;
    size_t cap = 0;
    *n = 0;
    psy__stmt *s;
    c->rc = psy__db_query(c->st, &s,
                          "SELECT client_id, code FROM client_diagnosis WHERE practice_id = ? "
                          "ORDER BY client_id, position",
                          PSY_ARGS(PSY_INT(c->practice)));
    while (step(c, s)) {
        psy_id id = psy__sql_int64(s, 0);
        if (*n && v[*n - 1].client == id) continue;
        struct primary *x = PSY__PUSH(v, *n, cap);
        x->client = id;
        COPY(x->code, s, 1);
    }
    psy__sql_finalize(s);
    return v;
}

static struct medicare_policy *load_medicare(struct ctx *c, size_t *n)
{
    struct medicare_policy *v = NULL;
    size_t cap = 0;
    *n = 0;
    psy__stmt *s;
    c->rc = psy__db_query(c->st, &s,
                          "SELECT p.client_id, p.start_date, COALESCE(p.end_date, '') FROM policy p JOIN payer y ON "
                          "y.id = p.payer_id WHERE p.practice_id = ? AND p.priority = 1 AND y.kind = 'medicare' "
                          "ORDER BY p.client_id, p.start_date",
                          PSY_ARGS(PSY_INT(c->practice)));
    while (step(c, s)) {
        struct medicare_policy *x = PSY__PUSH(v, *n, cap);
        x->client = psy__sql_int64(s, 0);
        COPY(x->start, s, 1);
        COPY(x->end, s, 2);
    }
    psy__sql_finalize(s);
    return v;
}

static int medicare_on(const struct medicare_policy *v, size_t n, psy_id client, const char *date)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid].client < client) lo = mid + 1;
        else hi = mid;
    }
    for (; lo < n && v[lo].client == client; lo++)
        if (strcmp(v[lo].start, date) <= 0 && (!*v[lo].end || strcmp(date, v[lo].end) <= 0)) return 1;
    return 0;
}

/* R-PLAN-2 and R-PLAN-3 over one client's lines [a, b) in time order; *cursor walks the plans (sorted by
 * client, as the lines are). */
static void check_plan(struct ctx *c, const struct line *l, size_t a, size_t b, const struct plan *p, size_t np,
                       size_t *cursor, const struct primary *prim)
{
    struct { /* the sessions counted per plan, modality and period (a plan's frequency holds for each
              * modality it covers: "weekly" with individual and group is a weekly session of each) */
        const struct plan *plan;
        int mod;
        char period[PSY_DATE_MAX];
        int seen;
    } count[8];
    size_t ncount = 0;
    for (size_t i = a; i < b; i++) {
        int mod = modality_of(l[i].kind);
        if (!mod) continue;
        const struct plan *pl = plan_for(p, np, cursor, &l[i], mod);
        if (!pl) continue; /* no plan in force: R-PLAN-1's finding */
        if (in_period(c, &l[i]) && pl->ndx && prim && *prim->code) {
            int found = 0;
            for (int d = 0; d < pl->ndx && !found; d++) found = same_code(pl->dx[d], prim->code);
            if (!found)
                say(c, "R-PLAN-2", &l[i], "session %lld bills client %lld with primary diagnosis %s, which treatment "
                    "plan %lld does not name (%s%s): the plan does not show the service is needed for it",
                    (long long)l[i].session, (long long)l[i].client, prim->code, (long long)pl->id, pl->dx[0],
                    pl->ndx > 1 ? " ..." : "");
        }
        int allowed;
        enum period per = parse_frequency(pl->frequency, &allowed);
        if (per == PER_NONE) continue;
        char ps[PSY_DATE_MAX];
        period_start(per, l[i].date, ps);
        size_t k = 0;
        while (k < ncount && (count[k].plan != pl || count[k].mod != mod)) k++;
        if (k == ncount) {
            if (ncount == sizeof count / sizeof count[0]) k = ncount = 0;
            count[k].plan = pl;
            count[k].mod = mod;
            count[k].period[0] = 0;
            ncount++;
        }
        if (strcmp(count[k].period, ps)) {
            snprintf(count[k].period, sizeof count[k].period, "%s", ps);
            count[k].seen = 0;
        }
        int seen = ++count[k].seen;
        if (seen > allowed && in_period(c, &l[i]))
            say(c, "R-PLAN-3", &l[i], "session %lld is client %lld's %s session %d in the %s from %s, but treatment "
                "plan %lld's frequency is \"%s\" (%d a %s): the plan does not cover it",
                (long long)l[i].session, (long long)l[i].client, mod == 1 ? "individual" : mod == 2 ? "group" : "family",
                seen, period_name(per), ps, (long long)pl->id, pl->frequency, allowed, period_name(per));
    }
}

/* 1 when two sessions of one date may be the same meeting: times missing on one, or overlapping. */
static int same_meeting(const struct line *x, const struct line *y)
{
    if (!*x->start || !*x->stop || !*y->start || !*y->stop) return 1;
    return strcmp(x->start, y->stop) < 0 && strcmp(y->start, x->stop) < 0;
}

/* R-CRED-3: a group meeting recorded (and billed) twice -- two sessions of one group on one date with
 * present members that are the same meeting, e.g. the co-therapist's record of the leader's session.
 * The records refuse it at entry (records_sessions.c); records imported or written before can hold it.
 * One finding on the later session. */
static void check_cotherapist(struct ctx *c, const char *from, const char *to)
{
    psy__stmt *s;
    c->rc = psy__db_query(c->st, &s,
                          "SELECT s.id, s.group_id, s.service_date, COALESCE(s.start_utc, ''), COALESCE(s.stop_utc, ''), "
                          "s.clinician_id FROM session s WHERE s.practice_id = ? AND s.group_id IS NOT NULL AND "
                          "s.service_date BETWEEN ? AND ? AND EXISTS (SELECT 1 FROM attendance a WHERE "
                          "a.session_id = s.id AND a.present <> 0) ORDER BY s.group_id, s.service_date, s.id",
                          PSY_ARGS(PSY_INT(c->practice), PSY_TEXT(from), PSY_TEXT(to)));
    struct line day[8];
    size_t n = 0;
    while (step(c, s)) {
        struct line x;
        memset(&x, 0, sizeof x);
        x.session = psy__sql_int64(s, 0);
        x.group = psy__sql_int64(s, 1);
        COPY(x.date, s, 2);
        COPY(x.start, s, 3);
        COPY(x.stop, s, 4);
        x.clinician = psy__sql_int64(s, 5);
        if (n && (day[0].group != x.group || strcmp(day[0].date, x.date))) n = 0;
        for (size_t k = 0; k < n; k++)
            if (same_meeting(&day[k], &x)) {
                char msg[320];
                snprintf(msg, sizeof msg, "session %lld (clinician %lld) repeats session %lld (clinician %lld) of group "
                         "%lld on %s: the same meeting with the same members; a co-therapist does not bill the "
                         "members the leader bills", (long long)x.session, (long long)x.clinician,
                         (long long)day[k].session, (long long)day[k].clinician, (long long)x.group, x.date);
                c->emit(c->ud, "R-CRED-3", 1, "session", x.session, x.date, msg);
                break;
            }
        if (n < sizeof day / sizeof day[0]) day[n++] = x;
    }
    psy__sql_finalize(s);
}

static void check_docs(struct ctx *c, const struct line *l, const struct docmask *dm, size_t ndm)
{
    if (!in_period(c, l)) return;
    unsigned m = doc_of(dm, ndm, l->session, l->client) | (l->group ? doc_of(dm, ndm, l->session, 0) : 0);
    if (l->complexity && !(m & DOC_IC))
        say(c, "R-DOC-IC", l, "session %lld bills interactive complexity (90785) for client %lld, but the note names "
            "no complexity factor (maladaptive communication, caregiver interference, a sentinel event and its "
            "report, play equipment or an interpreter)", (long long)l->session, (long long)l->client);
    if (!strcmp(l->kind, "family") && l->patient_absent && !(m & DOC_ABSENT))
        say(c, "R-DOC-FAM", l, "session %lld is family psychotherapy without the patient (90846), but the note does "
            "not state that the patient was not present", (long long)l->session);
    if (!strcmp(l->kind, "crisis")) {
        static const struct {
            unsigned bit;
            const char *name;
        } els[] = {{DOC_ASSESS, "urgent assessment"}, {DOC_HISTORY, "history of the crisis"},
                   {DOC_MSE, "mental status exam"}, {DOC_DISPOSITION, "disposition"}};
        char missing[160] = "";
        for (size_t k = 0; k < sizeof els / sizeof els[0]; k++)
            if (!(m & els[k].bit)) {
                size_t len = strlen(missing);
                snprintf(missing + len, sizeof missing - len, "%s%s", len ? ", " : "", els[k].name);
            }
        if (*missing)
            say(c, "R-DOC-CRISIS", l, "session %lld is crisis psychotherapy (90839), but the note lacks: %s",
                (long long)l->session, missing);
    }
    if (l->telehealth && l->audio && !(m & DOC_AUDIO))
        say(c, "R-DOC-AUDIO", l, "session %lld was audio-only telehealth, but the note does not say why (video "
            "offered and the patient could not or would not use it)", (long long)l->session);
}

/* R-TH-4 over one client's lines [a, b): a Medicare home telehealth session needs an in-person session
 * within 6 months before the first one and within 12 months before each later one. */
static void check_in_person(struct ctx *c, const struct line *l, size_t a, size_t b, const char *enforced_from,
                            const struct medicare_policy *mp, size_t nmp)
{
    const char *last_in_person = NULL;
    int since = 0; /* home telehealth sessions since the last in-person one */
    for (size_t i = a; i < b; i++) {
        if (!l[i].telehealth) {
            last_in_person = l[i].date;
            since = 0;
            continue;
        }
        if (!l[i].home || !modality_of(l[i].kind) || strcmp(l[i].date, enforced_from) < 0 ||
            !medicare_on(mp, nmp, l[i].client, l[i].date)) {
            continue;
        }
        char limit[PSY_DATE_MAX];
        int months = since++ ? 12 : 6;
        psy__rec_date_add(l[i].date, since == 1 ? -183 : -365, limit);
        if (!in_period(c, &l[i]) || (last_in_person && strcmp(last_in_person, limit) >= 0)) continue;
        say(c, "R-TH-4", &l[i], "session %lld is Medicare telehealth to client %lld at home with %s: the "
            "in-person visit must be within %d months before", (long long)l[i].session, (long long)l[i].client,
            last_in_person ? "the last in-person session too long before" : "no in-person session before", months);
    }
}

psy_status psy__audit_necessity(psy_store *st, psy_id practice, const char *from, const char *to,
                                const char *in_person_from, psy__audit_emit_rec emit, void *ud)
{
    struct ctx c = {st, practice, from, to, emit, ud, PSY_OK};
    size_t np = 0, nl = 0, ndm = 0, npr = 0, nmp = 0;
    struct plan *plans = load_plans(&c, &np);
    /* widen the window back to the start of the plans' frequency periods holding `from` (a session's
     * count in its period depends on the earlier ones only) and, once R-TH-4 is enforced within the
     * period, a year back */
    char wfrom[PSY_DATE_MAX];
    snprintf(wfrom, sizeof wfrom, "%s", from);
    int th4 = in_person_from && *in_person_from && strcmp(to, in_person_from) >= 0;
    if (psy__rec_day_number(from) != INT64_MIN) {
        unsigned kinds = 0;
        for (size_t i = 0; i < np; i++) {
            int n;
            kinds |= 1u << parse_frequency(plans[i].frequency, &n);
        }
        for (enum period per = PER_DAY; per <= PER_MONTH; per++) {
            char ps[PSY_DATE_MAX];
            if (!(kinds & (1u << per))) continue;
            period_start(per, from, ps);
            if (strcmp(ps, wfrom) < 0) snprintf(wfrom, sizeof wfrom, "%s", ps);
        }
        if (th4) psy__rec_date_add(from, -366, wfrom);
    }
    struct line *l = c.rc ? NULL : load_lines(&c, wfrom, to, &nl);
    struct docmask *dm = c.rc ? NULL : load_docs(&c, &ndm);
    struct primary *prim = c.rc ? NULL : load_primary(&c, &npr);
    struct medicare_policy *mp = c.rc || !th4 ? NULL : load_medicare(&c, &nmp);
    size_t pi = 0, cursor = 0;
    if (!c.rc) check_cotherapist(&c, from, to);
    for (size_t a = 0; !c.rc && a < nl;) {
        size_t b = a;
        while (b < nl && l[b].client == l[a].client) b++;
        while (pi < npr && prim[pi].client < l[a].client) pi++;
        check_plan(&c, l, a, b, plans, np, &cursor, pi < npr && prim[pi].client == l[a].client ? &prim[pi] : NULL);
        for (size_t i = a; i < b; i++) check_docs(&c, &l[i], dm, ndm);
        if (th4) check_in_person(&c, l, a, b, in_person_from, mp, nmp);
        a = b;
    }
    free(plans);
    free(l);
    free(dm);
    free(prim);
    free(mp);
    return c.rc;
}
