/*
 * cli_elig.c -- `psyclaim eligibility request` (a 270 for a client's policy), `eligibility read` (a 271
 * in plain words or JSON) and `eligibility post` (its answers kept with the practice's policies).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static void dollars(json_t *v, char *out, size_t cap)
{
    char m[PSY_CENTS_TEXT_MAX];
    if (json_is_integer(v)) snprintf(out, cap, "%s", psy_cents_format(json_integer_value(v), m));
    else snprintf(out, cap, "not stated");
}

static void percent(json_t *v, char *out, size_t cap)
{
    if (json_is_integer(v)) {
        long long bp = json_integer_value(v);
        snprintf(out, cap, "%lld.%02lld%%", bp / 100, bp % 100);
    } else {
        snprintf(out, cap, "not stated");
    }
}

static void count(json_t *v, char *out, size_t cap)
{
    if (json_is_integer(v)) snprintf(out, cap, "%lld", (long long)json_integer_value(v));
    else snprintf(out, cap, "not stated");
}

/* One answer for the front desk. */
static void answer_text(json_t *a, size_t k)
{
    json_t *s = json_object_get(a, "summary");
    const char *as_of = json_string_value(json_object_get(a, "as_of"));
    printf("answer %zu: %s, member %s%s%s, on %s: coverage %s\n", k, json_string_value(json_object_get(a, "payer")),
           json_string_value(json_object_get(a, "member_id")), json_is_true(json_object_get(a, "dependent")) ? " (dependent)" : "",
           "", as_of ? as_of : "(no date)", json_string_value(json_object_get(s, "status")));
    static const struct {
        const char *label, *key;
        char kind; /* $ dollars, % percent, # count */
    } rows[] = {
        {"copay in network", "copay_in_cents", '$'},          {"copay out of network", "copay_out_cents", '$'},
        {"coinsurance in network", "coinsurance_in_bp", '%'}, {"coinsurance out of network", "coinsurance_out_bp", '%'},
        {"deductible in network", "deductible_in_cents", '$'}, {"  remaining", "deductible_in_left_cents", '$'},
        {"deductible out of network", "deductible_out_cents", '$'}, {"  remaining", "deductible_out_left_cents", '$'},
        {"out of pocket in network", "oop_in_cents", '$'},    {"  remaining", "oop_in_left_cents", '$'},
        {"visits allowed", "visits_allowed", '#'},            {"visits used", "visits_used", '#'},
        {"visits remaining", "visits_left", '#'},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        json_t *v = json_object_get(s, rows[i].key);
        if (json_is_null(v)) continue;
        char t[64];
        if (rows[i].kind == '$') dollars(v, t, sizeof t);
        else if (rows[i].kind == '%') percent(v, t, sizeof t);
        else count(v, t, sizeof t);
        printf("  %-28s %s\n", rows[i].label, t);
    }
    json_t *auth = json_object_get(s, "auth_required");
    if (!json_is_null(auth)) printf("  %-28s %s\n", "prior authorisation", json_is_true(auth) ? "required" : "not required");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(a, "rejections"), i, x)
    {
        const char *why = json_string_value(json_object_get(x, "reason_text"));
        const char *act = json_string_value(json_object_get(x, "action_text"));
        printf("  rejected (%s, segment %lld): %s %s%s%s\n", json_string_value(json_object_get(x, "where")),
               (long long)json_integer_value(json_object_get(x, "segment")),
               json_string_value(json_object_get(x, "reason")), why ? why : "(code not known)", act ? "; " : "",
               act ? act : "");
    }
}

void cli_elig_print(const char *doc)
{
    json_t *j = json_loads(doc, 0, NULL), *a;
    size_t i;
    json_array_foreach(json_object_get(j, "answers"), i, a) answer_text(a, i + 1);
    json_decref(j);
}

static int elig_read(int argc, char **argv)
{
    struct cli_bopts b;
    if (!cli_bopts_parse(argc - 1, argv + 1, &cli_cmd_eligibility, &b)) return CLI_USAGE;
    if (optind != argc - 2) {
        cli_error("eligibility read: give one FILE (see 'psyclaim eligibility --help')");
        return CLI_USAGE;
    }
    const char *path = argv[optind + 1];
    size_t len, n = 0;
    char *data = cli_read_all("eligibility read", path, &len), err[400], *doc = NULL;
    if (!data) return CLI_FAIL;
    psy_status rc = psy_billing_eligibility_read(data, len, &doc, &n, err, sizeof err);
    free(data);
    if (rc) {
        cli_error("%s: %s", path, err);
        return CLI_FAIL;
    }
    if (b.json) puts(doc);
    else cli_elig_print(doc);
    free(doc);
    return CLI_OK;
}

static int elig_post(int argc, char **argv)
{
    struct cli_bopts b;
    if (!cli_bopts_parse(argc - 1, argv + 1, &cli_cmd_eligibility, &b)) return CLI_USAGE;
    if (optind != argc - 2) {
        cli_error("eligibility post: give one FILE (see 'psyclaim eligibility --help')");
        return CLI_USAGE;
    }
    const char *path = argv[optind + 1];
    size_t len;
    char *data = cli_read_all("eligibility post", path, &len), err[400];
    if (!data) return CLI_FAIL;
    psy_id pid;
    psy_store *st = cli_open_practice(b.db, b.practice, &pid);
    if (!st) {
        free(data);
        return CLI_FAIL;
    }
    struct psy_billing_elig_result r;
    const char *base = strrchr(path, '/');
    psy_status rc = psy_billing_eligibility_post(st, pid, base ? base + 1 : path, data, len, &r, err, sizeof err);
    free(data);
    psy_store_close(st);
    if (rc) {
        cli_error("%s: %s", path, err);
        return CLI_FAIL;
    }
    if (b.json)
        cli_print_json(json_pack("{s:I, s:I, s:I, s:I}", "answers", (json_int_t)r.answers, "stored",
                                 (json_int_t)r.stored, "seen_before", (json_int_t)r.seen_before, "unmatched",
                                 (json_int_t)r.unmatched));
    else
        printf("%ld answers: %ld kept with their policy, %ld kept before (unchanged), %ld matched no policy\n",
               r.answers, r.stored, r.seen_before, r.unmatched);
    return CLI_OK;
}

static int elig_request(int argc, char **argv)
{
    struct cli_bopts b;
    if (!cli_bopts_parse(argc - 1, argv + 1, &cli_cmd_eligibility, &b)) return CLI_USAGE;
    if (optind != argc - 2) {
        cli_error("eligibility request: give one CLIENT id (see 'psyclaim eligibility --help')");
        return CLI_USAGE;
    }
    long client, policy = 0;
    if (!cli_int_arg("CLIENT", argv[optind + 1], 1L << 40, &client) ||
        (b.policy && !cli_int_arg("--policy", b.policy, 1L << 40, &policy)))
        return CLI_USAGE;
    psy_id pid;
    psy_store *st = cli_open_practice(b.db, b.practice, &pid);
    if (!st) return CLI_FAIL;
    char *out = NULL, err[400];
    size_t len;
    psy_status rc = psy_billing_eligibility_request(st, pid, client, policy, b.date, &out, &len, err, sizeof err);
    psy_store_close(st);
    if (rc) {
        cli_error("eligibility request: %s", err[0] ? err : psy_strerror(rc));
        return CLI_FAIL;
    }
    int ok = b.out ? cli_write_file(b.out, out, len) : fwrite(out, 1, len, stdout) == len;
    free(out);
    return ok ? CLI_OK : CLI_FAIL;
}

static int run_eligibility(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "request")) return elig_request(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "read")) return elig_read(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "post")) return elig_post(argc, argv);
    cli_error("eligibility: the actions are 'request', 'read' and 'post' (see 'psyclaim eligibility --help')");
    return CLI_USAGE;
}

const struct cli_command cli_cmd_eligibility = {
    "eligibility", run_eligibility, "ask a payer about a client's coverage (270) and read its answer (271)",
    "usage: psyclaim eligibility request [--db PATH] [--practice ID] [--date YYYY-MM-DD] [--policy ID]\n"
    "                                    [--out FILE] CLIENT\n"
    "       psyclaim eligibility read [--json] FILE\n"
    "       psyclaim eligibility post [--db PATH] [--practice ID] [--json] FILE\n\n"
    "'request' writes a 270 (005010X279A1) for the client's policy (--policy, else the primary policy in\n"
    "force on the date; --date defaults to today) asking about service types 30 (plan coverage), MH\n"
    "(mental health), A6 (psychotherapy) and A8 (psychiatric outpatient); control numbers come from the\n"
    "practice's counters. Standard output unless --out.\n\n"
    "'read' prints what a 271 says for the front desk: coverage active or inactive on the date asked\n"
    "about, copay, coinsurance, deductible and out of pocket (and what remains) in and out of network,\n"
    "visits allowed, used and remaining, prior authorisation, and every AAA rejection in plain words.\n"
    "  --json   print {\"answers\": [{\"trace\", \"payer\", \"member_id\", \"as_of\", \"summary\", \"benefits\",\n"
    "           \"rejections\", ...}]}\n\n"
    "'post' keeps each answer with the policy it answers (the trace psyclaim wrote, else the member id);\n"
    "the audit (R-ELIG-1, R-ELIG-2) and the claims scrubber use it. Reading the same file again changes\n"
    "nothing. A malformed file changes nothing and the message names the segment and element.\n",
};
