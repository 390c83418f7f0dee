/*
 * cli_ack.c -- acknowledgements and what matched nothing: `psyclaim ack post FILE` (a TA1, 999 or 277CA
 * applied to the claims sent) and `psyclaim suspense list|apply|close` (items resolved by hand).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* --- options ------------------------------------------------------------------------------------ */

struct ack_opts {
    const char *db, *claim, *reason;
    long practice;
    int json, all;
};

/* Parses the options after the action; returns 0 (usage printed) on a bad one. */
static int ack_opts_parse(int argc, char **argv, const struct cli_command *cmd, struct ack_opts *o)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},    {"practice", required_argument, NULL, 'p'},
                                         {"json", no_argument, NULL, 'j'},        {"claim", required_argument, NULL, 'c'},
                                         {"reason", required_argument, NULL, 'r'}, {"all", no_argument, NULL, 'a'},
                                         {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:p:jc:r:a", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 'p':
            if (!cli_int_arg("--practice", optarg, 1L << 40, &o->practice)) return 0;
            break;
        case 'j': o->json = 1; break;
        case 'c': o->claim = optarg; break;
        case 'r': o->reason = optarg; break;
        case 'a': o->all = 1; break;
        default: fputs(cmd->usage, stderr); return 0;
        }
    }
    return 1;
}

/* --- ack post ----------------------------------------------------------------------------------- */

static int run_ack(int argc, char **argv)
{
    struct ack_opts o;
    if (argc < 2 || strcmp(argv[1], "post")) {
        cli_error("ack: the only action is 'post' (see 'psyclaim ack --help')");
        return CLI_USAGE;
    }
    if (!ack_opts_parse(argc - 1, argv + 1, &cli_cmd_ack, &o)) return CLI_USAGE;
    if (optind != argc - 2) {
        cli_error("ack post: give one FILE (see 'psyclaim ack --help')");
        return CLI_USAGE;
    }
    const char *path = argv[optind + 1];
    size_t len = 0;
    char *data = cli_read_all(NULL, path, &len);
    if (!data) return CLI_FAIL;
    psy_id pid;
    psy_store *st = cli_open_practice(o.db, o.practice, &pid);
    if (!st) {
        free(data);
        return CLI_FAIL;
    }
    struct psy_billing_ack_result r;
    char err[600];
    const char *base = strrchr(path, '/');
    psy_status rc = psy_billing_ack_post(st, pid, base ? base + 1 : path, data, len, &r, err, sizeof err);
    free(data);
    if (rc) {
        cli_error("%s: %s", path, err[0] ? err : psy_store_errmsg(st));
        psy_store_close(st);
        return CLI_FAIL;
    }
    psy_store_close(st);
    if (o.json) {
        cli_print_json(json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I}", "kind", r.kind, "already_posted",
                                 r.already_posted, "accepted", (json_int_t)r.accepted, "rejected",
                                 (json_int_t)r.rejected, "unchanged", (json_int_t)r.unchanged, "other",
                                 (json_int_t)r.other, "suspense", (json_int_t)r.suspense, "errors",
                                 (json_int_t)r.errors));
    } else if (r.already_posted) {
        printf("%s (%s) was posted before; nothing changed\n", path, r.kind);
    } else {
        printf("%s (%s): %ld claims accepted, %ld rejected (%ld errors), %ld unchanged, %ld other statuses recorded, "
               "%ld items in suspense\n",
               path, r.kind, r.accepted, r.rejected, r.errors, r.unchanged, r.other, r.suspense);
    }
    return CLI_OK;
}

const struct cli_command cli_cmd_ack = {
    "ack", run_ack, "post a TA1, 999 or 277CA acknowledgement to the claims sent",
    "usage: psyclaim ack post [--db PATH] [--practice ID] [--json] FILE\n\n"
    "Applies an acknowledgement to the claims of the 837P batches psyclaim exported, matched by the\n"
    "control numbers and claim numbers psyclaim wrote:\n"
    "  TA1    a rejected interchange (TA101 = the batch's ISA13) rejects the batch's claims;\n"
    "  999    each transaction set response (AK102 = GS06, AK202 = ST02): IK501 A or E accepts the batch's\n"
    "         claims, R (or M, W, X) rejects them with every IK3/IK4 error in plain words;\n"
    "  277CA  each claim by TRN02 (= CLM01): A1/A2/A5 accepted, A3/A4/A6/A7/A8 rejected with the status\n"
    "         codes in words; other statuses are recorded on the claim without moving it.\n"
    "A verdict for a batch or claim the practice does not have goes to suspense ('psyclaim suspense').\n"
    "Posting the same file again changes nothing. A malformed file changes nothing and the message names\n"
    "the segment and element. A rejected claim is corrected in the records, then 'psyclaim claims rebuild\n"
    "CLAIM' makes it ready again, and the next export sends it with new control numbers.\n\n"
    "  --json   print {\"kind\", \"already_posted\", \"accepted\", \"rejected\", \"unchanged\", \"other\",\n"
    "           \"suspense\", \"errors\"}\n",
};

/* --- suspense ----------------------------------------------------------------------------------- */

static int suspense_list(psy_store *st, psy_id pid, const struct ack_opts *o)
{
    struct psy_billing_suspense *v;
    size_t n;
    if (psy_billing_suspense_list(st, pid, o->all, &v, &n)) {
        cli_error("suspense list: %s", psy_store_errmsg(st));
        return CLI_FAIL;
    }
    json_t *arr = o->json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        const struct psy_billing_suspense *x = &v[i];
        char paid[PSY_CENTS_TEXT_MAX];
        if (arr)
            json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:b, s:s, s:s}",
                                                 "id", (json_int_t)x->id, "source", x->source, "claim_number",
                                                 x->claim_number, "code", x->code, "modifiers", x->modifiers,
                                                 "charge_cents", (json_int_t)x->charge_cents, "paid_cents",
                                                 (json_int_t)x->paid_cents, "why", x->why, "segment", x->segment,
                                                 "verdict", x->verdict, "resolved", x->resolved, "resolution",
                                                 x->resolution, "posted_at", x->posted_at));
        else {
            printf("#%-5lld %-5s %-20s %s", (long long)x->id, x->source, x->claim_number[0] ? x->claim_number : "-",
                   x->why);
            if (!strcmp(x->source, "835")) printf(" (paid %s)", psy_cents_format(x->paid_cents, paid));
            if (x->segment[0]) printf(" [%s]", x->segment);
            if (x->resolved) printf(" -- %s", x->resolution);
            putchar('\n');
        }
    }
    if (arr) cli_print_json(arr);
    else printf("%zu item%s%s\n", n, n == 1 ? "" : "s", o->all ? "" : " open");
    free(v);
    return CLI_OK;
}

static int run_suspense(int argc, char **argv)
{
    struct ack_opts o;
    const char *action = argc >= 2 ? argv[1] : "";
    int list = !strcmp(action, "list"), apply = !strcmp(action, "apply"), close = !strcmp(action, "close");
    if (!list && !apply && !close) {
        cli_error("suspense: the actions are list, apply and close (see 'psyclaim suspense --help')");
        return CLI_USAGE;
    }
    if (!ack_opts_parse(argc - 1, argv + 1, &cli_cmd_suspense, &o)) return CLI_USAGE;
    long id = 0;
    if (list ? optind != argc - 1
             : optind != argc - 2 || !cli_int_arg("suspense item ID", argv[optind + 1], 1L << 40, &id)) {
        cli_error("suspense %s: %s", action, list ? "takes no argument" : "give one item ID");
        return CLI_USAGE;
    }
    if ((apply && !o.claim) || (close && !o.reason)) {
        cli_error("suspense %s: %s", action, apply ? "--claim NUMBER is required" : "--reason TEXT is required");
        return CLI_USAGE;
    }
    psy_id pid;
    psy_store *st = cli_open_practice(o.db, o.practice, &pid);
    if (!st) return CLI_FAIL;
    int status = CLI_OK;
    if (list) status = suspense_list(st, pid, &o);
    else if (apply ? psy_billing_suspense_apply(st, pid, id, o.claim) : psy_billing_suspense_close(st, pid, id, o.reason)) {
        cli_error("suspense %s %ld: %s", action, id, psy_store_errmsg(st));
        status = CLI_FAIL;
    } else if (apply) printf("suspense item %ld applied to claim %s\n", id, o.claim);
    else printf("suspense item %ld closed\n", id);
    psy_store_close(st);
    return status;
}

const struct cli_command cli_cmd_suspense = {
    "suspense", run_suspense, "list what posted files matched to no claim; apply an item to a claim or close it",
    "usage: psyclaim suspense list [--db PATH] [--practice ID] [--all] [--json]\n"
    "       psyclaim suspense apply ID --claim NUMBER [--db PATH] [--practice ID]\n"
    "       psyclaim suspense close ID --reason TEXT [--db PATH] [--practice ID]\n\n"
    "list    the open items (--all: resolved ones too), from 835 remittances (money that matched no claim\n"
    "        or line) and acknowledgements (a verdict for a batch or claim psyclaim does not know, with\n"
    "        the segment it came from).\n"
    "apply   resolves an item with the claim it belongs to: an acknowledgement's verdict is posted to the\n"
    "        claim (accepted or rejected, with its errors); an 835 item is linked to the claim.\n"
    "close   resolves an item without a claim; the reason is kept.\n",
};
