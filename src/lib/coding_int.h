/*
 * coding_int.h -- the coding engine's internals, shared by the files that build and read its tables
 * (ncci.c, ncci_import.c, payer.c) and the engine itself (coding*.c): packed code keys, the NCCI tables,
 * a payer profile's resolved terms, the message builder and the findings sink.
 */
#ifndef PSY_CODING_INT_H
#define PSY_CODING_INT_H

#include "psy_int.h"

/* --- coding tables (ncci.c, payer.c, coding*.c) ------------------------------------------------ */

/* A 5-character procedure code ([0-9A-Z], upper case) packed into a non-zero 30-bit key; 0 when the
 * text is not such a code. Keys compare like the codes' digits/letters, so ranges work on keys. */
static inline uint32_t psy__code_key(const char *c)
{
    uint32_t k = 0;
    for (int i = 0; i < 5; i++) {
        unsigned char ch = (unsigned char)c[i];
        uint32_t v;
        if (ch >= '0' && ch <= '9') v = (uint32_t)(ch - '0') + 1;
        else if (ch >= 'A' && ch <= 'Z') v = (uint32_t)(ch - 'A') + 11;
        else return 0;
        k = k << 6 | v;
    }
    return c[5] ? 0 : k;
}

/* An E/M code: 99202-99499, or a telemedicine E/M 98000-98015 (CPT 2025). */
static inline int psy__is_em_key(uint32_t k)
{
    return (k >= psy__code_key("99202") && k <= psy__code_key("99499")) ||
           (k >= psy__code_key("98000") && k <= psy__code_key("98015"));
}

/* A hash index from 64-bit keys (never 0) to the first of the rows that carry the key in an array
 * sorted by key. */
struct psy__keyidx {
    uint64_t *keys;
    uint32_t *first;
    size_t mask;
};
void psy__keyidx_build(struct psy__keyidx *ix, const uint64_t *sorted_keys, size_t n);
long psy__keyidx_find(const struct psy__keyidx *ix, uint64_t key); /* -1 when absent */
void psy__keyidx_free(struct psy__keyidx *ix);

struct psy__ptp_row {
    uint64_t key; /* column1 key << 32 | column2 key */
    int32_t effective, deleted; /* YYYYMMDD; 0 = no start; 99991231 = in force */
    uint8_t indicator;          /* 0 never together, 1 with a distinct-service modifier */
};
struct psy__mue_row {
    uint64_t key;
    int32_t units;
    uint8_t mai; /* 1 per line, 2 per date (policy), 3 per date (clinical) */
};
struct psy__aoc_row {
    uint64_t key; /* add-on key */
    uint32_t primary;  /* 0 = any primary the contractor accepts ("CCCCC") */
    int32_t effective, deleted; /* YYYYMMDD, as for PTP rows */
    uint8_t type;      /* 1, 2 or 3 */
};

/* The three NCCI tables the coding engine reads, from the store when it holds an import, else from
 * the built-in set (data/ncci/). Immutable once loaded. */
struct psy__ncci {
    struct psy__ptp_row *ptp;
    struct psy__mue_row *mue;
    struct psy__aoc_row *aoc;
    size_t n_ptp, n_mue, n_aoc;
    struct psy__keyidx ix_ptp, ix_mue, ix_aoc;
    int imported[3]; /* per psy_ncci_kind: 1 when the rows came from the store */
};
psy_status psy__ncci_load(psy_store *st, struct psy__ncci *t, char *err, size_t errlen);
void psy__ncci_free(struct psy__ncci *t);
/* The PTP edit for column1/column2 in force on date (YYYYMMDD), or NULL. */
const struct psy__ptp_row *psy__ncci_ptp(const struct psy__ncci *t, uint32_t c1, uint32_t c2, int date);
const struct psy__mue_row *psy__ncci_mue(const struct psy__ncci *t, uint32_t code);
/* The AOC rows of an add-on code (*n of them, any date; check effective/deleted), or NULL when the
 * code is not an add-on. */
const struct psy__aoc_row *psy__ncci_aoc(const struct psy__ncci *t, uint32_t addon, size_t *n);

/* --- payer terms (payer.c, coding.c): one version of a profile, resolved ----------------------- */

#define PSY__PAYER_MAX_FEES 192
#define PSY__PAYER_MAX_LIST 48

enum { PSY__TH_POS_02_10 = 0, PSY__TH_POS_IN_PERSON = 1, PSY__TH_POS_02 = 2 };

struct psy__fee {
    uint32_t key;
    long long cents;
};

struct psy__not_covered {
    uint32_t key;
    psy_severity severity;
    char status[4];   /* e.g. the Medicare status indicator R or I; "" when none */
    char reason[160];
};

struct psy__payer_terms {
    int effective;                   /* YYYYMMDD, first day this version applies */
    char default_pos[3];             /* in-person place of service */
    int th_pos;                      /* PSY__TH_POS_02_10 or PSY__TH_POS_IN_PERSON */
    char video_mod[3], audio_mod[3]; /* "" = none */
    int audio_only;                  /* 1 when audio-only telehealth is paid */
    int th_home_refused;             /* 1 when telehealth with the patient at home is not paid */
    size_t n_th_excluded;
    uint32_t th_excluded[PSY__PAYER_MAX_LIST]; /* codes not paid by telehealth */
    size_t n_creds;
    struct {
        char credential[PSY_CREDENTIAL_MAX];
        char modifier[3];
    } creds[16];
    char kind_mod[PSY_SESSION_KIND_COUNT][3]; /* program/setting modifier per session kind */
    int group_size_max;                       /* 0 = no limit */
    int group_minutes_min;                    /* shortest group session the payer pays; 0 = none stated */
    size_t n_not_covered;
    struct psy__not_covered not_covered[PSY__PAYER_MAX_LIST];
    int prior_auth_all;
    size_t n_prior_auth;
    uint32_t prior_auth[PSY__PAYER_MAX_LIST];
    int em_modifier_25; /* the payer wants 25 on an E/M billed with a psychotherapy add-on */
    int crisis_away_from_office;     /* crisis away from the office at a non-facility site: G0017/G0018 */
    int telemedicine_em;             /* the payer pays the telemedicine E/M codes 98000-98015 */
    int same_specialty_one_provider; /* clinicians of one specialty count as one provider (NCCI, MUE) */
    int timely_filing_days; /* days after the date of service a claim must reach the payer; 0 = not stated */
    int timely_filing_months; /* or calendar months (the same day, else the month's last); 0 = not stated */
    int timely_next_workday;  /* a last day on a weekend or federal holiday moves to the next workday */
    int timely_after_medicare_months; /* a next payer's claim after Medicare: also until this many months
                                       * after Medicare's adjudication; 0 = not stated */
    size_t n_fees;
    struct psy__fee fees[PSY__PAYER_MAX_FEES]; /* sorted by key */
};

/* The version of profile id in force on date (YYYYMMDD). Returns PSY_ENOTFOUND when there is no such
 * profile, PSY_OK with *terms NULL when the profile has no version that early. */
psy_status psy__payer_terms(const psy_payers *ps, const char *id, int date, const struct psy__payer_terms **terms);
/* The built-in profiles, parsed once per process and shared read-only (never freed); NULL if the
 * compiled-in data does not parse (psy_payers_builtin then gives the error). */
const psy_payers *psy__payers_builtin_shared(void);
/* The fee in cents for a code key, or -1 when the version has none. */
long long psy__payer_fee(const struct psy__payer_terms *t, uint32_t key);

/* --- coding engine internals (coding.c, coding_sameday.c, coding_json.c) ------------------------ */

/* The code text of a key (inverse of psy__code_key) into out[6]. */
void psy__code_text(uint32_t key, char out[6]);

/* Appending text to a fixed buffer, truncating silently (explanations and messages). */
struct psy__sb {
    char *p;
    size_t n, cap;
};
static inline void psy__sb_init(struct psy__sb *b, char *buf, size_t cap)
{
    b->p = buf;
    b->n = 0;
    b->cap = cap;
    buf[0] = 0;
}
static inline void psy__sb_put(struct psy__sb *b, const char *s)
{
    while (*s && b->n + 1 < b->cap) b->p[b->n++] = *s++;
    b->p[b->n] = 0;
}
void psy__sb_int(struct psy__sb *b, long long v);
/* Copies src into dst[cap], truncating silently (coding_sink.c). */
void psy__copy_field(char *dst, size_t cap, const char *src);

/* Where findings go: a caller's array; past its cap they are counted but dropped. */
struct psy__sink {
    struct psy_finding *f;
    size_t cap, n, n_errors;
    struct psy_finding spill;
};
/* A new finding (message empty, to be filled with psy__sb); never NULL. */
struct psy_finding *psy__sink_add(struct psy__sink *k, psy_severity sev, const char *rule, const char *field);

/* Same-day edits (PTP, MUE, AOC) over lines. fields[i] names the input field of line i in findings
 * (NULL: "lines[i]"); sep_field names where separate times are stated (NULL: the line's own field). */
void psy__same_day(const struct psy__ncci *t, int date, const struct psy_coded_line *lines, size_t n,
                   const char *const *fields, const char *sep_field, struct psy__sink *out);

/* The code set by date of service (coding_codeset.c): the E/M code exists, is in force on the date and
 * is not an add-on; the place of service exists and fits the E/M's category (pos_given: the place came
 * from the input, else from the payer's default). */
void psy__codeset_check(int date, const char *em_code, const char *pos, int pos_given, struct psy__sink *out);
int psy__pos_exists(const char *pos);
/* The telemedicine E/M codes 98000-98015 (R-CODE-6): by the telecommunication they name, and only where
 * the payer's profile accepts them (telemedicine_em). */
void psy__telemed_em_check(int date, const char *em_code, psy_telehealth th, const struct psy__payer_terms *t,
                           const char *payer, struct psy__sink *out);
/* What a payer questions though it is billable (coding_warn.c): a group of one, a group shorter than
 * the payer's minimum, an individual session over 3 hours, a date of service in the future, input that
 * contradicts itself. Warnings only. */
void psy__input_warnings(const struct psy_coding_input *s, int date, const struct psy__payer_terms *t,
                         struct psy__sink *out);
/* Sets each line's billable flag from the error findings (a finding names a line by "lines[i]" or by
 * its origin field; one naming no line refuses them all) and the add-on anchors. */
void psy__codeset_billable(const struct psy__ncci *t, int date, struct psy_coded_line *lines, size_t n,
                           const char *const *origin, const struct psy_finding *f, size_t nf);

#endif
