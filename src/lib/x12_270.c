/*
 * x12_270.c -- the 270 eligibility and benefit inquiry writer (005010X279A1).
 *
 * One inquiry per interchange: the information source (2000A HL*20, NM1*PR the payer), the information
 * receiver (2000B HL*21, NM1*1P the practice with its NPI), the subscriber (2000C HL*22, NM1*IL with the
 * member id, REF*6P, DMG) and, when the patient is not the subscriber, the dependent (2000D HL*23, NM1*03,
 * DMG). The patient's loop carries TRN*1 (the trace the 271 echoes), DTP*291 (the date asked about) and
 * one EQ whose EQ01 repeats the service types (EQ01 repeats up to 99 times in 5010). Values are checked
 * before anything is written; control numbers come from the caller's counter, as for the 837P.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "x12_int.h"

const char *const psy_x12_270_service_types[] = {"30", "MH", "A6", "A8", NULL};

static int empty(const char *s) { return !s || !*s; }

static psy_status bad(char *err, size_t errlen, const char *field, const char *msg)
{
    snprintf(err, errlen, "%s: %s", field, msg);
    return PSY_EINVAL;
}

/* Service type codes are one or two letters or digits (X12 element 1365). */
static int service_type_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return (n == 1 || n == 2) && isalnum((unsigned char)s[0]) && (n == 1 || isalnum((unsigned char)s[1]));
}

static psy_status check(const struct psy_x12_270 *q, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        size_t off;
    } req[] = {
        {"sender_id", offsetof(struct psy_x12_270, sender_id)},
        {"receiver_id", offsetof(struct psy_x12_270, receiver_id)},
        {"payer_name", offsetof(struct psy_x12_270, payer_name)},
        {"payer_id", offsetof(struct psy_x12_270, payer_id)},
        {"provider_name", offsetof(struct psy_x12_270, provider_name)},
        {"provider_npi", offsetof(struct psy_x12_270, provider_npi)},
        {"member_id", offsetof(struct psy_x12_270, member_id)},
        {"trace", offsetof(struct psy_x12_270, trace)},
        {"service_date", offsetof(struct psy_x12_270, service_date)},
        {"date", offsetof(struct psy_x12_270, date)},
        {"time", offsetof(struct psy_x12_270, time)},
    };
    for (size_t i = 0; i < sizeof req / sizeof *req; i++)
        if (empty(*(const char *const *)((const char *)q + req[i].off)))
            return bad(err, errlen, req[i].name, "required and missing");
    if (!psy_npi_valid(q->provider_npi))
        return bad(err, errlen, "provider_npi", "not a valid NPI (10 digits with a correct check digit)");
    if (strlen(q->trace) > 50) return bad(err, errlen, "trace", "longer than 50 characters");
    if (!empty(q->trace_originator) && strlen(q->trace_originator) != 10)
        return bad(err, errlen, "trace_originator", "must be 10 characters (1 and the EIN)");
    if (strlen(q->member_id) > 80) return bad(err, errlen, "member_id", "longer than 80 characters");
    if (strlen(q->sender_id) > 15 || strlen(q->receiver_id) > 15)
        return bad(err, errlen, strlen(q->sender_id) > 15 ? "sender_id" : "receiver_id", "longer than 15 characters");
    const char *dates[][2] = {{"service_date", q->service_date}, {"date", q->date},
                              {"sub_birth", q->sub_birth},        {"pat_birth", q->dependent ? q->pat_birth : NULL}};
    for (size_t i = 0; i < 4; i++)
        if (!empty(dates[i][1]) && !psy_date_valid(dates[i][1]))
            return bad(err, errlen, dates[i][0], "not a date written CCYYMMDD");
    if (strlen(q->time) != 4 || strspn(q->time, "0123456789") != 4)
        return bad(err, errlen, "time", "not a time written HHMM");
    if (q->dependent && (empty(q->pat_last) || empty(q->pat_first) || empty(q->pat_birth)))
        return bad(err, errlen, empty(q->pat_last) ? "pat_last" : empty(q->pat_first) ? "pat_first" : "pat_birth",
                   "the dependent's name and birth date are required");
    if (!q->dependent && (empty(q->sub_last) || empty(q->sub_first) || empty(q->sub_birth)))
        return bad(err, errlen, empty(q->sub_last) ? "sub_last" : empty(q->sub_first) ? "sub_first" : "sub_birth",
                   "the subscriber's name and birth date are required");
    const char *const *types = q->service_types ? q->service_types : psy_x12_270_service_types;
    size_t n = 0;
    for (; types[n]; n++) {
        if (!service_type_ok(types[n])) return bad(err, errlen, "service_types", "a service type code is 1 or 2 letters or digits");
        if (n == 99) return bad(err, errlen, "service_types", "at most 99 service types");
    }
    if (!n) return bad(err, errlen, "service_types", "at least one service type");
    return PSY_OK;
}

static void el(struct psy__x12w *w, const char *field, const char *v) { psy__x12w_el(w, field, v); }

static void seg(struct psy__x12w *w, const char *id, const char *const *v, size_t n)
{
    psy__x12w_seg(w, id);
    for (size_t i = 0; i < n; i++) el(w, "", v[i]);
    psy__x12w_end(w);
}

static void hl(struct psy__x12w *w, const char *id, const char *parent, const char *level, int children)
{
    const char *v[] = {id, parent, level, children ? "1" : "0"};
    seg(w, "HL", v, 4);
}

/* NM1: entity, type (1 person, 2 organisation), last or organisation name, first name, id qualifier, id. */
static void nm1(struct psy__x12w *w, const char *entity, int person, const char *last, const char *first,
                const char *qual, const char *id, const char *field)
{
    psy__x12w_seg(w, "NM1");
    el(w, "", entity);
    el(w, "", person ? "1" : "2");
    el(w, field, last);
    el(w, field, person ? first : NULL);
    el(w, "", NULL);
    el(w, "", NULL);
    el(w, "", NULL);
    el(w, "", qual);
    el(w, field, id);
    psy__x12w_end(w);
}

static void dmg(struct psy__x12w *w, const char *birth, char sex)
{
    if (empty(birth)) return;
    char s[2] = {sex == 'F' || sex == 'M' || sex == 'U' ? sex : 0, 0};
    psy__x12w_seg(w, "DMG");
    el(w, "", "D8");
    el(w, "birth_date", birth);
    el(w, "sex", s);
    psy__x12w_end(w);
}

/* TRN, DTP*291 and EQ of the patient's loop (2000C/2100C/2110C or 2000D/2100D/2110D). */
static void inquiry(struct psy__x12w *w, const struct psy_x12_270 *q, int trn_only)
{
    if (trn_only) {
        psy__x12w_seg(w, "TRN");
        el(w, "", "1");
        el(w, "trace", q->trace);
        el(w, "trace_originator", q->trace_originator);
        psy__x12w_end(w);
        return;
    }
    psy__x12w_seg(w, "DTP");
    el(w, "", "291");
    el(w, "", "D8");
    el(w, "service_date", q->service_date);
    psy__x12w_end(w);
    const char *const *types = q->service_types ? q->service_types : psy_x12_270_service_types;
    size_t n = 0;
    while (types[n]) n++;
    psy__x12w_seg(w, "EQ");
    psy__x12w_rep(w, "service_types", types, n);
    psy__x12w_end(w);
}

psy_status psy_x12_270_write(const struct psy_x12_270 *q, const struct psy_x12_write_opts *o, char **out,
                             size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    char dummy[8];
    if (!err || !errlen) err = dummy, errlen = sizeof dummy;
    err[0] = 0;
    struct psy_x12_delims d;
    unsigned long ctl[3];
    psy_status rc = check(q, err, errlen);
    if (rc || (rc = psy__x12_delims_for(o, &d, err, errlen)) || (rc = psy__x12_controls(o, ctl, err, errlen)))
        return rc;
    char st02[16];
    snprintf(st02, sizeof st02, "%04lu", ctl[2]);
    const struct psy__x12_envelope env = {q->sender_id, q->receiver_id, q->date, q->time, "HS", "005010X279A1",
                                          {ctl[0], ctl[1], ctl[2]}, q->production};
    struct psy__x12w w;
    psy__x12w_init(&w, &d, o->line_breaks);
    psy__x12w_open(&w, &env);
    w.segs = 0;
    const char *st[] = {"270", st02, "005010X279A1"};
    seg(&w, "ST", st, 3);
    /* BHT02 13 request; BHT03 the submitter's reference (here the trace) */
    psy__x12w_seg(&w, "BHT");
    el(&w, "", "0022");
    el(&w, "", "13");
    el(&w, "trace", q->trace);
    el(&w, "date", q->date);
    el(&w, "time", q->time);
    psy__x12w_end(&w);
    hl(&w, "1", NULL, "20", 1);
    nm1(&w, "PR", 0, q->payer_name, NULL, "PI", q->payer_id, "payer");
    hl(&w, "2", "1", "21", 1);
    nm1(&w, "1P", !empty(q->provider_first), q->provider_name, q->provider_first, "XX", q->provider_npi, "provider");
    hl(&w, "3", "2", "22", q->dependent);
    if (!q->dependent) inquiry(&w, q, 1);
    nm1(&w, "IL", 1, q->sub_last, q->sub_first, "MI", q->member_id, "subscriber");
    if (!empty(q->group_number)) {
        psy__x12w_seg(&w, "REF");
        el(&w, "", "6P");
        el(&w, "group_number", q->group_number);
        psy__x12w_end(&w);
    }
    dmg(&w, q->sub_birth, q->sub_sex);
    if (q->dependent) {
        hl(&w, "4", "3", "23", 0);
        inquiry(&w, q, 1);
        nm1(&w, "03", 1, q->pat_last, q->pat_first, NULL, NULL, "patient");
        dmg(&w, q->pat_birth, q->pat_sex);
    }
    inquiry(&w, q, 0);
    psy__x12w_close(&w, &env, st02);
    if (w.rc) {
        snprintf(err, errlen, "%s", w.err);
        psy__buf_free(&w.out);
        return w.rc;
    }
    *out = w.out.p;
    *len = w.out.n;
    return PSY_OK;
}
