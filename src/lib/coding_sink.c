/*
 * coding_sink.c -- where the coding engine's rules write: the findings sink (a caller's array, counted
 * past its cap) and the number appender of the message builder (psy__sb, coding_int.h).
 */
#include <string.h>
#include "coding_int.h"

void psy__sb_int(struct psy__sb *b, long long v)
{
    char tmp[24];
    int k = 0, neg = v < 0;
    unsigned long long u = neg ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (neg) tmp[k++] = '-';
    while (k > 0 && b->n + 1 < b->cap) b->p[b->n++] = tmp[--k];
    b->p[b->n] = 0;
}

void psy__copy_field(char *dst, size_t cap, const char *src)
{
    size_t k = 0;
    while (src[k] && k + 1 < cap) {
        dst[k] = src[k];
        k++;
    }
    dst[k] = 0;
}

struct psy_finding *psy__sink_add(struct psy__sink *k, psy_severity sev, const char *rule, const char *field)
{
    struct psy_finding *f = k->n < k->cap ? &k->f[k->n++] : &k->spill;
    if (sev == PSY_SEVERITY_ERROR) k->n_errors++;
    f->severity = sev;
    f->rule = rule;
    psy__copy_field(f->field, sizeof f->field, field);
    f->message[0] = 0;
    return f;
}
