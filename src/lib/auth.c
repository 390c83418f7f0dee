/*
 * auth.c -- users, passwords, sign-in sessions, sign-in rate limiting, the role matrix and the audit
 * trail (tables of migration 0004).
 *
 * The one idea: the database never holds a secret that grants access. Passwords are Argon2id strings
 * (libsodium crypto_pwhash_str, whose parameters travel inside the string, so a policy change affects
 * only new hashes); session tokens are stored as their BLAKE2b hash; the CSRF token is no secret on its
 * own. Each check reads the user row again, so turning a user off takes effect on their next request.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "auth_int.h"
#include "psy_db.h"
#include "psyclaim/psy_auth.h"

/* --- roles and the permission matrix ------------------------------------------------------------ */

static const char *const role_names[PSY_ROLE_COUNT] = {"admin", "clinician", "biller"};

const char *psy_auth_role_name(psy_role role)
{
    return (unsigned)role < PSY_ROLE_COUNT ? role_names[role] : "unknown";
}

psy_status psy_auth_role_parse(const char *name, psy_role *out)
{
    for (int r = 0; r < PSY_ROLE_COUNT; r++)
        if (name && strcasecmp(name, role_names[r]) == 0) {
            *out = (psy_role)r;
            return PSY_OK;
        }
    return PSY_EINVAL;
}

#define N PSY_SCOPE_NONE
#define O PSY_SCOPE_OWN
#define P PSY_SCOPE_PRACTICE
/* Who may do what. A clinician reaches only their own clients, groups and notes; a biller works on
 * every claim but never reads note text; the audit trail is for admins. The practice's settings and
 * clinicians are the admin's; payers, policies and authorisations are the billing office's (admins and
 * billers); clinical records (clients, diagnoses, plans, groups) are the admin's and, for their own
 * clients, the clinician's. */
static const struct {
    const char *name;
    psy_scope scope[PSY_ROLE_COUNT]; /* admin, clinician, biller */
} matrix[PSY_PERM_COUNT] = {
    [PSY_PERM_SESSION] = {"session", {O, O, O}},
    [PSY_PERM_CODES_READ] = {"codes.read", {P, P, P}},
    [PSY_PERM_AUDIT_READ] = {"audit.read", {P, N, N}},
    [PSY_PERM_CLIENTS_READ] = {"clients.read", {P, O, P}},
    [PSY_PERM_CLIENTS_WRITE] = {"clients.write", {P, O, N}},
    [PSY_PERM_NOTES_READ] = {"notes.read", {P, O, N}},
    [PSY_PERM_NOTES_WRITE] = {"notes.write", {N, O, N}},
    [PSY_PERM_CLAIMS_READ] = {"claims.read", {P, O, P}},
    [PSY_PERM_CLAIMS_WRITE] = {"claims.write", {P, N, P}},
    [PSY_PERM_REPORTS_READ] = {"reports.read", {P, O, P}},
    [PSY_PERM_USERS_ADMIN] = {"users.admin", {P, N, N}},
    [PSY_PERM_PRACTICE_WRITE] = {"practice.write", {P, N, N}},
    [PSY_PERM_INSURANCE_WRITE] = {"insurance.write", {P, N, P}},
    /* bringing a practice's clients and their insurance over is office work: admins and billers */
    [PSY_PERM_CLIENTS_IMPORT] = {"clients.import", {P, N, P}},
};
#undef N
#undef O
#undef P

psy_scope psy_auth_scope(psy_role role, psy_perm perm)
{
    if ((unsigned)role >= PSY_ROLE_COUNT || (unsigned)perm >= PSY_PERM_COUNT) return PSY_SCOPE_NONE;
    return matrix[perm].scope[role];
}

const char *psy_auth_perm_name(psy_perm perm)
{
    return (unsigned)perm < PSY_PERM_COUNT ? matrix[perm].name : "unknown";
}

/* --- policy and small helpers ------------------------------------------------------------------- */

void psy_auth_policy_init(struct psy_auth_policy *p)
{
    p->pwhash_opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    p->pwhash_memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    p->idle_seconds = 30 * 60;
    p->absolute_seconds = 12 * 60 * 60;
    p->max_failures_user = 5;
    p->max_failures_ip = 20;
    p->failure_window = 60 * 60;
    p->delay_base = 2;
    p->delay_cap = 15 * 60;
}

static const struct psy_auth_policy *policy_or_default(const struct psy_auth_policy *p,
                                                       struct psy_auth_policy *tmp)
{
    if (p) return p;
    psy_auth_policy_init(tmp);
    return tmp;
}

static psy_status need_sodium(psy_store *st)
{
    if (sodium_init() < 0) return psy__store_fail(st, PSY_EIO, "libsodium cannot start");
    return PSY_OK;
}

static long long clock_now(long long now) { return now ? now : (long long)time(NULL); }

static void utc_text(long long t, char out[PSY_TIME_MAX])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, PSY_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void copy_text(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* Hex of the BLAKE2b-256 hash of a session token: the only form a token takes in the store. */
static void token_hash(const char *token, char out[PSY_TOKEN_MAX])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(out, PSY_TOKEN_MAX, h, sizeof h);
}

static void random_token(char out[PSY_TOKEN_MAX])
{
    unsigned char b[32];
    randombytes_buf(b, sizeof b);
    sodium_bin2hex(out, PSY_TOKEN_MAX, b, sizeof b);
    sodium_memzero(b, sizeof b);
}

/* sql prepared with its arguments bound (the query API of psy_db.h). */
static psy_status prepare(psy_store *st, const char *sql, psy__stmt **s, const psy__arg *a, int n)
{
    *s = psy__db_stmt(st, sql, a, n);
    return *s ? PSY_OK : psy__store_dbfail(st, "auth");
}

/* Steps a statement that returns no rows and gives it back; *changes (may be NULL) gets the rows it
 * touched. */
static psy_status step_done_n(psy_store *st, psy__stmt *s, const char *what, int64_t *changes)
{
    int rc = psy__sql_step(s);
    if (changes) *changes = rc == PSY_SQL_DONE ? psy__sql_changes(s) : 0;
    psy__sql_finalize(s);
    return rc == PSY_SQL_DONE ? PSY_OK : psy__store_dbfail(st, what);
}

static psy_status step_done(psy_store *st, psy__stmt *s, const char *what)
{
    return step_done_n(st, s, what, NULL);
}

/* Sign-ins count and add failures under this lock (PostgreSQL; SQLite's write transaction already
 * serialises them), so that two servers on one database keep one limit. */
#define LOGIN_LOCK 0x70737961757468LL /* "psyauth" */

/* --- users ---------------------------------------------------------------------------------------- */

psy_status psy_auth_username_normalize(const char *in, char out[PSY_USERNAME_MAX])
{
    size_t n = in ? strlen(in) : 0;
    if (n == 0 || n >= PSY_USERNAME_MAX) return PSY_EINVAL;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '@'))
            return PSY_EINVAL;
        out[i] = c;
    }
    out[n] = 0;
    return PSY_OK;
}

static psy_status check_password(psy_store *st, const char *pw)
{
    size_t n = pw ? strlen(pw) : 0;
    if (n < PSY_PASSWORD_MIN)
        return psy__store_fail(st, PSY_EINVAL, "password: at least %d characters", PSY_PASSWORD_MIN);
    if (n > PSY_PASSWORD_MAX)
        return psy__store_fail(st, PSY_EINVAL, "password: at most %d bytes", PSY_PASSWORD_MAX);
    if (!psy__utf8_valid(pw, n)) return psy__store_fail(st, PSY_EINVAL, "password: not valid UTF-8");
    return PSY_OK;
}

static psy_status hash_password(psy_store *st, const struct psy_auth_policy *pol, const char *pw,
                                char out[crypto_pwhash_STRBYTES])
{
    if (crypto_pwhash_str(out, pw, strlen(pw), pol->pwhash_opslimit, pol->pwhash_memlimit) != 0)
        return psy__store_fail(st, PSY_ENOMEM, "password hashing failed (memory limit %zu bytes)",
                               pol->pwhash_memlimit);
    return PSY_OK;
}

psy_status psy_auth_user_add(psy_store *st, const struct psy_auth_policy *policy, const struct psy_user *u,
                             const char *password, long long *id)
{
    struct psy_auth_policy tmp;
    const struct psy_auth_policy *pol = policy_or_default(policy, &tmp);
    char name[PSY_USERNAME_MAX], hash[crypto_pwhash_STRBYTES], created[PSY_TIME_MAX];
    psy_status rc = need_sodium(st);
    if (rc) return rc;
    if (u->practice_id <= 0) return psy__store_fail(st, PSY_EINVAL, "practice: must be a positive id");
    if (psy_auth_username_normalize(u->username, name))
        return psy__store_fail(st, PSY_EINVAL,
                               "username: 1 to 64 characters of letters, digits and . _ - @");
    if ((unsigned)u->role >= PSY_ROLE_COUNT) return psy__store_fail(st, PSY_EINVAL, "role: unknown");
    if (u->clinician_id < 0) return psy__store_fail(st, PSY_EINVAL, "clinician: must be a positive id");
    if (u->clinician_id && u->role != PSY_ROLE_CLINICIAN)
        return psy__store_fail(st, PSY_EINVAL, "clinician: only a clinician user has a clinician id");
    if ((rc = check_password(st, password))) return rc;
    if ((rc = hash_password(st, pol, password, hash))) return rc;
    utc_text(clock_now(0), created);

    /* in a transaction of its own: a refused insert must not spoil a caller's transaction */
    psy__stmt *s;
    int64_t newid = 0;
    if ((rc = psy__store_begin(st))) goto out;
    if ((rc = prepare(st,
                      "INSERT INTO app_user (practice_id, username, role, clinician_id, password_hash, "
                      "active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                      &s,
                      PSY_ARGS(PSY_INT(u->practice_id), PSY_TEXT(name), PSY_TEXT(role_names[u->role]),
                               PSY_INT_OR_NULL(u->clinician_id), PSY_TEXT(hash), PSY_INT(u->active ? 1 : 0),
                               PSY_TEXT(created))))) {
        psy__store_rollback(st);
        goto out;
    }
    rc = psy__sql_insert_id(st, s, &newid);
    psy__sql_finalize(s);
    if (rc) {
        psy__store_rollback(st);
        if (psy__db_errkind(st) == PSY_DBE_CONSTRAINT)
            rc = psy__store_fail(st, PSY_ECONFLICT, "username: practice %lld already has a user '%s'",
                                 u->practice_id, name);
        else
            rc = psy__store_dbfail(st, "adding a user");
        goto out;
    }
    if ((rc = psy__store_commit(st))) goto out;
    if (id) *id = newid;
out:
    sodium_memzero(hash, sizeof hash);
    return rc;
}

#define USER_COLS                                                                                        \
    "u.id, u.practice_id, u.username, u.role, u.clinician_id, u.active, u.created_at, "                  \
    "(SELECT count(*) FROM user_totp t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL), "          \
    "(SELECT coalesce(max(ps.require_totp), 0) FROM practice_security ps WHERE ps.practice_id = u.practice_id)"
#define USER_NCOLS 9

/* Reads USER_COLS starting at column col. */
static void read_user(psy__stmt *s, int col, struct psy_user *u)
{
    memset(u, 0, sizeof *u);
    u->id = psy__sql_int64(s, col);
    u->practice_id = psy__sql_int64(s, col + 1);
    copy_text(u->username, sizeof u->username, psy__sql_text(s, col + 2));
    psy_role r = PSY_ROLE_BILLER;
    psy_auth_role_parse(psy__sql_text(s, col + 3), &r);
    u->role = r;
    u->clinician_id = psy__sql_int64(s, col + 4);
    u->active = (int)psy__sql_int64(s, col + 5);
    copy_text(u->created_at, sizeof u->created_at, psy__sql_text(s, col + 6));
    u->totp = psy__sql_int64(s, col + 7) > 0;
    u->totp_required = psy__sql_int64(s, col + 8) > 0;
}

psy_status psy_auth_user_get(psy_store *st, long long id, struct psy_user *out)
{
    psy__stmt *s;
    psy_status rc = prepare(st, "SELECT " USER_COLS " FROM app_user u WHERE u.id = ?", &s, PSY_ARGS(PSY_INT(id)));
    if (rc) return rc;
    int src = psy__sql_step(s);
    if (src == PSY_SQL_ROW) read_user(s, 0, out);
    psy__sql_finalize(s);
    if (src != PSY_SQL_ROW)
        rc = src == PSY_SQL_DONE ? psy__store_fail(st, PSY_ENOTFOUND, "no user %lld", id)
                                 : psy__store_dbfail(st, "reading a user");
    return rc;
}

psy_status psy_auth_user_list(psy_store *st, long long practice_id, struct psy_user **users, size_t *n)
{
    *users = NULL;
    *n = 0;
    psy__stmt *s;
    psy_status rc = prepare(st,
                            "SELECT " USER_COLS " FROM app_user u WHERE CAST(? AS BIGINT) = 0 "
                            "OR u.practice_id = ? ORDER BY u.practice_id, u.username",
                            &s, PSY_ARGS(PSY_INT(practice_id), PSY_INT(practice_id)));
    if (rc) return rc;
    size_t cap = 0;
    int src;
    while ((src = psy__sql_step(s)) == PSY_SQL_ROW) {
        if (*n == cap) *users = psy__realloc(*users, (cap = cap ? cap * 2 : 8) * sizeof **users);
        read_user(s, 0, &(*users)[(*n)++]);
    }
    psy__sql_finalize(s);
    if (src != PSY_SQL_DONE) {
        free(*users);
        *users = NULL;
        *n = 0;
        return psy__store_dbfail(st, "listing users");
    }
    return PSY_OK;
}

static psy_status end_sessions_of(psy_store *st, long long user_id)
{
    psy__stmt *s;
    psy_status rc = prepare(st, "DELETE FROM web_session WHERE user_id = ?", &s, PSY_ARGS(PSY_INT(user_id)));
    if (rc) return rc;
    return step_done(st, s, "ending sessions");
}

/* Runs an UPDATE of one user row (bound: text or int at 1, id at 2), then ends their sessions, in one
 * transaction. */
static psy_status update_user(psy_store *st, long long id, const char *sql, const char *text, int value)
{
    psy__stmt *s;
    int64_t changed;
    psy_status rc = psy__store_begin(st);
    if (rc) return rc;
    if ((rc = prepare(st, sql, &s, PSY_ARGS(text ? PSY_TEXT(text) : PSY_INT(value), PSY_INT(id))))) goto fail;
    if ((rc = step_done_n(st, s, "updating a user", &changed))) goto fail;
    if (changed == 0) {
        rc = psy__store_fail(st, PSY_ENOTFOUND, "no user %lld", id);
        goto fail;
    }
    if ((rc = end_sessions_of(st, id))) goto fail;
    return psy__store_commit(st);
fail:
    psy__store_rollback(st);
    return rc;
}

psy_status psy_auth_user_set_password(psy_store *st, const struct psy_auth_policy *policy, long long id,
                                      const char *password)
{
    struct psy_auth_policy tmp;
    const struct psy_auth_policy *pol = policy_or_default(policy, &tmp);
    char hash[crypto_pwhash_STRBYTES];
    psy_status rc = need_sodium(st);
    if (!rc) rc = check_password(st, password);
    if (!rc) rc = hash_password(st, pol, password, hash);
    if (!rc) rc = update_user(st, id, "UPDATE app_user SET password_hash = ? WHERE id = ?", hash, 0);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

psy_status psy_auth_user_set_active(psy_store *st, long long id, int active)
{
    return update_user(st, id, "UPDATE app_user SET active = ? WHERE id = ?", NULL, active ? 1 : 0);
}

psy_status psy_auth_user_update(psy_store *st, long long practice_id, long long id, psy_role role,
                                long long clinician_id)
{
    if ((unsigned)role >= PSY_ROLE_COUNT) return psy__store_fail(st, PSY_EINVAL, "role: unknown");
    if (clinician_id < 0) return psy__store_fail(st, PSY_EINVAL, "clinician_id: must be a positive id");
    if (clinician_id && role != PSY_ROLE_CLINICIAN)
        return psy__store_fail(st, PSY_EINVAL, "clinician_id: only a clinician user has a clinician");
    psy__stmt *s;
    psy_status rc = psy__store_begin(st);
    if (rc) return rc;
    if (clinician_id) {
        if ((rc = prepare(st, "SELECT count(*) FROM clinician WHERE id = ? AND practice_id = ?", &s,
                          PSY_ARGS(PSY_INT(clinician_id), PSY_INT(practice_id)))))
            goto fail;
        int src = psy__sql_step(s);
        long long n = src == PSY_SQL_ROW ? psy__sql_int64(s, 0) : -1;
        psy__sql_finalize(s);
        if (n < 0) {
            rc = psy__store_dbfail(st, "checking a clinician");
            goto fail;
        }
        if (n == 0) {
            rc = psy__store_fail(st, PSY_EINVAL, "clinician_id: the practice has no clinician %lld", clinician_id);
            goto fail;
        }
    }
    if ((rc = prepare(
             st, "UPDATE app_user SET role = ?, clinician_id = ? WHERE id = ? AND practice_id = ?", &s,
             PSY_ARGS(PSY_TEXT(role_names[role]), PSY_INT_OR_NULL(clinician_id), PSY_INT(id), PSY_INT(practice_id)))))
        goto fail;
    int64_t changed;
    if ((rc = step_done_n(st, s, "updating a user", &changed))) goto fail;
    if (changed == 0) {
        rc = psy__store_fail(st, PSY_ENOTFOUND, "no user %lld in the practice", id);
        goto fail;
    }
    return psy__store_commit(st);
fail:
    psy__store_rollback(st);
    return rc;
}

/* --- audit trail ---------------------------------------------------------------------------------- */

/* Appends an event; who may be NULL (then username, possibly "", names the attempt). */
static psy_status audit_add_outcome(psy_store *st, const struct psy_user *who, const char *username,
                                    const char *action, const char *record_type, const char *record_id,
                                    const char *outcome, const char *detail, const char *ip)
{
    if (!action || !*action || strlen(action) >= PSY_AUDIT_ACTION_MAX)
        return psy__store_fail(st, PSY_EINVAL, "audit: action must be 1 to %d characters",
                               PSY_AUDIT_ACTION_MAX - 1);
    if (record_type && strlen(record_type) >= PSY_AUDIT_TYPE_MAX)
        return psy__store_fail(st, PSY_EINVAL, "audit: record type too long");
    if (record_id && strlen(record_id) >= PSY_AUDIT_ID_MAX)
        return psy__store_fail(st, PSY_EINVAL, "audit: record id too long");
    if (ip && strlen(ip) >= PSY_IP_MAX) return psy__store_fail(st, PSY_EINVAL, "audit: address too long");
    if (outcome && strlen(outcome) >= PSY_AUDIT_OUTCOME_MAX)
        return psy__store_fail(st, PSY_EINVAL, "audit: outcome too long");
    char cut[PSY_AUDIT_DETAIL_MAX];
    if (detail && strlen(detail) >= sizeof cut) {
        snprintf(cut, sizeof cut, "%.*s...", (int)sizeof cut - 4, detail);
        detail = cut;
    }
    char at[PSY_TIME_MAX];
    utc_text(clock_now(0), at);
    if (who) username = who->username;
    psy__stmt *s;
    psy_status rc =
        prepare(st,
                "INSERT INTO audit_event (practice_id, at, user_id, username, action, "
                "record_type, record_id, ip, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                &s,
                PSY_ARGS(who ? PSY_INT(who->practice_id) : PSY_NULL, PSY_TEXT(at), who ? PSY_INT(who->id) : PSY_NULL,
                         PSY_TEXT_OR_EMPTY(username), PSY_TEXT(action), PSY_TEXT_OR_EMPTY(record_type),
                         PSY_TEXT_OR_EMPTY(record_id), PSY_TEXT_OR_EMPTY(ip),
                         PSY_TEXT(outcome && *outcome ? outcome : "ok"), PSY_TEXT_OR_EMPTY(detail)));
    if (rc) return rc;
    return step_done(st, s, "writing the audit trail");
}

static psy_status audit_add(psy_store *st, const struct psy_user *who, const char *username, const char *action,
                            const char *record_type, const char *record_id, const char *ip)
{
    return audit_add_outcome(st, who, username, action, record_type, record_id, NULL, NULL, ip);
}

psy_status psy_auth_audit_outcome(psy_store *st, const struct psy_user *who, const char *action,
                                  const char *record_type, const char *record_id, const char *outcome,
                                  const char *detail, const char *ip)
{
    if (!who) return psy__store_fail(st, PSY_EINVAL, "audit: no user");
    return audit_add_outcome(st, who, NULL, action, record_type, record_id, outcome, detail, ip);
}

psy_status psy_auth_audit(psy_store *st, const struct psy_user *who, const char *action,
                          const char *record_type, const char *record_id, const char *ip)
{
    if (!who) return psy__store_fail(st, PSY_EINVAL, "audit: no user");
    return audit_add(st, who, NULL, action, record_type, record_id, ip);
}

/* Which rows of the audit trail a practice sees: its own (part AUDIT_OWN), the sign-ins outside any
 * practice (AUDIT_LOGINS), or both (AUDIT_ALL). Asked apart, each part is read through the index on
 * (practice_id, id), newest first, and stops at a page: an OR of the two made the database gather the
 * ids of the whole trail and sort them for every page (0.23 s at a million events). */
enum { AUDIT_ALL, AUDIT_OWN, AUDIT_LOGINS };

/* The audit query from head on: the practice's rows (and sign-ins outside any practice), narrowed by
 * the filters given, each a bound parameter. */
static void audit_where_part(struct psy__query *q, const char *head, long long practice_id,
                             const struct psy_audit_filter *f, int part)
{
    psy__query_init(q, head, PSY_NOARGS);
    if (part == AUDIT_OWN) psy__query_where(q, "practice_id = ?", PSY_INT(practice_id));
    else if (part == AUDIT_LOGINS) psy__query_sql(q, " WHERE practice_id IS NULL AND action LIKE 'login.%'");
    else
        psy__query_where(q, "practice_id = ? OR (practice_id IS NULL AND action LIKE 'login.%')",
                         PSY_INT(practice_id));
    if (part == AUDIT_LOGINS) q->nwhere++;
    if (!f) return;
#define COND(v, text)                                                                                                  \
    if ((v) && *(v)) psy__query_where(q, text, PSY_TEXT(v));
    /* a name is matched only on the practice's own rows, where it is shown */
    COND(f->username, "practice_id IS NOT NULL AND username = ?")
    size_t al = f->action ? strlen(f->action) : 0;
    if (al && al < PSY_AUDIT_ACTION_MAX && f->action[al - 1] == '.') { /* "claim.": every claim action */
        char cond[64];
        snprintf(cond, sizeof cond, "substr(action, 1, %zu) = ?", al);
        COND(f->action, cond)
    } else {
        COND(f->action, "action = ?")
    }
    COND(f->record_type, "record_type = ?")
    COND(f->record_id, "record_id = ?")
    COND(f->outcome, "outcome = ?")
    COND(f->from_utc, "at >= ?")
    COND(f->to_utc, "at < ?")
#undef COND
}

static void audit_where(struct psy__query *q, const char *head, long long practice_id, const struct psy_audit_filter *f)
{
    audit_where_part(q, head, practice_id, f, AUDIT_ALL);
}

/* The number of rows of the trail the practice sees through f: its own and the sign-ins, counted apart. */
static psy_status audit_count(psy_store *st, long long practice_id, const struct psy_audit_filter *f, long long *total)
{
    *total = 0;
    for (int part = AUDIT_OWN; part <= AUDIT_LOGINS; part++) {
        struct psy__query q;
        int64_t n = 0;
        audit_where_part(&q, "SELECT count(*) FROM audit_event", practice_id, f, part);
        psy_status rc = psy__db_int(st, &n, q.sql.p, q.args, q.n);
        psy__query_free(&q);
        if (rc) return psy__store_dbfail(st, "reading the audit trail");
        *total += (long long)n;
    }
    return PSY_OK;
}

/* Reads up to limit events from s (columns id, practice, at, user, username, action, record type and
 * id, ip, then outcome and detail when ncols is 11) into *events, and finalizes s. */
static psy_status read_events(psy_store *st, psy__stmt *s, int ncols, long long limit, struct psy_audit_event **events,
                              size_t *n)
{
    if (limit) *events = psy__calloc((size_t)limit, sizeof **events);
    int src;
    while ((src = psy__sql_step(s)) == PSY_SQL_ROW && *n < (size_t)limit) {
        struct psy_audit_event *e = &(*events)[(*n)++];
        e->id = psy__sql_int64(s, 0);
        e->practice_id = psy__sql_int64(s, 1);
        copy_text(e->at, sizeof e->at, psy__sql_text(s, 2));
        e->user_id = psy__sql_int64(s, 3);
        copy_text(e->username, sizeof e->username, psy__sql_text(s, 4));
        copy_text(e->action, sizeof e->action, psy__sql_text(s, 5));
        copy_text(e->record_type, sizeof e->record_type, psy__sql_text(s, 6));
        copy_text(e->record_id, sizeof e->record_id, psy__sql_text(s, 7));
        copy_text(e->ip, sizeof e->ip, psy__sql_text(s, 8));
        if (ncols == 11) {
            copy_text(e->outcome, sizeof e->outcome, psy__sql_text(s, 9));
            copy_text(e->detail, sizeof e->detail, psy__sql_text(s, 10));
        }
    }
    psy__sql_finalize(s);
    if (src == PSY_SQL_ERROR) {
        free(*events);
        *events = NULL;
        *n = 0;
        return psy__store_dbfail(st, "reading the audit trail");
    }
    return PSY_OK;
}

psy_status psy_auth_audit_query(psy_store *st, long long practice_id, const struct psy_audit_filter *f,
                                long long offset, long long limit, struct psy_audit_event **events, size_t *n,
                                long long *total)
{
    *events = NULL;
    *n = 0;
    if (offset < 0) offset = 0;
    if (limit < 0) limit = 0;
    if (limit > 500) limit = 500;
    struct psy__query q;
    psy__stmt *s;
    psy_status rc;
    if (total && (rc = audit_count(st, practice_id, f, total))) return rc;
    audit_where(&q,
                "SELECT id, coalesce(practice_id, 0), at, coalesce(user_id, 0), "
                "CASE WHEN practice_id IS NULL THEN '' ELSE username END, action, record_type, record_id, ip, outcome, "
                "detail FROM audit_event",
                practice_id, f);
    psy__query_sql_n(&q, " ORDER BY id DESC LIMIT ? OFFSET ?", PSY_ARGS(PSY_INT(limit), PSY_INT(offset)));
    rc = prepare(st, q.sql.p, &s, q.args, q.n);
    psy__query_free(&q);
    if (rc) return rc;
    return read_events(st, s, 11, limit, events, n);
}

psy_status psy_auth_audit_page(psy_store *st, long long practice_id, const struct psy_audit_filter *f,
                               struct psy_page *pg, struct psy_audit_event **events, size_t *n)
{
    static const char cols[] = "SELECT id, coalesce(practice_id, 0) AS practice, at, coalesce(user_id, 0) AS user_ref, "
                               "CASE WHEN practice_id IS NULL THEN '' ELSE username END AS shown_name, action, "
                               "record_type, record_id, ip, outcome, detail FROM audit_event";
    struct psy__query own, logins, q;
    psy__stmt *s = NULL;
    *events = NULL;
    *n = 0;
    psy_status rc = audit_count(st, practice_id, f, &pg->total);
    if (rc) return rc;
    /* the newest page of each part, then the newest of those (audit_where_part says why) */
    audit_where_part(&own, cols, practice_id, f, AUDIT_OWN);
    audit_where_part(&logins, cols, practice_id, f, AUDIT_LOGINS);
    rc = psy__page_after(st, &own, pg, NULL, "id", 1);
    if (!rc) rc = psy__page_after(st, &logins, pg, NULL, "id", 1);
    if (!rc) {
        psy__page_order(&own, pg, NULL, "id", 1);
        psy__page_order(&logins, pg, NULL, "id", 1);
        psy__query_init(&q, "SELECT * FROM (", PSY_NOARGS);
        psy__query_sql_n(&q, own.sql.p, own.args, own.n);
        psy__query_sql(&q, ") AS own UNION ALL SELECT * FROM (");
        psy__query_sql_n(&q, logins.sql.p, logins.args, logins.n);
        psy__query_sql(&q, ") AS logins");
        psy__page_order(&q, pg, NULL, "id", 1);
        rc = prepare(st, q.sql.p, &s, q.args, q.n);
        psy__query_free(&q);
    }
    psy__query_free(&own);
    psy__query_free(&logins);
    if (!rc) rc = read_events(st, s, 11, psy__page_limit(pg) + 1, events, n);
    if (!rc) {
        size_t lim = (size_t)psy__page_limit(pg);
        *n = psy__page_done(pg, *n, NULL, *n > lim ? (*events)[lim - 1].id : 0);
    }
    return rc;
}

psy_status psy_auth_audit_list(psy_store *st, long long practice_id, long long offset, long long limit,
                               struct psy_audit_event **events, size_t *n, long long *total)
{
    *events = NULL;
    *n = 0;
    if (offset < 0) offset = 0;
    if (limit < 0) limit = 0;
    if (limit > 500) limit = 500;
    psy__stmt *s;
    psy_status rc;
    if (total) {
        if ((rc = prepare(st, "SELECT count(*) FROM audit_event WHERE practice_id = ?", &s,
                          PSY_ARGS(PSY_INT(practice_id)))))
            return rc;
        int src = psy__sql_step(s);
        *total = src == PSY_SQL_ROW ? psy__sql_int64(s, 0) : 0;
        psy__sql_finalize(s);
        if (src == PSY_SQL_ERROR) return psy__store_dbfail(st, "reading the audit trail");
    }
    if ((rc = prepare(st,
                      "SELECT id, coalesce(practice_id, 0), at, coalesce(user_id, 0), username, action, "
                      "record_type, record_id, ip FROM audit_event WHERE practice_id = ? "
                      "ORDER BY id DESC LIMIT ? OFFSET ?",
                      &s, PSY_ARGS(PSY_INT(practice_id), PSY_INT(limit), PSY_INT(offset)))))
        return rc;
    return read_events(st, s, 9, limit, events, n);
}

/* --- sign-in -------------------------------------------------------------------------------------- */

/* Seconds still to wait after n failures, the last at `last`: nothing for the first `free_n`, then
 * delay_base, doubling with each further failure, at most delay_cap. */
static long backoff(const struct psy_auth_policy *pol, long n, int free_n, long long last, long long now)
{
    if (n < free_n) return 0;
    long d = pol->delay_base > 0 ? pol->delay_base : 1;
    for (long k = free_n; k < n && d < pol->delay_cap; k++) d *= 2;
    if (d > pol->delay_cap) d = pol->delay_cap;
    long long w = last + d - now;
    return w > 0 ? (long)w : 0;
}

/* Failures since `since` matching the statement (values bound at 1 and 2, since at 3), and the newest
 * one's time. */
static psy_status count_failures(psy_store *st, const char *sql, long long v1, const char *v2, long long since,
                                 long *count, long long *newest)
{
    psy__stmt *s;
    *count = 0;
    *newest = 0;
    psy_status rc = prepare(st, sql, &s, PSY_ARGS(PSY_INT(v1), PSY_TEXT(v2), PSY_INT(since)));
    if (rc) return rc;
    int src = psy__sql_step(s);
    if (src == PSY_SQL_ROW) {
        *count = (long)psy__sql_int64(s, 0);
        *newest = psy__sql_int64(s, 1);
    }
    psy__sql_finalize(s);
    return src == PSY_SQL_ROW ? PSY_OK : psy__store_dbfail(st, "counting sign-in failures");
}

/* The accounts a sign-in aims at: the users of that name (in the chosen practice, when one is named).
 * An unknown name has none and is counted under practice 0. */
struct candidate {
    struct psy_user u;
    char hash[crypto_pwhash_STRBYTES];
    char practice[PSY_PRACTICE_NAME_MAX];
    long wait[2]; /* seconds this account must wait: after password failures, after code failures */
};

struct attempt {
    char name[PSY_USERNAME_MAX];
    struct candidate c[PSY_LOGIN_CHOICES];
    size_t n;
    long account_wait, ip_wait; /* seconds: the least of the accounts', the address's */
};

static void forget_candidates(struct attempt *a)
{
    for (size_t i = 0; i < a->n; i++) sodium_memzero(a->c[i].hash, sizeof a->c[i].hash);
}

static psy_status find_candidates(psy_store *st, const char *practice, struct attempt *a)
{
    psy__stmt *s;
    psy_status rc = prepare(st,
                            "SELECT " USER_COLS ", u.password_hash, coalesce(p.name, '') FROM app_user u "
                            "LEFT JOIN practice p ON p.id = u.practice_id WHERE u.username = ? ORDER BY u.id",
                            &s, PSY_ARGS(PSY_TEXT(a->name)));
    if (rc) return rc;
    a->n = 0;
    int src;
    while ((src = psy__sql_step(s)) == PSY_SQL_ROW && a->n < PSY_LOGIN_CHOICES) {
        struct candidate *c = &a->c[a->n];
        read_user(s, 0, &c->u);
        copy_text(c->practice, sizeof c->practice, psy__sql_text(s, USER_NCOLS + 1));
        if (!*c->practice) snprintf(c->practice, sizeof c->practice, "Practice %lld", c->u.practice_id);
        if (practice && *practice && strcasecmp(practice, c->practice) != 0) continue;
        copy_text(c->hash, sizeof c->hash, psy__sql_text(s, USER_NCOLS));
        a->n++;
    }
    psy__sql_finalize(s);
    return src == PSY_SQL_ERROR ? psy__store_dbfail(st, "signing in") : PSY_OK;
}

/* How long this attempt must wait: per account (password and code failures apart; the least of the
 * accounts of the name, so that one practice's throttled user does not hold up another's) and per
 * address. */
static psy_status throttle(psy_store *st, const struct psy_auth_policy *pol, const char *ip, long long now,
                           struct attempt *a)
{
    static const char *const sql[2] = {
        "SELECT count(*), coalesce(max(at), 0) FROM login_failure WHERE practice_id = ? AND username = ? "
        "AND kind = 'password' AND at > ?",
        "SELECT count(*), coalesce(max(at), 0) FROM login_failure WHERE practice_id = ? AND username = ? "
        "AND kind = 'code' AND at > ?"};
    long long since = now - pol->failure_window, newest;
    long n, none[2] = {0, 0};
    a->account_wait = -1;
    for (size_t i = 0; i < (a->n ? a->n : 1); i++) {
        long long practice = a->n ? a->c[i].u.practice_id : 0;
        long *w = a->n ? a->c[i].wait : none;
        for (int k = 0; k < 2; k++) {
            psy_status rc = count_failures(st, sql[k], practice, a->name, since, &n, &newest);
            if (rc) return rc;
            w[k] = backoff(pol, n, pol->max_failures_user, newest, now);
        }
        if (a->account_wait < 0 || w[0] < a->account_wait) a->account_wait = w[0];
    }
    psy_status rc = count_failures(st, "SELECT count(*), coalesce(max(at), 0) FROM login_failure "
                                       "WHERE CAST(? AS BIGINT) = 0 AND ip = ? AND at > ?",
                                   0, ip, since, &n, &newest);
    if (rc) return rc;
    a->ip_wait = backoff(pol, n, pol->max_failures_ip, newest, now);
    return PSY_OK;
}

static psy_status note_failure(psy_store *st, const struct psy_auth_policy *pol, long long practice,
                               const char *name, const char *ip, const char *kind, long long now)
{
    psy__stmt *s;
    psy_status rc =
        prepare(st, "DELETE FROM login_failure WHERE at <= ?", &s, PSY_ARGS(PSY_INT(now - pol->failure_window)));
    if (rc) return rc;
    if ((rc = step_done(st, s, "pruning sign-in failures"))) return rc;
    if ((rc = prepare(st, "INSERT INTO login_failure (practice_id, username, ip, at, kind) VALUES (?, ?, ?, ?, ?)", &s,
                      PSY_ARGS(PSY_INT(practice), PSY_TEXT(name), PSY_TEXT(ip), PSY_INT(now), PSY_TEXT(kind)))))
        return rc;
    return step_done(st, s, "noting a sign-in failure");
}

/* Copies into out a hash made with the policy's parameters, to verify against when the user name is
 * unknown, so that the answer takes as long either way and does not tell which user names exist. The
 * hash is made once per parameter set. Returns 0, or -1 when it cannot be made. */
static int dummy_hash(const struct psy_auth_policy *pol, char out[crypto_pwhash_STRBYTES])
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static char hash[crypto_pwhash_STRBYTES];
    static unsigned long long ops;
    static size_t mem;
    int rc = 0;
    pthread_mutex_lock(&mu);
    if (ops != pol->pwhash_opslimit || mem != pol->pwhash_memlimit) {
        rc = crypto_pwhash_str(hash, "not anyone's password", 21, pol->pwhash_opslimit, pol->pwhash_memlimit);
        ops = rc ? 0 : pol->pwhash_opslimit;
        mem = rc ? 0 : pol->pwhash_memlimit;
    }
    if (!rc) memcpy(out, hash, crypto_pwhash_STRBYTES);
    pthread_mutex_unlock(&mu);
    return rc ? -1 : 0;
}

static psy_status new_session(psy_store *st, const struct psy_auth_policy *pol, const struct psy_user *u,
                              const char *ip, long long now, struct psy_auth_session *out)
{
    char th[PSY_TOKEN_MAX];
    psy__stmt *s;
    psy_status rc = prepare(st, "DELETE FROM web_session WHERE expires_at <= ? OR last_seen <= ?", &s,
                            PSY_ARGS(PSY_INT(now), PSY_INT(now - pol->idle_seconds)));
    if (rc) return rc;
    if ((rc = step_done(st, s, "pruning sessions"))) return rc;
    memset(out, 0, sizeof *out);
    random_token(out->token);
    random_token(out->csrf);
    token_hash(out->token, th);
    out->user = *u;
    out->must_enrol = u->totp_required && !u->totp;
    out->created_at = now;
    out->expires_at = now + pol->absolute_seconds;
    out->idle_expires_at = now + pol->idle_seconds;
    if (out->idle_expires_at > out->expires_at) out->idle_expires_at = out->expires_at;
    if ((rc = prepare(st,
                      "INSERT INTO web_session (token_hash, user_id, csrf_token, ip, created_at, "
                      "last_seen, expires_at, must_enrol) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      &s,
                      PSY_ARGS(PSY_TEXT(th), PSY_INT(u->id), PSY_TEXT(out->csrf), PSY_TEXT(ip), PSY_INT(now),
                               PSY_INT(now), PSY_INT(out->expires_at), PSY_INT(out->must_enrol)))))
        return rc;
    return step_done(st, s, "starting a session");
}

/* Notes a failure of `kind` against every account of the attempt (or practice 0 for none). */
static psy_status note_failures(psy_store *st, const struct psy_auth_policy *pol, const struct attempt *a,
                                const char *ip, const char *kind, long long now)
{
    psy_status rc = PSY_OK;
    for (size_t i = 0; !rc && i < (a->n ? a->n : 1); i++)
        rc = note_failure(st, pol, a->n ? a->c[i].u.practice_id : 0, a->name, ip, kind, now);
    return rc;
}

/* The audit event of an attempt: on the trail of the account when there is exactly one. */
static psy_status audit_attempt(psy_store *st, const struct attempt *a, const struct psy_user *who,
                                const char *action, const char *ip)
{
    if (!who && a->n == 1) who = &a->c[0].u;
    return audit_add(st, who, who ? NULL : a->name, action, "", "", ip);
}

psy_status psy_auth_login(psy_store *st, const struct psy_auth_policy *policy, struct psy_login *l,
                          struct psy_auth_session *s)
{
    struct psy_auth_policy tmp;
    const struct psy_auth_policy *pol = policy_or_default(policy, &tmp);
    struct attempt *a = psy__calloc(1, sizeof *a);
    psy_status rc = need_sodium(st);
    if (rc) goto out;
    long long now = clock_now(l->now);
    const char *ip = l->ip ? l->ip : "";
    const char *code = l->code && *l->code ? l->code : NULL;
    l->result = PSY_LOGIN_BAD;
    l->retry_after = 0;
    l->nchoices = 0;
    memset(s, 0, sizeof *s);
    /* a name that cannot exist is still counted as a failure, under a fixed key */
    if (psy_auth_username_normalize(l->username, a->name)) snprintf(a->name, sizeof a->name, "(invalid)");
    size_t pwlen = l->password ? strlen(l->password) : 0;

    if ((rc = psy__store_begin(st))) goto out;
    if ((rc = psy__store_lock(st, LOGIN_LOCK))) goto fail;
    if ((rc = find_candidates(st, l->practice, a))) goto fail;
    if ((rc = throttle(st, pol, ip, now, a))) goto fail;
    long wait = a->account_wait > a->ip_wait ? a->account_wait : a->ip_wait;
    /* slowed down: only a code can get through (checked below, with the account's own code limit) */
    if (wait > 0 && !code) {
        l->result = PSY_LOGIN_LIMITED;
        l->retry_after = wait;
        if ((rc = audit_attempt(st, a, NULL, "login.limited", ip))) goto fail;
        rc = psy__store_commit(st);
        goto out;
    }
    /* release the write lock while Argon2 runs: it takes a good part of a second */
    if ((rc = psy__store_commit(st))) goto out;

    /* the same work whatever exists: one verification per account of the name, a dummy for none */
    int match[PSY_LOGIN_CHOICES] = {0}, nmatch = 0;
    size_t first = 0;
    if (a->n == 0) {
        char dummy[crypto_pwhash_STRBYTES];
        volatile int sink = 0; /* the answer is thrown away; the work is the point */
        if (dummy_hash(pol, dummy) == 0 && pwlen <= PSY_PASSWORD_MAX)
            sink = crypto_pwhash_str_verify(dummy, l->password ? l->password : "", pwlen);
        (void)sink;
        sodium_memzero(dummy, sizeof dummy);
    }
    for (size_t i = 0; i < a->n; i++) {
        match[i] = pwlen <= PSY_PASSWORD_MAX &&
                   crypto_pwhash_str_verify(a->c[i].hash, l->password ? l->password : "", pwlen) == 0 &&
                   a->c[i].u.active;
        if (match[i] && nmatch++ == 0) first = i;
    }
    forget_candidates(a);

    if ((rc = psy__store_begin(st))) goto out;
    if ((rc = psy__store_lock(st, LOGIN_LOCK))) goto fail;
    /* attempts running alongside (another thread or server) may have reached a limit meanwhile: then it
     * holds for this one too, so parallel guesses gain nothing */
    if ((rc = throttle(st, pol, ip, now, a))) goto fail;
    const struct psy_user *u = nmatch == 1 ? &a->c[first].u : NULL;
    wait = u ? a->c[first].wait[0] : a->account_wait;
    if (a->ip_wait > wait) wait = a->ip_wait;
    if (u && u->totp && code && a->c[first].wait[1] > 0) { /* codes tried too often: no way through */
        wait = a->c[first].wait[1] > wait ? a->c[first].wait[1] : wait;
        code = NULL;
    }

    if (nmatch == 0) {
        if ((rc = note_failures(st, pol, a, ip, "password", now))) goto fail;
        if ((rc = audit_attempt(st, a, NULL, "login.failed", ip))) goto fail;
        l->result = PSY_LOGIN_BAD;
    } else if (nmatch > 1) { /* the password is proven: say where it fits */
        for (size_t i = 0; i < a->n; i++)
            if (match[i]) copy_text(l->choices[l->nchoices++], PSY_PRACTICE_NAME_MAX, a->c[i].practice);
        l->result = PSY_LOGIN_CHOOSE;
    } else if (u->totp && !code) {
        l->result = wait > 0 ? PSY_LOGIN_LIMITED : PSY_LOGIN_CODE_NEEDED;
    } else if (u->totp) {
        int ok = 0;
        if ((rc = psy__totp_use(st, u->id, code, now, &ok))) goto fail;
        if (!ok) {
            struct attempt one = *a;
            one.c[0] = a->c[first];
            one.n = 1;
            if ((rc = note_failures(st, pol, &one, ip, "code", now))) goto fail;
            if ((rc = audit_attempt(st, a, u, "login.code_failed", ip))) goto fail;
            l->result = PSY_LOGIN_CODE_BAD;
        } else {
            l->result = PSY_LOGIN_OK;
        }
    } else {
        l->result = wait > 0 ? PSY_LOGIN_LIMITED : PSY_LOGIN_OK;
    }
    /* while slowed down, every answer but success is "wait": it tells nothing about the password; the
     * wait counts the failure just noted */
    if (wait > 0 && (l->result == PSY_LOGIN_BAD || l->result == PSY_LOGIN_CODE_BAD)) {
        if ((rc = throttle(st, pol, ip, now, a))) goto fail;
        long w = u ? a->c[first].wait[0] : a->account_wait;
        if (a->ip_wait > w) w = a->ip_wait;
        if (u && a->c[first].wait[1] > w) w = a->c[first].wait[1];
        if (w > wait) wait = w;
    }
    if (wait > 0 && l->result != PSY_LOGIN_OK) {
        /* failures are on the trail already */
        if ((l->result == PSY_LOGIN_CHOOSE || l->result == PSY_LOGIN_CODE_NEEDED || l->result == PSY_LOGIN_LIMITED) &&
            (rc = audit_attempt(st, a, u, "login.limited", ip)))
            goto fail;
        l->result = PSY_LOGIN_LIMITED;
        l->retry_after = wait;
        l->nchoices = 0;
    }
    if (l->result != PSY_LOGIN_OK) {
        rc = psy__store_commit(st);
        goto out;
    }
    /* a good sign-in forgets the account's failures (not the address's) */
    psy__stmt *del;
    if ((rc = prepare(st, "DELETE FROM login_failure WHERE practice_id = ? AND username = ?", &del,
                      PSY_ARGS(PSY_INT(u->practice_id), PSY_TEXT(a->name)))))
        goto fail;
    if ((rc = step_done(st, del, "clearing sign-in failures"))) goto fail;
    if ((rc = new_session(st, pol, u, ip, now, s))) goto fail;
    if ((rc = audit_add(st, u, NULL, "login", "", "", ip))) goto fail;
    if ((rc = psy__store_commit(st))) goto fail;
    goto out;
fail:
    psy__store_rollback(st);
    memset(s, 0, sizeof *s);
out:
    if (rc) l->result = PSY_LOGIN_BAD;
    forget_candidates(a);
    free(a);
    return rc;
}

/* A wrong current password is a failed sign-in of the account from ip: counted, and slowed down, the same
 * way (psy_auth_login's throttle). */
psy_status psy_auth_password_change(psy_store *st, const struct psy_auth_policy *policy, long long id,
                                    const char *current, const char *password, const char *keep_token,
                                    const char *ip, long *retry_after)
{
    struct psy_auth_policy tmp;
    const struct psy_auth_policy *pol = policy_or_default(policy, &tmp);
    char hash[crypto_pwhash_STRBYTES] = "", th[PSY_TOKEN_MAX] = "";
    long long now = clock_now(0);
    long wait_dummy;
    long *wait = retry_after ? retry_after : &wait_dummy;
    *wait = 0;
    ip = ip ? ip : "";
    psy_status rc = need_sodium(st);
    if (rc) return rc;
    if ((rc = check_password(st, password))) return rc;
    struct attempt *a = psy__calloc(1, sizeof *a);
    if ((rc = psy_auth_user_get(st, id, &a->c[0].u))) goto out;
    a->n = 1;
    copy_text(a->name, sizeof a->name, a->c[0].u.username);
    psy__stmt *s;
    if ((rc = prepare(st, "SELECT password_hash FROM app_user WHERE id = ?", &s, PSY_ARGS(PSY_INT(id))))) goto out;
    int src = psy__sql_step(s);
    if (src == PSY_SQL_ROW) copy_text(a->c[0].hash, sizeof a->c[0].hash, psy__sql_text(s, 0));
    psy__sql_finalize(s);
    if (src != PSY_SQL_ROW) {
        rc = psy__store_dbfail(st, "reading a user");
        goto out;
    }
    /* slowed down: refused without looking at the password */
    if ((rc = psy__store_begin(st))) goto out;
    if ((rc = psy__store_lock(st, LOGIN_LOCK)) || (rc = throttle(st, pol, ip, now, a))) goto fail;
    if ((rc = psy__store_commit(st))) goto out;
    *wait = a->account_wait > a->ip_wait ? a->account_wait : a->ip_wait;
    if (*wait > 0) {
        rc = psy__store_fail(st, PSY_EPERM, "current_password: too many wrong passwords; try again in %ld seconds",
                             *wait);
        goto out;
    }
    size_t n = current ? strlen(current) : 0;
    int ok = n <= PSY_PASSWORD_MAX && crypto_pwhash_str_verify(a->c[0].hash, current ? current : "", n) == 0;
    forget_candidates(a);
    if (!ok) {
        if ((rc = psy__store_begin(st))) goto out;
        if ((rc = psy__store_lock(st, LOGIN_LOCK)) || (rc = note_failures(st, pol, a, ip, "password", now))) goto fail;
        if ((rc = psy__store_commit(st))) goto out;
        rc = psy__store_fail(st, PSY_EPERM, "current_password: not your password");
        goto out;
    }
    if ((rc = hash_password(st, pol, password, hash))) goto out;
    if (keep_token && *keep_token) token_hash(keep_token, th);
    if ((rc = psy__store_begin(st))) goto out;
    if ((rc = prepare(st, "UPDATE app_user SET password_hash = ? WHERE id = ?", &s,
                      PSY_ARGS(PSY_TEXT(hash), PSY_INT(id)))))
        goto fail;
    if ((rc = step_done(st, s, "changing a password"))) goto fail;
    if ((rc = prepare(st, "DELETE FROM web_session WHERE user_id = ? AND token_hash <> ?", &s,
                      PSY_ARGS(PSY_INT(id), PSY_TEXT(th)))))
        goto fail;
    if ((rc = step_done(st, s, "ending sessions"))) goto fail;
    /* like a good sign-in, the right password forgets the account's failures */
    if ((rc = prepare(st, "DELETE FROM login_failure WHERE practice_id = ? AND username = ?", &s,
                      PSY_ARGS(PSY_INT(a->c[0].u.practice_id), PSY_TEXT(a->name)))))
        goto fail;
    if ((rc = step_done(st, s, "clearing sign-in failures"))) goto fail;
    rc = psy__store_commit(st);
    goto out;
fail:
    psy__store_rollback(st);
out:
    sodium_memzero(hash, sizeof hash);
    forget_candidates(a);
    free(a);
    return rc;
}

psy_status psy_auth_session_check(psy_store *st, const struct psy_auth_policy *policy, const char *token,
                                  long long now, struct psy_auth_session *out)
{
    struct psy_auth_policy tmp;
    const struct psy_auth_policy *pol = policy_or_default(policy, &tmp);
    memset(out, 0, sizeof *out);
    if (!token || strlen(token) != PSY_TOKEN_MAX - 1) return PSY_ENOTFOUND;
    psy_status rc = need_sodium(st);
    if (rc) return rc;
    now = clock_now(now);
    char th[PSY_TOKEN_MAX];
    token_hash(token, th);
    psy__stmt *s;
    if ((rc = prepare(st,
                      "SELECT w.id, w.csrf_token, w.created_at, w.last_seen, w.expires_at, " USER_COLS ", w.must_enrol"
                      " FROM web_session w JOIN app_user u ON u.id = w.user_id WHERE w.token_hash = ?",
                      &s, PSY_ARGS(PSY_TEXT(th)))))
        return rc;
    int src = psy__sql_step(s);
    if (src != PSY_SQL_ROW) {
        psy__sql_finalize(s);
        return src == PSY_SQL_DONE ? PSY_ENOTFOUND : psy__store_dbfail(st, "checking a session");
    }
    long long sid = psy__sql_int64(s, 0), last_seen = psy__sql_int64(s, 3);
    copy_text(out->csrf, sizeof out->csrf, psy__sql_text(s, 1));
    out->created_at = psy__sql_int64(s, 2);
    out->expires_at = psy__sql_int64(s, 4);
    read_user(s, 5, &out->user);
    out->must_enrol = psy__sql_int64(s, 5 + USER_NCOLS) && !out->user.totp;
    psy__sql_finalize(s);

    int expired = now >= out->expires_at || now - last_seen >= pol->idle_seconds || !out->user.active;
    if (expired || now - last_seen >= 60) {
        if (expired) {
            if ((rc = prepare(st, "DELETE FROM web_session WHERE id = ?", &s, PSY_ARGS(PSY_INT(sid))))) return rc;
        } else {
            if ((rc = prepare(st, "UPDATE web_session SET last_seen = ? WHERE id = ?", &s,
                              PSY_ARGS(PSY_INT(now), PSY_INT(sid)))))
                return rc;
        }
        if ((rc = step_done(st, s, "noting a session's use"))) return rc;
        last_seen = now;
    }
    if (expired) {
        memset(out, 0, sizeof *out);
        return PSY_ENOTFOUND;
    }
    out->idle_expires_at = last_seen + pol->idle_seconds;
    if (out->idle_expires_at > out->expires_at) out->idle_expires_at = out->expires_at;
    return PSY_OK;
}

psy_status psy_auth_logout(psy_store *st, const char *token)
{
    if (!token || !*token) return PSY_OK;
    psy_status rc = need_sodium(st);
    if (rc) return rc;
    char th[PSY_TOKEN_MAX];
    token_hash(token, th);
    psy__stmt *s;
    if ((rc = prepare(st, "DELETE FROM web_session WHERE token_hash = ?", &s, PSY_ARGS(PSY_TEXT(th))))) return rc;
    return step_done(st, s, "ending a session");
}

int psy_auth_csrf_ok(const struct psy_auth_session *s, const char *header)
{
    size_t n = strlen(s->csrf);
    if (!header || n == 0 || strlen(header) != n) return 0;
    return sodium_memcmp(s->csrf, header, n) == 0;
}
