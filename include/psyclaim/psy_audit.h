/*
 * psy_audit.h -- the checks an auditor runs on a practice's records over a period: unsigned notes,
 * cloned notes, group size and roster, times and the billed code's time band, treatment plans,
 * diagnoses, prior authorisations and telehealth documentation (rule ids in docs/records.md).
 *
 * Findings are data, not errors: psy_audit_run fails only when the store does.
 */
#ifndef PSY_AUDIT_H
#define PSY_AUDIT_H

#include "psy_records.h"

typedef enum { PSY_AUDIT_WARNING = 1, PSY_AUDIT_ERROR = 2 } psy_audit_severity;

struct psy_audit_finding {
    char rule[16];             /* e.g. "R-GRP-2" */
    psy_audit_severity severity;
    char record_type[16];      /* session, attendance, note, client, treatment_plan, authorisation */
    psy_id record_id;
    char date[PSY_DATE_MAX];   /* the service date concerned ("" when it spans several) */
    double similarity;         /* Jaccard similarity for clone findings, else -1 */
    char message[320];         /* names records by id, never patient data */
};

struct psy_audit_opts {
    const char *from, *to;    /* service dates, inclusive; NULL or "" = unbounded */
    const char *as_of;        /* "today" for the unsigned-note check; NULL = the current UTC date */
    double clone_threshold;   /* 0 = the built-in setting (data/audit/audit.json) */
};

/* Called once per finding, in rule order then record order. Return non-zero to stop early. */
typedef int (*psy_audit_cb)(void *ud, const struct psy_audit_finding *f);

struct psy_audit_stats {
    long sessions;    /* sessions in the period */
    long notes;       /* member and individual notes compared for clones */
    long candidates;  /* pairs the LSH index proposed */
    long verified;    /* of those, pairs whose exact similarity was computed (the estimate was close) */
    long findings;
};

psy_status psy_audit_run(psy_store *st, psy_id practice, const struct psy_audit_opts *o, psy_audit_cb cb,
                         void *ud, struct psy_audit_stats *stats /* OUT, may be NULL */);

/* Collects every finding into an array (free *out). */
psy_status psy_audit_collect(psy_store *st, psy_id practice, const struct psy_audit_opts *o,
                             struct psy_audit_finding **out /* OUT */, size_t *n /* OUT */);

const char *psy_audit_severity_name(psy_audit_severity s); /* "warning", "error" */

/* Jaccard similarity of the word 3-shingle sets of two texts (case and punctuation ignored), the
 * measure the clone checks report. Two texts too short to shingle compare as 0. */
double psy_audit_similarity(const char *a, const char *b);

#endif
