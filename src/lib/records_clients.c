/*
 * records_clients.c -- clients and their diagnoses, payers, insurance policies and prior
 * authorisations.
 *
 * Diagnoses are billable ICD-10-CM leaf codes checked against the catalog when written; a client's
 * list is replaced whole on update and kept in pointer order (position 1 = primary). Authorisation
 * use is not a stored counter: it is units_prior plus the billed session lines that fall under the
 * authorisation, so it can never drift from the sessions.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "records_int.h"

/* --- clients ---------------------------------------------------------------------------------------- */

static const char *const sexes[] = {"F", "M", "U", NULL};

static psy_status check_client(psy_store *st, const struct psy_client *c, char zip[10],
                               char (*dx)[PSY_CODE_MAX])
{
    static const int zip_lengths[] = {5, 9, 0};
    char today[PSY_DATE_MAX];
    psy__rec_today(today);
    psy_status rc = psy__rec_text(st, "first_name", c->first_name, 64, PSY__REQ);
    if (!rc) rc = psy__rec_text(st, "last_name", c->last_name, 64, PSY__REQ);
    if (!rc) rc = psy__rec_date(st, "birth_date", c->birth_date, 1);
    if (!rc && strcmp(c->birth_date, today) > 0) rc = psy__rec_bad(st, "birth_date", "in the future");
    if (!rc) rc = psy__rec_oneof(st, "sex", c->sex, sexes);
    if (!rc) rc = psy__rec_text(st, "address", c->address, 128, 0);
    if (!rc) rc = psy__rec_text(st, "city", c->city, 64, 0);
    if (!rc && *c->state &&
        (strlen(c->state) != 2 || !isupper((unsigned char)c->state[0]) || !isupper((unsigned char)c->state[1])))
        rc = psy__rec_bad(st, "state", "two capital letters (postal code)");
    if (!rc) rc = psy__rec_digits(st, "zip", c->zip, zip_lengths, zip, 10, 0);
    for (const char *p = c->phone; !rc && *p; p++)
        if (!isdigit((unsigned char)*p) && !strchr(" ()+-.", *p)) rc = psy__rec_bad(st, "phone", "digits and ()+-. only");
    if (!rc) rc = psy__rec_text(st, "phone", c->phone, 20, 0);
    if (!rc) rc = psy__rec_date(st, "telehealth_consent_date", c->telehealth_consent_date, 0);
    if (!rc) rc = psy__rec_dx(st, "dx", c->n_dx, c->dx, dx, today);
    if (!rc && c->active != 0 && c->active != 1) rc = psy__rec_bad(st, "active", "0 or 1");
    return rc;
}

static psy_status write_client(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version)
{
    const struct psy_client *c = rec;
    char zip[10], now[PSY_REC_TIME_MAX], dx[PSY_REC_DX_MAX][PSY_CODE_MAX];
    psy__rec_now(now);
    psy_status rc = check_client(st, c, zip, dx);
    if (rc) return rc;
    if (*id)
        rc = psy__rec_update(st, "client", practice, *id, version,
                             "first_name = ?, last_name = ?, birth_date = ?, sex = ?, address = ?, city = ?, "
                             "state = ?, zip = ?, phone = ?, telehealth_consent_date = ?, active = ?, updated_at = ?",
                             "SSSSSSSSSsdS", c->first_name, c->last_name, c->birth_date, c->sex, c->address, c->city,
                             c->state, zip, c->phone, c->telehealth_consent_date, c->active, now);
    else
        rc = psy__rec_insert(st, id,
                             "INSERT INTO client (practice_id, first_name, last_name, birth_date, sex, address, city, "
                             "state, zip, phone, telehealth_consent_date, created_at, updated_at) "
                             "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                             "iSSSSSSSSSsSS", practice, c->first_name, c->last_name, c->birth_date, c->sex, c->address,
                             c->city, c->state, zip, c->phone, c->telehealth_consent_date, now, now);
    const char *vals[PSY_REC_DX_MAX];
    for (int i = 0; i < c->n_dx; i++) vals[i] = dx[i];
    if (!rc) rc = psy__rec_put_list(st, "client_diagnosis", "client_id", "code", practice, *id, c->n_dx, vals, 1);
    return rc;
}

psy_status psy_records_client_add(psy_store *st, psy_id practice, const struct psy_client *c, psy_id *id)
{
    struct psy_client tmp = *c;
    tmp.active = 1;
    return psy__rec_write_one(st, practice, "client", 0, 0, "create", 0, write_client, &tmp, id);
}

psy_status psy_records_client_update(psy_store *st, psy_id practice, const struct psy_client *c)
{
    return psy__rec_write_one(st, practice, "client", c->id, c->version, "update", 0, write_client, c, NULL);
}

#define C(f, t) PSY__COL(struct psy_client, f, t)
static const struct psy__rec_col client_cols[] = {
    C(id, 'i'),    C(first_name, 's'), C(last_name, 's'), C(birth_date, 's'), C(sex, 's'),
    C(address, 's'), C(city, 's'),     C(state, 's'),     C(zip, 's'),        C(phone, 's'),
    C(telehealth_consent_date, 's'),   C(active, 'd'),    C(version, 'd')};
#undef C
static const struct psy__rec_map client_map = PSY__MAP(client_cols);

/* Reads (client_id, code) rows ordered by client then position into the clients (sorted by id). */
static psy_status attach_dx(psy_store *st, psy_id practice, psy_id only, struct psy_client *cs, size_t n)
{
    psy__stmt *s;
    psy_status rc = psy__rec_prepare(st, &s,
                                     "SELECT client_id, code FROM client_diagnosis WHERE practice_id = ? "
                                     "AND (CAST(? AS BIGINT) = 0 OR client_id = ?) ORDER BY client_id, position",
                                     "iii", practice, only, only);
    if (rc) return rc;
    size_t j = 0;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        psy_id cid = psy__sql_int64(s, 0);
        while (j < n && cs[j].id < cid) j++;
        if (j < n && cs[j].id == cid && cs[j].n_dx < PSY_REC_DX_MAX)
            psy__rec_col(s, 1, cs[j].dx[cs[j].n_dx++], PSY_CODE_MAX);
    }
    if (r == PSY_SQL_ERROR) rc = psy__store_dbfail(st, "records");
    psy__sql_finalize(s);
    return rc;
}

psy_status psy_records_client_get(psy_store *st, psy_id practice, psy_id id, struct psy_client *c)
{
    memset(c, 0, sizeof *c);
    psy_status rc = psy__rec_get(st, c, &client_map, "client", id, "FROM client WHERE practice_id = ? AND id = ?", "ii",
                                 practice, id);
    return rc ? rc : attach_dx(st, practice, id, c, 1);
}

psy_status psy_records_client_list(psy_store *st, psy_id practice, struct psy_client **out, size_t *n)
{
    psy_status rc = psy__rec_list(st, (void **)out, n, sizeof **out, &client_map,
                                  "FROM client WHERE practice_id = ? ORDER BY id", "i", practice);
    return rc ? rc : attach_dx(st, practice, 0, *out, *n);
}

/* --- payers ------------------------------------------------------------------------------------------ */

static const char *const payer_kinds[] = {"medicare", "medicaid", "commercial", "other", NULL};

static psy_status write_payer(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version)
{
    const struct psy_payer *p = rec;
    char now[PSY_REC_TIME_MAX];
    int64_t other;
    psy__rec_now(now);
    psy_status rc = psy__rec_text(st, "name", p->name, 128, PSY__REQ);
    if (!rc && (strlen(p->payer_code) < 2 || strlen(p->payer_code) > 80))
        rc = psy__rec_bad(st, "payer_code", "2 to 80 letters or digits");
    for (const char *c = p->payer_code; !rc && *c; c++)
        if (!isalnum((unsigned char)*c)) rc = psy__rec_bad(st, "payer_code", "2 to 80 letters or digits");
    if (!rc) rc = psy__rec_oneof(st, "kind", p->kind, payer_kinds);
    if (!rc && p->group_max != 0 && (p->group_max < 2 || p->group_max > 100))
        rc = psy__rec_bad(st, "group_max", "0 (default) or 2 to 100");
    if (!rc && p->requires_auth != 0 && p->requires_auth != 1) rc = psy__rec_bad(st, "requires_auth", "0 or 1");
    if (!rc) {
        psy_status q = psy__rec_int(st, &other, "SELECT id FROM payer WHERE practice_id = ? AND payer_code = ? AND id <> ?",
                                    "iSi", practice, p->payer_code, *id);
        if (q == PSY_OK) rc = psy__store_fail(st, PSY_ECONFLICT, "payer_code: another payer of this practice has it");
        else if (q != PSY_ENOTFOUND) rc = q;
    }
    if (rc) return rc;
    if (*id)
        return psy__rec_update(st, "payer", practice, *id, version,
                               "name = ?, payer_code = ?, kind = ?, group_max = ?, requires_auth = ?, updated_at = ?",
                               "SSSddS", p->name, p->payer_code, p->kind, p->group_max, p->requires_auth, now);
    return psy__rec_insert(st, id,
                           "INSERT INTO payer (practice_id, name, payer_code, kind, group_max, requires_auth, created_at, "
                           "updated_at) VALUES (?,?,?,?,?,?,?,?)",
                           "iSSSddSS", practice, p->name, p->payer_code, p->kind, p->group_max, p->requires_auth, now,
                           now);
}

psy_status psy_records_payer_add(psy_store *st, psy_id practice, const struct psy_payer *p, psy_id *id)
{
    return psy__rec_write_one(st, practice, "payer", 0, 0, "create", 0, write_payer, p, id);
}

psy_status psy_records_payer_update(psy_store *st, psy_id practice, const struct psy_payer *p)
{
    return psy__rec_write_one(st, practice, "payer", p->id, p->version, "update", 0, write_payer, p, NULL);
}

#define C(f, t) PSY__COL(struct psy_payer, f, t)
static const struct psy__rec_col payer_cols[] = {C(id, 'i'),        C(name, 's'),          C(payer_code, 's'), C(kind, 's'),
                                                 C(group_max, 'd'), C(requires_auth, 'd'), C(version, 'd')};
#undef C
static const struct psy__rec_map payer_map = PSY__MAP(payer_cols);

psy_status psy_records_payer_get(psy_store *st, psy_id practice, psy_id id, struct psy_payer *p)
{
    memset(p, 0, sizeof *p);
    return psy__rec_get(st, p, &payer_map, "payer", id, "FROM payer WHERE practice_id = ? AND id = ?", "ii", practice, id);
}

/* --- policies ------------------------------------------------------------------------------------------ */

static const char *const relations[] = {"self", "spouse", "child", "other", NULL};

/* Checks that [start, end] (end "" = open) of a new row does not overlap another row of the same
 * client and key in table. */
static psy_status check_overlap(psy_store *st, const char *field, const char *sql, psy_id practice, psy_id client,
                                int key, const char *start, const char *end)
{
    int64_t other;
    psy_status rc = psy__rec_int(st, &other, sql, "iidSs", practice, client, key, end && *end ? end : "9999-12-31", start);
    if (rc == PSY_OK) return psy__rec_bad(st, field, "overlaps record %lld of this client", (long long)other);
    return rc == PSY_ENOTFOUND ? PSY_OK : rc;
}

static psy_status write_policy(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version)
{
    (void)version; /* creates only */
    const struct psy_policy *p = rec;
    char now[PSY_REC_TIME_MAX];
    psy__rec_now(now);
    psy_status rc = psy__rec_ref(st, "client_id", "client", practice, p->client_id, 0);
    if (!rc) rc = psy__rec_ref(st, "payer_id", "payer", practice, p->payer_id, 0);
    if (!rc) rc = psy__rec_text(st, "member_id", p->member_id, 30, PSY__REQ);
    for (const char *c = p->member_id; !rc && *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-') rc = psy__rec_bad(st, "member_id", "letters, digits and '-' only");
    if (!rc) rc = psy__rec_text(st, "group_number", p->group_number, 30, 0);
    if (!rc && (p->priority < 1 || p->priority > 3)) rc = psy__rec_bad(st, "priority", "1 (primary), 2 or 3");
    if (!rc) rc = psy__rec_oneof(st, "relation", p->relation, relations);
    if (!rc && strcmp(p->relation, "self") != 0) {
        rc = psy__rec_text(st, "subscriber_first", p->subscriber_first, 64, PSY__REQ);
        if (!rc) rc = psy__rec_text(st, "subscriber_last", p->subscriber_last, 64, PSY__REQ);
    }
    if (!rc) rc = psy__rec_date(st, "subscriber_birth", p->subscriber_birth, 0);
    if (!rc && p->copay_cents < 0) rc = psy__rec_bad(st, "copay_cents", "not negative");
    if (!rc) rc = psy__rec_date(st, "start_date", p->start_date, 1);
    if (!rc) rc = psy__rec_date(st, "end_date", p->end_date, 0);
    if (!rc && *p->end_date && strcmp(p->end_date, p->start_date) < 0)
        rc = psy__rec_bad(st, "end_date", "before start_date");
    if (!rc)
        rc = check_overlap(st, "priority",
                           "SELECT id FROM policy WHERE practice_id = ? AND client_id = ? AND priority = ? "
                           "AND start_date <= ? AND (end_date IS NULL OR end_date >= ?)",
                           practice, p->client_id, p->priority, p->end_date, p->start_date);
    if (rc) return rc;
    return psy__rec_insert(st, id,
                           "INSERT INTO policy (practice_id, client_id, payer_id, member_id, group_number, priority, "
                           "relation, subscriber_first, subscriber_last, subscriber_birth, copay_cents, start_date, "
                           "end_date, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           "iiiSSdSSSsiSsSS", practice, p->client_id, p->payer_id, p->member_id, p->group_number,
                           p->priority, p->relation, p->subscriber_first, p->subscriber_last, p->subscriber_birth,
                           (psy_id)p->copay_cents, p->start_date, p->end_date, now, now);
}

psy_status psy_records_policy_add(psy_store *st, psy_id practice, const struct psy_policy *p, psy_id *id)
{
    return psy__rec_write_one(st, practice, "policy", 0, 0, "create", 0, write_policy, p, id);
}

#define C(f, t) PSY__COL(struct psy_policy, f, t)
static const struct psy__rec_col policy_cols[] = {
    C(id, 'i'),         C(client_id, 'i'),       C(payer_id, 'i'),         C(member_id, 's'),   C(group_number, 's'),
    C(priority, 'd'),   C(relation, 's'),        C(subscriber_first, 's'), C(subscriber_last, 's'),
    C(subscriber_birth, 's'), C(copay_cents, 'i'), C(start_date, 's'),    C(end_date, 's'),    C(version, 'd')};
#undef C
static const struct psy__rec_map policy_map = PSY__MAP(policy_cols);

psy_status psy_records_policy_get(psy_store *st, psy_id practice, psy_id id, struct psy_policy *p)
{
    memset(p, 0, sizeof *p);
    return psy__rec_get(st, p, &policy_map, "policy", id, "FROM policy WHERE practice_id = ? AND id = ?", "ii", practice, id);
}

psy_status psy_records_policy_on(psy_store *st, psy_id practice, psy_id client, const char *date, int priority,
                                 struct psy_policy *p)
{
    memset(p, 0, sizeof *p);
    return psy__rec_get(st, p, &policy_map, "policy in force for client", client,
                        "FROM policy WHERE practice_id = ? AND client_id = ? AND priority = ? "
                        "AND start_date <= ? AND (end_date IS NULL OR end_date >= ?) ORDER BY start_date DESC, id DESC",
                        "iidSS", practice, client, priority, date, date);
}

/* --- authorisations ------------------------------------------------------------------------------------- */

static const char *const unit_kinds[] = {"unit", "visit", NULL};

static psy_status write_auth(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version)
{
    (void)version; /* creates only */
    const struct psy_authorisation *a = rec;
    char now[PSY_REC_TIME_MAX], codes[PSY_REC_AUTH_CODES_MAX][PSY_CODE_MAX], f[24];
    psy__rec_now(now);
    psy_status rc = psy__rec_ref(st, "client_id", "client", practice, a->client_id, 0);
    if (!rc) rc = psy__rec_ref(st, "payer_id", "payer", practice, a->payer_id, 0);
    if (!rc) rc = psy__rec_text(st, "number", a->number, 50, PSY__REQ);
    if (!rc) rc = psy__rec_oneof(st, "unit_kind", a->unit_kind, unit_kinds);
    if (!rc && a->units_approved < 1) rc = psy__rec_bad(st, "units_approved", "at least 1");
    if (!rc && (a->units_prior < 0 || a->units_prior > a->units_approved))
        rc = psy__rec_bad(st, "units_prior", "between 0 and units_approved");
    if (!rc) rc = psy__rec_date(st, "start_date", a->start_date, 1);
    if (!rc) rc = psy__rec_date(st, "end_date", a->end_date, 1);
    if (!rc && strcmp(a->end_date, a->start_date) < 0) rc = psy__rec_bad(st, "end_date", "before start_date");
    if (!rc && (a->n_codes < 1 || a->n_codes > PSY_REC_AUTH_CODES_MAX))
        rc = psy__rec_bad(st, "codes", "1 to %d CPT or HCPCS codes", PSY_REC_AUTH_CODES_MAX);
    for (int i = 0; !rc && i < a->n_codes; i++) {
        snprintf(f, sizeof f, "codes[%d]", i);
        rc = psy__rec_proc_code(st, f, a->codes[i], codes[i]);
        for (int j = 0; !rc && j < i; j++)
            if (!strcmp(codes[i], codes[j])) rc = psy__rec_bad(st, f, "listed twice");
    }
    if (rc) return rc;
    rc = psy__rec_insert(st, id,
                         "INSERT INTO authorisation (practice_id, client_id, payer_id, number, unit_kind, units_approved, "
                         "units_prior, start_date, end_date, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                         "iiiSSddSSSS", practice, a->client_id, a->payer_id, a->number, a->unit_kind, a->units_approved,
                         a->units_prior, a->start_date, a->end_date, now, now);
    const char *vals[PSY_REC_AUTH_CODES_MAX];
    for (int i = 0; i < a->n_codes; i++) vals[i] = codes[i];
    if (!rc) rc = psy__rec_put_list(st, "authorisation_code", "authorisation_id", "code", practice, *id, a->n_codes, vals, 0);
    return rc;
}

psy_status psy_records_auth_add(psy_store *st, psy_id practice, const struct psy_authorisation *a, psy_id *id)
{
    return psy__rec_write_one(st, practice, "authorisation", 0, 0, "create", 0, write_auth, a, id);
}

#define C(f, t) PSY__COL(struct psy_authorisation, f, t)
static const struct psy__rec_col auth_cols[] = {C(id, 'i'),          C(client_id, 'i'),      C(payer_id, 'i'),
                                                C(number, 's'),      C(unit_kind, 's'),      C(units_approved, 'd'),
                                                C(units_prior, 'd'), C(start_date, 's'),     C(end_date, 's'),
                                                C(version, 'd')};
#undef C
static const struct psy__rec_map auth_map = PSY__MAP(auth_cols);

psy_status psy_records_auth_get(psy_store *st, psy_id practice, psy_id id, struct psy_authorisation *a)
{
    psy__stmt *s;
    memset(a, 0, sizeof *a);
    psy_status rc = psy__rec_get(st, a, &auth_map, "authorisation", id, "FROM authorisation WHERE practice_id = ? AND id = ?",
                                 "ii", practice, id);
    if (rc) return rc;
    rc = psy__rec_prepare(st, &s,
                          "SELECT code FROM authorisation_code WHERE practice_id = ? AND authorisation_id = ? ORDER BY code",
                          "ii", practice, id);
    if (rc) return rc;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW && a->n_codes < PSY_REC_AUTH_CODES_MAX)
        psy__rec_col(s, 0, a->codes[a->n_codes++], PSY_CODE_MAX);
    if (r == PSY_SQL_ERROR) rc = psy__store_dbfail(st, "records");
    psy__sql_finalize(s);
    return rc;
}

psy_status psy_records_auth_used(psy_store *st, psy_id practice, psy_id id, int *used)
{
    struct psy_authorisation a;
    int64_t lines = 0;
    psy_status rc = psy_records_auth_get(st, practice, id, &a);
    if (rc) return rc;
    /* A billed line: a non-group session of the client, or the client's attendance at a group session
     * when present or billed; it counts when its code is one the authorisation covers or not set yet. */
    rc = psy__rec_int(st, &lines,
                      "SELECT (SELECT COUNT(*) FROM session s WHERE s.practice_id = ? AND s.client_id = ? "
                      "  AND s.service_date BETWEEN ? AND ? AND (s.billed_code IS NULL OR s.billed_code IN "
                      "  (SELECT code FROM authorisation_code WHERE authorisation_id = ?))) + "
                      "(SELECT COUNT(*) FROM attendance t JOIN session s ON s.id = t.session_id "
                      "  WHERE t.practice_id = ? AND t.client_id = ? AND s.service_date BETWEEN ? AND ? "
                      "  AND ((t.billed_code IS NULL AND t.present = 1) OR t.billed_code IN "
                      "  (SELECT code FROM authorisation_code WHERE authorisation_id = ?)))",
                      "iiSSiiiSSi", practice, a.client_id, a.start_date, a.end_date, id, practice, a.client_id,
                      a.start_date, a.end_date, id);
    if (!rc) *used = a.units_prior + (int)lines;
    return rc;
}
