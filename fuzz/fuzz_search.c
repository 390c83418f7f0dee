/*
 * fuzz_search.c -- libFuzzer target for search queries: any bytes as a query, with and without filters
 * and paging, against an index of the built-in catalog. A query may be refused (not UTF-8, too long);
 * it must never crash, leak, or return more hits than asked or hits out of order.
 */
#include <psyclaim/psyclaim.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static psy_store *st;
static psy_search *ix;

static void close_all(void)
{
    psy_search_free(ix);
    psy_store_close(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ix) {
        if (psy_store_open(":memory:", &st, NULL, 0) || psy_catalog_seed(st) || psy_search_build(st, &ix)) abort();
        atexit(close_all);
    }
    if (size > 2 * PSY_SEARCH_QUERY_MAX) size = 2 * PSY_SEARCH_QUERY_MAX;
    char *q = malloc(size + 1);
    memcpy(q, data, size);
    q[size] = 0;
    static const psy_search_opts opts[] = {
        {PSY_SYS_COUNT, 0, 0, 0}, {PSY_SYS_ICD10CM, 1, 5, 0}, {PSY_SYS_CPT, 0, 3, 2}, {PSY_SYS_POS, 0, 0, 7}};
    psy_search_hit hits[16];
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
        size_t n = 99, total = 0;
        psy_status rc = psy_search_query(ix, q, &opts[k], hits, 16, &n, &total);
        if (rc != psy_search_check(q)) abort();
        if (rc) {
            if (n != 0) abort();
            continue;
        }
        if (n > 16 || (opts[k].limit && n > opts[k].limit) || n > total) abort();
        for (size_t i = 1; i < n; i++)
            if (hits[i].score > hits[i - 1].score) abort();
        for (size_t i = 0; i < n; i++)
            if (!hits[i].code || !hits[i].title || (opts[k].billable_only && !hits[i].billable)) abort();
    }
    free(q);
    return 0;
}
