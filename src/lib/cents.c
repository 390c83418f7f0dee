/*
 * cents.c -- checked arithmetic on integer cents (the compiler's overflow builtins), the X12 decimal
 * reader and the "$1,234.56" writer (psy_cents.h).
 */
#include <stdio.h>
#include <string.h>
#include "psyclaim/psy_cents.h"

int psy_cents_add(long long a, long long b, long long *out)
{
    long long r;
    if (__builtin_add_overflow(a, b, &r)) return -1;
    *out = r;
    return 0;
}

int psy_cents_sub(long long a, long long b, long long *out)
{
    long long r;
    if (__builtin_sub_overflow(a, b, &r)) return -1;
    *out = r;
    return 0;
}

int psy_cents_mul(long long a, long long b, long long *out)
{
    long long r;
    if (__builtin_mul_overflow(a, b, &r)) return -1;
    *out = r;
    return 0;
}

int psy_cents_sum(const long long *v, size_t n, long long *out)
{
    long long t = 0;
    for (size_t i = 0; i < n; i++)
        if (__builtin_add_overflow(t, v[i], &t)) return -1;
    *out = t;
    return 0;
}

void psy_cents_acc(long long *acc, long long v, int *failed)
{
    if (*failed) return;
    if (__builtin_add_overflow(*acc, v, acc)) *failed = 1;
}

psy_status psy_cents_parse(const char *s, long long *out, const char **why)
{
    const char *p = s;
    int neg = 0;
    if (*p == '-') neg = 1, p++;
    long long v = 0;
    int digits = 0, frac = 0, point = 0;
    for (; *p; p++) {
        if (*p == '.' && !point) {
            point = 1;
            continue;
        }
        if (*p < '0' || *p > '9') {
            if (why) *why = "is not a decimal number";
            return PSY_EINVAL;
        }
        if (!point) {
            if (++digits > 15) {
                if (why) *why = "has too many digits";
                return PSY_EINVAL;
            }
            v = v * 10 + (*p - '0'); /* at most 15 digits and 2 decimals: far below 2^63 */
        } else if (frac < 2) {
            v = v * 10 + (*p - '0');
            frac++;
        } else if (*p != '0') {
            if (why) *why = "has digits below one cent";
            return PSY_EINVAL;
        }
    }
    if (!digits && !frac) {
        if (why) *why = *s ? "is not a decimal number" : "is empty";
        return PSY_EINVAL;
    }
    for (; frac < 2; frac++) v *= 10;
    *out = neg ? -v : v;
    return PSY_OK;
}

char *psy_cents_format(long long cents, char *out)
{
    unsigned long long v = cents < 0 ? 0ULL - (unsigned long long)cents : (unsigned long long)cents;
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%llu", v / 100);
    char *o = out;
    if (cents < 0) *o++ = '-';
    *o++ = '$';
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) *o++ = ',';
        *o++ = digits[i];
    }
    snprintf(o, 4, ".%02u", (unsigned)(v % 100));
    return out;
}
