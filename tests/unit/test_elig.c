/* test_elig.c -- eligibility (005010X279A1): the 271 reader on the public samples
 * (../shared/data/x12/270-271/linuxforhealth) and on answers written by hand from the implementation
 * guide (tests/data/x12/271-*.x12), its malformed-input errors, the 270 writer parsed back by node-x12,
 * and answers kept with the policy on both backends: matched by our trace, read twice without change,
 * used by the audit (R-ELIG-1, R-ELIG-2). */
#include "support.h"
#include "fixtures_records.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "psyclaim/psy_audit.h"
#include "psyclaim/psy_billing.h"

#define DATA PSY_SOURCE_DIR "/tests/data/x12/"

struct got {
    struct psy_elig_response *r[8];
    size_t n;
};

static psy_status keep(void *ud, struct psy_elig_response *r)
{
    struct got *g = ud;
    assert_true(g->n < 8);
    g->r[g->n++] = r;
    return PSY_OK;
}

static void got_free(struct got *g)
{
    for (size_t i = 0; i < g->n; i++) psy_elig_response_free(g->r[i]);
    g->n = 0;
}

/* Reads text with the 271 reader; returns its status, err the message. */
static psy_status read271(const char *text, size_t len, struct got *g, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    psy_x12_reader *r = psy_x12_reader_mem(text, len, 0);
    psy_status rc = psy_x12_271_read(r, keep, g, err, errlen);
    psy_x12_reader_free(r);
    return rc;
}

static void read_file(const char *path, struct got *g)
{
    size_t len;
    char *t = test_read_file(path, &len), err[300];
    psy_status rc = read271(t, len, g, err, sizeof err);
    if (rc) fprintf(stderr, "%s: %s\n", path, err);
    assert_int_equal(rc, PSY_OK);
    free(t);
}

/* The public samples: the subscriber answer and the dependent answer (HL*23 under HL*22). */
static void test_samples(void **state)
{
    (void)state;
    char path[1024];
    struct got g;
    if (!test_have_shared("x12/270-271/linuxforhealth/subscriber-health-benefit-check.271", path, sizeof path)) return;
    read_file(path, &g);
    assert_int_equal(g.n, 1);
    struct psy_elig_response *r = g.r[0];
    assert_string_equal(r->trace, "93175-012547");
    assert_string_equal(r->payer_name, "ABC COMPANY");
    assert_string_equal(r->member_id, "123456789");
    assert_string_equal(r->sub_last, "SMITH");
    assert_string_equal(r->sub_birth, "19630519");
    assert_false(r->dependent);
    assert_string_equal(r->begin, "20060101"); /* DTP*346 plan begin */
    assert_string_equal(r->as_of, "20060501");  /* no DTP*291: BHT04 */
    assert_int_equal(r->n_benefits, 5);
    assert_string_equal(r->benefits[2].service_types, "1,33,35,47,86,88,98,AL,MH,UC");
    struct psy_elig_summary s;
    psy_elig_summarize(r, &s);
    assert_string_equal(s.status, "active");
    assert_int_equal(s.copay_in, 1000);  /* EB*B ... 10.00 EB12 Y */
    assert_int_equal(s.copay_out, 3000); /* EB*B ... 30.00 EB12 N */
    assert_int_equal(s.coinsurance_in, PSY_ELIG_UNKNOWN);
    assert_int_equal(s.visits_allowed, PSY_ELIG_UNKNOWN);
    got_free(&g);

    if (!test_have_shared("x12/270-271/linuxforhealth/dependent-health-benefit-check.271", path, sizeof path)) return;
    read_file(path, &g);
    assert_int_equal(g.n, 1); /* the subscriber loop only leads to the dependent */
    r = g.r[0];
    assert_true(r->dependent);
    assert_string_equal(r->member_id, "123456789"); /* from the subscriber level */
    assert_string_equal(r->pat_last, "SMITH");
    assert_string_equal(r->pat_first, "MARY");
    assert_string_equal(r->pat_birth, "19981014");
    assert_string_equal(r->trace, "93175-012547");
    psy_elig_summarize(r, &s);
    assert_string_equal(s.status, "active");
    assert_int_equal(s.copay_in, 1000);
    got_free(&g);
}

/* An answer written from the guide's benefit examples: mental-health copays, coinsurance as a fraction
 * (EB08 .2 = 20%), deductible and out of pocket with what remains (EB06 29), visits (EB09 VS), EB11. */
static void test_benefits(void **state)
{
    (void)state;
    struct got g;
    read_file(DATA "271-mh-benefits.x12", &g);
    assert_int_equal(g.n, 1);
    struct psy_elig_summary s;
    psy_elig_summarize(g.r[0], &s);
    assert_string_equal(s.status, "active");
    assert_int_equal(s.copay_in, 2500);
    assert_int_equal(s.copay_out, 6000);
    assert_int_equal(s.coinsurance_in, 2000);
    assert_int_equal(s.coinsurance_out, 4000);
    assert_int_equal(s.deductible_in, 150000); /* the individual's, not the family's 3000 */
    assert_int_equal(s.deductible_in_left, 35055);
    assert_int_equal(s.deductible_out, 300000);
    assert_int_equal(s.deductible_out_left, PSY_ELIG_UNKNOWN);
    assert_int_equal(s.oop_in, 600000);
    assert_int_equal(s.oop_in_left, 420000);
    assert_int_equal(s.visits_allowed, 20);
    assert_int_equal(s.visits_left, 12);
    assert_int_equal(s.visits_used, 8);
    assert_int_equal(s.auth_required, 1);
    assert_string_equal(g.r[0]->group_number, "GRP100");
    assert_string_equal(g.r[0]->as_of, "20240305");
    /* the benefit's MSG, and the LS/LE provider not taken for the subscriber */
    assert_string_equal(g.r[0]->benefits[11].message, "OUTPATIENT PSYCHOTHERAPY LIMITED TO 20 VISITS PER CALENDAR YEAR");
    assert_string_equal(g.r[0]->sub_last, "DOE");
    char *json = psy_elig_response_json(g.r[0], 0);
    assert_non_null(strstr(json, "\"copay_in_cents\":2500"));
    assert_non_null(strstr(json, "\"text\":\"psychotherapy\""));
    free(json);
    got_free(&g);

    read_file(DATA "271-inactive.x12", &g);
    psy_elig_summarize(g.r[0], &s);
    assert_string_equal(s.status, "inactive");
    assert_string_equal(g.r[0]->end, "20231231");
    got_free(&g);
}

/* AAA rejections in plain words, at subscriber level and at payer level (no subscriber loop at all). */
static void test_rejections(void **state)
{
    (void)state;
    struct got g;
    read_file(DATA "271-aaa-subscriber.x12", &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.r[0]->n_rejects, 1);
    struct psy_elig_reject *x = &g.r[0]->rejects[0];
    assert_string_equal(x->reason, "72");
    assert_string_equal(x->where, "subscriber");
    assert_string_equal(x->action, "C");
    assert_int_equal(x->segment, 12);
    assert_non_null(strstr(psy_elig_reject_text("72"), "subscriber (member) id"));
    assert_non_null(strstr(psy_elig_action_text("C"), "correct and resubmit"));
    struct psy_elig_summary s;
    psy_elig_summarize(g.r[0], &s);
    assert_string_equal(s.status, "rejected");
    got_free(&g);
    read_file(DATA "271-aaa-payer.x12", &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.r[0]->rejects[0].where, "payer");
    assert_string_equal(g.r[0]->rejects[0].reason, "42");
    got_free(&g);
    /* every reason the front desk meets has words (code list 901) */
    static const char *const codes[] = {"15", "41", "42", "43", "44", "45", "47", "48", "49", "51", "52", "56", "57",
                                        "58", "60", "61", "62", "63", "69", "70", "71", "72", "73", "74", "75", "76",
                                        "78", "79"};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) assert_non_null(psy_elig_reject_text(codes[i]));
    assert_null(psy_elig_reject_text("ZZ"));
}

/* Malformed answers: a clear error naming the segment and element, nothing handed over. */
static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *file, *want;
    } cases[] = {
        {"271-bad-eb08.x12", "segment 19 (EB) element EB08: '20%' is not a percentage"},
        {"271-eb-outside.x12", "segment 7 (EB): a benefit outside a subscriber or dependent level"},
        {"271-not-271.x12", "segment 3 (ST) element ST01: transaction set 270 is not a 271"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[512], err[300];
        snprintf(path, sizeof path, DATA "%s", cases[i].file);
        size_t len;
        char *t = test_read_file(path, &len);
        struct got g;
        assert_int_equal(read271(t, len, &g, err, sizeof err), PSY_EPARSE);
        if (!strstr(err, cases[i].want)) fprintf(stderr, "%s: %s\n", cases[i].file, err);
        assert_non_null(strstr(err, cases[i].want));
        assert_int_equal(g.n, 0);
        free(t);
    }
    /* cut before its SE: the envelope is open */
    size_t len;
    char *t = test_read_file(DATA "271-mh-benefits.x12", &len), err[300];
    char *se = strstr(t, "SE*");
    struct got g;
    assert_int_equal(read271(t, (size_t)(se - t), &g, err, sizeof err), PSY_EPARSE);
    assert_int_equal(g.n, 0);
    /* an EB07 that is not an amount */
    char *eb = strstr(t, "*27*25*");
    memcpy(eb, "*27*2X*", 7);
    assert_int_equal(read271(t, len, &g, err, sizeof err), PSY_EPARSE);
    assert_non_null(strstr(err, "(EB) element EB07"));
    free(t);
}

static unsigned long counter;
static psy_status next_ctl(void *ud, psy_x12_control kind, unsigned long *out)
{
    (void)ud;
    (void)kind;
    *out = ++counter;
    return PSY_OK;
}

static json_t *node_segments(const char *x12, size_t len, json_t **doc)
{
    char *path = test_write_file(x12, len);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "node '%s/tests/node/parse_x12.js' '%s'", PSY_SOURCE_DIR, path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    *doc = json_loadf(p, 0, NULL);
    assert_int_equal(pclose(p), 0);
    assert_non_null(*doc);
    unlink(path);
    free(path);
    json_t *t = json_array_get(json_object_get(json_array_get(json_object_get(json_array_get(json_object_get(*doc,
                                                                                                               "interchanges"), 0), "groups"), 0), "transactions"), 0);
    return t;
}

static const char *el(json_t *seg, size_t i) { return json_string_value(json_array_get(seg, i)); }

/* The 270 of a dependent parsed back by node-x12: envelope, hierarchy, names, trace, date, EQ. */
static void test_270_node(void **state)
{
    (void)state;
    static const char *const types[] = {"30", "MH", "A6", "A8", NULL};
    struct psy_x12_270 q = {
        .sender_id = "1234567893", .receiver_id = "PAYERXYZ", .payer_name = "Example Health Plan",
        .payer_id = "PAYERXYZ", .provider_name = "Example Therapy Group", .provider_npi = "1234567893",
        .member_id = "W123456789", .group_number = "GRP100", .sub_last = "Doe", .sub_first = "Sam",
        .sub_birth = "19800101", .sub_sex = 'M', .dependent = 1, .pat_last = "Doe", .pat_first = "Alex",
        .pat_birth = "20100214", .pat_sex = 'F', .trace = "P7C3D20240305", .trace_originator = "1999999999",
        .service_date = "20240305", .service_types = types, .date = "20240305", .time = "1200",
    };
    struct psy_x12_write_opts o = {.next_control = next_ctl};
    char *out, err[200];
    size_t len;
    counter = 40;
    assert_int_equal(psy_x12_270_write(&q, &o, &out, &len, err, sizeof err), PSY_OK);
    json_t *doc, *t = node_segments(out, len, &doc);
    json_t *ic = json_array_get(json_object_get(doc, "interchanges"), 0);
    json_t *gs = json_object_get(json_array_get(json_object_get(ic, "groups"), 0), "gs");
    assert_string_equal(el(gs, 0), "HS");
    assert_string_equal(el(gs, 7), "005010X279A1");
    assert_int_equal(strtol(el(json_object_get(ic, "isa"), 12), NULL, 10), 41);
    assert_string_equal(el(json_object_get(t, "st"), 0), "270");
    json_t *segs = json_object_get(t, "segments");
    assert_int_equal(strtol(el(json_object_get(t, "se"), 0), NULL, 10), json_array_size(segs) + 2);
    const char *levels[4];
    size_t nl = 0, i;
    json_t *s;
    int saw_trn = 0, saw_eq = 0, saw_dtp = 0, saw_il = 0, saw_03 = 0;
    json_array_foreach(segs, i, s)
    {
        const char *tag = el(s, 0);
        if (!strcmp(tag, "HL")) {
            assert_true(nl < 4);
            levels[nl++] = el(s, 3);
        }
        if (!strcmp(tag, "TRN")) {
            saw_trn = 1;
            assert_int_equal(nl, 4); /* in the dependent's loop */
            assert_string_equal(el(s, 1), "1");
            assert_string_equal(el(s, 2), "P7C3D20240305");
            assert_string_equal(el(s, 3), "1999999999");
        }
        if (!strcmp(tag, "NM1") && !strcmp(el(s, 1), "IL")) {
            saw_il = 1;
            assert_string_equal(el(s, 8), "MI");
            assert_string_equal(el(s, 9), "W123456789");
        }
        if (!strcmp(tag, "NM1") && !strcmp(el(s, 1), "1P")) assert_string_equal(el(s, 9), "1234567893");
        if (!strcmp(tag, "NM1") && !strcmp(el(s, 1), "03")) {
            saw_03 = 1;
            assert_string_equal(el(s, 3), "DOE");
            assert_string_equal(el(s, 4), "ALEX");
        }
        if (!strcmp(tag, "DTP")) {
            saw_dtp = 1;
            assert_string_equal(el(s, 1), "291");
            assert_string_equal(el(s, 3), "20240305");
        }
        if (!strcmp(tag, "EQ")) {
            saw_eq = 1;
            assert_string_equal(el(s, 1), "30^MH^A6^A8");
        }
    }
    assert_int_equal(nl, 4);
    assert_string_equal(levels[0], "20");
    assert_string_equal(levels[1], "21");
    assert_string_equal(levels[2], "22");
    assert_string_equal(levels[3], "23");
    assert_true(saw_trn && saw_eq && saw_dtp && saw_il && saw_03);
    json_decref(doc);
    free(out);
    /* refused before anything is written */
    q.provider_npi = "1234567890";
    assert_int_equal(psy_x12_270_write(&q, &o, &out, &len, err, sizeof err), PSY_EINVAL);
    assert_non_null(strstr(err, "provider_npi"));
    q.provider_npi = "1234567893";
    q.service_date = "20240230";
    assert_int_equal(psy_x12_270_write(&q, &o, &out, &len, err, sizeof err), PSY_EINVAL);
    assert_non_null(strstr(err, "service_date"));
}

/* The command: read in plain words and as JSON; a malformed file exits 1 naming the segment. */
static void test_cli_read(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    assert_int_equal(test_run_cli("eligibility read " DATA "271-mh-benefits.x12", NULL, &out, &err), 0);
    assert_non_null(strstr(out, "coverage active"));
    assert_non_null(strstr(out, "copay in network             $25.00"));
    assert_non_null(strstr(out, "coinsurance in network       20.00%"));
    assert_non_null(strstr(out, "remaining                  $350.55"));
    assert_non_null(strstr(out, "visits remaining             12"));
    assert_non_null(strstr(out, "prior authorisation          required"));
    free(out);
    free(err);
    assert_int_equal(test_run_cli("eligibility read " DATA "271-aaa-subscriber.x12", NULL, &out, &err), 0);
    assert_non_null(strstr(out, "rejected (subscriber, segment 12): 72 invalid or missing subscriber (member) id; "
                                "please correct and resubmit"));
    free(out);
    free(err);
    assert_int_equal(test_run_cli("eligibility read --json " DATA "271-inactive.x12", NULL, &out, &err), 0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    json_t *a = json_array_get(json_object_get(j, "answers"), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "summary"), "status")), "inactive");
    assert_string_equal(json_string_value(json_object_get(a, "coverage_end")), "2023-12-31");
    json_decref(j);
    free(out);
    free(err);
    assert_int_equal(test_run_cli("eligibility read " DATA "271-bad-eb08.x12", NULL, &out, &err), 1);
    assert_string_equal(out, "");
    assert_non_null(strstr(err, "segment 19 (EB) element EB08"));
    free(out);
    free(err);
    assert_int_equal(test_run_cli("eligibility frobnicate", NULL, &out, &err), 2);
    free(out);
    free(err);
    /* `x12 read` tells the kind and reads a 271 as `eligibility read` does */
    assert_int_equal(test_run_cli("x12 read " DATA "271-mh-benefits.x12", NULL, &out, &err), 0);
    assert_non_null(strstr(out, ": 271 (005010X279A1)"));
    assert_non_null(strstr(out, "copay in network             $25.00"));
    assert_non_null(strstr(out, "visits remaining             12"));
    free(out);
    free(err);
    assert_int_equal(test_run_cli("x12 read --json " DATA "271-aaa-subscriber.x12", NULL, &out, &err), 0);
    j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "271");
    a = json_array_get(json_object_get(json_object_get(j, "document"), "answers"), 0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(a, "rejections"), 0), "reason")),
                        "72");
    json_decref(j);
    free(out);
    free(err);
    assert_int_equal(test_run_cli("x12 read " DATA "271-bad-eb08.x12", NULL, &out, &err), 1);
    assert_non_null(strstr(err, "segment 19 (EB) element EB08"));
    free(out);
    free(err);
}

/* Replaces every occurrence of a with b (same length or not) in a new string. */
static char *replace(const char *s, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), n = 0;
    for (const char *p = strstr(s, a); p; p = strstr(p + la, a)) n++;
    char *out = malloc(strlen(s) + n * (lb + 1) + 1), *o = out;
    for (const char *p; (p = strstr(s, a)); s = p + la) {
        memcpy(o, s, (size_t)(p - s));
        o += p - s;
        memcpy(o, b, lb);
        o += lb;
    }
    strcpy(o, s);
    return out;
}

/* replace() in place: *s is freed and replaced. */
static void repl(char **s, const char *a, const char *b)
{
    char *n = replace(*s, a, b);
    free(*s);
    *s = n;
}

static long rows(struct fx *f)
{
    return fx_db_count(&f->db, "SELECT COUNT(*) FROM eligibility_check");
}

/* Whether the audit of 2024 names session under rule; the audit of every date (no from, no to) must say
 * the same. */
static int has_finding(struct fx *f, const char *rule, psy_id session)
{
    int hit[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        struct psy_audit_opts ao = {k ? NULL : "2024-01-01", k ? NULL : "2024-12-31", "2024-12-31", 0};
        struct psy_audit_finding *af;
        size_t n;
        assert_int_equal(psy_audit_collect(f->st, f->pr, &ao, &af, &n), PSY_OK);
        for (size_t i = 0; i < n; i++)
            if (!strcmp(af[i].rule, rule) && af[i].record_id == session) hit[k] = 1;
        free(af);
    }
    assert_int_equal(hit[1], hit[0]);
    return hit[0];
}

extern int psy__billing_stretch_items;

/* Whether the claim of client on date names rule in its findings: 1 or 0, -1 when there is no claim. */
static int claim_has(struct fx *f, psy_id client, const char *date, const char *rule)
{
    struct psy_billing_claim *cl;
    size_t ncl;
    int got = -1;
    assert_int_equal(psy_billing_claim_list(f->st, f->pr, NULL, &cl, &ncl), PSY_OK);
    for (size_t i = 0; i < ncl; i++)
        if (cl[i].client_id == client && !strcmp(cl[i].service_date, date)) got = strstr(cl[i].findings, rule) != NULL;
    psy_billing_claims_free(cl, ncl);
    return got;
}

/* Posts a 271 answer that must be kept, new, with client's policy. */
static void post_new(struct fx *f, const char *text, psy_id client)
{
    struct psy_billing_elig_result r;
    char err[300];
    assert_int_equal(psy_billing_eligibility_post(f->st, f->pr, NULL, text, strlen(text), &r, err, sizeof err), PSY_OK);
    assert_int_equal(r.stored, 1);
    assert_int_equal(r.client, client);
}

/* Request, answer, keep, read again, refuse a broken file, audit: on both backends. */
static void test_store(void **state)
{
    struct fx f;
    fx_open_on(&f, FX_SERVER(state));
    psy_id client = f.client[0];
    char *x270, err[300];
    size_t len;
    assert_int_equal(psy_billing_eligibility_request(f.st, f.pr, client, 0, "2024-03-05", &x270, &len, err, sizeof err),
                     PSY_OK);
    struct psy_policy po;
    assert_int_equal(psy_records_policy_on(f.st, f.pr, client, "2024-03-05", 1, &po), PSY_OK);
    char trace[64], trn[80];
    snprintf(trace, sizeof trace, "P%lldC%lldD20240305", (long long)po.id, (long long)client);
    snprintf(trn, sizeof trn, "TRN*1*%s", trace);
    assert_non_null(strstr(x270, trn));
    assert_non_null(strstr(x270, "NM1*IL*1*FIXTURE*TESTA0****MI*MBR0"));
    assert_non_null(strstr(x270, "DTP*291*D8*20240305"));
    free(x270);
    assert_int_equal(psy_billing_eligibility_request(f.st, f.pr, client, 0, "2023-03-05", &x270, &len, err, sizeof err),
                     PSY_ENOTFOUND);
    assert_non_null(strstr(err, "no primary policy in force on 2023-03-05"));

    /* the payer's answer echoes our trace (TRN*2) */
    char *tmpl = test_read_file(DATA "271-mh-benefits.x12", NULL);
    char *ans = replace(tmpl, "P7C3D20240305", trace);
    struct psy_billing_elig_result r;
    assert_int_equal(psy_billing_eligibility_post(f.st, f.pr, "a.271", ans, strlen(ans), &r, err, sizeof err), PSY_OK);
    assert_int_equal(r.answers, 1);
    assert_int_equal(r.stored, 1);
    assert_int_equal(r.client, client);
    assert_int_equal(rows(&f), 1);
    /* the same answer again, with other control numbers: nothing changes */
    char *again = replace(ans, "*0001", "*0002");
    assert_int_equal(psy_billing_eligibility_post(f.st, f.pr, "b.271", again, strlen(again), &r, err, sizeof err),
                     PSY_OK);
    assert_int_equal(r.stored, 0);
    assert_int_equal(r.seen_before, 1);
    assert_int_equal(rows(&f), 1);
    /* a broken file changes nothing and names the segment */
    char *broken = replace(ans, "*.2*", "*20%*");
    assert_int_equal(psy_billing_eligibility_post(f.st, f.pr, NULL, broken, strlen(broken), &r, err, sizeof err),
                     PSY_EPARSE);
    assert_non_null(strstr(err, "element EB08"));
    assert_int_equal(rows(&f), 1);
    /* an answer for nobody we know */
    char *stranger = replace(tmpl, "W123456789", "NOBODY1");
    repl(&stranger, "P7C3D20240305", "X1");
    assert_int_equal(psy_billing_eligibility_post(f.st, f.pr, NULL, stranger, strlen(stranger), &r, err, sizeof err),
                     PSY_OK);
    assert_int_equal(r.unmatched, 1);
    assert_int_equal(rows(&f), 1);
    /* matched by member id alone when our trace is not echoed */
    char *by_member = replace(tmpl, "W123456789", "MBR1");
    repl(&by_member, "P7C3D20240305", "THEIRS");
    repl(&by_member, "*12**Y", "*1**Y");
    post_new(&f, by_member, f.client[1]);
    char *list;
    assert_int_equal(psy_billing_eligibility_list(f.st, f.pr, client, &list, NULL), PSY_OK);
    assert_non_null(strstr(list, "\"status\":\"active\""));
    assert_non_null(strstr(list, "\"copay_in_cents\":2500"));
    free(list);

    /* R-ELIG-2: client 1 had 1 visit left after 2024-03-05; the second session after it is beyond */
    psy_id v1 = fx_individual(&f, f.client[1], "2024-03-12", 53, "90837", 1);
    psy_id v2 = fx_individual(&f, f.client[1], "2024-03-19", 53, "90837", 1);
    assert_false(has_finding(&f, "R-ELIG-2", v1));
    assert_true(has_finding(&f, "R-ELIG-2", v2));

    /* R-ELIG-2 by service year (EB06 22): a plan that began 2023-04-01 (2100 DTP*346) allows 2 visits a
     * year, counted from April 1, not January 1 */
    char *plan_year = replace(tmpl, "W123456789", "MBR2");
    repl(&plan_year, "P7C3D20240305", "THEIRS2");
    repl(&plan_year, "DTP*346*D8*20240101", "DTP*346*D8*20230401");
    repl(&plan_year, "DTP*291*D8*20240305", "DTP*291*D8*20240501");
    repl(&plan_year, "EB*F*IND*A6*HM**23***VS*20*Y*Y", "EB*F*IND*A6*HM**22***VS*2*Y*Y");
    repl(&plan_year, "EB*F*IND*A6*HM**29***VS*12**Y", "MSG*TWO VISITS PER SERVICE YEAR");
    post_new(&f, plan_year, f.client[2]);
    assert_int_equal(psy_billing_eligibility_list(f.st, f.pr, f.client[2], &list, NULL), PSY_OK);
    assert_non_null(strstr(list, "\"visits_year_begin\":\"2023-04-01\""));
    free(list);
    psy_id m0 = fx_individual(&f, f.client[2], "2024-03-20", 53, "90837", 1); /* the year before */
    psy_id m1 = fx_individual(&f, f.client[2], "2024-04-10", 53, "90837", 1);
    psy_id m2 = fx_individual(&f, f.client[2], "2024-06-10", 53, "90837", 1); /* 3rd of 2024, 2nd of the year */
    psy_id m3 = fx_individual(&f, f.client[2], "2024-08-10", 53, "90837", 1);
    assert_false(has_finding(&f, "R-ELIG-2", m0));
    assert_false(has_finding(&f, "R-ELIG-2", m1));
    assert_false(has_finding(&f, "R-ELIG-2", m2));
    assert_true(has_finding(&f, "R-ELIG-2", m3));
    free(plan_year);

    /* R-ELIG-1: an inactive answer for client 0 on 2024-03-05 */
    psy_id s1 = fx_individual(&f, client, "2024-03-05", 53, "90837", 1);
    psy_id s0 = fx_individual(&f, client, "2024-03-04", 53, "90837", 1);
    assert_false(has_finding(&f, "R-ELIG-1", s1));
    char *inact = test_read_file(DATA "271-inactive.x12", NULL);
    repl(&inact, "P7C3D20240305", trace);
    repl(&inact, "DTP*346*D8*20230101", "DTP*102*D8*20230101"); /* no coverage dates: */
    repl(&inact, "DTP*347*D8*20231231", "DTP*102*D8*20231231"); /* it speaks of its date only */
    assert_int_equal(psy_billing_eligibility_post(f.st, f.pr, NULL, inact, strlen(inact), &r, err, sizeof err), PSY_OK);
    assert_int_equal(r.stored, 1);
    assert_true(has_finding(&f, "R-ELIG-1", s1));
    assert_false(has_finding(&f, "R-ELIG-1", s0)); /* the answer speaks of 2024-03-05 only */
    /* the claims build: the claim of that date is held in draft with the finding, the day before not */
    psy_coder *cx;
    assert_int_equal(psy_coding_open(f.st, &cx, err, sizeof err), PSY_OK);
    struct psy_billing_build_result br;
    assert_int_equal(psy_billing_build(f.st, cx, f.pr, "2024-03-04", "2024-03-05", &br), PSY_OK);
    psy_coding_close(cx);
    struct psy_billing_claim *cl;
    size_t ncl;
    int held = 0, clear = 0;
    assert_int_equal(psy_billing_claim_list(f.st, f.pr, NULL, &cl, &ncl), PSY_OK);
    for (size_t i = 0; i < ncl; i++) {
        if (cl[i].client_id != client) continue;
        if (!strcmp(cl[i].service_date, "2024-03-05")) {
            held = !strcmp(cl[i].status, "draft") && strstr(cl[i].findings, "R-ELIG-1") != NULL;
            if (!held) fprintf(stderr, "claim of 2024-03-05: %s %s\n", cl[i].status, cl[i].findings);
        }
        if (!strcmp(cl[i].service_date, "2024-03-04")) clear = !strstr(cl[i].findings, "R-ELIG-1");
    }
    psy_billing_claims_free(cl, ncl);
    assert_true(held);
    assert_true(clear);

    /* the rest of the year built one date a stretch: each stretch counts the visits of the benefit year
     * that earlier stretches read (docs/rules.md R-ELIG-2), across the plan year's start on April 1 */
    int items = psy__billing_stretch_items;
    psy__billing_stretch_items = 1;
    assert_int_equal(psy_coding_open(f.st, &cx, err, sizeof err), PSY_OK);
    assert_int_equal(psy_billing_build(f.st, cx, f.pr, "2024-03-06", "2024-12-31", &br), PSY_OK);
    psy_coding_close(cx);
    psy__billing_stretch_items = items;
    assert_int_equal(claim_has(&f, f.client[1], "2024-03-12", "R-ELIG-2"), 0); /* the one visit left */
    assert_int_equal(claim_has(&f, f.client[1], "2024-03-19", "R-ELIG-2"), 1);
    assert_int_equal(claim_has(&f, f.client[2], "2024-03-20", "R-ELIG-2"), 0); /* the plan year before */
    assert_int_equal(claim_has(&f, f.client[2], "2024-04-10", "R-ELIG-2"), 0);
    assert_int_equal(claim_has(&f, f.client[2], "2024-06-10", "R-ELIG-2"), 0); /* 2 a year from April 1 */
    assert_int_equal(claim_has(&f, f.client[2], "2024-08-10", "R-ELIG-2"), 1);

    /* the commands on the same database: a 270 for the client, the answer read again changes nothing */
    char line[1200], *out = NULL, *cerr = NULL;
    snprintf(line, sizeof line, "eligibility request %lld --db '%s' --date 2024-03-05", (long long)client, f.db.uri);
    assert_int_equal(test_run_cli(line, NULL, &out, &cerr), 0);
    assert_memory_equal(out, "ISA*", 4);
    assert_non_null(strstr(out, trn));
    free(out);
    free(cerr);
    char *path = test_write_file(ans, strlen(ans));
    snprintf(line, sizeof line, "eligibility post --json --db '%s' '%s'", f.db.uri, path);
    assert_int_equal(test_run_cli(line, NULL, &out, &cerr), 0);
    assert_non_null(strstr(out, "\"seen_before\": 1"));
    unlink(path);
    free(path);
    free(out);
    free(cerr);
    assert_int_equal(rows(&f), 4); /* the plan-year answer is the fourth */
    free(tmpl);
    free(ans);
    free(again);
    free(broken);
    free(stranger);
    free(by_member);
    free(inact);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest once[] = {
        cmocka_unit_test(test_samples),
        cmocka_unit_test(test_benefits),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_270_node),
        cmocka_unit_test(test_cli_read),
    };
    const struct CMUnitTest both[] = {
        cmocka_unit_test(test_store),
    };
    int fails = cmocka_run_group_tests(once, NULL, NULL);
    return fails + fx_run_on_both("test_elig", both, sizeof both / sizeof *both);
}
