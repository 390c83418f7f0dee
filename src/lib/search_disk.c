/*
 * search_disk.c -- the search index saved on disk and mapped into memory, so that a process that only
 * asks a few questions (`psyclaim search`, the server's start) does not build it first.
 *
 * The one idea: the index is already position-independent (every string is an offset into a pool, every
 * entry and word an id, every list an offset into one array), so its file is those arrays laid end to end
 * behind a header, and reading it back is pointing each array at its place in the mapping. The header
 * records what the file was built from -- the format version, the catalog generation the store keeps
 * (psy__catalog_generation; every import replaces it) and a fingerprint of the other inputs (the
 * built-in word lists, the dictionary files) -- and a CRC-32 of the header and of the payload. A file
 * whose checks fail is not used, and is replaced: written to a temporary file beside it, then renamed
 * over it, so a reader sees the old file or the new one, whole.
 *
 * The payload is checked with CRC-32 (zlib) rather than a cryptographic hash: it must be checked on every
 * open and a BLAKE2b pass over it costs more than the whole search (docs/benchmarks.md); CRC-32 detects
 * every changed byte and every burst of up to 32 bits, and the file is not a security boundary (whoever
 * can write it can write the database beside it). The payload is read through a small buffer for the
 * check, so only the pages a query touches become resident.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "search_int.h"

#define MAGIC "PSYSRCH\n"
#define FORMAT 2 /* 2: code_key, and the term texts side by side in the pool */
#define ENDIAN_MARK 0x01020304u

/* The arrays of an index, in file order. */
enum {
    S_POOL, S_PRE_POOL, S_DOCS, S_CODE_SORTED, S_CODE_KEY, S_TERM_OFF, S_TERM_LEN, S_TERM_CLASS, S_TERM_IDF, S_POST_OFF,
    S_POST_DOC, S_POST_IMP, S_POST_NAME, S_FWD_NAME, S_FWD_TERM, S_FWD_IMP, S_LEN_FIRST, S_LEN_TERMS,
    S_LEN_MASK, S_CLASS_STEM, S_CLASS_FIRST, S_CLASS_TERMS, S_CLASS_TAB, S_NAME_HASH, S_NAME_DOC, S_PRE_OFF,
    S_PRE_SLOT, S_PRE_TAB, S_LEX_POOL, S_LEX_OFF, S_LEX_TO, S_LEX_TAB, S_DICT_POOL, S_DICT_OFF, S_DICT_TAB,
    S_COUNT
};

struct disk_header {
    char magic[8];
    uint32_t format, endian, header_size, nsect;
    uint64_t payload_size;
    uint32_t payload_crc, header_crc; /* header_crc: of this header with header_crc = 0 */
    char generation[48];              /* the catalog generation, NUL-padded */
    unsigned char fingerprint[32];    /* the other inputs (fingerprint()) */
    /* the scalars of the index */
    uint32_t ndocs, nterms, nclasses, nnames, npre, nslots, lex_n, dict_n;
    uint32_t tab_mask[4], tab_n[4]; /* class_tab, pre_tab, lex.tab, dict.tab */
    float max_boost;
    uint32_t reserved;
    uint64_t npostings, bytes, build_peak;
    uint64_t pool_n, pre_pool_n, lex_pool_n, dict_pool_n;
    struct { uint64_t off, len; } sect[S_COUNT]; /* off: from the start of the payload */
};

/* Where each array of ix lives and how many bytes it holds, from the scalars (len_first must be set
 * for S_LEN_TERMS and S_LEN_MASK). */
static void sections(psy_search *ix, void **ptr[S_COUNT], uint64_t len[S_COUNT])
{
    const uint64_t nt = ix->nterms, nc = ix->nclasses, np = ix->npostings;
    const uint64_t ntypo = ix->len_first ? ix->len_first[PSY__SWORD_MAX + 1] : 0;
#define SEC(i, field, bytes) (ptr[i] = (void **)&(field), len[i] = (bytes))
#define TAB(t) ((t).slot ? ((uint64_t)(t).mask + 1) * sizeof *(t).slot : 0)
    SEC(S_POOL, ix->pool.p, ix->pool.n);
    SEC(S_PRE_POOL, ix->pre_pool.p, ix->pre_pool.n);
    SEC(S_DOCS, ix->docs, (uint64_t)ix->ndocs * sizeof *ix->docs);
    SEC(S_CODE_SORTED, ix->code_sorted, (uint64_t)ix->ndocs * sizeof *ix->code_sorted);
    SEC(S_CODE_KEY, ix->code_key, (uint64_t)ix->ndocs * sizeof *ix->code_key);
    SEC(S_TERM_OFF, ix->term_off, (nt + 1) * sizeof *ix->term_off);
    SEC(S_TERM_LEN, ix->term_len, nt + 1);
    SEC(S_TERM_CLASS, ix->term_class, (nt + 1) * sizeof *ix->term_class);
    SEC(S_TERM_IDF, ix->term_idf, (nt + 1) * sizeof *ix->term_idf);
    SEC(S_POST_OFF, ix->post_off, (nt + 2) * sizeof *ix->post_off);
    SEC(S_POST_DOC, ix->post_doc, np * sizeof *ix->post_doc);
    SEC(S_POST_IMP, ix->post_imp, np * sizeof *ix->post_imp);
    SEC(S_POST_NAME, ix->post_name, np);
    SEC(S_FWD_NAME, ix->fwd_name, np);
    SEC(S_FWD_TERM, ix->fwd_term, np * sizeof *ix->fwd_term);
    SEC(S_FWD_IMP, ix->fwd_imp, np * sizeof *ix->fwd_imp);
    SEC(S_LEN_FIRST, ix->len_first, (PSY__SWORD_MAX + 2) * sizeof *ix->len_first);
    SEC(S_LEN_TERMS, ix->len_terms, ntypo * sizeof *ix->len_terms);
    SEC(S_LEN_MASK, ix->len_mask, ntypo * sizeof *ix->len_mask);
    SEC(S_CLASS_STEM, ix->class_stem, nc * sizeof *ix->class_stem);
    SEC(S_CLASS_FIRST, ix->class_first, (nc + 2) * sizeof *ix->class_first);
    SEC(S_CLASS_TERMS, ix->class_terms, nt * sizeof *ix->class_terms);
    SEC(S_CLASS_TAB, ix->class_tab.slot, TAB(ix->class_tab));
    SEC(S_NAME_HASH, ix->name_hash, (uint64_t)ix->nnames * sizeof *ix->name_hash);
    SEC(S_NAME_DOC, ix->name_doc, (uint64_t)ix->nnames * sizeof *ix->name_doc);
    SEC(S_PRE_OFF, ix->pre_off, (uint64_t)ix->npre * sizeof *ix->pre_off);
    SEC(S_PRE_SLOT, ix->pre_slot, (uint64_t)ix->npre * sizeof *ix->pre_slot);
    SEC(S_PRE_TAB, ix->pre_tab.slot, TAB(ix->pre_tab));
    SEC(S_LEX_POOL, ix->lex.pool.p, ix->lex.pool.n);
    SEC(S_LEX_OFF, ix->lex.off, (uint64_t)ix->lex.n * sizeof *ix->lex.off);
    SEC(S_LEX_TO, ix->lex.to, (uint64_t)ix->lex.n * sizeof *ix->lex.to);
    SEC(S_LEX_TAB, ix->lex.tab.slot, TAB(ix->lex.tab));
    SEC(S_DICT_POOL, ix->dict.pool.p, ix->dict.pool.n);
    SEC(S_DICT_OFF, ix->dict.off, (uint64_t)ix->dict.n * sizeof *ix->dict.off);
    SEC(S_DICT_TAB, ix->dict.tab.slot, TAB(ix->dict.tab));
#undef SEC
#undef TAB
}

static struct psy__stab *const *tabs_of(psy_search *ix, struct psy__stab *t[4])
{
    t[0] = &ix->class_tab;
    t[1] = &ix->pre_tab;
    t[2] = &ix->lex.tab;
    t[3] = &ix->dict.tab;
    return t;
}

/* BLAKE2b of what the index is built from besides the catalog: the format, the built-in word lists and
 * the dictionary files (path, size, modification time) or the PSY_SEARCH_WORDS override. */
static void fingerprint(unsigned char out[32])
{
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, 32);
    uint32_t f = FORMAT;
    crypto_generichash_update(&h, (const unsigned char *)&f, sizeof f);
    static const char *const data[] = {"search/stopwords.txt", "search/synonyms.json", "search/everyday.json"};
    for (size_t i = 0; i < sizeof data / sizeof data[0]; i++) {
        size_t n = 0;
        const char *d = psy_data_get(data[i], &n);
        if (d && !n) n = strlen(d);
        crypto_generichash_update(&h, (const unsigned char *)data[i], strlen(data[i]) + 1);
        if (d) crypto_generichash_update(&h, (const unsigned char *)d, n);
    }
    const char *words = getenv("PSY_SEARCH_WORDS");
    char files[1024];
    snprintf(files, sizeof files, "%s", words ? words : "/usr/share/dict/american-english:/usr/share/dict/british-english");
    crypto_generichash_update(&h, (const unsigned char *)files, strlen(files) + 1);
    for (char *p = strtok(files, ":"); p; p = strtok(NULL, ":")) {
        struct stat sb;
        int64_t v[3] = {-1, -1, -1};
        if (stat(p, &sb) == 0) {
            v[0] = (int64_t)sb.st_size;
            v[1] = (int64_t)sb.st_mtim.tv_sec;
            v[2] = (int64_t)sb.st_mtim.tv_nsec;
        }
        crypto_generichash_update(&h, (const unsigned char *)v, sizeof v);
    }
    crypto_generichash_final(&h, out, 32);
}

static uint32_t crc_of(const void *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    const unsigned char *b = p;
    while (n) {
        uInt k = n > (1u << 30) ? 1u << 30 : (uInt)n;
        c = crc32(c, b, k);
        b += k;
        n -= k;
    }
    return (uint32_t)c;
}

static uint32_t header_crc(const struct disk_header *h)
{
    struct disk_header c = *h;
    c.header_crc = 0;
    return crc_of(&c, sizeof c);
}

static uint64_t align8(uint64_t n) { return (n + 7) & ~(uint64_t)7; }

/* --- the path ---------------------------------------------------------------------------------------- */

int psy_search_index_path(const char *uri, char *buf, size_t cap)
{
    if (!uri || !*uri) uri = psy_store_default_uri();
    int pg = strncmp(uri, "postgres://", 11) == 0 || strncmp(uri, "postgresql://", 13) == 0;
    int n;
    if (!pg) {
        const char *path = strncmp(uri, "sqlite:", 7) == 0 ? uri + 7 : uri;
        if (!*path || strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0) return 0;
        n = snprintf(buf, cap, "%s.search-index", path);
    } else {
        unsigned char h[16];
        char hex[33];
        crypto_generichash(h, sizeof h, (const unsigned char *)uri, strlen(uri), NULL, 0);
        sodium_bin2hex(hex, sizeof hex, h, sizeof h);
        const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME"), *tmp = getenv("TMPDIR");
        char dir[512];
        if (xdg && *xdg == '/') snprintf(dir, sizeof dir, "%s/psyclaim", xdg);
        else if (home && *home == '/') snprintf(dir, sizeof dir, "%s/.cache/psyclaim", home);
        else snprintf(dir, sizeof dir, "%s/psyclaim-%ld", tmp && *tmp == '/' ? tmp : "/tmp", (long)getuid());
        n = snprintf(buf, cap, "%s/search-%s.index", dir, hex);
    }
    return n > 0 && (size_t)n < cap;
}

/* Makes the directory of path (one level, mode 0700) when it is missing. */
static void make_dir_of(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return;
    *slash = 0;
    struct stat sb;
    if (stat(dir, &sb) == 0) return;
    char *up = strrchr(dir, '/');
    if (up && up != dir) {
        *up = 0;
        mkdir(dir, 0700); /* ~/.cache itself may be missing */
        *up = '/';
    }
    mkdir(dir, 0700);
}

/* --- writing ----------------------------------------------------------------------------------------- */

static int write_all(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes ix to path through a temporary file renamed over it. Returns 0 on success. */
static int save(psy_search *ix, const char *path, const char *gen, const unsigned char fp[32])
{
    struct disk_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, 8);
    h.format = FORMAT;
    h.endian = ENDIAN_MARK;
    h.header_size = sizeof h;
    h.nsect = S_COUNT;
    size_t gl = strlen(gen) < sizeof h.generation - 1 ? strlen(gen) : sizeof h.generation - 1;
    memcpy(h.generation, gen, gl);
    memcpy(h.fingerprint, fp, 32);
    h.ndocs = ix->ndocs;
    h.nterms = ix->nterms;
    h.nclasses = ix->nclasses;
    h.nnames = ix->nnames;
    h.npre = ix->npre;
    h.nslots = ix->nslots;
    h.lex_n = ix->lex.n;
    h.dict_n = ix->dict.n;
    struct psy__stab *t[4];
    tabs_of(ix, t);
    for (int i = 0; i < 4; i++) {
        h.tab_mask[i] = t[i]->slot ? t[i]->mask : 0;
        h.tab_n[i] = t[i]->n;
    }
    h.max_boost = ix->max_boost;
    h.npostings = ix->npostings;
    h.bytes = ix->bytes;
    h.build_peak = ix->build_peak;
    h.pool_n = ix->pool.n;
    h.pre_pool_n = ix->pre_pool.n;
    h.lex_pool_n = ix->lex.pool.n;
    h.dict_pool_n = ix->dict.pool.n;
    void **ptr[S_COUNT];
    uint64_t len[S_COUNT], off = 0;
    sections(ix, ptr, len);
    uLong crc = crc32(0L, Z_NULL, 0);
    static const unsigned char zero[8];
    for (int i = 0; i < S_COUNT; i++) {
        h.sect[i].off = off;
        h.sect[i].len = len[i];
        if (len[i]) crc = crc32(crc, *ptr[i], (uInt)len[i]);
        uint64_t pad = align8(len[i]) - len[i];
        if (pad) crc = crc32(crc, zero, (uInt)pad);
        off += align8(len[i]);
    }
    h.payload_size = off;
    h.payload_crc = (uint32_t)crc;
    h.header_crc = header_crc(&h);

    make_dir_of(path);
    char tmp[4200];
    unsigned char r[8];
    char hex[17];
    randombytes_buf(r, sizeof r);
    sodium_bin2hex(hex, sizeof hex, r, sizeof r);
    snprintf(tmp, sizeof tmp, "%s.%s.tmp", path, hex);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    int bad = write_all(fd, &h, sizeof h);
    for (int i = 0; !bad && i < S_COUNT; i++) {
        if (len[i]) bad = write_all(fd, *ptr[i], len[i]);
        uint64_t pad = align8(len[i]) - len[i];
        if (!bad && pad) bad = write_all(fd, zero, pad);
    }
    if (!bad) bad = fsync(fd);
    /* the page cache now holds the file in the large pages the writes made, and a fault maps the whole
     * large page around the byte it reads: drop them (written and synced, they are clean), so that the
     * file is read back one small page at a time (small_pages()) */
    if (!bad) (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    if (close(fd)) bad = -1;
    if (!bad) bad = rename(tmp, path);
    if (bad) unlink(tmp);
    return bad ? -1 : 0;
}

/* --- reading ----------------------------------------------------------------------------------------- */

/* Resident memory of a process that maps the file is the pages it has mapped, and a fault maps every
 * page cache page of the folio it falls in (and fault-around its neighbours, 64 kB): a file read into
 * the page cache in large folios (by a sequential read, with readahead, or by the writes that made it)
 * puts megabytes into the resident size of a query that reads a few hundred bytes of them. Read with
 * readahead off (POSIX_FADV_RANDOM, MADV_RANDOM) the kernel caches the file in single pages instead.
 * This drops what the cache holds of the file (pages mapped by another process stay) and turns
 * readahead off for the payload check that follows, which reads the whole file back in single pages. */
static void small_pages(int fd)
{
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
}

/* Maps the file read-only; NULL when it cannot. A query reads a few scattered lists: no readahead. */
static void *map_file(int fd, size_t len)
{
    void *map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) return NULL;
    (void)madvise(map, len, MADV_RANDOM);
    return map;
}

/* Whether the page cache holds the file in large folios (after another program read it sequentially,
 * say a backup): reads one byte through the mapping, in the middle of the file (where a sequential
 * read's readahead, which starts small, has grown), and counts the pages of the 2 MB around it that
 * are now mapped (/proc/self/pagemap, bit 63). Fault-around alone maps at most 16 (64 kB); a large
 * folio is mapped whole. 0 when it cannot tell. */
static int large_pages(const void *map, size_t len)
{
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0 || len < (size_t)page) return 0;
    size_t npages = len / (size_t)page, mid = npages / 2, first = mid >= 256 ? mid - 256 : 0;
    (void)*((const volatile char *)map + mid * (size_t)page);
    uint64_t e[512];
    size_t n = npages - first < 512 ? npages - first : 512;
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t got = pread(fd, e, n * sizeof *e, (off_t)(((uintptr_t)map / (uintptr_t)page + first) * sizeof *e));
    close(fd);
    size_t present = 0;
    for (size_t i = 0; got > 0 && i < (size_t)got / sizeof *e; i++) present += (size_t)(e[i] >> 63);
    return present > 32;
}

/* Whether to drop the file's large folios now: at most once in ten minutes (the time is the
 * modification time of PATH.verified, moved forward here), because pages that another process (a
 * running server) keeps mapped stay in the cache, large, and each process that finds them would
 * otherwise drop the rest of the file again and read it back from the disk. */
static int evict_due(const char *path)
{
    char sp[4200];
    snprintf(sp, sizeof sp, "%s.verified", path);
    struct stat st;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (stat(sp, &st) != 0 || now.tv_sec - st.st_mtim.tv_sec < 600) return 0;
    return utimensat(AT_FDCWD, sp, NULL, 0) == 0;
}

/* The CRC-32 of fd's bytes [from, from + n), read through a small buffer (nothing stays resident). */
static int crc_file(int fd, uint64_t from, uint64_t n, uint32_t *out)
{
    enum { CHUNK = 1 << 18 };
    unsigned char *buf = malloc(CHUNK);
    if (!buf) return -1;
    uLong crc = crc32(0L, Z_NULL, 0);
    while (n) {
        size_t want = n < CHUNK ? (size_t)n : CHUNK;
        ssize_t got = pread(fd, buf, want, (off_t)from);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            free(buf);
            return -1;
        }
        crc = crc32(crc, buf, (uInt)got);
        from += (uint64_t)got;
        n -= (uint64_t)got;
    }
    free(buf);
    *out = (uint32_t)crc;
    return 0;
}

/* A record that the file, as it is now, passed the payload check: its identity and change time (which
 * any write to it moves forward, and which no call can set back) beside the header's checksums. It
 * lives in PATH.verified; with it the payload is not read again until the file changes. It is written
 * only when the file's change time is older than the clock's tick, so that a write in the same tick as
 * the check cannot leave the change time as recorded. */
struct stamp {
    uint64_t dev, ino, size;
    int64_t ctime_s, ctime_ns, mtime_s, mtime_ns;
    uint32_t header_crc, payload_crc, crc; /* crc: of this record with crc = 0 */
    uint32_t reserved;
};

static void stamp_of(const struct stat *sb, const struct disk_header *h, struct stamp *s)
{
    memset(s, 0, sizeof *s);
    s->dev = (uint64_t)sb->st_dev;
    s->ino = (uint64_t)sb->st_ino;
    s->size = (uint64_t)sb->st_size;
    s->ctime_s = (int64_t)sb->st_ctim.tv_sec;
    s->ctime_ns = (int64_t)sb->st_ctim.tv_nsec;
    s->mtime_s = (int64_t)sb->st_mtim.tv_sec;
    s->mtime_ns = (int64_t)sb->st_mtim.tv_nsec;
    s->header_crc = h->header_crc;
    s->payload_crc = h->payload_crc;
    s->crc = crc_of(s, sizeof *s);
}

static int stamp_holds(const char *path, const struct stat *sb, const struct disk_header *h)
{
    char sp[4200];
    snprintf(sp, sizeof sp, "%s.verified", path);
    int fd = open(sp, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    struct stamp have, want;
    ssize_t n = read(fd, &have, sizeof have);
    close(fd);
    stamp_of(sb, h, &want);
    return n == (ssize_t)sizeof have && memcmp(&have, &want, sizeof have) == 0;
}

static void stamp_write(const char *path, const struct stat *sb, const struct disk_header *h)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    double age = (double)(now.tv_sec - sb->st_ctim.tv_sec) + (double)(now.tv_nsec - sb->st_ctim.tv_nsec) / 1e9;
    if (age < 0.1) return; /* the next open checks the payload again and records it then */
    struct stamp s;
    stamp_of(sb, h, &s);
    char sp[4200], tmp[4300];
    unsigned char r[8];
    char hex[17];
    randombytes_buf(r, sizeof r);
    sodium_bin2hex(hex, sizeof hex, r, sizeof r);
    snprintf(sp, sizeof sp, "%s.verified", path);
    snprintf(tmp, sizeof tmp, "%s.%s.tmp", sp, hex);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return;
    int bad = write_all(fd, &s, sizeof s);
    if (close(fd)) bad = -1;
    if (!bad) bad = rename(tmp, sp);
    if (bad) unlink(tmp);
}

/* The index in path when it is whole and for (gen, fp); NULL otherwise. */
static psy_search *load(const char *path, const char *gen, const unsigned char fp[32])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct disk_header h;
    struct stat sb;
    psy_search *ix = NULL;
    uint32_t crc;
    if (fstat(fd, &sb) || (uint64_t)sb.st_size < sizeof h || pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h ||
        memcmp(h.magic, MAGIC, 8) != 0 || h.format != FORMAT || h.endian != ENDIAN_MARK ||
        h.header_size != sizeof h || h.nsect != S_COUNT || header_crc(&h) != h.header_crc ||
        h.payload_size != (uint64_t)sb.st_size - sizeof h || memchr(h.generation, 0, sizeof h.generation) == NULL ||
        strcmp(h.generation, gen) != 0 || memcmp(h.fingerprint, fp, 32) != 0) {
        close(fd);
        return NULL;
    }
    int checked = !stamp_holds(path, &sb, &h);
    if (checked) {
        small_pages(fd);
        if (crc_file(fd, sizeof h, h.payload_size, &crc) || crc != h.payload_crc) {
            close(fd);
            return NULL;
        }
        stamp_write(path, &sb, &h);
    }
    void *map = map_file(fd, (size_t)sb.st_size);
    if (map && !checked && large_pages(map, (size_t)sb.st_size) && evict_due(path)) {
        munmap(map, (size_t)sb.st_size);
        small_pages(fd);
        map = map_file(fd, (size_t)sb.st_size);
    }
    close(fd);
    if (!map) return NULL;
    ix = psy__calloc(1, sizeof *ix);
    pthread_mutex_init(&ix->lock, NULL);
    ix->map = map;
    ix->map_len = (size_t)sb.st_size;
    ix->ndocs = h.ndocs;
    ix->nterms = h.nterms;
    ix->nclasses = h.nclasses;
    ix->nnames = h.nnames;
    ix->npre = h.npre;
    ix->nslots = h.nslots;
    ix->lex.n = h.lex_n;
    ix->dict.n = h.dict_n;
    ix->max_boost = h.max_boost;
    ix->npostings = (size_t)h.npostings;
    ix->bytes = (size_t)h.bytes;
    ix->build_peak = (size_t)h.build_peak;
    ix->pool.n = ix->pool.cap = (size_t)h.pool_n;
    ix->pre_pool.n = ix->pre_pool.cap = (size_t)h.pre_pool_n;
    ix->lex.pool.n = ix->lex.pool.cap = (size_t)h.lex_pool_n;
    ix->dict.pool.n = ix->dict.pool.cap = (size_t)h.dict_pool_n;
    struct psy__stab *t[4];
    tabs_of(ix, t);
    const char *base = (const char *)map + sizeof h;
    /* the sections in file order: len_first comes before the arrays whose length it gives */
    int ok = 1;
    for (int i = 0; ok && i < S_COUNT; i++) {
        int tab = i == S_CLASS_TAB ? 0 : i == S_PRE_TAB ? 1 : i == S_LEX_TAB ? 2 : i == S_DICT_TAB ? 3 : -1;
        if (tab >= 0) {
            t[tab]->mask = h.tab_mask[tab];
            t[tab]->n = h.tab_n[tab];
            /* sections() sizes a table from its mask only when it has slots */
            t[tab]->slot = h.sect[i].len ? (uint64_t *)(void *)(base + h.sect[i].off) : NULL;
        }
        void **ptr[S_COUNT];
        uint64_t len[S_COUNT];
        sections(ix, ptr, len);
        ok = h.sect[i].len == len[i] && h.sect[i].off % 8 == 0 && h.sect[i].off <= h.payload_size &&
             len[i] <= h.payload_size - h.sect[i].off;
        if (ok && tab < 0) *ptr[i] = (void *)(base + h.sect[i].off);
    }
    ix->answers = ok ? psy__calloc(ix->nslots ? ix->nslots : 1, sizeof *ix->answers) : NULL;
    if (!ok) {
        psy_search_free(ix);
        return NULL;
    }
    return ix;
}

void psy__search_unmap(psy_search *ix)
{
    if (!ix->map) return;
    void **ptr[S_COUNT];
    uint64_t len[S_COUNT];
    sections(ix, ptr, len); /* reads len_first, in the mapping */
    for (int i = 0; i < S_COUNT; i++) *ptr[i] = NULL;
    munmap(ix->map, ix->map_len);
    ix->map = NULL;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

psy_status psy_search_open(psy_store *st, const char *uri, psy_search **out)
{
    *out = NULL;
    double t0 = now_ms();
    char path[4096], gen[64];
    const char *off = getenv("PSYCLAIM_SEARCH_INDEX_FILE");
    if ((off && strcmp(off, "off") == 0) || sodium_init() < 0 || !psy_search_index_path(uri, path, sizeof path) ||
        psy__catalog_generation(st, gen, sizeof gen) != PSY_OK)
        return psy_search_build(st, out);
    unsigned char fp[32];
    fingerprint(fp);
    psy_search *ix = load(path, gen, fp);
    if (ix) {
        ix->build_ms = now_ms() - t0;
        *out = ix;
        return PSY_OK;
    }
    psy_status rc = psy_search_build(st, &ix);
    if (rc) return rc;
    /* the catalog may have changed while the index was built: then the file would be stale at once */
    char after[64];
    if (psy__catalog_generation(st, after, sizeof after) == PSY_OK && strcmp(after, gen) == 0)
        (void)save(ix, path, gen, fp);
    *out = ix;
    return PSY_OK;
}
