/*
 * psy_billing.h -- billing a practice's records: claims assembled from signed sessions and kept in the
 * store, a scrubber that decides whether a claim may leave, 837P batches per payer with control numbers
 * that never repeat, the CMS-1500 of a stored claim, and the posting of 835 remittances.
 *
 * Claims are grouped one per client, payer and date of service; each billable member of a signed
 * session (psy_records_session_billables) is billed once, on the member's own primary insurance, with
 * the lines the coding engine chooses under the payer's profile. Every status change goes through the
 * lifecycle of psy_claims.h (psy_claim_transition) and leaves a history row.
 */
#ifndef PSY_BILLING_H
#define PSY_BILLING_H

#include <stddef.h>
#include "psyclaim.h"
#include "psy_records.h"
#include "psy_coding.h"
#include "psy_claims.h"

struct psy_billing_build_result {
    long sessions;          /* signed sessions in the period */
    long members;           /* billable members seen */
    long already_billed;    /* members already on a claim (left alone) */
    long uninsured;         /* members without a policy in force (not billed) */
    long not_coded;         /* members the coding engine could not code (input invalid) */
    long lines;             /* claim lines added */
    long claims_new;        /* claims created */
    long ready, draft;      /* claims touched by this build, by the scrubber's verdict */
    long resumed;           /* drafts an interrupted build left unscrubbed, scrubbed now (in ready/draft) */
};

/* Sets the billing office's phone (digits only), which the 837P needs as the submitter's contact and
 * the billing provider's phone; the practice record has none. PSY_EINVAL naming "phone" when malformed. */
psy_status psy_billing_set_contact(psy_store *st, psy_id practice, const char *phone);

/* Builds claims for the signed sessions with service dates in [from, to] ("" or NULL = unbounded),
 * committing in chunks and scrubbing every claim a chunk touched in that chunk's transaction. Building
 * again adds nothing for members already billed, and first scrubs any draft an interrupted build left
 * unscrubbed (claim.scrubbed_at = ''). */
psy_status psy_billing_build(psy_store *st, const psy_coder *cx, psy_id practice, const char *from, const char *to,
                             struct psy_billing_build_result *r /* OUT */);

/* Codes one billable line the way building claims would (the payer's profile from its kind, the
 * clinician's credential, the prior authorisation on file), without writing anything: for a session
 * still being documented. b->payer_id 0 (no policy in force) codes under the default profile. */
psy_status psy_billing_code_line(psy_store *st, const psy_coder *cx, psy_id practice, const struct psy_billable *b,
                                 struct psy_coding_result *out /* OUT */);

/* Runs the scrubber on one claim in draft or ready: the coding engine's findings recorded when its
 * lines were built, the audit's findings for the sessions behind it and the 837P preflight. Moves it
 * to ready when no finding is an error, else back to (or keeps it in) draft. */
psy_status psy_billing_scrub(psy_store *st, psy_id practice, psy_id claim);

/* Scrubs every claim of the practice in draft or ready again -- after records were corrected (an
 * address, a plan, a missing time) drafts become ready without building anything anew. Counts the
 * verdicts in *ready and *draft. */
psy_status psy_billing_scrub_all(psy_store *st, psy_id practice, long *ready /* OUT */, long *draft /* OUT */);

struct psy_billing_claim {
    psy_id id;
    char number[PSY_CLAIM_ID_MAX + 1]; /* CLM01 */
    psy_id client_id, payer_id;
    char payer_code[81];
    char service_date[PSY_DATE_MAX];
    char status[16];
    long long total_cents, paid_cents;
    int n_lines;
    int timely_limit;                  /* the payer's timely-filing limit in days, 0 = not known */
    int timely_days_left;              /* days left to send it (negative: past); meaningful when the limit is known */
    char *findings;                    /* JSON array [{"severity","rule","field","message"}], owned */
    char client_first[PSY_REC_NAME_MAX], client_last[PSY_REC_NAME_MAX]; /* the client's name */
};

/* Claims of a practice, by id; status NULL or "" = all. Free with psy_billing_claims_free. */
psy_status psy_billing_claim_list(psy_store *st, psy_id practice, const char *status,
                                  struct psy_billing_claim **out /* OUT */, size_t *n /* OUT */);
void psy_billing_claims_free(struct psy_billing_claim *c, size_t n);

/* What a claims list shows: every field optional (NULL, "" or 0 = any). payer is a payer code or id;
 * month YYYY-MM of the date of service; q searches the claim number and the client's name (words in
 * any case, part of a word); clinician nonzero keeps the claims of the clients that clinician sees
 * (-1: none). */
struct psy_billing_claim_filter {
    const char *status, *payer, *month, *q;
    psy_id client, clinician;
};
/* One page of the practice's claims matching f, newest first (struct psy_page in psy_store.h). Free
 * with psy_billing_claims_free. */
psy_status psy_billing_claim_page(psy_store *st, psy_id practice, const struct psy_billing_claim_filter *f,
                                  struct psy_page *pg, struct psy_billing_claim **out /* OUT */, size_t *n /* OUT */);
/* The totals of the claims matching f by status, from one aggregate query. */
struct psy_billing_claim_sum {
    char status[16];
    long long claims, total_cents, paid_cents;
};
psy_status psy_billing_claim_sums(psy_store *st, psy_id practice, const struct psy_billing_claim_filter *f,
                                  struct psy_billing_claim_sum **out /* OUT, free() */, size_t *n /* OUT */);
/* The payers the claims seen through f's clinician are for (the other filters are not applied), with
 * how many of them are ready to send: the export choices. */
struct psy_billing_claim_payer {
    psy_id id;
    char code[81], name[PSY_REC_NAME_MAX];
    long long ready;
};
psy_status psy_billing_claim_payers(psy_store *st, psy_id practice, psy_id clinician,
                                    struct psy_billing_claim_payer **out /* OUT, free() */, size_t *n /* OUT */);

/* Moves a claim to another state when the lifecycle allows it (PSY_EINVAL naming both states when
 * not), recording a history row with the reason. */
psy_status psy_billing_transition(psy_store *st, psy_id practice, psy_id claim, psy_claim_state to,
                                  const char *reason);

/* The id of the practice's claim numbered `number` (CLM01, e.g. PC00000012); PSY_ENOTFOUND naming it when
 * none. */
psy_status psy_billing_claim_find(psy_store *st, psy_id practice, const char *number, psy_id *id /* OUT */);

/* Corrects (frequency 7, replacement) or voids (8) a claim the payer adjudicated: a new claim with the
 * same lines (the records as they are now), the payer's claim control number of the original (835
 * CLP07) for REF*F8, linked to the original (whose payments stay with it), scrubbed to ready for the
 * next export; *out gets its id. PSY_EINVAL with err saying why when the claim was never sent (draft,
 * ready), was rejected (send it again as an original), is a void, was already replaced or voided, or
 * no posted 835 names the payer's claim number. Both claims' histories record the step. */
psy_status psy_billing_claim_replace(psy_store *st, psy_id practice, psy_id claim, int frequency, psy_id *out /* OUT */,
                                     char *err, size_t errlen);

struct psy_billing_timely {
    psy_id claim, client_id;
    char number[PSY_CLAIM_ID_MAX + 1];
    char payer_code[81];
    char service_date[PSY_DATE_MAX];
    char status[16];
    int limit_days;   /* the payer's limit (its record, else its profile); 0 = not known */
    int days_left;    /* days until the limit runs out (negative: past it) */
    char deadline[PSY_DATE_MAX];
};

/* Timely filing (R-TF-1): the claims not yet sent (draft, ready, rejected) whose payer has a limit, with
 * the days left, soonest first; within >= 0 keeps those with at most that many days left (past the
 * limit included), within < 0 keeps all. today "" or NULL = the practice's today. Free *out. */
psy_status psy_billing_timely(psy_store *st, psy_id practice, int within, const char *today,
                              struct psy_billing_timely **out /* OUT */, size_t *n /* OUT */);
/* The same report a page at a time (struct psy_page in psy_store.h), soonest deadline first then by claim
 * id (the cursor is the last row's deadline and id, so a page follows on where the one before ended),
 * pg->total counting every claim the filter keeps. Free *out. */
struct psy_billing_timely_filter {
    int within;         /* >= 0: at most this many days left (past the limit included); < 0: all */
    const char *today;  /* "" or NULL: the practice's today */
    const char *payer;  /* a payer's code or record id; "" or NULL: every payer */
    psy_id client;      /* 0: every client */
    psy_id clinician;   /* not 0: only the clients this clinician sees (as the claims list) */
    const char *q;      /* part of the claim number or of the client's name (as the claims list); NULL: all */
};
psy_status psy_billing_timely_page(psy_store *st, psy_id practice, const struct psy_billing_timely_filter *f,
                                   struct psy_page *pg, struct psy_billing_timely **out /* OUT */, size_t *n /* OUT */);
/* The last day a claim of date of service dos (YYYY-MM-DD) may reach payer (R-TF-1): the payer record's
 * limit in days when it has one, else its billing profile's in force on dos, in days or calendar months,
 * moved past weekends and federal holidays when the profile says so (Medicare). *limit_days gets the days
 * from dos to that day; both 0 / "" when no limit is known. PSY_EINVAL for a bad date, PSY_ENOTFOUND for
 * a payer not of the practice. */
psy_status psy_billing_timely_last_day(psy_store *st, psy_id practice, psy_id payer, const char *dos,
                                       char out[PSY_DATE_MAX] /* OUT */, int *limit_days /* OUT, may be NULL */);

/* Writes every ready claim of one payer (its id, or payer_code when payer is 0) into one 837P
 * interchange (*out, *len; free it), control numbers from the practice's counters, and moves the
 * claims to submitted. *n_claims = 0 and *out NULL when none is ready. err names the claim and field
 * when the writer refuses. */
psy_status psy_billing_export(psy_store *st, psy_id practice, psy_id payer, const char *payer_code, char **out,
                              size_t *len, size_t *n_claims, char *err, size_t errlen);

/* psy_billing_export that also keeps the batch: its bytes, control numbers, payer and claims are stored
 * in the same transaction that marks the claims submitted, so a batch can always be fetched again
 * (psy_billing_batch_get) and no claim is submitted outside one. *batch = its id (0 when none ready). */
psy_status psy_billing_export_batch(psy_store *st, psy_id practice, psy_id payer, const char *payer_code, char **out,
                                    size_t *len, size_t *n_claims, psy_id *batch /* OUT */, char *err, size_t errlen);

/* psy_billing_export_batch that refuses (PSY_EINVAL, err naming the claim, the limit and the date of
 * service) a claim past its payer's timely-filing limit unless late_reason is given: then each late claim
 * is sent and the reason kept in its history and in claim.late_reason. */
psy_status psy_billing_export_late(psy_store *st, psy_id practice, psy_id payer, const char *payer_code,
                                   const char *late_reason, char **out, size_t *len, size_t *n_claims,
                                   psy_id *batch /* OUT */, char *err, size_t errlen);

struct psy_billing_batch {
    psy_id id, payer_id;
    char payer_code[81];
    unsigned long isa13, gs06;
    char st02[16];
    long n_claims;
    size_t bytes;
    char created_at[PSY_REC_TIME_MAX];
    char written_to[256];                 /* the file it last reached ("" never) */
    char written_at[PSY_REC_TIME_MAX];
};

/* The practice's 837P batches, newest first. Free *out with free(). */
psy_status psy_billing_batch_list(psy_store *st, psy_id practice, struct psy_billing_batch **out /* OUT */,
                                  size_t *n /* OUT */);
/* One page of them, newest first (struct psy_page in psy_store.h); payer ("" or NULL: every payer)
 * narrows to one payer code. Free *out with free(). */
psy_status psy_billing_batch_page(psy_store *st, psy_id practice, const char *payer, struct psy_page *pg,
                                  struct psy_billing_batch **out /* OUT */, size_t *n /* OUT */);

/* One received file as posted: an 835 or an acknowledgement (TA1, 999, 277CA, 277). */
struct psy_billing_era_file {
    psy_id id;
    char kind[8];
    char name[256];
    long long bytes;
    char posted_at[PSY_REC_TIME_MAX];
};
/* One page of the practice's posted incoming files, newest first (struct psy_page in psy_store.h); kind
 * ("" or NULL: every kind) narrows to one kind, text to words of the file's name. Free *out with free(). */
psy_status psy_billing_era_file_page(psy_store *st, psy_id practice, const char *kind, const char *text,
                                     struct psy_page *pg, struct psy_billing_era_file **out /* OUT */,
                                     size_t *n /* OUT */);

/* The bytes of one batch as they were exported (*out, *len; free it). PSY_ENOTFOUND when the practice
 * has no such batch. */
psy_status psy_billing_batch_get(psy_store *st, psy_id practice, psy_id batch, char **out /* OUT */, size_t *len /* OUT */);

/* Writes a stored batch to path durably (a temporary file in the same directory, fsync, rename, fsync
 * of the directory) and notes where it went. On failure the file at path is untouched and err says
 * why; the batch stays in the database. */
psy_status psy_billing_batch_write(psy_store *st, psy_id practice, psy_id batch, const char *path, char *err,
                                   size_t errlen);

/* The next control number of a kind for the practice (1..999999999, never repeated). */
psy_status psy_billing_control_next(psy_store *st, psy_id practice, int kind, unsigned long *out);

/* The CMS-1500 of a stored claim (by its CLM01 number) as a PDF (*out, *len; free it). */
psy_status psy_billing_cms1500(psy_store *st, psy_id practice, const char *claim_number, char **out, size_t *len,
                               char *err, size_t errlen);

/* A client's superbill for one month ("YYYY-MM") as a PDF (*out, *len; free it): one line per signed
 * session of the month the client was billable in, coded under the client's payer profile (the
 * default profile without insurance). PSY_EINVAL with err naming the field when the month has no such
 * session or the superbill lacks what it must show. */
psy_status psy_billing_superbill(psy_store *st, const psy_coder *cx, psy_id practice, psy_id client, const char *month,
                                 char **out, size_t *len, char *err, size_t errlen);

struct psy_billing_post_result {
    int already_posted;       /* 1: every payment of this file was posted before; nothing changed */
    long payments;            /* 835 payments (ST..SE) posted by this call */
    long payments_seen_before; /* payments of the file already posted (same payer, trace and content) */
    psy_id earlier_file;      /* when a payment was seen before: the file it was posted from */
    char earlier_name[128];   /* ... its name as given then ("" for an upload without one) */
    char earlier_posted_at[PSY_REC_TIME_MAX];
    long claims, lines;       /* claims and lines matched */
    long suspense;            /* items kept in suspense (no claim, or no line, or a reversal of nothing) */
    long denied;              /* claims that ended denied */
    long unbalanced;          /* claims whose charge differs from paid + adjustments */
    long overpaid;            /* claims or lines paid more than their charge (a finding R-835-OVERPAID each) */
    long reversals;           /* earlier claim payments taken back (CLP02 22) */
    long warnings;            /* defects in fields posting does not need (read leniently, left empty) */
    char first_warning[240];  /* the first of them: "segment N (ID) element X: ..." */
    long long paid_cents;     /* money posted to claims */
    long next_claims;         /* claims for the next payer built (or kept for a crossover) by this posting */
    long next_held;           /* later payers' claims held in draft: the payment they rest on was reversed */
    long next_to_replace;     /* later payers' claims already sent whose earlier adjudication changed since:
                                 each has a history row asking for a replacement (claims correct) */
};

/* Posts an 835 file: claims matched by CLP01 (the CLM01 we sent), lines by code and modifiers (a line
 * whose modifiers the payer dropped still matches), payments and adjustments stored, unmatched items
 * put in suspense, claims moved to paid, partially paid or denied.
 *
 * The file is read leniently (psy_x12_835_read_lenient): only envelopes that cannot be parsed, or a
 * payment without BPR02 or TRN02, refuse it (PSY_EPARSE naming the segment). A claim or service line
 * that cannot be understood goes to suspense with its defect ("segment N (SVC) element SVC01: ...") as
 * the why; defects in fields posting does not need are counted in warnings.
 *
 * Checked first, per payment (ST..SE): BPR02 equals the claim payments less the provider adjustments
 * (else PSY_EPARSE, nothing posted; not checked when a claim or provider adjustment could not be read).
 * A payment is known by its payer and TRN02 trace number: one posted before with the same canonical
 * content (psy_era_payment.content_hash, so line ends, separators and trailing blanks do not matter) is
 * skipped and named in earlier_*; with other content the file is refused (PSY_ECONFLICT). A reversal
 * (CLP02 22) takes back the earlier payment it negates, or goes to suspense when it names none; a
 * payment above the charge is stored with a finding. An empty (or blank) file or one without any 835
 * transaction is refused. err names the segment on malformed input. `name` (may be NULL) is kept to
 * say which file a later duplicate repeats. */
psy_status psy_billing_era_post_named(psy_store *st, psy_id practice, const char *name, const void *data, size_t len,
                                      struct psy_billing_post_result *r /* OUT */, char *err, size_t errlen);

/* psy_billing_era_post_named without a file name. */
psy_status psy_billing_era_post(psy_store *st, psy_id practice, const void *data, size_t len,
                                struct psy_billing_post_result *r /* OUT */, char *err, size_t errlen);

/* One stored claim as a JSON document (*out, *len; free it): number, client, clinician, payer, service
 * date, status, totals, "lines" (code, modifiers, units, charge, paid, dx_pointers, the coding engine's
 * "rules" and "explanation"), "findings" (the scrubber's last verdict and remittance findings),
 * "history" (from, to, reason, at) and "payments" (each with its adjustments, codes in plain words).
 * Never any note text. PSY_ENOTFOUND when the practice has no such claim. */
psy_status psy_billing_claim_json(psy_store *st, psy_id practice, psy_id claim, char **out, size_t *len);

struct psy_billing_suspense {
    psy_id id;
    char claim_number[PSY_CLAIM_ID_MAX + 61]; /* CLP01 as the payer sent it ("" for a provider adjustment) */
    char code[16], modifiers[16];
    long long charge_cents, paid_cents;
    char why[200];
    int resolved;
    char posted_at[PSY_REC_TIME_MAX];
    char source[8];           /* the file it came from: "835", "999", "277CA", "277", "TA1" */
    char segment[200];        /* for an acknowledgement: where and what ("segment 14: TRN*2*A12; STC*A7:21:85") */
    char verdict[12];         /* for an acknowledgement: "accepted", "rejected", "other" */
    char resolution[300];     /* "applied by hand to claim A12", "closed: <reason>" ("" while open) */
    char resolved_at[PSY_REC_TIME_MAX];
};

/* What posted remittances reported that matched no claim or line, oldest first (open items only unless
 * include_resolved). Free *out with free(). */
psy_status psy_billing_suspense_list(psy_store *st, psy_id practice, int include_resolved,
                                     struct psy_billing_suspense **out /* OUT */, size_t *n /* OUT */);
/* One page of the items, oldest first (struct psy_page in psy_store.h; open items only unless
 * include_resolved), searched by q (part of the claim number or the code, any case; NULL or "": all);
 * *paid_cents (may be NULL) is what the matching items paid in all, from an aggregate query. Free *out
 * with free(). */
psy_status psy_billing_suspense_page(psy_store *st, psy_id practice, int include_resolved, const char *q,
                                     struct psy_page *pg, struct psy_billing_suspense **out /* OUT */,
                                     size_t *n /* OUT */, long long *paid_cents /* OUT */);

/* Applies an open suspense item to a claim by hand (in one transaction): an acknowledgement's verdict
 * (accepted or rejected, with its errors) is posted to the claim as if the file had named it, and the item
 * is marked resolved with the claim; an 835 item is linked to the claim and marked resolved. PSY_ENOTFOUND
 * naming the item or the claim, PSY_ECONFLICT when the item is already resolved, PSY_EINVAL when the
 * claim's state cannot take the verdict. */
psy_status psy_billing_suspense_apply(psy_store *st, psy_id practice, psy_id item, const char *claim_number);

/* Closes an open suspense item without a claim; reason (required, else PSY_EINVAL naming "reason") is
 * kept. PSY_ENOTFOUND / PSY_ECONFLICT as above. */
psy_status psy_billing_suspense_close(psy_store *st, psy_id practice, psy_id item, const char *reason);

/* --- acknowledgements (billing_ack.c) ------------------------------------------------------------ */

struct psy_billing_ack_result {
    char kind[8];             /* "TA1", "999", "277CA", "277" */
    int already_posted;       /* the same file (same bytes) was posted before: nothing changed */
    long accepted, rejected;  /* claims this file moved to accepted / rejected */
    long unchanged;           /* verdicts posted before (from another file), or that left the claim as it was */
    long other;               /* 277 statuses neither accepting nor rejecting (pending, finalized ...): recorded */
    long suspense;            /* verdicts for a batch or claim psyclaim does not know, kept in suspense */
    long errors;              /* errors recorded on claims */
};

/* Posts a TA1, 999 or 277CA file (name may be NULL) to the practice's claims, in one transaction:
 *   TA1 R (TA101 = a batch's ISA13): the batch's claims rejected with the interchange note in words;
 *   999: each AK2 set response (AK102 = a batch's GS06, AK202 = its ST02) with IK501 A or E accepts the
 *     batch's claims, R, M, W or X rejects them with every IK3/IK4 error in words (segment, position,
 *     loop, element, code and meaning, the bad value, the CTX context); an AK9 without set responses
 *     decides for every batch of that GS06;
 *   277CA (or a 277 claim status response): each claim (HL PT, or 22/23) by TRN02 = CLM01, accepted
 *     (A1, A2, A5 or STC03 WQ) or rejected (A3, A4, A6, A7, A8 or STC03 U) with its statuses in words and
 *     the payer's claim number (REF*1K); other statuses are recorded without moving the claim; a
 *     rejected receiver or provider level goes to suspense.
 * Accepted moves a submitted claim to accepted; rejected moves a submitted or accepted claim to rejected.
 * Every verdict is kept (claim_ack) and shown with the claim (psy_billing_claim_json "acknowledgements").
 * What matches no batch or claim goes to suspense with its segment. The same file posted again changes
 * nothing (already_posted); the same verdict in another file changes nothing (counted in unchanged).
 * A file of another transaction is PSY_EINVAL, a malformed one PSY_EPARSE with err naming the segment
 * and element; either way nothing is written. */
psy_status psy_billing_ack_post(psy_store *st, psy_id practice, const char *name, const void *data, size_t len,
                                struct psy_billing_ack_result *r /* OUT */, char *err, size_t errlen);

/* Takes a rejected claim back to work after its records were corrected: rejected -> draft (history row
 * with reason, may be NULL) and the scrubber runs again, leaving it ready (to be exported again, with new
 * control numbers, as a new original) or draft with its findings. A draft is scrubbed again. Other states:
 * PSY_EINVAL naming the state. */
psy_status psy_billing_claim_rebuild(psy_store *st, psy_id practice, psy_id claim, const char *reason);


struct psy_billing_revenue {
    char month[8];                  /* YYYY-MM of the service dates */
    psy_id payer_id;
    char payer_code[81], payer_name[PSY_REC_NAME_MAX];
    long claims;                    /* claims sent (submitted or later) */
    long long billed_cents, paid_cents, patient_cents;
};

/* Revenue by service month and payer over the claims that left the practice (submitted or later):
 * billed against what posted remittances paid, and what they put on the patient. from/to are months
 * YYYY-MM, inclusive ("" or NULL = unbounded); PSY_EINVAL naming "from" or "to" otherwise. Ordered by
 * month, then payer code. Free *out with free(). */
psy_status psy_billing_revenue(psy_store *st, psy_id practice, const char *from, const char *to,
                               struct psy_billing_revenue **out /* OUT */, size_t *n /* OUT */);

/* --- eligibility (270/271, 005010X279A1) ---------------------------------------------------------- */

/* The 270 asking the payer about a client's policy (0 = the primary policy in force on date) on date
 * (YYYY-MM-DD; NULL or "" = today), control numbers from the practice's counters (*out, *len; free it).
 * TRN02 carries "P<policy>C<client>D<CCYYMMDD>" so that the 271 finds its policy again. PSY_EINVAL or
 * PSY_ENOTFOUND with err naming the field (date, client, policy, or the writer's field). */
psy_status psy_billing_eligibility_request(psy_store *st, psy_id practice, psy_id client, psy_id policy,
                                           const char *date, char **out, size_t *len, char *err, size_t errlen);

/* Reads a 271 file without storing anything: {"answers": [psy_elig_response_json ...]} (*json; free it),
 * *n answers (may be NULL). PSY_EPARSE with err naming the segment and element when malformed. */
psy_status psy_billing_eligibility_read(const void *data, size_t len, char **json, size_t *n, char *err, size_t errlen);

struct psy_billing_elig_result {
    long answers;       /* answers in the file */
    long stored;        /* kept with a policy by this call */
    long seen_before;   /* the same answer was kept before (nothing changed) */
    long unmatched;     /* no policy of the practice fits (neither our trace nor one member id) */
    psy_id client, policy; /* of the last answer kept or seen before */
};

/* Reads a 271 file and keeps each answer with the policy it answers (by our TRN02 trace, else a unique
 * member id), all in one transaction: a malformed file (PSY_EPARSE, err naming the segment) changes
 * nothing, and the same answer read again is counted in seen_before. name (may be NULL) is kept. */
psy_status psy_billing_eligibility_post(psy_store *st, psy_id practice, const char *name, const void *data, size_t len,
                                        struct psy_billing_elig_result *r /* OUT */, char *err, size_t errlen);

/* The answers kept for a client, newest first, as a JSON array [{"id", "policy_id", "as_of", "status",
 * "received_at", "file_name", "answer"}] (*out; free it). */
psy_status psy_billing_eligibility_list(psy_store *st, psy_id practice, psy_id client, char **out, size_t *len);

#endif
