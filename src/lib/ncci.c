/*
 * ncci.c -- the NCCI tables in memory for the coding engine: loading them (from the store when it holds
 * an import, else from the built-in set in data/ncci/), and the look-ups the engine makes per line.
 * Also the small shared helpers of the coding modules: the key index (calendar dates are date.c's); and
 * the row counts of the imported tables (psy_ncci_counts; importing them is ncci_import.c's).
 *
 * The one idea: every code is packed into a 30-bit key (psy__code_key), and every table is an array of
 * rows sorted by key with an open-addressing hash from key to the first row, so a look-up on the coding
 * path is one hash probe and a short scan, without allocation or text comparison. PTP rows are loaded
 * only where a psychiatric code (90785-90899) is on one side, or E/M codes are on both: the pairs a
 * psychotherapy claim can meet.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_db.h"
#include "coding_int.h"

void psy__code_text(uint32_t key, char out[6])
{
    for (int i = 4; i >= 0; i--) {
        uint32_t v = key & 63;
        out[i] = v >= 1 && v <= 10 ? (char)('0' + v - 1) : v >= 11 && v <= 36 ? (char)('A' + v - 11) : '?';
        key >>= 6;
    }
    out[5] = 0;
}

/* --- key index ------------------------------------------------------------------------------------ */

static size_t slot_of(uint64_t key, size_t mask)
{
    key ^= key >> 29;
    key *= 0x9E3779B97F4A7C15ull;
    return (size_t)(key >> 32) & mask;
}

void psy__keyidx_build(struct psy__keyidx *ix, const uint64_t *sorted_keys, size_t n)
{
    size_t size = 16;
    while (size < 2 * n) size *= 2;
    ix->mask = size - 1;
    ix->keys = psy__calloc(size, sizeof *ix->keys);
    ix->first = psy__calloc(size, sizeof *ix->first);
    for (size_t i = 0; i < n; i++) {
        if (i && sorted_keys[i] == sorted_keys[i - 1]) continue;
        size_t h = slot_of(sorted_keys[i], ix->mask);
        while (ix->keys[h]) h = (h + 1) & ix->mask;
        ix->keys[h] = sorted_keys[i];
        ix->first[h] = (uint32_t)i;
    }
}

long psy__keyidx_find(const struct psy__keyidx *ix, uint64_t key)
{
    if (!ix->keys || !key) return -1;
    for (size_t h = slot_of(key, ix->mask); ix->keys[h]; h = (h + 1) & ix->mask)
        if (ix->keys[h] == key) return ix->first[h];
    return -1;
}

void psy__keyidx_free(struct psy__keyidx *ix)
{
    free(ix->keys);
    free(ix->first);
    memset(ix, 0, sizeof *ix);
}

/* --- look-ups ------------------------------------------------------------------------------------- */

const struct psy__ptp_row *psy__ncci_ptp(const struct psy__ncci *t, uint32_t c1, uint32_t c2, int date)
{
    uint64_t key = (uint64_t)c1 << 32 | c2;
    long i = psy__keyidx_find(&t->ix_ptp, key);
    if (i < 0) return NULL;
    /* rows of one pair are ordered by deletion date, latest first: the edit in force wins */
    for (size_t k = (size_t)i; k < t->n_ptp && t->ptp[k].key == key; k++) {
        const struct psy__ptp_row *r = &t->ptp[k];
        if (r->indicator != 9 && r->effective <= date && date <= r->deleted) return r;
    }
    return NULL;
}

const struct psy__mue_row *psy__ncci_mue(const struct psy__ncci *t, uint32_t code)
{
    long i = psy__keyidx_find(&t->ix_mue, code);
    return i < 0 ? NULL : &t->mue[i];
}

const struct psy__aoc_row *psy__ncci_aoc(const struct psy__ncci *t, uint32_t addon, size_t *n)
{
    long i = psy__keyidx_find(&t->ix_aoc, addon);
    *n = 0;
    if (i < 0) return NULL;
    size_t k = (size_t)i;
    while (k + *n < t->n_aoc && t->aoc[k + *n].key == addon) (*n)++;
    return &t->aoc[k];
}

/* --- sorting and indexing ------------------------------------------------------------------------- */

static int ptp_cmp(const void *a, const void *b)
{
    const struct psy__ptp_row *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (y->deleted > x->deleted) - (y->deleted < x->deleted); /* latest deletion date first */
}

static int mue_cmp(const void *a, const void *b)
{
    uint64_t x = ((const struct psy__mue_row *)a)->key, y = ((const struct psy__mue_row *)b)->key;
    return x < y ? -1 : x > y;
}

static int aoc_cmp(const void *a, const void *b)
{
    const struct psy__aoc_row *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->primary < y->primary ? -1 : x->primary > y->primary;
}

/* Sorts rows (each starting with its uint64_t key) and indexes them. */
static void index_rows(void *rows, size_t n, size_t size, int (*cmp)(const void *, const void *),
                       struct psy__keyidx *ix)
{
    qsort(rows, n, size, cmp);
    uint64_t *keys = psy__malloc((n ? n : 1) * sizeof *keys);
    for (size_t i = 0; i < n; i++) memcpy(&keys[i], (const char *)rows + i * size, sizeof keys[i]);
    psy__keyidx_build(ix, keys, n);
    free(keys);
}

/* --- loading: built-in set ------------------------------------------------------------------------ */

/* A growable array of rows of one table. */
struct rows {
    void *p;
    size_t n, cap, size;
};

static void *rows_add(struct rows *r)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->p = psy__realloc(r->p, r->cap * r->size);
    }
    void *at = (char *)r->p + r->n++ * r->size;
    memset(at, 0, r->size);
    return at;
}

static const char *const builtin_files[PSY_NCCI_KIND_COUNT] = {"ncci/ptp.json", "ncci/mue.json", "ncci/aoc.json"};

static psy_status builtin_fail(char *err, size_t errlen, psy_ncci_kind kind, size_t row, const char *what)
{
    if (errlen) snprintf(err, errlen, "built-in data/%s: rows[%zu]: %s", builtin_files[kind], row, what);
    return PSY_EPARSE;
}

static psy_status load_builtin(psy_ncci_kind kind, struct rows *out, char *err, size_t errlen)
{
    size_t len;
    const char *text = psy_data_get(builtin_files[kind], &len);
    json_error_t je;
    json_t *root = text ? json_loadb(text, len, 0, &je) : NULL;
    json_t *rows = json_object_get(root, "rows");
    if (!json_is_array(rows)) {
        json_decref(root);
        if (errlen) snprintf(err, errlen, "built-in data/%s: missing or not JSON with a rows list", builtin_files[kind]);
        return PSY_EPARSE;
    }
    psy_status rc = PSY_OK;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        json_t *a = json_array_get(row, 0), *b = json_array_get(row, 1), *c = json_array_get(row, 2);
        uint32_t ka = json_is_string(a) ? psy__code_key(json_string_value(a)) : 0;
        if (!ka || !json_is_array(row) || json_array_size(row) != 3) {
            rc = builtin_fail(err, errlen, kind, i, "must be [code, ..., ...] with a five-character code first");
            break;
        }
        if (kind == PSY_NCCI_MUE) {
            if (!json_is_integer(b) || !json_is_integer(c) || json_integer_value(c) < 1 || json_integer_value(c) > 3) {
                rc = builtin_fail(err, errlen, kind, i, "must be [code, units, mai] with mai 1, 2 or 3");
                break;
            }
            struct psy__mue_row *m = rows_add(out);
            m->key = ka;
            m->units = (int32_t)json_integer_value(b);
            m->mai = (uint8_t)json_integer_value(c);
            continue;
        }
        uint32_t kb = json_is_string(b) ? psy__code_key(json_string_value(b)) : 0;
        int any = kind == PSY_NCCI_AOC && json_is_string(b) && !strcmp(json_string_value(b), "CCCCC");
        if ((!kb && !any) || !json_is_integer(c)) {
            rc = builtin_fail(err, errlen, kind, i, "must be [code, code, number]");
            break;
        }
        if (kind == PSY_NCCI_PTP) {
            struct psy__ptp_row *p = rows_add(out);
            p->key = (uint64_t)ka << 32 | kb;
            p->deleted = 99991231;
            p->indicator = (uint8_t)json_integer_value(c);
        } else {
            struct psy__aoc_row *a2 = rows_add(out);
            a2->key = ka;
            a2->primary = any ? 0 : kb;
            a2->deleted = 99991231;
            a2->type = (uint8_t)json_integer_value(c);
        }
    }
    json_decref(root);
    return rc;
}

/* --- loading: the store --------------------------------------------------------------------------- */

static int date_or(const char *s, int dflt)
{
    if (!s || !*s) return dflt;
    int d = psy__date_int(s);
    return d ? d : dflt;
}

static const char *const load_sql[PSY_NCCI_KIND_COUNT] = {
    "SELECT column1, column2, effective, deleted, modifier_indicator FROM ncci_ptp "
    "WHERE modifier_indicator IN (0, 1) AND (column1 BETWEEN '90785' AND '90899' "
    "OR column2 BETWEEN '90785' AND '90899' "
    "OR (column1 BETWEEN '99202' AND '99499' AND column2 BETWEEN '99202' AND '99499'))",
    "SELECT code, units, mai FROM ncci_mue",
    "SELECT addon, primary_code, edit_type, effective, deleted FROM ncci_aoc",
};

static psy_status load_store(psy_store *st, psy_ncci_kind kind, struct rows *out, char *err, size_t errlen)
{
    psy__stmt *s = psy__db_stmt(st, load_sql[kind], PSY_NOARGS);
    if (!s) {
        if (errlen) snprintf(err, errlen, "NCCI tables: %s", psy__db_errtext(st));
        return PSY_EDB;
    }
    int rc;
    while ((rc = psy__sql_step(s)) == PSY_SQL_ROW) {
        uint32_t a = psy__code_key(psy__sql_text(s, 0));
        if (!a) continue; /* the importer only writes codes; a hand-edited row is passed over */
        if (kind == PSY_NCCI_MUE) {
            struct psy__mue_row *m = rows_add(out);
            m->key = a;
            m->units = (int32_t)psy__sql_int64(s, 1);
            m->mai = (uint8_t)psy__sql_int64(s, 2);
            continue;
        }
        const char *btext = psy__sql_text(s, 1);
        uint32_t b = psy__code_key(btext);
        if (kind == PSY_NCCI_PTP) {
            if (!b) continue;
            struct psy__ptp_row *p = rows_add(out);
            p->key = (uint64_t)a << 32 | b;
            p->effective = date_or(psy__sql_text(s, 2), 0);
            p->deleted = date_or(psy__sql_text(s, 3), 99991231);
            p->indicator = (uint8_t)psy__sql_int64(s, 4);
        } else {
            if (!b && strcmp(btext ? btext : "", "CCCCC") != 0) continue;
            struct psy__aoc_row *r = rows_add(out);
            r->key = a;
            r->primary = b;
            r->effective = date_or(psy__sql_text(s, 3), 0);
            r->deleted = date_or(psy__sql_text(s, 4), 99991231);
            r->type = (uint8_t)psy__sql_int64(s, 2);
        }
    }
    psy__sql_finalize(s);
    if (rc != PSY_SQL_DONE) {
        if (errlen) snprintf(err, errlen, "NCCI tables: %s", psy__db_errtext(st));
        return PSY_EDB;
    }
    return PSY_OK;
}

psy_status psy__ncci_load(psy_store *st, struct psy__ncci *t, char *err, size_t errlen)
{
    static const size_t sizes[PSY_NCCI_KIND_COUNT] = {sizeof(struct psy__ptp_row), sizeof(struct psy__mue_row),
                                                      sizeof(struct psy__aoc_row)};
    memset(t, 0, sizeof *t);
    long counts[PSY_NCCI_KIND_COUNT] = {0};
    if (st && psy_ncci_counts(st, counts)) {
        if (errlen) snprintf(err, errlen, "NCCI tables: %s", psy_store_errmsg(st));
        return PSY_EDB;
    }
    for (int k = 0; k < PSY_NCCI_KIND_COUNT; k++) {
        struct rows r = {.size = sizes[k]};
        psy_status rc;
        t->imported[k] = counts[k] > 0;
        rc = t->imported[k] ? load_store(st, (psy_ncci_kind)k, &r, err, errlen)
                            : load_builtin((psy_ncci_kind)k, &r, err, errlen);
        if (rc) {
            free(r.p);
            psy__ncci_free(t);
            return rc;
        }
        if (k == PSY_NCCI_PTP) {
            t->ptp = r.p;
            t->n_ptp = r.n;
            index_rows(t->ptp, t->n_ptp, r.size, ptp_cmp, &t->ix_ptp);
        } else if (k == PSY_NCCI_MUE) {
            t->mue = r.p;
            t->n_mue = r.n;
            index_rows(t->mue, t->n_mue, r.size, mue_cmp, &t->ix_mue);
        } else {
            t->aoc = r.p;
            t->n_aoc = r.n;
            index_rows(t->aoc, t->n_aoc, r.size, aoc_cmp, &t->ix_aoc);
        }
    }
    return PSY_OK;
}

void psy__ncci_free(struct psy__ncci *t)
{
    free(t->ptp);
    free(t->mue);
    free(t->aoc);
    psy__keyidx_free(&t->ix_ptp);
    psy__keyidx_free(&t->ix_mue);
    psy__keyidx_free(&t->ix_aoc);
    memset(t, 0, sizeof *t);
}

/* The rows of each imported table (0 for a kind never imported). */
psy_status psy_ncci_counts(psy_store *st, long counts[PSY_NCCI_KIND_COUNT])
{
    static const char *const sql[PSY_NCCI_KIND_COUNT] = {"SELECT count(*) FROM ncci_ptp", "SELECT count(*) FROM ncci_mue",
                                                         "SELECT count(*) FROM ncci_aoc"};
    for (int k = 0; k < PSY_NCCI_KIND_COUNT; k++) {
        psy__stmt *s = psy__db_stmt(st, sql[k], PSY_NOARGS);
        if (!s) return psy__store_dbfail(st, "NCCI tables");
        int r = psy__sql_step(s);
        counts[k] = r == PSY_SQL_ROW ? (long)psy__sql_int64(s, 0) : 0;
        psy__sql_finalize(s);
        if (r == PSY_SQL_ERROR) return psy__store_dbfail(st, "NCCI tables");
    }
    return PSY_OK;
}
