/*
 * psy_cents.h -- money as integer cents with checked arithmetic: every sum of amounts in the library,
 * the server and the fuzz harnesses goes through these, so a sum that would not fit in 64 bits is an
 * error instead of a wrapped number. Also the X12 decimal reader and the "$1,234.56" writer.
 */
#ifndef PSY_CENTS_H
#define PSY_CENTS_H

#include <stddef.h>
#include "psyclaim.h"

/* Room for any formatted amount: "-$92,233,720,368,547,758.08" and the NUL. */
#define PSY_CENTS_TEXT_MAX 32

/* *out = a + b (a - b, a * b). Return 0, or -1 when the result does not fit (then *out is untouched). */
int psy_cents_add(long long a, long long b, long long *out);
int psy_cents_sub(long long a, long long b, long long *out);
int psy_cents_mul(long long a, long long b, long long *out);

/* *out = the sum of n amounts; -1 (and *out untouched) when a partial sum does not fit. */
int psy_cents_sum(const long long *v, size_t n, long long *out);

/* *acc += v, sticky: once an addition overflows, *failed is set and later calls do nothing. For sums
 * taken from arrays of structs. */
void psy_cents_acc(long long *acc, long long v, int *failed);

/* Parses an X12 decimal ("150", "-1.27", ".5") into cents exactly. PSY_EINVAL when it is empty, not a
 * number, has non-zero digits past the cents or more than 15 digits before the point; *why (may be
 * NULL) then says which in words that follow the value ("is not a decimal number"). */
psy_status psy_cents_parse(const char *s, long long *out, const char **why);

/* Writes cents as dollars for people: "$1,234.56", "-$0.05" into out (>= PSY_CENTS_TEXT_MAX bytes).
 * Returns out. */
char *psy_cents_format(long long cents, char *out);

#endif
