/* test_auth.c -- users, passwords, sessions and their expiry, sign-in rate limiting, the role matrix,
 * the append-only audit trail, and the `psyclaim user` command; on SQLite and on PostgreSQL. */
#include "backends.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1700000000LL /* the tests' clock */

static struct psy_auth_policy fast; /* Argon2id at its minimum cost, so tests stay quick */
static psy_store *st;                /* a fresh seeded store per test */
static struct test_db sdb;           /* its database */

static int setup_policy(void **state)
{
    (void)state;
    psy_auth_policy_init(&fast);
    fast.pwhash_opslimit = 1;
    fast.pwhash_memlimit = 8192 * 1024;
    return 0;
}

static int open_store(void **state)
{
    test_db_make(*state, &sdb);
    st = test_db_open(&sdb, 1);
    return 0;
}

static int close_store(void **state)
{
    (void)state;
    psy_store_close(st);
    test_db_drop(&sdb);
    return 0;
}

static long long add(long long practice, const char *name, psy_role role, const char *pw)
{
    struct psy_user u = {0};
    u.practice_id = practice;
    u.role = role;
    u.active = 1;
    snprintf(u.username, sizeof u.username, "%s", name);
    long long id = 0;
    psy_status rc = psy_auth_user_add(st, &fast, &u, pw, &id);
    if (rc) fprintf(stderr, "add %s: %s\n", name, psy_store_errmsg(st));
    assert_int_equal(rc, PSY_OK);
    assert_true(id > 0);
    return id;
}

/* One sign-in; practice 0 names none, N names "Practice N" (the tests' users have no practice row). */
static psy_login_result login_code(psy_store *store, long long practice, const char *name, const char *pw,
                                   const char *code, const char *ip, long long now, struct psy_auth_session *s,
                                   long *wait)
{
    char pname[32];
    snprintf(pname, sizeof pname, "Practice %lld", practice);
    struct psy_login l = {.username = name, .password = pw, .practice = practice ? pname : NULL, .code = code,
                          .ip = ip, .now = now};
    assert_int_equal(psy_auth_login(store, &fast, &l, s), PSY_OK);
    if (wait) *wait = l.retry_after;
    return l.result;
}

static psy_login_result login(psy_store *store, long long practice, const char *name, const char *pw, const char *ip,
                              long long now, struct psy_auth_session *s, long *wait)
{
    return login_code(store, practice, name, pw, NULL, ip, now, s, wait);
}

static long long count_rows(const char *sql) { return test_db_count(&sdb, sql); }

static void test_roles_and_matrix(void **state)
{
    (void)state;
    psy_role r;
    assert_int_equal(psy_auth_role_parse("Clinician", &r), PSY_OK);
    assert_int_equal(r, PSY_ROLE_CLINICIAN);
    assert_int_equal(psy_auth_role_parse("owner", &r), PSY_EINVAL);
    assert_string_equal(psy_auth_role_name(PSY_ROLE_BILLER), "biller");
    /* the rules of the issue: a clinician reaches only their own clients; a biller sees claims but
     * never note text; the audit trail is for admins; everyone may read the code reference */
    assert_int_equal(psy_auth_scope(PSY_ROLE_CLINICIAN, PSY_PERM_CLIENTS_READ), PSY_SCOPE_OWN);
    assert_int_equal(psy_auth_scope(PSY_ROLE_CLINICIAN, PSY_PERM_NOTES_READ), PSY_SCOPE_OWN);
    assert_int_equal(psy_auth_scope(PSY_ROLE_BILLER, PSY_PERM_NOTES_READ), PSY_SCOPE_NONE);
    assert_int_equal(psy_auth_scope(PSY_ROLE_BILLER, PSY_PERM_CLAIMS_READ), PSY_SCOPE_PRACTICE);
    assert_int_equal(psy_auth_scope(PSY_ROLE_ADMIN, PSY_PERM_AUDIT_READ), PSY_SCOPE_PRACTICE);
    assert_int_equal(psy_auth_scope(PSY_ROLE_CLINICIAN, PSY_PERM_AUDIT_READ), PSY_SCOPE_NONE);
    assert_int_equal(psy_auth_scope(PSY_ROLE_BILLER, PSY_PERM_AUDIT_READ), PSY_SCOPE_NONE);
    for (int role = 0; role < PSY_ROLE_COUNT; role++) {
        assert_int_equal(psy_auth_scope((psy_role)role, PSY_PERM_CODES_READ), PSY_SCOPE_PRACTICE);
        assert_int_equal(psy_auth_scope((psy_role)role, PSY_PERM_SESSION), PSY_SCOPE_OWN);
    }
    for (int p = 0; p < PSY_PERM_COUNT; p++) assert_string_not_equal(psy_auth_perm_name((psy_perm)p), "unknown");
    assert_int_equal(psy_auth_scope(PSY_ROLE_COUNT, PSY_PERM_CODES_READ), PSY_SCOPE_NONE);
    assert_int_equal(psy_auth_scope(PSY_ROLE_ADMIN, PSY_PERM_COUNT), PSY_SCOPE_NONE);
}

static void test_users(void **state)
{
    (void)state;
    char norm[PSY_USERNAME_MAX];
    assert_int_equal(psy_auth_username_normalize("Dr.Lee@Clinic", norm), PSY_OK);
    assert_string_equal(norm, "dr.lee@clinic");
    assert_int_equal(psy_auth_username_normalize("two words", norm), PSY_EINVAL);
    assert_int_equal(psy_auth_username_normalize("", norm), PSY_EINVAL);

    long long a = add(1, "Ada", PSY_ROLE_ADMIN, "correct horse");
    add(1, "bo", PSY_ROLE_BILLER, "battery staple");
    add(2, "ada", PSY_ROLE_CLINICIAN, "another secret");
    struct psy_user u = {0};
    u.practice_id = 1;
    u.role = PSY_ROLE_CLINICIAN;
    u.active = 1;
    snprintf(u.username, sizeof u.username, "ADA");
    assert_int_equal(psy_auth_user_add(st, &fast, &u, "whatever123", NULL), PSY_ECONFLICT);
    snprintf(u.username, sizeof u.username, "cy");
    assert_int_equal(psy_auth_user_add(st, &fast, &u, "short", NULL), PSY_EINVAL);
    assert_non_null(strstr(psy_store_errmsg(st), "password"));
    assert_int_equal(psy_auth_user_add(st, &fast, &u, "bad\xff utf8 text", NULL), PSY_EINVAL);
    u.role = PSY_ROLE_BILLER;
    u.clinician_id = 4;
    assert_int_equal(psy_auth_user_add(st, &fast, &u, "long enough", NULL), PSY_EINVAL);
    assert_non_null(strstr(psy_store_errmsg(st), "clinician"));
    u.practice_id = 0;
    assert_int_equal(psy_auth_user_add(st, &fast, &u, "long enough", NULL), PSY_EINVAL);

    struct psy_user *list;
    size_t n;
    assert_int_equal(psy_auth_user_list(st, 1, &list, &n), PSY_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].username, "ada");
    assert_int_equal(list[0].role, PSY_ROLE_ADMIN);
    assert_string_equal(list[1].username, "bo");
    free(list);
    assert_int_equal(psy_auth_user_list(st, 0, &list, &n), PSY_OK);
    assert_int_equal(n, 3);
    free(list);
    assert_int_equal(psy_auth_user_get(st, a, &u), PSY_OK);
    assert_string_equal(u.username, "ada");
    assert_int_equal(u.practice_id, 1);
    assert_int_equal(strlen(u.created_at), 20);
    assert_int_equal(psy_auth_user_get(st, 999, &u), PSY_ENOTFOUND);

    /* only Argon2id strings are stored, never the password */
    assert_int_equal(count_rows("SELECT count(*) FROM app_user WHERE password_hash LIKE '$argon2id$%'"), 3);
    assert_int_equal(count_rows("SELECT count(*) FROM app_user WHERE password_hash LIKE '%horse%'"), 0);
}

static void test_login_and_sessions(void **state)
{
    (void)state;
    long long id = add(1, "casey", PSY_ROLE_CLINICIAN, "session test pw");
    struct psy_auth_session s, c;
    assert_int_equal(login(st, 0, "Casey", "session test pw", "10.0.0.1", T0, &s, NULL), PSY_LOGIN_OK);
    assert_int_equal(strlen(s.token), 64);
    assert_int_equal(strlen(s.csrf), 64);
    assert_string_not_equal(s.token, s.csrf);
    assert_int_equal(s.user.id, id);
    assert_int_equal(s.expires_at, T0 + fast.absolute_seconds);
    assert_int_equal(s.idle_expires_at, T0 + fast.idle_seconds);
    /* the store holds a hash of the token, not the token */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM web_session WHERE token_hash = '%s'", s.token);
    assert_int_equal(count_rows(sql), 0);
    assert_int_equal(count_rows("SELECT count(*) FROM web_session"), 1);

    assert_int_equal(psy_auth_session_check(st, &fast, s.token, T0 + 60, &c), PSY_OK);
    assert_int_equal(c.user.id, id);
    assert_string_equal(c.csrf, s.csrf);
    assert_string_equal(c.token, "");
    assert_true(psy_auth_csrf_ok(&c, s.csrf));
    assert_false(psy_auth_csrf_ok(&c, NULL));
    assert_false(psy_auth_csrf_ok(&c, ""));
    char wrong[PSY_TOKEN_MAX];
    snprintf(wrong, sizeof wrong, "%s", s.csrf);
    wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
    assert_false(psy_auth_csrf_ok(&c, wrong));
    assert_int_equal(psy_auth_session_check(st, &fast, "not-a-token", T0, &c), PSY_ENOTFOUND);
    snprintf(wrong, sizeof wrong, "%s", s.token);
    wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
    assert_int_equal(psy_auth_session_check(st, &fast, wrong, T0, &c), PSY_ENOTFOUND);

    /* idle expiry: requests keep the session alive, a pause longer than the idle time ends it */
    long long t = T0;
    for (int i = 0; i < 10; i++) {
        t += fast.idle_seconds - 100;
        assert_int_equal(psy_auth_session_check(st, &fast, s.token, t, &c), PSY_OK);
    }
    assert_int_equal(psy_auth_session_check(st, &fast, s.token, t + fast.idle_seconds, &c), PSY_ENOTFOUND);
    assert_int_equal(psy_auth_session_check(st, &fast, s.token, t, &c), PSY_ENOTFOUND); /* removed */

    /* absolute expiry: however busy, the session ends absolute_seconds after sign-in */
    assert_int_equal(login(st, 0, "casey", "session test pw", "10.0.0.1", T0, &s, NULL), PSY_LOGIN_OK);
    for (t = T0; t + fast.idle_seconds / 2 < T0 + fast.absolute_seconds; t += fast.idle_seconds / 2)
        assert_int_equal(psy_auth_session_check(st, &fast, s.token, t, &c), PSY_OK);
    assert_int_equal(psy_auth_session_check(st, &fast, s.token, T0 + fast.absolute_seconds, &c), PSY_ENOTFOUND);

    /* logout ends it; turning the user off ends the others and refuses sign-in */
    struct psy_auth_session s2;
    assert_int_equal(login(st, 0, "casey", "session test pw", "10.0.0.1", 0, &s, NULL), PSY_LOGIN_OK);
    assert_int_equal(login(st, 0, "casey", "session test pw", "10.0.0.1", 0, &s2, NULL), PSY_LOGIN_OK);
    assert_int_equal(psy_auth_logout(st, s.token), PSY_OK);
    assert_int_equal(psy_auth_session_check(st, &fast, s.token, 0, &c), PSY_ENOTFOUND);
    assert_int_equal(psy_auth_session_check(st, &fast, s2.token, 0, &c), PSY_OK);
    assert_int_equal(psy_auth_user_set_active(st, id, 0), PSY_OK);
    assert_int_equal(psy_auth_session_check(st, &fast, s2.token, 0, &c), PSY_ENOTFOUND);
    assert_int_equal(login(st, 0, "casey", "session test pw", "10.0.0.1", 0, &s, NULL), PSY_LOGIN_BAD);
    assert_int_equal(psy_auth_user_set_active(st, id, 1), PSY_OK);

    /* a new password ends the sessions and replaces the old one */
    assert_int_equal(login(st, 0, "casey", "session test pw", "10.0.0.1", 0, &s, NULL), PSY_LOGIN_OK);
    assert_int_equal(psy_auth_user_set_password(st, &fast, id, "a new password"), PSY_OK);
    assert_int_equal(psy_auth_session_check(st, &fast, s.token, 0, &c), PSY_ENOTFOUND);
    assert_int_equal(login(st, 0, "casey", "session test pw", "10.0.0.1", 0, &s, NULL), PSY_LOGIN_BAD);
    assert_int_equal(login(st, 0, "casey", "a new password", "10.0.0.1", 0, &s, NULL), PSY_LOGIN_OK);
    assert_int_equal(psy_auth_user_set_password(st, &fast, 999, "a new password"), PSY_ENOTFOUND);

    /* one user name in two practices: the password says which account it is */
    long long id2 = add(2, "casey", PSY_ROLE_BILLER, "second practice");
    assert_int_equal(login(st, 0, "casey", "second practice", "10.0.0.2", 0, &s, NULL), PSY_LOGIN_OK);
    assert_int_equal(s.user.practice_id, 2);
    assert_int_equal(s.user.role, PSY_ROLE_BILLER);
    /* ... and when it opens both, the practices are named (only then) for the user to choose one */
    assert_int_equal(psy_auth_user_set_password(st, &fast, id2, "a new password"), PSY_OK);
    struct psy_login l = {.username = "casey", .password = "a new password", .ip = "10.0.0.2"};
    assert_int_equal(psy_auth_login(st, &fast, &l, &s), PSY_OK);
    assert_int_equal(l.result, PSY_LOGIN_CHOOSE);
    assert_int_equal(l.nchoices, 2);
    assert_string_equal(l.choices[0], "Practice 1");
    assert_string_equal(l.choices[1], "Practice 2");
    assert_string_equal(s.token, "");
    l = (struct psy_login){.username = "casey", .password = "wrong password", .ip = "10.0.0.2"};
    assert_int_equal(psy_auth_login(st, &fast, &l, &s), PSY_OK);
    assert_int_equal(l.result, PSY_LOGIN_BAD);
    assert_int_equal(l.nchoices, 0);
    assert_int_equal(login(st, 2, "casey", "a new password", "10.0.0.2", 0, &s, NULL), PSY_LOGIN_OK);
    assert_int_equal(s.user.practice_id, 2);
    assert_int_equal(login(st, 1, "casey", "a new password", "10.0.0.2", 0, &s, NULL), PSY_LOGIN_OK);
    assert_int_equal(s.user.practice_id, 1);
    assert_int_equal(login(st, 3, "casey", "a new password", "10.0.0.2", 0, &s, NULL), PSY_LOGIN_BAD);
}

static void test_rate_limit(void **state)
{
    (void)state;
    add(1, "dana", PSY_ROLE_BILLER, "right password");
    add(2, "dana", PSY_ROLE_BILLER, "other practice");
    struct psy_auth_session s;
    long wait = -1;
    /* the free failures of one account, then a delay that doubles with each further failure */
    for (int i = 0; i < fast.max_failures_user; i++)
        assert_int_equal(login(st, 1, "dana", "wrong password", "10.0.0.5", T0 + i, &s, &wait), PSY_LOGIN_BAD);
    long long last = T0 + fast.max_failures_user - 1;
    assert_int_equal(login(st, 1, "dana", "right password", "10.0.0.6", last, &s, &wait), PSY_LOGIN_LIMITED);
    assert_int_equal(wait, fast.delay_base);
    assert_string_equal(s.token, "");
    /* a wrong guess during the delay is refused as "wait" too (and counted): the delay doubles */
    assert_int_equal(login_code(st, 1, "dana", "wrong password", "123456", "10.0.0.6", last + 1, &s, &wait),
                     PSY_LOGIN_LIMITED);
    assert_int_equal(wait, 2 * fast.delay_base);
    /* the other practice's dana is not held up by it */
    assert_int_equal(login(st, 0, "dana", "other practice", "10.0.0.8", last + 1, &s, &wait), PSY_LOGIN_OK);
    assert_int_equal(s.user.practice_id, 2);
    /* once the delay has passed, the right password gets in and the account's failures are forgotten */
    assert_int_equal(login(st, 0, "dana", "right password", "10.0.0.6", last + 1 + 2 * fast.delay_base, &s, &wait),
                     PSY_LOGIN_OK);
    assert_int_equal(count_rows("SELECT count(*) FROM login_failure WHERE practice_id = 1"), 0);
    /* the delay is capped (guesses with a code attached are checked, and counted, even while waiting) */
    for (int i = 0; i < 40; i++) login_code(st, 1, "dana", "guess", "123456", "10.0.1.1", T0 + 100, &s, &wait);
    assert_int_equal(login(st, 1, "dana", "guess", "10.0.1.1", T0 + 100, &s, &wait), PSY_LOGIN_LIMITED);
    assert_int_equal(wait, fast.delay_cap);
    assert_int_equal(login(st, 1, "dana", "right password", "10.0.0.6", T0 + 100 + fast.delay_cap, &s, &wait),
                     PSY_LOGIN_OK);

    /* per address: failures under many user names slow the address down, not the users elsewhere */
    for (int i = 0; i < fast.max_failures_ip; i++) {
        char name[32];
        snprintf(name, sizeof name, "nobody%d", i);
        assert_int_equal(login(st, 0, name, "guess", "10.9.9.9", T0 + 5000 + i, &s, &wait), PSY_LOGIN_BAD);
    }
    long long t = T0 + 5000 + fast.max_failures_ip - 1;
    assert_int_equal(login(st, 1, "dana", "right password", "10.9.9.9", t, &s, &wait), PSY_LOGIN_LIMITED);
    assert_true(wait > 0 && wait <= fast.delay_cap);
    assert_int_equal(login(st, 1, "dana", "right password", "10.0.0.7", t, &s, &wait), PSY_LOGIN_OK);
    /* an unknown name is slowed down exactly like a known one: no tell */
    for (int i = 0; i < fast.max_failures_user; i++)
        assert_int_equal(login(st, 0, "ghost", "guess", "10.0.2.1", T0 + 7000, &s, &wait), PSY_LOGIN_BAD);
    assert_int_equal(login(st, 0, "ghost", "guess", "10.0.2.1", T0 + 7000, &s, &wait), PSY_LOGIN_LIMITED);
    assert_int_equal(wait, fast.delay_base);

    /* every attempt is on the audit trail; unknown names have no practice */
    assert_int_equal(count_rows("SELECT count(*) FROM audit_event WHERE action = 'login.failed' "
                                "AND practice_id IS NULL AND username LIKE 'nobody%'"), fast.max_failures_ip);
    assert_true(count_rows("SELECT count(*) FROM audit_event WHERE action = 'login.limited' "
                           "AND practice_id = 1 AND username = 'dana'") >= 2);
}

/* RFC 6238 Appendix B: the SHA-1 test vectors (secret "12345678901234567890", 8 digits). */
static void test_totp_vectors(void **state)
{
    (void)state;
    static const struct { long long t; const char *code; } v[] = {
        {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
        {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000LL, "65353130"},
    };
    const unsigned char *key = (const unsigned char *)"12345678901234567890";
    char out[9];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        assert_int_equal(psy_auth_totp_code(key, 20, v[i].t, 8, out), PSY_OK);
        assert_string_equal(out, v[i].code);
    }
    /* 6 digits are the last six of the same number (RFC 4226 section 5.3) */
    assert_int_equal(psy_auth_totp_code(key, 20, 59, 6, out), PSY_OK);
    assert_string_equal(out, "287082");
    assert_int_equal(psy_auth_totp_code(key, 20, 59, 5, out), PSY_EINVAL);
    assert_int_equal(psy_auth_totp_code(NULL, 20, 59, 6, out), PSY_EINVAL);
}

/* The code an authenticator app would show for a base32 secret at time t. */
static void app_code(const char *b32, long long t, char out[7])
{
    unsigned char key[PSY_TOTP_SECRET_BYTES];
    /* RFC 4648 base32, no padding: 32 characters for 20 bytes */
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    assert_int_equal(strlen(b32), 32);
    unsigned long long acc = 0;
    int bits = 0;
    size_t n = 0;
    for (const char *p = b32; *p; p++) {
        const char *c = strchr(alphabet, *p);
        assert_non_null(c);
        acc = (acc << 5) | (unsigned long long)(c - alphabet);
        bits += 5;
        if (bits >= 8) {
            key[n++] = (unsigned char)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    assert_int_equal(n, sizeof key);
    assert_int_equal(psy_auth_totp_code(key, sizeof key, t, 6, out), PSY_OK);
}

static void test_totp_login(void **state)
{
    (void)state;
    long long id = add(1, "erin", PSY_ROLE_ADMIN, "erin password");
    char b32[PSY_TOTP_B32_MAX], uri[PSY_TOTP_URI_MAX], code[7];
    struct psy_auth_session s;
    long wait;
    assert_int_equal(psy_auth_totp_begin(st, id, b32, uri), PSY_OK);
    assert_non_null(strstr(uri, "otpauth://totp/psyclaim:erin?secret="));
    assert_non_null(strstr(uri, b32));
    /* not confirmed yet: sign-in does not ask for it */
    assert_int_equal(login(st, 0, "erin", "erin password", "10.3.0.1", T0, &s, NULL), PSY_LOGIN_OK);
    assert_int_equal(psy_auth_totp_confirm(st, id, "000000x", T0), PSY_EINVAL);
    app_code(b32, T0 + 3600, code); /* an hour off: not now */
    assert_int_equal(psy_auth_totp_confirm(st, id, code, T0), PSY_EINVAL);
    app_code(b32, T0, code);
    assert_int_equal(psy_auth_totp_confirm(st, id, code, T0), PSY_OK);
    assert_int_equal(psy_auth_totp_begin(st, id, b32, uri), PSY_ECONFLICT); /* set up once */
    assert_int_equal(psy_auth_user_get(st, id, &s.user), PSY_OK);
    assert_true(s.user.totp);

    /* now the password alone is not enough */
    assert_int_equal(login(st, 0, "erin", "erin password", "10.3.0.1", T0 + 30, &s, NULL), PSY_LOGIN_CODE_NEEDED);
    assert_string_equal(s.token, "");
    assert_int_equal(login_code(st, 0, "erin", "wrong password", code, "10.3.0.1", T0 + 30, &s, NULL), PSY_LOGIN_BAD);
    /* the confirming code's step was used: the same code again is refused (replay) */
    assert_int_equal(login_code(st, 0, "erin", "erin password", code, "10.3.0.1", T0 + 1, &s, NULL),
                     PSY_LOGIN_CODE_BAD);
    app_code(b32, T0 + 30, code);
    assert_int_equal(login_code(st, 0, "erin", "erin password", code, "10.3.0.1", T0 + 30, &s, NULL), PSY_LOGIN_OK);
    assert_int_equal(s.user.id, id);
    assert_int_equal(login_code(st, 0, "erin", "erin password", code, "10.3.0.1", T0 + 31, &s, NULL),
                     PSY_LOGIN_CODE_BAD);
    /* the clock of the phone may be one step off either way */
    app_code(b32, T0 + 90, code);
    assert_int_equal(login_code(st, 0, "erin", "erin password", code, "10.3.0.1", T0 + 60, &s, NULL), PSY_LOGIN_OK);

    /* an address slowed down by others' failures: the right password with a valid code still gets in,
     * the password alone does not */
    for (int i = 0; i < fast.max_failures_ip; i++) {
        char name[32];
        snprintf(name, sizeof name, "someone%d", i);
        assert_int_equal(login(st, 0, name, "guess", "10.3.9.9", T0 + 200, &s, NULL), PSY_LOGIN_BAD);
    }
    assert_int_equal(login(st, 0, "erin", "erin password", "10.3.9.9", T0 + 200, &s, &wait), PSY_LOGIN_LIMITED);
    assert_true(wait > 0);
    app_code(b32, T0 + 200, code);
    assert_int_equal(login_code(st, 0, "erin", "erin password", code, "10.3.9.9", T0 + 200, &s, NULL), PSY_LOGIN_OK);

    /* wrong codes are throttled on their own and cannot be got round */
    for (int i = 0; i < fast.max_failures_user; i++)
        assert_int_equal(login_code(st, 0, "erin", "erin password", "000000", "10.3.0.2", T0 + 300, &s, NULL),
                         PSY_LOGIN_CODE_BAD);
    app_code(b32, T0 + 300, code);
    assert_int_equal(login_code(st, 0, "erin", "erin password", code, "10.3.0.2", T0 + 300, &s, &wait),
                     PSY_LOGIN_LIMITED);
    assert_int_equal(count_rows("SELECT count(*) FROM audit_event WHERE action = 'login.code_failed'"),
                     fast.max_failures_user + 2);

    /* an admin's reset removes it (a lost phone); then the password alone works again */
    assert_int_equal(psy_auth_totp_reset(st, id), PSY_OK);
    assert_int_equal(login(st, 0, "erin", "erin password", "10.3.0.3", T0 + 300 + fast.delay_cap, &s, NULL),
                     PSY_LOGIN_OK);
    assert_false(s.must_enrol);
    /* the practice requires a second factor: a user without one must enrol first */
    int req = -1;
    assert_int_equal(psy_auth_totp_required(st, 1, &req), PSY_OK);
    assert_int_equal(req, 0);
    assert_int_equal(psy_auth_totp_require(st, 1, 1), PSY_OK);
    assert_int_equal(psy_auth_totp_require(st, 1, 1), PSY_OK);
    assert_int_equal(psy_auth_totp_required(st, 1, &req), PSY_OK);
    assert_int_equal(req, 1);
    assert_int_equal(login(st, 0, "erin", "erin password", "10.3.0.3", T0 + 2000, &s, NULL), PSY_LOGIN_OK);
    assert_true(s.must_enrol);
    struct psy_auth_session c;
    assert_int_equal(psy_auth_session_check(st, &fast, s.token, T0 + 2001, &c), PSY_OK);
    assert_true(c.must_enrol);
    /* the secret never shows in the trail */
    assert_int_equal(count_rows("SELECT count(*) FROM audit_event WHERE record_id LIKE '%otpauth%'"), 0);

    char *qr = NULL;
    assert_int_equal(psy_auth_qr_data_url(uri, &qr), PSY_OK);
    assert_true(strncmp(qr, "data:image/svg+xml;base64,", 26) == 0);
    assert_true(strlen(qr) > 1000);
    free(qr);
}

static void test_user_update(void **state)
{
    (void)state;
    long long id = add(1, "fay", PSY_ROLE_BILLER, "fay password");
    struct psy_user u;
    assert_int_equal(psy_auth_user_update(st, 1, id, PSY_ROLE_ADMIN, 0), PSY_OK);
    assert_int_equal(psy_auth_user_get(st, id, &u), PSY_OK);
    assert_int_equal(u.role, PSY_ROLE_ADMIN);
    /* another practice's user is not found; a clinician of no practice is refused naming the field */
    assert_int_equal(psy_auth_user_update(st, 2, id, PSY_ROLE_BILLER, 0), PSY_ENOTFOUND);
    assert_int_equal(psy_auth_user_update(st, 1, id, PSY_ROLE_CLINICIAN, 999), PSY_EINVAL);
    assert_non_null(strstr(psy_store_errmsg(st), "clinician_id"));
    assert_int_equal(psy_auth_user_update(st, 1, id, PSY_ROLE_BILLER, 3), PSY_EINVAL);
    assert_int_equal(psy_auth_user_get(st, id, &u), PSY_OK);
    assert_int_equal(u.role, PSY_ROLE_ADMIN);

    /* one's own password: the current one is needed; the other sessions end, the one kept stays */
    struct psy_auth_session a, b, c;
    assert_int_equal(login(st, 0, "fay", "fay password", "10.4.0.1", 0, &a, NULL), PSY_LOGIN_OK);
    assert_int_equal(login(st, 0, "fay", "fay password", "10.4.0.1", 0, &b, NULL), PSY_LOGIN_OK);
    assert_int_equal(psy_auth_password_change(st, &fast, id, "not it at all", "fay new password", a.token, "10.4.0.1", NULL), PSY_EPERM);
    assert_int_equal(psy_auth_password_change(st, &fast, id, "fay password", "short", a.token, "10.4.0.1", NULL), PSY_EINVAL);
    assert_int_equal(psy_auth_password_change(st, &fast, id, "fay password", "fay new password", a.token, "10.4.0.1", NULL), PSY_OK);
    assert_int_equal(psy_auth_session_check(st, &fast, a.token, 0, &c), PSY_OK);
    assert_int_equal(psy_auth_session_check(st, &fast, b.token, 0, &c), PSY_ENOTFOUND);
    assert_int_equal(login(st, 0, "fay", "fay password", "10.4.0.1", 0, &a, NULL), PSY_LOGIN_BAD);
    assert_int_equal(login(st, 0, "fay", "fay new password", "10.4.0.1", 0, &a, NULL), PSY_LOGIN_OK);
}

/* Wrong passwords tried from several connections at once (as from several servers): no more of them
 * are answered "wrong" than the limit allows; the others are refused as limited. */
struct guesser {
    const struct test_db *db;
    int bad, limited, other;
};

static void *guess_main(void *arg)
{
    struct guesser *g = arg;
    psy_store *mine;
    if (psy_store_open(g->db->uri, &mine, NULL, 0)) {
        g->other = -1;
        return NULL;
    }
    for (int i = 0; i < 8; i++) {
        psy_login_result res;
        struct psy_auth_session s;
        struct psy_login l = {.username = "gus", .password = "not the password", .ip = "10.1.1.1", .now = T0};
        if (psy_auth_login(mine, &fast, &l, &s)) g->other++;
        else if ((res = l.result) == PSY_LOGIN_BAD) g->bad++;
        else if (res == PSY_LOGIN_LIMITED) g->limited++;
        else g->other++;
    }
    psy_store_close(mine);
    return NULL;
}

static void test_rate_limit_parallel(void **state)
{
    (void)state;
    add(1, "gus", PSY_ROLE_BILLER, "the right one");
    enum { N = 3 };
    struct guesser g[N];
    pthread_t t[N];
    for (int k = 0; k < N; k++) {
        g[k] = (struct guesser){.db = &sdb};
        assert_int_equal(pthread_create(&t[k], NULL, guess_main, &g[k]), 0);
    }
    int bad = 0, limited = 0;
    for (int k = 0; k < N; k++) {
        pthread_join(t[k], NULL);
        assert_int_equal(g[k].other, 0);
        bad += g[k].bad;
        limited += g[k].limited;
    }
    assert_int_equal(bad, fast.max_failures_user);
    assert_int_equal(limited, N * 8 - fast.max_failures_user);
    assert_true(count_rows("SELECT count(*) FROM login_failure WHERE username = 'gus'") >= fast.max_failures_user);
    struct psy_auth_session s;
    assert_int_equal(login(st, 0, "gus", "the right one", "10.1.1.2", T0 + 1, &s, NULL), PSY_LOGIN_LIMITED);
}

static void test_audit_trail(void **state)
{
    long long id = add(1, "erin", PSY_ROLE_ADMIN, "audit test pw");
    add(2, "finn", PSY_ROLE_ADMIN, "audit test pw");
    struct psy_user u, other;
    assert_int_equal(psy_auth_user_get(st, id, &u), PSY_OK);
    assert_int_equal(psy_auth_user_get(st, id + 1, &other), PSY_OK);
    for (int i = 0; i < 7; i++) {
        char rid[16];
        snprintf(rid, sizeof rid, "%d", i);
        assert_int_equal(psy_auth_audit(st, &u, "client.read", "client", rid, "192.0.2.1"), PSY_OK);
    }
    assert_int_equal(psy_auth_audit(st, &other, "client.read", "client", "1", NULL), PSY_OK);
    assert_int_equal(psy_auth_audit(st, NULL, "client.read", "client", "1", NULL), PSY_EINVAL);
    assert_int_equal(psy_auth_audit(st, &u, "", NULL, NULL, NULL), PSY_EINVAL);
    char longid[100];
    memset(longid, '7', sizeof longid - 1);
    longid[sizeof longid - 1] = 0;
    assert_int_equal(psy_auth_audit(st, &u, "client.read", "client", longid, NULL), PSY_EINVAL);

    struct psy_audit_event *ev;
    size_t n;
    long long total;
    assert_int_equal(psy_auth_audit_list(st, 1, 0, 3, &ev, &n, &total), PSY_OK);
    assert_int_equal(total, 7); /* practice 2's event is not in practice 1's trail */
    assert_int_equal(n, 3);
    assert_string_equal(ev[0].record_id, "6"); /* newest first */
    assert_string_equal(ev[2].record_id, "4");
    assert_string_equal(ev[0].username, "erin");
    assert_string_equal(ev[0].ip, "192.0.2.1");
    assert_int_equal(ev[0].user_id, id);
    assert_int_equal(ev[0].at[19], 'Z');
    free(ev);
    assert_int_equal(psy_auth_audit_list(st, 1, 6, 3, &ev, &n, NULL), PSY_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ev[0].record_id, "0");
    free(ev);
    assert_int_equal(psy_auth_audit_list(st, 1, 0, 0, &ev, &n, &total), PSY_OK);
    assert_int_equal(n, 0);
    free(ev);

    /* paged: the practice's own events and the sign-ins outside any practice, read apart and merged
     * newest first, two at a time, with no gap and no repeat; practice 2's event never shows */
    struct psy_auth_session ls;
    long wait;
    assert_int_equal(login(st, 0, "nobody-audit", "guess", "10.8.8.8", T0 + 9000, &ls, &wait), PSY_LOGIN_BAD);
    assert_int_equal(psy_auth_audit(st, &u, "note.read", "note", "7", "192.0.2.9"), PSY_OK);
    long long logins = count_rows("SELECT count(*) FROM audit_event WHERE practice_id IS NULL AND action LIKE 'login.%'");
    assert_true(logins >= 1);
    char cursor[PSY_CURSOR_MAX] = "";
    long long last = 0, seen = 0, seen_logins = 0;
    do {
        struct psy_page pg = {.cursor = cursor, .limit = 2};
        assert_int_equal(psy_auth_audit_page(st, 1, NULL, &pg, &ev, &n), PSY_OK);
        assert_int_equal(pg.total, 8 + logins);
        for (size_t i = 0; i < n; i++) {
            assert_true(!last || ev[i].id < last);
            last = ev[i].id;
            assert_true(ev[i].practice_id == 1 || ev[i].practice_id == 0);
            seen_logins += ev[i].practice_id == 0;
            seen++;
        }
        snprintf(cursor, sizeof cursor, "%s", pg.next_cursor);
        free(ev);
    } while (cursor[0]);
    assert_int_equal(seen, 8 + logins);
    assert_int_equal(seen_logins, logins);
    struct psy_audit_filter only = {.action = "login.failed"};
    struct psy_page pg1 = {.limit = 50};
    assert_int_equal(psy_auth_audit_page(st, 1, &only, &pg1, &ev, &n), PSY_OK);
    assert_true(n >= 1 && (long long)n == pg1.total);
    assert_string_equal(ev[0].action, "login.failed");
    free(ev);

    /* append-only: the database itself refuses to change or remove a row, however asked */
    const struct test_backend *b = *state;
    char msg[600];
    static const char *const changes[] = {"UPDATE audit_event SET action = 'nothing' WHERE id = 1",
                                          "UPDATE audit_event SET ip = ''", "DELETE FROM audit_event WHERE id = 2",
                                          "DELETE FROM audit_event", "TRUNCATE audit_event"};
    for (size_t i = 0; i < sizeof changes / sizeof *changes; i++) {
        if (!b->pg && !strncmp(changes[i], "TRUNCATE", 8)) continue; /* SQLite has no TRUNCATE */
        assert_int_equal(test_db_exec(&sdb, changes[i], msg, sizeof msg), PSY_EDB);
        if (!strstr(msg, "append-only")) fail_msg("%s: %s", changes[i], msg);
    }
    assert_int_equal(count_rows("SELECT count(*) FROM audit_event WHERE action = 'client.read'"), 8);
    assert_int_equal(count_rows("SELECT count(*) FROM audit_event WHERE action = 'nothing' OR ip = ''"), 1);
}

/* Runs `psyclaim user ARGS --db '<db>'` with stdin in; checks the exit status and that want (may be
 * NULL) is in stdout, or in stderr when the status is not 0. */
static void user_cli(const char *db, const char *args, const char *in, int status, const char *want)
{
    char cmd[1400], *out, *err;
    snprintf(cmd, sizeof cmd, "user %s --db '%s'", args, db);
    int got = test_run_cli(cmd, in, &out, &err);
    if (got != status) fprintf(stderr, "psyclaim %s: exit %d\n%s%s", cmd, got, out, err);
    assert_int_equal(got, status);
    if (want) assert_non_null(strstr(status ? err : out, want));
    free(out);
    free(err);
}

static void test_user_cli(void **state)
{
    struct test_db fresh;
    test_db_make(*state, &fresh);
    const char *db = fresh.uri;
    /* two practices with a clinician each (user add checks both against the store) */
    psy_id prac[2], clin[2];
    {
        psy_store *setup;
        assert_int_equal(psy_store_open(db, &setup, NULL, 0), PSY_OK);
        static const char *const npi[2][2] = {{"1234567893", "1111111112"}, {"2222222228", "1333333338"}};
        for (int i = 0; i < 2; i++) {
            struct psy_practice p = {0};
            snprintf(p.name, sizeof p.name, "Practice %d", i + 1);
            snprintf(p.npi, sizeof p.npi, "%s", npi[i][0]);
            snprintf(p.tax_id, sizeof p.tax_id, "12345678%d", i);
            snprintf(p.time_zone, sizeof p.time_zone, "America/Chicago");
            assert_int_equal(psy_records_practice_add(setup, &p, &prac[i]), PSY_OK);
            struct psy_clinician c = {0};
            snprintf(c.first_name, sizeof c.first_name, "Clin%d", i);
            snprintf(c.last_name, sizeof c.last_name, "Cli");
            snprintf(c.npi, sizeof c.npi, "%s", npi[i][1]);
            snprintf(c.taxonomy, sizeof c.taxonomy, "1041C0700X");
            snprintf(c.credential, sizeof c.credential, "LCSW");
            assert_int_equal(psy_records_clinician_add(setup, prac[i], &c, &clin[i]), PSY_OK);
        }
        psy_store_close(setup);
        assert_int_equal(prac[0], 1);
        assert_int_equal(prac[1], 2);
    }
    char args[200];
    /* issue 14 finding 4: no such practice, no such clinician, another practice's clinician */
    user_cli(db, "add --username ivy --role admin --practice 99", "long enough pw\n", 2, "--practice 99");
    user_cli(db, "add --username ivy --role clinician --clinician 999", "long enough pw\n", 2, "--clinician 999");
    snprintf(args, sizeof args, "add --username ivy --role clinician --practice 1 --clinician %lld", (long long)clin[1]);
    user_cli(db, args, "long enough pw\n", 2, "--clinician");
    snprintf(args, sizeof args, "add --username Gale --role clinician --clinician %lld", (long long)clin[0]);
    user_cli(db, args, "gale password\n", 0, "added user gale");
    /* the same name again, a short password, no password, a bad role, a password on the command line,
     * a clinician id for a biller */
    user_cli(db, "add --username gale --role clinician", "gale password\n", 1, "already has a user");
    user_cli(db, "add --username hal --role biller", "short\n", 2, "password");
    user_cli(db, "add --username hal --role biller", NULL, 2, "standard input");
    user_cli(db, "add --username hal --role owner", "long enough pw\n", 2, "--role");
    user_cli(db, "add --username hal --role biller secretpassword", "long enough pw\n", 2, "standard input");
    user_cli(db, "add --username hal --role biller --clinician 2", "long enough pw\n", 2, "--clinician");
    user_cli(db, "add --username 'h al' --role biller", "long enough pw\n", 2, "--username");
    user_cli(db, "add --username hal --role biller --practice 2", "long enough pw\r\n", 0, "practice 2");

    user_cli(db, "list", NULL, 0, "gale");
    user_cli(db, "list", NULL, 0, "hal");
    user_cli(db, "list --practice 2", NULL, 0, "biller");
    char *out;
    char cmd[1300];
    snprintf(cmd, sizeof cmd, "user list --db '%s' --practice 2", db);
    assert_int_equal(test_run_cli(cmd, NULL, &out, NULL), 0);
    assert_null(strstr(out, "gale"));
    assert_null(strstr(out, "argon2"));
    free(out);

    /* the password read from stdin is the one that signs in ("\r\n" stripped) */
    psy_store *other;
    struct psy_auth_session s;
    assert_int_equal(psy_store_open(db, &other, NULL, 0), PSY_OK);
    assert_int_equal(login(other, 2, "hal", "long enough pw", "127.0.0.1", 0, &s, NULL), PSY_LOGIN_OK);

    user_cli(db, "disable --username hal", NULL, 0, "disabled");
    user_cli(db, "passwd --username gale", "changed password\n", 0, "password changed");
    user_cli(db, "passwd --username nobody", "changed password\n", 1, "no user");
    user_cli(db, "passwd --username gale --role admin", "changed password\n", 2, NULL);
    assert_int_equal(login(other, 2, "hal", "long enough pw", "127.0.0.1", 0, &s, NULL), PSY_LOGIN_BAD);
    assert_int_equal(login(other, 1, "gale", "changed password", "127.0.0.1", 0, &s, NULL), PSY_LOGIN_OK);
    assert_int_equal(s.user.clinician_id, clin[0]);
    user_cli(db, "enable --username hal", NULL, 0, "enabled");
    assert_int_equal(login(other, 2, "hal", "long enough pw", "127.0.0.1", 0, &s, NULL), PSY_LOGIN_OK);
    psy_store_close(other);

    user_cli(db, "totp-reset --username gale", NULL, 0, "second factor removed");
    user_cli(db, "frobnicate", NULL, 2, "no subcommand");
    user_cli(db, "--help", NULL, 0, "standard input");
    test_db_drop(&fresh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles_and_matrix),
        cmocka_unit_test_setup_teardown(test_users, open_store, close_store),
        cmocka_unit_test_setup_teardown(test_login_and_sessions, open_store, close_store),
        cmocka_unit_test_setup_teardown(test_rate_limit, open_store, close_store),
        cmocka_unit_test_setup_teardown(test_rate_limit_parallel, open_store, close_store),
        cmocka_unit_test(test_totp_vectors),
        cmocka_unit_test_setup_teardown(test_totp_login, open_store, close_store),
        cmocka_unit_test_setup_teardown(test_user_update, open_store, close_store),
        cmocka_unit_test_setup_teardown(test_audit_trail, open_store, close_store),
        cmocka_unit_test(test_user_cli),
    };
    return test_run_on_backends("test_auth", tests, sizeof tests / sizeof *tests, setup_policy, NULL) ? 1 : 0;
}
