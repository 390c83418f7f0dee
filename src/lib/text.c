/*
 * text.c -- small text routines the modules share: UTF-8 validation (through utf8proc), a bounded
 * Damerau-Levenshtein distance for "did you mean" suggestions and typo tolerance, and a 64-bit hash.
 */
#include <string.h>
#include <utf8proc.h>
#include <stdio.h>
#include "psy_int.h"

int psy__utf8_valid(const char *s, size_t n)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    utf8proc_ssize_t left = (utf8proc_ssize_t)n;
    while (left > 0) {
        if (*p < 0x80) { /* ASCII fast path */
            p++;
            left--;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p, left, &cp);
        if (k <= 0 || cp < 0) return 0;
        p += k;
        left -= k;
    }
    return 1;
}

/* Optimal-string-alignment distance (adjacent transpositions count one edit). Returns limit + 1 as soon
 * as the distance is known to exceed limit. Strings longer than 63 bytes compare by length only. */
size_t psy__edit_distance(const char *a, const char *b, size_t limit)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return la == lb && memcmp(a, b, la) == 0 ? 0 : limit + 1;
    size_t diff = la > lb ? la - lb : lb - la;
    if (diff > limit) return limit + 1;
    size_t d[64][64];
    for (size_t i = 0; i <= la; i++) d[i][0] = i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t rowmin = (size_t)-1;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
            if (v < rowmin) rowmin = v;
        }
        if (rowmin > limit) return limit + 1;
    }
    return d[la][lb] > limit ? limit + 1 : d[la][lb];
}

uint64_t psy__hash64(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

psy_status psy__vline_error(char *err, size_t errlen, const char *path, long line, const char *fmt, va_list ap)
{
    char msg[400];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (!errlen) return PSY_EPARSE;
    if (line > 0) snprintf(err, errlen, "%s:%ld: %s", path, line, msg);
    else snprintf(err, errlen, "%s: %s", path, msg);
    return PSY_EPARSE;
}
