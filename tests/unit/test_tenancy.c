/* test_tenancy.c -- two practices in one database, on SQLite and on a real PostgreSQL server (the ctest
 * fixture pg_server, or $PSY_TEST_PG_URI). Every public records call that takes a practice, given the
 * first practice's id and the second practice's rows, must find nothing or refuse -- never return,
 * list or change them; the audit and the claim listings of one practice never show the other's. Over
 * HTTP, the second practice's admin gets 404 for every record form route given the first's ids. */
#include "fixtures_records.h"
#include "psy_db.h"
#include <curl/curl.h>
#include <jansson.h>
#include <psyclaim/psy_server.h>
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
                                         "record_history", "group_member", "client_diagnosis", "plan_goal",
                                         "ledger_entry"};
    long sum = 0;
    char sql[200];
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        int versioned = strcmp(tables[i], "note_addendum") && strcmp(tables[i], "record_history") &&
                        strcmp(tables[i], "group_member") && strcmp(tables[i], "client_diagnosis") &&
                        strcmp(tables[i], "plan_goal") && strcmp(tables[i], "ledger_entry");
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
    struct psy_payer only_theirs;
    memset(&only_theirs, 0, sizeof only_theirs);
    snprintf(only_theirs.name, sizeof only_theirs.name, "Their payer (fixture)");
    snprintf(only_theirs.payer_code, sizeof only_theirs.payer_code, "ONLYB1");
    snprintf(only_theirs.kind, sizeof only_theirs.kind, "commercial");
    assert_int_equal(psy_records_payer_add(st, b.pr, &only_theirs, NULL), PSY_OK);
    struct psy_client sole; /* a person only the second practice has */
    memset(&sole, 0, sizeof sole);
    snprintf(sole.first_name, sizeof sole.first_name, "Sole");
    snprintf(sole.last_name, sizeof sole.last_name, "Theirsonly");
    snprintf(sole.birth_date, sizeof sole.birth_date, "1977-07-07");
    snprintf(sole.sex, sizeof sole.sex, "F");
    sole.active = 1;
    psy_id sole_id;
    assert_int_equal(psy_records_client_add(st, b.pr, &sole, &sole_id), PSY_OK);
    /* a payment on their client's ledger */
    struct psy_ledger_write lw = {.kind = "payment", .client = b.client[0], .amount_cents = 2500, .method = "cash",
                                  .idempotency_key = "theirs-1"};
    psy_id their_entry;
    char lerr[300];
    assert_int_equal(psy_ledger_record(st, b.pr, &lw, &their_entry, NULL, lerr, sizeof lerr), PSY_OK);
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
    struct psy_payer *pys;
    assert_int_equal(psy_records_payer_list(st, me, &pys, &n), PSY_OK);
    for (size_t i = 0; i < n; i++) assert_int_not_equal(pys[i].id, b.commercial);
    free(pys);
    psy_id found;
    assert_int_equal(psy_records_payer_get(st, b.pr, b.commercial, &py), PSY_OK);
    if (psy_records_payer_find(st, me, py.payer_code, &found) == PSY_OK) assert_int_not_equal(found, b.commercial);
    assert_int_equal(psy_records_client_get(st, b.pr, b.client[0], &c), PSY_OK);
    if (psy_records_client_find(st, me, c.first_name, c.last_name, c.birth_date, &found) == PSY_OK)
        assert_int_not_equal(found, b.client[0]);
    struct psy_membership *mem;
    NOT_THEIRS(st, psy_records_group_members(st, me, b.group, &mem, &n));
    rc = psy_records_client_sessions(st, me, b.client[0], &ids, &n);
    assert_no_ids(rc, ids, n);
    {
        /* the sessions list, asked for their client, their group or their clinician: nothing, counted 0 */
        struct psy_session_filter sf[] = {{.client = b.client[0]}, {.group = b.group}, {.clinician = b.clin}};
        for (size_t k = 0; k < sizeof sf / sizeof sf[0]; k++) {
            struct psy_page pg = {.limit = 50};
            struct psy_session_row *rows = NULL;
            size_t nr = 99;
            assert_int_equal(psy_records_session_page(st, me, &sf[k], &pg, &rows, &nr), PSY_OK);
            assert_int_equal(nr, 0);
            assert_int_equal(pg.total, 0);
            free(rows);
        }
    }
    {
        struct psy_note *earlier = NULL;
        size_t ne = 99;
        assert_int_equal(psy_records_client_notes_before(st, me, b.client[0], "9999-12-31", 0, 10, &earlier, &ne), PSY_OK);
        assert_int_equal(ne, 0);
        free(earlier);
    }

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
    NOT_THEIRS(st, psy_records_client_dx_add(st, me, b.client[1], c.version, "F32.1", 0));
    NOT_THEIRS(st, psy_records_client_dx_remove(st, me, b.client[1], c.version, "F41.1"));
    NOT_THEIRS(st, psy_records_client_dx_move(st, me, b.client[1], c.version, "F41.1", 1));
    assert_int_equal(psy_records_policy_get(st, b.pr, t.policy, &pol), PSY_OK);
    pol.copay_cents = 100;
    NOT_THEIRS(st, psy_records_policy_update(st, me, &pol));
    assert_int_equal(psy_records_auth_get(st, b.pr, b.auth[2], &au), PSY_OK);
    au.units_prior = 1;
    NOT_THEIRS(st, psy_records_auth_update(st, me, &au));
    assert_int_equal(psy_records_group_get(st, b.pr, b.group, &g), PSY_OK);
    g.capacity = 9;
    NOT_THEIRS(st, psy_records_group_update(st, me, &g));
    assert_int_equal(psy_records_clinician_get(st, me, a.co, &cl), PSY_OK);
    cl.supervisor_id = b.clin; /* my clinician supervised by theirs */
    NOT_THEIRS(st, psy_records_clinician_update(st, me, &cl));
    assert_int_equal(psy_records_session_get(st, b.pr, t.session, &s), PSY_OK);
    s.minutes = 45;
    NOT_THEIRS(st, psy_records_session_update(st, me, &s));
    NOT_THEIRS(st, psy_records_session_sign(st, me, t.session, a.clin));
    NOT_THEIRS(st, psy_records_session_sign(st, me, t.session, b.clin));
    NOT_THEIRS(st, psy_records_session_sign_override(st, me, t.session, b.clin, "signed over the errors on purpose"));
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

    /* the client ledger: their client's entries, payments, reversals, fee and statement */
    {
        struct psy_ledger_entry *le = NULL;
        size_t nle = 0;
        NOT_THEIRS(st, psy_ledger_entries(st, me, b.client[0], NULL, &le, &nle, NULL));
        free(le);
        NOT_THEIRS(st, psy_ledger_record(st, me, &lw, &their_entry, NULL, lerr, sizeof lerr)); /* their key, my practice */
        lw.idempotency_key = NULL;
        NOT_THEIRS(st, psy_ledger_record(st, me, &lw, &their_entry, NULL, lerr, sizeof lerr));
        NOT_THEIRS(st, psy_ledger_reverse(st, me, their_entry, "not mine", NULL, "x", NULL, lerr, sizeof lerr));
        NOT_THEIRS(st, psy_ledger_fee_set(st, me, b.client[0], 9000));
        char *pdf = NULL;
        size_t plen;
        NOT_THEIRS(st, psy_ledger_statement(st, me, b.client[0], "2024-03", &pdf, &plen, lerr, sizeof lerr));
        free(pdf);
        struct psy_ledger_balance *bal;
        size_t nbal;
        assert_int_equal(psy_ledger_balances(st, me, NULL, &bal, &nbal), PSY_OK);
        for (size_t i = 0; i < nbal; i++) assert_int_not_equal(bal[i].client_id, b.client[0]);
        free(bal);
    }

    /* a CSV import: their payers are not found, their clients are not duplicates of mine, and the good
     * row lands in my practice only */
    {
        struct psy_client theirs;
        assert_int_equal(psy_records_client_get(st, b.pr, sole_id, &theirs), PSY_OK);
        char csv[512];
        snprintf(csv, sizeof csv,
                 "first_name,last_name,birth_date,sex,payer_id,member_id,policy_start\n"
                 "%s,%s,%s,%s,,,\n"
                 "Rowan,Tenancytest,1980-01-01,F,ONLYB1,T-1,2025-01-01\n",
                 theirs.first_name, theirs.last_name, theirs.birth_date, theirs.sex);
        struct psy_import_report r;
        long mine = fx_db_count(&a.db, "SELECT COUNT(*) FROM client");
        assert_int_equal(psy_records_import_clients(st, me, csv, strlen(csv), PSY_IMPORT_SKIP_BAD, &r), PSY_OK);
        assert_int_equal(r.good, 1);
        assert_int_equal(r.refused, 1);
        assert_int_equal(r.n_problems, 1);
        assert_int_equal(r.problems[0].row, 3);
        assert_string_equal(r.problems[0].column, "payer_id");
        assert_int_equal(r.clients, 1);
        psy_import_report_clear(&r);
        assert_int_equal(fx_db_count(&a.db, "SELECT COUNT(*) FROM client"), mine + 1);
        psy_id imported;
        assert_int_equal(psy_records_client_find(st, me, theirs.first_name, theirs.last_name, theirs.birth_date,
                                                 &imported), PSY_OK);
        assert_int_not_equal(imported, sole_id);
        assert_int_equal(psy_records_client_get(st, me, imported, &c), PSY_OK);
        NOT_THEIRS(st, psy_records_client_get(st, b.pr, imported, &c));
    }

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
    /* their claim corrected or voided with my id: not found; their claims are not in my timely report */
    psy_id made = 0;
    char rerr[300];
    assert_int_equal(psy_billing_claim_replace(a.st, a.pr, t.claim, 7, &made, rerr, sizeof rerr), PSY_ENOTFOUND);
    assert_int_equal(psy_billing_claim_replace(a.st, a.pr, t.claim, 8, &made, rerr, sizeof rerr), PSY_ENOTFOUND);
    assert_int_equal(made, 0);
    struct psy_billing_timely *tl;
    size_t ntl;
    assert_int_equal(psy_billing_timely(a.st, a.pr, -1, "2024-03-20", &tl, &ntl), PSY_OK);
    assert_int_equal(ntl, 0);
    free(tl);
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
    {
        struct psy_page pg = {.limit = 50};
        assert_int_equal(psy_billing_batch_page(a.st, a.pr, NULL, &pg, &bl, &nbl), PSY_OK);
        assert_int_equal(nbl, 0);
        assert_int_equal(pg.total, 0);
        free(bl);
    }
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

    /* the audit trail: each practice's admin sees its own events, and a failed sign-in that named no
     * practice without the name typed */
    struct psy_user ua = {.id = 0, .practice_id = a.pr}, ub = {.id = 0, .practice_id = b.pr};
    snprintf(ua.username, sizeof ua.username, "mine");
    snprintf(ub.username, sizeof ub.username, "theirs");
    assert_int_equal(psy_auth_audit_outcome(a.st, &ua, "client.read", "client", "1", "ok", "", "127.0.0.1"), PSY_OK);
    assert_int_equal(psy_auth_audit_outcome(a.st, &ub, "access.refused", "route", "GET /api/clients/:id", "not_found",
                                            "id=1", "127.0.0.1"), PSY_OK);
    struct psy_audit_event *ev;
    size_t ne;
    long long total;
    struct psy_audit_filter any = {0};
    assert_int_equal(psy_auth_audit_query(a.st, a.pr, &any, 0, 500, &ev, &ne, &total), PSY_OK);
    assert_true(ne >= 1);
    for (size_t i = 0; i < ne; i++) {
        assert_true(ev[i].practice_id == a.pr || ev[i].practice_id == 0);
        assert_string_not_equal(ev[i].username, "theirs");
        if (!ev[i].practice_id) assert_string_equal(ev[i].username, "");
    }
    free(ev);
    struct psy_audit_filter by_name = {.username = "theirs"};
    assert_int_equal(psy_auth_audit_query(a.st, a.pr, &by_name, 0, 500, &ev, &ne, &total), PSY_OK);
    assert_int_equal(total, 0);
    free(ev);
    assert_int_equal(psy_auth_audit_query(a.st, b.pr, &by_name, 0, 500, &ev, &ne, &total), PSY_OK);
    assert_int_equal(total, 1);
    assert_string_equal(ev[0].outcome, "not_found");
    free(ev);
    fx_close(&a);
}

/* --- over HTTP ------------------------------------------------------------------------------------- */

#define PW "tenancy test password"

struct web {
    char base[64], cookie[300], csrf[160];
};

static size_t web_keep(char *p, size_t size, size_t n, void *ud)
{
    size_t len = size * n;
    fwrite(p, 1, len, ud);
    return len;
}

/* One request; its status, and the answer's JSON in *out (may be NULL) when it has one. */
static long web_call(const struct web *w, const char *method, const char *path, const char *body, json_t **out,
                     char *head, size_t headlen)
{
    char url[256], *text = NULL, *hd = NULL;
    size_t len = 0, hlen = 0;
    snprintf(url, sizeof url, "%s%s", w->base, path);
    CURL *c = curl_easy_init();
    struct curl_slist *hl = curl_slist_append(NULL, "Content-Type: application/json");
    if (*w->cookie) hl = curl_slist_append(hl, w->cookie);
    if (*w->csrf) hl = curl_slist_append(hl, w->csrf);
    FILE *mem = open_memstream(&text, &len), *hmem = open_memstream(&hd, &hlen);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, web_keep);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, web_keep);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, hmem);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    fclose(mem);
    fclose(hmem);
    if (out) *out = text ? json_loads(text, 0, NULL) : NULL;
    if (head) snprintf(head, headlen, "%s", hd ? hd : "");
    free(text);
    free(hd);
    return status;
}

static void web_sign_in(struct web *w, const char *user)
{
    char body[160], head[2048];
    json_t *j;
    snprintf(body, sizeof body, "{\"username\": \"%s\", \"password\": \"" PW "\"}", user);
    assert_int_equal(web_call(w, "POST", "/api/login", body, &j, head, sizeof head), 200);
    const char *sc = strstr(head, "Set-Cookie: ");
    assert_non_null(sc);
    sc += 12;
    snprintf(w->cookie, sizeof w->cookie, "Cookie: %.*s", (int)strcspn(sc, ";\r\n"), sc);
    snprintf(w->csrf, sizeof w->csrf, "X-CSRF-Token: %s", json_string_value(json_object_get(j, "csrf_token")));
    json_decref(j);
}

static void add_admin(psy_store *st, const struct psy_auth_policy *fast, psy_id practice, const char *name)
{
    struct psy_user u = {.practice_id = practice, .role = PSY_ROLE_ADMIN, .active = 1};
    snprintf(u.username, sizeof u.username, "%s", name);
    assert_int_equal(psy_auth_user_add(st, fast, &u, PW, NULL), PSY_OK);
}

/* The second practice's admin, signed in, aims every record form route at the first practice's
 * records: 404 each time, and nothing of the first practice changes. The same calls on its own
 * records succeed, so the 404s are the tenancy's and not a broken route's. */
static void test_http_isolation(void **state)
{
    struct fx a, b;
    fx_open_on(&a, FX_SERVER(state));
    fx_build(&b, a.st);
    struct psy_auth_policy fast;
    psy_auth_policy_init(&fast);
    fast.pwhash_opslimit = 1;
    fast.pwhash_memlimit = 8192 * 1024;
    add_admin(a.st, &fast, a.pr, "boss_a");
    add_admin(a.st, &fast, b.pr, "boss_b");
    psy_id *ids;
    size_t n;
    psy_id pol[2];
    struct fx *both[2] = {&a, &b};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(psy_records_client_policies(a.st, both[k]->pr, both[k]->client[0], &ids, &n), PSY_OK);
        assert_true(n >= 1);
        pol[k] = ids[0];
        free(ids);
    }
    struct psy_server_config cfg = {.db_uri = a.db.uri, .listen = "127.0.0.1:0", .threads = 2, .max_body = 65536,
                                    .policy = &fast};
    psy_server *srv;
    char err[512];
    if (psy_server_start(&cfg, &srv, err, sizeof err)) fail_msg("server: %s", err);
    struct web w = {0};
    snprintf(w.base, sizeof w.base, "http://127.0.0.1:%u", psy_server_port(srv));
    web_sign_in(&w, "boss_b");
    struct psy_ledger_write lw = {.kind = "payment", .client = a.client[0], .amount_cents = 1000, .method = "card"};
    psy_id a_entry;
    char lerr[300];
    assert_int_equal(psy_ledger_record(a.st, a.pr, &lw, &a_entry, NULL, lerr, sizeof lerr), PSY_OK);
    long before = fingerprint(&a.db, a.pr);

    /* {method, path before the id, my id (practice b), theirs (practice a), body} */
    struct {
        const char *method, *prefix;
        psy_id mine, theirs;
        const char *body;
        long own; /* the answer on its own record: 200 (409 for its signed plans, which no longer change) */
    } calls[] = {
        {"PUT", "/api/clinicians/", b.clin, a.clin, "{\"version\": 1, \"credential\": \"LMFT\"}", 200},
        {"PUT", "/api/payer-records/", b.commercial, a.commercial, "{\"version\": 1, \"name\": \"Renamed\"}", 200},
        {"GET", "/api/clients/", b.client[0], a.client[0], NULL, 200},
        {"PUT", "/api/clients/", b.client[0], a.client[0], "{\"version\": 1, \"last_name\": \"Renamed\"}", 200},
        {"GET", "/api/policies/", pol[1], pol[0], NULL, 200},
        {"PUT", "/api/policies/", pol[1], pol[0], "{\"version\": 1, \"group_number\": \"G9\"}", 200},
        {"GET", "/api/authorisations/", b.auth[2], a.auth[2], NULL, 200},
        {"PUT", "/api/authorisations/", b.auth[2], a.auth[2], "{\"version\": 1, \"number\": \"R9\"}", 200},
        {"GET", "/api/plans/", b.plan[0], a.plan[0], NULL, 200},
        {"PUT", "/api/plans/", b.plan[0], a.plan[0], "{\"version\": 1, \"frequency\": \"daily\"}", 409},
        {"GET", "/api/groups/", b.group, a.group, NULL, 200},
        {"PUT", "/api/groups/", b.group, a.group, "{\"version\": 1, \"schedule\": \"Fridays\"}", 200},
    };
    char path[96];
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        json_t *j;
        snprintf(path, sizeof path, "%s%lld", calls[i].prefix, (long long)calls[i].theirs);
        long st = web_call(&w, calls[i].method, path, calls[i].body, &j, NULL, 0);
        if (st != 404) fail_msg("%s %s (practice 1's) as practice 2's admin: %ld", calls[i].method, path, st);
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "code")), "not_found");
        json_decref(j);
        snprintf(path, sizeof path, "%s%lld", calls[i].prefix, (long long)calls[i].mine);
        st = web_call(&w, calls[i].method, path, calls[i].body, NULL, NULL, 0);
        if (st != calls[i].own) fail_msg("%s %s (its own) as practice 2's admin: %ld", calls[i].method, path, st);
    }
    /* adding to the first practice's client: a policy (with the admin's own payer), an authorisation, a plan */
    const char *adds[][2] = {
        {"policies", "\"member_id\": \"ZZ1\", \"start_date\": \"2025-01-01\"}"},
        {"authorisations", "\"number\": \"A1\", \"units_approved\": 4, \"start_date\": \"2025-01-01\","
                           " \"end_date\": \"2025-12-31\", \"codes\": [\"90837\"]}"},
    };
    for (size_t i = 0; i < sizeof adds / sizeof adds[0]; i++) {
        char body[400];
        snprintf(path, sizeof path, "/api/clients/%lld/%s", (long long)a.client[0], adds[i][0]);
        snprintf(body, sizeof body, "{\"payer_id\": %lld, %s", (long long)b.commercial, adds[i][1]);
        assert_int_equal(web_call(&w, "POST", path, body, NULL, NULL, 0), 404);
    }
    snprintf(path, sizeof path, "/api/clients/%lld/plans", (long long)a.client[0]);
    assert_int_equal(web_call(&w, "POST", path, "{}", NULL, NULL, 0), 404);
    snprintf(path, sizeof path, "/api/groups/%lld/roster", (long long)a.group);
    char body[100];
    snprintf(body, sizeof body, "{\"client_id\": %lld, \"joined\": \"2025-01-06\"}", (long long)b.client[1]);
    assert_int_equal(web_call(&w, "POST", path, body, NULL, NULL, 0), 404);
    snprintf(path, sizeof path, "/api/plans/%lld/sign", (long long)a.plan[0]);
    assert_int_equal(web_call(&w, "POST", path, "{\"who\": \"client\"}", NULL, NULL, 0), 404);
    /* eligibility: the first practice's client is not found; a 271 naming its policy by our trace
     * matches nothing of the second practice and keeps nothing */
    snprintf(path, sizeof path, "/api/clients/%lld/eligibility", (long long)a.client[0]);
    assert_int_equal(web_call(&w, "GET", path, NULL, NULL, NULL, 0), 404);
    snprintf(path, sizeof path, "/api/clients/%lld/eligibility/request", (long long)a.client[0]);
    assert_int_equal(web_call(&w, "POST", path, "{\"date\": \"2025-03-05\"}", NULL, NULL, 0), 404);
    snprintf(path, sizeof path, "/api/clients/%lld/eligibility/request", (long long)b.client[0]);
    assert_int_equal(web_call(&w, "POST", path, "{\"date\": \"2025-03-05\"}", NULL, NULL, 0), 200);
    {
        FILE *f = fopen(PSY_SOURCE_DIR "/tests/data/x12/271-mh-benefits.x12", "rb");
        assert_non_null(f);
        char x271[4096], trace[64], *at;
        size_t n271 = fread(x271, 1, sizeof x271 - 80, f);
        fclose(f);
        x271[n271] = 0;
        /* our trace for the first practice's policy: same length is not needed, the SE count is */
        snprintf(trace, sizeof trace, "P%lldC%lldD20240305", (long long)pol[0], (long long)a.client[0]);
        while ((at = strstr(x271, "P7C3D20240305"))) {
            memmove(at + strlen(trace), at + 13, strlen(at + 13) + 1);
            memcpy(at, trace, strlen(trace));
        }
        json_t *j;
        assert_int_equal(web_call(&w, "POST", "/api/eligibility/post", x271, &j, NULL, 0), 200);
        assert_int_equal(json_integer_value(json_object_get(j, "unmatched")), 1);
        assert_int_equal(json_integer_value(json_object_get(j, "stored")), 0);
        json_decref(j);
        assert_int_equal(fx_db_count(&a.db, "SELECT COUNT(*) FROM eligibility_check"), 0);
    }
    /* the client ledger of the first practice's client: not found, and its entry cannot be reversed */
    snprintf(path, sizeof path, "/api/clients/%lld/ledger", (long long)a.client[0]);
    assert_int_equal(web_call(&w, "GET", path, NULL, NULL, NULL, 0), 404);
    assert_int_equal(web_call(&w, "POST", path, "{\"kind\": \"payment\", \"amount\": \"5\", \"method\": \"cash\"}",
                              NULL, NULL, 0), 404);
    snprintf(path, sizeof path, "/api/clients/%lld/statement?month=2024-03", (long long)a.client[0]);
    assert_int_equal(web_call(&w, "GET", path, NULL, NULL, NULL, 0), 404);
    snprintf(path, sizeof path, "/api/ledger/%lld/reverse", (long long)a_entry);
    assert_int_equal(web_call(&w, "POST", path, "{\"reason\": \"not mine\"}", NULL, NULL, 0), 404);
    snprintf(path, sizeof path, "/api/clients/%lld/fee", (long long)a.client[0]);
    assert_int_equal(web_call(&w, "PUT", path, "{\"amount\": \"90.00\"}", NULL, NULL, 0), 404);
    long long a_fee = -1;
    assert_int_equal(psy_ledger_fee_get(a.st, a.pr, a.client[0], &a_fee), PSY_OK);
    assert_int_equal(a_fee, 0);
    snprintf(path, sizeof path, "/api/clients/%lld/ledger", (long long)b.client[0]);
    assert_int_equal(web_call(&w, "GET", path, NULL, NULL, NULL, 0), 200);
    /* a reason of its own stays its own */
    assert_int_equal(web_call(&w, "POST", "/api/ledger/reasons", "{\"code\": \"b-only\", \"words\": \"Theirs\"}",
                              NULL, NULL, 0), 200);
    {
        struct psy_ledger_reason *rs;
        size_t nr;
        assert_int_equal(psy_ledger_reasons(a.st, a.pr, &rs, &nr), PSY_OK);
        for (size_t k = 0; k < nr; k++) assert_string_not_equal(rs[k].code, "b-only");
        free(rs);
        assert_int_equal(psy_ledger_reasons(a.st, b.pr, &rs, &nr), PSY_OK);
        size_t k = 0;
        while (k < nr && strcmp(rs[k].code, "b-only")) k++;
        assert_true(k < nr);
        free(rs);
    }
    assert_int_equal(fingerprint(&a.db, a.pr), before);
    /* its own client takes a policy */
    snprintf(path, sizeof path, "/api/clients/%lld/policies", (long long)b.client[1]);
    snprintf(body, sizeof body, "{\"payer_id\": %lld, \"member_id\": \"ZZ1\", \"start_date\": \"2025-01-01\", \"priority\": 2}",
             (long long)b.commercial);
    assert_int_equal(web_call(&w, "POST", path, body, NULL, NULL, 0), 201);
    psy_server_stop(srv);
    fx_close(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_records_isolation, NULL),
        cmocka_unit_test_prestate(test_audit_and_claims_isolation, NULL),
        cmocka_unit_test_prestate(test_http_isolation, NULL),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int failed = fx_run_on_both("test_tenancy", tests, sizeof tests / sizeof tests[0]);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
