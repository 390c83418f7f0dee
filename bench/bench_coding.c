/*
 * bench_coding.c -- sessions coded per second: the library's psy_coding_session on one core, the same
 * with the JSON read and written around it (what the batch form does per line), and the CLI batch form
 * (`psyclaim code-session --batch`) end to end, side by side on one mix of sessions.
 *
 * The mix: 27 session shapes (individual by every band, with and without an E/M, crisis with 90840
 * units and Medicare's G0017/G0018 at home, family, group with 90785, multiple-family, intakes, video and
 * audio telehealth, a telemedicine E/M, Medicare before 2024, four payer profiles, some refused),
 * repeated round-robin.
 *
 * usage: bench_coding [--out docs/benchmarks.md] [--seconds S]
 */
#include <psyclaim/psyclaim.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench_util.h"

static const char *const mix[] = {
    "{\"date\":\"2024-07-01\",\"kind\":\"individual\",\"minutes\":16}",
    "{\"date\":\"2024-07-01\",\"kind\":\"individual\",\"minutes\":45}",
    "{\"date\":\"2024-07-01\",\"kind\":\"individual\",\"minutes\":55,\"payer\":\"medicare\"}",
    "{\"date\":\"2024-07-01\",\"kind\":\"individual\",\"minutes\":50,\"telehealth\":\"video\",\"patient_location\":\"home\"}",
    "{\"date\":\"2024-07-01\",\"kind\":\"individual\",\"minutes\":30,\"telehealth\":\"audio\",\"patient_location\":\"other\","
    "\"payer\":\"medicare\"}",
    "{\"date\":\"2024-07-01\",\"kind\":\"individual\",\"minutes\":40,\"em_code\":\"99213\"}",
    "{\"date\":\"2024-07-01\",\"kind\":\"individual\",\"minutes\":60,\"em_code\":\"99214\",\"interactive_complexity\":true}",
    "{\"date\":\"2024-07-01\",\"kind\":\"individual\",\"minutes\":45,\"payer\":\"example-medicaid\",\"credential\":\"LCSW\"}",
    "{\"date\":\"2024-07-01\",\"kind\":\"individual\",\"minutes\":60,\"payer\":\"example-commercial\",\"prior_auth\":true}",
    "{\"date\":\"2024-07-01\",\"kind\":\"individual\",\"minutes\":10}",
    "{\"date\":\"2024-07-01\",\"kind\":\"crisis\",\"minutes\":70}",
    "{\"date\":\"2024-07-01\",\"kind\":\"crisis\",\"minutes\":140}",
    "{\"date\":\"2024-07-01\",\"kind\":\"family_with_patient\",\"minutes\":50}",
    "{\"date\":\"2024-07-01\",\"kind\":\"family_without_patient\",\"minutes\":45,\"payer\":\"medicare\"}",
    "{\"date\":\"2024-07-01\",\"kind\":\"family_with_patient\",\"minutes\":50,\"em_code\":\"99213\",\"separate_times\":true}",
    "{\"date\":\"2024-07-01\",\"kind\":\"group\",\"group_size\":8}",
    "{\"date\":\"2024-07-01\",\"kind\":\"group\",\"group_size\":6,\"interactive_complexity\":true,\"payer\":\"medicare\"}",
    "{\"date\":\"2024-07-01\",\"kind\":\"group\",\"group_size\":9,\"payer\":\"example-medicaid\"}",
    "{\"date\":\"2024-07-01\",\"kind\":\"multiple_family_group\"}",
    "{\"date\":\"2024-07-01\",\"kind\":\"diagnostic_evaluation\"}",
    "{\"date\":\"2024-07-01\",\"kind\":\"diagnostic_evaluation\",\"interactive_complexity\":true,\"telehealth\":\"video\","
    "\"patient_location\":\"other\"}",
    "{\"date\":\"2024-07-01\",\"kind\":\"diagnostic_evaluation_medical\",\"credential\":\"MD\"}",
    "{\"date\":\"2024-07-01\",\"kind\":\"diagnostic_evaluation\",\"em_code\":\"99213\"}",
    "{\"date\":\"2025-06-02\",\"kind\":\"multiple_family_group\",\"telehealth\":\"video\",\"patient_location\":\"home\","
    "\"payer\":\"medicare\"}",
    "{\"date\":\"2024-07-01\",\"kind\":\"crisis\",\"minutes\":80,\"place_of_service\":\"12\",\"payer\":\"medicare\"}",
    "{\"date\":\"2025-03-03\",\"kind\":\"individual\",\"minutes\":10,\"em_code\":\"98005\",\"telehealth\":\"video\","
    "\"patient_location\":\"home\",\"payer\":\"example-commercial\",\"credential\":\"MD\"}",
    "{\"date\":\"2021-05-03\",\"kind\":\"individual\",\"minutes\":45,\"telehealth\":\"audio\",\"patient_location\":\"home\","
    "\"payer\":\"medicare\"}",
};
#define NMIX (sizeof mix / sizeof mix[0])

static volatile size_t sink;

/* The library alone: structs in, results out. */
static double library(const psy_coder *cx, const struct psy_coding_input *s, double seconds, long *done)
{
    static struct psy_coding_result r;
    long n = 0;
    double t0 = bench_now(), t;
    do {
        for (int k = 0; k < 10000; k++, n++) {
            psy_coding_session(cx, &s[n % NMIX], &r);
            sink += r.n_lines;
        }
        t = bench_now() - t0;
    } while (t < seconds);
    *done = n;
    return t;
}

/* What the batch form does per line, in process: parse the JSON, code, write the JSON. */
static double with_json(const psy_coder *cx, double seconds, long *done)
{
    static struct psy_coding_result r;
    size_t lens[NMIX];
    for (size_t i = 0; i < NMIX; i++) lens[i] = strlen(mix[i]);
    long n = 0;
    double t0 = bench_now(), t;
    do {
        for (int k = 0; k < 1000; k++, n++) {
            struct psy_coding_input s;
            char field[64], msg[300];
            size_t i = (size_t)n % NMIX, len;
            if (psy_session_from_json(mix[i], lens[i], &s, field, sizeof field, msg, sizeof msg) == PSY_OK) {
                psy_coding_session(cx, &s, &r);
                char *out = psy_coding_result_json(&r, 0, &len);
                sink += len;
                free(out);
            }
        }
        t = bench_now() - t0;
    } while (t < seconds);
    *done = n;
    return t;
}

/* The CLI batch form end to end on a file of n sessions (process start and table loading included). */
static double cli_batch(const char *cli, long n, long *lines_out)
{
    char in[64], out[64], cmd[512];
    snprintf(in, sizeof in, "/tmp/psyclaim-bench-coding-%d.jsonl", (int)getpid());
    snprintf(out, sizeof out, "/tmp/psyclaim-bench-coding-%d.out", (int)getpid());
    FILE *f = fopen(in, "wb");
    if (!f) return -1;
    for (long i = 0; i < n; i++) fprintf(f, "%s\n", mix[i % (long)NMIX]);
    fclose(f);
    /* no database: the built-in tables, as in the library figures */
    snprintf(cmd, sizeof cmd, "cd /tmp && PSYCLAIM_DB= %s code-session --batch < %s > %s", cli, in, out);
    double t0 = bench_now();
    int rc = system(cmd);
    double t = bench_now() - t0;
    (void)rc; /* 1: the mix holds refused sessions */
    f = fopen(out, "rb");
    long lines = 0;
    int c;
    while (f && (c = fgetc(f)) != EOF) lines += c == '\n';
    if (f) fclose(f);
    unlink(in);
    unlink(out);
    *lines_out = lines;
    return t;
}

int main(int argc, char **argv)
{
    const char *out = "docs/benchmarks.md";
    double seconds = 2.0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
    }
    psy_coder *cx;
    char err[600];
    if (psy_coding_open(NULL, &cx, err, sizeof err)) {
        fprintf(stderr, "bench_coding: %s\n", err);
        return 1;
    }
    struct psy_coding_input s[NMIX];
    for (size_t i = 0; i < NMIX; i++) {
        char field[64], msg[300];
        if (psy_session_from_json(mix[i], strlen(mix[i]), &s[i], field, sizeof field, msg, sizeof msg)) {
            fprintf(stderr, "bench_coding: mix %zu: %s: %s\n", i, field, msg);
            return 1;
        }
    }
    long n_lib, n_json, n_cli = 0;
    double t_lib = library(cx, s, seconds, &n_lib);
    double t_json = with_json(cx, seconds, &n_json);
    double t_cli = cli_batch(PSY_CLI, 200000, &n_cli);
    psy_coding_close(cx);
    double r_lib = (double)n_lib / t_lib, r_json = (double)n_json / t_json, r_cli = t_cli > 0 ? (double)n_cli / t_cli : 0;
    char body[4096];
    snprintf(body, sizeof body,
             "## Coding sessions\n\n"
             "`build-release/bench/bench_coding` (release build, one thread, built-in NCCI tables; a mix of %zu "
             "session shapes: every kind, E/M pairs, telehealth, G0017 crisis, a 98005 telemedicine E/M, Medicare "
             "in 2021, four payer profiles, some refused).\n\n"
             "| path | sessions | seconds | sessions/s | per session | vs library |\n"
             "|---|---:|---:|---:|---:|---:|\n"
             "| library: `psy_coding_session` (struct in, lines out) | %ld | %.2f | %.0f | %.0f ns | 1 |\n"
             "| library + JSON: parse, code, write (the batch form's work per line) | %ld | %.2f | %.0f | %.0f ns | %.2f |\n"
             "| CLI: `psyclaim code-session --batch` (JSON lines in and out, process start included) | %ld | %.2f | "
             "%.0f | %.0f ns | %.2f |\n\n"
             "The target for the library is over 1,000,000 sessions per second per core.\n\n",
             (size_t)NMIX, n_lib, t_lib, r_lib, 1e9 / r_lib, n_json, t_json, r_json, 1e9 / r_json, r_json / r_lib, n_cli,
             t_cli, r_cli, r_cli > 0 ? 1e9 / r_cli : 0, r_cli / r_lib);
    fputs(body, stdout);
    if (bench_write_section(out, "coding", body)) {
        fprintf(stderr, "bench_coding: cannot write %s\n", out);
        return 1;
    }
    return 0;
}
