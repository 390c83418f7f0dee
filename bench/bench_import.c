/*
 * bench_import.c -- how long importing the official code files takes: the FY2022 ICD-10-CM order file
 * (95,524 rows) and the October 2025 HCPCS file, into a fresh store and again into a store that has
 * them (every row unchanged), on SQLite and on PostgreSQL side by side, with just reading the same bytes;
 * then a CSV file of invented clients, each with two diagnoses and a policy (docs/importing.md, "Clients
 * from another system"), imported by psy_records_import_clients into a small demo practice on each.
 * Each measurement is taken RUNS times, SQLite and PostgreSQL alternating; the tables give the median.
 *
 * usage: bench_import [--clients N] [--out docs/benchmarks.md]
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

#define RUNS 3

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

/* A name of letters only from n (records refuse digits in names). */
static void letters(long n, char *out, size_t len)
{
    size_t k = 0;
    out[k++] = (char)('A' + n % 26);
    for (n /= 26; n && k + 1 < len; n /= 26) out[k++] = (char)('a' + n % 26);
    out[k] = 0;
}

/* n invented clients (no real person: names are letter codes) with diagnoses dx and a policy of payer. */
static char *clients_csv(long n, const char *payer, const char *dx, size_t *len)
{
    size_t cap = (size_t)n * 200 + 512, at = 0;
    char *csv = malloc(cap);
    if (!csv) return NULL;
    at += (size_t)snprintf(csv, cap,
                           "first_name,last_name,birth_date,sex,address,city,state,zip,phone,diagnoses,payer_id,"
                           "member_id,policy_order,relation,policy_start,copay\r\n");
    for (long i = 0; i < n; i++) {
        char first[16], last[16];
        letters(i, first, sizeof first);
        letters(i * 7919 + 13, last, sizeof last);
        at += (size_t)snprintf(csv + at, cap - at,
                               "%s,Bench%s,%04ld-%02ld-%02ld,%c,\"%ld Juniper Row, Unit %ld\",Millbrook,IL,62901,"
                               "5555550%03ld,\"%s\",%s,MB%08ld,primary,self,2024-01-01,25\r\n",
                               first, last, 1940 + i % 60, 1 + i % 12, 1 + i % 28, i % 2 ? 'F' : 'M', 1 + i % 900,
                               1 + i % 40, i % 1000, dx, payer, i);
    }
    *len = at;
    return csv;
}

/* Seconds for importing n clients into a fresh store at uri holding a small demo practice. */
static int measure_clients(const char *uri, long n, double *secs, double *cpu, long *clients)
{
    psy_store *st;
    char err[600];
    if (psy_store_open(uri, &st, err, sizeof err)) {
        fprintf(stderr, "bench_import: %s\n", err);
        return -1;
    }
    struct psy_demo_opts o = {.seed = 3, .end_date = "2025-06-29", .weeks = 1, .clients = 12, .groups = 1, .clean = 1};
    struct psy_demo_result dr;
    struct psy_payer *ps = NULL;
    struct psy_client *cs = NULL;
    size_t np = 0, nc = 0;
    int rc = -1;
    if (psy_catalog_seed(st) || psy_records_demo(st, &o, &dr)) goto out;
    free(dr.problems);
    if (psy_records_payer_list(st, dr.practice_id, &ps, &np) || !np) goto out;
    if (psy_records_client_list(st, dr.practice_id, &cs, &nc) || !nc) goto out;
    char dx[64] = "";
    for (int i = 0; i < cs[0].n_dx && i < 2; i++) {
        strcat(dx, i ? ";" : "");
        strcat(dx, cs[0].dx[i]);
    }
    size_t len;
    char *csv = clients_csv(n, ps[0].payer_code, dx, &len);
    if (!csv) goto out;
    struct psy_import_report r;
    double t0 = bench_now(), c0 = bench_cpu();
    psy_status q = psy_records_import_clients(st, dr.practice_id, csv, len, 0, &r);
    *secs = bench_now() - t0;
    *cpu = bench_cpu() - c0;
    free(csv);
    if (!q && r.refused) {
        fprintf(stderr, "bench_import: %ld rows refused, the first: row %ld %s: %s\n", r.refused,
                r.problems[0].row, r.problems[0].column, r.problems[0].message);
    } else if (!q && r.committed) {
        *clients = r.clients;
        rc = 0;
    }
    psy_import_report_clear(&r);
out:
    if (rc) fprintf(stderr, "bench_import: clients: %s\n", psy_store_errmsg(st));
    free(ps);
    free(cs);
    psy_store_close(st);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static void remove_db(const char *db)
{
    char wal[96];
    unlink(db);
    snprintf(wal, sizeof wal, "%s-wal", db);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", db);
    unlink(wal);
}

/* One measurement on PostgreSQL, in a fresh schema of the server. */
static int pg_fresh(const char *server, int (*fn)(const char *uri, void *arg), void *arg)
{
    char why[600], *schema = NULL, *uri = pg_scratch_create(server, &schema, why, sizeof why);
    if (!uri) {
        fprintf(stderr, "bench_import: %s\n", why);
        return -1;
    }
    int rc = fn(uri, arg);
    pg_scratch_drop(server, schema);
    free(uri);
    free(schema);
    return rc;
}

struct codes_arg {
    const char *icd, *hcpcs;
    struct run *r;
};
static int codes_fn(const char *uri, void *arg)
{
    struct codes_arg *a = arg;
    return measure(uri, a->icd, a->hcpcs, a->r);
}

struct clients_arg {
    long n, clients;
    double secs, cpu;
};
static int clients_fn(const char *uri, void *arg)
{
    struct clients_arg *a = arg;
    return measure_clients(uri, a->n, &a->secs, &a->cpu, &a->clients);
}

int main(int argc, char **argv)
{
    const char *out = "docs/benchmarks.md";
    long nclients = 20000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--clients") && i + 1 < argc) nclients = strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_import [--clients N] [--out docs/benchmarks.md]\n");
            return 2;
        }
    }
    if (nclients < 1 || nclients > 1000000) {
        fprintf(stderr, "bench_import: --clients: 1 to 1000000\n");
        return 2;
    }
    const char *shared = bench_shared_dir();
    if (!shared) {
        fprintf(stderr, "bench_import: ../shared/data not found; nothing to measure\n");
        return 0;
    }
    const char *server = bench_pg_server();
    if (!server) return 1;
    char icd[512], hcpcs[512], db[64];
    snprintf(icd, sizeof icd, "%s/icd10cm/icd10cm_order_2022_fixedwidth.txt", shared);
    snprintf(hcpcs, sizeof hcpcs, "%s/hcpcs/HCPC2025_OCT_ANWEB.tsv", shared);
    snprintf(db, sizeof db, "/tmp/psyclaim-bench-import-%d.db", (int)getpid());
    /* [backend][value][run]: the four code imports, then the clients' elapsed and CPU seconds */
    double v[2][6][RUNS];
    long r_icd = 0, r_h = 0, clients[2] = {0, 0};
    for (int k = 0; k < RUNS; k++) {
        for (int b = 0; b < 2; b++) {
            struct run r = {{0}, 0, 0};
            struct codes_arg ca = {icd, hcpcs, &r};
            struct clients_arg cl = {nclients, 0, 0, 0};
            int rc;
            if (b == 0) {
                rc = measure(db, icd, hcpcs, &r);
                remove_db(db);
                if (!rc) rc = clients_fn(db, &cl);
                remove_db(db);
            } else {
                rc = pg_fresh(server, codes_fn, &ca);
                if (!rc) rc = pg_fresh(server, clients_fn, &cl);
            }
            if (rc) return 1;
            for (int i = 0; i < 4; i++) v[b][i][k] = r.t[i];
            v[b][4][k] = cl.secs;
            v[b][5][k] = cl.cpu;
            r_icd = r.r_icd;
            r_h = r.r_h;
            clients[b] = cl.clients;
            fprintf(stderr, "  run %d %s: ICD-10-CM %.2f s, HCPCS %.2f s, %ld clients %.2f s (CPU %.2f s)\n", k + 1,
                    b ? "postgres" : "sqlite", r.t[0], r.t[2], cl.clients, cl.secs, cl.cpu);
        }
    }
    if (clients[0] != clients[1]) {
        fprintf(stderr, "bench_import: the backends disagree: %ld / %ld clients\n", clients[0], clients[1]);
        return 1;
    }
    double m[2][6];
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < 6; i++) m[b][i] = median(v[b][i], RUNS);
    double r1 = read_only(icd), r2 = read_only(hcpcs);
    char body[4096];
    snprintf(body, sizeof body,
             "## Importing official code files\n\n"
             "`build-release/bench/bench_import --clients %ld` (release build; one transaction per file; the median "
             "of %d runs, SQLite and PostgreSQL alternating, each into a fresh store). SQLite: a file in WAL mode, "
             "synchronous=NORMAL. PostgreSQL: the Debian server on 127.0.0.1 started by `scripts/pg-test-server.sh` "
             "(default settings, fsync on), one connection; codes the store does not hold go out with COPY, changed "
             "ones as multi-row upserts of up to 256 rows.\n\n"
             "| file | rows | SQLite first | SQLite again | PostgreSQL first | PostgreSQL again | "
             "PostgreSQL / SQLite (first) | reading the bytes only |\n"
             "|---|---:|---:|---:|---:|---:|---:|---:|\n"
             "| ICD-10-CM FY2022 order file | %ld | %.2f s (%.0f rows/s) | %.2f s | %.2f s (%.0f rows/s) | %.2f s | "
             "%.1f× | %.3f s |\n"
             "| HCPCS Level II Oct 2025 (TSV) | %ld | %.2f s (%.0f rows/s) | %.2f s | %.2f s (%.0f rows/s) | %.2f s | "
             "%.1f× | %.3f s |\n\n"
             "Clients from another system (`psyclaim import clients FILE.csv`, `psy_records_import_clients`): a "
             "generated CSV of %ld invented clients, each with two diagnoses and a primary policy, into a fresh "
             "store holding a small demo practice, as one transaction (CPU: this process only, the PostgreSQL "
             "server's own not included).\n\n"
             "| file | clients | SQLite | PostgreSQL | PostgreSQL / SQLite | SQLite CPU | PostgreSQL CPU (client side) |\n"
             "|---|---:|---:|---:|---:|---:|---:|\n"
             "| clients CSV | %ld | %.2f s (%.0f rows/s) | %.2f s (%.0f rows/s) | %.1f× | %.2f s | %.2f s |\n\n",
             nclients, RUNS, r_icd, m[0][0], (double)r_icd / m[0][0], m[0][1], m[1][0], (double)r_icd / m[1][0],
             m[1][1], m[1][0] / m[0][0], r1, r_h, m[0][2], (double)r_h / m[0][2], m[0][3], m[1][2],
             (double)r_h / m[1][2], m[1][3], m[1][2] / m[0][2], r2, nclients, clients[0], m[0][4],
             (double)clients[0] / m[0][4], m[1][4], (double)clients[1] / m[1][4], m[1][4] / m[0][4], m[0][5], m[1][5]);
    fputs(body, stdout);
    if (bench_write_section(out, "import", body)) {
        fprintf(stderr, "bench_import: cannot write %s\n", out);
        return 1;
    }
    return 0;
}
