/*
 * test_build_equal.c -- the claims build with one query per table (psy_billing_build) gives the very
 * claims, lines, findings, billed codes and status history of the build member by member
 * (psy__billing_build_rowwise), on the demo practice with its planted problems, on every backend, also
 * when it reads the attendance rows and notes its findings name by date rather than one by one; and
 * a second build of either adds nothing. The practice is given besides what the rules of issues 17 and 18
 * look at: a clinician of the same specialty seeing Medicare clients on days they saw a colleague (the
 * day check counts the two as one provider, R-DAY-2), group members with their own interactive
 * complexity (90785 on that member's claim, R-GRP-5), secondary policies, and a replacement claim
 * open on a day with a member still to bill (a build never adds lines to it). And the demo practice written on PostgreSQL (generated on a
 * scratch SQLite file and copied) holds the same records, ids and history as on SQLite.
 */
#include <psyclaim/psyclaim.h>
#include <stdlib.h>
#include <string.h>
#include "backends.h"

psy_status psy__billing_build_rowwise(psy_store *st, const psy_coder *cx, psy_id practice, const char *from,
                                      const char *to, struct psy_billing_build_result *r);
extern int psy__billing_chunk_items;
extern int psy__billing_owner_lookups;

static void exec(struct test_db *d, const char *sql)
{
    char msg[300];
    if (test_db_exec(d, sql, msg, sizeof msg)) fail_msg("%s: %s", sql, msg);
}

/* What the rules of issues 17 and 18 look at, added to the demo practice with SQL (the same on each
 * backend and for both builds). */
static void extend(struct test_db *d)
{
    /* a clinician of clinician 1's specialty; an intake of theirs on the days clinician 1 gave a Medicare
     * client psychotherapy (NCCI PTP 90791/90834 across the two: R-DAY-2) */
    exec(d, "INSERT INTO clinician (practice_id, first_name, last_name, npi, taxonomy, credential, created_at, "
            "updated_at) SELECT practice_id, 'Rowan', 'Hale', '1234567893', taxonomy, credential, created_at, "
            "updated_at FROM clinician WHERE id = 1");
    long long colleague = test_db_count(d, "SELECT max(id) FROM clinician");
    for (int k = 0; k < 4; k++) {
        char sql[1400];
        snprintf(sql, sizeof sql,
                 "SELECT s.id FROM session s WHERE s.clinician_id = 1 AND s.kind = 'individual' AND s.signed_at IS "
                 "NOT NULL AND EXISTS (SELECT 1 FROM policy p JOIN payer y ON y.id = p.payer_id WHERE p.client_id = "
                 "s.client_id AND p.priority = 1 AND y.kind = 'medicare') ORDER BY s.id LIMIT 1 OFFSET %d", k * 3);
        long long sid = test_db_count(d, sql);
        assert_true(sid > 0);
        snprintf(sql, sizeof sql,
                 "INSERT INTO session (practice_id, kind, client_id, clinician_id, service_date, start_utc, stop_utc, "
                 "minutes, place_of_service, signed_at, signed_by, created_at, updated_at) SELECT practice_id, "
                 "'intake', client_id, %lld, service_date, start_utc, stop_utc, minutes, place_of_service, signed_at, "
                 "%lld, created_at, updated_at FROM session WHERE id = %lld",
                 colleague, colleague, sid);
        exec(d, sql);
        long long copy = test_db_count(d, "SELECT max(id) FROM session");
        snprintf(sql, sizeof sql,
                 "INSERT INTO note (practice_id, session_id, client_id, kind, author_id, theme, techniques, dynamics, "
                 "factors, participation, response, progress, plan, status, signed_at, signed_by, created_at, "
                 "updated_at) SELECT practice_id, %lld, client_id, kind, %lld, theme, techniques, dynamics, factors, "
                 "participation, response, progress, plan || ' Intake with a second clinician.', status, signed_at, "
                 "%lld, created_at, updated_at FROM note WHERE session_id = %lld",
                 copy, colleague, colleague, sid);
        exec(d, sql);
    }
    /* interactive complexity for some group members alone */
    exec(d, "UPDATE attendance SET interactive_complexity = 1 WHERE present = 1 AND id % 5 = 0");
    /* a secondary policy for every third client */
    exec(d, "INSERT INTO policy (practice_id, client_id, payer_id, member_id, priority, relation, start_date, "
            "created_at, updated_at) SELECT practice_id, client_id, CASE WHEN payer_id = 4 THEN 3 ELSE 4 END, "
            "'SEC' || member_id, 2, 'self', start_date, created_at, updated_at FROM policy WHERE priority = 1 AND "
            "client_id % 3 = 0");
    /* a replacement claim, open, of the key of a session not billed yet */
    exec(d, "INSERT INTO claim (practice_id, claim_number, client_id, payer_id, policy_id, clinician_id, service_date, "
            "frequency, status, created_at, scrubbed_at) SELECT s.practice_id, 'PR0000001', s.client_id, p.payer_id, "
            "p.id, s.clinician_id, s.service_date, 7, 'draft', s.created_at, s.created_at FROM session s JOIN policy "
            "p ON p.client_id = s.client_id AND p.priority = 1 WHERE s.id = (SELECT min(id) FROM session WHERE kind "
            "= 'individual' AND clinician_id = 2 AND signed_at IS NOT NULL) ORDER BY p.id LIMIT 1");
    assert_int_equal(test_db_count(d, "SELECT count(*) FROM claim"), 1);
}

/* The number of claims the claims list gives (its count is cached until list_version moves, which the
 * claim triggers of migration 0019 raise, or a claim is added: on multi-row inserts and COPY too, on
 * the build's own connection or its writer's; migration 0028). */
static long long listed(psy_store *st, psy_id practice)
{
    struct psy_billing_claim_filter f = {0};
    struct psy_page pg = {.limit = 5};
    struct psy_billing_claim *c;
    size_t n;
    assert_int_equal(psy_billing_claim_page(st, practice, &f, &pg, &c, &n), PSY_OK);
    psy_billing_claims_free(c, n);
    return pg.total;
}

/* Builds the demo practice's claims one way (rowwise 2: member by member in chunks of 7 members, which
 * would end inside a date -- and so inside a claim -- if the former build did not wait for the next date);
 * fills the result. */
static void build(const struct test_backend *b, struct test_db *d, int rowwise, struct psy_billing_build_result *r,
                  struct psy_billing_claim **cl, size_t *n)
{
    test_db_make(b, d);
    psy_store *st = test_db_open(d, 1);
    struct psy_demo_opts o = {.seed = 7, .end_date = "2026-03-31", .weeks = 8, .clients = 45, .groups = 3};
    struct psy_demo_result dr;
    assert_int_equal(psy_records_demo(st, &o, &dr), PSY_OK);
    free(dr.problems);
    extend(d);
    assert_int_equal(psy_billing_set_contact(st, dr.practice_id, "5555550100"), PSY_OK);
    psy_coder *cx;
    char err[300];
    assert_int_equal(psy_coding_open(st, &cx, err, sizeof err), PSY_OK);
    assert_int_equal(listed(st, dr.practice_id), 1);
    int chunk = psy__billing_chunk_items, lookups = psy__billing_owner_lookups;
    if (rowwise == 2) psy__billing_chunk_items = 7;
    if (rowwise == 3) { /* set-based, the findings' attendance rows and notes read by date, not by id */
        psy__billing_owner_lookups = 0;
        rowwise = 0;
    }
    assert_int_equal((rowwise ? psy__billing_build_rowwise : psy_billing_build)(st, cx, dr.practice_id, "", "", r), PSY_OK);
    psy__billing_chunk_items = chunk;
    psy__billing_owner_lookups = lookups;
    assert_int_equal(listed(st, dr.practice_id), test_db_count(d, "SELECT count(*) FROM claim"));
    struct psy_billing_build_result again;
    assert_int_equal((rowwise ? psy__billing_build_rowwise : psy_billing_build)(st, cx, dr.practice_id, "", "", &again),
                     PSY_OK);
    assert_int_equal(again.lines, 0);
    assert_int_equal(again.claims_new, 0);
    assert_int_equal(psy_billing_claim_list(st, dr.practice_id, NULL, cl, n), PSY_OK);
    psy_coding_close(cx);
    psy_store_close(st);
}

static const char *const digests[] = {
    "SELECT count(*) FROM claim_line",
    "SELECT sum(l.line_number * 7 + l.units * 13 + l.charge_cents + l.session_id * 31 + l.client_id * 37 + "
    "length(l.code) * 41 + length(l.modifiers) * 43 + length(l.rules) * 47 + length(l.explanation) * 53 + "
    "length(l.dx_pointers) * 59 + length(l.place_of_service) * 61 + l.claim_id * 67) FROM claim_line l",
    "SELECT sum(session_id * 3 + client_id * 5 + claim_id * 7) FROM claim_session",
    "SELECT count(*) FROM claim_session",
    "SELECT sum(claim_id) FROM claim_status_history",
    "SELECT sum(policy_id * 3 + clinician_id * 5 + version * 7 + length(place_of_service) * 11 + "
    "length(prior_auth) * 13 + length(payer_profile) * 17) FROM claim",
    "SELECT count(*) FROM session WHERE billed_code IS NOT NULL",
    "SELECT count(*) FROM attendance WHERE billed_code IS NOT NULL",
    "SELECT sum(version) FROM session",
    "SELECT sum(version) FROM attendance",
    "SELECT count(*) FROM record_history",
};

static void test_same_claims(void **state)
{
    const struct test_backend *b = *state;
    struct test_db d1, d2, d3, d4;
    struct psy_billing_build_result r1, r2, r3, r4;
    struct psy_billing_claim *c1, *c2, *c3, *c4;
    size_t n1, n2, n3, n4;
    build(b, &d1, 1, &r1, &c1, &n1);
    build(b, &d2, 0, &r2, &c2, &n2);
    build(b, &d3, 2, &r3, &c3, &n3);
    build(b, &d4, 3, &r4, &c4, &n4);
    assert_true(n1 > 100);
    assert_int_equal(r1.sessions, r2.sessions);
    assert_int_equal(r1.members, r2.members);
    assert_int_equal(r1.claims_new, r2.claims_new);
    assert_int_equal(r1.lines, r2.lines);
    assert_int_equal(r1.already_billed, r2.already_billed);
    assert_int_equal(r1.uninsured, r2.uninsured);
    assert_int_equal(r1.not_coded, r2.not_coded);
    assert_int_equal(r1.ready, r2.ready);
    assert_int_equal(r1.draft, r2.draft);
    assert_int_equal(n1, n2);
    size_t with_findings = 0, errors = 0;
    for (size_t i = 0; i < n1; i++) {
        assert_int_equal(c1[i].id, c2[i].id);
        assert_string_equal(c1[i].number, c2[i].number);
        assert_int_equal(c1[i].client_id, c2[i].client_id);
        assert_int_equal(c1[i].payer_id, c2[i].payer_id);
        assert_string_equal(c1[i].service_date, c2[i].service_date);
        assert_string_equal(c1[i].status, c2[i].status);
        assert_int_equal(c1[i].total_cents, c2[i].total_cents);
        assert_int_equal(c1[i].n_lines, c2[i].n_lines);
        assert_string_equal(c1[i].findings, c2[i].findings);
        with_findings += strcmp(c1[i].findings, "[]") != 0;
        errors += strstr(c1[i].findings, "\"error\"") != NULL;
    }
    assert_true(with_findings > 0 && errors > 0); /* the planted problems reach the claims */
    /* findings on notes and on members' attendance reach their session's claims, whether the build looks
     * their rows up one by one or reads every one of a stretch's dates */
    assert_true(test_db_count(&d2, "SELECT count(*) FROM claim WHERE findings LIKE '%\"note[%'") > 0);
    assert_true(test_db_count(&d2, "SELECT count(*) FROM claim WHERE findings LIKE '%\"attendance[%'") > 0);
    assert_int_equal(n4, n2);
    for (size_t i = 0; i < n4; i++) {
        assert_string_equal(c4[i].status, c2[i].status);
        assert_string_equal(c4[i].findings, c2[i].findings);
    }
    /* and the rules the practice was given for */
    assert_true(test_db_count(&d2, "SELECT count(*) FROM claim WHERE findings LIKE '%R-DAY-2%'") > 0);
    assert_true(test_db_count(&d2, "SELECT count(*) FROM claim_line l JOIN session s ON s.id = l.session_id WHERE "
                                   "l.code = '90785' AND s.kind = 'group'") > 0);
    assert_int_equal(test_db_count(&d2, "SELECT count(*) FROM claim_line l JOIN claim c ON c.id = l.claim_id WHERE "
                                        "c.frequency <> 1"), 0);
    for (size_t k = 0; k < sizeof digests / sizeof *digests; k++)
        assert_int_equal(test_db_count(&d1, digests[k]), test_db_count(&d2, digests[k]));
    /* the former build in small chunks: the same claims, versions and history (a claim's members in one
     * chunk, scrubbed once) */
    assert_int_equal(r3.ready, r2.ready);
    assert_int_equal(r3.draft, r2.draft);
    assert_int_equal(n3, n2);
    for (size_t i = 0; i < n3; i++) {
        assert_string_equal(c3[i].status, c2[i].status);
        assert_string_equal(c3[i].findings, c2[i].findings);
    }
    for (size_t k = 0; k < sizeof digests / sizeof *digests; k++)
        assert_int_equal(test_db_count(&d3, digests[k]), test_db_count(&d2, digests[k]));
    assert_int_equal(test_db_count(&d3, "SELECT count(*) FROM claim_status_history"),
                     test_db_count(&d2, "SELECT count(*) FROM claim_status_history"));
    assert_int_equal(test_db_count(&d3, "SELECT sum(version) FROM claim"), test_db_count(&d2, "SELECT sum(version) FROM claim"));
    psy_billing_claims_free(c1, n1);
    psy_billing_claims_free(c2, n2);
    psy_billing_claims_free(c3, n3);
    psy_billing_claims_free(c4, n4);
    test_db_drop(&d1);
    test_db_drop(&d2);
    test_db_drop(&d3);
    test_db_drop(&d4);
}

static const char *const record_digests[] = {
    "SELECT count(*) * 1000003 + COALESCE(sum(id), 0) FROM practice",
    "SELECT count(*) * 1000003 + sum(id + length(last_name) * 7 + length(birth_date) * 11) FROM client",
    "SELECT count(*) * 1000003 + sum(client_id * 3 + position * 5 + length(code) * 7) FROM client_diagnosis",
    "SELECT count(*) * 1000003 + sum(id + client_id * 3 + payer_id * 5 + length(member_id) * 7) FROM policy",
    "SELECT count(*) * 1000003 + sum(id + units_approved * 3 + length(number) * 5) FROM authorisation",
    "SELECT count(*) * 1000003 + sum(id + COALESCE(client_id, 0) * 3 + COALESCE(group_id, 0) * 5 + "
    "clinician_id * 7 + length(service_date) * 11 + minutes * 13 + length(COALESCE(start_utc, '')) * 17) FROM session",
    "SELECT count(*) * 1000003 + sum(id + session_id * 3 + client_id * 5 + present * 7 + late_minutes * 11) "
    "FROM attendance",
    "SELECT count(*) * 1000003 + sum(id + session_id * 3 + COALESCE(client_id, 0) * 5 + length(theme) * 7 + "
    "length(techniques) * 11 + length(plan) * 13) FROM note",
    /* not `previous`: it leaves out updated_at when that was written in the same second */
    "SELECT count(*) * 1000003 + sum(id + record_id * 3 + version * 5 + length(record_type) * 7 + "
    "length(action) * 11) FROM record_history",
};

/* The demo practice on this backend holds what it holds on SQLite. */
static void test_demo_same_records(void **state)
{
    const struct test_backend *b = *state, lite = {"sqlite", 0, NULL};
    struct test_db d[2];
    const struct test_backend *on[2] = {&lite, b};
    long sessions[2];
    for (int i = 0; i < 2; i++) {
        test_db_make(on[i], &d[i]);
        psy_store *st = test_db_open(&d[i], 1);
        struct psy_demo_opts o = {.seed = 5, .end_date = "2026-03-31", .weeks = 9, .clients = 46, .groups = 3};
        struct psy_demo_result dr;
        assert_int_equal(psy_records_demo(st, &o, &dr), PSY_OK);
        sessions[i] = dr.sessions;
        free(dr.problems);
        /* what comes after it gets new ids past the copied ones */
        struct psy_client c;
        assert_int_equal(psy_records_client_get(st, dr.practice_id, 1, &c), PSY_OK);
        snprintf(c.last_name, sizeof c.last_name, "Abbot");
        psy_id id = 0;
        assert_int_equal(psy_records_client_add(st, dr.practice_id, &c, &id), PSY_OK);
        assert_true(id > 46);
        psy_store_close(st);
    }
    assert_true(sessions[0] > 100);
    assert_int_equal(sessions[0], sessions[1]);
    for (size_t k = 0; k < sizeof record_digests / sizeof *record_digests; k++)
        assert_int_equal(test_db_count(&d[0], record_digests[k]), test_db_count(&d[1], record_digests[k]));
    test_db_drop(&d[0]);
    test_db_drop(&d[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_same_claims), cmocka_unit_test(test_demo_same_records)};
    return test_run_on_backends("build_equal", tests, sizeof tests / sizeof *tests, NULL, NULL);
}
