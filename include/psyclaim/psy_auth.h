/*
 * psy_auth.h -- who may use a practice's data: users and roles, passwords, sign-in sessions with CSRF
 * tokens, sign-in rate limiting, the role/permission matrix, and the append-only audit trail.
 *
 * Passwords are hashed with Argon2id (libsodium). Session tokens are 32 random bytes; the store keeps
 * only their BLAKE2b hash. An optional second factor is a TOTP code (RFC 6238, liboath). Times given as `now` are Unix seconds; 0 means "the current time" (tests pass
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
    PSY_PERM_USERS_ADMIN, /* the practice's users: add, change, reset; the practice's two-factor rule */
    PSY_PERM_PRACTICE_WRITE,  /* the practice's settings and its clinicians */
    PSY_PERM_INSURANCE_WRITE, /* payers, clients' insurance policies and prior authorisations */
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
    int max_failures_user;              /* failures per (practice, user name) within the window ... */
    int max_failures_ip;                /* ... and per client address, before sign-in is slowed down */
    long failure_window;                /* seconds a failure is remembered */
    long delay_base;                    /* the first delay after the free failures, seconds; each */
    long delay_cap;                     /* further failure doubles it, up to delay_cap seconds */
};

/* Production values: Argon2id at libsodium's "interactive" limits (2 passes, 64 MiB), 30 minutes idle,
 * 12 hours absolute; after 5 failures of one account, or 20 from one address, within an hour, each
 * further try waits 2, 4, 8 ... seconds after the last failure, at most 15 minutes. */
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
    int totp;          /* has a confirmed TOTP second factor (read only) */
    int totp_required; /* the practice requires a second factor (read only) */
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

/* Changes the role and the clinician (0 = none; only a clinician user has one) of a user of the
 * practice. PSY_ENOTFOUND when the practice has no user id; PSY_EINVAL names the field ("role",
 * "clinician_id"), also for a clinician row that is not the practice's. */
psy_status psy_auth_user_update(psy_store *st, long long practice_id, long long id, psy_role role,
                                long long clinician_id);

/* A user changes their own password: current must be their password (else PSY_EPERM, after the same
 * Argon2id work). Ends every session of theirs except the one of keep_token (may be NULL). A wrong
 * current password counts as a failed sign-in of the account from address ip, and the same growing
 * delays apply: while the account or the address is slowed down every attempt is PSY_EPERM with
 * *retry_after (may be NULL) the seconds to wait; 0 when it is simply the wrong password. */
psy_status psy_auth_password_change(psy_store *st, const struct psy_auth_policy *policy, long long id,
                                    const char *current, const char *password, const char *keep_token,
                                    const char *ip, long *retry_after);

/* --- second factor (TOTP, RFC 6238: HMAC-SHA1, 30-second steps, 6 digits) ----------------------- */

#define PSY_TOTP_SECRET_BYTES 20
#define PSY_TOTP_B32_MAX 40   /* base32 of the secret plus NUL */
#define PSY_TOTP_URI_MAX 300

/* The TOTP code of secret at Unix time t with `digits` digits (6 to 8), into out (digits + 1 bytes).
 * PSY_EINVAL for a bad argument. */
psy_status psy_auth_totp_code(const unsigned char *secret, size_t len, long long t, int digits, char *out);

/* Starts enrolment: a new random secret for the user (replacing an unconfirmed one), returned once as
 * base32 and as an otpauth:// URI for authenticator apps (issuer "psyclaim", account the user
 * name). PSY_ECONFLICT when the user has a confirmed second factor already. */
psy_status psy_auth_totp_begin(psy_store *st, long long user_id, char secret_b32[PSY_TOTP_B32_MAX],
                               char uri[PSY_TOTP_URI_MAX]);

/* Finishes enrolment with the first code from the app (now 0 = the clock). PSY_EINVAL ("code") when it
 * is wrong; PSY_ENOTFOUND when no enrolment was started. */
psy_status psy_auth_totp_confirm(psy_store *st, long long user_id, const char *code, long long now);

/* Removes the user's second factor (an admin's help for a lost phone) and ends their sessions. */
psy_status psy_auth_totp_reset(psy_store *st, long long user_id);

/* Whether the practice requires a second factor of every user; and setting it. */
psy_status psy_auth_totp_required(psy_store *st, long long practice_id, int *required);
psy_status psy_auth_totp_require(psy_store *st, long long practice_id, int required);

/* An SVG picture of the QR code of text (libqrencode), as a data: URL (malloc'd) for an <img>. */
psy_status psy_auth_qr_data_url(const char *text, char **url);

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
    int must_enrol;            /* the practice requires a second factor the user has not set up: the
                                  session may only enrol one (and sign out) */
};

typedef enum {
    PSY_LOGIN_OK = 0,
    PSY_LOGIN_BAD,        /* wrong user name or password, or the user is turned off: one answer for all */
    PSY_LOGIN_LIMITED,    /* slowed down: try again after retry_after seconds */
    PSY_LOGIN_CHOOSE,     /* the password is right in several practices: choose one by its name */
    PSY_LOGIN_CODE_NEEDED,/* the password is right; the user has a second factor: send its code */
    PSY_LOGIN_CODE_BAD    /* the password is right; the code is wrong or was used already */
} psy_login_result;

#define PSY_LOGIN_CHOICES 8
#define PSY_PRACTICE_NAME_MAX 129

/* One sign-in attempt: the inputs, then what came of it. */
struct psy_login {
    const char *username;
    const char *password;
    const char *practice; /* a practice's name, after PSY_LOGIN_CHOOSE; NULL or "" = any */
    const char *code;     /* the second factor's code; NULL or "" = none */
    const char *ip;       /* the client's address: rate limiting and the audit trail */
    long long now;        /* 0 = the clock */
    /* OUT */
    psy_login_result result;
    long retry_after; /* PSY_LOGIN_LIMITED: seconds until the next try may succeed */
    size_t nchoices;  /* PSY_LOGIN_CHOOSE: the names of the practices the password is right in */
    char choices[PSY_LOGIN_CHOICES][PSY_PRACTICE_NAME_MAX];
};

/* Signs a user in. Every user name, known or not, costs the same Argon2id work per practice that holds
 * it and answers PSY_LOGIN_BAD when wrong. Failures are counted per (practice, user name) and per
 * address; past the free ones each try waits twice as long as the one before (PSY_LOGIN_LIMITED). While
 * slowed down, only the right password with a valid second-factor code gets in; every other attempt is
 * PSY_LOGIN_LIMITED, so nothing is learnt. On PSY_LOGIN_OK *s holds the new session with its token.
 * Every outcome is written to the audit trail. A status other than PSY_OK means a database problem. */
psy_status psy_auth_login(psy_store *st, const struct psy_auth_policy *policy, struct psy_login *l,
                          struct psy_auth_session *s);

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
#define PSY_AUDIT_OUTCOME_MAX 16
#define PSY_AUDIT_DETAIL_MAX 1024 /* longer details are cut, ending in "..." */

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
    char outcome[PSY_AUDIT_OUTCOME_MAX]; /* "ok", "failed", "forbidden", "not_found" */
    char detail[PSY_AUDIT_DETAIL_MAX];   /* e.g. "payer=DEMOBLU01 claims=4,7,9"; never patient data */
};

/* Appends one event: `who` did `action` to the record record_type/record_id (both may be NULL or "")
 * from address ip (may be NULL). Every read and write of patient data calls this. Texts longer than the
 * column caps above are refused with PSY_EINVAL. */
psy_status psy_auth_audit(psy_store *st, const struct psy_user *who, const char *action,
                          const char *record_type, const char *record_id, const char *ip);

/* psy_auth_audit with how the attempt ended (outcome NULL = "ok"; at most PSY_AUDIT_OUTCOME_MAX - 1
 * characters) and what it concerned (detail, may be NULL; cut to PSY_AUDIT_DETAIL_MAX - 1 bytes). */
psy_status psy_auth_audit_outcome(psy_store *st, const struct psy_user *who, const char *action,
                                  const char *record_type, const char *record_id, const char *outcome,
                                  const char *detail, const char *ip);

/* What an admin looks for on the trail; NULL or "" leaves a condition out. */
struct psy_audit_filter {
    const char *username;    /* exactly this user name */
    const char *action;      /* exactly this action, or every action under a prefix ending in "." */
    const char *record_type; /* e.g. "client" */
    const char *record_id;   /* e.g. "12" */
    const char *outcome;     /* e.g. "not_found" */
    const char *from_utc;    /* events at or after this instant ("YYYY-MM-DDTHH:MM:SSZ") */
    const char *to_utc;      /* events before this instant */
};

/* A page of the events a practice's admin sees, newest first, under filter f (may be NULL): the
 * practice's own events, and failed sign-ins that named no practice (the user name typed is not
 * shown: it may belong to another practice, or be a password typed in the wrong box). Arrays as for
 * psy_auth_audit_list; limit is capped at 500. */
psy_status psy_auth_audit_query(psy_store *st, long long practice_id, const struct psy_audit_filter *f,
                                long long offset, long long limit, struct psy_audit_event **events, size_t *n,
                                long long *total);

/* The same by keyset (struct psy_page in psy_store.h): the page after pg->cursor, newest first. */
psy_status psy_auth_audit_page(psy_store *st, long long practice_id, const struct psy_audit_filter *f,
                               struct psy_page *pg, struct psy_audit_event **events, size_t *n);

/* A page of a practice's events, newest first. OUT *events is an array of *n (free with free()), OUT
 * *total (may be NULL) the number of events of the practice. limit is capped at 500. */
psy_status psy_auth_audit_list(psy_store *st, long long practice_id, long long offset, long long limit,
                               struct psy_audit_event **events, size_t *n, long long *total);

#endif
