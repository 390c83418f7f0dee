/*
 * billing_build.c -- claims assembled from signed sessions: each billable member coded under the payer's
 * profile, one claim per client, payer and date of service, the same-day unit limits, and the build of a
 * date range member by member, statement by statement (committed in the chunks of billing_scrub.c):
 * psy__billing_build_rowwise, which the set-based psy_billing_build (billing_bulk.c) falls back on for
 * members joining a claim already open and is compared against. The lifecycle and loading of a stored
 * claim are in billing_claim.c, the scrubber in billing_scrub.c, listing in billing_view.c.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "psy_db.h"
#include "billing_int.h"

static psy_session_kind session_kind(const struct psy_billable *b)
{
    const char *k = b->kind;
    if (!strcmp(k, "family"))
        return b->patient_absent ? PSY_SESSION_FAMILY_WITHOUT_PATIENT : PSY_SESSION_FAMILY_WITH_PATIENT;
    if (!strcmp(k, "intake"))
        return b->medical ? PSY_SESSION_DIAGNOSTIC_EVALUATION_MEDICAL : PSY_SESSION_DIAGNOSTIC_EVALUATION;
    if (!strcmp(k, "crisis")) return PSY_SESSION_CRISIS;
    if (!strcmp(k, "group")) return PSY_SESSION_GROUP;
    if (!strcmp(k, "multifamily")) return PSY_SESSION_MULTIPLE_FAMILY_GROUP;
    return PSY_SESSION_INDIVIDUAL;
}

/* The number of the prior authorisation covering the member on the date ("" when none). */
static void auth_number(psy_store *st, psy_id practice, const struct psy_billable *b, char out[51])
{
    out[0] = 0;
    psy__stmt *s = psy__db_stmt(st,
                                "SELECT number FROM authorisation WHERE practice_id = ? AND client_id = ? "
                                "AND payer_id = ? AND start_date <= ? AND end_date >= ? ORDER BY id",
                                PSY_ARGS(PSY_INT(practice), PSY_INT(b->client_id), PSY_INT(b->payer_id),
                                         PSY_TEXT(b->service_date), PSY_TEXT(b->service_date)));
    if (!s) return;
    if (psy__sql_step(s) == PSY_SQL_ROW) snprintf(out, 51, "%s", psy__sql_text(s, 0));
    psy__sql_finalize(s);
}

/* Fills the coding engine's input for one billable member. */
void psy__billing_input(const struct psy_billable *b, const struct psy_clinician *cl, const char *profile,
                         int requires_auth, const char *auth, struct psy_coding_input *in)
{
    psy_session_init(in);
    psy__copy(in->date, sizeof in->date, b->service_date);
    in->kind = session_kind(b);
    psy__copy(in->em_code, sizeof in->em_code, b->em_code);
    in->interactive_complexity = b->interactive_complexity;
    in->minutes = b->minutes > 0 ? b->minutes : -1;
    if (b->telehealth) {
        in->telehealth = !strcmp(b->th_modality, "audio") ? PSY_TELEHEALTH_AUDIO : PSY_TELEHEALTH_VIDEO;
        in->patient_location = !strcmp(b->patient_location, "home")    ? PSY_LOCATION_HOME
                               : !strcmp(b->patient_location, "other") ? PSY_LOCATION_OTHER
                                                                       : PSY_LOCATION_UNKNOWN;
    } else {
        psy__copy(in->place_of_service, sizeof in->place_of_service, b->pos);
    }
    psy__copy(in->payer, sizeof in->payer, profile);
    size_t cn = 0;
    for (; cn < sizeof in->credential - 1 && cl->credential[cn]; cn++)
        in->credential[cn] = (char)toupper((unsigned char)cl->credential[cn]);
    in->credential[cn] = 0;
    if (in->kind == PSY_SESSION_GROUP || in->kind == PSY_SESSION_MULTIPLE_FAMILY_GROUP) in->group_size = b->participants;
    in->members = 1;
    in->prior_auth = auth[0] ? 1 : requires_auth ? 0 : -1;
}

psy_status psy_billing_code_line(psy_store *st, const psy_coder *cx, psy_id practice, const struct psy_billable *b,
                                 struct psy_coding_result *out)
{
    struct psy_payer payer;
    struct psy_clinician cl;
    psy_status rc = psy_records_clinician_get(st, practice, b->clinician_id, &cl);
    if (rc) return rc;
    memset(&payer, 0, sizeof payer);
    snprintf(payer.kind, sizeof payer.kind, "other");
    if (b->payer_id && (rc = psy_records_payer_get(st, practice, b->payer_id, &payer))) return rc;
    char auth[51] = "";
    if (b->payer_id) auth_number(st, practice, b, auth);
    struct psy_coding_input in;
    psy__billing_input(b, &cl, psy_records_payer_profile(&payer), payer.requires_auth, auth, &in);
    return psy_coding_session(cx, &in, out);
}

/* The open claim (draft or ready) of a client, payer and date, or a new one. A replacement, a void or a
 * next payer's claim is a copy of a claim sent before: new lines never join it. */
static psy_status claim_for(psy_store *st, psy_id practice, const struct psy_billable *b, const char *profile,
                            const char *auth, psy_id *claim, int *created)
{
    *created = 0;
    psy__stmt *s = psy__db_stmt(st,
                                "SELECT id FROM claim WHERE practice_id = ? AND client_id = ? AND payer_id = ? "
                                "AND service_date = ? AND clinician_id = ? AND status IN ('draft', 'ready') "
                                "AND frequency = 1 AND replaces_claim_id IS NULL AND cob_from_claim_id IS NULL "
                                "ORDER BY id",
                                PSY_ARGS(PSY_INT(practice), PSY_INT(b->client_id), PSY_INT(b->payer_id),
                                         PSY_TEXT(b->service_date), PSY_INT(b->clinician_id)));
    if (!s) return psy__store_dbfail(st, "claim");
    int r = psy__sql_step(s);
    if (r == PSY_SQL_ROW) *claim = psy__sql_int64(s, 0);
    psy__sql_finalize(s);
    if (r == PSY_SQL_ROW) return PSY_OK;
    if (r == PSY_SQL_ERROR) return psy__store_dbfail(st, "claim");
    char now[PSY_REC_TIME_MAX], tmp[64];
    psy__billing_now(now);
    snprintf(tmp, sizeof tmp, "new-%lld-%lld", (long long)b->session_id, (long long)b->client_id);
    s = psy__db_stmt(st,
                     "INSERT INTO claim (practice_id, claim_number, client_id, payer_id, policy_id, clinician_id, "
                     "service_date, place_of_service, prior_auth, payer_profile, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                     PSY_ARGS(PSY_INT(practice), PSY_TEXT(tmp), PSY_INT(b->client_id), PSY_INT(b->payer_id),
                              PSY_INT(b->policy_id), PSY_INT(b->clinician_id), PSY_TEXT(b->service_date), PSY_TEXT(""),
                              PSY_TEXT(auth), PSY_TEXT(profile), PSY_TEXT(now)));
    if (!s) return psy__store_dbfail(st, "claim");
    psy_status rc = psy__sql_insert_id(st, s, claim);
    psy__sql_finalize(s);
    if (rc) return psy__store_dbfail(st, "claim");
    char number[PSY_CLAIM_ID_MAX + 1];
    snprintf(number, sizeof number, "PC%08lld", (long long)*claim);
    s = psy__db_stmt(st, "UPDATE claim SET claim_number = ? WHERE id = ?", PSY_ARGS(PSY_TEXT(number), PSY_INT(*claim)));
    if (!s) return psy__store_dbfail(st, "claim");
    r = psy__sql_step(s);
    psy__sql_finalize(s);
    if (r != PSY_SQL_DONE) return psy__store_dbfail(st, "claim");
    *created = 1;
    return PSY_OK;
}

/* Adds the coding engine's findings (as the scrubber keeps them) to the claim's list. */
static psy_status add_coding_findings(psy_store *st, psy_id claim, const struct psy_coding_result *cr, psy_id session)
{
    if (!cr->n_findings) return PSY_OK;
    json_t *arr = json_array();
    for (size_t i = 0; i < cr->n_findings; i++) {
        char field[96];
        snprintf(field, sizeof field, "session[%lld].%s", (long long)session, cr->findings[i].field);
        json_array_append_new(arr,
                              psy__billing_finding(cr->findings[i].severity == PSY_SEVERITY_ERROR ? "error" : "warning",
                                                   cr->findings[i].rule, field, cr->findings[i].message, "coding"));
    }
    psy_status rc = psy__billing_append(st, claim, arr);
    json_decref(arr);
    return rc;
}

void psy__billing_ptrs(const struct psy_billable *b, char ptrs[16])
{
    size_t len = 0; /* "1,2,3,4": one digit each (PSY_CLAIM_MAX_PTRS is 4) */
    for (int k = 0; k < b->n_dx && k < PSY_CLAIM_MAX_PTRS && len + 3 < 16; k++) {
        if (k) ptrs[len++] = ',';
        ptrs[len++] = (char)('1' + k);
    }
    ptrs[len] = 0;
}

/* Writes the member's coded lines onto the claim and marks the member billed. */
static psy_status add_lines(psy_store *st, psy_id practice, psy_id claim, const struct psy_billable *b,
                            const struct psy_coding_result *cr, long *added)
{
    psy__stmt *s = psy__db_stmt(st, "SELECT count(*), COALESCE(max(line_number), 0) FROM claim_line WHERE claim_id = ?",
                                PSY_ARGS(PSY_INT(claim)));
    if (!s) return psy__store_dbfail(st, "claim_line");
    int r = psy__sql_step(s);
    int64_t count = r == PSY_SQL_ROW ? psy__sql_int64(s, 0) : 0, next = r == PSY_SQL_ROW ? psy__sql_int64(s, 1) : 0;
    psy__sql_finalize(s);
    if (r != PSY_SQL_ROW) return psy__store_dbfail(st, "claim_line");
    char ptrs[16];
    psy__billing_ptrs(b, ptrs);
    long long total = 0;
    int over = 0;
    for (size_t i = 0; i < cr->n_lines; i++)
        if (cr->lines[i].member <= 1) psy_cents_acc(&total, cr->lines[i].charge_cents, &over);
    if (over)
        return psy__store_fail(st, PSY_EINVAL,
                               "charge_cents: the lines of claim %lld add up to more than an amount holds",
                               (long long)claim);
    for (size_t i = 0; i < cr->n_lines; i++) {
        const struct psy_coded_line *l = &cr->lines[i];
        if (l->member > 1) continue;
        if (count >= PSY_CLAIM_MAX_LINES)
            return psy__store_fail(st, PSY_ETOOBIG, "claim_line: claim %lld has %d lines already", (long long)claim,
                                   PSY_CLAIM_MAX_LINES);
        char mods[16] = "", rules[128] = "";
        for (int k = 0; k < l->n_modifiers; k++) {
            size_t len = strlen(mods);
            snprintf(mods + len, sizeof mods - len, "%s%s", k ? "," : "", l->modifiers[k]);
        }
        for (int k = 0; k < l->n_rules; k++) {
            size_t len = strlen(rules);
            snprintf(rules + len, sizeof rules - len, "%s%s", k ? "," : "", l->rules[k]);
        }
        s = psy__db_stmt(st,
                         "INSERT INTO claim_line (claim_id, line_number, session_id, client_id, code, modifiers, "
                         "units, charge_cents, place_of_service, dx_pointers, rules, explanation) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         PSY_ARGS(PSY_INT(claim), PSY_INT(++next), PSY_INT(b->session_id), PSY_INT(b->client_id),
                                  PSY_TEXT(l->code), PSY_TEXT(mods), PSY_INT(l->units), PSY_INT(l->charge_cents),
                                  PSY_TEXT(l->place_of_service), PSY_TEXT(ptrs), PSY_TEXT(rules),
                                  PSY_TEXT(l->explanation)));
        if (!s) return psy__store_dbfail(st, "claim_line");
        r = psy__sql_step(s);
        psy__sql_finalize(s);
        if (r != PSY_SQL_DONE) return psy__store_dbfail(st, "claim_line");
        count++;
        ++*added;
    }
    /* the claim's place of service is its first line's; new lines want the scrubber again */
    s = psy__db_stmt(
        st,
        "UPDATE claim SET total_cents = total_cents + ?, place_of_service = CASE WHEN "
        "place_of_service = '' THEN ? ELSE place_of_service END, scrubbed_at = '', "
        "version = version + 1 WHERE id = ?",
        PSY_ARGS(PSY_INT(total), PSY_TEXT(cr->n_lines ? cr->lines[0].place_of_service : ""), PSY_INT(claim)));
    if (!s) return psy__store_dbfail(st, "claim");
    r = psy__sql_step(s);
    psy__sql_finalize(s);
    if (r != PSY_SQL_DONE) return psy__store_dbfail(st, "claim");
    s = psy__db_stmt(st, "INSERT INTO claim_session (practice_id, session_id, client_id, claim_id) VALUES (?, ?, ?, ?)",
                     PSY_ARGS(PSY_INT(practice), PSY_INT(b->session_id), PSY_INT(b->client_id), PSY_INT(claim)));
    if (!s) return psy__store_dbfail(st, "claim_session");
    r = psy__sql_step(s);
    psy__sql_finalize(s);
    return r == PSY_SQL_DONE ? PSY_OK : psy__store_dbfail(st, "claim_session");
}

/* A member billed for two distinct sessions of one date (a group meeting twice, marked distinct): the
 * MUE counts units per date of service, which no single session's coding sees. The day's MUE over all
 * the member's lines of that date (on any of its claims) goes onto this claim, naming its line of the
 * code, and replaces an earlier such finding. */
static psy_status same_day_mue(psy_store *st, const psy_coder *cx, psy_id practice, psy_id claim, const char *date)
{
    psy__stmt *s = psy__db_stmt(st,
                                "SELECT l.code, l.units, l.modifiers, l.session_id, CASE WHEN l.claim_id = ? "
                                "THEN l.line_number ELSE 0 END FROM claim_line l JOIN claim c ON c.id = l.claim_id "
                                "WHERE c.practice_id = ? AND c.service_date = ? AND c.client_id = (SELECT client_id "
                                "FROM claim WHERE id = ?) ORDER BY l.session_id, l.claim_id, l.line_number",
                                PSY_ARGS(PSY_INT(claim), PSY_INT(practice), PSY_TEXT(date), PSY_INT(claim)));
    if (!s) return psy__store_dbfail(st, "claim_line");
    enum { DAY_LINES = 4 * PSY_CLAIM_MAX_LINES };
    struct psy_coded_line *lines = psy__calloc(DAY_LINES, sizeof *lines);
    int64_t number[DAY_LINES];
    size_t n = 0;
    int sessions = 0, r;
    int64_t last = 0;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW && n < DAY_LINES) {
        struct psy_coded_line *l = &lines[n];
        memset(l, 0, sizeof *l);
        snprintf(l->code, sizeof l->code, "%s", psy__sql_text(s, 0));
        l->units = (int)psy__sql_int64(s, 1);
        const char *m = psy__sql_text(s, 2);
        while (m && *m && l->n_modifiers < PSY_LINE_MAX_MODIFIERS) {
            snprintf(l->modifiers[l->n_modifiers++], 3, "%.2s", m);
            m = strchr(m, ',');
            if (m) m++;
        }
        int64_t sid = psy__sql_int64(s, 3);
        if (sid != last) sessions++, last = sid;
        number[n++] = psy__sql_int64(s, 4);
    }
    psy__sql_finalize(s);
    struct psy_finding f[PSY_CODING_MAX_FINDINGS];
    size_t nf = 0;
    int check = r != PSY_SQL_ERROR && sessions >= 2 &&
                psy_coding_same_day(cx, date, lines, n, f, PSY_CODING_MAX_FINDINGS, &nf) == PSY_OK;
    if (r == PSY_SQL_ERROR || !check) {
        free(lines);
        return r == PSY_SQL_ERROR ? psy__store_dbfail(st, "claim_line") : PSY_OK;
    }
    /* the claim's findings without an earlier day-level MUE finding, then the new ones */
    s = psy__db_stmt(st, "SELECT findings FROM claim WHERE id = ?", PSY_ARGS(PSY_INT(claim)));
    if (!s) {
        free(lines);
        return psy__store_dbfail(st, "claim");
    }
    json_t *old = psy__sql_step(s) == PSY_SQL_ROW ? json_loads(psy__sql_text(s, 0), 0, NULL) : NULL;
    psy__sql_finalize(s);
    json_t *keep = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(old, i, v) {
        const char *field = json_string_value(json_object_get(v, "field"));
        if (!field || strncmp(field, "claim_line[", 11)) json_array_append(keep, v);
    }
    json_decref(old);
    for (size_t k = 0; k < nf; k++) {
        if (strcmp(f[k].rule, "R-MUE-1")) continue; /* pairs and add-ons are the audit's, per session */
        size_t li = n;
        sscanf(f[k].field, "lines[%zu]", &li);
        int64_t mine = 0; /* this claim's last line of the code */
        for (size_t j = 0; li < n && j < n; j++)
            if (number[j] > mine && !strcmp(lines[j].code, lines[li].code)) mine = number[j];
        if (!mine) continue;
        char field[64];
        snprintf(field, sizeof field, "claim_line[%lld]", (long long)mine);
        json_array_append_new(keep, psy__billing_finding(f[k].severity == PSY_SEVERITY_ERROR ? "error" : "warning",
                                                         f[k].rule, field, f[k].message, "coding"));
    }
    free(lines);
    return psy__billing_findings_store(st, claim, keep);
}

static int already_billed(psy_store *st, psy_id practice, const struct psy_billable *b)
{
    psy__stmt *s =
        psy__db_stmt(st, "SELECT 1 FROM claim_session WHERE practice_id = ? AND session_id = ? AND client_id = ?",
                     PSY_ARGS(PSY_INT(practice), PSY_INT(b->session_id), PSY_INT(b->client_id)));
    if (!s) return -1;
    int r = psy__sql_step(s);
    psy__sql_finalize(s);
    return r == PSY_SQL_ROW ? 1 : r == PSY_SQL_DONE ? 0 : -1;
}

static int member_of_group(const struct psy_billable *b)
{
    return !strcmp(b->kind, "group") || !strcmp(b->kind, "multifamily");
}

/* Bills one member: codes it and puts its lines on its claim (one transaction). *claim = 0 when the
 * member was not billed. */
psy_status psy__billing_bill_member(psy_store *st, const psy_coder *cx, psy_id practice, const struct psy_billable *b,
                              struct psy_billing_build_result *r, psy_id *claim, struct psy_coding_result *cr)
{
    *claim = 0;
    int billed = already_billed(st, practice, b);
    if (billed < 0) return psy__store_dbfail(st, "claim_session");
    if (billed) {
        r->already_billed++;
        return PSY_OK;
    }
    if (!b->policy_id) {
        r->uninsured++;
        return PSY_OK;
    }
    struct psy_payer payer;
    struct psy_clinician cl;
    psy_status rc;
    if ((rc = psy_records_payer_get(st, practice, b->payer_id, &payer)) ||
        (rc = psy_records_clinician_get(st, practice, b->clinician_id, &cl)))
        return rc;
    const char *profile = psy_records_payer_profile(&payer);
    char auth[51];
    auth_number(st, practice, b, auth);
    struct psy_coding_input in;
    psy__billing_input(b, &cl, profile, payer.requires_auth, auth, &in);
    if (psy_coding_session(cx, &in, cr) != PSY_OK || !cr->n_lines) {
        r->not_coded++;
        return PSY_OK;
    }
    if ((rc = psy__store_begin(st))) return rc;
    int created = 0;
    if (!(rc = claim_for(st, practice, b, profile, auth, claim, &created)) &&
        !(rc = add_lines(st, practice, *claim, b, cr, &r->lines)) &&
        !(rc = add_coding_findings(st, *claim, cr, b->session_id)) &&
        !(rc = same_day_mue(st, cx, practice, *claim, b->service_date)) &&
        !(rc = b->billed_code[0] ? PSY_OK
                                 : psy_records_billed_set(st, practice, b->session_id,
                                                          member_of_group(b) ? b->client_id : 0, cr->lines[0].code)))
        rc = psy__store_commit(st);
    else
        psy__store_rollback(st);
    if (rc) {
        *claim = 0;
        return rc;
    }
    r->claims_new += created;
    return PSY_OK;
}

psy_status psy__billing_build_rowwise(psy_store *st, const psy_coder *cx, psy_id practice, const char *from,
                                      const char *to, struct psy_billing_build_result *r)
{
    memset(r, 0, sizeof *r);
    struct psy_session *ss = NULL;
    size_t n = 0;
    psy_status rc = psy_records_session_list(st, practice, from ? from : "", to ? to : "", &ss, &n);
    if (rc) return rc;
    /* Work is committed in chunks: one transaction per member would spend most of the time committing,
     * one for the whole build would hold the write lock for minutes. Each member still has its own
     * savepoint, and what a chunk committed stays built and scrubbed if a later member fails (a build run
     * again leaves billed members alone). The drafts an interrupted build committed without scrubbing
     * them are scrubbed first. */
    struct psy__chunk ch = {.st = st, .cx = cx, .practice = practice};
    psy_id *left = NULL;
    size_t nl = 0;
    rc = psy__billing_claim_ids(st, practice, "status = 'draft' AND scrubbed_at = ''", &left, &nl);
    for (size_t i = 0; !rc && i < nl; i++)
        if (!(rc = psy__chunk_step(&ch))) psy__chunk_touch(&ch, left[i]);
    free(left);
    r->resumed = (long)nl;
    struct psy_coding_result *cr = psy__malloc(sizeof *cr);
    const char *last = NULL; /* the date of the members billed last: a chunk ends at a change of date */
    for (size_t i = 0; !rc && i < n; i++) {
        if (!ss[i].signed_at[0]) continue;
        r->sessions++;
        struct psy_billable *bs = NULL;
        size_t nb = 0;
        if ((rc = psy_records_session_billables(st, practice, ss[i].id, &bs, &nb))) break;
        int same_date = last && !strcmp(last, ss[i].service_date);
        last = ss[i].service_date;
        for (size_t k = 0; !rc && k < nb; k++) {
            ch.hold = k > 0 || same_date;
            if ((rc = psy__chunk_step(&ch))) break;
            r->members++;
            psy_id claim = 0;
            rc = psy__billing_bill_member(st, cx, practice, &bs[k], r, &claim, cr);
            if (!rc && claim) psy__chunk_touch(&ch, claim);
        }
        free(bs);
    }
    rc = psy__chunk_end(&ch, rc, &r->ready, &r->draft);
    free(cr);
    free(ss);
    return rc;
}
