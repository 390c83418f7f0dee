/* test_billing_day.c -- claims judged by the client's whole date of service (R-DAY-1) and the audit's
 * impossible days (R-IMP-1..3): each case of
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

struct world {
    psy_store *st;
    struct test_db db;
    psy_coder *cx;
    psy_id pr;
    struct psy_session group;  /* a signed demo group session: the template of every case's sessions */
    psy_id client;             /* a present member of it with a policy: the case's client */
    psy_id other;              /* another present member: "client": "other" in a case */
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
}

static const struct psy_note *template_note(psy_id client)
{
    for (size_t i = 0; i < W.n_notes; i++)
        if (W.notes[i].client_id == client) return &W.notes[i];
    return NULL;
}

static void save_signed_note(const struct psy_note *from, psy_id session, psy_id client, const char *kind)
{
    struct psy_note x = *from;
    x.id = 0;
    x.version = 0;
    x.session_id = session;
    x.client_id = client;
    snprintf(x.kind, sizeof x.kind, "%s", kind);
    if (!strcmp(kind, "individual")) {
        x.techniques = template_note(0)->techniques;
        x.participation = (char *)"";
    }
    psy_id nid;
    if (psy_records_note_save(W.st, W.pr, &x, &nid)) fail_msg("note %s: %s", kind, psy_store_errmsg(W.st));
    assert_int_equal(psy_records_note_sign(W.st, W.pr, nid, W.group.clinician_id), PSY_OK);
}

/* Records one session of a case on date, by the template group's clinician, and signs it. */
static void add_session(json_t *js, const char *date, int *groups_that_day)
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
    }
    psy_id sid;
    psy_status rc = psy_records_session_add(W.st, W.pr, &s, &sid);
    if (rc) fail_msg("session %s on %s: %s", kind, date, psy_store_errmsg(W.st));
    if (group) {
        for (size_t i = 0; i < W.n_at; i++) {
            struct psy_attendance x = {.session_id = sid, .client_id = W.at[i].client_id, .present = W.at[i].present};
            assert_int_equal(psy_records_attendance_set(W.st, W.pr, &x, NULL), PSY_OK);
        }
        for (size_t i = 0; i < W.n_notes; i++) save_signed_note(&W.notes[i], sid, W.notes[i].client_id, W.notes[i].kind);
    } else {
        const struct psy_note *t = template_note(s.client_id);
        assert_non_null(t);
        save_signed_note(t, sid, s.client_id, "individual");
    }
    rc = psy_records_session_sign(W.st, W.pr, sid, W.group.clinician_id);
    if (rc) rc = psy_records_session_sign_override(W.st, W.pr, sid, W.group.clinician_id,
                                                   "signed for the day-check test case");
    if (rc) fail_msg("sign %s on %s: %s", kind, date, psy_store_errmsg(W.st));
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
        json_array_foreach(json_object_get(c, "sessions"), k, js) add_session(js, date, &groups);
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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_clean_practice), cmocka_unit_test(test_cases)};
    return test_run_on_backends("scrub_day", tests, sizeof tests / sizeof *tests, NULL, teardown);
}
