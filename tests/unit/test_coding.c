/* test_coding.c -- the coding engine, payer profiles and NCCI tables.
 *
 * Most evidence is data: every file in tests/data/coding/ holds cases, each naming the rule id it is
 * evidence for (docs/rules.md), with a session (or a day's lines) and what must come out. One cmocka
 * test runs one file. The C tests below cover what data cannot: the importer on fixtures and on the
 * official files, the same cases against imported tables, JSON output, the CLI contract, and the
 * rules document itself. */
#include "backends.h"
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "psy_int.h"
#include "coding_int.h"

#define CASES_DIR PSY_SOURCE_DIR "/tests/data/coding"
#define NCCI_FIXTURES PSY_SOURCE_DIR "/tests/data/ncci"

/* --- running one case ---------------------------------------------------------------------------- */

struct outcome {
    int exit;                   /* 0 billable, 1 refused, 2 invalid input */
    char field[64];             /* for exit 2 */
    struct psy_coding_result r; /* lines and findings (same-day: findings only) */
};

static void run_session(const psy_coder *cx, json_t *session, struct outcome *o)
{
    char *text = json_dumps(session, JSON_COMPACT);
    struct psy_coding_input s;
    char msg[300];
    memset(o, 0, sizeof *o);
    psy_status rc = psy_session_from_json(text, strlen(text), &s, o->field, sizeof o->field, msg, sizeof msg);
    free(text);
    if (rc) {
        o->exit = 2;
        return;
    }
    rc = psy_coding_session(cx, &s, &o->r);
    if (rc) {
        o->exit = 2;
        snprintf(o->field, sizeof o->field, "%s", o->r.findings[0].field);
        return;
    }
    o->exit = o->r.n_errors || !o->r.n_lines ? 1 : 0;
}

static void run_same_day(const psy_coder *cx, json_t *day, struct outcome *o)
{
    static struct psy_coded_line lines[16];
    memset(o, 0, sizeof *o);
    memset(lines, 0, sizeof lines);
    json_t *arr = json_object_get(day, "lines"), *it;
    size_t n = 0, i;
    json_array_foreach(arr, i, it)
    {
        struct psy_coded_line *l = &lines[n++];
        l->units = 1;
        if (json_is_string(it)) {
            snprintf(l->code, sizeof l->code, "%s", json_string_value(it));
            continue;
        }
        snprintf(l->code, sizeof l->code, "%s", json_string_value(json_object_get(it, "code")));
        if (json_object_get(it, "units")) l->units = (int)json_integer_value(json_object_get(it, "units"));
        l->separate_times = json_is_true(json_object_get(it, "separate_times"));
        size_t k;
        json_t *m;
        json_array_foreach(json_object_get(it, "modifiers"), k, m)
            snprintf(l->modifiers[l->n_modifiers++], 3, "%s", json_string_value(m));
    }
    const char *date = json_string_value(json_object_get(day, "date"));
    size_t nf = 0;
    assert_int_equal(psy_coding_same_day(cx, date ? date : "2024-07-01", lines, n, o->r.findings,
                                         PSY_CODING_MAX_FINDINGS, &nf),
                     PSY_OK);
    o->r.n_findings = nf;
    for (size_t f = 0; f < nf; f++) o->r.n_errors += o->r.findings[f].severity == PSY_SEVERITY_ERROR;
    o->exit = o->r.n_errors ? 1 : 0;
}

/* Appends to the failure text. */
static void why(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void why(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used + 1 >= len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

static int finding_matches(const struct psy_finding *f, json_t *want)
{
    const char *sev = json_string_value(json_object_get(want, "severity"));
    const char *rule = json_string_value(json_object_get(want, "rule"));
    const char *field = json_string_value(json_object_get(want, "field"));
    if (sev && strcmp(sev, f->severity == PSY_SEVERITY_ERROR ? "error" : "warning") != 0) return 0;
    if (rule && strcmp(rule, f->rule) != 0) return 0;
    if (field && strcmp(field, f->field) != 0) return 0;
    return 1;
}

static void check_line(const struct psy_coded_line *l, json_t *want, size_t i, char *fail, size_t flen)
{
    const char *code = json_string_value(json_object_get(want, "code"));
    if (code && strcmp(code, l->code)) why(fail, flen, " line %zu is %s, not %s;", i, l->code, code);
    json_t *v;
    if ((v = json_object_get(want, "units")) && json_integer_value(v) != l->units)
        why(fail, flen, " line %zu units %d, not %lld;", i, l->units, (long long)json_integer_value(v));
    if ((v = json_object_get(want, "place_of_service")) && strcmp(json_string_value(v), l->place_of_service))
        why(fail, flen, " line %zu POS '%s', not '%s';", i, l->place_of_service, json_string_value(v));
    if ((v = json_object_get(want, "charge_cents")) && json_integer_value(v) != l->charge_cents)
        why(fail, flen, " line %zu charge %lld, not %lld;", i, l->charge_cents, (long long)json_integer_value(v));
    if ((v = json_object_get(want, "billable")) && json_is_true(v) != (l->billable != 0))
        why(fail, flen, " line %zu billable %d, not %d;", i, l->billable, json_is_true(v));
    if ((v = json_object_get(want, "member")) && json_integer_value(v) != l->member)
        why(fail, flen, " line %zu member %d, not %lld;", i, l->member, (long long)json_integer_value(v));
    if ((v = json_object_get(want, "modifiers"))) {
        int same = (int)json_array_size(v) == l->n_modifiers;
        for (int m = 0; same && m < l->n_modifiers; m++)
            same = !strcmp(json_string_value(json_array_get(v, (size_t)m)), l->modifiers[m]);
        if (!same) {
            why(fail, flen, " line %zu modifiers [", i);
            for (int m = 0; m < l->n_modifiers; m++) why(fail, flen, "%s%s", m ? "," : "", l->modifiers[m]);
            why(fail, flen, "] differ;");
        }
    }
    size_t k;
    json_t *r;
    json_array_foreach(json_object_get(want, "rules"), k, r)
    {
        int found = 0;
        for (int q = 0; q < l->n_rules; q++) found |= !strcmp(l->rules[q], json_string_value(r));
        if (!found) why(fail, flen, " line %zu lacks rule %s;", i, json_string_value(r));
    }
    if (!*l->explanation || l->explanation[strlen(l->explanation) - 1] != '.')
        why(fail, flen, " line %zu has no explanation sentence;", i);
}

/* Checks one case; returns 0 when it holds, else writes why into fail. */
static int check_case(const psy_coder *cx, json_t *c, char *fail, size_t flen)
{
    static struct outcome o;
    const char *rule = json_string_value(json_object_get(c, "rule"));
    json_t *expect = json_object_get(c, "expect");
    fail[0] = 0;
    if (!rule || !json_is_object(expect)) {
        why(fail, flen, " a case needs a rule id and an expect object;");
        return 1;
    }
    if (json_object_get(c, "session")) run_session(cx, json_object_get(c, "session"), &o);
    else if (json_object_get(c, "same_day")) run_same_day(cx, json_object_get(c, "same_day"), &o);
    else why(fail, flen, " a case needs a session or same_day;");
    json_t *v;
    if ((v = json_object_get(expect, "exit")) && json_integer_value(v) != o.exit)
        why(fail, flen, " exit %d, not %lld;", o.exit, (long long)json_integer_value(v));
    if ((v = json_object_get(expect, "field")) && strcmp(json_string_value(v), o.field))
        why(fail, flen, " field '%s', not '%s';", o.field, json_string_value(v));
    if ((v = json_object_get(expect, "lines"))) {
        if (json_array_size(v) != o.r.n_lines) why(fail, flen, " %zu lines, not %zu;", o.r.n_lines, json_array_size(v));
        for (size_t i = 0; i < o.r.n_lines && i < json_array_size(v); i++)
            check_line(&o.r.lines[i], json_array_get(v, i), i, fail, flen);
    }
    int used[PSY_CODING_MAX_FINDINGS] = {0};
    size_t k;
    json_t *w;
    if ((v = json_object_get(expect, "findings"))) {
        if (json_array_size(v) != o.r.n_findings)
            why(fail, flen, " %zu findings, not %zu;", o.r.n_findings, json_array_size(v));
        json_array_foreach(v, k, w)
        {
            int hit = 0;
            for (size_t f = 0; f < o.r.n_findings && !hit; f++)
                if (!used[f] && finding_matches(&o.r.findings[f], w)) used[f] = hit = 1;
            if (!hit) why(fail, flen, " no finding %s;", json_string_value(json_object_get(w, "rule")));
        }
    }
    json_array_foreach(json_object_get(expect, "includes"), k, w)
    {
        int hit = 0;
        for (size_t f = 0; f < o.r.n_findings; f++) hit |= finding_matches(&o.r.findings[f], w);
        if (!hit) why(fail, flen, " no finding %s on %s;", json_string_value(json_object_get(w, "rule")),
                      json_string_value(json_object_get(w, "field")));
    }
    int excluded = 0;
    json_array_foreach(json_object_get(expect, "excludes"), k, w)
    {
        const char *wr = json_string_value(json_object_get(w, "rule"));
        excluded |= wr && !strcmp(rule, wr);
        for (size_t f = 0; f < o.r.n_findings; f++)
            if (finding_matches(&o.r.findings[f], w))
                why(fail, flen, " unexpected finding %s: %s;", o.r.findings[f].rule, o.r.findings[f].message);
    }
    /* the rule the case names must show in what came out (or be what must not come out) */
    int evidenced = excluded || (!strcmp(rule, "INPUT") && o.exit == 2);
    for (size_t f = 0; f < o.r.n_findings && f < PSY_CODING_MAX_FINDINGS; f++) evidenced |= !strcmp(o.r.findings[f].rule, rule);
    for (size_t i = 0; i < o.r.n_lines; i++)
        for (int q = 0; q < o.r.lines[i].n_rules; q++) evidenced |= !strcmp(o.r.lines[i].rules[q], rule);
    if (!evidenced) why(fail, flen, " rule %s does not appear in the result;", rule);
    if (*fail && o.r.n_findings) {
        why(fail, flen, " findings:");
        for (size_t f = 0; f < o.r.n_findings && f < PSY_CODING_MAX_FINDINGS; f++)
            why(fail, flen, " [%s %s %s]", o.r.findings[f].rule, o.r.findings[f].field, o.r.findings[f].message);
    }
    return *fail != 0;
}

static json_t *load_json(const char *path)
{
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j) fail_msg("%s:%d: %s", path, je.line, je.text);
    return j;
}

/* Runs every case of a file with cx (NULL: a coder with built-in tables and the file's payers).
 * Returns the number of failed cases; *ran gets the number run. */
static int run_file(const char *path, psy_coder *given, int *ran)
{
    json_t *doc = load_json(path);
    psy_coder *cx = given;
    char err[600];
    if (!cx) assert_int_equal(psy_coding_open(NULL, &cx, err, sizeof err), PSY_OK);
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(doc, "payers"), i, p)
    {
        char *text = json_dumps(p, 0);
        psy_status rc = psy_coding_add_payer_json(cx, text, strlen(text), path, err, sizeof err);
        free(text);
        if (rc) fail_msg("%s", err);
    }
    int failed = 0;
    json_t *c;
    *ran = 0;
    json_array_foreach(json_object_get(doc, "cases"), i, c)
    {
        char fail[4096];
        (*ran)++;
        if (check_case(cx, c, fail, sizeof fail)) {
            printf("FAIL %s: case %zu \"%s\" (%s):%s\n", path, i, json_string_value(json_object_get(c, "name")),
                   json_string_value(json_object_get(c, "rule")), fail);
            failed++;
        }
    }
    if (!given) psy_coding_close(cx);
    json_decref(doc);
    return failed;
}

static void test_case_file(void **state)
{
    const char *path = *state;
    int ran;
    int failed = run_file(path, NULL, &ran);
    printf("%s: %d cases, %d failed\n", strrchr(path, '/') + 1, ran, failed);
    assert_true(ran > 0);
    assert_int_equal(failed, 0);
}

static psy_coder *open_builtin(void)
{
    psy_coder *cx;
    char err[600];
    if (psy_coding_open(NULL, &cx, err, sizeof err)) fail_msg("%s", err);
    return cx;
}

/* Runs the CLI and checks its exit status and that stdout holds each of the needles (NULL-ended). */
static void cli_says(const char *args, const char *in, int want_exit, ...)
{
    char *out, *err;
    int ex = test_run_cli(args, in, &out, &err);
    if (ex != want_exit) fail_msg("psyclaim %s: exit %d, not %d (%s)", args, ex, want_exit, err);
    va_list ap;
    va_start(ap, want_exit);
    for (const char *n; (n = va_arg(ap, const char *));)
        if (!strstr(out, n)) fail_msg("psyclaim %s: output lacks '%s':\n%s", args, n, out);
    va_end(ap);
    free(out);
    free(err);
}

/* --- payer profiles ------------------------------------------------------------------------------- */

static void test_payer_profiles(void **state)
{
    (void)state;
    psy_payers *ps;
    char err[600];
    assert_int_equal(psy_payers_builtin(&ps, err, sizeof err), PSY_OK);
    static const char *const ids[] = {"default", "medicare", "example-commercial", "example-medicaid"};
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
        int found = 0;
        for (size_t i = 0; i < psy_payers_count(ps); i++) found |= !strcmp(psy_payers_id(ps, i), ids[k]);
        if (!found) fail_msg("built-in payer %s missing", ids[k]);
    }
    json_t *doc = load_json(CASES_DIR "/payer_profile_errors.json");
    size_t i;
    json_t *c;
    int n = 0;
    json_array_foreach(json_object_get(doc, "profile_cases"), i, c)
    {
        json_t *prof = json_object_get(c, "profile");
        char *text = prof ? json_dumps(prof, 0) : strdup(json_string_value(json_object_get(c, "text")));
        err[0] = 0;
        psy_status rc = psy_payers_add_json(ps, text, strlen(text), "test.json", err, sizeof err);
        free(text);
        const char *want = json_string_value(json_object_get(c, "error"));
        if (rc == PSY_OK || !strstr(err, want) || strncmp(err, "test.json", 9) != 0)
            fail_msg("profile case \"%s\": rc %d, message '%s' lacks '%s'", json_string_value(json_object_get(c, "name")),
                     rc, err, want);
        n++;
    }
    assert_true(n >= 20);
    /* a profile with a known id replaces the built-in one */
    const char *repl = "{\"id\": \"medicare\", \"name\": \"Replaced\", \"versions\": [{\"effective\": \"2024-01-01\"}]}";
    size_t before = psy_payers_count(ps);
    assert_int_equal(psy_payers_add_json(ps, repl, strlen(repl), "r", err, sizeof err), PSY_OK);
    assert_int_equal(psy_payers_count(ps), before);
    int replaced = 0;
    for (size_t k = 0; k < psy_payers_count(ps); k++) replaced |= !strcmp(psy_payers_name(ps, k), "Replaced");
    assert_true(replaced);
    assert_int_equal(psy_payers_add_file(ps, "/nonexistent/payer.json", err, sizeof err), PSY_EIO);
    json_decref(doc);
    psy_payers_free(ps);
}

/* --- the library API ------------------------------------------------------------------------------ */

static void test_same_day_api(void **state)
{
    (void)state;
    psy_coder *cx = open_builtin();
    struct psy_coded_line lines[2] = {{.code = "90791", .units = 1}, {.code = "90837", .units = 1}};
    struct psy_finding f[4];
    size_t n = 99;
    assert_int_equal(psy_coding_same_day(cx, "2024-13-01", lines, 2, f, 4, &n), PSY_EINVAL);
    assert_int_equal(n, 0);
    assert_int_equal(psy_coding_same_day(cx, "2024-07-01", lines, 2, f, 4, &n), PSY_OK);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].rule, "R-PTP-2");
    assert_string_equal(f[0].field, "lines[1]");
    assert_non_null(strstr(f[0].message, "90837"));
    /* a cap of 0 writes nothing and still counts nothing past it */
    assert_int_equal(psy_coding_same_day(cx, "2024-07-01", lines, 2, f, 0, &n), PSY_OK);
    assert_int_equal(n, 0);
    size_t rows;
    assert_int_equal(psy_coding_table_imported(cx, PSY_NCCI_PTP, &rows), 0);
    assert_true(rows > 1000);
    psy_coding_close(cx);
}

static void test_session_struct(void **state)
{
    (void)state;
    psy_coder *cx = open_builtin();
    struct psy_coding_input s;
    static struct psy_coding_result r1, r2;
    psy_session_init(&s);
    snprintf(s.date, sizeof s.date, "2024-07-01");
    s.kind = PSY_SESSION_INDIVIDUAL;
    s.minutes = 50;
    /* coding is a pure function of its input: twice the same, byte for byte */
    assert_int_equal(psy_coding_session(cx, &s, &r1), PSY_OK);
    assert_int_equal(psy_coding_session(cx, &s, &r2), PSY_OK);
    assert_int_equal(r1.n_lines, 1);
    assert_memory_equal(&r1.lines[0], &r2.lines[0], sizeof r1.lines[0]);
    /* fields a C caller can get wrong that JSON cannot */
    s.kind = PSY_SESSION_KIND_COUNT;
    assert_int_equal(psy_coding_session(cx, &s, &r1), PSY_EINVAL);
    assert_string_equal(r1.findings[0].field, "kind");
    assert_string_equal(r1.findings[0].rule, "INPUT");
    s.kind = PSY_SESSION_INDIVIDUAL;
    snprintf(s.credential, sizeof s.credential, "lcsw");
    assert_int_equal(psy_coding_session(cx, &s, &r1), PSY_EINVAL);
    assert_string_equal(r1.findings[0].field, "credential");
    s.credential[0] = 0;
    s.minutes = 2000;
    assert_int_equal(psy_coding_session(cx, &s, &r1), PSY_EINVAL);
    assert_string_equal(r1.findings[0].field, "minutes");
    assert_string_equal(psy_session_kind_name(PSY_SESSION_FAMILY_WITHOUT_PATIENT), "family_without_patient");
    psy_coding_close(cx);
}

static void test_result_json(void **state)
{
    (void)state;
    psy_coder *cx = open_builtin();
    char field[64], msg[300];
    const char *in = "{\"date\":\"2024-07-01\",\"kind\":\"group\",\"group_size\":4,\"members\":2,"
                     "\"telehealth\":\"video\",\"patient_location\":\"home\"}";
    struct psy_coding_input s;
    static struct psy_coding_result r;
    assert_int_equal(psy_session_from_json(in, strlen(in), &s, field, sizeof field, msg, sizeof msg), PSY_OK);
    assert_int_equal(psy_coding_session(cx, &s, &r), PSY_OK);
    for (int pretty = 0; pretty < 2; pretty++) {
        size_t len;
        char *out = psy_coding_result_json(&r, pretty, &len);
        assert_int_equal(strlen(out), len);
        json_error_t je;
        json_t *j = json_loads(out, 0, &je);
        if (!j) fail_msg("not JSON (%s): %s", je.text, out);
        json_t *lines = json_object_get(j, "lines"), *l0 = json_array_get(lines, 0);
        assert_int_equal(json_array_size(lines), 2);
        static const char *const keys[] = {"code", "units", "modifiers", "place_of_service", "rules", "explanation",
                                           "charge_cents", "billable", "member"};
        const char *key;
        json_t *val;
        size_t k = 0;
        json_object_foreach(l0, key, val) assert_string_equal(key, keys[k++]); /* the contract's order */
        assert_int_equal(k, 9);
        assert_true(json_is_true(json_object_get(l0, "billable")));
        assert_string_equal(json_string_value(json_array_get(json_object_get(l0, "modifiers"), 0)), "95");
        assert_int_equal(json_integer_value(json_object_get(json_array_get(lines, 1), "member")), 2);
        assert_int_equal(json_array_size(json_object_get(j, "findings")), 0);
        assert_true(pretty ? strchr(out, '\n') != NULL : strchr(out, '\n') == NULL);
        json_decref(j);
        free(out);
    }
    /* a finding's message with quotes survives escaping */
    r.n_findings = 1;
    r.findings[0] = (struct psy_finding){PSY_SEVERITY_WARNING, "R-X", "f\"1", "say \"hi\"\n\ttab\x01"};
    char *out = psy_coding_result_json(&r, 0, NULL);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    json_t *f0 = json_array_get(json_object_get(j, "findings"), 0);
    assert_string_equal(json_string_value(json_object_get(f0, "message")), "say \"hi\"\n\ttab\x01");
    assert_string_equal(json_string_value(json_object_get(f0, "field")), "f\"1");
    assert_string_equal(json_string_value(json_object_get(f0, "severity")), "warning");
    json_decref(j);
    free(out);
    /* parse errors name the field, or say the text is not JSON */
    assert_int_equal(psy_session_from_json("[1]", 3, &s, field, sizeof field, msg, sizeof msg), PSY_EINVAL);
    assert_string_equal(field, "");
    assert_int_equal(psy_session_from_json("{\"date\":", 8, &s, field, sizeof field, msg, sizeof msg), PSY_EPARSE);
    assert_non_null(strstr(msg, "not JSON"));
    psy_coding_close(cx);
}

/* --- NCCI import ----------------------------------------------------------------------------------- */

/* Runs the same-day edit and checks it gives n findings, the first with rule and field (when given). */
static void expect_day(const psy_coder *cx, const char *date, const struct psy_coded_line *lines, size_t count,
                       size_t n, const char *rule, const char *field)
{
    struct psy_finding f[8];
    size_t got;
    assert_int_equal(psy_coding_same_day(cx, date, lines, count, f, 8, &got), PSY_OK);
    if (got != n) fail_msg("%s, %s...: %zu findings, not %zu", date, lines[0].code, got, n);
    if (rule) assert_string_equal(f[0].rule, rule);
    if (field) assert_string_equal(f[0].field, field);
}

static psy_status import(psy_store *st, psy_ncci_kind kind, const char *path, struct psy_ncci_import_stats *s,
                         char *err, size_t errlen)
{
    return psy_ncci_import(st, kind, path, NULL, s, err, errlen);
}

static void test_ncci_import_fixtures(void **state)
{
    struct test_db db;
    test_db_make(*state, &db);
    psy_store *st = test_db_open(&db, 1);
    struct psy_ncci_import_stats s;
    char err[600];
    psy_status rc = import(st, PSY_NCCI_PTP, NCCI_FIXTURES "/ptp_cms_layout.txt", &s, err, sizeof err);
    if (rc) fail_msg("%s", err);
    assert_int_equal(s.rows, 4);
    assert_int_equal(s.skipped, 3); /* preamble, title, header (blank rows are not counted) */
    rc = import(st, PSY_NCCI_MUE, NCCI_FIXTURES "/mue_cms_layout_eff_2025-01-01.csv", &s, err, sizeof err);
    if (rc) fail_msg("%s", err);
    assert_int_equal(s.rows, 3);
    rc = import(st, PSY_NCCI_AOC, NCCI_FIXTURES "/aoc_cms_layout.txt", &s, err, sizeof err);
    if (rc) fail_msg("%s", err);
    assert_int_equal(s.rows, 4);
    long counts[PSY_NCCI_KIND_COUNT];
    assert_int_equal(psy_ncci_counts(st, counts), PSY_OK);
    assert_int_equal(counts[PSY_NCCI_PTP], 4);
    /* the release date comes from the MUE file name */
    char *text = test_db_text(&db, "SELECT effective FROM ncci_mue WHERE code = '90853'");
    assert_string_equal(text, "2025-01-01");
    free(text);
    text = test_db_text(&db, "SELECT rationale FROM ncci_mue WHERE code = '90853'");
    assert_string_equal(text, "Invented, with a \"quoted\" word");
    free(text);

    /* the coder now reads these tables instead of the built-in ones */
    psy_coder *cx;
    assert_int_equal(psy_coding_open(st, &cx, err, sizeof err), PSY_OK);
    size_t rows;
    assert_int_equal(psy_coding_table_imported(cx, PSY_NCCI_PTP, &rows), 1);
    assert_int_equal(rows, 3); /* the indicator-9 row is no edit and is not loaded */
    struct psy_coded_line day[2] = {{.code = "90834", .units = 1}, {.code = "90853", .units = 1}};
    /* 2024: only 90853 / 90834 (indicator 1) is in force, so 90834 is the denied line */
    expect_day(cx, "2024-07-01", day, 2, 1, "R-PTP-3", "lines[0]");
    /* 2013: the edit deleted at the end of 2013 still holds and keeps 90834, denying 90853 */
    expect_day(cx, "2013-06-03", day, 2, 1, "R-PTP-3", "lines[1]");
    /* MAI 1 from the imported MUE: units per line */
    struct psy_coded_line two = {.code = "90834", .units = 2};
    struct psy_finding f[8];
    size_t n;
    assert_int_equal(psy_coding_same_day(cx, "2025-02-03", &two, 1, f, 8, &n), PSY_OK);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].rule, "R-MUE-1");
    assert_int_equal(f[0].severity, PSY_SEVERITY_ERROR);
    assert_non_null(strstr(f[0].message, "per line"));
    /* indicator 9 is no edit */
    struct psy_coded_line nine[2] = {{.code = "90837", .units = 1}, {.code = "90832", .units = 1}};
    expect_day(cx, "2024-07-01", nine, 2, 0, NULL, NULL);
    /* AOC dates: 90785 on 99441 holds through 2024 only; type 2 (any primary) is not checked */
    struct psy_coded_line tel[2] = {{.code = "99441", .units = 1}, {.code = "90785", .units = 1}};
    expect_day(cx, "2024-12-02", tel, 2, 0, NULL, NULL);
    expect_day(cx, "2025-01-06", tel, 2, 1, "R-ADDON-1", "lines[1]");
    struct psy_coded_line pm = {.code = "90863", .units = 1};
    expect_day(cx, "2024-07-01", &pm, 1, 0, NULL, NULL);
    psy_coding_close(cx);

    /* positional PTP rows without a header; rows of the same key are replaced, not doubled */
    rc = import(st, PSY_NCCI_PTP, NCCI_FIXTURES "/ptp_positional.txt", &s, err, sizeof err);
    if (rc) fail_msg("%s", err);
    assert_int_equal(s.rows, 2);
    rc = import(st, PSY_NCCI_PTP, NCCI_FIXTURES "/ptp_positional.txt", &s, err, sizeof err);
    assert_int_equal(rc, PSY_OK);
    assert_int_equal(psy_ncci_counts(st, counts), PSY_OK);
    assert_int_equal(counts[PSY_NCCI_PTP], 6);
    assert_int_equal(test_db_count(&db, "SELECT count(*) FROM ncci_release"), 4);

    /* a key twice in one file: the later row wins, as it would row by row */
    const char twice[] = "HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator\n"
                         "90834,2,3\n90834,4,3\n90853,1,2\n";
    char *tp = test_write_file(twice, sizeof twice - 1);
    rc = import(st, PSY_NCCI_MUE, tp, &s, err, sizeof err);
    if (rc) fail_msg("%s", err);
    assert_int_equal(s.rows, 3);
    assert_int_equal(test_db_count(&db, "SELECT units FROM ncci_mue WHERE code = '90834'"), 4);
    assert_int_equal(test_db_count(&db, "SELECT count(*) FROM ncci_mue WHERE code IN ('90834', '90853')"), 2);
    unlink(tp);
    free(tp);
    psy_store_close(st);
    test_db_drop(&db);
}

/* A second file compared with what the store holds: a row held as it is is not written again, a new key
 * is added, a changed row replaces its key's, and a key met twice wins with its later row -- also when
 * the key was new (its insert goes before the replacement). Counts from the rules of psy_ncci.h. */
static void test_ncci_import_again(void **state)
{
    struct test_db db;
    test_db_make(*state, &db);
    psy_store *st = test_db_open(&db, 1);
    struct psy_ncci_import_stats s;
    char err[600];
    const char first[] = "HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\n"
                         "90834,2,3,Clinical\n90853,1,2,Policy\n90837,1,3,Clinical\n";
    const char second[] = "HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\n"
                          "90834,2,3,Clinical\n"  /* as held */
                          "90853,3,2,Policy\n"    /* units changed */
                          "90832,1,3,Clinical\n"  /* new */
                          "90832,2,3,Clinical\n"  /* the new key again: this row wins */
                          "90853,5,2,Policy\n"    /* the changed key again: this row wins */
                          "90837,1,3,Nature\n";   /* only the rationale changed */
    char *a = test_write_file(first, sizeof first - 1), *b = test_write_file(second, sizeof second - 1);
    psy_status rc = import(st, PSY_NCCI_MUE, a, &s, err, sizeof err);
    if (rc) fail_msg("%s", err);
    assert_int_equal(s.rows, 3);
    assert_int_equal(s.added, 3);
    rc = import(st, PSY_NCCI_MUE, a, &s, err, sizeof err);
    if (rc) fail_msg("%s", err);
    assert_int_equal(s.rows, 3);
    assert_int_equal(s.unchanged, 3);
    assert_int_equal(s.added + s.updated, 0);
    rc = import(st, PSY_NCCI_MUE, b, &s, err, sizeof err);
    if (rc) fail_msg("%s", err);
    assert_int_equal(s.rows, 6);
    assert_int_equal(s.added, 1);
    assert_int_equal(s.updated, 4);
    assert_int_equal(s.unchanged, 1);
    assert_int_equal(test_db_count(&db, "SELECT count(*) FROM ncci_mue"), 4);
    assert_int_equal(test_db_count(&db, "SELECT units FROM ncci_mue WHERE code = '90834'"), 2);
    assert_int_equal(test_db_count(&db, "SELECT units FROM ncci_mue WHERE code = '90853'"), 5);
    assert_int_equal(test_db_count(&db, "SELECT units FROM ncci_mue WHERE code = '90832'"), 2);
    char *text = test_db_text(&db, "SELECT rationale FROM ncci_mue WHERE code = '90837'");
    assert_string_equal(text, "Nature");
    free(text);
    /* a PTP pair whose modifier indicator changes, and one that ends (a new deletion date is a new key) */
    const char p1[] = "Column 1\tColumn 2\tEffective Date\tDeletion Date\tModifier\n"
                      "90837\t90832\t20200101\t*\t0\n90834\t90832\t20200101\t*\t0\n";
    const char p2[] = "Column 1\tColumn 2\tEffective Date\tDeletion Date\tModifier\n"
                      "90837\t90832\t20200101\t*\t1\n90834\t90832\t20200101\t20241231\t0\n";
    char *c = test_write_file(p1, sizeof p1 - 1), *d = test_write_file(p2, sizeof p2 - 1);
    if ((rc = import(st, PSY_NCCI_PTP, c, &s, err, sizeof err))) fail_msg("%s", err);
    if ((rc = import(st, PSY_NCCI_PTP, d, &s, err, sizeof err))) fail_msg("%s", err);
    assert_int_equal(s.added, 1);
    assert_int_equal(s.updated, 1);
    assert_int_equal(test_db_count(&db, "SELECT modifier_indicator FROM ncci_ptp WHERE column1 = '90837'"), 1);
    assert_int_equal(test_db_count(&db, "SELECT count(*) FROM ncci_ptp WHERE column1 = '90834'"), 2);
    /* a file that fails part way keeps nothing, and the next import compares with what is really held */
    const char broken[] = "HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator\n"
                          "90834,7,3\n90791,x,3\n";
    char *e = test_write_file(broken, sizeof broken - 1);
    assert_int_equal(import(st, PSY_NCCI_MUE, e, &s, err, sizeof err), PSY_EPARSE);
    assert_non_null(strstr(err, ":3:"));
    assert_int_equal(test_db_count(&db, "SELECT units FROM ncci_mue WHERE code = '90834'"), 2);
    char *paths[] = {a, b, c, d, e};
    for (size_t i = 0; i < 5; i++) {
        unlink(paths[i]);
        free(paths[i]);
    }
    psy_store_close(st);
    test_db_drop(&db);
}

struct bad_file {
    psy_ncci_kind kind;
    const char *text, *message;
};

static void test_ncci_import_errors(void **state)
{
    static const struct bad_file bad[] = {
        {PSY_NCCI_PTP, "Column 1\tColumn 2\tModifier\n90834\t90853\t7\n", ":2: modifier indicator '7' is not 0, 1 or 9"},
        {PSY_NCCI_PTP, "Column 1\tColumn 2\tModifier\n90834\t9085\t1\n", ":2: column 2 '9085' is not a procedure code"},
        {PSY_NCCI_PTP, "Column 1\tColumn 2\tModifier\n90834\t90853\t1\n9083X4\t90853\t1\n", ":3: '9083X4' is not a procedure code"},
        {PSY_NCCI_PTP, "Column 1\tColumn 2\tEffective Date\tModifier\n90834\t90853\t2024-13-01\t1\n", ":2: effective date"},
        {PSY_NCCI_PTP, "Column 1\tColumn 2\tModifier\n90834\n", ":2: row has 1 columns"},
        {PSY_NCCI_PTP, "just some text\nno header here\n", "no header row naming Column 1, Column 2"},
        {PSY_NCCI_PTP, "Column 1\tColumn 2\tModifier\n", "no edit rows"},
        {PSY_NCCI_MUE, "HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator\n90834,two,3\n",
         ":2: MUE units 'two'"},
        {PSY_NCCI_MUE, "HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator\n90834,2,Line\n",
         ":2: MUE adjudication indicator 'Line'"},
        {PSY_NCCI_AOC, "Add-on Code\tPrimary Code\tAOC Edit Type\n90785\t9079\t1\n", ":2: primary code '9079'"},
        {PSY_NCCI_AOC, "Add-on Code\tPrimary Code\tAOC Edit Type\n90785\t90791\t4\n", ":2: AOC edit type '4'"},
        {PSY_NCCI_AOC, "Column 1\tColumn 2\tModifier\n90834\t90853\t1\n", "is this the ncci-aoc file?"},
        {PSY_NCCI_PTP, "Column 1\tColumn 2\tModifier\n90834\t90853\t1\0\n", "NUL byte"},
    };
    struct test_db db;
    test_db_make(*state, &db);
    psy_store *st = test_db_open(&db, 1);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len = strlen(bad[i].text) + (strstr(bad[i].message, "NUL") ? 2 : 0);
        char *path = test_write_file(bad[i].text, len);
        struct psy_ncci_import_stats s;
        char err[600] = "";
        psy_status rc = psy_ncci_import(st, bad[i].kind, path, NULL, &s, err, sizeof err);
        if (rc == PSY_OK || !strstr(err, bad[i].message) || strncmp(err, path, strlen(path)) != 0)
            fail_msg("bad file %zu: rc %d, '%s' lacks '%s'", i, rc, err, bad[i].message);
        assert_int_equal(s.rows, 0);
        unlink(path);
        free(path);
    }
    long counts[PSY_NCCI_KIND_COUNT];
    assert_int_equal(psy_ncci_counts(st, counts), PSY_OK);
    assert_int_equal(counts[0] + counts[1] + counts[2], 0); /* nothing of a refused file is kept */
    /* Latin-1 text (older CMS files) is stored as UTF-8 */
    const char latin[] = "Column 1\tColumn 2\tModifier\tRationale\n90834\t90853\t1\tPr\xe9vu\n";
    char *path = test_write_file(latin, sizeof latin - 1);
    struct psy_ncci_import_stats s;
    char err[600];
    assert_int_equal(psy_ncci_import(st, PSY_NCCI_PTP, path, NULL, &s, err, sizeof err), PSY_OK);
    char *text = test_db_text(&db, "SELECT rationale FROM ncci_ptp");
    assert_string_equal(text, "Pr\xc3\xa9vu");
    free(text);
    struct psy_import_opts o = {.effective = "2024-02-30"};
    assert_int_equal(psy_ncci_import(st, PSY_NCCI_PTP, path, &o, &s, err, sizeof err), PSY_EPARSE);
    assert_non_null(strstr(err, "--effective"));
    assert_int_equal(psy_ncci_import(st, PSY_NCCI_PTP, "/nonexistent/file.txt", NULL, &s, err, sizeof err), PSY_EIO);
    unlink(path);
    free(path);
    psy_ncci_kind k;
    assert_int_equal(psy_ncci_kind_parse("ncci-mue", &k), PSY_OK);
    assert_int_equal(k, PSY_NCCI_MUE);
    assert_int_equal(psy_ncci_kind_parse("ncci-xyz", &k), PSY_EINVAL);
    assert_string_equal(psy_ncci_kind_name(PSY_NCCI_AOC), "ncci-aoc");
    psy_store_close(st);
    test_db_drop(&db);
}

/* The official files: import each, then run the PTP pair and add-on anchor cases against the imported
 * tables, so the built-in set and CMS's own rows are shown to agree. */
static void test_ncci_import_official(void **state)
{
    static const struct {
        psy_ncci_kind kind;
        const char *rel;
    } files[] = {{PSY_NCCI_PTP, "ncci/ptp_practitioner_2024q3_psych_90785-90899.tsv"},
                 {PSY_NCCI_PTP, "ncci/ptp_practitioner_2024q3_em_99202-99499_pairs.tsv"},
                 {PSY_NCCI_MUE, "ncci/mue_practitioner_eff_2024-07-01.tsv"},
                 {PSY_NCCI_AOC, "ncci/aoc_addon_code_edits_2024-06-03.tsv"}};
    char path[600];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (!test_have_shared(files[i].rel, path, sizeof path)) skip();
    struct test_db db;
    test_db_make(*state, &db);
    psy_store *st = test_db_open(&db, 1);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        test_have_shared(files[i].rel, path, sizeof path);
        struct psy_ncci_import_stats s;
        char err[600];
        psy_status rc = psy_ncci_import(st, files[i].kind, path, NULL, &s, err, sizeof err);
        if (rc) fail_msg("%s", err);
        assert_int_equal(s.rows, s.lines - 1); /* every line but the header is an edit */
    }
    long counts[PSY_NCCI_KIND_COUNT];
    assert_int_equal(psy_ncci_counts(st, counts), PSY_OK);
    assert_int_equal(counts[PSY_NCCI_MUE], 14677);
    assert_int_equal(counts[PSY_NCCI_AOC], 7465);
    assert_true(counts[PSY_NCCI_PTP] > 20000);
    psy_coder *cx;
    char err[600];
    assert_int_equal(psy_coding_open(st, &cx, err, sizeof err), PSY_OK);
    for (int k = 0; k < PSY_NCCI_KIND_COUNT; k++) assert_int_equal(psy_coding_table_imported(cx, (psy_ncci_kind)k, NULL), 1);
    static const char *const agree[] = {"ptp_pairs.json", "addon_anchors.json", "same_day.json", "crisis.json", "em.json"};
    for (size_t i = 0; i < sizeof agree / sizeof agree[0]; i++) {
        char p[600];
        int ran;
        snprintf(p, sizeof p, "%s/%s", CASES_DIR, agree[i]);
        int failed = run_file(p, cx, &ran);
        printf("%s against the imported tables: %d cases, %d failed\n", agree[i], ran, failed);
        assert_int_equal(failed, 0);
    }
    psy_coding_close(cx);
    psy_store_close(st);
    test_db_drop(&db);
}

/* --- the CLI --------------------------------------------------------------------------------------- */

static void test_cli_code_session(void **state)
{
    (void)state;
    static const struct {
        const char *input, *field;
    } invalid[] = {
        {"not json", NULL},
        {"[]", NULL},
        {"{\"date\":\"2024-07-01\",\"kind\":\"couples\",\"minutes\":50}", "kind"},
        {"{\"date\":\"2024-07-01\",\"kind\":\"individual\",\"minutes\":-1}", "minutes"},
        {"{\"date\":\"2024-07-01\",\"kind\":\"individual\"}", "minutes"},
        {"{\"date\":\"07/01/2024\",\"kind\":\"individual\",\"minutes\":50}", "date"},
        {"{\"date\":\"2024-07-01\",\"kind\":\"individual\",\"minutes\":50,\"payer\":\"acme\"}", "payer"},
        {"{\"date\":\"2024-07-01\",\"kind\":\"individual\",\"minutes\":50,\"telehealth\":true}", "telehealth"},
        {"{\"date\":\"2024-07-01\",\"kind\":\"individual\",\"minutes\":50,\"note\":\"x\"}", "note"},
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        char *out, *err;
        int ex = test_run_cli("code-session --json", invalid[i].input, &out, &err);
        if (ex != 2) fail_msg("input %zu: exit %d, not 2 (%s)", i, ex, err);
        if (invalid[i].field) {
            char want[64];
            snprintf(want, sizeof want, "%s: ", invalid[i].field);
            if (!strstr(err, want)) fail_msg("input %zu: '%s' does not name %s", i, err, invalid[i].field);
        }
        assert_string_equal(out, "");
        free(out);
        free(err);
    }
    char *out;
    /* billable: exit 0, the JSON contract */
    int ex = test_run_cli("code-session --json --payer medicare",
                          "{\"date\":\"2024-07-01\",\"kind\":\"individual\",\"minutes\":50,\"telehealth\":\"video\","
                          "\"patient_location\":\"home\"}",
                          &out, NULL);
    assert_int_equal(ex, 0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    json_t *l0 = json_array_get(json_object_get(j, "lines"), 0);
    assert_string_equal(json_string_value(json_object_get(l0, "code")), "90834");
    assert_string_equal(json_string_value(json_object_get(l0, "place_of_service")), "10");
    assert_int_equal(json_integer_value(json_object_get(l0, "charge_cents")), 10319);
    json_decref(j);
    free(out);
    /* refused: exit 1, the findings say why; readable output without --json */
    cli_says("code-session", "{\"date\":\"2024-07-01\",\"kind\":\"crisis\",\"minutes\":29}", 1, "R-CRISIS-1",
             "Cannot be billed as described.", NULL);
    cli_says("code-session", "{\"date\":\"2024-07-01\",\"kind\":\"individual\",\"minutes\":40,\"em_code\":\"99213\"}", 0,
             "90836", "Billable as described.", "NCCI tables: PTP built-in", NULL);
    /* the payer list and help */
    cli_says("code-session --payers", NULL, 0, "example-medicaid", "medicare", NULL);
    cli_says("code-session --help", NULL, 0, "usage: psyclaim code-session", NULL);
    cli_says("code-session extra", NULL, 2, NULL);
}

static void test_cli_batch(void **state)
{
    (void)state;
    const char *in = "{\"date\":\"2024-07-01\",\"kind\":\"individual\",\"minutes\":53}\n"
                     "\n"
                     "{\"date\":\"2024-07-01\",\"kind\":\"family_with_patient\",\"minutes\":20}\n"
                     "{\"date\":\"2024-07-01\",\"kind\":\"individual\",\"minutes\":\"x\"}\n"
                     "{\"date\":\"2024-07-01\",\"kind\":\"group\",\"group_size\":3,\"members\":3}\n";
    char *out;
    int ex = test_run_cli("code-session --batch --payer medicare", in, &out, NULL);
    assert_int_equal(ex, 2); /* the worst: one invalid line */
    static const long want_line[] = {1, 3, 4, 5};
    char *save = NULL, *row = strtok_r(out, "\n", &save);
    int n = 0;
    for (; row; row = strtok_r(NULL, "\n", &save), n++) {
        json_t *j = json_loads(row, 0, NULL);
        if (!j) fail_msg("batch output line %d is not JSON: %s", n, row);
        assert_int_equal(json_integer_value(json_object_get(j, "line")), want_line[n]);
        if (n == 0) assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "lines"), 0), "code")), "90837");
        if (n == 1) assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "findings"), 0), "rule")), "R-FAM-1");
        if (n == 2) assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "field")), "minutes");
        if (n == 3) assert_int_equal(json_array_size(json_object_get(j, "lines")), 3);
        json_decref(j);
    }
    assert_int_equal(n, 4);
    free(out);
    ex = test_run_cli("code-session --batch", "{\"date\":\"2024-07-01\",\"kind\":\"crisis\",\"minutes\":20}\n", &out, NULL);
    assert_int_equal(ex, 1);
    free(out);
}

static void test_cli_import_and_db(void **state)
{
    (void)state;
    char *db = test_tmp_path(".db"), args[1024], *out, *err;
    snprintf(args, sizeof args, "import --db %s --quiet ncci-ptp %s/ptp_cms_layout.txt", db, NCCI_FIXTURES);
    assert_int_equal(test_run_cli(args, NULL, &out, &err), 0);
    assert_non_null(strstr(out, "4 edit rows"));
    free(out);
    free(err);
    snprintf(args, sizeof args, "import --db %s ncci-ptp %s/mue_cms_layout_eff_2025-01-01.csv", db, NCCI_FIXTURES);
    assert_int_equal(test_run_cli(args, NULL, &out, &err), 1);
    assert_non_null(strstr(err, "no header row"));
    free(out);
    free(err);
    snprintf(args, sizeof args, "import --db %s ncci-foo x.txt", db);
    assert_int_equal(test_run_cli(args, NULL, &out, &err), 2);
    free(out);
    free(err);
    /* code-session --db reads the imported PTP table */
    snprintf(args, sizeof args, "code-session --db %s", db);
    assert_int_equal(test_run_cli(args, "{\"date\":\"2024-07-01\",\"kind\":\"individual\",\"minutes\":45}", &out, NULL), 0);
    assert_non_null(strstr(out, "PTP imported (3 rows)"));
    free(out);
    /* a bad payer file names the field */
    const char *bad = "{\"id\":\"p\",\"name\":\"P\",\"versions\":[{\"effective\":\"2024-01-01\",\"group_size_max\":-2}]}";
    test_cli_file(bad, "code-session --payer-file %s", "{}", 1, "versions[0].group_size_max");
    test_rm_db(db);
    free(db);
}

/* The engine's place-of-service set is the catalog's (R-CODE-4). */
static void test_pos_set(void **state)
{
    (void)state;
    json_t *doc = load_json(PSY_SOURCE_DIR "/data/catalog/pos.json");
    size_t i, n = 0;
    json_t *e;
    json_array_foreach(json_object_get(doc, "entries"), i, e) {
        const char *code = json_string_value(json_object_get(e, "code"));
        if (!psy__pos_exists(code)) fail_msg("POS %s of the catalog is unknown to the engine", code);
        n++;
    }
    json_decref(doc);
    assert_true(n > 30);
    assert_false(psy__pos_exists("44"));
    assert_false(psy__pos_exists("00"));
    assert_false(psy__pos_exists(""));
}

/* The rule the engine's code-set check gives an E/M code on a date (NULL: none). */
static const char *em_rule(int date, const char *code)
{
    struct psy_finding f[4];
    struct psy__sink k = {f, 4, 0, 0, {0}};
    psy__codeset_check(date, code, "", 0, &k);
    return k.n ? f[0].rule : NULL;
}

static int same_rule(const char *a, const char *b) { return a && b ? !strcmp(a, b) : a == b; }

static int ymd_int(const char *d) { return atoi(d) * 10000 + atoi(d + 5) * 100 + atoi(d + 8); }

/* The engine's E/M code set by date is the catalog's (R-CODE-1..3): every E/M code of
 * data/catalog/cpt.json is known to the engine from its effective date through its last day, refused
 * the day before and the day after, and an add-on there is an add-on here; and every code the engine
 * knows is in the catalog. */
static void test_em_set(void **state)
{
    (void)state;
    json_t *doc = load_json(PSY_SOURCE_DIR "/data/catalog/cpt.json");
    json_t *known = json_object();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(doc, "entries"), i, e) {
        const char *code = json_string_value(json_object_get(e, "code"));
        if (strncmp(code, "992", 3) && strncmp(code, "993", 3) && strncmp(code, "994", 3) &&
            (strcmp(code, "98000") < 0 || strcmp(code, "98015") > 0))
            continue;
        json_object_set_new(known, code, json_true());
        const char *eff = json_string_value(json_object_get(e, "effective"));
        const char *term = json_string_value(json_object_get(e, "terminated"));
        int addon = !strcmp(json_string_value(json_object_get(e, "kind")), "addon");
        const char *in_force = addon ? "R-CODE-3" : NULL;
        char prev[PSY_DATE_TEXT_MAX], next[PSY_DATE_TEXT_MAX];
        int first = eff ? ymd_int(eff) : 19920101, last = term ? ymd_int(term) : 20991231;
        const char *r;
        if (!same_rule(r = em_rule(first, code), in_force) || !same_rule(r = em_rule(last, code), in_force))
            fail_msg("%s: the engine gives %s in force (catalog %s to %s)", code, r ? r : "nothing", eff ? eff : "-",
                     term ? term : "-");
        if (!addon && eff && psy_date_add(eff, -1, prev) && !same_rule(em_rule(ymd_int(prev), code), "R-CODE-2"))
            fail_msg("%s: the engine takes it before its effective date %s", code, eff);
        if (!addon && term && psy_date_add(term, 1, next) && !same_rule(em_rule(ymd_int(next), code), "R-CODE-2"))
            fail_msg("%s: the engine takes it after its last day %s", code, term);
    }
    /* the other way: whatever the engine takes on some date is in the catalog */
    static const int dates[] = {20200101, 20220601, 20240601, 20260601};
    char code[16];
    for (int c = 98000; c <= 99499; c++) {
        if (c == 98016) c = 99201;
        snprintf(code, sizeof code, "%d", c);
        for (size_t d = 0; d < sizeof dates / sizeof dates[0]; d++) {
            const char *r = em_rule(dates[d], code);
            if ((!r || strcmp(r, "R-CODE-1")) && !json_object_get(known, code))
                fail_msg("E/M %s is known to the engine but not in the catalog", code);
        }
    }
    assert_true(json_object_size(known) >= 100);
    assert_string_equal(em_rule(20260601, "99443"), "R-CODE-2"); /* CPT 2025 deleted the telephone E/M */
    assert_string_equal(em_rule(20240601, "98000"), "R-CODE-2"); /* telemedicine E/M only from CPT 2025 */
    assert_null(em_rule(20220601, "99241"));                      /* the lowest consultation level until 2023 */
    assert_string_equal(em_rule(20230101, "99241"), "R-CODE-2");
    json_decref(known);
    json_decref(doc);
}

/* --- docs/rules.md agrees with the cases -------------------------------------------------------------- */

static void collect_rules(const char *path, json_t *seen)
{
    json_t *doc = load_json(path);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "cases"), i, c)
        json_object_set_new(seen, json_string_value(json_object_get(c, "rule")), json_true());
    json_decref(doc);
}

static void test_rules_document(void **state)
{
    char **files = *state;
    json_t *seen = json_object();
    for (char **f = files; *f; f++) collect_rules(*f, seen);
    /* the claim-level cases (run by test_scrub_day) */
    DIR *cd = opendir(PSY_SOURCE_DIR "/tests/data/claims");
    assert_non_null(cd);
    for (struct dirent *e; (e = readdir(cd));) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json")) continue;
        char path[512];
        snprintf(path, sizeof path, "%s/tests/data/claims/%s", PSY_SOURCE_DIR, e->d_name);
        collect_rules(path, seen);
    }
    closedir(cd);
    FILE *md = fopen(PSY_SOURCE_DIR "/docs/rules.md", "r");
    assert_non_null(md);
    char line[2048];
    json_t *listed = json_object();
    while (fgets(line, sizeof line, md)) {
        if (strncmp(line, "| `R-", 5) != 0) continue;
        char id[32];
        size_t k = 0;
        for (const char *p = line + 3; *p && *p != '`' && k + 1 < sizeof id; p++) id[k++] = *p;
        id[k] = 0;
        json_object_set_new(listed, id, json_true());
        if (!strstr(line, "Not coded by this engine") && !json_object_get(seen, id))
            fail_msg("docs/rules.md lists %s but no case in tests/data/coding names it", id);
    }
    fclose(md);
    const char *id;
    json_t *v;
    json_object_foreach(seen, id, v) if (strcmp(id, "INPUT") && !json_object_get(listed, id))
        fail_msg("cases name %s but docs/rules.md does not list it", id);
    json_decref(listed);
    json_decref(seen);
}

/* --- main ------------------------------------------------------------------------------------------- */

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_payer_profiles),     cmocka_unit_test(test_same_day_api),
        cmocka_unit_test(test_session_struct),     cmocka_unit_test(test_result_json),
        cmocka_unit_test(test_cli_code_session),   cmocka_unit_test(test_cli_batch),
        cmocka_unit_test(test_cli_import_and_db),
    };
    /* the NCCI importer and the coder reading its tables, on every backend */
    static const struct CMUnitTest ncci[] = {
        cmocka_unit_test(test_ncci_import_fixtures),
        cmocka_unit_test(test_ncci_import_again),
        cmocka_unit_test(test_ncci_import_errors),
        cmocka_unit_test(test_ncci_import_official),
        cmocka_unit_test(test_pos_set), cmocka_unit_test(test_em_set),
    };
    size_t nfixed = sizeof fixed / sizeof fixed[0];
    /* one test per case file */
    char **files = calloc(64, sizeof *files);
    size_t nfiles = 0;
    DIR *d = opendir(CASES_DIR);
    if (!d) {
        fprintf(stderr, "cannot open %s\n", CASES_DIR);
        return 1;
    }
    struct dirent *e;
    while ((e = readdir(d)) && nfiles < 63) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") || !strcmp(e->d_name, "payer_profile_errors.json")) continue;
        files[nfiles] = malloc(strlen(CASES_DIR) + len + 2);
        sprintf(files[nfiles++], "%s/%s", CASES_DIR, e->d_name);
    }
    closedir(d);
    qsort(files, nfiles, sizeof *files, by_name);
    struct CMUnitTest *tests = calloc(nfixed + nfiles + 1, sizeof *tests);
    memcpy(tests, fixed, sizeof fixed);
    for (size_t i = 0; i < nfiles; i++) {
        tests[nfixed + i].name = strrchr(files[i], '/') + 1;
        tests[nfixed + i].test_func = test_case_file;
        tests[nfixed + i].initial_state = files[i];
    }
    tests[nfixed + nfiles].name = "test_rules_document";
    tests[nfixed + nfiles].test_func = test_rules_document;
    tests[nfixed + nfiles].initial_state = files;
    int rc = _cmocka_run_group_tests("test_coding", tests, nfixed + nfiles + 1, NULL, NULL);
    for (size_t i = 0; i < nfiles; i++) free(files[i]);
    free(files);
    free(tests);
    rc += test_run_on_backends("test_coding_ncci", ncci, sizeof ncci / sizeof *ncci, NULL, NULL);
    return rc ? 1 : 0;
}
