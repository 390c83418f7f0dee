/*
 * ledger_int.h -- what the ledger_*.c files share, and the one call the 835 posting makes into the
 * ledger (psy__ledger_posted).
 */
#ifndef PSY_LEDGER_INT_H
#define PSY_LEDGER_INT_H

#include "psy_int.h"
#include "psyclaim/psy_ledger.h"
#include "psyclaim/psy_x12.h"

/* Today in the practice's time zone. */
psy_status psy__ledger_today(psy_store *st, psy_id practice, char out[11]);
/* Inside a transaction: the practice's ledger lock, held by every ledger write and the month close. */
psy_status psy__ledger_lock(psy_store *st, psy_id practice);
/* Adds e (its id ignored) with an idempotency key (NULL none). */
psy_status psy__ledger_insert(psy_store *st, psy_id practice, const struct psy_ledger_entry *e, const char *key,
                              psy_id *id);
/* Entries dated through `through` ("" or NULL = all) of one client (0 = every client), by client, date, id;
 * each copay's claim_id is the claim billing its session, reversed_by counts reversals dated through;
 * with_code 0 leaves each entry's procedure code "" (a look-up per entry that only a display needs). */
psy_status psy__ledger_load(psy_store *st, psy_id practice, psy_id client, const char *through, int with_code,
                            struct psy_ledger_entry **out, size_t *n);
/* The same entries of every client, one client at a time (in client order), to fn, without the procedure
 * code: what the balances and the aging need, with one client's entries in memory at a time. */
psy_status psy__ledger_each_client(psy_store *st, psy_id practice, const char *through,
                                   psy_status (*fn)(void *ud, const struct psy_ledger_entry *e, size_t n), void *ud);
/* A reversal of old dated date. */
psy_status psy__ledger_reverse_one(psy_store *st, psy_id practice, const struct psy_ledger_entry *old, const char *date,
                                   const char *reason, const char *by, psy_id *id);

/* The ids of the expected shares (copay, fee) of the members a claim's lines bill, reversed or not: SQL
 * with one `?`, the claim. Driven by the claim's lines through the ledger_entry_session index, so its
 * cost is the claim's, not the practice's (the 835 posting runs it for every claim it posts). */
#define PSY__LEDGER_SHARES_OF_CLAIM                                                                               \
    "SELECT s.id FROM claim_line l JOIN ledger_entry s ON s.session_id = l.session_id AND s.client_id = "           \
    "l.client_id WHERE l.claim_id = ? AND s.kind IN ('copay', 'fee')"

/* The 835 posting, inside its transaction, after it posted claim payment c as payment row `row` of era
 * file `file` under trace number `trace`, when the claim's payer is the last (psy__billing_next_payer
 * found no later policy) or c is a reversal (earlier: the payment row it took back). The payer's patient
 * responsibility goes on the client's ledger, one entry per CARC, replacing the expected share of the
 * claim's sessions (unless denied); a reversal takes back the entries of the payment it reverses. Then
 * the rules of ledger_check.c are checked over the claim; a broken one becomes a finding on it. */
psy_status psy__ledger_posted(psy_store *st, psy_id practice, psy_id claim, psy_id row, psy_id earlier, psy_id file,
                              const char *trace, const struct psy_era_claim *c);

/* ledger_report.c: one client's entries as of a date applied to each other (payments given a claim to
 * that claim first, then everything oldest first): the open amounts that are left, and the credit. */
struct psy__open_item {
    const struct psy_ledger_entry *e; /* the entry that put the amount on the client */
    long long open;                   /* what of it is still owed */
};
psy_status psy__ledger_apply(const struct psy_ledger_entry *e, size_t n, struct psy__open_item **items, size_t *n_items,
                             long long *credit);

#endif
