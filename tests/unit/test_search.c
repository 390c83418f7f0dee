/* test_search.c -- the search index: ranking of known cases, codes, typos and prefixes, filters and
 * paging, bad queries, determinism, threads, rebuilding after an import, and the CLI's contract. The
 * index built from a store is built on SQLite and on PostgreSQL, which must give the same answers. */
#include "backends.h"
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "search_int.h"

static char *path;
static psy_store *st;
static psy_search *ix;

static int setup(void **state)
{
    (void)state;
    st = test_open_store(&path);
    psy_status rc = psy_search_build(st, &ix);
    if (rc) fprintf(stderr, "build: %s\n", psy_store_errmsg(st));
    return rc == PSY_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    psy_search_free(ix);
    psy_store_close(st);
    test_rm_db(path);
    free(path);
    return 0;
}

#define CAP 64

struct result {
    psy_search_hit hit[CAP];
    size_t n, total;
};

static void run_opts(const char *q, const psy_search_opts *o, struct result *r)
{
    psy_status rc = psy_search_query(ix, q, o, r->hit, CAP, &r->n, &r->total);
    if (rc) fail_msg("query '%s': %s", q, psy_strerror(rc));
}

static void run(const char *q, struct result *r) { run_opts(q, NULL, r); }

/* The rank (0 = first) of sys:code in the hits, or -1. */
static int rank_of(const struct result *r, psy_system sys, const char *code)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->hit[i].system == sys && strcmp(r->hit[i].code, code) == 0) return (int)i;
    return -1;
}

static void expect_rank(const char *q, psy_system sys, const char *code, int within)
{
    struct result r;
    run(q, &r);
    int k = rank_of(&r, sys, code);
    if (k < 0 || k >= within) {
        fprintf(stderr, "query '%s' gave:", q);
        for (size_t i = 0; i < r.n && i < 8; i++) fprintf(stderr, " %s", r.hit[i].code);
        fail_msg("expected %s %s within the first %d, got rank %d", psy_catalog_system_name(sys), code, within, k);
    }
}

static void test_stats(void **state)
{
    (void)state;
    struct psy_search_stats s;
    psy_search_stats(ix, &s);
    long counts[PSY_SYS_COUNT], all = 0;
    assert_int_equal(psy_catalog_counts(st, counts), PSY_OK);
    for (int i = 0; i < PSY_SYS_COUNT; i++) all += counts[i];
    assert_int_equal((long)s.docs, all);
    assert_true(s.terms > 1000);
    assert_true(s.postings > s.docs);
    assert_true(s.bytes > 0 && s.build_peak >= s.bytes);
    psy_search_stats(NULL, &s);
    assert_int_equal(s.docs, 0);
}

/* What clinicians and billers type, and the code that must come first (or near it). */
static void test_known_cases(void **state)
{
    (void)state;
    expect_rank("ptsd chronic", PSY_SYS_ICD10CM, "F43.12", 1);
    expect_rank("chronic ptsd", PSY_SYS_ICD10CM, "F43.12", 1);
    expect_rank("gad", PSY_SYS_ICD10CM, "F41.1", 1);
    expect_rank("generalized anxiety disorder", PSY_SYS_ICD10CM, "F41.1", 1);
    expect_rank("generalised anxiety disorder", PSY_SYS_ICD10CM, "F41.1", 1); /* British spelling */
    expect_rank("talk therapy 60 minutes", PSY_SYS_CPT, "90837", 1);
    expect_rank("grp therapy", PSY_SYS_CPT, "90853", 1);             /* abbreviation */
    expect_rank("couples therapy", PSY_SYS_CPT, "90847", 1);
    expect_rank("intake", PSY_SYS_CPT, "90791", 2);
    expect_rank("telehealth at home", PSY_SYS_POS, "10", 1);
    expect_rank("modifier 25", PSY_SYS_MODIFIER, "25", 1);
    expect_rank("e/m", PSY_SYS_CPT, "99213", 5);
    expect_rank("behavioural health counselling", PSY_SYS_HCPCS, "H0004", 3);
    expect_rank("suicidal ideation", PSY_SYS_ICD10CM, "R45.851", 1);
    /* the exact name of an entry beats entries that merely contain its words */
    expect_rank("bipolar ii disorder", PSY_SYS_ICD10CM, "F31.81", 1);
}

static void test_codes(void **state)
{
    (void)state;
    struct result r;
    static const char *const forms[] = {"F43.1", "f431", " F43.1 ", "f43.1"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        run(forms[i], &r);
        assert_true(r.n >= 4);
        assert_string_equal(r.hit[0].code, "F43.1"); /* the exact code, then the codes it starts */
        for (size_t k = 1; k < 4; k++) assert_int_equal(strncmp(r.hit[k].code, "F43.1", 5), 0);
    }
    run("908", &r); /* the codes starting with 908 come first, before words that start with it */
    size_t codes = 0;
    while (codes < r.n && r.hit[codes].system == PSY_SYS_CPT && strncmp(r.hit[codes].code, "908", 3) == 0) codes++;
    assert_true(codes > 10);
    for (size_t i = codes; i < r.n; i++) assert_int_not_equal(strncmp(r.hit[i].code, "908", 3), 0);
    assert_true(rank_of(&r, PSY_SYS_CPT, "90853") >= 0);
    expect_rank("90837", PSY_SYS_CPT, "90837", 1);
    expect_rank("h0004", PSY_SYS_HCPCS, "H0004", 1);
    expect_rank("2", PSY_SYS_POS, "02", 1);       /* place of service typed without its zero */
    expect_rank("pos 11", PSY_SYS_POS, "11", 1);  /* the system's name as a word */
    expect_rank("xe", PSY_SYS_MODIFIER, "XE", 1); /* two-letter modifiers are codes */
    /* a number inside a sentence is a word, not the start of codes: no place of service 1x */
    run("bipolar 1", &r);
    for (size_t i = 0; i < r.n && i < 5; i++) assert_int_not_equal(r.hit[i].system, PSY_SYS_POS);
}

static void test_typos(void **state)
{
    (void)state;
    expect_rank("anxeity", PSY_SYS_ICD10CM, "F41.9", 2);      /* one edit, 7 letters */
    expect_rank("schizophrnia", PSY_SYS_ICD10CM, "F20.9", 1); /* one edit */
    expect_rank("ptsd cronic", PSY_SYS_ICD10CM, "F43.12", 1);
    expect_rank("deppresion", PSY_SYS_ICD10CM, "F32.A", 1);   /* two edits, 10 letters */
    expect_rank("greif", PSY_SYS_ICD10CM, "Z63.4", 3);        /* swapped letters count once */
    struct result r;
    run("gda", &r); /* three letters: no typo tolerance */
    assert_int_equal(rank_of(&r, PSY_SYS_ICD10CM, "F41.1"), -1);
    run("gieff ", &r); /* five letters: one edit, not two */
    assert_int_equal(rank_of(&r, PSY_SYS_ICD10CM, "Z63.4"), -1);
}

static void test_prefixes(void **state)
{
    (void)state;
    expect_rank("schizoaff", PSY_SYS_ICD10CM, "F25.9", 1);
    expect_rank("depre", PSY_SYS_ICD10CM, "F32.A", 3);
    expect_rank("ptsd chr", PSY_SYS_ICD10CM, "F43.12", 1);
    expect_rank("gen anx", PSY_SYS_ICD10CM, "F41.1", 1); /* short finished words are starts too */
    /* every prefix as typed answers, and the finished query ranks its code first */
    const char *q = "major depressive disorder recurrent moderate";
    char buf[128];
    for (size_t l = 1; l <= strlen(q); l++) {
        struct result r;
        memcpy(buf, q, l);
        buf[l] = 0;
        run(buf, &r);
        assert_true(r.n <= CAP && r.n <= r.total);
    }
    expect_rank(q, PSY_SYS_ICD10CM, "F33.1", 1);
    /* a finished long word is a word, not a prefix: "depression " does not bring depressive-only titles
     * above titles with the word itself */
    struct result r;
    run("depression ", &r);
    assert_true(r.n > 0);
    assert_string_equal(r.hit[0].code, "F32.A");
}

static void test_filters_and_paging(void **state)
{
    (void)state;
    struct result all, page1, page2, r;
    psy_search_opts o = {PSY_SYS_CPT, 0, 0, 0};
    run_opts("therapy", &o, &r);
    assert_true(r.n > 5);
    for (size_t i = 0; i < r.n; i++) assert_int_equal(r.hit[i].system, PSY_SYS_CPT);
    o = (psy_search_opts){PSY_SYS_ICD10CM, 1, 0, 0};
    run_opts("ptsd", &o, &r);
    assert_true(r.n >= 3);
    for (size_t i = 0; i < r.n; i++) {
        assert_int_equal(r.hit[i].system, PSY_SYS_ICD10CM);
        assert_true(r.hit[i].billable);
    }
    assert_int_equal(rank_of(&r, PSY_SYS_ICD10CM, "F43.1"), -1); /* a heading, not billable */
    /* paging: two pages of 3 are the first page of 6 */
    run_opts("disorder", &(psy_search_opts){PSY_SYS_COUNT, 0, 6, 0}, &all);
    run_opts("disorder", &(psy_search_opts){PSY_SYS_COUNT, 0, 3, 0}, &page1);
    run_opts("disorder", &(psy_search_opts){PSY_SYS_COUNT, 0, 3, 3}, &page2);
    assert_int_equal(all.n, 6);
    assert_int_equal(page1.n, 3);
    assert_int_equal(page2.n, 3);
    assert_int_equal(all.total, page1.total);
    assert_int_equal(all.total, page2.total);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(all.hit[i].code, page1.hit[i].code);
        assert_string_equal(all.hit[i + 3].code, page2.hit[i].code);
    }
    /* a page past the end is empty; the total stays */
    run_opts("disorder", &(psy_search_opts){PSY_SYS_COUNT, 0, 5, 100000}, &r);
    assert_int_equal(r.n, 0);
    assert_int_equal(r.total, all.total);
    /* hits never exceed the array given */
    size_t n, total;
    psy_search_hit two[2];
    assert_int_equal(psy_search_query(ix, "disorder", NULL, two, 2, &n, &total), PSY_OK);
    assert_int_equal(n, 2);
    assert_int_equal(psy_search_query(ix, "disorder", NULL, two, 0, &n, &total), PSY_OK);
    assert_int_equal(n, 0);
    assert_int_equal(total, all.total);
}

static void test_bad_queries(void **state)
{
    (void)state;
    psy_search_hit h[4];
    size_t n = 9, total = 9;
    assert_int_equal(psy_search_query(ix, NULL, NULL, h, 4, &n, &total), PSY_EINVAL);
    assert_int_equal(n, 0);
    assert_int_equal(psy_search_query(ix, "ptsd \xff\xfe", NULL, h, 4, &n, &total), PSY_EINVAL);
    assert_int_equal(psy_search_query(ix, "\xc3", NULL, h, 4, &n, &total), PSY_EINVAL); /* cut character */
    assert_int_equal(psy_search_check("\xed\xa0\x80"), PSY_EINVAL);                      /* a surrogate */
    assert_int_equal(psy_search_query(NULL, "ptsd", NULL, h, 4, &n, &total), PSY_EINVAL);
    psy_search_opts o = {(psy_system)99, 0, 0, 0};
    assert_int_equal(psy_search_query(ix, "ptsd", &o, h, 4, &n, &total), PSY_EINVAL);
    char big[PSY_SEARCH_QUERY_MAX + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_int_equal(psy_search_query(ix, big, NULL, h, 4, &n, &total), PSY_ETOOBIG);
    assert_int_equal(psy_search_check(big), PSY_ETOOBIG);
    /* at the cap: many words, long words, all accepted and answered */
    static const char *const fills[] = {"a ", "zz ", "anxiety ", "f43.1 ", "\xc3\xa9t\xc3\xa9 ", "- / . ' & "};
    for (size_t k = 0; k < sizeof fills / sizeof fills[0]; k++) {
        size_t len = 0, fl = strlen(fills[k]);
        while (len + fl <= PSY_SEARCH_QUERY_MAX) {
            memcpy(big + len, fills[k], fl);
            len += fl;
        }
        big[len] = 0;
        assert_int_equal(psy_search_query(ix, big, NULL, h, 4, &n, &total), PSY_OK);
    }
    memset(big, 'x', PSY_SEARCH_QUERY_MAX); /* one 512-letter word */
    big[PSY_SEARCH_QUERY_MAX] = 0;
    assert_int_equal(psy_search_query(ix, big, NULL, h, 4, &n, &total), PSY_OK);
    assert_int_equal(n, 0);
    /* nothing to search for: empty, not an error */
    static const char *const empty[] = {"", "   ", "!!!", "the of and ", "\t\n", "...", "xqzvjk"};
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        assert_int_equal(psy_search_query(ix, empty[i], NULL, h, 4, &n, &total), PSY_OK);
        assert_int_equal(n, 0);
        assert_int_equal(total, 0);
    }
    /* accents and full-width forms fold to the plain word */
    struct result r;
    run("\xef\xbd\x90\xef\xbd\x94\xef\xbd\x93\xef\xbd\x84", &r); /* full-width "ptsd" */
    assert_true(r.n > 0 && strncmp(r.hit[0].code, "F43.1", 5) == 0);
    run("D\xc3\xa9pression", &r);
    assert_true(r.n > 0);
    assert_string_equal(r.hit[0].code, "F32.A");
}

static void test_order_is_deterministic(void **state)
{
    (void)state;
    static const char *const qs[] = {"therapy", "908", "disorder", "d", "ptsd", "anx"};
    for (size_t q = 0; q < sizeof qs / sizeof qs[0]; q++) {
        struct result a, b;
        run(qs[q], &a);
        run(qs[q], &b);
        assert_int_equal(a.n, b.n);
        assert_int_equal(a.total, b.total);
        for (size_t i = 0; i < a.n; i++) {
            assert_string_equal(a.hit[i].code, b.hit[i].code);
            assert_true(a.hit[i].score == b.hit[i].score);
            if (i == 0) continue;
            /* best first; equal scores by system, then code */
            const psy_search_hit *p = &a.hit[i - 1], *c = &a.hit[i];
            assert_true(p->score >= c->score);
            if (p->score == c->score)
                assert_true(p->system < c->system || (p->system == c->system && strcmp(p->code, c->code) < 0));
        }
    }
}

struct thread_job {
    const psy_search *index;
    const char *query;
    struct result want; /* with want.n == SIZE_MAX: the first answer becomes the one wanted */
    int ok, rounds;
};

static void *thread_main(void *arg)
{
    struct thread_job *j = arg;
    j->ok = 1;
    for (int it = 0; it < j->rounds; it++) {
        struct result r;
        if (psy_search_query(j->index, j->query, NULL, r.hit, CAP, &r.n, &r.total)) j->ok = 0;
        if (j->want.n == SIZE_MAX) j->want = r;
        if (r.n != j->want.n || r.total != j->want.total) j->ok = 0;
        for (size_t i = 0; j->ok && i < r.n; i++)
            if (strcmp(r.hit[i].code, j->want.hit[i].code) != 0 || r.hit[i].score != j->want.hit[i].score) j->ok = 0;
    }
    return NULL;
}

/* Runs n jobs on their own threads at once; fails naming the query of a job whose answers differed. */
static void run_threads(struct thread_job *jobs, size_t n)
{
    pthread_t t[16];
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++) assert_int_equal(pthread_create(&t[i], NULL, thread_main, &jobs[i]), 0);
    for (size_t i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        if (!jobs[i].ok) fail_msg("thread answers differ for '%s'", jobs[i].query);
    }
}

/* One index, many threads at once, the same answers as one thread alone. */
static void test_threads(void **state)
{
    (void)state;
    static const char *const qs[] = {"ptsd chronic", "therapy", "anxeity", "908", "d", "gen anx"};
    enum { N = sizeof qs / sizeof qs[0] };
    struct thread_job jobs[N];
    for (size_t i = 0; i < N; i++) {
        jobs[i] = (struct thread_job){ix, qs[i], {.n = 0}, 0, 50};
        run(qs[i], &jobs[i].want);
    }
    run_threads(jobs, N);
}

/* A digest of the hits (codes and scores) of a set of queries: the same on every backend. */
static uint64_t answers_digest(const psy_search *index)
{
    static const char *const qs[] = {"therapy", "908", "disorder", "d", "ptsd", "anx", "phobia", "unspecified"};
    uint64_t h = 1469598103934665603ULL;
    for (size_t q = 0; q < sizeof qs / sizeof qs[0]; q++) {
        struct result r;
        if (psy_search_query(index, qs[q], NULL, r.hit, CAP, &r.n, &r.total)) fail_msg("query '%s'", qs[q]);
        for (size_t i = 0; i < r.n; i++) {
            char line[64];
            snprintf(line, sizeof line, "%d:%s:%.6f;", (int)r.hit[i].system, r.hit[i].code, (double)r.hit[i].score);
            for (const char *c = line; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ULL;
        }
        h = (h ^ r.total) * 1099511628211ULL;
    }
    return h;
}

/* The first backend's digest is kept; the next must match it. */
static void same_on_every_backend(const char *what, uint64_t d, uint64_t *kept, const char **kept_by,
                                  const struct test_backend *b)
{
    if (!*kept_by) {
        *kept = d;
        *kept_by = b->name;
        return;
    }
    if (d != *kept) fail_msg("%s: %s answers differ from %s's", what, b->name, *kept_by);
}

/* After an import, a rebuilt index finds what the file brought; the old one is replaced. */
static void test_rebuild_after_import(void **state)
{
    static uint64_t kept;
    static const char *kept_by;
    struct test_db db;
    test_db_make(*state, &db);
    psy_store *st2 = test_db_open(&db, 1);
    psy_search *ix2;
    assert_int_equal(psy_search_build(st2, &ix2), PSY_OK);
    psy_search_hit h[4];
    size_t n, total;
    assert_int_equal(psy_search_query(ix2, "xenoglossophobia", NULL, h, 4, &n, &total), PSY_OK);
    assert_int_equal(n, 0);
    char file[256];
    snprintf(file, sizeof file, "%05d %-7s %d %-60s %s\n", 1, "F40298", 1, "Other specified phobia",
             "Xenoglossophobia and other specified phobia");
    char *f = test_write_file(file, strlen(file));
    char err[600];
    struct psy_import_stats s;
    assert_int_equal(psy_catalog_import(st2, PSY_IMPORT_ICD10CM, f, NULL, &s, err, sizeof err), PSY_OK);
    psy_search *old = ix2;
    assert_int_equal(psy_search_rebuild(st2, &ix2), PSY_OK);
    assert_ptr_not_equal(old, ix2);
    assert_int_equal(psy_search_query(ix2, "xenoglossophobia", NULL, h, 4, &n, &total), PSY_OK);
    assert_int_equal(n, 1);
    assert_string_equal(h[0].code, "F40.298");
    struct result r;
    run("xenoglossophobia", &r); /* the index of the other store knows nothing of it */
    assert_int_equal(r.n, 0);
    same_on_every_backend("rebuilt index", answers_digest(ix2), &kept, &kept_by, *state);
    psy_search_free(ix2);
    psy_store_close(st2);
    test_db_drop(&db);
    unlink(f);
    free(f);
}

/* --- the index file ----------------------------------------------------------------------------------- */

/* Opens the index of (s, uri); returns 1 when it came from its file, 0 when it was built. */
static int open_index(psy_store *s, const char *uri, uint64_t *digest)
{
    psy_search *x;
    assert_int_equal(psy_search_open(s, uri, &x), PSY_OK);
    struct psy_search_stats ss;
    psy_search_stats(x, &ss);
    if (digest) *digest = answers_digest(x);
    psy_search_free(x);
    return ss.mapped;
}

static void change_byte(const char *file, long at)
{
    FILE *f = fopen(file, "r+b");
    assert_non_null(f);
    if (at < 0) fseek(f, at, SEEK_END);
    else fseek(f, at, SEEK_SET);
    int c = fgetc(f);
    assert_int_not_equal(c, EOF);
    fseek(f, -1, SEEK_CUR);
    fputc(c ^ 0x10, f);
    fclose(f);
}

static int tmp_files_left(const char *file)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls %s.*.tmp >/dev/null 2>&1", file);
    return system(cmd) == 0;
}

/* The index saved beside the database is used while the catalog is unchanged; a damaged, cut short or
 * stale file is never used: the index is built again and the file replaced. */
static void test_index_file(void **state)
{
    (void)state;
    char *p2;
    psy_store *s2 = test_open_store(&p2);
    char file[600], verified[700];
    assert_int_equal(psy_search_index_path(p2, file, sizeof file), 1);
    snprintf(verified, sizeof verified, "%s.verified", file);
    unlink(file);
    unlink(verified);
    uint64_t built, d;
    psy_search *b;
    assert_int_equal(psy_search_build(s2, &b), PSY_OK);
    built = answers_digest(b);
    psy_search_free(b);

    assert_int_equal(open_index(s2, p2, &d), 0); /* no file yet: built, then saved */
    assert_int_equal(access(file, R_OK), 0);
    assert_int_equal(open_index(s2, p2, &d), 1);
    assert_true(d == built);
    sleep(1); /* old enough for its check to be recorded (PATH.verified) */
    assert_int_equal(open_index(s2, p2, &d), 1);
    assert_int_equal(access(verified, R_OK), 0);
    assert_int_equal(open_index(s2, p2, &d), 1);
    assert_true(d == built);

    /* one byte of the payload changed, after the check was recorded: caught */
    change_byte(file, -5);
    assert_int_equal(open_index(s2, p2, &d), 0);
    assert_true(d == built);
    assert_int_equal(open_index(s2, p2, &d), 1);
    /* in the header (the scalars of the index) */
    change_byte(file, 140);
    assert_int_equal(open_index(s2, p2, NULL), 0);
    assert_int_equal(open_index(s2, p2, NULL), 1);
    /* cut short */
    struct stat sb;
    assert_int_equal(stat(file, &sb), 0);
    assert_int_equal(truncate(file, sb.st_size - 64), 0);
    assert_int_equal(open_index(s2, p2, NULL), 0);
    assert_int_equal(open_index(s2, p2, &d), 1);
    assert_true(d == built);
    /* not an index at all */
    FILE *f = fopen(file, "wb");
    fputs("not an index", f);
    fclose(f);
    assert_int_equal(open_index(s2, p2, NULL), 0);
    assert_int_equal(open_index(s2, p2, NULL), 1);
    /* whole, but another database's (its catalog generation differs, even with the same catalog) */
    {
        char *p3;
        psy_store *s3 = test_open_store(&p3);
        char file3[600], cmd[1400];
        assert_int_equal(psy_search_index_path(p3, file3, sizeof file3), 1);
        assert_int_equal(open_index(s3, p3, NULL), 0);
        assert_int_equal(open_index(s3, p3, NULL), 1);
        snprintf(cmd, sizeof cmd, "cp %s %s", file3, file);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(open_index(s2, p2, &d), 0);
        assert_true(d == built);
        assert_int_equal(open_index(s2, p2, &d), 1);
        assert_true(d == built);
        psy_store_close(s3);
        test_rm_db(p3);
        unlink(file3);
        snprintf(cmd, sizeof cmd, "%s.verified", file3);
        unlink(cmd);
        free(p3);
    }

    /* the catalog changes (an import): the file is stale, and the new index finds what came in */
    char line[256];
    snprintf(line, sizeof line, "%05d %-7s %d %-60s %s\n", 1, "F40298", 1, "Other specified phobia",
             "Xenoglossophobia and other specified phobia");
    char *imp = test_write_file(line, strlen(line));
    char err[600];
    struct psy_import_stats is;
    assert_int_equal(psy_catalog_import(s2, PSY_IMPORT_ICD10CM, imp, NULL, &is, err, sizeof err), PSY_OK);
    assert_int_equal(open_index(s2, p2, NULL), 0);
    psy_search *x;
    assert_int_equal(psy_search_open(s2, p2, &x), PSY_OK);
    struct psy_search_stats ss;
    psy_search_stats(x, &ss);
    assert_int_equal(ss.mapped, 1);
    psy_search_hit h[4];
    size_t n, total;
    assert_int_equal(psy_search_query(x, "xenoglossophobia", NULL, h, 4, &n, &total), PSY_OK);
    assert_int_equal(n, 1);
    assert_string_equal(h[0].code, "F40.298");
    psy_search_free(x);

    /* several processes find no file at once: each builds and saves; the file is whole afterwards */
    unlink(file);
    unlink(verified);
    enum { KIDS = 3 };
    pid_t kid[KIDS];
    for (int i = 0; i < KIDS; i++) {
        kid[i] = fork();
        assert_true(kid[i] >= 0);
        if (kid[i] == 0) {
            psy_store *ks;
            char e[256];
            psy_search *kx = NULL;
            int bad = psy_store_open(p2, &ks, e, sizeof e) || psy_search_open(ks, p2, &kx);
            psy_search_free(kx);
            if (!bad) psy_store_close(ks);
            _exit(bad);
        }
    }
    for (int i = 0; i < KIDS; i++) {
        int ws;
        assert_int_equal(waitpid(kid[i], &ws, 0), kid[i]);
        assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    }
    assert_int_equal(open_index(s2, p2, NULL), 1);
    assert_false(tmp_files_left(file));

    /* an in-memory database has no file */
    assert_int_equal(psy_search_index_path(":memory:", file, sizeof file), 0);
    psy_store_close(s2);
    test_rm_db(p2);
    unlink(file);
    unlink(verified);
    unlink(imp);
    free(imp);
    free(p2);
}

/* The lay-out a query relies on, checked against the entries themselves: code_key beside code_sorted
 * holds each code's first seven bytes in order, and the term texts lie side by side in term order. */
static void check_layout(const psy_search *x)
{
    const char *pool = x->pool.p;
    for (uint32_t i = 0; i < x->ndocs; i++) {
        const char *c = pool + x->docs[x->code_sorted[i]].ncode;
        uint64_t k = 0;
        for (size_t j = 0, n = strlen(c); j < 7; j++) k = k << 8 | (j < n ? (unsigned char)c[j] : 0);
        assert_true(x->code_key[i] == k);
        if (i) assert_true(x->code_key[i - 1] <= k);
    }
    for (uint32_t t = 0; t < x->nterms; t++) {
        assert_int_equal(strlen(pool + x->term_off[t]), x->term_len[t]);
        if (t) {
            assert_true(strcmp(pool + x->term_off[t - 1], pool + x->term_off[t]) < 0);
            assert_int_equal(x->term_off[t], x->term_off[t - 1] + x->term_len[t - 1] + 1u);
        }
    }
}

/* Every code typed as it is found, with every entry of that code (one per system it is in) among the
 * first hits, by a scan of all entries; and a code's prefix finds codes that start with it. Both on the
 * built index and on the one read from its file. */
static void check_code_lookups(const psy_search *x)
{
    check_layout(x);
    const char *pool = x->pool.p;
    for (uint32_t d = 0; d < x->ndocs; d++) {
        const char *c = pool + x->docs[d].ncode;
        size_t n = strlen(c), same = 0, found = 0;
        if (n == 0 || n > 7 || strspn(c, "abcdefghijklmnopqrstuvwxyz0123456789") != n) continue;
        for (uint32_t e = 0; e < x->ndocs; e++) same += strcmp(pool + x->docs[e].ncode, c) == 0;
        struct result r;
        assert_int_equal(psy_search_query(x, c, NULL, r.hit, CAP, &r.n, &r.total), PSY_OK);
        for (size_t i = 0; i < r.n && i < same; i++) {
            char dotless[32];
            size_t k = 0;
            for (const char *p = r.hit[i].code; *p && k < sizeof dotless - 1; p++)
                if (*p != '.') dotless[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
            dotless[k] = 0;
            found += strcmp(dotless, c) == 0;
        }
        if (found != same) fail_msg("code '%s': %zu of its %zu entries first", c, found, same);
    }
    struct result r;
    assert_int_equal(psy_search_query(x, "9083", NULL, r.hit, CAP, &r.n, &r.total), PSY_OK);
    assert_true(r.n >= 3);
    for (size_t i = 0; i < 3; i++) assert_int_equal(strncmp(r.hit[i].code, "9083", 4), 0);
}

static void test_code_lookups(void **state)
{
    (void)state;
    check_code_lookups(ix);
    char *p2;
    psy_store *s2 = test_open_store(&p2);
    char file[600], verified[700];
    assert_int_equal(psy_search_index_path(p2, file, sizeof file), 1);
    snprintf(verified, sizeof verified, "%s.verified", file);
    psy_search *x;
    for (int i = 0; i < 2; i++) { /* built and saved, then read from the file */
        assert_int_equal(psy_search_open(s2, p2, &x), PSY_OK);
        struct psy_search_stats ss;
        psy_search_stats(x, &ss);
        assert_int_equal(ss.mapped, i);
        check_code_lookups(x);
        psy_search_free(x);
    }
    psy_store_close(s2);
    test_rm_db(p2);
    unlink(file);
    unlink(verified);
    free(p2);
}

/* --- the CLI -------------------------------------------------------------------------------------------- */

static int cli(const char *args, char **out, char **err)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "search --db %s %s", path, args);
    return test_run_cli(buf, NULL, out, err);
}

/* Runs the CLI with args, which must succeed and print a JSON array; returns it. */
static json_t *cli_json(const char *args)
{
    char *out, *err;
    assert_int_equal(cli(args, &out, &err), 0);
    json_error_t je;
    json_t *a = json_loads(out, 0, &je);
    if (!json_is_array(a)) fail_msg("search %s: not a JSON array: %s", args, je.text);
    free(out);
    free(err);
    return a;
}

static void test_cli_json(void **state)
{
    (void)state;
    json_t *a = cli_json("--json ptsd chronic");
    assert_true(json_array_size(a) >= 1 && json_array_size(a) <= 10);
    size_t i;
    json_t *o;
    double prev = 1e9;
    json_array_foreach(a, i, o)
    {
        assert_true(json_is_string(json_object_get(o, "system")));
        assert_true(json_is_string(json_object_get(o, "code")));
        assert_true(json_is_string(json_object_get(o, "title")));
        assert_true(json_is_boolean(json_object_get(o, "billable")));
        assert_true(json_is_number(json_object_get(o, "score")));
        double sc = json_number_value(json_object_get(o, "score"));
        assert_true(sc <= prev); /* best first */
        prev = sc;
    }
    json_t *first = json_array_get(a, 0);
    assert_string_equal(json_string_value(json_object_get(first, "system")), "icd10cm");
    assert_string_equal(json_string_value(json_object_get(first, "code")), "F43.12");
    assert_true(json_is_true(json_object_get(first, "billable")));
    json_decref(a);
    /* filters and limit */
    a = cli_json("--json --system cpt --billable --limit 3 therapy");
    assert_int_equal(json_array_size(a), 3);
    json_array_foreach(a, i, o)
    {
        assert_string_equal(json_string_value(json_object_get(o, "system")), "cpt");
        assert_true(json_is_true(json_object_get(o, "billable")));
    }
    json_decref(a);
    /* nothing found: an empty array and success */
    a = cli_json("--json xqzvjk");
    assert_int_equal(json_array_size(a), 0);
    json_decref(a);
}

static void test_cli_text_and_errors(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(cli("talk therapy 60 minutes", &out, &err), 0);
    assert_int_equal(strncmp(out, "90837", 5), 0);
    free(out);
    free(err);
    assert_int_equal(cli("xqzvjk", &out, &err), 0);
    assert_string_equal(out, "");
    assert_non_null(strstr(err, "No code matches"));
    free(out);
    free(err);
    static const struct { const char *args, *msg; } bad[] = {
        {"", "give a QUERY"},
        {"--limit 0 ptsd", "--limit"},
        {"--limit 12x ptsd", "--limit"},
        {"--system loinc ptsd", "--system"},
        {"\"$(printf '\\377\\376')\"", "not valid UTF-8"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char args[256];
        snprintf(args, sizeof args, "%s", bad[i].args);
        assert_int_equal(cli(args, &out, &err), 2);
        if (!strstr(err, bad[i].msg)) fail_msg("'%s': expected '%s' in: %s", bad[i].args, bad[i].msg, err);
        free(out);
        free(err);
    }
    char longq[700];
    memset(longq, 'a', 600);
    longq[600] = 0;
    assert_int_equal(cli(longq, &out, &err), 2);
    assert_non_null(strstr(err, "longer than 512 bytes"));
    free(out);
    free(err);
    assert_int_equal(test_run_cli("search --help", NULL, &out, NULL), 0);
    assert_non_null(strstr(out, "usage: psyclaim search"));
    free(out);
}


/* --- issue 21: what people type, what the query asks for, the order of related codes ---------------- */

/* The built-in catalog plus the official ICD-10-CM and HCPCS files, built once for the class tests
 * below (skipped without ../shared/data). */
static char *big_path;
static psy_store *big_st;
static psy_search *big_ix;

static int big_setup(void **state)
{
    (void)state;
    char icd[600], hcpcs[600], err[600];
    if (!test_have_shared("icd10cm/icd10cm_order_2022_fixedwidth.txt", icd, sizeof icd) ||
        !test_have_shared("hcpcs/HCPC2025_OCT_ANWEB.tsv", hcpcs, sizeof hcpcs))
        return 0;
    big_st = test_open_store(&big_path);
    struct psy_import_stats s;
    if (psy_catalog_import(big_st, PSY_IMPORT_ICD10CM, icd, NULL, &s, err, sizeof err) ||
        psy_catalog_import(big_st, PSY_IMPORT_HCPCS, hcpcs, NULL, &s, err, sizeof err)) {
        fprintf(stderr, "import: %s\n", err);
        return -1;
    }
    return psy_search_build(big_st, &big_ix) == PSY_OK ? 0 : -1;
}

static int big_teardown(void **state)
{
    (void)state;
    psy_search_free(big_ix);
    if (big_st) psy_store_close(big_st);
    if (big_path) test_rm_db(big_path);
    free(big_path);
    big_ix = NULL;
    big_st = NULL;
    big_path = NULL;
    return 0;
}

struct bigres {
    psy_search_hit hit[10];
    size_t n;
    psy_search_info info;
};

static void big_run(const char *q, struct bigres *r)
{
    psy_status rc = psy_search_run(big_ix, q, NULL, r->hit, 10, &r->n, &r->info);
    if (rc) fail_msg("query '%s': %s", q, psy_strerror(rc));
}

static int big_rank(const struct bigres *r, psy_system sys, const char *code)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->hit[i].system == sys && !strcmp(r->hit[i].code, code)) return (int)i;
    return -1;
}

static void big_expect(const char *q, psy_system sys, const char *code, int within)
{
    struct bigres r;
    big_run(q, &r);
    int k = big_rank(&r, sys, code);
    if (k < 0 || k >= within) {
        fprintf(stderr, "query '%s' gave:", q);
        for (size_t i = 0; i < r.n && i < 8; i++) fprintf(stderr, " %s", r.hit[i].code);
        fail_msg("expected %s %s within the first %d, got rank %d", psy_catalog_system_name(sys), code, within, k);
    }
}

/* a before b in the answer to q (both present) */
static void big_before(const char *q, psy_system sys, const char *a, const char *b)
{
    struct bigres r;
    big_run(q, &r);
    int ka = big_rank(&r, sys, a), kb = big_rank(&r, sys, b);
    if (ka < 0 || (kb >= 0 && kb < ka)) fail_msg("query '%s': %s should come before %s (ranks %d, %d)", q, a, b, ka, kb);
}

#define NEED_BIG()                                                                                                     \
    do {                                                                                                               \
        if (!big_ix) {                                                                                                 \
            skip();                                                                                                    \
            return;                                                                                                    \
        }                                                                                                              \
    } while (0)

/* An English word is spelled as meant: it is never "corrected" into a rarer word of the catalog. */
static void test_english_words_are_not_typos(void **state)
{
    (void)state;
    NEED_BIG();
    static const struct { const char *q, *not_word; } cases[] = {
        {"wants ", "wart"}, {"pot ", "potent"}, {"dyspraxia ", "dysphagia"}, {"sad ", "sadism"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct bigres r;
        big_run(cases[i].q, &r);
        for (size_t k = 0; k < r.n && k < 5; k++) {
            char low[1024];
            size_t j = 0;
            for (; r.hit[k].title[j] && j < sizeof low - 1; j++) low[j] = (char)(r.hit[k].title[j] | 0x20);
            low[j] = 0;
            if (strstr(low, cases[i].not_word))
                fail_msg("'%s' was taken for '%s': %s %s", cases[i].q, cases[i].not_word, r.hit[k].code, r.hit[k].title);
        }
    }
    /* a word that is not English is still fixed */
    big_expect("anxeity disorder", PSY_SYS_ICD10CM, "F41.9", 3);
    big_expect("schizophrnia", PSY_SYS_ICD10CM, "F20.9", 5);
}

/* Without the word lists (PSY_SEARCH_WORDS empty) the catalog's words are the only known ones: typos
 * are still fixed and known words still found. */
static void test_english_words_fallback_without_word_list(void **state)
{
    (void)state;
    setenv("PSY_SEARCH_WORDS", "", 1);
    psy_search *bare;
    psy_status rc = psy_search_build(st, &bare);
    unsetenv("PSY_SEARCH_WORDS");
    assert_int_equal(rc, PSY_OK);
    psy_search_hit h[5];
    size_t n, total;
    assert_int_equal(psy_search_query(bare, "anxeity", NULL, h, 5, &n, &total), PSY_OK);
    assert_true(n > 0);
    assert_int_equal(psy_search_query(bare, "psychotherapy", NULL, h, 5, &n, &total), PSY_OK);
    assert_true(n > 0);
    psy_search_free(bare);
}

/* A finished word (a space after it) is not the start of a longer word. */
static void test_finished_word_is_not_a_prefix(void **state)
{
    (void)state;
    NEED_BIG();
    struct bigres r;
    big_run("sad ", &r);
    for (size_t k = 0; k < r.n; k++)
        if (strstr(r.hit[k].title, "adism")) fail_msg("'sad ' found %s %s", r.hit[k].code, r.hit[k].title);
}

/* Everyday words (data/search/everyday.json) find the clinical titles they mean. */
static void test_everyday_words(void **state)
{
    (void)state;
    NEED_BIG();
    big_expect("hearing voices", PSY_SYS_ICD10CM, "R44.0", 1);        /* Auditory hallucinations */
    big_expect("wants to die", PSY_SYS_ICD10CM, "R45.851", 1);        /* Suicidal ideations */
    big_expect("bed wetting", PSY_SYS_ICD10CM, "F98.0", 3);           /* Enuresis not due to a substance ... */
    big_expect("wets the bed", PSY_SYS_ICD10CM, "F98.0", 1);
    big_expect("panic attacks", PSY_SYS_ICD10CM, "F41.0", 1);         /* Panic disorder */
    big_expect("drinking problem", PSY_SYS_ICD10CM, "F10.10", 3);     /* Alcohol abuse, uncomplicated */
    big_expect("can't sleep", PSY_SYS_ICD10CM, "G47.00", 3);          /* Insomnia, unspecified */
    big_expect("stressed out at work", PSY_SYS_ICD10CM, "Z56.6", 1);  /* ... mental strain related to work */
}

/* Words that name a system or ask a question are not required: they say which system comes first. */
static void test_intent_words(void **state)
{
    (void)state;
    NEED_BIG();
    big_expect("dx code for generalized anxiety", PSY_SYS_ICD10CM, "F41.1", 1);
    big_expect("cpt code for group therapy", PSY_SYS_CPT, "90853", 1);
    big_expect("what is the code for family therapy", PSY_SYS_CPT, "90847", 2);
    big_expect("place of service home", PSY_SYS_POS, "12", 1);
    struct bigres r;
    big_run("telehealth modifier", &r);
    assert_true(r.n >= 3);
    for (size_t k = 0; k < 3; k++) assert_int_equal(r.hit[k].system, PSY_SYS_MODIFIER);
    assert_int_equal(r.info.system, PSY_SYS_MODIFIER);
    /* a word naming a system alone is the query's content */
    big_run("modifier", &r);
    assert_true(r.n > 0);
    assert_int_equal(r.hit[0].system, PSY_SYS_MODIFIER);
}

/* A query that names a condition and no service ranks diagnoses first. */
static void test_diagnosis_queries_rank_icd_first(void **state)
{
    (void)state;
    NEED_BIG();
    static const char *const qs[] = {"family history of depression", "stressed out at work", "ptsd chron",
                                     "generalized anxiety"};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        struct bigres r;
        big_run(qs[i], &r);
        assert_true(r.n >= 3);
        if (r.hit[0].system != PSY_SYS_ICD10CM) fail_msg("'%s' ranks %s first", qs[i], r.hit[0].code);
        for (size_t k = 0; k < 3; k++) /* no psychotherapy code through its explainer's words */
            if (r.hit[k].system == PSY_SYS_CPT) fail_msg("'%s' ranks %s at %zu", qs[i], r.hit[k].code, k);
    }
    big_expect("family history of depression", PSY_SYS_ICD10CM, "Z81.8", 1);
}

/* A code, or the start of codes, lists that code's own system first, not entries that mention it. */
static void test_code_queries_list_their_system_first(void **state)
{
    (void)state;
    NEED_BIG();
    struct bigres r;
    big_run("90853", &r);
    assert_true(r.n >= 1);
    assert_string_equal(r.hit[0].code, "90853");
    for (size_t k = 1; k < r.n; k++)
        if (r.hit[k].system != PSY_SYS_CPT) fail_msg("'90853' lists %s %s", psy_catalog_system_name(r.hit[k].system), r.hit[k].code);
    big_run("9083", &r);
    assert_true(r.n >= 3);
    for (size_t k = 0; k < 3; k++) assert_int_equal(r.hit[k].system, PSY_SYS_CPT);
}

/* Primary codes come before their add-ons unless the query asks for the add-on (CPT: an add-on is
 * reported only with its primary). */
static void test_primaries_before_addons(void **state)
{
    (void)state;
    NEED_BIG();
    big_before("60 min therapy", PSY_SYS_CPT, "90837", "90838");
    big_before("30 min crisis", PSY_SYS_CPT, "90839", "90840");
    big_expect("60 min therapy", PSY_SYS_CPT, "90837", 1);
    big_expect("30 min crisis", PSY_SYS_CPT, "90839", 1);
    big_expect("psychotherapy add-on with e/m", PSY_SYS_CPT, "90833", 3);
}

/* Clinician shorthand: grp, fam, indiv, w/, est pt, minutes written as "60 min". */
static void test_clinician_shorthand(void **state)
{
    (void)state;
    NEED_BIG();
    big_expect("fam therapy w/ pt", PSY_SYS_CPT, "90847", 1);
    big_expect("fam therapy w/o pt", PSY_SYS_CPT, "90846", 2);
    big_expect("indiv therapy 30 min", PSY_SYS_CPT, "90832", 1);
    big_expect("grp therapy", PSY_SYS_CPT, "90853", 1);
    big_expect("grp therapy 60 min", PSY_SYS_CPT, "90853", 1);
    big_expect("e/m est pt lvl 4", PSY_SYS_CPT, "99214", 1);
}

/* The same on the built-in catalog alone (a practice that imported no code file), where fewer entries
 * share the words: the minutes still decide, an entry that has the other words only in its prose gains
 * nothing from the duration, and an E/M visit or a crisis code needs a word of its own. */
static void test_duration_bands_builtin(void **state)
{
    (void)state;
    expect_rank("psychotherapy 40 min", PSY_SYS_CPT, "90834", 1); /* not 99215, "(40+ min)" */
    expect_rank("psychotherapy 40 minutes", PSY_SYS_CPT, "90834", 1);
    expect_rank("individual therapy 20 min", PSY_SYS_CPT, "90832", 1);
    expect_rank("psychotherapy 37 min", PSY_SYS_CPT, "90832", 1);
    expect_rank("psychotherapy 53 min", PSY_SYS_CPT, "90837", 1);
    expect_rank("psychotherapy with e/m 20 min", PSY_SYS_CPT, "90833", 1);
    expect_rank("crisis 60 min", PSY_SYS_CPT, "90839", 1);
    expect_rank("est patient 35 min", PSY_SYS_CPT, "99214", 1);
    expect_rank("new patient visit 50 minutes", PSY_SYS_CPT, "99204", 1);
    expect_rank("grp therapy 60 min", PSY_SYS_CPT, "90853", 1); /* not 99205, "(60+ min)" */
    expect_rank("fam psychotherapy w/ pt 50 min", PSY_SYS_CPT, "90847", 1);
}

/* A duration finds the time-based code whose minutes hold it, not the code whose title has the number
 * (docs domain 1.1: 90832 16-37, 90834 38-52, 90837 53 and more, the add-ons alike, 90839 30-74 with
 * 90840 from 75, 90846/90847 from 26; office E/M by total time, CMS MLN006764: established 99212 10,
 * 99213 20, 99214 30, 99215 40, new 99202 15, 99203 30, 99204 45, 99205 60 minutes met). */
static void test_duration_bands(void **state)
{
    (void)state;
    NEED_BIG();
    big_expect("psychotherapy 40 minutes", PSY_SYS_CPT, "90834", 1); /* not 99215, "(40+ min)" */
    big_expect("individual therapy 20 min", PSY_SYS_CPT, "90832", 1);
    big_expect("psychotherapy 37 min", PSY_SYS_CPT, "90832", 1);
    big_expect("psychotherapy 38 min", PSY_SYS_CPT, "90834", 1);
    big_expect("psychotherapy 52 min", PSY_SYS_CPT, "90834", 1);
    big_expect("psychotx 53 min", PSY_SYS_CPT, "90837", 1);
    big_expect("therapy 1 hour", PSY_SYS_CPT, "90837", 1);
    big_expect("psychotherapy with e/m 45 min", PSY_SYS_CPT, "90836", 1);
    big_expect("psychotherapy with e/m 20 min", PSY_SYS_CPT, "90833", 1);
    big_expect("crisis 60 min", PSY_SYS_CPT, "90839", 1);
    big_expect("crisis 90 min", PSY_SYS_CPT, "90840", 2);
    big_expect("family therapy 30 min", PSY_SYS_CPT, "90847", 2);
    big_expect("office visit 25 min established", PSY_SYS_CPT, "99213", 1);
    big_expect("est patient 35 min", PSY_SYS_CPT, "99214", 1);
    big_expect("new patient visit 50 minutes", PSY_SYS_CPT, "99204", 1);
    /* a duration alone never asks for a crisis code */
    struct bigres r;
    big_run("psychotherapy 45 minutes", &r);
    assert_true(r.n > 0);
    assert_string_equal(r.hit[0].code, "90834");
    /* the duration the code's minutes hold counts as matched: a close match, not a suggestion */
    big_run("psychotx 53 min", &r);
    assert_true(r.n > 0 && r.info.close);
    big_run("crisis 60 min", &r);
    assert_true(r.n > 0 && r.info.close);
    /* shorthand for psychotherapy */
    big_expect("fam psychotx w/o pt", PSY_SYS_CPT, "90846", 1);
    big_expect("psytx 30 min", PSY_SYS_CPT, "90832", 1);
}

/* The labelled queries of tests/data/search/ranking.tsv each reach their rank. */
static void test_ranking_labels(void **state)
{
    (void)state;
    NEED_BIG();
    FILE *f = fopen(PSY_SOURCE_DIR "/tests/data/search/ranking.tsv", "r");
    assert_non_null(f);
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char *q = strtok(line, "\t"), *want = strtok(NULL, "\t"), *rank = strtok(NULL, "\t\n");
        assert_non_null(rank);
        char *colon = strchr(want, ':');
        assert_non_null(colon);
        *colon = 0;
        psy_system sys;
        assert_int_equal(psy_catalog_system_parse(want, &sys), PSY_OK);
        big_expect(q, sys, colon + 1, atoi(rank));
        n++;
    }
    fclose(f);
    assert_true(n >= 10);
}

/* When few entries match every word, entries matching all words but one follow. */
static void test_one_word_dropped_when_thin(void **state)
{
    (void)state;
    NEED_BIG();
    big_expect("60 min family therapy", PSY_SYS_CPT, "90847", 1);
}

/* Below the floor the answer says there is no close match; the hits are suggestions. */
static void test_no_close_match(void **state)
{
    (void)state;
    NEED_BIG();
    static const char *const nonsense[] = {"good morning", "see you later", "shopping list", "birthday party",
                                           "the quick brown fox", "kitchen", "restaurant"};
    for (size_t i = 0; i < sizeof nonsense / sizeof nonsense[0]; i++) {
        struct bigres r;
        big_run(nonsense[i], &r);
        if (r.n && r.info.close) fail_msg("'%s' is a close match for %s %s", nonsense[i], r.hit[0].code, r.hit[0].title);
    }
    static const char *const real[] = {"generalized anxiety disorder", "f41.1", "90837", "hearing voices",
                                       "major depressive disorder recurrent"};
    for (size_t i = 0; i < sizeof real / sizeof real[0]; i++) {
        struct bigres r;
        big_run(real[i], &r);
        if (!r.n || !r.info.close) fail_msg("'%s' has no close match", real[i]);
    }
    /* the CLI says so */
    char *out = NULL, cmd[700];
    snprintf(cmd, sizeof cmd, "search --db %s 'good morning'", big_path);
    test_run_cli(cmd, NULL, &out, NULL);
    if (out && out[0]) assert_non_null(strstr(out, "No close match"));
    free(out);
}

/* The ICD-10-CM Alphabetic Index importer, on a fixture in the published schema
 * (tests/data/search/icd10cm_index_fixture.xml): its terms find the codes they lead to, "see"
 * references included; a bad file changes nothing. */
static void test_icd_index_import(void **state)
{
    struct test_db db;
    test_db_make(*state, &db);
    psy_store *s2 = test_db_open(&db, 1);
    char err[600];
    struct psy_index_import_stats xs;
    const char *fixture = PSY_SOURCE_DIR "/tests/data/search/icd10cm_index_fixture.xml";
    assert_int_equal(psy_search_import_index(s2, fixture, &xs, err, sizeof err), PSY_OK);
    assert_int_equal(xs.main_terms, 6);
    assert_int_equal(xs.terms, 10);
    assert_int_equal(xs.see_resolved, 1); /* Wetting > bed: see Enuresis */
    assert_int_equal(xs.rows, 13);
    psy_search *x;
    assert_int_equal(psy_search_build(s2, &x), PSY_OK);
    psy_search_hit h[5];
    size_t n, total;
    /* a word only the index has ("quxlexia fixture term" -> F41.1) */
    assert_int_equal(psy_search_query(x, "quxlexia", NULL, h, 5, &n, &total), PSY_OK);
    assert_true(n >= 1);
    assert_string_equal(h[0].code, "F41.1");
    /* index words rank below titles: "generalized anxiety" still finds F41.1 by its title first */
    assert_int_equal(psy_search_query(x, "generalized anxiety disorder", NULL, h, 5, &n, &total), PSY_OK);
    assert_string_equal(h[0].code, "F41.1");
    psy_search_free(x);
    /* not the index, or cut short: an error naming the file and line; the terms imported stay */
    char *bad = test_write_file("<html><body/></html>", 20);
    assert_int_equal(psy_search_import_index(s2, bad, &xs, err, sizeof err), PSY_EPARSE);
    assert_non_null(strstr(err, "line 1"));
    test_rm_db(bad);
    free(bad);
    static const char cut[] = "<ICD10CM.index><letter><mainTerm><title>Worry</title><code>F41.1";
    char *trunc = test_write_file(cut, sizeof cut - 1);
    assert_int_equal(psy_search_import_index(s2, trunc, &xs, err, sizeof err), PSY_EPARSE);
    test_rm_db(trunc);
    free(trunc);
    assert_int_equal(psy_search_import_index(s2, "/nonexistent/index.xml", &xs, err, sizeof err), PSY_EIO);
    assert_int_equal(psy_search_build(s2, &x), PSY_OK);
    assert_int_equal(psy_search_query(x, "quxlexia", NULL, h, 5, &n, &total), PSY_OK);
    assert_true(n >= 1);
    assert_string_equal(h[0].code, "F41.1");
    psy_search_free(x);
    psy_store_close(s2);
    test_db_drop(&db);
}

/* With the official files imported (about 105,000 entries): the same known cases hold. */
/* How many pages of the index file a process has mapped after one query on the index opened from it. */
static size_t pages_after_query(psy_store *s, const char *uri, uint64_t want)
{
    psy_search *x;
    assert_int_equal(psy_search_open(s, uri, &x), PSY_OK);
    assert_non_null(x->map);
    assert_true(answers_digest(x) == want); /* (the answers are those of the built index) */
    long page = sysconf(_SC_PAGESIZE);
    size_t n = x->map_len / (size_t)page, present = 0;
    uint64_t *e = malloc(n * sizeof *e);
    int fd = open("/proc/self/pagemap", O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, e, n * sizeof *e, (off_t)((uintptr_t)x->map / (uintptr_t)page * sizeof *e)),
                     (ssize_t)(n * sizeof *e));
    close(fd);
    for (size_t i = 0; i < n; i++) present += (size_t)(e[i] >> 63);
    free(e);
    psy_search_free(x);
    return present;
}

/* The file of the full corpus (31 MB), once cached in large folios by a sequential read after the
 * kernel dropped it (a backup, say): the next open whose last drop of the file is old enough drops it
 * again, so queries map about as many pages as with the file cached one page at a time (without that,
 * several times as many on kernels with large folios; on others the two are alike). */
static void full_corpus_file(psy_store *s, const char *uri, uint64_t want)
{
    char file[600], verified[700];
    assert_int_equal(psy_search_index_path(uri, file, sizeof file), 1);
    snprintf(verified, sizeof verified, "%s.verified", file);
    unlink(file);
    unlink(verified);
    assert_int_equal(open_index(s, uri, NULL), 0); /* built and saved */
    sleep(1);
    assert_int_equal(open_index(s, uri, NULL), 1); /* checked, the check recorded */
    size_t small = pages_after_query(s, uri, want);
    int fd = open(file, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
    static char buf[1 << 20];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    close(fd);
    struct timespec old[2];
    clock_gettime(CLOCK_REALTIME, &old[0]);
    old[0].tv_sec -= 1200;
    old[1] = old[0];
    assert_int_equal(utimensat(AT_FDCWD, verified, old, 0), 0);
    size_t after = pages_after_query(s, uri, want);
    if (after > small + small / 4 + 64) fail_msg("index file: %zu pages mapped after a sequential read, %zu before", after, small);
    unlink(file);
    unlink(verified);
}

static void test_full_corpus(void **state)
{
    static uint64_t kept;
    static const char *kept_by;
    char icd[600], hcpcs[600];
    if (!test_have_shared("icd10cm/icd10cm_order_2022_fixedwidth.txt", icd, sizeof icd) ||
        !test_have_shared("hcpcs/HCPC2025_OCT_ANWEB.tsv", hcpcs, sizeof hcpcs)) {
        skip();
        return;
    }
    char err[600];
    struct test_db db;
    test_db_make(*state, &db);
    psy_store *st2 = test_db_open(&db, 1);
    struct psy_import_stats s;
    assert_int_equal(psy_catalog_import(st2, PSY_IMPORT_ICD10CM, icd, NULL, &s, err, sizeof err), PSY_OK);
    assert_int_equal(psy_catalog_import(st2, PSY_IMPORT_HCPCS, hcpcs, NULL, &s, err, sizeof err), PSY_OK);
    psy_search *big;
    assert_int_equal(psy_search_build(st2, &big), PSY_OK);
    /* one-word queries with long postings keep their answer once computed: threads asking for the same
     * ones at once, on a fresh index, all get the answer a lone query gets afterwards */
    static const char *const long_ones[] = {"s", "s", "e", "e", "unspec", "unspec", "d", "i"};
    enum { NL = sizeof long_ones / sizeof long_ones[0] };
    struct thread_job jobs[NL];
    for (size_t i = 0; i < NL; i++) jobs[i] = (struct thread_job){big, long_ones[i], {.n = SIZE_MAX}, 0, 3};
    run_threads(jobs, NL);
    for (size_t i = 0; i < NL; i++) {
        struct result r;
        assert_int_equal(psy_search_query(big, long_ones[i], NULL, r.hit, CAP, &r.n, &r.total), PSY_OK);
        assert_int_equal(r.n, jobs[i].want.n);
        assert_int_equal(r.total, jobs[i].want.total);
        for (size_t k = 0; k < r.n; k++) assert_string_equal(r.hit[k].code, jobs[i].want.hit[k].code);
    }
    struct psy_search_stats ss;
    psy_search_stats(big, &ss);
    assert_true(ss.docs > 100000);
    static const struct { const char *q; psy_system sys; const char *code; } cases[] = {
        {"ptsd chronic", PSY_SYS_ICD10CM, "F43.12"}, {"f4310", PSY_SYS_ICD10CM, "F43.10"},
        {"gad", PSY_SYS_ICD10CM, "F41.1"},          {"talk therapy 60 minutes", PSY_SYS_CPT, "90837"},
        {"grp therapy", PSY_SYS_CPT, "90853"},      {"schizophrnia", PSY_SYS_ICD10CM, "F20.9"},
        {"h0004", PSY_SYS_HCPCS, "H0004"},          {"iop", PSY_SYS_HCPCS, "S9480"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        psy_search_hit h[5];
        size_t n, total;
        assert_int_equal(psy_search_query(big, cases[i].q, NULL, h, 5, &n, &total), PSY_OK);
        int found = 0;
        for (size_t k = 0; k < n; k++) found |= h[k].system == cases[i].sys && !strcmp(h[k].code, cases[i].code);
        if (!found) fail_msg("full corpus: '%s' misses %s in its first 5", cases[i].q, cases[i].code);
    }
    /* a product whose title shares the word ranks below the diagnoses a practice means */
    {
        psy_search_hit h[5];
        size_t n, total;
        assert_int_equal(psy_search_query(big, "depress", NULL, h, 5, &n, &total), PSY_OK);
        assert_int_equal(n, 5);
        for (size_t k = 0; k < n; k++)
            if (h[k].system != PSY_SYS_ICD10CM) fail_msg("full corpus: 'depress' ranks %s among its first 5", h[k].code);
    }
    same_on_every_backend("full corpus", answers_digest(big), &kept, &kept_by, *state);
    full_corpus_file(st2, db.uri, answers_digest(big));
    psy_search_free(big);
    psy_store_close(st2);
    test_db_drop(&db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_known_cases),
        cmocka_unit_test(test_duration_bands_builtin),
        cmocka_unit_test(test_codes),
        cmocka_unit_test(test_typos),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_filters_and_paging),
        cmocka_unit_test(test_bad_queries),
        cmocka_unit_test(test_order_is_deterministic),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_index_file),
        cmocka_unit_test(test_code_lookups),
        cmocka_unit_test(test_cli_json),
        cmocka_unit_test(test_cli_text_and_errors),
        cmocka_unit_test(test_english_words_fallback_without_word_list),
    };
    /* building from a store: each backend's index gives the same answers */
    const struct CMUnitTest from_store[] = {
        cmocka_unit_test(test_rebuild_after_import),
        cmocka_unit_test(test_full_corpus),
        cmocka_unit_test(test_icd_index_import),
    };
    const struct CMUnitTest classes[] = {
        cmocka_unit_test(test_english_words_are_not_typos),
        cmocka_unit_test(test_finished_word_is_not_a_prefix),
        cmocka_unit_test(test_everyday_words),
        cmocka_unit_test(test_intent_words),
        cmocka_unit_test(test_diagnosis_queries_rank_icd_first),
        cmocka_unit_test(test_code_queries_list_their_system_first),
        cmocka_unit_test(test_primaries_before_addons),
        cmocka_unit_test(test_clinician_shorthand),
        cmocka_unit_test(test_duration_bands),
        cmocka_unit_test(test_ranking_labels),
        cmocka_unit_test(test_one_word_dropped_when_thin),
        cmocka_unit_test(test_no_close_match),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    failed += cmocka_run_group_tests_name("search_classes", classes, big_setup, big_teardown);
    failed += test_run_on_backends("test_search_store", from_store, sizeof from_store / sizeof *from_store, setup,
                                   teardown);
    return failed ? 1 : 0;
}
