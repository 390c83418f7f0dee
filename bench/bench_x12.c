/*
 * bench_x12.c -- X12 speed: 837P claims written per second and 835 megabytes read per second, side by
 * side in one run with node-x12 (tests/node/bench_x12.js) generating and parsing the same content, and
 * with `cat` copying the same bytes.
 *
 * The 837P is one batch of 5000 claims (the most one transaction set should carry) built from the
 * test fixture's three claims; the 835 is an invented one-payment interchange repeated to about 5 MB.
 * Each figure is the best of several runs. Run from the source tree (node's script is found there).
 *
 * usage: bench_x12 [--out docs/benchmarks.md]
 */
#include <jansson.h>
#include <psyclaim/psyclaim.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../tests/unit/fixture_claims.h"
#include "bench_util.h"

enum { CLAIMS = PSY_CLAIM_MAX_PER_BATCH, REPEAT = 5, COPIES_835 = 5000 };

static const char one_835[] =
    "ISA*00*          *00*          *ZZ*PAYERSENDER    *ZZ*PRACTICE01     *260210*0930*^*00501*000000101*0*P*:~\n"
    "GS*HP*PAYERSENDER*PRACTICE01*20260210*0930*101*X*005010X221A1~\nST*835*0001~\n"
    "BPR*I*95.5*C*ACH*CCP*01*999999999*DA*123456*1234567890**01*999999999*DA*654321*20260212~\n"
    "TRN*1*EFT0001*1123456789~\nDTM*405*20260210~\nN1*PR*EXAMPLE HEALTH PLAN~\nN3*1 PAYER WAY~\n"
    "N4*ANYTOWN*NY*12345~\nPER*BL*EDI DESK*TE*5555550199~\nN1*PE*EXAMPLE THERAPY GROUP*XX*1234567893~\nLX*1~\n"
    "CLP*PC0001*1*150*100*20*12*ICN0001~\nNM1*QC*1*DOE*JANE****MI*MEM123456~\nDTM*232*20260102~\n"
    "DTM*233*20260102~\nSVC*HC:90837:95*150*100**1~\nDTM*472*20260102~\nCAS*CO*45*30~\nCAS*PR*3*20~\n"
    "REF*6R*PC0001L1~\nAMT*B6*120~\nCLP*PC0002*1*145.5*0*0*12*ICN0002~\nNM1*QC*1*ROE*SAM~\n"
    "SVC*HC:90834*120*0**1~\nDTM*472*20260105~\nCAS*CO*197*120~\nREF*6R*PC0002L1~\nLQ*HE*N54~\n"
    "SVC*HC:90785*25.50*0~\nDTM*472*20260105~\nCAS*CO*97*25.5*1~\nREF*6R*PC0002L2~\n"
    "PLB*1234567893*20261231*L6:INT01*-5.50*WO:RECOUP1*10~\nSE*33*0001~\nGE*1*101~\nIEA*1*000000101~\n";

static void save(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len) {
        fprintf(stderr, "bench_x12: cannot write %s\n", path);
        exit(1);
    }
    fclose(f);
}

static double time_cat(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cat '%s' > '%s.copy'", path, path);
    double best = 1e9;
    for (int i = 0; i < REPEAT; i++) {
        double t0 = bench_now();
        if (system(cmd) != 0) return -1;
        double t = bench_now() - t0;
        if (t < best) best = t;
    }
    snprintf(cmd, sizeof cmd, "%s.copy", path);
    unlink(cmd);
    return best;
}

static psy_status count_payments(void *ud, struct psy_era_payment *p)
{
    *(size_t *)ud += p->n_claims;
    psy_era_payment_free(p);
    return PSY_OK;
}

/* node-x12's timings, or NULL when node or tests/node/node_modules is missing. */
static json_t *node_times(const char *f837, const char *f835)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "node tests/node/bench_x12.js '%s' '%s' 2 2>/dev/null", f837, f835);
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    json_error_t je;
    json_t *doc = json_loadf(p, 0, &je);
    if (pclose(p) != 0) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* "v<unit>" with the given decimals, or "n/a" when there is no figure. */
static void cell(char *out, size_t cap, double v, int decimals, const char *unit)
{
    if (v > 0) snprintf(out, cap, "%.*f%s", decimals, v, unit);
    else snprintf(out, cap, "n/a");
}

int main(int argc, char **argv)
{
    const char *out = "docs/benchmarks.md";
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];

    /* 837P: write one full batch */
    struct fixture f;
    fixture_init(&f, 3);
    struct psy_claim *claims = calloc(CLAIMS, sizeof *claims);
    char (*ids)[16] = calloc(CLAIMS, sizeof *ids);
    size_t lines = 0;
    for (size_t i = 0; i < CLAIMS; i++) {
        claims[i] = f.claims[i % 3];
        snprintf(ids[i], sizeof ids[i], "PC%06zu", i);
        claims[i].id = ids[i];
        lines += claims[i].n_lines;
    }
    f.batch.claims = claims;
    f.batch.n_claims = CLAIMS;
    unsigned long ctl = 0;
    struct psy_x12_write_opts o = {.next_control = fixture_counter, .control_ud = &ctl};
    char *x837 = NULL, err[300];
    size_t len837 = 0;
    double t_write = 1e9;
    for (int i = 0; i < REPEAT; i++) {
        free(x837);
        double t0 = bench_now();
        if (psy_x12_837_write(&f.batch, &o, &x837, &len837, err, sizeof err)) {
            fprintf(stderr, "bench_x12: %s\n", err);
            return 1;
        }
        double t = bench_now() - t0;
        if (t < t_write) t_write = t;
    }
    /* 837P: read it back (the structure check) */
    double t_check = 1e9;
    for (int i = 0; i < REPEAT; i++) {
        size_t n;
        struct psy_x12_check_stats st;
        double t0 = bench_now();
        psy_x12_reader *r = psy_x12_reader_mem(x837, len837, 0);
        if (psy_x12_check(r, NULL, 0, &n, &st) || n || st.claims != CLAIMS) {
            fprintf(stderr, "bench_x12: the written 837P does not check clean\n");
            return 1;
        }
        psy_x12_reader_free(r);
        double t = bench_now() - t0;
        if (t < t_check) t_check = t;
    }
    /* 835: read a few megabytes */
    size_t one = sizeof one_835 - 1, len835 = one * COPIES_835;
    char *x835 = malloc(len835);
    for (size_t i = 0; i < COPIES_835; i++) memcpy(x835 + i * one, one_835, one);
    double t_read = 1e9;
    size_t n_claims = 0;
    for (int i = 0; i < REPEAT; i++) {
        n_claims = 0;
        double t0 = bench_now();
        psy_x12_reader *r = psy_x12_reader_mem(x835, len835, 0);
        if (psy_x12_835_read(r, count_payments, &n_claims, err, sizeof err)) {
            fprintf(stderr, "bench_x12: %s\n", err);
            return 1;
        }
        psy_x12_reader_free(r);
        double t = bench_now() - t0;
        if (t < t_read) t_read = t;
    }
    char f837[64], f835[64];
    snprintf(f837, sizeof f837, "/tmp/psyclaim-bench-%d.837", (int)getpid());
    snprintf(f835, sizeof f835, "/tmp/psyclaim-bench-%d.835", (int)getpid());
    save(f837, x837, len837);
    save(f835, x835, len835);
    double cat837 = time_cat(f837), cat835 = time_cat(f835);
    json_t *node = node_times(f837, f835);
    double n_gen = node ? json_number_value(json_object_get(node, "generate_837_s")) : 0;
    double n_p837 = node ? json_number_value(json_object_get(node, "parse_837_s")) : 0;
    double n_p835 = node ? json_number_value(json_object_get(node, "parse_835_s")) : 0;
    unlink(f837);
    unlink(f835);

    double mb837 = (double)len837 / 1e6, mb835 = (double)len835 / 1e6;
    char a[3][48], b[3][48], c[3][48];
    cell(a[0], sizeof a[0], n_gen, 3, " s");
    cell(a[1], sizeof a[1], n_p837, 3, " s");
    cell(a[2], sizeof a[2], n_p835, 3, " s");
    cell(b[0], sizeof b[0], n_gen / t_write, 0, "x");
    cell(b[1], sizeof b[1], n_p837 / t_check, 0, "x");
    cell(b[2], sizeof b[2], n_p835 / t_read, 0, "x");
    cell(c[0], sizeof c[0], n_gen > 0 ? CLAIMS / n_gen : 0, 0, " claims/s");
    cell(c[1], sizeof c[1], n_p837 > 0 ? mb837 / n_p837 : 0, 1, " MB/s");
    cell(c[2], sizeof c[2], n_p835 > 0 ? mb835 / n_p835 : 0, 1, " MB/s");
    char body[4096];
    snprintf(body, sizeof body,
             "## X12: writing 837P, reading 837P and 835\n\n"
             "`build-release/bench/bench_x12` (release build, one core; best of %d runs; node-x12 1.7.1 on Node.js,\n"
             "best of 2). The 837P is one batch of %d claims (%zu lines, %.2f MB) written from structs, preflight\n"
             "included; node-x12 generates the same interchange from its parsed form. The 835 is one invented\n"
             "payment repeated %d times (%.2f MB, %zu claims). `cat` copies the same bytes to a file.\n\n"
             "| task | psyclaim | rate | node-x12 | rate | node-x12 time / psyclaim time | cat | cat rate | psyclaim time / cat time |\n"
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
             "| write 837P | %.4f s | %.0f claims/s | %s | %s | %s | %.4f s | %.1f MB/s | %.1f |\n"
             "| read 837P (structure check) | %.4f s | %.1f MB/s | %s | %s | %s | %.4f s | %.1f MB/s | %.1f |\n"
             "| read 835 | %.4f s | %.1f MB/s | %s | %s | %s | %.4f s | %.1f MB/s | %.1f |\n\n",
             REPEAT, CLAIMS, lines, mb837, COPIES_835, mb835, n_claims, t_write, CLAIMS / t_write, a[0], c[0], b[0],
             cat837, mb837 / cat837, t_write / cat837, t_check, mb837 / t_check, a[1], c[1], b[1], cat837, mb837 / cat837,
             t_check / cat837, t_read, mb835 / t_read, a[2], c[2], b[2], cat835, mb835 / cat835, t_read / cat835);
    fputs(body, stdout);
    json_decref(node);
    free(x837);
    free(x835);
    free(claims);
    free(ids);
    if (bench_write_section(out, "x12", body)) {
        fprintf(stderr, "bench_x12: cannot write %s\n", out);
        return 1;
    }
    return 0;
}
