/*
 * x12_271.c -- the 271 eligibility and benefit response reader (005010X279A1): who was asked about, what
 * the payer said (EB benefits, AAA rejections, coverage dates), a front-desk summary for outpatient
 * mental health, plain words for the codes, and the JSON form `eligibility read --json` prints.
 *
 * Streaming like the 835 reader: segments come one at a time from a psy_x12_reader through the shared
 * envelope tracker; each subscriber (HL*22) or dependent (HL*23) loop becomes one answer, handed over at
 * the SE of its transaction. A subscriber loop that only leads to its dependents (HL04 = 1, no EB, no
 * AAA) is not an answer of its own: its member id and names go to each dependent. Code texts: X12 code
 * lists 901 (AAA03 reject reason), 889 (AAA04 follow-up action), 1390 (EB01 eligibility or benefit
 * information) and 1365 (service type), as 005010X279A1 uses them; the wording is psyclaim's own.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "x12_int.h"

/* --- plain words --------------------------------------------------------------------------------- */

struct code_text {
    const char *code, *text;
};

static const struct code_text reject_texts[] = {
    {"04", "authorized quantity exceeded"},
    {"15", "required application data missing"},
    {"41", "authorization or access restrictions: the payer does not answer this provider"},
    {"42", "unable to respond at the current time: try again later"},
    {"43", "invalid or missing provider identification (NPI)"},
    {"44", "invalid or missing provider name"},
    {"45", "invalid or missing provider specialty"},
    {"46", "invalid or missing provider phone number"},
    {"47", "invalid or missing provider state"},
    {"48", "invalid or missing referring provider identification number"},
    {"49", "provider is not the primary care physician"},
    {"50", "provider is not eligible for inquiries"},
    {"51", "provider not on file with the payer"},
    {"52", "service dates not within the provider's plan enrollment"},
    {"53", "inquired benefit inconsistent with the provider type"},
    {"54", "inappropriate product or service id qualifier"},
    {"55", "inappropriate product or service id"},
    {"56", "inappropriate date"},
    {"57", "invalid or missing date(s) of service"},
    {"58", "invalid or missing date of birth"},
    {"60", "date of birth follows the date(s) of service"},
    {"61", "date of death precedes the date(s) of service"},
    {"62", "date of service not within the allowable inquiry period"},
    {"63", "date of service in the future"},
    {"64", "invalid or missing patient id"},
    {"65", "invalid or missing patient name"},
    {"66", "invalid or missing patient gender"},
    {"67", "patient not found"},
    {"68", "duplicate patient id number"},
    {"69", "inconsistent with the patient's age"},
    {"70", "inconsistent with the patient's gender"},
    {"71", "patient's birth date does not match the payer's records"},
    {"72", "invalid or missing subscriber (member) id"},
    {"73", "invalid or missing subscriber name"},
    {"74", "invalid or missing subscriber gender"},
    {"75", "subscriber not found"},
    {"76", "duplicate subscriber id number"},
    {"77", "subscriber found, patient not found"},
    {"78", "subscriber not in the group or plan identified"},
    {"79", "invalid participant identification"},
    {"80", "no response received: transaction terminated"},
    {"97", "invalid or missing provider address"},
    {"T4", "payer name or identifier missing"},
};

static const struct code_text action_texts[] = {
    {"C", "please correct and resubmit"},
    {"N", "resubmission not allowed"},
    {"P", "please resubmit the original transaction"},
    {"R", "resubmission allowed"},
    {"S", "do not resubmit; inquiry initiated to a third party"},
    {"W", "please wait 30 days and resubmit"},
    {"X", "please wait 10 days and resubmit"},
    {"Y", "do not resubmit; we will hand deliver or send the response"},
};

static const struct code_text info_texts[] = {
    {"1", "active coverage"},
    {"2", "active - full risk capitation"},
    {"3", "active - services capitated"},
    {"4", "active - services capitated to primary care physician"},
    {"5", "active - pending investigation"},
    {"6", "inactive"},
    {"7", "inactive - pending eligibility update"},
    {"8", "inactive - pending investigation"},
    {"A", "co-insurance"},
    {"B", "co-payment"},
    {"C", "deductible"},
    {"CB", "coverage basis"},
    {"D", "benefit description"},
    {"E", "exclusions"},
    {"F", "limitations"},
    {"G", "out of pocket (stop loss)"},
    {"H", "unlimited"},
    {"I", "non-covered"},
    {"J", "cost containment"},
    {"K", "reserve"},
    {"L", "primary care provider"},
    {"M", "pre-existing condition"},
    {"MC", "managed care coordinator"},
    {"N", "services restricted to the following provider"},
    {"O", "not deemed a medical necessity"},
    {"P", "benefit disclaimer"},
    {"Q", "second surgical opinion required"},
    {"R", "other or additional payer"},
    {"S", "prior year(s) history"},
    {"T", "card(s) reported lost or stolen"},
    {"U", "contact the following entity for benefit information"},
    {"V", "cannot process"},
    {"W", "other source of data"},
    {"X", "health care facility"},
    {"Y", "spend down"},
};

static const struct code_text service_type_texts[] = {
    {"1", "medical care"},
    {"30", "health benefit plan coverage"},
    {"33", "chiropractic"},
    {"35", "dental care"},
    {"47", "hospital"},
    {"48", "hospital - inpatient"},
    {"50", "hospital - outpatient"},
    {"86", "emergency services"},
    {"88", "pharmacy"},
    {"98", "professional (physician) visit - office"},
    {"A4", "psychiatric"},
    {"A5", "psychiatric - room and board"},
    {"A6", "psychotherapy"},
    {"A7", "psychiatric - inpatient"},
    {"A8", "psychiatric - outpatient"},
    {"AL", "vision (optometry)"},
    {"BD", "speech therapy"},
    {"CE", "mental health provider - inpatient"},
    {"CF", "mental health provider - outpatient"},
    {"CG", "mental health facility - inpatient"},
    {"CH", "mental health facility - outpatient"},
    {"MH", "mental health"},
    {"UC", "urgent care"},
};

static const char *look(const struct code_text *t, size_t n, const char *code)
{
    for (size_t i = 0; code && i < n; i++)
        if (!strcmp(t[i].code, code)) return t[i].text;
    return NULL;
}

#define LOOK(table, code) look(table, sizeof table / sizeof *table, code)
const char *psy_elig_reject_text(const char *code) { return LOOK(reject_texts, code); }
const char *psy_elig_action_text(const char *code) { return LOOK(action_texts, code); }
const char *psy_elig_info_text(const char *code) { return LOOK(info_texts, code); }
const char *psy_elig_service_type_text(const char *code) { return LOOK(service_type_texts, code); }

/* --- reading ------------------------------------------------------------------------------------- */

void psy_elig_response_free(struct psy_elig_response *r)
{
    if (!r) return;
    free(r->benefits);
    free(r->rejects);
    free(r);
}

struct rd {
    struct psy_elig_response **list; /* answers of the open transaction */
    size_t n;
    char hl_level[3];                /* the open HL's level code: 20, 21, 22, 23 */
    int in_benefit;                  /* after an EB of the open answer (loop 2110) */
    int ls;                          /* inside LS .. LE (a related entity of a benefit) */
    struct psy_elig_response base;   /* payer, provider and the last subscriber, copied into each answer */
    int sub_children;                /* the last HL*22 had HL04 = 1 */
    long sub_index;                  /* the answer of the last HL*22, -1 none */
    struct psy_elig_reject *early;   /* AAA at payer or provider level */
    size_t n_early;
    char bht_date[9];
    char component, repetition;
};

/* A whole non-negative count (X12 type R without a fraction); -1 when absent. */
static int count(struct psy__x12_step *k, size_t i, long *out)
{
    const char *v = psy_x12_element(k->s, i);
    *out = -1;
    if (!*v) return 0;
    long long c;
    const char *why;
    if (psy_cents_parse(v, &c, &why) || c < 0 || c % 100 || c / 100 > 999999)
        return psy__x12_fail(k, i, "'%.16s' is not a whole count", v);
    *out = (long)(c / 100);
    return 0;
}

/* D8 CCYYMMDD or RD8 CCYYMMDD-CCYYMMDD into begin and end (end = begin for D8). */
static int dtp(struct psy__x12_step *k, char begin[9], char end[9])
{
    const char *f = psy_x12_element(k->s, 2), *v = psy_x12_element(k->s, 3);
    char a[9] = "", b[9] = "";
    if (!strcmp(f, "D8")) {
        if (!psy_date_valid(v)) return psy__x12_fail(k, 3, "'%.20s' is not a date written CCYYMMDD", v);
        memcpy(a, v, 9);
        memcpy(b, v, 9);
    } else if (!strcmp(f, "RD8")) {
        if (strlen(v) != 17 || v[8] != '-') return psy__x12_fail(k, 3, "'%.20s' is not a range written CCYYMMDD-CCYYMMDD", v);
        memcpy(a, v, 8);
        memcpy(b, v + 9, 8);
        if (!psy_date_valid(a) || !psy_date_valid(b) || strcmp(a, b) > 0)
            return psy__x12_fail(k, 3, "'%.20s' is not a range written CCYYMMDD-CCYYMMDD", v);
    } else {
        return psy__x12_fail(k, 2, "'%.4s' is not a date format (D8 or RD8)", f);
    }
    memcpy(begin, a, 9);
    memcpy(end, b, 9);
    return 0;
}

#define APPEND(arr, n) ((psy__grow_at(n) ? (void)((arr) = psy__realloc((arr), psy__grow_to(n) * sizeof *(arr))) : (void)0), \
                        memset(&(arr)[(n)], 0, sizeof *(arr)), &(arr)[(n)++])

static struct psy_elig_response *cur(struct rd *d)
{
    return d->n && (!strcmp(d->hl_level, "22") || !strcmp(d->hl_level, "23")) ? d->list[d->n - 1] : NULL;
}

static struct psy_elig_response *new_answer(struct rd *d, int dependent)
{
    struct psy_elig_response *r = psy__calloc(1, sizeof *r);
    *r = d->base;
    r->benefits = NULL;
    r->rejects = NULL;
    r->dependent = dependent;
    if (!dependent) {
        r->member_id[0] = r->group_number[0] = r->sub_last[0] = r->sub_first[0] = r->sub_birth[0] = 0;
    }
    for (size_t i = 0; i < d->n_early; i++) *APPEND(r->rejects, r->n_rejects) = d->early[i];
    if (psy__grow_at(d->n)) d->list = psy__realloc(d->list, psy__grow_to(d->n) * sizeof *d->list);
    d->list[d->n++] = r;
    return r;
}

static int hl(struct psy__x12_step *k, struct rd *d)
{
    const char *level = psy_x12_element(k->s, 3);
    if (strcmp(level, "20") && strcmp(level, "21") && strcmp(level, "22") && strcmp(level, "23"))
        return psy__x12_fail(k, 3, "'%.4s' is not a 271 level (20, 21, 22 or 23)", level);
    /* the subscriber loop before a new one or before its dependent: copied into the base */
    struct psy_elig_response *c = cur(d);
    if (c && !c->dependent) {
        memcpy(d->base.member_id, c->member_id, sizeof c->member_id);
        memcpy(d->base.group_number, c->group_number, sizeof c->group_number);
        memcpy(d->base.sub_last, c->sub_last, sizeof c->sub_last);
        memcpy(d->base.sub_first, c->sub_first, sizeof c->sub_first);
        memcpy(d->base.sub_birth, c->sub_birth, sizeof c->sub_birth);
    }
    memcpy(d->hl_level, level, 3);
    d->in_benefit = d->ls = 0;
    if (!strcmp(level, "22")) {
        new_answer(d, 0);
        d->sub_index = (long)d->n - 1;
        d->sub_children = !strcmp(psy_x12_element(k->s, 4), "1");
    } else if (!strcmp(level, "23")) {
        if (d->sub_index < 0) return psy__x12_fail(k, 3, "a dependent level without a subscriber level before it");
        struct psy_elig_response *sub = d->list[d->sub_index];
        struct psy_elig_response *r = new_answer(d, 1);
        memcpy(r->trace, sub->trace, sizeof r->trace); /* a TRN on the subscriber applies to its dependent */
        memcpy(r->trace_originator, sub->trace_originator, sizeof r->trace_originator);
        memcpy(r->as_of, sub->as_of, sizeof r->as_of);
    } else {
        d->sub_index = -1;
    }
    return 0;
}

static int nm1(struct psy__x12_step *k, struct rd *d)
{
    const char *who = psy_x12_element(k->s, 1);
    struct psy_elig_response *r = cur(d);
    if (d->ls || d->in_benefit) return 0; /* a related entity (LS..LE) or a benefit's provider */
    if (!strcmp(d->hl_level, "20"))
        return psy__x12_text(k, 3, d->base.payer_name, sizeof d->base.payer_name, 0) ||
                       psy__x12_text(k, 9, d->base.payer_id, sizeof d->base.payer_id, 0)
                   ? -1
                   : 0;
    if (!strcmp(d->hl_level, "21"))
        return psy__x12_text(k, 3, d->base.provider_name, sizeof d->base.provider_name, 0) ||
                       psy__x12_text(k, 9, d->base.provider_id, sizeof d->base.provider_id, 0)
                   ? -1
                   : 0;
    if (!r) return 0;
    if (!r->dependent || !strcmp(who, "IL"))
        return psy__x12_text(k, 3, r->sub_last, sizeof r->sub_last, 0) || psy__x12_text(k, 4, r->sub_first, sizeof r->sub_first, 0) ||
                       (*psy_x12_element(k->s, 9) && psy__x12_text(k, 9, r->member_id, sizeof r->member_id, 0))
                   ? -1
                   : 0;
    return psy__x12_text(k, 3, r->pat_last, sizeof r->pat_last, 0) || psy__x12_text(k, 4, r->pat_first, sizeof r->pat_first, 0) ? -1 : 0;
}

static int aaa(struct psy__x12_step *k, struct rd *d)
{
    struct psy_elig_reject x = {0};
    if (psy__x12_text(k, 1, x.valid, sizeof x.valid, 1) || psy__x12_text(k, 3, x.reason, sizeof x.reason, 1) ||
        psy__x12_text(k, 4, x.action, sizeof x.action, 0))
        return -1;
    x.segment = k->s->number;
    struct psy_elig_response *r = cur(d);
    const char *where = d->in_benefit ? "benefit"
                        : !strcmp(d->hl_level, "20") ? "payer"
                        : !strcmp(d->hl_level, "21") ? "provider"
                        : r && r->dependent ? "dependent"
                                            : "subscriber";
    snprintf(x.where, sizeof x.where, "%s", where);
    if (!r) {
        *APPEND(d->early, d->n_early) = x;
        return 0;
    }
    *APPEND(r->rejects, r->n_rejects) = x;
    return 0;
}

static int eb(struct psy__x12_step *k, struct rd *d)
{
    struct psy_elig_response *r = cur(d);
    if (!r) return psy__x12_fail(k, 0, "a benefit outside a subscriber or dependent level");
    d->in_benefit = 1;
    d->ls = 0;
    struct psy_elig_benefit *b = APPEND(r->benefits, r->n_benefits);
    b->amount_cents = b->percent_bp = -1;
    b->quantity = b->visits = -1;
    if (psy__x12_text(k, 1, b->info, sizeof b->info, 1) || psy__x12_text(k, 2, b->level, sizeof b->level, 0) ||
        psy__x12_text(k, 4, b->insurance_type, sizeof b->insurance_type, 0) || psy__x12_text(k, 5, b->plan, sizeof b->plan, 0) ||
        psy__x12_text(k, 6, b->period, sizeof b->period, 0) ||
        psy__x12_text(k, 9, b->quantity_qualifier, sizeof b->quantity_qualifier, 0) || count(k, 10, &b->quantity) ||
        psy__x12_text(k, 11, b->auth, sizeof b->auth, 0) || psy__x12_text(k, 12, b->network, sizeof b->network, 0))
        return -1;
    /* EB03: repeated service types, each one or two letters or digits */
    const char *v = psy_x12_element(k->s, 3);
    size_t o = 0;
    for (const char *p = v; *p;) {
        size_t l = d->repetition ? strcspn(p, (char[]){d->repetition, 0}) : strlen(p);
        if (l == 0 || l > 2) return psy__x12_fail(k, 3, "'%.16s' is not a list of service type codes", v);
        if (o + l + 2 > sizeof b->service_types) return psy__x12_fail(k, 3, "too many service types");
        if (o) b->service_types[o++] = ',';
        memcpy(b->service_types + o, p, l);
        o += l;
        b->service_types[o] = 0;
        p += l;
        if (*p) p++;
    }
    const char *a = psy_x12_element(k->s, 7), *why;
    if (*a) {
        if (psy_cents_parse(a, &b->amount_cents, &why) || b->amount_cents < 0)
            return psy__x12_fail(k, 7, "'%.24s' is not an amount", a);
    }
    const char *pc = psy_x12_element(k->s, 8);
    if (*pc) { /* a fraction of 1 (0.2 = 20%): parsed as cents, so 0.2 -> 20 -> 2000 hundredths of a percent */
        long long c;
        if (psy_cents_parse(pc, &c, &why) || c < 0 || c > 100)
            return psy__x12_fail(k, 8, "'%.16s' is not a percentage written as a fraction of 1", pc);
        b->percent_bp = (int)(c * 100);
    }
    return 0;
}

static int step271(struct rd *d, const struct psy__x12_env *env, const struct psy_x12_segment *s, char *msg, size_t len)
{
    struct psy__x12_step k = {s, msg, len};
    const char *id = s->id;
    if (psy__x12_id_is(id, "ST")) {
        if (strcmp(env->st01, "271")) return psy__x12_fail(&k, 1, "transaction set %.3s is not a 271", env->st01);
        memset(&d->base, 0, sizeof d->base);
        d->base.interchange_control = strtoul(env->isa13, NULL, 10);
        memcpy(d->base.transaction_control, env->st02, sizeof d->base.transaction_control);
        d->hl_level[0] = 0;
        d->sub_index = -1;
        d->n_early = 0;
        d->bht_date[0] = 0;
        return 0;
    }
    if (psy__x12_id_is(id, "BHT")) {
        const char *v = psy_x12_element(s, 4);
        if (*v && !psy_date_valid(v)) return psy__x12_fail(&k, 4, "'%.12s' is not a date written CCYYMMDD", v);
        if (*v) memcpy(d->bht_date, v, 9);
        return 0;
    }
    if (psy__x12_id_is(id, "HL")) return hl(&k, d);
    if (psy__x12_id_is(id, "NM1")) return nm1(&k, d);
    if (psy__x12_id_is(id, "AAA")) return aaa(&k, d);
    if (psy__x12_id_is(id, "EB")) return eb(&k, d);
    if (psy__x12_id_is(id, "LS")) return (d->ls = 1), 0;
    if (psy__x12_id_is(id, "LE")) return (d->ls = 0), 0;
    struct psy_elig_response *r = cur(d);
    struct psy_elig_benefit *b = r && d->in_benefit && r->n_benefits ? &r->benefits[r->n_benefits - 1] : NULL;
    if (psy__x12_id_is(id, "TRN")) {
        if (!r || d->in_benefit || strcmp(psy_x12_element(s, 1), "2")) return 0; /* TRN*1 is the payer's own */
        return psy__x12_text(&k, 2, r->trace, sizeof r->trace, 1) || psy__x12_text(&k, 3, r->trace_originator, sizeof r->trace_originator, 0)
                   ? -1
                   : 0;
    }
    if (psy__x12_id_is(id, "REF") && r && !d->in_benefit && !strcmp(psy_x12_element(s, 1), "6P"))
        return psy__x12_text(&k, 2, r->group_number, sizeof r->group_number, 0);
    if (psy__x12_id_is(id, "DMG") && r && !d->in_benefit) {
        const char *v = psy_x12_element(s, 2);
        if (*v && !psy_date_valid(v)) return psy__x12_fail(&k, 2, "'%.12s' is not a date written CCYYMMDD", v);
        char *dst = r->dependent ? r->pat_birth : r->sub_birth;
        if (*v) memcpy(dst, v, 9);
        return 0;
    }
    if (psy__x12_id_is(id, "DTP")) {
        char a[9], e[9];
        if (!r || d->ls) return 0;
        if (dtp(&k, a, e)) return -1;
        const char *q = psy_x12_element(s, 1);
        if (b) {
            if (!strcmp(q, "348") || !strcmp(q, "346") || !strcmp(q, "292")) memcpy(b->begin, a, 9);
            if (!strcmp(q, "349") || !strcmp(q, "347") || !strcmp(q, "292")) memcpy(b->end, e, 9);
            return 0;
        }
        if (!strcmp(q, "346")) memcpy(r->plan_begin, a, 9);
        if (!strcmp(q, "346") || !strcmp(q, "356")) memcpy(r->begin, a, 9);
        else if (!strcmp(q, "347") || !strcmp(q, "357")) memcpy(r->end, e, 9);
        else if (!strcmp(q, "291") || !strcmp(q, "307") || !strcmp(q, "472")) {
            if (!strcmp(a, e)) memcpy(r->as_of, a, 9);
            else {
                memcpy(r->begin, a, 9);
                memcpy(r->end, e, 9);
            }
        }
        return 0;
    }
    if (psy__x12_id_is(id, "HSD") && b && !d->ls) {
        long n;
        if (count(&k, 2, &n)) return -1;
        if (!strcmp(psy_x12_element(s, 1), "VS") && n >= 0) b->visits = n;
        return 0;
    }
    if (psy__x12_id_is(id, "MSG") && b && !d->ls && !b->message[0]) {
        snprintf(b->message, sizeof b->message, "%s", psy_x12_element(s, 1));
        return 0;
    }
    return 0;
}

/* At SE: answers handed over in order; a subscriber loop that only leads to dependents is dropped. An
 * AAA at payer or provider level with no subscriber loop at all becomes an answer of its own. */
static psy_status finish_set(struct rd *d, psy_elig_fn fn, void *ud)
{
    if (!d->n && d->n_early) {
        struct psy_elig_response *r = new_answer(d, 0);
        memcpy(r->as_of, d->bht_date, 9);
    }
    psy_status rc = PSY_OK;
    for (size_t i = 0; i < d->n; i++) {
        struct psy_elig_response *r = d->list[i];
        int lead = !r->dependent && !r->n_benefits && r->n_rejects == d->n_early && i + 1 < d->n &&
                   d->list[i + 1]->dependent;
        if (lead || rc) {
            psy_elig_response_free(r);
            continue;
        }
        if (!r->as_of[0]) memcpy(r->as_of, d->bht_date, 9);
        rc = fn(ud, r);
    }
    d->n = 0;
    d->n_early = 0;
    return rc;
}

psy_status psy_x12_271_read(psy_x12_reader *r, psy_elig_fn fn, void *ud, char *err, size_t errlen)
{
    struct psy__x12_env env = {0};
    struct rd d = {.sub_index = -1};
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
        int k = psy__x12_env_step(&env, s, msg, sizeof msg);
        if (!k && env.level >= 3) {
            d.repetition = psy_x12_reader_delims(r)->repetition;
            k = step271(&d, &env, s, msg, sizeof msg);
        }
        if (k < 0) {
            psy__x12_where(err, errlen, s, msg);
            rc = PSY_EPARSE;
            break;
        }
        if (psy__x12_id_is(s->id, "SE") && (rc = finish_set(&d, fn, ud))) {
            snprintf(err, errlen, "stopped by the caller at segment %lu", s->number);
            break;
        }
    }
    for (size_t i = 0; i < d.n; i++) psy_elig_response_free(d.list[i]);
    free(d.list);
    free(d.early);
    return rc;
}

/* --- the front desk's summary -------------------------------------------------------------------- */

/* How well a benefit's service types fit outpatient mental health: 2 a mental-health type, 1 the plan
 * as a whole (30 or none), 0 not at all (e.g. inpatient only, or dental). */
static int relevance(const char *types)
{
    if (!*types) return 1;
    static const char *const mh[] = {"MH", "A4", "A6", "A8", "CF", "CH"};
    int best = 0;
    char t[100];
    snprintf(t, sizeof t, "%s", types);
    for (char *save = NULL, *p = strtok_r(t, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        for (size_t i = 0; i < sizeof mh / sizeof *mh; i++)
            if (!strcmp(p, mh[i])) best = 2;
        if (!strcmp(p, "30") && best < 1) best = 1;
    }
    return best;
}

static int is_active(const char *c) { return c[0] >= '1' && c[0] <= '5' && !c[1]; }
static int is_inactive(const char *c) { return c[0] >= '6' && c[0] <= '8' && !c[1]; }

/* 1 when benefit b applies in network (net 'Y') or out of it (net 'N'). */
static int network_fits(const struct psy_elig_benefit *b, char net)
{
    char n = b->network[0];
    if (net == 'Y') return n == 'Y' || n == 'W' || !n;
    return n == 'N' || n == 'W';
}

/* The best value among the benefits of code info for the network: the most relevant, then an
 * individual's over a family's, then the first. remaining: 1 only EB06 = 29, 0 only others. */
static const struct psy_elig_benefit *pick(const struct psy_elig_response *r, const char *info, char net, int remaining,
                                           int want_percent)
{
    const struct psy_elig_benefit *best = NULL;
    int best_score = 0;
    for (size_t i = 0; i < r->n_benefits; i++) {
        const struct psy_elig_benefit *b = &r->benefits[i];
        if (strcmp(b->info, info) || !network_fits(b, net)) continue;
        if ((!strcmp(b->period, "29")) != remaining) continue;
        if (want_percent ? b->percent_bp < 0 : b->amount_cents < 0) continue;
        int rel = relevance(b->service_types);
        if (!rel) continue;
        int score = rel * 4 + (strcmp(b->level, "FAM") ? 2 : 0) + (b->network[0] == net ? 1 : 0);
        if (score > best_score) best = b, best_score = score;
    }
    return best;
}

static long long amount_of(const struct psy_elig_benefit *b) { return b ? b->amount_cents : PSY_ELIG_UNKNOWN; }

void psy_elig_summarize(const struct psy_elig_response *r, struct psy_elig_summary *s)
{
    memset(s, 0, sizeof *s);
    int active = 0, inactive = 0;
    for (size_t i = 0; i < r->n_benefits; i++) {
        const struct psy_elig_benefit *b = &r->benefits[i];
        int rel = relevance(b->service_types);
        if (is_active(b->info) && rel > active) active = rel;
        if (is_inactive(b->info) && rel > inactive) inactive = rel;
    }
    /* a mental-health answer wins over the plan's; between equals, inactive is the safer reading */
    snprintf(s->status, sizeof s->status, "%s",
             inactive && inactive >= active ? "inactive"
             : active                       ? "active"
             : r->n_rejects                 ? "rejected"
                                            : "unknown");
    const struct psy_elig_benefit *b;
    s->copay_in = amount_of(pick(r, "B", 'Y', 0, 0));
    s->copay_out = amount_of(pick(r, "B", 'N', 0, 0));
    s->coinsurance_in = (b = pick(r, "A", 'Y', 0, 1)) ? b->percent_bp : PSY_ELIG_UNKNOWN;
    s->coinsurance_out = (b = pick(r, "A", 'N', 0, 1)) ? b->percent_bp : PSY_ELIG_UNKNOWN;
    s->deductible_in = amount_of(pick(r, "C", 'Y', 0, 0));
    s->deductible_in_left = amount_of(pick(r, "C", 'Y', 1, 0));
    s->deductible_out = amount_of(pick(r, "C", 'N', 0, 0));
    s->deductible_out_left = amount_of(pick(r, "C", 'N', 1, 0));
    s->oop_in = amount_of(pick(r, "G", 'Y', 0, 0));
    s->oop_in_left = amount_of(pick(r, "G", 'Y', 1, 0));
    s->oop_out = amount_of(pick(r, "G", 'N', 0, 0));
    s->oop_out_left = amount_of(pick(r, "G", 'N', 1, 0));
    /* visits: F limitations counted in visits (EB09 VS with EB10, or an HSD with HSD01 VS) */
    s->visits_allowed = s->visits_left = s->visits_used = PSY_ELIG_UNKNOWN;
    s->visits_year_begin[0] = 0;
    int best_allowed = 0, best_left = 0;
    s->auth_required = PSY_ELIG_UNKNOWN;
    int best_auth = 0;
    for (size_t i = 0; i < r->n_benefits; i++) {
        b = &r->benefits[i];
        int rel = relevance(b->service_types);
        if (!rel) continue;
        if ((b->auth[0] == 'Y' || b->auth[0] == 'N') && rel > best_auth &&
            (is_active(b->info) || strchr("ABCFG", b->info[0]))) {
            best_auth = rel;
            s->auth_required = b->auth[0] == 'Y';
        }
        if (strcmp(b->info, "F")) continue;
        long n = !strcmp(b->quantity_qualifier, "VS") && b->quantity >= 0 ? b->quantity : b->visits;
        if (n < 0) continue;
        if (!strcmp(b->period, "29")) {
            if (rel > best_left) best_left = rel, s->visits_left = n;
        } else if (rel > best_allowed) {
            best_allowed = rel, s->visits_allowed = n;
            /* EB06 22 service year, 25 contract: the plan's own year, not the calendar's */
            s->visits_year_begin[0] = 0;
            if (!strcmp(b->period, "22") || !strcmp(b->period, "25"))
                memcpy(s->visits_year_begin, b->begin[0] ? b->begin : r->plan_begin, 9);
        }
    }
    if (s->visits_allowed >= 0 && s->visits_left >= 0 && s->visits_left <= s->visits_allowed)
        s->visits_used = s->visits_allowed - s->visits_left;
}

/* --- JSON ---------------------------------------------------------------------------------------- */

static json_t *str_or_null(const char *s) { return s && *s ? json_string(s) : json_null(); }

/* A text from the file: '?' for bytes JSON cannot hold. */
static json_t *jstr(const char *s)
{
    char t[128];
    size_t n = 0;
    for (; s[n] && n < sizeof t - 1; n++) t[n] = (unsigned char)s[n] < 0x80 && (unsigned char)s[n] >= 0x20 ? s[n] : '?';
    t[n] = 0;
    return json_string(t);
}

static json_t *num_or_null(long long v) { return v >= 0 ? json_integer(v) : json_null(); }

static json_t *date_or_null(const char *d)
{
    if (!d[0]) return json_null();
    char iso[11];
    snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", d, d + 4, d + 6);
    return json_string(iso);
}

char *psy_elig_response_json(const struct psy_elig_response *r, int pretty)
{
    struct psy_elig_summary s;
    psy_elig_summarize(r, &s);
    json_t *sum = json_pack(
        "{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "status", s.status,
        "copay_in_cents", num_or_null(s.copay_in), "copay_out_cents", num_or_null(s.copay_out),
        "coinsurance_in_bp", num_or_null(s.coinsurance_in), "coinsurance_out_bp", num_or_null(s.coinsurance_out),
        "deductible_in_cents", num_or_null(s.deductible_in), "deductible_in_left_cents",
        num_or_null(s.deductible_in_left), "deductible_out_cents", num_or_null(s.deductible_out),
        "deductible_out_left_cents", num_or_null(s.deductible_out_left), "oop_in_cents", num_or_null(s.oop_in),
        "oop_in_left_cents", num_or_null(s.oop_in_left), "oop_out_cents", num_or_null(s.oop_out),
        "oop_out_left_cents", num_or_null(s.oop_out_left), "visits_allowed", num_or_null(s.visits_allowed),
        "visits_left", num_or_null(s.visits_left), "visits_used", num_or_null(s.visits_used), "auth_required",
        s.auth_required < 0 ? json_null() : json_boolean(s.auth_required));
    json_object_set_new(sum, "visits_year_begin", date_or_null(s.visits_year_begin));
    json_t *benefits = json_array(), *rejects = json_array();
    for (size_t i = 0; i < r->n_benefits; i++) {
        const struct psy_elig_benefit *b = &r->benefits[i];
        json_t *types = json_array();
        char t[100];
        snprintf(t, sizeof t, "%s", b->service_types);
        for (char *save = NULL, *p = strtok_r(t, ",", &save); p; p = strtok_r(NULL, ",", &save))
            json_array_append_new(types, json_pack("{s:s, s:o}", "code", p, "text",
                                                   str_or_null(psy_elig_service_type_text(p))));
        json_array_append_new(
            benefits,
            json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "code",
                      b->info, "text", str_or_null(psy_elig_info_text(b->info)), "level", str_or_null(b->level),
                      "service_types", types, "insurance_type", str_or_null(b->insurance_type), "plan",
                      b->plan[0] ? jstr(b->plan) : json_null(), "period", str_or_null(b->period), "amount_cents",
                      num_or_null(b->amount_cents), "percent_bp", num_or_null(b->percent_bp), "quantity_qualifier",
                      str_or_null(b->quantity_qualifier), "quantity", num_or_null(b->quantity), "visits",
                      num_or_null(b->visits), "auth", str_or_null(b->auth), "network", str_or_null(b->network),
                      "begin", date_or_null(b->begin), "end", date_or_null(b->end), "message",
                      b->message[0] ? jstr(b->message) : json_null()));
    }
    for (size_t i = 0; i < r->n_rejects; i++) {
        const struct psy_elig_reject *x = &r->rejects[i];
        json_array_append_new(rejects, json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:I}", "where", x->where, "valid",
                                                 x->valid, "reason", x->reason, "reason_text",
                                                 str_or_null(psy_elig_reject_text(x->reason)), "action",
                                                 str_or_null(x->action), "action_text",
                                                 str_or_null(psy_elig_action_text(x->action)), "segment",
                                                 (json_int_t)x->segment));
    }
    json_t *j = json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "trace",
        jstr(r->trace), "payer", jstr(r->payer_name), "payer_id", jstr(r->payer_id), "provider",
        jstr(r->provider_name), "provider_id", jstr(r->provider_id), "member_id", jstr(r->member_id), "group_number",
        jstr(r->group_number), "subscriber", json_pack("{s:o, s:o}", "last", jstr(r->sub_last), "first", jstr(r->sub_first)),
        "subscriber_birth", date_or_null(r->sub_birth), "dependent", r->dependent, "patient",
        r->dependent ? json_pack("{s:o, s:o}", "last", jstr(r->pat_last), "first", jstr(r->pat_first)) : json_null(),
        "patient_birth", date_or_null(r->pat_birth), "as_of", date_or_null(r->as_of), "coverage_begin",
        date_or_null(r->begin), "coverage_end", date_or_null(r->end), "summary", sum, "benefits", benefits,
        "rejections", rejects, "transaction_control", jstr(r->transaction_control));
    char *out = json_dumps(j, pretty ? JSON_INDENT(2) | JSON_PRESERVE_ORDER : JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    return out;
}
