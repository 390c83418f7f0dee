/*
 * ncci_import.c -- imports the official CMS NCCI files into the store: practitioner PTP edits, the
 * practitioner MUE table and the add-on code (AOC) edits. Layouts: docs/importing.md.
 *
 * The one idea: CMS ships each table in several wrappings (text with a copyright preamble, CSV, the
 * spreadsheet saved as tab-separated text, re-packaged exports), so the importer never trusts a column
 * position. It skips lines until it meets a header row naming the columns it needs, maps them by name,
 * and from then on checks every row strictly: a malformed one stops the import with FILE:LINE and the
 * transaction keeps nothing. Rows are upserted by their key, so a newer release, or a second file of
 * the same release (CMS splits PTP into several), adds to what is there.
 *
 * What the table holds is read once before the file (each row's key, and a keyed hash of the rest), and
 * every row of the file is compared with it: a row the store holds as it is, is not written again; a key
 * the store does not hold goes out as a plain multi-row insert (COPY on PostgreSQL); a changed row as a
 * multi-row upsert (psy__batch). A key met again in the file waits for its earlier row to be sent, so the
 * later row wins as it would row by row.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sodium.h>
#include <unistd.h>
#include "psy_db.h"
#include "coding_int.h"
#include "search_int.h"

#define LINE_MAX_BYTES 8192
#define MAX_CELLS 48

/* What a column holds, per table (A, B and IND are required):
 *   PTP: A column 1, B column 2, IND modifier indicator, EFF/DEL dates, RAT rationale
 *   MUE: A code, B units, IND adjudication indicator, RAT rationale, SVC service type
 *   AOC: A add-on code, B primary code, IND edit type, EFF/DEL edit dates */
enum { A, B, IND, EFF, DEL, RAT, SVC, NFIELDS };

static const char *const kind_names[PSY_NCCI_KIND_COUNT] = {"ncci-ptp", "ncci-mue", "ncci-aoc"};
static const char *const short_names[PSY_NCCI_KIND_COUNT] = {"ptp", "mue", "aoc"};

const char *psy_ncci_kind_name(psy_ncci_kind kind)
{
    return (unsigned)kind < PSY_NCCI_KIND_COUNT ? kind_names[kind] : "?";
}

psy_status psy_ncci_kind_parse(const char *name, psy_ncci_kind *out)
{
    for (int k = 0; k < PSY_NCCI_KIND_COUNT; k++)
        if (!strcmp(name, kind_names[k]) || !strcmp(name, short_names[k])) {
            *out = (psy_ncci_kind)k;
            return PSY_OK;
        }
    return PSY_EINVAL;
}

/* --- state --------------------------------------------------------------------------------------- */

struct nimp {
    psy_store *st;
    psy_ncci_kind kind;
    const char *path;
    long line;
    char *err;
    size_t errlen;
    struct psy_ncci_import_stats *stats;
    char release[PSY_DATE_MAX]; /* release date: --effective, else from the file name, else "" */
    char delim;                 /* 0 until the header is found */
    int col[NFIELDS];
    int data_started;
    struct psy__batch put; /* upserts of rows the store holds with other values */
    struct psy__batch add; /* inserts of keys it does not hold */
    /* every key the table holds or the file named: its text in keys (koff[id]), its state in known[id] */
    struct psy__spool keys;
    uint32_t *koff;
    size_t capkoff;
    struct known *known;
    size_t nknown, capknown;
    struct psy__stab tab;
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
    struct psy__buf k, v; /* the row being compared: key and value text */
};

/* One key's state: its value's keyed hash (SipHash, so no file can make a changed row look unchanged),
 * and the batch's flush count + 1 while a row of it waits in add or put. */
struct known {
    uint64_t value;
    size_t added, queued;
};

/* One row in the insert's column order: text, or a number where text is NULL. */
struct edit {
    int n;
    const char *text[6];
    int64_t num[6];
};

static psy_status bad(struct nimp *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static psy_status bad(struct nimp *im, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    psy_status rc = psy__vline_error(im->err, im->errlen, im->path, im->line, fmt, ap);
    va_end(ap);
    return rc;
}

/* --- cells ---------------------------------------------------------------------------------------- */

/* Splits a line in place into cells: tab-separated, or comma-separated with double quotes ("" inside
 * quotes is one quote). Cells are trimmed of blanks. Returns the number of cells. */
static int split_cells(char *s, char delim, char **cell, int max)
{
    int n = 0;
    char *p = s;
    for (;;) {
        while (*p == ' ') p++;
        char *start = p, *w = p;
        if (delim == ',' && *p == '"') {
            p++;
            while (*p) {
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
            while (*p && *p != delim) p++; /* text after the closing quote is dropped */
        } else {
            while (*p && *p != delim) *w++ = *p++;
        }
        char end = *p;
        *w = 0;
        while (w > start && (w[-1] == ' ' || w[-1] == '\r')) *--w = 0;
        if (n < max) cell[n++] = start;
        if (!end) break;
        p++;
    }
    return n;
}

/* Lower-case letters and digits only: "Modifier 0=not allowed" -> "modifier0notallowed". */
static void squash(const char *in, char *out, size_t outlen)
{
    size_t k = 0;
    for (; *in && k + 1 < outlen; in++)
        if (isalnum((unsigned char)*in)) out[k++] = (char)tolower((unsigned char)*in);
    out[k] = 0;
}

static int has(const char *s, const char *part) { return strstr(s, part) != NULL; }
static int starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

/* Which field a header cell names for this table, or -1. */
static int header_field(psy_ncci_kind kind, const char *h)
{
    switch (kind) {
    case PSY_NCCI_PTP:
        if (starts(h, "column1")) return A;
        if (starts(h, "column2")) return B;
        if (starts(h, "modifier")) return IND;
        if (starts(h, "effective")) return EFF;
        if (starts(h, "deletion")) return DEL;
        if (has(h, "rationale")) return RAT;
        return -1;
    case PSY_NCCI_MUE:
        if (starts(h, "hcpcs") || !strcmp(h, "code") || !strcmp(h, "cptcode")) return A;
        if ((has(h, "mue") && (has(h, "value") || has(h, "units"))) || !strcmp(h, "units")) return B;
        if (has(h, "adjudication") || !strcmp(h, "muemai") || !strcmp(h, "mai")) return IND;
        if (has(h, "rationale")) return RAT;
        if (has(h, "service")) return SVC;
        return -1;
    default:
        if (!strcmp(h, "addoncode") || !strcmp(h, "addon")) return A;
        if (!strcmp(h, "primarycode") || !strcmp(h, "primary")) return B;
        if (has(h, "edittype") || !strcmp(h, "type")) return IND;
        if (has(h, "editeff")) return EFF;
        if (has(h, "editdel")) return DEL;
        return -1;
    }
}

/* Tries a line as the header row; 1 when it names every required column. */
static int try_header(struct nimp *im, char *line)
{
    char delim = strchr(line, '\t') ? '\t' : ',';
    char *cell[MAX_CELLS];
    int n = split_cells(line, delim, cell, MAX_CELLS);
    int col[NFIELDS];
    for (int f = 0; f < NFIELDS; f++) col[f] = -1;
    for (int i = 0; i < n; i++) {
        char h[96];
        squash(cell[i], h, sizeof h);
        int f = header_field(im->kind, h);
        if (f >= 0 && col[f] < 0) col[f] = i;
    }
    if (col[A] < 0 || col[B] < 0 || col[IND] < 0) return 0;
    memcpy(im->col, col, sizeof col);
    im->delim = delim;
    return 1;
}

/* CMS text PTP files without a recognisable header: column 1, column 2, pre-1996 flag, effective date,
 * deletion date, modifier indicator, rationale, tab-separated. */
static int try_positional_ptp(struct nimp *im, const char *line)
{
    char copy[LINE_MAX_BYTES * 2];
    snprintf(copy, sizeof copy, "%s", line);
    char *cell[MAX_CELLS];
    int n = split_cells(copy, '\t', cell, MAX_CELLS);
    if (im->kind != PSY_NCCI_PTP || n < 6 || !psy__code_key(cell[0]) || !psy__code_key(cell[1])) return 0;
    static const int pos[NFIELDS] = {0, 1, 5, 3, 4, 6, -1};
    memcpy(im->col, pos, sizeof pos);
    if (n < 7) im->col[RAT] = -1;
    im->delim = '\t';
    return 1;
}

/* A date cell as YYYY-MM-DD into out; "" for none ("", "*"). Accepts YYYY-MM-DD, YYYYMMDD, MM/DD/YYYY.
 * Returns 0 when the cell is not a date. */
static int cell_date(const char *c, char out[PSY_DATE_MAX])
{
    out[0] = 0;
    if (!*c || !strcmp(c, "*")) return 1;
    size_t n = strlen(c);
    if (n == 8) snprintf(out, PSY_DATE_MAX, "%.4s-%.2s-%.2s", c, c + 4, c + 6);
    else if (n == 10 && c[2] == '/' && c[5] == '/') snprintf(out, PSY_DATE_MAX, "%.4s-%.2s-%.2s", c + 6, c, c + 3);
    else if (n == 10) snprintf(out, PSY_DATE_MAX, "%s", c);
    else return 0;
    return psy__date_int(out) != 0 || !strcmp(out, "9999-12-31");
}

/* The first digit of a cell ("3 Date of Service Edit: Clinical" -> 3), or -1. */
static int lead_digit(const char *c)
{
    while (*c == ' ') c++;
    return isdigit((unsigned char)*c) ? *c - '0' : -1;
}

static const char *cell_at(char **cell, int n, int col) { return col >= 0 && col < n ? cell[col] : ""; }

/* --- one row ---------------------------------------------------------------------------------------- */

/* Which columns of the insert are the table's key (bit i: column i), and its SELECT in that order. */
static const unsigned key_columns[PSY_NCCI_KIND_COUNT] = {0x0B, 0x01, 0x03};
static const char *const select_sql[PSY_NCCI_KIND_COUNT] = {
    "SELECT column1, column2, effective, deleted, modifier_indicator, rationale FROM ncci_ptp",
    "SELECT code, units, mai, rationale, effective FROM ncci_mue",
    "SELECT addon, primary_code, edit_type, effective, deleted FROM ncci_aoc"};
static const char *const column_types[PSY_NCCI_KIND_COUNT] = {"ttttnt", "tnntt", "ttntt"};

/* Sets im->k and im->v to the row's key and value text (each column as its length, a colon and its
 * bytes, so no two rows join alike); returns the keyed hash of the value. */
static uint64_t key_and_value(struct nimp *im, const struct edit *e)
{
    im->k.n = im->v.n = 0;
    psy__buf_put(&im->k, "", 0);
    psy__buf_put(&im->v, "", 0);
    for (int i = 0; i < e->n; i++) {
        struct psy__buf *b = key_columns[im->kind] >> i & 1 ? &im->k : &im->v;
        if (e->text[i]) psy__buf_printf(b, "%zu:%s", strlen(e->text[i]), e->text[i]);
        else psy__buf_printf(b, "n%lld", (long long)e->num[i]);
    }
    uint64_t h;
    crypto_shorthash((unsigned char *)&h, (const unsigned char *)im->v.p, im->v.n, im->hash_key);
    return h;
}

/* The id of the key in im->k, or UINT32_MAX; *h gets its hash. */
static uint32_t known_id(struct nimp *im, uint32_t *h)
{
    *h = psy__stab_hash(im->k.p, im->k.n);
    return psy__stab_find(&im->tab, im->keys.p, im->koff, im->k.p, im->k.n, *h);
}

static uint32_t remember(struct nimp *im, uint32_t h, uint64_t value)
{
    struct known *k = PSY__PUSH(im->known, im->nknown, im->capknown);
    memset(k, 0, sizeof *k);
    k->value = value;
    uint32_t id = (uint32_t)(im->nknown - 1);
    if (im->capkoff < im->capknown) { /* koff grows with known */
        im->capkoff = im->capknown;
        im->koff = psy__realloc(im->koff, im->capkoff * sizeof *im->koff);
    }
    im->koff[id] = psy__spool_add(&im->keys, im->k.p, im->k.n);
    psy__stab_put(&im->tab, h, id);
    return id;
}

/* Reads what the table holds: every key, and its value's hash. */
static psy_status load_known(struct nimp *im)
{
    randombytes_buf(im->hash_key, sizeof im->hash_key);
    psy__stmt *s = psy__sql_prepare(im->st, select_sql[im->kind]);
    if (!s) return psy__store_dbfail(im->st, "import");
    const char *types = column_types[im->kind];
    struct edit e = {.n = (int)strlen(types)};
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        for (int i = 0; i < e.n; i++) {
            e.text[i] = types[i] == 't' ? psy__sql_text(s, i) : NULL;
            e.num[i] = types[i] == 't' ? 0 : psy__sql_int64(s, i);
        }
        uint64_t value = key_and_value(im, &e);
        uint32_t h;
        if (known_id(im, &h) == UINT32_MAX) remember(im, h, value);
    }
    psy__sql_finalize(s);
    return r == PSY_SQL_DONE ? PSY_OK : psy__store_dbfail(im->st, "import");
}

/* Compares the row with what the store holds and queues it: nothing when it holds it as it is, an
 * insert when it holds no such key, else an upsert. A key already waiting in a batch sends that batch
 * first: the insert goes before the upsert of the same key, and one upsert statement never names a
 * key twice. */
static psy_status queue(struct nimp *im, const struct edit *e)
{
    uint64_t value = key_and_value(im, e);
    uint32_t h, id = known_id(im, &h);
    struct psy__batch *to = &im->add;
    if (id == UINT32_MAX) {
        id = remember(im, h, value);
        im->known[id].added = im->add.flushes + 1;
        im->stats->added++;
    } else {
        struct known *k = &im->known[id];
        if (k->value == value) {
            im->stats->unchanged++;
            return PSY_OK;
        }
        if (k->added == im->add.flushes + 1 && psy__batch_flush(&im->add)) return PSY_EIO;
        if (k->queued == im->put.flushes + 1 && psy__batch_flush(&im->put)) return PSY_EIO;
        k->value = value;
        k->queued = im->put.flushes + 1;
        im->stats->updated++;
        to = &im->put;
    }
    for (int i = 0; i < e->n; i++)
        if (e->text[i]) psy__batch_text(to, e->text[i]);
        else psy__batch_int64(to, e->num[i]);
    return psy__batch_row(to) ? PSY_EIO : PSY_OK;
}

static psy_status row(struct nimp *im, char *line)
{
    char *cell[MAX_CELLS];
    int n = split_cells(line, im->delim, cell, MAX_CELLS);
    const char *a = cell_at(cell, n, im->col[A]);
    int nonempty = 0;
    for (int i = 0; i < n; i++) nonempty += *cell[i] != 0;
    if (!psy__code_key(a)) {
        /* headings after the header row, and note lines, are passed over; a data row is not */
        if (!im->data_started || nonempty <= 1) {
            im->stats->skipped++;
            return PSY_OK;
        }
        return bad(im, "'%s' is not a procedure code (five letters or digits)", a);
    }
    im->data_started = 1;
    int need = im->col[A] > im->col[B] ? im->col[A] : im->col[B];
    if (im->col[IND] > need) need = im->col[IND];
    if (n <= need) return bad(im, "row has %d columns; the header promised at least %d (truncated?)", n, need + 1);
    const char *b = cell[im->col[B]], *ind = cell[im->col[IND]];
    struct edit e = {0};
    char eff[PSY_DATE_MAX], del[PSY_DATE_MAX];
    if (!cell_date(cell_at(cell, n, im->col[EFF]), eff)) return bad(im, "effective date '%s' is not a date", cell_at(cell, n, im->col[EFF]));
    if (!cell_date(cell_at(cell, n, im->col[DEL]), del)) return bad(im, "deletion date '%s' is not a date", cell_at(cell, n, im->col[DEL]));
    if (!*del) snprintf(del, sizeof del, "9999-12-31");
    int v = lead_digit(ind);
    switch (im->kind) {
    case PSY_NCCI_PTP:
        if (!psy__code_key(b)) return bad(im, "column 2 '%s' is not a procedure code", b);
        if (strlen(ind) != 1 || (v != 0 && v != 1 && v != 9))
            return bad(im, "modifier indicator '%s' is not 0, 1 or 9", ind);
        e = (struct edit){6, {a, b, eff, del, NULL, cell_at(cell, n, im->col[RAT])}, {0, 0, 0, 0, v, 0}};
        break;
    case PSY_NCCI_MUE: {
        char svc[64];
        squash(cell_at(cell, n, im->col[SVC]), svc, sizeof svc);
        if (*svc && !has(svc, "practitioner")) { /* outpatient hospital or DME rows */
            im->stats->skipped++;
            return PSY_OK;
        }
        char *end;
        errno = 0;
        long units = strtol(b, &end, 10);
        if (!*b || *end || errno || units < 0 || units > 100000) return bad(im, "MUE units '%s' is not a whole number", b);
        if (v < 1 || v > 3) return bad(im, "MUE adjudication indicator '%s' does not start with 1, 2 or 3", ind);
        e = (struct edit){5, {a, NULL, NULL, cell_at(cell, n, im->col[RAT]), im->release}, {0, units, v, 0, 0}};
        break;
    }
    default:
        if (!psy__code_key(b) && strcmp(b, "CCCCC") != 0)
            return bad(im, "primary code '%s' is not a procedure code nor CCCCC (any primary)", b);
        if (v < 1 || v > 3) return bad(im, "AOC edit type '%s' is not 1, 2 or 3", ind);
        e = (struct edit){5, {a, b, NULL, eff, del}, {0, 0, v, 0, 0}};
        break;
    }
    if (queue(im, &e)) return bad(im, "%s", psy_store_errmsg(im->st));
    im->stats->rows++;
    return PSY_OK;
}

/* --- driver ------------------------------------------------------------------------------------- */

/* Per table: the upsert's head, one row's values, and its tail (psy__batch). */
static const char *const upsert_sql[PSY_NCCI_KIND_COUNT][3] = {
    {"INSERT INTO ncci_ptp(column1, column2, effective, deleted, modifier_indicator, rationale) VALUES",
     "(?, ?, ?, ?, ?, ?)",
     "ON CONFLICT(column1, column2, deleted) DO UPDATE SET effective = excluded.effective, "
     "modifier_indicator = excluded.modifier_indicator, rationale = excluded.rationale"},
    {"INSERT INTO ncci_mue(code, units, mai, rationale, effective) VALUES", "(?, ?, ?, ?, ?)",
     "ON CONFLICT(code) DO UPDATE SET units = excluded.units, mai = excluded.mai, "
     "rationale = excluded.rationale, effective = excluded.effective"},
    {"INSERT INTO ncci_aoc(addon, primary_code, edit_type, effective, deleted) VALUES", "(?, ?, ?, ?, ?)",
     "ON CONFLICT(addon, primary_code) DO UPDATE SET edit_type = excluded.edit_type, "
     "effective = excluded.effective, deleted = excluded.deleted"},
};

/* The release date from a file name: "..._eff_2024-07-01..." or "..._Eff_07-01-2024...". */
static void release_from_name(const char *path, char out[PSY_DATE_MAX])
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    out[0] = 0;
    for (const char *p = base; strlen(p) >= 10; p++) {
        char d[PSY_DATE_MAX];
        if (p[4] == '-' && p[7] == '-') snprintf(d, sizeof d, "%.10s", p);
        else if (p[2] == '-' && p[5] == '-') snprintf(d, sizeof d, "%.4s-%.2s-%.2s", p + 6, p, p + 3);
        else continue;
        if (psy__date_int(d) && (p == base || !isdigit((unsigned char)p[-1])) && !isdigit((unsigned char)p[10])) {
            snprintf(out, PSY_DATE_MAX, "%s", d);
            return;
        }
    }
}

/* Latin-1 text (older CMS files) re-encoded as UTF-8 into out. */
static void latin1_to_utf8(const char *in, size_t n, char *out, size_t outlen)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 3 < outlen; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c < 0x80) {
            out[k++] = (char)c;
        } else {
            out[k++] = (char)(0xC0 | c >> 6);
            out[k++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out[k] = 0;
}

static psy_status record_release(struct nimp *im)
{
    const char *base = strrchr(im->path, '/');
    base = base ? base + 1 : im->path;
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    psy__stmt *s = psy__db_stmt(im->st,
                                "INSERT INTO ncci_release(kind, file, effective, row_count, imported_at) "
                                "VALUES (?,?,?,?,?) ON CONFLICT(kind, file) DO UPDATE SET "
                                "effective = excluded.effective, row_count = excluded.row_count, "
                                "imported_at = excluded.imported_at",
                                PSY_ARGS(PSY_TEXT(short_names[im->kind]), PSY_TEXT(base), PSY_TEXT(im->release),
                                         PSY_INT(im->stats->rows), PSY_TEXT(now)));
    if (!s) return psy__store_dbfail(im->st, "import");
    int rc = psy__sql_step(s);
    psy__sql_finalize(s);
    return rc == PSY_SQL_DONE ? PSY_OK : psy__store_dbfail(im->st, "import");
}

/* Reads the file line by line into the prepared upsert; the caller owns the transaction. */
static psy_status read_all(struct nimp *im, FILE *f, const struct psy_import_opts *opts, long long total)
{
    char *line = NULL, utf8[LINE_MAX_BYTES * 2];
    size_t cap = 0;
    ssize_t got;
    long long done = 0;
    psy_status rc = PSY_OK;
    while (!rc && (got = getline(&line, &cap, f)) >= 0) {
        im->line++;
        im->stats->lines++;
        done += got;
        size_t n = (size_t)got;
        if (n > LINE_MAX_BYTES) {
            rc = bad(im, "line is longer than %d bytes; not an NCCI file?", LINE_MAX_BYTES);
            break;
        }
        if (memchr(line, 0, n)) {
            rc = bad(im, "line contains a NUL byte; save the file as text (not UTF-16, not a spreadsheet)");
            break;
        }
        char *text = line;
        if (im->line == 1 && n >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) {
            text += 3;
            n -= 3;
        }
        while (n && (text[n - 1] == '\n' || text[n - 1] == '\r')) text[--n] = 0;
        if (!psy__utf8_valid(text, n)) {
            latin1_to_utf8(text, n, utf8, sizeof utf8);
            text = utf8;
        }
        size_t lead = strspn(text, " \t,");
        if (!text[lead]) continue;
        if (!im->delim) {
            char copy[LINE_MAX_BYTES * 2];
            snprintf(copy, sizeof copy, "%s", text);
            if (try_header(im, copy)) {
                im->stats->skipped++;
                continue;
            }
            if (!try_positional_ptp(im, text)) {
                im->stats->skipped++; /* preamble before the header */
                continue;
            }
        }
        rc = row(im, text);
        if (opts->progress && (im->line & 4095) == 0) opts->progress(opts->progress_ud, done, total);
    }
    free(line);
    if (!rc && ferror(f)) rc = bad(im, "read error");
    return rc;
}

/* The release date: --effective, else one in the file name, else "". */
static psy_status release_date(struct nimp *im, const struct psy_import_opts *opts)
{
    if (!opts->effective) {
        release_from_name(im->path, im->release);
        return PSY_OK;
    }
    if (!psy__date_int(opts->effective)) return bad(im, "--effective '%s' is not YYYY-MM-DD", opts->effective);
    snprintf(im->release, sizeof im->release, "%s", opts->effective);
    return PSY_OK;
}

/* Opens the file and reads it into the prepared upsert, inside the caller's transaction. */
static psy_status import_file(struct nimp *im, const struct psy_import_opts *opts)
{
    FILE *f = fopen(im->path, "rb");
    if (!f) {
        snprintf(im->err, im->errlen, "%s: %s", im->path, strerror(errno));
        return PSY_EIO;
    }
    struct stat sb;
    psy_status rc = read_all(im, f, opts, fstat(fileno(f), &sb) == 0 ? (long long)sb.st_size : 0);
    fclose(f);
    return rc;
}

/* Ends the import's transaction: kept when rc is PSY_OK, else nothing of it is (and no counts). */
static psy_status finish(struct nimp *im, psy_status rc)
{
    if (!rc) rc = psy__store_commit(im->st);
    if (!rc) return PSY_OK;
    psy__store_rollback(im->st);
    memset(im->stats, 0, sizeof *im->stats);
    if (im->errlen && !im->err[0]) snprintf(im->err, im->errlen, "%s: %s", im->path, psy_store_errmsg(im->st));
    return rc;
}

psy_status psy_ncci_import(psy_store *st, psy_ncci_kind kind, const char *path, const struct psy_import_opts *opts,
                           struct psy_ncci_import_stats *stats, char *err, size_t errlen)
{
    static const struct psy_import_opts none = {0};
    static const char *const needs[PSY_NCCI_KIND_COUNT] = {
        "Column 1, Column 2 and Modifier (indicator)",
        "HCPCS/CPT Code, MUE Values (units) and MUE Adjudication Indicator",
        "Add-on Code, Primary Code and AOC Edit Type"};
    struct psy_ncci_import_stats dummy;
    struct nimp im = {.st = st, .kind = kind, .path = path, .err = err, .errlen = errlen,
                      .stats = stats ? stats : &dummy};
    if (!opts) opts = &none;
    memset(im.stats, 0, sizeof *im.stats);
    if (errlen) err[0] = 0;
    if ((unsigned)kind >= PSY_NCCI_KIND_COUNT) return bad(&im, "unknown NCCI table");
    psy_status rc = release_date(&im, opts);
    if (rc) return rc;
    if (sodium_init() < 0) return psy__store_fail(st, PSY_EIO, "libsodium cannot start");
    if (access(path, R_OK) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return PSY_EIO;
    }
    psy__batch_init(&im.put, st, upsert_sql[kind][0], upsert_sql[kind][1], upsert_sql[kind][2]);
    psy__batch_init(&im.add, st, upsert_sql[kind][0], upsert_sql[kind][1], NULL);
    rc = psy__store_begin(st);
    if (!rc) rc = load_known(&im);
    if (!rc) rc = import_file(&im, opts);
    /* the inserts first: an upsert may replace a row inserted from earlier in the file */
    if (!rc && (psy__batch_flush(&im.add) || psy__batch_flush(&im.put))) rc = bad(&im, "%s", psy_store_errmsg(st));
    im.line = 0;
    if (!rc && !im.delim) rc = bad(&im, "no header row naming %s; is this the %s file?", needs[kind], kind_names[kind]);
    if (!rc && im.stats->rows == 0) rc = bad(&im, "no edit rows found in the file");
    if (!rc) rc = record_release(&im);
    if (!rc && opts->progress) opts->progress(opts->progress_ud, 1, 1);
    psy__batch_free(&im.put);
    psy__batch_free(&im.add);
    free(im.keys.p);
    free(im.koff);
    free(im.known);
    psy__stab_free(&im.tab);
    psy__buf_free(&im.k);
    psy__buf_free(&im.v);
    return finish(&im, rc);
}
