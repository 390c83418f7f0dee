/* test_import.c -- importing official code files: the real CMS files beside the checkout, synthetic
 * files in every supported layout, and broken inputs that must stop the import and keep nothing. */
#include "support.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long count_system(psy_store *st, psy_system sys)
{
    long counts[PSY_SYS_COUNT];
    assert_int_equal(psy_catalog_counts(st, counts), PSY_OK);
    return counts[sys];
}

/* An order-file line in the CMS fixed-width layout. */
static void order_line(char *out, size_t len, int order, const char *code, int billable, const char *shortt,
                       const char *longt)
{
    snprintf(out, len, "%05d %-7s %d %-60s %s\n", order, code, billable, shortt, longt);
}

static void test_icd_real_file(void **state)
{
    (void)state;
    char file[512];
    if (!test_have_shared("icd10cm/icd10cm_order_2022_fixedwidth.txt", file, sizeof file)) {
        skip();
        return;
    }
    char *path, err[600];
    psy_store *st = test_open_store(&path);
    long builtin = count_system(st, PSY_SYS_ICD10CM);
    struct psy_import_stats s;
    assert_int_equal(psy_catalog_import(st, PSY_IMPORT_ICD10CM, file, NULL, &s, err, sizeof err), PSY_OK);
    assert_int_equal(s.lines, 95524);
    assert_int_equal(s.added + s.updated, 95524);
    assert_true(s.added >= 95524 - builtin);
    assert_int_equal(count_system(st, PSY_SYS_ICD10CM), 95524 + 0 * builtin + (builtin - s.updated));
    struct psy_code c;
    assert_int_equal(psy_catalog_get(st, PSY_SYS_ICD10CM, "F43.10", &c), PSY_OK);
    assert_string_equal(c.long_title, "Post-traumatic stress disorder, unspecified");
    assert_true(c.billable);
    assert_string_equal(c.effective, "2021-10-01"); /* FY2022 from the file name */
    psy_code_clear(&c);
    assert_int_equal(psy_catalog_get(st, PSY_SYS_ICD10CM, "A00", &c), PSY_OK);
    assert_false(c.billable);
    psy_code_clear(&c);
    /* the same file again changes nothing and never duplicates a code */
    assert_int_equal(psy_catalog_import(st, PSY_IMPORT_ICD10CM, file, NULL, &s, err, sizeof err), PSY_OK);
    assert_int_equal(s.added, 0);
    assert_int_equal(s.updated, 0);
    assert_int_equal(s.unchanged, 95524);
    psy_store_close(st);
    test_rm_db(path);
    free(path);
}

static void test_hcpcs_real_files(void **state)
{
    (void)state;
    char file[512], mods[512];
    if (!test_have_shared("hcpcs/HCPC2025_OCT_ANWEB.tsv", file, sizeof file) ||
        !test_have_shared("hcpcs/hcpcs_level2_modifiers_2025_oct.tsv", mods, sizeof mods)) {
        skip();
        return;
    }
    char *path, err[600];
    psy_store *st = test_open_store(&path);
    struct psy_import_stats s;
    assert_int_equal(psy_catalog_import(st, PSY_IMPORT_HCPCS, file, NULL, &s, err, sizeof err), PSY_OK);
    assert_int_equal(s.added + s.updated + s.unchanged, 8463 + 383);
    assert_int_equal(s.modifiers, 383);
    assert_int_equal(count_system(st, PSY_SYS_HCPCS) >= 8463, 1);
    struct psy_code c;
    assert_int_equal(psy_catalog_get(st, PSY_SYS_MODIFIER, "CP", &c), PSY_OK);
    assert_string_equal(c.terminated, "2017-12-31");
    assert_string_equal(c.effective, "2016-01-01");
    psy_code_clear(&c);
    assert_int_equal(psy_catalog_get(st, PSY_SYS_HCPCS, "H0004", &c), PSY_OK);
    assert_true(strlen(c.long_title) > 10);
    psy_code_clear(&c);
    /* the modifier list alone: everything is already there */
    assert_int_equal(psy_catalog_import(st, PSY_IMPORT_MODIFIERS, mods, NULL, &s, err, sizeof err), PSY_OK);
    assert_int_equal(s.unchanged, 383);
    assert_int_equal(s.added + s.updated, 0);
    char cptmods[512];
    if (test_have_shared("modifiers/cpt_modifier_codes_only_2024.tsv", cptmods, sizeof cptmods)) {
        assert_int_equal(psy_catalog_import(st, PSY_IMPORT_MODIFIERS, cptmods, NULL, &s, err, sizeof err), PSY_OK);
        assert_int_equal(s.added + s.unchanged, 49);
        /* a code list without titles never overwrites a titled modifier */
        assert_int_equal(psy_catalog_get(st, PSY_SYS_MODIFIER, "95", &c), PSY_OK);
        assert_null(strstr(c.short_title, "CPT modifier"));
        psy_code_clear(&c);
    }
    psy_store_close(st);
    test_rm_db(path);
    free(path);
}

/* A newer release updates titles and dates in place and ends codes it no longer lists. */
static void test_icd_newer_release(void **state)
{
    (void)state;
    char l1[400], l2[400], l3[400], a[1300], b[1300];
    order_line(l1, sizeof l1, 1, "Z99", 0, "Test category", "Test category");
    order_line(l2, sizeof l2, 2, "Z9901", 1, "Old short", "Old long title");
    order_line(l3, sizeof l3, 3, "Z9902", 1, "Dropped code", "Dropped code long");
    snprintf(a, sizeof a, "%s%s%s", l1, l2, l3);
    order_line(l2, sizeof l2, 2, "Z9901", 1, "New short", "New long title");
    snprintf(b, sizeof b, "%s%s", l1, l2);
    char *fa = test_write_file(a, strlen(a)), *fb = test_write_file(b, strlen(b));
    char *path, err[600];
    psy_store *st = test_open_store(&path);
    struct psy_import_opts o = {.effective = "2024-10-01"};
    struct psy_import_stats s;
    assert_int_equal(psy_catalog_import(st, PSY_IMPORT_ICD10CM, fa, &o, &s, err, sizeof err), PSY_OK);
    assert_int_equal(s.added, 3);
    o.effective = "2025-10-01";
    assert_int_equal(psy_catalog_import(st, PSY_IMPORT_ICD10CM, fb, &o, &s, err, sizeof err), PSY_OK);
    assert_int_equal(s.added, 0);
    assert_int_equal(s.updated, 1);
    assert_int_equal(s.unchanged, 1);
    assert_int_equal(s.terminated, 1);
    struct psy_code c;
    assert_int_equal(psy_catalog_get(st, PSY_SYS_ICD10CM, "Z99.01", &c), PSY_OK);
    assert_string_equal(c.short_title, "New short");
    assert_string_equal(c.long_title, "New long title");
    assert_string_equal(c.effective, "2024-10-01"); /* the earliest release that had it */
    assert_string_equal(c.terminated, "");
    psy_code_clear(&c);
    assert_int_equal(psy_catalog_get(st, PSY_SYS_ICD10CM, "Z99.02", &c), PSY_OK);
    assert_string_equal(c.terminated, "2025-09-30");
    psy_code_clear(&c);
    psy_store_close(st);
    test_rm_db(path);
    unlink(fa);
    unlink(fb);
    free(path);
    free(fa);
    free(fb);
}

/* One HCPCS record of 320 bytes in the CMS layout. */
static void hcpcs_record(char *out, const char *code, const char *seq, char recid, const char *longd,
                         const char *shortd, const char *added, const char *term)
{
    memset(out, ' ', 320);
    out[320] = '\n';
    out[321] = 0;
    memcpy(out, code, strlen(code));
    memcpy(out + 5, seq, 5);
    out[10] = recid;
    memcpy(out + 11, longd, strlen(longd));
    memcpy(out + 91, shortd, strlen(shortd));
    memcpy(out + 268, added, strlen(added));
    memcpy(out + 276, added, strlen(added));
    memcpy(out + 284, term, strlen(term));
    out[292] = 'N';
}

static void test_hcpcs_fixed_width(void **state)
{
    (void)state;
    char r1[330], r2[330], r3[330], all[1000];
    hcpcs_record(r1, "H9991", "00100", '3', "Behavioural health counselling and therapy, per fifteen", "BH counsel 15m",
                 "19970101", "");
    hcpcs_record(r2, "H9991", "00200", '4', "minutes, test continuation line", "", "", "");
    hcpcs_record(r3, "   Z9", "00100", '7', "Test modifier", "Test mod", "20200101", "20221231");
    snprintf(all, sizeof all, "%s%s%s", r1, r2, r3);
    char *f = test_write_file(all, strlen(all));
    char *path, err[600];
    psy_store *st = test_open_store(&path);
    struct psy_import_stats s;
    assert_int_equal(psy_catalog_import(st, PSY_IMPORT_HCPCS, f, NULL, &s, err, sizeof err), PSY_OK);
    assert_int_equal(s.added, 2);
    assert_int_equal(s.modifiers, 1);
    struct psy_code c;
    assert_int_equal(psy_catalog_get(st, PSY_SYS_HCPCS, "H9991", &c), PSY_OK);
    assert_string_equal(c.long_title,
                        "Behavioural health counselling and therapy, per fifteen minutes, test continuation line");
    assert_string_equal(c.short_title, "BH counsel 15m");
    assert_string_equal(c.effective, "1997-01-01");
    psy_code_clear(&c);
    assert_int_equal(psy_catalog_get(st, PSY_SYS_MODIFIER, "Z9", &c), PSY_OK);
    assert_string_equal(c.terminated, "2022-12-31");
    psy_code_clear(&c);
    psy_store_close(st);
    test_rm_db(path);
    unlink(f);
    free(path);
    free(f);
}

/* Each broken input stops the import with FILE:LINE and keeps nothing of it. */
static void expect_rejected(psy_import_kind kind, const char *text, size_t len, const char *line_tag,
                            const char *msg_part)
{
    char *f = test_write_file(text, len);
    char *path, err[600];
    psy_store *st = test_open_store(&path);
    long before[PSY_SYS_COUNT], after[PSY_SYS_COUNT];
    psy_catalog_counts(st, before);
    struct psy_import_stats s;
    psy_status rc = psy_catalog_import(st, kind, f, NULL, &s, err, sizeof err);
    assert_int_equal(rc, PSY_EPARSE);
    char want[600];
    snprintf(want, sizeof want, "%s:%s: ", f, line_tag);
    if (strncmp(err, want, strlen(want)) != 0) fail_msg("error '%s' does not start with '%s'", err, want);
    if (!strstr(err, msg_part)) fail_msg("error '%s' does not mention '%s'", err, msg_part);
    psy_catalog_counts(st, after);
    assert_memory_equal(before, after, sizeof before);
    assert_int_equal(s.added, 0);
    /* the store is still usable after the rollback */
    struct psy_code c;
    assert_int_equal(psy_catalog_get(st, PSY_SYS_CPT, "90837", &c), PSY_OK);
    psy_code_clear(&c);
    psy_store_close(st);
    test_rm_db(path);
    unlink(f);
    free(path);
    free(f);
}

static void test_broken_inputs(void **state)
{
    (void)state;
    char good[400], good2[400], buf[2000];
    order_line(good, sizeof good, 1, "Z9901", 1, "Fine", "Fine long");
    order_line(good2, sizeof good2, 2, "Z9902", 1, "Fine too", "Fine too long");

    /* truncated line (cut inside the short title) */
    snprintf(buf, sizeof buf, "%s%.40s\n", good, good2);
    expect_rejected(PSY_IMPORT_ICD10CM, buf, strlen(buf), "2", "characters long");
    /* the last line cut inside the long title: long enough, but its line end is gone */
    snprintf(buf, sizeof buf, "%s%.84s", good, good2);
    assert_true(strlen(good2) > 85);
    expect_rejected(PSY_IMPORT_ICD10CM, buf, strlen(buf), "2", "cut short");
    /* bad code */
    order_line(good2, sizeof good2, 2, "9F901", 1, "Bad", "Bad code");
    snprintf(buf, sizeof buf, "%s%s", good, good2);
    expect_rejected(PSY_IMPORT_ICD10CM, buf, strlen(buf), "2", "not an ICD-10-CM code");
    /* bad billable flag */
    order_line(good2, sizeof good2, 2, "Z9902", 7, "Bad", "Bad flag");
    snprintf(buf, sizeof buf, "%s%s", good, good2);
    expect_rejected(PSY_IMPORT_ICD10CM, buf, strlen(buf), "2", "billable flag");
    /* wrong encoding: a Latin-1 byte */
    order_line(good2, sizeof good2, 2, "Z9902", 1, "Caf\xe9", "Latin-1 title");
    snprintf(buf, sizeof buf, "%s%s", good, good2);
    expect_rejected(PSY_IMPORT_ICD10CM, buf, strlen(buf), "2", "UTF-8");
    /* UTF-16 */
    static const char utf16[] = "\xff\xfe" "0\0" "0\0" "0\0" "0\0" "1\0" " \0" "Z\0\n\0";
    expect_rejected(PSY_IMPORT_ICD10CM, utf16, sizeof utf16 - 1, "1", "");
    /* HCPCS: truncated fixed record */
    char rec[330];
    hcpcs_record(rec, "H9991", "00100", '3', "Long", "Short", "19970101", "");
    snprintf(buf, sizeof buf, "%s%.200s\n", rec, rec);
    expect_rejected(PSY_IMPORT_HCPCS, buf, strlen(buf), "2", "truncated");
    /* HCPCS: bad date */
    hcpcs_record(rec, "H9991", "00100", '3', "Long", "Short", "1997011X", "");
    expect_rejected(PSY_IMPORT_HCPCS, rec, strlen(rec), "1", "YYYYMMDD");
    /* HCPCS TSV: bad code and a missing header column */
    const char *tsv = "HCPC\tSEQNUM\tRECID\tLONG DESCRIPTION\tSHORT DESCRIPTION\n"
                      "H0004\t0010\t3\tBehavioural health counselling\tBH counsel\n"
                      "HX004\t0010\t3\tBroken\tBroken\n";
    expect_rejected(PSY_IMPORT_HCPCS, tsv, strlen(tsv), "3", "HX004");
    /* HCPCS TSV: the last row cut after its 10th column (of the header's 12) */
    const char *tsv3 = "HCPC\tSEQNUM\tRECID\tLONG DESCRIPTION\tSHORT DESCRIPTION\tPRICE1\tPRICE2\tPRICE3\tPRICE4\t"
                       "MULT_PI\tCIM1\tCIM2\n"
                       "H0004\t0010\t3\tBehavioural health counselling\tBH counsel\t57\t\t\t\tA\t\t\n"
                       "H0005\t0010\t3\tAlcohol and drug services, group\tAlcohol/drug group\t57\t\t\t\tA";
    expect_rejected(PSY_IMPORT_HCPCS, tsv3, strlen(tsv3), "3", "truncated");
    const char *tsv2 = "HCPC\tSEQNUM\tRECID\tLONG DESCRIPTION\nH0004\t0010\t3\tx\n";
    expect_rejected(PSY_IMPORT_HCPCS, tsv2, strlen(tsv2), "1", "SHORT DESCRIPTION");
}

static void test_missing_and_empty(void **state)
{
    (void)state;
    char *path, err[600];
    psy_store *st = test_open_store(&path);
    assert_int_equal(psy_catalog_import(st, PSY_IMPORT_ICD10CM, "/nonexistent/file.txt", NULL, NULL, err, sizeof err),
                     PSY_EIO);
    assert_non_null(strstr(err, "/nonexistent/file.txt"));
    char *f = test_write_file("\n\n", 2);
    assert_int_equal(psy_catalog_import(st, PSY_IMPORT_ICD10CM, f, NULL, NULL, err, sizeof err), PSY_EPARSE);
    assert_non_null(strstr(err, "no codes"));
    struct psy_import_opts o = {.effective = "2025-13-01"};
    assert_int_equal(psy_catalog_import(st, PSY_IMPORT_ICD10CM, f, &o, NULL, err, sizeof err), PSY_EPARSE);
    assert_non_null(strstr(err, "--effective"));
    unlink(f);
    free(f);
    psy_store_close(st);
    test_rm_db(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_icd_real_file),    cmocka_unit_test(test_hcpcs_real_files),
        cmocka_unit_test(test_icd_newer_release), cmocka_unit_test(test_hcpcs_fixed_width),
        cmocka_unit_test(test_broken_inputs),    cmocka_unit_test(test_missing_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
