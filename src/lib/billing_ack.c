/*
 * billing_ack.c -- acknowledgements coming back for the 837P batches sent: a TA1, 999 or 277CA file
 * applied to the practice's claims (accepted or rejected, every error kept in plain words), the items
 * that matched no batch or claim held in suspense, suspense items applied to a claim by hand or closed
 * with a reason, and a rejected claim taken back to work to be sent again.
 *
 * Matching uses only what psyclaim wrote: TA101 = the batch's ISA13, AK102 = its GS06, AK202 = its
 * ST02, and a 277's TRN02 = the claim's CLM01. A file is posted once (the hash of its bytes, kept in
 * era_file with its kind); each verdict is posted once per claim (claim_ack.record_key: the
 * acknowledgement's own ISA13 and ST02 with what it answers), so the same verdict in another file
 * changes nothing either. A whole file is one transaction: a malformed one changes nothing.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_db.h"
#include "billing_int.h"

struct ack_ctx {
    psy_store *st;
    psy_id practice, file;
    const char *kind;
    struct psy_billing_ack_result *r;
    char now[PSY_REC_TIME_MAX];
};

/* --- claims and batches ------------------------------------------------------------------------- */

static psy_status claim_state(psy_store *st, psy_id practice, psy_id claim, psy_claim_state *out)
{
    char name[32] = "";
    psy_status rc = psy__db_text(st, name, sizeof name, "SELECT status FROM claim WHERE practice_id = ? AND id = ?",
                                 PSY_ARGS(PSY_INT(practice), PSY_INT(claim)));
    if (rc) return rc;
    return psy_claim_state_parse(name, out) ? psy__store_fail(st, PSY_EDB, "claim: unknown status stored") : PSY_OK;
}

/* Records one verdict for one claim and moves the claim when its state allows: accepted from
 * submitted, rejected from submitted or accepted. A verdict seen before (same key) changes nothing. */
static psy_status verdict(struct ack_ctx *a, psy_id claim, psy_id batch, const char *key, const char *v,
                          const char *payer_number, json_t *errors, const char *reason)
{
    int64_t seen = 0;
    psy_status rc = psy__db_int(a->st, &seen,
                                "SELECT count(*) FROM claim_ack WHERE practice_id = ? AND claim_id = ? AND record_key = ?",
                                PSY_ARGS(PSY_INT(a->practice), PSY_INT(claim), PSY_TEXT(key)));
    if (rc) return rc;
    if (seen) {
        a->r->unchanged++;
        return PSY_OK;
    }
    char *ej = json_dumps(errors, JSON_COMPACT);
    rc = psy__db_run(a->st, NULL,
                     "INSERT INTO claim_ack (practice_id, claim_id, batch_id, file_id, kind, record_key, verdict, "
                     "payer_claim_number, errors, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     PSY_ARGS(PSY_INT(a->practice), PSY_INT(claim), PSY_INT_OR_NULL(batch), PSY_INT_OR_NULL(a->file),
                              PSY_TEXT(a->kind), PSY_TEXT(key), PSY_TEXT(v), PSY_TEXT_OR_EMPTY(payer_number),
                              PSY_TEXT(ej ? ej : "[]"), PSY_TEXT(a->now)));
    free(ej);
    if (rc) return rc;
    a->r->errors += (long)json_array_size(errors);
    psy_claim_state from, to;
    if ((rc = claim_state(a->st, a->practice, claim, &from))) return rc;
    int accept = !strcmp(v, "accepted"), reject = !strcmp(v, "rejected");
    if (accept && from == PSY_CLAIM_SUBMITTED) to = PSY_CLAIM_ACCEPTED;
    else if (reject && (from == PSY_CLAIM_SUBMITTED || from == PSY_CLAIM_ACCEPTED)) to = PSY_CLAIM_REJECTED;
    else {
        if (accept || reject) a->r->unchanged++;
        else a->r->other++;
        return PSY_OK;
    }
    if ((rc = psy_billing_transition(a->st, a->practice, claim, to, reason))) return rc;
    if (accept) a->r->accepted++;
    else a->r->rejected++;
    return PSY_OK;
}

/* Keeps what matched nothing for a person to resolve: the verdict, its errors and the segment. */
static psy_status suspense(struct ack_ctx *a, const char *claim_number, const char *v, json_t *errors,
                           const char *segment, const char *why)
{
    int64_t seen = 0;
    psy_status rc = psy__db_int(a->st, &seen,
                                "SELECT count(*) FROM suspense_item WHERE practice_id = ? AND source = ? AND "
                                "segment_text = ? AND why = ?",
                                PSY_ARGS(PSY_INT(a->practice), PSY_TEXT(a->kind), PSY_TEXT(segment), PSY_TEXT(why)));
    if (rc) return rc;
    if (seen) {
        a->r->unchanged++;
        return PSY_OK;
    }
    char *ej = json_dumps(errors, JSON_COMPACT);
    rc = psy__db_run(a->st, NULL,
                     "INSERT INTO suspense_item (practice_id, era_file_id, claim_number, why, source, segment_text, "
                     "ack_verdict, ack_errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     PSY_ARGS(PSY_INT(a->practice), PSY_INT(a->file), PSY_TEXT_OR_EMPTY(claim_number), PSY_TEXT(why),
                              PSY_TEXT(a->kind), PSY_TEXT(segment), PSY_TEXT(v), PSY_TEXT(ej ? ej : "[]")));
    free(ej);
    if (!rc) a->r->suspense++;
    return rc;
}

/* The claims of every batch of the practice matching the control numbers (0 / NULL = any). */
static psy_status batch_claims(struct ack_ctx *a, unsigned long isa13, unsigned long gs06, const char *st02,
                               int64_t **batches, int64_t **claims, size_t *n)
{
    *batches = *claims = NULL;
    *n = 0;
    psy__stmt *s = psy__db_stmt(a->st,
                                "SELECT b.id, b.st02, bc.claim_id FROM claim_batch b JOIN claim_batch_claim bc ON "
                                "bc.batch_id = b.id WHERE b.practice_id = ? AND (? = 0 OR b.isa13 = ?) AND "
                                "(? = 0 OR b.gs06 = ?) ORDER BY b.id, bc.claim_id",
                                PSY_ARGS(PSY_INT(a->practice), PSY_INT((int64_t)isa13), PSY_INT((int64_t)isa13),
                                         PSY_INT((int64_t)gs06), PSY_INT((int64_t)gs06)));
    if (!s) return psy__store_dbfail(a->st, "claim_batch");
    int r;
    size_t cap = 0;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        /* ST02 is compared as a number: "0001" answers "000000001" */
        if (st02 && strtoul(psy__sql_text(s, 1), NULL, 10) != strtoul(st02, NULL, 10)) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            *batches = psy__realloc(*batches, cap * sizeof **batches);
            *claims = psy__realloc(*claims, cap * sizeof **claims);
        }
        (*batches)[*n] = psy__sql_int64(s, 0);
        (*claims)[(*n)++] = psy__sql_int64(s, 2);
    }
    psy__sql_finalize(s);
    if (r != PSY_SQL_DONE) {
        free(*batches);
        free(*claims);
        *batches = *claims = NULL;
        *n = 0;
        return psy__store_dbfail(a->st, "claim_batch");
    }
    return PSY_OK;
}

/* Applies one verdict to every claim of the matching batches, or puts it in suspense. */
static psy_status to_batches(struct ack_ctx *a, unsigned long isa13, unsigned long gs06, const char *st02,
                             const char *key, const char *v, json_t *errors, const char *reason, const char *segment,
                             const char *what)
{
    int64_t *batches, *claims;
    size_t n;
    psy_status rc = batch_claims(a, isa13, gs06, st02, &batches, &claims, &n);
    if (rc) return rc;
    for (size_t i = 0; !rc && i < n; i++) rc = verdict(a, claims[i], batches[i], key, v, "", errors, reason);
    free(batches);
    free(claims);
    if (!rc && !n) {
        char why[300];
        snprintf(why, sizeof why, "no batch sent with %s: %s", what, reason);
        rc = suspense(a, "", v, errors, segment, why);
    }
    return rc;
}

/* --- the handlers ----------------------------------------------------------------------------- */

static int rejecting(const char *ack) { return ack[0] == 'R' || ack[0] == 'M' || ack[0] == 'W' || ack[0] == 'X'; }

static psy_status on_ta1(void *ud, const struct psy_ack_ta1 *t)
{
    struct ack_ctx *a = ud;
    if (!rejecting(t->ack)) return PSY_OK; /* the envelope was fine: the 999 tells the rest */
    const char *note = psy_x12_describe(PSY_X12_TEXT_INTERCHANGE_NOTE, t->note);
    char reason[400], key[80], seg[120], what[40];
    snprintf(reason, sizeof reason, "TA1 rejected interchange %09lu: %s (TA105 %s)", t->control,
             note ? note : "interchange note code not in the X12 list", t->note);
    snprintf(key, sizeof key, "TA1:%lu:%s%s", t->control, t->date, t->time);
    snprintf(seg, sizeof seg, "segment %lu: TA1*%09lu*%s*%s*%s*%s", t->segment, t->control, t->date, t->time, t->ack,
             t->note);
    snprintf(what, sizeof what, "ISA13 %09lu", t->control);
    json_t *errors = json_pack("[{s:s, s:s, s:s, s:s}]", "segment", "TA1", "code", t->note, "meaning",
                               note ? note : "", "words", reason);
    psy_status rc = to_batches(a, t->control, 0, NULL, key, "rejected", errors, reason, seg, what);
    json_decref(errors);
    return rc;
}

static json_t *errors_of(const struct psy_ack_set *set)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < set->n_errors; i++) {
        const struct psy_ack_error *e = &set->errors[i];
        char words[600], el[24] = "";
        psy_x12_ack_error_words(e, words, sizeof words);
        if (e->element) snprintf(el, sizeof el, "%s%02d%s%.0d", e->segment_id, e->element, e->component ? "-" : "",
                                 e->component);
        const char *code = e->element ? e->element_code : e->segment_code;
        const char *m = psy_x12_describe(e->element ? PSY_X12_TEXT_ELEMENT_ERROR : PSY_X12_TEXT_SEGMENT_ERROR, code);
        json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "segment", e->segment_id,
                                             "position", (json_int_t)e->position, "element", el, "code", code,
                                             "meaning", m ? m : "", "context", e->context, "words", words));
    }
    for (size_t i = 0; i < 5; i++)
        if (set->codes[i][0]) {
            const char *m = psy_x12_describe(PSY_X12_TEXT_SET_ERROR, set->codes[i]);
            char words[300];
            snprintf(words, sizeof words, "transaction set %s: %s (IK50%zu %s)", set->control,
                     m ? m : "error code not in the X12 list", i + 2, set->codes[i]);
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "segment", "IK5", "code", set->codes[i],
                                                 "meaning", m ? m : "", "words", words));
        }
    return arr;
}

/* "999 rejected transaction set 0001 (IK501 R: Rejected): <first error>; and 2 more errors". */
static void reason_of(const char *what, const char *ack, json_t *errors, char *out, size_t len)
{
    const char *t = psy_x12_describe(PSY_X12_TEXT_ACK, ack);
    size_t n = json_array_size(errors);
    const char *first = json_string_value(json_object_get(json_array_get(errors, 0), "words"));
    snprintf(out, len, "%s (%s: %s)%s%s", what, ack, t ? t : "?", first ? ": " : "", first ? first : "");
    if (n > 1) {
        size_t k = strlen(out);
        snprintf(out + k, len - k, "; and %zu more error%s", n - 1, n > 2 ? "s" : "");
    }
}

static psy_status on_999(void *ud, const struct psy_ack_999 *ak)
{
    struct ack_ctx *a = ud;
    psy_status rc = PSY_OK;
    char key[120], reason[900], seg[120], what[80];
    for (size_t i = 0; !rc && i < ak->n_sets; i++) {
        const struct psy_ack_set *set = &ak->sets[i];
        int rej = rejecting(set->ack);
        json_t *errors = errors_of(set);
        char head[80];
        snprintf(head, sizeof head, "999 %s transaction set %s", rej ? "rejected" : "accepted", set->control);
        reason_of(head, set->ack, errors, reason, sizeof reason);
        snprintf(key, sizeof key, "999:%lu:%s:%lu:%s", ak->isa13, ak->st02, ak->group_control, set->control);
        snprintf(seg, sizeof seg, "segment %lu: AK2*%s*%s; IK5*%s", set->segment, set->set_id, set->control, set->ack);
        snprintf(what, sizeof what, "GS06 %lu and ST02 %s", ak->group_control, set->control);
        rc = to_batches(a, 0, ak->group_control, set->control, key, rej ? "rejected" : "accepted", errors, reason, seg,
                        what);
        json_decref(errors);
    }
    if (!rc && !ak->n_sets && ak->ack[0]) { /* a verdict on the group alone */
        int rej = rejecting(ak->ack);
        json_t *errors = json_array();
        for (size_t i = 0; i < 5; i++)
            if (ak->codes[i][0]) {
                const char *m = psy_x12_describe(PSY_X12_TEXT_GROUP_ERROR, ak->codes[i]);
                char words[300];
                snprintf(words, sizeof words, "functional group %lu: %s (AK90%zu %s)", ak->group_control,
                         m ? m : "error code not in the X12 list", i + 5, ak->codes[i]);
                json_array_append_new(errors, json_pack("{s:s, s:s, s:s, s:s}", "segment", "AK9", "code", ak->codes[i],
                                                        "meaning", m ? m : "", "words", words));
            }
        char head[80];
        snprintf(head, sizeof head, "999 %s functional group %lu", rej ? "rejected" : "accepted", ak->group_control);
        reason_of(head, ak->ack, errors, reason, sizeof reason);
        snprintf(key, sizeof key, "999:%lu:%s:%lu", ak->isa13, ak->st02, ak->group_control);
        snprintf(seg, sizeof seg, "segment %lu: AK1*%s*%lu; AK9*%s", ak->segment, ak->functional_id, ak->group_control,
                 ak->ack);
        snprintf(what, sizeof what, "GS06 %lu", ak->group_control);
        rc = to_batches(a, 0, ak->group_control, NULL, key, rej ? "rejected" : "accepted", errors, reason, seg, what);
        json_decref(errors);
    }
    return rc;
}

static psy_status on_277(void *ud, const struct psy_ack_277 *c)
{
    struct ack_ctx *a = ud;
    int v = psy_x12_277_verdict(c);
    const char *vs = v > 0 ? "accepted" : v < 0 ? "rejected" : "other";
    json_t *errors = json_array();
    struct psy__buf codes = {0}, words = {0};
    for (size_t i = 0; i < c->n_statuses; i++) {
        const struct psy_ack_status *t = &c->statuses[i];
        const char *cat = psy_x12_describe(PSY_X12_TEXT_STATUS_CATEGORY, t->category);
        const char *code = psy_x12_describe(PSY_X12_TEXT_STATUS_CODE, t->code);
        const char *ent = psy_x12_describe(PSY_X12_TEXT_ENTITY, t->entity);
        char w[600];
        snprintf(w, sizeof w, "%s%s%s%s (STC %s:%s%s%s)%s%s%s%s", t->service[0] ? "line " : "", t->service,
                 t->service[0] ? ": " : "", cat ? cat : "category not in code list 507", t->category, t->code,
                 t->entity[0] ? ":" : "", t->entity, t->code[0] ? "; " : "",
                 t->code[0] ? (code ? code : "status code not in code list 508") : "", ent ? "; about the " : "",
                 ent ? ent : "");
        json_array_append_new(errors, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "segment", "STC", "element",
                                                t->service[0] ? t->service : "STC01", "code", t->category, "status_code",
                                                t->code, "meaning", cat ? cat : "", "words", w));
        psy__buf_printf(&codes, "%s%s:%s:%s", i ? "," : "", t->category, t->code, t->entity);
        psy__buf_printf(&words, "%s%s", i ? "; " : "", w);
    }
    if (c->message[0]) psy__buf_printf(&words, "; payer's message: %s", c->message);
    char key[300], reason[900], seg[200];
    snprintf(key, sizeof key, "277:%lu:%s:%s:%s", c->isa13, c->st02, c->trace, codes.p ? codes.p : "");
    snprintf(reason, sizeof reason, "277CA %s claim: %s", vs, words.p ? words.p : "no status");
    snprintf(seg, sizeof seg, "segment %lu: TRN*%s*%s; STC*%s", c->segment, c->trace_type, c->trace,
             codes.p ? codes.p : "");
    psy__buf_free(&codes);
    psy__buf_free(&words);
    psy_status rc = PSY_OK;
    int claim_level = !strcmp(c->level, "PT") || !strcmp(c->level, "22") || !strcmp(c->level, "23");
    if (claim_level) {
        psy_id claim = 0;
        rc = psy__billing_claim_by_number(a->st, a->practice, c->trace, &claim);
        if (rc == PSY_ENOTFOUND) rc = suspense(a, c->trace, vs, errors, seg, "no claim with this number (TRN02)");
        else if (!rc) rc = verdict(a, claim, 0, key, vs, c->payer_claim_number, errors, reason);
    } else if (v < 0) { /* a receiver or provider level rejected: its claims are not listed */
        char why[1000];
        snprintf(why, sizeof why, "the %s level (HL %s) was rejected: %s",
                 !strcmp(c->level, "21") ? "information receiver" : "billing provider", c->level, reason);
        rc = suspense(a, "", vs, errors, seg, why);
    }
    json_decref(errors);
    return rc;
}

/* --- posting ------------------------------------------------------------------------------------ */

/* 1 when the bytes hold nothing but blanks, control characters and a UTF-8 byte-order mark. */
static int blank(const unsigned char *d, size_t len)
{
    size_t i = len >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF ? 3 : 0;
    for (; i < len; i++)
        if (d[i] > ' ') return 0;
    return 1;
}

psy_status psy_billing_ack_post(psy_store *st, psy_id practice, const char *name, const void *data, size_t len,
                                struct psy_billing_ack_result *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    char dummy[8];
    if (!err || !errlen) err = dummy, errlen = sizeof dummy;
    err[0] = 0;
    if (blank(data, len)) {
        snprintf(err, errlen, "the acknowledgement file is empty: nothing to post");
        return PSY_EPARSE;
    }
    psy_x12_kind kind;
    psy_x12_reader *rd = psy_x12_reader_mem(data, len, 0);
    psy_status rc = psy_x12_detect(rd, &kind, NULL, err, errlen);
    psy_x12_reader_free(rd);
    if (rc) return rc;
    if (kind != PSY_X12_KIND_999 && kind != PSY_X12_KIND_277CA && kind != PSY_X12_KIND_277 &&
        kind != PSY_X12_KIND_TA1) {
        if (!err[0] || kind != PSY_X12_KIND_UNKNOWN)
            snprintf(err, errlen, "the file holds %s %s, not an acknowledgement (TA1, 999 or 277CA)",
                     kind == PSY_X12_KIND_UNKNOWN ? "no known transaction" : "an", psy_x12_kind_name(kind));
        return PSY_EINVAL;
    }
    snprintf(r->kind, sizeof r->kind, "%s", psy_x12_kind_name(kind));
    unsigned char h[32];
    char hash[80] = "ack:";
    if (sodium_init() < 0) return psy__store_fail(st, PSY_EIO, "libsodium cannot start");
    crypto_generichash(h, sizeof h, data, len, NULL, 0);
    sodium_bin2hex(hash + 4, sizeof hash - 4, h, sizeof h);
    struct ack_ctx a = {.st = st, .practice = practice, .kind = r->kind, .r = r};
    psy__billing_now(a.now);
    if ((rc = psy__store_begin(st))) return rc;
    int64_t earlier = 0;
    rc = psy__db_int(st, &earlier, "SELECT count(*) FROM era_file WHERE practice_id = ? AND file_hash = ?",
                     PSY_ARGS(PSY_INT(practice), PSY_TEXT(hash)));
    if (!rc && earlier) {
        psy__store_rollback(st);
        r->already_posted = 1;
        return PSY_OK;
    }
    if (!rc)
        rc = psy__db_insert(st, &a.file,
                            "INSERT INTO era_file (practice_id, file_hash, bytes, posted_at, name, kind) VALUES "
                            "(?, ?, ?, ?, ?, ?)",
                            PSY_ARGS(PSY_INT(practice), PSY_TEXT(hash), PSY_INT((int64_t)len), PSY_TEXT(a.now),
                                     PSY_TEXT_OR_EMPTY(name), PSY_TEXT(r->kind)));
    if (!rc) {
        struct psy_ack_handlers hs = {on_ta1, on_999, on_277, &a};
        rd = psy_x12_reader_mem(data, len, 0);
        rc = psy_x12_ack_read(rd, &hs, err, errlen);
        psy_x12_reader_free(rd);
    }
    if (rc) {
        if (!err[0]) snprintf(err, errlen, "%s", psy_store_errmsg(st));
        psy__store_rollback(st);
        struct psy_billing_ack_result zero = {0};
        memcpy(zero.kind, r->kind, sizeof zero.kind);
        *r = zero;
        return rc;
    }
    return psy__store_commit(st);
}

/* --- rejected claims back to work --------------------------------------------------------------- */

psy_status psy_billing_claim_rebuild(psy_store *st, psy_id practice, psy_id claim, const char *reason)
{
    psy_claim_state from;
    psy_status rc = claim_state(st, practice, claim, &from);
    if (rc == PSY_ENOTFOUND) return psy__store_fail(st, rc, "claim: no claim %lld", (long long)claim);
    if (rc) return rc;
    if (from != PSY_CLAIM_REJECTED && from != PSY_CLAIM_DRAFT)
        return psy__store_fail(st, PSY_EINVAL,
                               "status: the claim is %s; only a rejected claim (or a draft) is rebuilt to be sent again",
                               psy_claim_state_name(from));
    if ((rc = psy__store_begin(st))) return rc;
    char why[300];
    snprintf(why, sizeof why, "corrected to be sent again as a new original%s%s", reason && *reason ? ": " : "",
             reason && *reason ? reason : "");
    if (from == PSY_CLAIM_REJECTED) rc = psy_billing_transition(st, practice, claim, PSY_CLAIM_DRAFT, why);
    if (!rc) rc = psy_billing_scrub(st, practice, claim);
    if (rc) {
        psy__store_rollback(st);
        return rc;
    }
    return psy__store_commit(st);
}

psy_status psy_billing_claim_find(psy_store *st, psy_id practice, const char *number, psy_id *id)
{
    *id = 0;
    psy_status rc = psy__billing_claim_by_number(st, practice, number ? number : "", id);
    if (rc == PSY_ENOTFOUND) return psy__store_fail(st, rc, "claim: no claim numbered %.40s", number ? number : "");
    return rc;
}

/* --- suspense ----------------------------------------------------------------------------------- */

/* The open item's source, verdict and errors; PSY_ENOTFOUND / PSY_ECONFLICT (resolved) otherwise. */
static psy_status open_item(psy_store *st, psy_id practice, psy_id item, char source[8], char v[12], char **errors)
{
    psy__stmt *s = psy__db_stmt(st,
                                "SELECT source, ack_verdict, ack_errors, resolved, why FROM suspense_item WHERE "
                                "practice_id = ? AND id = ?",
                                PSY_ARGS(PSY_INT(practice), PSY_INT(item)));
    if (!s) return psy__store_dbfail(st, "suspense_item");
    int r = psy__sql_step(s);
    psy_status rc = PSY_OK;
    if (r == PSY_SQL_ROW) {
        psy__db_col_copy(s, 0, source, 8);
        psy__db_col_copy(s, 1, v, 12);
        if (errors) *errors = psy__db_col_dup(s, 2);
        if (psy__sql_int64(s, 3)) rc = psy__store_fail(st, PSY_ECONFLICT, "suspense item %lld is already resolved",
                                                       (long long)item);
    } else {
        rc = r == PSY_SQL_DONE ? psy__store_fail(st, PSY_ENOTFOUND, "suspense item %lld: none in this practice",
                                                 (long long)item)
                               : psy__store_dbfail(st, "suspense_item");
    }
    psy__sql_finalize(s);
    if (rc && errors) {
        free(*errors);
        *errors = NULL;
    }
    return rc;
}

static psy_status resolve(psy_store *st, psy_id practice, psy_id item, psy_id claim, const char *how)
{
    char now[PSY_REC_TIME_MAX];
    psy__billing_now(now);
    return psy__db_run(st, NULL,
                       "UPDATE suspense_item SET resolved = 1, resolved_claim_id = ?, resolution = ?, resolved_at = ? "
                       "WHERE practice_id = ? AND id = ? AND resolved = 0",
                       PSY_ARGS(PSY_INT_OR_NULL(claim), PSY_TEXT(how), PSY_TEXT(now), PSY_INT(practice), PSY_INT(item)));
}

psy_status psy_billing_suspense_apply(psy_store *st, psy_id practice, psy_id item, const char *claim_number)
{
    if (!claim_number || !*claim_number) return psy__store_fail(st, PSY_EINVAL, "claim: the claim number is required");
    char source[8], v[12], *errors = NULL;
    psy_status rc = psy__store_begin(st);
    if (rc) return rc;
    psy_id claim = 0;
    if (!(rc = open_item(st, practice, item, source, v, &errors))) {
        rc = psy__billing_claim_by_number(st, practice, claim_number, &claim);
        if (rc == PSY_ENOTFOUND) rc = psy__store_fail(st, rc, "claim: no claim numbered %s", claim_number);
    }
    char how[200];
    snprintf(how, sizeof how, "applied by hand to claim %s", claim_number);
    if (!rc && strcmp(source, "835") && (!strcmp(v, "accepted") || !strcmp(v, "rejected"))) {
        struct psy_billing_ack_result r = {0};
        struct ack_ctx a = {.st = st, .practice = practice, .kind = source, .r = &r};
        psy__billing_now(a.now);
        json_t *ej = json_loads(errors ? errors : "[]", 0, NULL);
        char key[40], reason[900];
        snprintf(key, sizeof key, "suspense:%lld", (long long)item);
        const char *first = json_string_value(json_object_get(json_array_get(ej, 0), "words"));
        snprintf(reason, sizeof reason, "%s %s (from suspense item %lld, applied by hand)%s%s", source, v,
                 (long long)item, first ? ": " : "", first ? first : "");
        psy_claim_state from;
        rc = claim_state(st, practice, claim, &from);
        int ok = !strcmp(v, "accepted") ? from == PSY_CLAIM_SUBMITTED
                                        : from == PSY_CLAIM_SUBMITTED || from == PSY_CLAIM_ACCEPTED;
        if (!rc && !ok)
            rc = psy__store_fail(st, PSY_EINVAL, "status: claim %s is %s, which a %s verdict cannot change",
                                 claim_number, psy_claim_state_name(from), v);
        if (!rc) rc = verdict(&a, claim, 0, key, v, "", json_is_array(ej) ? ej : NULL, reason);
        json_decref(ej);
    }
    free(errors);
    if (!rc) rc = resolve(st, practice, item, claim, how);
    if (rc) {
        psy__store_rollback(st);
        return rc;
    }
    return psy__store_commit(st);
}

psy_status psy_billing_suspense_close(psy_store *st, psy_id practice, psy_id item, const char *reason)
{
    if (!reason || !*reason) return psy__store_fail(st, PSY_EINVAL, "reason: say why the item is closed");
    char source[8], v[12], how[300];
    psy_status rc = psy__store_begin(st);
    if (rc) return rc;
    snprintf(how, sizeof how, "closed: %s", reason);
    if (!(rc = open_item(st, practice, item, source, v, NULL))) rc = resolve(st, practice, item, 0, how);
    if (rc) {
        psy__store_rollback(st);
        return rc;
    }
    return psy__store_commit(st);
}
