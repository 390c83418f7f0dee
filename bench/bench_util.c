/* bench_util.c -- helpers shared by the benchmarks (see bench_util.h). */
#include "bench_util.h"
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_percentile(double *v, size_t n, double p)
{
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = 0;
    fclose(f);
    return buf;
}

int bench_write_section(const char *path, const char *name, const char *body)
{
    char open_tag[128], close_tag[128];
    snprintf(open_tag, sizeof open_tag, "<!-- bench:%s -->", name);
    snprintf(close_tag, sizeof close_tag, "<!-- /bench:%s -->", name);
    char *old = slurp(path);
    if (!old) old = strdup("# Benchmarks\n\nRun `make bench` to refresh every section (release build).\n");
    char *a = strstr(old, open_tag), *b = a ? strstr(a, close_tag) : NULL;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        free(old);
        return -1;
    }
    if (a && b) {
        fwrite(old, 1, (size_t)(a - old), f);
        fprintf(f, "%s\n%s%s", open_tag, body, close_tag);
        fputs(b + strlen(close_tag), f);
    } else {
        fputs(old, f);
        fprintf(f, "\n%s\n%s%s\n", open_tag, body, close_tag);
    }
    free(old);
    if (fclose(f) != 0) return -1;
    return rename(tmp, path);
}

const char *bench_shared_dir(void)
{
    static const char *dir = PSY_SHARED_DIR;
    return access(dir, R_OK) == 0 ? dir : NULL;
}

static char pg_state[128];

static void stop_pg(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s/scripts/pg-test-server.sh' stop '%s' >/dev/null 2>&1", PSY_SOURCE_DIR, pg_state);
    if (system(cmd) != 0) fprintf(stderr, "bench: stopping the PostgreSQL server in %s failed\n", pg_state);
    rmdir(pg_state);
}

const char *bench_pg_server(void)
{
    static char uri[512];
    const char *env = getenv("PSY_TEST_PG_URI");
    if (env && *env) return env;
    if (*uri) return uri;
    snprintf(pg_state, sizeof pg_state, "/tmp/psyclaim-bench-pg-%d", (int)getpid());
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s/scripts/pg-test-server.sh' start '%s' >/dev/null", PSY_SOURCE_DIR, pg_state);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench: no PostgreSQL server (set PSY_TEST_PG_URI, or install the postgresql package)\n");
        return NULL;
    }
    atexit(stop_pg);
    snprintf(cmd, sizeof cmd, "%s/uri", pg_state);
    FILE *f = fopen(cmd, "r");
    if (!f || !fgets(uri, sizeof uri, f)) uri[0] = 0;
    if (f) fclose(f);
    uri[strcspn(uri, "\r\n")] = 0;
    return *uri ? uri : NULL;
}

void bench_remove_db(const char *path)
{
    char side[4096];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

double bench_cpu(void)
{
    struct rusage u;
    if (getrusage(RUSAGE_SELF, &u)) return 0;
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
           (double)u.ru_stime.tv_usec / 1e6;
}

void bench_peak_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return;
    fputs("5", f);
    fclose(f);
}

long bench_peak_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kb = strtol(line + 6, NULL, 10);
    if (f) fclose(f);
    return kb;
}
