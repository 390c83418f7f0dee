/* test_x12_node.c -- every 837P the writer produces is parsed back by an independent parser (node-x12,
 * tests/node/parse_x12.js, installed by scripts/bootstrap.sh) and compared with the claims it was
 * written from: envelopes, control numbers, counts, and the values of every claim and line. */
#include "support.h"
#include "fixture_claims.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NODE_DIR PSY_SOURCE_DIR "/tests/node"

static json_t *parse_with_node(const char *x12, size_t len)
{
    char *path = test_write_file(x12, len);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "node '%s/parse_x12.js' '%s'", NODE_DIR, path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    json_error_t je;
    json_t *doc = json_loadf(p, 0, &je);
    int st = pclose(p);
    if (st || !doc)
        fprintf(stderr, "node-x12 could not parse the file (st %d: %s); is node installed and %s/node_modules "
                        "present? run scripts/bootstrap.sh\n", st, je.text, NODE_DIR);
    assert_int_equal(st, 0);
    assert_non_null(doc);
    unlink(path);
    free(path);
    return doc;
}

static const char *el(json_t *arr, size_t i) { return json_string_value(json_array_get(arr, i)); }

static long num(json_t *arr, size_t i) { return strtol(el(arr, i), NULL, 10); }

static void assert_trimmed(const char *padded, const char *want)
{
    size_t n = strlen(padded);
    while (n && padded[n - 1] == ' ') n--;
    assert_int_equal(n, strlen(want));
    assert_memory_equal(padded, want, n);
}

/* The claims of the batch against the segments node-x12 read, in order. */
static void compare_claims(const struct psy_claim_batch *b, json_t *segs, char comp)
{
    size_t ci = 0, li = 0, hl = 0, n_hl = 1, lines = 0, clms = 0, sv1s = 0;
    const struct psy_claim *c = NULL;
    for (size_t i = 0; i < b->n_claims; i++) n_hl += 1 + (b->claims[i].patient != NULL), lines += b->claims[i].n_lines;
    for (size_t i = 0; i < json_array_size(segs); i++) {
        json_t *s = json_array_get(segs, i);
        const char *tag = el(s, 0);
        char want[128], money[32];
        if (!strcmp(tag, "HL")) hl++;
        if (!strcmp(tag, "NM1") && !strcmp(el(s, 1), "85")) assert_string_equal(el(s, 9), b->billing->npi);
        if (!strcmp(tag, "CLM")) {
            c = &b->claims[ci++];
            li = 0;
            clms++;
            assert_string_equal(el(s, 1), c->id);
            psy_x12_format_cents(c->total_cents, money);
            assert_string_equal(el(s, 2), money);
            snprintf(want, sizeof want, "%s%cB%c%d", c->place_of_service, comp, comp, (int)c->frequency);
            assert_string_equal(el(s, 5), want);
        }
        if (!strcmp(tag, "HI")) assert_int_equal(json_array_size(s) - 1, c->n_diagnoses);
        if (!strcmp(tag, "SV1")) {
            const struct psy_claim_line *l = &c->lines[li++];
            sv1s++;
            int k = snprintf(want, sizeof want, "HC%c%s", comp, l->code);
            for (int m = 0; m < PSY_CLAIM_MAX_MODS && l->modifiers[m]; m++)
                k += snprintf(want + k, sizeof want - (size_t)k, "%c%s", comp, l->modifiers[m]);
            assert_string_equal(el(s, 1), want);
            psy_x12_format_cents(l->charge_cents, money);
            assert_string_equal(el(s, 2), money);
            assert_int_equal(num(s, 4), l->units);
        }
        if (!strcmp(tag, "DTP") && !strcmp(el(s, 1), "472")) assert_string_equal(el(s, 3), c->lines[li - 1].date);
    }
    assert_int_equal(clms, b->n_claims);
    assert_int_equal(sv1s, lines);
    assert_int_equal(hl, n_hl);
}

static void check_file(const struct psy_claim_batch *b, const struct psy_x12_write_opts *o, unsigned long first_ctl)
{
    char *out, err[300];
    size_t len;
    psy_status rc = psy_x12_837_write(b, o, &out, &len, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, PSY_OK);
    json_t *doc = parse_with_node(out, len);
    json_t *ics = json_object_get(doc, "interchanges");
    assert_int_equal(json_array_size(ics), 1);
    json_t *ic = json_array_get(ics, 0), *isa = json_object_get(ic, "isa"), *iea = json_object_get(ic, "iea");
    assert_int_equal(json_array_size(isa), 16);
    assert_trimmed(el(isa, 5), b->submitter->id);
    assert_trimmed(el(isa, 7), b->receiver->id);
    assert_int_equal(num(isa, 12), first_ctl);
    assert_string_equal(el(isa, 14), b->production ? "P" : "T");
    assert_int_equal(num(iea, 0), 1);
    assert_int_equal(num(iea, 1), first_ctl);
    json_t *groups = json_object_get(ic, "groups");
    assert_int_equal(json_array_size(groups), 1);
    json_t *g = json_array_get(groups, 0), *gs = json_object_get(g, "gs"), *ge = json_object_get(g, "ge");
    assert_string_equal(el(gs, 0), "HC");
    assert_int_equal(num(gs, 5), first_ctl + 1);
    assert_string_equal(el(gs, 7), "005010X222A1");
    assert_int_equal(num(ge, 0), 1);
    assert_int_equal(num(ge, 1), first_ctl + 1);
    json_t *txs = json_object_get(g, "transactions");
    assert_int_equal(json_array_size(txs), 1);
    json_t *t = json_array_get(txs, 0), *st = json_object_get(t, "st"), *se = json_object_get(t, "se");
    json_t *segs = json_object_get(t, "segments");
    assert_string_equal(el(st, 0), "837");
    assert_int_equal(num(st, 1), first_ctl + 2);
    assert_string_equal(el(st, 2), "005010X222A1");
    assert_int_equal(num(se, 0), json_array_size(segs) + 2); /* SE01 counts ST and SE too */
    assert_string_equal(el(se, 1), el(st, 1));
    compare_claims(b, segs, o->delims.element ? o->delims.component : ':');
    json_decref(doc);
    free(out);
}

static void test_node_parses_what_we_write(void **state)
{
    (void)state;
    struct fixture f;
    unsigned long ctl = 500;
    for (size_t n = 1; n <= 3; n++) {
        fixture_init(&f, n);
        struct psy_x12_write_opts o = {.line_breaks = (int)(n % 2), .next_control = fixture_counter, .control_ud = &ctl};
        unsigned long first = ctl + 1;
        check_file(&f.batch, &o, first);
    }
    /* other delimiters, a production file */
    fixture_init(&f, 3);
    f.batch.production = 1;
    struct psy_x12_write_opts o = {.delims = {'|', '>', '!', '~'}, .line_breaks = 1, .next_control = fixture_counter,
                                   .control_ud = &ctl};
    check_file(&f.batch, &o, ctl + 1);
}

/* A larger batch: 200 claims of up to 3 lines each. */
static void test_node_large_batch(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f, 3);
    enum { N = 200 };
    struct psy_claim *claims = calloc(N, sizeof *claims);
    char (*ids)[16] = calloc(N, sizeof *ids);
    for (size_t i = 0; i < N; i++) {
        claims[i] = f.claims[i % 3];
        snprintf(ids[i], sizeof ids[i], "PC%06zu", i);
        claims[i].id = ids[i];
    }
    f.batch.claims = claims;
    f.batch.n_claims = N;
    unsigned long ctl = 7000;
    struct psy_x12_write_opts o = {.next_control = fixture_counter, .control_ud = &ctl};
    check_file(&f.batch, &o, 7001);
    free(claims);
    free(ids);
}

/* --- coordination of benefits (005010X222A1 loops 2320, 2330A, 2330B, 2430) -------------------------- */

/* The fixture's first claim (90837-95, 150.00) sent on to a secondary payer after the primary paid 100.00
 * of it: 20.00 contractual (CO 45), 30.00 coinsurance (PR 2) left to the patient; and, for a tertiary
 * claim, the secondary's adjudication after it (paid 20.00: OA 23 the prior payer's impact 100.00, CO 45
 * 20.00, PR 2 10.00). */
struct cob {
    struct psy_claim_payer second;
    struct psy_claim_subscriber sub;
    struct psy_claim_adjustment p_adj[2], s_adj[3];
    struct psy_claim_other_payer others[2];
    struct psy_claim_line_adjudication adj[2];
    struct psy_claim_line line;
    struct psy_claim claim;
};

static void cob_init(struct cob *c, struct fixture *f, int tertiary)
{
    memset(c, 0, sizeof *c);
    fixture_init(f, 1);
    c->second = (struct psy_claim_payer){tertiary ? "THIRD PLAN" : "SECOND PLAN", tertiary ? "PAYER03" : "PAYER02",
                                         "CI", {0}};
    c->sub = f->jane;
    c->sub.member_id = "SEC998877";
    c->sub.payer_sequence = tertiary ? 'T' : 'S';
    c->p_adj[0] = (struct psy_claim_adjustment){"CO", "45", 2000};
    c->p_adj[1] = (struct psy_claim_adjustment){"PR", "2", 3000};
    c->s_adj[0] = (struct psy_claim_adjustment){"OA", "23", 10000};
    c->s_adj[1] = (struct psy_claim_adjustment){"CO", "45", 2000};
    c->s_adj[2] = (struct psy_claim_adjustment){"PR", "2", 1000};
    c->others[0] = (struct psy_claim_other_payer){.sequence = 'P', .relationship = "18", .group_number = "GRP001",
                                                  .filing_indicator = "CI", .paid_cents = 10000,
                                                  .remaining_cents = 3000, .subscriber_last = "DOE",
                                                  .subscriber_first = "JANE", .member_id = "MEM123456",
                                                  .name = "EXAMPLE HEALTH PLAN", .id = "PAYER01", .date = "20260201"};
    c->others[1] = (struct psy_claim_other_payer){.sequence = 'S', .relationship = "18", .filing_indicator = "CI",
                                                  .paid_cents = 2000, .remaining_cents = 1000,
                                                  .subscriber_last = "DOE", .subscriber_first = "JANE",
                                                  .member_id = "SEC998877", .name = "SECOND PLAN", .id = "PAYER02",
                                                  .date = "20260301"};
    c->adj[0] = (struct psy_claim_line_adjudication){"PAYER01", 10000, 1, c->p_adj, 2, "20260201"};
    c->adj[1] = (struct psy_claim_line_adjudication){"PAYER02", 2000, 1, c->s_adj, 3, "20260301"};
    c->line = f->l0[0];
    c->line.adjudications = c->adj;
    c->line.n_adjudications = tertiary ? 2 : 1;
    c->claim = f->claims[0];
    c->claim.lines = &c->line;
    c->claim.subscriber = &c->sub;
    c->claim.payer = &c->second;
    c->claim.others = c->others;
    c->claim.n_others = tertiary ? 2 : 1;
    f->batch.claims = &c->claim;
    f->batch.n_claims = 1;
}

static long long cents_of(const char *v)
{
    long long c = 0;
    assert_int_equal(psy_x12_parse_cents(v, &c, NULL), PSY_OK);
    return c;
}

/* IMP: R-837-COB -- what node-x12 reads back: 2000B SBR01 of the destination payer, one 2320 per earlier
 * payer in order (SBR, AMT*D, AMT*EAF, OI, 2330A NM1*IL, 2330B NM1*PR), each line's 2430 (SVD01 = that
 * payer's 2330B id) with the line balanced (SV102 = SVD02 + its CAS) and AMT*D = the sum of its SVD02. */
static void cob_check(const struct psy_claim_batch *b, int tertiary)
{
    unsigned long ctl = 40;
    struct psy_x12_write_opts o = {.next_control = fixture_counter, .control_ud = &ctl};
    char *out = NULL, err[300];
    size_t len = 0;
    if (psy_x12_837_write(b, &o, &out, &len, err, sizeof err)) fail_msg("write: %s", err);
    int v = test_pyx12(out, len);
    if (v >= 0) {
        assert_int_equal(v, 1);
        /* and the validator does look at the loops: 2320 without its OI segment is refused */
        char *bad = strdup(out), *oi = strstr(bad, "OI***Y***Y~");
        assert_non_null(oi);
        memmove(oi, oi + 11, strlen(oi + 11) + 1);
        assert_int_equal(test_pyx12(bad, strlen(bad)), 0);
        free(bad);
    }
    json_t *doc = parse_with_node(out, len);
    json_t *ic = json_array_get(json_object_get(doc, "interchanges"), 0);
    json_t *g = json_array_get(json_object_get(ic, "groups"), 0);
    json_t *segs = json_object_get(json_array_get(json_object_get(g, "transactions"), 0), "segments");
    assert_true(json_array_size(segs) > 20);
    size_t n2320 = 0, nsvd = 0;
    long long sv1 = -1, cas = 0, svd = 0, amt_d[2] = {0};
    const char *ids[2] = {NULL, NULL};
    int sbr = 0;
    for (size_t i = 0; i < json_array_size(segs); i++) {
        json_t *s = json_array_get(segs, i);
        const char *tag = el(s, 0);
        if (!strcmp(tag, "SBR") && sbr++ == 0) assert_string_equal(el(s, 1), tertiary ? "T" : "S");
        else if (!strcmp(tag, "SBR")) {
            assert_string_equal(el(s, 1), n2320 ? "S" : "P");
            assert_string_equal(el(s, 2), "18");
            assert_string_equal(el(s, 9), "CI");
            n2320++;
        }
        if (!strcmp(tag, "AMT") && !strcmp(el(s, 1), "D")) amt_d[n2320 - 1] = cents_of(el(s, 2));
        if (!strcmp(tag, "AMT") && !strcmp(el(s, 1), "EAF"))
            assert_int_equal(cents_of(el(s, 2)), b->claims[0].others[n2320 - 1].remaining_cents);
        if (!strcmp(tag, "OI")) {
            assert_string_equal(el(s, 3), "Y");
            assert_string_equal(el(s, 6), "Y");
        }
        if (!strcmp(tag, "NM1") && !strcmp(el(s, 1), "PR") && n2320) {
            assert_string_equal(el(s, 8), "PI");
            ids[n2320 - 1] = el(s, 9);
        }
        if (!strcmp(tag, "NM1") && !strcmp(el(s, 1), "IL") && n2320)
            assert_string_equal(el(s, 9), b->claims[0].others[n2320 - 1].member_id);
        if (!strcmp(tag, "SV1")) sv1 = cents_of(el(s, 2));
        if (!strcmp(tag, "SVD")) {
            if (nsvd) {
                assert_int_equal(svd + cas, sv1); /* the previous 2430 balanced */
                assert_int_equal(svd, amt_d[nsvd - 1]);
            }
            assert_string_equal(el(s, 1), ids[nsvd]);
            assert_string_equal(el(s, 3), "HC:90837:95");
            svd = cents_of(el(s, 2));
            cas = 0;
            nsvd++;
        }
        if (!strcmp(tag, "CAS") && nsvd)
            for (size_t k = 3; k < json_array_size(s); k += 3) cas += cents_of(el(s, k));
        if (!strcmp(tag, "DTP") && !strcmp(el(s, 1), "573"))
            assert_string_equal(el(s, 3), b->claims[0].others[nsvd - 1].date);
    }
    assert_int_equal(svd + cas, sv1);
    assert_int_equal(svd, amt_d[nsvd - 1]);
    assert_int_equal(n2320, tertiary ? 2 : 1);
    assert_int_equal(nsvd, tertiary ? 2 : 1);
    json_decref(doc);
    free(out);
}

static void test_cob_loops(void **state)
{
    (void)state;
    struct fixture f;
    struct cob c;
    cob_init(&c, &f, 0);
    cob_check(&f.batch, 0);
    cob_init(&c, &f, 1);
    cob_check(&f.batch, 1);
}

/* IMP: R-837-COB-BAL -- an adjudication that does not balance is refused, naming the loop. */
static void test_cob_refused(void **state)
{
    (void)state;
    struct fixture f;
    struct cob c;
    unsigned long ctl = 90;
    struct psy_x12_write_opts o = {.next_control = fixture_counter, .control_ud = &ctl};
    char *out = NULL, err[300];
    size_t len = 0;
    cob_init(&c, &f, 0);
    c.p_adj[1].amount_cents = 2999; /* 100.00 + 20.00 + 29.99 is not the line's 150.00 */
    assert_int_equal(psy_x12_837_write(&f.batch, &o, &out, &len, err, sizeof err), PSY_EINVAL);
    assert_non_null(strstr(err, "claims[0].others[0].lines[0].adjudications[0]"));
    assert_null(out);
    cob_init(&c, &f, 0);
    c.others[0].paid_cents = 9000; /* AMT*D is not the line payments */
    assert_int_equal(psy_x12_837_write(&f.batch, &o, &out, &len, err, sizeof err), PSY_EINVAL);
    assert_non_null(strstr(err, "paid_cents"));
    cob_init(&c, &f, 0);
    c.claim.n_others = 0; /* a secondary claim without the primary's adjudication */
    c.line.n_adjudications = 0;
    assert_int_equal(psy_x12_837_write(&f.batch, &o, &out, &len, err, sizeof err), PSY_EINVAL);
    assert_non_null(strstr(err, "others"));
    cob_init(&c, &f, 0);
    c.p_adj[0].group = "XX";
    assert_int_equal(psy_x12_837_write(&f.batch, &o, &out, &len, err, sizeof err), PSY_EINVAL);
    assert_non_null(strstr(err, "group"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_parses_what_we_write),
        cmocka_unit_test(test_node_large_batch),
        cmocka_unit_test(test_cob_loops),
        cmocka_unit_test(test_cob_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
