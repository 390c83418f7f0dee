/*
 * cli_ledger.c -- the client's side of the money from the command line: `psyclaim ledger show|balances|
 * fee|check`, `psyclaim payment add|reverse`, `psyclaim adjust`, `psyclaim refund`, `psyclaim statements`,
 * `psyclaim aging` and `psyclaim close` (psy_ledger.h).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"

struct lopts {
    const char *db, *amount, *method, *ref, *key, *date, *reason, *month, *out, *as_of, *words;
    long practice, claim, client;
    int json, reasons;
};

/* Parses the options after the command (and its action); the positional arguments stay at optind. */
static int lopts_parse(int argc, char **argv, const struct cli_command *cmd, struct lopts *o)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},      {"practice", required_argument, NULL, 'p'},
        {"amount", required_argument, NULL, 'a'},  {"method", required_argument, NULL, 'M'},
        {"ref", required_argument, NULL, 'r'},     {"claim", required_argument, NULL, 'c'},
        {"idempotency-key", required_argument, NULL, 'k'}, {"date", required_argument, NULL, 'D'},
        {"reason", required_argument, NULL, 'R'},  {"month", required_argument, NULL, 'm'},
        {"out", required_argument, NULL, 'o'},     {"as-of", required_argument, NULL, 'A'},
        {"through", required_argument, NULL, 'A'}, {"json", no_argument, NULL, 'j'},
        {"reasons", no_argument, NULL, 'L'},       {"words", required_argument, NULL, 'W'},
        {"client", required_argument, NULL, 'C'},  {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "d:p:a:M:r:c:k:D:R:m:o:A:jLW:C:", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 'p':
            if (!cli_int_arg("--practice", optarg, 1L << 40, &o->practice)) return 0;
            break;
        case 'c':
            if (!cli_int_arg("--claim", optarg, 1L << 40, &o->claim)) return 0;
            break;
        case 'C':
            if (!cli_int_arg("--client", optarg, 1L << 40, &o->client)) return 0;
            break;
        case 'a': o->amount = optarg; break;
        case 'M': o->method = optarg; break;
        case 'r': o->ref = optarg; break;
        case 'k': o->key = optarg; break;
        case 'D': o->date = optarg; break;
        case 'R': o->reason = optarg; break;
        case 'm': o->month = optarg; break;
        case 'o': o->out = optarg; break;
        case 'A': o->as_of = optarg; break;
        case 'j': o->json = 1; break;
        case 'L': o->reasons = 1; break;
        case 'W': o->words = optarg; break;
        default: fputs(cmd->usage, stderr); return 0;
        }
    }
    return 1;
}

/* "25.00", "$1,250.00" or "25" as cents; prints the error naming --amount. */
static int amount_arg(const char *s, long long *out)
{
    char buf[64];
    size_t k = 0;
    for (const char *p = s ? s : ""; *p && k + 1 < sizeof buf; p++)
        if (*p != '$' && *p != ',') buf[k++] = *p;
    buf[k] = 0;
    const char *why = NULL;
    if (!s || psy_cents_parse(buf, out, &why)) {
        cli_error("--amount: %s (an amount in dollars such as 25.00)", why ? why : "required");
        return 0;
    }
    return 1;
}

/* The id in argv[optind] (the client or entry); prints the error naming what. */
static int id_arg(int argc, char **argv, const char *what, long *id)
{
    if (optind >= argc) {
        cli_error("give the %s id", what);
        return 0;
    }
    return cli_int_arg(what, argv[optind], 1L << 40, id);
}

static const char *who(void)
{
    const char *u = getenv("USER");
    return u && *u ? u : "cli";
}

static json_t *entry_json(const struct psy_ledger_entry *e)
{
    return json_pack("{s:I, s:s, s:I, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", (json_int_t)e->id,
                     "kind", e->kind, "amount_cents", (json_int_t)e->amount_cents, "date", e->entry_date,
                     "service_date", e->service_date, "claim_id", (json_int_t)e->claim_id, "session_id",
                     (json_int_t)e->session_id, "code", e->code, "method", e->method, "reference", e->reference,
                     "reason_code", e->reason_code, "reason", e->reason, "reverses", (json_int_t)e->reverses,
                     "reversed_by", (json_int_t)e->reversed_by);
}

/* --- ledger ---------------------------------------------------------------------------------- */

static int ledger_show(psy_store *st, psy_id pid, psy_id client, const struct lopts *o)
{
    struct psy_ledger_entry *e;
    size_t n;
    long long bal;
    if (psy_ledger_sync_client(st, pid, client, NULL) || psy_ledger_entries(st, pid, client, o->as_of, &e, &n, &bal)) {
        cli_error("%s", psy_store_errmsg(st));
        return CLI_FAIL;
    }
    char a[PSY_CENTS_TEXT_MAX];
    if (o->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) json_array_append_new(arr, entry_json(&e[i]));
        cli_print_json(json_pack("{s:I, s:I, s:o}", "client_id", (json_int_t)client, "balance_cents", (json_int_t)bal,
                                 "entries", arr));
    } else {
        printf("%-6s %-10s %-11s %12s  %s\n", "entry", "date", "kind", "amount", "what");
        for (size_t i = 0; i < n; i++) {
            char what[400];
            snprintf(what, sizeof what, "%s%s%s%s%s%s%s%s%s", e[i].service_date[0] ? "service " : "", e[i].service_date,
                     e[i].code[0] ? " " : "", e[i].code, e[i].method[0] ? " " : "", e[i].method,
                     e[i].reference[0] ? " " : "", e[i].reference, e[i].reversed_by ? " (reversed)" : "");
            printf("%-6lld %-10s %-11s %12s  %s%s%s%s%s\n", (long long)e[i].id, e[i].entry_date, e[i].kind,
                   psy_cents_format(e[i].amount_cents, a), what, e[i].reason_code[0] ? " [" : "", e[i].reason_code,
                   e[i].reason_code[0] ? "] " : what[0] && e[i].reason[0] ? "; " : "", e[i].reason);
        }
        printf("balance %s%s\n", psy_cents_format(bal, a), bal < 0 ? " (credit)" : "");
    }
    free(e);
    return CLI_OK;
}

static int ledger_balances(psy_store *st, psy_id pid, const struct lopts *o)
{
    struct psy_ledger_balance *b;
    size_t n;
    if (psy_ledger_sync(st, pid, NULL) || psy_ledger_balances(st, pid, o->as_of, &b, &n)) {
        cli_error("%s", psy_store_errmsg(st));
        return CLI_FAIL;
    }
    char a[PSY_CENTS_TEXT_MAX], c[PSY_CENTS_TEXT_MAX];
    json_t *arr = o->json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        if (arr)
            json_array_append_new(arr, json_pack("{s:I, s:s, s:I, s:I, s:s}", "client_id", (json_int_t)b[i].client_id,
                                                 "name", b[i].name, "balance_cents", (json_int_t)b[i].balance_cents,
                                                 "open_cents", (json_int_t)b[i].open_cents, "oldest", b[i].oldest));
        else
            printf("%-6lld %-36s %12s  open %12s  since %s\n", (long long)b[i].client_id, b[i].name,
                   psy_cents_format(b[i].balance_cents, a), psy_cents_format(b[i].open_cents, c), b[i].oldest);
    }
    if (arr) cli_print_json(arr);
    else if (!n) printf("no client owes anything or holds a credit\n");
    free(b);
    return CLI_OK;
}

static int ledger_check(psy_store *st, psy_id pid, const struct lopts *o)
{
    struct psy_ledger_problem *p;
    size_t n;
    if (psy_ledger_check(st, pid, 0, &p, &n)) {
        cli_error("%s", psy_store_errmsg(st));
        return CLI_FAIL;
    }
    json_t *arr = o->json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        if (arr)
            json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:s}", "rule", p[i].rule, "claim_id",
                                                 (json_int_t)p[i].claim_id, "client_id", (json_int_t)p[i].client_id,
                                                 "message", p[i].message));
        else
            printf("%s claim %lld client %lld: %s\n", p[i].rule, (long long)p[i].claim_id, (long long)p[i].client_id,
                   p[i].message);
    }
    if (arr) cli_print_json(arr);
    else if (!n) printf("every rule holds\n");
    free(p);
    return n ? CLI_FAIL : CLI_OK;
}

static int run_ledger(int argc, char **argv)
{
    const char *action = argc > 1 ? argv[1] : "";
    struct lopts o;
    if (!lopts_parse(argc - 1, argv + 1, &cli_cmd_ledger, &o)) return CLI_USAGE;
    optind++; /* past the action */
    long id = 0;
    int show = !strcmp(action, "show"), fee = !strcmp(action, "fee");
    if (!show && !fee && strcmp(action, "balances") && strcmp(action, "check")) {
        fputs(cli_cmd_ledger.usage, stderr);
        return CLI_USAGE;
    }
    if ((show || fee) && !id_arg(argc, argv, "CLIENT", &id)) return CLI_USAGE;
    long long cents = 0;
    if (fee && !amount_arg(o.amount, &cents)) return CLI_USAGE;
    psy_id pid;
    psy_store *st = cli_open_practice(o.db, o.practice, &pid);
    if (!st) return CLI_FAIL;
    int rc;
    if (show) {
        rc = ledger_show(st, pid, id, &o);
    } else if (fee) {
        rc = psy_ledger_fee_set(st, pid, id, cents) ? CLI_FAIL : CLI_OK;
        if (rc) cli_error("%s", psy_store_errmsg(st));
        else printf("client %ld pays %s a session when no insurance is in force\n", id, o.amount);
    } else if (!strcmp(action, "balances")) {
        rc = ledger_balances(st, pid, &o);
    } else {
        rc = ledger_check(st, pid, &o);
    }
    psy_store_close(st);
    return rc;
}

const struct cli_command cli_cmd_ledger = {
    "ledger", run_ledger, "a client's ledger and balance, every balance, the rules money keeps",
    "usage: psyclaim ledger show CLIENT [--through DATE] [--json] [--db PATH] [--practice ID]\n"
    "       psyclaim ledger balances [--through DATE] [--json]\n"
    "       psyclaim ledger fee CLIENT --amount 80.00\n"
    "       psyclaim ledger check [--json]\n\n"
    "show      the client's entries (copays and fees at the time of service, what each payer put on the\n"
    "          client, payments, refunds, write-offs, reversals) and the balance; > 0 the client owes,\n"
    "          < 0 a credit. The expected share of every signed session is taken first.\n"
    "balances  every client whose balance is not zero, with what is not covered by a payment yet.\n"
    "fee       the client's fee per session when no insurance is in force (self-pay or sliding scale).\n"
    "check     the rules money keeps (docs/rules.md R-LEDGER-*); exit status 1 when one is broken.\n"};

/* --- payment, refund, adjust ----------------------------------------------------------------- */

static int record(const char *kind, int argc, char **argv, const struct lopts *o)
{
    long client;
    long long cents;
    if (!id_arg(argc, argv, "CLIENT", &client) || !amount_arg(o->amount, &cents)) return CLI_USAGE;
    psy_id pid;
    psy_store *st = cli_open_practice(o->db, o->practice, &pid);
    if (!st) return CLI_FAIL;
    struct psy_ledger_write w = {.kind = kind, .client = client, .claim = o->claim, .amount_cents = cents,
                                 .method = o->method, .reference = o->ref ? o->ref : "", .reason_code = o->reason,
                                 .date = o->date, .idempotency_key = o->key, .by = who()};
    psy_id id;
    int again = 0;
    char err[400];
    psy_status rc = psy_ledger_sync_client(st, pid, client, NULL);
    if (!rc) rc = psy_ledger_record(st, pid, &w, &id, &again, err, sizeof err);
    else snprintf(err, sizeof err, "%s", psy_store_errmsg(st));
    if (rc) {
        cli_error("%s", err);
        psy_store_close(st);
        return rc == PSY_EINVAL ? CLI_USAGE : CLI_FAIL;
    }
    struct psy_ledger_entry *e;
    size_t n;
    long long bal = 0;
    if (!psy_ledger_entries(st, pid, client, NULL, &e, &n, &bal)) free(e);
    psy_store_close(st);
    char a[PSY_CENTS_TEXT_MAX], b[PSY_CENTS_TEXT_MAX];
    if (o->json)
        cli_print_json(json_pack("{s:I, s:b, s:I}", "entry", (json_int_t)id, "replayed", again, "balance_cents",
                                 (json_int_t)bal));
    else
        printf("%s %s %s as entry #%lld; balance %s\n", kind, psy_cents_format(cents, a),
               again ? "was recorded before (same idempotency key)" : "recorded", (long long)id,
               psy_cents_format(bal, b));
    return CLI_OK;
}

static int run_payment(int argc, char **argv)
{
    const char *action = argc > 1 ? argv[1] : "";
    struct lopts o;
    if (!lopts_parse(argc - 1, argv + 1, &cli_cmd_payment, &o)) return CLI_USAGE;
    optind++;
    if (!strcmp(action, "add")) return record("payment", argc, argv, &o);
    if (strcmp(action, "reverse")) {
        fputs(cli_cmd_payment.usage, stderr);
        return CLI_USAGE;
    }
    long entry;
    if (!id_arg(argc, argv, "ENTRY", &entry)) return CLI_USAGE;
    psy_id pid, rev = 0;
    psy_store *st = cli_open_practice(o.db, o.practice, &pid);
    if (!st) return CLI_FAIL;
    char err[400];
    psy_status rc = psy_ledger_reverse(st, pid, entry, o.reason, o.date, who(), &rev, err, sizeof err);
    psy_store_close(st);
    if (rc) {
        cli_error("%s", err);
        return rc == PSY_EINVAL ? CLI_USAGE : CLI_FAIL;
    }
    if (o.json) cli_print_json(json_pack("{s:I, s:I}", "entry", (json_int_t)entry, "reversal", (json_int_t)rev));
    else printf("entry #%ld reversed by entry #%lld\n", entry, (long long)rev);
    return CLI_OK;
}

const struct cli_command cli_cmd_payment = {
    "payment", run_payment, "record a client's payment, or reverse any ledger entry",
    "usage: psyclaim payment add CLIENT --amount 25.00 --method cash|check|card|other [--ref 1042] [--claim ID]\n"
    "                            [--date YYYY-MM-DD] [--idempotency-key KEY] [--json] [--db PATH] [--practice ID]\n"
    "       psyclaim payment reverse ENTRY --reason TEXT [--date YYYY-MM-DD]\n\n"
    "add      records money the client paid (psyclaim charges no card; it records the payment). With --claim\n"
    "         it pays that claim's share first and may not exceed it; without, it pays the oldest amounts\n"
    "         first and what is left stays a credit. The same --idempotency-key records once.\n"
    "reverse  takes back an entry with a new one dated in an open month (a bounced check, an error); the\n"
    "         entry itself never changes.\n"};

static int run_refund(int argc, char **argv)
{
    struct lopts o;
    if (!lopts_parse(argc, argv, &cli_cmd_refund, &o)) return CLI_USAGE;
    return record("refund", argc, argv, &o);
}

const struct cli_command cli_cmd_refund = {
    "refund", run_refund, "record money given back to a client from their credit",
    "usage: psyclaim refund CLIENT --amount 10.00 --method cash|check|card|other [--ref 2001] [--date YYYY-MM-DD]\n"
    "                       [--idempotency-key KEY] [--json] [--db PATH] [--practice ID]\n"};

static int run_adjust(int argc, char **argv)
{
    struct lopts o;
    if (!lopts_parse(argc, argv, &cli_cmd_adjust, &o)) return CLI_USAGE;
    if (!o.reasons && !o.words) return record("adjustment", argc, argv, &o);
    psy_id pid;
    psy_store *st = cli_open_practice(o.db, o.practice, &pid);
    if (!st) return CLI_FAIL;
    int rc = CLI_OK;
    if (o.words && psy_ledger_reason_set(st, pid, o.reason, o.words, 1)) {
        cli_error("--%s", psy_store_errmsg(st));
        rc = CLI_USAGE;
    }
    struct psy_ledger_reason *r = NULL;
    size_t n = 0;
    if (!rc && psy_ledger_reasons(st, pid, &r, &n)) {
        cli_error("%s", psy_store_errmsg(st));
        rc = CLI_FAIL;
    }
    for (size_t i = 0; i < n; i++) printf("%-20s %s%s\n", r[i].code, r[i].words, r[i].active ? "" : " (retired)");
    free(r);
    psy_store_close(st);
    return rc;
}

const struct cli_command cli_cmd_adjust = {
    "adjust", run_adjust, "write off (or add to) a client's balance with a reason from the practice's list",
    "usage: psyclaim adjust CLIENT --amount 15.00 --reason CODE [--claim ID] [--date YYYY-MM-DD]\n"
    "                       [--idempotency-key KEY] [--json] [--db PATH] [--practice ID]\n"
    "       psyclaim adjust --reasons                       the practice's reasons\n"
    "       psyclaim adjust --reason CODE --words TEXT      add a reason or change its words\n\n"
    "A positive amount is taken off the balance (a write-off); a negative one is added to it.\n"};

/* --- statements, aging, close ---------------------------------------------------------------- */

static int run_statements(int argc, char **argv)
{
    struct lopts o;
    if (!lopts_parse(argc, argv, &cli_cmd_statements, &o)) return CLI_USAGE;
    if (!o.month || !o.out) {
        cli_error("statements: give --month YYYY-MM and --out DIR");
        return CLI_USAGE;
    }
    if (mkdir(o.out, 0700) && errno != EEXIST) {
        cli_error("--out: cannot make %s: %s", o.out, strerror(errno));
        return CLI_FAIL;
    }
    psy_id pid;
    psy_store *st = cli_open_practice(o.db, o.practice, &pid);
    if (!st) return CLI_FAIL;
    char through[16];
    snprintf(through, sizeof through, "%.7s-31", o.month);
    struct psy_ledger_balance *b = NULL;
    size_t n = 0, written = 0;
    int rc = CLI_OK;
    if (psy_ledger_sync(st, pid, NULL) || psy_ledger_balances(st, pid, NULL, &b, &n)) {
        cli_error("%s", psy_store_errmsg(st));
        rc = CLI_FAIL;
    }
    for (size_t i = 0; rc == CLI_OK && i < n; i++) {
        if (o.client && b[i].client_id != o.client) continue;
        char *pdf = NULL, err[400], path[4200];
        size_t len = 0;
        psy_status s = psy_ledger_statement(st, pid, b[i].client_id, o.month, &pdf, &len, err, sizeof err);
        if (s) {
            cli_error("client %lld: %s", (long long)b[i].client_id, err);
            rc = s == PSY_EINVAL ? CLI_USAGE : CLI_FAIL;
            break;
        }
        snprintf(path, sizeof path, "%s/statement-%s-client-%lld.pdf", o.out, o.month, (long long)b[i].client_id);
        if (!cli_write_file(path, pdf, len)) rc = CLI_FAIL;
        free(pdf);
        written++;
    }
    free(b);
    psy_store_close(st);
    if (rc == CLI_OK) printf("%zu statements written to %s\n", written, o.out);
    return rc;
}

const struct cli_command cli_cmd_statements = {
    "statements", run_statements, "one PDF statement per client who has a balance",
    "usage: psyclaim statements --month YYYY-MM --out DIR [--client ID] [--db PATH] [--practice ID]\n\n"
    "Each statement shows the practice, each service with its date, code and description, what insurance\n"
    "paid and what the client owes, the month's payments, the total due at the month's end and how to pay.\n"};

static int run_aging(int argc, char **argv)
{
    struct lopts o;
    if (!lopts_parse(argc, argv, &cli_cmd_aging, &o)) return CLI_USAGE;
    psy_id pid;
    psy_store *st = cli_open_practice(o.db, o.practice, &pid);
    if (!st) return CLI_FAIL;
    struct psy_aging a;
    psy_status rc = psy_ledger_sync(st, pid, NULL);
    if (!rc) rc = psy_ledger_aging(st, pid, o.as_of, &a);
    if (rc) {
        cli_error("%s", psy_store_errmsg(st));
        psy_store_close(st);
        return rc == PSY_EINVAL ? CLI_USAGE : CLI_FAIL;
    }
    psy_store_close(st);
    char m[PSY_CENTS_TEXT_MAX];
    if (o.json) {
        json_t *rows = json_array();
        for (size_t i = 0; i < a.n_rows; i++) {
            json_t *b = json_array();
            for (int k = 0; k < PSY_AGING_BUCKETS; k++) json_array_append_new(b, json_integer(a.rows[i].bucket[k]));
            json_array_append_new(rows, json_pack("{s:s, s:b, s:o, s:I}", "who", a.rows[i].who, "patient",
                                                  a.rows[i].patient, "buckets_cents", b, "total_cents",
                                                  (json_int_t)a.rows[i].total));
        }
        json_t *names = json_array();
        for (int k = 0; k < PSY_AGING_BUCKETS; k++) json_array_append_new(names, json_string(psy_aging_bucket_names[k]));
        cli_print_json(json_pack("{s:s, s:o, s:o, s:I, s:I, s:I, s:I}", "as_of", a.as_of, "buckets", names, "rows",
                                 rows, "payer_cents", (json_int_t)a.payer_total, "patient_cents",
                                 (json_int_t)a.patient_total, "total_cents", (json_int_t)a.total, "credit_cents",
                                 (json_int_t)a.credit));
    } else {
        printf("accounts receivable as of %s (days since the date of service, for patients since the amount was "
               "put on them)\n%-28s", a.as_of, "");
        for (int k = 0; k < PSY_AGING_BUCKETS; k++) printf(" %13s", psy_aging_bucket_names[k]);
        printf(" %14s\n", "total");
        for (size_t i = 0; i < a.n_rows; i++) {
            printf("%-28.28s", a.rows[i].who);
            for (int k = 0; k < PSY_AGING_BUCKETS; k++) printf(" %13s", psy_cents_format(a.rows[i].bucket[k], m));
            printf(" %14s\n", psy_cents_format(a.rows[i].total, m));
        }
        char m2[PSY_CENTS_TEXT_MAX], m3[PSY_CENTS_TEXT_MAX];
        printf("payers %s, patients %s, total outstanding %s\n", psy_cents_format(a.payer_total, m),
               psy_cents_format(a.patient_total, m2), psy_cents_format(a.total, m3));
        if (a.credit) printf("client credits not applied: %s\n", psy_cents_format(-a.credit, m));
    }
    psy_ledger_aging_free(&a);
    return CLI_OK;
}

const struct cli_command cli_cmd_aging = {
    "aging", run_aging, "accounts receivable by age: payers and patients, 0-30 ... over 120 days",
    "usage: psyclaim aging [--as-of YYYY-MM-DD] [--json] [--db PATH] [--practice ID]\n\n"
    "What each payer owes on the claims sent (by days since the date of service) and what the clients\n"
    "owe (by days since each amount was put on them), in buckets 0-30, 31-60, 61-90, 91-120 and over 120\n"
    "days, with the total outstanding. --as-of counts only what was recorded by that date.\n"};

static int run_close(int argc, char **argv)
{
    struct lopts o;
    if (!lopts_parse(argc, argv, &cli_cmd_close, &o)) return CLI_USAGE;
    psy_id pid;
    psy_store *st = cli_open_practice(o.db, o.practice, &pid);
    if (!st) return CLI_FAIL;
    char err[300];
    psy_status rc = psy_ledger_close_month(st, pid, o.month, who(), err, sizeof err);
    psy_store_close(st);
    if (rc) {
        cli_error("--%s", err);
        return rc == PSY_EINVAL ? CLI_USAGE : CLI_FAIL;
    }
    printf("%s is closed: its ledger entries are locked, corrections go to an open month\n", o.month);
    return CLI_OK;
}

const struct cli_command cli_cmd_close = {
    "close", run_close, "close a month of the client ledger",
    "usage: psyclaim close --month YYYY-MM [--db PATH] [--practice ID]\n\n"
    "No entry dated in a closed month is written afterwards; corrections are dated in an open month, so the\n"
    "month's statements and aging never change. Only a month that has ended can be closed.\n"};
