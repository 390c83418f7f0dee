/*
 * cli_init.c -- `psyclaim init`: starts a practice (psy_setup_practice): the practice as it bills, its
 * first admin user and, optionally, its payers from the built-in profiles (data/payers/).
 *
 * At a terminal it asks for each field (the value of a flag, or a sensible default, shown in brackets),
 * checks each answer as it is given and asks again naming the problem; the password is read twice
 * without echo. When standard input is not a terminal, or with --json, nothing is asked: the flags
 * and the JSON (the body of POST /api/setup) must say everything, and bad input exits 2 naming the field.
 * On a database that has practices already it adds another one.
 */
#include <ctype.h>
#include <getopt.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <psyclaim/psy_date.h>
#include <psyclaim/psy_setup.h>
#include "cli.h"

#define MAX_PAYERS 16

/* One question: the field's JSON name (as the library names it in errors), its flag and prompt, where
 * it lives in struct psy_practice, and the check made as it is typed (NULL = fine, else the problem). */
struct field {
    const char *key, *flag, *prompt;
    size_t off, size;
    const char *(*check)(char *v);
};

static size_t count_digits(const char *v, const char *allowed)
{
    size_t n = 0;
    for (; *v; v++)
        if (isdigit((unsigned char)*v)) n++;
        else if (!strchr(allowed, *v)) return 0;
    return n;
}

static const char *need_text(char *v) { return *v ? NULL : "required"; }

/* A sole proprietor's name (asked only for one; the library requires it then). */
static const char *name_part(char *v) { return *v ? NULL : "required for a sole proprietor"; }

static const char *check_npi(char *v)
{
    if (strlen(v) != 10 || count_digits(v, "") != 10) return "10 digits";
    if (!psy_records_npi_valid(v)) return "check digit does not match (Luhn): a typing mistake?";
    return NULL;
}

static const char *check_tax_id(char *v) { return count_digits(v, "-") == 9 ? NULL : "9 digits (NN-NNNNNNN)"; }

static const char *check_state(char *v)
{
    for (char *p = v; *p; p++) *p = (char)toupper((unsigned char)*p);
    return strlen(v) == 2 && isalpha((unsigned char)v[0]) && isalpha((unsigned char)v[1])
               ? NULL
               : "two letters (the postal code, e.g. IL)";
}

static const char *check_zip(char *v)
{
    return count_digits(v, "- ") == 9 ? NULL : "ZIP+4, 9 digits (12345-6789): claims need the full ZIP code";
}

static const char *check_zone(char *v)
{
    return psy_date_zone_known(v) ? NULL : "not a known time zone (an IANA name such as America/Chicago)";
}

static const char *check_phone(char *v)
{
    size_t n = count_digits(v, " -.()+");
    return !*v || (n >= 10 && n <= 15) ? NULL : "10 to 15 digits, or nothing";
}

static const char *check_email(char *v)
{
    const char *at = strchr(v, '@');
    return !*v || (at && at != v && strchr(at, '.')) ? NULL : "an address such as billing@example.org, or nothing";
}

#define F(k, fl, pr, ck) {#k, fl, pr, offsetof(struct psy_practice, k), sizeof ((struct psy_practice *)0)->k, ck}
static const struct field fields[] = {
    F(name, "name", "Practice's legal name", need_text),
    F(first_name, "first-name", "  Your first name, as on your NPI", name_part),
    F(last_name, "last-name", "  Your last name, as on your NPI", name_part),
    F(npi, "npi", "NPI the practice bills under (10 digits)", check_npi),
    F(tax_id, "tax-id", "Tax id (EIN, NN-NNNNNNN)", check_tax_id),
    F(address, "address", "Street address", need_text),
    F(city, "city", "City", need_text),
    F(state, "state", "State (two letters)", check_state),
    F(zip, "zip", "ZIP+4 (12345-6789)", check_zip),
    F(time_zone, "time-zone", "Time zone", check_zone),
    F(billing_contact, "billing-contact", "Billing contact (the person payers call)", need_text),
    F(billing_phone, "billing-phone", "Billing phone (Enter for none)", check_phone),
    F(billing_email, "billing-email", "Billing e-mail (Enter for none)", check_email),
};
#undef F
#define NFIELDS (sizeof fields / sizeof fields[0])

struct init {
    struct psy_setup s;
    char username[PSY_USERNAME_MAX + 8];
    char password[PSY_PASSWORD_MAX + 2];
    struct psy_setup_payer payers[MAX_PAYERS];
    char payer_text[MAX_PAYERS][3][PSY_REC_NAME_MAX]; /* profile, payer id, name */
};

static char *field_at(struct init *in, const struct field *f) { return (char *)&in->s.practice + f->off; }

static int set_field(struct init *in, const struct field *f, const char *v)
{
    if (strlen(v) >= f->size) {
        cli_error("%s: at most %zu characters", f->key, f->size - 1);
        return -1;
    }
    snprintf(field_at(in, f), f->size, "%s", v);
    return 0;
}

/* "PROFILE:PAYER_ID[:NAME]" (the flag) or profile, payer_code, name (JSON) into payer i. */
static int add_payer(struct init *in, const char *profile, const char *code, const char *name)
{
    size_t i = in->s.n_payers;
    if (i == MAX_PAYERS) {
        cli_error("payers: at most %d", MAX_PAYERS);
        return -1;
    }
    const char *v[3] = {profile, code ? code : "", name ? name : ""};
    for (int k = 0; k < 3; k++) {
        if (strlen(v[k]) >= sizeof in->payer_text[i][k]) {
            cli_error("payers[%zu]: a value is too long", i);
            return -1;
        }
        snprintf(in->payer_text[i][k], sizeof in->payer_text[i][k], "%s", v[k]);
    }
    in->payers[i] = (struct psy_setup_payer){in->payer_text[i][0], in->payer_text[i][1], in->payer_text[i][2]};
    in->s.n_payers++;
    return 0;
}

static int payer_flag(struct init *in, const char *arg)
{
    char buf[3 * PSY_REC_NAME_MAX];
    snprintf(buf, sizeof buf, "%s", arg);
    char *code = strchr(buf, ':'), *name = NULL;
    if (!code || !code[1]) {
        cli_error("--payer %s: give PROFILE:PAYER_ID[:NAME], the payer's electronic id after the profile", arg);
        return -1;
    }
    *code++ = 0;
    if ((name = strchr(code, ':'))) *name++ = 0;
    return add_payer(in, buf, code, name);
}

static int read_json(struct init *in, const char *path)
{
    json_error_t jerr;
    json_t *j = strcmp(path, "-") ? json_load_file(path, 0, &jerr) : json_loadf(stdin, 0, &jerr);
    if (!j || !json_is_object(j)) {
        if (j) cli_error("--json %s: not a JSON object", path);
        else cli_error("--json %s: line %d: %s", path, jerr.line, jerr.text);
        json_decref(j);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < NFIELDS && !rc; i++) {
        json_t *v = json_object_get(j, fields[i].key);
        if (v && !json_is_string(v)) {
            cli_error("%s: must be text", fields[i].key);
            rc = -1;
        } else if (v) {
            rc = set_field(in, &fields[i], json_string_value(v));
        }
    }
    json_t *v = json_object_get(j, "sole_proprietor");
    if (!rc && v) {
        if (json_is_boolean(v)) {
            in->s.practice.sole_proprietor = json_is_true(v);
        } else {
            cli_error("sole_proprietor: true or false");
            rc = -1;
        }
    }
    v = json_object_get(j, "unsigned_note_days");
    if (!rc && v) {
        if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 365) {
            in->s.practice.unsigned_note_days = (int)json_integer_value(v);
        } else {
            cli_error("unsigned_note_days: a whole number of days, 0 to 365");
            rc = -1;
        }
    }
    static const char *const texts[] = {"admin_username", "admin_password"};
    char *dest[] = {in->username, in->password};
    size_t sizes[] = {sizeof in->username, sizeof in->password};
    for (int k = 0; k < 2 && !rc; k++) {
        v = json_object_get(j, texts[k]);
        if (!v) continue;
        if (!json_is_string(v) || json_string_length(v) >= sizes[k]) {
            cli_error("%s: must be text of at most %zu characters", texts[k], sizes[k] - 1);
            rc = -1;
        } else {
            snprintf(dest[k], sizes[k], "%s", json_string_value(v));
        }
    }
    json_t *jp = json_object_get(j, "payers");
    if (!rc && jp && !json_is_array(jp)) {
        cli_error("payers: a list of {\"profile\", \"payer_code\", \"name\"}");
        rc = -1;
    }
    for (size_t i = 0; !rc && jp && i < json_array_size(jp); i++) {
        json_t *e = json_array_get(jp, i);
        const char *prof = json_string_value(json_object_get(e, "profile"));
        rc = add_payer(in, prof ? prof : "", json_string_value(json_object_get(e, "payer_code")),
                       json_string_value(json_object_get(e, "name")));
    }
    json_decref(j);
    return rc;
}

/* One line typed at the terminal, without its line end; -1 at the end of input. */
static int ask(const char *prompt, const char *dflt, char *buf, size_t len)
{
    if (dflt && *dflt) fprintf(stderr, "%s [%s]: ", prompt, dflt);
    else fprintf(stderr, "%s: ", prompt);
    fflush(stderr);
    if (!fgets(buf, (int)len, stdin)) return -1;
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
    char *s = buf;
    while (*s == ' ' || *s == '\t') s++;
    memmove(buf, s, strlen(s) + 1);
    n = strlen(buf);
    while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t')) buf[--n] = 0;
    if (!*buf && dflt) snprintf(buf, len, "%s", dflt);
    return 0;
}

static int ask_field(struct init *in, const struct field *f)
{
    char line[512];
    for (;;) {
        if (ask(f->prompt, field_at(in, f), line, sizeof line)) return -1;
        const char *why = f->check(line);
        if (!why && strlen(line) >= f->size) why = "too long";
        if (!why) return set_field(in, f, line);
        fprintf(stderr, "  %s: %s; please try again.\n", f->key, why);
    }
}

/* The sole proprietor's name fields, asked only of one. */
static int is_name_part(const struct field *f)
{
    return f->off == offsetof(struct psy_practice, first_name) || f->off == offsetof(struct psy_practice, last_name);
}

/* Whether the practice bills as a sole proprietor; then their name (the fields after this question). */
static int ask_sole(struct init *in)
{
    char line[64];
    for (;;) {
        if (ask("Is the practice a sole proprietor, a clinician billing under their own (individual) NPI? (yes/no)",
                in->s.practice.sole_proprietor ? "yes" : "no", line, sizeof line))
            return -1;
        if (!strcasecmp(line, "yes") || !strcasecmp(line, "y")) in->s.practice.sole_proprietor = 1;
        else if (!strcasecmp(line, "no") || !strcasecmp(line, "n")) in->s.practice.sole_proprietor = 0;
        else {
            fprintf(stderr, "  sole_proprietor: yes or no; please try again.\n");
            continue;
        }
        for (size_t i = 0; in->s.practice.sole_proprietor && i < NFIELDS; i++)
            if (is_name_part(&fields[i]) && ask_field(in, &fields[i])) return -1;
        return 0;
    }
}

static int ask_admin(struct init *in)
{
    char line[512], norm[PSY_USERNAME_MAX];
    for (;;) {
        if (ask("Your administrator user name", in->username[0] ? in->username : "admin", line, sizeof line)) return -1;
        if (!psy_auth_username_normalize(line, norm)) break;
        fprintf(stderr, "  admin_username: 1 to 64 characters of letters, digits and . _ - @; please try again.\n");
    }
    snprintf(in->username, sizeof in->username, "%s", norm);
    for (;;) {
        char again[sizeof in->password];
        if (cli_read_secret("Password (8 characters or more): ", in->password, sizeof in->password)) return -1;
        size_t n = strlen(in->password);
        if (n < PSY_PASSWORD_MIN || n > PSY_PASSWORD_MAX) {
            fprintf(stderr, "  admin_password: %d to %d characters; please try again.\n", PSY_PASSWORD_MIN,
                    PSY_PASSWORD_MAX);
            continue;
        }
        if (cli_read_secret("The same password again: ", again, sizeof again)) return -1;
        int same = strcmp(again, in->password) == 0;
        memset(again, 0, sizeof again);
        if (same) return 0;
        fprintf(stderr, "  admin_password: the two passwords differ; please try again.\n");
    }
}

static int ask_payers(struct init *in)
{
    size_t np = psy_setup_profile_count();
    if (!np) return 0;
    fprintf(stderr, "\nPayers to start with, each billed under a built-in profile (data/payers/):\n");
    for (size_t i = 0; i < np; i++)
        fprintf(stderr, "  %zu. %s (%s)\n", i + 1, psy_setup_profile_name(i), psy_setup_profile_id(i));
    char line[512];
    size_t chosen[MAX_PAYERS], n;
    for (;;) {
        if (ask("Numbers separated by spaces or commas (Enter for none; more payers later in the web app)", "",
                line, sizeof line))
            return -1;
        const char *bad = NULL;
        n = 0;
        for (char *t = strtok(line, " ,"); t && !bad; t = strtok(NULL, " ,")) {
            char *end;
            long k = strtol(t, &end, 10);
            if (*end || k < 1 || (size_t)k > np) bad = "not one of the numbers listed";
            else if (n == MAX_PAYERS) bad = "at most 16 payers";
            else chosen[n++] = (size_t)k - 1;
        }
        if (!bad) break;
        fprintf(stderr, "  payers: %s; please try again.\n", bad);
    }
    for (size_t i = 0; i < n; i++) {
        const char *pname = psy_setup_profile_name(chosen[i]);
        char code[128], prompt[300], name[PSY_REC_NAME_MAX];
        snprintf(prompt, sizeof prompt, "  Electronic payer id of %s (as your clearinghouse lists it)", pname);
        for (;;) {
            if (ask(prompt, "", code, sizeof code)) return -1;
            size_t len = strlen(code), k = 0;
            while (k < len && isalnum((unsigned char)code[k])) k++;
            if (len >= 2 && len <= 80 && k == len) break;
            fprintf(stderr, "  payer_code: 2 to 80 letters or digits; please try again.\n");
        }
        if (ask("  Its name on claims", pname, name, sizeof name)) return -1;
        if (add_payer(in, psy_setup_profile_id(chosen[i]), code, name)) return -1;
    }
    return 0;
}

/* The password for scripts: the first line of FILE, else of standard input (without echo at a terminal,
 * as with --json FILE). */
static int read_password_line(struct init *in, const char *file)
{
    int ok;
    if (file) {
        FILE *f = fopen(file, "r");
        if (!f) {
            cli_error("--admin-password-file %s: cannot be read", file);
            return -1;
        }
        ok = fgets(in->password, sizeof in->password, f) != NULL;
        fclose(f);
        size_t n = ok ? strlen(in->password) : 0;
        while (n && (in->password[n - 1] == '\n' || in->password[n - 1] == '\r')) in->password[--n] = 0;
    } else {
        ok = cli_read_secret("Administrator's password: ", in->password, sizeof in->password) == 0;
    }
    if (!ok) {
        cli_error("admin_password: none given (one line on standard input, or --admin-password-file FILE)");
        return -1;
    }
    return 0;
}

/* The field a library message ("npi: ...", "admin_password: ...") names, as an index of fields[]; NFIELDS
 * for the admin user, NFIELDS + 1 for the payers, -1 for none. */
static int named_field(const char *msg)
{
    for (size_t i = 0; i < NFIELDS; i++) {
        size_t l = strlen(fields[i].key);
        if (!strncmp(msg, fields[i].key, l) && msg[l] == ':') return (int)i;
    }
    if (!strncmp(msg, "admin_", 6)) return NFIELDS;
    if (!strncmp(msg, "payers", 6)) return NFIELDS + 1;
    return -1;
}

static int run_init(int argc, char **argv)
{
    enum { O_JSON = 256, O_ADMIN, O_PWFILE, O_PAYER, O_DB, O_SOLE, O_FIELD };
    struct option opts[NFIELDS + 7];
    size_t k = 0;
    opts[k++] = (struct option){"db", required_argument, NULL, O_DB};
    opts[k++] = (struct option){"json", required_argument, NULL, O_JSON};
    opts[k++] = (struct option){"admin", required_argument, NULL, O_ADMIN};
    opts[k++] = (struct option){"admin-password-file", required_argument, NULL, O_PWFILE};
    opts[k++] = (struct option){"payer", required_argument, NULL, O_PAYER};
    opts[k++] = (struct option){"sole-proprietor", no_argument, NULL, O_SOLE};
    for (size_t i = 0; i < NFIELDS; i++) opts[k++] = (struct option){fields[i].flag, required_argument, NULL, O_FIELD + (int)i};
    opts[k] = (struct option){NULL, 0, NULL, 0};

    static struct init in; /* large; one per process */
    memset(&in, 0, sizeof in);
    const char *db = NULL, *json = NULL, *pwfile = NULL, *admin = NULL;
    const char *flagv[NFIELDS] = {0};
    const char *payerv[MAX_PAYERS + 1];
    size_t npayerv = 0;
    int c, sole = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_DB: db = optarg; break;
        case O_JSON: json = optarg; break;
        case O_ADMIN: admin = optarg; break;
        case O_PWFILE: pwfile = optarg; break;
        case O_SOLE: sole = 1; break;
        case O_PAYER:
            if (npayerv == MAX_PAYERS) {
                cli_error("--payer: at most %d", MAX_PAYERS);
                return CLI_USAGE;
            }
            payerv[npayerv++] = optarg;
            break;
        default:
            if (c >= O_FIELD && c < O_FIELD + (int)NFIELDS) flagv[c - O_FIELD] = optarg;
            else return CLI_USAGE;
        }
    }
    if (optind != argc) {
        cli_error("init: unexpected argument '%s' (see 'psyclaim init --help')", argv[optind]);
        return CLI_USAGE;
    }
    /* the JSON first, the flags over it */
    if (json && read_json(&in, json)) return CLI_USAGE;
    for (size_t i = 0; i < NFIELDS; i++)
        if (flagv[i] && set_field(&in, &fields[i], flagv[i])) return CLI_USAGE;
    if (sole) in.s.practice.sole_proprietor = 1;
    if (!in.s.practice.sole_proprietor && (in.s.practice.first_name[0] || in.s.practice.last_name[0])) {
        cli_error("%s: a sole proprietor's name; add --sole-proprietor (\"sole_proprietor\": true), or leave it out "
                  "for an organisation", in.s.practice.first_name[0] ? "first_name" : "last_name");
        return CLI_USAGE;
    }
    if (admin) snprintf(in.username, sizeof in.username, "%s", admin);
    for (size_t i = 0; i < npayerv; i++)
        if (payer_flag(&in, payerv[i])) return CLI_USAGE;
    int interactive = !json && isatty(0);
    if (!in.s.practice.time_zone[0] && interactive) snprintf(in.s.practice.time_zone, sizeof in.s.practice.time_zone, "America/Chicago");

    psy_store *st = cli_open_store(db);
    if (!st) return CLI_FAIL;
    psy_id *ids;
    size_t nprac = 0;
    if (psy_records_practice_list(st, &ids, &nprac) == PSY_OK) free(ids);

    int rc = CLI_OK;
    if (interactive) {
        fprintf(stderr, "Starting a practice%s. Press Enter to keep the value in brackets.\n\n",
                nprac ? " (this database has practices already; this adds another)" : "");
        for (size_t i = 0; i < NFIELDS && !rc; i++) {
            if (fields[i].off == offsetof(struct psy_practice, first_name)) {
                if (ask_sole(&in)) rc = CLI_USAGE; /* and the name, for a sole proprietor */
            } else if (!is_name_part(&fields[i]) && ask_field(&in, &fields[i])) {
                rc = CLI_USAGE;
            }
        }
        if (!rc && ask_admin(&in)) rc = CLI_USAGE;
        if (!rc && !npayerv && ask_payers(&in)) rc = CLI_USAGE;
        if (rc) cli_error("init: input ended; nothing was written");
    } else if (!in.password[0]) {
        if (json && !strcmp(json, "-") && !pwfile) {
            cli_error("admin_password: with --json - give it in the JSON or with --admin-password-file FILE");
            rc = CLI_USAGE;
        } else if (read_password_line(&in, pwfile)) {
            rc = CLI_USAGE;
        }
    }
    in.s.admin_username = in.username;
    in.s.admin_password = in.password;
    in.s.payers = in.payers;
    psy_id pid = 0;
    long long uid = 0;
    for (int tries = 0; !rc; tries++) {
        psy_status s = psy_setup_practice(st, NULL, &in.s, &pid, &uid);
        if (s == PSY_OK) break;
        const char *msg = psy_store_errmsg(st);
        if (s != PSY_EINVAL && s != PSY_ECONFLICT) {
            cli_error("%s", msg);
            rc = CLI_FAIL;
            break;
        }
        int f = named_field(msg);
        if (!interactive || f < 0 || tries == 20) {
            cli_error("%s", msg);
            rc = CLI_USAGE;
            break;
        }
        /* a rule the questions do not check themselves: ask that one again */
        fprintf(stderr, "  %s; please try again.\n", msg);
        int ended;
        if (f < (int)NFIELDS) {
            ended = ask_field(&in, &fields[f]);
        } else if (f == (int)NFIELDS) {
            ended = ask_admin(&in);
        } else {
            in.s.n_payers = 0;
            ended = ask_payers(&in);
        }
        if (ended) {
            cli_error("init: input ended; nothing was written");
            rc = CLI_USAGE;
        }
    }
    memset(in.password, 0, sizeof in.password);
    if (!rc) {
        printf("practice %lld \"%s\" started with administrator %s (user %lld) and %zu payer%s.\n", (long long)pid,
               in.s.practice.name, in.username, uid, in.s.n_payers, in.s.n_payers == 1 ? "" : "s");
        printf("Sign in at 'psyclaim serve%s%s' with that user name%s.\n", db ? " --db " : "", db ? db : "",
               nprac ? " and this practice" : "");
    }
    psy_store_close(st);
    return rc;
}

const struct cli_command cli_cmd_init = {
    "init", run_init, "start a practice: the practice, its first admin user, its payers",
    "usage: psyclaim init [--db DB]                      (at a terminal: asks for everything)\n"
    "       psyclaim init [--db DB] --name N [--sole-proprietor --first-name F --last-name L] --npi NPI\n"
    "                     --tax-id EIN --address A --city C --state ST\n"
    "                     --zip ZIP+4 [--time-zone TZ] --billing-contact NAME [--billing-phone P]\n"
    "                     [--billing-email E] --admin USER [--admin-password-file FILE]\n"
    "                     [--payer PROFILE:PAYER_ID[:NAME]]... < password\n"
    "       psyclaim init [--db DB] --json FILE|-        (the same fields as JSON)\n\n"
    "Creates a practice, its first administrator and, optionally, its payers, in one transaction: all\n"
    "of it or nothing. On a database that has practices already it adds another one; each practice\n"
    "keeps its own users and records.\n\n"
    "At a terminal (and without --json) it asks for each field, with the value of its flag or a default\n"
    "in brackets, and asks again when an answer is refused, saying why; the password is asked twice,\n"
    "without echo; payers are chosen by number from the built-in profiles. Otherwise nothing is asked:\n"
    "bad or missing input exits 2 with the field named, and the password is the first line of\n"
    "--admin-password-file FILE or of standard input (never a command-line argument).\n\n"
    "  --name N             the practice's legal name, as on claims\n"
    "  --sole-proprietor    the practice is a clinician billing under their own NPI (type 1, individual):\n"
    "                       claims then name that person (--first-name F --last-name L, as NPPES has\n"
    "                       them) as the billing provider; otherwise the practice is an organisation\n"
    "                       (a group, a corporation: a type 2 NPI) named by --name\n"
    "  --npi NPI            the NPI the practice bills under: 10 digits with the check digit\n"
    "  --tax-id EIN         its employer identification number, NN-NNNNNNN\n"
    "  --address A --city C --state ST --zip ZIP+4\n"
    "                       where it is; the ZIP code with its 4 more digits (12345-6789)\n"
    "  --time-zone TZ       an IANA name (default America/Chicago at a terminal): dates people see and\n"
    "                       type are in it\n"
    "  --billing-contact NAME, --billing-phone P, --billing-email E\n"
    "                       the person payers call about claims, with a phone or an e-mail (or both)\n"
    "  --admin USER         the first user's name (role admin; at a terminal the default is admin)\n"
    "  --payer PROFILE:PAYER_ID[:NAME]\n"
    "                       a payer billed under a built-in profile (medicare, example-medicaid,\n"
    "                       example-commercial, default) with its electronic payer id; repeatable\n"
    "  --json FILE|-        a JSON object with name, sole_proprietor (true or false), first_name,\n"
    "                       last_name, npi, tax_id, address, city, state, zip, time_zone,\n"
    "                       billing_contact, billing_phone, billing_email, admin_username,\n"
    "                       admin_password and payers [{\"profile\", \"payer_code\", \"name\"}] (the body of\n"
    "                       POST /api/setup); flags given as well win\n\n"
    "example:\n"
    "  psyclaim init --db /srv/practice.db --name 'Lakeside Counseling LLC' --npi 2123456784 \\\n"
    "    --tax-id 12-3456789 --address '100 Main St' --city Springfield --state IL --zip 62701-1234 \\\n"
    "    --time-zone America/Chicago --billing-contact 'Pat Doe' --billing-phone 217-555-0100 \\\n"
    "    --admin ada --payer medicare:12345 --admin-password-file pw.txt\n"
    "  psyclaim init --db solo.db --name 'Dana Reyes LCSW' --sole-proprietor --first-name Dana \\\n"
    "    --last-name Reyes --npi 1245319599 --tax-id 98-7654321 --address '12 Elm St' --city Urbana \\\n"
    "    --state IL --zip 61801-2345 --billing-contact 'Dana Reyes' --billing-phone 217-555-0142 \\\n"
    "    --admin dana --admin-password-file pw.txt\n",
};
