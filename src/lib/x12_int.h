/*
 * x12_int.h -- private to x12*.c: the segment writer that refuses unsafe values, and the envelope
 * tracker (ISA/GS/ST ... SE/GE/IEA nesting, counts and control numbers) shared by the 835 reader and
 * the structure check.
 */
#ifndef PSY_X12_INT_H
#define PSY_X12_INT_H

#include <sodium.h>
#include "psy_int.h"
#include "psyclaim/psy_x12.h"

/* --- writer ----------------------------------------------------------------------------------- */

/* Builds segments into a buffer. The first failure is sticky: later calls do nothing, rc holds the
 * status and err the message, which names the field as "<ctx>.<field>". */
struct psy__x12w {
    struct psy__buf out;
    struct psy_x12_delims d;
    int line_breaks;
    unsigned long segs;     /* segments ended since the counter was last reset (ST) */
    size_t pending_empty;   /* empty elements held back: written only if a value follows */
    char ctx[64];           /* field prefix for messages, e.g. "claims[2].lines[0]" */
    psy_status rc;
    char err[256];
};

void psy__x12w_init(struct psy__x12w *w, const struct psy_x12_delims *d, int line_breaks);
void psy__x12w_ctx(struct psy__x12w *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void psy__x12w_fail(struct psy__x12w *w, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void psy__x12w_seg(struct psy__x12w *w, const char *id);
/* One element; NULL or "" is an empty element (trailing empty elements are never written). */
void psy__x12w_el(struct psy__x12w *w, const char *field, const char *value);
/* One element padded with spaces (or zeros when zero_pad) to exactly width characters (ISA). */
void psy__x12w_fixed(struct psy__x12w *w, const char *field, const char *value, size_t width, int zero_pad);
/* A composite element of n parts; trailing empty parts are dropped. */
void psy__x12w_comp(struct psy__x12w *w, const char *field, const char *const *parts, size_t n);
/* A repeated element: n values joined by the repetition separator (5010 ISA11). */
void psy__x12w_rep(struct psy__x12w *w, const char *field, const char *const *values, size_t n);
void psy__x12w_end(struct psy__x12w *w);

/* The envelope of a written interchange of one group and one transaction set. */
struct psy__x12_envelope {
    const char *sender, *receiver; /* ISA06/GS02, ISA08/GS03 (qualifier ZZ) */
    const char *date, *time;       /* CCYYMMDD, HHMM */
    const char *functional_id;     /* GS01: HC 837, HS 270 */
    const char *version;           /* GS08: e.g. 005010X222A1 */
    unsigned long ctl[3];          /* ISA13, GS06, ST02 */
    int production;                /* ISA15 P, else T */
};
void psy__x12w_open(struct psy__x12w *w, const struct psy__x12_envelope *e); /* ISA, GS */
void psy__x12w_close(struct psy__x12w *w, const struct psy__x12_envelope *e, const char *st02); /* SE, GE, IEA */
/* Draws the three control numbers from o->next_control into ctl; err names the counter on failure. */
psy_status psy__x12_controls(const struct psy_x12_write_opts *o, unsigned long ctl[3], char *err, size_t errlen);
/* The writer's delimiters: o's, else '*', ':', '^', '~'; PSY_EINVAL with err when they clash. */
psy_status psy__x12_delims_for(const struct psy_x12_write_opts *o, struct psy_x12_delims *d, char *err, size_t errlen);

/* 0 when v may be written as X12 data with delimiters d; else -1 and a message naming field. */
int psy__x12_value_check(const struct psy_x12_delims *d, const char *field, const char *v, char *err,
                         size_t errlen);

/* --- envelopes -------------------------------------------------------------------------------- */

struct psy__x12_env {
    int level;                  /* 0 outside, 1 inside ISA, 2 inside GS, 3 inside ST */
    char isa12[6], isa13[10], gs06[10], gs01[3], st01[4], st02[10];
    unsigned long groups;       /* GS seen in this interchange */
    unsigned long sets;         /* ST seen in this group */
    unsigned long segs;         /* segments in this set, ST included */
    unsigned long interchanges, total_groups, total_sets;
};

/* Feeds one segment. Updates the nesting whatever happens; returns 0, or -1 with msg describing a
 * problem ("element SE01: ..."), without the segment prefix. */
int psy__x12_env_step(struct psy__x12_env *e, const struct psy_x12_segment *s, char *msg, size_t len);

/* At the end of the input: -1 with msg when an envelope is still open. */
int psy__x12_env_finish(const struct psy__x12_env *e, char *msg, size_t len);

/* Copies an element into a fixed field; -1 when it is longer than cap-1. */
int psy__x12_copy(char *dst, size_t cap, const char *src);

/* "segment N (ID) element X: ..." or "segment N (ID): ..." from a step message. */
void psy__x12_where(char *out, size_t len, const struct psy_x12_segment *s, const char *msg);

/* --- 835 transaction state (x12_835.c), shared with the structure check -------------------------- */

struct psy__era_state {
    struct psy_era_payment *pay; /* the open transaction, NULL outside */
    long claim, svc;             /* indexes of the current CLP and SVC, -1 none */
    char component;              /* the interchange's component separator (set by the caller) */
    char repetition;             /* its repetition separator, 0 none (set by the caller) */
    int lenient;                 /* 1: defects recorded in the payment (psy_x12_835_read_lenient) */
    /* running sums, checked as they grow so that every sum over the payment fits in 64 bits */
    long long claim_adj, line_adj; /* CAS of the open claim (its lines included) and of the open line */
    long long claims_paid, plb;    /* CLP04 and PLB amounts of the payment so far */
    crypto_generichash_state hash; /* BLAKE2b of the transaction's canonical segments */
    unsigned char hbuf[16384];     /* canonical bytes not yet fed to the hash: one update per 16 KB */
    size_t hn;
    unsigned char hmap[256];       /* byte -> canonical byte, for hmap_sep (component, repetition) */
    char hmap_sep[2];
    int hmap_ready;
};

/* Feeds one segment of an 835 transaction (as psy_x12_next gives it: its elements lie one after
 * another, each ended by its NUL), ST and SE included, after the envelope tracker has seen it. Returns 0; 1 when an SE closed the payment (then *done owns it); -1 with msg on bad data (the
 * state stays usable). */
int psy__era_step(struct psy__era_state *st, const struct psy__x12_env *env, const struct psy_x12_segment *s,
                  struct psy_era_payment **done, char *msg, size_t len);
void psy__era_reset(struct psy__era_state *st);

/* 1 when n is a count at which an array that grows one by one needs more room (0, 4, 8, 16 ...). */
static inline int psy__grow_at(size_t n) { return n == 0 || (n >= 4 && !(n & (n - 1))); }
static inline size_t psy__grow_to(size_t n) { return n ? n * 2 : 4; }

/* Whether the segment id a (as psy_x12_next gives it: 2 or 3 characters, upper case) is b, a literal id.
 * Compares the three bytes directly: the id dispatch runs for every segment read. */
static inline int psy__x12_id_is(const char *a, const char *b) { return a[0] == b[0] && a[1] == b[1] && a[2] == b[2]; }

/* psy_x12_element inlined, for the readers' hot paths: element i of s, "" past its last. */
static inline const char *psy__x12_el(const struct psy_x12_segment *s, size_t i) { return i <= s->n ? s->el[i] : ""; }

/* A segment id as one number, its three bytes (the third 0 for a two-character id), for a switch:
 * psy__x12_id_key(s->id) == PSY__X12_ID('C', 'L', 'P'). */
#define PSY__X12_ID(a, b, c) \
    ((unsigned)(unsigned char)(a) | (unsigned)(unsigned char)(b) << 8 | (unsigned)(unsigned char)(c) << 16)
static inline unsigned psy__x12_id_key(const char *id) { return PSY__X12_ID(id[0], id[1], id[2]); }

/* A segment being read element by element (x12_835.c, x12_271.c): psy__x12_fail writes "element
 * ID01: ..." (i 0: the message alone) into msg and returns -1; psy__x12_text copies element i into dst,
 * 0 or -1 when required and missing or too long. */
struct psy__x12_step {
    const struct psy_x12_segment *s;
    char *msg;
    size_t len;
};
int psy__x12_fail(struct psy__x12_step *k, size_t i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int psy__x12_text(struct psy__x12_step *k, size_t i, char *dst, size_t cap, int required);

#endif
