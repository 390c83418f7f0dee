/* test_store_contract.c -- the store's contract, run once against SQLite and once against PostgreSQL (a
 * real server: the ctest fixture pg_server started by scripts/pg-test-server.sh, or $PSY_TEST_PG_URI).
 * Every test gets a fresh database (a scratch file, or a scratch schema on the server); both backends
 * must pass the same tests and, where the test records it, give the very same answers. */
#include "support.h"
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pg_scratch.h"
#include "psy_db.h"

struct backend {
    const char *name;
    int pg;
    const char *server; /* PostgreSQL: the test server's URI */
};

/* One fresh database. */
struct fresh {
    const struct backend *b;
    char *uri, *path, *schema;
};

static void fresh_make(const struct backend *b, struct fresh *f)
{
    memset(f, 0, sizeof *f);
    f->b = b;
    if (!b->pg) {
        f->path = test_tmp_path(".db");
        f->uri = strdup(f->path);
        return;
    }
    char why[600];
    f->uri = pg_scratch_create(b->server, &f->schema, why, sizeof why);
    if (!f->uri) fail_msg("%s", why);
}

static void fresh_drop(struct fresh *f)
{
    if (f->b->pg) pg_scratch_drop(f->b->server, f->schema);
    else test_rm_db(f->path);
    free(f->uri);
    free(f->path);
    free(f->schema);
}

static psy_store *open_store(const char *uri)
{
    psy_store *st = NULL;
    char err[600];
    psy_status rc = psy_store_open(uri, &st, err, sizeof err);
    if (rc) fail_msg("open: %s", err);
    return st;
}

static psy_store *open_seeded(const struct backend *b, struct fresh *f)
{
    fresh_make(b, f);
    psy_store *st = open_store(f->uri);
    if (psy_catalog_seed(st)) fail_msg("seed: %s", psy_store_errmsg(st));
    return st;
}

/* The one integer a query answers (a count, an id). */
static long count_rows(psy_store *st, const char *sql)
{
    psy__stmt *s = psy__sql_prepare(st, sql);
    if (!s) fail_msg("%s: %s", sql, psy__db_errtext(st));
    assert_int_equal(psy__sql_step(s), PSY_SQL_ROW);
    long n = (long)psy__sql_int64(s, 0);
    psy__sql_finalize(s);
    return n;
}

/* Answers recorded by the first backend, compared with the second's. */
static uint64_t digest_catalog, digest_import;
static int have_digest_catalog, have_digest_import;

static void same_as_other_backend(uint64_t d, uint64_t *kept, int *have)
{
    if (!*have) {
        *kept = d;
        *have = 1;
        return;
    }
    assert_true(d == *kept);
}

static uint64_t mix(uint64_t h, const char *s)
{
    return h * 1099511628211ULL ^ psy__hash64(s ? s : "(null)", strlen(s ? s : "(null)"));
}

/* The highest migration number of a dialect. */
static void newest_one(void *ud, const char *name, const char *data, size_t len)
{
    (void)data;
    (void)len;
    const char *base = strrchr(name, '/');
    int v = atoi(base ? base + 1 : name);
    if (v > *(int *)ud) *(int *)ud = v;
}

/* --- opening and migrating ---------------------------------------------------------------------------- */

static void test_open_and_reopen(void **state)
{
    const struct backend *b = *state;
    struct fresh f;
    psy_store *st = open_seeded(b, &f);
    int newest = 0;
    psy_data_each(b->pg ? "sql/postgres/" : "sql/sqlite/", newest_one, &newest);
    assert_true(newest >= 1);
    assert_int_equal(psy_store_schema_version(st), newest);
    assert_string_equal(psy_store_backend(st), b->name);
    long before[PSY_SYS_COUNT], after[PSY_SYS_COUNT];
    assert_int_equal(psy_catalog_counts(st, before), PSY_OK);
    assert_true(before[PSY_SYS_CPT] > 20);
    psy_store_close(st);
    /* reopening migrates nothing and keeps the data */
    st = open_store(f.uri);
    assert_int_equal(psy_store_schema_version(st), newest);
    assert_int_equal(psy_catalog_counts(st, after), PSY_OK);
    assert_memory_equal(before, after, sizeof before);
    psy_store_close(st);
    fresh_drop(&f);
}

struct racer {
    const char *uri;
    psy_status open_rc, seed_rc;
    int version;
    long cpt;
    char err[600];
};

static void *race_open(void *arg)
{
    struct racer *r = arg;
    psy_store *st = NULL;
    r->open_rc = psy_store_open(r->uri, &st, r->err, sizeof r->err);
    if (r->open_rc) return NULL;
    r->seed_rc = psy_catalog_seed(st);
    if (r->seed_rc) snprintf(r->err, sizeof r->err, "%s", psy_store_errmsg(st));
    r->version = psy_store_schema_version(st);
    long counts[PSY_SYS_COUNT];
    if (psy_catalog_counts(st, counts) == PSY_OK) r->cpt = counts[PSY_SYS_CPT];
    psy_store_close(st);
    return NULL;
}

/* Several processes (here: connections on threads) starting on a new database together migrate and
 * seed it once, and every one of them ends up with the same complete store. */
static void test_concurrent_first_open(void **state)
{
    const struct backend *b = *state;
    struct fresh f;
    fresh_make(b, &f);
    enum { N = 4 };
    struct racer r[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        memset(&r[i], 0, sizeof r[i]);
        r[i].uri = f.uri;
        assert_int_equal(pthread_create(&t[i], NULL, race_open, &r[i]), 0);
    }
    for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
    int newest = 0;
    psy_data_each(b->pg ? "sql/postgres/" : "sql/sqlite/", newest_one, &newest);
    for (int i = 1; i <= N; i++) {
        struct racer *x = &r[i - 1];
        if (x->open_rc || x->seed_rc) fail_msg("racer %d: %s", i, x->err);
        assert_int_equal(x->version, newest);
        assert_int_equal(x->cpt, r[0].cpt);
    }
    assert_true(r[0].cpt > 20);
    psy_store *st = open_store(f.uri);
    assert_int_equal(count_rows(st, "SELECT count(*) FROM code WHERE system = 'cpt'"), r[0].cpt);
    psy_store_close(st);
    fresh_drop(&f);
}

static void test_open_errors(void **state)
{
    const struct backend *b = *state;
    psy_store *st;
    char err[600], uri[700];
    if (b->pg) { /* a database that does not exist on a server that does */
        snprintf(uri, sizeof uri, "%s", b->server);
        char *slash = strrchr(uri, '/');
        snprintf(slash + 1, sizeof uri - (size_t)(slash + 1 - uri), "no_such_db_here");
    } else {
        snprintf(uri, sizeof uri, "/nonexistent-dir/x.db");
    }
    assert_int_equal(psy_store_open(uri, &st, err, sizeof err), PSY_EDB);
    assert_null(st);
    assert_non_null(strstr(err, b->pg ? "no_such_db_here" : "/nonexistent-dir/x.db"));
}

/* --- the catalog ------------------------------------------------------------------------------------- */

struct walk {
    uint64_t h;
    size_t n;
};

static int digest_code(void *ud, const struct psy_code *c, const char *syn, const char *extra)
{
    struct walk *w = ud;
    char num[64];
    snprintf(num, sizeof num, "%d %d %d %d", (int)c->system, c->billable, c->addon, c->has_page);
    w->h = mix(mix(mix(mix(mix(mix(mix(mix(w->h, c->code), c->short_title), c->long_title), c->effective),
                           c->terminated), syn), extra), num);
    w->n++;
    return 0;
}

static void test_catalog(void **state)
{
    const struct backend *b = *state;
    struct fresh f;
    psy_store *st = open_seeded(b, &f);
    test_check_lookups(st);

    struct psy_link *links;
    size_t n;
    assert_int_equal(psy_catalog_links(st, PSY_SYS_CPT, "90840", &links, &n), PSY_OK);
    assert_true(n > 0);
    assert_string_equal(links[0].kind, "primary"); /* primaries sort first */
    assert_string_equal(links[0].code, "90839");
    psy_links_free(links, n);

    char *page;
    assert_int_equal(psy_catalog_page(st, PSY_SYS_CPT, "90837", &page), PSY_OK);
    assert_non_null(strstr(page, "\"code\":\"90837\""));
    free(page);
    assert_int_equal(psy_catalog_page(st, PSY_SYS_CPT, "99213", &page), PSY_ENOTFOUND);

    struct psy_code sug[5];
    size_t k = psy_catalog_suggest(st, PSY_SYS_COUNT, "90854", sug, 5);
    int found = 0;
    struct walk w = {1469598103934665603ULL, 0};
    for (size_t i = 0; i < k; i++) {
        found |= strcmp(sug[i].code, "90853") == 0;
        w.h = mix(w.h, sug[i].code);
        psy_code_clear(&sug[i]);
    }
    assert_true(found);
    assert_int_equal(psy_catalog_suggest(st, PSY_SYS_COUNT, "", sug, 5), 0);

    long before[PSY_SYS_COUNT], after[PSY_SYS_COUNT];
    assert_int_equal(psy_catalog_counts(st, before), PSY_OK);
    assert_int_equal(psy_catalog_seed(st), PSY_OK); /* the same build again: nothing changes */
    assert_int_equal(psy_catalog_counts(st, after), PSY_OK);
    assert_memory_equal(before, after, sizeof before);

    /* everything the catalog can list, in order, with its pages' text: identical on both backends */
    assert_int_equal(psy_catalog_foreach(st, digest_code, &w), PSY_OK);
    long total = 0;
    for (int i = 0; i < PSY_SYS_COUNT; i++) total += before[i];
    assert_int_equal((long)w.n, total);
    same_as_other_backend(w.h, &digest_catalog, &have_digest_catalog);
    psy_store_close(st);
    fresh_drop(&f);
}

/* --- imports ------------------------------------------------------------------------------------------ */

static char *order_file(int first, int count, const char *title, const char *extra)
{
    size_t cap = (size_t)count * 200 + 1000, n = 0;
    char *buf = malloc(cap), code[16];
    for (int i = 0; i < count; i++) {
        snprintf(code, sizeof code, "Y%04d", first + i);
        n += (size_t)snprintf(buf + n, cap - n, "%05d %-7s 1 %-60s %s %d\n", i + 1, code, title, title, first + i);
    }
    n += (size_t)snprintf(buf + n, cap - n, "%s", extra);
    char *path = test_write_file(buf, n);
    free(buf);
    return path;
}

static void test_import(void **state)
{
    const struct backend *b = *state;
    struct fresh f;
    psy_store *st = open_seeded(b, &f);
    char err[600];
    struct psy_import_stats s;
    struct psy_import_opts o = {.effective = "2024-10-01"};
    /* 700 codes (several write chunks), the last one listed twice with another title */
    char dup[200];
    snprintf(dup, sizeof dup, "%05d %-7s 1 %-60s %s\n", 701, "Y9699", "Changed", "Changed");
    char *fa = order_file(9000, 700, "Release one", dup);
    assert_int_equal(psy_catalog_import(st, PSY_IMPORT_ICD10CM, fa, &o, &s, err, sizeof err), PSY_OK);
    assert_int_equal(s.added, 700);
    assert_int_equal(s.updated, 1);
    struct psy_code c;
    assert_int_equal(psy_catalog_get(st, PSY_SYS_ICD10CM, "Y96.99", &c), PSY_OK);
    assert_string_equal(c.short_title, "Changed");
    psy_code_clear(&c);
    /* the next release drops 100 codes and renames the rest */
    o.effective = "2025-03-01";
    char *fb = order_file(9000, 600, "Release two", "");
    assert_int_equal(psy_catalog_import(st, PSY_IMPORT_ICD10CM, fb, &o, &s, err, sizeof err), PSY_OK);
    assert_int_equal(s.added, 0);
    assert_int_equal(s.updated, 600);
    assert_int_equal(s.terminated, 100);
    assert_int_equal(psy_catalog_get(st, PSY_SYS_ICD10CM, "Y96.50", &c), PSY_OK);
    assert_string_equal(c.terminated, "2025-02-28");
    assert_string_equal(c.effective, "2024-10-01");
    psy_code_clear(&c);
    assert_int_equal(psy_catalog_get(st, PSY_SYS_ICD10CM, "Y95.99", &c), PSY_OK);
    assert_string_equal(c.long_title, "Release two 9599");
    assert_string_equal(c.terminated, "");
    psy_code_clear(&c);
    /* a bad line after several chunks were sent keeps nothing of the file */
    long before = count_rows(st, "SELECT count(*) FROM code WHERE long_title LIKE 'Release three%'");
    char *fc = order_file(8000, 600, "Release three", "99999 not a line\n");
    assert_int_equal(psy_catalog_import(st, PSY_IMPORT_ICD10CM, fc, &o, &s, err, sizeof err), PSY_EPARSE);
    assert_non_null(strstr(err, ":601:"));
    assert_int_equal(count_rows(st, "SELECT count(*) FROM code WHERE long_title LIKE 'Release three%'"), before);
    assert_int_equal(s.added, 0);
    /* the store is usable after the failed import */
    assert_int_equal(psy_catalog_get(st, PSY_SYS_ICD10CM, "Y95.99", &c), PSY_OK);
    psy_code_clear(&c);
    unlink(fa);
    unlink(fb);
    unlink(fc);
    free(fa);
    free(fb);
    free(fc);
    psy_store_close(st);
    fresh_drop(&f);
}

/* The official files, when they are beside the checkout: the same counts on both backends. */
static void test_import_official(void **state)
{
    const struct backend *b = *state;
    char icd[512], hcpcs[512];
    if (!test_have_shared("icd10cm/icd10cm_order_2022_fixedwidth.txt", icd, sizeof icd) ||
        !test_have_shared("hcpcs/HCPC2025_OCT_ANWEB.tsv", hcpcs, sizeof hcpcs)) {
        skip();
        return;
    }
    struct fresh f;
    psy_store *st = open_seeded(b, &f);
    char err[600];
    struct psy_import_stats s;
    uint64_t h = 1469598103934665603ULL;
    char line[200];
    assert_int_equal(psy_catalog_import(st, PSY_IMPORT_ICD10CM, icd, NULL, &s, err, sizeof err), PSY_OK);
    assert_int_equal(s.added + s.updated, 95524);
    snprintf(line, sizeof line, "%ld %ld %ld", s.added, s.updated, s.terminated);
    h = mix(h, line);
    assert_int_equal(psy_catalog_import(st, PSY_IMPORT_HCPCS, hcpcs, NULL, &s, err, sizeof err), PSY_OK);
    assert_int_equal(s.modifiers, 383);
    snprintf(line, sizeof line, "%ld %ld %ld", s.added, s.updated, s.unchanged);
    h = mix(h, line);
    assert_int_equal(psy_catalog_import(st, PSY_IMPORT_ICD10CM, icd, NULL, &s, err, sizeof err), PSY_OK);
    assert_int_equal(s.unchanged, 95524);
    long counts[PSY_SYS_COUNT];
    assert_int_equal(psy_catalog_counts(st, counts), PSY_OK);
    for (int i = 0; i < PSY_SYS_COUNT; i++) {
        snprintf(line, sizeof line, "%ld", counts[i]);
        h = mix(h, line);
    }
    struct psy_code c;
    assert_int_equal(psy_catalog_get(st, PSY_SYS_ICD10CM, "F43.10", &c), PSY_OK);
    assert_string_equal(c.long_title, "Post-traumatic stress disorder, unspecified");
    assert_string_equal(c.effective, "2021-10-01");
    psy_code_clear(&c);
    same_as_other_backend(h, &digest_import, &have_digest_import);
    psy_store_close(st);
    fresh_drop(&f);
}

/* --- the SQL layer -------------------------------------------------------------------------------------- */

static void make_table(psy_store *st)
{
    const char *ddl = psy__db_dialect(st) == PSY_DB_POSTGRES
                          ? "CREATE TABLE t_layer (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
                            "name TEXT NOT NULL UNIQUE, n BIGINT, x DOUBLE PRECISION)"
                          : "CREATE TABLE t_layer (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INTEGER, "
                            "x REAL)";
    assert_int_equal(psy__sql_exec(st, ddl), PSY_OK);
}

/* A fresh, empty store with the scratch table. */
static psy_store *open_with_table(const struct backend *b, struct fresh *f)
{
    fresh_make(b, f);
    psy_store *st = open_store(f->uri);
    make_table(st);
    return st;
}

static psy_status insert_row(psy_store *st, const char *name, int64_t n, int64_t *id)
{
    psy__stmt *s = psy__sql_prepare(st, "INSERT INTO t_layer(name, n, x) VALUES (?, ?, ?) RETURNING id");
    assert_non_null(s);
    psy__sql_bind_text(s, 1, name);
    psy__sql_bind_int64(s, 2, n);
    psy__sql_bind_double(s, 3, 3.25);
    int64_t dummy;
    psy_status rc = psy__sql_insert_id(st, s, id ? id : &dummy);
    psy__sql_finalize(s);
    return rc;
}

static void test_sql_layer(void **state)
{
    const struct backend *b = *state;
    struct fresh f;
    psy_store *st = open_with_table(b, &f);
    int64_t id1 = 0, id2 = 0;
    assert_int_equal(insert_row(st, "first", INT64_MAX, &id1), PSY_OK);
    assert_int_equal(insert_row(st, "second \xc3\xa4 \xf0\x9f\x99\x82 'quoted' ?", INT64_MIN, &id2), PSY_OK);
    assert_true(id1 >= 1);
    assert_true(id2 > id1);

    /* a `?` inside quotes or comments is text, not a parameter */
    psy__stmt *s = psy__sql_prepare(st, "SELECT '?' || ?, 'it''s ?', /* ? */ ? -- a comment?\n");
    assert_non_null(s);
    psy__sql_bind_text(s, 1, "a");
    psy__sql_bind_int64(s, 2, 7);
    assert_int_equal(psy__sql_step(s), PSY_SQL_ROW);
    assert_string_equal(psy__sql_text(s, 0), "?a");
    assert_string_equal(psy__sql_text(s, 1), "it's ?");
    assert_int_equal(psy__sql_int64(s, 2), 7);
    assert_int_equal(psy__sql_step(s), PSY_SQL_DONE);
    assert_int_equal(psy__sql_step(s), PSY_SQL_DONE); /* stays done until reset */
    psy__sql_finalize(s);

    /* values come back as they went in; NULL is NULL */
    const char *q = "SELECT name, n, x, id FROM t_layer WHERE id = ?";
    s = psy__sql_prepare(st, q);
    psy__sql_bind_int64(s, 1, id2);
    assert_int_equal(psy__sql_step(s), PSY_SQL_ROW);
    assert_string_equal(psy__sql_text(s, 0), "second \xc3\xa4 \xf0\x9f\x99\x82 'quoted' ?");
    assert_true(psy__sql_int64(s, 1) == INT64_MIN);
    assert_true(psy__sql_double(s, 2) == 3.25);
    assert_int_equal(psy__sql_int64(s, 3), id2);
    /* the same text while in use: a second, independent statement */
    psy__stmt *s2 = psy__sql_prepare(st, q);
    assert_non_null(s2);
    assert_ptr_not_equal(s, s2);
    psy__sql_bind_int64(s2, 1, id1);
    assert_int_equal(psy__sql_step(s2), PSY_SQL_ROW);
    assert_true(psy__sql_int64(s2, 1) == INT64_MAX);
    psy__sql_finalize(s2);
    assert_string_equal(psy__sql_text(s, 0), "second \xc3\xa4 \xf0\x9f\x99\x82 'quoted' ?");
    psy__sql_reset(s); /* rerun after reset, with a new binding */
    psy__sql_bind_null(s, 1);
    assert_int_equal(psy__sql_step(s), PSY_SQL_DONE);
    psy__sql_finalize(s);
    assert_ptr_equal(psy__sql_prepare(st, q), s); /* the cached statement is handed out again */
    psy__sql_finalize(s);

    s = psy__sql_prepare(st, "SELECT CAST(? AS TEXT), CAST(? AS INTEGER) IS NULL");
    psy__sql_bind_text(s, 1, NULL);
    psy__sql_bind_null(s, 2);
    assert_int_equal(psy__sql_step(s), PSY_SQL_ROW);
    assert_true(psy__sql_is_null(s, 0));
    assert_null(psy__sql_text(s, 0));
    assert_int_equal(psy__sql_int64(s, 1), 1);
    psy__sql_finalize(s);

    /* rows changed */
    s = psy__sql_prepare(st, "UPDATE t_layer SET x = x + 1 WHERE id >= ?");
    psy__sql_bind_int64(s, 1, 0);
    assert_int_equal(psy__sql_step(s), PSY_SQL_DONE);
    assert_int_equal(psy__sql_changes(s), 2);
    psy__sql_finalize(s);
    assert_int_equal(psy__sql_exec(st, "DELETE FROM t_layer WHERE n = 0; UPDATE t_layer SET n = 1 WHERE id < 0"),
                     PSY_OK);

    /* failures: the message and the kind */
    assert_null(psy__sql_prepare(st, "SELEC nothing"));
    assert_true(strlen(psy__db_errtext(st)) > 0);
    assert_int_equal(insert_row(st, "first", 1, NULL), PSY_EDB);
    assert_int_equal(psy__db_errkind(st), PSY_DBE_CONSTRAINT);
    assert_non_null(strstr(psy_store_errmsg(st), "insert"));
    assert_int_equal(count_rows(st, "SELECT count(*) FROM t_layer"), 2);

    /* a bind the statement cannot take is reported, and the statement does not run without it */
    s = psy__sql_prepare(st, "UPDATE t_layer SET x = 0 WHERE id = ?");
    assert_non_null(s);
    assert_int_equal(psy__sql_bind_int64(s, 1, id1), 0);
    assert_int_equal(psy__sql_bind_int64(s, 2, id2), -1);
    assert_non_null(strstr(psy__db_errtext(st), "parameter"));
    assert_int_equal(psy__sql_step(s), PSY_SQL_ERROR);
    psy__sql_finalize(s);
    int64_t changed = -1;
    assert_int_equal(
        psy__db_run(st, &changed, "UPDATE t_layer SET x = 0 WHERE id = ?", PSY_ARGS(PSY_INT(id1), PSY_INT(id2))),
        PSY_EDB);
    assert_int_equal(changed, 0);
    assert_int_equal(count_rows(st, "SELECT count(*) FROM t_layer WHERE x = 0"), 0);
    psy_store_close(st);
    fresh_drop(&f);
}

/* The query API: typed arguments, row maps, WHERE from the filters given (psy_db.h). */
struct layer_row {
    int64_t id;
    char name[64];
    long long n;
    double x;
    char *note;
};

static void test_query_api(void **state)
{
    const struct backend *b = *state;
    struct fresh f;
    psy_store *st = open_with_table(b, &f);
    int64_t id1 = 0, id2 = 0, n = 0;
    assert_int_equal(insert_row(st, "first", 5, &id1), PSY_OK);
    assert_int_equal(insert_row(st, "second", 6, &id2), PSY_OK);
    static const struct psy__col cols[] = {PSY__COL(struct layer_row, id, i), PSY__COL(struct layer_row, name, s),
                                           PSY__COL(struct layer_row, n, c), PSY__COL(struct layer_row, x, f),
                                           PSY__COLX(struct layer_row, "NULL", note, N)};
    static const struct psy__map map = PSY__MAP(cols);
    struct layer_row row;
    memset(&row, 0, sizeof row);
    assert_int_equal(psy__db_row(st, &row, &map, "FROM t_layer WHERE id = ?", PSY_ARGS(PSY_INT(id2))), PSY_OK);
    assert_int_equal(row.id, id2);
    assert_string_equal(row.name, "second");
    assert_true(row.n == 6);
    assert_true(row.x == 3.25);
    assert_null(row.note);
    assert_int_equal(psy__db_row(st, &row, &map, "FROM t_layer WHERE id = ?", PSY_ARGS(PSY_INT(id2 + 100))),
                     PSY_ENOTFOUND);
    /* the WHERE holds only the filters given */
    const char *names[] = {NULL, "", "first"};
    const size_t want[] = {2, 2, 1};
    for (int k = 0; k < 3; k++) {
        struct psy__query q;
        void *v;
        size_t count = 0;
        psy__query_init(&q, "FROM t_layer", PSY_NOARGS);
        psy__query_where(&q, "id > ?", PSY_INT(0));
        if (names[k] && *names[k]) psy__query_where(&q, "name = ?", PSY_TEXT(names[k]));
        psy__query_sql(&q, " ORDER BY id");
        assert_non_null(strstr(q.sql.p, " WHERE (id > ?)"));
        assert_true((strstr(q.sql.p, "name") != NULL) == (want[k] == 1));
        assert_int_equal(psy__db_rows(st, &v, &count, sizeof row, &map, q.sql.p, q.args, q.n), PSY_OK);
        psy__query_free(&q);
        assert_int_equal(count, want[k]);
        assert_int_equal(((struct layer_row *)v)[0].id, id1);
        free(v);
    }
    assert_int_equal(psy__db_int(st, &n, "SELECT count(*) FROM t_layer WHERE name = ? OR id = ?",
                                 PSY_ARGS(PSY_TEXT_OR_NULL(""), PSY_INT_OR_NULL(0))),
                     PSY_OK);
    assert_int_equal(n, 0); /* "" and 0 bound NULL, which equals nothing */
    psy_store_close(st);
    fresh_drop(&f);
}

static void test_transactions(void **state)
{
    const struct backend *b = *state;
    struct fresh f;
    psy_store *st = open_with_table(b, &f);
    assert_int_equal(psy__store_commit(st), PSY_OK); /* nothing open: nothing to do */

    /* an inner rollback undoes only the inner work */
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(insert_row(st, "a", 1, NULL), PSY_OK);
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(insert_row(st, "b", 2, NULL), PSY_OK);
    psy__store_rollback(st);
    assert_int_equal(insert_row(st, "c", 3, NULL), PSY_OK);
    /* another connection sees none of it before the commit */
    psy_store *other = open_store(f.uri);
    assert_int_equal(count_rows(other, "SELECT count(*) FROM t_layer"), 0);
    assert_int_equal(psy__store_commit(st), PSY_OK);
    assert_int_equal(count_rows(other, "SELECT count(*) FROM t_layer"), 2);
    assert_int_equal(count_rows(other, "SELECT count(*) FROM t_layer WHERE name = 'b'"), 0);

    /* a failed statement inside a nested begin: roll it back and the outer transaction goes on */
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(insert_row(st, "d", 4, NULL), PSY_OK);
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(insert_row(st, "a", 5, NULL), PSY_EDB);
    psy__store_rollback(st);
    assert_int_equal(insert_row(st, "e", 6, NULL), PSY_OK);
    assert_int_equal(psy__store_commit(st), PSY_OK);
    assert_int_equal(count_rows(other, "SELECT count(*) FROM t_layer WHERE name IN ('d', 'e')"), 2);

    /* an outer rollback undoes everything, the nested commits too */
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(insert_row(st, "f", 7, NULL), PSY_OK);
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(insert_row(st, "g", 8, NULL), PSY_OK);
    assert_int_equal(psy__store_commit(st), PSY_OK);
    psy__store_rollback(st);
    assert_int_equal(count_rows(st, "SELECT count(*) FROM t_layer WHERE name IN ('f', 'g')"), 0);
    assert_int_equal(count_rows(st, "SELECT count(*) FROM t_layer"), 4);

    /* closing with a transaction open keeps none of it */
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(insert_row(st, "h", 9, NULL), PSY_OK);
    psy_store_close(st);
    assert_int_equal(count_rows(other, "SELECT count(*) FROM t_layer WHERE name = 'h'"), 0);
    psy_store_close(other);
    fresh_drop(&f);
}

/* A second connection for reads on another thread (psy__store_twin, the claims build's read ahead): it
 * reaches the same database and sees what was committed; there is none inside a transaction (whose
 * changes it would not see) nor for an in-memory SQLite database (which another connection cannot
 * reach). */
static void test_twin(void **state)
{
    const struct backend *b = *state;
    struct fresh f;
    psy_store *st = open_with_table(b, &f);
    assert_int_equal(insert_row(st, "a", 1, NULL), PSY_OK);
    psy_store *twin = psy__store_twin(st);
    assert_non_null(twin);
    assert_int_equal(count_rows(twin, "SELECT count(*) FROM t_layer WHERE name = 'a'"), 1);
    psy_store_close(twin);
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(insert_row(st, "b", 2, NULL), PSY_OK);
    assert_null(psy__store_twin(st));
    psy__store_rollback(st);
    psy_store_close(st);
    fresh_drop(&f);
    if (!b->pg) {
        psy_store *mem = open_store(":memory:");
        assert_null(psy__store_twin(mem));
        psy_store_close(mem);
    }
}

/* Several statements, one round trip (psy__db_pipeline): each statement's rows and counts read as if it
 * had run alone, in the order given; a failure stops the statements after it, and with BEGIN or COMMIT
 * in the same round trip (psy__store_begin_lock, psy__store_commit_after) nothing of a failed
 * transaction is kept. */
static void test_pipeline(void **state)
{
    const struct backend *b = *state;
    struct fresh f;
    psy_store *st = open_with_table(b, &f);
    assert_int_equal(insert_row(st, "one", 1, NULL), PSY_OK);
    assert_int_equal(insert_row(st, "two", 2, NULL), PSY_OK);

    /* outside a transaction: reads, a write between them, a read of nothing */
    psy__stmt *q[5];
    q[0] = psy__db_stmt(st, "SELECT name FROM t_layer WHERE n >= ? ORDER BY n", PSY_ARGS(PSY_INT(1)));
    q[1] = psy__db_stmt(st, "UPDATE t_layer SET n = n + 10 WHERE n < ?", PSY_ARGS(PSY_INT(5)));
    q[2] = psy__db_stmt(st, "SELECT sum(n) FROM t_layer", PSY_NOARGS);
    q[3] = psy__db_stmt(st, "SELECT name FROM t_layer WHERE name = ?", PSY_ARGS(PSY_TEXT("none")));
    q[4] = psy__db_stmt(st, "INSERT INTO t_layer(name, n, x) VALUES (?, ?, 0.5) RETURNING id",
                        PSY_ARGS(PSY_TEXT("three"), PSY_INT(3)));
    for (int i = 0; i < 5; i++) assert_non_null(q[i]);
    assert_int_equal(psy__db_pipeline(st, q, 5), PSY_OK);
    assert_int_equal(psy__sql_step(q[0]), PSY_SQL_ROW); /* the rows before the update, as given */
    assert_string_equal(psy__sql_text(q[0], 0), "one");
    assert_int_equal(psy__sql_step(q[0]), PSY_SQL_ROW);
    assert_string_equal(psy__sql_text(q[0], 0), "two");
    assert_int_equal(psy__sql_step(q[0]), PSY_SQL_DONE);
    assert_int_equal(psy__sql_step(q[1]), PSY_SQL_DONE);
    assert_int_equal(psy__sql_changes(q[1]), 2);
    assert_int_equal(psy__sql_step(q[2]), PSY_SQL_ROW);
    assert_int_equal(psy__sql_int64(q[2], 0), 23); /* after the update */
    assert_int_equal(psy__sql_step(q[3]), PSY_SQL_DONE);
    assert_int_equal(psy__sql_step(q[4]), PSY_SQL_ROW);
    int64_t three = psy__sql_int64(q[4], 0);
    assert_true(three > 0);
    for (int i = 0; i < 5; i++) psy__sql_finalize(q[i]);
    assert_int_equal(count_rows(st, "SELECT count(*) FROM t_layer WHERE n IN (11, 12, 3)"), 3);

    /* the same statements again: each is reset and runs anew */
    q[0] = psy__db_stmt(st, "SELECT sum(n) FROM t_layer", PSY_NOARGS);
    q[1] = psy__db_stmt(st, "SELECT name FROM t_layer WHERE n >= ? ORDER BY n", PSY_ARGS(PSY_INT(12)));
    assert_int_equal(psy__db_pipeline(st, q, 2), PSY_OK);
    assert_int_equal(psy__sql_step(q[0]), PSY_SQL_ROW);
    assert_int_equal(psy__sql_int64(q[0], 0), 26);
    assert_int_equal(psy__sql_step(q[1]), PSY_SQL_ROW);
    assert_string_equal(psy__sql_text(q[1], 0), "two");
    assert_int_equal(psy__sql_step(q[1]), PSY_SQL_DONE);
    psy__sql_finalize(q[0]);
    psy__sql_finalize(q[1]);

    /* BEGIN and a lock in one round trip, then a failure in the middle: the statement after it does
     * not run, the message names the failure, and the rollback keeps nothing */
    assert_int_equal(psy__store_begin_lock(st, 4242, NULL, 0), PSY_OK);
    assert_true(psy__store_in_transaction(st));
    q[0] = psy__db_stmt(st, "INSERT INTO t_layer(name, n, x) VALUES (?, 4, 0) RETURNING id", PSY_ARGS(PSY_TEXT("four")));
    q[1] = psy__db_stmt(st, "INSERT INTO t_layer(name, n, x) VALUES (?, 5, 0) RETURNING id", PSY_ARGS(PSY_TEXT("one")));
    q[2] = psy__db_stmt(st, "UPDATE t_layer SET n = 0", PSY_NOARGS);
    assert_int_equal(psy__db_pipeline(st, q, 3), PSY_EDB);
    assert_non_null(strstr(psy_store_errmsg(st), "database: "));
    assert_int_equal(psy__sql_step(q[0]), PSY_SQL_ROW);
    assert_int_equal(psy__sql_step(q[1]), PSY_SQL_ERROR);
    assert_int_equal(psy__sql_step(q[2]), PSY_SQL_ERROR);
    for (int i = 0; i < 3; i++) psy__sql_finalize(q[i]);
    psy__store_rollback(st);
    assert_int_equal(count_rows(st, "SELECT count(*) FROM t_layer WHERE n = 0 OR name = 'four'"), 0);

    /* the writes and the COMMIT in one round trip: kept and seen by another connection */
    psy_store *other = open_store(f.uri);
    assert_int_equal(psy__store_begin_lock(st, 4242, NULL, 0), PSY_OK);
    q[0] = psy__db_stmt(st, "INSERT INTO t_layer(name, n, x) VALUES (?, 4, 0) RETURNING id", PSY_ARGS(PSY_TEXT("four")));
    q[1] = psy__db_stmt(st, "UPDATE t_layer SET x = 9 WHERE name IN (?, ?) RETURNING n", PSY_ARGS(PSY_TEXT("one"), PSY_TEXT("two")));
    q[2] = psy__db_stmt(st, "SELECT count(*) FROM t_layer", PSY_NOARGS);
    assert_int_equal(psy__store_commit_after(st, q, 3), PSY_OK);
    assert_false(psy__store_in_transaction(st));
    /* the rows of each statement read after the COMMIT */
    assert_int_equal(psy__sql_step(q[0]), PSY_SQL_ROW);
    int64_t four = psy__sql_int64(q[0], 0);
    assert_true(four > three);
    assert_false(psy__sql_is_null(q[0], 0));
    assert_int_equal(psy__sql_step(q[0]), PSY_SQL_DONE);
    assert_int_equal(psy__sql_changes(q[1]), 2);
    int64_t sum = 0;
    for (int k = 0; k < 2; k++) {
        assert_int_equal(psy__sql_step(q[1]), PSY_SQL_ROW);
        sum += psy__sql_int64(q[1], 0);
    }
    assert_int_equal(sum, 23);
    assert_int_equal(psy__sql_step(q[1]), PSY_SQL_DONE);
    assert_int_equal(psy__sql_step(q[2]), PSY_SQL_ROW);
    assert_string_equal(psy__sql_text(q[2], 0), "4");
    for (int i = 0; i < 3; i++) psy__sql_finalize(q[i]);
    assert_int_equal(count_rows(other, "SELECT count(*) FROM t_layer WHERE name = 'four' OR x = 9"), 3);

    /* a failed write before the COMMIT: nothing of the transaction is kept, the store goes on */
    assert_int_equal(psy__store_begin_lock(st, 4242, NULL, 0), PSY_OK);
    assert_int_equal(insert_row(st, "five", 5, NULL), PSY_OK);
    q[0] = psy__db_stmt(st, "INSERT INTO t_layer(name, n, x) VALUES (?, 6, 0)", PSY_ARGS(PSY_TEXT("six")));
    q[1] = psy__db_stmt(st, "INSERT INTO t_layer(name, n, x) VALUES (?, 7, 0)", PSY_ARGS(PSY_TEXT("two")));
    assert_int_equal(psy__store_commit_after(st, q, 2), PSY_EDB);
    psy__sql_finalize(q[0]);
    psy__sql_finalize(q[1]);
    assert_false(psy__store_in_transaction(st));
    psy__store_rollback(st); /* nothing open: nothing to do */
    assert_int_equal(count_rows(other, "SELECT count(*) FROM t_layer WHERE name IN ('five', 'six')"), 0);
    assert_int_equal(count_rows(st, "SELECT count(*) FROM t_layer"), 4);

    /* inside an outer transaction the statements and the release of the savepoint; a failure rolls
     * back only the inner unit */
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(insert_row(st, "seven", 7, NULL), PSY_OK);
    assert_int_equal(psy__store_begin_lock(st, 4242, NULL, 0), PSY_OK);
    q[0] = psy__db_stmt(st, "INSERT INTO t_layer(name, n, x) VALUES (?, 8, 0)", PSY_ARGS(PSY_TEXT("one")));
    assert_int_equal(psy__store_commit_after(st, q, 1), PSY_EDB);
    psy__sql_finalize(q[0]);
    assert_true(psy__store_in_transaction(st));
    assert_int_equal(psy__store_commit(st), PSY_OK);
    assert_int_equal(count_rows(other, "SELECT count(*) FROM t_layer WHERE name = 'seven'"), 1);

    /* statements sent with the BEGIN and the lock run inside the transaction; a failing one leaves no
     * transaction open */
    q[0] = psy__db_stmt(st, "INSERT INTO t_layer(name, n, x) VALUES (?, 9, 0)", PSY_ARGS(PSY_TEXT("nine")));
    q[1] = psy__db_stmt(st, "SELECT count(*) FROM t_layer WHERE name = ?", PSY_ARGS(PSY_TEXT("nine")));
    assert_int_equal(psy__store_begin_lock(st, 4242, q, 2), PSY_OK);
    assert_true(psy__store_in_transaction(st));
    assert_int_equal(psy__sql_step(q[1]), PSY_SQL_ROW);
    assert_int_equal(psy__sql_int64(q[1], 0), 1);
    psy__sql_finalize(q[0]);
    psy__sql_finalize(q[1]);
    psy__store_rollback(st);
    assert_int_equal(count_rows(st, "SELECT count(*) FROM t_layer WHERE name = 'nine'"), 0);
    q[0] = psy__db_stmt(st, "INSERT INTO t_layer(name, n, x) VALUES (?, 9, 0)", PSY_ARGS(PSY_TEXT("one")));
    assert_int_equal(psy__store_begin_lock(st, 4242, q, 1), PSY_EDB);
    psy__sql_finalize(q[0]);
    assert_false(psy__store_in_transaction(st));
    assert_int_equal(insert_row(st, "ten", 10, NULL), PSY_OK); /* the connection works, outside any transaction */
    assert_int_equal(count_rows(other, "SELECT count(*) FROM t_layer WHERE name = 'ten'"), 1);

    /* a refused argument: nothing is sent */
    q[0] = psy__sql_prepare(st, "UPDATE t_layer SET n = 1");
    q[1] = psy__sql_prepare(st, "SELECT count(*) FROM t_layer WHERE n = ?");
    assert_int_equal(psy__sql_bind_int64(q[1], 2, 1), -1);
    assert_int_equal(psy__db_pipeline(st, q, 2), PSY_EDB);
    assert_non_null(strstr(psy_store_errmsg(st), "out of range"));
    psy__sql_finalize(q[0]);
    psy__sql_finalize(q[1]);
    assert_int_equal(count_rows(st, "SELECT count(*) FROM t_layer WHERE n = 1"), 0);
    psy_store_close(other);
    psy_store_close(st);
    fresh_drop(&f);
}

/* A bulk transaction is all or nothing: its units set no savepoints, and one unit rolled back makes
 * the outermost commit roll everything back and fail. */
static void test_bulk_transactions(void **state)
{
    const struct backend *b = *state;
    struct fresh f;
    psy_store *st = open_with_table(b, &f);
    psy_store *other = open_store(f.uri);

    /* units that all succeed: everything is kept */
    assert_int_equal(psy__store_begin_bulk(st), PSY_OK);
    for (int i = 0; i < 300; i++) {
        char name[16];
        snprintf(name, sizeof name, "k%d", i);
        assert_int_equal(psy__store_begin(st), PSY_OK);
        assert_int_equal(insert_row(st, name, i, NULL), PSY_OK);
        assert_int_equal(psy__store_commit(st), PSY_OK);
    }
    assert_int_equal(count_rows(other, "SELECT count(*) FROM t_layer"), 0);
    assert_int_equal(psy__store_commit(st), PSY_OK);
    assert_int_equal(count_rows(other, "SELECT count(*) FROM t_layer"), 300);

    /* one unit rolled back (here after a failed statement): nothing of the transaction is kept */
    assert_int_equal(psy__store_begin_bulk(st), PSY_OK);
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(insert_row(st, "m1", 1000, NULL), PSY_OK);
    assert_int_equal(psy__store_commit(st), PSY_OK);
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(insert_row(st, "k1", 1001, NULL), PSY_EDB); /* a duplicate name */
    psy__store_rollback(st);
    assert_int_equal(psy__store_commit(st), PSY_EDB);
    assert_non_null(strstr(psy_store_errmsg(st), "none of it was saved"));
    assert_false(psy__store_in_transaction(st));
    assert_int_equal(count_rows(other, "SELECT count(*) FROM t_layer"), 300);

    /* the store is usable afterwards, with ordinary savepoints again */
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(insert_row(st, "n1", 2000, NULL), PSY_OK);
    psy__store_rollback(st);
    assert_int_equal(insert_row(st, "n2", 2001, NULL), PSY_OK);
    assert_int_equal(psy__store_commit(st), PSY_OK);
    assert_int_equal(count_rows(other, "SELECT count(*) FROM t_layer WHERE name LIKE 'n%'"), 1);

    /* inside an open transaction a bulk begin is an ordinary unit of it */
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(psy__store_begin_bulk(st), PSY_OK);
    assert_int_equal(insert_row(st, "p1", 3000, NULL), PSY_OK);
    psy__store_rollback(st);
    assert_int_equal(insert_row(st, "p2", 3001, NULL), PSY_OK);
    assert_int_equal(psy__store_commit(st), PSY_OK);
    assert_int_equal(count_rows(other, "SELECT count(*) FROM t_layer WHERE name LIKE 'p%'"), 1);
    psy_store_close(other);
    psy_store_close(st);
    fresh_drop(&f);
}

static void test_batch(void **state)
{
    const struct backend *b = *state;
    struct fresh f;
    psy_store *st = open_with_table(b, &f);
    struct psy__batch bt;
    psy__batch_init(&bt, st, "INSERT INTO t_layer(name, n, x) VALUES", "(?, ?, 0.5)",
                    "ON CONFLICT(name) DO UPDATE SET n = excluded.n");
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "row %d", i);
        psy__batch_text(&bt, name);
        if (i % 10 == 0) psy__batch_text(&bt, NULL);
        else psy__batch_int64(&bt, i);
        assert_int_equal(psy__batch_row(&bt), PSY_OK);
    }
    assert_int_equal(psy__batch_flush(&bt), PSY_OK);
    assert_int_equal(bt.changes, 1000);
    assert_int_equal(count_rows(st, "SELECT count(*) FROM t_layer"), 1000);
    assert_int_equal(count_rows(st, "SELECT count(*) FROM t_layer WHERE n IS NULL"), 100);
    assert_int_equal(count_rows(st, "SELECT sum(n) FROM t_layer"), 499500 - 49500);
    /* the tail: an existing key is updated, not duplicated */
    psy__batch_text(&bt, "row 5");
    psy__batch_int64(&bt, -5);
    assert_int_equal(psy__batch_row(&bt), PSY_OK);
    assert_int_equal(psy__batch_flush(&bt), PSY_OK);
    assert_int_equal(count_rows(st, "SELECT n FROM t_layer WHERE name = 'row 5'"), -5);
    /* a row with the wrong number of values is refused */
    psy__batch_text(&bt, "short row");
    assert_int_equal(psy__batch_row(&bt), PSY_EINVAL);
    psy__batch_free(&bt);
    psy_store_close(st);
    fresh_drop(&f);
}

/* Plain rows of a batch (COPY on PostgreSQL) that the database refuses (here a duplicate name) are
 * never kept and never go unreported: inside a transaction that fails whole, the refusal may come back
 * at the next call rather than at the flush (docs/store.md), and it fails that call; inside a savepoint
 * it comes back at the flush itself, so the unit can be undone alone. */
static psy_status copy_rows(psy_store *st, const char *prefix, int n, const char *dup)
{
    struct psy__batch bt;
    psy__batch_init(&bt, st, "INSERT INTO t_layer(name, n, x) VALUES", "(?, ?, ?)", NULL);
    char name[32];
    psy_status rc = PSY_OK;
    for (int i = 0; !rc && i < n; i++) {
        snprintf(name, sizeof name, "%s%d", prefix, i);
        psy__batch_text(&bt, i == n - 1 && dup ? dup : name); /* last: the server has every row */
        psy__batch_int64(&bt, i);
        psy__batch_double(&bt, 0.5);
        rc = psy__batch_row(&bt);
    }
    if (!rc) rc = psy__batch_flush(&bt);
    psy__batch_free(&bt);
    return rc;
}

static int copy_refused(psy_store *st)
{
    const char *m = psy_store_errmsg(st);
    return strstr(m, "UNIQUE") || strstr(m, "duplicate");
}

static void test_batch_refused(void **state)
{
    const struct backend *b = *state;
    struct fresh f;
    psy_store *st = open_with_table(b, &f);
    assert_int_equal(insert_row(st, "held", 1, NULL), PSY_OK);

    /* the outermost transaction: the flush or the next call fails; nothing of it is kept */
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(insert_row(st, "before", 2, NULL), PSY_OK);
    psy_status rc = copy_rows(st, "a", 3000, "held");
    if (b->pg) assert_int_equal(rc, PSY_OK); /* COPY's answer is read by the next call */
    if (!rc) rc = insert_row(st, "after", 3, NULL);
    assert_int_equal(rc, PSY_EDB);
    assert_true(copy_refused(st));
    psy__store_rollback(st);
    assert_int_equal(count_rows(st, "SELECT count(*) FROM t_layer"), 1);
    /* ... also when the next call is the commit */
    assert_int_equal(psy__store_begin(st), PSY_OK);
    rc = copy_rows(st, "b", 3000, "held");
    if (!rc) rc = psy__store_commit(st);
    else psy__store_rollback(st);
    assert_int_equal(rc, PSY_EDB);
    assert_true(copy_refused(st));
    assert_false(psy__store_in_transaction(st));
    assert_int_equal(count_rows(st, "SELECT count(*) FROM t_layer"), 1);

    /* a savepoint: the flush itself fails, and the outer transaction goes on without the unit */
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(copy_rows(st, "c", 100, NULL), PSY_OK);
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(copy_rows(st, "d", 3000, "held"), PSY_EDB);
    assert_true(copy_refused(st));
    psy__store_rollback(st);
    assert_int_equal(insert_row(st, "e", 4, NULL), PSY_OK);
    assert_int_equal(psy__store_commit(st), PSY_OK);
    assert_int_equal(count_rows(st, "SELECT count(*) FROM t_layer"), 102);
    assert_int_equal(count_rows(st, "SELECT count(*) FROM t_layer WHERE name LIKE 'd%'"), 0);

    /* a bulk transaction: the refusal fails it whole */
    assert_int_equal(psy__store_begin_bulk(st), PSY_OK);
    assert_int_equal(psy__store_begin(st), PSY_OK);
    rc = copy_rows(st, "h", 3000, "held");
    if (!rc) rc = psy__store_commit(st); /* the unit's end sends nothing */
    if (!rc) rc = insert_row(st, "i", 5, NULL);
    if (!rc) rc = psy__store_commit(st);
    else psy__store_rollback(st);
    assert_int_equal(rc, PSY_EDB);
    if (psy__store_in_transaction(st)) {
        assert_int_equal(psy__store_commit(st), PSY_EDB);
    }
    assert_false(psy__store_in_transaction(st));
    assert_int_equal(count_rows(st, "SELECT count(*) FROM t_layer"), 102);

    /* good rows after all that: kept, and readable at once */
    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(copy_rows(st, "j", 3000, NULL), PSY_OK);
    assert_int_equal(count_rows(st, "SELECT count(*) FROM t_layer WHERE name LIKE 'j%'"), 3000);
    assert_int_equal(copy_rows(st, "k", 10, NULL), PSY_OK);
    assert_int_equal(psy__store_commit(st), PSY_OK);
    assert_int_equal(count_rows(st, "SELECT count(*) FROM t_layer"), 3112);
    psy_store_close(st);
    fresh_drop(&f);
}

/* The CLI takes the database as --db URI on both backends. */
static void test_cli_db_uri(void **state)
{
    const struct backend *b = *state;
    struct fresh f;
    fresh_make(b, &f);
    char args[1200], *out, *err;
    snprintf(args, sizeof args, "show --db '%s' 90837", f.uri);
    assert_int_equal(test_run_cli(args, NULL, &out, &err), 0);
    assert_non_null(strstr(out, "90837"));
    free(out);
    free(err);
    snprintf(args, sizeof args, "show --db '%s' 90854", f.uri);
    assert_int_equal(test_run_cli(args, NULL, &out, &err), 1);
    assert_non_null(strstr(err, "90853")); /* the suggestions */
    free(out);
    free(err);
    fresh_drop(&f);
}

static void kill_backend(const struct backend *b, psy_store *st)
{
    char sql[128], why[600];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%ld)", count_rows(st, "SELECT pg_backend_pid()"));
    if (!pg_scratch_exec(b->server, sql, why, sizeof why)) fail_msg("%s", why);
    usleep(100000);
}

/* PostgreSQL: a connection lost between transactions is reopened (a read is retried at once, statements
 * are prepared again); one lost inside a transaction fails it, and the store works again after the
 * rollback, with nothing of the transaction kept. */
static void test_pg_reconnect(void **state)
{
    const struct backend *b = *state;
    struct fresh f;
    psy_store *st = open_seeded(b, &f);
    struct psy_code c;
    assert_int_equal(psy_catalog_get(st, PSY_SYS_CPT, "90837", &c), PSY_OK);
    psy_code_clear(&c);
    kill_backend(b, st); /* a statement prepared before */
    if (psy_catalog_get(st, PSY_SYS_CPT, "90837", &c)) fail_msg("after reconnect: %s", psy_store_errmsg(st));
    psy_code_clear(&c);
    kill_backend(b, st); /* a statement never prepared yet */
    char *page;
    if (psy_catalog_page(st, PSY_SYS_CPT, "90837", &page)) fail_msg("after reconnect: %s", psy_store_errmsg(st));
    free(page);

    /* BEGIN and a lock sent together are sent again on a new connection; reads alone as well */
    kill_backend(b, st);
    if (psy__store_begin_lock(st, 99, NULL, 0)) fail_msg("begin and lock after reconnect: %s", psy_store_errmsg(st));
    psy__store_rollback(st);
    kill_backend(b, st);
    psy__stmt *q[2] = {psy__db_stmt(st, "SELECT 1", PSY_NOARGS), psy__db_stmt(st, "SELECT 2", PSY_NOARGS)};
    if (psy__db_pipeline(st, q, 2)) fail_msg("reads after reconnect: %s", psy_store_errmsg(st));
    assert_int_equal(psy__sql_step(q[1]), PSY_SQL_ROW);
    assert_int_equal(psy__sql_int64(q[1], 0), 2);
    psy__sql_finalize(q[0]);
    psy__sql_finalize(q[1]);
    /* a write outside a transaction may have been kept: not sent twice (prepared before, so nothing
     * but the pipeline meets the lost connection) */
    const char *touch = "UPDATE code SET synonyms = synonyms WHERE code = '90837'";
    psy__sql_finalize(psy__db_stmt(st, touch, PSY_NOARGS));
    kill_backend(b, st);
    q[0] = psy__db_stmt(st, touch, PSY_NOARGS);
    assert_int_equal(psy__db_pipeline(st, q, 1), PSY_EDB);
    psy__sql_finalize(q[0]);
    if (psy_catalog_get(st, PSY_SYS_CPT, "90837", &c)) fail_msg("after reconnect: %s", psy_store_errmsg(st));
    psy_code_clear(&c);

    assert_int_equal(psy__store_begin(st), PSY_OK);
    assert_int_equal(psy__sql_exec(st, "UPDATE code SET synonyms = 'x' WHERE code = '90837'"), PSY_OK);
    kill_backend(b, st);
    assert_int_equal(psy__sql_exec(st, "UPDATE code SET synonyms = 'y' WHERE code = '90837'"), PSY_EDB);
    assert_int_equal(psy_catalog_get(st, PSY_SYS_CPT, "90837", &c), PSY_EDB); /* not in a new session */
    psy__store_rollback(st);
    assert_int_equal(psy_catalog_get(st, PSY_SYS_CPT, "90837", &c), PSY_OK);
    psy_code_clear(&c);
    assert_int_equal(count_rows(st, "SELECT count(*) FROM code WHERE synonyms IN ('x', 'y')"), 0);
    psy_store_close(st);
    fresh_drop(&f);
}

/* --- the two dialects' migrations ------------------------------------------------------------------------- */

struct names {
    char list[64][64];
    int n;
};

static void collect(void *ud, const char *name, const char *data, size_t len)
{
    (void)data;
    (void)len;
    struct names *ns = ud;
    const char *base = strrchr(name, '/');
    if (ns->n < 64) snprintf(ns->list[ns->n++], sizeof ns->list[0], "%s", base ? base + 1 : name);
}

/* A statement that must be refused for a reference (nothing it would write is written). */
static void refused(psy_store *st, const char *what, const char *sql, const psy__arg *args, int n_args)
{
    int64_t changed = -1;
    psy_status rc = psy__db_run(st, &changed, sql, args, n_args);
    if (rc != PSY_EDB) fail_msg("%s: accepted (%d rows)", what, (int)changed);
    assert_int_equal(psy__db_errkind(st), PSY_DBE_CONSTRAINT);
}

/* A fresh store with a small demo practice (no claims yet). */
static psy_store *open_demo(const struct backend *b, struct fresh *f, psy_id *practice)
{
    psy_store *st = open_seeded(b, f);
    struct psy_demo_opts o = {.seed = 11, .end_date = "2026-03-31", .weeks = 2, .clients = 12, .groups = 1, .clean = 1};
    struct psy_demo_result r;
    assert_int_equal(psy_records_demo(st, &o, &r), PSY_OK);
    free(r.problems);
    *practice = r.practice_id;
    return st;
}

/* The references between records hold on both backends: a row naming a parent that does not exist is
 * refused, with nothing of its statement written (one bad row among good ones as well); a parent still
 * named cannot be deleted; a claim's lines, billed members and history go with it. On SQLite these are
 * foreign keys; on PostgreSQL the bulk-written tables check them once per statement (migration 0025). */
static void test_references(void **state)
{
    struct fresh f;
    psy_id practice;
    psy_store *st = open_demo(*state, &f, &practice);
    int64_t pr = practice, policy = count_rows(st, "SELECT min(id) FROM policy");
    char sql[400];
    snprintf(sql, sizeof sql, "SELECT client_id FROM policy WHERE id = %lld", (long long)policy);
    int64_t client = count_rows(st, sql);
    snprintf(sql, sizeof sql, "SELECT payer_id FROM policy WHERE id = %lld", (long long)policy);
    int64_t payer = count_rows(st, sql), clinician = count_rows(st, "SELECT min(id) FROM clinician");
    int64_t session = count_rows(st, "SELECT min(id) FROM session"), missing = 987654321;
    assert_true(client > 0 && payer > 0 && clinician > 0 && session > 0);
    long claims = count_rows(st, "SELECT count(*) FROM claim");

    const char *ins_claim = "INSERT INTO claim (practice_id, claim_number, client_id, payer_id, policy_id, clinician_id, "
                            "service_date, created_at) VALUES (?, ?, ?, ?, ?, ?, '2026-03-02', '2026-03-03T10:00:00Z')";
    int64_t changed = 0;
    assert_int_equal(psy__db_run(st, &changed, ins_claim,
                                 PSY_ARGS(PSY_INT(pr), PSY_TEXT("REF1"), PSY_INT(client), PSY_INT(payer), PSY_INT(policy),
                                          PSY_INT(clinician))),
                     PSY_OK);
    int64_t claim = count_rows(st, "SELECT id FROM claim WHERE claim_number = 'REF1'");
    assert_true(claim > 0);
    refused(st, "a claim of a missing clinician", ins_claim,
            PSY_ARGS(PSY_INT(pr), PSY_TEXT("REF2"), PSY_INT(client), PSY_INT(payer), PSY_INT(policy), PSY_INT(missing)));
    refused(st, "a claim of a missing practice", ins_claim,
            PSY_ARGS(PSY_INT(missing), PSY_TEXT("REF2"), PSY_INT(client), PSY_INT(payer), PSY_INT(policy),
                     PSY_INT(clinician)));
    refused(st, "a claim of a missing policy", ins_claim,
            PSY_ARGS(PSY_INT(pr), PSY_TEXT("REF2"), PSY_INT(client), PSY_INT(payer), PSY_INT(missing),
                     PSY_INT(clinician)));
    assert_int_equal(count_rows(st, "SELECT count(*) FROM claim"), claims + 1);

    /* one bad row among good ones: the whole statement is refused */
    const char *ins_hist = "INSERT INTO claim_status_history (claim_id, from_status, to_status, changed_at) VALUES "
                           "(?, '', 'draft', 'x'), (?, 'draft', 'ready', 'x'), (?, 'ready', 'sent', 'x')";
    refused(st, "history of a missing claim", ins_hist, PSY_ARGS(PSY_INT(claim), PSY_INT(missing), PSY_INT(claim)));
    /* a missing key next to the good ones (PostgreSQL then reads the range of the keys, migration 0031) */
    refused(st, "history of the claim after the last", ins_hist, PSY_ARGS(PSY_INT(claim), PSY_INT(claim + 1), PSY_INT(claim)));
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claim_status_history WHERE claim_id = %lld", (long long)claim);
    assert_int_equal(count_rows(st, sql), 0);
    assert_int_equal(psy__db_run(st, &changed, ins_hist, PSY_ARGS(PSY_INT(claim), PSY_INT(claim), PSY_INT(claim))),
                     PSY_OK);
    assert_int_equal(count_rows(st, sql), 3);

    const char *ins_line = "INSERT INTO claim_line (claim_id, line_number, session_id, client_id, code) VALUES "
                           "(?, ?, ?, ?, '90837')";
    refused(st, "a line of a missing session", ins_line,
            PSY_ARGS(PSY_INT(claim), PSY_INT(1), PSY_INT(missing), PSY_INT(client)));
    const char *ins_lines = "INSERT INTO claim_line (claim_id, line_number, session_id, client_id, code) VALUES "
                            "(?, 1, ?, ?, '90837'), (?, 2, ?, ?, '90837')";
    int64_t last_session = count_rows(st, "SELECT max(id) FROM session");
    refused(st, "a line of the session after the last", ins_lines,
            PSY_ARGS(PSY_INT(claim), PSY_INT(last_session), PSY_INT(client), PSY_INT(claim), PSY_INT(last_session + 1),
                     PSY_INT(client)));
    refused(st, "a line of a missing claim", ins_line,
            PSY_ARGS(PSY_INT(missing), PSY_INT(1), PSY_INT(session), PSY_INT(client)));
    refused(st, "a line of a missing client", ins_line,
            PSY_ARGS(PSY_INT(claim), PSY_INT(1), PSY_INT(session), PSY_INT(missing)));
    assert_int_equal(psy__db_run(st, &changed, ins_line, PSY_ARGS(PSY_INT(claim), PSY_INT(1), PSY_INT(session),
                                                                  PSY_INT(client))),
                     PSY_OK);
    const char *ins_billed = "INSERT INTO claim_session (practice_id, session_id, client_id, claim_id) VALUES (?, ?, ?, ?)";
    refused(st, "a billed member of a missing claim", ins_billed,
            PSY_ARGS(PSY_INT(pr), PSY_INT(session), PSY_INT(client), PSY_INT(missing)));
    assert_int_equal(
        psy__db_run(st, &changed, ins_billed, PSY_ARGS(PSY_INT(pr), PSY_INT(session), PSY_INT(client), PSY_INT(claim))),
        PSY_OK);

    /* a changed reference is checked too; an unchanged one passes */
    refused(st, "a claim moved to a missing clinician", "UPDATE claim SET clinician_id = ? WHERE id = ?",
            PSY_ARGS(PSY_INT(missing), PSY_INT(claim)));
    refused(st, "a line moved to a missing session", "UPDATE claim_line SET session_id = ? WHERE claim_id = ?",
            PSY_ARGS(PSY_INT(missing), PSY_INT(claim)));
    refused(st, "a policy moved to a missing payer", "UPDATE policy SET payer_id = ? WHERE id = ?",
            PSY_ARGS(PSY_INT(missing), PSY_INT(policy)));
    assert_int_equal(psy__db_run(st, &changed, "UPDATE claim SET clinician_id = ?, status = 'ready' WHERE id = ?",
                                 PSY_ARGS(PSY_INT(clinician), PSY_INT(claim))),
                     PSY_OK);
    assert_int_equal(changed, 1);

    /* a client's diagnosis and policy name the client within its practice */
    refused(st, "a diagnosis of a client in another practice",
            "INSERT INTO client_diagnosis (practice_id, client_id, code, position) VALUES (?, ?, 'F99', 12)",
            PSY_ARGS(PSY_INT(pr + 1000), PSY_INT(client)));
    assert_int_equal(psy__db_run(st, &changed,
                                 "INSERT INTO client_diagnosis (practice_id, client_id, code, position) "
                                 "VALUES (?, ?, 'F99', 12)",
                                 PSY_ARGS(PSY_INT(pr), PSY_INT(client))),
                     PSY_OK);
    const char *ins_client = "INSERT INTO client (practice_id, first_name, last_name, birth_date, sex, created_at, "
                             "updated_at) VALUES (?, 'A', 'B', '1990-01-01', 'U', 'x', 'x')";
    refused(st, "a client of a missing practice", ins_client, PSY_ARGS(PSY_INT(missing)));
    assert_int_equal(psy__db_run(st, &changed, ins_client, PSY_ARGS(PSY_INT(pr))), PSY_OK);

    /* parents still named stay */
    refused(st, "deleting a claim's clinician", "DELETE FROM clinician WHERE id = ?", PSY_ARGS(PSY_INT(clinician)));
    refused(st, "deleting a claim's payer", "DELETE FROM payer WHERE id = ?", PSY_ARGS(PSY_INT(payer)));
    refused(st, "deleting a billed session", "DELETE FROM session WHERE id = ?", PSY_ARGS(PSY_INT(session)));
    refused(st, "changing a claim's id", "UPDATE claim SET id = ? WHERE id = ?", PSY_ARGS(PSY_INT(missing), PSY_INT(claim)));

    /* a claim's lines, billed members and history go with it */
    assert_int_equal(psy__db_run(st, &changed, "DELETE FROM claim WHERE id = ?", PSY_ARGS(PSY_INT(claim))), PSY_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(count_rows(st, sql), 0);
    snprintf(sql, sizeof sql,
             "SELECT (SELECT count(*) FROM claim_line WHERE claim_id = %lld) + (SELECT count(*) FROM claim_session "
             "WHERE claim_id = %lld)", (long long)claim, (long long)claim);
    assert_int_equal(count_rows(st, sql), 0);
    assert_int_equal(count_rows(st, "SELECT count(*) FROM claim"), claims);
    psy_store_close(st);
    fresh_drop(&f);
}

/* PostgreSQL: a reference check made while a parent table was empty keeps working by key once the table
 * has grown, within the same connection (a plan kept from the first statement scanned the whole table:
 * migration 0025 plans each check for its statement). One history row after 4000 claims reads one row of
 * `claim`, by key. */
static void test_references_plans(void **state)
{
    struct fresh f;
    psy_id practice;
    psy_store *st = open_demo(*state, &f, &practice);
    assert_int_equal(psy__sql_exec(st, "ANALYZE claim"), PSY_OK); /* statistics of an empty table */
    int64_t changed = 0;
    char sql[900];
    snprintf(sql, sizeof sql,
             "INSERT INTO claim (practice_id, claim_number, client_id, payer_id, policy_id, clinician_id, service_date, "
             "created_at) SELECT %lld, 'P' || g, p.client_id, p.payer_id, p.id, (SELECT min(id) FROM clinician), "
             "'2026-03-02', 'x' FROM (SELECT * FROM policy ORDER BY id LIMIT 1) p, generate_series(1, ?) g",
             (long long)practice);
    assert_int_equal(psy__db_run(st, &changed, sql, PSY_ARGS(PSY_INT(1))), PSY_OK);
    const char *hist = "INSERT INTO claim_status_history (claim_id, from_status, to_status, changed_at) "
                       "VALUES (?, '', 'draft', 'x')";
    int64_t first = count_rows(st, "SELECT max(id) FROM claim");
    assert_int_equal(psy__db_run(st, &changed, hist, PSY_ARGS(PSY_INT(first))), PSY_OK); /* the check's first use */
    snprintf(sql, sizeof sql,
             "INSERT INTO claim (practice_id, claim_number, client_id, payer_id, policy_id, clinician_id, service_date, "
             "created_at) SELECT practice_id, claim_number || '-' || g, client_id, payer_id, policy_id, clinician_id, "
             "service_date, created_at FROM claim, generate_series(1, ?) g");
    assert_int_equal(psy__db_run(st, &changed, sql, PSY_ARGS(PSY_INT(4000))), PSY_OK);
    assert_int_equal(changed, 4000);
    int64_t last = count_rows(st, "SELECT max(id) FROM claim");
    /* the server's counts of scans of claim (flushed from this connection first, read afresh) before and
     * after 20 history rows of one claim each */
    assert_int_equal(psy__sql_exec(st, "SET stats_fetch_consistency = none"), PSY_OK);
    const char *flush = "SELECT 0 FROM (SELECT pg_stat_force_next_flush()) x"; /* done when next idle */
    const char *seq = "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'claim' AND schemaname = "
                      "current_schema()";
    const char *idx = "SELECT idx_scan FROM pg_stat_user_tables WHERE relname = 'claim' AND schemaname = "
                      "current_schema()";
    assert_int_equal(count_rows(st, flush), 0);
    long seq_before = count_rows(st, seq), idx_before = count_rows(st, idx);
    for (int i = 0; i < 20; i++)
        assert_int_equal(psy__db_run(st, &changed, hist, PSY_ARGS(PSY_INT(last - i))), PSY_OK);
    assert_int_equal(count_rows(st, flush), 0);
    long seq_after = count_rows(st, seq), idx_after = count_rows(st, idx);
    assert_int_equal(seq_after, seq_before); /* no scan of the whole table */
    assert_true(idx_after - idx_before >= 20); /* each claim found by key */
    psy_store_close(st);
    fresh_drop(&f);
}

/* Every migration exists in both dialects under the same number and name. */
static void test_migration_twins(void **state)
{
    (void)state;
    struct names a = {0}, b = {0};
    psy_data_each("sql/sqlite/", collect, &a);
    psy_data_each("sql/postgres/", collect, &b);
    assert_true(a.n >= 1);
    for (int i = 0; i < a.n || i < b.n; i++)
        if (i >= a.n || i >= b.n || strcmp(a.list[i], b.list[i]) != 0)
            fail_msg("migration %s has no twin in the other dialect (sql/sqlite/ and sql/postgres/ must list "
                     "the same files)", i < a.n ? a.list[i] : b.list[i]);
}

int main(void)
{
    static struct backend sqlite = {"sqlite", 0, NULL}, postgres = {"postgres", 1, NULL};
    const struct CMUnitTest contract[] = {
        cmocka_unit_test_prestate(test_open_and_reopen, NULL),
        cmocka_unit_test_prestate(test_concurrent_first_open, NULL),
        cmocka_unit_test_prestate(test_open_errors, NULL),
        cmocka_unit_test_prestate(test_catalog, NULL),
        cmocka_unit_test_prestate(test_import, NULL),
        cmocka_unit_test_prestate(test_import_official, NULL),
        cmocka_unit_test_prestate(test_sql_layer, NULL),
        cmocka_unit_test_prestate(test_query_api, NULL),
        cmocka_unit_test_prestate(test_transactions, NULL),
        cmocka_unit_test_prestate(test_twin, NULL),
        cmocka_unit_test_prestate(test_pipeline, NULL),
        cmocka_unit_test_prestate(test_bulk_transactions, NULL),
        cmocka_unit_test_prestate(test_batch, NULL),
        cmocka_unit_test_prestate(test_batch_refused, NULL),
        cmocka_unit_test_prestate(test_cli_db_uri, NULL),
        cmocka_unit_test_prestate(test_references, NULL),
    };
    enum { N = sizeof contract / sizeof contract[0] };
    struct CMUnitTest on_sqlite[N], on_pg[N + 2];
    for (size_t i = 0; i < N; i++) {
        on_sqlite[i] = on_pg[i] = contract[i];
        on_sqlite[i].initial_state = &sqlite;
        on_pg[i].initial_state = &postgres;
    }
    on_pg[N] = (struct CMUnitTest)cmocka_unit_test_prestate(test_pg_reconnect, &postgres);
    on_pg[N + 1] = (struct CMUnitTest)cmocka_unit_test_prestate(test_references_plans, &postgres);
    const struct CMUnitTest dialects[] = {cmocka_unit_test(test_migration_twins)};

    int failed = cmocka_run_group_tests_name("dialects", dialects, NULL, NULL);
    failed += cmocka_run_group_tests_name("sqlite", on_sqlite, NULL, NULL);
    char why[600];
    postgres.server = pg_scratch_server(why, sizeof why);
    if (!postgres.server) {
        fprintf(stderr, "test_store_contract: FAILED: %s\n", why);
        return 1;
    }
    failed += cmocka_run_group_tests_name("postgres", on_pg, NULL, NULL);
    return failed ? 1 : 0;
}
