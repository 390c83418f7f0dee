/* support.c -- helpers shared by the unit tests (see support.h). */
#include "support.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A name no earlier run left behind: process ids come round again, and a test that failed may not
 * have removed its files, so whatever has this name already is removed first. */
char *test_tmp_path(const char *suffix)
{
    static int counter;
    char *p = malloc(256);
    snprintf(p, 256, "/tmp/psyclaim-test-%d-%d%s", (int)getpid(), ++counter, suffix);
    test_rm_db(p);
    return p;
}

void test_rm_db(const char *path)
{
    char buf[300];
    unlink(path);
    snprintf(buf, sizeof buf, "%s-wal", path);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s-shm", path);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s.search-index", path); /* psy_search_open's file */
    unlink(buf);
    snprintf(buf, sizeof buf, "%s.search-index.verified", path);
    unlink(buf);
}

char *test_write_file(const char *text, size_t len)
{
    char *p = test_tmp_path(".txt");
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
    return p;
}

psy_store *test_open_store(char **path)
{
    *path = test_tmp_path(".db");
    psy_store *st = NULL;
    char err[512];
    psy_status rc = psy_store_open(*path, &st, err, sizeof err);
    if (rc) fprintf(stderr, "open: %s\n", err);
    assert_int_equal(rc, PSY_OK);
    rc = psy_catalog_seed(st);
    if (rc) fprintf(stderr, "seed: %s\n", psy_store_errmsg(st));
    assert_int_equal(rc, PSY_OK);
    return st;
}

void test_check_lookups(psy_store *st)
{
    struct psy_code c;
    /* add-on flags and ICD billable flags */
    assert_int_equal(psy_catalog_get(st, PSY_SYS_CPT, "90833", &c), PSY_OK);
    assert_true(c.addon);
    psy_code_clear(&c);
    assert_int_equal(psy_catalog_get(st, PSY_SYS_CPT, "90837", &c), PSY_OK);
    assert_false(c.addon);
    assert_true(c.has_page);
    psy_code_clear(&c);
    assert_int_equal(psy_catalog_get(st, PSY_SYS_COUNT, "f411", &c), PSY_OK);
    assert_int_equal(c.system, PSY_SYS_ICD10CM);
    assert_string_equal(c.code, "F41.1");
    assert_true(c.billable);
    psy_code_clear(&c);
    assert_int_equal(psy_catalog_get(st, PSY_SYS_ICD10CM, "F43.1", &c), PSY_OK);
    assert_false(c.billable); /* a header: F43.10/F43.11/F43.12 are the billable leaves */
    psy_code_clear(&c);
    assert_int_equal(psy_catalog_get(st, PSY_SYS_COUNT, "90854", &c), PSY_ENOTFOUND);
    assert_non_null(strstr(psy_store_errmsg(st), "90854"));
}

int test_have_shared(const char *rel, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s", PSY_SHARED_DIR, rel);
    if (access(out, R_OK) == 0) return 1;
    printf("SKIP: %s not found (the official files under ../shared/data are absent)\n", out);
    return 0;
}

char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    if (len) *len = (size_t)n;
    return buf;
}

static char *slurp_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return calloc(1, 1);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = 0;
    fclose(f);
    return buf;
}

int test_run_cli(const char *args, const char *in, char **out, char **err)
{
    char *o = test_tmp_path(".out"), *e = test_tmp_path(".err"), *i = NULL;
    if (in) i = test_write_file(in, strlen(in));
    size_t len = strlen(args) + 1024;
    char *cmd = malloc(len);
    snprintf(cmd, len, "%s %s <%s >%s 2>%s", PSY_CLI, args, i ? i : "/dev/null", o, e);
    int st = system(cmd);
    free(cmd);
    *out = slurp_file(o);
    if (err) *err = slurp_file(e);
    unlink(o);
    unlink(e);
    if (i) unlink(i);
    free(o);
    free(e);
    free(i);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void test_cli_file(const char *text, const char *args_fmt, const char *in, int status, const char *want_err)
{
    char *f = test_write_file(text, strlen(text)), *out, *err;
    const char *at = strstr(args_fmt, "%s");
    if (!at) fail_msg("test_cli_file: no %%s in '%s'", args_fmt);
    size_t len = strlen(args_fmt) + strlen(f) + 1;
    char *args = malloc(len);
    snprintf(args, len, "%.*s%s%s", (int)(at - args_fmt), args_fmt, f, at + 2);
    int rc = test_run_cli(args, in, &out, &err);
    if (rc != status) fail_msg("psyclaim %s: exit %d, not %d: %s", args, rc, status, err);
    if (want_err && !strstr(err, want_err)) fail_msg("psyclaim %s: stderr lacks \"%s\": %s", args, want_err, err);
    free(out);
    free(err);
    free(args);
    unlink(f);
    free(f);
}

int test_pyx12(const char *x12, size_t len)
{
    const char *dir = PSY_SHARED_DIR "/../tools/pyx12";
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "test -d '%s/pyx12' && /usr/bin/python3 -c 'import defusedxml' 2>/dev/null", dir);
    if (system(cmd)) {
        fprintf(stderr, "skipped: pyx12 cannot run here (%s and Debian's python3-defusedxml; scripts/bootstrap.sh "
                        "installs the latter)\n", dir);
        return -1;
    }
    char *path = test_write_file(x12, len);
    snprintf(cmd, sizeof cmd, "PYTHONPATH='%s' /usr/bin/python3 -m pyx12.scripts.x12valid '%s' 2>&1", dir, path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = 0;
    int st = pclose(p);
    unlink(path);
    char ok[600];
    snprintf(ok, sizeof ok, "%s: OK", path);
    free(path);
    int valid = st == 0 && strstr(buf, ok) != NULL;
    if (!valid) fprintf(stderr, "pyx12 (status %d):\n%s\n", st, buf);
    return valid;
}

void test_payers_take_late_claims(psy_store *st, psy_id practice)
{
    struct psy_payer *p;
    size_t n;
    assert_int_equal(psy_records_payer_list(st, practice, &p, &n), PSY_OK);
    for (size_t i = 0; i < n; i++) {
        p[i].timely_filing_days = 3650;
        assert_int_equal(psy_records_payer_update(st, practice, &p[i]), PSY_OK);
    }
    free(p);
}
