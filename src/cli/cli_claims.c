/*
 * cli_claims.c -- billing from the practice's records: `psyclaim claims build|scrub|list|export|timely|correct|void|batch`,
 * `psyclaim cms1500 CLAIM` and `psyclaim superbill CLIENT --month YYYY-MM` (`era post` is in cli_era.c).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* --- claims ------------------------------------------------------------------------------------- */

static int claims_build(psy_store *st, psy_id pid, const struct cli_bopts *b)
{
    if ((b->from && !psy_records_date_valid(b->from)) || (b->to && !psy_records_date_valid(b->to))) {
        cli_error("%s: a date YYYY-MM-DD", b->from && !psy_records_date_valid(b->from) ? "--from" : "--to");
        return CLI_USAGE;
    }
    if (b->phone && psy_billing_set_contact(st, pid, b->phone)) {
        cli_error("--%s", psy_store_errmsg(st));
        return CLI_USAGE;
    }
    psy_coder *cx = NULL;
    char err[300];
    if (psy_coding_open(st, &cx, err, sizeof err)) {
        cli_error("%s", err);
        return CLI_FAIL;
    }
    struct psy_billing_build_result r;
    cli_progress_on(st);
    psy_status rc = psy_billing_build(st, cx, pid, b->from, b->to, &r);
    psy_coding_close(cx);
    if (rc) {
        cli_error("%s", psy_store_errmsg(st));
        return CLI_FAIL;
    }
    if (b->json) {
        cli_print_json(json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "resumed", (json_int_t)r.resumed, "sessions", (json_int_t)r.sessions,
                             "members", (json_int_t)r.members, "already_billed", (json_int_t)r.already_billed,
                             "uninsured", (json_int_t)r.uninsured, "not_coded", (json_int_t)r.not_coded, "lines",
                             (json_int_t)r.lines, "claims_new", (json_int_t)r.claims_new, "ready", (json_int_t)r.ready,
                             "draft", (json_int_t)r.draft));
    } else {
        printf("%ld signed sessions, %ld billable members (%ld already billed, %ld without insurance, %ld not codable)\n",
               r.sessions, r.members, r.already_billed, r.uninsured, r.not_coded);
        if (r.resumed)
            printf("%ld drafts an interrupted build left unchecked were scrubbed\n", r.resumed);
        printf("%ld lines added, %ld new claims; %ld ready, %ld draft with findings\n", r.lines, r.claims_new, r.ready,
               r.draft);
    }
    return CLI_OK;
}

static int claims_scrub(psy_store *st, psy_id pid, const struct cli_bopts *b)
{
    long ready, draft;
    if (b->phone && psy_billing_set_contact(st, pid, b->phone)) {
        cli_error("%s", psy_store_errmsg(st));
        return CLI_USAGE;
    }
    cli_progress_on(st);
    if (psy_billing_scrub_all(st, pid, &ready, &draft)) {
        cli_error("claims scrub: %s", psy_store_errmsg(st));
        return CLI_FAIL;
    }
    if (b->json) cli_print_json(json_pack("{s:I, s:I}", "ready", (json_int_t)ready, "draft", (json_int_t)draft));
    else printf("%ld claims scrubbed: %ld ready, %ld draft with findings\n", ready + draft, ready, draft);
    return CLI_OK;
}

static int claims_list(psy_store *st, psy_id pid, const struct cli_bopts *b)
{
    psy_claim_state unused;
    if (b->status && psy_claim_state_parse(b->status, &unused)) {
        cli_error("--status: '%s' is not a claim state (draft, ready, submitted, accepted, rejected, paid, "
                  "denied, partially_paid, closed)", b->status);
        return CLI_USAGE;
    }
    struct psy_billing_claim *c;
    size_t n;
    if (psy_billing_claim_list(st, pid, b->status, &c, &n)) {
        cli_error("%s", psy_store_errmsg(st));
        return CLI_FAIL;
    }
    if (b->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *f = json_loads(c[i].findings, 0, NULL);
            json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:i, s:I, s:I, s:o}", "claim", c[i].number,
                                  "client_id", (json_int_t)c[i].client_id, "payer", c[i].payer_code, "service_date",
                                  c[i].service_date, "status", c[i].status, "lines", c[i].n_lines, "total_cents",
                                  (json_int_t)c[i].total_cents, "paid_cents", (json_int_t)c[i].paid_cents, "findings",
                                  f ? f : json_array());
            json_object_set_new(o, "timely_limit_days", json_integer(c[i].timely_limit));
            json_object_set_new(o, "timely_days_left", c[i].timely_limit ? json_integer(c[i].timely_days_left) : json_null());
            json_array_append_new(arr, o);
        }
        cli_print_json(json_pack("{s:o}", "claims", arr));
    } else {
        for (size_t i = 0; i < n; i++) {
            json_t *f = json_loads(c[i].findings, 0, NULL);
            char left[32] = "";
            if (c[i].timely_limit && (!strcmp(c[i].status, "draft") || !strcmp(c[i].status, "ready") ||
                                      !strcmp(c[i].status, "rejected")))
                snprintf(left, sizeof left, "  %d days left to file", c[i].timely_days_left);
            printf("%-12s %s client %-6lld %-12s %-15s %2d lines %10lld.%02lld paid %10lld.%02lld %zu findings%s\n",
                   c[i].number, c[i].service_date, (long long)c[i].client_id, c[i].payer_code, c[i].status,
                   c[i].n_lines, c[i].total_cents / 100, c[i].total_cents % 100, c[i].paid_cents / 100,
                   llabs(c[i].paid_cents % 100), json_array_size(f), left);
            json_decref(f);
        }
        printf("%zu claim%s\n", n, n == 1 ? "" : "s");
    }
    psy_billing_claims_free(c, n);
    return CLI_OK;
}

static int claims_export(psy_store *st, psy_id pid, const struct cli_bopts *b)
{
    if (!b->payer || !b->out) {
        cli_error("claims export: give --payer ID (the payer's electronic id or record id) and --out FILE");
        return CLI_USAGE;
    }
    char *end, *doc = NULL, err[400];
    long long pay = strtoll(b->payer, &end, 10);
    if (*end || pay < 0) pay = 0;
    size_t len = 0, n = 0;
    psy_id batch = 0;
    if (b->force_late != (b->reason != NULL) || (b->reason && !*b->reason)) {
        cli_error("claims export: --force-late goes with --reason TEXT (why the payer will take a late claim)");
        return CLI_USAGE;
    }
    if (psy_billing_export_late(st, pid, (psy_id)pay, b->payer, b->force_late ? b->reason : NULL, &doc, &len, &n,
                                &batch, err, sizeof err)) {
        cli_error("claims export: %s", err[0] ? err : psy_store_errmsg(st));
        return CLI_FAIL;
    }
    free(doc);
    if (!n) {
        printf("no ready claims for payer %s\n", b->payer);
        return CLI_OK;
    }
    /* the claims are submitted and the batch is stored: the file is written from that stored copy */
    if (psy_billing_batch_write(st, pid, batch, b->out, err, sizeof err)) {
        cli_error("claims export: %s; the %zu claims are submitted in batch %lld, kept in the database: get it with "
                  "'psyclaim claims batch get %lld --out FILE'", err, n, (long long)batch, (long long)batch);
        return CLI_FAIL;
    }
    printf("%zu claims written to %s (%zu bytes, batch %lld); they are now submitted\n", n, b->out, len, (long long)batch);
    return CLI_OK;
}

static int claims_replace(psy_store *st, psy_id pid, const struct cli_bopts *b, const char *action,
                          const char *number)
{
    psy_id id = 0, made = 0;
    char err[400];
    if (psy_billing_claim_find(st, pid, number, &id)) {
        cli_error("claims %s: no claim numbered %s", action, number);
        return CLI_USAGE;
    }
    int freq = !strcmp(action, "void") ? PSY_FREQ_VOID : PSY_FREQ_REPLACEMENT;
    if (psy_billing_claim_replace(st, pid, id, freq, &made, err, sizeof err)) {
        cli_error("claims %s: %s", action, err);
        return CLI_FAIL;
    }
    struct psy_billing_claim *c = NULL;
    size_t n = 0;
    char made_number[PSY_CLAIM_ID_MAX + 1] = "", status[16] = "";
    if (!psy_billing_claim_list(st, pid, NULL, &c, &n))
        for (size_t i = 0; i < n; i++)
            if (c[i].id == made) {
                snprintf(made_number, sizeof made_number, "%s", c[i].number);
                snprintf(status, sizeof status, "%s", c[i].status);
            }
    psy_billing_claims_free(c, n);
    if (b->json)
        cli_print_json(json_pack("{s:s, s:s, s:i, s:s}", "claim", made_number, "replaces", number, "frequency", freq,
                                 "status", status));
    else
        printf("claim %s (%s, frequency %d) written for claim %s; it is %s and goes out with the next export\n",
               made_number, freq == PSY_FREQ_VOID ? "void" : "replacement", freq, number, status);
    return CLI_OK;
}

static int claims_timely(psy_store *st, psy_id pid, const struct cli_bopts *b)
{
    struct psy_billing_timely *t;
    size_t n;
    if (psy_billing_timely(st, pid, (int)b->within, NULL, &t, &n)) {
        cli_error("claims timely: %s", psy_store_errmsg(st));
        return CLI_FAIL;
    }
    json_t *arr = b->json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        if (arr)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:i}", "claim", t[i].number, "payer",
                                                 t[i].payer_code, "service_date", t[i].service_date, "status",
                                                 t[i].status, "limit_days", t[i].limit_days, "deadline", t[i].deadline,
                                                 "days_left", t[i].days_left));
        else if (t[i].days_left < 0)
            printf("%-12s %-12s %s %-9s limit %4d days, last day %s: past the limit by %d days\n", t[i].number,
                   t[i].payer_code, t[i].service_date, t[i].status, t[i].limit_days, t[i].deadline, -t[i].days_left);
        else
            printf("%-12s %-12s %s %-9s limit %4d days, last day %s: %d days left\n", t[i].number,
                   t[i].payer_code, t[i].service_date, t[i].status, t[i].limit_days, t[i].deadline, t[i].days_left);
    }
    if (arr) cli_print_json(json_pack("{s:o}", "claims", arr));
    else printf("%zu claim%s not yet sent%s\n", n, n == 1 ? "" : "s", b->within >= 0 ? " within the window" : "");
    free(t);
    return CLI_OK;
}

static int claims_batch(psy_store *st, psy_id pid, const struct cli_bopts *b, const char *verb, const char *id_arg)
{
    if (!strcmp(verb, "list")) {
        struct psy_billing_batch *v;
        size_t n;
        if (psy_billing_batch_list(st, pid, &v, &n)) {
            cli_error("claims batch list: %s", psy_store_errmsg(st));
            return CLI_FAIL;
        }
        json_t *arr = b->json ? json_array() : NULL;
        for (size_t i = 0; i < n; i++) {
            if (arr)
                json_array_append_new(arr, json_pack("{s:I, s:s, s:I, s:I, s:s, s:I, s:I, s:s, s:s, s:s}", "id",
                                                     (json_int_t)v[i].id, "payer", v[i].payer_code, "isa13",
                                                     (json_int_t)v[i].isa13, "gs06", (json_int_t)v[i].gs06, "st02",
                                                     v[i].st02, "claims", (json_int_t)v[i].n_claims, "bytes",
                                                     (json_int_t)v[i].bytes, "created_at", v[i].created_at,
                                                     "written_to", v[i].written_to, "written_at", v[i].written_at));
            else
                printf("%-6lld %-12s ISA13 %09lu  %4ld claims  %8zu bytes  %s  %s\n", (long long)v[i].id,
                       v[i].payer_code, v[i].isa13, v[i].n_claims, v[i].bytes, v[i].created_at,
                       v[i].written_at[0] ? v[i].written_to : "(never written to a file)");
        }
        if (arr) cli_print_json(arr);
        else printf("%zu batch%s\n", n, n == 1 ? "" : "es");
        free(v);
        return CLI_OK;
    }
    long id = 0;
    if (strcmp(verb, "get") || !id_arg || !cli_int_arg("batch ID", id_arg, 1L << 40, &id)) {
        if (strcmp(verb, "get") || !id_arg) cli_error("claims batch: give 'list' or 'get ID [--out FILE]'");
        return CLI_USAGE;
    }
    char err[400];
    if (b->out) {
        if (psy_billing_batch_write(st, pid, id, b->out, err, sizeof err)) {
            cli_error("claims batch get: %s", err);
            return CLI_FAIL;
        }
        printf("batch %ld written to %s\n", id, b->out);
        return CLI_OK;
    }
    char *doc;
    size_t len;
    if (psy_billing_batch_get(st, pid, id, &doc, &len)) {
        cli_error("claims batch get: %s", psy_store_errmsg(st));
        return CLI_FAIL;
    }
    fwrite(doc, 1, len, stdout);
    free(doc);
    return CLI_OK;
}

/* A rejected claim, corrected in the records, made ready to be sent again. */
static int claims_rebuild(psy_store *st, psy_id pid, const char *number)
{
    psy_id id;
    if (psy_billing_claim_find(st, pid, number, &id) || psy_billing_claim_rebuild(st, pid, id, NULL)) {
        cli_error("claims rebuild: %s", psy_store_errmsg(st));
        return CLI_FAIL;
    }
    struct psy_billing_claim *c = NULL;
    size_t n = 0;
    int ready = 0;
    if (!psy_billing_claim_list(st, pid, "ready", &c, &n))
        for (size_t i = 0; i < n; i++) ready |= c[i].id == id;
    psy_billing_claims_free(c, n);
    printf("claim %s is %s\n", number,
           ready ? "ready: the next export sends it with new control numbers"
                 : "draft: its findings say what is still to correct (psyclaim claims list --status draft --json)");
    return CLI_OK;
}

static int run_claims(int argc, char **argv)
{
    struct cli_bopts b;
    if (!cli_bopts_parse(argc, argv, &cli_cmd_claims, &b)) return CLI_USAGE;
    int batch = optind < argc && !strcmp(argv[optind], "batch");
    int rebuild = optind < argc && !strcmp(argv[optind], "rebuild");
    if (rebuild) {
        if (optind != argc - 2) {
            cli_error("claims rebuild: give one CLAIM number");
            return CLI_USAGE;
        }
        psy_id pid;
        psy_store *st = cli_open_practice(b.db, b.practice, &pid);
        if (!st) return CLI_FAIL;
        int rc = claims_rebuild(st, pid, argv[optind + 1]);
        psy_store_close(st);
        return rc;
    }
    int one = optind < argc && (!strcmp(argv[optind], "correct") || !strcmp(argv[optind], "void") ||
                                !strcmp(argv[optind], "rebuild"));
    if (batch ? optind + 2 > argc || optind + 3 < argc : one ? optind + 2 != argc : optind != argc - 1) {
        cli_error(one ? "claims %s: give one CLAIM number"
                      : "claims: give one action, build, scrub, list, export, timely, correct, void, rebuild or batch (see "
                        "'psyclaim claims --help')",
                  optind < argc ? argv[optind] : "");
        return CLI_USAGE;
    }
    const char *action = argv[optind];
    if (strcmp(action, "build") && strcmp(action, "scrub") && strcmp(action, "list") && strcmp(action, "export") &&
        strcmp(action, "timely") && !batch && !one) {
        cli_error("claims: unknown action '%s' (build, scrub, list, export, timely, correct, void, rebuild, batch)",
                  action);
        return CLI_USAGE;
    }
    psy_id pid;
    psy_store *st = cli_open_practice(b.db, b.practice, &pid);
    if (!st) return CLI_FAIL;
    int rc = batch                      ? claims_batch(st, pid, &b, argv[optind + 1], optind + 2 < argc ? argv[optind + 2] : NULL)
             : !strcmp(action, "build") ? claims_build(st, pid, &b)
             : !strcmp(action, "scrub") ? claims_scrub(st, pid, &b)
             : one && !strcmp(action, "rebuild") ? claims_rebuild(st, pid, argv[optind + 1])
             : one                      ? claims_replace(st, pid, &b, action, argv[optind + 1])
             : !strcmp(action, "timely") ? claims_timely(st, pid, &b)
             : !strcmp(action, "list") ? claims_list(st, pid, &b)
                                       : claims_export(st, pid, &b);
    psy_store_close(st);
    return rc;
}

const struct cli_command cli_cmd_claims = {
    "claims", run_claims, "build claims from signed sessions, scrub, list them, export an 837P batch",
    "usage: psyclaim claims build [--db PATH] [--practice ID] [--from DATE] [--to DATE] [--phone DIGITS] [--json]\n"
    "       psyclaim claims scrub [--db PATH] [--practice ID] [--phone DIGITS] [--json]\n"
    "       psyclaim claims list [--db PATH] [--practice ID] [--status STATE] [--json]\n"
    "       psyclaim claims export [--db PATH] [--practice ID] --payer ID --out FILE.837 [--force-late --reason TEXT]\n"
    "       psyclaim claims timely [--db PATH] [--practice ID] [--within DAYS] [--json]\n"
    "       psyclaim claims correct|void CLAIM [--db PATH] [--practice ID] [--json]\n"
    "       psyclaim claims batch list [--db PATH] [--practice ID] [--json]\n"
    "       psyclaim claims batch get ID [--db PATH] [--practice ID] [--out FILE.837]\n"
    "       psyclaim claims rebuild CLAIM [--db PATH] [--practice ID]\n\n"
    "build    codes every billable member of the signed sessions in the period (each present group\n"
    "         member on their own primary insurance, under the payer's profile) and puts the lines on one\n"
    "         claim per client, payer, clinician and date of service. A member already on a claim is not\n"
    "         billed again. The scrubber then checks each claim it touched (coding findings, the audit's\n"
    "         findings for its sessions, the 837P rules): no error makes it ready, else it stays draft.\n"
    "scrub    checks every draft and ready claim again, after the records were corrected (an address,\n"
    "         a plan, a missing time): drafts with no error left become ready, and the reverse.\n"
    "list     the claims with status, totals and the number of findings (--json: the findings too).\n"
    "export   writes every ready claim of one payer (its electronic id, e.g. DEMOBLU01, or record id)\n"
    "         into one 837P (005010X222A1) file; control numbers come from the database and never\n"
    "         repeat; the claims become submitted. The batch is kept in the database in the same\n"
    "         transaction, and the file is written from that copy (temporary file, fsync, rename).\n"
    "         A claim past its payer's timely-filing limit (days from the date of service: the payer\n"
    "         record's own, else its profile's, e.g. Medicare 365) stops the export, naming the claim and\n"
    "         the limit, unless sent late with --force-late --reason TEXT (kept in the claim's history).\n"
    "timely   the claims not yet sent (draft, ready, rejected) with the days their payer's limit leaves,\n"
    "         soonest first; --within DAYS keeps those with at most that many days left (or past it).\n"
    "correct  writes a replacement claim (frequency 7) for a claim the payer adjudicated, with the payer's\n"
    "         claim number from its 835 (CLP07) in REF*F8 and the records as they are now; it is scrubbed\n"
    "         and goes out with the next export. Refused, saying why, for a claim never sent, rejected\n"
    "         (send it again as an original), already replaced or voided, or without a payer's number.\n"
    "void     the same with frequency 8: asks the payer to cancel the claim it adjudicated.\n"
    "batch    the exported batches (list), or one batch's bytes again (get ID, to stdout or --out FILE):\n"
    "         a batch whose file was lost or never written can always be fetched again.\n"
    "rebuild  takes a claim a 999 or 277CA rejected (see 'psyclaim ack') back to work once its records\n"
    "         are corrected: it is scrubbed again and becomes ready (or draft with its findings); the next\n"
    "         export sends it as a new original with new control numbers. Its history keeps each round.\n\n"
    "  --db PATH       database (default $PSYCLAIM_DB or ./psyclaim.db)\n"
    "  --practice ID   the practice (needed only when the database holds several)\n"
    "  --from, --to    service dates YYYY-MM-DD, inclusive (default: all)\n"
    "  --phone DIGITS  the billing office's phone, kept for the 837P submitter contact (required once)\n"
    "  --status STATE  draft, ready, submitted, accepted, rejected, paid, denied, partially_paid, closed\n"
    "  --within DAYS   timely: only claims with at most DAYS left\n"
    "  --force-late    export: send claims past the timely-filing limit (with --reason TEXT)\n\n"
    "example:\n  psyclaim claims build --db demo.db && psyclaim claims export --db demo.db --payer DEMOBLU01 --out blu.837\n",
};

/* --- PDFs ---------------------------------------------------------------------------------------- */

static int run_cms1500(int argc, char **argv)
{
    struct cli_bopts b;
    if (!cli_bopts_parse(argc, argv, &cli_cmd_cms1500, &b)) return CLI_USAGE;
    if (optind != argc - 1 || !b.out) {
        cli_error("cms1500: give one CLAIM number and --out FILE.pdf");
        return CLI_USAGE;
    }
    psy_id pid;
    psy_store *st = cli_open_practice(b.db, b.practice, &pid);
    if (!st) return CLI_FAIL;
    char *pdf = NULL, err[300];
    size_t len = 0;
    psy_status rc = psy_billing_cms1500(st, pid, argv[optind], &pdf, &len, err, sizeof err);
    psy_store_close(st);
    if (rc) {
        cli_error("cms1500: %s", err);
        return rc == PSY_ENOTFOUND ? CLI_USAGE : CLI_FAIL;
    }
    int ok = cli_write_file(b.out, pdf, len);
    free(pdf);
    if (ok) printf("CMS-1500 of %s written to %s (%zu bytes)\n", argv[optind], b.out, len);
    return ok ? CLI_OK : CLI_FAIL;
}

const struct cli_command cli_cmd_cms1500 = {
    "cms1500", run_cms1500, "the CMS-1500 (02/12) of a claim as a PDF",
    "usage: psyclaim cms1500 [--db PATH] [--practice ID] CLAIM --out FILE.pdf\n\n"
    "Draws the claim's data (CLAIM is its number as 'claims list' shows it, e.g. PC00000012) in the\n"
    "numbered boxes of the CMS-1500 (02/12): one page per six service lines.\n",
};

static int run_superbill(int argc, char **argv)
{
    struct cli_bopts b;
    if (!cli_bopts_parse(argc, argv, &cli_cmd_superbill, &b)) return CLI_USAGE;
    long client = 0;
    if (optind != argc - 1 || !b.out || !b.month) {
        cli_error("superbill: give one CLIENT id, --month YYYY-MM and --out FILE.pdf");
        return CLI_USAGE;
    }
    if (!cli_int_arg("CLIENT", argv[optind], 1L << 40, &client)) return CLI_USAGE;
    psy_id pid;
    psy_store *st = cli_open_practice(b.db, b.practice, &pid);
    if (!st) return CLI_FAIL;
    psy_coder *cx = NULL;
    char *pdf = NULL, err[300];
    size_t len = 0;
    psy_status rc = psy_coding_open(st, &cx, err, sizeof err);
    if (!rc) rc = psy_billing_superbill(st, cx, pid, client, b.month, &pdf, &len, err, sizeof err);
    psy_coding_close(cx);
    psy_store_close(st);
    if (rc) {
        cli_error("superbill: %s", err);
        return rc == PSY_EINVAL || rc == PSY_ENOTFOUND ? CLI_USAGE : CLI_FAIL;
    }
    int ok = cli_write_file(b.out, pdf, len);
    free(pdf);
    if (ok) printf("superbill written to %s (%zu bytes)\n", b.out, len);
    return ok ? CLI_OK : CLI_FAIL;
}

const struct cli_command cli_cmd_superbill = {
    "superbill", run_superbill, "a client's superbill for a month as a PDF",
    "usage: psyclaim superbill [--db PATH] [--practice ID] CLIENT --month YYYY-MM --out FILE.pdf\n\n"
    "The statement a client sends to an out-of-network insurer: the practice and clinician with NPI and\n"
    "licence, the client, the diagnoses, and one line per signed session of the month (date, place of\n"
    "service, code and modifiers, fee), coded as for a claim. CLIENT is the client's record id.\n",
};
