/*
 * srv_main.c -- the server's life and its libmicrohttpd glue: configuration, the listening address,
 * TLS, the pool of store handles, reading capped request bodies, sending responses and the access log.
 *
 * libmicrohttpd calls the access handler several times per request: once when the headers are in
 * (a request record is made; a declared body over the cap is refused at once with 413), once per
 * chunk of body (appended up to the cap; beyond it the rest is read and dropped), and once at the end,
 * when the request is dispatched. The completion callback writes the access-log line and frees the
 * record. Each request borrows one store handle from the pool for its duration, because a handle is
 * used by one thread at a time. On SQLite a thread of its own checkpoints the write-ahead log every
 * SRV_CHECKPOINT_MS (the pool's handles never do), so no request waits for that copy and its sync. The coding engine and the search index are made once at start and
 * shared: they are read-only.
 *
 * Answers libmicrohttpd makes itself (400 for a malformed request, 414 and 431 when the request line or
 * headers do not fit the connection's memory, 505, ...) never reach the access handler; they pass
 * through MHD_queue_response, which this file defines over the library's own (see there), so they
 * too are JSON errors with the security headers. Paths are taken in one form only: the raw URI is
 * looked at before libmicrohttpd decodes it, and a path with a percent escape or an empty, "." or ".."
 * segment answers 404.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include "srv_int.h"

/* --- the store pool ------------------------------------------------------------------------------ */

psy_store *srv_store_get(psy_server *srv)
{
    psy_store *st = NULL;
    pthread_mutex_lock(&srv->pool_mu);
    if (srv->npool) st = srv->pool[--srv->npool];
    pthread_mutex_unlock(&srv->pool_mu);
    if (!st) {
        if (psy_store_open(srv->db_uri, &st, NULL, 0) != PSY_OK) return NULL;
        if (srv->ckpt_running) psy_store_defer_checkpoints(st); /* the checkpointer does it */
    }
    return st;
}

/* The checkpointer's thread: a handle of its own, a passive checkpoint every SRV_CHECKPOINT_MS until
 * the server stops, and a last one then. */
static void *checkpointer(void *arg)
{
    psy_server *srv = arg;
    psy_store *st = NULL;
    pthread_mutex_lock(&srv->ckpt_mu);
    while (!srv->ckpt_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += SRV_CHECKPOINT_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&srv->ckpt_cv, &srv->ckpt_mu, &until);
        int stop = srv->ckpt_stop;
        pthread_mutex_unlock(&srv->ckpt_mu);
        if (!st && psy_store_open(srv->db_uri, &st, NULL, 0) != PSY_OK) st = NULL;
        if (st) psy_store_checkpoint(st);
        pthread_mutex_lock(&srv->ckpt_mu);
        if (stop) break;
    }
    pthread_mutex_unlock(&srv->ckpt_mu);
    psy_store_close(st);
    return NULL;
}

void srv_store_put(psy_server *srv, psy_store *st)
{
    if (!st) return;
    pthread_mutex_lock(&srv->pool_mu);
    if (srv->npool == srv->pool_cap) {
        size_t cap = srv->pool_cap ? srv->pool_cap * 2 : 8;
        psy_store **p = realloc(srv->pool, cap * sizeof *p);
        if (!p) {
            pthread_mutex_unlock(&srv->pool_mu);
            psy_store_close(st);
            return;
        }
        srv->pool = p;
        srv->pool_cap = cap;
    }
    srv->pool[srv->npool++] = st;
    pthread_mutex_unlock(&srv->pool_mu);
}

/* --- one request ----------------------------------------------------------------------------------- */

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* An address in inet_ntop's form (so that "::1" and "0:0::1" are one); -1 when text is none. */
static int canonical_ip(const char *text, size_t len, char out[PSY_IP_MAX])
{
    char buf[PSY_IP_MAX];
    unsigned char bin[sizeof(struct in6_addr)];
    while (len && (*text == ' ' || *text == '\t')) text++, len--;
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t')) len--;
    if (len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, text, len);
    buf[len] = 0;
    if (inet_pton(AF_INET, buf, bin) == 1) return inet_ntop(AF_INET, bin, out, PSY_IP_MAX) ? 0 : -1;
    if (inet_pton(AF_INET6, buf, bin) == 1) return inet_ntop(AF_INET6, bin, out, PSY_IP_MAX) ? 0 : -1;
    return -1;
}

static int is_trusted_proxy(const psy_server *srv, const char *ip)
{
    for (size_t i = 0; i < srv->nproxies; i++)
        if (strcmp(srv->proxies[i], ip) == 0) return 1;
    return 0;
}

/* The client's address: the peer's; behind a trusted proxy, the right-most X-Forwarded-For entry that
 * is not a trusted proxy (entries to its left are whatever the client claimed). */
static void client_ip(const psy_server *srv, struct MHD_Connection *conn, char out[PSY_IP_MAX])
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, PSY_IP_MAX, "unknown");
    if (!ci || !ci->client_addr) return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, PSY_IP_MAX);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, PSY_IP_MAX);
    if (!is_trusted_proxy(srv, out)) return;
    const char *xff = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For");
    if (!xff) return;
    const char *end = xff + strlen(xff);
    while (end > xff) {
        const char *comma = end;
        while (comma > xff && comma[-1] != ',') comma--;
        char ip[PSY_IP_MAX];
        if (canonical_ip(comma, (size_t)(end - comma), ip)) return; /* garbage: keep the proxy's address */
        memcpy(out, ip, PSY_IP_MAX);
        if (!is_trusted_proxy(srv, ip)) return;
        end = comma > xff ? comma - 1 : xff;
    }
}

static void free_req(struct srv_req *r)
{
    if (!r) return;
    json_decref(r->json);
    free(r->owned);
    free(r->body);
    free(r);
}

/* The security headers every response carries. */
static void common_headers(int tls, struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
    if (tls) MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
}

static int conn_tls(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
    const union MHD_DaemonInfo *di = ci ? MHD_get_daemon_info(ci->daemon, MHD_DAEMON_INFO_FLAGS) : NULL;
    return di && (di->flags & MHD_USE_TLS);
}

/* The error code of an answer libmicrohttpd made itself. */
static const char *own_error_code(unsigned status)
{
    switch (status) {
    case MHD_HTTP_BAD_REQUEST: return "bad_request";
    case MHD_HTTP_CONTENT_TOO_LARGE: return "payload_too_large";
    case MHD_HTTP_URI_TOO_LONG: return "uri_too_long";
    case MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE: return "headers_too_large";
    case MHD_HTTP_HTTP_VERSION_NOT_SUPPORTED: return "http_version";
    case MHD_HTTP_NOT_IMPLEMENTED: return "not_implemented";
    default: return "error";
    }
}

/* Takes the place of libmicrohttpd's MHD_queue_response (srv_MHD_queue_response, srv_mhd.c): the
 * library calls its exported functions through the dynamic linker, which binds them to this definition
 * first (the program exports it: psyclaim_server's link option in CMakeLists.txt). A response made here already
 * carries the security headers and goes through unchanged; one libmicrohttpd made itself (an HTML page
 * without headers) is replaced by a JSON error of the same status with the headers. */
typedef enum MHD_Result (*queue_fn)(struct MHD_Connection *, unsigned int, struct MHD_Response *);

enum MHD_Result MHD_queue_response(struct MHD_Connection *conn, unsigned int status, struct MHD_Response *resp)
{
    queue_fn real_queue = srv_MHD_queue_response;
    if (!real_queue) return MHD_NO;
    if (!resp || MHD_get_response_header(resp, "Content-Security-Policy")) return real_queue(conn, status, resp);
    if (status < 400) {
        common_headers(conn_tls(conn), resp);
        return real_queue(conn, status, resp);
    }
    char body[256];
    const char *reason = MHD_get_reason_phrase_for(status);
    int n = snprintf(body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\",\"field\":null}}",
                     own_error_code(status), reason && *reason ? reason : "error");
    struct MHD_Response *json = MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
    if (!json) return real_queue(conn, status, resp);
    MHD_add_response_header(json, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(json, "Cache-Control", "no-store");
    MHD_add_response_header(json, "Connection", "close");
    common_headers(conn_tls(conn), json);
    enum MHD_Result ok = real_queue(conn, status, json);
    MHD_destroy_response(json);
    return ok;
}

/* Marks a request whose raw path is not in the one accepted form: a percent escape anywhere in the
 * path (libmicrohttpd would decode "%31" to "1" and stop at "%00"), or an empty, "." or ".." segment.
 * The query string is decoded as usual. */
static char noncanonical_mark;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    size_t n = strcspn(uri, "?#");
    if (n == 0 || uri[0] != '/' || memchr(uri, '%', n)) return &noncanonical_mark;
    const char *seg = uri + 1, *end = uri + n;
    if (seg == end) return NULL; /* "/" */
    for (;;) {
        const char *slash = memchr(seg, '/', (size_t)(end - seg));
        const char *stop = slash ? slash : end;
        size_t l = (size_t)(stop - seg);
        if (l == 0 || (l == 1 && seg[0] == '.') || (l == 2 && seg[0] == '.' && seg[1] == '.')) return &noncanonical_mark;
        if (!slash) return NULL;
        seg = slash + 1;
    }
}

static enum MHD_Result send_reply(struct srv_req *r)
{
    struct MHD_Response *resp;
    if (r->json) {
        char *text = json_dumps(r->json, JSON_COMPACT);
        if (!text) return MHD_NO;
        resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
            free(text);
            return MHD_NO;
        }
        MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
        MHD_add_response_header(resp, "Cache-Control", "no-store");
    } else {
        resp = MHD_create_response_from_buffer(r->raw ? r->raw_len : 0, (void *)r->raw,
                                               MHD_RESPMEM_PERSISTENT);
        if (!resp) return MHD_NO;
        if (r->raw_type) MHD_add_response_header(resp, "Content-Type", r->raw_type);
        if (r->etag) {
            MHD_add_response_header(resp, "ETag", r->etag);
            MHD_add_response_header(resp, "Cache-Control", "no-cache");
        } else {
            MHD_add_response_header(resp, "Cache-Control", "no-store");
        }
    }
    common_headers(r->srv->tls, resp);
    for (size_t i = 0; i < r->nhdr; i++) MHD_add_response_header(resp, r->hdr_name[i], r->hdr_value[i]);
    enum MHD_Result ok = MHD_queue_response(r->conn, r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static int method_has_body(const char *m)
{
    return !strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH") || !strcmp(m, "DELETE");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    psy_server *srv = cls;
    (void)version;
    struct srv_req *r = *con_cls;
    if (!r || r == (void *)&noncanonical_mark) { /* headers are in */
        int noncanonical = r != NULL;
        r = psy_calloc(1, sizeof *r);
        clock_gettime(CLOCK_MONOTONIC, &r->t0);
        r->srv = srv;
        r->conn = conn;
        r->method = method;
        r->path = url;
        r->noncanonical = noncanonical;
        r->route = "(no route)";
        client_ip(srv, conn, r->ip);
        *con_cls = r;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(cl, &end, 10);
            if (errno || *end || n > srv->max_body) {
                srv_reply_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "payload_too_large", NULL,
                                "the request body is over the limit of %zu bytes", srv->max_body);
                return send_reply(r);
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size) { /* a chunk of body */
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->status || r->body_too_big) return MHD_YES; /* already answered, or dropping */
        if (r->body_len + n > srv->max_body) {
            r->body_too_big = 1;
            return MHD_YES;
        }
        if (r->body_len + n + 1 > r->body_cap) {
            size_t cap = r->body_cap ? r->body_cap : 1024;
            while (cap < r->body_len + n + 1) cap *= 2;
            r->body = psy_realloc(r->body, cap);
            r->body_cap = cap;
        }
        memcpy(r->body + r->body_len, upload_data, n);
        r->body_len += n;
        r->body[r->body_len] = 0;
        return MHD_YES;
    }
    if (r->status) return MHD_YES; /* answered when the headers came */
    /* the request is whole: a stop now waits for its answer to go out (one still arriving does not hold
     * the stop: a client that sends half a request and goes quiet would keep the server up) */
    r->counted = 1;
    __atomic_add_fetch(&srv->in_flight, 1, __ATOMIC_SEQ_CST);
    if (r->body_too_big)
        srv_reply_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "payload_too_large", NULL,
                        "the request body is over the limit of %zu bytes", srv->max_body);
    else if (r->body_len && !method_has_body(method))
        srv_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request", NULL, "a %s request takes no body", method);
    else
        srv_dispatch(r);
    if (r->st) {
        srv_store_put(srv, r->st);
        r->st = NULL;
    }
    if (!r->status) srv_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL, "no response");
    return send_reply(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    psy_server *srv = cls;
    struct srv_req *r = *con_cls;
    (void)conn;
    *con_cls = NULL;
    if (!r || r == (void *)&noncanonical_mark) return;
    if (srv->access_log) {
        char when[PSY_TIME_MAX];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(srv->access_log, "%s %s %s %u %.1fms%s\n", when, r->method, r->route, r->status,
                ms_since(&r->t0), toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (not completed)");
        fflush(srv->access_log);
    }
    if (r->st) srv_store_put(srv, r->st);
    int counted = r->counted;
    free_req(r);
    *con_cls = NULL;
    if (counted) __atomic_sub_fetch(&srv->in_flight, 1, __ATOMIC_SEQ_CST);
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
    psy_server *srv = cls;
    if (!srv->access_log) return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = 0;
    fprintf(srv->access_log, "server: %s\n", msg);
    fflush(srv->access_log);
}

/* --- start and stop --------------------------------------------------------------------------------- */

/* Reads a whole small file (at most 1 MiB). */
static char *read_small_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 20, n;
    char *buf = psy_malloc(cap + 1);
    n = fread(buf, 1, cap, f);
    int big = n == cap && fgetc(f) != EOF;
    fclose(f);
    if (big || n == 0) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    return buf;
}

/* Parses "ADDR:PORT" or "[V6]:PORT" into a socket address. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || !colon[1] || (size_t)(colon - listen) >= sizeof host) {
        snprintf(err, errlen, "--listen %s: expected ADDR:PORT, e.g. 127.0.0.1:8080", listen);
        return -1;
    }
    size_t hl = (size_t)(colon - listen);
    memcpy(host, listen, hl);
    host[hl] = 0;
    if (host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = 0;
    }
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (errno || *end || port > 65535) {
        snprintf(err, errlen, "--listen %s: the port must be a number from 0 to 65535", listen);
        return -1;
    }
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc || !ai) {
        snprintf(err, errlen, "--listen %s: cannot use address %s (%s)", listen, host, gai_strerror(rc));
        return -1;
    }
    memset(ss, 0, sizeof *ss);
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    return 0;
}

static psy_status fail(psy_server *srv, psy_status rc)
{
    psy_server_stop(srv);
    return rc;
}

psy_status psy_server_start(const struct psy_server_config *cfg, psy_server **out, char *err, size_t errlen)
{
    *out = NULL;
    char dummy[8];
    if (!err) {
        err = dummy;
        errlen = sizeof dummy;
    }
    *err = 0;
    psy_server *srv = calloc(1, sizeof *srv);
    if (!srv) return PSY_ENOMEM;
    pthread_mutex_init(&srv->pool_mu, NULL);
    if (cfg->policy) srv->policy = *cfg->policy;
    else psy_auth_policy_init(&srv->policy);
    srv->access_log = cfg->access_log;
    srv->max_body = cfg->max_body ? cfg->max_body : PSY_SERVER_MAX_BODY;
    srv->db_uri = strdup(cfg->db_uri ? cfg->db_uri : psy_store_default_uri());
    if (!srv->db_uri) return fail(srv, PSY_ENOMEM);

    if (cfg->ntrusted_proxies) {
        srv->proxies = psy_calloc(cfg->ntrusted_proxies, sizeof *srv->proxies);
        for (size_t i = 0; i < cfg->ntrusted_proxies; i++) {
            const char *p = cfg->trusted_proxies[i] ? cfg->trusted_proxies[i] : "";
            if (canonical_ip(p, strlen(p), srv->proxies[srv->nproxies++])) {
                snprintf(err, errlen, "trusted proxy '%.100s' is not an IPv4 or IPv6 address", p);
                return fail(srv, PSY_EINVAL);
            }
        }
    }

    if (srv_mhd_load(err, errlen)) return fail(srv, PSY_EIO);
    struct sockaddr_storage ss;
    if (parse_listen(cfg->listen ? cfg->listen : PSY_SERVER_LISTEN_DEFAULT, &ss, err, errlen))
        return fail(srv, PSY_EINVAL);

    /* A pool of threads, each polling its share of the connections. (epoll would do as well, but
     * libmicrohttpd 0.9.75 aborts when a thread-pool epoll daemon is quiesced for a graceful stop.) */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    if (!cfg->tls_cert_file != !cfg->tls_key_file) {
        snprintf(err, errlen, "TLS needs both --tls-cert and --tls-key");
        return fail(srv, PSY_EINVAL);
    }
    if (cfg->tls_cert_file) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            snprintf(err, errlen, "this libmicrohttpd was built without TLS");
            return fail(srv, PSY_EINVAL);
        }
        srv->cert = read_small_file(cfg->tls_cert_file);
        srv->key = read_small_file(cfg->tls_key_file);
        if (!srv->cert || !srv->key) {
            snprintf(err, errlen, "cannot read %s", !srv->cert ? cfg->tls_cert_file : cfg->tls_key_file);
            return fail(srv, PSY_EIO);
        }
        flags |= MHD_USE_TLS;
        srv->tls = 1;
    }

    /* open the database once: migrations and the built-in catalog, and the first pooled handle */
    psy_store *st;
    psy_status rc = psy_store_open(srv->db_uri, &st, err, errlen);
    if (rc) return fail(srv, rc);
    pthread_mutex_init(&srv->ckpt_mu, NULL);
    pthread_cond_init(&srv->ckpt_cv, NULL);
    if (strcmp(psy_store_backend(st), "sqlite") == 0 && pthread_create(&srv->ckpt, NULL, checkpointer, srv) == 0) {
        srv->ckpt_running = 1;
        psy_store_defer_checkpoints(st);
    }
    if ((rc = psy_catalog_seed(st))) {
        snprintf(err, errlen, "database %s: %s", srv->db_uri, psy_store_errmsg(st));
        psy_store_close(st);
        return fail(srv, rc);
    }
    /* the coding engine: NCCI tables (imported into this database, else built in) and payer profiles */
    rc = psy_coding_open(st, &srv->coder, err, errlen);
    /* the search index over the whole catalog, from its file when the catalog has not changed since it
     * was saved (else built and saved): queries share it without locks */
    if (!rc && (rc = psy_search_open(st, srv->db_uri, &srv->index)))
        snprintf(err, errlen, "database %s: cannot build the search index (%s)", srv->db_uri, psy_strerror(rc));
    /* note templates: the built-in ones and the practice's directory, checked once */
    if (!rc) {
        const char *dir = cfg->note_templates_dir ? cfg->note_templates_dir : getenv("PSYCLAIM_NOTE_TEMPLATES");
        rc = psy_note_templates_json(dir, &srv->note_templates, err, errlen);
    }
    srv_store_put(srv, st);
    if (rc) return fail(srv, rc);

    /* slow clients: every open connection holds a descriptor, so take as many as the system allows,
     * keep some for the database and files, cap connections per client address, and close silent ones */
    struct rlimit rl;
    unsigned max_conns = 1000;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        if (rl.rlim_cur < rl.rlim_max) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
            getrlimit(RLIMIT_NOFILE, &rl);
        }
        rlim_t usable = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1000128 ? 1000128 : rl.rlim_cur;
        if (usable > 256) max_conns = (unsigned)(usable - 128);
    }
    unsigned per_address = cfg->per_address ? cfg->per_address : PSY_SERVER_PER_ADDRESS;
    unsigned timeout = cfg->timeout ? cfg->timeout : PSY_SERVER_TIMEOUT;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = cfg->threads ? cfg->threads : (unsigned)(ncpu > 2 ? ncpu : 2);
    struct MHD_OptionItem tls_opts[] = {
        {srv->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, srv->cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, srv->key},
        {MHD_OPTION_END, 0, NULL},
    };
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_TIMEOUT, timeout, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_address,
        MHD_OPTION_CONNECTION_LIMIT, max_conns, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
    if (!srv->daemon) {
        snprintf(err, errlen, "cannot listen on %s (address in use, not local, or not allowed)",
                 cfg->listen ? cfg->listen : PSY_SERVER_LISTEN_DEFAULT);
        return fail(srv, PSY_EIO);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : 0;
    *out = srv;
    return PSY_OK;
}

unsigned psy_server_port(const psy_server *srv) { return srv->port; }

int psy_server_tls(const psy_server *srv) { return srv->tls; }

void psy_server_stop(psy_server *srv)
{
    if (!srv) return;
    if (srv->daemon) {
        /* stop accepting, give running requests up to ten seconds, then close everything */
        MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
        for (int i = 0; i < 1000 && __atomic_load_n(&srv->in_flight, __ATOMIC_SEQ_CST) > 0; i++)
            usleep(10000);
        MHD_stop_daemon(srv->daemon);
        if (fd != MHD_INVALID_SOCKET) close(fd);
    }
    if (srv->ckpt_running) {
        pthread_mutex_lock(&srv->ckpt_mu);
        srv->ckpt_stop = 1;
        pthread_cond_signal(&srv->ckpt_cv);
        pthread_mutex_unlock(&srv->ckpt_mu);
        pthread_join(srv->ckpt, NULL);
    }
    psy_coding_close(srv->coder);
    psy_search_free(srv->index);
    free(srv->note_templates);
    for (size_t i = 0; i < srv->npool; i++) psy_store_close(srv->pool[i]);
    free(srv->pool);
    pthread_mutex_destroy(&srv->pool_mu);
    free(srv->db_uri);
    free(srv->cert);
    free(srv->key);
    free(srv->proxies);
    free(srv);
}
