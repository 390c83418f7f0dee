/* test_x12_read.c -- the X12 segment reader's one-pass path (a segment that lies whole in the input
 * window) against its byte-by-byte path, on the edges where they could part: line ends of every kind,
 * a terminator missing at the end, NUL bytes, CRs inside segments, separators, segments past the
 * reader's first buffer and past the limit, too many elements, terminators at the stream's window
 * boundaries; and the 835's duplicate-remittance hash over the same edges.
 *
 * The byte-by-byte path is reached without any switch in the library: UTF-16 input always takes it
 * (each character is decoded first), so the same interchange written as UTF-16LE must give the very
 * same segments, errors and hashes as its bytes read from memory and from a stream. */
#include "support.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYNTHETIC_835 PSY_SOURCE_DIR "/tests/data/x12/835-two-interchanges.x12"

/* A growing text buffer. */
struct text {
    char *p;
    size_t n, cap;
};

static void put(struct text *t, const char *s, size_t n)
{
    if (t->n + n + 1 > t->cap) {
        t->cap = (t->n + n + 1) * 2;
        t->p = realloc(t->p, t->cap);
        assert_non_null(t->p);
    }
    memcpy(t->p + t->n, s, n);
    t->n += n;
    t->p[t->n] = 0;
}

static void puts_(struct text *t, const char *s) { put(t, s, strlen(s)); }

/* The bytes as UTF-16LE (every test input is ASCII, NUL included). */
static char *utf16(const char *s, size_t n)
{
    char *u = malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++) u[2 * i] = s[i], u[2 * i + 1] = 0;
    return u;
}

enum how { MEM, STREAM, UTF16 };

static psy_x12_reader *open_as(enum how how, const char *s, size_t n, FILE **f, char **tmp)
{
    *f = NULL, *tmp = NULL;
    if (how == UTF16) {
        *tmp = utf16(s, n);
        return psy_x12_reader_mem(*tmp, 2 * n, 0);
    }
    if (how == STREAM) {
        *f = tmpfile();
        assert_non_null(*f);
        assert_int_equal(fwrite(s, 1, n, *f), n);
        rewind(*f);
        return psy_x12_reader_file(*f, 0);
    }
    return psy_x12_reader_mem(s, n, 0);
}

static void close_as(psy_x12_reader *r, FILE *f, char *tmp)
{
    psy_x12_reader_free(r);
    if (f) fclose(f);
    free(tmp);
}

/* Everything psy_x12_next gives for the input, as text: each segment's number, id and elements, then the
 * status and error that ended it. */
static char *segments(enum how how, const char *s, size_t n)
{
    FILE *f;
    char *tmp, line[64];
    psy_x12_reader *r = open_as(how, s, n, &f, &tmp);
    struct text t = {0};
    const struct psy_x12_segment *seg;
    psy_status rc;
    while (!(rc = psy_x12_next(r, &seg)) && seg) {
        snprintf(line, sizeof line, "%lu %s", seg->number, seg->id);
        puts_(&t, line);
        for (size_t i = 1; i <= seg->n; i++) {
            puts_(&t, "|");
            puts_(&t, seg->el[i]);
        }
        puts_(&t, "\n");
    }
    snprintf(line, sizeof line, "rc %d: ", (int)rc);
    puts_(&t, line);
    puts_(&t, psy_x12_reader_error(r));
    close_as(r, f, tmp);
    return t.p;
}

static psy_status hashes_of(void *ud, struct psy_era_payment *p)
{
    struct text *t = ud;
    puts_(t, p->content_hash);
    for (size_t i = 0; i < p->n_claims; i++) {
        puts_(t, " ");
        puts_(t, p->claims[i].claim_id);
    }
    puts_(t, "\n");
    psy_era_payment_free(p);
    return PSY_OK;
}

/* What the 835 reader gives: each payment's hash and claim ids, then the error (strict reading, or
 * lenient). */
static char *payments(enum how how, const char *s, size_t n, int lenient)
{
    FILE *f;
    char *tmp, err[300] = "", line[32];
    psy_x12_reader *r = open_as(how, s, n, &f, &tmp);
    struct text t = {0};
    puts_(&t, "");
    psy_status rc = lenient ? psy_x12_835_read_lenient(r, hashes_of, &t, err, sizeof err)
                            : psy_x12_835_read(r, hashes_of, &t, err, sizeof err);
    snprintf(line, sizeof line, "rc %d: ", (int)rc);
    puts_(&t, line);
    puts_(&t, err);
    close_as(r, f, tmp);
    return t.p;
}

/* The input read from memory, from a stream and as UTF-16 gives the same segments, the same errors and
 * the same payments; returns the memory reading's segments and payments (free them). */
static void same_three_ways(const char *name, const char *s, size_t n, char **segs, char **pays)
{
    char *a = segments(MEM, s, n), *b = segments(STREAM, s, n), *c = segments(UTF16, s, n);
    if (strcmp(a, b) || strcmp(a, c)) fprintf(stderr, "%s: the segments differ\n", name);
    assert_string_equal(a, b);
    assert_string_equal(a, c);
    free(b), free(c);
    for (int lenient = 0; lenient < 2; lenient++) {
        char *p = payments(MEM, s, n, lenient), *q = payments(STREAM, s, n, lenient);
        char *u = payments(UTF16, s, n, lenient);
        if (strcmp(p, q) || strcmp(p, u)) fprintf(stderr, "%s: the payments differ\n", name);
        assert_string_equal(p, q);
        assert_string_equal(p, u);
        free(q), free(u);
        if (!lenient && pays) *pays = p;
        else free(p);
    }
    if (segs) *segs = a;
    else free(a);
}

/* The synthetic 835 with every "~\n" replaced by end (its ISA's terminator byte included). */
static char *with_line_ends(const char *base, const char *end, size_t *len)
{
    struct text t = {0};
    for (const char *p = base; *p; p++) {
        if (p[0] == '~' && p[1] == '\n') {
            puts_(&t, end);
            p++;
        } else {
            put(&t, p, 1);
        }
    }
    *len = t.n;
    return t.p;
}

/* base with the first occurrence of from replaced by to. */
static char *replaced(const char *base, const char *from, const char *to, size_t *len)
{
    const char *at = strstr(base, from);
    assert_non_null(at);
    struct text t = {0};
    put(&t, base, (size_t)(at - base));
    puts_(&t, to);
    puts_(&t, at + strlen(from));
    *len = t.n;
    return t.p;
}

/* The payments part of a payments() text: its lines before "rc". */
static void assert_ok_payments(const char *name, const char *pays, size_t expect)
{
    size_t lines = 0;
    for (const char *p = pays; *p && strncmp(p, "rc ", 3); p = strchr(p, '\n') + 1) lines++;
    if (lines != expect || !strstr(pays, "rc 0: ")) fprintf(stderr, "%s: %s\n", name, pays);
    assert_int_equal(lines, expect);
    assert_non_null(strstr(pays, "rc 0: "));
}

/* CR, LF, CRLF after the terminator, no line ends, the line end itself as the terminator ('\n', CR LF
 * read as '\n', a lone CR): the same segments whichever way they are read, and the same hash (the
 * duplicate-remittance check knows a file re-sent with other line ends). */
static void test_line_ends_same_hash(void **state)
{
    (void)state;
    size_t n;
    char *base = test_read_file(SYNTHETIC_835, &n);
    static const char *const ends[] = {"~\n", "~", "~\r\n", "~\r", "\n", "\r\n", "\r", "~\n\n  \t\n", "~~\n"};
    char *first = NULL;
    for (size_t i = 0; i < sizeof ends / sizeof *ends; i++) {
        size_t len;
        char *v = with_line_ends(base, ends[i], &len), *pays;
        same_three_ways(ends[i], v, len, NULL, &pays);
        assert_ok_payments(ends[i], pays, 2);
        if (!first) first = pays;
        else assert_string_equal(pays, first), free(pays);
        free(v);
    }
    /* the same content with other component and repetition separators (ISA11, ISA16) hashes the same */
    size_t len;
    char *v = with_line_ends(base, "~\n", &len), *pays;
    for (char *p = v; *p; p++) *p = *p == ':' ? '>' : *p == '^' ? '{' : *p;
    same_three_ways("other separators", v, len, NULL, &pays);
    assert_string_equal(pays, first);
    free(pays), free(v);
    /* an interchange without a repetition separator (ISA11 U, as before 5010) hashes the same */
    v = replaced(base, "*^*00501*", "*U*00501*", &len);
    same_three_ways("no repetition separator", v, len, NULL, &pays);
    assert_string_equal(pays, first);
    free(pays), free(v);
    /* trailing blanks of an element are layout: the claim id changes, the hash does not */
    v = replaced(base, "CLP*PC0001*", "CLP*PC0001  *", &len);
    same_three_ways("trailing blanks", v, len, NULL, &pays);
    assert_non_null(strstr(pays, "PC0001  "));
    assert_memory_equal(pays, first, 64);
    free(pays), free(v);
    /* ... and trailing empty elements too */
    v = replaced(base, "CAS*CO*45*30~", "CAS*CO*45*30****~", &len);
    same_three_ways("trailing empty elements", v, len, NULL, &pays);
    assert_string_equal(pays, first);
    free(pays), free(v);
    /* while a changed amount changes it */
    v = replaced(base, "CAS*CO*45*30~", "CAS*CO*45*31~", &len);
    same_three_ways("changed amount", v, len, NULL, &pays);
    assert_memory_not_equal(pays, first, 64);
    free(pays), free(v);
    free(first), free(base);
}

/* The input's edges, each read three ways with the same result; the errors name the segment. */
static void test_edges_same_three_ways(void **state)
{
    (void)state;
    size_t n;
    char *base = test_read_file(SYNTHETIC_835, &n);
    char *flat = with_line_ends(base, "~", &n);
    struct text long600 = {0}, long_limit = {0}, over_limit = {0}, el256 = {0}, el257 = {0};
    puts_(&long600, "N3*");
    puts_(&long_limit, "N3*");
    puts_(&over_limit, "N3*");
    for (int i = 0; i < 600; i++) puts_(&long600, "A");
    for (int i = 0; i < PSY_X12_MAX_SEGMENT - 1 - 3; i++) puts_(&long_limit, "B"); /* the longest segment kept */
    for (int i = 0; i < PSY_X12_MAX_SEGMENT + 10; i++) puts_(&over_limit, "C");
    puts_(&el256, "N3");
    puts_(&el257, "N3");
    for (int i = 0; i < PSY_X12_MAX_ELEMENTS; i++) puts_(&el256, "*X");
    for (int i = 0; i <= PSY_X12_MAX_ELEMENTS; i++) puts_(&el257, "*X");
    puts_(&long600, "~");
    puts_(&long_limit, "~");
    puts_(&over_limit, "~");
    puts_(&el256, "~");
    puts_(&el257, "~");
    static const char nul_in[] = "CLP*PC0\0001*";
    struct {
        const char *name, *from, *to;
        size_t to_len;     /* 0: strlen(to) */
        const char *error; /* NULL: the file reads without error */
    } cases[] = {
        {"NUL inside a segment", "CLP*PC0001*", nul_in, sizeof nul_in - 1, "segment 13: NUL byte inside the segment"},
        {"NUL before a segment", "~CLP*PC0001*", "~\0CLP*PC0001*", 13, "segment 13: NUL byte inside the segment"},
        {"CR inside a segment is data", "N3*1 PAYER WAY~", "N3*1 PAYER\rWAY~", 0, NULL},
        {"blanks before the terminator", "N3*1 PAYER WAY~", "N3*1 PAYER WAY  \t ~", 0, NULL},
        {"empty segments and blank lines", "~CLP*PC0001*", "~~ \n\t~CLP*PC0001*", 0, NULL},
        {"lower-case ids", "~CLP*PC0001*", "~clp*PC0001*", 0, NULL},
        {"not an id", "~CLP*PC0001*", "~3LP*PC0001*", 0, "segment 13: '3LP' is not a segment identifier"},
        {"id too long", "~CLP*PC0001*", "~CLPX*PC0001*", 0, "segment 13: 'CLPX' is not a segment identifier"},
        {"empty id", "~CLP*PC0001*", "~*PC0001*", 0, "segment 13: '' is not a segment identifier"},
        {"repetition and component separators", "N3*1 PAYER WAY~", "N3*1^PAYER:WAY*A^B:C~", 0, NULL},
        {"a segment past the first buffer", "N3*1 PAYER WAY~", long600.p, 0, NULL},
        {"the longest segment", "N3*1 PAYER WAY~", long_limit.p, 0, NULL},
        {"a segment over the limit", "N3*1 PAYER WAY~", over_limit.p, 0,
         "segment 8: longer than 65536 bytes (is the segment terminator missing?)"},
        {"the most elements", "N3*1 PAYER WAY~", el256.p, 0, NULL},
        {"one element too many", "N3*1 PAYER WAY~", el257.p, 0, "segment 8: more than 256 elements"},
        {"an ISA inside", "~CLP*PC0001*", "~isa*CLP*PC0001*", 0, "segment 13 (ISA)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *at = strstr(flat, cases[i].from);
        assert_non_null(at);
        size_t to_len = cases[i].to_len ? cases[i].to_len : strlen(cases[i].to), len;
        struct text t = {0};
        put(&t, flat, (size_t)(at - flat));
        put(&t, cases[i].to, to_len);
        puts_(&t, at + strlen(cases[i].from));
        len = t.n;
        char *segs, *pays;
        same_three_ways(cases[i].name, t.p, len, &segs, &pays);
        if (cases[i].error) {
            if (!strstr(segs, cases[i].error) && !strstr(pays, cases[i].error))
                fprintf(stderr, "%s:\n%s\n%s\n", cases[i].name, strrchr(segs, '\n'), pays);
            assert_true(strstr(segs, cases[i].error) || strstr(pays, cases[i].error));
        } else {
            assert_ok_payments(cases[i].name, pays, 2);
        }
        free(segs), free(pays), free(t.p);
    }
    /* the input ends without the last terminator: an error for '~', the end of the last line for '\n' */
    char *segs, *pays, *second = strstr(flat, "ISA|");
    assert_non_null(second);
    same_three_ways("no terminator at the end", flat, (size_t)(second - flat) - 1, &segs, &pays);
    assert_non_null(strstr(segs, "segment 37: input ends before the segment terminator '~'"));
    free(segs), free(pays);
    same_three_ways("no line end at the end", flat, strlen(flat) - 1, &segs, &pays);
    assert_ok_payments("no line end at the end", pays, 2);
    free(segs), free(pays);
    free(long600.p), free(long_limit.p), free(over_limit.p), free(el256.p), free(el257.p);
    free(flat), free(base);
}

/* A stream is read through a window of 64 KB: blank lines before the transaction move its segments
 * across the window's end one byte at a time, so that every byte of them, the terminators among them,
 * falls at the last byte of the window, at the first of the next, and around them. The segments (but
 * their numbers' text, which blank lines do not change) and the payments' hashes stay those of the
 * unpadded file read from memory. */
static void test_stream_window_edges(void **state)
{
    (void)state;
    size_t n;
    char *base = test_read_file(SYNTHETIC_835, &n);
    char *want_segs, *want_pays;
    same_three_ways("unpadded", base, n, &want_segs, &want_pays);
    const char *after_isa = strchr(base, '\n') + 1; /* the ISA ends at byte 107 */
    size_t isa = (size_t)(after_isa - base);
    for (size_t shift = 0; shift < 200; shift += 1) {
        size_t pad = 65536 - isa - 100 + shift, len = n + pad;
        char *v = malloc(len + 1);
        memcpy(v, base, isa);
        memset(v + isa, '\n', pad);
        memcpy(v + isa + pad, after_isa, n - isa + 1);
        char *segs = segments(STREAM, v, len), *pays = payments(STREAM, v, len, 0);
        assert_string_equal(segs, want_segs);
        assert_string_equal(pays, want_pays);
        free(segs), free(pays);
        if (shift % 50 == 0) { /* the padded file read every way, now and then (UTF-16 is slow) */
            same_three_ways("padded", v, len, &segs, &pays);
            assert_string_equal(segs, want_segs);
            free(segs), free(pays);
        }
        free(v);
    }
    free(want_segs), free(want_pays), free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_ends_same_hash),
        cmocka_unit_test(test_edges_same_three_ways),
        cmocka_unit_test(test_stream_window_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
