/*
 * billing_next.c -- who owes a claim's balance once a payer has adjudicated it: the client's next policy
 * in priority order (a secondary or tertiary payer), or the client. This is the one place where the
 * payer side of a claim (acknowledgements, coordination of benefits) hands patient responsibility to the
 * client's side (the ledger): the 835 posting asks it after each claim payment it posts.
 */
#include <string.h>
#include "psy_db.h"
#include "billing_int.h"

psy_status psy__billing_next_payer(psy_store *st, psy_id practice, psy_id claim, psy_id *next_policy)
{
    int64_t id = 0;
    *next_policy = 0;
    /* the policy of the lowest priority above the claim's own that covers the claim's date of service */
    psy_status rc = psy__db_int(st, &id,
                                "SELECT p.id FROM claim c JOIN policy cp ON cp.id = c.policy_id "
                                "JOIN policy p ON p.practice_id = c.practice_id AND p.client_id = c.client_id "
                                "AND p.priority > cp.priority AND p.start_date <= c.service_date "
                                "AND (p.end_date IS NULL OR p.end_date >= c.service_date) "
                                "WHERE c.id = ? AND c.practice_id = ? ORDER BY p.priority, p.id LIMIT 1",
                                PSY_ARGS(PSY_INT(claim), PSY_INT(practice)));
    if (rc == PSY_ENOTFOUND) return PSY_OK;
    if (rc) return rc;
    *next_policy = id;
    return PSY_OK;
}
