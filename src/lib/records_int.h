/*
 * records_int.h -- shared by the records modules (records*.c) and the audit (audit*.c) and nowhere
 * else: the versioned update and the "no such record" read on top of the query API (psy_db.h), field
 * validation that names the field, the date and time arithmetic, and the change history.
 */
#ifndef PSY_RECORDS_INT_H
#define PSY_RECORDS_INT_H

#include <jansson.h>
#include "psy_db.h"
#include "psyclaim/psy_records.h"
#include "psyclaim/psy_audit.h"

/* --- statements ------------------------------------------------------------------------------------
 * SQL runs through the query API of psy_db.h (psy__db_query, psy__db_run, psy__db_insert, psy__db_int,
 * psy__db_rows, column maps with PSY__COL); these two add what is particular to records. */
/* Updates one versioned row, optimistically: "UPDATE table SET <set>, version = version + 1 WHERE
 * id = ? AND practice_id = ? AND version = ?" (args bind the `?` of set). No row changed means another
 * writer got there first (or the row is not in practice): PSY_ECONFLICT naming "version". The check
 * is in the UPDATE itself, so it holds across processes and connections on both backends. */
psy_status psy__rec_update(psy_store *st, const char *table, psy_id practice, psy_id id, int version, const char *set,
                           const psy__arg *args, int n);
/* psy__db_row, with PSY_ENOTFOUND as "id: no WHAT ID in this practice". */
psy_status psy__rec_get(psy_store *st, void *item, const struct psy__map *m, const char *what, psy_id id,
                        const char *rest, const psy__arg *args, int n);

/* Ends a write: commits when rc is PSY_OK, else undoes it (only it, inside a batch). Returns rc or the
 * commit's failure. */
psy_status psy__rec_end(psy_store *st, psy_status rc);

/* One write of one record, in one transaction: with id 0 fn validates and inserts (setting *id); else
 * the record must exist in practice at version, then fn validates and updates it with psy__rec_update
 * at that version (bumping it). A history entry with action and actor follows. rec is the caller's
 * struct, passed through. */
typedef psy_status (*psy__rec_write)(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version);
psy_status psy__rec_write_one(psy_store *st, psy_id practice, const char *table, psy_id id, int version,
                              const char *action, psy_id actor, psy__rec_write fn, const void *rec, psy_id *out_id);

/* psy__rec_write_one at the record's current version (for actions that carry no version: signing). */
psy_status psy__rec_write_current(psy_store *st, psy_id practice, const char *table, psy_id id, const char *action,
                                  psy_id actor, psy__rec_write fn, const void *rec);
/* Replaces the child rows (value_col, and position 1.. when positioned) of one parent. */
psy_status psy__rec_put_list(psy_store *st, const char *table, const char *parent_col, const char *value_col,
                             psy_id practice, psy_id parent, int n, const char *const *vals, int positioned);
/* The current version of table/id in practice (PSY_ENOTFOUND naming it when absent). */
psy_status psy__rec_version(psy_store *st, const char *table, psy_id practice, psy_id id, int *version);

/* PSY_OK when clinician led the session or co-leads its group, else PSY_EPERM naming "clinician". */
psy_status psy__rec_session_signer(psy_store *st, psy_id practice, psy_id session, psy_id clinician);

/* --- validation: each returns PSY_OK or PSY_EINVAL with "FIELD: problem" on the store ------------ */
enum { PSY__REQ = 1, PSY__MULTILINE = 2 };
psy_status psy__rec_bad(psy_store *st, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
psy_status psy__rec_text(psy_store *st, const char *field, const char *v, size_t max, int flags);
psy_status psy__rec_date(psy_store *st, const char *field, const char *v, int required);
psy_status psy__rec_oneof(psy_store *st, const char *field, const char *v, const char *const *options);
psy_status psy__rec_npi(psy_store *st, const char *field, const char *v);
psy_status psy__rec_digits(psy_store *st, const char *field, const char *v, const int *lengths, char *out,
                           size_t outlen, int required); /* digits with '-' or ' ' allowed between */
/* Checks n ICD-10-CM codes: each in the catalog, billable, not ended before date (when given), no
 * repeats; writes their display forms to out. */
psy_status psy__rec_dx(psy_store *st, const char *field, int n, const char (*dx)[PSY_CODE_MAX],
                       char (*out)[PSY_CODE_MAX], const char *date);
/* The checks of a new client's or policy's own fields, without reading the store: a client's
 * diagnoses (psy__rec_dx) and a policy's client, payer and overlaps are left to the caller. zip gets
 * the zip's digits. */
psy_status psy__rec_client_fields(psy_store *st, const struct psy_client *c, char zip[10]);
psy_status psy__rec_policy_fields(psy_store *st, const struct psy_policy *p);
/* Checks a CPT or HCPCS procedure code in the catalog; writes its display form. */
psy_status psy__rec_proc_code(psy_store *st, const char *field, const char *code, char out[PSY_CODE_MAX]);
/* Checks that table has row id in practice (and, when active_only, that it is active). */
psy_status psy__rec_ref(psy_store *st, const char *field, const char *table, psy_id practice, psy_id id,
                        int active_only);

/* --- time ----------------------------------------------------------------------------------------- */
void psy__rec_now(char out[PSY_REC_TIME_MAX]);    /* current UTC instant */
void psy__rec_today(char out[PSY_DATE_MAX]);      /* current UTC date */
int psy__rec_epoch(const char *utc, int64_t *out); /* "YYYY-MM-DDTHH:MM:SSZ" -> seconds; 0 ok */
int64_t psy__rec_day_number(const char *date);     /* days since 1970-01-01; INT64_MIN if malformed */
void psy__rec_date_add(const char *date, int days, char out[PSY_DATE_MAX]);

/* --- history -------------------------------------------------------------------------------------- */
/* The row of table with id as a JSON object (column -> value), or NULL when absent. */
json_t *psy__rec_row(psy_store *st, const char *table, psy_id id);
/* Records one change of table/id: before is the row as it was (NULL for create; the reference is
 * taken); the new version is read from the row now. */
psy_status psy__rec_history(psy_store *st, psy_id practice, const char *table, psy_id id, const char *action,
                            psy_id actor, json_t *before);
/* Checks that table/id exists in practice at version; returns its row in *before (may be NULL). */
psy_status psy__rec_check_version(psy_store *st, const char *table, psy_id practice, psy_id id, int version,
                                  json_t **before);

/* Adds "client_col names a client the clinician sees" (through a group they lead, a plan they wrote or
 * a session they held) to q: the rule of psy_records_client_ids, for lists filtered in SQL. */
void psy__records_seen_by(struct psy__query *q, const char *client_col, psy_id practice, psy_id clinician);

#endif
