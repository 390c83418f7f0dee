/* fixtures_records.h -- a small invented practice built through the records API, shared by
 * test_records.c and test_audit.c: one clinician pair, a Medicaid-like payer that needs authorisations
 * and limits groups to 3, a commercial payer, clients with plans, and helpers to add sessions. */
#ifndef PSY_TEST_FIXTURES_RECORDS_H
#define PSY_TEST_FIXTURES_RECORDS_H

#include "backends.h"

/* A fresh seeded database on one backend (a struct test_db of backends.c): a scratch SQLite file
 * (server NULL), or a scratch schema on the PostgreSQL test server whose URI is server. */
struct fx_db {
    psy_store *st;
    const char *server;
    struct test_db t;
    char *uri, *path; /* t's (not to be freed): path is the SQLite file, NULL on PostgreSQL */
};
void fx_db_open(struct fx_db *d, const char *server);
void fx_db_close(struct fx_db *d);
/* Another connection to the same database, as another process would have (close it). */
psy_store *fx_db_connect(const struct fx_db *d);
/* The first column of the first row of sql, read through another connection; -1 when there is no row. */
long fx_db_count(const struct fx_db *d, const char *sql);

/* Runs tests (registered with a NULL prestate) on both backends (test_run_on_backends); each reads its
 * backend with FX_SERVER(state): NULL for SQLite, else the PostgreSQL server's URI. Returns the failures. */
int fx_run_on_both(const char *prog, const struct CMUnitTest *tests, size_t n);
#define FX_SERVER(state) (((const struct test_backend *)*(state))->pg ? ((const struct test_backend *)*(state))->server : NULL)

struct fx {
    psy_store *st;
    char *path; /* the SQLite file; NULL on PostgreSQL */
    struct fx_db db;
    psy_id pr, clin, co, other_clin; /* other_clin leads nothing */
    psy_id medicaid, commercial;     /* payers */
    psy_id client[4];                /* all with consent, diagnosis F41.1, individual+group plan */
    psy_id plan[4];
    psy_id auth[4];                  /* clients 2 and 3 are on the Medicaid-like payer */
    psy_id group;                    /* clients 0-3 on its roster */
};

/* Builds the fixture in a fresh store (asserts on any failure): fx_open on SQLite, fx_open_on on the
 * PostgreSQL server whose URI is server (NULL: SQLite). */
void fx_open(struct fx *f);
void fx_open_on(struct fx *f, const char *server);
/* Builds one more fixture practice, with its own records, in st (which f does not own: fx_close only
 * the fixture that opened the store). */
void fx_build(struct fx *f, psy_store *st);
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

/* A policy of client with payer from 2024-01-01, open-ended, the client as subscriber. */
void fx_policy_init(struct psy_policy *p, psy_id client, psy_id payer, const char *member_id, int priority);

/* A note text of about forty words that differs from any other seed. */
void fx_text(unsigned seed, char *out, size_t len);

#endif
