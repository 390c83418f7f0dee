/*
 * cli_era.c -- `psyclaim era read` (an 835 remittance as text or JSON) and `psyclaim era post` (its
 * payments recorded on the practice's claims).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static void money(long long cents, char *out, size_t cap)
{
    unsigned long long v = cents < 0 ? 0ULL - (unsigned long long)cents : (unsigned long long)cents;
    snprintf(out, cap, "%s%llu.%02llu", cents < 0 ? "-" : "", v / 100, v % 100);
}

/* --- era read -------------------------------------------------------------------------------- */

static void print_adjustments(const char *indent, const struct psy_era_adjustment *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char m[32];
        money(a[i].amount_cents, m, sizeof m);
        const char *why = psy_x12_describe(PSY_X12_TEXT_REASON, a[i].reason);
        printf("%sadjustment %-2s %-5s %12s%s%s\n", indent, a[i].group, a[i].reason, m, why ? "  " : "", why ? why : "");
    }
}

static void payment_text(const struct psy_era_payment *p, size_t k)
{
    char m[32], b[32], q[32];
    money(p->paid_cents, m, sizeof m);
    printf("payment %zu: %s, check/EFT %s, %s %s%s%s\n", k, p->payer_name[0] ? p->payer_name : "(payer not named)",
           p->check_number, m, p->method, p->payment_date[0] ? " on " : "", p->payment_date);
    for (size_t i = 0; i < p->n_claims; i++) {
        const struct psy_era_claim *c = &p->claims[i];
        money(c->charge_cents, b, sizeof b);
        money(c->paid_cents, m, sizeof m);
        money(c->patient_responsibility_cents, q, sizeof q);
        printf("  claim %-20s status %-2s billed %10s paid %10s patient %10s\n", c->claim_id, c->status, b, m, q);
        print_adjustments("    ", c->adjustments, c->n_adjustments);
        for (size_t j = 0; j < c->n_services; j++) {
            const struct psy_era_service *v = &c->services[j];
            char code[80];
            snprintf(code, sizeof code, "%s", v->code);
            for (int x = 0; x < PSY_CLAIM_MAX_MODS && v->modifiers[x][0]; x++) {
                size_t len = strlen(code);
                snprintf(code + len, sizeof code - len, ":%s", v->modifiers[x]);
            }
            money(v->charge_cents, b, sizeof b);
            money(v->paid_cents, m, sizeof m);
            printf("    line %-14s %8s billed %10s paid %10s units %s\n", code, v->date, b, m, v->units);
            print_adjustments("      ", v->adjustments, v->n_adjustments);
        }
    }
    for (size_t i = 0; i < p->n_provider_adjustments; i++) {
        const struct psy_era_provider_adjustment *a = &p->provider_adjustments[i];
        money(a->amount_cents, m, sizeof m);
        printf("  provider adjustment %-2s %-20s %12s\n", a->reason, a->reference, m);
    }
    static const char *const kinds[] = {"warning (left empty)", "claim not understood (suspense)",
                                        "line not understood (suspense)", "not understood (suspense)"};
    for (size_t i = 0; i < p->n_defects; i++) printf("  %s: %s\n", kinds[p->defects[i].kind], p->defects[i].message);
}

static psy_status on_payment(void *ud, struct psy_era_payment *p)
{
    size_t *n = ud;
    payment_text(p, ++*n);
    psy_era_payment_free(p);
    return PSY_OK;
}

/* --- era post ------------------------------------------------------------------------------------ */

static int era_post(int argc, char **argv)
{
    struct cli_bopts b;
    if (!cli_bopts_parse(argc - 1, argv + 1, &cli_cmd_era, &b)) return CLI_USAGE;
    if (optind != argc - 2) {
        cli_error("era post: give one FILE (see 'psyclaim era --help')");
        return CLI_USAGE;
    }
    const char *path = argv[optind + 1];
    size_t len;
    char *data = cli_read_all("era post", path, &len);
    if (!data) return CLI_FAIL;
    psy_id pid;
    psy_store *st = cli_open_practice(b.db, b.practice, &pid);
    if (!st) {
        free(data);
        return CLI_FAIL;
    }
    struct psy_billing_post_result r;
    char err[400];
    const char *base = strrchr(path, '/');
    psy_status rc = psy_billing_era_post_named(st, pid, base ? base + 1 : path, data, len, &r, err, sizeof err);
    free(data);
    if (rc) {
        cli_error("%s: %s", path, err[0] ? err : psy_store_errmsg(st));
        psy_store_close(st);
        return CLI_FAIL;
    }
    psy_store_close(st);
    char paid[PSY_CENTS_TEXT_MAX];
    if (b.json) {
        json_t *o = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "already_posted",
                              r.already_posted, "payments", (json_int_t)r.payments, "payments_seen_before",
                              (json_int_t)r.payments_seen_before, "claims", (json_int_t)r.claims, "lines",
                              (json_int_t)r.lines, "suspense", (json_int_t)r.suspense, "denied", (json_int_t)r.denied,
                              "unbalanced", (json_int_t)r.unbalanced, "overpaid", (json_int_t)r.overpaid, "reversals",
                              (json_int_t)r.reversals, "paid_cents", (json_int_t)r.paid_cents);
        json_object_set_new(o, "next_claims", json_integer(r.next_claims));
        json_object_set_new(o, "next_held", json_integer(r.next_held));
        json_object_set_new(o, "next_to_replace", json_integer(r.next_to_replace));
        json_object_set_new(o, "warnings", json_integer(r.warnings));
        if (r.earlier_file)
            json_object_set_new(o, "earlier_file", json_pack("{s:I, s:s, s:s}", "id", (json_int_t)r.earlier_file, "name",
                                                             r.earlier_name, "posted_at", r.earlier_posted_at));
        cli_print_json(o);
    } else if (r.already_posted) {
        printf("%s was posted before, from file #%lld %s(%s); nothing changed\n", path, (long long)r.earlier_file,
               r.earlier_name[0] ? r.earlier_name : "", r.earlier_posted_at);
    } else {
        printf("%ld claims and %ld lines posted, %s paid; %ld denied, %ld unbalanced, %ld overpaid, %ld reversed, "
               "%ld items in suspense\n",
               r.claims, r.lines, psy_cents_format(r.paid_cents, paid), r.denied, r.unbalanced, r.overpaid, r.reversals,
               r.suspense);
        if (r.next_claims)
            printf("%ld claim%s for the next payer (secondary or tertiary) built or kept for a crossover\n",
                   r.next_claims, r.next_claims == 1 ? "" : "s");
        if (r.next_held)
            printf("%ld claim%s for the next payer held in draft: the payment %s on was reversed\n", r.next_held,
                   r.next_held == 1 ? "" : "s", r.next_held == 1 ? "it rests" : "they rest");
        if (r.next_to_replace)
            printf("%ld claim%s already sent to the next payer need%s a replacement (claims correct): see %s history\n",
                   r.next_to_replace, r.next_to_replace == 1 ? "" : "s", r.next_to_replace == 1 ? "s" : "",
                   r.next_to_replace == 1 ? "its" : "their");
        if (r.warnings)
            printf("%ld defects in fields posting does not need were left empty; the first: %s\n", r.warnings,
                   r.first_warning);
        if (r.payments_seen_before)
            printf("%ld payments of the file were posted before, from file #%lld %s(%s), and were skipped\n",
                   r.payments_seen_before, (long long)r.earlier_file, r.earlier_name, r.earlier_posted_at);
    }
    return CLI_OK;
}

static int run_era(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "post")) return era_post(argc, argv);
    if (argc < 2 || strcmp(argv[1], "read")) {
        cli_error("era: the actions are 'read' and 'post' (see 'psyclaim era --help')");
        return CLI_USAGE;
    }
    struct cli_x12_input in;
    int status = cli_x12_input_open(argc, argv, &cli_cmd_era, "read", &in);
    if (status >= 0) return status;
    const char *path = in.path;
    size_t n = 0;
    char err[400], *doc = NULL;
    psy_status rc = in.json ? psy_x12_835_json(in.r, PSY_ERA_JSON_PRETTY | PSY_ERA_JSON_LENIENT, &doc, NULL, NULL, err,
                                               sizeof err)
                            : psy_x12_835_read_lenient(in.r, on_payment, &n, err, sizeof err);
    cli_x12_input_close(&in);
    if (rc) {
        cli_error("%s: %s", path, err);
        return CLI_FAIL;
    }
    if (doc) {
        puts(doc);
        free(doc);
    } else if (!n) {
        printf("no 835 transactions in %s\n", path);
    }
    return CLI_OK;
}

const struct cli_command cli_cmd_era = {
    "era", run_era, "read an 835 remittance (what the payer paid and why)",
    "usage: psyclaim era read [--json] [--max-bytes N] FILE\n"
    "       psyclaim era post [--db PATH] [--practice ID] [--json] FILE\n\n"
    "Reads every 835 (005010X221A1) payment in FILE ('-' = standard input): several interchanges and\n"
    "transactions per file, any delimiters the ISA declares, segments ended by '~' or by line breaks.\n"
    "Amounts are exact integer cents.\n\n"
    "  --json          print {\"payments\": [{\"payer\", \"check_number\", \"paid_cents\", \"claims\": [{\"claim_id\",\n"
    "                  \"status\", \"charge_cents\", \"paid_cents\", \"patient_responsibility_cents\",\n"
    "                  \"adjustments\": [{\"group\", \"reason\", \"amount_cents\"}], \"services\": [{\"code\",\n"
    "                  \"modifiers\", \"charge_cents\", \"paid_cents\", \"allowed_cents\", \"units\", \"date\",\n"
    "                  \"line_control\", \"adjustments\", \"remarks\"}]}], \"provider_adjustments\": [{\"provider_id\",\n"
    "                  \"reason\", \"reference\", \"amount_cents\"}]}]}\n"
    "  --max-bytes N   refuse input larger than N bytes (default 256 MiB)\n\n"
    "Payers' files are read leniently: a claim or service line that cannot be understood is shown (and\n"
    "posted to suspense) with its segment and element, a defect in a field posting does not need is a\n"
    "warning. Only envelopes that cannot be parsed, or a payment without its BPR02 amount or TRN02 trace\n"
    "number, stop the command with exit status 1 and a message naming the segment number (1 = the first\n"
    "segment of the file) and the element; 'psyclaim x12 check' reports every defect strictly.\n\n"
    "'era post' records the file's payments and adjustments on the practice's claims: claims matched by\n"
    "CLP01 (the CLM01 psyclaim sent), lines by code and modifiers (also when the payer dropped a\n"
    "modifier); claims move to paid, partially_paid or denied; what matches nothing is kept as a suspense\n"
    "item. Posting the same file again changes nothing.\n",
};
