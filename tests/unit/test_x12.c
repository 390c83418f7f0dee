/* test_x12.c -- X12: segment reader, 837P writer and preflight, 835 reader, structure check, claim
 * lifecycle, and the `era` and `x12` commands. */
#include "support.h"
#include "fixture_claims.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SYNTHETIC_835 PSY_SOURCE_DIR "/tests/data/x12/835-two-interchanges.x12"

static psy_status always_one(void *ud, psy_x12_control kind, unsigned long *out)
{
    (void)ud;
    (void)kind;
    *out = 1;
    return PSY_OK;
}

/* Writes the fixture's batch; returns the text (free it). Not inlined: GCC's dangling-pointer analysis
 * at -O3 mistakes the returned buffer for the local that received it. */
__attribute__((noinline)) static char *write_batch(const struct psy_claim_batch *b, psy_x12_control_fn fn, void *ud, int breaks)
{
    struct psy_x12_write_opts o = {.line_breaks = breaks, .next_control = fn, .control_ud = ud};
    char *out, err[300];
    size_t len;
    psy_status rc = psy_x12_837_write(b, &o, &out, &len, err, sizeof err);
    if (rc) fprintf(stderr, "write: %s\n", err);
    assert_int_equal(rc, PSY_OK);
    assert_int_equal(strlen(out), len);
    return out;
}

/* --- lifecycle and validators ---------------------------------------------------------------- */

static void test_npi_and_dates(void **state)
{
    (void)state;
    /* EVIDENCE: R-NPI-1 (domain 5.5 examples) */
    assert_true(psy_npi_valid("1234567893"));
    assert_true(psy_npi_valid("1245319599"));
    assert_true(psy_npi_valid("6543210903"));
    assert_false(psy_npi_valid("1234567890"));
    assert_false(psy_npi_valid("1245319598"));
    assert_false(psy_npi_valid("123456789"));
    assert_false(psy_npi_valid("12345678931"));
    assert_false(psy_npi_valid("12345A7893"));
    assert_false(psy_npi_valid(NULL));
    assert_true(psy_date_valid("20240229"));
    assert_false(psy_date_valid("20230229"));
    assert_false(psy_date_valid("20261301"));
    assert_false(psy_date_valid("2026011"));
    assert_false(psy_date_valid("2026-1-1"));
}

static void test_lifecycle(void **state)
{
    (void)state;
    char why[200];
    static const psy_claim_state path[] = {PSY_CLAIM_DRAFT, PSY_CLAIM_READY, PSY_CLAIM_SUBMITTED, PSY_CLAIM_ACCEPTED,
                                           PSY_CLAIM_PARTIALLY_PAID, PSY_CLAIM_CLOSED};
    for (size_t i = 0; i + 1 < sizeof path / sizeof path[0]; i++)
        assert_int_equal(psy_claim_transition(path[i], path[i + 1], why, sizeof why), PSY_OK);
    assert_int_equal(psy_claim_transition(PSY_CLAIM_SUBMITTED, PSY_CLAIM_REJECTED, why, sizeof why), PSY_OK);
    assert_int_equal(psy_claim_transition(PSY_CLAIM_REJECTED, PSY_CLAIM_DRAFT, why, sizeof why), PSY_OK);
    assert_int_equal(psy_claim_transition(PSY_CLAIM_DRAFT, PSY_CLAIM_SUBMITTED, why, sizeof why), PSY_EINVAL);
    assert_non_null(strstr(why, "from draft to submitted"));
    assert_non_null(strstr(why, "ready"));
    assert_int_equal(psy_claim_transition(PSY_CLAIM_SUBMITTED, PSY_CLAIM_PAID, why, sizeof why), PSY_EINVAL);
    assert_non_null(strstr(why, "accepted, rejected"));
    assert_int_equal(psy_claim_transition(PSY_CLAIM_CLOSED, PSY_CLAIM_DRAFT, why, sizeof why), PSY_EINVAL);
    assert_non_null(strstr(why, "final"));
    assert_int_equal(psy_claim_transition(PSY_CLAIM_PAID, PSY_CLAIM_PAID, NULL, 0), PSY_EINVAL);
    assert_int_equal(psy_claim_transition((psy_claim_state)99, PSY_CLAIM_PAID, why, sizeof why), PSY_EINVAL);
    psy_claim_state s;
    for (int i = 0; i < PSY_CLAIM_STATE_COUNT; i++) {
        assert_int_equal(psy_claim_state_parse(psy_claim_state_name((psy_claim_state)i), &s), PSY_OK);
        assert_int_equal(s, i);
    }
    assert_int_equal(psy_claim_state_parse("paid_in_part", &s), PSY_EINVAL);
}

/* --- money ------------------------------------------------------------------------------------ */

/* The checked helpers refuse what does not fit in 64 bits (2^63 - 1 = 9223372036854775807) and the
 * people's format groups thousands. */
static void test_cents_checked(void **state)
{
    (void)state;
    long long v = 7;
    assert_int_equal(psy_cents_add(9223372036854775807LL, 1, &v), -1);
    assert_int_equal(v, 7); /* untouched */
    assert_int_equal(psy_cents_sub(-9223372036854775807LL - 1, 1, &v), -1);
    assert_int_equal(psy_cents_mul(4611686018427387904LL, 2, &v), -1);
    assert_int_equal(psy_cents_mul(-3, 5, &v), 0);
    assert_int_equal(v, -15);
    const long long big[] = {9000000000000000000LL, 300000000000000000LL, -500000000000000000LL};
    assert_int_equal(psy_cents_sum(big, 3, &v), -1); /* the partial sum passes 2^63 - 1 */
    const long long ok[] = {150, -25, 1000};
    assert_int_equal(psy_cents_sum(ok, 3, &v), 0);
    assert_int_equal(v, 1125);
    int over = 0;
    long long acc = 9223372036854775800LL;
    psy_cents_acc(&acc, 100, &over);
    psy_cents_acc(&acc, -100, &over); /* sticky: no longer adds */
    assert_int_equal(over, 1);
    char out[PSY_CENTS_TEXT_MAX];
    assert_string_equal(psy_cents_format(123456, out), "$1,234.56");
    assert_string_equal(psy_cents_format(-5, out), "-$0.05");
    assert_string_equal(psy_cents_format(0, out), "$0.00");
    assert_string_equal(psy_cents_format(99999999, out), "$999,999.99");
    assert_string_equal(psy_cents_format(-9223372036854775807LL - 1, out), "-$92,233,720,368,547,758.08");
    const char *why = NULL;
    assert_int_equal(psy_cents_parse("", &v, &why), PSY_EINVAL);
    assert_string_equal(why, "is empty");
    assert_int_equal(psy_cents_parse("1234567890123456", &v, &why), PSY_EINVAL);
    assert_int_equal(psy_cents_parse("999999999999999.99", &v, NULL), PSY_OK);
    assert_int_equal(v, 99999999999999999LL);
}

static void test_cents(void **state)
{
    (void)state;
    static const struct { const char *in; long long cents; } ok[] = {
        {"150", 15000}, {"150.5", 15050}, {"150.05", 15005}, {"0", 0},    {"-1.27", -127}, {".5", 50},
        {"5.", 500},    {"12.340", 1234}, {"0.01", 1},       {"-0", 0},   {"999999999999999.99", 99999999999999999LL},
    };
    static const char *const bad[] = {"", "-", ".", "1.234", "12a", "1,00", "+5", "1.2.3", "1e5", " 5", "1234567890123456"};
    long long v;
    const char *why;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(psy_x12_parse_cents(ok[i].in, &v, &why), PSY_OK);
        assert_true(v == ok[i].cents);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(psy_x12_parse_cents(bad[i], &v, &why), PSY_EINVAL);
    char out[32];
    static const struct { long long c; const char *s; } fmt[] = {
        {15000, "150"}, {15050, "150.5"}, {15005, "150.05"}, {0, "0"}, {-127, "-1.27"}, {1, "0.01"}, {-50, "-0.5"}};
    for (size_t i = 0; i < sizeof fmt / sizeof fmt[0]; i++) {
        psy_x12_format_cents(fmt[i].c, out);
        assert_string_equal(out, fmt[i].s);
        assert_int_equal(psy_x12_parse_cents(out, &v, NULL), PSY_OK);
        assert_true(v == fmt[i].c);
    }
}

/* --- segment reader --------------------------------------------------------------------------- */

static const char tiny[] = "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260101*1200*^*00501*"
                           "000000001*0*P*:~GS*HP*A*B*20260101*1200*1*X*005010X221A1~ST*835*0001~"
                           "SVC*HC:90837:95:GT*150*100~SE*3*0001~GE*1*1~IEA*1*000000001~";

static void test_reader_delimiters(void **state)
{
    (void)state;
    psy_x12_reader *r = psy_x12_reader_mem(tiny, sizeof tiny - 1, 0);
    const struct psy_x12_segment *s;
    assert_int_equal(psy_x12_next(r, &s), PSY_OK);
    assert_string_equal(s->id, "ISA");
    assert_int_equal(s->n, 16);
    assert_string_equal(psy_x12_element(s, 13), "000000001");
    assert_string_equal(psy_x12_element(s, 6), "A              ");
    const struct psy_x12_delims *d = psy_x12_reader_delims(r);
    assert_int_equal(d->element, '*');
    assert_int_equal(d->component, ':');
    assert_int_equal(d->repetition, '^');
    assert_int_equal(d->segment, '~');
    for (int i = 0; i < 3; i++) assert_int_equal(psy_x12_next(r, &s), PSY_OK);
    assert_string_equal(s->id, "SVC");
    assert_int_equal(s->number, 4);
    char c[16];
    assert_int_equal(psy_x12_component(psy_x12_element(s, 1), d->component, 2, c, sizeof c), 5);
    assert_string_equal(c, "90837");
    psy_x12_component(psy_x12_element(s, 1), d->component, 4, c, sizeof c);
    assert_string_equal(c, "GT");
    assert_int_equal(psy_x12_component(psy_x12_element(s, 1), d->component, 5, c, sizeof c), 0);
    assert_string_equal(c, "");
    assert_string_equal(psy_x12_element(s, 9), "");
    while (s) assert_int_equal(psy_x12_next(r, &s), PSY_OK);
    assert_int_equal(psy_x12_reader_bytes(r), sizeof tiny - 1);
    psy_x12_reader_free(r);
}

/* The same interchange with a UTF-8 BOM, CRLF and indentation, lower case ids, as UTF-16LE, and with
 * newline terminators: every variant yields the same segments. */
static void test_reader_variants(void **state)
{
    (void)state;
    char base[1024], *variants[5];
    size_t lens[5];
    snprintf(base, sizeof base, "%s", tiny);
    /* 0: as is; 1: BOM + CRLF + indentation; 2: lower-case ids; 3: UTF-16LE with BOM; 4: newlines */
    variants[0] = strdup(base), lens[0] = strlen(base);
    struct { char *p; size_t n; } v = {malloc(4096), 0};
    memcpy(v.p, "\xEF\xBB\xBF", 3), v.n = 3;
    for (const char *p = base; *p; p++) {
        v.p[v.n++] = *p;
        if (*p == '~') memcpy(v.p + v.n, "\r\n    ", 6), v.n += 6;
    }
    variants[1] = v.p, lens[1] = v.n;
    variants[2] = strdup(base), lens[2] = strlen(base);
    for (char *p = strstr(variants[2], "~GS"); p; p = strchr(p + 1, '~'))
        for (char *q = p + 1; *q && *q != '*' && *q != '~'; q++) *q = (char)(*q | 0x20);
    variants[3] = malloc(2 + 2 * strlen(base)), lens[3] = 2 + 2 * strlen(base);
    variants[3][0] = (char)0xFF, variants[3][1] = (char)0xFE;
    for (size_t i = 0; base[i]; i++) variants[3][2 + 2 * i] = base[i], variants[3][3 + 2 * i] = 0;
    variants[4] = strdup(base), lens[4] = strlen(base);
    for (char *p = variants[4]; *p; p++)
        if (*p == '~') *p = '\n';
    for (int k = 0; k < 5; k++) {
        psy_x12_reader *r = psy_x12_reader_mem(variants[k], lens[k], 0);
        const struct psy_x12_segment *s;
        static const char *const ids[] = {"ISA", "GS", "ST", "SVC", "SE", "GE", "IEA"};
        for (int i = 0; i < 7; i++) {
            psy_status rc = psy_x12_next(r, &s);
            if (rc) fprintf(stderr, "variant %d: %s\n", k, psy_x12_reader_error(r));
            assert_int_equal(rc, PSY_OK);
            assert_non_null(s);
            assert_string_equal(s->id, ids[i]);
            if (i == 3) assert_string_equal(psy_x12_element(s, 2), "150");
            if (i == 6) assert_string_equal(psy_x12_element(s, 2), "000000001");
        }
        assert_int_equal(psy_x12_next(r, &s), PSY_OK);
        assert_null(s);
        assert_int_equal(psy_x12_reader_delims(r)->segment, k == 4 ? '\n' : '~');
        psy_x12_reader_free(r);
        free(variants[k]);
    }
}

/* --- 837P writer ----------------------------------------------------------------------------- */

/* EVIDENCE: domain 5.4 minimal synthetic psychotherapy claim, 5.2 envelopes. */
static const char expected_837[] =
    "ISA*00*          *00*          *ZZ*SUBMITTER01    *ZZ*RECEIVER01     *260105*1200*^*00501*000000001*0*T*:~\n"
    "GS*HC*SUBMITTER01*RECEIVER01*20260105*1200*1*X*005010X222A1~\n"
    "ST*837*0001*005010X222A1~\n"
    "BHT*0019*00*B0001*20260105*1200*CH~\n"
    "NM1*41*2*EXAMPLE THERAPY GROUP*****46*SUBMITTER01~\n"
    "PER*IC*BILLING OFFICE*TE*5555550100~\n"
    "NM1*40*2*EXAMPLE CLEARINGHOUSE*****46*RECEIVER01~\n"
    "HL*1**20*1~\n"
    "PRV*BI*PXC*103T00000X~\n"
    "NM1*85*2*EXAMPLE THERAPY GROUP*****XX*1234567893~\n"
    "N3*100 MAIN ST~\n"
    "N4*ANYTOWN*NY*123450001~\n"
    "REF*EI*123456789~\n"
    "HL*2*1*22*0~\n"
    "SBR*P*18*GRP001******CI~\n"
    "NM1*IL*1*DOE*JANE****MI*MEM123456~\n"
    "N3*1 ELM ST~\n"
    "N4*ANYTOWN*NY*12345~\n"
    "DMG*D8*19800101*F~\n"
    "NM1*PR*2*EXAMPLE HEALTH PLAN*****PI*PAYER01~\n"
    "CLM*PC0001*150***10:B:1*Y*A*Y*Y~\n"
    "HI*ABK:F411*ABF:F331~\n"
    "NM1*82*1*SMITH*ALEX****XX*1245319599~\n"
    "PRV*PE*PXC*103T00000X~\n"
    "LX*1~\n"
    "SV1*HC:90837:95*150*UN*1***1:2~\n"
    "DTP*472*D8*20260102~\n"
    "REF*6R*PC0001L1~\n"
    "SE*27*0001~\n"
    "GE*1*1~\n"
    "IEA*1*000000001~\n";

static void test_837_exact(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f, 1);
    char *out = write_batch(&f.batch, always_one, NULL, 1);
    assert_string_equal(out, expected_837);
    assert_int_equal(strchr(out, '\n') - out, 106); /* the ISA is fixed width */
    free(out);
    /* without line breaks the same bytes less the newlines */
    out = write_batch(&f.batch, always_one, NULL, 0);
    assert_null(strchr(out, '\n'));
    assert_int_equal(strlen(out), strlen(expected_837) - 31);
    free(out);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++) n++;
    return n;
}

/* Runs the structure check over text; returns the number of problems (printing the first few). */
static size_t check_text(const char *text, size_t len, struct psy_x12_check_stats *stats)
{
    psy_x12_reader *r = psy_x12_reader_mem(text, len, 0);
    struct psy_x12_problem probs[8];
    size_t n;
    assert_int_equal(psy_x12_check(r, probs, 8, &n, stats), PSY_OK);
    for (size_t i = 0; i < n && i < 8; i++) fprintf(stderr, "segment %lu: %s\n", probs[i].segment, probs[i].message);
    psy_x12_reader_free(r);
    return n;
}

static void test_837_batch_structure(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f, 3);
    unsigned long ctl = 40;
    char *out = write_batch(&f.batch, fixture_counter, &ctl, 1);
    /* control numbers from the counter, matched by the trailers */
    assert_non_null(strstr(out, "*00501*000000041*0*T*:~"));
    assert_non_null(strstr(out, "*1200*42*X*005010X222A1~"));
    assert_non_null(strstr(out, "ST*837*0043*005010X222A1~"));
    assert_non_null(strstr(out, "GE*1*42~"));
    assert_non_null(strstr(out, "IEA*1*000000041~"));
    /* the hierarchy: billing, subscriber, subscriber + patient, subscriber */
    assert_non_null(strstr(out, "HL*1**20*1~\n"));
    assert_non_null(strstr(out, "HL*2*1*22*0~\n"));
    assert_non_null(strstr(out, "HL*3*1*22*1~\nSBR*P**GRP002*EXAMPLE EMPLOYER PLAN*****CI~\n"
                                "NM1*IL*1*ROE*RICHARD*Q***MI*MEM777001~\n"));
    assert_non_null(strstr(out, "HL*4*3*23*0~\nPAT*19~\nNM1*QC*1*ROE*SAM~\nN3*9 OAK AVE*APT 2~\n"
                                "N4*ANYTOWN*NY*12345~\nDMG*D8*20120704*U~\n"));
    assert_non_null(strstr(out, "HL*5*1*22*0~\n"));
    /* claim 2: patient paid, line-level rendering clinician (2420A) only where it differs */
    assert_non_null(strstr(out, "CLM*PC0002*145.5***11:B:1*Y*A*Y*Y~\nAMT*F5*20~\nHI*ABK:F900~\n"));
    assert_non_null(strstr(out, "REF*6R*PC0002L2~\nNM1*82*1*LEE*MORGAN****XX*6543210903~\nPRV*PE*PXC*1041C0700X~\n"));
    /* claim 3: replacement with the payer's number, prior auth, line POS differing, 4 units, own REF*6R */
    assert_non_null(strstr(out, "CLM*PC0003*300.04***11:B:7*Y*A*Y*Y~\nREF*F8*ICN20260001~\nREF*G1*AUTH-555~\n"
                                "HI*ABK:F4310*ABF:Z630*ABF:F32A~\n"));
    assert_non_null(strstr(out, "SV1*HC:90847:95:GT*140*UN*1*02**2:1~\n"));
    assert_non_null(strstr(out, "SV1*HC:H0004*99.99*UN*4***1:2:3~\nDTP*472*D8*20260104~\nREF*6R*LINE-CTL-9~\n"));
    /* claim 3 is rendered by the billing provider: no 2310B */
    const char *c3 = strstr(out, "CLM*PC0003");
    assert_null(strstr(c3, "NM1*82"));
    assert_int_equal(count(out, "\nCLM*"), 3);
    assert_int_equal(count(out, "\nSV1*"), 6);
    assert_int_equal(count(out, "\nLX*"), 6);
    /* SE01 = the segments from ST to SE */
    const char *st = strstr(out, "ST*837"), *se = strstr(out, "\nSE*") + 1;
    size_t segs = 1;
    for (const char *p = st; p < se; p++) segs += *p == '~';
    char want[32];
    snprintf(want, sizeof want, "SE*%zu*0043~", segs);
    assert_non_null(strstr(out, want));
    /* the structure check agrees */
    struct psy_x12_check_stats stats;
    assert_int_equal(check_text(out, strlen(out), &stats), 0);
    assert_int_equal(stats.claims, 3);
    assert_int_equal(stats.lines, 6);
    assert_int_equal(stats.transactions, 1);
    assert_int_equal(stats.segments, segs + 4);
    /* a second file gets new control numbers */
    char *again = write_batch(&f.batch, fixture_counter, &ctl, 1);
    assert_non_null(strstr(again, "*00501*000000044*0*T*:~"));
    assert_non_null(strstr(again, "ST*837*0046*"));
    free(again);
    free(out);
}

static void test_837_custom_delimiters(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f, 3);
    f.billing.last_name = "EXAMPLE*THERAPY~GROUP"; /* legal once the delimiters differ */
    struct psy_x12_write_opts o = {.delims = {'|', '>', '!', '\n'}, .next_control = always_one};
    char *out, err[300];
    size_t len;
    assert_int_equal(psy_x12_837_write(&f.batch, &o, &out, &len, err, sizeof err), PSY_OK);
    assert_non_null(strstr(out, "\nNM1|85|2|EXAMPLE*THERAPY~GROUP|||||XX|1234567893\n"));
    assert_non_null(strstr(out, "|00501|000000001|0|T|>\n"));
    assert_non_null(strstr(out, "SV1|HC>90847>95>GT|140|UN|1|02||2>1\n"));
    assert_int_equal(check_text(out, len, NULL), 0);
    free(out);
    o.delims = (struct psy_x12_delims){'|', '|', '!', '~'};
    assert_int_equal(psy_x12_837_write(&f.batch, &o, &out, &len, err, sizeof err), PSY_EINVAL);
    assert_non_null(strstr(err, "delimiters"));
}

/* Values that would break the file are refused with the field's name, and nothing is returned. */
static void test_837_refuses_delimiters(void **state)
{
    (void)state;
    static const struct { int what; const char *value, *field, *reason; } cases[] = {
        {0, "DOE*SMITH", "claims[0].subscriber.last_name", "element separator"},
        {1, "100 MAIN ST~", "billing.address.line1", "segment terminator"},
        {2, "SUITE 5:B", "claims[1].patient.address.line2", "component separator"},
        {3, "AUTH^1", "claims[2].prior_auth", "repetition separator"},
        {4, "JOS\xC3\x89", "claims[1].subscriber.first_name", "outside ASCII"},
        {5, "EXAMPLE\tPLAN", "claims[0].payer.name", "control character"},
        {6, "GRP*1", "claims[0].subscriber.group_number", "element separator"},
        {7, "LONGER-THAN-15-CHARS", "submitter.id", "ISA allows"},
        {8, "A~B", "claims[2].lines[2].line_control", "segment terminator"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fixture f;
        fixture_init(&f, 3);
        switch (cases[i].what) {
        case 0: f.jane.person.last_name = cases[i].value; break;
        case 1: f.billing.address.line1 = cases[i].value; break;
        case 2: f.child.address.line2 = cases[i].value; break;
        case 3: f.claims[2].prior_auth = cases[i].value; break;
        case 4: f.parent.person.first_name = cases[i].value; break;
        case 5: f.payer.name = cases[i].value; break;
        case 6: f.jane.group_number = cases[i].value; break;
        case 7: f.submitter.id = cases[i].value; break;
        case 8: f.l2[2].line_control = cases[i].value; break;
        }
        struct psy_x12_write_opts o = {.next_control = always_one};
        char *out = (char *)"unchanged", err[300];
        size_t len = 7;
        assert_int_equal(psy_x12_837_write(&f.batch, &o, &out, &len, err, sizeof err), PSY_EINVAL);
        if (!strstr(err, cases[i].field) || !strstr(err, cases[i].reason)) fprintf(stderr, "case %zu: %s\n", i, err);
        assert_non_null(strstr(err, cases[i].field));
        assert_non_null(strstr(err, cases[i].reason));
        assert_null(strstr(err, cases[i].value)); /* the value itself (patient data) is never echoed */
        assert_null(out);
        assert_int_equal(len, 0);
    }
}

static int has_finding(const struct psy_claim_finding *f, size_t n, const char *rule, const char *field)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(f[i].rule, rule) && !strcmp(f[i].field, field) && f[i].message[0]) return 1;
    return 0;
}

static void test_837_preflight(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f, 3);
    struct psy_claim_finding fs[64];
    size_t n;
    assert_int_equal(psy_x12_837_preflight(&f.batch, fs, 64, &n), PSY_OK);
    if (n) fprintf(stderr, "%s: %s\n", fs[0].field, fs[0].message);
    assert_int_equal(n, 0);

    f.billing.npi = "1234567890";                 /* bad check digit */
    f.lee.npi = "123";                            /* line rendering */
    f.l0[0].dx_pointers[0] = 3;                   /* claim 0 has 2 diagnoses */
    f.l2[1].dx_pointers[1] = 3;                   /* duplicate pointer */
    f.l2[0].dx_pointers[0] = 0;                   /* gap: 0 then 1 */
    f.claims[1].total_cents = 14551;              /* not the sum */
    f.claims[2].payer_claim_number = NULL;        /* replacement without ICN */
    f.billing.address.zip = "12345";              /* 9 digits needed */
    f.billing.address.line2 = "P.O. Box 12";      /* not for billing */
    f.claims[0].diagnoses[1] = "F41.1";           /* repeats diagnosis 1 */
    f.claims[1].diagnoses[0] = "41.1";            /* not ICD-10-CM */
    f.l1[0].code = "9083";                        /* not a code */
    f.l1[0].modifiers[1] = "95";                  /* modifier gap */
    f.l1[1].units = 0;
    f.l1[1].date = "20260230";
    f.jane.person.sex = 'X';
    f.claims[1].patient_relationship = "18";
    f.claims[0].id = "PC000100000000000000001";
    f.claims[0].frequency = 3;
    static struct psy_claim_payer other = {"OTHER PLAN", "PAYER99", "MC", {0}};
    f.claims[2].payer = &other;
    assert_int_equal(psy_x12_837_preflight(&f.batch, fs, 64, &n), PSY_OK);
    assert_true(n < 64);
    assert_true(has_finding(fs, n, "R-NPI-1", "billing.npi"));
    assert_true(has_finding(fs, n, "R-NPI-1", "claims[1].lines[1].rendering.npi"));
    assert_true(has_finding(fs, n, "R-837-PTR", "claims[0].lines[0].dx_pointers[0]"));
    assert_true(has_finding(fs, n, "R-837-PTR", "claims[2].lines[1].dx_pointers[1]"));
    assert_true(has_finding(fs, n, "R-837-PTR", "claims[2].lines[0].dx_pointers[1]"));
    assert_true(has_finding(fs, n, "R-837-TOTAL", "claims[1].total_cents"));
    assert_true(has_finding(fs, n, "R-837-FREQ", "claims[2].payer_claim_number"));
    assert_true(has_finding(fs, n, "R-837-FREQ", "claims[0].frequency"));
    assert_true(has_finding(fs, n, "R-837-ADDR", "billing.address.zip"));
    assert_true(has_finding(fs, n, "R-837-ADDR", "billing.address.line1"));
    assert_true(has_finding(fs, n, "R-837-DX", "claims[0].diagnoses[1]"));
    assert_true(has_finding(fs, n, "R-837-DX", "claims[1].diagnoses[0]"));
    assert_true(has_finding(fs, n, "R-837-CODE", "claims[1].lines[0].code"));
    assert_true(has_finding(fs, n, "R-837-MOD", "claims[1].lines[0].modifiers[1]"));
    assert_true(has_finding(fs, n, "R-837-UNITS", "claims[1].lines[1].units"));
    assert_true(has_finding(fs, n, "R-837-DATE", "claims[1].lines[1].date"));
    assert_true(has_finding(fs, n, "R-837-REQ", "claims[0].subscriber.sex"));
    assert_true(has_finding(fs, n, "R-837-PAT", "claims[1].patient_relationship"));
    assert_true(has_finding(fs, n, "R-837-ID", "claims[0].id"));
    assert_true(has_finding(fs, n, "R-837-BATCH", "claims[2].payer.id"));
    for (size_t i = 0; i < n; i++) assert_int_equal(fs[i].severity, PSY_FINDING_ERROR);
    /* the count is the whole count even when the array is smaller */
    size_t n2;
    assert_int_equal(psy_x12_837_preflight(&f.batch, fs, 2, &n2), PSY_OK);
    assert_int_equal(n2, n);
    /* the writer refuses with the first error and returns nothing */
    struct psy_x12_write_opts o = {.next_control = always_one};
    char *out, err[300];
    size_t len;
    assert_int_equal(psy_x12_837_write(&f.batch, &o, &out, &len, err, sizeof err), PSY_EINVAL);
    assert_non_null(strstr(err, "billing.npi"));
    assert_null(out);
    /* a zero charge is a warning only */
    fixture_init(&f, 1);
    f.l0[0].charge_cents = 0;
    f.claims[0].total_cents = 0;
    assert_int_equal(psy_x12_837_preflight(&f.batch, fs, 64, &n), PSY_OK);
    assert_int_equal(n, 1);
    assert_int_equal(fs[0].severity, PSY_FINDING_WARNING);
    out = write_batch(&f.batch, always_one, NULL, 0);
    assert_non_null(strstr(out, "SV1*HC:90837:95*0*UN*1***1:2~"));
    free(out);
    /* an empty batch */
    f.batch.n_claims = 0;
    assert_int_equal(psy_x12_837_preflight(&f.batch, fs, 64, &n), PSY_OK);
    assert_true(has_finding(fs, n, "R-837-BATCH", "claims"));
}

static psy_status failing_counter(void *ud, psy_x12_control kind, unsigned long *out)
{
    (void)ud;
    *out = kind == PSY_X12_CTL_TRANSACTION ? 1000000000UL : 5;
    return PSY_OK;
}

/* Free text for X12 (psy_x12_ascii): the basic and extended character sets of X12 are ASCII, so a name
 * is sent as the payer's systems spell it, without accents (as a card prints JOSE NUNEZ), and what has no
 * Latin spelling is refused by the preflight (R-837-CHAR) instead of failing the export of every claim. */
static void test_ascii_text(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
        int rc;
    } cases[] = {
        {"Jos\xc3\xa9 N\xc3\xba\xc3\xb1""ez-O\xe2\x80\x99""Brien", "Jose Nunez-O'Brien", 0}, /* José Núñez-O’Brien */
        {"NU\xcc\x81\xc3\x91""EZ", "NUNEZ", 0},                                   /* a combining accent */
        {"Stra\xc3\x9f""e", "Strasse", 0},                                          /* ß */
        {"\xc3\x86r\xc3\xb8", "AEro", 0},                                          /* Ærø */
        {"\xc5\x81\xc3\xb3""d\xc5\xba", "Lodz", 0},                               /* Łódź */
        {"Suite: 4*B^C~D\tE", "Suite  4 B C D E", 0},                               /* separators, a tab */
        {"\xef\xbc\xa1\xef\xbc\xa2", "AB", 0},                                    /* full-width letters */
        {"\xe7\x8e\x8b", "?", -1},                                                  /* 王 */
        {"ab\xff", "ab?", -1},                                                       /* not UTF-8 */
        {"\xc6\xb4", "?", -1},                          /* a two-byte character, \xc6 alone: still not "AE" */
        {"x\xc6", "x?", -1},
        {"", "", 0},
    };
    char out[64];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int rc = psy_x12_ascii(cases[i].in, out, sizeof out);
        if (rc != cases[i].rc || strcmp(out, cases[i].out))
            fail_msg("case %zu: '%s' (%d), not '%s' (%d)", i, out, rc, cases[i].out, cases[i].rc);
    }
    assert_int_equal(psy_x12_ascii("abcdef", out, 4), -1); /* does not fit */
    assert_string_equal(out, "abc");
    snprintf(out, sizeof out, "Pe\xc3\xb1""a");
    assert_int_equal(psy_x12_ascii(out, out, sizeof out), 0); /* in place */
    assert_string_equal(out, "Pena");

    /* the preflight refuses what is left outside ASCII, naming the field */
    struct fixture f;
    fixture_init(&f, 3);
    f.child.last_name = "\xe7\x8e\x8b";
    f.billing.address.city = "SPRING\tFIELD";
    struct psy_claim_finding fs[64];
    size_t n;
    assert_int_equal(psy_x12_837_preflight(&f.batch, fs, 64, &n), PSY_OK);
    assert_true(has_finding(fs, n, "R-837-CHAR", "claims[1].patient.last_name"));
    assert_true(has_finding(fs, n, "R-837-CHAR", "billing.address.city"));
    /* and in the earlier payer's loops of a secondary claim (2330A, 2330B) */
    struct psy_claim_other_payer other = {.sequence = 'P', .relationship = "18", .filing_indicator = "CI",
                                          .subscriber_last = "N\xc3\x9a\xc3\x91""EZ", .member_id = "M1",
                                          .name = "PLAN \xe7\x8e\x8b", .id = "PAYER09", .date = "20260110"};
    f.jane.payer_sequence = 'S';
    f.claims[0].others = &other;
    f.claims[0].n_others = 1;
    assert_int_equal(psy_x12_837_preflight(&f.batch, fs, 64, &n), PSY_OK);
    assert_true(has_finding(fs, n, "R-837-CHAR", "claims[0].others[0].subscriber_last"));
    assert_true(has_finding(fs, n, "R-837-CHAR", "claims[0].others[0].name"));
}

static void test_837_control_numbers(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f, 1);
    struct psy_x12_write_opts o = {.next_control = failing_counter};
    char *out, err[300];
    size_t len;
    assert_int_equal(psy_x12_837_write(&f.batch, &o, &out, &len, err, sizeof err), PSY_EINVAL);
    assert_non_null(strstr(err, "transaction"));
    o.next_control = NULL;
    assert_int_equal(psy_x12_837_write(&f.batch, &o, &out, &len, err, sizeof err), PSY_EINVAL);
    assert_non_null(strstr(err, "next_control"));
}

/* --- 835 reader ------------------------------------------------------------------------------- */

struct collected {
    struct psy_era_payment *p[64];
    size_t n;
};

static psy_status collect(void *ud, struct psy_era_payment *p)
{
    struct collected *c = ud;
    assert_true(c->n < 64);
    c->p[c->n++] = p;
    return PSY_OK;
}

static void collected_free(struct collected *c)
{
    for (size_t i = 0; i < c->n; i++) psy_era_payment_free(c->p[i]);
    c->n = 0;
}

static psy_status read_mem(const char *text, size_t len, size_t cap, struct collected *c, char *err, size_t errlen)
{
    psy_x12_reader *r = psy_x12_reader_mem(text, len, cap);
    psy_status rc = psy_x12_835_read(r, collect, c, err, errlen);
    psy_x12_reader_free(r);
    return rc;
}

static void test_835_synthetic(void **state)
{
    (void)state;
    FILE *f = fopen(SYNTHETIC_835, "rb");
    assert_non_null(f);
    psy_x12_reader *r = psy_x12_reader_file(f, 0);
    struct collected c = {0};
    char err[300];
    psy_status rc = psy_x12_835_read(r, collect, &c, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, PSY_OK);
    psy_x12_reader_free(r);
    fclose(f);
    assert_int_equal(c.n, 2);
    const struct psy_era_payment *p = c.p[0];
    assert_string_equal(p->payer_name, "EXAMPLE HEALTH PLAN");
    assert_string_equal(p->payer_id, "1123456789");
    assert_string_equal(p->payee_id, "1234567893");
    assert_string_equal(p->check_number, "EFT0001");
    assert_string_equal(p->method, "ACH");
    assert_string_equal(p->payment_date, "20260212");
    assert_true(p->paid_cents == 9550);
    assert_int_equal(p->interchange_control, 101);
    assert_string_equal(p->transaction_control, "0001");
    assert_int_equal(p->n_claims, 2);
    const struct psy_era_claim *k = &p->claims[0];
    assert_string_equal(k->claim_id, "PC0001");
    assert_string_equal(k->status, "1");
    assert_true(k->charge_cents == 15000 && k->paid_cents == 10000 && k->patient_responsibility_cents == 2000);
    assert_string_equal(k->payer_claim_number, "ICN0001");
    assert_string_equal(k->start_date, "20260102");
    assert_int_equal(k->n_adjustments, 0);
    assert_int_equal(k->n_services, 1);
    const struct psy_era_service *v = &k->services[0];
    assert_string_equal(v->qualifier, "HC");
    assert_string_equal(v->code, "90837");
    assert_string_equal(v->modifiers[0], "95");
    assert_string_equal(v->modifiers[1], "");
    assert_true(v->charge_cents == 15000 && v->paid_cents == 10000);
    assert_true(v->has_allowed && v->allowed_cents == 12000);
    assert_string_equal(v->date, "20260102");
    assert_string_equal(v->line_control, "PC0001L1");
    assert_int_equal(v->n_adjustments, 2);
    assert_string_equal(v->adjustments[0].group, "CO");
    assert_string_equal(v->adjustments[0].reason, "45");
    assert_true(v->adjustments[0].amount_cents == 3000);
    assert_string_equal(v->adjustments[1].group, "PR");
    assert_string_equal(v->adjustments[1].reason, "3");
    assert_true(v->adjustments[1].amount_cents == 2000);
    k = &p->claims[1];
    assert_int_equal(k->n_services, 2);
    assert_string_equal(k->services[0].remarks[0], "N54");
    assert_int_equal(k->services[0].n_remarks, 1);
    assert_string_equal(k->services[1].units, "1");
    assert_string_equal(k->services[1].adjustments[0].quantity, "1");
    assert_true(k->services[1].charge_cents == 2550);
    assert_false(k->services[1].has_allowed);
    assert_int_equal(p->n_provider_adjustments, 2);
    assert_string_equal(p->provider_adjustments[0].reason, "L6");
    assert_string_equal(p->provider_adjustments[0].reference, "INT01");
    assert_true(p->provider_adjustments[0].amount_cents == -550);
    assert_string_equal(p->provider_adjustments[1].reason, "WO");
    assert_true(p->provider_adjustments[1].amount_cents == 1000);
    assert_string_equal(p->provider_adjustments[1].fiscal_date, "20261231");
    /* the second interchange: '|' '>' '!' and newline terminators */
    p = c.p[1];
    assert_string_equal(p->payer_name, "SECOND PAYER");
    assert_string_equal(p->payer_id, "PAYER02");
    assert_string_equal(p->check_number, "CHK7788");
    assert_string_equal(p->payment_date, "20260215");
    assert_true(p->paid_cents == 14996);
    assert_int_equal(p->interchange_control, 7);
    assert_int_equal(p->n_claims, 2);
    assert_string_equal(p->claims[0].status, "22");
    assert_true(p->claims[0].charge_cents == -30004 && p->claims[0].paid_cents == -15000);
    assert_true(p->claims[0].adjustments[0].amount_cents == -15004);
    assert_string_equal(p->claims[0].frequency, "7");
    assert_string_equal(p->claims[1].services[0].code, "90853");
    assert_string_equal(p->claims[1].services[0].modifiers[0], "HQ");
    assert_string_equal(p->claims[1].services[0].units, "2");
    assert_true(p->claims[1].services[0].adjustments[0].amount_cents == 8);
    collected_free(&c);
}

/* Every sample remittance reads without error, with totals computed independently of this reader, and
 * without a defect when read leniently. */
static void test_835_samples(void **state)
{
    (void)state;
    static const struct {
        const char *rel;
        size_t payments, claims, services, cas;
        long long bpr, billed, paid, plb;
    } samples[] = {
        {"x12/835/oopfactory/835_WithMultipleInterchanges.txt", 3, 56, 91, 97, 1148211, 5869944, 732704, 0},
        {"x12/835/oopfactory/ExampleFromNth.txt", 3, 56, 91, 97, 1148211, 5869944, 732704, 0},
        {"x12/835/oopfactory/Example1.txt", 1, 10, 9, 21, 575, 43999, 575, -127},
        {"x12/835/pyx12/835_mult_loops.txt", 1, 1, 3, 3, 0, 91539, 0, 0},
    };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char path[512];
        if (!test_have_shared(samples[i].rel, path, sizeof path)) continue;
        FILE *f = fopen(path, "rb");
        psy_x12_reader *r = psy_x12_reader_file(f, 0);
        struct collected c = {0};
        char err[300];
        psy_status rc = psy_x12_835_read(r, collect, &c, err, sizeof err);
        if (rc) fprintf(stderr, "%s: %s\n", path, err);
        assert_int_equal(rc, PSY_OK);
        psy_x12_reader_free(r);
        fclose(f);
        size_t claims = 0, services = 0, cas = 0;
        long long bpr = 0, billed = 0, paid = 0, plb = 0;
        for (size_t k = 0; k < c.n; k++) {
            const struct psy_era_payment *p = c.p[k];
            bpr += p->paid_cents;
            for (size_t j = 0; j < p->n_provider_adjustments; j++) plb += p->provider_adjustments[j].amount_cents;
            for (size_t j = 0; j < p->n_claims; j++) {
                const struct psy_era_claim *cl = &p->claims[j];
                claims++;
                billed += cl->charge_cents;
                paid += cl->paid_cents;
                cas += cl->n_adjustments;
                services += cl->n_services;
                for (size_t s = 0; s < cl->n_services; s++) cas += cl->services[s].n_adjustments;
            }
        }
        assert_int_equal(c.n, samples[i].payments);
        assert_int_equal(claims, samples[i].claims);
        assert_int_equal(services, samples[i].services);
        assert_int_equal(cas, samples[i].cas);
        assert_true(bpr == samples[i].bpr);
        assert_true(billed == samples[i].billed);
        assert_true(paid == samples[i].paid);
        assert_true(plb == samples[i].plb);
        collected_free(&c);
        /* read leniently, the same file has no defect and the same claims */
        f = fopen(path, "rb");
        r = psy_x12_reader_file(f, 0);
        assert_int_equal(psy_x12_835_read_lenient(r, collect, &c, err, sizeof err), PSY_OK);
        psy_x12_reader_free(r);
        fclose(f);
        size_t lclaims = 0;
        for (size_t k = 0; k < c.n; k++) {
            assert_int_equal(c.p[k]->n_defects, 0);
            lclaims += c.p[k]->n_claims;
        }
        assert_int_equal(lclaims, samples[i].claims);
        collected_free(&c);
    }
}

/* Malformed input: an error naming the segment number and element, never a crash. */
static void test_835_malformed(void **state)
{
    (void)state;
    size_t len;
    char *good = test_read_file(SYNTHETIC_835, &len);
    static const struct { const char *from, *to, *expect; psy_status rc; } cases[] = {
        {"CLP*PC0001*1*150*100*", "CLP*PC0001*1*150*1x0*", "segment 13 (CLP) element CLP04: '1x0' is not a decimal", PSY_EPARSE},
        {"SVC*HC:90837:95*150*", "SVC*HC:90837:95*150.001*", "segment 17 (SVC) element SVC02: '150.001' has digits below one cent", PSY_EPARSE},
        {"SE*33*0001~", "SE*32*0001~", "segment 35 (SE) element SE01: says 32 segments, counted 33", PSY_EPARSE},
        {"SE*33*0001~", "SE*33*0009~", "segment 35 (SE) element SE02", PSY_EPARSE},
        {"GE*1*101~", "GE*1*102~", "segment 36 (GE) element GE02", PSY_EPARSE},
        {"IEA*1*000000101~", "IEA*2*000000101~", "segment 37 (IEA) element IEA01: says 2 groups, counted 1", PSY_EPARSE},
        {"CLP*PC0001*1*150*100*20*12*ICN0001~", "CLP**1*150*100*20*12*ICN0001~", "segment 13 (CLP) element CLP01: required", PSY_EPARSE},
        {"LX*1~\nCLP*PC0001*1*150*100*20*12*ICN0001~\n", "LX*1~\nCAS*CO*45*30~\n", "segment 13 (CAS): an adjustment outside a claim", PSY_EPARSE},
        {"CAS*CO*45*30~", "CAS*CO*45*~", "segment 19 (CAS) element CAS03: required amount missing", PSY_EPARSE},
        {"ST*835*0001~", "ST*837*0001~", "segment 3 (ST) element ST01", PSY_EPARSE},
        {"BPR*I*95.5*", "BPR*I**", "segment 4 (BPR) element BPR02", PSY_EPARSE},
        {"DTM*472*20260102~", "DTM*472*20260231~", "segment 18 (DTM) element DTM02: '20260231' is not a date", PSY_EPARSE},
        {"*ZZ*PAYERSENDER    *", "*ZZ*PAYERSENDER *", "segment 1 (ISA) element ISA07: not fixed width", PSY_EPARSE},
        {"ISA*00*", "ISX*00*", "segment 1: the input does not start with an ISA", PSY_EPARSE},
        {"GS*HP*PAYERSENDER", "XX*HP*PAYERSENDER", "segment 2 (XX): a XX segment outside a transaction set", PSY_EPARSE},
        {"ST*835*0001~", "ST*835*01~", "segment 3 (ST) element ST02", PSY_EPARSE},
        {"N3*1 PAYER WAY~", "N3*1 PAYER\x01WAY~", NULL, PSY_OK}, /* control bytes in text are data, not structure */
        {"TRN*1*EFT0001*", "TRN*1*EFT0001EFT0001EFT0001EFT0001EFT0001EFT0001EFT0001EFT0001*",
         "segment 5 (TRN) element TRN02: longer than 50 characters", PSY_EPARSE},
        {"PLB*1234567893*20261231*L6:INT01*", "PLB*1234567893*20261231*:INT01*", "segment 34 (PLB) element PLB03: the adjustment reason", PSY_EPARSE},
        {"SVC*HC:90837:95*150*", "SVC*HC::95*150*", "segment 17 (SVC) element SVC01: the procedure code is missing", PSY_EPARSE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *at = strstr(good, cases[i].from);
        assert_non_null(at);
        size_t nf = strlen(cases[i].from), nt = strlen(cases[i].to);
        char *bad = malloc(len - nf + nt + 1);
        memcpy(bad, good, (size_t)(at - good));
        memcpy(bad + (at - good), cases[i].to, nt);
        strcpy(bad + (at - good) + nt, at + nf);
        struct collected c = {0};
        char err[300] = "";
        psy_status rc = read_mem(bad, strlen(bad), 0, &c, err, sizeof err);
        if (rc != cases[i].rc || (cases[i].expect && !strstr(err, cases[i].expect)))
            fprintf(stderr, "case %zu: rc %d: %s\n", i, rc, err);
        assert_int_equal(rc, cases[i].rc);
        if (cases[i].expect) assert_non_null(strstr(err, cases[i].expect));
        collected_free(&c);
        free(bad);
    }
    /* truncated anywhere: an error (or, cut right after a segment, a missing trailer), never a crash */
    size_t first_end = (size_t)(strstr(good, "IEA*1*000000101~\n") - good) + 17;
    for (size_t cut = 1; cut < len - 1; cut += 7) {
        if (cut == first_end || cut == first_end - 1) continue; /* a whole first interchange is valid */
        struct collected c = {0};
        char err[300] = "";
        psy_status rc = read_mem(good, cut, 0, &c, err, sizeof err);
        assert_int_not_equal(rc, PSY_OK);
        assert_true(err[0] != 0);
        collected_free(&c);
    }
    /* over the cap */
    struct collected c = {0};
    char err[300];
    assert_int_equal(read_mem(good, len, 500, &c, err, sizeof err), PSY_ETOOBIG);
    assert_non_null(strstr(err, "cap of 500 bytes"));
    collected_free(&c);
    /* a segment that never ends */
    size_t big = PSY_X12_MAX_SEGMENT + 200;
    char *huge = malloc(big + 1);
    memcpy(huge, good, 106);
    memset(huge + 106, 'A', big - 106);
    huge[big] = 0;
    assert_int_equal(read_mem(huge, big, 0, &c, err, sizeof err), PSY_EPARSE);
    assert_non_null(strstr(err, "segment 2: longer than"));
    free(huge);
    /* a NUL byte */
    char *nul = strdup(good);
    nul[strstr(nul, "TRN*1") - nul + 4] = 0;
    assert_int_equal(read_mem(nul, len, 0, &c, err, sizeof err), PSY_EPARSE);
    assert_non_null(strstr(err, "segment 5: NUL byte"));
    free(nul);
    free(good);
}

static psy_status stop_after_first(void *ud, struct psy_era_payment *p)
{
    (void)ud;
    psy_era_payment_free(p);
    return PSY_ECONFLICT;
}

static void test_835_caller_stops(void **state)
{
    (void)state;
    size_t len;
    char *good = test_read_file(SYNTHETIC_835, &len);
    psy_x12_reader *r = psy_x12_reader_mem(good, len, 0);
    char err[200];
    assert_int_equal(psy_x12_835_read(r, stop_after_first, NULL, err, sizeof err), PSY_ECONFLICT);
    assert_non_null(strstr(err, "segment 35"));
    psy_x12_reader_free(r);
    free(good);
}

/* --- structure check -------------------------------------------------------------------------- */

static void test_check_finds_problems(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f, 3);
    char *out = write_batch(&f.batch, always_one, NULL, 1);
    /* break a claim total, an HL number, an LX number and the SE count, all at once */
    char *p = strstr(out, "CLM*PC0002*145.5");
    memcpy(p, "CLM*PC0002*145.6", 16);
    p = strstr(out, "HL*4*3*23*0");
    memcpy(p, "HL*4*2*23*0", 11);
    p = strstr(out, "LX*2~");
    memcpy(p, "LX*3~", 5);
    p = strstr(out, "\nSE*") + 1;
    p[3] = p[3] == '9' ? '8' : (char)(p[3] + 1);
    psy_x12_reader *r = psy_x12_reader_mem(out, strlen(out), 0);
    struct psy_x12_problem probs[16];
    size_t n;
    assert_int_equal(psy_x12_check(r, probs, 16, &n, NULL), PSY_OK);
    psy_x12_reader_free(r);
    int total = 0, hl = 0, lx = 0, se = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(probs[i].seg_id, "CLM") && strstr(probs[i].message, "CLM02: claim total 145.6 is not the sum of its lines 145.5")) total++;
        if (!strcmp(probs[i].seg_id, "HL") && strstr(probs[i].message, "child")) hl++;
        if (!strcmp(probs[i].seg_id, "LX") && strstr(probs[i].message, "LX01: 3 where 2")) lx++;
        if (!strcmp(probs[i].seg_id, "SE") && strstr(probs[i].message, "SE01")) se++;
    }
    assert_int_equal(total, 1);
    assert_true(hl >= 1);
    assert_int_equal(lx, 1);
    assert_int_equal(se, 1);
    free(out);
    /* sample 837P files from other systems pass the envelope checks */
    static const char *const samples[] = {"x12/837p/uhin/837.edi", "x12/837p/oopfactory/ST1309-XX.txt",
                                          "x12/837p/linuxforhealth/demo.example1.837",
                                          "x12/837p/oopfactory/Example1_2_And_3_Combined.txt"};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char path[512];
        if (!test_have_shared(samples[i], path, sizeof path)) continue;
        size_t len;
        char *text = test_read_file(path, &len);
        struct psy_x12_check_stats s;
        assert_int_equal(check_text(text, len, &s), 0);
        assert_true(s.claims >= 1);
        free(text);
    }
}

/* --- the commands ----------------------------------------------------------------------------- */

/* Runs the CLI and checks its exit status and that stdout/stderr contain the given text ("" for
 * stdout: nothing at all). */
static void expect_cli(const char *args, int status, const char *in_out, const char *in_err)
{
    char *out, *err;
    int st = test_run_cli(args, NULL, &out, &err);
    if (st != status) fprintf(stderr, "'%s' exited %d: %s%s\n", args, st, out, err);
    assert_int_equal(st, status);
    if (in_out && !*in_out) assert_string_equal(out, "");
    else if (in_out) assert_non_null(strstr(out, in_out));
    if (in_err) assert_non_null(strstr(err, in_err));
    free(out);
    free(err);
}

/* EVIDENCE: domain 5.6 (CAS group codes CO/PR/OA/PI; the common CARCs of a therapy practice). */
static void test_835_plain_words(void **state)
{
    (void)state;
    /* every entry of the table is a non-empty text under a short code, and the look-up finds it */
    size_t len;
    const char *data = psy_data_get("x12/carc.json", &len);
    assert_non_null(data);
    json_t *root = json_loadb(data, len, 0, NULL);
    assert_non_null(root);
    /* the 835's kinds; the acknowledgements' (ack.json) are checked by test_ack */
    static const char *const keys[PSY_X12_TEXT_PROVIDER_ADJUSTMENT + 1] = {"groups", "reasons", "claim_status",
                                                                           "provider_adjustments"};
    for (int k = 0; k <= PSY_X12_TEXT_PROVIDER_ADJUSTMENT; k++) {
        json_t *obj = json_object_get(root, keys[k]);
        assert_true(json_object_size(obj) > 0);
        assert_int_equal(psy_x12_describe_count((psy_x12_text_kind)k), json_object_size(obj));
        const char *code;
        json_t *v;
        json_object_foreach(obj, code, v)
        {
            assert_true(json_is_string(v) && strlen(json_string_value(v)) > 3);
            assert_string_equal(psy_x12_describe((psy_x12_text_kind)k, code), json_string_value(v));
        }
    }
    json_decref(root);
    /* the codes a therapy practice meets most are all there */
    static const char *const groups[] = {"CO", "PR", "OA", "PI"};
    for (size_t i = 0; i < 4; i++) assert_non_null(psy_x12_describe(PSY_X12_TEXT_GROUP, groups[i]));
    static const char *const reasons[] = {"1", "2", "3", "16", "18", "23", "29", "45", "50", "96", "97", "197", "242"};
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        assert_non_null(psy_x12_describe(PSY_X12_TEXT_REASON, reasons[i]));
    assert_non_null(strstr(psy_x12_describe(PSY_X12_TEXT_GROUP, "PR"), "patient owes"));
    assert_string_equal(psy_x12_describe(PSY_X12_TEXT_CLAIM_STATUS, "22"), "Reversal of an earlier payment");
    assert_non_null(strstr(psy_x12_describe(PSY_X12_TEXT_PROVIDER_ADJUSTMENT, "l6"), "Interest")); /* any case */
    /* unknown or impossible codes have no text */
    assert_null(psy_x12_describe(PSY_X12_TEXT_REASON, "ZZ9"));
    assert_null(psy_x12_describe(PSY_X12_TEXT_REASON, ""));
    assert_null(psy_x12_describe(PSY_X12_TEXT_REASON, NULL));
    assert_null(psy_x12_describe(PSY_X12_TEXT_REASON, "123456789"));
    assert_null(psy_x12_describe(PSY_X12_TEXT_GROUP, "45")); /* a reason is not a group */
    assert_null(psy_x12_describe(PSY_X12_TEXT_KIND_COUNT, "45"));
}

/* Reads text with psy_x12_835_json; returns the parsed document (NULL on failure, err filled). */
static json_t *era_json(const char *text, size_t len, unsigned flags, size_t *n, char *err, size_t errlen)
{
    psy_x12_reader *r = psy_x12_reader_mem(text, len, 0);
    char *out = (char *)1;
    size_t outlen = 99;
    psy_status rc = psy_x12_835_json(r, flags, &out, &outlen, n, err, errlen);
    psy_x12_reader_free(r);
    if (rc) {
        assert_null(out);
        return NULL;
    }
    assert_int_equal(strlen(out), outlen);
    assert_int_equal(strchr(out, '\n') != NULL, (flags & PSY_ERA_JSON_PRETTY) != 0);
    json_t *doc = json_loads(out, 0, NULL);
    free(out);
    assert_non_null(doc);
    return doc;
}

static void test_835_json(void **state)
{
    (void)state;
    size_t len, n;
    char *text = test_read_file(SYNTHETIC_835, &len), err[400];
    /* the plain document: what `era read --json` prints, nothing more */
    json_t *doc = era_json(text, len, PSY_ERA_JSON_PRETTY, &n, err, sizeof err);
    assert_int_equal(n, 2);
    json_t *p0 = json_array_get(json_object_get(doc, "payments"), 0);
    assert_int_equal(json_object_size(p0), 5);
    json_t *c0 = json_array_get(json_object_get(p0, "claims"), 0);
    json_t *a0 = json_array_get(json_object_get(json_array_get(json_object_get(c0, "services"), 0), "adjustments"), 0);
    assert_int_equal(json_object_size(a0), 3);
    json_decref(doc);
    /* with details: plain words and the payment's particulars */
    doc = era_json(text, len, PSY_ERA_JSON_DETAIL, &n, err, sizeof err);
    json_t *pays = json_object_get(doc, "payments");
    p0 = json_array_get(pays, 0);
    assert_string_equal(json_string_value(json_object_get(p0, "method")), "ACH");
    assert_string_equal(json_string_value(json_object_get(p0, "payee_id")), "1234567893");
    assert_string_equal(json_string_value(json_object_get(p0, "payment_date")), "20260212");
    c0 = json_array_get(json_object_get(p0, "claims"), 0);
    assert_string_equal(json_string_value(json_object_get(c0, "status_text")), "Processed as primary");
    assert_string_equal(json_string_value(json_object_get(c0, "payer_claim_number")), "ICN0001");
    json_t *svc = json_array_get(json_object_get(c0, "services"), 0);
    assert_true(json_is_null(json_object_get(svc, "submitted_code")));
    a0 = json_array_get(json_object_get(svc, "adjustments"), 0);
    assert_string_equal(json_string_value(json_object_get(a0, "reason_text")), psy_x12_describe(PSY_X12_TEXT_REASON, "45"));
    assert_string_equal(json_string_value(json_object_get(a0, "group_text")), psy_x12_describe(PSY_X12_TEXT_GROUP, "CO"));
    json_t *plb = json_array_get(json_object_get(p0, "provider_adjustments"), 0);
    assert_non_null(strstr(json_string_value(json_object_get(plb, "reason_text")), "Interest"));
    json_t *reversal = json_array_get(json_object_get(json_array_get(pays, 1), "claims"), 0);
    assert_string_equal(json_string_value(json_object_get(reversal, "status_text")), "Reversal of an earlier payment");
    json_decref(doc);

    /* a payer name in an 8-bit character set still makes valid JSON, its odd bytes shown as '?' */
    char *odd = malloc(len + 1);
    memcpy(odd, text, len + 1);
    char *name = strstr(odd, "EXAMPLE HEALTH PLAN");
    name[8] = (char)0xC9; /* "EXAMPLE \xC9EALTH PLAN" */
    doc = era_json(odd, len, 0, &n, err, sizeof err);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(doc, "payments"), 0), "payer")),
                        "EXAMPLE ?EALTH PLAN");
    json_decref(doc);
    free(odd);

    /* malformed: nothing returned, the segment named */
    assert_null(era_json(text, len - 30, 0, &n, err, sizeof err));
    assert_non_null(strstr(err, "segment "));
    free(text);
}

static void test_cli_era_and_check(void **state)
{
    (void)state;
    char *out, *err, args[600];
    snprintf(args, sizeof args, "era read --json %s", SYNTHETIC_835);
    assert_int_equal(test_run_cli(args, NULL, &out, &err), 0);
    json_error_t je;
    json_t *doc = json_loads(out, 0, &je);
    assert_non_null(doc);
    json_t *pays = json_object_get(doc, "payments");
    assert_int_equal(json_array_size(pays), 2);
    json_t *p0 = json_array_get(pays, 0);
    static const char *const pkeys[] = {"payer", "check_number", "paid_cents", "claims", "provider_adjustments"};
    for (size_t i = 0; i < 5; i++) assert_non_null(json_object_get(p0, pkeys[i]));
    assert_string_equal(json_string_value(json_object_get(p0, "payer")), "EXAMPLE HEALTH PLAN");
    assert_int_equal(json_integer_value(json_object_get(p0, "paid_cents")), 9550);
    json_t *c0 = json_array_get(json_object_get(p0, "claims"), 0);
    static const char *const ckeys[] = {"claim_id", "status", "charge_cents", "paid_cents",
                                        "patient_responsibility_cents", "adjustments", "services"};
    for (size_t i = 0; i < 7; i++) assert_non_null(json_object_get(c0, ckeys[i]));
    assert_int_equal(json_integer_value(json_object_get(c0, "patient_responsibility_cents")), 2000);
    json_t *s0 = json_array_get(json_object_get(c0, "services"), 0);
    assert_string_equal(json_string_value(json_object_get(s0, "code")), "90837");
    assert_int_equal(json_integer_value(json_object_get(s0, "allowed_cents")), 12000);
    json_t *a0 = json_array_get(json_object_get(s0, "adjustments"), 0);
    assert_string_equal(json_string_value(json_object_get(a0, "group")), "CO");
    assert_int_equal(json_integer_value(json_object_get(a0, "amount_cents")), 3000);
    json_t *plb = json_array_get(json_object_get(p0, "provider_adjustments"), 0);
    assert_int_equal(json_integer_value(json_object_get(plb, "amount_cents")), -550);
    json_decref(doc);
    free(out);
    free(err);
    /* text output */
    expect_cli("era read " SYNTHETIC_835, 0, "check/EFT CHK7788", NULL);
    expect_cli("era read " SYNTHETIC_835, 0, "adjustment PR 3            20.00  Copay", NULL); /* reasons in words */
    /* malformed: exit 1, the segment named, nothing on stdout */
    char *bad = test_write_file(tiny, 120);
    snprintf(args, sizeof args, "era read --json %s", bad);
    expect_cli(args, 1, "", "segment 2");
    snprintf(args, sizeof args, "x12 check %s", bad);
    expect_cli(args, 1, "1 problem", NULL);
    unlink(bad);
    free(bad);
    assert_int_equal(test_run_cli("x12 check --json " SYNTHETIC_835, NULL, &out, &err), 0);
    doc = json_loads(out, 0, &je);
    assert_non_null(doc);
    assert_int_equal(json_integer_value(json_object_get(doc, "interchanges")), 2);
    assert_int_equal(json_integer_value(json_object_get(doc, "claims")), 4);
    assert_int_equal(json_integer_value(json_object_get(doc, "problem_count")), 0);
    json_decref(doc);
    free(out);
    free(err);
    /* usage errors and help */
    expect_cli("era pay x.835", 2, NULL, "the actions are 'read' and 'post'");
    expect_cli("x12 lint x.835", 2, NULL, "the only action is 'check'");
    expect_cli("era read", 2, NULL, "give one FILE");
    expect_cli("era read --max-bytes 0 x", 2, NULL, "--max-bytes");
    expect_cli("era read /nonexistent/file.835", 1, NULL, "cannot read");
    expect_cli("era --help", 0, "usage: psyclaim era read", NULL);
    expect_cli("x12 --help", 0, "usage: psyclaim x12 check", NULL);
    expect_cli("era read --max-bytes 100 " SYNTHETIC_835, 1, NULL, "cap of 100 bytes");
    /* standard input */
    char *text = test_read_file(SYNTHETIC_835, NULL);
    assert_int_equal(test_run_cli("era read -", text, &out, NULL), 0);
    assert_non_null(strstr(out, "payment 2: SECOND PAYER"));
    free(out);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_npi_and_dates),       cmocka_unit_test(test_lifecycle),
        cmocka_unit_test(test_cents),               cmocka_unit_test(test_cents_checked),
        cmocka_unit_test(test_reader_delimiters),
        cmocka_unit_test(test_reader_variants),     cmocka_unit_test(test_837_exact),
        cmocka_unit_test(test_837_batch_structure), cmocka_unit_test(test_837_custom_delimiters),
        cmocka_unit_test(test_837_refuses_delimiters), cmocka_unit_test(test_837_preflight),
        cmocka_unit_test(test_837_control_numbers), cmocka_unit_test(test_835_synthetic),
        cmocka_unit_test(test_835_samples),         cmocka_unit_test(test_835_malformed),
        cmocka_unit_test(test_835_caller_stops),    cmocka_unit_test(test_check_finds_problems),
        cmocka_unit_test(test_835_plain_words),     cmocka_unit_test(test_835_json),
        cmocka_unit_test(test_cli_era_and_check),   cmocka_unit_test(test_ascii_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
