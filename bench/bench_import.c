/*
 * bench_import.c -- how long importing the official code files takes: the FY2022 ICD-10-CM order file
 * (95,524 rows) and the October 2025 HCPCS file, into a fresh store and again into a store that has
 * them (every row unchanged), on SQLite and on PostgreSQL side by side, with just reading the same bytes.
 *
 * usage: bench_import [--out docs/benchmarks.md]
 * PostgreSQL: $PSY_TEST_PG_URI, else a throwaway server from scripts/pg-test-server.sh.
 */
#include <psyclaim/psyclaim.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench_util.h"
#include "pg_scratch.h"

static double read_only(const char *path)
{
    double t0 = bench_now();
    FILE *f = fopen(path, "rb");
    char buf[1 << 16];
    size_t total = 0, n;
    while (f && (n = fread(buf, 1, sizeof buf, f)) > 0) total += n;
    if (f) fclose(f);
    (void)total;
    return bench_now() - t0;
}

static int import(psy_store *st, psy_import_kind kind, const char *path, double *secs, long *rows)
{
    struct psy_import_stats s;
    char err[600];
    double t0 = bench_now();
    if (psy_catalog_import(st, kind, path, NULL, &s, err, sizeof err)) {
        fprintf(stderr, "bench_import: %s\n", err);
        return -1;
    }
    *secs = bench_now() - t0;
    *rows = s.added + s.updated + s.unchanged;
    return 0;
}

/* Seconds for: ICD-10-CM first and again, HCPCS first and again. */
struct run {
    double t[4];
    long r_icd, r_h;
};

static int measure(const char *uri, const char *icd, const char *hcpcs, struct run *r)
{
    psy_store *st;
    char err[600];
    if (psy_store_open(uri, &st, err, sizeof err)) {
        fprintf(stderr, "bench_import: %s\n", err);
        return -1;
    }
    int rc = psy_catalog_seed(st) || import(st, PSY_IMPORT_ICD10CM, icd, &r->t[0], &r->r_icd) ||
             import(st, PSY_IMPORT_ICD10CM, icd, &r->t[1], &r->r_icd) ||
             import(st, PSY_IMPORT_HCPCS, hcpcs, &r->t[2], &r->r_h) ||
             import(st, PSY_IMPORT_HCPCS, hcpcs, &r->t[3], &r->r_h);
    psy_store_close(st);
    return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
    const char *out = "docs/benchmarks.md";
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
    const char *shared = bench_shared_dir();
    if (!shared) {
        fprintf(stderr, "bench_import: ../shared/data not found; nothing to measure\n");
        return 0;
    }
    char icd[512], hcpcs[512], db[64], wal[80];
    snprintf(icd, sizeof icd, "%s/icd10cm/icd10cm_order_2022_fixedwidth.txt", shared);
    snprintf(hcpcs, sizeof hcpcs, "%s/hcpcs/HCPC2025_OCT_ANWEB.tsv", shared);
    snprintf(db, sizeof db, "/tmp/psyclaim-bench-import-%d.db", (int)getpid());
    struct run lite, pg;
    int rc = measure(db, icd, hcpcs, &lite);
    unlink(db);
    snprintf(wal, sizeof wal, "%s-wal", db);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", db);
    unlink(wal);
    if (rc) return 1;

    const char *server = bench_pg_server();
    char why[600], *schema = NULL, *uri = server ? pg_scratch_create(server, &schema, why, sizeof why) : NULL;
    if (server && !uri) fprintf(stderr, "bench_import: %s\n", why);
    if (!uri) return 1;
    rc = measure(uri, icd, hcpcs, &pg);
    pg_scratch_drop(server, schema);
    free(uri);
    free(schema);
    if (rc) return 1;

    double r1 = read_only(icd), r2 = read_only(hcpcs);
    char body[3072];
    snprintf(body, sizeof body,
             "## Importing official code files\n\n"
             "`build-release/bench/bench_import` (release build; one transaction per file). SQLite: a file in WAL "
             "mode, synchronous=NORMAL. PostgreSQL: the Debian server on 127.0.0.1 started by "
             "`scripts/pg-test-server.sh` (default settings, fsync on), one connection; rows go out as "
             "multi-row upserts of up to 256 rows.\n\n"
             "| file | rows | SQLite first | SQLite again | PostgreSQL first | PostgreSQL again | "
             "PostgreSQL / SQLite (first) | reading the bytes only |\n"
             "|---|---:|---:|---:|---:|---:|---:|---:|\n"
             "| ICD-10-CM FY2022 order file | %ld | %.2f s (%.0f rows/s) | %.2f s | %.2f s (%.0f rows/s) | %.2f s | "
             "%.1f× | %.3f s |\n"
             "| HCPCS Level II Oct 2025 (TSV) | %ld | %.2f s (%.0f rows/s) | %.2f s | %.2f s (%.0f rows/s) | %.2f s | "
             "%.1f× | %.3f s |\n\n",
             lite.r_icd, lite.t[0], (double)lite.r_icd / lite.t[0], lite.t[1], pg.t[0], (double)pg.r_icd / pg.t[0],
             pg.t[1], pg.t[0] / lite.t[0], r1, lite.r_h, lite.t[2], (double)lite.r_h / lite.t[2], lite.t[3], pg.t[2],
             (double)pg.r_h / pg.t[2], pg.t[3], pg.t[2] / lite.t[2], r2);
    fputs(body, stdout);
    if (bench_write_section(out, "import", body)) {
        fprintf(stderr, "bench_import: cannot write %s\n", out);
        return 1;
    }
    return 0;
}
