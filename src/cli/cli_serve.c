/*
 * cli_serve.c -- `psyclaim serve`: runs the web app in the foreground until SIGTERM or SIGINT, then
 * stops accepting, lets running requests finish and closes the database.
 *
 * The signals are blocked before the server's threads start, so they inherit the mask and only this
 * thread takes them, with sigwait.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static int run_serve(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"listen", required_argument, NULL, 'l'},
                                         {"tls-cert", required_argument, NULL, 'c'},
                                         {"tls-key", required_argument, NULL, 'k'},
                                         {"threads", required_argument, NULL, 't'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"trusted-proxy", required_argument, NULL, 'P'},
                                         {"per-address", required_argument, NULL, 'p'},
                                         {"timeout", required_argument, NULL, 'T'},
                                         {NULL, 0, NULL, 0}};
    struct psy_server_config cfg = {0};
    int quiet = 0, o;
    enum { MAX_PROXIES = 16 };
    const char *proxies[MAX_PROXIES];
    size_t nproxies = 0;
    optind = 1;
    while ((o = getopt_long(argc, argv, "d:l:c:k:t:qP:p:T:", opts, NULL)) != -1) {
        switch (o) {
        case 'd': cfg.db_uri = optarg; break;
        case 'l': cfg.listen = optarg; break;
        case 'c': cfg.tls_cert_file = optarg; break;
        case 'k': cfg.tls_key_file = optarg; break;
        case 't': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 256) {
                cli_error("--threads: give a number from 1 to 256");
                return CLI_USAGE;
            }
            cfg.threads = (unsigned)n;
            break;
        }
        case 'p':
        case 'T': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 100000) {
                cli_error("%s: give a number from 1 to 100000", o == 'p' ? "--per-address" : "--timeout");
                return CLI_USAGE;
            }
            if (o == 'p') cfg.per_address = (unsigned)n;
            else cfg.timeout = (unsigned)n;
            break;
        }
        case 'q': quiet = 1; break;
        case 'P':
            if (nproxies == MAX_PROXIES) {
                cli_error("--trusted-proxy: at most %d", MAX_PROXIES);
                return CLI_USAGE;
            }
            proxies[nproxies++] = optarg;
            break;
        default: fputs(cli_cmd_serve.usage, stderr); return CLI_USAGE;
        }
    }
    if (optind != argc) {
        cli_error("serve: unexpected argument '%s' (see 'psyclaim serve --help')", argv[optind]);
        return CLI_USAGE;
    }
    if (!cfg.tls_cert_file != !cfg.tls_key_file) {
        cli_error("serve: --tls-cert and --tls-key go together");
        return CLI_USAGE;
    }
    cfg.access_log = quiet ? NULL : stderr;
    cfg.trusted_proxies = proxies;
    cfg.ntrusted_proxies = nproxies;

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    psy_server *srv;
    char err[600];
    psy_status rc = psy_server_start(&cfg, &srv, err, sizeof err);
    if (rc) {
        cli_error("%s", err);
        return rc == PSY_EINVAL ? CLI_USAGE : CLI_FAIL;
    }
    const char *listen = cfg.listen ? cfg.listen : PSY_SERVER_LISTEN_DEFAULT;
    char host[300];
    snprintf(host, sizeof host, "%s", listen);
    char *colon = strrchr(host, ':');
    if (colon) *colon = 0;
    printf("psyclaim %s serving %s://%s:%u/ (database %s); stop with Ctrl-C\n", psy_version(),
           psy_server_tls(srv) ? "https" : "http", host, psy_server_port(srv),
           cfg.db_uri ? cfg.db_uri : psy_store_default_uri());
    fflush(stdout);

    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "psyclaim: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    psy_server_stop(srv);
    return CLI_OK;
}

const struct cli_command cli_cmd_serve = {
    "serve", run_serve, "run the web app (JSON API and pages)",
    "usage: psyclaim serve [--db PATH] [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE]\n"
    "                      [--threads N] [--per-address N] [--timeout S] [--quiet]\n"
    "                      [--trusted-proxy ADDR]...\n\n"
    "Serves the web app: the pages at / and the JSON API under /api/ (docs/api.yaml). Runs in the\n"
    "foreground until SIGTERM or Ctrl-C, then stops accepting, gives the requests that have fully\n"
    "arrived up to ten seconds to be answered (a request still arriving is not waited for), and stops.\n\n"
    "  --db PATH          database (default $PSYCLAIM_DB or ./psyclaim.db)\n"
    "  --listen ADDR:PORT address to listen on (default " PSY_SERVER_LISTEN_DEFAULT "); [::1]:8080 for IPv6;\n"
    "                     port 0 picks a free port, printed at start\n"
    "  --tls-cert FILE    PEM certificate chain; with --tls-key serves HTTPS only and marks the\n"
    "  --tls-key FILE     session cookie Secure\n"
    "  --threads N        worker threads (default: one per CPU, at least 2)\n"
    "  --per-address N    open connections one client address may hold (default 64; behind a proxy\n"
    "                     every connection comes from the proxy: raise it to the proxy's own limit)\n"
    "  --timeout S        close a connection silent for S seconds (default 15)\n"
    "  --quiet            no access log (by default one line per request on stderr: time, method,\n"
    "                     route pattern, status, milliseconds; never ids or query strings)\n"
    "  --trusted-proxy ADDR  the address of a reverse proxy in front (repeatable, up to 16): only\n"
    "                     for requests from it is the client address read from X-Forwarded-For\n"
    "                     (sign-in throttling and the audit trail); otherwise that header is ignored\n\n"
    "Users are added with 'psyclaim user add'. See docs/web.md.\n",
};
