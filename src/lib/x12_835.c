/*
 * x12_835.c -- the 835 (005010X221A1) remittance reader: payments, claims, services, adjustments.
 *
 * Streaming: segments are pulled one at a time from a psy_x12_reader; a payment (one ST..SE) is built
 * up in memory and handed to the caller when its SE has been checked, then the next one starts, so a
 * file with many interchanges never sits in memory whole. Read: BPR (payment), TRN (check/EFT
 * number), N1 (payer, payee), CLP (claim), CAS (adjustments, claim or line level by position), SVC
 * (line), DTM, NM1*TT (crossover carrier), REF*6R, AMT*B6, LQ*HE, PLB (provider-level adjustments). Other segments are passed
 * over. Every amount goes through psy_cents_parse and every running sum through the checked psy_cents
 * helpers (a sum past 64 bits is an error naming the element); amounts are negative only in a
 * reversal claim (CLP02 = 22) and provider or claim adjustments; every fixed field is length-checked.
 * Each transaction's canonical segments are hashed (BLAKE2b) so that posting knows a payment again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "x12_int.h"

void psy_era_payment_free(struct psy_era_payment *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n_claims; i++) {
        struct psy_era_claim *c = &p->claims[i];
        for (size_t j = 0; j < c->n_services; j++) {
            free(c->services[j].adjustments);
            free(c->services[j].remarks);
        }
        free(c->services);
        free(c->adjustments);
    }
    free(p->claims);
    free(p->provider_adjustments);
    free(p->defects);
    free(p);
}

void psy__era_reset(struct psy__era_state *st)
{
    psy_era_payment_free(st->pay);
    st->pay = NULL;
    st->claim = st->svc = -1;
}

/* --- element helpers: each returns 0, or -1 with msg naming the element ------------------------- */

static int money(struct psy__x12_step *k, size_t i, long long *out, int required)
{
    const char *v = psy__x12_el(k->s, i), *why = NULL;
    *out = 0;
    if (!*v) return required ? psy__x12_fail(k, i, "required amount missing") : 0;
    if (psy_cents_parse(v, out, &why)) return psy__x12_fail(k, i, "'%.24s' %s", v, why);
    return 0;
}

/* An amount that may be negative only in a reversal (CLP02 = 22), where the payer sends back the
 * earlier adjudication with its signs turned. */
static int money_sign(struct psy__x12_step *k, size_t i, long long *out, int required, int reversal)
{
    if (money(k, i, out, required)) return -1;
    if (*out < 0 && !reversal)
        return psy__x12_fail(k, i, "'%.24s' is negative, which the 835 allows only in a reversal (CLP02 = 22)",
                    psy__x12_el(k->s, i));
    return 0;
}

/* A decimal number (X12 type R: quantities, units): digits with at most one point and, when
 * negative_ok, a leading minus. Copied into dst; "" when absent. */
static int number(struct psy__x12_step *k, size_t i, char *dst, size_t cap, int negative_ok)
{
    const char *v = psy__x12_el(k->s, i), *p = v;
    if (!*v) {
        dst[0] = 0;
        return 0;
    }
    if (*p == '-') {
        if (!negative_ok) return psy__x12_fail(k, i, "'%.16s' is negative, which this count cannot be", v);
        p++;
    }
    int digits = 0, point = 0;
    for (; *p; p++) {
        if (*p == '.' && !point) point = 1;
        else if (*p >= '0' && *p <= '9') digits++;
        else return psy__x12_fail(k, i, "'%.16s' is not a number", v);
    }
    if (!digits) return psy__x12_fail(k, i, "'%.16s' is not a number", v);
    if (psy__x12_copy(dst, cap, v)) return psy__x12_fail(k, i, "longer than %zu characters", cap - 1);
    return 0;
}

/* Adds v to a running sum of the payment; -1 naming the element when the sum would not fit. */
static int sum_into(struct psy__x12_step *k, size_t i, long long *sum, long long v, const char *what)
{
    if (psy_cents_add(*sum, v, sum))
        return psy__x12_fail(k, i, "%s add up past the largest amount this system can hold", what);
    return 0;
}

static int date(struct psy__x12_step *k, size_t i, char dst[9])
{
    const char *v = psy__x12_el(k->s, i);
    if (!*v) return 0;
    if (!psy_date_valid(v)) return psy__x12_fail(k, i, "'%.12s' is not a date written CCYYMMDD", v);
    memcpy(dst, v, 9);
    return 0;
}

/* Component c of element i into dst; -1 when longer than cap-1. */
static int comp(struct psy__x12_step *k, size_t i, size_t c, char *dst, size_t cap, char sep)
{
    if (psy_x12_component(psy__x12_el(k->s, i), sep, c, dst, cap) >= cap)
        return psy__x12_fail(k, i, "component %zu is longer than %zu characters", c, cap - 1);
    return 0;
}

#define APPEND(arr, n) ((psy__grow_at(n) ? (void)((arr) = psy__realloc((arr), psy__grow_to(n) * sizeof *(arr))) : (void)0), \
                        memset(&(arr)[(n)], 0, sizeof *(arr)), &(arr)[(n)++])

/* --- segments ------------------------------------------------------------------------------- */

static int cas(struct psy__x12_step *k, struct psy__era_state *st)
{
    struct psy_era_claim *c = st->claim >= 0 ? &st->pay->claims[st->claim] : NULL;
    if (!c) return psy__x12_fail(k, 0, "an adjustment outside a claim (CLP missing)");
    struct psy_era_service *v = st->svc >= 0 ? &c->services[st->svc] : NULL;
    struct psy_era_adjustment **arr = v ? &v->adjustments : &c->adjustments;
    size_t *n = v ? &v->n_adjustments : &c->n_adjustments;
    char group[3];
    if (psy__x12_text(k, 1, group, sizeof group, 1)) return -1;
    for (size_t t = 0; t < 6; t++) {
        size_t r = 2 + 3 * t;
        if (!*psy__x12_el(k->s, r) && !*psy__x12_el(k->s, r + 1)) continue;
        struct psy_era_adjustment *a = APPEND(*arr, *n);
        memcpy(a->group, group, sizeof group);
        if (psy__x12_text(k, r, a->reason, sizeof a->reason, 1) || money(k, r + 1, &a->amount_cents, 1) ||
            number(k, r + 2, a->quantity, sizeof a->quantity, 1))
            return -1;
        if (sum_into(k, r + 1, &st->claim_adj, a->amount_cents, "the adjustments of this claim")) return -1;
        if (v && sum_into(k, r + 1, &st->line_adj, a->amount_cents, "the adjustments of this service line"))
            return -1;
    }
    return 0;
}

static int svc(struct psy__x12_step *k, struct psy__era_state *st, char sep)
{
    if (st->claim < 0) return psy__x12_fail(k, 0, "a service line outside a claim (CLP missing)");
    struct psy_era_claim *c = &st->pay->claims[st->claim];
    st->svc = (long)c->n_services;
    struct psy_era_service *v = APPEND(c->services, c->n_services);
    const char *proc = psy__x12_el(k->s, 1);
    if (strlen(proc) > 2 && !strchr(proc, sep) && strchr(":>^|<\\", proc[2]) && proc[2])
        return psy__x12_fail(k, 1, "'%.24s' separates its components with '%c' but the interchange declares '%c' (ISA16)",
                    proc, proc[2], sep);
    if (comp(k, 1, 1, v->qualifier, sizeof v->qualifier, sep) || comp(k, 1, 2, v->code, sizeof v->code, sep))
        return -1;
    if (!v->code[0]) return psy__x12_fail(k, 1, "the procedure code is missing");
    for (size_t m = 0; m < PSY_CLAIM_MAX_MODS; m++)
        if (comp(k, 1, 3 + m, v->modifiers[m], sizeof v->modifiers[m], sep)) return -1;
    int reversal = !strcmp(c->status, "22");
    char original_units[16];
    st->line_adj = 0;
    if (money_sign(k, 2, &v->charge_cents, 1, reversal) || money_sign(k, 3, &v->paid_cents, 1, reversal) ||
        number(k, 5, v->units, sizeof v->units, reversal) ||
        comp(k, 6, 2, v->submitted_code, sizeof v->submitted_code, sep) ||
        number(k, 7, original_units, sizeof original_units, reversal))
        return -1;
    if (!v->units[0]) memcpy(v->units, "1", 2);
    return 0;
}

static int plb(struct psy__x12_step *k, struct psy__era_state *st, char sep)
{
    struct psy_era_payment *p = st->pay;
    st->claim = st->svc = -1;
    char provider[51], fiscal[9] = "";
    if (psy__x12_text(k, 1, provider, sizeof provider, 1) || date(k, 2, fiscal)) return -1;
    for (size_t t = 0; t < 6; t++) {
        size_t i = 3 + 2 * t;
        if (!*psy__x12_el(k->s, i) && !*psy__x12_el(k->s, i + 1)) continue;
        struct psy_era_provider_adjustment one = {0}, *a = &one; /* kept only when read whole */
        memcpy(a->provider_id, provider, sizeof provider);
        memcpy(a->fiscal_date, fiscal, sizeof fiscal);
        if (comp(k, i, 1, a->reason, sizeof a->reason, sep) || comp(k, i, 2, a->reference, sizeof a->reference, sep) ||
            money(k, i + 1, &a->amount_cents, 1))
            return -1;
        if (!a->reason[0]) return psy__x12_fail(k, i, "the adjustment reason is missing");
        long long net;
        if (sum_into(k, i + 1, &st->plb, a->amount_cents, "the provider adjustments of this payment") ||
            psy_cents_sub(st->claims_paid, st->plb, &net))
            return psy__x12_fail(k, i + 1, "the claims paid less the provider adjustments go past the largest amount "
                                  "this system can hold");
        *APPEND(p->provider_adjustments, p->n_provider_adjustments) = one;
    }
    return 0;
}

/* CLP02, the claim status: a code of the 835's list (005010X221A1 2100 CLP02). */
static int claim_status_check(struct psy__x12_step *k)
{
    static const char *const codes[] = {"1", "2", "3", "4", "19", "20", "21", "22", "23", "25"};
    const char *v = psy__x12_el(k->s, 2);
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        if (!strcmp(v, codes[i])) return 0;
    return psy__x12_fail(k, 2, "'%.8s' is not a claim status code (1, 2, 3, 4, 19, 20, 21, 22, 23 or 25)", v);
}

/* CLP03 and CLP04 are required from 5010 on; older interchanges may leave them out (read as 0). */
static int clp(struct psy__x12_step *k, struct psy__era_state *st, const struct psy__x12_env *env)
{
    int v5010 = strcmp(env->isa12, "00501") >= 0;
    struct psy_era_payment *p = st->pay;
    st->claim = (long)p->n_claims;
    st->svc = -1;
    struct psy_era_claim *c = APPEND(p->claims, p->n_claims);
    st->claim_adj = st->line_adj = 0;
    if (psy__x12_text(k, 1, c->claim_id, sizeof c->claim_id, 1) || psy__x12_text(k, 2, c->status, sizeof c->status, 1) ||
        claim_status_check(k))
        return -1;
    int reversal = !strcmp(c->status, "22");
    return money_sign(k, 3, &c->charge_cents, v5010, reversal) || money_sign(k, 4, &c->paid_cents, v5010, reversal) ||
                   money_sign(k, 5, &c->patient_responsibility_cents, 0, reversal) ||
                   psy__x12_text(k, 6, c->filing_indicator, sizeof c->filing_indicator, 0) ||
                   psy__x12_text(k, 7, c->payer_claim_number, sizeof c->payer_claim_number, 0) ||
                   psy__x12_text(k, 9, c->frequency, sizeof c->frequency, 0) ||
                   sum_into(k, 4, &st->claims_paid, c->paid_cents, "the claim payments of this transaction")
               ? -1
               : 0;
}

static int dtm(struct psy__x12_step *k, struct psy__era_state *st)
{
    const char *q = psy__x12_el(k->s, 1);
    struct psy_era_claim *c = st->claim >= 0 ? &st->pay->claims[st->claim] : NULL;
    struct psy_era_service *v = c && st->svc >= 0 ? &c->services[st->svc] : NULL;
    if (v && (!strcmp(q, "472") || (!strcmp(q, "150") && !v->date[0]))) return date(k, 2, v->date);
    if (c && !v && !strcmp(q, "232")) return date(k, 2, c->start_date);
    if (c && !v && !strcmp(q, "233")) return date(k, 2, c->end_date);
    char scratch[9];
    return date(k, 2, scratch); /* other dates are checked, not kept */
}

/* The transaction's canonical bytes are gathered in st->hbuf and fed to the hash when it is full and
 * at the SE: one update per 16 KB rather than one per segment or per byte (the hash is the same). */
static void hash_flush(struct psy__era_state *st)
{
    if (st->hn) crypto_generichash_update(&st->hash, st->hbuf, st->hn);
    st->hn = 0;
}

static inline void hash_byte(struct psy__era_state *st, unsigned char b)
{
    if (st->hn == sizeof st->hbuf) hash_flush(st);
    st->hbuf[st->hn++] = b;
}

/* Length of element value v of n bytes without its trailing blanks (layout, not data). */
static inline size_t trimmed(const char *v, size_t n)
{
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n')) n--;
    return n;
}

/* The usual segment in one pass: its len bytes from the id to the end of its last element (n), with
 * the NUL ending each element but the last read as the element mark, the component and repetition
 * separators as theirs, then the segment end. Returns 0 having added nothing when an element ends in a
 * blank (to be cut) or the segment does not fit in hbuf; hash_segment then takes it element by element. */
static int hash_run(struct psy__era_state *st, const struct psy_x12_segment *s, size_t n, size_t len)
{
    static const unsigned char blank[256] = {[' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1};
    const unsigned char *b = (const unsigned char *)s->id;
    for (size_t i = 2; i <= n; i++) /* the byte before element i's start ends element i-1 (or is its NUL) */
        if (blank[(unsigned char)s->el[i][-2]]) return 0;
    if (n && len && blank[b[len - 1]]) return 0;
    if (!st->hmap_ready || st->hmap_sep[0] != st->component || st->hmap_sep[1] != st->repetition) {
        for (int c = 0; c < 256; c++) st->hmap[c] = (unsigned char)c;
        st->hmap[0] = 0x1d;
        if (st->component) st->hmap[(unsigned char)st->component] = 0x1f;
        if (st->repetition) st->hmap[(unsigned char)st->repetition] = 0x1e;
        st->hmap_sep[0] = st->component, st->hmap_sep[1] = st->repetition, st->hmap_ready = 1;
    }
    if (len + 1 > sizeof st->hbuf - st->hn) hash_flush(st);
    if (len + 1 > sizeof st->hbuf) return 0;
    unsigned char *o = st->hbuf + st->hn;
    for (size_t j = 0; j < len; j++) o[j] = st->hmap[b[j]];
    o[len] = 0x1c; /* segment end */
    st->hn += len + 1;
    return 1;
}

/* Feeds one segment to the transaction's hash in canonical form: the id, then each element with its
 * trailing blanks cut, components and repetitions split on the interchange's own separators and
 * joined with fixed bytes, trailing empty elements left out. ST02 and SE02 (control numbers a re-sent
 * file may renumber) are left out. The elements of a segment lie one after another in the reader's
 * buffer, each ended by its NUL, so element i's length is where element i+1 starts, less one. */
static void hash_segment(struct psy__era_state *st, const struct psy_x12_segment *s)
{
    size_t n = s->n;
    int ctl = psy__x12_id_is(s->id, "ST") || psy__x12_id_is(s->id, "SE");
    size_t last = n ? strlen(s->el[n]) : 0; /* length of element n */
    while (n > 0 && !trimmed(s->el[n], last)) {
        n--;
        last = n ? (size_t)(s->el[n + 1] - s->el[n]) - 1 : 0;
    }
    if (!ctl && hash_run(st, s, n, n ? (size_t)(s->el[n] - s->id) + last : strlen(s->id))) return;
    for (const char *p = s->id; *p; p++) hash_byte(st, (unsigned char)*p);
    const unsigned char comp = (unsigned char)st->component, rep = (unsigned char)st->repetition;
    for (size_t i = 1; i <= n; i++) {
        hash_byte(st, 0x1d); /* element */
        if (ctl && i == 2) continue;
        const char *v = s->el[i];
        size_t l = trimmed(v, i < n ? (size_t)(s->el[i + 1] - v) - 1 : last);
        while (l) { /* an element's bytes never include NUL, so a separator that is 0 (none) never matches */
            if (st->hn == sizeof st->hbuf) hash_flush(st);
            size_t k = sizeof st->hbuf - st->hn < l ? sizeof st->hbuf - st->hn : l;
            unsigned char *o = st->hbuf + st->hn;
            for (size_t j = 0; j < k; j++) {
                unsigned char c = (unsigned char)v[j];
                o[j] = c == comp ? 0x1f /* component */ : c == rep ? 0x1e /* repetition */ : c;
            }
            st->hn += k, v += k, l -= k;
        }
    }
    hash_byte(st, 0x1c); /* segment end */
}

static int st_open(struct psy__x12_step *k, struct psy__era_state *st, const struct psy__x12_env *env)
{
    psy__era_reset(st);
    if (strcmp(env->st01, "835")) return psy__x12_fail(k, 1, "transaction set %.3s is not an 835", env->st01);
    /* libsodium picks its fastest BLAKE2b for this processor at its start (cheap once started) */
    if (sodium_init() < 0) return psy__x12_fail(k, 0, "libsodium cannot start");
    struct psy_era_payment *p = st->pay = psy__calloc(1, sizeof *p);
    st->claim_adj = st->line_adj = st->claims_paid = st->plb = 0;
    crypto_generichash_init(&st->hash, NULL, 0, 32);
    st->hn = 0;
    p->interchange_control = strtoul(env->isa13, NULL, 10);
    p->group_control = strtoul(env->gs06, NULL, 10);
    memcpy(p->transaction_control, env->st02, sizeof p->transaction_control);
    return 0;
}

/* The numeric elements (X12 types N0 and R) of the 835 segments this reader does not parse field by
 * field: each must be a number even when its value is not kept, so a garbled remittance is refused
 * whole rather than half understood. Ranges are inclusive element positions (005010X221A1); LX01, an
 * assigned number, is checked on its own. */
static const struct {
    const char *seg;
    unsigned char from, to;
} numeric_elements[] = {
    {"TS3", 4, 24}, /* provider summary: count and amounts */
    {"TS2", 1, 19}, /* supplemental provider summary amounts */
    {"CLP", 12, 13}, /* DRG weight, discharge fraction */
    {"MIA", 1, 4},  {"MIA", 6, 19}, /* inpatient adjudication amounts and counts (MIA05 is a remark) */
    {"MOA", 1, 2},  {"MOA", 8, 9}, /* outpatient adjudication rate and amounts */
    {"AMT", 2, 2},  /* claim and line supplemental amounts */
    {"QTY", 2, 2},  /* claim and line supplemental quantities */
    {"CUR", 3, 3},  /* exchange rate */
};

static int numeric_check(struct psy__x12_step *k)
{
    switch (psy__x12_id_key(k->s->id)) { /* the ids of the table and LX; the others have nothing to check */
    case PSY__X12_ID('T', 'S', '3'): case PSY__X12_ID('T', 'S', '2'): case PSY__X12_ID('C', 'L', 'P'):
    case PSY__X12_ID('M', 'I', 'A'): case PSY__X12_ID('M', 'O', 'A'): case PSY__X12_ID('A', 'M', 'T'):
    case PSY__X12_ID('Q', 'T', 'Y'): case PSY__X12_ID('C', 'U', 'R'): case PSY__X12_ID('L', 'X', 0): break;
    default: return 0;
    }
    char scratch[32];
    for (size_t t = 0; t < sizeof numeric_elements / sizeof *numeric_elements; t++) {
        if (!psy__x12_id_is(k->s->id, numeric_elements[t].seg)) continue;
        for (size_t i = numeric_elements[t].from; i <= numeric_elements[t].to; i++)
            if (number(k, i, scratch, sizeof scratch, 1)) return -1;
    }
    if (psy__x12_id_is(k->s->id, "LX")) {
        const char *v = psy__x12_el(k->s, 1);
        if (!*v || strspn(v, "0123456789") != strlen(v) || !strcmp(v, "0") || strlen(v) > 6)
            return psy__x12_fail(k, 1, "'%.16s' is not an assigned number (1 to 6 digits)", v);
    }
    return 0;
}

static int step(struct psy__era_state *st, const struct psy__x12_env *env, const struct psy_x12_segment *s,
                struct psy_era_payment **done, char *msg, size_t len)
{
    struct psy__x12_step k = {s, msg, len};
    const char *id = s->id;
    if (psy__x12_id_is(id, "ST")) {
        int r = st_open(&k, st, env);
        if (!r) hash_segment(st, s);
        return r;
    }
    struct psy_era_payment *p = st->pay;
    if (!p) return 0; /* inside a transaction that failed to open: already reported */
    hash_segment(st, s);
    if (numeric_check(&k)) return -1;
    switch (psy__x12_id_key(id)) {
    case PSY__X12_ID('S', 'E', 0): {
        unsigned char h[32];
        hash_flush(st);
        crypto_generichash_final(&st->hash, h, sizeof h);
        sodium_bin2hex(p->content_hash, sizeof p->content_hash, h, sizeof h);
        *done = p;
        st->pay = NULL;
        st->claim = st->svc = -1;
        return 1;
    }
    case PSY__X12_ID('B', 'P', 'R'):
        if (env->segs != 2) return psy__x12_fail(&k, 0, "the BPR must come right after the ST");
        return psy__x12_text(&k, 1, p->handling, sizeof p->handling, 1) || money_sign(&k, 2, &p->paid_cents, 1, 0) ||
                       psy__x12_text(&k, 3, p->credit_debit, sizeof p->credit_debit, 0) ||
                       psy__x12_text(&k, 4, p->method, sizeof p->method, 0) || date(&k, 16, p->payment_date)
                   ? -1
                   : 0;
    case PSY__X12_ID('T', 'R', 'N'):
        if (psy__x12_text(&k, 2, p->check_number, sizeof p->check_number, 1)) return -1;
        if (!p->payer_id[0] && psy__x12_text(&k, 3, p->payer_id, sizeof p->payer_id, 0)) return -1;
        return 0;
    case PSY__X12_ID('N', '1', 0): {
        const char *who = psy__x12_el(s, 1);
        if (!strcmp(who, "PR"))
            return psy__x12_text(&k, 2, p->payer_name, sizeof p->payer_name, 0) ||
                           (*psy__x12_el(s, 4) && psy__x12_text(&k, 4, p->payer_id, sizeof p->payer_id, 0))
                       ? -1
                       : 0;
        if (!strcmp(who, "PE"))
            return psy__x12_text(&k, 2, p->payee_name, sizeof p->payee_name, 0) ||
                           psy__x12_text(&k, 4, p->payee_id, sizeof p->payee_id, 0)
                       ? -1
                       : 0;
        return 0;
    }
    case PSY__X12_ID('L', 'X', 0): st->claim = st->svc = -1; return 0;
    case PSY__X12_ID('C', 'L', 'P'): return clp(&k, st, env);
    case PSY__X12_ID('S', 'V', 'C'): return svc(&k, st, st->component);
    case PSY__X12_ID('P', 'L', 'B'): return plb(&k, st, st->component);
    case PSY__X12_ID('C', 'A', 'S'): return cas(&k, st);
    case PSY__X12_ID('D', 'T', 'M'): return dtm(&k, st);
    case PSY__X12_ID('N', 'M', '1'): case PSY__X12_ID('R', 'E', 'F'): case PSY__X12_ID('A', 'M', 'T'):
    case PSY__X12_ID('L', 'Q', 0): break;
    default: return 0;
    }
    struct psy_era_claim *c = st->claim >= 0 ? &p->claims[st->claim] : NULL;
    struct psy_era_service *v = c && st->svc >= 0 ? &c->services[st->svc] : NULL;
    if (psy__x12_id_is(id, "NM1") && c && !v && !strcmp(psy__x12_el(s, 1), "TT"))
        return psy__x12_text(&k, 3, c->crossover_name, sizeof c->crossover_name, 0) ||
                       psy__x12_text(&k, 9, c->crossover_id, sizeof c->crossover_id, 0)
                   ? -1
                   : 0;
    if (psy__x12_id_is(id, "REF") && v && !strcmp(psy__x12_el(s, 1), "6R"))
        return psy__x12_text(&k, 2, v->line_control, sizeof v->line_control, 0);
    if (psy__x12_id_is(id, "AMT") && v && !strcmp(psy__x12_el(s, 1), "B6")) {
        v->has_allowed = 1;
        return money_sign(&k, 2, &v->allowed_cents, 1, !strcmp(c->status, "22"));
    }
    if (psy__x12_id_is(id, "LQ") && v && !strcmp(psy__x12_el(s, 1), "HE")) {
        char(*r)[6] = APPEND(v->remarks, v->n_remarks);
        return psy__x12_text(&k, 2, *r, sizeof *r, 1);
    }
    return 0;
}

/* Lenient reading: a defect of segment s (msg from a step) recorded in the open payment. Returns -1 when
 * it cannot be read past: the payment's amount (BPR02) or trace number (TRN02) is what posting knows a
 * payment by. A claim or line already unreadable keeps its first defect. */
static int defect(struct psy__era_state *st, const struct psy_x12_segment *s, const char *msg)
{
    struct psy_era_payment *p = st->pay;
    const char *id = s->id;
    if ((psy__x12_id_is(id, "BPR") && (strstr(msg, "BPR02") || strstr(msg, "right after"))) ||
        (psy__x12_id_is(id, "TRN") && strstr(msg, "TRN02")))
        return -1;
    struct psy_era_claim *c = st->claim >= 0 ? &p->claims[st->claim] : NULL;
    struct psy_era_service *v = c && st->svc >= 0 ? &c->services[st->svc] : NULL;
    psy_era_defect_kind kind = PSY_ERA_DEFECT_WARNING;
    size_t *slot = NULL;
    int claim_seg = psy__x12_id_is(id, "CLP"), svc_seg = psy__x12_id_is(id, "SVC"), cas_seg = psy__x12_id_is(id, "CAS");
    if ((claim_seg || (cas_seg && !v)) && c) kind = PSY_ERA_DEFECT_CLAIM, slot = &c->defect;
    else if ((svc_seg || cas_seg) && v) kind = PSY_ERA_DEFECT_SERVICE, slot = &v->defect;
    else if (svc_seg || cas_seg || psy__x12_id_is(id, "PLB")) kind = PSY_ERA_DEFECT_PAYMENT;
    if (slot && (*slot || (kind == PSY_ERA_DEFECT_SERVICE && c->defect))) return 0;
    struct psy_era_defect *d = APPEND(p->defects, p->n_defects);
    d->kind = kind;
    d->segment = s->number;
    psy__x12_where(d->message, sizeof d->message, s, msg);
    if (slot) *slot = p->n_defects;
    return 0;
}

int psy__era_step(struct psy__era_state *st, const struct psy__x12_env *env, const struct psy_x12_segment *s,
                  struct psy_era_payment **done, char *msg, size_t len)
{
    int r = step(st, env, s, done, msg, len);
    if (r >= 0 || !st->lenient || !st->pay) return r;
    return defect(st, s, msg);
}

static psy_status read_835(psy_x12_reader *r, int lenient, psy_era_fn fn, void *ud, char *err, size_t errlen)
{
    struct psy__x12_env env = {0};
    struct psy__era_state st = {.pay = NULL, .claim = -1, .svc = -1, .lenient = lenient};
    char msg[240], dummy[8];
    if (!err || !errlen) err = dummy, errlen = sizeof dummy;
    err[0] = 0;
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
        struct psy_era_payment *done = NULL;
        int k = psy__x12_env_step(&env, s, msg, sizeof msg);
        if (!k && env.level >= 2) {
            st.component = psy_x12_reader_delims(r)->component;
            st.repetition = psy_x12_reader_delims(r)->repetition;
            k = psy__era_step(&st, &env, s, &done, msg, sizeof msg);
        }
        if (k < 0) {
            psy__x12_where(err, errlen, s, msg);
            rc = PSY_EPARSE;
            break;
        }
        if (done && (rc = fn(ud, done))) {
            if (!err[0]) snprintf(err, errlen, "stopped by the caller at segment %lu", s->number);
            break;
        }
    }
    psy__era_reset(&st);
    return rc;
}

psy_status psy_x12_835_read(psy_x12_reader *r, psy_era_fn fn, void *ud, char *err, size_t errlen)
{
    return read_835(r, 0, fn, ud, err, errlen);
}

psy_status psy_x12_835_read_lenient(psy_x12_reader *r, psy_era_fn fn, void *ud, char *err, size_t errlen)
{
    return read_835(r, 1, fn, ud, err, errlen);
}
