/*
 * bench_search.c -- psyclaim's search index against SQLite FTS5, side by side in one process, on the
 * same corpus and the same queries.
 *
 * Corpus: the built-in catalog plus, when ../shared/data is present, the ICD-10-CM FY2022 order file and
 * the October 2025 HCPCS file imported into a scratch database (without them: the built-in catalog
 * only, and the report says so). Queries: every prefix of every query of the labelled evaluation set
 * (bench/data/search_eval.tsv), as a typist produces them one character at a time. FTS5 gets the same
 * entries (code with and without its dot, both titles, synonyms, explainer prose) with the porter +
 * unicode61 tokenizer and prefix indexes, the typed words as an AND query with a prefix query on the
 * last word, ordered by bm25 with column weights.
 *
 * The everyday sets (bench/data/search_eval_everyday.tsv, development, and
 * search_eval_everyday_holdout.tsv, held out) add everyday words, words about the query and the order
 * of related codes; bench/data/search_nonsense.txt lists 100 common English words and phrases with no
 * medical meaning.
 *
 * Reported: index build time and memory, queries per second, p50/p99 latency, recall@1, recall@5 and
 * precision@3 (the share of the first three hits that are acceptable) on the finished queries of each
 * set, the nonsense rate (how many of the nonsense queries get a close match as their top answer; for
 * FTS5, any answer), and how much of a query had to be typed before an acceptable answer showed in the
 * first five hits.
 *
 * usage: bench_search [--out docs/benchmarks.md] [--eval FILE] [--held-out FILE] [--everyday FILE]
 *                     [--everyday-held-out FILE] [--nonsense FILE] [--quick]
 * BENCH_FTS_NO_PREFIX=1 in the environment builds FTS5 without its prefix indexes (slower for it).
 * --quick: psyclaim's recall only (one build, no FTS5, no timing, nothing written); with BENCH_MISSES set
 * in the environment the queries it misses are listed on stderr (BENCH_MISSES=1: those whose first
 * answer is not acceptable). --slow: with --quick, also lists the 30
 * slowest typed queries (best of 5 runs each).
 */
#include <psyclaim/psyclaim.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bench_util.h"

#define TOPK 5
#define BUILDS 5
#define PASSES 3

/* The labelled sets, in the order they are read. */
enum { SET_DEV, SET_HELD, SET_EVERY_DEV, SET_EVERY_HELD, NSETS };
static const char *const set_name[NSETS + 1] = {"development set", "held-out set", "everyday development set",
                                                "everyday held-out set", "all sets"};

struct evalq {
    int held_out; /* which set (SET_*) */
    char kind[16];
    char *query;
    char **answers; /* "system:code" */
    size_t nanswers;
};

struct typed {
    const char *text; /* a prefix of an evaluation query (owned by texts[]) */
    size_t eval;      /* which evaluation query */
    int full;         /* the whole query */
};

struct engine_result {
    char hit[TOPK][32]; /* "system:code" */
    size_t n;
    int close; /* psyclaim: the best hit is a close match */
};

/* --- evaluation set ------------------------------------------------------------------------------ */

/* Appends the queries of path to v[0..*n); returns the array (NULL when the file cannot be read). */
static struct evalq *load_eval(const char *path, int held_out, struct evalq *v, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t cap = *n;
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        char *kind = line, *q = strchr(kind, '\t'), *ans = q ? strchr(q + 1, '\t') : NULL;
        if (!q || !ans) continue;
        *q++ = 0;
        *ans++ = 0;
        if (*n >= cap) v = realloc(v, (cap = cap ? cap * 2 : 512) * sizeof *v);
        struct evalq *e = &v[(*n)++];
        memset(e, 0, sizeof *e);
        e->held_out = held_out;
        size_t kl = strlen(kind) < sizeof e->kind - 1 ? strlen(kind) : sizeof e->kind - 1;
        memcpy(e->kind, kind, kl);
        e->kind[kl] = 0;
        e->query = strdup(q);
        for (char *tok = strtok(ans, ","); tok; tok = strtok(NULL, ",")) {
            e->answers = realloc(e->answers, (e->nanswers + 1) * sizeof *e->answers);
            e->answers[e->nanswers++] = strdup(tok);
        }
    }
    fclose(f);
    return v;
}

/* How many of the first k hits are acceptable answers. */
static size_t acceptable_n(const struct evalq *e, const struct engine_result *r, size_t k)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n && i < k; i++)
        for (size_t j = 0; j < e->nanswers; j++)
            if (strcmp(r->hit[i], e->answers[j]) == 0) {
                n++;
                break;
            }
    return n;
}

static int acceptable(const struct evalq *e, const struct engine_result *r, size_t k)
{
    for (size_t i = 0; i < r->n && i < k; i++)
        for (size_t j = 0; j < e->nanswers; j++)
            if (strcmp(r->hit[i], e->answers[j]) == 0) return 1;
    return 0;
}

/* --- corpus ----------------------------------------------------------------------------------------- */

static int import(psy_store *st, psy_import_kind kind, const char *path)
{
    struct psy_import_stats s;
    char err[600];
    if (psy_catalog_import(st, kind, path, NULL, &s, err, sizeof err)) {
        fprintf(stderr, "bench_search: %s\n", err);
        return -1;
    }
    return 0;
}

/* --- FTS5 --------------------------------------------------------------------------------------------- */

struct fts {
    int prefix_indexes; /* prefix = '1 2 3' */
    sqlite3 *db;
    sqlite3_stmt *ins, *q;
    char (*key)[32]; /* rowid - 1 -> "system:code" */
    size_t n, cap;
};

static void bind_text(sqlite3_stmt *s, int i, const char *t) { sqlite3_bind_text(s, i, t ? t : "", -1, SQLITE_TRANSIENT); }

static int fts_add(void *ud, const struct psy_code *c, const char *synonyms, const char *extra)
{
    struct fts *f = ud;
    char codes[64], dotless[PSY_CODE_MAX];
    size_t k = 0;
    for (const char *p = c->code; *p; p++)
        if (*p != '.') dotless[k++] = *p;
    dotless[k] = 0;
    snprintf(codes, sizeof codes, "%s %s", c->code, dotless);
    char *syn = strdup(synonyms ? synonyms : "");
    for (char *p = syn; *p; p++)
        if (*p == '|') *p = ' ';
    bind_text(f->ins, 1, codes);
    bind_text(f->ins, 2, c->long_title);
    bind_text(f->ins, 3, c->short_title);
    bind_text(f->ins, 4, syn);
    bind_text(f->ins, 5, extra);
    free(syn);
    if (sqlite3_step(f->ins) != SQLITE_DONE) return 1;
    sqlite3_reset(f->ins);
    if (f->n == f->cap) f->key = realloc(f->key, (f->cap = f->cap ? f->cap * 2 : 1 << 16) * sizeof *f->key);
    snprintf(f->key[f->n++], sizeof f->key[0], "%s:%s", psy_catalog_system_name(c->system), c->code);
    return 0;
}

static int fts_build(struct fts *f, psy_store *st)
{
    if (sqlite3_open(":memory:", &f->db) != SQLITE_OK) return -1;
    char create[512];
    snprintf(create, sizeof create,
             "CREATE VIRTUAL TABLE doc USING fts5(code, title, alt, syn, text, "
             "tokenize = 'porter unicode61 remove_diacritics 2'%s);BEGIN",
             f->prefix_indexes ? ", prefix = '1 2 3'" : "");
    if (sqlite3_exec(f->db, create, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(f->db, "INSERT INTO doc(code, title, alt, syn, text) VALUES (?,?,?,?,?)", -1, &f->ins,
                           NULL) != SQLITE_OK)
        return -1;
    if (psy_catalog_foreach(st, fts_add, f) != PSY_OK) return -1;
    sqlite3_finalize(f->ins);
    if (sqlite3_exec(f->db, "COMMIT; INSERT INTO doc(doc) VALUES ('optimize')", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    return sqlite3_prepare_v2(f->db,
                              "SELECT rowid FROM doc WHERE doc MATCH ? ORDER BY bm25(doc, 10.0, 3.0, 1.0, 2.0, 0.5) "
                              "LIMIT 5",
                              -1, &f->q, NULL) == SQLITE_OK
               ? 0
               : -1;
}

/* The typed text as an FTS5 query: every word quoted, all required, the last one a prefix unless the
 * text ends after it. Returns 0 when there is no word. */
static int fts_match(const char *q, char *out, size_t cap)
{
    size_t o = 0, words = 0;
    const char *p = q;
    while (*p) {
        while (*p && !(((unsigned char)*p >= 0x80) || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') ||
                       (*p >= '0' && *p <= '9')))
            p++;
        if (!*p) break;
        const char *w = p;
        while (*p && (((unsigned char)*p >= 0x80) || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') ||
                      (*p >= '0' && *p <= '9')))
            p++;
        int last = *p == 0;
        int n = snprintf(out + o, cap - o, "%s\"%.*s\"%s", words ? " " : "", (int)(p - w), w, last ? "*" : "");
        if (n < 0 || (size_t)n >= cap - o) break;
        o += (size_t)n;
        words++;
    }
    out[o] = 0;
    return words > 0;
}

static void fts_query(struct fts *f, const char *q, struct engine_result *r)
{
    char m[1024];
    r->n = 0;
    if (!f->q || !fts_match(q, m, sizeof m)) return;
    sqlite3_bind_text(f->q, 1, m, -1, SQLITE_STATIC);
    while (r->n < TOPK && sqlite3_step(f->q) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(f->q, 0);
        if (id >= 1 && (size_t)id <= f->n) snprintf(r->hit[r->n++], sizeof r->hit[0], "%s", f->key[id - 1]);
    }
    sqlite3_reset(f->q);
}

static void ps_query(const psy_search *ix, const char *q, struct engine_result *r)
{
    psy_search_hit h[TOPK];
    size_t n = 0;
    psy_search_info info;
    r->n = 0;
    r->close = 0;
    if (psy_search_run(ix, q, NULL, h, TOPK, &n, &info) != PSY_OK) return;
    r->close = info.close;
    for (size_t i = 0; i < n; i++)
        snprintf(r->hit[r->n++], sizeof r->hit[0], "%s:%s", psy_catalog_system_name(h[i].system), h[i].code);
}

/* --- measuring -------------------------------------------------------------------------------------- */

struct pass {
    double total, p50, p99;
};

struct timing {
    struct pass pass[PASSES];
};

static int cmp_pass(const void *a, const void *b)
{
    double x = ((const struct pass *)a)->total, y = ((const struct pass *)b)->total;
    return x < y ? -1 : x > y;
}

/* The pass with the median total time. */
static struct pass median_pass(struct timing *t)
{
    qsort(t->pass, PASSES, sizeof t->pass[0], cmp_pass);
    return t->pass[PASSES / 2];
}

struct recall {
    size_t n, at1, at5, good3; /* good3: acceptable hits among the first three, summed */
};

static void count_recall(struct recall *r, const struct evalq *e, const struct engine_result *res)
{
    r->n++;
    r->at1 += (size_t)acceptable(e, res, 1);
    r->at5 += (size_t)acceptable(e, res, TOPK);
    r->good3 += acceptable_n(e, res, 3);
}

/* precision@3: the share of the first three hits a coder would accept, over the queries */
static double prec3(const struct recall *r) { return r->n ? 100.0 * (double)r->good3 / (3.0 * (double)r->n) : 0; }

static double pct(size_t a, size_t b) { return b ? 100.0 * (double)a / (double)b : 0; }

/* CPU seconds used by this process so far (excludes time spent waiting for a core). */
static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The 1-minute load average, so that the report says how busy the machine was. */
static double load_average(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1) l = -1;
        fclose(f);
    }
    return l;
}

int main(int argc, char **argv)
{
    const char *out = "docs/benchmarks.md", *evalpath = PSY_SOURCE_DIR "/bench/data/search_eval.tsv",
               *heldpath = PSY_SOURCE_DIR "/bench/data/search_eval_holdout.tsv",
               *everypath = PSY_SOURCE_DIR "/bench/data/search_eval_everyday.tsv",
               *everyheld = PSY_SOURCE_DIR "/bench/data/search_eval_everyday_holdout.tsv",
               *nonsensepath = PSY_SOURCE_DIR "/bench/data/search_nonsense.txt";
    int quick = 0, slow = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--slow")) slow = 1;
        else if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--eval") && i + 1 < argc) evalpath = argv[++i];
        else if (!strcmp(argv[i], "--held-out") && i + 1 < argc) heldpath = argv[++i];
        else if (!strcmp(argv[i], "--everyday") && i + 1 < argc) everypath = argv[++i];
        else if (!strcmp(argv[i], "--everyday-held-out") && i + 1 < argc) everyheld = argv[++i];
        else if (!strcmp(argv[i], "--nonsense") && i + 1 < argc) nonsensepath = argv[++i];
    }
    size_t neval = 0, ndev;
    struct evalq *ev = load_eval(evalpath, 0, NULL, &neval);
    ndev = neval;
    struct evalq *more = ev ? load_eval(heldpath, 1, ev, &neval) : NULL;
    if (!ev || !more || !ndev || neval == ndev) {
        fprintf(stderr, "bench_search: cannot read the evaluation sets %s and %s\n", evalpath, heldpath);
        return 1;
    }
    ev = more;
    size_t nset[NSETS] = {ndev, neval - ndev, 0, 0};
    const char *extra[2] = {everypath, everyheld};
    for (int k = 0; k < 2; k++) { /* the everyday sets: optional */
        size_t before = neval;
        more = load_eval(extra[k], SET_EVERY_DEV + k, ev, &neval);
        if (more) ev = more;
        nset[SET_EVERY_DEV + k] = neval - before;
    }
    /* nonsense: common English with no medical meaning, one a line */
    char **nonsense = NULL;
    size_t nnon = 0;
    FILE *nf = fopen(nonsensepath, "r");
    if (nf) {
        char line[512];
        while (fgets(line, sizeof line, nf)) {
            line[strcspn(line, "\r\n")] = 0;
            if (!line[0] || line[0] == '#') continue;
            nonsense = realloc(nonsense, (nnon + 1) * sizeof *nonsense);
            nonsense[nnon++] = strdup(line);
        }
        fclose(nf);
    }
    /* corpus */
    char db[64], err[600];
    snprintf(db, sizeof db, "/tmp/psyclaim-bench-search-%d.db", (int)getpid());
    psy_store *st;
    if (psy_store_open(db, &st, err, sizeof err) || psy_catalog_seed(st)) {
        fprintf(stderr, "bench_search: %s\n", err);
        return 1;
    }
    const char *shared = bench_shared_dir();
    char corpus[512];
    if (shared) {
        char icd[512], hcpcs[512];
        snprintf(icd, sizeof icd, "%s/icd10cm/icd10cm_order_2022_fixedwidth.txt", shared);
        snprintf(hcpcs, sizeof hcpcs, "%s/hcpcs/HCPC2025_OCT_ANWEB.tsv", shared);
        if (import(st, PSY_IMPORT_ICD10CM, icd) || import(st, PSY_IMPORT_HCPCS, hcpcs)) return 1;
        /* closed and opened again, as at start-up (closing checkpoints the write-ahead log) */
        psy_store_close(st);
        if (psy_store_open(db, &st, err, sizeof err)) {
            fprintf(stderr, "bench_search: %s\n", err);
            return 1;
        }
        snprintf(corpus, sizeof corpus,
                 "the built-in catalog plus the ICD-10-CM FY2022 order file and the HCPCS October 2025 file "
                 "(their modifiers included)");
    } else {
        snprintf(corpus, sizeof corpus,
                 "the built-in catalog only: ../shared/data was not found, so no official file was imported");
    }
    long counts[PSY_SYS_COUNT], entries = 0;
    psy_catalog_counts(st, counts);
    for (int i = 0; i < PSY_SYS_COUNT; i++) entries += counts[i];

    /* psyclaim index: built BUILDS times, the last one kept */
    psy_search *ix = NULL;
    double builds[BUILDS], cpus[BUILDS], load0 = load_average();
    for (int i = 0; i < (quick ? 1 : BUILDS); i++) {
        psy_search_free(ix);
        double t0 = bench_now(), c0 = cpu_now();
        if (psy_search_build(st, &ix)) {
            fprintf(stderr, "bench_search: %s\n", psy_store_errmsg(st));
            return 1;
        }
        builds[i] = (bench_now() - t0) * 1e3;
        cpus[i] = (cpu_now() - c0) * 1e3;
    }
    struct psy_search_stats ss;
    psy_search_stats(ix, &ss);
    for (int i = 1; quick && i < BUILDS; i++) {
        builds[i] = builds[0];
        cpus[i] = cpus[0];
    }
    double build_min = builds[0];
    for (int i = 1; i < BUILDS; i++)
        if (builds[i] < build_min) build_min = builds[i];
    double build_med = bench_percentile(builds, BUILDS, 50), cpu_med = bench_percentile(cpus, BUILDS, 50);

    /* FTS5 */
    struct fts f = {0};
    f.prefix_indexes = !getenv("BENCH_FTS_NO_PREFIX");
    sqlite3_int64 mem0 = sqlite3_memory_used();
    double tf0 = bench_now();
    if (!quick && fts_build(&f, st)) {
        fprintf(stderr, "bench_search: FTS5: %s\n", f.db ? sqlite3_errmsg(f.db) : "cannot open");
        return 1;
    }
    double fts_build_ms = (bench_now() - tf0) * 1e3;
    double fts_mem = (double)(sqlite3_memory_used() - mem0);

    /* queries: every prefix of every evaluation query */
    size_t nq = 0, qcap = 0;
    struct typed *qs = NULL;
    char **texts = NULL;
    for (size_t e = 0; e < neval; e++) {
        size_t len = strlen(ev[e].query);
        for (size_t l = 1; l <= len; l++) {
            if ((ev[e].query[l - 1] & 0xC0) == 0x80 && l < len) continue; /* whole characters only */
            if (nq == qcap) {
                qcap = qcap ? qcap * 2 : 4096;
                qs = realloc(qs, qcap * sizeof *qs);
                texts = realloc(texts, qcap * sizeof *texts);
            }
            texts[nq] = strndup(ev[e].query, l);
            qs[nq] = (struct typed){texts[nq], e, l == len};
            nq++;
        }
    }
    struct engine_result *rp = calloc(nq, sizeof *rp), *rf = calloc(nq, sizeof *rf);
    double *lat = malloc(nq * sizeof *lat);
    /* first pass, which also records the answers; for psyclaim it includes computing the kept answers
     * of one-word queries with long postings, which happens once per index */
    double first0 = bench_now();
    for (size_t i = 0; i < nq; i++) ps_query(ix, qs[i].text, &rp[i]);
    double first_pass = bench_now() - first0;
    for (size_t i = 0; i < nq; i++) fts_query(&f, qs[i].text, &rf[i]);
    if (quick && slow) {
        struct slowq {
            double t;
            size_t i;
        } *sl = calloc(nq, sizeof *sl);
        for (size_t i = 0; i < nq; i++) {
            struct engine_result scratch;
            double best = 1;
            for (int r = 0; r < 5; r++) {
                double a = bench_now();
                ps_query(ix, qs[i].text, &scratch);
                double d = bench_now() - a;
                if (d < best) best = d;
            }
            sl[i] = (struct slowq){best, i};
        }
        for (size_t a = 0; a < 30 && a < nq; a++) /* partial selection of the slowest */
            for (size_t b = a + 1; b < nq; b++)
                if (sl[b].t > sl[a].t) {
                    struct slowq x = sl[a];
                    sl[a] = sl[b];
                    sl[b] = x;
                }
        for (size_t a = 0; a < 30 && a < nq; a++) printf("%8.1f us  '%s'\n", sl[a].t * 1e6, qs[sl[a].i].text);
        free(sl);
    }
    struct timing tp = {0}, tfts = {0};
    for (int pass = 0; pass < (quick ? 0 : PASSES); pass++) {
        struct engine_result scratch;
        double t0 = bench_now();
        for (size_t i = 0; i < nq; i++) {
            double a = bench_now();
            ps_query(ix, qs[i].text, &scratch);
            lat[i] = bench_now() - a;
        }
        tp.pass[pass].total = bench_now() - t0;
        tp.pass[pass].p50 = bench_percentile(lat, nq, 50);
        tp.pass[pass].p99 = bench_percentile(lat, nq, 99);
        t0 = bench_now();
        for (size_t i = 0; i < nq; i++) {
            double a = bench_now();
            fts_query(&f, qs[i].text, &scratch);
            lat[i] = bench_now() - a;
        }
        tfts.pass[pass].total = bench_now() - t0;
        tfts.pass[pass].p50 = bench_percentile(lat, nq, 50);
        tfts.pass[pass].p99 = bench_percentile(lat, nq, 99);
    }
    struct pass mp = median_pass(&tp), mf = median_pass(&tfts);

    /* recall on the finished queries (development set, held-out set, both; and by kind over both);
     * share of a query typed before an answer showed */
    static const char *const kinds[] = {"lay",  "clinical", "abbrev", "typo",  "partial",
                                        "code", "british",  "everyday", "intent", "order"};
    enum { NK = sizeof kinds / sizeof kinds[0] };
    struct recall rp_set[NSETS + 1] = {{0}}, rf_set[NSETS + 1] = {{0}}, rpk[NK] = {{0}}, rfk[NK] = {{0}};
    double typed_p = 0, typed_f = 0;
    size_t found_p = 0, found_f = 0;
    FILE *miss = getenv("BENCH_MISSES") ? stderr : NULL;
    for (size_t i = 0; i < nq; i++) {
        if (!qs[i].full) continue;
        const struct evalq *e = &ev[qs[i].eval];
        count_recall(&rp_set[e->held_out], e, &rp[i]);
        count_recall(&rf_set[e->held_out], e, &rf[i]);
        count_recall(&rp_set[NSETS], e, &rp[i]);
        count_recall(&rf_set[NSETS], e, &rf[i]);
        for (size_t k = 0; k < NK; k++)
            if (!strcmp(e->kind, kinds[k])) {
                count_recall(&rpk[k], e, &rp[i]);
                count_recall(&rfk[k], e, &rf[i]);
            }
        if (miss && !acceptable(e, &rp[i], *getenv("BENCH_MISSES") == '1' ? 1 : TOPK)) {
            fprintf(miss, "miss (%s): %-40s got", set_name[e->held_out], e->query);
            for (size_t h = 0; h < rp[i].n; h++) fprintf(miss, " %s", rp[i].hit[h]);
            fprintf(miss, "\n");
        }
        /* the shortest prefix from which an acceptable answer stays in the top five */
        size_t first = i, len = strlen(e->query);
        while (first > 0 && qs[first - 1].eval == qs[i].eval) first--;
        size_t from_p = len, from_f = len;
        for (size_t j = i + 1; j-- > first && acceptable(e, &rp[j], TOPK);) from_p = strlen(qs[j].text);
        for (size_t j = i + 1; j-- > first && acceptable(e, &rf[j], TOPK);) from_f = strlen(qs[j].text);
        if (acceptable(e, &rp[i], TOPK)) {
            typed_p += (double)from_p / (double)len;
            found_p++;
        }
        if (acceptable(e, &rf[i], TOPK)) {
            typed_f += (double)from_f / (double)len;
            found_f++;
        }
    }
    /* nonsense rate: the top answer is a close match (psyclaim); FTS5 has no such notion: any answer */
    size_t non_close = 0, non_any_f = 0;
    for (size_t i = 0; i < nnon; i++) {
        struct engine_result r;
        ps_query(ix, nonsense[i], &r);
        non_close += r.n > 0 && r.close;
        if (miss && r.n > 0 && r.close) fprintf(miss, "nonsense close match: %-30s %s\n", nonsense[i], r.hit[0]);
        fts_query(&f, nonsense[i], &r);
        non_any_f += r.n > 0;
    }
    if (quick) {
        for (int k = 0; k <= NSETS; k++)
            printf("%-26s %3zu queries  recall@1 %5.1f%%  recall@5 %5.1f%%  precision@3 %5.1f%%\n", set_name[k],
                   rp_set[k].n, pct(rp_set[k].at1, rp_set[k].n), pct(rp_set[k].at5, rp_set[k].n), prec3(&rp_set[k]));
        for (size_t k = 0; k < NK; k++)
            printf("  %-9s %3zu  @1 %5.1f%%  @5 %5.1f%%  p@3 %5.1f%%\n", kinds[k], rpk[k].n, pct(rpk[k].at1, rpk[k].n),
                   pct(rpk[k].at5, rpk[k].n), prec3(&rpk[k]));
        printf("nonsense rate: %zu of %zu common English words or phrases get a close match\n", non_close, nnon);
        printf("share typed before an answer stays in the top 5: %.0f%%\n",
               found_p ? 100 * typed_p / (double)found_p : 0);
    }

    /* report */
    char body[16384];
    size_t o = 0;
    o += (size_t)snprintf(body + o, sizeof body - o,
                          "## Search: psyclaim's index and SQLite FTS5\n\n"
                          "`build-release/bench/bench_search` (release build, one thread, both engines in one "
                          "process).\n"
                          "Corpus: %ld entries, %s. Queries: %zu, every prefix of the %zu labelled queries of the four sets: "
                          "`bench/data/search_eval.tsv` (%zu, the development set the ranking was tuned on), "
                          "`bench/data/search_eval_holdout.tsv` (%zu, written afterwards; none of its queries was used to "
                          "add vocabulary or set weights) and the two everyday sets below, as a "
                          "typist produces them. FTS5 (SQLite %s, in memory): porter + unicode61 tokenizer with "
                          "prefix indexes 1-3, the typed words ANDed with a prefix query on the last one, `ORDER "
                          "BY bm25` with column weights, `LIMIT 5`. Each engine returns its best 5. Timings are "
                          "the median of %d timed passes after a first pass.\n\n",
                          entries, corpus, nq, neval, nset[SET_DEV], nset[SET_HELD], sqlite3_libversion(), PASSES);
    o += (size_t)snprintf(body + o, sizeof body - o,
                          "The everyday sets (`bench/data/search_eval_everyday.tsv`, %zu queries written from the "
                          "code sets before they were first run, and `search_eval_everyday_holdout.tsv`, %zu written "
                          "afterwards) hold everyday words, words about the query (dx, cpt, modifier, place of "
                          "service, question forms) and the order of related codes. precision@3 is the share of the "
                          "first three hits a coder would accept (a query with one right answer scores at most 33%%). "
                          "Nonsense rate: of the %zu common English words and phrases with no medical meaning in "
                          "`bench/data/search_nonsense.txt`, how many get a close match as their top answer "
                          "(psyclaim says \"no close match\" otherwise; FTS5 has no such notion, so its figure is how "
                          "many get any answer at all).\n\n",
                          nset[SET_EVERY_DEV], nset[SET_EVERY_HELD], nnon);
    o += (size_t)snprintf(body + o, sizeof body - o,
                          "| | psyclaim index | SQLite FTS5 | ratio |\n|---|---:|---:|---:|\n"
                          "| queries per second | %.0f | %.0f | %.1fx |\n"
                          "| p50 latency | %.1f us | %.1f us | |\n"
                          "| p99 latency | %.1f us | %.1f us | |\n"
                          "| first pass over all the queries (psyclaim: includes computing, once, the kept "
                          "answers of the one-word queries with long postings that they ask for; the index has "
                          "%u such words) | %.0f ms | | |\n",
                          (double)nq / mp.total, (double)nq / mf.total, mf.total / mp.total, mp.p50 * 1e6,
                          mf.p50 * 1e6, mp.p99 * 1e6, mf.p99 * 1e6, ss.kept, first_pass * 1e3);
    for (int k = 0; k <= NSETS; k++) {
        if (!rp_set[k].n) continue;
        o += (size_t)snprintf(body + o, sizeof body - o,
                              "| recall@1, %s (%zu finished queries) | %.1f%% | %.1f%% | |\n"
                              "| recall@5, %s | %.1f%% | %.1f%% | |\n"
                              "| precision@3, %s | %.1f%% | %.1f%% | |\n",
                              set_name[k], rp_set[k].n, pct(rp_set[k].at1, rp_set[k].n),
                              pct(rf_set[k].at1, rf_set[k].n), set_name[k], pct(rp_set[k].at5, rp_set[k].n),
                              pct(rf_set[k].at5, rf_set[k].n), set_name[k], prec3(&rp_set[k]), prec3(&rf_set[k]));
    }
    o += (size_t)snprintf(body + o, sizeof body - o,
                          "| nonsense rate (close match as the top answer; FTS5: any answer) | %zu of %zu | %zu of %zu "
                          "| |\n",
                          non_close, nnon, non_any_f, nnon);
    o += (size_t)snprintf(body + o, sizeof body - o,
                          "| share of a query typed before an answer stays in the top 5 | %.0f%% | %.0f%% | |\n"
                          "| index build, wall time | %.0f ms (median of %d; fastest %.0f ms) | %.0f ms | |\n"
                          "| index build, CPU time | %.0f ms (median) | | |\n"
                          "| index memory | %.1f MB (counted allocations; %.1f MB at most while building; "
                          "%.1f MB of working space per query running at a time) | %.1f MB (SQLite heap) | |\n\n",
                          found_p ? 100 * typed_p / (double)found_p : 0, found_f ? 100 * typed_f / (double)found_f : 0,
                          build_med, BUILDS, build_min, fts_build_ms, cpu_med, (double)ss.bytes / 1e6,
                          (double)ss.build_peak / 1e6, (double)ss.query_bytes / 1e6, fts_mem / 1e6);
    o += (size_t)snprintf(body + o, sizeof body - o,
                          "Recall@5 and precision@3 by kind of query, all sets (psyclaim / FTS5):\n\n| kind | queries | "
                          "recall@5 psyclaim | FTS5 | precision@3 psyclaim | FTS5 |\n|---|---:|---:|---:|---:|---:|\n");
    for (size_t k = 0; k < NK; k++)
        o += (size_t)snprintf(body + o, sizeof body - o, "| %s | %zu | %.0f%% | %.0f%% | %.0f%% | %.0f%% |\n", kinds[k],
                              rpk[k].n, pct(rpk[k].at5, rpk[k].n), pct(rfk[k].at5, rfk[k].n), prec3(&rpk[k]),
                              prec3(&rfk[k]));
    o += (size_t)snprintf(body + o, sizeof body - o,
                          "\nIndex: %zu entries, %zu distinct words, %zu postings. Machine: a 2-core VM shared "
                          "with other jobs (1-minute load average %.1f at the start, %.1f at the end), so absolute "
                          "times move from run to run; the ratios move less. Wall time includes waiting for a "
                          "core; CPU time does not.\n\n",
                          ss.docs, ss.terms, ss.postings, load0, load_average());
    if (!quick) fputs(body, stdout);
    int rc = !quick && bench_write_section(out, "search", body) ? 1 : 0;
    if (rc) fprintf(stderr, "bench_search: cannot write %s\n", out);

    sqlite3_finalize(f.q);
    sqlite3_close(f.db);
    free(f.key);
    psy_search_free(ix);
    psy_store_close(st);
    bench_remove_db(db);
    for (size_t i = 0; i < nq; i++) free(texts[i]);
    free(texts);
    free(qs);
    free(rp);
    free(rf);
    free(lat);
    for (size_t e = 0; e < neval; e++) {
        for (size_t j = 0; j < ev[e].nanswers; j++) free(ev[e].answers[j]);
        free(ev[e].answers);
        free(ev[e].query);
    }
    free(ev);
    for (size_t i = 0; i < nnon; i++) free(nonsense[i]);
    free(nonsense);
    return rc;
}
