/*
 * psy_pdf.h -- paper documents as PDF: the superbill a client sends to an out-of-network insurer, and
 * the CMS-1500 (02/12) claim data laid out in the form's numbered boxes.
 *
 * Both are drawn from the claim structs of psy_claims.h. The CMS-1500 page is psyclaim's own drawing of
 * the box grid with the items' numbers and short labels, filled with the claim: a readable paper copy,
 * not the red-ink scanner form. Text is printed in the PDF's standard fonts (Latin-1 letters print
 * as themselves; other characters print as '?').
 */
#ifndef PSY_PDF_H
#define PSY_PDF_H

#include <stddef.h>
#include "psyclaim.h"
#include "psy_claims.h"

struct psy_superbill_payment {
    const char *date;          /* CCYYMMDD */
    const char *method;        /* "card", "check 1042", "cash" ... */
    long long amount_cents;
};

struct psy_superbill {
    const struct psy_claim_provider *practice;   /* practice name, address, phone, EIN, group NPI */
    const struct psy_claim_provider *clinician;  /* full name, credentials, individual NPI, licence */
    const struct psy_claim_person *patient;
    const struct psy_claim_subscriber *subscriber; /* NULL = none on file; else member ID (and the insured
                                                      when subscriber_is_patient is 0) */
    int subscriber_is_patient;
    const char *payer_name;                      /* the client's insurer, optional */
    const char *statement_date;                  /* CCYYMMDD */
    const char *period;                          /* free text, e.g. "January 2026"; optional */
    const char *diagnoses[PSY_CLAIM_MAX_DX];     /* ICD-10-CM; lines point at them 1..n */
    size_t n_diagnoses;
    const struct psy_claim_line *lines;          /* one per date of service; place_of_service required */
    size_t n_lines;
    const struct psy_superbill_payment *payments;
    size_t n_payments;
    const char *signature_date;                  /* CCYYMMDD; NULL = the statement date */
};

/* Renders a superbill into a new buffer *out of *len bytes (free it). PSY_EINVAL with err naming the
 * field when something the superbill must show is missing. */
psy_status psy_pdf_superbill(const struct psy_superbill *sb, char **out, size_t *len, char *err, size_t errlen);

struct psy_cms1500_opts {
    int icd_with_dot;          /* item 21: 1 prints "F41.1", 0 prints "F411" (payer preference) */
    const char *signature_date; /* item 31 date, CCYYMMDD; NULL = none */
};

/* Renders the claim's CMS-1500 data: one page per six service lines, the total on the last page.
 * billing is the claim's billing provider (items 25 and 33). PSY_EINVAL with err naming the field
 * when the claim lacks what the form needs. */
psy_status psy_pdf_cms1500(const struct psy_claim *c, const struct psy_claim_provider *billing,
                           const struct psy_cms1500_opts *o, char **out, size_t *len, char *err, size_t errlen);


/* A client's statement: what the client owes for each service after insurance, the month's payments
 * and corrections, the total due and how to pay. Dates CCYYMMDD; amounts in cents. */
struct psy_statement_line {
    const char *date;            /* date of service */
    const char *code;            /* procedure code, may be "" */
    const char *description;     /* the service in words */
    long long charge_cents;      /* what was billed (0 when not billed to insurance) */
    long long insurance_cents;   /* what insurance paid */
    long long owed_cents;        /* what the client still owes for it */
};
struct psy_statement_item {
    const char *date;
    const char *what;            /* "Payment, check 1042", "Refund", "Write-off: hardship" */
    long long amount_cents;      /* as it changed the balance: a payment is negative */
};
struct psy_statement {
    const struct psy_claim_provider *practice;   /* name, address, phone */
    const struct psy_claim_person *patient;      /* name and mailing address */
    const char *statement_date;
    const char *period;                          /* "2026-03" */
    const struct psy_statement_line *lines;
    size_t n_lines;
    const struct psy_statement_item *items;      /* the period's payments, refunds and corrections */
    size_t n_items;
    long long total_due_cents;                   /* the balance at the period's end (< 0: a credit) */
    const char *how_to_pay;                      /* one or two sentences */
};
psy_status psy_pdf_statement(const struct psy_statement *s, char **out, size_t *len, char *err, size_t errlen);

#endif
