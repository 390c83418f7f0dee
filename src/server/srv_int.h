/*
 * srv_int.h -- declarations shared by the files of the web server (src/server/) and nowhere else.
 *
 * The server uses the library's public API only; this header adds the request record that handlers
 * work on, the route table entry, and the response helpers. A request's life: srv_main.c reads the
 * headers and the capped body, srv_route.c matches a route, authenticates and authorises it, the
 * handler (api_*.c) fills in the response, srv_main.c sends it and writes the access-log line.
 */
#ifndef PSY_SRV_INT_H
#define PSY_SRV_INT_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <psyclaim/psyclaim.h>
#include <psyclaim/psy_server.h>
#include <psyclaim/psy_templates.h>
#include <time.h>

/* srv_mhd.c: libmicrohttpd is loaded when a server starts, not linked (with it come GnuTLS and its
 * dozen libraries, whose loading every other command of the program would pay at each start). The
 * server's files call these functions through pointers of their own declared types; the macros turn
 * each call into a call through its pointer. srv_mhd_load fills them in (once; safe to call again)
 * and says why it could not. MHD_queue_response keeps its name: srv_main.c defines it over the
 * library's (the program exports it, so the library's own calls reach it too), and
 * srv_MHD_queue_response is the library's. */
#define SRV_MHD_FUNCS(X)                                                                                     \
    X(MHD_add_response_header) X(MHD_create_response_from_buffer) X(MHD_destroy_response)                    \
    X(MHD_get_connection_info) X(MHD_get_daemon_info) X(MHD_get_reason_phrase_for) X(MHD_get_response_header) \
    X(MHD_is_feature_supported) X(MHD_lookup_connection_value) X(MHD_queue_response) X(MHD_quiesce_daemon)    \
    X(MHD_start_daemon) X(MHD_stop_daemon)
#define SRV_MHD_POINTER(f) extern __typeof__(f) *srv_##f;
SRV_MHD_FUNCS(SRV_MHD_POINTER)
#undef SRV_MHD_POINTER
int srv_mhd_load(char *err, size_t errlen);
#define MHD_add_response_header srv_MHD_add_response_header
#define MHD_create_response_from_buffer srv_MHD_create_response_from_buffer
#define MHD_destroy_response srv_MHD_destroy_response
#define MHD_get_connection_info srv_MHD_get_connection_info
#define MHD_get_daemon_info srv_MHD_get_daemon_info
#define MHD_get_reason_phrase_for srv_MHD_get_reason_phrase_for
#define MHD_get_response_header srv_MHD_get_response_header
#define MHD_is_feature_supported srv_MHD_is_feature_supported
#define MHD_lookup_connection_value srv_MHD_lookup_connection_value
#define MHD_quiesce_daemon srv_MHD_quiesce_daemon
#define MHD_start_daemon srv_MHD_start_daemon
#define MHD_stop_daemon srv_MHD_stop_daemon

#define SRV_SESSION_COOKIE "psy_session"
#define SRV_MAX_PARAMS 4
#define SRV_PARAM_MAX 128 /* longest path parameter; longer ones match no route */
#define SRV_MAX_HEADERS 4

struct psy_server {
    struct MHD_Daemon *daemon;
    struct psy_auth_policy policy;
    FILE *access_log;
    size_t max_body;
    unsigned port;
    int tls;
    char *cert, *key; /* PEM texts, kept while the daemon runs */
    /* a pool of store handles: one thread uses a handle at a time */
    char *db_uri;
    pthread_mutex_t pool_mu;
    psy_store **pool;
    size_t npool, pool_cap;
    int in_flight; /* requests whole and not yet answered (atomic): what a stop waits for */
    psy_coder *coder; /* the coding engine's tables and payer profiles, read once at start */
    psy_search *index; /* the catalog's search index, built once at start; read-only, shared */
    char (*proxies)[PSY_IP_MAX]; /* trusted proxies, in inet_ntop's form */
    size_t nproxies;
    char *note_templates; /* GET /api/note-templates: {"templates": [...]}, made once at start */
    /* the checkpointer: copies the write-ahead log into the database file every SRV_CHECKPOINT_MS,
     * so that no request's commit does it (and its fsync) before answering */
    pthread_t ckpt;
    int ckpt_running, ckpt_stop;
    pthread_mutex_t ckpt_mu;
    pthread_cond_t ckpt_cv;
};
#define SRV_CHECKPOINT_MS 200

struct srv_req {
    psy_server *srv;
    struct MHD_Connection *conn;
    const char *method; /* as sent; HEAD matches GET routes */
    const char *path;   /* decoded path without the query */
    const char *route;  /* the route pattern or asset for the access log, never the raw path */
    char ip[PSY_IP_MAX];
    struct timespec t0;
    /* body, capped at srv->max_body */
    char *body;
    size_t body_len, body_cap;
    int body_too_big;
    int counted; /* whole and being answered: the server's stop waits for it (psy_server_stop) */
    /* set by the router */
    char param_name[SRV_MAX_PARAMS][16];
    char param[SRV_MAX_PARAMS][SRV_PARAM_MAX];
    size_t nparams;
    psy_store *st; /* from the pool while the request runs */
    int signed_in;
    int audited;      /* the handler wrote the request's audit row (api_audit_rec) */
    int noncanonical; /* the raw path had a percent escape or an empty, "." or ".." segment: 404 */
    struct psy_auth_session session;
    /* the response */
    unsigned status;
    json_t *json;           /* body as JSON, or NULL */
    const void *raw;        /* or a static body (embedded asset) */
    size_t raw_len;
    const char *raw_type;
    void *owned;            /* a body the request owns (raw points into it); freed with the request */
    const char *etag;
    char hdr_name[SRV_MAX_HEADERS][32];
    char hdr_value[SRV_MAX_HEADERS][200];
    size_t nhdr;
};

typedef void (*srv_handler)(struct srv_req *r);

struct srv_route {
    const char *method;
    const char *pattern; /* "/api/codes/:system/:code" */
    srv_handler handler;
    int public_;         /* 1: no session needed (health, login) */
    psy_perm perm;       /* what a signed-in user needs (checked with psy_auth_scope) */
    psy_scope min_scope; /* PSY_SCOPE_PRACTICE: "own" is not enough (the answer spans the practice) */
};

/* srv_route.c: matches, authenticates, authorises and runs one request. */
void srv_dispatch(struct srv_req *r);
/* The value of a path parameter (":code" -> "code"); "" when the route has none by that name. */
const char *srv_param(const struct srv_req *r, const char *name);

/* srv_json.c: responses. Each replaces any response set before. */
void srv_reply_json(struct srv_req *r, unsigned status, json_t *body); /* steals body */
void srv_reply_empty(struct srv_req *r, unsigned status);
/* {"error": {"code", "message", "field"}}; field NULL -> null. */
void srv_reply_error(struct srv_req *r, unsigned status, const char *code, const char *field,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The error for a library failure: status from a table, message from psy_strerror (never the store's
 * message, which may quote data). */
void srv_reply_status(struct srv_req *r, psy_status rc, const char *field);
void srv_add_header(struct srv_req *r, const char *name, const char *value);
/* A file to download: data (malloc'd, taken over) as type, with Content-Disposition naming filename. */
void srv_reply_download(struct srv_req *r, const char *type, const char *filename, char *data, size_t len);
/* 1 when the request says its body is application/json; else replies 415 and returns 0. */
int srv_body_is_json(struct srv_req *r);
/* The request body as a JSON object; on failure replies 415/400 and returns NULL. */
json_t *srv_body_object(struct srv_req *r);
/* Replies with JSON text made by the library (text is not freed); 500 when it does not parse. */
void srv_reply_json_text(struct srv_req *r, unsigned status, const char *text, size_t len);
/* JSON written straight into a growing buffer, for the answers that list many rows (building a jansson
 * tree and dumping it costs more than the query). Text is escaped as JSON requires; a byte that is
 * not part of valid UTF-8 is written as U+FFFD. */
struct srv_jw {
    char *p;
    size_t n, cap;
};
void srv_jw_raw(struct srv_jw *w, const char *text);
void srv_jw_str(struct srv_jw *w, const char *s);
void srv_jw_int(struct srv_jw *w, long long v);
/* "name": (with the comma before it unless first). */
void srv_jw_key(struct srv_jw *w, const char *name, int first);
/* Replies with w's text as application/json (taken over: w is emptied). */
void srv_reply_jw(struct srv_req *r, unsigned status, struct srv_jw *w);
/* A query-string argument, or NULL. */
const char *srv_query(const struct srv_req *r, const char *name);
/* Parses a query argument as a whole number within [min, max]; absent -> def. Replies 400 naming the
 * field and returns -1 when it is not one. */
int srv_query_int(struct srv_req *r, const char *name, long long min, long long max, long long def,
                  long long *out);
/* Sets the session cookie (token "" clears it). */
void srv_set_session_cookie(struct srv_req *r, const char *token, long max_age);
/* The user as JSON: id, practice_id, username, role, clinician_id. */
json_t *srv_user_json(const struct psy_user *u);

/* srv_main.c: the store pool. */
psy_store *srv_store_get(psy_server *srv);
void srv_store_put(psy_server *srv, psy_store *st);

/* srv_static.c: an embedded web/ asset for GET/HEAD of a non-API path; replies 404 when none. */
void srv_static(struct srv_req *r);

/* api_*.c: the handlers. */
void api_health(struct srv_req *r);
void api_ready(struct srv_req *r);
void api_login(struct srv_req *r);
void api_logout(struct srv_req *r);
void api_me(struct srv_req *r);
void api_audit(struct srv_req *r);
void api_me_password(struct srv_req *r);
void api_me_totp_begin(struct srv_req *r);
void api_me_totp_confirm(struct srv_req *r);
void api_users(struct srv_req *r);
void api_user_add(struct srv_req *r);
void api_users_two_factor(struct srv_req *r);
void api_user_patch(struct srv_req *r);
void api_user_password(struct srv_req *r);
void api_user_totp_reset(struct srv_req *r);
void api_audit_csv(struct srv_req *r);
void api_code(struct srv_req *r);
void api_code_session(struct srv_req *r);
void api_payers(struct srv_req *r);
void api_era_read(struct srv_req *r);
void api_era_post(struct srv_req *r);
void api_era_files(struct srv_req *r);
void api_incoming_read(struct srv_req *r);
void api_incoming_post(struct srv_req *r);
void api_suspense_apply(struct srv_req *r);
void api_suspense_close(struct srv_req *r);
void api_claim_rebuild(struct srv_req *r);
void api_claims_batches(struct srv_req *r);
void api_claims_batch_download(struct srv_req *r);
void api_import_clients(struct srv_req *r);
void api_claims(struct srv_req *r);
void api_claim(struct srv_req *r);
void api_claim_scrub(struct srv_req *r);
void api_claim_correct(struct srv_req *r);
void api_claim_void(struct srv_req *r);
void api_claims_timely(struct srv_req *r);
void api_claim_cms1500(struct srv_req *r);
void api_claims_build(struct srv_req *r);
void api_claims_scrub(struct srv_req *r);
void api_claims_export(struct srv_req *r);
void api_superbill(struct srv_req *r);
void api_suspense(struct srv_req *r);
void api_report_revenue(struct srv_req *r);
/* api_ledger.c: the client ledger, balances, statements, aging, month close */
void api_client_ledger(struct srv_req *r);
void api_client_ledger_post(struct srv_req *r);
void api_ledger_reverse(struct srv_req *r);
void api_client_statement(struct srv_req *r);
void api_balances(struct srv_req *r);
void api_report_aging(struct srv_req *r);
void api_ledger_close(struct srv_req *r);
void api_ledger_settings(struct srv_req *r);
void api_ledger_reasons(struct srv_req *r);
void api_ledger_reason_set(struct srv_req *r);
void api_client_fee(struct srv_req *r);
void api_clients(struct srv_req *r);
void api_client_eligibility(struct srv_req *r);
void api_client_eligibility_request(struct srv_req *r);
void api_eligibility_post(struct srv_req *r);
void api_sessions(struct srv_req *r);
void api_client(struct srv_req *r);
void api_groups(struct srv_req *r);
void api_group(struct srv_req *r);
void api_group_session_add(struct srv_req *r);
void api_client_session_add(struct srv_req *r);
void api_note_templates(struct srv_req *r);
/* {id, name, time_zone} of a practice, for GET /api/me (null when it cannot be read). */
json_t *api_practice_brief(psy_store *st, psy_id practice);
void api_session_get(struct srv_req *r);
void api_session_put(struct srv_req *r);
void api_session_check(struct srv_req *r);
void api_session_sign(struct srv_req *r);
void api_note_addendum(struct srv_req *r);
void api_report_attendance(struct srv_req *r);
void api_report_economics(struct srv_req *r);
void api_search(struct srv_req *r);
void api_nlm_icd10cm(struct srv_req *r);
void api_nlm_hcpcs(struct srv_req *r);
/* api_setup.c, api_forms.c: the first run and the record forms */
void api_setup_get(struct srv_req *r);
void api_setup_post(struct srv_req *r);
void api_practice_get(struct srv_req *r);
void api_practice_put(struct srv_req *r);
void api_clinicians(struct srv_req *r);
void api_clinician_post(struct srv_req *r);
void api_clinician_put(struct srv_req *r);
void api_payer_records(struct srv_req *r);
void api_payer_post(struct srv_req *r);
void api_payer_put(struct srv_req *r);
void api_client_post(struct srv_req *r);
void api_client_put(struct srv_req *r);
void api_policy_post(struct srv_req *r);
void api_policy_get(struct srv_req *r);
void api_policy_put(struct srv_req *r);
void api_auth_post(struct srv_req *r);
void api_auth_get(struct srv_req *r);
void api_auth_put(struct srv_req *r);
void api_plan_post(struct srv_req *r);
void api_plan_get(struct srv_req *r);
void api_plan_put(struct srv_req *r);
void api_plan_sign(struct srv_req *r);
void api_group_post(struct srv_req *r);
void api_group_put(struct srv_req *r);
void api_group_roster(struct srv_req *r);

#endif
