/*
 * cli_claims.c -- `psyclaim era` (read an 835 remittance) and `psyclaim x12` (check the structure of
 * any 837P or 835 file).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* Parses --max-bytes; 0 on a bad value. */
static size_t max_bytes_arg(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || !v || v > (1ULL << 40)) return 0;
    return (size_t)v;
}

/* The input of a command: "ACTION [--json] [--max-bytes N] FILE" parsed, FILE opened, a reader on it. */
struct input {
    int json;
    const char *path;
    FILE *f;
    psy_x12_reader *r;
};

/* Parses the arguments after the command name and opens the input. Returns -1 when the command should
 * go on (close with input_close), else the exit status. */
static int input_open(int argc, char **argv, const struct cli_command *cmd, const char *action, struct input *in)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"max-bytes", required_argument, NULL, 'm'},
                                         {NULL, 0, NULL, 0}};
    memset(in, 0, sizeof *in);
    if (argc < 2 || strcmp(argv[1], action)) {
        cli_error("%s: the only action is '%s' (see 'psyclaim %s --help')", cmd->name, action, cmd->name);
        return CLI_USAGE;
    }
    int o;
    size_t max = 0;
    optind = 1;
    while ((o = getopt_long(argc - 1, argv + 1, "jm:", opts, NULL)) != -1) {
        switch (o) {
        case 'j': in->json = 1; break;
        case 'm':
            if (!(max = max_bytes_arg(optarg))) {
                cli_error("--max-bytes: '%s' is not a positive number of bytes", optarg);
                return CLI_USAGE;
            }
            break;
        default: fputs(cmd->usage, stderr); return CLI_USAGE;
        }
    }
    if (optind != argc - 2) {
        cli_error("%s %s: give one FILE (see 'psyclaim %s --help')", cmd->name, action, cmd->name);
        return CLI_USAGE;
    }
    in->path = argv[optind + 1];
    in->f = !strcmp(in->path, "-") ? stdin : fopen(in->path, "rb");
    if (!in->f) {
        cli_error("%s %s: cannot read %s: %s", cmd->name, action, in->path, strerror(errno));
        return CLI_FAIL;
    }
    in->r = psy_x12_reader_file(in->f, max);
    return -1;
}

static void input_close(struct input *in)
{
    psy_x12_reader_free(in->r);
    if (in->f && in->f != stdin) fclose(in->f);
}

/* Prints a JSON document (and releases it). */
static void print_json(json_t *doc)
{
    json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(doc);
}

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
}

static psy_status on_payment(void *ud, struct psy_era_payment *p)
{
    size_t *n = ud;
    payment_text(p, ++*n);
    psy_era_payment_free(p);
    return PSY_OK;
}

static int run_era(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "post")) return cli_era_post(argc, argv);
    if (argc < 2 || strcmp(argv[1], "read")) {
        cli_error("era: the actions are 'read' and 'post' (see 'psyclaim era --help')");
        return CLI_USAGE;
    }
    struct input in;
    int status = input_open(argc, argv, &cli_cmd_era, "read", &in);
    if (status >= 0) return status;
    const char *path = in.path;
    size_t n = 0;
    char err[400], *doc = NULL;
    psy_status rc = in.json ? psy_x12_835_json(in.r, PSY_ERA_JSON_PRETTY, &doc, NULL, NULL, err, sizeof err)
                            : psy_x12_835_read(in.r, on_payment, &n, err, sizeof err);
    input_close(&in);
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
    "A malformed file stops the command with exit status 1 and a message naming the segment number\n"
    "(1 = the first segment of the file) and the element at fault; nothing is printed to standard output.\n\n"
    "'era post' records the file's payments and adjustments on the practice's claims: claims matched by\n"
    "CLP01 (the CLM01 psyclaim sent), lines by code and modifiers (also when the payer dropped a\n"
    "modifier); claims move to paid, partially_paid or denied; what matches nothing is kept as a suspense\n"
    "item. Posting the same file again changes nothing.\n",
};

/* --- x12 check -------------------------------------------------------------------------------- */

static int run_x12(int argc, char **argv)
{
    struct input in;
    int status = input_open(argc, argv, &cli_cmd_x12, "check", &in);
    if (status >= 0) return status;
    const char *path = in.path;
    enum { CAP = 200 };
    struct psy_x12_problem *probs = calloc(CAP, sizeof *probs);
    struct psy_x12_check_stats s;
    size_t n = 0;
    psy_x12_check(in.r, probs, CAP, &n, &s);
    input_close(&in);
    if (in.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n && i < CAP; i++)
            json_array_append_new(arr, json_pack("{s:I, s:s, s:s}", "segment", (json_int_t)probs[i].segment,
                                                 "segment_id", probs[i].seg_id, "message", probs[i].message));
        json_t *doc = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "interchanges", (json_int_t)s.interchanges,
                                "groups", (json_int_t)s.groups, "transactions", (json_int_t)s.transactions,
                                "segments", (json_int_t)s.segments, "claims", (json_int_t)s.claims, "lines",
                                (json_int_t)s.lines, "problem_count", (json_int_t)n, "problems", arr);
        print_json(doc);
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
    "x12", run_x12, "check the structure of an 837P or 835 file",
    "usage: psyclaim x12 check [--json] [--max-bytes N] FILE\n\n"
    "Reads FILE ('-' = standard input) to its end and lists every structural problem: envelopes\n"
    "(ISA/GS/ST opened and closed in order), segment and set counts (SE01, GE01, IEA01), control numbers,\n"
    "for 837P the HL tree, LX numbering and claim totals (CLM02 = the sum of SV102), and for 835 the\n"
    "amounts and the balancing of lines, claims and the payment (BPR02).\n\n"
    "  --json          print the counts and {\"problems\": [{\"segment\", \"segment_id\", \"message\"}]}\n"
    "  --max-bytes N   refuse input larger than N bytes (default 256 MiB)\n\n"
    "Exit status 0 when no problem was found, 1 otherwise.\n",
};
