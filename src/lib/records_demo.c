/*
 * records_demo.c -- an invented practice for demonstrations, tests and benchmarks: clinicians, payers,
 * clients with diagnoses, policies, plans and authorisations, therapy groups with rosters, and weeks of
 * individual and group sessions with attendance and notes written from sentence templates. When the
 * practice has a client to spare (outside the groups and the planted problems, not on Medicaid, the payer
 * of last resort), the last such client has a secondary policy with a commercial payer as well, so that
 * the practice shows coordination of benefits: a primary's 835 builds the secondary payer's claim.
 *
 * Everything goes through the public records API (so it is validated like any input) inside one batch.
 * On a PostgreSQL store without records it is generated on a scratch SQLite file and copied over with
 * COPY in one transaction (ids kept), which spares a round trip to the server per statement.
 * The same seed gives the same practice. Unless asked for clean data, one instance of each problem the
 * audit looks for is planted on purpose and listed in the result as the audit should report it; the
 * rest is generated so that no check fires on it (plans in force, authorisations with units left,
 * groups within every payer's limit, times inside the billed code's band, notes written afresh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "records_int.h"

#define DEMO_ZONE "America/Chicago" /* the demo practice's time zone */

/* --- randomness and text ------------------------------------------------------------------------------ */

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int rnd(uint64_t *s, int n) { return n <= 1 ? 0 : (int)(next(s) % (uint64_t)n); }
static int chance(uint64_t *s, int percent) { return rnd(s, 100) < percent; }

#define PICK(s, arr) (arr)[rnd((s), (int)(sizeof(arr) / sizeof(arr)[0]))]

static const char *const first_names[] = {
    "Avery", "Jordan", "Casey", "Riley", "Morgan", "Quinn", "Rowan", "Emerson", "Harper", "Skyler", "Dakota",
    "Reese", "Finley", "Sage", "Marlow", "Tatum", "Ellis", "Hollis", "Jules", "Kendall", "Lane", "Milan",
    "Noel", "Oakley", "Parker", "Remy", "Shiloh", "Teagan", "Wren", "Zion", "Arden", "Blair"};
static const char *const last_names[] = {
    "Ashcombe", "Brindle", "Carrow", "Dunmore", "Elsworth", "Fenwick", "Galloway", "Hartigan", "Ingleby",
    "Jessop", "Kilbride", "Lockridge", "Merriweather", "Northcott", "Oakhurst", "Pellham", "Quarrington",
    "Rainsford", "Stallbridge", "Thornbury", "Underhill", "Vantreight", "Whitcombe", "Yardley"};
static const char *const dx_pool[] = {"F41.1", "F32.1", "F33.1", "F43.10", "F43.23", "F41.0", "F40.10",
                                      "F90.0", "F42.2", "F34.1", "F43.22", "F33.0", "F32.0", "F41.9"};
static const char *const goal_pool[] = {
    "reduce panic episodes to fewer than one a week", "keep a regular sleep routine", "return to work part-time",
    "join one social activity a week", "manage anger at home without shouting", "grieve the loss and resume hobbies",
    "increase daily activity to three planned tasks", "challenge self-critical thoughts", "set limits with family",
    "cut daily worry time to under an hour", "drive on the highway without a companion",
    "reduce checking rituals to twice a day"};

/* Template slots: {name} is replaced by a random entry of the pool with that name. */
static const char *const p_topic[] = {
    "sleep after night shifts", "arguments with a sibling", "worry about rent", "a job interview",
    "avoiding the grocery store", "a family visit", "returning to the gym", "a conflict with a roommate",
    "missing a friend's birthday", "a recent panic episode", "the anniversary of a loss", "feedback from a supervisor",
    "a medical appointment", "parenting a teenager", "loneliness on weekends", "a difficult phone call",
    "saying no to overtime", "driving on the highway", "a move to a new apartment", "money arguments at home"};
static const char *const p_skill[] = {
    "diaphragmatic breathing", "a thought record", "behavioural activation scheduling", "grounding with the senses",
    "opposite action", "assertive requests", "values clarification", "progressive muscle relaxation",
    "worry postponement", "paced breathing with cold water", "cognitive defusion", "structured problem solving"};
static const char *const p_feeling[] = {"shame", "frustration", "relief", "sadness", "fear", "guilt", "anger", "hope",
                                        "embarrassment", "numbness"};
static const char *const p_arrival[] = {"on time", "a few minutes early", "just before the opening round"};
static const char *const p_engage[] = {"participated actively", "contributed several times", "listened closely and spoke twice",
                                       "engaged once invited by name", "took the lead in one exchange"};
static const char *const p_peer[] = {
    "offered encouragement to a newer member", "asked a peer a clarifying question", "shared a coping idea that had worked",
    "linked a peer's story to their own week", "gave balanced feedback during the role-play",
    "thanked the group for support given earlier"};
static const char *const p_reaction[] = {"more usable than expected", "awkward but helpful", "calming after a few rounds",
                                         "hard to focus on at first", "easier with the handout"};
static const char *const p_intervention[] = {"Socratic questioning", "a brief validation and reframe",
                                             "a chain analysis on the whiteboard", "a values card sort", "guided imagery",
                                             "a problem-solving worksheet"};
static const char *const p_progress[] = {
    "reports two fewer avoidance episodes than last week", "completed three of five planned activities",
    "slept at least six hours on four nights", "used the skill twice during stressful moments",
    "has not yet started the homework and named the barriers", "describes less time spent worrying",
    "reported one panic episode, shorter than the last", "attended work every scheduled day",
    "contacted a friend once", "rates the week as mixed with one good day", "is practising daily but finds evenings hardest"};
static const char *const p_status[] = {"partly met", "progressing slowly", "progressing steadily", "not yet met"};
static const char *const p_freq[] = {"once a day", "twice a day", "three times this week", "each evening",
                                     "before work each morning"};
static const char *const p_tracked[] = {"urge ratings", "sleep and wake times", "minutes spent worrying",
                                        "mood before and after", "thoughts and alternative thoughts"};
static const char *const p_exposure[] = {"ten minutes in a busy shop", "a short phone call", "driving one exit on the highway",
                                         "eating lunch in the break room", "asking a neighbour a question"};
static const char *const p_worksheet[] = {"thought record", "activity schedule", "values worksheet", "sleep diary",
                                          "coping card"};
static const char *const p_approach[] = {
    "cognitive restructuring", "behavioural activation planning", "exposure hierarchy work", "motivational interviewing",
    "acceptance and commitment exercises", "emotion regulation skills training", "problem-solving therapy",
    "an interpersonal inventory"};
static const char *const p_theme[] = {"worry and uncertainty", "anger and its triggers", "sleep and routine",
                                      "self-compassion", "setting boundaries", "coping with loss", "avoidance and exposure",
                                      "communication under stress"};
static const char *const p_dynamic[] = {
    "Cohesion was high; two members who are usually quiet spoke early.",
    "One member dominated the opening round and the facilitator redirected turn-taking.",
    "Tension rose briefly over lateness and was discussed openly.",
    "Members built on each other's examples with little prompting.",
    "Energy was low at the start and lifted during the exercise.",
    "A disagreement about advice-giving was named and worked through."};
static const char *const p_factor[] = {"universality", "instillation of hope", "group cohesiveness",
                                       "interpersonal learning", "altruism", "imparting of information", "catharsis"};

static const struct {
    const char *name;
    const char *const *pool;
    int n;
} slots[] = {
#define SLOT(name, pool) {name, pool, (int)(sizeof pool / sizeof pool[0])}
    SLOT("topic", p_topic),       SLOT("skill", p_skill),         SLOT("feeling", p_feeling),
    SLOT("arrival", p_arrival),   SLOT("engagement", p_engage),   SLOT("peer", p_peer),
    SLOT("reaction", p_reaction), SLOT("intervention", p_intervention), SLOT("progress", p_progress),
    SLOT("status", p_status),     SLOT("freq", p_freq),           SLOT("tracked", p_tracked),
    SLOT("exposure", p_exposure), SLOT("worksheet", p_worksheet), SLOT("approach", p_approach),
    SLOT("theme", p_theme),       SLOT("dynamic", p_dynamic),     SLOT("factor", p_factor),
#undef SLOT
};

static const char *const t_participation[] = {
    "Arrived {arrival} and {engagement}. Described {topic} and rated mood {n}/10.",
    "In the check-in, named {feeling} as the main feeling of the week, tied to {topic}.",
    "Spoke about {topic} when the group turned to {theme}; {peer}.",
    "Was quiet during the first half, then {peer} and described {topic}.",
    "Took part in the role-play about {topic}, rating distress {n}/10 beforehand.",
    "Shared a recent example of {topic} and {peer}."};
static const char *const t_response[] = {
    "Practised {skill} during the exercise; distress went from {n} to {m} out of 10.",
    "Responded well to {skill}, saying it felt {reaction}.",
    "Found {skill} hard to use in the moment and asked for a simpler version to try at home.",
    "When the facilitator used {intervention}, considered another view of {topic}.",
    "Accepted feedback about {topic} and restated it in their own words."};
static const char *const t_progress[] = {
    "Toward the goal to {goal}: {progress}.",
    "On the goal to {goal}, {progress}; symptoms rated {n}/10 against {m}/10 at intake.",
    "The goal to {goal} is {status}; {progress}."};
static const char *const t_plan[] = {
    "Practise {skill} {freq} and log {tracked}.",
    "Try one exposure step this week, {exposure}, and bring the {worksheet}.",
    "Continue weekly; follow up individually about {topic}.",
    "Keep the current goal and review the {worksheet} next time."};
static const char *const t_techniques[] = {
    "Used {approach} to work on {topic}.", "Introduced {skill} and rehearsed it twice in session.",
    "Reviewed the {worksheet} from last week, then used {intervention}.",
    "Mapped the last episode of {topic} and linked it to {feeling}."};

/* Appends one expanded template to b. */
static void expand(uint64_t *s, struct psy__buf *b, const char *t, const char *goal)
{
    while (*t) {
        const char *open = strchr(t, '{');
        if (!open) {
            psy__buf_puts(b, t);
            return;
        }
        psy__buf_put(b, t, (size_t)(open - t));
        const char *close = strchr(open, '}');
        size_t len = (size_t)(close - open - 1);
        if (len == 1 && (open[1] == 'n' || open[1] == 'm')) {
            psy__buf_printf(b, "%d", 2 + rnd(s, 8));
        } else if (len == 4 && !strncmp(open + 1, "goal", 4)) {
            psy__buf_puts(b, goal);
        } else {
            for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
                if (strlen(slots[i].name) == len && !strncmp(slots[i].name, open + 1, len))
                    psy__buf_puts(b, slots[i].pool[rnd(s, slots[i].n)]);
        }
        t = close + 1;
    }
}

/* Two different sentences from templates, as a new string. */
static char *sentences(uint64_t *s, const char *const *t, int n, const char *goal)
{
    struct psy__buf b = {0};
    int a = rnd(s, n), c = (a + 1 + rnd(s, n - 1)) % n;
    expand(s, &b, t[a], goal);
    psy__buf_puts(&b, " ");
    expand(s, &b, t[c], goal);
    return b.p;
}

#define SENTENCES(s, arr, goal) sentences((s), (arr), (int)(sizeof(arr) / sizeof(arr)[0]), (goal))

/* --- the generator --------------------------------------------------------------------------------------- */

enum { PAY_MEDICARE, PAY_MEDICAID, PAY_BLUESTEM, PAY_CEDAR, PAY_COUNT };

/* The non-group clients that carry one planted problem each (index after the group members). */
enum { P_NO_PLAN, P_NO_DX, P_NO_CONSENT, P_REVIEW, P_AUTH_USED, P_AUTH_ENDED, P_UNSIGNED, P_NO_STOP, P_MINUTES,
       P_NO_MODALITY, P_COPY_FORWARD, P_COUNT };

struct g_client {
    psy_id id, clinician, plan, auth;
    int payer, group; /* group -1 = none */
    const char *goal;
    char *last_note[4]; /* the texts of the client's latest individual note (for the planted copy) */
};

struct gen {
    psy_store *st;
    psy_store *user;     /* the caller's handle, for progress: weeks, then on PostgreSQL the tables copied */
    long long steps;     /* the progress's total */
    psy_id pr;
    uint64_t rng;
    int weeks, nclients, ngroups, clean, nclin;
    char start[PSY_DATE_MAX], end[PSY_DATE_MAX];
    psy_id *clin;
    psy_id payer[PAY_COUNT];
    int payer_limit[PAY_COUNT];
    struct g_client *cl;
    psy_id *groups;
    struct psy_demo_result *r;
};

static void plant(struct gen *g, const char *rule, const char *type, psy_id id, const char *what)
{
    struct psy_demo_result *r = g->r;
    r->problems = psy__realloc(r->problems, (r->n_problems + 1) * sizeof *r->problems);
    struct psy_demo_problem *p = &r->problems[r->n_problems++];
    memset(p, 0, sizeof *p);
    snprintf(p->rule, sizeof p->rule, "%s", rule);
    snprintf(p->record_type, sizeof p->record_type, "%s", type);
    p->record_id = id;
    snprintf(p->what, sizeof p->what, "%s", what);
}

static int problem_client(const struct gen *g, int which)
{
    return g->clean ? -1 : g->ngroups * 10 + which;
}

static void make_npi(uint64_t *s, char first, char out[11])
{
    out[0] = first;
    for (int i = 1; i < 9; i++) out[i] = (char)('0' + rnd(s, 10));
    out[10] = 0;
    for (char d = '0'; d <= '9'; d++) {
        out[9] = d;
        if (psy_records_npi_valid(out)) return;
    }
}

static psy_status make_practice(struct gen *g)
{
    static const char *const creds[] = {"LCSW", "PhD", "LPC", "LMFT", "PsyD"};
    static const char *const taxonomies[] = {"1041C0700X", "103TC0700X", "101YP2500X", "106H00000X", "103TC2200X"};
    struct psy_practice p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "Riverbend Counseling Collective");
    make_npi(&g->rng, '2', p.npi);
    snprintf(p.tax_id, sizeof p.tax_id, "8%08d", rnd(&g->rng, 100000000));
    snprintf(p.address, sizeof p.address, "%d Willow Bend Road, Suite 2", 100 + rnd(&g->rng, 800));
    snprintf(p.city, sizeof p.city, "Millbrook");
    snprintf(p.state, sizeof p.state, "IL");
    /* ZIP+4: the 837P wants all nine digits for the billing provider */
    snprintf(p.zip, sizeof p.zip, "6%04d%04d", rnd(&g->rng, 10000), 1000 + (int)(g->rng % 9000));
    snprintf(p.time_zone, sizeof p.time_zone, "%s", DEMO_ZONE);
    p.unsigned_note_days = 7;
    /* the billing office's phone, which the 837P needs as the submitter's contact (555-01xx: fictional) */
    snprintf(p.billing_phone, sizeof p.billing_phone, "2175550142");
    psy_status rc = psy_records_practice_add(g->st, &p, &g->pr);
    g->r->practice_id = g->pr;
    g->nclin = g->nclients / 12 < 3 ? 3 : g->nclients / 12;
    g->clin = psy__calloc((size_t)g->nclin, sizeof *g->clin);
    for (int i = 0; !rc && i < g->nclin; i++) {
        struct psy_clinician c;
        memset(&c, 0, sizeof c);
        snprintf(c.first_name, sizeof c.first_name, "%s", PICK(&g->rng, first_names));
        snprintf(c.last_name, sizeof c.last_name, "%s", PICK(&g->rng, last_names));
        make_npi(&g->rng, '1', c.npi);
        snprintf(c.taxonomy, sizeof c.taxonomy, "%s", taxonomies[i % 5]);
        snprintf(c.credential, sizeof c.credential, "%s", creds[i % 5]);
        rc = psy_records_clinician_add(g->st, g->pr, &c, &g->clin[i]);
    }
    static const struct { const char *name, *code, *kind; int max, auth; } payers[PAY_COUNT] = {
        {"Medicare Part B (demo)", "DEMOMCR01", "medicare", 12, 0},
        {"Prairie State Medicaid (demo)", "DEMOMCD01", "medicaid", 8, 1},
        {"Bluestem Health Plan (demo)", "DEMOBLU01", "commercial", 10, 0},
        {"Cedar Mutual (demo)", "DEMOCDR01", "commercial", 0, 0},
    };
    for (int i = 0; !rc && i < PAY_COUNT; i++) {
        struct psy_payer p2;
        memset(&p2, 0, sizeof p2);
        snprintf(p2.name, sizeof p2.name, "%s", payers[i].name);
        snprintf(p2.payer_code, sizeof p2.payer_code, "%s", payers[i].code);
        snprintf(p2.kind, sizeof p2.kind, "%s", payers[i].kind);
        p2.group_max = payers[i].max;
        p2.requires_auth = payers[i].auth;
        g->payer_limit[i] = payers[i].max ? payers[i].max : 12;
        rc = psy_records_payer_add(g->st, g->pr, &p2, &g->payer[i]);
    }
    g->r->clinicians = g->nclin;
    return rc;
}

static const char *const streets[] = {"Juniper Row", "Larkspur Lane", "Quarry Hill Road", "Maple Court",
                                      "Heron Way", "Old Mill Street", "Sycamore Drive", "Prairie View Avenue"};

static psy_status add_client_records(struct gen *g, int i)
{
    struct g_client *gc = &g->cl[i];
    struct psy_client c;
    memset(&c, 0, sizeof c);
    snprintf(c.first_name, sizeof c.first_name, "%s", PICK(&g->rng, first_names));
    snprintf(c.last_name, sizeof c.last_name, "%s", PICK(&g->rng, last_names));
    psy__rec_date_add("1950-01-01", rnd(&g->rng, 55 * 365), c.birth_date);
    snprintf(c.sex, sizeof c.sex, "%s", chance(&g->rng, 50) ? "F" : chance(&g->rng, 95) ? "M" : "U");
    /* a street address (the 837P subscriber needs one), from the client's number so the draws stay as they were */
    snprintf(c.address, sizeof c.address, "%d %s", 10 + (i * 37) % 980, streets[i % (int)(sizeof streets / sizeof *streets)]);
    snprintf(c.city, sizeof c.city, "Millbrook");
    snprintf(c.state, sizeof c.state, "IL");
    snprintf(c.zip, sizeof c.zip, "6%04d", rnd(&g->rng, 10000));
    snprintf(c.phone, sizeof c.phone, "(555) 01%d-%04d", rnd(&g->rng, 10), rnd(&g->rng, 10000));
    if (i != problem_client(g, P_NO_CONSENT)) psy__rec_date_add(g->start, -30 - rnd(&g->rng, 200), c.telehealth_consent_date);
    if (i != problem_client(g, P_NO_DX)) {
        c.n_dx = 1 + chance(&g->rng, 40);
        int a = rnd(&g->rng, 14), b = (a + 1 + rnd(&g->rng, 13)) % 14;
        snprintf(c.dx[0], PSY_CODE_MAX, "%s", dx_pool[a]);
        snprintf(c.dx[1], PSY_CODE_MAX, "%s", dx_pool[b]);
    }
    psy_status rc = psy_records_client_add(g->st, g->pr, &c, &gc->id);
    if (rc) return rc;
    gc->clinician = g->clin[i % g->nclin];
    gc->goal = PICK(&g->rng, goal_pool);
    /* insurance: roster slot 0 of every group and the authorisation problems are on Medicaid */
    int r = rnd(&g->rng, 100);
    gc->payer = r < 25 ? PAY_MEDICARE : r < 50 ? PAY_MEDICAID : r < 80 ? PAY_BLUESTEM : PAY_CEDAR;
    if ((gc->group >= 0 && i % 10 == 0) || i == problem_client(g, P_AUTH_USED) || i == problem_client(g, P_AUTH_ENDED))
        gc->payer = PAY_MEDICAID;
    struct psy_policy p;
    memset(&p, 0, sizeof p);
    p.client_id = gc->id;
    p.payer_id = g->payer[gc->payer];
    snprintf(p.member_id, sizeof p.member_id, "M%09d", rnd(&g->rng, 1000000000));
    p.priority = 1;
    snprintf(p.relation, sizeof p.relation, "self");
    p.copay_cents = gc->payer == PAY_BLUESTEM ? 2500 : gc->payer == PAY_CEDAR ? 3000 : 0;
    psy__rec_date_add(g->start, -365, p.start_date);
    if ((rc = psy_records_policy_add(g->st, g->pr, &p, NULL))) return rc;
    if (i != problem_client(g, P_NO_PLAN)) {
        struct psy_plan pl;
        memset(&pl, 0, sizeof pl);
        pl.client_id = gc->id;
        pl.clinician_id = gc->clinician;
        pl.modalities = PSY_MOD_INDIVIDUAL | (gc->group >= 0 ? PSY_MOD_GROUP : 0);
        snprintf(pl.frequency, sizeof pl.frequency, "%s", gc->group >= 0 ? "weekly group, individual as needed" : "weekly");
        pl.session_minutes = gc->group >= 0 ? 90 : 45;
        psy__rec_date_add(g->start, -10 - rnd(&g->rng, 50), pl.start_date);
        if (i == problem_client(g, P_REVIEW)) psy__rec_date_add(g->start, 35, pl.review_date);
        else psy__rec_date_add(g->end, 30, pl.review_date);
        pl.n_dx = 1;
        snprintf(pl.dx[0], PSY_CODE_MAX, "%s", c.n_dx ? c.dx[0] : dx_pool[0]);
        int ngoals = (int)(sizeof goal_pool / sizeof goal_pool[0]), first = rnd(&g->rng, ngoals);
        gc->goal = goal_pool[first];
        pl.n_goals = 2;
        pl.goals[0] = (char *)goal_pool[first];
        pl.goals[1] = (char *)goal_pool[(first + 1 + rnd(&g->rng, ngoals - 1)) % ngoals];
        char at[PSY_REC_TIME_MAX];
        snprintf(at, sizeof at, "%sT16:00:00Z", pl.start_date);
        rc = psy_records_plan_add(g->st, g->pr, &pl, &gc->plan);
        if (!rc) rc = psy_records_plan_sign(g->st, g->pr, gc->plan, 'c', gc->clinician, at);
        if (!rc && i == problem_client(g, P_REVIEW))
            plant(g, "R-PLAN-1", "treatment_plan", gc->plan, "treatment plan past its review date");
        if (rc) return rc;
    } else {
        plant(g, "R-PLAN-1", "client", gc->id, "client without a treatment plan");
    }
    if (i == problem_client(g, P_NO_DX)) plant(g, "R-DX-1", "client", gc->id, "client without a diagnosis");
    if (gc->payer == PAY_MEDICAID) {
        struct psy_authorisation a;
        memset(&a, 0, sizeof a);
        a.client_id = gc->id;
        a.payer_id = g->payer[PAY_MEDICAID];
        snprintf(a.number, sizeof a.number, "PA-%07d", rnd(&g->rng, 10000000));
        snprintf(a.unit_kind, sizeof a.unit_kind, "visit");
        a.units_approved = 200;
        psy__rec_date_add(g->start, -30, a.start_date);
        psy__rec_date_add(g->end, 60, a.end_date);
        if (i == problem_client(g, P_AUTH_USED)) {
            a.units_approved = 6;
            a.units_prior = 2;
        } else if (i == problem_client(g, P_AUTH_ENDED)) {
            psy__rec_date_add(g->start, 41, a.end_date);
        }
        static const char *const codes[] = {"90832", "90834", "90837", "90853"};
        a.n_codes = 4;
        for (int k = 0; k < 4; k++) snprintf(a.codes[k], PSY_CODE_MAX, "%s", codes[k]);
        if ((rc = psy_records_auth_add(g->st, g->pr, &a, &gc->auth))) return rc;
        if (i == problem_client(g, P_AUTH_USED)) plant(g, "R-AUTH-1", "authorisation", gc->auth, "authorisation used up");
        if (i == problem_client(g, P_AUTH_ENDED)) plant(g, "R-AUTH-1", "authorisation", gc->auth, "authorisation expired");
    }
    return PSY_OK;
}

static void instant(char out[PSY_REC_TIME_MAX], const char *date, int minute_of_day)
{
    char local[40];
    snprintf(local, sizeof local, "%sT%02d:%02d:00-06:00", date, minute_of_day / 60 % 24, minute_of_day % 60);
    psy_records_time_utc(local, out);
}

/* Saves and (unless draft) signs one note; returns its id. */
static psy_status write_note(struct gen *g, struct psy_note *n, psy_id signer, int draft, psy_id *id)
{
    psy_status rc = psy_records_note_save(g->st, g->pr, n, id);
    if (!rc && !draft) rc = psy_records_note_sign(g->st, g->pr, *id, signer);
    if (!rc) g->r->notes++;
    return rc;
}

/* One changed word: the copy a clinician makes of a note with a single edit. */
static char *retouch(const char *text)
{
    struct psy__buf b = {0};
    psy__buf_puts(&b, text);
    char *digit = strpbrk(b.p, "23456789");
    if (digit) *digit = *digit == '9' ? '8' : (char)(*digit + 1);
    else psy__buf_puts(&b, " Unchanged.");
    return b.p;
}

/* Fills the four parts of a member note (member) or an individual note and writes it: fresh
 * sentences, or a copy of copy_from with part `touched` retouched. t receives the texts (free them). */
static psy_status client_note(struct gen *g, struct psy_note *n, int member, const char *goal, char *const *copy_from,
                              int touched, int draft, char *t[4], psy_id *nid)
{
    if (copy_from) {
        for (int f = 0; f < 4; f++) t[f] = f == touched ? retouch(copy_from[f]) : psy__strdup(copy_from[f]);
    } else {
        t[0] = member ? SENTENCES(&g->rng, t_participation, goal) : SENTENCES(&g->rng, t_techniques, goal);
        t[1] = SENTENCES(&g->rng, t_response, goal);
        t[2] = SENTENCES(&g->rng, t_progress, goal);
        t[3] = SENTENCES(&g->rng, t_plan, goal);
    }
    if (member) n->participation = t[0];
    else n->techniques = t[0];
    n->response = t[1];
    n->progress = t[2];
    n->plan = t[3];
    return write_note(g, n, n->author_id, draft, nid);
}

static psy_status group_session(struct gen *g, int gi, int week, const char *date)
{
    struct psy_group grp;
    psy_status rc = psy_records_group_get(g->st, g->pr, g->groups[gi], &grp);
    if (rc) return rc;
    struct psy_session s;
    memset(&s, 0, sizeof s);
    snprintf(s.kind, sizeof s.kind, "group");
    s.group_id = grp.id;
    s.clinician_id = grp.clinician_id;
    snprintf(s.service_date, sizeof s.service_date, "%s", date);
    /* groups of one clinician on one weekday follow each other (gi, gi + 5 ... share a weekday) */
    int begin = 18 * 60 + ((gi / 5) % 3) * 95;
    instant(s.start_utc, date, begin);
    instant(s.stop_utc, date, begin + 90);
    snprintf(s.pos, sizeof s.pos, "%s", grp.telehealth ? "10" : "11");
    s.telehealth = grp.telehealth;
    if (grp.telehealth) {
        snprintf(s.th_modality, sizeof s.th_modality, "video");
        snprintf(s.patient_location, sizeof s.patient_location, "home");
    }
    psy_id sid;
    if ((rc = psy_records_session_add(g->st, g->pr, &s, &sid))) return rc;
    g->r->sessions++;
    /* attendance: about 85% come; the group stays within every present member's payer limit */
    int members[10], present[10], late[10], n = 0;
    for (int i = 0; i < g->nclients; i++)
        if (g->cl[i].group == gi && n < 10) members[n++] = i;
    int over = !g->clean && gi == 1 && week == 5, absent_billed = !g->clean && gi == 2 && week == 4;
    int copies = !g->clean && gi == 0 && week == 3;
    for (int k = 0; k < n; k++) {
        present[k] = over || chance(&g->rng, 85);
        late[k] = present[k] && chance(&g->rng, 10) ? 5 + rnd(&g->rng, 11) : 0;
    }
    for (;;) {
        int count = 0, limit = 100;
        for (int k = 0; k < n; k++)
            if (present[k]) {
                count++;
                if (g->payer_limit[g->cl[members[k]].payer] < limit) limit = g->payer_limit[g->cl[members[k]].payer];
            }
        if (over || count <= limit) break;
        int drop = rnd(&g->rng, n);
        while (!present[drop]) drop = (drop + 1) % n;
        present[drop] = 0;
        late[drop] = 0;
    }
    int npresent = 0;
    for (int k = 0; k < n; k++) npresent += present[k];
    if (copies && npresent < 3)
        for (int k = 0; k < 3 && k < n; k++) present[k] = 1;
    if (absent_billed && npresent == n) present[n - 1] = late[n - 1] = 0;
    int marked_absent = 0;
    for (int k = 0; !rc && k < n; k++) {
        struct psy_attendance a;
        psy_id aid;
        memset(&a, 0, sizeof a);
        a.session_id = sid;
        a.client_id = g->cl[members[k]].id;
        a.present = present[k];
        a.late_minutes = late[k];
        int bill_absent = absent_billed && !present[k] && !marked_absent;
        if (present[k] || bill_absent) snprintf(a.billed_code, sizeof a.billed_code, "90853");
        rc = psy_records_attendance_set(g->st, g->pr, &a, &aid);
        if (!rc && bill_absent) {
            marked_absent = 1;
            plant(g, "R-GRP-3", "attendance", aid, "absent member billed");
        }
    }
    if (!rc && over) plant(g, "R-GRP-1", "session", sid, "group larger than a payer's limit");
    char recent[PSY_DATE_MAX];
    psy__rec_date_add(g->end, -3, recent);
    int draft = strcmp(date, recent) > 0 && chance(&g->rng, 50); /* the last days' notes may still be drafts */
    struct psy_note note;
    psy_id nid;
    memset(&note, 0, sizeof note);
    note.session_id = sid;
    snprintf(note.kind, sizeof note.kind, "group");
    note.author_id = grp.clinician_id;
    char theme[200];
    snprintf(theme, sizeof theme, "%s", PICK(&g->rng, p_theme));
    struct psy__buf tech = {0}, fac = {0};
    expand(&g->rng, &tech, "Psychoeducation on {theme}, then {skill} practised in pairs and a closing round.", "");
    expand(&g->rng, &fac, "Visible today: {factor}, and {factor} during the feedback round.", "");
    note.theme = theme;
    note.techniques = tech.p;
    note.dynamics = (char *)PICK(&g->rng, p_dynamic);
    note.factors = fac.p;
    if (!rc) rc = write_note(g, &note, grp.clinician_id, draft, &nid);
    psy__buf_free(&tech);
    psy__buf_free(&fac);
    char *first[4] = {NULL, NULL, NULL, NULL};
    int copied = 0;
    for (int k = 0; !rc && k < n; k++) {
        if (!present[k]) continue;
        struct g_client *gc = &g->cl[members[k]];
        memset(&note, 0, sizeof note);
        note.session_id = sid;
        note.client_id = gc->id;
        snprintf(note.kind, sizeof note.kind, "member");
        note.author_id = grp.clinician_id;
        char *t[4];
        int copy = copies && first[0] && copied < 2;
        rc = client_note(g, &note, 1, gc->goal, copy ? first : NULL, copied, draft, t, &nid);
        copied += copy;
        for (int f = 0; f < 4; f++) {
            if (copies && !first[f]) first[f] = t[f];
            else free(t[f]);
        }
    }
    for (int f = 0; f < 4; f++) free(first[f]);
    if (!rc && copies) plant(g, "R-GRP-2", "session", sid, "member notes copied within one group session");
    if (!rc && !draft) rc = psy_records_session_sign(g->st, g->pr, sid, grp.clinician_id);
    return rc;
}

static psy_status individual_session(struct gen *g, int ci, int week, const char *date)
{
    struct g_client *gc = &g->cl[ci];
    static const struct { const char *code; int lo, hi; } kinds[] = {{"90834", 40, 52}, {"90837", 53, 58}, {"90832", 26, 35}};
    int k = rnd(&g->rng, 10);
    k = k < 5 ? 0 : k < 8 ? 1 : 2;
    int minutes = kinds[k].lo + rnd(&g->rng, kinds[k].hi - kinds[k].lo + 1);
    const char *code = kinds[k].code;
    int telehealth = chance(&g->rng, 20) && ci != problem_client(g, P_NO_CONSENT);
    const char *modality = "video";
    if (ci == problem_client(g, P_MINUTES) && week == 6) {
        code = "90837";
        minutes = 45;
    }
    if (ci == problem_client(g, P_NO_CONSENT) && week == 3) telehealth = 1;
    if (ci == problem_client(g, P_NO_MODALITY)) {
        telehealth = week == 5;
        modality = week == 5 ? "" : "video";
    }
    /* each client of a clinician has an hour of its own (6:00 to 17:00, then 5:00, 4:00 ...), clear of
     * the groups from 18:00, so no clinician or client is booked twice at once (audit R-IMP-1/2); the
     * draw keeps the generator's sequence */
    (void)rnd(&g->rng, 8);
    int q = ci / g->nclin, begin = q < 12 ? (6 + q) * 60 : (17 - q > 0 ? 17 - q : 0) * 60;
    struct psy_session s;
    memset(&s, 0, sizeof s);
    snprintf(s.kind, sizeof s.kind, "individual");
    s.client_id = gc->id;
    s.clinician_id = gc->clinician;
    snprintf(s.service_date, sizeof s.service_date, "%s", date);
    instant(s.start_utc, date, begin);
    if (!(ci == problem_client(g, P_NO_STOP) && week == 4)) instant(s.stop_utc, date, begin + minutes);
    snprintf(s.pos, sizeof s.pos, "%s", telehealth ? "10" : "11");
    s.telehealth = telehealth;
    if (telehealth) {
        snprintf(s.th_modality, sizeof s.th_modality, "%s", modality);
        snprintf(s.patient_location, sizeof s.patient_location, "home");
    }
    snprintf(s.billed_code, sizeof s.billed_code, "%s", code);
    psy_id sid, nid;
    psy_status rc = psy_records_session_add(g->st, g->pr, &s, &sid);
    if (rc) return rc;
    g->r->sessions++;
    if (ci == problem_client(g, P_NO_STOP) && week == 4) plant(g, "R-TIME-4", "session", sid, "session without a stop time");
    if (ci == problem_client(g, P_MINUTES) && week == 6) plant(g, "R-TIME-1", "session", sid, "minutes below the billed code's band");
    if (ci == problem_client(g, P_NO_CONSENT) && week == 3) plant(g, "R-TH-2", "session", sid, "telehealth without consent");
    if (ci == problem_client(g, P_NO_MODALITY) && week == 5) plant(g, "R-TH-2", "session", sid, "telehealth without modality");
    char recent[PSY_DATE_MAX];
    psy__rec_date_add(g->end, -3, recent);
    int draft = (strcmp(date, recent) > 0 && chance(&g->rng, 50)) || (ci == problem_client(g, P_UNSIGNED) && week == 2);
    int copy = ci == problem_client(g, P_COPY_FORWARD) && week == 6 && gc->last_note[0];
    struct psy_note n;
    memset(&n, 0, sizeof n);
    n.session_id = sid;
    n.client_id = gc->id;
    snprintf(n.kind, sizeof n.kind, "individual");
    n.author_id = gc->clinician;
    char *t[4];
    rc = client_note(g, &n, 0, gc->goal, copy ? gc->last_note : NULL, 2, draft, t, &nid);
    for (int f = 0; f < 4; f++) {
        free(gc->last_note[f]);
        gc->last_note[f] = t[f];
    }
    if (!rc && copy) plant(g, "R-DOC-CLONE", "note", nid, "note copied from the previous session");
    if (!rc && ci == problem_client(g, P_UNSIGNED) && week == 2) plant(g, "R-DOC-SIGN", "note", nid, "note left unsigned");
    if (!rc && !draft) rc = psy_records_session_sign(g->st, g->pr, sid, gc->clinician);
    return rc;
}

/* The secondary policy of the last spare client (see the top of the file); draws nothing from the
 * generator, so the rest of the practice stays as the seed makes it. */
static psy_status secondary_policy(struct gen *g)
{
    for (int i = g->nclients - 1; i >= g->ngroups * 10 + P_COUNT; i--) {
        const struct g_client *gc = &g->cl[i];
        if (gc->payer == PAY_MEDICAID) continue;
        struct psy_policy p;
        memset(&p, 0, sizeof p);
        p.client_id = gc->id;
        p.payer_id = g->payer[gc->payer == PAY_CEDAR ? PAY_BLUESTEM : PAY_CEDAR];
        snprintf(p.member_id, sizeof p.member_id, "S%09lld", (long long)gc->id);
        p.priority = 2;
        snprintf(p.relation, sizeof p.relation, "self");
        psy__rec_date_add(g->start, -365, p.start_date);
        return psy_records_policy_add(g->st, g->pr, &p, NULL);
    }
    return PSY_OK;
}

static psy_status make_groups(struct gen *g)
{
    static const char *const names[] = {"Anxiety Skills Group", "Mood Support Group", "Trauma Recovery Group",
                                        "DBT Skills Group", "Anger Management Group", "Grief and Loss Group"};
    static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri"};
    psy_status rc = PSY_OK;
    g->groups = psy__calloc((size_t)g->ngroups, sizeof *g->groups);
    for (int gi = 0; !rc && gi < g->ngroups; gi++) {
        struct psy_group grp;
        memset(&grp, 0, sizeof grp);
        snprintf(grp.name, sizeof grp.name, "%s %d", names[gi % 6], gi / 6 + 1);
        grp.clinician_id = g->clin[gi % g->nclin];
        if (gi % 2 == 0) grp.co_clinician_id = g->clin[(gi + 1) % g->nclin];
        snprintf(grp.modality, sizeof grp.modality, "group");
        grp.telehealth = gi == g->ngroups - 1 && g->ngroups > 1;
        grp.capacity = 10;
        snprintf(grp.schedule, sizeof grp.schedule, "%s 18:00-19:30", days[gi % 5]);
        rc = psy_records_group_add(g->st, g->pr, &grp, &g->groups[gi]);
    }
    char joined[PSY_DATE_MAX];
    psy__rec_date_add(g->start, -30, joined);
    for (int i = 0; !rc && i < g->nclients; i++)
        if (g->cl[i].group >= 0) rc = psy_records_group_join(g->st, g->pr, g->groups[g->cl[i].group], g->cl[i].id, joined);
    g->r->groups = g->ngroups;
    return rc;
}

static psy_status generate(struct gen *g)
{
    psy_status rc = make_practice(g);
    g->cl = psy__calloc((size_t)g->nclients, sizeof *g->cl);
    for (int i = 0; i < g->nclients; i++) g->cl[i].group = i < g->ngroups * 10 ? i / 10 : -1;
    for (int i = 0; !rc && i < g->nclients; i++) rc = add_client_records(g, i);
    g->r->clients = g->nclients;
    if (!rc) rc = secondary_policy(g);
    if (!rc) rc = make_groups(g);
    for (int w = 0; !rc && w < g->weeks; w++) {
        char monday[PSY_DATE_MAX], date[PSY_DATE_MAX];
        psy__rec_date_add(g->start, 7 * w, monday);
        for (int gi = 0; !rc && gi < g->ngroups; gi++) {
            psy__rec_date_add(monday, gi % 5, date);
            if (strcmp(date, g->end) <= 0) rc = group_session(g, gi, w, date);
        }
        for (int i = 0; !rc && i < g->nclients; i++) {
            /* clients outside groups come weekly, group members now and then */
            if (g->cl[i].group >= 0 && !chance(&g->rng, 30)) continue;
            psy__rec_date_add(monday, rnd(&g->rng, 5), date);
            if (strcmp(date, g->end) <= 0) rc = individual_session(g, i, w, date);
        }
        if (!rc) psy__progress(g->user, "demo data", w + 1, g->steps);
    }
    return rc;
}

/* --- PostgreSQL: generated on a scratch SQLite file, then copied ----------------------------------------- */

/* Every table the generator writes, parents before children. */
static const char *const demo_tables[] = {"practice", "clinician", "client", "client_diagnosis", "payer", "policy",
                                          "authorisation", "authorisation_code", "treatment_plan", "plan_diagnosis",
                                          "plan_goal", "plan_problem", "plan_objective", "plan_intervention",
                                          "therapy_group", "group_member", "session", "attendance", "note",
                                          "note_addendum", "record_history", NULL};

/* Copies one table's rows (ids kept) from the scratch store into st, as COPY on PostgreSQL. */
static psy_status copy_table(psy_store *from, psy_store *st, const char *table, int *has_id)
{
    struct psy__buf cols = {0}, row = {0}, head = {0}, sel = {0};
    int n = 0;
    *has_id = 0;
    psy__stmt *c = psy__db_stmt(from, "SELECT name FROM pragma_table_info(?) ORDER BY cid", PSY_ARGS(PSY_TEXT(table)));
    if (!c) return psy__store_fail(st, PSY_EDB, "demo: %s: %s", table, psy__db_errtext(from));
    while (psy__sql_step(c) == PSY_SQL_ROW) {
        const char *name = psy__sql_text(c, 0);
        if (!strcmp(name, "id")) *has_id = 1;
        psy__buf_printf(&cols, "%s%s", n ? ", " : "", name);
        psy__buf_puts(&row, n++ ? ", ?" : "(?");
    }
    psy__sql_finalize(c);
    psy_status rc = PSY_OK;
    if (n) {
        psy__buf_puts(&row, ")");
        psy__buf_printf(&sel, "SELECT %s FROM %s ORDER BY rowid", cols.p, table);
        psy__buf_printf(&head, "INSERT INTO %s (%s) VALUES", table, cols.p);
        struct psy__batch b;
        psy__batch_init(&b, st, head.p, row.p, "");
        psy__stmt *s = psy__db_stmt(from, sel.p, PSY_NOARGS);
        int r = s ? PSY_SQL_ROW : PSY_SQL_ERROR;
        while (s && !rc && (r = psy__sql_step(s)) == PSY_SQL_ROW) {
            for (int i = 0; i < n; i++) psy__batch_text(&b, psy__sql_text(s, i));
            rc = psy__batch_row(&b);
        }
        psy__sql_finalize(s);
        if (!rc && r == PSY_SQL_ERROR) rc = psy__store_fail(st, PSY_EDB, "demo: %s: %s", table, psy__db_errtext(from));
        if (!rc) rc = psy__batch_flush(&b);
        psy__batch_free(&b);
    }
    psy__buf_free(&cols);
    psy__buf_free(&row);
    psy__buf_free(&head);
    psy__buf_free(&sel);
    return rc;
}

static psy_status generate_into(struct gen *g);

/* A PostgreSQL store without records gets the practice generated on a scratch SQLite file (the same
 * validation, in-process) and copied with COPY in one transaction, ids kept: a round trip per
 * statement would make it many times slower than SQLite. *done = 0 when st does not qualify. */
static psy_status generate_copied(struct gen *g, int *done)
{
    psy_store *st = g->st, *scratch = NULL;
    int64_t have = 0;
    *done = 0;
    if (psy__db_dialect(st) != PSY_DB_POSTGRES) return PSY_OK;
    psy_status rc = psy__db_int(st, &have, "SELECT count(*) FROM practice", PSY_NOARGS);
    if (rc || have) return rc;
    const char *tmp = getenv("TMPDIR");
    char path[512], err[300];
    snprintf(path, sizeof path, "%s/psyclaim-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) return PSY_OK; /* no scratch file: generate directly */
    close(fd);
    *done = 1;
    int ntables = 0;
    while (demo_tables[ntables]) ntables++;
    g->steps = g->weeks + ntables;
    if (psy_store_open(path, &scratch, err, sizeof err)) {
        rc = psy__store_fail(st, PSY_EDB, "demo: scratch store: %s", err);
    } else if ((rc = psy_catalog_seed(scratch))) {
        rc = psy__store_fail(st, rc, "demo: %s", psy_store_errmsg(scratch));
    } else {
        g->st = scratch;
        rc = generate_into(g);
        g->st = st;
        if (rc) rc = psy__store_fail(st, rc, "%s", psy_store_errmsg(scratch));
    }
    int has_id[sizeof demo_tables / sizeof *demo_tables] = {0};
    if (!rc && !(rc = psy__store_begin(st))) {
        for (int t = 0; !rc && demo_tables[t]; t++)
            if (!(rc = copy_table(scratch, st, demo_tables[t], &has_id[t])))
                psy__progress(st, "demo data", g->weeks + t + 1, g->steps);
        rc = psy__rec_end(st, rc);
    }
    /* the copied ids came with the rows: move each id sequence past them */
    for (int t = 0; !rc && demo_tables[t]; t++) {
        if (!has_id[t]) continue;
        char sql[300];
        snprintf(sql, sizeof sql,
                 "SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM %s), false)",
                 demo_tables[t], demo_tables[t]);
        int64_t v;
        rc = psy__db_int(st, &v, sql, PSY_NOARGS);
    }
    psy_store_close(scratch);
    static const char *const sides[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof sides / sizeof *sides; i++) {
        char f[540];
        snprintf(f, sizeof f, "%s%s", path, sides[i]);
        unlink(f);
    }
    return rc;
}

/* All or nothing, without a savepoint per record: a practice of 100,000 sessions written inside one
 * PostgreSQL transaction with a savepoint per row slows down with every row lock it keeps. */
static psy_status generate_into(struct gen *g)
{
    psy_status rc = psy__store_begin_bulk(g->st);
    if (!rc) {
        rc = generate(g);
        psy_status end = psy_records_batch_end(g->st, rc == PSY_OK);
        if (!rc) rc = end;
    }
    return rc;
}

psy_status psy_records_demo(psy_store *st, const struct psy_demo_opts *o, struct psy_demo_result *r)
{
    struct gen g;
    memset(&g, 0, sizeof g);
    memset(r, 0, sizeof *r);
    g.st = g.user = st;
    g.r = r;
    g.rng = (uint64_t)(o ? o->seed : 1) * 0x2545f4914f6cdd1dULL + 1;
    g.weeks = o && o->weeks > 0 ? o->weeks : 13;
    g.nclients = o && o->clients > 0 ? o->clients : 60;
    g.ngroups = o && o->groups > 0 ? o->groups : 4;
    g.clean = o ? o->clean : 0;
    if (o && o->end_date && *o->end_date) {
        if (!psy_records_date_valid(o->end_date)) return psy__rec_bad(st, "end_date", "not a date (YYYY-MM-DD)");
        snprintf(g.end, sizeof g.end, "%s", o->end_date);
    } else {
        psy_date_today(DEMO_ZONE, g.end); /* sessions after today in the practice's zone are refused */
    }
    psy__rec_date_add(g.end, 1 - 7 * g.weeks, g.start);
    if (g.nclients < g.ngroups * 10) return psy__rec_bad(st, "clients", "at least 10 per group");
    if (!g.clean && (g.ngroups < 3 || g.nclients < g.ngroups * 10 + P_COUNT || g.weeks < 8))
        return psy__rec_bad(st, "clients", "the planted problems need 3 groups, %d clients outside them and 8 weeks",
                            P_COUNT);
    int copied = 0;
    g.steps = g.weeks;
    psy_status rc = generate_copied(&g, &copied);
    if (!rc && !copied) {
        g.steps = g.weeks;
        rc = generate_into(&g);
    }
    if (!rc) psy__progress(st, "demo data", g.steps, g.steps);
    for (int i = 0; g.cl && i < g.nclients; i++)
        for (int f = 0; f < 4; f++) free(g.cl[i].last_note[f]);
    free(g.cl);
    free(g.clin);
    free(g.groups);
    if (rc) {
        free(r->problems);
        memset(r, 0, sizeof *r);
    }
    return rc;
}
