/*
 * cli_coding.c -- `psyclaim code-session`: a session described as JSON on standard input, the claim
 * lines and findings out (readable text, --json, or --batch: one JSON object per line in and out).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

#define SESSION_MAX_BYTES (1 << 20)

/* Reads all of f up to max bytes into a malloc'd NUL-terminated buffer; NULL when larger. */
static char *read_all(FILE *f, size_t max, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *p = psy_malloc(cap);
    size_t got;
    while ((got = fread(p + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n > max) {
            free(p);
            return NULL;
        }
        if (cap - n - 1 == 0) {
            p = psy_realloc(p, cap * 2);
            cap *= 2;
        }
    }
    if (p) p[n] = 0;
    *len = n;
    return p;
}

/* The store is read only when one is named (--db, $PSYCLAIM_DB) or the default file exists: coding
 * needs no database, and a missing one is not created just to find it empty. */
static psy_coder *open_coder(const char *db, const char *payer_file, psy_store **st_out)
{
    psy_store *st = NULL;
    const char *env = getenv("PSYCLAIM_DB");
    if (db || (env && *env) || access(psy_store_default_uri(), F_OK) == 0) {
        st = cli_open_store(db);
        if (!st) return NULL;
    }
    psy_coder *cx;
    char err[600];
    if (psy_coding_open(st, &cx, err, sizeof err)) {
        cli_error("%s", err);
        psy_store_close(st);
        return NULL;
    }
    if (payer_file && psy_coding_add_payer_file(cx, payer_file, err, sizeof err)) {
        cli_error("%s", err);
        psy_coding_close(cx);
        psy_store_close(st);
        return NULL;
    }
    *st_out = st;
    return cx;
}

static void print_money(long long cents) { printf("$%lld.%02lld", cents / 100, cents % 100); }

static void print_human(const psy_coder *cx, const struct psy_coding_input *s, const struct psy_coding_result *r)
{
    printf("%s session on %s, payer %s\n", psy_session_kind_name(s->kind), s->date, *s->payer ? s->payer : "default");
    int members = 0;
    long long total = 0;
    for (size_t i = 0; i < r->n_lines; i++) {
        const struct psy_coded_line *l = &r->lines[i];
        total += l->charge_cents;
        if (l->member > 1) {
            if (l->member > members) members = l->member;
            continue;
        }
        printf("\n  %-6s x%-3d POS %-3s modifiers ", l->code, l->units, *l->place_of_service ? l->place_of_service : "-");
        int w = 0;
        for (int m = 0; m < l->n_modifiers; m++) w += printf("%s%s", m ? "," : "", l->modifiers[m]);
        if (!l->n_modifiers) w += printf("-");
        printf("%*s", w < 12 ? 12 - w : 1, "");
        print_money(l->charge_cents);
        printf("\n");
        cli_wrap("    ", "    ", l->explanation);
        printf("    rules:");
        for (int k = 0; k < l->n_rules; k++) printf(" %s", l->rules[k]);
        printf("\n");
    }
    if (members) printf("\n  (the same lines again for members 2 to %d, each on that member's claim)\n", members);
    if (r->n_lines) {
        printf("\n  total charge ");
        print_money(total);
        printf("\n");
    }
    size_t nf = r->n_findings < PSY_CODING_MAX_FINDINGS ? r->n_findings : PSY_CODING_MAX_FINDINGS;
    if (nf) printf("\nFindings\n");
    for (size_t i = 0; i < nf; i++) {
        const struct psy_finding *f = &r->findings[i];
        char lead[80];
        snprintf(lead, sizeof lead, "  %-7s %-10s %s: ", f->severity == PSY_SEVERITY_ERROR ? "error" : "warning", f->rule,
                 f->field);
        cli_wrap(lead, "                     ", f->message);
    }
    if (r->n_findings > nf) printf("  (%zu more findings not shown)\n", r->n_findings - nf);
    printf("\n%s\n", r->n_errors || !r->n_lines ? "Cannot be billed as described." : "Billable as described.");
    static const char *const names[PSY_NCCI_KIND_COUNT] = {"PTP", "MUE", "AOC"};
    printf("NCCI tables:");
    for (int k = 0; k < PSY_NCCI_KIND_COUNT; k++) {
        size_t rows;
        int imported = psy_coding_table_imported(cx, (psy_ncci_kind)k, &rows);
        printf("%s %s %s (%zu rows)", k ? "," : "", names[k], imported ? "imported" : "built-in", rows);
    }
    printf("\n");
}

/* One JSON line of --batch output for input line lineno. Returns the exit code it implies. */
static int batch_one(const psy_coder *cx, const char *payer, char *text, size_t len, long lineno,
                     struct psy_coding_result *r)
{
    struct psy_coding_input s;
    char field[64], msg[300];
    psy_status rc = psy_session_from_json(text, len, &s, field, sizeof field, msg, sizeof msg);
    if (!rc) {
        if (!*s.payer && payer) snprintf(s.payer, sizeof s.payer, "%s", payer);
        rc = psy_coding_session(cx, &s, r);
        if (rc) {
            snprintf(field, sizeof field, "%s", r->findings[0].field);
            snprintf(msg, sizeof msg, "%s", r->findings[0].message);
        }
    }
    if (rc) {
        json_t *o = json_pack("{s:I, s:{s:s, s:s}}", "line", (json_int_t)lineno, "error", "field", field, "message", msg);
        char *out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        puts(out);
        free(out);
        json_decref(o);
        return CLI_USAGE;
    }
    size_t n;
    char *out = psy_coding_result_json(r, 0, &n);
    printf("{\"line\":%ld,%s\n", lineno, out + 1);
    free(out);
    return r->n_errors || !r->n_lines ? CLI_FAIL : CLI_OK;
}

static int run_batch(const psy_coder *cx, const char *payer)
{
    struct psy_coding_result *r = malloc(sizeof *r);
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    long lineno = 0;
    int worst = CLI_OK;
    while (r && (got = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        size_t n = (size_t)got;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (strspn(line, " \t") == n) continue;
        int ex = batch_one(cx, payer, line, n, lineno, r);
        if (ex == CLI_USAGE || (ex == CLI_FAIL && worst == CLI_OK)) worst = ex;
    }
    free(line);
    free(r);
    return worst;
}

static void list_payers(const psy_coder *cx)
{
    const psy_payers *ps = psy_coding_payers(cx);
    for (size_t i = 0; i < psy_payers_count(ps); i++)
        printf("%-20s %s\n", psy_payers_id(ps, i), psy_payers_name(ps, i));
}

static int run_code_session(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"payer", required_argument, NULL, 'p'},
                                         {"payer-file", required_argument, NULL, 'f'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"batch", no_argument, NULL, 'b'},
                                         {"payers", no_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL, *payer = NULL, *payer_file = NULL;
    int as_json = 0, batch = 0, list = 0, o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "d:p:f:jbl", opts, NULL)) != -1) {
        switch (o) {
        case 'd': db = optarg; break;
        case 'p': payer = optarg; break;
        case 'f': payer_file = optarg; break;
        case 'j': as_json = 1; break;
        case 'b': batch = 1; break;
        case 'l': list = 1; break;
        default: fputs(cli_cmd_code_session.usage, stderr); return CLI_USAGE;
        }
    }
    if (optind != argc) {
        cli_error("code-session: the session is read from standard input; no arguments (see --help)");
        return CLI_USAGE;
    }
    if (payer && (!*payer || strlen(payer) >= PSY_PAYER_ID_MAX)) {
        cli_error("code-session: --payer: not a payer profile id");
        return CLI_USAGE;
    }
    psy_store *st = NULL;
    psy_coder *cx = open_coder(db, payer_file, &st);
    if (!cx) return CLI_FAIL;
    psy_store_close(st); /* the coder has read what it needs */
    int ret;
    if (list) {
        list_payers(cx);
        ret = CLI_OK;
    } else if (batch) {
        ret = run_batch(cx, payer);
    } else {
        size_t len;
        char *text = read_all(stdin, SESSION_MAX_BYTES, &len);
        struct psy_coding_input s;
        char field[64], msg[300];
        struct psy_coding_result *r = malloc(sizeof *r);
        psy_status rc;
        if (!text || !r) {
            cli_error("code-session: the input is larger than 1 MiB; give one session object");
            rc = PSY_ETOOBIG;
        } else if ((rc = psy_session_from_json(text, len, &s, field, sizeof field, msg, sizeof msg))) {
            if (*field) cli_error("code-session: %s: %s", field, msg);
            else cli_error("code-session: %s", msg);
        } else {
            if (!*s.payer && payer) snprintf(s.payer, sizeof s.payer, "%s", payer);
            if ((rc = psy_coding_session(cx, &s, r))) cli_error("code-session: %s", r->findings[0].message);
        }
        if (rc) {
            ret = CLI_USAGE;
        } else {
            if (as_json) {
                char *out = psy_coding_result_json(r, 1, NULL);
                puts(out);
                free(out);
            } else {
                print_human(cx, &s, r);
            }
            ret = r->n_errors || !r->n_lines ? CLI_FAIL : CLI_OK;
        }
        free(r);
        free(text);
    }
    psy_coding_close(cx);
    return ret;
}

const struct cli_command cli_cmd_code_session = {
    "code-session", run_code_session, "code a described session into claim lines, with the rules that chose them",
    "usage: psyclaim code-session [--db PATH] [--payer ID] [--payer-file FILE] [--json] [--batch] < session.json\n"
    "       psyclaim code-session --payers\n\n"
    "Reads one session as a JSON object from standard input and prints the claim lines it bills (code,\n"
    "units, modifiers, place of service, the rule ids that chose each line, a sentence saying why, the\n"
    "charge) and the findings (errors refuse the session, warnings do not).\n\n"
    "Session fields:\n"
    "  date                   YYYY-MM-DD (required)\n"
    "  kind                   individual, crisis, group, family_with_patient, family_without_patient,\n"
    "                         multiple_family_group, diagnostic_evaluation, diagnostic_evaluation_medical\n"
    "  minutes                psychotherapy (or total crisis) minutes; required for individual, crisis and\n"
    "                         family sessions\n"
    "  em_code                an E/M service by the same clinician in the same visit (99202-99499)\n"
    "  interactive_complexity true when a complexity factor occurred (adds 90785 where allowed)\n"
    "  telehealth             \"video\" or \"audio\"; leave out for in person\n"
    "  patient_location       \"home\" or \"other\" (chooses POS 10 or 02)\n"
    "  place_of_service       in-person place (default: the payer's, usually 11)\n"
    "  payer                  a payer profile id (see --payers); default \"default\"\n"
    "  credential             the clinician's licence: LCSW, LPC, LMFT, PSYCHOLOGIST, MD, NP ...\n"
    "  group_size             participants present in a group session\n"
    "  members                group kinds: member lines to produce (default 1: code member by member)\n"
    "  separate_times         true when same-day services have their own documented start/stop times\n"
    "  prior_auth             true when the payer's prior authorisation is on file\n\n"
    "  --db PATH          read NCCI tables imported into this database (psyclaim import ncci-ptp ...);\n"
    "                     without --db, $PSYCLAIM_DB or ./psyclaim.db when present, else the built-in set\n"
    "  --payer ID         payer profile for sessions that do not name one\n"
    "  --payer-file FILE  add (or replace by id) a payer profile from a JSON file (docs/payers.md)\n"
    "  --json             print {\"lines\": [...], \"findings\": [...]}\n"
    "  --batch            one session per input line, one JSON result per output line ({\"line\": N, ...},\n"
    "                     or {\"line\": N, \"error\": {\"field\", \"message\"}} for an invalid one)\n"
    "  --payers           list the payer profiles and exit\n\n"
    "Exit status: 0 lines produced and no error finding; 1 the session cannot be billed as described (the\n"
    "findings say why); 2 invalid input (the message names the field). With --batch: the worst of all.\n\n"
    "example:\n"
    "  echo '{\"date\":\"2024-05-06\",\"kind\":\"individual\",\"minutes\":50,\"telehealth\":\"video\",\n"
    "        \"patient_location\":\"home\",\"payer\":\"medicare\"}' | psyclaim code-session\n",
};
