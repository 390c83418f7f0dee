/*
 * cli_main.c -- the psyclaim command: the table of subcommands, global options and help.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const struct cli_command *const commands[] = {
    &cli_cmd_show,
    &cli_cmd_search,
    &cli_cmd_import,
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("psyclaim: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

psy_store *cli_open_store(const char *uri)
{
    psy_store *st;
    char err[600];
    if (psy_store_open(uri, &st, err, sizeof err)) {
        cli_error("%s", err);
        return NULL;
    }
    if (psy_catalog_seed(st)) {
        cli_error("%s", psy_store_errmsg(st));
        psy_store_close(st);
        return NULL;
    }
    return st;
}

const struct cli_command *cli_find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0) return commands[i];
    return NULL;
}

int cli_wants_help(int argc, char **argv, const struct cli_command *cmd)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(cmd->usage, stdout);
            return 1;
        }
    }
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: psyclaim [--version] [--help] COMMAND [ARGS]\n\n"
                 "psyclaim takes a psychotherapy practice from \"which code is this?\" to \"the payer paid\".\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++) fprintf(out, "  %-14s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "\nRun 'psyclaim COMMAND --help' for a command's options.\n"
                 "The database is --db PATH, else $PSYCLAIM_DB, else ./psyclaim.db.\n");
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
