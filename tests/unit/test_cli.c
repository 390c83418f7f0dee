/* test_cli.c -- the psyclaim command's contract: help, version, show, import and their errors. */
#include "support.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *db;

static int setup(void **state)
{
    (void)state;
    db = test_tmp_path(".db");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_rm_db(db);
    free(db);
    return 0;
}

/* Runs "psyclaim CMD --db <scratch database> [OPTS] ARG". */
static int run(const char *cmd, const char *opts, const char *arg, char **out, char **err)
{
    char args[1024];
    snprintf(args, sizeof args, "%s --db %s %s '%s'", cmd, db, opts, arg);
    return test_run_cli(args, NULL, out, err);
}

static void test_help_and_version(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(test_run_cli("--version", NULL, &out, NULL), 0);
    assert_non_null(strstr(out, psy_version()));
    free(out);
    assert_int_equal(test_run_cli("--help", NULL, &out, NULL), 0);
    assert_non_null(strstr(out, "show"));
    assert_non_null(strstr(out, "import"));
    free(out);
    assert_int_equal(test_run_cli("show --help", NULL, &out, NULL), 0);
    assert_non_null(strstr(out, "usage: psyclaim show"));
    free(out);
    assert_int_equal(test_run_cli("import --help", NULL, &out, NULL), 0);
    assert_non_null(strstr(out, "icd10cm"));
    free(out);
    assert_int_equal(test_run_cli("frobnicate", NULL, &out, &err), 2);
    assert_non_null(strstr(err, "no command 'frobnicate'"));
    free(out);
    free(err);
    assert_int_equal(test_run_cli("", NULL, &out, &err), 2);
    assert_non_null(strstr(err, "usage"));
    free(out);
    free(err);
}

static void test_show_json(void **state)
{
    (void)state;
    static const char *const keys[] = {"system", "code", "short_title", "long_title", "billable", "links", "name",
                                       "common_names", "summary", "purpose", "indications", "preparation",
                                       "procedure", "duration", "time_band", "setting", "personnel", "risks",
                                       "benefits", "recovery", "alternatives", "patient_experience",
                                       "similar_codes", "billing_notes", "payer_policies", "sources"};
    char *out, *err;
    assert_int_equal(run("show", "--json", "90853", &out, &err), 0);
    json_error_t jerr;
    json_t *j = json_loads(out, 0, &jerr);
    if (!j) fail_msg("not JSON: %s", jerr.text);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(j, keys[i]);
        int filled = json_is_boolean(v) || (json_is_string(v) && json_string_length(v) > 0) ||
                     (json_is_array(v) && json_array_size(v) > 0);
        if (!filled) fail_msg("show 90853 --json: %s is empty", keys[i]);
    }
    assert_string_equal(json_string_value(json_object_get(j, "code")), "90853");
    assert_true(json_is_true(json_object_get(j, "billable")));
    json_decref(j);
    free(out);
    free(err);
}

static void test_show_text(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(run("show", "", "90837", &out, &err), 0);
    assert_non_null(strstr(out, "90837"));
    assert_non_null(strstr(out, "Summary"));
    assert_non_null(strstr(out, "Billing notes"));
    assert_non_null(strstr(out, "Similar codes"));
    free(out);
    free(err);
    /* ICD-10-CM typed without the dot; a plain record without a page */
    assert_int_equal(run("show", "", "f4310", &out, &err), 0);
    assert_non_null(strstr(out, "F43.10"));
    free(out);
    free(err);
    assert_int_equal(run("show", "--system pos", "2", &out, &err), 0);
    assert_non_null(strstr(out, "02"));
    free(out);
    free(err);
}

static void test_show_errors(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(run("show", "", "90854", &out, &err), 1);
    assert_non_null(strstr(err, "no code '90854'"));
    assert_non_null(strstr(err, "Did you mean"));
    assert_non_null(strstr(err, "90853"));
    free(out);
    free(err);
    assert_int_equal(run("show", "--system loinc", "90853", &out, &err), 2);
    assert_non_null(strstr(err, "--system"));
    free(out);
    free(err);
    assert_int_equal(run("show", "", "", &out, &err), 2);
    free(out);
    free(err);
}

static void test_import_cli(void **state)
{
    (void)state;
    char *out, *err;
    const char *bad = "00001 Z9901   1 Short                                                        Long\n"
                      "00002 Z99\n";
    char *f = test_write_file(bad, strlen(bad));
    assert_int_equal(run("import", "icd10cm", f, &out, &err), 1);
    char want[400];
    snprintf(want, sizeof want, "%s:2: ", f);
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, "Nothing from this file was imported"));
    free(out);
    free(err);
    unlink(f);
    free(f);
    const char *good = "00001 Z9901   1 Short                                                        Long\n";
    f = test_write_file(good, strlen(good));
    assert_int_equal(run("import", "--quiet icd10cm", f, &out, &err), 0);
    assert_non_null(strstr(out, "1 added"));
    free(out);
    free(err);
    assert_int_equal(run("import", "--quiet icd10cm", f, &out, &err), 0);
    assert_non_null(strstr(out, "1 unchanged"));
    free(out);
    free(err);
    assert_int_equal(run("import", "loinc", f, &out, &err), 2);
    assert_non_null(strstr(err, "unknown kind"));
    free(out);
    free(err);
    unlink(f);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_version), cmocka_unit_test(test_show_json),
        cmocka_unit_test(test_show_text),        cmocka_unit_test(test_show_errors),
        cmocka_unit_test(test_import_cli),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
