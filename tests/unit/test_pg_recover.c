/* test_pg_recover.c -- a PostgreSQL server that goes away and comes back (scripts/pg-test-server.sh
 * down/up on a scratch server of this test's own, so no other test sees it stop): an open store says
 * "database unavailable" while it is down, quickly, and its next call after the restart succeeds; a
 * transaction cut by the restart is never half-kept nor replayed; `psyclaim serve` answers /api/health
 * throughout, /api/ready 503 while the database is down and 200 again afterwards, without a restart. */
#include "support.h"
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "psy_db.h"

static char state_dir[512], uri[512];

static void pg(const char *action)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "%s/scripts/pg-test-server.sh %s '%s' >/dev/null", PSY_SOURCE_DIR, action, state_dir);
    if (system(cmd) != 0) fail_msg("pg-test-server.sh %s failed", action);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* A store that failed to reopen waits a second before trying again: the tests let that pass. */
static void settle(void) { nanosleep(&(struct timespec){1, 200000000L}, NULL); }

static int setup(void **state)
{
    (void)state;
    snprintf(state_dir, sizeof state_dir, "%s/psyclaim-pg-recover-%ld", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (long)getpid());
    pg("start");
    char path[600];
    snprintf(path, sizeof path, "%s/uri", state_dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(uri, sizeof uri, f));
    fclose(f);
    uri[strcspn(uri, "\n")] = 0;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pg("stop");
    curl_global_cleanup();
    return 0;
}

static void test_store_reconnects(void **state)
{
    (void)state;
    psy_store *st;
    char err[600];
    if (psy_store_open(uri, &st, err, sizeof err)) fail_msg("open: %s", err);
    assert_int_equal(psy__sql_exec(st, "CREATE TABLE IF NOT EXISTS kept (n INTEGER)"), PSY_OK);
    assert_int_equal(psy_store_ping(st), PSY_OK);

    pg("down");
    double t0 = now_s();
    assert_int_equal(psy_store_ping(st), PSY_EDB);
    double waited = now_s() - t0;
    if (!psy_store_unavailable(st)) fail_msg("not unavailable: %s", psy_store_errmsg(st));
    if (!strstr(psy_store_errmsg(st), "database unavailable")) fail_msg("message: %s", psy_store_errmsg(st));
    assert_true(waited < 5.0); /* bounded: a few tries with pauses, not a hang */
    t0 = now_s();
    assert_int_equal(psy_store_ping(st), PSY_EDB); /* just failed: fails at once */
    assert_true(now_s() - t0 < 0.5);
    pg("up");
    settle();
    assert_int_equal(psy_store_ping(st), PSY_OK); /* the next call after the restart */

    /* a transaction the restart cuts: nothing of it is kept, nothing replayed, the store goes on */
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(psy__sql_exec(st, "INSERT INTO kept VALUES (1)"), PSY_OK);
    pg("down");
    pg("up");
    settle();
    assert_int_equal(psy__sql_exec(st, "INSERT INTO kept VALUES (2)"), PSY_EDB);
    psy__store_rollback(st);
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(psy__sql_exec(st, "INSERT INTO kept VALUES (3)"), PSY_OK);
    assert_int_equal(psy__store_commit(st), PSY_OK);
    psy__stmt *s = psy__sql_prepare(st, "SELECT count(*), COALESCE(sum(n), 0) FROM kept");
    assert_non_null(s);
    assert_int_equal(psy__sql_step(s), PSY_SQL_ROW);
    assert_int_equal(psy__sql_int64(s, 0), 1);
    assert_int_equal(psy__sql_int64(s, 1), 3);
    psy__sql_finalize(s);
    psy_store_close(st);
}

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static long get(const char *base, const char *path)
{
    char url[300];
    snprintf(url, sizeof url, "%s%s", base, path);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    long status = 0;
    if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    return status;
}

static void test_server_recovers(void **state)
{
    (void)state;
    int out[2];
    assert_int_equal(pipe(out), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execl(PSY_CLI, PSY_CLI, "serve", "--db", uri, "--listen", "127.0.0.1:0", "--threads", "2", "--quiet", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    FILE *f = fdopen(out[0], "r");
    char line[1200] = "", base[64];
    if (!fgets(line, sizeof line, f)) fail_msg("psyclaim serve stopped before it served");
    fclose(f);
    unsigned port = 0;
    const char *at = strstr(line, "http://");
    if (!at || sscanf(at, "http://127.0.0.1:%u/", &port) != 1) fail_msg("serve said: %s", line);
    snprintf(base, sizeof base, "http://127.0.0.1:%u", port);

    for (int i = 0; i < 4; i++) assert_int_equal(get(base, "/api/ready"), 200); /* every pooled handle used */
    pg("down");
    assert_int_equal(get(base, "/api/health"), 200); /* alive: liveness does not read the database */
    double t0 = now_s();
    assert_int_equal(get(base, "/api/ready"), 503);
    assert_true(now_s() - t0 < 5.0);
    assert_int_equal(get(base, "/api/ready"), 503);
    pg("up");
    settle();
    for (int i = 0; i < 4; i++) assert_int_equal(get(base, "/api/ready"), 200); /* no restart of psyclaim */
    assert_int_equal(get(base, "/api/health"), 200);
    kill(pid, SIGTERM);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_store_reconnects), cmocka_unit_test(test_server_recovers)};
    return cmocka_run_group_tests_name("pg_recover", tests, setup, teardown);
}
