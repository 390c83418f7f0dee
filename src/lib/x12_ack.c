/*
 * x12_ack.c -- what comes back after an 837P: the readers of the TA1 interchange acknowledgement, the
 * 999 implementation acknowledgement (005010X231A1: AK1, AK2, IK3, CTX, IK4, IK5, AK9) and the 277CA
 * claim acknowledgement (005010X214: HL 20/21/19/PT, NM1*PR, TRN, STC, REF*1K/D9, DTP*472, QTY, AMT,
 * SVC), the detection of the transaction a file holds, an acknowledgement in plain words and as JSON.
 *
 * Streaming like the 835 reader: the envelope tracker of x12.c checks nesting, counts and control
 * numbers; a 999 set is handed over at its SE, a 277 record (a TRN and what follows it) at the next HL,
 * TRN or SE. Codes with a closed list (IK501, AK901, TA104) are checked; the others are kept as sent
 * and explained from data/x12/ack.json when the table knows them.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "x12_int.h"

#define APPEND(arr, n) ((psy__grow_at(n) ? (void)((arr) = psy__realloc((arr), psy__grow_to(n) * sizeof *(arr))) : (void)0), \
                        memset(&(arr)[(n)], 0, sizeof *(arr)), &(arr)[(n)++])

/* --- detection ---------------------------------------------------------------------------------- */

const char *psy_x12_kind_name(psy_x12_kind k)
{
    static const char *const names[] = {"unknown", "837P", "835", "999", "277CA", "277", "271", "270", "TA1"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "unknown";
}

psy_status psy_x12_detect(psy_x12_reader *r, psy_x12_kind *kind, char *version, char *err, size_t errlen)
{
    char dummy[8], gs08[13] = "";
    if (!err || !errlen) err = dummy, errlen = sizeof dummy;
    err[0] = 0;
    *kind = PSY_X12_KIND_UNKNOWN;
    if (version) version[0] = 0;
    int seen_isa = 0, seen_ta1 = 0;
    for (;;) {
        const struct psy_x12_segment *s;
        psy_status rc = psy_x12_next(r, &s);
        if (rc && !seen_isa && rc != PSY_ETOOBIG) { /* not even an interchange: a kind of its own */
            snprintf(err, errlen, "the file is not X12: %s", psy_x12_reader_error(r));
            return PSY_OK;
        }
        if (rc) {
            snprintf(err, errlen, "%s", psy_x12_reader_error(r));
            return rc;
        }
        if (!s) break;
        if (psy__x12_id_is(s->id, "ISA")) seen_isa = 1;
        else if (psy__x12_id_is(s->id, "TA1")) seen_ta1 = 1;
        else if (psy__x12_id_is(s->id, "GS")) {
            psy__x12_copy(gs08, sizeof gs08, psy_x12_element(s, 8));
            if (version) memcpy(version, gs08, strlen(gs08) + 1);
        } else if (psy__x12_id_is(s->id, "ST")) {
            const char *st01 = psy_x12_element(s, 1);
            static const struct { const char *st; psy_x12_kind k; } kinds[] = {
                {"837", PSY_X12_KIND_837P}, {"835", PSY_X12_KIND_835}, {"999", PSY_X12_KIND_999},
                {"271", PSY_X12_KIND_271},  {"270", PSY_X12_KIND_270}, {"277", PSY_X12_KIND_277}};
            for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
                if (!strcmp(st01, kinds[i].st)) *kind = kinds[i].k;
            if (*kind == PSY_X12_KIND_277 && (strstr(gs08, "X214") || strstr(psy_x12_element(s, 3), "X214")))
                *kind = PSY_X12_KIND_277CA;
            if (*kind == PSY_X12_KIND_UNKNOWN)
                snprintf(err, errlen, "segment %lu (ST) element ST01: transaction set '%.6s' is none psyclaim reads",
                         s->number, st01);
            return PSY_OK;
        }
    }
    if (seen_ta1) *kind = PSY_X12_KIND_TA1;
    else snprintf(err, errlen, seen_isa ? "the file holds no transaction set (ST missing)"
                                        : "the file is not X12: no ISA segment");
    return PSY_OK;
}

/* --- reading ------------------------------------------------------------------------------------ */

struct ack_state {
    const struct psy_ack_handlers *h;
    char component;
    int in999, in277;
    struct psy_ack_999 a;          /* the open 999 set */
    struct psy_ack_277 c;          /* the open 277 record (c.segment != 0) */
    char level[3];                 /* HL03 of the last HL */
    char payer_name[61], payer_id[81];
    int in_service;                /* an SVC opened line-level statuses */
    char service[49];
    const struct psy_x12_segment *s;
    char *msg;
    size_t len;
};

static int bad(struct ack_state *k, size_t el, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(struct ack_state *k, size_t el, const char *fmt, ...)
{
    size_t off = 0;
    if (el) {
        int n = snprintf(k->msg, k->len, "element %s%02zu: ", k->s->id, el);
        off = n > 0 && (size_t)n < k->len ? (size_t)n : 0;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->msg + off, k->len - off, fmt, ap);
    va_end(ap);
    return -1;
}

/* Element el into dst (cap bytes); -1 when required and empty or when too long. */
static int get(struct ack_state *k, size_t el, char *dst, size_t cap, int required)
{
    const char *v = psy_x12_element(k->s, el);
    if (required && !*v) return bad(k, el, "required and missing");
    if (psy__x12_copy(dst, cap, v)) return bad(k, el, "'%.20s...' is longer than %zu characters", v, cap - 1);
    return 0;
}

/* Component c of element el into dst. */
static int part(struct ack_state *k, size_t el, size_t c, char *dst, size_t cap)
{
    if (psy_x12_component(psy_x12_element(k->s, el), k->component, c, dst, cap) >= cap)
        return bad(k, el, "component %zu is longer than %zu characters", c, cap - 1);
    return 0;
}

/* A count or position: digits only, at most 9. *out = -1 when empty and not required. */
static int count(struct ack_state *k, size_t el, long *out, int required)
{
    const char *v = psy_x12_element(k->s, el);
    *out = -1;
    if (!*v) return required ? bad(k, el, "required and missing") : 0;
    size_t n = strlen(v);
    if (n > 9 || strspn(v, "0123456789") != n) return bad(k, el, "'%.12s' is not a number of at most 9 digits", v);
    *out = strtol(v, NULL, 10);
    return 0;
}

/* A code from a closed list ("AEMRWX"): one letter. */
static int code_of(struct ack_state *k, size_t el, char dst[2], const char *allowed)
{
    const char *v = psy_x12_element(k->s, el);
    if (!*v) return bad(k, el, "required and missing");
    if (strlen(v) != 1 || !strchr(allowed, v[0]))
        return bad(k, el, "'%.8s' is not an acknowledgement code (one of %s)", v, allowed);
    dst[0] = v[0];
    dst[1] = 0;
    return 0;
}

static int date8(struct ack_state *k, size_t el, const char *v, char dst[9])
{
    if (!*v) return 0;
    if (!psy_date_valid(v)) return bad(k, el, "'%.12s' is not a date written CCYYMMDD", v);
    memcpy(dst, v, 9);
    return 0;
}

static void free999(struct psy_ack_999 *a)
{
    for (size_t i = 0; i < a->n_sets; i++) free(a->sets[i].errors);
    free(a->sets);
    memset(a, 0, sizeof *a);
}

static void free277(struct psy_ack_277 *c)
{
    free(c->statuses);
    memset(c, 0, sizeof *c);
}

/* Hands the open 277 record over, if any. */
static psy_status flush277(struct ack_state *k)
{
    psy_status rc = PSY_OK;
    if (k->c.segment && k->h->status277) rc = k->h->status277(k->h->ud, &k->c);
    free277(&k->c);
    k->in_service = 0;
    return rc;
}

static int step999(struct ack_state *k, const struct psy__x12_env *env)
{
    const struct psy_x12_segment *s = k->s;
    struct psy_ack_999 *a = &k->a;
    struct psy_ack_set *set = a->n_sets ? &a->sets[a->n_sets - 1] : NULL;
    struct psy_ack_error *e = set && set->n_errors ? &set->errors[set->n_errors - 1] : NULL;
    if (psy__x12_id_is(s->id, "AK1")) {
        long gc;
        if (get(k, 1, a->functional_id, sizeof a->functional_id, 1) || count(k, 2, &gc, 1) ||
            get(k, 3, a->version, sizeof a->version, 0))
            return -1;
        a->group_control = (unsigned long)gc;
        return 0;
    }
    if (psy__x12_id_is(s->id, "AK2")) {
        if (!a->functional_id[0]) return bad(k, 0, "a transaction set response before AK1");
        set = APPEND(a->sets, a->n_sets);
        set->segment = s->number;
        return get(k, 1, set->set_id, sizeof set->set_id, 1) || get(k, 2, set->control, sizeof set->control, 1) ||
                       get(k, 3, set->version, sizeof set->version, 0)
                   ? -1
                   : 0;
    }
    if (psy__x12_id_is(s->id, "IK3")) {
        if (!set) return bad(k, 0, "a segment error outside a transaction set response (AK2 missing)");
        e = APPEND(set->errors, set->n_errors);
        e->segment = s->number;
        long pos;
        if (get(k, 1, e->segment_id, sizeof e->segment_id, 1) || count(k, 2, &pos, 1) ||
            get(k, 3, e->loop, sizeof e->loop, 0) || get(k, 4, e->segment_code, sizeof e->segment_code, 0))
            return -1;
        e->position = (unsigned long)pos;
        return 0;
    }
    if (psy__x12_id_is(s->id, "IK4")) {
        if (!e) return bad(k, 0, "an element error without its segment (IK3 missing)");
        if (e->element_code[0]) { /* a second element error of the same segment */
            struct psy_ack_error prev = *e;
            e = APPEND(set->errors, set->n_errors);
            memcpy(e->segment_id, prev.segment_id, sizeof e->segment_id);
            memcpy(e->loop, prev.loop, sizeof e->loop);
            memcpy(e->segment_code, prev.segment_code, sizeof e->segment_code);
            e->position = prev.position;
        }
        e->segment = s->number;
        char p1[8], p2[8];
        if (part(k, 1, 1, p1, sizeof p1) || part(k, 1, 2, p2, sizeof p2)) return -1;
        if (!p1[0] || strspn(p1, "0123456789") != strlen(p1) || strspn(p2, "0123456789") != strlen(p2))
            return bad(k, 1, "'%.12s' is not a position in the segment", psy_x12_element(s, 1));
        e->element = atoi(p1);
        e->component = atoi(p2);
        if (!e->segment_code[0]) memcpy(e->segment_code, "8", 2);
        return get(k, 2, e->element_ref, sizeof e->element_ref, 0) ||
                       get(k, 3, e->element_code, sizeof e->element_code, 1)
                   ? -1
                   : psy__x12_copy(e->bad_value, sizeof e->bad_value, psy_x12_element(s, 4)) ? bad(k, 4, "too long") : 0;
    }
    if (psy__x12_id_is(s->id, "CTX")) {
        if (!e) return 0; /* a context before any error says nothing to keep */
        /* its elements joined by spaces, components by ':' ("CLM01:A12", "SITUATIONAL TRIGGER CLM 31 5:1") */
        size_t n = 0;
        for (size_t i = 1; i <= s->n && n + 1 < sizeof e->context; i++) {
            const char *v = psy_x12_element(s, i);
            if (!*v) continue;
            if (n) e->context[n++] = ' ';
            for (; *v && n + 1 < sizeof e->context; v++) e->context[n++] = *v == k->component ? ':' : *v;
        }
        e->context[n] = 0;
        return 0;
    }
    if (psy__x12_id_is(s->id, "IK5")) {
        if (!set) return bad(k, 0, "a transaction set verdict outside a transaction set response (AK2 missing)");
        if (code_of(k, 1, set->ack, "AEMRWX")) return -1;
        for (size_t i = 0; i < 5; i++)
            if (get(k, 2 + i, set->codes[i], sizeof set->codes[i], 0)) return -1;
        return 0;
    }
    if (psy__x12_id_is(s->id, "AK9")) {
        if (!a->functional_id[0]) return bad(k, 0, "a group verdict before AK1");
        if (code_of(k, 1, a->ack, "AEMPRWX") || count(k, 2, &a->included, 1) || count(k, 3, &a->received, 1) ||
            count(k, 4, &a->accepted, 1))
            return -1;
        for (size_t i = 0; i < 5; i++)
            if (get(k, 5 + i, a->codes[i], sizeof a->codes[i], 0)) return -1;
        return 0;
    }
    (void)env;
    return 0;
}

/* Adds the statuses of an STC composite element (STC01, STC10, STC11). */
static int stc_status(struct ack_state *k, size_t el, int required)
{
    if (!*psy_x12_element(k->s, el)) return required ? bad(k, el, "required and missing") : 0;
    struct psy_ack_status *t = APPEND(k->c.statuses, k->c.n_statuses);
    if (part(k, el, 1, t->category, sizeof t->category) || part(k, el, 2, t->code, sizeof t->code) ||
        part(k, el, 3, t->entity, sizeof t->entity))
        return -1;
    if (!t->category[0]) return bad(k, el, "the claim status category code (component 1) is missing");
    if (k->in_service) memcpy(t->service, k->service, sizeof t->service);
    return 0;
}

static int step277(struct ack_state *k, psy_status *rc)
{
    const struct psy_x12_segment *s = k->s;
    struct psy_ack_277 *c = &k->c;
    const char *id = s->id;
    if (psy__x12_id_is(id, "HL")) {
        if ((*rc = flush277(k))) return 0;
        if (get(k, 3, k->level, sizeof k->level, 1)) return -1;
        return 0;
    }
    if (psy__x12_id_is(id, "NM1")) {
        if (!strcmp(k->level, "20") && !strcmp(psy_x12_element(s, 1), "PR"))
            return get(k, 3, k->payer_name, sizeof k->payer_name, 0) || get(k, 9, k->payer_id, sizeof k->payer_id, 0)
                       ? -1
                       : 0;
        return 0;
    }
    if (psy__x12_id_is(id, "TRN")) {
        if ((*rc = flush277(k))) return 0;
        if (!k->level[0]) return bad(k, 0, "a trace number outside a hierarchical level (HL missing)");
        c->segment = s->number;
        c->isa13 = k->a.isa13;
        memcpy(c->st02, k->a.st02, sizeof c->st02);
        memcpy(c->level, k->level, sizeof c->level);
        memcpy(c->payer_name, k->payer_name, sizeof c->payer_name);
        memcpy(c->payer_id, k->payer_id, sizeof c->payer_id);
        return get(k, 1, c->trace_type, sizeof c->trace_type, 1) || get(k, 2, c->trace, sizeof c->trace, 1) ? -1 : 0;
    }
    if (!c->segment) {
        if (psy__x12_id_is(id, "STC")) return bad(k, 0, "a status without its trace number (TRN missing)");
        return 0; /* BHT, NM1 of other levels, PER ... */
    }
    if (psy__x12_id_is(id, "SVC")) {
        k->in_service = 1;
        return part(k, 1, 2, k->service, sizeof k->service);
    }
    if (psy__x12_id_is(id, "STC")) {
        int first = c->n_statuses == 0;
        if (stc_status(k, 1, 1) || stc_status(k, 10, 0) || stc_status(k, 11, 0)) return -1;
        if (!first || k->in_service) return 0;
        const char *amt = psy_x12_element(s, 4), *why = NULL;
        if (*amt) {
            if (psy_cents_parse(amt, &c->charge_cents, &why)) return bad(k, 4, "'%.24s' %s", amt, why);
            c->has_charge = 1;
        }
        return date8(k, 2, psy_x12_element(s, 2), c->status_date) || get(k, 3, c->action, sizeof c->action, 0) ||
                       get(k, 12, c->message, sizeof c->message, 0)
                   ? -1
                   : 0;
    }
    if (k->in_service) return 0; /* REF*FJ, DTP of a line */
    if (psy__x12_id_is(id, "REF")) {
        const char *q = psy_x12_element(s, 1);
        if (!strcmp(q, "1K")) return get(k, 2, c->payer_claim_number, sizeof c->payer_claim_number, 0);
        if (!strcmp(q, "D9")) return get(k, 2, c->clearinghouse_trace, sizeof c->clearinghouse_trace, 0);
        return 0;
    }
    if (psy__x12_id_is(id, "DTP") && !strcmp(psy_x12_element(s, 1), "472")) {
        const char *fmt = psy_x12_element(s, 2), *v = psy_x12_element(s, 3);
        if (!strcmp(fmt, "RD8")) {
            const char *dash = strchr(v, '-');
            char from[16] = "";
            if (!dash || dash - v > 8) return bad(k, 3, "'%.20s' is not a date range written CCYYMMDD-CCYYMMDD", v);
            memcpy(from, v, (size_t)(dash - v));
            return date8(k, 3, from, c->from) || date8(k, 3, dash + 1, c->to) ? -1 : 0;
        }
        if (date8(k, 3, v, c->from)) return -1;
        memcpy(c->to, c->from, sizeof c->to);
        return 0;
    }
    if (psy__x12_id_is(id, "QTY")) {
        const char *q = psy_x12_element(s, 1);
        long *dst = !strcmp(q, "90") || !strcmp(q, "QA")   ? &c->accepted_qty
                    : !strcmp(q, "AA") || !strcmp(q, "QC") ? &c->rejected_qty
                                                            : NULL;
        return dst ? count(k, 2, dst, 1) : 0;
    }
    if (psy__x12_id_is(id, "AMT")) {
        const char *q = psy_x12_element(s, 1), *v = psy_x12_element(s, 2), *why = NULL;
        long long *dst = !strcmp(q, "YU") ? &c->accepted_cents : !strcmp(q, "YY") ? &c->rejected_cents : NULL;
        if (dst && psy_cents_parse(v, dst, &why)) return bad(k, 2, "'%.24s' %s", v, why);
        return 0;
    }
    return 0;
}

psy_status psy_x12_ack_read(psy_x12_reader *r, const struct psy_ack_handlers *h, char *err, size_t errlen)
{
    struct psy__x12_env env = {0};
    struct ack_state k = {.h = h};
    char msg[240], dummy[8];
    if (!err || !errlen) err = dummy, errlen = sizeof dummy;
    err[0] = 0;
    k.msg = msg;
    k.len = sizeof msg;
    psy_status rc = PSY_OK;
    for (;;) {
        const struct psy_x12_segment *s;
        if ((rc = psy_x12_next(r, &s))) {
            snprintf(err, errlen, "%s", psy_x12_reader_error(r));
            break;
        }
        if (!s) {
            if (psy__x12_env_finish(&env, msg, sizeof msg)) {
                snprintf(err, errlen, "%s", msg);
                rc = PSY_EPARSE;
            }
            break;
        }
        k.s = s;
        k.component = psy_x12_reader_delims(r)->component;
        msg[0] = 0;
        int bad_seg = 0;
        if (psy__x12_id_is(s->id, "TA1") && env.level == 1) {
            struct psy_ack_ta1 t = {.segment = s->number};
            long ctl;
            bad_seg = count(&k, 1, &ctl, 1) || get(&k, 2, t.date, sizeof t.date, 0) ||
                      get(&k, 3, t.time, sizeof t.time, 0) || code_of(&k, 4, t.ack, "AER") ||
                      get(&k, 5, t.note, sizeof t.note, 1);
            t.control = (unsigned long)(ctl < 0 ? 0 : ctl);
            if (!bad_seg && h->ta1) rc = h->ta1(h->ud, &t);
        } else {
            int was = env.level;
            bad_seg = psy__x12_env_step(&env, s, msg, sizeof msg) != 0;
            if (!bad_seg && psy__x12_id_is(s->id, "ST")) {
                k.in999 = !strcmp(env.st01, "999");
                k.in277 = !strcmp(env.st01, "277");
                free999(&k.a);
                k.a.isa13 = strtoul(env.isa13, NULL, 10);
                memcpy(k.a.st02, env.st02, sizeof k.a.st02);
                k.a.segment = s->number;
                k.level[0] = k.payer_name[0] = k.payer_id[0] = 0;
            } else if (!bad_seg && psy__x12_id_is(s->id, "SE") && was == 3) {
                if (k.in999) {
                    if (!k.a.functional_id[0]) bad_seg = bad(&k, 0, "the 999 has no AK1");
                    else if (!k.a.ack[0]) bad_seg = bad(&k, 0, "the 999 has no group verdict (AK9 missing)");
                    for (size_t i = 0; !bad_seg && i < k.a.n_sets; i++)
                        if (!k.a.sets[i].ack[0])
                            bad_seg = bad(&k, 0, "the response to transaction set %s (AK2 at segment %lu) has no IK5",
                                          k.a.sets[i].control, k.a.sets[i].segment);
                    if (!bad_seg && h->ack999) rc = h->ack999(h->ud, &k.a);
                    free999(&k.a);
                } else if (k.in277) rc = flush277(&k);
                k.in999 = k.in277 = 0;
            } else if (!bad_seg && k.in999) bad_seg = step999(&k, &env);
            else if (!bad_seg && k.in277) bad_seg = step277(&k, &rc);
        }
        if (bad_seg) {
            psy__x12_where(err, errlen, s, msg);
            rc = PSY_EPARSE;
            break;
        }
        if (rc) {
            if (!err[0]) snprintf(err, errlen, "stopped by the caller at segment %lu", s->number);
            break;
        }
    }
    free999(&k.a);
    free277(&k.c);
    return rc;
}

/* --- plain words -------------------------------------------------------------------------------- */

int psy_x12_277_verdict(const struct psy_ack_277 *c)
{
    int accepted = !strcmp(c->action, "WQ"), rejected = !strcmp(c->action, "U");
    for (size_t i = 0; i < c->n_statuses; i++) {
        const char *cat = c->statuses[i].category;
        if (c->statuses[i].service[0]) continue;
        if (!strcmp(cat, "A3") || !strcmp(cat, "A4") || !strcmp(cat, "A6") || !strcmp(cat, "A7") ||
            !strcmp(cat, "A8"))
            rejected = 1;
        else if (!strcmp(cat, "A1") || !strcmp(cat, "A2") || !strcmp(cat, "A5"))
            accepted = 1;
    }
    return rejected ? -1 : accepted ? 1 : 0;
}

static const char *words_or(psy_x12_text_kind kind, const char *code, const char *fallback)
{
    const char *t = psy_x12_describe(kind, code);
    return t ? t : fallback;
}

void psy_x12_ack_error_words(const struct psy_ack_error *e, char *out, size_t len)
{
    struct psy__buf b = {0};
    psy__buf_printf(&b, "segment %s at position %lu", e->segment_id, e->position);
    if (e->loop[0]) psy__buf_printf(&b, " (loop %s)", e->loop);
    if (e->element) {
        psy__buf_printf(&b, ", element %s%02d", e->segment_id, e->element);
        if (e->component) psy__buf_printf(&b, "-%d", e->component);
        if (e->element_ref[0]) psy__buf_printf(&b, " (data element %s)", e->element_ref);
        psy__buf_printf(&b, ": %s (IK403 %s)",
                        words_or(PSY_X12_TEXT_ELEMENT_ERROR, e->element_code, "error code not in the X12 list"),
                        e->element_code);
        if (e->bad_value[0]) psy__buf_printf(&b, ", value '%s'", e->bad_value);
    } else {
        psy__buf_printf(&b, ": %s (IK304 %s)",
                        e->segment_code[0] ? words_or(PSY_X12_TEXT_SEGMENT_ERROR, e->segment_code,
                                                      "error code not in the X12 list")
                                           : "error without a code",
                        e->segment_code);
    }
    if (e->context[0]) psy__buf_printf(&b, "; context %s", e->context);
    snprintf(out, len, "%s", b.p ? b.p : "");
    psy__buf_free(&b);
}

/* --- JSON --------------------------------------------------------------------------------------- */

static json_t *jtext(psy_x12_text_kind kind, const char *code)
{
    const char *t = code && *code ? psy_x12_describe(kind, code) : NULL;
    return t ? json_string(t) : json_null();
}

/* A string from the file: bytes outside ASCII become '?' (JSON holds only UTF-8). */
static json_t *jraw(const char *s)
{
    char t[300];
    size_t n = 0;
    for (; s[n] && n < sizeof t - 1; n++) t[n] = (unsigned char)s[n] < 0x80 ? s[n] : '?';
    t[n] = 0;
    return json_string(t);
}

static json_t *codes_json(const char (*codes)[4], psy_x12_text_kind kind)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < 5; i++)
        if (codes[i][0])
            json_array_append_new(arr, json_pack("{s:o, s:o}", "code", jraw(codes[i]), "text", jtext(kind, codes[i])));
    return arr;
}

struct json_ctx {
    json_t *ta1, *groups, *statuses;
};

static psy_status on_ta1(void *ud, const struct psy_ack_ta1 *t)
{
    struct json_ctx *j = ud;
    json_array_append_new(j->ta1, json_pack("{s:I, s:o, s:o, s:o, s:o}", "control", (json_int_t)t->control, "ack",
                                            jraw(t->ack), "ack_text", jtext(PSY_X12_TEXT_ACK, t->ack), "note",
                                            jraw(t->note), "note_text", jtext(PSY_X12_TEXT_INTERCHANGE_NOTE, t->note)));
    return PSY_OK;
}

static psy_status on_999(void *ud, const struct psy_ack_999 *a)
{
    struct json_ctx *j = ud;
    json_t *sets = json_array();
    for (size_t i = 0; i < a->n_sets; i++) {
        const struct psy_ack_set *s = &a->sets[i];
        json_t *errs = json_array();
        for (size_t e = 0; e < s->n_errors; e++) {
            const struct psy_ack_error *x = &s->errors[e];
            char words[600];
            psy_x12_ack_error_words(x, words, sizeof words);
            json_array_append_new(
                errs, json_pack("{s:o, s:I, s:o, s:o, s:o, s:i, s:i, s:o, s:o, s:o, s:o, s:o, s:o}", "segment_id",
                                jraw(x->segment_id), "position", (json_int_t)x->position, "loop", jraw(x->loop),
                                "segment_code", jraw(x->segment_code), "segment_text",
                                jtext(PSY_X12_TEXT_SEGMENT_ERROR, x->segment_code), "element", x->element,
                                "component", x->component, "element_ref", jraw(x->element_ref), "element_code",
                                jraw(x->element_code), "element_text", jtext(PSY_X12_TEXT_ELEMENT_ERROR, x->element_code),
                                "bad_value", jraw(x->bad_value), "context", jraw(x->context), "words", jraw(words)));
        }
        json_array_append_new(sets, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "set_id", jraw(s->set_id), "control",
                                              jraw(s->control), "ack", jraw(s->ack), "ack_text",
                                              jtext(PSY_X12_TEXT_ACK, s->ack), "codes",
                                              codes_json(s->codes, PSY_X12_TEXT_SET_ERROR), "errors", errs));
    }
    json_array_append_new(
        j->groups, json_pack("{s:o, s:I, s:o, s:o, s:I, s:I, s:I, s:o, s:o}", "functional_id", jraw(a->functional_id),
                             "group_control", (json_int_t)a->group_control, "ack", jraw(a->ack), "ack_text",
                             jtext(PSY_X12_TEXT_ACK, a->ack), "included", (json_int_t)a->included, "received",
                             (json_int_t)a->received, "accepted", (json_int_t)a->accepted, "errors",
                             codes_json(a->codes, PSY_X12_TEXT_GROUP_ERROR), "sets", sets));
    return PSY_OK;
}

static psy_status on_277(void *ud, const struct psy_ack_277 *c)
{
    struct json_ctx *j = ud;
    json_t *st = json_array();
    for (size_t i = 0; i < c->n_statuses; i++) {
        const struct psy_ack_status *t = &c->statuses[i];
        json_array_append_new(st, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "category", jraw(t->category),
                                            "category_text", jtext(PSY_X12_TEXT_STATUS_CATEGORY, t->category), "code",
                                            jraw(t->code), "code_text", jtext(PSY_X12_TEXT_STATUS_CODE, t->code),
                                            "entity", jraw(t->entity), "entity_text",
                                            jtext(PSY_X12_TEXT_ENTITY, t->entity), "service", jraw(t->service)));
    }
    int v = psy_x12_277_verdict(c);
    json_array_append_new(
        j->statuses,
        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o}", "level", jraw(c->level), "trace",
                  jraw(c->trace), "payer", jraw(c->payer_name), "payer_claim_number", jraw(c->payer_claim_number),
                  "clearinghouse_trace", jraw(c->clearinghouse_trace), "from", jraw(c->from), "to", jraw(c->to),
                  "action", jraw(c->action), "charge_cents",
                  c->has_charge ? json_integer(c->charge_cents) : json_null(), "message", jraw(c->message),
                  "status_date", jraw(c->status_date), "verdict", v > 0 ? "accepted" : v < 0 ? "rejected" : "other",
                  "statuses", st));
    return PSY_OK;
}

psy_status psy_x12_ack_json(psy_x12_reader *r, char **out, size_t *len, char *err, size_t errlen)
{
    struct json_ctx j = {json_array(), json_array(), json_array()};
    struct psy_ack_handlers h = {on_ta1, on_999, on_277, &j};
    *out = NULL;
    if (len) *len = 0;
    psy_status rc = psy_x12_ack_read(r, &h, err, errlen);
    json_t *doc = json_pack("{s:o, s:o, s:o}", "ta1", j.ta1, "groups", j.groups, "statuses", j.statuses);
    if (!rc) {
        *out = json_dumps(doc, JSON_COMPACT);
        if (len) *len = *out ? strlen(*out) : 0;
        if (!*out) rc = PSY_ENOMEM;
    }
    json_decref(doc);
    return rc;
}
