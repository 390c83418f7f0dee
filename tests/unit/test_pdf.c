/* test_pdf.c -- the superbill and CMS-1500 PDFs: the text a reader extracts (pdftotext) and that the
 * pages render (pdftoppm), from the fixture's invented practice and clients. */
#include "support.h"
#include "fixture_claims.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs a shell command and returns its standard output (free it); asserts it exits 0. */
static char *run(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (n + 1 == cap) buf = realloc(buf, cap *= 2);
    }
    buf[n] = 0;
    int st = pclose(p);
    if (st != 0) fprintf(stderr, "'%s' failed (is poppler-utils installed? run scripts/bootstrap.sh)\n", cmd);
    assert_int_equal(st, 0);
    return buf;
}

/* Extracted text of a PDF with runs of spaces collapsed, so words can be searched across columns. */
static char *pdf_text(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "pdftotext -layout '%s' -", path);
    char *t = run(cmd);
    char *w = t;
    for (const char *r = t; *r; r++)
        if (!(*r == ' ' && w > t && w[-1] == ' ')) *w++ = *r;
    *w = 0;
    return t;
}

static int pages(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "pdfinfo '%s'", path);
    char *info = run(cmd);
    const char *p = strstr(info, "Pages:");
    assert_non_null(p);
    int n = atoi(p + 6);
    free(info);
    return n;
}

/* Renders page 1 to PNG and checks the file is a PNG of the page's proportions. */
static void renders(const char *path)
{
    char cmd[700], png[600];
    snprintf(png, sizeof png, "%s-page", path);
    snprintf(cmd, sizeof cmd, "pdftoppm -png -r 36 -f 1 -l 1 -singlefile '%s' '%s'", path, png);
    free(run(cmd));
    strcat(png, ".png");
    FILE *f = fopen(png, "rb");
    assert_non_null(f);
    unsigned char head[24];
    assert_int_equal(fread(head, 1, sizeof head, f), sizeof head);
    fclose(f);
    assert_memory_equal(head, "\x89PNG\r\n\x1a\n", 8);
    unsigned w = (unsigned)head[16] << 24 | (unsigned)head[17] << 16 | (unsigned)head[18] << 8 | head[19];
    unsigned h = (unsigned)head[20] << 24 | (unsigned)head[21] << 16 | (unsigned)head[22] << 8 | head[23];
    assert_int_equal(w, 306); /* 8.5 in x 36 dpi */
    assert_int_equal(h, 396); /* 11 in x 36 dpi */
    unlink(png);
}

static void must_contain(const char *text, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!strstr(text, words[i])) fprintf(stderr, "missing '%s' in:\n%s\n", words[i], text);
        assert_non_null(strstr(text, words[i]));
    }
}

/* Saves a rendered PDF (and frees it), then checks its text, page count, that absent (when given) is
 * not in it, and, when render is set, that page 1 renders to a PNG. */
static void check_pdf(char *pdf, size_t len, const char *const *words, size_t n, int want_pages, int render,
                      const char *absent)
{
    assert_memory_equal(pdf, "%PDF-", 5);
    char *path = test_write_file(pdf, len);
    free(pdf);
    char *text = pdf_text(path);
    must_contain(text, words, n);
    if (absent) assert_null(strstr(text, absent));
    assert_int_equal(pages(path), want_pages);
    if (render) renders(path);
    free(text);
    unlink(path);
    free(path);
}

static void superbill_of(struct fixture *f, struct psy_superbill *sb, struct psy_superbill_payment *pay)
{
    f->l2[1].place_of_service = "11";
    f->l2[2].place_of_service = "11";
    f->l2[2].code = "90837";
    f->l2[2].units = 1;
    f->billing.npi = "1234567893";
    pay[0] = (struct psy_superbill_payment){"20260104", "card", 20000};
    pay[1] = (struct psy_superbill_payment){"20260110", "check 1042", 10004};
    *sb = (struct psy_superbill){.practice = &f->billing, .clinician = &f->smith, .patient = &f->jane.person,
                                 .subscriber = &f->jane, .subscriber_is_patient = 1, .payer_name = "EXAMPLE HEALTH PLAN",
                                 .statement_date = "20260131", .period = "January 2026",
                                 .diagnoses = {"F43.10", "Z630", "f32a"}, .n_diagnoses = 3, .lines = f->l2,
                                 .n_lines = 3, .payments = pay, .n_payments = 2};
}

/* EVIDENCE: domain 6.2 -- what a superbill must show. */
static void test_superbill(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f, 3);
    struct psy_superbill sb;
    struct psy_superbill_payment pay[2];
    superbill_of(&f, &sb, pay);
    f.jane.person.first_name = "Jos\xC3\xA9"; /* Latin-1 letters print as themselves */
    char *pdf, err[200];
    size_t len;
    psy_status rc = psy_pdf_superbill(&sb, &pdf, &len, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, PSY_OK);
    static const char *const words[] = {
        "SUPERBILL", "EXAMPLE THERAPY GROUP", "100 MAIN ST", "ANYTOWN, NY 12345-0001", "(555) 555-0100",
        "Tax ID (EIN): 12-3456789", "ALEX SMITH, PhD", "NPI: 1245319599", "License: NY Psychologist 012345",
        "Group NPI: 1234567893", "Jos\xC3\xA9 DOE", "Date of birth: 01/01/1980", "1 ELM ST",
        "Member ID: MEM123456", "EXAMPLE HEALTH PLAN", "Statement date: 01/31/2026", "January 2026",
        "A. F43.10", "B. Z63.0", "C. F32.A",
        "01/03/2026 02 90847 95 GT 1 Z63.0, F43.10 140.00", "01/04/2026 11 90853 1 F32.A 60.05",
        "01/04/2026 11 90837 1 F43.10, Z63.0, F32.A 99.99",
        "Total charges 300.04", "Amount paid 300.04", "Balance due 0.00", "PAID IN FULL",
        "01/04/2026 card 200.00", "01/10/2026 check 1042 100.04", "Signature: ALEX SMITH, PhD", "01/31/2026",
    };
    check_pdf(pdf, len, words, sizeof words / sizeof words[0], 1, 1, NULL);

    /* a balance left: no paid-in-full mark; many lines continue on a second page */
    struct psy_claim_line many[40];
    for (int i = 0; i < 40; i++) {
        many[i] = f.l2[1];
        many[i].date = "20260120";
    }
    sb.lines = many;
    sb.n_lines = 40;
    sb.n_payments = 1;
    assert_int_equal(psy_pdf_superbill(&sb, &pdf, &len, err, sizeof err), PSY_OK);
    static const char *const words2[] = {"Total charges 2402.00", "Amount paid 200.00", "Balance due 2202.00",
                                         "continued on the next page"};
    check_pdf(pdf, len, words2, 4, 2, 0, "PAID IN FULL");
}

static void test_superbill_refuses(void **state)
{
    (void)state;
    static const struct { int what; const char *field; } cases[] = {
        {0, "clinician.license"}, {1, "clinician.npi"}, {2, "practice.tax_id"},
        {3, "lines[1].place_of_service"}, {4, "lines[0].dx_pointers"}, {5, "patient.birth_date"},
        {6, "diagnoses"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fixture f;
        fixture_init(&f, 3);
        struct psy_superbill sb;
        struct psy_superbill_payment pay[2];
        superbill_of(&f, &sb, pay);
        switch (cases[i].what) {
        case 0: f.smith.license = NULL; break;
        case 1: f.smith.npi = "1245319598"; break;
        case 2: f.billing.tax_id_is_ssn = 1; break;
        case 3: f.l2[1].place_of_service = ""; break;
        case 4: f.l2[0].dx_pointers[0] = 9; break;
        case 5: f.jane.person.birth_date = "19800230"; break;
        case 6: sb.n_diagnoses = 0; break;
        }
        char *pdf = (char *)"x", err[200];
        size_t len = 1;
        assert_int_equal(psy_pdf_superbill(&sb, &pdf, &len, err, sizeof err), PSY_EINVAL);
        assert_non_null(strstr(err, cases[i].field));
        assert_null(pdf);
        assert_int_equal(len, 0);
    }
}

/* EVIDENCE: domain 6.1 -- the CMS-1500 items filled from the claim. */
static void test_cms1500(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f, 3);
    struct psy_cms1500_opts o = {.icd_with_dot = 0, .signature_date = "20260106"};
    char *pdf, err[200];
    size_t len;
    psy_status rc = psy_pdf_cms1500(&f.claims[1], &f.billing, &o, &pdf, &len, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, PSY_OK);
    static const char *const words[] = {
        "HEALTH INSURANCE CLAIM FORM", "EXAMPLE HEALTH PLAN", "[X] GROUP HEALTH PLAN", "[ ] MEDICARE",
        "1a. INSURED'S I.D. NUMBER", "MEM777001",
        "ROE, SAM",                        /* 2: the patient */
        "07/04/2012 SEX U",                /* 3 */
        "ROE, RICHARD Q",                  /* 4: the insured */
        "9 OAK AVE, APT 2",                /* 5 and 7 */
        "[X] CHILD",                       /* 6 */
        "GRP002",                          /* 11 */
        "EXAMPLE EMPLOYER PLAN",           /* 11c */
        "SIGNATURE ON FILE",               /* 12, 13 */
        "ICD Ind. 0", "F900",              /* 21 without the dot */
        "01 05 26 01 05 26 11 90834 A 120.00 1 NPI 1245319599",  /* 24, line 1 */
        "01 05 26 01 05 26 11 90785 A 25.50 1 NPI 6543210903",   /* line 2: its own clinician */
        "123456789 [ ] SSN [X] EIN",       /* 25 */
        "PC0002",                          /* 26 */
        "145.50", "20.00",                 /* 28, 29 */
        "ALEX SMITH, PhD", "DATE 01/06/2026", /* 31 */
        "(555) 555-0100", "ANYTOWN, NY 12345-0001", "1234567893", /* 33, 33a */
        "page 1 of 1",
    };
    check_pdf(pdf, len, words, sizeof words / sizeof words[0], 1, 1, NULL);

    /* replacement claim, dots printed, eight lines over two pages with the total on the last */
    struct psy_claim_line lines[8];
    for (int i = 0; i < 8; i++) {
        lines[i] = f.l2[i % 3];
        lines[i].rendering = NULL;
    }
    f.claims[2].lines = lines;
    f.claims[2].n_lines = 8;
    f.claims[2].total_cents = 3 * 14000 + 3 * 6005 + 2 * 9999;
    o.icd_with_dot = 1;
    assert_int_equal(psy_pdf_cms1500(&f.claims[2], &f.billing, &o, &pdf, &len, err, sizeof err), PSY_OK);
    static const char *const words2[] = {"F43.10", "Z63.0", "F32.A", "7 ICN20260001", "AUTH-555", "CONTINUED",
                                         "800.13", "page 1 of 2", "page 2 of 2", "01 03 26 01 03 26 02 90847 95 GT BA 140.00"};
    check_pdf(pdf, len, words2, sizeof words2 / sizeof words2[0], 2, 0, NULL);

    /* what the form cannot do without */
    f.claims[0].subscriber = NULL;
    assert_int_equal(psy_pdf_cms1500(&f.claims[0], &f.billing, &o, &pdf, &len, err, sizeof err), PSY_EINVAL);
    assert_non_null(strstr(err, "claim.subscriber.member_id"));
    f.billing.npi = "1";
    assert_int_equal(psy_pdf_cms1500(&f.claims[1], &f.billing, &o, &pdf, &len, err, sizeof err), PSY_EINVAL);
    assert_non_null(strstr(err, "billing.npi"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_superbill),
        cmocka_unit_test(test_superbill_refuses),
        cmocka_unit_test(test_cms1500),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
