/* test_crash.c -- kill -9 at any moment loses no committed record and leaves no half record.
 *
 * A child process writes units of work in a loop, each one transaction (a client with two diagnoses
 * and a policy, a session, its note signed, the session signed) and reports each commit on a pipe.
 * The parent kills it with SIGKILL after a random delay, again and again, and after each kill checks
 * the file: PRAGMA integrity_check is "ok", every reported unit is there (at most one more: the kill
 * may land between the commit and the report), and every unit is whole.
 *
 * Then the billing commands are killed the same way: `psyclaim claims build`, `claims export` and
 * `era post`, each at random points, and after every kill the ledger holds: integrity check ok, every
 * claim's total the sum of its lines, no claim both ready and in a batch, none past ready outside a
 * batch, no ISA13, GS06 or ST02 used by two batches, no member or line billed twice. A last run of each
 * completes, and a run after it changes nothing (exactly once).
 *
 * The delays come from a seeded generator: the seed is PSY_CRASH_SEED, else the first argument, else a
 * fixed one, and it is printed, so a failure is replayed with the same seed (where the kills land still
 * depends on the machine's speed, the sequence of delays does not). */
#include "support.h"
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include "era_835.h"

static char *path;
static psy_id practice, clinician, payer;
static uint64_t seed = 20260301, rng;

/* splitmix64: the same seed, the same delays */
static unsigned next_rand(unsigned bound)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (unsigned)((z ^ (z >> 31)) % bound);
}

static psy_id make_practice(psy_store *st)
{
    struct psy_practice p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "Crash Test Practice");
    snprintf(p.npi, sizeof p.npi, "1234567893");
    snprintf(p.tax_id, sizeof p.tax_id, "123456789");
    snprintf(p.time_zone, sizeof p.time_zone, "UTC");
    psy_id id;
    assert_int_equal(psy_records_practice_add(st, &p, &id), PSY_OK);
    struct psy_clinician c;
    memset(&c, 0, sizeof c);
    snprintf(c.first_name, sizeof c.first_name, "Crash");
    snprintf(c.last_name, sizeof c.last_name, "Tester");
    snprintf(c.npi, sizeof c.npi, "1245319599");
    snprintf(c.taxonomy, sizeof c.taxonomy, "1041C0700X");
    snprintf(c.credential, sizeof c.credential, "LCSW");
    assert_int_equal(psy_records_clinician_add(st, id, &c, &clinician), PSY_OK);
    struct psy_payer py;
    memset(&py, 0, sizeof py);
    snprintf(py.name, sizeof py.name, "Crash Payer");
    snprintf(py.payer_code, sizeof py.payer_code, "CRASH1");
    snprintf(py.kind, sizeof py.kind, "commercial");
    assert_int_equal(psy_records_payer_add(st, id, &py, &payer), PSY_OK);
    return id;
}

/* One unit of work in one transaction; returns 0 when committed. */
static int write_unit(psy_store *st, int n)
{
    char text[200];
    snprintf(text, sizeof text, "Unit %d: practised paced breathing; worry rated lower than last week.", n);
    struct psy_client c;
    memset(&c, 0, sizeof c);
    snprintf(c.first_name, sizeof c.first_name, "Unit%d", n);
    snprintf(c.last_name, sizeof c.last_name, "Crash");
    snprintf(c.birth_date, sizeof c.birth_date, "1990-05-05");
    snprintf(c.sex, sizeof c.sex, "U");
    c.n_dx = 2;
    snprintf(c.dx[0], PSY_CODE_MAX, "F41.1");
    snprintf(c.dx[1], PSY_CODE_MAX, "F32.1");
    psy_id cid, sid, nid;
    if (psy_records_batch_begin(st)) return -1;
    int bad = psy_records_client_add(st, practice, &c, &cid) != PSY_OK;
    struct psy_policy p;
    memset(&p, 0, sizeof p);
    p.client_id = cid;
    p.payer_id = payer;
    snprintf(p.member_id, sizeof p.member_id, "C%d", n);
    p.priority = 1;
    snprintf(p.relation, sizeof p.relation, "self");
    snprintf(p.start_date, sizeof p.start_date, "2024-01-01");
    bad = bad || psy_records_policy_add(st, practice, &p, NULL);
    struct psy_session s;
    memset(&s, 0, sizeof s);
    snprintf(s.kind, sizeof s.kind, "individual");
    s.client_id = cid;
    s.clinician_id = clinician;
    snprintf(s.service_date, sizeof s.service_date, "2024-06-03");
    snprintf(s.start_utc, sizeof s.start_utc, "2024-06-03T15:00:00Z");
    snprintf(s.stop_utc, sizeof s.stop_utc, "2024-06-03T15:45:00Z");
    snprintf(s.pos, sizeof s.pos, "11");
    snprintf(s.billed_code, sizeof s.billed_code, "90834");
    bad = bad || psy_records_session_add(st, practice, &s, &sid);
    struct psy_note note;
    memset(&note, 0, sizeof note);
    note.session_id = sid;
    note.client_id = cid;
    snprintf(note.kind, sizeof note.kind, "individual");
    note.author_id = clinician;
    note.techniques = note.response = note.progress = note.plan = text;
    bad = bad || psy_records_note_save(st, practice, &note, &nid);
    bad = bad || psy_records_note_sign(st, practice, nid, clinician);
    bad = bad || psy_records_session_sign(st, practice, sid, clinician);
    if (psy_records_batch_end(st, !bad) || bad) return -1;
    return 0;
}

static void child(int fd, int from)
{
    psy_store *st;
    char err[300];
    if (psy_store_open(path, &st, err, sizeof err)) _exit(3);
    for (int n = from;; n++) {
        if (write_unit(st, n)) _exit(4);
        if (write(fd, &n, sizeof n) != (ssize_t)sizeof n) _exit(5);
    }
}

static long query(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s;
    long v = -1;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static void test_kill_writer(void **state)
{
    (void)state;
    psy_store *st = test_open_store(&path);
    practice = make_practice(st);
    psy_store_close(st);
    rng = seed;
    long acked = 0, kills_mid_write = 0;
    for (int round = 0; round < 15; round++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            child(fds[1], (int)acked);
        }
        close(fds[1]);
        usleep((useconds_t)(20000 + next_rand(150000)));
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL); /* it was still writing */
        int n;
        long got = 0;
        while (read(fds[0], &n, sizeof n) == (ssize_t)sizeof n) got++;
        close(fds[0]);
        acked += got;

        /* the file after the crash, as the next process finds it */
        psy_store *again;
        char err[300];
        assert_int_equal(psy_store_open(path, &again, err, sizeof err), PSY_OK);
        sqlite3 *db;
        assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        sqlite3_stmt *s;
        assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
        sqlite3_finalize(s);
        long units = query(db, "SELECT COUNT(*) FROM client");
        assert_true(units == acked || units == acked + 1);
        kills_mid_write += units - acked;
        acked = units; /* a commit the child could not report still counts */
        assert_int_equal(query(db, "SELECT COUNT(*) FROM session"), units);
        assert_int_equal(query(db, "SELECT COUNT(*) FROM policy"), units);
        assert_int_equal(query(db, "SELECT COUNT(*) FROM client_diagnosis"), 2 * units);
        assert_int_equal(query(db, "SELECT COUNT(*) FROM note WHERE status = 'signed'"), units);
        assert_int_equal(query(db, "SELECT COUNT(*) FROM session WHERE signed_at IS NOT NULL"), units);
        /* the practice, its clinician and payer, then six history entries per unit */
        assert_int_equal(query(db, "SELECT COUNT(*) FROM record_history"), 3 + 6 * units);
        assert_int_equal(query(db, "SELECT COUNT(*) FROM client c WHERE NOT EXISTS (SELECT 1 FROM session s JOIN note n "
                                   "ON n.session_id = s.id WHERE s.client_id = c.id)"),
                         0);
        assert_int_equal(query(db, "SELECT COUNT(*) FROM pragma_foreign_key_check"), 0);
        sqlite3_close(db);
        psy_store_close(again);
    }
    printf("crash test: %ld units committed over 15 kills (%ld commits unreported)\n", acked, kills_mid_write);
    assert_true(acked > 0);
    test_rm_db(path);
    free(path);
}

/* --- billing commands killed ------------------------------------------------------------------- */

static char *bpath;

/* Runs `psyclaim ARGS --db bpath` and SIGKILLs it after delay_us (0: lets it finish). Returns its exit
 * status, or -1 when the kill stopped it. */
static int run_cli_on(const char *db, const char *const *args, unsigned delay_us)
{
    const char *argv[16];
    size_t n = 0;
    argv[n++] = PSY_CLI;
    for (; *args && n < 12; args++) argv[n++] = *args;
    argv[n++] = "--db";
    argv[n++] = db;
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execv(PSY_CLI, (char *const *)argv);
        _exit(127);
    }
    if (delay_us) {
        usleep(delay_us);
        kill(pid, SIGKILL); /* a no-op on one that already finished */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status)) return -1;
    return WEXITSTATUS(status);
}

static int run_cli(const char *const *args, unsigned delay_us) { return run_cli_on(bpath, args, delay_us); }

/* How long ARGS take, run whole on a copy of the database: the kills then land anywhere in a run. */
static unsigned calibrate(const char *const *args)
{
    char copy[600];
    snprintf(copy, sizeof copy, "%s.calibrate", bpath);
    sqlite3 *src, *dst;
    assert_int_equal(sqlite3_open(bpath, &src), SQLITE_OK);
    assert_int_equal(sqlite3_open(copy, &dst), SQLITE_OK);
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    assert_non_null(b);
    assert_int_equal(sqlite3_backup_step(b, -1), SQLITE_DONE);
    sqlite3_backup_finish(b);
    sqlite3_close(src);
    sqlite3_close(dst);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(run_cli_on(copy, args, 0), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    test_rm_db(copy);
    long us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
    return us > 1000 ? (unsigned)us : 1000;
}

static void no_rows(sqlite3 *db, const char *what, const char *sql)
{
    long v = query(db, sql);
    if (v != 0) fail_msg("seed %" PRIu64 ": %s: %ld rows (%s)", seed, what, v, sql);
}

/* What must hold after any kill. */
static void check_ledger(void)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(bpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    if (strcmp((const char *)sqlite3_column_text(s, 0), "ok")) fail_msg("seed %" PRIu64 ": integrity_check", seed);
    sqlite3_finalize(s);
    no_rows(db, "a claim whose total is not the sum of its lines",
            "SELECT count(*) FROM claim c WHERE total_cents <> COALESCE((SELECT sum(charge_cents) FROM claim_line l "
            "WHERE l.claim_id = c.id), 0)");
    no_rows(db, "a claim both ready and in a batch",
            "SELECT count(*) FROM claim WHERE status = 'ready' AND id IN (SELECT claim_id FROM claim_batch_claim)");
    no_rows(db, "a claim past ready outside any batch",
            "SELECT count(*) FROM claim WHERE status NOT IN ('draft', 'ready') AND id NOT IN (SELECT claim_id FROM "
            "claim_batch_claim)");
    no_rows(db, "an ISA13 used twice", "SELECT count(*) FROM (SELECT isa13 FROM claim_batch GROUP BY isa13 HAVING count(*) > 1) x");
    no_rows(db, "a GS06 used twice", "SELECT count(*) FROM (SELECT gs06 FROM claim_batch GROUP BY gs06 HAVING count(*) > 1) x");
    no_rows(db, "an ST02 used twice", "SELECT count(*) FROM (SELECT st02 FROM claim_batch GROUP BY st02 HAVING count(*) > 1) x");
    no_rows(db, "a claim in two batches",
            "SELECT count(*) FROM (SELECT claim_id FROM claim_batch_claim GROUP BY claim_id HAVING count(*) > 1) x");
    no_rows(db, "a batch whose claim count is not its claims",
            "SELECT count(*) FROM claim_batch b WHERE n_claims <> (SELECT count(*) FROM claim_batch_claim k WHERE "
            "k.batch_id = b.id)");
    no_rows(db, "a line billed twice",
            "SELECT count(*) FROM (SELECT session_id, client_id, code FROM claim_line GROUP BY session_id, client_id, "
            "code HAVING count(*) > 1) x");
    no_rows(db, "a remittance payment posted twice",
            "SELECT count(*) FROM (SELECT payer_key, trace_number FROM era_payment GROUP BY payer_key, trace_number "
            "HAVING count(*) > 1) x");
    no_rows(db, "a claim whose paid amount is not its payments",
            "SELECT count(*) FROM claim c WHERE paid_cents <> COALESCE((SELECT sum(paid_cents) FROM payment p WHERE "
            "p.claim_id = c.id AND p.claim_line_id IS NULL), 0)");
    sqlite3_close(db);
}

static long long bq(const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(bpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    long long v = query(db, sql);
    sqlite3_close(db);
    return v;
}

static char *btext(const char *sql, size_t *len)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(bpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    char *out = NULL;
    *len = 0;
    if (sqlite3_step(s) == SQLITE_ROW) {
        *len = (size_t)sqlite3_column_bytes(s, 0);
        out = malloc(*len + 1);
        memcpy(out, sqlite3_column_text(s, 0), *len + 1);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
}

enum { KILLS = 6 };

static void test_kill_billing(void **state)
{
    (void)state;
    rng = seed ^ 0x5bd1e995;
    psy_store *st = test_open_store(&bpath);
    struct psy_demo_opts o = {.seed = 7, .end_date = "2026-03-31", .weeks = 6, .clients = 50, .groups = 2, .clean = 1};
    struct psy_demo_result r;
    assert_int_equal(psy_records_demo(st, &o, &r), PSY_OK);
    free(r.problems);
    assert_int_equal(psy_billing_set_contact(st, r.practice_id, "5555550100"), PSY_OK);
    psy_store_close(st);
    int killed = 0, runs = 0;

    /* claims build */
    static const char *const build[] = {"claims", "build", NULL};
    unsigned span = calibrate(build);
    for (int k = 0; k < KILLS; k++) {
        runs++;
        killed += run_cli(build, 1 + next_rand(span)) < 0;
        check_ledger();
    }
    long long partial = bq("SELECT count(*) FROM claim_session");
    assert_int_equal(run_cli(build, 0), 0);
    check_ledger();
    long long lines = bq("SELECT count(*) FROM claim_line"), members = bq("SELECT count(*) FROM claim_session");
    assert_true(lines > 0);
    assert_int_equal(bq("SELECT count(*) FROM claim WHERE scrubbed_at = ''"), 0);
    assert_int_equal(run_cli(build, 0), 0); /* once more: nothing new */
    assert_int_equal(bq("SELECT count(*) FROM claim_line"), lines);
    assert_int_equal(bq("SELECT count(*) FROM claim_session"), members);
    long long ready = bq("SELECT count(*) FROM claim WHERE status = 'ready'");
    assert_true(ready > 0);

    /* claims export, payer by payer */
    char out[600];
    snprintf(out, sizeof out, "%s.837", bpath);
    size_t plen;
    char *payers = btext("SELECT group_concat(DISTINCT p.payer_code) FROM claim c JOIN payer p ON p.id = c.payer_id "
                         "WHERE c.status = 'ready'", &plen);
    assert_non_null(payers);
    for (char *code = strtok(payers, ","); code; code = strtok(NULL, ",")) {
        const char *exp[] = {"claims", "export", "--payer", code, "--out", out, NULL};
        span = calibrate(exp);
        for (int k = 0; k < KILLS / 2; k++) {
            runs++;
        killed += run_cli(exp, 1 + next_rand(span)) < 0;
            check_ledger();
        }
        int rc = run_cli(exp, 0);
        assert_true(rc == 0);
        check_ledger();
    }
    free(payers);
    unlink(out);
    assert_int_equal(bq("SELECT count(*) FROM claim WHERE status = 'ready'"), 0);
    assert_int_equal(bq("SELECT count(*) FROM claim_batch_claim"), ready);
    long long batches = bq("SELECT count(*) FROM claim_batch");

    /* era post of the first batch, paid in full */
    size_t blen, elen;
    char *batch = btext("SELECT bytes FROM claim_batch ORDER BY id LIMIT 1", &blen);
    assert_non_null(batch);
    char *era = make_835(batch, blen, 0, &elen);
    free(batch);
    char epath[600];
    snprintf(epath, sizeof epath, "%s.835", bpath);
    FILE *f = fopen(epath, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(era, 1, elen, f), elen);
    fclose(f);
    free(era);
    static const char *post[] = {"era", "post", NULL, NULL};
    post[2] = epath;
    span = calibrate(post);
    for (int k = 0; k < KILLS; k++) {
        runs++;
        killed += run_cli(post, 1 + next_rand(span)) < 0;
        check_ledger();
    }
    assert_int_equal(run_cli(post, 0), 0);
    check_ledger();
    long long paid = bq("SELECT sum(paid_cents) FROM claim"), pays = bq("SELECT count(*) FROM payment");
    assert_int_equal(bq("SELECT count(*) FROM era_payment"), 1);
    assert_int_equal(paid, bq("SELECT sum(c.total_cents) FROM claim c JOIN claim_batch_claim k ON k.claim_id = c.id "
                              "WHERE k.batch_id = (SELECT min(id) FROM claim_batch)"));
    assert_int_equal(run_cli(post, 0), 0); /* the same file again: already posted */
    assert_int_equal(bq("SELECT sum(paid_cents) FROM claim"), paid);
    assert_int_equal(bq("SELECT count(*) FROM payment"), pays);
    check_ledger();
    printf("billing crash test: %d of %d runs killed part way; %lld of %lld members billed by killed builds, %lld "
           "batches (seed %" PRIu64 ")\n", killed, runs, partial, members, batches, seed);
    unlink(epath);
    test_rm_db(bpath);
    free(bpath);
}

int main(int argc, char **argv)
{
    const char *env = getenv("PSY_CRASH_SEED");
    const char *given = env && *env ? env : argc > 1 ? argv[1] : NULL;
    if (given) seed = strtoull(given, NULL, 10);
    printf("test_crash: seed %" PRIu64 " (replay with PSY_CRASH_SEED=%" PRIu64 ")\n", seed, seed);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_writer),
        cmocka_unit_test(test_kill_billing),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (rc) fprintf(stderr, "test_crash FAILED with seed %" PRIu64 ": replay with PSY_CRASH_SEED=%" PRIu64 "\n", seed, seed);
    return rc;
}
