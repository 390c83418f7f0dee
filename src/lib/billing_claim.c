/*
 * billing_claim.c -- one stored claim: its lifecycle with the history rows every move leaves, the
 * practice's billing contact, and the loading of a stored claim into the structs of psy_claims.h for
 * the 837P writer and the CMS-1500 (psy__billing_load, psy__billing_batch); its stored findings.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "psy_db.h"
#include "billing_int.h"

void psy__billing_now(char out[PSY_REC_TIME_MAX])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, PSY_REC_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Runs sql (parameters: practice, claim) and leaves *s on its row; PSY_ENOTFOUND when no such claim. */
static psy_status claim_row(psy_store *st, psy_id practice, psy_id claim, const char *sql, psy__stmt **s)
{
    *s = psy__db_stmt(st, sql, PSY_ARGS(PSY_INT(practice), PSY_INT(claim)));
    if (!*s) return psy__store_dbfail(st, "claim");
    int r = psy__sql_step(*s);
    if (r == PSY_SQL_ROW) return PSY_OK;
    psy__sql_finalize(*s);
    *s = NULL;
    return r == PSY_SQL_DONE ? psy__store_fail(st, PSY_ENOTFOUND, "claim: no claim %lld", (long long)claim)
                             : psy__store_dbfail(st, "claim");
}

psy_status psy__billing_claim_by_number(psy_store *st, psy_id practice, const char *number, psy_id *id)
{
    psy__stmt *s = psy__db_stmt(st, "SELECT id FROM claim WHERE practice_id = ? AND claim_number = ?",
                                PSY_ARGS(PSY_INT(practice), PSY_TEXT(number)));
    if (!s) return psy__store_dbfail(st, "claim");
    int r = psy__sql_step(s);
    if (r == PSY_SQL_ROW) *id = psy__sql_int64(s, 0);
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) return psy__store_dbfail(st, "claim");
    return r == PSY_SQL_ROW ? PSY_OK : PSY_ENOTFOUND;
}

/* --- lifecycle -------------------------------------------------------------------------------- */

psy_status psy_billing_transition(psy_store *st, psy_id practice, psy_id claim, psy_claim_state to, const char *reason)
{
    psy__stmt *s = NULL;
    psy_status rc = claim_row(st, practice, claim, "SELECT status FROM claim WHERE practice_id = ? AND id = ?", &s);
    if (rc) return rc;
    psy_claim_state from;
    char fromname[16];
    snprintf(fromname, sizeof fromname, "%s", psy__sql_text(s, 0));
    psy__sql_finalize(s);
    if (psy_claim_state_parse(fromname, &from)) return psy__store_fail(st, PSY_EDB, "claim: unknown status stored");
    /* the move and its history row, one unit in one round trip, only from the state just read */
    return psy__billing_walk(st, practice, claim, from, &to, &reason, 1);
}

static psy_status walk(psy_store *st, psy_id practice, psy_id claim, psy_claim_state from, const psy_claim_state *to,
                       const char *const *why, size_t n, int pay, long long paid, long long patient);

psy_status psy__billing_walk(psy_store *st, psy_id practice, psy_id claim, psy_claim_state from,
                             const psy_claim_state *to, const char *const *why, size_t n)
{
    return n ? walk(st, practice, claim, from, to, why, n, 0, 0, 0) : PSY_OK; /* amounts + 0: unchanged */
}

psy_status psy__billing_settle(psy_store *st, psy_id practice, psy_id claim, psy_claim_state from,
                               const psy_claim_state *to, const char *const *why, size_t n, long long paid,
                               long long patient)
{
    return walk(st, practice, claim, from, to, why, n, 1, paid, patient);
}

static psy_status walk(psy_store *st, psy_id practice, psy_id claim, psy_claim_state from, const psy_claim_state *to,
                       const char *const *why, size_t n, int pay, long long paid, long long patient)
{
    enum { MAX_STEPS = 4 };
    if (n > MAX_STEPS) return psy__store_fail(st, PSY_EINVAL, "status: at most %d moves at once", MAX_STEPS);
    char now[PSY_REC_TIME_MAX], reason[300];
    psy__billing_now(now);
    psy__stmt *w[2] = {0};
    psy_claim_state at = from;
    for (size_t i = 0; i < n; i++) {
        if (psy_claim_transition(at, to[i], reason, sizeof reason))
            return psy__store_fail(st, PSY_EINVAL, "status: %s", reason);
        at = to[i];
    }
    /* one update to the last state (a claim's row has many indexes: each update of its status writes
     * them all), only from the state the caller read (a claim moved meanwhile changes no row); the version
     * rises by one per move, and each move keeps its history row */
    w[0] = psy__db_stmt(st,
                        "UPDATE claim SET status = ?, version = version + ?, paid_cents = paid_cents + ?, "
                        "patient_cents = patient_cents + ? WHERE practice_id = ? AND id = ? AND status = ?",
                        PSY_ARGS(PSY_TEXT(psy_claim_state_name(n ? to[n - 1] : from)), PSY_INT(n + (pay != 0)),
                                 PSY_INT(paid), PSY_INT(patient), PSY_INT(practice), PSY_INT(claim),
                                 PSY_TEXT(psy_claim_state_name(from))));
    psy_status rc = w[0] ? PSY_OK : psy__store_dbfail(st, "claim status");
    /* the moves' history rows in one statement, in their order (one text per number of moves, each
     * prepared once: two statements of one text would have the second prepared anew each time) */
    char sql[128 + MAX_STEPS * 20] = "INSERT INTO claim_status_history (claim_id, from_status, to_status, reason, "
                                     "changed_at) VALUES (?, ?, ?, ?, ?)";
    psy__arg args[5 * MAX_STEPS];
    at = from;
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(sql, ", (?, ?, ?, ?, ?)");
        psy__arg row[5] = {PSY_INT(claim), PSY_TEXT(psy_claim_state_name(at)), PSY_TEXT(psy_claim_state_name(to[i])),
                           PSY_TEXT(why[i] ? why[i] : ""), PSY_TEXT(now)};
        memcpy(&args[5 * i], row, sizeof row);
        at = to[i];
    }
    if (!rc && n && !(w[1] = psy__db_stmt(st, sql, args, (int)(5 * n)))) rc = psy__store_dbfail(st, "claim status");
    if (!rc && (rc = psy__store_atomic(st, w, n ? 2 : 1)))
        psy__store_fail(st, rc, "claim status: %s", psy__db_errtext(st));
    if (!rc && psy__sql_changes(w[0]) != 1)
        rc = psy__store_fail(st, PSY_ECONFLICT, "claim status: claim %lld is no longer %s", (long long)claim,
                             psy_claim_state_name(from));
    for (size_t i = 0; i < 2; i++) psy__sql_finalize(w[i]);
    return rc;
}

psy_status psy_billing_set_contact(psy_store *st, psy_id practice, const char *phone)
{
    size_t n = phone ? strlen(phone) : 0;
    if (n < 10 || n > 15 || strspn(phone, "0123456789") != n)
        return psy__store_fail(st, PSY_EINVAL, "phone: 10 to 15 digits");
    struct psy_practice p;
    psy_status rc = psy_records_practice_get(st, practice, &p);
    if (rc) return rc;
    char key[64];
    snprintf(key, sizeof key, "billing_contact_phone:%lld", (long long)practice);
    return psy__store_meta_set(st, key, phone);
}

/* --- findings ---------------------------------------------------------------------------------- */

/* Stores arr (released here) as the claim's findings. */
psy_status psy__billing_findings_store(psy_store *st, psy_id claim, json_t *arr)
{
    char *text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    psy__stmt *s =
        psy__db_stmt(st, "UPDATE claim SET findings = ? WHERE id = ?", PSY_ARGS(PSY_TEXT(text), PSY_INT(claim)));
    if (!s) {
        free(text);
        return psy__store_dbfail(st, "claim");
    }
    int r = psy__sql_step(s);
    psy__sql_finalize(s);
    free(text);
    return r == PSY_SQL_DONE ? PSY_OK : psy__store_dbfail(st, "claim");
}

psy_status psy__billing_append(psy_store *st, psy_id claim, json_t *items)
{
    psy__stmt *s = psy__db_stmt(st, "SELECT findings FROM claim WHERE id = ?", PSY_ARGS(PSY_INT(claim)));
    if (!s) return psy__store_dbfail(st, "claim");
    json_t *arr = psy__sql_step(s) == PSY_SQL_ROW ? json_loads(psy__sql_text(s, 0), 0, NULL) : NULL;
    psy__sql_finalize(s);
    if (!json_is_array(arr)) {
        json_decref(arr);
        arr = json_array();
    }
    json_array_extend(arr, items);
    return psy__billing_findings_store(st, claim, arr);
}

json_t *psy__billing_finding(const char *sev, const char *rule, const char *field, const char *msg, const char *source)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "severity", sev, "rule", rule, "field", field, "message", msg,
                     "source", source);
}

/* --- loading a stored claim ------------------------------------------------------------------- */

void psy__billing_date8(const char *iso, char out[9])
{
    size_t k = 0;
    for (const char *p = iso; *p && k < 8; p++)
        if (*p != '-') out[k++] = *p;
    out[k] = 0;
}

const char *psy__billing_relation_code(const char *rel)
{
    if (!strcmp(rel, "spouse")) return "01";
    if (!strcmp(rel, "child")) return "19";
    return "G8";
}

const char *psy__billing_filing_indicator(const char *kind)
{
    if (!strcmp(kind, "medicare")) return "MB";
    if (!strcmp(kind, "medicaid")) return "MC";
    if (!strcmp(kind, "commercial")) return "CI";
    return "11";
}

/* Splits "a,b,c" into up to cap entries of width w. */
static int split_list(const char *s, char *out, size_t w, int cap)
{
    int n = 0;
    while (*s && n < cap) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len >= w) len = w - 1;
        memcpy(out + (size_t)n * w, s, len);
        out[(size_t)n * w + len] = 0;
        if (len) n++;
        if (!e) break;
        s = e + 1;
    }
    return n;
}

void psy__billing_loaded_free(struct psy__loaded *L, size_t n)
{
    for (size_t i = 0; L && i < n; i++) free(L[i].cob);
    free(L);
}

psy_status psy__billing_load(psy_store *st, psy_id practice, psy_id claim, struct psy__loaded *L)
{
    memset(L, 0, sizeof *L);
    psy__stmt *s = NULL;
    psy_status rc = claim_row(st, practice, claim,
                              "SELECT claim_number, client_id, payer_id, policy_id, clinician_id, service_date, "
                              "frequency, place_of_service, prior_auth, status, total_cents, replaces_claim_id, "
                              "cob_from_claim_id, payer_claim_number FROM claim "
                              "WHERE practice_id = ? AND id = ?", &s);
    if (rc) return rc;
    L->id = claim;
    snprintf(L->number, sizeof L->number, "%s", psy__sql_text(s, 0));
    psy_id client = psy__sql_int64(s, 1), payer = psy__sql_int64(s, 2), policy = psy__sql_int64(s, 3),
           clin = psy__sql_int64(s, 4);
    psy__billing_date8(psy__sql_text(s, 5), L->date);
    int freq = (int)psy__sql_int64(s, 6);
    snprintf(L->pos, sizeof L->pos, "%s", psy__sql_text(s, 7));
    snprintf(L->prior_auth, sizeof L->prior_auth, "%s", psy__sql_text(s, 8));
    psy_claim_state_parse(psy__sql_text(s, 9), &L->c.state);
    L->c.total_cents = psy__sql_int64(s, 10);
    L->replaces = psy__sql_int64(s, 11);
    L->cob_from = psy__sql_int64(s, 12);
    snprintf(L->payer_claim_number, sizeof L->payer_claim_number, "%s", psy__sql_text(s, 13));
    psy__sql_finalize(s);
    if ((rc = psy_records_practice_get(st, practice, &L->practice)) ||
        (rc = psy_records_client_get(st, practice, client, &L->client)) ||
        (rc = psy_records_payer_get(st, practice, payer, &L->payer)) ||
        (rc = psy_records_policy_get(st, practice, policy, &L->policy)) ||
        (rc = psy_records_clinician_get(st, practice, clin, &L->clinician)))
        return rc;
    char key[64];
    snprintf(key, sizeof key, "billing_contact_phone:%lld", (long long)practice);
    /* the billing contact entered with the practice, else the phone set by psy_billing_set_contact */
    if (L->practice.billing_phone[0]) snprintf(L->phone, sizeof L->phone, "%s", L->practice.billing_phone);
    else psy__store_meta_get(st, key, L->phone, sizeof L->phone);
    psy__billing_parties(L);
    s = psy__db_stmt(st,
                     "SELECT code, modifiers, units, charge_cents, place_of_service, dx_pointers, id "
                     "FROM claim_line WHERE claim_id = ? ORDER BY line_number",
                     PSY_ARGS(PSY_INT(claim)));
    if (!s) return psy__store_dbfail(st, "claim_line");
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW && L->n_lines < PSY_CLAIM_MAX_LINES)
        psy__billing_line(L, psy__sql_int64(s, 6), psy__sql_text(s, 0), psy__sql_text(s, 1), (int)psy__sql_int64(s, 2),
                          psy__sql_int64(s, 3), psy__sql_text(s, 4), psy__sql_text(s, 5));
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) return psy__store_dbfail(st, "claim_line");
    psy__billing_finish(L, freq);
    return L->cob_from ? psy__billing_cob_load(st, practice, L) : PSY_OK;
}

psy_status psy__billing_load_lines(psy_store *st, psy_id practice, psy_id claim, struct psy__loaded *L)
{
    memset(L, 0, sizeof *L);
    psy__stmt *q[2] = {
        psy__db_stmt(st, "SELECT status, total_cents, place_of_service FROM claim WHERE practice_id = ? AND id = ?",
                     PSY_ARGS(PSY_INT(practice), PSY_INT(claim))),
        psy__db_stmt(st,
                     "SELECT code, modifiers, units, charge_cents, place_of_service, dx_pointers, id "
                     "FROM claim_line WHERE claim_id = ? ORDER BY line_number",
                     PSY_ARGS(PSY_INT(claim)))};
    psy_status rc = q[0] && q[1] ? psy__db_pipeline(st, q, 2) : psy__store_dbfail(st, "claim");
    int r = rc ? PSY_SQL_ERROR : psy__sql_step(q[0]);
    if (r == PSY_SQL_ROW) {
        L->id = claim;
        psy_claim_state_parse(psy__sql_text(q[0], 0), &L->c.state);
        L->c.total_cents = psy__sql_int64(q[0], 1);
        snprintf(L->pos, sizeof L->pos, "%s", psy__sql_text(q[0], 2));
        while ((r = psy__sql_step(q[1])) == PSY_SQL_ROW && L->n_lines < PSY_CLAIM_MAX_LINES)
            psy__billing_line(L, psy__sql_int64(q[1], 6), psy__sql_text(q[1], 0), psy__sql_text(q[1], 1),
                              (int)psy__sql_int64(q[1], 2), psy__sql_int64(q[1], 3), psy__sql_text(q[1], 4),
                              psy__sql_text(q[1], 5));
        if (r == PSY_SQL_ERROR) rc = psy__store_dbfail(st, "claim_line");
    } else if (!rc) {
        rc = r == PSY_SQL_DONE ? psy__store_fail(st, PSY_ENOTFOUND, "claim: no claim %lld", (long long)claim)
                               : psy__store_dbfail(st, "claim");
    }
    psy__sql_finalize(q[0]);
    psy__sql_finalize(q[1]);
    return rc;
}

/* A record's text as an X12 element may carry it (psy_x12_ascii): accents dropped, separators as spaces.
 * Text with a character that has no ASCII spelling stays as it is, for the 837P preflight to refuse
 * with the field named (R-837-CHAR). */
#define FOLD(field) psy__billing_fold((field), sizeof(field))
void psy__billing_fold(char *s, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p >= 0x20 && *p < 0x7f && *p != '*' && *p != ':' && *p != '^' && *p != '~') p++;
    if (!*p) return; /* nearly always: nothing to change */
    char t[512];
    if (cap <= sizeof t && !psy_x12_ascii(s, t, cap)) memcpy(s, t, strlen(t) + 1);
}

void psy__billing_parties(struct psy__loaded *L)
{
    FOLD(L->practice.name), FOLD(L->practice.address), FOLD(L->practice.city), FOLD(L->practice.first_name);
    FOLD(L->practice.last_name), FOLD(L->practice.billing_contact);
    FOLD(L->clinician.first_name), FOLD(L->clinician.last_name);
    FOLD(L->client.first_name), FOLD(L->client.last_name), FOLD(L->client.address), FOLD(L->client.city);
    FOLD(L->policy.subscriber_first), FOLD(L->policy.subscriber_last), FOLD(L->payer.name);
    /* a sole proprietor bills as the person their NPI names (837P 2010AA NM102 1) */
    int sole = L->practice.sole_proprietor;
    L->billing = (struct psy_claim_provider){.is_person = sole, .last_name = sole ? L->practice.last_name : L->practice.name,
                                             .first_name = sole ? L->practice.first_name : NULL, .npi = L->practice.npi,
                                             .taxonomy = L->clinician.taxonomy, .tax_id = L->practice.tax_id,
                                             .address = {L->practice.address, NULL, L->practice.city,
                                                         L->practice.state, L->practice.zip}};
    L->rendering = (struct psy_claim_provider){.is_person = 1, .last_name = L->clinician.last_name,
                                               .first_name = L->clinician.first_name,
                                               .credentials = L->clinician.credential, .npi = L->clinician.npi,
                                               .taxonomy = L->clinician.taxonomy};
    psy__billing_date8(L->client.birth_date, L->birth);
    L->patient = (struct psy_claim_person){.last_name = L->client.last_name, .first_name = L->client.first_name,
                                           .birth_date = L->birth, .sex = L->client.sex[0] ? L->client.sex[0] : 'U',
                                           .address = {L->client.address, NULL, L->client.city, L->client.state,
                                                       L->client.zip}};
    L->sub.member_id = L->policy.member_id;
    L->sub.group_number = L->policy.group_number[0] ? L->policy.group_number : NULL;
    L->sub.payer_sequence = L->policy.priority == 2 ? 'S' : L->policy.priority == 3 ? 'T' : 'P';
    int self = !strcmp(L->policy.relation, "self") || !L->policy.relation[0];
    if (self) {
        L->sub.person = L->patient;
    } else {
        psy__billing_date8(L->policy.subscriber_birth, L->sub_birth);
        L->sub.person = (struct psy_claim_person){.last_name = L->policy.subscriber_last,
                                                  .first_name = L->policy.subscriber_first,
                                                  .birth_date = L->sub_birth[0] ? L->sub_birth : NULL,
                                                  .sex = 'U', .address = L->patient.address};
    }
    L->cpayer = (struct psy_claim_payer){L->payer.name, L->payer.payer_code, psy__billing_filing_indicator(L->payer.kind), {0}};
    L->billing.phone = L->phone[0] ? L->phone : NULL;
    L->submitter = (struct psy_claim_submitter){
        L->practice.name, L->practice.npi, L->practice.billing_contact[0] ? L->practice.billing_contact : L->practice.name,
        L->phone[0] ? L->phone : NULL, L->practice.billing_email[0] ? L->practice.billing_email : NULL};
    L->receiver = (struct psy_claim_receiver){L->payer.name, L->payer.payer_code};
}

void psy__billing_line(struct psy__loaded *L, psy_id id, const char *code, const char *mods, int units,
                       long long charge, const char *pos, const char *ptrs)
{
    size_t i = L->n_lines++;
    struct psy__loaded_line *x = &L->lx[i];
    x->id = id;
    psy__copy(x->code, sizeof x->code, code);
    int nm = split_list(mods ? mods : "", &x->mods[0][0], sizeof x->mods[0], PSY_CLAIM_MAX_MODS);
    psy__copy(x->pos, sizeof x->pos, pos);
    char ptr[PSY_CLAIM_MAX_PTRS][4];
    int np = split_list(ptrs ? ptrs : "", &ptr[0][0], sizeof ptr[0], PSY_CLAIM_MAX_PTRS);
    struct psy_claim_line *l = &L->lines[i];
    l->code = x->code;
    for (int k = 0; k < nm; k++) l->modifiers[k] = x->mods[k];
    l->units = (unsigned)units;
    l->charge_cents = charge;
    l->date = L->date;
    l->place_of_service = x->pos[0] && strcmp(x->pos, L->pos) ? x->pos : NULL;
    for (int k = 0; k < np; k++) l->dx_pointers[k] = (unsigned char)atoi(ptr[k]);
}

void psy__billing_finish(struct psy__loaded *L, int freq)
{
    int self = !strcmp(L->policy.relation, "self") || !L->policy.relation[0];
    L->c.id = L->number;
    L->c.frequency = freq == 7 ? PSY_FREQ_REPLACEMENT : freq == 8 ? PSY_FREQ_VOID : PSY_FREQ_ORIGINAL;
    L->c.payer_claim_number = L->payer_claim_number[0] ? L->payer_claim_number : NULL;
    L->c.place_of_service = L->pos;
    L->c.prior_auth = L->prior_auth[0] ? L->prior_auth : NULL;
    for (int k = 0; k < L->client.n_dx && k < PSY_CLAIM_MAX_DX; k++)
        L->c.diagnoses[L->c.n_diagnoses++] = L->client.dx[k];
    L->c.lines = L->lines;
    L->c.n_lines = L->n_lines;
    L->c.rendering = &L->rendering;
    L->c.subscriber = &L->sub;
    if (!self) {
        L->c.patient = &L->patient;
        L->c.patient_relationship = psy__billing_relation_code(L->policy.relation);
    }
    L->c.payer = &L->cpayer;
}

void psy__billing_batch(struct psy__loaded *L, struct psy_claim_batch *b, const struct psy_claim *claims, size_t n)
{
    char now[PSY_REC_TIME_MAX];
    psy__billing_now(now);
    psy__billing_date8(now, L->today);
    snprintf(L->hhmm, sizeof L->hhmm, "%.2s%.2s", now + 11, now + 14);
    *b = (struct psy_claim_batch){&L->submitter, &L->receiver, &L->billing, claims, n, L->today, L->hhmm, NULL, 1};
}
