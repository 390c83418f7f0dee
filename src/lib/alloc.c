/*
 * alloc.c -- memory for the whole program (psy__ inside the library, psy_ for the server and the CLI),
 * and the growable capped buffer.
 *
 * Out-of-memory policy lives here and only here: an allocation that fails prints a message and aborts,
 * so callers never check for NULL. Sizes that come from outside (files, requests) are capped before
 * anything is allocated, so hostile input cannot drive the process out of memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_int.h"

static void oom(size_t n)
{
    fprintf(stderr, "psyclaim: out of memory (asked for %zu bytes)\n", n);
    abort();
}

void *psy__malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *psy__calloc(size_t n, size_t m)
{
    void *p = calloc(n ? n : 1, m ? m : 1);
    if (!p) oom(n * m);
    return p;
}

void *psy__realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *psy__strndup(const char *s, size_t n)
{
    char *p = psy__malloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *psy__strdup(const char *s) { return psy__strndup(s, strlen(s)); }

size_t psy__copy(char *dst, size_t cap, const char *src)
{
    if (!cap) return 0;
    size_t n = src ? strnlen(src, cap - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = 0;
    return n;
}

/* The same for the server and the CLI (psyclaim.h). */
void *psy_malloc(size_t n) { return psy__malloc(n); }
void *psy_calloc(size_t n, size_t m) { return psy__calloc(n, m); }
void *psy_realloc(void *p, size_t n) { return psy__realloc(p, n); }
char *psy_strdup(const char *s) { return psy__strdup(s); }

int psy__buf_put(struct psy__buf *b, const char *s, size_t n)
{
    if (b->max && b->n + n > b->max) return -1;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) cap *= 2;
        b->p = psy__realloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return 0;
}

int psy__buf_puts(struct psy__buf *b, const char *s) { return psy__buf_put(b, s, strlen(s)); }

int psy__buf_printf(struct psy__buf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return -1;
    if ((size_t)n < sizeof tmp) return psy__buf_put(b, tmp, (size_t)n);
    char *big = psy__malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = psy__buf_put(b, big, (size_t)n);
    free(big);
    return rc;
}

void psy__buf_free(struct psy__buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}
