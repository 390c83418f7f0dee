/*
 * fuzz_x12.c -- libFuzzer target for the X12 readers: any bytes through the 835 reader (strict and
 * lenient), its JSON document and the structure check. Each may reject the input; none may crash, leak, or accept a
 * payment whose parts are out of bounds, a rejection always comes with a message, and the JSON
 * document agrees with the reader and is valid JSON whatever bytes the file holds.
 */
#include <jansson.h>
#include <psyclaim/psyclaim.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every payment the reader hands over has sums that fit (checked with psy_cents): each claim's
 * adjustments with its lines', the claim payments less the provider adjustments. The total over all
 * payments is taken with the same checked helper and may stop growing, never wrap. */
static psy_status walk(void *ud, struct psy_era_payment *p)
{
    long long *sum = ud, net = 0;
    int over = 0;
    for (size_t i = 0; i < p->n_claims; i++) {
        const struct psy_era_claim *c = &p->claims[i];
        if (!c->claim_id[0] || !c->status[0]) abort(); /* required elements were checked */
        long long adj = 0;
        int cover = 0;
        psy_cents_acc(&net, c->paid_cents, &over);
        for (size_t j = 0; j < c->n_adjustments; j++) psy_cents_acc(&adj, c->adjustments[j].amount_cents, &cover);
        for (size_t j = 0; j < c->n_services; j++) {
            const struct psy_era_service *v = &c->services[j];
            if (!v->code[0] || !v->units[0]) abort();
            if (strcmp(c->status, "22") && (v->paid_cents < 0 || v->charge_cents < 0)) abort();
            for (size_t k = 0; k < v->n_adjustments; k++) psy_cents_acc(&adj, v->adjustments[k].amount_cents, &cover);
        }
        if (cover) abort();
        if (strcmp(c->status, "22") && c->paid_cents < 0) abort(); /* negative only in a reversal */
    }
    for (size_t i = 0; i < p->n_provider_adjustments; i++) psy_cents_acc(&net, -p->provider_adjustments[i].amount_cents, &over);
    if (over || p->paid_cents < 0 || strlen(p->content_hash) != 64) abort();
    long long s2;
    if (!psy_cents_add(*sum, net, &s2)) *sum = s2;
    psy_era_payment_free(p);
    return PSY_OK;
}

/* The lenient reader: every claim and line it read whole obeys what the strict reader promises; each
 * defect has its message and a segment number, and each marked claim or line points at a defect. */
static psy_status walk_lenient(void *ud, struct psy_era_payment *p)
{
    (void)ud;
    for (size_t i = 0; i < p->n_defects; i++)
        if (!p->defects[i].message[0] || !p->defects[i].segment || p->defects[i].kind > PSY_ERA_DEFECT_PAYMENT) abort();
    for (size_t i = 0; i < p->n_claims; i++) {
        const struct psy_era_claim *c = &p->claims[i];
        if (c->defect > p->n_defects) abort();
        if (c->defect) continue;
        if (!c->claim_id[0] || !c->status[0]) abort();
        for (size_t j = 0; j < c->n_services; j++) {
            const struct psy_era_service *v = &c->services[j];
            if (v->defect > p->n_defects) abort();
            if (!v->defect && (!v->code[0] || !v->units[0])) abort();
        }
    }
    if (strlen(p->content_hash) != 64) abort();
    psy_era_payment_free(p);
    return PSY_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long long sum = 0;
    char err[400];
    psy_x12_reader *r = psy_x12_reader_mem(data, size, 1 << 20);
    psy_status rc = psy_x12_835_read(r, walk, &sum, err, sizeof err);
    if (rc != PSY_OK && !err[0]) abort();
    psy_x12_reader_free(r);
    r = psy_x12_reader_mem(data, size, 1 << 20);
    psy_status lrc = psy_x12_835_read_lenient(r, walk_lenient, NULL, err, sizeof err);
    if (lrc != PSY_OK && !err[0]) abort();
    if (rc == PSY_OK && lrc != PSY_OK) abort(); /* lenient never refuses what strict reading accepts */
    psy_x12_reader_free(r);

    char *doc = NULL;
    size_t len = 0, npay = 0;
    r = psy_x12_reader_mem(data, size, 1 << 20);
    psy_status jrc = psy_x12_835_json(r, PSY_ERA_JSON_DETAIL, &doc, &len, &npay, err, sizeof err);
    psy_x12_reader_free(r);
    if (jrc != rc || !doc != (jrc != PSY_OK)) abort();
    if (doc) {
        json_t *j = json_loadb(doc, len, 0, NULL);
        if (!j || json_array_size(json_object_get(j, "payments")) != npay) abort();
        json_decref(j);
        free(doc);
    }

    struct psy_x12_problem probs[8];
    size_t n;
    struct psy_x12_check_stats stats;
    r = psy_x12_reader_mem(data, size, 1 << 20);
    rc = psy_x12_check(r, probs, 8, &n, &stats);
    if (rc != PSY_OK && !n) abort(); /* a read failure is reported as a problem too */
    for (size_t i = 0; i < n && i < 8; i++)
        if (!probs[i].message[0]) abort();
    psy_x12_reader_free(r);
    return 0;
}
