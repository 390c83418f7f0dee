/*
 * billing_int.h -- what claims_build.c and claims_post.c share: a stored claim loaded into the structs
 * of psy_claims.h (with the storage those structs point into).
 */
#ifndef PSY_BILLING_INT_H
#define PSY_BILLING_INT_H

#include <jansson.h>
#include "psy_int.h"

struct psy__loaded_line {
    psy_id id;
    char code[PSY_CODE_MAX];
    char mods[PSY_CLAIM_MAX_MODS][3];
    char pos[3];
};

struct psy__loaded {
    psy_id id;
    char number[PSY_CLAIM_ID_MAX + 1];
    char date[9], birth[9], sub_birth[9], today[9], hhmm[5];
    char pos[3];
    char prior_auth[51];
    char phone[32];
    struct psy_practice practice;
    struct psy_client client;
    struct psy_payer payer;
    struct psy_policy policy;
    struct psy_clinician clinician;
    struct psy_claim_provider billing, rendering;
    struct psy_claim_person patient;
    struct psy_claim_subscriber sub;
    struct psy_claim_payer cpayer;
    struct psy_claim_submitter submitter;
    struct psy_claim_receiver receiver;
    size_t n_lines;
    struct psy__loaded_line lx[PSY_CLAIM_MAX_LINES];
    struct psy_claim_line lines[PSY_CLAIM_MAX_LINES];
    struct psy_claim c;
};

void psy__billing_now(char out[PSY_REC_TIME_MAX]);
psy_status psy__billing_load(psy_store *st, psy_id practice, psy_id claim, struct psy__loaded *L);
/* A batch of claims sent under L's practice and payer, dated now. */
void psy__billing_batch(struct psy__loaded *L, struct psy_claim_batch *b, const struct psy_claim *claims, size_t n);
/* The coding engine's input for one billable member of a signed session (auth: the authorisation
 * number on file, "" when none). */
void psy__billing_input(const struct psy_billable *b, const struct psy_clinician *cl, const char *profile,
                        int requires_auth, const char *auth, struct psy_coding_input *in);

/* A finding as the claim's findings list keeps it; and appending items to that list. */
json_t *psy__billing_finding(const char *sev, const char *rule, const char *field, const char *msg, const char *source);
/* Tests: called after each chunk of a build is committed (to stop a build there, as a kill would), and
 * the number of members per chunk. */
extern void (*psy__billing_chunk_hook)(void);
extern int psy__billing_chunk_items;
psy_status psy__billing_append(psy_store *st, psy_id claim, json_t *items);

#endif
