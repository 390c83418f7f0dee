/*
 * psy_coding.h -- the coding engine: a described psychotherapy session in, claim lines out, each line
 * with the rule ids that chose it and one sentence saying why; every refusal or warning a finding that
 * names its rule and the input field it concerns. Rules: docs/rules.md.
 *
 * A coder (psy_coder) holds everything the engine reads: the NCCI tables (imported into the store, else
 * built in) and the payer profiles. Open it once; it is immutable afterwards, so many threads may code
 * with one coder. psy_coding_session and psy_coding_same_day touch no database, allocate nothing and
 * write only into the caller's result.
 */
#ifndef PSY_CODING_H
#define PSY_CODING_H

#include "psyclaim.h"
#include "psy_store.h"
#include "psy_catalog.h"
#include "psy_ncci.h"
#include "psy_payer.h"

typedef struct psy_coder psy_coder;

typedef enum {
    PSY_SESSION_INDIVIDUAL = 0,
    PSY_SESSION_CRISIS,
    PSY_SESSION_GROUP,
    PSY_SESSION_FAMILY_WITH_PATIENT,
    PSY_SESSION_FAMILY_WITHOUT_PATIENT,
    PSY_SESSION_MULTIPLE_FAMILY_GROUP,
    PSY_SESSION_DIAGNOSTIC_EVALUATION,
    PSY_SESSION_DIAGNOSTIC_EVALUATION_MEDICAL,
    PSY_SESSION_KIND_COUNT
} psy_session_kind;

typedef enum { PSY_TELEHEALTH_NONE = 0, PSY_TELEHEALTH_VIDEO, PSY_TELEHEALTH_AUDIO } psy_telehealth;
typedef enum { PSY_LOCATION_UNKNOWN = 0, PSY_LOCATION_HOME, PSY_LOCATION_OTHER } psy_patient_location;

#define PSY_CREDENTIAL_MAX 16   /* longest credential plus NUL */
#define PSY_CODING_MAX_MEMBERS 60

/* One session as the clinician describes it (the fields of the code-session JSON object). Start from
 * psy_session_init. Everything is for one clinician, one date. */
struct psy_coding_input {
    char date[PSY_DATE_MAX];          /* YYYY-MM-DD, the date of service */
    psy_session_kind kind;
    int minutes;                      /* psychotherapy (or crisis) minutes; -1 = not given */
    char em_code[PSY_CODE_MAX];       /* an E/M service by the same clinician in the same visit; "" none */
    int interactive_complexity;       /* 1 when a complexity factor occurred */
    psy_telehealth telehealth;        /* none = in person */
    psy_patient_location patient_location;
    char place_of_service[3];         /* "" = the payer's in-person default */
    char payer[PSY_PAYER_ID_MAX];     /* "" = "default" */
    char credential[PSY_CREDENTIAL_MAX]; /* clinician's licence (LCSW, LPC, LMFT, PSYCHOLOGIST, MD, NP...); "" unknown */
    int group_size;                   /* participants present in a group session; 0 = not recorded */
    int members;                      /* group kinds: member lines to produce; 0 = 1 (code member by member) */
    int separate_times;               /* 1: services the NCCI lets through only as separate encounters have
                                         their own documented start and stop times */
    int prior_auth;                   /* 1 authorisation on file, 0 none, -1 not stated */
};

/* Sets every field to "not given": no E/M, in person, minutes -1, prior_auth -1. */
void psy_session_init(struct psy_coding_input *s);

/* "individual", "crisis", ... as in the JSON contract; and back (PSY_EINVAL when unknown). */
const char *psy_session_kind_name(psy_session_kind kind);
psy_status psy_session_kind_parse(const char *name, psy_session_kind *out);

#define PSY_LINE_MAX_MODIFIERS 4 /* an 837P service line carries four */
#define PSY_LINE_MAX_RULES 6
#define PSY_EXPLANATION_MAX 256
#define PSY_FIELD_MAX 32
#define PSY_MESSAGE_MAX 256

struct psy_coded_line {
    char code[PSY_CODE_MAX];
    int units;
    int n_modifiers;
    char modifiers[PSY_LINE_MAX_MODIFIERS][3];
    char place_of_service[3];
    int n_rules;
    const char *rules[PSY_LINE_MAX_RULES]; /* rule ids (static strings) */
    long long charge_cents;                /* the payer's fee x units; 0 when the profile has no fee */
    int member;                            /* group kinds: 1..members; 0 otherwise */
    int separate_times;                    /* its own start/stop times are documented (see psy_session) */
    int billable;                          /* 1 when no error refuses this line (nor its primary) */
    char explanation[PSY_EXPLANATION_MAX]; /* one sentence */
};

typedef enum { PSY_SEVERITY_ERROR = 0, PSY_SEVERITY_WARNING } psy_severity;

struct psy_finding {
    psy_severity severity;
    const char *rule;             /* rule id (static string); "INPUT" for invalid input */
    char field[PSY_FIELD_MAX];    /* the input field concerned: "minutes", "em_code", "lines[2]" ... */
    char message[PSY_MESSAGE_MAX];
};

#define PSY_CODING_MAX_LINES (2 * PSY_CODING_MAX_MEMBERS + 8)
#define PSY_CODING_MAX_FINDINGS 24

struct psy_coding_result {
    size_t n_lines, n_findings, n_errors; /* n_errors: findings with severity error */
    struct psy_coded_line lines[PSY_CODING_MAX_LINES];
    struct psy_finding findings[PSY_CODING_MAX_FINDINGS];
};

/* Opens a coder. st may be NULL (built-in tables only); with a store, NCCI tables it holds replace the
 * built-in ones table by table. The store is read once here and not kept. On failure err names the
 * table or profile and field. */
psy_status psy_coding_open(psy_store *st, psy_coder **out, char *err, size_t errlen);

/* Adds (or replaces by id) a payer profile from a JSON file, or from JSON text (origin names it in
 * messages). Not thread-safe: call before coding. */
psy_status psy_coding_add_payer_file(psy_coder *cx, const char *path, char *err, size_t errlen);
psy_status psy_coding_add_payer_json(psy_coder *cx, const char *text, size_t len, const char *origin, char *err,
                                     size_t errlen);

void psy_coding_close(psy_coder *cx);

/* The payer profiles a coder knows. */
const psy_payers *psy_coding_payers(const psy_coder *cx);

/* Where a table came from: 1 when imported into the store, 0 built in; *rows gets its row count. */
int psy_coding_table_imported(const psy_coder *cx, psy_ncci_kind kind, size_t *rows);

/* Codes one session into *out (overwritten). PSY_OK when the session was coded: out->n_errors says
 * whether it can be billed as described (0) or not (the error findings say why). PSY_EINVAL when the
 * description itself is invalid (no date, unknown payer, negative minutes, missing minutes for a
 * timed service ...): out then holds one finding with rule "INPUT" naming the field. A group session
 * produces members x (90853 [+ 90785]) lines, one set per member (member = 1..N). */
psy_status psy_coding_session(const psy_coder *cx, const struct psy_coding_input *s, struct psy_coding_result *out);

/* Same-day edits over every line of one client, one clinician, one date (lines of several sessions):
 * NCCI PTP pairs (indicator 0 refused; indicator 1 needs XE/59/XS/XP/XU, or 25 on an E/M, and
 * separate_times on the denied line), MUE units per day (MAI 2 error, MAI 3 warning, MAI 1 per line)
 * and add-on anchors (AOC). Writes at most cap findings (field "lines[i]"), their count in *n. */
psy_status psy_coding_same_day(const psy_coder *cx, const char *date, const struct psy_coded_line *lines,
                               size_t n_lines, struct psy_finding *findings, size_t cap, size_t *n);

/* --- JSON (the code-session contract) ----------------------------------------------------------- */

/* Parses one session object. On PSY_EINVAL/PSY_EPARSE, field names the offending field ("" when the
 * text is not a JSON object) and msg says what is wrong. */
psy_status psy_session_from_json(const char *text, size_t len, struct psy_coding_input *s, char *field,
                                 size_t fieldlen, char *msg, size_t msglen);

/* The result as {"lines": [...], "findings": [...]}; pretty = indented. Returns a malloc'd string
 * (free it) and its length in *len (may be NULL). */
char *psy_coding_result_json(const struct psy_coding_result *r, int pretty, size_t *len);

#endif
