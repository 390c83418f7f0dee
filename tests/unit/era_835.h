/*
 * era_835.h -- test helper: an 835 remittance made from an exported 837P, paying every claim in full
 * (or denying the first with CO 50), SVC lines without their modifiers (a payer that drops them), plus
 * one claim psyclaim never sent (PCX0000001, which goes to suspense); and remit(), an 835 of the CLP
 * segments given. Shared by test_billing.c, test_ledger.c and test_server.c.
 */
#ifndef PSY_TEST_ERA_835_H
#define PSY_TEST_ERA_835_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "support.h"

struct b835 {
    char *s;
    size_t len, cap;
    int segs;      /* segments inside ST..SE */
    long long total;
};

static void put(struct b835 *b, int counted, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline void put(struct b835 *b, int counted, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char seg[600];
    vsnprintf(seg, sizeof seg, fmt, ap);
    va_end(ap);
    size_t n = strlen(seg);
    if (b->len + n + 2 > b->cap) b->s = realloc(b->s, b->cap = 2 * (b->cap + n + 2));
    memcpy(b->s + b->len, seg, n);
    b->len += n;
    b->s[b->len++] = '~';
    b->s[b->len] = 0;
    b->segs += counted;
}

static inline void money(long long c, char *out)
{
    psy_x12_format_cents(c, out);
}

/* An 835 that pays every claim of an exported 837P in full, SVC lines without their modifiers (a payer
 * that drops them), plus one claim psyclaim never sent. */
static inline char *make_835(const char *doc, size_t len, int deny_first, size_t *outlen)
{
    struct b835 body = {0}, out = {0};
    psy_x12_reader *r = psy_x12_reader_mem(doc, len, 0);
    const struct psy_x12_segment *seg;
    int n = 0, deny = 0;
    while (psy_x12_next(r, &seg) == PSY_OK && seg) {
        char m[32], code[16];
        if (!strcmp(seg->id, "CLM")) {
            long long c;
            assert_int_equal(psy_x12_parse_cents(psy_x12_element(seg, 2), &c, NULL), PSY_OK);
            money(c, m);
            deny = deny_first && !n;
            if (deny) {
                put(&body, 1, "CLP*%s*4*%s*0**MC*ICN%04d", psy_x12_element(seg, 1), m, ++n);
                put(&body, 1, "CAS*CO*50*%s", m);
            } else {
                put(&body, 1, "CLP*%s*1*%s*%s**MC*ICN%04d", psy_x12_element(seg, 1), m, m, ++n);
                body.total += c;
            }
        } else if (!strcmp(seg->id, "SV1")) {
            psy_x12_component(psy_x12_element(seg, 1), ':', 2, code, sizeof code);
            put(&body, 1, "SVC*HC:%s*%s*%s**%s", code, psy_x12_element(seg, 2), deny ? "0" : psy_x12_element(seg, 2),
                psy_x12_element(seg, 4));
        }
    }
    psy_x12_reader_free(r);
    put(&body, 1, "CLP*PCX0000001*1*100*100**MC*ICNX");
    put(&body, 1, "SVC*HC:90834*100*100**1");
    body.total += 10000;
    char m[32];
    money(body.total, m);
    put(&out, 0, "ISA*00*          *00*          *ZZ*PAYER          *ZZ*PRACTICE       *260415*1200*^*00501*000000777*0*P*:");
    put(&out, 0, "GS*HP*PAYER*PRACTICE*20260415*1200*777*X*005010X221A1");
    put(&out, 1, "ST*835*0001");
    put(&out, 1, "BPR*I*%s*C*ACH*CCP*01*999999999*DA*1234*1512345678**01*999999999*DA*5678*20260415", m);
    static int trace; /* each remittance its own trace number, as a payer sends them */
    put(&out, 1, "TRN*1*EFT%04d*1512345678", ++trace);
    put(&out, 1, "N1*PR*DEMO PAYER");
    put(&out, 1, "N1*PE*DEMO PRACTICE*XX*1234567893");
    put(&out, 1, "LX*1");
    size_t need = out.len + body.len + 64;
    out.s = realloc(out.s, out.cap = need);
    memcpy(out.s + out.len, body.s, body.len + 1);
    out.len += body.len;
    out.segs += body.segs;
    put(&out, 0, "SE*%d*0001", out.segs + 1);
    put(&out, 0, "GE*1*777");
    put(&out, 0, "IEA*1*000000777");
    free(body.s);
    *outlen = out.len;
    return out.s;
}

/* An 835 paying claims from a named payer: CLP segments given, BPR the claims paid less PLB; payer is
 * N1*PR's N102 (and N103/N104 when given as "NAME*XV*ID"). */
static inline char *remit_as(const char *payer, const char *trace, const char *clps, long long plb, size_t *len)
{
    struct b835 out = {0};
    char m[32], body[1200];
    long long total = 0;
    snprintf(body, sizeof body, "%s", clps);
    for (char *c = strtok(body, "~"); c; c = strtok(NULL, "~")) {
        long long v = 0;
        char amt[32];
        if (strncmp(c, "CLP*", 4)) continue;
        const char *p = c;
        for (int k = 0; k < 4 && p; k++) p = strchr(p + 1, '*');
        snprintf(amt, sizeof amt, "%.*s", (int)strcspn(p + 1, "*"), p + 1);
        assert_int_equal(psy_x12_parse_cents(amt, &v, NULL), PSY_OK);
        total += v;
    }
    money(total - plb, m);
    put(&out, 0, "ISA*00*          *00*          *ZZ*PAYER          *ZZ*PRACTICE       *260415*1200*^*00501*000000778*0*P*:");
    put(&out, 0, "GS*HP*PAYER*PRACTICE*20260415*1200*778*X*005010X221A1");
    put(&out, 1, "ST*835*0001");
    put(&out, 1, "BPR*I*%s*C*ACH*CCP*01*999999999*DA*1234*1512345678**01*999999999*DA*5678*20260415", m);
    put(&out, 1, "TRN*1*%s*1512345678", trace);
    put(&out, 1, "N1*PR*%s", payer);
    put(&out, 1, "N1*PE*DEMO PRACTICE*XX*1234567893");
    put(&out, 1, "LX*1");
    snprintf(body, sizeof body, "%s", clps);
    for (char *c = strtok(body, "~"); c; c = strtok(NULL, "~")) put(&out, 1, "%s", c);
    if (plb) {
        money(plb, m);
        put(&out, 1, "PLB*1234567893*20261231*FB:RI1*%s", m);
    }
    put(&out, 0, "SE*%d*0001", out.segs + 1);
    put(&out, 0, "GE*1*778");
    put(&out, 0, "IEA*1*000000778");
    *len = out.len;
    return out.s;
}

/* remit_as from the demo payer. */
static inline char *remit(const char *trace, const char *clps, long long plb, size_t *len)
{
    return remit_as("DEMO PAYER", trace, clps, plb, len);
}

#endif
