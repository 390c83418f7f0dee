/*
 * psy_server.h -- the web app's HTTP server: a JSON API under /api/ and the embedded pages of web/, on
 * libmicrohttpd with a thread pool, optionally over TLS.
 *
 * The server is built on the public library API only (src/server/, linked as libpsyclaim_server). It
 * can run inside any program: tests start it on an ephemeral port (listen "127.0.0.1:0") and ask for
 * the port with psy_server_port. See docs/web.md and docs/api.yaml.
 */
#ifndef PSY_SERVER_H
#define PSY_SERVER_H

#include <stdio.h>
#include "psyclaim.h"
#include "psy_auth.h"

typedef struct psy_server psy_server;

#define PSY_SERVER_LISTEN_DEFAULT "127.0.0.1:8080"
#define PSY_SERVER_MAX_BODY (1024 * 1024) /* request bodies above this are refused with 413 */
#define PSY_SERVER_PER_ADDRESS 64           /* open connections one client address may hold */
#define PSY_SERVER_TIMEOUT 15               /* seconds a connection may stay silent before it is closed */

struct psy_server_config {
    const char *db_uri;        /* NULL = psy_store_default_uri() */
    const char *listen;        /* "ADDR:PORT" or "[V6ADDR]:PORT"; NULL = PSY_SERVER_LISTEN_DEFAULT;
                                  port 0 = any free port */
    const char *tls_cert_file; /* PEM; with tls_key_file serves HTTPS only */
    const char *tls_key_file;
    unsigned threads;          /* worker threads; 0 = one per CPU, at least 2 */
    size_t max_body;           /* 0 = PSY_SERVER_MAX_BODY */
    unsigned per_address;      /* open connections per client address; 0 = PSY_SERVER_PER_ADDRESS */
    unsigned timeout;          /* seconds of silence before a connection is closed; 0 = PSY_SERVER_TIMEOUT */
    FILE *access_log;          /* one line per request; NULL = none. Never carries patient data. */
    const struct psy_auth_policy *policy; /* NULL = psy_auth_policy_init; copied at start */
    /* Addresses of reverse proxies (TLS terminators) in front of the server. Only for a request whose
     * peer is one of them is the client address taken from X-Forwarded-For: the right-most entry that
     * is not itself a trusted proxy. Without them X-Forwarded-For is ignored. */
    const char *const *trusted_proxies;
    size_t ntrusted_proxies;
    const char *note_templates_dir; /* a practice's own note templates (*.json); NULL = $PSYCLAIM_NOTE_TEMPLATES */
};

/* Opens the database (migrating and seeding the built-in catalog as needed) and starts serving.
 * On failure *out is NULL and err holds the reason (bad listen address, port in use, unreadable
 * certificate, database error). */
psy_status psy_server_start(const struct psy_server_config *cfg, psy_server **out, char *err, size_t errlen);

/* The TCP port the server listens on (useful after asking for port 0). */
unsigned psy_server_port(const psy_server *srv);

/* 1 when the server speaks TLS. */
int psy_server_tls(const psy_server *srv);

/* Stops accepting connections, lets running requests finish, closes the database; accepts NULL. */
void psy_server_stop(psy_server *srv);

#endif
