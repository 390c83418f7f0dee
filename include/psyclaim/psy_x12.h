/*
 * psy_x12.h -- X12 005010: a streaming segment reader, the 837P claim writer (005010X222A1), the 835
 * remittance reader (005010X221A1) with plain words for its codes and its JSON form, the readers of the
 * acknowledgements that answer an 837P (TA1, 999 005010X231A1, 277CA 005010X214), the detection of a
 * file's transaction, and a structure check for any 837P or 835 file.
 *
 * Delimiters always come from the ISA of each interchange. Readers take input from a FILE* or a buffer
 * and stop at a byte cap; errors name the segment number (1 = first segment of the input) and, where
 * one is at fault, the element ("segment 17 (CLP) element CLP04: ..."). Money is integer cents,
 * converted from the decimal text digit by digit, never through floating point.
 */
#ifndef PSY_X12_H
#define PSY_X12_H

#include <stdio.h>
#include "psyclaim.h"
#include "psy_claims.h"

#define PSY_X12_DEFAULT_MAX_INPUT (256u << 20) /* bytes a reader accepts unless told otherwise */
#define PSY_X12_MAX_SEGMENT 65536              /* bytes in one segment */
#define PSY_X12_MAX_ELEMENTS 256               /* elements in one segment */

struct psy_x12_delims {
    char element;    /* ISA byte 4, e.g. '*' */
    char component;  /* ISA16, e.g. ':' */
    char repetition; /* ISA11 in 5010, e.g. '^'; 0 when the ISA carries none (4010 'U') */
    char segment;    /* the byte after ISA16, e.g. '~'; '\n' for newline-terminated files */
};

/* --- segment reader --------------------------------------------------------------------------- */

typedef struct psy_x12_reader psy_x12_reader;

struct psy_x12_segment {
    const char *id;           /* upper case, e.g. "CLP" (= el[0]) */
    const char *const *el;    /* el[0] = id, el[1..n] the elements, NUL-terminated, valid until next */
    size_t n;                 /* number of elements after the id (trailing empty ones included) */
    unsigned long number;     /* position of the segment in the input, 1-based */
};

/* A reader over a stream (not closed by the reader) or over len bytes of memory (not copied; keep it
 * alive). max_bytes caps the input (0 = PSY_X12_DEFAULT_MAX_INPUT). A UTF-8 BOM, UTF-16 (LE/BE, with
 * or without a BOM), CR/LF and indentation between segments are accepted. */
psy_x12_reader *psy_x12_reader_file(FILE *f, size_t max_bytes);
psy_x12_reader *psy_x12_reader_mem(const void *data, size_t len, size_t max_bytes);
void psy_x12_reader_free(psy_x12_reader *r);

/* Reads the next segment into *seg (NULL at the end of the input). On failure returns PSY_EPARSE
 * (malformed), PSY_ETOOBIG (over the cap) or PSY_EIO, and psy_x12_reader_error tells what and where. */
psy_status psy_x12_next(psy_x12_reader *r, const struct psy_x12_segment **seg);

const char *psy_x12_reader_error(const psy_x12_reader *r);
const struct psy_x12_delims *psy_x12_reader_delims(const psy_x12_reader *r);
unsigned long long psy_x12_reader_bytes(const psy_x12_reader *r); /* input bytes consumed so far */

/* Element i of a segment (1-based; 0 = the id); "" when the segment has fewer elements. */
const char *psy_x12_element(const struct psy_x12_segment *s, size_t i);

/* Copies component i (1-based) of a composite element into out (NUL-terminated, truncated to cap-1)
 * and returns its full length; 0 when absent. */
size_t psy_x12_component(const char *element, char sep, size_t i, char *out, size_t cap);

/* Writes cents as an X12 decimal ("150", "150.5", "-12.05") into out (>= 24 bytes). */
void psy_x12_format_cents(long long cents, char *out);

/* Free text (a name, an address, a city) spelled for an X12 element, which carries ASCII only: letters
 * without their accents (José -> Jose, NÚÑEZ -> NUNEZ: the compatibility decomposition with its marks
 * dropped, through utf8proc), a few Latin letters and typographic marks by their usual ASCII spelling
 * (ß ss, Æ AE, Ø O, Ł L, Œ OE, Þ TH, ’ ', “ ", – -), and control characters and the separators * : ^ ~
 * as spaces. Writes at most cap-1 bytes and a NUL into out (out may be in). Returns 0; -1 when a
 * character has no ASCII spelling (a name in another script: out holds '?' for it), the text is not
 * UTF-8, or the result did not fit. */
int psy_x12_ascii(const char *in, char *out, size_t cap);

/* Parses an X12 decimal ("150", "-1.27", ".5") into cents exactly. PSY_EINVAL when it is not a
 * number, has non-zero digits past the cents, or is too long; why says which. */
psy_status psy_x12_parse_cents(const char *s, long long *out, const char **why);

/* --- 837P writer ------------------------------------------------------------------------------ */

typedef enum {
    PSY_X12_CTL_INTERCHANGE = 0, /* ISA13 / IEA02, 1..999999999, unique per sender and receiver */
    PSY_X12_CTL_GROUP,           /* GS06 / GE02 */
    PSY_X12_CTL_TRANSACTION      /* ST02 / SE02 */
} psy_x12_control;

/* Hands out the next control number of a kind. A store implements it with a persisted counter so
 * numbers never repeat; tests use a plain counter. Returns PSY_OK and a number in 1..999999999. */
typedef psy_status (*psy_x12_control_fn)(void *ud, psy_x12_control kind, unsigned long *out);

struct psy_x12_write_opts {
    struct psy_x12_delims delims; /* all zero = '*', ':', '^', '~' */
    int line_breaks;              /* 1 = a newline after every segment terminator */
    psy_x12_control_fn next_control;
    void *control_ud;
};

/* Checks a batch before anything is written: required elements, NPI check digits, code shapes,
 * diagnosis pointers, totals, one payer per batch. Fills up to cap findings and sets *n to how many
 * there were in all. Returns PSY_OK (the findings are the result). */
psy_status psy_x12_837_preflight(const struct psy_claim_batch *b, struct psy_claim_finding *out, size_t cap,
                                 size_t *n);

/* Writes the batch as one 837P interchange (ISA/GS/ST ... SE/GE/IEA) into a new buffer *out of *len
 * bytes (free it). Runs the preflight first and refuses on its first error; refuses any value that
 * holds a delimiter or a character X12 cannot carry. On failure returns PSY_EINVAL and err names the
 * field; nothing is returned. */
psy_status psy_x12_837_write(const struct psy_claim_batch *b, const struct psy_x12_write_opts *o, char **out,
                             size_t *len, char *err, size_t errlen);

/* --- 835 reader ------------------------------------------------------------------------------- */

struct psy_era_adjustment {
    char group[3];            /* CO, PR, OA, PI (CR in older files) */
    char reason[6];           /* CARC */
    long long amount_cents;
    char quantity[16];        /* "" when not given */
};

struct psy_era_service {
    size_t defect;            /* read leniently: 1 + the index in the payment's defects of what made this
                                 line unreadable (it goes to suspense); 0 when it was read */
    char code[49];            /* adjudicated procedure code (SVC01-2) */
    char qualifier[3];        /* SVC01-1, e.g. HC */
    char modifiers[PSY_CLAIM_MAX_MODS][3];
    char submitted_code[49];  /* SVC06-2 when the payer changed the code, else "" */
    long long charge_cents, paid_cents;
    long long allowed_cents;  /* AMT*B6 */
    int has_allowed;
    char units[16];           /* SVC05 (paid units), "1" when absent */
    char date[9];             /* DTM*472 (or 150) */
    char line_control[51];    /* REF*6R */
    struct psy_era_adjustment *adjustments;
    size_t n_adjustments;
    char (*remarks)[6];       /* LQ*HE remark codes */
    size_t n_remarks;
};

struct psy_era_claim {
    size_t defect;            /* as for a service line: the claim could not be read (all of it to suspense) */
    char claim_id[39];        /* CLP01: our CLM01 */
    char status[3];           /* CLP02 */
    long long charge_cents, paid_cents, patient_responsibility_cents;
    char filing_indicator[3]; /* CLP06 */
    char payer_claim_number[51]; /* CLP07 */
    char frequency[2];        /* CLP09 */
    char start_date[9], end_date[9]; /* DTM*232 / DTM*233 */
    char crossover_name[61], crossover_id[81]; /* NM1*TT: the payer the claim was forwarded to (crossover) */
    struct psy_era_adjustment *adjustments;
    size_t n_adjustments;
    struct psy_era_service *services;
    size_t n_services;
};

struct psy_era_provider_adjustment {
    char provider_id[51];     /* PLB01 */
    char fiscal_date[9];      /* PLB02 */
    char reason[3];           /* e.g. L6 interest, WO overpayment recovery */
    char reference[51];
    long long amount_cents;   /* positive reduces the payment */
};

/* A defect met by the lenient reader (psy_x12_835_read_lenient). */
typedef enum {
    PSY_ERA_DEFECT_WARNING = 0, /* a field posting does not need: left empty, the rest read */
    PSY_ERA_DEFECT_CLAIM,       /* a claim that cannot be understood (psy_era_claim.defect) */
    PSY_ERA_DEFECT_SERVICE,     /* a service line that cannot be understood (psy_era_service.defect) */
    PSY_ERA_DEFECT_PAYMENT      /* something of the payment itself: a provider adjustment, a line or an
                                   adjustment outside any claim */
} psy_era_defect_kind;

struct psy_era_defect {
    psy_era_defect_kind kind;
    unsigned long segment;    /* its segment number in the input */
    char message[240];        /* "segment 12 (SVC) element SVC01: ..." */
};

/* One 835 transaction set: one payment (or remittance advice) from one payer to one payee. */
struct psy_era_payment {
    unsigned long interchange_control; /* ISA13 */
    unsigned long group_control;       /* GS06 */
    char transaction_control[10];      /* ST02 */
    char handling[3];                  /* BPR01 */
    long long paid_cents;              /* BPR02 */
    char credit_debit[2];              /* BPR03 */
    char method[4];                    /* BPR04 ACH, CHK, NON ... */
    char payment_date[9];              /* BPR16 */
    char check_number[51];             /* TRN02 */
    char payer_name[61], payer_id[51]; /* N1*PR (N104, else TRN03) */
    char payee_name[61], payee_id[81]; /* N1*PE */
    struct psy_era_claim *claims;
    size_t n_claims;
    struct psy_era_provider_adjustment *provider_adjustments;
    size_t n_provider_adjustments;
    struct psy_era_defect *defects;    /* lenient reading only; in the order met */
    size_t n_defects;
    /* BLAKE2b-256 (hex) of the transaction's segments in canonical form: element, component and
     * repetition separators, line ends, trailing blanks and trailing empty elements do not change it,
     * nor do the control numbers ST02/SE02. The same payment sent twice in any layout hashes the same. */
    char content_hash[65];
};

void psy_era_payment_free(struct psy_era_payment *p);

/* Receives each payment when its SE has been read; takes ownership (free with psy_era_payment_free).
 * A status other than PSY_OK stops the reading and is returned. */
typedef psy_status (*psy_era_fn)(void *ud, struct psy_era_payment *p);

/* Reads every 835 transaction of every interchange in the input, calling fn once per transaction.
 * Envelopes and counts are checked (SE01, control numbers, GE01, IEA01). On malformed input returns
 * PSY_EPARSE (or PSY_ETOOBIG) with err naming the segment number and element; payments already handed
 * to fn stay handed. */
psy_status psy_x12_835_read(psy_x12_reader *r, psy_era_fn fn, void *ud, char *err, size_t errlen);

/* psy_x12_835_read for what payers really send: only an input whose envelopes (ISA/GS/ST ... SE/GE/IEA,
 * counts and control numbers) cannot be parsed, or a payment without its BPR02 amount or TRN02 trace
 * number, is refused. Any other defect is recorded in the payment's defects with its segment and
 * element: a claim or service line that cannot be understood is marked (its defect) and kept for the
 * caller to put into suspense, a field posting does not need (a date, a name, an allowed amount, a
 * count in a segment not read) is left empty with a warning. `psyclaim x12 check` stays strict. */
psy_status psy_x12_835_read_lenient(psy_x12_reader *r, psy_era_fn fn, void *ud, char *err, size_t errlen);

/* --- an 835 in plain words and as JSON --------------------------------------------------------- */

typedef enum {
    PSY_X12_TEXT_GROUP = 0,              /* CAS01 adjustment group: CO, PR, OA, PI (CR in 4010) */
    PSY_X12_TEXT_REASON,                 /* CAS02.. claim adjustment reason code (CARC): "45", "A1" */
    PSY_X12_TEXT_CLAIM_STATUS,           /* CLP02: "1", "4", "22" */
    PSY_X12_TEXT_PROVIDER_ADJUSTMENT,    /* PLB03-1: "L6", "WO" */
    /* acknowledgements (table data/x12/ack.json) */
    PSY_X12_TEXT_ACK,                    /* TA104, IK501, AK901: "A", "E", "R", "P" ... */
    PSY_X12_TEXT_SEGMENT_ERROR,          /* IK304: "8", "I4" */
    PSY_X12_TEXT_ELEMENT_ERROR,          /* IK403: "7", "I12" */
    PSY_X12_TEXT_SET_ERROR,              /* IK502..IK506: "5", "I5" */
    PSY_X12_TEXT_GROUP_ERROR,            /* AK905..AK909 */
    PSY_X12_TEXT_INTERCHANGE_NOTE,       /* TA105: "000".."031" */
    PSY_X12_TEXT_STATUS_CATEGORY,        /* STC01-1, claim status category (code list 507): "A2", "A7" */
    PSY_X12_TEXT_STATUS_CODE,            /* STC01-2, claim status code (code list 508): "20", "21" */
    PSY_X12_TEXT_ENTITY,                 /* STC01-3, entity identifier: "85", "QC" */
    PSY_X12_TEXT_KIND_COUNT
} psy_x12_text_kind;

/* psyclaim's own short explanation of a code (tables data/x12/carc.json and ack.json, compiled in), or NULL when
 * the table has none. Any case; the string is static. Thread-safe. */
const char *psy_x12_describe(psy_x12_text_kind kind, const char *code);

/* How many codes of a kind the table explains. */
size_t psy_x12_describe_count(psy_x12_text_kind kind);

#define PSY_ERA_JSON_PRETTY 1u /* indented, two spaces */
#define PSY_ERA_JSON_DETAIL 2u /* add plain words and payment details for display (below) */
#define PSY_ERA_JSON_LENIENT 4u /* read with psy_x12_835_read_lenient; each payment gets "defects":
                                  [{"kind", "segment", "message"}], each claim and line "defect" (null
                                  when read) */

/* Reads every payment of the input with psy_x12_835_read into one JSON document, the one
 * `psyclaim era read --json` prints:
 *   {"payments": [{"payer", "check_number", "paid_cents", "claims": [{"claim_id", "status",
 *     "charge_cents", "paid_cents", "patient_responsibility_cents", "adjustments": [{"group", "reason",
 *     "amount_cents"}], "services": [{"code", "modifiers", "charge_cents", "paid_cents", "allowed_cents",
 *     "units", "date", "line_control", "adjustments", "remarks"}]}], "provider_adjustments":
 *     [{"provider_id", "reason", "reference", "amount_cents"}]}]}
 * PSY_ERA_JSON_DETAIL adds to each payment "payer_id", "payee", "payee_id", "method", "credit_debit",
 * "payment_date"; to each claim "status_text", "payer_claim_number", "start_date", "end_date"; to each
 * service "submitted_code" (null unless the payer changed the code); to each adjustment "group_text"
 * and "reason_text"; to each provider adjustment "reason_text" (texts from psy_x12_describe, null when
 * unknown). On PSY_OK *out is a NUL-terminated string of *len bytes (may be NULL; free *out) and
 * *n_payments (may be NULL) the number of payments. On failure *out is NULL and err names the segment
 * and element, as for psy_x12_835_read. */
psy_status psy_x12_835_json(psy_x12_reader *r, unsigned flags, char **out, size_t *len, size_t *n_payments,
                            char *err, size_t errlen);

/* --- which transaction a file holds ---------------------------------------------------------- */

typedef enum {
    PSY_X12_KIND_UNKNOWN = 0,
    PSY_X12_KIND_837P,   /* ST01 837 */
    PSY_X12_KIND_835,    /* ST01 835 */
    PSY_X12_KIND_999,    /* ST01 999 */
    PSY_X12_KIND_277CA,  /* ST01 277 with 005010X214 in GS08 or ST03 */
    PSY_X12_KIND_277,    /* ST01 277 of another guide (claim status response 005010X212) */
    PSY_X12_KIND_271,    /* ST01 271 */
    PSY_X12_KIND_270,    /* ST01 270 */
    PSY_X12_KIND_TA1     /* an interchange holding only a TA1 */
} psy_x12_kind;

/* Reads up to the first ST (or to the end when there is none) and says what the file holds: ST01, and
 * for a 277 the guide in GS08 (or ST03). *version gets GS08 (may be NULL; >= 13 bytes). A file that is
 * not X12 (no ISA) or whose first set is of another kind is PSY_X12_KIND_UNKNOWN with err saying what
 * was found; a malformed envelope is PSY_EPARSE with err naming the segment. */
psy_status psy_x12_detect(psy_x12_reader *r, psy_x12_kind *kind, char *version, char *err, size_t errlen);

/* "837P", "835", "999", "277CA", "277", "271", "270", "TA1", "unknown". */
const char *psy_x12_kind_name(psy_x12_kind k);

/* --- acknowledgements: TA1, 999, 277CA -------------------------------------------------------- */

/* TA1: the answer about one interchange's envelope (ISA14 = 1 asks for it). */
struct psy_ack_ta1 {
    unsigned long control;     /* TA101: the ISA13 of the interchange it answers */
    char date[7], time[5];     /* TA102, TA103 */
    char ack[2];               /* TA104: A, E or R */
    char note[4];              /* TA105: interchange note code, "000" no error */
    unsigned long segment;     /* its segment number in the input */
};

/* One error of a 999: a segment (IK3) and, when the error is an element's, the element (IK4). */
struct psy_ack_error {
    char segment_id[4];        /* IK301 */
    unsigned long position;    /* IK302: the segment's position in the transaction set, ST = 1 */
    char loop[7];              /* IK303 */
    char segment_code[4];      /* IK304 (an IK4 under an IK3 without a code: "8") */
    int element;               /* IK401-1, 0 for an error of the segment as a whole */
    int component;             /* IK401-2, 0 when not given */
    char element_ref[7];       /* IK402, the data element reference number */
    char element_code[4];      /* IK403 */
    char bad_value[100];       /* IK404, a copy of the bad data ("" when not sent) */
    char context[120];         /* the CTX after the IK3 or IK4, elements joined by spaces ("CLM01:A12" names the claim) */
    unsigned long segment;     /* where the IK3 (or IK4) is in the input */
};

/* AK2 .. IK5: the verdict on one transaction set that was sent. */
struct psy_ack_set {
    char set_id[4];            /* AK201, "837" */
    char control[10];          /* AK202: the ST02 that was sent */
    char version[36];          /* AK203 */
    char ack[2];               /* IK501: A, E, M, R, W, X */
    char codes[5][4];          /* IK502..IK506 ("" unused) */
    struct psy_ack_error *errors;
    size_t n_errors;
    unsigned long segment;     /* the AK2 */
};

/* One 999 transaction set: the verdict on one functional group that was sent. */
struct psy_ack_999 {
    unsigned long isa13;       /* the 999's own interchange */
    char st02[10];             /* the 999's own ST02 */
    char functional_id[3];     /* AK101, "HC" */
    unsigned long group_control; /* AK102: the GS06 that was sent */
    char version[13];          /* AK103 */
    struct psy_ack_set *sets;
    size_t n_sets;
    char ack[2];               /* AK901: A, E, P, R, M, W, X */
    long included, received, accepted; /* AK902..AK904 */
    char codes[5][4];          /* AK905..AK909 */
    unsigned long segment;     /* the ST */
};

/* One status (STC01, STC10 or STC11) of a 277CA. */
struct psy_ack_status {
    char category[4];          /* -1: claim status category code, "A2", "A7" */
    char code[6];              /* -2: claim status code, "20", "21" */
    char entity[4];            /* -3: entity the status is about, "85", "QC" ("" none) */
    char service[49];          /* the SVC01-2 procedure code of a service line's status, "" claim level */
};

/* One TRN of a 277 and what follows it up to the next HL: a claim (HL03 PT, or 22/23 in a 277) or an
 * information receiver's or billing provider's summary (HL03 21, 19). */
struct psy_ack_277 {
    unsigned long isa13;
    char st02[10];
    char level[3];             /* HL03 of its HL: "PT", "22", "23", "21", "19" */
    char trace_type[2];        /* TRN01: "2" referenced transaction (a claim), "1" current */
    char trace[51];            /* TRN02: for a claim, the patient control number = the CLM01 sent */
    char payer_name[61];       /* NM103 of NM1*PR under the information source (HL 20) */
    char payer_id[81];         /* NM109 */
    char payer_claim_number[51]; /* REF*1K */
    char clearinghouse_trace[51];/* REF*D9 */
    char from[9], to[9];       /* DTP*472 (D8 or RD8) */
    char status_date[9];       /* STC02 of the first STC */
    char action[3];            /* STC03 of the first STC: WQ accepted, U rejected */
    long long charge_cents;    /* STC04 of the first STC */
    int has_charge;
    char message[265];         /* STC12 */
    struct psy_ack_status *statuses; /* every status, the claim's first, then its lines' */
    size_t n_statuses;
    long accepted_qty, rejected_qty;            /* QTY*90 or QA / QTY*AA or QC (summary levels) */
    long long accepted_cents, rejected_cents;   /* AMT*YU / AMT*YY */
    unsigned long segment;     /* the TRN */
};

/* Receives what the reader found; the reader keeps ownership (valid during the call). NULL handlers
 * are skipped. A status other than PSY_OK stops the reading and is returned. */
struct psy_ack_handlers {
    psy_status (*ta1)(void *ud, const struct psy_ack_ta1 *t);
    psy_status (*ack999)(void *ud, const struct psy_ack_999 *a);
    psy_status (*status277)(void *ud, const struct psy_ack_277 *c);
    void *ud;
};

/* Reads every TA1, 999 and 277 of every interchange of the input. Envelopes and counts are checked as
 * for the 835; within a 999 every IK3 needs an AK2, every IK4 an IK3, IK5 and AK9 codes are checked
 * against their lists, AK1 and AK9 are required; within a 277 every STC needs a TRN and every TRN an
 * HL, and STC01-1 is required. Transaction sets of other kinds are passed over. On malformed input
 * returns PSY_EPARSE (or PSY_ETOOBIG) with err naming the segment number and element ("segment 7 (IK5)
 * element IK501: ..."); what was already handed to the handlers stays handed. */
psy_status psy_x12_ack_read(psy_x12_reader *r, const struct psy_ack_handlers *h, char *err, size_t errlen);

/* A TA1, 999 or 277CA file as JSON, the document `psyclaim x12 read --json` prints for them:
 *   {"kind", "ta1": [{"control", "ack", "ack_text", "note", "note_text"}],
 *    "groups": [{"functional_id", "group_control", "ack", "ack_text", "included", "received",
 *      "accepted", "errors": [{"code", "text"}], "sets": [{"set_id", "control", "ack", "ack_text",
 *      "codes": [{"code", "text"}], "errors": [{"segment_id", "position", "loop", "segment_code",
 *      "segment_text", "element", "component", "element_ref", "element_code", "element_text",
 *      "bad_value", "context", "words"}]}]}],
 *    "statuses": [{"level", "trace", "payer", "payer_claim_number", "clearinghouse_trace", "from", "to",
 *      "action", "charge_cents", "message", "verdict", "statuses": [{"category", "category_text", "code",
 *      "code_text", "entity", "entity_text", "service"}]}]}
 * "words" is the error in one sentence (psy_x12_ack_error_words); "verdict" is psy_x12_277_verdict as
 * "accepted", "rejected" or "other". On failure *out is NULL and err names the segment. */
psy_status psy_x12_ack_json(psy_x12_reader *r, char **out, size_t *len, char *err, size_t errlen);

/* One 999 error in plain words: "segment CLM at position 22 (loop 2300), element CLM05-3 (1325):
 * Invalid code value (IK403 7), value 'Z'; context CLM01:A12". */
void psy_x12_ack_error_words(const struct psy_ack_error *e, char *out, size_t len);

/* What a 277 record says about its claim: 1 accepted (a first status of category A1, A2 or A5, or
 * STC03 WQ), -1 rejected (A3, A4, A6, A7, A8, or STC03 U), 0 neither (pending, finalized, request). */
int psy_x12_277_verdict(const struct psy_ack_277 *c);

/* --- structure check -------------------------------------------------------------------------- */

struct psy_x12_problem {
    unsigned long segment;  /* segment number, 0 = the file as a whole */
    char seg_id[4];
    char message[200];
};

struct psy_x12_check_stats {
    unsigned long segments, interchanges, groups, transactions;
    unsigned long claims;   /* CLM in 837, CLP in 835 */
    unsigned long lines;    /* SV1 in 837, SVC in 835 */
};

/* Reads a whole input of 837P and/or 835 transactions and reports structural problems: envelope
 * nesting, segment and set counts, control numbers, HL numbering and parents, LX order, claim totals
 * (837P) and amounts (835). Fills up to cap problems, *n = how many in all. Returns PSY_OK when the
 * input could be read to its end (problems or not), else the reader's failure (also reported as the
 * last problem). */
psy_status psy_x12_check(psy_x12_reader *r, struct psy_x12_problem *out, size_t cap, size_t *n,
                         struct psy_x12_check_stats *stats);

/* --- eligibility: the 270 request and the 271 answer (005010X279A1) ---------------------------- */

/* The service types a 270 asks about unless told otherwise (X12 code list 1365, as 005010X279A1 EQ01
 * uses it): 30 health benefit plan coverage (whether the plan is active at all), MH mental health,
 * A6 psychotherapy, A8 psychiatric - outpatient. NULL-terminated. */
extern const char *const psy_x12_270_service_types[];

struct psy_x12_270 {
    const char *sender_id, *receiver_id;  /* ISA06/GS02 (the practice's NPI), ISA08/GS03 (the payer's id) */
    const char *payer_name, *payer_id;    /* 2100A NM1*PR, NM109 qualifier PI */
    const char *provider_name, *provider_npi; /* 2100B NM1*1P (an organisation), NM109 qualifier XX */
    const char *provider_first;           /* not NULL or "": the provider is a person (NM102 1), provider_name
                                           * their last name (a sole proprietor's own NPI) */
    const char *member_id;                /* 2100C NM1*IL NM109 qualifier MI */
    const char *group_number;             /* 2100C REF*6P; NULL or "" = none */
    const char *sub_last, *sub_first, *sub_birth; /* 2100C name and DMG (CCYYMMDD; NULL = not sent) */
    char sub_sex;                         /* F, M, U or 0 */
    int dependent;                        /* 1: the patient is not the subscriber (2000D/2100D NM1*03) */
    const char *pat_last, *pat_first, *pat_birth;
    char pat_sex;
    const char *trace;                    /* TRN*1 TRN02: the reference the 271 echoes in TRN*2 */
    const char *trace_originator;         /* TRN03: "1" and the practice's EIN (10 characters) */
    const char *service_date;             /* DTP*291, CCYYMMDD */
    const char *const *service_types;     /* EQ01 (repeated); NULL = psy_x12_270_service_types */
    const char *date, *time;              /* the file's date CCYYMMDD and time HHMM */
    int production;
};

/* Writes one 270 interchange (ISA/GS*HS/ST*270 ... SE/GE/IEA) into a new buffer *out of *len bytes
 * (free it). PSY_EINVAL with err naming the field when a required value is missing or malformed (NPI,
 * dates, service type codes) or holds a delimiter. */
psy_status psy_x12_270_write(const struct psy_x12_270 *q, const struct psy_x12_write_opts *o, char **out,
                             size_t *len, char *err, size_t errlen);

struct psy_elig_benefit {
    char info[3];              /* EB01: 1 active coverage, 6 inactive, A coinsurance, B copayment, C deductible,
                                  F limitations, G out of pocket, I non-covered, R other payer ... */
    char level[4];             /* EB02: IND, FAM ... */
    char service_types[100];   /* EB03, its repetitions joined with ',' ("" = the plan as a whole) */
    char insurance_type[4];    /* EB04 */
    char plan[51];             /* EB05 */
    char period[3];            /* EB06: 29 remaining, 23 calendar year, 22 service year ... */
    long long amount_cents;    /* EB07, -1 when absent */
    int percent_bp;            /* EB08 in hundredths of a percent (0.2 = 2000), -1 when absent */
    char quantity_qualifier[3]; /* EB09: VS visits ... */
    long quantity;             /* EB10 (whole), -1 when absent */
    char auth[2];              /* EB11: Y, N, U or "" */
    char network[2];           /* EB12: Y in network, N out, W either, U unknown or "" */
    long visits;               /* HSD with HSD01 VS: HSD02, -1 none */
    char begin[9], end[9];     /* 2110 DTP: benefit (or plan) begin and end, CCYYMMDD */
    char message[121];         /* the first MSG */
};

struct psy_elig_reject {
    char where[12];            /* "payer", "provider", "subscriber", "dependent" or "benefit" */
    char valid[2];             /* AAA01 Y/N */
    char reason[3];            /* AAA03 (code list 901) */
    char action[2];            /* AAA04 (code list 889) */
    unsigned long segment;     /* the AAA's segment number */
};

/* One answer: a subscriber (2000C) or a dependent (2000D) loop with what the payer said about it. */
struct psy_elig_response {
    unsigned long interchange_control; /* ISA13 */
    char transaction_control[10];      /* ST02 */
    char trace[51], trace_originator[11]; /* TRN*2: our TRN*1 echoed */
    char payer_name[61], payer_id[81];
    char provider_name[61], provider_id[81];
    char member_id[81], group_number[51];
    char sub_last[61], sub_first[36], sub_birth[9];
    int dependent;
    char pat_last[61], pat_first[36], pat_birth[9];
    char as_of[9];             /* the date asked about (2100 DTP*291/307 single date), else BHT04 */
    char begin[9], end[9];     /* coverage dates the payer gave (2100 DTP 346/347, 356/357, or a 291/307 range) */
    char plan_begin[9];        /* 2100 DTP*346: the plan's begin, CCYYMMDD ("" none) */
    struct psy_elig_benefit *benefits;
    size_t n_benefits;
    struct psy_elig_reject *rejects;
    size_t n_rejects;
};

void psy_elig_response_free(struct psy_elig_response *r);

/* Receives each answer at the end of its transaction set; takes ownership (psy_elig_response_free). */
typedef psy_status (*psy_elig_fn)(void *ud, struct psy_elig_response *r);

/* Reads every 271 transaction of the input. Envelopes and counts are checked as for the 835; PSY_EPARSE
 * (err: "segment N (EB) element EB07: ...") on malformed input, answers already handed stay handed.
 * A payer-level or provider-level AAA without any subscriber loop yields one answer with the rejection. */
psy_status psy_x12_271_read(psy_x12_reader *r, psy_elig_fn fn, void *ud, char *err, size_t errlen);

#define PSY_ELIG_UNKNOWN (-1)

/* What the front desk needs from one answer for outpatient mental health. Amounts in cents and
 * percentages in hundredths of a percent; PSY_ELIG_UNKNOWN where the payer said nothing. A benefit
 * naming a mental-health service type (MH, A4, A6, A8, CF, CH) wins over one for the plan as a whole (30
 * or none); in-network values are EB12 Y (or W, or no EB12), out-of-network EB12 N (or W). */
struct psy_elig_summary {
    char status[10];            /* "active", "inactive", "rejected" or "unknown" */
    long long copay_in, copay_out;
    int coinsurance_in, coinsurance_out;
    long long deductible_in, deductible_in_left, deductible_out, deductible_out_left;
    long long oop_in, oop_in_left, oop_out, oop_out_left;
    long visits_allowed, visits_left, visits_used;
    /* the benefit year the visits count in: "" a calendar year (EB06 23, or not said); for a service year or
     * a contract (EB06 22 or 25), the day its year began (the benefit's 2110 DTP 348/346, else the plan's
     * 2100 DTP*346), CCYYMMDD: it begins again on that month and day each year */
    char visits_year_begin[9];
    int auth_required;          /* 1 Y, 0 N, PSY_ELIG_UNKNOWN */
};
void psy_elig_summarize(const struct psy_elig_response *r, struct psy_elig_summary *s);

/* Plain words for an AAA03 reject reason (code list 901) and an AAA04 follow-up action (889), for an
 * EB01 benefit code and an EB03 service type; NULL when unknown. Static strings. */
const char *psy_elig_reject_text(const char *code);
const char *psy_elig_action_text(const char *code);
const char *psy_elig_info_text(const char *code);
const char *psy_elig_service_type_text(const char *code);

/* One answer as a JSON object (the `eligibility read --json` element): the names, ids and dates above,
 * "summary" (the fields of psy_elig_summary, null where unknown), "benefits" and "rejections" (each with
 * its codes in plain words). Free with free(). */
char *psy_elig_response_json(const struct psy_elig_response *r, int pretty);

#endif
