/* test_scrub_day.c -- claims judged by the client's whole date of service (R-DAY-1) and the audit's
 * impossible days (R-IMP-1..3), and the end-to-end practice of tests/data/claims/practice.json: a case
 * per rule of issue 17 that breaks it once, whose claim `claims build` leaves in draft with a finding
 * naming the rule and which the audit reports exactly once (a clean case: ready, and no finding of
 * those rules). Each case of
 * tests/data/claims/day.json is a day of sessions by one clinician for one client, recorded in the demo
 * practice on a date of its own, built with `claims build` for that date; the claim must end in the
 * status the case gives with the findings it names (rule, severity, the codes in the message). The
 * whole practice is built first: a clean practice gets no day finding. Runs on SQLite and PostgreSQL. */
#include "support.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backends.h"

#define CASES PSY_SOURCE_DIR "/tests/data/claims/day.json"
#define PRACTICE_CASES PSY_SOURCE_DIR "/tests/data/claims/practice.json"

struct world {
    psy_store *st;
    struct test_db db;
    psy_coder *cx;
    psy_id pr;
    struct psy_session group;  /* a signed demo group session: the template of every case's sessions */
    psy_id client;             /* a present member of it with a policy: the case's client */
    psy_id other;              /* another present member: "client": "other" in a case */
    psy_id colleague;          /* a second clinician of the template clinician's specialty (taxonomy) */
    psy_id prescriber;         /* a psychiatrist (MD): the clinician of the cases with an E/M code */
    struct psy_note *notes;    /* the template's notes */
    size_t n_notes;
    struct psy_attendance *at; /* the template's attendance */
    size_t n_at;
};
static struct world W;

static void close_world(void)
{
    if (!W.st) return;
    for (size_t i = 0; i < W.n_notes; i++) psy_note_clear(&W.notes[i]);
    free(W.notes);
    free(W.at);
    psy_coding_close(W.cx);
    psy_store_close(W.st);
    test_db_drop(&W.db);
    memset(&W, 0, sizeof W);
}

static int teardown(void **state)
{
    (void)state;
    close_world();
    return 0;
}

static void world_up(void **state)
{
    close_world();
    test_db_make(*state, &W.db);
    W.st = test_db_open(&W.db, 1);
    struct psy_demo_opts o = {.seed = 11, .end_date = "2026-03-31", .weeks = 3, .clients = 16, .groups = 1, .clean = 1};
    struct psy_demo_result r;
    assert_int_equal(psy_records_demo(W.st, &o, &r), PSY_OK);
    free(r.problems);
    W.pr = r.practice_id;
    /* what the 837P needs that the demo leaves out (as test_billing) */
    struct psy_practice p;
    assert_int_equal(psy_records_practice_get(W.st, W.pr, &p), PSY_OK);
    memcpy(p.zip + 5, "4321", 5);
    assert_int_equal(psy_records_practice_update(W.st, &p), PSY_OK);
    struct psy_client *cs;
    size_t nc;
    assert_int_equal(psy_records_client_list(W.st, W.pr, &cs, &nc), PSY_OK);
    for (size_t i = 0; i < nc; i++) {
        snprintf(cs[i].address, sizeof cs[i].address, "%zu Juniper Row", 10 + i);
        snprintf(cs[i].city, sizeof cs[i].city, "Millbrook");
        snprintf(cs[i].state, sizeof cs[i].state, "IL");
        snprintf(cs[i].zip, sizeof cs[i].zip, "62901");
        assert_int_equal(psy_records_client_update(W.st, W.pr, &cs[i]), PSY_OK);
    }
    free(cs);
    assert_int_equal(psy_billing_set_contact(W.st, W.pr, "5555550100"), PSY_OK);
    char err[300];
    assert_int_equal(psy_coding_open(W.st, &W.cx, err, sizeof err), PSY_OK);
    /* the template: the latest signed group session with times */
    struct psy_session *ss;
    size_t n;
    assert_int_equal(psy_records_session_list(W.st, W.pr, "", "", &ss, &n), PSY_OK);
    for (size_t i = n; i-- > 0 && !W.group.id;)
        if (!strcmp(ss[i].kind, "group") && ss[i].signed_at[0] && ss[i].start_utc[0] && ss[i].stop_utc[0]) W.group = ss[i];
    free(ss);
    assert_true(W.group.id > 0);
    assert_int_equal(psy_records_attendance_list(W.st, W.pr, W.group.id, &W.at, &W.n_at), PSY_OK);
    assert_int_equal(psy_records_note_list(W.st, W.pr, W.group.id, &W.notes, &W.n_notes), PSY_OK);
    struct psy_billable *b;
    size_t nb;
    assert_int_equal(psy_records_session_billables(W.st, W.pr, W.group.id, &b, &nb), PSY_OK);
    for (size_t i = 0; i < nb && !W.other; i++)
        if (b[i].policy_id && !W.client) W.client = b[i].client_id;
        else if (b[i].policy_id) W.other = b[i].client_id;
    free(b);
    assert_true(W.client > 0);
    assert_true(W.other > 0);
    struct psy_clinician lead, col;
    assert_int_equal(psy_records_clinician_get(W.st, W.pr, W.group.clinician_id, &lead), PSY_OK);
    memset(&col, 0, sizeof col);
    snprintf(col.first_name, sizeof col.first_name, "Ines");
    snprintf(col.last_name, sizeof col.last_name, "Colleague");
    snprintf(col.npi, sizeof col.npi, "1234567893"); /* a valid check digit */
    memcpy(col.taxonomy, lead.taxonomy, sizeof col.taxonomy);
    memcpy(col.credential, lead.credential, sizeof col.credential);
    if (psy_records_clinician_add(W.st, W.pr, &col, &W.colleague))
        fail_msg("colleague: %s", psy_store_errmsg(W.st));
    snprintf(col.first_name, sizeof col.first_name, "Rafael");
    snprintf(col.last_name, sizeof col.last_name, "Prescriber");
    snprintf(col.npi, sizeof col.npi, "1245319599"); /* the UHIN sample NPI, a valid check digit */
    snprintf(col.taxonomy, sizeof col.taxonomy, "2084P0800X"); /* psychiatry */
    snprintf(col.credential, sizeof col.credential, "MD");
    if (psy_records_clinician_add(W.st, W.pr, &col, &W.prescriber))
        fail_msg("prescriber: %s", psy_store_errmsg(W.st));
}

static void date_add(const char *date, int days, char out[PSY_DATE_MAX])
{
    char t[PSY_DATE_TEXT_MAX];
    assert_true(psy_date_add(date, days, t));
    snprintf(out, PSY_DATE_MAX, "%s", t);
}

static const struct psy_note *template_note(psy_id client)
{
    for (size_t i = 0; i < W.n_notes; i++)
        if (W.notes[i].client_id == client) return &W.notes[i];
    return NULL;
}

static void save_signed_note(const struct psy_note *from, psy_id session, psy_id client, const char *kind,
                             const char *add, psy_id clinician)
{
    struct psy_note x = *from;
    char *plan = NULL;
    x.id = 0;
    x.version = 0;
    x.session_id = session;
    x.client_id = client;
    snprintf(x.kind, sizeof x.kind, "%s", kind);
    if (!strcmp(kind, "individual")) {
        x.techniques = template_note(0)->techniques;
        x.participation = (char *)"";
    }
    if (add) { /* the case's words, after the template's */
        plan = malloc(strlen(x.plan) + strlen(add) + 2);
        sprintf(plan, "%s %s", x.plan, add);
        x.plan = plan;
    }
    x.author_id = clinician;
    psy_id nid;
    if (psy_records_note_save(W.st, W.pr, &x, &nid)) fail_msg("note %s: %s", kind, psy_store_errmsg(W.st));
    assert_int_equal(psy_records_note_sign(W.st, W.pr, nid, clinician), PSY_OK);
    free(plan);
}

/* The session's options a case may give (tests/data/claims/practice.json): its clinician ("colleague" or
 * "prescriber"),
 * text the note adds, interactive complexity (a member's own with "member_complexity"), family without
 * the patient, telehealth and the patient's location, the place of service, an E/M code. */
static void session_options(json_t *js, struct psy_session *s)
{
    json_t *v;
    if (json_is_string(v = json_object_get(js, "clinician")))
        s->clinician_id = !strcmp(json_string_value(v), "colleague") ? W.colleague : W.prescriber;
    s->interactive_complexity = json_is_true(json_object_get(js, "interactive_complexity"));
    s->patient_absent = json_is_true(json_object_get(js, "patient_absent"));
    if (json_is_string(v = json_object_get(js, "telehealth"))) {
        s->telehealth = 1;
        snprintf(s->th_modality, sizeof s->th_modality, "%s", json_string_value(v));
        snprintf(s->patient_location, sizeof s->patient_location, "%s",
                 json_string_value(json_object_get(js, "location")) ? json_string_value(json_object_get(js, "location"))
                                                                     : "home");
        snprintf(s->pos, sizeof s->pos, "%s", !strcmp(s->patient_location, "home") ? "10" : "02");
    } else if (!json_object_get(js, "kind") || strcmp(json_string_value(json_object_get(js, "kind")), "group")) {
        s->telehealth = 0;
        s->th_modality[0] = s->patient_location[0] = 0;
    }
    if (json_is_string(v = json_object_get(js, "pos"))) snprintf(s->pos, sizeof s->pos, "%s", json_string_value(v));
    if (json_is_string(v = json_object_get(js, "em_code"))) snprintf(s->em_code, sizeof s->em_code, "%s", json_string_value(v));
}

/* Records one session of a case on date, by the template group's clinician, and signs it. */
static psy_id add_session(json_t *js, const char *date, int *groups_that_day)
{
    const char *kind = json_string_value(json_object_get(js, "kind"));
    struct psy_session s = W.group;
    s.id = 0;
    s.version = 0;
    s.signed_at[0] = s.sign_override[0] = s.billed_code[0] = 0;
    s.minutes = 0;
    snprintf(s.service_date, sizeof s.service_date, "%s", date);
    snprintf(s.start_utc, sizeof s.start_utc, "%sT%s:00Z", date, json_string_value(json_object_get(js, "start")));
    snprintf(s.stop_utc, sizeof s.stop_utc, "%sT%s:00Z", date, json_string_value(json_object_get(js, "stop")));
    int group = !strcmp(kind, "group");
    snprintf(s.kind, sizeof s.kind, "%s", kind);
    if (group) {
        s.distinct_session = (*groups_that_day)++ > 0;
    } else {
        s.group_id = 0;
        s.client_id = json_object_get(js, "client") ? W.other : W.client;
        s.distinct_session = 0;
        s.telehealth = 0;
        s.th_modality[0] = s.patient_location[0] = 0;
        snprintf(s.pos, sizeof s.pos, "11");
    }
    session_options(js, &s);
    psy_id sid;
    psy_status rc = psy_records_session_add(W.st, W.pr, &s, &sid);
    if (rc) fail_msg("session %s on %s: %s", kind, date, psy_store_errmsg(W.st));
    if (group) {
        for (size_t i = 0; i < W.n_at; i++) {
            struct psy_attendance x = {.session_id = sid, .client_id = W.at[i].client_id, .present = W.at[i].present};
            x.interactive_complexity = x.present && W.at[i].client_id == W.client &&
                                       json_is_true(json_object_get(js, "member_complexity"));
            assert_int_equal(psy_records_attendance_set(W.st, W.pr, &x, NULL), PSY_OK);
        }
        for (size_t i = 0; i < W.n_notes; i++)
            save_signed_note(&W.notes[i], sid, W.notes[i].client_id, W.notes[i].kind,
                             W.notes[i].client_id == W.client ? json_string_value(json_object_get(js, "note")) : NULL,
                             s.clinician_id);
    } else {
        const struct psy_note *t = template_note(s.client_id);
        assert_non_null(t);
        save_signed_note(t, sid, s.client_id, "individual", json_string_value(json_object_get(js, "note")),
                         s.clinician_id);
    }
    rc = psy_records_session_sign(W.st, W.pr, sid, s.clinician_id);
    if (rc) rc = psy_records_session_sign_override(W.st, W.pr, sid, s.clinician_id,
                                                   "signed for the day-check test case");
    if (rc) fail_msg("sign %s on %s: %s", kind, date, psy_store_errmsg(W.st));
    return sid;
}

/* The client's claim findings on date (a JSON array, caller decrefs) and its status. */
static json_t *claim_of(const char *date, char status[16])
{
    struct psy_billing_claim *c;
    size_t n;
    assert_int_equal(psy_billing_claim_list(W.st, W.pr, NULL, &c, &n), PSY_OK);
    json_t *found = NULL;
    int count = 0;
    for (size_t i = 0; i < n; i++)
        if (c[i].client_id == W.client && !strcmp(c[i].service_date, date)) {
            count++;
            snprintf(status, 16, "%s", c[i].status);
            found = json_loads(c[i].findings, 0, NULL);
        }
    psy_billing_claims_free(c, n);
    assert_int_equal(count, 1); /* one client, one payer, one clinician, one date: one claim */
    assert_non_null(found);
    return found;
}

static int has_finding(json_t *arr, json_t *want)
{
    const char *rule = json_string_value(json_object_get(want, "rule"));
    const char *sev = json_string_value(json_object_get(want, "severity"));
    size_t i, k;
    json_t *v, *code;
    json_array_foreach(arr, i, v) {
        const char *msg = json_string_value(json_object_get(v, "message"));
        if (strcmp(json_string_value(json_object_get(v, "rule")), rule) ||
            strcmp(json_string_value(json_object_get(v, "severity")), sev))
            continue;
        int all = 1;
        json_array_foreach(json_object_get(want, "codes"), k, code) all &= strstr(msg, json_string_value(code)) != NULL;
        if (all) return 1;
    }
    return 0;
}

/* The rules of tests/data/claims/practice.json: none of them fires on the clean demo practice. */
static const char *const practice_rules[] = {"R-PLAN-2", "R-PLAN-3", "R-CRED-3", "R-DOC-IC", "R-DOC-FAM",
                                             "R-DOC-CRISIS", "R-DOC-AUDIO", "R-TH-4", "R-DAY-2", "R-CODE-6",
                                             "R-CODE-2", "R-TH-7", NULL};

static int count_rule(const struct psy_audit_finding *v, size_t n, const char *rule)
{
    int k = 0;
    for (size_t i = 0; i < n; i++) k += !strcmp(v[i].rule, rule);
    return k;
}

static void test_clean_practice(void **state)
{
    world_up(state);
    struct psy_billing_build_result r;
    assert_int_equal(psy_billing_build(W.st, W.cx, W.pr, "", "", &r), PSY_OK);
    assert_true(r.claims_new > 0);
    /* the demo's clean practice breaks no same-day edit: no finding of the day check */
    assert_int_equal(test_db_count(&W.db, "SELECT count(*) FROM claim WHERE findings LIKE '%\"source\":\"day\"%'"), 0);
    /* nor an impossible day (R-IMP-*) */
    assert_int_equal(test_db_count(&W.db, "SELECT count(*) FROM claim WHERE findings LIKE '%R-IMP-%'"), 0);
    /* nor any rule of the end-to-end practice, on a claim or in the audit */
    struct psy_audit_finding *af;
    size_t naf;
    assert_int_equal(psy_audit_collect(W.st, W.pr, NULL, &af, &naf), PSY_OK);
    for (const char *const *rule = practice_rules; *rule; rule++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM claim WHERE findings LIKE '%%\"%s\"%%'", *rule);
        if (test_db_count(&W.db, sql) || count_rule(af, naf, *rule))
            fail_msg("the clean practice has a %s finding", *rule);
    }
    free(af);
}

static void test_cases(void **state)
{
    (void)state;
    json_error_t je;
    json_t *doc = json_load_file(CASES, 0, &je);
    if (!doc) fail_msg("%s: %s", CASES, je.text);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "cases"), i, c) {
        const char *name = json_string_value(json_object_get(c, "name"));
        assert_non_null(json_string_value(json_object_get(c, "rule")));
        assert_non_null(json_string_value(json_object_get(c, "source")));
        char date[PSY_DATE_MAX];
        snprintf(date, sizeof date, "2026-04-%02d", (int)(i % 28) + 1);
        int groups = 0;
        size_t k;
        json_t *js;
        json_array_foreach(json_object_get(c, "sessions"), k, js) (void)add_session(js, date, &groups);
        struct psy_billing_build_result r;
        assert_int_equal(psy_billing_build(W.st, W.cx, W.pr, date, date, &r), PSY_OK);
        char status[16];
        json_t *f = claim_of(date, status);
        json_t *expect = json_object_get(c, "expect");
        char *text = json_dumps(f, JSON_COMPACT);
        if (strcmp(status, json_string_value(json_object_get(expect, "status"))))
            fail_msg("%s: claim is %s, want %s; findings %s", name, status,
                     json_string_value(json_object_get(expect, "status")), text);
        json_t *want;
        json_array_foreach(json_object_get(expect, "findings"), k, want) if (!has_finding(f, want))
            fail_msg("%s: no %s finding naming the codes; findings %s", name,
                     json_string_value(json_object_get(want, "rule")), text);
        if (!json_array_size(json_object_get(expect, "findings")) && strstr(text, "\"source\":\"day\""))
            fail_msg("%s: a clean day got a day finding: %s", name, text);
        /* Scrub all again agrees with the build */
        long ready, draft;
        assert_int_equal(psy_billing_scrub_all(W.st, W.pr, &ready, &draft), PSY_OK);
        json_decref(f);
        f = claim_of(date, status);
        assert_string_equal(status, json_string_value(json_object_get(expect, "status")));
        free(text);
        json_decref(f);
    }
    json_decref(doc);
}

/* A claim of the client on date by a clinician: its status and findings (a JSON array, caller decrefs). */
static json_t *claim_by(const char *date, psy_id clinician, char status[16], psy_id *id)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT id FROM claim WHERE client_id = %lld AND service_date = '%s' AND clinician_id = %lld",
             (long long)W.client, date, (long long)clinician);
    *id = test_db_count(&W.db, sql);
    if (*id <= 0) fail_msg("no claim of the client on %s by clinician %lld", date, (long long)clinician);
    snprintf(sql, sizeof sql, "SELECT status FROM claim WHERE id = %lld", (long long)*id);
    char *t = test_db_text(&W.db, sql);
    snprintf(status, 16, "%s", t ? t : "");
    free(t);
    snprintf(sql, sizeof sql, "SELECT findings FROM claim WHERE id = %lld", (long long)*id);
    t = test_db_text(&W.db, sql);
    json_t *f = json_loads(t ? t : "[]", 0, NULL);
    free(t);
    assert_non_null(f);
    return f;
}

/* The same group meeting recorded again under another clinician, as records imported from elsewhere
 * can hold it (the records refuse it at entry): session, attendance and notes copied, signed. */
static void duplicate_group_session(psy_id sid, psy_id clinician)
{
    char sql[1200], msg[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO session (practice_id, kind, client_id, group_id, clinician_id, service_date, start_utc, "
             "stop_utc, minutes, place_of_service, telehealth, th_modality, patient_location, signed_at, signed_by, "
             "created_at, updated_at) SELECT practice_id, kind, client_id, group_id, %lld, service_date, start_utc, "
             "stop_utc, minutes, place_of_service, telehealth, th_modality, patient_location, signed_at, %lld, "
             "created_at, updated_at FROM session WHERE id = %lld",
             (long long)clinician, (long long)clinician, (long long)sid);
    if (test_db_exec(&W.db, sql, msg, sizeof msg)) fail_msg("copy session: %s", msg);
    long long copy = test_db_count(&W.db, "SELECT max(id) FROM session");
    snprintf(sql, sizeof sql,
             "INSERT INTO attendance (practice_id, session_id, client_id, present, created_at, updated_at) "
             "SELECT practice_id, %lld, client_id, present, created_at, updated_at FROM attendance WHERE session_id = %lld",
             copy, (long long)sid);
    if (test_db_exec(&W.db, sql, msg, sizeof msg)) fail_msg("copy attendance: %s", msg);
    snprintf(sql, sizeof sql,
             "INSERT INTO note (practice_id, session_id, client_id, kind, author_id, theme, techniques, dynamics, "
             "factors, participation, response, progress, plan, status, signed_at, signed_by, created_at, updated_at) "
             "SELECT practice_id, %lld, client_id, kind, %lld, theme, techniques, dynamics, factors, participation, "
             "response, progress, plan || ' (co-therapist)', status, signed_at, %lld, created_at, updated_at FROM note "
             "WHERE session_id = %lld",
             copy, (long long)clinician, (long long)clinician, (long long)sid);
    if (test_db_exec(&W.db, sql, msg, sizeof msg)) fail_msg("copy notes: %s", msg);
}

/* Case options that change the client's records for the case: the payer's billing profile, and a
 * treatment plan in force from the case's date (closed after it). Returns the plan's id (0: none). */
static psy_id case_records(json_t *c, const char *date, char old_profile[32], psy_id *payer)
{
    struct psy_policy pol;
    struct psy_payer py;
    if (json_is_string(json_object_get(c, "date"))) { /* an older date: the policy and the consent reach back */
        assert_int_equal(psy_records_policy_on(W.st, W.pr, W.client, "2026-05-04", 1, &pol), PSY_OK);
        if (strcmp(pol.start_date, date) > 0) {
            snprintf(pol.start_date, sizeof pol.start_date, "%s", date);
            assert_int_equal(psy_records_policy_update(W.st, W.pr, &pol), PSY_OK);
        }
        struct psy_client cl;
        assert_int_equal(psy_records_client_get(W.st, W.pr, W.client, &cl), PSY_OK);
        if (strcmp(cl.telehealth_consent_date, date) > 0) {
            date_add(date, -7, cl.telehealth_consent_date);
            assert_int_equal(psy_records_client_update(W.st, W.pr, &cl), PSY_OK);
        }
    }
    assert_int_equal(psy_records_policy_on(W.st, W.pr, W.client, date, 1, &pol), PSY_OK);
    assert_int_equal(psy_records_payer_get(W.st, W.pr, pol.payer_id, &py), PSY_OK);
    *payer = py.id;
    snprintf(old_profile, 32, "%s", py.profile);
    json_t *v = json_object_get(c, "profile");
    if (json_is_string(v)) {
        snprintf(py.profile, sizeof py.profile, "%s", json_string_value(v));
        assert_int_equal(psy_records_payer_update(W.st, W.pr, &py), PSY_OK);
    }
    json_t *jp = json_object_get(c, "plan");
    if (!jp) return 0;
    struct psy_plan p;
    memset(&p, 0, sizeof p);
    p.client_id = W.client;
    p.clinician_id = W.group.clinician_id;
    p.modalities = PSY_MOD_INDIVIDUAL | PSY_MOD_GROUP | PSY_MOD_FAMILY;
    snprintf(p.frequency, sizeof p.frequency, "%s", json_string_value(json_object_get(jp, "frequency")));
    p.session_minutes = 45;
    snprintf(p.start_date, sizeof p.start_date, "%s", date);
    date_add(date, 90, p.review_date);
    /* "dx": "client" -- the client's own diagnoses; "other" -- one the client does not have */
    struct psy_client cl;
    assert_int_equal(psy_records_client_get(W.st, W.pr, W.client, &cl), PSY_OK);
    const char *dx = json_string_value(json_object_get(jp, "dx"));
    if (!strcmp(dx, "client")) {
        for (int i = 0; i < cl.n_dx; i++) snprintf(p.dx[p.n_dx++], PSY_CODE_MAX, "%s", cl.dx[i]);
    } else {
        static const char *const pool[] = {"F42.2", "F90.0", "F34.1"};
        for (size_t i = 0; i < 3 && !p.n_dx; i++) {
            int has = 0;
            for (int k = 0; k < cl.n_dx; k++) has |= !strcmp(cl.dx[k], pool[i]);
            if (!has) snprintf(p.dx[p.n_dx++], PSY_CODE_MAX, "%s", pool[i]);
        }
    }
    char *goal = (char *)"Fewer panic episodes each week";
    p.n_goals = 1;
    p.goals[0] = goal;
    psy_id id;
    if (psy_records_plan_add(W.st, W.pr, &p, &id)) fail_msg("plan: %s", psy_store_errmsg(W.st));
    assert_int_equal(psy_records_plan_sign(W.st, W.pr, id, 'c', W.group.clinician_id, ""), PSY_OK);
    return id;
}

static void test_practice(void **state)
{
    (void)state;
    json_error_t je;
    json_t *doc = json_load_file(PRACTICE_CASES, 0, &je);
    if (!doc) fail_msg("%s: %s", PRACTICE_CASES, je.text);
    size_t i;
    json_t *c;
    int week = 0;
    json_array_foreach(json_object_get(doc, "cases"), i, c) {
        const char *name = json_string_value(json_object_get(c, "name"));
        assert_non_null(json_string_value(json_object_get(c, "rule")));
        assert_non_null(json_string_value(json_object_get(c, "source")));
        char date[PSY_DATE_MAX], last[PSY_DATE_MAX], profile[32];
        /* a Monday, a week per case, unless the case gives its date (the last week stays in the past) */
        if (json_is_string(json_object_get(c, "date")))
            snprintf(date, sizeof date, "%s", json_string_value(json_object_get(c, "date")));
        else
            date_add("2026-05-04", 7 * week++, date);
        psy_id payer, plan = case_records(c, date, profile, &payer);
        int groups = 0;
        size_t k;
        json_t *js;
        psy_id checked = W.group.clinician_id;
        snprintf(last, sizeof last, "%s", date);
        json_array_foreach(json_object_get(c, "sessions"), k, js) {
            char day[PSY_DATE_MAX];
            date_add(date, (int)json_integer_value(json_object_get(js, "day")), day);
            if (strcmp(day, last) > 0) {
                snprintf(last, sizeof last, "%s", day);
                groups = 0;
            }
            psy_id sid = add_session(js, day, &groups);
            if (json_is_true(json_object_get(js, "co_therapist_copy"))) duplicate_group_session(sid, W.colleague);
        }
        struct psy_billing_build_result r;
        assert_int_equal(psy_billing_build(W.st, W.cx, W.pr, date, last, &r), PSY_OK);
        json_t *expect = json_object_get(c, "expect");
        if (json_is_string(json_object_get(expect, "clinician")))
            checked = !strcmp(json_string_value(json_object_get(expect, "clinician")), "colleague") ? W.colleague
                                                                                                    : W.prescriber;
        char status[16], cdate[PSY_DATE_MAX];
        date_add(date, (int)json_integer_value(json_object_get(expect, "day")), cdate);
        psy_id claim;
        json_t *f = claim_by(cdate, checked, status, &claim);
        char *text = json_dumps(f, JSON_COMPACT);
        if (strcmp(status, json_string_value(json_object_get(expect, "status"))))
            fail_msg("%s: claim is %s, want %s; findings %s", name, status,
                     json_string_value(json_object_get(expect, "status")), text);
        json_t *want;
        json_array_foreach(json_object_get(expect, "findings"), k, want) if (!has_finding(f, want))
            fail_msg("%s: no %s finding naming the codes; findings %s", name,
                     json_string_value(json_object_get(want, "rule")), text);
        json_t *code;
        json_array_foreach(json_object_get(expect, "lines"), k, code) {
            char sql[160];
            snprintf(sql, sizeof sql, "SELECT count(*) FROM claim_line WHERE claim_id = %lld AND code = '%s'",
                     (long long)claim, json_string_value(code));
            if (test_db_count(&W.db, sql) != 1) fail_msg("%s: no line %s; findings %s", name, json_string_value(code), text);
        }
        /* the audit of the case's days: each rule the case names exactly once, no other of these rules */
        struct psy_audit_opts ao = {date, last, last, 0};
        struct psy_audit_finding *af;
        size_t naf;
        assert_int_equal(psy_audit_collect(W.st, W.pr, &ao, &af, &naf), PSY_OK);
        json_t *audit = json_object_get(expect, "audit");
        for (const char *const *rule = practice_rules; *rule; rule++) {
            int want_n = 0;
            json_array_foreach(audit, k, js) want_n += !strcmp(json_string_value(js), *rule);
            if (count_rule(af, naf, *rule) != want_n)
                fail_msg("%s: the audit reports %s %d times, want %d", name, *rule, count_rule(af, naf, *rule), want_n);
        }
        free(af);
        free(text);
        json_decref(f);
        /* the records back as they were for the next case */
        if (plan) assert_int_equal(psy_records_plan_close(W.st, W.pr, plan, last), PSY_OK);
        struct psy_payer py;
        assert_int_equal(psy_records_payer_get(W.st, W.pr, payer, &py), PSY_OK);
        snprintf(py.profile, sizeof py.profile, "%s", profile);
        assert_int_equal(psy_records_payer_update(W.st, W.pr, &py), PSY_OK);
    }
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_clean_practice), cmocka_unit_test(test_cases),
                                       cmocka_unit_test(test_practice)};
    return test_run_on_backends("scrub_day", tests, sizeof tests / sizeof *tests, NULL, teardown);
}
