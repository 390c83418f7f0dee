/* bench_util.h -- shared by the benchmarks: a monotonic clock, percentiles, and writing a named
 * section of docs/benchmarks.md (between <!-- bench:NAME --> and <!-- /bench:NAME --> markers) so
 * that each benchmark refreshes its own results without touching the others'. */
#ifndef PSY_BENCH_UTIL_H
#define PSY_BENCH_UTIL_H

#include <stddef.h>

double bench_now(void); /* seconds, monotonic */
double bench_cpu(void); /* seconds of CPU this process used (user + system) */
/* The process's peak resident memory: bench_peak_reset starts a new peak (Linux: /proc/self/clear_refs),
 * bench_peak_kb reads it (VmHWM, KiB; 0 when unknown). */
void bench_peak_reset(void);
long bench_peak_kb(void);

/* Sorts v in place and returns the p-th percentile (0..100). */
double bench_percentile(double *v, size_t n, double p);

/* Replaces (or appends) the section NAME of the markdown file at path with body. Returns 0 on success. */
int bench_write_section(const char *path, const char *name, const char *body);

/* Removes a scratch SQLite database and its -wal and -shm files. */
void bench_remove_db(const char *path);

/* The official data directory beside the checkout (../shared/data), or NULL when absent. */
const char *bench_shared_dir(void);

/* The PostgreSQL server for a benchmark's PostgreSQL side: $PSY_TEST_PG_URI, else a throwaway server
 * that scripts/pg-test-server.sh starts now and stops when the program exits. NULL, with a message on
 * stderr, when neither works. */
const char *bench_pg_server(void);

#endif
