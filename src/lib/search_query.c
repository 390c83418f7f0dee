/*
 * search_query.c -- answers a query from the index (search_index.c). docs/search.md says the same for
 * users, with every weight.
 *
 * A query is split into words the way catalog text was (search_text.c). Each word becomes a slot: the
 * set of index terms that may stand for it, each with a weight -- the word itself and the other words
 * of its stem (running, runs), the canonical word of an abbreviation or British spelling, every word
 * the last word may be the start of while the user is still typing, and, when the word is unknown (or
 * known but very rare), the words within one typo (four letters or more) or two (eight or more). A word
 * that looks like a code also matches codes that are it or start with it. An entry matches when every
 * slot matches; a slot that matches nothing anywhere is dropped, and evaluate() says how the query is
 * relaxed when too few entries match them all. The score is the sum over slots of the best weight x
 * BM25F impact, plus the code and exact-name bonuses and the entry's static boost; ties go to the lower
 * (system, code).
 *
 * Work per query is kept small by starting from the slot with the fewest postings and then, for each
 * other slot, either walking its postings or checking the surviving candidates' forward lists,
 * whichever is cheaper; the answers of one-word queries with very long postings (one or two letters
 * typed) are kept once computed, in slots the index build prepared.
 */
#include <jansson.h>
#include <libstemmer.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "search_int.h"

#define MAX_SLOTS 24         /* words beyond these are ignored */
#define MAX_SLOT_TERMS 64    /* explicit terms per slot */
#define MAX_PTYPO_SCAN 4000  /* terms scanned for a typo inside a half-typed word */
#define FWD_COST 8           /* a forward-list check costs about this many posting steps */

#define W_EXACT 1.0f
#define W_STEM 0.95f
#define W_TYPO1 0.6f
#define W_TYPO2 0.4f
#define W_PTYPO 0.45f
#define W_PREFIX_BASE 0.55f  /* completion of the word being typed: base + span * min(1, 4/len) */
#define W_PREFIX_SPAN 0.4f
#define W_LOOSE_BASE 0.35f   /* a finished but unknown word taken as the start of a longer one */
#define RARE_DF 5            /* a known word in at most this many entries also gets typo neighbours */
#define NAME_BONUS 4.0f
#define FILL_MIN 10          /* fewer entries than this with every word: those with all but one follow */
#define MOST_BUDGET 10000    /* postings walked at most to rank entries by how many words they match */
#define FILL_BUDGET 6000     /* postings walked at most to fill a short page with near matches */      /* the query is exactly an entry's title or one of its synonyms */
#define CODE_EXACT 40.0f
#define CODE_PREFIX 20.0f
#define CODE_PREFIX_SPAN 10.0f
#define PROSE_PENALTY 2.0f   /* an entry some word matches only in its explainer prose loses its boosts, and this */
#define ADDON_PENALTY 3.0f   /* add-on codes when the query does not ask for one (add, additional, each, extra) */
#define WANT_SYSTEM 8.0f     /* the system the query names (dx, cpt, modifier, pos ...) or a code query's own */
#define WANT_DIAGNOSIS 2.0f  /* ICD-10-CM, when the query names a condition and no service */
#define DURATION_BONUS 4.0f /* thin answers: matching all but the duration ("60 min") of a query */
#define DURATION_MATCH 6.0f /* at most this for having the duration of a query with other words too */
#define DURATION_TIE 0.5f   /* the share of that a code whose minutes hold the duration also gets from its text */
#define DROP_TRIES 6         /* thin answers: each word dropped in turn up to this many words */
#define PART_MAX 1024        /* entries kept from the answers with one word dropped */
#define DROP_BUDGET 1000     /* postings the cheapest remaining word may have, for a drop to be tried */
#define CLOSE_SLOT 0.9f      /* a close match: each word weighs at least this share of its idf in the entry */

struct sterm {
    uint32_t term;
    float w;
};

struct qslot {
    uint32_t t_first, nt;      /* explicit terms, sc->st[t_first..+nt), by term id */
    uint32_t lo, hi;           /* terms that start with the word (lo == hi: none) */
    float pw_base, range_idf, shared_idf;
    uint32_t cx[6], ncx;       /* entries whose code is the word */
    uint32_t cp_lo, cp_hi;     /* code_sorted range whose code starts with the word */
    uint64_t cost;             /* postings to walk */
    uint32_t name_cls;         /* stem class of the word, for recognising names */
    char word[PSY__SWORD_MAX + 1];
    uint8_t wlen, prefix, code_prefix, pos;
    uint8_t english;           /* the word is an English word (spelled as meant) */
    uint8_t sure;              /* matched by itself, its forms or rewrites, a code, or as a non-word's fix */
};

struct scored {
    float score;
    uint32_t doc;
    uint8_t weak;
};

struct psy__sscratch {
    struct psy__sscratch *next; /* must stay first (psy_search_free walks the spare list through it) */
    struct sb_stemmer *sb;
    uint32_t ndocs, epoch, epoch2;
    int prefault;              /* touch the per-entry arrays when made (not for a mapped index) */
    uint32_t *stamp, *stamp2, *cand, *touched, ntouched;
    float *acc, *tmp;
    uint8_t *cnt;
    uint8_t *weak, *tname;     /* per entry: words matched only in prose; this word matched in a name field */
    int want_sys;              /* the system the query asks for (PSY_SYS_COUNT: none) */
    float want_boost;
    uint8_t addon_ok;          /* the query asks for an add-on code */
    uint8_t dropped;           /* words that matched nothing anywhere (English words, not soft ones) */
    uint32_t nparsed;          /* slots as parsed (evaluate may drop some) */
    struct scored *part;       /* answers with one word dropped */
    size_t partcap;
    struct scored *heap;
    size_t heapcap;
    struct sterm st[MAX_SLOTS * MAX_SLOT_TERMS];
    uint32_t nst;
    struct qslot slots[MAX_SLOTS];
    uint32_t nslots;
    uint32_t name_lo, name_hi; /* entries the query names exactly: ix->name_doc[name_lo..name_hi) */
    struct scored *first;      /* the entries that matched every word, while a word is dropped */
    size_t firstcap;
    char words[MAX_SLOTS + 1][PSY__SWORD_MAX + 1];
    uint8_t wlens[MAX_SLOTS + 1], wflags[MAX_SLOTS + 1];
    uint32_t nwords;
};

/* --- scratch ------------------------------------------------------------------------------------------ */

struct psy__sscratch *psy__sscratch_get(const psy_search *ixc)
{
    psy_search *ix = (psy_search *)ixc; /* only the spare list and its lock change */
    pthread_mutex_lock(&ix->lock);
    struct psy__sscratch *sc = ix->spare;
    if (sc) ix->spare = sc->next;
    pthread_mutex_unlock(&ix->lock);
    if (sc) return sc;
    sc = psy__calloc(1, sizeof *sc);
    sc->sb = sb_stemmer_new("english", NULL); /* NULL (no memory): words are their own stems */
    sc->ndocs = ix->ndocs;
    sc->prefault = ix->map == NULL;
    return sc;
}

/* The per-entry arrays of a scratch area, made the first time a query is evaluated with it (parsing
 * alone does not need them). Every page is touched now: a first touch costs far more than a query --
 * except for an index mapped from its file, which is opened for a few queries (the CLI) and where the
 * memory a process holds matters more than the first query's page faults. */
static void scratch_arrays(struct psy__sscratch *sc)
{
    if (sc->stamp) return;
    size_t n = sc->ndocs ? sc->ndocs : 1;
    sc->stamp = psy__calloc(n, sizeof *sc->stamp);
    sc->stamp2 = psy__calloc(n, sizeof *sc->stamp2);
    sc->cand = psy__calloc(n, sizeof *sc->cand);
    sc->touched = psy__calloc(n, sizeof *sc->touched);
    sc->acc = psy__calloc(n, sizeof *sc->acc);
    sc->tmp = psy__calloc(n, sizeof *sc->tmp);
    sc->cnt = psy__calloc(n, 1);
    sc->weak = psy__calloc(n, 1);
    sc->tname = psy__calloc(n, 1);
    if (!sc->prefault) return;
    memset(sc->weak, 0, n);
    memset(sc->tname, 0, n);
    memset(sc->stamp, 0, n * sizeof *sc->stamp);
    memset(sc->stamp2, 0, n * sizeof *sc->stamp2);
    memset(sc->cand, 0, n * sizeof *sc->cand);
    memset(sc->touched, 0, n * sizeof *sc->touched);
    memset(sc->acc, 0, n * sizeof *sc->acc);
    memset(sc->tmp, 0, n * sizeof *sc->tmp);
    memset(sc->cnt, 0, n);
}

void psy__sscratch_put(const psy_search *ixc, struct psy__sscratch *sc)
{
    psy_search *ix = (psy_search *)ixc;
    pthread_mutex_lock(&ix->lock);
    sc->next = ix->spare;
    ix->spare = sc;
    pthread_mutex_unlock(&ix->lock);
}

size_t psy__sscratch_bytes(const psy_search *ix)
{
    /* stamp, stamp2, cand, touched, acc, tmp and cnt per entry, and the scratch itself */
    return (size_t)ix->ndocs * (6 * sizeof(uint32_t) + 3) + sizeof(struct psy__sscratch);
}

void psy__sscratch_free(struct psy__sscratch *sc)
{
    if (!sc) return;
    if (sc->sb) sb_stemmer_delete(sc->sb);
    free(sc->stamp);
    free(sc->stamp2);
    free(sc->cand);
    free(sc->touched);
    free(sc->acc);
    free(sc->tmp);
    free(sc->cnt);
    free(sc->weak);
    free(sc->tname);
    free(sc->part);
    free(sc->heap);
    free(sc->first);
    free(sc);
}

static uint32_t next_epoch(uint32_t *epoch, uint32_t *stamp, uint32_t n)
{
    if (++*epoch == 0) { /* wrapped: forget every old stamp */
        memset(stamp, 0, (size_t)n * sizeof *stamp);
        *epoch = 1;
    }
    return *epoch;
}

/* --- building slots ---------------------------------------------------------------------------------- */

static const char *term_str(const psy_search *ix, uint32_t t) { return ix->pool.p + ix->term_off[t]; }

/* Terms that start with w[0..n): [*lo, *hi). */
static void term_range(const psy_search *ix, const char *w, size_t n, uint32_t *lo, uint32_t *hi)
{
    uint32_t a = 0, b = ix->nterms;
    while (a < b) {
        uint32_t m = a + (b - a) / 2;
        if (strncmp(term_str(ix, m), w, n) < 0) a = m + 1;
        else b = m;
    }
    *lo = a;
    b = ix->nterms;
    while (a < b) {
        uint32_t m = a + (b - a) / 2;
        if (strncmp(term_str(ix, m), w, n) <= 0) a = m + 1;
        else b = m;
    }
    *hi = a;
}

static void add_term(struct psy__sscratch *sc, struct qslot *s, uint32_t t, float w)
{
    struct sterm *e = sc->st + s->t_first;
    for (uint32_t i = 0; i < s->nt; i++)
        if (e[i].term == t) {
            if (w > e[i].w) e[i].w = w;
            return;
        }
    if (s->nt >= MAX_SLOT_TERMS) return;
    uint32_t i = s->nt++;
    while (i > 0 && e[i - 1].term > t) { /* kept in term order */
        e[i] = e[i - 1];
        i--;
    }
    e[i] = (struct sterm){t, w};
}

/* The word and the other words of its stem; returns the stem class (UINT32_MAX: none). */
static uint32_t add_class(const psy_search *ix, struct psy__sscratch *sc, struct qslot *s, const char *w, size_t n)
{
    uint32_t lo, hi, c;
    term_range(ix, w, n, &lo, &hi);
    if (lo < hi && ix->term_len[lo] == n) /* the word is a term: its class is known, no stemming needed */
        c = ix->term_class[lo];
    else {
        char stem[PSY__SWORD_MAX + 1];
        size_t sn = psy__search_stem(sc->sb, w, n, stem);
        c = psy__stab_find(&ix->class_tab, ix->pool.p, ix->class_stem, stem, sn, psy__stab_hash(stem, sn));
        if (c == UINT32_MAX) return c;
    }
    for (uint32_t i = ix->class_first[c]; i < ix->class_first[c + 1]; i++) {
        uint32_t t = ix->class_terms[i];
        int same = ix->term_len[t] == n && memcmp(term_str(ix, t), w, n) == 0;
        add_term(sc, s, t, same ? W_EXACT : W_STEM);
    }
    return c;
}

/* Words within k edits of the slot's word (k = 1 or 2): a scan of the terms of near length whose
 * letter sets differ by at most 2k letters and whose letter counts differ by at most 2k in all (one edit
 * changes either by two at most), checked with the bounded edit distance. */
static void add_typos(const psy_search *ix, struct psy__sscratch *sc, struct qslot *s, int k)
{
    size_t n = s->wlen;
    uint32_t mask = psy__search_letters(s->word, n);
    int count[256] = {0};
    for (size_t i = 0; i < n; i++) count[(unsigned char)s->word[i]]++;
    size_t lo = n > (size_t)k ? n - (size_t)k : 0, hi = n + (size_t)k;
    if (hi > PSY__SWORD_MAX) hi = PSY__SWORD_MAX;
    for (uint32_t i = ix->len_first[lo]; i < ix->len_first[hi + 1]; i++) {
        if (__builtin_popcount(mask ^ ix->len_mask[i]) > 2 * k) continue;
        uint32_t t = ix->len_terms[i];
        const unsigned char *w = (const unsigned char *)term_str(ix, t);
        size_t tl = ix->term_len[t];
        int diff = 0;
        for (size_t j = 0; j < tl; j++) diff += --count[w[j]] < 0 ? 1 : -1; /* net: |counts apart| */
        for (size_t j = 0; j < tl; j++) count[w[j]]++;
        diff += (int)n; /* unmatched query letters were never subtracted */
        if (diff > 2 * k) continue;
        size_t d = psy__edit_distance(s->word, (const char *)w, (size_t)k);
        if (d >= 1 && d <= (size_t)k) add_term(sc, s, t, d == 1 ? W_TYPO1 : W_TYPO2);
    }
}

/* Smallest edit distance (adjacent swaps count one) between w[0..n) and a start of t, capped at 2. */
static int prefix_distance(const char *w, size_t n, const char *t, size_t tl)
{
    size_t m = tl < n + 1 ? tl : n + 1;
    unsigned char d[PSY__SWORD_MAX + 2][PSY__SWORD_MAX + 3];
    for (size_t j = 0; j <= m; j++) d[0][j] = (unsigned char)(j < 3 ? j : 3);
    for (size_t i = 1; i <= n; i++) {
        d[i][0] = (unsigned char)(i < 3 ? i : 3);
        for (size_t j = 1; j <= m; j++) {
            unsigned v = d[i - 1][j] + 1u, x = d[i][j - 1] + 1u, y = d[i - 1][j - 1] + (w[i - 1] != t[j - 1]);
            if (x < v) v = x;
            if (y < v) v = y;
            if (i > 1 && j > 1 && w[i - 1] == t[j - 2] && w[i - 2] == t[j - 1] && d[i - 2][j - 2] + 1u < v)
                v = d[i - 2][j - 2] + 1u;
            d[i][j] = (unsigned char)(v < 3 ? v : 3);
        }
    }
    int best = 3;
    for (size_t j = n > 1 ? n - 1 : 0; j <= m; j++)
        if (d[n][j] < best) best = d[n][j];
    return best;
}

/* The first seven bytes of a dotless code of n <= 7 bytes as code_key holds them. */
static uint64_t key7(const char *key, size_t n)
{
    uint64_t k = 0;
    for (size_t i = 0; i < 7; i++) k = k << 8 | (i < n ? (unsigned char)key[i] : 0);
    return k;
}

/* The first code_sorted position from lo whose code_key, shifted right by shift bits, is above k
 * (above = 1) or not below it (above = 0). Codes are in code_key order. */
static uint32_t code_bound(const psy_search *ix, uint64_t k, unsigned shift, int above)
{
    uint32_t a = 0, b = ix->ndocs;
    while (a < b) {
        uint32_t m = a + (b - a) / 2;
        uint64_t v = ix->code_key[m] >> shift;
        if (v < k || (above && v == k)) a = m + 1;
        else b = m;
    }
    return a;
}

/* Codes: the code_sorted range of the codes that start with key[0..n), n <= 7 (code_key holds their
 * first seven bytes, zero-padded, so a prefix of n bytes is the key's top n bytes). */
static void code_range(const psy_search *ix, const char *key, size_t n, uint32_t *lo, uint32_t *hi)
{
    unsigned shift = (unsigned)(7 - n) * 8;
    uint64_t k = key7(key, n) >> shift;
    *lo = code_bound(ix, k, shift, 0);
    *hi = code_bound(ix, k, shift, 1);
}

/* Entries whose dotless code is key, of at most seven bytes (a code may exist in several systems): among
 * the codes whose first seven bytes are key's, those no longer than it. */
static void add_code_exact(const psy_search *ix, struct qslot *s, const char *key)
{
    size_t n = strlen(key);
    uint64_t k = key7(key, n);
    for (uint32_t a = code_bound(ix, k, 0, 0);
         a < ix->ndocs && ix->code_key[a] == k && s->ncx < sizeof s->cx / sizeof s->cx[0]; a++) {
        uint32_t d = ix->code_sorted[a];
        if (n == 7 && ix->docs[d].ncode_len != 7) continue; /* a longer code that starts with key */
        s->cx[s->ncx++] = d;
    }
}

/* Codes the slot's word is or starts: exact codes always; codes it starts (prefix = 1) only when the
 * word is a code fragment rather than a number in a sentence ("908", or the query's only word; not the
 * "1" of "bipolar 1"). */
static void code_parts(const psy_search *ix, struct qslot *s, int prefix)
{
    const char *w = s->word;
    size_t n = s->wlen, digits = 0;
    if (n == 0 || n > 7) return;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (c >= '0' && c <= '9') digits++;
        else if (c < 'a' || c > 'z') return;
    }
    add_code_exact(ix, s, w);
    if (n == 1 && digits == 1) { /* place of service "2" is 02 */
        char pos[3] = {'0', w[0], 0};
        add_code_exact(ix, s, pos);
    }
    if (digits && prefix) {
        code_range(ix, w, n, &s->cp_lo, &s->cp_hi);
        s->code_prefix = 1;
    }
}

/* BM25 idf of a word found in df entries (df capped at the number of entries). */
static float idf_of(const psy_search *ix, uint64_t df)
{
    double d = df > ix->ndocs ? (double)ix->ndocs : (double)df;
    return (float)log(1.0 + ((double)ix->ndocs - d + 0.5) / (d + 0.5));
}

/* Fills slot s for the word w[0..n); prefix = the user may still be typing it; codes = 0: not a code
 * (joined letters such as "e/m"), 1: may be a code, 2: may be a code or the start of one. */
static void make_slot(const psy_search *ix, struct psy__sscratch *sc, struct qslot *s, const char *w, size_t n,
                      int prefix, int codes)
{
    memset(s, 0, sizeof *s);
    memcpy(s->word, w, n);
    s->word[n] = 0;
    s->wlen = (uint8_t)n;
    s->prefix = (uint8_t)prefix;
    s->t_first = sc->nst;
    s->name_cls = add_class(ix, sc, s, w, n);
    const char *to;
    size_t tolen;
    if (psy__lexicon_get(&ix->lex, w, n, &to, &tolen) == 2) {
        uint32_t c = add_class(ix, sc, s, to, tolen);
        if (c != UINT32_MAX) s->name_cls = c;
    }
    int known = s->nt > 0;
    for (uint32_t i = 0; i < s->nt; i++) s->sure |= sc->st[s->t_first + i].w >= W_STEM;
    int digits = 0;
    for (size_t i = 0; i < n; i++) digits |= w[i] >= '0' && w[i] <= '9';
    /* an English word is spelled as meant: never a typo, and once finished never the start of another */
    int english = !digits && psy__dict_has(&ix->dict, w, n);
    s->english = (uint8_t)english;
    /* "gen anx", "maj dep": short words that are not words are often cut-down ones */
    int shortword = !prefix && n <= 4 && !english && !digits;
    uint64_t known_df = 0;
    for (uint32_t i = 0; i < s->nt; i++) {
        uint32_t t = sc->st[s->t_first + i].term;
        known_df += ix->post_off[t + 1] - ix->post_off[t];
    }
    /* a number is typed whole: a known number being typed ("lvl 4") is not the start of others ("40");
     * the codes it starts are found as codes */
    int number = 1;
    for (size_t i = 0; i < n; i++) number &= w[i] >= '0' && w[i] <= '9';
    if ((prefix && !(number && known)) || (!known && !english) || shortword) {
        term_range(ix, w, n, &s->lo, &s->hi);
        s->pw_base = prefix ? W_PREFIX_BASE : W_LOOSE_BASE;
        /* other forms of the word that are also its completions count as completions */
        uint32_t keep = 0;
        for (uint32_t i = 0; i < s->nt; i++) {
            struct sterm e = sc->st[s->t_first + i];
            if (e.w >= W_EXACT || e.term < s->lo || e.term >= s->hi) sc->st[s->t_first + keep++] = e;
        }
        s->nt = keep;
    }
    int k = english || digits ? 0 : n >= 8 ? 2 : n >= 4 ? 1 : 0; /* numbers and codes have no typos */
    /* a finished word this rare may itself be a misspelling (a word being typed is most likely the start
     * of a longer one, unless nothing longer starts with it) */
    if (known && k && known_df <= RARE_DF && (!prefix || s->hi - s->lo <= 1)) {
        add_typos(ix, sc, s, 1);
        for (uint32_t i = 0; i < s->nt; i++) { /* a far more common neighbour is taken as meant */
            struct sterm *e = &sc->st[s->t_first + i];
            if (e->w < W_STEM && ix->post_off[e->term + 1] - ix->post_off[e->term] >= 20 * known_df) e->w = W_STEM;
        }
    }
    if (!known && k && (!prefix || s->lo == s->hi)) {
        if (prefix) { /* a typo inside a half-typed word: the first half is taken as typed */
            uint32_t lo, hi;
            term_range(ix, w, (n + 1) / 2, &lo, &hi);
            if (hi - lo > MAX_PTYPO_SCAN) hi = lo + MAX_PTYPO_SCAN;
            for (uint32_t t = lo; t < hi; t++)
                if ((size_t)ix->term_len[t] + 1 >= n && prefix_distance(w, n, term_str(ix, t), ix->term_len[t]) == 1)
                    add_term(sc, s, t, W_PTYPO);
        }
        add_typos(ix, sc, s, 1); /* most typos are one edit: the wider scan only when nothing was found */
        if (s->nt == 0 && k > 1) add_typos(ix, sc, s, k);
    }
    if (s->nt == 0 && s->lo == s->hi && n >= 6 && !digits) {
        /* still nothing: a form the stemmer does not join ("malingering" / "malingerer") is found
         * through the longest start of the word, down to three fifths of it, that begins a word */
        for (size_t l = n - 1; l * 5 >= n * 3 && l >= 4; l--) {
            term_range(ix, w, l, &s->lo, &s->hi);
            if (s->lo < s->hi) {
                s->pw_base = W_LOOSE_BASE;
                break;
            }
        }
    }
    if (codes) code_parts(ix, s, codes > 1 || n >= 3);
    if (!english || s->ncx || s->code_prefix) s->sure = 1;
    /* The terms a word stands for share one idf, that of all of them together, and so do the
     * completions of a half-typed word: a rare form ("harmful" for "harm", a rare completion of
     * "dep") must not outrank the common one the user means. */
    if (s->lo < s->hi) s->range_idf = idf_of(ix, ix->post_off[s->hi] - ix->post_off[s->lo]);
    if (s->nt) {
        uint64_t df = 0;
        for (uint32_t i = 0; i < s->nt; i++) {
            uint32_t t = sc->st[s->t_first + i].term;
            df += ix->post_off[t + 1] - ix->post_off[t];
        }
        float shared = idf_of(ix, df);
        s->shared_idf = shared;
        for (uint32_t i = 0; i < s->nt; i++) {
            struct sterm *e = &sc->st[s->t_first + i];
            e->w *= shared / ix->term_idf[e->term];
        }
    }
    sc->nst += s->nt;
    uint64_t cost = (uint64_t)ix->post_off[s->hi] - ix->post_off[s->lo] + s->ncx + (s->cp_hi - s->cp_lo);
    for (uint32_t i = 0; i < s->nt; i++) {
        uint32_t t = sc->st[s->t_first + i].term;
        cost += ix->post_off[t + 1] - ix->post_off[t];
    }
    s->cost = cost;
}

struct collect {
    struct psy__sscratch *sc;
};

static void on_query_word(void *ud, const char *w, size_t n, int flags)
{
    struct psy__sscratch *sc = ((struct collect *)ud)->sc;
    if (sc->nwords > MAX_SLOTS) return;
    memcpy(sc->words[sc->nwords], w, n);
    sc->words[sc->nwords][n] = 0;
    sc->wlens[sc->nwords] = (uint8_t)n;
    sc->wflags[sc->nwords] = (uint8_t)flags;
    sc->nwords++;
}

/* The entries whose title or a synonym is exactly the query (slots still in query order). */
static void find_names(const psy_search *ix, struct psy__sscratch *sc, int dropped)
{
    sc->name_lo = sc->name_hi = 0;
    uint32_t cls[MAX_SLOTS];
    if (dropped || !sc->nslots) return;
    for (uint32_t i = 0; i < sc->nslots; i++) {
        if (sc->slots[i].name_cls == UINT32_MAX) return;
        cls[i] = sc->slots[i].name_cls;
    }
    uint32_t h = psy__search_name_hash(cls, sc->nslots);
    uint32_t a = 0, b = ix->nnames;
    while (a < b) {
        uint32_t m = a + (b - a) / 2;
        if (ix->name_hash[m] < h) a = m + 1;
        else b = m;
    }
    sc->name_lo = a;
    while (a < ix->nnames && ix->name_hash[a] == h) a++;
    sc->name_hi = a;
}

/* --- what the query asks for ------------------------------------------------------------------------ */

static int is_word(const char *w, size_t n, const char *x) { return strlen(x) == n && memcmp(w, x, n) == 0; }

static int one_of(const char *w, size_t n, const char *const *list)
{
    for (; *list; list++)
        if (is_word(w, n, *list)) return 1;
    return 0;
}

/* Words about the query rather than its content: they name the code system wanted, or ask a question. */
static const char *const sys_words[PSY_SYS_COUNT][8] = {
    [PSY_SYS_CPT] = {"cpt", "procedure", "procedures", NULL},
    [PSY_SYS_HCPCS] = {"hcpcs", NULL},
    [PSY_SYS_ICD10CM] = {"dx", "dxs", "diagnosis", "diagnoses", "icd", "icd10", "icd10cm", NULL},
    [PSY_SYS_MODIFIER] = {"modifier", "modifiers", NULL},
    [PSY_SYS_POS] = {"pos", NULL},
};
static const char *const question_words[] = {"code", "codes", "bill", "billing", "billed", "coded", "coding", NULL};
/* Words that name a service rather than a condition: a query without them is taken to name a diagnosis. */
static const char *const service_words[] = {
    "therapy", "therapies", "psychotherapy", "session", "sessions", "visit", "visits", "minutes", "minute", "min",
    "mins", "hour", "hours", "hr", "evaluation", "eval", "assessment", "testing", "test", "tests", "counseling",
    "counselling", "management", "service", "services", "add", "addon", "crisis", "intake", "consultation",
    "consult", "telehealth", "telemedicine", "screening", "office", "group", "grp", "individual", "indiv",
    "interactive", "program", "training", "level", "lvl", "em", "established", "est", "new", "patient", "pt",
    "supply", "supplies", "injection", "home", "modifier", "place", "code", "cpt", "hcpcs", NULL};
/* Words that ask for an add-on code. */
static const char *const addon_words[] = {"add", "addon", "additional", "each", "extra", "plus", NULL};

/* Marks the words of sc->words that are about the query (soft[i] = 1) and sets what the query asks for:
 * the system it names, or ICD-10-CM when it names a condition and no service; whether it asks for an
 * add-on. Soft words are kept as content when nothing else is left. */
static void read_intent(struct psy__sscratch *sc, uint8_t *soft)
{
    sc->want_sys = PSY_SYS_COUNT;
    sc->want_boost = 0;
    sc->addon_ok = 0;
    uint32_t content = 0, service = 0;
    int want = PSY_SYS_COUNT;
    for (uint32_t i = 0; i < sc->nwords; i++) {
        const char *w = sc->words[i];
        size_t n = sc->wlens[i];
        soft[i] = 0;
        for (int y = 0; y < PSY_SYS_COUNT; y++)
            if (one_of(w, n, sys_words[y])) {
                soft[i] = 1;
                want = y;
            }
        if (one_of(w, n, question_words)) soft[i] = 1;
        if (i > 0 && is_word(sc->words[i - 1], sc->wlens[i - 1], "icd") && (is_word(w, n, "10") || is_word(w, n, "cm") ||
                                                                           is_word(w, n, "10cm")))
            soft[i] = 1;
        /* "place of service" */
        if (is_word(w, n, "place") && i + 2 < sc->nwords && is_word(sc->words[i + 2], sc->wlens[i + 2], "service") &&
            is_word(sc->words[i + 1], sc->wlens[i + 1], "of")) {
            soft[i] = soft[i + 2] = 1;
            want = PSY_SYS_POS;
        }
        if (one_of(w, n, addon_words) || (is_word(w, n, "em") && i > 0)) sc->addon_ok = 1;
        if (one_of(w, n, service_words)) service++;
    }
    for (uint32_t i = 0; i < sc->nwords; i++) content += !soft[i];
    if (content == 0) /* only words about the query: they are its content */
        memset(soft, 0, sc->nwords);
    if (content && want != PSY_SYS_COUNT) {
        sc->want_sys = want;
        sc->want_boost = WANT_SYSTEM;
    } else if (!service) {
        sc->want_sys = PSY_SYS_ICD10CM;
        sc->want_boost = WANT_DIAGNOSIS;
    }
}

/* A query that is a code or the start of codes lists its own system first: the system of the code it
 * is, else the one most of the codes it starts belong to. */
static void code_intent(const psy_search *ix, struct psy__sscratch *sc)
{
    if (sc->nslots != 1) return;
    const struct qslot *s = &sc->slots[0];
    if (s->ncx) {
        sc->want_sys = ix->docs[s->cx[0]].system;
        sc->want_boost = WANT_SYSTEM;
        return;
    }
    if (!s->code_prefix || s->cp_lo == s->cp_hi) return;
    uint32_t count[PSY_SYS_COUNT] = {0}, best = 0;
    for (uint32_t i = s->cp_lo; i < s->cp_hi && i < s->cp_lo + 64; i++) count[ix->docs[ix->code_sorted[i]].system]++;
    for (uint32_t y = 1; y < PSY_SYS_COUNT; y++)
        if (count[y] > count[best]) best = y;
    sc->want_sys = (int)best;
    sc->want_boost = WANT_SYSTEM;
}

/* Turns the query into slots (sc->slots, by increasing cost). */
static void parse(const psy_search *ix, struct psy__sscratch *sc, const char *q, size_t n, int prefix)
{
    sc->nwords = sc->nslots = sc->nst = 0;
    struct collect c = {sc};
    psy__search_words(q, n, 0, on_query_word, &c);
    if (sc->nwords > MAX_SLOTS) { /* over the cap: the words after it are ignored, none is a prefix */
        sc->nwords = MAX_SLOTS;
        prefix = 0;
    }
    int stop_prefix = -1, dropped = 0;
    uint8_t soft[MAX_SLOTS + 1];
    read_intent(sc, soft);
    sc->dropped = 0;
    uint32_t plain = 0; /* words that are not stop words */
    for (uint32_t i = 0; i < sc->nwords; i++) {
        const char *to;
        size_t tolen;
        plain += !soft[i] && psy__lexicon_get(&ix->lex, sc->words[i], sc->wlens[i], &to, &tolen) != 1;
    }
    for (uint32_t i = 0; i < sc->nwords; i++) {
        const char *w = sc->words[i], *to;
        size_t wl = sc->wlens[i], tolen;
        int last_prefix = prefix && i + 1 == sc->nwords;
        if (soft[i]) continue;
        if (psy__lexicon_get(&ix->lex, w, wl, &to, &tolen) == 1) {
            if (last_prefix) stop_prefix = (int)i; /* a stop word being typed may start another word */
            continue;
        }
        struct qslot *s = &sc->slots[sc->nslots];
        make_slot(ix, sc, s, w, wl, last_prefix, sc->wflags[i] & PSY__SW_JOINED ? 0 : plain == 1 ? 2 : 1);
        s->pos = (uint8_t)i;
        if (s->cost) sc->nslots++;
        else {
            sc->nst -= s->nt;
            dropped = 1;
            sc->dropped += s->english;
        }
    }
    if (stop_prefix >= 0 && sc->nslots == 0) {
        struct qslot *s = &sc->slots[0];
        make_slot(ix, sc, s, sc->words[stop_prefix], sc->wlens[stop_prefix], 1, 2);
        if (s->cost) sc->nslots++;
    }
    find_names(ix, sc, dropped);
    sc->nparsed = sc->nslots;
    code_intent(ix, sc);
    for (uint32_t i = 1; i < sc->nslots; i++) { /* by cost, then position: stable and deterministic */
        struct qslot x = sc->slots[i];
        uint32_t j = i;
        while (j > 0 && (sc->slots[j - 1].cost > x.cost ||
                         (sc->slots[j - 1].cost == x.cost && sc->slots[j - 1].pos > x.pos))) {
            sc->slots[j] = sc->slots[j - 1];
            j--;
        }
        sc->slots[j] = x;
    }
}

/* --- scoring ----------------------------------------------------------------------------------------- */

/* Weight of a completion t of the slot's word, its own idf replaced by the range's; shorter completions
 * weigh a little more. It depends on the range and t only, so words with the same completions (encou,
 * encoun, ... encounte) get the same answer. */
static float prefix_weight(const psy_search *ix, const struct qslot *s, uint32_t t)
{
    float len = (float)ix->term_len[t];
    return (s->pw_base + W_PREFIX_SPAN * (len < 4 ? 1.0f : 4.0f / len)) * s->range_idf / ix->term_idf[t];
}

static float code_score(const psy_search *ix, const struct qslot *s, uint32_t doc)
{
    float best = -1;
    for (uint32_t i = 0; i < s->ncx; i++)
        if (s->cx[i] == doc) return CODE_EXACT;
    if (s->code_prefix) {
        const struct psy__sdoc *d = &ix->docs[doc];
        if (strncmp(ix->pool.p + d->ncode, s->word, s->wlen) == 0)
            best = CODE_PREFIX + CODE_PREFIX_SPAN * (float)s->wlen / (float)d->ncode_len;
    }
    return best;
}

/* The slot's score in one entry, from its forward list; -1 when the slot does not match it. */
static float fwd_score(const psy_search *ix, const struct psy__sscratch *sc, const struct qslot *s, uint32_t doc,
                       uint8_t *name)
{
    float best = -1;
    *name = 0;
    uint32_t a = ix->docs[doc].fwd, b = a + ix->docs[doc].nfwd;
    const struct sterm *e = sc->st + s->t_first, *ee = e + s->nt;
    for (uint32_t i = a; i < b; i++) {
        uint32_t t = ix->fwd_term[i];
        while (e < ee && e->term < t) e++;
        if (e < ee && e->term == t) {
            float v = e->w * ix->fwd_imp[i];
            if (v > best) best = v;
            *name |= ix->fwd_name[i];
        }
        if (t >= s->lo && t < s->hi) {
            float v = prefix_weight(ix, s, t) * ix->fwd_imp[i];
            if (v > best) best = v;
            *name |= ix->fwd_name[i];
        }
    }
    if (s->ncx || s->code_prefix) {
        float v = code_score(ix, s, doc);
        if (v > best) best = v;
        if (v >= 0) *name = 1;
    }
    return best;
}

struct filter {
    int system; /* PSY_SYS_COUNT = any */
    int billable;
};

static int passes(const psy_search *ix, const struct filter *f, uint32_t doc)
{
    const struct psy__sdoc *d = &ix->docs[doc];
    return (f->system == PSY_SYS_COUNT || d->system == f->system) && (!f->billable || d->billable);
}

enum walk_mode { WALK_DRIVE, WALK_KEEP, WALK_ANY };

/* Visits one (doc, value) of a slot's postings in the given mode. */
static inline void visit(const psy_search *ix, struct psy__sscratch *sc, enum walk_mode mode, const struct filter *f,
                         uint32_t doc, float v, uint8_t name, uint32_t *n)
{
    if (mode == WALK_DRIVE) { /* the first slot: every entry it matches is a candidate */
        if (sc->stamp[doc] != sc->epoch) {
            if (f && !passes(ix, f, doc)) return;
            sc->stamp[doc] = sc->epoch;
            sc->acc[doc] = v;
            sc->weak[doc] = !name;
            sc->cand[(*n)++] = doc;
        } else {
            if (v > sc->acc[doc]) sc->acc[doc] = v;
            if (name) sc->weak[doc] = 0;
        }
        return;
    }
    if (mode == WALK_ANY && sc->stamp[doc] != sc->epoch) { /* any entry may join (match_most) */
        if (f && !passes(ix, f, doc)) return;
        sc->stamp[doc] = sc->epoch;
        sc->acc[doc] = 0;
        sc->cnt[doc] = 0;
        sc->weak[doc] = 0;
        sc->cand[(*n)++] = doc;
    }
    if (sc->stamp[doc] != sc->epoch) return; /* a later slot: its best value, for candidates only */
    if (sc->stamp2[doc] != sc->epoch2) {
        sc->stamp2[doc] = sc->epoch2;
        sc->tmp[doc] = v;
        sc->tname[doc] = name;
        if (mode == WALK_ANY) sc->touched[sc->ntouched++] = doc;
    } else {
        if (v > sc->tmp[doc]) sc->tmp[doc] = v;
        sc->tname[doc] |= name;
    }
}

/* Walks every posting of a slot; entries that become candidates are appended to sc->cand after the
 * first n; returns the new count. */
static uint32_t walk(const psy_search *ix, struct psy__sscratch *sc, const struct qslot *s, enum walk_mode mode,
                     const struct filter *f, uint32_t n)
{
    for (uint32_t i = 0; i < s->nt; i++) {
        const struct sterm *e = &sc->st[s->t_first + i];
        for (uint32_t p = ix->post_off[e->term]; p < ix->post_off[e->term + 1]; p++)
            visit(ix, sc, mode, f, ix->post_doc[p], e->w * ix->post_imp[p], ix->post_name[p], &n);
    }
    for (uint32_t t = s->lo; t < s->hi; t++) {
        float w = prefix_weight(ix, s, t);
        for (uint32_t p = ix->post_off[t]; p < ix->post_off[t + 1]; p++)
            visit(ix, sc, mode, f, ix->post_doc[p], w * ix->post_imp[p], ix->post_name[p], &n);
    }
    for (uint32_t i = 0; i < s->ncx; i++) visit(ix, sc, mode, f, s->cx[i], CODE_EXACT, 1, &n);
    for (uint32_t i = s->cp_lo; i < s->cp_hi; i++) {
        uint32_t d = ix->code_sorted[i];
        visit(ix, sc, mode, f, d, code_score(ix, s, d), 1, &n);
    }
    return n;
}

/* Entries that match every slot, with their summed slot scores in sc->acc; returns how many. */
static uint32_t match_all(const psy_search *ix, struct psy__sscratch *sc, const struct filter *f)
{
    next_epoch(&sc->epoch, sc->stamp, sc->ndocs);
    uint32_t nc = walk(ix, sc, &sc->slots[0], WALK_DRIVE, f, 0);
    for (uint32_t k = 1; k < sc->nslots && nc; k++) {
        const struct qslot *s = &sc->slots[k];
        uint32_t keep = 0;
        if (s->cost <= (uint64_t)nc * FWD_COST) {
            next_epoch(&sc->epoch2, sc->stamp2, sc->ndocs);
            walk(ix, sc, s, WALK_KEEP, f, 0);
            for (uint32_t i = 0; i < nc; i++) {
                uint32_t d = sc->cand[i];
                if (sc->stamp2[d] == sc->epoch2) {
                    sc->acc[d] += sc->tmp[d];
                    sc->weak[d] += !sc->tname[d];
                    sc->cand[keep++] = d;
                } else sc->stamp[d] = 0;
            }
        } else {
            for (uint32_t i = 0; i < nc; i++) {
                uint32_t d = sc->cand[i];
                uint8_t name;
                float v = fwd_score(ix, sc, s, d, &name);
                if (v >= 0) {
                    sc->acc[d] += v;
                    sc->weak[d] += !name;
                    sc->cand[keep++] = d;
                } else sc->stamp[d] = 0;
            }
        }
        nc = keep;
    }
    return nc;
}

/* What is added to an entry's word scores: its static boost, less when a word matched it only in its
 * explainer prose, an add-on's penalty unless the query asks for one, and the wanted system's boost. */
static inline float adjust(const psy_search *ix, const struct psy__sscratch *sc, uint32_t d)
{
    const struct psy__sdoc *doc = &ix->docs[d];
    float b = doc->boost;
    if (sc->weak[d]) b = (b < 0 ? b : 0) - PROSE_PENALTY;
    if (doc->addon && !sc->addon_ok) b -= ADDON_PENALTY;
    if (doc->system == sc->want_sys) b += sc->want_boost;
    return b;
}

/* a ranks before b */
static int better(struct scored a, struct scored b) { return a.score > b.score || (a.score == b.score && a.doc < b.doc); }

/* Puts x at position j of the heap h[0..n) ("worst at the root") and sifts it down into place. */
static void sift_down(struct scored *h, size_t n, size_t j, struct scored x)
{
    for (;;) {
        size_t c = 2 * j + 1;
        if (c >= n) break;
        if (c + 1 < n && better(h[c], h[c + 1])) c++;
        if (!better(x, h[c])) break;
        h[j] = h[c];
        j = c;
    }
    h[j] = x;
}

/* The best k candidates, best first, into sc->heap; returns how many. */
static size_t top_k(const psy_search *ix, struct psy__sscratch *sc, uint32_t nc, size_t k)
{
    if (k > nc) k = nc;
    if (k > sc->heapcap) {
        sc->heapcap = k;
        sc->heap = psy__realloc(sc->heap, k * sizeof *sc->heap);
    }
    struct scored *h = sc->heap;
    size_t n = 0;
    for (uint32_t i = 0; i < nc && k; i++) {
        uint32_t d = sc->cand[i];
        if (n == k && sc->acc[d] + ix->max_boost + sc->want_boost < h[0].score) continue; /* cannot enter */
        struct scored x = {sc->acc[d] + adjust(ix, sc, d), d, sc->weak[d]};
        if (n < k) { /* sift up */
            size_t j = n++;
            while (j > 0 && better(h[(j - 1) / 2], x)) {
                h[j] = h[(j - 1) / 2];
                j = (j - 1) / 2;
            }
            h[j] = x;
        } else if (better(x, h[0]))
            sift_down(h, n, 0, x);
    }
    for (size_t end = n; end > 1; end--) { /* heap sort: the worst to the back leaves the best first */
        struct scored x = h[end - 1];
        h[end - 1] = h[0];
        sift_down(h, end - 1, 0, x);
    }
    return n;
}

/* When no entry matches every word: the entries that match the most words (walks every posting of
 * every slot, so only used when they are short: MOST_BUDGET). */
static uint32_t match_most(const psy_search *ix, struct psy__sscratch *sc, const struct filter *f)
{
    next_epoch(&sc->epoch, sc->stamp, sc->ndocs);
    uint32_t nc = 0;
    uint8_t most = 0;
    for (uint32_t k = 0; k < sc->nslots; k++) {
        next_epoch(&sc->epoch2, sc->stamp2, sc->ndocs);
        sc->ntouched = 0;
        nc = walk(ix, sc, &sc->slots[k], WALK_ANY, f, nc); /* this slot's best values are in tmp */
        for (uint32_t i = 0; i < sc->ntouched; i++) {
            uint32_t d = sc->touched[i];
            sc->acc[d] += sc->tmp[d];
            sc->weak[d] += !sc->tname[d];
            if (++sc->cnt[d] > most) most = sc->cnt[d];
        }
    }
    uint32_t keep = 0;
    for (uint32_t i = 0; i < nc; i++)
        if (sc->cnt[sc->cand[i]] == most) sc->cand[keep++] = sc->cand[i];
    return keep;
}

/* Adds the bonus of the entries the query names exactly (those among the candidates). */
static uint32_t with_names(const psy_search *ix, struct psy__sscratch *sc, uint32_t nc)
{
    for (uint32_t i = sc->name_lo; i < sc->name_hi; i++) {
        uint32_t d = ix->name_doc[i];
        if (sc->stamp[d] == sc->epoch) sc->acc[d] += NAME_BONUS;
    }
    return nc;
}

static void grow_scored(struct scored **p, size_t *cap, size_t need)
{
    if (need <= *cap) return;
    *cap = need > 2 * *cap ? need : 2 * *cap;
    *p = psy__realloc(*p, *cap * sizeof **p);
}

/* The slots of a duration, a number and a unit of time ("60 min", "1 hour"), as a bit set; 0 for none. */
static uint32_t duration_slots(const struct qslot *sl, uint32_t ns)
{
    static const char *const units[] = {"min", "mins", "minute", "minutes", "hour", "hours", "hr", "hrs", NULL};
    uint32_t num = 0, unit = 0;
    for (uint32_t j = 0; j < ns && j < 32; j++) {
        const struct qslot *s = &sl[j];
        int digits = s->wlen > 0;
        for (uint32_t i = 0; i < s->wlen; i++) digits &= s->word[i] >= '0' && s->word[i] <= '9';
        if (digits && !num) num = 1u << j;
        for (const char *const *u = units; *u; u++)
            if (strlen(*u) == s->wlen && memcmp(*u, s->word, s->wlen) == 0 && !unit) unit = 1u << j;
    }
    return num && unit ? num | unit : 0;
}

/* The minutes of the duration in slots dur (duration_slots) of sl[0..ns): the number, times 60 for hours;
 * -1 for none. */
static long duration_minutes(const struct qslot *sl, uint32_t ns, uint32_t dur)
{
    long num = -1;
    int hours = 0;
    for (uint32_t j = 0; j < ns && j < 32; j++) {
        if (!(dur >> j & 1)) continue;
        const struct qslot *s = &sl[j];
        if (s->wlen && s->word[0] >= '0' && s->word[0] <= '9') {
            num = 0;
            for (uint32_t i = 0; i < s->wlen && num < 100000; i++) num = num * 10 + (s->word[i] - '0');
        } else
            hours = s->word[0] == 'h';
    }
    return num < 0 ? -1 : hours ? num * 60 : num;
}

/* The minutes each time-based code holds (search/durations.json), read once per process, then shared
 * read-only. */
struct band {
    char code[8];       /* lower case, as the index's dotless codes */
    char with[8][16];   /* none ([0] ""); else the band counts only when a word of the query is one of these */
    long min, max;      /* max -1: no upper limit */
};
static struct band *bands;
static size_t nbands;
static pthread_once_t bands_once = PTHREAD_ONCE_INIT;

static void bands_load(void)
{
    const char *text = psy_data_get("search/durations.json", NULL);
    json_t *j = text ? json_loads(text, 0, NULL) : NULL, *b;
    size_t i;
    json_array_foreach(json_object_get(j, "bands"), i, b) {
        const char *code = json_string_value(json_object_get(b, "code"));
        json_t *with = json_object_get(b, "with"), *w;
        json_t *max = json_object_get(b, "max");
        if (!code || strlen(code) >= sizeof bands->code) continue;
        bands = psy__realloc(bands, (nbands + 1) * sizeof *bands);
        struct band *x = &bands[nbands++];
        memset(x, 0, sizeof *x);
        for (size_t k = 0; k <= strlen(code); k++)
            x->code[k] = (char)(code[k] >= 'A' && code[k] <= 'Z' ? code[k] + 32 : code[k]);
        size_t k, nw = 0;
        json_array_foreach(with, k, w) {
            const char *t = json_string_value(w);
            if (t && strlen(t) < sizeof x->with[0] && nw < sizeof x->with / sizeof x->with[0])
                snprintf(x->with[nw++], sizeof x->with[0], "%s", t);
        }
        x->min = (long)json_integer_value(json_object_get(b, "min"));
        x->max = json_is_integer(max) ? (long)json_integer_value(max) : -1;
    }
    json_decref(j);
}

/* Whether doc is a CPT code whose minutes hold m ("psychotherapy 40 min": 90834, 38 to 52 minutes), with
 * the word its band asks for among the query's words sl[0..ns). */
static int band_holds(const psy_search *ix, const struct qslot *sl, uint32_t ns, uint32_t doc, long m)
{
    const struct psy__sdoc *d = &ix->docs[doc];
    if (m < 0 || d->system != PSY_SYS_CPT || d->ncode_len != 5) return 0;
    pthread_once(&bands_once, bands_load);
    const char *code = ix->pool.p + d->ncode;
    for (size_t i = 0; i < nbands; i++) {
        const struct band *b = &bands[i];
        if (strcmp(b->code, code)) continue;
        if (m < b->min || (b->max >= 0 && m > b->max)) return 0;
        if (!b->with[0][0]) return 1;
        for (size_t w = 0; w < sizeof b->with / sizeof b->with[0] && b->with[w][0]; w++)
            for (uint32_t k = 0; k < ns; k++)
                if (sl[k].wlen == strlen(b->with[w]) && !memcmp(sl[k].word, b->with[w], sl[k].wlen)) return 1;
        return 0;
    }
    return 0;
}

static int by_doc(const void *a, const void *b)
{
    const struct scored *x = a, *y = b;
    return x->doc < y->doc ? -1 : x->doc > y->doc ? 1 : (x->score > y->score ? -1 : x->score < y->score);
}

/* Too few entries match every word (or match them only in prose): the entries that match all words but
 * one follow them, for each word dropped in turn (the costliest only when the query is long), their
 * scores moved down together below the weakest entry that matched every word in a name field. The nc
 * entries with every word are in sc->cand; returns the new number of candidates. */
static uint32_t fill_dropped(const psy_search *ix, struct psy__sscratch *sc, const struct filter *f, uint32_t nc)
{
    grow_scored(&sc->first, &sc->firstcap, nc);
    for (uint32_t i = 0; i < nc; i++) {
        uint32_t d = sc->cand[i];
        sc->first[i] = (struct scored){sc->acc[d], d, sc->weak[d]};
    }
    uint32_t nfirst = nc, ns = sc->nslots;
    size_t npart = 0;
    struct qslot all[MAX_SLOTS];
    memcpy(all, sc->slots, ns * sizeof *all);
    uint32_t from = ns > DROP_TRIES ? ns - 1 : 0, dur = duration_slots(all, ns);
    for (uint32_t k = from; k <= ns && npart < PART_MAX; k++) {
        /* every slot but k, still by cost; k == ns: a duration ("60 min") as a whole, when the rest is left */
        uint32_t drop = k < ns ? 1u << k : dur, o = 0;
        if (!drop || (k == ns && (uint32_t)__builtin_popcount(drop) >= ns)) break;
        for (uint32_t j = 0; j < ns; j++)
            if (!(drop >> j & 1)) sc->slots[o++] = all[j];
        sc->nslots = o;
        /* the entries the cheapest remaining word matches are walked: skip a drop that leaves only long
         * postings (a letter or two being typed), unless it is the costliest word's, as it always was */
        if (k != ns - 1 && sc->slots[0].cost > DROP_BUDGET) continue;
        uint32_t m = match_all(ix, sc, f);
        grow_scored(&sc->part, &sc->partcap, npart + m);
        /* missing only the duration ranks before missing a word of what is asked for */
        float bonus = k == ns ? DURATION_BONUS : 0;
        for (uint32_t i = 0; i < m && npart < PART_MAX; i++) {
            uint32_t d = sc->cand[i];
            sc->part[npart++] = (struct scored){sc->acc[d] + bonus, d, sc->weak[d]};
        }
    }
    memcpy(sc->slots, all, ns * sizeof *all);
    sc->nslots = ns;
    qsort(sc->part, npart, sizeof *sc->part, by_doc); /* the best of each entry first */
    next_epoch(&sc->epoch, sc->stamp, sc->ndocs);
    nc = 0;
    for (size_t i = 0; i < npart; i++) {
        uint32_t d = sc->part[i].doc;
        if (sc->stamp[d] == sc->epoch) continue;
        sc->stamp[d] = sc->epoch;
        sc->cand[nc++] = d;
        sc->acc[d] = sc->part[i].score;
        sc->weak[d] = sc->part[i].weak;
        sc->cnt[d] = 1;
    }
    /* three tiers, each below the one before, each keeping its order: every word in a name field, all
     * words but one in a name field, and entries some word matched only in prose */
    for (uint32_t i = 0; i < nfirst; i++) { /* the entries with every word, with their full score */
        uint32_t d = sc->first[i].doc;
        if (sc->stamp[d] != sc->epoch) {
            sc->stamp[d] = sc->epoch;
            sc->cand[nc++] = d;
        }
        sc->acc[d] = sc->first[i].score;
        sc->weak[d] = sc->first[i].weak;
        sc->cnt[d] = 2;
    }
    float prev_min = 0;
    int any_prev = 0;
    for (int tier = 0; tier < 3; tier++) {
        float tmax = 0, tmin = 0;
        int any = 0;
        for (uint32_t i = 0; i < nc; i++) {
            uint32_t d = sc->cand[i];
            int t = sc->weak[d] ? 2 : sc->cnt[d] == 2 ? 0 : 1;
            if (t != tier) continue;
            float v = sc->acc[d] + adjust(ix, sc, d);
            if (!any || v > tmax) tmax = v;
            if (!any || v < tmin) tmin = v;
            any = 1;
        }
        if (!any) continue;
        float shift = any_prev && tmax >= prev_min ? tmax - prev_min + 1.0f : 0;
        if (shift > 0)
            for (uint32_t i = 0; i < nc; i++) {
                uint32_t d = sc->cand[i];
                if ((sc->weak[d] ? 2 : sc->cnt[d] == 2 ? 0 : 1) == tier) sc->acc[d] -= shift;
            }
        prev_min = tmin - shift;
        any_prev = 1;
    }
    return nc;
}

/* Runs the parsed query. Returns the number of matches, which are in sc->cand with their scores in
 * sc->acc. When fewer than FILL_MIN entries match every word, the word with the most postings (the least
 * telling one) is dropped and the entries that match the others follow those that match them all (their
 * scores shifted below). When none matches them all: the entries that match the most words, when the
 * postings are short (MOST_BUDGET); else words are dropped that way until some entry matches. The
 * answer does not depend on the page asked for, so pages of one query agree. */
static uint32_t evaluate(const psy_search *ix, struct psy__sscratch *sc, const struct filter *f)
{
    if (sc->nslots == 0) return 0;
    scratch_arrays(sc);
    uint32_t nc = match_all(ix, sc, f);
    uint32_t dur = duration_slots(sc->slots, sc->nslots);
    if (dur && (uint32_t)__builtin_popcount(dur) < sc->nslots) {
        /* a duration ("60 min") qualifies what is asked for: the other words decide, and the entries
         * that also have the duration gain DURATION_MATCH ("grp therapy 60 min": group psychotherapy,
         * which has no time, before a code that mentions group therapy and 60 minutes in passing) */
        grow_scored(&sc->first, &sc->firstcap, nc);
        for (uint32_t i = 0; i < nc; i++)
            sc->first[i] = (struct scored){sc->acc[sc->cand[i]], sc->cand[i], sc->weak[sc->cand[i]]};
        uint32_t nfull = nc;
        struct qslot all[MAX_SLOTS];
        uint32_t ns = sc->nslots, o = 0;
        memcpy(all, sc->slots, ns * sizeof *all);
        for (uint32_t j = 0; j < ns; j++)
            if (!(dur >> j & 1)) sc->slots[o++] = all[j];
        sc->nslots = o;
        uint32_t rest = match_all(ix, sc, f);
        long mins = duration_minutes(all, ns, dur);
        if (rest) {
            /* each entry's place in first, in tmp (stamped): what the duration added to its score, up to
             * DURATION_MATCH, when it is in a name field (not only in prose: "38-52 minutes" in the
             * explainer of a 60-minute code) */
            next_epoch(&sc->epoch2, sc->stamp2, sc->ndocs);
            for (uint32_t i = 0; i < nfull; i++) {
                sc->stamp2[sc->first[i].doc] = sc->epoch2;
                sc->tmp[sc->first[i].doc] = (float)i;
            }
            /* scaled so that the most any entry gains is DURATION_MATCH, keeping their order */
            float most = 0;
            for (int pass = 0; pass < 2; pass++)
                for (uint32_t i = 0; i < rest; i++) {
                    uint32_t d = sc->cand[i];
                    if (sc->stamp2[d] != sc->epoch2) continue;
                    const struct scored *full = &sc->first[(uint32_t)sc->tmp[d]];
                    float more = full->score - sc->acc[d];
                    if (full->weak > sc->weak[d] || more <= 0) continue;
                    if (pass == 0 && more > most) most = more;
                    /* a code whose minutes hold the duration has DURATION_MATCH below: its text only
                     * breaks ties ("fam therapy w/ pt 50 min": 90847, whose title reads about 50, first) */
                    float gain = DURATION_MATCH * more / most;
                    /* an entry that has the other words only in its prose gains nothing from the
                     * duration ("psychotherapy 40 min": not 99215, whose title reads 40+) */
                    if (pass == 1 && !sc->weak[d])
                        sc->acc[d] += band_holds(ix, all, ns, d, mins) ? DURATION_TIE * gain : gain;
                }
            /* a time-based code whose minutes hold the duration has it, whatever its text says
             * ("psychotherapy 40 min": 90834, 38 to 52 minutes, before a code that reads 40) */
            for (uint32_t i = 0; mins >= 0 && i < rest; i++)
                if (!sc->weak[sc->cand[i]] && band_holds(ix, all, ns, sc->cand[i], mins))
                    sc->acc[sc->cand[i]] += DURATION_MATCH;
            nc = rest;
            if (sc->name_lo == sc->name_hi) { /* the other words may name an entry: "grp therapy" */
                struct qslot byc[MAX_SLOTS];
                memcpy(byc, sc->slots, o * sizeof *byc);
                for (uint32_t a = 1; a < o; a++) /* query order, for find_names */
                    for (uint32_t b = a; b > 0 && sc->slots[b - 1].pos > sc->slots[b].pos; b--) {
                        struct qslot t = sc->slots[b];
                        sc->slots[b] = sc->slots[b - 1];
                        sc->slots[b - 1] = t;
                    }
                find_names(ix, sc, sc->dropped);
                memcpy(sc->slots, byc, o * sizeof *byc);
            }
        } else {
            memcpy(sc->slots, all, ns * sizeof *all);
            sc->nslots = ns;
            nc = match_all(ix, sc, f);
        }
    }
    if (nc == 0 && sc->nslots > 1) {
        uint64_t cost = 0;
        for (uint32_t k = 0; k < sc->nslots; k++) cost += sc->slots[k].cost;
        if (cost <= MOST_BUDGET) return with_names(ix, sc, match_most(ix, sc, f));
    }
    while (nc == 0 && sc->nslots > 1) {
        sc->nslots--; /* slots are in increasing cost: the last one goes */
        nc = match_all(ix, sc, f);
    }
    uint32_t strong = 0;
    for (uint32_t i = 0; i < nc && strong < FILL_MIN; i++) strong += !sc->weak[sc->cand[i]];
    if (nc && strong < FILL_MIN && sc->nslots > 1) nc = fill_dropped(ix, sc, f, nc);
    if (sc->nslots == 1 && sc->slots[0].ncx) { /* a code: the entries it is or starts, not those that mention it */
        uint32_t keep = 0;
        for (uint32_t i = 0; i < nc; i++)
            if (code_score(ix, &sc->slots[0], sc->cand[i]) >= 0) sc->cand[keep++] = sc->cand[i];
        nc = keep;
    }
    return with_names(ix, sc, nc);
}

/* --- kept answers of one-word queries with long postings ------------------------------------------------ */

uint64_t psy__search_word_cost(const psy_search *ix, struct psy__sscratch *sc, const char *word, size_t n, int prefix,
                               uint64_t *range)
{
    parse(ix, sc, word, n, prefix);
    *range = 0;
    if (sc->nslots != 1) return 0;
    const struct qslot *s = &sc->slots[0];
    if (s->nt == 0 && s->ncx == 0 && !s->code_prefix && s->prefix && sc->name_lo == sc->name_hi)
        *range = (uint64_t)s->lo << 32 | s->hi;
    return s->cost;
}

/* Computes the kept answer of the one-slot query in sc (no filters). */
static struct psy__sanswer *compute_answer(const psy_search *ix, struct psy__sscratch *sc)
{
    struct psy__sanswer *a = psy__calloc(1, sizeof *a);
    uint32_t nc = evaluate(ix, sc, NULL);
    for (uint32_t i = 0; i < nc; i++) {
        const struct psy__sdoc *d = &ix->docs[sc->cand[i]];
        a->count[d->system][d->billable]++;
    }
    a->n = (uint32_t)top_k(ix, sc, nc, PSY__KEEP);
    for (uint32_t i = 0; i < a->n; i++) {
        a->doc[i] = sc->heap[i].doc;
        a->score[i] = sc->heap[i].score;
    }
    return a;
}

/* Answers a one-slot query from its kept answer (computing and keeping it the first time) when the
 * answer covers the page asked for; returns 1 + the number of hits put in sc->heap, or 0 when the
 * query must be run in full. */
static int from_kept(const psy_search *ix, struct psy__sscratch *sc, const struct filter *f, size_t want,
                     size_t *total)
{
    const struct qslot *s = &sc->slots[0];
    char key[PSY__SWORD_MAX + 3];
    key[0] = s->prefix ? 'p' : 'c';
    key[1] = ':';
    memcpy(key + 2, s->word, s->wlen);
    uint32_t i = psy__stab_find(&ix->pre_tab, ix->pre_pool.p, ix->pre_off, key, s->wlen + 2u,
                                psy__stab_hash(key, s->wlen + 2u));
    if (i == UINT32_MAX) return 0;
    _Atomic(struct psy__sanswer *) *slot = &ix->answers[ix->pre_slot[i]];
    struct psy__sanswer *a = atomic_load_explicit(slot, memory_order_acquire);
    if (!a) { /* first time: compute it; if another thread was faster, use its (identical) answer */
        struct psy__sanswer *mine = compute_answer(ix, sc), *none = NULL;
        if (atomic_compare_exchange_strong_explicit(slot, &none, mine, memory_order_acq_rel, memory_order_acquire))
            a = mine;
        else {
            free(mine);
            a = none;
        }
    }
    size_t all = 0, matching = 0;
    for (int sys = 0; sys < PSY_SYS_COUNT; sys++)
        for (int b = 0; b < 2; b++) {
            all += a->count[sys][b];
            if ((f->system == PSY_SYS_COUNT || f->system == sys) && (b || !f->billable)) matching += a->count[sys][b];
        }
    if (want > sc->heapcap) {
        sc->heapcap = want;
        sc->heap = psy__realloc(sc->heap, want * sizeof *sc->heap);
    }
    size_t n = 0;
    for (uint32_t j = 0; j < a->n && n < want; j++)
        if (passes(ix, f, a->doc[j])) sc->heap[n++] = (struct scored){a->score[j], a->doc[j], 0};
    if (n < want && all > a->n) return 0; /* the page reaches past what is kept */
    *total = matching;
    return (int)(n + 1);
}

/* --- the query ------------------------------------------------------------------------------------------ */

psy_status psy_search_check(const char *query)
{
    if (!query) return PSY_EINVAL;
    size_t len = strnlen(query, PSY_SEARCH_QUERY_MAX + 1);
    if (len > PSY_SEARCH_QUERY_MAX) return PSY_ETOOBIG;
    return psy__utf8_valid(query, len) ? PSY_OK : PSY_EINVAL;
}

/* Whether the best entry is a close match: no English word of the query matched nothing, and every word
 * matched the entry by itself, its forms, a rewrite, a code or as the fix of a non-word, in a name field
 * (title, other title, synonyms; not only in explainer prose), weighing at least CLOSE_SLOT of what the
 * word can weigh (its idf). Anything less is a suggestion. */
static int close_match(const psy_search *ix, struct psy__sscratch *sc, uint32_t doc)
{
    if (sc->dropped || sc->nparsed == 0) return 0;
    const struct psy__sdoc *d = &ix->docs[doc];
    char c0 = ix->pool.p[d->ncode];
    /* external causes (V00-Y99) are never a first-listed diagnosis (ICD-10-CM Official Guidelines,
     * I.C.20); HCPCS supplies, equipment, orthotics, vision and hearing products are not services */
    if (d->system == PSY_SYS_ICD10CM && c0 >= 'v' && c0 <= 'y') return 0;
    if (d->system == PSY_SYS_HCPCS && d->ncode_len > 1 && strchr("abeklv", c0)) return 0;
    /* a duration the entry's minutes hold is matched, whatever its text says */
    uint32_t dur = duration_slots(sc->slots, sc->nparsed);
    if (!band_holds(ix, sc->slots, sc->nparsed, doc, duration_minutes(sc->slots, sc->nparsed, dur))) dur = 0;
    for (uint32_t k = 0; k < sc->nparsed; k++) {
        const struct qslot *s = &sc->slots[k];
        if (dur >> k & 1) continue;
        if (!s->sure) return 0;
        uint8_t name;
        float v = fwd_score(ix, sc, s, doc, &name);
        if (v < 0 || !name) return 0;
        if (s->ncx || s->code_prefix) {
            if (code_score(ix, s, doc) >= 0) continue;
        }
        /* what the word can weigh: the idf its terms share (the smaller, when it also has completions) */
        float idf = s->nt ? s->shared_idf : s->range_idf;
        if (s->nt && s->lo < s->hi && s->range_idf < idf) idf = s->range_idf;
        if (v < CLOSE_SLOT * idf) return 0;
    }
    return 1;
}

psy_status psy_search_query(const psy_search *ix, const char *query, const psy_search_opts *o,
                            psy_search_hit *hits, size_t cap, size_t *n_hits, size_t *total)
{
    psy_search_info info;
    psy_status rc = psy_search_run(ix, query, o, hits, cap, n_hits, &info);
    if (total) *total = info.total;
    return rc;
}

psy_status psy_search_run(const psy_search *ix, const char *query, const psy_search_opts *o, psy_search_hit *hits,
                          size_t cap, size_t *n_hits, psy_search_info *info)
{
    *n_hits = 0;
    memset(info, 0, sizeof *info);
    size_t *total = &info->total;
    psy_status rc = psy_search_check(query);
    if (rc) return rc;
    if (!ix) return PSY_EINVAL;
    size_t len = strlen(query);
    struct filter f = {PSY_SYS_COUNT, 0};
    size_t limit = cap, offset = 0;
    if (o) {
        if ((unsigned)o->system > PSY_SYS_COUNT) return PSY_EINVAL;
        f.system = (int)o->system;
        f.billable = o->billable_only != 0;
        if (o->limit && o->limit < limit) limit = o->limit;
        offset = o->offset;
    }
    if (limit == 0 || !hits) limit = 0;
    struct psy__sscratch *sc = psy__sscratch_get(ix);
    parse(ix, sc, query, len, psy__search_ends_in_word(query, len));
    size_t want = limit == 0 ? 0 : offset + limit < offset ? SIZE_MAX : offset + limit, n = 0, matches = 0;
    if (want > ix->ndocs) want = ix->ndocs; /* hits wanted, counting those skipped by the offset */
    int kept = sc->nslots == 1 ? from_kept(ix, sc, &f, want, &matches) : 0;
    if (kept) n = (size_t)kept - 1;
    else if (sc->nslots) {
        uint32_t nc = evaluate(ix, sc, &f);
        matches = nc;
        n = top_k(ix, sc, nc, want);
    }
    for (size_t i = offset; i < n; i++) {
        const struct psy__sdoc *d = &ix->docs[sc->heap[i].doc];
        psy_search_hit *h = &hits[*n_hits];
        h->system = (psy_system)d->system;
        h->code = ix->pool.p + d->code;
        h->title = ix->pool.p + d->title;
        h->billable = d->billable;
        h->score = sc->heap[i].score;
        (*n_hits)++;
    }
    *total = matches;
    if (n > 0) {
        scratch_arrays(sc);
        info->close = close_match(ix, sc, sc->heap[0].doc);
    }
    info->system = sc->want_boost >= WANT_SYSTEM ? (psy_system)sc->want_sys : PSY_SYS_COUNT;
    psy__sscratch_put(ix, sc);
    return PSY_OK;
}
