/*
 * psy_search.h -- search every catalog entry (CPT, HCPCS, ICD-10-CM, modifiers, places of service) by
 * code, by the words of its titles, synonyms and explainer page, half-typed or misspelled.
 *
 * The index lives in memory. It is built from a store in one call and never changes afterwards, so one
 * index may be queried from many threads at once. After an import, build a new one (psy_search_rebuild).
 * See docs/search.md for how matching and ranking work.
 */
#ifndef PSY_SEARCH_H
#define PSY_SEARCH_H

#include <stddef.h>
#include "psyclaim.h"
#include "psy_catalog.h"
#include "psy_store.h"

/* Longest query accepted, in bytes; a longer one is PSY_ETOOBIG. */
#define PSY_SEARCH_QUERY_MAX 512

typedef struct psy_search psy_search; /* immutable after build; safe to query from many threads */

/* Builds the index over the whole catalog in the store (built-in and imported entries, their synonyms
 * and explainer pages). OUT *out is freed with psy_search_free; on failure it is NULL and the store's
 * message (psy_store_errmsg) says why. */
psy_status psy_search_build(psy_store *st, psy_search **out);

/* Builds a new index from the store and, on success, frees *ix and replaces it (use after an import).
 * On failure *ix is left as it was. No query may be running on the old index during the call. */
psy_status psy_search_rebuild(psy_store *st, psy_search **ix);

typedef struct {
    psy_system system;  /* PSY_SYS_COUNT = every system */
    int billable_only;  /* 1: only codes that may go on a claim line */
    size_t limit;       /* at most this many hits (0 = as many as the hits array holds) */
    size_t offset;      /* skip this many of the best hits (paging) */
} psy_search_opts;

typedef struct {
    psy_system system;
    const char *code;   /* display form ("F43.12"); points into the index */
    const char *title;  /* points into the index */
    int billable;
    double score;       /* higher is better; only comparable within one query */
} psy_search_hit;

/* Runs one query. Hits go to hits[0..*n_hits), best first (ties broken by system, then code); OUT
 * *total is how many entries matched in all, for paging. opts may be NULL (every system, no offset,
 * limit = cap). An empty or blank query matches nothing and returns PSY_OK.
 * Errors: PSY_EINVAL when the query is NULL or not valid UTF-8 or opts->system is out of range,
 * PSY_ETOOBIG when it is longer than PSY_SEARCH_QUERY_MAX bytes. */
psy_status psy_search_query(const psy_search *ix, const char *query, const psy_search_opts *o,
                            psy_search_hit *hits, size_t cap, size_t *n_hits, size_t *total);

/* What psy_search_run says about its answer besides the hits. */
typedef struct {
    size_t total;       /* how many entries matched in all, for paging */
    int close;          /* 1: the best hit is a close match for every word of the query; 0: there is no close
                         * match and the hits are only the nearest suggestions (none: no hit at all) */
    psy_system system;  /* the code system the query named or is a code of, listed first (PSY_SYS_COUNT:
                         * none named) */
} psy_search_info;

/* psy_search_query, also saying whether the answer is a close match and which system the query asked
 * for (see docs/search.md, "What the query asks for" and "No close match"). */
psy_status psy_search_run(const psy_search *ix, const char *query, const psy_search_opts *o, psy_search_hit *hits,
                          size_t cap, size_t *n_hits, psy_search_info *info);

/* Checks a query without running it: PSY_OK, PSY_EINVAL when it is NULL or not valid UTF-8, PSY_ETOOBIG
 * when it is longer than PSY_SEARCH_QUERY_MAX bytes (the same checks psy_search_query makes). */
psy_status psy_search_check(const char *query);

/* Imports the ICD-10-CM Alphabetic Index (the CDC's icd10cm_index_YYYY.xml) as search vocabulary: each
 * main term and subterm that leads to a code, and each "see" reference, becomes words of that code's
 * entry, ranked below its title. Replaces the index terms imported before; all or nothing. Rebuild the
 * search index afterwards (psy_search_rebuild). Errors name the file and line: PSY_EIO (cannot read),
 * PSY_EPARSE (not well-formed XML, not the index, or no term with a code), PSY_EDB. */
struct psy_index_import_stats {
    long main_terms;   /* <mainTerm> elements */
    long terms;        /* <term> subterms */
    long rows;         /* (code, words) pairs stored */
    long see_resolved; /* "see" references that led to a main term with a code */
};
psy_status psy_search_import_index(psy_store *st, const char *path, struct psy_index_import_stats *stats, char *err,
                                   size_t errlen);

/* The index of the store at uri (the URI it was opened with; NULL: psy_store_default_uri), from its file
 * on disk when that file is for the catalog as it is now, else built and saved for the next time.
 * The file is DB.search-index beside a SQLite file; for PostgreSQL, psyclaim/search-HASH.index under
 * $XDG_CACHE_HOME (else ~/.cache, else the system temp directory), HASH naming the URI. A file that is
 * damaged, cut short, from another format or for another catalog generation (every import makes a new
 * one) is never used: the index is built again and the file replaced atomically (written aside, then
 * renamed). The file is mapped, not read: a query touches only the pages it needs. A file that cannot
 * be written (a read-only directory) only costs the build. PSYCLAIM_SEARCH_INDEX_FILE=off in the
 * environment builds every time and leaves the file alone. Same ownership as psy_search_build. */
psy_status psy_search_open(psy_store *st, const char *uri, psy_search **out);

/* The file psy_search_open uses for the store at uri, into buf; 0 when the store has none (an
 * in-memory SQLite database) or buf is too short. */
int psy_search_index_path(const char *uri, char *buf, size_t cap);

/* Frees the index; accepts NULL. */
void psy_search_free(psy_search *ix);

/* What an index holds, for diagnostics and benchmarks. */
struct psy_search_stats {
    size_t docs;        /* catalog entries */
    size_t terms;       /* distinct words */
    size_t postings;    /* (word, entry) pairs */
    size_t bytes;       /* memory the index holds, counted allocation by allocation */
    size_t query_bytes; /* working memory of one query, kept for reuse (one per query at a time) */
    unsigned kept;      /* one-word queries whose answer is kept once first computed */
    size_t build_peak;  /* most memory held at once while building, same counting */
    double build_ms;    /* wall time of the build, reading the store included (for an index read from
                         * its file: the time to check and map it) */
    int mapped;         /* 1: read from its file on disk (psy_search_open), not built */
};
void psy_search_stats(const psy_search *ix, struct psy_search_stats *out);

#endif
