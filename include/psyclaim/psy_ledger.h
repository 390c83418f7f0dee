/*
 * psy_ledger.h -- the client's side of the money: one append-only ledger per client in integer cents,
 * what each client owes, payments, refunds and write-offs, month close, statements and A/R aging.
 *
 * An entry's amount is signed by what it does to the client's balance: + the expected share at the time
 * of service (kind "copay": the primary policy's copay; "fee": the client's self-pay or sliding-scale
 * fee when no policy is in force), the payer's patient responsibility from a posted 835 after the last
 * payer ("payer_share", one entry per CARC with the reason in words; it replaces the expected share of
 * the claim's sessions), a refund ("refund"); - a client payment ("payment"), a write-off
 * ("adjustment", a reason from the practice's list). A correction is a "reversal" entry that points at
 * the entry it takes back; no entry is changed or deleted. The balance is the sum.
 *
 * Payments given a claim are applied to that claim's open amounts first; everything else is applied to
 * the oldest open amounts first; what is left over is the client's credit until refunded or applied.
 * Entries are dated in the practice's time zone. A closed month (psy_ledger_close_month) takes no new
 * entry dated in it: corrections go to the open month, so a closed month's reports never change.
 */
#ifndef PSY_LEDGER_H
#define PSY_LEDGER_H

#include <stddef.h>
#include "psyclaim.h"
#include "psy_records.h"

#define PSY_LEDGER_KEY_MAX 65  /* an idempotency key: up to 64 bytes */
#define PSY_LEDGER_REF_MAX 65  /* a check number, card slip or other reference */

struct psy_ledger_entry {
    psy_id id, client_id;
    char kind[12];
    long long amount_cents;            /* + raises what the client owes, - lowers it */
    char entry_date[11];               /* the day the entry counts from (YYYY-MM-DD) */
    char service_date[11];             /* copay, fee, payer_share: the date of service; "" otherwise */
    psy_id session_id, claim_id;       /* 0 when none; claim_id of a copay is the claim billing its session */
    psy_id payment_id;                 /* payer_share: the 835 payment row it came from */
    psy_id reverses;                   /* reversal: the entry it takes back */
    psy_id reversed_by;                /* the reversal of this entry, 0 when it stands */
    char method[8];                    /* payment, refund: cash, check, card, other */
    char reference[PSY_LEDGER_REF_MAX];
    char reason_code[33];              /* payer_share: the CARC; adjustment: the practice's reason code */
    char reason[161];                  /* the reason in words */
    char source[161];                  /* where it came from ("835 file #3, trace EFT0001") */
    char code[8];                      /* the service's procedure code, "" when none */
    char created_by[65], created_at[21];
};

/* Entries written for the expected share of every billable member of every signed session that has
 * none yet (each member once). *added (may be NULL) counts the entries written. */
psy_status psy_ledger_sync(psy_store *st, psy_id practice, long *added /* OUT */);
/* The same for one session only: what signing it puts on the ledger, without looking at the practice's
 * other sessions. A share it could not take is taken by the next psy_ledger_sync, or
 * psy_ledger_sync_client of one of its members (every ledger read runs one of the two). */
psy_status psy_ledger_sync_session(psy_store *st, psy_id practice, psy_id session, long *added /* OUT */);
/* The same for one client's sessions (theirs, and the group sessions they attended): what a read or a
 * write of that client's ledger needs current, at the cost of the client's sessions, not the practice's. */
psy_status psy_ledger_sync_client(psy_store *st, psy_id practice, psy_id client, long *added /* OUT */);

/* A client's entries dated through `through` (YYYY-MM-DD; NULL or "" = all), oldest first, and the
 * balance at that date (reversals dated later do not count yet). Free *out. */
psy_status psy_ledger_entries(psy_store *st, psy_id practice, psy_id client, const char *through,
                              struct psy_ledger_entry **out /* OUT */, size_t *n /* OUT */,
                              long long *balance /* OUT, may be NULL */);

/* A payment, refund or adjustment to record. */
struct psy_ledger_write {
    const char *kind;            /* "payment", "refund" or "adjustment" */
    psy_id client;
    psy_id claim;                /* payment, adjustment: the claim it is for; 0 = the client's account */
    long long amount_cents;      /* > 0 for payments and refunds; an adjustment takes this off the balance
                                    (a negative one adds to it) */
    const char *method;          /* payment, refund: cash, check, card or other */
    const char *reference;       /* check number, slip; may be "" */
    const char *reason_code;     /* adjustment: a code of the practice's list (psy_ledger_reasons) */
    const char *date;            /* YYYY-MM-DD; NULL = today in the practice's time zone */
    const char *idempotency_key; /* NULL/"" = none; the same key posts once per practice */
    const char *by;              /* who records it (user name), for the entry */
};

/* Records w: *entry gets the new entry's id, or the earlier entry's id with *replayed = 1 when the same
 * idempotency key was used before for the same write. PSY_EINVAL names the field (amount, method,
 * reason, claim, date); PSY_ECONFLICT when the key was used for another write, or the date lies in a
 * closed month; PSY_ENOTFOUND when the client or claim is not the practice's. err gets the message. */
psy_status psy_ledger_record(psy_store *st, psy_id practice, const struct psy_ledger_write *w, psy_id *entry /* OUT */,
                             int *replayed /* OUT, may be NULL */, char *err, size_t errlen);
/* Records n payments and refunds to the clients' accounts (no claim, idempotency key or adjustment) in
 * one transaction: each checked as psy_ledger_record checks it, the entries the same, all written or
 * none. The store is read once for the batch (clients, closed months) and the entries go out as
 * multi-row inserts (COPY on PostgreSQL). err names the write ("write 3: date: ...", counting from 1). */
psy_status psy_ledger_record_batch(psy_store *st, psy_id practice, const struct psy_ledger_write *w, size_t n,
                                   char *err, size_t errlen);

/* Takes back an entry with a reversal dated `date` (NULL = today; it must lie in an open month) that
 * carries reason. PSY_ECONFLICT when the entry was reversed already or is a reversal itself. */
psy_status psy_ledger_reverse(psy_store *st, psy_id practice, psy_id entry, const char *reason, const char *date,
                              const char *by, psy_id *reversal /* OUT, may be NULL */, char *err, size_t errlen);

/* The practice's reasons for adjustments. The list starts with a few common ones the practice may
 * change; set adds a reason or changes its words or whether it is in use. */
struct psy_ledger_reason {
    char code[33];
    char words[121];
    int active;
};
psy_status psy_ledger_reasons(psy_store *st, psy_id practice, struct psy_ledger_reason **out /* OUT */, size_t *n /* OUT */);
psy_status psy_ledger_reason_set(psy_store *st, psy_id practice, const char *code, const char *words, int active);

/* The client's per-session fee when no insurance is in force (0 = none); PSY_EINVAL when negative. */
psy_status psy_ledger_fee_set(psy_store *st, psy_id practice, psy_id client, long long cents);
psy_status psy_ledger_fee_get(psy_store *st, psy_id practice, psy_id client, long long *cents /* OUT */);

/* Closes a month (YYYY-MM) that has ended in the practice's time zone; closing it again does nothing.
 * PSY_EINVAL naming "month" when malformed or not over yet. */
psy_status psy_ledger_close_month(psy_store *st, psy_id practice, const char *month, const char *by, char *err,
                                  size_t errlen);
/* 1 when the month is closed, 0 when open, -1 on a database failure. */
int psy_ledger_month_closed(psy_store *st, psy_id practice, const char *month);

/* The clients whose balance at `through` (NULL = today) is not zero. */
struct psy_ledger_balance {
    psy_id client_id;
    char name[140];                 /* "Last, First" */
    long long balance_cents;        /* > 0 owed, < 0 credit */
    long long open_cents;           /* owed amounts not yet covered by a payment */
    char oldest[11];                /* the date of the oldest open amount, "" when none */
};
psy_status psy_ledger_balances(psy_store *st, psy_id practice, const char *through,
                               struct psy_ledger_balance **out /* OUT */, size_t *n /* OUT */);

/* Accounts receivable at a date: what is owed by each payer (claims sent and not settled, by date of
 * service) and by the clients (open ledger amounts, by the date each was put on the client), in buckets
 * 0-30, 31-60, 61-90, 91-120 and over 120 days. */
#define PSY_AGING_BUCKETS 5
struct psy_aging_row {
    char who[82];                   /* the payer's name, or "Patients" */
    int patient;                    /* 1 for the clients' row */
    long long bucket[PSY_AGING_BUCKETS];
    long long total;
};
struct psy_aging {
    char as_of[11];
    struct psy_aging_row *rows;     /* payers by name, then the patients' row */
    size_t n_rows;
    long long payer[PSY_AGING_BUCKETS], patient[PSY_AGING_BUCKETS];
    long long payer_total, patient_total, total;
    long long credit;               /* the clients' unapplied credit (<= 0), not in the totals */
};
extern const char *const psy_aging_bucket_names[PSY_AGING_BUCKETS];
psy_status psy_ledger_aging(psy_store *st, psy_id practice, const char *as_of, struct psy_aging *out /* OUT */);
void psy_ledger_aging_free(struct psy_aging *a);

/* A client's statement for a month (YYYY-MM) as a PDF: the practice's header, each service with date,
 * code and its description in words, what insurance paid and what the client owes, the payments
 * received, the total due at the month's end and how to pay. PSY_EINVAL naming "month". */
psy_status psy_ledger_statement(psy_store *st, psy_id practice, psy_id client, const char *month, char **out /* OUT */,
                                size_t *len /* OUT */, char *err, size_t errlen);

/* The rules money keeps (docs/rules.md R-LEDGER-*), checked over one claim (0 = every claim and
 * client of the practice). Each broken rule is one problem; *n = 0 when all hold. Free *out. */
struct psy_ledger_problem {
    char rule[16];
    psy_id claim_id, client_id;
    char message[240];
};
psy_status psy_ledger_check(psy_store *st, psy_id practice, psy_id claim, struct psy_ledger_problem **out /* OUT */,
                            size_t *n /* OUT */);

/* Whether a clinician sees the balances of their own clients (0 by default: billers and admins only). */
psy_status psy_ledger_clinicians_see(psy_store *st, psy_id practice, int *yes /* OUT */);
psy_status psy_ledger_clinicians_see_set(psy_store *st, psy_id practice, int yes);

/* The demo practice's balances: the expected share of its signed sessions, and client payments such that
 * some clients are paid up, some pay a month late, some owe everything and one holds a credit.
 * The payments go in through psy_ledger_record_batch: one transaction, none kept on failure.
 * *payments (may be NULL) counts the payments recorded. */
psy_status psy_ledger_demo(psy_store *st, psy_id practice, long *payments /* OUT */);

#endif
