/*
 * search_index.c -- builds the search index from a store, in one pass over the catalog table: every
 * entry's title, other title, synonyms and explainer-page prose become words (search_text.c), each word
 * is interned once, and per entry the words are counted by field. Then the entries are put in (system,
 * code) order, the words in byte order, and the posting and forward lists are filled with each word's
 * BM25F weight in each entry, so a query only adds precomputed numbers.
 *
 * Also owns: the clinical phrase groups of data/search/synonyms.json (an entry whose text holds one
 * phrase of a group is indexed under the words of the others, so "PTSD" finds "post-traumatic stress
 * disorder" and the other way round), the code list for code and code-prefix look-ups, the deletion
 * tables for typo look-ups, and the slots for the answers of one-word queries with long postings.
 */
#include <jansson.h>
#include <libstemmer.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "psy_db.h"
#include "search_int.h"

/* BM25F: saturation, and weight and length normalisation per field (title, other title, synonyms,
 * explainer text). */
#define BM25_K1 1.2f
static const float field_weight[PSY__SF_COUNT] = {3.0f, 1.0f, 2.0f, 0.5f};
static const float field_b[PSY__SF_COUNT] = {0.75f, 0.5f, 0.0f, 0.75f}; /* synonyms are aliases: no length norm */

/* Static boosts (see docs/search.md): added to every score of the entry. */
#define BOOST_BILLABLE 1.0f
#define BOOST_CURATED 2.0f   /* entries the project describes: synonyms or an explainer page */
#define BOOST_FAMILY 1.0f    /* the psychotherapy family, CPT 90785-90899 */
#define BOOST_MENTAL 0.4f    /* ICD-10-CM chapter F; HCPCS H codes (behavioural health services) */
#define BOOST_PRODUCT (-1.5f) /* HCPCS supplies, equipment, orthotics, vision and hearing products */
#define BOOST_ENDED (-1.5f)  /* codes with an end date */
#define BOOST_DEFAULT 0.8f   /* billable ICD-10-CM codes titled unspecified / uncomplicated */
#define BOOST_ADDON (-0.5f)  /* add-on codes rank below the primary codes they ride on */

/* Sizing from the row count (grown if short). */
#define ENTRIES_PER_DOC 10
#define POOL_PER_DOC 112

/* One-word queries whose postings exceed this keep their answer (computed the first time asked). */
#define PRE_COST 8000

void *psy__sx_alloc(psy_search *ix, size_t n)
{
    ix->bytes += n;
    return psy__malloc(n);
}

void *psy__sx_calloc(psy_search *ix, size_t n, size_t size)
{
    ix->bytes += n * size;
    return psy__calloc(n, size);
}

/* --- the builder ------------------------------------------------------------------------------------ */

struct kv {
    uint64_t key;
    uint32_t val;
};

struct btok {
    uint32_t term, cls;
    uint8_t field, compound;
};

/* A phrase of synonyms.json, as stem classes; finding it in an entry adds the words of its group. */
struct phrase {
    uint32_t group, next;     /* next trigger phrase with the same first class, or UINT32_MAX */
    uint32_t cls_first, ncls; /* into b->pcls */
};

struct builder {
    psy_search *ix;
    struct sb_stemmer *sb;
    /* raw word -> term (UINT32_MAX for a stop word) */
    struct psy__spool wpool;
    uint32_t *woff, *wterm, nw, wcap;
    struct psy__stab wtab;
    /* terms in the order met; seen_doc / seen_at: the entry (+1) that last counted it, and where */
    uint32_t *toff, *tclass, *seen_doc, *seen_at, nt, tcap;
    struct psy__stab ttab;
    /* stem classes */
    uint32_t *coff, ncls, ccap;
    /* entries: ix->docs (in the order read), their field lengths, and their (term, counts) pairs
     * written straight into ix->fwd_term / ix->fwd_imp */
    uint32_t dcap;
    uint16_t (*len)[PSY__SF_COUNT];
    size_t ne, ecap;
    /* tokens of the entry being read */
    struct btok *toks;
    size_t ntok, tokcap;
    uint8_t field;
    /* synonym groups: phrases, words to add per group, trigger phrases by first class */
    struct phrase *ph;
    uint32_t nph, phcap;
    uint32_t *pcls, npcls, pclscap;
    uint32_t *gfirst, *gterms, ngroups, ngterms, gcap, gtcap;
    uint32_t *rule_head, nrule;
    uint8_t *gseen;
    uint32_t w_unspecified, w_uncomplicated, w_without, w_complications; /* terms of plain titles */
    /* names: (hash, doc as read) */
    struct kv *names;
    size_t nnames, namecap;
    size_t peak;
};

static void grow(void **p, uint32_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return;
    size_t c = *cap ? *cap : 1024;
    while (c < need) c *= 2;
    *p = psy__realloc(*p, c * size);
    *cap = (uint32_t)c;
}

static uint32_t intern_class(struct builder *b, const char *stem, size_t n)
{
    psy_search *ix = b->ix;
    uint32_t h = psy__stab_hash(stem, n);
    uint32_t c = psy__stab_find(&ix->class_tab, ix->pool.p, b->coff, stem, n, h);
    if (c != UINT32_MAX) return c;
    grow((void **)&b->coff, &b->ccap, b->ncls + 1, sizeof *b->coff);
    b->coff[b->ncls] = psy__spool_add(&ix->pool, stem, n);
    psy__stab_put(&ix->class_tab, h, b->ncls);
    return b->ncls++;
}

static uint32_t intern_term(struct builder *b, const char *w, size_t n)
{
    psy_search *ix = b->ix;
    uint32_t h = psy__stab_hash(w, n);
    uint32_t t = psy__stab_find(&b->ttab, ix->pool.p, b->toff, w, n, h);
    if (t != UINT32_MAX) return t;
    if (b->nt + 1 > b->tcap) {
        uint32_t cap = b->tcap;
        grow((void **)&b->toff, &cap, b->nt + 1, sizeof *b->toff);
        cap = b->tcap;
        grow((void **)&b->seen_doc, &cap, b->nt + 1, sizeof *b->seen_doc);
        cap = b->tcap;
        grow((void **)&b->seen_at, &cap, b->nt + 1, sizeof *b->seen_at);
        grow((void **)&b->tclass, &b->tcap, b->nt + 1, sizeof *b->tclass);
    }
    b->seen_doc[b->nt] = 0;
    b->toff[b->nt] = psy__spool_add(&ix->pool, w, n);
    char stem[PSY__SWORD_MAX + 1];
    size_t sn = psy__search_stem(b->sb, w, n, stem);
    b->tclass[b->nt] = intern_class(b, stem, sn);
    psy__stab_put(&b->ttab, h, b->nt);
    return b->nt++;
}

/* The term a word of catalog text counts as (after the lexicon), or UINT32_MAX for a stop word; h is
 * psy__stab_hash of the word. */
static uint32_t word_term_h(struct builder *b, const char *w, size_t n, uint32_t h)
{
    uint32_t id = psy__stab_find(&b->wtab, b->wpool.p, b->woff, w, n, h);
    if (id != UINT32_MAX) return b->wterm[id];
    const char *to = w;
    size_t tolen = n;
    int kind = psy__lexicon_get(&b->ix->lex, w, n, &to, &tolen);
    uint32_t t = kind == 1 ? UINT32_MAX : intern_term(b, to, tolen);
    if (b->nw + 1 > b->wcap) {
        uint32_t cap = b->wcap;
        grow((void **)&b->woff, &cap, b->nw + 1, sizeof *b->woff);
        grow((void **)&b->wterm, &b->wcap, b->nw + 1, sizeof *b->wterm);
    }
    b->woff[b->nw] = psy__spool_add(&b->wpool, w, n);
    b->wterm[b->nw] = t;
    psy__stab_put(&b->wtab, h, b->nw);
    b->nw++;
    return t;
}

static uint32_t word_term(struct builder *b, const char *w, size_t n)
{
    return word_term_h(b, w, n, psy__stab_hash(w, n));
}

static void push_tok(struct builder *b, uint32_t t, uint8_t field, uint8_t compound)
{
    if (b->ntok == b->tokcap) {
        b->tokcap = b->tokcap ? b->tokcap * 2 : 256;
        b->toks = psy__realloc(b->toks, b->tokcap * sizeof *b->toks);
    }
    b->toks[b->ntok++] = (struct btok){t, b->tclass[t], field, compound};
    uint16_t *len = &b->len[b->ix->ndocs][field];
    if (!compound && *len < UINT16_MAX) (*len)++;
}

static void on_word(void *ud, const char *w, size_t n, int flags)
{
    struct builder *b = ud;
    uint32_t t = word_term_h(b, w, n, psy__stab_hash_padded(w, n));
    if (t != UINT32_MAX) push_tok(b, t, b->field, (flags & PSY__SW_COMPOUND) != 0);
}

static void add_text(struct builder *b, int field, const char *text, size_t n)
{
    b->field = (uint8_t)field;
    psy__search_words(text, n, 1, on_word, b);
}

/* Records the tokens from `from` on as one name of the entry being read (its title or a synonym), so
 * that a query naming it exactly can be recognised. */
static void add_name(struct builder *b, size_t from)
{
    uint32_t cls[32];
    size_t n = 0;
    for (size_t i = from; i < b->ntok && n < 32; i++)
        if (!b->toks[i].compound) cls[n++] = b->toks[i].cls;
    uint32_t h = psy__search_name_hash(cls, n);
    if (!h) return;
    if (b->nnames == b->namecap) {
        b->namecap = b->namecap ? b->namecap * 2 : (size_t)b->dcap + 1024;
        b->names = psy__realloc(b->names, b->namecap * sizeof *b->names);
    }
    b->names[b->nnames++] = (struct kv){h, b->ix->ndocs};
}

/* --- synonym groups ---------------------------------------------------------------------------------- */

struct phrase_words {
    struct builder *b;
    uint32_t terms[16], n;
};

static void on_phrase_word(void *ud, const char *w, size_t n, int flags)
{
    struct phrase_words *pw = ud;
    if (flags & PSY__SW_COMPOUND) return;
    uint32_t t = word_term(pw->b, w, n);
    if (t != UINT32_MAX && pw->n < 16) pw->terms[pw->n++] = t;
}

/* Adds one phrase to group g: its words join the group's words; a trigger phrase is looked for in the
 * entries. Returns 0 when the phrase has no word to match. */
static int add_phrase(struct builder *b, uint32_t g, const char *text, int trigger)
{
    struct phrase_words pw = {b, {0}, 0};
    psy__search_words(text, strlen(text), 0, on_phrase_word, &pw);
    if (pw.n == 0) return 0;
    for (uint32_t k = 0; k < pw.n; k++) {
        uint32_t j = b->gfirst[g];
        while (j < b->ngterms && b->gterms[j] != pw.terms[k]) j++;
        if (j == b->ngterms) {
            grow((void **)&b->gterms, &b->gtcap, b->ngterms + 1, sizeof *b->gterms);
            b->gterms[b->ngterms++] = pw.terms[k];
        }
    }
    if (!trigger) return 1;
    grow((void **)&b->ph, &b->phcap, b->nph + 1, sizeof *b->ph);
    grow((void **)&b->pcls, &b->pclscap, b->npcls + pw.n, sizeof *b->pcls);
    b->ph[b->nph++] = (struct phrase){g, UINT32_MAX, b->npcls, pw.n};
    for (uint32_t k = 0; k < pw.n; k++) b->pcls[b->npcls++] = b->tclass[pw.terms[k]];
    return 1;
}

static uint32_t new_group(struct builder *b)
{
    grow((void **)&b->gfirst, &b->gcap, b->ngroups + 2, sizeof *b->gfirst);
    b->gfirst[b->ngroups] = b->ngterms;
    return b->ngroups++;
}

/* data/search/everyday.json: how people say a condition ("say") and the clinical wording of the titles it
 * means ("means"); every entry holding a "means" phrase is also found by the words of the "say" phrases. */
static psy_status load_everyday(struct builder *b, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loads(psy_data_get("search/everyday.json", NULL), 0, &je);
    json_t *list = json_object_get(root, "phrases"), *sources = json_object_get(root, "sources");
    if (!json_is_array(list) || !json_is_object(sources)) {
        snprintf(err, errlen, "search/everyday.json: needs \"phrases\" (a list) and \"sources\"");
        json_decref(root);
        return PSY_EPARSE;
    }
    size_t i, k;
    json_t *e, *p;
    psy_status rc = PSY_OK;
    json_array_foreach(list, i, e)
    {
        json_t *say = json_object_get(e, "say"), *means = json_object_get(e, "means");
        const char *src = json_string_value(json_object_get(e, "source"));
        int ok = json_is_array(say) && json_array_size(say) > 0 && json_is_array(means) &&
                 json_array_size(means) > 0 && src && json_object_get(sources, src);
        uint32_t id = new_group(b);
        json_array_foreach(say, k, p) ok = ok && json_is_string(p) && add_phrase(b, id, json_string_value(p), 0);
        json_array_foreach(means, k, p) ok = ok && json_is_string(p) && add_phrase(b, id, json_string_value(p), 1);
        b->gfirst[id + 1] = b->ngterms;
        if (!ok) {
            snprintf(err, errlen,
                     "search/everyday.json: phrase %zu needs \"say\" and \"means\" (lists of phrases with words) and "
                     "a \"source\" named in \"sources\"",
                     i + 1);
            rc = PSY_EPARSE;
            break;
        }
    }
    json_decref(root);
    return rc;
}

static psy_status load_groups(struct builder *b, char *err, size_t errlen)
{
    json_t *root = json_loads(psy_data_get("search/synonyms.json", NULL), 0, NULL);
    json_t *groups = json_object_get(root, "groups"), *oneway = json_object_get(root, "one_way");
    psy_status rc = PSY_OK;
    if (!json_is_array(groups) || !json_is_object(oneway)) {
        snprintf(err, errlen, "search/synonyms.json: needs \"groups\" (lists of phrases) and \"one_way\"");
        json_decref(root);
        return PSY_EPARSE;
    }
    size_t gi, pi;
    json_t *g, *p;
    json_array_foreach(groups, gi, g)
    {
        uint32_t id = new_group(b);
        if (!json_is_array(g) || json_array_size(g) < 2) rc = PSY_EPARSE;
        json_array_foreach(g, pi, p) if (!json_is_string(p) || !add_phrase(b, id, json_string_value(p), 1)) rc =
            PSY_EPARSE;
        b->gfirst[id + 1] = b->ngterms;
        if (rc) {
            snprintf(err, errlen, "search/synonyms.json: group %zu must list two phrases or more, each with a word",
                     gi + 1);
            break;
        }
    }
    const char *key;
    json_object_foreach(oneway, key, g)
    {
        if (rc) break;
        uint32_t id = new_group(b);
        if (!add_phrase(b, id, key, 0) || !json_is_array(g) || json_array_size(g) < 1) rc = PSY_EPARSE;
        json_array_foreach(g, pi, p) if (!json_is_string(p) || !add_phrase(b, id, json_string_value(p), 1)) rc =
            PSY_EPARSE;
        b->gfirst[id + 1] = b->ngterms;
        if (rc) snprintf(err, errlen, "search/synonyms.json: one_way \"%s\" must list phrases with words", key);
    }
    json_decref(root);
    if (!rc) rc = load_everyday(b, err, errlen);
    if (rc) return rc;
    b->nrule = b->ncls; /* every phrase class exists by now */
    b->rule_head = psy__malloc((b->nrule ? b->nrule : 1) * sizeof *b->rule_head);
    memset(b->rule_head, 0xff, (b->nrule ? b->nrule : 1) * sizeof *b->rule_head);
    for (uint32_t i = b->nph; i-- > 0;) {
        uint32_t c = b->pcls[b->ph[i].cls_first];
        b->ph[i].next = b->rule_head[c];
        b->rule_head[c] = i;
    }
    b->gseen = psy__calloc(b->ngroups ? b->ngroups : 1, 1);
    return PSY_OK;
}

/* Finds the groups whose trigger phrases occur in the entry (within one field, in order, stop words
 * skipped) and adds the group's words the entry does not have yet to its synonym field (to its prose
 * field when the phrase was found in the explainer prose). */
static void expand_groups(struct builder *b)
{
    size_t n = b->ntok;
    uint32_t hit[16], nhit = 0;
    uint8_t where[16];
    for (size_t i = 0; i < n; i++) {
        const struct btok *tk = &b->toks[i];
        if (tk->compound || tk->cls >= b->nrule) continue;
        for (uint32_t r = b->rule_head[tk->cls]; r != UINT32_MAX; r = b->ph[r].next) {
            const struct phrase *p = &b->ph[r];
            if (b->gseen[p->group]) continue;
            size_t j = i, k = 0;
            while (k < p->ncls && j < n) {
                if (b->toks[j].compound) {
                    j++;
                    continue;
                }
                if (b->toks[j].field != tk->field || b->toks[j].cls != b->pcls[p->cls_first + k]) break;
                j++;
                k++;
            }
            if (k == p->ncls && nhit < 16) {
                b->gseen[p->group] = 1;
                where[nhit] = tk->field;
                hit[nhit++] = p->group;
            }
        }
    }
    for (uint32_t h = 0; h < nhit; h++) {
        uint32_t g = hit[h];
        b->gseen[g] = 0;
        for (uint32_t j = b->gfirst[g]; j < b->gfirst[g + 1]; j++) {
            uint32_t t = b->gterms[j];
            size_t k = 0;
            while (k < b->ntok && b->toks[k].term != t) k++;
            /* found in the explainer prose: as weak as that; elsewhere: a synonym */
            if (k == b->ntok) push_tok(b, t, where[h] == PSY__SF_TEXT ? PSY__SF_TEXT : PSY__SF_SYN, 0);
        }
    }
}

/* Counts the entry's tokens per term and field into its forward list (term, packed counts), in the
 * order the terms first appear; seen_doc / seen_at find a term already counted for this entry. */
static void flush_doc(struct builder *b, struct psy__sdoc *d)
{
    psy_search *ix = b->ix;
    expand_groups(b);
    d->fwd = (uint32_t)b->ne;
    uint32_t stamp = ix->ndocs + 1;
    for (size_t i = 0; i < b->ntok; i++) {
        uint32_t t = b->toks[i].term, e, packed;
        if (b->seen_doc[t] == stamp)
            e = b->seen_at[t];
        else {
            if (b->ne - d->fwd == UINT16_MAX) continue; /* longer texts keep their first 65535 words */
            if (b->ne == b->ecap) {
                b->ecap *= 2;
                ix->fwd_term = psy__realloc(ix->fwd_term, b->ecap * sizeof *ix->fwd_term);
                ix->fwd_imp = psy__realloc(ix->fwd_imp, b->ecap * sizeof *ix->fwd_imp);
            }
            e = (uint32_t)b->ne++;
            b->seen_doc[t] = stamp;
            b->seen_at[t] = e;
            ix->fwd_term[e] = t;
            packed = 0;
            memcpy(&ix->fwd_imp[e], &packed, sizeof packed); /* counts now, the weight later */
        }
        memcpy(&packed, &ix->fwd_imp[e], sizeof packed);
        unsigned f = b->toks[i].field, c = (packed >> (8 * f)) & 0xff;
        if (c < (f == PSY__SF_SYN ? 1u : 255u)) packed += 1u << (8 * f); /* synonyms are aliases: once */
        memcpy(&ix->fwd_imp[e], &packed, sizeof packed);
    }
    d->nfwd = (uint16_t)(b->ne - d->fwd);
    b->ntok = 0;
}

/* --- reading the store ------------------------------------------------------------------------------ */

struct pages {
    struct psy__spool pool;
    uint32_t *key, *text, n, cap;
    struct psy__stab tab;
};

static psy_status read_pages(psy_store *st, struct pages *pg)
{
    psy__stmt *s = psy__db_stmt(st, "SELECT system, code, body FROM code_page", PSY_NOARGS);
    if (!s) return psy__store_dbfail(st, "search: reading explainer pages");
    struct psy__buf text = {0};
    int rc;
    while ((rc = psy__sql_step(s)) == PSY_SQL_ROW) {
        char key[64];
        int kn = snprintf(key, sizeof key, "%s:%s", psy__sql_text(s, 0), psy__sql_text(s, 1));
        if (kn <= 0 || (size_t)kn >= sizeof key) continue;
        text.n = 0;
        psy__buf_puts(&text, "");
        psy__catalog_page_text(psy__sql_text(s, 2), &text);
        grow((void **)&pg->key, &pg->cap, pg->n + 1, sizeof *pg->key);
        pg->text = psy__realloc(pg->text, pg->cap * sizeof *pg->text);
        pg->key[pg->n] = psy__spool_add(&pg->pool, key, (size_t)kn);
        pg->text[pg->n] = psy__spool_add(&pg->pool, text.p, text.n);
        psy__stab_put(&pg->tab, psy__stab_hash(key, (size_t)kn), pg->n);
        pg->n++;
    }
    psy__buf_free(&text);
    psy__sql_finalize(s);
    return rc == PSY_SQL_DONE ? PSY_OK : psy__store_dbfail(st, "search: reading explainer pages");
}

/* The ICD-10-CM index terms of each code (code_term, from psyclaim import icd10cm-index), joined into one
 * text per code, in the same table as the pages. */
static psy_status read_terms(psy_store *st, struct pages *pg)
{
    psy__stmt *s = psy__db_stmt(st, "SELECT system, code, term FROM code_term ORDER BY system, code", PSY_NOARGS);
    if (!s) return psy__store_dbfail(st, "search: reading index terms");
    struct psy__buf text = {0};
    char key[64], cur[64] = "";
    size_t curn = 0;
    int rc;
    for (;;) {
        rc = psy__sql_step(s);
        int kn = 0;
        if (rc == PSY_SQL_ROW) kn = snprintf(key, sizeof key, "%s:%s", psy__sql_text(s, 0), psy__sql_text(s, 1));
        if (rc == PSY_SQL_ROW && (kn <= 0 || (size_t)kn >= sizeof key)) continue;
        if (curn && (rc != PSY_SQL_ROW || (size_t)kn != curn || memcmp(key, cur, curn) != 0)) {
            grow((void **)&pg->key, &pg->cap, pg->n + 1, sizeof *pg->key);
            pg->text = psy__realloc(pg->text, pg->cap * sizeof *pg->text);
            pg->key[pg->n] = psy__spool_add(&pg->pool, cur, curn);
            pg->text[pg->n] = psy__spool_add(&pg->pool, text.p, text.n);
            psy__stab_put(&pg->tab, psy__stab_hash(cur, curn), pg->n);
            pg->n++;
            curn = 0;
        }
        if (rc != PSY_SQL_ROW) break;
        if (!curn) {
            memcpy(cur, key, (size_t)kn);
            curn = (size_t)kn;
            text.n = 0;
            psy__buf_puts(&text, "");
        } else
            psy__buf_puts(&text, " | ");
        psy__buf_puts(&text, psy__sql_text(s, 2));
    }
    psy__buf_free(&text);
    psy__sql_finalize(s);
    return rc == PSY_SQL_DONE ? PSY_OK : psy__store_dbfail(st, "search: reading index terms");
}

/* The flattened page of (sys, code), or NULL. Keys are "system:code". */
static const char *page_of(const struct pages *pg, const char *sys, size_t nsys, const char *code, size_t ncode)
{
    char key[64];
    if (!pg->n || nsys + ncode + 1 >= sizeof key) return NULL;
    memcpy(key, sys, nsys);
    key[nsys] = ':';
    memcpy(key + nsys + 1, code, ncode);
    size_t kn = nsys + 1 + ncode;
    uint32_t i = psy__stab_find(&pg->tab, pg->pool.p, pg->key, key, kn, psy__stab_hash(key, kn));
    return i == UINT32_MAX ? NULL : pg->pool.p + pg->text[i];
}

/* A text column and its length. */
static const char *col(psy__stmt *s, int i, size_t *n)
{
    const char *p = psy__sql_text(s, i);
    *n = p ? strlen(p) : 0;
    return p ? p : "";
}

/* The system of a catalog row ("cpt", "hcpcs", "icd10cm", "modifier", "pos"). */
static int row_system(const char *name, size_t n, psy_system *sys)
{
    static const char *const names[PSY_SYS_COUNT] = {"cpt", "hcpcs", "icd10cm", "modifier", "pos"};
    for (int i = 0; i < PSY_SYS_COUNT; i++)
        if (name[0] == names[i][0] && strlen(names[i]) == n && memcmp(name, names[i], n) == 0) {
            *sys = (psy_system)i;
            return 0;
        }
    return psy_catalog_system_parse(name, sys);
}

/* 1 when the title words (the entry's first ntitle tokens) mark an ICD-10-CM code as the plain one of
 * its family, the code for a condition named without further detail: "unspecified", "uncomplicated",
 * "without complications". */
static int plain_title(const struct builder *b, size_t ntitle)
{
    for (size_t i = 0; i < ntitle; i++) {
        uint32_t t = b->toks[i].term;
        if (t == b->w_unspecified || t == b->w_uncomplicated) return 1;
        if (t == b->w_without && i + 1 < ntitle && b->toks[i + 1].term == b->w_complications) return 1;
    }
    return 0;
}

static float doc_boost(const struct psy__sdoc *d, const char *ncode, int curated, int addon, int ended,
                       int plain)
{
    float b = 0;
    if (plain && d->billable) b += BOOST_DEFAULT;
    if (d->billable) b += BOOST_BILLABLE;
    if (curated) b += BOOST_CURATED;
    if (addon) b += BOOST_ADDON;
    if (ended) b += BOOST_ENDED;
    if (d->system == PSY_SYS_CPT && d->ncode_len == 5 && strcmp(ncode, "90785") >= 0 && strcmp(ncode, "90899") <= 0)
        b += BOOST_FAMILY;
    if (d->system == PSY_SYS_ICD10CM && ncode[0] == 'f') b += BOOST_MENTAL;
    if (d->system == PSY_SYS_HCPCS && ncode[0] == 'h') b += BOOST_MENTAL;
    /* a practice bills services: products rank below services that match as well */
    if (d->system == PSY_SYS_HCPCS && ncode[1] && strchr("abeklv", ncode[0])) b += BOOST_PRODUCT;
    return b;
}

/* 1 when needle (lower case ASCII) occurs in hay[0..n), ignoring ASCII case. */
static int title_has(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++) {
        size_t j = 0;
        while (j < k && (hay[i + j] | 0x20) == needle[j]) j++;
        if (j == k) return 1;
    }
    return 0;
}

/* Words that name a code system, indexed with its entries ("modifier 25", "place of service 11"). */
static const char *const system_words[PSY_SYS_COUNT] = {"CPT", "HCPCS", NULL, "modifier", "place of service POS"};

/* Columns: system, code, short_title, long_title, billable, terminated, synonyms, source, addon. */
static void add_doc(struct builder *b, psy__stmt *s, const struct pages *pg, const struct pages *tm)
{
    psy_search *ix = b->ix;
    size_t nsys, ncode, nshort, nlong, nsyn, nsrc, nend;
    const char *sysname = col(s, 0, &nsys), *code = col(s, 1, &ncode), *shortt = col(s, 2, &nshort),
               *longt = col(s, 3, &nlong), *syn = col(s, 6, &nsyn), *src = col(s, 7, &nsrc);
    col(s, 5, &nend);
    psy_system sys;
    if (row_system(sysname, nsys, &sys) || ncode == 0 || ncode >= PSY_CODE_MAX) return;
    if (ix->ndocs + 1 > b->dcap) {
        uint32_t cap = b->dcap;
        grow((void **)&ix->docs, &cap, ix->ndocs + 1, sizeof *ix->docs);
        grow((void **)&b->len, &b->dcap, ix->ndocs + 1, sizeof *b->len);
    }
    struct psy__sdoc *d = &ix->docs[ix->ndocs];
    memset(d, 0, sizeof *d);
    memset(b->len[ix->ndocs], 0, sizeof b->len[0]);
    d->system = (uint8_t)sys;
    d->billable = psy__sql_int64(s, 4) != 0;
    d->code = psy__spool_add(&ix->pool, code, ncode);
    char nc[PSY_CODE_MAX];
    size_t k = 0;
    for (size_t i = 0; i < ncode; i++) {
        char c = code[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c | 0x20);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) nc[k++] = c;
    }
    d->ncode = psy__spool_add(&ix->pool, nc, k);
    d->ncode_len = (uint8_t)k;
    /* The title shown: the official wording when the entry came from an official file or is
     * ICD-10-CM, else the project's short name (its long text is an explanation). */
    int official = sys == PSY_SYS_ICD10CM || (nsrc == 6 && memcmp(src, "import", 6) == 0);
    const char *title = official ? longt : shortt, *alt = official ? shortt : longt;
    size_t ntitle = official ? nlong : nshort, nalt = official ? nshort : nlong;
    if (ntitle == 0) {
        title = alt;
        ntitle = nalt;
        nalt = 0;
    }
    d->title = psy__spool_add(&ix->pool, title, ntitle);
    add_text(b, PSY__SF_TITLE, title, ntitle);
    size_t ntitle_toks = b->ntok;
    add_name(b, 0);
    /* ICD-10-CM short titles are abbreviations of the long ones: not worth indexing */
    if (sys != PSY_SYS_ICD10CM && nalt && !(nalt == ntitle && memcmp(alt, title, nalt) == 0))
        add_text(b, PSY__SF_ALT, alt, nalt);
    if (system_words[sys]) add_text(b, PSY__SF_ALT, system_words[sys], strlen(system_words[sys]));
    for (const char *p = syn, *end = syn + nsyn; p < end;) { /* synonyms are "|"-separated names */
        const char *bar = memchr(p, '|', (size_t)(end - p));
        if (!bar) bar = end;
        size_t from = b->ntok;
        add_text(b, PSY__SF_SYN, p, (size_t)(bar - p));
        add_name(b, from);
        p = bar + 1;
    }
    /* index terms: the words coders look codes up by, weighted as the other title (below title and synonyms) */
    const char *terms = page_of(tm, sysname, nsys, code, ncode);
    if (terms) add_text(b, PSY__SF_ALT, terms, strlen(terms));
    const char *page = page_of(pg, sysname, nsys, code, ncode);
    if (page) add_text(b, PSY__SF_TEXT, page, strlen(page));
    /* add-on: flagged in the catalog, or worded so in an official title (HCPCS: "each additional") */
    d->addon = psy__sql_int64(s, 8) != 0 || title_has(title, ntitle, "each additional") ||
               title_has(title, ntitle, "in addition to code for primary");
    d->boost = doc_boost(d, nc, nsyn > 0 || page != NULL, d->addon,  nend > 0,
                         sys == PSY_SYS_ICD10CM && plain_title(b, ntitle_toks));
    flush_doc(b, d);
    ix->ndocs++;
}

/* Entries are numbered in this order, and equal scores rank the lower number first: the order is fixed
 * so that every backend gives the same answers. */
#define CATALOG_ORDER " ORDER BY system, code"

static psy_status read_catalog(struct builder *b, psy_store *st)
{
    psy_search *ix = b->ix;
    struct pages pg = {0}, tm = {0};
    psy_status rc = read_pages(st, &pg);
    if (!rc) rc = read_terms(st, &tm);
    psy__stmt *s = NULL;
    /* sized from the row count, so that the big arrays are not copied as they grow */
    if (!rc && (s = psy__db_stmt(st, "SELECT count(*) FROM code", PSY_NOARGS)) && psy__sql_step(s) == PSY_SQL_ROW) {
        size_t rows = (size_t)psy__sql_int64(s, 0) + 1;
        b->dcap = (uint32_t)rows;
        ix->docs = psy__malloc(rows * sizeof *ix->docs);
        b->len = psy__malloc(rows * sizeof *b->len);
        b->ecap = rows * ENTRIES_PER_DOC;
        ix->fwd_term = psy__malloc(b->ecap * sizeof *ix->fwd_term);
        ix->fwd_imp = psy__malloc(b->ecap * sizeof *ix->fwd_imp);
        ix->pool.cap = rows * POOL_PER_DOC;
        ix->pool.p = psy__realloc(ix->pool.p, ix->pool.cap);
    }
    psy__sql_finalize(s);
    s = NULL;
    if (!rc && !(s = psy__db_stmt(st,
                                  "SELECT system, code, short_title, long_title, billable, terminated, "
                                  "synonyms, source, addon FROM code" CATALOG_ORDER,
                                  PSY_NOARGS)))
        rc = psy__store_dbfail(st, "search: reading the catalog");
    if (!rc) {
        int r;
        while ((r = psy__sql_step(s)) == PSY_SQL_ROW) add_doc(b, s, &pg, &tm);
        if (r != PSY_SQL_DONE) rc = psy__store_dbfail(st, "search: reading the catalog");
    }
    psy__sql_finalize(s);
    struct pages *both[2] = {&pg, &tm};
    for (int i = 0; i < 2; i++) {
        free(both[i]->pool.p);
        free(both[i]->key);
        free(both[i]->text);
        psy__stab_free(&both[i]->tab);
    }
    return rc;
}

/* --- ordering ------------------------------------------------------------------------------------------ */

/* LSD radix sort on the 64-bit keys (stable), with tmp as room for n more; bytes where every key agrees
 * are skipped. */
static void radix_sort(struct kv *a, size_t n, struct kv *tmp)
{
    if (n < 2) return;
    struct kv *src = a, *dst = tmp;
    for (int shift = 0; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++) count[((src[i].key >> shift) & 0xff) + 1]++;
        if (count[((src[0].key >> shift) & 0xff) + 1] == n) continue;
        for (int i = 0; i < 256; i++) count[i + 1] += count[i];
        for (size_t i = 0; i < n; i++) dst[count[(src[i].key >> shift) & 0xff]++] = src[i];
        struct kv *t = src;
        src = dst;
        dst = t;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
}

/* The first seven characters of a code, big-endian, for sorting. */
static uint64_t code_key7(const char *s)
{
    uint64_t k = 0;
    for (int i = 0; i < 7; i++) {
        k = k << 8 | (unsigned char)*s;
        if (*s) s++;
    }
    return k;
}

/* Runs of equal keys (codes longer than seven characters) are put in full order by insertion. */
static void order_long_codes(struct kv *a, size_t n, const psy_search *ix, int system_first)
{
    for (size_t i = 1; i < n; i++) {
        struct kv x = a[i];
        size_t j = i;
        while (j > 0 && a[j - 1].key == x.key) {
            const struct psy__sdoc *p = &ix->docs[a[j - 1].val], *q = &ix->docs[x.val];
            int c = system_first ? p->system - q->system : 0;
            if (!c) c = strcmp(ix->pool.p + p->ncode, ix->pool.p + q->ncode);
            if (!c) c = p->system - q->system;
            if (c <= 0) break;
            a[j] = a[j - 1];
            j--;
        }
        a[j] = x;
    }
}

static const struct builder *sort_b;

static int cmp_term(const void *a, const void *b)
{
    const char *p = sort_b->ix->pool.p;
    return strcmp(p + sort_b->toff[*(const uint32_t *)a], p + sort_b->toff[*(const uint32_t *)b]);
}

/* --- one-word queries with long postings ------------------------------------------------------------- */

struct pre_build {
    psy_search *ix;
    struct psy__sscratch *sc;
    uint32_t cap;
    uint64_t last_range; /* the completions range of the last key kept, when that was all it matched */
};

/* Makes word[0..n) (prefix: as typed) a key whose answer is kept, when its postings are long. */
static void keep_key(struct pre_build *pb, const char *word, size_t n, int prefix)
{
    psy_search *ix = pb->ix;
    uint64_t range;
    if (psy__search_word_cost(ix, pb->sc, word, n, prefix, &range) <= PRE_COST) return;
    char key[PSY__SWORD_MAX + 3];
    key[0] = prefix ? 'p' : 'c';
    key[1] = ':';
    memcpy(key + 2, word, n);
    uint32_t h = psy__stab_hash(key, n + 2);
    if (psy__stab_find(&ix->pre_tab, ix->pre_pool.p, ix->pre_off, key, n + 2, h) != UINT32_MAX) return;
    if (ix->npre == pb->cap) {
        pb->cap = pb->cap ? pb->cap * 2 : 128;
        ix->pre_off = psy__realloc(ix->pre_off, pb->cap * sizeof *ix->pre_off);
        ix->pre_slot = psy__realloc(ix->pre_slot, pb->cap * sizeof *ix->pre_slot);
    }
    ix->pre_off[ix->npre] = psy__spool_add(&ix->pre_pool, key, n + 2);
    /* the same completions as the key just kept: the same answer */
    ix->pre_slot[ix->npre] = range && range == pb->last_range ? ix->nslots - 1 : ix->nslots++;
    pb->last_range = range;
    psy__stab_put(&ix->pre_tab, h, ix->npre);
    ix->npre++;
}

/* Every prefix of every term whose word range is long, and every long term as a finished word. */
static void find_long_keys(psy_search *ix)
{
    struct pre_build pb = {ix, psy__sscratch_get(ix), 0, 0};
    uint32_t start[PSY__SWORD_MAX + 1];
    const char *prev = "";
    size_t prevlen = 0;
    for (uint32_t t = 0; t <= ix->nterms; t++) {
        const char *w = t < ix->nterms ? ix->pool.p + ix->term_off[t] : "";
        size_t len = t < ix->nterms ? ix->term_len[t] : 0;
        size_t l = 0;
        while (l < len && l < prevlen && w[l] == prev[l]) l++;
        /* prefixes of prev longer than l end here: their range is [start[L], t) */
        for (size_t L = prevlen; L > l; L--)
            if (ix->post_off[t] - ix->post_off[start[L]] > PRE_COST) keep_key(&pb, prev, L, 1);
        for (size_t L = l + 1; L <= len; L++) start[L] = t;
        if (t < ix->nterms && ix->post_off[t + 1] - ix->post_off[t] > PRE_COST / 4) keep_key(&pb, w, len, 0);
        prev = w;
        prevlen = len;
    }
    psy__sscratch_put(ix, pb.sc);
    ix->answers = psy__calloc(ix->nslots ? ix->nslots : 1, sizeof *ix->answers);
    ix->bytes += (size_t)pb.cap * (sizeof *ix->pre_off + sizeof *ix->pre_slot) +
                 (size_t)(ix->nslots ? ix->nslots : 1) * sizeof *ix->answers;
}

/* --- the build ----------------------------------------------------------------------------------------- */

static size_t stab_bytes(const struct psy__stab *t) { return t->slot ? ((size_t)t->mask + 1) * sizeof *t->slot : 0; }

static void note_peak(struct builder *b)
{
    psy_search *ix = b->ix;
    size_t now = b->wpool.cap + (size_t)b->wcap * 8 + stab_bytes(&b->wtab) + (size_t)b->tcap * 16 +
                 stab_bytes(&b->ttab) + (size_t)b->ccap * 4 + (size_t)b->dcap * (sizeof *ix->docs + sizeof *b->len) +
                 b->ecap * 8 + b->tokcap * sizeof *b->toks + b->namecap * sizeof *b->names + ix->pool.cap + stab_bytes(&ix->class_tab) + ix->bytes;
    if (now > b->peak) b->peak = now;
}

static void builder_free(struct builder *b)
{
    if (b->sb) sb_stemmer_delete(b->sb);
    free(b->wpool.p);
    free(b->woff);
    free(b->wterm);
    psy__stab_free(&b->wtab);
    free(b->toff);
    free(b->tclass);
    free(b->seen_doc);
    free(b->seen_at);
    psy__stab_free(&b->ttab);
    free(b->coff);
    free(b->len);
    free(b->toks);
    free(b->ph);
    free(b->pcls);
    free(b->gfirst);
    free(b->gterms);
    free(b->rule_head);
    free(b->gseen);
    free(b->names);
}

/* Terms in byte order: their arrays, and the forward entries renumbered. Returns the old -> new map. */
static uint32_t *order_terms(struct builder *b)
{
    psy_search *ix = b->ix;
    uint32_t nt = b->nt;
    uint32_t *sorted = psy__malloc((nt + 1) * sizeof *sorted), *tnew = psy__malloc((nt + 1) * sizeof *tnew);
    for (uint32_t i = 0; i < nt; i++) sorted[i] = i;
    sort_b = b;
    if (nt > 1) qsort(sorted, nt, sizeof *sorted, cmp_term);
    for (uint32_t i = 0; i < nt; i++) tnew[sorted[i]] = i;
    ix->nterms = nt;
    ix->term_off = psy__sx_alloc(ix, (nt + 1) * sizeof *ix->term_off);
    ix->term_len = psy__sx_alloc(ix, nt + 1);
    ix->term_class = psy__sx_alloc(ix, (nt + 1) * sizeof *ix->term_class);
    /* the texts again, in term order: a lookup's binary search then reads a few adjacent pages of the
     * pool rather than one page per step */
    for (uint32_t i = 0; i < nt; i++) {
        uint32_t o = sorted[i];
        char w[PSY__SWORD_MAX + 1];
        size_t n = strlen(ix->pool.p + b->toff[o]);
        if (n <= PSY__SWORD_MAX) {
            memcpy(w, ix->pool.p + b->toff[o], n);
            ix->term_off[i] = psy__spool_add(&ix->pool, w, n);
        } else {
            ix->term_off[i] = b->toff[o];
        }
        ix->term_len[i] = (uint8_t)n;
        ix->term_class[i] = b->tclass[o];
    }
    free(sorted);
    for (size_t e = 0; e < b->ne; e++) ix->fwd_term[e] = tnew[ix->fwd_term[e]]; /* renumbered */
    return tnew;
}

/* Puts the entries in (system, code) order; returns new id -> id as read. */
static uint32_t *order_docs(psy_search *ix, struct kv *kv, struct kv *tmp)
{
    uint32_t nd = ix->ndocs;
    for (uint32_t i = 0; i < nd; i++)
        kv[i] = (struct kv){(uint64_t)ix->docs[i].system << 56 | code_key7(ix->pool.p + ix->docs[i].ncode), i};
    radix_sort(kv, nd, tmp);
    order_long_codes(kv, nd, ix, 1);
    uint32_t *order = psy__malloc((nd + 1) * sizeof *order);
    for (uint32_t i = 0; i < nd; i++) order[i] = kv[i].val;
    return order;
}

/* Turns the counts of every forward entry into its BM25F weight in the posting lists. */
static void weigh(struct builder *b, const uint32_t *order)
{
    psy_search *ix = b->ix;
    uint32_t nd = ix->ndocs, nt = ix->nterms;
    ix->post_off = psy__sx_calloc(ix, nt + 2, sizeof *ix->post_off);
    for (size_t e = 0; e < b->ne; e++) ix->post_off[ix->fwd_term[e] + 1]++;
    for (uint32_t t = 0; t < nt; t++) ix->post_off[t + 1] += ix->post_off[t];
    double sum[PSY__SF_COUNT] = {0}, cnt[PSY__SF_COUNT] = {0};
    for (uint32_t i = 0; i < nd; i++)
        for (int f = 0; f < PSY__SF_COUNT; f++)
            if (b->len[i][f]) {
                sum[f] += b->len[i][f];
                cnt[f]++;
            }
    float avg[PSY__SF_COUNT];
    for (int f = 0; f < PSY__SF_COUNT; f++) avg[f] = cnt[f] > 0 ? (float)(sum[f] / cnt[f]) : 1.0f;
    ix->term_idf = psy__sx_alloc(ix, (nt + 1) * sizeof *ix->term_idf);
    for (uint32_t t = 0; t < nt; t++) {
        double df = ix->post_off[t + 1] - ix->post_off[t];
        ix->term_idf[t] = (float)log(1.0 + ((double)nd - df + 0.5) / (df + 0.5));
    }
    size_t ne = b->ne ? b->ne : 1;
    ix->npostings = b->ne;
    ix->post_doc = psy__sx_alloc(ix, ne * sizeof *ix->post_doc);
    ix->post_imp = psy__sx_alloc(ix, ne * sizeof *ix->post_imp);
    ix->post_name = psy__sx_alloc(ix, ne);
    ix->fwd_name = psy__sx_alloc(ix, ne);
    uint32_t *cursor = psy__malloc((nt + 1) * sizeof *cursor);
    memcpy(cursor, ix->post_off, (nt + 1) * sizeof *cursor);
    for (uint32_t d = 0; d < nd; d++) { /* in new id order, so each posting list is in doc order */
        uint32_t old = order[d];
        const struct psy__sdoc *doc = &ix->docs[old];
        float inv[PSY__SF_COUNT];
        for (int f = 0; f < PSY__SF_COUNT; f++)
            inv[f] = field_weight[f] / (1.0f - field_b[f] + field_b[f] * (float)b->len[old][f] / avg[f]);
        for (uint32_t e = doc->fwd; e < doc->fwd + doc->nfwd; e++) {
            uint32_t t = ix->fwd_term[e], tf;
            memcpy(&tf, &ix->fwd_imp[e], sizeof tf);
            float w = 0;
            uint8_t fl = 0;
            for (int f = 0; tf; f++, tf >>= 8)
                if (tf & 0xff) {
                    w += (float)(tf & 0xff) * inv[f];
                    fl |= (uint8_t)(1u << f);
                }
            float imp = ix->term_idf[t] * w * (BM25_K1 + 1.0f) / (BM25_K1 + w);
            uint32_t p = cursor[t]++;
            ix->post_doc[p] = d;
            ix->post_imp[p] = imp;
            ix->post_name[p] = (fl & ~(1u << PSY__SF_TEXT)) != 0;
        }
    }
    free(cursor);
}

/* Rewrites the forward lists from the postings, so that each entry's list is in term order and the
 * lists follow one another in entry order (the counts they held are no longer needed). */
static void forward_from_postings(psy_search *ix, const uint32_t *order)
{
    uint32_t nd = ix->ndocs, *at = psy__malloc((nd + 1) * sizeof *at), o = 0;
    for (uint32_t d = 0; d < nd; d++) {
        at[d] = o;
        ix->docs[order[d]].fwd = o;
        o += ix->docs[order[d]].nfwd;
    }
    for (uint32_t t = 0; t < ix->nterms; t++)
        for (uint32_t p = ix->post_off[t]; p < ix->post_off[t + 1]; p++) {
            uint32_t k = at[ix->post_doc[p]]++;
            ix->fwd_term[k] = t;
            ix->fwd_imp[k] = ix->post_imp[p];
            ix->fwd_name[k] = ix->post_name[p];
        }
    free(at);
}

/* Moves docs[order[i]] to docs[i] in place, following the permutation's cycles. */
static void permute_docs(psy_search *ix, const uint32_t *order)
{
    uint32_t nd = ix->ndocs;
    uint8_t *done = psy__calloc(nd + 1, 1);
    for (uint32_t i = 0; i < nd; i++) {
        if (done[i]) continue;
        struct psy__sdoc first = ix->docs[i];
        uint32_t j = i;
        for (;;) {
            done[j] = 1;
            uint32_t k = order[j];
            if (k == i) {
                ix->docs[j] = first;
                break;
            }
            ix->docs[j] = ix->docs[k];
            j = k;
        }
    }
    free(done);
}

/* Names by hash, with new doc ids; one entry per (name, doc). */
static void build_names(struct builder *b, const uint32_t *order, struct kv *tmp)
{
    psy_search *ix = b->ix;
    uint32_t *inv = psy__malloc((ix->ndocs + 1) * sizeof *inv);
    for (uint32_t d = 0; d < ix->ndocs; d++) inv[order[d]] = d;
    for (size_t i = 0; i < b->nnames; i++) b->names[i].val = inv[b->names[i].val];
    free(inv);
    radix_sort(b->names, b->nnames, tmp); /* 32-bit keys: four passes */
    size_t n = 0;
    ix->name_hash = psy__sx_alloc(ix, (b->nnames + 1) * sizeof *ix->name_hash);
    ix->name_doc = psy__sx_alloc(ix, (b->nnames + 1) * sizeof *ix->name_doc);
    for (size_t i = 0, run = 0; i < b->nnames; i++) {
        uint32_t h = (uint32_t)b->names[i].key, d = b->names[i].val;
        if (!n || ix->name_hash[n - 1] != h) run = n;
        size_t j = run;
        while (j < n && ix->name_doc[j] != d) j++; /* a title may equal a synonym: keep one */
        if (j < n) continue;
        ix->name_hash[n] = h;
        ix->name_doc[n++] = d;
    }
    ix->nnames = (uint32_t)n;
}

static void build_codes(psy_search *ix, struct kv *kv, struct kv *tmp)
{
    uint32_t nd = ix->ndocs;
    for (uint32_t d = 0; d < nd; d++)
        kv[d] = (struct kv){code_key7(ix->pool.p + ix->docs[d].ncode) << 8 | ix->docs[d].system, d};
    radix_sort(kv, nd, tmp);
    order_long_codes(kv, nd, ix, 0);
    ix->code_sorted = psy__sx_alloc(ix, (nd + 1) * sizeof *ix->code_sorted);
    ix->code_key = psy__sx_alloc(ix, (nd + 1) * sizeof *ix->code_key);
    for (uint32_t i = 0; i < nd; i++) {
        ix->code_sorted[i] = kv[i].val;
        ix->code_key[i] = kv[i].key >> 8;
    }
}

static void build_classes(struct builder *b)
{
    psy_search *ix = b->ix;
    uint32_t nc = b->ncls, nt = ix->nterms;
    ix->nclasses = nc;
    ix->class_stem = psy__sx_alloc(ix, (nc + 1) * sizeof *ix->class_stem);
    memcpy(ix->class_stem, b->coff, nc * sizeof *ix->class_stem);
    ix->class_first = psy__sx_calloc(ix, nc + 2, sizeof *ix->class_first);
    ix->class_terms = psy__sx_alloc(ix, (nt + 1) * sizeof *ix->class_terms);
    for (uint32_t t = 0; t < nt; t++) ix->class_first[ix->term_class[t] + 1]++;
    for (uint32_t c = 0; c < nc; c++) ix->class_first[c + 1] += ix->class_first[c];
    uint32_t *at = psy__malloc((nc + 1) * sizeof *at);
    memcpy(at, ix->class_first, (nc + 1) * sizeof *at);
    for (uint32_t t = 0; t < nt; t++) ix->class_terms[at[ix->term_class[t]]++] = t;
    free(at);
}

/* Typo candidates: terms of three bytes or more that occur somewhere and are not all digits, grouped by
 * length, with their letter masks. */
static void build_typo(psy_search *ix)
{
    uint32_t nt = ix->nterms;
    uint32_t *mask = psy__malloc((nt + 1) * sizeof *mask);
    ix->len_first = psy__sx_calloc(ix, PSY__SWORD_MAX + 2, sizeof *ix->len_first);
    uint8_t *ok = psy__malloc(nt + 1);
    uint32_t n = 0;
    for (uint32_t t = 0; t < nt; t++) {
        const char *w = ix->pool.p + ix->term_off[t];
        size_t len = ix->term_len[t];
        mask[t] = psy__search_letters(w, len);
        ok[t] = len >= 3 && ix->post_off[t + 1] > ix->post_off[t] && mask[t] != 1u << 26;
        if (ok[t]) {
            ix->len_first[len + 1]++;
            n++;
        }
    }
    for (int l = 0; l <= PSY__SWORD_MAX; l++) ix->len_first[l + 1] += ix->len_first[l];
    ix->len_terms = psy__sx_alloc(ix, (n + 1) * sizeof *ix->len_terms);
    ix->len_mask = psy__sx_alloc(ix, (n + 1) * sizeof *ix->len_mask);
    uint32_t at[PSY__SWORD_MAX + 2];
    memcpy(at, ix->len_first, sizeof at);
    for (uint32_t t = 0; t < nt; t++)
        if (ok[t]) {
            uint32_t i = at[ix->term_len[t]]++;
            ix->len_terms[i] = t;
            ix->len_mask[i] = mask[t];
        }
    free(ok);
    free(mask);
}

static void assemble(struct builder *b)
{
    psy_search *ix = b->ix;
    uint32_t nd = ix->ndocs;
    /* the arrays filled while reading shrink to what they hold */
    ix->pool.p = psy__realloc(ix->pool.p, ix->pool.n ? ix->pool.n : 1);
    ix->pool.cap = ix->pool.n;
    size_t ne = b->ne ? b->ne : 1;
    ix->fwd_term = psy__realloc(ix->fwd_term, ne * sizeof *ix->fwd_term);
    ix->fwd_imp = psy__realloc(ix->fwd_imp, ne * sizeof *ix->fwd_imp);
    b->ecap = ne;
    ix->bytes += ne * (sizeof *ix->fwd_term + sizeof *ix->fwd_imp) + (size_t)(nd + 1) * sizeof *ix->docs;
    note_peak(b);
    uint32_t *tnew = order_terms(b);
    free(tnew);
    size_t room = (b->nnames > nd ? b->nnames : nd) + 1; /* one buffer for every sort's second half */
    struct kv *kv = psy__malloc((nd + 1) * sizeof *kv), *tmp = psy__malloc(room * sizeof *tmp);
    uint32_t *order = order_docs(ix, kv, tmp);
    weigh(b, order);
    note_peak(b);
    forward_from_postings(ix, order);
    permute_docs(ix, order);
    for (uint32_t d = 0; d < ix->ndocs; d++)
        if (ix->docs[d].boost > ix->max_boost) ix->max_boost = ix->docs[d].boost;
    build_names(b, order, tmp);
    free(order);
    build_codes(ix, kv, tmp);
    free(kv);
    free(tmp);
    build_classes(b);
    build_typo(ix);
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

psy_status psy_search_build(psy_store *st, psy_search **out)
{
    *out = NULL;
    double t0 = now_ms();
    psy_search *ix = psy__calloc(1, sizeof *ix);
    pthread_mutex_init(&ix->lock, NULL);
    char err[256];
    struct builder b = {0};
    b.ix = ix;
    psy_status rc = psy__lexicon_load(&ix->lex, err, sizeof err);
    if (!rc) psy__dict_load(&ix->dict);
    if (!rc && !(b.sb = sb_stemmer_new("english", NULL))) {
        snprintf(err, sizeof err, "search: cannot create the English stemmer");
        rc = PSY_ENOMEM;
    }
    if (!rc) rc = load_groups(&b, err, sizeof err);
    if (!rc) {
        b.w_unspecified = word_term(&b, "unspecified", 11);
        b.w_uncomplicated = word_term(&b, "uncomplicated", 13);
        b.w_without = word_term(&b, "without", 7);
        b.w_complications = word_term(&b, "complications", 13);
    }
    if (rc) {
        builder_free(&b);
        psy_search_free(ix);
        return psy__store_fail(st, rc, "%s", err);
    }
    rc = read_catalog(&b, st);
    if (rc) {
        builder_free(&b);
        psy_search_free(ix);
        return rc;
    }
    note_peak(&b);
    assemble(&b);
    note_peak(&b);
    builder_free(&b);
    find_long_keys(ix);
    ix->bytes += ix->pool.cap + ix->pre_pool.cap + stab_bytes(&ix->class_tab) + stab_bytes(&ix->pre_tab) + stab_bytes(&ix->lex.tab) +
                 ix->lex.pool.cap + (size_t)ix->lex.n * 8 + ix->dict.pool.cap + stab_bytes(&ix->dict.tab) +
                 (size_t)ix->dict.n * sizeof *ix->dict.off;
    ix->build_peak = b.peak > ix->bytes ? b.peak : ix->bytes;
    ix->build_ms = now_ms() - t0;
    *out = ix;
    return PSY_OK;
}

psy_status psy_search_rebuild(psy_store *st, psy_search **ix)
{
    psy_search *fresh;
    psy_status rc = psy_search_build(st, &fresh);
    if (rc) return rc;
    psy_search_free(*ix);
    *ix = fresh;
    return PSY_OK;
}

void psy_search_free(psy_search *ix)
{
    if (!ix) return;
    while (ix->spare) {
        struct psy__sscratch *sc = ix->spare;
        ix->spare = *(struct psy__sscratch **)sc; /* the first member of a scratch is its next link */
        psy__sscratch_free(sc);
    }
    pthread_mutex_destroy(&ix->lock);
    psy__search_unmap(ix);
    psy__lexicon_free(&ix->lex);
    psy__dict_free(&ix->dict);
    for (uint32_t i = 0; ix->answers && i < ix->nslots; i++) free(atomic_load(&ix->answers[i]));
    free((void *)ix->answers);
    void *arrays[] = {ix->pool.p,    ix->pre_pool.p,    ix->docs,        ix->code_sorted, ix->code_key, ix->term_off,   ix->term_len,
                      ix->term_class, ix->term_idf,   ix->post_off,   ix->post_doc,
                      ix->post_imp,  ix->post_name, ix->fwd_name, ix->fwd_term,    ix->fwd_imp,     ix->len_first,  ix->len_terms,   ix->len_mask,
                      ix->class_stem, ix->class_first, ix->class_terms, ix->pre_slot,  ix->pre_off,
                      ix->name_hash, ix->name_doc};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) free(arrays[i]);
    psy__stab_free(&ix->class_tab);
    psy__stab_free(&ix->pre_tab);
    free(ix);
}

void psy_search_stats(const psy_search *ix, struct psy_search_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!ix) return;
    out->docs = ix->ndocs;
    out->terms = ix->nterms;
    out->postings = ix->npostings;
    out->bytes = ix->bytes;
    out->query_bytes = psy__sscratch_bytes(ix);
    out->kept = ix->npre;
    out->build_peak = ix->build_peak;
    out->build_ms = ix->build_ms;
    out->mapped = ix->map != NULL;
}
