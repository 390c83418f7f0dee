/*
 * cli_main.c -- the psyclaim command: the table of subcommands, global options and help.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "cli.h"

static const struct cli_command *const commands[] = {
    &cli_cmd_init,
    &cli_cmd_show,
    &cli_cmd_search,
    &cli_cmd_import,
    &cli_cmd_serve,
    &cli_cmd_user,
    &cli_cmd_code_session,
    &cli_cmd_era,
    &cli_cmd_ack,
    &cli_cmd_suspense,
    &cli_cmd_claims,
    &cli_cmd_cms1500,
    &cli_cmd_superbill,
    &cli_cmd_ledger,
    &cli_cmd_payment,
    &cli_cmd_refund,
    &cli_cmd_adjust,
    &cli_cmd_statements,
    &cli_cmd_aging,
    &cli_cmd_close,
    &cli_cmd_x12,
    &cli_cmd_eligibility,
    &cli_cmd_demo,
    &cli_cmd_audit,
    &cli_cmd_clinician,
    &cli_cmd_payer,
    &cli_cmd_client,
    &cli_cmd_policy,
    &cli_cmd_auth,
    &cli_cmd_plan,
    &cli_cmd_group,
    &cli_cmd_session,
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

const struct cli_command *cli_find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0) return commands[i];
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: psyclaim [--version] [--help] COMMAND [ARGS]\n\n"
                 "psyclaim takes a psychotherapy practice from \"which code is this?\" to \"the payer paid\".\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++) fprintf(out, "  %-14s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "\nRun 'psyclaim COMMAND --help' for a command's options.\n"
                 "The database is --db DB (a SQLite file PATH or sqlite:PATH, or postgres://USER@HOST/NAME),\n"
                 "else $PSYCLAIM_DB, else ./psyclaim.db.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") || !strcmp(cmd, "version")) {
        printf("psyclaim %s\n", psy_version());
        return CLI_OK;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(cmd, "help")) {
        const struct cli_command *c = argc > 2 ? cli_find(argv[2]) : NULL;
        if (argc > 2 && !c) {
            cli_error("no command '%s'; run 'psyclaim --help' for the list", argv[2]);
            return CLI_USAGE;
        }
        if (c) fputs(c->usage, stdout);
        else usage(stdout);
        return CLI_OK;
    }
    const struct cli_command *c = cli_find(cmd);
    if (!c) {
        cli_error("no command '%s'; run 'psyclaim --help' for the list", cmd);
        return CLI_USAGE;
    }
    if (cli_wants_help(argc - 1, argv + 1, c)) return CLI_OK;
    return c->run(argc - 1, argv + 1);
}
