/* test_ack.c -- acknowledgements of the 837P: the TA1, 999 (005010X231A1) and 277CA (005010X214) readers on
 * the public samples (../shared/data/x12/999, 277) and on files written by hand from the implementation
 * guides (tests/data/x12/999-*.x12, 277ca*.x12, ta1-rejected.x12); their posting to the claims of the
 * demo practice's exported batches (rejected with every error in words, accepted, posted once, unknown
 * batches and claims in suspense, malformed files changing nothing); a rejected claim rebuilt and sent
 * again with new control numbers; suspense items applied and closed; the CLI. Runs on SQLite and
 * PostgreSQL. */
#include "support.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backends.h"

struct world {
    psy_store *st;
    struct test_db db;
    psy_id pr;
    char blu[2][24]; /* two claims of the first batch (DEMOBLU01: ISA13 1, GS06 1, ST02 0001) */
    char mcr[24];    /* a claim of the second (DEMOMCR01: ISA13 2, GS06 2, ST02 0002) */
};
static struct world W;

static long long q1(const char *sql) { return test_db_count(&W.db, sql); }

static char *text_of(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    char *d = calloc(1, 1 << 17);
    *len = fread(d, 1, (1 << 17) - 1, f);
    fclose(f);
    return d;
}

/* A file of tests/data/x12 with @CLAIM1@, @CLAIM2@ replaced by claim numbers (NULL: left as written). */
static char *ack_file(const char *name, const char *c1, const char *c2, size_t *len)
{
    char path[600];
    snprintf(path, sizeof path, "%s/tests/data/x12/%s", PSY_SOURCE_DIR, name);
    size_t n;
    char *d = text_of(path, &n), *out = calloc(1, 2 * n + 64);
    const char *with[2] = {c1, c2};
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (c1 && !strncmp(d + i, "@CLAIM", 6) && (d[i + 6] == '1' || d[i + 6] == '2') && d[i + 7] == '@') {
            const char *w = with[d[i + 6] - '1'];
            memcpy(out + o, w, strlen(w));
            o += strlen(w);
            i += 8;
        } else
            out[o++] = d[i++];
    }
    free(d);
    *len = o;
    return out;
}

/* --- readers ------------------------------------------------------------------------------------ */

struct got {
    struct psy_ack_ta1 ta1[4];
    size_t n_ta1, n_999, n_277;
    char sets[8][16];        /* "<AK102>/<AK202>/<IK501>" */
    char group_ack[4][4];
    long counts[4][3];
    char words[16][600];     /* every 999 error in words */
    size_t n_words;
    char set_codes[8][8];
    struct psy_ack_277 recs[16];
    struct psy_ack_status st[16][4];
};

static psy_status g_ta1(void *ud, const struct psy_ack_ta1 *t)
{
    struct got *g = ud;
    if (g->n_ta1 < 4) g->ta1[g->n_ta1] = *t;
    g->n_ta1++;
    return PSY_OK;
}

static psy_status g_999(void *ud, const struct psy_ack_999 *a)
{
    struct got *g = ud;
    size_t k = g->n_999++;
    if (k < 4) {
        snprintf(g->group_ack[k], 4, "%s", a->ack);
        g->counts[k][0] = a->included, g->counts[k][1] = a->received, g->counts[k][2] = a->accepted;
    }
    for (size_t i = 0; i < a->n_sets; i++) {
        size_t j = 0;
        while (j < 8 && g->sets[j][0]) j++;
        if (j == 8) break;
        snprintf(g->sets[j], 16, "%lu/%s/%s", a->group_control, a->sets[i].control, a->sets[i].ack);
        snprintf(g->set_codes[j], 8, "%s", a->sets[i].codes[0]);
        for (size_t e = 0; e < a->sets[i].n_errors && g->n_words < 16; e++)
            psy_x12_ack_error_words(&a->sets[i].errors[e], g->words[g->n_words++], 600);
    }
    return PSY_OK;
}

static psy_status g_277(void *ud, const struct psy_ack_277 *c)
{
    struct got *g = ud;
    size_t k = g->n_277++;
    if (k < 16) {
        g->recs[k] = *c;
        g->recs[k].statuses = g->st[k];
        g->recs[k].n_statuses = c->n_statuses < 4 ? c->n_statuses : 4;
        for (size_t i = 0; i < g->recs[k].n_statuses; i++) g->st[k][i] = c->statuses[i];
    }
    return PSY_OK;
}

static psy_status read_ack(const char *data, size_t len, struct got *g, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    struct psy_ack_handlers h = {g_ta1, g_999, g_277, g};
    psy_x12_reader *r = psy_x12_reader_mem(data, len, 0);
    psy_status rc = psy_x12_ack_read(r, &h, err, errlen);
    psy_x12_reader_free(r);
    return rc;
}

static psy_x12_kind kind_of(const char *data, size_t len, char *version, char *err)
{
    psy_x12_kind k;
    psy_x12_reader *r = psy_x12_reader_mem(data, len, 0);
    assert_int_equal(psy_x12_detect(r, &k, version, err, 400), PSY_OK);
    psy_x12_reader_free(r);
    return k;
}

/* The public 999 samples (pyx12): acknowledgements of 834 files, every set accepted. */
static void test_999_samples(void **state)
{
    (void)state;
    char path[600], err[400], version[13];
    struct got g;
    size_t len;
    if (!test_have_shared("x12/999/pyx12/834_lui_id_5010.999.txt", path, sizeof path)) return;
    char *d = text_of(path, &len);
    assert_int_equal(kind_of(d, len, version, err), PSY_X12_KIND_999);
    assert_string_equal(version, "005010X231");
    if (read_ack(d, len, &g, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(g.n_999, 4); /* two groups of two 999 sets */
    for (int i = 0; i < 4; i++) {
        assert_string_equal(g.sets[i], "13360001/0001/A");
        assert_string_equal(g.group_ack[i], "A");
        assert_int_equal(g.counts[i][0], 1);
        assert_int_equal(g.counts[i][2], 1);
    }
    free(d);
    if (!test_have_shared("x12/999/pyx12/834_ls_le_ls_5010.999.txt", path, sizeof path)) return;
    d = text_of(path, &len); /* '!' as the repetition separator */
    if (read_ack(d, len, &g, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(g.n_999, 1);
    assert_string_equal(g.sets[0], "146/146001/A");
    free(d);
}

/* A rejected 837P transaction set written from the 999 guide: segment errors (IK3), element errors
 * (IK4, one with a component position), the business unit context (CTX*CLM01), a segment error of
 * the implementation (I4) and the set's own code (IK502 5), each in plain words. */
static void test_999_rejected_words(void **state)
{
    (void)state;
    size_t len;
    char err[400];
    struct got g;
    char *d = ack_file("999-rejected.x12", NULL, NULL, &len);
    if (read_ack(d, len, &g, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(g.n_999, 1);
    assert_string_equal(g.sets[0], "2/0002/R");
    assert_string_equal(g.set_codes[0], "5");
    assert_string_equal(g.group_ack[0], "R");
    assert_int_equal(g.counts[0][2], 0);
    assert_int_equal(g.n_words, 4);
    assert_non_null(strstr(g.words[0], "segment NM1 at position 23 (loop 2010BA), element NM109 (data element 67): "
                                       "Required data element missing (IK403 1); context CLM01:@CLAIM1@"));
    assert_non_null(strstr(g.words[1], "element CLM05-1 (data element 1331): Invalid code value (IK403 7), value '99'"));
    assert_non_null(strstr(g.words[2], "element CLM01 (data element 1028): Data element too long (IK403 5)"));
    assert_non_null(strstr(g.words[3], "segment REF at position 40 (loop 2300): Segment the implementation guide "
                                       "marks 'Not Used' is present (IK304 I4)"));
    free(d);
    /* the JSON document says the same */
    d = ack_file("999-rejected.x12", NULL, NULL, &len);
    psy_x12_reader *r = psy_x12_reader_mem(d, len, 0);
    char *doc;
    assert_int_equal(psy_x12_ack_json(r, &doc, NULL, err, sizeof err), PSY_OK);
    psy_x12_reader_free(r);
    json_t *j = json_loads(doc, 0, NULL);
    json_t *set = json_array_get(json_object_get(json_array_get(json_object_get(j, "groups"), 0), "sets"), 0);
    assert_string_equal(json_string_value(json_object_get(set, "ack_text")), "Rejected");
    assert_int_equal(json_array_size(json_object_get(set, "errors")), 4);
    json_t *e1 = json_array_get(json_object_get(set, "errors"), 1);
    assert_string_equal(json_string_value(json_object_get(e1, "element_text")), "Invalid code value");
    assert_int_equal(json_integer_value(json_object_get(e1, "component")), 1);
    json_decref(j);
    free(doc);
    free(d);
}

/* The public 277 samples (linuxforhealth, claim status responses 005010X212): claims by TRN02, the
 * payer's claim number, service dates, STC with an entity and a service line's status; the provider
 * level status of the second sample. */
static void test_277_samples(void **state)
{
    (void)state;
    char path[600], err[400], version[13];
    struct got g;
    size_t len;
    if (!test_have_shared("x12/277/linuxforhealth/claim-level-status.277", path, sizeof path)) return;
    char *d = text_of(path, &len);
    assert_int_equal(kind_of(d, len, version, err), PSY_X12_KIND_277);
    if (read_ack(d, len, &g, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(g.n_277, 3);
    assert_string_equal(g.recs[0].trace, "ABCXYZ1");
    assert_string_equal(g.recs[0].level, "22");
    assert_string_equal(g.recs[0].payer_name, "ABC INSURANCE");
    assert_string_equal(g.recs[0].payer_claim_number, "05347006051");
    assert_string_equal(g.recs[0].from, "20050831");
    assert_string_equal(g.recs[0].to, "20050906");
    assert_int_equal(g.recs[0].charge_cents, 851388);
    assert_string_equal(g.st[0][0].category, "P3");
    assert_string_equal(g.st[0][0].code, "317");
    assert_string_equal(g.recs[1].trace, "ABCXYZ2");
    assert_string_equal(g.st[1][0].category, "F0");
    assert_string_equal(g.recs[2].trace, "ABCXYC3");
    assert_string_equal(g.recs[2].level, "23");
    assert_int_equal(g.recs[2].n_statuses, 2);
    assert_string_equal(g.st[2][0].entity, "QC");
    assert_string_equal(g.st[2][1].service, "99203");
    for (int i = 0; i < 3; i++) assert_int_equal(psy_x12_277_verdict(&g.recs[i]), 0); /* pending, finalized */
    free(d);
    if (!test_have_shared("x12/277/linuxforhealth/provider-level-status.277", path, sizeof path)) return;
    d = text_of(path, &len);
    if (read_ack(d, len, &g, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(g.n_277, 2);
    assert_string_equal(g.recs[1].level, "19");
    assert_string_equal(g.st[1][0].category, "E0");
    assert_string_equal(g.st[1][0].entity, "85");
    free(d);
}

/* A 277CA written from the 005010X214 guide: receiver and provider summaries (QTY, AMT), an accepted
 * claim (A2 WQ), a rejected one (A7 U, a second status in STC10, a line's status), an unknown one. */
static void test_277ca_guide(void **state)
{
    (void)state;
    size_t len;
    char err[400], version[13];
    struct got g;
    char *d = ack_file("277ca.x12", "PC1", "PC2", &len);
    assert_int_equal(kind_of(d, len, version, err), PSY_X12_KIND_277CA);
    if (read_ack(d, len, &g, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(g.n_277, 6);
    assert_string_equal(g.recs[1].level, "21");
    assert_int_equal(g.recs[1].accepted_qty, 1);
    assert_int_equal(g.recs[1].rejected_qty, 2);
    assert_int_equal(g.recs[1].accepted_cents, 3454);
    assert_int_equal(g.recs[1].rejected_cents, 15008);
    assert_int_equal(g.recs[2].rejected_qty, 2); /* QTY*QC at the provider level */
    assert_string_equal(g.recs[3].trace, "PC1");
    assert_int_equal(psy_x12_277_verdict(&g.recs[3]), 1);
    assert_string_equal(g.recs[3].payer_claim_number, "2026092000001");
    assert_string_equal(g.recs[4].trace, "PC2");
    assert_int_equal(psy_x12_277_verdict(&g.recs[4]), -1);
    assert_string_equal(g.recs[4].action, "U");
    assert_int_equal(g.recs[4].n_statuses, 3);
    assert_string_equal(g.st[4][1].code, "164");
    assert_string_equal(g.st[4][2].service, "90837");
    assert_string_equal(g.recs[4].from, "20260106");
    assert_int_equal(psy_x12_277_verdict(&g.recs[5]), -1);
    free(d);
}

/* Malformed acknowledgements are refused with the segment and element; every kind is detected. */
static void test_malformed_and_kinds(void **state)
{
    (void)state;
    static const struct { const char *file, *want; } bad[] = {
        {"999-bad-ik5.x12", "segment 6 (IK5) element IK501: 'Q' is not an acknowledgement code"},
        {"999-ik4-alone.x12", "segment 6 (IK4): an element error without its segment (IK3 missing)"},
        {"277ca-stc-orphan.x12", "segment 7 (STC): a status without its trace number (TRN missing)"},
    };
    struct got g;
    char err[400], version[13];
    size_t len;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *d = ack_file(bad[i].file, NULL, NULL, &len);
        assert_int_equal(read_ack(d, len, &g, err, sizeof err), PSY_EPARSE);
        if (!strstr(err, bad[i].want)) fail_msg("%s: %s", bad[i].file, err);
        free(d);
    }
    char *d = ack_file("ta1-rejected.x12", NULL, NULL, &len);
    assert_int_equal(kind_of(d, len, version, err), PSY_X12_KIND_TA1);
    if (read_ack(d, len, &g, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(g.n_ta1, 1);
    assert_int_equal(g.ta1[0].control, 2);
    assert_string_equal(g.ta1[0].note, "024");
    free(d);
    d = ack_file("835-small.x12", NULL, NULL, &len);
    assert_int_equal(kind_of(d, len, version, err), PSY_X12_KIND_835);
    free(d);
    char path[600];
    if (test_have_shared("x12/270-271/linuxforhealth/subscriber-health-benefit-check.271", path, sizeof path)) {
        d = text_of(path, &len);
        assert_int_equal(kind_of(d, len, version, err), PSY_X12_KIND_271);
        free(d);
    }
    assert_int_equal(kind_of("hello", 5, version, err), PSY_X12_KIND_UNKNOWN);
    assert_non_null(strstr(err, "not X12"));
    /* every entry of data/x12/ack.json is a non-empty text under a short code, and the look-up finds it */
    size_t n;
    const char *tab = psy_data_get("x12/ack.json", &n);
    json_t *root = json_loadb(tab, n, 0, NULL);
    static const char *const keys[] = {"ack", "segment_errors", "element_errors", "set_errors", "group_errors",
                                       "interchange_notes", "status_categories", "status_codes", "entities"};
    for (int k = 0; k < 9; k++) {
        json_t *obj = json_object_get(root, keys[k]), *v;
        const char *code;
        psy_x12_text_kind kind = (psy_x12_text_kind)(PSY_X12_TEXT_ACK + k);
        assert_true(json_object_size(obj) > 0);
        assert_int_equal(psy_x12_describe_count(kind), json_object_size(obj));
        json_object_foreach(obj, code, v) assert_string_equal(psy_x12_describe(kind, code), json_string_value(v));
    }
    json_decref(root);
    /* the code tables name their codes in the lists' words */
    assert_string_equal(psy_x12_describe(PSY_X12_TEXT_ELEMENT_ERROR, "7"), "Invalid code value");
    assert_string_equal(psy_x12_describe(PSY_X12_TEXT_SEGMENT_ERROR, "3"), "Required segment missing");
    assert_string_equal(psy_x12_describe(PSY_X12_TEXT_ACK, "P"), "Partially accepted: at least one transaction set was rejected");
    assert_non_null(strstr(psy_x12_describe(PSY_X12_TEXT_STATUS_CATEGORY, "A7"), "rejected for invalid information"));
    assert_string_equal(psy_x12_describe(PSY_X12_TEXT_STATUS_CODE, "21"), "Missing or invalid information");
    assert_true(psy_x12_describe_count(PSY_X12_TEXT_STATUS_CATEGORY) >= 20);
}

/* --- posting ------------------------------------------------------------------------------------ */

static void close_world(void)
{
    if (!W.st) return;
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

/* The demo practice, built, with one 837P batch sent to each of two payers. */
static void world_up(void **state)
{
    close_world();
    test_db_make(*state, &W.db);
    W.st = test_db_open(&W.db, 1);
    struct psy_demo_opts o = {.seed = 11, .end_date = "2026-03-31", .weeks = 2, .clients = 12, .groups = 1, .clean = 1};
    struct psy_demo_result r;
    assert_int_equal(psy_records_demo(W.st, &o, &r), PSY_OK);
    free(r.problems);
    W.pr = r.practice_id;
    assert_int_equal(psy_billing_set_contact(W.st, W.pr, "5555550100"), PSY_OK);
    psy_coder *cx;
    char err[400];
    assert_int_equal(psy_coding_open(W.st, &cx, err, sizeof err), PSY_OK);
    struct psy_billing_build_result b;
    assert_int_equal(psy_billing_build(W.st, cx, W.pr, NULL, NULL, &b), PSY_OK);
    psy_coding_close(cx);
    const char *payers[2] = {"DEMOBLU01", "DEMOMCR01"};
    for (int i = 0; i < 2; i++) {
        char *out;
        size_t len, n;
        psy_id batch;
        if (psy_billing_export_batch(W.st, W.pr, 0, payers[i], &out, &len, &n, &batch, err, sizeof err))
            fail_msg("export %s: %s", payers[i], err);
        assert_true(n >= 2);
        free(out);
        char sql[300];
        snprintf(sql, sizeof sql, "SELECT c.claim_number FROM claim c JOIN claim_batch_claim bc ON bc.claim_id = c.id "
                 "WHERE bc.batch_id = %lld ORDER BY c.id", (long long)batch);
        char *num = test_db_text(&W.db, sql);
        snprintf(i ? W.mcr : W.blu[0], 24, "%s", num);
        free(num);
        if (!i) {
            snprintf(sql, sizeof sql, "SELECT max(c.claim_number) FROM claim c JOIN claim_batch_claim bc ON bc.claim_id "
                     "= c.id WHERE bc.batch_id = %lld", (long long)batch);
            num = test_db_text(&W.db, sql);
            snprintf(W.blu[1], 24, "%s", num);
            free(num);
        }
    }
    assert_int_equal(q1("SELECT count(*) FROM claim_batch WHERE isa13 = 1 AND gs06 = 1 AND st02 = '0001'"), 1);
    assert_int_equal(q1("SELECT count(*) FROM claim_batch WHERE isa13 = 2 AND gs06 = 2 AND st02 = '0002'"), 1);
}

static psy_status post(const char *name, const char *c1, const char *c2, struct psy_billing_ack_result *r, char *err)
{
    size_t len;
    char *d = ack_file(name, c1, c2, &len);
    psy_status rc = psy_billing_ack_post(W.st, W.pr, name, d, len, r, err, 600);
    free(d);
    return rc;
}

#define MCR_BATCH "(SELECT claim_id FROM claim_batch_claim WHERE batch_id = (SELECT id FROM claim_batch WHERE isa13 = 2))"
#define BLU_BATCH "(SELECT claim_id FROM claim_batch_claim WHERE batch_id = (SELECT id FROM claim_batch WHERE isa13 = 1))"

/* A TA1 rejecting the second interchange, then the 999 rejecting its transaction set: every claim of
 * that batch rejected, every error kept in words; the first batch's 999 accepts its claims. */
static void test_post_ta1_999(void **state)
{
    (void)state;
    struct psy_billing_ack_result r;
    char err[600];
    long long mcr = q1("SELECT count(*) FROM claim WHERE id IN " MCR_BATCH);
    long long blu = q1("SELECT count(*) FROM claim WHERE id IN " BLU_BATCH);
    if (post("ta1-rejected.x12", NULL, NULL, &r, err)) fail_msg("%s", err);
    assert_string_equal(r.kind, "TA1");
    assert_int_equal(r.rejected, mcr);
    assert_int_equal(q1("SELECT count(*) FROM claim WHERE status = 'rejected' AND id IN " MCR_BATCH), mcr);
    assert_int_equal(q1("SELECT count(*) FROM claim_status_history WHERE to_status = 'rejected' AND reason LIKE "
                        "'%Invalid interchange content%TA105 024%'"), mcr);
    if (post("999-rejected.x12", W.mcr, W.mcr, &r, err)) fail_msg("%s", err);
    assert_string_equal(r.kind, "999");
    assert_int_equal(r.rejected, 0);
    assert_int_equal(r.unchanged, mcr); /* rejected already: the verdict is kept, the state stays */
    assert_int_equal(r.errors, 5 * mcr);
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claim_ack a JOIN claim c ON c.id = a.claim_id WHERE a.kind = '999' "
             "AND a.verdict = 'rejected' AND a.errors LIKE '%%NM109%%Required data element missing%%CLM01:%s%%'", W.mcr);
    assert_int_equal(q1(sql), mcr);
    /* the same file again: nothing changes */
    long long acks = q1("SELECT count(*) FROM claim_ack");
    assert_int_equal(post("999-rejected.x12", W.mcr, W.mcr, &r, err), PSY_OK);
    assert_int_equal(r.already_posted, 1);
    assert_int_equal(q1("SELECT count(*) FROM claim_ack"), acks);
    if (post("999-accepted.x12", NULL, NULL, &r, err)) fail_msg("%s", err);
    assert_int_equal(r.accepted, blu);
    assert_int_equal(q1("SELECT count(*) FROM claim WHERE status = 'accepted' AND id IN " BLU_BATCH), blu);
    assert_int_equal(q1("SELECT count(*) FROM suspense_item"), 0);
}

/* A 277CA: the first claim accepted (already, by the 999: unchanged, its payer number kept), the second
 * rejected with its statuses in words, an unknown claim in suspense with its segment; the same content
 * in another layout posts as a new file but changes nothing. */
static void test_post_277ca(void **state)
{
    (void)state;
    struct psy_billing_ack_result r;
    char err[600], sql[400];
    if (post("277ca.x12", W.blu[0], W.blu[1], &r, err)) fail_msg("%s", err);
    assert_string_equal(r.kind, "277CA");
    assert_int_equal(r.rejected, 1);
    assert_int_equal(r.unchanged, 1);
    assert_int_equal(r.suspense, 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claim WHERE claim_number = '%s' AND status = 'rejected'", W.blu[1]);
    assert_int_equal(q1(sql), 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claim_status_history h JOIN claim c ON c.id = h.claim_id WHERE "
             "c.claim_number = '%s' AND h.from_status = 'accepted' AND h.to_status = 'rejected' AND h.reason LIKE "
             "'%%rejected for invalid information%%Missing or invalid information%%'", W.blu[1]);
    assert_int_equal(q1(sql), 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claim_ack a JOIN claim c ON c.id = a.claim_id WHERE "
             "c.claim_number = '%s' AND a.payer_claim_number = '2026092000001' AND a.verdict = 'accepted'", W.blu[0]);
    assert_int_equal(q1(sql), 1);
    assert_int_equal(q1("SELECT count(*) FROM suspense_item WHERE source = '277CA' AND claim_number = 'PCX0000009' AND "
                        "segment_text LIKE '%TRN*2*PCX0000009%' AND ack_verdict = 'rejected'"), 1);
    /* the same acknowledgement with a line break after every segment */
    size_t len;
    char *d = ack_file("277ca.x12", W.blu[0], W.blu[1], &len), *d2 = calloc(1, 2 * len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (d[i] == '\n') continue;
        d2[o++] = d[i];
        if (d[i] == '~') d2[o++] = '\r', d2[o++] = '\n';
    }
    long long acks = q1("SELECT count(*) FROM claim_ack"), hist = q1("SELECT count(*) FROM claim_status_history");
    assert_int_equal(psy_billing_ack_post(W.st, W.pr, "again.277", d2, o, &r, err, 600), PSY_OK);
    assert_int_equal(r.already_posted, 0);
    assert_int_equal(r.rejected + r.accepted + r.suspense, 0);
    assert_int_equal(q1("SELECT count(*) FROM claim_ack"), acks);
    assert_int_equal(q1("SELECT count(*) FROM claim_status_history"), hist);
    assert_int_equal(q1("SELECT count(*) FROM suspense_item"), 1);
    free(d);
    free(d2);
}

/* A malformed acknowledgement, a file of another kind, an empty one: refused, nothing written. */
static void test_post_refused(void **state)
{
    (void)state;
    struct psy_billing_ack_result r;
    char err[600];
    long long files = q1("SELECT count(*) FROM era_file"), acks = q1("SELECT count(*) FROM claim_ack");
    /* valid up to the bad IK5 of the second set: the first set's verdict is not kept either */
    static const char two[] = "ISA*00*          *00*          *ZZ*DEMOBLU01      *ZZ*2454506827     *260401*1200*^*00501*"
                              "000007009*0*P*:~GS*FA*DEMOBLU01*2454506827*20260401*1200*7009*X*005010X231A1~"
                              "ST*999*0001*005010X231A1~AK1*HC*2*005010X222A1~AK2*837*0002*005010X222A1~IK5*A~"
                              "AK9*A*1*1*1~SE*6*0001~ST*999*0002*005010X231A1~AK1*HC*1*005010X222A1~"
                              "AK2*837*0001*005010X222A1~IK5*Z~AK9*A*1*1*1~SE*6*0002~GE*2*7009~IEA*1*000007009~";
    assert_int_equal(psy_billing_ack_post(W.st, W.pr, NULL, two, sizeof two - 1, &r, err, sizeof err), PSY_EPARSE);
    assert_non_null(strstr(err, "segment 12 (IK5) element IK501"));
    assert_int_equal(post("999-ik4-alone.x12", NULL, NULL, &r, err), PSY_EPARSE);
    assert_non_null(strstr(err, "(IK4)"));
    assert_int_equal(post("835-small.x12", NULL, NULL, &r, err), PSY_EINVAL);
    assert_non_null(strstr(err, "835"));
    assert_int_equal(psy_billing_ack_post(W.st, W.pr, NULL, " \n", 2, &r, err, sizeof err), PSY_EPARSE);
    assert_int_equal(q1("SELECT count(*) FROM era_file"), files);
    assert_int_equal(q1("SELECT count(*) FROM claim_ack"), acks);
    assert_int_equal(q1("SELECT count(*) FROM claim WHERE status = 'rejected' AND id IN " MCR_BATCH),
                     q1("SELECT count(*) FROM claim WHERE id IN " MCR_BATCH));
}

/* The rejected claim, corrected, is made ready and sent again in a new batch with new control numbers;
 * its page shows both rounds. A claim in another state is not rebuilt. */
static void test_rebuild_round(void **state)
{
    (void)state;
    psy_id id, other;
    assert_int_equal(psy_billing_claim_find(W.st, W.pr, W.blu[1], &id), PSY_OK);
    assert_int_equal(psy_billing_claim_find(W.st, W.pr, "PCX0000009", &other), PSY_ENOTFOUND);
    assert_int_equal(psy_billing_claim_find(W.st, W.pr, W.blu[0], &other), PSY_OK);
    assert_int_equal(psy_billing_claim_rebuild(W.st, W.pr, other, NULL), PSY_EINVAL);
    assert_non_null(strstr(psy_store_errmsg(W.st), "accepted"));
    assert_int_equal(psy_billing_claim_rebuild(W.st, W.pr, id, "subscriber id corrected"), PSY_OK);
    char sql[300], err[400];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claim WHERE id = %lld AND status = 'ready'", (long long)id);
    assert_int_equal(q1(sql), 1);
    char *out;
    size_t len, n;
    psy_id batch;
    if (psy_billing_export_batch(W.st, W.pr, 0, "DEMOBLU01", &out, &len, &n, &batch, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(n, 1);
    assert_non_null(strstr(out, "*000000003*")); /* ISA13: a new interchange control number */
    assert_non_null(strstr(out, "ST*837*0003*"));
    assert_non_null(strstr(out, W.blu[1]));       /* CLM01 stays: a new original of the same claim */
    free(out);
    char *doc;
    assert_int_equal(psy_billing_claim_json(W.st, W.pr, id, &doc, &len), PSY_OK);
    json_t *j = json_loads(doc, 0, NULL);
    free(doc);
    assert_int_equal(json_array_size(json_object_get(j, "batches")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(j, "batches"), 1), "isa13")), 3);
    json_t *acks = json_object_get(j, "acknowledgements");
    assert_int_equal(json_array_size(acks), 2); /* the 999's acceptance, the 277CA's rejection */
    json_t *rej = json_array_get(acks, 1);
    assert_string_equal(json_string_value(json_object_get(rej, "verdict")), "rejected");
    assert_true(json_array_size(json_object_get(rej, "errors")) == 3);
    const char *path[] = {"ready", "submitted", "accepted", "rejected", "draft", "ready", "submitted"};
    json_t *hist = json_object_get(j, "history");
    assert_int_equal(json_array_size(hist), 7);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(hist, i), "to")), path[i]);
    json_decref(j);
}

/* Suspense items applied to a claim by hand (the verdict posted to it) or closed with a reason. */
static void test_suspense(void **state)
{
    (void)state;
    struct psy_billing_suspense *v;
    size_t n;
    assert_int_equal(psy_billing_suspense_list(W.st, W.pr, 0, &v, &n), PSY_OK);
    assert_int_equal(n, 1);
    psy_id item = v[0].id;
    assert_string_equal(v[0].source, "277CA");
    assert_string_equal(v[0].verdict, "rejected");
    assert_non_null(strstr(v[0].segment, "TRN*2*PCX0000009"));
    free(v);
    assert_int_equal(psy_billing_suspense_apply(W.st, W.pr, item, "PCX0000009"), PSY_ENOTFOUND);
    /* another practice reaches neither the item nor the claim */
    assert_int_equal(psy_billing_suspense_apply(W.st, W.pr + 1000, item, W.blu[0]), PSY_ENOTFOUND);
    assert_int_equal(psy_billing_suspense_close(W.st, W.pr + 1000, item, "not ours"), PSY_ENOTFOUND);
    psy_id cid;
    assert_int_equal(psy_billing_claim_find(W.st, W.pr + 1000, W.blu[0], &cid), PSY_ENOTFOUND);
    assert_int_equal(psy_billing_claim_find(W.st, W.pr, W.blu[0], &cid), PSY_OK);
    assert_int_equal(psy_billing_claim_rebuild(W.st, W.pr + 1000, cid, NULL), PSY_ENOTFOUND);
    assert_int_equal(psy_billing_suspense_apply(W.st, W.pr, item + 100, W.blu[0]), PSY_ENOTFOUND);
    assert_int_equal(psy_billing_suspense_apply(W.st, W.pr, item, W.blu[0]), PSY_OK);
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claim WHERE claim_number = '%s' AND status = 'rejected'", W.blu[0]);
    assert_int_equal(q1(sql), 1);
    assert_int_equal(psy_billing_suspense_apply(W.st, W.pr, item, W.blu[0]), PSY_ECONFLICT);
    assert_int_equal(psy_billing_suspense_close(W.st, W.pr, item, "twice"), PSY_ECONFLICT);
    /* a 999 for a group never sent goes to suspense; it is closed with a reason */
    static const char group[] = "ISA*00*          *00*          *ZZ*DEMOBLU01      *ZZ*2454506827     *260401*1200*^*00501*"
                                "000007010*0*P*:~GS*FA*DEMOBLU01*2454506827*20260401*1200*7010*X*005010X231A1~"
                                "ST*999*0001*005010X231A1~AK1*HC*77*005010X222A1~AK9*R*1*1*0*2~SE*4*0001~GE*1*7010~"
                                "IEA*1*000007010~";
    struct psy_billing_ack_result r;
    char err[600];
    assert_int_equal(psy_billing_ack_post(W.st, W.pr, NULL, group, sizeof group - 1, &r, err, sizeof err), PSY_OK);
    assert_int_equal(r.suspense, 1);
    assert_int_equal(psy_billing_suspense_list(W.st, W.pr, 0, &v, &n), PSY_OK);
    assert_int_equal(n, 1);
    item = v[0].id;
    assert_non_null(strstr(v[0].why, "GS06 77"));
    assert_non_null(strstr(v[0].why, "Functional group version not supported"));
    free(v);
    assert_int_equal(psy_billing_suspense_close(W.st, W.pr, item, ""), PSY_EINVAL);
    assert_int_equal(psy_billing_suspense_close(W.st, W.pr, item, "sent by another system"), PSY_OK);
    assert_int_equal(psy_billing_suspense_list(W.st, W.pr, 1, &v, &n), PSY_OK);
    assert_int_equal(n, 2);
    assert_string_equal(v[1].resolution, "closed: sent by another system");
    assert_true(v[0].resolved && v[1].resolved);
    free(v);
}

static void cli(const char *args, int status, const char *want_out, const char *want_err)
{
    char line[900], *out = NULL, *err = NULL;
    snprintf(line, sizeof line, "%s --db '%s'", args, W.db.uri);
    int rc = test_run_cli(line, NULL, &out, &err);
    if (rc != status) fail_msg("'%s' exited %d: %s", args, rc, err ? err : "");
    if (want_out && !strstr(out, want_out)) fail_msg("'%s' printed %s", args, out);
    if (want_err && !strstr(err, want_err)) fail_msg("'%s' said %s", args, err);
    free(out);
    free(err);
}

static void test_cli(void **state)
{
    (void)state;
    cli("ack post " PSY_SOURCE_DIR "/tests/data/x12/999-accepted.x12", 0, "was posted before; nothing changed", NULL);
    cli("ack post --json " PSY_SOURCE_DIR "/tests/data/x12/999-bad-ik5.x12", 1, NULL, "segment 6 (IK5) element IK501");
    cli("ack post " PSY_SOURCE_DIR "/tests/data/x12/ta1-rejected.x12 " PSY_SOURCE_DIR "/x", 2, NULL, "one FILE");
    cli("suspense list --all --json", 0, "\"resolution\": \"closed: sent by another system\"", NULL);
    cli("suspense close 1", 2, NULL, "--reason");
    cli("suspense apply 1 --claim X", 1, NULL, "already resolved");
    char args[200];
    snprintf(args, sizeof args, "claims rebuild %s", W.mcr);
    cli(args, 0, "is ready", NULL);
    cli("claims rebuild NOSUCH", 1, NULL, "no claim numbered NOSUCH");
    char *out = NULL;
    assert_int_equal(test_run_cli("x12 read " PSY_SOURCE_DIR "/tests/data/x12/999-rejected.x12", NULL, &out, NULL), 0);
    assert_non_null(strstr(out, "Invalid code value (IK403 7)"));
    free(out);
    assert_int_equal(test_run_cli("x12 read --json " PSY_SOURCE_DIR "/tests/data/x12/277ca.x12", NULL, &out, NULL), 0);
    assert_non_null(strstr(out, "\"kind\": \"277CA\""));
    free(out);
    assert_int_equal(test_run_cli("x12 read " PSY_SOURCE_DIR "/tests/data/x12/999-ik4-alone.x12", NULL, &out, NULL), 1);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_999_samples),  cmocka_unit_test(test_999_rejected_words),
        cmocka_unit_test(test_277_samples),  cmocka_unit_test(test_277ca_guide),
        cmocka_unit_test(test_malformed_and_kinds), cmocka_unit_test(world_up),
        cmocka_unit_test(test_post_ta1_999), cmocka_unit_test(test_post_277ca),
        cmocka_unit_test(test_post_refused), cmocka_unit_test(test_rebuild_round),
        cmocka_unit_test(test_suspense),     cmocka_unit_test(test_cli),
    };
    return test_run_on_backends("ack", tests, sizeof tests / sizeof *tests, NULL, teardown);
}
