/*
 * audit.c -- the auditor's checks over a practice's records in a period (rule ids in docs/records.md):
 * R-DOC-SIGN unsigned or missing notes, R-TIME-4 missing times, R-TIME-1 minutes outside the billed
 * code's band, R-GRP-1 group size over a payer's limit, R-GRP-2 member notes of one session that copy
 * each other, R-GRP-3 an absent member billed, R-GRP-4 a member present under the payer's group
 * minimum, R-DOC-CLONE a note repeating an earlier session's note, R-PLAN-1 no plan in force or a plan
 * past review, R-DX-1 diagnosis missing or not billable, R-DX-2 psychotherapy on Z codes alone,
 * R-CRED-1/2 a clinician's credential the payer does not pay for the code, R-AUTH-1 authorisation
 * missing, expired or used up, R-TH-2 telehealth without modality or consent; with audit_day.c the
 * impossible days (R-IMP-*) and with audit_necessity.c the plan's diagnosis and frequency (R-PLAN-2/3),
 * co-therapists (R-CRED-3), documentation elements (R-DOC-IC/FAM/CRISIS/AUDIO) and Medicare's in-person
 * visit (R-TH-4); with audit_elig.c, R-ELIG-1/2 a session the payer's 271 reports uninsured or beyond
 * the visits allowed.
 *
 * The one idea: load the period once (a handful of ordered queries, no query per session), turn it into
 * billable lines (the client of a session, each member of a group session), and run every check over
 * those arrays; checks about a client, plan or authorisation are gathered into one finding per record
 * with the count and first date. Clone detection streams the note texts into a MinHash/LSH index
 * (audit_clone.c) and reads the texts of the pairs it proposes in one more pass over the notes, so the
 * whole audit stays linear in the number of sessions. The SQL goes through psy_db.h: the same on
 * SQLite and PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "audit_int.h"
#include "records_bulk.h"
#include "coding_int.h"
#include "psy_db.h"

/* --- settings ---------------------------------------------------------------------------------------- */

void psy__audit_conf(struct psy__audit_conf *c)
{
    c->clone_threshold = 0.8;
    c->shingle_words = 3;
    c->bands = 20;
    c->rows = 7;
    c->min_shingles = 5;
    c->compare_window = 4;
    c->group_max_default = 12;
    c->clinician_day_minutes_max = 720;
    snprintf(c->medicare_in_person_from, sizeof c->medicare_in_person_from, "2028-01-01");
    const char *text = psy_data_get("audit/audit.json", NULL);
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    if (!j) return;
    json_t *v;
    if ((v = json_object_get(j, "clone_threshold")) && json_is_number(v)) c->clone_threshold = json_number_value(v);
    if ((v = json_object_get(j, "medicare_in_person_from")) && (json_is_null(v) || json_is_string(v)))
        snprintf(c->medicare_in_person_from, sizeof c->medicare_in_person_from, "%s",
                 json_is_string(v) ? json_string_value(v) : "");
    static const struct { const char *key; size_t off; } ints[] = {
        {"shingle_words", offsetof(struct psy__audit_conf, shingle_words)},
        {"minhash_bands", offsetof(struct psy__audit_conf, bands)},
        {"minhash_rows", offsetof(struct psy__audit_conf, rows)},
        {"min_shingles", offsetof(struct psy__audit_conf, min_shingles)},
        {"compare_window", offsetof(struct psy__audit_conf, compare_window)},
        {"group_max_default", offsetof(struct psy__audit_conf, group_max_default)},
        {"clinician_day_minutes_max", offsetof(struct psy__audit_conf, clinician_day_minutes_max)},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if ((v = json_object_get(j, ints[i].key)) && json_is_integer(v) && json_integer_value(v) > 0)
            *(int *)((char *)c + ints[i].off) = (int)json_integer_value(v);
    json_decref(j);
}

struct band {
    char code[PSY_CODE_MAX];
    int min, max; /* max 0 = none */
};

static size_t load_bands(struct band *out, size_t cap)
{
    size_t n = 0, i;
    const char *text = psy_data_get("audit/time_bands.json", NULL);
    json_t *j = text ? json_loads(text, 0, NULL) : NULL, *b;
    json_array_foreach(json_object_get(j, "bands"), i, b)
    {
        const char *code = json_string_value(json_object_get(b, "code"));
        if (!code || n == cap) continue;
        snprintf(out[n].code, sizeof out[n].code, "%s", code);
        out[n].min = (int)json_integer_value(json_object_get(b, "min"));
        out[n].max = (int)json_integer_value(json_object_get(b, "max"));
        n++;
    }
    json_decref(j);
    return n;
}

const char *psy_audit_severity_name(psy_audit_severity s) { return s == PSY_AUDIT_ERROR ? "error" : "warning"; }

double psy_audit_similarity(const char *a, const char *b)
{
    struct psy__audit_conf conf;
    struct psy__shingles x = {0}, y = {0};
    psy__audit_conf(&conf);
    psy__shingle(a, conf.shingle_words, 1, &x);
    psy__shingle(b, conf.shingle_words, 1, &y);
    double s = psy__jaccard(&x, &y);
    psy__shingles_free(&x);
    psy__shingles_free(&y);
    return s;
}

/* --- the period in memory ------------------------------------------------------------------------------ */

typedef char date_t[PSY_DATE_MAX];

struct a_payer {
    psy_id id;
    int group_max, requires_auth, medicare;
    char profile[32]; /* the billing profile's id (data/payers) */
};
struct a_clinician {
    psy_id id;
    char credential[16];
};
struct a_policy {
    psy_id id, client, payer;
    date_t start, end;
};
struct a_plan {
    psy_id id, client;
    int modalities, is_signed;
    date_t start, end, review;
};
struct a_auth {
    psy_id id, client, payer;
    int approved, prior, ncodes;
    date_t start, end;
    char codes[PSY_REC_AUTH_CODES_MAX][PSY_CODE_MAX];
};
struct a_client {
    psy_id id;
    date_t consent;
    int ndx;
    char dx[PSY_REC_DX_MAX][PSY_CODE_MAX];
    size_t pol, npol, plan, nplan, auth, nauth; /* ranges in the arrays above */
};
struct a_session {
    psy_id id, client, group;
    char kind[12];
    date_t date;
    int has_start, has_stop, explicit_minutes, minutes, telehealth, group_kind;
    int64_t start, stop; /* epoch seconds; 0 = not recorded */
    char th_modality[6], location[6], billed[PSY_CODE_MAX];
    size_t att, natt;
    psy_id note;       /* the individual note, or the group note */
    int note_signed;
    psy_id clinician;
};
struct a_att {
    psy_id id, session, client, policy;
    int present, late, early;
    char billed[PSY_CODE_MAX];
    psy_id note;
    int note_signed;
};
struct a_line { /* one client billed (or billable) for one session */
    size_t s;          /* session index */
    long a;            /* attendance index, -1 for a non-group session */
    struct a_client *c;
    const struct a_policy *pol; /* primary policy in force, or NULL */
    const struct a_payer *payer;
};
struct a_used { /* a line that came after its authorisation ran out */
    psy_id session, client, auth;
};
struct a_doc { /* one note in the clone index */
    psy_id note, session, client;
    size_t s;
};
struct agg { /* one finding gathered over many lines */
    struct psy_audit_finding f;
    uint64_t key;
    long count;
    date_t first;
};

struct audit {
    psy_store *st;
    psy_id practice;
    /* for the claims build (psy__audit_collect_days): notes compared only with notes of the same service
     * date, and only the findings on sessions, attendance records and notes (what a claim carries); the
     * checks whose findings concern a client, a plan or an authorisation alone (R-PLAN-1, R-DX-1/2,
     * R-AUTH-1) are not run, nor are their records read */
    int for_claims;
    struct psy__elig_keep *keep; /* the visits read before, kept by a claims build (NULL: none) */
    struct psy__audit_conf conf;
    date_t from, to, as_of;
    int unsigned_days;
    struct a_payer *payers;
    size_t npayers;
    struct a_policy *pols;
    size_t npols;
    struct a_plan *plans;
    size_t nplans;
    struct a_auth *auths;
    size_t nauths;
    struct a_client *clients;
    size_t nclients;
    struct a_clinician *clins;
    size_t nclins;
    struct a_session *ss;
    size_t nss;
    struct a_att *att;
    size_t natt;
    struct a_line *lines;
    size_t nlines;
    struct a_doc *docs;
    size_t ndocs;
    struct a_used *exhausted; /* lines beyond their authorisation, sorted */
    size_t nexhausted;
    struct psy_audit_finding *out;
    size_t nout, capout;
    /* the findings of audit_day.c, audit_necessity.c and audit_elig.c, which read on their own: kept
     * from the reads (audit_read) and added after the checks, in the order they came (audit_checks) */
    struct psy_audit_finding *early;
    size_t nearly, capearly;
    struct best *best; /* per note in docs: the note it copies most (check_clones) */
    struct agg *aggs;
    size_t naggs, capaggs;
    size_t *agg_index; /* open addressing over aggs by key; capacity a power of two */
    size_t agg_slots;
    long candidates, verified;
};

/* Queries run through the query API (psy_db.h); rows are read with next_row until it returns 0 (*rc
 * says whether on error), lists grow with PSY__PUSH. */
static int next_row(struct audit *au, psy__stmt *s, psy_status *rc)
{
    if (*rc || !s) return 0;
    int r = psy__sql_step(s);
    if (r == PSY_SQL_ERROR) *rc = psy__store_dbfail(au->st, "audit");
    return r == PSY_SQL_ROW;
}

static int col_int(psy__stmt *s, int i) { return (int)psy__sql_int64(s, i); }

/* Column i of the current row as text ("" for NULL). */
static const char *col_str(psy__stmt *s, int i)
{
    const char *t = psy__sql_text(s, i);
    return t ? t : "";
}


/* The text the clone checks compare: columns first..first+4 of the row (techniques, participation,
 * response, progress, plan), a line each. */
/* The note's five text columns from first on, each ended by a newline, added to b. */
static void note_text_add(psy__stmt *s, int first, struct psy__buf *b)
{
    psy__buf_puts(b, "");
    for (int c = first; c < first + 5; c++) {
        psy__buf_puts(b, col_str(s, c));
        psy__buf_puts(b, "\n");
    }
}

static void note_text(psy__stmt *s, int first, struct psy__buf *b)
{
    b->n = 0;
    note_text_add(s, first, b);
}

static struct a_client *find_client(struct audit *au, psy_id id)
{
    size_t lo = 0, hi = au->nclients;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (au->clients[mid].id == id) return &au->clients[mid];
        if (au->clients[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static const struct a_payer *find_payer(struct audit *au, psy_id id)
{
    for (size_t i = 0; i < au->npayers; i++)
        if (au->payers[i].id == id) return &au->payers[i];
    return NULL;
}

/* Sets a client's range [first, n) over an array of rows sorted by client id. */
#define ATTACH(au, arr, count, field, nfield)                                        \
    do {                                                                             \
        for (size_t i_ = 0; i_ < (count);) {                                         \
            size_t j_ = i_;                                                          \
            while (j_ < (count) && (arr)[j_].client == (arr)[i_].client) j_++;       \
            struct a_client *c_ = find_client((au), (arr)[i_].client);               \
            if (c_) {                                                                \
                c_->field = i_;                                                      \
                c_->nfield = j_ - i_;                                                \
            }                                                                        \
            i_ = j_;                                                                 \
        }                                                                            \
    } while (0)

/* The practice's own setting the checks use: how many days a note may stay unsigned. */
static psy_status load_practice(struct audit *au)
{
    psy__stmt *s;
    psy_status rc = psy__db_query(au->st, &s, "SELECT unsigned_note_days FROM practice WHERE id = ?",
                                  PSY_ARGS(PSY_INT(au->practice)));
    if (next_row(au, s, &rc)) au->unsigned_days = col_int(s, 0);
    else if (!rc)
        rc = psy__store_fail(au->st, PSY_ENOTFOUND, "id: no practice %lld in this practice", (long long)au->practice);
    psy__sql_finalize(s);
    return rc;
}

static psy_status load_reference(struct audit *au)
{
    psy__stmt *s;
    size_t cap = 0;
    psy_id p = au->practice;
    psy_status rc =
        psy__db_query(au->st, &s, "SELECT id, group_max, requires_auth, kind = 'medicare', kind, profile FROM payer WHERE practice_id = ? "
                      "ORDER BY id",
                      PSY_ARGS(PSY_INT(p)));
    while (next_row(au, s, &rc)) {
        struct a_payer *x = PSY__PUSH(au->payers, au->npayers, cap);
        x->id = psy__sql_int64(s, 0);
        x->group_max = col_int(s, 1);
        x->requires_auth = col_int(s, 2);
        x->medicare = col_int(s, 3);
        struct psy_payer py;
        memset(&py, 0, sizeof py);
        psy__db_col_copy(s, 4, py.kind, sizeof py.kind);
        psy__db_col_copy(s, 5, py.profile, sizeof py.profile);
        snprintf(x->profile, sizeof x->profile, "%s", psy_records_payer_profile(&py));
    }
    psy__sql_finalize(s);
    cap = 0;
    if (!rc)
        rc = psy__db_query(au->st, &s, "SELECT id, credential FROM clinician WHERE practice_id = ? ORDER BY id",
                           PSY_ARGS(PSY_INT(p)));
    while (next_row(au, s, &rc)) {
        struct a_clinician *x = PSY__PUSH(au->clins, au->nclins, cap);
        x->id = psy__sql_int64(s, 0);
        psy__db_col_copy(s, 1, x->credential, sizeof x->credential);
    }
    psy__sql_finalize(s);
    cap = 0;
    if (!rc)
        rc = psy__db_query(au->st, &s,
                           "SELECT id, telehealth_consent_date FROM client WHERE practice_id = ? ORDER BY id",
                           PSY_ARGS(PSY_INT(p)));
    while (next_row(au, s, &rc)) {
        struct a_client *c = PSY__PUSH(au->clients, au->nclients, cap);
        c->id = psy__sql_int64(s, 0);
        psy__db_col_copy(s, 1, c->consent, sizeof c->consent);
    }
    psy__sql_finalize(s);
    s = NULL;
    if (!rc && !au->for_claims)
        rc = psy__db_query(
            au->st, &s,
            "SELECT client_id, code FROM client_diagnosis WHERE practice_id = ? ORDER BY client_id, position",
            PSY_ARGS(PSY_INT(p)));
    while (next_row(au, s, &rc)) {
        struct a_client *c = find_client(au, psy__sql_int64(s, 0));
        if (c && c->ndx < PSY_REC_DX_MAX) psy__db_col_copy(s, 1, c->dx[c->ndx++], PSY_CODE_MAX);
    }
    psy__sql_finalize(s);
    cap = 0;
    if (!rc)
        rc = psy__db_query(au->st, &s,
                           "SELECT id, client_id, payer_id, start_date, end_date FROM policy WHERE practice_id = ? "
                           "AND priority = 1 ORDER BY client_id, start_date, id",
                           PSY_ARGS(PSY_INT(p)));
    while (next_row(au, s, &rc)) {
        struct a_policy *x = PSY__PUSH(au->pols, au->npols, cap);
        x->id = psy__sql_int64(s, 0);
        x->client = psy__sql_int64(s, 1);
        x->payer = psy__sql_int64(s, 2);
        psy__db_col_copy(s, 3, x->start, sizeof x->start);
        psy__db_col_copy(s, 4, x->end, sizeof x->end);
    }
    psy__sql_finalize(s);
    cap = 0;
    s = NULL;
    if (!rc && !au->for_claims)
        rc = psy__db_query(au->st, &s,
                           "SELECT id, client_id, covers_individual + 2 * covers_group + 4 * covers_family, "
                           "clinician_signed_at IS NOT NULL, start_date, end_date, review_date FROM treatment_plan "
                           "WHERE practice_id = ? ORDER BY client_id, start_date, id",
                           PSY_ARGS(PSY_INT(p)));
    while (next_row(au, s, &rc)) {
        struct a_plan *x = PSY__PUSH(au->plans, au->nplans, cap);
        x->id = psy__sql_int64(s, 0);
        x->client = psy__sql_int64(s, 1);
        x->modalities = col_int(s, 2);
        x->is_signed = col_int(s, 3);
        char *dates[] = {x->start, x->end, x->review};
        for (int i = 0; i < 3; i++) psy__db_col_copy(s, 4 + i, dates[i], sizeof(date_t));
    }
    psy__sql_finalize(s);
    cap = 0;
    s = NULL;
    if (!rc && !au->for_claims)
        rc = psy__db_query(
            au->st, &s,
            "SELECT a.id, a.client_id, a.payer_id, a.units_approved, a.units_prior, a.start_date, "
            "a.end_date, c.code FROM authorisation a JOIN authorisation_code c ON c.authorisation_id = a.id "
            "WHERE a.practice_id = ? ORDER BY a.client_id, a.start_date, a.id, c.code",
            PSY_ARGS(PSY_INT(p)));
    while (next_row(au, s, &rc)) {
        psy_id id = psy__sql_int64(s, 0);
        if (!au->nauths || au->auths[au->nauths - 1].id != id) {
            struct a_auth *x = PSY__PUSH(au->auths, au->nauths, cap);
            x->id = id;
            x->client = psy__sql_int64(s, 1);
            x->payer = psy__sql_int64(s, 2);
            x->approved = col_int(s, 3);
            x->prior = col_int(s, 4);
            psy__db_col_copy(s, 5, x->start, sizeof x->start);
            psy__db_col_copy(s, 6, x->end, sizeof x->end);
        }
        struct a_auth *x = &au->auths[au->nauths - 1];
        if (x->ncodes < PSY_REC_AUTH_CODES_MAX) psy__db_col_copy(s, 7, x->codes[x->ncodes++], PSY_CODE_MAX);
    }
    psy__sql_finalize(s);
    ATTACH(au, au->pols, au->npols, pol, npol);
    ATTACH(au, au->plans, au->nplans, plan, nplan);
    ATTACH(au, au->auths, au->nauths, auth, nauth);
    return rc;
}

static psy_status load_sessions(struct audit *au)
{
    psy__stmt *s;
    size_t cap = 0;
    psy_status rc = psy__db_query(
        au->st, &s,
        "SELECT id, kind, client_id, group_id, service_date, start_utc IS NOT NULL, stop_utc IS NOT NULL, "
        "minutes, start_utc, stop_utc, telehealth, th_modality, patient_location, billed_code, clinician_id "
        "FROM session WHERE practice_id = ? AND service_date BETWEEN ? AND ? ORDER BY service_date, id",
        PSY_ARGS(PSY_INT(au->practice), PSY_TEXT(au->from), PSY_TEXT(au->to)));
    while (next_row(au, s, &rc)) {
        struct a_session *x = PSY__PUSH(au->ss, au->nss, cap);
        memset(x, 0, sizeof *x);
        x->id = psy__sql_int64(s, 0);
        psy__db_col_copy(s, 1, x->kind, sizeof x->kind);
        x->group_kind = !strcmp(x->kind, "group") || !strcmp(x->kind, "multifamily");
        x->client = psy__sql_int64(s, 2);
        x->group = psy__sql_int64(s, 3);
        psy__db_col_copy(s, 4, x->date, sizeof x->date);
        x->has_start = col_int(s, 5);
        x->has_stop = col_int(s, 6);
        x->explicit_minutes = col_int(s, 7);
        const char *a = psy__sql_text(s, 8), *b = psy__sql_text(s, 9);
        if (a && *a && psy__rec_epoch(a, &x->start)) x->start = 0;
        if (b && *b && psy__rec_epoch(b, &x->stop)) x->stop = 0;
        /* psy_records_session_minutes: the explicit total, else the time between start and stop */
        x->minutes = x->explicit_minutes > 0 ? x->explicit_minutes
                     : x->start && x->stop > x->start ? (int)((x->stop - x->start) / 60)
                                                      : 0;
        x->telehealth = col_int(s, 10);
        psy__db_col_copy(s, 11, x->th_modality, sizeof x->th_modality);
        psy__db_col_copy(s, 12, x->location, sizeof x->location);
        psy__db_col_copy(s, 13, x->billed, sizeof x->billed);
        x->clinician = psy__sql_int64(s, 14);
    }
    psy__sql_finalize(s);
    cap = 0;
    if (!rc)
        rc = psy__db_query(
            au->st, &s,
            "SELECT a.id, a.session_id, a.client_id, a.policy_id, a.present, a.late_minutes, a.early_minutes, "
            "a.billed_code FROM attendance a JOIN session s ON s.id = a.session_id WHERE s.practice_id = ? "
            "AND s.service_date BETWEEN ? AND ? ORDER BY s.service_date, s.id, a.client_id",
            PSY_ARGS(PSY_INT(au->practice), PSY_TEXT(au->from), PSY_TEXT(au->to)));
    while (next_row(au, s, &rc)) {
        struct a_att *x = PSY__PUSH(au->att, au->natt, cap);
        x->id = psy__sql_int64(s, 0);
        x->session = psy__sql_int64(s, 1);
        x->client = psy__sql_int64(s, 2);
        x->policy = psy__sql_int64(s, 3);
        x->present = col_int(s, 4);
        x->late = col_int(s, 5);
        x->early = col_int(s, 6);
        psy__db_col_copy(s, 7, x->billed, sizeof x->billed);
    }
    psy__sql_finalize(s);
    /* both lists are in (date, session) order: walk them together */
    for (size_t i = 0, k = 0; i < au->natt;) {
        size_t j = i;
        while (j < au->natt && au->att[j].session == au->att[i].session) j++;
        while (k < au->nss && au->ss[k].id != au->att[i].session) k++;
        if (k < au->nss) {
            au->ss[k].att = i;
            au->ss[k].natt = j - i;
        }
        i = j;
    }
    return rc;
}

static struct a_att *find_att(struct audit *au, struct a_session *x, psy_id client)
{
    for (size_t i = x->att; i < x->att + x->natt; i++)
        if (au->att[i].client == client) return &au->att[i];
    return NULL;
}

/* The notes of the period in the sessions' order, with their text in columns 5 to 9. */
static const char notes_sql[] =
    "SELECT n.id, n.session_id, n.client_id, n.kind, n.status, n.techniques, n.participation, n.response, "
    "n.progress, n.plan FROM note n JOIN session s ON s.id = n.session_id WHERE s.practice_id = ? AND "
    "s.service_date BETWEEN ? AND ? ORDER BY s.service_date, s.id, n.id";

/* Notes whose text waits for its MinHash signature: the signatures of up to NOTE_BATCH notes are
 * computed at once, on two threads, then added to the clone index in the notes' order. */
#define NOTE_BATCH 2048
struct note_batch {
    struct a_doc doc[NOTE_BATCH];
    size_t off[NOTE_BATCH], n;
    struct psy__buf text; /* the texts, each ended by its NUL */
    uint32_t *sigs;
    uint8_t keep[NOTE_BATCH];
};

static void note_batch_flush(struct audit *au, struct psy__lsh *lsh, struct note_batch *b, size_t *cap)
{
    if (!b->n) return;
    size_t P = psy__lsh_perms(lsh);
    if (!b->sigs) b->sigs = psy__malloc(NOTE_BATCH * P * sizeof *b->sigs);
    psy__lsh_signatures(lsh, b->text.p, b->off, b->n, au->conf.shingle_words, au->conf.min_shingles, b->sigs, b->keep);
    for (size_t i = 0; i < b->n; i++) {
        if (!b->keep[i]) continue;
        *PSY__PUSH(au->docs, au->ndocs, *cap) = b->doc[i];
        psy__lsh_add_signature(lsh, b->sigs + i * P, b->keep[i] == 2);
    }
    b->n = 0;
    b->text.n = 0;
}

/* Reads the notes of the period: their state for the signature check, and the member and individual
 * notes' text into the clone index. */
static psy_status load_notes(struct audit *au, struct psy__lsh *lsh)
{
    psy__stmt *s;
    struct note_batch *b = psy__calloc(1, sizeof *b);
    size_t cap = 0;
    psy_status rc =
        psy__db_query(au->st, &s, notes_sql, PSY_ARGS(PSY_INT(au->practice), PSY_TEXT(au->from), PSY_TEXT(au->to)));
    size_t k = 0; /* notes come in the sessions' (date, id) order: walk both together */
    while (next_row(au, s, &rc)) {
        psy_id id = psy__sql_int64(s, 0), client = psy__sql_int64(s, 2), sid = psy__sql_int64(s, 1);
        while (k < au->nss && au->ss[k].id != sid) k++;
        if (k == au->nss) break;
        struct a_session *x = &au->ss[k];
        const char *kind = col_str(s, 3);
        int is_signed = !strcmp(col_str(s, 4), "signed");
        if (!strcmp(kind, "member")) {
            struct a_att *a = find_att(au, x, client);
            if (a) {
                a->note = id;
                a->note_signed = is_signed;
            }
        } else {
            x->note = id;
            x->note_signed = is_signed;
        }
        if (!strcmp(kind, "group")) continue;
        b->off[b->n] = b->text.n;
        note_text_add(s, 5, &b->text);
        psy__buf_put(&b->text, "", 1); /* its NUL, kept */
        b->doc[b->n++] = (struct a_doc){id, x->id, client, k};
        if (b->n == NOTE_BATCH) note_batch_flush(au, lsh, b, &cap);
    }
    psy__sql_finalize(s);
    note_batch_flush(au, lsh, b, &cap);
    psy__buf_free(&b->text);
    free(b->sigs);
    free(b);
    return rc;
}

/* --- findings ------------------------------------------------------------------------------------------ */

static const char *const rule_order[] = {"R-DOC-SIGN", "R-TIME-4", "R-TIME-1", "R-GRP-1", "R-GRP-2", "R-GRP-3", "R-GRP-4",
                                         "R-DOC-CLONE", "R-PLAN-1", "R-PLAN-2", "R-PLAN-3", "R-DX-1", "R-DX-2", "R-CRED-1", "R-CRED-2",
                                         "R-CRED-3", "R-AUTH-1", "R-TH-2", "R-TH-4", "R-DOC-IC", "R-DOC-FAM", "R-DOC-CRISIS",
                                         "R-DOC-AUDIO", "R-IMP-1", "R-IMP-2", "R-IMP-3", "R-ELIG-1", "R-ELIG-2", NULL};

/* A new finding at the end of the list v. */
static struct psy_audit_finding *push(struct psy_audit_finding **v, size_t *n, size_t *cap, const char *rule,
                                      psy_audit_severity sev, const char *type, psy_id id, const char *date)
{
    struct psy_audit_finding *f = PSY__PUSH(*v, *n, *cap);
    memset(f, 0, sizeof *f);
    snprintf(f->rule, sizeof f->rule, "%s", rule);
    f->severity = sev;
    snprintf(f->record_type, sizeof f->record_type, "%s", type);
    f->record_id = id;
    snprintf(f->date, sizeof f->date, "%s", date ? date : "");
    f->similarity = -1;
    return f;
}

static struct psy_audit_finding *add(struct audit *au, const char *rule, psy_audit_severity sev, const char *type,
                                     psy_id id, const char *date)
{
    return push(&au->out, &au->nout, &au->capout, rule, sev, type, id, date);
}

/* A finding of audit_necessity.c (or, on a session, of audit_day.c and audit_elig.c), kept in early. */
static void emit_rec(void *ud, const char *rule, int error, const char *type, psy_id id, const char *date,
                     const char *msg)
{
    struct audit *au = ud;
    struct psy_audit_finding *f = push(&au->early, &au->nearly, &au->capearly, rule,
                                       error ? PSY_AUDIT_ERROR : PSY_AUDIT_WARNING, type, id, date);
    snprintf(f->message, sizeof f->message, "%s", msg);
}

static void emit_day(void *ud, const char *rule, int error, psy_id session, const char *date, const char *msg)
{
    emit_rec(ud, rule, error, "session", session, date, msg);
}

/* The gathered finding for (rule, record, variant), created on first use; counts one more line. */
static struct agg *gather(struct audit *au, const char *rule, psy_audit_severity sev, const char *type, psy_id id,
                          uint64_t variant, const char *date)
{
    char keytext[64];
    int kl = snprintf(keytext, sizeof keytext, "%s|%s|%lld|%llu", rule, type, (long long)id, (unsigned long long)variant);
    uint64_t key = psy__hash64(keytext, (size_t)kl);
    if (au->naggs * 2 >= au->agg_slots) { /* rebuild the index at twice the size */
        free(au->agg_index);
        au->agg_slots = au->agg_slots ? au->agg_slots * 2 : 64;
        au->agg_index = psy__malloc(au->agg_slots * sizeof *au->agg_index);
        for (size_t i = 0; i < au->agg_slots; i++) au->agg_index[i] = SIZE_MAX;
        for (size_t i = 0; i < au->naggs; i++) {
            size_t h = (size_t)au->aggs[i].key & (au->agg_slots - 1);
            while (au->agg_index[h] != SIZE_MAX) h = (h + 1) & (au->agg_slots - 1);
            au->agg_index[h] = i;
        }
    }
    size_t h = (size_t)key & (au->agg_slots - 1);
    for (; au->agg_index[h] != SIZE_MAX; h = (h + 1) & (au->agg_slots - 1)) {
        struct agg *g = &au->aggs[au->agg_index[h]];
        if (g->key == key && g->f.record_id == id && !strcmp(g->f.rule, rule)) {
            g->count++;
            if (strcmp(date, g->first) < 0) snprintf(g->first, sizeof g->first, "%s", date);
            return g;
        }
    }
    struct agg *g = PSY__PUSH(au->aggs, au->naggs, au->capaggs);
    au->agg_index[h] = au->naggs - 1;
    g->key = key;
    g->count = 1;
    snprintf(g->first, sizeof g->first, "%s", date);
    snprintf(g->f.rule, sizeof g->f.rule, "%s", rule);
    g->f.severity = sev;
    snprintf(g->f.record_type, sizeof g->f.record_type, "%s", type);
    g->f.record_id = id;
    g->f.similarity = -1;
    return g;
}

/* --- checks over sessions and lines ------------------------------------------------------------------ */

static const struct a_policy *policy_on(struct audit *au, const struct a_client *c, psy_id chosen, const char *date)
{
    for (size_t i = c->pol; i < c->pol + c->npol; i++) {
        const struct a_policy *p = &au->pols[i];
        if (chosen && p->id == chosen) return p;
        if (!chosen && strcmp(p->start, date) <= 0 && (!*p->end || strcmp(date, p->end) <= 0)) return p;
    }
    return NULL;
}

static void build_lines(struct audit *au)
{
    size_t cap = 0;
    for (size_t i = 0; i < au->nss; i++) {
        struct a_session *x = &au->ss[i];
        if (!x->group_kind) {
            struct a_client *c = find_client(au, x->client);
            if (!c) continue;
            struct a_line *l = PSY__PUSH(au->lines, au->nlines, cap);
            *l = (struct a_line){i, -1, c, policy_on(au, c, 0, x->date), NULL};
            l->payer = l->pol ? find_payer(au, l->pol->payer) : NULL;
            continue;
        }
        for (size_t k = x->att; k < x->att + x->natt; k++) {
            struct a_att *a = &au->att[k];
            struct a_client *c = find_client(au, a->client);
            if (!c || (!a->present && !*a->billed)) continue;
            struct a_line *l = PSY__PUSH(au->lines, au->nlines, cap);
            *l = (struct a_line){i, (long)k, c, policy_on(au, c, a->policy, x->date), NULL};
            l->payer = l->pol ? find_payer(au, l->pol->payer) : NULL;
        }
    }
}

static const char *line_code(struct audit *au, const struct a_line *l)
{
    return l->a >= 0 ? au->att[l->a].billed : au->ss[l->s].billed;
}

static int line_present(struct audit *au, const struct a_line *l) { return l->a < 0 || au->att[l->a].present; }

/* R-DOC-SIGN: the notes a session owes, missing or unsigned more than N days after it. */
static void check_signatures(struct audit *au)
{
    int64_t today = psy__rec_day_number(au->as_of);
    for (size_t i = 0; i < au->nss; i++) {
        struct a_session *x = &au->ss[i];
        int64_t age = today - psy__rec_day_number(x->date);
        if (age <= au->unsigned_days) continue;
        struct psy_audit_finding *f;
        const char *what = x->group_kind ? "group note" : "note";
        if (!x->note) {
            f = add(au, "R-DOC-SIGN", PSY_AUDIT_ERROR, "session", x->id, x->date);
            snprintf(f->message, sizeof f->message, "session %lld has no %s, %lld days after the session",
                     (long long)x->id, what, (long long)age);
        } else if (!x->note_signed) {
            f = add(au, "R-DOC-SIGN", PSY_AUDIT_ERROR, "note", x->note, x->date);
            snprintf(f->message, sizeof f->message, "%s of session %lld is unsigned %lld days after the session "
                     "(limit %d)", what, (long long)x->id, (long long)age, au->unsigned_days);
        }
        for (size_t k = x->att; x->group_kind && k < x->att + x->natt; k++) {
            struct a_att *a = &au->att[k];
            if (!a->present) continue;
            if (!a->note) {
                f = add(au, "R-DOC-SIGN", PSY_AUDIT_ERROR, "attendance", a->id, x->date);
                snprintf(f->message, sizeof f->message, "present member client %lld of session %lld has no member note, "
                         "%lld days after the session", (long long)a->client, (long long)x->id, (long long)age);
            } else if (!a->note_signed) {
                f = add(au, "R-DOC-SIGN", PSY_AUDIT_ERROR, "note", a->note, x->date);
                snprintf(f->message, sizeof f->message, "member note of client %lld in session %lld is unsigned %lld "
                         "days after the session (limit %d)", (long long)a->client, (long long)x->id, (long long)age,
                         au->unsigned_days);
            }
        }
    }
}

/* R-TIME-4, R-GRP-1, R-GRP-3, and the telehealth modality part of R-TH-2: facts of one session. */
static void check_sessions(struct audit *au)
{
    for (size_t i = 0; i < au->nss; i++) {
        struct a_session *x = &au->ss[i];
        struct psy_audit_finding *f;
        if ((!x->has_start || !x->has_stop) && !x->explicit_minutes) {
            f = add(au, "R-TIME-4", PSY_AUDIT_ERROR, "session", x->id, x->date);
            snprintf(f->message, sizeof f->message, "session %lld has no %s time and no total minutes",
                     (long long)x->id, !x->has_start && !x->has_stop ? "start or stop" : !x->has_start ? "start" : "stop");
        }
        if (x->telehealth && (!*x->th_modality || !*x->location)) {
            f = add(au, "R-TH-2", PSY_AUDIT_ERROR, "session", x->id, x->date);
            snprintf(f->message, sizeof f->message, "telehealth session %lld does not record the %s", (long long)x->id,
                     !*x->th_modality && !*x->location ? "modality (video or audio) or the patient's location"
                     : !*x->th_modality                ? "modality (video or audio)"
                                                       : "patient's location");
        }
        for (size_t k = x->att; k < x->att + x->natt; k++) {
            struct a_att *a = &au->att[k];
            if (a->present || !*a->billed) continue;
            f = add(au, "R-GRP-3", PSY_AUDIT_ERROR, "attendance", a->id, x->date);
            snprintf(f->message, sizeof f->message, "client %lld is billed %s for group session %lld but was absent",
                     (long long)a->client, a->billed, (long long)x->id);
        }
    }
    /* R-GRP-1: participants present against the strictest limit among the payers billed */
    for (size_t i = 0; i < au->nlines;) {
        size_t j = i, present = 0;
        int limit = 0;
        psy_id limiter = 0;
        while (j < au->nlines && au->lines[j].s == au->lines[i].s) {
            const struct a_line *l = &au->lines[j++];
            if (l->a < 0 || !line_present(au, l)) continue;
            present++;
            if (!l->payer) continue;
            int m = l->payer->group_max ? l->payer->group_max : au->conf.group_max_default;
            if (!limit || m < limit) {
                limit = m;
                limiter = l->payer->id;
            }
        }
        struct a_session *x = &au->ss[au->lines[i].s];
        if (x->group_kind && limit && present > (size_t)limit) {
            struct psy_audit_finding *f = add(au, "R-GRP-1", PSY_AUDIT_ERROR, "session", x->id, x->date);
            snprintf(f->message, sizeof f->message, "group session %lld has %zu participants; payer %lld pays for "
                     "groups of at most %d", (long long)x->id, present, (long long)limiter, limit);
        }
        i = j;
    }
}

/* R-TIME-1: minutes against the billed code's band. */
static void check_minutes(struct audit *au)
{
    struct band bands[32];
    size_t nb = load_bands(bands, 32);
    for (size_t i = 0; i < au->nlines; i++) {
        const struct a_line *l = &au->lines[i];
        const struct a_session *x = &au->ss[l->s];
        const char *code = line_code(au, l);
        if (!*code || !x->minutes || !line_present(au, l)) continue;
        int mins = x->minutes - (l->a >= 0 ? au->att[l->a].late + au->att[l->a].early : 0);
        for (size_t b = 0; b < nb; b++) {
            if (strcmp(bands[b].code, code) || (mins >= bands[b].min && (!bands[b].max || mins <= bands[b].max))) continue;
            struct psy_audit_finding *f = add(au, "R-TIME-1", PSY_AUDIT_ERROR, l->a >= 0 ? "attendance" : "session",
                                              l->a >= 0 ? au->att[l->a].id : x->id, x->date);
            char need[32];
            if (bands[b].max) snprintf(need, sizeof need, "%d to %d", bands[b].min, bands[b].max);
            else snprintf(need, sizeof need, "%d or more", bands[b].min);
            snprintf(f->message, sizeof f->message, "session %lld: %d minutes recorded for client %lld, but %s needs %s",
                     (long long)x->id, mins, (long long)l->c->id, code, need);
        }
    }
}

static const struct a_clinician *find_clinician(struct audit *au, psy_id id)
{
    size_t lo = 0, hi = au->nclins; /* loaded in id order */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (au->clins[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < au->nclins && au->clins[lo].id == id ? &au->clins[lo] : NULL;
}

/* Whether the credential, upper-cased and without dots, is one of the list. */
static int credential_in(const char *cred, const char *const *list)
{
    char u[16];
    size_t k = 0;
    for (const char *p = cred; *p && k + 1 < sizeof u; p++)
        if (*p != '.' && *p != ' ') u[k++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    u[k] = 0;
    for (size_t i = 0; list[i]; i++)
        if (!strcmp(u, list[i])) return 1;
    return 0;
}

static int is_psychotherapy(const char *code, int mod);
static int modality_of(const char *kind);

/* R-CRED-1: Medicare pays marriage and family therapists and mental health counselors from 2024-01-01
 * only; R-CRED-2: a peer specialist does not bill group psychotherapy (90853). */
static void check_credentials(struct audit *au)
{
    static const char *const mft_mhc[] = {"LMFT", "MFT", "LPC", "LMHC", "LCPC", "LPCC", "MHC", "LCMHC", NULL};
    static const char *const peer[] = {"CPS", "PEER", "CPRS", "CPSS", "PRS", NULL};
    for (size_t i = 0; i < au->nlines; i++) {
        const struct a_line *l = &au->lines[i];
        const struct a_session *x = &au->ss[l->s];
        const struct a_clinician *cl = find_clinician(au, x->clinician);
        const char *code = line_code(au, l);
        if (!cl || !line_present(au, l)) continue;
        const char *type = l->a >= 0 ? "attendance" : "session";
        psy_id id = l->a >= 0 ? au->att[l->a].id : x->id;
        struct psy_audit_finding *f;
        if (l->payer && l->payer->medicare && strcmp(x->date, "2024-01-01") < 0 && credential_in(cl->credential, mft_mhc) &&
            is_psychotherapy(code, modality_of(x->kind))) {
            f = add(au, "R-CRED-1", PSY_AUDIT_ERROR, type, id, x->date);
            snprintf(f->message, sizeof f->message, "session %lld: clinician %lld (%s) is not paid by Medicare payer "
                     "%lld for psychotherapy before 2024-01-01 (client %lld)", (long long)x->id, (long long)cl->id,
                     cl->credential, (long long)l->payer->id, (long long)l->c->id);
        }
        if (!strcmp(code, "90853") && credential_in(cl->credential, peer)) {
            f = add(au, "R-CRED-2", PSY_AUDIT_ERROR, type, id, x->date);
            snprintf(f->message, sizeof f->message, "session %lld: peer specialist clinician %lld (%s) cannot bill "
                     "90853 group psychotherapy (client %lld, payer %lld)", (long long)x->id, (long long)cl->id,
                     cl->credential, (long long)l->c->id, l->payer ? (long long)l->payer->id : 0LL);
        }
    }
}

/* R-GRP-4: a group member's minutes present (the session's less late arrival and early departure)
 * under the shortest group session the payer's profile pays (group_minutes_min) on the date. */
static psy_status check_member_minutes(struct audit *au)
{
    const psy_payers *ps = NULL;
    for (size_t i = 0; i < au->nlines; i++) {
        const struct a_line *l = &au->lines[i];
        const struct a_session *x = &au->ss[l->s];
        if (l->a < 0 || !l->payer || !x->minutes || !line_present(au, l) || strcmp(line_code(au, l), "90853")) continue;
        if (!ps && !(ps = psy__payers_builtin_shared()))
            return psy__store_fail(au->st, PSY_EINVAL, "payer profiles: the built-in profiles do not parse");
        const struct psy__payer_terms *t;
        if (psy__payer_terms(ps, l->payer->profile, psy__date_int(x->date), &t) || !t || !t->group_minutes_min) continue;
        const struct a_att *a = &au->att[l->a];
        int mins = x->minutes - a->late - a->early;
        if (mins >= t->group_minutes_min) continue;
        struct psy_audit_finding *f = add(au, "R-GRP-4", PSY_AUDIT_ERROR, "attendance", a->id, x->date);
        snprintf(f->message, sizeof f->message, "session %lld: client %lld was present %d minutes of a %d-minute group "
                 "(late %d, left early %d); payer %lld pays group members from %d minutes", (long long)x->id,
                 (long long)a->client, mins, x->minutes, a->late, a->early, (long long)l->payer->id,
                 t->group_minutes_min);
    }
    return PSY_OK;
}

static int modality_of(const char *kind)
{
    if (!strcmp(kind, "individual")) return PSY_MOD_INDIVIDUAL;
    if (!strcmp(kind, "family")) return PSY_MOD_FAMILY;
    if (!strcmp(kind, "group") || !strcmp(kind, "multifamily")) return PSY_MOD_GROUP;
    return 0; /* intake and crisis need no plan yet */
}

static const char *modality_name(int m)
{
    return m == PSY_MOD_GROUP ? "group therapy" : m == PSY_MOD_FAMILY ? "family therapy" : "individual therapy";
}

/* Psychotherapy: the CPT 90832-90853 family (individual, crisis, family, group); a line with no code yet
 * counts by its session's kind. */
static int is_psychotherapy(const char *code, int mod)
{
    static const char *const codes[] = {"90832", "90833", "90834", "90836", "90837", "90838", "90839",
                                        "90840", "90845", "90846", "90847", "90849", "90853"};
    if (!*code) return mod != 0;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (!strcmp(code, codes[i])) return 1;
    return 0;
}

/* R-DX-2: every diagnosis a Z code (Z00-Z99, factors influencing health status), none a disorder. */
static int only_z_codes(const struct a_client *c)
{
    for (int d = 0; d < c->ndx; d++)
        if (c->dx[d][0] != 'Z' && c->dx[d][0] != 'z') return 0;
    return c->ndx > 0;
}

/* R-PLAN-1, R-DX-1 and R-DX-2, gathered per client or plan. */
static psy_status check_plans_and_dx(struct audit *au)
{
    struct {
        char code[PSY_CODE_MAX];
        int billable;
        date_t ended;
        int known;
    } cache[256];
    size_t ncache = 0;
    for (size_t i = 0; i < au->nlines; i++) {
        const struct a_line *l = &au->lines[i];
        const struct a_session *x = &au->ss[l->s];
        const struct a_client *c = l->c;
        if (!line_present(au, l)) continue;
        int mod = modality_of(x->kind);
        if (mod) {
            const struct a_plan *best = NULL;
            int current = 0;
            for (size_t p = c->plan; p < c->plan + c->nplan && !current; p++) {
                const struct a_plan *pl = &au->plans[p];
                if (!pl->is_signed || !(pl->modalities & mod) || strcmp(pl->start, x->date) > 0 ||
                    (*pl->end && strcmp(x->date, pl->end) > 0))
                    continue;
                if (strcmp(x->date, pl->review) <= 0) current = 1;
                else if (!best || strcmp(pl->review, best->review) > 0) best = pl;
            }
            if (!current && !best) {
                struct agg *g = gather(au, "R-PLAN-1", PSY_AUDIT_ERROR, "client", c->id, (uint64_t)mod, x->date);
                snprintf(g->f.message, sizeof g->f.message, "client %lld has no signed treatment plan in force for %s",
                         (long long)c->id, modality_name(mod));
            } else if (!current) {
                struct agg *g = gather(au, "R-PLAN-1", PSY_AUDIT_WARNING, "treatment_plan", best->id, 0, x->date);
                snprintf(g->f.message, sizeof g->f.message, "treatment plan %lld of client %lld was due for review on %s",
                         (long long)best->id, (long long)c->id, best->review);
            }
        }
        if (!c->ndx) {
            struct agg *g = gather(au, "R-DX-1", PSY_AUDIT_ERROR, "client", c->id, 0, x->date);
            snprintf(g->f.message, sizeof g->f.message, "client %lld has no diagnosis recorded", (long long)c->id);
        }
        if (only_z_codes(c) && is_psychotherapy(line_code(au, l), mod)) {
            struct agg *g = gather(au, "R-DX-2", PSY_AUDIT_ERROR, "client", c->id, 0, x->date);
            snprintf(g->f.message, sizeof g->f.message, "client %lld is billed psychotherapy with only Z codes as "
                     "diagnoses (%s%s): a Z code alone does not support medical necessity", (long long)c->id, c->dx[0],
                     c->ndx > 1 ? " ..." : "");
        }
        for (int d = 0; d < c->ndx; d++) {
            size_t k = 0;
            while (k < ncache && strcmp(cache[k].code, c->dx[d])) k++;
            if (k == ncache) {
                struct psy_code code;
                if (ncache == 256) k = ncache = 0; /* a small cache: start over when full */
                snprintf(cache[k].code, sizeof cache[k].code, "%s", c->dx[d]);
                psy_status rc = psy_catalog_get(au->st, PSY_SYS_ICD10CM, c->dx[d], &code);
                if (rc && rc != PSY_ENOTFOUND) return rc;
                cache[k].known = rc == PSY_OK;
                cache[k].billable = rc == PSY_OK && code.billable;
                snprintf(cache[k].ended, sizeof cache[k].ended, "%s", rc == PSY_OK ? code.terminated : "");
                psy_code_clear(&code);
                ncache++;
            }
            const char *why = !cache[k].known      ? "is not in the catalog"
                              : !cache[k].billable ? "is not billable (a category, not a leaf code)"
                              : *cache[k].ended && strcmp(cache[k].ended, x->date) < 0 ? "had ended by the service date"
                                                                                      : NULL;
            if (!why) continue;
            struct agg *g = gather(au, "R-DX-1", PSY_AUDIT_ERROR, "client", c->id,
                                   psy__hash64(c->dx[d], strlen(c->dx[d])), x->date);
            snprintf(g->f.message, sizeof g->f.message, "diagnosis %s of client %lld %s", c->dx[d], (long long)c->id, why);
        }
    }
    return PSY_OK;
}

static int auth_covers_code(const struct a_auth *a, const char *code)
{
    if (!*code) return 1;
    for (int i = 0; i < a->ncodes; i++)
        if (!strcmp(a->codes[i], code)) return 1;
    return 0;
}

static int cmp_used(const void *pa, const void *pb)
{
    const struct a_used *a = pa, *b = pb;
    if (a->session != b->session) return a->session < b->session ? -1 : 1;
    if (a->client != b->client) return a->client < b->client ? -1 : 1;
    return a->auth < b->auth ? -1 : a->auth > b->auth;
}

/* The clients of the audited period's sessions, as individuals or group members: SQL with six `?`
 * (practice, from, to, practice, from, to). */
#define PERIOD_CLIENTS                                                                                          \
    "SELECT p.client_id FROM session p WHERE p.practice_id = ? AND p.service_date BETWEEN ? AND ? AND "         \
    "p.client_id IS NOT NULL UNION SELECT q.client_id FROM attendance q JOIN session r ON r.id = q.session_id " \
    "WHERE r.practice_id = ? AND r.service_date BETWEEN ? AND ?"

/* Walks every billed line, from the first up to the period's end (use before the period counts), of the
 * period's clients with authorisations, and records the lines that came after an authorisation's units
 * ran out (check_auths asks about the period's lines only). The line rule is the one
 * psy_records_auth_used counts by. The unary + and the || '' keep the planner on the clients' indexes:
 * an audit of a day reads its clients' lines, not every session of the practice. */
static psy_status mark_exhausted(struct audit *au)
{
    psy__stmt *s;
    size_t cap = 0;
    if (!au->nauths) return PSY_OK;
    int *used = psy__calloc(au->nauths, sizeof *used);
    psy__arg p = PSY_INT(au->practice), from = PSY_TEXT(au->from), to = PSY_TEXT(au->to);
    psy_status rc = psy__db_query(
        au->st, &s,
        "SELECT s.id, s.service_date, s.client_id, s.billed_code FROM session s WHERE +s.practice_id = ? "
        "AND s.service_date || '' <= ? AND s.client_id IN (SELECT client_id FROM authorisation WHERE practice_id = ?) "
        "AND s.client_id IN (" PERIOD_CLIENTS ") "
        "UNION ALL SELECT s.id, s.service_date, a.client_id, a.billed_code FROM attendance a "
        "JOIN session s ON s.id = a.session_id WHERE +a.practice_id = ? AND s.service_date || '' <= ? "
        "AND (a.present = 1 OR a.billed_code IS NOT NULL) AND a.client_id IN (SELECT client_id FROM authorisation WHERE "
        "practice_id = ?) AND a.client_id IN (" PERIOD_CLIENTS ") ORDER BY 3, 2, 1",
        PSY_ARGS(p, to, p, p, from, to, p, from, to, p, to, p, p, from, to, p, from, to));
    while (next_row(au, s, &rc)) {
        psy_id sid = psy__sql_int64(s, 0), cid = psy__sql_int64(s, 2);
        date_t date;
        char code[PSY_CODE_MAX];
        psy__db_col_copy(s, 1, date, sizeof date);
        psy__db_col_copy(s, 3, code, sizeof code);
        const struct a_client *c = find_client(au, cid);
        for (size_t k = c ? c->auth : 0; c && k < c->auth + c->nauth; k++) {
            const struct a_auth *a = &au->auths[k];
            if (strcmp(a->start, date) > 0 || strcmp(date, a->end) > 0 || !auth_covers_code(a, code)) continue;
            if (a->prior + ++used[k] > a->approved) {
                *PSY__PUSH(au->exhausted, au->nexhausted, cap) = (struct a_used){sid, cid, a->id};
            }
        }
    }
    psy__sql_finalize(s);
    free(used);
    if (au->nexhausted > 1) qsort(au->exhausted, au->nexhausted, sizeof *au->exhausted, cmp_used);
    return rc;
}

static int is_exhausted(struct audit *au, psy_id session, psy_id client, psy_id auth)
{
    struct a_used k = {session, client, auth};
    return au->nexhausted && bsearch(&k, au->exhausted, au->nexhausted, sizeof k, cmp_used) != NULL;
}

/* R-AUTH-1: each line of a payer that requires authorisation needs one in force with units left. */
static void check_auths(struct audit *au)
{
    for (size_t i = 0; i < au->nlines; i++) {
        const struct a_line *l = &au->lines[i];
        const struct a_session *x = &au->ss[l->s];
        const struct a_client *c = l->c;
        if (!l->payer || !l->payer->requires_auth) continue;
        const char *code = line_code(au, l);
        const struct a_auth *in_force = NULL, *ended = NULL;
        int any = 0, left = 0;
        for (size_t k = c->auth; k < c->auth + c->nauth; k++) {
            const struct a_auth *a = &au->auths[k];
            if (a->payer != l->payer->id || !auth_covers_code(a, code)) continue;
            any = 1;
            if (strcmp(a->start, x->date) <= 0 && strcmp(x->date, a->end) <= 0) {
                if (!in_force) in_force = a;
                if (!is_exhausted(au, x->id, c->id, a->id)) left = 1;
            } else if (strcmp(a->end, x->date) < 0 && (!ended || strcmp(a->end, ended->end) > 0)) {
                ended = a;
            }
        }
        struct agg *g;
        if (in_force && left) continue;
        if (in_force) {
            g = gather(au, "R-AUTH-1", PSY_AUDIT_ERROR, "authorisation", in_force->id, 1, x->date);
            snprintf(g->f.message, sizeof g->f.message, "authorisation %lld of client %lld is used up (%d approved)",
                     (long long)in_force->id, (long long)c->id, in_force->approved);
        } else if (ended) {
            g = gather(au, "R-AUTH-1", PSY_AUDIT_ERROR, "authorisation", ended->id, 2, x->date);
            snprintf(g->f.message, sizeof g->f.message, "authorisation %lld of client %lld ended on %s",
                     (long long)ended->id, (long long)c->id, ended->end);
        } else {
            g = gather(au, "R-AUTH-1", PSY_AUDIT_ERROR, "client", c->id, (uint64_t)l->payer->id, x->date);
            snprintf(g->f.message, sizeof g->f.message, "client %lld has no prior authorisation%s%s from payer %lld%s",
                     (long long)c->id, *code ? " for " : "", code, (long long)l->payer->id,
                     any ? " in force on the service date" : "");
        }
    }
}

/* R-TH-2: consent on record before each telehealth service. */
static void check_consent(struct audit *au)
{
    for (size_t i = 0; i < au->nlines; i++) {
        const struct a_line *l = &au->lines[i];
        const struct a_session *x = &au->ss[l->s];
        if (!x->telehealth || !line_present(au, l)) continue;
        if (*l->c->consent && strcmp(l->c->consent, x->date) <= 0) continue;
        struct psy_audit_finding *f = add(au, "R-TH-2", PSY_AUDIT_ERROR, l->a >= 0 ? "attendance" : "session",
                                          l->a >= 0 ? au->att[l->a].id : x->id, x->date);
        snprintf(f->message, sizeof f->message, "no telehealth consent of client %lld on record before session %lld",
                 (long long)l->c->id, (long long)x->id);
    }
}

/* --- clones -------------------------------------------------------------------------------------------- */

struct best {
    uint32_t other;
    double sim;
};

/* Reads the sorted shingles of the notes marked in need (indexes into docs), in one more pass over
 * the period's notes: they come in the order load_notes indexed them. */
static psy_status load_shingles(struct audit *au, const unsigned char *need, struct psy__shingles *out)
{
    psy__stmt *s;
    struct psy__buf text = {0};
    size_t k = 0;
    psy_status rc =
        psy__db_query(au->st, &s, notes_sql, PSY_ARGS(PSY_INT(au->practice), PSY_TEXT(au->from), PSY_TEXT(au->to)));
    while (k < au->ndocs && next_row(au, s, &rc)) {
        if (psy__sql_int64(s, 0) != au->docs[k].note) continue;
        if (need[k]) {
            note_text(s, 5, &text);
            psy__shingle(text.p, au->conf.shingle_words, 1, &out[k]);
        }
        k++;
    }
    psy__sql_finalize(s);
    psy__buf_free(&text);
    if (!rc && k < au->ndocs) rc = psy__store_fail(au->st, PSY_EDB, "audit: the notes changed during the audit");
    return rc;
}

/* R-GRP-2 (copies among the members of one session) and R-DOC-CLONE (a note repeating a note of an
 * earlier session). The pairs whose MinHash estimate comes near the threshold are compared exactly, and
 * each note's closest earlier copy kept in au->best (the findings: clones_emit). */
static psy_status check_clones(struct audit *au, struct psy__lsh *lsh, double threshold)
{
    uint64_t *pairs;
    for (size_t d = 0; au->for_claims && d < au->ndocs; d++) {
        const char *date = au->ss[au->docs[d].s].date;
        uint64_t salt = 1469598103934665603ULL;
        for (const char *p = date; *p; p++) salt = (salt ^ (unsigned char)*p) * 1099511628211ULL;
        psy__lsh_salt(lsh, (uint32_t)d, salt);
    }
    size_t np = psy__lsh_pairs(lsh, au->conf.compare_window, &pairs), nv = 0;
    au->candidates = (long)np;
    size_t nd = au->ndocs ? au->ndocs : 1;
    unsigned char *need = psy__calloc(nd, 1);
    for (size_t i = 0; i < np; i++) {
        uint32_t a = (uint32_t)(pairs[i] >> 32), b = (uint32_t)pairs[i];
        if (psy__lsh_estimate(lsh, a, b) < threshold - 0.2) continue;
        pairs[nv++] = pairs[i];
        need[a] = need[b] = 1;
    }
    au->verified = (long)nv;
    struct psy__shingles *sh = psy__calloc(nd, sizeof *sh);
    struct best *best = psy__calloc(nd, sizeof *best);
    psy_status rc = nv ? load_shingles(au, need, sh) : PSY_OK;
    for (size_t i = 0; !rc && i < nv; i++) {
        uint32_t a = (uint32_t)(pairs[i] >> 32), b = (uint32_t)pairs[i];
        double sim = psy__jaccard(&sh[a], &sh[b]);
        if (sim < threshold) continue;
        /* the later note (by session date, then id) is the copy */
        const struct a_doc *da = &au->docs[a], *db = &au->docs[b];
        int a_later = strcmp(au->ss[da->s].date, au->ss[db->s].date) > 0 ||
                      (!strcmp(au->ss[da->s].date, au->ss[db->s].date) && da->note > db->note);
        uint32_t later = a_later ? a : b, earlier = a_later ? b : a;
        if (sim > best[later].sim) best[later] = (struct best){earlier, sim};
        if (da->session == db->session && best[earlier].sim == 0)
            best[earlier] = (struct best){later, sim}; /* a member copy marks both notes of the session */
    }
    for (size_t d = 0; d < nd; d++) psy__shingles_free(&sh[d]);
    free(sh);
    free(need);
    free(pairs);
    au->best = best;
    return rc;
}

static void clones_emit(struct audit *au)
{
    const struct best *best = au->best;
    for (size_t d = 0; best && d < au->ndocs; d++) {
        if (best[d].sim <= 0) continue;
        const struct a_doc *x = &au->docs[d], *y = &au->docs[best[d].other];
        const struct a_session *s = &au->ss[x->s];
        if (x->session == y->session) {
            struct agg *g = gather(au, "R-GRP-2", PSY_AUDIT_WARNING, "session", s->id, 0, s->date);
            if (best[d].sim > g->f.similarity) g->f.similarity = best[d].sim;
            snprintf(g->f.message, sizeof g->f.message, "member notes in group session %lld are near copies of each other",
                     (long long)s->id);
        } else {
            struct psy_audit_finding *f = add(au, "R-DOC-CLONE", PSY_AUDIT_WARNING, "note", x->note, s->date);
            f->similarity = best[d].sim;
            snprintf(f->message, sizeof f->message, "note %lld (client %lld, session %lld) repeats note %lld of session "
                     "%lld (%s)", (long long)x->note, (long long)x->client, (long long)x->session, (long long)y->note,
                     (long long)y->session, au->ss[y->s].date);
        }
    }
}

/* --- running ------------------------------------------------------------------------------------------- */

static int rule_rank(const char *rule)
{
    for (int i = 0; rule_order[i]; i++)
        if (!strcmp(rule_order[i], rule)) return i;
    return 99;
}

static int cmp_finding(const void *pa, const void *pb)
{
    const struct psy_audit_finding *a = pa, *b = pb;
    int r = rule_rank(a->rule) - rule_rank(b->rule);
    if (r) return r;
    if ((r = strcmp(a->record_type, b->record_type))) return r;
    return a->record_id < b->record_id ? -1 : a->record_id > b->record_id;
}

/* Turns the gathered findings into plain ones, with their counts and first dates. */
static void flush_aggs(struct audit *au)
{
    for (size_t i = 0; i < au->naggs; i++) {
        struct agg *g = &au->aggs[i];
        struct psy_audit_finding *f = add(au, g->f.rule, g->f.severity, g->f.record_type, g->f.record_id, g->first);
        f->similarity = g->f.similarity;
        size_t l = strlen(g->f.message);
        if (!strcmp(g->f.rule, "R-GRP-2")) snprintf(f->message, sizeof f->message, "%.*s (%ld note%s)", (int)l,
                                                    g->f.message, g->count, g->count == 1 ? "" : "s");
        else snprintf(f->message, sizeof f->message, "%.*s: %ld session%s, the first on %s", (int)l, g->f.message,
                      g->count, g->count == 1 ? "" : "s", g->first);
    }
}

static void audit_free(struct audit *au)
{
    free(au->payers);
    free(au->pols);
    free(au->plans);
    free(au->auths);
    free(au->clients);
    free(au->clins);
    free(au->ss);
    free(au->att);
    free(au->lines);
    free(au->docs);
    free(au->exhausted);
    free(au->out);
    free(au->early);
    free(au->best);
    free(au->aggs);
    free(au->agg_index);
}

static psy_status audit_dates(struct audit *au, const struct psy_audit_opts *o)
{
    const char *from = o && o->from && *o->from ? o->from : NULL, *to = o && o->to && *o->to ? o->to : NULL;
    const char *as_of = o && o->as_of && *o->as_of ? o->as_of : NULL;
    if (from && !psy_records_date_valid(from)) return psy__rec_bad(au->st, "from", "not a date (YYYY-MM-DD)");
    if (to && !psy_records_date_valid(to)) return psy__rec_bad(au->st, "to", "not a date (YYYY-MM-DD)");
    if (as_of && !psy_records_date_valid(as_of)) return psy__rec_bad(au->st, "as_of", "not a date (YYYY-MM-DD)");
    if (from && to && strcmp(from, to) > 0) return psy__rec_bad(au->st, "to", "before from");
    snprintf(au->from, sizeof au->from, "%s", from ? from : "0000-00-00");
    snprintf(au->to, sizeof au->to, "%s", to ? to : "9999-99-99");
    if (as_of) snprintf(au->as_of, sizeof au->as_of, "%s", as_of);
    else psy__rec_today(au->as_of);
    return PSY_OK;
}

/* The impossible days (audit_day.c) over the sessions read: one row per session by its clinician, one
 * per session of a client and per present group member by the client. */
static void check_days(struct audit *au)
{
    struct psy__day_row *r = psy__calloc(au->nss ? au->nss : 1, sizeof *r), *k = NULL;
    size_t nk = 0, capk = 0;
    for (size_t i = 0; i < au->nss; i++) {
        const struct a_session *x = &au->ss[i];
        struct psy__day_row row = {x->id, x->clinician, x->date, x->start, x->stop, x->minutes};
        r[i] = row;
        if (x->client) {
            row.who = x->client;
            *PSY__PUSH(k, nk, capk) = row;
        }
        for (size_t j = x->att; j < x->att + x->natt; j++)
            if (au->att[j].present) {
                row.who = au->att[j].client;
                *PSY__PUSH(k, nk, capk) = row;
            }
    }
    psy__audit_day(r, au->nss, k, nk, au->conf.clinician_day_minutes_max, emit_day, au);
    free(r);
    free(k);
}

/* Every query of an audit: the records of the period, the notes' signatures and the clone comparison,
 * and the checks of audit_day.c, audit_necessity.c and audit_elig.c (their findings kept in early). */
static psy_status audit_read(struct audit *au, struct psy__lsh *lsh, double threshold)
{
    psy_status rc = load_practice(au);
    if (!rc) rc = load_reference(au);
    if (!rc) rc = load_sessions(au);
    if (!rc) rc = load_notes(au, lsh);
    if (!rc && !au->for_claims) rc = mark_exhausted(au);
    if (!rc) rc = check_clones(au, lsh, threshold);
    if (!rc) check_days(au);
    if (!rc)
        rc = psy__audit_necessity(au->st, au->practice, au->from, au->to, au->conf.medicare_in_person_from, emit_rec,
                                  au);
    if (!rc) rc = psy__audit_elig(au->st, au->practice, au->from, au->to, au->keep, emit_day, au);
    return rc;
}

/* The checks over what audit_read read, then the findings it kept; the whole list sorted. Only
 * check_plans_and_dx reads (the catalog), and not for the claims build. */
static psy_status audit_checks(struct audit *au)
{
    build_lines(au);
    check_signatures(au);
    check_sessions(au);
    check_minutes(au);
    check_credentials(au);
    psy_status rc = au->for_claims ? PSY_OK : check_plans_and_dx(au);
    if (!rc) rc = check_member_minutes(au);
    if (rc) return rc;
    if (!au->for_claims) check_auths(au);
    check_consent(au);
    clones_emit(au);
    for (size_t i = 0; i < au->nearly; i++) *PSY__PUSH(au->out, au->nout, au->capout) = au->early[i];
    flush_aggs(au);
    if (au->nout > 1) qsort(au->out, au->nout, sizeof *au->out, cmp_finding);
    return PSY_OK;
}

static psy_status audit_start(struct audit *au, psy_store *st, psy_id practice, const struct psy_audit_opts *o,
                              int for_claims)
{
    memset(au, 0, sizeof *au);
    au->st = st;
    au->practice = practice;
    au->for_claims = for_claims;
    psy__audit_conf(&au->conf);
    return audit_dates(au, o);
}

/* audit_read in a read transaction of its own, unless st is in one: the audit sees one consistent state
 * of the records (on PostgreSQL that takes a snapshot isolation level: its default one takes a fresh
 * snapshot per statement). */
static psy_status audit_read_all(struct audit *au, struct psy__lsh *lsh, double threshold)
{
    psy_store *st = au->st;
    int own = !psy__store_in_transaction(st);
    const char *begin =
        psy__db_dialect(st) == PSY_DB_POSTGRES ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN";
    psy_status rc = own ? psy__store_exec(st, begin) : PSY_OK;
    if (rc) return rc;
    rc = audit_read(au, lsh, threshold);
    if (own) psy__store_exec(st, "COMMIT");
    return rc;
}

static psy_status audit_run(psy_store *st, psy_id practice, const struct psy_audit_opts *o, psy_audit_cb cb, void *ud,
                            struct psy_audit_stats *stats, int for_claims, struct psy__elig_keep *keep)
{
    struct audit au;
    psy_status rc = audit_start(&au, st, practice, o, for_claims);
    if (rc) return rc;
    au.keep = keep;
    double threshold = o && o->clone_threshold > 0 ? o->clone_threshold : au.conf.clone_threshold;
    struct psy__lsh *lsh = psy__lsh_new(au.conf.bands, au.conf.rows);
    rc = audit_read_all(&au, lsh, threshold);
    if (!rc) rc = audit_checks(&au);
    for (size_t i = 0; !rc && cb && i < au.nout; i++)
        if (cb(ud, &au.out[i])) break;
    if (stats) {
        stats->sessions = (long)au.nss;
        stats->notes = (long)au.ndocs;
        stats->candidates = au.candidates;
        stats->verified = au.verified;
        stats->findings = (long)au.nout;
    }
    psy__lsh_free(lsh);
    audit_free(&au);
    return rc;
}

psy_status psy_audit_run(psy_store *st, psy_id practice, const struct psy_audit_opts *o, psy_audit_cb cb, void *ud,
                         struct psy_audit_stats *stats)
{
    return audit_run(st, practice, o, cb, ud, stats, 0, NULL);
}

struct collect {
    struct psy_audit_finding *v;
    size_t n, cap;
};

static int collect_one(void *ud, const struct psy_audit_finding *f)
{
    struct collect *c = ud;
    *PSY__PUSH(c->v, c->n, c->cap) = *f;
    return 0;
}

static psy_status collect(psy_store *st, psy_id practice, const struct psy_audit_opts *o,
                          struct psy_audit_finding **out, size_t *n, int for_claims, struct psy__elig_keep *keep)
{
    struct collect c = {0};
    psy_status rc = audit_run(st, practice, o, collect_one, &c, NULL, for_claims, keep);
    if (rc) {
        free(c.v);
        c.v = NULL;
        c.n = 0;
    }
    *out = c.v;
    *n = c.n;
    return rc;
}

psy_status psy_audit_collect(psy_store *st, psy_id practice, const struct psy_audit_opts *o,
                             struct psy_audit_finding **out, size_t *n)
{
    return collect(st, practice, o, out, n, 0, NULL);
}

psy_status psy__audit_collect_days(psy_store *st, psy_id practice, const char *from, const char *to,
                                   struct psy__elig_keep *keep, struct psy_audit_finding **out, size_t *n)
{
    struct psy_audit_opts o = {from, to, NULL, 0};
    return collect(st, practice, &o, out, n, 1, keep);
}

/* --- the claims build's audit, read on another connection ahead of its checks ----------------------- */

struct psy__audit_days {
    struct audit au;
};

psy_status psy__audit_days_read(psy_store *st, psy_id practice, const char *from, const char *to,
                                struct psy__elig_keep *keep, struct psy__audit_days **out)
{
    struct psy__audit_days *d = psy__calloc(1, sizeof *d);
    struct psy_audit_opts o = {from, to, NULL, 0};
    psy_status rc = audit_start(&d->au, st, practice, &o, 1);
    d->au.keep = keep;
    if (!rc) {
        struct psy__lsh *lsh = psy__lsh_new(d->au.conf.bands, d->au.conf.rows);
        rc = audit_read_all(&d->au, lsh, d->au.conf.clone_threshold);
        psy__lsh_free(lsh);
    }
    if (rc) {
        psy__audit_days_free(d);
        d = NULL;
    }
    *out = d;
    return rc;
}

static int by_session_id(const void *pa, const void *pb)
{
    const struct a_session *const *a = pa, *const *b = pb;
    return (*a)->id < (*b)->id ? -1 : (*a)->id > (*b)->id;
}

psy_status psy__audit_days_finish(struct psy__audit_days *d, psy_store *st, const struct psy__billed_item *items,
                                  size_t n, struct psy_audit_finding **out, size_t *nout)
{
    struct audit *au = &d->au;
    au->st = st;
    /* the billed codes as psy__records_billed_many wrote them: the code as the catalog spells it */
    struct a_session **by_id = psy__malloc((au->nss ? au->nss : 1) * sizeof *by_id);
    for (size_t i = 0; i < au->nss; i++) by_id[i] = &au->ss[i];
    qsort(by_id, au->nss, sizeof *by_id, by_session_id);
    for (size_t i = 0; i < n; i++) {
        struct a_session key = {.id = items[i].session}, *kp = &key;
        struct a_session **x = au->nss ? bsearch(&kp, by_id, au->nss, sizeof *by_id, by_session_id) : NULL;
        char code[PSY_CODE_MAX] = "";
        const char *c = items[i].code;
        if (c && *c && psy_catalog_normalize(PSY_SYS_CPT, c, code) && psy_catalog_normalize(PSY_SYS_HCPCS, c, code))
            code[0] = 0;
        if (!x) continue;
        if (!items[i].client) {
            memcpy((*x)->billed, code, sizeof code);
            continue;
        }
        struct a_att *a = find_att(au, *x, items[i].client);
        if (a) memcpy(a->billed, code, sizeof code);
    }
    free(by_id);
    psy_status rc = audit_checks(au);
    *out = rc ? NULL : au->out;
    *nout = rc ? 0 : au->nout;
    if (!rc) au->out = NULL;
    psy__audit_days_free(d);
    return rc;
}

void psy__audit_days_free(struct psy__audit_days *d)
{
    if (!d) return;
    audit_free(&d->au);
    free(d);
}
