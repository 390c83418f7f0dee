/* test_audit.c -- the auditor's checks: each rule on a small invented practice (the finding appears,
 * and the near-miss does not), the text similarity, the demo practice (every planted problem found,
 * nothing else; nothing at all on clean data), the period filter, and `psyclaim audit`. The checks run
 * once on SQLite and once on PostgreSQL (the ctest fixture pg_server, or $PSY_TEST_PG_URI), the same
 * test functions on both. */
#include "audit_int.h"
#include "fixtures_records.h"
#include "pg_copy.h"
#include "pg_scratch.h"
#include "psy_db.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fixture practice on a fresh seeded database on the backend of the test (*state). */
static void fx_start(void **state, struct fx *f) { fx_open_on(f, FX_SERVER(state)); }

static void fx_stop(void **state, struct fx *f)
{
    (void)state;
    fx_close(f);
}

struct want {
    const char *rule, *type;
    psy_id id;
};

static void print_findings(const struct psy_audit_finding *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "  found %s %s %lld: %s\n", v[i].rule, v[i].record_type, (long long)v[i].record_id, v[i].message);
}

/* Runs the audit and asserts its findings are exactly the wanted ones (in any order). */
static void expect_opts(struct fx *f, const struct psy_audit_opts *o, const struct want *w, size_t nw)
{
    struct psy_audit_finding *v;
    size_t n;
    assert_int_equal(psy_audit_collect(f->st, f->pr, o, &v, &n), PSY_OK);
    int ok = n == nw;
    for (size_t i = 0; ok && i < nw; i++) {
        int hit = 0;
        for (size_t k = 0; k < n; k++)
            hit |= !strcmp(v[k].rule, w[i].rule) && !strcmp(v[k].record_type, w[i].type) && v[k].record_id == w[i].id;
        if (!hit) fprintf(stderr, "  missing %s %s %lld\n", w[i].rule, w[i].type, (long long)w[i].id);
        ok &= hit;
    }
    if (!ok) print_findings(v, n);
    free(v);
    assert_true(ok);
}

static void expect(struct fx *f, const char *as_of, const struct want *w, size_t nw)
{
    struct psy_audit_opts o = {NULL, NULL, as_of, 0};
    expect_opts(f, &o, w, nw);
}

#define NONE(f, as_of) expect((f), (as_of), NULL, 0)

/* The note of a client in a session. */
static psy_id note_of(struct fx *f, psy_id session, psy_id client)
{
    struct psy_note *notes;
    size_t n;
    psy_id id = 0;
    assert_int_equal(psy_records_note_list(f->st, f->pr, session, &notes, &n), PSY_OK);
    for (size_t i = 0; i < n; i++) {
        if (notes[i].client_id == client) id = notes[i].id;
        psy_note_clear(&notes[i]);
    }
    free(notes);
    assert_true(id != 0);
    return id;
}

/* Rewrites draft note `to` as a copy of note `from` with its last word changed. */
static void copy_note(struct fx *f, psy_id from, psy_id to)
{
    struct psy_note a, b;
    assert_int_equal(psy_records_note_get(f->st, f->pr, from, &a), PSY_OK);
    assert_int_equal(psy_records_note_get(f->st, f->pr, to, &b), PSY_OK);
    char **src[] = {&a.participation, &a.response, &a.progress, &a.plan, &a.techniques};
    char **dst[] = {&b.participation, &b.response, &b.progress, &b.plan, &b.techniques};
    for (int i = 0; i < 5; i++) {
        free(*dst[i]);
        *dst[i] = strdup(*src[i]);
    }
    size_t l = strlen(b.plan);
    if (l) b.plan[l - 1] = b.plan[l - 1] == 'x' ? 'y' : 'x';
    assert_int_equal(psy_records_note_save(f->st, f->pr, &b, NULL), PSY_OK);
    psy_note_clear(&a);
    psy_note_clear(&b);
}

/* Appends text to the plan part of draft note id. */
static void append_to_note(struct fx *f, psy_id id, const char *text)
{
    struct psy_note n;
    assert_int_equal(psy_records_note_get(f->st, f->pr, id, &n), PSY_OK);
    size_t l = strlen(n.plan);
    char *p = malloc(l + strlen(text) + 1);
    memcpy(p, n.plan, l);
    strcpy(p + l, text);
    free(n.plan);
    n.plan = p;
    assert_int_equal(psy_records_note_save(f->st, f->pr, &n, NULL), PSY_OK);
    psy_note_clear(&n);
}

static void sign_all(struct fx *f, psy_id session)
{
    struct psy_note *notes;
    size_t n;
    assert_int_equal(psy_records_note_list(f->st, f->pr, session, &notes, &n), PSY_OK);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(notes[i].status, "signed")) assert_int_equal(psy_records_note_sign(f->st, f->pr, notes[i].id, f->clin), PSY_OK);
        psy_note_clear(&notes[i]);
    }
    free(notes);
    assert_int_equal(psy_records_session_sign(f->st, f->pr, session, f->clin), PSY_OK);
}

/* --- the measure ----------------------------------------------------------------------------------- */

static void test_similarity(void **state)
{
    (void)state;
    char a[400], b[400];
    fx_text(1, a, sizeof a);
    fx_text(2, b, sizeof b);
    assert_true(psy_audit_similarity(a, a) == 1.0);
    assert_true(psy_audit_similarity(a, b) < 0.2);
    /* case and punctuation do not matter */
    assert_true(psy_audit_similarity("Slept well; mood 6/10. Walked daily!", "slept WELL mood 6 10 walked daily") == 1.0);
    /* one word changed in forty: still a copy */
    strcpy(b, a);
    char *sp = strchr(b + 100, ' ');
    assert_non_null(sp);
    memcpy(sp + 1, "zzz", 3);
    double s = psy_audit_similarity(a, b);
    assert_true(s >= 0.8 && s < 1.0);
    assert_true(psy_audit_similarity("too short", "too short") == 0.0);
    assert_true(psy_audit_similarity("", "") == 0.0);
}

/* The clone index built from signatures computed in batches on two threads (psy__lsh_signatures, as
 * the audit reads notes) is the one built note by note: the same estimates and the same candidate
 * pairs, with texts too short to compare left out and an empty text kept. */
static void test_signatures_in_batches(void **state)
{
    (void)state;
    struct psy__audit_conf conf;
    psy__audit_conf(&conf);
    enum { N = 700 };
    struct psy__buf pool = {0};
    size_t off[N];
    for (size_t i = 0; i < N; i++) {
        char t[400];
        off[i] = pool.n;
        if (i % 97 == 5) snprintf(t, sizeof t, "too short");
        else if (i == 11) t[0] = 0;
        else fx_text((int)(i % 40) + 1, t, sizeof t); /* forty texts, each repeated: many candidate pairs */
        psy__buf_puts(&pool, t);
        psy__buf_put(&pool, "", 1);
    }
    struct psy__lsh *one = psy__lsh_new(conf.bands, conf.rows), *two = psy__lsh_new(conf.bands, conf.rows);
    int min = conf.min_shingles > 0 ? conf.min_shingles : 0;
    struct psy__shingles sh = {0};
    size_t kept = 0;
    for (size_t i = 0; i < N; i++) {
        psy__shingle(pool.p + off[i], conf.shingle_words, 0, &sh);
        if (sh.n < (size_t)min) continue;
        psy__lsh_add(one, &sh);
        kept++;
    }
    size_t P = psy__lsh_perms(two);
    uint32_t *sigs = malloc(N * P * sizeof *sigs);
    uint8_t keep[N];
    psy__lsh_signatures(two, pool.p, off, N, conf.shingle_words, min, sigs, keep);
    size_t kept2 = 0;
    for (size_t i = 0; i < N; i++)
        if (keep[i]) {
            psy__lsh_add_signature(two, sigs + i * P, keep[i] == 2);
            kept2++;
        }
    assert_int_equal(kept, kept2);
    assert_true(kept < N && kept > N / 2);
    uint64_t *pa, *pb;
    size_t na = psy__lsh_pairs(one, conf.compare_window, &pa), nb = psy__lsh_pairs(two, conf.compare_window, &pb);
    assert_int_equal(na, nb);
    assert_true(na > 0);
    assert_memory_equal(pa, pb, na * sizeof *pa);
    for (size_t i = 0; i < na; i++) {
        uint32_t a = (uint32_t)(pa[i] >> 32), b = (uint32_t)pa[i];
        assert_true(psy__lsh_estimate(one, a, b) == psy__lsh_estimate(two, a, b));
    }
    free(pa);
    free(pb);
    free(sigs);
    psy__shingles_free(&sh);
    psy__buf_free(&pool);
    psy__lsh_free(one);
    psy__lsh_free(two);
}

/* --- each rule ------------------------------------------------------------------------------------- */

static void test_clean_fixture(void **state)
{
    struct fx f;
    fx_start(state, &f);
    fx_individual(&f, f.client[0], "2024-03-04", 45, "90834", 1);
    fx_individual(&f, f.client[2], "2024-03-05", 55, "90837", 1);
    fx_individual(&f, f.client[3], "2024-03-05", 30, "90832", 0); /* not covered by its authorisation's codes */
    psy_id present[] = {f.client[0], f.client[1], f.client[2]};
    fx_group(&f, "2024-03-06", present, 3, 1);
    /* unsigned on the 5th, audited on the 10th: within the 7 days */
    struct want w[] = {{"R-AUTH-1", "client", f.client[3]}};
    expect(&f, "2024-03-10", w, 1);
    struct psy_audit_stats stats;
    assert_int_equal(psy_audit_run(f.st, f.pr, NULL, NULL, NULL, &stats), PSY_OK);
    assert_int_equal(stats.sessions, 4);
    assert_int_equal(stats.notes, 6);
    fx_stop(state, &f);
}

static void test_signatures_and_times(void **state)
{
    struct fx f;
    fx_start(state, &f);
    /* EVIDENCE: R-DOC-SIGN */
    psy_id old = fx_individual(&f, f.client[0], "2024-03-01", 45, "90834", 0);
    NONE(&f, "2024-03-08");
    struct want w1[] = {{"R-DOC-SIGN", "note", note_of(&f, old, f.client[0])}};
    expect(&f, "2024-03-09", w1, 1);
    psy_id present[] = {f.client[0], f.client[1]};
    psy_id grp = fx_group(&f, "2024-03-02", present, 2, 0);
    struct want w2[] = {w1[0], {"R-DOC-SIGN", "note", note_of(&f, grp, 0)}, {"R-DOC-SIGN", "note", note_of(&f, grp, f.client[0])},
                        {"R-DOC-SIGN", "note", note_of(&f, grp, f.client[1])}};
    expect(&f, "2024-03-20", w2, 4);
    sign_all(&f, grp);
    expect(&f, "2024-03-20", w1, 1);
    /* a session without any note */
    struct psy_session s;
    assert_int_equal(psy_records_session_get(f.st, f.pr, old, &s), PSY_OK);
    s.id = 0;
    snprintf(s.service_date, sizeof s.service_date, "2024-03-11");
    snprintf(s.start_utc, sizeof s.start_utc, "2024-03-11T16:00:00Z");
    s.stop_utc[0] = 0; /* and no stop time: EVIDENCE: R-TIME-4 */
    psy_id bare;
    assert_int_equal(psy_records_session_add(f.st, f.pr, &s, &bare), PSY_OK);
    struct want w3[] = {w1[0], {"R-DOC-SIGN", "session", bare}, {"R-TIME-4", "session", bare}};
    expect(&f, "2024-03-30", w3, 3);
    /* an explicit total is an accepted alternative to start and stop */
    assert_int_equal(psy_records_session_get(f.st, f.pr, bare, &s), PSY_OK);
    s.minutes = 50;
    assert_int_equal(psy_records_session_update(f.st, f.pr, &s), PSY_OK);
    struct want w4[] = {w1[0], {"R-DOC-SIGN", "session", bare}};
    expect(&f, "2024-03-30", w4, 2);

    /* EVIDENCE: R-TIME-1 -- the billed code's band (data/audit/time_bands.json) */
    psy_id shortish = fx_individual(&f, f.client[1], "2024-04-01", 45, "90837", 1); /* a week apart: the */
    fx_individual(&f, f.client[1], "2024-04-08", 52, "90834", 1);                      /* plan is weekly */
    fx_individual(&f, f.client[1], "2024-04-15", 16, "90832", 1);
    psy_id too_short = fx_individual(&f, f.client[1], "2024-04-22", 15, "90832", 1);
    struct want w5[] = {{"R-TIME-1", "session", shortish}, {"R-TIME-1", "session", too_short}};
    struct psy_audit_opts o = {"2024-04-01", "2024-04-30", "2024-04-23", 0};
    expect_opts(&f, &o, w5, 2);
    fx_stop(state, &f);
}

static void test_group_rules(void **state)
{
    struct fx f;
    fx_start(state, &f);
    /* EVIDENCE: R-GRP-1 -- the State Plan pays groups of at most 3 */
    psy_id all[] = {f.client[0], f.client[1], f.client[2], f.client[3]};
    psy_id big = fx_group(&f, "2024-05-01", all, 4, 1);
    fx_group(&f, "2024-05-08", all, 3, 1);
    psy_id two_commercial[] = {f.client[0], f.client[1]};
    fx_group(&f, "2024-05-15", two_commercial, 2, 1);
    struct want w1[] = {{"R-GRP-1", "session", big}};
    expect(&f, "2024-05-20", w1, 1);

    /* EVIDENCE: R-GRP-2 -- two members' notes copied in one session */
    psy_id s = fx_group(&f, "2024-05-22", all, 3, 0);
    copy_note(&f, note_of(&f, s, f.client[0]), note_of(&f, s, f.client[1]));
    sign_all(&f, s);
    struct psy_audit_finding *v;
    size_t n;
    struct psy_audit_opts o = {"2024-05-22", "2024-05-22", "2024-05-25", 0};
    assert_int_equal(psy_audit_collect(f.st, f.pr, &o, &v, &n), PSY_OK);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].rule, "R-GRP-2");
    assert_int_equal(v[0].record_id, s);
    assert_true(v[0].similarity >= 0.8 && v[0].similarity < 1.0);
    assert_int_equal(v[0].severity, PSY_AUDIT_WARNING);
    assert_non_null(strstr(v[0].message, "2 notes"));
    free(v);
    /* a stricter threshold than the copy's similarity finds nothing */
    o.clone_threshold = 0.999;
    assert_int_equal(psy_audit_collect(f.st, f.pr, &o, &v, &n), PSY_OK);
    assert_int_equal(n, 0);
    free(v);

    /* EVIDENCE: R-GRP-3 -- billed though absent (recorded on the signed session) */
    assert_int_equal(psy_records_billed_set(f.st, f.pr, s, f.client[3], "90853"), PSY_OK);
    struct psy_attendance *att;
    size_t na;
    psy_id absent = 0;
    assert_int_equal(psy_records_attendance_list(f.st, f.pr, s, &att, &na), PSY_OK);
    for (size_t i = 0; i < na; i++)
        if (att[i].client_id == f.client[3]) absent = att[i].id;
    free(att);
    o.clone_threshold = 0;
    struct want w2[] = {{"R-GRP-2", "session", s}, {"R-GRP-3", "attendance", absent}};
    expect_opts(&f, &o, w2, 2);
    fx_stop(state, &f);
}

static void test_copy_forward(void **state)
{
    struct fx f;
    fx_start(state, &f);
    /* EVIDENCE: R-DOC-CLONE -- the note of a later session repeats an earlier one */
    fx_individual(&f, f.client[0], "2024-06-03", 45, "90834", 1);
    psy_id a = fx_individual(&f, f.client[1], "2024-06-03", 45, "90834", 1);
    psy_id b = fx_individual(&f, f.client[1], "2024-06-10", 45, "90834", 0);
    copy_note(&f, note_of(&f, a, f.client[1]), note_of(&f, b, f.client[1]));
    sign_all(&f, b);
    struct want w[] = {{"R-DOC-CLONE", "note", note_of(&f, b, f.client[1])}};
    expect(&f, "2024-06-12", w, 1);
    /* outside the period, the earlier note is not compared */
    struct psy_audit_opts o = {"2024-06-04", NULL, "2024-06-12", 0};
    expect_opts(&f, &o, NULL, 0);
    fx_stop(state, &f);
}

/* The copy checks read every note kind alike: an individual note that repeats the same client's member
 * note of an earlier group session is a copy too (a practice's templates map onto these same parts). */
static void test_copy_across_kinds(void **state)
{
    struct fx f;
    fx_start(state, &f);
    psy_id present[] = {f.client[0], f.client[1]};
    psy_id g = fx_group(&f, "2024-06-04", present, 2, 1);
    psy_id s = fx_individual(&f, f.client[0], "2024-06-11", 45, "90834", 0);
    struct psy_note m, n;
    assert_int_equal(psy_records_note_get(f.st, f.pr, note_of(&f, g, f.client[0]), &m), PSY_OK);
    assert_int_equal(psy_records_note_get(f.st, f.pr, note_of(&f, s, f.client[0]), &n), PSY_OK);
    char **src[] = {&m.participation, &m.response, &m.progress, &m.plan};
    char **dst[] = {&n.techniques, &n.response, &n.progress, &n.plan};
    for (int i = 0; i < 4; i++) {
        free(*dst[i]);
        *dst[i] = strdup(*src[i]);
    }
    snprintf(n.template_id, sizeof n.template_id, "soap");
    assert_int_equal(psy_records_note_save(f.st, f.pr, &n, NULL), PSY_OK);
    psy_note_clear(&m);
    psy_note_clear(&n);
    sign_all(&f, s);
    /* EVIDENCE: R-DOC-CLONE -- the individual note repeats the member note of the week before */
    struct want w[] = {{"R-DOC-CLONE", "note", note_of(&f, s, f.client[0])}};
    expect(&f, "2024-06-12", w, 1);
    /* the earlier notes a draft is compared with: the member note, newest first, not the session's own */
    struct psy_note *earlier;
    size_t ne;
    assert_int_equal(psy_records_client_notes_before(f.st, f.pr, f.client[0], "2024-06-11", s, 5, &earlier, &ne), PSY_OK);
    assert_int_equal(ne, 1);
    assert_string_equal(earlier[0].kind, "member");
    psy_note_clear(&earlier[0]);
    free(earlier);
    fx_stop(state, &f);
}

static void test_plans_and_diagnoses(void **state)
{
    struct fx f;
    fx_start(state, &f);
    /* EVIDENCE: R-PLAN-1 -- closed plan, plan past review, plan without the group modality */
    assert_int_equal(psy_records_plan_close(f.st, f.pr, f.plan[0], "2024-06-30"), PSY_OK);
    fx_individual(&f, f.client[0], "2024-06-28", 45, "90834", 1);
    fx_individual(&f, f.client[0], "2024-07-02", 45, "90834", 1);
    fx_individual(&f, f.client[0], "2024-07-09", 45, "90834", 1);
    struct want w1[] = {{"R-PLAN-1", "client", f.client[0]}};
    expect(&f, "2024-07-10", w1, 1);
    struct psy_plan p;
    fx_plan_init(&p, f.client[0], f.clin, PSY_MOD_INDIVIDUAL, "2024-07-01", "2024-07-05");
    psy_id plan;
    assert_int_equal(psy_records_plan_add(f.st, f.pr, &p, &plan), PSY_OK);
    expect(&f, "2024-07-10", w1, 1); /* not signed: not in force */
    assert_int_equal(psy_records_plan_sign(f.st, f.pr, plan, 'c', f.clin, ""), PSY_OK);
    struct want w2[] = {{"R-PLAN-1", "treatment_plan", plan}};
    expect(&f, "2024-07-10", w2, 1);
    struct psy_audit_finding *v;
    size_t n;
    assert_int_equal(psy_audit_collect(f.st, f.pr, NULL, &v, &n), PSY_OK);
    assert_int_equal(v[0].severity, PSY_AUDIT_WARNING);
    assert_non_null(strstr(v[0].message, "1 session, the first on 2024-07-09"));
    free(v);
    psy_id present[] = {f.client[0], f.client[1]};
    fx_group(&f, "2024-07-03", present, 2, 1); /* the new plan covers individual therapy only */
    struct want w3[] = {w2[0], {"R-PLAN-1", "client", f.client[0]}};
    expect(&f, "2024-07-10", w3, 2);

    /* EVIDENCE: R-DX-1 -- a client whose diagnoses were removed */
    struct psy_client c;
    assert_int_equal(psy_records_client_get(f.st, f.pr, f.client[1], &c), PSY_OK);
    c.n_dx = 0;
    assert_int_equal(psy_records_client_update(f.st, f.pr, &c), PSY_OK);
    struct want w4[] = {w2[0], {"R-PLAN-1", "client", f.client[0]}, {"R-DX-1", "client", f.client[1]}};
    expect(&f, "2024-07-10", w4, 3);
    fx_stop(state, &f);
}

/* R-DX-2, from domain.md 7.1: the disorders are chapter 5 (F01-F99); Z codes (e.g. Z63 family problems)
 * are secondary diagnoses in therapy, so psychotherapy billed on Z codes alone lacks medical necessity. */
static void test_z_codes_only(void **state)
{
    struct fx f;
    fx_start(state, &f);
    struct psy_client c;
    assert_int_equal(psy_records_client_get(f.st, f.pr, f.client[0], &c), PSY_OK);
    /* near miss: a disorder first, a Z code second */
    c.n_dx = 2;
    snprintf(c.dx[0], PSY_CODE_MAX, "F41.1");
    snprintf(c.dx[1], PSY_CODE_MAX, "Z63.0");
    assert_int_equal(psy_records_client_update(f.st, f.pr, &c), PSY_OK);
    psy_id s1 = fx_individual(&f, f.client[0], "2024-07-02", 45, "90834", 1);
    NONE(&f, "2024-07-10");
    /* EVIDENCE: R-DX-2 -- the disorder removed: Z63.0 alone under 90834; the plan still names F41.1, so
     * the claim's diagnosis no longer matches it either (R-PLAN-2, on each session) */
    assert_int_equal(psy_records_client_get(f.st, f.pr, f.client[0], &c), PSY_OK);
    snprintf(c.dx[0], PSY_CODE_MAX, "Z63.0");
    c.n_dx = 1;
    assert_int_equal(psy_records_client_update(f.st, f.pr, &c), PSY_OK);
    struct want w[] = {{"R-DX-2", "client", f.client[0]}, {"R-PLAN-2", "session", s1}, {"R-PLAN-2", "session", 0}};
    expect(&f, "2024-07-10", w, 2);
    /* one R-DX-2 for the client, however many sessions (a second one the next week) */
    w[2].id = fx_individual(&f, f.client[0], "2024-07-09", 53, "90837", 1);
    expect(&f, "2024-07-10", w, 3);
    fx_stop(state, &f);
}

static void set_credential(struct fx *f, psy_id clin, const char *credential)
{
    struct psy_clinician c;
    assert_int_equal(psy_records_clinician_get(f->st, f->pr, clin, &c), PSY_OK);
    snprintf(c.credential, sizeof c.credential, "%s", credential);
    assert_int_equal(psy_records_clinician_update(f->st, f->pr, &c), PSY_OK);
}

/* R-CRED-1, from domain.md 8.2 (CAA 2023 §4121, CY2024 PFS): Medicare pays marriage and family
 * therapists and mental health counselors from 2024-01-01; before it their services are not payable. */
static void test_medicare_mft_mhc(void **state)
{
    struct fx f;
    fx_start(state, &f);
    struct psy_payer py;
    assert_int_equal(psy_records_payer_get(f.st, f.pr, f.commercial, &py), PSY_OK);
    snprintf(py.kind, sizeof py.kind, "medicare");
    assert_int_equal(psy_records_payer_update(f.st, f.pr, &py), PSY_OK);
    struct psy_policy pol;
    assert_int_equal(psy_records_policy_on(f.st, f.pr, f.client[0], "2024-01-02", 1, &pol), PSY_OK);
    snprintf(pol.start_date, sizeof pol.start_date, "2023-01-01");
    assert_int_equal(psy_records_policy_update(f.st, f.pr, &pol), PSY_OK);
    set_credential(&f, f.clin, "LMFT");
    /* near miss: the first day Medicare pays an LMFT */
    fx_individual(&f, f.client[0], "2024-01-08", 45, "90834", 1);
    NONE(&f, "2024-01-10");
    /* EVIDENCE: R-CRED-1 -- an LMFT's 90834 for a Medicare client on 2023-12-28 (no plan then either) */
    psy_id s = fx_individual(&f, f.client[0], "2023-12-28", 45, "90834", 1);
    struct want w[] = {{"R-CRED-1", "session", s}, {"R-PLAN-1", "client", f.client[0]}};
    expect(&f, "2024-01-10", w, 2);
    /* the same session by an LCSW: Medicare has paid clinical social workers all along */
    set_credential(&f, f.clin, "LCSW");
    expect(&f, "2024-01-10", &w[1], 1);
    set_credential(&f, f.clin, "L.P.C.");
    expect(&f, "2024-01-10", w, 2);
    fx_stop(state, &f);
}

/* R-CRED-2: 90853 is psychotherapy, furnished by a clinician Medicare lets bill psychotherapy (Benefit
 * Policy Manual ch. 15 §160: physicians, clinical psychologists, clinical social workers, and the
 * practitioners named there); a peer specialist is none of them, whatever the payer. */
static void test_peer_group(void **state)
{
    struct fx f;
    fx_start(state, &f);
    psy_id present[] = {f.client[0], f.client[1]};
    fx_group(&f, "2024-07-03", present, 2, 1);
    NONE(&f, "2024-07-10"); /* near miss: the same group led by an LCSW */
    /* EVIDENCE: R-CRED-2 -- the group's clinician a certified peer specialist: each billed member */
    set_credential(&f, f.clin, "CPS");
    struct psy_audit_finding *v;
    size_t n;
    assert_int_equal(psy_audit_collect(f.st, f.pr, NULL, &v, &n), PSY_OK);
    size_t cred = 0;
    for (size_t i = 0; i < n; i++) cred += !strcmp(v[i].rule, "R-CRED-2") && !strcmp(v[i].record_type, "attendance");
    if (cred != 2) print_findings(v, n);
    free(v);
    assert_int_equal(cred, 2);
    fx_stop(state, &f);
}

/* Marks client present at session (90853 billed) with the minutes missed at each end. */
static void set_presence(struct fx *f, psy_id session, psy_id client, int late, int early)
{
    struct psy_attendance a;
    memset(&a, 0, sizeof a);
    a.session_id = session;
    a.client_id = client;
    a.present = 1;
    a.late_minutes = late;
    a.early_minutes = early;
    snprintf(a.billed_code, sizeof a.billed_code, "90853");
    assert_int_equal(psy_records_attendance_set(f->st, f->pr, &a, NULL), PSY_OK);
}

/* R-GRP-4: 90853 has no time rule in CPT; a payer profile that sets group_minutes_min (the example
 * Medicaid profile: 45, data/payers/example-medicaid.json) pays a member present at least that long. */
static void test_member_minutes(void **state)
{
    struct fx f;
    fx_start(state, &f);
    psy_id present[] = {f.client[0], f.client[2]}; /* commercial (no minimum) and Medicaid-like (45) */
    psy_id g = fx_group(&f, "2024-07-03", present, 2, 0); /* 90 minutes; signed once the presences are set */
    set_presence(&f, g, f.client[2], 30, 15); /* 45 present: exactly the minimum */
    set_presence(&f, g, f.client[0], 60, 20); /* 10 present: the commercial profile sets no minimum */
    sign_all(&f, g);
    NONE(&f, "2024-07-10");
    /* EVIDENCE: R-GRP-4 -- 44 minutes present for a payer that pays from 45 */
    g = fx_group(&f, "2024-07-09", present, 2, 0); /* the next week: the plan is weekly */
    set_presence(&f, g, f.client[2], 30, 16);
    sign_all(&f, g);
    struct psy_audit_finding *v;
    size_t n;
    assert_int_equal(psy_audit_collect(f.st, f.pr, NULL, &v, &n), PSY_OK);
    if (n != 1) print_findings(v, n);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].rule, "R-GRP-4");
    assert_string_equal(v[0].record_type, "attendance");
    assert_non_null(strstr(v[0].message, "present 44 minutes"));
    free(v);
    fx_stop(state, &f);
}

static void test_authorisations(void **state)
{
    struct fx f;
    fx_start(state, &f);
    /* EVIDENCE: R-AUTH-1 -- expired: client 2's authorisation ends 2024-12-31 */
    fx_individual(&f, f.client[2], "2024-12-30", 45, "90834", 1);
    fx_individual(&f, f.client[2], "2025-01-06", 45, "90834", 1);
    fx_individual(&f, f.client[2], "2025-01-13", 45, "90834", 1);
    struct want w1[] = {{"R-AUTH-1", "authorisation", f.auth[2]}};
    expect(&f, "2025-01-14", w1, 1);
    struct psy_audit_finding *v;
    size_t n;
    assert_int_equal(psy_audit_collect(f.st, f.pr, NULL, &v, &n), PSY_OK);
    assert_non_null(strstr(v[0].message, "ended on 2024-12-31: 2 sessions, the first on 2025-01-06"));
    free(v);
    /* used up: a second authorisation with 3 visits, 1 used before */
    struct psy_authorisation a;
    assert_int_equal(psy_records_auth_get(f.st, f.pr, f.auth[3], &a), PSY_OK);
    snprintf(a.start_date, sizeof a.start_date, "2025-01-01");
    snprintf(a.end_date, sizeof a.end_date, "2025-06-30");
    a.units_approved = 3;
    a.units_prior = 1;
    psy_id small;
    assert_int_equal(psy_records_auth_add(f.st, f.pr, &a, &small), PSY_OK);
    fx_individual(&f, f.client[3], "2025-02-03", 45, "90834", 1);
    fx_individual(&f, f.client[3], "2025-02-10", 45, "90834", 1);
    struct psy_audit_opts o = {"2025-01-01", NULL, "2025-03-01", 0};
    expect_opts(&f, &o, w1, 1);
    psy_id present[] = {f.client[3]};
    fx_group(&f, "2025-02-12", present, 1, 1);
    struct want w2[] = {w1[0], {"R-AUTH-1", "authorisation", small}};
    expect_opts(&f, &o, w2, 2);
    int used;
    assert_int_equal(psy_records_auth_used(f.st, f.pr, small, &used), PSY_OK);
    assert_int_equal(used, 4);
    /* missing: a code no authorisation covers */
    psy_id other = fx_individual(&f, f.client[3], "2025-02-17", 30, "90832", 1);
    (void)other;
    struct want w3[] = {w1[0], w2[1], {"R-AUTH-1", "client", f.client[3]}};
    expect_opts(&f, &o, w3, 3);
    fx_stop(state, &f);
}

static void test_telehealth(void **state)
{
    struct fx f;
    fx_start(state, &f);
    /* EVIDENCE: R-TH-2 */
    psy_id s1 = fx_individual(&f, f.client[0], "2024-08-05", 45, "90834", 0);
    struct psy_session s;
    assert_int_equal(psy_records_session_get(f.st, f.pr, s1, &s), PSY_OK);
    s.telehealth = 1;
    snprintf(s.pos, sizeof s.pos, "10");
    snprintf(s.patient_location, sizeof s.patient_location, "home");
    assert_int_equal(psy_records_session_update(f.st, f.pr, &s), PSY_OK);
    struct want w1[] = {{"R-TH-2", "session", s1}};
    expect(&f, "2024-08-06", w1, 1);
    assert_int_equal(psy_records_session_get(f.st, f.pr, s1, &s), PSY_OK);
    snprintf(s.th_modality, sizeof s.th_modality, "audio");
    assert_int_equal(psy_records_session_update(f.st, f.pr, &s), PSY_OK);
    /* EVIDENCE: R-DOC-AUDIO -- audio-only, and the note does not say why (CY2022 PFS: the clinician can
     * offer video and the patient cannot use it or declines) */
    struct want wa[] = {{"R-DOC-AUDIO", "session", s1}};
    expect(&f, "2024-08-06", wa, 1);
    append_to_note(&f, note_of(&f, s1, f.client[0]), " Audio only: the patient declined video today.");
    NONE(&f, "2024-08-06");
    struct psy_client c;
    assert_int_equal(psy_records_client_get(f.st, f.pr, f.client[0], &c), PSY_OK);
    snprintf(c.telehealth_consent_date, sizeof c.telehealth_consent_date, "2024-08-06"); /* consent came later */
    assert_int_equal(psy_records_client_update(f.st, f.pr, &c), PSY_OK);
    expect(&f, "2024-08-06", w1, 1);
    struct psy_audit_finding *v;
    size_t n;
    struct psy_audit_opts o = {NULL, NULL, "2024-08-06", 0};
    assert_int_equal(psy_audit_collect(f.st, f.pr, &o, &v, &n), PSY_OK);
    assert_non_null(strstr(v[0].message, "consent"));
    assert_null(strstr(v[0].message, c.first_name)); /* no patient data in messages */
    free(v);
    fx_stop(state, &f);
}

/* R-TH-4, from domain.md 2.2: Medicare mental-health telehealth to the patient's home needs an in-person
 * visit within 6 months before the first telehealth service and within 12 months before each later one
 * (statute since CAA 2021; delayed through 2027 by CAA 2026, so the audit's setting starts it on
 * 2028-01-01). The check runs here with an earlier start date to see it work. */
struct seen {
    int n;
    char rule[16][16];
    psy_id id[16];
};
static void seen_one(void *ud, const char *rule, int error, const char *type, psy_id id, const char *date,
                     const char *msg)
{
    struct seen *x = ud;
    (void)error, (void)type, (void)date, (void)msg;
    if (x->n < 16) snprintf(x->rule[x->n], sizeof x->rule[0], "%s", rule), x->id[x->n++] = id;
}

static psy_id home_telehealth(struct fx *f, psy_id client, const char *date)
{
    psy_id id = fx_individual(f, client, date, 45, "90834", 0);
    struct psy_session s;
    assert_int_equal(psy_records_session_get(f->st, f->pr, id, &s), PSY_OK);
    s.telehealth = 1;
    snprintf(s.pos, sizeof s.pos, "10");
    snprintf(s.th_modality, sizeof s.th_modality, "video");
    snprintf(s.patient_location, sizeof s.patient_location, "home");
    assert_int_equal(psy_records_session_update(f->st, f->pr, &s), PSY_OK);
    return id;
}

static void test_in_person_visit(void **state)
{
    struct fx f;
    fx_start(state, &f);
    struct psy_payer py; /* clients 0 and 1 become Medicare's (the commercial payer's kind changed) */
    assert_int_equal(psy_records_payer_get(f.st, f.pr, f.commercial, &py), PSY_OK);
    snprintf(py.kind, sizeof py.kind, "medicare");
    assert_int_equal(psy_records_payer_update(f.st, f.pr, &py), PSY_OK);
    struct {
        psy_id client;
        const char *date;
        int telehealth, finding; /* finding: R-TH-4 expected on this session */
    } cases[] = {
        {f.client[0], "2025-01-06", 0, 0}, /* in person */
        {f.client[0], "2025-07-07", 1, 0}, /* first telehealth 182 days later: within 6 months */
        {f.client[0], "2025-12-29", 1, 0}, /* a later one within 12 months of the in-person visit */
        {f.client[0], "2026-01-12", 1, 1}, /* past 12 months */
        {f.client[1], "2024-12-02", 1, 0}, /* before the requirement starts (here 2025-01-01) */
        {f.client[1], "2025-02-03", 1, 1}, /* no in-person visit before it at all */
        {f.client[1], "2025-02-10", 0, 0}, /* in person */
        {f.client[1], "2025-09-08", 1, 1}, /* first telehealth since then, 210 days later: over 6 months */
        {f.client[2], "2025-03-03", 1, 0}, /* not Medicare */
    };
    enum { NC = sizeof cases / sizeof cases[0] };
    psy_id ids[NC];
    for (size_t i = 0; i < NC; i++)
        ids[i] = cases[i].telehealth ? home_telehealth(&f, cases[i].client, cases[i].date)
                                     : fx_individual(&f, cases[i].client, cases[i].date, 45, "90834", 0);
    struct seen x = {0};
    assert_int_equal(psy__audit_necessity(f.st, f.pr, "2024-01-01", "2026-12-31", "2025-01-01", seen_one, &x), PSY_OK);
    int want = 0;
    for (size_t i = 0; i < NC; i++) {
        int hit = 0;
        for (int k = 0; k < x.n; k++) hit |= !strcmp(x.rule[k], "R-TH-4") && x.id[k] == ids[i];
        if (hit != cases[i].finding) fail_msg("R-TH-4 case %zu (%s): found %d, want %d", i, cases[i].date, hit, cases[i].finding);
        want += cases[i].finding;
    }
    int n = 0;
    for (int k = 0; k < x.n; k++) n += !strcmp(x.rule[k], "R-TH-4");
    assert_int_equal(n, want);
    /* the audit's own setting (2028-01-01) finds none of them */
    memset(&x, 0, sizeof x);
    assert_int_equal(psy__audit_necessity(f.st, f.pr, "2024-01-01", "2026-12-31", "2028-01-01", seen_one, &x), PSY_OK);
    for (int k = 0; k < x.n; k++) assert_string_not_equal(x.rule[k], "R-TH-4");
    fx_stop(state, &f);
}

/* --- the demo practice ------------------------------------------------------------------------------- */

static void test_demo_found_exactly(void **state)
{
    for (unsigned seed = 1; seed <= 3; seed++) {
        for (int clean = 0; clean <= 1; clean++) {
            struct fx f;
            memset(&f, 0, sizeof f);
            fx_db_open(&f.db, FX_SERVER(state));
            f.st = f.db.st;
            struct psy_demo_opts o = {seed, "2025-03-31", 0, 0, 0, clean};
            struct psy_demo_result r;
            assert_int_equal(psy_records_demo(f.st, &o, &r), PSY_OK);
            f.pr = r.practice_id;
            assert_true(clean ? r.n_problems == 0 : r.n_problems == 14);
            struct want *w = calloc(r.n_problems + 1, sizeof *w);
            for (size_t i = 0; i < r.n_problems; i++)
                w[i] = (struct want){r.problems[i].rule, r.problems[i].record_type, r.problems[i].record_id};
            expect(&f, "2025-03-31", w, r.n_problems);
            struct psy_audit_stats st;
            assert_int_equal(psy_audit_run(f.st, f.pr, &(struct psy_audit_opts){NULL, NULL, "2025-03-31", 0}, NULL, NULL, &st),
                             PSY_OK);
            assert_int_equal(st.sessions, r.sessions);
            assert_true(st.notes > r.sessions);
            assert_int_equal(st.findings, (long)r.n_problems);
            free(w);
            free(r.problems);
            fx_stop(state, &f);
        }
    }
}

static void test_cli(void **state)
{
    (void)state;
    char *db = test_tmp_path(".db"), args[512], *out, *err;
    snprintf(args, sizeof args, "demo-data --db %s --seed 3 --end 2025-03-31", db);
    assert_int_equal(test_run_cli(args, NULL, &out, NULL), 0);
    assert_non_null(strstr(out, "60 clients"));
    assert_non_null(strstr(out, "R-GRP-2"));
    free(out);
    snprintf(args, sizeof args, "audit --db %s --as-of 2025-03-31 --json", db);
    assert_int_equal(test_run_cli(args, NULL, &out, NULL), 0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "findings")), 14);
    assert_int_equal(json_integer_value(json_object_get(j, "warnings")), 3);
    json_t *f0 = json_array_get(json_object_get(j, "findings"), 0);
    assert_string_equal(json_string_value(json_object_get(f0, "rule")), "R-DOC-SIGN");
    json_decref(j);
    free(out);
    snprintf(args, sizeof args, "audit --db %s --as-of 2025-03-31 --from 2025-03-01", db);
    assert_int_equal(test_run_cli(args, NULL, &out, NULL), 0);
    assert_null(strstr(out, "R-GRP-2")); /* planted in January */
    assert_non_null(strstr(out, "audited"));
    free(out);
    snprintf(args, sizeof args, "audit --db %s --from 2025-02-30", db);
    assert_int_equal(test_run_cli(args, NULL, &out, &err), 2);
    assert_non_null(strstr(err, "--from"));
    free(out);
    free(err);
    snprintf(args, sizeof args, "client list --db %s", db);
    assert_int_equal(test_run_cli(args, NULL, &out, NULL), 0);
    assert_non_null(strstr(out, "(no diagnosis)"));
    free(out);
    snprintf(args, sizeof args, "session show 2 --db %s", db);
    assert_int_equal(test_run_cli(args, NULL, &out, NULL), 0);
    assert_non_null(strstr(out, "group note"));
    free(out);
    snprintf(args, sizeof args, "session show 999999 --db %s", db);
    assert_int_equal(test_run_cli(args, NULL, &out, &err), 1);
    free(out);
    free(err);
    assert_int_equal(test_run_cli("audit --help", NULL, &out, NULL), 0);
    assert_non_null(strstr(out, "R-AUTH-1"));
    free(out);
    test_rm_db(db);
    free(db);
}

/* --- the same records on both backends ----------------------------------------------------------- */

static int same_finding(const struct psy_audit_finding *a, const struct psy_audit_finding *b)
{
    return !strcmp(a->rule, b->rule) && a->severity == b->severity && !strcmp(a->record_type, b->record_type) &&
           a->record_id == b->record_id && !strcmp(a->date, b->date) && !strcmp(a->message, b->message) &&
           a->similarity == b->similarity;
}

/* A demo practice written on SQLite and copied to PostgreSQL, with and without its planted problems:
 * the audit gives the very same findings, in the same order, on both (whole period and a part of it),
 * and they are the planted ones. */
static void test_demo_same_on_both(void **state)
{
    const unsigned seed = 2;
    for (int clean = 0; clean <= 1; clean++) {
        struct fx_db da, db;
        fx_db_open(&da, NULL);
        fx_db_open(&db, FX_SERVER(state));
        psy_store *a = da.st, *b = db.st;
        struct psy_demo_opts o = {seed, "2025-03-31", 0, 0, 0, clean};
        struct psy_demo_result r;
        assert_int_equal(psy_records_demo(a, &o, &r), PSY_OK);
        char why[400];
        if (pg_copy_records(a, b, why, sizeof why)) fail_msg("copy: %s", why);
        const char *from[] = {NULL, "2025-02-01"};
        for (int k = 0; k < 2; k++) {
            struct psy_audit_opts ao = {from[k], NULL, "2025-03-31", 0};
            struct psy_audit_finding *va, *vb;
            size_t na, nb;
            assert_int_equal(psy_audit_collect(a, r.practice_id, &ao, &va, &na), PSY_OK);
            if (psy_audit_collect(b, r.practice_id, &ao, &vb, &nb)) fail_msg("%s", psy_store_errmsg(b));
            if (!k) assert_int_equal(na, r.n_problems);
            assert_int_equal(na, nb);
            for (size_t i = 0; i < na; i++)
                if (!same_finding(&va[i], &vb[i])) {
                    print_findings(&va[i], 1);
                    print_findings(&vb[i], 1);
                    fail_msg("finding %zu differs between the backends", i);
                }
            free(va);
            free(vb);
        }
        free(r.problems);
        fx_db_close(&da);
        fx_db_close(&db);
    }
}

int main(void)
{
    static struct test_backend sqlite = {"sqlite", 0, NULL}, postgres = {"postgres", 1, NULL};
    const struct CMUnitTest common[] = {
        cmocka_unit_test(test_similarity),
        cmocka_unit_test(test_signatures_in_batches),
        cmocka_unit_test(test_cli),
    };
    struct CMUnitTest checks[] = {
        cmocka_unit_test_prestate(test_clean_fixture, NULL),
        cmocka_unit_test_prestate(test_signatures_and_times, NULL),
        cmocka_unit_test_prestate(test_group_rules, NULL),
        cmocka_unit_test_prestate(test_copy_forward, NULL),
        cmocka_unit_test_prestate(test_copy_across_kinds, NULL),
        cmocka_unit_test_prestate(test_plans_and_diagnoses, NULL),
        cmocka_unit_test_prestate(test_z_codes_only, NULL),
        cmocka_unit_test_prestate(test_medicare_mft_mhc, NULL),
        cmocka_unit_test_prestate(test_peer_group, NULL),
        cmocka_unit_test_prestate(test_member_minutes, NULL),
        cmocka_unit_test_prestate(test_authorisations, NULL),
        cmocka_unit_test_prestate(test_telehealth, NULL),
        cmocka_unit_test_prestate(test_in_person_visit, NULL),
        cmocka_unit_test_prestate(test_demo_found_exactly, NULL),
    };
    enum { N = sizeof checks / sizeof checks[0] };
    struct CMUnitTest on_pg[N];
    memcpy(on_pg, checks, sizeof checks);
    for (size_t i = 0; i < N; i++) checks[i].initial_state = &sqlite, on_pg[i].initial_state = &postgres;
    int failed = cmocka_run_group_tests_name("audit", common, NULL, NULL);
    failed += cmocka_run_group_tests_name("sqlite", checks, NULL, NULL);
    /* No server fails the run, as in every PostgreSQL suite. */
    char why[700];
    if (!(postgres.server = pg_scratch_server(why, sizeof why))) {
        fprintf(stderr, "test_audit: FAILED: %s\n", why);
        return 1;
    }
    const struct CMUnitTest copied[] = {cmocka_unit_test_prestate(test_demo_same_on_both, &postgres)};
    failed += cmocka_run_group_tests_name("sqlite-and-postgres", copied, NULL, NULL);
    failed += cmocka_run_group_tests_name("postgres", on_pg, NULL, NULL);
    return failed ? 1 : 0;
}
