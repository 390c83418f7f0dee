/*
 * search_text.c -- the words search sees, the same for catalog text and for queries: Unicode
 * normalisation (NFKC, case folding, accents stripped, punctuation lumped, through utf8proc), splitting
 * into words, English stems (Snowball, through libstemmer) and the word lexicon from data/search (stop
 * words, British spellings and clinical abbreviations rewritten to one canonical word). Also the small
 * string pool and string table the index is made of.
 *
 * Word rules, in one place: a word is a run of letters and digits; an apostrophe inside a word is
 * dropped ("patient's" -> "patients"); the dot of an ICD-10-CM code joins ("f43.1" -> "f431"); a slash
 * or ampersand between single letters joins ("E/M", "E&M" -> "em"), and "w/" before anything else is
 * the word "with" ("w/ pt", "w/family"); a hyphen splits, and the joined
 * form of an all-letter hyphenated word is indexed too ("self-harm" -> "self", "harm", "selfharm").
 */
#include <jansson.h>
#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "search_int.h"

/* --- pool and table ------------------------------------------------------------------------------- */

uint32_t psy__spool_add(struct psy__spool *sp, const char *s, size_t n)
{
    if (sp->n + n + 1 > sp->cap) {
        size_t cap = sp->cap ? sp->cap : 4096;
        while (cap < sp->n + n + 1) cap *= 2;
        sp->p = psy__realloc(sp->p, cap);
        sp->cap = cap;
    }
    uint32_t off = (uint32_t)sp->n;
    memcpy(sp->p + sp->n, s, n);
    sp->p[sp->n + n] = 0;
    sp->n += n + 1;
    return off;
}

static inline uint32_t hash_finish(uint64_t h, uint64_t v)
{
    h = (h ^ v) * 0x94D049BB133111EBULL;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 32;
    return (uint32_t)h ? (uint32_t)h : 1;
}

uint32_t psy__stab_hash_padded(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n, v;
    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&v, s, 8);
        h = (h ^ v) * 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 31;
    }
    memcpy(&v, s, 8); /* the bytes past the end are masked off: the first n bytes in memory are kept */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t keep = n ? ~0ULL >> (64 - 8 * n) : 0;
#else
    uint64_t keep = 0;
    memcpy(&keep, "\xff\xff\xff\xff\xff\xff\xff\xff", n);
#endif
    return hash_finish(h, v & keep);
}

uint32_t psy__stab_hash(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n, v;
    for (; n >= 8; s += 8, n -= 8) { /* eight bytes at a time, multiply-xorshift mixing */
        memcpy(&v, s, 8);
        h = (h ^ v) * 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 31;
    }
    v = 0;
    memcpy(&v, s, n); /* n < 8: the same bytes in the same places as the padded read keeps */
    return hash_finish(h, v);
}

void psy__stab_put(struct psy__stab *t, uint32_t h, uint32_t id)
{
    if (!t->slot || (t->n + 1) * 2 > t->mask + 1) { /* keep the load under one half */
        uint32_t cap = t->slot ? (t->mask + 1) * 2 : 64;
        uint64_t *slot = psy__calloc(cap, sizeof *slot);
        for (uint32_t i = 0; t->slot && i <= t->mask; i++) {
            uint64_t v = t->slot[i];
            if (!v) continue;
            uint32_t j = (uint32_t)(v >> 32) & (cap - 1);
            while (slot[j]) j = (j + 1) & (cap - 1);
            slot[j] = v;
        }
        free(t->slot);
        t->slot = slot;
        t->mask = cap - 1;
    }
    uint32_t j = h & t->mask;
    while (t->slot[j]) j = (j + 1) & t->mask;
    t->slot[j] = ((uint64_t)h << 32) | (uint64_t)(id + 1);
    t->n++;
}

void psy__stab_free(struct psy__stab *t)
{
    free(t->slot);
    memset(t, 0, sizeof *t);
}

/* --- words ---------------------------------------------------------------------------------------- */

static int ascii_word(unsigned char c)
{
    return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9');
}

static int cp_word(utf8proc_int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return 1;
    default: return 0;
    }
}

/* Length in bytes of the character at s[i] and whether it belongs to a word. */
static size_t char_at(const char *s, size_t n, size_t i, int *word)
{
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) {
        *word = ascii_word(c);
        return 1;
    }
    utf8proc_int32_t cp;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
    if (k <= 0) {
        *word = 0;
        return 1;
    }
    *word = cp_word(cp);
    return (size_t)k;
}

static inline int is_word_at(const char *s, size_t n, size_t i)
{
    int w;
    if (i >= n) return 0;
    if ((unsigned char)s[i] < 0x80) return ascii_word((unsigned char)s[i]);
    char_at(s, n, i, &w);
    return w;
}

static int is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* ICD-10-CM category shape before the dot: letter, digit, letter or digit. */
static int icd_head(const char *w, size_t n)
{
    return n == 3 && is_alpha((unsigned char)w[0]) && is_digit((unsigned char)w[1]) &&
           (is_alpha((unsigned char)w[2]) || is_digit((unsigned char)w[2]));
}

/* Per byte: the lower-case letter or digit it stands for in a word, 0 for any other ASCII byte, 0x80 for
 * a byte of a multi-byte character (classified by utf8proc instead). */
static const unsigned char fold[256] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
};

static void split(const char *s, size_t n, int compounds, psy__sword_fn fn, void *ud)
{
    char w[PSY__SWORD_MAX + 9], cb[PSY__SWORD_MAX + 9]; /* 8 bytes of slack: psy__stab_hash_padded */
    size_t cbl = 0, cparts = 0;
    int cvalid = 1;
    size_t i = 0;
    while (i < n) {
        unsigned char c0 = (unsigned char)s[i];
        int wc = 1;
        size_t skip = 1;
        if (c0 < 0x80) wc = fold[c0] != 0;
        else skip = char_at(s, n, i, &wc);
        if (!wc) {
            i += skip;
            cbl = cparts = 0;
            cvalid = 1;
            continue;
        }
        size_t wl = 0;
        int toolong = 0, joined = 0;
        while (i < n) {
            unsigned char c = (unsigned char)s[i], f = fold[c];
            if (f && f < 0x80) {
                if (wl < PSY__SWORD_MAX) w[wl++] = (char)f;
                else toolong = 1;
                i++;
                continue;
            }
            if (f) {
                size_t len = char_at(s, n, i, &wc);
                if (wc) {
                    if (wl + len > PSY__SWORD_MAX) toolong = 1;
                    else {
                        memcpy(w + wl, s + i, len);
                        wl += len;
                    }
                    i += len;
                    continue;
                }
            }
            if (is_word_at(s, n, i + 1)) {
                if (c == '\'') {
                    i++;
                    continue;
                }
                if (c == '.' && icd_head(w, wl) && !toolong) {
                    i++;
                    continue;
                }
                if ((c == '/' || c == '&') && wl == 1 && is_alpha((unsigned char)w[0]) &&
                    is_alpha((unsigned char)s[i + 1]) && !is_word_at(s, n, i + 2)) {
                    joined = 1;
                    i++;
                    continue;
                }
            }
            break;
        }
        if (wl == 1 && (w[0] == 'w' || w[0] == 'W') && !joined && i < n && s[i] == '/') {
            memcpy(w, "with", 4); /* clinician shorthand "w/" ("w/ pt", "w/family"); "w/o" joined above */
            wl = 4;
            i++;
        }
        int hyphen = i < n && s[i] == '-' && is_word_at(s, n, i + 1);
        if (!toolong) fn(ud, w, wl, joined ? PSY__SW_JOINED : 0);
        if (compounds && (hyphen || cparts)) { /* inside a hyphenated chain */
            int alpha = 1;
            for (size_t k = 0; k < wl; k++) alpha &= !is_digit((unsigned char)w[k]);
            if (toolong || !alpha || cbl + wl > PSY__SWORD_MAX) cvalid = 0;
            else {
                memcpy(cb + cbl, w, wl);
                cbl += wl;
            }
            cparts++;
            if (!hyphen) {
                if (cparts >= 2 && cvalid) fn(ud, cb, cbl, PSY__SW_COMPOUND);
                cbl = cparts = 0;
                cvalid = 1;
            }
        }
        if (hyphen) i++;
    }
}

void psy__search_words(const char *text, size_t n, int compounds, psy__sword_fn fn, void *ud)
{
    size_t i = 0;
    uint64_t v;
    for (; i + 8 <= n; i += 8) { /* any byte over 0x7f? eight at a time */
        memcpy(&v, text + i, 8);
        if (v & 0x8080808080808080ULL) break;
    }
    while (i < n && (unsigned char)text[i] < 0x80) i++;
    if (i == n) {
        split(text, n, compounds, fn, ud);
        return;
    }
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_ssize_t m = utf8proc_map((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)n, &mapped,
                                      UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |
                                          UTF8PROC_STRIPMARK | UTF8PROC_LUMP | UTF8PROC_IGNORE);
    if (m < 0) { /* not UTF-8: the ASCII words only */
        split(text, n, compounds, fn, ud);
        return;
    }
    split((const char *)mapped, (size_t)m, compounds, fn, ud);
    free(mapped);
}

int psy__search_ends_in_word(const char *text, size_t n)
{
    if (n == 0) return 0;
    unsigned char c = (unsigned char)text[n - 1];
    if (c < 0x80) return ascii_word(c) || c == '\'' || c == '.' || c == '-' || c == '/' || c == '&';
    size_t i = n - 1;
    while (i > 0 && ((unsigned char)text[i] & 0xC0) == 0x80) i--;
    utf8proc_int32_t cp;
    if (utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(n - i), &cp) <= 0) return 0;
    return cp_word(cp) || cp == 0x2019 || cp == 0x2010 || cp == 0x2011;
}

size_t psy__search_stem(struct sb_stemmer *sb, const char *w, size_t n, char out[PSY__SWORD_MAX + 1])
{
    const sb_symbol *st = sb ? sb_stemmer_stem(sb, (const sb_symbol *)w, (int)n) : NULL;
    size_t len = st ? (size_t)sb_stemmer_length(sb) : 0;
    if (!st || len > PSY__SWORD_MAX) { /* no stemmer, or out of memory in it: the word is its own stem */
        st = (const sb_symbol *)w;
        len = n;
    }
    memcpy(out, st, len);
    out[len] = 0;
    return len;
}

/* --- lexicon -------------------------------------------------------------------------------------- */

struct one_word {
    char w[PSY__SWORD_MAX + 1];
    size_t n, count;
};

static void take_word(void *ud, const char *w, size_t n, int flags)
{
    struct one_word *o = ud;
    if (flags & PSY__SW_COMPOUND) return;
    if (o->count++ == 0) {
        memcpy(o->w, w, n);
        o->w[n] = 0;
        o->n = n;
    }
}

/* Normalises an entry of a lexicon file; it must be exactly one word. */
static int normal_word(const char *s, struct one_word *o)
{
    memset(o, 0, sizeof *o);
    psy__search_words(s, strlen(s), 0, take_word, o);
    return o->count == 1;
}

static void lex_add(struct psy__lexicon *lx, const struct one_word *key, uint32_t to, size_t *cap)
{
    uint32_t h = psy__stab_hash(key->w, key->n);
    if (psy__stab_find(&lx->tab, lx->pool.p, lx->off, key->w, key->n, h) != UINT32_MAX) return; /* first wins */
    if (lx->n == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        lx->off = psy__realloc(lx->off, *cap * sizeof *lx->off);
        lx->to = psy__realloc(lx->to, *cap * sizeof *lx->to);
    }
    lx->off[lx->n] = psy__spool_add(&lx->pool, key->w, key->n);
    lx->to[lx->n] = to;
    psy__stab_put(&lx->tab, h, lx->n);
    lx->n++;
}

static psy_status load_rewrites(struct psy__lexicon *lx, json_t *obj, const char *what, size_t *cap, char *err,
                                size_t errlen)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        struct one_word from, to;
        if (!json_is_string(v) || !normal_word(k, &from) || !normal_word(json_string_value(v), &to)) {
            snprintf(err, errlen, "search/synonyms.json: %s entry '%s' must map one word to one word", what, k);
            return PSY_EPARSE;
        }
        if (from.n == to.n && memcmp(from.w, to.w, from.n) == 0) continue;
        lex_add(lx, &from, psy__spool_add(&lx->pool, to.w, to.n), cap);
    }
    return PSY_OK;
}

psy_status psy__lexicon_load(struct psy__lexicon *lx, char *err, size_t errlen)
{
    memset(lx, 0, sizeof *lx);
    size_t cap = 0, len;
    const char *stop = psy_data_get("search/stopwords.txt", &len);
    const char *syn = psy_data_get("search/synonyms.json", NULL);
    if (!stop || !syn) {
        snprintf(err, errlen, "search: built-in data/search files are missing");
        return PSY_ENOTFOUND;
    }
    for (const char *p = stop, *end = stop + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) nl = end;
        char line[PSY__SWORD_MAX + 1];
        size_t ln = (size_t)(nl - p);
        if (ln > PSY__SWORD_MAX) ln = PSY__SWORD_MAX;
        memcpy(line, p, ln);
        line[ln] = 0;
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        struct one_word o;
        if (normal_word(line, &o)) lex_add(lx, &o, UINT32_MAX, &cap);
        p = nl + 1;
    }
    json_error_t je;
    json_t *root = json_loads(syn, 0, &je);
    if (!root) {
        snprintf(err, errlen, "search/synonyms.json:%d: %s", je.line, je.text);
        return PSY_EPARSE;
    }
    psy_status rc = load_rewrites(lx, json_object_get(root, "spelling"), "spelling", &cap, err, errlen);
    if (!rc) rc = load_rewrites(lx, json_object_get(root, "abbreviations"), "abbreviations", &cap, err, errlen);
    json_decref(root);
    return rc;
}

void psy__lexicon_free(struct psy__lexicon *lx)
{
    free(lx->pool.p);
    free(lx->off);
    free(lx->to);
    psy__stab_free(&lx->tab);
    memset(lx, 0, sizeof *lx);
}

int psy__lexicon_get(const struct psy__lexicon *lx, const char *w, size_t n, const char **to, size_t *tolen)
{
    uint32_t id = psy__stab_find(&lx->tab, lx->pool.p, lx->off, w, n, psy__stab_hash(w, n));
    if (id == UINT32_MAX) return 0;
    if (lx->to[id] == UINT32_MAX) return 1;
    *to = lx->pool.p + lx->to[id];
    *tolen = strlen(*to);
    return 2;
}

uint32_t psy__search_name_hash(const uint32_t *cls, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ cls[i]) * 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 29;
    }
    uint32_t v = (uint32_t)(h ^ (h >> 32));
    return n ? (v ? v : 1) : 0;
}

/* --- typo filter ----------------------------------------------------------------------------------- */

uint32_t psy__search_letters(const char *w, size_t n)
{
    uint32_t m = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (c >= 'a' && c <= 'z') m |= 1u << (c - 'a');
        else if (c >= '0' && c <= '9') m |= 1u << 26;
        else m |= 1u << 27;
    }
    return m;
}

/* --- English words ----------------------------------------------------------------------------------- */

/* The word lists read when the index is built: Debian's wamerican and wbritish (scripts/bootstrap.sh
 * installs them). PSY_SEARCH_WORDS, a colon-separated list of files, replaces them; set to "" it reads
 * none, and search then treats the words of the catalog as the only known words. */
#define DICT_FILES "/usr/share/dict/american-english:/usr/share/dict/british-english"

/* Adds the lower-case, letters-only lines of buf[0..n) (proper nouns, abbreviations written in capitals
 * and possessives are left out: they are not the words people type in lower case). */
static void dict_add_lines(struct psy__dict *d, const char *buf, size_t n, size_t *cap)
{
    for (const char *p = buf, *end = buf + n; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) nl = end;
        size_t len = (size_t)(nl - p);
        int ok = len >= 1 && len <= PSY__SWORD_MAX;
        for (size_t i = 0; ok && i < len; i++) ok = p[i] >= 'a' && p[i] <= 'z';
        if (ok) {
            uint32_t h = psy__stab_hash(p, len);
            if (psy__stab_find(&d->tab, d->pool.p, d->off, p, len, h) == UINT32_MAX) {
                if (d->n == *cap) {
                    *cap = *cap ? *cap * 2 : 65536;
                    d->off = psy__realloc(d->off, *cap * sizeof *d->off);
                }
                d->off[d->n] = psy__spool_add(&d->pool, p, len);
                psy__stab_put(&d->tab, h, d->n++);
            }
        }
        p = nl + 1;
    }
}

size_t psy__dict_load(struct psy__dict *d)
{
    memset(d, 0, sizeof *d);
    const char *env = getenv("PSY_SEARCH_WORDS");
    const char *list = env ? env : DICT_FILES;
    size_t cap = 0;
    while (*list) {
        const char *colon = strchr(list, ':');
        size_t pn = colon ? (size_t)(colon - list) : strlen(list);
        char path[512];
        if (pn && pn < sizeof path) {
            memcpy(path, list, pn);
            path[pn] = 0;
            FILE *f = fopen(path, "rb");
            if (f) {
                char *buf = NULL;
                size_t n = 0, bcap = 0, r;
                do {
                    if (bcap - n < 65536) buf = psy__realloc(buf, bcap = bcap ? bcap * 2 : 1 << 20);
                    r = fread(buf + n, 1, bcap - n, f);
                    n += r;
                } while (r > 0);
                fclose(f);
                dict_add_lines(d, buf, n, &cap);
                free(buf);
            }
        }
        list += pn;
        if (*list == ':') list++;
    }
    return d->n;
}

int psy__dict_has(const struct psy__dict *d, const char *w, size_t n)
{
    return d->n && psy__stab_find(&d->tab, d->pool.p, d->off, w, n, psy__stab_hash(w, n)) != UINT32_MAX;
}

void psy__dict_free(struct psy__dict *d)
{
    free(d->pool.p);
    free(d->off);
    psy__stab_free(&d->tab);
    memset(d, 0, sizeof *d);
}
