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
    &cli_cmd_claims,
    &cli_cmd_cms1500,
    &cli_cmd_superbill,
    &cli_cmd_x12,
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

int cli_read_secret(const char *prompt, char *buf, size_t len)
{
    int tty = isatty(0);
    struct termios old, quiet;
    if (tty) { /* echo off before the prompt, so that nothing typed after the prompt is echoed or lost */
        tcgetattr(0, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(0, TCSAFLUSH, &quiet);
        fputs(prompt, stderr);
        fflush(stderr);
    }
    char *got = fgets(buf, (int)len, stdin);
    if (tty) {
        tcsetattr(0, TCSADRAIN, &old);
        fputc('\n', stderr);
    }
    if (!got) return -1;
    size_t n = strlen(buf);
    if (n && buf[n - 1] != '\n' && !feof(stdin)) return -1; /* longer than the buffer */
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
    return 0;
}

/* Prints text wrapped at 78 columns; the first line starts after lead, later ones after indent. */
void cli_wrap(const char *lead, const char *indent, const char *text)
{
    size_t col = strlen(lead), width = 78;
    fputs(lead, stdout);
    const char *p = text;
    int first = 1;
    while (*p) {
        while (*p == ' ') p++;
        const char *w = p;
        while (*p && *p != ' ' && *p != '\n') p++;
        size_t len = (size_t)(p - w);
        if (!len) {
            if (*p == '\n') p++;
            continue;
        }
        if (!first && col + 1 + len > width) {
            fputc('\n', stdout);
            fputs(indent, stdout);
            col = strlen(indent);
        } else if (!first) {
            fputc(' ', stdout);
            col++;
        }
        fwrite(w, 1, len, stdout);
        col += len;
        first = 0;
    }
    fputc('\n', stdout);
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
