/*
 * cli_user.c -- `psyclaim user`: the people who may sign in to the web app (add, list, passwd,
 * disable, enable, totp-reset). `add` checks its practice and clinician against the store.
 *
 * Passwords are read from standard input, never from the command line, where other users of the
 * machine could see them: from a terminal it asks twice without echo, otherwise it reads one line.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

/* The new password, from stdin (twice at a terminal). Returns 0 or prints why not and returns -1. */
static int read_password(char *pw, size_t len)
{
    if (cli_read_secret("Password: ", pw, len)) {
        cli_error("no password on standard input (one line, %d to %d bytes)", PSY_PASSWORD_MIN,
                  PSY_PASSWORD_MAX);
        return -1;
    }
    if (isatty(0)) {
        char again[PSY_PASSWORD_MAX + 2];
        int differ = cli_read_secret("Again: ", again, sizeof again) || strcmp(pw, again) != 0;
        memset(again, 0, sizeof again);
        if (differ) {
            cli_error("the two passwords differ");
            return -1;
        }
    }
    return 0;
}

static int parse_id(const char *opt, const char *v, long long *out)
{
    char *end;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || n <= 0) {
        cli_error("%s: give a positive whole number, not '%s'", opt, v);
        return -1;
    }
    *out = n;
    return 0;
}

/* Finds a user by name, in one practice or (practice 0) in the only practice that has the name. */
static int find_user(psy_store *st, long long practice, const char *username, struct psy_user *out)
{
    char name[PSY_USERNAME_MAX];
    if (psy_auth_username_normalize(username, name)) {
        cli_error("--username: 1 to 64 characters of letters, digits and . _ - @");
        return CLI_USAGE;
    }
    struct psy_user *users;
    size_t n, hits = 0;
    if (psy_auth_user_list(st, practice, &users, &n)) {
        cli_error("%s", psy_store_errmsg(st));
        return CLI_FAIL;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(users[i].username, name) == 0 && hits++ == 0) *out = users[i];
    free(users);
    if (hits == 1) return CLI_OK;
    if (hits == 0) cli_error("no user '%s'%s", name, practice ? " in that practice" : "");
    else cli_error("several practices have a user '%s': give --practice", name);
    return CLI_FAIL;
}

struct user_opts {
    const char *db, *username, *role;
    long long practice, clinician;
};

/* Parses the options every user subcommand shares. Returns CLI_OK or an exit status. */
static int parse_opts(int argc, char **argv, const char *allowed, struct user_opts *o)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"username", required_argument, NULL, 'u'},
                                         {"role", required_argument, NULL, 'r'},
                                         {"practice", required_argument, NULL, 'p'},
                                         {"clinician", required_argument, NULL, 'c'},
                                         {NULL, 0, NULL, 0}};
    int c;
    memset(o, 0, sizeof *o);
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:u:r:p:c:", opts, NULL)) != -1) {
        if (c == '?' || !strchr(allowed, c)) {
            if (c != '?') cli_error("user %s: option not taken here (see 'psyclaim user --help')", argv[0]);
            return CLI_USAGE;
        }
        switch (c) {
        case 'd': o->db = optarg; break;
        case 'u': o->username = optarg; break;
        case 'r': o->role = optarg; break;
        case 'p':
            if (parse_id("--practice", optarg, &o->practice)) return CLI_USAGE;
            break;
        case 'c':
            if (parse_id("--clinician", optarg, &o->clinician)) return CLI_USAGE;
            break;
        }
    }
    if (optind != argc) {
        cli_error("user %s: unexpected argument '%s' (passwords are read from standard input)", argv[0],
                  argv[optind]);
        return CLI_USAGE;
    }
    if (strchr(allowed, 'u') && !o->username) {
        cli_error("user %s: --username is required", argv[0]);
        return CLI_USAGE;
    }
    return CLI_OK;
}

static int user_add(int argc, char **argv)
{
    struct user_opts o;
    int rc = parse_opts(argc, argv, "durpc", &o);
    if (rc) return rc;
    struct psy_user u = {0};
    u.practice_id = o.practice ? o.practice : 1;
    u.clinician_id = o.clinician;
    u.active = 1;
    if (!o.role || psy_auth_role_parse(o.role, &u.role)) {
        cli_error("user add: --role must be admin, clinician or biller");
        return CLI_USAGE;
    }
    if (psy_auth_username_normalize(o.username, u.username)) {
        cli_error("--username: 1 to 64 characters of letters, digits and . _ - @");
        return CLI_USAGE;
    }
    if (u.clinician_id && u.role != PSY_ROLE_CLINICIAN) {
        cli_error("--clinician: only a clinician user has a clinician id");
        return CLI_USAGE;
    }
    char pw[PSY_PASSWORD_MAX + 2];
    if (read_password(pw, sizeof pw)) return CLI_USAGE;
    psy_store *st = cli_open_store(o.db);
    if (!st) {
        memset(pw, 0, sizeof pw);
        return CLI_FAIL;
    }
    /* the practice and the clinician must exist, and the clinician must be the practice's */
    struct psy_practice pr;
    struct psy_clinician cl;
    psy_status chk = psy_records_practice_get(st, u.practice_id, &pr);
    if (chk == PSY_ENOTFOUND) {
        cli_error("--practice %lld: no such practice in this database%s", u.practice_id,
                  o.practice ? "" : "; the default is 1");
    } else if (!chk && u.clinician_id &&
               (chk = psy_records_clinician_get(st, u.practice_id, u.clinician_id, &cl)) == PSY_ENOTFOUND) {
        cli_error("--clinician %lld: practice %lld has no such clinician", u.clinician_id, u.practice_id);
    } else if (chk) {
        cli_error("%s", psy_store_errmsg(st));
    }
    if (chk) {
        memset(pw, 0, sizeof pw);
        psy_store_close(st);
        return chk == PSY_ENOTFOUND ? CLI_USAGE : CLI_FAIL;
    }
    long long id;
    psy_status s = psy_auth_user_add(st, NULL, &u, pw, &id);
    memset(pw, 0, sizeof pw);
    if (s) {
        cli_error("%s", psy_store_errmsg(st));
        psy_store_close(st);
        return s == PSY_EINVAL ? CLI_USAGE : CLI_FAIL;
    }
    printf("added user %s (id %lld, %s, practice %lld)\n", u.username, id, psy_auth_role_name(u.role),
           u.practice_id);
    psy_store_close(st);
    return CLI_OK;
}

static int user_list(int argc, char **argv)
{
    struct user_opts o;
    int rc = parse_opts(argc, argv, "dp", &o);
    if (rc) return rc;
    psy_store *st = cli_open_store(o.db);
    if (!st) return CLI_FAIL;
    struct psy_user *users;
    size_t n;
    if (psy_auth_user_list(st, o.practice, &users, &n)) {
        cli_error("%s", psy_store_errmsg(st));
        psy_store_close(st);
        return CLI_FAIL;
    }
    printf("%-6s %-9s %-24s %-10s %-10s %-8s %s\n", "id", "practice", "username", "role", "clinician", "active",
           "created");
    for (size_t i = 0; i < n; i++) {
        char clin[24] = "-";
        if (users[i].clinician_id) snprintf(clin, sizeof clin, "%lld", users[i].clinician_id);
        printf("%-6lld %-9lld %-24s %-10s %-10s %-8s %s\n", users[i].id, users[i].practice_id, users[i].username,
               psy_auth_role_name(users[i].role), clin, users[i].active ? "yes" : "no", users[i].created_at);
    }
    free(users);
    psy_store_close(st);
    return CLI_OK;
}

/* passwd, disable, enable: one existing user. */
static int user_change(int argc, char **argv)
{
    struct user_opts o;
    int rc = parse_opts(argc, argv, "dup", &o);
    if (rc) return rc;
    int passwd = strcmp(argv[0], "passwd") == 0, totp = strcmp(argv[0], "totp-reset") == 0;
    char pw[PSY_PASSWORD_MAX + 2] = "";
    if (passwd && read_password(pw, sizeof pw)) return CLI_USAGE;
    psy_store *st = cli_open_store(o.db);
    if (!st) return CLI_FAIL;
    struct psy_user u;
    rc = find_user(st, o.practice, o.username, &u);
    if (!rc) {
        psy_status s = passwd ? psy_auth_user_set_password(st, NULL, u.id, pw)
                       : totp ? psy_auth_totp_reset(st, u.id)
                              : psy_auth_user_set_active(st, u.id, strcmp(argv[0], "enable") == 0);
        if (s) {
            cli_error("%s", psy_store_errmsg(st));
            rc = s == PSY_EINVAL ? CLI_USAGE : CLI_FAIL;
        } else {
            printf("%s: %s%s\n", u.username,
                   passwd ? "password changed"
                   : totp ? "second factor removed (they may set up a new one at sign-in)"
                   : strcmp(argv[0], "enable") == 0 ? "enabled" : "disabled",
                   passwd || totp || strcmp(argv[0], "enable") ? "; their sessions are ended" : "");
        }
    }
    memset(pw, 0, sizeof pw);
    psy_store_close(st);
    return rc;
}

static int run_user(int argc, char **argv)
{
    static const struct { const char *name; int (*fn)(int, char **); } subs[] = {
        {"add", user_add}, {"list", user_list}, {"passwd", user_change},
        {"disable", user_change}, {"enable", user_change}, {"totp-reset", user_change},
    };
    if (argc < 2) {
        fputs(cli_cmd_user.usage, stderr);
        return CLI_USAGE;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(argv[1], subs[i].name) == 0) return subs[i].fn(argc - 1, argv + 1);
    cli_error("user: no subcommand '%s' (add, list, passwd, disable, enable, totp-reset)", argv[1]);
    return CLI_USAGE;
}

const struct cli_command cli_cmd_user = {
    "user", run_user, "manage who may sign in to the web app",
    "usage: psyclaim user add     [--db PATH] --username U --role R [--practice ID] [--clinician ID]\n"
    "       psyclaim user list    [--db PATH] [--practice ID]\n"
    "       psyclaim user passwd  [--db PATH] --username U [--practice ID]\n"
    "       psyclaim user disable [--db PATH] --username U [--practice ID]\n"
    "       psyclaim user enable  [--db PATH] --username U [--practice ID]\n"
    "       psyclaim user totp-reset [--db PATH] --username U [--practice ID]\n\n"
    "The password is read from standard input (asked twice, without echo, at a terminal); it is\n"
    "never taken from the command line. It must be 8 to 1024 bytes.\n\n"
    "  --username U     1 to 64 characters of letters, digits and . _ - @ (stored in lower case)\n"
    "  --role R         admin (everything, the audit trail), clinician (own clients and notes) or\n"
    "                   biller (claims, no note text)\n"
    "  --practice ID    the practice the user belongs to (default 1; list: every practice); add\n"
    "                   refuses a practice the database does not have\n"
    "  --clinician ID   for a clinician: the clinician record they act as (one of the practice's)\n\n"
    "passwd, disable and totp-reset end the user's sessions at once. totp-reset removes a user's\n"
    "two-factor sign-in (a lost phone, or an admin locked out); they set up a new one in the web app.\n\n"
    "examples:\n"
    "  psyclaim user add --username ada --role admin < pwfile\n"
    "  printf '%s\\n' \"$PW\" | psyclaim user add --username sam --role clinician --clinician 3\n",
};
