/*
 * billing_chain.c -- claims that follow a claim: the replacement (837P CLM05-3 frequency 7) and the void
 * (8) of a claim the payer adjudicated, carrying the payer's claim control number (835 CLP07) in REF*F8,
 * and the copy of a claim that both these and the next payer's claim (billing_cob.c) start from. The
 * original keeps its payments; the new claim points back at it (claim.replaces_claim_id,
 * claim.cob_from_claim_id) so that its page shows the chain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_db.h"
#include "billing_int.h"

psy_status psy__billing_history(psy_store *st, psy_id claim, const char *from, const char *to, const char *reason)
{
    char now[PSY_REC_TIME_MAX];
    psy__billing_now(now);
    return psy__db_run(st, NULL,
                       "INSERT INTO claim_status_history (claim_id, from_status, to_status, reason, changed_at) "
                       "VALUES (?, ?, ?, ?, ?)",
                       PSY_ARGS(PSY_INT(claim), PSY_TEXT(from), PSY_TEXT(to), PSY_TEXT(reason), PSY_TEXT(now)));
}

psy_status psy__billing_claim_copy(psy_store *st, psy_id practice, psy_id from, psy_id policy, int frequency,
                                   psy_id replaces, psy_id cob_from, const char *icn, psy_id *id)
{
    struct psy_policy pol;
    struct psy_payer payer;
    psy_status rc = psy_records_policy_get(st, practice, policy, &pol);
    if (!rc) rc = psy_records_payer_get(st, practice, pol.payer_id, &payer);
    if (rc) return rc;
    char now[PSY_REC_TIME_MAX], tmp[48];
    psy__billing_now(now);
    snprintf(tmp, sizeof tmp, "copy-%lld-%lld", (long long)from, (long long)policy);
    /* a claim for another payer carries no prior authorisation of the first one */
    rc = psy__db_insert(st, id,
                        "INSERT INTO claim (practice_id, claim_number, client_id, payer_id, policy_id, clinician_id, "
                        "service_date, frequency, place_of_service, prior_auth, payer_profile, total_cents, "
                        "created_at, replaces_claim_id, cob_from_claim_id, payer_claim_number) "
                        "SELECT practice_id, ?, client_id, ?, ?, clinician_id, service_date, ?, place_of_service, "
                        "CASE WHEN payer_id = ? THEN prior_auth ELSE '' END, ?, total_cents, ?, ?, ?, ? "
                        "FROM claim WHERE practice_id = ? AND id = ?",
                        PSY_ARGS(PSY_TEXT(tmp), PSY_INT(payer.id), PSY_INT(policy), PSY_INT(frequency),
                                 PSY_INT(payer.id), PSY_TEXT(psy_records_payer_profile(&payer)), PSY_TEXT(now),
                                 PSY_INT_OR_NULL(replaces), PSY_INT_OR_NULL(cob_from), PSY_TEXT_OR_EMPTY(icn),
                                 PSY_INT(practice), PSY_INT(from)));
    if (rc) return rc;
    char number[PSY_CLAIM_ID_MAX + 1];
    snprintf(number, sizeof number, "PC%08lld", (long long)*id);
    if ((rc = psy__db_run(st, NULL, "UPDATE claim SET claim_number = ? WHERE id = ?",
                          PSY_ARGS(PSY_TEXT(number), PSY_INT(*id)))))
        return rc;
    return psy__db_run(st, NULL,
                       "INSERT INTO claim_line (claim_id, line_number, session_id, client_id, code, modifiers, units, "
                       "charge_cents, place_of_service, dx_pointers, rules, explanation) SELECT ?, line_number, "
                       "session_id, client_id, code, modifiers, units, charge_cents, place_of_service, dx_pointers, "
                       "rules, explanation FROM claim_line WHERE claim_id = ? ORDER BY line_number",
                       PSY_ARGS(PSY_INT(*id), PSY_INT(from)));
}

/* The payer's claim control number of a claim: CLP07 of its latest adjudication not taken back. */
psy_status psy__billing_payer_number(psy_store *st, psy_id claim, char *out, size_t len)
{
    psy_status rc = psy__db_text(st, out, len,
                                 "SELECT payer_claim_number FROM payment WHERE claim_id = ? AND claim_line_id IS NULL "
                                 "AND reversed_by IS NULL AND claim_status <> '22' AND payer_claim_number <> '' "
                                 "ORDER BY id DESC LIMIT 1",
                                 PSY_ARGS(PSY_INT(claim)));
    if (rc == PSY_ENOTFOUND) out[0] = 0;
    return rc == PSY_ENOTFOUND ? PSY_OK : rc;
}

psy_status psy_billing_claim_replace(psy_store *st, psy_id practice, psy_id claim, int frequency, psy_id *out,
                                     char *err, size_t errlen)
{
    char dummy[8];
    if (!err || !errlen) err = dummy, errlen = sizeof dummy;
    err[0] = 0;
    *out = 0;
    if (frequency != PSY_FREQ_REPLACEMENT && frequency != PSY_FREQ_VOID) {
        snprintf(err, errlen, "frequency: 7 (replacement) or 8 (void)");
        return psy__store_fail(st, PSY_EINVAL, "%s", err);
    }
    const char *what = frequency == PSY_FREQ_VOID ? "voided" : "replaced";
    struct psy__loaded *L = psy__calloc(1, sizeof *L);
    psy_status rc = psy__billing_load(st, practice, claim, L);
    if (rc) {
        snprintf(err, errlen, "%s", psy_store_errmsg(st));
        psy__billing_loaded_free(L, 1);
        return rc;
    }
    char icn[51] = "", by[PSY_CLAIM_ID_MAX + 1] = "", later_freq[8] = "";
    psy_claim_state s = L->c.state;
    /* IMP: R-CORR-1 -- only a claim the payer adjudicated (its 835 named the payer's claim number) can be
     * replaced or voided; a rejected one never entered the payer's system and goes again as an original */
    if (s == PSY_CLAIM_DRAFT || s == PSY_CLAIM_READY)
        snprintf(err, errlen, "claim %s is %s: it was never sent, so there is nothing to be %s (edit it instead)",
                 L->number, psy_claim_state_name(s), what);
    else if (s == PSY_CLAIM_REJECTED)
        snprintf(err, errlen, "claim %s was rejected before the payer took it in: correct the records and send it "
                 "again as an original, not as a %s", L->number, frequency == PSY_FREQ_VOID ? "void" : "replacement");
    else if (L->c.frequency == PSY_FREQ_VOID)
        snprintf(err, errlen, "claim %s is itself a void (frequency 8): it cannot be %s", L->number, what);
    if (!err[0]) {
        psy__stmt *q = psy__db_stmt(st, "SELECT claim_number, frequency FROM claim WHERE replaces_claim_id = ? "
                                        "AND practice_id = ? ORDER BY id DESC LIMIT 1",
                                    PSY_ARGS(PSY_INT(claim), PSY_INT(practice)));
        if (!q) rc = psy__store_dbfail(st, "claim");
        else if (psy__sql_step(q) == PSY_SQL_ROW) {
            snprintf(by, sizeof by, "%s", psy__sql_text(q, 0));
            snprintf(later_freq, sizeof later_freq, "%s", psy__sql_text(q, 1));
        }
        psy__sql_finalize(q);
        if (by[0])
            snprintf(err, errlen, "claim %s was already %s by claim %s", L->number,
                     !strcmp(later_freq, "8") ? "voided" : "replaced", by);
    }
    if (!rc && !err[0]) rc = psy__billing_payer_number(st, claim, icn, sizeof icn);
    if (!rc && !err[0] && !icn[0])
        snprintf(err, errlen, "claim %s: the payer's claim number (835 CLP07) is unknown -- no posted remittance "
                 "names it, and a %s must carry it in REF*F8", L->number,
                 frequency == PSY_FREQ_VOID ? "void" : "replacement");
    if (rc || err[0]) {
        if (!rc) rc = psy__store_fail(st, PSY_EINVAL, "%s", err);
        else if (!err[0]) snprintf(err, errlen, "%s", psy_store_errmsg(st));
        psy__billing_loaded_free(L, 1);
        return rc;
    }
    char why[160];
    if (!(rc = psy__store_begin(st))) {
        rc = psy__billing_claim_copy(st, practice, claim, L->policy.id, frequency, claim, L->cob_from, icn, out);
        char number[PSY_CLAIM_ID_MAX + 1] = "";
        if (!rc) rc = psy__db_text(st, number, sizeof number, "SELECT claim_number FROM claim WHERE id = ?",
                                   PSY_ARGS(PSY_INT(*out)));
        snprintf(why, sizeof why, "%s by claim %s (frequency %d, payer's claim number %s)", what, number, frequency,
                 icn);
        const char *name = psy_claim_state_name(s);
        if (!rc) rc = psy__billing_history(st, claim, name, name, why);
        snprintf(why, sizeof why, "%s of claim %s (payer's claim number %s)",
                 frequency == PSY_FREQ_VOID ? "void" : "replacement", L->number, icn);
        if (!rc) rc = psy__billing_history(st, *out, "", "draft", why);
        if (!rc) rc = psy_billing_scrub(st, practice, *out);
        if (!rc) rc = psy__store_commit(st);
        else psy__store_rollback(st);
    }
    if (rc) {
        *out = 0;
        snprintf(err, errlen, "%s", psy_store_errmsg(st));
    }
    psy__billing_loaded_free(L, 1);
    return rc;
}
