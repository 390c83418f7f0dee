/* backends.c -- one module's tests on SQLite and on PostgreSQL (see backends.h). */
#include "backends.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pg_scratch.h"
#include "psy_db.h"

void test_db_make(const struct test_backend *b, struct test_db *d)
{
    memset(d, 0, sizeof *d);
    d->b = b;
    if (b->pg) {
        char why[600];
        d->uri = pg_scratch_create(b->server, &d->schema, why, sizeof why);
        if (!d->uri) fail_msg("%s", why);
    } else {
        d->path = test_tmp_path(".db");
        d->uri = strdup(d->path);
    }
}

void test_db_drop(struct test_db *d)
{
    if (d->b && d->b->pg) pg_scratch_drop(d->b->server, d->schema);
    else if (d->path) test_rm_db(d->path);
    char ix[700];
    if (d->uri && psy_search_index_path(d->uri, ix, sizeof ix - 16)) { /* psy_search_open's file */
        unlink(ix);
        strcat(ix, ".verified");
        unlink(ix);
    }
    free(d->uri);
    free(d->path);
    free(d->schema);
    memset(d, 0, sizeof *d);
}

psy_store *test_db_open(const struct test_db *d, int seed)
{
    psy_store *st = NULL;
    char err[600];
    if (psy_store_open(d->uri, &st, err, sizeof err)) fail_msg("open (%s): %s", d->b->name, err);
    if (seed && psy_catalog_seed(st)) fail_msg("seed (%s): %s", d->b->name, psy_store_errmsg(st));
    return st;
}

/* Runs sql on a new connection and returns the first row's first column as a number, or as text in *text
 * when text is not NULL. */
static long long first_cell(const struct test_db *d, const char *sql, char **text)
{
    psy_store *st = test_db_open(d, 0);
    psy__stmt *s = psy__sql_prepare(st, sql);
    if (!s) fail_msg("%s: %s", sql, psy__db_errtext(st));
    if (psy__sql_step(s) != PSY_SQL_ROW) fail_msg("%s: no row (%s)", sql, psy__db_errtext(st));
    long long n = psy__sql_int64(s, 0);
    if (text) *text = strdup(psy__sql_text(s, 0) ? psy__sql_text(s, 0) : "");
    psy__sql_finalize(s);
    psy_store_close(st);
    return n;
}

long long test_db_count(const struct test_db *d, const char *sql) { return first_cell(d, sql, NULL); }

char *test_db_text(const struct test_db *d, const char *sql)
{
    char *out;
    first_cell(d, sql, &out);
    return out;
}

psy_status test_db_exec(const struct test_db *d, const char *sql, char *msg, size_t msglen)
{
    psy_store *st = test_db_open(d, 0);
    psy_status rc = psy__sql_exec(st, sql);
    snprintf(msg, msglen, "%s", rc ? psy_store_errmsg(st) : "");
    psy_store_close(st);
    return rc;
}

static int run_group(const char *name, const struct test_backend *b, const struct CMUnitTest *tests, size_t n,
                     CMFixtureFunction setup, CMFixtureFunction teardown)
{
    struct CMUnitTest *on = calloc(n, sizeof *on);
    for (size_t i = 0; i < n; i++) {
        on[i] = tests[i];
        on[i].initial_state = (void *)b;
    }
    char group[128];
    snprintf(group, sizeof group, "%s/%s", name, b->name);
    int failed = _cmocka_run_group_tests(group, on, n, setup, teardown);
    free(on);
    return failed;
}

int test_run_on_backends(const char *name, const struct CMUnitTest *tests, size_t n, CMFixtureFunction group_setup,
                         CMFixtureFunction group_teardown)
{
    static struct test_backend sqlite = {"sqlite", 0, NULL}, postgres = {"postgres", 1, NULL};
    int failed = run_group(name, &sqlite, tests, n, group_setup, group_teardown);
    char why[600];
    postgres.server = pg_scratch_server(why, sizeof why);
    if (!postgres.server) {
        fprintf(stderr, "%s: FAILED: %s\n", name, why);
        return failed + 1;
    }
    return failed + run_group(name, &postgres, tests, n, group_setup, group_teardown);
}
