/* test_race.c -- two `psyclaim serve` processes on one database, racing: two clinicians' browser sessions
 * (one per server) save the same group session at the same version, round after round, and exactly one
 * save wins each round while the other gets 409 (never a silent overwrite); then one `psyclaim claims
 * export` per payer runs at once and every 837P control number (ISA13, GS06, ST02) is distinct.
 * And the first run: on an empty database, concurrent POST /api/setup to both servers create exactly one
 * practice; every other answers 403, and the setup page is closed from then on.
 * On SQLite (WAL, busy timeout) and on PostgreSQL. */
#include "backends.h"
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 30
#define PW "race test password"
#define SERVICE_DATE "2026-04-06"

/* --- the servers ----------------------------------------------------------------------------------- */

struct server {
    pid_t pid;
    char base[64]; /* http://127.0.0.1:PORT */
};

static struct server servers[2]; /* the running ones; stopped by the teardown if a check failed */

/* Starts `psyclaim serve` on a free port of 127.0.0.1 and waits for its first line, which names it. */
static void server_start(const char *uri, struct server *s)
{
    int out[2];
    assert_int_equal(pipe(out), 0);
    fflush(NULL); /* nothing buffered is written twice */
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execl(PSY_CLI, PSY_CLI, "serve", "--db", uri, "--listen", "127.0.0.1:0", "--threads", "2", "--quiet",
              (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    FILE *f = fdopen(out[0], "r");
    char line[1200] = "";
    if (!fgets(line, sizeof line, f)) fail_msg("psyclaim serve (%s) stopped before it served", uri);
    fclose(f);
    const char *at = strstr(line, "http://");
    unsigned port = 0;
    if (!at || sscanf(at, "http://127.0.0.1:%u/", &port) != 1 || !port) fail_msg("serve said: %s", line);
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%u", port);
}

/* Stops it with SIGTERM; returns 1 when it exited cleanly. */
static int server_stop(struct server *s)
{
    int status = 0;
    if (s->pid <= 0) return 1;
    kill(s->pid, SIGTERM);
    pid_t got = waitpid(s->pid, &status, 0);
    s->pid = 0;
    return got > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int stop_servers(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) server_stop(&servers[k]);
    return 0;
}

/* --- HTTP ------------------------------------------------------------------------------------------ */

struct client {
    const struct server *srv;
    char cookie[300], csrf[160];
};

struct reply {
    long status;
    char *body;
    size_t len;
    char cookie[256]; /* "name=value" of a Set-Cookie header */
};

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct reply *r = ud;
    size_t len = size * n;
    if (len > 12 && !strncasecmp(p, "Set-Cookie: ", 12)) {
        size_t k = strcspn(p + 12, ";\r\n");
        snprintf(r->cookie, sizeof r->cookie, "%.*s", (int)k, p + 12);
    }
    return len;
}

/* One request; the reply's JSON body (NULL when none), its status in *status (0 when it failed). */
static json_t *request(const struct client *c, const char *method, const char *path, const char *body, long *status,
                       struct reply *raw)
{
    struct reply r = {0};
    char url[256];
    snprintf(url, sizeof url, "%s%s", c->srv->base, path);
    CURL *h = curl_easy_init();
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
    if (*c->cookie) hd = curl_slist_append(hd, c->cookie);
    if (*c->csrf) hd = curl_slist_append(hd, c->csrf);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body) curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    FILE *mem = open_memstream(&r.body, &r.len); /* libcurl's default writer fwrite()s the body into it */
    curl_easy_setopt(h, CURLOPT_WRITEDATA, mem);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    CURLcode cc = curl_easy_perform(h); /* no fail_msg here: racing threads call this */
    if (cc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    else fprintf(stderr, "%s %s: %s\n", method, url, curl_easy_strerror(cc));
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    fclose(mem);
    *status = r.status;
    json_t *j = r.body ? json_loads(r.body, 0, NULL) : NULL;
    if (raw) *raw = r;
    else free(r.body);
    return j;
}

/* The JSON of a request that must answer want. */
static json_t *expect(const struct client *c, const char *method, const char *path, const char *body, long want)
{
    long status;
    struct reply raw;
    json_t *j = request(c, method, path, body, &status, &raw);
    if (status != want) fail_msg("%s %s on %s: %ld, not %ld: %s", method, path, c->srv->base, status, want,
                                 raw.body ? raw.body : "");
    free(raw.body);
    return j;
}

static void sign_in(const struct server *srv, const char *user, struct client *c)
{
    memset(c, 0, sizeof *c);
    c->srv = srv;
    char body[200];
    snprintf(body, sizeof body, "{\"username\": \"%s\", \"password\": \"" PW "\"}", user);
    long status;
    struct reply raw;
    json_t *j = request(c, "POST", "/api/login", body, &status, &raw);
    if (status != 200 || !*raw.cookie) fail_msg("sign-in on %s: %ld %s", srv->base, status, raw.body ? raw.body : "");
    snprintf(c->cookie, sizeof c->cookie, "Cookie: %s", raw.cookie);
    snprintf(c->csrf, sizeof c->csrf, "X-CSRF-Token: %s", json_string_value(json_object_get(j, "csrf_token")));
    free(raw.body);
    json_decref(j);
}

/* --- the practice ---------------------------------------------------------------------------------- */

struct world {
    struct test_db db;
    psy_id practice, group;
    char payers[8][81]; /* the payers with ready claims */
    int npayers;
};

/* A small invented practice whose claims are ready for the 837P (addresses, ZIP+4, billing phone), and
 * a clinician user for the leader of its group. */
static void world_make(const struct test_backend *b, struct world *w)
{
    memset(w, 0, sizeof *w);
    test_db_make(b, &w->db);
    psy_store *st = test_db_open(&w->db, 1);
    struct psy_demo_opts o = {.seed = 23, .end_date = "2026-03-31", .weeks = 3, .clients = 16, .groups = 1, .clean = 1};
    struct psy_demo_result r;
    if (psy_records_demo(st, &o, &r)) fail_msg("demo practice on %s: %s", b->name, psy_store_errmsg(st));
    w->practice = r.practice_id;
    free(r.problems);
    struct psy_practice p;
    assert_int_equal(psy_records_practice_get(st, w->practice, &p), PSY_OK);
    snprintf(p.zip + 5, sizeof p.zip - 5, "0042");
    assert_int_equal(psy_records_practice_update(st, &p), PSY_OK);
    struct psy_client *cl;
    size_t n;
    assert_int_equal(psy_records_client_list(st, w->practice, &cl, &n), PSY_OK);
    for (size_t i = 0; i < n; i++) {
        snprintf(cl[i].address, sizeof cl[i].address, "%zu Quarry Lane", 200 + i);
        snprintf(cl[i].city, sizeof cl[i].city, "Easton");
        snprintf(cl[i].state, sizeof cl[i].state, "OH");
        snprintf(cl[i].zip, sizeof cl[i].zip, "43001");
        assert_int_equal(psy_records_client_update(st, w->practice, &cl[i]), PSY_OK);
    }
    free(cl);
    assert_int_equal(psy_billing_set_contact(st, w->practice, "5555550199"), PSY_OK);
    psy_coder *cx;
    char err[300];
    assert_int_equal(psy_coding_open(st, &cx, err, sizeof err), PSY_OK);
    struct psy_billing_build_result br;
    assert_int_equal(psy_billing_build(st, cx, w->practice, "", "", &br), PSY_OK);
    psy_coding_close(cx);
    struct psy_billing_claim *c;
    assert_int_equal(psy_billing_claim_list(st, w->practice, "ready", &c, &n), PSY_OK);
    for (size_t i = 0; i < n; i++) {
        int k = 0;
        while (k < w->npayers && strcmp(w->payers[k], c[i].payer_code)) k++;
        if (k == w->npayers && k < 8) snprintf(w->payers[w->npayers++], sizeof w->payers[0], "%s", c[i].payer_code);
    }
    psy_billing_claims_free(c, n);
    assert_true(w->npayers >= 2);

    psy_id *groups;
    assert_int_equal(psy_records_group_list(st, w->practice, 0, &groups, &n), PSY_OK);
    assert_true(n >= 1);
    w->group = groups[0];
    free(groups);
    struct psy_group g;
    assert_int_equal(psy_records_group_get(st, w->practice, w->group, &g), PSY_OK);
    struct psy_auth_policy cheap;
    psy_auth_policy_init(&cheap);
    cheap.pwhash_opslimit = 1;
    cheap.pwhash_memlimit = 8192 * 1024; /* the hash string carries its cost: the servers verify it cheaply */
    struct psy_user u = {.practice_id = w->practice, .role = PSY_ROLE_CLINICIAN, .clinician_id = g.clinician_id,
                         .active = 1};
    snprintf(u.username, sizeof u.username, "lead");
    if (psy_auth_user_add(st, &cheap, &u, PW, NULL)) fail_msg("user: %s", psy_store_errmsg(st));
    psy_store_close(st);
}

/* --- (a) the same group session saved through both servers at once --------------------------------- */

/* The group note of a session reply; *count gets how many group notes it has. */
static json_t *group_note(json_t *session, int *count)
{
    json_t *note = NULL, *n;
    size_t i;
    *count = 0;
    json_array_foreach(json_object_get(session, "notes"), i, n)
        if (!json_integer_value(json_object_get(n, "client_id"))) {
            note = n;
            ++*count;
        }
    return note;
}

static void draft(char *out, size_t len, json_int_t version, json_int_t note_id, json_int_t note_version,
                  const char *theme)
{
    char id[64] = "";
    if (note_id) snprintf(id, sizeof id, "\"id\": %lld, \"version\": %lld, ", (long long)note_id, (long long)note_version);
    snprintf(out, len,
             "{\"version\": %lld, \"start_utc\": \"" SERVICE_DATE "T18:00:00Z\", \"stop_utc\": \"" SERVICE_DATE
             "T19:30:00Z\", \"notes\": [{%s\"client_id\": 0, \"theme\": \"%s\", \"techniques\": \"CBT\", "
             "\"dynamics\": \"cohesive\", \"factors\": \"universality\"}]}",
             (long long)version, id, theme);
}

/* One person's edit: load the session through their server, wait for the other, save what they read
 * with their own text. */
struct save {
    const struct client *c;
    const char *path;
    char theme[64];
    pthread_barrier_t *go;
    long read_status, status;
    json_int_t read_version;
    json_t *reply;
};

static void *save_main(void *arg)
{
    struct save *s = arg;
    char body[1024] = "";
    json_t *j = request(s->c, "GET", s->path, NULL, &s->read_status, NULL);
    int count;
    json_t *note = group_note(j, &count);
    s->read_version = json_integer_value(json_object_get(j, "version"));
    if (s->read_status == 200 && note)
        draft(body, sizeof body, s->read_version, json_integer_value(json_object_get(note, "id")),
              json_integer_value(json_object_get(note, "version")), s->theme);
    json_decref(j);
    pthread_barrier_wait(s->go);
    if (*body) s->reply = request(s->c, "PUT", s->path, body, &s->status, NULL);
    return NULL;
}

static void race_saves(const struct world *w, const struct client c[2])
{
    char path[64], body[1024];
    snprintf(path, sizeof path, "/api/groups/%lld/sessions", (long long)w->group);
    json_t *j = expect(&c[0], "POST", path, "{\"service_date\": \"" SERVICE_DATE "\"}", 201);
    json_int_t sid = json_integer_value(json_object_get(j, "id"));
    json_int_t version = json_integer_value(json_object_get(j, "version"));
    json_decref(j);
    snprintf(path, sizeof path, "/api/sessions/%lld", (long long)sid);
    draft(body, sizeof body, version, 0, 0, "opening draft");
    j = expect(&c[1], "PUT", path, body, 200);
    int count;
    json_t *note = group_note(j, &count);
    assert_int_equal(count, 1);
    json_decref(j);

    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 2);
    int wins[2] = {0, 0};
    for (int round = 0; round < ROUNDS; round++) {
        struct save s[2];
        pthread_t t[2];
        for (int k = 0; k < 2; k++) {
            s[k] = (struct save){.c = &c[k], .path = path, .go = &go};
            snprintf(s[k].theme, sizeof s[k].theme, "round %d, saved through server %c", round, 'A' + k);
            assert_int_equal(pthread_create(&t[k], NULL, save_main, &s[k]), 0);
        }
        for (int k = 0; k < 2; k++) pthread_join(t[k], NULL);
        if (s[0].read_status != 200 || s[1].read_status != 200 || s[0].read_version != s[1].read_version)
            fail_msg("round %d: the loads answered %ld and %ld (versions %lld, %lld)", round, s[0].read_status,
                     s[1].read_status, (long long)s[0].read_version, (long long)s[1].read_version);
        int winner = s[0].status == 200 ? 0 : 1, loser = 1 - winner;
        if (s[winner].status != 200 || s[loser].status != 409)
            fail_msg("round %d: the saves answered %ld and %ld, not one 200 and one 409", round, s[0].status,
                     s[1].status);
        const char *code = json_string_value(json_object_get(json_object_get(s[loser].reply, "error"), "code"));
        if (!code || strcmp(code, "conflict") != 0) fail_msg("round %d: the 409 says '%s'", round, code ? code : "");
        wins[winner]++;
        json_int_t saved = json_integer_value(json_object_get(s[winner].reply, "version"));
        assert_true(saved > s[winner].read_version);
        /* what is stored, read through the losing server: the winner's text, one group note */
        char want[64];
        snprintf(want, sizeof want, "round %d, saved through server %c", round, 'A' + winner);
        j = expect(&c[loser], "GET", path, NULL, 200);
        note = group_note(j, &count);
        assert_int_equal(count, 1);
        if (strcmp(json_string_value(json_object_get(note, "theme")), want) != 0)
            fail_msg("round %d: stored '%s', the winner saved '%s'", round,
                     json_string_value(json_object_get(note, "theme")), want);
        assert_int_equal(json_integer_value(json_object_get(j, "version")), saved);
        json_decref(j);
        for (int k = 0; k < 2; k++) json_decref(s[k].reply);
    }
    pthread_barrier_destroy(&go);
    printf("%d rounds: server A won %d, server B won %d\n", ROUNDS, wins[0], wins[1]);
}

/* --- (b) 837P batches written at once ------------------------------------------------------------- */

/* Element element_no (from 1) of the first segment named id, into out ("" when there is none). The ISA
 * segment fixes the separators: the element separator is its 4th character, the terminator its 106th. */
static void element(const char *doc, const char *id, int element_no, char *out, size_t len)
{
    const char sep = doc[3], term = doc[105];
    size_t idlen = strlen(id);
    out[0] = 0;
    for (const char *seg = doc; *seg;) {
        seg += strspn(seg, "\r\n");
        const char *end = strchr(seg, term);
        if (!end) return;
        if (!strncmp(seg, id, idlen) && seg[idlen] == sep) {
            const char *p = seg;
            for (int k = 0; k < element_no; k++) {
                p = memchr(p, sep, (size_t)(end - p));
                if (!p) return;
                p++;
            }
            const char *stop = memchr(p, sep, (size_t)(end - p));
            snprintf(out, len, "%.*s", (int)((stop ? stop : end) - p), p);
            return;
        }
        seg = end + 1;
    }
}

/* Adds the CLM01 (claim number) of every claim in doc to seen; fails on one seen before. */
static void claims_once(const char *doc, char (*seen)[40], int *nseen, int cap)
{
    for (const char *p = strstr(doc, "CLM*"); p; p = strstr(p + 4, "CLM*")) {
        if (p > doc && p[-1] != '~' && p[-1] != '\n') continue;
        char id[40];
        size_t n = strcspn(p + 4, "*~");
        assert_true(n > 0 && n < sizeof id);
        memcpy(id, p + 4, n);
        id[n] = 0;
        for (int i = 0; i < *nseen; i++)
            if (!strcmp(seen[i], id)) fail_msg("claim %s written into two 837P files", id);
        assert_true(*nseen < cap);
        snprintf(seen[(*nseen)++], sizeof seen[0], "%s", id);
    }
}

/* Two exports per payer, all at once: every ready claim goes into exactly one file (the second export
 * of a payer finds nothing left, or what the first did not take), and no control number repeats. */
static void race_exports(const struct world *w)
{
    enum { PER_PAYER = 2 };
    pid_t pid[8 * PER_PAYER];
    char *out[8 * PER_PAYER];
    int nproc = w->npayers * PER_PAYER;
    for (int i = 0; i < nproc; i++) {
        out[i] = test_tmp_path(".837");
        fflush(NULL);
        pid[i] = fork();
        assert_true(pid[i] >= 0);
        if (pid[i] == 0) {
            if (!freopen("/dev/null", "w", stdout)) _exit(126);
            execl(PSY_CLI, PSY_CLI, "claims", "export", "--db", w->db.uri, "--payer", w->payers[i / PER_PAYER],
                  "--out", out[i], (char *)NULL);
            _exit(127);
        }
    }
    char seen[48][16];
    int nseen = 0, nfiles = 0, nclaims = 0;
    static char claims[4096][40];
    for (int i = 0; i < nproc; i++) {
        int status;
        assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail_msg("claims export --payer %s failed", w->payers[i / PER_PAYER]);
        FILE *f = fopen(out[i], "rb");
        if (!f) { /* this export found no ready claim left for its payer */
            free(out[i]);
            continue;
        }
        nfiles++;
        static char doc[1 << 18];
        size_t len = fread(doc, 1, sizeof doc - 1, f);
        fclose(f);
        doc[len] = 0;
        assert_true(len > 106 && !strncmp(doc, "ISA", 3));
        claims_once(doc, claims, &nclaims, 4096);
        static const struct { const char *seg; int el; } numbers[] = {{"ISA", 13}, {"GS", 6}, {"ST", 2}};
        for (size_t k = 0; k < 3; k++) {
            char v[16];
            element(doc, numbers[k].seg, numbers[k].el, v, sizeof v);
            assert_true(*v);
            unsigned long num = strtoul(v, NULL, 10);
            for (int s = 0; s < nseen; s++)
                if (!strncmp(seen[s], numbers[k].seg, 3) && strtoul(seen[s] + 4, NULL, 10) == num)
                    fail_msg("%s control number %lu used twice", numbers[k].seg, num);
            snprintf(seen[nseen++], sizeof seen[0], "%-3.3s %lu", numbers[k].seg, num);
        }
        unlink(out[i]);
        free(out[i]);
    }
    assert_true(nfiles >= w->npayers);
    printf("%d exports at once (%d per payer): %d files, %d claims each in one file, %d control numbers, all distinct\n",
           nproc, PER_PAYER, nfiles, nclaims, nseen);
}

/* --- the test --------------------------------------------------------------------------------------- */

static void test_two_servers(void **state)
{
    const struct test_backend *b = *state;
    struct world w;
    world_make(b, &w);
    struct client c[2];
    for (int k = 0; k < 2; k++) server_start(w.db.uri, &servers[k]);
    for (int k = 0; k < 2; k++) sign_in(&servers[k], "lead", &c[k]);
    race_saves(&w, c);
    for (int k = 0; k < 2; k++) assert_true(server_stop(&servers[k]));
    race_exports(&w);
    test_db_drop(&w.db);
}

/* --- the first run ----------------------------------------------------------------------------------- */

#define SETUP_RACERS 4

struct setup_racer {
    const struct server *srv;
    pthread_barrier_t *go;
    int k;
    long status;
};

static void *setup_main(void *arg)
{
    struct setup_racer *r = arg;
    struct client c = {.srv = r->srv};
    char body[700];
    snprintf(body, sizeof body,
             "{\"name\": \"Racing Practice %d\", \"npi\": \"2123456784\", \"tax_id\": \"12-3456789\","
             " \"address\": \"100 Main St\", \"city\": \"Springfield\", \"state\": \"IL\", \"zip\": \"62701-1234\","
             " \"time_zone\": \"America/Chicago\", \"billing_contact\": \"Pat Doe\", \"billing_phone\": \"2175550100\","
             " \"admin_username\": \"admin%d\", \"admin_password\": \"" PW "\","
             " \"payers\": [{\"profile\": \"medicare\", \"payer_code\": \"MCR%d\"}]}",
             r->k, r->k, r->k);
    pthread_barrier_wait(r->go);
    json_decref(request(&c, "POST", "/api/setup", body, &r->status, NULL));
    return NULL;
}

/* Round after round on a fresh empty database: SETUP_RACERS first-run setups at once, half on each
 * server; one wins, the others are told the database has its practice. */
static void test_first_run_race(void **state)
{
    const struct test_backend *b = *state;
    for (int round = 0; round < 3; round++) {
        struct test_db d;
        test_db_make(b, &d);
        psy_store_close(test_db_open(&d, 1));
        for (int k = 0; k < 2; k++) server_start(d.uri, &servers[k]);
        struct client probe = {.srv = &servers[0]};
        json_t *j = expect(&probe, "GET", "/api/setup", NULL, 200);
        assert_true(json_is_true(json_object_get(j, "needed")));
        json_decref(j);
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, SETUP_RACERS);
        struct setup_racer r[SETUP_RACERS];
        pthread_t t[SETUP_RACERS];
        for (int k = 0; k < SETUP_RACERS; k++) {
            r[k] = (struct setup_racer){&servers[k % 2], &go, k, 0};
            assert_int_equal(pthread_create(&t[k], NULL, setup_main, &r[k]), 0);
        }
        int won = -1, refused = 0;
        for (int k = 0; k < SETUP_RACERS; k++) {
            pthread_join(t[k], NULL);
            if (r[k].status == 201) {
                if (won >= 0) fail_msg("round %d: racers %d and %d both set up a practice", round, won, k);
                won = k;
            } else if (r[k].status == 403) {
                refused++;
            } else {
                fail_msg("round %d: racer %d got %ld", round, k, r[k].status);
            }
        }
        pthread_barrier_destroy(&go);
        assert_true(won >= 0);
        assert_int_equal(refused, SETUP_RACERS - 1);
        /* exactly the winner's practice, admin and payer: nothing of the losers */
        assert_int_equal(test_db_count(&d, "SELECT COUNT(*) FROM practice"), 1);
        assert_int_equal(test_db_count(&d, "SELECT COUNT(*) FROM app_user"), 1);
        assert_int_equal(test_db_count(&d, "SELECT COUNT(*) FROM payer"), 1);
        char sql[120];
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM app_user WHERE username = 'admin%d'", won);
        assert_int_equal(test_db_count(&d, sql), 1);
        /* closed from now on, on both servers, whatever is sent */
        for (int k = 0; k < 2; k++) {
            struct client c = {.srv = &servers[k]};
            j = expect(&c, "GET", "/api/setup", NULL, 200);
            assert_true(json_is_false(json_object_get(j, "needed")));
            assert_null(json_object_get(j, "profiles"));
            json_decref(j);
            json_decref(expect(&c, "POST", "/api/setup", "{}", 403));
        }
        /* the winner signs in */
        char user[16];
        snprintf(user, sizeof user, "admin%d", won);
        struct client c;
        sign_in(&servers[won % 2], user, &c);
        for (int k = 0; k < 2; k++) assert_true(server_stop(&servers[k]));
        test_db_drop(&d);
    }
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {cmocka_unit_test_teardown(test_two_servers, stop_servers),
                                       cmocka_unit_test_teardown(test_first_run_race, stop_servers)};
    int failed = test_run_on_backends("test_race", tests, sizeof tests / sizeof tests[0], NULL, NULL);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
