/*
 * cli_records.c -- `psyclaim audit` (the auditor's checks over a period), `psyclaim demo-data` (an
 * invented practice with planted problems), and `psyclaim session show ID` (the record commands are in
 * cli_edit.c).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* --- audit ------------------------------------------------------------------------------------------ */

struct audit_out {
    json_t *list;
    long errors, warnings;
};

static int print_finding(void *ud, const struct psy_audit_finding *f)
{
    struct audit_out *o = ud;
    if (f->severity == PSY_AUDIT_ERROR) o->errors++;
    else o->warnings++;
    if (o->list) {
        json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "rule", f->rule, "severity",
                              psy_audit_severity_name(f->severity), "record_type", f->record_type, "record_id",
                              (json_int_t)f->record_id, "date", f->date, "message", f->message);
        if (f->similarity >= 0) json_object_set_new(j, "similarity", json_real((double)(int)(f->similarity * 1000 + 0.5) / 1000));
        json_array_append_new(o->list, j);
        return 0;
    }
    char rec[48], sim[24] = "";
    snprintf(rec, sizeof rec, "%s %lld", f->record_type, (long long)f->record_id);
    if (f->similarity >= 0) snprintf(sim, sizeof sim, " [similarity %.2f]", f->similarity);
    printf("%-8s %-12s %-22s %-10s %s%s\n", f->severity == PSY_AUDIT_ERROR ? "ERROR" : "warning", f->rule, rec,
           *f->date ? f->date : "-", f->message, sim);
    return 0;
}

static int run_audit(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},   {"from", required_argument, NULL, 'f'},
                                         {"to", required_argument, NULL, 't'},   {"as-of", required_argument, NULL, 'a'},
                                         {"practice", required_argument, NULL, 'p'}, {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL;
    struct psy_audit_opts ao = {0};
    long practice = 0;
    int as_json = 0, o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "d:f:t:a:p:j", opts, NULL)) != -1) {
        switch (o) {
        case 'd': db = optarg; break;
        case 'f': ao.from = optarg; break;
        case 't': ao.to = optarg; break;
        case 'a': ao.as_of = optarg; break;
        case 'p':
            if (!cli_int_arg("--practice", optarg, 1L << 40, &practice)) return CLI_USAGE;
            break;
        case 'j': as_json = 1; break;
        default: fputs(cli_cmd_audit.usage, stderr); return CLI_USAGE;
        }
    }
    if (optind != argc) {
        cli_error("audit: unexpected argument '%s' (see 'psyclaim audit --help')", argv[optind]);
        return CLI_USAGE;
    }
    static const char *const names[] = {"--from", "--to", "--as-of"};
    const char *vals[] = {ao.from, ao.to, ao.as_of};
    for (int i = 0; i < 3; i++)
        if (vals[i] && !psy_records_date_valid(vals[i])) {
            cli_error("%s: not a date (YYYY-MM-DD)", names[i]);
            return CLI_USAGE;
        }
    if (ao.from && ao.to && strcmp(ao.from, ao.to) > 0) {
        cli_error("--to: before --from");
        return CLI_USAGE;
    }
    psy_id pid;
    psy_store *st = cli_open_practice(db, practice, &pid);
    if (!st) return CLI_FAIL;
    struct audit_out out = {as_json ? json_array() : NULL, 0, 0};
    struct psy_audit_stats stats;
    psy_status rc = psy_audit_run(st, pid, &ao, print_finding, &out, &stats);
    if (rc) {
        cli_error("audit: %s", psy_store_errmsg(st));
        json_decref(out.list);
        psy_store_close(st);
        return CLI_FAIL;
    }
    if (as_json) {
        json_t *j = json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:o}", "practice", (json_int_t)pid, "from",
                              ao.from ? ao.from : "", "to", ao.to ? ao.to : "", "sessions", (json_int_t)stats.sessions,
                              "notes_compared", (json_int_t)stats.notes, "errors", (json_int_t)out.errors, "warnings",
                              (json_int_t)out.warnings, "findings", out.list);
        cli_print_json(j);
    } else {
        printf("%s%ld session%s audited, %ld note%s compared: %ld error%s, %ld warning%s\n", out.errors + out.warnings ? "\n" : "",
               stats.sessions, stats.sessions == 1 ? "" : "s", stats.notes, stats.notes == 1 ? "" : "s", out.errors,
               out.errors == 1 ? "" : "s", out.warnings, out.warnings == 1 ? "" : "s");
    }
    psy_store_close(st);
    return CLI_OK;
}

const struct cli_command cli_cmd_audit = {
    "audit", run_audit, "run the auditor's checks on the practice's records",
    "usage: psyclaim audit [--db PATH] [--practice ID] [--from DATE] [--to DATE] [--as-of DATE] [--json]\n\n"
    "Checks the sessions with a service date in the period (default: all) and prints one line per\n"
    "finding: severity, rule, the record concerned, the date and what is wrong. Rules:\n"
    "  R-DOC-SIGN   a note missing or unsigned more than the practice's limit (7 days) after the session\n"
    "  R-TIME-4     no start or stop time and no total minutes\n"
    "  R-TIME-1     minutes outside the time band of the billed code (90832 16-37, 90834 38-52, ...)\n"
    "  R-GRP-1      more participants than a member's payer pays a group for\n"
    "  R-GRP-2      member notes of one group session that are near copies (Jaccard similarity)\n"
    "  R-GRP-3      a member billed for a group session they were absent from\n"
    "  R-GRP-4      a member present fewer minutes than the payer's group_minutes_min for 90853\n"
    "  R-DOC-CLONE  a note that repeats a note of an earlier session\n"
    "  R-PLAN-1     no signed treatment plan in force for the modality, or a plan past its review date\n"
    "  R-DX-1       a client without a diagnosis, or one that is not a billable code\n"
    "  R-DX-2       psychotherapy billed for a client whose diagnoses are all Z codes\n"
    "  R-CRED-1     an LMFT or mental health counselor's psychotherapy billed to Medicare before 2024-01-01\n"
    "  R-CRED-2     group psychotherapy (90853) billed by a peer specialist\n"
    "  R-AUTH-1     prior authorisation missing, expired or used up, where the payer requires one\n"
    "  R-TH-2       telehealth without modality, patient location or consent on record\n\n"
    "  --db PATH       database (default $PSYCLAIM_DB or ./psyclaim.db)\n"
    "  --practice ID   the practice (needed only when the database holds several)\n"
    "  --from DATE     first service date (YYYY-MM-DD)\n"
    "  --to DATE       last service date\n"
    "  --as-of DATE    the day the unsigned-note check counts from (default today)\n"
    "  --json          one JSON object: counts and the findings\n\n"
    "Exits 0 when the audit ran, whatever it found; 1 when it could not run; 2 on bad options.\n\n"
    "example:\n  psyclaim demo-data --db demo.db && psyclaim audit --db demo.db\n",
};

/* --- demo-data -------------------------------------------------------------------------------------- */

static int run_demo(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},      {"seed", required_argument, NULL, 's'},
                                         {"end", required_argument, NULL, 'e'},     {"weeks", required_argument, NULL, 'w'},
                                         {"clients", required_argument, NULL, 'c'}, {"groups", required_argument, NULL, 'g'},
                                         {"clean", no_argument, NULL, 'C'},         {NULL, 0, NULL, 0}};
    const char *db = NULL;
    struct psy_demo_opts d = {1, NULL, 0, 0, 0, 0};
    long v;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "d:s:e:w:c:g:C", opts, NULL)) != -1) {
        switch (o) {
        case 'd': db = optarg; break;
        case 's':
            if (!cli_int_arg("--seed", optarg, 4294967295L, &v)) return CLI_USAGE;
            d.seed = (unsigned)v;
            break;
        case 'e':
            if (!psy_records_date_valid(optarg)) {
                cli_error("--end: not a date (YYYY-MM-DD)");
                return CLI_USAGE;
            }
            d.end_date = optarg;
            break;
        case 'w':
            if (!cli_int_arg("--weeks", optarg, 520, &v)) return CLI_USAGE;
            d.weeks = (int)v;
            break;
        case 'c':
            if (!cli_int_arg("--clients", optarg, 100000, &v)) return CLI_USAGE;
            d.clients = (int)v;
            break;
        case 'g':
            if (!cli_int_arg("--groups", optarg, 5000, &v)) return CLI_USAGE;
            d.groups = (int)v;
            break;
        case 'C': d.clean = 1; break;
        default: fputs(cli_cmd_demo.usage, stderr); return CLI_USAGE;
        }
    }
    if (optind != argc) {
        cli_error("demo-data: unexpected argument '%s' (see 'psyclaim demo-data --help')", argv[optind]);
        return CLI_USAGE;
    }
    psy_store *st = cli_open_store(db);
    if (!st) return CLI_FAIL;
    struct psy_demo_result r;
    cli_progress_on(st);
    psy_status rc = psy_records_demo(st, &d, &r);
    long paid = 0;
    if (!rc) rc = psy_ledger_demo(st, r.practice_id, &paid); /* client balances, some paid, some late */
    if (rc) {
        cli_error("demo-data: %s", psy_store_errmsg(st));
        psy_store_close(st);
        return rc == PSY_EINVAL ? CLI_USAGE : CLI_FAIL;
    }
    printf("practice %lld: %ld clinicians, %ld clients, %ld groups, %ld sessions, %ld notes, %ld client payments\n",
           (long long)r.practice_id, r.clinicians, r.clients, r.groups, r.sessions, r.notes, paid);
    if (r.n_problems) {
        printf("planted for the audit to find:\n");
        for (size_t i = 0; i < r.n_problems; i++)
            printf("  %-12s %s %lld: %s\n", r.problems[i].rule, r.problems[i].record_type,
                   (long long)r.problems[i].record_id, r.problems[i].what);
    }
    free(r.problems);
    psy_store_close(st);
    return CLI_OK;
}

const struct cli_command cli_cmd_demo = {
    "demo-data", run_demo, "create an invented practice with sessions and notes",
    "usage: psyclaim demo-data [--db PATH] [--seed N] [--end DATE] [--weeks N] [--clients N] [--groups N] [--clean]\n\n"
    "Adds an invented practice to the database: a few clinicians, payers, clients with diagnoses,\n"
    "insurance, treatment plans and prior authorisations, therapy groups, and weeks of individual and\n"
    "group sessions with attendance and signed notes. Unless --clean, one instance of each problem the\n"
    "audit looks for is planted (cloned member notes, a group over a payer's limit, a missing stop\n"
    "time, a plan past review, used-up and expired authorisations, an old unsigned note, an absent\n"
    "member billed, telehealth without consent or modality, ...) and listed.\n\n"
    "  --db PATH      database (default $PSYCLAIM_DB or ./psyclaim.db)\n"
    "  --seed N       the same seed gives the same practice (default 1)\n"
    "  --end DATE     last day of the period (default today)\n"
    "  --weeks N      length of the period (default 13, about three months)\n"
    "  --clients N    number of clients (default 60)\n"
    "  --groups N     number of groups, 10 members each (default 4)\n"
    "  --clean        plant no problems\n\n"
    "Nobody in the demo data is real.\n",
};

/* --- client list, session show ----------------------------------------------------------------------- */

static int common_opts(int argc, char **argv, const struct cli_command *cmd, const char **db, long *practice, int *json)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"practice", required_argument, NULL, 'p'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "d:p:j", opts, NULL)) != -1) {
        switch (o) {
        case 'd': *db = optarg; break;
        case 'p':
            if (!cli_int_arg("--practice", optarg, 1L << 40, practice)) return 0;
            break;
        case 'j': *json = 1; break;
        default: fputs(cmd->usage, stderr); return 0;
        }
    }
    return 1;
}

static void print_text(const char *label, const char *text)
{
    if (text && *text) printf("    %-14s %s\n", label, text);
}

static int run_session(int argc, char **argv)
{
    const char *db = NULL;
    long practice = 0, id;
    int as_json = 0;
    if (argc > 1 && (!strcmp(argv[1], "add") || !strcmp(argv[1], "sign"))) return cli_session_write(argc, argv);
    if (!common_opts(argc, argv, &cli_cmd_session, &db, &practice, &as_json)) return CLI_USAGE;
    if (optind != argc - 2 || strcmp(argv[optind], "show") != 0) {
        cli_error("session: give add, sign ID or show ID (see 'psyclaim session --help')");
        return CLI_USAGE;
    }
    if (!cli_int_arg("ID", argv[optind + 1], 1L << 40, &id)) return CLI_USAGE;
    psy_id pid;
    psy_store *st = cli_open_practice(db, practice, &pid);
    if (!st) return CLI_FAIL;
    struct psy_session s;
    struct psy_attendance *att = NULL;
    struct psy_note *notes = NULL;
    size_t na = 0, nn = 0;
    psy_status rc = psy_records_session_get(st, pid, id, &s);
    if (!rc) rc = psy_records_attendance_list(st, pid, id, &att, &na);
    if (!rc) rc = psy_records_note_list(st, pid, id, &notes, &nn);
    if (rc) {
        cli_error("session %ld: %s", id, rc == PSY_ENOTFOUND ? "no such session" : psy_store_errmsg(st));
        psy_store_close(st);
        return CLI_FAIL;
    }
    int mins = psy_records_session_minutes(&s);
    if (as_json) {
        json_t *j = json_pack("{s:I, s:s, s:I, s:I, s:I, s:s, s:s, s:s, s:i, s:s, s:b, s:s, s:s, s:s, s:s}", "id",
                              (json_int_t)s.id, "kind", s.kind, "client_id", (json_int_t)s.client_id, "group_id",
                              (json_int_t)s.group_id, "clinician_id", (json_int_t)s.clinician_id, "service_date",
                              s.service_date, "start_utc", s.start_utc, "stop_utc", s.stop_utc, "minutes", mins, "pos",
                              s.pos, "telehealth", s.telehealth, "th_modality", s.th_modality, "patient_location",
                              s.patient_location, "billed_code", s.billed_code, "signed_at", s.signed_at);
        json_t *ja = json_array(), *jn = json_array();
        for (size_t i = 0; i < na; i++)
            json_array_append_new(ja, json_pack("{s:I, s:b, s:i, s:i, s:s, s:b}", "client_id", (json_int_t)att[i].client_id,
                                                "present", att[i].present, "late_minutes", att[i].late_minutes,
                                                "early_minutes", att[i].early_minutes, "billed_code", att[i].billed_code,
                                                "interactive_complexity", att[i].interactive_complexity));
        for (size_t i = 0; i < nn; i++)
            json_array_append_new(jn, json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
                                                (json_int_t)notes[i].id, "kind", notes[i].kind, "client_id",
                                                (json_int_t)notes[i].client_id, "status", notes[i].status, "theme",
                                                notes[i].theme, "techniques", notes[i].techniques, "dynamics",
                                                notes[i].dynamics, "factors", notes[i].factors, "participation",
                                                notes[i].participation, "response", notes[i].response, "progress",
                                                notes[i].progress, "plan", notes[i].plan, "signed_at", notes[i].signed_at));
        json_object_set_new(j, "attendance", ja);
        json_object_set_new(j, "notes", jn);
        cli_print_json(j);
    } else {
        printf("session %lld  %s  %s\n", (long long)s.id, s.kind, s.service_date);
        if (s.group_id) printf("  group %lld", (long long)s.group_id);
        else printf("  client %lld", (long long)s.client_id);
        printf(", clinician %lld, place of service %s%s%s%s\n", (long long)s.clinician_id, s.pos,
               s.telehealth ? ", telehealth " : "", s.th_modality, s.telehealth && *s.patient_location ? " from " : "");
        printf("  %s to %s UTC, %d minutes%s%s\n", *s.start_utc ? s.start_utc : "(no start)",
               *s.stop_utc ? s.stop_utc : "(no stop)", mins, *s.billed_code ? ", billed " : "", s.billed_code);
        printf("  %s\n", *s.signed_at ? "signed" : "open (not signed)");
        for (size_t i = 0; i < na; i++)
            printf("  member %-6lld %s%s%s\n", (long long)att[i].client_id, att[i].present ? "present" : "absent",
                   att[i].late_minutes ? " (late)" : "", *att[i].billed_code ? ", billed" : "");
        for (size_t i = 0; i < nn; i++) {
            printf("  %s note %lld", notes[i].kind, (long long)notes[i].id);
            if (notes[i].client_id) printf(" (client %lld)", (long long)notes[i].client_id);
            printf(", %s\n", notes[i].status);
            print_text("theme", notes[i].theme);
            print_text("techniques", notes[i].techniques);
            print_text("dynamics", notes[i].dynamics);
            print_text("factors", notes[i].factors);
            print_text("participation", notes[i].participation);
            print_text("response", notes[i].response);
            print_text("progress", notes[i].progress);
            print_text("plan", notes[i].plan);
        }
    }
    for (size_t i = 0; i < nn; i++) psy_note_clear(&notes[i]);
    free(notes);
    free(att);
    psy_store_close(st);
    return CLI_OK;
}

const struct cli_command cli_cmd_session = {
    "session", run_session, "document, sign and show sessions",
    "usage: psyclaim session add --kind KIND --client ID --clinician ID --date DATE [--start T --stop T]\n"
    "                            [--minutes N] [--pos NN] [--telehealth video|audio --location home|other]\n"
    "                            [--patient-absent] [--medical] [--em CODE]\n"
    "                            [--interactive-complexity FACTOR] [--note FILE] [--sign]\n"
    "       psyclaim session sign ID --clinician ID\n"
    "       psyclaim session show ID [--json]\n\n"
    "add documents an individual-type session: KIND is individual, family, crisis or intake. Times are\n"
    "instants with an offset (2025-03-04T18:00:00-06:00) or UTC (...Z); --minutes gives the total\n"
    "psychotherapy minutes instead. --note FILE is a JSON object with the note's parts: techniques,\n"
    "response, progress and plan (all four are needed to sign); it is saved as a draft, or signed with\n"
    "the session when --sign is given. A signed session prints the claim lines the coding engine gives\n"
    "it, with any error or warning; claims are built from it later.\n\n"
    "  --patient-absent  family: without the patient (90846; with the patient 90847)\n"
    "  --medical         intake: with medical services by a prescriber (90792; without 90791)\n"
    "  --em CODE         an E/M visit (99202-99499) in the same session: the psychotherapy is then an\n"
    "                    add-on by minutes (90833, 90836, 90838)\n"
    "  --interactive-complexity FACTOR\n"
    "                    interactive complexity (90785), naming the factor that occurred: communication\n"
    "                    (communication among participants to manage), caregiver (a caregiver's emotions\n"
    "                    or behaviour interfere with the plan), sentinel-event (an event to report to a\n"
    "                    third party, discussed), play-or-interpreter (play equipment, devices or an\n"
    "                    interpreter to overcome a barrier). With --note the factor is added to the note's\n"
    "                    techniques, where the documentation rule R-DOC-IC looks for it.\n\n"
    "sign signs a session whose note is signed (the signer led the session).\n\n"
    "show prints one session: kind, date, times (UTC), minutes, place of service, telehealth, what was\n"
    "billed, attendance of a group session, and every note with its status.\n\n"
    "  --db PATH       database (default $PSYCLAIM_DB or ./psyclaim.db)\n"
    "  --practice ID   the practice (needed only when the database holds several)\n"
    "  --json          show: one JSON object\n\n"
    "Exit status: 0 done; 1 not found or the database failed; 2 bad input (the message names the field).\n\n"
    "example:\n  psyclaim session add --kind individual --client 7 --clinician 1 --date 2025-03-04 \\\n"
    "      --start 2025-03-04T10:00:00-06:00 --stop 2025-03-04T10:53:00-06:00 --pos 11 --note note.json --sign\n",
};

/* --- session add, session sign --------------------------------------------------------------------- */

/* A signed session's expected share (copay or fee) goes on the client's ledger now; the session is
 * signed either way, and a ledger that could not take it takes it when next read (a warning says so). */
static void ledger_at_sign(psy_store *st, psy_id practice, psy_id session)
{
    if (psy_ledger_sync_session(st, practice, session, NULL))
        fprintf(stderr, "warning: the client's ledger takes the session's share when next read (%s)\n", psy_store_errmsg(st));
}

static int session_fail(psy_store *st, psy_status rc, const char *what)
{
    cli_error("%s: %s", what, psy_store_errmsg(st));
    psy_store_close(st);
    return rc == PSY_EINVAL ? CLI_USAGE : CLI_FAIL;
}

/* Reads the note parts from a JSON file into n (the strings stay owned by *j). */
static int read_note(const char *path, json_t **j, struct psy_note *n)
{
    json_error_t e;
    *j = json_load_file(path, 0, &e);
    if (!*j || !json_is_object(*j)) {
        cli_error("--note %s: %s", path, *j ? "a JSON object with techniques, response, progress and plan" : e.text);
        json_decref(*j);
        return 0;
    }
    static const char *const keys[] = {"techniques", "response", "progress", "plan"};
    char **dst[] = {&n->techniques, &n->response, &n->progress, &n->plan};
    const char *key;
    json_t *v;
    json_object_foreach(*j, key, v)
    {
        size_t k = 0;
        while (k < 4 && strcmp(keys[k], key)) k++;
        if (k == 4 || !json_is_string(v)) {
            cli_error("--note %s: %s: %s", path, key, k == 4 ? "not a part of an individual note (techniques, response, "
                                                             "progress, plan)" : "a string");
            json_decref(*j);
            return 0;
        }
        *dst[k] = (char *)json_string_value(v);
    }
    return 1;
}

/* The sentence a note gets for an interactive-complexity factor (domain.md 1.5); NULL when unknown. */
static const char *ic_sentence(const char *factor)
{
    static const struct { const char *name, *sentence; } factors[] = {
        {"communication", "Interactive complexity: communication among the participants had to be managed."},
        {"caregiver", "Interactive complexity: a caregiver's emotions or behaviour interfered with the treatment plan."},
        {"sentinel-event", "Interactive complexity: a sentinel event to be reported to a third party was discussed."},
        {"play-or-interpreter", "Interactive complexity: play equipment, a device or an interpreter was needed to "
                                "overcome a communication barrier."},
    };
    for (size_t i = 0; i < sizeof factors / sizeof factors[0]; i++)
        if (!strcmp(factors[i].name, factor)) return factors[i].sentence;
    return NULL;
}

/* Prints the claim lines the coding engine gives a signed session, then its errors and warnings. */
static void print_coded(psy_store *st, psy_id practice, psy_id session)
{
    struct psy_billable *b = NULL;
    size_t n = 0;
    psy_coder *cx = NULL;
    char err[256];
    struct psy_coding_result *res = calloc(1, sizeof *res);
    if (!res || psy_records_session_billables(st, practice, session, &b, &n) || !n ||
        psy_coding_open(st, &cx, err, sizeof err)) {
        free(res);
        free(b);
        return;
    }
    psy_status rc = psy_billing_code_line(st, cx, practice, &b[0], res);
    if (!rc || rc == PSY_EINVAL) {
        printf("  lines:");
        for (size_t i = 0; i < res->n_lines; i++) {
            printf(" %s", res->lines[i].code);
            for (int m = 0; m < res->lines[i].n_modifiers; m++) printf("-%s", res->lines[i].modifiers[m]);
            if (res->lines[i].units > 1) printf(" x%d", res->lines[i].units);
        }
        printf("%s\n", res->n_lines ? "" : " none");
        for (size_t i = 0; i < res->n_findings; i++)
            printf("  %s %s: %s\n", res->findings[i].severity == PSY_SEVERITY_ERROR ? "error" : "warning",
                   res->findings[i].rule, res->findings[i].message);
    }
    psy_coding_close(cx);
    free(res);
    free(b);
}

int cli_session_write(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},        {"practice", required_argument, NULL, 'p'},
        {"kind", required_argument, NULL, 'k'},      {"client", required_argument, NULL, 'c'},
        {"clinician", required_argument, NULL, 'C'}, {"date", required_argument, NULL, 'D'},
        {"start", required_argument, NULL, 's'},     {"stop", required_argument, NULL, 'S'},
        {"minutes", required_argument, NULL, 'm'},   {"pos", required_argument, NULL, 'P'},
        {"telehealth", required_argument, NULL, 't'}, {"location", required_argument, NULL, 'l'},
        {"note", required_argument, NULL, 'n'},      {"sign", no_argument, NULL, 'g'},
        {"patient-absent", no_argument, NULL, 'A'},  {"medical", no_argument, NULL, 'M'},
        {"em", required_argument, NULL, 'E'},        {"interactive-complexity", required_argument, NULL, 'I'},
        {NULL, 0, NULL, 0}};
    const char *db = NULL, *note_path = NULL, *action = argv[1], *ic_factor = NULL;
    long practice = 0, v;
    int sign = 0, o;
    struct psy_session s;
    memset(&s, 0, sizeof s);
    snprintf(s.pos, sizeof s.pos, "11");
    optind = 2;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'd': db = optarg; break;
        case 'p':
            if (!cli_int_arg("--practice", optarg, 1L << 40, &practice)) return CLI_USAGE;
            break;
        case 'k': snprintf(s.kind, sizeof s.kind, "%s", optarg); break;
        case 'c':
            if (!cli_int_arg("--client", optarg, 1L << 40, &v)) return CLI_USAGE;
            s.client_id = v;
            break;
        case 'C':
            if (!cli_int_arg("--clinician", optarg, 1L << 40, &v)) return CLI_USAGE;
            s.clinician_id = v;
            break;
        case 'D': snprintf(s.service_date, sizeof s.service_date, "%s", optarg); break;
        case 's': snprintf(s.start_utc, sizeof s.start_utc, "%s", optarg); break;
        case 'S': snprintf(s.stop_utc, sizeof s.stop_utc, "%s", optarg); break;
        case 'm':
            if (!cli_int_arg("--minutes", optarg, 720, &v)) return CLI_USAGE;
            s.minutes = (int)v;
            break;
        case 'P': snprintf(s.pos, sizeof s.pos, "%s", optarg); break;
        case 't':
            s.telehealth = 1;
            snprintf(s.th_modality, sizeof s.th_modality, "%s", optarg);
            break;
        case 'l': snprintf(s.patient_location, sizeof s.patient_location, "%s", optarg); break;
        case 'n': note_path = optarg; break;
        case 'g': sign = 1; break;
        case 'A': s.patient_absent = 1; break;
        case 'M': s.medical = 1; break;
        case 'E': snprintf(s.em_code, sizeof s.em_code, "%s", optarg); break;
        case 'I':
            if (!(ic_factor = ic_sentence(optarg))) {
                cli_error("session add: interactive_complexity: the factor is communication, caregiver, "
                          "sentinel-event or play-or-interpreter (--interactive-complexity)");
                return CLI_USAGE;
            }
            s.interactive_complexity = 1;
            break;
        default: fputs(cli_cmd_session.usage, stderr); return CLI_USAGE;
        }
    }
    if (!strcmp(action, "sign")) {
        if (optind != argc - 1 || !s.clinician_id) {
            cli_error("session sign: give the session's ID and --clinician ID");
            return CLI_USAGE;
        }
        if (!cli_int_arg("ID", argv[optind], 1L << 40, &v)) return CLI_USAGE;
        psy_id pid;
        psy_store *st = cli_open_practice(db, practice, &pid);
        if (!st) return CLI_FAIL;
        psy_status rc = psy_records_session_sign(st, pid, v, s.clinician_id);
        if (rc) return session_fail(st, rc, "session sign");
        printf("session %ld signed\n", v);
        ledger_at_sign(st, pid, v);
        psy_store_close(st);
        return CLI_OK;
    }
    if (optind != argc) {
        cli_error("session add: unexpected argument '%s'", argv[optind]);
        return CLI_USAGE;
    }
    static const char *const kinds[] = {"individual", "family", "crisis", "intake", NULL};
    int known = 0;
    for (int i = 0; kinds[i]; i++) known |= !strcmp(kinds[i], s.kind);
    if (!known) {
        cli_error("session add: kind: individual, family, crisis or intake (--kind; group sessions are documented "
                  "in the web app)");
        return CLI_USAGE;
    }
    struct psy_note n;
    json_t *nj = NULL;
    memset(&n, 0, sizeof n);
    if (note_path && !read_note(note_path, &nj, &n)) return CLI_USAGE;
    char *techniques = NULL; /* the note's techniques with the complexity factor (R-DOC-IC) */
    if (nj && ic_factor) {
        const char *had = n.techniques ? n.techniques : "";
        size_t len = strlen(had) + strlen(ic_factor) + 2;
        techniques = psy_malloc(len);
        snprintf(techniques, len, "%s%s%s", had, *had ? "\n" : "", ic_factor);
        n.techniques = techniques;
    }
    if (sign && !note_path) {
        cli_error("session add: --sign needs --note FILE (a session is signed with its note)");
        return CLI_USAGE;
    }
    psy_id pid, sid, nid;
    psy_store *st = cli_open_practice(db, practice, &pid);
    if (!st) {
        json_decref(nj);
        free(techniques);
        return CLI_FAIL;
    }
    /* the session, its note and the signatures are one batch: all stored, or none */
    psy_status rc = psy_records_batch_begin(st);
    const char *what = "session add";
    if (!rc) rc = psy_records_session_add(st, pid, &s, &sid);
    if (!rc && nj) {
        what = "session add: note";
        n.session_id = sid;
        n.client_id = s.client_id;
        n.author_id = s.clinician_id;
        snprintf(n.kind, sizeof n.kind, "individual");
        rc = psy_records_note_save(st, pid, &n, &nid);
        if (!rc && sign) rc = psy_records_note_sign(st, pid, nid, s.clinician_id);
        if (!rc && sign) {
            what = "session add: sign";
            rc = psy_records_session_sign(st, pid, sid, s.clinician_id);
        }
    }
    json_decref(nj);
    free(techniques);
    if (rc) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", psy_store_errmsg(st));
        psy_records_batch_end(st, 0);
        cli_error("%s: %s", what, msg);
        psy_store_close(st);
        return rc == PSY_EINVAL || rc == PSY_EPERM ? CLI_USAGE : CLI_FAIL;
    }
    if ((rc = psy_records_batch_end(st, 1))) return session_fail(st, rc, "session add");
    printf("session %lld added%s\n", (long long)sid, sign ? " and signed" : nj || note_path ? " with a draft note" : "");
    if (sign) ledger_at_sign(st, pid, sid);
    if (sign) print_coded(st, pid, sid);
    psy_store_close(st);
    return CLI_OK;
}
