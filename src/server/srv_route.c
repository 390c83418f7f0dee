/*
 * srv_route.c -- the route table of the JSON API and the one path every request takes through it:
 * match (404, 405), borrow a store handle, authenticate by session cookie (401), check the CSRF token
 * on state changes (403), check the role against the permission matrix (403), run the handler.
 *
 * Every route names the permission it needs, and the scope when "own" records are not enough;
 * psy_auth_scope decides, so the role rules live in one table (src/lib/auth.c). A route pattern is a path whose ":name" segments match any one non-empty
 * segment; the access log shows the pattern, so ids in paths never reach it.
 */
#include <stdio.h>
#include <string.h>
#include "srv_int.h"

/* The code reference and its search are public: codes and their explanations are not patient data, and a public
 * reference lets other programs (and the load benchmark) read it without an account. */
static const struct srv_route routes[] = {
    {"GET", "/api/health", api_health, 1, PSY_PERM_SESSION, PSY_SCOPE_NONE},
    {"GET", "/api/ready", api_ready, 1, PSY_PERM_SESSION, PSY_SCOPE_NONE},
    {"POST", "/api/login", api_login, 1, PSY_PERM_SESSION, PSY_SCOPE_NONE},
    {"POST", "/api/logout", api_logout, 0, PSY_PERM_SESSION, PSY_SCOPE_NONE},
    {"GET", "/api/me", api_me, 0, PSY_PERM_SESSION, PSY_SCOPE_NONE},
    /* one's own password and second factor; a session that must enrol may do only these */
    {"POST", "/api/me/password", api_me_password, 0, PSY_PERM_SESSION, PSY_SCOPE_NONE},
    {"POST", "/api/me/totp", api_me_totp_begin, 0, PSY_PERM_SESSION, PSY_SCOPE_NONE},
    {"POST", "/api/me/totp/confirm", api_me_totp_confirm, 0, PSY_PERM_SESSION, PSY_SCOPE_NONE},
    /* the practice's users (admins) */
    {"GET", "/api/users", api_users, 0, PSY_PERM_USERS_ADMIN, PSY_SCOPE_PRACTICE},
    {"POST", "/api/users", api_user_add, 0, PSY_PERM_USERS_ADMIN, PSY_SCOPE_PRACTICE},
    {"PUT", "/api/users/two-factor", api_users_two_factor, 0, PSY_PERM_USERS_ADMIN, PSY_SCOPE_PRACTICE},
    {"PATCH", "/api/users/:id", api_user_patch, 0, PSY_PERM_USERS_ADMIN, PSY_SCOPE_PRACTICE},
    {"POST", "/api/users/:id/password", api_user_password, 0, PSY_PERM_USERS_ADMIN, PSY_SCOPE_PRACTICE},
    {"POST", "/api/users/:id/totp-reset", api_user_totp_reset, 0, PSY_PERM_USERS_ADMIN, PSY_SCOPE_PRACTICE},
    {"GET", "/api/codes/:system/:code", api_code, 1, PSY_PERM_CODES_READ, PSY_SCOPE_NONE},
    {"GET", "/api/search", api_search, 1, PSY_PERM_CODES_READ, PSY_SCOPE_NONE},
    {"GET", "/api/icd10cm/v3/search", api_nlm_icd10cm, 1, PSY_PERM_CODES_READ, PSY_SCOPE_NONE},
    {"GET", "/api/hcpcs/v3/search", api_nlm_hcpcs, 1, PSY_PERM_CODES_READ, PSY_SCOPE_NONE},
    {"POST", "/api/code-session", api_code_session, 0, PSY_PERM_CODES_READ, PSY_SCOPE_NONE},
    {"GET", "/api/payers", api_payers, 0, PSY_PERM_CODES_READ, PSY_SCOPE_NONE},
    /* a remittance pays claims of every clinician of the practice: "own" claims are not enough */
    {"POST", "/api/era/read", api_era_read, 0, PSY_PERM_CLAIMS_READ, PSY_SCOPE_PRACTICE},
    {"POST", "/api/era/post", api_era_post, 0, PSY_PERM_CLAIMS_WRITE, PSY_SCOPE_PRACTICE},
    {"GET", "/api/era/files", api_era_files, 0, PSY_PERM_CLAIMS_READ, PSY_SCOPE_PRACTICE},
    {"POST", "/api/incoming/read", api_incoming_read, 0, PSY_PERM_CLAIMS_READ, PSY_SCOPE_PRACTICE},
    {"POST", "/api/incoming/post", api_incoming_post, 0, PSY_PERM_CLAIMS_WRITE, PSY_SCOPE_PRACTICE},
    /* clients from another system's CSV: writes clients of the whole practice */
    {"POST", "/api/import/clients", api_import_clients, 0, PSY_PERM_CLIENTS_IMPORT, PSY_SCOPE_PRACTICE},
    {"GET", "/api/suspense", api_suspense, 0, PSY_PERM_CLAIMS_READ, PSY_SCOPE_PRACTICE},
    {"POST", "/api/suspense/:id/apply", api_suspense_apply, 0, PSY_PERM_CLAIMS_WRITE, PSY_SCOPE_PRACTICE},
    {"POST", "/api/suspense/:id/close", api_suspense_close, 0, PSY_PERM_CLAIMS_WRITE, PSY_SCOPE_PRACTICE},
    /* claims: a clinician reads the claims of their own clients (applied by the handlers); building,
     * scrubbing and sending span the practice */
    {"GET", "/api/claims", api_claims, 0, PSY_PERM_CLAIMS_READ, PSY_SCOPE_NONE},
    {"POST", "/api/claims/build", api_claims_build, 0, PSY_PERM_CLAIMS_WRITE, PSY_SCOPE_PRACTICE},
    {"POST", "/api/claims/scrub", api_claims_scrub, 0, PSY_PERM_CLAIMS_WRITE, PSY_SCOPE_PRACTICE},
    {"POST", "/api/claims/export", api_claims_export, 0, PSY_PERM_CLAIMS_WRITE, PSY_SCOPE_PRACTICE},
    /* batches are the practice's files sent to payers: they hold every clinician's claims */
    {"GET", "/api/claims/batches", api_claims_batches, 0, PSY_PERM_CLAIMS_READ, PSY_SCOPE_PRACTICE},
    {"GET", "/api/claims/batches/:id/download", api_claims_batch_download, 0, PSY_PERM_CLAIMS_READ, PSY_SCOPE_PRACTICE},
    {"GET", "/api/claims/timely", api_claims_timely, 0, PSY_PERM_CLAIMS_READ, PSY_SCOPE_NONE},
    {"GET", "/api/claims/:id", api_claim, 0, PSY_PERM_CLAIMS_READ, PSY_SCOPE_NONE},
    {"POST", "/api/claims/:id/correct", api_claim_correct, 0, PSY_PERM_CLAIMS_WRITE, PSY_SCOPE_PRACTICE},
    {"POST", "/api/claims/:id/void", api_claim_void, 0, PSY_PERM_CLAIMS_WRITE, PSY_SCOPE_PRACTICE},
    {"POST", "/api/claims/:id/scrub", api_claim_scrub, 0, PSY_PERM_CLAIMS_WRITE, PSY_SCOPE_PRACTICE},
    {"POST", "/api/claims/:id/rebuild", api_claim_rebuild, 0, PSY_PERM_CLAIMS_WRITE, PSY_SCOPE_PRACTICE},
    {"GET", "/api/claims/:id/cms1500", api_claim_cms1500, 0, PSY_PERM_CLAIMS_READ, PSY_SCOPE_NONE},
    {"GET", "/api/superbill", api_superbill, 0, PSY_PERM_CLAIMS_READ, PSY_SCOPE_NONE},
    /* records: a clinician's "own" scope is applied by the handlers (their clients and groups only) */
    {"GET", "/api/clients", api_clients, 0, PSY_PERM_CLIENTS_READ, PSY_SCOPE_NONE},
    {"GET", "/api/clients/:id", api_client, 0, PSY_PERM_CLIENTS_READ, PSY_SCOPE_NONE},
    /* eligibility: answers read under the clinician's own scope; asking and keeping write for the practice */
    {"GET", "/api/clients/:id/eligibility", api_client_eligibility, 0, PSY_PERM_CLIENTS_READ, PSY_SCOPE_NONE},
    {"POST", "/api/clients/:id/eligibility/request", api_client_eligibility_request, 0, PSY_PERM_INSURANCE_WRITE,
     PSY_SCOPE_PRACTICE},
    {"POST", "/api/eligibility/post", api_eligibility_post, 0, PSY_PERM_INSURANCE_WRITE, PSY_SCOPE_PRACTICE},
    {"GET", "/api/groups", api_groups, 0, PSY_PERM_CLIENTS_READ, PSY_SCOPE_NONE},
    {"GET", "/api/groups/:id", api_group, 0, PSY_PERM_CLIENTS_READ, PSY_SCOPE_NONE},
    {"POST", "/api/groups/:id/sessions", api_group_session_add, 0, PSY_PERM_NOTES_WRITE, PSY_SCOPE_NONE},
    {"POST", "/api/clients/:id/sessions", api_client_session_add, 0, PSY_PERM_NOTES_WRITE, PSY_SCOPE_NONE},
    {"GET", "/api/note-templates", api_note_templates, 0, PSY_PERM_SESSION, PSY_SCOPE_NONE},
    {"GET", "/api/sessions", api_sessions, 0, PSY_PERM_CLIENTS_READ, PSY_SCOPE_NONE},
    {"GET", "/api/sessions/:id", api_session_get, 0, PSY_PERM_CLIENTS_READ, PSY_SCOPE_NONE},
    {"PUT", "/api/sessions/:id", api_session_put, 0, PSY_PERM_NOTES_WRITE, PSY_SCOPE_NONE},
    {"POST", "/api/sessions/:id/check", api_session_check, 0, PSY_PERM_NOTES_READ, PSY_SCOPE_NONE},
    {"POST", "/api/sessions/:id/sign", api_session_sign, 0, PSY_PERM_NOTES_WRITE, PSY_SCOPE_NONE},
    {"POST", "/api/notes/:id/addendum", api_note_addendum, 0, PSY_PERM_NOTES_WRITE, PSY_SCOPE_NONE},
    {"GET", "/api/reports/attendance", api_report_attendance, 0, PSY_PERM_REPORTS_READ, PSY_SCOPE_NONE},
    {"GET", "/api/reports/group-economics", api_report_economics, 0, PSY_PERM_REPORTS_READ, PSY_SCOPE_NONE},
    /* revenue is the practice's money across every clinician's claims */
    {"GET", "/api/reports/revenue", api_report_revenue, 0, PSY_PERM_CLAIMS_READ, PSY_SCOPE_PRACTICE},
    /* the client ledger (api_ledger.c): a clinician reads their own clients' balances when the practice
     * allows it (the handlers decide); recording money, the balances list, aging and closing a month are
     * the billing office's */
    {"GET", "/api/clients/:id/ledger", api_client_ledger, 0, PSY_PERM_CLAIMS_READ, PSY_SCOPE_NONE},
    {"POST", "/api/clients/:id/ledger", api_client_ledger_post, 0, PSY_PERM_CLAIMS_WRITE, PSY_SCOPE_PRACTICE},
    {"GET", "/api/clients/:id/statement", api_client_statement, 0, PSY_PERM_CLAIMS_READ, PSY_SCOPE_NONE},
    {"POST", "/api/ledger/:id/reverse", api_ledger_reverse, 0, PSY_PERM_CLAIMS_WRITE, PSY_SCOPE_PRACTICE},
    {"POST", "/api/ledger/close", api_ledger_close, 0, PSY_PERM_CLAIMS_WRITE, PSY_SCOPE_PRACTICE},
    {"PUT", "/api/ledger/settings", api_ledger_settings, 0, PSY_PERM_PRACTICE_WRITE, PSY_SCOPE_PRACTICE},
    {"GET", "/api/ledger/reasons", api_ledger_reasons, 0, PSY_PERM_CLAIMS_WRITE, PSY_SCOPE_PRACTICE},
    {"POST", "/api/ledger/reasons", api_ledger_reason_set, 0, PSY_PERM_CLAIMS_WRITE, PSY_SCOPE_PRACTICE},
    {"PUT", "/api/clients/:id/fee", api_client_fee, 0, PSY_PERM_CLAIMS_WRITE, PSY_SCOPE_PRACTICE},
    {"GET", "/api/balances", api_balances, 0, PSY_PERM_CLAIMS_READ, PSY_SCOPE_PRACTICE},
    {"GET", "/api/reports/aging", api_report_aging, 0, PSY_PERM_CLAIMS_READ, PSY_SCOPE_PRACTICE},
    {"GET", "/api/audit", api_audit, 0, PSY_PERM_AUDIT_READ, PSY_SCOPE_NONE},
    {"GET", "/api/audit.csv", api_audit_csv, 0, PSY_PERM_AUDIT_READ, PSY_SCOPE_NONE},
    /* the first run: open only while the database has no practice (the handlers refuse afterwards) */
    {"GET", "/api/setup", api_setup_get, 1, PSY_PERM_SESSION, PSY_SCOPE_NONE},
    {"POST", "/api/setup", api_setup_post, 1, PSY_PERM_SESSION, PSY_SCOPE_NONE},
    /* record forms (api_forms.c): a clinician's "own" scope is applied by the handlers */
    {"GET", "/api/practice", api_practice_get, 0, PSY_PERM_SESSION, PSY_SCOPE_NONE},
    {"PUT", "/api/practice", api_practice_put, 0, PSY_PERM_PRACTICE_WRITE, PSY_SCOPE_PRACTICE},
    {"GET", "/api/clinicians", api_clinicians, 0, PSY_PERM_CLIENTS_READ, PSY_SCOPE_NONE},
    {"POST", "/api/clinicians", api_clinician_post, 0, PSY_PERM_PRACTICE_WRITE, PSY_SCOPE_PRACTICE},
    {"PUT", "/api/clinicians/:id", api_clinician_put, 0, PSY_PERM_PRACTICE_WRITE, PSY_SCOPE_PRACTICE},
    {"GET", "/api/payer-records", api_payer_records, 0, PSY_PERM_CLIENTS_READ, PSY_SCOPE_NONE},
    {"POST", "/api/payer-records", api_payer_post, 0, PSY_PERM_INSURANCE_WRITE, PSY_SCOPE_PRACTICE},
    {"PUT", "/api/payer-records/:id", api_payer_put, 0, PSY_PERM_INSURANCE_WRITE, PSY_SCOPE_PRACTICE},
    {"POST", "/api/clients", api_client_post, 0, PSY_PERM_CLIENTS_WRITE, PSY_SCOPE_PRACTICE},
    {"PUT", "/api/clients/:id", api_client_put, 0, PSY_PERM_CLIENTS_WRITE, PSY_SCOPE_NONE},
    {"POST", "/api/clients/:id/policies", api_policy_post, 0, PSY_PERM_INSURANCE_WRITE, PSY_SCOPE_PRACTICE},
    {"GET", "/api/policies/:id", api_policy_get, 0, PSY_PERM_CLIENTS_READ, PSY_SCOPE_NONE},
    {"PUT", "/api/policies/:id", api_policy_put, 0, PSY_PERM_INSURANCE_WRITE, PSY_SCOPE_PRACTICE},
    {"POST", "/api/clients/:id/authorisations", api_auth_post, 0, PSY_PERM_INSURANCE_WRITE, PSY_SCOPE_PRACTICE},
    {"GET", "/api/authorisations/:id", api_auth_get, 0, PSY_PERM_CLIENTS_READ, PSY_SCOPE_NONE},
    {"PUT", "/api/authorisations/:id", api_auth_put, 0, PSY_PERM_INSURANCE_WRITE, PSY_SCOPE_PRACTICE},
    {"POST", "/api/clients/:id/plans", api_plan_post, 0, PSY_PERM_CLIENTS_WRITE, PSY_SCOPE_NONE},
    {"GET", "/api/plans/:id", api_plan_get, 0, PSY_PERM_CLIENTS_READ, PSY_SCOPE_NONE},
    {"PUT", "/api/plans/:id", api_plan_put, 0, PSY_PERM_CLIENTS_WRITE, PSY_SCOPE_NONE},
    {"POST", "/api/plans/:id/sign", api_plan_sign, 0, PSY_PERM_CLIENTS_WRITE, PSY_SCOPE_NONE},
    {"POST", "/api/groups", api_group_post, 0, PSY_PERM_CLIENTS_WRITE, PSY_SCOPE_NONE},
    {"PUT", "/api/groups/:id", api_group_put, 0, PSY_PERM_CLIENTS_WRITE, PSY_SCOPE_NONE},
    {"POST", "/api/groups/:id/roster", api_group_roster, 0, PSY_PERM_CLIENTS_WRITE, PSY_SCOPE_NONE},
};
#define NROUTES (sizeof routes / sizeof routes[0])

/* Matches path against pattern, filling r's parameters. Returns 1 on a match. */
static int match(const char *pattern, const char *path, struct srv_req *r)
{
    r->nparams = 0;
    const char *p = pattern, *q = path;
    while (*p && *q) {
        if (*p != '/' || *q != '/') return 0;
        p++;
        q++;
        const char *pe = strchr(p, '/'), *qe = strchr(q, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p), ql = qe ? (size_t)(qe - q) : strlen(q);
        if (*p == ':') {
            if (ql == 0 || ql >= SRV_PARAM_MAX || pl - 1 >= sizeof r->param_name[0] || r->nparams == SRV_MAX_PARAMS)
                return 0;
            memcpy(r->param_name[r->nparams], p + 1, pl - 1);
            r->param_name[r->nparams][pl - 1] = 0;
            memcpy(r->param[r->nparams], q, ql);
            r->param[r->nparams][ql] = 0;
            r->nparams++;
        } else if (pl != ql || memcmp(p, q, pl) != 0) {
            return 0;
        }
        p += pl;
        q += ql;
    }
    return !*p && !*q;
}

/* What a session that must first set up a second factor (the practice requires one) may reach. */
static int enrol_route(const char *pattern)
{
    static const char *const open_[] = {"/api/me", "/api/logout", "/api/me/password", "/api/me/totp",
                                        "/api/me/totp/confirm"};
    for (size_t i = 0; i < sizeof open_ / sizeof open_[0]; i++)
        if (strcmp(pattern, open_[i]) == 0) return 1;
    return 0;
}

static int is_unsafe(const char *m) { return strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "OPTIONS"); }

/* The session of the request's cookie, or a 401. Returns 0 when signed in. */
static int authenticate(struct srv_req *r)
{
    const char *token = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, SRV_SESSION_COOKIE);
    psy_status rc = token ? psy_auth_session_check(r->st, &r->srv->policy, token, 0, &r->session) : PSY_ENOTFOUND;
    if (rc == PSY_ENOTFOUND) {
        srv_reply_error(r, 401, "unauthenticated", NULL, "sign in first (no session, or it has expired)");
        return -1;
    }
    if (rc) {
        srv_reply_status(r, rc, NULL);
        return -1;
    }
    r->signed_in = 1;
    return 0;
}

/* Permissions whose routes carry patient data. */
static int phi_perm(psy_perm p)
{
    return p == PSY_PERM_CLIENTS_READ || p == PSY_PERM_CLIENTS_WRITE || p == PSY_PERM_NOTES_READ ||
           p == PSY_PERM_NOTES_WRITE || p == PSY_PERM_CLAIMS_READ || p == PSY_PERM_CLAIMS_WRITE ||
           p == PSY_PERM_REPORTS_READ;
}

/* The audit trail's view of a finished request on a route with patient data (HIPAA 164.312(b)): a
 * refusal (403, 404) is recorded with its outcome and the ids asked for; a read that answered without
 * an audit row of its handler's own gets one naming the route. Writes record themselves. */
static void audit_outcome(struct srv_req *r, const struct srv_route *rt)
{
    if (!r->signed_in || !phi_perm(rt->perm) || !r->st) return;
    const char *outcome = r->status == 403 ? "forbidden" : r->status == 404 ? "not_found" : NULL;
    int read = r->status >= 200 && r->status < 300 && !r->audited && strcmp(rt->method, "GET") == 0;
    if (!outcome && !read) return;
    char rec[PSY_AUDIT_ID_MAX], detail[256] = "";
    snprintf(rec, sizeof rec, "%s %s", rt->method, rt->pattern);
    for (size_t i = 0; i < r->nparams; i++) {
        size_t k = strlen(detail);
        snprintf(detail + k, sizeof detail - k, "%s%s=%.40s", k ? " " : "", r->param_name[i], r->param[i]);
    }
    psy_status rc = psy_auth_audit_outcome(r->st, &r->session.user, outcome ? "access.refused" : "phi.read", "route",
                                           rec, outcome ? outcome : "ok", detail, r->ip);
    if (rc && read) srv_reply_status(r, rc, NULL); /* no patient data leaves unrecorded */
}

void srv_dispatch(struct srv_req *r)
{
    if (r->noncanonical) { /* one form per path: "/api/clients/%31" is not "/api/clients/1" */
        srv_reply_error(r, 404, "not_found", NULL, "no such path");
        return;
    }
    if (strncmp(r->path, "/api/", 5) != 0 && strcmp(r->path, "/api") != 0) {
        srv_static(r);
        return;
    }
    const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
    const struct srv_route *rt = NULL;
    char allow[64] = "";
    for (size_t i = 0; i < NROUTES && !rt; i++) {
        if (!match(routes[i].pattern, r->path, r)) continue;
        if (strcmp(routes[i].method, method) == 0) {
            rt = &routes[i];
        } else if (strlen(allow) + strlen(routes[i].method) + 3 < sizeof allow) {
            if (*allow) strcat(allow, ", ");
            strcat(allow, routes[i].method);
        }
    }
    if (!rt) {
        if (*allow) {
            r->route = "(wrong method)";
            srv_reply_error(r, 405, "method_not_allowed", NULL, "%s is not allowed here (allowed: %s)",
                            r->method, allow);
            srv_add_header(r, "Allow", allow);
        } else {
            srv_reply_error(r, 404, "not_found", NULL, "no such API endpoint");
        }
        return;
    }
    r->route = rt->pattern;
    r->st = srv_store_get(r->srv);
    if (!r->st) {
        srv_reply_error(r, 503, "unavailable", NULL, "the database cannot be opened");
        return;
    }
    if (!rt->public_) {
        if (authenticate(r)) return;
        if (is_unsafe(r->method) &&
            !psy_auth_csrf_ok(&r->session, MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-CSRF-Token"))) {
            srv_reply_error(r, 403, "csrf", NULL, "missing or wrong X-CSRF-Token header");
            audit_outcome(r, rt);
            return;
        }
        if (r->session.must_enrol && !enrol_route(rt->pattern)) {
            srv_reply_error(r, 403, "enrol_required", NULL,
                            "your practice requires two-factor sign-in: set it up first (POST /api/me/totp)");
            return;
        }
        psy_scope sc = psy_auth_scope(r->session.user.role, rt->perm);
        if (sc == PSY_SCOPE_NONE || sc < rt->min_scope) {
            srv_reply_error(r, 403, "forbidden", NULL, "a %s may not do this (%s%s)",
                            psy_auth_role_name(r->session.user.role), psy_auth_perm_name(rt->perm),
                            sc == PSY_SCOPE_NONE ? "" : " for the whole practice");
            audit_outcome(r, rt);
            return;
        }
    }
    rt->handler(r);
    audit_outcome(r, rt);
}
