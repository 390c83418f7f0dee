/*
 * psy_catalog.h -- the code catalog: CPT psychotherapy and E/M codes, ICD-10-CM diagnoses, HCPCS Level
 * II codes, modifiers and places of service, with the links between them and the explainer pages.
 *
 * The built-in catalog (data/catalog, data/explainers) is written by the project and compiled in; the
 * official CMS files a user downloads are imported on top of it (psy_catalog_import).
 */
#ifndef PSY_CATALOG_H
#define PSY_CATALOG_H

#include <stdio.h>
#include "psyclaim.h"
#include "psy_store.h"

typedef enum {
    PSY_SYS_CPT = 0,
    PSY_SYS_HCPCS,
    PSY_SYS_ICD10CM,
    PSY_SYS_MODIFIER,
    PSY_SYS_POS,
    PSY_SYS_COUNT
} psy_system;

#define PSY_CODE_MAX 16 /* longest display code plus NUL */
#define PSY_DATE_MAX 11 /* YYYY-MM-DD plus NUL */

/* "cpt", "hcpcs", "icd10cm", "modifier", "pos". */
const char *psy_catalog_system_name(psy_system sys);

/* Parses a system name (also accepts "icd10", "icd", "modifiers", "mod", "hcpcs2"); PSY_EINVAL when
 * unknown. */
psy_status psy_catalog_system_parse(const char *name, psy_system *out);

/* Normalises a code as typed ("f411", " F41.1 ", "90853") into its display form for sys: upper case,
 * ICD-10-CM dot after the third character. Returns PSY_EINVAL when the text cannot be a code of sys. */
psy_status psy_catalog_normalize(psy_system sys, const char *in, char out[PSY_CODE_MAX]);

struct psy_code {
    psy_system system;
    char code[PSY_CODE_MAX];
    char *short_title;                  /* owned; freed by psy_code_clear */
    char *long_title;                   /* owned */
    int billable;                       /* 1 when the code may go on a claim line */
    int addon;                          /* 1 for add-on codes (cpt/hcpcs) */
    char effective[PSY_DATE_MAX];       /* "" when unknown */
    char terminated[PSY_DATE_MAX];      /* "" when still valid */
    int has_page;                       /* 1 when an explainer page exists */
};

void psy_code_clear(struct psy_code *c);

/* Loads the built-in catalog and explainer pages into the store, when the store does not have this
 * build's version of them yet. Imported rows are never overwritten by built-in ones. */
psy_status psy_catalog_seed(psy_store *st);

/* Looks a code up. With sys = PSY_SYS_COUNT every system is tried in the order cpt, hcpcs, icd10cm,
 * modifier, pos and the first match wins. OUT c must be cleared with psy_code_clear. */
psy_status psy_catalog_get(psy_store *st, psy_system sys, const char *code, struct psy_code *c);

struct psy_link {
    char kind[12];          /* similar, addon, primary, instead */
    psy_system system;
    char code[PSY_CODE_MAX];
    char *note;             /* owned; may be "" */
};

/* The links of one code. OUT *links is an array of *n items freed with psy_links_free. */
psy_status psy_catalog_links(psy_store *st, psy_system sys, const char *code, struct psy_link **links,
                             size_t *n);
void psy_links_free(struct psy_link *links, size_t n);

/* The explainer page of a code as a JSON object text (see docs/data-format.md), in OUT *json (free
 * with free()). PSY_ENOTFOUND when the code has no page. */
psy_status psy_catalog_page(psy_store *st, psy_system sys, const char *code, char **json);

/* Up to max codes that look like the one given (same prefix or within two edits), best first, for
 * "did you mean" messages. Returns how many were written to out. */
size_t psy_catalog_suggest(psy_store *st, psy_system sys, const char *code,
                           struct psy_code *out, size_t max);

/* Calls fn for every catalog entry, in (system, code) order; extra is the text search may also index
 * (synonyms and explainer text; may be ""). Stops early, returning PSY_OK, when fn returns non-zero. */
typedef int (*psy_catalog_visit)(void *ud, const struct psy_code *c, const char *synonyms,
                                 const char *extra);
psy_status psy_catalog_foreach(psy_store *st, psy_catalog_visit fn, void *ud);

/* Number of entries per system (array of PSY_SYS_COUNT). */
psy_status psy_catalog_counts(psy_store *st, long counts[PSY_SYS_COUNT]);

/* --- importing official files ------------------------------------------------------------------ */

typedef enum {
    PSY_IMPORT_ICD10CM,   /* CMS ICD-10-CM order file or codes file */
    PSY_IMPORT_HCPCS,     /* CMS HCPCS Level II: fixed-width record file or its tab-delimited export */
    PSY_IMPORT_MODIFIERS  /* HCPCS modifier list (same two formats), or a code/type list of CPT modifiers */
} psy_import_kind;

struct psy_import_stats {
    long lines;       /* lines read */
    long added;       /* codes new to the store */
    long updated;     /* codes whose title, flag or dates changed */
    long unchanged;   /* codes already as in the file */
    long terminated;  /* previously imported codes absent from a full new release */
    long modifiers;   /* modifier records found in an HCPCS file (counted in added/updated/unchanged) */
};

/* Called now and then during an import with bytes read so far and the file's size. */
typedef void (*psy_import_progress)(void *ud, long long done, long long total);

struct psy_import_opts {
    const char *effective;          /* YYYY-MM-DD for codes without a date in the file; NULL: guess
                                       from a fiscal year in the file name (FY starts Oct 1) */
    psy_import_progress progress;   /* may be NULL */
    void *progress_ud;
};

/* Imports one file in one transaction. On a malformed line nothing of the import is kept and err holds
 * "FILE:LINE: what is wrong". */
psy_status psy_catalog_import(psy_store *st, psy_import_kind kind, const char *path,
                              const struct psy_import_opts *opts, struct psy_import_stats *stats,
                              char *err, size_t errlen);

#endif
