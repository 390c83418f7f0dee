/*
 * cli_catalog.c -- `psyclaim show` (a code's explainer page or record) and `psyclaim import` (official
 * ICD-10-CM, HCPCS, modifier and NCCI edit files).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"

/* --- show ------------------------------------------------------------------------------------- */

/* Page sections in reading order: JSON key and heading. */
static const struct { const char *key, *title; } sections[] = {
    {"common_names", "Common names"},
    {"summary", "Summary"},
    {"purpose", "Purpose"},
    {"indications", "Indications"},
    {"preparation", "Preparation"},
    {"procedure", "Procedure"},
    {"duration", "Duration"},
    {"time_band", "Time that selects this code"},
    {"setting", "Setting"},
    {"personnel", "Personnel"},
    {"risks", "Risks and complications"},
    {"benefits", "Benefits"},
    {"recovery", "Recovery"},
    {"alternatives", "Alternatives"},
    {"patient_experience", "Patient experience"},
    {"similar_codes", "Similar codes"},
    {"billing_notes", "Billing notes"},
    {"payer_policies", "Payer policies"},
    {"sources", "Sources"},
};

static void print_page(json_t *page)
{
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        json_t *v = json_object_get(page, sections[i].key);
        if (!v) continue;
        printf("\n%s\n", sections[i].title);
        if (json_is_string(v)) {
            cli_wrap("  ", "  ", json_string_value(v));
            continue;
        }
        size_t j;
        json_t *it;
        json_array_foreach(v, j, it)
        {
            if (json_is_string(it)) {
                cli_wrap("  - ", "    ", json_string_value(it));
            } else if (json_is_object(it)) { /* similar_codes */
                char lead[40];
                const char *code = json_string_value(json_object_get(it, "code"));
                snprintf(lead, sizeof lead, "  - %s: ", code ? code : "?");
                const char *d = json_string_value(json_object_get(it, "difference"));
                cli_wrap(lead, "    ", d ? d : "");
            }
        }
    }
}

static json_t *code_json(const struct psy_code *c)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:s?, s:s?, s:b}", "system",
                     psy_catalog_system_name(c->system), "code", c->code, "short_title", c->short_title,
                     "long_title", c->long_title, "billable", c->billable, "addon", c->addon, "effective",
                     *c->effective ? c->effective : NULL, "terminated", *c->terminated ? c->terminated : NULL,
                     "has_page", c->has_page);
}

static int not_found(psy_store *st, psy_system sys, const char *code)
{
    struct psy_code sug[5];
    size_t n = psy_catalog_suggest(st, sys, code, sug, 5);
    if (sys == PSY_SYS_COUNT) cli_error("no code '%s' in the catalog", code);
    else cli_error("no %s code '%s' in the catalog", psy_catalog_system_name(sys), code);
    if (n) {
        fprintf(stderr, "Did you mean:\n");
        for (size_t i = 0; i < n; i++) {
            fprintf(stderr, "  %-8s %-9s %s\n", sug[i].code, psy_catalog_system_name(sug[i].system),
                    sug[i].short_title);
            psy_code_clear(&sug[i]);
        }
    }
    return CLI_FAIL;
}

static int run_show(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"system", required_argument, NULL, 's'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL;
    psy_system sys = PSY_SYS_COUNT;
    int as_json = 0, o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "d:s:j", opts, NULL)) != -1) {
        switch (o) {
        case 'd': db = optarg; break;
        case 's':
            if (psy_catalog_system_parse(optarg, &sys)) {
                cli_error("--system: unknown code system '%s' (cpt, hcpcs, icd10cm, modifier, pos)", optarg);
                return CLI_USAGE;
            }
            break;
        case 'j': as_json = 1; break;
        default: fputs(cli_cmd_show.usage, stderr); return CLI_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error("show: give exactly one CODE (see 'psyclaim show --help')");
        return CLI_USAGE;
    }
    const char *want = argv[optind];
    if (!*want) {
        cli_error("show: CODE is empty");
        return CLI_USAGE;
    }
    psy_store *st = cli_open_store(db);
    if (!st) return CLI_FAIL;
    struct psy_code c;
    psy_status rc = psy_catalog_get(st, sys, want, &c);
    if (rc == PSY_ENOTFOUND) {
        int ret = not_found(st, sys, want);
        psy_store_close(st);
        return ret;
    }
    if (rc) {
        cli_error("%s", psy_store_errmsg(st));
        psy_store_close(st);
        return CLI_FAIL;
    }
    struct psy_link *links = NULL;
    size_t nlinks = 0;
    char *pagetext = NULL;
    json_t *page = NULL;
    psy_catalog_links(st, c.system, c.code, &links, &nlinks);
    if (c.has_page && psy_catalog_page(st, c.system, c.code, &pagetext) == PSY_OK)
        page = json_loads(pagetext, 0, NULL);
    if (as_json) {
        json_t *out = code_json(&c);
        json_t *jl = json_array();
        for (size_t i = 0; i < nlinks; i++)
            json_array_append_new(jl, json_pack("{s:s, s:s, s:s, s:s}", "kind", links[i].kind, "system",
                                                psy_catalog_system_name(links[i].system), "code", links[i].code,
                                                "note", links[i].note));
        json_object_set_new(out, "links", jl);
        if (page) {
            json_object_del(page, "system");
            json_object_del(page, "code");
            json_object_update(out, page);
        }
        char *s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
        json_decref(out);
    } else {
        const char *name = page ? json_string_value(json_object_get(page, "name")) : NULL;
        printf("%s  %s\n", c.code, name ? name : c.short_title);
        printf("%s code%s%s", psy_catalog_system_name(c.system), c.billable ? ", billable" : ", not billable",
               c.addon ? ", add-on" : "");
        if (*c.effective) printf(", effective %s", c.effective);
        if (*c.terminated) printf(", ended %s", c.terminated);
        printf("\n");
        cli_wrap("", "", c.long_title);
        if (page) print_page(page);
        if (nlinks) {
            printf("\nRelated codes\n");
            for (size_t i = 0; i < nlinks; i++) {
                char lead[64];
                snprintf(lead, sizeof lead, "  %-8s %-6s ", links[i].kind, links[i].code);
                cli_wrap(lead, "                  ", *links[i].note ? links[i].note : "");
            }
        }
    }
    json_decref(page);
    free(pagetext);
    psy_links_free(links, nlinks);
    psy_code_clear(&c);
    psy_store_close(st);
    return CLI_OK;
}

const struct cli_command cli_cmd_show = {
    "show", run_show, "explain a code: its page, record and related codes",
    "usage: psyclaim show [--db DB] [--system S] [--json] CODE\n\n"
    "Shows a code's explainer page (summary, purpose, indications, procedure, duration and the time\n"
    "band that selects the code, setting, personnel, risks, benefits, alternatives, similar codes,\n"
    "billing notes, payer policies, sources), or its plain record when it has no page.\n\n"
    "  --db DB       database: a SQLite file (PATH or sqlite:PATH) or postgres://...\n"
    "                (default $PSYCLAIM_DB or ./psyclaim.db)\n"
    "  --system S    look only in one code system: cpt, hcpcs, icd10cm, modifier, pos\n"
    "  --json        print one JSON object with every section as a field\n\n"
    "CODE may be typed in any case and, for ICD-10-CM, with or without the dot (F41.1, f411).\n"
    "An unknown code exits 1 and suggests close matches.\n\n"
    "examples:\n  psyclaim show 90853\n  psyclaim show --json 90837\n  psyclaim show f431.10\n",
};

/* --- import ----------------------------------------------------------------------------------- */

struct progress {
    int tty;
    time_t last;
};

static void on_progress(void *ud, long long done, long long total)
{
    struct progress *p = ud;
    if (!p->tty || total <= 0) return;
    int pct = (int)(done * 100 / total), bar = pct * 40 / 100;
    fprintf(stderr, "\r  [%.*s%*s] %3d%%", bar, "########################################", 40 - bar, "", pct);
    if (done >= total) fputc('\n', stderr);
    fflush(stderr);
}

static int run_import(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"effective", required_argument, NULL, 'e'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL;
    struct psy_import_opts io = {0};
    int quiet = 0, o;
    for (int i = 1; i < argc; i++) /* "import clients FILE": the practice's clients, not a code set */
        if (!strcmp(argv[i], "clients") && strcmp(argv[i - 1], "--db") && strcmp(argv[i - 1], "--effective"))
            return cli_import_clients(argc, argv);
    optind = 1;
    while ((o = getopt_long(argc, argv, "d:e:q", opts, NULL)) != -1) {
        switch (o) {
        case 'd': db = optarg; break;
        case 'e': io.effective = optarg; break;
        case 'q': quiet = 1; break;
        default: fputs(cli_cmd_import.usage, stderr); return CLI_USAGE;
        }
    }
    if (optind != argc - 2) {
        cli_error("import: give a KIND and a FILE (see 'psyclaim import --help')");
        return CLI_USAGE;
    }
    const char *kindname = argv[optind], *path = argv[optind + 1];
    psy_import_kind kind = PSY_IMPORT_ICD10CM;
    psy_ncci_kind ncci = PSY_NCCI_KIND_COUNT;
    int index = !strcmp(kindname, "icd10cm-index");
    if (index) kind = PSY_IMPORT_ICD10CM;
    else if (!strcmp(kindname, "icd10cm") || !strcmp(kindname, "icd10")) kind = PSY_IMPORT_ICD10CM;
    else if (!strcmp(kindname, "hcpcs")) kind = PSY_IMPORT_HCPCS;
    else if (!strcmp(kindname, "modifiers") || !strcmp(kindname, "modifier")) kind = PSY_IMPORT_MODIFIERS;
    else if (strncmp(kindname, "ncci-", 5) != 0 || psy_ncci_kind_parse(kindname, &ncci)) {
        cli_error("import: unknown kind '%s' (icd10cm, icd10cm-index, hcpcs, modifiers, ncci-ptp, ncci-mue or ncci-aoc)",
                  kindname);
        return CLI_USAGE;
    }
    if (access(path, R_OK) != 0) {
        cli_error("import: cannot read %s", path);
        return CLI_FAIL;
    }
    psy_store *st = cli_open_store(db);
    if (!st) return CLI_FAIL;
    struct progress pr = {!quiet && isatty(2), 0};
    io.progress = on_progress;
    io.progress_ud = &pr;
    struct psy_import_stats s;
    struct psy_ncci_import_stats ns;
    struct psy_index_import_stats xs;
    char err[600];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    psy_status rc = index ? psy_search_import_index(st, path, &xs, err, sizeof err)
                    : ncci < PSY_NCCI_KIND_COUNT ? psy_ncci_import(st, ncci, path, &io, &ns, err, sizeof err)
                                                 : psy_catalog_import(st, kind, path, &io, &s, err, sizeof err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    psy_store_close(st);
    if (rc) {
        if (pr.tty) fputc('\n', stderr);
        cli_error("%s", err);
        fprintf(stderr, "Nothing from this file was imported.\n");
        return CLI_FAIL;
    }
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (index) {
        printf("%s: %ld main terms, %ld subterms, %ld search terms for codes (%ld through \"see\") in %.2f s\n",
               kindname, xs.main_terms, xs.terms, xs.rows, xs.see_resolved, secs);
        return CLI_OK;
    }
    if (ncci < PSY_NCCI_KIND_COUNT) {
        printf("%s: %ld lines, %ld edit rows (%ld added, %ld updated, %ld unchanged), %ld other lines passed over "
               "in %.2f s\n", kindname, ns.lines, ns.rows, ns.added, ns.updated, ns.unchanged, ns.skipped, secs);
        return CLI_OK;
    }
    printf("%s: %ld lines, %ld added, %ld updated, %ld unchanged", kindname, s.lines, s.added, s.updated,
           s.unchanged);
    if (s.terminated) printf(", %ld ended (absent from this release)", s.terminated);
    if (s.modifiers && kind == PSY_IMPORT_HCPCS) printf(" (%ld of them modifiers)", s.modifiers);
    printf(" in %.2f s\n", secs);
    return CLI_OK;
}

const struct cli_command cli_cmd_import = {
    "import", run_import, "import a code set (ICD-10-CM, HCPCS, modifiers, NCCI) or clients from CSV",
    "usage: psyclaim import [--db DB] [--effective YYYY-MM-DD] [--quiet] KIND FILE\n"
    "       psyclaim import clients FILE.csv [--dry-run] [--skip-bad] [--db DB] [--practice ID]\n\n"
    "import clients reads clients, their diagnoses and insurance from a CSV file in the layout of\n"
    "docs/importing.md (a header row naming the columns: first_name, last_name, birth_date, sex, ...,\n"
    "diagnoses, payer_id, member_id, policy_start ...). Every row is checked first; nothing is written\n"
    "unless every row is good. --dry-run only reports; --skip-bad writes the good rows and reports the\n"
    "others. Each refused row is listed with its row number (the header is row 1) and column. Exits 0\n"
    "when written (or a dry run found nothing wrong), 1 when rows were refused, 2 on bad options.\n\n"
    "KIND is one of:\n"
    "  icd10cm     the CMS ICD-10-CM order file (icd10cm_order_YYYY.txt) or codes file\n"
    "              (icd10cm_codes_YYYY.txt)\n"
    "  icd10cm-index  the CDC ICD-10-CM Alphabetic Index (icd10cm_index_YYYY.xml): its terms\n"
    "              become search words of the codes they lead to\n"
    "  hcpcs       the CMS HCPCS Level II file: the 320-byte record file (HCPCYYYY_..._ANWEB.txt) or\n"
    "              the spreadsheet saved as tab-separated text with its header row; its modifier\n"
    "              records are imported too\n"
    "  modifiers   a HCPCS modifier list in either HCPCS format, or a CPT modifier code list\n"
    "              (mod_code, mod_type, mod_category)\n"
    "  ncci-ptp    CMS NCCI practitioner PTP edits (column 1/column 2 pairs; the quarterly text or\n"
    "              CSV files, or a tab-separated export with a header row)\n"
    "  ncci-mue    CMS NCCI practitioner MUE table (code, MUE units, adjudication indicator)\n"
    "  ncci-aoc    CMS NCCI add-on code edits (add-on code, primary code, edit type)\n"
    "              The coding engine uses an imported NCCI table instead of its built-in one.\n\n"
    "  --db DB          database: a SQLite file (PATH or sqlite:PATH) or postgres://...\n"
    "                   (default $PSYCLAIM_DB or ./psyclaim.db)\n"
    "  --effective D    first day the release is valid; ICD-10-CM defaults to October 1 before the\n"
    "                   fiscal year in the file name (icd10cm_order_2026.txt -> 2025-10-01)\n"
    "  --quiet          no progress bar\n\n"
    "An import is one transaction: a malformed line stops it with FILE:LINE and what is wrong, and\n"
    "nothing of that file is kept. Importing a newer release updates titles and dates in place; ICD-10-CM\n"
    "codes that a newer order file no longer lists are marked as ended the day before it starts.\n",
};
