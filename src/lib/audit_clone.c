/*
 * audit_clone.c -- text similarity for the clone checks: word shingles, exact Jaccard similarity, and a
 * MinHash + LSH index that finds the pairs worth comparing without comparing every pair.
 *
 * The one idea: a note becomes the set of its k-word shingles (hashed to 64 bits). MinHash keeps, for
 * each of bands x rows hash functions, the smallest hashed shingle; two notes agree on one such value
 * with probability equal to their Jaccard similarity, so they agree on a whole band of `rows` values
 * with probability s^rows. Notes sharing any band land in the same bucket; sorting the (band key,
 * note) entries groups the buckets, and only notes within one bucket become candidate pairs. Work and
 * memory grow with the number of notes, not with its square. The low byte of every MinHash value is
 * kept to estimate a candidate's similarity cheaply; candidates close enough to the threshold are then
 * confirmed with the exact Jaccard similarity of their shingle sets, which is what the audit reports.
 * The signatures of many notes are computed on two threads (psy__lsh_signatures); they are added to the
 * index in the notes' order, so the index is the same either way.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "audit_int.h"

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Each byte as a shingle's word hashes it: ASCII letters folded to lower case, digits and bytes of
 * UTF-8 sequences as they are; 0 for the bytes that separate words (and for NUL). */
static const unsigned char word_byte[256] = {
#define R16(b) (b), (b) + 1, (b) + 2, (b) + 3, (b) + 4, (b) + 5, (b) + 6, (b) + 7, (b) + 8, (b) + 9, (b) + 10, \
               (b) + 11, (b) + 12, (b) + 13, (b) + 14, (b) + 15
    [48] = '0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
    [65] = 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v',
    'w', 'x', 'y', 'z',
    [97] = 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v',
    'w', 'x', 'y', 'z',
    [128] = R16(128), R16(144), R16(160), R16(176), R16(192), R16(208), R16(224), R16(240)
#undef R16
};

void psy__shingle(const char *text, int k, int sorted, struct psy__shingles *out)
{
    /* word hashes in a ring of the last k words; slot is where the next one goes */
    uint64_t ring[16];
    size_t words = 0, slot = 0;
    out->n = 0;
    if (k < 1) k = 1;
    if (k > 16) k = 16;
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    for (;;) {
        while (*p && !word_byte[*p]) p++;
        if (!*p) break;
        uint64_t h = 14695981039346656037ULL;
        for (unsigned char c; (c = word_byte[*p]); p++) h = (h ^ c) * 1099511628211ULL;
        ring[slot] = h;
        if (++slot == (size_t)k) slot = 0;
        if (++words < (size_t)k) continue;
        uint64_t sh = 0x9e3779b97f4a7c15ULL; /* the k words, oldest first: from slot on, round the ring */
        for (size_t i = 0, j = slot; i < (size_t)k; i++, j = j + 1 == (size_t)k ? 0 : j + 1) sh = mix64(sh ^ ring[j]);
        if (out->n == out->cap) out->h = psy__realloc(out->h, (out->cap = out->cap ? out->cap * 2 : 64) * sizeof *out->h);
        out->h[out->n++] = sh;
    }
    if (sorted && out->n > 1) {
        qsort(out->h, out->n, sizeof *out->h, cmp_u64);
        size_t w = 1;
        for (size_t i = 1; i < out->n; i++)
            if (out->h[i] != out->h[w - 1]) out->h[w++] = out->h[i];
        out->n = w;
    }
}

void psy__shingles_free(struct psy__shingles *s)
{
    free(s->h);
    memset(s, 0, sizeof *s);
}

double psy__jaccard(const struct psy__shingles *a, const struct psy__shingles *b)
{
    if (!a->n || !b->n) return 0;
    size_t i = 0, j = 0, both = 0;
    while (i < a->n && j < b->n) {
        if (a->h[i] == b->h[j]) {
            both++;
            i++;
            j++;
        } else if (a->h[i] < b->h[j]) {
            i++;
        } else {
            j++;
        }
    }
    return (double)both / (double)(a->n + b->n - both);
}

/* --- the LSH index ---------------------------------------------------------------------------------- */

struct lsh_entry {
    uint64_t key; /* one band's values, hashed */
    uint32_t doc;
};

struct psy__lsh {
    int bands, rows, perms;
    uint32_t *mul, *add;     /* one hash function per MinHash value: mul * x + add (mod 2^32) */
    uint8_t *sig;            /* the low byte of each MinHash value per document, for the estimate */
    uint64_t **keys;         /* per band, one key per document (0 = the document has no shingles) */
    size_t docs, cap;
    uint32_t *mins;          /* scratch: one signature */
};

struct psy__lsh *psy__lsh_new(int bands, int rows)
{
    struct psy__lsh *l = psy__calloc(1, sizeof *l);
    l->bands = bands < 1 ? 1 : bands;
    l->rows = rows < 1 ? 1 : rows;
    l->perms = l->bands * l->rows;
    l->mul = psy__malloc((size_t)l->perms * sizeof *l->mul);
    l->add = psy__malloc((size_t)l->perms * sizeof *l->add);
    l->mins = psy__malloc((size_t)l->perms * sizeof *l->mins);
    l->keys = psy__calloc((size_t)l->bands, sizeof *l->keys);
    uint64_t seed = 0x5053594341494dULL; /* fixed: results repeat from run to run */
    for (int i = 0; i < l->perms; i++) {
        l->mul[i] = (uint32_t)mix64(seed += 0x9e3779b97f4a7c15ULL) | 1;
        l->add[i] = (uint32_t)mix64(seed += 0x9e3779b97f4a7c15ULL);
    }
    return l;
}

void psy__lsh_free(struct psy__lsh *l)
{
    if (!l) return;
    free(l->mul);
    free(l->add);
    free(l->mins);
    free(l->sig);
    for (int b = 0; b < l->bands; b++) free(l->keys[b]);
    free(l->keys);
    free(l);
}

/* The minima of one document's signature: the inner loop is 32-bit multiply-add-minimum over every hash
 * function, which AVX2 does eight at a time; the processor's best version is chosen when the program
 * loads (the results are the same integers either way). */
#if defined(__x86_64__) && defined(__linux__) && (defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 6))
__attribute__((target_clones("avx2", "default")))
#endif
static void minima(uint32_t *restrict mins, const uint32_t *restrict mul, const uint32_t *restrict add, size_t P,
                   const uint64_t *h, size_t n)
{
    for (size_t i = 0; i < P; i++) mins[i] = UINT32_MAX;
    for (size_t j = 0; j < n; j++) {
        uint32_t x = (uint32_t)(h[j] >> 32);
        for (size_t i = 0; i < P; i++) {
            uint32_t v = mul[i] * x + add[i];
            mins[i] = v < mins[i] ? v : mins[i];
        }
    }
}

size_t psy__lsh_perms(const struct psy__lsh *l) { return (size_t)l->perms; }

void psy__lsh_signature(const struct psy__lsh *l, const struct psy__shingles *sh, uint32_t *mins)
{
    /* The shingle hashes are already well mixed, so their high 32 bits serve as the key; the 32-bit
     * multiply-add and minimum vectorise. Duplicate shingles do not change a minimum. */
    minima(mins, l->mul, l->add, (size_t)l->perms, sh->h, sh->n);
}

uint32_t psy__lsh_add_signature(struct psy__lsh *l, const uint32_t *mins, int empty)
{
    uint32_t doc = (uint32_t)l->docs++;
    size_t P = (size_t)l->perms, B = (size_t)l->bands;
    if (l->docs > l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->sig = psy__realloc(l->sig, l->cap * P * sizeof *l->sig);
        for (size_t b = 0; b < B; b++) l->keys[b] = psy__realloc(l->keys[b], l->cap * sizeof *l->keys[b]);
    }
    for (size_t i = 0; i < P; i++) l->sig[(size_t)doc * P + i] = (uint8_t)mins[i];
    for (size_t b = 0; b < B; b++) {
        uint64_t k = mix64((uint64_t)b + 1);
        for (int r = 0; r < l->rows; r++) k = mix64(k ^ mins[b * (size_t)l->rows + (size_t)r]);
        l->keys[b][doc] = empty ? 0 : k | 1; /* nothing to bucket: it matches nothing */
    }
    return doc;
}

uint32_t psy__lsh_add(struct psy__lsh *l, const struct psy__shingles *sh)
{
    psy__lsh_signature(l, sh, l->mins);
    return psy__lsh_add_signature(l, l->mins, sh->n == 0);
}

/* --- the signatures of many texts, on two threads ----------------------------------------------------- */

struct sig_part {
    const struct psy__lsh *l;
    const char *pool;
    const size_t *off;
    size_t from, to;
    int k, min_shingles;
    uint32_t *sigs;
    uint8_t *keep;
};

static void *sig_run(void *arg)
{
    struct sig_part *p = arg;
    struct psy__shingles sh = {0};
    size_t P = (size_t)p->l->perms;
    for (size_t i = p->from; i < p->to; i++) {
        psy__shingle(p->pool + p->off[i], p->k, 0, &sh);
        p->keep[i] = sh.n < (size_t)p->min_shingles ? 0 : sh.n ? 1 : 2;
        if (p->keep[i]) psy__lsh_signature(p->l, &sh, p->sigs + i * P);
    }
    psy__shingles_free(&sh);
    return NULL;
}

void psy__lsh_signatures(const struct psy__lsh *l, const char *pool, const size_t *off, size_t n, int k,
                         int min_shingles, uint32_t *sigs, uint8_t *keep)
{
    struct sig_part a = {l, pool, off, 0, n, k, min_shingles, sigs, keep}, b = a;
    pthread_t t;
    /* a second thread pays for itself from a few hundred notes on */
    int two = n >= 256 && sysconf(_SC_NPROCESSORS_ONLN) > 1;
    if (two) {
        a.to = b.from = n / 2;
        if (pthread_create(&t, NULL, sig_run, &b)) two = 0, a.to = n;
    }
    sig_run(&a);
    if (two) pthread_join(t, NULL);
}

double psy__lsh_estimate(const struct psy__lsh *l, uint32_t a, uint32_t b)
{
    const uint8_t *x = l->sig + (size_t)a * (size_t)l->perms, *y = l->sig + (size_t)b * (size_t)l->perms;
    int same = 0;
    for (int i = 0; i < l->perms; i++) same += x[i] == y[i];
    /* different minima share their low byte one time in 256: take those chance matches out */
    double e = ((double)same / l->perms - 1.0 / 256) / (1 - 1.0 / 256);
    return e < 0 ? 0 : e;
}

/* Stable LSD radix sort, 11 bits a pass (the counts stay in the first-level cache), of n items of
 * `size` bytes whose first 8 bytes are the key. tmp has room for n items. */
static void radix_sort(void *items, void *tmp, size_t n, size_t size)
{
    size_t count[2049];
    unsigned char *a = items, *t = tmp;
    for (int shift = 0; shift < 64; shift += 11) {
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++) {
            uint64_t k;
            memcpy(&k, a + i * size, sizeof k);
            count[((k >> shift) & 2047) + 1]++;
        }
        size_t d = 1;
        while (d < 2049 && count[d] != n) d++;
        if (d < 2049 && count[d] == n) continue; /* one digit for all: nothing moves */
        for (size_t i = 1; i < 2049; i++) count[i] += count[i - 1];
        for (size_t i = 0; i < n; i++) {
            uint64_t k;
            memcpy(&k, a + i * size, sizeof k);
            memcpy(t + count[(k >> shift) & 2047]++ * size, a + i * size, size);
        }
        memcpy(a, t, n * size);
    }
}

void psy__lsh_salt(struct psy__lsh *l, uint32_t doc, uint64_t salt)
{
    for (int b = 0; doc < l->docs && b < l->bands; b++) {
        uint64_t *k = &l->keys[b][doc];
        if (!*k) continue;
        uint64_t z = *k ^ (salt * 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ULL;
        *k = (z ^ (z >> 29)) | 1; /* never 0: 0 means no key */
    }
}

size_t psy__lsh_pairs(struct psy__lsh *l, int window, uint64_t **pairs)
{
    size_t np = 0, cap = 0, B = (size_t)l->bands;
    *pairs = NULL;
    if (window < 1) window = 1;
    if (l->docs < 2) return 0;
    /* one band at a time: its entries fit in the cache, and equal keys sort next to each other */
    struct lsh_entry *e = psy__malloc(l->docs * sizeof *e), *tmp = psy__malloc(l->docs * sizeof *tmp);
    for (size_t b = 0; b < B; b++) {
        size_t n = 0;
        const uint64_t *keys = l->keys[b];
        for (size_t d = 0; d < l->docs; d++)
            if (keys[d]) e[n++] = (struct lsh_entry){keys[d], (uint32_t)d};
        radix_sort(e, tmp, n, sizeof *e);
        for (size_t s = 0; s < n;) {
            size_t end = s + 1;
            while (end < n && e[end].key == e[s].key) end++;
            for (size_t j = s + 1; j < end; j++) {
                size_t from = j - s > (size_t)window ? j - (size_t)window : s;
                for (size_t i = from; i < j; i++) {
                    if (np == cap) *pairs = psy__realloc(*pairs, (cap = cap ? cap * 2 : 1024) * sizeof **pairs);
                    (*pairs)[np++] = (uint64_t)e[i].doc << 32 | e[j].doc; /* stable: e[i].doc < e[j].doc */
                }
            }
            s = end;
        }
    }
    free(e);
    free(tmp);
    if (np > 1) {
        uint64_t *t = psy__malloc(np * sizeof *t);
        radix_sort(*pairs, t, np, sizeof **pairs);
        free(t);
        size_t w = 1;
        for (size_t i = 1; i < np; i++)
            if ((*pairs)[i] != (*pairs)[w - 1]) (*pairs)[w++] = (*pairs)[i];
        np = w;
    }
    return np;
}
