/*
 * ledger_report.c -- what the client ledger adds up to (psy_ledger.h): the entries applied to each other
 * (payments given a claim to that claim, then oldest first), the clients' balances, accounts receivable
 * aging by payer and by patient, and the client's statement as a PDF. Every figure is computed from the
 * entries and the 835 payments as of a date, so the reports of a closed month never change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_db.h"
#include "billing_int.h"
#include "ledger_int.h"

const char *const psy_aging_bucket_names[PSY_AGING_BUCKETS] = {"0-30", "31-60", "61-90", "91-120", "over 120"};

/* Spends *credit on item (both in cents: credit > 0, item->open > 0). */
static void spend(long long *credit, struct psy__open_item *it)
{
    long long take = *credit < it->open ? *credit : it->open;
    *credit -= take;
    it->open -= take;
}

psy_status psy__ledger_apply(const struct psy_ledger_entry *e, size_t n, struct psy__open_item **items,
                             size_t *n_items, long long *credit)
{
    struct psy__open_item *it = NULL;
    size_t ni = 0, cap = 0;
    /* the entries that stand: a reversal and the entry it reverses cancel out */
    for (size_t i = 0; i < n; i++) {
        if (e[i].reversed_by || !strcmp(e[i].kind, "reversal") || e[i].amount_cents <= 0) continue;
        struct psy__open_item *x = PSY__PUSH(it, ni, cap);
        x->e = &e[i];
        x->open = e[i].amount_cents;
    }
    long long left = 0;
    int over = 0;
    /* payments for a claim to that claim first; what remains of them and every other credit oldest first */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            if (e[i].reversed_by || !strcmp(e[i].kind, "reversal") || e[i].amount_cents >= 0) continue;
            if (pass == 0 && !e[i].claim_id) continue;
            if (pass == 1 && e[i].claim_id) continue;
            long long c = -e[i].amount_cents; /* stored amounts are above LLONG_MIN (psy_ledger_record) */
            for (size_t k = 0; c && k < ni; k++)
                if (it[k].open && (!e[i].claim_id || it[k].e->claim_id == e[i].claim_id)) spend(&c, &it[k]);
            psy_cents_acc(&left, c, &over);
        }
    for (size_t k = 0; left && k < ni; k++)
        if (it[k].open) spend(&left, &it[k]);
    /* what an early credit paid is the amounts of that date and before: the list is in date order, so
     * spending from the front applies every credit oldest first */
    *items = it;
    *n_items = ni;
    *credit = -left;
    return over ? PSY_EINVAL : PSY_OK;
}

/* The bucket of an amount `days` old. */
static int bucket_of(int64_t days)
{
    return days <= 30 ? 0 : days <= 60 ? 1 : days <= 90 ? 2 : days <= 120 ? 3 : 4;
}

struct balances {
    psy_store *st;
    psy_id practice;
    struct psy_ledger_balance *b;
    size_t n, cap;
};

static psy_status one_balance(void *ud, const struct psy_ledger_entry *e, size_t n)
{
    struct balances *B = ud;
    long long sum = 0, open = 0, credit;
    int over = 0;
    for (size_t i = 0; i < n; i++) psy_cents_acc(&sum, e[i].amount_cents, &over);
    if (!sum && !over) return PSY_OK;
    struct psy__open_item *it;
    size_t ni;
    psy_status rc = psy__ledger_apply(e, n, &it, &ni, &credit);
    struct psy_ledger_balance *b = PSY__PUSH(B->b, B->n, B->cap);
    b->client_id = e[0].client_id;
    b->balance_cents = sum;
    for (size_t k = 0; k < ni; k++)
        if (it[k].open) {
            psy_cents_acc(&open, it[k].open, &over);
            if (!b->oldest[0]) snprintf(b->oldest, sizeof b->oldest, "%s", it[k].e->entry_date);
        }
    free(it);
    b->open_cents = open;
    if (over || rc) return psy__store_fail(B->st, PSY_EINVAL, "client #%lld: the balance does not fit",
                                           (long long)e[0].client_id);
    char last[65] = "", first[65] = "";
    psy__db_text(B->st, last, sizeof last, "SELECT last_name FROM client WHERE id = ?", PSY_ARGS(PSY_INT(b->client_id)));
    psy__db_text(B->st, first, sizeof first, "SELECT first_name FROM client WHERE id = ?", PSY_ARGS(PSY_INT(b->client_id)));
    snprintf(b->name, sizeof b->name, "%s, %s", last, first);
    return PSY_OK;
}

static int by_name(const void *a, const void *b)
{
    const struct psy_ledger_balance *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->client_id > y->client_id) - (x->client_id < y->client_id);
}

psy_status psy_ledger_balances(psy_store *st, psy_id practice, const char *through, struct psy_ledger_balance **out,
                               size_t *n)
{
    struct balances B = {.st = st, .practice = practice};
    psy_status rc = psy__ledger_each_client(st, practice, through, one_balance, &B);
    if (rc) {
        free(B.b);
        B.b = NULL, B.n = 0;
    }
    if (B.n) qsort(B.b, B.n, sizeof *B.b, by_name);
    *out = B.b;
    *n = B.n;
    return rc;
}

/* The first instant after date in time zone tz ("" UTC: a practice without a zone), as the UTC text the
 * posting times are kept in: a payment posted on date (in the practice's zone) is one stamped before it.
 * -1 when date is not a date. */
static int day_after_utc(const char *tz, const char *date, char out[PSY_DATE_NOW_MAX])
{
    char next[PSY_DATE_TEXT_MAX];
    int64_t t;
    if (!psy_date_add(date, 1, next) || !psy_date_zone_start(*tz ? tz : "UTC", next, &t)) return -1;
    psy_date_utc_text(t, out);
    return 0;
}

/* --- aging ----------------------------------------------------------------------------------- */

struct aging_walk {
    struct psy_aging *a;
    int over;
};

static psy_status age_client(void *ud, const struct psy_ledger_entry *e, size_t n)
{
    struct aging_walk *w = ud;
    struct psy__open_item *it;
    size_t ni;
    long long credit;
    if (psy__ledger_apply(e, n, &it, &ni, &credit)) w->over = 1;
    for (size_t k = 0; k < ni; k++) {
        if (!it[k].open) continue;
        int b = bucket_of(psy_date_between(it[k].e->entry_date, w->a->as_of));
        psy_cents_acc(&w->a->patient[b], it[k].open, &w->over);
    }
    psy_cents_acc(&w->a->credit, credit, &w->over);
    free(it);
    return PSY_OK;
}

psy_status psy_ledger_aging(psy_store *st, psy_id practice, const char *as_of, struct psy_aging *a)
{
    memset(a, 0, sizeof *a);
    psy_status rc;
    if (as_of && *as_of) {
        if (!psy_date_iso_valid(as_of)) return psy__store_fail(st, PSY_EINVAL, "as_of: a date YYYY-MM-DD");
        snprintf(a->as_of, sizeof a->as_of, "%s", as_of);
    } else if ((rc = psy__ledger_today(st, practice, a->as_of))) {
        return rc;
    }
    struct aging_walk w = {.a = a};
    if ((rc = psy__ledger_each_client(st, practice, a->as_of, age_client, &w))) return rc;
    /* the payers: each claim sent, less what its 835s posted by the date paid and adjusted (the date's end in
     * the practice's zone: a file posted in its evening is stamped the next day in UTC) */
    char end[PSY_DATE_NOW_MAX], tz[64] = "";
    rc = psy__db_text(st, tz, sizeof tz, "SELECT time_zone FROM practice WHERE id = ?", PSY_ARGS(PSY_INT(practice)));
    if (rc && rc != PSY_ENOTFOUND) return rc;
    if (day_after_utc(tz, a->as_of, end)) return psy__store_fail(st, PSY_EINVAL, "as_of: a date YYYY-MM-DD");
    psy__stmt *s = NULL;
    rc = psy__db_query(
        st, &s,
        "SELECT p.name, c.service_date, c.total_cents, COALESCE((SELECT sum(m.paid_cents) FROM payment m JOIN era_file f "
        "ON f.id = m.era_file_id WHERE m.claim_id = c.id AND m.claim_line_id IS NULL AND f.posted_at < ?), 0), "
        "COALESCE((SELECT sum(j.amount_cents) FROM adjustment j JOIN payment m ON m.id = j.payment_id JOIN era_file f "
        "ON f.id = m.era_file_id WHERE m.claim_id = c.id AND f.posted_at < ?), 0) FROM claim c JOIN payer p ON p.id = "
        "c.payer_id WHERE c.practice_id = ? AND c.status IN ('submitted', 'accepted', 'paid', 'partially_paid', "
        "'denied') AND c.service_date <= ? ORDER BY p.name, p.id",
        PSY_ARGS(PSY_TEXT(end), PSY_TEXT(end), PSY_INT(practice), PSY_TEXT(a->as_of)));
    if (rc) return rc;
    size_t cap = 0;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        const char *name = psy__sql_text(s, 0);
        long long owed = psy__sql_int64(s, 2), paid = psy__sql_int64(s, 3), adj = psy__sql_int64(s, 4);
        if (psy_cents_sub(owed, paid, &owed) || psy_cents_sub(owed, adj, &owed)) w.over = 1;
        if (owed <= 0) continue;
        if (!a->n_rows || strcmp(a->rows[a->n_rows - 1].who, name ? name : "")) {
            struct psy_aging_row *x = PSY__PUSH(a->rows, a->n_rows, cap);
            snprintf(x->who, sizeof x->who, "%s", name ? name : "");
        }
        struct psy_aging_row *x = &a->rows[a->n_rows - 1];
        char sd[11];
        psy__db_col_copy(s, 1, sd, sizeof sd);
        int b = bucket_of(psy_date_between(sd, a->as_of));
        psy_cents_acc(&x->bucket[b], owed, &w.over);
        psy_cents_acc(&x->total, owed, &w.over);
        psy_cents_acc(&a->payer[b], owed, &w.over);
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) {
        psy_ledger_aging_free(a);
        return psy__store_dbfail(st, "claim");
    }
    struct psy_aging_row *pt = PSY__PUSH(a->rows, a->n_rows, cap);
    snprintf(pt->who, sizeof pt->who, "Patients");
    pt->patient = 1;
    for (int b = 0; b < PSY_AGING_BUCKETS; b++) {
        pt->bucket[b] = a->patient[b];
        psy_cents_acc(&pt->total, a->patient[b], &w.over);
        psy_cents_acc(&a->payer_total, a->payer[b], &w.over);
    }
    a->patient_total = pt->total;
    psy_cents_acc(&a->total, a->payer_total, &w.over);
    psy_cents_acc(&a->total, a->patient_total, &w.over);
    if (w.over) {
        psy_ledger_aging_free(a);
        return psy__store_fail(st, PSY_EINVAL, "the amounts outstanding add up past the largest amount this system can hold");
    }
    return PSY_OK;
}

void psy_ledger_aging_free(struct psy_aging *a)
{
    free(a->rows);
    a->rows = NULL;
    a->n_rows = 0;
}

/* --- statement ------------------------------------------------------------------------------- */

static void d8(const char *iso, char out[9])
{
    snprintf(out, 9, "%.4s%.2s%.2s", iso, iso + 5, iso + 8);
}

struct svc {
    psy_id claim, session;
    char date[9], code[8], words[120];
    long long charge, insurance, owed;
    int active; /* an entry of the month or something still owed */
};

static const char *kind_words(const struct psy_ledger_entry *e, char *buf, size_t cap)
{
    if (!strcmp(e->kind, "payment"))
        snprintf(buf, cap, "Payment, %s%s%s", e->method, e->reference[0] ? " " : "", e->reference);
    else if (!strcmp(e->kind, "refund"))
        snprintf(buf, cap, "Refund, %s%s%s", e->method, e->reference[0] ? " " : "", e->reference);
    else if (!strcmp(e->kind, "adjustment"))
        snprintf(buf, cap, "%s: %s", e->amount_cents < 0 ? "Written off" : "Added", e->reason);
    else if (!strcmp(e->kind, "reversal"))
        snprintf(buf, cap, "Correction: %s", e->reason);
    else if (!strcmp(e->kind, "payer_share"))
        snprintf(buf, cap, "Your insurance: %s", e->reason);
    else
        snprintf(buf, cap, "%s", e->kind);
    return buf;
}

psy_status psy_ledger_statement(psy_store *st, psy_id practice, psy_id client, const char *month, char **out,
                                size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    char first[11], through[11], today[11];
    snprintf(first, sizeof first, "%.7s-01", month ? month : "");
    if (!month || strlen(month) != 7 || !psy_date_iso_valid(first)) {
        snprintf(err, errlen, "month: YYYY-MM");
        return PSY_EINVAL;
    }
    snprintf(through, sizeof through, "%.7s-%02d", month, psy_date_month_days(atoi(month), atoi(month + 5)));
    struct psy_practice pr;
    struct psy_client cl;
    struct psy_ledger_entry *e = NULL;
    size_t n = 0;
    long long balance = 0;
    psy_status rc;
    if ((rc = psy_records_practice_get(st, practice, &pr)) || (rc = psy_records_client_get(st, practice, client, &cl)) ||
        (rc = psy_ledger_entries(st, practice, client, through, &e, &n, &balance)) ||
        (rc = psy__ledger_today(st, practice, today))) {
        snprintf(err, errlen, "%s", rc == PSY_ENOTFOUND ? "client: no such client" : psy_store_errmsg(st));
        free(e);
        return rc;
    }
    struct psy__open_item *it = NULL;
    size_t ni = 0;
    long long credit;
    psy__ledger_apply(e, n, &it, &ni, &credit);
    /* the services: one per claim (or per session not billed), what the client owes for it */
    struct svc *sv = NULL;
    size_t ns = 0, cap = 0;
    int over = 0;
    for (size_t i = 0; i < n; i++) {
        if (!e[i].claim_id && !e[i].session_id) continue;
        if (strcmp(e[i].kind, "copay") && strcmp(e[i].kind, "fee") && strcmp(e[i].kind, "payer_share")) continue;
        size_t k = 0;
        while (k < ns && !(e[i].claim_id ? sv[k].claim == e[i].claim_id : sv[k].session == e[i].session_id)) k++;
        if (k == ns) {
            struct svc *x = PSY__PUSH(sv, ns, cap);
            x->claim = e[i].claim_id;
            x->session = e[i].session_id;
            d8(e[i].service_date, x->date);
            snprintf(x->code, sizeof x->code, "%s", e[i].code);
        }
        if (strncmp(e[i].entry_date, month, 7) == 0) sv[k].active = 1;
    }
    for (size_t k = 0; k < ni; k++)
        for (size_t j = 0; j < ns; j++)
            if (it[k].e->claim_id ? sv[j].claim == it[k].e->claim_id : sv[j].session == it[k].e->session_id) {
                psy_cents_acc(&sv[j].owed, it[k].open, &over);
                if (it[k].open) sv[j].active = 1;
            }
    char end[PSY_DATE_NOW_MAX];
    if (day_after_utc(pr.time_zone, through, end)) snprintf(end, sizeof end, "%sT23:59:59Z", through);
    struct psy_statement_line *lines = psy__calloc(ns ? ns : 1, sizeof *lines);
    size_t nl = 0;
    for (size_t j = 0; j < ns; j++) {
        struct svc *x = &sv[j];
        if (!x->active) continue;
        if (x->claim) {
            int64_t v = 0;
            if (!psy__db_int(st, &v, "SELECT total_cents FROM claim WHERE id = ?", PSY_ARGS(PSY_INT(x->claim))))
                x->charge = v;
            if (!psy__db_int(st, &v,
                             "SELECT COALESCE(sum(m.paid_cents), 0) FROM payment m JOIN era_file f ON f.id = "
                             "m.era_file_id WHERE m.claim_id = ? AND m.claim_line_id IS NULL AND f.posted_at < ?",
                             PSY_ARGS(PSY_INT(x->claim), PSY_TEXT(end))))
                x->insurance = v;
        }
        struct psy_code c = {0};
        if (x->code[0] && !psy_catalog_get(st, PSY_SYS_CPT, x->code, &c) && c.short_title)
            snprintf(x->words, sizeof x->words, "%s", c.short_title);
        else
            snprintf(x->words, sizeof x->words, "%s", x->claim ? "Psychotherapy service" : "Session (not billed to insurance)");
        psy_code_clear(&c);
        lines[nl++] = (struct psy_statement_line){.date = x->date, .code = x->code, .description = x->words,
                                                  .charge_cents = x->charge, .insurance_cents = x->insurance,
                                                  .owed_cents = x->owed};
    }
    /* the month's payments, refunds, adjustments and corrections */
    struct psy_statement_item *items = psy__calloc(n ? n : 1, sizeof *items);
    char (*dates)[9] = psy__calloc(n ? n : 1, sizeof *dates), (*what)[200] = psy__calloc(n ? n : 1, sizeof *what);
    size_t nit = 0;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(e[i].entry_date, month, 7) || !strcmp(e[i].kind, "copay") || !strcmp(e[i].kind, "fee") ||
            !strcmp(e[i].kind, "payer_share"))
            continue;
        d8(e[i].entry_date, dates[nit]);
        kind_words(&e[i], what[nit], sizeof what[nit]);
        items[nit] = (struct psy_statement_item){.date = dates[nit], .what = what[nit], .amount_cents = e[i].amount_cents};
        nit++;
    }
    char how[700], sdate[9], birth[9], period[16];
    snprintf(how, sizeof how,
             "Pay by check made out to %s, in cash or by card at the office%s%s%s%s. Please write the statement date "
             "on your check. Questions about this statement: call the billing office.", pr.name,
             pr.billing_phone[0] ? ", or call " : "", pr.billing_phone, pr.billing_email[0] ? " or write to " : "",
             pr.billing_email);
    d8(today, sdate);
    d8(cl.birth_date, birth);
    snprintf(period, sizeof period, "%s", month);
    struct psy_claim_provider prov = {.last_name = pr.name, .phone = pr.billing_phone,
                                      .address = {pr.address, NULL, pr.city, pr.state, pr.zip}};
    struct psy_claim_person pat = {.last_name = cl.last_name, .first_name = cl.first_name, .birth_date = birth,
                                   .address = {cl.address, NULL, cl.city, cl.state, cl.zip}};
    struct psy_statement s = {.practice = &prov, .patient = &pat, .statement_date = sdate, .period = period,
                              .lines = lines, .n_lines = nl, .items = items, .n_items = nit,
                              .total_due_cents = balance, .how_to_pay = how};
    if (over) {
        snprintf(err, errlen, "the amounts owed do not fit");
        rc = PSY_EINVAL;
    } else {
        rc = psy_pdf_statement(&s, out, len, err, errlen);
    }
    free(items);
    free(dates);
    free(what);
    free(lines);
    free(sv);
    free(it);
    free(e);
    return rc;
}
