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
#include "coding_int.h"
#include "records_int.h"
#include "records_bulk.h"

/* --- clients ---------------------------------------------------------------------------------------- */

static const char *const sexes[] = {"F", "M", "U", NULL};

/* Phone numbers: digits and ()+-. and spaces, at most 20 bytes. */
static psy_status check_phone(psy_store *st, const char *field, const char *v)
{
    for (const char *p = v; *p; p++)
        if (!isdigit((unsigned char)*p) && !strchr(" ()+-.", *p)) return psy__rec_bad(st, field, "digits and ()+-. only");
    return psy__rec_text(st, field, v, 20, 0);
}

/* An email address: one '@' with text on both sides and a dot in the domain, no spaces. */
static psy_status check_email(psy_store *st, const char *field, const char *v)
{
    psy_status rc = psy__rec_text(st, field, v, 128, 0);
    if (rc || !*v) return rc;
    const char *at = strchr(v, '@');
    if (!at || at == v || strchr(at + 1, '@') || !strchr(at + 1, '.') || at[1] == '.' || v[strlen(v) - 1] == '.' ||
        strpbrk(v, " \t,;<>\"()[]"))
        return psy__rec_bad(st, field, "not an email address (name@example.org)");
    return PSY_OK;
}

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
    if (!rc) rc = check_phone(st, "phone", c->phone);
    if (!rc) rc = check_email(st, "email", c->email);
    if (!rc) rc = psy__rec_text(st, "emergency_name", c->emergency_name, 128, 0);
    if (!rc) rc = check_phone(st, "emergency_phone", c->emergency_phone);
    if (!rc && *c->emergency_name && !*c->emergency_phone)
        rc = psy__rec_bad(st, "emergency_phone", "required with an emergency contact");
    if (!rc && !*c->emergency_name && (*c->emergency_phone || *c->emergency_relation))
        rc = psy__rec_bad(st, "emergency_name", "required with an emergency phone or relation");
    if (!rc) rc = psy__rec_text(st, "emergency_relation", c->emergency_relation, 32, 0);
    if (!rc) rc = psy__rec_date(st, "telehealth_consent_date", c->telehealth_consent_date, 0);
    if (!rc && dx) rc = psy__rec_dx(st, "dx", c->n_dx, c->dx, dx, today);
    if (!rc && c->active != 0 && c->active != 1) rc = psy__rec_bad(st, "active", "0 or 1");
    if (!rc) rc = psy__rec_date(st, "discharge_date", c->discharge_date, 0);
    if (!rc && c->active && *c->discharge_date) rc = psy__rec_bad(st, "discharge_date", "only a discharged client has one");
    if (!rc && *c->discharge_date && strcmp(c->discharge_date, c->birth_date) < 0)
        rc = psy__rec_bad(st, "discharge_date", "before birth_date");
    return rc;
}

psy_status psy__rec_client_fields(psy_store *st, const struct psy_client *c, char zip[10])
{
    return check_client(st, c, zip, NULL);
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
                             "state = ?, zip = ?, phone = ?, telehealth_consent_date = ?, active = ?, email = ?, "
                             "emergency_name = ?, emergency_phone = ?, emergency_relation = ?, discharge_date = ?, "
                             "updated_at = ?",
                             PSY_ARGS(PSY_TEXT_OR_EMPTY(c->first_name), PSY_TEXT_OR_EMPTY(c->last_name),
                                      PSY_TEXT_OR_EMPTY(c->birth_date), PSY_TEXT_OR_EMPTY(c->sex),
                                      PSY_TEXT_OR_EMPTY(c->address), PSY_TEXT_OR_EMPTY(c->city),
                                      PSY_TEXT_OR_EMPTY(c->state), PSY_TEXT_OR_EMPTY(zip), PSY_TEXT_OR_EMPTY(c->phone),
                                      PSY_TEXT_OR_NULL(c->telehealth_consent_date), PSY_INT(c->active),
                                      PSY_TEXT_OR_EMPTY(c->email), PSY_TEXT_OR_EMPTY(c->emergency_name),
                                      PSY_TEXT_OR_EMPTY(c->emergency_phone), PSY_TEXT_OR_EMPTY(c->emergency_relation),
                                      PSY_TEXT_OR_NULL(c->discharge_date), PSY_TEXT_OR_EMPTY(now)));
    else
        rc = psy__db_insert(st, id,
                            "INSERT INTO client (practice_id, first_name, last_name, birth_date, sex, address, city, "
                            "state, zip, phone, telehealth_consent_date, email, emergency_name, emergency_phone, "
                            "emergency_relation, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            PSY_ARGS(PSY_INT(practice), PSY_TEXT_OR_EMPTY(c->first_name),
                                     PSY_TEXT_OR_EMPTY(c->last_name), PSY_TEXT_OR_EMPTY(c->birth_date),
                                     PSY_TEXT_OR_EMPTY(c->sex), PSY_TEXT_OR_EMPTY(c->address),
                                     PSY_TEXT_OR_EMPTY(c->city), PSY_TEXT_OR_EMPTY(c->state), PSY_TEXT_OR_EMPTY(zip),
                                     PSY_TEXT_OR_EMPTY(c->phone), PSY_TEXT_OR_NULL(c->telehealth_consent_date),
                                     PSY_TEXT_OR_EMPTY(c->email), PSY_TEXT_OR_EMPTY(c->emergency_name),
                                     PSY_TEXT_OR_EMPTY(c->emergency_phone), PSY_TEXT_OR_EMPTY(c->emergency_relation),
                                     PSY_TEXT_OR_EMPTY(now), PSY_TEXT_OR_EMPTY(now)));
    const char *vals[PSY_REC_DX_MAX];
    for (int i = 0; i < c->n_dx; i++) vals[i] = dx[i];
    if (!rc) rc = psy__rec_put_list(st, "client_diagnosis", "client_id", "code", practice, *id, c->n_dx, vals, 1);
    return rc;
}

psy_status psy_records_client_add(psy_store *st, psy_id practice, const struct psy_client *c, psy_id *id)
{
    struct psy_client tmp = *c;
    tmp.active = 1;
    tmp.discharge_date[0] = '\0';
    return psy__rec_write_one(st, practice, "client", 0, 0, "create", 0, write_client, &tmp, id);
}

psy_status psy_records_client_update(psy_store *st, psy_id practice, const struct psy_client *c)
{
    return psy__rec_write_one(st, practice, "client", c->id, c->version, "update", 0, write_client, c, NULL);
}

#define C(f, t) PSY__COL(struct psy_client, f, t)
static const struct psy__col client_cols[] = {
    C(id, i),    C(first_name, s), C(last_name, s), C(birth_date, s), C(sex, s),
    C(address, s), C(city, s),     C(state, s),     C(zip, s),        C(phone, s),
    C(telehealth_consent_date, s),   C(active, d),    C(version, d),    C(email, s),
    C(emergency_name, s), C(emergency_phone, s), C(emergency_relation, s), C(discharge_date, s)};
#undef C
static const struct psy__map client_map = PSY__MAP(client_cols);

/* Reads (client_id, code) rows ordered by client then position into the clients (sorted by id). */
static psy_status attach_dx(psy_store *st, psy_id practice, psy_id only, struct psy_client *cs, size_t n)
{
    psy__stmt *s;
    /* one client's through the key (client_id, position); "only = 0 OR client_id = only" would read
     * every diagnosis of the practice for each client */
    psy_status rc = only ? psy__db_query(st, &s,
                                         "SELECT client_id, code FROM client_diagnosis WHERE practice_id = ? "
                                         "AND client_id = ? ORDER BY client_id, position",
                                         PSY_ARGS(PSY_INT(practice), PSY_INT(only)))
                         : psy__db_query(st, &s,
                                         "SELECT client_id, code FROM client_diagnosis WHERE practice_id = ? "
                                         "ORDER BY client_id, position",
                                         PSY_ARGS(PSY_INT(practice)));
    if (rc) return rc;
    size_t j = 0;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        psy_id cid = psy__sql_int64(s, 0);
        while (j < n && cs[j].id < cid) j++;
        if (j < n && cs[j].id == cid && cs[j].n_dx < PSY_REC_DX_MAX)
            psy__db_col_copy(s, 1, cs[j].dx[cs[j].n_dx++], PSY_CODE_MAX);
    }
    if (r == PSY_SQL_ERROR) rc = psy__store_dbfail(st, "records");
    psy__sql_finalize(s);
    return rc;
}

psy_status psy_records_client_get(psy_store *st, psy_id practice, psy_id id, struct psy_client *c)
{
    memset(c, 0, sizeof *c);
    psy_status rc = psy__rec_get(st, c, &client_map, "client", id, "FROM client WHERE practice_id = ? AND id = ?",
                                 PSY_ARGS(PSY_INT(practice), PSY_INT(id)));
    return rc ? rc : attach_dx(st, practice, id, c, 1);
}

psy_status psy_records_client_list(psy_store *st, psy_id practice, struct psy_client **out, size_t *n)
{
    psy_status rc = psy__db_rows(st, (void **)out, n, sizeof **out, &client_map,
                                 "FROM client WHERE practice_id = ? ORDER BY id", PSY_ARGS(PSY_INT(practice)));
    return rc ? rc : attach_dx(st, practice, 0, *out, *n);
}

/* One change of the diagnosis list: op 'a' add at position (0 = last), 'r' remove, 'm' move. */
static psy_status client_dx_change(psy_store *st, psy_id practice, psy_id client, int version, const char *code,
                                   int position, char op)
{
    struct psy_client c;
    char want[PSY_CODE_MAX], norm[1][PSY_CODE_MAX];
    psy_status rc = psy_records_client_get(st, practice, client, &c);
    if (rc) return rc;
    if (c.version != version)
        return psy__store_fail(st, PSY_ECONFLICT, "version: client %lld changed since it was read (now version %d)",
                               (long long)client, c.version);
    if (!code || !*code) return psy__rec_bad(st, "dx", "a diagnosis code is required");
    snprintf(want, sizeof want, "%s", code);
    /* the display form, so "f321" finds "F32.1" */
    if (op == 'a') {
        char today[PSY_DATE_MAX];
        psy__rec_today(today);
        if ((rc = psy__rec_dx(st, "dx", 1, (const char(*)[PSY_CODE_MAX])&want, norm, today))) return rc;
    } else if (psy_catalog_normalize(PSY_SYS_ICD10CM, want, norm[0])) {
        return psy__rec_bad(st, "dx", "not an ICD-10-CM code");
    }
    int at = -1;
    for (int i = 0; i < c.n_dx; i++)
        if (!strcmp(c.dx[i], norm[0])) at = i;
    int n = c.n_dx;
    if (op == 'a') {
        if (at >= 0) return psy__rec_bad(st, "dx", "the client already has this diagnosis");
        if (n >= PSY_REC_DX_MAX) return psy__rec_bad(st, "dx", "at most %d diagnoses", PSY_REC_DX_MAX);
        if (position < 0 || position > n + 1) return psy__rec_bad(st, "position", "between 1 and %d", n + 1);
        int to = position ? position - 1 : n;
        memmove(c.dx[to + 1], c.dx[to], (size_t)(n - to) * PSY_CODE_MAX);
        snprintf(c.dx[to], PSY_CODE_MAX, "%s", norm[0]);
        c.n_dx++;
    } else {
        if (at < 0) return psy__rec_bad(st, "dx", "the client does not have this diagnosis");
        if (op == 'r') {
            memmove(c.dx[at], c.dx[at + 1], (size_t)(n - at - 1) * PSY_CODE_MAX);
            c.n_dx--;
        } else {
            if (position < 1 || position > n) return psy__rec_bad(st, "position", "between 1 and %d", n);
            char keep[PSY_CODE_MAX];
            memcpy(keep, c.dx[at], PSY_CODE_MAX);
            memmove(c.dx[at], c.dx[at + 1], (size_t)(n - at - 1) * PSY_CODE_MAX);
            int to = position - 1;
            memmove(c.dx[to + 1], c.dx[to], (size_t)(n - 1 - to) * PSY_CODE_MAX);
            memcpy(c.dx[to], keep, PSY_CODE_MAX);
        }
    }
    return psy_records_client_update(st, practice, &c);
}

psy_status psy_records_client_dx_add(psy_store *st, psy_id practice, psy_id client, int version, const char *code,
                                     int position)
{
    return client_dx_change(st, practice, client, version, code, position, 'a');
}

psy_status psy_records_client_dx_remove(psy_store *st, psy_id practice, psy_id client, int version, const char *code)
{
    return client_dx_change(st, practice, client, version, code, 0, 'r');
}

psy_status psy_records_client_dx_move(psy_store *st, psy_id practice, psy_id client, int version, const char *code,
                                      int position)
{
    return client_dx_change(st, practice, client, version, code, position, 'm');
}

psy_status psy_records_client_find(psy_store *st, psy_id practice, const char *first_name, const char *last_name,
                                   const char *birth_date, psy_id *id)
{
    int64_t v;
    psy_status rc =
        psy__db_int(st, &v,
                    "SELECT id FROM client WHERE practice_id = ? AND birth_date = ? AND lower(first_name) = "
                    "lower(?) AND lower(last_name) = lower(?) ORDER BY id",
                    PSY_ARGS(PSY_INT(practice), PSY_TEXT_OR_EMPTY(birth_date), PSY_TEXT_OR_EMPTY(first_name),
                             PSY_TEXT_OR_EMPTY(last_name)));
    if (rc == PSY_OK) *id = v;
    return rc;
}

/* --- payers ------------------------------------------------------------------------------------------ */

static const char *const payer_kinds[] = {"medicare", "medicaid", "commercial", "other", NULL};

/* A payer profile id must name a built-in profile (data/payers/). */
static psy_status check_profile(psy_store *st, const char *profile)
{
    const psy_payers *ps = psy__payers_builtin_shared();
    if (!ps) return psy__store_fail(st, PSY_EPARSE, "profile: the built-in payer profiles do not parse");
    struct psy__buf known = {0};
    int found = 0;
    for (size_t i = 0; i < psy_payers_count(ps); i++) {
        if (!strcmp(psy_payers_id(ps, i), profile)) found = 1;
        psy__buf_printf(&known, "%s%s", i ? ", " : "", psy_payers_id(ps, i));
    }
    psy_status rc = found ? PSY_OK : psy__rec_bad(st, "profile", "no payer profile '%.31s' (known: %s)", profile,
                                                  known.p ? known.p : "");
    psy__buf_free(&known);
    return rc;
}

static psy_status write_payer(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version)
{
    static const int zip_lengths[] = {5, 9, 0};
    const struct psy_payer *p = rec;
    char now[PSY_REC_TIME_MAX], zip[10];
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
    if (!rc && *p->profile) rc = check_profile(st, p->profile);
    if (!rc) rc = psy__rec_text(st, "address", p->address, 128, 0);
    if (!rc) rc = psy__rec_text(st, "city", p->city, 64, 0);
    if (!rc && *p->state &&
        (strlen(p->state) != 2 || !isupper((unsigned char)p->state[0]) || !isupper((unsigned char)p->state[1])))
        rc = psy__rec_bad(st, "state", "two capital letters (postal code)");
    if (!rc) rc = psy__rec_digits(st, "zip", p->zip, zip_lengths, zip, 10, 0);
    if (!rc && (p->timely_filing_days < 0 || p->timely_filing_days > 3650))
        rc = psy__rec_bad(st, "timely_filing_days", "0 (not known) to 3650 days");
    if (!rc) {
        psy_status q =
            psy__db_int(st, &other, "SELECT id FROM payer WHERE practice_id = ? AND payer_code = ? AND id <> ?",
                        PSY_ARGS(PSY_INT(practice), PSY_TEXT_OR_EMPTY(p->payer_code), PSY_INT(*id)));
        if (q == PSY_OK) rc = psy__store_fail(st, PSY_ECONFLICT, "payer_code: another payer of this practice has it");
        else if (q != PSY_ENOTFOUND) rc = q;
    }
    if (rc) return rc;
    if (*id)
        return psy__rec_update(st, "payer", practice, *id, version,
                               "name = ?, payer_code = ?, kind = ?, group_max = ?, requires_auth = ?, profile = ?, "
                               "address = ?, city = ?, state = ?, zip = ?, timely_filing_days = ?, updated_at = ?",
                               PSY_ARGS(PSY_TEXT_OR_EMPTY(p->name), PSY_TEXT_OR_EMPTY(p->payer_code),
                                        PSY_TEXT_OR_EMPTY(p->kind), PSY_INT(p->group_max), PSY_INT(p->requires_auth),
                                        PSY_TEXT_OR_EMPTY(p->profile), PSY_TEXT_OR_EMPTY(p->address),
                                        PSY_TEXT_OR_EMPTY(p->city), PSY_TEXT_OR_EMPTY(p->state), PSY_TEXT_OR_EMPTY(zip),
                                        PSY_INT(p->timely_filing_days), PSY_TEXT_OR_EMPTY(now)));
    return psy__db_insert(st, id,
                          "INSERT INTO payer (practice_id, name, payer_code, kind, group_max, requires_auth, profile, "
                          "address, city, state, zip, timely_filing_days, created_at, updated_at) "
                          "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                          PSY_ARGS(PSY_INT(practice), PSY_TEXT_OR_EMPTY(p->name), PSY_TEXT_OR_EMPTY(p->payer_code),
                                   PSY_TEXT_OR_EMPTY(p->kind), PSY_INT(p->group_max), PSY_INT(p->requires_auth),
                                   PSY_TEXT_OR_EMPTY(p->profile), PSY_TEXT_OR_EMPTY(p->address),
                                   PSY_TEXT_OR_EMPTY(p->city), PSY_TEXT_OR_EMPTY(p->state), PSY_TEXT_OR_EMPTY(zip),
                                   PSY_INT(p->timely_filing_days), PSY_TEXT_OR_EMPTY(now), PSY_TEXT_OR_EMPTY(now)));
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
static const struct psy__col payer_cols[] = {C(id, i),        C(name, s),          C(payer_code, s), C(kind, s),
                                                 C(group_max, d), C(requires_auth, d), C(version, d),
                                                 C(profile, s),   C(address, s),       C(city, s),
                                                 C(state, s),     C(zip, s),           C(timely_filing_days, d)};
#undef C
static const struct psy__map payer_map = PSY__MAP(payer_cols);

psy_status psy_records_payer_get(psy_store *st, psy_id practice, psy_id id, struct psy_payer *p)
{
    memset(p, 0, sizeof *p);
    return psy__rec_get(st, p, &payer_map, "payer", id, "FROM payer WHERE practice_id = ? AND id = ?",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(id)));
}

psy_status psy_records_payer_list(psy_store *st, psy_id practice, struct psy_payer **out, size_t *n)
{
    return psy__db_rows(st, (void **)out, n, sizeof **out, &payer_map, "FROM payer WHERE practice_id = ? ORDER BY id",
                        PSY_ARGS(PSY_INT(practice)));
}

psy_status psy_records_payer_find(psy_store *st, psy_id practice, const char *payer_code, psy_id *id)
{
    int64_t v;
    psy_status rc = psy__db_int(st, &v, "SELECT id FROM payer WHERE practice_id = ? AND payer_code = ?",
                                PSY_ARGS(PSY_INT(practice), PSY_TEXT_OR_EMPTY(payer_code ? payer_code : "")));
    if (rc == PSY_OK) *id = v;
    return rc;
}

const char *psy_records_payer_profile(const struct psy_payer *p)
{
    if (*p->profile) return p->profile;
    if (!strcmp(p->kind, "medicare")) return "medicare";
    if (!strcmp(p->kind, "medicaid")) return "example-medicaid";
    if (!strcmp(p->kind, "commercial")) return "example-commercial";
    return "default";
}

/* --- policies ------------------------------------------------------------------------------------------ */

static const char *const relations[] = {"self", "spouse", "child", "other", NULL};

/* Checks that [start, end] (end "" = open) of a new row does not overlap another row of the same
 * client and key in table. */
static psy_status check_overlap(psy_store *st, const char *field, const char *sql, psy_id practice, psy_id client,
                                int key, const char *start, const char *end, psy_id self)
{
    int64_t other;
    psy_status rc = psy__db_int(st, &other, sql,
                                PSY_ARGS(PSY_INT(practice), PSY_INT(client), PSY_INT(key),
                                         PSY_TEXT_OR_EMPTY(end && *end ? end : "9999-12-31"), PSY_TEXT_OR_NULL(start),
                                         PSY_INT(self)));
    if (rc == PSY_OK) return psy__rec_bad(st, field, "overlaps record %lld of this client", (long long)other);
    return rc == PSY_ENOTFOUND ? PSY_OK : rc;
}

/* On update, the record's client may not change: field names the refusal. */
static psy_status same_client(psy_store *st, const char *table, psy_id practice, psy_id id, psy_id client)
{
    char sql[96];
    int64_t have;
    snprintf(sql, sizeof sql, "SELECT client_id FROM %s WHERE practice_id = ? AND id = ?", table);
    psy_status rc = psy__db_int(st, &have, sql, PSY_ARGS(PSY_INT(practice), PSY_INT(id)));
    if (!rc && have != client) rc = psy__rec_bad(st, "client_id", "cannot change: add a new record for the other client");
    return rc;
}

psy_status psy__rec_policy_fields(psy_store *st, const struct psy_policy *p)
{
    psy_status rc = psy__rec_text(st, "member_id", p->member_id, 30, PSY__REQ);
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
    return rc;
}

static psy_status write_policy(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version)
{
    const struct psy_policy *p = rec;
    char now[PSY_REC_TIME_MAX];
    psy__rec_now(now);
    psy_status rc = *id ? same_client(st, "policy", practice, *id, p->client_id) : PSY_OK;
    if (!rc) rc = psy__rec_ref(st, "client_id", "client", practice, p->client_id, 0);
    if (!rc) rc = psy__rec_ref(st, "payer_id", "payer", practice, p->payer_id, 0);
    if (!rc) rc = psy__rec_policy_fields(st, p);
    if (!rc)
        rc = check_overlap(st, "priority",
                           "SELECT id FROM policy WHERE practice_id = ? AND client_id = ? AND priority = ? "
                           "AND start_date <= ? AND (end_date IS NULL OR end_date >= ?) AND id <> ?",
                           practice, p->client_id, p->priority, p->end_date, p->start_date, *id);
    if (rc) return rc;
    if (*id)
        return psy__rec_update(st, "policy", practice, *id, version,
                               "payer_id = ?, member_id = ?, group_number = ?, priority = ?, relation = ?, "
                               "subscriber_first = ?, subscriber_last = ?, subscriber_birth = ?, copay_cents = ?, "
                               "start_date = ?, end_date = ?, updated_at = ?",
                               PSY_ARGS(PSY_INT(p->payer_id), PSY_TEXT_OR_EMPTY(p->member_id),
                                        PSY_TEXT_OR_EMPTY(p->group_number), PSY_INT(p->priority),
                                        PSY_TEXT_OR_EMPTY(p->relation), PSY_TEXT_OR_EMPTY(p->subscriber_first),
                                        PSY_TEXT_OR_EMPTY(p->subscriber_last), PSY_TEXT_OR_NULL(p->subscriber_birth),
                                        PSY_INT((psy_id)p->copay_cents), PSY_TEXT_OR_EMPTY(p->start_date),
                                        PSY_TEXT_OR_NULL(p->end_date), PSY_TEXT_OR_EMPTY(now)));
    return psy__db_insert(st, id,
                          "INSERT INTO policy (practice_id, client_id, payer_id, member_id, group_number, priority, "
                          "relation, subscriber_first, subscriber_last, subscriber_birth, copay_cents, start_date, "
                          "end_date, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                          PSY_ARGS(PSY_INT(practice), PSY_INT(p->client_id), PSY_INT(p->payer_id),
                                   PSY_TEXT_OR_EMPTY(p->member_id), PSY_TEXT_OR_EMPTY(p->group_number),
                                   PSY_INT(p->priority), PSY_TEXT_OR_EMPTY(p->relation),
                                   PSY_TEXT_OR_EMPTY(p->subscriber_first), PSY_TEXT_OR_EMPTY(p->subscriber_last),
                                   PSY_TEXT_OR_NULL(p->subscriber_birth), PSY_INT((psy_id)p->copay_cents),
                                   PSY_TEXT_OR_EMPTY(p->start_date), PSY_TEXT_OR_NULL(p->end_date),
                                   PSY_TEXT_OR_EMPTY(now), PSY_TEXT_OR_EMPTY(now)));
}

psy_status psy_records_policy_add(psy_store *st, psy_id practice, const struct psy_policy *p, psy_id *id)
{
    return psy__rec_write_one(st, practice, "policy", 0, 0, "create", 0, write_policy, p, id);
}

psy_status psy_records_policy_update(psy_store *st, psy_id practice, const struct psy_policy *p)
{
    return psy__rec_write_one(st, practice, "policy", p->id, p->version, "update", 0, write_policy, p, NULL);
}

#define C(f, t) PSY__COL(struct psy_policy, f, t)
static const struct psy__col policy_cols[] = {
    C(id, i),         C(client_id, i),       C(payer_id, i),         C(member_id, s),   C(group_number, s),
    C(priority, d),   C(relation, s),        C(subscriber_first, s), C(subscriber_last, s),
    C(subscriber_birth, s), C(copay_cents, i), C(start_date, s),    C(end_date, s),    C(version, d)};
#undef C
static const struct psy__map policy_map = PSY__MAP(policy_cols);

psy_status psy_records_policy_get(psy_store *st, psy_id practice, psy_id id, struct psy_policy *p)
{
    memset(p, 0, sizeof *p);
    return psy__rec_get(st, p, &policy_map, "policy", id, "FROM policy WHERE practice_id = ? AND id = ?",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(id)));
}

psy_status psy_records_policy_on(psy_store *st, psy_id practice, psy_id client, const char *date, int priority,
                                 struct psy_policy *p)
{
    memset(p, 0, sizeof *p);
    return psy__rec_get(st, p, &policy_map, "policy in force for client", client,
                        "FROM policy WHERE practice_id = ? AND client_id = ? AND priority = ? "
                        "AND start_date <= ? AND (end_date IS NULL OR end_date >= ?) ORDER BY start_date DESC, id DESC",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(client), PSY_INT(priority), PSY_TEXT_OR_EMPTY(date),
                                 PSY_TEXT_OR_EMPTY(date)));
}

/* --- authorisations ------------------------------------------------------------------------------------- */

static const char *const unit_kinds[] = {"unit", "visit", NULL};

static psy_status write_auth(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version)
{
    const struct psy_authorisation *a = rec;
    char now[PSY_REC_TIME_MAX], codes[PSY_REC_AUTH_CODES_MAX][PSY_CODE_MAX], f[24];
    psy__rec_now(now);
    psy_status rc = *id ? same_client(st, "authorisation", practice, *id, a->client_id) : PSY_OK;
    if (!rc) rc = psy__rec_ref(st, "client_id", "client", practice, a->client_id, 0);
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
    if (*id)
        rc = psy__rec_update(st, "authorisation", practice, *id, version,
                             "payer_id = ?, number = ?, unit_kind = ?, units_approved = ?, units_prior = ?, "
                             "start_date = ?, end_date = ?, updated_at = ?",
                             PSY_ARGS(PSY_INT(a->payer_id), PSY_TEXT_OR_EMPTY(a->number),
                                      PSY_TEXT_OR_EMPTY(a->unit_kind), PSY_INT(a->units_approved),
                                      PSY_INT(a->units_prior), PSY_TEXT_OR_EMPTY(a->start_date),
                                      PSY_TEXT_OR_EMPTY(a->end_date), PSY_TEXT_OR_EMPTY(now)));
    else
        rc = psy__db_insert(
            st, id,
            "INSERT INTO authorisation (practice_id, client_id, payer_id, number, unit_kind, units_approved, "
            "units_prior, start_date, end_date, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            PSY_ARGS(PSY_INT(practice), PSY_INT(a->client_id), PSY_INT(a->payer_id), PSY_TEXT_OR_EMPTY(a->number),
                     PSY_TEXT_OR_EMPTY(a->unit_kind), PSY_INT(a->units_approved), PSY_INT(a->units_prior),
                     PSY_TEXT_OR_EMPTY(a->start_date), PSY_TEXT_OR_EMPTY(a->end_date), PSY_TEXT_OR_EMPTY(now),
                     PSY_TEXT_OR_EMPTY(now)));
    const char *vals[PSY_REC_AUTH_CODES_MAX];
    for (int i = 0; i < a->n_codes; i++) vals[i] = codes[i];
    if (!rc) rc = psy__rec_put_list(st, "authorisation_code", "authorisation_id", "code", practice, *id, a->n_codes, vals, 0);
    return rc;
}

psy_status psy_records_auth_add(psy_store *st, psy_id practice, const struct psy_authorisation *a, psy_id *id)
{
    return psy__rec_write_one(st, practice, "authorisation", 0, 0, "create", 0, write_auth, a, id);
}

psy_status psy_records_auth_update(psy_store *st, psy_id practice, const struct psy_authorisation *a)
{
    return psy__rec_write_one(st, practice, "authorisation", a->id, a->version, "update", 0, write_auth, a, NULL);
}

#define C(f, t) PSY__COL(struct psy_authorisation, f, t)
static const struct psy__col auth_cols[] = {C(id, i),          C(client_id, i),      C(payer_id, i),
                                                C(number, s),      C(unit_kind, s),      C(units_approved, d),
                                                C(units_prior, d), C(start_date, s),     C(end_date, s),
                                                C(version, d)};
#undef C
static const struct psy__map auth_map = PSY__MAP(auth_cols);

psy_status psy_records_auth_get(psy_store *st, psy_id practice, psy_id id, struct psy_authorisation *a)
{
    psy__stmt *s;
    memset(a, 0, sizeof *a);
    psy_status rc =
        psy__rec_get(st, a, &auth_map, "authorisation", id, "FROM authorisation WHERE practice_id = ? AND id = ?",
                     PSY_ARGS(PSY_INT(practice), PSY_INT(id)));
    if (rc) return rc;
    rc = psy__db_query(
        st, &s, "SELECT code FROM authorisation_code WHERE practice_id = ? AND authorisation_id = ? ORDER BY code",
        PSY_ARGS(PSY_INT(practice), PSY_INT(id)));
    if (rc) return rc;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW && a->n_codes < PSY_REC_AUTH_CODES_MAX)
        psy__db_col_copy(s, 0, a->codes[a->n_codes++], PSY_CODE_MAX);
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
     * when present or billed; it counts when its code is one the authorisation covers or not set yet.
     * (The unary + keeps SQLite on the client's index, not the practice's sessions of the period.) */
    rc = psy__db_int(st, &lines,
                     "SELECT (SELECT COUNT(*) FROM session s WHERE +s.practice_id = ? AND s.client_id = ? "
                     "  AND s.service_date BETWEEN ? AND ? AND (s.billed_code IS NULL OR s.billed_code IN "
                     "  (SELECT code FROM authorisation_code WHERE authorisation_id = ?))) + "
                     "(SELECT COUNT(*) FROM attendance t JOIN session s ON s.id = t.session_id "
                     "  WHERE t.practice_id = ? AND t.client_id = ? AND s.service_date BETWEEN ? AND ? "
                     "  AND ((t.billed_code IS NULL AND t.present = 1) OR t.billed_code IN "
                     "  (SELECT code FROM authorisation_code WHERE authorisation_id = ?)))",
                     PSY_ARGS(PSY_INT(practice), PSY_INT(a.client_id), PSY_TEXT_OR_EMPTY(a.start_date),
                              PSY_TEXT_OR_EMPTY(a.end_date), PSY_INT(id), PSY_INT(practice), PSY_INT(a.client_id),
                              PSY_TEXT_OR_EMPTY(a.start_date), PSY_TEXT_OR_EMPTY(a.end_date), PSY_INT(id)));
    if (!rc) *used = a.units_prior + (int)lines;
    return rc;
}

psy_status psy__records_policies(psy_store *st, psy_id practice, struct psy_policy **out, size_t *n)
{
    return psy__db_rows(st, (void **)out, n, sizeof **out, &policy_map, "FROM policy WHERE practice_id = ? ORDER BY id",
                        PSY_ARGS(PSY_INT(practice)));
}
