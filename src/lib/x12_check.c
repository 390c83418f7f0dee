/*
 * x12_check.c -- a structure check for any input of 837P and 835 transactions, reporting every
 * problem it finds instead of stopping at the first.
 *
 * Envelopes are checked for every transaction (nesting, SE/GE/IEA counts, control numbers). 837
 * sets are checked for the HL tree (HL01 counts 1, 2, 3 ...; HL02 names an earlier level of the right
 * kind; HL04 says whether children follow), LX order and CLM02 = the sum of the SV102 below it. 835
 * sets go through the 835 reader's own segment rules, then the three balancing equations: line
 * (SVC02 - SVC03 = its CAS), claim (CLP03 - CLP04 = claim and line CAS) and payment (BPR02 = the
 * CLP04 sum less the PLB amounts).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "x12_int.h"

struct problems {
    struct psy_x12_problem *out;
    size_t cap, n;
};

static void report(struct problems *p, const struct psy_x12_segment *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report(struct problems *p, const struct psy_x12_segment *s, const char *fmt, ...)
{
    if (p->n < p->cap) {
        struct psy_x12_problem *x = &p->out[p->n];
        x->segment = s ? s->number : 0;
        snprintf(x->seg_id, sizeof x->seg_id, "%s", s ? s->id : "");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->message, sizeof x->message, fmt, ap);
        va_end(ap);
    }
    p->n++;
}

/* --- 837 ------------------------------------------------------------------------------------- */

struct c837 {
    char *levels;                   /* HL03 kind of HL 1, 2, ...: '2' 20, 'S' 22, 'P' 23 */
    size_t n_levels;
    unsigned long last_hl;
    int expect_child;               /* the previous HL04 said 1 */
    unsigned long clm_segment;      /* segment number of the open CLM, 0 none */
    long long clm_total, lines_sum;
    unsigned long lx;
    int have_level;
};

static void c837_close_claim(struct c837 *c, struct problems *p)
{
    if (c->clm_segment && c->clm_total != c->lines_sum) {
        struct psy_x12_segment at = {.id = "CLM", .number = c->clm_segment};
        char a[24], b[24];
        psy_x12_format_cents(c->clm_total, a);
        psy_x12_format_cents(c->lines_sum, b);
        report(p, &at, "element CLM02: claim total %s is not the sum of its lines %s", a, b);
    }
    c->clm_segment = 0;
}

static long long parse_amount(struct problems *p, const struct psy_x12_segment *s, size_t i)
{
    long long v = 0;
    const char *why;
    if (psy_x12_parse_cents(psy_x12_element(s, i), &v, &why))
        report(p, s, "element %s%02zu: '%.24s' %s", s->id, i, psy_x12_element(s, i), why);
    return v;
}

static void c837_step(struct c837 *c, const struct psy_x12_segment *s, char comp, struct problems *p,
                      struct psy_x12_check_stats *stats)
{
    const char *id = s->id;
    if (!strcmp(id, "ST")) {
        free(c->levels);
        memset(c, 0, sizeof *c);
        return;
    }
    if (!strcmp(id, "HL")) {
        c837_close_claim(c, p);
        const char *kind = psy_x12_element(s, 3), *parent = psy_x12_element(s, 2);
        unsigned long hid = strtoul(psy_x12_element(s, 1), NULL, 10), par = strtoul(parent, NULL, 10);
        char k = !strcmp(kind, "20") ? '2' : !strcmp(kind, "22") ? 'S' : !strcmp(kind, "23") ? 'P' : 0;
        if (hid != c->last_hl + 1) report(p, s, "element HL01: %lu where %lu was expected", hid, c->last_hl + 1);
        if (!k) report(p, s, "element HL03: level code '%.4s' is not 20, 22 or 23", kind);
        char need = k == 'S' ? '2' : k == 'P' ? 'S' : 0;
        if (need && (par < 1 || par > c->n_levels || c->levels[par - 1] != need))
            report(p, s, "element HL02: parent %.12s is not an earlier %s level", parent, need == '2' ? "20" : "22");
        if (c->expect_child && (!par || par != c->last_hl))
            report(p, s, "the previous HL said a child level follows (HL04 = 1) but this one is not its child");
        if (!c->expect_child && par && par == c->last_hl)
            report(p, s, "element HL02: the parent's HL04 said it has no child levels");
        c->expect_child = !strcmp(psy_x12_element(s, 4), "1");
        c->last_hl = hid;
        if (hid == c->n_levels + 1) { /* levels[i] is the kind of HL i + 1 */
            if (psy__grow_at(c->n_levels)) c->levels = psy__realloc(c->levels, psy__grow_to(c->n_levels));
            c->levels[c->n_levels++] = k;
        }
        c->have_level = k == 'S' || k == 'P';
        return;
    }
    if (!strcmp(id, "CLM")) {
        c837_close_claim(c, p);
        stats->claims++;
        if (!c->have_level) report(p, s, "a claim outside a subscriber or patient level");
        c->clm_segment = s->number;
        c->clm_total = parse_amount(p, s, 2);
        c->lines_sum = 0;
        c->lx = 0;
        return;
    }
    if (!strcmp(id, "LX")) {
        unsigned long n = strtoul(psy_x12_element(s, 1), NULL, 10);
        if (n != c->lx + 1) report(p, s, "element LX01: %lu where %lu was expected", n, c->lx + 1);
        c->lx = n;
        return;
    }
    if (!strcmp(id, "SV1")) {
        stats->lines++;
        char code[64];
        if (!c->clm_segment) report(p, s, "a service line outside a claim");
        if (!psy_x12_component(psy_x12_element(s, 1), comp, 2, code, sizeof code))
            report(p, s, "element SV101: the procedure code is missing");
        if (psy_cents_add(c->lines_sum, parse_amount(p, s, 2), &c->lines_sum))
            report(p, s, "element SV102: the lines of this claim add up past the largest amount this system can hold");
        return;
    }
    if (!strcmp(id, "SE")) {
        c837_close_claim(c, p);
        free(c->levels);
        memset(c, 0, sizeof *c);
    }
}

/* --- 835 balancing --------------------------------------------------------------------------- */

/* Sum of n adjustments into *out; -1 when it does not fit in 64 bits. */
static int cas_sum(const struct psy_era_adjustment *a, size_t n, long long *out)
{
    long long t = 0;
    int over = 0;
    for (size_t i = 0; i < n; i++) psy_cents_acc(&t, a[i].amount_cents, &over);
    *out = t;
    return over ? -1 : 0;
}

static void balance(const struct psy_era_payment *pay, const struct psy_x12_segment *se, struct problems *p)
{
    char a[24], b[24];
    long long paid = 0, diff;
    int over = 0;
    for (size_t i = 0; i < pay->n_claims; i++) {
        const struct psy_era_claim *c = &pay->claims[i];
        long long adj;
        int cover = cas_sum(c->adjustments, c->n_adjustments, &adj);
        for (size_t j = 0; j < c->n_services; j++) {
            const struct psy_era_service *v = &c->services[j];
            long long line;
            if (cas_sum(v->adjustments, v->n_adjustments, &line) || psy_cents_sub(v->charge_cents, v->paid_cents, &diff)) {
                report(p, se, "claim %zu line %zu: its amounts add up past the largest amount this system can hold",
                       i + 1, j + 1);
                cover = 1;
                continue;
            }
            if (psy_cents_add(adj, line, &adj)) cover = 1;
            if (diff != line) {
                psy_x12_format_cents(diff, a);
                psy_x12_format_cents(line, b);
                report(p, se, "claim %zu line %zu does not balance: billed less paid is %s, its adjustments %s", i + 1,
                       j + 1, a, b);
            }
        }
        if (cover || psy_cents_sub(c->charge_cents, c->paid_cents, &diff)) {
            report(p, se, "claim %zu: its adjustments add up past the largest amount this system can hold", i + 1);
        } else if (diff != adj) {
            psy_x12_format_cents(diff, a);
            psy_x12_format_cents(adj, b);
            report(p, se, "claim %zu does not balance: billed less paid is %s, its adjustments %s", i + 1, a, b);
        }
        psy_cents_acc(&paid, c->paid_cents, &over);
    }
    for (size_t i = 0; i < pay->n_provider_adjustments; i++) psy_cents_acc(&paid, -pay->provider_adjustments[i].amount_cents, &over);
    if (over) {
        report(p, se, "the claim payments less provider adjustments add up past the largest amount this system can hold");
    } else if (paid != pay->paid_cents) {
        psy_x12_format_cents(pay->paid_cents, a);
        psy_x12_format_cents(paid, b);
        report(p, se, "the payment does not balance: BPR02 is %s, claims paid less provider adjustments %s", a, b);
    }
}

/* --- the check ------------------------------------------------------------------------------- */

psy_status psy_x12_check(psy_x12_reader *r, struct psy_x12_problem *out, size_t cap, size_t *n,
                         struct psy_x12_check_stats *stats)
{
    struct problems p = {out, cap, 0};
    struct psy__x12_env env = {0};
    struct psy__era_state era = {.pay = NULL, .claim = -1, .svc = -1};
    struct c837 c = {0};
    struct psy_x12_check_stats local;
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    char msg[240];
    psy_status rc = PSY_OK;
    for (;;) {
        const struct psy_x12_segment *s;
        if ((rc = psy_x12_next(r, &s))) {
            report(&p, NULL, "%s", psy_x12_reader_error(r));
            break;
        }
        if (!s) {
            if (!stats->segments) report(&p, NULL, "the input is empty: no ISA interchange in it");
            if (psy__x12_env_finish(&env, msg, sizeof msg)) report(&p, NULL, "%s", msg);
            break;
        }
        stats->segments++;
        if (psy__x12_env_step(&env, s, msg, sizeof msg)) report(&p, s, "%s", msg);
        if (env.level < 2 && strcmp(s->id, "SE")) continue;
        char comp = psy_x12_reader_delims(r)->component;
        if (!strcmp(env.st01, "837")) {
            c837_step(&c, s, comp, &p, stats);
            continue;
        }
        if (strcmp(env.st01, "835")) continue;
        if (!strcmp(s->id, "CLP")) stats->claims++;
        if (!strcmp(s->id, "SVC")) stats->lines++;
        struct psy_era_payment *done = NULL;
        era.component = comp;
        era.repetition = psy_x12_reader_delims(r)->repetition;
        if (psy__era_step(&era, &env, s, &done, msg, sizeof msg) < 0) report(&p, s, "%s", msg);
        if (done) balance(done, s, &p);
        psy_era_payment_free(done);
    }
    stats->interchanges = env.interchanges;
    stats->groups = env.total_groups;
    stats->transactions = env.total_sets;
    psy__era_reset(&era);
    free(c.levels);
    *n = p.n;
    return rc;
}
