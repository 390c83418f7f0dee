/*
 * bench_backends.c -- the same practice work on SQLite and on PostgreSQL, side by side in one run:
 * a practice of about 100,000 sessions (the demo generator, psy_records_demo, scaled by its number
 * of clients and groups, generated on each with the same seed and so the same ids), building claims
 * for every signed session (psy_billing_build, what `psyclaim claims build` runs: set-based), and
 * auditing every session (psy_audit_run). The same practice is also billed on a copy of the SQLite file
 * by the member-by-member build (psy__billing_build_rowwise) unless --no-rowwise: the digest of the
 * claims, lines, findings, billed codes and status history must be the same on all three. It prints
 * the time of each step on each backend, claims per second, the peak resident memory of the build and
 * the ratio PostgreSQL / SQLite, and writes the section "backends" of docs/benchmarks.md.
 *
 * PostgreSQL: $PSY_TEST_PG_URI, else a throwaway server from scripts/pg-test-server.sh; each run
 * works in a fresh schema. When no server can be started, the PostgreSQL column says "skipped" with
 * the reason and the SQLite side runs alone.
 *
 * --practice FILE starts from a practice already generated (a SQLite file, e.g. `psyclaim demo-data` with
 * the same settings, not billed yet): it is copied, never written, and copied into PostgreSQL with COPY;
 * the demo data row then says "not run".
 *
 * usage: bench_backends [--sessions N] [--practice FILE] [--no-rowwise] [--out docs/benchmarks.md]
 */
#include <psyclaim/psyclaim.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench_util.h"
#include "pg_copy.h"
#include "pg_scratch.h"

/* The demo practice over 52 weeks gives about this many sessions per client (groups included, one
 * group per 25 clients): 98963 sessions from 2500 clients and 100 groups with seed 11. */
#define SESSIONS_PER_CLIENT 39.6
#define SEED 11
#define END_DATE "2025-06-29"
#define AUDIT_RUNS 3

struct side {
    const char *name;
    char skipped[1024]; /* why this backend did not run ("" when it did) */
    long sessions, signed_sessions, members, claims, lines, findings, audited, peak_kb, digest_rows;
    long scrubbed, scrub_ready;
    psy_id practice;
    double gen_s, build_s, build_cpu, audit_s, scrub_s;
    char digest[17], scrub_digest[17];
};

psy_status psy__billing_build_rowwise(psy_store *st, const psy_coder *cx, psy_id practice, const char *from,
                                      const char *to, struct psy_billing_build_result *r);

static int fail(psy_store *st, const char *what)
{
    fprintf(stderr, "bench_backends: %s: %s\n", what, st ? psy_store_errmsg(st) : "");
    return -1;
}

/* Opens the store at uri and puts the practice into it: generated through the records API, or, when
 * source is given, copied from it row by row (the same rows and ids). Times the step. */
static psy_store *fill(const char *uri, psy_store *source, const struct side *from, int clients, int groups,
                       struct side *r)
{
    psy_store *st = NULL;
    char err[600];
    if (psy_store_open(uri, &st, err, sizeof err)) {
        fprintf(stderr, "bench_backends: %s: open: %s\n", r->name, err);
        return NULL;
    }
    if (psy_catalog_seed(st)) goto failed;
    double t0 = bench_now();
    if (source) {
        fprintf(stderr, "  %s: copying the practice's records from %s\n", r->name, from->name);
        if (pg_copy_records(source, st, err, sizeof err)) {
            fprintf(stderr, "bench_backends: %s: copy: %s\n", r->name, err);
            psy_store_close(st);
            return NULL;
        }
        r->sessions = from->sessions;
        r->practice = from->practice;
    } else {
        struct psy_demo_opts o = {SEED, END_DATE, 52, clients, groups, 0};
        struct psy_demo_result dr;
        fprintf(stderr, "  %s: generating %d clients over 52 weeks\n", r->name, clients);
        if (psy_records_demo(st, &o, &dr)) goto failed;
        r->sessions = dr.sessions;
        r->practice = dr.practice_id;
        free(dr.problems);
    }
    r->gen_s = bench_now() - t0;
    fprintf(stderr, "  %s: %ld sessions in %.1f s\n", r->name, r->sessions, r->gen_s);
    if (psy_billing_set_contact(st, r->practice, "5555550100")) goto failed;
    return st;
failed:
    fail(st, r->name);
    psy_store_close(st);
    return NULL;
}

/* Builds the practice's claims (set-based, or member by member when rowwise) and audits it (unless
 * rowwise), timing each step; closes the store. */
static int copy_file(const char *from, const char *to);

/* Opens a copy (at db) of the practice file given with --practice; the practice is its first one. */
static psy_store *from_file(const char *file, const char *db, struct side *r)
{
    psy_store *st = NULL;
    char err[600];
    psy_id *ids = NULL;
    size_t n = 0;
    if (copy_file(file, db) || psy_store_open(db, &st, err, sizeof err)) {
        fprintf(stderr, "bench_backends: %s: cannot copy and open it\n", file);
        psy_store_close(st);
        return NULL;
    }
    if (psy_records_practice_list(st, &ids, &n) || !n) {
        fprintf(stderr, "bench_backends: %s: no practice\n", file);
        free(ids);
        psy_store_close(st);
        return NULL;
    }
    r->practice = ids[0];
    free(ids);
    struct psy_session *ss = NULL;
    size_t ns = 0;
    if (psy_records_session_list(st, r->practice, NULL, NULL, &ss, &ns)) {
        fail(st, "sessions");
        psy_store_close(st);
        return NULL;
    }
    free(ss);
    r->sessions = (long)ns;
    if (psy_billing_set_contact(st, r->practice, "5555550100")) {
        fail(st, r->name);
        psy_store_close(st);
        return NULL;
    }
    fprintf(stderr, "  %s: %ld sessions from %s\n", r->name, r->sessions, file);
    return st;
}

static int work(psy_store *st, struct side *r, int rowwise)
{
    psy_coder *cx = NULL;
    char err[600];
    int ok = 0;
    if (psy_coding_open(st, &cx, err, sizeof err)) {
        fprintf(stderr, "bench_backends: %s: coder: %s\n", r->name, err);
        goto out;
    }
    struct psy_billing_build_result br;
    fprintf(stderr, "  %s: building claims\n", r->name);
    bench_peak_reset();
    double t0 = bench_now(), c0 = bench_cpu();
    psy_status rc = (rowwise ? psy__billing_build_rowwise : psy_billing_build)(st, cx, r->practice, NULL, NULL, &br);
    r->build_s = bench_now() - t0;
    r->build_cpu = bench_cpu() - c0;
    r->peak_kb = bench_peak_kb();
    psy_coding_close(cx);
    if (rc) {
        fail(st, "claims build");
        goto out;
    }
    r->signed_sessions = br.sessions;
    r->members = br.members;
    r->claims = br.claims_new;
    r->lines = br.lines;
    if (pg_claims_digest(st, r->digest, &r->digest_rows, err, sizeof err)) {
        fprintf(stderr, "bench_backends: %s: %s\n", r->name, err);
        goto out;
    }
    fprintf(stderr, "  %s: %ld claims in %.2f s (%.2f s CPU), peak %ld KiB, digest %s\n", r->name, r->claims,
            r->build_s, r->build_cpu, r->peak_kb, r->digest);
    if (rowwise) {
        ok = 1;
        goto out;
    }
    struct psy_audit_opts ao = {NULL, NULL, END_DATE, 0};
    r->audit_s = 1e9;
    for (int i = 0; i < AUDIT_RUNS; i++) {
        struct psy_audit_stats s;
        t0 = bench_now();
        if (psy_audit_run(st, r->practice, &ao, NULL, NULL, &s)) {
            fail(st, "audit");
            goto out;
        }
        double t = bench_now() - t0;
        if (t < r->audit_s) r->audit_s = t;
        r->findings = s.findings;
        r->audited = s.sessions;
    }
    /* every open claim scrubbed again (`psyclaim claims scrub`): the same verdicts, a new scrub time */
    fprintf(stderr, "  %s: scrubbing every draft and ready claim again\n", r->name);
    long ready = 0, draft = 0, rows = 0;
    t0 = bench_now();
    if (psy_billing_scrub_all(st, r->practice, &ready, &draft)) {
        fail(st, "claims scrub");
        goto out;
    }
    r->scrub_s = bench_now() - t0;
    r->scrubbed = ready + draft;
    r->scrub_ready = ready;
    if (pg_claims_digest(st, r->scrub_digest, &rows, err, sizeof err)) {
        fprintf(stderr, "bench_backends: %s: %s\n", r->name, err);
        goto out;
    }
    fprintf(stderr, "  %s: %ld claims scrubbed in %.2f s, digest %s\n", r->name, r->scrubbed, r->scrub_s,
            r->scrub_digest);
    ok = 1;
out:
    psy_store_close(st);
    return ok ? 0 : -1;
}

static int copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = a ? fopen(to, "wb") : NULL;
    char buf[1 << 16];
    size_t n;
    int bad = !a || !b;
    while (!bad && (n = fread(buf, 1, sizeof buf, a)) > 0) bad = fwrite(buf, 1, n, b) != n;
    if (a) fclose(a);
    if (b && fclose(b)) bad = 1;
    return bad ? -1 : 0;
}

static void thousands(long n, char *out, size_t len)
{
    char d[32];
    int k = snprintf(d, sizeof d, "%ld", n), j = 0;
    for (int i = 0; i < k && (size_t)j + 2 < len; i++) {
        if (i && (k - i) % 3 == 0 && d[i - 1] != '-') out[j++] = ',';
        out[j++] = d[i];
    }
    out[j] = 0;
}

static void cell(char *out, size_t len, const struct side *s, double v)
{
    if (*s->skipped) snprintf(out, len, "skipped");
    else snprintf(out, len, "%.2f s", v);
}

static void ratio(char *out, size_t len, const struct side *pg, double p, double l)
{
    if (*pg->skipped || l <= 0) snprintf(out, len, "-");
    else snprintf(out, len, "%.2f×", p / l);
}

int main(int argc, char **argv)
{
    const char *out = "docs/benchmarks.md", *practice_file = NULL;
    long want = 100000;
    int rowwise = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--sessions") && i + 1 < argc) want = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--practice") && i + 1 < argc) practice_file = argv[++i];
        else if (!strcmp(argv[i], "--no-rowwise")) rowwise = 0;
        else {
            fprintf(stderr, "usage: bench_backends [--sessions N] [--practice FILE] [--no-rowwise] [--out "
                            "docs/benchmarks.md]\n");
            return 2;
        }
    }
    if (want < 1000 || want > 10000000) {
        fprintf(stderr, "bench_backends: --sessions: 1000 to 10000000\n");
        return 2;
    }
    /* one group per 25 clients; the planted problems need 3 groups and 11 clients outside them */
    int clients = (int)((double)want / SESSIONS_PER_CLIENT + 0.5), groups = clients / 25 > 3 ? clients / 25 : 3;
    if (clients < groups * 10 + 11) clients = groups * 10 + 11;
    struct side lite = {.name = "sqlite"}, pg = {.name = "postgres"}, row = {.name = "sqlite, member by member"};

    char db[96], db2[112];
    snprintf(db, sizeof db, "/tmp/psyclaim-bench-backends-%d.db", (int)getpid());
    snprintf(db2, sizeof db2, "%s.rowwise.db", db);
    bench_remove_db(db);
    bench_remove_db(db2);
    psy_store *lite_st =
        practice_file ? from_file(practice_file, db, &lite) : fill(db, NULL, NULL, clients, groups, &lite);
    if (!lite_st) {
        bench_remove_db(db);
        return 1;
    }
    /* the member-by-member build gets a copy of the very file, taken before anything is billed */
    psy_store *row_st = NULL;
    if (rowwise) {
        char err[600];
        psy_store_close(lite_st);
        lite_st = NULL;
        if (copy_file(db, db2) || psy_store_open(db, &lite_st, err, sizeof err) ||
            psy_store_open(db2, &row_st, err, sizeof err)) {
            fprintf(stderr, "bench_backends: copying %s: %s\n", db, lite_st ? err : "");
            psy_store_close(lite_st);
            bench_remove_db(db);
            bench_remove_db(db2);
            return 1;
        }
        row = lite;
        row.name = "sqlite, member by member";
    }
    /* PostgreSQL generates the same practice (same seed and ids; psy_records_demo on a store without
     * records generates on a scratch SQLite file and copies it over with COPY) */
    const char *server = bench_pg_server();
    char *schema = NULL, *uri = NULL;
    psy_store *pg_st = NULL;
    if (!server) snprintf(pg.skipped, sizeof pg.skipped, "no PostgreSQL server (set PSY_TEST_PG_URI)");
    if (*pg.skipped) {
        fprintf(stderr, "postgres: skipped: %s\n", pg.skipped);
    } else {
        char why[600];
        if (!(uri = pg_scratch_create(server, &schema, why, sizeof why))) {
            fprintf(stderr, "bench_backends: %s\n", why);
            psy_store_close(lite_st);
            bench_remove_db(db);
            return 1;
        }
        /* the same seed: the same practice, ids included; or the very rows of the practice file */
        pg_st = practice_file ? fill(uri, lite_st, &lite, clients, groups, &pg)
                              : fill(uri, NULL, NULL, clients, groups, &pg);
        /* the planner's statistics, as autovacuum keeps them for a database that has grown: without
         * them a freshly copied practice is read with plans made for empty tables */
        if (pg_st && !pg_scratch_exec(uri, "ANALYZE", why, sizeof why))
            fprintf(stderr, "bench_backends: ANALYZE: %s\n", why);
    }
    int rc = -1;
    if (*pg.skipped || pg_st) rc = work(lite_st, &lite, 0);
    else psy_store_close(lite_st); /* the copy into PostgreSQL failed (fill said why) */
    bench_remove_db(db);
    if (pg_st && !rc) rc = work(pg_st, &pg, 0);
    else if (pg_st) psy_store_close(pg_st);
    if (row_st && !rc) rc = work(row_st, &row, 1);
    else if (row_st) psy_store_close(row_st);
    bench_remove_db(db2);
    if (uri) pg_scratch_drop(server, schema);
    free(uri);
    free(schema);
    if (rc) return 1;
    if (rowwise && (strcmp(row.digest, lite.digest) || row.claims != lite.claims || row.lines != lite.lines)) {
        fprintf(stderr, "bench_backends: the set-based build and the member-by-member build disagree: digest %s/%s, "
                        "claims %ld/%ld, lines %ld/%ld\n",
                lite.digest, row.digest, lite.claims, row.claims, lite.lines, row.lines);
        return 1;
    }
    if (!*pg.skipped && (pg.sessions != lite.sessions || pg.claims != lite.claims || pg.lines != lite.lines ||
                         pg.findings != lite.findings || strcmp(pg.digest, lite.digest) ||
                         pg.scrubbed != lite.scrubbed || strcmp(pg.scrub_digest, lite.scrub_digest))) {
        fprintf(stderr, "bench_backends: the backends disagree: sessions %ld/%ld, claims %ld/%ld, lines %ld/%ld, "
                        "findings %ld/%ld (SQLite/PostgreSQL)\n",
                lite.sessions, pg.sessions, lite.claims, pg.claims, lite.lines, pg.lines, lite.findings, pg.findings);
        return 1;
    }

    char c[4][3][32];
    const double lv[4] = {lite.gen_s, lite.build_s, lite.audit_s, lite.scrub_s};
    const double pv[4] = {pg.gen_s, pg.build_s, pg.audit_s, pg.scrub_s};
    for (int i = 0; i < 4; i++) {
        cell(c[i][0], sizeof c[i][0], &lite, lv[i]);
        cell(c[i][1], sizeof c[i][1], &pg, pv[i]);
        ratio(c[i][2], sizeof c[i][2], &pg, pv[i], lv[i]);
    }
    if (practice_file)
        for (int j = 0; j < 3; j++) snprintf(c[0][j], sizeof c[0][j], "not run");
    /* claims per second, CPU, peak memory of the build on each */
    char k[4][3][96];
    const struct side *sd[2] = {&lite, &pg};
    for (int j = 0; j < 2; j++) {
        if (*sd[j]->skipped) {
            for (int i = 0; i < 4; i++) snprintf(k[i][j], sizeof k[i][j], "skipped");
            continue;
        }
        char n[32];
        thousands((long)(sd[j]->claims / (sd[j]->build_s > 0 ? sd[j]->build_s : 1e-9)), n, sizeof n);
        snprintf(k[0][j], sizeof k[0][j], "%.24s", n);
        thousands((long)(sd[j]->claims / (sd[j]->build_cpu > 0 ? sd[j]->build_cpu : 1e-9)), n, sizeof n);
        snprintf(k[1][j], sizeof k[1][j], "%.2f s (%.24s claims/s)", sd[j]->build_cpu, n);
        snprintf(k[2][j], sizeof k[2][j], "%.1f MiB", sd[j]->peak_kb / 1024.0);
        snprintf(k[3][j], sizeof k[3][j], "`%s`", sd[j]->digest);
    }
    ratio(k[0][2], sizeof k[0][2], &pg, lite.build_s, pg.build_s);
    ratio(k[1][2], sizeof k[1][2], &pg, pg.build_cpu, lite.build_cpu);
    ratio(k[2][2], sizeof k[2][2], &pg, (double)pg.peak_kb, (double)lite.peak_kb);
    snprintf(k[3][2], sizeof k[3][2], "%s", *pg.skipped ? "-" : "equal");
    char rowline[600] = "";
    if (rowwise) {
        char n[32];
        thousands((long)(row.claims / (row.build_s > 0 ? row.build_s : 1e-9)), n, sizeof n);
        snprintf(rowline, sizeof rowline,
                 "The build member by member (`psy__billing_build_rowwise`, the statements of the former build, "
                 "one or more per look-up and write) on a copy of the same SQLite file before billing: %.2f s "
                 "(%s claims/s, %.2f s CPU, peak %.1f MiB), digest `%s`, the same as the set-based build's: "
                 "the set-based build is %.1f× faster on SQLite.\n\n",
                 row.build_s, n, row.build_cpu, row.peak_kb / 1024.0, row.digest,
                 lite.build_s > 0 ? row.build_s / lite.build_s : 0);
    }
    char note[1100] = "";
    if (*pg.skipped) snprintf(note, sizeof note, "PostgreSQL was skipped in this run: %s.\n\n", pg.skipped);
    else if (practice_file)
        snprintf(note, sizeof note, "The practice was not generated in this run but read from a file made by the "
                 "same generator (`--practice`), copied for SQLite and copied into PostgreSQL with COPY (%.1f s).\n\n",
                 pg.gen_s);
    char title[32], body[12288];
    thousands(want, title, sizeof title);
    snprintf(body, sizeof body,
             "## Backends: %s sessions\n\n"
             "`build-release/bench/bench_backends --sessions %ld%s%s` (release build): the demo practice "
             "(`psy_records_demo`, seed %d, 52 weeks to %s, %d clients and %d groups, its planted problems "
             "included) %s; then on each `psy_billing_build` (what "
             "`psyclaim claims build` runs: one query per table for each stretch of dates, the scrubber on "
             "what the build holds, multi-row writes) over all signed sessions, then `psy_audit_run` over all "
             "sessions (best of %d). SQLite: a file in WAL mode. PostgreSQL: the Debian server on 127.0.0.1 "
             "started by `scripts/pg-test-server.sh` (default settings), one connection, a fresh schema, ANALYZE "
             "after the practice is written. "
             "Elapsed time on a shared machine (other builds and tests ran beside it: the CPU time of this "
             "process is given too); peak memory is this process's resident peak during the build (VmHWM), "
             "the PostgreSQL server's own not included. The digest covers every claim (number, parties, "
             "status, version, total, findings) with its lines, the billed codes and the status history.\n\n"
             "| step | work | SQLite | PostgreSQL | PostgreSQL / SQLite |\n"
             "|---|---|---:|---:|---:|\n"
             "| demo data (`psy_records_demo`, what `psyclaim demo-data` runs) | %ld sessions | %s | %s | %s |\n"
             "| claims build | %ld signed sessions, %ld members, %ld claims, %ld lines | %s | %s | %s |\n"
             "| claims build: claims per second (elapsed) | | %s | %s | %s of SQLite's |\n"
             "| claims build: CPU time | | %s | %s | %s |\n"
             "| claims build: peak resident memory | | %s | %s | %s |\n"
             "| claims build: digest of the result | | %s | %s | %s |\n"
             "| audit | %ld sessions, %ld findings | %s | %s | %s |\n"
             "| claims scrub (`psy_billing_scrub_all`, what `psyclaim claims scrub` runs: every draft and ready "
             "claim again, after the audit) | %ld claims, %ld ready; digest `%s` | %s | %s | %s |\n\n%s%s",
             title, want, practice_file ? " --practice " : "", practice_file ? practice_file : "", SEED, END_DATE,
             clients, groups,
             practice_file ? "read from the practice file (made by `psyclaim demo-data` with those settings, not "
                             "billed): a copy of it on SQLite, its rows copied into PostgreSQL with COPY (the same ids)"
                           : "generated on each through the records API (on PostgreSQL on a scratch SQLite file, then "
                             "copied with COPY in one transaction; the same ids)",
             AUDIT_RUNS, lite.sessions, c[0][0], c[0][1], c[0][2],
             lite.signed_sessions, lite.members, lite.claims, lite.lines, c[1][0], c[1][1], c[1][2], k[0][0], k[0][1],
             k[0][2], k[1][0], k[1][1], k[1][2], k[2][0], k[2][1], k[2][2], k[3][0], k[3][1], k[3][2], lite.audited,
             lite.findings, c[2][0], c[2][1], c[2][2], lite.scrubbed, lite.scrub_ready, lite.scrub_digest, c[3][0],
             c[3][1], c[3][2], rowline, note);
    fputs(body, stdout);
    if (bench_write_section(out, "backends", body)) {
        fprintf(stderr, "bench_backends: cannot write %s\n", out);
        return 1;
    }
    return 0;
}
