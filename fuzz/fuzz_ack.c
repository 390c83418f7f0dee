/*
 * fuzz_ack.c -- libFuzzer target for the acknowledgement readers: any bytes through the detection of a
 * file's transaction, the TA1/999/277CA reader, its JSON document and the error sentences. Each may
 * reject the input; none may crash or leak, a rejection always comes with a message naming where, every
 * code handed over fits its field, and the JSON document agrees with the reader and is valid JSON.
 */
#include <jansson.h>
#include <psyclaim/psyclaim.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct counts {
    size_t ta1, groups, statuses;
};

static psy_status on_ta1(void *ud, const struct psy_ack_ta1 *t)
{
    struct counts *c = ud;
    if (!strchr("AER", t->ack[0]) || !t->ack[0] || t->ack[1]) abort();
    c->ta1++;
    return PSY_OK;
}

static psy_status on_999(void *ud, const struct psy_ack_999 *a)
{
    struct counts *c = ud;
    if (!a->functional_id[0] || !a->ack[0] || !strchr("AEMPRWX", a->ack[0])) abort();
    for (size_t i = 0; i < a->n_sets; i++) {
        const struct psy_ack_set *s = &a->sets[i];
        if (!s->control[0] || !s->ack[0] || !strchr("AEMRWX", s->ack[0])) abort();
        for (size_t e = 0; e < s->n_errors; e++) {
            char words[600];
            psy_x12_ack_error_words(&s->errors[e], words, sizeof words);
            if (!s->errors[e].segment_id[0] || !strstr(words, "segment ")) abort();
            if (s->errors[e].element && !s->errors[e].element_code[0]) abort();
        }
    }
    c->groups++;
    return PSY_OK;
}

static psy_status on_277(void *ud, const struct psy_ack_277 *r)
{
    struct counts *c = ud;
    if (!r->trace[0] || !r->level[0]) abort();
    for (size_t i = 0; i < r->n_statuses; i++)
        if (!r->statuses[i].category[0]) abort();
    int v = psy_x12_277_verdict(r);
    if (v < -1 || v > 1) abort();
    c->statuses++;
    return PSY_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[400], version[13];
    psy_x12_kind kind;
    psy_x12_reader *r = psy_x12_reader_mem(data, size, 1 << 20);
    psy_status rc = psy_x12_detect(r, &kind, version, err, sizeof err);
    psy_x12_reader_free(r);
    if (rc != PSY_OK && !err[0]) abort();
    if (!psy_x12_kind_name(kind)[0] || strlen(version) > 12) abort();

    struct counts c = {0, 0, 0};
    struct psy_ack_handlers h = {on_ta1, on_999, on_277, &c};
    r = psy_x12_reader_mem(data, size, 1 << 20);
    rc = psy_x12_ack_read(r, &h, err, sizeof err);
    psy_x12_reader_free(r);
    if (rc != PSY_OK && !err[0]) abort();

    char *doc = NULL;
    size_t len = 0;
    r = psy_x12_reader_mem(data, size, 1 << 20);
    psy_status jrc = psy_x12_ack_json(r, &doc, &len, err, sizeof err);
    psy_x12_reader_free(r);
    if (jrc != rc || !doc != (jrc != PSY_OK)) abort();
    if (doc) {
        json_t *j = json_loadb(doc, len, 0, NULL);
        if (!j || json_array_size(json_object_get(j, "ta1")) != c.ta1 ||
            json_array_size(json_object_get(j, "groups")) != c.groups ||
            json_array_size(json_object_get(j, "statuses")) != c.statuses)
            abort();
        json_decref(j);
        free(doc);
    }
    return 0;
}
