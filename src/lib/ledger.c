/*
 * ledger.c -- the client ledger's entries (psy_ledger.h): the expected share of signed sessions, the
 * payer's patient responsibility handed over by the 835 posting after the last payer, payments, refunds,
 * adjustments with the practice's reasons, reversals, idempotency keys and month close. Entries are only
 * ever added; every write takes the practice's ledger lock, so a month close and a write never cross.
 * Reports over the entries (balances, aging, statements) are in ledger_report.c, the rules money keeps in
 * ledger_check.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_db.h"
#include "billing_int.h"
#include "ledger_int.h"

#define LOCK_LEDGER 0x6c65646765720000LL /* "ledger", xored with the practice id */

static const struct {
    const char *code, *words;
} default_reasons[] = {
    {"small-balance", "Small balance written off"},
    {"hardship", "Financial hardship"},
    {"courtesy", "Professional courtesy"},
    {"collections", "Sent to collections (bad debt)"},
    {"correction", "Correction of an entry"},
};

psy_status psy__ledger_today(psy_store *st, psy_id practice, char out[11])
{
    char tz[64];
    psy_status rc = psy__db_text(st, tz, sizeof tz, "SELECT time_zone FROM practice WHERE id = ?",
                                 PSY_ARGS(PSY_INT(practice)));
    if (rc) return rc;
    if (!psy_date_today(tz, out)) return psy__store_fail(st, PSY_EINVAL, "the practice's time zone %s is unknown", tz);
    return PSY_OK;
}

int psy_ledger_month_closed(psy_store *st, psy_id practice, const char *month)
{
    int64_t one;
    char m[8];
    snprintf(m, sizeof m, "%.7s", month ? month : "");
    psy_status rc = psy__db_int(st, &one, "SELECT 1 FROM ledger_month WHERE practice_id = ? AND month = ?",
                                PSY_ARGS(PSY_INT(practice), PSY_TEXT(m)));
    return rc == PSY_ENOTFOUND ? 0 : rc ? -1 : 1;
}

/* The first day of the month after the one out names (YYYY-MM-DD), into out. */
static void month_after(char out[11])
{
    int y = atoi(out) % 10000, m = atoi(out + 5) % 12 + 1;
    if (m == 1) y = (y + 1) % 10000;
    char next[16];
    snprintf(next, sizeof next, "%04d-%02d-01", y, m);
    memcpy(out, next, 11);
}

/* The date an automatic entry for `date` takes: date itself, or the first day of the first open month
 * after it when its month is closed. */
static psy_status open_date(psy_store *st, psy_id practice, const char *date, char out[11])
{
    snprintf(out, 11, "%s", date);
    for (int guard = 0; guard < 1200; guard++) {
        int c = psy_ledger_month_closed(st, practice, out);
        if (c < 0) return psy__store_dbfail(st, "ledger_month");
        if (!c) return PSY_OK;
        month_after(out);
    }
    return psy__store_fail(st, PSY_EINVAL, "no open month after %s", date);
}

psy_status psy__ledger_lock(psy_store *st, psy_id practice)
{
    return psy__store_lock(st, LOCK_LEDGER ^ (int64_t)practice);
}

/* The columns every entry is written with, in the order psy__ledger_insert and the batch of
 * psy_ledger_sync give them. */
#define ENTRY_COLUMNS                                                                                              \
    "INSERT INTO ledger_entry (practice_id, client_id, kind, amount_cents, entry_date, service_date, session_id, " \
    "claim_id, payment_id, method, reference, reason_code, reason, source, reverses, idempotency_key, created_by, " \
    "created_at) VALUES"
#define ENTRY_ROW "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

/* The arguments of ENTRY_ROW for entry e of practice p with key k, written at now. */
#define ENTRY_ARGS(p, e, k, now)                                                                                    \
    PSY_ARGS(PSY_INT(p), PSY_INT((e)->client_id), PSY_TEXT((e)->kind), PSY_INT((e)->amount_cents),                  \
             PSY_TEXT((e)->entry_date), PSY_TEXT((e)->service_date), PSY_INT_OR_NULL((e)->session_id),              \
             PSY_INT_OR_NULL((e)->claim_id), PSY_INT_OR_NULL((e)->payment_id), PSY_TEXT((e)->method),               \
             PSY_TEXT((e)->reference), PSY_TEXT((e)->reason_code), PSY_TEXT((e)->reason), PSY_TEXT((e)->source),    \
             PSY_INT_OR_NULL((e)->reverses), PSY_TEXT_OR_NULL(k), PSY_TEXT((e)->created_by), PSY_TEXT(now))

psy_status psy__ledger_insert(psy_store *st, psy_id practice, const struct psy_ledger_entry *e, const char *key,
                              psy_id *id)
{
    char now[PSY_REC_TIME_MAX];
    psy__billing_now(now);
    int64_t v = 0;
    psy_status rc = psy__db_insert(st, &v, ENTRY_COLUMNS " " ENTRY_ROW, ENTRY_ARGS(practice, e, key, now));
    if (id) *id = v;
    return rc;
}

/* --- expected share at the time of service ---------------------------------------------------- */

struct due {
    int64_t session, client;
    char date[11];
    int64_t policy; /* the member's policy in force, 0 none */
    long long copay, fee;
};

/* An entry without a claim, 835 payment, reversal or key added to batch b (an expected share, or a
 * payment or refund of psy_ledger_record_batch), with the columns of psy__ledger_insert. */
static void batch_entry(struct psy__batch *b, psy_id practice, const struct psy_ledger_entry *e, const char *now)
{
    psy__batch_int64(b, practice);
    psy__batch_int64(b, e->client_id);
    psy__batch_text(b, e->kind);
    psy__batch_int64(b, e->amount_cents);
    psy__batch_text(b, e->entry_date);
    psy__batch_text(b, e->service_date);
    if (e->session_id) psy__batch_int64(b, e->session_id);
    else psy__batch_text(b, NULL);
    for (int k = 0; k < 2; k++) psy__batch_text(b, NULL); /* claim_id, payment_id */
    psy__batch_text(b, e->method);
    psy__batch_text(b, e->reference);
    psy__batch_text(b, e->reason_code);
    psy__batch_text(b, e->reason);
    psy__batch_text(b, e->source);
    for (int k = 0; k < 2; k++) psy__batch_text(b, NULL); /* reverses, idempotency_key */
    psy__batch_text(b, e->created_by);
    psy__batch_text(b, now);
}

/* The practice's closed months ("YYYY-MM"), read once; and the date an automatic entry for `date` takes
 * by them, as open_date gives it. */
struct closed {
    char (*m)[8];
    size_t n, cap;
};

static int closed_has(const struct closed *c, const char *date)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strncmp(c->m[i], date, 7)) return 1;
    return 0;
}

static psy_status closed_load(psy_store *st, psy_id practice, struct closed *c)
{
    psy__stmt *m = NULL;
    psy_status rc = psy__db_query(st, &m, "SELECT month FROM ledger_month WHERE practice_id = ?", PSY_ARGS(PSY_INT(practice)));
    if (rc) return rc;
    int r;
    while ((r = psy__sql_step(m)) == PSY_SQL_ROW) psy__db_col_copy(m, 0, *PSY__PUSH(c->m, c->n, c->cap), sizeof *c->m);
    psy__sql_finalize(m);
    return r == PSY_SQL_ERROR ? psy__store_dbfail(st, "ledger_month") : PSY_OK;
}

static psy_status closed_date(const struct closed *c, psy_store *st, const char *date, char out[11])
{
    snprintf(out, 11, "%s", date);
    for (int guard = 0; guard < 1200; guard++) {
        if (!closed_has(c, out)) return PSY_OK;
        month_after(out);
    }
    return psy__store_fail(st, PSY_EINVAL, "no open month after %s", date);
}

/* Each billable member not taken yet: the client of a signed non-group session, each present member of a
 * signed group session, with the policy recorded on attendance and its copay (0, 0 when none). F narrows
 * the sessions (one `?`, or nothing). */
#define DUE_SQL3(P, F, G)                                                                                          \
    "SELECT s.id, s.client_id, s.service_date, 0, 0 FROM session s WHERE " P "s.practice_id = ? AND s.signed_at IS NOT" \
    " NULL AND s.group_id IS NULL AND s.client_id IS NOT NULL" F " AND NOT EXISTS (SELECT 1 FROM ledger_session l"  \
    " WHERE l.practice_id = s.practice_id AND l.session_id = s.id AND l.client_id = s.client_id)"                   \
    " UNION ALL SELECT s.id, a.client_id, s.service_date, COALESCE(a.policy_id, 0), COALESCE(ap.copay_cents, 0)"   \
    " FROM session s JOIN attendance a ON a.session_id = s.id AND a.practice_id = s.practice_id AND a.present = 1"  \
    " LEFT JOIN policy ap ON ap.id = a.policy_id WHERE " P "s.practice_id = ? AND s.signed_at IS NOT NULL AND"  \
    " s.group_id IS NOT NULL" G " AND NOT EXISTS (SELECT 1 FROM ledger_session l WHERE l.practice_id ="             \
    " s.practice_id AND l.session_id = s.id AND l.client_id = a.client_id) ORDER BY 3, 1, 2"
#define DUE_SQL(F) DUE_SQL3("", F, F)
/* One client's sessions: the individual ones, and the group sessions they attended. The unary + keeps
 * the planner on the client's index: SQLite, without statistics, would rather walk the practice's
 * sessions in date order. */
#define DUE_OF_CLIENT DUE_SQL3("+", " AND s.client_id = ?", " AND a.client_id = ?")
/* The clients of those sessions, for the primary policies and fees below (nothing: every client). */
#define DUE_CLIENTS                                                                                                \
    " AND client_id IN (SELECT s.client_id FROM session s WHERE s.id = ? UNION ALL SELECT a.client_id FROM"         \
    " attendance a WHERE a.session_id = ?)"
#define PRIMARY_SQL(F)                                                                                             \
    "SELECT client_id, copay_cents, id, start_date, end_date FROM policy WHERE practice_id = ? AND priority = 1" F   \
    " ORDER BY client_id, id"
#define FEE_SQL(F) "SELECT client_id, self_pay_cents FROM client_fee WHERE practice_id = ?" F " ORDER BY client_id"

/* A primary policy or a fee, by client (read ordered by client, then policy id). */
struct by_client {
    int64_t client, id;
    char start[11], end[11];
    int from, until;  /* start and end are given (not NULL) */
    long long cents;  /* the copay, or the fee */
};

/* The first of v (sorted by client) that belongs to client, or v + n. */
static const struct by_client *first_of(const struct by_client *v, size_t n, int64_t client)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].client < client) lo = mid + 1;
        else hi = mid;
    }
    return v + lo;
}

/* Reads rows of (client, cents) or, for policies, (client, cents, id, start, end): sql with F (nothing,
 * DUE_CLIENTS or " AND client_id = ?") as the scope names it. */
struct scope {
    psy_id session, client; /* one session, one client, or (both 0) the whole practice */
};
static psy_status read_by_client(psy_store *st, struct scope sc, const char *all, const char *of_session,
                                 const char *of_client, psy_id practice, int policies, struct by_client **out, size_t *n)
{
    size_t cap = 0;
    psy__stmt *s = NULL;
    psy_status rc = sc.session ? psy__db_query(st, &s, of_session,
                                               PSY_ARGS(PSY_INT(practice), PSY_INT(sc.session), PSY_INT(sc.session)))
                    : sc.client ? psy__db_query(st, &s, of_client, PSY_ARGS(PSY_INT(practice), PSY_INT(sc.client)))
                                : psy__db_query(st, &s, all, PSY_ARGS(PSY_INT(practice)));
    if (rc) return rc;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        struct by_client *x = PSY__PUSH(*out, *n, cap);
        x->client = psy__sql_int64(s, 0);
        x->cents = psy__sql_int64(s, 1);
        if (!policies) continue;
        x->id = psy__sql_int64(s, 2);
        x->from = !psy__sql_is_null(s, 3);
        x->until = !psy__sql_is_null(s, 4);
        psy__db_col_copy(s, 3, x->start, sizeof x->start);
        psy__db_col_copy(s, 4, x->end, sizeof x->end);
    }
    psy__sql_finalize(s);
    return r == PSY_SQL_ERROR ? psy__store_dbfail(st, "policy") : PSY_OK;
}

/* Reads what is due (of one session, of one client's sessions, or of every session) with one query per
 * table, then writes every member taken and every entry as multi-row inserts (COPY on PostgreSQL), under
 * the ledger lock so no other writer takes the same member meanwhile. */
static psy_status sync_due(psy_store *st, psy_id practice, struct scope sc, long *added)
{
    if (added) *added = 0;
    psy_status rc = psy__store_begin(st);
    if (rc) return rc;
    if ((rc = psy__ledger_lock(st, practice))) goto out;
    psy__stmt *s = NULL;
    struct due *d = NULL;
    size_t n = 0, cap = 0;
    if (sc.session)
        rc = psy__db_query(st, &s, DUE_SQL(" AND s.id = ?"),
                           PSY_ARGS(PSY_INT(practice), PSY_INT(sc.session), PSY_INT(practice), PSY_INT(sc.session)));
    else if (sc.client)
        rc = psy__db_query(st, &s, DUE_OF_CLIENT,
                           PSY_ARGS(PSY_INT(practice), PSY_INT(sc.client), PSY_INT(practice), PSY_INT(sc.client)));
    else rc = psy__db_query(st, &s, DUE_SQL(""), PSY_ARGS(PSY_INT(practice), PSY_INT(practice)));
    if (rc) goto out;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        int64_t sid = psy__sql_int64(s, 0), cid = psy__sql_int64(s, 1);
        if (n && d[n - 1].session == sid && d[n - 1].client == cid) continue; /* a member is taken once */
        struct due *x = PSY__PUSH(d, n, cap);
        x->session = sid;
        x->client = cid;
        psy__db_col_copy(s, 2, x->date, sizeof x->date);
        x->policy = psy__sql_int64(s, 3);
        x->copay = psy__sql_int64(s, 4);
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) rc = psy__store_dbfail(st, "session");
    /* the primary policy in force on the day (the first by id) for a member with none recorded, and the
     * client's fee */
    struct by_client *pol = NULL, *fee = NULL;
    size_t npol = 0, nfee = 0;
    if (!rc && n)
        rc = read_by_client(st, sc, PRIMARY_SQL(""), PRIMARY_SQL(DUE_CLIENTS), PRIMARY_SQL(" AND client_id = ?"),
                            practice, 1, &pol, &npol);
    if (!rc && n)
        rc = read_by_client(st, sc, FEE_SQL(""), FEE_SQL(DUE_CLIENTS), FEE_SQL(" AND client_id = ?"), practice, 0,
                            &fee, &nfee);
    for (size_t i = 0; !rc && i < n; i++) {
        const struct by_client *f = first_of(fee, nfee, d[i].client);
        if (f < fee + nfee && f->client == d[i].client) d[i].fee = f->cents;
        if (d[i].policy) continue;
        for (const struct by_client *p = first_of(pol, npol, d[i].client); p < pol + npol && p->client == d[i].client; p++)
            if (p->from && strcmp(p->start, d[i].date) <= 0 && (!p->until || strcmp(p->end, d[i].date) >= 0)) {
                d[i].policy = p->id;
                d[i].copay = p->cents;
                break;
            }
    }
    free(pol);
    free(fee);
    struct closed months = {0};
    if (!rc && n) rc = closed_load(st, practice, &months);
    struct psy__batch taken, entries;
    psy__batch_init(&taken, st, "INSERT INTO ledger_session (practice_id, session_id, client_id) VALUES", "(?, ?, ?)",
                    NULL);
    psy__batch_init(&entries, st, ENTRY_COLUMNS, ENTRY_ROW, NULL);
    char now[PSY_REC_TIME_MAX];
    psy__billing_now(now);
    long count = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        psy__batch_int64(&taken, practice);
        psy__batch_int64(&taken, d[i].session);
        psy__batch_int64(&taken, d[i].client);
        if ((rc = psy__batch_row(&taken))) break;
        struct psy_ledger_entry e = {.client_id = d[i].client, .session_id = d[i].session};
        if (d[i].policy) {
            snprintf(e.kind, sizeof e.kind, "copay");
            e.amount_cents = d[i].copay;
            snprintf(e.reason, sizeof e.reason, "copay of the policy in force, due at the time of service");
        } else {
            snprintf(e.kind, sizeof e.kind, "fee");
            e.amount_cents = d[i].fee;
            snprintf(e.reason, sizeof e.reason, "the client's fee per session (no insurance in force)");
        }
        if (e.amount_cents <= 0) continue;
        snprintf(e.service_date, sizeof e.service_date, "%s", d[i].date);
        snprintf(e.source, sizeof e.source, "session #%lld", (long long)d[i].session);
        snprintf(e.created_by, sizeof e.created_by, "psyclaim");
        if ((rc = closed_date(&months, st, d[i].date, e.entry_date))) break;
        batch_entry(&entries, practice, &e, now);
        if ((rc = psy__batch_row(&entries))) break;
        count++;
    }
    if (!rc) rc = psy__batch_flush(&taken);
    if (!rc) rc = psy__batch_flush(&entries);
    psy__batch_free(&taken);
    psy__batch_free(&entries);
    free(months.m);
    free(d);
    if (!rc && added) *added = count;
out:
    if (rc) psy__store_rollback(st);
    else rc = psy__store_commit(st);
    return rc;
}

psy_status psy_ledger_sync(psy_store *st, psy_id practice, long *added)
{
    return sync_due(st, practice, (struct scope){0, 0}, added);
}

psy_status psy_ledger_sync_session(psy_store *st, psy_id practice, psy_id session, long *added)
{
    if (session <= 0) return psy__store_fail(st, PSY_EINVAL, "session: no session #%lld", (long long)session);
    return sync_due(st, practice, (struct scope){session, 0}, added);
}

psy_status psy_ledger_sync_client(psy_store *st, psy_id practice, psy_id client, long *added)
{
    if (client <= 0) return psy__store_fail(st, PSY_EINVAL, "client: no client #%lld", (long long)client);
    return sync_due(st, practice, (struct scope){0, client}, added);
}

/* --- reading ---------------------------------------------------------------------------------- */

#define C(f, k) PSY__COL(struct psy_ledger_entry, f, k)
#define X(e, f, k) PSY__COLX(struct psy_ledger_entry, e, f, k)
static const struct psy__col entry_cols[] = {
    C(id, i), C(client_id, i), C(kind, s), C(amount_cents, c), C(entry_date, s), C(service_date, s),
    X("COALESCE(session_id, 0)", session_id, i), X("cid", claim_id, i), X("COALESCE(payment_id, 0)", payment_id, i),
    X("COALESCE(reverses, 0)", reverses, i), X("rby", reversed_by, i), C(method, s), C(reference, s),
    C(reason_code, s), C(reason, s), C(source, s), C(created_by, s), C(created_at, s),
    X("COALESCE((SELECT l.code FROM claim_line l WHERE l.claim_id = x.cid ORDER BY l.line_number LIMIT 1), '')", code,
      s)};
#undef C
#undef X
static const struct psy__map entry_map = PSY__MAP(entry_cols);

static const struct psy__map report_map = {entry_cols, sizeof entry_cols / sizeof entry_cols[0] - 1}; /* no code */

/* The query of the entries as of `through` (a reversal dated later does not count yet), of one client or
 * (client 0) of every client, ordered by client, date and id. With a claim: only the entries that may
 * belong to it (its own, those of its sessions without a claim of their own) and every reversal. */
static void ledger_query_of(struct psy__query *q, psy_id practice, psy_id client, psy_id claim, const char *through)
{
    const char *t = through && *through ? through : "9999-12-31";
    psy__query_init(q,
                    "FROM (SELECT e.*, COALESCE(e.claim_id, (SELECT min(l.claim_id) FROM claim_line l WHERE "
                    "l.session_id = e.session_id AND l.client_id = e.client_id), 0) AS cid, COALESCE((SELECT r.id FROM "
                    "ledger_entry r WHERE r.reverses = e.id AND r.entry_date <= ?), 0) AS rby FROM ledger_entry e",
                    PSY_ARGS(PSY_TEXT(t)));
    psy__query_where(q, "e.practice_id = ?", PSY_INT(practice));
    if (client) psy__query_where(q, "e.client_id = ?", PSY_INT(client));
    psy__query_where(q, "e.entry_date <= ?", PSY_TEXT(t));
    if (claim)
        psy__query_where_n(q,
                           "(e.claim_id = ? OR e.reverses IS NOT NULL OR (e.claim_id IS NULL AND e.session_id IN "
                           "(SELECT l.session_id FROM claim_line l WHERE l.claim_id = ?)))",
                           PSY_ARGS(PSY_INT(claim), PSY_INT(claim)));
    psy__query_sql(q, ") x ORDER BY x.client_id, x.entry_date, x.id");
}

static void ledger_query(struct psy__query *q, psy_id practice, psy_id client, const char *through)
{
    ledger_query_of(q, practice, client, 0, through);
}

psy_status psy__ledger_load(psy_store *st, psy_id practice, psy_id client, const char *through, int with_code,
                            struct psy_ledger_entry **out, size_t *n)
{
    struct psy__query q;
    ledger_query(&q, practice, client, through);
    *out = NULL;
    psy_status rc = psy__db_rows(st, (void **)out, n, sizeof **out, with_code ? &entry_map : &report_map, q.sql.p,
                                 q.args, q.n);
    psy__query_free(&q);
    return rc;
}

psy_status psy__ledger_each_client(psy_store *st, psy_id practice, const char *through,
                                   psy_status (*fn)(void *ud, const struct psy_ledger_entry *e, size_t n), void *ud)
{
    struct psy__query q;
    ledger_query(&q, practice, 0, through);
    psy__stmt *s = NULL;
    psy_status rc = psy__db_map_query(st, &s, &report_map, q.sql.p, q.args, q.n);
    psy__query_free(&q);
    if (rc) return rc;
    struct psy_ledger_entry *e = NULL;
    size_t n = 0, cap = 0;
    int r;
    while (!rc && (r = psy__sql_step(s)) == PSY_SQL_ROW) {
        psy_id client = psy__sql_int64(s, 1); /* entry_cols: id, client_id, ... */
        if (n && e[0].client_id != client) {
            rc = fn(ud, e, n);
            n = 0;
        }
        if (!rc) psy__db_read(s, &report_map, PSY__PUSH(e, n, cap));
    }
    if (!rc && r == PSY_SQL_ERROR) rc = psy__store_dbfail(st, "ledger_entry");
    psy__sql_finalize(s);
    if (!rc && n) rc = fn(ud, e, n);
    free(e);
    return rc;
}

psy_status psy_ledger_entries(psy_store *st, psy_id practice, psy_id client, const char *through,
                              struct psy_ledger_entry **out, size_t *n, long long *balance)
{
    *out = NULL;
    *n = 0;
    int64_t one;
    psy_status rc = psy__db_int(st, &one, "SELECT 1 FROM client WHERE practice_id = ? AND id = ?",
                                PSY_ARGS(PSY_INT(practice), PSY_INT(client)));
    if (rc == PSY_ENOTFOUND) return psy__store_fail(st, PSY_ENOTFOUND, "client: no such client");
    if (rc) return rc;
    if ((rc = psy__ledger_load(st, practice, client, through, 1, out, n))) return rc;
    long long sum = 0;
    int over = 0;
    for (size_t i = 0; i < *n; i++) psy_cents_acc(&sum, (*out)[i].amount_cents, &over);
    if (over) return psy__store_fail(st, PSY_EINVAL, "the client's balance is past the largest amount this system can hold");
    if (balance) *balance = sum;
    return PSY_OK;
}

/* --- writes by people ------------------------------------------------------------------------- */

static psy_status bad(char *err, size_t errlen, psy_status rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static psy_status bad(char *err, size_t errlen, psy_status rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

/* The date a person gave (NULL = today), refused when it lies in a closed month. */
static psy_status write_date(psy_store *st, psy_id practice, const char *date, char out[11], char *err, size_t errlen)
{
    psy_status rc;
    if (!date || !*date) {
        if ((rc = psy__ledger_today(st, practice, out))) return bad(err, errlen, rc, "%s", psy_store_errmsg(st));
    } else {
        if (!psy_date_iso_valid(date)) return bad(err, errlen, PSY_EINVAL, "date: a date YYYY-MM-DD");
        snprintf(out, 11, "%s", date);
    }
    int c = psy_ledger_month_closed(st, practice, out);
    if (c < 0) return bad(err, errlen, PSY_EDB, "%s", psy_store_errmsg(st));
    if (c)
        return bad(err, errlen, PSY_ECONFLICT, "date: %.7s is closed; a correction is dated in an open month", out);
    return PSY_OK;
}

/* The open amount of a claim for its client: what its sessions' expected shares and payer shares put on
 * the client less what was applied to it. */
static psy_status claim_open(psy_store *st, psy_id practice, psy_id client, psy_id claim, long long *open)
{
    struct psy_ledger_entry *e = NULL;
    size_t n;
    /* the entries that may be the claim's, not the client's whole ledger (read for each payment applied) */
    struct psy__query q;
    ledger_query_of(&q, practice, client, claim, NULL);
    psy_status rc = psy__db_rows(st, (void **)&e, &n, sizeof *e, &report_map, q.sql.p, q.args, q.n);
    psy__query_free(&q);
    long long sum = 0;
    int over = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        if (e[i].claim_id != claim) continue;
        psy_cents_acc(&sum, e[i].amount_cents, &over);
        /* a reversal's target may belong to the claim while the reversal carries no claim of its own */
    }
    for (size_t i = 0; !rc && i < n; i++) {
        if (e[i].claim_id == claim || !e[i].reverses) continue;
        for (size_t k = 0; k < n; k++)
            if (e[k].id == e[i].reverses && e[k].claim_id == claim) psy_cents_acc(&sum, e[i].amount_cents, &over);
    }
    free(e);
    if (!rc && over) rc = psy__store_fail(st, PSY_EINVAL, "the claim's open amount does not fit");
    *open = sum;
    return rc;
}

static int method_ok(const char *m)
{
    return m && (!strcmp(m, "cash") || !strcmp(m, "check") || !strcmp(m, "card") || !strcmp(m, "other"));
}

/* An idempotency key's earlier entry, from the rows of REPLAY_SQL: *same when it is this very write
 * (*id its entry), PSY_ECONFLICT when the key was used for another. */
#define REPLAY_SQL                                                                                                 \
    "SELECT id, client_id, kind, amount_cents, COALESCE(claim_id, 0) FROM ledger_entry "                          \
    "WHERE practice_id = ? AND idempotency_key = ?"
static psy_status replay(psy__stmt *s, const struct psy_ledger_entry *e, psy_id *id, int *same, char *err,
                         size_t errlen)
{
    *same = 0;
    if (psy__sql_step(s) != PSY_SQL_ROW) return PSY_OK;
    const char *kind = psy__sql_text(s, 2);
    if (psy__sql_int64(s, 1) == e->client_id && kind && !strcmp(kind, e->kind) &&
        psy__sql_int64(s, 3) == e->amount_cents && psy__sql_int64(s, 4) == e->claim_id) {
        *id = psy__sql_int64(s, 0);
        *same = 1;
        return PSY_OK;
    }
    return bad(err, errlen, PSY_ECONFLICT, "idempotency_key: already used for another entry (#%lld); nothing was recorded",
               (long long)psy__sql_int64(s, 0));
}

/* What a write says before the store is asked: e filled from w (its date not yet), *key its idempotency
 * key or NULL; PSY_EINVAL with err naming the field. */
static psy_status write_entry(const struct psy_ledger_write *w, struct psy_ledger_entry *out, const char **keyp,
                              char *err, size_t errlen)
{
    struct psy_ledger_entry e = {.client_id = w->client, .claim_id = w->claim};
    const char *kind = w->kind ? w->kind : "";
    int pay = !strcmp(kind, "payment"), refund = !strcmp(kind, "refund"), adj = !strcmp(kind, "adjustment");
    if (!pay && !refund && !adj) return bad(err, errlen, PSY_EINVAL, "kind: payment, refund or adjustment");
    snprintf(e.kind, sizeof e.kind, "%s", kind);
    if ((pay || refund) && w->amount_cents <= 0) return bad(err, errlen, PSY_EINVAL, "amount: more than $0.00");
    if (adj && !w->amount_cents) return bad(err, errlen, PSY_EINVAL, "amount: not $0.00");
    long long neg;
    if (psy_cents_sub(0, w->amount_cents, &neg))
        return bad(err, errlen, PSY_EINVAL, "amount: past the largest amount this system can hold");
    if ((pay || refund) && !method_ok(w->method))
        return bad(err, errlen, PSY_EINVAL, "method: cash, check, card or other (psyclaim records, it charges no card)");
    if (refund && w->claim) return bad(err, errlen, PSY_EINVAL, "claim: a refund is of the client's credit, not of a claim");
    const char *key = w->idempotency_key && *w->idempotency_key ? w->idempotency_key : NULL;
    if (key && strlen(key) >= PSY_LEDGER_KEY_MAX) return bad(err, errlen, PSY_EINVAL, "idempotency_key: at most 64 characters");
    if (strlen(w->reference ? w->reference : "") >= PSY_LEDGER_REF_MAX)
        return bad(err, errlen, PSY_EINVAL, "reference: at most 64 characters");
    /* payments and write-offs lower the balance; refunds and added charges raise it */
    e.amount_cents = refund ? w->amount_cents : neg;
    snprintf(e.method, sizeof e.method, "%s", pay || refund ? w->method : "");
    snprintf(e.reference, sizeof e.reference, "%s", w->reference ? w->reference : "");
    snprintf(e.created_by, sizeof e.created_by, "%s", w->by ? w->by : "");
    snprintf(e.source, sizeof e.source, "recorded by %s", w->by && *w->by ? w->by : "the practice");
    *out = e;
    *keyp = key;
    return PSY_OK;
}

psy_status psy_ledger_record(psy_store *st, psy_id practice, const struct psy_ledger_write *w, psy_id *entry,
                             int *replayed, char *err, size_t errlen)
{
    char dummy[8], now[PSY_REC_TIME_MAX];
    if (!err || !errlen) err = dummy, errlen = sizeof dummy;
    err[0] = 0;
    if (replayed) *replayed = 0;
    *entry = 0;
    struct psy_ledger_entry e;
    const char *key;
    psy_status rc = write_entry(w, &e, &key, err, errlen);
    if (rc) return rc;
    int adj = !strcmp(e.kind, "adjustment"), dated = w->date && *w->date;
    if (dated && !psy_date_iso_valid(w->date)) return bad(err, errlen, PSY_EINVAL, "date: a date YYYY-MM-DD");
    if (dated) snprintf(e.entry_date, sizeof e.entry_date, "%s", w->date);
    /* A biller's payment is a transaction of its own. On PostgreSQL it takes two round trips: the BEGIN,
     * the ledger lock and the checks that need nothing but the write; then the entry and the COMMIT
     * (psy__store_begin_lock, psy__store_commit_after). */
    char m[8];
    snprintf(m, sizeof m, "%.7s", e.entry_date);
    psy__stmt *client = psy__db_stmt(st, "SELECT 1 FROM client WHERE practice_id = ? AND id = ?",
                                     PSY_ARGS(PSY_INT(practice), PSY_INT(w->client)));
    psy__stmt *keyed = key ? psy__db_stmt(st, REPLAY_SQL, PSY_ARGS(PSY_INT(practice), PSY_TEXT(key))) : NULL;
    psy__stmt *when = dated ? psy__db_stmt(st, "SELECT 1 FROM ledger_month WHERE practice_id = ? AND month = ?",
                                           PSY_ARGS(PSY_INT(practice), PSY_TEXT(m)))
                            : psy__db_stmt(st, "SELECT time_zone FROM practice WHERE id = ?", PSY_ARGS(PSY_INT(practice)));
    psy__stmt *checks[3] = {client, when, keyed}, *insert = NULL;
    if (!client || !when || (key && !keyed)) rc = psy__store_dbfail(st, "database");
    else rc = psy__store_begin_lock(st, LOCK_LEDGER ^ (int64_t)practice, checks, key ? 3 : 2);
    if (rc) {
        for (int i = 0; i < 3; i++) psy__sql_finalize(checks[i]);
        return bad(err, errlen, rc, "%s", psy_store_errmsg(st));
    }
    if (psy__sql_step(client) != PSY_SQL_ROW) {
        rc = bad(err, errlen, PSY_ENOTFOUND, "client: no such client");
        goto fail;
    }
    if (key) {
        int same;
        psy_id old;
        if ((rc = replay(keyed, &e, &old, &same, err, errlen))) goto fail;
        if (same) {
            for (int i = 0; i < 3; i++) psy__sql_finalize(checks[i]);
            psy__store_rollback(st);
            *entry = old;
            if (replayed) *replayed = 1;
            return PSY_OK;
        }
    }
    int closed;
    if (dated) {
        closed = psy__sql_step(when) == PSY_SQL_ROW;
    } else { /* today in the practice's time zone, then its month */
        char tz[64] = "";
        if (psy__sql_step(when) == PSY_SQL_ROW) snprintf(tz, sizeof tz, "%s", psy__sql_text(when, 0));
        if (!psy_date_today(tz, e.entry_date)) {
            rc = bad(err, errlen, PSY_EINVAL, "the practice's time zone %s is unknown", tz);
            goto fail;
        }
        if ((closed = psy_ledger_month_closed(st, practice, e.entry_date)) < 0) {
            rc = PSY_EDB;
            goto fail_db;
        }
    }
    if (closed) {
        rc = bad(err, errlen, PSY_ECONFLICT, "date: %.7s is closed; a correction is dated in an open month", e.entry_date);
        goto fail;
    }
    if (w->claim) {
        rc = psy__db_text(st, e.service_date, sizeof e.service_date,
                          "SELECT service_date FROM claim WHERE practice_id = ? AND id = ? AND client_id = ?",
                          PSY_ARGS(PSY_INT(practice), PSY_INT(w->claim), PSY_INT(w->client)));
        if (rc == PSY_ENOTFOUND) {
            rc = bad(err, errlen, PSY_ENOTFOUND, "claim: no claim #%lld of this client", (long long)w->claim);
            goto fail;
        }
        if (rc) goto fail_db;
        long long open = 0;
        if ((rc = claim_open(st, practice, w->client, w->claim, &open))) goto fail_db;
        if (e.amount_cents < 0 && -e.amount_cents > open) {
            char a[PSY_CENTS_TEXT_MAX], b[PSY_CENTS_TEXT_MAX];
            rc = bad(err, errlen, PSY_EINVAL,
                     "amount: %s is more than the %s the client owes on claim #%lld; record it without --claim to "
                     "keep the rest as credit", psy_cents_format(-e.amount_cents, a),
                     psy_cents_format(open < 0 ? 0 : open, b), (long long)w->claim);
            goto fail;
        }
    }
    if (adj) {
        struct psy_ledger_reason *rs;
        size_t nr;
        if ((rc = psy_ledger_reasons(st, practice, &rs, &nr))) goto fail_db;
        for (size_t i = 0; i < nr; i++)
            if (rs[i].active && w->reason_code && !strcmp(rs[i].code, w->reason_code)) {
                snprintf(e.reason_code, sizeof e.reason_code, "%s", rs[i].code);
                snprintf(e.reason, sizeof e.reason, "%s", rs[i].words);
            }
        free(rs);
        if (!e.reason_code[0]) {
            rc = bad(err, errlen, PSY_EINVAL, "reason: not one of the practice's reasons (psyclaim adjust --reasons)");
            goto fail;
        }
    }
    for (int i = 0; i < 3; i++) psy__sql_finalize(checks[i]);
    checks[0] = checks[1] = checks[2] = NULL;
    psy__billing_now(now);
    insert = psy__db_stmt(st, ENTRY_COLUMNS " " ENTRY_ROW " RETURNING id", ENTRY_ARGS(practice, &e, key, now));
    if (!insert) {
        rc = psy__store_dbfail(st, "database");
        goto fail_db;
    }
    /* the entry and the COMMIT together: on failure nothing is kept and the transaction is over */
    if ((rc = psy__store_commit_after(st, &insert, 1)) || psy__sql_step(insert) != PSY_SQL_ROW) {
        psy__sql_finalize(insert);
        return bad(err, errlen, rc ? rc : PSY_EDB, "%s", psy_store_errmsg(st));
    }
    *entry = psy__sql_int64(insert, 0);
    psy__sql_finalize(insert);
    return PSY_OK;
fail_db:
    bad(err, errlen, rc, "%s", psy_store_errmsg(st));
fail:
    for (int i = 0; i < 3; i++) psy__sql_finalize(checks[i]);
    psy__store_rollback(st);
    return rc;
}

static int id_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

psy_status psy_ledger_record_batch(psy_store *st, psy_id practice, const struct psy_ledger_write *w, size_t n,
                                   char *err, size_t errlen)
{
    char dummy[8], msg[300];
    if (!err || !errlen) err = dummy, errlen = sizeof dummy;
    err[0] = 0;
    struct psy_ledger_entry *e = psy__calloc(n ? n : 1, sizeof *e);
    psy_status rc = PSY_OK;
    size_t i = 0;
    for (; !rc && i < n; i++) {
        const char *key;
        rc = write_entry(&w[i], &e[i], &key, msg, sizeof msg);
        if (!rc && (key || w[i].claim || !strcmp(e[i].kind, "adjustment")))
            rc = bad(msg, sizeof msg, PSY_EINVAL, "kind: a batch holds payments and refunds to the client's account "
                                                  "only (no claim, idempotency key or adjustment)");
    }
    if (rc) {
        snprintf(err, errlen, "write %zu: %s", i, msg);
        free(e);
        return rc;
    }
    if ((rc = psy__store_begin(st))) {
        free(e);
        return bad(err, errlen, rc, "%s", psy_store_errmsg(st));
    }
    int64_t *clients = NULL;
    size_t nclients = 0;
    struct closed months = {0};
    char today[11] = "", now[PSY_REC_TIME_MAX];
    psy__billing_now(now);
    struct psy__batch b;
    psy__batch_init(&b, st, ENTRY_COLUMNS, ENTRY_ROW, NULL);
    int dbfail = 1;
    if (!(rc = psy__ledger_lock(st, practice)))
        rc = psy__db_ints(st, &clients, &nclients, "SELECT id FROM client WHERE practice_id = ?",
                          PSY_ARGS(PSY_INT(practice)));
    if (!rc) rc = closed_load(st, practice, &months);
    if (!rc && nclients) qsort(clients, nclients, sizeof *clients, id_cmp);
    /* the checks of psy_ledger_record, in its order, against what was read once */
    for (i = 0; !rc && i < n; i++) {
        dbfail = 0;
        int64_t c = w[i].client;
        if (!nclients || !bsearch(&c, clients, nclients, sizeof *clients, id_cmp)) {
            rc = bad(msg, sizeof msg, PSY_ENOTFOUND, "client: no such client");
            break;
        }
        const char *date = w[i].date;
        if (!date || !*date) {
            if (!*today && (rc = psy__ledger_today(st, practice, today))) {
                dbfail = 1;
                break;
            }
            date = today;
        } else if (!psy_date_iso_valid(date)) {
            rc = bad(msg, sizeof msg, PSY_EINVAL, "date: a date YYYY-MM-DD");
            break;
        }
        snprintf(e[i].entry_date, sizeof e[i].entry_date, "%s", date);
        if (closed_has(&months, e[i].entry_date)) {
            rc = bad(msg, sizeof msg, PSY_ECONFLICT, "date: %.7s is closed; a correction is dated in an open month",
                     e[i].entry_date);
            break;
        }
        batch_entry(&b, practice, &e[i], now);
        if ((rc = psy__batch_row(&b))) dbfail = 1;
    }
    if (!rc) {
        dbfail = 1;
        rc = psy__batch_flush(&b);
    }
    if (rc && dbfail) snprintf(err, errlen, "%s", psy_store_errmsg(st));
    else if (rc) snprintf(err, errlen, "write %zu: %s", i + 1, msg);
    psy__batch_free(&b);
    free(months.m);
    free(clients);
    free(e);
    if (rc) {
        psy__store_rollback(st);
        return rc;
    }
    if ((rc = psy__store_commit(st))) return bad(err, errlen, rc, "%s", psy_store_errmsg(st));
    return PSY_OK;
}

/* A reversal of old; payment (0 none) is the 835 payment row whose figure replaced an expected share. */
static psy_status reversal_of(psy_store *st, psy_id practice, const struct psy_ledger_entry *old, const char *date,
                              const char *reason, const char *by, psy_id payment, psy_id *id)
{
    struct psy_ledger_entry e = {.client_id = old->client_id, .claim_id = old->claim_id, .session_id = old->session_id,
                                 .reverses = old->id, .payment_id = payment};
    snprintf(e.kind, sizeof e.kind, "reversal");
    e.amount_cents = -old->amount_cents; /* the target's amount was stored, so its negation fits (> LLONG_MIN) */
    snprintf(e.entry_date, sizeof e.entry_date, "%s", date);
    snprintf(e.service_date, sizeof e.service_date, "%s", old->service_date);
    snprintf(e.reason, sizeof e.reason, "%s", reason);
    snprintf(e.source, sizeof e.source, "reverses entry #%lld (%s)", (long long)old->id, old->kind);
    snprintf(e.created_by, sizeof e.created_by, "%s", by ? by : "");
    return psy__ledger_insert(st, practice, &e, NULL, id);
}

psy_status psy__ledger_reverse_one(psy_store *st, psy_id practice, const struct psy_ledger_entry *old, const char *date,
                                   const char *reason, const char *by, psy_id *id)
{
    return reversal_of(st, practice, old, date, reason, by, 0, id);
}

psy_status psy_ledger_reverse(psy_store *st, psy_id practice, psy_id entry, const char *reason, const char *date,
                              const char *by, psy_id *reversal, char *err, size_t errlen)
{
    char dummy[8];
    if (!err || !errlen) err = dummy, errlen = sizeof dummy;
    err[0] = 0;
    if (!reason || !*reason) return bad(err, errlen, PSY_EINVAL, "reason: say why the entry is taken back");
    psy_status rc = psy__store_begin(st);
    if (rc) return bad(err, errlen, rc, "%s", psy_store_errmsg(st));
    struct psy_ledger_entry *e = NULL;
    size_t n = 0;
    char d[11];
    if ((rc = psy__ledger_lock(st, practice))) goto fail_db;
    if ((rc = psy__db_rows(st, (void **)&e, &n, sizeof *e, &entry_map,
                           "FROM (SELECT e.*, COALESCE(e.claim_id, 0) AS cid, COALESCE((SELECT r.id FROM ledger_entry r "
                           "WHERE r.reverses = e.id), 0) AS rby FROM ledger_entry e WHERE e.practice_id = ? AND e.id = ?) x",
                           PSY_ARGS(PSY_INT(practice), PSY_INT(entry)))))
        goto fail_db;
    if (!n) {
        rc = bad(err, errlen, PSY_ENOTFOUND, "entry: no entry #%lld", (long long)entry);
        goto fail;
    }
    if (!strcmp(e->kind, "reversal") || e->reversed_by) {
        rc = bad(err, errlen, PSY_ECONFLICT, "entry: #%lld %s", (long long)entry,
                 e->reversed_by ? "was reversed already" : "is a reversal; record a new entry instead");
        goto fail;
    }
    if ((rc = write_date(st, practice, date, d, err, errlen))) goto fail;
    if (strcmp(d, e->entry_date) < 0) {
        rc = bad(err, errlen, PSY_EINVAL, "date: before the entry it reverses (%s)", e->entry_date);
        goto fail;
    }
    if ((rc = psy__ledger_reverse_one(st, practice, e, d, reason, by, reversal))) goto fail_db;
    free(e);
    if ((rc = psy__store_commit(st))) return bad(err, errlen, rc, "%s", psy_store_errmsg(st));
    return PSY_OK;
fail_db:
    bad(err, errlen, rc, "%s", psy_store_errmsg(st));
fail:
    free(e);
    psy__store_rollback(st);
    return rc;
}

/* --- the practice's reasons, client fees, month close ----------------------------------------- */

psy_status psy_ledger_reasons(psy_store *st, psy_id practice, struct psy_ledger_reason **out, size_t *n)
{
    int64_t count = 0;
    psy_status rc = psy__db_int(st, &count, "SELECT count(*) FROM ledger_reason WHERE practice_id = ?",
                                PSY_ARGS(PSY_INT(practice)));
    for (size_t i = 0; !rc && !count && i < sizeof default_reasons / sizeof default_reasons[0]; i++)
        rc = psy__db_run(st, NULL,
                         "INSERT INTO ledger_reason (practice_id, code, words) VALUES (?, ?, ?) "
                         "ON CONFLICT (practice_id, code) DO NOTHING",
                         PSY_ARGS(PSY_INT(practice), PSY_TEXT(default_reasons[i].code),
                                  PSY_TEXT(default_reasons[i].words)));
    *out = NULL;
    *n = 0;
    if (rc) return rc;
    static const struct psy__col cols[] = {PSY__COL(struct psy_ledger_reason, code, s),
                                           PSY__COL(struct psy_ledger_reason, words, s),
                                           PSY__COL(struct psy_ledger_reason, active, d)};
    static const struct psy__map map = PSY__MAP(cols);
    return psy__db_rows(st, (void **)out, n, sizeof **out, &map, "FROM ledger_reason WHERE practice_id = ? ORDER BY code",
                        PSY_ARGS(PSY_INT(practice)));
}

psy_status psy_ledger_reason_set(psy_store *st, psy_id practice, const char *code, const char *words, int active)
{
    if (!code || !*code || strlen(code) > 32) return psy__store_fail(st, PSY_EINVAL, "code: 1 to 32 characters");
    if (!words || !*words || strlen(words) > 120) return psy__store_fail(st, PSY_EINVAL, "words: 1 to 120 characters");
    struct psy_ledger_reason *r;
    size_t n;
    psy_status rc = psy_ledger_reasons(st, practice, &r, &n); /* the defaults first */
    free(r);
    if (rc) return rc;
    return psy__db_run(st, NULL,
                       "INSERT INTO ledger_reason (practice_id, code, words, active) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (practice_id, code) DO UPDATE SET words = excluded.words, active = excluded.active",
                       PSY_ARGS(PSY_INT(practice), PSY_TEXT(code), PSY_TEXT(words), PSY_INT(active ? 1 : 0)));
}

psy_status psy_ledger_fee_set(psy_store *st, psy_id practice, psy_id client, long long cents)
{
    if (cents < 0) return psy__store_fail(st, PSY_EINVAL, "self_pay: not below $0.00");
    int64_t one;
    psy_status rc = psy__db_int(st, &one, "SELECT 1 FROM client WHERE practice_id = ? AND id = ?",
                                PSY_ARGS(PSY_INT(practice), PSY_INT(client)));
    if (rc == PSY_ENOTFOUND) return psy__store_fail(st, PSY_ENOTFOUND, "client: no such client");
    if (rc) return rc;
    char now[PSY_REC_TIME_MAX];
    psy__billing_now(now);
    return psy__db_run(st, NULL,
                       "INSERT INTO client_fee (practice_id, client_id, self_pay_cents, updated_at) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (practice_id, client_id) DO UPDATE SET self_pay_cents = excluded.self_pay_cents, "
                       "updated_at = excluded.updated_at",
                       PSY_ARGS(PSY_INT(practice), PSY_INT(client), PSY_INT(cents), PSY_TEXT(now)));
}

psy_status psy_ledger_fee_get(psy_store *st, psy_id practice, psy_id client, long long *cents)
{
    int64_t v = 0;
    psy_status rc = psy__db_int(st, &v, "SELECT self_pay_cents FROM client_fee WHERE practice_id = ? AND client_id = ?",
                                PSY_ARGS(PSY_INT(practice), PSY_INT(client)));
    *cents = rc ? 0 : v;
    return rc == PSY_ENOTFOUND ? PSY_OK : rc;
}

psy_status psy_ledger_close_month(psy_store *st, psy_id practice, const char *month, const char *by, char *err,
                                  size_t errlen)
{
    char dummy[8], first[11], today[11];
    if (!err || !errlen) err = dummy, errlen = sizeof dummy;
    err[0] = 0;
    snprintf(first, sizeof first, "%.7s-01", month ? month : "");
    if (!month || strlen(month) != 7 || !psy_date_iso_valid(first)) return bad(err, errlen, PSY_EINVAL, "month: YYYY-MM");
    psy_status rc = psy__ledger_today(st, practice, today);
    if (rc) return bad(err, errlen, rc, "%s", psy_store_errmsg(st));
    if (strncmp(month, today, 7) >= 0) return bad(err, errlen, PSY_EINVAL, "month: %s is not over yet", month);
    char now[PSY_REC_TIME_MAX];
    psy__billing_now(now);
    if ((rc = psy__store_begin(st))) return bad(err, errlen, rc, "%s", psy_store_errmsg(st));
    if (!(rc = psy__ledger_lock(st, practice)))
        rc = psy__db_run(st, NULL,
                         "INSERT INTO ledger_month (practice_id, month, closed_at, closed_by) VALUES (?, ?, ?, ?) "
                         "ON CONFLICT (practice_id, month) DO NOTHING",
                         PSY_ARGS(PSY_INT(practice), PSY_TEXT(month), PSY_TEXT(now), PSY_TEXT(by ? by : "")));
    if (rc) {
        bad(err, errlen, rc, "%s", psy_store_errmsg(st));
        psy__store_rollback(st);
        return rc;
    }
    if ((rc = psy__store_commit(st))) bad(err, errlen, rc, "%s", psy_store_errmsg(st));
    return rc;
}

psy_status psy_ledger_clinicians_see(psy_store *st, psy_id practice, int *yes)
{
    int64_t v = 0;
    psy_status rc = psy__db_int(st, &v, "SELECT clinicians_see_balances FROM ledger_setting WHERE practice_id = ?",
                                PSY_ARGS(PSY_INT(practice)));
    *yes = !rc && v;
    return rc == PSY_ENOTFOUND ? PSY_OK : rc;
}

psy_status psy_ledger_clinicians_see_set(psy_store *st, psy_id practice, int yes)
{
    return psy__db_run(st, NULL,
                       "INSERT INTO ledger_setting (practice_id, clinicians_see_balances) VALUES (?, ?) ON CONFLICT "
                       "(practice_id) DO UPDATE SET clinicians_see_balances = excluded.clinicians_see_balances",
                       PSY_ARGS(PSY_INT(practice), PSY_INT(yes ? 1 : 0)));
}

/* --- the 835 hands patient responsibility over ------------------------------------------------- */

/* One payer-share entry per CARC of group PR, summed over the claim's and its lines' adjustments. */
static psy_status payer_shares(psy_store *st, psy_id practice, psy_id claim, psy_id client, const char *service_date,
                               psy_id row, const char *source, const char *date, const struct psy_era_claim *c)
{
    struct share {
        char reason[6];
        long long cents;
    } sh[32];
    size_t n = 0;
    int over = 0;
    for (size_t j = 0; j <= c->n_services; j++) {
        const struct psy_era_adjustment *a = j ? c->services[j - 1].adjustments : c->adjustments;
        size_t na = j ? c->services[j - 1].n_adjustments : c->n_adjustments;
        for (size_t i = 0; i < na; i++) {
            if (strcmp(a[i].group, "PR")) continue;
            size_t k = 0;
            while (k < n && strcmp(sh[k].reason, a[i].reason)) k++;
            if (k == n) {
                if (n == sizeof sh / sizeof sh[0]) return psy__store_fail(st, PSY_EINVAL, "too many PR reasons");
                snprintf(sh[n].reason, sizeof sh[n].reason, "%s", a[i].reason);
                sh[n++].cents = 0;
            }
            psy_cents_acc(&sh[k].cents, a[i].amount_cents, &over);
        }
    }
    if (over) return psy__store_fail(st, PSY_EINVAL, "claim %s: its patient responsibility does not fit", c->claim_id);
    for (size_t k = 0; k < n; k++) {
        if (!sh[k].cents) continue;
        struct psy_ledger_entry e = {.client_id = client, .claim_id = claim, .payment_id = row, .amount_cents = sh[k].cents};
        snprintf(e.kind, sizeof e.kind, "payer_share");
        snprintf(e.entry_date, sizeof e.entry_date, "%s", date);
        snprintf(e.service_date, sizeof e.service_date, "%s", service_date);
        snprintf(e.reason_code, sizeof e.reason_code, "%.5s", sh[k].reason);
        const char *words = psy_x12_describe(PSY_X12_TEXT_REASON, sh[k].reason);
        snprintf(e.reason, sizeof e.reason, "%s", words ? words : "patient responsibility (reason code not known)");
        snprintf(e.source, sizeof e.source, "%s", source);
        snprintf(e.created_by, sizeof e.created_by, "835");
        psy_status rc = psy__ledger_insert(st, practice, &e, NULL, NULL);
        if (rc) return rc;
    }
    return PSY_OK;
}

/* Reverses the entries that still stand among those the query `ids` selects (SQL giving entry ids, one
 * `?` for the id it names); the reversals carry the 835 payment row `payment` (0 none) that replaced
 * them. The unary + keeps the planner on the ids: SQLite, without statistics, would rather walk every
 * entry of the practice through its index and test each against them. */
static psy_status reverse_where(psy_store *st, psy_id practice, const char *ids, psy_id id, psy_id payment,
                                const char *date, const char *why)
{
    struct psy_ledger_entry *e = NULL;
    size_t n = 0;
    char sql[800];
    snprintf(sql, sizeof sql,
             "FROM (SELECT e.*, COALESCE(e.claim_id, 0) AS cid, 0 AS rby FROM ledger_entry e WHERE e.id IN (%s) AND "
             "+e.practice_id = ? AND e.kind <> 'reversal' AND NOT EXISTS (SELECT 1 FROM ledger_entry r WHERE "
             "r.reverses = e.id)) x ORDER BY x.id", ids);
    psy_status rc = psy__db_rows(st, (void **)&e, &n, sizeof *e, &entry_map, sql, PSY_ARGS(PSY_INT(id), PSY_INT(practice)));
    for (size_t i = 0; !rc && i < n; i++) rc = reversal_of(st, practice, &e[i], date, why, "835", payment, NULL);
    free(e);
    return rc;
}

/* The payer took back payment row `earlier` (CLP02 22, every amount negated): the claim is as it was
 * before that payment, so the expected share at the time of service that the payment replaced is owed
 * again. Each such copay or fee is written anew (entries are never revived: its reversal stands) unless
 * an expected share of the same session and client stands already; the payer's next payment for the
 * claim replaces it as it did the first. */
static psy_status restore_expected(psy_store *st, psy_id practice, psy_id earlier, const char *date, const char *source)
{
    struct psy_ledger_entry *e = NULL;
    size_t n = 0;
    psy_status rc = psy__db_rows(
        st, (void **)&e, &n, sizeof *e, &entry_map,
        "FROM (SELECT t.*, 0 AS cid, 0 AS rby FROM ledger_entry t JOIN ledger_entry r ON r.reverses = t.id WHERE "
        "t.practice_id = ? AND r.payment_id = ? AND r.kind = 'reversal' AND t.kind IN ('copay', 'fee') AND NOT EXISTS "
        "(SELECT 1 FROM ledger_entry s WHERE s.practice_id = t.practice_id AND s.session_id = t.session_id AND "
        "s.client_id = t.client_id AND s.kind IN ('copay', 'fee') AND NOT EXISTS (SELECT 1 FROM ledger_entry x WHERE "
        "x.reverses = s.id))) x ORDER BY x.id",
        PSY_ARGS(PSY_INT(practice), PSY_INT(earlier)));
    for (size_t i = 0; !rc && i < n; i++) {
        struct psy_ledger_entry a = {.client_id = e[i].client_id, .session_id = e[i].session_id,
                                     .amount_cents = e[i].amount_cents};
        snprintf(a.kind, sizeof a.kind, "%s", e[i].kind);
        snprintf(a.entry_date, sizeof a.entry_date, "%s", date);
        snprintf(a.service_date, sizeof a.service_date, "%s", e[i].service_date);
        snprintf(a.reason, sizeof a.reason, "%s due again: the payer reversed its payment (CLP02 22)",
                 strcmp(e[i].kind, "fee") ? "copay" : "the client's fee");
        snprintf(a.source, sizeof a.source, "%.120s; restores entry #%lld", source, (long long)e[i].id);
        snprintf(a.created_by, sizeof a.created_by, "835");
        rc = psy__ledger_insert(st, practice, &a, NULL, NULL);
    }
    free(e);
    return rc;
}

static psy_status posted(psy_store *st, psy_id practice, psy_id claim, psy_id row, psy_id earlier, psy_id file,
                         const char *trace, const struct psy_era_claim *c)
{
    char today[11] = "", date[11], source[161], service[11] = "", tz[64] = "";
    int64_t client = 0;
    /* the ledger lock, the practice's time zone and the claim's client and date: one round trip */
    psy__stmt *q[3] = {NULL,
                       psy__db_stmt(st, "SELECT time_zone FROM practice WHERE id = ?", PSY_ARGS(PSY_INT(practice))),
                       psy__db_stmt(st, "SELECT client_id, service_date FROM claim WHERE id = ?", PSY_ARGS(PSY_INT(claim)))};
    psy_status rc = psy__store_lock_stmt(st, LOCK_LEDGER ^ (int64_t)practice, &q[0]); /* NULL on SQLite */
    if (!rc) rc = q[1] && q[2] ? psy__db_pipeline(st, q + !q[0], 3 - (size_t)!q[0]) : psy__store_dbfail(st, "ledger");
    if (!rc && psy__sql_step(q[1]) == PSY_SQL_ROW) psy__db_col_copy(q[1], 0, tz, sizeof tz);
    if (!rc && psy__sql_step(q[2]) == PSY_SQL_ROW) {
        client = psy__sql_int64(q[2], 0);
        psy__db_col_copy(q[2], 1, service, sizeof service);
    }
    for (int i = 0; i < 3; i++) psy__sql_finalize(q[i]);
    if (rc) return rc;
    if (!client) return psy__store_fail(st, PSY_ENOTFOUND, "claim: no claim %lld", (long long)claim);
    if (!psy_date_today(tz, today)) return psy__store_fail(st, PSY_EINVAL, "the practice's time zone %s is unknown", tz);
    if ((rc = open_date(st, practice, today, date))) return rc;
    snprintf(source, sizeof source, "835 file #%lld, trace %s, claim %s", (long long)file, trace, c->claim_id);
    if (earlier) { /* a reversal takes back what the payment it reverses put on the client */
        if ((rc = reverse_where(st, practice, "SELECT p.id FROM ledger_entry p WHERE p.payment_id = ?", earlier, 0, date,
                                "the payer reversed its payment (CLP02 22)")))
            return rc;
        return restore_expected(st, practice, earlier, date, source);
    }
    if ((rc = payer_shares(st, practice, claim, client, service, row, source, date, c))) return rc;
    if (!strcmp(c->status, "4")) return PSY_OK; /* denied: the expected share stays */
    /* the payer's figure replaces the expected share of the claim's sessions */
    return reverse_where(st, practice, PSY__LEDGER_SHARES_OF_CLAIM, claim, row, date,
                         "replaced by the payer's patient responsibility");
}

psy_status psy__ledger_posted(psy_store *st, psy_id practice, psy_id claim, psy_id row, psy_id earlier, psy_id file,
                              const char *trace, const struct psy_era_claim *c)
{
    psy_status rc = posted(st, practice, claim, row, earlier, file, trace, c);
    if (rc) return rc;
    /* the rules money keeps, over this claim: a broken one stays on the claim as a finding */
    struct psy_ledger_problem *pb;
    size_t n;
    if ((rc = psy_ledger_check(st, practice, claim, &pb, &n))) {
        free(pb);
        return rc;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, psy__billing_finding("warning", pb[i].rule, "ledger", pb[i].message, "835"));
    free(pb);
    if (n) rc = psy__billing_append(st, claim, arr);
    json_decref(arr);
    return rc;
}
