/*
 * srv_form.h -- reading record forms sent as JSON (api_setup.c, api_forms.c): a table of fields per
 * record maps JSON members onto the library's structs and back, with an error naming the field for
 * anything of the wrong type or size; amounts are read and shown in dollars.
 */
#ifndef PSY_SRV_FORM_H
#define PSY_SRV_FORM_H

#include <stddef.h>
#include "srv_api.h"

enum {
    FORM_TEXT = 's',  /* char[size] */
    FORM_INT = 'd',   /* int */
    FORM_ID = 'i',    /* psy_id, 0 = none */
    FORM_BOOL = 'b',  /* int 0/1 */
    FORM_MONEY = '$'  /* int64_t cents; JSON "1,234.50" or 1234.5 (dollars) */
};

struct form_field {
    const char *name;
    char type;
    size_t off, size;
};

#define FORM_F(st, f, t) {#f, t, offsetof(st, f), sizeof(((st *)0)->f)}
#define FORM_END {NULL, 0, 0, 0}

/* Copies the members of body that fields name into rec (others are left as they are). On a wrong type
 * or a text too long replies 422 naming the field and returns -1. */
int form_read(struct srv_req *r, json_t *body, const struct form_field *fields, void *rec);
/* Every field of rec as a JSON object (money as "1234.50" and as NAME_cents). */
json_t *form_json(const struct form_field *fields, const void *rec);
/* Parses dollars ("$1,234.5", "12", 12.5) into cents; -1 when it is not an amount. */
int form_dollars(const char *s, int64_t *cents);
/* A JSON array of strings into up to cap codes of width w (422 naming field on failure). */
int form_codes(struct srv_req *r, json_t *body, const char *field, char *out, size_t w, int cap, int *n);
/* 409 for a stale save: the message, the record as stored now and the submitted one. Takes current
 * and mine. */
void form_conflict(struct srv_req *r, json_t *current, json_t *mine);
/* The answer to a failed write: 422 naming the field, 409 (with current as the stored version; taken),
 * else the status table. */
void form_fail(struct srv_req *r, psy_status rc, json_t *current, json_t *mine);

#endif
