/* test_cli.c -- the psyclaim command's contract: help, version, show, import, init and their errors. */
#include "support.h"
#include <jansson.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <psyclaim/psy_setup.h>
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


/* --- psyclaim init ------------------------------------------------------------------------------- */

/* Valid organisation NPIs by the CMS check-digit rule (Luhn over 80840 and the first nine digits):
 * 2123456784: prefix 24 + doubled 8,6,4,2,2 (7+3+8+4+4 = 26) + 7+5+3+1 = 66, check 4. */
#define NPI_A "2123456784"
#define NPI_B "2987654326"
#define INIT_FLAGS                                                                                           \
    "--tax-id 12-3456789 --address '100 Main St' --city Springfield --state IL --zip 62701-1234 "           \
    "--time-zone America/Chicago --billing-contact 'Pat Doe' --billing-phone 217-555-0100 "

/* Each init test has a database of its own (the group's stays aside). */
static char *group_db;

static int setup_one(void **state)
{
    group_db = db;
    return setup(state);
}

static int teardown_one(void **state)
{
    teardown(state);
    db = group_db;
    return 0;
}

static psy_store *open_db(void)
{
    psy_store *st;
    char err[300];
    if (psy_store_open(db, &st, err, sizeof err)) fail_msg("%s", err);
    return st;
}

static size_t practices(psy_store *st)
{
    psy_id *ids;
    size_t n;
    assert_int_equal(psy_records_practice_list(st, &ids, &n), PSY_OK);
    free(ids);
    return n;
}

/* The admin of a practice signs in with the password init was given. */
static void assert_signs_in(psy_store *st, const char *user, const char *pw, const char *practice)
{
    struct psy_login l = {.username = user, .password = pw, .practice = practice, .ip = "127.0.0.1"};
    struct psy_auth_session s;
    assert_int_equal(psy_auth_login(st, NULL, &l, &s), PSY_OK);
    if (l.result != PSY_LOGIN_OK) fail_msg("%s cannot sign in: result %d", user, (int)l.result);
    assert_int_equal(s.user.role, PSY_ROLE_ADMIN);
}

static void test_init_flags(void **state)
{
    (void)state;
    char *out, *err, args[1600];
    snprintf(args, sizeof args,
             "init --db %s --name 'Lakeside Counseling LLC' --npi " NPI_A " " INIT_FLAGS
             "--admin Ada --payer medicare:12345 --payer example-commercial:BLU01:'Blue Example'",
             db);
    assert_int_equal(test_run_cli(args, "first-pass-word\n", &out, &err), 0);
    assert_non_null(strstr(out, "practice 1"));
    free(out);
    free(err);
    psy_store *st = open_db();
    struct psy_practice p;
    assert_int_equal(psy_records_practice_get(st, 1, &p), PSY_OK);
    assert_string_equal(p.name, "Lakeside Counseling LLC");
    assert_string_equal(p.npi, NPI_A);
    assert_string_equal(p.state, "IL");
    assert_string_equal(p.time_zone, "America/Chicago");
    assert_int_equal(strlen(p.zip), 9);
    struct psy_payer *py;
    size_t n;
    assert_int_equal(psy_records_payer_list(st, 1, &py, &n), PSY_OK);
    assert_int_equal(n, 2);
    int blue = 0, medicare = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(py[i].payer_code, "BLU01")) blue = !strcmp(py[i].name, "Blue Example");
        if (!strcmp(py[i].payer_code, "12345")) medicare = !strcmp(py[i].kind, "medicare");
    }
    free(py);
    assert_true(blue && medicare);
    assert_signs_in(st, "ada", "first-pass-word", NULL);
    psy_store_close(st);
    /* a payer without its electronic id is refused before anything is written */
    snprintf(args, sizeof args, "init --db %s --name X --npi " NPI_B " " INIT_FLAGS "--admin bo --payer medicare", db);
    assert_int_equal(test_run_cli(args, "first-pass-word\n", &out, &err), 2);
    assert_non_null(strstr(err, "--payer medicare"));
    free(out);
    free(err);
}

static void test_init_bad_npi(void **state)
{
    (void)state;
    char *out, *err, args[1600];
    /* 2123456785: the check digit of 212345678 is 4 */
    snprintf(args, sizeof args, "init --db %s --name 'Lakeside' --npi 2123456785 " INIT_FLAGS "--admin ada", db);
    assert_int_equal(test_run_cli(args, "first-pass-word\n", &out, &err), 2);
    assert_non_null(strstr(err, "npi: "));
    assert_non_null(strstr(err, "check digit"));
    free(out);
    free(err);
    /* a type 1 (individual) NPI with a right check digit is not a practice's */
    snprintf(args, sizeof args, "init --db %s --name 'Lakeside' --npi 1234567893 " INIT_FLAGS "--admin ada", db);
    assert_int_equal(test_run_cli(args, "first-pass-word\n", &out, &err), 2);
    assert_non_null(strstr(err, "npi: "));
    assert_non_null(strstr(err, "type 2"));
    free(out);
    free(err);
    /* no password on standard input */
    snprintf(args, sizeof args, "init --db %s --name 'Lakeside' --npi " NPI_A " " INIT_FLAGS "--admin ada", db);
    assert_int_equal(test_run_cli(args, NULL, &out, &err), 2);
    assert_non_null(strstr(err, "admin_password"));
    free(out);
    free(err);
    psy_store *st = open_db();
    assert_int_equal(practices(st), 0);
    psy_store_close(st);
}

static void test_init_json_and_second_practice(void **state)
{
    (void)state;
    char *out, *err, args[1600];
    snprintf(args, sizeof args, "init --db %s --name 'First Practice' --npi " NPI_A " " INIT_FLAGS "--admin ada", db);
    assert_int_equal(test_run_cli(args, "first-pass-word\n", &out, &err), 0);
    free(out);
    free(err);
    const char *js = "{\"name\": \"Second Practice PC\", \"npi\": \"" NPI_B "\", \"tax_id\": \"98-7654321\","
                     " \"address\": \"9 Oak Ave\", \"city\": \"Madison\", \"state\": \"WI\", \"zip\": \"537031234\","
                     " \"time_zone\": \"America/Chicago\", \"billing_contact\": \"Lee Roe\","
                     " \"billing_email\": \"billing@second.example\", \"admin_username\": \"ada\","
                     " \"admin_password\": \"second-pass-word\","
                     " \"payers\": [{\"profile\": \"example-medicaid\", \"payer_code\": \"MCD77\"}]}";
    char *f = test_write_file(js, strlen(js));
    snprintf(args, sizeof args, "init --db %s --json %s", db, f);
    assert_int_equal(test_run_cli(args, NULL, &out, &err), 0);
    assert_non_null(strstr(out, "practice 2"));
    free(out);
    free(err);
    /* --json - reads standard input; a bad field there is named too */
    const char *bad = "{\"name\": \"Third\", \"npi\": \"" NPI_A "\", \"zip\": \"53703\"}";
    snprintf(args, sizeof args, "init --db %s --json - --admin-password-file %s", db, f);
    assert_int_equal(test_run_cli(args, bad, &out, &err), 2);
    assert_non_null(strstr(err, "tax_id: ") ? err : NULL);
    free(out);
    free(err);
    unlink(f);
    free(f);
    psy_store *st = open_db();
    assert_int_equal(practices(st), 2);
    struct psy_practice p;
    assert_int_equal(psy_records_practice_get(st, 2, &p), PSY_OK);
    assert_string_equal(p.name, "Second Practice PC");
    struct psy_payer *py;
    size_t n;
    assert_int_equal(psy_records_payer_list(st, 2, &py, &n), PSY_OK);
    assert_int_equal(n, 1);
    assert_string_equal(py[0].kind, "medicaid");
    free(py);
    assert_int_equal(psy_records_payer_list(st, 1, &py, &n), PSY_OK);
    assert_int_equal(n, 0);
    free(py);
    /* both admins are "ada"; each signs in to their own practice */
    assert_signs_in(st, "ada", "first-pass-word", "First Practice");
    assert_signs_in(st, "ada", "second-pass-word", "Second Practice PC");
    psy_store_close(st);
}

/* Reads the terminal until want appears after *seen (the text read so far); fails after 20 s. */
static void expect(int fd, char *buf, size_t *seen, size_t *len, size_t cap, const char *want)
{
    time_t end = time(NULL) + 20;
    for (;;) {
        buf[*len] = 0;
        char *hit = strstr(buf + *seen, want);
        if (hit) {
            *seen = (size_t)(hit - buf) + strlen(want);
            return;
        }
        struct pollfd p = {fd, POLLIN, 0};
        if (time(NULL) > end || *len + 1 >= cap) fail_msg("no '%s' on the terminal; it shows:\n%s", want, buf + *seen);
        if (poll(&p, 1, 1000) <= 0) continue;
        ssize_t r = read(fd, buf + *len, cap - 1 - *len);
        if (r <= 0) fail_msg("the terminal closed before '%s'; it shows:\n%s", want, buf + *seen);
        *len += (size_t)r;
    }
}

static void type(int fd, const char *line)
{
    size_t n = strlen(line);
    assert_int_equal(write(fd, line, n), (ssize_t)n);
    assert_int_equal(write(fd, "\n", 1), 1);
}

static void test_init_interactive(void **state)
{
    (void)state;
    int fd;
    pid_t pid = forkpty(&fd, NULL, NULL, NULL);
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(PSY_CLI, PSY_CLI, "init", "--db", db, (char *)NULL);
        _exit(127);
    }
    static char buf[65536];
    size_t seen = 0, len = 0, cap = sizeof buf;
#define ANSWER(prompt, text)                                                                                 \
    do {                                                                                                     \
        expect(fd, buf, &seen, &len, cap, prompt);                                                           \
        type(fd, text);                                                                                      \
    } while (0)
    ANSWER("legal name:", "Riverbend Therapy Group");
    ANSWER("NPI", "2123456785"); /* a wrong check digit: asked again, saying why */
    expect(fd, buf, &seen, &len, cap, "check digit");
    ANSWER("NPI", NPI_A);
    ANSWER("Tax id", "12-3456789");
    ANSWER("Street address:", "1 River Rd");
    ANSWER("City:", "Peoria");
    ANSWER("State", "il");
    ANSWER("ZIP+4", "61602"); /* five digits: claims need nine */
    expect(fd, buf, &seen, &len, cap, "9 digits");
    ANSWER("ZIP+4", "61602-0001");
    ANSWER("Time zone [America/Chicago]:", ""); /* the default */
    ANSWER("Billing contact", "Sam Poe");
    ANSWER("Billing phone", "309 555 0100");
    ANSWER("Billing e-mail", "");
    ANSWER("user name [admin]:", "");
    ANSWER("Password", "riverbend-pw");
    ANSWER("again", "riverbend-pw-typo");
    expect(fd, buf, &seen, &len, cap, "differ");
    ANSWER("Password", "riverbend-pw");
    ANSWER("again", "riverbend-pw");
    expect(fd, buf, &seen, &len, cap, "(medicare)");
    /* the list reads "  N. Medicare Part B (...) (medicare)": choose N */
    char *line = buf + seen;
    while (line > buf && line[-1] != '\n') line--;
    char number[8];
    snprintf(number, sizeof number, "%ld", strtol(line, NULL, 10));
    assert_string_not_equal(number, "0");
    ANSWER("Numbers", "9");
    expect(fd, buf, &seen, &len, cap, "not one of the numbers");
    ANSWER("Numbers", number);
    ANSWER("payer id of", "MCR01");
    ANSWER("name on claims", "");
    expect(fd, buf, &seen, &len, cap, "started with administrator admin");
#undef ANSWER
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    close(fd);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    buf[len] = 0;
    /* the password was never echoed */
    assert_null(strstr(buf, "riverbend-pw"));
    psy_store *st = open_db();
    struct psy_practice p;
    assert_int_equal(psy_records_practice_get(st, 1, &p), PSY_OK);
    assert_string_equal(p.name, "Riverbend Therapy Group");
    assert_string_equal(p.state, "IL");
    assert_string_equal(p.zip, "616020001");
    assert_string_equal(p.time_zone, "America/Chicago");
    struct psy_payer *py;
    size_t n;
    assert_int_equal(psy_records_payer_list(st, 1, &py, &n), PSY_OK);
    assert_int_equal(n, 1);
    assert_string_equal(py[0].payer_code, "MCR01");
    assert_string_equal(py[0].kind, "medicare");
    free(py);
    assert_signs_in(st, "admin", "riverbend-pw", NULL);
    psy_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_version), cmocka_unit_test(test_show_json),
        cmocka_unit_test(test_show_text),        cmocka_unit_test(test_show_errors),
        cmocka_unit_test(test_import_cli),
        cmocka_unit_test_setup_teardown(test_init_flags, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_init_bad_npi, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_init_json_and_second_practice, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_init_interactive, setup_one, teardown_one),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
