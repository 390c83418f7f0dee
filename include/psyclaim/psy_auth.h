/*
 * psy_auth.h -- who may use a practice's data: users and roles, passwords, sign-in sessions with CSRF
 * tokens, sign-in rate limiting, the role/permission matrix, and the append-only audit trail.
 *
 * Passwords are hashed with Argon2id (libsodium). Session tokens are 32 random bytes; the store keeps
 * only their BLAKE2b hash. Times given as `now` are Unix seconds; 0 means "the current time" (tests pass
 * their own clock to check expiry).
 */
#ifndef PSY_AUTH_H
#define PSY_AUTH_H

#include "psyclaim.h"
#include "psy_store.h"

typedef enum { PSY_ROLE_ADMIN = 0, PSY_ROLE_CLINICIAN, PSY_ROLE_BILLER, PSY_ROLE_COUNT } psy_role;

/* "admin", "clinician", "biller". */
const char *psy_auth_role_name(psy_role role);

/* Parses a role name (any case); PSY_EINVAL when unknown. */
psy_status psy_auth_role_parse(const char *name, psy_role *out);

/* --- the permission matrix --------------------------------------------------------------------- */

/* What a request wants to do. Every route of the web server names one. */
typedef enum {
    PSY_PERM_SESSION = 0, /* see and end one's own session */
    PSY_PERM_CODES_READ,  /* the code reference: code pages, search */
    PSY_PERM_AUDIT_READ,  /* the practice's audit trail */
    PSY_PERM_CLIENTS_READ,
    PSY_PERM_CLIENTS_WRITE,
    PSY_PERM_NOTES_READ,  /* note text */
    PSY_PERM_NOTES_WRITE,
    PSY_PERM_CLAIMS_READ,
    PSY_PERM_CLAIMS_WRITE,
    PSY_PERM_REPORTS_READ,
    PSY_PERM_CLIENTS_IMPORT, /* clients, diagnoses and insurance from another system's CSV */
    PSY_PERM_COUNT
} psy_perm;

/* How far a permission reaches. */
typedef enum {
    PSY_SCOPE_NONE = 0, /* refused */
    PSY_SCOPE_OWN,      /* only records tied to the user (a clinician's own clients and groups) */
    PSY_SCOPE_PRACTICE  /* every record of the user's practice */
} psy_scope;

/* Looks the role up in the matrix (src/lib/auth.c, also in docs/web.md). Never fails. */
psy_scope psy_auth_scope(psy_role role, psy_perm perm);

/* "codes.read", "audit.read", ...; never NULL. */
const char *psy_auth_perm_name(psy_perm perm);

/* --- policy -------------------------------------------------------------------------------------- */

struct psy_auth_policy {
    unsigned long long pwhash_opslimit; /* Argon2id passes for new hashes */
    size_t pwhash_memlimit;             /* Argon2id memory in bytes for new hashes */
    long idle_seconds;                  /* a session ends after this long without a request */
    long absolute_seconds;              /* ... and this long after sign-in, whatever happens */
    int max_failures_user;              /* failed sign-ins per user name within the window ... */
    int max_failures_ip;                /* ... and per client address, before sign-in is refused */
    long failure_window;                /* seconds */
};

/* Production values: Argon2id at libsodium's "interactive" limits (2 passes, 64 MiB), 30 minutes idle,
 * 12 hours absolute, 5 failures per user name and 20 per address within 15 minutes. */
void psy_auth_policy_init(struct psy_auth_policy *p);

/* --- users --------------------------------------------------------------------------------------- */

#define PSY_USERNAME_MAX 65  /* 64 characters plus NUL */
#define PSY_TIME_MAX 21      /* "YYYY-MM-DDTHH:MM:SSZ" plus NUL */
#define PSY_PASSWORD_MIN 8   /* bytes */
#define PSY_PASSWORD_MAX 1024

struct psy_user {
    long long id;
    long long practice_id;
    long long clinician_id; /* 0 = none */
    char username[PSY_USERNAME_MAX];
    psy_role role;
    int active;
    char created_at[PSY_TIME_MAX];
};

/* Checks a user name: 1 to 64 characters of a-z, 0-9, '.', '_', '-', '@' (upper case is folded to
 * lower case into out). PSY_EINVAL otherwise. */
psy_status psy_auth_username_normalize(const char *in, char out[PSY_USERNAME_MAX]);

/* Adds a user. Reads practice_id, username, role, clinician_id and active from u (id and created_at are
 * ignored). The password must be PSY_PASSWORD_MIN..PSY_PASSWORD_MAX bytes of UTF-8. policy NULL = the
 * production policy. OUT *id (may be NULL) is the new user's id. PSY_EINVAL names the bad field in the
 * store's message; PSY_ECONFLICT when the practice has the user name already. */
psy_status psy_auth_user_add(psy_store *st, const struct psy_auth_policy *policy, const struct psy_user *u,
                             const char *password, long long *id);

/* One user by id; PSY_ENOTFOUND when there is none. */
psy_status psy_auth_user_get(psy_store *st, long long id, struct psy_user *out);

/* The users of a practice (practice_id 0: of every practice), by practice and user name. OUT *users is
 * an array of *n (free it with free()). */
psy_status psy_auth_user_list(psy_store *st, long long practice_id, struct psy_user **users, size_t *n);

/* Replaces a user's password (same rules as psy_auth_user_add) and ends all their sessions. */
psy_status psy_auth_user_set_password(psy_store *st, const struct psy_auth_policy *policy, long long id,
                                      const char *password);

/* Turns a user on or off; turning off ends all their sessions at once. */
psy_status psy_auth_user_set_active(psy_store *st, long long id, int active);

/* --- sessions ------------------------------------------------------------------------------------ */

#define PSY_TOKEN_MAX 65 /* 64 hex digits plus NUL */
#define PSY_IP_MAX 46    /* INET6_ADDRSTRLEN */

struct psy_auth_session {
    char token[PSY_TOKEN_MAX]; /* the secret cookie value; "" except right after psy_auth_login */
    char csrf[PSY_TOKEN_MAX];  /* must come back in X-CSRF-Token on every state change */
    struct psy_user user;
    long long created_at;      /* Unix seconds */
    long long expires_at;      /* absolute end */
    long long idle_expires_at; /* end if no request comes before it */
};

typedef enum {
    PSY_LOGIN_OK = 0,
    PSY_LOGIN_BAD,       /* wrong user name or password, or the user is turned off */
    PSY_LOGIN_LIMITED,   /* too many failures lately; nothing was checked */
    PSY_LOGIN_AMBIGUOUS  /* the user name exists in several practices: give the practice */
} psy_login_result;

/* Signs a user in. practice_id 0 finds the practice from the user name. ip is the client's address
 * (used for rate limiting and the audit trail). On PSY_OK, OUT *result says what happened; on
 * PSY_LOGIN_OK OUT *s holds the new session with its token; on PSY_LOGIN_LIMITED OUT *retry_after (may
 * be NULL) holds the seconds until the next try may succeed. Every outcome is written to the audit
 * trail. A failure returns a status only for a database problem. */
psy_status psy_auth_login(psy_store *st, const struct psy_auth_policy *policy, long long practice_id,
                          const char *username, const char *password, const char *ip, long long now,
                          psy_login_result *result, struct psy_auth_session *s, long *retry_after);

/* Finds the live session of a token and notes the request (last seen, at most once a minute).
 * PSY_ENOTFOUND when the token is unknown, expired (idle or absolute; the row is removed) or its user
 * is turned off. OUT s->token stays "". */
psy_status psy_auth_session_check(psy_store *st, const struct psy_auth_policy *policy, const char *token,
                                  long long now, struct psy_auth_session *s);

/* Ends the session of a token (no error when there is none). */
psy_status psy_auth_logout(psy_store *st, const char *token);

/* 1 when header (may be NULL) is the session's CSRF token; compares in constant time. */
int psy_auth_csrf_ok(const struct psy_auth_session *s, const char *header);

/* --- audit trail --------------------------------------------------------------------------------- */

#define PSY_AUDIT_ACTION_MAX 48
#define PSY_AUDIT_TYPE_MAX 32
#define PSY_AUDIT_ID_MAX 64

struct psy_audit_event {
    long long id;
    long long practice_id; /* 0 = none (failed sign-in under an unknown user name) */
    long long user_id;     /* 0 = none */
    char at[PSY_TIME_MAX];
    char username[PSY_USERNAME_MAX];
    char action[PSY_AUDIT_ACTION_MAX];  /* "login", "client.read", ... */
    char record_type[PSY_AUDIT_TYPE_MAX];
    char record_id[PSY_AUDIT_ID_MAX];
    char ip[PSY_IP_MAX];
};

/* Appends one event: `who` did `action` to the record record_type/record_id (both may be NULL or "")
 * from address ip (may be NULL). Every read and write of patient data calls this. Texts longer than the
 * column caps above are refused with PSY_EINVAL. */
psy_status psy_auth_audit(psy_store *st, const struct psy_user *who, const char *action,
                          const char *record_type, const char *record_id, const char *ip);

/* A page of a practice's events, newest first. OUT *events is an array of *n (free with free()), OUT
 * *total (may be NULL) the number of events of the practice. limit is capped at 500. */
psy_status psy_auth_audit_list(psy_store *st, long long practice_id, long long offset, long long limit,
                               struct psy_audit_event **events, size_t *n, long long *total);

#endif
