/*
 * psy_claims.h -- the claim as data: who bills, who is insured, who pays, the diagnoses and the service
 * lines, plus the claim's lifecycle state machine and the findings a pre-submission check returns.
 *
 * Everything here is plain structs that point at strings the caller owns; nothing is allocated. The
 * same structs feed the X12 837P writer (psy_x12.h) and the paper forms (psy_pdf.h). Money is always
 * integer cents; dates are CCYYMMDD strings; a NULL or "" string means "not given".
 */
#ifndef PSY_CLAIMS_H
#define PSY_CLAIMS_H

#include <stddef.h>
#include "psyclaim.h"
#include "psy_date.h" /* psy_date_valid: CCYYMMDD */

#define PSY_CLAIM_MAX_DX 12       /* diagnoses per claim (837P HI, CMS-1500 item 21 A-L) */
#define PSY_CLAIM_MAX_MODS 4      /* modifiers per line */
#define PSY_CLAIM_MAX_PTRS 4      /* diagnosis pointers per line */
#define PSY_CLAIM_MAX_LINES 50    /* service lines per claim (837P 2400 repeat) */
#define PSY_CLAIM_ID_MAX 20       /* our patient control number (CLM01) length */
#define PSY_CLAIM_MAX_PER_BATCH 5000 /* claims in one 837P transaction set */

/* --- parties ---------------------------------------------------------------------------------- */

struct psy_claim_address {
    const char *line1, *line2; /* street; no PO box for a billing provider */
    const char *city;
    const char *state;         /* two letters */
    const char *zip;           /* 5 or 9 digits (9 required for the billing provider) */
};

/* A billing or rendering provider: an organisation (is_person 0, name in last_name) or a person. */
struct psy_claim_provider {
    int is_person;
    const char *last_name;     /* organisation name when !is_person */
    const char *first_name, *middle_name, *suffix;
    const char *credentials;   /* "PhD", "LCSW": printed on paper, never sent in X12 */
    const char *npi;           /* 10 digits with a valid check digit */
    const char *taxonomy;      /* NUCC taxonomy code (PRV) */
    const char *tax_id;        /* 9-digit EIN (billing provider) */
    int tax_id_is_ssn;         /* REF*SY instead of REF*EI */
    const char *license;       /* state licence type and number, for the superbill */
    const char *phone;         /* digits only */
    struct psy_claim_address address;
};

/* A person on the claim: the subscriber (insured) or the patient. */
struct psy_claim_person {
    const char *last_name, *first_name, *middle_name, *suffix;
    const char *birth_date;    /* CCYYMMDD */
    char sex;                  /* 'F', 'M' or 'U' */
    const char *phone;
    struct psy_claim_address address;
};

/* The insured: the person plus their coverage with one payer. */
struct psy_claim_subscriber {
    struct psy_claim_person person;
    const char *member_id;     /* 2010BA NM109 / CMS-1500 item 1a */
    const char *group_number;  /* SBR03 */
    const char *group_name;    /* SBR04 */
    char payer_sequence;       /* SBR01: 'P' primary (default), 'S', 'T' */
};

struct psy_claim_payer {
    const char *name;
    const char *id;            /* payer ID (NM1*PR ... PI) */
    const char *filing_indicator; /* SBR09: CI commercial, MB Medicare B, MC Medicaid, BL, HM, 12 ... */
    struct psy_claim_address address; /* optional */
};

/* The one who sends the file (1000A) and the one who receives it (1000B), as the clearinghouse
 * assigned them. */
struct psy_claim_submitter {
    const char *name;
    const char *id;
    const char *contact_name;
    const char *phone;         /* digits only; phone or email is required */
    const char *email;
};

struct psy_claim_receiver {
    const char *name;
    const char *id;
};

/* --- the claim -------------------------------------------------------------------------------- */

enum psy_claim_frequency {
    PSY_FREQ_ORIGINAL = 1,
    PSY_FREQ_REPLACEMENT = 7,
    PSY_FREQ_VOID = 8
};

/* One adjustment an earlier payer made (837P CAS in 2320 or 2430, from that payer's 835). */
struct psy_claim_adjustment {
    const char *group;                       /* CO, PR, OA, PI, CR */
    const char *reason;                      /* CARC */
    long long amount_cents;
};

/* How one earlier payer adjudicated a line (837P loop 2430). */
struct psy_claim_line_adjudication {
    const char *payer_id;                    /* SVD01: the same id as that payer's 2330B NM109 */
    long long paid_cents;                    /* SVD02 */
    unsigned units;                          /* SVD05 */
    const struct psy_claim_adjustment *adjustments; /* CAS; charge = paid + these (the IG's line balance) */
    size_t n_adjustments;
    const char *date;                        /* DTP*573 adjudication date, CCYYMMDD */
};

/* A payer that saw the claim before the one it is sent to (837P loops 2320, 2330A, 2330B). */
struct psy_claim_other_payer {
    char sequence;                           /* SBR01 of that payer: 'P' primary, 'S' secondary */
    const char *relationship;                /* SBR02: 18 self, 01 spouse, 19 child, G8 other */
    const char *group_number;                /* SBR03 */
    const char *filing_indicator;            /* SBR09 */
    const struct psy_claim_adjustment *adjustments; /* claim-level CAS */
    size_t n_adjustments;
    long long paid_cents;                    /* AMT*D: what that payer paid on the claim */
    long long remaining_cents;               /* AMT*EAF: the patient's remaining liability; < 0 = not sent */
    const char *subscriber_last, *subscriber_first; /* 2330A NM1*IL */
    const char *member_id;                   /* 2330A NM109 */
    const char *name, *id;                   /* 2330B NM1*PR, NM109 (PI) */
    const char *date;                        /* 2330B DTP*573 when no line carries a 2430 */
};

struct psy_claim_line {
    const char *code;                        /* CPT or HCPCS Level II */
    const char *modifiers[PSY_CLAIM_MAX_MODS]; /* NULL/"" = none; no gaps */
    unsigned units;                          /* >= 1 */
    long long charge_cents;                  /* the full fee for the line (all units) */
    const char *date;                        /* date of service, CCYYMMDD */
    const char *place_of_service;            /* NULL = the claim's */
    unsigned char dx_pointers[PSY_CLAIM_MAX_PTRS]; /* 1..n_diagnoses, 0 ends the list */
    const struct psy_claim_provider *rendering; /* NULL = the claim's rendering provider */
    const char *line_control;                /* REF*6R; NULL = "<claim id>L<line number>" */
    const struct psy_claim_line_adjudication *adjudications; /* 2430, one per earlier payer that paid */
    size_t n_adjudications;                  /* the line (payer_id says which); 0 = none */
};

/* Lifecycle (see psy_claim_transition in claims.c for the table):
 *
 *   draft -> ready -> submitted -> accepted -> paid | denied | partially_paid -> closed
 *     ^        |          |
 *     +--------+          +-> rejected -> draft (corrected and sent again as a new original)
 */
typedef enum {
    PSY_CLAIM_DRAFT = 0,
    PSY_CLAIM_READY,
    PSY_CLAIM_SUBMITTED,
    PSY_CLAIM_ACCEPTED,
    PSY_CLAIM_REJECTED,
    PSY_CLAIM_PAID,
    PSY_CLAIM_DENIED,
    PSY_CLAIM_PARTIALLY_PAID,
    PSY_CLAIM_CLOSED,
    PSY_CLAIM_STATE_COUNT
} psy_claim_state;

struct psy_claim {
    const char *id;                          /* patient control number (CLM01), <= 20 characters */
    enum psy_claim_frequency frequency;
    const char *payer_claim_number;          /* the payer's ICN of the claim replaced or voided (REF*F8) */
    const char *place_of_service;            /* two digits (CLM05-1) */
    const char *prior_auth;                  /* REF*G1 / CMS-1500 item 23 */
    const char *diagnoses[PSY_CLAIM_MAX_DX]; /* ICD-10-CM, with or without the dot; first = principal */
    size_t n_diagnoses;
    const struct psy_claim_line *lines;
    size_t n_lines;
    long long total_cents;                   /* CLM02; must equal the sum of the lines */
    long long patient_paid_cents;            /* AMT*F5 / CMS-1500 item 29; 0 = none */
    const struct psy_claim_provider *rendering; /* NULL = the billing provider rendered the service */
    const struct psy_claim_subscriber *subscriber;
    const struct psy_claim_person *patient;  /* NULL = the subscriber is the patient */
    const char *patient_relationship;        /* PAT01 when the patient is not the subscriber: 01 spouse,
                                                19 child, 20 employee, 21 unknown, 53 life partner, G8 other */
    const struct psy_claim_payer *payer;
    const struct psy_claim_other_payer *others; /* earlier payers, in their order (secondary: 1, tertiary: 2) */
    size_t n_others;
    psy_claim_state state;
};

/* One 837P file: one billing provider, one payer, many claims. */
struct psy_claim_batch {
    const struct psy_claim_submitter *submitter;
    const struct psy_claim_receiver *receiver;
    const struct psy_claim_provider *billing;
    const struct psy_claim *claims;
    size_t n_claims;
    const char *date;       /* creation date CCYYMMDD */
    const char *time;       /* creation time HHMM */
    const char *batch_id;   /* BHT03; NULL = the transaction control number */
    int production;         /* ISA15: 1 = P, 0 = T (test) */
};

/* --- lifecycle -------------------------------------------------------------------------------- */

/* The state's name as stored and printed: "draft", "partially_paid", ... ("?" when out of range). */
const char *psy_claim_state_name(psy_claim_state s);

/* Parses a state name; PSY_EINVAL when unknown. */
psy_status psy_claim_state_parse(const char *name, psy_claim_state *out);

/* Checks that a claim may move from one state to another. PSY_OK when the table allows it; PSY_EINVAL
 * otherwise, with a sentence in why (when given) that names both states and the allowed next states. */
psy_status psy_claim_transition(psy_claim_state from, psy_claim_state to, char *why, size_t whylen);

/* --- findings of a pre-submission check ----------------------------------------------------- */

enum psy_finding_severity { PSY_FINDING_ERROR = 0, PSY_FINDING_WARNING };

struct psy_claim_finding {
    enum psy_finding_severity severity;
    const char *rule;       /* static rule id, e.g. "R-NPI-1" */
    char field[96];         /* the field at fault, e.g. "claims[0].lines[1].dx_pointers[0]" */
    char message[200];      /* what is wrong, in plain words; never patient data */
};

/* NPI check digit (Luhn with the 80840 prefix): 1 when npi is 10 digits and its check digit is right. */
int psy_npi_valid(const char *npi);

#endif
