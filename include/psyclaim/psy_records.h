/*
 * psy_records.h -- a practice's records: the practice, clinicians, clients and their diagnoses, payers,
 * insurance policies, prior authorisations, treatment plans, therapy groups, sessions, attendance and
 * notes (signed, locked, corrected by addenda), with the history of every change.
 *
 * Every function works inside one practice (practice id); a record of another practice is "not found".
 * Every write is one transaction: it is stored whole or not at all. Input is validated before anything
 * is written; on PSY_EINVAL psy_store_errmsg() starts with the field at fault, "FIELD: what is wrong"
 * (for example "npi: check digit does not match"), and names no patient data.
 *
 * Text fields of the structs below are fixed arrays, except the long note texts and plan goals which
 * are pointers: on input they are the caller's strings, on output they are owned by the struct and
 * freed by its clear function. Dates are "YYYY-MM-DD"; instants are UTC "YYYY-MM-DDTHH:MM:SSZ" (input
 * also accepts an offset such as "2024-03-05T18:00:00-06:00" and is stored in UTC); "" means none.
 *
 * Mutable records carry `version`. Updates take the version the caller read and fail with
 * PSY_ECONFLICT when the record changed since; a successful write bumps it.
 */
#ifndef PSY_RECORDS_H
#define PSY_RECORDS_H

#include <stdint.h>
#include "psyclaim.h"
#include "psy_store.h"
#include "psy_catalog.h"

typedef int64_t psy_id;

#define PSY_REC_NAME_MAX 129 /* names, addresses: up to 128 bytes */
#define PSY_REC_DX_MAX 12    /* diagnoses per client or plan */
#define PSY_REC_GOALS_MAX 10 /* goals per plan */
#define PSY_REC_AUTH_CODES_MAX 8
#define PSY_REC_TEXT_MAX 20000 /* bytes per note field */
/* The earliest date a session may carry (docs/records.md): sessions are also refused after today in the
 * practice's time zone and before the client's birth date. */
#define PSY_REC_SESSION_DATE_MIN "2000-01-01"
#define PSY_REC_TIME_MAX 32    /* instants: "YYYY-MM-DDTHH:MM:SSZ", on input also "...+HH:MM" */
#define PSY_REC_REASON_MAX 1001 /* a reason for signing despite errors, 1000 characters */

/* --- batches ----------------------------------------------------------------------------------- */

/* Groups many writes into one transaction (bulk loading). Each write inside still succeeds or fails
 * on its own; psy_records_batch_end(st, 1) commits what succeeded, (st, 0) discards everything. */
psy_status psy_records_batch_begin(psy_store *st);
psy_status psy_records_batch_end(psy_store *st, int commit);

/* --- validation helpers (also used by the web forms) ------------------------------------------- */

int psy_records_npi_valid(const char *npi);   /* 10 digits, first 1 or 2, Luhn with prefix 80840 */
int psy_records_date_valid(const char *date); /* a real calendar date YYYY-MM-DD, years 1900-2199 */

/* Normalises an instant (Z or +/-HH:MM offset, seconds optional) to UTC "YYYY-MM-DDTHH:MM:SSZ".
 * PSY_EINVAL when malformed. */
psy_status psy_records_time_utc(const char *in, char out[PSY_REC_TIME_MAX]);

/* --- practice and clinicians ------------------------------------------------------------------ */

struct psy_practice {
    psy_id id;
    char name[PSY_REC_NAME_MAX];
    char npi[11];
    char tax_id[11];  /* 9 digits; input may be "NN-NNNNNNN" */
    char address[PSY_REC_NAME_MAX];
    char city[65];
    char state[3];
    char zip[11];     /* 5 or 9 digits; input may have a dash */
    char time_zone[65]; /* IANA name for display, e.g. "America/Chicago" */
    int unsigned_note_days; /* the audit flags notes unsigned this many days after the session; 0 = 7 */
    char billing_contact[65]; /* who payers call about claims (837P submitter contact); "" = the practice */
    char billing_phone[16];   /* 10 to 15 digits; input may have spaces, dashes, dots, parentheses */
    char billing_email[129];
    /* 1: a sole proprietor, a clinician billing under their own (type 1) NPI: the practice's npi is theirs
     * and claims name them (first_name, last_name) as the billing provider; 0: an organisation (a type 2
     * NPI), named by name on claims */
    int sole_proprietor;
    char first_name[65];
    char last_name[65];
    int version;
};

psy_status psy_records_practice_add(psy_store *st, const struct psy_practice *p, psy_id *id /* OUT */);
psy_status psy_records_practice_get(psy_store *st, psy_id id, struct psy_practice *p /* OUT */);
psy_status psy_records_practice_update(psy_store *st, const struct psy_practice *p);
/* Every practice id in the store, ascending (free *ids). */
psy_status psy_records_practice_list(psy_store *st, psy_id **ids /* OUT */, size_t *n /* OUT */);

struct psy_clinician {
    psy_id id;
    char first_name[65];
    char last_name[65];
    char npi[11];
    char taxonomy[11];   /* NUCC code, 10 characters ending in X, e.g. 1041C0700X */
    char credential[17]; /* LCSW, PhD, LPC, LMFT, PsyD, MD, ... */
    int active;          /* input: ignored by add (always 1) */
    int version;
    char licence_number[31]; /* state licence number; "" = not recorded */
    char licence_state[3];   /* the licensing state's postal code; required with a licence number */
    psy_id supervisor_id;    /* the supervising clinician of this practice; 0 = none */
};

psy_status psy_records_clinician_add(psy_store *st, psy_id practice, const struct psy_clinician *c,
                                     psy_id *id /* OUT */);
psy_status psy_records_clinician_get(psy_store *st, psy_id practice, psy_id id, struct psy_clinician *c);
psy_status psy_records_clinician_update(psy_store *st, psy_id practice, const struct psy_clinician *c);
psy_status psy_records_clinician_list(psy_store *st, psy_id practice, struct psy_clinician **out /* OUT, free() */,
                                      size_t *n /* OUT */);

/* --- clients ------------------------------------------------------------------------------------ */

struct psy_client {
    psy_id id;
    char first_name[65];
    char last_name[65];
    char birth_date[PSY_DATE_MAX];
    char sex[2];                 /* F, M or U */
    char address[PSY_REC_NAME_MAX];
    char city[65];
    char state[3];
    char zip[11];
    char phone[21];
    char telehealth_consent_date[PSY_DATE_MAX]; /* "" = no consent recorded */
    int n_dx;                                   /* diagnoses in pointer order, billable ICD-10-CM codes */
    char dx[PSY_REC_DX_MAX][PSY_CODE_MAX];
    int active;                                 /* 1 active, 0 discharged (input: ignored by add) */
    int version;
    char email[PSY_REC_NAME_MAX];
    char emergency_name[PSY_REC_NAME_MAX];      /* emergency contact; "" = none */
    char emergency_phone[21];
    char emergency_relation[33];                /* e.g. "mother", "spouse" */
    char discharge_date[PSY_DATE_MAX];          /* "" while active; only a discharged client has one */
};

psy_status psy_records_client_add(psy_store *st, psy_id practice, const struct psy_client *c, psy_id *id /* OUT */);
psy_status psy_records_client_get(psy_store *st, psy_id practice, psy_id id, struct psy_client *c /* OUT */);
psy_status psy_records_client_update(psy_store *st, psy_id practice, const struct psy_client *c);
psy_status psy_records_client_list(psy_store *st, psy_id practice, struct psy_client **out /* OUT, free() */,
                                   size_t *n /* OUT */);
/* One diagnosis of a client, changed at the version the caller read (PSY_ECONFLICT when stale): add
 * code at position (1-based; 0 = last), remove code, or move code to position. The rest keep their
 * order. Errors name "dx" or "position". */
psy_status psy_records_client_dx_add(psy_store *st, psy_id practice, psy_id client, int version, const char *code,
                                     int position);
psy_status psy_records_client_dx_remove(psy_store *st, psy_id practice, psy_id client, int version, const char *code);
psy_status psy_records_client_dx_move(psy_store *st, psy_id practice, psy_id client, int version, const char *code,
                                      int position);
/* The id of a client of the practice with that first name, last name (both compared without regard
 * to case) and birth date (PSY_ENOTFOUND when none): duplicate detection on entry and import. */
psy_status psy_records_client_find(psy_store *st, psy_id practice, const char *first_name, const char *last_name,
                                   const char *birth_date, psy_id *id /* OUT */);

/* --- payers, policies, authorisations ---------------------------------------------------------- */

struct psy_payer {
    psy_id id;
    char name[PSY_REC_NAME_MAX];
    char payer_code[81]; /* the payer's electronic id (837P NM109) */
    char kind[12];       /* medicare, medicaid, commercial, other */
    int group_max;       /* most participants the payer pays a group session for; 0 = default (12) */
    int requires_auth;   /* 1 when sessions need a prior authorisation */
    int version;
    char profile[32];    /* the billing profile (data/payers/<profile>.json); "" = chosen by kind */
    char address[PSY_REC_NAME_MAX]; /* where paper claims and appeals go; "" = not recorded */
    char city[65];
    char state[3];
    char zip[11];
    int timely_filing_days; /* days after the service date a claim must reach the payer; 0 = not known */
};

psy_status psy_records_payer_add(psy_store *st, psy_id practice, const struct psy_payer *p, psy_id *id /* OUT */);
psy_status psy_records_payer_get(psy_store *st, psy_id practice, psy_id id, struct psy_payer *p /* OUT */);
psy_status psy_records_payer_update(psy_store *st, psy_id practice, const struct psy_payer *p);
/* The practice's payers by id (free *out). */
psy_status psy_records_payer_list(psy_store *st, psy_id practice, struct psy_payer **out /* OUT */, size_t *n /* OUT */);
/* The payer of the practice with that electronic payer id (PSY_ENOTFOUND when none). */
psy_status psy_records_payer_find(psy_store *st, psy_id practice, const char *payer_code, psy_id *id /* OUT */);
/* The billing profile a payer's claims use: its own, else the one its kind implies. */
const char *psy_records_payer_profile(const struct psy_payer *p);

struct psy_policy {
    psy_id id;
    psy_id client_id;
    psy_id payer_id;
    char member_id[31];
    char group_number[31];
    int priority;          /* 1 primary, 2 secondary, 3 tertiary */
    char relation[8];      /* subscriber's relation to the client: self, spouse, child, other */
    char subscriber_first[65], subscriber_last[65]; /* required unless relation is self */
    char subscriber_birth[PSY_DATE_MAX];
    int64_t copay_cents;
    char start_date[PSY_DATE_MAX];
    char end_date[PSY_DATE_MAX]; /* "" = open */
    int version;
};

psy_status psy_records_policy_add(psy_store *st, psy_id practice, const struct psy_policy *p, psy_id *id /* OUT */);
psy_status psy_records_policy_get(psy_store *st, psy_id practice, psy_id id, struct psy_policy *p /* OUT */);
/* Changes a policy at p->version (its client stays the same: client_id must match). */
psy_status psy_records_policy_update(psy_store *st, psy_id practice, const struct psy_policy *p);
/* The client's policy of that priority in force on date (PSY_ENOTFOUND when none). */
psy_status psy_records_policy_on(psy_store *st, psy_id practice, psy_id client, const char *date, int priority,
                                 struct psy_policy *p /* OUT */);

struct psy_authorisation {
    psy_id id;
    psy_id client_id;
    psy_id payer_id;
    char number[51];
    char unit_kind[6]; /* unit or visit */
    int units_approved;
    int units_prior;   /* used before the first session recorded in psyclaim */
    char start_date[PSY_DATE_MAX];
    char end_date[PSY_DATE_MAX];
    int n_codes;
    char codes[PSY_REC_AUTH_CODES_MAX][PSY_CODE_MAX]; /* CPT or HCPCS codes it covers */
    int version;
};

psy_status psy_records_auth_add(psy_store *st, psy_id practice, const struct psy_authorisation *a,
                                psy_id *id /* OUT */);
psy_status psy_records_auth_get(psy_store *st, psy_id practice, psy_id id, struct psy_authorisation *a /* OUT */);
/* Changes an authorisation at a->version (its client stays the same); the codes are replaced whole. */
psy_status psy_records_auth_update(psy_store *st, psy_id practice, const struct psy_authorisation *a);
/* Units used so far: units_prior plus one per billed session line of that client within the
 * authorisation's dates whose code it covers (or any code when the line has none yet). */
psy_status psy_records_auth_used(psy_store *st, psy_id practice, psy_id id, int *used /* OUT */);

/* --- treatment plans ----------------------------------------------------------------------------- */

enum { PSY_MOD_INDIVIDUAL = 1, PSY_MOD_GROUP = 2, PSY_MOD_FAMILY = 4 };
#define PSY_REC_PLAN_ITEMS_MAX 20 /* problems, objectives, interventions per plan */

struct psy_plan {
    psy_id id;
    psy_id client_id;
    psy_id clinician_id;
    int modalities;        /* PSY_MOD_* bits */
    char frequency[65];    /* e.g. "weekly" */
    int session_minutes;   /* planned session length */
    char start_date[PSY_DATE_MAX];
    char review_date[PSY_DATE_MAX];
    char end_date[PSY_DATE_MAX]; /* "" = open */
    int n_dx;
    char dx[PSY_REC_DX_MAX][PSY_CODE_MAX];
    int n_goals;
    char *goals[PSY_REC_GOALS_MAX];
    char clinician_signed_at[PSY_REC_TIME_MAX]; /* output only */
    char client_signed_at[PSY_REC_TIME_MAX];    /* output only */
    int version;
    /* optional numbered lists, like goals (pointers: the caller's on input, owned on output) */
    int n_problems;
    char *problems[PSY_REC_PLAN_ITEMS_MAX];
    int n_objectives;
    char *objectives[PSY_REC_PLAN_ITEMS_MAX];
    int n_interventions;
    char *interventions[PSY_REC_PLAN_ITEMS_MAX];
};

/* Frees the goals, problems, objectives and interventions of a plan filled by psy_records_plan_get. */
void psy_plan_clear(struct psy_plan *p);

psy_status psy_records_plan_add(psy_store *st, psy_id practice, const struct psy_plan *p, psy_id *id /* OUT */);
psy_status psy_records_plan_get(psy_store *st, psy_id practice, psy_id id, struct psy_plan *p /* OUT */);
/* Changes a plan not yet signed by its clinician (PSY_EPERM once signed: write a new plan). */
psy_status psy_records_plan_update(psy_store *st, psy_id practice, const struct psy_plan *p);
/* Records a signature: by the plan's clinician (who = 'c', clinician must be the plan's) or by the
 * client (who = 'p'); at is an instant ("" = now). A plan is in force once its clinician signed it. */
psy_status psy_records_plan_sign(psy_store *st, psy_id practice, psy_id plan, char who, psy_id clinician,
                                 const char *at);
/* Ends a plan on end_date (on or after its start), e.g. when a new plan replaces it. */
psy_status psy_records_plan_close(psy_store *st, psy_id practice, psy_id plan, const char *end_date);

/* --- groups -------------------------------------------------------------------------------------- */

struct psy_group {
    psy_id id;
    char name[PSY_REC_NAME_MAX];
    psy_id clinician_id;
    psy_id co_clinician_id; /* 0 = none */
    char modality[12];      /* group or multifamily */
    int telehealth;         /* 1 = meets by video */
    int capacity;
    char schedule[65];      /* e.g. "Tue 18:00" */
    int active;
    int version;
};

psy_status psy_records_group_add(psy_store *st, psy_id practice, const struct psy_group *g, psy_id *id /* OUT */);
psy_status psy_records_group_get(psy_store *st, psy_id practice, psy_id id, struct psy_group *g /* OUT */);
/* Changes a group at g->version (name, clinicians, modality, telehealth, capacity, schedule, active). */
psy_status psy_records_group_update(psy_store *st, psy_id practice, const struct psy_group *g);
/* Adds a client to a group's roster from joined (PSY_ECONFLICT when already a member), or ends the
 * membership on left. */
psy_status psy_records_group_join(psy_store *st, psy_id practice, psy_id group, psy_id client, const char *joined);
psy_status psy_records_group_leave(psy_store *st, psy_id practice, psy_id group, psy_id client, const char *left);
/* The clients on the roster on date, ascending (free *ids). */
psy_status psy_records_group_roster(psy_store *st, psy_id practice, psy_id group, const char *date,
                                    psy_id **ids /* OUT */, size_t *n /* OUT */);
/* Every membership of a group, past and present, by client id (free *out). */
struct psy_membership {
    psy_id client_id;
    char joined[PSY_DATE_MAX];
    char left[PSY_DATE_MAX]; /* "" = still a member */
};
psy_status psy_records_group_members(psy_store *st, psy_id practice, psy_id group, struct psy_membership **out /* OUT */,
                                     size_t *n /* OUT */);

/* --- sessions and attendance ---------------------------------------------------------------------- */

struct psy_session {
    psy_id id;
    char kind[12];           /* individual, family, intake, crisis, group, multifamily */
    psy_id client_id;        /* the client of a non-group session; 0 for groups */
    psy_id group_id;         /* the group of a group/multifamily session; 0 otherwise */
    psy_id clinician_id;
    char service_date[PSY_DATE_MAX]; /* the practice's local date */
    char start_utc[PSY_REC_TIME_MAX];
    char stop_utc[PSY_REC_TIME_MAX];
    int minutes;             /* explicit total psychotherapy minutes when the note gives one; 0 = none */
    char pos[3];             /* place of service */
    int telehealth;
    char th_modality[6];     /* video or audio; "" = not recorded */
    char patient_location[6]; /* home or other; "" = not recorded */
    char billed_code[PSY_CODE_MAX]; /* "" = not billed yet */
    int patient_absent;      /* family: 1 when the session was without the patient (90846) */
    int medical;             /* intake: 1 with medical services (90792) */
    char em_code[PSY_CODE_MAX]; /* non-group kinds: an E/M visit (99202-99499) in the same session; "" none */
    int interactive_complexity; /* 1 when a complexity factor occurred (90785) */
    char signed_at[PSY_REC_TIME_MAX]; /* output only; "" = open */
    char sign_override[PSY_REC_REASON_MAX]; /* output only: why it was signed despite errors; "" none */
    int version;
    int distinct_session;    /* groups: a second, distinct session of the group on its date (own times) */
};

/* Adds a session. A group's second session on one date is refused (PSY_EINVAL naming service_date)
 * unless marked distinct_session, with start and stop times that overlap no other session of the group
 * that day (each of which must have its times too). */
psy_status psy_records_session_add(psy_store *st, psy_id practice, const struct psy_session *s, psy_id *id /* OUT */);
psy_status psy_records_session_get(psy_store *st, psy_id practice, psy_id id, struct psy_session *s /* OUT */);
/* Changes an open session (PSY_EPERM once signed). */
psy_status psy_records_session_update(psy_store *st, psy_id practice, const struct psy_session *s);
/* Sessions with service_date in [from, to] ("" = unbounded), by date then id (free *out). */
psy_status psy_records_session_list(psy_store *st, psy_id practice, const char *from, const char *to,
                                    struct psy_session **out /* OUT */, size_t *n /* OUT */);
/* What GET /api/sessions narrows by; 0 and NULL or "" are "any". */
struct psy_session_filter {
    psy_id client, clinician, group;
    const char *from, *to; /* service dates, both included */
    const char *status;    /* "signed" or "draft" */
    const char *q;         /* words of the client's or the group's name */
    psy_id seen_by;        /* a clinician's own scope: their sessions and their groups' (0: the practice) */
};
/* One row of the sessions list. */
struct psy_session_row {
    psy_id id, client_id, group_id, clinician_id;
    char service_date[PSY_DATE_MAX];
    char kind[12];
    char client_first[PSY_REC_NAME_MAX], client_last[PSY_REC_NAME_MAX], group_name[PSY_REC_NAME_MAX];
    char clinician_name[2 * PSY_REC_NAME_MAX];
    int signed_, minutes;
    char billed_code[PSY_CODE_MAX];
};
/* One page of the practice's sessions matching f, newest service date first (then newest id; struct
 * psy_page in psy_store.h). Free *out with free(). */
psy_status psy_records_session_page(psy_store *st, psy_id practice, const struct psy_session_filter *f,
                                    struct psy_page *pg, struct psy_session_row **out /* OUT */, size_t *n /* OUT */);
/* The session's minutes: the explicit total, else stop - start; 0 when neither is known. */
int psy_records_session_minutes(const struct psy_session *s);

/* Signs the session: every note it needs (a group note plus one note per present member, or the
 * client's note) must exist and be signed, else PSY_EINVAL naming "notes". A signed session and its
 * attendance no longer change; only what was billed may still be recorded. */
psy_status psy_records_session_sign(psy_store *st, psy_id practice, psy_id session, psy_id clinician);
/* The same, keeping the clinician's written reason for signing despite error findings (reason "" or
 * NULL: none; else 10 to 1000 characters, PSY_EINVAL naming "override_reason"). */
psy_status psy_records_session_sign_override(psy_store *st, psy_id practice, psy_id session, psy_id clinician,
                                             const char *reason);

struct psy_attendance {
    psy_id id;
    psy_id session_id;
    psy_id client_id;
    int present;
    int late_minutes;   /* arrived late by */
    int early_minutes;  /* left early by */
    char billed_code[PSY_CODE_MAX]; /* "" = not billed */
    psy_id policy_id;   /* the policy billed; 0 = not chosen */
    int interactive_complexity; /* 1: a complexity factor occurred for this member (90785 on their claim) */
    int version;
};

/* Records (or replaces) one member's attendance at a group session. */
psy_status psy_records_attendance_set(psy_store *st, psy_id practice, const struct psy_attendance *a,
                                      psy_id *id /* OUT, may be NULL */);
/* The attendance of a session by client id (free *out). */
psy_status psy_records_attendance_list(psy_store *st, psy_id practice, psy_id session,
                                       struct psy_attendance **out /* OUT */, size_t *n /* OUT */);
/* Records what was billed for a session's client (client 0 = the session's own client), also on a
 * signed session: code "" clears it. */
psy_status psy_records_billed_set(psy_store *st, psy_id practice, psy_id session, psy_id client, const char *code);

/* The input the coding engine needs for a signed session: one entry per billable member (the client
 * of a non-group session, every present member of a group session) with that member's minutes, the
 * session facts, the primary insurance in force on the date and the client's diagnoses. PSY_EPERM
 * when the session is not signed. */
struct psy_billable {
    psy_id session_id;
    psy_id client_id;
    psy_id clinician_id;
    char rendering_npi[11];
    char kind[12];
    char service_date[PSY_DATE_MAX];
    int minutes;             /* the member's minutes (session minus late and early); 0 = unknown */
    int participants;        /* present members of a group session; 1 otherwise */
    char pos[3];
    int telehealth;
    char th_modality[6];
    char patient_location[6];
    psy_id policy_id;        /* 0 when the client has no policy in force */
    psy_id payer_id;
    char payer_code[81];
    char member_id[31];
    char billed_code[PSY_CODE_MAX];
    int patient_absent;          /* family without the patient */
    int medical;                 /* intake with medical services */
    char em_code[PSY_CODE_MAX];  /* the session's E/M visit, "" none */
    int interactive_complexity;
    int n_dx;
    char dx[PSY_REC_DX_MAX][PSY_CODE_MAX];
};

psy_status psy_records_session_billables(psy_store *st, psy_id practice, psy_id session,
                                         struct psy_billable **out /* OUT, free() */, size_t *n /* OUT */);

/* --- notes ----------------------------------------------------------------------------------------- */

struct psy_note {
    psy_id id;
    psy_id session_id;
    psy_id client_id;    /* 0 for the group-level note */
    char kind[12];       /* group, member or individual */
    psy_id author_id;
    char template_id[41]; /* the note template it was written with ("soap", "dap" ...); "" none */
    /* group-level note */
    char *theme, *techniques, *dynamics, *factors;
    /* member and individual notes (an individual note also uses techniques) */
    char *participation, *response, *progress, *plan;
    char status[8];      /* draft or signed (output) */
    char signed_at[PSY_REC_TIME_MAX];
    psy_id signed_by;
    int version;
};

void psy_note_clear(struct psy_note *n); /* frees the texts of a note filled by the library */

/* Saves a draft note: a new one when n->id is 0 (kind and client must fit the session: 'group' with
 * client 0 or 'member' for a present member of a group session, 'individual' for the session's client),
 * else changes the draft n->id at n->version. PSY_EPERM when the note is signed. */
psy_status psy_records_note_save(psy_store *st, psy_id practice, const struct psy_note *n, psy_id *id /* OUT */);
psy_status psy_records_note_get(psy_store *st, psy_id practice, psy_id id, struct psy_note *n /* OUT */);
/* The notes of a session, group note first (clear each, then free *out). */
psy_status psy_records_note_list(psy_store *st, psy_id practice, psy_id session, struct psy_note **out /* OUT */,
                                 size_t *n /* OUT */);
/* A client's member and individual notes of sessions before date (other than session), newest first,
 * at most max (clear each, then free *out): what a new note of theirs is compared with for copies. */
psy_status psy_records_client_notes_before(psy_store *st, psy_id practice, psy_id client, const char *date,
                                           psy_id session, size_t max, struct psy_note **out /* OUT */,
                                           size_t *n /* OUT */);
/* Signs and locks a draft: the signer must be the session's clinician or co-therapist; every part
 * the kind requires must be written (else PSY_EINVAL naming it). */
psy_status psy_records_note_sign(psy_store *st, psy_id practice, psy_id note, psy_id clinician);
/* Adds a dated addendum to a signed note (PSY_EPERM on a draft: edit it instead). */
psy_status psy_records_note_addendum(psy_store *st, psy_id practice, psy_id note, psy_id clinician,
                                     const char *text, psy_id *id /* OUT, may be NULL */);

struct psy_addendum {
    psy_id id;
    psy_id author_id;
    char created_at[PSY_REC_TIME_MAX];
    char *text; /* owned */
};
psy_status psy_records_addenda(psy_store *st, psy_id practice, psy_id note, struct psy_addendum **out /* OUT */,
                               size_t *n /* OUT */);
void psy_addenda_free(struct psy_addendum *a, size_t n);

/* --- lists (ascending ids; free *ids) ----------------------------------------------------------------- */

/* The practice's groups; clinician != 0: only those the clinician leads or co-leads. */
psy_status psy_records_group_list(psy_store *st, psy_id practice, psy_id clinician, psy_id **ids, size_t *n);
/* The practice's clients; clinician != 0: only the clinician's own (on the roster of a group they lead
 * or co-lead, under a plan of theirs, or seen by them in an individual session). */
psy_status psy_records_client_ids(psy_store *st, psy_id practice, psy_id clinician, psy_id **ids, size_t *n);
/* One page of those clients by last name (struct psy_page in psy_store.h), searched by q (NULL or "":
 * all): words of the name in any case, part of a word ("ann smi", "smith, ann"), or the birth date
 * YYYY-MM-DD. The ids in *ids (free). */
psy_status psy_records_client_page(psy_store *st, psy_id practice, psy_id clinician, const char *q,
                                   struct psy_page *pg, psy_id **ids, size_t *n);
/* A client's policies (by priority), authorisations, treatment plans and groups (ever joined). */
psy_status psy_records_client_policies(psy_store *st, psy_id practice, psy_id client, psy_id **ids, size_t *n);
psy_status psy_records_client_auths(psy_store *st, psy_id practice, psy_id client, psy_id **ids, size_t *n);
psy_status psy_records_client_plans(psy_store *st, psy_id practice, psy_id client, psy_id **ids, size_t *n);
psy_status psy_records_client_groups(psy_store *st, psy_id practice, psy_id client, psy_id **ids, size_t *n);
/* A client's individual-type sessions (individual, family, intake, crisis) by date. */
psy_status psy_records_client_sessions(psy_store *st, psy_id practice, psy_id client, psy_id **ids, size_t *n);
/* A group's sessions by date. */
psy_status psy_records_group_sessions(psy_store *st, psy_id practice, psy_id group, psy_id **ids, size_t *n);

/* One member's attendance recorded at one of a group's sessions, with what the reports need of it. */
struct psy_group_attendance {
    psy_id session_id, client_id;
    char service_date[PSY_DATE_MAX];
    int present;
    psy_id payer_id; /* the payer of the member's primary policy in force that day (psy_records_policy_on's
                        choice), 0 when none */
};
/* Every attendance recorded at a group's sessions, the sessions by date then id and their members by
 * client, in one query (the attendance and group-economics reports read a year of sessions at once
 * instead of one session, its attendance and each member's policy at a time). Free *out. */
psy_status psy_records_group_attendance(psy_store *st, psy_id practice, psy_id group, struct psy_group_attendance **out,
                                        size_t *n);

/* --- change history --------------------------------------------------------------------------------- */

struct psy_history {
    int version;              /* the version this change produced */
    char action[10];          /* create, update, sign, addendum, close */
    psy_id actor_id;          /* clinician, 0 when unknown */
    char changed_at[PSY_REC_TIME_MAX];
    char *previous;           /* JSON object of the changed columns' earlier values; NULL for create */
};

/* Every change of one record, oldest first. record_type is a table name: practice, clinician, client,
 * payer, policy, authorisation, treatment_plan, therapy_group, session, attendance, note. */
psy_status psy_records_history(psy_store *st, psy_id practice, const char *record_type, psy_id id,
                               struct psy_history **out /* OUT */, size_t *n /* OUT */);
void psy_history_free(struct psy_history *h, size_t n);

/* --- importing clients from CSV (docs/importing.md, "Clients from another system") ---------------- */

enum { PSY_IMPORT_DRY_RUN = 1, PSY_IMPORT_SKIP_BAD = 2 };

/* One problem of a refused row: its number in the file (the header is row 1; a quoted field spanning
 * lines is still one row), the CSV column at fault ("row" when about the row as a whole, such as a
 * duplicate), and why, without the value. A row has one problem per column at fault. */
struct psy_import_problem {
    long row;
    char column[32];
    char message[200];
};

struct psy_import_report {
    long rows;            /* data rows read (blank rows are skipped) */
    long good, refused;   /* rows that are (or would be) imported, rows refused */
    long clients, policies; /* written (0 on a dry run, or when refused rows stopped the import) */
    int committed;        /* 1 when the good rows were written */
    size_t n_problems;
    struct psy_import_problem *problems; /* psy_import_report_clear frees them */
};
void psy_import_report_clear(struct psy_import_report *r);

/* Imports clients, their diagnoses and one insurance policy per row from CSV text (UTF-8, an optional
 * byte-order mark, LF or CRLF, quoted fields with commas, quotes and line breaks). Every row is
 * checked as it would be written -- fields, dates, diagnoses against the catalog, payers by electronic
 * id against the practice's payers, the same name and birth date already present or earlier in the
 * file -- inside one transaction. Nothing is written when any row is refused, unless flags has
 * PSY_IMPORT_SKIP_BAD (then the good rows are); PSY_IMPORT_DRY_RUN writes nothing and reports the
 * same. Returns PSY_OK whenever the report is filled (refusals are in it); PSY_EPARSE for a file that
 * is not CSV or lacks a required column (message on the store). */
psy_status psy_records_import_clients(psy_store *st, psy_id practice, const char *text, size_t len, int flags,
                                      struct psy_import_report *r /* OUT */);

/* --- demo practice --------------------------------------------------------------------------------- */

struct psy_demo_opts {
    unsigned seed;
    const char *end_date;  /* last day of the generated period ("" or NULL = today) */
    int weeks;             /* length of the period; 0 = 13 (three months) */
    int clients;           /* 0 = 60 */
    int groups;            /* 0 = 4 */
    int clean;             /* 1 = no seeded problems */
};

/* One problem the generator planted on purpose, as the audit should report it. */
struct psy_demo_problem {
    char rule[16];
    char record_type[16];
    psy_id record_id;
    char what[96];
};

struct psy_demo_result {
    psy_id practice_id;
    long clinicians, clients, groups, sessions, notes;
    size_t n_problems;
    struct psy_demo_problem *problems; /* free() */
};

/* Generates an invented practice: clinicians, clients with diagnoses, policies and plans, payers,
 * authorisations, groups with rosters, and `weeks` of individual and group sessions with attendance
 * and signed notes; unless clean, with one instance of each problem the audit looks for. */
psy_status psy_records_demo(psy_store *st, const struct psy_demo_opts *o, struct psy_demo_result *r /* OUT */);

#endif
