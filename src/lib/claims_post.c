/*
 * claims_post.c -- claims leaving and money coming back: the practice's control-number counters, the
 * 837P batch of a payer's ready claims, the CMS-1500 of a stored claim, and the posting of an 835
 * (payments, adjustments, suspense items, lifecycle moves; a file is posted once, known by its hash).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_db.h"
#include "claims_int.h"

/* --- control numbers --------------------------------------------------------------------------- */

psy_status psy_billing_control_next(psy_store *st, psy_id practice, int kind, unsigned long *out)
{
    psy_status rc = psy__store_begin(st);
    if (rc) return rc;
    psy__stmt *s = psy__sql_prepare(st, "INSERT INTO control_number (practice_id, kind, last_value) VALUES (?, ?, 0) "
                                        "ON CONFLICT (practice_id, kind) DO NOTHING");
    int r = PSY_SQL_ERROR;
    if (s) {
        psy__sql_bind_int64(s, 1, practice);
        psy__sql_bind_int64(s, 2, kind);
        r = psy__sql_step(s);
        psy__sql_finalize(s);
    }
    s = r == PSY_SQL_DONE ? psy__sql_prepare(st, "UPDATE control_number SET last_value = CASE WHEN last_value >= "
                                                 "999999999 THEN 1 ELSE last_value + 1 END WHERE practice_id = ? "
                                                 "AND kind = ? RETURNING last_value")
                          : NULL;
    if (!s) {
        rc = psy__store_dbfail(st, "control_number");
        psy__store_rollback(st);
        return rc;
    }
    psy__sql_bind_int64(s, 1, practice);
    psy__sql_bind_int64(s, 2, kind);
    r = psy__sql_step(s);
    if (r == PSY_SQL_ROW) *out = (unsigned long)psy__sql_int64(s, 0);
    if (r == PSY_SQL_ROW) r = psy__sql_step(s);
    psy__sql_finalize(s);
    if (r != PSY_SQL_DONE) {
        rc = psy__store_dbfail(st, "control_number");
        psy__store_rollback(st);
        return rc;
    }
    return psy__store_commit(st);
}

struct control_ctx {
    psy_store *st;
    psy_id practice;
};

static psy_status next_control(void *ud, psy_x12_control kind, unsigned long *out)
{
    struct control_ctx *c = ud;
    return psy_billing_control_next(c->st, c->practice, (int)kind, out);
}

/* --- 837P export --------------------------------------------------------------------------------- */

static psy_status claim_by_number(psy_store *st, psy_id practice, const char *number, psy_id *id)
{
    psy__stmt *s = psy__sql_prepare(st, "SELECT id FROM claim WHERE practice_id = ? AND claim_number = ?");
    if (!s) return psy__store_dbfail(st, "claim");
    psy__sql_bind_int64(s, 1, practice);
    psy__sql_bind_text(s, 2, number);
    int r = psy__sql_step(s);
    if (r == PSY_SQL_ROW) *id = psy__sql_int64(s, 0);
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) return psy__store_dbfail(st, "claim");
    return r == PSY_SQL_ROW ? PSY_OK : PSY_ENOTFOUND;
}

psy_status psy_billing_export(psy_store *st, psy_id practice, psy_id payer, const char *payer_code, char **out,
                              size_t *len, size_t *n_claims, char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    *n_claims = 0;
    if (err && errlen) err[0] = 0;
    /* One transaction from choosing the ready claims to marking them submitted, under a lock per
     * practice: two exports running at once (two servers, two billers) never put a claim into two
     * files, and control numbers drawn for a file that fails go back with the rollback. */
    psy_status rc = psy__store_begin(st);
    if (rc) return rc;
    if ((rc = psy__store_lock(st, PSY__LOCK_EXPORT ^ (int64_t)practice))) {
        psy__store_rollback(st);
        return rc;
    }
    psy__stmt *s = psy__sql_prepare(st, "SELECT c.id FROM claim c JOIN payer p ON p.id = c.payer_id WHERE "
                                        "c.practice_id = ? AND c.status = 'ready' AND (c.payer_id = ? OR "
                                        "p.payer_code = CAST(? AS TEXT)) ORDER BY c.id");
    if (!s) {
        rc = psy__store_dbfail(st, "claim");
        psy__store_rollback(st);
        return rc;
    }
    psy__sql_bind_int64(s, 1, practice);
    psy__sql_bind_int64(s, 2, payer);
    psy__sql_bind_text(s, 3, payer ? "" : payer_code ? payer_code : "");
    psy_id *ids = NULL;
    size_t n = 0, cap = 0;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW && n < PSY_CLAIM_MAX_PER_BATCH) {
        if (n == cap) ids = psy__realloc(ids, (cap = cap ? 2 * cap : 16) * sizeof *ids);
        ids[n++] = psy__sql_int64(s, 0);
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) {
        free(ids);
        rc = psy__store_dbfail(st, "claim");
        psy__store_rollback(st);
        return rc;
    }
    struct psy__loaded *L = n ? psy__calloc(n, sizeof *L) : NULL;
    struct psy_claim *claims = n ? psy__calloc(n, sizeof *claims) : NULL;
    for (size_t i = 0; !rc && i < n; i++) {
        rc = psy__billing_load(st, practice, ids[i], &L[i]);
        claims[i] = L[i].c;
    }
    if (!rc && n) {
        struct psy_claim_batch b;
        psy__billing_batch(&L[0], &b, claims, n);
        struct control_ctx cc = {st, practice};
        struct psy_x12_write_opts o = {.next_control = next_control, .control_ud = &cc};
        rc = psy_x12_837_write(&b, &o, out, len, err, errlen);
        if (rc) psy__store_fail(st, rc, "%s", err ? err : "837P");
    }
    for (size_t i = 0; !rc && i < n; i++)
        rc = psy_billing_transition(st, practice, ids[i], PSY_CLAIM_SUBMITTED, "written into an 837P batch");
    if (!rc) rc = psy__store_commit(st);
    else psy__store_rollback(st);
    if (rc) {
        free(*out);
        *out = NULL;
        *len = 0;
    } else {
        *n_claims = n;
    }
    free(claims);
    free(L);
    free(ids);
    return rc;
}

/* --- CMS-1500 ------------------------------------------------------------------------------------ */

psy_status psy_billing_cms1500(psy_store *st, psy_id practice, const char *claim_number, char **out, size_t *len,
                               char *err, size_t errlen)
{
    psy_id id = 0;
    psy_status rc = claim_by_number(st, practice, claim_number, &id);
    if (rc == PSY_ENOTFOUND) {
        snprintf(err, errlen, "claim: no claim numbered %s", claim_number);
        return rc;
    }
    if (rc) {
        snprintf(err, errlen, "%s", psy_store_errmsg(st));
        return rc;
    }
    struct psy__loaded *L = psy__malloc(sizeof *L);
    if ((rc = psy__billing_load(st, practice, id, L))) {
        snprintf(err, errlen, "%s", psy_store_errmsg(st));
    } else {
        struct psy_claim_batch b;
        psy__billing_batch(L, &b, &L->c, 1);
        struct psy_cms1500_opts o = {1, L->today};
        rc = psy_pdf_cms1500(&L->c, &L->billing, &o, out, len, err, errlen);
    }
    free(L);
    return rc;
}

/* --- 835 posting ---------------------------------------------------------------------------------- */

struct post_ctx {
    psy_store *st;
    psy_id practice, file;
    struct psy_billing_post_result *r;
    psy_status rc;
};

static psy_status suspense(struct post_ctx *p, const char *claim, const char *code, const char *mods,
                           long long charge, long long paid, const char *why)
{
    psy__stmt *s = psy__sql_prepare(p->st, "INSERT INTO suspense_item (practice_id, era_file_id, claim_number, code, "
                                           "modifiers, charge_cents, paid_cents, why) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!s) return psy__store_dbfail(p->st, "suspense_item");
    psy__sql_bind_int64(s, 1, p->practice);
    psy__sql_bind_int64(s, 2, p->file);
    psy__sql_bind_text(s, 3, claim);
    psy__sql_bind_text(s, 4, code);
    psy__sql_bind_text(s, 5, mods);
    psy__sql_bind_int64(s, 6, charge);
    psy__sql_bind_int64(s, 7, paid);
    psy__sql_bind_text(s, 8, why);
    int r = psy__sql_step(s);
    psy__sql_finalize(s);
    if (r != PSY_SQL_DONE) return psy__store_dbfail(p->st, "suspense_item");
    p->r->suspense++;
    return PSY_OK;
}

/* Stores one payment row (line 0 = the claim as a whole) and its adjustments. */
static psy_status payment_row(struct post_ctx *p, const struct psy_era_payment *pay, const struct psy_era_claim *c,
                              psy_id claim, psy_id line, long long charge, long long paid,
                              const struct psy_era_adjustment *adj, size_t nadj)
{
    psy__stmt *s = psy__sql_prepare(p->st, "INSERT INTO payment (era_file_id, claim_id, claim_line_id, check_number, "
                                           "payer_claim_number, claim_status, charge_cents, paid_cents) "
                                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
    if (!s) return psy__store_dbfail(p->st, "payment");
    psy__sql_bind_int64(s, 1, p->file);
    psy__sql_bind_int64(s, 2, claim);
    if (line) psy__sql_bind_int64(s, 3, line);
    else psy__sql_bind_null(s, 3);
    psy__sql_bind_text(s, 4, pay->check_number);
    psy__sql_bind_text(s, 5, c->payer_claim_number);
    psy__sql_bind_text(s, 6, c->status);
    psy__sql_bind_int64(s, 7, charge);
    psy__sql_bind_int64(s, 8, paid);
    int64_t id;
    psy_status rc = psy__sql_insert_id(p->st, s, &id);
    psy__sql_finalize(s);
    if (rc) return psy__store_dbfail(p->st, "payment");
    for (size_t i = 0; i < nadj; i++) {
        s = psy__sql_prepare(p->st, "INSERT INTO adjustment (payment_id, group_code, reason, amount_cents) VALUES (?, ?, ?, ?)");
        if (!s) return psy__store_dbfail(p->st, "adjustment");
        psy__sql_bind_int64(s, 1, id);
        psy__sql_bind_text(s, 2, adj[i].group);
        psy__sql_bind_text(s, 3, adj[i].reason);
        psy__sql_bind_int64(s, 4, adj[i].amount_cents);
        int r = psy__sql_step(s);
        psy__sql_finalize(s);
        if (r != PSY_SQL_DONE) return psy__store_dbfail(p->st, "adjustment");
    }
    if (line) {
        s = psy__sql_prepare(p->st, "UPDATE claim_line SET paid_cents = paid_cents + ? WHERE id = ?");
        if (!s) return psy__store_dbfail(p->st, "claim_line");
        psy__sql_bind_int64(s, 1, paid);
        psy__sql_bind_int64(s, 2, line);
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

static long long adj_sum(const struct psy_era_adjustment *a, size_t n)
{
    long long t = 0;
    for (size_t i = 0; i < n; i++) t += a[i].amount_cents;
    return t;
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
            char field[48], msg[200];
            if (j) snprintf(field, sizeof field, "era.services[%zu]", j - 1);
            else snprintf(field, sizeof field, "era.claim");
            snprintf(msg, sizeof msg, "denied: %s %s, %lld cents%s%s", a[i].group, a[i].reason, a[i].amount_cents,
                     words ? ": " : "", words ? words : "");
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

static psy_status post_claim(struct post_ctx *p, const struct psy_era_payment *pay, const struct psy_era_claim *c)
{
    psy_id id = 0;
    psy_status rc = claim_by_number(p->st, p->practice, c->claim_id, &id);
    if (rc == PSY_ENOTFOUND)
        return suspense(p, c->claim_id, "", "", c->charge_cents, c->paid_cents, "no claim with this number");
    if (rc) return rc;
    struct psy__loaded *L = psy__malloc(sizeof *L);
    if ((rc = psy__billing_load(p->st, p->practice, id, L))) goto out;
    psy_claim_state st = L->c.state;
    if (st != PSY_CLAIM_SUBMITTED && st != PSY_CLAIM_ACCEPTED && st != PSY_CLAIM_PAID && st != PSY_CLAIM_DENIED &&
        st != PSY_CLAIM_PARTIALLY_PAID) {
        char why[96];
        snprintf(why, sizeof why, "the claim is %s, not submitted", psy_claim_state_name(st));
        rc = suspense(p, c->claim_id, "", "", c->charge_cents, c->paid_cents, why);
        goto out;
    }
    p->r->claims++;
    if ((rc = payment_row(p, pay, c, id, 0, c->charge_cents, c->paid_cents, c->adjustments, c->n_adjustments)))
        goto out;
    int used[PSY_CLAIM_MAX_LINES] = {0};
    long long adjusted = adj_sum(c->adjustments, c->n_adjustments);
    for (size_t j = 0; j < c->n_services; j++) {
        const struct psy_era_service *v = &c->services[j];
        adjusted += adj_sum(v->adjustments, v->n_adjustments);
        size_t k = match_line(L, used, v);
        if (k == (size_t)-1) {
            char mods[16];
            join_mods(v->modifiers, PSY_CLAIM_MAX_MODS, mods, sizeof mods);
            if ((rc = suspense(p, c->claim_id, v->code, mods, v->charge_cents, v->paid_cents,
                               "no line of the claim has this code and modifiers")))
                goto out;
            continue;
        }
        used[k] = 1;
        p->r->lines++;
        if ((rc = payment_row(p, pay, c, id, L->lx[k].id, v->charge_cents, v->paid_cents, v->adjustments,
                              v->n_adjustments)))
            goto out;
    }
    if (c->charge_cents != c->paid_cents + adjusted) {
        p->r->unbalanced++;
        char msg[200];
        snprintf(msg, sizeof msg, "the 835 charge %lld cents is not paid %lld + adjustments %lld", c->charge_cents,
                 c->paid_cents, adjusted);
        json_t *arr = json_array();
        json_array_append_new(arr, psy__billing_finding("warning", "R-835-BALANCE", "era", msg, "835"));
        rc = psy__billing_append(p->st, id, arr);
        json_decref(arr);
        if (rc) goto out;
    }
    psy__stmt *s = psy__sql_prepare(p->st, "UPDATE claim SET paid_cents = paid_cents + ?, patient_cents = patient_cents "
                                           "+ ?, version = version + 1 WHERE id = ? RETURNING paid_cents, total_cents");
    if (!s) {
        rc = psy__store_dbfail(p->st, "claim");
        goto out;
    }
    psy__sql_bind_int64(s, 1, c->paid_cents);
    psy__sql_bind_int64(s, 2, c->patient_responsibility_cents);
    psy__sql_bind_int64(s, 3, id);
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
    p->r->paid_cents += c->paid_cents;
    psy_claim_state to = !strcmp(c->status, "4") || paid <= 0 ? PSY_CLAIM_DENIED
                         : paid >= total                      ? PSY_CLAIM_PAID
                                                              : PSY_CLAIM_PARTIALLY_PAID;
    if (to == PSY_CLAIM_DENIED) {
        p->r->denied++;
        if ((rc = denial_finding(p->st, id, c))) goto out;
    }
    if (st == PSY_CLAIM_SUBMITTED) {
        if ((rc = psy_billing_transition(p->st, p->practice, id, PSY_CLAIM_ACCEPTED, "adjudicated in an 835"))) goto out;
        st = PSY_CLAIM_ACCEPTED;
    }
    if (to != st && psy_claim_transition(st, to, NULL, 0) == PSY_OK)
        rc = psy_billing_transition(p->st, p->practice, id, to, c->status[0] == '4' ? "denied in an 835" : "paid in an 835");
out:
    free(L);
    return rc;
}

static psy_status on_payment(void *ud, struct psy_era_payment *pay)
{
    struct post_ctx *p = ud;
    psy_status rc = PSY_OK;
    for (size_t i = 0; !rc && i < pay->n_claims; i++) rc = post_claim(p, pay, &pay->claims[i]);
    for (size_t i = 0; !rc && i < pay->n_provider_adjustments; i++) {
        const struct psy_era_provider_adjustment *a = &pay->provider_adjustments[i];
        char why[120];
        snprintf(why, sizeof why, "provider-level adjustment %s %s", a->reason, a->reference);
        rc = suspense(p, "", "", "", 0, -a->amount_cents, why);
    }
    psy_era_payment_free(pay);
    p->rc = rc;
    return rc;
}

psy_status psy_billing_era_post(psy_store *st, psy_id practice, const void *data, size_t len,
                                struct psy_billing_post_result *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (err && errlen) err[0] = 0;
    char hash[40], now[PSY_REC_TIME_MAX];
    snprintf(hash, sizeof hash, "fnv64:%016llx:%zu", (unsigned long long)psy__hash64(data, len), len);
    psy__billing_now(now);
    psy_status rc = psy__store_begin(st);
    if (rc) return rc;
    psy__stmt *s = psy__sql_prepare(st, "INSERT INTO era_file (practice_id, file_hash, bytes, posted_at) VALUES (?, ?, ?, ?) "
                                        "ON CONFLICT (practice_id, file_hash) DO NOTHING RETURNING id");
    if (!s) {
        rc = psy__store_dbfail(st, "era_file");
        psy__store_rollback(st);
        return rc;
    }
    psy__sql_bind_int64(s, 1, practice);
    psy__sql_bind_text(s, 2, hash);
    psy__sql_bind_int64(s, 3, (int64_t)len);
    psy__sql_bind_text(s, 4, now);
    int q = psy__sql_step(s);
    struct post_ctx p = {st, practice, 0, r, PSY_OK};
    if (q == PSY_SQL_ROW) {
        p.file = psy__sql_int64(s, 0);
        q = psy__sql_step(s);
    } else if (q == PSY_SQL_DONE) {
        r->already_posted = 1;
    }
    psy__sql_finalize(s);
    if (q != PSY_SQL_DONE) {
        rc = psy__store_dbfail(st, "era_file");
        psy__store_rollback(st);
        return rc;
    }
    if (r->already_posted) {
        psy__store_rollback(st);
        return PSY_OK;
    }
    psy_x12_reader *rd = psy_x12_reader_mem(data, len, 0);
    rc = psy_x12_835_read(rd, on_payment, &p, err, errlen);
    psy_x12_reader_free(rd);
    if (rc) psy__store_rollback(st);
    else rc = psy__store_commit(st);
    if (rc) {
        if (p.rc && err && errlen && !err[0]) snprintf(err, errlen, "%s", psy_store_errmsg(st));
        struct psy_billing_post_result zero = {0};
        *r = zero;
    }
    return rc;
}
