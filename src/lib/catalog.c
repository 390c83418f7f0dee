/*
 * catalog.c -- the code catalog: code systems and their code shapes, the built-in catalog compiled
 * from data/catalog and data/explainers, and look-ups (code, links, explainer page, suggestions).
 *
 * The one idea: a code is stored once per system in its display form (ICD-10-CM with the dot), and
 * every way a user may type it goes through psy_catalog_normalize before it meets the database.
 * Built-in rows carry source 'builtin'; rows from an official file carry 'import' and win over the
 * built-in titles, while the built-in synonyms, links and pages stay attached to them.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "psy_db.h"

static const char *const system_names[PSY_SYS_COUNT] = {"cpt", "hcpcs", "icd10cm", "modifier", "pos"};

const char *psy_catalog_system_name(psy_system sys)
{
    return (unsigned)sys < PSY_SYS_COUNT ? system_names[sys] : "?";
}

psy_status psy_catalog_system_parse(const char *name, psy_system *out)
{
    static const struct { const char *alias; psy_system sys; } aliases[] = {
        {"cpt", PSY_SYS_CPT},           {"cpt4", PSY_SYS_CPT},         {"hcpcs", PSY_SYS_HCPCS},
        {"hcpcs2", PSY_SYS_HCPCS},      {"icd10cm", PSY_SYS_ICD10CM},  {"icd10", PSY_SYS_ICD10CM},
        {"icd", PSY_SYS_ICD10CM},       {"icd-10-cm", PSY_SYS_ICD10CM}, {"modifier", PSY_SYS_MODIFIER},
        {"modifiers", PSY_SYS_MODIFIER}, {"mod", PSY_SYS_MODIFIER},    {"pos", PSY_SYS_POS},
    };
    for (size_t i = 0; name && i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcasecmp(name, aliases[i].alias) == 0) {
            *out = aliases[i].sys;
            return PSY_OK;
        }
    return PSY_EINVAL;
}

psy_status psy_catalog_normalize(psy_system sys, const char *in, char out[PSY_CODE_MAX])
{
    char k[PSY_CODE_MAX];
    size_t n = 0;
    out[0] = 0;
    if (!in) return PSY_EINVAL;
    for (const char *p = in; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == ' ' || c == '\t' || (c == '.' && sys == PSY_SYS_ICD10CM)) continue;
        if (!isalnum(c) || n + 1 >= sizeof k) return PSY_EINVAL;
        k[n++] = (char)toupper(c);
    }
    k[n] = 0;
    switch (sys) {
    case PSY_SYS_CPT: /* five digits, or four digits and F/T/U (category II/III, PLA) */
        if (n != 5) return PSY_EINVAL;
        for (size_t i = 0; i < 4; i++)
            if (!isdigit((unsigned char)k[i])) return PSY_EINVAL;
        if (!isdigit((unsigned char)k[4]) && k[4] != 'F' && k[4] != 'T' && k[4] != 'U') return PSY_EINVAL;
        break;
    case PSY_SYS_HCPCS: /* a letter and four digits */
        if (n != 5 || !isalpha((unsigned char)k[0])) return PSY_EINVAL;
        for (size_t i = 1; i < 5; i++)
            if (!isdigit((unsigned char)k[i])) return PSY_EINVAL;
        break;
    case PSY_SYS_ICD10CM: /* letter, digit, then 1-5 letters or digits */
        if (n < 3 || n > 7 || !isalpha((unsigned char)k[0]) || !isdigit((unsigned char)k[1]))
            return PSY_EINVAL;
        if (n > 3) {
            memmove(k + 4, k + 3, n - 3 + 1);
            k[3] = '.';
            n++;
        }
        break;
    case PSY_SYS_MODIFIER:
        if (n != 2) return PSY_EINVAL;
        break;
    case PSY_SYS_POS:
        if (n < 1 || n > 2 || !isdigit((unsigned char)k[0]) || !isdigit((unsigned char)k[n - 1]))
            return PSY_EINVAL;
        if (n == 1) {
            k[2] = 0;
            k[1] = k[0];
            k[0] = '0';
            n = 2;
        }
        break;
    default: return PSY_EINVAL;
    }
    memcpy(out, k, n + 1);
    return PSY_OK;
}

void psy_code_clear(struct psy_code *c)
{
    if (!c) return;
    free(c->short_title);
    free(c->long_title);
    memset(c, 0, sizeof *c);
}

static void copy_text(char *dst, size_t len, const char *src) { snprintf(dst, len, "%s", src ? src : ""); }

static char *dup_text(const char *src) { return psy__strdup(src ? src : ""); }

#define CODE_COLUMNS                                                                                   \
    "c.system, c.code, c.short_title, c.long_title, c.billable, c.addon, c.effective, c.terminated, " \
    "CASE WHEN EXISTS(SELECT 1 FROM code_page p WHERE p.system = c.system AND p.code = c.code) "        \
    "THEN 1 ELSE 0 END, c.synonyms"

static void row_to_code(psy__stmt *s, struct psy_code *c)
{
    memset(c, 0, sizeof *c);
    psy_catalog_system_parse(psy__sql_text(s, 0), &c->system);
    copy_text(c->code, sizeof c->code, psy__sql_text(s, 1));
    c->short_title = dup_text(psy__sql_text(s, 2));
    c->long_title = dup_text(psy__sql_text(s, 3));
    c->billable = (int)psy__sql_int64(s, 4);
    c->addon = (int)psy__sql_int64(s, 5);
    copy_text(c->effective, sizeof c->effective, psy__sql_text(s, 6));
    copy_text(c->terminated, sizeof c->terminated, psy__sql_text(s, 7));
    c->has_page = (int)psy__sql_int64(s, 8);
}

static psy_status get_one(psy_store *st, psy_system sys, const char *display, struct psy_code *c)
{
    psy__stmt *s = psy__db_stmt(st, "SELECT " CODE_COLUMNS " FROM code c WHERE system = ? AND code = ?",
                                PSY_ARGS(PSY_TEXT(system_names[sys]), PSY_TEXT(display)));
    if (!s) return psy__store_dbfail(st, "catalog");
    int step = psy__sql_step(s);
    psy_status rc = step == PSY_SQL_ROW    ? PSY_OK
                    : step == PSY_SQL_DONE ? PSY_ENOTFOUND
                                           : psy__store_dbfail(st, "catalog");
    if (step == PSY_SQL_ROW) row_to_code(s, c);
    psy__sql_finalize(s);
    return rc;
}

psy_status psy_catalog_get(psy_store *st, psy_system sys, const char *code, struct psy_code *c)
{
    char display[PSY_CODE_MAX];
    memset(c, 0, sizeof *c);
    for (int i = 0; i < PSY_SYS_COUNT; i++) {
        if (sys != PSY_SYS_COUNT && (psy_system)i != sys) continue;
        if (psy_catalog_normalize((psy_system)i, code, display)) continue;
        psy_status rc = get_one(st, (psy_system)i, display, c);
        if (rc != PSY_ENOTFOUND) return rc;
    }
    return psy__store_fail(st, PSY_ENOTFOUND, "no code %s in the catalog", code);
}

/* Finds the system and display form of an existing code (first system that has it). */
static psy_status resolve(psy_store *st, psy_system sys, const char *code, psy_system *osys,
                          char display[PSY_CODE_MAX])
{
    struct psy_code c;
    psy_status rc = psy_catalog_get(st, sys, code, &c);
    if (rc) return rc;
    *osys = c.system;
    memcpy(display, c.code, PSY_CODE_MAX);
    psy_code_clear(&c);
    return PSY_OK;
}

psy_status psy_catalog_links(psy_store *st, psy_system sys, const char *code, struct psy_link **links,
                             size_t *n)
{
    *links = NULL;
    *n = 0;
    char display[PSY_CODE_MAX];
    psy_system rsys;
    psy_status rc = resolve(st, sys, code, &rsys, display);
    if (rc) return rc;
    psy__stmt *s = psy__db_stmt(st,
                                "SELECT kind, target_system, target_code, note FROM code_link "
                                "WHERE system = ? AND code = ? ORDER BY CASE kind WHEN 'primary' THEN 0 "
                                "WHEN 'addon' THEN 1 WHEN 'instead' THEN 2 ELSE 3 END, target_system, "
                                "target_code",
                                PSY_ARGS(PSY_TEXT(system_names[rsys]), PSY_TEXT(display)));
    if (!s) return psy__store_dbfail(st, "catalog links");
    size_t cap = 0;
    int step;
    while ((step = psy__sql_step(s)) == PSY_SQL_ROW) {
        if (*n == cap) *links = psy__realloc(*links, (cap = cap ? cap * 2 : 8) * sizeof **links);
        struct psy_link *l = &(*links)[(*n)++];
        memset(l, 0, sizeof *l);
        copy_text(l->kind, sizeof l->kind, psy__sql_text(s, 0));
        psy_catalog_system_parse(psy__sql_text(s, 1), &l->system);
        copy_text(l->code, sizeof l->code, psy__sql_text(s, 2));
        l->note = dup_text(psy__sql_text(s, 3));
    }
    psy__sql_finalize(s);
    if (step == PSY_SQL_ERROR) {
        psy_links_free(*links, *n);
        *links = NULL;
        *n = 0;
        return psy__store_dbfail(st, "catalog links");
    }
    return PSY_OK;
}

void psy_links_free(struct psy_link *links, size_t n)
{
    for (size_t i = 0; i < n; i++) free(links[i].note);
    free(links);
}

psy_status psy_catalog_page(psy_store *st, psy_system sys, const char *code, char **json)
{
    *json = NULL;
    char display[PSY_CODE_MAX];
    psy_system rsys;
    psy_status rc = resolve(st, sys, code, &rsys, display);
    if (rc) return rc;
    psy__stmt *s = psy__db_stmt(st, "SELECT body FROM code_page WHERE system = ? AND code = ?",
                                PSY_ARGS(PSY_TEXT(system_names[rsys]), PSY_TEXT(display)));
    if (!s) return psy__store_dbfail(st, "catalog page");
    int step = psy__sql_step(s);
    rc = step == PSY_SQL_ROW ? PSY_OK : step == PSY_SQL_DONE ? PSY_ENOTFOUND : psy__store_dbfail(st, "catalog page");
    if (step == PSY_SQL_ROW) *json = dup_text(psy__sql_text(s, 0));
    psy__sql_finalize(s);
    return rc;
}

/* --- suggestions --------------------------------------------------------------------------------- */

static void dotless_upper(const char *in, char *out, size_t len)
{
    size_t n = 0;
    for (; *in && n + 1 < len; in++)
        if (isalnum((unsigned char)*in)) out[n++] = (char)toupper((unsigned char)*in);
    out[n] = 0;
}

struct cand {
    size_t score;
    char system[12];
    char code[PSY_CODE_MAX];
};

size_t psy_catalog_suggest(psy_store *st, psy_system sys, const char *code, struct psy_code *out, size_t max)
{
    char want[PSY_CODE_MAX * 2];
    dotless_upper(code, want, sizeof want);
    if (!*want || max == 0) return 0;
    const char *sql = sys == PSY_SYS_COUNT ? "SELECT system, code FROM code"
                                           : "SELECT system, code FROM code WHERE system = ?";
    psy__stmt *s = sys == PSY_SYS_COUNT ? psy__db_stmt(st, sql, PSY_NOARGS)
                                        : psy__db_stmt(st, sql, PSY_ARGS(PSY_TEXT(system_names[sys])));
    if (!s) return 0;
    struct cand best[16];
    size_t nbest = 0, keep = max < 16 ? max : 16;
    size_t wlen = strlen(want);
    while (psy__sql_step(s) == PSY_SQL_ROW) {
        char have[PSY_CODE_MAX * 2];
        const char *scode = psy__sql_text(s, 1);
        dotless_upper(scode ? scode : "", have, sizeof have);
        size_t d;
        /* a code that extends what was typed is a strong candidate (typed a category) */
        size_t hlen = strlen(have);
        if (strncmp(have, want, wlen) == 0) d = hlen == wlen ? 0 : 2;
        else if (strncmp(want, have, hlen) == 0 && hlen >= 3) d = 2; /* typed past a real code */
        else d = psy__edit_distance(want, have, 2) * 2 + 1 + (have[0] != want[0]);
        if (d > 5) continue;
        struct cand c = {d, "", ""};
        copy_text(c.system, sizeof c.system, psy__sql_text(s, 0));
        copy_text(c.code, sizeof c.code, scode);
        /* insertion into a small sorted array: by score, then code */
        size_t pos = nbest;
        while (pos > 0 && (best[pos - 1].score > c.score ||
                           (best[pos - 1].score == c.score && strcmp(best[pos - 1].code, c.code) > 0)))
            pos--;
        if (pos >= keep) continue;
        if (nbest < keep) nbest++;
        memmove(&best[pos + 1], &best[pos], (nbest - 1 - pos) * sizeof best[0]);
        best[pos] = c;
    }
    psy__sql_finalize(s);
    size_t n = 0;
    for (size_t i = 0; i < nbest; i++) {
        psy_system csys;
        if (psy_catalog_system_parse(best[i].system, &csys)) continue;
        if (get_one(st, csys, best[i].code, &out[n]) == PSY_OK) n++;
    }
    return n;
}

/* --- iteration and counts ------------------------------------------------------------------------ */

/* Flattens the prose of an explainer page into one text for search. */
void psy__catalog_page_text(const char *body, struct psy__buf *b)
{
    static const char *const keys[] = {"name", "common_names", "summary", "purpose", "indications"};
    json_t *root = json_loads(body, 0, NULL);
    if (!root) return;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(root, keys[i]);
        if (json_is_string(v)) {
            psy__buf_puts(b, json_string_value(v));
            psy__buf_puts(b, "\n");
        } else if (json_is_array(v)) {
            size_t j;
            json_t *it;
            json_array_foreach(v, j, it) if (json_is_string(it)) {
                psy__buf_puts(b, json_string_value(it));
                psy__buf_puts(b, "\n");
            }
        }
    }
    json_decref(root);
}

psy_status psy_catalog_foreach(psy_store *st, psy_catalog_visit fn, void *ud)
{
    psy__stmt *s = psy__db_stmt(st,
                                "SELECT " CODE_COLUMNS ", (SELECT body FROM code_page p WHERE "
                                "p.system = c.system AND p.code = c.code) FROM code c "
                                "ORDER BY c.system, c.code",
                                PSY_NOARGS);
    if (!s) return psy__store_dbfail(st, "catalog");
    struct psy__buf extra = {0};
    int rc;
    while ((rc = psy__sql_step(s)) == PSY_SQL_ROW) {
        struct psy_code c;
        row_to_code(s, &c);
        extra.n = 0;
        psy__buf_puts(&extra, "");
        const char *body = psy__sql_text(s, 10), *syn = psy__sql_text(s, 9);
        if (body) psy__catalog_page_text(body, &extra);
        int stop = fn(ud, &c, syn ? syn : "", extra.p);
        psy_code_clear(&c);
        if (stop) break;
    }
    psy__buf_free(&extra);
    psy_status out = rc == PSY_SQL_ERROR ? psy__store_dbfail(st, "catalog") : PSY_OK;
    psy__sql_finalize(s);
    return out;
}

psy_status psy_catalog_counts(psy_store *st, long counts[PSY_SYS_COUNT])
{
    memset(counts, 0, sizeof(long) * PSY_SYS_COUNT);
    psy__stmt *s = psy__db_stmt(st, "SELECT system, count(*) FROM code GROUP BY system", PSY_NOARGS);
    if (!s) return psy__store_dbfail(st, "catalog");
    int rc;
    while ((rc = psy__sql_step(s)) == PSY_SQL_ROW) {
        psy_system sys;
        if (!psy_catalog_system_parse(psy__sql_text(s, 0), &sys)) counts[sys] = (long)psy__sql_int64(s, 1);
    }
    psy_status out = rc == PSY_SQL_ERROR ? psy__store_dbfail(st, "catalog") : PSY_OK;
    psy__sql_finalize(s);
    return out;
}

/* --- the catalog's generation ------------------------------------------------------------------------ */

#define GENERATION_KEY "catalog_generation"

static void new_generation(char out[33])
{
    unsigned char r[16];
    if (sodium_init() < 0) memset(r, 0, sizeof r); /* cannot happen after the first successful call */
    else randombytes_buf(r, sizeof r);
    sodium_bin2hex(out, 33, r, sizeof r);
}

psy_status psy__catalog_touch(psy_store *st)
{
    char gen[33];
    new_generation(gen);
    return psy__store_meta_set(st, GENERATION_KEY, gen);
}

psy_status psy__catalog_generation(psy_store *st, char *buf, size_t cap)
{
    if (psy__store_meta_get(st, GENERATION_KEY, buf, cap)) return PSY_OK;
    /* a store from before generations were kept: give it one (another process may do the same at once;
     * the first one written stays) */
    char gen[33];
    new_generation(gen);
    if (psy__db_run(st, NULL, "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
                    PSY_ARGS(PSY_TEXT(GENERATION_KEY), PSY_TEXT(gen))))
        return psy__store_dbfail(st, "meta");
    return psy__store_meta_get(st, GENERATION_KEY, buf, cap) ? PSY_OK : psy__store_dbfail(st, "meta");
}
