/* test_tenancy.c -- two practices in one database, on SQLite and on a real PostgreSQL server (the ctest
 * fixture pg_server, or $PSY_TEST_PG_URI). Every public records call that takes a practice, given the
 * first practice's id and the second practice's rows, must find nothing or refuse -- never return,
 * list or change them; the audit and the claim listings of one practice never show the other's. */
#include "fixtures_records.h"
#include "psy_db.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* The rows of the second practice the calls aim at. */
struct theirs {
    psy_id session, group_session, note, member_note, addendum, attendance_client, plan, policy, claim;
};

/* Asserts a call found nothing: PSY_ENOTFOUND, or PSY_EINVAL naming the reference field. */
#define NOT_THEIRS(st, call)                                                                         \
    do {                                                                                             \
        psy_status rc_ = (call);                                                                     \
        if (rc_ != PSY_ENOTFOUND && rc_ != PSY_EINVAL)                                               \
            fail_msg("%s: expected not found, got %s: %s", #call, psy_strerror(rc_), psy_store_errmsg(st)); \
    } while (0)

static void assert_no_ids(psy_status rc, psy_id *ids, size_t n)
{
    assert_int_equal(rc, PSY_OK);
    assert_int_equal(n, 0);
    free(ids);
}

/* A fingerprint of everything the second practice holds: row versions and history length. */
static long fingerprint(const struct fx_db *d, psy_id practice)
{
    static const char *const tables[] = {"clinician", "client", "payer", "policy", "authorisation", "treatment_plan",
                                         "therapy_group", "session", "attendance", "note", "note_addendum",
                                         "record_history", "group_member", "client_diagnosis", "plan_goal"};
    long sum = 0;
    char sql[200];
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        int versioned = strcmp(tables[i], "note_addendum") && strcmp(tables[i], "record_history") &&
                        strcmp(tables[i], "group_member") && strcmp(tables[i], "client_diagnosis") &&
                        strcmp(tables[i], "plan_goal");
        snprintf(sql, sizeof sql, "SELECT COUNT(*) * 1000 + COALESCE(SUM(%s), 0) FROM %s WHERE practice_id = %lld",
                 versioned ? "version" : "1", tables[i], (long long)practice);
        sum = sum * 7 + fx_db_count(d, sql);
    }
    return sum;
}

static void make_theirs(struct fx *b, struct theirs *t)
{
    t->session = fx_individual(b, b->client[0], "2024-03-04", 53, "90837", 1);
    psy_id present[2] = {b->client[0], b->client[2]};
    t->group_session = fx_group(b, "2024-03-05", present, 2, 1);
    t->attendance_client = b->client[0];
    struct psy_note *notes;
    size_t n;
    assert_int_equal(psy_records_note_list(b->st, b->pr, t->session, &notes, &n), PSY_OK);
    assert_int_equal(n, 1);
    t->note = notes[0].id;
    psy_note_clear(&notes[0]);
    free(notes);
    assert_int_equal(psy_records_note_list(b->st, b->pr, t->group_session, &notes, &n), PSY_OK);
    assert_int_equal(n, 3);
    t->member_note = notes[1].id;
    for (size_t i = 0; i < n; i++) psy_note_clear(&notes[i]);
    free(notes);
    assert_int_equal(psy_records_note_addendum(b->st, b->pr, t->note, b->clin, "a later correction", &t->addendum),
                     PSY_OK);
    t->plan = b->plan[1];
    psy_id *ids;
    assert_int_equal(psy_records_client_policies(b->st, b->pr, b->client[0], &ids, &n), PSY_OK);
    assert_int_equal(n, 1);
    t->policy = ids[0];
    free(ids);
}

static void test_records_isolation(void **state)
{
    struct fx a, b;
    struct theirs t;
    fx_open_on(&a, FX_SERVER(state));
    fx_build(&b, a.st);
    assert_int_not_equal(a.pr, b.pr);
    make_theirs(&b, &t);
    psy_store *st = a.st;
    psy_id me = a.pr;
    long before = fingerprint(&a.db, b.pr);

    /* reads */
    struct psy_clinician cl;
    NOT_THEIRS(st, psy_records_clinician_get(st, me, b.clin, &cl));
    struct psy_client c;
    NOT_THEIRS(st, psy_records_client_get(st, me, b.client[0], &c));
    struct psy_payer py;
    NOT_THEIRS(st, psy_records_payer_get(st, me, b.commercial, &py));
    struct psy_policy pol;
    NOT_THEIRS(st, psy_records_policy_get(st, me, t.policy, &pol));
    NOT_THEIRS(st, psy_records_policy_on(st, me, b.client[0], "2024-03-04", 1, &pol));
    struct psy_authorisation au;
    NOT_THEIRS(st, psy_records_auth_get(st, me, b.auth[2], &au));
    int used = -1;
    NOT_THEIRS(st, psy_records_auth_used(st, me, b.auth[2], &used));
    assert_int_equal(used, -1);
    struct psy_plan pl;
    NOT_THEIRS(st, psy_records_plan_get(st, me, t.plan, &pl));
    struct psy_group g;
    NOT_THEIRS(st, psy_records_group_get(st, me, b.group, &g));
    struct psy_session s;
    NOT_THEIRS(st, psy_records_session_get(st, me, t.session, &s));
    struct psy_note nt;
    NOT_THEIRS(st, psy_records_note_get(st, me, t.note, &nt));
    struct psy_billable *bl;
    size_t n;
    NOT_THEIRS(st, psy_records_session_billables(st, me, t.session, &bl, &n));
    assert_null(bl);

    /* lists: the first practice's own rows only */
    struct psy_clinician *cls;
    assert_int_equal(psy_records_clinician_list(st, me, &cls, &n), PSY_OK);
    for (size_t i = 0; i < n; i++) assert_true(cls[i].id == a.clin || cls[i].id == a.co || cls[i].id == a.other_clin);
    free(cls);
    struct psy_client *cs;
    assert_int_equal(psy_records_client_list(st, me, &cs, &n), PSY_OK);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) assert_int_equal(cs[i].id, a.client[i]);
    free(cs);
    struct psy_session *ss;
    assert_int_equal(psy_records_session_list(st, me, "", "", &ss, &n), PSY_OK);
    assert_int_equal(n, 0);
    free(ss);
    struct psy_attendance *att;
    assert_int_equal(psy_records_attendance_list(st, me, t.group_session, &att, &n), PSY_OK);
    assert_int_equal(n, 0);
    free(att);
    struct psy_note *ns;
    assert_int_equal(psy_records_note_list(st, me, t.group_session, &ns, &n), PSY_OK);
    assert_int_equal(n, 0);
    free(ns);
    struct psy_addendum *ad;
    assert_int_equal(psy_records_addenda(st, me, t.note, &ad, &n), PSY_OK);
    assert_int_equal(n, 0);
    psy_addenda_free(ad, n);
    struct psy_history *h;
    assert_int_equal(psy_records_history(st, me, "client", b.client[0], &h, &n), PSY_OK);
    assert_int_equal(n, 0);
    psy_history_free(h, n);
    psy_id *ids;
    psy_status rc = psy_records_group_roster(st, me, b.group, "2024-03-05", &ids, &n);
    assert_no_ids(rc, ids, n);
    rc = psy_records_group_list(st, me, b.clin, &ids, &n);
    assert_no_ids(rc, ids, n);
    rc = psy_records_client_ids(st, me, b.clin, &ids, &n);
    assert_no_ids(rc, ids, n);
    rc = psy_records_client_policies(st, me, b.client[0], &ids, &n);
    assert_no_ids(rc, ids, n);
    rc = psy_records_client_auths(st, me, b.client[2], &ids, &n);
    assert_no_ids(rc, ids, n);
    rc = psy_records_client_plans(st, me, b.client[0], &ids, &n);
    assert_no_ids(rc, ids, n);
    rc = psy_records_client_groups(st, me, b.client[0], &ids, &n);
    assert_no_ids(rc, ids, n);
    rc = psy_records_group_sessions(st, me, b.group, &ids, &n);
    assert_no_ids(rc, ids, n);

    /* updates, signatures and references: their rows as they are read by their owner, sent with my id */
    assert_int_equal(psy_records_clinician_get(st, b.pr, b.clin, &cl), PSY_OK);
    cl.active = 0;
    NOT_THEIRS(st, psy_records_clinician_update(st, me, &cl));
    assert_int_equal(psy_records_client_get(st, b.pr, b.client[1], &c), PSY_OK);
    snprintf(c.city, sizeof c.city, "Elsewhere");
    NOT_THEIRS(st, psy_records_client_update(st, me, &c));
    assert_int_equal(psy_records_payer_get(st, b.pr, b.commercial, &py), PSY_OK);
    py.group_max = 5;
    NOT_THEIRS(st, psy_records_payer_update(st, me, &py));
    assert_int_equal(psy_records_plan_get(st, b.pr, t.plan, &pl), PSY_OK);
    pl.session_minutes = 60;
    NOT_THEIRS(st, psy_records_plan_update(st, me, &pl));
    psy_plan_clear(&pl);
    NOT_THEIRS(st, psy_records_plan_sign(st, me, t.plan, 'p', 0, NULL));
    NOT_THEIRS(st, psy_records_plan_close(st, me, t.plan, "2024-06-30"));
    NOT_THEIRS(st, psy_records_group_join(st, me, b.group, a.client[0], "2024-03-01"));
    NOT_THEIRS(st, psy_records_group_join(st, me, a.group, b.client[0], "2024-03-01"));
    NOT_THEIRS(st, psy_records_group_leave(st, me, b.group, b.client[1], "2024-06-30"));
    assert_int_equal(psy_records_session_get(st, b.pr, t.session, &s), PSY_OK);
    s.minutes = 45;
    NOT_THEIRS(st, psy_records_session_update(st, me, &s));
    NOT_THEIRS(st, psy_records_session_sign(st, me, t.session, a.clin));
    NOT_THEIRS(st, psy_records_session_sign(st, me, t.session, b.clin));
    NOT_THEIRS(st, psy_records_billed_set(st, me, t.session, 0, "90834"));
    NOT_THEIRS(st, psy_records_billed_set(st, me, t.group_session, t.attendance_client, "90853"));
    struct psy_attendance at;
    memset(&at, 0, sizeof at);
    at.session_id = t.group_session;
    at.client_id = t.attendance_client;
    NOT_THEIRS(st, psy_records_attendance_set(st, me, &at, NULL));
    assert_int_equal(psy_records_note_get(st, b.pr, t.member_note, &nt), PSY_OK);
    NOT_THEIRS(st, psy_records_note_save(st, me, &nt, NULL));
    psy_note_clear(&nt);
    memset(&nt, 0, sizeof nt);
    nt.session_id = t.session;
    nt.client_id = b.client[0];
    snprintf(nt.kind, sizeof nt.kind, "individual");
    nt.author_id = a.clin;
    NOT_THEIRS(st, psy_records_note_save(st, me, &nt, NULL));
    NOT_THEIRS(st, psy_records_note_sign(st, me, t.note, a.clin));
    NOT_THEIRS(st, psy_records_note_addendum(st, me, t.note, a.clin, "not mine to add", NULL));
    /* new rows of mine that point at theirs */
    fx_policy_init(&pol, b.client[0], a.commercial, "X1", 2);
    NOT_THEIRS(st, psy_records_policy_add(st, me, &pol, NULL));
    pol.client_id = a.client[0];
    pol.payer_id = b.commercial;
    NOT_THEIRS(st, psy_records_policy_add(st, me, &pol, NULL));
    assert_int_equal(psy_records_session_get(st, b.pr, t.session, &s), PSY_OK);
    s.client_id = a.client[0]; /* my client, their clinician */
    NOT_THEIRS(st, psy_records_session_add(st, me, &s, NULL));
    struct psy_plan np;
    fx_plan_init(&np, b.client[0], a.clin, PSY_MOD_INDIVIDUAL, "2024-02-01", "2024-08-01");
    NOT_THEIRS(st, psy_records_plan_add(st, me, &np, NULL));

    /* nothing of theirs changed, and my practice still has only its own */
    assert_int_equal(fingerprint(&a.db, b.pr), before);
    assert_int_equal(fx_db_count(&a.db, "SELECT COUNT(*) FROM policy WHERE member_id = 'X1'"), 0);
    assert_int_equal(psy_records_session_get(st, b.pr, t.session, &s), PSY_OK);
    assert_int_equal(s.minutes, 0);
    fx_close(&a);
}

/* The audit and the claims of one practice never show the other's records. */
static void test_audit_and_claims_isolation(void **state)
{
    struct fx a, b;
    struct theirs t;
    fx_open_on(&a, FX_SERVER(state));
    /* my practice: one session whose note is unsigned, so my audit has something to say */
    psy_id mine = fx_individual(&a, a.client[0], "2024-03-04", 53, "90837", 0);
    struct psy_audit_opts o = {NULL, NULL, "2024-12-31", 0};
    struct psy_audit_finding *fa, *fa2;
    size_t na, na2;
    if (psy_audit_collect(a.st, a.pr, &o, &fa, &na)) fail_msg("audit: %s", psy_store_errmsg(a.st));
    assert_true(na >= 1);
    /* theirs: signed sessions, and claims built from them */
    fx_build(&b, a.st);
    make_theirs(&b, &t);
    fx_individual(&b, b.client[1], "2024-03-11", 20, "90837", 0); /* an unsigned note and a bad code */
    assert_int_equal(psy_audit_collect(a.st, a.pr, &o, &fa2, &na2), PSY_OK);
    assert_int_equal(na2, na);
    for (size_t i = 0; i < na; i++) {
        assert_string_equal(fa2[i].rule, fa[i].rule);
        assert_int_equal(fa2[i].record_id, fa[i].record_id);
    }
    free(fa);
    free(fa2);
    struct psy_audit_finding *fb;
    size_t nb;
    assert_int_equal(psy_audit_collect(a.st, b.pr, &o, &fb, &nb), PSY_OK);
    assert_true(nb >= 1);
    for (size_t i = 0; i < nb; i++)
        if (!strcmp(fb[i].record_type, "session")) assert_int_not_equal(fb[i].record_id, mine);
    free(fb);

    psy_coder *cx;
    char err[300];
    if (psy_coding_open(a.st, &cx, err, sizeof err)) fail_msg("coding: %s", err);
    struct psy_billing_build_result r;
    if (psy_billing_build(a.st, cx, b.pr, "", "", &r)) fail_msg("build: %s", psy_store_errmsg(a.st));
    assert_true(r.claims_new >= 1);
    assert_int_equal(psy_billing_build(a.st, cx, a.pr, "", "", &r), PSY_OK);
    assert_int_equal(r.sessions, 0); /* my one session is not signed; theirs are not mine to bill */
    assert_int_equal(r.claims_new, 0);
    struct psy_billing_claim *cl;
    size_t nc;
    assert_int_equal(psy_billing_claim_list(a.st, a.pr, NULL, &cl, &nc), PSY_OK);
    assert_int_equal(nc, 0);
    psy_billing_claims_free(cl, nc);
    assert_int_equal(psy_billing_claim_list(a.st, b.pr, NULL, &cl, &nc), PSY_OK);
    assert_true(nc >= 1);
    t.claim = cl[0].id;
    char status[16];
    snprintf(status, sizeof status, "%s", cl[0].status);
    for (size_t i = 0; i < nc; i++) assert_true(cl[i].client_id == b.client[0] || cl[i].client_id == b.client[2]);
    psy_billing_claims_free(cl, nc);
    /* a move its lifecycle allows, asked with my id: refused as not found */
    psy_claim_state to = strcmp(status, "ready") ? PSY_CLAIM_CLOSED : PSY_CLAIM_DRAFT;
    assert_int_equal(psy_billing_transition(a.st, a.pr, t.claim, to, "not mine"), PSY_ENOTFOUND);
    assert_int_equal(psy_billing_scrub(a.st, a.pr, t.claim), PSY_ENOTFOUND);
    assert_int_equal(psy_billing_claim_list(a.st, b.pr, NULL, &cl, &nc), PSY_OK);
    assert_int_equal(cl[0].id, t.claim);
    assert_string_equal(cl[0].status, status);
    psy_billing_claims_free(cl, nc);
    /* an 837P batch of theirs, holding their claim: not listed for me, not downloadable nor writable by
     * my id, and listed for them */
    char sql[600];
    snprintf(sql, sizeof sql,
             "INSERT INTO claim_batch (practice_id, payer_id, payer_code, isa13, gs06, st02, n_claims, bytes, created_at) "
             "SELECT %lld, payer_id, 'THEIRS', 990001, 990001, '0001', 1, 'ISA*theirs~', '2024-03-12T10:00:00Z' "
             "FROM claim WHERE id = %lld",
             (long long)b.pr, (long long)t.claim);
    assert_int_equal(psy__sql_exec(a.st, sql), PSY_OK);
    struct psy_billing_batch *bl;
    size_t nbl;
    assert_int_equal(psy_billing_batch_list(a.st, a.pr, &bl, &nbl), PSY_OK);
    assert_int_equal(nbl, 0);
    free(bl);
    assert_int_equal(psy_billing_batch_list(a.st, b.pr, &bl, &nbl), PSY_OK);
    assert_int_equal(nbl, 1);
    psy_id theirs_batch = bl[0].id;
    free(bl);
    char *doc = NULL, werr[300];
    size_t dlen = 0;
    assert_int_equal(psy_billing_batch_get(a.st, a.pr, theirs_batch, &doc, &dlen), PSY_ENOTFOUND);
    assert_null(doc);
    assert_int_equal(psy_billing_batch_write(a.st, a.pr, theirs_batch, "/dev/null", werr, sizeof werr), PSY_ENOTFOUND);
    assert_int_equal(psy_billing_batch_get(a.st, b.pr, theirs_batch, &doc, &dlen), PSY_OK);
    assert_int_equal(dlen, strlen("ISA*theirs~"));
    free(doc);
    psy_coding_close(cx);
    fx_close(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_records_isolation, NULL),
        cmocka_unit_test_prestate(test_audit_and_claims_isolation, NULL),
    };
    int failed = fx_run_on_both("test_tenancy", tests, sizeof tests / sizeof tests[0]);
    return failed ? 1 : 0;
}
