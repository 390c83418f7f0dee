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
 * every claim but never reads note text; the audit trail is for admins. */
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
    p->failure_window = 15 * 60;
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

static psy_status prepare(psy_store *st, const char *sql, psy__stmt **s)
{
    *s = psy__sql_prepare(st, sql);
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
    if ((rc = prepare(st, "INSERT INTO app_user (practice_id, username, role, clinician_id, password_hash, "
                          "active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id", &s))) {
        psy__store_rollback(st);
        goto out;
    }
    psy__sql_bind_int64(s, 1, u->practice_id);
    psy__sql_bind_text(s, 2, name);
    psy__sql_bind_text(s, 3, role_names[u->role]);
    if (u->clinician_id) psy__sql_bind_int64(s, 4, u->clinician_id);
    else psy__sql_bind_null(s, 4);
    psy__sql_bind_text(s, 5, hash);
    psy__sql_bind_int64(s, 6, u->active ? 1 : 0);
    psy__sql_bind_text(s, 7, created);
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

#define USER_COLS "u.id, u.practice_id, u.username, u.role, u.clinician_id, u.active, u.created_at"

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
}

psy_status psy_auth_user_get(psy_store *st, long long id, struct psy_user *out)
{
    psy__stmt *s;
    psy_status rc = prepare(st, "SELECT " USER_COLS " FROM app_user u WHERE u.id = ?", &s);
    if (rc) return rc;
    psy__sql_bind_int64(s, 1, id);
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
    psy_status rc = prepare(st, "SELECT " USER_COLS " FROM app_user u WHERE CAST(? AS BIGINT) = 0 "
                                "OR u.practice_id = ? ORDER BY u.practice_id, u.username", &s);
    if (rc) return rc;
    psy__sql_bind_int64(s, 1, practice_id);
    psy__sql_bind_int64(s, 2, practice_id);
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
    psy_status rc = prepare(st, "DELETE FROM web_session WHERE user_id = ?", &s);
    if (rc) return rc;
    psy__sql_bind_int64(s, 1, user_id);
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
    if ((rc = prepare(st, sql, &s))) goto fail;
    if (text) psy__sql_bind_text(s, 1, text);
    else psy__sql_bind_int64(s, 1, value);
    psy__sql_bind_int64(s, 2, id);
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

/* --- audit trail ---------------------------------------------------------------------------------- */

/* Appends an event; who may be NULL (then username, possibly "", names the attempt). */
static psy_status audit_add(psy_store *st, const struct psy_user *who, const char *username,
                            const char *action, const char *record_type, const char *record_id,
                            const char *ip)
{
    if (!action || !*action || strlen(action) >= PSY_AUDIT_ACTION_MAX)
        return psy__store_fail(st, PSY_EINVAL, "audit: action must be 1 to %d characters",
                               PSY_AUDIT_ACTION_MAX - 1);
    if (record_type && strlen(record_type) >= PSY_AUDIT_TYPE_MAX)
        return psy__store_fail(st, PSY_EINVAL, "audit: record type too long");
    if (record_id && strlen(record_id) >= PSY_AUDIT_ID_MAX)
        return psy__store_fail(st, PSY_EINVAL, "audit: record id too long");
    if (ip && strlen(ip) >= PSY_IP_MAX) return psy__store_fail(st, PSY_EINVAL, "audit: address too long");
    char at[PSY_TIME_MAX];
    utc_text(clock_now(0), at);
    psy__stmt *s;
    psy_status rc = prepare(st, "INSERT INTO audit_event (practice_id, at, user_id, username, action, "
                                "record_type, record_id, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &s);
    if (rc) return rc;
    if (who) {
        psy__sql_bind_int64(s, 1, who->practice_id);
        psy__sql_bind_int64(s, 3, who->id);
        username = who->username;
    } else {
        psy__sql_bind_null(s, 1);
        psy__sql_bind_null(s, 3);
    }
    psy__sql_bind_text(s, 2, at);
    psy__sql_bind_text(s, 4, username ? username : "");
    psy__sql_bind_text(s, 5, action);
    psy__sql_bind_text(s, 6, record_type ? record_type : "");
    psy__sql_bind_text(s, 7, record_id ? record_id : "");
    psy__sql_bind_text(s, 8, ip ? ip : "");
    return step_done(st, s, "writing the audit trail");
}

psy_status psy_auth_audit(psy_store *st, const struct psy_user *who, const char *action,
                          const char *record_type, const char *record_id, const char *ip)
{
    if (!who) return psy__store_fail(st, PSY_EINVAL, "audit: no user");
    return audit_add(st, who, NULL, action, record_type, record_id, ip);
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
        if ((rc = prepare(st, "SELECT count(*) FROM audit_event WHERE practice_id = ?", &s))) return rc;
        psy__sql_bind_int64(s, 1, practice_id);
        int src = psy__sql_step(s);
        *total = src == PSY_SQL_ROW ? psy__sql_int64(s, 0) : 0;
        psy__sql_finalize(s);
        if (src == PSY_SQL_ERROR) return psy__store_dbfail(st, "reading the audit trail");
    }
    if ((rc = prepare(st, "SELECT id, coalesce(practice_id, 0), at, coalesce(user_id, 0), username, action, "
                          "record_type, record_id, ip FROM audit_event WHERE practice_id = ? "
                          "ORDER BY id DESC LIMIT ? OFFSET ?", &s)))
        return rc;
    psy__sql_bind_int64(s, 1, practice_id);
    psy__sql_bind_int64(s, 2, limit);
    psy__sql_bind_int64(s, 3, offset);
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

/* --- sign-in -------------------------------------------------------------------------------------- */

/* Failures since `since` for one column value (username or ip), and the oldest one's time. */
static psy_status count_failures(psy_store *st, const char *col_sql, const char *value, long long since,
                                 long *count, long long *oldest)
{
    psy__stmt *s;
    *count = 0;
    *oldest = 0;
    psy_status rc = prepare(st, col_sql, &s);
    if (rc) return rc;
    psy__sql_bind_text(s, 1, value);
    psy__sql_bind_int64(s, 2, since);
    int src = psy__sql_step(s);
    if (src == PSY_SQL_ROW) {
        *count = (long)psy__sql_int64(s, 0);
        *oldest = psy__sql_int64(s, 1);
    }
    psy__sql_finalize(s);
    return src == PSY_SQL_ROW ? PSY_OK : psy__store_dbfail(st, "counting sign-in failures");
}

/* Seconds until sign-in may be tried again for this user name and address; 0 when it may now. */
static psy_status rate_limited(psy_store *st, const struct psy_auth_policy *pol, const char *name,
                               const char *ip, long long now, long *wait)
{
    long n;
    long long oldest, since = now - pol->failure_window;
    *wait = 0;
    psy_status rc = count_failures(st, "SELECT count(*), coalesce(min(at), 0) FROM login_failure "
                                       "WHERE username = ? AND at > ?", name, since, &n, &oldest);
    if (rc) return rc;
    if (n >= pol->max_failures_user) *wait = (long)(oldest + pol->failure_window - now);
    rc = count_failures(st, "SELECT count(*), coalesce(min(at), 0) FROM login_failure "
                            "WHERE ip = ? AND at > ?", ip, since, &n, &oldest);
    if (rc) return rc;
    if (n >= pol->max_failures_ip) {
        long w = (long)(oldest + pol->failure_window - now);
        if (w > *wait) *wait = w;
    }
    return PSY_OK;
}

static psy_status note_failure(psy_store *st, const struct psy_auth_policy *pol, const char *name,
                               const char *ip, long long now)
{
    psy__stmt *s;
    psy_status rc = prepare(st, "DELETE FROM login_failure WHERE at <= ?", &s);
    if (rc) return rc;
    psy__sql_bind_int64(s, 1, now - pol->failure_window);
    if ((rc = step_done(st, s, "pruning sign-in failures"))) return rc;
    if ((rc = prepare(st, "INSERT INTO login_failure (username, ip, at) VALUES (?, ?, ?)", &s))) return rc;
    psy__sql_bind_text(s, 1, name);
    psy__sql_bind_text(s, 2, ip);
    psy__sql_bind_int64(s, 3, now);
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

/* Looks the user and their hash up. OUT *found: 0 none, 1 one, 2 several (practice needed). */
static psy_status find_login(psy_store *st, long long practice_id, const char *name, struct psy_user *u,
                             char hash[crypto_pwhash_STRBYTES], int *found)
{
    psy__stmt *s;
    psy_status rc = prepare(st, "SELECT " USER_COLS ", u.password_hash FROM app_user u "
                                "WHERE u.username = ? AND (CAST(? AS BIGINT) = 0 OR u.practice_id = ?) "
                                "ORDER BY u.id LIMIT 2", &s);
    if (rc) return rc;
    psy__sql_bind_text(s, 1, name);
    psy__sql_bind_int64(s, 2, practice_id);
    psy__sql_bind_int64(s, 3, practice_id);
    *found = 0;
    int src;
    while ((src = psy__sql_step(s)) == PSY_SQL_ROW) {
        if (++*found == 1) {
            read_user(s, 0, u);
            copy_text(hash, crypto_pwhash_STRBYTES, psy__sql_text(s, 7));
        }
    }
    psy__sql_finalize(s);
    return src == PSY_SQL_DONE ? PSY_OK : psy__store_dbfail(st, "signing in");
}

static psy_status new_session(psy_store *st, const struct psy_auth_policy *pol, const struct psy_user *u,
                              const char *ip, long long now, struct psy_auth_session *out)
{
    char th[PSY_TOKEN_MAX];
    psy__stmt *s;
    psy_status rc = prepare(st, "DELETE FROM web_session WHERE expires_at <= ? OR last_seen <= ?", &s);
    if (rc) return rc;
    psy__sql_bind_int64(s, 1, now);
    psy__sql_bind_int64(s, 2, now - pol->idle_seconds);
    if ((rc = step_done(st, s, "pruning sessions"))) return rc;
    memset(out, 0, sizeof *out);
    random_token(out->token);
    random_token(out->csrf);
    token_hash(out->token, th);
    out->user = *u;
    out->created_at = now;
    out->expires_at = now + pol->absolute_seconds;
    out->idle_expires_at = now + pol->idle_seconds;
    if (out->idle_expires_at > out->expires_at) out->idle_expires_at = out->expires_at;
    if ((rc = prepare(st, "INSERT INTO web_session (token_hash, user_id, csrf_token, ip, created_at, "
                          "last_seen, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)", &s)))
        return rc;
    psy__sql_bind_text(s, 1, th);
    psy__sql_bind_int64(s, 2, u->id);
    psy__sql_bind_text(s, 3, out->csrf);
    psy__sql_bind_text(s, 4, ip);
    psy__sql_bind_int64(s, 5, now);
    psy__sql_bind_int64(s, 6, now);
    psy__sql_bind_int64(s, 7, out->expires_at);
    return step_done(st, s, "starting a session");
}

psy_status psy_auth_login(psy_store *st, const struct psy_auth_policy *policy, long long practice_id,
                          const char *username, const char *password, const char *ip, long long now,
                          psy_login_result *result, struct psy_auth_session *s, long *retry_after)
{
    struct psy_auth_policy tmp;
    const struct psy_auth_policy *pol = policy_or_default(policy, &tmp);
    char name[PSY_USERNAME_MAX], hash[crypto_pwhash_STRBYTES] = "";
    struct psy_user u;
    memset(&u, 0, sizeof u);
    int found = 0;
    long wait = 0;
    psy_status rc = need_sodium(st);
    if (rc) return rc;
    now = clock_now(now);
    ip = ip ? ip : "";
    *result = PSY_LOGIN_BAD;
    if (retry_after) *retry_after = 0;
    memset(s, 0, sizeof *s);
    /* A name that cannot exist is still counted as a failure, under a fixed key. */
    if (psy_auth_username_normalize(username, name)) snprintf(name, sizeof name, "(invalid)");
    size_t pwlen = password ? strlen(password) : 0;

    if ((rc = psy__store_begin(st))) return rc;
    if ((rc = psy__store_lock(st, LOGIN_LOCK))) goto fail;
    if ((rc = rate_limited(st, pol, name, ip, now, &wait))) goto fail;
    if ((rc = find_login(st, practice_id, name, &u, hash, &found))) goto fail;
    if (wait > 0) { /* refused unchecked; on the trail of the user's practice when there is one */
        *result = PSY_LOGIN_LIMITED;
        if (retry_after) *retry_after = wait;
        sodium_memzero(hash, sizeof hash);
        if ((rc = audit_add(st, found == 1 ? &u : NULL, name, "login.limited", "", "", ip))) goto fail;
        return psy__store_commit(st);
    }
    if (found > 1) {
        *result = PSY_LOGIN_AMBIGUOUS;
        return psy__store_commit(st);
    }
    /* Release the write lock while Argon2 runs: it takes a good part of a second. */
    if ((rc = psy__store_commit(st))) return rc;

    int have_hash = found || dummy_hash(pol, hash) == 0;
    int ok = have_hash && pwlen <= PSY_PASSWORD_MAX &&
             crypto_pwhash_str_verify(hash, password ? password : "", pwlen) == 0;
    ok = ok && found && u.active;
    sodium_memzero(hash, sizeof hash);

    if ((rc = psy__store_begin(st))) return rc;
    if ((rc = psy__store_lock(st, LOGIN_LOCK))) goto fail;
    /* attempts running alongside (another thread or server) may have reached the limit meanwhile: then
     * it holds for this one too, whatever the password, so parallel guesses gain nothing */
    if ((rc = rate_limited(st, pol, name, ip, now, &wait))) goto fail;
    if (wait > 0) {
        *result = PSY_LOGIN_LIMITED;
        if (retry_after) *retry_after = wait;
        if ((rc = audit_add(st, found ? &u : NULL, name, "login.limited", "", "", ip))) goto fail;
        return psy__store_commit(st);
    }
    if (!ok) {
        if ((rc = note_failure(st, pol, name, ip, now))) goto fail;
        if ((rc = audit_add(st, found ? &u : NULL, name, "login.failed", "", "", ip))) goto fail;
        return psy__store_commit(st);
    }
    /* A good sign-in forgets the user name's failures (not the address's). */
    psy__stmt *del;
    if ((rc = prepare(st, "DELETE FROM login_failure WHERE username = ?", &del))) goto fail;
    psy__sql_bind_text(del, 1, name);
    if ((rc = step_done(st, del, "clearing sign-in failures"))) goto fail;
    if ((rc = new_session(st, pol, &u, ip, now, s))) goto fail;
    if ((rc = audit_add(st, &u, NULL, "login", "", "", ip))) goto fail;
    if ((rc = psy__store_commit(st))) goto fail;
    *result = PSY_LOGIN_OK;
    return PSY_OK;
fail:
    psy__store_rollback(st);
    memset(s, 0, sizeof *s);
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
    if ((rc = prepare(st, "SELECT w.id, w.csrf_token, w.created_at, w.last_seen, w.expires_at, " USER_COLS
                          " FROM web_session w JOIN app_user u ON u.id = w.user_id WHERE w.token_hash = ?",
                      &s)))
        return rc;
    psy__sql_bind_text(s, 1, th);
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
    psy__sql_finalize(s);

    int expired = now >= out->expires_at || now - last_seen >= pol->idle_seconds || !out->user.active;
    if (expired || now - last_seen >= 60) {
        if (expired) {
            if ((rc = prepare(st, "DELETE FROM web_session WHERE id = ?", &s))) return rc;
            psy__sql_bind_int64(s, 1, sid);
        } else {
            if ((rc = prepare(st, "UPDATE web_session SET last_seen = ? WHERE id = ?", &s))) return rc;
            psy__sql_bind_int64(s, 1, now);
            psy__sql_bind_int64(s, 2, sid);
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
    if ((rc = prepare(st, "DELETE FROM web_session WHERE token_hash = ?", &s))) return rc;
    psy__sql_bind_text(s, 1, th);
    return step_done(st, s, "ending a session");
}

int psy_auth_csrf_ok(const struct psy_auth_session *s, const char *header)
{
    size_t n = strlen(s->csrf);
    if (!header || n == 0 || strlen(header) != n) return 0;
    return sodium_memcmp(s->csrf, header, n) == 0;
}
