/*
 * cli.h -- shared pieces of the psyclaim command: the command table entry and helpers every command
 * uses (opening the database, printing errors). The CLI uses libpsyclaim's public API only.
 */
#ifndef PSY_CLI_H
#define PSY_CLI_H

#include <jansson.h>
#include <stdio.h>
#include <psyclaim/psyclaim.h>

struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
    const char *summary;
    const char *usage; /* full help text */
};

/* Exit codes shared by every command. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Prints "psyclaim: <message>" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Opens the database (uri NULL = default) and makes sure the built-in catalog is in it. On failure
 * prints the reason and returns NULL. */
psy_store *cli_open_store(const char *uri);

/* Prints text wrapped at 78 columns to stdout; the first line starts after lead, later ones after indent. */
void cli_wrap(const char *lead, const char *indent, const char *text);

/* Prints a command's help when argv has --help/-h; returns 1 when it did. */
int cli_wants_help(int argc, char **argv, const struct cli_command *cmd);

/* Reads one line from stdin into buf without its line end; at a terminal, prints prompt to stderr and
 * reads without echo. Returns 0, or -1 at end of input or when the line is longer than the buffer. */
int cli_read_secret(const char *prompt, char *buf, size_t len);

const struct cli_command *cli_find(const char *name);

/* cli_util.c: parses a whole number option from 0 to max; prints the error naming opt and returns 0 when it is not one. */
int cli_int_arg(const char *opt, const char *v, long max, long *out);

/* Opens the store and picks the practice (the one given, else the only one); NULL (the reason
 * printed) on failure. */
psy_store *cli_open_practice(const char *db, long practice, psy_id *pid);

/* `psyclaim import clients FILE.csv` (cli_edit.c), reached through `psyclaim import`. */
int cli_import_clients(int argc, char **argv);

/* `psyclaim session add|sign` (cli_records.c, after the options of `session`). */
int cli_session_write(int argc, char **argv);

/* --- cli_util.c ------------------------------------------------------------------------------ */

/* Prints a JSON value (indented, keys in order) and releases it. */
void cli_print_json(json_t *j);

/* Writes data to path; prints the error naming --out and returns 0 when it cannot. */
int cli_write_file(const char *path, const char *data, size_t len);

/* The whole of a file ('-' = standard input) up to PSY_X12_DEFAULT_MAX_INPUT bytes, in a new buffer
 * (free it; NUL-terminated, *len without the NUL); NULL with "cmd: cannot read PATH: why" on stderr
 * when it cannot be read (cmd may be NULL). */
char *cli_read_all(const char *cmd, const char *path, size_t *len);

/* A progress bar on stderr for the long work st does next (a claims build, a scrub, demo data), when
 * stderr is a terminal. */
void cli_progress_on(psy_store *st);

/* The options the billing commands share (claims, cms1500, superbill, era post). */
struct cli_bopts {
    const char *db, *from, *to, *status, *payer, *out, *month, *phone, *reason, *date, *policy;
    long practice, within; /* within: -1 = not given */
    int json, force_late;
};
/* Parses them; returns 0 (usage printed) on a bad one. */
int cli_bopts_parse(int argc, char **argv, const struct cli_command *cmd, struct cli_bopts *b);

/* The input of a command: "ACTION [--json] [--max-bytes N] FILE" parsed, FILE opened, a reader on it. */
struct cli_x12_input {
    int json;
    const char *path;
    FILE *f;
    psy_x12_reader *r;
};
/* Parses "ACTION [--json] [--max-bytes N] FILE" after the command name and opens the input. Returns -1
 * when the command should go on (close with cli_x12_input_close), else the exit status. */
int cli_x12_input_open(int argc, char **argv, const struct cli_command *cmd, const char *action,
                       struct cli_x12_input *in);
void cli_x12_input_close(struct cli_x12_input *in);
/* Prints the answers of a 271 reading ({"answers": [...]}, psy_billing_eligibility_read) for the front desk. */
void cli_elig_print(const char *doc);

/* The commands, one per file. */
extern const struct cli_command cli_cmd_show, cli_cmd_import, cli_cmd_search, cli_cmd_serve,
    cli_cmd_user, cli_cmd_code_session, cli_cmd_era, cli_cmd_x12, cli_cmd_audit, cli_cmd_demo,
    cli_cmd_session, cli_cmd_claims, cli_cmd_cms1500, cli_cmd_superbill, cli_cmd_init, cli_cmd_ack, cli_cmd_suspense,
    cli_cmd_eligibility;
/* The client ledger (cli_ledger.c). */
extern const struct cli_command cli_cmd_ledger, cli_cmd_payment, cli_cmd_refund, cli_cmd_adjust, cli_cmd_statements,
    cli_cmd_aging, cli_cmd_close;
/* The record commands (cli_edit.c); their help is built from their field tables at start-up. */
extern struct cli_command cli_cmd_clinician, cli_cmd_payer, cli_cmd_client, cli_cmd_policy, cli_cmd_auth, cli_cmd_plan,
    cli_cmd_group;

#endif
