/*
 * billing_cob.c -- coordination of benefits: the claim for the next payer once a payer's 835 has been
 * posted (the secondary after the primary, the tertiary after the secondary), loaded with every earlier
 * payer's adjudication for the 837P loops 2320/2330A/2330B and each line's 2430; crossover (835 CLP02
 * 19/20/21 with NM1*TT: the payer forwarded the claim itself, so none is built and the forwarded-to
 * payer's later 835 posts to the claim kept for it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_db.h"
#include "billing_int.h"

static void copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) n = cap - 1;
    memmove(dst, src, n);
    dst[n] = 0;
}

static char sequence_of(int priority) { return priority == 2 ? 'S' : priority == 3 ? 'T' : 'P'; }

/* Reads a payment's adjustments into codes/adj (at most PSY__COB_MAX_ADJ); adds its PR amounts to *pr. */
static psy_status read_adjustments(psy_store *st, int64_t payment, struct psy__cob_code *codes,
                                   struct psy_claim_adjustment *adj, size_t *n, long long *pr, int *over)
{
    psy__stmt *s = psy__db_stmt(st, "SELECT group_code, reason, amount_cents FROM adjustment WHERE payment_id = ? "
                                    "ORDER BY id",
                                PSY_ARGS(PSY_INT(payment)));
    if (!s) return psy__store_dbfail(st, "adjustment");
    int r;
    *n = 0;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW && *n < PSY__COB_MAX_ADJ) {
        size_t i = (*n)++;
        psy__db_col_copy(s, 0, codes[i].group, sizeof codes[i].group);
        psy__db_col_copy(s, 1, codes[i].reason, sizeof codes[i].reason);
        adj[i] = (struct psy_claim_adjustment){codes[i].group, codes[i].reason, psy__sql_int64(s, 2)};
        if (!strcmp(codes[i].group, "PR")) psy_cents_acc(pr, adj[i].amount_cents, over);
    }
    psy__sql_finalize(s);
    return r == PSY_SQL_ERROR ? psy__store_dbfail(st, "adjustment") : PSY_OK;
}

/* One earlier payer's adjudication of claim `earlier` into L->cob[L->n_cob] (nothing when no 835 of it
 * was posted: the preflight then refuses the claim). */
static psy_status load_one(psy_store *st, psy_id practice, struct psy__loaded *L, psy_id earlier)
{
    if (!L->cob) L->cob = psy__calloc(PSY__COB_MAX, sizeof *L->cob);
    struct psy__cob *cb = &L->cob[L->n_cob];
    memset(cb, 0, sizeof *cb);
    cb->claim = earlier;
    int64_t policy = 0, pay = 0, file = 0;
    psy_status rc = psy__db_int(st, &policy, "SELECT policy_id FROM claim WHERE id = ? AND practice_id = ?",
                                PSY_ARGS(PSY_INT(earlier), PSY_INT(practice)));
    if (!rc) rc = psy_records_policy_get(st, practice, policy, &cb->policy);
    if (!rc) rc = psy_records_payer_get(st, practice, cb->policy.payer_id, &cb->payer);
    if (rc) return rc;
    psy__stmt *s = psy__db_stmt(st,
                                "SELECT id, era_file_id, paid_cents, adjudicated_on FROM payment WHERE claim_id = ? "
                                "AND claim_line_id IS NULL AND reversed_by IS NULL AND claim_status <> '22' "
                                "ORDER BY id DESC LIMIT 1",
                                PSY_ARGS(PSY_INT(earlier)));
    if (!s) return psy__store_dbfail(st, "payment");
    long long paid = 0;
    int r = psy__sql_step(s);
    if (r == PSY_SQL_ROW) {
        pay = psy__sql_int64(s, 0);
        file = psy__sql_int64(s, 1);
        paid = psy__sql_int64(s, 2);
        psy__billing_date8(psy__sql_text(s, 3), cb->date);
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) return psy__store_dbfail(st, "payment");
    if (!pay) return PSY_OK;
    struct psy_claim_other_payer *o = &L->others[L->n_cob];
    long long pr = 0;
    int over = 0;
    size_t n = 0;
    if ((rc = read_adjustments(st, pay, cb->codes, cb->adj, &n, &pr, &over))) return rc;
    int self = !strcmp(cb->policy.relation, "self") || !cb->policy.relation[0];
    snprintf(cb->rel, sizeof cb->rel, "%s", self ? "18" : psy__billing_relation_code(cb->policy.relation));
    copy(cb->member, sizeof cb->member, cb->policy.member_id);
    copy(cb->group, sizeof cb->group, cb->policy.group_number);
    copy(cb->last, sizeof cb->last, self ? L->client.last_name : cb->policy.subscriber_last);
    copy(cb->first, sizeof cb->first, self ? L->client.first_name : cb->policy.subscriber_first);
    psy__billing_fold(cb->last, sizeof cb->last);
    psy__billing_fold(cb->first, sizeof cb->first);
    psy__billing_fold(cb->payer.name, sizeof cb->payer.name);
    *o = (struct psy_claim_other_payer){.sequence = sequence_of(cb->policy.priority),
                                        .relationship = cb->rel,
                                        .group_number = cb->group[0] ? cb->group : NULL,
                                        .filing_indicator = psy__billing_filing_indicator(cb->payer.kind),
                                        .adjustments = cb->adj,
                                        .n_adjustments = n,
                                        .paid_cents = paid,
                                        .subscriber_last = cb->last,
                                        .subscriber_first = cb->first[0] ? cb->first : NULL,
                                        .member_id = cb->member,
                                        .name = cb->payer.name,
                                        .id = cb->payer.payer_code,
                                        .date = cb->date};
    for (size_t j = 0; j < L->n_lines; j++) {
        int64_t lp = 0;
        long long lpaid = 0;
        s = psy__db_stmt(st,
                         "SELECT p.id, p.paid_cents FROM payment p JOIN claim_line l ON l.id = p.claim_line_id "
                         "WHERE p.claim_id = ? AND p.era_file_id = ? AND l.line_number = (SELECT line_number FROM "
                         "claim_line WHERE id = ?) ORDER BY p.id DESC LIMIT 1",
                         PSY_ARGS(PSY_INT(earlier), PSY_INT(file), PSY_INT(L->lx[j].id)));
        if (!s) return psy__store_dbfail(st, "payment");
        r = psy__sql_step(s);
        if (r == PSY_SQL_ROW) {
            lp = psy__sql_int64(s, 0);
            lpaid = psy__sql_int64(s, 1);
        }
        psy__sql_finalize(s);
        if (r == PSY_SQL_ERROR) return psy__store_dbfail(st, "payment");
        if (!lp) continue;
        size_t nl = 0;
        if ((rc = read_adjustments(st, lp, cb->lcodes[j], cb->ladj[j], &nl, &pr, &over))) return rc;
        struct psy_claim_line *l = &L->lines[j];
        L->ladj[j][l->n_adjudications] = (struct psy_claim_line_adjudication){
            cb->payer.payer_code, lpaid, l->units, cb->ladj[j], nl, cb->date};
        l->adjudications = L->ladj[j];
        l->n_adjudications++;
    }
    /* AMT*EAF: what the patient still owes after this payer, the sum of its PR adjustments */
    o->remaining_cents = over ? -1 : pr;
    L->n_cob++;
    return PSY_OK;
}

psy_status psy__billing_cob_load(psy_store *st, psy_id practice, struct psy__loaded *L)
{
    psy_id chain[PSY__COB_MAX];
    size_t n = 0;
    for (psy_id x = L->cob_from; x && n < PSY__COB_MAX;) {
        chain[n++] = x;
        int64_t up = 0;
        psy_status rc = psy__db_int(st, &up, "SELECT COALESCE(cob_from_claim_id, 0) FROM claim WHERE id = ?",
                                    PSY_ARGS(PSY_INT(x)));
        if (rc) return rc;
        x = up;
    }
    L->n_cob = 0;
    L->cob_missing = 0;
    for (size_t k = n; k-- > 0;) { /* the oldest payer first */
        size_t had = L->n_cob;
        psy_status rc = load_one(st, practice, L, chain[k]);
        if (rc) return rc;
        if (L->n_cob == had && !L->cob_missing) L->cob_missing = chain[k];
    }
    L->c.others = L->others;
    L->c.n_others = L->n_cob;
    return PSY_OK;
}

psy_status psy__billing_cob_after(psy_store *st, psy_id practice, psy_id claim, psy_id next, psy_id *built)
{
    *built = 0;
    int64_t n = 0;
    /* IMP: R-COB-2 -- a payer that forwarded the claim (crossover) sends it on itself: nothing to build */
    psy_status rc = psy__db_int(st, &n,
                                "SELECT count(*) FROM payment WHERE claim_id = ? AND claim_line_id IS NULL AND "
                                "crossover_payer <> '' AND reversed_by IS NULL",
                                PSY_ARGS(PSY_INT(claim)));
    if (rc || n || !next) return rc;
    /* IMP: R-COB-1 -- once per claim and next policy: posting the same adjudication again builds nothing */
    if ((rc = psy__db_int(st, &n, "SELECT count(*) FROM claim WHERE cob_from_claim_id = ? AND policy_id = ?",
                          PSY_ARGS(PSY_INT(claim), PSY_INT(next)))) || n)
        return rc;
    if ((rc = psy__billing_claim_copy(st, practice, claim, next, PSY_FREQ_ORIGINAL, 0, claim, "", built))) return rc;
    char mine[PSY_CLAIM_ID_MAX + 1] = "", why[160];
    psy__db_text(st, mine, sizeof mine, "SELECT claim_number FROM claim WHERE id = ?", PSY_ARGS(PSY_INT(claim)));
    snprintf(why, sizeof why, "built for the next payer after the 835 of claim %s (coordination of benefits)", mine);
    if ((rc = psy__billing_history(st, *built, "", "draft", why))) return rc;
    return psy_billing_scrub(st, practice, *built);
}

/* IMP: R-COB-4 -- a later payer's claim rests on the earlier payer's adjudication (2320 AMT*D, CAS, 2430 SVD).
 * When that payment is reversed (835 CLP02 22), a claim not yet sent is held in draft (the scrubber's
 * R-COB-4 finding) until the new adjudication is posted, then scrubbed again with it; a claim already sent
 * carried the old adjudication, so its history asks for a replacement (frequency 7). A claim the payer
 * forwarded itself (crossover) is left to that payer. */
psy_status psy__billing_cob_revisit(psy_store *st, psy_id practice, psy_id claim, int reversal, long *held,
                                    long *to_replace)
{
    int64_t crossed = 0;
    psy_status rc = psy__db_int(st, &crossed,
                                "SELECT count(*) FROM payment WHERE claim_id = ? AND claim_line_id IS NULL AND "
                                "crossover_payer <> ''",
                                PSY_ARGS(PSY_INT(claim)));
    if (rc || crossed) return rc;
    enum { MAX = 16 };
    struct {
        psy_id id;
        char status[24];
    } k[MAX];
    size_t n = 0;
    psy__stmt *s = psy__db_stmt(st, "SELECT id, status FROM claim WHERE cob_from_claim_id = ? AND practice_id = ? "
                                    "ORDER BY id",
                                PSY_ARGS(PSY_INT(claim), PSY_INT(practice)));
    if (!s) return psy__store_dbfail(st, "claim");
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW && n < MAX) {
        k[n].id = psy__sql_int64(s, 0);
        psy__db_col_copy(s, 1, k[n].status, sizeof k[n].status);
        n++;
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) return psy__store_dbfail(st, "claim");
    char mine[PSY_CLAIM_ID_MAX + 1] = "", why[300];
    psy__db_text(st, mine, sizeof mine, "SELECT claim_number FROM claim WHERE id = ?", PSY_ARGS(PSY_INT(claim)));
    for (size_t i = 0; i < n && !rc; i++) {
        psy_claim_state cs;
        if (psy_claim_state_parse(k[i].status, &cs)) continue;
        if (cs == PSY_CLAIM_DRAFT || cs == PSY_CLAIM_READY) {
            if ((rc = psy_billing_scrub(st, practice, k[i].id))) break;
            *held += reversal;
        } else if (reversal && cs != PSY_CLAIM_REJECTED && cs != PSY_CLAIM_CLOSED) {
            snprintf(why, sizeof why,
                     "the earlier payer reversed its payment of claim %s (835 CLP02 22) after this claim was sent: "
                     "once its new adjudication is posted, send a replacement carrying it (claims correct)",
                     mine);
            rc = psy__billing_history(st, k[i].id, k[i].status, k[i].status, why);
            (*to_replace)++;
        }
    }
    return rc;
}

psy_status psy__billing_cob_crossover(psy_store *st, psy_id practice, psy_id claim, psy_id next, const char *to,
                                      psy_id *kept)
{
    *kept = 0;
    int64_t n = 0;
    psy_status rc;
    if (!next) return PSY_OK;
    if ((rc = psy__db_int(st, &n, "SELECT count(*) FROM claim WHERE cob_from_claim_id = ? AND policy_id = ?",
                          PSY_ARGS(PSY_INT(claim), PSY_INT(next)))) || n)
        return rc;
    if ((rc = psy__billing_claim_copy(st, practice, claim, next, PSY_FREQ_ORIGINAL, 0, claim, "", kept))) return rc;
    char why[200];
    snprintf(why, sizeof why, "forwarded by the earlier payer to %s (crossover, 835 CLP02 19/20/21): its 835 posts "
             "here", to);
    if ((rc = psy__db_run(st, NULL, "UPDATE claim SET status = 'submitted', scrubbed_at = created_at WHERE id = ?",
                          PSY_ARGS(PSY_INT(*kept)))))
        return rc;
    return psy__billing_history(st, *kept, "", "submitted", why);
}

psy_status psy__billing_cob_route(psy_store *st, psy_id practice, psy_id claim, const char *payer_id,
                                  const char *payer_name, psy_id *out)
{
    *out = claim;
    int64_t id = 0;
    /* IMP: R-COB-3 -- an 835 from a payer other than the claim's, naming the claim's number, is that payer's
     * adjudication of the claim kept for it after a crossover (or built for it): matched by claim number and
     * payer, never by number alone */
    psy_status rc = psy__db_int(
        st, &id,
        "SELECT k.id FROM claim c JOIN payer cp ON cp.id = c.payer_id JOIN claim k ON k.cob_from_claim_id = c.id "
        "JOIN payer kp ON kp.id = k.payer_id WHERE c.id = ? AND c.practice_id = ? "
        "AND cp.payer_code <> ? AND lower(cp.name) <> lower(CAST(? AS TEXT)) "
        "AND (kp.payer_code = ? OR lower(kp.name) = lower(CAST(? AS TEXT))) ORDER BY k.id DESC LIMIT 1",
        PSY_ARGS(PSY_INT(claim), PSY_INT(practice), PSY_TEXT(payer_id), PSY_TEXT(payer_name), PSY_TEXT(payer_id),
                 PSY_TEXT(payer_name)));
    if (rc == PSY_ENOTFOUND) return PSY_OK;
    if (!rc) *out = id;
    return rc;
}
