/*
 * coding_json.c -- the JSON face of the coding engine (the code-session contract, docs/coding.md):
 * a session object in, {"lines": [...], "findings": [...]} out.
 *
 * The one idea: input is strict, because a misspelt field silently ignored would code a different
 * session than the one described: unknown fields, wrong types and out-of-range values are refused with
 * the field's name. Output is written by hand (no JSON tree), since a batch writes one result per
 * session and the writer should cost less than the coding.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "coding_int.h"

/* --- input ---------------------------------------------------------------------------------------- */

struct in {
    char *field, *msg;
    size_t fieldlen, msglen;
};

static psy_status refuse(struct in *in, const char *field, const char *msg)
{
    if (in->fieldlen) snprintf(in->field, in->fieldlen, "%s", field);
    if (in->msglen) snprintf(in->msg, in->msglen, "%s", msg);
    return PSY_EINVAL;
}

static psy_status get_string(struct in *in, json_t *v, const char *field, char *out, size_t cap, const char *what)
{
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= cap) return refuse(in, field, what);
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return PSY_OK;
}

static psy_status get_bool(struct in *in, json_t *v, const char *field, int *out)
{
    if (!json_is_boolean(v)) return refuse(in, field, "must be true or false");
    *out = json_is_true(v);
    return PSY_OK;
}

static psy_status get_int(struct in *in, json_t *v, const char *field, int lo, int hi, int *out)
{
    char msg[128];
    if (!json_is_integer(v)) return refuse(in, field, json_is_real(v) ? "must be a whole number" : "must be a number");
    json_int_t x = json_integer_value(v);
    if (x < 0) return refuse(in, field, "must not be negative");
    if (x < lo || x > hi) {
        snprintf(msg, sizeof msg, "must be from %d to %d", lo, hi);
        return refuse(in, field, msg);
    }
    *out = (int)x;
    return PSY_OK;
}

static psy_status one_field(struct in *in, const char *key, json_t *v, struct psy_coding_input *s)
{
    char buf[64];
    if (!strcmp(key, "date")) {
        if (!json_is_string(v) || !psy__date_int(json_string_value(v)))
            return refuse(in, key, "must be the date of service as YYYY-MM-DD");
        memcpy(s->date, json_string_value(v), PSY_DATE_MAX);
    } else if (!strcmp(key, "kind")) {
        if (!json_is_string(v) || psy_session_kind_parse(json_string_value(v), &s->kind))
            return refuse(in, key, "must be one of individual, crisis, group, family_with_patient, "
                                   "family_without_patient, multiple_family_group, diagnostic_evaluation, "
                                   "diagnostic_evaluation_medical");
    } else if (!strcmp(key, "minutes")) {
        if (!json_is_null(v)) return get_int(in, v, key, 0, 1440, &s->minutes);
    } else if (!strcmp(key, "em_code")) {
        if (json_is_null(v)) return PSY_OK;
        uint32_t k = json_is_string(v) ? psy__code_key(json_string_value(v)) : 0;
        if (!psy__is_em_key(k)) return refuse(in, key, "must be an E/M code (99202-99499, 98000-98015) as a string");
        memcpy(s->em_code, json_string_value(v), 6);
    } else if (!strcmp(key, "interactive_complexity")) {
        return get_bool(in, v, key, &s->interactive_complexity);
    } else if (!strcmp(key, "telehealth")) {
        const char *t = json_is_string(v) ? json_string_value(v) : json_is_null(v) ? "" : "?";
        if (!*t) s->telehealth = PSY_TELEHEALTH_NONE;
        else if (!strcmp(t, "video")) s->telehealth = PSY_TELEHEALTH_VIDEO;
        else if (!strcmp(t, "audio")) s->telehealth = PSY_TELEHEALTH_AUDIO;
        else return refuse(in, key, "must be \"video\" or \"audio\" (leave it out for in person)");
    } else if (!strcmp(key, "patient_location")) {
        const char *t = json_is_string(v) ? json_string_value(v) : "";
        if (!strcmp(t, "home")) s->patient_location = PSY_LOCATION_HOME;
        else if (!strcmp(t, "other")) s->patient_location = PSY_LOCATION_OTHER;
        else return refuse(in, key, "must be \"home\" or \"other\"");
    } else if (!strcmp(key, "place_of_service")) {
        const char *p = json_is_string(v) ? json_string_value(v) : "";
        if (strlen(p) != 2 || p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
            return refuse(in, key, "must be a two-digit place of service code as a string (\"11\")");
        memcpy(s->place_of_service, p, 3);
    } else if (!strcmp(key, "payer")) {
        psy_status rc = get_string(in, v, key, s->payer, sizeof s->payer, "must be a payer profile id");
        for (const char *p = s->payer; !rc && *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
                rc = refuse(in, key, "must be a payer profile id (a-z, 0-9, '-', '_')");
        return rc;
    } else if (!strcmp(key, "credential")) {
        psy_status rc = get_string(in, v, key, buf, PSY_CREDENTIAL_MAX, "must be a credential of 1 to 15 characters");
        for (char *p = buf; !rc && *p; p++) {
            if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 'a' + 'A');
            if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-'))
                rc = refuse(in, key, "must be letters, digits or '-' (LCSW, LPC, MD ...)");
        }
        if (!rc) memcpy(s->credential, buf, PSY_CREDENTIAL_MAX);
        return rc;
    } else if (!strcmp(key, "group_size")) {
        return get_int(in, v, key, 1, 999, &s->group_size);
    } else if (!strcmp(key, "members")) {
        return get_int(in, v, key, 1, PSY_CODING_MAX_MEMBERS, &s->members);
    } else if (!strcmp(key, "separate_times")) {
        return get_bool(in, v, key, &s->separate_times);
    } else if (!strcmp(key, "prior_auth")) {
        return get_bool(in, v, key, &s->prior_auth);
    } else {
        return refuse(in, key, "unknown field");
    }
    return PSY_OK;
}

psy_status psy_session_from_json(const char *text, size_t len, struct psy_coding_input *s, char *field, size_t fieldlen,
                                 char *msg, size_t msglen)
{
    struct in in = {field, msg, fieldlen, msglen};
    psy_session_init(s);
    if (fieldlen) field[0] = 0;
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        if (msglen) snprintf(msg, msglen, "not JSON (line %d, column %d: %s)", je.line, je.column, je.text);
        return PSY_EPARSE;
    }
    psy_status rc = PSY_OK;
    if (!json_is_object(root)) rc = refuse(&in, "", "the session must be one JSON object");
    const char *key;
    json_t *v;
    if (!rc) json_object_foreach(root, key, v)
        {
            if ((rc = one_field(&in, key, v, s))) break;
        }
    if (!rc && !*s->date) rc = refuse(&in, "date", "required (the date of service, YYYY-MM-DD)");
    if (!rc && !json_object_get(root, "kind")) rc = refuse(&in, "kind", "required (individual, crisis, group ...)");
    json_decref(root);
    return rc;
}

/* --- output --------------------------------------------------------------------------------------- */

static void str(struct psy__buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    psy__buf_put(b, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        psy__buf_put(b, run, (size_t)(s - run));
        char esc[6] = {'\\', (char)c, 0};
        size_t n = 2;
        if (c == '\n') esc[1] = 'n';
        else if (c == '\t') esc[1] = 't';
        else if (c < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        psy__buf_put(b, esc, n);
        run = s + 1;
    }
    psy__buf_put(b, run, (size_t)(s - run));
    psy__buf_put(b, "\"", 1);
}

static void num(struct psy__buf *b, long long v)
{
    char tmp[24];
    struct psy__sb sb;
    psy__sb_init(&sb, tmp, sizeof tmp);
    psy__sb_int(&sb, v);
    psy__buf_put(b, tmp, sb.n);
}

/* A key at an indentation depth: ',\n    "key": ' pretty, or ',"key":' compact. */
static void key(struct psy__buf *b, int pretty, int depth, int first, const char *k)
{
    if (!first) psy__buf_put(b, ",", 1);
    if (pretty) {
        psy__buf_put(b, "\n", 1);
        for (int i = 0; i < depth; i++) psy__buf_put(b, "  ", 2);
    }
    if (k) {
        str(b, k);
        psy__buf_puts(b, pretty ? ": " : ":");
    }
}

static void close_at(struct psy__buf *b, int pretty, int depth, int empty, const char *c)
{
    if (pretty && !empty) {
        psy__buf_put(b, "\n", 1);
        for (int i = 0; i < depth; i++) psy__buf_put(b, "  ", 2);
    }
    psy__buf_puts(b, c);
}

/* ["a", "b"] on one line. */
static void str_list(struct psy__buf *b, int pretty, const char *const *items, int n)
{
    psy__buf_put(b, "[", 1);
    for (int i = 0; i < n; i++) {
        if (i) psy__buf_puts(b, pretty ? ", " : ",");
        str(b, items[i]);
    }
    psy__buf_put(b, "]", 1);
}

static void line_json(struct psy__buf *b, const struct psy_coded_line *l, int pretty, int d)
{
    psy__buf_put(b, "{", 1);
    key(b, pretty, d + 1, 1, "code");
    str(b, l->code);
    key(b, pretty, d + 1, 0, "units");
    num(b, l->units);
    const char *mods[PSY_LINE_MAX_MODIFIERS];
    for (int i = 0; i < l->n_modifiers && i < PSY_LINE_MAX_MODIFIERS; i++) mods[i] = l->modifiers[i];
    key(b, pretty, d + 1, 0, "modifiers");
    str_list(b, pretty, mods, l->n_modifiers);
    key(b, pretty, d + 1, 0, "place_of_service");
    str(b, l->place_of_service);
    key(b, pretty, d + 1, 0, "rules");
    str_list(b, pretty, l->rules, l->n_rules);
    key(b, pretty, d + 1, 0, "explanation");
    str(b, l->explanation);
    key(b, pretty, d + 1, 0, "charge_cents");
    num(b, l->charge_cents);
    key(b, pretty, d + 1, 0, "billable");
    psy__buf_puts(b, l->billable ? "true" : "false");
    if (l->member) {
        key(b, pretty, d + 1, 0, "member");
        num(b, l->member);
    }
    close_at(b, pretty, d, 0, "}");
}

static void finding_json(struct psy__buf *b, const struct psy_finding *f, int pretty, int d)
{
    psy__buf_put(b, "{", 1);
    key(b, pretty, d + 1, 1, "severity");
    str(b, f->severity == PSY_SEVERITY_ERROR ? "error" : "warning");
    key(b, pretty, d + 1, 0, "rule");
    str(b, f->rule);
    key(b, pretty, d + 1, 0, "message");
    str(b, f->message);
    key(b, pretty, d + 1, 0, "field");
    str(b, f->field);
    close_at(b, pretty, d, 0, "}");
}

char *psy_coding_result_json(const struct psy_coding_result *r, int pretty, size_t *len)
{
    struct psy__buf b = {0};
    psy__buf_put(&b, "{", 1);
    key(&b, pretty, 1, 1, "lines");
    psy__buf_put(&b, "[", 1);
    for (size_t i = 0; i < r->n_lines; i++) {
        key(&b, pretty, 2, i == 0, NULL);
        line_json(&b, &r->lines[i], pretty, 2);
    }
    close_at(&b, pretty, 1, r->n_lines == 0, "]");
    key(&b, pretty, 1, 0, "findings");
    psy__buf_put(&b, "[", 1);
    size_t nf = r->n_findings < PSY_CODING_MAX_FINDINGS ? r->n_findings : PSY_CODING_MAX_FINDINGS;
    for (size_t i = 0; i < nf; i++) {
        key(&b, pretty, 2, i == 0, NULL);
        finding_json(&b, &r->findings[i], pretty, 2);
    }
    close_at(&b, pretty, 1, nf == 0, "]");
    close_at(&b, pretty, 0, 0, "}");
    if (len) *len = b.n;
    return b.p;
}
