/*
 * x12_era.c -- what an 835 remittance says, for people and programs: plain words for its codes
 * (adjustment groups, claim adjustment reason codes, claim statuses, provider-level adjustment
 * reasons; the table is data/x12/carc.json, compiled in) and the `era read` JSON document.
 *
 * The table is read once, on first use, into a sorted array that lives as long as the process; after
 * that a look-up is a binary search and needs no lock. The JSON document is built with jansson from
 * the payments psy_x12_835_read hands over, so the CLI and the web server answer with the same shape.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "x12_int.h"

/* --- plain words ------------------------------------------------------------------------------- */

#define CODE_MAX 8

struct text_entry {
    psy_x12_text_kind kind;
    char code[CODE_MAX];
    char *text;
};

static struct text_entry *texts;
static size_t n_texts;
static pthread_once_t texts_once = PTHREAD_ONCE_INIT;

/* The file and JSON object of each kind: the 835's codes in data/x12/carc.json, the
 * acknowledgements' in data/x12/ack.json. */
static const struct {
    const char *file, *key;
} kind_keys[PSY_X12_TEXT_KIND_COUNT] = {
    {"x12/carc.json", "groups"},          {"x12/carc.json", "reasons"},
    {"x12/carc.json", "claim_status"},    {"x12/carc.json", "provider_adjustments"},
    {"x12/ack.json", "ack"},              {"x12/ack.json", "segment_errors"},
    {"x12/ack.json", "element_errors"},   {"x12/ack.json", "set_errors"},
    {"x12/ack.json", "group_errors"},     {"x12/ack.json", "interchange_notes"},
    {"x12/ack.json", "status_categories"}, {"x12/ack.json", "status_codes"},
    {"x12/ack.json", "entities"}};

/* The table of kind k; roots[0] holds carc.json, roots[1] ack.json, loaded on first need. */
static json_t *kind_table(json_t *roots[2], int k)
{
    int i = strcmp(kind_keys[k].file, "x12/carc.json") != 0;
    if (!roots[i]) {
        size_t len;
        const char *data = psy_data_get(kind_keys[k].file, &len);
        roots[i] = data ? json_loadb(data, len, 0, NULL) : json_object();
        if (!roots[i]) roots[i] = json_object();
    }
    return json_object_get(roots[i], kind_keys[k].key);
}

static int entry_cmp(const void *a, const void *b)
{
    const struct text_entry *x = a, *y = b;
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    return strcmp(x->code, y->code);
}

static void load_texts(void)
{
    json_t *roots[2] = {NULL, NULL};
    size_t cap = 0;
    for (int k = 0; k < PSY_X12_TEXT_KIND_COUNT; k++) cap += json_object_size(kind_table(roots, k));
    texts = cap ? psy__calloc(cap, sizeof *texts) : NULL;
    for (int k = 0; k < PSY_X12_TEXT_KIND_COUNT; k++) {
        const char *code;
        json_t *v;
        json_object_foreach(kind_table(roots, k), code, v)
        {
            /* the build's tests check that every entry is a non-empty string under a short code */
            if (!json_is_string(v) || !*json_string_value(v) || !*code || strlen(code) >= CODE_MAX) continue;
            struct text_entry *e = &texts[n_texts++];
            e->kind = (psy_x12_text_kind)k;
            memcpy(e->code, code, strlen(code) + 1);
            e->text = psy__strdup(json_string_value(v));
        }
    }
    if (n_texts) qsort(texts, n_texts, sizeof *texts, entry_cmp);
    json_decref(roots[0]);
    json_decref(roots[1]);
}

const char *psy_x12_describe(psy_x12_text_kind kind, const char *code)
{
    if ((int)kind < 0 || kind >= PSY_X12_TEXT_KIND_COUNT || !code) return NULL;
    pthread_once(&texts_once, load_texts);
    struct text_entry key = {kind, "", NULL};
    size_t n = strlen(code);
    if (!n || n >= CODE_MAX) return NULL;
    for (size_t i = 0; i < n; i++) /* codes are upper case; files now and then are not */
        key.code[i] = (char)(code[i] >= 'a' && code[i] <= 'z' ? code[i] - 'a' + 'A' : code[i]);
    const struct text_entry *e = n_texts ? bsearch(&key, texts, n_texts, sizeof *texts, entry_cmp) : NULL;
    return e ? e->text : NULL;
}

size_t psy_x12_describe_count(psy_x12_text_kind kind)
{
    pthread_once(&texts_once, load_texts);
    size_t n = 0;
    for (size_t i = 0; i < n_texts; i++) n += texts[i].kind == kind;
    return n;
}

/* --- the era read document --------------------------------------------------------------------- */

/* A JSON string of text from the file. An 835 should carry ASCII, but a payer's name now and then
 * comes in another 8-bit character set, which JSON cannot hold: such bytes are shown as '?'. */
static json_t *jstr(const char *s)
{
    size_t n = strlen(s);
    if (psy__utf8_valid(s, n)) return json_stringn(s, n);
    char *t = psy__strndup(s, n);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)t[i] >= 0x80) t[i] = '?';
    json_t *j = json_stringn(t, n);
    free(t);
    return j;
}

/* Plain words for a code, or null when the table has none. */
static json_t *text_json(psy_x12_text_kind kind, const char *code)
{
    const char *t = psy_x12_describe(kind, code);
    return t ? json_string(t) : json_null();
}

static json_t *adjustments_json(const struct psy_era_adjustment *a, size_t n, int detail)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *j = json_pack("{s:o, s:o, s:I}", "group", jstr(a[i].group), "reason", jstr(a[i].reason),
                              "amount_cents", (json_int_t)a[i].amount_cents);
        if (detail) {
            json_object_set_new(j, "group_text", text_json(PSY_X12_TEXT_GROUP, a[i].group));
            json_object_set_new(j, "reason_text", text_json(PSY_X12_TEXT_REASON, a[i].reason));
        }
        json_array_append_new(arr, j);
    }
    return arr;
}

/* The message of a claim's or line's defect (1-based index into the payment's), null when it was read. */
static json_t *defect_json(const struct psy_era_payment *p, size_t d)
{
    return d && d <= p->n_defects ? jstr(p->defects[d - 1].message) : json_null();
}

static json_t *service_json(const struct psy_era_payment *p, const struct psy_era_service *v, int detail)
{
    json_t *mods = json_array(), *remarks = json_array();
    for (int m = 0; m < PSY_CLAIM_MAX_MODS; m++)
        if (v->modifiers[m][0]) json_array_append_new(mods, jstr(v->modifiers[m]));
    for (size_t r = 0; r < v->n_remarks; r++) json_array_append_new(remarks, jstr(v->remarks[r]));
    json_t *j = json_pack("{s:o, s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "code", jstr(v->code), "modifiers",
                          mods, "charge_cents", (json_int_t)v->charge_cents, "paid_cents", (json_int_t)v->paid_cents,
                          "allowed_cents", v->has_allowed ? json_integer(v->allowed_cents) : json_null(), "units",
                          jstr(v->units), "date", jstr(v->date), "line_control", jstr(v->line_control),
                          "adjustments", adjustments_json(v->adjustments, v->n_adjustments, detail), "remarks",
                          remarks);
    if (detail) json_object_set_new(j, "submitted_code", *v->submitted_code ? jstr(v->submitted_code) : json_null());
    if (p->defects) json_object_set_new(j, "defect", defect_json(p, v->defect));
    return j;
}

static json_t *claim_json(const struct psy_era_payment *p, const struct psy_era_claim *c, int detail)
{
    json_t *svcs = json_array();
    for (size_t j = 0; j < c->n_services; j++) json_array_append_new(svcs, service_json(p, &c->services[j], detail));
    json_t *j = json_pack("{s:o, s:o, s:I, s:I, s:I, s:o, s:o}", "claim_id", jstr(c->claim_id), "status",
                          jstr(c->status), "charge_cents", (json_int_t)c->charge_cents, "paid_cents",
                          (json_int_t)c->paid_cents, "patient_responsibility_cents",
                          (json_int_t)c->patient_responsibility_cents, "adjustments",
                          adjustments_json(c->adjustments, c->n_adjustments, detail), "services", svcs);
    if (detail) {
        json_object_set_new(j, "status_text", text_json(PSY_X12_TEXT_CLAIM_STATUS, c->status));
        json_object_set_new(j, "payer_claim_number", jstr(c->payer_claim_number));
        json_object_set_new(j, "start_date", jstr(c->start_date));
        json_object_set_new(j, "end_date", jstr(c->end_date));
    }
    if (p->defects) json_object_set_new(j, "defect", defect_json(p, c->defect));
    return j;
}

static json_t *payment_json(const struct psy_era_payment *p, int detail, int lenient)
{
    json_t *claims = json_array(), *plb = json_array();
    for (size_t i = 0; i < p->n_claims; i++) json_array_append_new(claims, claim_json(p, &p->claims[i], detail));
    for (size_t i = 0; i < p->n_provider_adjustments; i++) {
        const struct psy_era_provider_adjustment *a = &p->provider_adjustments[i];
        json_t *j = json_pack("{s:o, s:o, s:o, s:I}", "provider_id", jstr(a->provider_id), "reason", jstr(a->reason),
                              "reference", jstr(a->reference), "amount_cents", (json_int_t)a->amount_cents);
        if (detail) json_object_set_new(j, "reason_text", text_json(PSY_X12_TEXT_PROVIDER_ADJUSTMENT, a->reason));
        json_array_append_new(plb, j);
    }
    json_t *j = json_pack("{s:o, s:o, s:I, s:o, s:o}", "payer", jstr(p->payer_name), "check_number",
                          jstr(p->check_number), "paid_cents", (json_int_t)p->paid_cents, "claims", claims,
                          "provider_adjustments", plb);
    if (p->defects || lenient) {
        static const char *const kinds[] = {"warning", "claim", "service", "payment"};
        json_t *arr = json_array();
        for (size_t i = 0; i < p->n_defects; i++)
            json_array_append_new(arr, json_pack("{s:s, s:I, s:o}", "kind", kinds[p->defects[i].kind], "segment",
                                                 (json_int_t)p->defects[i].segment, "message",
                                                 jstr(p->defects[i].message)));
        json_object_set_new(j, "defects", arr);
    }
    if (detail) {
        json_t *d = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "payer_id", jstr(p->payer_id), "payee",
                              jstr(p->payee_name), "payee_id", jstr(p->payee_id), "method", jstr(p->method),
                              "credit_debit", jstr(p->credit_debit), "payment_date", jstr(p->payment_date));
        json_object_update(j, d);
        json_decref(d);
    }
    return j;
}

struct collect {
    json_t *payments;
    int detail, lenient;
};

static psy_status on_payment(void *ud, struct psy_era_payment *p)
{
    struct collect *c = ud;
    json_array_append_new(c->payments, payment_json(p, c->detail, c->lenient));
    psy_era_payment_free(p);
    return PSY_OK;
}

psy_status psy_x12_835_json(psy_x12_reader *r, unsigned flags, char **out, size_t *len, size_t *n_payments,
                            char *err, size_t errlen)
{
    *out = NULL;
    if (len) *len = 0;
    if (n_payments) *n_payments = 0;
    struct collect c = {json_array(), (flags & PSY_ERA_JSON_DETAIL) != 0, (flags & PSY_ERA_JSON_LENIENT) != 0};
    psy_status rc = c.lenient ? psy_x12_835_read_lenient(r, on_payment, &c, err, errlen)
                              : psy_x12_835_read(r, on_payment, &c, err, errlen);
    if (rc) {
        json_decref(c.payments);
        return rc;
    }
    if (n_payments) *n_payments = json_array_size(c.payments);
    json_t *doc = json_pack("{s:o}", "payments", c.payments);
    *out = json_dumps(doc, (flags & PSY_ERA_JSON_PRETTY) ? JSON_INDENT(2) | JSON_PRESERVE_ORDER : JSON_COMPACT);
    json_decref(doc);
    if (!*out) return PSY_ENOMEM;
    if (len) *len = strlen(*out);
    return PSY_OK;
}
