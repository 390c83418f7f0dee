/*
 * coding.c -- the coding engine: one described session in, claim lines out (psy_coding_session), plus
 * the coder that holds the tables it reads. Rules and their sources: docs/rules.md; every rule id
 * written here is listed there with the tests that evidence it.
 *
 * The one idea: coding is a fixed pipeline over the caller's result buffer, with no allocation and no
 * database: (1) validate the description; (2) pick the payer version in force on the date; (3) build
 * the lines of the session kind for one patient (the time bands, crisis formula, family minimum ...);
 * (4) place them (in-person POS, or telehealth POS 02/10 and modality modifier by the payer's
 * convention); (5) apply the payer's modifiers, coverage, prior authorisation and fees; (6) run the
 * same-day NCCI edits over those lines; (7) copy the lines once per further group member. A step that
 * refuses adds an error finding and the pipeline goes on, so one call reports every problem at once.
 */
#include <stdlib.h>
#include <string.h>
#include "coding_int.h"

struct psy_coder {
    struct psy__ncci ncci;
    psy_payers *payers;
};

/* --- small helpers ------------------------------------------------------------------------------- */

void psy_session_init(struct psy_coding_input *s)
{
    memset(s, 0, sizeof *s);
    s->minutes = -1;
    s->prior_auth = -1;
}

/* --- the coder ------------------------------------------------------------------------------------ */

psy_status psy_coding_open(psy_store *st, psy_coder **out, char *err, size_t errlen)
{
    psy_coder *cx = psy__calloc(1, sizeof *cx);
    psy_status rc = psy__ncci_load(st, &cx->ncci, err, errlen);
    if (!rc) rc = psy_payers_builtin(&cx->payers, err, errlen);
    if (rc) {
        psy_coding_close(cx);
        cx = NULL;
    }
    *out = cx;
    return rc;
}

psy_status psy_coding_add_payer_file(psy_coder *cx, const char *path, char *err, size_t errlen)
{
    return psy_payers_add_file(cx->payers, path, err, errlen);
}

psy_status psy_coding_add_payer_json(psy_coder *cx, const char *text, size_t len, const char *origin, char *err,
                                     size_t errlen)
{
    return psy_payers_add_json(cx->payers, text, len, origin, err, errlen);
}

void psy_coding_close(psy_coder *cx)
{
    if (!cx) return;
    psy__ncci_free(&cx->ncci);
    psy_payers_free(cx->payers);
    free(cx);
}

const psy_payers *psy_coding_payers(const psy_coder *cx) { return cx->payers; }

int psy_coding_table_imported(const psy_coder *cx, psy_ncci_kind kind, size_t *rows)
{
    const size_t n[PSY_NCCI_KIND_COUNT] = {cx->ncci.n_ptp, cx->ncci.n_mue, cx->ncci.n_aoc};
    if ((unsigned)kind >= PSY_NCCI_KIND_COUNT) return 0;
    if (rows) *rows = n[kind];
    return cx->ncci.imported[kind];
}

/* --- one coding job ------------------------------------------------------------------------------- */

/* Rule ids (docs/rules.md). */
#define R_TIME_1 "R-TIME-1"
#define R_EM_1 "R-EM-1"
#define R_EM_2 "R-EM-2"
#define R_EM_3 "R-EM-3"
#define R_CRISIS_1 "R-CRISIS-1"
#define R_CRISIS_2 "R-CRISIS-2"
#define R_CODE_6 "R-CODE-6"
#define R_FAM_1 "R-FAM-1"
#define R_GRP_1 "R-GRP-1"
#define R_GRP_4 "R-GRP-4"
#define R_MFG_1 "R-MFG-1"
#define R_DIAG_1 "R-DIAG-1"
#define R_ADDON_1 "R-ADDON-1"
#define R_ADDON_2 "R-ADDON-2"
#define R_PTP_1 "R-PTP-1"
#define R_PTP_3 "R-PTP-3"
#define R_DOC_IC "R-DOC-IC"
#define R_TH_1 "R-TH-1"
#define R_TH_2 "R-TH-2"
#define R_TH_5 "R-TH-5"
#define R_TH_6 "R-TH-6"
#define R_TH_7 "R-TH-7"
#define R_POS_1 "R-POS-1"
#define R_PAY_1 "R-PAY-1"
#define R_PAY_2 "R-PAY-2"
#define R_PAY_3 "R-PAY-3"
#define R_PAY_4 "R-PAY-4"
#define R_PAY_5 "R-PAY-5"
#define R_PAY_6 "R-PAY-6"
#define R_PAY_7 "R-PAY-7"

struct job {
    const psy_coder *cx;
    const struct psy_coding_input *s;
    const struct psy__payer_terms *t;
    const char *payer_id;
    struct psy_coding_result *r;
    struct psy__sink sink;
    int date;
    int per_member;                            /* group kinds: lines are one member's */
    const char *origin[PSY_CODING_MAX_LINES]; /* the input field behind each line */
};

static struct psy_finding *finding(struct job *j, psy_severity sev, const char *rule, const char *field,
                                   struct psy__sb *b)
{
    struct psy_finding *f = psy__sink_add(&j->sink, sev, rule, field);
    psy__sb_init(b, f->message, sizeof f->message);
    return f;
}

/* One-call messages: the parts are concatenated. */
static void say(struct job *j, psy_severity sev, const char *rule, const char *field, const char *a, const char *b2,
                const char *c)
{
    struct psy__sb b;
    finding(j, sev, rule, field, &b);
    psy__sb_put(&b, a);
    if (b2) psy__sb_put(&b, b2);
    if (c) psy__sb_put(&b, c);
}

static struct psy_coded_line *add_line(struct job *j, const char *code, int units, const char *origin,
                                       struct psy__sb *expl)
{
    struct psy_coding_result *r = j->r;
    struct psy_coded_line *l = &r->lines[r->n_lines];
    j->origin[r->n_lines++] = origin;
    psy__copy_field(l->code, sizeof l->code, code);
    l->units = units;
    l->n_modifiers = 0;
    l->place_of_service[0] = 0;
    l->n_rules = 0;
    l->charge_cents = 0;
    l->member = j->per_member ? 1 : 0;
    l->separate_times = j->s->separate_times;
    psy__sb_init(expl, l->explanation, sizeof l->explanation);
    return l;
}

static void add_rule(struct psy_coded_line *l, const char *id)
{
    for (int i = 0; i < l->n_rules; i++)
        if (!strcmp(l->rules[i], id)) return;
    if (l->n_rules < PSY_LINE_MAX_RULES) l->rules[l->n_rules++] = id;
}

static void add_modifier(struct job *j, struct psy_coded_line *l, const char *m, const char *rule)
{
    for (int i = 0; i < l->n_modifiers; i++)
        if (!strcmp(l->modifiers[i], m)) return;
    if (l->n_modifiers == PSY_LINE_MAX_MODIFIERS) {
        struct psy__sb b;
        finding(j, PSY_SEVERITY_ERROR, rule, j->origin[l - j->r->lines], &b);
        psy__sb_put(&b, l->code);
        psy__sb_put(&b, " would need more than four modifiers (");
        psy__sb_put(&b, m);
        psy__sb_put(&b, " does not fit); an 837P line carries four");
        return;
    }
    memcpy(l->modifiers[l->n_modifiers++], m, 3);
    add_rule(l, rule);
}

static psy_status input_error(struct psy_coding_result *r, const char *field, const char *msg1, const char *msg2)
{
    struct psy__sink k = {.f = r->findings, .cap = PSY_CODING_MAX_FINDINGS};
    struct psy__sb b;
    struct psy_finding *f = psy__sink_add(&k, PSY_SEVERITY_ERROR, "INPUT", field);
    psy__sb_init(&b, f->message, sizeof f->message);
    psy__sb_put(&b, field);
    psy__sb_put(&b, ": ");
    psy__sb_put(&b, msg1);
    if (msg2) psy__sb_put(&b, msg2);
    r->n_lines = 0;
    r->n_findings = k.n;
    r->n_errors = k.n_errors;
    return PSY_EINVAL;
}

static int is_em(uint32_t key) { return psy__is_em_key(key); }

static int is_prescriber(const char *cred)
{
    static const char *const list[] = {"MD", "DO", "NP", "PA", "APRN", "PMHNP", "CNS", NULL};
    for (const char *const *p = list; *p; p++)
        if (!strcmp(*p, cred)) return 1;
    return 0;
}

/* --- building the lines of one patient --------------------------------------------------------------- */

static const char *const band_codes[2][4] = {{NULL, "90832", "90834", "90837"}, {NULL, "90833", "90836", "90838"}};
static const char *const band_text[4] = {"under 16", "16-37", "38-52", "53 or more"};

static int band(int minutes) { return minutes < 16 ? 0 : minutes <= 37 ? 1 : minutes <= 52 ? 2 : 3; }

static void put_minutes(struct psy__sb *b, int minutes, const char *what)
{
    psy__sb_int(b, minutes);
    psy__sb_put(b, what);
}

/* A finding on the minutes field: "<minutes><text>". */
static void minutes_finding(struct job *j, psy_severity sev, const char *rule, const char *text)
{
    struct psy__sb b;
    finding(j, sev, rule, "minutes", &b);
    put_minutes(&b, j->s->minutes, text);
}

/* The E/M line of the same visit. */
static struct psy_coded_line *em_line(struct job *j)
{
    struct psy__sb e;
    struct psy_coded_line *l = add_line(j, j->s->em_code, 1, "em_code", &e);
    add_rule(l, R_EM_1);
    uint32_t k = psy__code_key(j->s->em_code);
    if (k >= psy__code_key("98000") && k <= psy__code_key("98015")) add_rule(l, R_CODE_6);
    psy__sb_put(&e, j->s->em_code);
    psy__sb_put(&e, " is the E/M service of the same visit, its level chosen on medical decision making or on "
                    "time that leaves out every psychotherapy minute");
    if (*j->s->credential && !is_prescriber(j->s->credential))
        say(j, PSY_SEVERITY_ERROR, R_EM_3, "credential", "a clinician with the credential ", j->s->credential,
            " does not bill E/M services; psychotherapy alone is coded 90832, 90834 or 90837");
    return l;
}

/* 90785 on its anchor, or the refusal that says why there is none. */
static void interactive_complexity(struct job *j, const struct psy_coded_line *anchor, const char *refusal_rule,
                                   const char *refusal)
{
    if (!j->s->interactive_complexity) return;
    if (!anchor) {
        say(j, PSY_SEVERITY_ERROR, refusal_rule, "interactive_complexity", refusal, NULL, NULL);
        return;
    }
    size_t n;
    const struct psy__aoc_row *rows = psy__ncci_aoc(&j->cx->ncci, psy__code_key("90785"), &n);
    uint32_t ak = psy__code_key(anchor->code);
    int allowed = 0;
    for (size_t i = 0; i < n; i++)
        allowed |= rows[i].primary == ak && rows[i].effective <= j->date && j->date <= rows[i].deleted;
    if (!allowed) {
        say(j, PSY_SEVERITY_ERROR, R_ADDON_1, "interactive_complexity", "90785 may not ride on ", anchor->code,
            ": it is not one of the add-on's allowed primaries in the NCCI add-on table");
        return;
    }
    struct psy__sb e;
    char acode[PSY_CODE_MAX];
    psy__copy_field(acode, sizeof acode, anchor->code);
    struct psy_coded_line *l = add_line(j, "90785", 1, "interactive_complexity", &e);
    add_rule(l, R_ADDON_1);
    add_rule(l, R_DOC_IC);
    psy__sb_put(&e, "Interactive complexity rides on ");
    psy__sb_put(&e, acode);
    psy__sb_put(&e, ", one of its allowed primaries, and the note must name the complexity factor that occurred");
}

static psy_status need_minutes(struct job *j, const char *what)
{
    if (j->s->minutes >= 0) return PSY_OK;
    return input_error(j->r, "minutes", "required for ", what);
}

static psy_status code_individual(struct job *j)
{
    const struct psy_coding_input *s = j->s;
    psy_status rc = need_minutes(j, "individual psychotherapy (psychotherapy minutes, a whole number)");
    if (rc) return rc;
    int b = band(s->minutes), with_em = *s->em_code != 0;
    struct psy_coded_line *em = with_em ? em_line(j) : NULL, *anchor = NULL;
    if (b == 0 && with_em) {
        minutes_finding(j, PSY_SEVERITY_WARNING, R_TIME_1, " psychotherapy minutes are under 16: not reportable as "
                                                           "psychotherapy, so only the E/M is coded");
    } else if (b == 0) {
        minutes_finding(j, PSY_SEVERITY_ERROR, R_TIME_1, " psychotherapy minutes are under 16: not reportable as "
                                                         "psychotherapy (90832 starts at 16 minutes)");
    } else {
        struct psy__sb e;
        anchor = add_line(j, band_codes[with_em][b], 1, "minutes", &e);
        add_rule(anchor, R_TIME_1);
        if (with_em) add_rule(anchor, R_EM_2);
        put_minutes(&e, s->minutes, with_em ? " psychotherapy minutes with an E/M visit fall in the " : " psychotherapy "
                                                                                                         "minutes fall in the ");
        psy__sb_put(&e, band_text[b]);
        psy__sb_put(&e, with_em ? " minute band, so add-on " : " minute band, so one ");
        psy__sb_put(&e, anchor->code);
        psy__sb_put(&e, with_em ? " (the E/M level has no bearing on it)" : " for the whole session");
        if (em && j->t->em_modifier_25) add_modifier(j, em, "25", R_PAY_7);
    }
    interactive_complexity(j, anchor, R_ADDON_2,
                           "90785 needs a psychotherapy line as its anchor; with an E/M visit that is the add-on "
                           "90833/90836/90838, never the E/M alone");
    return PSY_OK;
}

/* The in-person place of a crisis session when the payer bills crisis psychotherapy there with
 * G0017/G0018 (R-CRISIS-2): any place paid at the non-facility rate other than the office, or NULL.
 * Facility-rate places are those the CMS physician fee schedule pays at the facility rate. */
static const char *crisis_away_site(const struct job *j)
{
    static const char *const facility[] = {"19", "21", "22", "23", "24", "26", "31", "34", "41",
                                           "42", "51", "52", "53", "56", "61", NULL};
    const char *pos = *j->s->place_of_service ? j->s->place_of_service : j->t->default_pos;
    if (!j->t->crisis_away_from_office || j->s->telehealth != PSY_TELEHEALTH_NONE) return NULL;
    if (!psy__pos_exists(pos) || !strcmp(pos, "11") || !strcmp(pos, "02") || !strcmp(pos, "10")) return NULL;
    for (const char *const *f = facility; *f; f++)
        if (!strcmp(*f, pos)) return NULL;
    return pos;
}

static psy_status code_crisis(struct job *j)
{
    const struct psy_coding_input *s = j->s;
    psy_status rc = need_minutes(j, "crisis psychotherapy (total crisis minutes on the date)");
    if (rc) return rc;
    int m = s->minutes;
    const char *away = crisis_away_site(j);
    const char *first = away ? "G0017" : "90839", *more = away ? "G0018" : "90840";
    if (m < 30) {
        minutes_finding(j, PSY_SEVERITY_ERROR, R_CRISIS_1, " crisis minutes are under 30: not crisis psychotherapy; "
                                                           "describe the session as individual psychotherapy (90832 "
                                                           "from 16 minutes) if that is what it was");
    } else {
        struct psy__sb e;
        struct psy_coded_line *l = add_line(j, first, 1, "minutes", &e);
        add_rule(l, R_CRISIS_1);
        put_minutes(&e, m, " crisis minutes on the date reach ");
        psy__sb_put(&e, first);
        psy__sb_put(&e, ", the first hour of crisis psychotherapy (30 minutes and more)");
        if (j->t->crisis_away_from_office) add_rule(l, R_CRISIS_2); /* considered: the place decides */
        if (away) {
            psy__sb_put(&e, "; this payer wants G0017/G0018 instead of 90839/90840 away from the office at POS ");
            psy__sb_put(&e, away);
            psy__sb_put(&e, ", a non-facility-rate site");
        }
        if (m >= 75) {
            int units = (m - 75) / 30 + 1;
            l = add_line(j, more, units, "minutes", &e);
            add_rule(l, R_CRISIS_1);
            if (j->t->crisis_away_from_office) add_rule(l, R_CRISIS_2);
            put_minutes(&e, m, " crisis minutes give (");
            psy__sb_int(&e, m);
            psy__sb_put(&e, " - 75) / 30 rounded down, plus 1 = ");
            psy__sb_int(&e, units);
            psy__sb_put(&e, units == 1 ? " unit" : " units");
            psy__sb_put(&e, " of ");
            psy__sb_put(&e, more);
            psy__sb_put(&e, ", one per further 30 minutes once its midpoint is passed");
        }
    }
    if (*s->em_code) em_line(j);
    interactive_complexity(j, NULL, R_PTP_1,
                           "90785 is never billed with crisis psychotherapy (NCCI pairs 90839/90840 with 90785 at "
                           "modifier indicator 0)");
    return PSY_OK;
}

static psy_status code_family(struct job *j, int patient_present)
{
    const struct psy_coding_input *s = j->s;
    psy_status rc = need_minutes(j, "family psychotherapy (psychotherapy minutes, a whole number)");
    if (rc) return rc;
    if (s->minutes < 26) {
        minutes_finding(j, PSY_SEVERITY_ERROR, R_FAM_1, " minutes are under the 26 minutes a family psychotherapy code "
                                                        "needs (it describes about 50 minutes; the midpoint must be "
                                                        "passed)");
    } else {
        struct psy__sb e;
        struct psy_coded_line *l = add_line(j, patient_present ? "90847" : "90846", 1, "kind", &e);
        add_rule(l, R_FAM_1);
        put_minutes(&e, s->minutes, patient_present ? " minutes of family psychotherapy with the patient present "
                                                      "pass the 26-minute minimum, so 90847"
                                                    : " minutes of family psychotherapy without the patient pass "
                                                      "the 26-minute minimum, so 90846 (it must serve the "
                                                      "patient's treatment)");
    }
    if (*s->em_code) em_line(j);
    interactive_complexity(j, NULL, R_ADDON_2, "90785 is not billed with family psychotherapy (90846, 90847, 90849)");
    return PSY_OK;
}

static void group_size(struct job *j)
{
    const struct psy_coding_input *s = j->s;
    int max = j->t->group_size_max;
    struct psy__sb b;
    if (s->group_size == 0) {
        finding(j, PSY_SEVERITY_WARNING, R_GRP_1, "group_size", &b);
        psy__sb_put(&b, "the number of participants is not recorded; it belongs in the group note");
        if (max) {
            psy__sb_put(&b, " and the payer's limit of ");
            psy__sb_int(&b, max);
            psy__sb_put(&b, " cannot be checked");
        }
    } else if (max && s->group_size > max) {
        finding(j, PSY_SEVERITY_ERROR, R_GRP_1, "group_size", &b);
        psy__sb_int(&b, s->group_size);
        psy__sb_put(&b, " participants exceed the payer's group limit of ");
        psy__sb_int(&b, max);
    }
}

/* The kinds billed once per member (group) or per identified patient (multiple-family group). */
static psy_status code_per_member(struct job *j, const char *code, const char *rule, const char *sentence,
                                  int complexity_allowed)
{
    struct psy__sb e;
    struct psy_coded_line *l = add_line(j, code, 1, "kind", &e);
    add_rule(l, rule);
    psy__sb_put(&e, sentence);
    if (*j->s->em_code) em_line(j);
    interactive_complexity(j, complexity_allowed ? l : NULL, R_ADDON_2,
                           "90785 is not billed with family psychotherapy (90846, 90847, 90849)");
    return PSY_OK;
}

static psy_status code_diagnostic(struct job *j, int medical)
{
    const struct psy_coding_input *s = j->s;
    struct psy__sb e;
    struct psy_coded_line *l = add_line(j, medical ? "90792" : "90791", 1, "kind", &e);
    add_rule(l, R_DIAG_1);
    psy__sb_put(&e, medical ? "A diagnostic evaluation with medical services by a prescriber is 90792"
                            : "A diagnostic evaluation without medical services is 90791");
    if (medical && *s->credential && !is_prescriber(s->credential))
        say(j, PSY_SEVERITY_ERROR, R_DIAG_1, "credential", "90792 includes medical services by a prescriber (MD, DO, "
                                                            "NP, PA); a clinician with the credential ",
            s->credential, " bills 90791");
    if (*s->em_code) em_line(j);
    interactive_complexity(j, l, R_ADDON_2, "");
    return PSY_OK;
}

/* --- placing the lines ------------------------------------------------------------------------------ */

static int listed(const uint32_t *list, size_t n, uint32_t key)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == key) return 1;
    return 0;
}

static void place(struct job *j)
{
    const struct psy_coding_input *s = j->s;
    const struct psy__payer_terms *t = j->t;
    const char *pos, *mod = NULL, *rule = R_POS_1;
    struct psy__sb b;
    if (s->telehealth != PSY_TELEHEALTH_NONE) {
        rule = R_TH_1;
        if (t->th_pos == PSY__TH_POS_02_10) {
            pos = s->patient_location == PSY_LOCATION_HOME ? "10" : s->patient_location == PSY_LOCATION_OTHER ? "02" : "";
            if (!*pos)
                say(j, PSY_SEVERITY_ERROR, R_TH_1, "patient_location", "telehealth needs the patient's location (home "
                                                                       "or other) to choose POS 10 or 02",
                    NULL, NULL);
            else if (*s->place_of_service && strcmp(s->place_of_service, pos) != 0)
                say(j, PSY_SEVERITY_ERROR, R_TH_1, "place_of_service", "this payer bills telehealth with POS ", pos,
                    s->patient_location == PSY_LOCATION_HOME ? " (patient at home), not the place given"
                                                             : " (patient not at home), not the place given");
        } else if (t->th_pos == PSY__TH_POS_02) {
            pos = "02";
        } else {
            pos = *s->place_of_service ? s->place_of_service : t->default_pos;
        }
        mod = s->telehealth == PSY_TELEHEALTH_VIDEO ? t->video_mod : t->audio_mod;
        if (t->th_home_refused && s->patient_location == PSY_LOCATION_HOME)
            say(j, PSY_SEVERITY_ERROR, R_TH_7, "patient_location", "this payer does not pay telehealth with the "
                                                                   "patient at home on this date of service (the "
                                                                   "home is not an originating site)",
                NULL, NULL);
        if (s->telehealth == PSY_TELEHEALTH_AUDIO) {
            if (!t->audio_only)
                say(j, PSY_SEVERITY_ERROR, R_TH_5, "telehealth", "this payer does not pay audio-only telehealth",
                    NULL, NULL);
            else
                say(j, PSY_SEVERITY_WARNING, R_TH_2, "telehealth", "for audio-only telehealth the note must say the "
                                                                   "clinician could offer video and the patient "
                                                                   "could not or would not use it",
                    NULL, NULL);
        }
    } else {
        if (!strcmp(s->place_of_service, "02") || !strcmp(s->place_of_service, "10"))
            say(j, PSY_SEVERITY_ERROR, R_TH_1, "telehealth", "POS ", s->place_of_service,
                " is a telehealth place of service; say telehealth video or audio, or give the in-person place");
        pos = *s->place_of_service ? s->place_of_service : t->default_pos;
    }
    for (size_t i = 0; i < j->r->n_lines; i++) {
        struct psy_coded_line *l = &j->r->lines[i];
        psy__copy_field(l->place_of_service, sizeof l->place_of_service, pos);
        add_rule(l, rule);
        /* CPT 2025: 98000-98015 are telemedicine services by their own definition; no telehealth
         * modifier (95, 93 ...) is appended to them */
        int tm = l->code[0] == '9' && l->code[1] == '8' && l->code[2] == '0' &&
                 ((l->code[3] == '0' && l->code[4] >= '0' && l->code[4] <= '9') ||
                  (l->code[3] == '1' && l->code[4] >= '0' && l->code[4] <= '5')) && !l->code[5];
        const char *lmod = tm ? NULL : mod;
        if (lmod && *lmod) add_modifier(j, l, lmod, rule);
        b.p = l->explanation;
        b.cap = sizeof l->explanation;
        b.n = strlen(l->explanation);
        if (s->telehealth == PSY_TELEHEALTH_NONE) {
            psy__sb_put(&b, "; in person: POS ");
            psy__sb_put(&b, pos);
        } else {
            psy__sb_put(&b, s->telehealth == PSY_TELEHEALTH_VIDEO ? "; video telehealth" : "; audio-only telehealth");
            psy__sb_put(&b, s->patient_location == PSY_LOCATION_HOME    ? " with the patient at home"
                            : s->patient_location == PSY_LOCATION_OTHER ? " with the patient away from home"
                                                                        : "");
            psy__sb_put(&b, ": POS ");
            psy__sb_put(&b, *pos ? pos : "unknown");
            if (lmod && *lmod) {
                psy__sb_put(&b, " with modifier ");
                psy__sb_put(&b, lmod);
            }
        }
        psy__sb_put(&b, ".");
        if (s->telehealth != PSY_TELEHEALTH_NONE && listed(t->th_excluded, t->n_th_excluded, psy__code_key(l->code)))
            say(j, PSY_SEVERITY_ERROR, R_TH_6, "telehealth", "this payer does not pay ", l->code,
                " by telehealth on this date of service");
    }
}

/* --- the payer's terms ------------------------------------------------------------------------------ */

static void payer_terms(struct job *j)
{
    const struct psy_coding_input *s = j->s;
    const struct psy__payer_terms *t = j->t;
    const char *cred_mod = NULL;
    for (size_t c = 0; c < t->n_creds && *s->credential; c++)
        if (!strcmp(t->creds[c].credential, s->credential)) cred_mod = t->creds[c].modifier;
    int auth_said = 0;
    for (size_t i = 0; i < j->r->n_lines; i++) {
        struct psy_coded_line *l = &j->r->lines[i];
        uint32_t key = psy__code_key(l->code);
        if (!is_em(key)) {
            if (*t->kind_mod[s->kind]) add_modifier(j, l, t->kind_mod[s->kind], R_PAY_6);
            if (cred_mod) add_modifier(j, l, cred_mod, R_PAY_3);
        }
        for (size_t k = 0; k < t->n_not_covered; k++) {
            const struct psy__not_covered *nc = &t->not_covered[k];
            if (nc->key != key) continue;
            struct psy__sb b;
            finding(j, nc->severity, R_PAY_1, j->origin[i], &b);
            psy__sb_put(&b, "payer ");
            psy__sb_put(&b, j->payer_id);
            psy__sb_put(&b, ": ");
            psy__sb_put(&b, l->code);
            if (*nc->status) {
                psy__sb_put(&b, " (status ");
                psy__sb_put(&b, nc->status);
                psy__sb_put(&b, ")");
            }
            psy__sb_put(&b, ": ");
            psy__sb_put(&b, nc->reason);
        }
        if (!auth_said && s->prior_auth != 1 && (t->prior_auth_all || listed(t->prior_auth, t->n_prior_auth, key))) {
            auth_said = 1;
            say(j, s->prior_auth == 0 ? PSY_SEVERITY_ERROR : PSY_SEVERITY_WARNING, R_PAY_2, "prior_auth",
                "this payer requires prior authorisation for ", l->code,
                s->prior_auth == 0 ? " and the session has none" : "; set prior_auth true when it is on file");
        }
        long long fee = psy__payer_fee(t, key);
        if (fee < 0) {
            say(j, PSY_SEVERITY_WARNING, R_PAY_4, j->origin[i], "the payer profile has no fee for ", l->code,
                "; its charge is left at 0");
        } else {
            l->charge_cents = fee * l->units;
            add_rule(l, R_PAY_4);
        }
    }
}

/* Indicator-1 pairs inside the session: with separate times documented, the denied code of each pair
 * gets its distinct-service modifier (25 on an E/M, XE otherwise). */
static void separate_encounters(struct job *j)
{
    if (!j->s->separate_times) return;
    size_t n = j->r->n_lines;
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++) {
            struct psy_coded_line *la = &j->r->lines[a], *lb = &j->r->lines[b];
            uint32_t ka = psy__code_key(la->code), kb = psy__code_key(lb->code);
            const struct psy__ptp_row *p = a != b && ka != kb ? psy__ncci_ptp(&j->cx->ncci, ka, kb, j->date) : NULL;
            if (p && p->indicator == 1) add_modifier(j, lb, is_em(kb) ? "25" : "XE", R_PTP_3);
        }
}

/* --- validation ------------------------------------------------------------------------------------- */

static psy_status validate(const struct psy_coding_input *s, struct psy_coding_result *r, int *date)
{
    *date = psy__date_int(s->date);
    if (!*date) return input_error(r, "date", "must be the date of service as YYYY-MM-DD", NULL);
    if ((unsigned)s->kind >= PSY_SESSION_KIND_COUNT) return input_error(r, "kind", "unknown session kind", NULL);
    if (s->minutes < -1) return input_error(r, "minutes", "must not be negative", NULL);
    if (s->minutes > 1440) return input_error(r, "minutes", "more than the minutes of one day", NULL);
    if (*s->em_code && !is_em(psy__code_key(s->em_code)))
        return input_error(r, "em_code", "must be an E/M code (99202-99499, or 98000-98015)", NULL);
    if ((unsigned)s->telehealth > PSY_TELEHEALTH_AUDIO) return input_error(r, "telehealth", "must be video or audio", NULL);
    if ((unsigned)s->patient_location > PSY_LOCATION_OTHER)
        return input_error(r, "patient_location", "must be home or other", NULL);
    const char *p = s->place_of_service;
    if (*p && (strlen(p) != 2 || p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9'))
        return input_error(r, "place_of_service", "must be a two-digit place of service code", NULL);
    for (const char *c = s->credential; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-'))
            return input_error(r, "credential", "must be upper-case letters, digits or '-' (LCSW, MD)", NULL);
    if (s->group_size < 0 || s->group_size > 999) return input_error(r, "group_size", "must be from 1 to 999", NULL);
    if (s->members < 0 || s->members > PSY_CODING_MAX_MEMBERS)
        return input_error(r, "members", "must be from 1 to 60 per call; code larger groups member by member", NULL);
    int group = s->kind == PSY_SESSION_GROUP || s->kind == PSY_SESSION_MULTIPLE_FAMILY_GROUP;
    if (s->members > 1 && !group)
        return input_error(r, "members", "only group and multiple_family_group sessions have member lines", NULL);
    if (s->members > 1 && *s->em_code)
        return input_error(r, "em_code", "an E/M visit belongs to one patient; code that member on their own", NULL);
    if (s->kind == PSY_SESSION_GROUP && s->group_size && s->members > s->group_size)
        return input_error(r, "members", "more member lines than participants (group_size)", NULL);
    if (s->prior_auth < -1 || s->prior_auth > 1) return input_error(r, "prior_auth", "must be true or false", NULL);
    return PSY_OK;
}

/* --- the pipeline ------------------------------------------------------------------------------------ */

psy_status psy_coding_session(const psy_coder *cx, const struct psy_coding_input *s, struct psy_coding_result *r)
{
    r->n_lines = r->n_findings = r->n_errors = 0;
    int date;
    psy_status rc = validate(s, r, &date);
    if (rc) return rc;
    const char *payer = *s->payer ? s->payer : "default";
    const struct psy__payer_terms *t;
    if (psy__payer_terms(cx->payers, payer, date, &t) == PSY_ENOTFOUND)
        return input_error(r, "payer", "no payer profile with the id ", payer);
    struct job j = {.cx = cx, .s = s, .t = t, .payer_id = payer, .r = r, .date = date,
                    .sink = {.f = r->findings, .cap = PSY_CODING_MAX_FINDINGS}};
    j.per_member = s->kind == PSY_SESSION_GROUP || s->kind == PSY_SESSION_MULTIPLE_FAMILY_GROUP;
    if (!t) {
        say(&j, PSY_SEVERITY_ERROR, R_PAY_5, "date", "payer profile ", payer, " has no terms in force on this date");
        r->n_findings = j.sink.n;
        r->n_errors = j.sink.n_errors;
        return PSY_OK;
    }
    switch (s->kind) {
    case PSY_SESSION_INDIVIDUAL: rc = code_individual(&j); break;
    case PSY_SESSION_CRISIS: rc = code_crisis(&j); break;
    case PSY_SESSION_GROUP:
        group_size(&j);
        rc = code_per_member(&j, "90853", R_GRP_4, "Group psychotherapy is billed once per attending member, one "
                                                   "90853 line on each member's own claim", 1);
        break;
    case PSY_SESSION_FAMILY_WITH_PATIENT: rc = code_family(&j, 1); break;
    case PSY_SESSION_FAMILY_WITHOUT_PATIENT: rc = code_family(&j, 0); break;
    case PSY_SESSION_MULTIPLE_FAMILY_GROUP:
        rc = code_per_member(&j, "90849", R_MFG_1, "A multiple-family group is billed with one 90849 line per "
                                                   "identified patient (the common reading; billing per family is "
                                                   "not confirmed)", 0);
        break;
    case PSY_SESSION_DIAGNOSTIC_EVALUATION: rc = code_diagnostic(&j, 0); break;
    default: rc = code_diagnostic(&j, 1); break;
    }
    if (rc) return rc;
    place(&j);
    payer_terms(&j);
    separate_encounters(&j);
    psy__input_warnings(s, date, t, &j.sink);
    psy__codeset_check(date, s->em_code, r->n_lines ? r->lines[0].place_of_service : s->place_of_service,
                       s->telehealth == PSY_TELEHEALTH_NONE && *s->place_of_service, &j.sink);
    psy__telemed_em_check(date, s->em_code, s->telehealth, t, payer, &j.sink);
    psy__same_day(&cx->ncci, date, r->lines, r->n_lines, j.origin, "separate_times", &j.sink);
    psy__codeset_billable(&cx->ncci, date, r->lines, r->n_lines, j.origin, r->findings,
                          j.sink.n < PSY_CODING_MAX_FINDINGS ? j.sink.n : PSY_CODING_MAX_FINDINGS);
    size_t one = r->n_lines;
    int members = j.per_member && s->members > 1 ? s->members : 1;
    for (int m = 2; m <= members; m++)
        for (size_t i = 0; i < one; i++) {
            r->lines[r->n_lines] = r->lines[i];
            r->lines[r->n_lines++].member = m;
        }
    r->n_findings = j.sink.n;
    r->n_errors = j.sink.n_errors;
    return PSY_OK;
}

psy_status psy_coding_same_day(const psy_coder *cx, const char *date, const struct psy_coded_line *lines,
                               size_t n_lines, struct psy_finding *findings, size_t cap, size_t *n)
{
    *n = 0;
    int d = date ? psy__date_int(date) : 0;
    if (!d) return PSY_EINVAL;
    struct psy__sink k = {.f = findings, .cap = cap};
    psy__same_day(&cx->ncci, d, lines, n_lines, NULL, NULL, &k);
    *n = k.n;
    return PSY_OK;
}
