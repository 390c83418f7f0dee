/*
 * cli_edit.c -- the practice's records from the command line: `psyclaim clinician|payer|client|policy|
 * auth|plan|group add|edit|list|show`, `client dx add|remove|move`, `plan sign`, `group join|leave`.
 *
 * Each record kind is a table of fields (the JSON key, the flag, where it lives in the library's struct
 * and how its text is read), so flags (`--first-name Ada`), a JSON object (`--json FILE`, `-` for
 * stdin) and the output of `show --json` all use the same names. An edit reads the record, applies the
 * flags or JSON on top and writes it at the version it read, or at --version when given: a record
 * someone changed in between is refused (exit 1) and nothing is written. Bad input exits 2 with the
 * field named, as the library names it ("npi: check digit does not match") plus the flag.
 */
#include <ctype.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* --- fields ------------------------------------------------------------------------------------------ */

/* How a field's text is read:
 *   s text (char array)   d whole number (int)   i record id (psy_id)   b yes/no (int 0/1)
 *   c dollars into cents (int64_t)   p priority primary/secondary/tertiary (int 1-3)
 *   a status active/discharged (int active)   m modalities individual,group,family (int bits)
 *   x codes, comma-separated (char[N][PSY_CODE_MAX] with an int count)
 *   l texts, one per flag (char *[N] with an int count; owned, freed by the kind's clear) */
struct field {
    const char *key;  /* JSON key and library field name */
    const char *flag; /* without the leading "--" */
    char type;
    size_t off, size;
    size_t count_off; /* x, l: the count member */
    int max;          /* x, l: capacity */
    const char *help;
};

#define F(T, key, flag, t, help) {#key, flag, t, offsetof(T, key), sizeof(((T *)0)->key), 0, 0, help}
#define FL(T, key, flag, t, cnt, max, help) {#key, flag, t, offsetof(T, key), sizeof(((T *)0)->key), offsetof(T, cnt), max, help}
#define FX(T, key, member, flag, t, help) {key, flag, t, offsetof(T, member), sizeof(((T *)0)->member), 0, 0, help}

/* One record kind: its fields and the library calls, behind a common shape. */
struct kind {
    const char *name;  /* command name */
    const char *label; /* in messages */
    size_t size;
    const struct field *fields;
    size_t n_fields;
    psy_status (*add)(psy_store *, psy_id, const void *, psy_id *);
    psy_status (*get)(psy_store *, psy_id, psy_id, void *);
    psy_status (*update)(psy_store *, psy_id, const void *);
    void (*clear)(void *);
    size_t id_off, version_off;
    const char *list_by; /* "" = the whole practice; "client" = needs --client ID */
};

static const char *const priorities[] = {"", "primary", "secondary", "tertiary"};

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"1", "yes", "true", "y", NULL}, *const no[] = {"0", "no", "false", "n", NULL};
    for (int i = 0; yes[i]; i++)
        if (!strcasecmp(v, yes[i])) return *out = 1, 1;
    for (int i = 0; no[i]; i++)
        if (!strcasecmp(v, no[i])) return *out = 0, 1;
    return 0;
}

/* "$1,234.56", "1234.5", "20" -> cents; 0 when malformed. */
static int parse_dollars(const char *v, int64_t *out)
{
    const char *p = v;
    int64_t whole = 0;
    int digits = 0;
    if (*p == '$') p++;
    for (; *p && *p != '.'; p++) {
        if (*p == ',') continue;
        if (!isdigit((unsigned char)*p) || whole > 100000000) return 0;
        whole = whole * 10 + (*p - '0');
        digits++;
    }
    int cents = 0;
    if (*p == '.') {
        p++;
        int n = 0;
        for (; isdigit((unsigned char)*p) && n < 2; p++, n++) cents = cents * 10 + (*p - '0');
        if (n == 1) cents *= 10;
        if (*p) return 0;
    }
    if (!digits && !cents) return 0;
    *out = whole * 100 + cents;
    return 1;
}

/* Sets one field from text; on a bad value prints "KEY: what" and returns 0. For 'l' fields, the first
 * value in one command replaces the list and later ones append (*fresh tracks that per field). */
static int set_field(void *rec, const struct field *f, const char *v, int *fresh)
{
    char *at = (char *)rec + f->off;
    long n;
    char *end;
    switch (f->type) {
    case 's':
        if (strlen(v) >= f->size) {
            cli_error("%s: at most %zu bytes", f->key, f->size - 1);
            return 0;
        }
        memcpy(at, v, strlen(v) + 1);
        return 1;
    case 'd':
    case 'i':
        n = strtol(v, &end, 10);
        if (!*v || *end || n < 0 || (f->type == 'd' && n > 1000000000L)) {
            cli_error("%s: a whole number", f->key);
            return 0;
        }
        if (f->type == 'd') *(int *)at = (int)n;
        else *(psy_id *)at = n;
        return 1;
    case 'b':
        if (!parse_bool(v, (int *)at)) {
            cli_error("%s: yes or no", f->key);
            return 0;
        }
        return 1;
    case 'c':
        if (!parse_dollars(v, (int64_t *)at)) {
            cli_error("%s: an amount in dollars such as 20 or 12.50", f->key);
            return 0;
        }
        return 1;
    case 'p':
        for (int k = 1; k <= 3; k++)
            if (!strcasecmp(v, priorities[k]) || (v[0] == '0' + k && !v[1])) return *(int *)at = k, 1;
        cli_error("%s: primary, secondary or tertiary", f->key);
        return 0;
    case 'a':
        if (!strcasecmp(v, "active")) return *(int *)at = 1, 1;
        if (!strcasecmp(v, "discharged")) return *(int *)at = 0, 1;
        cli_error("%s: active or discharged", f->key);
        return 0;
    case 'm': {
        int bits = 0;
        char buf[64];
        snprintf(buf, sizeof buf, "%s", v);
        for (char *save, *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
            if (!strcasecmp(t, "individual")) bits |= PSY_MOD_INDIVIDUAL;
            else if (!strcasecmp(t, "group")) bits |= PSY_MOD_GROUP;
            else if (!strcasecmp(t, "family")) bits |= PSY_MOD_FAMILY;
            else {
                cli_error("%s: individual, group and/or family, comma-separated", f->key);
                return 0;
            }
        }
        *(int *)at = bits;
        return 1;
    }
    case 'x': {
        int *count = (int *)((char *)rec + f->count_off), k = 0;
        char buf[256];
        snprintf(buf, sizeof buf, "%s", v);
        for (char *save, *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
            if (k >= f->max || strlen(t) >= PSY_CODE_MAX) {
                cli_error("%s: at most %d codes", f->key, f->max);
                return 0;
            }
            snprintf(at + (size_t)k++ * PSY_CODE_MAX, PSY_CODE_MAX, "%s", t);
        }
        *count = k;
        return 1;
    }
    case 'l': {
        int *count = (int *)((char *)rec + f->count_off);
        char **items = (char **)at;
        if (*fresh) {
            for (int k = 0; k < *count; k++) free(items[k]);
            *count = 0;
            *fresh = 0;
        }
        if (*count >= f->max) {
            cli_error("%s: at most %d", f->key, f->max);
            return 0;
        }
        items[(*count)++] = psy_strdup(v);
        return 1;
    }
    }
    return 0;
}

/* Sets a field from a JSON value: strings and numbers as their text, arrays item by item. */
static int set_json(void *rec, const struct field *f, json_t *v)
{
    char buf[64];
    int fresh = 1;
    if (json_is_array(v)) {
        if (f->type == 'l') {
            size_t i;
            json_t *it;
            if (!json_array_size(v)) {
                int *count = (int *)((char *)rec + f->count_off);
                for (int k = 0; k < *count; k++) free(((char **)((char *)rec + f->off))[k]);
                *count = 0;
            }
            json_array_foreach(v, i, it)
            {
                if (!json_is_string(it)) {
                    cli_error("%s[%zu]: a string", f->key, i);
                    return 0;
                }
                if (!set_field(rec, f, json_string_value(it), &fresh)) return 0;
            }
            return 1;
        }
        if (f->type == 'x' || f->type == 'm') {
            char joined[256] = "";
            size_t i;
            json_t *it;
            json_array_foreach(v, i, it)
            {
                if (!json_is_string(it)) {
                    cli_error("%s[%zu]: a string", f->key, i);
                    return 0;
                }
                size_t l = strlen(joined);
                snprintf(joined + l, sizeof joined - l, "%s%s", l ? "," : "", json_string_value(it));
            }
            return set_field(rec, f, joined, &fresh);
        }
    }
    if (json_is_string(v)) return set_field(rec, f, json_string_value(v), &fresh);
    if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        return set_field(rec, f, buf, &fresh);
    }
    if (json_is_real(v) && f->type == 'c') {
        snprintf(buf, sizeof buf, "%.2f", json_real_value(v));
        return set_field(rec, f, buf, &fresh);
    }
    if (json_is_boolean(v)) return set_field(rec, f, json_is_true(v) ? "1" : "0", &fresh);
    if (json_is_null(v)) return set_field(rec, f, f->type == 's' ? "" : "0", &fresh);
    cli_error("%s: not a value this field takes", f->key);
    return 0;
}

static json_t *field_json(const void *rec, const struct field *f)
{
    const char *at = (const char *)rec + f->off;
    char buf[32];
    switch (f->type) {
    case 's': return json_string(at);
    case 'd': return json_integer(*(const int *)at);
    case 'i': return json_integer(*(const psy_id *)at);
    case 'b': return json_boolean(*(const int *)at);
    case 'c':
        snprintf(buf, sizeof buf, "%lld.%02lld", (long long)(*(const int64_t *)at / 100),
                 (long long)(*(const int64_t *)at % 100));
        return json_string(buf);
    case 'p': {
        int p = *(const int *)at;
        return json_string(p >= 1 && p <= 3 ? priorities[p] : "");
    }
    case 'a': return json_string(*(const int *)at ? "active" : "discharged");
    case 'm': {
        int b = *(const int *)at;
        snprintf(buf, sizeof buf, "%s%s%s%s%s", b & PSY_MOD_INDIVIDUAL ? "individual" : "",
                 (b & PSY_MOD_INDIVIDUAL) && (b & 6) ? "," : "", b & PSY_MOD_GROUP ? "group" : "",
                 (b & PSY_MOD_GROUP) && (b & PSY_MOD_FAMILY) ? "," : "", b & PSY_MOD_FAMILY ? "family" : "");
        return json_string(buf);
    }
    case 'x': {
        json_t *a = json_array();
        int n = *(const int *)((const char *)rec + f->count_off);
        for (int k = 0; k < n; k++) json_array_append_new(a, json_string(at + (size_t)k * PSY_CODE_MAX));
        return a;
    }
    case 'l': {
        json_t *a = json_array();
        int n = *(const int *)((const char *)rec + f->count_off);
        for (int k = 0; k < n; k++) json_array_append_new(a, json_string(((char *const *)at)[k]));
        return a;
    }
    }
    return json_null();
}

static json_t *record_json(const struct kind *k, const void *rec)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(*(const psy_id *)((const char *)rec + k->id_off)));
    for (size_t i = 0; i < k->n_fields; i++) json_object_set_new(o, k->fields[i].key, field_json(rec, &k->fields[i]));
    json_object_set_new(o, "version", json_integer(*(const int *)((const char *)rec + k->version_off)));
    return o;
}

static void print_record(const struct kind *k, const void *rec)
{
    json_t *o = record_json(k, rec);
    printf("%s %lld (version %lld)\n", k->label, (long long)json_integer_value(json_object_get(o, "id")),
           (long long)json_integer_value(json_object_get(o, "version")));
    for (size_t i = 0; i < k->n_fields; i++) {
        json_t *v = json_object_get(o, k->fields[i].key);
        if (json_is_array(v)) {
            size_t j;
            json_t *it;
            if (k->fields[i].type == 'x') {
                char *s = json_dumps(v, JSON_COMPACT);
                printf("  %-24s %s\n", k->fields[i].key, s);
                free(s);
            } else
                json_array_foreach(v, j, it) printf("  %-24s %zu. %s\n", j ? "" : k->fields[i].key, j + 1, json_string_value(it));
        } else if (json_is_string(v)) {
            if (*json_string_value(v)) printf("  %-24s %s\n", k->fields[i].key, json_string_value(v));
        } else if (json_is_integer(v)) {
            if (json_integer_value(v) || k->fields[i].type == 'd') printf("  %-24s %lld\n", k->fields[i].key, (long long)json_integer_value(v));
        } else if (json_is_boolean(v)) {
            printf("  %-24s %s\n", k->fields[i].key, json_is_true(v) ? "yes" : "no");
        }
    }
    json_decref(o);
}

/* --- the record kinds ---------------------------------------------------------------------------------- */

#define T struct psy_clinician
static const struct field clinician_fields[] = {
    F(T, first_name, "first-name", 's', "first name (required)"),
    F(T, last_name, "last-name", 's', "last name (required)"),
    F(T, npi, "npi", 's', "individual NPI, 10 digits with its check digit (required)"),
    F(T, taxonomy, "taxonomy", 's', "NUCC taxonomy code, e.g. 1041C0700X (required)"),
    F(T, credential, "credential", 's', "LCSW, LPC, LMFT, PhD, PsyD, MD ... (required)"),
    F(T, licence_number, "licence-number", 's', "state licence number"),
    F(T, licence_state, "licence-state", 's', "the licensing state, two letters (with a licence number)"),
    F(T, supervisor_id, "supervisor", 'i', "id of the supervising clinician (0 = none)"),
    F(T, active, "active", 'b', "yes or no (edit only)"),
};
#undef T
#define T struct psy_payer
static const struct field payer_fields[] = {
    F(T, name, "name", 's', "payer name (required)"),
    F(T, payer_code, "payer-id", 's', "the payer's electronic id for claims (required)"),
    F(T, kind, "kind", 's', "medicare, medicaid, commercial or other (required)"),
    F(T, profile, "profile", 's', "billing profile in data/payers/ (default: by kind)"),
    F(T, address, "address", 's', "claims address"),
    F(T, city, "city", 's', "city"),
    F(T, state, "state", 's', "state, two letters"),
    F(T, zip, "zip", 's', "ZIP or ZIP+4"),
    F(T, timely_filing_days, "timely-filing-days", 'd', "days after the service a claim must arrive (0 = unknown)"),
    F(T, group_max, "group-max", 'd', "most group members it pays for (0 = default 12)"),
    F(T, requires_auth, "requires-auth", 'b', "yes when sessions need prior authorisation"),
};
#undef T
#define T struct psy_client
static const struct field client_fields[] = {
    F(T, first_name, "first-name", 's', "first name (required)"),
    F(T, last_name, "last-name", 's', "last name (required)"),
    F(T, birth_date, "birth-date", 's', "YYYY-MM-DD (required)"),
    F(T, sex, "sex", 's', "F, M or U (required)"),
    F(T, address, "address", 's', "street address"),
    F(T, city, "city", 's', "city"),
    F(T, state, "state", 's', "state, two letters"),
    F(T, zip, "zip", 's', "ZIP or ZIP+4"),
    F(T, phone, "phone", 's', "phone number"),
    F(T, email, "email", 's', "email address"),
    F(T, emergency_name, "emergency-name", 's', "emergency contact's name"),
    F(T, emergency_phone, "emergency-phone", 's', "emergency contact's phone (with a name)"),
    F(T, emergency_relation, "emergency-relation", 's', "emergency contact's relation, e.g. mother"),
    F(T, telehealth_consent_date, "telehealth-consent", 's', "date telehealth consent was given"),
    FL(T, dx, "dx", 'x', n_dx, PSY_REC_DX_MAX, "ICD-10-CM codes in pointer order, comma-separated"),
    FX(T, "status", active, "status", 'a', "active or discharged (edit only)"),
    F(T, discharge_date, "discharge-date", 's', "YYYY-MM-DD, with status discharged"),
};
#undef T
#define T struct psy_policy
static const struct field policy_fields[] = {
    F(T, client_id, "client", 'i', "client id (required; fixed once added)"),
    F(T, payer_id, "payer", 'i', "payer id (required)"),
    F(T, member_id, "member-id", 's', "member id on the card (required)"),
    F(T, group_number, "group-number", 's', "group number on the card"),
    FX(T, "order", priority, "order", 'p', "primary, secondary or tertiary (required)"),
    F(T, relation, "relation", 's', "subscriber's relation to the client: self, spouse, child, other"),
    F(T, subscriber_first, "subscriber-first", 's', "subscriber's first name (unless self)"),
    F(T, subscriber_last, "subscriber-last", 's', "subscriber's last name (unless self)"),
    F(T, subscriber_birth, "subscriber-birth", 's', "subscriber's birth date"),
    FX(T, "copay", copay_cents, "copay", 'c', "copay in dollars, e.g. 25 or 12.50"),
    F(T, start_date, "start", 's', "first day covered (required)"),
    F(T, end_date, "end", 's', "last day covered (empty = open)"),
};
#undef T
#define T struct psy_authorisation
static const struct field auth_fields[] = {
    F(T, client_id, "client", 'i', "client id (required; fixed once added)"),
    F(T, payer_id, "payer", 'i', "payer id (required)"),
    F(T, number, "number", 's', "the authorisation number (required)"),
    FL(T, codes, "codes", 'x', n_codes, PSY_REC_AUTH_CODES_MAX, "CPT/HCPCS codes covered, comma-separated (required)"),
    F(T, unit_kind, "unit-kind", 's', "unit or visit (required)"),
    F(T, units_approved, "units", 'd', "units or visits approved (required)"),
    F(T, units_prior, "units-used-before", 'd', "units used before the first session recorded here"),
    F(T, start_date, "start", 's', "first day (required)"),
    F(T, end_date, "end", 's', "last day (required)"),
};
#undef T
#define T struct psy_plan
static const struct field plan_fields[] = {
    F(T, client_id, "client", 'i', "client id (required)"),
    F(T, clinician_id, "clinician", 'i', "the clinician responsible (required)"),
    F(T, modalities, "modalities", 'm', "individual, group and/or family, comma-separated (required)"),
    F(T, frequency, "frequency", 's', "e.g. weekly (required)"),
    F(T, session_minutes, "session-minutes", 'd', "planned session length (required)"),
    F(T, start_date, "start", 's', "start date (required)"),
    F(T, review_date, "review", 's', "review-by date (required)"),
    F(T, end_date, "end", 's', "end date (empty = open)"),
    FL(T, dx, "dx", 'x', n_dx, PSY_REC_DX_MAX, "ICD-10-CM codes, comma-separated (required)"),
    FL(T, problems, "problem", 'l', n_problems, PSY_REC_PLAN_ITEMS_MAX, "a problem (repeat the flag for more)"),
    FL(T, goals, "goal", 'l', n_goals, PSY_REC_GOALS_MAX, "a goal (repeat; at least one)"),
    FL(T, objectives, "objective", 'l', n_objectives, PSY_REC_PLAN_ITEMS_MAX, "a measurable objective (repeat)"),
    FL(T, interventions, "intervention", 'l', n_interventions, PSY_REC_PLAN_ITEMS_MAX, "an intervention (repeat)"),
    F(T, clinician_signed_at, "-", 's', "signed by the clinician at (output)"),
    F(T, client_signed_at, "-", 's', "signed by the client at (output)"),
};
#undef T
#define T struct psy_group
static const struct field group_fields[] = {
    F(T, name, "name", 's', "group name (required)"),
    F(T, clinician_id, "clinician", 'i', "leading clinician id (required)"),
    F(T, co_clinician_id, "co-clinician", 'i', "co-therapist id (0 = none)"),
    F(T, modality, "modality", 's', "group or multifamily (required)"),
    F(T, telehealth, "telehealth", 'b', "yes when it meets by video"),
    F(T, capacity, "capacity", 'd', "most members, 2 to 50 (required)"),
    F(T, schedule, "schedule", 's', "e.g. Tue 18:00"),
    F(T, active, "active", 'b', "yes or no (edit only)"),
};
#undef T

#define ADAPT(name, T, fn) \
    static psy_status name##_add(psy_store *st, psy_id pr, const void *r, psy_id *id) { return fn##_add(st, pr, (const T *)r, id); } \
    static psy_status name##_get(psy_store *st, psy_id pr, psy_id id, void *r) { return fn##_get(st, pr, id, (T *)r); } \
    static psy_status name##_update(psy_store *st, psy_id pr, const void *r) { return fn##_update(st, pr, (const T *)r); }
ADAPT(clinician, struct psy_clinician, psy_records_clinician)
ADAPT(payer, struct psy_payer, psy_records_payer)
ADAPT(client, struct psy_client, psy_records_client)
ADAPT(policy, struct psy_policy, psy_records_policy)
ADAPT(auth, struct psy_authorisation, psy_records_auth)
ADAPT(plan, struct psy_plan, psy_records_plan)
ADAPT(group, struct psy_group, psy_records_group)
static void plan_clear(void *r) { psy_plan_clear(r); }

#define KIND(cmd, label, T, fields, nm, clear, by) \
    {cmd, label, sizeof(T), fields, sizeof fields / sizeof fields[0], nm##_add, nm##_get, nm##_update, clear, offsetof(T, id), offsetof(T, version), by}
static const struct kind kinds[] = {
    KIND("clinician", "clinician", struct psy_clinician, clinician_fields, clinician, NULL, ""),
    KIND("payer", "payer", struct psy_payer, payer_fields, payer, NULL, ""),
    KIND("client", "client", struct psy_client, client_fields, client, NULL, ""),
    KIND("policy", "policy", struct psy_policy, policy_fields, policy, NULL, "client"),
    KIND("auth", "authorisation", struct psy_authorisation, auth_fields, auth, NULL, "client"),
    KIND("plan", "treatment plan", struct psy_plan, plan_fields, plan, plan_clear, "client"),
    KIND("group", "group", struct psy_group, group_fields, group, NULL, ""),
};

static const struct kind *kind_named(const char *name)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].name, name)) return &kinds[i];
    return NULL;
}

/* --- arguments ----------------------------------------------------------------------------------------- */

struct args {
    const char *db, *json_path;
    long practice, version, client, clinician, position;
    int as_json, has_version, client_sign;
    const char *date, *note, *reason;
    /* the rest: field flags as name/value pairs, positional words */
    const char *names[128], *values[128];
    char namebuf[128][64];
    int n;
    const char *words[8];
    int n_words;
};

/* The general options every record command takes; field flags are kept for the kind to apply. */
static int parse_args(int argc, char **argv, struct args *a, const char *cmd)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0 || !arg[2]) {
            if (a->n_words >= 8) {
                cli_error("%s: too many arguments", cmd);
                return 0;
            }
            a->words[a->n_words++] = arg;
            continue;
        }
        char name[64];
        const char *eq = strchr(arg + 2, '='), *val;
        snprintf(name, sizeof name, "%.*s", (int)(eq ? (size_t)(eq - arg - 2) : strlen(arg + 2)), arg + 2);
        if (!strcmp(name, "json") && !eq && (i + 1 >= argc || (argv[i + 1][0] == '-' && argv[i + 1][1]))) {
            a->as_json = 1; /* --json alone: JSON output */
            continue;
        }
        if (!strcmp(name, "client-signed")) {
            a->client_sign = 1;
            continue;
        }
        if (!strcmp(name, "dry-run") || !strcmp(name, "skip-bad")) { /* switches, kept as valueless flags */
            if (a->n >= 128) return 0;
            snprintf(a->namebuf[a->n], sizeof a->namebuf[a->n], "%s", name);
            a->names[a->n] = a->namebuf[a->n];
            a->values[a->n++] = NULL;
            continue;
        }
        if (eq) val = eq + 1;
        else if (i + 1 < argc) val = argv[++i];
        else {
            cli_error("%s: --%s needs a value", cmd, name);
            return 0;
        }
        long *num = !strcmp(name, "practice") ? &a->practice : !strcmp(name, "version") ? &a->version : NULL;
        if (!strcmp(name, "db")) a->db = val;
        else if (!strcmp(name, "json")) a->json_path = val;
        else if (num) {
            if (!cli_int_arg(arg, val, 1L << 40, num)) return 0;
            if (num == &a->version) a->has_version = 1;
        } else {
            if (a->n >= 128) {
                cli_error("%s: too many options", cmd);
                return 0;
            }
            snprintf(a->namebuf[a->n], sizeof a->namebuf[a->n], "%s", name);
            a->names[a->n] = a->namebuf[a->n];
            a->values[a->n++] = val;
        }
    }
    return 1;
}

/* Takes a general flag (--client, --date ...) out of the field flags; NULL when absent. */
static const char *take(struct args *a, const char *name)
{
    for (int i = 0; i < a->n; i++)
        if (a->names[i] && !strcmp(a->names[i], name)) {
            a->names[i] = NULL;
            return a->values[i];
        }
    return NULL;
}

static json_t *read_json_input(const char *path)
{
    json_error_t e;
    json_t *j = !strcmp(path, "-") ? json_loadf(stdin, 0, &e) : json_load_file(path, 0, &e);
    if (!j) cli_error("--json %s: line %d: %s", path, e.line, e.text);
    else if (!json_is_object(j)) {
        cli_error("--json %s: a JSON object of fields is expected", path);
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* Applies --json then the field flags to rec; 0 (reason printed) on a bad or unknown field. */
static int apply_input(const struct kind *k, void *rec, struct args *a)
{
    if (a->json_path) {
        json_t *j = read_json_input(a->json_path);
        if (!j) return 0;
        const char *key;
        json_t *v;
        json_object_foreach(j, key, v)
        {
            if (!strcmp(key, "id") || !strcmp(key, "version")) continue;
            const struct field *f = NULL;
            for (size_t i = 0; i < k->n_fields; i++)
                if (!strcmp(k->fields[i].key, key) && strcmp(k->fields[i].flag, "-")) f = &k->fields[i];
            if (!f) {
                cli_error("%s: no field '%s' in a %s (see 'psyclaim help %s')", a->json_path, key, k->label, k->name);
                json_decref(j);
                return 0;
            }
            if (!set_json(rec, f, v)) {
                json_decref(j);
                return 0;
            }
        }
        json_decref(j);
    }
    int fresh[32];
    for (size_t i = 0; i < 32; i++) fresh[i] = 1;
    for (int i = 0; i < a->n; i++) {
        if (!a->names[i]) continue;
        size_t f = 0;
        while (f < k->n_fields && strcmp(k->fields[f].flag, a->names[i])) f++;
        if (f == k->n_fields) {
            cli_error("%s: no option --%s (see 'psyclaim help %s')", k->name, a->names[i], k->name);
            return 0;
        }
        if (!set_field(rec, &k->fields[f], a->values[i], &fresh[f])) return 0;
    }
    return 1;
}

/* Reports a library failure: bad input names the field (and its flag) and exits 2; a stale version,
 * a missing record or a database problem exits 1. */
static int report(psy_store *st, const struct kind *k, psy_status rc, const char *what)
{
    const char *msg = psy_store_errmsg(st);
    char flag[80] = "";
    size_t fl = strcspn(msg, ":[");
    for (size_t i = 0; k && i < k->n_fields; i++)
        if (strlen(k->fields[i].key) == fl && !strncmp(k->fields[i].key, msg, fl) && strcmp(k->fields[i].flag, "-"))
            snprintf(flag, sizeof flag, " (--%s)", k->fields[i].flag);
    cli_error("%s: %s%s", what, msg, flag);
    if (rc == PSY_ECONFLICT && !strncmp(msg, "version", 7))
        fprintf(stderr, "psyclaim: read it again with 'psyclaim %s show ID' and repeat the change\n", k ? k->name : "");
    return rc == PSY_EINVAL ? CLI_USAGE : CLI_FAIL;
}

/* --- actions ------------------------------------------------------------------------------------------- */

static int need_id(const struct args *a, int at, const char *cmd, long *id)
{
    if (a->n_words <= at) {
        cli_error("%s: give the record's id", cmd);
        return 0;
    }
    return cli_int_arg("ID", a->words[at], 1L << 40, id);
}

static void free_rec(const struct kind *k, void *rec)
{
    if (k->clear) k->clear(rec);
    free(rec);
}

static int do_add_edit(const struct kind *k, struct args *a, int edit)
{
    char what[64];
    long id = 0;
    if (edit && !need_id(a, 1, k->name, &id)) return CLI_USAGE;
    if (a->n_words > 1 + edit) {
        cli_error("%s %s: unexpected argument '%s'", k->name, edit ? "edit" : "add", a->words[1 + edit]);
        return CLI_USAGE;
    }
    psy_id pid;
    psy_store *st = cli_open_practice(a->db, a->practice, &pid);
    if (!st) return CLI_FAIL;
    void *rec = psy_calloc(1, k->size);
    int ret = CLI_OK;
    psy_status rc = PSY_OK;
    snprintf(what, sizeof what, "%s %s", k->name, edit ? "edit" : "add");
    if (edit && (rc = k->get(st, pid, id, rec))) {
        ret = report(st, k, rc, what);
        goto out;
    }
    if (!apply_input(k, rec, a)) {
        ret = CLI_USAGE;
        goto out;
    }
    if (edit) {
        if (a->has_version) *(int *)((char *)rec + k->version_off) = (int)a->version;
        rc = k->update(st, pid, rec);
    } else {
        psy_id newid;
        rc = k->add(st, pid, rec, &newid);
        if (!rc) id = newid;
    }
    if (rc) {
        ret = report(st, k, rc, what);
        goto out;
    }
    if (k->clear) k->clear(rec);
    memset(rec, 0, k->size);
    if (!k->get(st, pid, id, rec)) {
        if (a->as_json) {
            json_t *j = record_json(k, rec);
            char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            puts(s);
            free(s);
            json_decref(j);
        } else
            printf("%s %lld %s, version %d\n", k->label, (long long)id, edit ? "changed" : "added",
                   *(int *)((char *)rec + k->version_off));
    }
out:
    free_rec(k, rec);
    psy_store_close(st);
    return ret;
}

static int do_show(const struct kind *k, struct args *a)
{
    long id;
    if (!need_id(a, 1, k->name, &id)) return CLI_USAGE;
    psy_id pid;
    psy_store *st = cli_open_practice(a->db, a->practice, &pid);
    if (!st) return CLI_FAIL;
    void *rec = psy_calloc(1, k->size);
    char what[64];
    snprintf(what, sizeof what, "%s %ld", k->name, id);
    psy_status rc = k->get(st, pid, id, rec);
    int ret = rc ? report(st, k, rc, what) : CLI_OK;
    if (!rc && a->as_json) {
        json_t *j = record_json(k, rec);
        if (!strcmp(k->name, "group")) {
            struct psy_membership *m;
            size_t n;
            if (!psy_records_group_members(st, pid, id, &m, &n)) {
                json_t *arr = json_array();
                for (size_t i = 0; i < n; i++)
                    json_array_append_new(arr, json_pack("{s:I, s:s, s:s}", "client_id", (json_int_t)m[i].client_id, "joined",
                                                         m[i].joined, "left", m[i].left));
                json_object_set_new(j, "members", arr);
                free(m);
            }
        }
        char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
        json_decref(j);
    } else if (!rc) {
        print_record(k, rec);
        if (!strcmp(k->name, "group")) {
            struct psy_membership *m;
            size_t n;
            if (!psy_records_group_members(st, pid, id, &m, &n)) {
                for (size_t i = 0; i < n; i++)
                    printf("  member %-6lld joined %s%s%s\n", (long long)m[i].client_id, m[i].joined, *m[i].left ? ", left " : "",
                           m[i].left);
                free(m);
            }
        }
    }
    free_rec(k, rec);
    psy_store_close(st);
    return ret;
}

/* One line per record for the plain list. */
static void list_line(const struct kind *k, const void *rec)
{
    if (!strcmp(k->name, "client")) {
        const struct psy_client *c = rec;
        char dx[PSY_REC_DX_MAX * PSY_CODE_MAX] = "";
        for (int i = 0; i < c->n_dx; i++) {
            size_t l = strlen(dx);
            snprintf(dx + l, sizeof dx - l, "%s%s", i ? "," : "", c->dx[i]);
        }
        printf("%-6lld %-14s %-16s %s  %s%s\n", (long long)c->id, c->first_name, c->last_name, c->birth_date,
               *dx ? dx : "(no diagnosis)", c->active ? "" : "  discharged");
    } else if (!strcmp(k->name, "clinician")) {
        const struct psy_clinician *c = rec;
        printf("%-6lld %-14s %-16s %-8s NPI %s%s\n", (long long)c->id, c->first_name, c->last_name, c->credential, c->npi,
               c->active ? "" : "  inactive");
    } else if (!strcmp(k->name, "payer")) {
        const struct psy_payer *p = rec;
        printf("%-6lld %-32s %-12s %-10s %s\n", (long long)p->id, p->name, p->payer_code, p->kind, psy_records_payer_profile(p));
    } else if (!strcmp(k->name, "policy")) {
        const struct psy_policy *p = rec;
        printf("%-6lld %-9s payer %-6lld member %-16s %s to %s\n", (long long)p->id,
               p->priority >= 1 && p->priority <= 3 ? priorities[p->priority] : "?", (long long)p->payer_id, p->member_id,
               p->start_date, *p->end_date ? p->end_date : "open");
    } else if (!strcmp(k->name, "auth")) {
        const struct psy_authorisation *x = rec;
        printf("%-6lld %-16s payer %-6lld %d %ss  %s to %s\n", (long long)x->id, x->number, (long long)x->payer_id,
               x->units_approved, x->unit_kind, x->start_date, x->end_date);
    } else if (!strcmp(k->name, "plan")) {
        const struct psy_plan *p = rec;
        printf("%-6lld clinician %-6lld %s, review %s%s\n", (long long)p->id, (long long)p->clinician_id, p->start_date,
               p->review_date, *p->clinician_signed_at ? ", signed" : ", draft");
    } else {
        const struct psy_group *g = rec;
        printf("%-6lld %-32s clinician %-6lld %s%s\n", (long long)g->id, g->name, (long long)g->clinician_id, g->schedule,
               g->active ? "" : "  inactive");
    }
}

static int do_list(const struct kind *k, struct args *a)
{
    const char *client = take(a, "client");
    long cid = 0;
    if (*k->list_by && !client) {
        cli_error("%s list: give --client ID", k->name);
        return CLI_USAGE;
    }
    if (client && !cli_int_arg("--client", client, 1L << 40, &cid)) return CLI_USAGE;
    psy_id pid;
    psy_store *st = cli_open_practice(a->db, a->practice, &pid);
    if (!st) return CLI_FAIL;
    psy_id *ids = NULL;
    size_t n = 0;
    psy_status rc;
    if (!strcmp(k->name, "policy")) rc = psy_records_client_policies(st, pid, cid, &ids, &n);
    else if (!strcmp(k->name, "auth")) rc = psy_records_client_auths(st, pid, cid, &ids, &n);
    else if (!strcmp(k->name, "plan")) rc = psy_records_client_plans(st, pid, cid, &ids, &n);
    else if (!strcmp(k->name, "group")) rc = psy_records_group_list(st, pid, 0, &ids, &n);
    else if (!strcmp(k->name, "client")) rc = psy_records_client_ids(st, pid, 0, &ids, &n);
    else if (!strcmp(k->name, "payer")) {
        struct psy_payer *ps;
        rc = psy_records_payer_list(st, pid, &ps, &n);
        if (!rc) {
            ids = psy_calloc(n + 1, sizeof *ids);
            for (size_t i = 0; i < n; i++) ids[i] = ps[i].id;
            free(ps);
        }
    } else {
        struct psy_clinician *cs;
        rc = psy_records_clinician_list(st, pid, &cs, &n);
        if (!rc) {
            ids = psy_calloc(n + 1, sizeof *ids);
            for (size_t i = 0; i < n; i++) ids[i] = cs[i].id;
            free(cs);
        }
    }
    if (rc) {
        int ret = report(st, k, rc, k->name);
        psy_store_close(st);
        return ret;
    }
    json_t *arr = a->as_json ? json_array() : NULL;
    void *rec = psy_calloc(1, k->size);
    for (size_t i = 0; i < n && !rc; i++) {
        if ((rc = k->get(st, pid, ids[i], rec))) break;
        if (arr) json_array_append_new(arr, record_json(k, rec));
        else list_line(k, rec);
        if (k->clear) k->clear(rec);
    }
    int ret = rc ? report(st, k, rc, k->name) : CLI_OK;
    if (arr && !rc) {
        char *s = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
    }
    json_decref(arr);
    free(rec);
    free(ids);
    psy_store_close(st);
    return ret;
}

/* client dx add|remove|move ID CODE [--position N] [--version V] */
static int do_client_dx(struct args *a)
{
    const struct kind *k = kind_named("client");
    long id, pos = 0;
    if (a->n_words != 4 || (strcmp(a->words[1], "add") && strcmp(a->words[1], "remove") && strcmp(a->words[1], "move"))) {
        cli_error("client dx: give add|remove|move CLIENT_ID CODE (see 'psyclaim help client')");
        return CLI_USAGE;
    }
    if (!cli_int_arg("CLIENT_ID", a->words[2], 1L << 40, &id)) return CLI_USAGE;
    const char *p = take(a, "position");
    if (p && !cli_int_arg("--position", p, PSY_REC_DX_MAX, &pos)) return CLI_USAGE;
    for (int i = 0; i < a->n; i++)
        if (a->names[i]) {
            cli_error("client dx: no option --%s", a->names[i]);
            return CLI_USAGE;
        }
    if (!strcmp(a->words[1], "move") && !p) {
        cli_error("client dx move: give --position N");
        return CLI_USAGE;
    }
    psy_id pid;
    psy_store *st = cli_open_practice(a->db, a->practice, &pid);
    if (!st) return CLI_FAIL;
    struct psy_client c;
    psy_status rc = psy_records_client_get(st, pid, id, &c);
    int version = a->has_version ? (int)a->version : c.version;
    if (!rc) {
        const char *code = a->words[3];
        if (!strcmp(a->words[1], "add")) rc = psy_records_client_dx_add(st, pid, id, version, code, (int)pos);
        else if (!strcmp(a->words[1], "remove")) rc = psy_records_client_dx_remove(st, pid, id, version, code);
        else rc = psy_records_client_dx_move(st, pid, id, version, code, (int)pos);
    }
    int ret = CLI_OK;
    if (rc) ret = report(st, k, rc, "client dx");
    else if (!psy_records_client_get(st, pid, id, &c)) {
        printf("client %ld diagnoses:", id);
        for (int i = 0; i < c.n_dx; i++) printf(" %d. %s", i + 1, c.dx[i]);
        printf(" (version %d)\n", c.version);
    }
    psy_store_close(st);
    return ret;
}

/* plan sign ID --clinician C | --client-signed [--at INSTANT] */
static int do_plan_sign(struct args *a)
{
    long id, clin = 0;
    if (!need_id(a, 1, "plan sign", &id)) return CLI_USAGE;
    const char *c = take(a, "clinician"), *at = take(a, "at");
    if (c && !cli_int_arg("--clinician", c, 1L << 40, &clin)) return CLI_USAGE;
    if (!c == !a->client_sign) {
        cli_error("plan sign: give --clinician ID (the plan's clinician signs) or --client-signed");
        return CLI_USAGE;
    }
    psy_id pid;
    psy_store *st = cli_open_practice(a->db, a->practice, &pid);
    if (!st) return CLI_FAIL;
    psy_status rc = psy_records_plan_sign(st, pid, id, c ? 'c' : 'p', clin, at ? at : "");
    int ret = rc ? report(st, kind_named("plan"), rc, "plan sign") : CLI_OK;
    if (!rc) printf("treatment plan %ld signed by the %s\n", id, c ? "clinician" : "client");
    psy_store_close(st);
    return ret;
}

/* group join|leave ID --client C --date D */
static int do_group_member(struct args *a, int join)
{
    long id, cid;
    const char *cmd = join ? "group join" : "group leave";
    if (!need_id(a, 1, cmd, &id)) return CLI_USAGE;
    const char *c = take(a, "client"), *d = take(a, "date");
    if (!c || !d) {
        cli_error("%s: give --client ID and --date YYYY-MM-DD", cmd);
        return CLI_USAGE;
    }
    if (!cli_int_arg("--client", c, 1L << 40, &cid)) return CLI_USAGE;
    psy_id pid;
    psy_store *st = cli_open_practice(a->db, a->practice, &pid);
    if (!st) return CLI_FAIL;
    psy_status rc = join ? psy_records_group_join(st, pid, id, cid, d) : psy_records_group_leave(st, pid, id, cid, d);
    int ret = rc ? report(st, NULL, rc, cmd) : CLI_OK;
    if (!rc) printf("client %ld %s group %ld on %s\n", cid, join ? "joined" : "left", id, d);
    psy_store_close(st);
    return ret;
}

static int run_kind(const struct kind *k, const struct cli_command *cmd, int argc, char **argv)
{
    struct args a;
    if (!parse_args(argc, argv, &a, k->name)) return CLI_USAGE;
    const char *action = a.n_words ? a.words[0] : "";
    if (a.json_path && (!strcmp(action, "show") || !strcmp(action, "list"))) {
        a.as_json = 1; /* "show --json 5": the output flag, then the id */
        if (a.n_words < 8) a.words[a.n_words++] = a.json_path;
        a.json_path = NULL;
    }
    if (!strcmp(action, "add")) return do_add_edit(k, &a, 0);
    if (!strcmp(action, "edit")) return do_add_edit(k, &a, 1);
    if (!strcmp(action, "list")) return do_list(k, &a);
    if (!strcmp(action, "show")) return do_show(k, &a);
    if (!strcmp(k->name, "client") && !strcmp(action, "dx")) return do_client_dx(&a);
    if (!strcmp(k->name, "plan") && !strcmp(action, "sign")) return do_plan_sign(&a);
    if (!strcmp(k->name, "group") && (!strcmp(action, "join") || !strcmp(action, "leave")))
        return do_group_member(&a, !strcmp(action, "join"));
    cli_error("%s: no action '%s' (see 'psyclaim help %s')", k->name, action, k->name);
    (void)cmd;
    return CLI_USAGE;
}

/* --- import clients ---------------------------------------------------------------------------------- */

int cli_import_clients(int argc, char **argv)
{
    struct args a;
    if (!parse_args(argc, argv, &a, "import clients")) return CLI_USAGE;
    int flags = 0;
    const char *path = NULL;
    for (int i = 0; i < a.n; i++) {
        if (!strcmp(a.names[i], "dry-run")) flags |= PSY_IMPORT_DRY_RUN;
        else if (!strcmp(a.names[i], "skip-bad")) flags |= PSY_IMPORT_SKIP_BAD;
        else {
            cli_error("import clients: no option --%s (see 'psyclaim help import')", a.names[i]);
            return CLI_USAGE;
        }
    }
    for (int i = 0; i < a.n_words; i++) {
        if (!strcmp(a.words[i], "clients")) continue;
        if (path) {
            cli_error("import clients: give one FILE");
            return CLI_USAGE;
        }
        path = a.words[i];
    }
    if (!path) {
        cli_error("import clients: give the CSV FILE");
        return CLI_USAGE;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("import clients: cannot read %s", path);
        return CLI_FAIL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0, got;
    char buf[65536];
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + got > cap) {
            cap = (len + got) * 2;
            text = psy_realloc(text, cap);
        }
        memcpy(text + len, buf, got);
        len += got;
    }
    fclose(f);
    psy_id pid;
    psy_store *st = cli_open_practice(a.db, a.practice, &pid);
    if (!st) {
        free(text);
        return CLI_FAIL;
    }
    struct psy_import_report r;
    cli_progress_on(st);
    psy_status rc = psy_records_import_clients(st, pid, text ? text : "", len, flags, &r);
    free(text);
    if (rc) {
        cli_error("import clients: %s: %s", path, psy_store_errmsg(st));
        psy_store_close(st);
        return rc == PSY_EPARSE ? CLI_USAGE : CLI_FAIL;
    }
    for (size_t i = 0; i < r.n_problems; i++)
        fprintf(stderr, "%s:%ld: %s%s%s\n", path, r.problems[i].row, r.problems[i].column, *r.problems[i].column ? ": " : "",
                r.problems[i].message);
    if (flags & PSY_IMPORT_DRY_RUN)
        printf("dry run: %ld row%s read, %ld would be imported, %ld refused; nothing was written\n", r.rows,
               r.rows == 1 ? "" : "s", r.good, r.refused);
    else if (r.committed)
        printf("%ld client%s and %ld polic%s imported from %ld row%s; %ld row%s refused\n", r.clients,
               r.clients == 1 ? "" : "s", r.policies, r.policies == 1 ? "y" : "ies", r.rows, r.rows == 1 ? "" : "s",
               r.refused, r.refused == 1 ? "" : "s");
    else
        printf("%ld of %ld row%s refused: nothing was imported (fix them, or use --skip-bad to import the %ld good "
               "row%s)\n", r.refused, r.rows, r.rows == 1 ? "" : "s", r.good, r.good == 1 ? "" : "s");
    int ret = r.refused ? CLI_FAIL : CLI_OK;
    psy_import_report_clear(&r);
    psy_store_close(st);
    return ret;
}

/* --- help ------------------------------------------------------------------------------------------------ */

/* The usage texts are built once from the field tables, so help and the fields never disagree. */
static char *usage_text(const struct kind *k, const char *actions, const char *extra)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "usage: psyclaim %s %s\n\n", k->name, actions);
    fprintf(f, "Adds, changes, lists and shows the practice's %ss.\n\n", k->label);
    fprintf(f, "Fields (flag, and the key of a --json object):\n");
    for (size_t i = 0; i < k->n_fields; i++) {
        if (!strcmp(k->fields[i].flag, "-")) continue;
        char lead[64];
        snprintf(lead, sizeof lead, "--%s", k->fields[i].flag);
        fprintf(f, "  %-22s %-22s %s\n", lead, k->fields[i].key, k->fields[i].help);
    }
    fprintf(f, "\nOptions:\n"
               "  --json FILE            the fields as a JSON object (FILE '-' = stdin); flags apply after it\n"
               "  --json                 (alone) print the result as JSON\n"
               "  --version N            edit: the version you read; refused if the record changed since\n"
               "                         (without it: the version read just before the change)\n"
               "  --db PATH              database (default $PSYCLAIM_DB or ./psyclaim.db)\n"
               "  --practice ID          the practice (needed only when the database holds several)\n");
    if (extra) fputs(extra, f);
    fprintf(f, "\nExit status: 0 done; 1 not found, changed by someone else, or the database failed;\n"
               "2 bad input (the message names the field).\n");
    fclose(f);
    return buf;
}

static int run_clinician(int argc, char **argv) { return run_kind(&kinds[0], NULL, argc, argv); }
static int run_payer(int argc, char **argv) { return run_kind(&kinds[1], NULL, argc, argv); }
static int run_client(int argc, char **argv) { return run_kind(&kinds[2], NULL, argc, argv); }
static int run_policy(int argc, char **argv) { return run_kind(&kinds[3], NULL, argc, argv); }
static int run_auth(int argc, char **argv) { return run_kind(&kinds[4], NULL, argc, argv); }
static int run_plan(int argc, char **argv) { return run_kind(&kinds[5], NULL, argc, argv); }
static int run_group(int argc, char **argv) { return run_kind(&kinds[6], NULL, argc, argv); }

struct cli_command cli_cmd_clinician = {"clinician", run_clinician, "add, edit, list and show clinicians", NULL};
struct cli_command cli_cmd_payer = {"payer", run_payer, "add, edit, list and show payers", NULL};
struct cli_command cli_cmd_client = {"client", run_client, "add, edit, list and show clients and their diagnoses", NULL};
struct cli_command cli_cmd_policy = {"policy", run_policy, "add, edit, list and show insurance policies", NULL};
struct cli_command cli_cmd_auth = {"auth", run_auth, "add, edit, list and show prior authorisations", NULL};
struct cli_command cli_cmd_plan = {"plan", run_plan, "add, edit, sign, list and show treatment plans", NULL};
struct cli_command cli_cmd_group = {"group", run_group, "add, edit, list and show groups; join and leave", NULL};

__attribute__((constructor)) static void build_usage(void)
{
    cli_cmd_clinician.usage = usage_text(&kinds[0], "add|edit ID|list|show ID [FIELDS] [--json FILE]",
                                         "\nexample:\n  psyclaim clinician add --first-name Ada --last-name Quill --npi 1234567893 \\\n"
                                         "      --taxonomy 1041C0700X --credential LCSW --licence-number 149.012 --licence-state IL\n");
    cli_cmd_payer.usage = usage_text(&kinds[1], "add|edit ID|list|show ID [FIELDS] [--json FILE]",
                                     "\nexample:\n  psyclaim payer add --name 'Example Health' --payer-id 12345 --kind commercial \\\n"
                                     "      --timely-filing-days 90\n");
    cli_cmd_client.usage = usage_text(
        &kinds[2], "add|edit ID|list|show ID [FIELDS] [--json FILE]\n       psyclaim client dx add|remove|move ID CODE [--position N] [--version V]",
        "\nDiagnoses one at a time:\n"
        "  client dx add ID CODE [--position N]   add a code (at position N, 1 = primary; default last)\n"
        "  client dx remove ID CODE               remove a code; the others keep their order\n"
        "  client dx move ID CODE --position N    move a code to position N\n"
        "\nexample:\n  psyclaim client add --first-name Robin --last-name Example --birth-date 1990-04-02 --sex F \\\n"
        "      --dx F41.1\n  psyclaim client edit 7 --status discharged --discharge-date 2025-06-30\n");
    cli_cmd_policy.usage = usage_text(&kinds[3], "add|edit ID|list --client ID|show ID [FIELDS] [--json FILE]",
                                      "\nexample:\n  psyclaim policy add --client 7 --payer 2 --member-id XJ123 --order primary \\\n"
                                      "      --relation self --start 2025-01-01 --copay 25\n");
    cli_cmd_auth.usage = usage_text(&kinds[4], "add|edit ID|list --client ID|show ID [FIELDS] [--json FILE]",
                                    "\nexample:\n  psyclaim auth add --client 7 --payer 2 --number PA-1 --codes 90834,90837 \\\n"
                                    "      --unit-kind visit --units 12 --start 2025-01-01 --end 2025-06-30\n");
    cli_cmd_plan.usage = usage_text(&kinds[5], "add|edit ID|list --client ID|show ID|sign ID [FIELDS] [--json FILE]",
                                    "\nSigning:\n"
                                    "  plan sign ID --clinician C [--at INSTANT]   the plan's clinician signs; the plan is then frozen\n"
                                    "  plan sign ID --client-signed [--at INSTANT] records the client's signature\n"
                                    "\nexample:\n  psyclaim plan add --client 7 --clinician 1 --modalities individual --frequency weekly \\\n"
                                    "      --session-minutes 45 --start 2025-01-06 --review 2025-04-06 --dx F41.1 \\\n"
                                    "      --problem 'panic at work' --goal 'fewer panic attacks' --objective 'names 3 triggers' \\\n"
                                    "      --intervention 'CBT weekly'\n");
    cli_cmd_group.usage = usage_text(&kinds[6], "add|edit ID|list|show ID|join ID|leave ID [FIELDS] [--json FILE]",
                                     "\nRoster:\n"
                                     "  group join ID --client C --date D    the client joins the group on D\n"
                                     "  group leave ID --client C --date D   the client leaves on D\n"
                                     "\nexample:\n  psyclaim group add --name 'Tuesday anxiety' --clinician 1 --modality group --capacity 8 \\\n"
                                     "      --schedule 'Tue 18:00'\n");
}
