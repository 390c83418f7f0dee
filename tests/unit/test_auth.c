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

static psy_login_result login(psy_store *store, long long practice, const char *name, const char *pw, const char *ip,
                              long long now, struct psy_auth_session *s, long *wait)
{
    psy_login_result res;
    assert_int_equal(psy_auth_login(store, &fast, practice, name, pw, ip, now, &res, s, wait), PSY_OK);
    return res;
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

    /* one user name in two practices needs the practice */
    add(2, "casey", PSY_ROLE_BILLER, "second practice");
    assert_int_equal(login(st, 0, "casey", "second practice", "10.0.0.2", 0, &s, NULL), PSY_LOGIN_AMBIGUOUS);
    assert_int_equal(login(st, 2, "casey", "second practice", "10.0.0.2", 0, &s, NULL), PSY_LOGIN_OK);
    assert_int_equal(s.user.practice_id, 2);
    assert_int_equal(s.user.role, PSY_ROLE_BILLER);
}

static void test_rate_limit(void **state)
{
    (void)state;
    add(1, "dana", PSY_ROLE_BILLER, "right password");
    struct psy_auth_session s;
    long wait = -1;
    for (int i = 0; i < fast.max_failures_user; i++)
        assert_int_equal(login(st, 0, "dana", "wrong password", "10.0.0.5", T0 + i, &s, &wait), PSY_LOGIN_BAD);
    /* now even the right password is not checked, from any address */
    assert_int_equal(login(st, 0, "dana", "right password", "10.0.0.6", T0 + 10, &s, &wait), PSY_LOGIN_LIMITED);
    assert_int_equal(wait, fast.failure_window - 10);
    assert_string_equal(s.token, "");
    /* once the first failure is older than the window, one try is allowed again */
    assert_int_equal(login(st, 0, "dana", "right password", "10.0.0.6", T0 + fast.failure_window + 1, &s, &wait),
                     PSY_LOGIN_OK);

    /* per address: failures under many user names lock the address, not the users elsewhere */
    for (int i = 0; i < fast.max_failures_ip; i++) {
        char name[32];
        snprintf(name, sizeof name, "nobody%d", i);
        assert_int_equal(login(st, 0, name, "guess", "10.9.9.9", T0 + 2000 + i, &s, &wait), PSY_LOGIN_BAD);
    }
    assert_int_equal(login(st, 0, "dana", "right password", "10.9.9.9", T0 + 2100, &s, &wait), PSY_LOGIN_LIMITED);
    assert_true(wait > 0 && wait <= fast.failure_window);
    assert_int_equal(login(st, 0, "dana", "right password", "10.0.0.7", T0 + 2100, &s, &wait), PSY_LOGIN_OK);

    /* every attempt is on the audit trail; unknown names have no practice */
    assert_int_equal(count_rows("SELECT count(*) FROM audit_event WHERE action = 'login.failed' "
                                          "AND practice_id = 1"), fast.max_failures_user);
    assert_int_equal(count_rows("SELECT count(*) FROM audit_event WHERE action = 'login.failed' "
                                          "AND practice_id IS NULL"), fast.max_failures_ip);
    assert_int_equal(count_rows("SELECT count(*) FROM audit_event WHERE action = 'login.limited' "
                                "AND practice_id = 1 AND username = 'dana'"), 2);
    assert_int_equal(count_rows("SELECT count(*) FROM audit_event WHERE action = 'login'"), 2);
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
        if (psy_auth_login(mine, &fast, 0, "gus", "not the password", "10.1.1.1", T0, &res, &s, NULL)) g->other++;
        else if (res == PSY_LOGIN_BAD) g->bad++;
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
    assert_int_equal(count_rows("SELECT count(*) FROM login_failure WHERE username = 'gus'"), fast.max_failures_user);
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
    user_cli(db, "add --username Gale --role clinician --clinician 3", "gale password\n", 0, "added user gale");
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
    assert_int_equal(s.user.clinician_id, 3);
    user_cli(db, "enable --username hal", NULL, 0, "enabled");
    assert_int_equal(login(other, 2, "hal", "long enough pw", "127.0.0.1", 0, &s, NULL), PSY_LOGIN_OK);
    psy_store_close(other);

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
        cmocka_unit_test_setup_teardown(test_audit_trail, open_store, close_store),
        cmocka_unit_test(test_user_cli),
    };
    return test_run_on_backends("test_auth", tests, sizeof tests / sizeof *tests, setup_policy, NULL) ? 1 : 0;
}
