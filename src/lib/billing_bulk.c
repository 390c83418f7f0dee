/*
 * billing_bulk.c -- the claims build of a date range (psy_billing_build) with one query per table: the
 * signed sessions of a stretch of dates and their members, clients, policies, payers, clinicians,
 * authorisations, what is billed already and the claims of those dates are read at once; members are
 * coded and put on claims in memory, the scrubber (the coding findings, the audit's findings of the
 * sessions behind each claim, the claim-level day check of billing_day.c and the 837P preflight) runs on
 * what is held, and the claims, lines, billed codes and status history are written with multi-row
 * statements. Each stretch is one transaction, so a build stopped between two leaves whole claims,
 * every one scrubbed. The claims and findings are those of the build member by member
 * (psy__billing_build_rowwise in billing_build.c); a stretch whose members would join a claim already
 * open in the database (an original: a replacement, void or next payer's claim never takes new lines)
 * is billed that way, member by member.
 *
 * Two cores are used where the work allows: each claim's own checks (its coding findings, the day check,
 * the 837P preflight) need nothing the audit finds and read only what the stretch holds, so a second
 * thread does them while this one writes the billed codes and the audit reads; the audit's note
 * signatures are shared between two threads as well (audit_clone.c). The results are the same integers
 * and the same order as on one thread. On SQLite the stretch's writes run without the foreign-key
 * look-ups (fk_checks below says why that is safe).
 */
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "psy_db.h"
#include "billing_int.h"
#include "coding_int.h"
#include "records_bulk.h"

/* --- phase times (PSYCLAIM_BUILD_PHASES=1: printed to stderr at the end of a build) ------------------ */

enum phase { PH_START, PH_SESSIONS, PH_BILLABLES, PH_LOAD, PH_CODE, PH_BILLED, PH_AUDIT, PH_SCRUB, PH_WRITE, PH_COMMIT, PH_N };
static const char *const phase_name[PH_N] = {"resume and practice", "sessions", "billables", "stretch reads",
                                             "coding", "billed codes", "audit", "scrub", "writes", "commit"};
struct phases {
    int on;
    double s[PH_N], cpu[PH_N]; /* elapsed and processor (this thread's) seconds per phase */
    double at, cpu_at, start, cpu_start;
};

static double clock_s(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Charges the time since the last mark to phase p (nothing unless the phases are on). */
static void mark(struct phases *ph, enum phase p)
{
    if (!ph->on) return;
    double t = clock_s(CLOCK_MONOTONIC), c = clock_s(CLOCK_THREAD_CPUTIME_ID);
    ph->s[p] += t - ph->at;
    ph->cpu[p] += c - ph->cpu_at;
    ph->at = t;
    ph->cpu_at = c;
}

static void phases_start(struct phases *ph)
{
    const char *env = getenv("PSYCLAIM_BUILD_PHASES");
    memset(ph, 0, sizeof *ph);
    ph->on = env && *env && strcmp(env, "0");
    if (!ph->on) return;
    ph->at = ph->start = clock_s(CLOCK_MONOTONIC);
    ph->cpu_at = ph->cpu_start = clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static void phases_print(struct phases *ph)
{
    if (!ph->on) return;
    mark(ph, PH_SESSIONS);
    for (int p = 0; p < PH_N; p++)
        fprintf(stderr, "build phase %-20s %8.3f s elapsed %8.3f s processor\n", phase_name[p], ph->s[p], ph->cpu[p]);
    fprintf(stderr, "build phase %-20s %8.3f s elapsed %8.3f s processor\n", "total", ph->at - ph->start,
            ph->cpu_at - ph->cpu_start);
}

/* --- an index on (client, payer, clinician, date) ---------------------------------------------------- */

/* A claim's key, or a client's date (payer and clinician 0), in integers: the date is YYYYMMDD (-1 for
 * a text not of the form YYYY-MM-DD, which the records never hold: they check every date). */
struct key {
    psy_id client, payer, clinician;
    int64_t date;
};
struct slot {
    struct key key;
    size_t val; /* SIZE_MAX: the slot is free */
};
struct index {
    struct slot *s;
    size_t cap, n;
};

static int64_t date_number(const char *d)
{
    int64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (d[i] != '-') return -1;
            continue;
        }
        if (d[i] < '0' || d[i] > '9') return -1;
        v = v * 10 + (d[i] - '0');
    }
    return d[10] ? -1 : v;
}

static struct key day_key(psy_id client, const char *date) { return (struct key){client, 0, 0, date_number(date)}; }

static struct key claim_key(psy_id client, psy_id payer, psy_id clinician, const char *date)
{
    return (struct key){client, payer, clinician, date_number(date)};
}

static uint64_t hash_key(const struct key *k)
{
    uint64_t h = (uint64_t)k->client * 0x9e3779b97f4a7c15ull;
    h = (h ^ (uint64_t)k->payer) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (uint64_t)k->clinician) * 0x94d049bb133111ebull;
    h = (h ^ (uint64_t)k->date) * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

static int same_key(const struct key *a, const struct key *b)
{
    return a->client == b->client && a->payer == b->payer && a->clinician == b->clinician && a->date == b->date;
}

static struct slot *index_slot(struct index *x, const struct key *key)
{
    if (!x->cap) return NULL;
    for (size_t i = hash_key(key) & (x->cap - 1);; i = (i + 1) & (x->cap - 1))
        if (x->s[i].val == SIZE_MAX || same_key(&x->s[i].key, key)) return &x->s[i];
}

/* The value of key, or SIZE_MAX. */
static size_t index_get(struct index *x, struct key key)
{
    struct slot *s = index_slot(x, &key);
    return s ? s->val : SIZE_MAX;
}

static void index_put(struct index *x, struct key key, size_t val)
{
    if (2 * (x->n + 1) > x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 256;
        struct index y = {psy__malloc(cap * sizeof *y.s), cap, 0};
        for (size_t i = 0; i < cap; i++) y.s[i].val = SIZE_MAX;
        for (size_t i = 0; i < x->cap; i++)
            if (x->s[i].val != SIZE_MAX) *index_slot(&y, &x->s[i].key) = x->s[i], y.n++;
        free(x->s);
        *x = y;
    }
    struct slot *s = index_slot(x, &key);
    if (s->val == SIZE_MAX) {
        s->key = key;
        x->n++;
    }
    s->val = val;
}

static void index_free(struct index *x)
{
    free(x->s);
    memset(x, 0, sizeof *x);
}

/* --- what a build holds -------------------------------------------------------------------------- */

/* New claims get ids above every stored one while they are built (the order of ids is what the day
 * checks sort by), and their real ids when the stretch is written. */
#define PROVISIONAL ((psy_id)1 << 60)

struct line {
    psy_id claim;     /* the claim's id (provisional for a new one) */
    size_t nc;        /* index of its new claim, SIZE_MAX for a stored one */
    psy_id payer, clinician, session, client;
    int64_t number;
    int counts;       /* a stored claim whose status the day check counts */
    int units;
    long long charge;
    char code[PSY_CODE_MAX], mods[16], pos[3], ptrs[16], rules[128];
    char start[PSY_REC_TIME_MAX], stop[PSY_REC_TIME_MAX];
    char *explanation;
    size_t next_day;   /* the next line of the same client and date, SIZE_MAX at the end */
    size_t next_claim; /* the next line of the same new claim, SIZE_MAX at the end */
};

struct claim {
    psy_id id, client, payer, policy, clinician;
    char date[PSY_DATE_MAX], pos[3], auth[51], profile[81], number[PSY_CLAIM_ID_MAX + 1];
    long long total;
    int version, nlines, ready;
    int was_ready;     /* a stored claim scrubbed again: ready (1) or draft (0) when read */
    int64_t next;
    json_t *findings;
    char *stored;      /* a stored claim scrubbed before: its findings as stored (a scrub with the same verdict
                        * and findings writes nothing); else NULL */
    json_t *own;       /* the coding findings, then the day check's and the 837P preflight's (own_from on) */
    size_t own_from;
    size_t first_line, last_line; /* its lines: first_line, then through next_claim */
};

/* The audit of a stretch's dates read on a second connection (psy__store_twin) on another thread while
 * the build bills on its own: the audit's queries need nothing the build writes but the billed codes,
 * which its checks then take from the stretch in memory (psy__audit_days_finish). The next stretch's
 * billable members, then its audit, are read while this one's claims are written: nothing a stretch
 * writes concerns another's dates (a claim has its session's date), and the members were read outside
 * the stretch's transaction before as well (the keys of claim_session keep a member from being billed
 * twice by two builds at once). Without a twin, or when a read ahead failed or was for other dates,
 * the reads happen on the build's connection in turn, as before. */
struct ahead {
    psy_store *twin;
    pthread_t t;
    int running;
    psy_id practice;
    char from[PSY_DATE_MAX], to[PSY_DATE_MAX];
    struct psy__audit_days *d;
    struct psy__elig_keep *keep; /* the build's (struct build) */
    psy_status rc;
    /* the stretch's billable members (psy__records_billables of ss[0..n); ss NULL: not read ahead), set
     * before the audit reads; ready says so, under mu */
    const struct psy_session *ss;
    size_t n;
    struct psy_billable *bs;
    size_t *of, nb;
    psy_status brc;
    int ready;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

struct build {
    psy_store *st;
    const psy_coder *cx;
    psy_id practice;
    struct psy_billing_build_result *r;
    struct phases *ph;
    struct psy__elig_keep *keep; /* the visits the stretches' audits read, for the next (records_bulk.h) */
    /* the practice's records, read once */
    struct psy_practice pr;
    char phone[32];
    struct psy_client *cs;
    struct psy_payer *py;
    struct psy_policy *po;
    struct psy_clinician *cl;
    size_t ncs, npy, npo, ncl;
    struct auth { psy_id client, payer, id; char start[PSY_DATE_MAX], end[PSY_DATE_MAX], number[51]; } *au;
    size_t nau;
    /* one stretch */
    struct line *l;
    size_t nl, capl;
    struct claim *c;
    size_t nc, capc;
    struct index claims, days, open;
    struct { psy_id session, client; } *billed;
    size_t nbilled;
    struct psy__billed_item *bi;
    size_t nbi, capbi;
    struct cs_row { psy_id session, client, claim; } *cs_rows; /* claim: index into c */
    size_t ncsr, capcsr;
    struct ahead ahead;
    struct writer *wr; /* the stretch before this one, written on another connection (NULL: in turn) */
    psy_id next_id;    /* SQLite with a writer: the least id the next claim may take */
    char next_from[PSY_DATE_MAX], next_to[PSY_DATE_MAX]; /* the stretch after this one ("": none known) */
    const struct psy_session *next_ss; /* its sessions (NULL in a scrub) */
    size_t next_n;
};

#define FIND_BY_ID(name, T, idf)                                                                                 \
    static T *name(T *v, size_t n, psy_id id)                                                                    \
    {                                                                                                            \
        size_t lo = 0, hi = n;                                                                                   \
        while (lo < hi) {                                                                                        \
            size_t mid = lo + (hi - lo) / 2;                                                                     \
            if (v[mid].idf < id) lo = mid + 1;                                                                   \
            else hi = mid;                                                                                       \
        }                                                                                                        \
        return lo < n && v[lo].idf == id ? &v[lo] : NULL;                                                        \
    }
FIND_BY_ID(find_client, struct psy_client, id)
FIND_BY_ID(find_payer, struct psy_payer, id)
FIND_BY_ID(find_policy, struct psy_policy, id)
FIND_BY_ID(find_clinician, struct psy_clinician, id)
#undef FIND_BY_ID

static int cmp_auth(const void *a, const void *b)
{
    const struct auth *x = a, *y = b;
    if (x->client != y->client) return x->client < y->client ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* auth_number of billing_build.c: the first (by id) authorisation of the client and payer in force. */
static const char *auth_for(const struct build *B, const struct psy_billable *b)
{
    size_t lo = 0, hi = B->nau;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (B->au[mid].client < b->client_id) lo = mid + 1;
        else hi = mid;
    }
    for (; lo < B->nau && B->au[lo].client == b->client_id; lo++) {
        const struct auth *a = &B->au[lo];
        if (a->payer == b->payer_id && strcmp(a->start, b->service_date) <= 0 && strcmp(a->end, b->service_date) >= 0)
            return a->number;
    }
    return "";
}

static psy_status load_practice(struct build *B)
{
    psy_store *st = B->st;
    psy_status rc = psy_records_practice_get(st, B->practice, &B->pr);
    if (!rc) rc = psy_records_client_list(st, B->practice, &B->cs, &B->ncs);
    if (!rc) rc = psy_records_payer_list(st, B->practice, &B->py, &B->npy);
    if (!rc) rc = psy__records_policies(st, B->practice, &B->po, &B->npo);
    if (!rc) rc = psy_records_clinician_list(st, B->practice, &B->cl, &B->ncl);
    if (rc) return rc;
    char key[64];
    snprintf(key, sizeof key, "billing_contact_phone:%lld", (long long)B->practice);
    if (B->pr.billing_phone[0]) psy__copy(B->phone, sizeof B->phone, B->pr.billing_phone);
    else psy__store_meta_get(st, key, B->phone, sizeof B->phone);
    psy__stmt *s = psy__db_stmt(st,
                                "SELECT client_id, payer_id, id, start_date, end_date, number FROM authorisation "
                                "WHERE practice_id = ?",
                                PSY_ARGS(PSY_INT(B->practice)));
    if (!s) return psy__store_dbfail(st, "authorisation");
    size_t cap = 0;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        struct auth *a = PSY__PUSH(B->au, B->nau, cap);
        a->client = psy__sql_int64(s, 0);
        a->payer = psy__sql_int64(s, 1);
        a->id = psy__sql_int64(s, 2);
        psy__db_col_copy(s, 3, a->start, sizeof a->start);
        psy__db_col_copy(s, 4, a->end, sizeof a->end);
        psy__db_col_copy(s, 5, a->number, sizeof a->number);
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) return psy__store_dbfail(st, "authorisation");
    if (B->nau > 1) qsort(B->au, B->nau, sizeof *B->au, cmp_auth);
    return PSY_OK;
}


static struct line *add_line(struct build *B, const char *date)
{
    (void)date;
    struct line *l = PSY__PUSH(B->l, B->nl, B->capl);
    l->next_day = l->next_claim = SIZE_MAX;
    l->nc = SIZE_MAX;
    return l;
}

/* Links line i into the list of its client's date. */
static void link_day(struct build *B, size_t i, const char *date)
{
    struct key k = day_key(B->l[i].client, date);
    size_t head = index_get(&B->days, k);
    B->l[i].next_day = head;
    index_put(&B->days, k, i);
}

static int cmp_psy_id_pair(const void *a, const void *b)
{
    const psy_id *x = a, *y = b;
    if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* What the stretch's dates already hold: billed members, and every claim with its lines. */
static psy_status load_stretch(struct build *B, const char *from, const char *to)
{
    psy_store *st = B->st;
    /* the members billed on the dates: the range of their sessions' ids first, so that both backends
     * read only that part of claim_session's key (sessions are mostly entered in date order). Without
     * it, PostgreSQL, whose statistics still count the claim_session of before the build, joined the
     * whole table with a hash each stretch: a build read it again and again as it grew. (The + 0
     * keeps min and max on the dates' index, not on a walk of the session ids.) */
    psy__stmt *s = psy__db_stmt(st,
                                "SELECT COALESCE(min(id + 0), 0), COALESCE(max(id + 0), -1) FROM session WHERE "
                                "practice_id = ? AND service_date >= ? AND service_date <= ?",
                                PSY_ARGS(PSY_INT(B->practice), PSY_TEXT(from), PSY_TEXT(to)));
    if (!s) return psy__store_dbfail(st, "session");
    int r = psy__sql_step(s);
    int64_t lo = r == PSY_SQL_ROW ? psy__sql_int64(s, 0) : 0, hi = r == PSY_SQL_ROW ? psy__sql_int64(s, 1) : -1;
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) return psy__store_dbfail(st, "session");
    s = psy__db_stmt(st,
                     "SELECT session_id, client_id FROM claim_session WHERE practice_id = ? AND session_id BETWEEN ? "
                     "AND ? AND session_id IN (SELECT id FROM session WHERE practice_id = ? AND service_date >= ? "
                     "AND service_date <= ?)",
                     PSY_ARGS(PSY_INT(B->practice), PSY_INT(lo), PSY_INT(hi), PSY_INT(B->practice), PSY_TEXT(from),
                              PSY_TEXT(to)));
    if (!s) return psy__store_dbfail(st, "claim_session");
    size_t cap = 0;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        if (B->nbilled == cap) B->billed = psy__realloc(B->billed, (cap = cap ? 2 * cap : 256) * sizeof *B->billed);
        B->billed[B->nbilled].session = psy__sql_int64(s, 0);
        B->billed[B->nbilled++].client = psy__sql_int64(s, 1);
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) return psy__store_dbfail(st, "claim_session");
    if (B->nbilled > 1) qsort(B->billed, B->nbilled, sizeof *B->billed, cmp_psy_id_pair);
    /* the claims of the dates through claim_key, then sorted: SQLite, without statistics, would rather
     * walk every claim of the practice in id order (claim_practice_id) to skip the sort, and a build
     * read each stretch's claims past every claim the stretches before it wrote (the unary + keeps
     * the ORDER BY off that index; PostgreSQL plans by its statistics either way) */
    s = psy__db_stmt(st,
                     "SELECT c.id, c.client_id, c.payer_id, c.clinician_id, c.service_date, c.status, l.line_number, "
                     "l.session_id, l.code, l.units, l.modifiers, COALESCE(s.start_utc, ''), COALESCE(s.stop_utc, ''), "
                     "CASE WHEN c.frequency = 1 AND c.replaces_claim_id IS NULL AND c.cob_from_claim_id IS NULL "
                     "THEN 1 ELSE 0 END, l.charge_cents, l.place_of_service, l.dx_pointers "
                     "FROM claim c LEFT JOIN claim_line l ON l.claim_id = c.id LEFT JOIN session s ON s.id = "
                     "l.session_id WHERE c.practice_id = ? AND c.service_date >= ? AND c.service_date <= ? "
                     "ORDER BY +c.id, l.line_number",
                     PSY_ARGS(PSY_INT(B->practice), PSY_TEXT(from), PSY_TEXT(to)));
    if (!s) return psy__store_dbfail(st, "claim");
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        const char *status = psy__sql_text(s, 5), *date = psy__sql_text(s, 4);
        psy_id client = psy__sql_int64(s, 1), payer = psy__sql_int64(s, 2), clin = psy__sql_int64(s, 3);
        /* claim_for of billing_build.c: new lines join an open original, never a replacement, a void or a
         * next payer's claim */
        if ((!strcmp(status, "draft") || !strcmp(status, "ready")) && psy__sql_int64(s, 13)) {
            index_put(&B->open, claim_key(client, payer, clin, date), 1);
        }
        if (psy__sql_is_null(s, 6)) continue;
        struct line *l = add_line(B, date);
        l->claim = psy__sql_int64(s, 0);
        l->client = client;
        l->payer = payer;
        l->clinician = clin;
        l->counts = !strcmp(status, "draft") || !strcmp(status, "ready") || !strcmp(status, "submitted") ||
                    !strcmp(status, "accepted") || !strcmp(status, "paid") || !strcmp(status, "partially_paid");
        l->number = psy__sql_int64(s, 6);
        l->session = psy__sql_int64(s, 7);
        psy__db_col_copy(s, 8, l->code, sizeof l->code);
        l->units = (int)psy__sql_int64(s, 9);
        psy__db_col_copy(s, 10, l->mods, sizeof l->mods);
        psy__db_col_copy(s, 11, l->start, sizeof l->start);
        psy__db_col_copy(s, 12, l->stop, sizeof l->stop);
        l->charge = psy__sql_int64(s, 14);
        psy__db_col_copy(s, 15, l->pos, sizeof l->pos);
        psy__db_col_copy(s, 16, l->ptrs, sizeof l->ptrs);
        link_day(B, B->nl - 1, date);
    }
    psy__sql_finalize(s);
    return r == PSY_SQL_ERROR ? psy__store_dbfail(st, "claim") : PSY_OK;
}

static void split_mods(const char *m, struct psy_coded_line *l)
{
    while (m && *m && l->n_modifiers < PSY_LINE_MAX_MODIFIERS) {
        snprintf(l->modifiers[l->n_modifiers++], 3, "%.2s", m);
        m = strchr(m, ',');
        if (m) m++;
    }
}

/* The lines of a client's date, as the day queries order them. */
struct pick {
    size_t line;
    psy_id k1, k2;
    int64_t k3;
};
static int cmp_pick(const void *a, const void *b)
{
    const struct pick *x = a, *y = b;
    if (x->k1 != y->k1) return x->k1 < y->k1 ? -1 : 1;
    if (x->k2 != y->k2) return x->k2 < y->k2 ? -1 : 1;
    return x->k3 < y->k3 ? -1 : x->k3 > y->k3;
}

static size_t day_lines(struct build *B, psy_id client, const char *date, struct pick **out, size_t *cap)
{
    size_t n = 0;
    for (size_t i = index_get(&B->days, day_key(client, date)); i != SIZE_MAX; i = B->l[i].next_day) {
        if (n == *cap) *out = psy__realloc(*out, (*cap = *cap ? 2 * *cap : 32) * sizeof **out);
        (*out)[n++] = (struct pick){i, 0, 0, 0};
    }
    return n;
}

/* same_day_mue of billing_build.c over the lines held. */
static void same_day_mue(struct build *B, size_t ci)
{
    struct claim *c = &B->c[ci];
    struct pick *p = NULL;
    size_t cap = 0, n = day_lines(B, c->client, c->date, &p, &cap);
    for (size_t i = 0; i < n; i++) {
        const struct line *l = &B->l[p[i].line];
        p[i].k1 = l->session;
        p[i].k2 = l->claim;
        p[i].k3 = l->number;
    }
    if (n > 1) qsort(p, n, sizeof *p, cmp_pick);
    enum { DAY_LINES = PSY__DAY_LINES };
    if (n > DAY_LINES) n = DAY_LINES;
    struct psy_coded_line *lines = psy__calloc(n ? n : 1, sizeof *lines);
    int64_t *number = psy__calloc(n ? n : 1, sizeof *number);
    int sessions = 0;
    psy_id last = 0;
    for (size_t i = 0; i < n; i++) {
        const struct line *l = &B->l[p[i].line];
        psy__copy(lines[i].code, sizeof lines[i].code, l->code);
        lines[i].units = l->units;
        split_mods(l->mods, &lines[i]);
        if (l->session != last) sessions++, last = l->session;
        number[i] = l->claim == c->id ? l->number : 0;
    }
    free(p);
    struct psy_finding f[PSY_CODING_MAX_FINDINGS];
    size_t nf = 0;
    if (sessions >= 2 && psy_coding_same_day(B->cx, c->date, lines, n, f, PSY_CODING_MAX_FINDINGS, &nf) == PSY_OK) {
        json_t *keep = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(c->findings, i, v) {
            const char *field = json_string_value(json_object_get(v, "field"));
            if (!field || strncmp(field, "claim_line[", 11)) json_array_append(keep, v);
        }
        for (size_t k = 0; k < nf; k++) {
            if (strcmp(f[k].rule, "R-MUE-1")) continue;
            size_t li = n;
            sscanf(f[k].field, "lines[%zu]", &li);
            int64_t mine = 0;
            for (size_t j = 0; li < n && j < n; j++)
                if (number[j] > mine && !strcmp(lines[j].code, lines[li].code)) mine = number[j];
            if (!mine) continue;
            char field[64];
            snprintf(field, sizeof field, "claim_line[%lld]", (long long)mine);
            json_array_append_new(keep, psy__billing_finding(f[k].severity == PSY_SEVERITY_ERROR ? "error" : "warning",
                                                             f[k].rule, field, f[k].message, "coding"));
        }
        json_decref(c->findings);
        c->findings = keep;
    }
    free(lines);
    free(number);
}

static int billed_already(const struct build *B, const struct psy_billable *b)
{
    psy_id key[2] = {b->session_id, b->client_id};
    return B->nbilled && bsearch(key, B->billed, B->nbilled, sizeof *B->billed, cmp_psy_id_pair) != NULL;
}

static int group_member(const struct psy_billable *b)
{
    return !strcmp(b->kind, "group") || !strcmp(b->kind, "multifamily");
}

/* Appends s to the list dst (cap bytes, len used), after a comma unless first, cut short as snprintf
 * would; returns the new length. */
static size_t join_one(char *dst, size_t cap, size_t len, int first, const char *s)
{
    if (!first && len + 1 < cap) dst[len++] = ',';
    return len + psy__copy(dst + len, cap - len, s);
}

/* bill_member of billing_build.c, in memory. */
static psy_status bill(struct build *B, const struct psy_billable *b, const struct psy_session *s,
                       struct psy_coding_result *cr)
{
    struct psy_billing_build_result *r = B->r;
    if (billed_already(B, b)) {
        r->already_billed++;
        return PSY_OK;
    }
    if (!b->policy_id) {
        r->uninsured++;
        return PSY_OK;
    }
    const struct psy_payer *payer = find_payer(B->py, B->npy, b->payer_id);
    const struct psy_clinician *cl = find_clinician(B->cl, B->ncl, b->clinician_id);
    if (!payer) return psy__store_fail(B->st, PSY_ENOTFOUND, "id: no payer %lld in this practice", (long long)b->payer_id);
    if (!cl)
        return psy__store_fail(B->st, PSY_ENOTFOUND, "id: no clinician %lld in this practice", (long long)b->clinician_id);
    const char *profile = psy_records_payer_profile(payer), *auth = auth_for(B, b);
    struct psy_coding_input in;
    psy__billing_input(b, cl, profile, payer->requires_auth, auth, &in);
    if (psy_coding_session(B->cx, &in, cr) != PSY_OK || !cr->n_lines) {
        r->not_coded++;
        return PSY_OK;
    }
    struct key k = claim_key(b->client_id, b->payer_id, b->clinician_id, b->service_date);
    size_t ci = index_get(&B->claims, k);
    if (ci == SIZE_MAX) {
        ci = B->nc;
        struct claim *c = PSY__PUSH(B->c, B->nc, B->capc);
        c->id = PROVISIONAL + (psy_id)ci;
        c->client = b->client_id;
        c->payer = b->payer_id;
        c->policy = b->policy_id;
        c->clinician = b->clinician_id;
        psy__copy(c->date, sizeof c->date, b->service_date);
        psy__copy(c->auth, sizeof c->auth, auth);
        psy__copy(c->profile, sizeof c->profile, profile);
        c->version = 1;
        c->findings = json_array();
        c->own = NULL;
        c->first_line = SIZE_MAX;
        index_put(&B->claims, k, ci);
        r->claims_new++;
    }
    struct claim *c = &B->c[ci];
    /* add_lines */
    char ptrs[16];
    psy__billing_ptrs(b, ptrs);
    long long total = 0;
    int over = 0;
    for (size_t i = 0; i < cr->n_lines; i++)
        if (cr->lines[i].member <= 1) psy_cents_acc(&total, cr->lines[i].charge_cents, &over);
    if (over)
        return psy__store_fail(B->st, PSY_EINVAL, "charge_cents: the lines of claim %lld add up to more than an amount holds",
                               (long long)c->id);
    for (size_t i = 0; i < cr->n_lines; i++) {
        const struct psy_coded_line *cl_ = &cr->lines[i];
        if (cl_->member > 1) continue;
        if (c->nlines >= PSY_CLAIM_MAX_LINES)
            return psy__store_fail(B->st, PSY_ETOOBIG, "claim_line: claim %lld has %d lines already", (long long)c->id,
                                   PSY_CLAIM_MAX_LINES);
        struct line *l = add_line(B, b->service_date);
        l->claim = c->id;
        l->nc = ci;
        l->payer = b->payer_id;
        l->clinician = b->clinician_id;
        l->session = b->session_id;
        l->client = b->client_id;
        l->number = ++c->next;
        l->counts = 1;
        psy__copy(l->code, sizeof l->code, cl_->code);
        size_t len = strlen(l->mods);
        for (int m = 0; m < cl_->n_modifiers; m++) len = join_one(l->mods, sizeof l->mods, len, !m, cl_->modifiers[m]);
        len = strlen(l->rules);
        for (int m = 0; m < cl_->n_rules; m++) len = join_one(l->rules, sizeof l->rules, len, !m, cl_->rules[m]);
        l->units = cl_->units;
        l->charge = cl_->charge_cents;
        psy__copy(l->pos, sizeof l->pos, cl_->place_of_service);
        memcpy(l->ptrs, ptrs, sizeof ptrs);
        l->explanation = psy__strdup(cl_->explanation);
        psy__copy(l->start, sizeof l->start, s->start_utc);
        psy__copy(l->stop, sizeof l->stop, s->stop_utc);
        link_day(B, B->nl - 1, b->service_date);
        if (c->first_line == SIZE_MAX) c->first_line = B->nl - 1;
        else B->l[c->last_line].next_claim = B->nl - 1;
        c->last_line = B->nl - 1;
        c->nlines++;
        r->lines++;
    }
    c->total += total;
    if (!c->pos[0]) psy__copy(c->pos, sizeof c->pos, cr->lines[0].place_of_service);
    c->version++;
    if (B->ncsr == B->capcsr)
        B->cs_rows = psy__realloc(B->cs_rows, (B->capcsr = B->capcsr ? 2 * B->capcsr : 256) * sizeof *B->cs_rows);
    B->cs_rows[B->ncsr].session = b->session_id;
    B->cs_rows[B->ncsr].client = b->client_id;
    B->cs_rows[B->ncsr++].claim = (psy_id)ci;
    /* add_coding_findings */
    for (size_t i = 0; i < cr->n_findings; i++) {
        char field[96];
        snprintf(field, sizeof field, "session[%lld].%s", (long long)b->session_id, cr->findings[i].field);
        json_array_append_new(c->findings,
                              psy__billing_finding(cr->findings[i].severity == PSY_SEVERITY_ERROR ? "error" : "warning",
                                                   cr->findings[i].rule, field, cr->findings[i].message, "coding"));
    }
    same_day_mue(B, ci);
    if (!b->billed_code[0]) {
        struct psy__billed_item *it = PSY__PUSH(B->bi, B->nbi, B->capbi);
        it->session = b->session_id;
        it->client = group_member(b) ? b->client_id : 0;
        it->code = psy__strdup(cr->lines[0].code);
    }
    return PSY_OK;
}

/* --- the scrubber on what is held --------------------------------------------------------------- */

struct owner {
    psy_id id, session, client; /* client: the member of an attendance row */
};
static int cmp_owner(const void *a, const void *b)
{
    const struct owner *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The sessions of the attendance rows (t 0, with their members) and notes (t 1) of the stretch's dates. */
static psy_status owners(struct build *B, const char *from, const char *to, struct owner **out, size_t *n, int t)
{
    size_t cap = 0;
    psy__stmt *s = psy__db_stmt(B->st,
                                t ? "SELECT id, session_id, 0 FROM note WHERE session_id IN (SELECT id FROM session "
                                    "WHERE practice_id = ? AND service_date >= ? AND service_date <= ?)"
                                  : "SELECT id, session_id, client_id FROM attendance WHERE session_id IN (SELECT id "
                                    "FROM session WHERE practice_id = ? AND service_date >= ? AND service_date <= ?)",
                                PSY_ARGS(PSY_INT(B->practice), PSY_TEXT(from), PSY_TEXT(to)));
    if (!s) return psy__store_dbfail(B->st, t ? "note" : "attendance");
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        struct owner *o = PSY__PUSH(*out, *n, cap);
        o->id = psy__sql_int64(s, 0);
        o->session = psy__sql_int64(s, 1);
        o->client = psy__sql_int64(s, 2);
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) return psy__store_dbfail(B->st, t ? "note" : "attendance");
    if (*n > 1) qsort(*out, *n, sizeof **out, cmp_owner);
    return PSY_OK;
}

/* How many attendance rows (or notes) a stretch's findings may name and still be looked up one by one
 * (a variable: tests take the other path with 0). */
int psy__billing_owner_lookups = 256;

/* The owners of the attendance rows (own[0], with their members) and notes (own[1]) the findings
 * af[0..naf) name, in id order: one look-up each when they are few (a stretch's findings name a handful),
 * else every one of the stretch's dates at once (owners). */
static psy_status finding_owners(struct build *B, const char *from, const char *to, const struct psy_audit_finding *af,
                                 size_t naf, struct owner *own[2], size_t nown[2])
{
    size_t want[2] = {0, 0};
    for (size_t k = 0; k < naf; k++) {
        if (!strcmp(af[k].record_type, "attendance")) want[0]++;
        else if (!strcmp(af[k].record_type, "note")) want[1]++;
    }
    for (int t = 0; t < 2; t++) {
        if (!want[t]) continue;
        if (want[t] > (size_t)(psy__billing_owner_lookups > 0 ? psy__billing_owner_lookups : 0)) {
            psy_status rc = owners(B, from, to, &own[t], &nown[t], t);
            if (rc) return rc;
            continue;
        }
        own[t] = psy__malloc(want[t] * sizeof *own[t]);
        for (size_t k = 0; k < naf; k++) {
            if (strcmp(af[k].record_type, t ? "note" : "attendance")) continue;
            psy__stmt *s = psy__db_stmt(B->st,
                                        t ? "SELECT session_id, 0 FROM note WHERE id = ? AND practice_id = ?"
                                          : "SELECT session_id, client_id FROM attendance WHERE id = ? AND practice_id = ?",
                                        PSY_ARGS(PSY_INT(af[k].record_id), PSY_INT(B->practice)));
            if (!s) return psy__store_dbfail(B->st, t ? "note" : "attendance");
            int r = psy__sql_step(s);
            if (r == PSY_SQL_ROW)
                own[t][nown[t]++] = (struct owner){af[k].record_id, psy__sql_int64(s, 0), psy__sql_int64(s, 1)};
            psy__sql_finalize(s);
            if (r == PSY_SQL_ERROR) return psy__store_dbfail(B->st, t ? "note" : "attendance");
        }
        if (nown[t] > 1) qsort(own[t], nown[t], sizeof *own[t], cmp_owner);
    }
    return PSY_OK;
}

/* The claim's own checks, which need nothing the audit finds: its coding findings, then the day check's
 * and the 837P preflight's, into c->own (these from c->own_from on). Reads the stretch only: it runs on a
 * second thread while the audit reads. PSY_ENOTFOUND when the claim's records are gone. */
static psy_status scrub_own(struct build *B, size_t ci, struct psy__loaded *L)
{
    struct claim *c = &B->c[ci];
    json_t *arr = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(c->findings, i, v) {
        const char *src = json_string_value(json_object_get(v, "source"));
        if (src && !strcmp(src, "coding")) json_array_append(arr, v);
    }
    c->own_from = json_array_size(arr);
    /* the day check: the key's lines of claims that count, and this claim's; with the clinicians of one
     * specialty as one provider (the payer profile on the date), theirs too (R-DAY-2) */
    const struct psy__payer_terms *terms = NULL;
    int one = c->profile[0] &&
              psy__payer_terms(psy_coding_payers(B->cx), c->profile, psy__date_int(c->date), &terms) == PSY_OK &&
              terms && terms->same_specialty_one_provider;
    const struct psy_clinician *mine = one ? find_clinician(B->cl, B->ncl, c->clinician) : NULL;
    struct pick *p = NULL;
    size_t cap = 0, n = day_lines(B, c->client, c->date, &p, &cap), m = 0;
    for (size_t k = 0; k < n; k++) {
        const struct line *l = &B->l[p[k].line];
        if (l->payer != c->payer || (l->claim != c->id && !l->counts)) continue;
        if (l->clinician != c->clinician) {
            const struct psy_clinician *other = mine ? find_clinician(B->cl, B->ncl, l->clinician) : NULL;
            if (!other || strcmp(other->taxonomy, mine->taxonomy)) continue;
        }
        p[m++] = (struct pick){p[k].line, l->claim, 0, l->number};
    }
    if (m > 1) qsort(p, m, sizeof *p, cmp_pick);
    if (m > PSY__DAY_LINES) m = PSY__DAY_LINES;
    struct psy_coded_line *lines = psy__calloc(m ? m : 1, sizeof *lines);
    struct psy__day_line *dl = psy__calloc(m ? m : 1, sizeof *dl);
    for (size_t k = 0; k < m; k++) {
        const struct line *l = &B->l[p[k].line];
        psy__copy(lines[k].code, sizeof lines[k].code, l->code);
        lines[k].units = l->units;
        split_mods(l->mods, &lines[k]);
        dl[k].claim = l->claim;
        dl[k].session = l->session;
        dl[k].clinician = l->clinician;
        dl[k].number = l->number;
        memcpy(dl[k].start, l->start, sizeof dl[k].start);
        memcpy(dl[k].stop, l->stop, sizeof dl[k].stop);
    }
    psy__day_check(B->cx, c->id, c->clinician, lines, dl, m, c->date, arr);
    free(lines);
    free(dl);
    free(p);
    /* the 837P preflight on the claim as psy__billing_load would give it */
    memset(L, 0, sizeof *L);
    L->id = c->id;
    psy__copy(L->number, sizeof L->number, c->number);
    psy__billing_date8(c->date, L->date);
    psy__copy(L->pos, sizeof L->pos, c->pos);
    psy__copy(L->prior_auth, sizeof L->prior_auth, c->auth);
    L->c.state = PSY_CLAIM_DRAFT;
    L->c.total_cents = c->total;
    L->practice = B->pr;
    const struct psy_client *cl = find_client(B->cs, B->ncs, c->client);
    const struct psy_payer *py = find_payer(B->py, B->npy, c->payer);
    const struct psy_policy *po = find_policy(B->po, B->npo, c->policy);
    const struct psy_clinician *rc = find_clinician(B->cl, B->ncl, c->clinician);
    if (!cl || !py || !po || !rc) {
        json_decref(arr);
        return PSY_ENOTFOUND; /* the caller says which claim (this may run on a second thread) */
    }
    L->client = *cl;
    L->payer = *py;
    L->policy = *po;
    L->clinician = *rc;
    psy__copy(L->phone, sizeof L->phone, B->phone);
    psy__billing_parties(L);
    for (size_t li = c->first_line; li != SIZE_MAX && L->n_lines < PSY_CLAIM_MAX_LINES; li = B->l[li].next_claim) {
        const struct line *l = &B->l[li];
        psy__billing_line(L, 0, l->code, l->mods, l->units, l->charge, l->pos, l->ptrs);
    }
    psy__billing_finish(L, 1);
    struct psy_claim_batch b;
    psy__billing_batch(L, &b, &L->c, 1);
    struct psy_claim_finding pf[32];
    size_t npf = 0;
    psy_x12_837_preflight(&b, pf, 32, &npf);
    for (size_t k = 0; k < npf && k < 32; k++)
        json_array_append_new(arr, psy__billing_finding(pf[k].severity == PSY_FINDING_ERROR ? "error" : "warning",
                                                        pf[k].rule, pf[k].field, pf[k].message, "837p"));
    c->own = arr;
    return PSY_OK;
}


/* An audit finding of the stretch by the session it is on: finding k of the audit's list, on session
 * `session`, for the claims of `client` alone when not 0 (a member's attendance). */
struct hit {
    psy_id session, client;
    size_t k;
};

static int cmp_hit(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->session != y->session) return x->session < y->session ? -1 : 1;
    return x->k < y->k ? -1 : x->k > y->k;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* The audit's findings af[0..naf) by session (owners own[0] of attendance rows, own[1] of notes), in
 * (session, finding) order: each claim then finds its sessions' findings by a search, not by reading
 * every finding of the stretch. */
static struct hit *finding_hits(const struct psy_audit_finding *af, size_t naf, struct owner *own[2], size_t nown[2],
                                size_t *nh)
{
    struct hit *h = psy__malloc((naf ? naf : 1) * sizeof *h);
    *nh = 0;
    for (size_t k = 0; k < naf; k++) {
        const struct psy_audit_finding *f = &af[k];
        struct hit x = {0, 0, k};
        if (!strcmp(f->record_type, "session")) x.session = f->record_id;
        else {
            int t = !strcmp(f->record_type, "attendance") ? 0 : !strcmp(f->record_type, "note") ? 1 : -1;
            struct owner key = {f->record_id, 0, 0};
            struct owner *o = t < 0 || !nown[t] ? NULL : bsearch(&key, own[t], nown[t], sizeof key, cmp_owner);
            if (o) {
                x.session = o->session;
                x.client = o->client; /* a finding on a member's attendance goes on that member's claim alone
                                       * (billing_scrub.c) */
            }
        }
        if (x.session) h[(*nh)++] = x;
    }
    if (*nh > 1) qsort(h, *nh, sizeof *h, cmp_hit);
    return h;
}

/* The claim's verdict: its coding findings, the audit's findings of the claim's sessions (hits, in the
 * audit's order), then its own checks' (scrub_own); ready when none is an error. */
static void scrub_finish(struct build *B, size_t ci, const struct psy_audit_finding *af, const struct hit *hits,
                         size_t nh)
{
    struct claim *c = &B->c[ci];
    json_t *arr = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(c->own, i, v) if (i < c->own_from) json_array_append(arr, v);
    /* the audit's findings of the claim's sessions */
    psy_id sess[PSY_CLAIM_MAX_LINES];
    size_t ns = 0;
    for (size_t li = c->first_line; li != SIZE_MAX; li = B->l[li].next_claim) {
        size_t k = 0;
        while (k < ns && sess[k] != B->l[li].session) k++;
        if (k == ns && ns < PSY_CLAIM_MAX_LINES) sess[ns++] = B->l[li].session;
    }
    size_t *ks = NULL, nk = 0, capk = 0;
    for (size_t j = 0; j < ns; j++) {
        size_t lo = 0, hi = nh;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (hits[mid].session < sess[j]) lo = mid + 1;
            else hi = mid;
        }
        for (; lo < nh && hits[lo].session == sess[j]; lo++)
            if (!hits[lo].client || hits[lo].client == c->client) *PSY__PUSH(ks, nk, capk) = hits[lo].k;
    }
    if (nk > 1) qsort(ks, nk, sizeof *ks, cmp_size);
    for (size_t j = 0; j < nk; j++) {
        const struct psy_audit_finding *f = &af[ks[j]];
        char field[64];
        snprintf(field, sizeof field, "%s[%lld]", f->record_type, (long long)f->record_id);
        json_array_append_new(arr, psy__billing_finding(f->severity == PSY_AUDIT_ERROR ? "error" : "warning", f->rule,
                                                        field, f->message, "audit"));
    }
    free(ks);
    json_array_foreach(c->own, i, v) if (i >= c->own_from) json_array_append(arr, v);
    json_decref(c->own);
    c->own = NULL;
    int errors = 0;
    json_array_foreach(arr, i, v) errors += !strcmp(json_string_value(json_object_get(v, "severity")), "error");
    json_decref(c->findings);
    c->findings = arr;
    c->ready = !errors;
    if (c->ready) c->version++;
}

/* The own checks (scrub_own) of every claim of a stretch, on a thread of their own. */
struct own_part {
    struct build *B;
    size_t failed; /* the claim whose records were gone, or SIZE_MAX */
};

static void *own_run(void *arg)
{
    struct own_part *p = arg;
    struct psy__loaded *L = psy__calloc(1, sizeof *L);
    p->failed = SIZE_MAX;
    for (size_t i = 0; i < p->B->nc; i++)
        if (scrub_own(p->B, i, L)) {
            p->failed = i;
            break;
        }
    psy__billing_loaded_free(L, 1);
    return NULL;
}

static void *ahead_run(void *arg)
{
    struct ahead *a = arg;
    if (a->ss) {
        struct psy_billable *bs = NULL;
        size_t *of = NULL, nb = 0;
        psy_status rc = psy__records_billables(a->twin, a->practice, a->ss, a->n, &bs, &of, &nb);
        pthread_mutex_lock(&a->mu);
        a->bs = bs;
        a->of = of;
        a->nb = nb;
        a->brc = rc;
        a->ready = 1;
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
    }
    a->rc = psy__audit_days_read(a->twin, a->practice, a->from, a->to, a->keep, &a->d);
    return NULL;
}

/* The second connection the reads ahead go to: none with one processor, or PSYCLAIM_BUILD_AHEAD=off. */
static void ahead_open(struct build *B)
{
    const char *env = getenv("PSYCLAIM_BUILD_AHEAD");
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || (env && !strcmp(env, "off"))) return;
    if (!(B->ahead.twin = psy__store_twin(B->st))) return;
    pthread_mutex_init(&B->ahead.mu, NULL);
    pthread_cond_init(&B->ahead.cv, NULL);
}

/* Waits for the reads ahead that run; frees members never taken; returns the audit read (or NULL). */
static struct psy__audit_days *ahead_join(struct build *B)
{
    struct ahead *a = &B->ahead;
    pthread_join(a->t, NULL);
    a->running = 0;
    free(a->bs);
    free(a->of);
    a->bs = NULL;
    a->of = NULL;
    struct psy__audit_days *d = a->d;
    a->d = NULL;
    return d;
}

/* Waits for the reads ahead, if they run, and drops what they read. */
static void ahead_drop(struct build *B)
{
    if (B->ahead.running) psy__audit_days_free(ahead_join(B));
}

static void ahead_close(struct build *B)
{
    if (!B->ahead.twin) return;
    ahead_drop(B);
    psy_store_close(B->ahead.twin);
    B->ahead.twin = NULL;
    pthread_mutex_destroy(&B->ahead.mu);
    pthread_cond_destroy(&B->ahead.cv);
}

/* Starts the reads of the stretch [from, to] ahead: its billable members when ss is given, then its
 * audit (nothing without a twin, or when they already run). */
static void ahead_start(struct build *B, const char *from, const char *to, const struct psy_session *ss, size_t n)
{
    struct ahead *a = &B->ahead;
    if (!a->twin || !*from) return;
    if (a->running && !strcmp(a->from, from) && !strcmp(a->to, to) && a->ss == ss && a->n == n) return;
    ahead_drop(B);
    a->practice = B->practice;
    a->keep = B->keep;
    snprintf(a->from, sizeof a->from, "%s", from);
    snprintf(a->to, sizeof a->to, "%s", to);
    a->d = NULL;
    a->rc = PSY_OK;
    a->ss = ss;
    a->n = n;
    a->ready = 0;
    a->running = !pthread_create(&a->t, NULL, ahead_run, a);
}

/* The billable members of the stretch ss[0..n) read ahead: 1 with them in *bs, *of, *nb (the caller's
 * to free), 0 when there are none (then the caller reads them). */
static int ahead_billables(struct build *B, const struct psy_session *ss, size_t n, struct psy_billable **bs,
                           size_t **of, size_t *nb)
{
    struct ahead *a = &B->ahead;
    if (!a->running || !a->ss || a->ss != ss || a->n != n) return 0;
    pthread_mutex_lock(&a->mu);
    while (!a->ready) pthread_cond_wait(&a->cv, &a->mu);
    int ok = a->brc == PSY_OK;
    if (ok) {
        *bs = a->bs;
        *of = a->of;
        *nb = a->nb;
    } else {
        free(a->bs);
        free(a->of);
    }
    a->bs = NULL;
    a->of = NULL;
    pthread_mutex_unlock(&a->mu);
    return ok;
}

/* The audit read ahead for [from, to]; NULL when there is none (then the caller reads in turn). */
static struct psy__audit_days *ahead_take(struct build *B, const char *from, const char *to)
{
    struct ahead *a = &B->ahead;
    if (!a->running) return NULL;
    struct psy__audit_days *d = ahead_join(B);
    if (a->rc || strcmp(a->from, from) || strcmp(a->to, to)) {
        psy__audit_days_free(d);
        return NULL;
    }
    return d;
}

/* The scrubber on the claims a stretch holds (dates from..to): the claims' own checks need nothing the
 * audit finds and read only what the stretch holds, so a second thread does them while this one writes
 * the billed codes (billed: a build's, which the audit reads; 0 in a build with a writer, which writes
 * them with the claims) and the audit of the dates reads (ahead, on the twin connection, when there is
 * one); then each claim's verdict, counted into B->r. */
static psy_status scrub_held(struct build *B, const char *from, const char *to, int billed)
{
    struct own_part op = {B, SIZE_MAX};
    pthread_t t;
    int bg = B->nc >= 64 && sysconf(_SC_NPROCESSORS_ONLN) > 1 && !pthread_create(&t, NULL, own_run, &op);
    psy_status rc = billed ? psy__records_billed_many(B->st, B->practice, from, to, B->bi, B->nbi) : PSY_OK;
    mark(B->ph, PH_BILLED);
    struct psy_audit_finding *af = NULL;
    size_t naf = 0;
    struct owner *own[2] = {NULL, NULL};
    size_t nown[2] = {0, 0};
    struct psy__audit_days *ahead = ahead_take(B, from, to);
    ahead_start(B, B->next_from, B->next_to, B->next_ss, B->next_n); /* reads while this stretch is written */
    if (ahead && (rc || !B->nc)) psy__audit_days_free(ahead);
    else if (ahead) rc = psy__audit_days_finish(ahead, B->st, B->bi, B->nbi, &af, &naf);
    else if (!rc && B->nc && B->wr) { /* the billed codes go out with the claims (a writer): put over */
        if (!(rc = psy__audit_days_read(B->st, B->practice, from, to, B->keep, &ahead)))
            rc = psy__audit_days_finish(ahead, B->st, B->bi, B->nbi, &af, &naf);
    } else if (!rc && B->nc) rc = psy__audit_collect_days(B->st, B->practice, from, to, B->keep, &af, &naf);
    mark(B->ph, PH_AUDIT);
    if (bg) pthread_join(t, NULL);
    else if (!rc) own_run(&op);
    if (!rc && op.failed != SIZE_MAX)
        rc = psy__store_fail(B->st, PSY_ENOTFOUND, "claim: the records of claim %s are gone", B->c[op.failed].number);
    if (!rc && B->nc) rc = finding_owners(B, from, to, af, naf, own, nown);
    size_t nh = 0;
    struct hit *hits = rc ? NULL : finding_hits(af, naf, own, nown, &nh);
    for (size_t i = 0; !rc && i < B->nc; i++) {
        scrub_finish(B, i, af, hits, nh);
        *(B->c[i].ready ? &B->r->ready : &B->r->draft) += 1;
    }
    mark(B->ph, PH_SCRUB);
    free(hits);
    free(af);
    free(own[0]);
    free(own[1]);
    return rc;
}

/* --- a stretch of dates --------------------------------------------------------------------------- */

/* What a stretch writes: its new claims, their lines, the members they bill, the billed codes. The
 * build's own arrays (B->c, B->l, ...) in turn, or the ones a writer took from it (struct writer). */
struct rows {
    struct line *l;
    size_t nl, capl;
    struct claim *c;
    size_t nc, capc;
    struct psy__billed_item *bi;
    size_t nbi, capbi;
    struct cs_row *cs_rows;
    size_t ncsr, capcsr;
};

#define SWAP(a, b)                                                                                           \
    do {                                                                                                     \
        __typeof__(a) swap_ = (a);                                                                           \
        (a) = (b);                                                                                           \
        (b) = swap_;                                                                                         \
    } while (0)

/* Exchanges the stretch's rows in the build with w's. */
static void rows_swap(struct build *B, struct rows *w)
{
    SWAP(B->l, w->l);
    SWAP(B->nl, w->nl);
    SWAP(B->capl, w->capl);
    SWAP(B->c, w->c);
    SWAP(B->nc, w->nc);
    SWAP(B->capc, w->capc);
    SWAP(B->bi, w->bi);
    SWAP(B->nbi, w->nbi);
    SWAP(B->capbi, w->capbi);
    SWAP(B->cs_rows, w->cs_rows);
    SWAP(B->ncsr, w->ncsr);
    SWAP(B->capcsr, w->capcsr);
}

/* Frees what the rows' elements own and empties them (the arrays stay for the next stretch). */
static void rows_clear(struct rows *w)
{
    for (size_t i = 0; i < w->nl; i++) free(w->l[i].explanation);
    for (size_t i = 0; i < w->nc; i++) {
        json_decref(w->c[i].findings);
        json_decref(w->c[i].own);
        free(w->c[i].stored);
    }
    for (size_t i = 0; i < w->nbi; i++) free((char *)w->bi[i].code);
    w->nl = w->nc = w->nbi = w->ncsr = 0;
}

static void rows_free(struct rows *w)
{
    rows_clear(w);
    free(w->l);
    free(w->c);
    free(w->bi);
    free(w->cs_rows);
}

static void stretch_clear(struct build *B)
{
    struct rows own = {0};
    rows_swap(B, &own); /* the build's own rows, emptied where they are */
    rows_clear(&own);
    rows_swap(B, &own);
    B->nbilled = 0;
    index_free(&B->claims);
    index_free(&B->days);
    index_free(&B->open);
}

/* Frees what a build held (its stretch and the practice's records). */
static void build_free(struct build *B)
{
    struct rows own = {0};
    rows_swap(B, &own);
    rows_free(&own);
    stretch_clear(B);
    free(B->billed);
    free(B->cs);
    free(B->py);
    free(B->po);
    free(B->cl);
    free(B->au);
    psy__elig_keep_free(B->keep);
    B->keep = NULL;
}

/* "PC" and the id (a positive number) in at least 8 digits, as "PC%08lld" writes it (every claim of a
 * build); cut short to cap bytes. */
static void claim_number(char *out, size_t cap, psy_id id)
{
    char d[24];
    int n = 0;
    for (unsigned long long v = id > 0 ? (unsigned long long)id : 0; v || n < 8; v /= 10) d[n++] = (char)('0' + v % 10);
    size_t k = 0;
    for (const char *p = "PC"; *p && k + 1 < cap; p++) out[k++] = *p;
    while (n && k + 1 < cap) out[k++] = d[--n];
    if (cap) out[k] = 0;
}

/* Real ids for the new claims, in the order they were made. */
static psy_status reserve_ids(struct build *B)
{
    if (!B->nc) return PSY_OK;
    psy_id *ids = psy__malloc(B->nc * sizeof *ids);
    psy_status rc = psy__db_reserve_ids(B->st, "claim", B->nc, ids);
    /* SQLite takes max(id) + 1 on: with a writer, the stretch it still writes holds ids the database does
     * not show yet (the writer checks, under its write lock, that nobody else took them meanwhile) */
    psy_id shift = B->wr && psy__db_dialect(B->st) == PSY_DB_SQLITE && !rc && ids[0] < B->next_id
                       ? B->next_id - ids[0] : 0;
    for (size_t i = 0; !rc && i < B->nc; i++) B->c[i].id = ids[i] + shift;
    free(ids);
    if (rc) return rc;
    B->next_id = B->c[B->nc - 1].id + 1;
    for (size_t i = 0; i < B->nl; i++)
        if (B->l[i].nc != SIZE_MAX) B->l[i].claim = B->c[B->l[i].nc].id;
    for (size_t i = 0; i < B->nc; i++) claim_number(B->c[i].number, sizeof B->c[i].number, B->c[i].id);
    return PSY_OK;
}

static psy_status write_rows(psy_store *st, psy_id practice, const struct rows *R)
{
    char now[PSY_REC_TIME_MAX];
    psy__billing_now(now);
    struct psy__batch cb, lb, sb, hb;
    psy__batch_init(&cb, st,
                    "INSERT INTO claim (id, practice_id, claim_number, client_id, payer_id, policy_id, clinician_id, "
                    "service_date, place_of_service, prior_auth, payer_profile, status, total_cents, findings, "
                    "created_at, scrubbed_at, version) VALUES",
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "");
    psy__batch_init(&lb, st,
                    "INSERT INTO claim_line (claim_id, line_number, session_id, client_id, code, modifiers, units, "
                    "charge_cents, place_of_service, dx_pointers, rules, explanation) VALUES",
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "");
    psy__batch_init(&sb, st, "INSERT INTO claim_session (practice_id, session_id, client_id, claim_id) VALUES",
                    "(?, ?, ?, ?)", "");
    psy__batch_init(&hb, st,
                    "INSERT INTO claim_status_history (claim_id, from_status, to_status, reason, changed_at) VALUES",
                    "(?, ?, ?, ?, ?)", "");
    psy_status rc = PSY_OK;
    for (size_t i = 0; !rc && i < R->nc; i++) {
        const struct claim *c = &R->c[i];
        char *f = json_dumps(c->findings, JSON_COMPACT);
        psy__batch_int64(&cb, c->id);
        psy__batch_int64(&cb, practice);
        psy__batch_text(&cb, c->number);
        psy__batch_int64(&cb, c->client);
        psy__batch_int64(&cb, c->payer);
        psy__batch_int64(&cb, c->policy);
        psy__batch_int64(&cb, c->clinician);
        psy__batch_text(&cb, c->date);
        psy__batch_text(&cb, c->pos);
        psy__batch_text(&cb, c->auth);
        psy__batch_text(&cb, c->profile);
        psy__batch_text(&cb, c->ready ? "ready" : "draft");
        psy__batch_int64(&cb, c->total);
        psy__batch_text(&cb, f);
        psy__batch_text(&cb, now);
        psy__batch_text(&cb, now);
        psy__batch_int64(&cb, c->version);
        free(f);
        rc = psy__batch_row(&cb);
    }
    if (!rc) rc = psy__batch_flush(&cb);
    for (size_t i = 0; !rc && i < R->nl; i++) {
        const struct line *l = &R->l[i];
        if (l->nc == SIZE_MAX) continue;
        psy__batch_int64(&lb, l->claim);
        psy__batch_int64(&lb, l->number);
        psy__batch_int64(&lb, l->session);
        psy__batch_int64(&lb, l->client);
        psy__batch_text(&lb, l->code);
        psy__batch_text(&lb, l->mods);
        psy__batch_int64(&lb, l->units);
        psy__batch_int64(&lb, l->charge);
        psy__batch_text(&lb, l->pos);
        psy__batch_text(&lb, l->ptrs);
        psy__batch_text(&lb, l->rules);
        psy__batch_text(&lb, l->explanation);
        rc = psy__batch_row(&lb);
    }
    if (!rc) rc = psy__batch_flush(&lb);
    for (size_t i = 0; !rc && i < R->ncsr; i++) {
        psy__batch_int64(&sb, practice);
        psy__batch_int64(&sb, R->cs_rows[i].session);
        psy__batch_int64(&sb, R->cs_rows[i].client);
        psy__batch_int64(&sb, R->c[R->cs_rows[i].claim].id);
        rc = psy__batch_row(&sb);
    }
    if (!rc) rc = psy__batch_flush(&sb);
    for (size_t i = 0; !rc && i < R->nc; i++) {
        if (!R->c[i].ready) continue;
        psy__batch_int64(&hb, R->c[i].id);
        psy__batch_text(&hb, "draft");
        psy__batch_text(&hb, "ready");
        psy__batch_text(&hb, "the scrubber found no errors");
        psy__batch_text(&hb, now);
        rc = psy__batch_row(&hb);
    }
    if (!rc) rc = psy__batch_flush(&hb);
    psy__batch_free(&cb);
    psy__batch_free(&lb);
    psy__batch_free(&sb);
    psy__batch_free(&hb);
    return rc;
}

/* Bills the members of sessions ss[0..n) (dates from..to) in one transaction. *fallback: a member would
 * join a claim already open in the database, nothing was done. */
static psy_status stretch(struct build *B, const struct psy_session *ss, size_t n, const struct psy_billable *bs,
                          const size_t *of, size_t nb, struct psy_coding_result *cr, int *fallback)
{
    const char *from = ss[0].service_date, *to = ss[n - 1].service_date;
    *fallback = 0;
    psy_status rc = load_stretch(B, from, to);
    mark(B->ph, PH_LOAD);
    for (size_t i = 0; !rc && i < nb; i++) {
        struct key k = claim_key(bs[i].client_id, bs[i].payer_id, bs[i].clinician_id, bs[i].service_date);
        if (bs[i].policy_id && index_get(&B->open, k) != SIZE_MAX && !billed_already(B, &bs[i])) *fallback = 1;
    }
    if (rc || *fallback) return rc;
    for (size_t i = 0; !rc && i < nb; i++) {
        B->r->members++;
        rc = bill(B, &bs[i], &ss[of[i]], cr);
    }
    if (!rc) rc = reserve_ids(B);
    mark(B->ph, PH_CODE);
    if (!rc) rc = scrub_held(B, from, to, !B->wr);
    if (!rc && !B->wr) { /* in turn: the billed codes went out in scrub_held, inside this transaction */
        struct rows own = {.l = B->l, .nl = B->nl, .c = B->c, .nc = B->nc, .cs_rows = B->cs_rows, .ncsr = B->ncsr};
        rc = write_rows(B->st, B->practice, &own);
    }
    mark(B->ph, PH_WRITE);
    return rc;
}

/* Members per stretch (one transaction, at most about this many members' lines held in memory); tests
 * make it small. A stretch ends at a change of date when it can and holds at most want members unless
 * one session alone has more (that session is billed member by member). */
int psy__billing_stretch_items = 8192;


static size_t stretch_end(const struct psy_session *ss, size_t n, size_t from, const size_t *members, size_t want)
{
    size_t m = 0, last_date_change = from;
    for (size_t i = from; i < n; i++) {
        if (i > from && strcmp(ss[i].service_date, ss[i - 1].service_date)) {
            last_date_change = i;
            if (m >= want) return i;
        }
        if (i > from && m + members[i] > want) return last_date_change > from ? last_date_change : i;
        m += members[i];
    }
    return n;
}

/* How many members each session bills (present attendance of a group, else 1). */
static psy_status members_of(psy_store *st, psy_id practice, const struct psy_session *ss, size_t n, size_t *members)
{
    for (size_t i = 0; i < n; i++) members[i] = 1;
    if (!n) return PSY_OK;
    psy__stmt *s = psy__db_stmt(st,
                                "SELECT a.session_id, count(*) FROM attendance a JOIN session s ON s.id = "
                                "a.session_id WHERE a.practice_id = ? AND a.present = 1 AND s.practice_id = ? AND "
                                "s.service_date >= ? AND s.service_date <= ? GROUP BY a.session_id",
                                PSY_ARGS(PSY_INT(practice), PSY_INT(practice), PSY_TEXT(ss[0].service_date),
                                         PSY_TEXT(ss[n - 1].service_date)));
    if (!s) return psy__store_dbfail(st, "attendance");
    struct owner *at = psy__malloc(n * sizeof *at); /* session id -> its index */
    for (size_t i = 0; i < n; i++) at[i] = (struct owner){ss[i].id, (psy_id)i, 0};
    qsort(at, n, sizeof *at, cmp_owner);
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        struct owner key = {psy__sql_int64(s, 0), 0, 0}, *o = bsearch(&key, at, n, sizeof key, cmp_owner);
        if (o) members[o->session] = (size_t)psy__sql_int64(s, 1);
    }
    free(at);
    psy__sql_finalize(s);
    return r == PSY_SQL_ERROR ? psy__store_dbfail(st, "attendance") : PSY_OK;
}

/* SQLite's foreign-key checks off (on = 0) or back on around the transaction of one stretch. Every row a
 * stretch writes points at rows it read in that same transaction, which BEGIN IMMEDIATE holds against
 * every other writer, and psyclaim never deletes a practice, client, payer, policy, clinician or session:
 * the checks could not fail, and they cost a fifth of the writes (a parent look-up per key, twelve per
 * member). Nothing on PostgreSQL, nor inside a caller's transaction (SQLite ignores the pragma there). */
static psy_status fk_checks(psy_store *st, int on)
{
    if (psy__db_dialect(st) != PSY_DB_SQLITE || psy__store_in_transaction(st)) return PSY_OK;
    return psy__store_exec(st, on ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF");
}

/* --- the stretch before, written on a connection of its own ----------------------------------------
 * With a second connection to the database (the reads ahead have one), a stretch's claims are written
 * on a third thread and a third connection while the build reads, codes and scrubs the next stretch.
 * A stretch writes nothing another one reads: its claims, lines, members and billed codes are of its
 * own sessions and dates, the audit takes the billed codes from the stretch in memory, and two stretches
 * that share a date (a date with more members than a stretch holds) are never in flight together. Its
 * transaction is its own, as in turn. The build waits for the write before handing over the next
 * stretch, before billing members one by one, and at the end; a write that fails fails the build as a
 * stretch failing in turn does: the stretches before it stay committed, nothing of it or after it is
 * kept. On SQLite the build takes ids past those of the stretch being written; the writer makes sure,
 * under its write lock, that nobody else took them meanwhile. */
struct writer {
    psy_store *st; /* its own connection (psy__store_twin) */
    psy_id practice;
    pthread_t t;
    int running;
    struct rows w; /* the stretch being written */
    char from[PSY_DATE_MAX], to[PSY_DATE_MAX];
    psy_status rc;
};

static void *writer_run(void *arg)
{
    struct writer *w = arg;
    psy_store *st = w->st;
    psy_status rc = psy__store_begin(st);
    if (!rc) {
        if (psy__db_dialect(st) == PSY_DB_SQLITE && w->w.nc) {
            int64_t top = 0;
            rc = psy__db_int(st, &top, "SELECT COALESCE(max(id), 0) FROM claim", PSY_NOARGS);
            if (!rc && top >= w->w.c[0].id)
                rc = psy__store_fail(st, PSY_ECONFLICT,
                                     "claims build: claim #%lld was added while the build ran, so the claims of %s "
                                     "to %s were not written; run the build again",
                                     (long long)top, w->from, w->to);
        }
        if (!rc) rc = psy__records_billed_many(st, w->practice, w->from, w->to, w->w.bi, w->w.nbi);
        if (!rc) rc = write_rows(st, w->practice, &w->w);
        if (rc) psy__store_rollback(st);
        else if (!(rc = psy__store_commit(st)) && w->w.ncsr && psy__billing_chunk_hook) psy__billing_chunk_hook();
    }
    w->rc = rc;
    return NULL;
}

/* A writer when the reads ahead have a connection (two processors, not off, not inside a transaction).
 * Its connection writes nothing but stretches, so its foreign-key checks go off once, here: turning them
 * off and on around each stretch made SQLite compile every statement again (a pragma's change expires the
 * connection's prepared statements). */
static void writer_open(struct build *B)
{
    if (!B->ahead.twin) return;
    psy_store *st = psy__store_twin(B->st);
    if (!st) return;
    if (fk_checks(st, 0)) {
        psy_store_close(st);
        return;
    }
    B->wr = psy__calloc(1, sizeof *B->wr);
    B->wr->st = st;
    B->wr->practice = B->practice;
}

/* Waits for the stretch being written, if one is; its failure becomes the build's. */
static psy_status writer_join(struct build *B)
{
    struct writer *w = B->wr;
    if (!w || !w->running) return PSY_OK;
    pthread_join(w->t, NULL);
    w->running = 0;
    rows_clear(&w->w);
    return w->rc ? psy__store_fail(B->st, w->rc, "%s", psy_store_errmsg(w->st)) : PSY_OK;
}

/* Hands the stretch [from, to] the build has scrubbed to the writer, once the one before is written. */
static psy_status writer_start(struct build *B, const char *from, const char *to)
{
    struct writer *w = B->wr;
    psy_status rc = writer_join(B);
    if (rc) return rc;
    rows_swap(B, &w->w);
    snprintf(w->from, sizeof w->from, "%s", from);
    snprintf(w->to, sizeof w->to, "%s", to);
    w->rc = PSY_OK;
    w->running = !pthread_create(&w->t, NULL, writer_run, w);
    if (w->running) return PSY_OK;
    writer_run(w); /* no thread to be had: written now */
    rows_clear(&w->w);
    return w->rc ? psy__store_fail(B->st, w->rc, "%s", psy_store_errmsg(w->st)) : PSY_OK;
}

/* Waits for the last write and closes the writer; rc, or the write's failure when rc is none. */
static psy_status writer_close(struct build *B, psy_status rc)
{
    if (!B->wr) return rc;
    psy_status wrc = writer_join(B);
    rows_free(&B->wr->w);
    psy_store_close(B->wr->st);
    free(B->wr);
    B->wr = NULL;
    return rc ? rc : wrc;
}

/* Bills the signed sessions ss[0..n) (whole dates) stretch by stretch. */
static psy_status bill_window(struct build *B, struct psy_session *ss, size_t n, size_t want,
                              struct psy_coding_result *cr)
{
    psy_store *st = B->st;
    struct psy_billing_build_result *r = B->r;
    size_t *members = psy__calloc(n ? n : 1, sizeof *members);
    psy_status rc = members_of(st, B->practice, ss, n, members);
    for (size_t at = 0; !rc && at < n;) {
        size_t end = stretch_end(ss, n, at, members, want);
        size_t next = end < n ? stretch_end(ss, n, end, members, want) : end;
        snprintf(B->next_from, sizeof B->next_from, "%s", end < n ? ss[end].service_date : "");
        snprintf(B->next_to, sizeof B->next_to, "%s", end < n ? ss[next - 1].service_date : "");
        B->next_ss = end < n ? ss + end : NULL;
        B->next_n = next - end;
        ahead_start(B, ss[at].service_date, ss[end - 1].service_date, ss + at, end - at);
        struct psy_billable *bs = NULL;
        size_t *of = NULL, nb = 0;
        int fallback = 0;
        /* one session with more members than a stretch holds goes member by member */
        mark(B->ph, PH_SESSIONS);
        if (!ahead_billables(B, ss + at, end - at, &bs, &of, &nb))
            rc = psy__records_billables(st, B->practice, ss + at, end - at, &bs, &of, &nb);
        mark(B->ph, PH_BILLABLES);
        int giant = !rc && nb > want;
        if (giant) {
            fallback = 1;
        } else if (!rc && B->wr) { /* a writer writes it while the next stretch is billed */
            if (B->wr->running && strcmp(B->wr->to, ss[at].service_date) >= 0) rc = writer_join(B); /* a date shared */
            if (!rc) rc = stretch(B, ss + at, end - at, bs, of, nb, cr, &fallback);
            if (!rc && !fallback && (B->nc || B->nbi))
                rc = writer_start(B, ss[at].service_date, ss[end - 1].service_date);
            mark(B->ph, PH_COMMIT);
        } else if (!rc && !(rc = fk_checks(st, 0)) && !(rc = psy__store_begin(st))) {
            rc = stretch(B, ss + at, end - at, bs, of, nb, cr, &fallback);
            if (rc || fallback) psy__store_rollback(st);
            else if (!(rc = psy__store_commit(st)) && B->ncsr && psy__billing_chunk_hook) psy__billing_chunk_hook();
            mark(B->ph, PH_COMMIT);
        }
        psy_status fk = B->wr ? PSY_OK : fk_checks(st, 1);
        if (!rc) rc = fk;
        stretch_clear(B);
        if (!rc && fallback) rc = writer_join(B); /* what it wrote is read below */
        if (!rc && fallback) {
            /* members joining claims open in the database: member by member (billing_build.c) */
            struct psy__chunk c2 = {.st = st, .cx = B->cx, .practice = B->practice};
            for (size_t i = 0; !rc && i < nb; i++) {
                /* a chunk ends at a change of date (or anywhere in one session too large for a stretch) */
                c2.hold = !giant && i > 0 && !strcmp(bs[i].service_date, bs[i - 1].service_date);
                if ((rc = psy__chunk_step(&c2))) break;
                r->members++;
                psy_id claim = 0;
                rc = psy__billing_bill_member(st, B->cx, B->practice, &bs[i], r, &claim, cr);
                if (!rc && claim) psy__chunk_touch(&c2, claim);
            }
            rc = psy__chunk_end(&c2, rc, &r->ready, &r->draft);
        }
        free(bs);
        free(of);
        at = end;
    }
    ahead_drop(B); /* the next window of sessions starts its own */
    free(members);
    return rc;
}

/* Dates with a count each (rows "date, count" of sql, in date order) into *out; table names the failure. */
struct day {
    char date[PSY_DATE_MAX];
    size_t count;
};
static psy_status day_counts(psy_store *st, const char *table, struct day **out, size_t *n, const char *sql,
                             const psy__arg *a, int na)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    psy__stmt *s = psy__db_stmt(st, sql, a, na);
    if (!s) return psy__store_dbfail(st, table);
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        struct day *d = PSY__PUSH(*out, *n, cap);
        psy__db_col_copy(s, 0, d->date, sizeof d->date);
        d->count = (size_t)psy__sql_int64(s, 1);
    }
    psy__sql_finalize(s);
    if (r != PSY_SQL_ERROR) return PSY_OK;
    free(*out);
    *out = NULL;
    *n = 0;
    return psy__store_dbfail(st, table);
}

/* The items the dates hold in all, reported as the start of the work `what` (psy__progress). */
static long long days_start(psy_store *st, const char *what, const struct day *days, size_t ndays)
{
    long long total = 0;
    for (size_t d = 0; d < ndays; d++) total += (long long)days[d].count;
    psy__progress(st, what, 0, total);
    return total;
}

/* The items a stretch aims at (psy__billing_stretch_items, at least 1). */
static size_t stretch_want(void)
{
    return psy__billing_stretch_items > 0 ? (size_t)psy__billing_stretch_items : 1;
}

psy_status psy_billing_build(psy_store *st, const psy_coder *cx, psy_id practice, const char *from, const char *to,
                             struct psy_billing_build_result *r)
{
    memset(r, 0, sizeof *r);
    struct phases ph;
    phases_start(&ph);
    const char *lo = from && *from ? from : "0000-00-00", *hi = to && *to ? to : "9999-99-99";
    /* drafts an interrupted build committed without scrubbing them are scrubbed first */
    struct psy__chunk ch = {.st = st, .cx = cx, .practice = practice};
    psy_id *left = NULL;
    size_t nl = 0;
    psy_status rc = psy__billing_claim_ids(st, practice, "status = 'draft' AND scrubbed_at = ''", &left, &nl);
    for (size_t i = 0; !rc && i < nl; i++)
        if (!(rc = psy__chunk_step(&ch))) psy__chunk_touch(&ch, left[i]);
    free(left);
    r->resumed = (long)nl;
    rc = psy__chunk_end(&ch, rc, &r->ready, &r->draft);
    /* the dates of the period with their number of sessions: the sessions are read a window of dates
     * at a time, so what the build holds stays bounded whatever the period */
    struct day *days = NULL;
    size_t ndays = 0;
    if (!rc)
        rc = day_counts(st, "session", &days, &ndays,
                        "SELECT service_date, count(*) FROM session WHERE practice_id = ? AND service_date >= ? AND "
                        "service_date <= ? GROUP BY service_date ORDER BY service_date",
                        PSY_ARGS(PSY_INT(practice), PSY_TEXT(lo), PSY_TEXT(hi)));
    struct build B = {.st = st, .cx = cx, .practice = practice, .r = r, .ph = &ph, .keep = psy__elig_keep_new()};
    if (!rc && ndays) rc = load_practice(&B);
    if (!rc && ndays) ahead_open(&B);
    if (!rc && ndays) writer_open(&B);
    mark(&ph, PH_START);
    struct psy_coding_result *cr = psy__malloc(sizeof *cr);
    size_t want = stretch_want();
    long long done = 0, total = rc ? 0 : days_start(st, "claims build", days, ndays);
    for (size_t d = 0; !rc && d < ndays;) {
        size_t e = d, count = 0;
        while (e < ndays && (e == d || count + days[e].count <= 2 * want)) count += days[e++].count;
        struct psy_session *ss = NULL;
        size_t n = 0, k = 0;
        rc = psy_records_session_list(st, practice, days[d].date, days[e - 1].date, &ss, &n);
        for (size_t i = 0; !rc && i < n; i++) /* the signed sessions only */
            if (ss[i].signed_at[0]) ss[k++] = ss[i];
        r->sessions += (long)k;
        if (!rc) rc = bill_window(&B, ss, k, want, cr);
        free(ss);
        d = e;
        if (!rc) psy__progress(st, "claims build", done += (long long)count, total);
    }
    free(cr);
    free(days);
    rc = writer_close(&B, rc);
    ahead_close(&B);
    build_free(&B);
    phases_print(&ph);
    return rc;
}

/* --- the stored claims scrubbed again (psy_billing_scrub_all) ------------------------------------------
 * After the records were corrected, every draft and ready claim is scrubbed again, a stretch of dates at
 * a time, with the build's pieces: the claims of the dates and every line on them are read at once, the
 * claims' own checks run on a second thread while the audit of the dates reads, and the verdicts go out
 * as one multi-row update and the status moves' history rows. The findings, statuses, versions and
 * history rows are those of psy_billing_scrub claim by claim (test_scrub_all compares them). A claim
 * that is not a plain original (a replacement, a void, a next payer's claim) is left to that path. */

/* The draft and ready claims of the dates, in id order, into B->c (a lock on each on PostgreSQL: nothing
 * else changes them before the stretch commits); the others' ids onto *rest. */
static psy_status load_open(struct build *B, const char *from, const char *to, psy_id **rest, size_t *nrest,
                            size_t *caprest)
{
    psy_store *st = B->st;
    char sql[900];
    snprintf(sql, sizeof sql,
             "SELECT c.id, c.claim_number, c.client_id, c.payer_id, c.policy_id, c.clinician_id, c.service_date, "
             "c.place_of_service, c.prior_auth, c.payer_profile, c.status, c.total_cents, c.findings, CASE WHEN "
             "c.frequency = 1 AND c.replaces_claim_id IS NULL AND c.cob_from_claim_id IS NULL THEN 1 ELSE 0 END, "
             "CASE WHEN c.scrubbed_at <> '' THEN 1 ELSE 0 END FROM claim c WHERE c.practice_id = ? AND "
             "c.service_date >= ? AND c.service_date <= ? AND c.status IN ('draft', 'ready') ORDER BY c.id%s",
             psy__db_dialect(st) == PSY_DB_POSTGRES ? " FOR UPDATE" : "");
    psy__stmt *s = psy__db_stmt(st, sql, PSY_ARGS(PSY_INT(B->practice), PSY_TEXT(from), PSY_TEXT(to)));
    if (!s) return psy__store_dbfail(st, "claim");
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        if (!psy__sql_int64(s, 13)) {
            *PSY__PUSH(*rest, *nrest, *caprest) = psy__sql_int64(s, 0);
            continue;
        }
        struct claim *c = PSY__PUSH(B->c, B->nc, B->capc); /* zeroed */
        c->id = psy__sql_int64(s, 0);
        psy__db_col_copy(s, 1, c->number, sizeof c->number);
        c->client = psy__sql_int64(s, 2);
        c->payer = psy__sql_int64(s, 3);
        c->policy = psy__sql_int64(s, 4);
        c->clinician = psy__sql_int64(s, 5);
        psy__db_col_copy(s, 6, c->date, sizeof c->date);
        psy__db_col_copy(s, 7, c->pos, sizeof c->pos);
        psy__db_col_copy(s, 8, c->auth, sizeof c->auth);
        psy__db_col_copy(s, 9, c->profile, sizeof c->profile);
        c->was_ready = !strcmp(psy__sql_text(s, 10), "ready");
        c->total = psy__sql_int64(s, 11);
        const char *f = psy__sql_text(s, 12);
        if (psy__sql_int64(s, 14)) c->stored = psy__strdup(f ? f : "");
        c->findings = f ? json_loads(f, 0, NULL) : NULL;
        if (!json_is_array(c->findings)) {
            json_decref(c->findings);
            c->findings = json_array();
        }
        c->first_line = c->last_line = SIZE_MAX;
    }
    psy__sql_finalize(s);
    return r == PSY_SQL_ERROR ? psy__store_dbfail(st, "claim") : PSY_OK;
}

/* Puts the lines load_stretch read on the claims load_open read (both in claim id, then line order). */
static void link_open(struct build *B)
{
    size_t ci = 0;
    for (size_t i = 0; i < B->nl && ci < B->nc; i++) {
        struct line *l = &B->l[i];
        while (ci < B->nc && B->c[ci].id < l->claim) ci++;
        if (ci == B->nc || B->c[ci].id != l->claim) continue;
        struct claim *c = &B->c[ci];
        l->nc = ci;
        if (c->first_line == SIZE_MAX) c->first_line = i;
        else B->l[c->last_line].next_claim = i;
        c->last_line = i;
        c->nlines++;
    }
}

/* The verdicts of the stretch: findings and scrub time of every claim, the status and version of those
 * whose verdict changed, each move with its history row (psy_billing_scrub's reasons). A claim scrubbed
 * before whose status and findings come out as they are stored is not written again: on PostgreSQL each
 * row written is a new row version with an entry in each of claim's indexes (scrubbed_at is in one). */
static psy_status write_verdicts(struct build *B)
{
    char now[PSY_REC_TIME_MAX], tail[400];
    psy__billing_now(now);
    snprintf(tail, sizeof tail,
             ") UPDATE claim SET findings = v.findings, scrubbed_at = v.scrubbed_at, status = v.status, version = "
             "claim.version + v.moves FROM v WHERE claim.id = v.id AND claim.practice_id = %lld AND claim.status = "
             "v.old",
             (long long)B->practice);
    struct psy__batch ub, hb;
    psy__batch_init(&ub, B->st, "WITH v (id, findings, scrubbed_at, status, moves, old) AS (VALUES",
                    "(CAST(? AS BIGINT), ?, ?, ?, CAST(? AS INTEGER), ?)", tail);
    psy__batch_init(&hb, B->st,
                    "INSERT INTO claim_status_history (claim_id, from_status, to_status, reason, changed_at) VALUES",
                    "(?, ?, ?, ?, ?)", "");
    psy_status rc = PSY_OK;
    size_t written = 0;
    for (size_t i = 0; !rc && i < B->nc; i++) {
        const struct claim *c = &B->c[i];
        const char *was = c->was_ready ? "ready" : "draft", *is = c->ready ? "ready" : "draft";
        char *f = json_dumps(c->findings, JSON_COMPACT);
        if (c->stored && c->ready == c->was_ready && !strcmp(f ? f : "[]", c->stored)) {
            free(f);
            continue;
        }
        written++;
        psy__batch_int64(&ub, c->id);
        psy__batch_text(&ub, f ? f : "[]");
        psy__batch_text(&ub, now);
        psy__batch_text(&ub, is);
        psy__batch_int64(&ub, c->ready != c->was_ready);
        psy__batch_text(&ub, was);
        free(f);
        rc = psy__batch_row(&ub);
    }
    if (!rc) rc = psy__batch_flush(&ub);
    if (!rc && ub.changes != (int64_t)written)
        rc = psy__store_fail(B->st, PSY_ECONFLICT, "claim status: %lld of %zu claims changed while they were scrubbed",
                             (long long)((int64_t)written - ub.changes), written);
    for (size_t i = 0; !rc && i < B->nc; i++) {
        const struct claim *c = &B->c[i];
        if (c->ready == c->was_ready) continue;
        psy__batch_int64(&hb, c->id);
        psy__batch_text(&hb, c->was_ready ? "ready" : "draft");
        psy__batch_text(&hb, c->ready ? "ready" : "draft");
        psy__batch_text(&hb, c->ready ? "the scrubber found no errors" : "the scrubber found errors");
        psy__batch_text(&hb, now);
        rc = psy__batch_row(&hb);
    }
    if (!rc) rc = psy__batch_flush(&hb);
    psy__batch_free(&ub);
    psy__batch_free(&hb);
    return rc;
}

/* One stretch of dates, in the caller's transaction. */
static psy_status rescrub_stretch(struct build *B, const char *from, const char *to, psy_id **rest, size_t *nrest,
                                  size_t *caprest)
{
    psy_status rc = load_open(B, from, to, rest, nrest, caprest);
    if (!rc && B->nc) rc = load_stretch(B, from, to);
    if (rc || !B->nc) return rc;
    link_open(B);
    rc = scrub_held(B, from, to, 0);
    if (!rc) rc = write_verdicts(B);
    return rc;
}

/* The end of the stretch of open claims' dates that starts at days[d]: whole dates, about want claims (a
 * date with more is a stretch of its own); a gap of more than a week between two dates of open claims
 * ends a stretch too, so that the audit does not read the sessions of a long stretch of dates for a few
 * claims. */
static size_t rescrub_end(const struct day *days, size_t ndays, size_t d, size_t want)
{
    size_t e = d, count = 0;
    while (e < ndays &&
           (e == d || (count + days[e].count <= want && psy_date_between(days[e - 1].date, days[e].date) <= 7)))
        count += days[e++].count;
    return e;
}

psy_status psy__billing_rescrub(psy_store *st, const psy_coder *cx, psy_id practice, long *ready, long *draft,
                                psy_id **rest, size_t *nrest)
{
    *ready = *draft = 0;
    *rest = NULL;
    *nrest = 0;
    size_t caprest = 0;
    struct day *days = NULL;
    size_t ndays = 0;
    psy_status rc = day_counts(st, "claim", &days, &ndays,
                               "SELECT service_date, count(*) FROM claim WHERE practice_id = ? AND status IN "
                               "('draft', 'ready') GROUP BY service_date ORDER BY service_date",
                               PSY_ARGS(PSY_INT(practice)));
    if (rc) return rc;
    struct psy_billing_build_result res = {0};
    struct phases ph = {0};
    struct build B = {.st = st, .cx = cx, .practice = practice, .r = &res, .ph = &ph, .keep = psy__elig_keep_new()};
    rc = ndays ? load_practice(&B) : PSY_OK;
    size_t want = stretch_want();
    long long done = 0, total = rc ? 0 : days_start(st, "claims scrub", days, ndays);
    if (ndays && !rc) ahead_open(&B);
    for (size_t d = 0; !rc && d < ndays;) {
        size_t e = rescrub_end(days, ndays, d, want), f = e < ndays ? rescrub_end(days, ndays, e, want) : e;
        snprintf(B.next_from, sizeof B.next_from, "%s", e < ndays ? days[e].date : "");
        snprintf(B.next_to, sizeof B.next_to, "%s", e < ndays ? days[f - 1].date : "");
        ahead_start(&B, days[d].date, days[e - 1].date, NULL, 0);
        if (!(rc = psy__store_begin(st))) {
            rc = rescrub_stretch(&B, days[d].date, days[e - 1].date, rest, nrest, &caprest);
            if (rc) psy__store_rollback(st);
            else if (!(rc = psy__store_commit(st)) && B.nc && psy__billing_chunk_hook) psy__billing_chunk_hook();
        }
        stretch_clear(&B);
        /* the stretch's other claims are scrubbed claim by claim at the end: counted then */
        for (size_t i = d; i < e; i++) done += (long long)days[i].count;
        if (!rc) psy__progress(st, "claims scrub", done - (long long)*nrest, total);
        d = e;
    }
    ahead_close(&B);
    free(days);
    build_free(&B);
    if (rc) {
        free(*rest);
        *rest = NULL;
        *nrest = 0;
        return rc;
    }
    *ready = res.ready;
    *draft = res.draft;
    return PSY_OK;
}
