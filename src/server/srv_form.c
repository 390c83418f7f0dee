/*
 * srv_form.c -- record forms as JSON (srv_form.h): field tables, dollars, code lists, and the answers
 * for invalid and stale saves.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srv_form.h"

int form_dollars(const char *s, int64_t *cents)
{
    int64_t whole = 0;
    int frac = 0, fd = 0, digits = 0, neg = 0;
    while (*s == ' ') s++;
    if (*s == '-') neg = 1, s++;
    if (*s == '$') s++;
    for (; *s && *s != '.'; s++) {
        if (*s == ',') continue;
        if (!isdigit((unsigned char)*s) || whole > 100000000000LL) return -1;
        whole = whole * 10 + (*s - '0');
        digits++;
    }
    if (*s == '.')
        for (s++; *s && *s != ' '; s++) {
            if (!isdigit((unsigned char)*s) || fd == 2) return -1;
            frac = frac * 10 + (*s - '0');
            fd++;
        }
    while (*s == ' ') s++;
    if (*s || (!digits && !fd)) return -1;
    if (fd == 1) frac *= 10;
    *cents = (whole * 100 + frac) * (neg ? -1 : 1);
    return 0;
}

static void money_text(int64_t cents, char out[32])
{
    snprintf(out, 32, "%s%lld.%02lld", cents < 0 ? "-" : "", (long long)llabs(cents) / 100, (long long)llabs(cents) % 100);
}

static int bad(struct srv_req *r, const char *field, const char *msg)
{
    srv_reply_error(r, 422, "invalid", field, "%s: %s", field, msg);
    return -1;
}

int form_read(struct srv_req *r, json_t *body, const struct form_field *fields, void *rec)
{
    for (const struct form_field *f = fields; f->name; f++) {
        json_t *v = json_object_get(body, f->name);
        char *dst = (char *)rec + f->off;
        if (!v) continue;
        switch (f->type) {
        case FORM_TEXT: {
            if (json_is_null(v)) {
                *dst = 0;
                break;
            }
            if (!json_is_string(v)) return bad(r, f->name, "must be text");
            const char *s = json_string_value(v);
            while (*s == ' ') s++;
            size_t n = strlen(s);
            while (n && s[n - 1] == ' ') n--;
            if (n >= f->size) {
                char m[64];
                snprintf(m, sizeof m, "at most %zu characters", f->size - 1);
                return bad(r, f->name, m);
            }
            memcpy(dst, s, n);
            dst[n] = 0;
            break;
        }
        case FORM_INT:
        case FORM_ID: {
            long long x;
            char *end = NULL;
            if (json_is_integer(v)) x = json_integer_value(v);
            else if (json_is_null(v) || (json_is_string(v) && !*json_string_value(v))) x = 0;
            else if (json_is_string(v) && (x = strtoll(json_string_value(v), &end, 10), !*end)) ;
            else return bad(r, f->name, "must be a whole number");
            if (f->type == FORM_INT) {
                if (x < -1000000000LL || x > 1000000000LL) return bad(r, f->name, "out of range");
                *(int *)dst = (int)x;
            } else {
                if (x < 0) return bad(r, f->name, "choose one from the list");
                *(psy_id *)dst = x;
            }
            break;
        }
        case FORM_BOOL:
            if (!json_is_boolean(v)) return bad(r, f->name, "must be true or false");
            *(int *)dst = json_is_true(v);
            break;
        case FORM_MONEY: {
            int64_t c;
            char buf[40];
            if (json_is_number(v)) snprintf(buf, sizeof buf, "%.2f", json_number_value(v));
            else if (json_is_string(v)) snprintf(buf, sizeof buf, "%s", json_string_value(v));
            else return bad(r, f->name, "an amount in dollars, such as 25 or 25.50");
            if (!*buf) c = 0;
            else if (form_dollars(buf, &c) || c < 0 || c > 100000000)
                return bad(r, f->name, "an amount in dollars from $0 to $1,000,000, such as 25 or 25.50");
            *(int64_t *)dst = c;
            break;
        }
        }
    }
    return 0;
}

json_t *form_json(const struct form_field *fields, const void *rec)
{
    json_t *j = json_object();
    for (const struct form_field *f = fields; f->name; f++) {
        const char *src = (const char *)rec + f->off;
        switch (f->type) {
        case FORM_TEXT: json_object_set_new(j, f->name, json_string(src)); break;
        case FORM_INT: json_object_set_new(j, f->name, json_integer(*(const int *)src)); break;
        case FORM_ID: {
            psy_id id = *(const psy_id *)src;
            json_object_set_new(j, f->name, id ? json_integer(id) : json_null());
            break;
        }
        case FORM_BOOL: json_object_set_new(j, f->name, json_boolean(*(const int *)src)); break;
        case FORM_MONEY: {
            char m[32], cn[64];
            money_text(*(const int64_t *)src, m);
            json_object_set_new(j, f->name, json_string(m));
            snprintf(cn, sizeof cn, "%s_cents", f->name);
            json_object_set_new(j, cn, json_integer(*(const int64_t *)src));
            break;
        }
        }
    }
    return j;
}

int form_codes(struct srv_req *r, json_t *body, const char *field, char *out, size_t w, int cap, int *n)
{
    json_t *a = json_object_get(body, field);
    if (!a) return 0;
    if (!json_is_array(a)) return bad(r, field, "must be a list of codes");
    if ((int)json_array_size(a) > cap) {
        char m[48];
        snprintf(m, sizeof m, "at most %d codes", cap);
        return bad(r, field, m);
    }
    size_t i;
    json_t *v;
    int k = 0;
    json_array_foreach(a, i, v) {
        char fname[48];
        snprintf(fname, sizeof fname, "%s[%zu]", field, i);
        if (!json_is_string(v) || strlen(json_string_value(v)) >= w) return bad(r, fname, "not a code");
        snprintf(out + (size_t)k * w, w, "%s", json_string_value(v));
        for (char *c = out + (size_t)k * w; *c; c++) *c = (char)toupper((unsigned char)*c);
        if (out[(size_t)k * w]) k++;
    }
    *n = k;
    return 0;
}

void form_conflict(struct srv_req *r, json_t *current, json_t *mine)
{
    json_t *err = json_pack("{s:s, s:s, s:s}", "code", "conflict", "field", "version", "message",
                            "someone else saved this record after you opened it: compare their version with yours, "
                            "then save again or reload");
    srv_reply_json(r, 409, json_pack("{s:o, s:o, s:o}", "error", err, "current", current ? current : json_null(),
                                     "yours", mine ? json_incref(mine) : json_null()));
}

void form_fail(struct srv_req *r, psy_status rc, json_t *current, json_t *mine)
{
    if (rc == PSY_ECONFLICT && current && strncmp(psy_store_errmsg(r->st), "version", 7) == 0) {
        form_conflict(r, current, mine);
        return;
    }
    json_decref(current);
    if (rc == PSY_ECONFLICT) {
        /* a conflict that is not a stale version: a duplicate (payer id, roster member, priority) */
        const char *m = psy_store_errmsg(r->st);
        char field[48] = "";
        size_t k = strcspn(m, ":");
        if (m[k] == ':' && k < sizeof field) {
            memcpy(field, m, k), field[k] = 0;
            srv_reply_error(r, 409, "conflict", field, "%s", m);
            return;
        }
    }
    if (rc == PSY_EPERM) {
        srv_reply_error(r, 409, "locked", NULL, "this record is signed and can no longer change");
        return;
    }
    api_reply_store(r, rc);
}
