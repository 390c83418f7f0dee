/* test_catalog.c -- the code catalog: code shapes, the built-in catalog and pages, look-ups. */
#include "support.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "psy_int.h"

static void note_migration(void *ud, const char *name, const char *data, size_t len)
{
    (void)data;
    (void)len;
    const char *base = strrchr(name, '/');
    int v = atoi(base ? base + 1 : name);
    if (v > *(int *)ud) *(int *)ud = v;
}

/* The number of the newest built-in migration: the version a fresh store is at. */
static int highest_migration(void)
{
    int v = 0;
    psy_data_each("sql/sqlite/", note_migration, &v);
    return v;
}

static void test_normalize(void **state)
{
    (void)state;
    static const struct { psy_system sys; const char *in, *out; } ok[] = {
        {PSY_SYS_ICD10CM, "f411", "F41.1"},    {PSY_SYS_ICD10CM, " F41.1 ", "F41.1"},
        {PSY_SYS_ICD10CM, "F32A", "F32.A"},    {PSY_SYS_ICD10CM, "F43", "F43"},
        {PSY_SYS_ICD10CM, "t7432xa", "T74.32XA"}, {PSY_SYS_CPT, "90853", "90853"},
        {PSY_SYS_CPT, "0591t", "0591T"},       {PSY_SYS_HCPCS, "h0004", "H0004"},
        {PSY_SYS_MODIFIER, "xe", "XE"},        {PSY_SYS_MODIFIER, "95", "95"},
        {PSY_SYS_POS, "2", "02"},              {PSY_SYS_POS, "11", "11"},
    };
    static const struct { psy_system sys; const char *in; } bad[] = {
        {PSY_SYS_ICD10CM, "41.1"},  {PSY_SYS_ICD10CM, "F4"},     {PSY_SYS_ICD10CM, "F41.12345"},
        {PSY_SYS_ICD10CM, "FF1"},   {PSY_SYS_CPT, "9085"},       {PSY_SYS_CPT, "908533"},
        {PSY_SYS_CPT, "H0004"},     {PSY_SYS_HCPCS, "90853"},    {PSY_SYS_MODIFIER, "959"},
        {PSY_SYS_POS, "1a"},        {PSY_SYS_POS, "111"},        {PSY_SYS_CPT, "908\xc3\xa9"},
        {PSY_SYS_CPT, ""},
    };
    char out[PSY_CODE_MAX];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(psy_catalog_normalize(ok[i].sys, ok[i].in, out), PSY_OK);
        assert_string_equal(out, ok[i].out);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(psy_catalog_normalize(bad[i].sys, bad[i].in, out), PSY_EINVAL);
    psy_system s;
    assert_int_equal(psy_catalog_system_parse("ICD10", &s), PSY_OK);
    assert_int_equal(s, PSY_SYS_ICD10CM);
    assert_int_equal(psy_catalog_system_parse("modifiers", &s), PSY_OK);
    assert_int_equal(s, PSY_SYS_MODIFIER);
    assert_int_equal(psy_catalog_system_parse("loinc", &s), PSY_EINVAL);
}

/* The codes the built-in catalog must hold (issue: foundation). */
static void test_builtin_contents(void **state)
{
    (void)state;
    char *path;
    psy_store *st = test_open_store(&path);
    static const char *const cpt[] = {"90785", "90791", "90792", "90832", "90833", "90834", "90836", "90837",
                                      "90838", "90839", "90840", "90845", "90846", "90847", "90849", "90853",
                                      "90863", "90865", "90870", "90880", "96127", "99202", "99205", "99211",
                                      "99215"};
    static const char *const hcpcs[] = {"H0004", "H0005", "H0031", "H0032", "H2011", "H2019", "H2020", "S9484",
                                        "T1017", "G0410", "G0017", "G0018", "G0323", "G2088", "G0560", "G0512"};
    static const char *const mods[] = {"25", "59", "XE", "XS", "XP", "XU", "95", "93", "FQ", "GT", "GQ",
                                       "AH", "AJ", "HO", "HN", "HP", "HQ", "HR", "HS", "KX", "GA", "GY", "GZ"};
    static const char *const pos[] = {"02", "03", "10", "11", "12", "22", "49", "53", "57", "99"};
    struct psy_code c;
    for (size_t i = 0; i < sizeof cpt / sizeof cpt[0]; i++) {
        assert_int_equal(psy_catalog_get(st, PSY_SYS_CPT, cpt[i], &c), PSY_OK);
        assert_true(strlen(c.short_title) > 3);
        assert_true(c.billable);
        psy_code_clear(&c);
    }
    for (size_t i = 0; i < sizeof hcpcs / sizeof hcpcs[0]; i++) {
        assert_int_equal(psy_catalog_get(st, PSY_SYS_HCPCS, hcpcs[i], &c), PSY_OK);
        psy_code_clear(&c);
    }
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++) {
        assert_int_equal(psy_catalog_get(st, PSY_SYS_MODIFIER, mods[i], &c), PSY_OK);
        psy_code_clear(&c);
    }
    for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++) {
        assert_int_equal(psy_catalog_get(st, PSY_SYS_POS, pos[i], &c), PSY_OK);
        psy_code_clear(&c);
    }
    long counts[PSY_SYS_COUNT];
    assert_int_equal(psy_catalog_counts(st, counts), PSY_OK);
    assert_true(counts[PSY_SYS_ICD10CM] >= 150);

    test_check_lookups(st);
    psy_store_close(st);
    test_rm_db(path);
    free(path);
}

/* Every add-on names its primaries, and every link points at a code that exists. */
static int check_links(void *ud, const struct psy_code *c, const char *syn, const char *extra)
{
    (void)syn;
    (void)extra;
    psy_store *st = ud;
    struct psy_link *links;
    size_t n;
    assert_int_equal(psy_catalog_links(st, c->system, c->code, &links, &n), PSY_OK);
    size_t primaries = 0;
    for (size_t i = 0; i < n; i++) {
        struct psy_code t;
        if (psy_catalog_get(st, links[i].system, links[i].code, &t) != PSY_OK)
            fail_msg("%s %s links to missing %s %s", psy_catalog_system_name(c->system), c->code,
                     psy_catalog_system_name(links[i].system), links[i].code);
        psy_code_clear(&t);
        primaries += strcmp(links[i].kind, "primary") == 0;
    }
    if (c->system == PSY_SYS_CPT && c->addon && primaries == 0) fail_msg("add-on %s has no primary", c->code);
    psy_links_free(links, n);
    return 0;
}

static void test_links(void **state)
{
    (void)state;
    char *path;
    psy_store *st = test_open_store(&path);
    /* the links table is only walked over built-in rows here (no import) */
    assert_int_equal(psy_catalog_foreach(st, check_links, st), PSY_OK);
    struct psy_link *links;
    size_t n;
    assert_int_equal(psy_catalog_links(st, PSY_SYS_CPT, "90840", &links, &n), PSY_OK);
    int has_90839 = 0;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(links[i].kind, "primary") && !strcmp(links[i].code, "90839")) has_90839 = 1;
    assert_true(has_90839);
    psy_links_free(links, n);
    psy_store_close(st);
    test_rm_db(path);
    free(path);
}

/* Every required explainer page exists and has every section filled. */
static void test_pages(void **state)
{
    (void)state;
    static const char *const codes[] = {"90785", "90791", "90792", "90832", "90833", "90834", "90836", "90837",
                                        "90838", "90839", "90840", "90845", "90846", "90847", "90849", "90853"};
    static const char *const keys[] = {"name", "common_names", "summary", "purpose", "indications", "preparation",
                                       "procedure", "duration", "time_band", "setting", "personnel", "risks",
                                       "benefits", "recovery", "alternatives", "patient_experience",
                                       "similar_codes", "billing_notes", "payer_policies", "sources"};
    char *path;
    psy_store *st = test_open_store(&path);
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        char *text;
        assert_int_equal(psy_catalog_page(st, PSY_SYS_CPT, codes[i], &text), PSY_OK);
        json_t *page = json_loads(text, 0, NULL);
        assert_non_null(page);
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            json_t *v = json_object_get(page, keys[k]);
            int filled = (json_is_string(v) && json_string_length(v) > 0) ||
                         (json_is_array(v) && json_array_size(v) > 0);
            if (!filled) fail_msg("page %s: section %s is empty", codes[i], keys[k]);
        }
        assert_string_equal(json_string_value(json_object_get(page, "code")), codes[i]);
        json_decref(page);
        free(text);
    }
    char *text = NULL;
    assert_int_equal(psy_catalog_page(st, PSY_SYS_CPT, "99213", &text), PSY_ENOTFOUND);
    assert_null(text);
    psy_store_close(st);
    test_rm_db(path);
    free(path);
}

/* The hash of the built-in files the store remembers (meta builtin_catalog) is folded from hashes the
 * build computed; it must be the hash of the bytes themselves, read here, and change with any of them. */
struct fold {
    uint64_t h;
    const char *skip; /* a file left out */
};

static void fold_file(void *ud, const char *name, const char *data, size_t len)
{
    struct fold *f = ud;
    if (f->skip && strcmp(name, f->skip) == 0) return;
    f->h = f->h * 31 + psy__hash64(name, strlen(name));
    f->h = f->h * 31 + psy__hash64(data, len);
}

static void test_builtin_hash(void **state)
{
    (void)state;
    static const char *const prefixes[] = {"catalog/", "explainers/", "sql/sqlite/", "search/"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        struct fold f = {1469598103934665603ULL, NULL};
        psy_data_each(prefixes[i], fold_file, &f);
        assert_true(f.h == psy__data_hash(prefixes[i], 1469598103934665603ULL));
    }
    struct fold f = {7, "catalog/cpt.json"};
    assert_non_null(psy_data_get("catalog/cpt.json", NULL));
    psy_data_each("catalog/", fold_file, &f);
    assert_true(f.h != psy__data_hash("catalog/", 7));
}

/* Opening the store at path again finds the catalog with these counts. */
static void expect_counts(const char *path, const long want[PSY_SYS_COUNT])
{
    psy_store *st;
    long have[PSY_SYS_COUNT];
    assert_int_equal(psy_store_open(path, &st, NULL, 0), PSY_OK);
    psy_catalog_counts(st, have);
    assert_memory_equal(want, have, sizeof have);
    psy_store_close(st);
}

/* SQLite: the write-ahead log and its index stay beside the database after the last connection
 * closes, the log emptied into the database (so the database file alone holds everything), and the
 * next open uses them. */
static void test_wal_kept_empty(void **state)
{
    (void)state;
    char *path, wal[600], shm[600];
    psy_store *st = test_open_store(&path);
    long before[PSY_SYS_COUNT];
    psy_catalog_counts(st, before);
    psy_store_close(st);
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    struct stat sb;
    assert_int_equal(stat(wal, &sb), 0);
    assert_int_equal(sb.st_size, 0);
    assert_int_equal(stat(shm, &sb), 0);
    for (int i = 0; i < 2; i++) {
        expect_counts(path, before);
        assert_int_equal(stat(wal, &sb), 0);
        assert_int_equal(sb.st_size, 0);
    }
    /* the database file alone, copied elsewhere, is whole */
    char copy[700], cmd[1500];
    snprintf(copy, sizeof copy, "%s.copy", path);
    snprintf(cmd, sizeof cmd, "cp %s %s", path, copy);
    assert_int_equal(system(cmd), 0);
    expect_counts(copy, before);
    test_rm_db(copy);
    test_rm_db(path);
    free(path);
}

static void test_suggest_and_reseed(void **state)
{
    (void)state;
    char *path;
    psy_store *st = test_open_store(&path);
    struct psy_code sug[5];
    size_t n = psy_catalog_suggest(st, PSY_SYS_COUNT, "90854", sug, 5);
    assert_true(n > 0);
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        found |= strcmp(sug[i].code, "90853") == 0;
        psy_code_clear(&sug[i]);
    }
    assert_true(found);
    assert_int_equal(psy_catalog_suggest(st, PSY_SYS_COUNT, "", sug, 5), 0);
    /* seeding again with the same build is a no-op and keeps everything */
    long before[PSY_SYS_COUNT], after[PSY_SYS_COUNT];
    psy_catalog_counts(st, before);
    assert_int_equal(psy_catalog_seed(st), PSY_OK);
    psy_catalog_counts(st, after);
    assert_memory_equal(before, after, sizeof before);
    assert_int_equal(psy_store_schema_version(st), highest_migration());
    psy_store_close(st);
    /* reopening an existing store migrates nothing and keeps the data */
    expect_counts(path, before);
    test_rm_db(path);
    free(path);
}

static void test_open_errors(void **state)
{
    (void)state;
    psy_store *st;
    char err[256];
    assert_int_equal(psy_store_open("mysql://nowhere/db", &st, err, sizeof err), PSY_EINVAL);
    assert_null(st);
    assert_non_null(strstr(err, "unsupported"));
    /* a PostgreSQL server that is not there: the message names it, never the password */
    assert_int_equal(psy_store_open("postgres://psy:s3cret@127.0.0.1:1/db", &st, err, sizeof err), PSY_EDB);
    assert_null(st);
    assert_non_null(strstr(err, "127.0.0.1:1/db"));
    assert_null(strstr(err, "s3cret"));
    assert_int_equal(psy_store_open("/nonexistent-dir/x.db", &st, err, sizeof err), PSY_EDB);
    assert_non_null(strstr(err, "/nonexistent-dir/x.db"));
    /* a file that is not a database */
    char *p = test_write_file("this is not a database, just text\n", 35);
    assert_int_not_equal(psy_store_open(p, &st, err, sizeof err), PSY_OK);
    assert_null(st);
    unlink(p);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),   cmocka_unit_test(test_builtin_contents),
        cmocka_unit_test(test_links),       cmocka_unit_test(test_pages),
        cmocka_unit_test(test_suggest_and_reseed), cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_builtin_hash), cmocka_unit_test(test_wal_kept_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
