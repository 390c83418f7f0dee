/*
 * ledger_demo.c -- the demo practice's client balances (psy_ledger_demo): the expected share of every
 * signed session taken, then payments so that some clients are paid up, some pay late and some owe
 * months of copays, and one client holds a credit.
 *
 * The payments are checked as a biller's are (psy_ledger_record_batch checks each as psy_ledger_record
 * does) and written in one all-or-nothing transaction: a demo that fails leaves no half of its payments
 * behind, and a PostgreSQL store gets them in a few round trips, not several per payment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_db.h"
#include "ledger_int.h"

struct pay {
    char day[11], ref[24];
};

psy_status psy_ledger_demo(psy_store *st, psy_id practice, long *payments)
{
    if (payments) *payments = 0;
    psy_status rc = psy_ledger_sync(st, practice, NULL);
    struct psy_ledger_entry *e = NULL;
    size_t n = 0;
    if (!rc) rc = psy__ledger_load(st, practice, 0, NULL, 0, &e, &n);
    char today[11];
    if (!rc) rc = psy__ledger_today(st, practice, today);
    static const char *const methods[] = {"card", "check", "cash"};
    struct psy_ledger_write *w = psy__calloc(n ? n : 1, sizeof *w);
    struct pay *p = psy__calloc(n ? n : 1, sizeof *p); /* the texts each write points to */
    size_t nw = 0, client_no = 0;
    for (size_t i = 0, j; !rc && i < n; i = j, client_no++) {
        for (j = i; j < n && e[j].client_id == e[i].client_id; j++) {}
        /* 0: pays each copay on the day; 1: pays a month late, so the last month is open; 2: has paid
         * nothing (late); 3: paid on the day and once too much (a credit); 4: pays a month late */
        int how = (int)(client_no % 5);
        if (how == 2) continue;
        for (size_t k = i; k < j; k++) {
            if (strcmp(e[k].kind, "copay") && strcmp(e[k].kind, "fee")) continue;
            struct pay *q = &p[nw];
            if ((how == 1 || how == 4) && (!psy_date_add(e[k].entry_date, 30, q->day) || strcmp(q->day, today) > 0))
                continue;
            if (how != 1 && how != 4) snprintf(q->day, sizeof q->day, "%s", e[k].entry_date);
            snprintf(q->ref, sizeof q->ref, "%s%lld", how == 1 ? "" : "D", (long long)e[k].id);
            const char *method = methods[(client_no + k) % 3];
            long long amount = e[k].amount_cents + (how == 3 && k == i ? 2000 : 0);
            w[nw++] = (struct psy_ledger_write){.kind = "payment", .client = e[k].client_id, .amount_cents = amount,
                                                .method = method, .reference = strcmp(method, "check") ? "" : q->ref,
                                                .date = q->day, .by = "demo"};
        }
    }
    if (!rc && nw) {
        char err[400];
        rc = psy_ledger_record_batch(st, practice, w, nw, err, sizeof err);
        if (rc) psy__store_fail(st, rc, "%s", err);
    }
    if (!rc && payments) *payments = (long)nw;
    free(w);
    free(p);
    free(e);
    return rc;
}
