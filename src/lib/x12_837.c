/*
 * x12_837.c -- the 837P (005010X222A1) professional claim writer and its preflight check.
 *
 * One batch becomes one interchange: ISA/GS/ST, BHT, submitter (1000A) and receiver (1000B), the
 * billing provider level (2000A/2010AA), then for every claim a subscriber level (2000B with 2010BA
 * subscriber and 2010BB payer), a patient level (2000C/2010CA) when the patient is not the subscriber,
 * the claim (2300: CLM, AMT*F5, REF*F8, REF*G1, HI), the rendering provider (2310B) when it is not the
 * billing provider, the earlier payers of a secondary or tertiary claim (2320: SBR, CAS, AMT*D, AMT*EAF,
 * OI; 2330A NM1*IL; 2330B NM1*PR), and the lines (2400: LX, SV1, DTP*472, REF*6R, 2420A when a line's
 * clinician differs, 2430 per earlier payer: SVD, CAS, DTP*573), the COB amounts balanced as the guide
 * asks. Nothing is written unless the preflight finds no error; control numbers come from a
 * caller's counter so that a store can guarantee they never repeat.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "x12_int.h"
#include "psyclaim/psy_catalog.h"

/* --- preflight ------------------------------------------------------------------------------ */

struct findings {
    struct psy_claim_finding *out;
    size_t cap, n, errors;
    /* where the checks are: claims[ci], or claims[ci].sub[j] -- written out only when a finding names it
     * (the checks run on every claim of every build, and nearly all of them find nothing) */
    int in_claim;
    size_t ci, j;
    const char *sub;
    char first_error[300]; /* "field: message" of the first error */
};

static void at_claim(struct findings *f, size_t ci, const char *sub, size_t j)
{
    f->in_claim = 1;
    f->ci = ci;
    f->sub = sub;
    f->j = j;
}

static void add(struct findings *f, enum psy_finding_severity sev, const char *rule, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void add(struct findings *f, enum psy_finding_severity sev, const char *rule, const char *field,
                const char *fmt, ...)
{
    char name[96], msg[200];
    if (!f->in_claim) snprintf(name, sizeof name, "%s", field);
    else if (!f->sub) snprintf(name, sizeof name, "claims[%zu].%s", f->ci, field);
    else snprintf(name, sizeof name, "claims[%zu].%s[%zu].%s", f->ci, f->sub, f->j, field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (sev == PSY_FINDING_ERROR && !f->errors++) snprintf(f->first_error, sizeof f->first_error, "%s: %s", name, msg);
    if (f->n < f->cap) {
        struct psy_claim_finding *x = &f->out[f->n];
        x->severity = sev;
        x->rule = rule;
        snprintf(x->field, sizeof x->field, "%s", name);
        snprintf(x->message, sizeof x->message, "%s", msg);
    }
    f->n++;
}

static int empty(const char *s) { return !s || !*s; }

static int all_digits(const char *s, size_t min, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n < min || n > max) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

static int required(struct findings *f, const char *field, const char *v)
{
    if (!empty(v)) return 1;
    add(f, PSY_FINDING_ERROR, "R-837-REQ", field, "required and missing");
    return 0;
}

static int has_po_box(const char *s)
{
    if (empty(s)) return 0;
    char up[64];
    size_t k = 0;
    for (; *s && k < sizeof up - 1; s++)
        if (isalnum((unsigned char)*s)) up[k++] = (char)toupper((unsigned char)*s);
    up[k] = 0;
    return !strncmp(up, "POBOX", 5) || !strncmp(up, "POSTOFFICEBOX", 13) || strstr(up, "LOCKBOX") != NULL;
}

/* "who.what" into fld: a field name is written only when a finding names it (the checks run on every
 * claim of every build, and nearly all of them find nothing). */
static const char *at(char fld[64], const char *who, const char *what)
{
    snprintf(fld, 64, "%s.%s", who, what);
    return fld;
}

static int required_at(struct findings *f, const char *who, const char *what, const char *v)
{
    char fld[64];
    return empty(v) ? required(f, at(fld, who, what), v) : 1;
}

/* Free text (a name, an address) that the file can carry at all: ASCII without control characters
 * (what psy_x12_ascii leaves of a record's text when a character has no ASCII spelling, such as a name
 * in another script). The separators depend on the file's delimiters: the writer refuses those. */
static void check_text(struct findings *f, const char *field, const char *v)
{
    for (const unsigned char *p = (const unsigned char *)(v ? v : ""); *p; p++)
        if (*p >= 0x80 || *p < 0x20 || *p == 0x7f) {
            add(f, PSY_FINDING_ERROR, "R-837-CHAR", field,
                *p >= 0x80 ? "a character outside ASCII with no ASCII spelling (an X12 file carries ASCII only): "
                             "enter it in Latin letters, as the insurance card or the payer spells it"
                           : "a control character, which an X12 file cannot carry");
            return;
        }
}

static void check_text_at(struct findings *f, const char *who, const char *what, const char *v)
{
    char fld[64];
    check_text(f, at(fld, who, what), v);
}

static void check_address(struct findings *f, const char *who, const struct psy_claim_address *a, int billing)
{
    char fld[64];
    check_text_at(f, who, "address.line1", a->line1);
    check_text_at(f, who, "address.line2", a->line2);
    check_text_at(f, who, "address.city", a->city);
    required_at(f, who, "address.line1", a->line1);
    required_at(f, who, "address.city", a->city);
    if (required_at(f, who, "address.state", a->state) &&
        (strlen(a->state) != 2 || !isalpha((unsigned char)a->state[0]) || !isalpha((unsigned char)a->state[1])))
        add(f, PSY_FINDING_ERROR, "R-837-ADDR", at(fld, who, "address.state"), "must be a two-letter state code");
    if (required_at(f, who, "address.zip", a->zip)) {
        if (billing && !all_digits(a->zip, 9, 9))
            add(f, PSY_FINDING_ERROR, "R-837-ADDR", at(fld, who, "address.zip"),
                "the billing provider needs the 9-digit ZIP code");
        else if (!all_digits(a->zip, 5, 5) && !all_digits(a->zip, 9, 9))
            add(f, PSY_FINDING_ERROR, "R-837-ADDR", at(fld, who, "address.zip"), "must be 5 or 9 digits");
    }
    if (billing && (has_po_box(a->line1) || has_po_box(a->line2)))
        add(f, PSY_FINDING_ERROR, "R-837-ADDR", at(fld, who, "address.line1"),
            "a billing provider address cannot be a PO box or lockbox");
}

static void check_npi(struct findings *f, const char *field, const char *npi)
{
    if (!required(f, field, npi)) return;
    if (!psy_npi_valid(npi))
        add(f, PSY_FINDING_ERROR, "R-NPI-1", field, "not a valid NPI (10 digits with a correct check digit)");
}

static void check_provider(struct findings *f, const char *who, const struct psy_claim_provider *p, int billing)
{
    char fld[64];
    required_at(f, who, "last_name", p->last_name);
    if (p->is_person) required_at(f, who, "first_name", p->first_name);
    check_text_at(f, who, "last_name", p->last_name);
    check_text_at(f, who, "first_name", p->first_name);
    if (empty(p->npi) || !psy_npi_valid(p->npi)) check_npi(f, at(fld, who, "npi"), p->npi);
    if (!billing) return;
    if (required_at(f, who, "tax_id", p->tax_id) && !all_digits(p->tax_id, 9, 9))
        add(f, PSY_FINDING_ERROR, "R-837-TIN", at(fld, who, "tax_id"), "must be 9 digits without dashes");
    check_address(f, who, &p->address, 1);
}

static void check_person(struct findings *f, const char *who, const struct psy_claim_person *p)
{
    char fld[64];
    required_at(f, who, "last_name", p->last_name);
    check_text_at(f, who, "last_name", p->last_name);
    check_text_at(f, who, "first_name", p->first_name);
    if (required_at(f, who, "birth_date", p->birth_date) && !psy_date_valid(p->birth_date))
        add(f, PSY_FINDING_ERROR, "R-837-DATE", at(fld, who, "birth_date"), "not a date written CCYYMMDD");
    if (p->sex != 'F' && p->sex != 'M' && p->sex != 'U')
        add(f, PSY_FINDING_ERROR, "R-837-REQ", at(fld, who, "sex"), "must be F, M or U");
    check_address(f, who, &p->address, 0);
}

static int in_list(const char *v, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(v, *list)) return 1;
    return 0;
}

/* A numbered field's name, into the caller's fld, written when a finding names it. */
#define FLD(fmt, i) (snprintf(fld, sizeof fld, fmt, i), fld)

static void check_line(struct findings *f, const struct psy_claim_batch *b, const struct psy_claim *c,
                       const struct psy_claim_line *l)
{
    char code[PSY_CODE_MAX], fld[48];
    if (required(f, "code", l->code) && psy_catalog_normalize(PSY_SYS_CPT, l->code, code) &&
        psy_catalog_normalize(PSY_SYS_HCPCS, l->code, code))
        add(f, PSY_FINDING_ERROR, "R-837-CODE", "code", "not a CPT or HCPCS Level II code");
    int gap = 0;
    for (int m = 0; m < PSY_CLAIM_MAX_MODS; m++) {
        if (empty(l->modifiers[m])) {
            gap = 1;
            continue;
        }
        if (gap)
            add(f, PSY_FINDING_ERROR, "R-837-MOD", FLD("modifiers[%d]", m), "modifiers must be listed without gaps");
        if (strlen(l->modifiers[m]) != 2 || !isalnum((unsigned char)l->modifiers[m][0]) ||
            !isalnum((unsigned char)l->modifiers[m][1]))
            add(f, PSY_FINDING_ERROR, "R-837-MOD", FLD("modifiers[%d]", m), "a modifier is two letters or digits");
    }
    if (l->units < 1 || l->units > 99999) add(f, PSY_FINDING_ERROR, "R-837-UNITS", "units", "must be 1 to 99999");
    if (l->charge_cents < 0 || l->charge_cents > 99999999999LL)
        add(f, PSY_FINDING_ERROR, "R-837-CHARGE", "charge_cents", "must be 0 to 999999999.99");
    else if (l->charge_cents == 0)
        add(f, PSY_FINDING_WARNING, "R-837-CHARGE", "charge_cents", "a zero charge is rarely what a payer expects");
    if (required(f, "date", l->date)) {
        if (!psy_date_valid(l->date))
            add(f, PSY_FINDING_ERROR, "R-837-DATE", "date", "not a date written CCYYMMDD");
        else if (psy_date_valid(b->date) && strcmp(l->date, b->date) > 0)
            add(f, PSY_FINDING_ERROR, "R-837-DATE", "date", "the service date is after the date of the file");
    }
    if (!empty(l->place_of_service) && !all_digits(l->place_of_service, 2, 2))
        add(f, PSY_FINDING_ERROR, "R-837-POS", "place_of_service", "a place of service is two digits");
    int seen[PSY_CLAIM_MAX_DX + 1] = {0}, n = 0, ended = 0;
    for (int p = 0; p < PSY_CLAIM_MAX_PTRS; p++) {
        unsigned v = l->dx_pointers[p];
        if (!v) {
            ended = 1;
            continue;
        }
        if (ended)
            add(f, PSY_FINDING_ERROR, "R-837-PTR", FLD("dx_pointers[%d]", p), "pointers must be listed without gaps");
        if (v > c->n_diagnoses)
            add(f, PSY_FINDING_ERROR, "R-837-PTR", FLD("dx_pointers[%d]", p),
                "points at diagnosis %u but the claim has %zu", v, c->n_diagnoses);
        else if (seen[v]++)
            add(f, PSY_FINDING_ERROR, "R-837-PTR", FLD("dx_pointers[%d]", p), "points at diagnosis %u twice", v);
        n++;
    }
    if (!n) add(f, PSY_FINDING_ERROR, "R-837-PTR", "dx_pointers[0]", "every line needs at least one diagnosis pointer");
    if (l->rendering) check_provider(f, "rendering", l->rendering, 0);
    if (!empty(l->line_control) && strlen(l->line_control) > 50)
        add(f, PSY_FINDING_ERROR, "R-837-REF", "line_control", "longer than 50 characters");
}

static long long adj_total(const struct psy_claim_adjustment *a, size_t n, int *over)
{
    long long sum = 0;
    for (size_t i = 0; i < n; i++) psy_cents_acc(&sum, a[i].amount_cents, over);
    return sum;
}

static void check_adjustments(struct findings *f, const char *field, const struct psy_claim_adjustment *a, size_t n)
{
    static const char *const groups[] = {"CO", "CR", "OA", "PI", "PR", NULL};
    char fld[160];
    for (size_t i = 0; i < n; i++) {
        snprintf(fld, sizeof fld, "%s[%zu].group", field, i);
        if (empty(a[i].group) || !in_list(a[i].group, groups))
            add(f, PSY_FINDING_ERROR, "R-837-COB", fld, "a claim adjustment group is CO, CR, OA, PI or PR");
        snprintf(fld, sizeof fld, "%s[%zu].reason", field, i);
        if (empty(a[i].reason) || strlen(a[i].reason) > 5)
            add(f, PSY_FINDING_ERROR, "R-837-COB", fld, "a claim adjustment reason code of 1 to 5 characters");
    }
}

/* The earlier payers' adjudication (2320/2330/2430) and the balance 005010X222A1 asks of it: each
 * line's charge is what the payer paid on it (SVD02) plus its adjustments (2430 CAS), and the claim's
 * charge is the payer's paid amount (2320 AMT*D) plus its claim-level and line-level adjustments. */
static void check_cob(struct findings *f, const struct psy_claim *c, size_t ci)
{
    char fld[160];
    char seq = c->subscriber ? c->subscriber->payer_sequence : 0;
    if (seq && seq != 'P' && !c->n_others)
        add(f, PSY_FINDING_ERROR, "R-837-COB", "others",
            "a claim to a secondary or later payer carries the earlier payers' adjudication (2320), and none is "
            "posted");
    if (c->n_others > 9) add(f, PSY_FINDING_ERROR, "R-837-COB", "others", "at most 9 other payers (2320 repeats)");
    for (size_t k = 0; k < c->n_others && k < 9; k++) {
        const struct psy_claim_other_payer *o = &c->others[k];
        at_claim(f, ci, "others", k);
        if (!o->sequence || !strchr("PSTABCDEFGH", o->sequence))
            add(f, PSY_FINDING_ERROR, "R-837-COB", "sequence", "must be P, S, T or A-H");
        required(f, "relationship", o->relationship);
        required(f, "filing_indicator", o->filing_indicator);
        required(f, "subscriber_last", o->subscriber_last);
        check_text(f, "subscriber_last", o->subscriber_last);
        check_text(f, "subscriber_first", o->subscriber_first);
        required(f, "member_id", o->member_id);
        required(f, "name", o->name);
        check_text(f, "name", o->name);
        required(f, "id", o->id);
        check_adjustments(f, "adjustments", o->adjustments, o->n_adjustments);
        int over = 0, lines = 0;
        long long cas = adj_total(o->adjustments, o->n_adjustments, &over), svd = 0;
        for (size_t j = 0; j < c->n_lines; j++)
            for (size_t a = 0; a < c->lines[j].n_adjudications; a++) {
                const struct psy_claim_line_adjudication *d = &c->lines[j].adjudications[a];
                if (empty(d->payer_id) || empty(o->id) || strcmp(d->payer_id, o->id)) continue;
                lines++;
                snprintf(fld, sizeof fld, "lines[%zu].adjudications[%zu]", j, a);
                long long la = adj_total(d->adjustments, d->n_adjustments, &over), sum;
                check_adjustments(f, fld, d->adjustments, d->n_adjustments);
                if (!psy_date_valid(d->date ? d->date : ""))
                    add(f, PSY_FINDING_ERROR, "R-837-COB", fld, "the adjudication date (DTP*573) is not CCYYMMDD");
                if (psy_cents_add(d->paid_cents, la, &sum) || sum != c->lines[j].charge_cents)
                    add(f, PSY_FINDING_ERROR, "R-837-COB-BAL", fld,
                        "the line charge %lld is not the paid amount %lld plus the adjustments %lld",
                        c->lines[j].charge_cents, d->paid_cents, la);
                psy_cents_acc(&svd, d->paid_cents, &over);
                psy_cents_acc(&cas, la, &over);
            }
        if (!lines && !psy_date_valid(o->date ? o->date : ""))
            add(f, PSY_FINDING_ERROR, "R-837-COB", "date",
                "the adjudication date (2330B DTP*573) is required when no line carries the payer's 2430");
        if (lines && svd != o->paid_cents)
            add(f, PSY_FINDING_ERROR, "R-837-COB-BAL", "paid_cents",
                "the payer paid amount %lld (AMT*D) is not the sum of its line payments %lld (SVD02)", o->paid_cents,
                svd);
        long long sum;
        if (over || psy_cents_add(o->paid_cents, cas, &sum) || sum != c->total_cents)
            add(f, PSY_FINDING_ERROR, "R-837-COB-BAL", "paid_cents",
                "the claim charge %lld is not the payer paid amount %lld plus the adjustments %lld", c->total_cents,
                o->paid_cents, cas);
    }
}

static void check_claim(struct findings *f, const struct psy_claim_batch *b, size_t ci)
{
    static const char *const filing[] = {"11", "12", "13", "14", "15", "16", "17", "AM", "BL", "CH", "CI", "DS",
                                         "FI", "HM", "LM", "MA", "MB", "MC", "OF", "TV", "VA", "WC", "ZZ", NULL};
    static const char *const rel[] = {"01", "19", "20", "21", "39", "40", "53", "G8", NULL};
    const struct psy_claim *c = &b->claims[ci];
    at_claim(f, ci, NULL, 0);
    if (required(f, "id", c->id) && strlen(c->id) > PSY_CLAIM_ID_MAX)
        add(f, PSY_FINDING_ERROR, "R-837-ID", "id", "longer than %d characters", PSY_CLAIM_ID_MAX);
    if (c->frequency != PSY_FREQ_ORIGINAL && c->frequency != PSY_FREQ_REPLACEMENT && c->frequency != PSY_FREQ_VOID)
        add(f, PSY_FINDING_ERROR, "R-837-FREQ", "frequency", "must be 1 (original), 7 (replacement) or 8 (void)");
    else if (c->frequency != PSY_FREQ_ORIGINAL && empty(c->payer_claim_number))
        add(f, PSY_FINDING_ERROR, "R-837-FREQ", "payer_claim_number",
            "a replacement or void needs the payer's claim number of the original");
    if (required(f, "place_of_service", c->place_of_service) && !all_digits(c->place_of_service, 2, 2))
        add(f, PSY_FINDING_ERROR, "R-837-POS", "place_of_service", "a place of service is two digits");
    if (!empty(c->prior_auth) && strlen(c->prior_auth) > 50)
        add(f, PSY_FINDING_ERROR, "R-837-REF", "prior_auth", "longer than 50 characters");
    if (c->n_diagnoses < 1 || c->n_diagnoses > PSY_CLAIM_MAX_DX)
        add(f, PSY_FINDING_ERROR, "R-837-DX", "diagnoses", "a claim has 1 to %d diagnoses", PSY_CLAIM_MAX_DX);
    char dx[PSY_CLAIM_MAX_DX][PSY_CODE_MAX], fld[48];
    for (size_t d = 0; d < c->n_diagnoses && d < PSY_CLAIM_MAX_DX; d++) {
        dx[d][0] = 0;
        if (empty(c->diagnoses[d])) {
            required(f, FLD("diagnoses[%zu]", d), c->diagnoses[d]);
            continue;
        }
        if (psy_catalog_normalize(PSY_SYS_ICD10CM, c->diagnoses[d], dx[d])) {
            add(f, PSY_FINDING_ERROR, "R-837-DX", FLD("diagnoses[%zu]", d), "not an ICD-10-CM code");
            dx[d][0] = 0;
            continue;
        }
        for (size_t e = 0; e < d; e++)
            if (!strcmp(dx[e], dx[d]))
                add(f, PSY_FINDING_ERROR, "R-837-DX", FLD("diagnoses[%zu]", d), "repeats diagnosis %zu", e + 1);
    }
    size_t n_lines = c->lines ? c->n_lines : 0;
    if (n_lines < 1 || n_lines > PSY_CLAIM_MAX_LINES)
        add(f, PSY_FINDING_ERROR, "R-837-LINES", "lines", "a claim has 1 to %d service lines", PSY_CLAIM_MAX_LINES);
    long long sum = 0;
    int over = 0; /* cannot happen with lines checked to 11 digits, but sums go through one helper */
    for (size_t j = 0; j < n_lines && j < PSY_CLAIM_MAX_LINES; j++) {
        at_claim(f, ci, "lines", j);
        check_line(f, b, c, &c->lines[j]);
        if (c->lines[j].charge_cents > 0 && c->lines[j].charge_cents <= 99999999999LL)
            psy_cents_acc(&sum, c->lines[j].charge_cents, &over);
    }
    at_claim(f, ci, NULL, 0);
    if (n_lines && (over || sum != c->total_cents))
        add(f, PSY_FINDING_ERROR, "R-837-TOTAL", "total_cents", "the claim total %lld is not the sum of its lines %lld",
            c->total_cents, sum);
    if (c->patient_paid_cents < 0 || c->patient_paid_cents > c->total_cents)
        add(f, PSY_FINDING_ERROR, "R-837-PAID", "patient_paid_cents", "must be 0 to the claim total");
    if (!c->subscriber) {
        add(f, PSY_FINDING_ERROR, "R-837-REQ", "subscriber", "required and missing");
    } else {
        required(f, "subscriber.member_id", c->subscriber->member_id);
        char s = c->subscriber->payer_sequence;
        if (s && !strchr("PSTABCDEFGHU", s))
            add(f, PSY_FINDING_ERROR, "R-837-SBR", "subscriber.payer_sequence", "must be P, S, T, A-H or U");
        if (c->patient) {
            required(f, "subscriber.last_name", c->subscriber->person.last_name);
            check_text(f, "subscriber.last_name", c->subscriber->person.last_name);
            check_text(f, "subscriber.first_name", c->subscriber->person.first_name);
        }
        else check_person(f, "subscriber", &c->subscriber->person);
    }
    if (c->patient) {
        check_person(f, "patient", c->patient);
        if (empty(c->patient_relationship) || !in_list(c->patient_relationship, rel))
            add(f, PSY_FINDING_ERROR, "R-837-PAT", "patient_relationship",
                "must be 01, 19, 20, 21, 39, 40, 53 or G8 when the patient is not the subscriber");
    }
    if (!c->payer) {
        add(f, PSY_FINDING_ERROR, "R-837-REQ", "payer", "required and missing");
    } else {
        required(f, "payer.name", c->payer->name);
        check_text(f, "payer.name", c->payer->name);
        required(f, "payer.id", c->payer->id);
        if (required(f, "payer.filing_indicator", c->payer->filing_indicator) &&
            !in_list(c->payer->filing_indicator, filing))
            add(f, PSY_FINDING_ERROR, "R-837-SBR", "payer.filing_indicator", "not a claim filing indicator code");
        const struct psy_claim_payer *p0 = b->claims[0].payer;
        if (ci && p0 && !empty(p0->id) && !empty(c->payer->id) && strcmp(p0->id, c->payer->id))
            add(f, PSY_FINDING_ERROR, "R-837-BATCH", "payer.id", "one file carries the claims of one payer only");
    }
    if (c->rendering) check_provider(f, "rendering", c->rendering, 0);
    check_cob(f, c, ci);
}

/* Runs every check; f collects. */
static void preflight(const struct psy_claim_batch *b, struct findings *f)
{
    f->in_claim = 0;
    if (!b->submitter) {
        add(f, PSY_FINDING_ERROR, "R-837-REQ", "submitter", "required and missing");
    } else {
        required(f, "submitter.name", b->submitter->name);
        check_text(f, "submitter.name", b->submitter->name);
        check_text(f, "submitter.contact_name", b->submitter->contact_name);
        required(f, "submitter.id", b->submitter->id);
        if (empty(b->submitter->phone) && empty(b->submitter->email))
            add(f, PSY_FINDING_ERROR, "R-837-REQ", "submitter.phone", "a phone number or an email is required");
        else if (!empty(b->submitter->phone) && !all_digits(b->submitter->phone, 10, 20))
            add(f, PSY_FINDING_ERROR, "R-837-PER", "submitter.phone", "digits only, area code first");
    }
    if (!b->receiver) {
        add(f, PSY_FINDING_ERROR, "R-837-REQ", "receiver", "required and missing");
    } else {
        required(f, "receiver.name", b->receiver->name);
        required(f, "receiver.id", b->receiver->id);
    }
    if (!b->billing) add(f, PSY_FINDING_ERROR, "R-837-REQ", "billing", "required and missing");
    else check_provider(f, "billing", b->billing, 1);
    if (required(f, "date", b->date) && !psy_date_valid(b->date))
        add(f, PSY_FINDING_ERROR, "R-837-DATE", "date", "not a date written CCYYMMDD");
    if (required(f, "time", b->time) &&
        (!all_digits(b->time, 4, 4) || (b->time[0] - '0') * 10 + (b->time[1] - '0') > 23 || b->time[2] > '5'))
        add(f, PSY_FINDING_ERROR, "R-837-DATE", "time", "not a time written HHMM");
    if (!empty(b->batch_id) && strlen(b->batch_id) > 50)
        add(f, PSY_FINDING_ERROR, "R-837-REF", "batch_id", "longer than 50 characters");
    if (b->n_claims < 1 || b->n_claims > PSY_CLAIM_MAX_PER_BATCH || !b->claims) {
        add(f, PSY_FINDING_ERROR, "R-837-BATCH", "claims", "a file carries 1 to %d claims", PSY_CLAIM_MAX_PER_BATCH);
        return;
    }
    for (size_t i = 0; i < b->n_claims; i++) check_claim(f, b, i);
    f->in_claim = 0;
}

psy_status psy_x12_837_preflight(const struct psy_claim_batch *b, struct psy_claim_finding *out, size_t cap,
                                 size_t *n)
{
    struct findings f = {.out = out, .cap = cap};
    preflight(b, &f);
    *n = f.n;
    return PSY_OK;
}

/* --- writer --------------------------------------------------------------------------------- */

static void el(struct psy__x12w *w, const char *field, const char *v) { psy__x12w_el(w, field, v); }

/* NM1; an organisation's name is the field "name" of submitter, receiver and payer, "last_name" elsewhere. */
static void name_segment(struct psy__x12w *w, const char *entity, int person, const char *last, const char *first,
                         const char *middle, const char *suffix, const char *qual, const char *id)
{
    int plain_name = !strcmp(entity, "41") || !strcmp(entity, "40") || !strcmp(entity, "PR");
    psy__x12w_seg(w, "NM1");
    el(w, "entity", entity);
    el(w, "entity_type", person ? "1" : "2");
    el(w, plain_name ? "name" : "last_name", last);
    el(w, "first_name", person ? first : NULL);
    el(w, "middle_name", person ? middle : NULL);
    el(w, "prefix", NULL);
    el(w, "suffix", person ? suffix : NULL);
    el(w, "id_qualifier", qual);
    el(w, !qual ? "id" : !strcmp(qual, "XX") ? "npi" : !strcmp(qual, "MI") ? "member_id" : "id", id);
    psy__x12w_end(w);
}

static void address(struct psy__x12w *w, const struct psy_claim_address *a)
{
    if (empty(a->line1)) return;
    psy__x12w_seg(w, "N3");
    el(w, "address.line1", a->line1);
    el(w, "address.line2", a->line2);
    psy__x12w_end(w);
    psy__x12w_seg(w, "N4");
    el(w, "address.city", a->city);
    el(w, "address.state", a->state);
    el(w, "address.zip", a->zip);
    psy__x12w_end(w);
}

static void prv(struct psy__x12w *w, const char *code, const char *taxonomy)
{
    if (empty(taxonomy)) return;
    psy__x12w_seg(w, "PRV");
    el(w, "", code);
    el(w, "", "PXC");
    el(w, "taxonomy", taxonomy);
    psy__x12w_end(w);
}

/* 2000A billing (PRV*BI before the name) or 2310B/2420A rendering (PRV*PE after it). */
static void provider(struct psy__x12w *w, int billing, const struct psy_claim_provider *p)
{
    if (billing) prv(w, "BI", p->taxonomy);
    name_segment(w, billing ? "85" : "82", p->is_person, p->last_name, p->first_name, p->middle_name, p->suffix,
                 "XX", p->npi);
    if (!billing) prv(w, "PE", p->taxonomy);
}

static void person(struct psy__x12w *w, const char *entity, const struct psy_claim_person *p, const char *member_id,
                   int demographics)
{
    name_segment(w, entity, 1, p->last_name, p->first_name, p->middle_name, p->suffix, member_id ? "MI" : NULL,
                 member_id);
    address(w, &p->address);
    if (demographics && !empty(p->birth_date)) {
        char sex[2] = {p->sex, 0};
        psy__x12w_seg(w, "DMG");
        el(w, "", "D8");
        el(w, "birth_date", p->birth_date);
        el(w, "sex", sex);
        psy__x12w_end(w);
    }
}

static void hl(struct psy__x12w *w, unsigned long id, unsigned long parent, const char *level, int children)
{
    char a[24], b[24];
    snprintf(a, sizeof a, "%lu", id);
    snprintf(b, sizeof b, "%lu", parent);
    psy__x12w_seg(w, "HL");
    el(w, "", a);
    el(w, "", parent ? b : NULL);
    el(w, "", level);
    el(w, "", children ? "1" : "0");
    psy__x12w_end(w);
}

static const char *npi_of(const struct psy_claim_provider *p) { return p && p->npi ? p->npi : ""; }

static void line_adjudication(struct psy__x12w *w, const struct psy_claim_line *l,
                              const struct psy_claim_line_adjudication *d);

static void line(struct psy__x12w *w, const struct psy_claim *c, const struct psy_claim_line *l, size_t j,
                 const struct psy_claim_provider *claim_rendering)
{
    char num[24], money[24], units[16], code[PSY_CODE_MAX], ptrs[PSY_CLAIM_MAX_PTRS][4], ctl[64];
    snprintf(num, sizeof num, "%zu", j + 1);
    psy__x12w_seg(w, "LX");
    el(w, "", num);
    psy__x12w_end(w);
    if (psy_catalog_normalize(PSY_SYS_CPT, l->code, code)) psy_catalog_normalize(PSY_SYS_HCPCS, l->code, code);
    const char *proc[2 + PSY_CLAIM_MAX_MODS] = {"HC", code};
    for (int m = 0; m < PSY_CLAIM_MAX_MODS; m++) proc[2 + m] = l->modifiers[m];
    const char *ptr[PSY_CLAIM_MAX_PTRS] = {0};
    for (int p = 0; p < PSY_CLAIM_MAX_PTRS && l->dx_pointers[p]; p++) {
        snprintf(ptrs[p], sizeof ptrs[p], "%u", l->dx_pointers[p]);
        ptr[p] = ptrs[p];
    }
    psy_x12_format_cents(l->charge_cents, money);
    snprintf(units, sizeof units, "%u", l->units);
    const char *pos = l->place_of_service;
    if (!empty(pos) && !strcmp(pos, c->place_of_service)) pos = NULL;
    psy__x12w_seg(w, "SV1");
    psy__x12w_comp(w, "modifiers", proc, 2 + PSY_CLAIM_MAX_MODS);
    el(w, "charge_cents", money);
    el(w, "", "UN");
    el(w, "units", units);
    el(w, "place_of_service", pos);
    el(w, "", NULL);
    psy__x12w_comp(w, "dx_pointers", ptr, PSY_CLAIM_MAX_PTRS);
    psy__x12w_end(w);
    psy__x12w_seg(w, "DTP");
    el(w, "", "472");
    el(w, "", "D8");
    el(w, "date", l->date);
    psy__x12w_end(w);
    if (empty(l->line_control)) snprintf(ctl, sizeof ctl, "%sL%zu", c->id, j + 1);
    else snprintf(ctl, sizeof ctl, "%s", l->line_control);
    psy__x12w_seg(w, "REF");
    el(w, "", "6R");
    el(w, "line_control", ctl);
    psy__x12w_end(w);
    if (l->rendering && strcmp(npi_of(l->rendering), npi_of(claim_rendering))) {
        size_t k = strlen(w->ctx);
        snprintf(w->ctx + k, sizeof w->ctx - k, ".rendering");
        provider(w, 0, l->rendering);
        w->ctx[k] = 0;
    }
    for (size_t a = 0; a < l->n_adjudications; a++) line_adjudication(w, l, &l->adjudications[a]);
}

/* CAS segments of a 2320 or 2430 loop: one per group code, up to six reason triplets each. */
static void cas(struct psy__x12w *w, const struct psy_claim_adjustment *a, size_t n)
{
    int done[64] = {0};
    for (size_t i = 0; i < n && i < 64; i++) {
        if (done[i]) continue;
        int k = 0;
        psy__x12w_seg(w, "CAS");
        el(w, "adjustments.group", a[i].group);
        for (size_t j = i; j < n && j < 64 && k < 6; j++) {
            if (done[j] || strcmp(a[j].group, a[i].group)) continue;
            char money[24];
            psy_x12_format_cents(a[j].amount_cents, money);
            el(w, "adjustments.reason", a[j].reason);
            el(w, "adjustments.amount_cents", money);
            el(w, "", NULL);
            done[j] = 1;
            k++;
        }
        psy__x12w_end(w);
    }
}

static void amt(struct psy__x12w *w, const char *qual, const char *field, long long cents)
{
    char money[24];
    psy_x12_format_cents(cents, money);
    psy__x12w_seg(w, "AMT");
    el(w, "", qual);
    el(w, field, money);
    psy__x12w_end(w);
}

static void dtp573(struct psy__x12w *w, const char *date)
{
    psy__x12w_seg(w, "DTP");
    el(w, "", "573");
    el(w, "", "D8");
    el(w, "date", date);
    psy__x12w_end(w);
}

/* 2320 other subscriber information, 2330A other subscriber, 2330B other payer. */
static void other_payer(struct psy__x12w *w, const struct psy_claim *c, const struct psy_claim_other_payer *o)
{
    char seq[2] = {o->sequence, 0};
    int line_level = 0;
    for (size_t j = 0; j < c->n_lines; j++)
        for (size_t a = 0; a < c->lines[j].n_adjudications; a++)
            line_level |= !strcmp(c->lines[j].adjudications[a].payer_id, o->id);
    psy__x12w_seg(w, "SBR");
    el(w, "sequence", seq);
    el(w, "relationship", o->relationship);
    el(w, "group_number", o->group_number);
    el(w, "", NULL);
    el(w, "", NULL);
    el(w, "", NULL);
    el(w, "", NULL);
    el(w, "", NULL);
    el(w, "filing_indicator", o->filing_indicator);
    psy__x12w_end(w);
    cas(w, o->adjustments, o->n_adjustments);
    amt(w, "D", "paid_cents", o->paid_cents);
    if (o->remaining_cents >= 0) amt(w, "EAF", "remaining_cents", o->remaining_cents);
    psy__x12w_seg(w, "OI");
    el(w, "", NULL);
    el(w, "", NULL);
    el(w, "", "Y");
    el(w, "", NULL);
    el(w, "", NULL);
    el(w, "", "Y");
    psy__x12w_end(w);
    name_segment(w, "IL", 1, o->subscriber_last, o->subscriber_first, NULL, NULL, "MI", o->member_id);
    name_segment(w, "PR", 0, o->name, NULL, NULL, NULL, "PI", o->id);
    if (!line_level) dtp573(w, o->date);
}

/* 2430 line adjudication: SVD, CAS, DTP*573. */
static void line_adjudication(struct psy__x12w *w, const struct psy_claim_line *l,
                              const struct psy_claim_line_adjudication *d)
{
    char money[24], units[16], code[PSY_CODE_MAX];
    if (psy_catalog_normalize(PSY_SYS_CPT, l->code, code)) psy_catalog_normalize(PSY_SYS_HCPCS, l->code, code);
    const char *proc[2 + PSY_CLAIM_MAX_MODS] = {"HC", code};
    for (int m = 0; m < PSY_CLAIM_MAX_MODS; m++) proc[2 + m] = l->modifiers[m];
    psy_x12_format_cents(d->paid_cents, money);
    snprintf(units, sizeof units, "%u", d->units ? d->units : l->units);
    psy__x12w_seg(w, "SVD");
    el(w, "payer_id", d->payer_id);
    el(w, "paid_cents", money);
    psy__x12w_comp(w, "modifiers", proc, 2 + PSY_CLAIM_MAX_MODS);
    el(w, "", NULL);
    el(w, "units", units);
    psy__x12w_end(w);
    cas(w, d->adjustments, d->n_adjustments);
    dtp573(w, d->date);
}

static void claim(struct psy__x12w *w, const struct psy_claim_batch *b, size_t ci, unsigned long *hlid)
{
    const struct psy_claim *c = &b->claims[ci];
    const struct psy_claim_subscriber *s = c->subscriber;
    char money[24], freq[4], seq[2] = {s->payer_sequence ? s->payer_sequence : 'P', 0};
    psy__x12w_ctx(w, "claims[%zu].subscriber", ci);
    unsigned long sub = ++*hlid;
    hl(w, sub, 1, "22", c->patient != NULL);
    psy__x12w_seg(w, "SBR");
    el(w, "payer_sequence", seq);
    el(w, "", c->patient ? NULL : "18");
    el(w, "group_number", s->group_number);
    el(w, "group_name", s->group_name);
    el(w, "", NULL);
    el(w, "", NULL);
    el(w, "", NULL);
    el(w, "", NULL);
    el(w, "filing_indicator", c->payer->filing_indicator);
    psy__x12w_end(w);
    person(w, "IL", &s->person, s->member_id, c->patient == NULL);
    psy__x12w_ctx(w, "claims[%zu].payer", ci);
    name_segment(w, "PR", 0, c->payer->name, NULL, NULL, NULL, "PI", c->payer->id);
    address(w, &c->payer->address);
    if (c->patient) {
        psy__x12w_ctx(w, "claims[%zu].patient", ci);
        hl(w, ++*hlid, sub, "23", 0);
        psy__x12w_seg(w, "PAT");
        el(w, "relationship", c->patient_relationship);
        psy__x12w_end(w);
        person(w, "QC", c->patient, NULL, 1);
    }
    psy__x12w_ctx(w, "claims[%zu]", ci);
    psy_x12_format_cents(c->total_cents, money);
    snprintf(freq, sizeof freq, "%d", (int)c->frequency);
    const char *clm05[3] = {c->place_of_service, "B", freq};
    psy__x12w_seg(w, "CLM");
    el(w, "id", c->id);
    el(w, "total_cents", money);
    el(w, "", NULL);
    el(w, "", NULL);
    psy__x12w_comp(w, "place_of_service", clm05, 3);
    el(w, "", "Y");
    el(w, "", "A");
    el(w, "", "Y");
    el(w, "", "Y");
    psy__x12w_end(w);
    if (c->patient_paid_cents > 0) {
        psy_x12_format_cents(c->patient_paid_cents, money);
        psy__x12w_seg(w, "AMT");
        el(w, "", "F5");
        el(w, "patient_paid_cents", money);
        psy__x12w_end(w);
    }
    if (c->frequency != PSY_FREQ_ORIGINAL) {
        psy__x12w_seg(w, "REF");
        el(w, "", "F8");
        el(w, "payer_claim_number", c->payer_claim_number);
        psy__x12w_end(w);
    }
    if (!empty(c->prior_auth)) {
        psy__x12w_seg(w, "REF");
        el(w, "", "G1");
        el(w, "prior_auth", c->prior_auth);
        psy__x12w_end(w);
    }
    psy__x12w_seg(w, "HI");
    for (size_t d = 0; d < c->n_diagnoses; d++) {
        char code[PSY_CODE_MAX], bare[PSY_CODE_MAX], fld[48];
        size_t k = 0;
        psy_catalog_normalize(PSY_SYS_ICD10CM, c->diagnoses[d], code);
        for (const char *p = code; *p; p++)
            if (*p != '.') bare[k++] = *p;
        bare[k] = 0;
        const char *parts[2] = {d ? "ABF" : "ABK", bare};
        snprintf(fld, sizeof fld, "diagnoses[%zu]", d);
        psy__x12w_comp(w, fld, parts, 2);
    }
    psy__x12w_end(w);
    const struct psy_claim_provider *rendering = c->rendering ? c->rendering : b->billing;
    if (c->rendering && strcmp(npi_of(c->rendering), npi_of(b->billing))) {
        psy__x12w_ctx(w, "claims[%zu].rendering", ci);
        provider(w, 0, c->rendering);
    }
    for (size_t k = 0; k < c->n_others; k++) {
        psy__x12w_ctx(w, "claims[%zu].others[%zu]", ci, k);
        other_payer(w, c, &c->others[k]);
    }
    for (size_t j = 0; j < c->n_lines; j++) {
        psy__x12w_ctx(w, "claims[%zu].lines[%zu]", ci, j);
        line(w, c, &c->lines[j], j, rendering);
    }
}

psy_status psy_x12_837_write(const struct psy_claim_batch *b, const struct psy_x12_write_opts *o, char **out,
                             size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    if (!errlen) err = NULL;
    char dummy[8];
    if (!err) err = dummy, errlen = sizeof dummy;
    struct findings f = {0};
    preflight(b, &f);
    if (f.errors) {
        snprintf(err, errlen, "%s", f.first_error);
        return PSY_EINVAL;
    }
    struct psy_x12_delims d;
    unsigned long ctl[3];
    psy_status rc = psy__x12_delims_for(o, &d, err, errlen);
    if (rc || (rc = psy__x12_controls(o, ctl, err, errlen))) return rc;
    char st02[16];
    snprintf(st02, sizeof st02, "%04lu", ctl[2]);
    const struct psy__x12_envelope env = {b->submitter->id, b->receiver->id, b->date, b->time, "HC", "005010X222A1",
                                          {ctl[0], ctl[1], ctl[2]}, b->production};
    struct psy__x12w w;
    psy__x12w_init(&w, &d, o->line_breaks);
    psy__x12w_open(&w, &env);

    w.segs = 0;
    psy__x12w_seg(&w, "ST");
    el(&w, "", "837");
    el(&w, "", st02);
    el(&w, "", "005010X222A1");
    psy__x12w_end(&w);
    psy__x12w_seg(&w, "BHT");
    el(&w, "", "0019");
    el(&w, "", "00");
    el(&w, "batch_id", empty(b->batch_id) ? st02 : b->batch_id);
    el(&w, "date", b->date);
    el(&w, "time", b->time);
    el(&w, "", "CH");
    psy__x12w_end(&w);

    psy__x12w_ctx(&w, "submitter");
    name_segment(&w, "41", 0, b->submitter->name, NULL, NULL, NULL, "46", b->submitter->id);
    psy__x12w_seg(&w, "PER");
    el(&w, "", "IC");
    el(&w, "contact_name", b->submitter->contact_name);
    el(&w, "", empty(b->submitter->phone) ? "EM" : "TE");
    el(&w, empty(b->submitter->phone) ? "email" : "phone",
       empty(b->submitter->phone) ? b->submitter->email : b->submitter->phone);
    if (!empty(b->submitter->phone) && !empty(b->submitter->email)) {
        el(&w, "", "EM");
        el(&w, "email", b->submitter->email);
    }
    psy__x12w_end(&w);
    psy__x12w_ctx(&w, "receiver");
    name_segment(&w, "40", 0, b->receiver->name, NULL, NULL, NULL, "46", b->receiver->id);

    psy__x12w_ctx(&w, "billing");
    hl(&w, 1, 0, "20", 1);
    provider(&w, 1, b->billing);
    address(&w, &b->billing->address);
    psy__x12w_seg(&w, "REF");
    el(&w, "", b->billing->tax_id_is_ssn ? "SY" : "EI");
    el(&w, "tax_id", b->billing->tax_id);
    psy__x12w_end(&w);

    unsigned long hlid = 1;
    for (size_t i = 0; i < b->n_claims && !w.rc; i++) claim(&w, b, i, &hlid);

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
