/*
 * catalog_import.c -- imports the official code files a user downloads: the CMS ICD-10-CM order file
 * (or codes file), the CMS HCPCS Level II file (fixed-width records or the tab-delimited export of its
 * spreadsheet) and modifier lists. Layouts: docs/importing.md.
 *
 * The one idea: an import is one transaction. Every line is parsed and checked before it is written;
 * the first bad line rolls everything back and the error names FILE:LINE and what is wrong, so a store
 * never holds half a release. A code is keyed by (system, code): a newer release updates titles and
 * dates in place and never duplicates a code.
 *
 * What the store holds for a system is read once, when the file first names a code of it; each record
 * is compared with that in memory, and only new or changed rows go out: codes the store does not hold
 * as plain multi-row inserts (COPY on PostgreSQL), changed ones as multi-row upserts (psy__batch). A
 * PostgreSQL store so costs one query per system and one round trip per chunk of rows, never one per
 * line, and no statement depends on a plan made while the table was still small. New codes go out
 * before any upsert, so an upsert of a code never runs ahead of its insert.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "psy_db.h"

#define LINE_MAX_BYTES 8192

struct rec {
    psy_system sys;
    char code[PSY_CODE_MAX];
    char short_title[128];
    struct psy__buf long_title;
    int billable;
    int has_short;           /* 0 for ICD-10-CM codes files, which carry the long title only */
    int only_if_new;         /* a list without titles: never overwrite a code the store already has */
    char effective[PSY_DATE_MAX];
    char terminated[PSY_DATE_MAX];
};

/* What the store holds for one code (kept up to date as the file's records are applied). */
struct have {
    uint64_t hash;
    psy_system sys;
    int billable, imported, seen;
    char code[PSY_CODE_MAX];
    const char *shortt, *longt, *effective, *terminated; /* in the arena; NULL for empty */
    size_t queued; /* the writer's flush count + 1 while an upsert of this code waits in it */
    size_t fresh;  /* the inserter's flush count + 1 while the insert of this new code waits in it */
};

/* Strings that live until the import ends, carved from large blocks. */
struct arena {
    char *cur;
    size_t left;
    char **blocks;
    size_t nblocks;
};

struct imp {
    psy_store *st;
    const char *path;
    long line;
    char *err;
    size_t errlen;
    const struct psy_import_opts *opts;
    struct psy_import_stats *stats;
    char release_effective[PSY_DATE_MAX]; /* ICD-10-CM: first day of the release */
    struct have *have; /* every code known, in the order first met */
    size_t have_n, have_cap;
    uint32_t *slot; /* open addressing on (system, code): index + 1 into have, 0 when free */
    size_t slot_cap;
    struct arena arena;
    int loaded[PSY_SYS_COUNT]; /* the system's rows are in have */
    struct psy__batch out;   /* upserts of codes the store holds */
    struct psy__batch fresh; /* inserts of codes it does not hold */
    /* HCPCS TSV column positions */
    int col_code, col_recid, col_long, col_short, col_add, col_term;
    /* HCPCS fixed-width: the record being assembled from continuation lines */
    struct rec pending;
    int have_pending;
    int order_file; /* ICD-10-CM: a full order file (headers included) was read */
    int tsv_cols;   /* columns in the TSV header: every row has them all */
};

static psy_status bad(struct imp *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static psy_status bad(struct imp *im, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (im->line > 0) snprintf(im->err, im->errlen, "%s:%ld: %s", im->path, im->line, msg);
    else snprintf(im->err, im->errlen, "%s: %s", im->path, msg);
    return PSY_EPARSE;
}

/* Copies s[from, from+len) clipped to the line, without surrounding blanks. */
static void field(const char *s, size_t n, size_t from, size_t len, char *out, size_t outlen)
{
    size_t a = from < n ? from : n, b = from + len < n ? from + len : n;
    while (a < b && s[a] == ' ') a++;
    while (b > a && s[b - 1] == ' ') b--;
    size_t k = b - a < outlen - 1 ? b - a : outlen - 1;
    memcpy(out, s + a, k);
    out[k] = 0;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

/* "20240101" -> "2024-01-01"; "" stays "". Returns 0 on a malformed date. */
static int ymd(const char *in, char out[PSY_DATE_MAX])
{
    out[0] = 0;
    if (!*in) return 1;
    struct psy_date d;
    if (!psy_date_parse8(in, &d)) return 0;
    psy_date_format(d, out);
    return 1;
}

static void rec_reset(struct rec *r)
{
    struct psy__buf keep = r->long_title;
    memset(r, 0, sizeof *r);
    r->long_title = keep;
    r->long_title.n = 0;
    psy__buf_puts(&r->long_title, "");
}

/* --- writing records in batches ------------------------------------------------------------------ */

static int same(const char *a, const char *b) { return strcmp(a ? a : "", b) == 0; }

static uint64_t code_hash(psy_system sys, const char *code)
{
    uint64_t h = psy__hash64(code, strlen(code)) ^ (uint64_t)sys;
    h ^= h >> 33; /* spread the high bits into the low ones the table uses */
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

static const char *arena_dup(struct arena *a, const char *v)
{
    if (!v || !*v) return NULL;
    size_t n = strlen(v) + 1;
    if (n > a->left) {
        size_t size = n > 65536 ? n : 65536;
        a->blocks = psy__realloc(a->blocks, (a->nblocks + 1) * sizeof *a->blocks);
        a->cur = a->blocks[a->nblocks++] = psy__malloc(size);
        a->left = size;
    }
    char *out = memcpy(a->cur, v, n);
    a->cur += n;
    a->left -= n;
    return out;
}

static void arena_free(struct arena *a)
{
    for (size_t i = 0; i < a->nblocks; i++) free(a->blocks[i]);
    free(a->blocks);
    memset(a, 0, sizeof *a);
}

static void set_text(struct imp *im, const char **dst, const char *v)
{
    if (!same(*dst, v ? v : "")) *dst = arena_dup(&im->arena, v);
}

/* The slot of (sys, code): holding it, or the free one where it would go. */
static uint32_t *slot_of(struct imp *im, uint64_t hash, psy_system sys, const char *code)
{
    size_t i = hash & (im->slot_cap - 1);
    for (; im->slot[i]; i = (i + 1) & (im->slot_cap - 1)) {
        const struct have *h = &im->have[im->slot[i] - 1];
        if (h->hash == hash && h->sys == sys && strcmp(h->code, code) == 0) break;
    }
    return &im->slot[i];
}

static struct have *have_find(struct imp *im, psy_system sys, const char *code)
{
    if (!im->slot_cap) return NULL;
    uint32_t *sl = slot_of(im, code_hash(sys, code), sys, code);
    return *sl ? &im->have[*sl - 1] : NULL;
}

/* The entry for (sys, code), added when new. */
static struct have *have_slot(struct imp *im, psy_system sys, const char *code)
{
    if ((im->have_n + 1) * 2 > im->slot_cap) {
        free(im->slot);
        im->slot_cap = im->slot_cap ? im->slot_cap * 2 : 4096;
        im->slot = psy__calloc(im->slot_cap, sizeof *im->slot);
        for (size_t k = 0; k < im->have_n; k++) {
            size_t i = im->have[k].hash & (im->slot_cap - 1);
            while (im->slot[i]) i = (i + 1) & (im->slot_cap - 1);
            im->slot[i] = (uint32_t)k + 1;
        }
    }
    uint64_t hash = code_hash(sys, code);
    uint32_t *sl = slot_of(im, hash, sys, code);
    if (*sl) return &im->have[*sl - 1];
    if (im->have_n == im->have_cap) {
        im->have_cap = im->have_cap ? im->have_cap * 2 : 1024;
        im->have = psy__realloc(im->have, im->have_cap * sizeof *im->have);
    }
    struct have *h = &im->have[im->have_n++];
    memset(h, 0, sizeof *h);
    h->hash = hash;
    h->sys = sys;
    snprintf(h->code, sizeof h->code, "%s", code);
    *sl = (uint32_t)im->have_n;
    return h;
}

/* Reads every row the store holds for one system. */
static psy_status load_system(struct imp *im, psy_system sys)
{
    im->loaded[sys] = 1;
    psy__stmt *s = psy__db_stmt(im->st,
                                "SELECT code, short_title, long_title, billable, effective, "
                                "terminated, source FROM code WHERE system = ?",
                                PSY_ARGS(PSY_TEXT(psy_catalog_system_name(sys))));
    if (!s) return psy__store_dbfail(im->st, "import");
    int rc;
    while ((rc = psy__sql_step(s)) == PSY_SQL_ROW) {
        struct have *h = have_slot(im, sys, psy__sql_text(s, 0));
        set_text(im, &h->shortt, psy__sql_text(s, 1));
        set_text(im, &h->longt, psy__sql_text(s, 2));
        h->billable = (int)psy__sql_int64(s, 3);
        set_text(im, &h->effective, psy__sql_text(s, 4));
        set_text(im, &h->terminated, psy__sql_text(s, 5));
        h->imported = same(psy__sql_text(s, 6), "import");
    }
    psy_status out = rc == PSY_SQL_ERROR ? psy__store_dbfail(im->st, "import") : PSY_OK;
    psy__sql_finalize(s);
    return out;
}

/* Sends the inserts of new codes, then the upserts waiting behind them. */
static psy_status flush_writes(struct imp *im)
{
    psy_status rc = psy__batch_flush(&im->fresh);
    return rc ? rc : psy__batch_flush(&im->out);
}

/* Queues the write that makes the stored row say what h says: an insert when the store does not hold
 * the code (is_new), else an upsert. */
static psy_status queue_write(struct imp *im, struct have *h, int is_new)
{
    struct psy__batch *b = is_new ? &im->fresh : &im->out;
    psy_status rc = PSY_OK;
    if (!is_new && h->fresh == im->fresh.flushes + 1) rc = psy__batch_flush(&im->fresh); /* its insert first */
    if (!rc && !is_new && h->queued == b->flushes + 1) rc = psy__batch_flush(b); /* a key once per statement */
    if (rc) return rc;
    psy__batch_text(b, psy_catalog_system_name(h->sys));
    psy__batch_text(b, h->code);
    psy__batch_text(b, h->shortt ? h->shortt : "");
    psy__batch_text(b, h->longt ? h->longt : "");
    psy__batch_int64(b, h->billable);
    psy__batch_text(b, h->effective);
    psy__batch_text(b, h->terminated);
    if (is_new) {
        psy__batch_text(b, "import");
        h->fresh = b->flushes + 1;
    } else {
        h->queued = b->flushes + 1;
    }
    return psy__batch_row(b);
}

static psy_status write_rec(struct imp *im, struct rec *r)
{
    const char *longt = r->long_title.p && *r->long_title.p ? r->long_title.p : r->short_title;
    if (!*longt) return bad(im, "code %s has no title", r->code);
    char shortt[128], effbuf[PSY_DATE_MAX];
    snprintf(shortt, sizeof shortt, "%s", r->has_short && *r->short_title ? r->short_title : longt);
    if (!r->has_short && strlen(shortt) > 60) /* codes files: derive a short title once */
        memcpy(shortt + 57, "...", 4);
    snprintf(effbuf, sizeof effbuf, "%s", r->effective);
    psy_status rc = im->loaded[r->sys] ? PSY_OK : load_system(im, r->sys);
    struct have *h = rc ? NULL : have_find(im, r->sys, r->code);
    int changed = 0, is_new = 0;
    if (rc) {
        /* reported below */
    } else if (h && r->only_if_new) {
        im->stats->unchanged++;
    } else if (h) {
        /* keep the earliest known effective date, and an existing short title when the file has none */
        if (h->effective && (!*effbuf || strcmp(h->effective, effbuf) < 0))
            snprintf(effbuf, sizeof effbuf, "%s", h->effective);
        if (!r->has_short && h->imported && h->shortt) snprintf(shortt, sizeof shortt, "%s", h->shortt);
        changed = !same(h->shortt, shortt) || !same(h->longt, longt) || h->billable != r->billable ||
                  !same(h->effective, effbuf) || !same(h->terminated, r->terminated) || !h->imported;
        if (changed) im->stats->updated++;
        else im->stats->unchanged++;
    } else {
        h = have_slot(im, r->sys, r->code);
        changed = is_new = 1;
        im->stats->added++;
    }
    if (changed) {
        set_text(im, &h->shortt, shortt);
        set_text(im, &h->longt, longt);
        h->billable = r->billable;
        set_text(im, &h->effective, effbuf);
        set_text(im, &h->terminated, r->terminated);
        h->imported = 1;
        rc = queue_write(im, h, is_new);
    }
    if (h) h->seen = 1;
    if (r->sys == PSY_SYS_MODIFIER) im->stats->modifiers++;
    if (rc) snprintf(im->err, im->errlen, "%s:%ld: %s", im->path, im->line, psy_store_errmsg(im->st));
    return rc;
}

/* --- ICD-10-CM ---------------------------------------------------------------------------------- */

/* Order file: cols 1-5 order number, 7-13 code, 15 billable flag, 17-76 short title, 78- long title.
 * Codes file: code in a 7-character field, a blank, the long title. Only a full order file (it lists
 * the headers too) can end codes that a release dropped. */
static psy_status icd_line(struct imp *im, const char *s, size_t n, struct rec *r)
{
    char code[16];
    rec_reset(r);
    r->sys = PSY_SYS_ICD10CM;
    int order = n >= 6 && all_digits(s, 5) && s[5] == ' ';
    if (order) {
        if (n < 78)
            return bad(im, "line is %zu characters long; an order-file line has at least 78 (order number, "
                           "code, billable flag, short and long title)", n);
        if (s[13] != ' ' || s[15] != ' ' || s[76] != ' ')
            return bad(im, "columns 14, 16 and 77 must be blank in an order-file line");
        if (s[14] != '0' && s[14] != '1') return bad(im, "billable flag (column 15) is '%c', not 0 or 1", s[14]);
        field(s, n, 6, 7, code, sizeof code);
        r->billable = s[14] == '1';
        field(s, n, 16, 60, r->short_title, sizeof r->short_title);
        r->has_short = 1;
        im->order_file = 1;
        char tmp[LINE_MAX_BYTES];
        field(s, n, 77, n, tmp, sizeof tmp);
        psy__buf_puts(&r->long_title, tmp);
        if (!*r->short_title || !*tmp) return bad(im, "code %s has an empty title", code);
    } else {
        if (n < 9 || s[7] != ' ')
            return bad(im, "not an ICD-10-CM order-file line (5-digit order number first) nor a codes-file line "
                           "(code in columns 1-7, then a blank and the title)");
        field(s, n, 0, 7, code, sizeof code);
        char tmp[LINE_MAX_BYTES];
        field(s, n, 8, n, tmp, sizeof tmp);
        if (!*tmp) return bad(im, "code %s has no title", code);
        psy__buf_puts(&r->long_title, tmp);
        r->billable = 1;
    }
    if (strchr(code, '.') || psy_catalog_normalize(PSY_SYS_ICD10CM, code, r->code))
        return bad(im, "'%s' is not an ICD-10-CM code (letter, digit, then 1 to 5 letters or digits, no dot)",
                   code);
    snprintf(r->effective, sizeof r->effective, "%s", im->release_effective);
    return PSY_OK;
}

/* --- HCPCS fixed-width records ------------------------------------------------------------------ */

static psy_status hcpcs_flush(struct imp *im, psy_import_kind kind)
{
    if (!im->have_pending) return PSY_OK;
    im->have_pending = 0;
    if (kind == PSY_IMPORT_MODIFIERS && im->pending.sys != PSY_SYS_MODIFIER) return PSY_OK;
    return write_rec(im, &im->pending);
}

static psy_status hcpcs_fixed_line(struct imp *im, psy_import_kind kind, const char *s, size_t n)
{
    if (n < 12) return bad(im, "record is %zu characters long; HCPCS records are 320", n);
    char recid = s[10];
    char code[8];
    int modifier = recid == '7' || recid == '8';
    if (recid != '3' && recid != '4' && recid != '7' && recid != '8')
        return bad(im, "record id (column 11) is '%c'; expected 3, 4, 7 or 8", recid);
    field(s, n, modifier ? 3 : 0, modifier ? 2 : 5, code, sizeof code);
    char chunk[96];
    field(s, n, 11, 80, chunk, sizeof chunk);
    if (recid == '4' || recid == '8') { /* continuation of the pending record's long description */
        char disp[PSY_CODE_MAX];
        if (!im->have_pending ||
            psy_catalog_normalize(modifier ? PSY_SYS_MODIFIER : PSY_SYS_HCPCS, code, disp) ||
            strcmp(disp, im->pending.code) != 0)
            return bad(im, "continuation record for %s does not follow its first record", code);
        psy__buf_puts(&im->pending.long_title, " ");
        psy__buf_puts(&im->pending.long_title, chunk);
        return PSY_OK;
    }
    psy_status rc = hcpcs_flush(im, kind);
    if (rc) return rc;
    if (n < 293) return bad(im, "record is %zu characters long; HCPCS records are 320 (truncated?)", n);
    struct rec *r = &im->pending;
    rec_reset(r);
    r->sys = modifier ? PSY_SYS_MODIFIER : PSY_SYS_HCPCS;
    if (psy_catalog_normalize(r->sys, code, r->code))
        return bad(im, "'%s' is not a HCPCS %s", code, modifier ? "modifier" : "code (a letter and four digits)");
    psy__buf_puts(&r->long_title, chunk);
    field(s, n, 91, 28, r->short_title, sizeof r->short_title);
    r->has_short = 1;
    r->billable = 1;
    char d[12];
    field(s, n, 268, 8, d, sizeof d);
    if (!ymd(d, r->effective)) return bad(im, "date added (columns 269-276) '%s' is not YYYYMMDD", d);
    field(s, n, 284, 8, d, sizeof d);
    if (!ymd(d, r->terminated)) return bad(im, "termination date (columns 285-292) '%s' is not YYYYMMDD", d);
    im->have_pending = 1;
    return PSY_OK;
}

/* --- tab-delimited files ------------------------------------------------------------------------ */

/* Splits a TSV line in place into at most max fields; returns the count. */
static int split_tab(char *s, char **f, int max)
{
    int k = 0;
    f[k++] = s;
    for (char *p = s; *p && k < max; p++)
        if (*p == '\t') {
            *p = 0;
            f[k++] = p + 1;
        }
    return k;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '"')) s[--n] = 0;
    size_t a = 0;
    while (s[a] == ' ' || s[a] == '"') a++;
    memmove(s, s + a, n - a + 1);
}

static psy_status tsv_header(struct imp *im, char *line)
{
    char *f[64];
    int n = split_tab(line, f, 64);
    im->tsv_cols = n;
    im->col_code = im->col_recid = im->col_long = im->col_short = im->col_add = im->col_term = -1;
    for (int i = 0; i < n; i++) {
        trim(f[i]);
        if (!strcasecmp(f[i], "HCPC") || !strcasecmp(f[i], "HCPCS") || !strcasecmp(f[i], "mod_code"))
            im->col_code = i;
        else if (!strcasecmp(f[i], "RECID")) im->col_recid = i;
        else if (!strcasecmp(f[i], "LONG DESCRIPTION")) im->col_long = i;
        else if (!strcasecmp(f[i], "SHORT DESCRIPTION")) im->col_short = i;
        else if (!strcasecmp(f[i], "ADD DT")) im->col_add = i;
        else if (!strcasecmp(f[i], "TERM DT")) im->col_term = i;
        else if (!strcasecmp(f[i], "mod_category")) im->col_short = i;
    }
    if (im->col_code < 0) return bad(im, "header has no HCPC column");
    if (im->col_short < 0) return bad(im, "header has no SHORT DESCRIPTION column");
    return PSY_OK;
}

static psy_status tsv_line(struct imp *im, psy_import_kind kind, char *line)
{
    char *f[64];
    int n = split_tab(line, f, 64);
    for (int i = 0; i < n; i++) trim(f[i]);
    int need = im->col_code > im->col_short ? im->col_code : im->col_short;
    if (im->col_recid > need) need = im->col_recid;
    if (n <= need) return bad(im, "row has %d columns; the header promised at least %d (truncated?)", n, need + 1);
    if (n < im->tsv_cols) return bad(im, "row has %d columns; the header has %d (truncated?)", n, im->tsv_cols);
    struct rec r = {0};
    rec_reset(&r);
    int cpt_modifier_list = im->col_recid < 0 && im->col_long < 0; /* mod_code / mod_type / mod_category */
    char recid = im->col_recid >= 0 ? f[im->col_recid][0] : '7';
    if (recid == '4' || recid == '8') {
        psy__buf_free(&r.long_title);
        return PSY_OK; /* the spreadsheet export already merges continuation lines */
    }
    if (recid != '3' && recid != '7') {
        psy__buf_free(&r.long_title);
        return bad(im, "RECID is '%s'; expected 3 (code) or 7 (modifier)", f[im->col_recid]);
    }
    r.sys = recid == '7' ? PSY_SYS_MODIFIER : PSY_SYS_HCPCS;
    if (kind == PSY_IMPORT_MODIFIERS && r.sys != PSY_SYS_MODIFIER) {
        psy__buf_free(&r.long_title);
        return PSY_OK; /* a modifier import skips procedure codes */
    }
    psy_status rc = PSY_OK;
    if (psy_catalog_normalize(r.sys, f[im->col_code], r.code))
        rc = bad(im, "HCPC '%s' is not a HCPCS %s", f[im->col_code],
                 r.sys == PSY_SYS_MODIFIER ? "modifier" : "code (a letter and four digits)");
    if (!rc && cpt_modifier_list) {
        snprintf(r.short_title, sizeof r.short_title, *f[im->col_short] ? "CPT modifier %s (%s)" : "CPT modifier %s",
                 r.code, f[im->col_short]);
        r.has_short = 1;
        r.only_if_new = 1;
        psy__buf_puts(&r.long_title, r.short_title);
    } else if (!rc) {
        snprintf(r.short_title, sizeof r.short_title, "%s", f[im->col_short]);
        r.has_short = 1;
        psy__buf_puts(&r.long_title, im->col_long >= 0 && im->col_long < n ? f[im->col_long] : "");
        if (im->col_add >= 0 && im->col_add < n && !ymd(f[im->col_add], r.effective))
            rc = bad(im, "ADD DT '%s' is not YYYYMMDD", f[im->col_add]);
        if (!rc && im->col_term >= 0 && im->col_term < n && !ymd(f[im->col_term], r.terminated))
            rc = bad(im, "TERM DT '%s' is not YYYYMMDD", f[im->col_term]);
    }
    r.billable = 1;
    if (!rc) rc = write_rec(im, &r);
    psy__buf_free(&r.long_title);
    return rc;
}

/* --- driver ------------------------------------------------------------------------------------- */

/* The first day of the ICD-10-CM fiscal year named in a file name ("..._2022..." -> 2021-10-01). */
static void guess_release(const char *path, char out[PSY_DATE_MAX])
{
    out[0] = 0;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (const char *p = base; p[0] && p[1] && p[2] && p[3]; p++)
        if (p[0] == '2' && p[1] == '0' && isdigit((unsigned char)p[2]) && isdigit((unsigned char)p[3]) &&
            !isdigit((unsigned char)p[4]) && (p == base || !isdigit((unsigned char)p[-1]))) {
            int year = (p[2] - '0') * 10 + (p[3] - '0') + 2000;
            snprintf(out, PSY_DATE_MAX, "%04d-10-01", year - 1);
            return;
        }
}

static void imp_init(struct imp *im)
{
    psy__batch_init(&im->out, im->st,
                    "INSERT INTO code(system, code, short_title, long_title, billable, effective, terminated, "
                    "source) VALUES",
                    "(?, ?, ?, ?, ?, ?, ?, 'import')",
                    "ON CONFLICT(system, code) DO UPDATE SET short_title = excluded.short_title, "
                    "long_title = excluded.long_title, billable = excluded.billable, "
                    "effective = excluded.effective, terminated = excluded.terminated, source = 'import'");
    psy__batch_init(&im->fresh, im->st,
                    "INSERT INTO code(system, code, short_title, long_title, billable, effective, terminated, "
                    "source) VALUES",
                    "(?, ?, ?, ?, ?, ?, ?, ?)", NULL);
    /* new codes go out as the file is read: in COPYs of 2,048 rows the server writes one while the next
     * is read (docs/store.md), where one of 8,192 left it idle for most of a file like HCPCS (8,846 rows) */
    if (im->fresh.copy) im->fresh.max_rows = 2048;
}

static void imp_free(struct imp *im)
{
    free(im->have);
    free(im->slot);
    arena_free(&im->arena);
    psy__batch_free(&im->out);
    psy__batch_free(&im->fresh);
}

/* The day before an ISO date. */
static void day_before(const char *iso, char out[PSY_DATE_MAX]) { psy_date_add(iso, -1, out); }

/* Codes imported from an earlier full ICD-10-CM release and absent from this one end the day before
 * this release starts. */
static psy_status terminate_missing(struct imp *im)
{
    if (!*im->release_effective || !im->order_file) return PSY_OK;
    char end[PSY_DATE_MAX];
    day_before(im->release_effective, end);
    psy_status rc = PSY_OK;
    for (size_t i = 0; !rc && i < im->have_n; i++) {
        struct have *h = &im->have[i];
        if (h->seen || h->sys != PSY_SYS_ICD10CM || !h->imported || h->terminated || !h->effective ||
            strcmp(h->effective, im->release_effective) >= 0)
            continue;
        set_text(im, &h->terminated, end);
        im->stats->terminated++;
        rc = queue_write(im, h, 0);
    }
    if (!rc) rc = flush_writes(im);
    if (rc) snprintf(im->err, im->errlen, "%s: %s", im->path, psy_store_errmsg(im->st));
    return rc;
}

psy_status psy_catalog_import(psy_store *st, psy_import_kind kind, const char *path,
                              const struct psy_import_opts *opts, struct psy_import_stats *stats, char *err,
                              size_t errlen)
{
    static const struct psy_import_opts none = {0};
    struct psy_import_stats dummy;
    struct imp im = {.st = st, .path = path, .err = err, .errlen = errlen, .opts = opts ? opts : &none,
                     .stats = stats ? stats : &dummy};
    memset(im.stats, 0, sizeof *im.stats);
    if (errlen) err[0] = 0;
    if (im.opts->effective) {
        if (!psy_date_iso_valid(im.opts->effective)) return bad(&im, "--effective '%s' is not YYYY-MM-DD", im.opts->effective);
        snprintf(im.release_effective, sizeof im.release_effective, "%s", im.opts->effective);
    } else if (kind == PSY_IMPORT_ICD10CM) {
        guess_release(path, im.release_effective);
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return PSY_EIO;
    }
    struct stat sb;
    long long total = fstat(fileno(f), &sb) == 0 ? (long long)sb.st_size : 0;
    imp_init(&im);
    psy_status rc = psy__store_begin(st);
    enum { UNKNOWN, FIXED, TSV } fmt = UNKNOWN;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    struct rec r = {0};
    long long done = 0;
    while (!rc && (got = getline(&line, &cap, f)) >= 0) {
        im.line++;
        im.stats->lines++;
        done += got;
        size_t n = (size_t)got;
        if (n > LINE_MAX_BYTES) {
            rc = bad(&im, "line is longer than %d bytes; not a code file?", LINE_MAX_BYTES);
            break;
        }
        if (memchr(line, 0, n)) {
            rc = bad(&im, "line contains a NUL byte; the file must be plain text (ASCII or UTF-8), not "
                          "UTF-16 or binary");
            break;
        }
        if (!psy__utf8_valid(line, n)) {
            rc = bad(&im, "line is not valid UTF-8; the file must be plain text in ASCII or UTF-8");
            break;
        }
        if (im.line == 1 && n >= 3 && (unsigned char)line[0] == 0xEF && (unsigned char)line[1] == 0xBB &&
            (unsigned char)line[2] == 0xBF) { /* byte-order mark */
            memmove(line, line + 3, n - 2);
            n -= 3;
        }
        int unterminated = !n || line[n - 1] != '\n'; /* only the last line of a file that was cut short */
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        size_t blank = 0;
        while (blank < n && (line[blank] == ' ' || line[blank] == '\t')) blank++;
        if (blank == n) continue;
        if (kind == PSY_IMPORT_ICD10CM) {
            /* an ICD-10-CM line's end is its title's end: without its line end a title may be cut */
            if (unterminated) {
                rc = bad(&im, "the file ends inside this line (no line end after it); the file was cut short?");
                break;
            }
            rc = icd_line(&im, line, n, &r);
            if (!rc) rc = write_rec(&im, &r);
        } else {
            if (fmt == UNKNOWN) {
                fmt = strchr(line, '\t') ? TSV : FIXED;
                if (fmt == TSV) {
                    rc = tsv_header(&im, line);
                    continue;
                }
            }
            rc = fmt == TSV ? tsv_line(&im, kind, line) : hcpcs_fixed_line(&im, kind, line, n);
        }
        if (im.opts->progress && (im.line & 4095) == 0) im.opts->progress(im.opts->progress_ud, done, total);
    }
    if (!rc && ferror(f)) rc = bad(&im, "read error");
    im.line = 0;
    if (!rc && fmt == FIXED) {
        im.line = im.stats->lines;
        rc = hcpcs_flush(&im, kind);
    }
    if (!rc && flush_writes(&im)) {
        rc = PSY_EDB;
        snprintf(err, errlen, "%s: %s", path, psy_store_errmsg(st));
    }
    if (!rc && im.stats->added + im.stats->updated + im.stats->unchanged == 0)
        rc = bad(&im, "no codes found in the file");
    if (!rc && kind == PSY_IMPORT_ICD10CM) rc = terminate_missing(&im);
    if (!rc && im.opts->progress) im.opts->progress(im.opts->progress_ud, total, total);
    free(line);
    psy__buf_free(&r.long_title);
    psy__buf_free(&im.pending.long_title);
    imp_free(&im);
    fclose(f);
    if (!rc) rc = psy__catalog_touch(st);
    if (!rc) rc = psy__store_commit(st);
    if (rc) {
        psy__store_rollback(st);
        if (err[0] == 0) snprintf(err, errlen, "%s: %s", path, psy_store_errmsg(st));
        memset(im.stats, 0, sizeof *im.stats);
    }
    return rc;
}
