/*
 * cli_search.c -- `psyclaim search`: finds codes of every system by number, title words, synonyms and
 * explainer text, half-typed or misspelled, through the in-memory search index built from the database.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define LIMIT_DEFAULT 10
#define LIMIT_MAX 1000

/* Joins the query words with single spaces; NULL when the result would be over the query cap. */
static char *join_words(int n, char **words)
{
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        len += strlen(words[i]) + 1;
        if (len > PSY_SEARCH_QUERY_MAX + 1) return NULL;
    }
    char *q = psy_malloc(len + 1), *p = q;
    for (int i = 0; i < n; i++) p += sprintf(p, "%s%s", i ? " " : "", words[i]);
    *p = 0;
    return q;
}

static int parse_limit(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > LIMIT_MAX) return -1;
    *out = (size_t)v;
    return 0;
}

static void print_json(const psy_search_hit *h, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:b, s:f}", "system",
                                             psy_catalog_system_name(h[i].system), "code", h[i].code, "title",
                                             h[i].title, "billable", h[i].billable, "score", h[i].score));
    char *s = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    puts(s ? s : "[]");
    free(s);
    json_decref(arr);
}

static void print_text(const psy_search_hit *h, size_t n, size_t total)
{
    for (size_t i = 0; i < n; i++)
        printf("%-9s %-9s %s%s\n", h[i].code, psy_catalog_system_name(h[i].system), h[i].title,
               h[i].billable ? "" : "  (not billable)");
    if (total > n) printf("(%zu of %zu matches; --limit N shows more)\n", n, total);
}

static int run_search(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"system", required_argument, NULL, 's'},
                                         {"billable", no_argument, NULL, 'b'},
                                         {"limit", required_argument, NULL, 'n'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL;
    psy_search_opts so = {PSY_SYS_COUNT, 0, LIMIT_DEFAULT, 0};
    int as_json = 0, o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "d:s:bn:j", opts, NULL)) != -1) {
        switch (o) {
        case 'd': db = optarg; break;
        case 's':
            if (psy_catalog_system_parse(optarg, &so.system)) {
                cli_error("--system: unknown code system '%s' (cpt, hcpcs, icd10cm, modifier, pos)", optarg);
                return CLI_USAGE;
            }
            break;
        case 'b': so.billable_only = 1; break;
        case 'n':
            if (parse_limit(optarg, &so.limit)) {
                cli_error("--limit: '%s' is not a whole number from 1 to %d", optarg, LIMIT_MAX);
                return CLI_USAGE;
            }
            break;
        case 'j': as_json = 1; break;
        default: fputs(cli_cmd_search.usage, stderr); return CLI_USAGE;
        }
    }
    if (optind >= argc) {
        cli_error("search: give a QUERY (see 'psyclaim search --help')");
        return CLI_USAGE;
    }
    char *query = join_words(argc - optind, argv + optind);
    if (!query) {
        cli_error("search: the query is longer than %d bytes", PSY_SEARCH_QUERY_MAX);
        return CLI_USAGE;
    }
    /* checked before the index is built, so that a bad query fails at once */
    psy_status rc = psy_search_check(query);
    if (rc) {
        if (rc == PSY_ETOOBIG) cli_error("search: the query is longer than %d bytes", PSY_SEARCH_QUERY_MAX);
        else cli_error("search: the query is not valid UTF-8");
        free(query);
        return CLI_USAGE;
    }
    size_t n = 0;
    psy_search_info info = {0};
    psy_store *st = cli_open_store(db);
    if (!st) {
        free(query);
        return CLI_FAIL;
    }
    psy_search *ix;
    if (psy_search_build(st, &ix)) {
        cli_error("%s", psy_store_errmsg(st));
        psy_store_close(st);
        free(query);
        return CLI_FAIL;
    }
    psy_search_hit *hits = calloc(so.limit, sizeof *hits);
    rc = hits ? psy_search_run(ix, query, &so, hits, so.limit, &n, &info) : PSY_ENOMEM;
    int ret = CLI_OK;
    if (rc) {
        cli_error("search: %s", psy_strerror(rc));
        ret = rc == PSY_ENOMEM ? CLI_FAIL : CLI_USAGE;
    } else if (as_json)
        print_json(hits, n);
    else {
        if (n && !info.close) printf("No close match for '%s'. Nearest codes:\n", query);
        print_text(hits, n, info.total);
        if (n == 0) fprintf(stderr, "No code matches '%s'.\n", query);
    }
    free(hits);
    psy_search_free(ix);
    psy_store_close(st);
    free(query);
    return ret;
}

const struct cli_command cli_cmd_search = {
    "search", run_search, "find codes by number, words, synonyms; half-typed or misspelled",
    "usage: psyclaim search [--db PATH] [--system S] [--billable] [--limit N] [--json] QUERY...\n\n"
    "Searches every code system at once: a code or the start of one (F43.1, f431, 908), the words of\n"
    "titles, synonyms and explainer pages, clinical abbreviations (PTSD, GAD, E/M), everyday words\n"
    "(talk therapy, couples), British spellings, a last word still being typed, and typos.\n"
    "Best matches come first.\n\n"
    "  --db PATH     database (default $PSYCLAIM_DB or ./psyclaim.db)\n"
    "  --system S    only one code system: cpt, hcpcs, icd10cm, modifier, pos\n"
    "  --billable    only codes that may go on a claim line\n"
    "  --limit N     at most N results, 1 to 1000 (default 10)\n"
    "  --json        print a JSON array of {system, code, title, billable, score}, best first\n\n"
    "The query is the remaining words, at most 512 bytes of UTF-8. Nothing found is not an error:\n"
    "the output is empty ([] with --json) and the exit status 0.\n\n"
    "examples:\n  psyclaim search ptsd chronic\n  psyclaim search --system cpt talk therapy 60 minutes\n"
    "  psyclaim search --json --limit 5 f431\n",
};
