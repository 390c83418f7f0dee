/*
 * billing_int.h -- what the billing_*.c files share: a stored claim loaded into the structs
 * of psy_claims.h (with the storage those structs point into).
 */
#ifndef PSY_BILLING_INT_H
#define PSY_BILLING_INT_H

#include <jansson.h>
#include "psy_db.h"

struct psy__loaded_line {
    psy_id id;
    char code[PSY_CODE_MAX];
    char mods[PSY_CLAIM_MAX_MODS][3];
    char pos[3];
};

#define PSY__COB_MAX 2      /* earlier payers a claim carries (a tertiary claim: the primary and the secondary) */
#define PSY__COB_MAX_ADJ 8 /* adjustments kept per claim or line of an earlier payer */

/* An earlier payer's adjudication of a claim, as its 835 was posted (the storage behind
 * psy_claim_other_payer and the lines' psy_claim_line_adjudication). */
struct psy__cob_code {
    char group[3], reason[6];
};
struct psy__cob {
    psy_id claim;                 /* the earlier payer's claim */
    struct psy_payer payer;
    struct psy_policy policy;
    char date[9], rel[3];
    char member[31], group[31], last[65], first[65];
    struct psy__cob_code codes[PSY__COB_MAX_ADJ];
    struct psy_claim_adjustment adj[PSY__COB_MAX_ADJ];
    struct psy__cob_code lcodes[PSY_CLAIM_MAX_LINES][PSY__COB_MAX_ADJ];
    struct psy_claim_adjustment ladj[PSY_CLAIM_MAX_LINES][PSY__COB_MAX_ADJ];
};

struct psy__loaded {
    psy_id id;
    psy_id replaces, cob_from;    /* the claim this one replaces or voids; the earlier payer's claim */
    psy_id cob_missing;           /* an earlier payer's claim with no adjudication in force (reversed) */
    char payer_claim_number[51];  /* REF*F8 of a replacement or void */
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
    size_t n_cob;
    struct psy__cob *cob; /* PSY__COB_MAX of them, allocated for a next payer's claim only (psy__billing_cob_load):
                           * free L with psy__billing_loaded_free */
    struct psy_claim_other_payer others[PSY__COB_MAX];
    struct psy_claim_line_adjudication ladj[PSY_CLAIM_MAX_LINES][PSY__COB_MAX];
};

void psy__billing_now(char out[PSY_REC_TIME_MAX]);
/* Frees n loaded claims from L (an array of them, or one) and what each holds. */
void psy__billing_loaded_free(struct psy__loaded *L, size_t n);
/* "2026-03-04" (or a timestamp) as CCYYMMDD; the PAT01/SBR02 code of a policy's relation (spouse 01, child
 * 19, other G8); the claim filing indicator (SBR09) of a payer kind. */
void psy__billing_date8(const char *iso, char out[9]);
const char *psy__billing_relation_code(const char *rel);
const char *psy__billing_filing_indicator(const char *kind);
psy_status psy__billing_load(psy_store *st, psy_id practice, psy_id claim, struct psy__loaded *L);
/* Moves a claim through n states (to[0], then to[1] ...), each with its history row (reason why[i]),
 * from `from`, the state the caller read inside its transaction: all moves and rows one unit in one
 * round trip. Each step must be a lifecycle move (PSY_EINVAL); a claim no longer in the state a step
 * starts from gives PSY_ECONFLICT, and then the history rows may stand: the caller's transaction must
 * be rolled back (the 835 posting's is). */
psy_status psy__billing_walk(psy_store *st, psy_id practice, psy_id claim, psy_claim_state from,
                             const psy_claim_state *to, const char *const *why, size_t n);
/* The same with money: paid and patient added to the claim's amounts in the same update of its row
 * (one new row version, not two), which is made even when n is 0. */
psy_status psy__billing_settle(psy_store *st, psy_id practice, psy_id claim, psy_claim_state from,
                               const psy_claim_state *to, const char *const *why, size_t n, long long paid,
                               long long patient);
/* Only what the 835 posting matches a payment against: the claim's state, total and place of service,
 * and its lines (lx and lines: code, modifiers, units, charge, id), read in one round trip. */
psy_status psy__billing_load_lines(psy_store *st, psy_id practice, psy_id claim, struct psy__loaded *L);
/* Assembling a loaded claim from records already in L (practice, client, payer, policy, clinician,
 * phone, number, date, pos, prior_auth, c.state, c.total_cents): the parties, each line, then the rest. */
/* Text from the records spelled as an X12 element carries it, in place (psy_x12_ascii): unchanged when
 * a character has no ASCII spelling, for the 837P preflight to refuse (R-837-CHAR). */
void psy__billing_fold(char *s, size_t cap);
void psy__billing_parties(struct psy__loaded *L);
void psy__billing_line(struct psy__loaded *L, psy_id id, const char *code, const char *mods, int units,
                       long long charge, const char *pos, const char *ptrs);
void psy__billing_finish(struct psy__loaded *L, int frequency);
/* "YYYY-MM-DD" as "YYYYMMDD". */
void psy__billing_date8(const char *iso, char out[9]);
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
/* Tests: members per stretch of the set-based build (billing_bulk.c), one transaction each. */
extern int psy__billing_stretch_items;
psy_status psy__billing_append(psy_store *st, psy_id claim, json_t *items);
/* The claim-level day check (billing_day.c): appends to arr the same-day edits over every line the claim's
 * clinician billed its client under its payer on its date, each on the claim line it concerns. */
psy_status psy__scrub_day(psy_store *st, const psy_coder *cx, psy_id practice, psy_id claim, json_t *arr);
/* The same check over lines already read: lines[i] (with dl[i], ordered by claim id then line number)
 * are the day's lines of the key, date their date of service; findings for claim go onto arr. own is
 * the claim's clinician: lines of other clinicians (of its specialty, where the payer profile counts
 * them as one provider) make an edit that fires only with them R-DAY-2. */
enum { PSY__DAY_LINES = 4 * PSY_CLAIM_MAX_LINES };
struct psy__day_line {
    psy_id claim, session, clinician;
    int64_t number;
    char start[PSY_REC_TIME_MAX], stop[PSY_REC_TIME_MAX];
};
void psy__day_check(const psy_coder *cx, psy_id claim, psy_id own, struct psy_coded_line *lines,
                    const struct psy__day_line *dl, size_t n, const char *date, json_t *arr);

/* Stores arr (released here) as the claim's findings (billing_claim.c, with psy__billing_append and
 * psy__billing_finding). */
psy_status psy__billing_findings_store(psy_store *st, psy_id claim, json_t *arr);

/* The id of the practice's claim of that number (billing_claim.c); PSY_ENOTFOUND when none. */
psy_status psy__billing_claim_by_number(psy_store *st, psy_id practice, const char *number, psy_id *id);

/* The chunked transactions of a build or a scrub of many claims (billing_scrub.c): psy__chunk_step before
 * each item, psy__chunk_touch for each claim an item built, psy__chunk_end once (it scrubs and commits
 * what is left, counts the verdicts into *ready and *draft, and frees the list). */
struct psy__touched {
    psy_id id;
    size_t seq; /* order of touching: the last scrub of a claim holds its verdict */
    int ok;
};
struct psy__chunk {
    psy_store *st;
    const psy_coder *cx; /* NULL: the scrubber opens the NCCI tables itself */
    psy_id practice;
    int open;            /* items in the open transaction, or -1 when the caller's transaction is used */
    int hold;            /* set by the caller: the next step continues the open transaction even when it is
                          * full (a build keeps the members of one date of service in one transaction) */
    struct psy__touched *t;   /* every claim touched; [from, n) by the open transaction */
    size_t n, cap, from;
    struct audit_cache *keep; /* NULL, or the audit of each day kept from one transaction to the next (the
                               * audit reads no claim, so scrubbing claims cannot change it) */
};
void psy__chunk_touch(struct psy__chunk *c, psy_id claim);
psy_status psy__chunk_step(struct psy__chunk *c);
psy_status psy__chunk_end(struct psy__chunk *c, psy_status rc, long *ready, long *draft);
/* Every draft and ready claim that is a plain original scrubbed again, a stretch of dates per
 * transaction, with the build's set-based reads (billing_bulk.c); the verdicts counted into *ready and
 * *draft; the ids of the others (replacements, voids, next payers' claims) into *rest (free it) for the
 * scrubber claim by claim. cx: the NCCI tables. */
psy_status psy__billing_rescrub(psy_store *st, const psy_coder *cx, psy_id practice, long *ready, long *draft,
                                psy_id **rest, size_t *nrest);
/* The conditions of a claims filter on claim c, as the claims list applies them (billing_view.c): the
 * practice, then status, payer, month, client, a clinician's clients and the search box's text, each when
 * given (no join: counting stays on the claim indexes). t holds the texts bound while q lives. */
struct psy__claim_texts {
    char lo[PSY_DATE_MAX + 4], hi[PSY_DATE_MAX + 4], pat[PSY__LIKE_MAX];
};
void psy__billing_claim_filter(struct psy__query *q, psy_id practice, const struct psy_billing_claim_filter *f,
                               struct psy__claim_texts *t);
/* The ids of the practice's claims matched by where (a condition on claim, one ? for the practice). */
psy_status psy__billing_claim_ids(psy_store *st, psy_id practice, const char *where, psy_id **ids, size_t *n);

/* Bills one member the way a build does, statement by statement (billing_build.c): codes it and puts its
 * lines on its open claim (found or made), in one transaction; *claim = 0 when it was not billed (counted
 * in r). cr is scratch space. */
psy_status psy__billing_bill_member(psy_store *st, const psy_coder *cx, psy_id practice, const struct psy_billable *b,
                                    struct psy_billing_build_result *r, psy_id *claim, struct psy_coding_result *cr);
/* The build member by member through those statements (billing_build.c): what psy_billing_build
 * (billing_bulk.c) does with one query per table; kept to compare against. */
psy_status psy__billing_build_rowwise(psy_store *st, const psy_coder *cx, psy_id practice, const char *from,
                                      const char *to, struct psy_billing_build_result *r);
/* The diagnosis pointers of a member's lines, "1,2,..." (billing_build.c). */
void psy__billing_ptrs(const struct psy_billable *b, char ptrs[16]);

/* Who owes what is left of a claim once its payer has adjudicated it (billing_next.c): *next_policy gets
 * the client's policy of the next priority that covers the claim's date of service (a secondary or
 * tertiary payer), 0 when the claim's payer is the last and the patient's responsibility moves to the
 * client's ledger. The 835 posting asks this after each claim payment. */
psy_status psy__billing_next_payer(psy_store *st, psy_id practice, psy_id claim, psy_id *next_policy);

/* Coordination of benefits (billing_cob.c). psy__billing_cob_load fills L's earlier payers (claims linked
 * by cob_from_claim_id, oldest first) from their posted 835s; psy__billing_load calls it. */
psy_status psy__billing_cob_load(psy_store *st, psy_id practice, struct psy__loaded *L);
/* A new claim like `from` (its lines copied) for another policy or as a replacement (frequency 7) or void
 * (8): *id gets it, in draft. replaces/cob_from/icn are stored as given (0 / 0 / "" when none). */
psy_status psy__billing_claim_copy(psy_store *st, psy_id practice, psy_id from, psy_id policy, int frequency,
                                   psy_id replaces, psy_id cob_from, const char *icn, psy_id *id);
/* Timely filing (billing_timely.c): a cache of payers' limits for one run, the last day a claim of a date
 * of service may reach a payer with the limit in days to it (0 and "" unknown), the limits of listed claims, and
 * the export's gate (PSY_EINVAL with err for a claim past its limit, unless late_reason is given: then the
 * reason is stored and kept in the claim's history). */
void *psy__billing_timely_cache(void);
void psy__billing_timely_cache_free(void *cache);
int psy__billing_timely_deadline(psy_store *st, psy_id practice, void *cache, psy_id payer, const char *dos,
                                 psy_id claim, char deadline[PSY_DATE_MAX]);
psy_status psy__billing_timely_fill(psy_store *st, psy_id practice, struct psy_billing_claim *c, size_t n);
psy_status psy__billing_timely_gate(psy_store *st, psy_id practice, const struct psy__loaded *L, const char *late_reason,
                                    void *cache, char *err, size_t errlen);

/* A history row as psy_billing_transition leaves one, in the caller's transaction (billing_chain.c); the
 * payer's claim control number of a claim (CLP07 of its latest adjudication not taken back, "" none). */
psy_status psy__billing_history(psy_store *st, psy_id claim, const char *from, const char *to, const char *reason);
psy_status psy__billing_payer_number(psy_store *st, psy_id claim, char *out, size_t len);
/* After an 835 posted a claim's adjudication and psy__billing_next_payer named the next policy: builds the
 * claim for it (billing_cob.c), unless the payer forwarded the claim (crossover) or it was built before.
 * *built gets the new claim's id (0 none). */
psy_status psy__billing_cob_after(psy_store *st, psy_id practice, psy_id claim, psy_id next_policy, psy_id *built);
/* After an 835 changed claim's adjudication (a reversal, or a new adjudication after one) when the later
 * payers' claims were already built: scrubs again those not yet sent (held in draft while the payment they
 * rest on is reversed, R-COB-4); on a reversal, asks in the history of those sent for a replacement. Adds
 * to *held and *to_replace. */
psy_status psy__billing_cob_revisit(psy_store *st, psy_id practice, psy_id claim, int reversal, long *held,
                                    long *to_replace);
/* A payer forwarded the claim to `to` (crossover): keeps a claim for the next policy, submitted without an
 * 837P of ours, for that payer's 835 to post to (*kept its id, 0 when one is kept already). */
psy_status psy__billing_cob_crossover(psy_store *st, psy_id practice, psy_id claim, psy_id next_policy,
                                      const char *to, psy_id *kept);
/* The claim an 835 of payer (payer_id, payer_name) naming claim's number posts to: the claim itself, or the
 * later payer's claim linked to it when the 835 comes from that payer and not from claim's own. */
psy_status psy__billing_cob_route(psy_store *st, psy_id practice, psy_id claim, const char *payer_id,
                                  const char *payer_name, psy_id *out);

#endif
