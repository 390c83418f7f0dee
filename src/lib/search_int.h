/*
 * search_int.h -- private to search_*.c: the layout of the in-memory index, the word handling both the
 * index and the query go through, and the per-query scratch space.
 *
 * Layout in one picture: every string (codes, titles, words, stems) is stored once in a pool and named
 * by a uint32 offset; entries ("docs") and words ("terms") are uint32 ids. Terms are numbered in byte
 * order of their text, so the words that start with a prefix are one id range. Each term has a posting
 * list (doc ids, ascending, with the term's precomputed BM25F weight in that doc) and each doc has the
 * mirror image, a forward list (term ids, ascending, same weights), so a query can either walk postings
 * or check a few candidate docs directly, whichever is cheaper.
 */
#ifndef PSY_SEARCH_INT_H
#define PSY_SEARCH_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include "psy_int.h"
#include "psyclaim/psy_search.h"

struct sb_stemmer;

/* --- search_text.c: words ------------------------------------------------------------------------ */

#define PSY__SWORD_MAX 40 /* bytes; longer words are not indexed and never match */

/* Called for every word of a text (w has 8 readable bytes past n: see psy__stab_hash_padded): w[0..n) is
 * normalised (NFKC, case-folded, marks stripped, joined
 * over apostrophes); flags has PSY__SW_COMPOUND for the joined form of a hyphenated word ("selfharm")
 * and PSY__SW_JOINED for single letters joined over a slash or ampersand ("E/M" -> "em"). */
#define PSY__SW_COMPOUND 1
#define PSY__SW_JOINED 2
typedef void (*psy__sword_fn)(void *ud, const char *w, size_t n, int flags);

/* Splits text[0..n) into words. compounds = 1 also yields the joined form of hyphenated words. */
void psy__search_words(const char *text, size_t n, int compounds, psy__sword_fn fn, void *ud);

/* 1 when a query typed so far ends inside a word (the last word may be a prefix). */
int psy__search_ends_in_word(const char *text, size_t n);

/* Snowball English stem of w[0..n) into out (NUL-terminated, at most PSY__SWORD_MAX bytes); returns
 * its length. A stemmer serves one thread at a time. */
size_t psy__search_stem(struct sb_stemmer *sb, const char *w, size_t n, char out[PSY__SWORD_MAX + 1]);

/* The set of letters and digits in w[0..n) as a bit mask (a-z, then one bit for any digit, one for any
 * other byte). One edit changes at most two bits, so it filters typo candidates cheaply. */
uint32_t psy__search_letters(const char *w, size_t n);

/* Hash of a name (a title or one synonym) as the sequence of its words' stem classes; 0 for none. */
uint32_t psy__search_name_hash(const uint32_t *cls, size_t n);

/* A growable pool of NUL-terminated strings named by offset. Offsets stay valid as it grows. */
struct psy__spool {
    char *p;
    size_t n, cap;
};
uint32_t psy__spool_add(struct psy__spool *sp, const char *s, size_t n);

/* String -> id table (open addressing). Keys are pool strings: the key of id i is pool + off[i]. */
struct psy__stab {
    uint64_t *slot; /* (hash32 << 32) | (id + 1); 0 = empty */
    uint32_t mask, n;
};
uint32_t psy__stab_hash(const char *s, size_t n);
/* The same hash of a word in a buffer that has at least 8 readable bytes past its end (the word
 * buffers of psy__search_words do), read eight bytes at a time. */
uint32_t psy__stab_hash_padded(const char *s, size_t n);

/* The id of s[0..n), or UINT32_MAX. */
static inline uint32_t psy__stab_find(const struct psy__stab *t, const char *pool, const uint32_t *off, const char *s,
                                      size_t n, uint32_t h)
{
    if (!t->slot) return UINT32_MAX;
    for (uint32_t i = h & t->mask;; i = (i + 1) & t->mask) {
        uint64_t v = t->slot[i];
        if (!v) return UINT32_MAX;
        if ((uint32_t)(v >> 32) != h) continue;
        const char *k = pool + off[(uint32_t)v - 1];
        if (strncmp(k, s, n) == 0 && k[n] == 0) return (uint32_t)v - 1;
    }
}
/* Adds id (whose key must not be in the table yet). */
void psy__stab_put(struct psy__stab *t, uint32_t h, uint32_t id);
void psy__stab_free(struct psy__stab *t);

/* The word lexicon from data/search: stop words, and rewrites (British spellings and clinical
 * abbreviations to one canonical word), applied to the index and to queries alike. */
struct psy__lexicon {
    struct psy__spool pool;
    uint32_t *off;           /* key strings: stop words, then rewrite sources */
    uint32_t *to;            /* rewrite target offset per key; UINT32_MAX for a stop word */
    uint32_t n;
    struct psy__stab tab;
};
psy_status psy__lexicon_load(struct psy__lexicon *lx, char *err, size_t errlen);
void psy__lexicon_free(struct psy__lexicon *lx);
/* Looks w up: returns 0 when it is a plain word, 1 when a stop word, 2 when rewritten (*to, *tolen). */
int psy__lexicon_get(const struct psy__lexicon *lx, const char *w, size_t n, const char **to, size_t *tolen);

/* English words (search_text.c): a query word in this list is spelled correctly and is never taken for
 * a typo of another word. Read from Debian's word lists when the index is built; empty when they are
 * absent (then only the catalog's own words count as known). */
struct psy__dict {
    struct psy__spool pool;
    uint32_t *off, n;
    struct psy__stab tab;
};
size_t psy__dict_load(struct psy__dict *d); /* returns how many words it holds */
int psy__dict_has(const struct psy__dict *d, const char *w, size_t n);
void psy__dict_free(struct psy__dict *d);

/* --- the index ------------------------------------------------------------------------------------ */

enum { PSY__SF_TITLE, PSY__SF_ALT, PSY__SF_SYN, PSY__SF_TEXT, PSY__SF_COUNT };

struct psy__sdoc {
    uint32_t code;   /* pool: display code */
    uint32_t ncode;  /* pool: lower case, no dot ("f4312") */
    uint32_t title;  /* pool: the title shown */
    uint32_t fwd;    /* first entry of its forward list (fwd_term / fwd_imp) */
    float boost;     /* static part of the score (family, curated, billable, add-on, ended) */
    uint16_t nfwd;   /* length of its forward list */
    uint8_t system, billable, ncode_len;
    uint8_t addon;   /* an add-on code (reported only with a primary code) */
};

/* The ranked answer to a one-word query whose postings are long: its best PSY__KEEP entries and how
 * many entries it matches, by system and billable flag. Computed by the query path the first time the
 * word is asked for, then kept (published atomically; the answer is the same whoever computes it). */
#define PSY__KEEP 64
struct psy__sanswer {
    uint32_t n;
    uint32_t count[PSY_SYS_COUNT][2];
    uint32_t doc[PSY__KEEP];
    float score[PSY__KEEP];
};

struct psy__sscratch;

struct psy_search {
    struct psy__spool pool;
    struct psy__lexicon lex;
    struct psy__dict dict;

    uint32_t ndocs;
    struct psy__sdoc *docs;       /* by doc id = (system, code) order */
    float max_boost;              /* the largest docs[].boost */
    uint32_t *code_sorted;        /* doc ids by (ncode, system) */
    uint64_t *code_key;           /* beside code_sorted: the first seven bytes of each dotless code,
                                   * big-endian and zero-padded, so a code is looked up in one compact
                                   * array instead of through docs and the pool (few pages touched) */

    uint32_t nterms;
    uint32_t *term_off;           /* pool offset of each term's text, terms in byte order; the texts
                                   * lie in the pool in that order too, side by side */
    uint8_t *term_len;
    uint32_t *term_class;         /* stem class of each term */
    float *term_idf;
    uint32_t *post_off;           /* nterms + 1; df(t) = post_off[t+1] - post_off[t] */
    uint32_t *post_doc;
    float *post_imp;
    uint8_t *post_name;           /* 1: the word is in the entry's title, other title or synonyms, not only
                                   * in its explainer prose */
    uint8_t *fwd_name;            /* the same, along the forward lists */
    uint32_t *fwd_term;           /* per doc, from docs[d].fwd, nfwd entries in term order */
    float *fwd_imp;
    uint32_t *len_first;          /* PSY__SWORD_MAX + 2: typo candidates by length, into len_terms */
    uint32_t *len_terms;
    uint32_t *len_mask;           /* the letter mask of each len_terms entry, side by side for scanning */

    uint32_t nclasses;
    uint32_t *class_stem;         /* pool offset of the stem */
    uint32_t *class_first;        /* nclasses + 1, into class_terms */
    uint32_t *class_terms;
    struct psy__stab class_tab;

    uint32_t *name_hash;          /* names (titles, synonyms) by hash, with their doc */
    uint32_t *name_doc, nnames;

    /* one-word queries with long postings: key "p:word" (typed, may be a prefix) or "c:word" (finished)
     * -> an answer slot; words with the same completions share a slot */
    struct psy__spool pre_pool;   /* the keys */
    uint32_t *pre_off;            /* key offsets for pre_tab */
    uint32_t *pre_slot;           /* key -> slot */
    uint32_t npre, nslots;
    _Atomic(struct psy__sanswer *) *answers; /* per slot; NULL until first asked */
    struct psy__stab pre_tab;

    size_t npostings, bytes, build_peak;
    double build_ms;

    /* search_disk.c: an index read from its file points into this read-only mapping instead of owning
     * its arrays (psy_search_free unmaps it) */
    void *map;
    size_t map_len;

    pthread_mutex_t lock;
    struct psy__sscratch *spare;  /* scratch areas not in use */
};

/* Allocation accounting: every array the index keeps is allocated through these. */
void *psy__sx_alloc(psy_search *ix, size_t n);
void *psy__sx_calloc(psy_search *ix, size_t n, size_t size);

/* --- search_query.c ------------------------------------------------------------------------------ */

/* Scratch for one query at a time. */
struct psy__sscratch *psy__sscratch_get(const psy_search *ix);
void psy__sscratch_put(const psy_search *ix, struct psy__sscratch *sc);
void psy__sscratch_free(struct psy__sscratch *sc);
size_t psy__sscratch_bytes(const psy_search *ix); /* the size of one scratch area */

/* The cost (postings to walk) of the one-word query word[0..n), for deciding which answers to keep. OUT
 * *range: when the query is nothing but the completions of a half-typed word, their term range (lo << 32
 * | hi), which alone decides the answer; else 0. */
uint64_t psy__search_word_cost(const psy_search *ix, struct psy__sscratch *sc, const char *word, size_t n, int prefix,
                               uint64_t *range);

/* --- search_disk.c ----------------------------------------------------------------------------- */

/* Frees what psy_search_free must not: clears every array of a mapped index and unmaps it. */
void psy__search_unmap(psy_search *ix);

#endif
