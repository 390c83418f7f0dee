/*
 * cli_x12.c -- `psyclaim x12 check`: the structure of any 837P or 835 file; `psyclaim x12 read`: which
 * transaction a file holds (837P, 835, 999, 277CA, 271 ...) and what it says.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* --- x12 check -------------------------------------------------------------------------------- */

/* --- x12 read ---------------------------------------------------------------------------------- */

static void money(long long cents, char *out)
{
    psy_cents_format(cents, out);
}

static psy_status print_ta1(void *ud, const struct psy_ack_ta1 *t)
{
    (void)ud;
    const char *a = psy_x12_describe(PSY_X12_TEXT_ACK, t->ack), *n = psy_x12_describe(PSY_X12_TEXT_INTERCHANGE_NOTE, t->note);
    printf("TA1 interchange %09lu: %s (%s); %s (%s)\n", t->control, a ? a : "?", t->ack, n ? n : "?", t->note);
    return PSY_OK;
}

static psy_status print_999(void *ud, const struct psy_ack_999 *a)
{
    (void)ud;
    const char *t = psy_x12_describe(PSY_X12_TEXT_ACK, a->ack);
    printf("999 for group %lu (%s %s): %s (AK901 %s); %ld sets included, %ld received, %ld accepted\n",
           a->group_control, a->functional_id, a->version, t ? t : "?", a->ack, a->included, a->received, a->accepted);
    for (size_t i = 0; i < a->n_sets; i++) {
        const struct psy_ack_set *s = &a->sets[i];
        t = psy_x12_describe(PSY_X12_TEXT_ACK, s->ack);
        printf("  transaction set %s %s: %s (IK501 %s)\n", s->set_id, s->control, t ? t : "?", s->ack);
        for (size_t k = 0; k < 5; k++)
            if (s->codes[k][0]) {
                const char *w = psy_x12_describe(PSY_X12_TEXT_SET_ERROR, s->codes[k]);
                printf("    %s (IK50%zu %s)\n", w ? w : "code not in the X12 list", k + 2, s->codes[k]);
            }
        for (size_t e = 0; e < s->n_errors; e++) {
            char words[600];
            psy_x12_ack_error_words(&s->errors[e], words, sizeof words);
            printf("    %s\n", words);
        }
    }
    return PSY_OK;
}

static psy_status print_277(void *ud, const struct psy_ack_277 *c)
{
    (void)ud;
    int v = psy_x12_277_verdict(c);
    char m[PSY_CENTS_TEXT_MAX] = "";
    if (c->has_charge) money(c->charge_cents, m);
    int claim = !strcmp(c->level, "PT") || !strcmp(c->level, "22") || !strcmp(c->level, "23");
    printf("%s %s (HL %s)%s%s: %s%s%s%s%s\n", claim ? "claim" : "trace", c->trace, c->level,
           c->has_charge ? " billed " : "", m, v > 0 ? "accepted" : v < 0 ? "rejected" : "status",
           c->payer_claim_number[0] ? ", payer's claim number " : "", c->payer_claim_number,
           c->from[0] ? ", service " : "", c->from);
    for (size_t i = 0; i < c->n_statuses; i++) {
        const struct psy_ack_status *t = &c->statuses[i];
        const char *a = psy_x12_describe(PSY_X12_TEXT_STATUS_CATEGORY, t->category);
        const char *b = psy_x12_describe(PSY_X12_TEXT_STATUS_CODE, t->code);
        const char *e = psy_x12_describe(PSY_X12_TEXT_ENTITY, t->entity);
        printf("  %s%s%s%s%s%s  %s%s%s%s%s\n", t->service[0] ? "line " : "", t->service, t->service[0] ? " " : "",
               t->category, t->code[0] ? ":" : "", t->code, a ? a : "(category not in code list 507)", t->code[0] ? "; " : "",
               t->code[0] ? (b ? b : "(status code not in code list 508)") : "", e ? "; about the " : "", e ? e : "");
    }
    if (c->message[0]) printf("  message: %s\n", c->message);
    return PSY_OK;
}

static psy_status count_835(void *ud, struct psy_era_payment *p)
{
    long long *t = ud; /* payments, claims, paid */
    t[0]++;
    t[1] += (long long)p->n_claims;
    long long sum;
    if (!psy_cents_add(t[2], p->paid_cents, &sum)) t[2] = sum;
    psy_era_payment_free(p);
    return PSY_OK;
}

/* What a file of each kind (its bytes data, len; r reads them) says. A 271 is read by the eligibility
 * module (the same reading as `eligibility read`); a 270 only as its kind. */
static psy_status read_kind(psy_x12_kind kind, psy_x12_reader *r, const char *data, size_t len, int json, char **doc,
                            char *err, size_t errlen)
{
    switch (kind) {
    case PSY_X12_KIND_271: {
        psy_status rc = psy_billing_eligibility_read(data, len, doc, NULL, err, errlen);
        if (!rc && !json) {
            cli_elig_print(*doc);
            free(*doc);
            *doc = NULL;
        }
        return rc;
    }
    case PSY_X12_KIND_999:
    case PSY_X12_KIND_277CA:
    case PSY_X12_KIND_277:
    case PSY_X12_KIND_TA1: {
        if (json) return psy_x12_ack_json(r, doc, NULL, err, errlen);
        struct psy_ack_handlers h = {print_ta1, print_999, print_277, NULL};
        return psy_x12_ack_read(r, &h, err, errlen);
    }
    case PSY_X12_KIND_835: {
        if (json) return psy_x12_835_json(r, PSY_ERA_JSON_DETAIL, doc, NULL, NULL, err, errlen);
        long long t[3] = {0, 0, 0};
        psy_status rc = psy_x12_835_read(r, count_835, t, err, errlen);
        char m[PSY_CENTS_TEXT_MAX];
        if (!rc) printf("%lld payments, %lld claims, %s paid (details: psyclaim era read)\n", t[0], t[1], (money(t[2], m), m));
        return rc;
    }
    case PSY_X12_KIND_837P: {
        struct psy_x12_problem probs[1];
        struct psy_x12_check_stats s;
        size_t n = 0;
        psy_status rc = psy_x12_check(r, probs, 1, &n, &s);
        if (rc) snprintf(err, errlen, "%s", probs[0].message);
        else if (json) {
            json_t *o = json_pack("{s:I, s:I, s:I}", "claims", (json_int_t)s.claims, "lines", (json_int_t)s.lines,
                                  "problems", (json_int_t)n);
            *doc = json_dumps(o, JSON_COMPACT);
            json_decref(o);
        } else
            printf("%lu claims, %lu lines, %zu structural problems (details: psyclaim x12 check)\n", s.claims, s.lines, n);
        return rc;
    }
    case PSY_X12_KIND_270:
    case PSY_X12_KIND_UNKNOWN: break;
    }
    if (json) *doc = strdup("{}");
    return PSY_OK;
}

static int x12_read(int argc, char **argv)
{
    struct cli_x12_input in;
    int status = cli_x12_input_open(argc, argv, &cli_cmd_x12, "read", &in);
    if (status >= 0) return status;
    cli_x12_input_close(&in); /* the file is read twice: to detect, then to read */
    size_t len = 0;
    char *data = cli_read_all(NULL, in.path, &len);
    if (!data) return CLI_FAIL;
    char err[600] = "", version[13] = "", *doc = NULL;
    psy_x12_kind kind;
    psy_x12_reader *r = psy_x12_reader_mem(data, len, 0);
    psy_status rc = psy_x12_detect(r, &kind, version, err, sizeof err);
    psy_x12_reader_free(r);
    if (!rc && kind == PSY_X12_KIND_UNKNOWN) {
        cli_error("%s: %s", in.path, err[0] ? err : "no transaction psyclaim reads");
        free(data);
        return CLI_FAIL;
    }
    if (!rc && !in.json)
        printf("%s: %s%s%s%s\n", in.path, psy_x12_kind_name(kind), version[0] ? " (" : "", version, version[0] ? ")" : "");
    if (!rc) {
        r = psy_x12_reader_mem(data, len, 0);
        rc = read_kind(kind, r, data, len, in.json, &doc, err, sizeof err);
        psy_x12_reader_free(r);
    }
    free(data);
    if (rc) {
        cli_error("%s: %s", in.path, err);
        free(doc);
        return CLI_FAIL;
    }
    if (in.json) {
        json_t *d = doc ? json_loads(doc, 0, NULL) : NULL;
        cli_print_json(json_pack("{s:s, s:s, s:o}", "kind", psy_x12_kind_name(kind), "version", version, "document",
                                 d ? d : json_object()));
    } else if (kind == PSY_X12_KIND_270) {
        printf("an eligibility request psyclaim sends (psyclaim eligibility request writes them)\n");
    }
    free(doc);
    return CLI_OK;
}

static int run_x12(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "read")) return x12_read(argc, argv);
    struct cli_x12_input in;
    int status = cli_x12_input_open(argc, argv, &cli_cmd_x12, "check", &in);
    if (status >= 0) return status;
    const char *path = in.path;
    enum { CAP = 200 };
    struct psy_x12_problem *probs = calloc(CAP, sizeof *probs);
    struct psy_x12_check_stats s;
    size_t n = 0;
    psy_x12_check(in.r, probs, CAP, &n, &s);
    cli_x12_input_close(&in);
    if (in.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n && i < CAP; i++)
            json_array_append_new(arr, json_pack("{s:I, s:s, s:s}", "segment", (json_int_t)probs[i].segment,
                                                 "segment_id", probs[i].seg_id, "message", probs[i].message));
        json_t *doc = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "interchanges", (json_int_t)s.interchanges,
                                "groups", (json_int_t)s.groups, "transactions", (json_int_t)s.transactions,
                                "segments", (json_int_t)s.segments, "claims", (json_int_t)s.claims, "lines",
                                (json_int_t)s.lines, "problem_count", (json_int_t)n, "problems", arr);
        cli_print_json(doc);
    } else {
        printf("%s: %lu interchanges, %lu groups, %lu transactions, %lu segments, %lu claims, %lu lines\n", path,
               s.interchanges, s.groups, s.transactions, s.segments, s.claims, s.lines);
        for (size_t i = 0; i < n && i < CAP; i++) {
            if (probs[i].segment) printf("segment %lu (%s)%s%s\n", probs[i].segment, probs[i].seg_id,
                                         strncmp(probs[i].message, "element ", 8) ? ": " : " ", probs[i].message);
            else printf("%s\n", probs[i].message);
        }
        if (n > CAP) printf("... and %zu more problems\n", n - CAP);
        printf("%zu problem%s\n", n, n == 1 ? "" : "s");
    }
    free(probs);
    return n ? CLI_FAIL : CLI_OK;
}

const struct cli_command cli_cmd_x12 = {
    "x12", run_x12, "check the structure of an 837P or 835 file; read any X12 file psyclaim knows",
    "usage: psyclaim x12 check [--json] [--max-bytes N] FILE\n"
    "       psyclaim x12 read [--json] FILE\n\n"
    "'read' tells which transaction FILE holds (from ST01 and GS08: 837P, 835, 999, 277CA, 277, 271, 270,\n"
    "or an interchange with only a TA1) and what it says: for a 999 each group's and set's verdict and\n"
    "every error in plain words, for a 277CA each claim's status codes in words, for an 835 the payments\n"
    "(details with 'era read'), for a 271 each answer as 'eligibility read' prints it, for an 837P the\n"
    "claims; --json prints {\"kind\", \"version\", \"document\"}.\n\n"
    "'check' "
    "Reads FILE ('-' = standard input) to its end and lists every structural problem: envelopes\n"
    "(ISA/GS/ST opened and closed in order), segment and set counts (SE01, GE01, IEA01), control numbers,\n"
    "for 837P the HL tree, LX numbering and claim totals (CLM02 = the sum of SV102), and for 835 the\n"
    "amounts and the balancing of lines, claims and the payment (BPR02).\n\n"
    "  --json          print the counts and {\"problems\": [{\"segment\", \"segment_id\", \"message\"}]}\n"
    "  --max-bytes N   refuse input larger than N bytes (default 256 MiB)\n\n"
    "Exit status 0 when no problem was found, 1 otherwise.\n",
};
