/*
 * api_search.c -- searching the code catalog over HTTP: psyclaim's own search (GET /api/search) and
 * the NLM Clinical Table Search Service dialect for ICD-10-CM and HCPCS (GET /api/icd10cm/v3/search,
 * GET /api/hcpcs/v3/search), so clients written for that service work against psyclaim unchanged.
 *
 * Both run on the one search index the server builds at start (psy_search, immutable, shared by every
 * thread). The NLM answer is the array [total, [codes], extras, [[display fields]...]]; its fields are
 * "code" and "name" (HCPCS also takes NLM's "display", "short_desc" and "long_desc" for the title).
 * Code data is public, so these routes need no session and answer cross-origin requests.
 */
#include <stdlib.h>
#include <string.h>
#include "srv_int.h"

#define SEARCH_LIMIT_MAX 100 /* /api/search: most hits per page */
#define NLM_LIST_MAX 500     /* NLM: most results per request */
#define NLM_DEFAULT_LIST 7
#define OFFSET_MAX 7500      /* how deep either may page, as the NLM service allows */

/* Runs one query into a fresh array of at most limit hits (limit may be 0); replies and returns NULL on
 * failure. A terms error names the field the caller gave. */
static psy_search_hit *run_query(struct srv_req *r, const char *q, const char *field, const psy_search_opts *o,
                                 size_t *n, size_t *total, int *close)
{
    psy_status rc = psy_search_check(q);
    if (rc) {
        srv_reply_error(r, 400, "invalid", field, "%s must be UTF-8 text of at most %d bytes", field,
                        PSY_SEARCH_QUERY_MAX);
        return NULL;
    }
    psy_search_hit *hits = calloc(o->limit ? o->limit : 1, sizeof *hits);
    if (!hits) {
        srv_reply_status(r, PSY_ENOMEM, NULL);
        return NULL;
    }
    *n = *total = 0;
    psy_search_info info = {0};
    if (o->limit) rc = psy_search_run(r->srv->index, q, o, hits, o->limit, n, &info);
    else { /* only the count: ask for one hit and drop it */
        psy_search_opts one = *o;
        one.limit = 1;
        rc = psy_search_run(r->srv->index, q, &one, hits, 1, n, &info);
        *n = 0;
    }
    *total = info.total;
    if (close) *close = info.close;
    if (rc) {
        free(hits);
        srv_reply_status(r, rc, field);
        return NULL;
    }
    return hits;
}

/* --- GET /api/search ------------------------------------------------------------------------------- */

static int parse_bool(const char *v, int *out)
{
    if (!v || !strcmp(v, "0") || !strcmp(v, "false")) *out = 0;
    else if (!strcmp(v, "1") || !strcmp(v, "true") || !*v) *out = 1;
    else return -1;
    return 0;
}

void api_search(struct srv_req *r)
{
    psy_search_opts o = {PSY_SYS_COUNT, 0, 20, 0};
    const char *q = srv_query(r, "q"), *sys = srv_query(r, "system");
    if (!q) {
        srv_reply_error(r, 400, "required", "q", "q (the text to search for) is required");
        return;
    }
    if (sys && *sys && strcmp(sys, "all") && strcmp(sys, "any") && psy_catalog_system_parse(sys, &o.system)) {
        srv_reply_error(r, 400, "invalid", "system", "unknown code system (cpt, hcpcs, icd10cm, modifier, pos or all)");
        return;
    }
    if (parse_bool(srv_query(r, "billable"), &o.billable_only)) {
        srv_reply_error(r, 400, "invalid", "billable", "billable must be true or false");
        return;
    }
    long long limit, offset;
    if (srv_query_int(r, "limit", 1, SEARCH_LIMIT_MAX, 20, &limit) ||
        srv_query_int(r, "offset", 0, OFFSET_MAX, 0, &offset))
        return;
    o.limit = (size_t)limit;
    o.offset = (size_t)offset;
    size_t n, total;
    int close = 0;
    psy_search_hit *hits = run_query(r, q, "q", &o, &n, &total, &close);
    if (!hits) return;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:b, s:f}", "system",
                                             psy_catalog_system_name(hits[i].system), "code", hits[i].code,
                                             "title", hits[i].title, "billable", hits[i].billable, "score",
                                             hits[i].score));
    free(hits);
    /* close: false when the hits are only the nearest suggestions (no close match for the query) */
    srv_reply_json(r, 200,
                   json_pack("{s:I, s:b, s:o}", "total", (json_int_t)total, "close", n > 0 && close, "hits", arr));
}

/* --- the NLM Clinical Table Search Service dialect ---------------------------------------------------- */

enum nlm_field { NLM_CODE, NLM_NAME };
#define NLM_FIELDS_MAX 8

/* Parses a comma-separated field list ("code,name") into fields; 0 on success, -1 when a field is
 * unknown, the list is empty or too long. */
static int parse_fields(const char *list, psy_system sys, enum nlm_field *f, size_t *n)
{
    static const char *const title_names[] = {"name", "display", "short_desc", "long_desc"};
    *n = 0;
    const char *p = list;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (*n == NLM_FIELDS_MAX) return -1;
        if (len == 4 && !memcmp(p, "code", 4)) {
            f[(*n)++] = NLM_CODE;
        } else {
            size_t k, last = sys == PSY_SYS_HCPCS ? 4 : 1; /* the other title names are HCPCS fields */
            for (k = 0; k < last; k++)
                if (strlen(title_names[k]) == len && !memcmp(p, title_names[k], len)) break;
            if (k == last) return -1;
            f[(*n)++] = NLM_NAME;
        }
        if (!e) return 0;
        p = e + 1;
    }
}

static const char *field_value(const psy_search_hit *h, enum nlm_field f)
{
    return f == NLM_CODE ? h->code : h->title;
}

/* maxList, else count, else 7; an empty maxList means the most (as the NLM service reads it). */
static int page_size(struct srv_req *r, long long *out)
{
    const char *ml = srv_query(r, "maxList");
    if (ml && !*ml) {
        *out = NLM_LIST_MAX;
        return 0;
    }
    /* larger lists are cut to the most allowed, as the NLM service does */
    const char *name = ml ? "maxList" : "count";
    if (srv_query_int(r, name, 0, 1000000, NLM_DEFAULT_LIST, out)) return -1;
    if (*out > NLM_LIST_MAX) *out = NLM_LIST_MAX;
    return 0;
}

static void nlm_search(struct srv_req *r, psy_system sys)
{
    /* a client on another origin (an NLM widget on someone's page) may read public code data */
    srv_add_header(r, "Access-Control-Allow-Origin", "*");
    const char *terms = srv_query(r, "terms");
    if (!terms) {
        srv_reply_error(r, 400, "required", "terms", "terms (the text to search for) is required");
        return;
    }
    enum nlm_field df[NLM_FIELDS_MAX], ef[NLM_FIELDS_MAX];
    size_t ndf, nef = 0;
    const char *dfs = srv_query(r, "df"), *efs = srv_query(r, "ef");
    if (parse_fields(dfs ? dfs : "code,name", sys, df, &ndf)) {
        srv_reply_error(r, 400, "invalid", "df", "df must list fields from: code, name");
        return;
    }
    if (efs && parse_fields(efs, sys, ef, &nef)) {
        srv_reply_error(r, 400, "invalid", "ef", "ef must list fields from: code, name");
        return;
    }
    /* sf (fields to search) is accepted and needs nothing: code and name are always searched */
    long long size, offset;
    if (page_size(r, &size) || srv_query_int(r, "offset", 0, OFFSET_MAX, 0, &offset)) return;
    psy_search_opts o = {sys, 0, (size_t)size, (size_t)offset};
    size_t n, total;
    psy_search_hit *hits = run_query(r, terms, "terms", &o, &n, &total, NULL);
    if (!hits) return;
    json_t *codes = json_array(), *display = json_array(), *extras = nef ? json_object() : json_null();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(codes, json_string(hits[i].code));
        json_t *row = json_array();
        for (size_t k = 0; k < ndf; k++) json_array_append_new(row, json_string(field_value(&hits[i], df[k])));
        json_array_append_new(display, row);
    }
    for (size_t k = 0; k < nef; k++) {
        json_t *col = json_array();
        for (size_t i = 0; i < n; i++) json_array_append_new(col, json_string(field_value(&hits[i], ef[k])));
        /* keyed by the name the client asked for */
        const char *p = efs;
        for (size_t j = 0; j < k; j++) p = strchr(p, ',') + 1;
        const char *e = strchr(p, ',');
        char key[32];
        size_t len = e ? (size_t)(e - p) : strlen(p);
        snprintf(key, sizeof key, "%.*s", (int)len, p);
        json_object_set_new(extras, key, col);
    }
    free(hits);
    srv_reply_json(r, 200, json_pack("[I, o, o, o]", (json_int_t)total, codes, extras, display));
}

void api_nlm_icd10cm(struct srv_req *r) { nlm_search(r, PSY_SYS_ICD10CM); }

void api_nlm_hcpcs(struct srv_req *r) { nlm_search(r, PSY_SYS_HCPCS); }
