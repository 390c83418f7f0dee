/*
 * api_codes.c -- the code reference: one code's record, its explainer page, the codes it is often
 * confused with and the codes linked to it, each with its title so a page can show and link them.
 *
 * JSON mapping first, handler below. The page object is the explainer page as the catalog keeps it
 * (docs/data-format.md), with "system" and "title" added to each similar code. An unknown code answers
 * 404 with close matches in "suggestions" beside the error.
 */
#include <stdlib.h>
#include <string.h>
#include "srv_int.h"

/* --- JSON mapping ---------------------------------------------------------------------------------- */

static json_t *code_json(const struct psy_code *c)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:s?, s:s?, s:b}", "system", psy_catalog_system_name(c->system),
                     "code", c->code, "short_title", c->short_title, "long_title", c->long_title, "billable",
                     c->billable, "addon", c->addon, "effective", *c->effective ? c->effective : NULL,
                     "terminated", *c->terminated ? c->terminated : NULL, "has_page", c->has_page);
}

/* Adds "system" and "title" of a referenced code to obj when the catalog has it (first in sys, then
 * in any system); "title" is null when it does not. */
static void add_title(psy_store *st, psy_system sys, const char *code, json_t *obj)
{
    struct psy_code c;
    psy_status rc = code ? psy_catalog_get(st, sys, code, &c) : PSY_ENOTFOUND;
    if (rc && code && sys != PSY_SYS_COUNT) rc = psy_catalog_get(st, PSY_SYS_COUNT, code, &c);
    if (rc) {
        json_object_set_new(obj, "title", json_null());
        return;
    }
    json_object_set_new(obj, "system", json_string(psy_catalog_system_name(c.system)));
    json_object_set_new(obj, "title", json_string(c.short_title));
    psy_code_clear(&c);
}

static json_t *page_json(psy_store *st, const struct psy_code *c)
{
    char *text = NULL;
    if (!c->has_page || psy_catalog_page(st, c->system, c->code, &text) != PSY_OK) return json_null();
    json_t *page = json_loads(text, 0, NULL);
    free(text);
    if (!json_is_object(page)) {
        json_decref(page);
        return json_null();
    }
    json_object_del(page, "system");
    json_object_del(page, "code");
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(page, "similar_codes"), i, it)
    {
        if (json_is_object(it)) add_title(st, c->system, json_string_value(json_object_get(it, "code")), it);
    }
    return page;
}

static json_t *links_json(psy_store *st, const struct psy_code *c)
{
    struct psy_link *links = NULL;
    size_t n = 0;
    json_t *arr = json_array();
    if (psy_catalog_links(st, c->system, c->code, &links, &n) != PSY_OK) return arr;
    for (size_t i = 0; i < n; i++) {
        json_t *l = json_pack("{s:s, s:s, s:s, s:s}", "kind", links[i].kind, "system",
                              psy_catalog_system_name(links[i].system), "code", links[i].code, "note",
                              links[i].note);
        add_title(st, links[i].system, links[i].code, l);
        json_array_append_new(arr, l);
    }
    psy_links_free(links, n);
    return arr;
}

/* --- handler --------------------------------------------------------------------------------------- */

void api_code(struct srv_req *r)
{
    const char *sysname = srv_param(r, "system"), *code = srv_param(r, "code");
    psy_system sys = PSY_SYS_COUNT;
    if (strcmp(sysname, "any") != 0 && psy_catalog_system_parse(sysname, &sys) != PSY_OK) {
        srv_reply_error(r, 400, "invalid", "system",
                        "unknown code system (cpt, hcpcs, icd10cm, modifier, pos or any)");
        return;
    }
    struct psy_code c;
    psy_status rc = psy_catalog_get(r->st, sys, code, &c);
    if (rc == PSY_ENOTFOUND) {
        struct psy_code sug[8];
        size_t n = psy_catalog_suggest(r->st, sys, code, sug, 8);
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "system", psy_catalog_system_name(sug[i].system),
                                                 "code", sug[i].code, "title", sug[i].short_title));
            psy_code_clear(&sug[i]);
        }
        srv_reply_error(r, 404, "not_found", "code", "no such code in the catalog");
        json_object_set_new(r->json, "suggestions", arr);
        return;
    }
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return;
    }
    json_t *out = code_json(&c);
    json_object_set_new(out, "page", page_json(r->st, &c));
    json_object_set_new(out, "links", links_json(r->st, &c));
    psy_code_clear(&c);
    srv_reply_json(r, 200, out);
}
