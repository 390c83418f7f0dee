/*
 * audit_int.h -- shared by the audit's files (audit.c, audit_clone.c) and nowhere else: the settings
 * read from data/audit/, and the text similarity pieces (shingles, Jaccard, MinHash/LSH index).
 */
#ifndef PSY_AUDIT_INT_H
#define PSY_AUDIT_INT_H

#include "records_int.h"

struct psy__audit_conf {
    double clone_threshold;
    int shingle_words;
    int bands, rows;       /* LSH: bands x rows MinHash values per note */
    int min_shingles;      /* notes with fewer shingles are not compared */
    int compare_window;    /* a bucket member is paired with at most this many earlier members */
    int group_max_default; /* group size limit of a payer that sets none */
    int clinician_day_minutes_max; /* a clinician's minutes on one date beyond which R-IMP-3 warns; 0 = none */
    char medicare_in_person_from[PSY_DATE_MAX]; /* first date R-TH-4 is enforced; "" = never */
};
/* Reads data/audit/audit.json (the values above; defaults for any missing). */
void psy__audit_conf(struct psy__audit_conf *c);

/* A text's k-word shingles, hashed; with sorted, distinct and ascending (as psy__jaccard needs),
 * else in text order with repeats (enough for MinHash). Reuse one struct across texts. */
struct psy__shingles {
    uint64_t *h;
    size_t n, cap;
};
void psy__shingle(const char *text, int k, int sorted, struct psy__shingles *out);
void psy__shingles_free(struct psy__shingles *s);
double psy__jaccard(const struct psy__shingles *a, const struct psy__shingles *b);

/* The MinHash + LSH index. Documents are numbered 0, 1, ... in the order added. */
struct psy__lsh;
struct psy__lsh *psy__lsh_new(int bands, int rows);
uint32_t psy__lsh_add(struct psy__lsh *l, const struct psy__shingles *sh);
/* The same in two steps: the signature (psy__lsh_perms values) of a text's shingles, which only reads
 * the index, then adding it (empty: the text had no shingles). */
size_t psy__lsh_perms(const struct psy__lsh *l);
void psy__lsh_signature(const struct psy__lsh *l, const struct psy__shingles *sh, uint32_t *mins);
uint32_t psy__lsh_add_signature(struct psy__lsh *l, const uint32_t *mins, int empty);
/* The signatures of the n texts pool + off[i] (k-word shingles) into sigs[i * perms]; keep[i] = 1 for
 * those with at least min_shingles shingles, 2 when that is none at all, 0 for the others (whose
 * signatures are not computed). On two threads when there are enough texts and processors. */
void psy__lsh_signatures(const struct psy__lsh *l, const char *pool, const size_t *off, size_t n, int k,
                         int min_shingles, uint32_t *sigs, uint8_t *keep);
/* Mixes salt into every band key of document doc: documents of different salts never share a bucket
 * (an audit that compares notes only within one service date). */
void psy__lsh_salt(struct psy__lsh *l, uint32_t doc, uint64_t salt);
/* The candidate pairs (earlier << 32 | later), distinct and ascending; free *pairs. */
size_t psy__lsh_pairs(struct psy__lsh *l, int window, uint64_t **pairs);
/* Share of MinHash values two documents agree on: an estimate of their Jaccard similarity. */
double psy__lsh_estimate(const struct psy__lsh *l, uint32_t a, uint32_t b);
void psy__lsh_free(struct psy__lsh *l);

/* The impossible-day checks (audit_day.c) over the sessions of a period, as the audit read them: by
 * clinician (one row per session, who = its clinician) and by client (one row per session of a client
 * and per present group member, who = the client). Each finding is passed to emit (error 1, else
 * warning) for a session record. The rows are sorted in place. */
typedef void (*psy__audit_emit)(void *ud, const char *rule, int error, psy_id session, const char *date,
                                const char *msg);
struct psy__day_row {
    psy_id session, who;
    const char *date;    /* the service date (the caller's, kept while the check runs) */
    int64_t start, stop; /* epoch seconds; 0 = not recorded */
    int minutes;         /* the explicit total, else stop - start */
};
void psy__audit_day(struct psy__day_row *by_clinician, size_t nc, struct psy__day_row *by_client, size_t nk,
                    int day_minutes_max, psy__audit_emit emit, void *ud);

/* Medical necessity, co-therapists and documentation elements (audit_necessity.c) over the billed lines
 * with service dates in [from, to]: R-PLAN-2, R-PLAN-3, R-CRED-3, R-DOC-IC, R-DOC-FAM, R-DOC-CRISIS,
 * R-DOC-AUDIO, and R-TH-4 from in_person_from (NULL or "": not checked). Each finding is an error on a
 * session record, or on a group member's attendance record, passed to emit. */
typedef void (*psy__audit_emit_rec)(void *ud, const char *rule, int error, const char *type, psy_id id,
                                    const char *date, const char *msg);
psy_status psy__audit_necessity(psy_store *st, psy_id practice, const char *from, const char *to,
                                const char *in_person_from, psy__audit_emit_rec emit, void *ud);
/* The eligibility checks (audit_elig.c) over sessions with service dates in [from, to] against the 271
 * answers kept with the clients' primary policies: R-ELIG-1 (error) and R-ELIG-2 (warning). keep (NULL:
 * none) holds the visits read for the dates before, which a claims build's next stretch reads again
 * otherwise (records_bulk.h). */
struct psy__elig_keep;
psy_status psy__audit_elig(psy_store *st, psy_id practice, const char *from, const char *to,
                           struct psy__elig_keep *keep, psy__audit_emit emit, void *ud);

#endif
