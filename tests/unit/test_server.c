/* test_server.c -- the web server in-process on an ephemeral port, spoken to over HTTP with libcurl:
 * sign-in, cookies, CSRF, the role matrix against every endpoint, body caps, JSON errors, static
 * pages, code search (its own and NLM's dialect), coding a session, payer profiles, reading an 835 remittance, claims (build, scrub,
 * 837P export, CMS-1500 and superbill PDFs, 835 posting, suspense, revenue), the audit trail, the access log,
 * concurrent requests and TLS. Each test gets a fresh server and database. */
#include "support.h"
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include "era_835.h"

static struct psy_auth_policy fast;
static psy_server *srv;
static char *db_path, *log_path;
static FILE *access_log;
static char base[64];
static const char *const ROLES[] = {"admin", "clinician", "biller"};
#define PW "server test password"

/* --- the HTTP client ------------------------------------------------------------------------------ */

struct text {
    char *p;
    size_t n;
};

struct http {
    long status;
    struct text body, head;
    json_t *json; /* the body when it is JSON */
};

static size_t collect(char *data, size_t size, size_t n, void *ud)
{
    struct text *t = ud;
    t->p = realloc(t->p, t->n + size * n + 1);
    memcpy(t->p + t->n, data, size * n);
    t->n += size * n;
    t->p[t->n] = 0;
    return size * n;
}

static void http_free(struct http *h)
{
    free(h->body.p);
    free(h->head.p);
    json_decref(h->json);
    memset(h, 0, sizeof *h);
}

/* Set while a test sends bodies past the cap: the server may answer 413 and close while the body is
 * still going out, which curl reports as a failed send; request() then returns status 0. */
static int allow_cut_upload;

/* Sends one request. headers is a NULL-terminated list of "Name: value" (may be NULL). */
static long request(const char *method, const char *path, const char *body, size_t body_len,
                    const char *const *headers, struct http *out)
{
    memset(out, 0, sizeof *out);
    CURL *c = curl_easy_init();
    char url[512];
    snprintf(url, sizeof url, "%s%s", base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (!strcmp(method, "HEAD")) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    struct curl_slist *hl = curl_slist_append(NULL, "Expect:");
    for (size_t i = 0; headers && headers[i]; i++) hl = curl_slist_append(hl, headers[i]);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->head);
    CURLcode rc = curl_easy_perform(c);
    if (allow_cut_upload && (rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR)) {
        curl_slist_free_all(hl);
        curl_easy_cleanup(c);
        return out->status = 0;
    }
    if (rc != CURLE_OK) fprintf(stderr, "%s %s: %s\n", method, path, curl_easy_strerror(rc));
    assert_int_equal(rc, CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    if (out->body.p) out->json = json_loads(out->body.p, 0, NULL);
    return out->status;
}

/* The value of a response header (first one), copied into buf; NULL when absent. */
static const char *header(const struct http *h, const char *name, char *buf, size_t len)
{
    size_t nl = strlen(name);
    for (const char *p = h->head.p; p && *p;) {
        const char *e = strstr(p, "\r\n");
        if (!e) break;
        if ((size_t)(e - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ') v++;
            snprintf(buf, len, "%.*s", (int)(e - v), v);
            return buf;
        }
        p = e + 2;
    }
    return NULL;
}

/* Checks the error envelope {"error": {"code", "message", "field"}} and its code and field. */
static void assert_error(const struct http *h, long status, const char *code, const char *field)
{
    if (h->status != status) fprintf(stderr, "status %ld, body %s\n", h->status, h->body.p ? h->body.p : "");
    assert_int_equal(h->status, status);
    char ct[128];
    assert_non_null(header(h, "Content-Type", ct, sizeof ct));
    assert_non_null(strstr(ct, "application/json"));
    json_t *e = json_object_get(h->json, "error");
    assert_true(json_is_object(e));
    assert_string_equal(json_string_value(json_object_get(e, "code")), code);
    assert_true(json_is_string(json_object_get(e, "message")));
    assert_true(strlen(json_string_value(json_object_get(e, "message"))) > 3);
    json_t *f = json_object_get(e, "field");
    assert_non_null(f);
    if (field) assert_string_equal(json_string_value(f), field);
    else assert_true(json_is_null(f));
}

static const char *const JSON_CT[] = {"Content-Type: application/json", NULL};

/* One request that must fail with this status, error code and field. */
static void expect_error(const char *method, const char *path, const char *body, const char *const *headers,
                         long status, const char *code, const char *field)
{
    struct http h;
    request(method, path, body, body ? strlen(body) : 0, headers, &h);
    assert_error(&h, status, code, field);
    http_free(&h);
}

static long post_json(const char *path, const char *body, struct http *h)
{
    return request("POST", path, body, strlen(body), JSON_CT, h);
}

struct session {
    char cookie[300]; /* "Cookie: psy_session=..." */
    char csrf[128];   /* "X-CSRF-Token: ..." */
};

static long try_login(const char *user, const char *pw, struct http *h)
{
    char body[256];
    snprintf(body, sizeof body, "{\"username\": \"%s\", \"password\": \"%s\"}", user, pw);
    return post_json("/api/login", body, h);
}

static void login_as(const char *user, struct session *s)
{
    struct http h;
    assert_int_equal(try_login(user, PW, &h), 200);
    char sc[256];
    assert_non_null(header(&h, "Set-Cookie", sc, sizeof sc));
    char *semi = strchr(sc, ';');
    assert_non_null(semi);
    *semi = 0;
    snprintf(s->cookie, sizeof s->cookie, "Cookie: %s", sc);
    snprintf(s->csrf, sizeof s->csrf, "X-CSRF-Token: %s", json_string_value(json_object_get(h.json, "csrf_token")));
    http_free(&h);
}

/* --- fixtures -------------------------------------------------------------------------------------- */

/* One number from the test database (SQLite), read directly. */
static long long db_count(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    long long n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

static void start(size_t max_body, const char *cert, const char *key)
{
    struct psy_server_config cfg = {0};
    cfg.db_uri = db_path;
    cfg.listen = "127.0.0.1:0";
    cfg.threads = 2;
    cfg.max_body = max_body;
    cfg.access_log = access_log;
    cfg.policy = &fast;
    cfg.tls_cert_file = cert;
    cfg.tls_key_file = key;
    char err[512];
    psy_status rc = psy_server_start(&cfg, &srv, err, sizeof err);
    if (rc) fprintf(stderr, "start: %s\n", err);
    assert_int_equal(rc, PSY_OK);
    assert_true(psy_server_port(srv) > 0);
    snprintf(base, sizeof base, "%s://127.0.0.1:%u", cert ? "https" : "http", psy_server_port(srv));
}

static int setup(void **state)
{
    (void)state;
    psy_auth_policy_init(&fast);
    fast.pwhash_opslimit = 1;
    fast.pwhash_memlimit = 8192 * 1024;
    psy_store *st = test_open_store(&db_path);
    for (int i = 0; i < 3; i++) {
        struct psy_user u = {0};
        u.practice_id = 1;
        u.active = 1;
        u.role = (psy_role)i;
        snprintf(u.username, sizeof u.username, "%s", ROLES[i]);
        assert_int_equal(psy_auth_user_add(st, &fast, &u, PW, NULL), PSY_OK);
    }
    psy_store_close(st);
    log_path = test_tmp_path(".log");
    access_log = fopen(log_path, "w+");
    assert_non_null(access_log);
    start(4096, NULL, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    psy_server_stop(srv);
    srv = NULL;
    fclose(access_log);
    unlink(log_path);
    free(log_path);
    test_rm_db(db_path);
    free(db_path);
    return 0;
}

/* --- tests ----------------------------------------------------------------------------------------- */

static void test_health_and_static(void **state)
{
    (void)state;
    struct http h;
    char v[512];
    assert_int_equal(request("GET", "/api/health", NULL, 0, NULL, &h), 200);
    assert_string_equal(json_string_value(json_object_get(h.json, "status")), "ok");
    assert_string_equal(json_string_value(json_object_get(h.json, "version")), psy_version());
    assert_non_null(header(&h, "Cache-Control", v, sizeof v));
    assert_string_equal(v, "no-store");
    http_free(&h);

    assert_int_equal(request("GET", "/", NULL, 0, NULL, &h), 200);
    assert_non_null(header(&h, "Content-Type", v, sizeof v));
    assert_string_equal(v, "text/html; charset=utf-8");
    assert_non_null(strstr(h.body.p, "<script type=\"module\" src=\"/app.js\">"));
    assert_non_null(header(&h, "Content-Security-Policy", v, sizeof v));
    assert_non_null(strstr(v, "default-src 'self'"));
    assert_non_null(strstr(v, "frame-ancestors 'none'"));
    assert_non_null(header(&h, "X-Content-Type-Options", v, sizeof v));
    assert_string_equal(v, "nosniff");
    char etag[64], inm[100];
    assert_non_null(header(&h, "ETag", etag, sizeof etag));
    http_free(&h);
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    const char *const cond[] = {inm, NULL};
    assert_int_equal(request("GET", "/index.html", NULL, 0, cond, &h), 304);
    http_free(&h);

    static const struct { const char *path, *type; } assets[] = {
        {"/app.js", "text/javascript; charset=utf-8"}, {"/app.css", "text/css; charset=utf-8"},
        {"/codes.js", "text/javascript; charset=utf-8"}, {"/favicon.svg", "image/svg+xml"},
    };
    for (size_t i = 0; i < sizeof assets / sizeof assets[0]; i++) {
        assert_int_equal(request("GET", assets[i].path, NULL, 0, NULL, &h), 200);
        assert_string_equal(header(&h, "Content-Type", v, sizeof v), assets[i].type);
        assert_true(h.body.n > 100);
        http_free(&h);
    }
    assert_int_equal(request("HEAD", "/app.css", NULL, 0, NULL, &h), 200);
    assert_null(h.body.p);
    http_free(&h);
    expect_error("GET", "/no-such-page.html", NULL, NULL, 404, "not_found", NULL);
    expect_error("POST", "/app.js", "{}", JSON_CT, 405, "method_not_allowed", NULL);
}

static void test_login(void **state)
{
    (void)state;
    struct http h;
    char v[512];
    assert_int_equal(try_login("Clinician", PW, &h), 200); /* user names ignore case */
    assert_non_null(header(&h, "Set-Cookie", v, sizeof v));
    assert_true(strncmp(v, "psy_session=", 12) == 0);
    assert_int_equal(strcspn(v + 12, ";"), 64);
    assert_non_null(strstr(v, "; HttpOnly"));
    assert_non_null(strstr(v, "; SameSite=Strict"));
    assert_non_null(strstr(v, "; Path=/"));
    assert_non_null(strstr(v, "; Max-Age=43200"));
    assert_null(strstr(v, "Secure")); /* plain HTTP */
    json_t *u = json_object_get(h.json, "user");
    assert_string_equal(json_string_value(json_object_get(u, "username")), "clinician");
    assert_string_equal(json_string_value(json_object_get(u, "role")), "clinician");
    assert_true(json_is_null(json_object_get(u, "clinician_id")));
    assert_int_equal(strlen(json_string_value(json_object_get(h.json, "csrf_token"))), 64);
    json_t *perms = json_object_get(h.json, "permissions");
    assert_string_equal(json_string_value(json_object_get(perms, "audit.read")), "none");
    assert_string_equal(json_string_value(json_object_get(perms, "clients.read")), "own");
    assert_null(strstr(h.body.p, PW));
    http_free(&h);

    /* a wrong password and an unknown user get the same answer */
    try_login("clinician", "not the password", &h);
    assert_error(&h, 401, "bad_credentials", NULL);
    char first[512];
    snprintf(first, sizeof first, "%s", h.body.p);
    assert_null(header(&h, "Set-Cookie", v, sizeof v));
    http_free(&h);
    try_login("nobody-here", "not the password", &h);
    assert_error(&h, 401, "bad_credentials", NULL);
    assert_string_equal(h.body.p, first);
    http_free(&h);

    /* bad requests name the field */
    expect_error("POST", "/api/login", "{\"password\": \"x\"}", JSON_CT, 400, "missing_field", "username");
    expect_error("POST", "/api/login", "{\"username\": \"admin\"}", JSON_CT, 400, "missing_field", "password");
    expect_error("POST", "/api/login", "{\"username\": \"admin\", \"password\": \"x\", \"practice\": 1}", JSON_CT, 400, "invalid", "practice");
    expect_error("POST", "/api/login", "{\"username\": \"admin\", \"password\": \"x\", \"code\": 123456}", JSON_CT, 400, "invalid", "code");
    expect_error("POST", "/api/login", "{\"username\": ", JSON_CT, 400, "invalid_json", NULL);
    expect_error("POST", "/api/login", "[1, 2]", JSON_CT, 400, "invalid_json", NULL);
    expect_error("POST", "/api/login", "{\"a\": 1, \"a\": 2}", JSON_CT, 400, "invalid_json", NULL);
    /* a form post (what another site could make a browser send) is refused */
    const char *const form[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    expect_error("POST", "/api/login", "username=admin&password=x", form, 415, "unsupported_media_type", NULL);
}

static void test_rate_limit(void **state)
{
    (void)state;
    struct http h;
    char v[64];
    for (int i = 0; i < fast.max_failures_user; i++) {
        try_login("biller", "wrong wrong wrong", &h);
        assert_error(&h, 401, "bad_credentials", NULL);
        http_free(&h);
    }
    try_login("biller", PW, &h); /* the right password, too soon */
    assert_error(&h, 429, "rate_limited", NULL);
    assert_non_null(header(&h, "Retry-After", v, sizeof v));
    long secs = atol(v);
    assert_true(secs > 0 && secs <= fast.delay_base);
    assert_null(header(&h, "Set-Cookie", v, sizeof v));
    http_free(&h);
    /* other users are not held up (the address allows more) */
    assert_int_equal(try_login("admin", PW, &h), 200);
    http_free(&h);
    /* a delay, not a lock: once it has passed the right password gets in */
    sleep((unsigned)secs + 1);
    assert_int_equal(try_login("biller", PW, &h), 200);
    http_free(&h);
}

/* Finding 2 of issue 14: a name in several practices, an unknown name and a wrong password answer
 * alike; the practices are named only after the right password, and chosen by name. */
static void test_login_no_enumeration(void **state)
{
    (void)state;
    psy_store *st;
    assert_int_equal(psy_store_open(db_path, &st, NULL, 0), PSY_OK);
    struct psy_practice p = {0};
    psy_id p2 = 0;
    snprintf(p.name, sizeof p.name, "Riverbend Therapy");
    snprintf(p.npi, sizeof p.npi, "1234567893");
    snprintf(p.tax_id, sizeof p.tax_id, "123456789");
    snprintf(p.time_zone, sizeof p.time_zone, "America/Chicago");
    assert_int_equal(psy_records_practice_add(st, &p, &p2), PSY_OK);
    assert_int_equal(p2, 1);
    snprintf(p.name, sizeof p.name, "Lakeside Counseling");
    snprintf(p.npi, sizeof p.npi, "1234567893");
    snprintf(p.tax_id, sizeof p.tax_id, "123456789");
    snprintf(p.time_zone, sizeof p.time_zone, "America/Chicago");
    assert_int_equal(psy_records_practice_add(st, &p, &p2), PSY_OK);
    assert_int_equal(p2, 2);
    struct psy_user u = {0};
    u.practice_id = p2;
    u.active = 1;
    u.role = PSY_ROLE_BILLER;
    snprintf(u.username, sizeof u.username, "admin");
    assert_int_equal(psy_auth_user_add(st, &fast, &u, PW, NULL), PSY_OK); /* same name and password */
    psy_store_close(st);

    struct http h;
    try_login("admin", "not the password", &h);
    assert_error(&h, 401, "bad_credentials", NULL);
    char first[512];
    snprintf(first, sizeof first, "%s", h.body.p);
    assert_null(strstr(h.body.p, "Lakeside"));
    http_free(&h);
    try_login("nobody-here", "not the password", &h);
    assert_string_equal(h.body.p, first);
    http_free(&h);
    try_login("clinician", "not the password", &h);
    assert_string_equal(h.body.p, first);
    http_free(&h);

    /* the right password: choose the practice by its name */
    try_login("admin", PW, &h);
    assert_error(&h, 409, "choose_practice", "practice");
    json_t *names = json_object_get(h.json, "practices");
    assert_int_equal(json_array_size(names), 2);
    assert_string_equal(json_string_value(json_array_get(names, 1)), "Lakeside Counseling");
    assert_null(header(&h, "Set-Cookie", first, sizeof first));
    http_free(&h);
    assert_int_equal(post_json("/api/login", "{\"username\": \"admin\", \"password\": \"" PW "\", "
                               "\"practice\": \"lakeside counseling\"}", &h), 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(h.json, "user"), "role")), "biller");
    http_free(&h);
    /* a practice the password does not open answers like a wrong password */
    post_json("/api/login", "{\"username\": \"admin\", \"password\": \"" PW "\", \"practice\": \"Elsewhere\"}", &h);
    assert_error(&h, 401, "bad_credentials", NULL);
    http_free(&h);
}

/* The client address comes from X-Forwarded-For only behind a configured proxy. */
static void test_trusted_proxy(void **state)
{
    (void)state;
    struct http h;
    /* not configured: the header is ignored, so a forged one does not escape the address limit */
    const char *const hdr[] = {"Content-Type: application/json", "X-Forwarded-For: 203.0.113.7", NULL};
    const char *body = "{\"username\": \"nobody\", \"password\": \"x\"}";
    request("POST", "/api/login", body, strlen(body), hdr, &h);
    http_free(&h);
    psy_server_stop(srv);
    srv = NULL;
    assert_int_equal(db_count("SELECT count(*) FROM login_failure WHERE ip = '127.0.0.1'"), 1);

    struct psy_server_config cfg = {0};
    const char *const proxies[] = {"127.0.0.1"};
    cfg.db_uri = db_path;
    cfg.listen = "127.0.0.1:0";
    cfg.threads = 2;
    cfg.policy = &fast;
    cfg.trusted_proxies = proxies;
    cfg.ntrusted_proxies = 1;
    char err[256];
    assert_int_equal(psy_server_start(&cfg, &srv, err, sizeof err), PSY_OK);
    snprintf(base, sizeof base, "http://127.0.0.1:%u", psy_server_port(srv));
    /* the right-most entry that is not the proxy is the client; what the client wrote left of it is not */
    const char *const chain[] = {"Content-Type: application/json", "X-Forwarded-For: 10.66.0.1, 198.51.100.4", NULL};
    request("POST", "/api/login", body, strlen(body), chain, &h);
    http_free(&h);
    const char *const junk[] = {"Content-Type: application/json", "X-Forwarded-For: not-an-address", NULL};
    request("POST", "/api/login", body, strlen(body), junk, &h);
    http_free(&h);
    psy_server_stop(srv);
    srv = NULL;
    assert_int_equal(db_count("SELECT count(*) FROM login_failure WHERE ip = '198.51.100.4'"), 1);
    assert_int_equal(db_count("SELECT count(*) FROM login_failure WHERE ip = '10.66.0.1'"), 0);
    assert_int_equal(db_count("SELECT count(*) FROM login_failure WHERE ip = '127.0.0.1'"), 2);
    /* a proxy that is no address is refused at start */
    const char *const bad[] = {"proxy.example"};
    cfg.trusted_proxies = bad;
    assert_int_equal(psy_server_start(&cfg, &srv, err, sizeof err), PSY_EINVAL);
    assert_non_null(strstr(err, "trusted proxy"));
    start(4096, NULL, NULL);
}

static void test_csrf_and_logout(void **state)
{
    (void)state;
    struct session s;
    login_as("admin", &s);
    struct http h;
    char v[256];
    const char *const no_token[] = {s.cookie, NULL};
    expect_error("POST", "/api/logout", NULL, no_token, 403, "csrf", NULL);
    const char *const bad_token[] = {s.cookie, "X-CSRF-Token: 0123456789", NULL};
    expect_error("POST", "/api/logout", NULL, bad_token, 403, "csrf", NULL);
    /* another session's token does not fit this one */
    struct session other;
    login_as("admin", &other);
    const char *const crossed[] = {s.cookie, other.csrf, NULL};
    expect_error("POST", "/api/logout", NULL, crossed, 403, "csrf", NULL);
    const char *const me[] = {s.cookie, NULL};
    assert_int_equal(request("GET", "/api/me", NULL, 0, me, &h), 200); /* still signed in */
    http_free(&h);

    const char *const good[] = {s.cookie, s.csrf, NULL};
    assert_int_equal(request("POST", "/api/logout", NULL, 0, good, &h), 204);
    assert_non_null(header(&h, "Set-Cookie", v, sizeof v));
    assert_non_null(strstr(v, "psy_session=;"));
    assert_non_null(strstr(v, "Max-Age=0"));
    http_free(&h);
    expect_error("GET", "/api/me", NULL, me, 401, "unauthenticated", NULL);
    const char *const other_me[] = {other.cookie, NULL};
    assert_int_equal(request("GET", "/api/me", NULL, 0, other_me, &h), 200);
    http_free(&h);
    const char *const forged[] = {"Cookie: psy_session=00000000000000000000000000000000000000000000000000000000"
                                  "00000000", NULL};
    expect_error("GET", "/api/me", NULL, forged, 401, "unauthenticated", NULL);
}

/* Each role (and no session) against each endpoint. */
static void test_role_matrix(void **state)
{
    (void)state;
    static const struct {
        const char *method, *path;
        long want[4]; /* no session, admin, clinician, biller */
    } cases[] = {
        {"GET", "/api/health", {200, 200, 200, 200}},
        {"GET", "/api/ready", {200, 200, 200, 200}}, /* readiness: the database answers */
        {"GET", "/api/me", {401, 200, 200, 200}},
        {"GET", "/api/codes/cpt/90853", {200, 200, 200, 200}}, /* the code reference is public */
        {"GET", "/api/codes/icd10cm/f4310", {200, 200, 200, 200}},
        {"GET", "/api/payers", {401, 200, 200, 200}},
        {"POST", "/api/code-session", {401, 415, 415, 415}}, /* allowed; the empty body is refused */
        {"POST", "/api/era/read", {401, 422, 403, 422}},     /* a clinician's claims are only their own */
        {"GET", "/api/audit", {401, 200, 403, 403}},
        /* records: a clinician user tied to no clinician row owns nothing; a biller writes no notes */
        {"GET", "/api/clients", {401, 200, 200, 200}},
        {"GET", "/api/groups", {401, 200, 200, 200}},
        {"GET", "/api/clients/1", {401, 404, 404, 404}},
        {"GET", "/api/clients/1/eligibility", {401, 404, 404, 404}},
        {"POST", "/api/clients/1/eligibility/request", {401, 404, 403, 404}}, /* asking draws control numbers */
        {"POST", "/api/eligibility/post", {401, 422, 403, 422}},             /* the empty body is refused */
        {"GET", "/api/groups/1", {401, 404, 404, 404}},
        {"GET", "/api/sessions", {401, 200, 200, 200}},
        {"GET", "/api/sessions?status=open", {401, 400, 400, 400}},
        {"GET", "/api/sessions?from=2025-02-30", {401, 400, 400, 400}},
        {"GET", "/api/sessions/1", {401, 404, 404, 404}},
        {"PUT", "/api/sessions/1", {401, 403, 404, 403}},
        {"POST", "/api/sessions/1/check", {401, 404, 404, 403}},
        {"POST", "/api/sessions/1/sign", {401, 403, 404, 403}},
        {"POST", "/api/groups/1/sessions", {401, 403, 404, 403}},
        {"POST", "/api/clients/1/sessions", {401, 403, 404, 403}},
        {"GET", "/api/note-templates", {401, 200, 200, 200}},
        {"POST", "/api/notes/1/addendum", {401, 403, 404, 403}},
        {"GET", "/api/reports/attendance", {401, 200, 200, 200}},
        {"GET", "/api/reports/group-economics", {401, 200, 200, 200}},
        {"GET", "/api/reports/group-economics?cost_per_hour_cents=-5", {401, 400, 400, 400}},
        {"GET", "/api/audit?limit=5&offset=0", {401, 200, 403, 403}},
        /* claims: a clinician reads their own clients' claims and changes none; suspense, posting and
         * revenue span the practice */
        {"GET", "/api/claims", {401, 200, 200, 200}},
        {"GET", "/api/claims/1", {401, 404, 404, 404}},
        {"GET", "/api/claims/1/cms1500", {401, 404, 404, 404}},
        {"POST", "/api/claims/1/scrub", {401, 404, 403, 404}},
        {"POST", "/api/claims/1/correct", {401, 404, 403, 404}},
        {"POST", "/api/claims/1/void", {401, 404, 403, 404}},
        {"GET", "/api/claims/timely", {401, 200, 200, 200}},
        {"GET", "/api/claims/timely?within=x", {401, 400, 400, 400}},
        {"POST", "/api/claims/build", {401, 415, 403, 415}},
        {"POST", "/api/claims/scrub", {401, 415, 403, 415}},
        {"POST", "/api/claims/export", {401, 415, 403, 415}},
        {"GET", "/api/claims/batches", {401, 200, 403, 200}},
        {"GET", "/api/claims/batches?limit=0", {401, 400, 403, 400}},
        {"GET", "/api/claims/batches/1/download", {401, 404, 403, 404}},
        {"GET", "/api/superbill", {401, 400, 400, 400}},
        {"POST", "/api/era/post", {401, 422, 403, 422}},
        {"POST", "/api/import/clients", {401, 422, 403, 422}}, /* admins and billers; the empty body is refused */
        {"GET", "/api/suspense", {401, 200, 403, 200}},
        {"GET", "/api/era/files", {401, 200, 403, 200}},
        {"GET", "/api/era/files?kind=820", {401, 400, 403, 400}},
        {"POST", "/api/incoming/read", {401, 422, 403, 422}}, /* incoming files: billing roles; the empty body is refused */
        {"POST", "/api/incoming/post", {401, 422, 403, 422}},
        {"POST", "/api/suspense/1/apply", {401, 415, 403, 415}},
        {"POST", "/api/suspense/1/close", {401, 415, 403, 415}},
        {"POST", "/api/claims/1/rebuild", {401, 415, 403, 415}},
        {"GET", "/api/reports/revenue", {401, 200, 403, 200}},
        /* the client ledger: money is recorded by billers and admins; balances and aging span the practice */
        {"GET", "/api/clients/1/ledger", {401, 404, 404, 404}},
        {"POST", "/api/clients/1/ledger", {401, 415, 403, 415}},
        {"GET", "/api/clients/1/statement?month=2026-01", {401, 404, 404, 404}},
        {"POST", "/api/ledger/1/reverse", {401, 415, 403, 415}},
        {"POST", "/api/ledger/close", {401, 415, 403, 415}},
        {"PUT", "/api/ledger/settings", {401, 415, 403, 403}},
        {"GET", "/api/balances", {401, 200, 403, 200}},
        {"GET", "/api/reports/aging?as_of=2026-01-31", {401, 200, 403, 200}},
        {"GET", "/api/ledger/reasons", {401, 200, 403, 200}},
        {"POST", "/api/ledger/reasons", {401, 415, 403, 415}},
        {"PUT", "/api/clients/1/fee", {401, 415, 403, 415}},
        /* users: admins only; one's own password and second factor: everyone */
        {"GET", "/api/users", {401, 200, 403, 403}},
        {"POST", "/api/users", {401, 415, 403, 403}},
        {"PUT", "/api/users/two-factor", {401, 415, 403, 403}},
        {"PATCH", "/api/users/1", {401, 415, 403, 403}},
        {"PATCH", "/api/users/999", {401, 404, 403, 403}},
        {"POST", "/api/users/999/password", {401, 404, 403, 403}},
        {"POST", "/api/users/999/totp-reset", {401, 404, 403, 403}},
        {"POST", "/api/me/password", {401, 415, 415, 415}},
        {"POST", "/api/me/totp/confirm", {401, 415, 415, 415}},
        {"GET", "/api/audit.csv", {401, 200, 403, 403}},
        /* first run: the database has its practice, so setting up is closed to everyone */
        {"GET", "/api/setup", {200, 200, 200, 200}},
        {"POST", "/api/setup", {403, 403, 403, 403}},
        /* record forms: practice settings and clinicians are the admin's; payers, policies and
         * authorisations the billing office's; clinical records the admin's and a clinician's own */
        {"GET", "/api/practice", {401, 404, 404, 404}}, /* this fixture has users and no practice record */
        {"PUT", "/api/practice", {401, 415, 403, 403}},
        {"GET", "/api/clinicians", {401, 200, 200, 200}},
        {"POST", "/api/clinicians", {401, 415, 403, 403}},
        {"PUT", "/api/clinicians/999", {401, 404, 403, 403}},
        {"GET", "/api/payer-records", {401, 200, 200, 200}},
        {"POST", "/api/payer-records", {401, 415, 403, 415}},
        {"PUT", "/api/payer-records/999", {401, 404, 403, 404}},
        {"POST", "/api/clients", {401, 415, 403, 403}},
        {"PUT", "/api/clients/999", {401, 404, 404, 403}},
        {"POST", "/api/clients/999/policies", {401, 404, 403, 404}},
        {"GET", "/api/policies/999", {401, 404, 404, 404}},
        {"PUT", "/api/policies/999", {401, 404, 403, 404}},
        {"POST", "/api/clients/999/authorisations", {401, 404, 403, 404}},
        {"GET", "/api/authorisations/999", {401, 404, 404, 404}},
        {"PUT", "/api/authorisations/999", {401, 404, 403, 404}},
        {"POST", "/api/clients/999/plans", {401, 404, 404, 403}},
        {"GET", "/api/plans/999", {401, 404, 404, 404}},
        {"PUT", "/api/plans/999", {401, 404, 404, 403}},
        {"POST", "/api/plans/999/sign", {401, 404, 404, 403}},
        {"POST", "/api/groups", {401, 415, 415, 403}},
        {"PUT", "/api/groups/999", {401, 404, 404, 403}},
        {"POST", "/api/groups/999/roster", {401, 404, 404, 403}},
        {"POST", "/api/logout", {401, 204, 204, 204}},
    };
    for (int who = 0; who < 4; who++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            struct session s = {"", ""};
            if (who) login_as(ROLES[who - 1], &s);
            const char *const hdrs[] = {who ? s.cookie : "X-Nothing: 1", who ? s.csrf : NULL, NULL};
            struct http h;
            long got = request(cases[i].method, cases[i].path, NULL, 0, hdrs, &h);
            if (got != cases[i].want[who])
                fprintf(stderr, "%s %s as %s: %ld, wanted %ld\n", cases[i].method, cases[i].path,
                        who ? ROLES[who - 1] : "nobody", got, cases[i].want[who]);
            assert_int_equal(got, cases[i].want[who]);
            if (got == 401) assert_error(&h, 401, "unauthenticated", NULL);
            if (got == 403) assert_error(&h, 403, "forbidden", NULL);
            http_free(&h);
        }
        /* signing in works the same for every role */
        if (who) {
            struct http h;
            assert_int_equal(try_login(ROLES[who - 1], PW, &h), 200);
            assert_string_equal(json_string_value(json_object_get(json_object_get(h.json, "user"), "role")),
                                ROLES[who - 1]);
            http_free(&h);
        }
    }
}

/* The users page's routes: an admin manages the practice's users, never another practice's. */
static void test_users(void **state)
{
    (void)state;
    struct session a;
    login_as("admin", &a);
    const char *const ah[] = {a.cookie, a.csrf, "Content-Type: application/json", NULL};
    struct http h;
    assert_int_equal(request("GET", "/api/users", NULL, 0, ah, &h), 200);
    assert_int_equal(json_array_size(json_object_get(h.json, "users")), 3);
    assert_null(strstr(h.body.p, "argon2"));
    assert_true(json_is_false(json_object_get(h.json, "two_factor_required")));
    http_free(&h);

    const char *add = "{\"username\": \"Nora\", \"role\": \"biller\", \"password\": \"nora's password\"}";
    assert_int_equal(request("POST", "/api/users", add, strlen(add), ah, &h), 201);
    long long nora = json_integer_value(json_object_get(h.json, "id"));
    assert_string_equal(json_string_value(json_object_get(h.json, "username")), "nora");
    http_free(&h);
    expect_error("POST", "/api/users", add, ah, 409, "conflict", "username");
    const char *bad[][2] = {
        {"{\"username\": \"x y\", \"role\": \"biller\", \"password\": \"long enough\"}", "username"},
        {"{\"username\": \"xy\", \"role\": \"owner\", \"password\": \"long enough\"}", "role"},
        {"{\"username\": \"xy\", \"role\": \"biller\", \"password\": \"short\"}", "password"},
        {"{\"username\": \"xy\", \"role\": \"clinician\", \"clinician_id\": 999, \"password\": \"long enough\"}",
         "clinician_id"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) expect_error("POST", "/api/users", bad[i][0], ah, 422, "invalid", bad[i][1]);

    char path[64], body[200];
    snprintf(path, sizeof path, "/api/users/%lld", nora);
    const char *patch = "{\"role\": \"admin\", \"active\": false}";
    assert_int_equal(request("PATCH", path, patch, strlen(patch), ah, &h), 200);
    assert_string_equal(json_string_value(json_object_get(h.json, "role")), "admin");
    assert_true(json_is_false(json_object_get(h.json, "active")));
    http_free(&h);
    try_login("nora", "nora's password", &h);
    assert_error(&h, 401, "bad_credentials", NULL); /* turned off */
    http_free(&h);
    patch = "{\"active\": true}";
    assert_int_equal(request("PATCH", path, patch, strlen(patch), ah, &h), 200);
    http_free(&h);
    snprintf(path, sizeof path, "/api/users/%lld/password", nora);
    snprintf(body, sizeof body, "{\"password\": \"reset by admin\"}");
    assert_int_equal(request("POST", path, body, strlen(body), ah, &h), 204);
    http_free(&h);
    assert_int_equal(try_login("nora", "reset by admin", &h), 200);
    http_free(&h);
    /* an admin cannot lock themselves out */
    assert_int_equal(request("GET", "/api/me", NULL, 0, ah, &h), 200);
    snprintf(path, sizeof path, "/api/users/%lld", (long long)json_integer_value(json_object_get(json_object_get(h.json, "user"), "id")));
    http_free(&h);
    expect_error("PATCH", path, "{\"active\": false}", ah, 422, "invalid", "active");
    expect_error("PATCH", path, "{\"role\": \"biller\"}", ah, 422, "invalid", "role");

    /* another practice's user is not there for this admin */
    psy_store *st;
    assert_int_equal(psy_store_open(db_path, &st, NULL, 0), PSY_OK);
    struct psy_user u = {0};
    u.practice_id = 2;
    u.active = 1;
    u.role = PSY_ROLE_BILLER;
    snprintf(u.username, sizeof u.username, "theirs");
    long long theirs = 0;
    assert_int_equal(psy_auth_user_add(st, &fast, &u, PW, &theirs), PSY_OK);
    psy_store_close(st);
    snprintf(path, sizeof path, "/api/users/%lld", theirs);
    expect_error("PATCH", path, "{\"role\": \"admin\"}", ah, 404, "not_found", NULL);
    snprintf(path, sizeof path, "/api/users/%lld/password", theirs);
    expect_error("POST", path, "{\"password\": \"taken over!\"}", ah, 404, "not_found", NULL);
    snprintf(path, sizeof path, "/api/users/%lld/totp-reset", theirs);
    expect_error("POST", path, NULL, ah, 404, "not_found", NULL);
    assert_int_equal(request("GET", "/api/users", NULL, 0, ah, &h), 200);
    assert_null(strstr(h.body.p, "theirs"));
    http_free(&h);

    /* one's own password: the current one is needed */
    struct session c;
    login_as("clinician", &c);
    const char *const ch[] = {c.cookie, c.csrf, "Content-Type: application/json", NULL};
    expect_error("POST", "/api/me/password", "{\"current_password\": \"nope nope\", \"password\": \"clinician new pw\"}",
                 ch, 403, "wrong_password", "current_password");
    snprintf(body, sizeof body, "{\"current_password\": \"%s\", \"password\": \"clinician new pw\"}", PW);
    assert_int_equal(request("POST", "/api/me/password", body, strlen(body), ch, &h), 204);
    http_free(&h);
    assert_int_equal(request("GET", "/api/me", NULL, 0, ch, &h), 200); /* this session goes on */
    http_free(&h);
    assert_int_equal(try_login("clinician", "clinician new pw", &h), 200);
    http_free(&h);
    /* all of it is on the trail */
    assert_int_equal(db_count("SELECT count(*) FROM audit_event WHERE action IN ('user.add', 'user.update', "
                              "'user.password_reset', 'me.password', 'me.password_refused')"), 6);
}

/* The code an authenticator app shows for a base32 secret at time t. */
static void app_code(const char *b32, long long t, char out[7])
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned char key[PSY_TOTP_SECRET_BYTES];
    unsigned long long acc = 0;
    int bits = 0;
    size_t n = 0;
    for (const char *p = b32; *p && n < sizeof key; p++) {
        acc = (acc << 5) | (unsigned long long)(strchr(alphabet, *p) - alphabet);
        if ((bits += 5) >= 8) key[n++] = (unsigned char)(acc >> (bits -= 8));
    }
    assert_int_equal(n, sizeof key);
    assert_int_equal(psy_auth_totp_code(key, sizeof key, t, 6, out), PSY_OK);
}

/* Enrolling a second factor over HTTP, then signing in with it; the practice's rule. */
static void test_two_factor(void **state)
{
    (void)state;
    struct session b;
    login_as("biller", &b);
    const char *const bh[] = {b.cookie, b.csrf, "Content-Type: application/json", NULL};
    struct http h;
    assert_int_equal(request("POST", "/api/me/totp", NULL, 0, bh, &h), 200);
    char secret[64];
    snprintf(secret, sizeof secret, "%s", json_string_value(json_object_get(h.json, "secret")));
    assert_int_equal(strlen(secret), 32);
    assert_true(strncmp(json_string_value(json_object_get(h.json, "qr")), "data:image/svg+xml;base64,", 26) == 0);
    http_free(&h);
    expect_error("POST", "/api/me/totp/confirm", "{\"code\": \"12345\"}", bh, 422, "invalid", "code");
    char code[7], body[128];
    long long now = (long long)time(NULL);
    app_code(secret, now, code);
    snprintf(body, sizeof body, "{\"code\": \"%s\"}", code);
    assert_int_equal(request("POST", "/api/me/totp/confirm", body, strlen(body), bh, &h), 200);
    http_free(&h);
    expect_error("POST", "/api/me/totp", NULL, bh, 409, "conflict", NULL); /* the secret is not shown again */
    assert_int_equal(request("GET", "/api/me", NULL, 0, bh, &h), 200);
    assert_null(strstr(h.body.p, secret));
    assert_true(json_is_true(json_object_get(json_object_get(h.json, "user"), "two_factor")));
    http_free(&h);

    try_login("biller", PW, &h);
    assert_error(&h, 401, "code_required", "code");
    http_free(&h);
    /* the code just used to confirm is refused (replay); the next step's code gets in */
    snprintf(body, sizeof body, "{\"username\": \"biller\", \"password\": \"%s\", \"code\": \"%s\"}", PW, code);
    post_json("/api/login", body, &h);
    assert_error(&h, 401, "bad_code", "code");
    http_free(&h);
    app_code(secret, now + 30, code);
    snprintf(body, sizeof body, "{\"username\": \"biller\", \"password\": \"%s\", \"code\": \"%s\"}", PW, code);
    assert_int_equal(post_json("/api/login", body, &h), 200);
    http_free(&h);

    /* the admin requires it for the practice: the clinician without one must enrol before anything else */
    struct session a;
    login_as("admin", &a);
    const char *const ah[] = {a.cookie, a.csrf, "Content-Type: application/json", NULL};
    assert_int_equal(request("PUT", "/api/users/two-factor", "{\"required\": true}", 18, ah, &h), 200);
    http_free(&h);
    struct session c;
    login_as("clinician", &c);
    const char *const ch[] = {c.cookie, c.csrf, "Content-Type: application/json", NULL};
    assert_int_equal(request("GET", "/api/me", NULL, 0, ch, &h), 200);
    assert_true(json_is_true(json_object_get(h.json, "must_enrol")));
    http_free(&h);
    expect_error("GET", "/api/clients", NULL, ch, 403, "enrol_required", NULL);
    assert_int_equal(request("POST", "/api/me/totp", NULL, 0, ch, &h), 200);
    http_free(&h);
    /* an admin's reset of the biller's factor (a lost phone) */
    assert_int_equal(request("GET", "/api/users", NULL, 0, ah, &h), 200);
    long long biller = 0;
    json_t *users = json_object_get(h.json, "users");
    for (size_t i = 0; i < json_array_size(users); i++)
        if (!strcmp(json_string_value(json_object_get(json_array_get(users, i), "username")), "biller"))
            biller = json_integer_value(json_object_get(json_array_get(users, i), "id"));
    http_free(&h);
    char path[64];
    snprintf(path, sizeof path, "/api/users/%lld/totp-reset", biller);
    assert_int_equal(request("POST", path, NULL, 0, ah, &h), 204);
    http_free(&h);
    assert_int_equal(db_count("SELECT count(*) FROM user_totp WHERE confirmed_at IS NOT NULL"), 0);
    assert_int_equal(db_count("SELECT count(*) FROM audit_event WHERE action IN ('me.totp_begin', 'me.totp_enrol', "
                              "'practice.two_factor_on', 'user.totp_reset')"), 5);
}

static void test_errors(void **state)
{
    (void)state;
    struct session s;
    login_as("biller", &s);
    const char *const auth[] = {s.cookie, s.csrf, NULL};
    struct http h;
    char v[128];
    expect_error("GET", "/api/nothing-here", NULL, auth, 404, "not_found", NULL);
    expect_error("GET", "/api/codes/cpt", NULL, auth, 404, "not_found", NULL);
    request("DELETE", "/api/me", NULL, 0, auth, &h);
    assert_error(&h, 405, "method_not_allowed", NULL);
    assert_string_equal(header(&h, "Allow", v, sizeof v), "GET");
    http_free(&h);
    expect_error("GET", "/api/login", NULL, auth, 405, "method_not_allowed", NULL);
    expect_error("GET", "/api/codes/loinc/1234-5", NULL, auth, 400, "invalid", "system");
    request("GET", "/api/codes/cpt/90854", NULL, 0, auth, &h);
    assert_error(&h, 404, "not_found", "code");
    json_t *sug = json_object_get(h.json, "suggestions");
    assert_true(json_array_size(sug) > 0);
    int found = 0;
    for (size_t i = 0; i < json_array_size(sug); i++)
        found |= !strcmp(json_string_value(json_object_get(json_array_get(sug, i), "code")), "90853");
    assert_true(found);
    http_free(&h);
    request("GET", "/api/me", "{}", 2, auth, &h); /* a body where none belongs */
    assert_error(&h, 400, "bad_request", NULL);
    http_free(&h);
}

/* A body past the cap is refused: 413 with the error envelope, or, when the server answered and closed
 * while curl was still sending, a cut upload (status 0) after which the server still answers. */
static void assert_too_large(struct http *h)
{
    if (h->status == 0) {
        struct http ok;
        assert_int_equal(request("GET", "/api/health", NULL, 0, NULL, &ok), 200);
        http_free(&ok);
        return;
    }
    assert_error(h, 413, "payload_too_large", NULL);
}

static void test_body_cap(void **state)
{
    (void)state;
    allow_cut_upload = 1;
    struct http h;
    size_t n = 5000; /* the fixture's server caps bodies at 4096 bytes */
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    big[n] = 0;
    request("POST", "/api/login", big, n, JSON_CT, &h);
    assert_too_large(&h);
    http_free(&h);
    /* without a Content-Length (chunked) the cap holds as well */
    const char *const chunked[] = {"Content-Type: application/json", "Transfer-Encoding: chunked", NULL};
    request("POST", "/api/login", big, n, chunked, &h);
    assert_too_large(&h);
    http_free(&h);
    /* just under the cap is read and judged on its content */
    request("POST", "/api/login", big, 4000, JSON_CT, &h);
    assert_error(&h, 400, "invalid_json", NULL);
    http_free(&h);
    free(big);

    /* the default cap is 1 MiB */
    psy_server_stop(srv);
    start(0, NULL, NULL);
    n = PSY_SERVER_MAX_BODY + 1;
    big = malloc(n);
    memset(big, ' ', n);
    request("POST", "/api/login", big, n, JSON_CT, &h);
    assert_too_large(&h);
    http_free(&h);
    request("POST", "/api/login", big, n - 1, JSON_CT, &h);
    assert_error(&h, 400, "invalid_json", NULL);
    http_free(&h);
    free(big);
    allow_cut_upload = 0;
}

static void test_code_page(void **state)
{
    (void)state;
    struct session s;
    login_as("clinician", &s);
    const char *const auth[] = {s.cookie, NULL};
    struct http h;
    assert_int_equal(request("GET", "/api/codes/any/90853", NULL, 0, auth, &h), 200);
    assert_string_equal(json_string_value(json_object_get(h.json, "system")), "cpt");
    assert_string_equal(json_string_value(json_object_get(h.json, "code")), "90853");
    assert_true(json_is_true(json_object_get(h.json, "billable")));
    json_t *page = json_object_get(h.json, "page");
    static const char *const keys[] = {"name", "summary", "purpose", "indications", "procedure", "time_band",
                                       "similar_codes", "billing_notes", "payer_policies", "sources"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) assert_non_null(json_object_get(page, keys[i]));
    json_t *sim = json_array_get(json_object_get(page, "similar_codes"), 0);
    assert_string_equal(json_string_value(json_object_get(sim, "code")), "90849");
    assert_string_equal(json_string_value(json_object_get(sim, "system")), "cpt");
    assert_true(json_is_string(json_object_get(sim, "title")));
    json_t *links = json_object_get(h.json, "links");
    assert_true(json_array_size(links) > 0);
    int addon = 0;
    for (size_t i = 0; i < json_array_size(links); i++) {
        json_t *l = json_array_get(links, i);
        if (!strcmp(json_string_value(json_object_get(l, "kind")), "addon") &&
            !strcmp(json_string_value(json_object_get(l, "code")), "90785")) {
            addon = 1;
            assert_true(json_is_string(json_object_get(l, "title")));
        }
    }
    assert_true(addon);
    http_free(&h);
    /* a code without a page: the record, page null */
    assert_int_equal(request("GET", "/api/codes/icd10cm/F43.10", NULL, 0, auth, &h), 200);
    assert_string_equal(json_string_value(json_object_get(h.json, "code")), "F43.10");
    assert_true(json_is_null(json_object_get(h.json, "page")));
    http_free(&h);
}

/* --- coding a session -------------------------------------------------------------------------- */

/* POSTs a code-session body as a signed-in clinician. */
static long code_session(const struct session *s, const char *body, struct http *h)
{
    const char *const hdrs[] = {s->cookie, s->csrf, "Content-Type: application/json", NULL};
    return request("POST", "/api/code-session", body, strlen(body), hdrs, h);
}

static json_t *line(const struct http *h, size_t i) { return json_array_get(json_object_get(h->json, "lines"), i); }

static int has_string(json_t *arr, const char *want)
{
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (!strcmp(json_string_value(json_array_get(arr, i)), want)) return 1;
    return 0;
}

/* --- search: psyclaim's own and the NLM Clinical Table Search Service dialect ------------------------ */
/* GET path without a session; the body must be JSON. */
static void get_public(const char *path, long status, struct http *h)
{
    request("GET", path, NULL, 0, NULL, h);
    if (h->status != status) fprintf(stderr, "%s: status %ld, body %s\n", path, h->status, h->body.p ? h->body.p : "");
    assert_int_equal(h->status, status);
    assert_non_null(h->json);
}


struct bad_query {
    const char *path, *code, *field;
};

/* Each GET must answer 400 with this error code and field. */
static void expect_bad_queries(const struct bad_query *b, size_t n)
{
    for (size_t i = 0; i < n; i++) expect_error("GET", b[i].path, NULL, NULL, 400, b[i].code, b[i].field);
}

static void test_nlm_search(void **state)
{
    (void)state;
    struct http h;
    /* [total, [codes], extras, [[code, name]...]], no session needed, readable cross-origin */
    get_public("/api/icd10cm/v3/search?terms=F43.1", 200, &h);
    assert_true(json_is_array(h.json));
    assert_int_equal(json_array_size(h.json), 4);
    json_int_t total = json_integer_value(json_array_get(h.json, 0));
    json_t *codes = json_array_get(h.json, 1), *display = json_array_get(h.json, 3);
    assert_true(total >= 4); /* F43.1, F43.10, F43.11, F43.12 */
    assert_true(has_string(codes, "F43.10"));
    assert_true(json_is_null(json_array_get(h.json, 2)));
    assert_int_equal(json_array_size(display), json_array_size(codes));
    for (size_t i = 0; i < json_array_size(codes); i++) {
        json_t *row = json_array_get(display, i);
        assert_int_equal(json_array_size(row), 2);
        assert_string_equal(json_string_value(json_array_get(row, 0)), json_string_value(json_array_get(codes, i)));
        assert_true(strlen(json_string_value(json_array_get(row, 1))) > 3);
        assert_true(json_string_value(json_array_get(codes, i))[0] != '9'); /* ICD-10-CM only, no CPT */
    }
    char v[64];
    assert_non_null(header(&h, "Access-Control-Allow-Origin", v, sizeof v));
    assert_string_equal(v, "*");
    http_free(&h);

    /* maxList defaults to 7 and sets the page size; offset pages; total stays */
    get_public("/api/icd10cm/v3/search?terms=depress", 200, &h);
    json_int_t dep_total = json_integer_value(json_array_get(h.json, 0));
    assert_true(dep_total > 3);
    size_t first = json_array_size(json_array_get(h.json, 1));
    assert_int_equal(first, dep_total < 7 ? (size_t)dep_total : 7);
    char second_code[32];
    snprintf(second_code, sizeof second_code, "%s", json_string_value(json_array_get(json_array_get(h.json, 1), 1)));
    http_free(&h);
    get_public("/api/icd10cm/v3/search?terms=depress&maxList=2", 200, &h);
    assert_int_equal(json_array_size(json_array_get(h.json, 1)), 2);
    assert_int_equal(json_integer_value(json_array_get(h.json, 0)), dep_total);
    http_free(&h);
    get_public("/api/icd10cm/v3/search?terms=depress&count=1&offset=1", 200, &h);
    assert_int_equal(json_array_size(json_array_get(h.json, 1)), 1);
    assert_string_equal(json_string_value(json_array_get(json_array_get(h.json, 1), 0)), second_code);
    assert_int_equal(json_integer_value(json_array_get(h.json, 0)), dep_total);
    http_free(&h);
    get_public("/api/icd10cm/v3/search?terms=depress&maxList=0", 200, &h); /* only the count */
    assert_int_equal(json_array_size(json_array_get(h.json, 1)), 0);
    assert_int_equal(json_integer_value(json_array_get(h.json, 0)), dep_total);
    http_free(&h);
    get_public("/api/icd10cm/v3/search?terms=depress&maxList=9999", 200, &h); /* cut to 500 */
    assert_int_equal(json_array_size(json_array_get(h.json, 1)), dep_total < 500 ? (size_t)dep_total : 500);
    http_free(&h);

    /* df picks and orders the display fields; ef adds a column; unknown sf fields do no harm */
    get_public("/api/icd10cm/v3/search?terms=F43.10&df=name,code&ef=name&sf=code,name,bogus", 200, &h);
    json_t *row = json_array_get(json_array_get(h.json, 3), 0);
    assert_int_equal(json_array_size(row), 2);
    assert_string_equal(json_string_value(json_array_get(row, 1)), "F43.10");
    json_t *names = json_object_get(json_array_get(h.json, 2), "name");
    assert_int_equal(json_array_size(names), json_array_size(json_array_get(h.json, 1)));
    assert_string_equal(json_string_value(json_array_get(names, 0)), json_string_value(json_array_get(row, 0)));
    http_free(&h);
    get_public("/api/icd10cm/v3/search?terms=F43.10&df=code", 200, &h);
    assert_int_equal(json_array_size(json_array_get(json_array_get(h.json, 3), 0)), 1);
    http_free(&h);
    get_public("/api/icd10cm/v3/search?terms=zzzqqqxxy", 200, &h); /* nothing matches: not an error */
    assert_int_equal(json_integer_value(json_array_get(h.json, 0)), 0);
    assert_int_equal(json_array_size(json_array_get(h.json, 1)), 0);
    http_free(&h);

    /* HCPCS: only HCPCS codes, and NLM's HCPCS field name "display" */
    get_public("/api/hcpcs/v3/search?terms=psychotherapy&maxList=50&df=code,display", 200, &h);
    codes = json_array_get(h.json, 1);
    assert_true(json_array_size(codes) > 0);
    for (size_t i = 0; i < json_array_size(codes); i++) {
        const char *c = json_string_value(json_array_get(codes, i));
        assert_true(c[0] >= 'A' && c[0] <= 'Z' && strlen(c) == 5); /* G0410, H0004 ... */
    }
    http_free(&h);

    /* bad parameters: 400 naming the parameter */
    static const struct bad_query bad[] = {
        {"/api/icd10cm/v3/search", "required", "terms"},
        {"/api/icd10cm/v3/search?terms=gad&maxList=abc", "invalid", "maxList"},
        {"/api/icd10cm/v3/search?terms=gad&maxList=-1", "invalid", "maxList"},
        {"/api/icd10cm/v3/search?terms=gad&count=x", "invalid", "count"},
        {"/api/icd10cm/v3/search?terms=gad&offset=-3", "invalid", "offset"},
        {"/api/icd10cm/v3/search?terms=gad&df=code,colour", "invalid", "df"},
        {"/api/icd10cm/v3/search?terms=gad&df=display", "invalid", "df"}, /* an HCPCS field name only */
        {"/api/icd10cm/v3/search?terms=gad&ef=weight", "invalid", "ef"},
        {"/api/icd10cm/v3/search?terms=%FF%FE", "invalid", "terms"},
    };
    expect_bad_queries(bad, sizeof bad / sizeof bad[0]);
    expect_error("POST", "/api/hcpcs/v3/search?terms=gad", "{}", JSON_CT, 405, "method_not_allowed", NULL);
}

static void test_search(void **state)
{
    (void)state;
    struct http h;
    get_public("/api/search?q=ptsd%20chronic", 200, &h);
    json_t *hits = json_object_get(h.json, "hits");
    assert_true(json_integer_value(json_object_get(h.json, "total")) >= 1);
    json_t *top = json_array_get(hits, 0);
    assert_string_equal(json_string_value(json_object_get(top, "code")), "F43.12");
    assert_string_equal(json_string_value(json_object_get(top, "system")), "icd10cm");
    assert_true(json_is_boolean(json_object_get(top, "billable")));
    assert_true(json_is_string(json_object_get(top, "title")));
    assert_true(json_is_real(json_object_get(top, "score")));
    http_free(&h);

    /* filters: one system; billable only (F43.1 is a category, not billable) */
    get_public("/api/search?q=group%20therapy&system=cpt&limit=50", 200, &h);
    hits = json_object_get(h.json, "hits");
    assert_true(json_array_size(hits) > 0);
    for (size_t i = 0; i < json_array_size(hits); i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(hits, i), "system")), "cpt");
    http_free(&h);
    get_public("/api/search?q=f431&system=icd10cm", 200, &h);
    json_int_t all = json_integer_value(json_object_get(h.json, "total"));
    int saw_category = 0;
    hits = json_object_get(h.json, "hits");
    for (size_t i = 0; i < json_array_size(hits); i++)
        saw_category |= !strcmp(json_string_value(json_object_get(json_array_get(hits, i), "code")), "F43.1");
    assert_true(saw_category);
    http_free(&h);
    get_public("/api/search?q=f431&system=icd10cm&billable=true", 200, &h);
    hits = json_object_get(h.json, "hits");
    assert_true(json_integer_value(json_object_get(h.json, "total")) < all);
    assert_true(json_array_size(hits) > 0);
    for (size_t i = 0; i < json_array_size(hits); i++)
        assert_true(json_is_true(json_object_get(json_array_get(hits, i), "billable")));
    http_free(&h);
    /* limit and offset page through the same answer */
    get_public("/api/search?q=f431&limit=2", 200, &h);
    assert_int_equal(json_array_size(json_object_get(h.json, "hits")), 2);
    char second[32];
    snprintf(second, sizeof second, "%s",
             json_string_value(json_object_get(json_array_get(json_object_get(h.json, "hits"), 1), "code")));
    http_free(&h);
    get_public("/api/search?q=f431&limit=1&offset=1", 200, &h);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(h.json, "hits"), 0), "code")),
                        second);
    http_free(&h);

    static const struct bad_query bad[] = {
        {"/api/search", "required", "q"},
        {"/api/search?q=x&system=snomed", "invalid", "system"},
        {"/api/search?q=x&billable=maybe", "invalid", "billable"},
        {"/api/search?q=x&limit=0", "invalid", "limit"},
        {"/api/search?q=x&offset=-1", "invalid", "offset"},
    };
    expect_bad_queries(bad, sizeof bad / sizeof bad[0]);
}

static void test_code_session(void **state)
{
    (void)state;
    struct session s;
    login_as("clinician", &s);
    struct http h;
    assert_int_equal(code_session(&s, "{\"date\": \"2024-07-01\", \"kind\": \"individual\", \"minutes\": 60}", &h), 200);
    assert_int_equal(json_array_size(json_object_get(h.json, "lines")), 1);
    json_t *l = line(&h, 0);
    assert_string_equal(json_string_value(json_object_get(l, "code")), "90837");
    assert_int_equal(json_integer_value(json_object_get(l, "units")), 1);
    assert_string_equal(json_string_value(json_object_get(l, "place_of_service")), "11");
    assert_int_equal(json_array_size(json_object_get(l, "modifiers")), 0);
    assert_true(has_string(json_object_get(l, "rules"), "R-TIME-1"));
    assert_non_null(strstr(json_string_value(json_object_get(l, "explanation")), "60 psychotherapy minutes"));
    assert_true(json_integer_value(json_object_get(l, "charge_cents")) > 0);
    assert_int_equal(json_array_size(json_object_get(h.json, "findings")), 0);
    http_free(&h);

    /* the same engine as the command line: video from home for Medicare is POS 10 with modifier 95 */
    assert_int_equal(code_session(&s, "{\"date\": \"2024-07-01\", \"kind\": \"individual\", \"minutes\": 40, "
                                      "\"telehealth\": \"video\", \"patient_location\": \"home\", \"payer\": \"medicare\"}", &h), 200);
    l = line(&h, 0);
    assert_string_equal(json_string_value(json_object_get(l, "code")), "90834");
    assert_string_equal(json_string_value(json_object_get(l, "place_of_service")), "10");
    assert_true(has_string(json_object_get(l, "modifiers"), "95"));
    assert_true(has_string(json_object_get(l, "rules"), "R-TH-1"));
    http_free(&h);

    /* a valid session that cannot be billed is an answer (200) whose findings say why */
    assert_int_equal(code_session(&s, "{\"date\": \"2024-07-01\", \"kind\": \"individual\", \"minutes\": 10}", &h), 200);
    assert_int_equal(json_array_size(json_object_get(h.json, "lines")), 0);
    json_t *f = json_array_get(json_object_get(h.json, "findings"), 0);
    assert_string_equal(json_string_value(json_object_get(f, "severity")), "error");
    assert_string_equal(json_string_value(json_object_get(f, "rule")), "R-TIME-1");
    assert_string_equal(json_string_value(json_object_get(f, "field")), "minutes");
    http_free(&h);

    /* invalid descriptions: 422 naming the field */
    static const struct { const char *body, *field; } bad[] = {
        {"{\"date\": \"2024-07-01\", \"kind\": \"individual\", \"minutes\": -5}", "minutes"},
        {"{\"date\": \"2024-07-01\", \"kind\": \"individual\", \"minute\": 50}", "minute"},
        {"{\"date\": \"2024-07-01\", \"minutes\": 50}", "kind"},
        {"{\"kind\": \"individual\", \"minutes\": 50}", "date"},
        {"{\"date\": \"2024-07-01\", \"kind\": \"massage\", \"minutes\": 50}", "kind"},
        {"{\"date\": \"2024-07-01\", \"kind\": \"individual\", \"minutes\": 50, \"payer\": \"no-such-payer\"}", "payer"},
        {"{\"date\": \"2024-07-01\", \"kind\": \"family_with_patient\"}", "minutes"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        code_session(&s, bad[i].body, &h);
        assert_error(&h, 422, "invalid", bad[i].field);
        assert_non_null(strstr(json_string_value(json_object_get(json_object_get(h.json, "error"), "message")),
                               bad[i].field));
        http_free(&h);
    }
    /* not a session at all */
    code_session(&s, "{\"date\": ", &h);
    assert_error(&h, 400, "invalid_json", NULL);
    http_free(&h);
    code_session(&s, "[1, 2]", &h);
    assert_error(&h, 400, "invalid_json", NULL);
    http_free(&h);
    const char *const form[] = {s.cookie, s.csrf, "Content-Type: text/plain", NULL};
    expect_error("POST", "/api/code-session", "{}", form, 415, "unsupported_media_type", NULL);
    const char *const no_csrf[] = {s.cookie, "Content-Type: application/json", NULL};
    expect_error("POST", "/api/code-session", "{\"date\": \"2024-07-01\", \"kind\": \"group\"}", no_csrf, 403, "csrf", NULL);
}

static void test_payers(void **state)
{
    (void)state;
    struct session s;
    login_as("biller", &s);
    const char *const auth[] = {s.cookie, NULL};
    struct http h;
    assert_int_equal(request("GET", "/api/payers", NULL, 0, auth, &h), 200);
    assert_string_equal(json_string_value(json_object_get(h.json, "default")), "default");
    json_t *arr = json_object_get(h.json, "payers");
    int seen_default = 0, seen_medicare = 0;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *p = json_array_get(arr, i);
        const char *id = json_string_value(json_object_get(p, "id")), *name = json_string_value(json_object_get(p, "name"));
        assert_non_null(id);
        assert_non_null(name);
        assert_true(strlen(name) > 3);
        seen_default |= !strcmp(id, "default");
        if (!strcmp(id, "medicare")) {
            seen_medicare = 1;
            assert_non_null(strstr(name, "Medicare"));
        }
    }
    assert_true(seen_default && seen_medicare);
    http_free(&h);
}

/* --- reading a remittance ------------------------------------------------------------------------ */

static char *slurp_source(const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", PSY_SOURCE_DIR, rel);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 16);
    *len = fread(buf, 1, (1 << 16) - 1, f);
    buf[*len] = 0;
    fclose(f);
    return buf;
}

static long era_read(const struct session *s, const char *body, size_t len, struct http *h)
{
    const char *const hdrs[] = {s->cookie, s->csrf, "Content-Type: application/edi-x12", NULL};
    return request("POST", "/api/era/read", body, len, hdrs, h);
}

static json_t *adjustment(json_t *adjs, const char *group, const char *reason)
{
    for (size_t i = 0; i < json_array_size(adjs); i++) {
        json_t *a = json_array_get(adjs, i);
        if (!strcmp(json_string_value(json_object_get(a, "group")), group) &&
            !strcmp(json_string_value(json_object_get(a, "reason")), reason))
            return a;
    }
    return NULL;
}

static void test_era_read(void **state)
{
    (void)state;
    struct session s;
    login_as("biller", &s);
    size_t len;
    char *era = slurp_source("tests/data/x12/835-small.x12", &len);
    struct http h;
    assert_int_equal(era_read(&s, era, len, &h), 200);
    json_t *pays = json_object_get(h.json, "payments");
    assert_int_equal(json_array_size(pays), 1);
    json_t *p = json_array_get(pays, 0);
    assert_string_equal(json_string_value(json_object_get(p, "payer")), "INVENTED HEALTH PLAN");
    assert_string_equal(json_string_value(json_object_get(p, "check_number")), "EFT424242");
    assert_int_equal(json_integer_value(json_object_get(p, "paid_cents")), 10000);
    assert_string_equal(json_string_value(json_object_get(p, "method")), "ACH");
    assert_string_equal(json_string_value(json_object_get(p, "payment_date")), "20260303");
    json_t *claims = json_object_get(p, "claims");
    assert_int_equal(json_array_size(claims), 2);
    json_t *c0 = json_array_get(claims, 0);
    assert_string_equal(json_string_value(json_object_get(c0, "claim_id")), "BT0001");
    assert_string_equal(json_string_value(json_object_get(c0, "status_text")), "Processed as primary");
    assert_int_equal(json_integer_value(json_object_get(c0, "charge_cents")), 15000);
    assert_int_equal(json_integer_value(json_object_get(c0, "patient_responsibility_cents")), 2000);
    json_t *svc = json_array_get(json_object_get(c0, "services"), 0);
    assert_string_equal(json_string_value(json_object_get(svc, "code")), "90837");
    json_t *co45 = adjustment(json_object_get(svc, "adjustments"), "CO", "45");
    assert_non_null(co45);
    assert_int_equal(json_integer_value(json_object_get(co45, "amount_cents")), 3000);
    assert_string_equal(json_string_value(json_object_get(co45, "reason_text")),
                        psy_x12_describe(PSY_X12_TEXT_REASON, "45"));
    assert_string_equal(json_string_value(json_object_get(co45, "group_text")), psy_x12_describe(PSY_X12_TEXT_GROUP, "CO"));
    json_t *pr3 = adjustment(json_object_get(svc, "adjustments"), "PR", "3");
    assert_non_null(pr3);
    assert_non_null(strstr(json_string_value(json_object_get(pr3, "reason_text")), "opay"));
    json_t *c1svc = json_array_get(json_object_get(json_array_get(claims, 1), "services"), 0);
    assert_non_null(adjustment(json_object_get(c1svc, "adjustments"), "CO", "197"));
    http_free(&h);

    /* a claim that cannot be understood: the rest is read, the claim names its segment and element */
    char *bad = strdup(era);
    char *clp = strstr(bad, "CLP*BT0001*1*150");
    assert_non_null(clp);
    memcpy(clp + strlen("CLP*BT0001*1*"), "1x0", 3);
    assert_int_equal(era_read(&s, bad, len, &h), 200);
    json_t *pay0 = json_array_get(json_object_get(h.json, "payments"), 0);
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(json_object_get(pay0, "claims"), 0), "defect")),
                           "segment 9 (CLP) element CLP03"));
    assert_true(json_is_null(json_object_get(json_array_get(json_object_get(pay0, "claims"), 1), "defect")));
    http_free(&h);
    era_read(&s, era, len / 2, &h); /* cut short */
    assert_error(&h, 422, "invalid_x12", "body");
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(h.json, "error"), "message")), "segment "));
    http_free(&h);
    era_read(&s, "", 0, &h);
    assert_error(&h, 422, "invalid_x12", "body");
    http_free(&h);
    const char *const form[] = {s.cookie, s.csrf, "Content-Type: multipart/form-data; boundary=x", NULL};
    expect_error("POST", "/api/era/read", era, form, 415, "unsupported_media_type", NULL);
    /* over the body cap (4096 bytes in the fixture) */
    char *big = malloc(5000);
    memset(big, ' ', 5000);
    era_read(&s, big, 5000, &h);
    assert_error(&h, 413, "payload_too_large", NULL);
    http_free(&h);
    free(big);

    /* a clinician may not read remittances; the admin may, and each reading is on the trail */
    struct session c, a;
    login_as("clinician", &c);
    era_read(&c, era, len, &h);
    assert_error(&h, 403, "forbidden", NULL);
    http_free(&h);
    login_as("admin", &a);
    assert_int_equal(era_read(&a, era, len, &h), 200);
    http_free(&h);
    const char *const admin[] = {a.cookie, NULL};
    assert_int_equal(request("GET", "/api/audit", NULL, 0, admin, &h), 200);
    json_t *ev = json_object_get(h.json, "items");
    int reads = 0;
    for (size_t i = 0; i < json_array_size(ev); i++) {
        json_t *e = json_array_get(ev, i);
        if (strcmp(json_string_value(json_object_get(e, "action")), "era.read")) continue;
        reads++;
        assert_string_equal(json_string_value(json_object_get(e, "record_type")), "era");
        assert_string_equal(json_string_value(json_object_get(e, "record_id")), "EFT424242");
    }
    assert_int_equal(reads, 3); /* the biller's two (one with a claim not understood) and the admin's; not the refused or malformed ones */
    http_free(&h);
    free(bad);
    free(era);
}

static void test_audit(void **state)
{
    (void)state;
    struct session a, c;
    struct http h;
    try_login("clinician", "a wrong password", &h);
    http_free(&h);
    login_as("clinician", &c);
    login_as("admin", &a);
    const char *const admin[] = {a.cookie, NULL};
    assert_int_equal(request("GET", "/api/audit", NULL, 0, admin, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "total")), 4);
    json_t *ev = json_object_get(h.json, "items");
    assert_int_equal(json_array_size(ev), 4);
    static const char *const newest_first[] = {"audit.read", "login", "login", "login.failed"};
    static const char *const who[] = {"admin", "admin", "clinician", "clinician"};
    for (size_t i = 0; i < 4; i++) {
        json_t *e = json_array_get(ev, i);
        assert_string_equal(json_string_value(json_object_get(e, "action")), newest_first[i]);
        assert_string_equal(json_string_value(json_object_get(e, "username")), who[i]);
        assert_string_equal(json_string_value(json_object_get(e, "ip")), "127.0.0.1");
        assert_int_equal(strlen(json_string_value(json_object_get(e, "at"))), 20);
    }
    http_free(&h);
    assert_int_equal(request("GET", "/api/audit?limit=1&offset=2", NULL, 0, admin, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "total")), 5);
    assert_int_equal(json_array_size(json_object_get(h.json, "items")), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(h.json, "items"), 0),
                                                          "action")), "login");
    http_free(&h);
    expect_error("GET", "/api/audit?limit=0", NULL, admin, 400, "invalid", "limit");
    expect_error("GET", "/api/audit?offset=-1", NULL, admin, 400, "invalid", "offset");
    expect_error("GET", "/api/audit?limit=ten", NULL, admin, 400, "invalid", "limit");

    /* the rows cannot be changed or removed, even with direct access to the database */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_not_equal(sqlite3_exec(db, "UPDATE audit_event SET username = 'x'", NULL, NULL, NULL), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit_event WHERE action = 'login.failed'", NULL, NULL,
                                      NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(request("GET", "/api/audit", NULL, 0, admin, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "total")), 6); /* 3 sign-ins, 3 looks */
    json_t *oldest = json_array_get(json_object_get(h.json, "items"), 5);
    assert_string_equal(json_string_value(json_object_get(oldest, "action")), "login.failed");
    assert_string_equal(json_string_value(json_object_get(oldest, "username")), "clinician");
    http_free(&h);

    /* by cursor, two at a time: each look adds a newer event, and the pages still go on exactly after
     * the last row shown, newest first, down to the first sign-in */
    char cpath[400], cursor[320] = "";
    long long last = 0;
    int seen = 0;
    do {
        snprintf(cpath, sizeof cpath, "/api/audit?limit=2%s%s", *cursor ? "&cursor=" : "", cursor);
        assert_int_equal(request("GET", cpath, NULL, 0, admin, &h), 200);
        json_t *e;
        size_t i;
        json_array_foreach(json_object_get(h.json, "items"), i, e) {
            long long id = json_integer_value(json_object_get(e, "id"));
            assert_true(!last || id == last - 1); /* no gap, no repeat */
            last = id;
            seen++;
        }
        json_t *next = json_object_get(h.json, "next_cursor");
        snprintf(cursor, sizeof cursor, "%s", json_is_string(next) ? json_string_value(next) : "");
        http_free(&h);
    } while (*cursor);
    assert_int_equal(seen, 7); /* the 6 above and the first look of this walk */
    assert_int_equal(last, 1);
    expect_error("GET", "/api/audit?cursor=x", NULL, admin, 400, "invalid", "cursor");
}

static void test_access_log(void **state)
{
    (void)state;
    struct session s;
    login_as("admin", &s);
    const char *const auth[] = {s.cookie, NULL};
    struct http h;
    request("GET", "/api/codes/cpt/90837?q=private", NULL, 0, auth, &h);
    http_free(&h);
    request("GET", "/api/clients/12345", NULL, 0, auth, &h);
    http_free(&h);
    psy_server_stop(srv); /* flushes: every request has completed */
    start(4096, NULL, NULL);
    fflush(access_log);
    rewind(access_log);
    char line[512];
    int code_line = 0, lines = 0;
    while (fgets(line, sizeof line, access_log)) {
        lines++;
        assert_null(strstr(line, "90837"));
        assert_null(strstr(line, "12345"));
        assert_null(strstr(line, "private"));
        assert_null(strstr(line, PW));
        if (strstr(line, "GET /api/codes/:system/:code 200 ")) code_line = 1;
    }
    assert_int_equal(lines, 3);
    assert_true(code_line);
}

struct load {
    const char *cookie;
    int ok;
};

static void *hammer(void *ud)
{
    struct load *l = ud;
    const char *const hdrs[] = {l->cookie, NULL};
    static const char *const paths[] = {"/api/codes/cpt/90853", "/api/me", "/api/codes/any/F41.1", "/app.css"};
    for (int i = 0; i < 40; i++) {
        struct http h;
        if (request("GET", paths[i % 4], NULL, 0, hdrs, &h) == 200) l->ok++;
        http_free(&h);
    }
    return NULL;
}

static void test_concurrent_requests(void **state)
{
    (void)state;
    struct session s;
    login_as("clinician", &s);
    pthread_t t[4];
    struct load l[4];
    for (int i = 0; i < 4; i++) {
        l[i].cookie = s.cookie;
        l[i].ok = 0;
        assert_int_equal(pthread_create(&t[i], NULL, hammer, &l[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(l[i].ok, 40);
    }
}

static void test_tls(void **state)
{
    (void)state;
    char *cert = test_tmp_path(".crt"), *key = test_tmp_path(".key"), cmd[1024];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
             "-subj /CN=localhost -keyout %s -out %s >/dev/null 2>&1", key, cert);
    if (system(cmd) != 0) {
        printf("SKIP: openssl cannot make a test certificate; TLS not tested\n");
        free(cert);
        free(key);
        return;
    }
    psy_server_stop(srv);
    start(4096, cert, key);
    assert_true(psy_server_tls(srv));
    struct http h;
    char v[256];
    assert_int_equal(try_login("admin", PW, &h), 200);
    assert_non_null(header(&h, "Set-Cookie", v, sizeof v));
    assert_non_null(strstr(v, "; Secure"));
    assert_non_null(header(&h, "Strict-Transport-Security", v, sizeof v));
    http_free(&h);
    /* a certificate without its key does not start */
    struct psy_server_config cfg = {0};
    cfg.db_uri = db_path;
    cfg.listen = "127.0.0.1:0";
    cfg.tls_cert_file = cert;
    psy_server *other;
    char err[256];
    assert_int_equal(psy_server_start(&cfg, &other, err, sizeof err), PSY_EINVAL);
    assert_null(other);
    cfg.tls_key_file = "/nonexistent/key.pem";
    assert_int_equal(psy_server_start(&cfg, &other, err, sizeof err), PSY_EIO);
    assert_non_null(strstr(err, "/nonexistent/key.pem"));
    unlink(cert);
    unlink(key);
    free(cert);
    free(key);
}

static void test_bad_config(void **state)
{
    (void)state;
    struct psy_server_config cfg = {0};
    cfg.db_uri = db_path;
    psy_server *other;
    char err[256];
    static const char *const bad[] = {"127.0.0.1", "127.0.0.1:99999", "127.0.0.1:http", ":8080"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg.listen = bad[i];
        assert_int_not_equal(psy_server_start(&cfg, &other, err, sizeof err), PSY_OK);
        assert_null(other);
        assert_non_null(strstr(err, "--listen"));
    }
    char taken[64];
    snprintf(taken, sizeof taken, "127.0.0.1:%u", psy_server_port(srv));
    cfg.listen = taken;
    assert_int_equal(psy_server_start(&cfg, &other, err, sizeof err), PSY_EIO);
    cfg.listen = "[::1]:0"; /* IPv6 loopback, where the machine has it */
    if (psy_server_start(&cfg, &other, err, sizeof err) == PSY_OK) {
        assert_true(psy_server_port(other) > 0);
        psy_server_stop(other);
    }
}

/* --- records and group session documentation ------------------------------------------------------- */

struct rec_fixture {
    psy_id group, lead, other;
    psy_id client;   /* a roster client of the group */
    psy_id stranger; /* a roster client the other clinician does not own */
};

static void add_clinician_user(psy_store *st, const char *name, psy_id clinician)
{
    struct psy_user u = {0};
    u.practice_id = 1;
    u.active = 1;
    u.role = PSY_ROLE_CLINICIAN;
    u.clinician_id = clinician;
    snprintf(u.username, sizeof u.username, "%s", name);
    assert_int_equal(psy_auth_user_add(st, &fast, &u, PW, NULL), PSY_OK);
}

/* A demo practice in the server's database, a user "lead" tied to the first group's clinician and
 * "other" tied to a clinician who neither leads nor co-leads it. */
static void rec_setup(struct rec_fixture *f)
{
    psy_store *st = NULL;
    char err[256];
    assert_int_equal(psy_store_open(db_path, &st, err, sizeof err), PSY_OK);
    struct psy_demo_opts o = {.seed = 11, .end_date = "2025-03-31", .weeks = 4, .clients = 24, .groups = 2, .clean = 1};
    struct psy_demo_result res;
    assert_int_equal(psy_records_demo(st, &o, &res), PSY_OK);
    free(res.problems);
    assert_int_equal(res.practice_id, 1);
    test_payers_take_late_claims(st, 1);
    psy_id *ids;
    size_t n;
    assert_int_equal(psy_records_group_list(st, 1, 0, &ids, &n), PSY_OK);
    assert_true(n >= 1);
    f->group = ids[0];
    free(ids);
    struct psy_group g;
    assert_int_equal(psy_records_group_get(st, 1, f->group, &g), PSY_OK);
    f->lead = g.clinician_id;
    struct psy_clinician *cs;
    assert_int_equal(psy_records_clinician_list(st, 1, &cs, &n), PSY_OK);
    f->other = 0;
    for (size_t i = 0; i < n && !f->other; i++)
        if (cs[i].id != g.clinician_id && cs[i].id != g.co_clinician_id) f->other = cs[i].id;
    free(cs);
    assert_true(f->other > 0);
    assert_int_equal(psy_records_group_roster(st, 1, f->group, "2025-04-07", &ids, &n), PSY_OK);
    assert_true(n >= 3);
    f->client = ids[0];
    psy_id *own;
    size_t nown;
    assert_int_equal(psy_records_client_ids(st, 1, f->other, &own, &nown), PSY_OK);
    f->stranger = 0;
    for (size_t i = 0; i < n && !f->stranger; i++) {
        int owned = 0;
        for (size_t k = 0; k < nown; k++) owned |= own[k] == ids[i];
        if (!owned) f->stranger = ids[i];
    }
    free(own);
    free(ids);
    assert_true(f->stranger > 0);
    add_clinician_user(st, "lead", f->lead);
    add_clinician_user(st, "other", f->other);
    psy_store_close(st);
}

static long call(const struct session *s, const char *method, const char *path, const char *body, struct http *h)
{
    const char *const hdrs[] = {s->cookie, s->csrf, "Content-Type: application/json", NULL};
    return request(method, path, body, body ? strlen(body) : 0, hdrs, h);
}

/* One call that must fail with this status, error code and field. */
static void call_error(const struct session *s, const char *method, const char *path, const char *body, long status,
                       const char *code, const char *field)
{
    struct http h;
    call(s, method, path, body, &h);
    if (h.status != status) fprintf(stderr, "%s %s\n", method, path);
    assert_error(&h, status, code, field);
    http_free(&h);
}

static int has_finding(json_t *findings, const char *rule)
{
    size_t i;
    json_t *f;
    json_array_foreach(findings, i, f)
        if (!strcmp(json_string_value(json_object_get(f, "rule")), rule)) return 1;
    return 0;
}

static void test_clients_and_groups(void **state)
{
    (void)state;
    struct rec_fixture f;
    rec_setup(&f);
    struct session lead, other, admin, biller;
    login_as("lead", &lead);
    login_as("other", &other);
    login_as("admin", &admin);
    login_as("biller", &biller);
    char path[96];
    struct http h;

    /* the lead sees their group with its roster and sessions; the other clinician does not */
    assert_int_equal(call(&lead, "GET", "/api/groups", NULL, &h), 200);
    json_t *gs = json_object_get(h.json, "groups");
    int found = 0;
    size_t i;
    json_t *g;
    json_array_foreach(gs, i, g) {
        found |= json_integer_value(json_object_get(g, "id")) == f.group;
        assert_true(json_integer_value(json_object_get(g, "clinician_id")) == f.lead ||
                    json_integer_value(json_object_get(g, "co_clinician_id")) == f.lead);
    }
    assert_true(found);
    http_free(&h);
    snprintf(path, sizeof path, "/api/groups/%lld", (long long)f.group);
    assert_int_equal(call(&lead, "GET", path, NULL, &h), 200);
    assert_true(json_array_size(json_object_get(h.json, "roster")) >= 3);
    assert_true(json_array_size(json_object_get(h.json, "sessions")) >= 1);
    assert_true(json_integer_value(json_object_get(h.json, "capacity")) >= 2);
    http_free(&h);
    call_error(&other, "GET", path, NULL, 404, "not_found", NULL);
    assert_int_equal(call(&biller, "GET", path, NULL, &h), 200);
    http_free(&h);

    /* client detail: insurance, authorisations with units left, plans with review dates */
    snprintf(path, sizeof path, "/api/clients/%lld", (long long)f.client);
    assert_int_equal(call(&admin, "GET", path, NULL, &h), 200);
    assert_true(json_is_array(json_object_get(h.json, "policies")));
    assert_true(json_is_array(json_object_get(h.json, "plans")));
    json_t *a;
    json_array_foreach(json_object_get(h.json, "authorisations"), i, a)
        assert_int_equal(json_integer_value(json_object_get(a, "units_left")),
                         json_integer_value(json_object_get(a, "units_approved")) -
                             json_integer_value(json_object_get(a, "units_used")));
    json_array_foreach(json_object_get(h.json, "plans"), i, a)
        assert_int_equal(strlen(json_string_value(json_object_get(a, "review_date"))), 10);
    http_free(&h);
    assert_int_equal(call(&lead, "GET", path, NULL, &h), 200);
    http_free(&h);
    snprintf(path, sizeof path, "/api/clients/%lld", (long long)f.stranger);
    call_error(&other, "GET", path, NULL, 404, "not_found", NULL);
    expect_error("GET", "/api/clients/abc", NULL, (const char *const[]){admin.cookie, NULL}, 404, "not_found", NULL);

    /* the lead's client list holds only their own clients */
    assert_int_equal(call(&other, "GET", "/api/clients", NULL, &h), 200);
    json_array_foreach(json_object_get(h.json, "items"), i, a)
        assert_true(json_integer_value(json_object_get(a, "id")) != f.stranger);
    http_free(&h);

    /* the admin's list a client at a time: every client once, by last name, the count from the server */
    {
        char cpath[400], cursor[320] = "", prev[160] = "", name[160] = "";
        json_int_t total = -1, seen = 0, stranger_seen = 0;
        do {
            snprintf(cpath, sizeof cpath, "/api/clients?limit=1%s%s", *cursor ? "&cursor=" : "", cursor);
            assert_int_equal(call(&admin, "GET", cpath, NULL, &h), 200);
            json_t *items = json_object_get(h.json, "items");
            assert_true(json_array_size(items) <= 1);
            if (total < 0) total = json_integer_value(json_object_get(h.json, "total"));
            json_array_foreach(items, i, a) {
                const char *ln = json_string_value(json_object_get(a, "last_name"));
                assert_true(strcmp(prev, ln) <= 0);
                snprintf(prev, sizeof prev, "%s", ln);
                stranger_seen += json_integer_value(json_object_get(a, "id")) == f.stranger;
                if (json_integer_value(json_object_get(a, "id")) == f.stranger)
                    snprintf(name, sizeof name, "%s", json_string_value(json_object_get(a, "first_name")));
                seen++;
            }
            json_t *next = json_object_get(h.json, "next_cursor");
            snprintf(cursor, sizeof cursor, "%s", json_is_string(next) ? json_string_value(next) : "");
            http_free(&h);
        } while (*cursor);
        assert_int_equal(seen, total);
        assert_int_equal(stranger_seen, 1);
        /* searched by part of a first name, in another case: the stranger is among the answers */
        for (char *c = name; *c; c++) *c = (char)toupper((unsigned char)*c);
        name[3] = 0;
        snprintf(cpath, sizeof cpath, "/api/clients?q=%s", name);
        assert_int_equal(call(&admin, "GET", cpath, NULL, &h), 200);
        assert_true(json_integer_value(json_object_get(h.json, "total")) < total ||
                    json_integer_value(json_object_get(h.json, "total")) == 1);
        stranger_seen = 0;
        json_array_foreach(json_object_get(h.json, "items"), i, a)
            stranger_seen += json_integer_value(json_object_get(a, "id")) == f.stranger;
        assert_int_equal(stranger_seen, 1);
        http_free(&h);
        call_error(&admin, "GET", "/api/clients?cursor=p1.zz", NULL, 400, "invalid", "cursor");
    }

    /* every read is on the audit trail */
    assert_int_equal(call(&admin, "GET", "/api/audit?limit=50", NULL, &h), 200);
    int client_read = 0, group_read = 0;
    json_array_foreach(json_object_get(h.json, "items"), i, a) {
        const char *act = json_string_value(json_object_get(a, "action"));
        client_read |= !strcmp(act, "client.read");
        group_read |= !strcmp(act, "group.read");
    }
    assert_true(client_read && group_read);
    http_free(&h);
}

#define NOTE_TEXT "Practised paced breathing, named two triggers from the week and rehearsed a coping statement."

static void draft_body(char *out, size_t len, int version, const struct rec_fixture *f, psy_id c2, const char *start)
{
    snprintf(out, len,
             "{\"version\": %d, \"start_utc\": \"%s\", \"stop_utc\": \"2025-04-07T19:30:00Z\","
             " \"attendance\": [{\"client_id\": %lld, \"present\": true, \"late_minutes\": 5},"
             " {\"client_id\": %lld, \"present\": true}],"
             " \"notes\": [{\"client_id\": 0, \"theme\": \"worry\", \"techniques\": \"CBT\", \"dynamics\": \"cohesive\","
             " \"factors\": \"universality\"},"
             " {\"client_id\": %lld, \"participation\": \"" NOTE_TEXT "\", \"response\": \"engaged\","
             " \"progress\": \"steady\", \"plan\": \"continue\"},"
             " {\"client_id\": %lld, \"participation\": \"" NOTE_TEXT "\", \"response\": \"engaged\","
             " \"progress\": \"steady\", \"plan\": \"continue\"}]}",
             version, start, (long long)f->client, (long long)c2, (long long)f->client, (long long)c2);
}

static json_t *group_by_id(json_t *groups, psy_id id)
{
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
        if (json_integer_value(json_object_get(g, "id")) == id) return g;
    return NULL;
}

static void test_reports(void **state)
{
    (void)state;
    struct rec_fixture f;
    rec_setup(&f);
    struct session lead, other, admin;
    login_as("lead", &lead);
    login_as("other", &other);
    login_as("admin", &admin);
    struct http h;

    /* attendance: rates are present / recorded per week; the other clinician does not see the group */
    assert_int_equal(call(&lead, "GET", "/api/reports/attendance", NULL, &h), 200);
    json_t *g = group_by_id(json_object_get(h.json, "groups"), f.group);
    assert_non_null(g);
    assert_true(json_array_size(json_object_get(g, "weeks")) >= 2);
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(g, "weeks"), i, w) {
        double rec = (double)json_integer_value(json_object_get(w, "recorded"));
        assert_true(rec > 0);
        assert_true(fabs(json_real_value(json_object_get(w, "rate")) - json_integer_value(json_object_get(w, "present")) / rec) < 1e-9);
    }
    http_free(&h);
    assert_int_equal(call(&other, "GET", "/api/reports/attendance", NULL, &h), 200);
    assert_null(group_by_id(json_object_get(h.json, "groups"), f.group));
    http_free(&h);

    /* economics: the curve is the average fee times the size; the break-even size covers the cost */
    assert_int_equal(call(&admin, "GET", "/api/reports/group-economics?cost_per_hour_cents=12000&minutes=90", NULL, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "session_cost_cents")), 18000);
    g = group_by_id(json_object_get(h.json, "groups"), f.group);
    assert_non_null(g);
    json_int_t avg = json_integer_value(json_object_get(g, "average_fee_cents"));
    assert_true(avg > 1000 && avg < 10000); /* the profiles' 90853 fees lie between $19 and $35 */
    json_t *c;
    json_array_foreach(json_object_get(g, "curve"), i, c)
        assert_int_equal(json_integer_value(json_object_get(c, "revenue_cents")), avg * json_integer_value(json_object_get(c, "size")));
    json_int_t be = json_integer_value(json_object_get(g, "break_even_size"));
    assert_true(be * avg >= 18000 && (be - 1) * avg < 18000);
    json_int_t members = 0;
    json_array_foreach(json_object_get(g, "payer_mix"), i, c) members += json_integer_value(json_object_get(c, "members"));
    assert_true(members >= 3);
    assert_true(json_array_size(json_object_get(g, "sessions")) >= 1);
    http_free(&h);
    expect_error("GET", "/api/reports/group-economics?minutes=5", NULL, (const char *const[]){admin.cookie, NULL}, 400,
                 "invalid", "minutes");
}

static void test_session_documentation(void **state)
{
    (void)state;
    struct rec_fixture f;
    rec_setup(&f);
    psy_id c2 = f.stranger != f.client ? f.stranger : 0;
    if (!c2) { /* another roster member */
        psy_store *st;
        char err[256];
        psy_id *ids;
        size_t n;
        assert_int_equal(psy_store_open(db_path, &st, err, sizeof err), PSY_OK);
        assert_int_equal(psy_records_group_roster(st, 1, f.group, "2025-04-07", &ids, &n), PSY_OK);
        c2 = ids[1];
        free(ids);
        psy_store_close(st);
    }
    struct session lead, other, biller;
    login_as("lead", &lead);
    login_as("other", &other);
    login_as("biller", &biller);
    char path[96], body[2048];
    struct http h;

    /* open a session: a bad date names the field */
    snprintf(path, sizeof path, "/api/groups/%lld/sessions", (long long)f.group);
    call_error(&lead, "POST", path, "{\"service_date\": \"2025-02-30\"}", 422, "invalid", "service_date");
    /* sessions dated in the future or before 2000 are refused, naming the field */
    call_error(&lead, "POST", path, "{\"service_date\": \"2031-01-06\"}", 422, "invalid", "service_date");
    call_error(&lead, "POST", path, "{\"service_date\": \"1900-01-01\"}", 422, "invalid", "service_date");
    call_error(&other, "POST", path, "{\"service_date\": \"2025-04-07\"}", 404, "not_found", NULL);
    assert_int_equal(call(&lead, "POST", path, "{\"service_date\": \"2025-04-07\"}", &h), 201);
    json_int_t sid = json_integer_value(json_object_get(h.json, "id"));
    assert_int_equal(json_integer_value(json_object_get(h.json, "version")), 1);
    assert_true(has_finding(json_object_get(h.json, "findings"), "R-TIME-4")); /* no times yet */
    http_free(&h);
    char spath[64], cpath[80];
    snprintf(spath, sizeof spath, "/api/sessions/%lld", (long long)sid);
    snprintf(cpath, sizeof cpath, "/api/sessions/%lld/check", (long long)sid);

    /* the check runs on the draft without saving it: two identical member notes are near copies */
    draft_body(body, sizeof body, 1, &f, c2, "2025-04-07T18:00:00Z");
    assert_int_equal(call(&lead, "POST", cpath, body, &h), 200);
    json_t *fs = json_object_get(h.json, "findings");
    assert_true(has_finding(fs, "R-GRP-2"));
    assert_false(has_finding(fs, "R-TIME-4"));
    http_free(&h);
    assert_int_equal(call(&lead, "GET", spath, NULL, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "version")), 1);
    assert_int_equal(json_array_size(json_object_get(h.json, "notes")), 0);
    http_free(&h);

    /* bad input names the field */
    call_error(&lead, "PUT", spath, "{\"version\": 1, \"attendance\": [{\"client_id\": 1, \"present\": \"yes\"}]}", 422, "invalid", "attendance[0].present");
    call_error(&lead, "PUT", spath, "{\"attendance\": []}", 422, "invalid", "version");
    draft_body(body, sizeof body, 1, &f, c2, "not a time");
    call_error(&lead, "PUT", spath, body, 422, "invalid", "start_utc");
    call_error(&other, "PUT", spath, body, 404, "not_found", NULL);

    /* save: attendance, a group note and two member notes; the clone warning stays */
    draft_body(body, sizeof body, 1, &f, c2, "2025-04-07T18:00:00Z");
    assert_int_equal(call(&lead, "PUT", spath, body, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "version")), 2);
    assert_int_equal(json_array_size(json_object_get(h.json, "notes")), 3);
    assert_int_equal(json_array_size(json_object_get(h.json, "attendance")), 2);
    assert_true(has_finding(json_object_get(h.json, "findings"), "R-GRP-2"));
    json_int_t note_id = json_integer_value(json_object_get(json_array_get(json_object_get(h.json, "notes"), 0), "id"));
    http_free(&h);

    /* the same draft at the old version: someone else changed it */
    call_error(&lead, "PUT", spath, body, 409, "conflict", "version");

    /* a biller reads the session without any note text */
    assert_int_equal(call(&biller, "GET", spath, NULL, &h), 200);
    assert_null(json_object_get(h.json, "notes"));
    assert_null(strstr(h.body.p, "paced breathing"));
    assert_false(json_is_true(json_object_get(h.json, "editable")));
    http_free(&h);
    call_error(&biller, "POST", cpath, body, 403, "forbidden", NULL);

    /* sign at a stale version, then at the right one; afterwards the session is locked */
    snprintf(cpath, sizeof cpath, "/api/sessions/%lld/sign", (long long)sid);
    call_error(&lead, "POST", cpath, "{\"version\": 1}", 409, "conflict", "version");
    assert_int_equal(call(&lead, "POST", cpath, "{\"version\": 2}", &h), 200);
    assert_true(strlen(json_string_value(json_object_get(h.json, "signed_at"))) > 0);
    json_t *n;
    size_t i;
    json_array_foreach(json_object_get(h.json, "notes"), i, n)
        assert_string_equal(json_string_value(json_object_get(n, "status")), "signed");
    http_free(&h);
    draft_body(body, sizeof body, 3, &f, c2, "2025-04-07T18:00:00Z");
    call_error(&lead, "PUT", spath, body, 409, "signed", NULL);

    /* addenda on a signed note */
    snprintf(cpath, sizeof cpath, "/api/notes/%lld/addendum", (long long)note_id);
    call_error(&lead, "POST", cpath, "{\"text\": \"\"}", 422, "invalid", "text");
    call_error(&other, "POST", cpath, "{\"text\": \"late entry\"}", 404, "not_found", NULL);
    assert_int_equal(call(&lead, "POST", cpath, "{\"text\": \"Member called after group.\"}", &h), 200);
    json_t *first = json_array_get(json_object_get(h.json, "notes"), 0);
    assert_int_equal(json_array_size(json_object_get(first, "addenda")), 1);
    http_free(&h);

    /* a second session of the group on 2025-04-07 (the first ran 18:00-19:30Z): refused as a plain one,
     * naming the date; as distinct_session it needs its own times, overlapping nothing (docs/records.md) */
    call_error(&lead, "POST", path, "{\"service_date\": \"2025-04-07\"}", 422, "invalid", "service_date");
    call_error(&lead, "POST", path, "{\"service_date\": \"2025-04-07\", \"distinct_session\": \"yes\"}", 422, "invalid",
               "distinct_session");
    call_error(&lead, "POST", path, "{\"service_date\": \"2025-04-07\", \"distinct_session\": true}", 422, "invalid", "start_utc");
    call_error(&lead, "POST", path,
               "{\"service_date\": \"2025-04-07\", \"distinct_session\": true, \"start_utc\": \"at six\","
               " \"stop_utc\": \"2025-04-07T22:30:00Z\"}", 422, "invalid", "start_utc");
    call_error(&lead, "POST", path,
               "{\"service_date\": \"2025-04-07\", \"distinct_session\": true, \"start_utc\": \"2025-04-07T19:00:00Z\","
               " \"stop_utc\": \"2025-04-07T20:00:00Z\"}", 422, "invalid", "start_utc");
    call_error(&other, "POST", path,
               "{\"service_date\": \"2025-04-07\", \"distinct_session\": true, \"start_utc\": \"2025-04-07T21:00:00Z\","
               " \"stop_utc\": \"2025-04-07T22:30:00Z\"}", 404, "not_found", NULL);
    assert_int_equal(call(&lead, "POST", path,
                          "{\"service_date\": \"2025-04-07\", \"distinct_session\": true,"
                          " \"start_utc\": \"2025-04-07T16:00:00-05:00\", \"stop_utc\": \"2025-04-07T22:30:00Z\"}", &h), 201);
    assert_true(json_is_true(json_object_get(h.json, "distinct_session")));
    assert_string_equal(json_string_value(json_object_get(h.json, "start_utc")), "2025-04-07T21:00:00Z");
    assert_string_equal(json_string_value(json_object_get(h.json, "stop_utc")), "2025-04-07T22:30:00Z");
    assert_string_equal(json_string_value(json_object_get(h.json, "service_date")), "2025-04-07");
    assert_true(json_integer_value(json_object_get(h.json, "id")) != sid);
    http_free(&h);
    /* and not a third time on those same times */
    call_error(&lead, "POST", path,
               "{\"service_date\": \"2025-04-07\", \"distinct_session\": true, \"start_utc\": \"2025-04-07T21:30:00Z\","
               " \"stop_utc\": \"2025-04-07T22:00:00Z\"}", 422, "invalid", "start_utc");
}

/* The codes of a check's or session's coding lines, space-separated, into out. */
static const char *line_codes(json_t *doc, char *out, size_t len)
{
    size_t i, n = 0;
    json_t *l;
    out[0] = 0;
    json_array_foreach(json_object_get(json_object_get(doc, "coding"), "lines"), i, l)
        n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s ", json_string_value(json_object_get(l, "code")));
    return out;
}

/* A check of the session at path with the draft body; returns the line codes. */
static const char *check_codes(const struct session *s, const char *path, const char *body, char *out, size_t len)
{
    struct http h;
    assert_int_equal(call(s, "POST", path, body, &h), 200);
    line_codes(h.json, out, len);
    http_free(&h);
    return out;
}

#define SOAP_NOTE(who)                                                                                                  \
    "\"template\": \"soap\", \"response\": \"" who " reported fewer panic episodes since starting the breathing routine.\"," \
    " \"techniques\": \"Cognitive restructuring of catastrophic thoughts about the review at work.\","                \
    " \"progress\": \"Goal 1, panic once a week: three episodes, down from six.\","                                   \
    " \"plan\": \"Continue weekly; thought record twice before the next session.\""

/* Individual, family, crisis and intake sessions: opened from a client, coded live, noted, signed. */
static void test_visit_documentation(void **state)
{
    (void)state;
    struct rec_fixture f;
    rec_setup(&f);
    struct session lead, other, biller;
    login_as("lead", &lead);
    login_as("other", &other);
    login_as("biller", &biller);
    char path[96], spath[64], cpath[80], body[2048], codes[200];
    struct http h;

    /* the templates: the four built in, each covering its note's parts */
    assert_int_equal(call(&lead, "GET", "/api/note-templates", NULL, &h), 200);
    json_t *ts = json_object_get(h.json, "templates"), *t;
    size_t i;
    int found = 0;
    json_array_foreach(ts, i, t) {
        const char *id = json_string_value(json_object_get(t, "id"));
        found += !strcmp(id, "soap") || !strcmp(id, "dap") || !strcmp(id, "birp") || !strcmp(id, "group");
        json_t *notes = json_object_get(t, "notes");
        if (!strcmp(id, "group")) {
            assert_int_equal(json_array_size(json_object_get(notes, "member")), 4);
            assert_int_equal(json_array_size(json_object_get(notes, "group")), 4);
        } else {
            assert_int_equal(json_array_size(json_object_get(notes, "individual")), 4);
        }
    }
    assert_int_equal(found, 4);
    http_free(&h);

    /* /api/me names the practice and its time zone, for dates shown and typed */
    assert_int_equal(call(&lead, "GET", "/api/me", NULL, &h), 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(h.json, "practice"), "time_zone")), "America/Chicago");
    http_free(&h);

    /* opening: bad input names the field; another clinician's client is not found */
    snprintf(path, sizeof path, "/api/clients/%lld/sessions", (long long)f.client);
    call_error(&lead, "POST", path, "{\"kind\": \"group\", \"service_date\": \"2025-04-08\"}", 422, "invalid", "kind");
    call_error(&lead, "POST", path, "{\"kind\": \"individual\", \"service_date\": \"2025-04-31\"}", 422, "invalid", "service_date");
    call_error(&lead, "POST", path, "{\"kind\": \"individual\"}", 422, "invalid", "service_date");
    call_error(&lead, "POST", path, "{\"kind\": \"individual\", \"service_date\": \"2025-04-08\", \"patient_absent\": true}", 422,
               "invalid", "patient_absent");
    call_error(&lead, "POST", path, "{\"kind\": \"individual\", \"service_date\": \"2025-04-08\", \"minutes\": 721}", 422,
               "invalid", "minutes");
    snprintf(cpath, sizeof cpath, "/api/clients/%lld/sessions", (long long)f.stranger);
    call_error(&other, "POST", cpath, "{\"kind\": \"individual\", \"service_date\": \"2025-04-08\"}", 404, "not_found", NULL);
    call_error(&biller, "POST", path, "{\"kind\": \"individual\", \"service_date\": \"2025-04-08\"}", 403, "forbidden", NULL);
    assert_int_equal(call(&lead, "POST", path, "{\"kind\": \"individual\", \"service_date\": \"2025-04-08\"}", &h), 201);
    json_int_t sid = json_integer_value(json_object_get(h.json, "id"));
    assert_string_equal(json_string_value(json_object_get(h.json, "kind")), "individual");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(h.json, "client"), "id")), f.client);
    assert_true(has_finding(json_object_get(h.json, "findings"), "R-TIME-4"));
    assert_non_null(json_object_get(json_object_get(h.json, "coding"), "lines"));
    http_free(&h);
    snprintf(spath, sizeof spath, "/api/sessions/%lld", (long long)sid);
    snprintf(cpath, sizeof cpath, "/api/sessions/%lld/check", (long long)sid);

    /* coded live on the draft (CPT time bands: 53+ minutes 90837, 38-52 90834, 16-37 90832; 90785 adds on) */
    check_codes(&lead, cpath, "{\"start_utc\": \"2025-04-08T15:00:00Z\", \"stop_utc\": \"2025-04-08T15:55:00Z\"}", codes, sizeof codes);
    assert_string_equal(codes, "90837 ");
    check_codes(&lead, cpath, "{\"minutes\": 40}", codes, sizeof codes);
    assert_string_equal(codes, "90834 ");
    check_codes(&lead, cpath, "{\"minutes\": 20, \"interactive_complexity\": true}", codes, sizeof codes);
    assert_non_null(strstr(codes, "90832 "));
    assert_non_null(strstr(codes, "90785 "));
    /* the check saved nothing */
    assert_int_equal(call(&lead, "GET", spath, NULL, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "version")), 1);
    assert_int_equal(json_integer_value(json_object_get(h.json, "minutes")), 0);
    http_free(&h);

    /* family without the patient (90846), crisis (90839 for 30-74 minutes), intake (90791) */
    static const struct { const char *open, *draft, *code; } kinds[] = {
        {"{\"kind\": \"family\", \"service_date\": \"2025-04-09\"}", "{\"minutes\": 50, \"patient_absent\": true}", "90846 "},
        {"{\"kind\": \"family\", \"service_date\": \"2025-04-09\"}", "{\"minutes\": 50}", "90847 "},
        {"{\"kind\": \"crisis\", \"service_date\": \"2025-04-10\"}", "{\"minutes\": 60}", "90839 "},
        {"{\"kind\": \"intake\", \"service_date\": \"2025-04-11\"}", "{\"minutes\": 60}", "90791 "},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        char p2[80];
        assert_int_equal(call(&lead, "POST", path, kinds[k].open, &h), 201);
        snprintf(p2, sizeof p2, "/api/sessions/%lld/check", (long long)json_integer_value(json_object_get(h.json, "id")));
        http_free(&h);
        check_codes(&lead, p2, kinds[k].draft, codes, sizeof codes);
        if (strcmp(codes, kinds[k].code)) fprintf(stderr, "%s %s: %s\n", kinds[k].open, kinds[k].draft, codes);
        assert_string_equal(codes, kinds[k].code);
    }

    /* an E/M visit with psychotherapy: the add-on code, or a finding about the E/M */
    assert_int_equal(call(&lead, "POST", cpath, "{\"minutes\": 40, \"em_code\": \"99213\"}", &h), 200);
    line_codes(h.json, codes, sizeof codes);
    int em_field = 0;
    json_t *x;
    json_array_foreach(json_object_get(json_object_get(h.json, "coding"), "findings"), i, x)
        em_field |= !strcmp(json_string_value(json_object_get(x, "field")) ?: "", "em_code") ||
                    !strcmp(json_string_value(json_object_get(x, "field")) ?: "", "credential");
    assert_true(strstr(codes, "90836 ") || em_field);
    http_free(&h);

    /* save: bad input names the field; the note under the SOAP template */
    call_error(&lead, "PUT", spath, "{\"version\": 1, \"em_code\": \"90837\"}", 422, "invalid", "em_code");
    call_error(&lead, "PUT", spath, "{\"version\": 1, \"telehealth\": \"phone\"}", 422, "invalid", "telehealth");
    snprintf(body, sizeof body,
             "{\"version\": 1, \"start_utc\": \"2025-04-08T15:00:00Z\", \"stop_utc\": \"2025-04-08T15:45:00Z\","
             " \"notes\": [{\"client_id\": %lld, " SOAP_NOTE("Client") "}]}", (long long)f.client);
    call_error(&other, "PUT", spath, body, 404, "not_found", NULL);
    assert_int_equal(call(&lead, "PUT", spath, body, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "version")), 2);
    json_t *note = json_array_get(json_object_get(h.json, "notes"), 0);
    assert_string_equal(json_string_value(json_object_get(note, "kind")), "individual");
    assert_string_equal(json_string_value(json_object_get(note, "template")), "soap");
    assert_non_null(strstr(json_string_value(json_object_get(note, "techniques")), "restructuring"));
    assert_string_equal(line_codes(h.json, codes, sizeof codes), "90834 ");
    http_free(&h);
    call_error(&lead, "PUT", spath, body, 409, "conflict", "version"); /* the same draft at the old version */

    /* a biller reads it without note text */
    assert_int_equal(call(&biller, "GET", spath, NULL, &h), 200);
    assert_null(json_object_get(h.json, "notes"));
    assert_null(strstr(h.body.p, "panic"));
    http_free(&h);

    /* the client page lists the session */
    snprintf(path, sizeof path, "/api/clients/%lld", (long long)f.client);
    assert_int_equal(call(&lead, "GET", path, NULL, &h), 200);
    int listed = 0;
    json_array_foreach(json_object_get(h.json, "sessions"), i, x) listed |= json_integer_value(json_object_get(x, "id")) == sid;
    assert_true(listed);
    http_free(&h);

    /* signing: stale version 409; then signed */
    snprintf(cpath, sizeof cpath, "/api/sessions/%lld/sign", (long long)sid);
    call_error(&lead, "POST", cpath, "{\"version\": 1}", 409, "conflict", "version");
    call_error(&lead, "POST", cpath, "{\"version\": 2, \"override_reason\": 5}", 422, "invalid", "override_reason");
    char lsql[160];
    snprintf(lsql, sizeof lsql, "SELECT count(*) FROM ledger_session WHERE session_id = %lld", (long long)sid);
    assert_int_equal(db_count(lsql), 0);
    assert_int_equal(call(&lead, "POST", cpath, "{\"version\": 2}", &h), 200);
    assert_true(strlen(json_string_value(json_object_get(h.json, "signed_at"))) > 0);
    assert_string_equal(json_string_value(json_object_get(h.json, "sign_override")), "");
    http_free(&h);
    assert_int_equal(db_count(lsql), 1); /* the ledger took the session's share at signing, before any ledger read */

    /* a later session whose note repeats the earlier one: the clone warning names the client */
    snprintf(path, sizeof path, "/api/clients/%lld/sessions", (long long)f.client);
    assert_int_equal(call(&lead, "POST", path, "{\"kind\": \"individual\", \"service_date\": \"2025-04-15\"}", &h), 201);
    json_int_t sid2 = json_integer_value(json_object_get(h.json, "id"));
    http_free(&h);
    snprintf(cpath, sizeof cpath, "/api/sessions/%lld/check", (long long)sid2);
    snprintf(body, sizeof body, "{\"minutes\": 45, \"notes\": [{\"client_id\": %lld, " SOAP_NOTE("Client") "}]}",
             (long long)f.client);
    assert_int_equal(call(&lead, "POST", cpath, body, &h), 200);
    int clone = 0;
    json_array_foreach(json_object_get(h.json, "findings"), i, x)
        clone |= !strcmp(json_string_value(json_object_get(x, "rule")), "R-DOC-CLONE") &&
                 json_integer_value(json_object_get(x, "client_id")) == f.client;
    assert_true(clone);
    http_free(&h);

    /* errors block signing unless a written reason overrides them, and the reason is kept */
    snprintf(spath, sizeof spath, "/api/sessions/%lld", (long long)sid2);
    snprintf(body, sizeof body,
             "{\"version\": 1, \"start_utc\": \"2025-04-15T15:00:00Z\", \"notes\": [{\"client_id\": %lld, "
             SOAP_NOTE("She") "}]}", (long long)f.client);
    assert_int_equal(call(&lead, "PUT", spath, body, &h), 200);
    http_free(&h);
    snprintf(cpath, sizeof cpath, "/api/sessions/%lld/sign", (long long)sid2);
    assert_int_equal(call(&lead, "POST", cpath, "{\"version\": 2}", &h), 422);
    assert_error(&h, 422, "unresolved", "override_reason");
    assert_true(has_finding(json_object_get(h.json, "findings"), "R-TIME-4")); /* no stop time, no minutes */
    http_free(&h);
    call_error(&lead, "POST", cpath, "{\"version\": 2, \"override_reason\": \"ok\"}", 422, "invalid", "override_reason");
    assert_int_equal(call(&lead, "GET", spath, NULL, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "version")), 2); /* nothing was signed */
    assert_true(json_is_true(json_object_get(h.json, "editable")));
    http_free(&h);
    assert_int_equal(call(&lead, "POST", cpath,
                          "{\"version\": 2, \"override_reason\": \"Stop time is on the paper sign-in sheet; added by addendum.\"}", &h),
                     200);
    assert_string_equal(json_string_value(json_object_get(h.json, "sign_override")),
                        "Stop time is on the paper sign-in sheet; added by addendum.");
    http_free(&h);
}

/* --- claims ------------------------------------------------------------------------------------------ */

/* Fails when any object in v has a key that would carry note text. */
static void assert_no_note_text(json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, k, x) {
            assert_true(strcmp(k, "text") && strcmp(k, "note") && strcmp(k, "notes") && strcmp(k, "body"));
            assert_no_note_text(x);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) assert_no_note_text(x);
    }
}

static void assert_download(const struct http *h, const char *type, const char *starts)
{
    char buf[200];
    if (h->status != 200) fprintf(stderr, "download: %ld %s\n", h->status, h->body.p ? h->body.p : "");
    assert_int_equal(h->status, 200);
    assert_non_null(header(h, "Content-Type", buf, sizeof buf));
    assert_string_equal(buf, type);
    assert_non_null(header(h, "Content-Disposition", buf, sizeof buf));
    assert_true(strncmp(buf, "attachment; filename=", 21) == 0);
    assert_true(h->body.n > strlen(starts));
    assert_memory_equal(h->body.p, starts, strlen(starts));
}

/* The claims of GET /api/claims answers, as the session sees them: every page, walked three claims at
 * a time by next_cursor. Each row comes once, newest first, and the totals of the first page (by
 * status, billed) add up to the rows of all pages. */
static json_t *claims_of(const struct session *s, const char *query)
{
    struct http h;
    char path[600], cursor[400] = "";
    json_t *all = json_array(), *totals = NULL, *x;
    json_int_t total = -1, last = 0;
    for (int page = 0;; page++) {
        snprintf(path, sizeof path, "/api/claims%s%slimit=3%s%s%s", query, *query ? "&" : "?", *cursor ? "&cursor=" : "",
                 cursor, page == 0 ? "&totals=1" : "");
        assert_int_equal(call(s, "GET", path, NULL, &h), 200);
        json_t *items = json_object_get(h.json, "items");
        size_t i;
        assert_true(json_array_size(items) <= 3);
        json_array_foreach(items, i, x) {
            json_int_t id = json_integer_value(json_object_get(x, "id"));
            assert_true(last == 0 || id < last);
            last = id;
            json_array_append(all, x);
        }
        if (page == 0) {
            total = json_integer_value(json_object_get(h.json, "total"));
            totals = json_incref(json_object_get(h.json, "totals"));
            assert_non_null(totals);
            assert_true(json_is_array(json_object_get(h.json, "payers")));
        } else {
            assert_null(json_object_get(h.json, "totals")); /* only when asked for */
            assert_int_equal(json_integer_value(json_object_get(h.json, "total")), total);
        }
        assert_no_note_text(h.json);
        json_t *next = json_object_get(h.json, "next_cursor");
        assert_true(json_is_null(next) || json_is_string(next));
        snprintf(cursor, sizeof cursor, "%s", json_is_string(next) ? json_string_value(next) : "");
        http_free(&h);
        if (!*cursor) break;
    }
    size_t i;
    json_int_t sum = 0, by = 0;
    json_array_foreach(all, i, x) sum += json_integer_value(json_object_get(x, "total_cents"));
    const char *k;
    json_object_foreach(json_object_get(totals, "by_status"), k, x) by += json_integer_value(x);
    assert_int_equal(total, json_array_size(all));
    assert_int_equal(json_integer_value(json_object_get(totals, "claims")), json_array_size(all));
    assert_int_equal(by, json_array_size(all));
    assert_int_equal(json_integer_value(json_object_get(totals, "total_cents")), sum);
    json_decref(totals);
    return all;
}

static int audited(const char *action);

/* The sessions of GET /api/sessions as the session sees them: every page, two at a time by
 * next_cursor. Each session comes once, newest service date first (then newest id), and the total of
 * every page is the number of rows of all pages. */
static json_t *sessions_of(const struct session *s, const char *query)
{
    struct http h;
    char path[600], cursor[400] = "", last_date[16] = "";
    json_t *all = json_array(), *x;
    json_int_t total = -1, last = 0;
    for (;;) {
        snprintf(path, sizeof path, "/api/sessions%s%slimit=2%s%s", query, *query ? "&" : "?", *cursor ? "&cursor=" : "",
                 cursor);
        assert_int_equal(call(s, "GET", path, NULL, &h), 200);
        json_t *items = json_object_get(h.json, "items");
        size_t i;
        assert_true(json_array_size(items) <= 2);
        json_array_foreach(items, i, x) {
            json_int_t id = json_integer_value(json_object_get(x, "id"));
            const char *d = json_string_value(json_object_get(x, "service_date"));
            int c = *last_date ? strcmp(d, last_date) : -1;
            assert_true(c < 0 || (c == 0 && id < last)); /* in order, no repeat */
            last = id;
            snprintf(last_date, sizeof last_date, "%s", d);
            json_array_append(all, x);
        }
        if (total < 0) total = json_integer_value(json_object_get(h.json, "total"));
        else assert_int_equal(json_integer_value(json_object_get(h.json, "total")), total);
        assert_no_note_text(h.json);
        json_t *next = json_object_get(h.json, "next_cursor");
        snprintf(cursor, sizeof cursor, "%s", json_is_string(next) ? json_string_value(next) : "");
        http_free(&h);
        if (!*cursor) break;
    }
    assert_int_equal(total, json_array_size(all));
    return all;
}

/* The sessions list: every session of the practice once (the records API's own list of the period),
 * its filters partition or narrow it, a clinician sees their own sessions and their groups' only. */
static void test_sessions_list(void **state)
{
    (void)state;
    struct rec_fixture f;
    rec_setup(&f);
    struct session lead, biller;
    login_as("lead", &lead);
    login_as("biller", &biller);
    psy_store *st;
    char err[256];
    assert_int_equal(psy_store_open(db_path, &st, err, sizeof err), PSY_OK);
    struct psy_session *ss;
    size_t nss;
    assert_int_equal(psy_records_session_list(st, 1, "1900-01-01", "2199-12-31", &ss, &nss), PSY_OK);
    json_t *all = sessions_of(&biller, ""), *x;
    assert_true(nss > 4);
    assert_int_equal(json_array_size(all), nss);
    size_t i, nsigned = 0, nclient = 0, ngroup = 0, nmarch = 0;
    for (size_t k = 0; k < nss; k++) {
        int found = 0;
        json_array_foreach(all, i, x) found += json_integer_value(json_object_get(x, "id")) == ss[k].id;
        assert_int_equal(found, 1);
        nsigned += ss[k].signed_at[0] != 0;
        nclient += ss[k].client_id == f.client;
        ngroup += ss[k].group_id == f.group;
        nmarch += strncmp(ss[k].service_date, "2025-03", 7) == 0;
    }
    json_t *sig = sessions_of(&biller, "?status=signed"), *draft = sessions_of(&biller, "?status=draft");
    assert_int_equal(json_array_size(sig), nsigned);
    assert_int_equal(json_array_size(sig) + json_array_size(draft), nss);
    json_array_foreach(sig, i, x) assert_string_equal(json_string_value(json_object_get(x, "status")), "signed");
    char q[200];
    snprintf(q, sizeof q, "?client=%lld", (long long)f.client);
    json_t *one = sessions_of(&biller, q);
    assert_int_equal(json_array_size(one), nclient);
    snprintf(q, sizeof q, "?group=%lld", (long long)f.group);
    json_t *grp = sessions_of(&biller, q);
    assert_true(ngroup > 0);
    assert_int_equal(json_array_size(grp), ngroup);
    json_t *march = sessions_of(&biller, "?from=2025-03-01&to=2025-03-31");
    assert_int_equal(json_array_size(march), nmarch);
    /* by the group's name: at least its own sessions */
    struct psy_group g;
    assert_int_equal(psy_records_group_get(st, 1, f.group, &g), PSY_OK);
    char enc[120], *o = enc;
    for (const char *c = g.name; *c && o < enc + sizeof enc - 4; c++) o += *c == ' ' ? sprintf(o, "%%20") : sprintf(o, "%c", *c);
    *o = 0;
    snprintf(q, sizeof q, "?q=%s", enc);
    json_t *named = sessions_of(&biller, q);
    assert_true(json_array_size(named) >= ngroup);
    json_t *none = sessions_of(&biller, "?q=%25nobody_");
    assert_int_equal(json_array_size(none), 0);
    /* the lead: their own sessions and their group's, a part of the practice's */
    json_t *mine = sessions_of(&lead, "");
    assert_true(json_array_size(mine) > 0 && json_array_size(mine) < nss);
    json_array_foreach(mine, i, x) {
        json_t *gx = json_object_get(x, "group");
        int own = json_integer_value(json_object_get(json_object_get(x, "clinician"), "id")) == f.lead ||
                  (json_is_object(gx) && json_integer_value(json_object_get(gx, "id")) == f.group);
        assert_true(own);
    }
    call_error(&biller, "GET", "/api/sessions?cursor=x", NULL, 400, "invalid", "cursor");
    call_error(&biller, "GET", "/api/sessions?to=2025-13-01", NULL, 400, "invalid", "to");
    assert_true(audited("session.list"));
    json_decref(all);
    json_decref(sig);
    json_decref(draft);
    json_decref(one);
    json_decref(grp);
    json_decref(march);
    json_decref(named);
    json_decref(none);
    json_decref(mine);
    free(ss);
    psy_store_close(st);
}

static int audited(const char *action)
{
    psy_store *st;
    char err[256];
    assert_int_equal(psy_store_open(db_path, &st, err, sizeof err), PSY_OK);
    struct psy_audit_event *ev;
    size_t n;
    long long total;
    assert_int_equal(psy_auth_audit_list(st, 1, 0, 1000, &ev, &n, &total), PSY_OK);
    int found = 0;
    for (size_t i = 0; i < n; i++) found |= !strcmp(ev[i].action, action);
    free(ev);
    psy_store_close(st);
    return found;
}

static long post_raw(const struct session *s, const char *path, const char *body, size_t len, struct http *h)
{
    const char *const hdrs[] = {s->cookie, s->csrf, "Content-Type: application/edi-x12", NULL};
    return request("POST", path, body, len, hdrs, h);
}

/* --- importing clients from CSV ------------------------------------------------------------------ */

static long post_csv(const struct session *s, const char *path, const char *body, struct http *h)
{
    const char *const hdrs[] = {s->cookie, s->csrf, "Content-Type: text/csv", NULL};
    return request("POST", path, body, strlen(body), hdrs, h);
}

/* A problem of the answer's report in row under column. */
static int http_problem(const struct http *h, long row, const char *column)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(h->json, "problems"), i, p)
        if (json_integer_value(json_object_get(p, "row")) == row &&
            !strcmp(json_string_value(json_object_get(p, "column")), column) &&
            *json_string_value(json_object_get(p, "message")))
            return 1;
    return 0;
}

static long count_clients(psy_id practice, const char *last_name)
{
    psy_store *st;
    char err[256];
    assert_int_equal(psy_store_open(db_path, &st, err, sizeof err), PSY_OK);
    psy_id *ids;
    size_t n;
    long found = 0;
    assert_int_equal(psy_records_client_ids(st, practice, 0, &ids, &n), PSY_OK);
    for (size_t i = 0; i < n; i++) {
        struct psy_client c;
        assert_int_equal(psy_records_client_get(st, practice, ids[i], &c), PSY_OK);
        found += !strcmp(c.last_name, last_name);
    }
    free(ids);
    psy_store_close(st);
    return found;
}

/* POST /api/import/clients: a dry run lists every problem by row and column, never a value; refused
 * rows stop the import unless skip_bad; the rows land in the caller's practice, whose payers alone are
 * found; every import is audited. */
static void test_import_clients_http(void **state)
{
    (void)state;
    struct rec_fixture f;
    rec_setup(&f);
    /* a payer of this practice, and a second practice with a payer of its own */
    psy_store *st;
    char err[256], mine[81];
    assert_int_equal(psy_store_open(db_path, &st, err, sizeof err), PSY_OK);
    struct psy_payer *ps;
    size_t np;
    assert_int_equal(psy_records_payer_list(st, 1, &ps, &np), PSY_OK);
    assert_true(np > 0);
    snprintf(mine, sizeof mine, "%s", ps[0].payer_code);
    free(ps);
    struct psy_practice pr;
    memset(&pr, 0, sizeof pr);
    snprintf(pr.name, sizeof pr.name, "Other Practice (fixture)");
    for (char d = '0'; d <= '9' && !psy_records_npi_valid(pr.npi); d++) snprintf(pr.npi, sizeof pr.npi, "223456789%c", d);
    snprintf(pr.tax_id, sizeof pr.tax_id, "98-7654321");
    snprintf(pr.time_zone, sizeof pr.time_zone, "America/Chicago");
    psy_id other_practice;
    assert_int_equal(psy_records_practice_add(st, &pr, &other_practice), PSY_OK);
    struct psy_payer theirs;
    memset(&theirs, 0, sizeof theirs);
    snprintf(theirs.name, sizeof theirs.name, "Their payer (fixture)");
    snprintf(theirs.payer_code, sizeof theirs.payer_code, "ONLYP2");
    snprintf(theirs.kind, sizeof theirs.kind, "commercial");
    assert_int_equal(psy_records_payer_add(st, other_practice, &theirs, NULL), PSY_OK);
    psy_store_close(st);

    struct session admin, biller, lead;
    login_as("admin", &admin);
    login_as("biller", &biller);
    login_as("lead", &lead);
    char csv[1024];
    snprintf(csv, sizeof csv,
             "first_name,last_name,birth_date,sex,diagnoses,payer_id,member_id,policy_start\n"
             "Avery,Httptest,1988-02-14,F,F41.1,%s,H-1,2025-01-01\n"
             "Blake,Httptest,1990-02-30,Q,F41,%s,H-2,2025-01-01\n"
             "Casey,Httptest,1991-03-03,M,,ONLYP2,H-3,2025-01-01\n"
             "Drew,Httptest,1992-04-04,U,,,,\n",
             mine, mine);
    struct http h;
    /* a clinician may not; a form, an empty body, a wrong flag and a foreign layout are refused */
    assert_int_equal(post_csv(&lead, "/api/import/clients?dry_run=1", csv, &h), 403);
    http_free(&h);
    const char *const form[] = {admin.cookie, admin.csrf, "Content-Type: multipart/form-data; boundary=x", NULL};
    request("POST", "/api/import/clients", csv, strlen(csv), form, &h);
    assert_error(&h, 415, "unsupported_media_type", NULL);
    http_free(&h);
    post_csv(&admin, "/api/import/clients", "", &h);
    assert_error(&h, 422, "invalid_csv", "body");
    http_free(&h);
    post_csv(&admin, "/api/import/clients?dry_run=maybe", csv, &h);
    assert_error(&h, 400, "invalid_argument", "dry_run");
    http_free(&h);
    post_csv(&admin, "/api/import/clients", "first_name,last_name,birthday,sex\nA,B,1990-01-01,F\n", &h);
    assert_error(&h, 422, "invalid_csv", "body");
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(h.json, "error"), "message")), "birthday"));
    http_free(&h);

    /* a dry run: every problem of row 3 under its column, the other practice's payer not found */
    assert_int_equal(post_csv(&admin, "/api/import/clients?dry_run=1", csv, &h), 200);
    assert_true(json_is_true(json_object_get(h.json, "dry_run")));
    assert_int_equal(json_integer_value(json_object_get(h.json, "rows")), 4);
    assert_int_equal(json_integer_value(json_object_get(h.json, "good")), 2);
    assert_int_equal(json_integer_value(json_object_get(h.json, "refused")), 2);
    assert_int_equal(json_integer_value(json_object_get(h.json, "clients")), 0);
    assert_false(json_is_true(json_object_get(h.json, "committed")));
    assert_true(http_problem(&h, 3, "birth_date"));
    assert_true(http_problem(&h, 3, "sex"));
    assert_true(http_problem(&h, 3, "diagnoses"));
    assert_true(http_problem(&h, 4, "payer_id"));
    assert_false(http_problem(&h, 2, "payer_id"));
    assert_null(strstr(h.body.p, "Httptest"));
    assert_null(strstr(h.body.p, "1990-02-30"));
    http_free(&h);
    assert_int_equal(count_clients(1, "Httptest"), 0);
    assert_true(audited("clients.import.dry_run"));

    /* refused rows stop a real import: 422 with the report, nothing written */
    assert_int_equal(post_csv(&admin, "/api/import/clients", csv, &h), 422);
    assert_string_equal(json_string_value(json_object_get(json_object_get(h.json, "error"), "code")), "rows_refused");
    assert_false(json_is_true(json_object_get(h.json, "committed")));
    assert_int_equal(json_integer_value(json_object_get(h.json, "refused")), 2);
    http_free(&h);
    assert_int_equal(count_clients(1, "Httptest"), 0);
    assert_true(audited("clients.import"));

    /* a biller imports the good rows; they land in the caller's practice only */
    assert_int_equal(post_csv(&biller, "/api/import/clients?skip_bad=1", csv, &h), 200);
    assert_true(json_is_true(json_object_get(h.json, "committed")));
    assert_int_equal(json_integer_value(json_object_get(h.json, "clients")), 2);
    assert_int_equal(json_integer_value(json_object_get(h.json, "policies")), 1);
    http_free(&h);
    assert_int_equal(count_clients(1, "Httptest"), 2);
    assert_int_equal(count_clients(other_practice, "Httptest"), 0);
    /* the same file again: every row now a duplicate or otherwise refused */
    assert_int_equal(post_csv(&biller, "/api/import/clients?dry_run=1", csv, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "good")), 0);
    assert_true(http_problem(&h, 2, "row"));
    http_free(&h);
}

/* --- incoming files: acknowledgements uploaded, suspense resolved by hand ------------------------- */

/* tests/data/x12/NAME with the sent batch's GS06 and ST02 in place of the 999's (AK102 1, AK202 0001). */
static char *batch_999(const char *name, json_int_t gs06, const char *st02, size_t *len)
{
    size_t n;
    char rel[200], *d, *out;
    snprintf(rel, sizeof rel, "tests/data/x12/%s", name);
    d = slurp_source(rel, &n);
    out = malloc(n + 64);
    char *ak1 = strstr(d, "AK1*HC*1*"), *ak2 = strstr(d, "AK2*837*0001*");
    assert_non_null(ak1);
    assert_non_null(ak2);
    *ak1 = *ak2 = 0;
    *len = (size_t)snprintf(out, n + 64, "%sAK1*HC*%lld*%sAK2*837*%s*%s", d, (long long)gs06, ak1 + 9, st02, ak2 + 13);
    free(d);
    return out;
}

/* tests/data/x12/NAME sent to path answers 422 invalid_x12 with want in its message. */
static void incoming_malformed(const struct session *s, const char *path, const char *name, const char *want)
{
    struct http h;
    size_t len;
    char rel[200];
    snprintf(rel, sizeof rel, "tests/data/x12/%s", name);
    char *d = slurp_source(rel, &len);
    assert_int_equal(post_raw(s, path, d, len, &h), 422);
    assert_error(&h, 422, "invalid_x12", "body");
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(h.json, "error"), "message")), want));
    http_free(&h);
    free(d);
}

/* The billing office uploads what comes back: the 835 already posted (said so), a 999 for the batch
 * sent (its claims, already adjudicated, stay as they are), a 277CA for claims psyclaim never sent
 * (suspense, resolved by hand: applied to no claim that exists, closed with a reason), a 270 (not taken
 * in), a 271 read and kept, a clinician refused. */
static void incoming_files(const struct session *lead, const struct session *biller, const char *payer)
{
    struct http h;
    assert_int_equal(call(biller, "GET", "/api/claims/batches", NULL, &h), 200);
    json_t *b = NULL, *x;
    size_t i;
    json_array_foreach(json_object_get(h.json, "items"), i, x)
        if (!b && !strcmp(json_string_value(json_object_get(x, "payer_code")), payer)) b = x;
    assert_non_null(b);
    json_int_t gs06 = json_integer_value(json_object_get(b, "gs06")), sent = json_integer_value(json_object_get(b, "claims"));
    char st02[16];
    snprintf(st02, sizeof st02, "%s", json_string_value(json_object_get(b, "st02")));
    http_free(&h);
    size_t len;
    char *ack = batch_999("999-accepted.x12", gs06, st02, &len);
    assert_int_equal(post_raw(lead, "/api/incoming/post", ack, len, &h), 403);
    http_free(&h);
    assert_int_equal(post_raw(biller, "/api/incoming/read", ack, len, &h), 200);
    assert_string_equal(json_string_value(json_object_get(h.json, "kind")), "999");
    http_free(&h);
    assert_int_equal(post_raw(biller, "/api/incoming/post", ack, len, &h), 200);
    assert_string_equal(json_string_value(json_object_get(h.json, "kind")), "999");
    json_t *posted = json_object_get(h.json, "posted");
    assert_int_equal(json_integer_value(json_object_get(posted, "accepted")), 0);
    assert_int_equal(json_integer_value(json_object_get(posted, "unchanged")), sent);
    http_free(&h);
    assert_int_equal(post_raw(biller, "/api/incoming/post", ack, len, &h), 200);
    assert_true(json_is_true(json_object_get(json_object_get(h.json, "posted"), "already_posted")));
    http_free(&h);
    free(ack);
    assert_true(audited("ack.post"));
    /* a malformed acknowledgement names its segment */
    incoming_malformed(biller, "/api/incoming/post", "999-bad-ik5.x12", "IK501");
    /* a 270 is a file psyclaim sends, not one it takes in */
    static const char s270[] = "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260401*1200*^*00501*"
                               "000000001*0*P*:~GS*HS*A*B*20260401*1200*1*X*005010X279A1~ST*270*0001*005010X279A1~"
                               "SE*2*0001~GE*1*1~IEA*1*000000001~";
    assert_int_equal(post_raw(biller, "/api/incoming/post", s270, sizeof s270 - 1, &h), 422);
    assert_error(&h, 422, "unsupported_kind", "body");
    http_free(&h);
    /* a 271 is read in words (005010X279A1 EB: copay EB01 B, EB07 25 in network EB12 Y; visits EB01 F,
     * HS 29 remaining 12) and kept with the policy it answers; the same answer again changes nothing */
    ack = slurp_source("tests/data/x12/271-mh-benefits.x12", &len);
    assert_int_equal(post_raw(lead, "/api/incoming/read", ack, len, &h), 403);
    http_free(&h);
    assert_int_equal(post_raw(biller, "/api/incoming/read", ack, len, &h), 200);
    assert_string_equal(json_string_value(json_object_get(h.json, "kind")), "271");
    json_t *ans = json_array_get(json_object_get(json_object_get(h.json, "document"), "answers"), 0);
    json_t *sum = json_object_get(ans, "summary");
    assert_string_equal(json_string_value(json_object_get(sum, "status")), "active");
    assert_int_equal(json_integer_value(json_object_get(sum, "copay_in_cents")), 2500);
    assert_int_equal(json_integer_value(json_object_get(sum, "visits_left")), 12);
    http_free(&h);
    assert_true(audited("eligibility.read"));
    assert_int_equal(post_raw(lead, "/api/incoming/post", ack, len, &h), 403);
    http_free(&h);
    assert_int_equal(post_raw(biller, "/api/incoming/post", ack, len, &h), 200);
    assert_string_equal(json_string_value(json_object_get(h.json, "kind")), "271");
    posted = json_object_get(h.json, "posted");
    assert_int_equal(json_integer_value(json_object_get(posted, "answers")), 1);
    json_int_t kept = json_integer_value(json_object_get(posted, "stored"));
    assert_int_equal(kept + json_integer_value(json_object_get(posted, "unmatched")), 1);
    assert_int_equal(json_array_size(json_object_get(json_object_get(h.json, "eligibility"), "answers")), 1);
    http_free(&h);
    assert_true(audited("eligibility.post"));
    assert_int_equal(post_raw(biller, "/api/incoming/post", ack, len, &h), 200);
    posted = json_object_get(h.json, "posted");
    assert_int_equal(json_integer_value(json_object_get(posted, "stored")), 0);
    assert_int_equal(json_integer_value(json_object_get(posted, "seen_before")), kept);
    http_free(&h);
    free(ack);
    /* a 271 with an answer the reader refuses names its segment and element */
    incoming_malformed(biller, "/api/incoming/read", "271-bad-eb08.x12", "EB08");
    /* a 277CA for claims never sent: the unknown one waits in suspense with its segment */
    ack = slurp_source("tests/data/x12/277ca.x12", &len);
    assert_int_equal(post_raw(biller, "/api/incoming/post", ack, len, &h), 200);
    assert_string_equal(json_string_value(json_object_get(h.json, "kind")), "277CA");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(h.json, "posted"), "suspense")), 3);
    http_free(&h);
    free(ack);
    /* the incoming files posted so far, one a page: the 835 posted before, then the 999 and the 277CA
     * (the 999 posted twice is one file), newest first, each once; by kind, the same files */
    {
        char fpath[400], cursor[320] = "", kinds[64] = "";
        json_int_t last = 0, total = -1;
        size_t seen = 0;
        do {
            snprintf(fpath, sizeof fpath, "/api/era/files?limit=1%s%s", *cursor ? "&cursor=" : "", cursor);
            assert_int_equal(call(biller, "GET", fpath, NULL, &h), 200);
            json_array_foreach(json_object_get(h.json, "items"), i, x) {
                json_int_t id = json_integer_value(json_object_get(x, "id"));
                assert_true(last == 0 || id < last);
                last = id;
                seen++;
                size_t k = strlen(kinds);
                snprintf(kinds + k, sizeof kinds - k, "%s ", json_string_value(json_object_get(x, "kind")));
            }
            if (total < 0) total = json_integer_value(json_object_get(h.json, "total"));
            else assert_int_equal(json_integer_value(json_object_get(h.json, "total")), total);
            json_t *next = json_object_get(h.json, "next_cursor");
            snprintf(cursor, sizeof cursor, "%s", json_is_string(next) ? json_string_value(next) : "");
            http_free(&h);
        } while (*cursor);
        assert_int_equal(seen, total);
        assert_string_equal(kinds, "277CA 999 835 ");
        assert_int_equal(call(biller, "GET", "/api/era/files?kind=999", NULL, &h), 200);
        assert_int_equal(json_integer_value(json_object_get(h.json, "total")), 1);
        http_free(&h);
        assert_int_equal(call(lead, "GET", "/api/era/files", NULL, &h), 403);
        http_free(&h);
    }
    assert_int_equal(call(biller, "GET", "/api/suspense", NULL, &h), 200);
    json_int_t item = 0;
    json_array_foreach(json_object_get(h.json, "items"), i, x)
        if (!strcmp(json_string_value(json_object_get(x, "claim_number")), "PCX0000009")) {
            item = json_integer_value(json_object_get(x, "id"));
            assert_string_equal(json_string_value(json_object_get(x, "source")), "277CA");
            assert_non_null(strstr(json_string_value(json_object_get(x, "segment")), "TRN*2*PCX0000009"));
        }
    assert_true(item > 0);
    http_free(&h);
    char path[80];
    snprintf(path, sizeof path, "/api/suspense/%lld/apply", (long long)item);
    call_error(lead, "POST", path, "{\"claim_number\": \"X\"}", 403, "forbidden", NULL);
    call_error(biller, "POST", path, "{}", 400, "invalid", "claim_number");
    call_error(biller, "POST", path, "{\"claim_number\": \"PCX0000009\"}", 404, "not_found", "claim_number");
    snprintf(path, sizeof path, "/api/suspense/%lld/close", (long long)item);
    call_error(biller, "POST", path, "{\"reason\": \"\"}", 400, "invalid", "reason");
    assert_int_equal(call(biller, "POST", path, "{\"reason\": \"not our claim\"}", &h), 200);
    http_free(&h);
    call_error(biller, "POST", path, "{\"reason\": \"again\"}", 409, "conflict", NULL);
    call_error(biller, "POST", "/api/suspense/999999/close", "{\"reason\": \"x\"}", 404, "not_found", NULL);
    assert_true(audited("suspense.close"));
    assert_int_equal(call(biller, "GET", "/api/suspense?all=1", NULL, &h), 200);
    int closed = 0;
    json_array_foreach(json_object_get(h.json, "items"), i, x)
        closed |= !strcmp(json_string_value(json_object_get(x, "resolution")), "closed: not our claim");
    assert_true(closed);
    http_free(&h);
    /* a claim that was not rejected is not rebuilt */
    json_t *one = claims_of(biller, "?status=paid");
    snprintf(path, sizeof path, "/api/claims/%lld/rebuild", (long long)json_integer_value(json_object_get(json_array_get(one, 0), "id")));
    json_decref(one);
    call_error(biller, "POST", path, "{}", 422, "invalid", "status");
    call_error(biller, "POST", "/api/claims/999999/rebuild", "{}", 404, "not_found", "status");
}

static void test_claims(void **state)
{
    (void)state;
    struct rec_fixture f;
    rec_setup(&f);
    psy_server_stop(srv); /* an 835 of many claims is larger than the default test cap */
    start(1 << 20, NULL, NULL);
    struct session lead, other, biller, admin;
    login_as("lead", &lead);
    login_as("other", &other);
    login_as("biller", &biller);
    login_as("admin", &admin);
    struct http h;

    /* building: only billing roles; dates and phone are checked and named */
    call_error(&lead, "POST", "/api/claims/build", "{}", 403, "forbidden", NULL);
    call_error(&biller, "POST", "/api/claims/build", "{\"from\": \"2025-02-30\"}", 400, "invalid", "from");
    call_error(&biller, "POST", "/api/claims/build", "{\"from\": \"2025-03-10\", \"to\": \"2025-03-01\"}", 400, "invalid", "to");
    call_error(&biller, "POST", "/api/claims/build", "{\"phone\": \"12ab\"}", 422, "invalid", "phone");
    assert_int_equal(call(&biller, "POST", "/api/claims/build", "{\"from\": \"2025-01-01\", \"to\": \"2025-03-31\"}", &h), 200);
    json_int_t made = json_integer_value(json_object_get(h.json, "claims_new"));
    assert_true(made > 5);
    assert_true(json_integer_value(json_object_get(h.json, "ready")) > 0);
    assert_int_equal(json_integer_value(json_object_get(h.json, "ready")) + json_integer_value(json_object_get(h.json, "draft")), made);
    assert_true(json_is_array(json_object_get(h.json, "problems")));
    http_free(&h);
    assert_int_equal(call(&admin, "POST", "/api/claims/build", "{}", &h), 200); /* again: nothing new */
    assert_int_equal(json_integer_value(json_object_get(h.json, "claims_new")), 0);
    http_free(&h);
    /* scrubbing them all again: only billing roles; the verdicts account for every claim built */
    call_error(&lead, "POST", "/api/claims/scrub", "{}", 403, "forbidden", NULL);
    assert_int_equal(call(&biller, "POST", "/api/claims/scrub", "{}", &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "ready")) + json_integer_value(json_object_get(h.json, "draft")), made);
    http_free(&h);

    /* the list: filters, totals, who sees what */
    json_t *all = claims_of(&biller, "");
    assert_int_equal(json_array_size(all), made);
    json_t *ready = claims_of(&biller, "?status=ready"), *x;
    size_t i;
    assert_true(json_array_size(ready) > 0);
    json_array_foreach(ready, i, x) assert_string_equal(json_string_value(json_object_get(x, "status")), "ready");
    json_t *first = json_array_get(ready, 0);
    const char *payer = json_string_value(json_object_get(first, "payer_code"));
    char q[120];
    snprintf(q, sizeof q, "?payer=%s&month=%.7s", payer,
             json_string_value(json_object_get(first, "service_date")));
    json_t *some = claims_of(&biller, q);
    assert_true(json_array_size(some) >= 1 && json_array_size(some) < json_array_size(all));
    json_array_foreach(some, i, x) assert_string_equal(json_string_value(json_object_get(x, "payer_code")), payer);
    json_decref(some);
    call_error(&biller, "GET", "/api/claims?status=lost", NULL, 400, "invalid", "status");
    call_error(&biller, "GET", "/api/claims?month=2025-13", NULL, 400, "invalid", "month");
    call_error(&biller, "GET", "/api/claims?client=abc", NULL, 400, "invalid", "client");
    call_error(&biller, "GET", "/api/claims?cursor=p12.zz", NULL, 400, "invalid", "cursor");
    call_error(&biller, "GET", "/api/claims?cursor=12", NULL, 400, "invalid", "cursor");
    call_error(&biller, "GET", "/api/claims?limit=501", NULL, 400, "invalid", "limit");
    /* searched on the server: by claim number (any case, part of it) and by the client's name */
    {
        const char *num = json_string_value(json_object_get(first, "number"));
        char sq[160];
        snprintf(sq, sizeof sq, "?q=%s", num);
        json_t *hit = claims_of(&biller, sq);
        assert_int_equal(json_array_size(hit), 1);
        assert_string_equal(json_string_value(json_object_get(json_array_get(hit, 0), "number")), num);
        json_decref(hit);
        const char *last_name = json_string_value(json_object_get(json_object_get(first, "client"), "last_name"));
        char lower[80];
        size_t k = 0;
        for (; last_name[k] && k < sizeof lower - 1; k++) lower[k] = (char)tolower((unsigned char)last_name[k]);
        lower[k] = 0;
        snprintf(sq, sizeof sq, "?q=%s", lower);
        json_t *named = claims_of(&biller, sq);
        assert_true(json_array_size(named) >= 1 && json_array_size(named) <= json_array_size(all));
        json_array_foreach(named, i, x)
            assert_string_equal(json_string_value(json_object_get(json_object_get(x, "client"), "last_name")), last_name);
        json_decref(named);
        json_t *none = claims_of(&biller, "?q=%25nobody_");
        assert_int_equal(json_array_size(none), 0);
        json_decref(none);
    }
    psy_id *own;
    size_t nown;
    psy_store *st;
    char err[256];
    assert_int_equal(psy_store_open(db_path, &st, err, sizeof err), PSY_OK);
    assert_int_equal(psy_records_client_ids(st, 1, f.lead, &own, &nown), PSY_OK);
    json_t *mine = claims_of(&lead, ""), *theirs = claims_of(&other, "");
    assert_true(json_array_size(mine) > 0 && json_array_size(mine) < json_array_size(all));
    json_array_foreach(mine, i, x) {
        int ok = 0;
        for (size_t k = 0; k < nown; k++) ok |= own[k] == json_integer_value(json_object_get(json_object_get(x, "client"), "id"));
        assert_true(ok);
    }
    /* the timely-filing list, a page at a time: soonest deadline first, each unsent claim with a known
     * limit once (as the claims list counts them), a clinician's own clients only */
    for (int who = 0; who < 2; who++) {
        const struct session *as = who ? &lead : &biller;
        json_t *list = who ? mine : all;
        char cursor[400] = "", tp[600], last_deadline[16] = "";
        json_int_t total = -1, seen = 0, last_id = 0, want = 0;
        json_array_foreach(list, i, x) {
            const char *stt = json_string_value(json_object_get(x, "status"));
            if (json_is_integer(json_object_get(x, "timely_limit_days")) &&
                json_integer_value(json_object_get(x, "timely_limit_days")) > 0 &&
                (!strcmp(stt, "draft") || !strcmp(stt, "ready") || !strcmp(stt, "rejected")))
                want++;
        }
        for (;;) {
            snprintf(tp, sizeof tp, "/api/claims/timely?limit=2%s%s", *cursor ? "&cursor=" : "", cursor);
            assert_int_equal(call(as, "GET", tp, NULL, &h), 200);
            if (total < 0) total = json_integer_value(json_object_get(h.json, "total"));
            assert_int_equal(json_integer_value(json_object_get(h.json, "total")), total);
            json_t *items = json_object_get(h.json, "items");
            assert_true(json_array_size(items) <= 2);
            json_array_foreach(items, i, x) {
                const char *d = json_string_value(json_object_get(x, "deadline"));
                json_int_t id = json_integer_value(json_object_get(x, "id"));
                int c = strcmp(last_deadline, d);
                assert_true(c < 0 || (c == 0 && id > last_id));
                snprintf(last_deadline, sizeof last_deadline, "%s", d);
                last_id = id;
                if (who) {
                    int ok = 0;
                    json_int_t cid = json_integer_value(json_object_get(json_object_get(x, "client"), "id"));
                    for (size_t k = 0; k < nown; k++) ok |= own[k] == cid;
                    assert_true(ok);
                }
                seen++;
            }
            json_t *next = json_object_get(h.json, "next_cursor");
            snprintf(cursor, sizeof cursor, "%s", json_is_string(next) ? json_string_value(next) : "");
            http_free(&h);
            if (!*cursor) break;
        }
        assert_int_equal(seen, total);
        assert_int_equal(total, want);
        assert_true(total > 2); /* more than one page */
    }
    call_error(&biller, "GET", "/api/claims/timely?cursor=p3.", NULL, 400, "invalid", "cursor");
    call_error(&biller, "GET", "/api/claims/timely?cursor=p3.41", NULL, 400, "invalid", "cursor");
    call_error(&biller, "GET", "/api/claims/timely?client=x", NULL, 400, "invalid", "client");
    free(own);
    json_int_t lead_claim = json_integer_value(json_object_get(json_array_get(mine, 0), "id")), stranger_claim = 0;
    json_array_foreach(all, i, x)
        if (json_integer_value(json_object_get(json_object_get(x, "client"), "id")) == f.stranger)
            stranger_claim = json_integer_value(json_object_get(x, "id"));
    assert_true(stranger_claim > 0);

    /* one claim: lines with rule ids and explanations, findings, history */
    char path[160];
    json_int_t rid = json_integer_value(json_object_get(first, "id"));
    snprintf(path, sizeof path, "/api/claims/%lld", (long long)rid);
    assert_int_equal(call(&biller, "GET", path, NULL, &h), 200);
    assert_no_note_text(h.json);
    json_t *ln = json_array_get(json_object_get(h.json, "lines"), 0);
    assert_non_null(ln);
    assert_true(strlen(json_string_value(json_object_get(ln, "explanation"))) > 10);
    assert_true(json_array_size(json_object_get(ln, "rules")) >= 1);
    assert_true(json_is_array(json_object_get(h.json, "findings")));
    json_t *hist = json_array_get(json_object_get(h.json, "history"), 0);
    assert_string_equal(json_string_value(json_object_get(hist, "from")), "draft");
    assert_string_equal(json_string_value(json_object_get(hist, "to")), "ready");
    assert_non_null(json_object_get(json_object_get(h.json, "client"), "last_name"));
    http_free(&h);
    snprintf(path, sizeof path, "/api/claims/%lld", (long long)lead_claim);
    assert_int_equal(call(&lead, "GET", path, NULL, &h), 200);
    http_free(&h);
    snprintf(path, sizeof path, "/api/claims/%lld", (long long)stranger_claim);
    call_error(&other, "GET", path, NULL, 404, "not_found", NULL);
    call_error(&biller, "GET", "/api/claims/999999", NULL, 404, "not_found", NULL);

    /* scrubbing: billing roles; a ready claim stays ready */
    snprintf(path, sizeof path, "/api/claims/%lld/scrub", (long long)rid);
    call_error(&lead, "POST", path, NULL, 403, "forbidden", NULL);
    assert_int_equal(call(&biller, "POST", path, NULL, &h), 200);
    assert_string_equal(json_string_value(json_object_get(h.json, "status")), "ready");
    http_free(&h);

    /* CMS-1500 and superbill PDFs */
    snprintf(path, sizeof path, "/api/claims/%lld/cms1500", (long long)rid);
    call(&biller, "GET", path, NULL, &h);
    assert_download(&h, "application/pdf", "%PDF-");
    http_free(&h);
    snprintf(path, sizeof path, "/api/claims/%lld/cms1500", (long long)stranger_claim);
    call_error(&other, "GET", path, NULL, 404, "not_found", NULL);
    json_int_t cl = json_integer_value(json_object_get(json_object_get(first, "client"), "id"));
    snprintf(path, sizeof path, "/api/superbill?client=%lld&month=%.7s", (long long)cl,
             json_string_value(json_object_get(first, "service_date")));
    call(&admin, "GET", path, NULL, &h);
    assert_download(&h, "application/pdf", "%PDF-");
    http_free(&h);
    call_error(&biller, "GET", "/api/superbill?month=2025-03", NULL, 400, "invalid", "client");
    snprintf(path, sizeof path, "/api/superbill?client=%lld&month=March", (long long)cl);
    call_error(&biller, "GET", path, NULL, 400, "invalid", "month");
    snprintf(path, sizeof path, "/api/superbill?client=%lld&month=2019-01", (long long)cl);
    call_error(&biller, "GET", path, NULL, 422, "invalid", "month");
    snprintf(path, sizeof path, "/api/superbill?client=%lld&month=2025-03", (long long)f.stranger);
    call_error(&other, "GET", path, NULL, 404, "not_found", NULL);

    /* the 837P of one payer: a download the X12 check reads clean; the claims are then submitted */
    call_error(&lead, "POST", "/api/claims/export", "{\"payer\": \"x\"}", 403, "forbidden", NULL);
    call_error(&biller, "POST", "/api/claims/export", "{}", 400, "invalid", "payer");
    call_error(&biller, "POST", "/api/claims/export", "{\"payer\": \"NOSUCHPAYER\"}", 422, "invalid", "payer");
    char body[160];
    snprintf(body, sizeof body, "{\"payer\": \"%s\"}", payer);
    json_decref(claims_of(&biller, "?status=submitted")); /* counted before the export */
    call(&biller, "POST", "/api/claims/export", body, &h);
    assert_download(&h, "application/edi-x12", "ISA*");
    psy_x12_reader *rd = psy_x12_reader_mem(h.body.p, h.body.n, 0);
    struct psy_x12_problem probs[8];
    size_t np = 0;
    struct psy_x12_check_stats stats;
    assert_int_equal(psy_x12_check(rd, probs, 8, &np, &stats), PSY_OK);
    psy_x12_reader_free(rd);
    assert_int_equal(np, 0);
    size_t sent = 0;
    json_array_foreach(ready, i, x) sent += !strcmp(json_string_value(json_object_get(x, "payer_code")), payer);
    char hv[32];
    assert_non_null(header(&h, "X-Claims", hv, sizeof hv));
    assert_int_equal(atol(hv), sent);
    /* the batch is kept: listed, and its download is the same bytes */
    assert_non_null(header(&h, "X-Batch", hv, sizeof hv));
    {
        char bpath[64];
        snprintf(bpath, sizeof bpath, "/api/claims/batches/%s/download", hv);
        struct http b;
        call(&biller, "GET", bpath, NULL, &b);
        assert_int_equal(b.body.n, h.body.n);
        assert_memory_equal(b.body.p, h.body.p, h.body.n);
        http_free(&b);
        call(&biller, "GET", "/api/claims/batches", NULL, &b);
        assert_non_null(strstr(b.body.p, "\"payer_code\""));
        http_free(&b);
        call_error(&lead, "GET", bpath, NULL, 403, "forbidden", NULL);
    }
    size_t elen;
    char *era = make_835(h.body.p, h.body.n, 1, &elen);
    http_free(&h);
    snprintf(q, sizeof q, "?status=submitted&payer=%s", payer);
    json_t *sub = claims_of(&biller, q);
    assert_int_equal(json_array_size(sub), sent);
    json_decref(sub);
    /* the count of a status is given again from memory only while no claim changed: after the export
     * it counts the claims sent (claims_of checks total against the rows) */
    sub = claims_of(&biller, "?status=submitted");
    assert_int_equal(json_array_size(sub), sent);
    json_decref(sub);
    json_decref(claims_of(&biller, "?status=ready"));
    call_error(&biller, "POST", "/api/claims/export", body, 422, "invalid", "payer"); /* none ready now */

    /* a ready claim the 837P writer refuses (the practice lost its ZIP+4): the answer names the field */
    const char *payer2 = NULL;
    json_array_foreach(ready, i, x)
        if (strcmp(json_string_value(json_object_get(x, "payer_code")), payer)) payer2 = json_string_value(json_object_get(x, "payer_code"));
    assert_non_null(payer2);
    struct psy_practice pr;
    assert_int_equal(psy_records_practice_get(st, 1, &pr), PSY_OK);
    char zip[sizeof pr.zip];
    snprintf(zip, sizeof zip, "%s", pr.zip);
    pr.zip[5] = 0;
    assert_int_equal(psy_records_practice_update(st, &pr), PSY_OK);
    snprintf(body, sizeof body, "{\"payer\": \"%s\"}", payer2);
    call_error(&biller, "POST", "/api/claims/export", body, 422, "preflight", "billing.address.zip");
    assert_int_equal(psy_records_practice_get(st, 1, &pr), PSY_OK);
    snprintf(pr.zip, sizeof pr.zip, "%s", zip);
    assert_int_equal(psy_records_practice_update(st, &pr), PSY_OK);

    /* the trail names the payer and every claim an export sent, one row per claim too; the refused
     * export is a failure naming the field, not a success */
    {
        char aq[200], want[120];
        snprintf(aq, sizeof aq, "/api/audit?action=claim.export&record=payer:%s&outcome=ok", payer);
        assert_int_equal(call(&admin, "GET", aq, NULL, &h), 200);
        assert_int_equal(json_integer_value(json_object_get(h.json, "total")), 1);
        const char *d = json_string_value(json_object_get(json_array_get(json_object_get(h.json, "items"), 0), "detail"));
        snprintf(want, sizeof want, "payer=%s claims=", payer);
        assert_int_equal(strncmp(d, want, strlen(want)), 0);
        size_t commas = 0;
        for (const char *c = d + strlen(want); *c; c++) commas += *c == ',';
        assert_int_equal(commas + 1, sent);
        http_free(&h);
        snprintf(aq, sizeof aq, "/api/audit?action=claim.export&record=payer:%s", payer2);
        assert_int_equal(call(&admin, "GET", aq, NULL, &h), 200);
        assert_int_equal(json_integer_value(json_object_get(h.json, "total")), 1);
        json_t *e = json_array_get(json_object_get(h.json, "items"), 0);
        assert_string_equal(json_string_value(json_object_get(e, "outcome")), "failed");
        assert_non_null(strstr(json_string_value(json_object_get(e, "detail")), "error=billing.address.zip"));
        http_free(&h);
    }
    psy_store_close(st);

    /* posting the payer's 835: the first claim denied, the rest paid, one unknown claim in suspense */
    assert_int_equal(post_raw(&lead, "/api/era/post", era, elen, &h), 403);
    http_free(&h);
    assert_int_equal(post_raw(&biller, "/api/era/post", "ISA*nonsense~", 13, &h), 422);
    assert_error(&h, 422, "invalid_x12", "body");
    http_free(&h);
    assert_int_equal(post_raw(&biller, "/api/era/post", era, elen, &h), 200);
    json_t *posted = json_object_get(h.json, "posted");
    assert_false(json_is_true(json_object_get(posted, "already_posted")));
    assert_int_equal(json_integer_value(json_object_get(posted, "claims")), sent);
    assert_int_equal(json_integer_value(json_object_get(posted, "denied")), 1);
    assert_int_equal(json_integer_value(json_object_get(posted, "suspense")), 1);
    assert_true(json_integer_value(json_object_get(posted, "paid_cents")) > 0);
    json_t *pc = json_object_get(h.json, "claims");
    assert_int_equal(json_array_size(pc), sent + 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(pc, 0), "status")), "denied");
    assert_true(sent >= 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(pc, 1), "status")), "paid");
    json_t *denied_adj = json_array_get(json_object_get(json_array_get(json_object_get(json_array_get(
                                            json_object_get(json_object_get(h.json, "remittance"), "payments"), 0), "claims"), 0),
                                            "adjustments"), 0);
    assert_true(strlen(json_string_value(json_object_get(denied_adj, "reason_text"))) > 5); /* reason in words */
    http_free(&h);
    assert_int_equal(post_raw(&biller, "/api/era/post", era, elen, &h), 200);
    assert_true(json_is_true(json_object_get(json_object_get(h.json, "posted"), "already_posted")));
    http_free(&h);
    free(era);
    /* the denied claim shows its payment with the reason in words */
    json_int_t denied_id = 0;
    json_array_foreach(ready, i, x) /* the list is newest first; the 837P (and the remittance) oldest first */
        if (!strcmp(json_string_value(json_object_get(x, "payer_code")), payer)) denied_id = json_integer_value(json_object_get(x, "id"));
    snprintf(path, sizeof path, "/api/claims/%lld", (long long)denied_id);
    assert_int_equal(call(&biller, "GET", path, NULL, &h), 200);
    assert_string_equal(json_string_value(json_object_get(h.json, "status")), "denied");
    json_t *pay = json_array_get(json_object_get(h.json, "payments"), 0);
    assert_non_null(pay);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(pay, "adjustments"), 0), "reason")), "50");
    assert_true(has_finding(json_object_get(h.json, "findings"), "R-835-DENIED"));
    http_free(&h);

    /* suspense */
    call_error(&lead, "GET", "/api/suspense", NULL, 403, "forbidden", NULL);
    assert_int_equal(call(&biller, "GET", "/api/suspense", NULL, &h), 200);
    json_t *items = json_object_get(h.json, "items");
    assert_int_equal(json_array_size(items), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "claim_number")), "PCX0000001");
    assert_int_equal(json_integer_value(json_object_get(h.json, "total")), 1);
    assert_true(json_is_null(json_object_get(h.json, "next_cursor")));
    assert_int_equal(json_integer_value(json_object_get(h.json, "paid_cents")),
                     json_integer_value(json_object_get(json_array_get(items, 0), "paid_cents")));
    http_free(&h);
    /* searched on the server: by part of the claim number, in any case */
    assert_int_equal(call(&biller, "GET", "/api/suspense?q=pcx00", NULL, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "total")), 1);
    http_free(&h);
    assert_int_equal(call(&biller, "GET", "/api/suspense?q=zzz", NULL, &h), 200);
    assert_int_equal(json_array_size(json_object_get(h.json, "items")), 0);
    assert_int_equal(json_integer_value(json_object_get(h.json, "paid_cents")), 0);
    http_free(&h);
    incoming_files(&lead, &biller, payer);

    /* revenue: billed against paid by month and payer, over the claims sent */
    call_error(&lead, "GET", "/api/reports/revenue", NULL, 403, "forbidden", NULL);
    call_error(&admin, "GET", "/api/reports/revenue?from=2025-1", NULL, 400, "invalid", "from");
    assert_int_equal(call(&admin, "GET", "/api/reports/revenue?from=2025-01&to=2025-12", NULL, &h), 200);
    json_int_t billed = 0, paid = 0, nclaims = 0;
    json_array_foreach(json_object_get(h.json, "rows"), i, x) {
        assert_string_equal(json_string_value(json_object_get(x, "payer_code")), payer);
        billed += json_integer_value(json_object_get(x, "billed_cents"));
        paid += json_integer_value(json_object_get(x, "paid_cents"));
        nclaims += json_integer_value(json_object_get(x, "claims"));
    }
    assert_int_equal(nclaims, sent);
    assert_true(paid > 0 && paid < billed); /* one claim denied */
    http_free(&h);

    json_decref(all);
    json_decref(ready);
    json_decref(mine);
    json_decref(theirs);
    static const char *const actions[] = {"claim.build", "claim.list", "claim.read", "claim.scrub", "claim.cms1500",
                                          "superbill.read", "claim.export", "era.post", "suspense.list", "report.revenue"};
    for (size_t k = 0; k < sizeof actions / sizeof *actions; k++) {
        if (!audited(actions[k])) fprintf(stderr, "not audited: %s\n", actions[k]);
        assert_true(audited(actions[k]));
    }
}

/* --- hardening (one form per path, answers libmicrohttpd makes itself, slow clients) ----------------- */

/* Sends raw bytes from source address src (NULL: any) to the server and reads the answer until the
 * server closes or wait_ms pass without data. Returns the bytes read (out is NUL-terminated), or -1
 * when the connection could not be made. */
static long raw_http(const char *src, const char *req, size_t len, char *out, size_t cap, int wait_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    if (src) {
        struct sockaddr_in a = {.sin_family = AF_INET};
        inet_pton(AF_INET, src, &a.sin_addr);
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)psy_server_port(srv))};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (connect(fd, (struct sockaddr *)&to, sizeof to)) {
        close(fd);
        return -1;
    }
    for (size_t off = 0; off < len;) {
        ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (w <= 0) break; /* the server may answer and close before it has read everything */
        off += (size_t)w;
    }
    size_t n = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, wait_ms) <= 0 || n + 1 >= cap) break;
        ssize_t r = recv(fd, out + n, cap - 1 - n, 0);
        if (r <= 0) break;
        n += (size_t)r;
    }
    out[n] = 0;
    close(fd);
    return (long)n;
}

/* A raw answer's status, and whether it carries a header (name and value as sent, any case). */
static int raw_status(const char *ans) { return strncmp(ans, "HTTP/1.", 7) ? 0 : atoi(ans + 9); }

static int raw_has(const char *ans, const char *header_line) { return strstr(ans, header_line) != NULL; }

static void assert_secure_json(const char *ans, int status, const char *code)
{
    if (raw_status(ans) != status) fprintf(stderr, "answer: %.300s\n", ans);
    assert_int_equal(raw_status(ans), status);
    assert_true(raw_has(ans, "\r\nContent-Security-Policy: default-src 'self'"));
    assert_true(raw_has(ans, "\r\nX-Content-Type-Options: nosniff\r\n"));
    assert_true(raw_has(ans, "\r\nX-Frame-Options: DENY\r\n"));
    assert_true(raw_has(ans, "\r\nReferrer-Policy: no-referrer\r\n"));
    assert_true(raw_has(ans, "\r\nContent-Type: application/json"));
    char want[64];
    snprintf(want, sizeof want, "{\"error\":{\"code\":\"%s\"", code);
    assert_non_null(strstr(ans, want));
}

/* Ids and paths are taken in one form only (issue 14, finding 5). */
static void test_canonical_paths(void **state)
{
    (void)state;
    struct rec_fixture f;
    rec_setup(&f);
    struct session a;
    login_as("admin", &a);
    const char *const admin[] = {a.cookie, NULL};
    char id[32], path[128];
    struct http h;
    snprintf(id, sizeof id, "%lld", (long long)f.client);
    snprintf(path, sizeof path, "/api/clients/%s", id);
    assert_int_equal(request("GET", path, NULL, 0, admin, &h), 200);
    http_free(&h);
    /* the same client written other ways */
    const char *const forms[][2] = {{"0", ""}, {"+", ""}, {"", "%00"}, {"", "/"}, {"", "%2F"}, {"%20", ""}, {"-", ""}};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        snprintf(path, sizeof path, "/api/clients/%s%s%s", forms[i][0], id, forms[i][1]);
        expect_error("GET", path, NULL, admin, 404, "not_found", NULL);
    }
    snprintf(path, sizeof path, "/api/clients/%%%02X%s", (unsigned)id[0], id + 1); /* "%31" for '1' */
    expect_error("GET", path, NULL, admin, 404, "not_found", NULL);
    expect_error("GET", "/api/clients/99999999999999999999", NULL, admin, 404, "not_found", NULL);
    expect_error("GET", "/api/clients/9223372036854775808", NULL, admin, 404, "not_found", NULL);
    expect_error("GET", "/api/clients/0", NULL, admin, 404, "not_found", NULL);
    /* pages: a NUL or escape in the name is not the page */
    assert_int_equal(request("GET", "/app.js", NULL, 0, NULL, &h), 200);
    http_free(&h);
    expect_error("GET", "/app.js%00.png", NULL, NULL, 404, "not_found", NULL);
    expect_error("GET", "/app%2Ejs", NULL, NULL, 404, "not_found", NULL);
    /* dot segments, sent as they are (a browser would squash them) */
    char ans[8192];
    const char dots[] = "GET /api/./health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    raw_http(NULL, dots, strlen(dots), ans, sizeof ans, 5000);
    assert_secure_json(ans, 404, "not_found");
    const char up[] = "GET /api/codes/../health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    raw_http(NULL, up, strlen(up), ans, sizeof ans, 5000);
    assert_secure_json(ans, 404, "not_found");
    /* query strings are still decoded */
    assert_int_equal(request("GET", "/api/search?q=panic%20attack", NULL, 0, NULL, &h), 200);
    http_free(&h);
}

/* Answers libmicrohttpd makes itself carry the same headers and JSON errors (issue 14, finding 6). */
static void test_own_answers(void **state)
{
    (void)state;
    size_t big = 200 * 1024;
    char *req = malloc(big + 256), *ans = malloc(16384);
    /* a request line longer than the connection's memory: 414 */
    int n = snprintf(req, 256, "GET /");
    memset(req + n, 'a', big);
    snprintf(req + n + big, 256, " HTTP/1.1\r\nHost: x\r\n\r\n");
    raw_http(NULL, req, strlen(req), ans, 16384, 5000);
    assert_secure_json(ans, 414, "uri_too_long");
    /* a header that does not fit: 431 */
    n = snprintf(req, 256, "GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(req + n, 'b', big);
    snprintf(req + n + big, 256, "\r\n\r\n");
    raw_http(NULL, req, strlen(req), ans, 16384, 5000);
    assert_secure_json(ans, 431, "headers_too_large");
    /* a malformed request and an HTTP version the server does not speak */
    const char bad[] = "GET /api/health HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n";
    raw_http(NULL, bad, strlen(bad), ans, 16384, 5000);
    assert_secure_json(ans, 400, "bad_request");
    const char v2[] = "GET /api/health HTTP/2.5\r\nHost: x\r\n\r\n";
    raw_http(NULL, v2, strlen(v2), ans, 16384, 5000);
    assert_secure_json(ans, 505, "http_version");
    free(req);
    free(ans);
}

/* Idle connections from one address neither exhaust the server nor slow a normal request from
 * another (issue 14, finding 7). */
static void test_slow_clients(void **state)
{
    (void)state;
    psy_server_stop(srv);
    struct psy_server_config cfg = {0};
    cfg.db_uri = db_path;
    cfg.listen = "127.0.0.1:0";
    cfg.threads = 2;
    cfg.policy = &fast;
    cfg.per_address = 16;
    cfg.timeout = 2;
    char err[256];
    assert_int_equal(psy_server_start(&cfg, &srv, err, sizeof err), PSY_OK);
    snprintf(base, sizeof base, "http://127.0.0.1:%u", psy_server_port(srv));
    enum { IDLE = 300 };
    int fds[IDLE], open_ = 0;
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)psy_server_port(srv))};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    for (int i = 0; i < IDLE; i++) { /* half a request line each, then silence */
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fds[i] >= 0);
        if (connect(fds[i], (struct sockaddr *)&to, sizeof to) == 0) {
            send(fds[i], "GET /api/hea", 12, MSG_NOSIGNAL);
            open_++;
        }
    }
    assert_true(open_ > 16);
    /* a normal request from another address answers at once */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char ans[8192];
    const char health[] = "GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    assert_true(raw_http("127.0.0.2", health, strlen(health), ans, sizeof ans, 5000) > 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(raw_status(ans), 200);
    assert_true(t1.tv_sec - t0.tv_sec < 5);
    /* the connections over the per-address limit were closed at once: at most 16 are still open */
    usleep(300 * 1000);
    int alive = 0;
    for (int i = 0; i < IDLE; i++) {
        char c;
        ssize_t r = recv(fds[i], &c, 1, MSG_DONTWAIT);
        alive += r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
    assert_true(alive <= 16);
    /* silent connections are closed after the timeout, and the address is served again */
    sleep(4);
    alive = 0;
    for (int i = 0; i < IDLE; i++) {
        char c;
        ssize_t r = recv(fds[i], &c, 1, MSG_DONTWAIT);
        alive += r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        close(fds[i]);
    }
    assert_int_equal(alive, 0);
    assert_true(raw_http(NULL, health, strlen(health), ans, sizeof ans, 5000) > 0);
    assert_int_equal(raw_status(ans), 200);
    /* a client that sends half a request body and goes quiet does not hold a stop for the grace period
     * (ten seconds) the requests that are whole get (a server whose silent connections last longer) */
    psy_server_stop(srv);
    start(0, NULL, NULL);
    to.sin_port = htons((uint16_t)psy_server_port(srv));
    int half = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(half >= 0);
    assert_int_equal(connect(half, (struct sockaddr *)&to, sizeof to), 0);
    const char partial[] = "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           "Content-Length: 100\r\n\r\n{\"username\"";
    assert_true(send(half, partial, strlen(partial), MSG_NOSIGNAL) == (ssize_t)strlen(partial));
    usleep(300 * 1000); /* the headers and the first bytes are in */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    psy_server_stop(srv);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    close(half);
    start(0, NULL, NULL); /* for the tests after this one, whatever the answer below */
    assert_true(t1.tv_sec - t0.tv_sec < 5);
}

/* Refused attempts and every read of patient data are on the trail with their outcome; admins filter
 * it and take it away as CSV (issue 14, finding 3). */
static void test_audit_trail(void **state)
{
    (void)state;
    struct rec_fixture f;
    rec_setup(&f);
    struct session other, admin, biller;
    login_as("other", &other);
    login_as("admin", &admin);
    login_as("biller", &biller);
    struct http h;
    char path[160], id[24];
    snprintf(id, sizeof id, "%lld", (long long)f.stranger);
    snprintf(path, sizeof path, "/api/clients/%s", id);
    call_error(&other, "GET", path, NULL, 404, "not_found", NULL);                   /* not theirs */
    snprintf(path, sizeof path, "/api/groups/%lld/sessions", (long long)f.group);
    call_error(&biller, "POST", path, "{\"service_date\": \"2025-04-07\"}", 403, "forbidden", NULL); /* role */
    assert_int_equal(call(&admin, "GET", "/api/groups", NULL, &h), 200);          /* a read */
    http_free(&h);
    /* sign-ins that fail: a known practice keeps the attempt; with no practice the name is withheld */
    struct http t;
    post_json("/api/login", "{\"username\": \"nobody-here\", \"password\": \"x\", \"practice_id\": 1}", &t);
    http_free(&t);
    post_json("/api/login", "{\"username\": \"ghost-user\", \"password\": \"x\"}", &t);
    http_free(&t);

    assert_int_equal(call(&admin, "GET", "/api/audit?user=other&action=access.refused", NULL, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "total")), 1);
    json_t *e = json_array_get(json_object_get(h.json, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "outcome")), "not_found");
    assert_string_equal(json_string_value(json_object_get(e, "record_id")), "GET /api/clients/:id");
    char want[48];
    snprintf(want, sizeof want, "id=%s", id);
    assert_string_equal(json_string_value(json_object_get(e, "detail")), want);
    http_free(&h);
    assert_int_equal(call(&admin, "GET", "/api/audit?user=biller&outcome=forbidden", NULL, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "total")), 1);
    http_free(&h);
    assert_int_equal(call(&admin, "GET", "/api/audit?action=phi.read&user=admin", NULL, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "total")), 1);
    e = json_array_get(json_object_get(h.json, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "record_id")), "GET /api/groups");
    http_free(&h);
    /* failed sign-ins: the one under practice 1 names the user; the practice-less one does not */
    assert_int_equal(call(&admin, "GET", "/api/audit?action=login.failed", NULL, &h), 200);
    int named = 0, withheld = 0;
    size_t i;
    json_array_foreach(json_object_get(h.json, "items"), i, e) {
        const char *u = json_string_value(json_object_get(e, "username"));
        named |= !strcmp(u, "nobody-here");
        withheld |= !*u && json_is_null(json_object_get(e, "practice_id"));
        assert_null(strstr(u, "ghost"));
    }
    assert_true(withheld);
    (void)named; /* whether an unknown name under a given practice is kept with it is the sign-in's rule */
    http_free(&h);
    /* prefixes, records, dates */
    assert_int_equal(call(&admin, "GET", "/api/audit?action=access.&limit=500", NULL, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "total")), 2);
    http_free(&h);
    char today[PSY_DATE_MAX];
    psy_date_today("America/Chicago", today); /* the demo practice's zone */
    snprintf(path, sizeof path, "/api/audit?from=%s&to=%s&user=other&action=access.refused", today, today);
    assert_int_equal(call(&admin, "GET", path, NULL, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "total")), 1);
    http_free(&h);
    assert_int_equal(call(&admin, "GET", "/api/audit?from=2020-01-01&to=2020-01-31", NULL, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "total")), 0);
    http_free(&h);
    call_error(&admin, "GET", "/api/audit?from=2026-02-30", NULL, 400, "invalid", "from");
    call_error(&admin, "GET", "/api/audit?from=2026-03-02&to=2026-03-01", NULL, 400, "invalid", "to");
    call_error(&other, "GET", "/api/audit.csv", NULL, 403, "forbidden", NULL);
    /* CSV: a header, one line per event, the filter applied, the look recorded */
    assert_int_equal(call(&admin, "GET", "/api/audit.csv?user=other", NULL, &h), 200);
    char v[128];
    assert_non_null(header(&h, "Content-Type", v, sizeof v));
    assert_non_null(strstr(v, "text/csv"));
    assert_non_null(header(&h, "Content-Disposition", v, sizeof v));
    assert_non_null(strstr(v, "attachment"));
    assert_int_equal(strncmp(h.body.p, "id,at,username,action,record_type,record_id,outcome,detail,ip\r\n", 63), 0);
    assert_non_null(strstr(h.body.p, "\"other\",\"access.refused\",\"route\",\"GET /api/clients/:id\",\"not_found\""));
    assert_null(strstr(h.body.p, "\"admin\""));
    http_free(&h);
    assert_int_equal(call(&admin, "GET", "/api/audit?action=audit.export", NULL, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "total")), 1);
    http_free(&h);
}

/* --- record forms (api_forms.c) ---------------------------------------------------------------------- */

/* Practice 1 as psy_setup would make it (the fixture's users belong to it). */
static void add_practice_one(void)
{
    psy_store *st = NULL;
    char err[256];
    assert_int_equal(psy_store_open(db_path, &st, err, sizeof err), PSY_OK);
    struct psy_practice p = {.name = "Lakeside Counseling LLC", .npi = "2123456784", .tax_id = "123456789",
                             .address = "100 Main St", .city = "Springfield", .state = "IL", .zip = "627011234",
                             .time_zone = "America/Chicago", .billing_contact = "Pat Doe", .billing_phone = "2175550100"};
    psy_id id;
    assert_int_equal(psy_records_practice_add(st, &p, &id), PSY_OK);
    assert_int_equal(id, 1);
    psy_store_close(st);
}

/* POSTs body and returns the new record's id (201 expected). */
static psy_id created(const struct session *s, const char *path, const char *body)
{
    struct http h;
    call(s, "POST", path, body, &h);
    if (h.status != 201) fprintf(stderr, "POST %s: %ld %s\n", path, h.status, h.body.p ? h.body.p : "");
    assert_int_equal(h.status, 201);
    psy_id id = json_integer_value(json_object_get(h.json, "id"));
    assert_true(id > 0);
    assert_int_equal(json_integer_value(json_object_get(h.json, "version")), 1);
    http_free(&h);
    return id;
}

/* A save with version 1 after someone else's: 409 with the stored record (`current`, at version 2, with
 * their value of member) and the one sent (`yours`, with mine). */
static void assert_stale(const struct session *s, const char *path, const char *member, const char *theirs,
                         const char *mine)
{
    char body[300];
    struct http h;
    snprintf(body, sizeof body, "{\"version\": 1, \"%s\": \"%s\"}", member, theirs);
    assert_int_equal(call(s, "PUT", path, body, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "version")), 2);
    http_free(&h);
    snprintf(body, sizeof body, "{\"version\": 1, \"%s\": \"%s\"}", member, mine);
    call(s, "PUT", path, body, &h);
    assert_error(&h, 409, "conflict", "version");
    json_t *cur = json_object_get(h.json, "current"), *yours = json_object_get(h.json, "yours");
    assert_true(json_is_object(cur) && json_is_object(yours));
    assert_int_equal(json_integer_value(json_object_get(cur, "version")), 2);
    assert_string_equal(json_string_value(json_object_get(cur, member)), theirs);
    assert_int_equal(json_integer_value(json_object_get(yours, "version")), 1);
    assert_string_equal(json_string_value(json_object_get(yours, member)), mine);
    http_free(&h);
    /* nothing of the stale save was written */
    assert_int_equal(call(s, "PUT", path, "{\"version\": 2}", &h), 200);
    assert_string_equal(json_string_value(json_object_get(h.json, member)), theirs);
    http_free(&h);
}

static void test_record_forms(void **state)
{
    (void)state;
    add_practice_one();
    struct session a;
    login_as("admin", &a);
    char path[96], body[600];
    /* clinician: the NPI's check digit (CMS: Luhn over 80840 and the first nine digits; 1234567893 is
     * the standard's example, so ...890 is a typing mistake) */
#define CLIN_FMT "{\"first_name\": \"Ann\", \"last_name\": \"Lee\", \"npi\": \"%s\", \"taxonomy\": \"101YP2500X\","\
                     " \"credential\": \"LCSW\"}"
    snprintf(body, sizeof body, CLIN_FMT, "1234567890");
    call_error(&a, "POST", "/api/clinicians", body, 422, "invalid", "npi");
    snprintf(body, sizeof body, CLIN_FMT, "123456789");
    call_error(&a, "POST", "/api/clinicians", body, 422, "invalid", "npi");
    snprintf(body, sizeof body, CLIN_FMT, "1234567893");
    psy_id clin = created(&a, "/api/clinicians", body);
    /* client: 2001 is not a leap year */
#define CLIENT_FMT "{\"first_name\": \"Jo\", \"last_name\": \"Diaz\", \"birth_date\": \"%s\", \"sex\": \"F\","\
                     " \"diagnoses\": [\"F43.10\"]}"
    snprintf(body, sizeof body, CLIENT_FMT, "2001-02-29");
    call_error(&a, "POST", "/api/clients", body, 422, "invalid", "birth_date");
    snprintf(body, sizeof body, CLIENT_FMT, "3001-01-01");
    call_error(&a, "POST", "/api/clients", body, 422, "invalid", "birth_date");
    snprintf(body, sizeof body, CLIENT_FMT, "2001-02-28");
    psy_id client = created(&a, "/api/clients", body);
    /* payer and policy: a member id of letters, digits and dashes */
    psy_id payer = created(&a, "/api/payer-records",
                           "{\"name\": \"Blue Example\", \"payer_code\": \"BLU01\", \"kind\": \"commercial\","
                           " \"profile\": \"example-commercial\"}");
    snprintf(path, sizeof path, "/api/clients/%lld/policies", (long long)client);
#define POLICY_FMT "{\"payer_id\": %lld, \"member_id\": \"%s\", \"start_date\": \"2025-01-01\", \"copay\": \"$20.00\"}"
    snprintf(body, sizeof body, POLICY_FMT, (long long)payer, "AB 12;");
    call_error(&a, "POST", path, body, 422, "invalid", "member_id");
    snprintf(body, sizeof body, POLICY_FMT, (long long)payer, "");
    call_error(&a, "POST", path, body, 422, "invalid", "member_id");
    snprintf(body, sizeof body, POLICY_FMT, (long long)payer, "AB-12");
    psy_id policy = created(&a, path, body);
    /* treatment plan: the review comes after the start, on a real date */
    snprintf(path, sizeof path, "/api/clients/%lld/plans", (long long)client);
#define PLAN_FMT "{\"clinician_id\": %lld, \"frequency\": \"weekly\", \"start_date\": \"2025-03-01\","\
                     " \"review_date\": \"%s\", \"diagnoses\": [\"F43.10\"], \"problems\": [\"sleep\"],"\
                     " \"goals\": [\"sleeps six hours\"], \"modalities\": [\"individual\"]}"
    snprintf(body, sizeof body, PLAN_FMT, (long long)clin, "2025-02-01");
    call_error(&a, "POST", path, body, 422, "invalid", "review_date");
    snprintf(body, sizeof body, PLAN_FMT, (long long)clin, "2025-06-31");
    call_error(&a, "POST", path, body, 422, "invalid", "review_date");
    snprintf(body, sizeof body, PLAN_FMT, (long long)clin, "2025-06-01");
    psy_id plan = created(&a, path, body);
    /* an edit without the version it was loaded at */
    snprintf(path, sizeof path, "/api/clients/%lld", (long long)client);
    call_error(&a, "PUT", path, "{\"last_name\": \"Diaz\"}", 422, "invalid", "version");
    /* stale versions: 409 with both */
    assert_stale(&a, path, "last_name", "Diaz-Moreno", "Dias");
    snprintf(path, sizeof path, "/api/clinicians/%lld", (long long)clin);
    assert_stale(&a, path, "credential", "LICSW", "LMFT");
    snprintf(path, sizeof path, "/api/policies/%lld", (long long)policy);
    assert_stale(&a, path, "group_number", "G100", "G200");
    snprintf(path, sizeof path, "/api/plans/%lld", (long long)plan);
    assert_stale(&a, path, "frequency", "twice a week", "every other week");
    snprintf(path, sizeof path, "/api/payer-records/%lld", (long long)payer);
    assert_stale(&a, path, "name", "Blue Example PPO", "Blue Example HMO");
#undef CLIN_FMT
#undef CLIENT_FMT
#undef POLICY_FMT
#undef PLAN_FMT
}

/* Issue 14: wrong current passwords on POST /api/me/password are sign-in failures of the account: after
 * the free ones every try waits, the right password too, and a sign-in meanwhile is slowed down as well. */
static void test_password_change_throttled(void **state)
{
    (void)state;
    struct session c;
    login_as("clinician", &c);
    struct http h;
    char v[64], body[200];
    const char *wrong = "{\"current_password\": \"wrong wrong wrong\", \"password\": \"clinician new pw\"}";
    for (int i = 0; i < fast.max_failures_user; i++) call_error(&c, "POST", "/api/me/password", wrong, 403, "wrong_password", "current_password");
    snprintf(body, sizeof body, "{\"current_password\": \"%s\", \"password\": \"clinician new pw\"}", PW);
    call(&c, "POST", "/api/me/password", body, &h); /* the right one, too soon */
    assert_error(&h, 429, "rate_limited", "current_password");
    assert_non_null(header(&h, "Retry-After", v, sizeof v));
    long secs = atol(v);
    assert_true(secs > 0 && secs <= fast.delay_base);
    http_free(&h);
    /* the same account's sign-ins wait too; another user's do not */
    try_login("clinician", PW, &h);
    assert_error(&h, 429, "rate_limited", NULL);
    http_free(&h);
    assert_int_equal(try_login("biller", PW, &h), 200);
    http_free(&h);
    /* the password is unchanged, and once the wait is over the right one changes it */
    sleep((unsigned)secs + 1);
    assert_int_equal(call(&c, "POST", "/api/me/password", body, &h), 204);
    http_free(&h);
    assert_int_equal(db_count("SELECT count(*) FROM audit_event WHERE action = 'me.password_limited'"), 1);
    assert_int_equal(db_count("SELECT count(*) FROM audit_event WHERE action = 'me.password_refused'"),
                     fast.max_failures_user);
}

/* Issue 14: "today" and the audit trail's times are the practice's, not UTC's. Of Pacific/Kiritimati
 * (UTC+14) and Pacific/Pago_Pago (UTC-11), one is always on another date than UTC: the practice takes
 * that one. */
static void test_practice_time_zone(void **state)
{
    (void)state;
    add_practice_one();
    char utc[PSY_DATE_MAX], today[PSY_DATE_MAX];
    const char *zone = "Pacific/Kiritimati", *offset = "+14:00";
    psy_date_today("UTC", utc);
    psy_date_today(zone, today);
    if (!strcmp(today, utc)) {
        zone = "Pacific/Pago_Pago";
        offset = "-11:00";
        psy_date_today(zone, today);
    }
    assert_string_not_equal(today, utc);
    struct session a;
    login_as("admin", &a);
    struct http h;
    char body[120], v[200];
    snprintf(body, sizeof body, "{\"version\": 1, \"time_zone\": \"%s\"}", zone);
    assert_int_equal(call(&a, "PUT", "/api/practice", body, &h), 200);
    http_free(&h);
    /* the CSV download is named after today in the practice's zone */
    assert_int_equal(call(&a, "GET", "/api/audit.csv", NULL, &h), 200);
    assert_non_null(header(&h, "Content-Disposition", v, sizeof v));
    char want[40];
    snprintf(want, sizeof want, "audit-%s.csv", today);
    if (!strstr(v, want)) fail_msg("Content-Disposition: %s, not %s", v, want);
    http_free(&h);
    /* each event's time in the zone, with its offset, beside the UTC one */
    assert_int_equal(call(&a, "GET", "/api/audit?limit=1", NULL, &h), 200);
    assert_string_equal(json_string_value(json_object_get(h.json, "time_zone")), zone);
    json_t *e = json_array_get(json_object_get(h.json, "items"), 0);
    const char *at = json_string_value(json_object_get(e, "at")), *local = json_string_value(json_object_get(e, "at_local"));
    assert_non_null(local);
    assert_int_equal(strlen(local), 25);
    assert_int_equal(strncmp(local, today, 10), 0);
    assert_string_equal(local + 19, offset);
    assert_int_equal(strncmp(at, utc, 10), 0);
    assert_string_equal(at + 19, "Z");
    /* the same minute and second as the UTC time (both zones are whole hours from UTC) */
    assert_int_equal(strncmp(local + 13, at + 13, 6), 0);
    http_free(&h);
}

/* The client ledger over HTTP: balances, a payment posted once under one key, its reversal, the
 * statement PDF, aging, a clinician's view only when the practice allows it, a closed month, the trail. */
static void test_ledger_http(void **state)
{
    (void)state;
    struct rec_fixture f;
    rec_setup(&f);
    struct session lead, biller, admin;
    login_as("lead", &lead);
    login_as("biller", &biller);
    login_as("admin", &admin);
    struct http h;
    char path[128];
    assert_int_equal(call(&biller, "GET", "/api/balances", NULL, &h), 200);
    assert_true(json_array_size(json_object_get(h.json, "clients")) > 0);
    assert_false(json_is_true(json_object_get(h.json, "clinicians_see_balances")));
    /* a client of the lead clinician who owes something */
    psy_store *st = NULL;
    char err[256];
    assert_int_equal(psy_store_open(db_path, &st, err, sizeof err), PSY_OK);
    psy_id *own;
    size_t nown, i;
    assert_int_equal(psy_records_client_ids(st, 1, f.lead, &own, &nown), PSY_OK);
    psy_store_close(st);
    json_t *c;
    f.client = f.stranger = 0;
    json_array_foreach(json_object_get(h.json, "clients"), i, c) {
        psy_id id = json_integer_value(json_object_get(c, "client_id"));
        int mine = 0;
        for (size_t k = 0; k < nown; k++) mine |= own[k] == id;
        if (mine && !f.client && json_integer_value(json_object_get(c, "balance_cents")) > 0) f.client = id;
        if (!mine && !f.stranger) f.stranger = id;
    }
    assert_true(f.stranger > 0);
    free(own);
    assert_true(f.client > 0);
    http_free(&h);
    snprintf(path, sizeof path, "/api/clients/%lld/ledger", (long long)f.client);
    assert_int_equal(call(&biller, "GET", path, NULL, &h), 200);
    long long before = json_integer_value(json_object_get(h.json, "balance_cents"));
    assert_true(before > 0); /* the demo's copays */
    assert_true(json_array_size(json_object_get(h.json, "reasons")) >= 5);
    http_free(&h);
    const char *pay = "{\"kind\": \"payment\", \"amount\": \"25.00\", \"method\": \"check\", \"reference\": \"1042\", "
                      "\"idempotency_key\": \"form-7\"}";
    assert_int_equal(call(&biller, "POST", path, pay, &h), 201);
    assert_int_equal(json_integer_value(json_object_get(h.json, "balance_cents")), before - 2500);
    long long entry = json_integer_value(json_object_get(h.json, "entry"));
    http_free(&h);
    assert_int_equal(call(&biller, "POST", path, pay, &h), 200); /* the form submitted twice */
    assert_true(json_is_true(json_object_get(h.json, "replayed")));
    assert_int_equal(json_integer_value(json_object_get(h.json, "balance_cents")), before - 2500);
    http_free(&h);
    call_error(&biller, "POST", path, "{\"kind\": \"payment\", \"amount\": \"25.00\", \"method\": \"barter\"}", 422,
               "invalid", "method");
    call_error(&biller, "POST", path, "{\"kind\": \"payment\", \"amount\": \"lots\", \"method\": \"cash\"}", 422,
               "invalid", "amount");
    call_error(&lead, "POST", path, pay, 403, "forbidden", NULL);
    snprintf(path, sizeof path, "/api/ledger/%lld/reverse", entry);
    assert_int_equal(call(&biller, "POST", path, "{\"reason\": \"check returned\"}", &h), 201);
    http_free(&h);
    call_error(&biller, "POST", path, "{\"reason\": \"again\"}", 409, "conflict", "entry");
    /* a clinician sees their own client's balance only when the practice allows it */
    snprintf(path, sizeof path, "/api/clients/%lld/ledger", (long long)f.client);
    assert_int_equal(call(&lead, "GET", path, NULL, &h), 200);
    assert_true(json_is_true(json_object_get(h.json, "hidden")));
    assert_null(json_object_get(h.json, "entries"));
    http_free(&h);
    snprintf(path, sizeof path, "/api/clients/%lld/statement?month=2025-03", (long long)f.client);
    call_error(&lead, "GET", path, NULL, 403, "forbidden", NULL);
    snprintf(path, sizeof path, "/api/clients/%lld/ledger", (long long)f.client);
    call_error(&biller, "PUT", "/api/ledger/settings", "{\"clinicians_see_balances\": true}", 403, "forbidden", NULL);
    assert_int_equal(call(&admin, "PUT", "/api/ledger/settings", "{\"clinicians_see_balances\": true}", &h), 200);
    http_free(&h);
    assert_int_equal(call(&lead, "GET", path, NULL, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "balance_cents")), before);
    http_free(&h);
    snprintf(path, sizeof path, "/api/clients/%lld/ledger", (long long)f.stranger);
    call_error(&lead, "GET", path, NULL, 404, "not_found", NULL);
    /* the statement of the demo's last month */
    snprintf(path, sizeof path, "/api/clients/%lld/statement?month=2025-03", (long long)f.client);
    assert_int_equal(call(&biller, "GET", path, NULL, &h), 200);
    assert_true(h.body.n > 4 && !memcmp(h.body.p, "%PDF", 4));
    http_free(&h);
    snprintf(path, sizeof path, "/api/clients/%lld/statement?month=2025-13", (long long)f.client);
    call_error(&biller, "GET", path, NULL, 422, "invalid", "month");
    /* aging: the patients' row last, the totals add up */
    assert_int_equal(call(&biller, "GET", "/api/reports/aging?as_of=2025-06-30", NULL, &h), 200);
    json_t *rows = json_object_get(h.json, "rows");
    assert_true(json_is_true(json_object_get(json_array_get(rows, json_array_size(rows) - 1), "patient")));
    assert_int_equal(json_integer_value(json_object_get(h.json, "total_cents")),
                     json_integer_value(json_object_get(h.json, "payer_total_cents")) +
                         json_integer_value(json_object_get(h.json, "patient_total_cents")));
    assert_true(json_integer_value(json_object_get(h.json, "patient_total_cents")) > 0);
    http_free(&h);
    call_error(&biller, "GET", "/api/reports/aging?as_of=June", NULL, 400, "invalid", "as_of");
    /* a closed month refuses a payment dated in it */
    assert_int_equal(call(&biller, "POST", "/api/ledger/close", "{\"month\": \"2025-03\"}", &h), 200);
    http_free(&h);
    snprintf(path, sizeof path, "/api/clients/%lld/ledger", (long long)f.client);
    call_error(&biller, "POST", path,
               "{\"kind\": \"payment\", \"amount\": \"5\", \"method\": \"cash\", \"date\": \"2025-03-15\"}", 409,
               "conflict", "date");
    /* the practice's reasons: a new one is offered to the payment form, one put out of use is not */
    assert_int_equal(call(&biller, "POST", "/api/ledger/reasons",
                          "{\"code\": \"sliding\", \"words\": \"Sliding-scale discount\"}", &h), 200);
    http_free(&h);
    assert_int_equal(call(&admin, "POST", "/api/ledger/reasons",
                          "{\"code\": \"courtesy\", \"words\": \"Professional courtesy\", \"active\": false}", &h), 200);
    http_free(&h);
    call_error(&biller, "POST", "/api/ledger/reasons", "{\"code\": \"\", \"words\": \"x\"}", 422, "invalid", "code");
    call_error(&biller, "POST", "/api/ledger/reasons", "{\"code\": \"x\", \"words\": \"\"}", 422, "invalid", "words");
    call_error(&biller, "POST", "/api/ledger/reasons", "{\"code\": \"x\", \"words\": \"y\", \"active\": 1}", 422,
               "invalid", "active");
    call_error(&lead, "POST", "/api/ledger/reasons", "{\"code\": \"x\", \"words\": \"y\"}", 403, "forbidden", NULL);
    assert_int_equal(call(&biller, "GET", "/api/ledger/reasons", NULL, &h), 200);
    {
        int sliding = 0, courtesy_off = 0;
        json_array_foreach(json_object_get(h.json, "reasons"), i, c) {
            const char *code = json_string_value(json_object_get(c, "code"));
            if (!strcmp(code, "sliding")) sliding = json_is_true(json_object_get(c, "active"));
            if (!strcmp(code, "courtesy")) courtesy_off = json_is_false(json_object_get(c, "active"));
        }
        assert_true(sliding && courtesy_off);
    }
    http_free(&h);
    assert_int_equal(call(&biller, "GET", path, NULL, &h), 200);
    {
        int sliding = 0, courtesy = 0;
        json_array_foreach(json_object_get(h.json, "reasons"), i, c) {
            sliding |= !strcmp(json_string_value(json_object_get(c, "code")), "sliding");
            courtesy |= !strcmp(json_string_value(json_object_get(c, "code")), "courtesy");
        }
        assert_true(sliding && !courtesy);
    }
    http_free(&h);
    assert_int_equal(call(&biller, "POST", path,
                          "{\"kind\": \"adjustment\", \"amount\": \"1.00\", \"reason\": \"sliding\"}", &h), 201);
    http_free(&h);
    /* the client's self-pay fee: set, shown with the ledger, refused below zero, the billing office's only */
    char fee_path[96];
    snprintf(fee_path, sizeof fee_path, "/api/clients/%lld/fee", (long long)f.client);
    assert_int_equal(call(&biller, "PUT", fee_path, "{\"amount\": \"1,060.00\"}", &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "fee_cents")), 106000);
    http_free(&h);
    assert_int_equal(call(&biller, "GET", path, NULL, &h), 200);
    assert_int_equal(json_integer_value(json_object_get(h.json, "fee_cents")), 106000);
    assert_string_equal(json_string_value(json_object_get(h.json, "fee")), "$1,060.00");
    http_free(&h);
    call_error(&biller, "PUT", fee_path, "{\"amount\": \"-5.00\"}", 422, "invalid", "amount");
    call_error(&biller, "PUT", fee_path, "{\"amount\": \"cheap\"}", 422, "invalid", "amount");
    call_error(&lead, "PUT", fee_path, "{\"amount\": \"5.00\"}", 403, "forbidden", NULL);
    call_error(&biller, "PUT", "/api/clients/999999/fee", "{\"amount\": \"5.00\"}", 404, "not_found", NULL);
    assert_int_equal(call(&admin, "PUT", fee_path, "{\"amount\": \"\"}", &h), 200); /* none */
    assert_int_equal(json_integer_value(json_object_get(h.json, "fee_cents")), 0);
    http_free(&h);
    /* every read and write is on the trail */
    assert_int_equal(call(&admin, "GET", "/api/audit?limit=200", NULL, &h), 200);
    char *text = json_dumps(h.json, 0);
    for (const char *const *a = (const char *const[]){"ledger.payment", "ledger.reverse", "ledger.read", "ledger.balances",
                                                      "statement.read", "report.aging", "ledger.close", "ledger.settings",
                                                      "ledger.reason", "ledger.reasons", "ledger.fee", NULL};
         *a; a++)
        if (!strstr(text, *a)) fail_msg("no %s on the audit trail", *a);
    free(text);
    http_free(&h);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_health_and_static), T(test_login), T(test_rate_limit), T(test_csrf_and_logout),
        T(test_role_matrix), T(test_login_no_enumeration), T(test_trusted_proxy), T(test_users), T(test_two_factor), T(test_errors), T(test_body_cap), T(test_code_page), T(test_nlm_search), T(test_search), T(test_code_session),
        T(test_payers), T(test_era_read), T(test_audit), T(test_clients_and_groups), T(test_session_documentation), T(test_visit_documentation), T(test_reports),
        T(test_claims), T(test_sessions_list), T(test_import_clients_http), T(test_ledger_http),
        T(test_access_log), T(test_concurrent_requests), T(test_tls), T(test_bad_config),
        T(test_canonical_paths), T(test_own_answers), T(test_slow_clients), T(test_audit_trail),
        T(test_record_forms), T(test_password_change_throttled),
        T(test_practice_time_zone),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
