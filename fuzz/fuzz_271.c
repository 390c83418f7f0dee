/*
 * fuzz_271.c -- libFuzzer target for the 271 eligibility reader: any bytes through psy_x12_271_read, the
 * front desk's summary and the JSON of each answer. The reader may reject the input; it may not crash or
 * leak, a rejection always comes with a message naming where, every answer's summary is within its
 * bounds (amounts and counts unknown or not negative, a percentage at most 100, visits used = allowed
 * less left), every rejection has its reason code, and every answer's JSON is valid.
 */
#include <jansson.h>
#include <psyclaim/psyclaim.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void bounded(long long v)
{
    if (v < 0 && v != PSY_ELIG_UNKNOWN) abort();
}

static psy_status walk(void *ud, struct psy_elig_response *r)
{
    size_t *n = ud;
    ++*n;
    struct psy_elig_summary s;
    psy_elig_summarize(r, &s);
    if (strcmp(s.status, "active") && strcmp(s.status, "inactive") && strcmp(s.status, "rejected") &&
        strcmp(s.status, "unknown"))
        abort();
    const long long amounts[] = {s.copay_in, s.copay_out, s.deductible_in, s.deductible_in_left, s.deductible_out,
                                 s.deductible_out_left, s.oop_in, s.oop_in_left, s.oop_out, s.oop_out_left,
                                 s.visits_allowed, s.visits_left, s.visits_used};
    for (size_t i = 0; i < sizeof amounts / sizeof *amounts; i++) bounded(amounts[i]);
    if (s.coinsurance_in > 10000 || s.coinsurance_out > 10000) abort();
    bounded(s.coinsurance_in);
    bounded(s.coinsurance_out);
    if (s.visits_used >= 0 && s.visits_used != s.visits_allowed - s.visits_left) abort();
    if (!strcmp(s.status, "rejected") && !r->n_rejects) abort();
    for (size_t i = 0; i < r->n_rejects; i++)
        if (!r->rejects[i].reason[0] || !r->rejects[i].segment) abort();
    for (size_t i = 0; i < r->n_benefits; i++)
        if (!r->benefits[i].info[0]) abort();
    char *text = psy_elig_response_json(r, 0);
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    if (!j || !json_is_object(json_object_get(j, "summary"))) abort();
    json_decref(j);
    free(text);
    psy_elig_response_free(r);
    return PSY_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[400];
    size_t n = 0;
    psy_x12_reader *r = psy_x12_reader_mem(data, size, 1 << 20);
    psy_status rc = psy_x12_271_read(r, walk, &n, err, sizeof err);
    if (rc != PSY_OK && !err[0]) abort();
    psy_x12_reader_free(r);
    return 0;
}
