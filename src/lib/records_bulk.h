/*
 * records_bulk.h -- what the records layer offers a build that works on many sessions at once
 * (billing_bulk.c): the billable members of a list of signed sessions read with one query per table,
 * and the billed codes of many members written with multi-row statements, each with its history row.
 */
#ifndef PSY_RECORDS_BULK_H
#define PSY_RECORDS_BULK_H

#include "psy_int.h"

/* The billable members of the signed sessions ss[0..n) (ordered by date as psy_records_session_list
 * gives them; unsigned ones are skipped), in the order psy_records_session_billables gives them session by
 * session, with the same content. *of[i] is the index into ss of member i's session. Free *out and *of. */
psy_status psy__records_billables(psy_store *st, psy_id practice, const struct psy_session *ss, size_t n,
                                  struct psy_billable **out, size_t **of, size_t *nout);

/* One billed code to record: client 0 for a session that is not a group's. */
struct psy__billed_item {
    psy_id session, client;
    const char *code;
};
/* Records the billed codes as psy_records_billed_set does one by one (the code checked against the catalog,
 * the row's version bumped, a record_history row each), with multi-row statements. sessions [from, to] is
 * the date range the items' sessions lie in. */
psy_status psy__records_billed_many(psy_store *st, psy_id practice, const char *from, const char *to,
                                    const struct psy__billed_item *items, size_t n);

/* Every policy of the practice, by id (records_clients.c). */
psy_status psy__records_policies(psy_store *st, psy_id practice, struct psy_policy **out, size_t *n);

/* The visits (sessions and present group members) a claims build's audits have read, kept from one
 * stretch to the next (audit_elig.c): the eligibility check counts a policy's visits from the start of
 * its benefit year, so each stretch would read again the year's visits before its dates. Safe to share
 * between the build's thread and its reads ahead (a lock); NULL where the functions below take one: none
 * kept. */
struct psy__elig_keep;
struct psy__elig_keep *psy__elig_keep_new(void);
void psy__elig_keep_free(struct psy__elig_keep *k);

/* The audit's findings over [from, to] that concern sessions, attendance and notes, as the audit of each
 * date alone gives them (audit.c): one pass, with notes compared as clones only within their date. */
psy_status psy__audit_collect_days(psy_store *st, psy_id practice, const char *from, const char *to,
                                   struct psy__elig_keep *keep, struct psy_audit_finding **out, size_t *n);
/* The same in two steps, so that its reads can run on a connection of their own (psy__store_twin) on
 * another thread while the caller bills: every query of the audit of [from, to], then the checks over
 * what was read with the billed codes of items put over those read (the items the caller writes with
 * psy__records_billed_many on its own connection, st). finish frees d; free a read never finished with
 * psy__audit_days_free. */
struct psy__audit_days;
psy_status psy__audit_days_read(psy_store *st, psy_id practice, const char *from, const char *to,
                                struct psy__elig_keep *keep, struct psy__audit_days **out);
psy_status psy__audit_days_finish(struct psy__audit_days *d, psy_store *st, const struct psy__billed_item *items,
                                  size_t n, struct psy_audit_finding **out, size_t *nout);
void psy__audit_days_free(struct psy__audit_days *d);

#endif
