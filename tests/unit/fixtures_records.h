/* fixtures_records.h -- a small invented practice built through the records API, shared by
 * test_records.c and test_audit.c: one clinician pair, a Medicaid-like payer that needs authorisations
 * and limits groups to 3, a commercial payer, clients with plans, and helpers to add sessions. */
#ifndef PSY_TEST_FIXTURES_RECORDS_H
#define PSY_TEST_FIXTURES_RECORDS_H

#include "support.h"

struct fx {
    psy_store *st;
    char *path;
    psy_id pr, clin, co, other_clin; /* other_clin leads nothing */
    psy_id medicaid, commercial;     /* payers */
    psy_id client[4];                /* all with consent, diagnosis F41.1, individual+group plan */
    psy_id plan[4];
    psy_id auth[4];                  /* clients 2 and 3 are on the Medicaid-like payer */
    psy_id group;                    /* clients 0-3 on its roster */
};

/* Builds the fixture in a fresh store (asserts on any failure). */
void fx_open(struct fx *f);
/* Builds the fixture in f->st, a store the caller opened and seeded (any backend). */
void fx_build(struct fx *f);
void fx_close(struct fx *f);

/* A valid NPI starting with `first` derived from n. */
void fx_npi(char first, unsigned n, char out[11]);

/* An individual session of client c on date (local 10:00-10:minutes, -06:00), billed code, with a
 * signed note when sign; returns its id. */
psy_id fx_individual(struct fx *f, psy_id client, const char *date, int minutes, const char *code, int sign);

/* A group session on date (18:00-19:30 -06:00) with the clients marked present (others absent), each
 * present member billed 90853, notes written and everything signed when sign. */
psy_id fx_group(struct fx *f, const char *date, const psy_id *present, int npresent, int sign);

/* A plan for client by clinician over start..review: frequency weekly, 45 minutes, F41.1, one goal. */
void fx_plan_init(struct psy_plan *p, psy_id client, psy_id clinician, int modalities, const char *start,
                  const char *review);

/* A note text of about forty words that differs from any other seed. */
void fx_text(unsigned seed, char *out, size_t len);

#endif
