/*
 * psy_ncci.h -- the CMS National Correct Coding Initiative tables the coding engine checks a day's
 * lines against: procedure-to-procedure pairs (PTP), medically unlikely edits (MUE, units per day) and
 * add-on code edits (AOC, which primaries an add-on needs).
 *
 * A built-in set for the psychiatric codes is compiled in (data/ncci/); importing the official files
 * into a store replaces it, table by table, for every coder opened on that store.
 */
#ifndef PSY_NCCI_H
#define PSY_NCCI_H

#include "psyclaim.h"
#include "psy_store.h"
#include "psy_catalog.h"

typedef enum {
    PSY_NCCI_PTP = 0, /* practitioner PTP edits: column 1, column 2, dates, modifier indicator */
    PSY_NCCI_MUE,     /* practitioner MUE table: code, units, adjudication indicator (MAI) */
    PSY_NCCI_AOC,     /* add-on code edits: add-on, primary, edit type */
    PSY_NCCI_KIND_COUNT
} psy_ncci_kind;

/* "ncci-ptp", "ncci-mue", "ncci-aoc". */
const char *psy_ncci_kind_name(psy_ncci_kind kind);

/* Parses "ncci-ptp" / "ptp" (and the same for mue, aoc); PSY_EINVAL when unknown. */
psy_status psy_ncci_kind_parse(const char *name, psy_ncci_kind *out);

struct psy_ncci_import_stats {
    long lines;   /* lines read */
    long rows;    /* edit rows read */
    long skipped; /* lines that are not edits: preambles, headings, other service types */
    long added;     /* rows of keys the table did not hold */
    long updated;   /* rows that replaced the row of their key (stored, or earlier in the file) */
    long unchanged; /* rows the table already held as they are: not written again */
};

/* Imports one official file into the store in one transaction. The layout is found from the header
 * row (see docs/importing.md): the CMS text/CSV releases and their tab-separated exports. Rows are
 * keyed (PTP by column 1, column 2 and deletion date; MUE by code; AOC by add-on and primary) and a
 * newer release replaces the same keys. opts->effective gives the release date when the file does not.
 * On a malformed line nothing is kept and err holds "FILE:LINE: what is wrong". */
psy_status psy_ncci_import(psy_store *st, psy_ncci_kind kind, const char *path, const struct psy_import_opts *opts,
                           struct psy_ncci_import_stats *stats, char *err, size_t errlen);

/* Rows the store holds per table (array of PSY_NCCI_KIND_COUNT). */
psy_status psy_ncci_counts(psy_store *st, long counts[PSY_NCCI_KIND_COUNT]);

#endif
