/* support.h -- helpers shared by the unit tests: scratch files and running the CLI. */
#ifndef PSY_TEST_SUPPORT_H
#define PSY_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <psyclaim/psyclaim.h>

/* A fresh path for a scratch database (removed with its WAL files by test_rm_db). */
char *test_tmp_path(const char *suffix);
void test_rm_db(const char *path);

/* A whole file, NUL-terminated (free it); its length in *len when len is not NULL. A file that cannot
 * be read fails the test. */
char *test_read_file(const char *path, size_t *len);

/* Writes text to a new scratch file and returns its path (free it). */
char *test_write_file(const char *text, size_t len);

/* Opens a new seeded store at a scratch path. */
psy_store *test_open_store(char **path);

/* Checks look-ups every seeded store answers the same way (flags, normal forms, not found). */
void test_check_lookups(psy_store *st);

/* 1 when the official file exists under PSY_SHARED_DIR; prints a skip message when it does not. */
int test_have_shared(const char *rel, char *out, size_t outlen);

/* Runs the CLI with a shell command line (after the binary name), stdin from in (may be NULL).
 * Returns the exit status; *out gets stdout (free it), *err stderr when err is not NULL. */
int test_run_cli(const char *args, const char *in, char **out, char **err);

/* Writes text to a scratch file, runs the CLI with args_fmt (its one %s is the file's path; stdin from
 * in, may be NULL), asserts the exit status and that stderr contains want_err (NULL: not checked), and
 * removes the file. */
void test_cli_file(const char *text, const char *args_fmt, const char *in, int status, const char *want_err);

/* Gives every payer of the practice the longest timely-filing limit (3650 days): for fixtures whose dates
 * of service are fixed, so that an export does not meet the limit (R-TF-1) as the calendar moves on. */
void test_payers_take_late_claims(psy_store *st, psy_id practice);

/* Validates X12 text with pyx12 (the validator beside the checkout, ../shared/tools/pyx12, run by Debian's
 * python3 with python3-defusedxml): 1 valid, 0 not (its report printed), -1 when it cannot run on this
 * machine (a skip message printed). */
int test_pyx12(const char *x12, size_t len);

#endif
