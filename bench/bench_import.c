/*
 * bench_import.c -- how long importing the official code files takes: the FY2022 ICD-10-CM order file
 * (95,524 rows), the October 2025 HCPCS file and the NCCI practitioner tables (PTP, MUE, add-on codes),
 * into a fresh store and again into a store that has them (every row unchanged), on SQLite and on
 * PostgreSQL side by side, with just reading the same bytes;
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

/* The official files, in the order they are imported into one store. */
#define NFILES 6
static const struct code_file {
    const char *label, *rel;
    int ncci;        /* 1: psy_ncci_import with kind; 0: psy_catalog_import with kind */
    int kind;
} code_files[NFILES] = {
    {"ICD-10-CM FY2022 order file", "icd10cm/icd10cm_order_2022_fixedwidth.txt", 0, PSY_IMPORT_ICD10CM},
    {"HCPCS Level II Oct 2025 (TSV)", "hcpcs/HCPC2025_OCT_ANWEB.tsv", 0, PSY_IMPORT_HCPCS},
    {"NCCI PTP 2024 Q3, psychiatry pairs", "ncci/ptp_practitioner_2024q3_psych_90785-90899.tsv", 1, PSY_NCCI_PTP},
    {"NCCI PTP 2024 Q3, E/M pairs", "ncci/ptp_practitioner_2024q3_em_99202-99499_pairs.tsv", 1, PSY_NCCI_PTP},
    {"NCCI MUE 2024-07-01", "ncci/mue_practitioner_eff_2024-07-01.tsv", 1, PSY_NCCI_MUE},
    {"NCCI add-on codes 2024-06-03", "ncci/aoc_addon_code_edits_2024-06-03.tsv", 1, PSY_NCCI_AOC},
};

static int import(psy_store *st, const struct code_file *f, const char *path, double *secs, long *rows)
{
    struct psy_import_stats s;
    struct psy_ncci_import_stats ns;
    char err[600];
    double t0 = bench_now();
    psy_status rc = f->ncci ? psy_ncci_import(st, (psy_ncci_kind)f->kind, path, NULL, &ns, err, sizeof err)
                            : psy_catalog_import(st, (psy_import_kind)f->kind, path, NULL, &s, err, sizeof err);
    if (rc) {
        fprintf(stderr, "bench_import: %s\n", err);
        return -1;
    }
    *secs = bench_now() - t0;
    *rows = f->ncci ? ns.rows : s.added + s.updated + s.unchanged;
    return 0;
}

/* Seconds for each file, first and again, and its rows. */
struct run {
    double t[NFILES][2];
    long rows[NFILES];
};

static int measure(const char *uri, char paths[NFILES][512], struct run *r)
{
    psy_store *st;
    char err[600];
    if (psy_store_open(uri, &st, err, sizeof err)) {
        fprintf(stderr, "bench_import: %s\n", err);
        return -1;
    }
    int rc = psy_catalog_seed(st);
    for (int i = 0; !rc && i < NFILES; i++)
        rc = import(st, &code_files[i], paths[i], &r->t[i][0], &r->rows[i]) ||
             import(st, &code_files[i], paths[i], &r->t[i][1], &r->rows[i]);
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
    char (*paths)[512];
    struct run *r;
};
static int codes_fn(const char *uri, void *arg)
{
    struct codes_arg *a = arg;
    return measure(uri, a->paths, a->r);
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
    char paths[NFILES][512], db[64];
    for (int i = 0; i < NFILES; i++) snprintf(paths[i], sizeof paths[i], "%s/%s", shared, code_files[i].rel);
    snprintf(db, sizeof db, "/tmp/psyclaim-bench-import-%d.db", (int)getpid());
    /* [backend][value][run]: each file first and again, then the clients' elapsed and CPU seconds */
    enum { CL = 2 * NFILES, CPU, NV };
    double v[2][NV][RUNS];
    long rows[NFILES] = {0}, clients[2] = {0, 0};
    for (int k = 0; k < RUNS; k++) {
        for (int b = 0; b < 2; b++) {
            struct run r;
            memset(&r, 0, sizeof r);
            struct codes_arg ca = {paths, &r};
            struct clients_arg cl = {nclients, 0, 0, 0};
            int rc;
            if (b == 0) {
                rc = measure(db, paths, &r);
                remove_db(db);
                if (!rc) rc = clients_fn(db, &cl);
                remove_db(db);
            } else {
                rc = pg_fresh(server, codes_fn, &ca);
                if (!rc) rc = pg_fresh(server, clients_fn, &cl);
            }
            if (rc) return 1;
            for (int i = 0; i < NFILES; i++) {
                v[b][2 * i][k] = r.t[i][0];
                v[b][2 * i + 1][k] = r.t[i][1];
                rows[i] = r.rows[i];
            }
            v[b][CL][k] = cl.secs;
            v[b][CPU][k] = cl.cpu;
            clients[b] = cl.clients;
            fprintf(stderr, "  run %d %s: ICD-10-CM %.2f s, HCPCS %.2f s, NCCI %.2f s, %ld clients %.2f s (CPU %.2f s)\n",
                    k + 1, b ? "postgres" : "sqlite", r.t[0][0], r.t[1][0],
                    r.t[2][0] + r.t[3][0] + r.t[4][0] + r.t[5][0], cl.clients, cl.secs, cl.cpu);
        }
    }
    if (clients[0] != clients[1]) {
        fprintf(stderr, "bench_import: the backends disagree: %ld / %ld clients\n", clients[0], clients[1]);
        return 1;
    }
    double m[2][NV];
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < NV; i++) m[b][i] = median(v[b][i], RUNS);
    char body[8192];
    int at = snprintf(body, sizeof body,
             "## Importing official code files\n\n"
             "`build-release/bench/bench_import --clients %ld` (release build; one transaction per file; the median "
             "of %d runs, SQLite and PostgreSQL alternating, each into a fresh store, the files one after another "
             "into the same store). SQLite: a file in WAL mode, synchronous=NORMAL. PostgreSQL: the Debian server "
             "on 127.0.0.1 started by `scripts/pg-test-server.sh` (default settings, fsync on), one connection. "
             "Each import reads what the table holds first and writes only what differs: rows the store does not "
             "hold go out with COPY on PostgreSQL, changed ones as multi-row upserts of up to 256 rows; \"again\" "
             "imports the same file a second time (every row unchanged).\n\n"
             "| file | rows | SQLite first | SQLite again | PostgreSQL first | PostgreSQL again | "
             "PostgreSQL / SQLite (first) | reading the bytes only |\n"
             "|---|---:|---:|---:|---:|---:|---:|---:|\n",
             nclients, RUNS);
    for (int i = 0; i < NFILES; i++)
        at += snprintf(body + at, sizeof body - (size_t)at,
                       "| %s | %ld | %.3f s (%.0f rows/s) | %.3f s | %.3f s (%.0f rows/s) | %.3f s | %.1f× | %.3f s |\n",
                       code_files[i].label, rows[i], m[0][2 * i], (double)rows[i] / m[0][2 * i], m[0][2 * i + 1],
                       m[1][2 * i], (double)rows[i] / m[1][2 * i], m[1][2 * i + 1], m[1][2 * i] / m[0][2 * i],
                       read_only(paths[i]));
    snprintf(body + at, sizeof body - (size_t)at,
             "\nClients from another system (`psyclaim import clients FILE.csv`, `psy_records_import_clients`): a "
             "generated CSV of %ld invented clients, each with two diagnoses and a primary policy, into a fresh "
             "store holding a small demo practice, as one transaction (CPU: this process only, the PostgreSQL "
             "server's own not included).\n\n"
             "| file | clients | SQLite | PostgreSQL | PostgreSQL / SQLite | SQLite CPU | PostgreSQL CPU (client side) |\n"
             "|---|---:|---:|---:|---:|---:|---:|\n"
             "| clients CSV | %ld | %.2f s (%.0f rows/s) | %.2f s (%.0f rows/s) | %.1f× | %.2f s | %.2f s |\n\n",
             nclients, clients[0], m[0][CL], (double)clients[0] / m[0][CL], m[1][CL], (double)clients[1] / m[1][CL],
             m[1][CL] / m[0][CL], m[0][CPU], m[1][CPU]);
    fputs(body, stdout);
    if (bench_write_section(out, "import", body)) {
        fprintf(stderr, "bench_import: cannot write %s\n", out);
        return 1;
    }
    return 0;
}
