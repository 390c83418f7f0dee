/*
 * ledger_check.c -- the rules money keeps between the claims, their 835 payments and the client ledger
 * (docs/rules.md R-LEDGER-1..6), checked over one claim or a whole practice. The 835 posting runs it on
 * each claim it posts and keeps a broken rule on the claim as a finding; the tests run it after every
 * posting, payment and correction, on both backends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_db.h"
#include "billing_int.h"
#include "ledger_int.h"

struct probs {
    struct psy_ledger_problem *p;
    size_t n, cap;
};

static void problem(struct probs *P, const char *rule, psy_id claim, psy_id client, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void problem(struct probs *P, const char *rule, psy_id claim, psy_id client, const char *fmt, ...)
{
    struct psy_ledger_problem *x = PSY__PUSH(P->p, P->n, P->cap);
    snprintf(x->rule, sizeof x->rule, "%s", rule);
    x->claim_id = claim;
    x->client_id = client;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->message, sizeof x->message, fmt, ap);
    va_end(ap);
}

struct claim_money {
    int64_t id, client;
    long long total, charge, paid, adjusted, pr, share;
};

/* R-LEDGER-1: what the payer adjudicated adds up (charge = paid + payer adjustments + patient
 * responsibility); R-LEDGER-2: after the last payer, the ledger holds exactly the payer's patient
 * responsibility; R-LEDGER-3: no claim is paid by the client beyond what the client owes for it. */
static psy__stmt *claims_query(psy_store *st, psy_id practice, psy_id claim)
{
    struct psy__query q;
    psy__query_init(
        &q,
        "SELECT c.id, c.client_id, c.total_cents, "
        "COALESCE((SELECT sum(m.charge_cents) FROM payment m WHERE m.claim_id = c.id AND m.claim_line_id IS NULL), 0), "
        "COALESCE((SELECT sum(m.paid_cents) FROM payment m WHERE m.claim_id = c.id AND m.claim_line_id IS NULL), 0), "
        "COALESCE((SELECT sum(j.amount_cents) FROM adjustment j JOIN payment m ON m.id = j.payment_id WHERE m.claim_id = "
        "c.id), 0), "
        "COALESCE((SELECT sum(j.amount_cents) FROM adjustment j JOIN payment m ON m.id = j.payment_id WHERE m.claim_id = "
        "c.id AND j.group_code = 'PR'), 0), "
        "COALESCE((SELECT sum(e.amount_cents) FROM ledger_entry e WHERE e.claim_id = c.id AND (e.kind = 'payer_share' OR "
        "(e.kind = 'reversal' AND EXISTS (SELECT 1 FROM ledger_entry s WHERE s.id = e.reverses AND s.kind = "
        "'payer_share')))), 0), "
        "(SELECT count(*) FROM payment m WHERE m.claim_id = c.id AND m.claim_line_id IS NULL AND m.reversed_by IS NULL "
        "AND m.claim_status <> '22') FROM claim c",
        PSY_NOARGS);
    psy__query_where(&q, "c.practice_id = ?", PSY_INT(practice));
    if (claim) psy__query_where(&q, "c.id = ?", PSY_INT(claim));
    psy__query_where_n(&q, "EXISTS (SELECT 1 FROM payment m WHERE m.claim_id = c.id)", PSY_NOARGS);
    psy__query_sql(&q, " ORDER BY c.id");
    psy__stmt *s = psy__db_stmt(st, q.sql.p, q.args, q.n);
    psy__query_free(&q);
    return s;
}

/* The rows of claims_query (run already, or run now by the first step); finalizes s. */
static psy_status check_claims(psy_store *st, psy_id practice, psy__stmt *s, struct probs *P)
{
    psy_status rc = PSY_OK;
    if (!s) return psy__store_dbfail(st, "claim");
    struct claim_money *cm = NULL;
    size_t n = 0, cap = 0;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        struct claim_money *x = PSY__PUSH(cm, n, cap);
        x->id = psy__sql_int64(s, 0);
        x->client = psy__sql_int64(s, 1);
        x->total = psy__sql_int64(s, 2);
        x->charge = psy__sql_int64(s, 3);
        x->paid = psy__sql_int64(s, 4);
        x->adjusted = psy__sql_int64(s, 5);
        x->pr = psy__sql_int64(s, 6);
        x->share = psy__sql_int64(s, 7);
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) rc = psy__store_dbfail(st, "claim");
    char a[PSY_CENTS_TEXT_MAX], b[PSY_CENTS_TEXT_MAX], c[PSY_CENTS_TEXT_MAX];
    for (size_t i = 0; !rc && i < n; i++) {
        struct claim_money *x = &cm[i];
        long long sum;
        if (psy_cents_add(x->paid, x->adjusted, &sum) || sum != x->charge)
            problem(P, "R-LEDGER-1", x->id, x->client, "the 835s charge %s but paid %s and adjusted %s",
                    psy_cents_format(x->charge, a), psy_cents_format(x->paid, b), psy_cents_format(x->adjusted, c));
        psy_id next = 0;
        if ((rc = psy__billing_next_payer(st, practice, x->id, &next))) break;
        long long want = next ? 0 : x->pr;
        if (x->share != want)
            problem(P, "R-LEDGER-2", x->id, x->client, "the ledger holds %s of patient responsibility, the 835s %s",
                    psy_cents_format(x->share, a), psy_cents_format(want, b));
    }
    free(cm);
    return rc;
}

/* R-LEDGER-3 (applied payments within what is owed), R-LEDGER-4 (a reversal negates exactly one entry of
 * the same client that is no reversal), R-LEDGER-5 (no entry dated in a closed month was written after
 * the close), and the client's balance equals its open amounts less its credit. */
static psy_status check_entries(psy_store *st, psy_id practice, psy_id client, struct probs *P)
{
    struct psy_ledger_entry *e;
    size_t n;
    psy_status rc = psy__ledger_load(st, practice, client, NULL, 0, &e, &n);
    char a[PSY_CENTS_TEXT_MAX], b[PSY_CENTS_TEXT_MAX];
    for (size_t i = 0, j; !rc && i < n; i = j) {
        for (j = i; j < n && e[j].client_id == e[i].client_id; j++) {}
        long long sum = 0, open = 0, credit = 0;
        int over = 0;
        for (size_t k = i; k < j; k++) {
            psy_cents_acc(&sum, e[k].amount_cents, &over);
            if (!e[k].reverses) continue;
            size_t t = i;
            while (t < j && e[t].id != e[k].reverses) t++;
            if (t == j || e[t].amount_cents != -e[k].amount_cents || !strcmp(e[t].kind, "reversal"))
                problem(P, "R-LEDGER-4", e[k].claim_id, e[k].client_id,
                        "entry #%lld reverses #%lld, which is not an entry of this client of the opposite amount",
                        (long long)e[k].id, (long long)e[k].reverses);
        }
        struct psy__open_item *it;
        size_t ni;
        if (psy__ledger_apply(e + i, j - i, &it, &ni, &credit)) over = 1;
        for (size_t k = 0; k < ni; k++) psy_cents_acc(&open, it[k].open, &over);
        free(it);
        long long back;
        if (over || psy_cents_add(open, credit, &back) || back != sum)
            problem(P, "R-LEDGER-3", 0, e[i].client_id, "the balance %s is not the open amounts less the credit (%s)",
                    psy_cents_format(sum, a), over ? "does not fit" : psy_cents_format(back, b));
        /* payments applied to a claim never exceed what the client owed on it */
        for (size_t k = i; k < j; k++) {
            if (!e[k].claim_id || e[k].amount_cents >= 0 || e[k].reversed_by || !strcmp(e[k].kind, "reversal")) continue;
            long long owed = 0, applied = 0;
            for (size_t t = i; t < j; t++) {
                if (e[t].claim_id != e[k].claim_id || e[t].reversed_by || !strcmp(e[t].kind, "reversal")) continue;
                psy_cents_acc(e[t].amount_cents > 0 ? &owed : &applied, e[t].amount_cents > 0 ? e[t].amount_cents
                                                                                            : -e[t].amount_cents, &over);
            }
            if (applied > owed) {
                problem(P, "R-LEDGER-3", e[k].claim_id, e[k].client_id,
                        "%s was applied to the claim, which put only %s on the client", psy_cents_format(applied, a),
                        psy_cents_format(owed, b));
                break;
            }
        }
    }
    free(e);
    if (rc) return rc;
    /* R-LEDGER-5 */
    psy__stmt *s = NULL;
    struct psy__query q;
    psy__query_init(&q,
                    "SELECT e.id, e.client_id, e.entry_date FROM ledger_entry e JOIN ledger_month m ON m.practice_id "
                    "= e.practice_id AND m.month = substr(e.entry_date, 1, 7) AND e.created_at > m.closed_at",
                    PSY_NOARGS);
    psy__query_where(&q, "e.practice_id = ?", PSY_INT(practice));
    if (client) psy__query_where(&q, "e.client_id = ?", PSY_INT(client));
    rc = psy__db_query(st, &s, q.sql.p, q.args, q.n);
    psy__query_free(&q);
    if (rc) return rc;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW)
        problem(P, "R-LEDGER-5", 0, psy__sql_int64(s, 1), "entry #%lld is dated %s, in a month closed before it was written",
                (long long)psy__sql_int64(s, 0), psy__sql_text(s, 2));
    psy__sql_finalize(s);
    return r == PSY_SQL_ERROR ? psy__store_dbfail(st, "ledger_entry") : PSY_OK;
}

/* R-LEDGER-6: a billable member of a session owes at most one expected share at a time (a payer's
 * reversal restores the share its payment replaced, never a second one). */
static psy__stmt *expected_query(psy_store *st, psy_id practice, psy_id claim)
{
    struct psy__query q;
    psy__query_init(&q,
                    "SELECT e.session_id, e.client_id, count(*) FROM ledger_entry e", PSY_NOARGS);
    if (claim) { /* the claim's shares drive it (the + as in reverse_where, ledger.c) */
        psy__query_where(&q, "e.id IN (" PSY__LEDGER_SHARES_OF_CLAIM ")", PSY_INT(claim));
        psy__query_where(&q, "+e.practice_id = ?", PSY_INT(practice));
    } else {
        psy__query_where(&q, "e.practice_id = ?", PSY_INT(practice));
    }
    psy__query_where_n(&q, "e.kind IN ('copay', 'fee') AND NOT EXISTS (SELECT 1 FROM ledger_entry r WHERE r.reverses = e.id)",
                       PSY_NOARGS);
    psy__query_sql(&q, " GROUP BY e.session_id, e.client_id HAVING count(*) > 1");
    psy__stmt *s = psy__db_stmt(st, q.sql.p, q.args, q.n);
    psy__query_free(&q);
    return s;
}

/* The rows of expected_query; finalizes s. */
static psy_status check_expected(psy_store *st, psy_id claim, psy__stmt *s, struct probs *P)
{
    if (!s) return psy__store_dbfail(st, "ledger_entry");
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW)
        problem(P, "R-LEDGER-6", claim, psy__sql_int64(s, 1), "session #%lld puts %lld expected shares on the client",
                (long long)psy__sql_int64(s, 0), (long long)psy__sql_int64(s, 2));
    psy__sql_finalize(s);
    return r == PSY_SQL_ERROR ? psy__store_dbfail(st, "ledger_entry") : PSY_OK;
}

psy_status psy_ledger_check(psy_store *st, psy_id practice, psy_id claim, struct psy_ledger_problem **out, size_t *n)
{
    struct probs P = {0};
    psy_status rc;
    if (claim) { /* the 835 posting's check of one claim: its three first reads in one round trip */
        psy__stmt *q[3] = {claims_query(st, practice, claim),
                           psy__db_stmt(st, "SELECT client_id FROM claim WHERE id = ? AND practice_id = ?",
                                        PSY_ARGS(PSY_INT(claim), PSY_INT(practice))),
                           expected_query(st, practice, claim)};
        rc = q[0] && q[1] && q[2] ? psy__db_pipeline(st, q, 3) : psy__store_dbfail(st, "ledger");
        int64_t client = !rc && psy__sql_step(q[1]) == PSY_SQL_ROW ? psy__sql_int64(q[1], 0) : 0;
        psy__sql_finalize(q[1]);
        if (!rc) {
            rc = check_claims(st, practice, q[0], &P);
            q[0] = NULL;
        }
        if (!rc && client) rc = check_entries(st, practice, client, &P);
        if (!rc) {
            rc = check_expected(st, claim, q[2], &P);
            q[2] = NULL;
        }
        psy__sql_finalize(q[0]);
        psy__sql_finalize(q[2]);
    } else {
        rc = check_claims(st, practice, claims_query(st, practice, 0), &P);
        if (!rc) rc = check_entries(st, practice, 0, &P);
        if (!rc) rc = check_expected(st, 0, expected_query(st, practice, 0), &P);
    }
    *out = P.p;
    *n = P.n;
    return rc;
}
