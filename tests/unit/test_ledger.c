/* test_ledger.c -- the client ledger on SQLite and PostgreSQL: a demo client's copay at the time of
 * service, an 835 putting a deductible on the client (CAS PR 1, X12 835 5010 CAS group PR) that replaces
 * the copay, the client's payment applied to the claim, the statement PDF's text, aging moving by bucket
 * as the date advances, a payment reversed, an 835 reversal (CLP02 22) taking back the payer's share, a
 * closed month refusing a change, idempotency keys, two billers at once, checked arithmetic, and the
 * rules R-LEDGER-1..6 checked after every posting, payment and correction; a payer's reversal (CLP02 22)
 * puts the expected copay back. */
#include "support.h"
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "backends.h"
#include "era_835.h"

static struct {
    psy_store *st;
    struct test_db db;
    psy_id pr, claim, client, session;
    char number[32], today[11], demo_end[11];
    long long total;
} W;

static long long q1(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long long q1(const char *fmt, ...)
{
    char sql[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return test_db_count(&W.db, sql);
}

/* Every rule money keeps holds over the whole practice. */
static void rules_hold(void)
{
    struct psy_ledger_problem *p;
    size_t n;
    assert_int_equal(psy_ledger_check(W.st, W.pr, 0, &p, &n), PSY_OK);
    for (size_t i = 0; i < n; i++) print_message("%s claim %lld: %s\n", p[i].rule, (long long)p[i].claim_id, p[i].message);
    free(p);
    assert_int_equal(n, 0);
}

static long long balance(const char *through)
{
    struct psy_ledger_entry *e;
    size_t n;
    long long b = 0;
    assert_int_equal(psy_ledger_entries(W.st, W.pr, W.client, through, &e, &n, &b), PSY_OK);
    free(e);
    return b;
}

static void close_world(void)
{
    if (!W.st) return;
    psy_store_close(W.st);
    test_db_drop(&W.db);
    memset(&W, 0, sizeof W);
}

static int teardown(void **state)
{
    (void)state;
    close_world();
    return 0;
}

/* A demo practice whose sessions ended 130 days ago; its claims built, one individual claim of a client
 * insured by Bluestem (copay $25.00, no second policy) sent. */
static void world_up(void **state)
{
    close_world();
    test_db_make(*state, &W.db);
    W.st = test_db_open(&W.db, 1);
    assert_int_equal(psy_date_today("UTC", W.today), 1);
    assert_int_equal(psy_date_add(W.today, -130, W.demo_end), 1);
    struct psy_demo_opts o = {.seed = 7, .end_date = W.demo_end, .weeks = 3, .clients = 12, .groups = 1, .clean = 1};
    struct psy_demo_result r;
    assert_int_equal(psy_records_demo(W.st, &o, &r), PSY_OK);
    free(r.problems);
    W.pr = r.practice_id;
    char msg[300];
    assert_int_equal(test_db_exec(&W.db, "UPDATE client SET address = '10 Juniper Row', city = 'Millbrook', state = 'IL', "
                                         "zip = '62901'", msg, sizeof msg), PSY_OK);
    assert_int_equal(test_db_exec(&W.db, "UPDATE practice SET zip = '629014321', time_zone = 'UTC'", msg, sizeof msg),
                     PSY_OK);
    assert_int_equal(psy_billing_set_contact(W.st, W.pr, "5555550100"), PSY_OK);
    psy_coder *cx;
    assert_int_equal(psy_coding_open(W.st, &cx, msg, sizeof msg), PSY_OK);
    struct psy_billing_build_result b;
    assert_int_equal(psy_billing_build(W.st, cx, W.pr, NULL, NULL, &b), PSY_OK);
    psy_coding_close(cx);
    W.claim = q1("SELECT min(c.id) FROM claim c JOIN payer p ON p.id = c.payer_id JOIN claim_line l ON l.claim_id = c.id "
                 "JOIN session s ON s.id = l.session_id WHERE p.payer_code = 'DEMOBLU01' AND c.status = 'ready' AND "
                 "s.group_id IS NULL AND (SELECT count(*) FROM policy x WHERE x.client_id = c.client_id) = 1");
    assert_true(W.claim > 0);
    W.client = q1("SELECT client_id FROM claim WHERE id = %lld", (long long)W.claim);
    W.session = q1("SELECT min(session_id) FROM claim_line WHERE claim_id = %lld", (long long)W.claim);
    W.total = q1("SELECT total_cents FROM claim WHERE id = %lld", (long long)W.claim);
    snprintf(W.number, sizeof W.number, "PC%08lld", (long long)W.claim);
    assert_int_equal(psy_billing_transition(W.st, W.pr, W.claim, PSY_CLAIM_SUBMITTED, "sent"), PSY_OK);
}

/* The expected share: each billable member of each signed session once, at the policy's copay. */
static void test_copay_at_service(void **state)
{
    (void)state;
    long added = 0;
    assert_int_equal(psy_ledger_sync(W.st, W.pr, &added), PSY_OK);
    assert_true(added > 0);
    assert_int_equal(q1("SELECT count(*) FROM ledger_entry WHERE kind = 'copay' AND session_id = %lld AND client_id = %lld "
                        "AND amount_cents = 2500", (long long)W.session, (long long)W.client), 1);
    /* again: nothing new */
    assert_int_equal(psy_ledger_sync(W.st, W.pr, &added), PSY_OK);
    assert_int_equal(added, 0);
    /* group sessions: each present member is taken on their own account, never another's */
    assert_int_equal(q1("SELECT count(*) FROM ledger_session l JOIN session s ON s.id = l.session_id WHERE s.group_id IS "
                        "NOT NULL"),
                     q1("SELECT count(*) FROM attendance a JOIN session s ON s.id = a.session_id WHERE a.present = 1 AND "
                        "s.signed_at IS NOT NULL"));
    assert_int_equal(q1("SELECT count(*) FROM ledger_entry e JOIN session s ON s.id = e.session_id WHERE s.group_id IS NOT "
                        "NULL AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.session_id = s.id AND a.client_id = "
                        "e.client_id AND a.present = 1)"), 0);
    assert_int_equal(balance(NULL), q1("SELECT sum(amount_cents) FROM ledger_entry WHERE client_id = %lld", (long long)W.client));
    rules_hold();
}

/* The 835 puts a $40.00 deductible on the client (CAS PR 1) and $10.00 contractual (CO 45): the payer's
 * figure replaces the copay. */
static void test_835_deductible(void **state)
{
    (void)state;
    long long before = balance(NULL);
    char clps[400], t[32], p[32];
    money(W.total, t);
    money(W.total - 5000, p);
    snprintf(clps, sizeof clps, "CLP*%s*1*%s*%s*40*MC*ICNL1~CAS*CO*45*10~CAS*PR*1*40", W.number, t, p);
    size_t len;
    char *era = remit("LEDG0001", clps, 0, &len), err[400];
    struct psy_billing_post_result r;
    if (psy_billing_era_post(W.st, W.pr, era, len, &r, err, sizeof err)) fail_msg("%s", err);
    free(era);
    assert_int_equal(r.claims, 1);
    assert_int_equal(q1("SELECT count(*) FROM ledger_entry WHERE kind = 'payer_share' AND claim_id = %lld AND amount_cents = "
                        "4000 AND reason_code = '1'", (long long)W.claim), 1);
    char *words = test_db_text(&W.db, "SELECT reason FROM ledger_entry WHERE kind = 'payer_share'");
    assert_non_null(strstr(words, "Deductible"));
    free(words);
    /* the copay of its session is reversed */
    assert_int_equal(q1("SELECT count(*) FROM ledger_entry r JOIN ledger_entry c ON c.id = r.reverses WHERE c.kind = 'copay' "
                        "AND c.session_id = %lld", (long long)W.session), 1);
    assert_int_equal(balance(NULL), before - 2500 + 4000);
    rules_hold();
}

static psy_id pay(long long cents, psy_id claim, const char *ref, const char *key, const char *date, psy_status want,
                  int *replayed)
{
    struct psy_ledger_write w = {.kind = "payment", .client = W.client, .claim = claim, .amount_cents = cents,
                                 .method = "check", .reference = ref, .idempotency_key = key, .date = date, .by = "biller"};
    psy_id id = 0;
    char err[300];
    psy_status rc = psy_ledger_record(W.st, W.pr, &w, &id, replayed, err, sizeof err);
    if (rc != want) fail_msg("payment %lld: %s (%s)", cents, psy_strerror(rc), err);
    return id;
}

/* A client with a secondary policy: the primary's 835 puts nothing on the client (a later payer
 * adjudicates the rest, psy__billing_next_payer), and the rules still hold. */
static void test_secondary_payer_first(void **state)
{
    (void)state;
    psy_id claim = q1("SELECT min(c.id) FROM claim c WHERE c.status = 'ready' AND c.client_id <> %lld AND (SELECT "
                      "count(*) FROM policy x WHERE x.client_id = c.client_id) = 1", (long long)W.client);
    assert_true(claim > 0);
    psy_id client = q1("SELECT client_id FROM claim WHERE id = %lld", (long long)claim);
    struct psy_policy p;
    assert_int_equal(psy_records_policy_on(W.st, W.pr, client, W.demo_end, 1, &p), PSY_OK);
    p.id = 0;
    p.priority = 2;
    snprintf(p.member_id, sizeof p.member_id, "SEC-1");
    p.copay_cents = 0;
    assert_int_equal(psy_records_policy_add(W.st, W.pr, &p, NULL), PSY_OK);
    assert_int_equal(psy_billing_transition(W.st, W.pr, claim, PSY_CLAIM_SUBMITTED, "sent"), PSY_OK);
    long long total = q1("SELECT total_cents FROM claim WHERE id = %lld", (long long)claim);
    char clps[400], t[32], pd[32], number[32];
    snprintf(number, sizeof number, "PC%08lld", (long long)claim);
    long long pr = total / 4; /* coinsurance */
    char prs[32];
    money(total, t);
    money(total - pr, pd);
    money(pr, prs);
    snprintf(clps, sizeof clps, "CLP*%s*1*%s*%s*%s*MC*ICNS1~CAS*PR*2*%s", number, t, pd, prs, prs);
    size_t len;
    char *era = remit("LEDG0010", clps, 0, &len), err[400];
    struct psy_billing_post_result r;
    if (psy_billing_era_post(W.st, W.pr, era, len, &r, err, sizeof err)) fail_msg("%s", err);
    free(era);
    assert_int_equal(r.claims, 1);
    assert_int_equal(q1("SELECT count(*) FROM ledger_entry WHERE claim_id = %lld AND kind = 'payer_share'", (long long)claim), 0);
    /* its copay still stands: the estimate stays until the last payer has spoken */
    assert_int_equal(q1("SELECT count(*) FROM ledger_entry r JOIN ledger_entry c ON c.id = r.reverses JOIN claim_line l ON "
                        "l.session_id = c.session_id AND l.client_id = c.client_id WHERE l.claim_id = %lld", (long long)claim), 0);
    rules_hold();
}

/* The client pays $25.00 by check 1042 for the claim; a double-submitted form posts once. */
static void test_payment(void **state)
{
    (void)state;
    long long before = balance(NULL);
    int again = 0;
    psy_id a = pay(2500, W.claim, "1042", "form-1", NULL, PSY_OK, &again);
    assert_int_equal(again, 0);
    psy_id b = pay(2500, W.claim, "1042", "form-1", NULL, PSY_OK, &again);
    assert_int_equal(again, 1);
    assert_int_equal(a, b);
    pay(9900, W.claim, "1042", "form-1", NULL, PSY_ECONFLICT, NULL); /* the key of another write */
    assert_int_equal(balance(NULL), before - 2500);
    /* more than the claim's open $15.00: refused, nothing written */
    pay(1600, W.claim, "1043", NULL, NULL, PSY_EINVAL, NULL);
    /* the $15.00 paid leaves nothing open; its reversal opens it again */
    psy_id rest = pay(1500, W.claim, "1044", NULL, NULL, PSY_OK, NULL);
    pay(100, W.claim, "1045", NULL, NULL, PSY_EINVAL, NULL);
    char why[300];
    psy_id back = 0;
    assert_int_equal(psy_ledger_reverse(W.st, W.pr, rest, "check returned", NULL, "biller", &back, why, sizeof why),
                     PSY_OK);
    assert_true(back > 0);
    pay(1600, W.claim, "1046", NULL, NULL, PSY_EINVAL, NULL);
    psy_id again_paid = pay(1500, W.claim, "1046", NULL, NULL, PSY_OK, NULL);
    assert_int_equal(balance(NULL), before - 2500 - 1500);
    assert_int_equal(psy_ledger_reverse(W.st, W.pr, again_paid, "entered twice", NULL, "biller", NULL, why, sizeof why),
                     PSY_OK); /* the $15.00 open again, as the tests after this one expect */
    /* bad input names the field */
    struct psy_ledger_write w = {.kind = "payment", .client = W.client, .amount_cents = 100, .method = "bitcoin"};
    psy_id id;
    char err[300];
    assert_int_equal(psy_ledger_record(W.st, W.pr, &w, &id, NULL, err, sizeof err), PSY_EINVAL);
    assert_non_null(strstr(err, "method"));
    w.method = "cash";
    w.amount_cents = 0;
    assert_int_equal(psy_ledger_record(W.st, W.pr, &w, &id, NULL, err, sizeof err), PSY_EINVAL);
    assert_non_null(strstr(err, "amount"));
    /* checked arithmetic: an amount whose negation does not fit is refused, never wrapped */
    w = (struct psy_ledger_write){.kind = "adjustment", .client = W.client, .amount_cents = LLONG_MIN,
                                  .reason_code = "hardship"};
    assert_int_equal(psy_ledger_record(W.st, W.pr, &w, &id, NULL, err, sizeof err), PSY_EINVAL);
    w.amount_cents = 100;
    w.reason_code = "no-such-reason";
    assert_int_equal(psy_ledger_record(W.st, W.pr, &w, &id, NULL, err, sizeof err), PSY_EINVAL);
    assert_non_null(strstr(err, "reason"));
    /* another practice's client is not found */
    w = (struct psy_ledger_write){.kind = "payment", .client = W.client, .amount_cents = 100, .method = "cash"};
    assert_int_equal(psy_ledger_record(W.st, W.pr + 1000, &w, &id, NULL, err, sizeof err), PSY_ENOTFOUND);
    assert_int_equal(balance(NULL), before - 2500);
    rules_hold();
}

static char *pdf_text(const char *pdf, size_t len)
{
    char *path = test_tmp_path(".pdf");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(pdf, 1, len, f), len);
    fclose(f);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "pdftotext -layout '%s' -", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while ((got = fread(buf + n, 1, cap - n - 1, p)) > 0)
        if ((n += got) + 1 == cap) buf = realloc(buf, cap *= 2);
    buf[n] = 0;
    assert_int_equal(pclose(p), 0);
    remove(path);
    free(path);
    return buf;
}

/* The statement of this month: the practice, the service with its code and words, what insurance paid,
 * the deductible, the check, the total due and how to pay. */
static void test_statement(void **state)
{
    (void)state;
    char month[8], err[300], want[64];
    snprintf(month, sizeof month, "%.7s", W.today);
    char *pdf = NULL;
    size_t len = 0;
    if (psy_ledger_statement(W.st, W.pr, W.client, month, &pdf, &len, err, sizeof err)) fail_msg("%s", err);
    char *t = pdf_text(pdf, len);
    free(pdf);
    struct psy_client c;
    struct psy_practice p;
    assert_int_equal(psy_records_client_get(W.st, W.pr, W.client, &c), PSY_OK);
    assert_int_equal(psy_records_practice_get(W.st, W.pr, &p), PSY_OK);
    assert_non_null(strstr(t, c.last_name));
    assert_non_null(strstr(t, p.name));
    assert_non_null(strstr(t, "STATEMENT"));
    char *code = test_db_text(&W.db, "SELECT code FROM claim_line WHERE line_number = 1 AND claim_id = (SELECT min(claim_id) "
                                     "FROM ledger_entry WHERE kind = 'payer_share')");
    assert_non_null(strstr(t, code));
    free(code);
    psy_cents_format(W.total - 5000, want); /* insurance paid */
    assert_non_null(strstr(t, want));
    assert_non_null(strstr(t, "$15.00"));   /* still owed on the service: $40.00 less the $25.00 check */
    assert_non_null(strstr(t, "Payment, check 1042"));
    psy_cents_format(balance(NULL), want);
    assert_non_null(strstr(t, "Total due"));
    assert_non_null(strstr(t, want));
    assert_non_null(strstr(t, "HOW TO PAY"));
    free(t);
    assert_int_equal(psy_ledger_statement(W.st, W.pr, W.client, "2026-13", &pdf, &len, err, sizeof err), PSY_EINVAL);
    assert_non_null(strstr(err, "month"));
}

/* The open $15.00 of today's deductible moves through the buckets as the date advances; the copays of
 * four months ago are already over 120 days. */
static void test_aging_moves(void **state)
{
    (void)state;
    static const int days[] = {0, 45, 75, 100, 200};
    long long total = -1;
    for (int i = 0; i < 5; i++) {
        char d[11];
        assert_int_equal(psy_date_add(W.today, days[i], d), 1);
        struct psy_aging a;
        assert_int_equal(psy_ledger_aging(W.st, W.pr, d, &a), PSY_OK);
        if (i < 4) assert_int_equal(a.patient[i], 1500);
        for (int b = 0; b < 4; b++)
            if (b != i) assert_int_equal(a.patient[b], 0);
        if (total < 0) total = a.patient_total;
        assert_int_equal(a.patient_total, total);
        assert_int_equal(a.total, a.patient_total + a.payer_total);
        assert_true(a.n_rows >= 1 && a.rows[a.n_rows - 1].patient);
        psy_ledger_aging_free(&a);
    }
    /* as of the demo's last day, nothing of today is in yet and the payers owe the claims sent */
    struct psy_aging a;
    assert_int_equal(psy_ledger_aging(W.st, W.pr, W.demo_end, &a), PSY_OK);
    assert_int_equal(a.payer_total, q1("SELECT sum(total_cents) FROM claim WHERE status NOT IN ('draft', 'ready')"));
    psy_ledger_aging_free(&a);
    assert_int_equal(psy_ledger_aging(W.st, W.pr, "2026-02-30", &a), PSY_EINVAL);

    /* "as of D" means the end of D where the practice is: a remittance posted at 10 pm in Chicago, when the
     * UTC date is already the next day, is in the aging of D and not in that of the day before */
    char d[11], d1[11], prev[11], stamp[PSY_DATE_NOW_MAX], sql[300], msg[200];
    int64_t t;
    assert_int_equal(psy_date_add(W.today, 300, d), 1);
    assert_int_equal(psy_date_add(d, 1, d1), 1);
    assert_int_equal(psy_date_add(d, -1, prev), 1);
    assert_int_equal(psy_date_zone_start("America/Chicago", d1, &t), 1);
    psy_date_utc_text(t - 2 * 3600, stamp); /* 10 pm on d in Chicago */
    assert_true(strcmp(stamp, d) > 0);    /* the next day in UTC */
    assert_int_equal(q1("SELECT count(*) FROM era_file") > 0, 1);
    assert_int_equal(test_db_exec(&W.db, "CREATE TABLE kept_posted AS SELECT id, posted_at FROM era_file", msg, sizeof msg),
                     PSY_OK);
    snprintf(sql, sizeof sql, "UPDATE era_file SET posted_at = '%s'", stamp);
    assert_int_equal(test_db_exec(&W.db, sql, msg, sizeof msg), PSY_OK);
    assert_int_equal(test_db_exec(&W.db, "UPDATE practice SET time_zone = 'America/Chicago'", msg, sizeof msg), PSY_OK);
    long long sent = q1("SELECT sum(total_cents) FROM claim WHERE status NOT IN ('draft', 'ready')");
    assert_int_equal(psy_ledger_aging(W.st, W.pr, prev, &a), PSY_OK);
    assert_int_equal(a.payer_total, sent); /* nothing posted yet on the day before */
    psy_ledger_aging_free(&a);
    assert_int_equal(psy_ledger_aging(W.st, W.pr, d, &a), PSY_OK);
    assert_true(a.payer_total < sent); /* the evening's 835s are in */
    psy_ledger_aging_free(&a);
    assert_int_equal(test_db_exec(&W.db, "UPDATE practice SET time_zone = 'UTC'", msg, sizeof msg), PSY_OK);
    assert_int_equal(test_db_exec(&W.db, "UPDATE era_file SET posted_at = (SELECT k.posted_at FROM kept_posted k WHERE "
                                         "k.id = era_file.id)", msg, sizeof msg), PSY_OK);
    assert_int_equal(test_db_exec(&W.db, "DROP TABLE kept_posted", msg, sizeof msg), PSY_OK);
}

/* The check bounces: the payment is reversed, never edited; a reversal is not reversed twice. An 835
 * reversal (CLP02 22) takes back the payer's share. */
static void test_reversals(void **state)
{
    (void)state;
    long long before = balance(NULL);
    psy_id p = q1("SELECT id FROM ledger_entry WHERE kind = 'payment' AND reference = '1042'");
    psy_id r = 0;
    char err[300];
    assert_int_equal(psy_ledger_reverse(W.st, W.pr, p, "check returned unpaid", NULL, "biller", &r, err, sizeof err), PSY_OK);
    assert_true(r > p);
    assert_int_equal(balance(NULL), before + 2500);
    assert_int_equal(psy_ledger_reverse(W.st, W.pr, p, "again", NULL, "biller", NULL, err, sizeof err), PSY_ECONFLICT);
    assert_int_equal(psy_ledger_reverse(W.st, W.pr, r, "undo", NULL, "biller", NULL, err, sizeof err), PSY_ECONFLICT);
    assert_int_equal(psy_ledger_reverse(W.st, W.pr, p, "", NULL, "biller", NULL, err, sizeof err), PSY_EINVAL);
    assert_int_equal(q1("SELECT amount_cents FROM ledger_entry WHERE id = %lld", (long long)p), -2500); /* unchanged */
    rules_hold();
    /* the payer takes its payment back */
    char clps[400], t[32], pd[32];
    money(-W.total, t);
    money(-(W.total - 5000), pd);
    snprintf(clps, sizeof clps, "CLP*%s*22*%s*%s*-40*MC*ICNL1~CAS*CO*45*-10~CAS*PR*1*-40", W.number, t, pd);
    size_t len;
    char *era = remit("LEDG0002", clps, -(W.total - 5000), &len); /* a PLB keeps BPR02 at zero */
    struct psy_billing_post_result pr;
    if (psy_billing_era_post(W.st, W.pr, era, len, &pr, err, sizeof err)) fail_msg("%s", err);
    free(era);
    assert_int_equal(pr.reversals, 1);
    /* the claim is as before the payment (X12 835 CLP02 22, every amount negated): the $40.00 deductible
     * goes and the $25.00 copay due at the time of service is owed again, as a new entry */
    assert_int_equal(balance(NULL), before + 2500 - 4000 + 2500);
    assert_int_equal(q1("SELECT count(*) FROM ledger_entry c WHERE c.kind = 'copay' AND c.session_id = %lld AND "
                        "c.client_id = %lld AND c.amount_cents = 2500 AND NOT EXISTS (SELECT 1 FROM ledger_entry r WHERE "
                        "r.reverses = c.id)", (long long)W.session, (long long)W.client), 1);
    assert_int_equal(q1("SELECT count(*) FROM ledger_entry c WHERE c.kind = 'copay' AND c.session_id = %lld AND "
                        "c.client_id = %lld", (long long)W.session, (long long)W.client), 2);
    rules_hold();
    /* the same reversal file again posts nothing and restores nothing twice */
    era = remit("LEDG0002", clps, -(W.total - 5000), &len);
    psy_billing_era_post(W.st, W.pr, era, len, &pr, err, sizeof err);
    free(era);
    assert_int_equal(balance(NULL), before + 2500 - 4000 + 2500);
    /* the payer pays again: its figure replaces the restored copay as it did the first */
    money(W.total, t);
    money(W.total - 5000, pd);
    snprintf(clps, sizeof clps, "CLP*%s*1*%s*%s*40*MC*ICNL2~CAS*CO*45*10~CAS*PR*1*40", W.number, t, pd);
    era = remit("LEDG0003", clps, 0, &len);
    if (psy_billing_era_post(W.st, W.pr, era, len, &pr, err, sizeof err)) fail_msg("%s", err);
    free(era);
    assert_int_equal(pr.claims, 1);
    assert_int_equal(balance(NULL), before + 2500 - 4000 + 2500 - 2500 + 4000);
    assert_int_equal(q1("SELECT count(*) FROM ledger_entry c WHERE c.kind = 'copay' AND c.session_id = %lld AND "
                        "c.client_id = %lld AND NOT EXISTS (SELECT 1 FROM ledger_entry r WHERE r.reverses = c.id)",
                        (long long)W.session, (long long)W.client), 0);
    rules_hold();
    /* R-LEDGER-6 can fail: two expected shares of one session member standing at once */
    char sql[400], msg[300];
    for (int k = 0; k < 2; k++) {
        snprintf(sql, sizeof sql, "INSERT INTO ledger_entry (practice_id, client_id, kind, amount_cents, entry_date, "
                                  "service_date, session_id, created_at) VALUES (%lld, %lld, 'copay', 2500, '%s', '%s', "
                                  "%lld, '%sT00:00:00Z')", (long long)W.pr, (long long)W.client, W.today, W.today,
                 (long long)W.session, W.today);
        assert_int_equal(test_db_exec(&W.db, sql, msg, sizeof msg), PSY_OK);
    }
    struct psy_ledger_problem *pb;
    size_t npb, six = 0;
    assert_int_equal(psy_ledger_check(W.st, W.pr, W.claim, &pb, &npb), PSY_OK);
    for (size_t i = 0; i < npb; i++) six += !strcmp(pb[i].rule, "R-LEDGER-6");
    free(pb);
    assert_int_equal(six, 1);
    for (int k = 0; k < 2; k++) {
        psy_id dup = q1("SELECT max(c.id) FROM ledger_entry c WHERE c.kind = 'copay' AND c.session_id = %lld AND NOT "
                        "EXISTS (SELECT 1 FROM ledger_entry r WHERE r.reverses = c.id)", (long long)W.session);
        assert_int_equal(psy_ledger_reverse(W.st, W.pr, dup, "entered twice", NULL, "biller", NULL, err, sizeof err), PSY_OK);
    }
    rules_hold();
}

/* Month close: the demo's month takes no new entry; a correction of its entries lands in the open month
 * and its reports stay as they were. */
static void test_month_close(void **state)
{
    (void)state;
    char month[8], err[300], end[11];
    snprintf(month, sizeof month, "%.7s", W.demo_end);
    snprintf(end, sizeof end, "%s", W.demo_end);
    long long closed_balance = balance(end);
    struct psy_aging before;
    assert_int_equal(psy_ledger_aging(W.st, W.pr, end, &before), PSY_OK);
    assert_int_equal(psy_ledger_close_month(W.st, W.pr, month, "admin", err, sizeof err), PSY_OK);
    assert_int_equal(psy_ledger_close_month(W.st, W.pr, month, "admin", err, sizeof err), PSY_OK);
    assert_int_equal(psy_ledger_month_closed(W.st, W.pr, month), 1);
    char this_month[8];
    snprintf(this_month, sizeof this_month, "%.7s", W.today);
    assert_int_equal(psy_ledger_close_month(W.st, W.pr, this_month, "admin", err, sizeof err), PSY_EINVAL);
    pay(500, 0, "cash", NULL, end, PSY_ECONFLICT, NULL);
    /* a write-off of one of its copays: dated today */
    psy_id copay = q1("SELECT min(id) FROM ledger_entry WHERE kind = 'copay' AND client_id <> %lld AND entry_date <= '%s' "
                      "AND id NOT IN (SELECT reverses FROM ledger_entry WHERE reverses IS NOT NULL)",
                      (long long)W.client, end);
    psy_id rev;
    assert_int_equal(psy_ledger_reverse(W.st, W.pr, copay, "charged in error", end, "biller", &rev, err, sizeof err),
                     PSY_ECONFLICT);
    assert_int_equal(psy_ledger_reverse(W.st, W.pr, copay, "charged in error", NULL, "biller", &rev, err, sizeof err), PSY_OK);
    char *d = test_db_text(&W.db, "SELECT max(entry_date) FROM ledger_entry");
    assert_string_equal(d, W.today);
    free(d);
    assert_int_equal(balance(end), closed_balance);
    struct psy_aging after;
    assert_int_equal(psy_ledger_aging(W.st, W.pr, end, &after), PSY_OK);
    assert_int_equal(after.total, before.total);
    for (int b = 0; b < PSY_AGING_BUCKETS; b++) assert_int_equal(after.patient[b], before.patient[b]);
    psy_ledger_aging_free(&before);
    psy_ledger_aging_free(&after);
    rules_hold();
}

/* Two billers record a payment for the same client at the same moment, each on a connection of its own:
 * both land, once each; two submissions of one form (one key) land once. */
struct racer {
    const char *key;
    psy_status rc;
};
static pthread_barrier_t start;
static void *racer_run(void *arg)
{
    struct racer *r = arg;
    psy_store *st = test_db_open(&W.db, 0);
    struct psy_ledger_write w = {.kind = "payment", .client = W.client, .amount_cents = 700, .method = "card",
                                 .idempotency_key = r->key, .by = "biller"};
    psy_id id;
    char err[300];
    pthread_barrier_wait(&start);
    r->rc = psy_ledger_record(st, W.pr, &w, &id, NULL, err, sizeof err);
    psy_store_close(st);
    return NULL;
}

static void race(const char *k1, const char *k2)
{
    pthread_t t[2];
    struct racer r[2] = {{k1, PSY_EDB}, {k2, PSY_EDB}};
    pthread_barrier_init(&start, NULL, 2);
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, racer_run, &r[i]);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    assert_int_equal(r[0].rc, PSY_OK);
    assert_int_equal(r[1].rc, PSY_OK);
}

static void test_two_billers(void **state)
{
    (void)state;
    long long n = q1("SELECT count(*) FROM ledger_entry WHERE method = 'card'");
    race("biller-a", "biller-b");
    assert_int_equal(q1("SELECT count(*) FROM ledger_entry WHERE method = 'card'"), n + 2);
    race("same-form", "same-form");
    assert_int_equal(q1("SELECT count(*) FROM ledger_entry WHERE method = 'card'"), n + 3);
    /* the credit they leave is refunded */
    long long b = balance(NULL);
    if (b < 0) {
        struct psy_ledger_write w = {.kind = "refund", .client = W.client, .amount_cents = -b, .method = "check",
                                     .reference = "2001"};
        psy_id id;
        char err[300];
        assert_int_equal(psy_ledger_record(W.st, W.pr, &w, &id, NULL, err, sizeof err), PSY_OK);
        assert_int_equal(balance(NULL), 0);
    }
    rules_hold();
}

/* The practice's reasons: a new one is usable, a retired one is not. */
static void test_reasons(void **state)
{
    (void)state;
    assert_int_equal(psy_ledger_reason_set(W.st, W.pr, "sliding-scale", "Sliding-scale reduction", 1), PSY_OK);
    struct psy_ledger_write w = {.kind = "adjustment", .client = W.client, .amount_cents = 100,
                                 .reason_code = "sliding-scale"};
    psy_id id;
    char err[300];
    assert_int_equal(psy_ledger_record(W.st, W.pr, &w, &id, NULL, err, sizeof err), PSY_OK);
    assert_int_equal(psy_ledger_reason_set(W.st, W.pr, "sliding-scale", "Sliding-scale reduction", 0), PSY_OK);
    assert_int_equal(psy_ledger_record(W.st, W.pr, &w, &id, NULL, err, sizeof err), PSY_EINVAL);
    struct psy_ledger_reason *r;
    size_t n;
    assert_int_equal(psy_ledger_reasons(W.st, W.pr, &r, &n), PSY_OK);
    assert_true(n >= 6);
    free(r);
    rules_hold();
}

/* The CLI over the same database: a payment posted once under one key, its reversal, the statement PDF,
 * aging as JSON moving by bucket, a closed month refusing a payment, amounts checked. */
static int cli(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *cli_out, *cli_err;
static int cli(const char *fmt, ...)
{
    char args[1200];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(args + k, sizeof args - (size_t)k, " --db '%s'", W.db.uri);
    free(cli_out);
    free(cli_err);
    cli_out = cli_err = NULL;
    return test_run_cli(args, NULL, &cli_out, &cli_err);
}

static void test_cli(void **state)
{
    (void)state;
    long long c = (long long)W.client, before = balance(NULL);
    assert_int_equal(cli("ledger show %lld --json", c), 0);
    json_t *j = json_loads(cli_out, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "balance_cents")), before);
    json_decref(j);
    assert_int_equal(cli("payment add %lld --amount 5.00 --method cash --idempotency-key cli-1", c), 0);
    assert_non_null(strstr(cli_out, "recorded as entry"));
    assert_int_equal(cli("payment add %lld --amount 5.00 --method cash --idempotency-key cli-1", c), 0);
    assert_non_null(strstr(cli_out, "recorded before"));
    assert_int_equal(balance(NULL), before - 500);
    long long entry = q1("SELECT id FROM ledger_entry WHERE idempotency_key = 'cli-1'");
    assert_int_equal(cli("payment reverse %lld --reason 'entered twice'", entry), 0);
    assert_int_equal(balance(NULL), before);
    assert_int_equal(cli("payment reverse %lld --reason again", entry), 1);
    assert_non_null(strstr(cli_err, "reversed already"));
    /* amounts are checked, never wrapped */
    assert_int_equal(cli("payment add %lld --amount 99999999999999999999 --method cash", c), 2);
    assert_non_null(strstr(cli_err, "--amount"));
    assert_int_equal(cli("payment add %lld --amount 5.00 --method barter", c), 2);
    assert_non_null(strstr(cli_err, "method"));
    /* a closed month refuses a payment dated in it */
    assert_int_equal(cli("payment add %lld --amount 5.00 --method cash --date %s", c, W.demo_end), 1);
    assert_non_null(strstr(cli_err, "closed"));
    assert_int_equal(cli("close --month %.7s", W.today), 2);
    assert_int_equal(cli("adjust --reasons"), 0);
    assert_non_null(strstr(cli_out, "hardship"));
    assert_int_equal(cli("adjust %lld --amount 1.00 --reason hardship", c), 0);
    /* the statements of this month: one PDF per client with a balance, this client's among them */
    char *dir = test_tmp_path(".d"), path[600];
    assert_int_equal(cli("statements --month %.7s --out %s", W.today, dir), 0);
    snprintf(path, sizeof path, "%s/statement-%.7s-client-%lld.pdf", dir, W.today, c);
    assert_true(balance(NULL) > 0); /* the client's other copays */
    FILE *f = fopen(path, "rb");
    {
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        rewind(f);
        char *pdf = malloc((size_t)len);
        assert_int_equal(fread(pdf, 1, (size_t)len, f), (size_t)len);
        fclose(f);
        char *t = pdf_text(pdf, (size_t)len);
        free(pdf);
        struct psy_client cl;
        assert_int_equal(psy_records_client_get(W.st, W.pr, W.client, &cl), PSY_OK);
        assert_non_null(strstr(t, cl.last_name));
        assert_non_null(strstr(t, "Written off: Financial hardship"));
        free(t);
        remove(path);
    }
    char rm[700];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    assert_int_equal(system(rm), 0);
    free(dir);
    /* aging as JSON: the patients' row last, the buckets named */
    assert_int_equal(cli("aging --as-of %s --json", W.today), 0);
    j = json_loads(cli_out, 0, NULL);
    assert_non_null(j);
    json_t *rows = json_object_get(j, "rows");
    json_t *last = json_array_get(rows, json_array_size(rows) - 1);
    assert_true(json_is_true(json_object_get(last, "patient")));
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "buckets"), 4)), "over 120");
    struct psy_aging a;
    assert_int_equal(psy_ledger_aging(W.st, W.pr, W.today, &a), PSY_OK);
    assert_int_equal(json_integer_value(json_object_get(j, "total_cents")), a.total);
    psy_ledger_aging_free(&a);
    json_decref(j);
    assert_int_equal(cli("ledger check"), 0);
    free(cli_out);
    free(cli_err);
    cli_out = cli_err = NULL;
}

/* psy_ledger_record_batch (what the demo's payments go through) writes the entries psy_ledger_record
 * writes one by one, refuses what it refuses with the same words, and writes nothing of a batch with one
 * bad write; a closed month (W.demo_end's, closed by test_month_close) and an unknown client included. */
static void test_record_batch(void **state)
{
    (void)state;
    psy_id a = q1("SELECT min(id) FROM client WHERE practice_id = %lld", (long long)W.pr);
    psy_id b = q1("SELECT max(id) FROM client WHERE practice_id = %lld", (long long)W.pr);
    assert_true(a > 0 && b > a);
    char open_day[11];
    assert_int_equal(psy_date_add(W.demo_end, 40, open_day), 1);
    const struct psy_ledger_write w[] = {
        {.kind = "payment", .client = a, .amount_cents = 2500, .method = "card", .date = open_day, .by = "biller"},
        {.kind = "payment", .client = b, .amount_cents = 1, .method = "check", .reference = "CK-1001", .by = "biller"},
        {.kind = "refund", .client = a, .amount_cents = 700, .method = "cash", .reference = "", .date = W.today},
        {.kind = "payment", .client = b, .amount_cents = 123456, .method = "other", .date = open_day, .by = ""},
    };
    size_t n = sizeof w / sizeof w[0];
    char err[300], err2[300];
    psy_id first = q1("SELECT COALESCE(max(id), 0) FROM ledger_entry") + 1;
    for (size_t i = 0; i < n; i++) {
        psy_id id;
        assert_int_equal(psy_ledger_record(W.st, W.pr, &w[i], &id, NULL, err, sizeof err), PSY_OK);
    }
    psy_id mid = q1("SELECT max(id) FROM ledger_entry") + 1;
    assert_int_equal(psy_ledger_record_batch(W.st, W.pr, w, n, err, sizeof err), PSY_OK);
    assert_int_equal(q1("SELECT count(*) FROM ledger_entry WHERE id >= %lld", (long long)mid), (long long)n);
#define FIELDS "client_id, kind, amount_cents, entry_date, service_date, session_id, claim_id, payment_id, method, " \
               "reference, reason_code, reason, source, reverses, idempotency_key, created_by"
    assert_int_equal(q1("SELECT count(*) FROM (SELECT " FIELDS " FROM ledger_entry WHERE id >= %lld AND id < %lld "
                        "EXCEPT SELECT " FIELDS " FROM ledger_entry WHERE id >= %lld) q",
                        (long long)first, (long long)mid, (long long)mid), 0);
    assert_int_equal(q1("SELECT count(*) FROM (SELECT " FIELDS " FROM ledger_entry WHERE id >= %lld EXCEPT SELECT "
                        FIELDS " FROM ledger_entry WHERE id >= %lld AND id < %lld) q",
                        (long long)mid, (long long)first, (long long)mid), 0);
#undef FIELDS
    /* refused alike, and nothing of the batch kept */
    struct psy_ledger_write bad[3];
    memcpy(bad, w, sizeof bad);
    bad[1].date = W.demo_end; /* a closed month */
    long long before = q1("SELECT count(*) FROM ledger_entry");
    psy_id id;
    assert_int_equal(psy_ledger_record(W.st, W.pr, &bad[1], &id, NULL, err, sizeof err), PSY_ECONFLICT);
    assert_int_equal(psy_ledger_record_batch(W.st, W.pr, bad, 3, err2, sizeof err2), PSY_ECONFLICT);
    assert_non_null(strstr(err2, "write 2: "));
    assert_string_equal(strstr(err2, "write 2: ") + 9, err);
    bad[1].date = open_day;
    bad[2].client = b + 1000000; /* not the practice's */
    assert_int_equal(psy_ledger_record(W.st, W.pr, &bad[2], &id, NULL, err, sizeof err), PSY_ENOTFOUND);
    assert_int_equal(psy_ledger_record_batch(W.st, W.pr, bad, 3, err2, sizeof err2), PSY_ENOTFOUND);
    assert_string_equal(err2 + strlen("write 3: "), err);
    bad[2].client = a;
    bad[0].method = "bitcoin";
    assert_int_equal(psy_ledger_record(W.st, W.pr, &bad[0], &id, NULL, err, sizeof err), PSY_EINVAL);
    assert_int_equal(psy_ledger_record_batch(W.st, W.pr, bad, 3, err2, sizeof err2), PSY_EINVAL);
    assert_string_equal(err2 + strlen("write 1: "), err);
    bad[0].method = "card";
    bad[0].idempotency_key = "k-1"; /* keys go one by one */
    assert_int_equal(psy_ledger_record_batch(W.st, W.pr, bad, 3, err2, sizeof err2), PSY_EINVAL);
    assert_int_equal(q1("SELECT count(*) FROM ledger_entry"), before);
    rules_hold();
}

/* The expected shares as the ledger defines them (docs/ledger.md), written out here in one query as the
 * former member-by-member sync read them: each billable member of each signed session, the policy
 * recorded on attendance else the first primary policy in force that day, its copay, else the client's
 * fee; an amount of zero leaves no entry; a share of a closed month is dated the first day of the next
 * month (the test closes one month only: the format's two %s are that month, YYYY-MM, and that day). */
#define REFERENCE                                                                                                  \
    "SELECT sid, cid, kind, amount, CASE WHEN substr(d, 1, 7) = '%s' THEN '%s' ELSE d END, d FROM"                \
    " (SELECT sid, cid, d, CASE WHEN pol IS NOT NULL THEN 'copay' ELSE 'fee' END AS kind, CASE WHEN pol IS NOT"    \
    " NULL THEN (SELECT c.copay_cents FROM policy c WHERE c.id = pol) ELSE COALESCE((SELECT f.self_pay_cents FROM" \
    " client_fee f WHERE f.client_id = cid), 0) END AS amount FROM (SELECT sid, cid, d, COALESCE(apol, (SELECT"   \
    " p.id FROM policy p WHERE p.client_id = cid AND p.priority = 1 AND p.start_date <= d AND (p.end_date IS NULL" \
    " OR p.end_date >= d) ORDER BY p.id LIMIT 1)) AS pol FROM (SELECT s.id AS sid, s.client_id AS cid,"           \
    " s.service_date AS d, CAST(NULL AS BIGINT) AS apol FROM session s WHERE s.signed_at IS NOT NULL AND"          \
    " s.group_id IS NULL AND s.client_id IS NOT NULL UNION ALL SELECT s.id, a.client_id, s.service_date,"          \
    " CAST(a.policy_id AS BIGINT) FROM session s JOIN attendance a ON a.session_id = s.id AND a.present = 1 WHERE"  \
    " s.signed_at IS NOT NULL AND s.group_id IS NOT NULL) m) y) z WHERE amount > 0"
#define WRITTEN                                                                                                    \
    "SELECT session_id, client_id, kind, amount_cents, entry_date, service_date FROM ledger_entry WHERE kind IN"    \
    " ('copay', 'fee')"

/* The sync reads what is due with one query per table and writes in multi-row inserts (COPY on
 * PostgreSQL): its entries are exactly those of the definition above, with a closed month, a policy
 * that ends on a session's day (inclusive), a self-pay client with a fee and a copay of zero; signing
 * takes one session's share only, and a full sync adds the shares of sessions whose signing took none
 * (the repair a ledger read does). */
static void test_sync_batched(void **state)
{
    struct test_db db;
    test_db_make(*state, &db);
    psy_store *st = test_db_open(&db, 1);
    char today[11], end[11], msg[300];
    assert_int_equal(psy_date_today("UTC", today), 1);
    assert_int_equal(psy_date_add(today, -100, end), 1);
    struct psy_demo_opts o = {.seed = 5, .end_date = end, .weeks = 8, .clients = 14, .groups = 1, .clean = 1};
    struct psy_demo_result r;
    assert_int_equal(psy_records_demo(st, &o, &r), PSY_OK);
    free(r.problems);
    psy_id pr = r.practice_id;
    assert_int_equal(test_db_exec(&db, "UPDATE practice SET time_zone = 'UTC'", msg, sizeof msg), PSY_OK);
    /* the first primary policy ends on its client's first session day; that client pays a fee afterwards */
    assert_int_equal(test_db_exec(&db, "UPDATE policy SET end_date = (SELECT min(s.service_date) FROM session s WHERE "
                                       "s.client_id = policy.client_id) WHERE id = (SELECT min(id) FROM policy WHERE "
                                       "priority = 1)", msg, sizeof msg), PSY_OK);
    assert_int_equal(test_db_exec(&db, "INSERT INTO client_fee (practice_id, client_id, self_pay_cents, updated_at) SELECT "
                                       "practice_id, client_id, 9000, 'x' FROM policy WHERE id = (SELECT min(id) FROM "
                                       "policy WHERE priority = 1)", msg, sizeof msg), PSY_OK);
    /* a copay of zero: its members are taken, no entry is written */
    assert_int_equal(test_db_exec(&db, "UPDATE policy SET copay_cents = 0 WHERE id = (SELECT max(id) FROM policy WHERE "
                                       "priority = 1)", msg, sizeof msg), PSY_OK);
    long long first = test_db_count(&db, "SELECT CAST(substr(min(service_date), 1, 4) AS INTEGER) * 100 + "
                                         "CAST(substr(min(service_date), 6, 2) AS INTEGER) FROM session");
    assert_true(first > 200001 && first < 999912);
    int y = (int)(first / 100), m = (int)(first % 100);
    char closed[16], next[16], err[200];
    snprintf(closed, sizeof closed, "%04d-%02d", y, m);
    snprintf(next, sizeof next, "%04d-%02d-01", m == 12 ? y + 1 : y, m % 12 + 1);
    assert_int_equal(psy_ledger_close_month(st, pr, closed, "admin", err, sizeof err), PSY_OK);
    char reference[4096], sql[6144];
    snprintf(reference, sizeof reference, REFERENCE, closed, next);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s) q", reference);
    long long want = test_db_count(&db, sql);
    assert_true(want > 20);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s) q WHERE kind = 'fee'", reference);
    assert_true(test_db_count(&db, sql) > 0);

    /* signing: one individual session and one group session, each on its own */
    psy_id one = test_db_count(&db, "SELECT min(id) FROM session WHERE signed_at IS NOT NULL AND group_id IS NULL");
    psy_id group = test_db_count(&db, "SELECT min(s.id) FROM session s WHERE s.signed_at IS NOT NULL AND s.group_id IS "
                                      "NOT NULL AND (SELECT count(*) FROM attendance a WHERE a.session_id = s.id AND "
                                      "a.present = 1) > 1");
    assert_true(one > 0 && group > 0);
    long added = -1;
    assert_int_equal(psy_ledger_sync_session(st, pr, one, &added), PSY_OK);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s) q WHERE sid = %lld", reference, (long long)one);
    assert_int_equal(added, test_db_count(&db, sql));
    assert_int_equal(test_db_count(&db, "SELECT count(*) FROM ledger_session"), 1);
    assert_int_equal(psy_ledger_sync_session(st, pr, group, &added), PSY_OK);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s) q WHERE sid = %lld", reference, (long long)group);
    assert_int_equal(added, test_db_count(&db, sql));
    assert_true(added > 1);
    assert_int_equal(psy_ledger_sync_session(st, pr, group, &added), PSY_OK);
    assert_int_equal(added, 0);
    /* one client's ledger read takes that client's shares only: their individual sessions and the group
     * sessions they attended, not another member's share of those */
    psy_id c = test_db_count(&db, "SELECT min(a.client_id) FROM attendance a JOIN session s ON s.id = a.session_id "
                                  "WHERE a.present = 1 AND s.signed_at IS NOT NULL AND s.group_id IS NOT NULL AND "
                                  "s.id <> (SELECT min(s2.id) FROM session s2 WHERE s2.signed_at IS NOT NULL AND "
                                  "s2.group_id IS NOT NULL AND (SELECT count(*) FROM attendance a2 WHERE a2.session_id "
                                  "= s2.id AND a2.present = 1) > 1)");
    assert_true(c > 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s) q WHERE cid = %lld", reference, (long long)c);
    long long want_c = test_db_count(&db, sql);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM ledger_entry WHERE client_id = %lld", (long long)c);
    long long had_c = test_db_count(&db, sql), had = test_db_count(&db, "SELECT count(*) FROM ledger_entry");
    assert_true(want_c > had_c);
    assert_int_equal(psy_ledger_sync_client(st, pr, c, &added), PSY_OK);
    assert_int_equal(added, want_c - had_c);
    assert_int_equal(test_db_count(&db, sql), want_c);
    assert_int_equal(test_db_count(&db, "SELECT count(*) FROM ledger_entry"), had + added);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM ledger_session l WHERE l.client_id <> %lld AND l.session_id NOT IN "
                              "(%lld, %lld)", (long long)c, (long long)one, (long long)group);
    assert_int_equal(test_db_count(&db, sql), 0);
    assert_int_equal(psy_ledger_sync_client(st, pr, c, &added), PSY_OK);
    assert_int_equal(added, 0);
    assert_int_equal(psy_ledger_sync_client(st, pr, 0, &added), PSY_EINVAL);
    /* the rest, as a ledger read of the whole practice takes it */
    assert_int_equal(psy_ledger_sync(st, pr, &added), PSY_OK);
    assert_true(added > 0);
    assert_int_equal(test_db_count(&db, "SELECT count(*) FROM ledger_entry"), want);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (" WRITTEN " EXCEPT %s) q", reference);
    assert_int_equal(test_db_count(&db, sql), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s EXCEPT " WRITTEN ") q", reference);
    assert_int_equal(test_db_count(&db, sql), 0);
    /* each member once; the closed month's shares are dated in the next month */
    assert_int_equal(test_db_count(&db, "SELECT count(*) FROM ledger_session"),
                     test_db_count(&db, "SELECT (SELECT count(*) FROM session WHERE signed_at IS NOT NULL AND group_id IS "
                                        "NULL AND client_id IS NOT NULL) + (SELECT count(*) FROM attendance a JOIN session "
                                        "s ON s.id = a.session_id WHERE a.present = 1 AND s.signed_at IS NOT NULL AND "
                                        "s.group_id IS NOT NULL)"));
    snprintf(sql, sizeof sql, "SELECT count(*) FROM ledger_entry WHERE substr(service_date, 1, 7) = '%s' AND entry_date = '%s'",
             closed, next);
    assert_true(test_db_count(&db, sql) > 0);
    assert_int_equal(psy_ledger_sync(st, pr, &added), PSY_OK);
    assert_int_equal(added, 0);
    struct psy_ledger_problem *p;
    size_t np;
    assert_int_equal(psy_ledger_check(st, pr, 0, &p, &np), PSY_OK);
    free(p);
    assert_int_equal(np, 0);
    psy_store_close(st);
    test_db_drop(&db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(world_up),          cmocka_unit_test(test_copay_at_service), cmocka_unit_test(test_835_deductible),
        cmocka_unit_test(test_secondary_payer_first),
        cmocka_unit_test(test_payment),      cmocka_unit_test(test_statement),        cmocka_unit_test(test_aging_moves),
        cmocka_unit_test(test_reversals),    cmocka_unit_test(test_month_close),      cmocka_unit_test(test_record_batch),
        cmocka_unit_test(test_two_billers),
        cmocka_unit_test(test_reasons),      cmocka_unit_test(test_cli),          cmocka_unit_test(test_sync_batched),
    };
    return test_run_on_backends("ledger", tests, sizeof tests / sizeof tests[0], NULL, teardown);
}
