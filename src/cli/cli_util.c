/*
 * cli_util.c -- helpers the commands share: errors, opening the store (on one practice), reading a
 * secret, wrapped text and help, whole-number options, the options of the billing commands, the input
 * of the X12 commands, printing JSON and writing a file.
 */
#include <errno.h>
#include <stdarg.h>
#include <termios.h>
#include <unistd.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* --- progress of long work --------------------------------------------------------------------------- */

struct cli_progress {
    int pct;
    char what[40];
};

static void on_progress(void *ud, const char *what, long long done, long long total)
{
    struct cli_progress *p = ud;
    int pct = total > 0 ? (int)(done * 100 / total) : 100;
    if (pct == p->pct && !strcmp(p->what, what)) return;
    snprintf(p->what, sizeof p->what, "%s", what);
    p->pct = pct;
    int bar = pct * 30 / 100;
    fprintf(stderr, "\r  %-12s [%.*s%*s] %3d%%", what, bar, "##############################", 30 - bar, "", pct);
    if (done >= total) {
        fputc('\n', stderr);
        p->pct = -1;
    }
    fflush(stderr);
}

static struct cli_progress progress = {-1, ""}; /* pct -1: no bar drawn, or the last one ended */

void cli_progress_on(psy_store *st)
{
    if (isatty(2)) psy_store_set_progress(st, on_progress, &progress);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    if (progress.pct >= 0) { /* a bar cut short by the failure: the message on a line of its own */
        fputc('\n', stderr);
        progress.pct = -1;
    }
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

/* Parses a positive integer option; prints the error and returns 0 when it is not one. */
int cli_int_arg(const char *opt, const char *v, long max, long *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < 0 || n > max) {
        cli_error("%s: a whole number from 0 to %ld", opt, max);
        return 0;
    }
    *out = n;
    return 1;
}

/* The practice a command works on: the one given, else the only one in the store. */
static int pick_practice(psy_store *st, long given, psy_id *out)
{
    psy_id *ids;
    size_t n;
    if (psy_records_practice_list(st, &ids, &n)) {
        cli_error("%s", psy_store_errmsg(st));
        return 0;
    }
    int ok = 0;
    if (given) {
        for (size_t i = 0; i < n; i++) ok |= ids[i] == given;
        if (!ok) cli_error("--practice: no practice %ld in this database", given);
        *out = given;
    } else if (n == 1) {
        *out = ids[0];
        ok = 1;
    } else if (n == 0) {
        cli_error("the database has no practice yet (try 'psyclaim demo-data')");
    } else {
        cli_error("the database has %zu practices; choose one with --practice ID", n);
    }
    free(ids);
    return ok;
}

/* Opens the store and picks the practice; NULL (the reason printed) on failure. */
psy_store *cli_open_practice(const char *db, long practice, psy_id *pid)
{
    psy_store *st = cli_open_store(db);
    if (st && !pick_practice(st, practice, pid)) {
        psy_store_close(st);
        st = NULL;
    }
    return st;
}

/* Prints a JSON value and releases it. */
void cli_print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    puts(s);
    free(s);
    json_decref(j);
}

/* Parses the options every billing command shares; returns 0 (usage printed) on a bad one. */
int cli_bopts_parse(int argc, char **argv, const struct cli_command *cmd, struct cli_bopts *b)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},     {"practice", required_argument, NULL, 'p'},
                                         {"from", required_argument, NULL, 'f'},   {"to", required_argument, NULL, 't'},
                                         {"status", required_argument, NULL, 's'}, {"payer", required_argument, NULL, 'P'},
                                         {"out", required_argument, NULL, 'o'},    {"month", required_argument, NULL, 'm'},
                                         {"json", no_argument, NULL, 'j'},         {"phone", required_argument, NULL, 'h'},
                                         {"within", required_argument, NULL, 'w'}, {"force-late", no_argument, NULL, 'L'},
                                         {"reason", required_argument, NULL, 'r'}, {"date", required_argument, NULL, 'D'},
                                         {"policy", required_argument, NULL, 'y'}, {NULL, 0, NULL, 0}};
    memset(b, 0, sizeof *b);
    b->within = -1;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "d:p:f:t:s:P:o:m:jh:w:Lr:D:y:", opts, NULL)) != -1) {
        switch (o) {
        case 'd': b->db = optarg; break;
        case 'p':
            if (!cli_int_arg("--practice", optarg, 1L << 40, &b->practice)) return 0;
            break;
        case 'f': b->from = optarg; break;
        case 't': b->to = optarg; break;
        case 's': b->status = optarg; break;
        case 'P': b->payer = optarg; break;
        case 'o': b->out = optarg; break;
        case 'm': b->month = optarg; break;
        case 'j': b->json = 1; break;
        case 'h': b->phone = optarg; break;
        case 'w':
            if (!cli_int_arg("--within", optarg, 3650, &b->within)) return 0;
            break;
        case 'L': b->force_late = 1; break;
        case 'r': b->reason = optarg; break;
        case 'D': b->date = optarg; break;
        case 'y': b->policy = optarg; break;
        default: fputs(cmd->usage, stderr); return 0;
        }
    }
    return 1;
}

char *cli_read_all(const char *cmd, const char *path, size_t *len)
{
    FILE *f = !strcmp(path, "-") ? stdin : fopen(path, "rb");
    if (!f) {
        cli_error("%s%scannot read %s: %s", cmd ? cmd : "", cmd ? ": " : "", path, strerror(errno));
        return NULL;
    }
    char *data = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (n + 1 >= cap) data = psy_realloc(data, cap = cap ? 2 * cap : 65536);
        got = fread(data + n, 1, cap - n - 1, f);
        n += got;
    } while (got && n < PSY_X12_DEFAULT_MAX_INPUT);
    int bad = ferror(f);
    if (f != stdin) fclose(f);
    if (bad) {
        cli_error("%s%scannot read %s", cmd ? cmd : "", cmd ? ": " : "", path);
        free(data);
        return NULL;
    }
    data[n] = 0;
    *len = n;
    return data;
}

int cli_write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
        cli_error("--out: cannot write %s: %s", path, strerror(errno));
        if (f) fclose(f);
        return 0;
    }
    return 1;
}

/* Parses --max-bytes; 0 on a bad value. */
static size_t max_bytes_arg(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || !v || v > (1ULL << 40)) return 0;
    return (size_t)v;
}

/* Parses the arguments after the command name and opens the input. Returns -1 when the command should
 * go on (close with cli_x12_input_close), else the exit status. */
int cli_x12_input_open(int argc, char **argv, const struct cli_command *cmd, const char *action, struct cli_x12_input *in)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"max-bytes", required_argument, NULL, 'm'},
                                         {NULL, 0, NULL, 0}};
    memset(in, 0, sizeof *in);
    if (argc < 2 || strcmp(argv[1], action)) {
        cli_error("%s: the only action is '%s' (see 'psyclaim %s --help')", cmd->name, action, cmd->name);
        return CLI_USAGE;
    }
    int o;
    size_t max = 0;
    optind = 1;
    while ((o = getopt_long(argc - 1, argv + 1, "jm:", opts, NULL)) != -1) {
        switch (o) {
        case 'j': in->json = 1; break;
        case 'm':
            if (!(max = max_bytes_arg(optarg))) {
                cli_error("--max-bytes: '%s' is not a positive number of bytes", optarg);
                return CLI_USAGE;
            }
            break;
        default: fputs(cmd->usage, stderr); return CLI_USAGE;
        }
    }
    if (optind != argc - 2) {
        cli_error("%s %s: give one FILE (see 'psyclaim %s --help')", cmd->name, action, cmd->name);
        return CLI_USAGE;
    }
    in->path = argv[optind + 1];
    in->f = !strcmp(in->path, "-") ? stdin : fopen(in->path, "rb");
    if (!in->f) {
        cli_error("%s %s: cannot read %s: %s", cmd->name, action, in->path, strerror(errno));
        return CLI_FAIL;
    }
    in->r = psy_x12_reader_file(in->f, max);
    return -1;
}

void cli_x12_input_close(struct cli_x12_input *in)
{
    psy_x12_reader_free(in->r);
    if (in->f && in->f != stdin) fclose(in->f);
}

