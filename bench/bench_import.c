/*
 * bench_import.c -- how long importing the official code files takes: the FY2022 ICD-10-CM order file
 * (95,524 rows) and the October 2025 HCPCS file, into a fresh store and again into a store that has
 * them (every row unchanged), side by side with just reading the same bytes.
 *
 * usage: bench_import [--out docs/benchmarks.md]
 */
#include <psyclaim/psyclaim.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench_util.h"

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
    char icd[512], hcpcs[512], db[64];
    snprintf(icd, sizeof icd, "%s/icd10cm/icd10cm_order_2022_fixedwidth.txt", shared);
    snprintf(hcpcs, sizeof hcpcs, "%s/hcpcs/HCPC2025_OCT_ANWEB.tsv", shared);
    snprintf(db, sizeof db, "/tmp/psyclaim-bench-import-%d.db", (int)getpid());
    psy_store *st;
    char err[600];
    if (psy_store_open(db, &st, err, sizeof err) || psy_catalog_seed(st)) {
        fprintf(stderr, "bench_import: %s\n", err);
        return 1;
    }
    double t_icd, t_icd2, t_h, t_h2;
    long r_icd, r_h;
    if (import(st, PSY_IMPORT_ICD10CM, icd, &t_icd, &r_icd) || import(st, PSY_IMPORT_ICD10CM, icd, &t_icd2, &r_icd) ||
        import(st, PSY_IMPORT_HCPCS, hcpcs, &t_h, &r_h) || import(st, PSY_IMPORT_HCPCS, hcpcs, &t_h2, &r_h))
        return 1;
    psy_store_close(st);
    bench_remove_db(db);
    double r1 = read_only(icd), r2 = read_only(hcpcs);
    char body[2048];
    snprintf(body, sizeof body,
             "## Importing official code files\n\n"
             "`build-release/bench/bench_import` (release build; one transaction per file; SQLite in WAL mode).\n\n"
             "| file | rows | first import | again (all unchanged) | rows/s (first) | reading the bytes only |\n"
             "|---|---:|---:|---:|---:|---:|\n"
             "| ICD-10-CM FY2022 order file | %ld | %.2f s | %.2f s | %.0f | %.3f s |\n"
             "| HCPCS Level II Oct 2025 (TSV) | %ld | %.2f s | %.2f s | %.0f | %.3f s |\n\n",
             r_icd, t_icd, t_icd2, (double)r_icd / t_icd, r1, r_h, t_h, t_h2, (double)r_h / t_h, r2);
    fputs(body, stdout);
    if (bench_write_section(out, "import", body)) {
        fprintf(stderr, "bench_import: cannot write %s\n", out);
        return 1;
    }
    return 0;
}
