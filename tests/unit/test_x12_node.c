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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_parses_what_we_write),
        cmocka_unit_test(test_node_large_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
