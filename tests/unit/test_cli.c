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

/* --- the record commands ------------------------------------------------------------------------------ */

/* Runs "psyclaim ARGS --db <scratch>" with stdin in; returns the exit status. */
static int cli(const char *args, const char *in, char **out, char **err)
{
    char line[4096];
    snprintf(line, sizeof line, "%s --db %s", args, db);
    return test_run_cli(line, in, out, err);
}

/* Runs an add or edit with --json output and returns the record's id (asserting exit 0). */
static long long cli_id(const char *args, const char *in)
{
    char *out, *err, line[2048];
    snprintf(line, sizeof line, "%s --json", args);
    int rc = cli(line, in, &out, &err);
    if (rc != 0) fail_msg("%s: exit %d: %s", args, rc, err);
    json_t *j = json_loads(out, 0, NULL);
    if (!j) fail_msg("%s: not JSON: %s", args, out);
    long long id = json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    free(out);
    free(err);
    return id;
}

/* Asserts that the command exits with status want and that stderr contains every given text. */
static void cli_refused(const char *args, int want, const char *needle1, const char *needle2)
{
    char *out, *err;
    int rc = cli(args, NULL, &out, &err);
    if (rc != want || !strstr(err, needle1) || (needle2 && !strstr(err, needle2)))
        fail_msg("%s: expected exit %d naming '%s'%s%s, got %d: %s", args, want, needle1, needle2 ? " and " : "",
                 needle2 ? needle2 : "", rc, err);
    free(out);
    free(err);
}

/* The value of key in the JSON "show" output of a record, as text (free it). */
static char *cli_show(const char *kind, long long id, const char *key)
{
    char *out, line[128];
    snprintf(line, sizeof line, "%s show %lld --json", kind, id);
    assert_int_equal(cli(line, NULL, &out, NULL), 0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    json_t *v = json_object_get(j, key);
    char *text = json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
    free(out);
    return text;
}

/* A valid NPI: the nine digits given plus the Luhn check digit over the prefix 80840. */
static void npi_of(const char *nine, char out[11])
{
    char all[16];
    snprintf(all, sizeof all, "80840%s", nine);
    int sum = 0;
    for (int i = (int)strlen(all) - 1, dbl = 1; i >= 0; i--, dbl = !dbl) {
        int d = all[i] - '0';
        if (dbl && (d *= 2) > 9) d -= 9;
        sum += d;
    }
    snprintf(out, 11, "%s%d", nine, (10 - sum % 10) % 10);
}

static void test_record_commands(void **state)
{
    (void)state;
    char *out, *err, line[1024], npi[11];
    /* a practice to work in (made through the library; creating one is `psyclaim init`'s job) */
    psy_store *st;
    char emsg[256];
    assert_int_equal(psy_store_open(db, &st, emsg, sizeof emsg), PSY_OK);
    assert_int_equal(psy_catalog_seed(st), PSY_OK);
    struct psy_practice pr = {0};
    snprintf(pr.name, sizeof pr.name, "Example Counseling");
    npi_of("123456789", pr.npi);
    snprintf(pr.tax_id, sizeof pr.tax_id, "12-3456789");
    snprintf(pr.time_zone, sizeof pr.time_zone, "America/Chicago");
    psy_id pid;
    assert_int_equal(psy_records_practice_add(st, &pr, &pid), PSY_OK);
    psy_store_close(st);

    /* help for every record command names its fields */
    assert_int_equal(test_run_cli("help client", NULL, &out, NULL), 0);
    assert_non_null(strstr(out, "--birth-date"));
    assert_non_null(strstr(out, "client dx add"));
    free(out);
    static const char *const cmds[] = {"clinician", "payer", "policy", "auth", "plan", "group", "session"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        snprintf(line, sizeof line, "%s --help", cmds[i]);
        assert_int_equal(test_run_cli(line, NULL, &out, NULL), 0);
        snprintf(line, sizeof line, "usage: psyclaim %s", cmds[i]);
        assert_non_null(strstr(out, line));
        free(out);
    }

    /* clinicians: the NPI check digit is checked and the error names the field and its flag */
    npi_of("187654321", npi);
    char bad_npi[11];
    snprintf(bad_npi, sizeof bad_npi, "%.9s%c", npi, npi[9] == '9' ? '0' : npi[9] + 1);
    snprintf(line, sizeof line, "clinician add --first-name Ada --last-name Quill --npi %s --taxonomy 1041C0700X "
                                "--credential LCSW", bad_npi);
    cli_refused(line, 2, "npi: check digit", "(--npi)");
    cli_refused("clinician add --first-name Ada --nickname A", 2, "--nickname", NULL);
    snprintf(line, sizeof line, "clinician add --first-name Ada --last-name Quill --npi %s --taxonomy 1041C0700X "
                                "--credential LCSW --licence-number 149.0001 --licence-state IL", npi);
    long long clin = cli_id(line, NULL);
    assert_true(clin > 0);

    /* payers from a JSON file; clients from flags and from stdin */
    const char *payer_json = "{\"name\": \"Example Health\", \"payer_code\": \"EXH01\", \"kind\": \"commercial\", "
                             "\"timely_filing_days\": 90, \"requires_auth\": true}";
    char *pf = test_write_file(payer_json, strlen(payer_json));
    snprintf(line, sizeof line, "payer add --json %s", pf);
    long long payer = cli_id(line, NULL);
    char *v = cli_show("payer", payer, "timely_filing_days");
    assert_string_equal(v, "90");
    free(v);
    unlink(pf);
    free(pf);
    cli_refused("client add --first-name Robin --last-name Example --birth-date 2024-02-30 --sex F", 2, "birth_date:",
                "--birth-date");
    cli_refused("client add --first-name Robin --last-name Example --birth-date 1990-04-02 --sex F --dx F41", 2,
                "dx[0]:", NULL);
    long long client = cli_id("client add --first-name Robin --last-name Example --birth-date 1990-04-02 --sex F "
                              "--dx F41.1 --email robin@example.org", NULL);
    long long other = cli_id("client add --json -", "{\"first_name\": \"Sam\", \"last_name\": \"Example\", "
                                                    "\"birth_date\": \"1985-11-20\", \"sex\": \"M\", \"dx\": [\"F43.10\"]}");
    assert_int_not_equal(client, other);

    /* diagnoses one at a time, in pointer order */
    snprintf(line, sizeof line, "client dx add %lld f321 --position 1", client);
    assert_int_equal(cli(line, NULL, &out, NULL), 0);
    free(out);
    snprintf(line, sizeof line, "client dx move %lld F41.1 --position 1", client);
    assert_int_equal(cli(line, NULL, &out, NULL), 0);
    free(out);
    v = cli_show("client", client, "dx");
    assert_string_equal(v, "[\"F41.1\",\"F32.1\"]");
    free(v);

    /* an edit at a stale version is refused and changes nothing; without --version it applies */
    snprintf(line, sizeof line, "client edit %lld --version 1 --phone 555-0100", client);
    cli_refused(line, 1, "version:", "changed since");
    v = cli_show("client", client, "phone");
    assert_string_equal(v, "");
    free(v);
    snprintf(line, sizeof line, "client edit %lld --status discharged --discharge-date 2025-06-30", client);
    assert_int_equal(cli(line, NULL, &out, NULL), 0);
    free(out);
    v = cli_show("client", client, "status");
    assert_string_equal(v, "discharged");
    free(v);

    /* a policy: order by name, copay in dollars */
    snprintf(line, sizeof line, "policy add --client %lld --payer %lld --member-id XJ-123 --order secondary "
                                "--relation self --start 2025-01-01 --copay 12.50", other, payer);
    long long policy = cli_id(line, NULL);
    v = cli_show("policy", policy, "copay");
    assert_string_equal(v, "12.50");
    free(v);
    v = cli_show("policy", policy, "order");
    assert_string_equal(v, "secondary");
    free(v);
    snprintf(line, sizeof line, "policy edit %lld --relation spouse", policy);
    cli_refused(line, 2, "subscriber_first:", "--subscriber-first");
    snprintf(line, sizeof line, "policy edit %lld --copay twelve", policy);
    cli_refused(line, 2, "copay:", NULL);
    snprintf(line, sizeof line, "policy list --client %lld", other);
    assert_int_equal(cli(line, NULL, &out, NULL), 0);
    assert_non_null(strstr(out, "XJ-123"));
    free(out);

    /* an authorisation, a plan with its lists and signatures, a group with a roster */
    snprintf(line, sizeof line, "auth add --client %lld --payer %lld --number PA-77 --codes 90834,90837 "
                                "--unit-kind visit --units 12 --start 2025-01-01 --end 2025-06-30", other, payer);
    long long auth = cli_id(line, NULL);
    snprintf(line, sizeof line, "auth edit %lld --codes 90834,9083", auth);
    cli_refused(line, 2, "codes[1]:", "--codes");
    snprintf(line, sizeof line, "plan add --client %lld --clinician %lld --modalities individual,group --frequency weekly "
                                "--session-minutes 45 --start 2025-01-06 --review 2025-04-06 --dx F43.10 "
                                "--problem 'avoids driving' --goal 'drives to work' --goal 'sleeps through' "
                                "--objective 'drives one mile' --intervention 'graded exposure'", other, clin);
    long long plan = cli_id(line, NULL);
    v = cli_show("plan", plan, "goals");
    assert_string_equal(v, "[\"drives to work\",\"sleeps through\"]");
    free(v);
    v = cli_show("plan", plan, "modalities");
    assert_string_equal(v, "individual,group");
    free(v);
    snprintf(line, sizeof line, "plan sign %lld --clinician %lld --at 2025-01-06T17:00:00Z", plan, clin);
    assert_int_equal(cli(line, NULL, &out, NULL), 0);
    free(out);
    snprintf(line, sizeof line, "plan edit %lld --frequency monthly", plan);
    cli_refused(line, 1, "plan: signed", NULL);
    snprintf(line, sizeof line, "group add --name 'Tuesday group' --clinician %lld --modality group --capacity 8 "
                                "--schedule 'Tue 18:00'", clin);
    long long group = cli_id(line, NULL);
    snprintf(line, sizeof line, "group join %lld --client %lld --date 2025-01-07", group, other);
    assert_int_equal(cli(line, NULL, &out, NULL), 0);
    free(out);
    snprintf(line, sizeof line, "group show %lld", group);
    assert_int_equal(cli(line, NULL, &out, NULL), 0);
    snprintf(line, sizeof line, "member %lld", other);
    assert_non_null(strstr(out, line));
    free(out);

    /* sessions: a note that lacks parts cannot be signed, and nothing of that session is kept */
    const char *part = "{\"techniques\": \"graded exposure, reviewed the driving log\"}";
    const char *full = "{\"techniques\": \"graded exposure, reviewed the driving log\", \"response\": \"engaged\", "
                       "\"progress\": \"drove two miles\", \"plan\": \"continue weekly\"}";
    char *nf = test_write_file(part, strlen(part));
    snprintf(line, sizeof line, "session add --kind individual --client %lld --clinician %lld --date 2025-01-13 "
                                "--start 2025-01-13T10:00:00-06:00 --stop 2025-01-13T10:50:00-06:00 --note %s --sign",
             other, clin, nf);
    cli_refused(line, 2, "response:", NULL);
    unlink(nf);
    free(nf);
    nf = test_write_file(full, strlen(full));
    snprintf(line, sizeof line, "session add --kind crisis --client %lld --clinician %lld --date 2025-01-13 "
                                "--start 2025-01-13T10:00:00-06:00 --stop 2025-01-13T09:50:00-06:00", other, clin);
    cli_refused(line, 2, "stop_utc:", NULL);
    snprintf(line, sizeof line, "ledger fee %lld --amount 80.00", other);
    assert_int_equal(cli(line, NULL, &out, &err), 0);
    free(out);
    free(err);
    snprintf(line, sizeof line, "session add --kind intake --client %lld --clinician %lld --date 2025-01-13 "
                                "--start 2025-01-13T10:00:00-06:00 --stop 2025-01-13T11:00:00-06:00 --note %s --sign",
             other, clin, nf);
    assert_int_equal(cli(line, NULL, &out, &err), 0);
    long long sid = 0;
    assert_int_equal(sscanf(out, "session %lld added and signed", &sid), 1);
    free(out);
    free(err);
    { /* the client's ledger took the session's expected share at signing, before any ledger command */
        assert_int_equal(psy_store_open(db, &st, emsg, sizeof emsg), PSY_OK);
        struct psy_ledger_entry *le;
        size_t nle, taken = 0;
        assert_int_equal(psy_ledger_entries(st, pid, other, NULL, &le, &nle, NULL), PSY_OK);
        for (size_t k = 0; k < nle; k++) taken += le[k].session_id == sid && le[k].amount_cents > 0;
        free(le);
        psy_store_close(st);
        assert_int_equal(taken, 1);
    }
    snprintf(line, sizeof line, "session show %lld --json", sid);
    assert_int_equal(cli(line, NULL, &out, NULL), 0);
    assert_non_null(strstr(out, "\"kind\": \"intake\""));
    assert_non_null(strstr(out, "\"status\": \"signed\""));
    free(out);
    /* the refused sessions left nothing: only the intake exists */
    assert_int_equal(cli("session show 1", NULL, &out, NULL), 0);
    assert_non_null(strstr(out, "intake"));
    free(out);
    cli_refused("session show 2", 1, "session 2", NULL);
    unlink(nf);
    free(nf);
}

/* The number of clients `client list --json` prints. */
static size_t client_count(void)
{
    char *out;
    assert_int_equal(cli("client list --json", NULL, &out, NULL), 0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    size_t n = json_array_size(j);
    json_decref(j);
    free(out);
    return n;
}

/* CSV import of clients (tests/data/import/: invented people). Runs after test_record_commands, in
 * its practice; the payer EXH01 the files name is added here when missing. */
static void test_import_clients(void **state)
{
    (void)state;
    char *out, *err, line[1024];
    const char *mixed = PSY_SOURCE_DIR "/tests/data/import/mixed.csv", *good = PSY_SOURCE_DIR "/tests/data/import/good.csv";
    cli("payer add --name 'Example Health' --payer-id EXH01 --kind commercial", NULL, &out, &err);
    free(out);
    free(err);
    size_t before = client_count();

    /* a dry run lists every refused row with its number and column, and writes nothing */
    snprintf(line, sizeof line, "import clients %s --dry-run", mixed);
    assert_int_equal(cli(line, NULL, &out, &err), 1);
    static const char *const want[] = {"mixed.csv:2: birth_date: not a date", "mixed.csv:4: diagnoses: code 1: a category",
                                       "mixed.csv:5: payer_id: no payer", "mixed.csv:6: row: the same first name, last name "
                                                                          "and birth_date as row 3",
                                       "mixed.csv:7: sex:", "mixed.csv:7: policy_order:",
                                       "mixed.csv:2: address: control character"}; /* every problem of a row */
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(err, want[i])) fail_msg("dry run: missing '%s' in: %s", want[i], err);
    assert_null(strstr(err, "mixed.csv:3:")); /* good rows are not listed */
    assert_null(strstr(err, "mixed.csv:8:"));
    assert_null(strstr(err, "Badrow"));       /* no patient data in the report */
    assert_non_null(strstr(out, "2 would be imported, 5 refused"));
    free(out);
    free(err);
    assert_int_equal(client_count(), before);
    /* without --skip-bad a single bad row stops everything */
    snprintf(line, sizeof line, "import clients %s", mixed);
    assert_int_equal(cli(line, NULL, &out, &err), 1);
    assert_non_null(strstr(out, "nothing was imported"));
    free(out);
    free(err);
    assert_int_equal(client_count(), before);

    /* BOM, CRLF, quoted commas and quotes: all three rows, with their policies */
    snprintf(line, sizeof line, "import clients %s", good);
    assert_int_equal(cli(line, NULL, &out, &err), 0);
    assert_non_null(strstr(out, "3 clients and 2 policies imported"));
    free(out);
    free(err);
    assert_int_equal(client_count(), before + 3);
    assert_int_equal(cli("client list --json", NULL, &out, NULL), 0);
    assert_non_null(strstr(out, "\"first_name\": \"Blake, Jr.\""));
    assert_non_null(strstr(out, "\"last_name\": \"Quoted \\\"Nick\\\" Testrow\""));
    assert_non_null(strstr(out, "\"first_name\": \"Avery\""));
    free(out);
    /* importing the same file again: every row is a duplicate, named */
    assert_int_equal(cli(line, NULL, &out, &err), 1);
    assert_non_null(strstr(err, "good.csv:2: row: a client with the same first name, last name and birth_date is already"));
    free(out);
    free(err);
    assert_int_equal(client_count(), before + 3);

    /* --skip-bad writes the good rows and reports the rest */
    snprintf(line, sizeof line, "import clients %s --skip-bad", mixed);
    assert_int_equal(cli(line, NULL, &out, &err), 1);
    assert_non_null(strstr(out, "2 clients and 2 policies imported from 7 rows; 5 rows refused"));
    assert_non_null(strstr(err, "mixed.csv:2: birth_date:"));
    free(out);
    free(err);
    assert_int_equal(client_count(), before + 5);

    /* a file that is not in the layout is refused whole, naming the column */
    const char *odd = "first_name,last_name,birthday,sex\nA,B,1990-01-01,F\n";
    snprintf(line, sizeof line, "import clients %%s --db %s", db);
    test_cli_file(odd, line, NULL, 2, "'birthday'");
    const char *unterminated = "first_name,last_name,birth_date,sex\n\"A,B,1990-01-01,F\n";
    test_cli_file(unterminated, line, NULL, 2, "not valid CSV");
    assert_int_equal(client_count(), before + 5);

    /* another system's export: headers as people write them, US dates, sex spelled out */
    const char *other = "First Name,Last Name,Birth Date,Sex,Payer ID,Member ID,Policy Start\r\n"
                        "Robin,Usdaterow,4/2/1990,female,EXH01,M-90,01/15/2025\r\n"
                        "Sky,Usdaterow,12/31/2001,MALE,,,\r\n";
    test_cli_file(other, line, NULL, 0, NULL);
    assert_int_equal(client_count(), before + 7);
    assert_int_equal(cli("client list --json", NULL, &out, NULL), 0);
    assert_non_null(strstr(out, "\"birth_date\": \"1990-04-02\""));
    assert_non_null(strstr(out, "\"birth_date\": \"2001-12-31\""));
    free(out);
    /* a day that does not exist, and a sex the records do not know, are still refused */
    const char *bad = "first_name,last_name,birth_date,sex\nA,Baddate,2/30/1990,F\nB,Badsex,1/2/1990,other\n";
    test_cli_file(bad, line, NULL, 1, "birth_date: not a date");
    test_cli_file(bad, line, NULL, 1, "sex: F, M or U (or female, male, unknown)");
    assert_int_equal(client_count(), before + 7);
}

/* Signed sessions of every individual-type kind print their claim lines. The expected codes are the
 * CPT rules of domain.md 1.2-1.5 and 1.9: family 90846 without the patient and 90847 with; intake
 * 90792 with medical services by a prescriber, 90791 without; with an E/M visit the psychotherapy is
 * an add-on by minutes (16-37 90833, 38-52 90836, 53+ 90838); 90785 rides on a psychotherapy code
 * when a complexity factor occurred. Runs after test_record_commands, in its practice. */
static void test_session_kinds_cli(void **state)
{
    (void)state;
    char *out, *err, line[1024], npi[11];
    npi_of("176543210", npi);
    snprintf(line, sizeof line, "clinician add --first-name Mira --last-name Prescriber --npi %s --taxonomy 2084P0800X "
                                "--credential MD", npi);
    long long md = cli_id(line, NULL);
    long long client = cli_id("client add --first-name Kit --last-name Sessiontest --birth-date 2012-05-05 --sex M "
                              "--dx F43.10", NULL);
    const char *note = "{\"techniques\": \"parent-child interaction coaching with a timed exercise\", \"response\": "
                       "\"engaged after the first minutes\", \"progress\": \"two of three goals met this week\", "
                       "\"plan\": \"continue weekly\"}";
    char *nf = test_write_file(note, strlen(note));
    long long sid = 0;
    static const struct {
        const char *kind, *flags, *lines;
    } cases[] = {
        {"family", "--minutes 50 --patient-absent", "lines: 90846\n"},
        {"family", "--minutes 50", "lines: 90847\n"},
        {"intake", "--minutes 60 --medical", "lines: 90792\n"},
        {"intake", "--minutes 60", "lines: 90791\n"},
        {"individual", "--minutes 25 --em 99213", "lines: 99213 90833\n"},
        {"individual", "--minutes 40 --em 99213", "lines: 99213 90836\n"},
        {"individual", "--minutes 55 --em 99214", "lines: 99214 90838\n"},
        {"individual", "--minutes 45 --interactive-complexity communication", "lines: 90834 90785\n"},
        {"individual", "--minutes 40 --em 99213 --interactive-complexity caregiver", "lines: 99213 90836 90785\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(line, sizeof line, "session add --kind %s --client %lld --clinician %lld --date 2025-02-%02zu %s "
                                    "--note %s --sign", cases[i].kind, client, md, i + 3, cases[i].flags, nf);
        int rc = cli(line, NULL, &out, &err);
        if (rc != 0 || !strstr(out, cases[i].lines) || strstr(out, "  error "))
            fail_msg("%s: exit %d, wanted '%s' without errors: %s%s", line, rc, cases[i].lines, out, err);
        assert_int_equal(sscanf(out, "session %lld added", &sid), 1);
        free(out);
        free(err);
    }
    /* the complexity factor of the last session is in its note, as R-DOC-IC asks */
    snprintf(line, sizeof line, "session show %lld --json", sid);
    assert_int_equal(cli(line, NULL, &out, NULL), 0);
    assert_non_null(strstr(out, "Interactive complexity: a caregiver's emotions or behaviour"));
    free(out);
    /* flags that do not fit the kind are refused, naming the field */
    snprintf(line, sizeof line, "session add --kind individual --client %lld --clinician %lld --date 2025-03-01 "
                                "--minutes 50 --patient-absent", client, md);
    cli_refused(line, 2, "patient_absent:", NULL);
    snprintf(line, sizeof line, "session add --kind family --client %lld --clinician %lld --date 2025-03-01 "
                                "--minutes 50 --medical", client, md);
    cli_refused(line, 2, "medical:", NULL);
    snprintf(line, sizeof line, "session add --kind individual --client %lld --clinician %lld --date 2025-03-01 "
                                "--minutes 50 --em 90834", client, md);
    cli_refused(line, 2, "em_code:", NULL);
    snprintf(line, sizeof line, "session add --kind individual --client %lld --clinician %lld --date 2025-03-01 "
                                "--minutes 50 --interactive-complexity interpreter", client, md);
    cli_refused(line, 2, "interactive_complexity:", "--interactive-complexity");
    unlink(nf);
    free(nf);
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
    /* a sole proprietor bills under their own name: without it nothing is written */
    snprintf(args, sizeof args, "init --db %s --name 'Lakeside' --sole-proprietor --last-name Doe --npi 1234567893 "
             INIT_FLAGS "--admin ada", db);
    assert_int_equal(test_run_cli(args, "first-pass-word\n", &out, &err), 2);
    assert_non_null(strstr(err, "first_name: "));
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

/* A solo clinician billing under their own (type 1) NPI: NPPES gives a sole proprietorship the person's
 * NPI, and an NPI carries no type in its digits (domain.md 5.5: any valid NPI starts with 1 or 2), so
 * an organisation's may start with 1 as well. The sole proprietor's claims and 270s name the person as
 * the billing provider (005010X222A1 2010AA NM102 1, NM103 last, NM104 first; 005010X279A1 2100B). */
static void test_init_sole_proprietor(void **state)
{
    (void)state;
    char *out, *err, args[1600];
    snprintf(args, sizeof args,
             "init --db %s --name 'Dana Reyes LCSW' --sole-proprietor --first-name Dana --last-name Reyes "
             "--npi 1245319599 " INIT_FLAGS "--admin dana --payer example-commercial:ACME01",
             db);
    assert_int_equal(test_run_cli(args, "first-pass-word\n", &out, &err), 0);
    free(out);
    free(err);
    /* an organisation whose NPI starts with 1 */
    snprintf(args, sizeof args, "init --db %s --name 'Elm Group' --npi 1234567893 " INIT_FLAGS "--admin eve", db);
    assert_int_equal(test_run_cli(args, "first-pass-word\n", &out, &err), 0);
    free(out);
    free(err);
    psy_store *st = open_db();
    struct psy_practice p;
    assert_int_equal(psy_records_practice_get(st, 1, &p), PSY_OK);
    assert_int_equal(p.sole_proprietor, 1);
    assert_string_equal(p.first_name, "Dana");
    assert_string_equal(p.last_name, "Reyes");
    assert_int_equal(psy_records_practice_get(st, 2, &p), PSY_OK);
    assert_int_equal(p.sole_proprietor, 0);
    assert_string_equal(p.npi, "1234567893");
    /* the practice's 270 names the person as the information receiver */
    char *x270, e[300];
    size_t len;
    struct psy_client c = {.sex = "F", .state = "IL"};
    snprintf(c.address, sizeof c.address, "5 Oak Ave");
    snprintf(c.city, sizeof c.city, "Urbana");
    snprintf(c.zip, sizeof c.zip, "618011111");
    snprintf(c.first_name, sizeof c.first_name, "S\xc3\xa1m"); /* Sám: X12 files spell it SAM */
    c.n_dx = 1;
    snprintf(c.dx[0], sizeof c.dx[0], "F41.1");
    snprintf(c.last_name, sizeof c.last_name, "Example");
    snprintf(c.birth_date, sizeof c.birth_date, "1990-04-02");
    psy_id client, policy;
    assert_int_equal(psy_records_client_add(st, 1, &c, &client), PSY_OK);
    struct psy_payer *py;
    size_t n;
    assert_int_equal(psy_records_payer_list(st, 1, &py, &n), PSY_OK);
    assert_int_equal(n, 1);
    struct psy_policy po = {.client_id = client, .payer_id = py[0].id, .priority = 1};
    free(py);
    snprintf(po.member_id, sizeof po.member_id, "M123");
    snprintf(po.relation, sizeof po.relation, "self");
    snprintf(po.start_date, sizeof po.start_date, "2025-01-01");
    assert_int_equal(psy_records_policy_add(st, 1, &po, &policy), PSY_OK);
    assert_int_equal(psy_billing_eligibility_request(st, 1, client, 0, "2025-03-04", &x270, &len, e, sizeof e), PSY_OK);
    assert_non_null(strstr(x270, "NM1*1P*1*REYES*DANA****XX*1245319599~"));
    assert_non_null(strstr(x270, "NM1*IL*1*EXAMPLE*SAM****MI*M123~"));
    free(x270);
    psy_store_close(st);
    /* a session of hers, billed: the claim's billing provider is the person; she rendered it herself, so no
     * rendering provider loop (2310B NM1*82) repeats her */
    const char *nt = "{\"techniques\":\"CBT\",\"response\":\"engaged\",\"progress\":\"better\",\"plan\":\"weekly\"}";
    char *note = test_write_file(nt, strlen(nt));
    char path[300], steps[4][1200];
    snprintf(path, sizeof path, "%s.837", db);
    snprintf(steps[0], sizeof steps[0], "clinician add --db %s --practice 1 --first-name Dana --last-name Reyes "
             "--npi 1245319599 --taxonomy 1041C0700X --credential LCSW", db);
    snprintf(steps[1], sizeof steps[1], "session add --db %s --practice 1 --kind individual --client 1 --clinician 1 "
             "--date 2025-03-04 --minutes 53 --note %s --sign", db, note);
    snprintf(steps[2], sizeof steps[2], "claims build --db %s --practice 1 --from 2025-03-01 --to 2025-03-31", db);
    snprintf(steps[3], sizeof steps[3], "claims export --db %s --practice 1 --payer ACME01 --out %s", db, path);
    for (size_t i = 0; i < 4; i++) {
        if (test_run_cli(steps[i], NULL, &out, &err)) fail_msg("%s: %s", steps[i], err);
        free(out);
        free(err);
    }
    snprintf(steps[0], sizeof steps[0], "claims list --db %s --practice 1 --json", db);
    if (test_run_cli(steps[0], NULL, &out, &err) || !strstr(out, "\"submitted\"")) fail_msg("not exported: %s", out);
    free(out);
    free(err);
    char *x837 = test_read_file(path, NULL);
    assert_non_null(strstr(x837, "NM1*85*1*REYES*DANA****XX*1245319599~"));
    assert_non_null(strstr(x837, "NM1*IL*1*EXAMPLE*SAM****MI*M123~"));
    assert_null(strstr(x837, "NM1*82*"));
    assert_int_not_equal(test_pyx12(x837, strlen(x837)), 0); /* valid by the 837P map (-1: pyx12 absent) */
    free(x837);
    unlink(path);
    unlink(note);
    free(note);
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
    ANSWER("sole proprietor", "maybe"); /* neither: asked again */
    expect(fd, buf, &seen, &len, cap, "yes or no");
    ANSWER("sole proprietor", ""); /* the default: no, an organisation (no name asked) */
    ANSWER("NPI the practice", "2123456785"); /* a wrong check digit: asked again, saying why */
    expect(fd, buf, &seen, &len, cap, "check digit");
    ANSWER("NPI the practice", NPI_A);
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
        cmocka_unit_test(test_import_cli),       cmocka_unit_test(test_record_commands),
        cmocka_unit_test(test_import_clients),   cmocka_unit_test(test_session_kinds_cli),
        cmocka_unit_test_setup_teardown(test_init_flags, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_init_bad_npi, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_init_sole_proprietor, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_init_json_and_second_practice, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_init_interactive, setup_one, teardown_one),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
