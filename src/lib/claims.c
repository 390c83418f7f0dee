/*
 * claims.c -- the claim lifecycle and the small validator every claim check shares (the NPI check digit;
 * calendar dates are date.c's).
 *
 * The lifecycle is one table: for each state, the states it may move to and why that edge exists.
 * psy_claim_transition is the only gate; anything not in the table is refused with a sentence that
 * names the allowed next states.
 *
 *   draft ──> ready ──> submitted ──> accepted ──> paid ───────────┐
 *     ^         │           │            │    ├──> denied ─────────┼──> closed
 *     └─────────┘           │            │    └──> partially_paid ─┘
 *     ^                     └──> rejected┘ (a rejected claim never reached adjudication)
 *     └──────────────────────────────┘ (corrected and sent again as a new original)
 */
#include <stdio.h>
#include <string.h>
#include "psy_int.h"
#include "psyclaim/psy_claims.h"

static const char *const state_names[PSY_CLAIM_STATE_COUNT] = {
    "draft", "ready", "submitted", "accepted", "rejected", "paid", "denied", "partially_paid", "closed",
};

/* IMP: the lifecycle of issue 6. Each row: from, to, the event that moves the claim. */
static const struct {
    psy_claim_state from, to;
    const char *event;
} edges[] = {
    {PSY_CLAIM_DRAFT, PSY_CLAIM_READY, "the scrubber found no errors"},
    {PSY_CLAIM_DRAFT, PSY_CLAIM_CLOSED, "the draft is abandoned before it was ever sent"},
    {PSY_CLAIM_READY, PSY_CLAIM_DRAFT, "the claim is edited again"},
    {PSY_CLAIM_READY, PSY_CLAIM_SUBMITTED, "the claim was written into an 837P batch and sent"},
    {PSY_CLAIM_SUBMITTED, PSY_CLAIM_ACCEPTED, "a 277CA accepted it, or an 835 adjudicated it (which implies it)"},
    {PSY_CLAIM_SUBMITTED, PSY_CLAIM_REJECTED, "a 999/277CA rejected it"},
    {PSY_CLAIM_ACCEPTED, PSY_CLAIM_REJECTED, "a 277CA rejected it after a 999 had accepted its batch"},
    {PSY_CLAIM_REJECTED, PSY_CLAIM_DRAFT, "the claim is corrected to be sent again as a new original"},
    {PSY_CLAIM_REJECTED, PSY_CLAIM_CLOSED, "the practice gives up on the claim"},
    {PSY_CLAIM_ACCEPTED, PSY_CLAIM_PAID, "an 835 paid it in full"},
    {PSY_CLAIM_ACCEPTED, PSY_CLAIM_DENIED, "an 835 paid nothing"},
    {PSY_CLAIM_ACCEPTED, PSY_CLAIM_PARTIALLY_PAID, "an 835 paid part of it"},
    {PSY_CLAIM_PAID, PSY_CLAIM_PARTIALLY_PAID, "a later 835 took part of the payment back"},
    {PSY_CLAIM_PAID, PSY_CLAIM_CLOSED, "nothing is left to collect"},
    {PSY_CLAIM_PAID, PSY_CLAIM_ACCEPTED, "an 835 reversed the payment (CLP02 22); a corrected one follows"},
    {PSY_CLAIM_PARTIALLY_PAID, PSY_CLAIM_ACCEPTED, "an 835 reversed the payment (CLP02 22); a corrected one follows"},
    {PSY_CLAIM_DENIED, PSY_CLAIM_PAID, "an appeal or reprocessing paid it"},
    {PSY_CLAIM_DENIED, PSY_CLAIM_PARTIALLY_PAID, "an appeal or reprocessing paid part of it"},
    {PSY_CLAIM_DENIED, PSY_CLAIM_CLOSED, "the denial is accepted (or a replacement claim takes over)"},
    {PSY_CLAIM_PARTIALLY_PAID, PSY_CLAIM_PAID, "a later 835 paid the rest"},
    {PSY_CLAIM_PARTIALLY_PAID, PSY_CLAIM_CLOSED, "the balance is written off or billed to the patient"},
};

const char *psy_claim_state_name(psy_claim_state s)
{
    return (unsigned)s < PSY_CLAIM_STATE_COUNT ? state_names[s] : "?";
}

psy_status psy_claim_state_parse(const char *name, psy_claim_state *out)
{
    for (int i = 0; i < PSY_CLAIM_STATE_COUNT; i++)
        if (name && !strcmp(name, state_names[i])) {
            *out = (psy_claim_state)i;
            return PSY_OK;
        }
    return PSY_EINVAL;
}

psy_status psy_claim_transition(psy_claim_state from, psy_claim_state to, char *why, size_t whylen)
{
    if ((unsigned)from >= PSY_CLAIM_STATE_COUNT || (unsigned)to >= PSY_CLAIM_STATE_COUNT) {
        if (why && whylen) snprintf(why, whylen, "unknown claim state");
        return PSY_EINVAL;
    }
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        if (edges[i].from == from && edges[i].to == to) return PSY_OK;
    if (!why || !whylen) return PSY_EINVAL;
    struct psy__buf b = {0};
    psy__buf_printf(&b, "a claim cannot go from %s to %s", state_names[from], state_names[to]);
    int n = 0;
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        if (edges[i].from == from) psy__buf_printf(&b, "%s%s", n++ ? ", " : "; from there only: ", state_names[edges[i].to]);
    if (!n) psy__buf_puts(&b, "; it is final");
    snprintf(why, whylen, "%s", b.p);
    psy__buf_free(&b);
    return PSY_EINVAL;
}

/* IMP: R-NPI-1 -- Luhn over the 9-digit base with the 80840 prefix folded into the constant 24. */
int psy_npi_valid(const char *npi)
{
    if (!npi || strlen(npi) != 10) return 0;
    int sum = 24;
    for (int i = 0; i < 10; i++)
        if (npi[i] < '0' || npi[i] > '9') return 0;
    for (int i = 8, k = 0; i >= 0; i--, k++) {
        int d = npi[i] - '0';
        if (k % 2 == 0) {
            d *= 2;
            if (d > 9) d -= 9;
        }
        sum += d;
    }
    return (10 - sum % 10) % 10 == npi[9] - '0';
}

