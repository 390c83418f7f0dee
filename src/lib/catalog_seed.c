/*
 * catalog_seed.c -- loads the built-in catalog (data/catalog/<system>.json) and the explainer pages
 * (data/explainers/<code>.json) into a store.
 *
 * The one idea: the store remembers a hash of the built-in files it was seeded from (meta key
 * builtin_catalog); opening a store with the same build costs one look-up, and a new build reseeds in
 * one transaction. Built-in rows are replaced wholesale; imported rows keep their official titles and
 * dates and only take the built-in synonyms. Processes that start together on an old store take turns
 * (a lock, then the hash is read again), so the catalog is loaded once.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_db.h"

static const char *const page_text_keys[] = {"name", "summary", "purpose", "duration", "time_band",
                                             "setting", "recovery", "patient_experience"};
static const char *const page_list_keys[] = {"common_names", "indications", "preparation", "procedure",
                                             "personnel", "risks", "benefits", "alternatives",
                                             "billing_notes", "payer_policies", "sources"};

struct seed {
    psy_store *st;
    psy_status rc;
    uint64_t hash;
    psy__stmt *ins_code, *ins_link, *ins_page;
};

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

static psy_status fail(struct seed *sd, const char *file, size_t idx, const char *code, const char *what)
{
    if (!sd->rc)
        sd->rc = psy__store_fail(sd->st, PSY_EPARSE, "built-in data %s: entry %zu (%s): %s", file, idx + 1,
                                 code ? code : "?", what);
    return sd->rc;
}

static int step_reset(psy__stmt *s)
{
    int rc = psy__sql_step(s);
    psy__sql_reset(s);
    return rc == PSY_SQL_DONE;
}

static void load_entry(struct seed *sd, const char *file, psy_system sys, size_t idx, json_t *e)
{
    const char *raw = str_or(e, "code", NULL);
    char code[PSY_CODE_MAX];
    if (!raw || psy_catalog_normalize(sys, raw, code) || strcmp(code, raw) != 0) {
        fail(sd, file, idx, raw, "code missing or not in display form");
        return;
    }
    const char *shortt = str_or(e, "short", NULL), *longt = str_or(e, "long", shortt);
    if (!shortt || !*shortt) {
        fail(sd, file, idx, raw, "missing short title");
        return;
    }
    json_t *billable = json_object_get(e, "billable");
    if (!json_is_boolean(billable)) {
        fail(sd, file, idx, raw, "billable must be true or false");
        return;
    }
    struct psy__buf syn = {0};
    psy__buf_puts(&syn, "");
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(e, "synonyms"), i, it) if (json_is_string(it)) {
        if (syn.n) psy__buf_puts(&syn, "|");
        psy__buf_puts(&syn, json_string_value(it));
    }
    psy__stmt *s = sd->ins_code;
    int unbound = psy__sql_bind_args(
        s, 1,
        PSY_ARGS(PSY_TEXT(psy_catalog_system_name(sys)), PSY_TEXT(code), PSY_TEXT(shortt), PSY_TEXT(longt),
                 PSY_INT(json_is_true(billable)), PSY_INT(strcmp(str_or(e, "kind", ""), "addon") == 0),
                 PSY_TEXT(str_or(e, "effective", NULL)), PSY_TEXT(str_or(e, "terminated", NULL)), PSY_TEXT(syn.p)));
    psy__buf_free(&syn);
    if (unbound || !step_reset(s)) {
        sd->rc = psy__store_dbfail(sd->st, "seeding the catalog");
        return;
    }
    json_array_foreach(json_object_get(e, "links"), i, it)
    {
        const char *kind = str_or(it, "kind", ""), *tsys_name = str_or(it, "system", psy_catalog_system_name(sys));
        psy_system tsys;
        char tcode[PSY_CODE_MAX];
        if (psy_catalog_system_parse(tsys_name, &tsys) ||
            psy_catalog_normalize(tsys, str_or(it, "code", ""), tcode)) {
            fail(sd, file, idx, raw, "link with a bad system or code");
            return;
        }
        if (strcmp(kind, "similar") && strcmp(kind, "addon") && strcmp(kind, "primary") &&
            strcmp(kind, "instead")) {
            fail(sd, file, idx, raw, "link kind must be similar, addon, primary or instead");
            return;
        }
        psy__stmt *l = sd->ins_link;
        int bad_link = psy__sql_bind_args(l, 1,
                                          PSY_ARGS(PSY_TEXT(psy_catalog_system_name(sys)), PSY_TEXT(code),
                                                   PSY_TEXT(kind), PSY_TEXT(psy_catalog_system_name(tsys)),
                                                   PSY_TEXT(tcode), PSY_TEXT(str_or(it, "note", ""))));
        if (bad_link || !step_reset(l)) {
            sd->rc = psy__store_dbfail(sd->st, "seeding code links");
            return;
        }
    }
}

static void load_catalog_file(void *ud, const char *name, const char *data, size_t len)
{
    struct seed *sd = ud;
    if (sd->rc) return;
    json_error_t jerr;
    json_t *root = json_loadb(data, len, 0, &jerr);
    if (!root) {
        sd->rc = psy__store_fail(sd->st, PSY_EPARSE, "built-in data %s:%d: %s", name, jerr.line, jerr.text);
        return;
    }
    psy_system sys;
    if (psy_catalog_system_parse(str_or(root, "system", ""), &sys)) {
        sd->rc = psy__store_fail(sd->st, PSY_EPARSE, "built-in data %s: unknown system", name);
    } else {
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(root, "entries"), i, e)
        {
            if (sd->rc) break;
            load_entry(sd, name, sys, i, e);
        }
    }
    json_decref(root);
}

/* Checks that a page has every section filled (docs/data-format.md). */
static const char *page_missing(json_t *root)
{
    for (size_t i = 0; i < sizeof page_text_keys / sizeof page_text_keys[0]; i++) {
        const char *v = str_or(root, page_text_keys[i], "");
        if (!*v) return page_text_keys[i];
    }
    for (size_t i = 0; i < sizeof page_list_keys / sizeof page_list_keys[0]; i++) {
        json_t *v = json_object_get(root, page_list_keys[i]);
        if (!json_is_array(v) || json_array_size(v) == 0) return page_list_keys[i];
    }
    json_t *sim = json_object_get(root, "similar_codes");
    if (!json_is_array(sim) || json_array_size(sim) == 0) return "similar_codes";
    return NULL;
}

static void load_page_file(void *ud, const char *name, const char *data, size_t len)
{
    struct seed *sd = ud;
    if (sd->rc) return;
    json_error_t jerr;
    json_t *root = json_loadb(data, len, 0, &jerr);
    if (!root) {
        sd->rc = psy__store_fail(sd->st, PSY_EPARSE, "built-in data %s:%d: %s", name, jerr.line, jerr.text);
        return;
    }
    psy_system sys;
    char code[PSY_CODE_MAX];
    const char *missing = page_missing(root);
    if (psy_catalog_system_parse(str_or(root, "system", ""), &sys) ||
        psy_catalog_normalize(sys, str_or(root, "code", ""), code))
        sd->rc = psy__store_fail(sd->st, PSY_EPARSE, "built-in data %s: bad system or code", name);
    else if (missing)
        sd->rc = psy__store_fail(sd->st, PSY_EPARSE, "built-in data %s: section %s is empty", name, missing);
    else {
        char *body = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
        psy__stmt *s = sd->ins_page;
        int unbound =
            psy__sql_bind_args(s, 1, PSY_ARGS(PSY_TEXT(psy_catalog_system_name(sys)), PSY_TEXT(code), PSY_TEXT(body)));
        free(body);
        if (unbound || !step_reset(s)) sd->rc = psy__store_dbfail(sd->st, "seeding explainer pages");
    }
    json_decref(root);
}

psy_status psy_catalog_seed(psy_store *st)
{
    struct seed sd = {st, PSY_OK, 1469598103934665603ULL, NULL, NULL, NULL};
    sd.hash = psy__data_hash("explainers/", psy__data_hash("catalog/", sd.hash));
    char want[32], have[64];
    snprintf(want, sizeof want, "%016llx", (unsigned long long)sd.hash);
    const char *cur = psy__store_meta_get(st, "builtin_catalog", have, sizeof have);
    if (cur && strcmp(cur, want) == 0) return PSY_OK;

    psy_status rc = psy__store_begin(st);
    if (rc) return rc;
    /* another process may be seeding the same database: wait for it, then look again */
    rc = psy__store_lock(st, PSY__LOCK_SEED);
    if (!rc && (cur = psy__store_meta_get(st, "builtin_catalog", have, sizeof have)) && strcmp(cur, want) == 0)
        return psy__store_commit(st);
    if (!rc)
        rc = psy__store_exec(st, "DELETE FROM code WHERE source = 'builtin'; DELETE FROM code_link; "
                                 "DELETE FROM code_page; UPDATE code SET synonyms = ''");
    if (!rc) {
        sd.ins_code = psy__db_stmt(st,
                                   "INSERT INTO code(system, code, short_title, long_title, billable, "
                                   "addon, effective, terminated, synonyms, source) "
                                   "VALUES (?,?,?,?,?,?,?,?,?,'builtin') ON CONFLICT(system, code) "
                                   "DO UPDATE SET synonyms = excluded.synonyms, addon = excluded.addon",
                                   PSY_NOARGS);
        sd.ins_link = psy__db_stmt(st,
                                   "INSERT INTO code_link(system, code, kind, target_system, target_code, "
                                   "note) VALUES (?,?,?,?,?,?) ON CONFLICT(system, code, kind, "
                                   "target_system, target_code) DO UPDATE SET note = excluded.note",
                                   PSY_NOARGS);
        sd.ins_page = psy__db_stmt(st,
                                   "INSERT INTO code_page(system, code, body) VALUES (?,?,?) "
                                   "ON CONFLICT(system, code) DO UPDATE SET body = excluded.body",
                                   PSY_NOARGS);
        if (!sd.ins_code || !sd.ins_link || !sd.ins_page) rc = psy__store_dbfail(st, "seeding the catalog");
    }
    if (!rc) {
        psy_data_each("catalog/", load_catalog_file, &sd);
        psy_data_each("explainers/", load_page_file, &sd);
        rc = sd.rc;
    }
    psy__sql_finalize(sd.ins_code);
    psy__sql_finalize(sd.ins_link);
    psy__sql_finalize(sd.ins_page);
    if (!rc) rc = psy__store_meta_set(st, "builtin_catalog", want);
    if (!rc) rc = psy__catalog_touch(st);
    if (rc) {
        psy__store_rollback(st);
        return rc;
    }
    return psy__store_commit(st);
}
