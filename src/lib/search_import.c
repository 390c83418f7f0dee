/*
 * search_import.c -- imports the ICD-10-CM Alphabetic Index (the CDC's icd10cm_index_YYYY.xml, "Index to
 * Diseases and Injuries") as search vocabulary: every main term and subterm that leads to a code becomes
 * a row (icd10cm, code, the path of index words) of the code_term table, which the search index reads
 * as its entries' vocabulary, weighted below their titles (docs/search.md).
 *
 * The schema, as published: <ICD10CM.index> holds <letter>s; a letter holds <mainTerm>s; a main term
 * has a <title> (its words, with nonessential modifiers in <nemod>), an optional <code>, <see> or
 * <seeAlso>, and nested <term level="N"> subterms of the same shape. A term's vocabulary is its title
 * after the titles of the terms above it ("Wetting" > "bed"), nonessential modifiers included. A term
 * that says "see X" gets the codes of main term X. Parsed with expat, streaming; the whole file is
 * imported in one transaction or not at all.
 */
#include <errno.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_db.h"
#include "search_int.h"

#define MAX_DEPTH 12   /* main term + subterm levels kept (the published index goes to 7) */
#define TITLE_MAX 300  /* bytes of one term's title kept */

struct see {
    char *path;   /* the vocabulary of the term that refers */
    char *target; /* the main term it refers to, lower case, up to the first comma */
};

struct mainref {
    char *title; /* lower case, up to the first comma */
    char *code;
};

struct iimp {
    psy_store *st;
    const char *path;
    XML_Parser xp;
    struct psy__batch put;
    struct psy_index_import_stats *stats;
    char *err;
    size_t errlen;
    psy_status rc;
    int depth;                           /* term nesting: 0 = main term */
    int in_index, in_title, in_code, in_see;
    char title[MAX_DEPTH][TITLE_MAX + 1]; /* the titles along the path */
    size_t tlen[MAX_DEPTH];
    struct psy__buf text;                /* text of the <code> or <see> being read */
    struct see *sees;
    size_t nsees, capsees;
    struct mainref *mains;
    size_t nmains, capmains;
    int main_has_code;
};

static void fail(struct iimp *im, psy_status rc, const char *msg)
{
    if (im->rc) return;
    im->rc = rc;
    snprintf(im->err, im->errlen, "%s: line %lu: %s", im->path, (unsigned long)XML_GetCurrentLineNumber(im->xp), msg);
    XML_StopParser(im->xp, XML_FALSE);
}

/* The vocabulary of the current term: its titles from the main term down, one space apart. */
static void path_text(const struct iimp *im, struct psy__buf *out)
{
    out->n = 0;
    psy__buf_puts(out, "");
    for (int i = 0; i <= im->depth && i < MAX_DEPTH; i++) {
        if (!im->tlen[i]) continue;
        if (out->n) psy__buf_put(out, " ", 1);
        psy__buf_put(out, im->title[i], im->tlen[i]);
    }
}

/* "F32.A", "F32.-" -> "F32.A", "F32": the code as the catalog has it (a trailing "-" or "." means
 * "more characters needed" and goes). Returns 0 when it is not a code. */
static int clean_code(const char *s, size_t n, char out[PSY_CODE_MAX])
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t')) n--;
    while (n && (*s == ' ' || *s == '\n' || *s == '\t')) s++, n--;
    while (n && (s[n - 1] == '-' || s[n - 1] == '.')) n--;
    if (n < 3 || n >= PSY_CODE_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.')) return 0;
        out[i] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
    }
    out[n] = 0;
    return out[0] >= 'A' && out[0] <= 'Z';
}

static void put_row(struct iimp *im, const char *code, const char *term)
{
    if (im->rc) return;
    psy__batch_text(&im->put, "icd10cm");
    psy__batch_text(&im->put, code);
    psy__batch_text(&im->put, term);
    if (psy__batch_row(&im->put)) fail(im, PSY_EDB, psy_store_errmsg(im->st));
    im->stats->rows++;
}

/* Lower case, up to the first comma, trimmed: how a "see" names a main term. */
static char *main_key(const char *s, size_t n)
{
    while (n && *s == ' ') s++, n--;
    const char *comma = memchr(s, ',', n);
    if (comma) n = (size_t)(comma - s);
    while (n && s[n - 1] == ' ') n--;
    char *k = psy__malloc(n + 1);
    for (size_t i = 0; i < n; i++) k[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    k[n] = 0;
    return k;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attr)
{
    struct iimp *im = ud;
    if (!strcmp(name, "ICD10CM.index")) {
        im->in_index = 1;
        return;
    }
    if (!im->in_index) {
        fail(im, PSY_EPARSE, "not the ICD-10-CM index (its root element is <ICD10CM.index>)");
        return;
    }
    if (!strcmp(name, "mainTerm")) {
        im->depth = 0;
        im->tlen[0] = 0;
        im->main_has_code = 0;
        im->stats->main_terms++;
    } else if (!strcmp(name, "term")) {
        int level = 0;
        for (int i = 0; attr[i]; i += 2)
            if (!strcmp(attr[i], "level")) level = atoi(attr[i + 1]);
        if (level < 1 || level >= MAX_DEPTH) {
            fail(im, PSY_EPARSE, "<term> needs a level from 1 to 11");
            return;
        }
        im->depth = level;
        im->tlen[level] = 0;
        im->stats->terms++;
    } else if (!strcmp(name, "title") && im->depth < MAX_DEPTH) {
        im->in_title = 1;
    } else if (!strcmp(name, "code")) {
        im->in_code = 1;
        im->text.n = 0;
    } else if (!strcmp(name, "see")) {
        im->in_see = 1;
        im->text.n = 0;
    }
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct iimp *im = ud;
    if (im->in_title) {
        size_t *n = &im->tlen[im->depth];
        char *t = im->title[im->depth];
        for (int i = 0; i < len && *n < TITLE_MAX; i++) {
            char c = s[i];
            if (c == '\n' || c == '\t' || c == '\r') c = ' ';
            if (c == ' ' && (*n == 0 || t[*n - 1] == ' ')) continue;
            t[(*n)++] = c;
        }
        t[*n] = 0;
    } else if (im->in_code || im->in_see)
        psy__buf_put(&im->text, s, (size_t)len);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    struct iimp *im = ud;
    if (im->rc) return;
    if (!strcmp(name, "title")) {
        im->in_title = 0;
        size_t *n = &im->tlen[im->depth];
        while (*n && im->title[im->depth][*n - 1] == ' ') im->title[im->depth][--*n] = 0;
    } else if (!strcmp(name, "code")) {
        im->in_code = 0;
        char code[PSY_CODE_MAX];
        if (!clean_code(im->text.p ? im->text.p : "", im->text.n, code)) return; /* not a code: passed over */
        struct psy__buf path = {0};
        path_text(im, &path);
        if (path.n) put_row(im, code, path.p);
        psy__buf_free(&path);
        if (im->depth == 0 && !im->main_has_code) { /* the target of "see" references */
            im->main_has_code = 1;
            if (im->nmains == im->capmains)
                im->mains = psy__realloc(im->mains, (im->capmains = im->capmains ? im->capmains * 2 : 1024) *
                                                        sizeof *im->mains);
            im->mains[im->nmains++] = (struct mainref){main_key(im->title[0], im->tlen[0]), psy__strdup(code)};
        }
    } else if (!strcmp(name, "see")) {
        im->in_see = 0;
        struct psy__buf path = {0};
        path_text(im, &path);
        if (path.n && im->text.n) {
            if (im->nsees == im->capsees)
                im->sees = psy__realloc(im->sees, (im->capsees = im->capsees ? im->capsees * 2 : 1024) *
                                                      sizeof *im->sees);
            im->sees[im->nsees++] = (struct see){psy__strdup(path.p), main_key(im->text.p, im->text.n)};
        }
        psy__buf_free(&path);
    } else if (!strcmp(name, "term"))
        im->depth = im->depth > 0 ? im->depth - 1 : 0;
}

static int cmp_main(const void *a, const void *b)
{
    return strcmp(((const struct mainref *)a)->title, ((const struct mainref *)b)->title);
}

/* "see X": the referring words lead to the code of main term X too. */
static void resolve_sees(struct iimp *im)
{
    if (im->nmains > 1) qsort(im->mains, im->nmains, sizeof *im->mains, cmp_main);
    for (size_t i = 0; i < im->nsees && !im->rc; i++) {
        struct mainref key = {im->sees[i].target, NULL};
        struct mainref *m = im->nmains ? bsearch(&key, im->mains, im->nmains, sizeof *im->mains, cmp_main) : NULL;
        if (!m) continue;
        put_row(im, m->code, im->sees[i].path);
        im->stats->see_resolved++;
    }
}

psy_status psy_search_import_index(psy_store *st, const char *path, struct psy_index_import_stats *stats, char *err,
                                   size_t errlen)
{
    struct psy_index_import_stats dummy;
    if (!stats) stats = &dummy;
    memset(stats, 0, sizeof *stats);
    char noerr[8];
    if (!err || !errlen) err = noerr, errlen = sizeof noerr;
    err[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return PSY_EIO;
    }
    struct iimp *im = psy__calloc(1, sizeof *im);
    im->st = st;
    im->path = path;
    im->stats = stats;
    im->err = err;
    im->errlen = errlen;
    im->xp = XML_ParserCreate("UTF-8");
    XML_SetUserData(im->xp, im);
    XML_SetElementHandler(im->xp, on_start, on_end);
    XML_SetCharacterDataHandler(im->xp, on_text);
    psy__batch_init(&im->put, st, "INSERT INTO code_term(system, code, term) VALUES", "(?, ?, ?)",
                    "ON CONFLICT(system, code, term) DO NOTHING");
    psy_status rc = psy__store_begin_bulk(st);
    int began = rc == PSY_OK;
    if (!rc && psy__store_exec(st, "DELETE FROM code_term WHERE system = 'icd10cm'")) rc = PSY_EDB;
    if (rc) snprintf(err, errlen, "%s: %s", path, psy_store_errmsg(st));
    char buf[1 << 16];
    size_t n;
    int done = rc != PSY_OK;
    while (!done && !im->rc) {
        n = fread(buf, 1, sizeof buf, f);
        done = n < sizeof buf;
        if (XML_Parse(im->xp, buf, (int)n, done) == XML_STATUS_ERROR && !im->rc) {
            im->rc = PSY_EPARSE;
            snprintf(err, errlen, "%s: line %lu: %s", path, (unsigned long)XML_GetCurrentLineNumber(im->xp),
                     XML_ErrorString(XML_GetErrorCode(im->xp)));
        }
    }
    if (!rc && ferror(f) && !im->rc) {
        im->rc = PSY_EIO;
        snprintf(err, errlen, "%s: read error", path);
    }
    fclose(f);
    if (!rc) rc = im->rc;
    if (!rc && !im->in_index) {
        rc = PSY_EPARSE;
        snprintf(err, errlen, "%s: not the ICD-10-CM index (no <ICD10CM.index> element)", path);
    }
    if (!rc) resolve_sees(im);
    if (!rc) rc = im->rc;
    if (!rc && psy__batch_flush(&im->put)) {
        rc = PSY_EDB;
        snprintf(err, errlen, "%s: %s", path, psy_store_errmsg(st));
    }
    if (!rc && stats->rows == 0) {
        rc = PSY_EPARSE;
        snprintf(err, errlen, "%s: no index term with a code found", path);
    }
    if (!rc && (rc = psy__catalog_touch(st)) != PSY_OK) snprintf(err, errlen, "%s: %s", path, psy_store_errmsg(st));
    if (rc) {
        if (began) psy__store_rollback(st);
    } else if ((rc = psy__store_commit(st)) != PSY_OK)
        snprintf(err, errlen, "%s: %s", path, psy_store_errmsg(st));
    psy__batch_free(&im->put);
    XML_ParserFree(im->xp);
    psy__buf_free(&im->text);
    for (size_t i = 0; i < im->nsees; i++) free(im->sees[i].path), free(im->sees[i].target);
    for (size_t i = 0; i < im->nmains; i++) free(im->mains[i].title), free(im->mains[i].code);
    free(im->sees);
    free(im->mains);
    free(im);
    return rc;
}
