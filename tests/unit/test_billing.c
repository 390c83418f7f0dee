/* test_billing.c -- claims from the records: building from signed sessions (group members each on their
 * own insurance), idempotent builds, the scrubber holding back a claim the audit faults, 837P export
 * read back by the X12 check with control numbers that never repeat, the CMS-1500 and superbill PDFs,
 * and the posting of an 835 made from the exported claims (paid, posted twice, unknown claim). */
#include "support.h"
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "backends.h"
#include "billing_int.h"
#include "psy_db.h"
#include "era_835.h"

struct world {
    psy_store *st;
    struct test_db db;
    psy_coder *cx;
    psy_id pr;
    psy_id faulted_session; /* an individual session whose recorded code the audit faults */
};

static struct world W;

/* One integer from a query on the database (a second connection, as an outsider reads it). */
static long long q1(const char *sql) { return test_db_count(&W.db, sql); }

/* What a progress function saw: each call's work, done and total. */
struct seen_progress {
    char what[32];
    long long done[4096], total;
    size_t n;
    int bad;
};

static void note_progress(void *ud, const char *what, long long done, long long total)
{
    struct seen_progress *p = ud;
    if (p->n && (strcmp(p->what, what) || total != p->total || done < p->done[p->n - 1])) p->bad = 1;
    if (done < 0 || done > total) p->bad = 1;
    snprintf(p->what, sizeof p->what, "%s", what);
    p->total = total;
    if (p->n < 4096) p->done[p->n++] = done;
}

/* The demo practice every test of a backend shares, made on a fresh database; its progress goes week by
 * week (then, on PostgreSQL, table by table as the rows are copied from the scratch file) to the end. */
static psy_id demo_practice(psy_store *st)
{
    struct psy_demo_opts o = {.seed = 11, .end_date = "2026-03-31", .weeks = 3, .clients = 16, .groups = 1, .clean = 1};
    struct psy_demo_result r;
    struct seen_progress *p = calloc(1, sizeof *p);
    psy_store_set_progress(st, note_progress, p);
    assert_int_equal(psy_records_demo(st, &o, &r), PSY_OK);
    psy_store_set_progress(st, NULL, NULL);
    assert_false(p->bad);
    assert_string_equal(p->what, "demo data");
    if (strcmp(psy_store_backend(st), "sqlite")) assert_true(p->total > 3);
    else assert_int_equal(p->total, 3);
    assert_int_equal(p->n, p->total + 1); /* each step, and the end once more */
    assert_int_equal(p->done[0], 1);
    assert_int_equal(p->done[p->n - 1], p->total);
    free(p);
    free(r.problems);
    return r.practice_id;
}

static void close_world(void)
{
    if (!W.st) return;
    psy_coding_close(W.cx);
    psy_store_close(W.st);
    test_db_drop(&W.db);
    memset(&W, 0, sizeof W);
}

/* The first test of each backend: a fresh database holding the demo practice. */
static void world_up(void **state)
{
    close_world();
    test_db_make(*state, &W.db);
    W.st = test_db_open(&W.db, 1);
    W.pr = demo_practice(W.st);
    /* what the 837P needs that the demo leaves out: a ZIP+4 for the practice, client street addresses,
     * the billing office's phone */
    struct psy_practice p;
    assert_int_equal(psy_records_practice_get(W.st, W.pr, &p), PSY_OK);
    memcpy(p.zip + 5, "4321", 5);
    assert_int_equal(psy_records_practice_update(W.st, &p), PSY_OK);
    struct psy_client *cs;
    size_t nc;
    assert_int_equal(psy_records_client_list(W.st, W.pr, &cs, &nc), PSY_OK);
    for (size_t i = 0; i < nc; i++) {
        snprintf(cs[i].address, sizeof cs[i].address, "%zu Juniper Row", 10 + i);
        snprintf(cs[i].city, sizeof cs[i].city, "Millbrook");
        snprintf(cs[i].state, sizeof cs[i].state, "IL");
        snprintf(cs[i].zip, sizeof cs[i].zip, "62901");
        assert_int_equal(psy_records_client_update(W.st, W.pr, &cs[i]), PSY_OK);
    }
    free(cs);
    test_payers_take_late_claims(W.st, W.pr);
    assert_int_equal(psy_billing_set_contact(W.st, W.pr, "12"), PSY_EINVAL);
    assert_int_equal(psy_billing_set_contact(W.st, W.pr, "5555550100"), PSY_OK);
    /* an individual session billed with a code whose time band its minutes miss (audit R-TIME-1) */
    struct psy_session *ss;
    size_t n;
    assert_int_equal(psy_records_session_list(W.st, W.pr, "", "", &ss, &n), PSY_OK);
    for (size_t i = 0; i < n && !W.faulted_session; i++) {
        if (strcmp(ss[i].kind, "individual") || !ss[i].signed_at[0]) continue;
        int m = psy_records_session_minutes(&ss[i]);
        assert_int_equal(psy_records_billed_set(W.st, W.pr, ss[i].id, 0, m >= 16 && m <= 37 ? "90837" : "90832"), PSY_OK);
        W.faulted_session = ss[i].id;
    }
    free(ss);
    assert_true(W.faulted_session > 0);
    char err[300];
    assert_int_equal(psy_coding_open(W.st, &W.cx, err, sizeof err), PSY_OK);
}

static int teardown(void **state)
{
    (void)state;
    close_world();
    return 0;
}

/* Every billable member of every signed session is on exactly one claim of its own client and payer. */
static void test_build_groups_members(void **state)
{
    (void)state;
    struct psy_billing_build_result r;
    assert_int_equal(psy_billing_build(W.st, W.cx, W.pr, "", "", &r), PSY_OK);
    assert_true(r.sessions > 5);
    assert_int_equal(r.already_billed, 0);
    assert_int_equal(r.not_coded, 0);
    assert_true(r.claims_new > 0);
    assert_int_equal(r.ready + r.draft, r.claims_new);
    struct psy_session *ss;
    size_t n;
    assert_int_equal(psy_records_session_list(W.st, W.pr, "", "", &ss, &n), PSY_OK);
    long members = 0, group_members = 0;
    for (size_t i = 0; i < n; i++) {
        struct psy_billable *b;
        size_t nb;
        assert_int_equal(psy_records_session_billables(W.st, W.pr, ss[i].id, &b, &nb), PSY_OK);
        for (size_t k = 0; k < nb; k++) {
            char sql[400];
            snprintf(sql, sizeof sql,
                     "SELECT count(*) FROM claim_line l JOIN claim c ON c.id = l.claim_id WHERE l.session_id = %lld AND "
                     "l.client_id = %lld AND c.client_id = %lld AND c.payer_id = %lld AND c.policy_id = %lld AND "
                     "c.service_date = '%s' AND l.code IN ('90853', '90832', '90834', '90837', '90791', '90847', '90849')",
                     (long long)b[k].session_id, (long long)b[k].client_id, (long long)b[k].client_id,
                     (long long)b[k].payer_id, (long long)b[k].policy_id, b[k].service_date);
            assert_int_equal(q1(sql), 1);
            members++;
            group_members += !strcmp(b[k].kind, "group");
        }
        free(b);
    }
    free(ss);
    assert_int_equal(members, r.members);
    assert_true(group_members >= 2);
    /* group lines: one 90853 per present member */
    assert_int_equal(q1("SELECT count(*) FROM claim_line WHERE code = '90853'"), group_members);
    /* every claim's total is the sum of its lines */
    assert_int_equal(q1("SELECT count(*) FROM claim c WHERE total_cents <> (SELECT sum(charge_cents) FROM claim_line "
                        "l WHERE l.claim_id = c.id)"), 0);
    /* the draft -> ready moves are in the history */
    assert_int_equal(q1("SELECT count(*) FROM claim_status_history WHERE to_status = 'ready'"), r.ready);
}

static void test_build_is_idempotent(void **state)
{
    (void)state;
    long long lines = q1("SELECT count(*) FROM claim_line"), claims = q1("SELECT count(*) FROM claim");
    struct psy_billing_build_result r;
    assert_int_equal(psy_billing_build(W.st, W.cx, W.pr, "", "", &r), PSY_OK);
    assert_int_equal(r.lines, 0);
    assert_int_equal(r.claims_new, 0);
    assert_int_equal(r.already_billed, r.members);
    assert_int_equal(q1("SELECT count(*) FROM claim_line"), lines);
    assert_int_equal(q1("SELECT count(*) FROM claim"), claims);
}

/* Library internals a test drives: a hook run after each committed chunk of a build, the chunk size. */
extern void (*psy__billing_chunk_hook)(void);
int psy__rec_epoch(const char *iso, int64_t *out);
extern int psy__billing_chunk_items;
extern int psy__billing_stretch_items;

static void stop_here(void) { _exit(0); } /* as a kill right after a commit */

/* A build killed right after its first chunk committed: what that chunk built is already scrubbed
 * (nothing committed unchecked), and a rerun bills the rest exactly once and scrubs everything. A draft
 * an older interruption left unscrubbed is scrubbed by the next build. */
static void test_build_resumes(void **state)
{
    struct test_db d;
    test_db_make(*state, &d);
    psy_store *st = test_db_open(&d, 1);
    psy_id pr = demo_practice(st);
    psy_store_close(st);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        psy_store *cst = NULL;
        psy_coder *cx = NULL;
        char err[300];
        if (psy_store_open(d.uri, &cst, err, sizeof err) || psy_coding_open(cst, &cx, err, sizeof err)) _exit(2);
        psy__billing_chunk_items = 5;
        psy__billing_stretch_items = 5;
        psy__billing_chunk_hook = stop_here;
        struct psy_billing_build_result r;
        psy_billing_build(cst, cx, pr, "", "", &r);
        _exit(3); /* the hook never ran: the test is wrong */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    long long first = test_db_count(&d, "SELECT count(*) FROM claim_session");
    assert_true(first > 0 && first <= 5);
    assert_int_equal(test_db_count(&d, "SELECT count(*) FROM claim WHERE scrubbed_at = ''"), 0);
    assert_true(test_db_count(&d, "SELECT count(*) FROM claim_status_history WHERE to_status = 'ready'") > 0);

    st = test_db_open(&d, 0);
    psy_coder *cx;
    char err[300];
    assert_int_equal(psy_coding_open(st, &cx, err, sizeof err), PSY_OK);
    struct psy_billing_build_result r;
    assert_int_equal(psy_billing_build(st, cx, pr, "", "", &r), PSY_OK);
    assert_int_equal(r.resumed, 0);
    assert_int_equal(r.already_billed, first);
    assert_true(r.lines > 0);
    /* every billable member billed once, every line once, every claim scrubbed and its total its lines */
    assert_int_equal(test_db_count(&d, "SELECT count(*) FROM claim_session"), r.members - r.uninsured - r.not_coded);
    assert_int_equal(test_db_count(&d, "SELECT count(*) FROM (SELECT session_id, client_id, code FROM claim_line "
                                       "GROUP BY session_id, client_id, code HAVING count(*) > 1) x"), 0);
    assert_int_equal(test_db_count(&d, "SELECT count(*) FROM claim WHERE scrubbed_at = ''"), 0);
    assert_int_equal(test_db_count(&d, "SELECT count(*) FROM claim c WHERE total_cents <> (SELECT sum(charge_cents) "
                                       "FROM claim_line l WHERE l.claim_id = c.id)"), 0);
    long long ready = test_db_count(&d, "SELECT count(*) FROM claim WHERE status = 'ready'");
    assert_true(ready > 0);

    /* a ready claim put back as an older build left its drafts: draft, coding findings only, unscrubbed */
    char msg[300];
    assert_int_equal(test_db_exec(&d, "UPDATE claim SET status = 'draft', scrubbed_at = '' WHERE id = (SELECT min(id) "
                                      "FROM claim WHERE status = 'ready')", msg, sizeof msg), PSY_OK);
    assert_int_equal(psy_billing_build(st, cx, pr, "", "", &r), PSY_OK);
    assert_int_equal(r.resumed, 1);
    assert_int_equal(r.lines, 0);
    assert_int_equal(r.ready, 1);
    assert_int_equal(test_db_count(&d, "SELECT count(*) FROM claim WHERE status = 'ready'"), ready);
    assert_int_equal(test_db_count(&d, "SELECT count(*) FROM claim WHERE scrubbed_at = ''"), 0);
    psy_coding_close(cx);
    psy_store_close(st);
    test_db_drop(&d);
}

static void test_scrubber_holds_audit_error(void **state)
{
    (void)state;
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claim c JOIN claim_line l ON l.claim_id = c.id WHERE l.session_id = "
             "%lld AND c.status = 'draft' AND c.findings LIKE '%%R-TIME-1%%' AND c.findings LIKE '%%\"audit\"%%'",
             (long long)W.faulted_session);
    assert_int_equal(q1(sql), 1);
    /* no ready claim carries an error finding */
    struct psy_billing_claim *c;
    size_t n;
    assert_int_equal(psy_billing_claim_list(W.st, W.pr, "ready", &c, &n), PSY_OK);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) assert_null(strstr(c[i].findings, "\"error\""));
    psy_billing_claims_free(c, n);
    /* a draft may not jump to submitted */
    long long draft = q1("SELECT min(id) FROM claim WHERE status = 'draft'");
    assert_int_equal(psy_billing_transition(W.st, W.pr, draft, PSY_CLAIM_SUBMITTED, "test"), PSY_EINVAL);
}

/* ISA13 of an 837 file and its claim/line counts through the structure check. */
static unsigned long check_file(const char *doc, size_t len, size_t claims)
{
    psy_x12_reader *r = psy_x12_reader_mem(doc, len, 0);
    struct psy_x12_problem probs[8];
    size_t np = 0;
    struct psy_x12_check_stats s;
    assert_int_equal(psy_x12_check(r, probs, 8, &np, &s), PSY_OK);
    psy_x12_reader_free(r);
    if (np) fail_msg("837P problem: segment %lu %s", probs[0].segment, probs[0].message);
    assert_int_equal(s.interchanges, 1);
    assert_int_equal(s.claims, claims);
    assert_true(s.lines >= claims);
    const char *isa13 = doc;
    for (int i = 0; i < 13; i++) isa13 = strchr(isa13, '*') + 1;
    return strtoul(isa13, NULL, 10);
}

static char *exported[2];
static size_t exported_len[2];
static void cli(const char *args, int status, const char *want_out, const char *want_err, const char *not_out);

static void test_export_two_payers(void **state)
{
    (void)state;
    const char *payers[2] = {"DEMOMCR01", "DEMOBLU01"};
    unsigned long ctl[2];
    char *doc0 = NULL;
    size_t len0 = 0;
    for (int i = 0; i < 2; i++) {
        char sql[200], err[300];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM claim c JOIN payer p ON p.id = c.payer_id WHERE c.status = "
                 "'ready' AND p.payer_code = '%s'", payers[i]);
        long long ready = q1(sql);
        assert_true(ready > 0);
        size_t n = 0;
        if (i == 0) {
            /* the file cannot be written: the claims are submitted all the same, in a stored batch that
             * can be fetched again -- nothing stranded */
            cli("claims export --payer DEMOMCR01 --out /no/such/dir/x.837", 1, NULL, "claims batch get", NULL);
            struct psy_billing_batch *b;
            size_t nb;
            assert_int_equal(psy_billing_batch_list(W.st, W.pr, &b, &nb), PSY_OK);
            assert_int_equal(nb, 1);
            assert_int_equal(b[0].n_claims, ready);
            assert_string_equal(b[0].written_to, "");
            free(exported[i]);
            assert_int_equal(psy_billing_batch_get(W.st, W.pr, b[0].id, &exported[i], &exported_len[i]), PSY_OK);
            assert_int_equal(psy_billing_batch_get(W.st, W.pr + 1000, b[0].id, &doc0, &len0), PSY_ENOTFOUND);
            char *out = test_tmp_path(".837");
            assert_int_equal(psy_billing_batch_write(W.st, W.pr, b[0].id, out, err, sizeof err), PSY_OK);
            FILE *f = fopen(out, "rb");
            assert_non_null(f);
            char *back = malloc(exported_len[i] + 1);
            assert_int_equal(fread(back, 1, exported_len[i] + 1, f), exported_len[i]);
            fclose(f);
            assert_memory_equal(back, exported[i], exported_len[i]);
            free(back);
            remove(out);
            free(out);
            free(b);
            n = (size_t)ready;
        } else {
            free(exported[i]);
            assert_int_equal(psy_billing_export(W.st, W.pr, 0, payers[i], &exported[i], &exported_len[i], &n, err,
                                                sizeof err),
                             PSY_OK);
        }
        assert_int_equal(n, ready);
        ctl[i] = check_file(exported[i], exported_len[i], n);
        assert_non_null(strstr(exported[i], payers[i]));
        assert_int_equal(q1(sql), 0); /* all submitted now */
    }
    assert_true(ctl[0] != ctl[1]);
    /* nothing left to send: no file, no control number used */
    char *doc = NULL, err[300];
    size_t len, n = 9;
    assert_int_equal(psy_billing_export(W.st, W.pr, 0, "DEMOBLU01", &doc, &len, &n, err, sizeof err), PSY_OK);
    assert_int_equal(n, 0);
    assert_null(doc);
    unsigned long next;
    assert_int_equal(psy_billing_control_next(W.st, W.pr, 0, &next), PSY_OK);
    assert_true(next > ctl[0] && next > ctl[1]);
    assert_int_equal(q1("SELECT count(*) FROM claim_status_history WHERE to_status = 'submitted'"),
                     q1("SELECT count(*) FROM claim WHERE status = 'submitted'"));
    /* no claim submitted outside a batch, none both ready and in one */
    assert_int_equal(q1("SELECT count(*) FROM claim WHERE status = 'submitted' AND id NOT IN (SELECT claim_id FROM "
                        "claim_batch_claim)"), 0);
    assert_int_equal(q1("SELECT count(*) FROM claim WHERE status = 'ready' AND id IN (SELECT claim_id FROM "
                        "claim_batch_claim)"), 0);
    assert_int_equal(q1("SELECT count(*) FROM claim_batch"), 2);
}

static char *slurp_cmd(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while ((got = fread(buf + n, 1, cap - n - 1, p)) > 0)
        if ((n += got) + 1 == cap) buf = realloc(buf, cap *= 2);
    buf[n] = 0;
    assert_int_equal(pclose(p), 0);
    return buf;
}

static char *pdf_text(const char *pdf, size_t len)
{
    char *path = test_tmp_path(".pdf");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(pdf, 1, len, f), len);
    fclose(f);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "pdftotext '%s' -", path);
    char *t = slurp_cmd(cmd);
    snprintf(cmd, sizeof cmd, "pdftoppm -r 30 -png -f 1 -l 1 '%s' > /dev/null", path);
    free(slurp_cmd(cmd));
    remove(path);
    free(path);
    return t;
}

static void test_pdfs(void **state)
{
    (void)state;
    long long claim = q1("SELECT min(id) FROM claim WHERE status = 'submitted'");
    long long client = q1("SELECT client_id FROM claim WHERE status = 'submitted' ORDER BY id LIMIT 1");
    struct psy_client c;
    assert_int_equal(psy_records_client_get(W.st, W.pr, client, &c), PSY_OK);
    char number[32], code[PSY_CODE_MAX], err[300], sql[200];
    snprintf(number, sizeof number, "PC%08lld", claim);
    snprintf(sql, sizeof sql, "SELECT CAST(code AS INTEGER) FROM claim_line WHERE claim_id = %lld", claim);
    snprintf(code, sizeof code, "%lld", q1(sql));
    char *pdf = NULL;
    size_t len = 0;
    assert_int_equal(psy_billing_cms1500(W.st, W.pr, number, &pdf, &len, err, sizeof err), PSY_OK);
    char *t = pdf_text(pdf, len);
    assert_non_null(strstr(t, c.last_name));
    assert_non_null(strstr(t, code));
    free(t);
    free(pdf);
    assert_int_equal(psy_billing_cms1500(W.st, W.pr, "PC99999999", &pdf, &len, err, sizeof err), PSY_ENOTFOUND);
    /* the superbill of the month of that claim */
    snprintf(sql, sizeof sql, "SELECT CAST(substr(service_date, 6, 2) AS INTEGER) FROM claim WHERE id = %lld", claim);
    char month[8];
    snprintf(month, sizeof month, "2026-%02lld", q1(sql));
    pdf = NULL;
    if (psy_billing_superbill(W.st, W.cx, W.pr, client, month, &pdf, &len, err, sizeof err)) fail_msg("superbill: %s", err);
    t = pdf_text(pdf, len);
    assert_non_null(strstr(t, c.last_name));
    assert_non_null(strstr(t, code));
    assert_non_null(strstr(t, c.dx[0]));
    free(t);
    free(pdf);
    /* a dependant's superbill names the policy's subscriber as the insured (domain 6.2: the insured's name
     * and id), not the patient */
    struct psy_policy po;
    char first_day[16];
    snprintf(first_day, sizeof first_day, "%s-01", month);
    assert_int_equal(psy_records_policy_on(W.st, W.pr, client, first_day, 1, &po), PSY_OK);
    struct psy_policy was = po;
    snprintf(po.relation, sizeof po.relation, "child");
    snprintf(po.subscriber_first, sizeof po.subscriber_first, "Pat");
    snprintf(po.subscriber_last, sizeof po.subscriber_last, "Parentrow");
    snprintf(po.subscriber_birth, sizeof po.subscriber_birth, "1970-01-01");
    assert_int_equal(psy_records_policy_update(W.st, W.pr, &po), PSY_OK);
    if (psy_billing_superbill(W.st, W.cx, W.pr, client, month, &pdf, &len, err, sizeof err)) fail_msg("superbill: %s", err);
    t = pdf_text(pdf, len);
    if (!strstr(t, "Insured (subscriber): Pat Parentrow")) fail_msg("no subscriber as the insured: %s", t);
    free(t);
    free(pdf);
    assert_int_equal(psy_records_policy_get(W.st, W.pr, po.id, &po), PSY_OK);
    was.version = po.version;
    assert_int_equal(psy_records_policy_update(W.st, W.pr, &was), PSY_OK);
    assert_int_equal(psy_billing_superbill(W.st, W.cx, W.pr, client, "2019-01", &pdf, &len, err, sizeof err), PSY_EINVAL);
    assert_int_equal(psy_billing_superbill(W.st, W.cx, W.pr, client, "2026-13", &pdf, &len, err, sizeof err), PSY_EINVAL);
}

static void test_era_post(void **state)
{
    (void)state;
    size_t len;
    char *era = make_835(exported[1], exported_len[1], 0, &len);
    long long before_paid = q1("SELECT count(*) FROM claim WHERE status = 'paid'");
    long long sent = q1("SELECT count(*) FROM claim c JOIN payer p ON p.id = c.payer_id WHERE p.payer_code = 'DEMOBLU01' "
                        "AND c.status = 'submitted'");
    long long lines = q1("SELECT count(*) FROM claim_line l JOIN claim c ON c.id = l.claim_id JOIN payer p ON p.id = "
                         "c.payer_id WHERE p.payer_code = 'DEMOBLU01' AND c.status = 'submitted'");
    struct psy_billing_post_result r;
    char err[300];
    if (psy_billing_era_post(W.st, W.pr, era, len, &r, err, sizeof err)) fail_msg("post: %s", err);
    assert_int_equal(r.already_posted, 0);
    assert_int_equal(r.claims, sent);
    assert_int_equal(r.lines, lines);
    assert_int_equal(r.suspense, 1);
    assert_int_equal(r.denied, 0);
    assert_int_equal(r.unbalanced, 0);
    assert_int_equal(q1("SELECT count(*) FROM claim WHERE status = 'paid'"), before_paid + sent);
    assert_int_equal(q1("SELECT count(*) FROM claim WHERE status = 'paid' AND paid_cents <> total_cents"), 0);
    assert_int_equal(q1("SELECT count(*) FROM claim_line l JOIN claim c ON c.id = l.claim_id WHERE c.status = 'paid' "
                        "AND l.paid_cents <> l.charge_cents"), 0);
    assert_int_equal(q1("SELECT count(*) FROM suspense_item WHERE claim_number = 'PCX0000001'"), 1);
    assert_int_equal(q1("SELECT count(*) FROM claim_status_history WHERE to_status = 'accepted'"), sent);
    long long payments = q1("SELECT count(*) FROM payment");
    /* the same file again: nothing changes */
    assert_int_equal(psy_billing_era_post(W.st, W.pr, era, len, &r, err, sizeof err), PSY_OK);
    assert_int_equal(r.already_posted, 1);
    assert_int_equal(r.claims, 0);
    assert_int_equal(q1("SELECT count(*) FROM payment"), payments);
    assert_int_equal(q1("SELECT count(*) FROM suspense_item"), 1);
    assert_int_equal(q1("SELECT sum(paid_cents) FROM claim WHERE status = 'paid'"),
                     q1("SELECT sum(total_cents) FROM claim WHERE status = 'paid'"));
    /* a malformed file posts nothing and names the segment */
    assert_int_not_equal(psy_billing_era_post(W.st, W.pr, "ISA*garbage~", 12, &r, err, sizeof err), PSY_OK);
    assert_non_null(strstr(err, "segment"));
    free(era);
}

/* A denial: the claim ends denied, its reason code kept (a code the plain-words table explains). */
static void test_era_denial(void **state)
{
    (void)state;
    size_t len;
    char *era = make_835(exported[0], exported_len[0], 1, &len);
    struct psy_billing_post_result r;
    char err[300];
    if (psy_billing_era_post(W.st, W.pr, era, len, &r, err, sizeof err)) fail_msg("post: %s", err);
    free(era);
    assert_int_equal(r.denied, 1);
    assert_int_equal(r.unbalanced, 0);
    assert_int_equal(q1("SELECT count(*) FROM claim WHERE status = 'denied' AND paid_cents = 0"), 1);
    assert_int_equal(q1("SELECT count(*) FROM adjustment a JOIN payment p ON p.id = a.payment_id JOIN claim c ON "
                        "c.id = p.claim_id WHERE c.status = 'denied' AND a.group_code = 'CO' AND a.reason = '50' AND "
                        "a.amount_cents = c.total_cents"), 1);
    const char *words = psy_x12_describe(PSY_X12_TEXT_REASON, "50");
    assert_non_null(words);
    struct psy_billing_claim *c;
    size_t n;
    assert_int_equal(psy_billing_claim_list(W.st, W.pr, "denied", &c, &n), PSY_OK);
    assert_int_equal(n, 1);
    assert_non_null(strstr(c[0].findings, "R-835-DENIED"));
    assert_non_null(strstr(c[0].findings, words)); /* the reason in plain words (no JSON escapes in it) */
    psy_billing_claims_free(c, n);
}

/* Runs `psyclaim ARGS --db <the test database>`; checks the exit status and that stdout (want_out) and
 * stderr (want_err) hold the given texts, and that stdout lacks not_out. */
static void cli(const char *args, int status, const char *want_out, const char *want_err, const char *not_out)
{
    char line[600], *out = NULL, *err = NULL;
    snprintf(line, sizeof line, "%s --db '%s'", args, W.db.uri);
    int rc = test_run_cli(line, NULL, &out, &err);
    if (rc != status) fail_msg("'%s' exited %d: %s", args, rc, err ? err : "");
    if (want_out) assert_non_null(strstr(out, want_out));
    if (want_err) assert_non_null(strstr(err, want_err));
    if (not_out) assert_null(strstr(out, not_out));
    free(out);
    free(err);
}

/* The commands over the same database: list with findings, usage errors named, a repeated build. */
static void test_cli(void **state)
{
    (void)state;
    cli("claims list --status paid --json", 0, "\"status\": \"paid\"", NULL, "\"status\": \"draft\"");
    cli("claims list --status unpaid", 2, NULL, "--status", NULL);
    cli("claims build --from 2026-02-30", 2, NULL, "--from", NULL);
    cli("claims build --json", 0, "\"lines\": 0", NULL, NULL);
    cli("cms1500 PC99999999 --out /dev/null", 2, NULL, "no claim numbered", NULL);
    cli("era post /nonexistent/file.835", 1, NULL, "cannot read", NULL);
    cli("claims export --payer DEMOBLU01", 2, NULL, "--out", NULL);
}


/* A crafted 835 under tests/data/x12. */
static char *data_file(const char *name, size_t *len)
{
    char path[600];
    snprintf(path, sizeof path, "%s/tests/data/x12/%s", PSY_SOURCE_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", name);
    char *d = malloc(1 << 16);
    *len = fread(d, 1, 1 << 16, f);
    fclose(f);
    return d;
}

/* Posts a crafted file; returns its status, the message in err. */
static psy_status post_file(const char *name, struct psy_billing_post_result *r, char *err, size_t errlen)
{
    size_t len;
    char *d = data_file(name, &len);
    psy_status rc = psy_billing_era_post_named(W.st, W.pr, name, d, len, r, err, errlen);
    free(d);
    return rc;
}

/* Remittances refused whole, posting nothing and saying why: a BPR total that is not the claims paid
 * (the payment itself is wrong, not one claim), an empty or blank file. A defect inside one claim or
 * line no longer refuses the file (test_era_lenient). */
static void test_era_refused(void **state)
{
    (void)state;
    struct {
        const char *file, *want1, *want2;
    } cases[] = {
        {"835-bpr-mismatch.x12", "BPR02 total $10.00", "$999,999.99"},
        {"835-empty.x12", "empty", "nothing to post"},
        {"835-blank.x12", "empty", "nothing to post"},
    };
    long long files = q1("SELECT count(*) FROM era_file"), pays = q1("SELECT count(*) FROM payment"),
              sus = q1("SELECT count(*) FROM suspense_item");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct psy_billing_post_result r;
        char err[400] = "";
        assert_int_equal(post_file(cases[i].file, &r, err, sizeof err), PSY_EPARSE);
        if (!strstr(err, cases[i].want1) || !strstr(err, cases[i].want2)) fail_msg("%s: %s", cases[i].file, err);
        assert_int_equal(r.claims + r.payments + r.paid_cents, 0);
    }
    assert_int_equal(q1("SELECT count(*) FROM era_file"), files);
    assert_int_equal(q1("SELECT count(*) FROM payment"), pays);
    assert_int_equal(q1("SELECT count(*) FROM suspense_item"), sus);
    /* the structure check says the same of the overflow (it wrapped to "balanced" before) */
    size_t len, n;
    char *d = data_file("835-cas-overflow.x12", &len);
    struct psy_x12_problem pr[8];
    psy_x12_reader *rd = psy_x12_reader_mem(d, len, 0);
    psy_x12_check(rd, pr, 8, &n, NULL);
    psy_x12_reader_free(rd);
    free(d);
    assert_true(n > 0);
    assert_string_equal(pr[0].seg_id, "CAS");
    assert_non_null(strstr(pr[0].message, "largest amount"));
}

/* The same payment re-sent with other line ends, blanks, renumbered ST02 and trailing empty elements
 * posts nothing and names the first file; the same trace number with other amounts is refused. */
static void test_era_posted_once(void **state)
{
    (void)state;
    struct psy_billing_post_result r;
    char err[400] = "";
    if (post_file("835-small.x12", &r, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(r.payments, 1);
    assert_int_equal(r.suspense, 2); /* its claims are not ours */
    long long sus = q1("SELECT count(*) FROM suspense_item"), files = q1("SELECT count(*) FROM era_file");
    assert_int_equal(post_file("835-small-relaid.x12", &r, err, sizeof err), PSY_OK);
    assert_int_equal(r.already_posted, 1);
    assert_int_equal(r.payments, 0);
    assert_string_equal(r.earlier_name, "835-small.x12");
    assert_int_equal(post_file("835-small.x12", &r, err, sizeof err), PSY_OK);
    assert_int_equal(r.already_posted, 1);
    assert_int_equal(post_file("835-small-altered.x12", &r, err, sizeof err), PSY_ECONFLICT);
    assert_non_null(strstr(err, "835-small.x12"));
    assert_non_null(strstr(err, "EFT424242"));
    assert_int_equal(q1("SELECT count(*) FROM suspense_item"), sus);
    assert_int_equal(q1("SELECT count(*) FROM era_file"), files);
    char line[700];
    snprintf(line, sizeof line, "era post %s/tests/data/x12/835-small-relaid.x12", PSY_SOURCE_DIR);
    cli(line, 0, "posted before, from file #", NULL, NULL);
    snprintf(line, sizeof line, "era post %s/tests/data/x12/835-blank.x12", PSY_SOURCE_DIR);
    cli(line, 1, NULL, "empty", NULL);
}

/* What payers really send: each file holds one defect. A claim or line that cannot be
 * understood goes to suspense with the exact segment and element; a field posting does not need is a
 * warning; the rest of the file posts. */
static void test_era_lenient(void **state)
{
    (void)state;
    struct {
        const char *file, *suspense_why; /* NULL: a warning only */
        const char *warning;
    } cases[] = {
        {"835-svc-separator.x12", NULL, NULL}, /* its claims are not ours: whole claims to suspense */
        {"835-bpr-date.x12", NULL, "segment 4 (BPR) element BPR16: '20260231' is not a date"},
        {"835-cas-overflow.x12", "segment 26 (CAS) element CAS09: the adjustments of this claim add up", NULL},
        {"835-negative-paid.x12", "segment 9 (CLP) element CLP04: '-50' is negative", NULL},
        {"835-units-abc.x12", "segment 10 (SVC) element SVC05: 'abc' is not a number", NULL},
        {"835-units-negative.x12", "segment 10 (SVC) element SVC05: '-1'", NULL},
        {"835-amt-letter.x12", NULL, "segment 11 (AMT) element AMT02: '1O0' is not a number"},
        {"835-lx-letter.x12", NULL, "segment 8 (LX) element LX01: 'A' is not an assigned number"},
        {"835-clp-status.x12", "segment 9 (CLP) element CLP02: '9' is not a claim status code", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct psy_billing_post_result r;
        char err[400] = "", sql[400];
        if (post_file(cases[i].file, &r, err, sizeof err)) fail_msg("%s: %s", cases[i].file, err);
        assert_int_equal(r.payments, 1);
        if (cases[i].warning) {
            assert_true(r.warnings >= 1);
            if (!strstr(r.first_warning, cases[i].warning)) fail_msg("%s: %s", cases[i].file, r.first_warning);
        }
        if (cases[i].suspense_why) {
            snprintf(sql, sizeof sql, "SELECT count(*) FROM suspense_item WHERE why LIKE '%%%s%%'", cases[i].suspense_why);
            for (char *q = strstr(sql, "'%") + 2; *q && q[1]; q++) /* a quote in the text: LIKE's one-character _ */
                if (*q == '\'' && strcmp(q, "%'")) *q = '_';
            assert_int_equal(q1(sql), 1);
        }
    }
    /* one of our claims: its line with a foreign component separator and a line without a procedure
     * code go to suspense naming SVC01; the claim itself posts */
    struct psy_billing_claim *c;
    size_t n, len;
    assert_int_equal(psy_billing_claim_list(W.st, W.pr, "paid", &c, &n), PSY_OK);
    assert_true(n > 0);
    char clps[600];
    snprintf(clps, sizeof clps, "CLP*%s*1*200*0**MC*ICNL1~SVC*HC>90837*100*0**1~CAS*CO*45*100~SVC*HC*100*0**1~"
             "CAS*CO*45*100", c[0].number);
    long long paid = c[0].paid_cents;
    psy_id id = c[0].id;
    psy_billing_claims_free(c, n);
    char *era = remit("LEN0001", clps, 0, &len);
    struct psy_billing_post_result r;
    char err[400], sql[300];
    if (psy_billing_era_post(W.st, W.pr, era, len, &r, err, sizeof err)) fail_msg("%s", err);
    free(era);
    assert_int_equal(r.claims, 1);
    assert_int_equal(r.lines, 0);
    assert_int_equal(r.suspense, 2);
    assert_int_equal(q1("SELECT count(*) FROM suspense_item WHERE why LIKE 'segment %(SVC) element SVC01: ''HC>90837'' "
                        "separates its components with ''>'' but the interchange declares '':'' (ISA16)'"), 1);
    assert_int_equal(q1("SELECT count(*) FROM suspense_item WHERE why LIKE 'segment %(SVC) element SVC01: the procedure code "
                        "is missing'"), 1);
    snprintf(sql, sizeof sql, "SELECT paid_cents FROM claim WHERE id = %lld", (long long)id);
    assert_int_equal(q1(sql), paid);
    /* paid nothing because all of it went to the deductible (CAS PR 1): processed, the patient owes it,
     * not a denial; the same with a CO denial reason is one */
    psy_id den = q1("SELECT id FROM claim WHERE status = 'denied' ORDER BY id LIMIT 1");
    assert_true(den > 0);
    assert_int_equal(psy_billing_claim_list(W.st, W.pr, "denied", &c, &n), PSY_OK);
    char number[32], amt[32];
    snprintf(number, sizeof number, "%s", c[0].number);
    assert_int_equal(c[0].id, den);
    money(c[0].total_cents, amt);
    psy_billing_claims_free(c, n);
    snprintf(clps, sizeof clps, "CLP*%s*1*%s*0*%s*MC*ICNPR1~CAS*PR*1*%s", number, amt, amt, amt);
    era = remit("LEN0002", clps, 0, &len);
    if (psy_billing_era_post(W.st, W.pr, era, len, &r, err, sizeof err)) fail_msg("%s", err);
    free(era);
    assert_int_equal(r.denied, 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claim WHERE id = %lld AND status = 'partially_paid'", (long long)den);
    assert_int_equal(q1(sql), 1);
    snprintf(clps, sizeof clps, "CLP*%s*1*%s*0**MC*ICNCO1~CAS*CO*50*%s", number, amt, amt);
    era = remit("LEN0003", clps, 0, &len);
    if (psy_billing_era_post(W.st, W.pr, era, len, &r, err, sizeof err)) fail_msg("%s", err);
    free(era);
    assert_int_equal(r.denied, 1);
    /* the structure check stays strict about the same files */
    size_t np;
    char *d = data_file("835-bpr-date.x12", &len);
    struct psy_x12_problem pr[8];
    psy_x12_reader *rd = psy_x12_reader_mem(d, len, 0);
    psy_x12_check(rd, pr, 8, &np, NULL);
    psy_x12_reader_free(rd);
    free(d);
    assert_int_equal(np, 1);
    assert_non_null(strstr(pr[0].message, "BPR16"));
}

/* A reversal (CLP02 22) and its re-issue: the earlier payment is taken back and marked, the corrected
 * one stands; a reversal of nothing posted goes to suspense; a payment above the charge is stored with
 * a finding. */
static void test_era_reversal(void **state)
{
    (void)state;
    char number[32], sql[300], clps[600], t1[32], t2[32];
    long long total = q1("SELECT total_cents FROM claim WHERE status = 'paid' ORDER BY id LIMIT 1");
    psy_id id = q1("SELECT id FROM claim WHERE status = 'paid' ORDER BY id LIMIT 1");
    struct psy_billing_claim *c;
    size_t n;
    assert_int_equal(psy_billing_claim_list(W.st, W.pr, "paid", &c, &n), PSY_OK);
    snprintf(number, sizeof number, "%s", c[0].number);
    assert_int_equal(c[0].id, id);
    psy_billing_claims_free(c, n);
    money(-total, t1);
    money(total - 1000, t2);
    snprintf(clps, sizeof clps, "CLP*%s*22*%s*%s**MC~CLP*%s*1*%s*%s**MC*ICNR1~CAS*CO*45*10", number, t1, t1, number,
             t1 + 1, t2);
    size_t len;
    char *era = remit("REV0001", clps, -1000, &len);
    struct psy_billing_post_result r;
    char err[400];
    if (psy_billing_era_post(W.st, W.pr, era, len, &r, err, sizeof err)) fail_msg("%s", err);
    free(era);
    assert_int_equal(r.reversals, 1);
    assert_int_equal(r.claims, 2);
    snprintf(sql, sizeof sql, "SELECT paid_cents FROM claim WHERE id = %lld", (long long)id);
    assert_int_equal(q1(sql), total - 1000);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claim WHERE id = %lld AND status = 'partially_paid'", (long long)id);
    assert_int_equal(q1(sql), 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM payment WHERE claim_id = %lld AND reversed_by IS NOT NULL", (long long)id);
    assert_int_equal(q1(sql), 1);
    /* the same reversal under a new trace: nothing left to take back */
    snprintf(clps, sizeof clps, "CLP*%s*22*%s*%s**MC", number, t1, t1);
    money(total, t2);
    era = remit("REV0002", clps, -total, &len);
    long long sus = q1("SELECT count(*) FROM suspense_item");
    if (psy_billing_era_post(W.st, W.pr, era, len, &r, err, sizeof err)) fail_msg("%s", err);
    free(era);
    assert_int_equal(r.reversals, 0);
    assert_int_equal(q1("SELECT count(*) FROM suspense_item"), sus + 2); /* the claim and the PLB */
    snprintf(sql, sizeof sql, "SELECT paid_cents FROM claim WHERE id = %lld", (long long)id);
    assert_int_equal(q1(sql), total - 1000);
    /* paid 20.00 more: above the charge, kept with a finding */
    snprintf(clps, sizeof clps, "CLP*%s*1*%s*20**MC*ICNR2~CAS*CO*45*%lld", number, t1 + 1, (total - 2000) / 100);
    if ((total - 2000) % 100) {
        money(total - 2000, t2);
        snprintf(clps, sizeof clps, "CLP*%s*1*%s*20**MC*ICNR2~CAS*CO*45*%s", number, t1 + 1, t2);
    }
    era = remit("REV0003", clps, 0, &len);
    if (psy_billing_era_post(W.st, W.pr, era, len, &r, err, sizeof err)) fail_msg("%s", err);
    free(era);
    assert_int_equal(r.overpaid, 1);
    assert_int_equal(psy_billing_claim_list(W.st, W.pr, NULL, &c, &n), PSY_OK);
    for (size_t i = 0; i < n; i++)
        if (c[i].id == id) assert_non_null(strstr(c[i].findings, "R-835-OVERPAID"));
    psy_billing_claims_free(c, n);
}

/* The build's audit of a stretch's dates reads on a second connection while the build bills, and its
 * checks then take the billed codes from the stretch in memory (billing_bulk.c, "ahead"); a stretch's
 * claims and billed codes are written on a third connection while the next stretch is billed (the
 * writer). Every claim must come out as with everything in turn on the build's own connection --
 * status, total, findings, history, billed codes -- over a practice with recorded problems and
 * stretches of a few members, so that many stretches are read ahead and written behind, some of them
 * sharing a date. */
static void test_build_ahead_same(void **state)
{
    struct psy_billing_claim *c[2];
    size_t n[2];
    long long hist[2], billed[2], history[2];
    for (int k = 0; k < 2; k++) {
        struct test_db d;
        test_db_make(*state, &d);
        psy_store *st = test_db_open(&d, 1);
        struct psy_demo_opts o = {.seed = 7, .end_date = "2026-03-31", .weeks = 8, .clients = 50, .groups = 3};
        struct psy_demo_result dr;
        assert_int_equal(psy_records_demo(st, &o, &dr), PSY_OK);
        free(dr.problems);
        /* findings that only the build's own billed codes give: members present under the 45 minutes a
         * group must last for the sample Medicaid profile (R-GRP-4, which looks at lines billed 90853),
         * with no code on the attendance before the build */
        char err[300];
        static const char *const setup[] = {
            "UPDATE payer SET profile = 'example-medicaid'",
            "UPDATE attendance SET billed_code = NULL WHERE present <> 0",
            "UPDATE attendance SET late_minutes = 50 WHERE id IN (SELECT id FROM attendance WHERE present <> 0 "
            "ORDER BY id LIMIT 6)"};
        for (size_t q = 0; q < sizeof setup / sizeof setup[0]; q++)
            if (test_db_exec(&d, setup[q], err, sizeof err)) fail_msg("%s", err);
        psy_coder *cx;
        assert_int_equal(psy_coding_open(st, &cx, err, sizeof err), PSY_OK);
        int items = psy__billing_stretch_items;
        psy__billing_stretch_items = 7;
        setenv("PSYCLAIM_BUILD_AHEAD", k ? "on" : "off", 1);
        struct psy_billing_build_result r;
        assert_int_equal(psy_billing_build(st, cx, dr.practice_id, "", "", &r), PSY_OK);
        unsetenv("PSYCLAIM_BUILD_AHEAD");
        psy__billing_stretch_items = items;
        assert_true(r.claims_new > 20);
        assert_int_equal(psy_billing_claim_list(st, dr.practice_id, NULL, &c[k], &n[k]), PSY_OK);
        hist[k] = test_db_count(&d, "SELECT count(*) FROM claim_status_history");
        /* the billed codes go out with the claims (on the writer's connection when there is one) */
        billed[k] = test_db_count(&d, "SELECT count(*) * 1000 + COALESCE(sum(length(billed_code) * id % 997), 0) "
                                      "FROM attendance WHERE billed_code IS NOT NULL");
        history[k] = test_db_count(&d, "SELECT count(*) FROM record_history");
        psy_coding_close(cx);
        psy_store_close(st);
        test_db_drop(&d);
    }
    assert_int_equal(n[0], n[1]);
    assert_int_equal(hist[0], hist[1]);
    assert_int_equal(billed[0], billed[1]);
    assert_true(billed[0] >= 1000);
    assert_int_equal(history[0], history[1]);
    size_t audited = 0, short_members = 0;
    for (size_t i = 0; i < n[0]; i++) {
        assert_int_equal(c[0][i].id, c[1][i].id);
        assert_string_equal(c[0][i].status, c[1][i].status);
        assert_int_equal(c[0][i].total_cents, c[1][i].total_cents);
        assert_string_equal(c[0][i].findings, c[1][i].findings);
        audited += strstr(c[0][i].findings, "\"source\":\"audit\"") != NULL;
        short_members += strstr(c[0][i].findings, "R-GRP-4") != NULL;
    }
    assert_true(audited > 0); /* the audit's findings are on claims: the comparison covers them */
    assert_int_equal(short_members, 6);
    psy_billing_claims_free(c[0], n[0]);
    psy_billing_claims_free(c[1], n[1]);
}

/* A stretch the writer cannot write fails the build as a stretch failing in turn does: the stretches
 * before it stay committed, nothing of it or after it is kept (claims, lines, members, billed codes),
 * the error says why, and the next build, once the cause is gone, bills the rest exactly once. */
static void test_build_writer_fails(void **state)
{
    const struct test_backend *b = *state;
    struct test_db d;
    test_db_make(b, &d);
    psy_store *st = test_db_open(&d, 1);
    struct psy_demo_opts o = {.seed = 7, .end_date = "2026-03-31", .weeks = 8, .clients = 50, .groups = 3};
    struct psy_demo_result dr;
    assert_int_equal(psy_records_demo(st, &o, &dr), PSY_OK);
    free(dr.problems);
    char err[300], sql[600];
    if (test_db_exec(&d, "UPDATE attendance SET billed_code = NULL", err, sizeof err)) fail_msg("%s", err);
    char *mid = test_db_text(&d, "SELECT service_date FROM session ORDER BY service_date, id LIMIT 1 OFFSET "
                                 "(SELECT count(*) / 2 FROM session)");
    if (b->pg)
        snprintf(sql, sizeof sql,
                 "CREATE FUNCTION refuse_claim() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.service_date "
                 ">= '%s' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$; CREATE TRIGGER "
                 "refuse_claim BEFORE INSERT ON claim FOR EACH ROW EXECUTE FUNCTION refuse_claim()", mid);
    else
        snprintf(sql, sizeof sql,
                 "CREATE TRIGGER refuse_claim BEFORE INSERT ON claim WHEN NEW.service_date >= '%s' BEGIN "
                 "SELECT RAISE(ABORT, 'refused by the test'); END", mid);
    if (test_db_exec(&d, sql, err, sizeof err)) fail_msg("%s", err);
    psy_coder *cx;
    assert_int_equal(psy_coding_open(st, &cx, err, sizeof err), PSY_OK);
    int items = psy__billing_stretch_items;
    psy__billing_stretch_items = 7;
    setenv("PSYCLAIM_BUILD_AHEAD", "on", 1);
    struct psy_billing_build_result r;
    assert_int_not_equal(psy_billing_build(st, cx, dr.practice_id, "", "", &r), PSY_OK);
    assert_non_null(strstr(psy_store_errmsg(st), "refused by the test"));
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claim WHERE service_date >= '%s'", mid);
    assert_int_equal(test_db_count(&d, sql), 0);
    assert_true(test_db_count(&d, "SELECT count(*) FROM claim") > 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM attendance a JOIN session s ON s.id = a.session_id WHERE "
                              "s.service_date >= '%s' AND a.billed_code IS NOT NULL", mid);
    assert_int_equal(test_db_count(&d, sql), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claim_session m JOIN session s ON s.id = m.session_id WHERE "
                              "s.service_date >= '%s'", mid);
    assert_int_equal(test_db_count(&d, sql), 0);
    /* what was kept is whole: every claim has its lines and its members, every member its claim */
    assert_int_equal(test_db_count(&d, "SELECT count(*) FROM claim c WHERE NOT EXISTS (SELECT 1 FROM claim_line l "
                                       "WHERE l.claim_id = c.id)"), 0);
    assert_int_equal(test_db_count(&d, "SELECT count(*) FROM claim_line l WHERE NOT EXISTS (SELECT 1 FROM claim_session "
                                       "m WHERE m.session_id = l.session_id AND m.client_id = l.client_id)"),
                     0);
    long long kept = test_db_count(&d, "SELECT count(*) FROM claim_session");
    if (test_db_exec(&d, b->pg ? "DROP TRIGGER refuse_claim ON claim" : "DROP TRIGGER refuse_claim", err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(psy_billing_build(st, cx, dr.practice_id, "", "", &r), PSY_OK);
    unsetenv("PSYCLAIM_BUILD_AHEAD");
    psy__billing_stretch_items = items;
    assert_true(r.claims_new > 0);
    assert_int_equal(r.already_billed, kept);
    assert_int_equal(test_db_count(&d, "SELECT count(*) FROM claim_session"), r.members - r.uninsured - r.not_coded);
    assert_true(test_db_count(&d, sql) > 0);
    assert_int_equal(test_db_count(&d, "SELECT count(*) FROM (SELECT session_id, client_id, code FROM claim_line "
                                       "GROUP BY session_id, client_id, code HAVING count(*) > 1) x"), 0);
    assert_int_equal(test_db_count(&d, "SELECT count(*) FROM claim WHERE scrubbed_at = ''"), 0);
    free(mid);
    psy_coding_close(cx);
    psy_store_close(st);
    test_db_drop(&d);
}

/* After the records are corrected, scrubbing every draft and ready claim again makes the held claim
 * ready without building anything anew; the counts match the claims' states. */
static char *qtext(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long long qn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Long work reports its progress: a build over the practice's sessions, a scrub over its open claims,
 * rising to the total and ending there; nothing once the function is taken away. */
static void test_progress(void **state)
{
    (void)state;
    struct seen_progress *p = calloc(1, sizeof *p);
    psy_store_set_progress(W.st, note_progress, p);
    struct psy_billing_build_result r;
    int items = psy__billing_stretch_items;
    psy__billing_stretch_items = 5; /* several windows of dates */
    assert_int_equal(psy_billing_build(W.st, W.cx, W.pr, "", "", &r), PSY_OK);
    psy__billing_stretch_items = items;
    assert_false(p->bad);
    assert_string_equal(p->what, "claims build");
    assert_int_equal(p->total, q1("SELECT count(*) FROM session"));
    assert_true(p->n > 2);
    assert_int_equal(p->done[0], 0);
    assert_int_equal(p->done[p->n - 1], p->total);
    memset(p, 0, sizeof *p);
    long ready, draft;
    assert_int_equal(psy_billing_scrub_all(W.st, W.pr, &ready, &draft), PSY_OK);
    assert_false(p->bad);
    assert_string_equal(p->what, "claims scrub");
    assert_int_equal(p->total, ready + draft);
    assert_int_equal(p->done[p->n - 1], p->total);
    psy_store_set_progress(W.st, NULL, NULL);
    memset(p, 0, sizeof *p);
    assert_int_equal(psy_billing_scrub_all(W.st, W.pr, &ready, &draft), PSY_OK);
    assert_int_equal(p->n, 0);
    free(p);
}

static void test_scrub_all(void **state)
{
    (void)state;
    char sql[320];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claim c JOIN claim_line l ON l.claim_id = c.id WHERE "
             "l.session_id = %lld AND c.status = '%s'", (long long)W.faulted_session, "draft");
    assert_int_equal(q1(sql), 1);
    long ready, draft;
    assert_int_equal(psy_billing_scrub_all(W.st, W.pr, &ready, &draft), PSY_OK);
    assert_int_equal(ready, q1("SELECT count(*) FROM claim WHERE status = 'ready'"));
    assert_int_equal(draft, q1("SELECT count(*) FROM claim WHERE status = 'draft'"));
    assert_int_equal(q1(sql), 1); /* nothing changed yet: still held */
    long drafts_before = draft;
    /* a claim whose stored findings lack the audit's (taken out by hand: the coding findings, made when
     * the lines were coded, are kept) gets them again, its status and version as they were; the claims
     * whose verdict is what they hold stay as they are */
    psy_id held = qn("SELECT l.claim_id FROM claim_line l WHERE l.session_id = %lld", (long long)W.faulted_session);
    char *want = qtext("SELECT findings FROM claim WHERE id = %lld", (long long)held);
    long long held_version = qn("SELECT version FROM claim WHERE id = %lld", (long long)held);
    long long versions = q1("SELECT sum(version) FROM claim"), moves = q1("SELECT count(*) FROM claim_status_history");
    json_t *all = json_loads(want, 0, NULL), *coding = json_array();
    size_t k;
    json_t *v;
    json_array_foreach(all, k, v) if (!strcmp(json_string_value(json_object_get(v, "source")), "coding"))
        json_array_append(coding, v);
    assert_true(json_array_size(coding) < json_array_size(all)); /* the audit's R-TIME-1 is among them */
    char *only = json_dumps(coding, JSON_COMPACT), tamper[1200];
    snprintf(tamper, sizeof tamper, "UPDATE claim SET findings = '%s' WHERE id = %lld", only, (long long)held);
    free(only);
    json_decref(all);
    json_decref(coding);
    assert_int_equal(test_db_exec(&W.db, tamper, NULL, 0), PSY_OK);
    assert_int_equal(psy_billing_scrub_all(W.st, W.pr, &ready, &draft), PSY_OK);
    char *got = qtext("SELECT findings FROM claim WHERE id = %lld", (long long)held);
    assert_string_equal(got, want);
    free(got);
    free(want);
    assert_int_equal(qn("SELECT version FROM claim WHERE id = %lld", (long long)held), held_version);
    assert_int_equal(q1("SELECT sum(version) FROM claim"), versions);
    assert_int_equal(q1("SELECT count(*) FROM claim_status_history"), moves);
    assert_int_equal(draft, drafts_before);
    /* the billed code put right for the session's minutes */
    struct psy_session s;
    assert_int_equal(psy_records_session_get(W.st, W.pr, W.faulted_session, &s), PSY_OK);
    int m = psy_records_session_minutes(&s);
    const char *code = m <= 37 ? "90832" : m <= 52 ? "90834" : "90837";
    psy_id fixed = qn("SELECT l.claim_id FROM claim_line l WHERE l.session_id = %lld", (long long)W.faulted_session);
    long long version = qn("SELECT version FROM claim WHERE id = %lld", (long long)fixed);
    assert_int_equal(psy_records_billed_set(W.st, W.pr, W.faulted_session, 0, code), PSY_OK);
    assert_int_equal(psy_billing_scrub_all(W.st, W.pr, &ready, &draft), PSY_OK);
    assert_int_equal(draft, drafts_before - 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claim c JOIN claim_line l ON l.claim_id = c.id WHERE "
             "l.session_id = %lld AND c.status = '%s'", (long long)W.faulted_session, "ready");
    assert_int_equal(q1(sql), 1);
    /* the move as psy_billing_transition makes it: one version more, its history row */
    assert_int_equal(qn("SELECT version FROM claim WHERE id = %lld", (long long)fixed), version + 1);
    assert_int_equal(qn("SELECT count(*) FROM claim_status_history WHERE claim_id = %lld AND from_status = 'draft' "
                        "AND to_status = 'ready' AND reason = 'the scrubber found no errors' AND id = (SELECT max(id) "
                        "FROM claim_status_history WHERE claim_id = %lld)",
                        (long long)fixed, (long long)fixed),
                     1);
    cli("claims scrub --json", 0, "\"ready\"", NULL, NULL);
    /* and back: a client's address gone sends the client's ready claims to draft (837P), each with
     * its history row; the address put back makes them ready again */
    psy_id moved = qn("SELECT min(id) FROM claim WHERE status = 'ready' AND frequency = 1 AND cob_from_claim_id IS "
                      "NULL AND practice_id = %lld",
                      (long long)W.pr);
    psy_id who = qn("SELECT client_id FROM claim WHERE id = %lld", (long long)moved);
    struct psy_client cl, kept;
    assert_int_equal(psy_records_client_get(W.st, W.pr, who, &cl), PSY_OK);
    kept = cl;
    cl.address[0] = cl.city[0] = cl.state[0] = cl.zip[0] = 0;
    assert_int_equal(psy_records_client_update(W.st, W.pr, &cl), PSY_OK);
    long long theirs = qn("SELECT count(*) FROM claim WHERE client_id = %lld AND status IN ('draft', 'ready')",
                          (long long)who);
    assert_int_equal(psy_billing_scrub_all(W.st, W.pr, &ready, &draft), PSY_OK);
    assert_int_equal(qn("SELECT count(*) FROM claim WHERE client_id = %lld AND status = 'draft'", (long long)who), theirs);
    assert_int_equal(qn("SELECT count(*) FROM claim_status_history WHERE claim_id = %lld AND from_status = 'ready' AND "
                        "to_status = 'draft' AND reason = 'the scrubber found errors'",
                        (long long)moved),
                     1);
    char *why = qtext("SELECT findings FROM claim WHERE id = %lld", (long long)moved);
    assert_non_null(strstr(why, "\"source\":\"837p\""));
    free(why);
    assert_int_equal(psy_records_client_get(W.st, W.pr, who, &cl), PSY_OK);
    memcpy(cl.address, kept.address, sizeof cl.address);
    memcpy(cl.city, kept.city, sizeof cl.city);
    memcpy(cl.state, kept.state, sizeof cl.state);
    memcpy(cl.zip, kept.zip, sizeof cl.zip);
    assert_int_equal(psy_records_client_update(W.st, W.pr, &cl), PSY_OK);
    /* in transactions of 3 claims (so a date's claims span several in the claim-by-claim path) and
     * stretches of about 3 claims' dates: each claim ends as scrubbing it alone leaves it (the scrub
     * audits each date once for the whole call) */
    int chunk = psy__billing_chunk_items, stretch = psy__billing_stretch_items;
    psy__billing_chunk_items = 3;
    psy__billing_stretch_items = 3;
    assert_int_equal(psy_billing_scrub_all(W.st, W.pr, &ready, &draft), PSY_OK);
    psy__billing_chunk_items = chunk;
    psy__billing_stretch_items = stretch;
    assert_int_equal(qn("SELECT count(*) FROM claim WHERE id = %lld AND status = 'ready'", (long long)moved), 1);
    assert_int_equal(ready, q1("SELECT count(*) FROM claim WHERE status = 'ready'"));
    long long n = q1("SELECT count(*) FROM claim WHERE status IN ('draft', 'ready')");
    assert_true(n > 10);
    long long *ids = calloc((size_t)n, sizeof *ids);
    char **after = calloc((size_t)n, sizeof *after);
    long long id = 0;
    for (long long i = 0; i < n; i++) {
        char next[200];
        snprintf(next, sizeof next, "SELECT min(id) FROM claim WHERE status IN ('draft', 'ready') AND id > %lld", id);
        ids[i] = id = q1(next);
        after[i] = qtext("SELECT status || ' ' || version || ' ' || findings FROM claim WHERE id = %lld", id);
    }
    for (long long i = 0; i < n; i++) {
        assert_int_equal(psy_billing_scrub(W.st, W.pr, ids[i]), PSY_OK);
        char *alone = qtext("SELECT status || ' ' || version || ' ' || findings FROM claim WHERE id = %lld", ids[i]);
        assert_string_equal(after[i], alone);
        free(alone);
        free(after[i]);
    }
    free(after);
    free(ids);
}

/* Revenue by month and payer over the claims that left the practice (submitted or later): its sums are
 * the claims' own, counted here by SQL of the test's own; rows in month, then payer-code order; a bad
 * month is refused naming the field. Runs after the 835 postings, so paid amounts are in it. */
static void test_revenue(void **state)
{
    (void)state;
    struct psy_billing_revenue *v;
    size_t n;
    assert_int_equal(psy_billing_revenue(W.st, W.pr, NULL, NULL, &v, &n), PSY_OK);
    assert_true(n > 0);
    long long claims = 0, billed = 0, paid = 0;
    for (size_t i = 0; i < n; i++) {
        claims += v[i].claims;
        billed += v[i].billed_cents;
        paid += v[i].paid_cents;
        if (i) {
            int c = strcmp(v[i - 1].month, v[i].month);
            assert_true(c < 0 || (c == 0 && strcmp(v[i - 1].payer_code, v[i].payer_code) < 0));
        }
    }
    char sql[300];
    const char *left = "status NOT IN ('draft', 'ready')";
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claim WHERE practice_id = %lld AND %s", (long long)W.pr, left);
    assert_int_equal(claims, q1(sql));
    snprintf(sql, sizeof sql, "SELECT COALESCE(SUM(total_cents), 0) FROM claim WHERE practice_id = %lld AND %s",
             (long long)W.pr, left);
    assert_int_equal(billed, q1(sql));
    snprintf(sql, sizeof sql, "SELECT COALESCE(SUM(paid_cents), 0) FROM claim WHERE practice_id = %lld AND %s",
             (long long)W.pr, left);
    assert_int_equal(paid, q1(sql));
    assert_true(paid > 0);
    char first[8];
    snprintf(first, sizeof first, "%s", v[0].month);
    free(v);
    /* one month only: its rows, and no other month's */
    size_t m;
    assert_int_equal(psy_billing_revenue(W.st, W.pr, first, first, &v, &m), PSY_OK);
    assert_true(m >= 1 && m <= n);
    for (size_t i = 0; i < m; i++) assert_string_equal(v[i].month, first);
    free(v);
    assert_int_equal(psy_billing_revenue(W.st, W.pr, "2026-13", NULL, &v, &m), PSY_EINVAL);
    assert_non_null(strstr(psy_store_errmsg(W.st), "from"));
}

/* A group that meets twice on one date: the second session is refused unless marked distinct with its
 * own times that overlap nothing; once so recorded and signed, each present member is billed a second
 * 90853 that day and the claim says it passes the 90853 MUE of 1 per date (MAI 3: payable on appeal
 * with records; domain.md 1.8, CMS practitioner MUE table 2024-07-01). */
static void test_group_twice_a_day(void **state)
{
    (void)state;
    struct psy_session *ss, g = {0};
    size_t n;
    assert_int_equal(psy_records_session_list(W.st, W.pr, "", "", &ss, &n), PSY_OK);
    for (size_t i = 0; i < n && !g.id; i++)
        if (!strcmp(ss[i].kind, "group") && ss[i].signed_at[0] && ss[i].start_utc[0] && ss[i].stop_utc[0]) g = ss[i];
    free(ss);
    assert_true(g.id > 0);
    struct psy_session s2 = g;
    s2.id = 0;
    s2.version = 0;
    s2.signed_at[0] = 0;
    s2.billed_code[0] = 0;
    psy_id sid = 0;
    assert_int_equal(psy_records_session_add(W.st, W.pr, &s2, &sid), PSY_EINVAL);
    assert_non_null(strstr(psy_store_errmsg(W.st), "service_date"));
    s2.distinct_session = 1;
    assert_int_equal(psy_records_session_add(W.st, W.pr, &s2, &sid), PSY_EINVAL); /* the very same times */
    assert_non_null(strstr(psy_store_errmsg(W.st), "overlaps"));
    s2.start_utc[0] = s2.stop_utc[0] = 0;
    assert_int_equal(psy_records_session_add(W.st, W.pr, &s2, &sid), PSY_EINVAL);
    assert_non_null(strstr(psy_store_errmsg(W.st), "start_utc"));
    /* two hours after the first one ends, for as long */
    int64_t a, b;
    assert_int_equal(psy__rec_epoch(g.start_utc, &a), 0);
    assert_int_equal(psy__rec_epoch(g.stop_utc, &b), 0);
    time_t t0 = (time_t)(b + 7200), t1 = (time_t)(b + 7200 + (b - a));
    struct tm tm;
    strftime(s2.start_utc, sizeof s2.start_utc, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t0, &tm));
    strftime(s2.stop_utc, sizeof s2.stop_utc, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t1, &tm));
    assert_int_equal(psy_records_session_add(W.st, W.pr, &s2, &sid), PSY_OK);
    /* the distinct one cannot turn plain while the first stands, nor move onto the first's times */
    struct psy_session e;
    assert_int_equal(psy_records_session_get(W.st, W.pr, sid, &e), PSY_OK);
    e.distinct_session = 0;
    assert_int_equal(psy_records_session_update(W.st, W.pr, &e), PSY_EINVAL);
    e.distinct_session = 1;
    memcpy(e.start_utc, g.start_utc, sizeof e.start_utc);
    assert_int_equal(psy_records_session_update(W.st, W.pr, &e), PSY_EINVAL);
    assert_non_null(strstr(psy_store_errmsg(W.st), "overlaps"));
    /* a day later, both open: the plain first one stays editable while a distinct second exists */
    struct psy_session d1 = s2, d2 = s2;
    t0 = (time_t)(a + 86400), t1 = (time_t)(b + 86400);
    strftime(d1.service_date, sizeof d1.service_date, "%Y-%m-%d", gmtime_r(&t0, &tm));
    memcpy(d2.service_date, d1.service_date, sizeof d2.service_date);
    strftime(d1.start_utc, sizeof d1.start_utc, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t0, &tm));
    strftime(d1.stop_utc, sizeof d1.stop_utc, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t1, &tm));
    d1.distinct_session = 0;
    t0 = (time_t)(b + 86400 + 3600), t1 = (time_t)(b + 86400 + 3600 + (b - a));
    strftime(d2.start_utc, sizeof d2.start_utc, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t0, &tm));
    strftime(d2.stop_utc, sizeof d2.stop_utc, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t1, &tm));
    psy_id id1, id2;
    assert_int_equal(psy_records_session_add(W.st, W.pr, &d1, &id1), PSY_OK);
    assert_int_equal(psy_records_session_add(W.st, W.pr, &d2, &id2), PSY_OK);
    assert_int_equal(psy_records_session_get(W.st, W.pr, id1, &e), PSY_OK);
    e.minutes = 50;
    assert_int_equal(psy_records_session_update(W.st, W.pr, &e), PSY_OK);
    /* the same members present, the same notes, signed */
    struct psy_attendance *at;
    size_t na, present = 0;
    assert_int_equal(psy_records_attendance_list(W.st, W.pr, g.id, &at, &na), PSY_OK);
    for (size_t i = 0; i < na; i++) {
        struct psy_attendance x = {.session_id = sid, .client_id = at[i].client_id, .present = at[i].present};
        assert_int_equal(psy_records_attendance_set(W.st, W.pr, &x, NULL), PSY_OK);
        present += at[i].present != 0;
    }
    free(at);
    struct psy_note *notes;
    size_t nn;
    assert_int_equal(psy_records_note_list(W.st, W.pr, g.id, &notes, &nn), PSY_OK);
    for (size_t i = 0; i < nn; i++) {
        struct psy_note x = notes[i];
        x.id = 0;
        x.version = 0;
        x.session_id = sid;
        psy_id nid;
        assert_int_equal(psy_records_note_save(W.st, W.pr, &x, &nid), PSY_OK);
        assert_int_equal(psy_records_note_sign(W.st, W.pr, nid, g.clinician_id), PSY_OK);
    }
    for (size_t i = 0; i < nn; i++) psy_note_clear(&notes[i]);
    free(notes);
    assert_int_equal(psy_records_session_sign(W.st, W.pr, sid, g.clinician_id), PSY_OK);

    struct psy_billing_build_result r;
    assert_int_equal(psy_billing_build(W.st, W.cx, W.pr, g.service_date, g.service_date, &r), PSY_OK);
    char sql[400];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claim_line WHERE session_id = %lld AND code = '90853'", (long long)sid);
    long long billed = q1(sql);
    assert_true(billed > 0);
    assert_true((size_t)billed <= present); /* members without insurance are not billed */
    /* each billed member: 90853 twice that day, the second claim line carrying the MUE finding */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claim c WHERE c.id IN (SELECT claim_id FROM claim_line WHERE "
             "session_id = %lld) AND c.findings LIKE '%%R-MUE-1%%' AND c.findings LIKE '%%MAI 3%%' AND c.findings LIKE "
             "'%%\"severity\":\"warning\"%%'", (long long)sid);
    assert_int_equal(q1(sql), billed);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claim_line l JOIN claim c ON c.id = l.claim_id WHERE l.code = '90853' "
             "AND c.service_date = '%s' AND l.client_id IN (SELECT client_id FROM claim_line WHERE session_id = %lld)",
             g.service_date, (long long)sid);
    assert_int_equal(q1(sql), 2 * billed);
}

/* --- after the first 835: corrections, voids, timely filing, the next payers, crossover ------------------ */

static char *qtext(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *qtext(const char *fmt, ...)
{
    char sql[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return test_db_text(&W.db, sql);
}

static long long qn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long long qn(const char *fmt, ...)
{
    char sql[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return q1(sql);
}

/* A paid original claim of payer code with one line, over 60.00, never replaced, of a client with one
 * policy. */
static psy_id lone_paid_claim(const char *payer)
{
    return qn("SELECT c.id FROM claim c JOIN payer p ON p.id = c.payer_id WHERE c.status = 'paid' AND p.payer_code = "
              "'%s' AND c.total_cents > 6000 AND c.frequency = 1 AND c.replaces_claim_id IS NULL AND c.cob_from_claim_id IS NULL AND (SELECT "
              "count(*) FROM claim_line l WHERE l.claim_id = c.id) = 1 AND NOT EXISTS (SELECT 1 FROM claim r WHERE "
              "r.replaces_claim_id = c.id) AND (SELECT count(*) FROM policy y WHERE y.client_id = c.client_id) = 1 "
              "ORDER BY c.id LIMIT 1", payer);
}

/* Exports the ready claims of a payer; returns the 837P (free it), asserting claims were in it. */
static char *export_payer(const char *code, size_t *len)
{
    char *doc = NULL, err[400];
    size_t n = 0;
    psy_id batch = 0;
    if (psy_billing_export_batch(W.st, W.pr, 0, code, &doc, len, &n, &batch, err, sizeof err)) fail_msg("%s", err);
    assert_true(n > 0);
    int v = test_pyx12(doc, *len);
    if (v >= 0) assert_int_equal(v, 1);
    return doc;
}

static void post_plb(const char *payer, const char *trace, const char *clps, long long plb,
                     struct psy_billing_post_result *r)
{
    size_t len;
    char *era = remit_as(payer, trace, clps, plb, &len), err[400];
    if (psy_billing_era_post(W.st, W.pr, era, len, r, err, sizeof err)) fail_msg("post %s: %s", trace, err);
    free(era);
}

static void post(const char *payer, const char *trace, const char *clps, struct psy_billing_post_result *r)
{
    post_plb(payer, trace, clps, 0, r);
}

/* Replaces (7) or voids (8) the claim; returns the new claim's id (0 and err when refused). */
static psy_id replace(psy_id claim, int freq, char *err, size_t errlen)
{
    psy_id made = 0;
    psy_status rc = psy_billing_claim_replace(W.st, W.pr, claim, freq, &made, err, errlen);
    if (rc) assert_int_equal(made, 0);
    return rc ? 0 : made;
}

/* IMP: R-CORR-1 -- a replacement (7) or void (8) carries the payer's claim number from the 835 (CLP07) in
 * REF*F8; it is refused, saying why, for a claim never sent, a void, one replaced already, and one whose
 * payer's number no 835 gave. The original keeps its payments; the claim page shows the chain. */
static void test_correct_void(void **state)
{
    (void)state;
    char err[400], *s;
    psy_id open_claim = qn("SELECT id FROM claim WHERE status IN ('draft', 'ready') ORDER BY id LIMIT 1");
    if (open_claim) {
        assert_int_equal(replace(open_claim, 7, err, sizeof err), 0);
        assert_non_null(strstr(err, "never sent"));
    }
    psy_id paid = lone_paid_claim("DEMOBLU01");
    assert_true(paid > 0);
    char *icn = qtext("SELECT payer_claim_number FROM payment WHERE claim_id = %lld AND claim_line_id IS NULL AND "
                      "reversed_by IS NULL ORDER BY id DESC LIMIT 1", (long long)paid);
    assert_true(strlen(icn) > 0);
    long long payments = qn("SELECT count(*) FROM payment WHERE claim_id = %lld", (long long)paid);
    psy_id r1 = replace(paid, 7, err, sizeof err);
    if (!r1) fail_msg("correct: %s", err);
    assert_int_equal(qn("SELECT count(*) FROM claim WHERE id = %lld AND frequency = 7 AND replaces_claim_id = %lld "
                        "AND status = 'ready'", (long long)r1, (long long)paid), 1);
    s = qtext("SELECT payer_claim_number FROM claim WHERE id = %lld", (long long)r1);
    assert_string_equal(s, icn);
    free(s);
    assert_int_equal(qn("SELECT count(*) FROM payment WHERE claim_id = %lld", (long long)paid), payments);
    assert_int_equal(replace(paid, 7, err, sizeof err), 0);
    assert_non_null(strstr(err, "already replaced by claim"));
    assert_int_equal(replace(paid, 8, err, sizeof err), 0);
    assert_non_null(strstr(err, "already replaced"));
    char *number = qtext("SELECT claim_number FROM claim WHERE id = %lld", (long long)r1);
    assert_int_equal(qn("SELECT count(*) FROM claim_status_history WHERE claim_id = %lld AND reason LIKE '%%replaced by "
                        "claim %s%%'", (long long)paid, number), 1);
    /* the replacement leaves in the next export, CLM05-3 = 7 and REF*F8 with the payer's number */
    size_t len;
    char *doc = export_payer("DEMOBLU01", &len), want[120];
    snprintf(want, sizeof want, "CLM*%s*", number);
    const char *clm = strstr(doc, want);
    assert_non_null(clm);
    assert_non_null(strstr(clm, ":B:7*"));
    snprintf(want, sizeof want, "REF*F8*%s~", icn);
    assert_non_null(strstr(clm, want));
    free(doc);
    /* the claim page: the chain, the original first */
    char *json = NULL;
    assert_int_equal(psy_billing_claim_json(W.st, W.pr, r1, &json, &len), PSY_OK);
    json_t *d = json_loads(json, 0, NULL), *chain = json_object_get(d, "chain");
    assert_int_equal(json_array_size(chain), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(chain, 0), "id")), paid);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(chain, 1), "replaces")), paid);
    json_decref(d);
    free(json);
    /* paid without a payer's claim number: nothing to put in REF*F8 */
    struct psy_billing_post_result r;
    long long total = qn("SELECT total_cents FROM claim WHERE id = %lld", (long long)r1);
    char clps[400], t[32];
    money(total, t);
    snprintf(clps, sizeof clps, "CLP*%s*1*%s*%s**CI", number, t, t);
    post("DEMO PAYER", "CORR0001", clps, &r);
    assert_int_equal(r.claims, 1);
    assert_int_equal(replace(r1, 7, err, sizeof err), 0);
    assert_non_null(strstr(err, "payer's claim number (835 CLP07) is unknown"));
    /* a void of a denied claim, and a void cannot be voided */
    psy_id denied = qn("SELECT id FROM claim WHERE status = 'denied' ORDER BY id LIMIT 1");
    assert_true(denied > 0);
    psy_id v1 = replace(denied, 8, err, sizeof err);
    if (!v1) fail_msg("void: %s", err);
    char *payer = qtext("SELECT p.payer_code FROM claim c JOIN payer p ON p.id = c.payer_id WHERE c.id = %lld",
                        (long long)v1);
    char *vnum = qtext("SELECT claim_number FROM claim WHERE id = %lld", (long long)v1);
    doc = export_payer(payer, &len);
    snprintf(want, sizeof want, "CLM*%s*", vnum);
    assert_non_null(clm = strstr(doc, want));
    assert_non_null(strstr(clm, ":B:8*"));
    assert_non_null(strstr(clm, "REF*F8*"));
    free(doc);
    assert_int_equal(replace(v1, 8, err, sizeof err), 0);
    assert_non_null(strstr(err, "itself a void"));
    /* the commands say the same */
    char line[160];
    snprintf(line, sizeof line, "claims void %s", vnum);
    cli(line, 1, NULL, "itself a void", NULL);
    cli("claims correct PC99999999", 2, NULL, "no claim numbered", NULL);
    cli("claims correct", 2, NULL, "one CLAIM", NULL);
    free(payer);
    free(vnum);
    free(number);
    free(icn);
}

/* IMP: R-835-ZERO -- paid 0 with the whole amount on the patient (CAS PR 1, deductible) is processed and owed
 * by the patient; paid 0 with only a CO reason is a denial. */
/* A claim's moves taken together (psy__billing_walk, what the 835 posting uses): each step must be a
 * lifecycle move, each starts from the state the caller read, and every move keeps its history row. */
static void test_status_walk(void **state)
{
    (void)state;
    long long id = q1("SELECT min(id) FROM claim WHERE status = 'ready'");
    assert_true(id > 0);
    long long rows = q1("SELECT count(*) FROM claim_status_history");
    assert_int_equal(psy__store_begin(W.st), PSY_OK);
    const psy_claim_state acc[] = {PSY_CLAIM_ACCEPTED}, ready_on[] = {PSY_CLAIM_SUBMITTED, PSY_CLAIM_ACCEPTED},
                          back[] = {PSY_CLAIM_READY};
    const char *why[] = {"sent", "adjudicated"};
    /* read as submitted, but it is ready: nothing moves */
    assert_int_equal(psy__billing_walk(W.st, W.pr, id, PSY_CLAIM_SUBMITTED, acc, why + 1, 1), PSY_ECONFLICT);
    assert_non_null(strstr(psy_store_errmsg(W.st), "no longer submitted"));
    psy__store_rollback(W.st);
    assert_int_equal(q1("SELECT count(*) FROM claim_status_history"), rows);
    /* ready -> submitted -> accepted in one unit: two history rows, in order */
    assert_int_equal(psy__store_begin(W.st), PSY_OK);
    assert_int_equal(psy__billing_walk(W.st, W.pr, id, PSY_CLAIM_READY, ready_on, why, 2), PSY_OK);
    int64_t n = 0;
    assert_int_equal(psy__db_int(W.st, &n, "SELECT count(*) FROM claim WHERE id = ? AND status = 'accepted'",
                                 PSY_ARGS(PSY_INT(id))), PSY_OK);
    assert_int_equal(n, 1);
    assert_int_equal(psy__db_int(W.st, &n,
                                 "SELECT count(*) FROM claim_status_history WHERE claim_id = ? AND ((from_status = "
                                 "'ready' AND to_status = 'submitted' AND reason = 'sent') OR (from_status = "
                                 "'submitted' AND to_status = 'accepted' AND reason = 'adjudicated'))",
                                 PSY_ARGS(PSY_INT(id))), PSY_OK);
    assert_int_equal(n, 2);
    /* accepted -> ready is no lifecycle move */
    assert_int_equal(psy__billing_walk(W.st, W.pr, id, PSY_CLAIM_ACCEPTED, back, why, 1), PSY_EINVAL);
    psy__store_rollback(W.st);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claim WHERE id = %lld AND status = 'ready'", id);
    assert_int_equal(q1(sql), 1);
    assert_int_equal(q1("SELECT count(*) FROM claim_status_history"), rows);
}

static void test_zero_pay_patient_share(void **state)
{
    (void)state;
    char err[400], clps[400], t[32];
    psy_id a = replace(lone_paid_claim("DEMOBLU01"), 7, err, sizeof err);
    if (!a) fail_msg("%s", err);
    psy_id b = replace(lone_paid_claim("DEMOBLU01"), 7, err, sizeof err);
    if (!b) fail_msg("%s", err);
    psy_id z = replace(lone_paid_claim("DEMOBLU01"), 7, err, sizeof err);
    if (!z) fail_msg("%s", err);
    size_t len;
    free(export_payer("DEMOBLU01", &len));
    char *na = qtext("SELECT claim_number FROM claim WHERE id = %lld", (long long)a);
    char *nb = qtext("SELECT claim_number FROM claim WHERE id = %lld", (long long)b);
    money(qn("SELECT total_cents FROM claim WHERE id = %lld", (long long)a), t);
    struct psy_billing_post_result r;
    snprintf(clps, sizeof clps, "CLP*%s*1*%s*0*%s*CI*ICNZ1~CAS*PR*1*%s", na, t, t, t);
    post("DEMO PAYER", "ZERO0001", clps, &r);
    assert_int_equal(r.denied, 0);
    assert_int_equal(qn("SELECT count(*) FROM claim WHERE id = %lld AND status = 'partially_paid' AND paid_cents = 0 "
                        "AND patient_cents = total_cents", (long long)a), 1);
    assert_int_equal(qn("SELECT count(*) FROM claim WHERE id = %lld AND findings LIKE '%%R-835-DENIED%%'", (long long)a), 0);
    money(qn("SELECT total_cents FROM claim WHERE id = %lld", (long long)b), t);
    snprintf(clps, sizeof clps, "CLP*%s*1*%s*0*0*CI*ICNZ2~CAS*CO*97*%s", nb, t, t);
    post("DEMO PAYER", "ZERO0002", clps, &r);
    assert_int_equal(r.denied, 1);
    assert_int_equal(qn("SELECT count(*) FROM claim WHERE id = %lld AND status = 'denied'", (long long)b), 1);
    /* processed as secondary, nothing more to pay after the prior payer (OA 23): not a denial either */
    char *nz = qtext("SELECT claim_number FROM claim WHERE id = %lld", (long long)z);
    money(qn("SELECT total_cents FROM claim WHERE id = %lld", (long long)z), t);
    snprintf(clps, sizeof clps, "CLP*%s*2*%s*0*0*CI*ICNZ3~CAS*OA*23*%s", nz, t, t);
    post("DEMO PAYER", "ZERO0003", clps, &r);
    assert_int_equal(r.denied, 0);
    assert_int_equal(qn("SELECT count(*) FROM claim WHERE id = %lld AND status = 'partially_paid'", (long long)z), 1);
    free(nz);
    free(na);
    free(nb);
}

/* in, lower-cased, into out (len bytes). */
static void lower_copy(const char *in, char *out, size_t len)
{
    size_t i = 0;
    for (; in[i] && i + 1 < len; i++) out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = 0;
}

/* Whether hay, lower-cased, holds needle (lower case). */
static int holds(const char *hay, const char *needle)
{
    char low[600];
    lower_copy(hay, low, sizeof low);
    return strstr(low, needle) != NULL;
}

/* The claims list searched on the server (issue 20): a client's name as "first last" or "last, first", or
 * a claim number or part of one, any case; the count and every listed claim agree with a walk over all
 * the practice's claims. */
static void test_claim_search(void **state)
{
    (void)state;
    struct psy_billing_claim *all;
    size_t nall;
    assert_int_equal(psy_billing_claim_list(W.st, W.pr, NULL, &all, &nall), PSY_OK);
    assert_true(nall > 10);
    const struct psy_billing_claim *c0 = &all[nall / 2];
    char q[6][400];
    snprintf(q[0], sizeof q[0], "%s", c0->client_last);                               /* a last name */
    snprintf(q[1], sizeof q[1], "%s %s", c0->client_first, c0->client_last);          /* first last */
    snprintf(q[2], sizeof q[2], "%s, %.3s", c0->client_last, c0->client_first);       /* last, fir */
    snprintf(q[3], sizeof q[3], "%s", c0->number);                                    /* a whole number */
    snprintf(q[4], sizeof q[4], "%.*s", (int)strlen(c0->number) - 1, c0->number + 1); /* part of one */
    snprintf(q[5], sizeof q[5], "zqxw");                                              /* nothing */
    for (size_t k = 0; k < 6; k++) {
        char low[400];
        lower_copy(q[k], low, sizeof low);
        long long want = 0;
        for (size_t j = 0; j < nall; j++) {
            char fl[300], lf[300];
            snprintf(fl, sizeof fl, "%s %s", all[j].client_first, all[j].client_last);
            snprintf(lf, sizeof lf, "%s, %s", all[j].client_last, all[j].client_first);
            want += holds(fl, low) || holds(lf, low) || holds(all[j].number, low);
        }
        struct psy_billing_claim_filter f = {.q = q[k]};
        struct psy_page pg = {.limit = 200};
        struct psy_billing_claim *c;
        size_t n;
        assert_int_equal(psy_billing_claim_page(W.st, W.pr, &f, &pg, &c, &n), PSY_OK);
        if (pg.total != want) fail_msg("'%s': %lld claims, want %lld", q[k], pg.total, want);
        for (size_t j = 0; j < n; j++) {
            char fl[300], lf[300];
            snprintf(fl, sizeof fl, "%s %s", c[j].client_first, c[j].client_last);
            snprintf(lf, sizeof lf, "%s, %s", c[j].client_last, c[j].client_first);
            if (!holds(fl, low) && !holds(lf, low) && !holds(c[j].number, low))
                fail_msg("'%s' listed claim %s of %s %s", q[k], c[j].number, c[j].client_first, c[j].client_last);
        }
        assert_true(k == 5 ? n == 0 : n > 0);
        psy_billing_claims_free(c, n);
    }
    psy_billing_claims_free(all, nall);
}

/* Whether session row r is one a search for low (lower case) should list: its client's name as "first
 * last" or "last, first", or its group's name. */
static int session_named(const struct psy_session_row *r, const char *low)
{
    char fl[300], lf[300];
    snprintf(fl, sizeof fl, "%s %s", r->client_first, r->client_last);
    snprintf(lf, sizeof lf, "%s, %s", r->client_last, r->client_first);
    return (r->client_id && (holds(fl, low) || holds(lf, low))) || (r->group_id && holds(r->group_name, low));
}

/* The sessions list searched on the server: by a client's name or a group's, any case; the count and
 * every listed session agree with a walk over every page of the unfiltered list. */
static void test_session_search(void **state)
{
    (void)state;
    struct psy_session_row *all = NULL;
    size_t nall = 0;
    char cursor[PSY_CURSOR_MAX] = "";
    do {
        struct psy_session_filter f = {0};
        struct psy_page pg = {.cursor = cursor, .limit = PSY_PAGE_MAX};
        struct psy_session_row *rows;
        size_t n;
        assert_int_equal(psy_records_session_page(W.st, W.pr, &f, &pg, &rows, &n), PSY_OK);
        all = realloc(all, (nall + n + 1) * sizeof *all);
        memcpy(all + nall, rows, n * sizeof *rows);
        nall += n;
        free(rows);
        snprintf(cursor, sizeof cursor, "%s", pg.next_cursor);
    } while (cursor[0]);
    assert_true(nall > 10);
    const struct psy_session_row *ind = NULL, *grp = NULL;
    for (size_t i = 0; i < nall; i++) {
        if (!ind && all[i].client_id) ind = &all[i];
        if (!grp && all[i].group_id) grp = &all[i];
    }
    assert_non_null(ind);
    assert_non_null(grp);
    char q[4][300];
    snprintf(q[0], sizeof q[0], "%s", ind->client_last);
    snprintf(q[1], sizeof q[1], "%s %s", ind->client_first, ind->client_last);
    snprintf(q[2], sizeof q[2], "%s", grp->group_name);
    snprintf(q[3], sizeof q[3], "zqxw");
    for (size_t k = 0; k < 4; k++) {
        char low[300];
        lower_copy(q[k], low, sizeof low);
        long long want = 0;
        for (size_t j = 0; j < nall; j++) want += session_named(&all[j], low);
        struct psy_session_filter f = {.q = q[k]};
        struct psy_page pg = {.limit = PSY_PAGE_MAX};
        struct psy_session_row *rows;
        size_t n;
        assert_int_equal(psy_records_session_page(W.st, W.pr, &f, &pg, &rows, &n), PSY_OK);
        if (pg.total != want) fail_msg("'%s': %lld sessions, want %lld", q[k], pg.total, want);
        for (size_t j = 0; j < n; j++)
            if (!session_named(&rows[j], low)) fail_msg("'%s' listed session %lld", q[k], (long long)rows[j].id);
        assert_true(k == 3 ? n == 0 : n > 0);
        free(rows);
    }
    free(all);
}

/* IMP: R-TF-1 -- Medicare: "1 calendar year after the date of service" (42 CFR 424.44(a)(1)); CMS Pub.
 * 100-04 ch. 1 sec. 70: a service of March 31 may be filed through March 31 of the next year, one of
 * February 29 through February 28, and a last day on a Saturday, Sunday, federal non-workday or legal
 * holiday moves to the next workday. Medicaid: 12 months from the date of service (42 CFR
 * 447.45(d)(1)), without that move. A payer record's own limit is days. */
static psy_id timely_payer(const char *code, const char *kind, const char *profile)
{
    struct psy_payer p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "Timely filing %s", code);
    snprintf(p.payer_code, sizeof p.payer_code, "%s", code);
    snprintf(p.kind, sizeof p.kind, "%s", kind);
    snprintf(p.profile, sizeof p.profile, "%s", profile);
    psy_id id = 0;
    assert_int_equal(psy_records_payer_add(W.st, W.pr, &p, &id), PSY_OK);
    return id;
}

static void test_timely_last_day(void **state)
{
    (void)state;
    psy_id mcr = timely_payer("TFMCR01", "medicare", "medicare"),
           mcd = timely_payer("TFMCD01", "medicaid", "example-medicaid"),
           com = timely_payer("TFCOM01", "commercial", "default");
    struct { psy_store *st; psy_id pr; } f = {W.st, W.pr};
    static const struct {
        int which;
        const char *dos, *last;
    } cases[] = {
        {0, "2023-03-15", "2024-03-15"}, /* a Friday: a year, not 365 days (2024-03-14) across February 29 */
        {0, "2024-02-29", "2025-02-28"}, /* the manual's own example */
        {0, "2023-03-31", "2024-04-01"}, /* 2024-03-31 is a Sunday */
        {0, "2024-07-04", "2025-07-07"}, /* Independence Day on a Friday, then the weekend */
        {0, "2026-12-24", "2027-12-27"}, /* Christmas 2027 is a Saturday, observed Friday the 24th */
        {0, "2025-01-20", "2026-01-20"}, /* a Tuesday; 2026-01-19 is Martin Luther King Jr. Day */
        {0, "2024-01-15", "2025-01-15"}, /* a Wednesday */
        {0, "2024-11-28", "2025-11-28"}, /* the day after Thanksgiving 2025 is a workday */
        {0, "2024-11-27", "2025-11-28"}, /* Thanksgiving 2025 is November 27 */
        {1, "2024-08-31", "2025-08-31"}, /* Medicaid: 12 months, a Sunday stays */
        {1, "2024-02-29", "2025-02-28"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char last[PSY_DATE_MAX];
        int days = 0;
        assert_int_equal(psy_billing_timely_last_day(f.st, f.pr, cases[i].which ? mcd : mcr, cases[i].dos, last, &days),
                         PSY_OK);
        if (strcmp(last, cases[i].last)) fail_msg("%s: last day %s, want %s", cases[i].dos, last, cases[i].last);
        assert_int_equal(days, psy_date_between(cases[i].dos, cases[i].last));
    }
    /* a commercial plan without a stated limit: none; with the record's own limit: days */
    char last[PSY_DATE_MAX];
    int days = -1;
    assert_int_equal(psy_billing_timely_last_day(f.st, f.pr, com, "2024-03-15", last, &days), PSY_OK);
    assert_string_equal(last, "");
    assert_int_equal(days, 0);
    struct psy_payer p;
    assert_int_equal(psy_records_payer_get(f.st, f.pr, com, &p), PSY_OK);
    p.timely_filing_days = 90;
    assert_int_equal(psy_records_payer_update(f.st, f.pr, &p), PSY_OK);
    assert_int_equal(psy_billing_timely_last_day(f.st, f.pr, com, "2024-03-15", last, &days), PSY_OK);
    assert_string_equal(last, "2024-06-13");
    assert_int_equal(days, 90);
    assert_int_equal(psy_billing_timely_last_day(f.st, f.pr, com, "2024-02-30", last, &days), PSY_EINVAL);
    assert_int_equal(psy_billing_timely_last_day(f.st, f.pr, 999999, "2024-02-20", last, &days), PSY_ENOTFOUND);
}

/* IMP: R-TF-1 -- the payer's own limit, else its profile's (Medicare one calendar year from the date of service); an
 * export past it is refused naming the claim and the limit, unless sent late with a reason kept in history. */
static void test_timely_filing(void **state)
{
    (void)state;
    struct psy_billing_claim *c;
    size_t n;
    struct psy_payer p;
    psy_id mcr = qn("SELECT id FROM payer WHERE payer_code = 'DEMOMCR01' AND practice_id = %lld", (long long)W.pr);
    assert_int_equal(psy_records_payer_get(W.st, W.pr, mcr, &p), PSY_OK);
    p.timely_filing_days = 0; /* the limit of its profile, then */
    assert_int_equal(psy_records_payer_update(W.st, W.pr, &p), PSY_OK);
    assert_int_equal(psy_records_payer_get(W.st, W.pr, qn("SELECT id FROM payer WHERE payer_code = 'DEMOBLU01' AND "
                                                          "practice_id = %lld", (long long)W.pr), &p),
                     PSY_OK);
    p.timely_filing_days = 0;
    assert_int_equal(psy_records_payer_update(W.st, W.pr, &p), PSY_OK);
    assert_int_equal(psy_billing_claim_list(W.st, W.pr, NULL, &c, &n), PSY_OK);
    int seen = 0;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(c[i].payer_code, "DEMOMCR01")) {
            /* one calendar year: the same date a year later, on or after it when that is no workday */
            char year_on[PSY_DATE_MAX];
            assert_true(psy_date_add_months(c[i].service_date, 12, year_on));
            long long to = psy_date_between(c[i].service_date, year_on);
            if (c[i].timely_limit < to || c[i].timely_limit > to + 4)
                fail_msg("claim of %s: limit %d days", c[i].service_date, c[i].timely_limit);
            seen++;
        } else if (!strcmp(c[i].payer_code, "DEMOBLU01")) {
            assert_int_equal(c[i].timely_limit, 0); /* a commercial plan's limit is its contract's: not known */
        }
    assert_true(seen > 0);
    psy_billing_claims_free(c, n);
    test_payers_take_late_claims(W.st, W.pr);
    psy_id pid = qn("SELECT id FROM payer WHERE payer_code = 'DEMOBLU01' AND practice_id = %lld", (long long)W.pr);
    assert_int_equal(psy_records_payer_get(W.st, W.pr, pid, &p), PSY_OK);
    p.timely_filing_days = 30;
    assert_int_equal(psy_records_payer_update(W.st, W.pr, &p), PSY_OK);
    char err[400];
    psy_id late = replace(lone_paid_claim("DEMOBLU01"), 7, err, sizeof err);
    if (!late) fail_msg("%s", err);
    char *num = qtext("SELECT claim_number FROM claim WHERE id = %lld", (long long)late);
    char *dos = qtext("SELECT service_date FROM claim WHERE id = %lld", (long long)late);
    char today[PSY_DATE_MAX], want[200];
    assert_true(psy_date_today("UTC", today));
    long long left = 30 - psy_date_between(dos, today);
    /* the report: days left from the date of service, soonest first */
    struct psy_billing_timely *t;
    assert_int_equal(psy_billing_timely(W.st, W.pr, -1, today, &t, &n), PSY_OK);
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (i) assert_true(t[i - 1].days_left <= t[i].days_left);
        if (t[i].claim != late) continue;
        found = 1;
        assert_int_equal(t[i].limit_days, 30);
        assert_int_equal(t[i].days_left, left);
    }
    /* a page at a time: the same claims in the same order, every claim once, whatever the page size */
    for (int lim = 1; lim <= 3; lim++) {
        struct psy_billing_timely_filter f = {.within = -1, .today = today};
        struct psy_page pg = {.limit = lim};
        char cur[PSY_CURSOR_MAX] = "";
        size_t at = 0;
        for (int guard = 0; guard < 10000; guard++) {
            struct psy_billing_timely *pt;
            size_t np;
            pg.cursor = cur;
            assert_int_equal(psy_billing_timely_page(W.st, W.pr, &f, &pg, &pt, &np), PSY_OK);
            assert_int_equal(pg.total, (long long)n);
            assert_true(np <= (size_t)lim);
            for (size_t i = 0; i < np; i++, at++) {
                assert_true(at < n);
                assert_int_equal(pt[i].claim, t[at].claim);
                assert_int_equal(pt[i].days_left, t[at].days_left);
                assert_string_equal(pt[i].deadline, t[at].deadline);
            }
            free(pt);
            if (!pg.next_cursor[0]) break;
            assert_int_equal(np, lim);
            snprintf(cur, sizeof cur, "%s", pg.next_cursor);
        }
        assert_int_equal(at, n);
    }
    {
        /* one payer's claims only; a cursor no list gave is refused by name */
        struct psy_billing_timely_filter f = {.within = -1, .today = today, .payer = "DEMOBLU01"};
        struct psy_page pg = {.limit = 500};
        struct psy_billing_timely *pt;
        size_t np, mine = 0;
        for (size_t i = 0; i < n; i++) mine += !strcmp(t[i].payer_code, "DEMOBLU01");
        assert_int_equal(psy_billing_timely_page(W.st, W.pr, &f, &pg, &pt, &np), PSY_OK);
        assert_int_equal(pg.total, (long long)mine);
        for (size_t i = 0; i < np; i++) assert_string_equal(pt[i].payer_code, "DEMOBLU01");
        free(pt);
        /* searched: by part of a claim number, by a client's name */
        struct psy_billing_timely_filter fq = {.within = -1, .today = today, .q = t[0].number + 3};
        struct psy_page pq = {.limit = 500};
        assert_int_equal(psy_billing_timely_page(W.st, W.pr, &fq, &pq, &pt, &np), PSY_OK);
        int hit = 0;
        for (size_t i = 0; i < np; i++) hit |= pt[i].claim == t[0].claim;
        assert_true(hit);
        for (size_t i = 0; i < np; i++) assert_non_null(strstr(pt[i].number, t[0].number + 3));
        free(pt);
        char *last = qtext("SELECT lower(last_name) FROM client WHERE id = %lld", (long long)t[0].client_id);
        fq.q = last;
        assert_int_equal(psy_billing_timely_page(W.st, W.pr, &fq, &pq, &pt, &np), PSY_OK);
        assert_true(np >= 1);
        for (size_t i = 0; i < np; i++) {
            char *ln = qtext("SELECT lower(last_name) FROM client WHERE id = %lld", (long long)pt[i].client_id);
            assert_non_null(strstr(ln, last));
            free(ln);
        }
        free(pt);
        free(last);
        static const char *bad[] = {"x", "p12", "p12.zz", "p12.", "p12.41424344"};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            pg.cursor = bad[i];
            assert_int_equal(psy_billing_timely_page(W.st, W.pr, &f, &pg, &pt, &np), PSY_EINVAL);
            assert_non_null(strstr(psy_store_errmsg(W.st), "cursor"));
            assert_null(pt);
        }
    }
    free(t);
    assert_true(found);
    assert_int_equal(psy_billing_timely(W.st, W.pr, 5, "2026-02-30", &t, &n), PSY_EINVAL);
    if (left < 0) {
        char *doc = NULL;
        size_t len = 0, sent = 0;
        psy_id batch = 0;
        assert_int_equal(psy_billing_export_batch(W.st, W.pr, pid, NULL, &doc, &len, &sent, &batch, err, sizeof err),
                         PSY_EINVAL);
        assert_non_null(strstr(err, num));
        assert_non_null(strstr(err, "30 days"));
        assert_null(doc);
        assert_int_equal(qn("SELECT count(*) FROM claim WHERE id = %lld AND status = 'ready'", (long long)late), 1);
        snprintf(want, sizeof want, "\"claim\": \"%s\"", num);
        cli("claims timely --within 0 --json", 0, want, NULL, NULL);
        cli("claims export --payer DEMOBLU01 --out /dev/null --force-late", 2, NULL, "--reason", NULL);
        cli("claims export --payer DEMOBLU01 --out /dev/null", 1, NULL, "timely-filing limit of 30 days", NULL);
        assert_int_equal(psy_billing_export_late(W.st, W.pr, pid, NULL, "the payer granted an exception", &doc, &len,
                                                 &sent, &batch, err, sizeof err),
                         PSY_OK);
        free(doc);
        assert_int_equal(qn("SELECT count(*) FROM claim WHERE id = %lld AND status = 'submitted' AND late_reason = "
                            "'the payer granted an exception'", (long long)late), 1);
        assert_int_equal(qn("SELECT count(*) FROM claim_status_history WHERE claim_id = %lld AND reason LIKE "
                            "'%%timely-filing limit of 30 days%%the payer granted an exception'", (long long)late), 1);
    }
    test_payers_take_late_claims(W.st, W.pr);
    free(num);
    free(dos);
}

/* Adds a policy of priority to the client of claim, with the payer of code. */
static void add_policy(psy_id claim, const char *code, int priority, const char *member)
{
    struct psy_policy y = {0};
    y.client_id = qn("SELECT client_id FROM claim WHERE id = %lld", (long long)claim);
    y.payer_id = qn("SELECT id FROM payer WHERE payer_code = '%s' AND practice_id = %lld", code, (long long)W.pr);
    snprintf(y.member_id, sizeof y.member_id, "%s", member);
    y.priority = priority;
    snprintf(y.relation, sizeof y.relation, "self");
    snprintf(y.start_date, sizeof y.start_date, "2020-01-01");
    psy_id id;
    assert_int_equal(psy_records_policy_add(W.st, W.pr, &y, &id), PSY_OK);
}

/* A paid claim of the demo payer whose client gets a secondary policy (DEMOCDR01, member id member): sent
 * again to the primary as a replacement (7), so that its 835 finds the secondary on file. */
static psy_id sent_with_secondary(const char *member)
{
    char err[400];
    size_t len;
    psy_id orig = lone_paid_claim("DEMOBLU01");
    assert_true(orig > 0);
    add_policy(orig, "DEMOCDR01", 2, member);
    psy_id p = replace(orig, 7, err, sizeof err);
    if (!p) fail_msg("%s", err);
    free(export_payer("DEMOBLU01", &len));
    return p;
}

/* The CLP loop of a primary's 835 for claim p (its one line): paid all but 50.00, of which CO 45 20.00
 * and the patient's PR 2 30.00; icn is the payer's claim number. */
static void primary_clp(psy_id p, const char *icn, char *clps, size_t len)
{
    char t[32], paid[32], co[32], pr[32];
    char *num = qtext("SELECT claim_number FROM claim WHERE id = %lld", (long long)p);
    char *code = qtext("SELECT code FROM claim_line WHERE claim_id = %lld", (long long)p);
    long long total = qn("SELECT total_cents FROM claim WHERE id = %lld", (long long)p);
    money(total, t);
    money(total - 5000, paid);
    money(2000, co);
    money(3000, pr);
    snprintf(clps, len, "CLP*%s*1*%s*%s*%s*CI*%s~SVC*HC:%s*%s*%s**1~CAS*CO*45*%s~CAS*PR*2*%s", num, t, paid, pr, icn,
             code, t, paid, co, pr);
    free(num);
    free(code);
}

/* IMP: R-COB-1 -- once the primary's 835 is posted, a client with a secondary policy gets the secondary's
 * claim: same lines, the primary's adjudication in 2320/2330A/2330B and each line's 2430, balanced; then
 * the tertiary's after the secondary's 835, with two 2320 loops. Posting again builds nothing more. */
static void test_secondary_claim(void **state)
{
    (void)state;
    char clps[700], t[32], paid[32], co[32], pr[32];
    psy_id p = sent_with_secondary("CDR55501");
    size_t len;
    char *num = qtext("SELECT claim_number FROM claim WHERE id = %lld", (long long)p);
    char *code = qtext("SELECT code FROM claim_line WHERE claim_id = %lld", (long long)p);
    long long total = qn("SELECT total_cents FROM claim WHERE id = %lld", (long long)p);
    assert_true(total > 6000);
    money(total, t);
    money(total - 5000, paid);
    money(2000, co);
    money(3000, pr);
    primary_clp(p, "ICNP1", clps, sizeof clps);
    struct psy_billing_post_result r;
    post("Bluestem Health Plan (demo)*XV*DEMOBLU01", "COB0001", clps, &r);
    assert_int_equal(r.claims, 1);
    assert_int_equal(r.next_claims, 1);
    psy_id sec = qn("SELECT id FROM claim WHERE cob_from_claim_id = %lld", (long long)p);
    assert_true(sec > 0);
    assert_int_equal(qn("SELECT count(*) FROM claim c JOIN payer y ON y.id = c.payer_id WHERE c.id = %lld AND "
                        "y.payer_code = 'DEMOCDR01' AND c.frequency = 1 AND c.total_cents = %lld",
                        (long long)sec, total), 1);
    char *st = qtext("SELECT status FROM claim WHERE id = %lld", (long long)sec);
    if (strcmp(st, "ready")) fail_msg("secondary claim is %s: %s", st,
                                      qtext("SELECT findings FROM claim WHERE id = %lld", (long long)sec));
    free(st);
    /* the same 835 again changes nothing */
    post("Bluestem Health Plan (demo)*XV*DEMOBLU01", "COB0001", clps, &r);
    assert_int_equal(r.already_posted, 1);
    assert_int_equal(qn("SELECT count(*) FROM claim WHERE cob_from_claim_id = %lld", (long long)p), 1);
    char *doc = export_payer("DEMOCDR01", &len), want[200];
    char *snum = qtext("SELECT claim_number FROM claim WHERE id = %lld", (long long)sec);
    snprintf(want, sizeof want, "CLM*%s*", snum);
    const char *clm = strstr(doc, want);
    assert_non_null(clm);
    const char *sbr = strstr(doc, "SBR*S*");
    assert_non_null(sbr);
    assert_true(sbr < clm);
    snprintf(want, sizeof want, "SBR*P*18*");
    assert_non_null(strstr(clm, want));
    snprintf(want, sizeof want, "AMT*D*%s~", paid);
    assert_non_null(strstr(clm, want));
    snprintf(want, sizeof want, "AMT*EAF*%s~", pr);
    assert_non_null(strstr(clm, want));
    assert_non_null(strstr(clm, "OI***Y***Y~"));
    assert_non_null(strstr(clm, "NM1*PR*2*BLUESTEM HEALTH PLAN (DEMO)*****PI*DEMOBLU01~"));
    snprintf(want, sizeof want, "SVD*DEMOBLU01*%s*HC:%s", paid, code);
    assert_non_null(strstr(clm, want));
    snprintf(want, sizeof want, "CAS*CO*45*%s~CAS*PR*2*%s~DTP*573*D8*20260415~", co, pr);
    assert_non_null(strstr(clm, want));
    free(doc);
    /* the secondary pays 20.00 (OA 23, the primary's impact), a tertiary is on file now */
    add_policy(p, "DEMOMCR01", 3, "1EG4TE5MK73");
    money(2000, co);
    money(total - 3000, pr);
    snprintf(clps, sizeof clps, "CLP*%s*2*%s*%s*1000*CI*ICNS1~SVC*HC:%s*%s*%s**1~CAS*OA*23*%s~CAS*PR*2*10", snum, t,
             co, code, t, co, pr);
    post("Cedar Mutual (demo)*XV*DEMOCDR01", "COB0002", clps, &r);
    assert_int_equal(r.claims, 1);
    assert_int_equal(r.next_claims, 1);
    psy_id ter = qn("SELECT id FROM claim WHERE cob_from_claim_id = %lld", (long long)sec);
    assert_true(ter > 0);
    doc = export_payer("DEMOMCR01", &len);
    char *tnum = qtext("SELECT claim_number FROM claim WHERE id = %lld", (long long)ter);
    snprintf(want, sizeof want, "CLM*%s*", tnum);
    assert_non_null(clm = strstr(doc, want));
    assert_non_null(strstr(doc, "SBR*T*"));
    const char *p1 = strstr(clm, "SBR*P*18*"), *p2 = strstr(clm, "SBR*S*18*");
    assert_non_null(p1);
    assert_non_null(p2);
    assert_true(p1 < p2); /* the primary's 2320 first */
    assert_non_null(strstr(clm, "SVD*DEMOBLU01*"));
    assert_non_null(strstr(clm, "SVD*DEMOCDR01*"));
    free(doc);
    free(num);
    free(code);
    free(snum);
    free(tnum);
}

/* SQL that changes the test world's records (payer ids, dates of adjudication). */
static void qrun(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void qrun(const char *fmt, ...)
{
    char sql[600], msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    if (test_db_exec(&W.db, sql, msg, sizeof msg)) fail_msg("%s: %s", sql, msg);
}

/* The last day the timely-filing report gives claim (fails when it does not list it). */
static void report_last_day(psy_id claim, char out[PSY_DATE_MAX])
{
    struct psy_billing_timely *t;
    size_t n;
    assert_int_equal(psy_billing_timely(W.st, W.pr, -1, NULL, &t, &n), PSY_OK);
    out[0] = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i].claim == claim) snprintf(out, PSY_DATE_MAX, "%s", t[i].deadline);
    free(t);
    if (!out[0]) fail_msg("claim %lld is not in the timely-filing report", (long long)claim);
}

/* IMP: R-TF-2 -- a Medicaid claim after Medicare's adjudication may reach the program until 12 months from
 * the date of service or 6 months from the date of Medicare's notice, whichever is later (42 CFR 447.45(d);
 * MO HealthNet: "twelve (12) months from the date of service or six (6) months from the date on the Medicare
 * provider's notice of the allowed claim"). After another payer, it counts from the date of service. */
static void test_timely_after_medicare(void **state)
{
    (void)state;
    char clps[700];
    psy_id p = sent_with_secondary("CDR55504");
    primary_clp(p, "ICNTF1", clps, sizeof clps);
    struct psy_billing_post_result r;
    post("Bluestem Health Plan (demo)*XV*DEMOBLU01", "COBTF01", clps, &r);
    psy_id sec = qn("SELECT id FROM claim WHERE cob_from_claim_id = %lld", (long long)p);
    assert_true(sec > 0);
    long long blu = qn("SELECT payer_id FROM claim WHERE id = %lld", (long long)p),
              cdr = qn("SELECT payer_id FROM claim WHERE id = %lld", (long long)sec),
              mcr = qn("SELECT id FROM payer WHERE payer_code = 'DEMOMCR01' AND practice_id = %lld", (long long)W.pr),
              mcd = qn("SELECT id FROM payer WHERE payer_code = 'DEMOMCD01' AND practice_id = %lld", (long long)W.pr);
    /* Medicare first, the state's Medicaid program next (its profile's limit, not a record's own) */
    qrun("UPDATE claim SET payer_id = %lld WHERE id = %lld", mcr, (long long)p);
    qrun("UPDATE claim SET payer_id = %lld WHERE id = %lld", mcd, (long long)sec);
    long long mcd_days = qn("SELECT timely_filing_days FROM payer WHERE id = %lld", mcd),
              mcr_days = qn("SELECT timely_filing_days FROM payer WHERE id = %lld", mcr);
    qrun("UPDATE payer SET timely_filing_days = 0 WHERE id IN (%lld, %lld)", mcd, mcr);
    qrun("UPDATE claim SET service_date = '2025-01-10' WHERE id = %lld", (long long)sec);
    qrun("UPDATE payment SET adjudicated_on = '2025-11-20' WHERE claim_id = %lld", (long long)p);
    char last[PSY_DATE_MAX];
    report_last_day(sec, last);
    assert_string_equal(last, "2026-05-20"); /* six months after Medicare's notice, past 2026-01-10 */
    qrun("UPDATE payment SET adjudicated_on = '2025-03-01' WHERE claim_id = %lld", (long long)p);
    report_last_day(sec, last);
    assert_string_equal(last, "2026-01-10"); /* 12 months from the date of service come later */
    /* a reversed adjudication is not Medicare's notice */
    qrun("UPDATE payment SET adjudicated_on = '2025-11-20', claim_status = '22' WHERE claim_id = %lld", (long long)p);
    report_last_day(sec, last);
    assert_string_equal(last, "2026-01-10");
    qrun("UPDATE payment SET claim_status = '1' WHERE claim_id = %lld AND claim_status = '22'", (long long)p);
    /* after a commercial plan: from the date of service only */
    qrun("UPDATE claim SET payer_id = %lld WHERE id = %lld", blu, (long long)p);
    report_last_day(sec, last);
    assert_string_equal(last, "2026-01-10");
    /* Medicare's own limit never moves for an earlier payer (CMS: MSP claims keep the one-year limit) */
    qrun("UPDATE claim SET payer_id = %lld WHERE id = %lld", mcr, (long long)sec);
    report_last_day(sec, last);
    assert_string_equal(last, "2026-01-12"); /* 2026-01-10 is a Saturday */
    qrun("UPDATE claim SET payer_id = %lld WHERE id = %lld", cdr, (long long)sec);
    qrun("UPDATE payer SET timely_filing_days = %lld WHERE id = %lld", mcd_days, mcd);
    qrun("UPDATE payer SET timely_filing_days = %lld WHERE id = %lld", mcr_days, mcr);
}

/* IMP: R-COB-4 -- the secondary's claim carries the primary's adjudication (005010X222A1 2320 AMT*D, 2430
 * SVD). The primary's reversal (005010X221A1 CLP02 22, amounts negated) holds the secondary's claim not yet
 * sent in draft until the primary's new adjudication is posted; then it is ready again and carries the new
 * amounts. Once sent, a reversal asks in its history for a replacement. */
static void test_secondary_after_reversal(void **state)
{
    (void)state;
    char clps[900], t[32], nt[32], paid[32], npaid[32], co[32], pr[32], npr[32], want[200];
    psy_id p = sent_with_secondary("CDR55503");
    size_t len;
    char *num = qtext("SELECT claim_number FROM claim WHERE id = %lld", (long long)p);
    char *code = qtext("SELECT code FROM claim_line WHERE claim_id = %lld", (long long)p);
    long long total = qn("SELECT total_cents FROM claim WHERE id = %lld", (long long)p);
    money(total, t);
    money(-total, nt);
    money(total - 5000, paid);
    money(-(total - 5000), npaid);
    money(2000, co);
    money(3000, pr);
    money(-3000, npr);
    snprintf(clps, sizeof clps, "CLP*%s*1*%s*%s*%s*CI*ICNR41~SVC*HC:%s*%s*%s**1~CAS*CO*45*%s~CAS*PR*2*%s", num, t,
             paid, pr, code, t, paid, co, pr);
    struct psy_billing_post_result r;
    post("Bluestem Health Plan (demo)*XV*DEMOBLU01", "COBR001", clps, &r);
    assert_int_equal(r.next_claims, 1);
    assert_int_equal(r.next_held, 0);
    psy_id sec = qn("SELECT id FROM claim WHERE cob_from_claim_id = %lld", (long long)p);
    assert_true(sec > 0);
    assert_int_equal(qn("SELECT count(*) FROM claim WHERE id = %lld AND status = 'ready'", (long long)sec), 1);
    /* the primary takes its payment back: the secondary's claim, not sent yet, waits in draft */
    snprintf(clps, sizeof clps, "CLP*%s*22*%s*%s*%s*CI*ICNR41~SVC*HC:%s*%s*%s**1~CAS*CO*45*-20~CAS*PR*2*%s", num,
             nt, npaid, npr, code, nt, npaid, npr);
    /* BPR02 is never below zero (005010X221A1): the payer offsets a lone reversal with a PLB */
    post_plb("Bluestem Health Plan (demo)*XV*DEMOBLU01", "COBR002", clps, -(total - 5000), &r);
    assert_int_equal(r.reversals, 1);
    assert_int_equal(r.next_held, 1);
    assert_int_equal(r.next_to_replace, 0);
    assert_int_equal(qn("SELECT count(*) FROM claim WHERE id = %lld AND status = 'draft' AND findings LIKE "
                        "'%%R-COB-4%%'", (long long)sec), 1);
    assert_int_equal(qn("SELECT count(*) FROM claim WHERE cob_from_claim_id = %lld", (long long)p), 1);
    /* its new adjudication: 10.00 more to the patient; the secondary's claim is ready with it */
    money(total - 6000, paid);
    money(4000, pr);
    snprintf(clps, sizeof clps, "CLP*%s*1*%s*%s*%s*CI*ICNR42~SVC*HC:%s*%s*%s**1~CAS*CO*45*%s~CAS*PR*2*%s", num, t,
             paid, pr, code, t, paid, co, pr);
    post("Bluestem Health Plan (demo)*XV*DEMOBLU01", "COBR003", clps, &r);
    assert_int_equal(r.next_claims, 0); /* the one built before, not a second */
    assert_int_equal(qn("SELECT count(*) FROM claim WHERE cob_from_claim_id = %lld", (long long)p), 1);
    char *st = qtext("SELECT status FROM claim WHERE id = %lld", (long long)sec);
    if (strcmp(st, "ready"))
        fail_msg("secondary claim is %s: %s", st, qtext("SELECT findings FROM claim WHERE id = %lld", (long long)sec));
    free(st);
    char *doc = export_payer("DEMOCDR01", &len);
    char *snum = qtext("SELECT claim_number FROM claim WHERE id = %lld", (long long)sec);
    snprintf(want, sizeof want, "CLM*%s*", snum);
    const char *clm = strstr(doc, want);
    assert_non_null(clm);
    snprintf(want, sizeof want, "AMT*D*%s~", paid);
    assert_non_null(strstr(clm, want));
    snprintf(want, sizeof want, "AMT*EAF*%s~", pr);
    assert_non_null(strstr(clm, want));
    free(doc);
    /* sent now: a second reversal cannot hold it back, its history asks for a replacement */
    money(-(total - 6000), npaid);
    money(-4000, npr);
    snprintf(clps, sizeof clps, "CLP*%s*22*%s*%s*%s*CI*ICNR42~SVC*HC:%s*%s*%s**1~CAS*CO*45*-20~CAS*PR*2*%s", num,
             nt, npaid, npr, code, nt, npaid, npr);
    post_plb("Bluestem Health Plan (demo)*XV*DEMOBLU01", "COBR004", clps, -(total - 6000), &r);
    assert_int_equal(r.reversals, 1);
    assert_int_equal(r.next_held, 0);
    assert_int_equal(r.next_to_replace, 1);
    assert_int_equal(qn("SELECT count(*) FROM claim WHERE id = %lld AND status = 'submitted'", (long long)sec), 1);
    assert_int_equal(qn("SELECT count(*) FROM claim_status_history WHERE claim_id = %lld AND reason LIKE "
                        "'%%reversed its payment of claim %s%%send a replacement%%'", (long long)sec, num), 1);
    free(num);
    free(code);
    free(snum);
}

/* IMP: R-COB-2, R-COB-3 -- a primary that forwarded the claim (CLP02 19, NM1*TT) gets no secondary claim
 * built; the forwarded-to payer's 835 under the same claim number posts to the claim kept for it. */
static void test_crossover(void **state)
{
    (void)state;
    char clps[700], t[32], paid[32], rest[32];
    psy_id p = sent_with_secondary("CDR55502");
    char *num = qtext("SELECT claim_number FROM claim WHERE id = %lld", (long long)p);
    long long total = qn("SELECT total_cents FROM claim WHERE id = %lld", (long long)p);
    money(total, t);
    money(total - 1000, paid);
    money(1000, rest);
    snprintf(clps, sizeof clps, "CLP*%s*19*%s*%s*%s*CI*ICNX1~CAS*PR*2*%s~NM1*TT*2*Cedar Mutual (demo)*****PI*DEMOCDR01",
             num, t, paid, rest, rest);
    struct psy_billing_post_result r;
    post("Bluestem Health Plan (demo)*XV*DEMOBLU01", "XOV0001", clps, &r);
    assert_int_equal(r.claims, 1);
    psy_id kept = qn("SELECT id FROM claim WHERE cob_from_claim_id = %lld", (long long)p);
    assert_true(kept > 0);
    assert_int_equal(qn("SELECT count(*) FROM claim WHERE id = %lld AND status = 'submitted'", (long long)kept), 1);
    assert_int_equal(qn("SELECT count(*) FROM payment WHERE claim_id = %lld AND crossover_payer = 'DEMOCDR01'",
                        (long long)p), 1);
    assert_int_equal(qn("SELECT count(*) FROM claim WHERE cob_from_claim_id = %lld", (long long)p), 1);
    /* the secondary's 835 names the primary's claim number */
    long long before = qn("SELECT paid_cents FROM claim WHERE id = %lld", (long long)p);
    snprintf(clps, sizeof clps, "CLP*%s*2*%s*%s*0*CI*ICNX2~CAS*OA*23*%s", num, t, rest, paid);
    post("Cedar Mutual (demo)*XV*DEMOCDR01", "XOV0002", clps, &r);
    assert_int_equal(r.claims, 1);
    assert_int_equal(qn("SELECT paid_cents FROM claim WHERE id = %lld", (long long)p), before);
    assert_int_equal(qn("SELECT paid_cents FROM claim WHERE id = %lld", (long long)kept), 1000);
    assert_int_equal(qn("SELECT count(*) FROM claim WHERE id = %lld AND status = 'paid'", (long long)kept), 0);
    assert_int_equal(qn("SELECT count(*) FROM claim WHERE id = %lld AND status = 'partially_paid'", (long long)kept), 1);
    free(num);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(world_up), cmocka_unit_test(test_build_groups_members),
        cmocka_unit_test(test_build_is_idempotent), cmocka_unit_test(test_build_resumes),
        cmocka_unit_test(test_build_ahead_same),
        cmocka_unit_test(test_build_writer_fails),
        cmocka_unit_test(test_scrubber_holds_audit_error), cmocka_unit_test(test_export_two_payers),
        cmocka_unit_test(test_pdfs), cmocka_unit_test(test_era_post), cmocka_unit_test(test_era_denial),
        cmocka_unit_test(test_cli), cmocka_unit_test(test_era_refused), cmocka_unit_test(test_era_posted_once),
        cmocka_unit_test(test_era_reversal), cmocka_unit_test(test_scrub_all), cmocka_unit_test(test_progress), cmocka_unit_test(test_revenue), cmocka_unit_test(test_group_twice_a_day),
        cmocka_unit_test(test_correct_void), cmocka_unit_test(test_status_walk), cmocka_unit_test(test_zero_pay_patient_share),
        cmocka_unit_test(test_timely_filing), cmocka_unit_test(test_timely_last_day), cmocka_unit_test(test_claim_search),
        cmocka_unit_test(test_session_search), cmocka_unit_test(test_secondary_claim), cmocka_unit_test(test_secondary_after_reversal), cmocka_unit_test(test_timely_after_medicare),
        cmocka_unit_test(test_crossover),
        cmocka_unit_test(test_era_lenient),
    };
    int rc = test_run_on_backends("billing", tests, sizeof tests / sizeof *tests, NULL, teardown);
    free(exported[0]);
    free(exported[1]);
    return rc;
}
