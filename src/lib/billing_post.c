/*
 * billing_post.c -- money coming back: the posting of an 835 (payments, adjustments, suspense items,
 * reversals, lifecycle moves; a payment is posted once, known by its payer, trace number and canonical
 * hash).
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "psy_db.h"
#include "billing_int.h"
#include "ledger_int.h"

/* --- 835 posting ---------------------------------------------------------------------------------- */

struct post_ctx {
    psy_store *st;
    psy_id practice, file;
    struct psy_billing_post_result *r;
    psy_status rc;
    char *err;
    size_t errlen;
    crypto_generichash_state file_hash; /* over the content hashes of the payments posted */
    long analyze_at;                    /* the claims posted at which statistics are next refreshed */
};

/* PostgreSQL plans a statement once and keeps the plan. The posting's look-ups of a claim's payments and
 * their adjustments, planned while those tables were nearly empty -- a practice's first large 835 -- scan
 * them whole, and each claim costs more than the one before. Fresh statistics of the two each time the
 * claims posted in this file quadruple (from 256) make it plan again with the indexes. (The ledger's
 * tables as well, or from 64 claims, cost more than they saved in bench_ledger.) ANALYZE counts this
 * transaction's own rows and is undone with it. */
static psy_status fresh_statistics(struct post_ctx *p)
{
    if (psy__db_dialect(p->st) != PSY_DB_POSTGRES || p->r->claims < p->analyze_at) return PSY_OK;
    p->analyze_at = p->r->claims * 4;
    return psy__sql_exec(p->st, "ANALYZE payment, adjustment");
}

static psy_status suspense(struct post_ctx *p, const char *claim, const char *code, const char *mods,
                           long long charge, long long paid, const char *why)
{
    psy__stmt *s = psy__db_stmt(p->st,
                                "INSERT INTO suspense_item (practice_id, era_file_id, claim_number, code, "
                                "modifiers, charge_cents, paid_cents, why) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                PSY_ARGS(PSY_INT(p->practice), PSY_INT(p->file), PSY_TEXT(claim), PSY_TEXT(code),
                                         PSY_TEXT(mods), PSY_INT(charge), PSY_INT(paid), PSY_TEXT(why)));
    if (!s) return psy__store_dbfail(p->st, "suspense_item");
    int r = psy__sql_step(s);
    psy__sql_finalize(s);
    if (r != PSY_SQL_DONE) return psy__store_dbfail(p->st, "suspense_item");
    p->r->suspense++;
    return PSY_OK;
}

/* CLP02 19, 20, 21: processed as primary, secondary or tertiary and forwarded to another payer. */
static int crossover(const struct psy_era_claim *c)
{
    return !strcmp(c->status, "19") || !strcmp(c->status, "20") || !strcmp(c->status, "21");
}

/* Adjustments that say how a payment was reached, not why a claim was refused: the fee schedule (CO 45),
 * the prior payer's adjudication (OA 23), sequestration (CO 253). */
static int denial_reason(const struct psy_era_adjustment *a)
{
    if (strcmp(a->group, "CO") && strcmp(a->group, "OA")) return 0;
    return strcmp(a->reason, "45") && strcmp(a->reason, "23") && strcmp(a->reason, "253");
}

/* 1 when the remittance puts some of the claim on the patient: CLP05, or a PR adjustment of the claim or
 * of a line it could read. */
static int patient_owes(const struct psy_era_claim *c)
{
    if (c->patient_responsibility_cents > 0) return 1;
    for (size_t j = 0; j <= c->n_services; j++) {
        if (j && c->services[j - 1].defect) continue;
        const struct psy_era_adjustment *a = j ? c->services[j - 1].adjustments : c->adjustments;
        size_t n = j ? c->services[j - 1].n_adjustments : c->n_adjustments;
        for (size_t i = 0; i < n; i++)
            if (!strcmp(a[i].group, "PR") && a[i].amount_cents > 0) return 1;
    }
    return 0;
}

/* IMP: R-835-ZERO -- a claim the payer paid nothing on is denied when CLP02 is 4, or when nothing of it
 * went to the patient (no CAS PR, no CLP05) and a CO/OA adjustment gives a denial reason (or none is
 * given at all). A claim paid 0 because its whole amount went to the deductible, coinsurance or copay
 * (CAS PR) was processed and the patient owes it; so was a later payer's 0 after the prior payer's
 * adjudication (OA 23). */
static int denied(const struct psy_era_claim *c, long long paid)
{
    if (!strcmp(c->status, "4")) return 1;
    if (paid > 0 || patient_owes(c)) return 0;
    int any = 0, reason = 0;
    for (size_t j = 0; j <= c->n_services; j++) {
        if (j && c->services[j - 1].defect) continue;
        const struct psy_era_adjustment *a = j ? c->services[j - 1].adjustments : c->adjustments;
        size_t n = j ? c->services[j - 1].n_adjustments : c->n_adjustments;
        for (size_t i = 0; i < n; i++) {
            any = 1;
            reason |= denial_reason(&a[i]);
        }
    }
    return !any || reason;
}

/* Stores one payment row (line 0 = the claim as a whole) and its adjustments; *id_out (may be NULL)
 * gets the row's id. */
static psy_status payment_row(struct post_ctx *p, const struct psy_era_payment *pay, const struct psy_era_claim *c,
                              psy_id claim, psy_id line, long long charge, long long paid,
                              const struct psy_era_adjustment *adj, size_t nadj, int64_t *id_out)
{
    char cross[81] = "";
    if (!line && crossover(c))
        snprintf(cross, sizeof cross, "%s", c->crossover_id[0] ? c->crossover_id
                                            : c->crossover_name[0] ? c->crossover_name
                                                                   : "(not named)");
    psy__stmt *s =
        psy__db_stmt(p->st,
                     "INSERT INTO payment (era_file_id, claim_id, claim_line_id, check_number, "
                     "payer_claim_number, claim_status, charge_cents, paid_cents, payer_key, adjudicated_on, "
                     "crossover_payer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                     PSY_ARGS(PSY_INT(p->file), PSY_INT(claim), PSY_INT_OR_NULL(line), PSY_TEXT(pay->check_number),
                              PSY_TEXT(c->payer_claim_number), PSY_TEXT(c->status), PSY_INT(charge), PSY_INT(paid),
                              PSY_TEXT(pay->payer_id[0] ? pay->payer_id : pay->payer_name),
                              PSY_TEXT(pay->payment_date), PSY_TEXT(cross)));
    if (!s) return psy__store_dbfail(p->st, "payment");
    int64_t id;
    psy_status rc = psy__sql_insert_id(p->st, s, &id);
    psy__sql_finalize(s);
    if (rc) return psy__store_dbfail(p->st, "payment");
    if (id_out) *id_out = id;
    for (size_t i = 0; i < nadj; i++) {
        s = psy__db_stmt(
            p->st, "INSERT INTO adjustment (payment_id, group_code, reason, amount_cents) VALUES (?, ?, ?, ?)",
            PSY_ARGS(PSY_INT(id), PSY_TEXT(adj[i].group), PSY_TEXT(adj[i].reason), PSY_INT(adj[i].amount_cents)));
        if (!s) return psy__store_dbfail(p->st, "adjustment");
        int r = psy__sql_step(s);
        psy__sql_finalize(s);
        if (r != PSY_SQL_DONE) return psy__store_dbfail(p->st, "adjustment");
    }
    if (line) {
        s = psy__db_stmt(p->st, "UPDATE claim_line SET paid_cents = paid_cents + ? WHERE id = ?",
                         PSY_ARGS(PSY_INT(paid), PSY_INT(line)));
        if (!s) return psy__store_dbfail(p->st, "claim_line");
        int r = psy__sql_step(s);
        psy__sql_finalize(s);
        if (r != PSY_SQL_DONE) return psy__store_dbfail(p->st, "claim_line");
    }
    return PSY_OK;
}

static void join_mods(const char (*m)[3], size_t n, char *out, size_t cap)
{
    out[0] = 0;
    for (size_t i = 0; i < n && m[i][0]; i++) {
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", i ? "," : "", m[i]);
    }
}

/* The claim line an 835 service line pays: same code and modifiers, else the same code with the
 * payer's modifiers a subset of ours (a dropped modifier). Lines already matched are skipped. */
static size_t match_line(const struct psy__loaded *L, const int *used, const struct psy_era_service *v)
{
    const char *code = v->submitted_code[0] ? v->submitted_code : v->code;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < L->n_lines; i++) {
            if (used[i] || strcmp(L->lx[i].code, code)) continue;
            size_t ours = 0, theirs = 0, found = 0;
            while (ours < PSY_CLAIM_MAX_MODS && L->lx[i].mods[ours][0]) ours++;
            for (; theirs < PSY_CLAIM_MAX_MODS && v->modifiers[theirs][0]; theirs++)
                for (size_t k = 0; k < ours; k++) found += !strcmp(v->modifiers[theirs], L->lx[i].mods[k]);
            if (found == theirs && (pass == 1 || theirs == ours)) return i;
        }
    return (size_t)-1;
}

/* Sum of n adjustments added to *acc with the checked helper (sticky *over). */
static void adj_sum(long long *acc, const struct psy_era_adjustment *a, size_t n, int *over)
{
    for (size_t i = 0; i < n; i++) psy_cents_acc(acc, a[i].amount_cents, over);
}

/* Keeps a denial's reason codes with the claim, each in plain words. */
static psy_status denial_finding(psy_store *st, psy_id claim, const struct psy_era_claim *c)
{
    json_t *arr = json_array();
    for (size_t j = 0; j <= c->n_services; j++) {
        const struct psy_era_adjustment *a = j ? c->services[j - 1].adjustments : c->adjustments;
        size_t n = j ? c->services[j - 1].n_adjustments : c->n_adjustments;
        for (size_t i = 0; i < n; i++) {
            const char *words = psy_x12_describe(PSY_X12_TEXT_REASON, a[i].reason);
            char field[48], msg[200], amt[PSY_CENTS_TEXT_MAX];
            if (j) snprintf(field, sizeof field, "era.services[%zu]", j - 1);
            else snprintf(field, sizeof field, "era.claim");
            snprintf(msg, sizeof msg, "denied: %s %s, %s%s%s", a[i].group, a[i].reason,
                     psy_cents_format(a[i].amount_cents, amt), words ? ": " : "", words ? words : "");
            json_array_append_new(arr, psy__billing_finding("error", "R-835-DENIED", field, msg, "835"));
        }
    }
    if (!json_array_size(arr))
        json_array_append_new(arr, psy__billing_finding("error", "R-835-DENIED", "era.claim",
                                                        "denied without a reason code", "835"));
    psy_status rc = psy__billing_append(st, claim, arr);
    json_decref(arr);
    return rc;
}

static psy_status one_finding(psy_store *st, psy_id claim, const char *sev, const char *rule, const char *field,
                              const char *msg)
{
    json_t *arr = json_array();
    json_array_append_new(arr, psy__billing_finding(sev, rule, field, msg, "835"));
    psy_status rc = psy__billing_append(st, claim, arr);
    json_decref(arr);
    return rc;
}

/* A reversal (CLP02 = 22) takes back an earlier claim payment: the one on this claim, not reversed
 * yet, whose amount it negates (and whose payer claim number it carries, when it carries one).
 * *earlier = its id, 0 when the reversal names nothing posted. */
static psy_status find_reversed(struct post_ctx *p, psy_id claim, const struct psy_era_claim *c, int64_t *earlier)
{
    long long paid, charge;
    *earlier = 0;
    if (psy_cents_sub(0, c->paid_cents, &paid) || psy_cents_sub(0, c->charge_cents, &charge))
        return PSY_OK; /* no posted amount negates it */
    struct psy__query q;
    psy__query_init(&q, "SELECT id FROM payment", PSY_NOARGS);
    psy__query_where(&q, "claim_id = ?", PSY_INT(claim));
    psy__query_where_n(&q, "claim_line_id IS NULL AND reversed_by IS NULL AND claim_status <> '22'", PSY_NOARGS);
    psy__query_where(&q, "paid_cents = ?", PSY_INT(paid));
    psy__query_where(&q, "charge_cents = ?", PSY_INT(charge));
    if (*c->payer_claim_number) psy__query_where(&q, "payer_claim_number = ?", PSY_TEXT(c->payer_claim_number));
    psy__query_sql(&q, " ORDER BY id DESC LIMIT 1");
    psy_status rc = psy__db_int(p->st, earlier, q.sql.p, q.args, q.n);
    psy__query_free(&q);
    return rc == PSY_ENOTFOUND ? PSY_OK : rc;
}

/* The why of a suspense item for something the lenient reader could not understand: its defect. */
static const char *unread(const struct psy_era_payment *pay, size_t defect)
{
    return defect && defect <= pay->n_defects ? pay->defects[defect - 1].message : "could not be read";
}

static psy_status post_claim(struct post_ctx *p, const struct psy_era_payment *pay, const struct psy_era_claim *c)
{
    psy_id id = 0;
    char a1[PSY_CENTS_TEXT_MAX], a2[PSY_CENTS_TEXT_MAX], a3[PSY_CENTS_TEXT_MAX];
    if (c->defect) /* a claim that cannot be understood is nobody's to post: all of it to suspense */
        return suspense(p, c->claim_id, "", "", c->charge_cents, c->paid_cents, unread(pay, c->defect));
    psy_status rc = psy__billing_claim_by_number(p->st, p->practice, c->claim_id, &id);
    if (rc == PSY_ENOTFOUND) { /* the first line that could not be understood is named too */
        char why[300] = "no claim with this number";
        for (size_t j = 0; j < c->n_services; j++)
            if (c->services[j].defect) {
                snprintf(why, sizeof why, "no claim with this number; a line not understood: %s",
                         unread(pay, c->services[j].defect));
                break;
            }
        return suspense(p, c->claim_id, "", "", c->charge_cents, c->paid_cents, why);
    }
    if (!rc) rc = psy__billing_cob_route(p->st, p->practice, id, pay->payer_id, pay->payer_name, &id);
    if (rc) return rc;
    struct psy__loaded *L = psy__calloc(1, sizeof *L);
    if ((rc = psy__billing_load_lines(p->st, p->practice, id, L))) goto out;
    psy_claim_state st = L->c.state;
    if (st != PSY_CLAIM_SUBMITTED && st != PSY_CLAIM_ACCEPTED && st != PSY_CLAIM_PAID && st != PSY_CLAIM_DENIED &&
        st != PSY_CLAIM_PARTIALLY_PAID) {
        char why[96];
        snprintf(why, sizeof why, "the claim is %s, not submitted", psy_claim_state_name(st));
        rc = suspense(p, c->claim_id, "", "", c->charge_cents, c->paid_cents, why);
        goto out;
    }
    int reversal = !strcmp(c->status, "22");
    int64_t earlier = 0, row = 0;
    if (reversal) {
        if ((rc = find_reversed(p, id, c, &earlier))) goto out;
        if (!earlier) {
            rc = suspense(p, c->claim_id, "", "", c->charge_cents, c->paid_cents,
                          "a reversal (CLP02 22) of a payment that was never posted: nothing taken back");
            goto out;
        }
        p->r->reversals++;
    }
    p->r->claims++;
    if ((rc = payment_row(p, pay, c, id, 0, c->charge_cents, c->paid_cents, c->adjustments, c->n_adjustments, &row)))
        goto out;
    if (earlier) {
        psy__stmt *s = psy__db_stmt(p->st, "UPDATE payment SET reversed_by = ? WHERE id = ?",
                                    PSY_ARGS(PSY_INT(row), PSY_INT(earlier)));
        int r = PSY_SQL_ERROR;
        if (s) {
            r = psy__sql_step(s);
            psy__sql_finalize(s);
        }
        if (r != PSY_SQL_DONE) {
            rc = psy__store_dbfail(p->st, "payment");
            goto out;
        }
    }
    int used[PSY_CLAIM_MAX_LINES] = {0}, over = 0;
    long long adjusted = 0;
    adj_sum(&adjusted, c->adjustments, c->n_adjustments, &over);
    for (size_t j = 0; j < c->n_services; j++) {
        const struct psy_era_service *v = &c->services[j];
        char mods[16];
        join_mods(v->modifiers, PSY_CLAIM_MAX_MODS, mods, sizeof mods);
        if (v->defect) {
            if ((rc = suspense(p, c->claim_id, v->code, mods, v->charge_cents, v->paid_cents, unread(pay, v->defect))))
                goto out;
            continue;
        }
        adj_sum(&adjusted, v->adjustments, v->n_adjustments, &over);
        size_t k = match_line(L, used, v);
        if (k == (size_t)-1) {
            if ((rc = suspense(p, c->claim_id, v->code, mods, v->charge_cents, v->paid_cents,
                               "no line of the claim has this code and modifiers")))
                goto out;
            continue;
        }
        used[k] = 1;
        p->r->lines++;
        if ((rc = payment_row(p, pay, c, id, L->lx[k].id, v->charge_cents, v->paid_cents, v->adjustments,
                              v->n_adjustments, NULL)))
            goto out;
        if (!reversal && v->paid_cents > L->lines[k].charge_cents) {
            char field[48], msg[200];
            snprintf(field, sizeof field, "era.services[%zu]", j);
            snprintf(msg, sizeof msg, "the 835 pays %s on a line charged %s: more than was billed",
                     psy_cents_format(v->paid_cents, a1), psy_cents_format(L->lines[k].charge_cents, a2));
            p->r->overpaid++;
            if ((rc = one_finding(p->st, id, "warning", "R-835-OVERPAID", field, msg))) goto out;
        }
    }
    long long expect;
    if (over || psy_cents_add(c->paid_cents, adjusted, &expect)) {
        snprintf(p->err, p->errlen, "claim %s: its adjustments add up past the largest amount this system can hold",
                 c->claim_id);
        rc = PSY_EPARSE;
        goto out;
    }
    if (c->charge_cents != expect) {
        p->r->unbalanced++;
        char msg[200];
        snprintf(msg, sizeof msg, "the 835 charge %s is not paid %s + adjustments %s",
                 psy_cents_format(c->charge_cents, a1), psy_cents_format(c->paid_cents, a2),
                 psy_cents_format(adjusted, a3));
        if ((rc = one_finding(p->st, id, "warning", "R-835-BALANCE", "era", msg))) goto out;
    }
    /* what the claim holds, locked until the posting commits (SQLite's write transaction holds the whole
     * store): its new amounts go in the same update as its status move (psy__billing_settle), so that its
     * row, with its many indexes, is written once */
    psy__stmt *s = psy__db_stmt(p->st,
                                psy__db_dialect(p->st) == PSY_DB_POSTGRES
                                    ? "SELECT paid_cents, total_cents FROM claim WHERE id = ? FOR UPDATE"
                                    : "SELECT paid_cents, total_cents FROM claim WHERE id = ?",
                                PSY_ARGS(PSY_INT(id)));
    if (!s) {
        rc = psy__store_dbfail(p->st, "claim");
        goto out;
    }
    long long paid = 0, total = 0;
    int r = psy__sql_step(s);
    if (r == PSY_SQL_ROW) {
        paid = psy__sql_int64(s, 0);
        total = psy__sql_int64(s, 1);
        r = psy__sql_step(s);
    }
    psy__sql_finalize(s);
    if (r != PSY_SQL_DONE) {
        rc = psy__store_dbfail(p->st, "claim");
        goto out;
    }
    if (psy_cents_add(paid, c->paid_cents, &paid)) {
        snprintf(p->err, p->errlen, "claim %s: the money paid on it adds up past the largest amount this system can hold",
                 c->claim_id);
        rc = PSY_EPARSE;
        goto out;
    }
    if (!reversal && paid > total) {
        char msg[200];
        snprintf(msg, sizeof msg, "payments on this claim reach %s, more than its charge %s",
                 psy_cents_format(paid, a1), psy_cents_format(total, a2));
        p->r->overpaid++;
        if ((rc = one_finding(p->st, id, "warning", "R-835-OVERPAID", "era.claim", msg))) goto out;
    }
    if (psy_cents_add(p->r->paid_cents, c->paid_cents, &p->r->paid_cents)) {
        snprintf(p->err, p->errlen, "claim %s: the money posted adds up past the largest amount this system can hold",
                 c->claim_id);
        rc = PSY_EPARSE;
        goto out;
    }
    psy_claim_state to = reversal                               ? (paid <= 0       ? PSY_CLAIM_ACCEPTED
                                                                   : paid >= total ? PSY_CLAIM_PAID
                                                                                   : PSY_CLAIM_PARTIALLY_PAID)
                         : denied(c, paid)                      ? PSY_CLAIM_DENIED
                         : paid >= total                        ? PSY_CLAIM_PAID
                                                                : PSY_CLAIM_PARTIALLY_PAID;
    if (to == PSY_CLAIM_DENIED) {
        p->r->denied++;
        if ((rc = denial_finding(p->st, id, c))) goto out;
    }
    /* a submitted claim is accepted first; then it moves to what the 835 says, when that is a move */
    psy_claim_state path[2], at = st == PSY_CLAIM_SUBMITTED ? PSY_CLAIM_ACCEPTED : st;
    const char *why[2];
    size_t steps = 0;
    if (st == PSY_CLAIM_SUBMITTED) {
        path[steps] = PSY_CLAIM_ACCEPTED;
        why[steps++] = "adjudicated in an 835";
    }
    if (to != at && psy_claim_transition(at, to, NULL, 0) == PSY_OK) {
        path[steps] = to;
        why[steps++] = reversal                 ? "payment reversed in an 835"
                       : to == PSY_CLAIM_DENIED ? "denied in an 835"
                       : paid <= 0              ? "processed in an 835: nothing paid, the patient's share (CAS PR)"
                                                : "paid in an 835";
    }
    if ((rc = psy__billing_settle(p->st, p->practice, id, st, path, why, steps, c->paid_cents,
                                  c->patient_responsibility_cents)))
        goto out;
    /* who owes the rest once this payer has adjudicated the claim: the next payer (a claim built for it,
     * or kept for the payer the claim was crossed over to), else the patient */
    psy_id next_policy = 0, next = 0;
    if (!rc && reversal)
        rc = psy__billing_cob_revisit(p->st, p->practice, id, 1, &p->r->next_held, &p->r->next_to_replace);
    if (!rc && !reversal && to != PSY_CLAIM_DENIED) rc = psy__billing_next_payer(p->st, p->practice, id, &next_policy);
    if (!rc && next_policy) {
        if (crossover(c)) {
            char to_payer[160];
            snprintf(to_payer, sizeof to_payer, "%s%s%s", c->crossover_name[0] ? c->crossover_name : "another payer",
                     c->crossover_id[0] ? " " : "", c->crossover_id);
            rc = psy__billing_cob_crossover(p->st, p->practice, id, next_policy, to_payer, &next);
        } else {
            rc = psy__billing_cob_after(p->st, p->practice, id, next_policy, &next);
            /* built before: this is a new adjudication of a claim already worked (after a reversal) */
            if (!rc && !next)
                rc = psy__billing_cob_revisit(p->st, p->practice, id, 0, &p->r->next_held, &p->r->next_to_replace);
        }
        if (!rc && next) p->r->next_claims++;
    } else if (!rc) {
        /* no next payer: this payer was the last, and what it left to the patient (its CAS PR) goes on the
         * client's ledger (ledger.c); a reversal takes back what the payment it reverses put there */
        rc = psy__ledger_posted(p->st, p->practice, id, row, earlier, p->file, pay->check_number, c);
    }
out:
    psy__billing_loaded_free(L, 1);
    return rc;
}

/* The earlier posting of a payment with this payer and trace number: 1 (with its hash and file), 0 none. */
static int earlier_payment(struct post_ctx *p, const char *payer, const char *trace, char hash[65], psy_status *rc)
{
    psy__stmt *s = psy__db_stmt(p->st,
                                "SELECT e.content_hash, f.id, f.name, f.posted_at FROM era_payment e JOIN "
                                "era_file f ON f.id = e.era_file_id WHERE e.practice_id = ? AND e.payer_key = ? "
                                "AND e.trace_number = ?",
                                PSY_ARGS(PSY_INT(p->practice), PSY_TEXT(payer), PSY_TEXT(trace)));
    if (!s) {
        *rc = psy__store_dbfail(p->st, "era_payment");
        return 0;
    }
    int r = psy__sql_step(s), found = r == PSY_SQL_ROW;
    if (found) {
        snprintf(hash, 65, "%s", psy__sql_text(s, 0));
        p->r->earlier_file = psy__sql_int64(s, 1);
        snprintf(p->r->earlier_name, sizeof p->r->earlier_name, "%s", psy__sql_text(s, 2));
        snprintf(p->r->earlier_posted_at, sizeof p->r->earlier_posted_at, "%s", psy__sql_text(s, 3));
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) *rc = psy__store_dbfail(p->st, "era_payment");
    return found;
}

static psy_status payment_posted(struct post_ctx *p, const struct psy_era_payment *pay)
{
    char a1[PSY_CENTS_TEXT_MAX], a2[PSY_CENTS_TEXT_MAX];
    /* the transaction balances: BPR02 = the claim payments less the provider adjustments (the reader
     * made sure these sums fit) */
    long long net = 0;
    int over = 0, unreadable = 0;
    for (size_t i = 0; i < pay->n_defects; i++) {
        if (pay->defects[i].kind == PSY_ERA_DEFECT_WARNING && !p->r->warnings++)
            snprintf(p->r->first_warning, sizeof p->r->first_warning, "%s", pay->defects[i].message);
        unreadable += pay->defects[i].kind == PSY_ERA_DEFECT_CLAIM || pay->defects[i].kind == PSY_ERA_DEFECT_PAYMENT;
    }
    for (size_t i = 0; i < pay->n_claims; i++) psy_cents_acc(&net, pay->claims[i].paid_cents, &over);
    for (size_t i = 0; i < pay->n_provider_adjustments; i++)
        psy_cents_acc(&net, -pay->provider_adjustments[i].amount_cents, &over);
    if (over && !unreadable) {
        snprintf(p->err, p->errlen, "835 transaction %s: the claim payments add up past the largest amount this "
                 "system can hold; nothing was posted", pay->transaction_control);
        return PSY_EPARSE;
    }
    /* a claim or provider adjustment that could not be read leaves the sum unknown: its money waits
     * in suspense, and the payment is posted without this check */
    if (!unreadable && net != pay->paid_cents) {
        snprintf(p->err, p->errlen, "835 transaction %s: BPR02 total %s is not the claim payments less provider "
                 "adjustments %s; nothing was posted", pay->transaction_control, psy_cents_format(pay->paid_cents, a1),
                 psy_cents_format(net, a2));
        return PSY_EPARSE;
    }
    const char *payer = pay->payer_id[0] ? pay->payer_id : pay->payer_name;
    char hash[65] = "";
    psy_status rc = PSY_OK;
    if (earlier_payment(p, payer, pay->check_number, hash, &rc)) {
        if (!strcmp(hash, pay->content_hash)) {
            p->r->payments_seen_before++;
            return PSY_OK;
        }
        snprintf(p->err, p->errlen, "835 transaction %s: payment %s of payer %s was already posted from file #%lld "
                 "%s(%s) with other content; nothing was posted (a correction comes as a reversal, CLP02 22, under "
                 "a new trace number)", pay->transaction_control, pay->check_number, payer,
                 (long long)p->r->earlier_file, p->r->earlier_name, p->r->earlier_posted_at);
        return PSY_ECONFLICT;
    }
    if (rc) return rc;
    psy__stmt *s =
        psy__db_stmt(p->st,
                     "INSERT INTO era_payment (practice_id, era_file_id, payer_key, trace_number, "
                     "content_hash, paid_cents) VALUES (?, ?, ?, ?, ?, ?)",
                     PSY_ARGS(PSY_INT(p->practice), PSY_INT(p->file), PSY_TEXT(payer), PSY_TEXT(pay->check_number),
                              PSY_TEXT(pay->content_hash), PSY_INT(pay->paid_cents)));
    int r = PSY_SQL_ERROR;
    if (s) {
        r = psy__sql_step(s);
        psy__sql_finalize(s);
    }
    if (r != PSY_SQL_DONE) return psy__store_dbfail(p->st, "era_payment");
    crypto_generichash_update(&p->file_hash, (const unsigned char *)pay->content_hash, strlen(pay->content_hash));
    p->r->payments++;
    for (size_t i = 0; !rc && i < pay->n_defects; i++)
        if (pay->defects[i].kind == PSY_ERA_DEFECT_PAYMENT) rc = suspense(p, "", "", "", 0, 0, pay->defects[i].message);
    for (size_t i = 0; !rc && i < pay->n_claims; i++)
        if (!(rc = post_claim(p, pay, &pay->claims[i]))) rc = fresh_statistics(p);
    for (size_t i = 0; !rc && i < pay->n_provider_adjustments; i++) {
        const struct psy_era_provider_adjustment *a = &pay->provider_adjustments[i];
        char why[120];
        snprintf(why, sizeof why, "provider-level adjustment %s %s", a->reason, a->reference);
        rc = suspense(p, "", "", "", 0, -a->amount_cents, why);
    }
    return rc;
}

static psy_status on_payment(void *ud, struct psy_era_payment *pay)
{
    struct post_ctx *p = ud;
    psy_status rc = payment_posted(p, pay);
    psy_era_payment_free(pay);
    p->rc = rc;
    return rc;
}

/* 1 when the bytes hold nothing but blanks, line ends and a UTF-8 byte-order mark. */
static int blank(const unsigned char *d, size_t len)
{
    size_t i = len >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF ? 3 : 0;
    for (; i < len; i++)
        if (d[i] != ' ' && d[i] != '\t' && d[i] != '\r' && d[i] != '\n' && d[i] != '\f' && d[i] != '\v') return 0;
    return 1;
}

psy_status psy_billing_era_post_named(psy_store *st, psy_id practice, const char *name, const void *data, size_t len,
                                      struct psy_billing_post_result *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    char dummy[8];
    if (!err || !errlen) err = dummy, errlen = sizeof dummy;
    err[0] = 0;
    if (blank(data, len)) {
        snprintf(err, errlen, "the 835 file is empty: nothing to post");
        return PSY_EPARSE;
    }
    char pending[48], now[PSY_REC_TIME_MAX];
    unsigned char nonce[12];
    if (sodium_init() < 0) return psy__store_fail(st, PSY_EIO, "libsodium cannot start");
    randombytes_buf(nonce, sizeof nonce);
    memcpy(pending, "pending:", 8);
    sodium_bin2hex(pending + 8, sizeof pending - 8, nonce, sizeof nonce);
    psy__billing_now(now);
    psy_status rc = psy__store_begin(st);
    if (rc) return rc;
    psy__stmt *s = psy__db_stmt(
        st,
        "INSERT INTO era_file (practice_id, file_hash, bytes, posted_at, name) VALUES "
        "(?, ?, ?, ?, ?) RETURNING id",
        PSY_ARGS(PSY_INT(practice), PSY_TEXT(pending), PSY_INT((int64_t)len), PSY_TEXT(now), PSY_TEXT_OR_EMPTY(name)));
    struct post_ctx p = {.st = st, .practice = practice, .r = r, .err = err, .errlen = errlen, .analyze_at = 256};
    int q = PSY_SQL_ERROR;
    if (s) {
        q = psy__sql_step(s);
        if (q == PSY_SQL_ROW) {
            p.file = psy__sql_int64(s, 0);
            q = psy__sql_step(s);
        }
        psy__sql_finalize(s);
    }
    if (q != PSY_SQL_DONE) {
        rc = psy__store_dbfail(st, "era_file");
        psy__store_rollback(st);
        return rc;
    }
    crypto_generichash_init(&p.file_hash, NULL, 0, 32);
    psy_x12_reader *rd = psy_x12_reader_mem(data, len, 0);
    rc = psy_x12_835_read_lenient(rd, on_payment, &p, err, errlen);
    psy_x12_reader_free(rd);
    if (!rc && !r->payments && !r->payments_seen_before) {
        snprintf(err, errlen, "the file holds no 835 transaction: nothing to post");
        rc = PSY_EPARSE;
    }
    if (!rc && !r->payments) { /* every payment of the file was posted before */
        psy__store_rollback(st);
        struct psy_billing_post_result keep = *r;
        memset(r, 0, sizeof *r);
        r->already_posted = 1;
        r->payments_seen_before = keep.payments_seen_before;
        r->earlier_file = keep.earlier_file;
        memcpy(r->earlier_name, keep.earlier_name, sizeof r->earlier_name);
        memcpy(r->earlier_posted_at, keep.earlier_posted_at, sizeof r->earlier_posted_at);
        return PSY_OK;
    }
    if (!rc) {
        unsigned char h[32];
        char hex[80] = "blake2b:";
        crypto_generichash_final(&p.file_hash, h, sizeof h);
        sodium_bin2hex(hex + 8, sizeof hex - 8, h, sizeof h);
        s = psy__db_stmt(st, "UPDATE era_file SET file_hash = ? WHERE id = ?",
                         PSY_ARGS(PSY_TEXT(hex), PSY_INT(p.file)));
        q = PSY_SQL_ERROR;
        if (s) {
            q = psy__sql_step(s);
            psy__sql_finalize(s);
        }
        if (q != PSY_SQL_DONE) rc = psy__store_dbfail(st, "era_file");
    }
    if (rc) psy__store_rollback(st);
    else rc = psy__store_commit(st);
    if (rc) {
        if (p.rc && !err[0]) snprintf(err, errlen, "%s", psy_store_errmsg(st));
        struct psy_billing_post_result zero = {0};
        *r = zero;
    }
    return rc;
}

psy_status psy_billing_era_post(psy_store *st, psy_id practice, const void *data, size_t len,
                                struct psy_billing_post_result *r, char *err, size_t errlen)
{
    return psy_billing_era_post_named(st, practice, "", data, len, r, err, errlen);
}
