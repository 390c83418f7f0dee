/*
 * payer.c -- payer profiles: reading the effective-dated JSON profiles (data/payers/<id>.json, or a
 * practice's own file) into resolved versions the coding engine reads without parsing.
 *
 * The one idea: a profile is a list of versions by start date, and each version states only what
 * changes. Loading resolves them once: version k starts as a copy of version k-1, scalar fields and
 * lists given in k replace, and the maps (fees_cents, credential_modifiers, kind_modifiers) merge key
 * by key, a null value removing a key. The coding engine then picks the last version whose start is
 * on or before the date of service. Every error names the file and the field path.
 */
#include <ctype.h>
#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "coding_int.h"

struct payer {
    char id[PSY_PAYER_ID_MAX];
    char *name;
    struct psy__payer_terms *v; /* versions, by start date */
    size_t n;
};

struct psy_payers {
    struct payer *p;
    size_t n;
};

/* --- errors ------------------------------------------------------------------------------------ */

struct rd {
    const char *origin;
    char *err;
    size_t errlen;
    char path[96]; /* field path of the version being read: "versions[1]" */
};

static psy_status bad(struct rd *r, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static psy_status bad(struct rd *r, const char *field, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->errlen) {
        if (*r->path && field && *field) snprintf(r->err, r->errlen, "%s: %s.%s: %s", r->origin, r->path, field, msg);
        else if (*r->path || (field && *field))
            snprintf(r->err, r->errlen, "%s: %s: %s", r->origin, *r->path ? r->path : field, msg);
        else snprintf(r->err, r->errlen, "%s: %s", r->origin, msg);
    }
    return PSY_EPARSE;
}

/* Refuses keys outside allowed (a NULL-terminated list), so a misspelt field is never ignored. */
static psy_status only_keys(struct rd *r, json_t *obj, const char *where, const char *const *allowed)
{
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++) ok = strcmp(*a, key) == 0;
        if (!ok) {
            char f[128];
            snprintf(f, sizeof f, "%s%s%s", where, *where ? "." : "", key);
            return bad(r, f, "unknown field");
        }
    }
    return PSY_OK;
}

/* --- field readers ------------------------------------------------------------------------------ */

static int modifier_ok(const char *m)
{
    return strlen(m) == 2 && (isupper((unsigned char)m[0]) || isdigit((unsigned char)m[0])) &&
           (isupper((unsigned char)m[1]) || isdigit((unsigned char)m[1]));
}

/* A modifier or null (null = none). */
static psy_status read_modifier(struct rd *r, json_t *v, const char *field, char out[3])
{
    if (json_is_null(v)) {
        out[0] = 0;
        return PSY_OK;
    }
    if (!json_is_string(v) || !modifier_ok(json_string_value(v)))
        return bad(r, field, "must be a two-character modifier in upper case (\"95\", \"GT\") or null");
    memcpy(out, json_string_value(v), 3);
    return PSY_OK;
}

static psy_status read_code(struct rd *r, json_t *v, const char *field, uint32_t *key)
{
    *key = json_is_string(v) ? psy__code_key(json_string_value(v)) : 0;
    if (!*key) return bad(r, field, "must be a five-character procedure code (\"90834\")");
    return PSY_OK;
}

static psy_status read_code_list(struct rd *r, json_t *v, const char *field, uint32_t *out, size_t *n,
                                 int *all)
{
    if (!json_is_array(v)) return bad(r, field, "must be a list of procedure codes");
    if (json_array_size(v) > PSY__PAYER_MAX_LIST) return bad(r, field, "more than %d codes", PSY__PAYER_MAX_LIST);
    *n = 0;
    if (all) *all = 0;
    size_t i;
    json_t *it;
    json_array_foreach(v, i, it)
    {
        char f[96];
        snprintf(f, sizeof f, "%s[%zu]", field, i);
        if (all && json_is_string(it) && strcmp(json_string_value(it), "*") == 0) {
            *all = 1;
            continue;
        }
        psy_status rc = read_code(r, it, f, &out[*n]);
        if (rc) return rc;
        (*n)++;
    }
    return PSY_OK;
}

static psy_status read_telehealth(struct rd *r, json_t *th, struct psy__payer_terms *t)
{
    static const char *const keys[] = {"pos", "video_modifier", "audio_modifier", "audio_only", "home",
                                       "excluded_codes", "notes", NULL};
    if (!json_is_object(th)) return bad(r, "telehealth", "must be an object");
    psy_status rc = only_keys(r, th, "telehealth", keys);
    json_t *v;
    if (!rc && (v = json_object_get(th, "pos"))) {
        const char *s = json_is_string(v) ? json_string_value(v) : "";
        if (!strcmp(s, "02_10")) t->th_pos = PSY__TH_POS_02_10;
        else if (!strcmp(s, "02")) t->th_pos = PSY__TH_POS_02;
        else if (!strcmp(s, "in_person")) t->th_pos = PSY__TH_POS_IN_PERSON;
        else rc = bad(r, "telehealth.pos", "must be \"02_10\" (POS 02 or 10 by the patient's location), \"02\" "
                                           "(POS 02 wherever the patient is) or \"in_person\" (the in-person POS "
                                           "with a modality modifier)");
    }
    if (!rc && (v = json_object_get(th, "video_modifier")))
        rc = read_modifier(r, v, "telehealth.video_modifier", t->video_mod);
    if (!rc && (v = json_object_get(th, "audio_modifier")))
        rc = read_modifier(r, v, "telehealth.audio_modifier", t->audio_mod);
    if (!rc && (v = json_object_get(th, "audio_only"))) {
        if (!json_is_boolean(v)) rc = bad(r, "telehealth.audio_only", "must be true or false");
        else t->audio_only = json_is_true(v);
    }
    if (!rc && (v = json_object_get(th, "home"))) {
        if (!json_is_boolean(v)) rc = bad(r, "telehealth.home", "must be true or false");
        else t->th_home_refused = json_is_false(v);
    }
    if (!rc && (v = json_object_get(th, "excluded_codes")))
        rc = read_code_list(r, v, "telehealth.excluded_codes", t->th_excluded, &t->n_th_excluded, NULL);
    return rc;
}

/* The maps of a version merge key by key; each entry is read by one of these (f is its field path). */
typedef psy_status (*entry_fn)(struct rd *r, const char *f, const char *key, json_t *val, struct psy__payer_terms *t);

static psy_status read_map(struct rd *r, json_t *obj, const char *name, const char *shape, entry_fn fn,
                           struct psy__payer_terms *t)
{
    if (!json_is_object(obj)) return bad(r, name, "must be an object %s", shape);
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        char f[96];
        snprintf(f, sizeof f, "%s.%s", name, key);
        psy_status rc = fn(r, f, key, val, t);
        if (rc) return rc;
    }
    return PSY_OK;
}

static psy_status credential_entry(struct rd *r, const char *f, const char *key, json_t *val, struct psy__payer_terms *t)
{
    char cred[PSY_CREDENTIAL_MAX], mod[3];
    size_t k = strlen(key);
    if (k == 0 || k >= sizeof cred) return bad(r, f, "a credential is 1 to %zu characters", sizeof cred - 1);
    for (size_t i = 0; i <= k; i++) cred[i] = (char)toupper((unsigned char)key[i]);
    psy_status rc = read_modifier(r, val, f, mod);
    if (rc) return rc;
    size_t at = 0;
    while (at < t->n_creds && strcmp(t->creds[at].credential, cred) != 0) at++;
    if (!*mod) { /* null removes */
        if (at < t->n_creds) t->creds[at] = t->creds[--t->n_creds];
        return PSY_OK;
    }
    if (at == t->n_creds) {
        if (t->n_creds == sizeof t->creds / sizeof t->creds[0]) return bad(r, f, "too many credentials");
        t->n_creds++;
    }
    memcpy(t->creds[at].credential, cred, sizeof cred);
    memcpy(t->creds[at].modifier, mod, 3);
    return PSY_OK;
}

static psy_status kind_entry(struct rd *r, const char *f, const char *key, json_t *val, struct psy__payer_terms *t)
{
    psy_session_kind k;
    if (psy_session_kind_parse(key, &k)) return bad(r, f, "not a session kind (individual, crisis, group ...)");
    return read_modifier(r, val, f, t->kind_mod[k]);
}

static psy_status fee_entry(struct rd *r, const char *f, const char *key, json_t *val, struct psy__payer_terms *t)
{
    uint32_t k = psy__code_key(key);
    if (!k) return bad(r, f, "the key must be a five-character procedure code");
    size_t at = 0;
    while (at < t->n_fees && t->fees[at].key != k) at++;
    if (json_is_null(val)) {
        if (at < t->n_fees) t->fees[at] = t->fees[--t->n_fees];
        return PSY_OK;
    }
    if (!json_is_integer(val) || json_integer_value(val) < 0 || json_integer_value(val) > 100000000)
        return bad(r, f, "must be whole cents from 0 to 100000000 (10332 for $103.32), or null");
    if (at == t->n_fees) {
        if (t->n_fees == PSY__PAYER_MAX_FEES) return bad(r, f, "more than %d fees", PSY__PAYER_MAX_FEES);
        t->n_fees++;
    }
    t->fees[at].key = k;
    t->fees[at].cents = json_integer_value(val);
    return PSY_OK;
}

static psy_status read_not_covered(struct rd *r, json_t *arr, struct psy__payer_terms *t)
{
    static const char *const keys[] = {"code", "status", "severity", "reason", NULL};
    if (!json_is_array(arr)) return bad(r, "not_covered", "must be a list of {code, severity, reason}");
    if (json_array_size(arr) > PSY__PAYER_MAX_LIST) return bad(r, "not_covered", "more than %d codes", PSY__PAYER_MAX_LIST);
    t->n_not_covered = 0;
    size_t i;
    json_t *it;
    json_array_foreach(arr, i, it)
    {
        char f[96];
        snprintf(f, sizeof f, "not_covered[%zu]", i);
        if (!json_is_object(it)) return bad(r, f, "must be an object {code, severity, reason}");
        psy_status rc = only_keys(r, it, f, keys);
        if (rc) return rc;
        struct psy__not_covered *nc = &t->not_covered[t->n_not_covered];
        memset(nc, 0, sizeof *nc);
        snprintf(f, sizeof f, "not_covered[%zu].code", i);
        if ((rc = read_code(r, json_object_get(it, "code"), f, &nc->key))) return rc;
        json_t *v = json_object_get(it, "severity");
        const char *sev = json_is_string(v) ? json_string_value(v) : "";
        snprintf(f, sizeof f, "not_covered[%zu].severity", i);
        if (!strcmp(sev, "error")) nc->severity = PSY_SEVERITY_ERROR;
        else if (!strcmp(sev, "warning")) nc->severity = PSY_SEVERITY_WARNING;
        else return bad(r, f, "must be \"error\" (refuse the line) or \"warning\"");
        v = json_object_get(it, "status");
        if (v) {
            snprintf(f, sizeof f, "not_covered[%zu].status", i);
            if (!json_is_string(v) || json_string_length(v) >= sizeof nc->status)
                return bad(r, f, "must be a short status indicator (\"R\", \"I\")");
            snprintf(nc->status, sizeof nc->status, "%s", json_string_value(v));
        }
        v = json_object_get(it, "reason");
        snprintf(f, sizeof f, "not_covered[%zu].reason", i);
        if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) >= sizeof nc->reason)
            return bad(r, f, "must be a sentence of 1 to %zu characters", sizeof nc->reason - 1);
        snprintf(nc->reason, sizeof nc->reason, "%s", json_string_value(v));
        t->n_not_covered++;
    }
    return PSY_OK;
}

static int fee_cmp(const void *a, const void *b)
{
    uint32_t x = ((const struct psy__fee *)a)->key, y = ((const struct psy__fee *)b)->key;
    return x < y ? -1 : x > y;
}

/* Reads one version over *t (which holds the previous version, or the defaults for the first). */
static psy_status read_version(struct rd *r, json_t *v, struct psy__payer_terms *t, int prev_effective)
{
    static const char *const keys[] = {"effective", "notes", "place_of_service", "telehealth", "credential_modifiers",
                                       "kind_modifiers", "group_size_max", "group_minutes_min", "not_covered", "prior_authorization",
                                       "em_modifier_25", "crisis_away_from_office", "telemedicine_em",
                                       "same_specialty_one_provider", "fees_cents", "timely_filing_days",
                                       "timely_filing_months", "timely_filing_next_workday",
                                       "timely_filing_after_medicare_months", NULL};
    if (!json_is_object(v)) return bad(r, "", "must be an object");
    psy_status rc = only_keys(r, v, "", keys);
    if (rc) return rc;
    json_t *e = json_object_get(v, "effective");
    t->effective = json_is_string(e) ? psy__date_int(json_string_value(e)) : 0;
    if (!t->effective) return bad(r, "effective", "must be the first day the version applies, YYYY-MM-DD");
    if (t->effective <= prev_effective) return bad(r, "effective", "versions must be in increasing date order");
    json_t *x;
    if ((x = json_object_get(v, "place_of_service"))) {
        const char *s = json_is_string(x) ? json_string_value(x) : "";
        if (strlen(s) != 2 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
            return bad(r, "place_of_service", "must be a two-digit place of service (\"11\")");
        memcpy(t->default_pos, s, 3);
    }
    if ((x = json_object_get(v, "telehealth")) && (rc = read_telehealth(r, x, t))) return rc;
    if ((x = json_object_get(v, "credential_modifiers")) &&
        (rc = read_map(r, x, "credential_modifiers", "{credential: modifier}", credential_entry, t)))
        return rc;
    if ((x = json_object_get(v, "kind_modifiers")) &&
        (rc = read_map(r, x, "kind_modifiers", "{session kind: modifier}", kind_entry, t)))
        return rc;
    if ((x = json_object_get(v, "group_size_max"))) {
        if (json_is_null(x)) t->group_size_max = 0;
        else if (!json_is_integer(x) || json_integer_value(x) < 1 || json_integer_value(x) > 999)
            return bad(r, "group_size_max", "must be a whole number of participants from 1 to 999, or null");
        else t->group_size_max = (int)json_integer_value(x);
    }
    if ((x = json_object_get(v, "group_minutes_min"))) {
        if (json_is_null(x)) t->group_minutes_min = 0;
        else if (!json_is_integer(x) || json_integer_value(x) < 1 || json_integer_value(x) > 600)
            return bad(r, "group_minutes_min", "must be whole minutes from 1 to 600, or null");
        else t->group_minutes_min = (int)json_integer_value(x);
    }
    if ((x = json_object_get(v, "not_covered")) && (rc = read_not_covered(r, x, t))) return rc;
    if ((x = json_object_get(v, "prior_authorization")) &&
        (rc = read_code_list(r, x, "prior_authorization", t->prior_auth, &t->n_prior_auth, &t->prior_auth_all)))
        return rc;
    if ((x = json_object_get(v, "timely_filing_days"))) {
        if (json_is_null(x)) t->timely_filing_days = 0;
        else if (!json_is_integer(x) || json_integer_value(x) < 1 || json_integer_value(x) > 3650)
            return bad(r, "timely_filing_days", "must be whole days from 1 to 3650 after the date of service, or null");
        else t->timely_filing_days = (int)json_integer_value(x);
        t->timely_filing_months = 0;
    }
    if ((x = json_object_get(v, "timely_filing_months"))) {
        if (json_object_get(v, "timely_filing_days"))
            return bad(r, "timely_filing_months", "give the limit in days or in months, not both");
        if (json_is_null(x)) t->timely_filing_months = 0;
        else if (!json_is_integer(x) || json_integer_value(x) < 1 || json_integer_value(x) > 120)
            return bad(r, "timely_filing_months", "must be whole calendar months from 1 to 120 after the date of service, or null");
        else t->timely_filing_months = (int)json_integer_value(x);
        t->timely_filing_days = 0;
    }
    if ((x = json_object_get(v, "timely_filing_after_medicare_months"))) {
        if (json_is_null(x)) t->timely_after_medicare_months = 0;
        else if (!json_is_integer(x) || json_integer_value(x) < 1 || json_integer_value(x) > 24)
            return bad(r, "timely_filing_after_medicare_months",
                       "must be whole calendar months from 1 to 24 after Medicare's adjudication, or null");
        else t->timely_after_medicare_months = (int)json_integer_value(x);
    }
    static const struct {
        const char *key;
        size_t off;
    } flags[] = {{"em_modifier_25", offsetof(struct psy__payer_terms, em_modifier_25)},
                 {"crisis_away_from_office", offsetof(struct psy__payer_terms, crisis_away_from_office)},
                 {"telemedicine_em", offsetof(struct psy__payer_terms, telemedicine_em)},
                 {"timely_filing_next_workday", offsetof(struct psy__payer_terms, timely_next_workday)},
                 {"same_specialty_one_provider", offsetof(struct psy__payer_terms, same_specialty_one_provider)}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (!(x = json_object_get(v, flags[i].key))) continue;
        if (!json_is_boolean(x)) return bad(r, flags[i].key, "must be true or false");
        *(int *)((char *)t + flags[i].off) = json_is_true(x);
    }
    if ((x = json_object_get(v, "fees_cents"))) {
        if ((rc = read_map(r, x, "fees_cents", "{code: cents}", fee_entry, t))) return rc;
        qsort(t->fees, t->n_fees, sizeof t->fees[0], fee_cmp);
    }
    return PSY_OK;
}

static void defaults(struct psy__payer_terms *t)
{
    memset(t, 0, sizeof *t);
    memcpy(t->default_pos, "11", 3);
    t->th_pos = PSY__TH_POS_02_10;
    memcpy(t->video_mod, "95", 3);
    memcpy(t->audio_mod, "93", 3);
    t->audio_only = 1;
}

static int id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n >= PSY_PAYER_ID_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)id[i]) && !isdigit((unsigned char)id[i]) && id[i] != '-' && id[i] != '_')
            return 0;
    return 1;
}

static void payer_clear(struct payer *p)
{
    free(p->name);
    free(p->v);
    memset(p, 0, sizeof *p);
}

static psy_status read_profile(struct rd *r, json_t *root, struct payer *p)
{
    static const char *const keys[] = {"id", "name", "notes", "versions", NULL};
    memset(p, 0, sizeof *p);
    if (!json_is_object(root)) return bad(r, "", "a payer profile must be a JSON object");
    psy_status rc = only_keys(r, root, "", keys);
    if (rc) return rc;
    json_t *id = json_object_get(root, "id"), *name = json_object_get(root, "name");
    if (!json_is_string(id) || !id_ok(json_string_value(id)))
        return bad(r, "id", "must be 1 to %d characters of a-z, 0-9, '-' or '_'", PSY_PAYER_ID_MAX - 1);
    if (!json_is_string(name) || !json_string_length(name)) return bad(r, "name", "must be a non-empty string");
    json_t *vs = json_object_get(root, "versions");
    if (!json_is_array(vs) || !json_array_size(vs) || json_array_size(vs) > 64)
        return bad(r, "versions", "must be a list of 1 to 64 versions, each with its start date");
    snprintf(p->id, sizeof p->id, "%s", json_string_value(id));
    p->name = psy__strdup(json_string_value(name));
    p->n = json_array_size(vs);
    p->v = psy__calloc(p->n, sizeof *p->v);
    for (size_t i = 0; i < p->n; i++) {
        if (i == 0) defaults(&p->v[0]);
        else p->v[i] = p->v[i - 1];
        snprintf(r->path, sizeof r->path, "versions[%zu]", i);
        if ((rc = read_version(r, json_array_get(vs, i), &p->v[i], i ? p->v[i - 1].effective : 0))) break;
    }
    r->path[0] = 0;
    if (rc) payer_clear(p);
    return rc;
}

/* --- the set ------------------------------------------------------------------------------------ */

psy_status psy_payers_add_json(psy_payers *ps, const char *text, size_t len, const char *origin, char *err,
                               size_t errlen)
{
    struct rd r = {origin, err, errlen, ""};
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        if (errlen) snprintf(err, errlen, "%s:%d: not valid JSON: %s", origin, je.line, je.text);
        return PSY_EPARSE;
    }
    struct payer p;
    psy_status rc = read_profile(&r, root, &p);
    json_decref(root);
    if (rc) return rc;
    for (size_t i = 0; i < ps->n; i++)
        if (!strcmp(ps->p[i].id, p.id)) {
            payer_clear(&ps->p[i]);
            ps->p[i] = p;
            return PSY_OK;
        }
    ps->p = psy__realloc(ps->p, (ps->n + 1) * sizeof *ps->p);
    ps->p[ps->n++] = p;
    return PSY_OK;
}

psy_status psy_payers_add_file(psy_payers *ps, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errlen) snprintf(err, errlen, "%s: cannot open", path);
        return PSY_EIO;
    }
    struct psy__buf b = {.max = 1 << 20};
    char chunk[8192];
    size_t n;
    int over = 0;
    while (!over && (n = fread(chunk, 1, sizeof chunk, f)) > 0) over = psy__buf_put(&b, chunk, n) != 0;
    fclose(f);
    psy_status rc;
    if (over) {
        if (errlen) snprintf(err, errlen, "%s: larger than 1 MiB; not a payer profile", path);
        rc = PSY_ETOOBIG;
    } else {
        rc = psy_payers_add_json(ps, b.p ? b.p : "", b.n, path, err, errlen);
    }
    psy__buf_free(&b);
    return rc;
}

struct builtin_walk {
    psy_payers *ps;
    psy_status rc;
    char *err;
    size_t errlen;
};

static void add_builtin(void *ud, const char *name, const char *data, size_t len)
{
    struct builtin_walk *w = ud;
    if (w->rc) return;
    char origin[128];
    snprintf(origin, sizeof origin, "built-in data/%s", name);
    w->rc = psy_payers_add_json(w->ps, data, len, origin, w->err, w->errlen);
}

psy_status psy_payers_builtin(psy_payers **out, char *err, size_t errlen)
{
    psy_payers *ps = psy__calloc(1, sizeof *ps);
    struct builtin_walk w = {ps, PSY_OK, err, errlen};
    const struct psy__payer_terms *t;
    psy_data_each("payers/", add_builtin, &w);
    if (!w.rc && psy__payer_terms(ps, "default", 0, &t) == PSY_ENOTFOUND) {
        if (errlen) snprintf(err, errlen, "built-in data/payers: no 'default' profile");
        w.rc = PSY_EPARSE;
    }
    if (w.rc) {
        psy_payers_free(ps);
        ps = NULL;
    }
    *out = ps;
    return w.rc;
}

/* The built-in profiles are compiled in and never change while the process runs: they are parsed once
 * and shared (read-only) by every caller that only looks them up, e.g. each page of the claims list. */
static pthread_once_t shared_once = PTHREAD_ONCE_INIT;
static psy_payers *shared_ps;

static void shared_load(void)
{
    char err[256];
    if (psy_payers_builtin(&shared_ps, err, sizeof err)) shared_ps = NULL;
}

const psy_payers *psy__payers_builtin_shared(void)
{
    pthread_once(&shared_once, shared_load);
    return shared_ps;
}

size_t psy_payers_count(const psy_payers *ps) { return ps ? ps->n : 0; }

const char *psy_payers_id(const psy_payers *ps, size_t i) { return ps && i < ps->n ? ps->p[i].id : NULL; }

const char *psy_payers_name(const psy_payers *ps, size_t i) { return ps && i < ps->n ? ps->p[i].name : NULL; }

void psy_payers_free(psy_payers *ps)
{
    if (!ps) return;
    for (size_t i = 0; i < ps->n; i++) payer_clear(&ps->p[i]);
    free(ps->p);
    free(ps);
}

psy_status psy__payer_terms(const psy_payers *ps, const char *id, int date, const struct psy__payer_terms **terms)
{
    *terms = NULL;
    for (size_t i = 0; i < ps->n; i++) {
        const struct payer *p = &ps->p[i];
        if (strcmp(p->id, id) != 0) continue;
        for (size_t k = p->n; k-- > 0;)
            if (p->v[k].effective <= date) {
                *terms = &p->v[k];
                break;
            }
        return PSY_OK;
    }
    return PSY_ENOTFOUND;
}

long long psy__payer_fee(const struct psy__payer_terms *t, uint32_t key)
{
    size_t lo = 0, hi = t->n_fees;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->fees[mid].key == key) return t->fees[mid].cents;
        if (t->fees[mid].key < key) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}
