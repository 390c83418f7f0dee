/*
 * x12.c -- the X12 core shared by every transaction: reading segments from a stream, element and
 * component access, exact money conversion, free text spelled in ASCII (psy_x12_ascii), a writer that
 * refuses unsafe values, and the envelope tracker (ISA/GS/ST nesting, counts, control numbers).
 *
 * The one idea: delimiters are never assumed. Each ISA is read as 106 fixed-width characters and
 * declares the element separator (byte 4), the repetition separator (ISA11), the component separator
 * (ISA16) and the segment terminator (the byte after ISA16); everything until the next ISA is split
 * with those. Input is pulled through a small window (never the whole file) and counted against a cap.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>
#include "x12_int.h"

/* --- input: bytes from a FILE or memory, UTF-16 decoded to UTF-8, counted against the cap -------- */

#define WINDOW 65536
#define ISA_LEN 106

enum { ENC_BYTES = 0, ENC_UTF16LE, ENC_UTF16BE };
enum { IN_EOF = -1, IN_ERR = -2 };

struct psy_x12_reader {
    FILE *f;
    const unsigned char *src; /* window: memory input, or ibuf for a stream */
    size_t src_len, src_pos;
    unsigned char *ibuf;
    size_t max_bytes;
    unsigned long long raw;   /* raw bytes consumed */
    int enc, started, back;   /* back: one pushed-back character, -1 none */
    unsigned char u8[4];
    int u8n, u8i;
    psy_status rc;            /* sticky failure of the input layer */
    struct psy_x12_delims d;
    int have_delims;
    char *seg;
    size_t seg_len, seg_cap;
    const char **els;
    struct psy_x12_segment cur;
    unsigned long number;
    char err[320];
};

static void rfail(psy_x12_reader *r, psy_status rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void rfail(psy_x12_reader *r, psy_status rc, const char *fmt, ...)
{
    if (r->rc) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    r->rc = rc;
}

static int refill(psy_x12_reader *r)
{
    if (!r->f) return 0;
    size_t got = fread(r->ibuf, 1, WINDOW, r->f);
    if (got == 0 && ferror(r->f)) {
        rfail(r, PSY_EIO, "read error after %llu bytes", r->raw);
        return -1;
    }
    r->src = r->ibuf;
    r->src_len = got;
    r->src_pos = 0;
    return got > 0;
}

static int raw_get(psy_x12_reader *r)
{
    if (r->src_pos == r->src_len) {
        int k = refill(r);
        if (k <= 0) return k < 0 ? IN_ERR : IN_EOF;
    }
    if (++r->raw > r->max_bytes) {
        rfail(r, PSY_ETOOBIG, "input is larger than the cap of %zu bytes", r->max_bytes);
        return IN_ERR;
    }
    return r->src[r->src_pos++];
}

/* Looks at the first bytes once: skips a UTF-8 BOM, detects UTF-16 with or without its BOM. */
static void sniff(psy_x12_reader *r)
{
    r->started = 1;
    if (r->f && refill(r) < 0) return;
    const unsigned char *p = r->src + r->src_pos;
    size_t n = r->src_len - r->src_pos;
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
        r->src_pos += 3, r->raw += 3;
    } else if (n >= 2 && p[0] == 0xFF && p[1] == 0xFE) {
        r->enc = ENC_UTF16LE, r->src_pos += 2, r->raw += 2;
    } else if (n >= 2 && p[0] == 0xFE && p[1] == 0xFF) {
        r->enc = ENC_UTF16BE, r->src_pos += 2, r->raw += 2;
    } else if (n >= 2 && p[0] && !p[1]) {
        r->enc = ENC_UTF16LE;
    } else if (n >= 2 && !p[0] && p[1]) {
        r->enc = ENC_UTF16BE;
    }
}

static int utf16_unit(psy_x12_reader *r)
{
    int a = raw_get(r);
    if (a < 0) return a;
    int b = raw_get(r);
    if (b < 0) {
        if (b == IN_EOF) rfail(r, PSY_EPARSE, "input ends in the middle of a UTF-16 character");
        return IN_ERR;
    }
    return r->enc == ENC_UTF16LE ? a | b << 8 : a << 8 | b;
}

static int in_get(psy_x12_reader *r)
{
    if (r->back >= 0) {
        int c = r->back;
        r->back = -1;
        return c;
    }
    if (!r->started) sniff(r);
    if (r->rc) return IN_ERR;
    if (r->enc == ENC_BYTES) return raw_get(r);
    if (r->u8i < r->u8n) return r->u8[r->u8i++];
    int u = utf16_unit(r);
    if (u < 0) return u;
    unsigned long cp = (unsigned long)u;
    if (cp >= 0xD800 && cp < 0xDC00) {
        int lo = utf16_unit(r);
        if (lo == IN_ERR) return IN_ERR;
        cp = lo >= 0xDC00 && lo < 0xE000 ? 0x10000 + ((cp - 0xD800) << 10) + ((unsigned long)lo - 0xDC00) : 0xFFFD;
    } else if (cp >= 0xDC00 && cp < 0xE000) {
        cp = 0xFFFD;
    }
    if (cp < 0x80) return (int)cp;
    r->u8n = r->u8i = 0;
    if (cp < 0x800) {
        r->u8[r->u8n++] = (unsigned char)(0xC0 | cp >> 6);
    } else if (cp < 0x10000) {
        r->u8[r->u8n++] = (unsigned char)(0xE0 | cp >> 12);
        r->u8[r->u8n++] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    } else {
        r->u8[r->u8n++] = (unsigned char)(0xF0 | cp >> 18);
        r->u8[r->u8n++] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
        r->u8[r->u8n++] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    }
    r->u8[r->u8n++] = (unsigned char)(0x80 | (cp & 0x3F));
    return r->u8[r->u8i++];
}

/* --- reader --------------------------------------------------------------------------------- */

static psy_x12_reader *reader_new(size_t max_bytes)
{
    psy_x12_reader *r = psy__calloc(1, sizeof *r);
    r->max_bytes = max_bytes ? max_bytes : PSY_X12_DEFAULT_MAX_INPUT;
    r->back = -1;
    r->seg_cap = 512;
    r->seg = psy__malloc(r->seg_cap);
    r->els = psy__malloc(sizeof *r->els * (PSY_X12_MAX_ELEMENTS + 1));
    return r;
}

psy_x12_reader *psy_x12_reader_file(FILE *f, size_t max_bytes)
{
    psy_x12_reader *r = reader_new(max_bytes);
    r->f = f;
    r->ibuf = psy__malloc(WINDOW);
    return r;
}

psy_x12_reader *psy_x12_reader_mem(const void *data, size_t len, size_t max_bytes)
{
    psy_x12_reader *r = reader_new(max_bytes);
    r->src = data;
    r->src_len = len;
    return r;
}

void psy_x12_reader_free(psy_x12_reader *r)
{
    if (!r) return;
    free(r->ibuf);
    free(r->seg);
    free(r->els);
    free(r);
}

const char *psy_x12_reader_error(const psy_x12_reader *r) { return r->err; }
const struct psy_x12_delims *psy_x12_reader_delims(const psy_x12_reader *r) { return r->have_delims ? &r->d : NULL; }
unsigned long long psy_x12_reader_bytes(const psy_x12_reader *r) { return r->raw; }

static int seg_putc(psy_x12_reader *r, int c)
{
    if (r->seg_len + 2 > r->seg_cap) {
        if (r->seg_cap >= PSY_X12_MAX_SEGMENT) {
            rfail(r, PSY_EPARSE, "segment %lu: longer than %d bytes (is the segment terminator missing?)",
                  r->number, PSY_X12_MAX_SEGMENT);
            return -1;
        }
        r->seg_cap *= 2;
        r->seg = psy__realloc(r->seg, r->seg_cap);
    }
    r->seg[r->seg_len++] = (char)c;
    return 0;
}

static int delim_char_ok(int c) { return c > ' ' && c < 0x7f && !isalnum(c); }

/* Reads the rest of an ISA (the first three characters are in seg) and takes its delimiters. */
static int read_isa(psy_x12_reader *r)
{
    static const int seps[] = {3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103};
    size_t want = ISA_LEN - r->seg_len;
    if (r->enc == ENC_BYTES && r->back < 0 && !r->rc && r->src_len - r->src_pos >= want &&
        r->max_bytes - r->raw >= want && r->seg_cap > ISA_LEN) {
        /* the rest of the ISA is in the window: the same bytes in_get would give one by one */
        memcpy(r->seg + r->seg_len, r->src + r->src_pos, want);
        r->seg_len = ISA_LEN, r->src_pos += want, r->raw += want;
    }
    while (r->seg_len < ISA_LEN) {
        int c = in_get(r);
        if (c == IN_ERR) return -1;
        if (c == IN_EOF) {
            rfail(r, PSY_EPARSE, "segment %lu (ISA): input ends inside the ISA (%d characters expected, %zu read)",
                  r->number, ISA_LEN, r->seg_len);
            return -1;
        }
        seg_putc(r, c);
    }
    char *s = r->seg;
    char el = s[3];
    if (!delim_char_ok((unsigned char)el)) {
        rfail(r, PSY_EPARSE, "segment %lu (ISA): element separator 0x%02x is a letter, digit or space",
              r->number, (unsigned char)el);
        return -1;
    }
    for (size_t i = 1; i < sizeof seps / sizeof seps[0]; i++)
        if (s[seps[i]] != el) {
            rfail(r, PSY_EPARSE,
                  "segment %lu (ISA) element ISA%02zu: not fixed width (element separator '%c' expected at "
                  "character %d)", r->number, i, el, seps[i] + 1);
            return -1;
        }
    char comp = s[104], term = s[105];
    if (!delim_char_ok((unsigned char)comp) || comp == el) {
        rfail(r, PSY_EPARSE, "segment %lu (ISA) element ISA16: component separator 0x%02x is not usable",
              r->number, (unsigned char)comp);
        return -1;
    }
    if (term == '\r') {
        int c = in_get(r);
        if (c == '\n') term = '\n';
        else if (c >= 0) r->back = c;
        else if (c == IN_ERR) return -1;
    } else if (term != '\n' && (!delim_char_ok((unsigned char)term) || term == el || term == comp)) {
        rfail(r, PSY_EPARSE, "segment %lu (ISA): segment terminator 0x%02x is not usable", r->number,
              (unsigned char)term);
        return -1;
    }
    char rep = s[82];
    r->d.element = el;
    r->d.component = comp;
    r->d.segment = term;
    r->d.repetition = delim_char_ok((unsigned char)rep) && rep != el && rep != comp && rep != term ? rep : 0;
    r->have_delims = 1;
    r->seg_len = ISA_LEN - 1; /* drop the terminator */
    return 0;
}

static int is_space(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* An ASCII letter (what isalpha means in the C locale, without its call). */
static int is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

/* Checks the id (the first idn bytes of seg, 2 or 3 letters and digits, a letter first), makes it upper
 * case and fills cur with the n elements in els. */
static int seg_done(psy_x12_reader *r, size_t idn, size_t n)
{
    char *id = r->seg;
    int ok = idn >= 2 && idn <= 3 && is_alpha(id[0]);
    for (size_t i = 0; i < idn; i++) {
        if (!is_alpha(id[i]) && !(id[i] >= '0' && id[i] <= '9')) ok = 0;
        if (id[i] >= 'a' && id[i] <= 'z') id[i] = (char)(id[i] - 'a' + 'A');
    }
    if (!ok) {
        rfail(r, PSY_EPARSE, "segment %lu: '%.8s' is not a segment identifier", r->number, id);
        return -1;
    }
    r->cur.id = id;
    r->cur.el = r->els;
    r->cur.n = n - 1;
    r->cur.number = r->number;
    return 0;
}

/* Splits seg into elements, fills cur. */
static int split(psy_x12_reader *r)
{
    r->seg[r->seg_len] = 0;
    size_t n = 0;
    char *p = r->seg;
    r->els[n++] = p;
    for (; *p; p++) {
        if (*p != r->d.element) continue;
        if (n > PSY_X12_MAX_ELEMENTS) {
            rfail(r, PSY_EPARSE, "segment %lu: more than %d elements", r->number, PSY_X12_MAX_ELEMENTS);
            return -1;
        }
        *p = 0;
        r->els[n++] = p + 1;
    }
    return seg_done(r, strlen(r->seg), n);
}

/* Eight bytes at p as one number, the first byte lowest (one load on a little-endian machine). */
static inline uint64_t load64(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint64_t)u[0] | (uint64_t)u[1] << 8 | (uint64_t)u[2] << 16 | (uint64_t)u[3] << 24 | (uint64_t)u[4] << 32 |
           (uint64_t)u[5] << 40 | (uint64_t)u[6] << 48 | (uint64_t)u[7] << 56;
}

/* c in each of the eight bytes. */
static inline uint64_t bytes_of(unsigned char c) { return 0x0101010101010101ULL * c; }

/* The high bit of each byte of w that is 0, exactly (no carry from one byte into the next). */
static inline uint64_t zero_bytes(uint64_t w)
{
    const uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
    return ~(((w & low7) + low7) | w | low7);
}

/* Reads the next segment at once when it can be read so: single-byte input with its delimiters known,
 * nothing pushed back, the whole segment and its terminator inside the window and the input cap,
 * shorter than seg's room, not an ISA, no NUL, no CR but one right before a '\n' terminator, at most
 * PSY_X12_MAX_ELEMENTS elements. Then memchr finds the terminator, one memcpy copies the segment into
 * seg, and its element separators (and any NUL or CR, which send it the slow way) are found eight bytes
 * at a time; it gives what psy_x12_next's byte-by-byte path would: 1 with cur filled, or -1 with the
 * id's error. Otherwise it returns 0 having consumed only the blanks and empty segments before the
 * segment (as the byte-by-byte path does), and that path reads the segment and gives its errors. */
static int next_fast(psy_x12_reader *r)
{
    if (r->back >= 0 || r->enc != ENC_BYTES || !r->have_delims || !r->started || r->rc) return 0;
    const unsigned char *p = r->src + r->src_pos;
    size_t n = r->src_len - r->src_pos;
    if ((unsigned long long)n > r->max_bytes - r->raw) n = (size_t)(r->max_bytes - r->raw);
    const unsigned char term = (unsigned char)r->d.segment, el = (unsigned char)r->d.element;
    size_t i = 0;
    while (i < n && ((is_space(p[i]) && p[i] != el) || p[i] == term)) i++; /* blank lines, "~~" */
    r->src_pos += i;
    r->raw += i;
    p += i;
    n -= i;
    /* a longer segment goes byte by byte (and grows seg); 8 spare bytes for the word reads below */
    size_t room = n < r->seg_cap - 10 ? n : r->seg_cap - 10;
    const unsigned char *end = memchr(p, term, room);
    if (!end) return 0; /* the terminator is past the window, the cap or seg's room */
    size_t k = (size_t)(end - p), used = k + 1; /* the segment; with its terminator */
    if (term == '\n' && k && p[k - 1] == '\r') k--; /* a CR right before a '\n' terminator ends the line */
    char *s = r->seg;
    const char **els = r->els;
    memcpy(s, p, k);
    memset(s + k, 0, 8); /* the last word's bytes past the segment: read, then masked off */
    /* the separators, NULs and (when '\n' ends segments) CRs, eight bytes at a time */
    const uint64_t sep = bytes_of(el), cr = bytes_of(term == '\n' ? '\r' : 0); /* 0: the NUL test again */
    size_t ne = 1;
    els[0] = s;
    for (size_t b = 0; b < k; b += 8) {
        /* from the input while 8 bytes are there (a load of what memcpy just stored would stall) */
        uint64_t w = b + 8 <= n ? load64((const char *)p + b) : load64(s + b);
        uint64_t keep = k - b >= 8 ? ~0ULL : (1ULL << 8 * (k - b)) - 1; /* the bytes of the segment */
        if ((zero_bytes(w) | zero_bytes(w ^ cr)) & keep) return 0; /* a NUL or another CR */
        for (uint64_t m = zero_bytes(w ^ sep) & keep; m; m &= m - 1) {
            size_t at = b + (size_t)(__builtin_ctzll(m) >> 3);
            if (ne > PSY_X12_MAX_ELEMENTS) return 0; /* too many elements */
            s[at] = 0;
            els[ne++] = s + at + 1;
        }
    }
    if (k >= 3 && (s[0] & 0xDF) == 'I' && (s[1] & 0xDF) == 'S' && (s[2] & 0xDF) == 'A') return 0;
    /* blanks before a terminator are layout (X12 suppresses trailing spaces in values) */
    size_t o = k;
    while (o && (s[o - 1] == ' ' || s[o - 1] == '\t')) o--;
    s[o] = 0;
    r->seg_len = o;
    r->src_pos += used;
    r->raw += used;
    r->number++;
    return seg_done(r, ne > 1 ? (size_t)(els[1] - s) - 1 : o, ne) ? -1 : 1;
}

/* Appends to seg the bytes of the window from the current position up to (not including) the next
 * terminator, NUL or CR, as in_get would deliver them one by one: only for single-byte input with no
 * pushed-back character, and within the input cap and the segment limit (the byte past either goes
 * through raw_get and seg_putc, which refuse it). */
static void seg_run(psy_x12_reader *r, int term)
{
    if (r->back >= 0 || r->enc != ENC_BYTES || r->rc) return;
    const unsigned char *p = r->src + r->src_pos;
    size_t n = r->src_len - r->src_pos;
    if ((unsigned long long)n > r->max_bytes - r->raw) n = (size_t)(r->max_bytes - r->raw);
    size_t k = 0;
    while (k < n && p[k] != (unsigned char)term && p[k] != 0 && p[k] != '\r') k++;
    if (!k) return;
    while (r->seg_len + k + 2 > r->seg_cap && r->seg_cap < PSY_X12_MAX_SEGMENT) {
        r->seg_cap *= 2;
        r->seg = psy__realloc(r->seg, r->seg_cap);
    }
    /* what does not fit is left to seg_putc, which refuses the segment */
    if (r->seg_len + k + 1 > r->seg_cap) k = r->seg_cap - 1 - r->seg_len;
    memcpy(r->seg + r->seg_len, p, k);
    r->seg_len += k;
    r->src_pos += k;
    r->raw += k;
}

psy_status psy_x12_next(psy_x12_reader *r, const struct psy_x12_segment **seg)
{
    *seg = NULL;
    if (r->rc) return r->rc;
    int fast = next_fast(r);
    if (fast) {
        if (fast < 0) return r->rc;
        *seg = &r->cur;
        return PSY_OK;
    }
    int c, term = r->have_delims ? r->d.segment : -1;
    do c = in_get(r);
    while (c >= 0 && ((is_space(c) && c != r->d.element) || c == term)); /* blank lines, indentation, "~~" */
    if (c == IN_EOF) return PSY_OK;
    r->number++;
    r->seg_len = 0;
    int isa = 0;
    for (;; c = in_get(r)) {
        if (c == IN_ERR) return r->rc;
        if (c == IN_EOF || c == term) break;
        if (c == 0) {
            rfail(r, PSY_EPARSE, "segment %lu: NUL byte inside the segment", r->number);
            return r->rc;
        }
        if (c == '\r' && term == '\n') continue;
        if (seg_putc(r, c)) return r->rc;
        if (r->seg_len > 3 && term >= 0) {
            /* inside a segment whose id is read: copy the run of ordinary bytes up to the next byte the
             * loop must look at (the terminator, NUL, CR) straight from the window */
            seg_run(r, term);
            continue;
        }
        if (r->seg_len == 3 && (r->seg[0] & 0xDF) == 'I' && (r->seg[1] & 0xDF) == 'S' && (r->seg[2] & 0xDF) == 'A') {
            /* an ISA declares the delimiters for everything up to the next ISA */
            if (read_isa(r)) return r->rc;
            isa = 1;
            break;
        }
        if (r->seg_len == 3 && !r->have_delims) break;
    }
    if (!isa) {
        if (!r->have_delims) {
            rfail(r, PSY_EPARSE, "segment 1: the input does not start with an ISA segment");
            return r->rc;
        }
        if (c == IN_EOF && term != '\n' && term != '\r') {
            rfail(r, PSY_EPARSE, "segment %lu: input ends before the segment terminator '%c'", r->number, term);
            return r->rc;
        }
        /* blanks before a terminator are layout (X12 suppresses trailing spaces in values) */
        while (r->seg_len && (r->seg[r->seg_len - 1] == ' ' || r->seg[r->seg_len - 1] == '\t')) r->seg_len--;
    }
    if (split(r)) return r->rc;
    *seg = &r->cur;
    return PSY_OK;
}

const char *psy_x12_element(const struct psy_x12_segment *s, size_t i) { return psy__x12_el(s, i); }

size_t psy_x12_component(const char *element, char sep, size_t i, char *out, size_t cap)
{
    const char *p = element;
    if (i > 1) { /* past the (i-1)th separator, NULL when there are fewer */
        size_t k = 1;
        for (; sep && *p; p++)
            if (*p == sep && ++k == i) break;
        p = k == i ? p + 1 : NULL;
    }
    size_t n = 0;
    if (p)
        while (p[n] && p[n] != sep) n++;
    if (cap) {
        size_t k = n < cap - 1 ? n : cap - 1;
        if (k) memcpy(out, p, k);
        out[k] = 0;
    }
    return n;
}

/* --- money ---------------------------------------------------------------------------------- */

void psy_x12_format_cents(long long cents, char *out)
{
    unsigned long long v = cents < 0 ? 0ULL - (unsigned long long)cents : (unsigned long long)cents;
    int k = sprintf(out, "%s%llu", cents < 0 ? "-" : "", v / 100);
    unsigned frac = (unsigned)(v % 100);
    if (frac % 10) sprintf(out + k, ".%02u", frac);
    else if (frac) sprintf(out + k, ".%u", frac / 10);
}

psy_status psy_x12_parse_cents(const char *s, long long *out, const char **why)
{
    return psy_cents_parse(s, out, why);
}

/* --- free text in ASCII ------------------------------------------------------------------------ */

/* The ASCII spelling of a letter or mark the decomposition leaves whole; NULL when none. */
static const char *ascii_of(utf8proc_int32_t c)
{
    static const struct {
        utf8proc_int32_t c;
        const char *s;
    } map[] = {
        {0x00C6, "AE"}, {0x00D0, "D"},  {0x00D8, "O"},  {0x00DE, "TH"}, {0x00DF, "ss"}, {0x00E6, "ae"},
        {0x00F0, "d"},  {0x00F8, "o"},  {0x00FE, "th"}, {0x0110, "D"},  {0x0111, "d"},  {0x0126, "H"},
        {0x0127, "h"},  {0x0131, "i"},  {0x0141, "L"},  {0x0142, "l"},  {0x0152, "OE"}, {0x0153, "oe"},
        {0x0166, "T"},  {0x0167, "t"},  {0x00A0, " "},  {0x2010, "-"},  {0x2011, "-"},  {0x2012, "-"},
        {0x2013, "-"},  {0x2014, "-"},  {0x2018, "'"},  {0x2019, "'"},  {0x201A, "'"},  {0x201C, "\""},
        {0x201D, "\""}, {0x201E, "\""}, {0x2032, "'"},  {0x00B4, "'"},  {0x02BC, "'"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].c == c) return map[i].s;
    return NULL;
}

int psy_x12_ascii(const char *in, char *out, size_t cap)
{
    if (!cap) return -1;
    const unsigned char *u = (const unsigned char *)(in ? in : "");
    int ascii = 1;
    for (const unsigned char *p = u; *p; p++) ascii &= *p < 0x80;
    utf8proc_uint8_t *mapped = NULL;
    if (!ascii && utf8proc_map(u, 0, &mapped,
                               UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE |
                                   UTF8PROC_STRIPMARK) < 0)
        mapped = NULL; /* not UTF-8: each byte outside ASCII is one '?' */
    const unsigned char *p = mapped ? mapped : u;
    size_t k = 0;
    int rc = 0;
    while (*p) {
        utf8proc_int32_t c = *p;
        utf8proc_ssize_t n = 1;
        if (c >= 0x80 && mapped) n = utf8proc_iterate(p, -1, &c);
        if (n < 1) n = 1, c = 0xFFFD;
        p += n;
        char one[2] = {(char)c, 0};
        const char *s = c < 0x80 ? one : mapped ? ascii_of(c) : NULL; /* a byte of text that is not UTF-8 */
        if (!s) s = "?", rc = -1;
        for (; *s; s++) {
            char ch = *s < 0x20 || *s == 0x7f || strchr("*:^~", *s) ? ' ' : *s;
            if (k + 1 >= cap) {
                rc = -1;
                break;
            }
            out[k++] = ch;
        }
    }
    out[k] = 0;
    free(mapped);
    return rc;
}

/* --- writer --------------------------------------------------------------------------------- */

void psy__x12w_init(struct psy__x12w *w, const struct psy_x12_delims *d, int line_breaks)
{
    memset(w, 0, sizeof *w);
    w->d = *d;
    w->line_breaks = line_breaks;
}

void psy__x12w_ctx(struct psy__x12w *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->ctx, sizeof w->ctx, fmt, ap);
    va_end(ap);
}

void psy__x12w_fail(struct psy__x12w *w, const char *field, const char *fmt, ...)
{
    if (w->rc) return;
    int k = snprintf(w->err, sizeof w->err, "%s%s%s: ", w->ctx, *w->ctx ? "." : "", field);
    if (k < 0 || (size_t)k >= sizeof w->err) k = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err + k, sizeof w->err - (size_t)k, fmt, ap);
    va_end(ap);
    w->rc = PSY_EINVAL;
}

/* Index of the first byte of v that X12 cannot carry with delimiters d, or -1 when all are fine. */
static long bad_byte(const struct psy_x12_delims *d, const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p >= 0x7f || *p == (unsigned char)d->element || *p == (unsigned char)d->component ||
            *p == (unsigned char)d->segment || (d->repetition && *p == (unsigned char)d->repetition))
            return (long)(p - (const unsigned char *)v);
    return -1;
}

int psy__x12_value_check(const struct psy_x12_delims *d, const char *field, const char *v, char *err,
                         size_t errlen)
{
    long at = bad_byte(d, v);
    if (at < 0) return 0;
    static const char *const names[] = {"element separator", "component separator", "repetition separator",
                                        "segment terminator"};
    const char seps[4] = {d->element, d->component, d->repetition, d->segment};
    unsigned char c = (unsigned char)v[at];
    for (int k = 0; k < 4; k++)
        if (seps[k] && c == (unsigned char)seps[k]) {
            snprintf(err, errlen, "%s: contains '%c', the %s; X12 cannot carry it inside a value", field, c, names[k]);
            return -1;
        }
    if (c >= 0x80) snprintf(err, errlen, "%s: contains a character outside ASCII; X12 files carry ASCII only", field);
    else snprintf(err, errlen, "%s: contains a control character (0x%02x)", field, c);
    return -1;
}

static void put(struct psy__x12w *w, const char *s, size_t n) { psy__buf_put(&w->out, s, n); }

static void put_upper(struct psy__x12w *w, const char *v)
{
    char tmp[256];
    size_t n = 0;
    for (; *v; v++) {
        tmp[n++] = (char)toupper((unsigned char)*v);
        if (n == sizeof tmp) put(w, tmp, n), n = 0;
    }
    put(w, tmp, n);
}

static int check(struct psy__x12w *w, const char *field, const char *v)
{
    if (bad_byte(&w->d, v) < 0) return 0; /* the usual case: no name to build */
    char name[160];
    snprintf(name, sizeof name, "%s%s%s", w->ctx, *w->ctx ? "." : "", field);
    if (psy__x12_value_check(&w->d, name, v, w->err, sizeof w->err) == 0) return 0;
    w->rc = PSY_EINVAL;
    return -1;
}

static void flush_empty(struct psy__x12w *w)
{
    for (; w->pending_empty; w->pending_empty--) put(w, &w->d.element, 1);
}

void psy__x12w_seg(struct psy__x12w *w, const char *id)
{
    if (w->rc) return;
    w->pending_empty = 0;
    put(w, id, strlen(id));
}

void psy__x12w_el(struct psy__x12w *w, const char *field, const char *value)
{
    if (w->rc) return;
    if (!value || !*value) {
        w->pending_empty++;
        return;
    }
    if (check(w, field, value)) return;
    flush_empty(w);
    put(w, &w->d.element, 1);
    put_upper(w, value);
}

void psy__x12w_fixed(struct psy__x12w *w, const char *field, const char *value, size_t width, int zero_pad)
{
    if (w->rc) return;
    if (!value) value = "";
    size_t n = strlen(value);
    if (n > width) {
        psy__x12w_fail(w, field, "longer than the %zu characters the ISA allows", width);
        return;
    }
    if (check(w, field, value)) return;
    flush_empty(w);
    put(w, &w->d.element, 1);
    for (size_t i = n; zero_pad && i < width; i++) put(w, "0", 1);
    put_upper(w, value);
    for (size_t i = n; !zero_pad && i < width; i++) put(w, " ", 1);
}

/* One element of n parts joined by sep (the component or the repetition separator). */
static void joined(struct psy__x12w *w, const char *field, const char *const *parts, size_t n, char sep)
{
    if (w->rc) return;
    while (n && (!parts[n - 1] || !*parts[n - 1])) n--;
    if (!n) {
        w->pending_empty++;
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (parts[i] && check(w, field, parts[i])) return;
    flush_empty(w);
    put(w, &w->d.element, 1);
    for (size_t i = 0; i < n; i++) {
        if (i) put(w, &sep, 1);
        if (parts[i]) put_upper(w, parts[i]);
    }
}

void psy__x12w_comp(struct psy__x12w *w, const char *field, const char *const *parts, size_t n)
{
    joined(w, field, parts, n, w->d.component);
}

void psy__x12w_rep(struct psy__x12w *w, const char *field, const char *const *values, size_t n)
{
    if (!w->rc && n > 1 && !w->d.repetition) {
        psy__x12w_fail(w, field, "repeated values need a repetition separator");
        return;
    }
    joined(w, field, values, n, w->d.repetition);
}

/* ISA and GS: fixed-width ISA with ISA11 and ISA16 written raw (they are the delimiters themselves). */
void psy__x12w_open(struct psy__x12w *w, const struct psy__x12_envelope *e)
{
    char isa13[16], gs06[16], sep[2][2] = {{w->d.repetition, 0}, {w->d.component, 0}};
    snprintf(isa13, sizeof isa13, "%lu", e->ctl[0]);
    snprintf(gs06, sizeof gs06, "%lu", e->ctl[1]);
    psy__x12w_seg(w, "ISA");
    psy__x12w_fixed(w, "", "00", 2, 0);
    psy__x12w_fixed(w, "", "", 10, 0);
    psy__x12w_fixed(w, "", "00", 2, 0);
    psy__x12w_fixed(w, "", "", 10, 0);
    psy__x12w_fixed(w, "", "ZZ", 2, 0);
    psy__x12w_fixed(w, "submitter.id", e->sender, 15, 0);
    psy__x12w_fixed(w, "", "ZZ", 2, 0);
    psy__x12w_fixed(w, "receiver.id", e->receiver, 15, 0);
    psy__x12w_fixed(w, "date", e->date + 2, 6, 0);
    psy__x12w_fixed(w, "time", e->time, 4, 0);
    put(w, &w->d.element, 1);
    put(w, sep[0], 1);
    psy__x12w_fixed(w, "", "00501", 5, 0);
    psy__x12w_fixed(w, "", isa13, 9, 1);
    psy__x12w_fixed(w, "", "0", 1, 0);
    psy__x12w_fixed(w, "", e->production ? "P" : "T", 1, 0);
    put(w, &w->d.element, 1);
    put(w, sep[1], 1);
    psy__x12w_end(w);

    psy__x12w_seg(w, "GS");
    psy__x12w_el(w, "", e->functional_id);
    psy__x12w_el(w, "submitter.id", e->sender);
    psy__x12w_el(w, "receiver.id", e->receiver);
    psy__x12w_el(w, "date", e->date);
    psy__x12w_el(w, "time", e->time);
    psy__x12w_el(w, "", gs06);
    psy__x12w_el(w, "", "X");
    psy__x12w_el(w, "", e->version);
    psy__x12w_end(w);
}

/* SE (its count taken from the segments since ST), GE and IEA. */
void psy__x12w_close(struct psy__x12w *w, const struct psy__x12_envelope *e, const char *st02)
{
    char count[24], gs06[16], isa13[16];
    w->ctx[0] = 0;
    snprintf(count, sizeof count, "%lu", w->segs + 1);
    snprintf(gs06, sizeof gs06, "%lu", e->ctl[1]);
    snprintf(isa13, sizeof isa13, "%09lu", e->ctl[0]);
    psy__x12w_seg(w, "SE");
    psy__x12w_el(w, "", count);
    psy__x12w_el(w, "", st02);
    psy__x12w_end(w);
    psy__x12w_seg(w, "GE");
    psy__x12w_el(w, "", "1");
    psy__x12w_el(w, "", gs06);
    psy__x12w_end(w);
    psy__x12w_seg(w, "IEA");
    psy__x12w_el(w, "", "1");
    psy__x12w_el(w, "", isa13);
    psy__x12w_end(w);
}

void psy__x12w_end(struct psy__x12w *w)
{
    if (w->rc) return;
    w->pending_empty = 0;
    put(w, &w->d.segment, 1);
    if (w->line_breaks && w->d.segment != '\n') put(w, "\n", 1);
    w->segs++;
}

psy_status psy__x12_delims_for(const struct psy_x12_write_opts *o, struct psy_x12_delims *d, char *err, size_t errlen)
{
    static const struct psy_x12_delims defaults = {'*', ':', '^', '~'};
    *d = o->delims.element ? o->delims : defaults;
    const char c[4] = {d->element, d->component, d->repetition, d->segment};
    for (int i = 0; i < 4; i++) {
        int ok = (c[i] > ' ' && c[i] < 0x7f && !isalnum((unsigned char)c[i])) || (i == 3 && c[i] == '\n');
        for (int k = 0; k < i; k++) ok = ok && c[k] != c[i];
        if (!ok) {
            snprintf(err, errlen, "delimiters: the four delimiters must be distinct punctuation characters");
            return PSY_EINVAL;
        }
    }
    return PSY_OK;
}

psy_status psy__x12_controls(const struct psy_x12_write_opts *o, unsigned long ctl[3], char *err, size_t errlen)
{
    static const char *const names[3] = {"interchange", "group", "transaction"};
    if (!o->next_control) {
        snprintf(err, errlen, "next_control: no source of control numbers");
        return PSY_EINVAL;
    }
    for (int k = 0; k < 3; k++) {
        psy_status rc = o->next_control(o->control_ud, (psy_x12_control)k, &ctl[k]);
        if (rc) {
            snprintf(err, errlen, "control numbers: the %s counter failed (%s)", names[k], psy_strerror(rc));
            return rc;
        }
        if (ctl[k] < 1 || ctl[k] > 999999999UL) {
            snprintf(err, errlen, "control numbers: %s number %lu is outside 1..999999999", names[k], ctl[k]);
            return PSY_EINVAL;
        }
    }
    return PSY_OK;
}

/* --- envelopes ------------------------------------------------------------------------------ */

int psy__x12_copy(char *dst, size_t cap, const char *src)
{
    /* byte by byte: the fields are short, and src is not read past cap */
    for (size_t i = 0; i < cap; i++)
        if (!(dst[i] = src[i])) return 0;
    dst[cap - 1] = 0;
    return -1;
}

/* Unsigned decimal; -1 when s is not 1..18 digits. */
static long long num(const char *s)
{
    long long v = 0;
    size_t n = 0;
    for (; *s; s++, n++) {
        if (*s < '0' || *s > '9' || n >= 18) return -1;
        v = v * 10 + (*s - '0');
    }
    return n ? v : -1;
}

static int msgf(char *msg, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int msgf(char *msg, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
    return -1;
}

static int count_check(const char *el, const char *name, unsigned long counted, const char *what, char *msg,
                       size_t len)
{
    long long v = num(el);
    if (v < 0) return msgf(msg, len, "element %s: '%.20s' is not a count", name, el);
    if ((unsigned long long)v != counted)
        return msgf(msg, len, "element %s: says %lld %s, counted %lu", name, v, what, counted);
    return 0;
}

static int control_check(const char *el, const char *name, const char *opened, const char *opener, char *msg,
                         size_t len)
{
    long long a = num(el), b = num(opened);
    if (a < 0 || a != b)
        return msgf(msg, len, "element %s: control number '%.12s' does not match %s '%.12s'", name, el, opener,
                    opened);
    return 0;
}

int psy__x12_env_step(struct psy__x12_env *e, const struct psy_x12_segment *s, char *msg, size_t len)
{
    const char *id = s->id;
    int bad = 0;
    if (psy__x12_id_is(id, "ISA")) {
        if (e->level) bad = msgf(msg, len, "an ISA while the previous interchange is still open (IEA missing)");
        memset(e->isa13, 0, sizeof e->isa13);
        psy__x12_copy(e->isa12, sizeof e->isa12, psy__x12_el(s, 12));
        if (psy__x12_copy(e->isa13, sizeof e->isa13, psy__x12_el(s, 13)) || num(e->isa13) < 0)
            bad = bad ? bad : msgf(msg, len, "element ISA13: control number is not 9 digits");
        e->level = 1;
        e->groups = 0;
        e->interchanges++;
        return bad;
    }
    if (psy__x12_id_is(id, "IEA")) {
        if (e->level != 1)
            bad = msgf(msg, len, e->level ? "an IEA while a group is still open (GE missing)"
                                          : "an IEA outside an interchange (ISA missing)");
        if (!bad && !(bad = count_check(psy__x12_el(s, 1), "IEA01", e->groups, "groups", msg, len)))
            bad = control_check(psy__x12_el(s, 2), "IEA02", e->isa13, "ISA13", msg, len);
        e->level = 0;
        return bad;
    }
    if (psy__x12_id_is(id, "GS")) {
        if (e->level != 1)
            bad = msgf(msg, len, e->level ? "a GS while the previous group is still open (GE missing)"
                                          : "a GS outside an interchange (ISA missing)");
        psy__x12_copy(e->gs06, sizeof e->gs06, psy__x12_el(s, 6));
        psy__x12_copy(e->gs01, sizeof e->gs01, psy__x12_el(s, 1));
        if (!bad && num(e->gs06) < 0) bad = msgf(msg, len, "element GS06: control number is not 1-9 digits");
        e->level = 2;
        e->groups++;
        e->total_groups++;
        e->sets = 0;
        return bad;
    }
    if (psy__x12_id_is(id, "GE")) {
        if (e->level != 2)
            bad = msgf(msg, len, e->level == 3 ? "a GE while a transaction set is still open (SE missing)"
                                               : "a GE outside a functional group (GS missing)");
        if (!bad && !(bad = count_check(psy__x12_el(s, 1), "GE01", e->sets, "transaction sets", msg, len)))
            bad = control_check(psy__x12_el(s, 2), "GE02", e->gs06, "GS06", msg, len);
        e->level = e->level ? 1 : 0;
        return bad;
    }
    if (psy__x12_id_is(id, "ST")) {
        if (e->level != 2)
            bad = msgf(msg, len, e->level == 3 ? "an ST while the previous set is still open (SE missing)"
                                               : "an ST outside a functional group (GS missing)");
        psy__x12_copy(e->st01, sizeof e->st01, psy__x12_el(s, 1));
        if (psy__x12_copy(e->st02, sizeof e->st02, psy__x12_el(s, 2)) || strlen(e->st02) < 4 || num(e->st02) < 0)
            bad = bad ? bad : msgf(msg, len, "element ST02: control number is not 4-9 digits");
        static const struct { const char *gs, *st; } kinds[] = {{"HC", "837"}, {"HP", "835"}, {"FA", "999"}};
        for (size_t i = 0; !bad && i < sizeof kinds / sizeof kinds[0]; i++)
            if ((!strcmp(e->gs01, kinds[i].gs)) != (!strcmp(e->st01, kinds[i].st)) &&
                (!strcmp(e->gs01, kinds[i].gs) || !strcmp(e->st01, kinds[i].st)))
                bad = msgf(msg, len, "element ST01: transaction set %.3s in a group of kind %s", e->st01, e->gs01);
        e->level = 3;
        e->segs = 1;
        e->sets++;
        e->total_sets++;
        return bad;
    }
    if (psy__x12_id_is(id, "SE")) {
        if (e->level != 3) bad = msgf(msg, len, "an SE outside a transaction set (ST missing)");
        e->segs++;
        if (!bad && !(bad = count_check(psy__x12_el(s, 1), "SE01", e->segs, "segments", msg, len)) &&
            strcmp(psy__x12_el(s, 2), e->st02))
            bad = msgf(msg, len, "element SE02: control number '%.12s' does not match ST02 '%s'", psy__x12_el(s, 2),
                       e->st02);
        e->level = e->level ? 2 : 0;
        return bad;
    }
    if (e->level != 3) return msgf(msg, len, "a %s segment outside a transaction set", id);
    e->segs++;
    return 0;
}

int psy__x12_env_finish(const struct psy__x12_env *e, char *msg, size_t len)
{
    static const char *const open[] = {NULL, "an interchange (IEA missing)", "a functional group (GE missing)",
                                        "a transaction set (SE missing)"};
    if (!e->level) return 0;
    return msgf(msg, len, "the input ends inside %s", open[e->level]);
}

void psy__x12_where(char *out, size_t len, const struct psy_x12_segment *s, const char *msg)
{
    snprintf(out, len, "segment %lu (%s)%s%s", s->number, s->id, strncmp(msg, "element ", 8) ? ": " : " ", msg);
}

int psy__x12_fail(struct psy__x12_step *k, size_t i, const char *fmt, ...)
{
    int n = i ? snprintf(k->msg, k->len, "element %s%02zu: ", k->s->id, i) : 0;
    if (n < 0 || (size_t)n >= k->len) n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->msg + n, k->len - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

int psy__x12_text(struct psy__x12_step *k, size_t i, char *dst, size_t cap, int required)
{
    const char *v = psy__x12_el(k->s, i);
    if (required && !*v) return psy__x12_fail(k, i, "required and missing");
    if (psy__x12_copy(dst, cap, v)) return psy__x12_fail(k, i, "longer than %zu characters", cap - 1);
    return 0;
}
