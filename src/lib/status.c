/*
 * status.c -- the library's version, status names, and access to the built-in data files that the
 * build compiled in (tools/embed.c writes the table; names are paths under data/).
 */
#include <string.h>
#include "psy_int.h"

struct psy__embedded_file {
    const char *name;
    const unsigned char *data;
    size_t size;
    unsigned long long hash; /* FNV-1a of the bytes (psy__hash64), computed by the build */
};
extern const struct psy__embedded_file psy__embedded_files[];
extern const size_t psy__embedded_count;

const char *psy_version(void) { return PSY_VERSION; }

const char *psy_strerror(psy_status st)
{
    switch (st) {
    case PSY_OK: return "ok";
    case PSY_ENOMEM: return "out of memory";
    case PSY_EINVAL: return "invalid input";
    case PSY_ENOTFOUND: return "not found";
    case PSY_ECONFLICT: return "conflict";
    case PSY_ETOOBIG: return "too big";
    case PSY_EPARSE: return "malformed input";
    case PSY_EIO: return "I/O error";
    case PSY_EDB: return "database error";
    case PSY_EPERM: return "not allowed";
    }
    return "unknown status";
}

/* The table is sorted by name (the build sorts the file list), so look-ups bisect. */
const char *psy_data_get(const char *name, size_t *len)
{
    size_t lo = 0, hi = psy__embedded_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(psy__embedded_files[mid].name, name);
        if (c == 0) {
            if (len) *len = psy__embedded_files[mid].size;
            return (const char *)psy__embedded_files[mid].data;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

uint64_t psy__data_hash(const char *prefix, uint64_t h)
{
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < psy__embedded_count; i++) {
        const struct psy__embedded_file *f = &psy__embedded_files[i];
        if (strncmp(f->name, prefix, plen) != 0) continue;
        h = h * 31 + psy__hash64(f->name, strlen(f->name));
        h = h * 31 + (uint64_t)f->hash;
    }
    return h;
}

void psy_data_each(const char *prefix, void (*fn)(void *ud, const char *name, const char *data, size_t len),
                   void *ud)
{
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < psy__embedded_count; i++) {
        const struct psy__embedded_file *f = &psy__embedded_files[i];
        if (strncmp(f->name, prefix, plen) == 0) fn(ud, f->name, (const char *)f->data, f->size);
    }
}
