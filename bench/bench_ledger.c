/*
 * bench_ledger.c -- the client ledger of a practice of about 100,000 sessions on SQLite and on
 * PostgreSQL, side by side in one run: the demo practice (psy_records_demo, generated on SQLite and
 * copied into PostgreSQL with the same ids), then on each backend the expected share of every signed
 * session, the demo's client payments (psy_ledger_demo: psy_ledger_record_batch), the clients'
 * balances, A/R aging (best of 3), every statement PDF of a month, and payments recorded one by one
 * (psy_ledger_record, a transaction each; on PostgreSQL again with synchronous_commit off), and last the
 * 835s paying the claims of four weeks posted (psy_billing_era_post). Prints each step's time on each
 * backend and the ratio PostgreSQL / SQLite, checks that both backends agree on every figure, and writes
 * the section "ledger" of docs/benchmarks.md.
 *
 * usage: bench_ledger [--sessions N] [--out docs/benchmarks.md]
 */
#include <psyclaim/psyclaim.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench_util.h"
#include "pg_copy.h"
#include "pg_scratch.h"

#define SESSIONS_PER_CLIENT 39.6 /* the demo over 52 weeks, one group per 25 clients (bench_backends.c) */
#define SEED 11
#define END_DATE "2025-06-29"
#define MONTH "2025-06"
#define ERA_FROM "2025-06-02" /* the claims an 835 pays: the last four weeks */
#define RUNS 3
#define BILLER_PAYMENTS 2000 /* recorded one by one, each in a transaction of its own */

struct side {
    const char *name;
    char skipped[1024];
    long sessions, entries, payments, owing, statements;
    long long total, patient;
    size_t pdf_bytes;
    psy_id practice;
    long shares, biller;
    long era_claims, era_lines; /* claims and lines the 835s paid */
    long long era_paid;
    double gen_s, sync_s, demo_s, resync_s, balances_s, aging_s, statements_s, biller_s, relaxed_s, era_s;
};

static int fail(psy_store *st, const char *what)
{
    fprintf(stderr, "bench_ledger: %s: %s\n", what, st ? psy_store_errmsg(st) : "");
    return -1;
}

static psy_store *fill(const char *uri, psy_store *source, const struct side *from, int clients, int groups,
                       struct side *r)
{
    psy_store *st = NULL;
    char err[600];
    if (psy_store_open(uri, &st, err, sizeof err)) {
        fprintf(stderr, "bench_ledger: %s: open: %s\n", r->name, err);
        return NULL;
    }
    if (psy_catalog_seed(st)) goto failed;
    double t0 = bench_now();
    if (source) {
        if (pg_copy_records(source, st, err, sizeof err)) {
            fprintf(stderr, "bench_ledger: %s: copy: %s\n", r->name, err);
            psy_store_close(st);
            return NULL;
        }
        r->sessions = from->sessions;
        r->practice = from->practice;
    } else {
        struct psy_demo_opts o = {SEED, END_DATE, 52, clients, groups, 1};
        struct psy_demo_result dr;
        fprintf(stderr, "  %s: generating %d clients over 52 weeks\n", r->name, clients);
        if (psy_records_demo(st, &o, &dr)) goto failed;
        r->sessions = dr.sessions;
        r->practice = dr.practice_id;
        free(dr.problems);
    }
    r->gen_s = bench_now() - t0;
    fprintf(stderr, "  %s: %ld sessions in %.1f s\n", r->name, r->sessions, r->gen_s);
    return st;
failed:
    fail(st, r->name);
    psy_store_close(st);
    return NULL;
}

/* BILLER_PAYMENTS payments of $5.00 by card, round the clients, each recorded by psy_ledger_record in a
 * transaction of its own with an idempotency key (tag tells runs apart), as the web app sends them. */
static int biller_payments(psy_store *st, const struct side *r, const char *tag, double *secs, long *count)
{
    psy_id *ids;
    size_t nids;
    if (psy_records_client_ids(st, r->practice, 0, &ids, &nids) || !nids) return fail(st, "client ids");
    double t0 = bench_now();
    for (long i = 0; i < BILLER_PAYMENTS; i++) {
        char key[48], err[300];
        snprintf(key, sizeof key, "bench-%s-%ld", tag, i);
        struct psy_ledger_write w = {.kind = "payment", .client = ids[(size_t)i % nids], .amount_cents = 500,
                                     .method = "card", .date = END_DATE, .by = "bench", .idempotency_key = key};
        psy_id id;
        if (psy_ledger_record(st, r->practice, &w, &id, NULL, err, sizeof err)) {
            fprintf(stderr, "bench_ledger: payment: %s\n", err);
            free(ids);
            return -1;
        }
    }
    *secs = bench_now() - t0;
    *count += BILLER_PAYMENTS;
    free(ids);
    return 0;
}

/* Appends one segment and its terminator to the 835 being written. */
static void seg(char **buf, size_t *len, size_t *cap, int *count, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void seg(char **buf, size_t *len, size_t *cap, int *count, const char *fmt, ...)
{
    char one[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(one, sizeof one, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (*len + (size_t)n + 2 > *cap) *buf = realloc(*buf, *cap = 2 * (*cap + (size_t)n + 2));
    memcpy(*buf + *len, one, (size_t)n);
    *len += (size_t)n;
    (*buf)[(*len)++] = '~';
    (*buf)[*len] = 0;
    if (count) (*count)++;
}

/* The 835 a payer sends back for an exported 837P: every claim and line paid in full (CLP, SVC). */
static char *remittance(const char *doc, size_t doclen, int trace, size_t *outlen)
{
    char *body = NULL, *out = NULL, m[32], code[16];
    size_t blen = 0, bcap = 0, olen = 0, ocap = 0;
    int segs = 0, n = 0;
    long long total = 0, c;
    psy_x12_reader *r = psy_x12_reader_mem(doc, doclen, 0);
    const struct psy_x12_segment *sg;
    while (psy_x12_next(r, &sg) == PSY_OK && sg) {
        if (!strcmp(sg->id, "CLM") && !psy_x12_parse_cents(psy_x12_element(sg, 2), &c, NULL)) {
            psy_x12_format_cents(c, m);
            seg(&body, &blen, &bcap, &segs, "CLP*%s*1*%s*%s**MC*ICN%06d", psy_x12_element(sg, 1), m, m, ++n);
            total += c;
        } else if (!strcmp(sg->id, "SV1")) {
            psy_x12_component(psy_x12_element(sg, 1), ':', 2, code, sizeof code);
            seg(&body, &blen, &bcap, &segs, "SVC*%s*%s*%s**%s", psy_x12_element(sg, 1), psy_x12_element(sg, 2),
                psy_x12_element(sg, 2), psy_x12_element(sg, 4));
        }
    }
    psy_x12_reader_free(r);
    psy_x12_format_cents(total, m);
    seg(&out, &olen, &ocap, NULL,
        "ISA*00*          *00*          *ZZ*PAYER          *ZZ*PRACTICE       *250701*1200*^*00501*%09d*0*P*:", trace);
    seg(&out, &olen, &ocap, NULL, "GS*HP*PAYER*PRACTICE*20250701*1200*%d*X*005010X221A1", trace);
    int counted = segs;
    seg(&out, &olen, &ocap, &counted, "ST*835*0001");
    seg(&out, &olen, &ocap, &counted,
        "BPR*I*%s*C*ACH*CCP*01*999999999*DA*1234*1512345678**01*999999999*DA*5678*20250701", m);
    seg(&out, &olen, &ocap, &counted, "TRN*1*BENCH%06d*1512345678", trace);
    seg(&out, &olen, &ocap, &counted, "N1*PR*BENCH PAYER");
    seg(&out, &olen, &ocap, &counted, "N1*PE*DEMO PRACTICE*XX*1234567893");
    seg(&out, &olen, &ocap, &counted, "LX*1");
    if (olen + blen + 1 > ocap) out = realloc(out, ocap = olen + blen + 1);
    memcpy(out + olen, body ? body : "", blen + 1);
    olen += blen;
    free(body);
    seg(&out, &olen, &ocap, NULL, "SE*%d*0001", counted + 1);
    seg(&out, &olen, &ocap, NULL, "GE*1*%d", trace);
    seg(&out, &olen, &ocap, NULL, "IEA*1*%09d", trace);
    *outlen = olen;
    return out;
}

/* The claims of the last four weeks built and exported payer by payer; then, timed, each payer's 835
 * (every claim paid in full) posted with psy_billing_era_post. */
static int post_remittances(psy_store *st, struct side *r)
{
    psy_coder *cx = NULL;
    char err[600];
    struct psy_billing_build_result br;
    if (psy_billing_set_contact(st, r->practice, "5555550100")) return fail(st, "contact");
    if (psy_coding_open(st, &cx, err, sizeof err)) {
        fprintf(stderr, "bench_ledger: coder: %s\n", err);
        return -1;
    }
    psy_status rc = psy_billing_build(st, cx, r->practice, ERA_FROM, END_DATE, &br);
    psy_coding_close(cx);
    if (rc) return fail(st, "claims build");
    struct psy_payer *payers = NULL;
    size_t npay = 0;
    if (psy_records_payer_list(st, r->practice, &payers, &npay)) return fail(st, "payers");
    int npayers = npay < 16 ? (int)npay : 16;
    psy_id ids[16];
    for (int i = 0; i < npayers; i++) ids[i] = payers[i].id;
    free(payers);
    char *era[16];
    size_t era_len[16];
    for (int i = 0; i < npayers; i++) {
        char *doc = NULL;
        size_t len = 0, n = 0;
        psy_id batch;
        /* the demo's dates lie in 2025: past the payers' filing limits by now, so sent as late claims */
        if (psy_billing_export_late(st, r->practice, ids[i], NULL, "benchmark", &doc, &len, &n, &batch, err,
                                    sizeof err)) {
            fprintf(stderr, "bench_ledger: export: %s\n", err);
            while (i--) free(era[i]);
            return -1;
        }
        era[i] = n ? remittance(doc, len, 700 + i, &era_len[i]) : NULL; /* NULL: nothing was ready */
        free(doc);
    }
    int bad = 0;
    double t0 = bench_now();
    for (int i = 0; i < npayers; i++) {
        struct psy_billing_post_result pr;
        if (!era[i]) continue;
        if (!bad && psy_billing_era_post(st, r->practice, era[i], era_len[i], &pr, err, sizeof err)) {
            fprintf(stderr, "bench_ledger: post: %s\n", err);
            bad = 1;
        }
        if (!bad) {
            r->era_claims += pr.claims;
            r->era_lines += pr.lines;
            r->era_paid += pr.paid_cents;
        }
        free(era[i]);
    }
    r->era_s = bench_now() - t0;
    if (bad) return -1;
    fprintf(stderr, "  %s: %d payers' 835s, %ld claims, %ld lines posted in %.2f s\n", r->name, npayers, r->era_claims,
            r->era_lines, r->era_s);
    return 0;
}

/* relaxed: NULL, or the URI of the same database with synchronous_commit off (PostgreSQL) */
static int work(psy_store *st, struct side *r, const char *relaxed)
{
    int ok = 0;
    double t0 = bench_now();
    if (psy_ledger_sync(st, r->practice, &r->shares)) {
        fail(st, "expected shares");
        goto out;
    }
    r->sync_s = bench_now() - t0;
    fprintf(stderr, "  %s: %ld expected shares in %.2f s\n", r->name, r->shares, r->sync_s);
    t0 = bench_now();
    if (psy_ledger_demo(st, r->practice, &r->payments)) {
        fail(st, "ledger demo");
        goto out;
    }
    r->demo_s = bench_now() - t0;
    fprintf(stderr, "  %s: %ld payments in %.2f s\n", r->name, r->payments, r->demo_s);
    r->resync_s = 1e9;
    for (int i = 0; i < RUNS; i++) { /* what every ledger read costs once every share is taken */
        long again = 0;
        t0 = bench_now();
        if (psy_ledger_sync(st, r->practice, &again) || again) {
            fail(st, "expected shares again");
            goto out;
        }
        double t = bench_now() - t0;
        if (t < r->resync_s) r->resync_s = t;
    }
    struct psy_ledger_balance *b = NULL;
    size_t nb = 0;
    t0 = bench_now();
    if (psy_ledger_balances(st, r->practice, END_DATE, &b, &nb)) {
        fail(st, "balances");
        goto out;
    }
    r->balances_s = bench_now() - t0;
    r->owing = (long)nb;
    r->aging_s = 1e9;
    for (int i = 0; i < RUNS; i++) {
        struct psy_aging a;
        t0 = bench_now();
        if (psy_ledger_aging(st, r->practice, END_DATE, &a)) {
            fail(st, "aging");
            free(b);
            goto out;
        }
        double t = bench_now() - t0;
        if (t < r->aging_s) r->aging_s = t;
        r->total = a.total;
        r->patient = a.patient_total;
        psy_ledger_aging_free(&a);
    }
    t0 = bench_now();
    for (size_t i = 0; i < nb; i++) {
        if (b[i].balance_cents <= 0) continue;
        char *pdf = NULL, err[300];
        size_t len = 0;
        if (psy_ledger_statement(st, r->practice, b[i].client_id, MONTH, &pdf, &len, err, sizeof err)) {
            fprintf(stderr, "bench_ledger: statement: %s\n", err);
            free(b);
            goto out;
        }
        r->statements++;
        r->pdf_bytes += len;
        free(pdf);
    }
    r->statements_s = bench_now() - t0;
    free(b);
    if (biller_payments(st, r, "a", &r->biller_s, &r->biller)) goto out;
    fprintf(stderr, "  %s: %d payments one by one in %.2f s\n", r->name, BILLER_PAYMENTS, r->biller_s);
    /* again: on PostgreSQL through a second connection that does not wait for the log flush at commit
     * (what SQLite's synchronous=NORMAL does in WAL mode), on SQLite on the same connection */
    psy_store *rs = st;
    char err[600];
    if (relaxed && psy_store_open(relaxed, &rs, err, sizeof err)) {
        fprintf(stderr, "bench_ledger: %s\n", err);
        goto out;
    }
    int bad = biller_payments(rs, r, "b", &r->relaxed_s, &r->biller);
    if (rs != st) psy_store_close(rs);
    if (bad) goto out;
    fprintf(stderr, "  %s: %d payments one by one again%s in %.2f s\n", r->name, BILLER_PAYMENTS,
            relaxed ? " (synchronous_commit off)" : "", r->relaxed_s);
    struct psy_ledger_entry *e;
    size_t n;
    long long bal;
    r->entries = 0;
    psy_id *ids;
    size_t nids;
    if (!psy_records_client_ids(st, r->practice, 0, &ids, &nids)) {
        for (size_t i = 0; i < nids; i++)
            if (!psy_ledger_entries(st, r->practice, ids[i], NULL, &e, &n, &bal)) {
                r->entries += (long)n;
                free(e);
            }
        free(ids);
    }
    if (post_remittances(st, r)) goto out;
    ok = 1;
out:
    psy_store_close(st);
    return ok ? 0 : -1;
}

static void cell(char *out, size_t len, const struct side *s, double v)
{
    if (*s->skipped) snprintf(out, len, "skipped");
    else snprintf(out, len, "%.2f s", v);
}

static void ratio(char *out, size_t len, const struct side *pg, double p, double l)
{
    if (*pg->skipped || l <= 0) snprintf(out, len, "-");
    else snprintf(out, len, "%.2f×", p / l);
}

int main(int argc, char **argv)
{
    const char *out = "docs/benchmarks.md";
    long want = 100000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--sessions") && i + 1 < argc) want = strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_ledger [--sessions N] [--out docs/benchmarks.md]\n");
            return 2;
        }
    }
    if (want < 1000 || want > 10000000) {
        fprintf(stderr, "bench_ledger: --sessions: 1000 to 10000000\n");
        return 2;
    }
    int clients = (int)((double)want / SESSIONS_PER_CLIENT + 0.5), groups = clients / 25 > 3 ? clients / 25 : 3;
    if (clients < groups * 10 + 11) clients = groups * 10 + 11;
    struct side lite = {.name = "sqlite"}, pg = {.name = "postgres"};
    char db[96];
    snprintf(db, sizeof db, "/tmp/psyclaim-bench-ledger-%d.db", (int)getpid());
    bench_remove_db(db);
    psy_store *lite_st = fill(db, NULL, NULL, clients, groups, &lite);
    if (!lite_st) {
        bench_remove_db(db);
        return 1;
    }
    const char *server = bench_pg_server();
    char *schema = NULL, *uri = NULL;
    psy_store *pg_st = NULL;
    if (!server) snprintf(pg.skipped, sizeof pg.skipped, "no PostgreSQL server (set PSY_TEST_PG_URI)");
    if (!*pg.skipped) {
        char why[600];
        if (!(uri = pg_scratch_create(server, &schema, why, sizeof why))) {
            fprintf(stderr, "bench_ledger: %s\n", why);
            psy_store_close(lite_st);
            bench_remove_db(db);
            return 1;
        }
        pg_st = fill(uri, lite_st, &lite, clients, groups, &pg);
    }
    int rc = -1;
    if (*pg.skipped || pg_st) rc = work(lite_st, &lite, NULL);
    else psy_store_close(lite_st);
    bench_remove_db(db);
    char relaxed[1200];
    snprintf(relaxed, sizeof relaxed, "%s%%20-csynchronous_commit%%3Doff", uri ? uri : "");
    if (pg_st && !rc) rc = work(pg_st, &pg, relaxed);
    else if (pg_st) psy_store_close(pg_st);
    if (uri) pg_scratch_drop(server, schema);
    free(uri);
    free(schema);
    if (rc) return 1;
    if (!*pg.skipped && (pg.entries != lite.entries || pg.shares != lite.shares || pg.biller != lite.biller || pg.payments != lite.payments || pg.owing != lite.owing ||
                         pg.total != lite.total || pg.statements != lite.statements || pg.era_claims != lite.era_claims ||
                         pg.era_lines != lite.era_lines || pg.era_paid != lite.era_paid)) {
        fprintf(stderr, "bench_ledger: the backends disagree: entries %ld/%ld, payments %ld/%ld, owing %ld/%ld, "
                        "outstanding %lld/%lld, statements %ld/%ld, 835 claims %ld/%ld, lines %ld/%ld, paid %lld/%lld "
                        "(SQLite/PostgreSQL)\n",
                lite.entries, pg.entries, lite.payments, pg.payments, lite.owing, pg.owing, lite.total, pg.total,
                lite.statements, pg.statements, lite.era_claims, pg.era_claims, lite.era_lines, pg.era_lines,
                lite.era_paid, pg.era_paid);
        return 1;
    }
    enum { STEPS = 9 };
    char c[STEPS][3][32];
    const double lv[STEPS] = {lite.sync_s,    lite.demo_s,       lite.resync_s, lite.balances_s, lite.aging_s,
                              lite.statements_s, lite.biller_s, lite.relaxed_s, lite.era_s};
    const double pv[STEPS] = {pg.sync_s,  pg.demo_s,       pg.resync_s, pg.balances_s, pg.aging_s,
                              pg.statements_s, pg.biller_s, pg.relaxed_s, pg.era_s};
    for (int i = 0; i < STEPS; i++) {
        cell(c[i][0], sizeof c[i][0], &lite, lv[i]);
        cell(c[i][1], sizeof c[i][1], &pg, pv[i]);
        ratio(c[i][2], sizeof c[i][2], &pg, pv[i], lv[i]);
    }
    char note[1100] = "", money[PSY_CENTS_TEXT_MAX], patient[PSY_CENTS_TEXT_MAX];
    if (*pg.skipped) snprintf(note, sizeof note, "PostgreSQL was skipped in this run: %s.\n\n", pg.skipped);
    char body[8192], era_paid[PSY_CENTS_TEXT_MAX];
    snprintf(body, sizeof body,
             "## Client ledger: %ld sessions\n\n"
             "`build-release/bench/bench_ledger --sessions %ld` (release build): the demo practice "
             "(`psy_records_demo`, seed %d, 52 weeks to %s, %d clients, %d groups) generated on SQLite and copied "
             "row for row into PostgreSQL; then on each: the expected share of every signed session "
             "(`psy_ledger_sync`, one transaction); the demo's client payments (`psy_ledger_demo`: checked as "
             "`psy_ledger_record` checks them, written by `psy_ledger_record_batch` in one transaction); "
             "`psy_ledger_sync` again with nothing left to take "
             "(what every ledger read runs first; best of %d); the clients' balances; A/R aging by payer and patient "
             "(best of %d); the statement PDF of %s for every client who owes something; then %d payments recorded "
             "one by one as a biller records them (`psy_ledger_record` with an idempotency key, each in a "
             "transaction of its own), and %d more the same way, on PostgreSQL through a connection with "
             "`synchronous_commit=off` (a commit does not wait for the log to reach the disk, as SQLite's "
             "synchronous=NORMAL in WAL mode does not). Last, the claims of the four weeks from %s are built and "
             "exported payer by payer (as late claims: their dates are past the payers' filing limits by now), "
             "and each payer's 835 paying every claim and line in full is posted (`psy_billing_era_post`: the "
             "payments, the status moves, the patient's share on the ledger and the ledger's rules checked on "
             "each claim); only the posting is timed. SQLite: a file in WAL mode, synchronous=NORMAL. PostgreSQL: "
             "the Debian server on 127.0.0.1 started by `scripts/pg-test-server.sh` (default settings, fsync on), "
             "one connection. The aging is taken before any claim is built, so the payers owe nothing there and it "
             "is the patients' side. Elapsed time on a shared machine.\n\n"
             "| step | work | SQLite | PostgreSQL | PostgreSQL / SQLite |\n"
             "|---|---|---:|---:|---:|\n"
             "| expected shares | %ld ledger entries | %s | %s | %s |\n"
             "| demo payments, one transaction | %ld payments | %s | %s | %s |\n"
             "| expected shares again | nothing new | %s | %s | %s |\n"
             "| balances | %ld clients with a balance | %s | %s | %s |\n"
             "| A/R aging | %s outstanding, %s of it patients' | %s | %s | %s |\n"
             "| statements | %ld PDFs, %zu KB | %s | %s | %s |\n"
             "| payments one by one | %d payments, a transaction each | %s | %s | %s |\n"
             "| payments one by one, PostgreSQL `synchronous_commit=off` | %d payments, a transaction each | %s | %s "
             "| %s |\n"
             "| 835s posted | %ld claims, %ld lines, %s paid | %s | %s | %s |\n\n%s",
             lite.sessions, want, SEED, END_DATE, clients, groups, RUNS, RUNS, MONTH, BILLER_PAYMENTS,
             BILLER_PAYMENTS, ERA_FROM, lite.shares, c[0][0], c[0][1], c[0][2], lite.payments, c[1][0], c[1][1], c[1][2],
             c[2][0], c[2][1], c[2][2], lite.owing, c[3][0], c[3][1], c[3][2], psy_cents_format(lite.total, money),
             psy_cents_format(lite.patient, patient), c[4][0], c[4][1], c[4][2], lite.statements,
             lite.pdf_bytes / 1024, c[5][0], c[5][1], c[5][2], BILLER_PAYMENTS, c[6][0], c[6][1], c[6][2],
             BILLER_PAYMENTS, c[7][0], c[7][1], c[7][2], lite.era_claims, lite.era_lines,
             psy_cents_format(lite.era_paid, era_paid), c[8][0], c[8][1], c[8][2], note);
    fputs(body, stdout);
    if (bench_write_section(out, "ledger", body)) {
        fprintf(stderr, "bench_ledger: cannot write %s\n", out);
        return 1;
    }
    return 0;
}
