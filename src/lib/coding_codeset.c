/*
 * coding_codeset.c -- the code set by date of service: which E/M codes exist on a date (CPT added and
 * deleted codes over the years), which are add-ons that can never be the visit itself, which places of
 * service exist, and whether a place of service fits the E/M's category (office, hospital inpatient,
 * nursing facility, home, emergency department). And, once a session is coded, whether each line may be
 * billed; and the telemedicine E/M codes 98000-98015 (CPT 2025) only by the telecommunication they name and
 * only where the payer's profile accepts them. Rules R-CODE-1 to R-CODE-6 in docs/rules.md.
 *
 * The engine touches no database, so the E/M part of the code set it needs is this table; the built-in
 * catalog (data/catalog/cpt.json) holds the same codes with the same dates, and test_coding's
 * test_em_set keeps the two equal. Dates are CPT's: deletions take effect on January 1 of the CPT year
 * (domain.md 8.1).
 */
#include <stdio.h>
#include <string.h>
#include "coding_int.h"

enum em_cat { CAT_OFFICE, CAT_HOSPITAL, CAT_NURSING, CAT_HOME, CAT_ED, CAT_OTHER, CAT_TELEMED };

struct em_range {
    const char *lo, *hi;
    enum em_cat cat;
    int effective, deleted; /* YYYYMMDD; 0 = always / never */
    int addon;
};

/* domain.md 1.3 (the E/M families 90833/90836/90838 go with) and 8.1 (CPT deletions 2021-2025). */
static const struct em_range em_codes[] = {
    {"99201", "99201", CAT_OFFICE, 0, 20210101, 0}, /* CPT 2021 */
    {"99202", "99205", CAT_OFFICE, 0, 0, 0},
    {"99211", "99215", CAT_OFFICE, 0, 0, 0},
    {"99217", "99220", CAT_HOSPITAL, 0, 20230101, 0},
    {"99221", "99223", CAT_HOSPITAL, 0, 0, 0},
    {"99224", "99226", CAT_HOSPITAL, 0, 20230101, 0},
    {"99231", "99236", CAT_HOSPITAL, 0, 0, 0},
    {"99238", "99239", CAT_HOSPITAL, 0, 0, 0},
    {"99241", "99241", CAT_OFFICE, 0, 20230101, 0},
    {"99242", "99245", CAT_OFFICE, 0, 0, 0},
    {"99251", "99251", CAT_HOSPITAL, 0, 20230101, 0},
    {"99252", "99255", CAT_HOSPITAL, 0, 0, 0},
    {"99281", "99285", CAT_ED, 0, 0, 0},
    {"99291", "99291", CAT_OTHER, 0, 0, 0},
    {"99292", "99292", CAT_OTHER, 0, 0, 1},
    {"99304", "99310", CAT_NURSING, 0, 0, 0},
    {"99315", "99316", CAT_NURSING, 0, 0, 0},
    {"99318", "99318", CAT_NURSING, 0, 20230101, 0},
    {"99324", "99328", CAT_HOME, 0, 20230101, 0},
    {"99334", "99337", CAT_HOME, 0, 20230101, 0},
    {"99339", "99340", CAT_OTHER, 0, 20230101, 0},
    {"99341", "99342", CAT_HOME, 0, 0, 0},
    {"99343", "99343", CAT_HOME, 0, 20230101, 0},
    {"99344", "99345", CAT_HOME, 0, 0, 0},
    {"99347", "99350", CAT_HOME, 0, 0, 0},
    {"99354", "99357", CAT_OTHER, 0, 20240101, 1},
    {"99417", "99417", CAT_OTHER, 20210101, 0, 1},
    {"99418", "99418", CAT_OTHER, 20230101, 0, 1},
    {"99441", "99443", CAT_OTHER, 0, 20250101, 0},
    {"98000", "98015", CAT_TELEMED, 20250101, 0, 0}, /* CPT 2025 telemedicine E/M (R-CODE-6) */
};

/* The CMS place-of-service code set as the built-in catalog holds it (data/catalog/pos.json). */
static const char *const pos_codes[] = {"02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14",
                                        "15", "16", "17", "18", "19", "20", "21", "22", "23", "26", "27", "31", "32",
                                        "33", "34", "49", "50", "51", "52", "53", "54", "55", "56", "57", "58", "71",
                                        "72", "99"};

int psy__pos_exists(const char *pos)
{
    for (size_t i = 0; i < sizeof pos_codes / sizeof pos_codes[0]; i++)
        if (!strcmp(pos_codes[i], pos)) return 1;
    return 0;
}

static const struct em_range *em_find(const char *code)
{
    uint32_t k = psy__code_key(code);
    for (size_t i = 0; k && i < sizeof em_codes / sizeof em_codes[0]; i++)
        if (k >= psy__code_key(em_codes[i].lo) && k <= psy__code_key(em_codes[i].hi)) return &em_codes[i];
    return NULL;
}

/* The places where an E/M of the category is furnished (CPT category headings; POS descriptions in
 * the CMS POS code set). Telehealth places (02, 10) are the telehealth rules' matter (R-TH-1). */
static int pos_fits(enum em_cat cat, const char *pos)
{
    static const char *const hospital[] = {"21", "22", "51", "52", "61", NULL};
    static const char *const nursing[] = {"31", "32", NULL};
    static const char *const home[] = {"04", "12", "13", "14", "16", "33", NULL};
    static const char *const ed[] = {"23", NULL};
    const char *const *want = cat == CAT_HOSPITAL ? hospital
                              : cat == CAT_NURSING ? nursing
                              : cat == CAT_HOME    ? home
                              : cat == CAT_ED      ? ed
                                                   : NULL;
    if (!strcmp(pos, "02") || !strcmp(pos, "10") || cat == CAT_OTHER || cat == CAT_TELEMED) return 1;
    if (cat == CAT_OFFICE) /* office or other outpatient: anywhere but the other categories' places */
        return !pos_fits(CAT_HOSPITAL, pos) && !pos_fits(CAT_NURSING, pos) && !pos_fits(CAT_HOME, pos) &&
               !pos_fits(CAT_ED, pos);
    for (const char *const *p = want; *p; p++)
        if (!strcmp(*p, pos)) return 1;
    return 0;
}

static const char *cat_name(enum em_cat c)
{
    return c == CAT_OFFICE ? "office or other outpatient" : c == CAT_HOSPITAL ? "hospital inpatient or observation"
           : c == CAT_NURSING ? "nursing facility" : c == CAT_HOME ? "home or residence" : "emergency department";
}

static void date_text(int d, char out[PSY_DATE_MAX])
{
    unsigned u = (unsigned)d;
    snprintf(out, PSY_DATE_MAX, "%04u-%02u-%02u", (u / 10000) % 10000, (u / 100) % 100, u % 100);
}

void psy__codeset_check(int date, const char *em_code, const char *pos, int pos_given, struct psy__sink *out)
{
    struct psy__sb b;
    struct psy_finding *f;
    if (*pos && !psy__pos_exists(pos)) {
        f = psy__sink_add(out, PSY_SEVERITY_ERROR, "R-CODE-4", "place_of_service");
        psy__sb_init(&b, f->message, sizeof f->message);
        psy__sb_put(&b, "place of service ");
        psy__sb_put(&b, pos);
        psy__sb_put(&b, " is not in the CMS place-of-service code set");
    }
    if (!*em_code) return;
    const struct em_range *e = em_find(em_code);
    if (!e) {
        f = psy__sink_add(out, PSY_SEVERITY_ERROR, "R-CODE-1", "em_code");
        psy__sb_init(&b, f->message, sizeof f->message);
        psy__sb_put(&b, em_code);
        psy__sb_put(&b, " is not an E/M code of the code set (office, hospital, consultation, emergency, critical "
                        "care, nursing facility, home): it cannot be billed");
        return;
    }
    if (e->addon) {
        f = psy__sink_add(out, PSY_SEVERITY_ERROR, "R-CODE-3", "em_code");
        psy__sb_init(&b, f->message, sizeof f->message);
        psy__sb_put(&b, em_code);
        psy__sb_put(&b, " is an add-on (prolonged or additional time) and is never the visit itself: give the "
                        "primary E/M code");
        return;
    }
    if ((e->effective && date < e->effective) || (e->deleted && date >= e->deleted)) {
        char d[PSY_DATE_MAX];
        date_text(e->deleted && date >= e->deleted ? e->deleted : e->effective, d);
        f = psy__sink_add(out, PSY_SEVERITY_ERROR, "R-CODE-2", "em_code");
        psy__sb_init(&b, f->message, sizeof f->message);
        psy__sb_put(&b, em_code);
        psy__sb_put(&b, e->deleted && date >= e->deleted ? " was deleted from CPT on " : " is in CPT only from ");
        psy__sb_put(&b, d);
        psy__sb_put(&b, ": it is not a code on the date of service");
        return;
    }
    if (*pos && !pos_fits(e->cat, pos)) {
        f = psy__sink_add(out, pos_given ? PSY_SEVERITY_ERROR : PSY_SEVERITY_WARNING, "R-CODE-5",
                          pos_given ? "place_of_service" : "em_code");
        psy__sb_init(&b, f->message, sizeof f->message);
        psy__sb_put(&b, em_code);
        psy__sb_put(&b, " is a ");
        psy__sb_put(&b, cat_name(e->cat));
        psy__sb_put(&b, " visit, but the place of service is ");
        psy__sb_put(&b, pos);
        psy__sb_put(&b, pos_given ? ": the code or the place is wrong"
                                  : " (the payer's default): give the place where the visit happened");
    }
}

void psy__telemed_em_check(int date, const char *em_code, psy_telehealth th, const struct psy__payer_terms *t,
                           const char *payer, struct psy__sink *out)
{
    uint32_t k = psy__code_key(em_code);
    if (!k || k < psy__code_key("98000") || k > psy__code_key("98015") || date < 20250101) return;
    int audio_code = k >= psy__code_key("98008"); /* 98000-98007 audio-video, 98008-98015 audio-only */
    const char *why = NULL;
    if (th == PSY_TELEHEALTH_NONE)
        why = " is a telemedicine E/M (real-time audio-video or audio-only): an in-person visit is coded 99202-99215";
    else if (audio_code && th == PSY_TELEHEALTH_VIDEO)
        why = " is an audio-only telemedicine E/M (98008-98015): a video visit is 98000-98007";
    else if (!audio_code && th == PSY_TELEHEALTH_AUDIO)
        why = " is an audio-video telemedicine E/M (98000-98007): an audio-only visit is 98008-98015";
    struct psy__sb b;
    struct psy_finding *f;
    if (why) {
        f = psy__sink_add(out, PSY_SEVERITY_ERROR, "R-CODE-6", th == PSY_TELEHEALTH_NONE ? "em_code" : "telehealth");
        psy__sb_init(&b, f->message, sizeof f->message);
        psy__sb_put(&b, em_code);
        psy__sb_put(&b, why);
    }
    if (!t->telemedicine_em) {
        f = psy__sink_add(out, PSY_SEVERITY_ERROR, "R-CODE-6", "em_code");
        psy__sb_init(&b, f->message, sizeof f->message);
        psy__sb_put(&b, "payer ");
        psy__sb_put(&b, payer);
        psy__sb_put(&b, " does not accept the telemedicine E/M codes 98000-98015: bill the visit's office E/M code "
                        "(99202-99215) with the payer's telehealth place of service and modifier");
    }
}

void psy__codeset_billable(const struct psy__ncci *t, int date, struct psy_coded_line *lines, size_t n,
                           const char *const *origin, const struct psy_finding *f, size_t nf)
{
    for (size_t i = 0; i < n; i++) lines[i].billable = 1;
    for (size_t k = 0; k < nf; k++) {
        if (f[k].severity != PSY_SEVERITY_ERROR) continue;
        int named = 0;
        for (size_t i = 0; i < n; i++) {
            char li[PSY_FIELD_MAX];
            snprintf(li, sizeof li, "lines[%zu]", i);
            if (!strcmp(f[k].field, li) || (origin[i] && !strcmp(f[k].field, origin[i]))) {
                lines[i].billable = 0;
                named = 1;
            }
        }
        if (!named) /* an error about the session as a whole: nothing of it is billed */
            for (size_t i = 0; i < n; i++) lines[i].billable = 0;
    }
    /* an add-on is billed only with a billable primary it may go with (twice: 90785 rides on an add-on) */
    for (size_t pass = 0; pass < 2 * n; pass++) {
        size_t i = pass % n;
        size_t nr;
        const struct psy__aoc_row *rows = psy__ncci_aoc(t, psy__code_key(lines[i].code), &nr);
        if (!lines[i].billable || !nr) continue;
        int anchored = 0, listed = 0;
        for (size_t r = 0; r < nr && !anchored; r++) {
            if (rows[r].effective > date || date > rows[r].deleted || rows[r].type == 2) continue;
            listed = 1;
            for (size_t k = 0; k < n && !anchored; k++)
                anchored = k != i && lines[k].billable && psy__code_key(lines[k].code) == rows[r].primary;
        }
        if (listed && !anchored) lines[i].billable = 0;
    }
}
