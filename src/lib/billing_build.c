/*
 * claims_build.c -- claims kept in the store: assembly from signed sessions (coding engine under the
 * payer's profile, one claim per client, payer and date of service), the scrubber, the lifecycle with
 * its history rows, claim listing, and loading a stored claim into the structs of psy_claims.h for the
 * 837P writer and the CMS-1500. Export and 835 posting are in claims_post.c.
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

static psy_status sqlfail(psy_store *st, psy__stmt *s, const char *what)
{
    psy__sql_finalize(s);
    return psy__store_dbfail(st, what);
}

/* Runs sql (parameters: practice, claim) and leaves *s on its row; PSY_ENOTFOUND when no such claim. */
static psy_status claim_row(psy_store *st, psy_id practice, psy_id claim, const char *sql, psy__stmt **s)
{
    *s = psy__sql_prepare(st, sql);
    if (!*s) return psy__store_dbfail(st, "claim");
    psy__sql_bind_int64(*s, 1, practice);
    psy__sql_bind_int64(*s, 2, claim);
    int r = psy__sql_step(*s);
    if (r == PSY_SQL_ROW) return PSY_OK;
    psy__sql_finalize(*s);
    *s = NULL;
    return r == PSY_SQL_DONE ? psy__store_fail(st, PSY_ENOTFOUND, "claim: no claim %lld", (long long)claim)
                             : psy__store_dbfail(st, "claim");
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
    char why[300];
    if (psy_claim_transition(from, to, why, sizeof why)) return psy__store_fail(st, PSY_EINVAL, "status: %s", why);
    char now[PSY_REC_TIME_MAX];
    psy__billing_now(now);
    rc = psy__store_begin(st);
    if (rc) return rc;
    s = psy__sql_prepare(st, "UPDATE claim SET status = ?, version = version + 1 WHERE practice_id = ? AND id = ?");
    if (!s) goto fail;
    psy__sql_bind_text(s, 1, psy_claim_state_name(to));
    psy__sql_bind_int64(s, 2, practice);
    psy__sql_bind_int64(s, 3, claim);
    if (psy__sql_step(s) != PSY_SQL_DONE) goto fail;
    psy__sql_finalize(s);
    s = psy__sql_prepare(st, "INSERT INTO claim_status_history (claim_id, from_status, to_status, reason, changed_at) "
                             "VALUES (?, ?, ?, ?, ?)");
    if (!s) goto fail;
    psy__sql_bind_int64(s, 1, claim);
    psy__sql_bind_text(s, 2, fromname);
    psy__sql_bind_text(s, 3, psy_claim_state_name(to));
    psy__sql_bind_text(s, 4, reason ? reason : "");
    psy__sql_bind_text(s, 5, now);
    if (psy__sql_step(s) != PSY_SQL_DONE) goto fail;
    psy__sql_finalize(s);
    return psy__store_commit(st);
fail:
    rc = sqlfail(st, s, "claim status");
    psy__store_rollback(st);
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

/* --- loading a stored claim ------------------------------------------------------------------- */

static void date8(const char *iso, char out[9])
{
    size_t k = 0;
    for (const char *p = iso; *p && k < 8; p++)
        if (*p != '-') out[k++] = *p;
    out[k] = 0;
}

static const char *relation_code(const char *rel)
{
    if (!strcmp(rel, "spouse")) return "01";
    if (!strcmp(rel, "child")) return "19";
    return "G8";
}

static const char *filing_indicator(const char *kind)
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

psy_status psy__billing_load(psy_store *st, psy_id practice, psy_id claim, struct psy__loaded *L)
{
    memset(L, 0, sizeof *L);
    psy__stmt *s = NULL;
    psy_status rc = claim_row(st, practice, claim,
                              "SELECT claim_number, client_id, payer_id, policy_id, clinician_id, service_date, "
                              "frequency, place_of_service, prior_auth, status, total_cents FROM claim "
                              "WHERE practice_id = ? AND id = ?", &s);
    if (rc) return rc;
    L->id = claim;
    snprintf(L->number, sizeof L->number, "%s", psy__sql_text(s, 0));
    psy_id client = psy__sql_int64(s, 1), payer = psy__sql_int64(s, 2), policy = psy__sql_int64(s, 3),
           clin = psy__sql_int64(s, 4);
    date8(psy__sql_text(s, 5), L->date);
    int freq = (int)psy__sql_int64(s, 6);
    snprintf(L->pos, sizeof L->pos, "%s", psy__sql_text(s, 7));
    snprintf(L->prior_auth, sizeof L->prior_auth, "%s", psy__sql_text(s, 8));
    psy_claim_state_parse(psy__sql_text(s, 9), &L->c.state);
    L->c.total_cents = psy__sql_int64(s, 10);
    psy__sql_finalize(s);
    if ((rc = psy_records_practice_get(st, practice, &L->practice)) ||
        (rc = psy_records_client_get(st, practice, client, &L->client)) ||
        (rc = psy_records_payer_get(st, practice, payer, &L->payer)) ||
        (rc = psy_records_policy_get(st, practice, policy, &L->policy)) ||
        (rc = psy_records_clinician_get(st, practice, clin, &L->clinician)))
        return rc;
    L->billing = (struct psy_claim_provider){.is_person = 0, .last_name = L->practice.name, .npi = L->practice.npi,
                                             .taxonomy = L->clinician.taxonomy, .tax_id = L->practice.tax_id,
                                             .address = {L->practice.address, NULL, L->practice.city,
                                                         L->practice.state, L->practice.zip}};
    L->rendering = (struct psy_claim_provider){.is_person = 1, .last_name = L->clinician.last_name,
                                               .first_name = L->clinician.first_name,
                                               .credentials = L->clinician.credential, .npi = L->clinician.npi,
                                               .taxonomy = L->clinician.taxonomy};
    date8(L->client.birth_date, L->birth);
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
        date8(L->policy.subscriber_birth, L->sub_birth);
        L->sub.person = (struct psy_claim_person){.last_name = L->policy.subscriber_last,
                                                  .first_name = L->policy.subscriber_first,
                                                  .birth_date = L->sub_birth[0] ? L->sub_birth : NULL,
                                                  .sex = 'U', .address = L->patient.address};
    }
    L->cpayer = (struct psy_claim_payer){L->payer.name, L->payer.payer_code, filing_indicator(L->payer.kind), {0}};
    char key[64];
    snprintf(key, sizeof key, "billing_contact_phone:%lld", (long long)practice);
    /* the billing contact entered with the practice, else the phone set by psy_billing_set_contact */
    if (L->practice.billing_phone[0]) snprintf(L->phone, sizeof L->phone, "%s", L->practice.billing_phone);
    else psy__store_meta_get(st, key, L->phone, sizeof L->phone);
    L->billing.phone = L->phone[0] ? L->phone : NULL;
    L->submitter = (struct psy_claim_submitter){
        L->practice.name, L->practice.npi, L->practice.billing_contact[0] ? L->practice.billing_contact : L->practice.name,
        L->phone[0] ? L->phone : NULL, L->practice.billing_email[0] ? L->practice.billing_email : NULL};
    L->receiver = (struct psy_claim_receiver){L->payer.name, L->payer.payer_code};

    s = psy__sql_prepare(st, "SELECT code, modifiers, units, charge_cents, place_of_service, dx_pointers, id "
                             "FROM claim_line WHERE claim_id = ? ORDER BY line_number");
    if (!s) return psy__store_dbfail(st, "claim_line");
    psy__sql_bind_int64(s, 1, claim);
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW && L->n_lines < PSY_CLAIM_MAX_LINES) {
        size_t i = L->n_lines++;
        struct psy__loaded_line *x = &L->lx[i];
        x->id = psy__sql_int64(s, 6);
        snprintf(x->code, sizeof x->code, "%s", psy__sql_text(s, 0));
        int nm = split_list(psy__sql_text(s, 1), &x->mods[0][0], sizeof x->mods[0], PSY_CLAIM_MAX_MODS);
        snprintf(x->pos, sizeof x->pos, "%s", psy__sql_text(s, 4));
        char ptr[PSY_CLAIM_MAX_PTRS][4];
        int np = split_list(psy__sql_text(s, 5), &ptr[0][0], sizeof ptr[0], PSY_CLAIM_MAX_PTRS);
        struct psy_claim_line *l = &L->lines[i];
        l->code = x->code;
        for (int k = 0; k < nm; k++) l->modifiers[k] = x->mods[k];
        l->units = (unsigned)psy__sql_int64(s, 2);
        l->charge_cents = psy__sql_int64(s, 3);
        l->date = L->date;
        l->place_of_service = x->pos[0] && strcmp(x->pos, L->pos) ? x->pos : NULL;
        for (int k = 0; k < np; k++) l->dx_pointers[k] = (unsigned char)atoi(ptr[k]);
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) return psy__store_dbfail(st, "claim_line");
    L->c.id = L->number;
    L->c.frequency = freq == 7 ? PSY_FREQ_REPLACEMENT : freq == 8 ? PSY_FREQ_VOID : PSY_FREQ_ORIGINAL;
    L->c.place_of_service = L->pos;
    L->c.prior_auth = L->prior_auth[0] ? L->prior_auth : NULL;
    for (int k = 0; k < L->client.n_dx && k < PSY_CLAIM_MAX_DX; k++) L->c.diagnoses[L->c.n_diagnoses++] = L->client.dx[k];
    L->c.lines = L->lines;
    L->c.n_lines = L->n_lines;
    L->c.rendering = &L->rendering;
    L->c.subscriber = &L->sub;
    if (!self) {
        L->c.patient = &L->patient;
        L->c.patient_relationship = relation_code(L->policy.relation);
    }
    L->c.payer = &L->cpayer;
    return PSY_OK;
}

void psy__billing_batch(struct psy__loaded *L, struct psy_claim_batch *b, const struct psy_claim *claims, size_t n)
{
    char now[PSY_REC_TIME_MAX];
    psy__billing_now(now);
    date8(now, L->today);
    snprintf(L->hhmm, sizeof L->hhmm, "%.2s%.2s", now + 11, now + 14);
    *b = (struct psy_claim_batch){&L->submitter, &L->receiver, &L->billing, claims, n, L->today, L->hhmm, NULL, 1};
}

/* --- scrubber ----------------------------------------------------------------------------------- */

static void finding_add(json_t *arr, const char *sev, const char *rule, const char *field, const char *msg,
                        const char *source)
{
    json_array_append_new(arr, psy__billing_finding(sev, rule, field, msg, source));
}

/* The sessions behind a claim (distinct, at most cap). */
static size_t claim_sessions(psy_store *st, psy_id claim, psy_id *out, size_t cap)
{
    size_t n = 0;
    psy__stmt *s = psy__sql_prepare(st, "SELECT DISTINCT session_id FROM claim_line WHERE claim_id = ?");
    if (!s) return 0;
    psy__sql_bind_int64(s, 1, claim);
    while (n < cap && psy__sql_step(s) == PSY_SQL_ROW) out[n++] = psy__sql_int64(s, 0);
    psy__sql_finalize(s);
    return n;
}

/* The session an audit finding concerns (0 when none). */
static psy_id finding_session(psy_store *st, const struct psy_audit_finding *f)
{
    if (!strcmp(f->record_type, "session")) return f->record_id;
    const char *sql = !strcmp(f->record_type, "attendance") ? "SELECT session_id FROM attendance WHERE id = ?"
                      : !strcmp(f->record_type, "note")     ? "SELECT session_id FROM note WHERE id = ?"
                                                            : NULL;
    if (!sql) return 0;
    psy__stmt *s = psy__sql_prepare(st, sql);
    if (!s) return 0;
    psy__sql_bind_int64(s, 1, f->record_id);
    psy_id id = psy__sql_step(s) == PSY_SQL_ROW ? psy__sql_int64(s, 0) : 0;
    psy__sql_finalize(s);
    return id;
}

/* The audit's findings per service date, kept while one build scrubs many claims. */
struct audit_day {
    char date[PSY_DATE_MAX];
    struct psy_audit_finding *af;
    size_t n;
};
struct audit_cache {
    struct audit_day *days;
    size_t n, cap;
};

static void audit_cache_free(struct audit_cache *c)
{
    for (size_t i = 0; i < c->n; i++) free(c->days[i].af);
    free(c->days);
}

/* The audit's findings for one date, from the cache when it has them (cache NULL: computed, and the
 * caller frees *af). */
static psy_status audit_day(psy_store *st, psy_id practice, const char *iso, struct audit_cache *c,
                            struct psy_audit_finding **af, size_t *n)
{
    for (size_t i = 0; c && i < c->n; i++)
        if (!strcmp(c->days[i].date, iso)) {
            *af = c->days[i].af;
            *n = c->days[i].n;
            return PSY_OK;
        }
    struct psy_audit_opts ao = {iso, iso, NULL, 0};
    psy_status rc = psy_audit_collect(st, practice, &ao, af, n);
    if (rc || !c) return rc;
    if (c->n == c->cap) c->days = psy__realloc(c->days, (c->cap = c->cap ? 2 * c->cap : 16) * sizeof *c->days);
    struct audit_day *d = &c->days[c->n++];
    snprintf(d->date, sizeof d->date, "%s", iso);
    d->af = *af;
    d->n = *n;
    return PSY_OK;
}

/* ready (may be NULL) says whether the claim ended ready (1) or draft (0). */
static psy_status scrub(psy_store *st, psy_id practice, psy_id claim, struct audit_cache *cache, int *ready)
{
    struct psy__loaded *L = psy__calloc(1, sizeof *L);
    psy_status rc = psy__billing_load(st, practice, claim, L);
    if (rc) goto out;
    if (L->c.state != PSY_CLAIM_DRAFT && L->c.state != PSY_CLAIM_READY) {
        rc = psy__store_fail(st, PSY_EPERM, "status: claim %s is %s; only draft and ready claims are scrubbed",
                             L->number, psy_claim_state_name(L->c.state));
        goto out;
    }
    json_t *arr = json_array();
    /* the coding findings recorded when the lines were built */
    psy__stmt *s = psy__sql_prepare(st, "SELECT findings FROM claim WHERE id = ?");
    if (s) {
        psy__sql_bind_int64(s, 1, claim);
        if (psy__sql_step(s) == PSY_SQL_ROW) {
            json_t *old = json_loads(psy__sql_text(s, 0), 0, NULL);
            size_t i;
            json_t *v;
            json_array_foreach(old, i, v) {
                const char *src = json_string_value(json_object_get(v, "source"));
                if (src && !strcmp(src, "coding")) json_array_append(arr, v);
            }
            json_decref(old);
        }
        psy__sql_finalize(s);
    }
    /* the audit's findings for the sessions behind the claim */
    psy_id sess[PSY_CLAIM_MAX_LINES];
    size_t ns = claim_sessions(st, claim, sess, PSY_CLAIM_MAX_LINES);
    char iso[PSY_DATE_MAX];
    snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", L->date, L->date + 4, L->date + 6);
    struct psy_audit_finding *af = NULL;
    size_t naf = 0;
    if ((rc = audit_day(st, practice, iso, cache, &af, &naf))) {
        json_decref(arr);
        goto out;
    }
    for (size_t i = 0; i < naf; i++) {
        psy_id sid = finding_session(st, &af[i]);
        for (size_t k = 0; k < ns; k++)
            if (sid && sid == sess[k]) {
                char field[64];
                snprintf(field, sizeof field, "%s[%lld]", af[i].record_type, (long long)af[i].record_id);
                finding_add(arr, af[i].severity == PSY_AUDIT_ERROR ? "error" : "warning", af[i].rule, field,
                            af[i].message, "audit");
                break;
            }
    }
    if (!cache) free(af);
    /* the 837P rules */
    struct psy_claim_batch b;
    psy__billing_batch(L, &b, &L->c, 1);
    struct psy_claim_finding pf[32];
    size_t npf = 0;
    psy_x12_837_preflight(&b, pf, 32, &npf);
    for (size_t i = 0; i < npf && i < 32; i++)
        finding_add(arr, pf[i].severity == PSY_FINDING_ERROR ? "error" : "warning", pf[i].rule, pf[i].field,
                    pf[i].message, "837p");
    int errors = 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) errors += !strcmp(json_string_value(json_object_get(v, "severity")), "error");
    char *text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    s = psy__sql_prepare(st, "UPDATE claim SET findings = ?, scrubbed_at = ? WHERE id = ?");
    if (!s) {
        free(text);
        rc = psy__store_dbfail(st, "claim");
        goto out;
    }
    char now[PSY_REC_TIME_MAX];
    psy__billing_now(now);
    psy__sql_bind_text(s, 1, text);
    psy__sql_bind_text(s, 2, now);
    psy__sql_bind_int64(s, 3, claim);
    int r = psy__sql_step(s);
    psy__sql_finalize(s);
    free(text);
    if (r != PSY_SQL_DONE) {
        rc = psy__store_dbfail(st, "claim");
        goto out;
    }
    if (!errors && L->c.state == PSY_CLAIM_DRAFT)
        rc = psy_billing_transition(st, practice, claim, PSY_CLAIM_READY, "the scrubber found no errors");
    else if (errors && L->c.state == PSY_CLAIM_READY)
        rc = psy_billing_transition(st, practice, claim, PSY_CLAIM_DRAFT, "the scrubber found errors");
    if (ready) *ready = !errors;
out:
    free(L);
    return rc;
}

psy_status psy_billing_scrub(psy_store *st, psy_id practice, psy_id claim)
{
    return scrub(st, practice, claim, NULL, NULL);
}

/* --- assembly ----------------------------------------------------------------------------------- */

static psy_session_kind session_kind(const struct psy_billable *b)
{
    const char *k = b->kind;
    if (!strcmp(k, "family")) return b->patient_absent ? PSY_SESSION_FAMILY_WITHOUT_PATIENT : PSY_SESSION_FAMILY_WITH_PATIENT;
    if (!strcmp(k, "intake")) return b->medical ? PSY_SESSION_DIAGNOSTIC_EVALUATION_MEDICAL : PSY_SESSION_DIAGNOSTIC_EVALUATION;
    if (!strcmp(k, "crisis")) return PSY_SESSION_CRISIS;
    if (!strcmp(k, "group")) return PSY_SESSION_GROUP;
    if (!strcmp(k, "multifamily")) return PSY_SESSION_MULTIPLE_FAMILY_GROUP;
    return PSY_SESSION_INDIVIDUAL;
}

/* The number of the prior authorisation covering the member on the date ("" when none). */
static void auth_number(psy_store *st, psy_id practice, const struct psy_billable *b, char out[51])
{
    out[0] = 0;
    psy__stmt *s = psy__sql_prepare(st, "SELECT number FROM authorisation WHERE practice_id = ? AND client_id = ? "
                                        "AND payer_id = ? AND start_date <= ? AND end_date >= ? ORDER BY id");
    if (!s) return;
    psy__sql_bind_int64(s, 1, practice);
    psy__sql_bind_int64(s, 2, b->client_id);
    psy__sql_bind_int64(s, 3, b->payer_id);
    psy__sql_bind_text(s, 4, b->service_date);
    psy__sql_bind_text(s, 5, b->service_date);
    if (psy__sql_step(s) == PSY_SQL_ROW) snprintf(out, 51, "%s", psy__sql_text(s, 0));
    psy__sql_finalize(s);
}

/* Fills the coding engine's input for one billable member. */
void psy__billing_input(const struct psy_billable *b, const struct psy_clinician *cl, const char *profile,
                         int requires_auth, const char *auth, struct psy_coding_input *in)
{
    psy_session_init(in);
    snprintf(in->date, sizeof in->date, "%s", b->service_date);
    in->kind = session_kind(b);
    snprintf(in->em_code, sizeof in->em_code, "%s", b->em_code);
    in->interactive_complexity = b->interactive_complexity;
    in->minutes = b->minutes > 0 ? b->minutes : -1;
    if (b->telehealth) {
        in->telehealth = !strcmp(b->th_modality, "audio") ? PSY_TELEHEALTH_AUDIO : PSY_TELEHEALTH_VIDEO;
        in->patient_location = !strcmp(b->patient_location, "home")    ? PSY_LOCATION_HOME
                               : !strcmp(b->patient_location, "other") ? PSY_LOCATION_OTHER
                                                                       : PSY_LOCATION_UNKNOWN;
    } else {
        snprintf(in->place_of_service, sizeof in->place_of_service, "%s", b->pos);
    }
    snprintf(in->payer, sizeof in->payer, "%s", profile);
    size_t cn = 0;
    for (; cn < sizeof in->credential - 1 && cl->credential[cn]; cn++)
        in->credential[cn] = (char)toupper((unsigned char)cl->credential[cn]);
    in->credential[cn] = 0;
    in->group_size = b->participants;
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

/* The open claim (draft or ready) of a client, payer and date, or a new one. */
static psy_status claim_for(psy_store *st, psy_id practice, const struct psy_billable *b, const char *profile,
                            const char *auth, psy_id *claim, int *created)
{
    *created = 0;
    psy__stmt *s = psy__sql_prepare(st, "SELECT id FROM claim WHERE practice_id = ? AND client_id = ? AND payer_id = ? "
                                        "AND service_date = ? AND clinician_id = ? AND status IN ('draft', 'ready') "
                                        "ORDER BY id");
    if (!s) return psy__store_dbfail(st, "claim");
    psy__sql_bind_int64(s, 1, practice);
    psy__sql_bind_int64(s, 2, b->client_id);
    psy__sql_bind_int64(s, 3, b->payer_id);
    psy__sql_bind_text(s, 4, b->service_date);
    psy__sql_bind_int64(s, 5, b->clinician_id);
    int r = psy__sql_step(s);
    if (r == PSY_SQL_ROW) *claim = psy__sql_int64(s, 0);
    psy__sql_finalize(s);
    if (r == PSY_SQL_ROW) return PSY_OK;
    if (r == PSY_SQL_ERROR) return psy__store_dbfail(st, "claim");
    char now[PSY_REC_TIME_MAX], tmp[64];
    psy__billing_now(now);
    snprintf(tmp, sizeof tmp, "new-%lld-%lld", (long long)b->session_id, (long long)b->client_id);
    s = psy__sql_prepare(st, "INSERT INTO claim (practice_id, claim_number, client_id, payer_id, policy_id, clinician_id, "
                             "service_date, place_of_service, prior_auth, payer_profile, created_at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
    if (!s) return psy__store_dbfail(st, "claim");
    psy__sql_bind_int64(s, 1, practice);
    psy__sql_bind_text(s, 2, tmp);
    psy__sql_bind_int64(s, 3, b->client_id);
    psy__sql_bind_int64(s, 4, b->payer_id);
    psy__sql_bind_int64(s, 5, b->policy_id);
    psy__sql_bind_int64(s, 6, b->clinician_id);
    psy__sql_bind_text(s, 7, b->service_date);
    psy__sql_bind_text(s, 8, "");
    psy__sql_bind_text(s, 9, auth);
    psy__sql_bind_text(s, 10, profile);
    psy__sql_bind_text(s, 11, now);
    psy_status rc = psy__sql_insert_id(st, s, claim);
    psy__sql_finalize(s);
    if (rc) return psy__store_dbfail(st, "claim");
    char number[PSY_CLAIM_ID_MAX + 1];
    snprintf(number, sizeof number, "PC%08lld", (long long)*claim);
    s = psy__sql_prepare(st, "UPDATE claim SET claim_number = ? WHERE id = ?");
    if (!s) return psy__store_dbfail(st, "claim");
    psy__sql_bind_text(s, 1, number);
    psy__sql_bind_int64(s, 2, *claim);
    r = psy__sql_step(s);
    psy__sql_finalize(s);
    if (r != PSY_SQL_DONE) return psy__store_dbfail(st, "claim");
    *created = 1;
    return PSY_OK;
}

/* Stores arr (released here) as the claim's findings. */
static psy_status findings_store(psy_store *st, psy_id claim, json_t *arr)
{
    char *text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    psy__stmt *s = psy__sql_prepare(st, "UPDATE claim SET findings = ? WHERE id = ?");
    if (!s) {
        free(text);
        return psy__store_dbfail(st, "claim");
    }
    psy__sql_bind_text(s, 1, text);
    psy__sql_bind_int64(s, 2, claim);
    int r = psy__sql_step(s);
    psy__sql_finalize(s);
    free(text);
    return r == PSY_SQL_DONE ? PSY_OK : psy__store_dbfail(st, "claim");
}

psy_status psy__billing_append(psy_store *st, psy_id claim, json_t *items)
{
    psy__stmt *s = psy__sql_prepare(st, "SELECT findings FROM claim WHERE id = ?");
    if (!s) return psy__store_dbfail(st, "claim");
    psy__sql_bind_int64(s, 1, claim);
    json_t *arr = psy__sql_step(s) == PSY_SQL_ROW ? json_loads(psy__sql_text(s, 0), 0, NULL) : NULL;
    psy__sql_finalize(s);
    if (!json_is_array(arr)) {
        json_decref(arr);
        arr = json_array();
    }
    json_array_extend(arr, items);
    return findings_store(st, claim, arr);
}

json_t *psy__billing_finding(const char *sev, const char *rule, const char *field, const char *msg, const char *source)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "severity", sev, "rule", rule, "field", field, "message", msg,
                     "source", source);
}

/* Adds the coding engine's findings (as the scrubber keeps them) to the claim's list. */
static psy_status add_coding_findings(psy_store *st, psy_id claim, const struct psy_coding_result *cr, psy_id session)
{
    if (!cr->n_findings) return PSY_OK;
    json_t *arr = json_array();
    for (size_t i = 0; i < cr->n_findings; i++) {
        char field[96];
        snprintf(field, sizeof field, "session[%lld].%s", (long long)session, cr->findings[i].field);
        json_array_append_new(arr, psy__billing_finding(cr->findings[i].severity == PSY_SEVERITY_ERROR ? "error" : "warning",
                                                        cr->findings[i].rule, field, cr->findings[i].message, "coding"));
    }
    psy_status rc = psy__billing_append(st, claim, arr);
    json_decref(arr);
    return rc;
}

/* Writes the member's coded lines onto the claim and marks the member billed. */
static psy_status add_lines(psy_store *st, psy_id practice, psy_id claim, const struct psy_billable *b,
                            const struct psy_coding_result *cr, long *added)
{
    psy__stmt *s = psy__sql_prepare(st, "SELECT count(*), COALESCE(max(line_number), 0) FROM claim_line WHERE claim_id = ?");
    if (!s) return psy__store_dbfail(st, "claim_line");
    psy__sql_bind_int64(s, 1, claim);
    int r = psy__sql_step(s);
    int64_t count = r == PSY_SQL_ROW ? psy__sql_int64(s, 0) : 0, next = r == PSY_SQL_ROW ? psy__sql_int64(s, 1) : 0;
    psy__sql_finalize(s);
    if (r != PSY_SQL_ROW) return psy__store_dbfail(st, "claim_line");
    char ptrs[16] = "";
    for (int k = 0; k < b->n_dx && k < PSY_CLAIM_MAX_PTRS; k++) {
        size_t len = strlen(ptrs);
        snprintf(ptrs + len, sizeof ptrs - len, "%s%d", k ? "," : "", k + 1);
    }
    long long total = 0;
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
        s = psy__sql_prepare(st, "INSERT INTO claim_line (claim_id, line_number, session_id, client_id, code, modifiers, "
                                 "units, charge_cents, place_of_service, dx_pointers, rules, explanation) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        if (!s) return psy__store_dbfail(st, "claim_line");
        psy__sql_bind_int64(s, 1, claim);
        psy__sql_bind_int64(s, 2, ++next);
        psy__sql_bind_int64(s, 3, b->session_id);
        psy__sql_bind_int64(s, 4, b->client_id);
        psy__sql_bind_text(s, 5, l->code);
        psy__sql_bind_text(s, 6, mods);
        psy__sql_bind_int64(s, 7, l->units);
        psy__sql_bind_int64(s, 8, l->charge_cents);
        psy__sql_bind_text(s, 9, l->place_of_service);
        psy__sql_bind_text(s, 10, ptrs);
        psy__sql_bind_text(s, 11, rules);
        psy__sql_bind_text(s, 12, l->explanation);
        r = psy__sql_step(s);
        psy__sql_finalize(s);
        if (r != PSY_SQL_DONE) return psy__store_dbfail(st, "claim_line");
        total += l->charge_cents;
        count++;
        ++*added;
    }
    /* the claim's place of service is its first line's; new lines want the scrubber again */
    s = psy__sql_prepare(st, "UPDATE claim SET total_cents = total_cents + ?, place_of_service = CASE WHEN "
                             "place_of_service = '' THEN ? ELSE place_of_service END, scrubbed_at = '', "
                             "version = version + 1 WHERE id = ?");
    if (!s) return psy__store_dbfail(st, "claim");
    psy__sql_bind_int64(s, 1, total);
    psy__sql_bind_text(s, 2, cr->n_lines ? cr->lines[0].place_of_service : "");
    psy__sql_bind_int64(s, 3, claim);
    r = psy__sql_step(s);
    psy__sql_finalize(s);
    if (r != PSY_SQL_DONE) return psy__store_dbfail(st, "claim");
    s = psy__sql_prepare(st, "INSERT INTO claim_session (practice_id, session_id, client_id, claim_id) VALUES (?, ?, ?, ?)");
    if (!s) return psy__store_dbfail(st, "claim_session");
    psy__sql_bind_int64(s, 1, practice);
    psy__sql_bind_int64(s, 2, b->session_id);
    psy__sql_bind_int64(s, 3, b->client_id);
    psy__sql_bind_int64(s, 4, claim);
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
    psy__stmt *s = psy__sql_prepare(st, "SELECT l.code, l.units, l.modifiers, l.session_id, CASE WHEN l.claim_id = ? "
                                        "THEN l.line_number ELSE 0 END FROM claim_line l JOIN claim c ON c.id = l.claim_id "
                                        "WHERE c.practice_id = ? AND c.service_date = ? AND c.client_id = (SELECT client_id "
                                        "FROM claim WHERE id = ?) ORDER BY l.session_id, l.claim_id, l.line_number");
    if (!s) return psy__store_dbfail(st, "claim_line");
    enum { DAY_LINES = 4 * PSY_CLAIM_MAX_LINES };
    struct psy_coded_line *lines = psy__calloc(DAY_LINES, sizeof *lines);
    int64_t number[DAY_LINES];
    psy__sql_bind_int64(s, 1, claim);
    psy__sql_bind_int64(s, 2, practice);
    psy__sql_bind_text(s, 3, date);
    psy__sql_bind_int64(s, 4, claim);
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
    s = psy__sql_prepare(st, "SELECT findings FROM claim WHERE id = ?");
    if (!s) {
        free(lines);
        return psy__store_dbfail(st, "claim");
    }
    psy__sql_bind_int64(s, 1, claim);
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
    return findings_store(st, claim, keep);
}

static int already_billed(psy_store *st, psy_id practice, const struct psy_billable *b)
{
    psy__stmt *s = psy__sql_prepare(st, "SELECT 1 FROM claim_session WHERE practice_id = ? AND session_id = ? AND client_id = ?");
    if (!s) return -1;
    psy__sql_bind_int64(s, 1, practice);
    psy__sql_bind_int64(s, 2, b->session_id);
    psy__sql_bind_int64(s, 3, b->client_id);
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
static psy_status bill_member(psy_store *st, const psy_coder *cx, psy_id practice, const struct psy_billable *b,
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

/* A transaction that is committed and begun again every psy__billing_chunk_items steps; the claims its steps
 * touched are scrubbed in that same transaction, just before it commits, so a claim is never committed
 * built but unchecked (an interrupted build leaves nothing for a person to find by hand). Inside a
 * caller's own transaction it commits nothing: the caller decides when its work becomes durable. */
int psy__billing_chunk_items = 256;
void (*psy__billing_chunk_hook)(void);

struct touched {
    psy_id id;
    size_t seq; /* order of touching: the last scrub of a claim holds its verdict */
    int ok;
};
struct chunk {
    psy_store *st;
    psy_id practice;
    int open;            /* items in the open transaction, or -1 when the caller's transaction is used */
    struct touched *t;   /* every claim touched; [from, n) by the open transaction */
    size_t n, cap, from;
};

static void chunk_touch(struct chunk *c, psy_id claim)
{
    if (c->n == c->cap) c->t = psy__realloc(c->t, (c->cap = c->cap ? 2 * c->cap : 64) * sizeof *c->t);
    c->t[c->n] = (struct touched){claim, c->n, 0};
    c->n++;
}

static int cmp_touched(const void *a, const void *b)
{
    const struct touched *x = a, *y = b;
    return x->id != y->id ? (x->id < y->id ? -1 : 1) : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* Scrubs the claims touched since the last flush (each once, in id order, a savepoint each). */
static psy_status chunk_scrub(struct chunk *c)
{
    size_t k = c->n - c->from;
    if (!k) return PSY_OK;
    struct touched *p = c->t + c->from;
    qsort(p, k, sizeof *p, cmp_touched);
    struct audit_cache cache = {0};
    psy_status rc = PSY_OK;
    for (size_t i = 0; !rc && i < k; i++) {
        if (i && p[i].id == p[i - 1].id) {
            p[i].ok = p[i - 1].ok;
            continue;
        }
        int ok = 0;
        if ((rc = psy__store_begin(c->st))) break;
        if ((rc = scrub(c->st, c->practice, p[i].id, &cache, &ok))) psy__store_rollback(c->st);
        else rc = psy__store_commit(c->st);
        p[i].ok = ok;
    }
    audit_cache_free(&cache);
    if (!rc) c->from = c->n;
    return rc;
}

/* Scrubs what the open transaction touched and commits it. */
static psy_status chunk_flush(struct chunk *c)
{
    psy_status rc = chunk_scrub(c);
    if (c->open <= 0) return rc;
    c->open = 0;
    /* a failed scrub leaves its claims unscrubbed ('' in scrubbed_at); what was built is kept and the
     * next build scrubs them */
    psy_status crc = psy__store_commit(c->st);
    if (!crc && psy__billing_chunk_hook) psy__billing_chunk_hook();
    return rc ? rc : crc;
}

static psy_status chunk_step(struct chunk *c)
{
    if (c->open < 0) return PSY_OK;
    if (c->open == 0 && psy__store_in_transaction(c->st)) {
        c->open = -1;
        return PSY_OK;
    }
    if (c->open >= psy__billing_chunk_items) {
        psy_status rc = chunk_flush(c);
        if (rc) return rc;
    }
    if (c->open == 0) {
        psy_status rc = psy__store_begin(c->st);
        if (rc) return rc;
    }
    c->open++;
    return PSY_OK;
}

/* Scrubs and commits what the chunk holds (the items that failed rolled back their own savepoints),
 * counts the verdicts of every claim touched (its last scrub's) and frees the list. */
static psy_status chunk_end(struct chunk *c, psy_status rc, long *ready, long *draft)
{
    psy_status frc = rc ? PSY_OK : chunk_scrub(c);
    if (c->open > 0) {
        c->open = 0;
        psy_status crc = psy__store_commit(c->st);
        if (!frc) frc = crc;
    }
    if (!rc) rc = frc;
    if (!rc && c->n) {
        qsort(c->t, c->n, sizeof *c->t, cmp_touched);
        for (size_t i = 0; i < c->n; i++)
            if (i + 1 == c->n || c->t[i + 1].id != c->t[i].id) {
                if (c->t[i].ok) (*ready)++;
                else (*draft)++;
            }
    }
    free(c->t);
    c->t = NULL;
    c->n = c->cap = c->from = 0;
    return rc;
}

/* Scrubs the claims of ids, committing in chunks, and counts the verdicts. */
static psy_status scrub_many(psy_store *st, psy_id practice, const psy_id *ids, size_t n, long *ready, long *draft)
{
    struct chunk ch = {.st = st, .practice = practice};
    psy_status rc = PSY_OK;
    for (size_t i = 0; !rc && i < n; i++) {
        if ((rc = chunk_step(&ch))) break;
        chunk_touch(&ch, ids[i]);
    }
    return chunk_end(&ch, rc, ready, draft);
}

/* The ids of the practice's claims matched by where (a condition on claim, one ? for the practice). */
static psy_status claim_ids(psy_store *st, psy_id practice, const char *where, psy_id **ids, size_t *n)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT id FROM claim WHERE practice_id = ? AND %s ORDER BY id", where);
    *ids = NULL;
    *n = 0;
    psy__stmt *s = psy__sql_prepare(st, sql);
    if (!s) return psy__store_dbfail(st, "claim");
    psy__sql_bind_int64(s, 1, practice);
    size_t cap = 0;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        if (*n == cap) *ids = psy__realloc(*ids, (cap = cap ? 2 * cap : 64) * sizeof **ids);
        (*ids)[(*n)++] = psy__sql_int64(s, 0);
    }
    psy__sql_finalize(s);
    if (r != PSY_SQL_ERROR) return PSY_OK;
    free(*ids);
    *ids = NULL;
    *n = 0;
    return psy__store_dbfail(st, "claim");
}

psy_status psy_billing_build(psy_store *st, const psy_coder *cx, psy_id practice, const char *from, const char *to,
                             struct psy_billing_build_result *r)
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
    struct chunk ch = {.st = st, .practice = practice};
    psy_id *left = NULL;
    size_t nl = 0;
    rc = claim_ids(st, practice, "status = 'draft' AND scrubbed_at = ''", &left, &nl);
    for (size_t i = 0; !rc && i < nl; i++)
        if (!(rc = chunk_step(&ch))) chunk_touch(&ch, left[i]);
    free(left);
    r->resumed = (long)nl;
    struct psy_coding_result *cr = psy__malloc(sizeof *cr);
    for (size_t i = 0; !rc && i < n; i++) {
        if (!ss[i].signed_at[0]) continue;
        r->sessions++;
        struct psy_billable *bs = NULL;
        size_t nb = 0;
        if ((rc = psy_records_session_billables(st, practice, ss[i].id, &bs, &nb))) break;
        for (size_t k = 0; !rc && k < nb; k++) {
            if ((rc = chunk_step(&ch))) break;
            r->members++;
            psy_id claim = 0;
            rc = bill_member(st, cx, practice, &bs[k], r, &claim, cr);
            if (!rc && claim) chunk_touch(&ch, claim);
        }
        free(bs);
    }
    rc = chunk_end(&ch, rc, &r->ready, &r->draft);
    free(cr);
    free(ss);
    return rc;
}

psy_status psy_billing_scrub_all(psy_store *st, psy_id practice, long *ready, long *draft)
{
    *ready = *draft = 0;
    psy_id *ids;
    size_t n;
    psy_status rc = claim_ids(st, practice, "status IN ('draft', 'ready')", &ids, &n);
    if (!rc) rc = scrub_many(st, practice, ids, n, ready, draft);
    free(ids);
    return rc;
}

/* --- listing ------------------------------------------------------------------------------------ */

psy_status psy_billing_claim_list(psy_store *st, psy_id practice, const char *status, struct psy_billing_claim **out,
                                  size_t *n)
{
    *out = NULL;
    *n = 0;
    psy__stmt *s = psy__sql_prepare(st, "SELECT c.id, c.claim_number, c.client_id, c.payer_id, p.payer_code, "
                                        "c.service_date, c.status, c.total_cents, c.paid_cents, c.findings, "
                                        "(SELECT count(*) FROM claim_line l WHERE l.claim_id = c.id) "
                                        "FROM claim c JOIN payer p ON p.id = c.payer_id WHERE c.practice_id = ? "
                                        "AND (CAST(? AS TEXT) = '' OR c.status = CAST(? AS TEXT)) ORDER BY c.id");
    if (!s) return psy__store_dbfail(st, "claim");
    psy__sql_bind_int64(s, 1, practice);
    psy__sql_bind_text(s, 2, status ? status : "");
    psy__sql_bind_text(s, 3, status ? status : "");
    size_t cap = 0;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        if (*n == cap) *out = psy__realloc(*out, (cap = cap ? 2 * cap : 32) * sizeof **out);
        struct psy_billing_claim *c = &(*out)[(*n)++];
        memset(c, 0, sizeof *c);
        c->id = psy__sql_int64(s, 0);
        snprintf(c->number, sizeof c->number, "%s", psy__sql_text(s, 1));
        c->client_id = psy__sql_int64(s, 2);
        c->payer_id = psy__sql_int64(s, 3);
        snprintf(c->payer_code, sizeof c->payer_code, "%s", psy__sql_text(s, 4));
        snprintf(c->service_date, sizeof c->service_date, "%s", psy__sql_text(s, 5));
        snprintf(c->status, sizeof c->status, "%s", psy__sql_text(s, 6));
        c->total_cents = psy__sql_int64(s, 7);
        c->paid_cents = psy__sql_int64(s, 8);
        c->findings = psy__strdup(psy__sql_text(s, 9));
        c->n_lines = (int)psy__sql_int64(s, 10);
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) {
        psy_billing_claims_free(*out, *n);
        *out = NULL;
        *n = 0;
        return psy__store_dbfail(st, "claim");
    }
    return PSY_OK;
}

void psy_billing_claims_free(struct psy_billing_claim *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++) free(c[i].findings);
    free(c);
}
