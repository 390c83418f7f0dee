/*
 * fuzz_import.c -- libFuzzer target for the code-file importers: any bytes, as an ICD-10-CM file and as
 * a HCPCS file, into an in-memory store. An import may reject the input; it must never crash, leak or
 * leave a half import behind (the catalog counts are checked after a rejected import).
 */
#include <psyclaim/psyclaim.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static psy_store *st;
    static char path[64];
    if (!st) {
        if (psy_store_open(":memory:", &st, NULL, 0) || psy_catalog_seed(st)) abort();
        snprintf(path, sizeof path, "/tmp/psyclaim-fuzz-import-%d.txt", (int)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    static const psy_import_kind kinds[] = {PSY_IMPORT_ICD10CM, PSY_IMPORT_HCPCS, PSY_IMPORT_MODIFIERS};
    for (size_t k = 0; k < 3; k++) {
        long before[PSY_SYS_COUNT], after[PSY_SYS_COUNT];
        psy_catalog_counts(st, before);
        char err[600];
        struct psy_import_stats s;
        if (psy_catalog_import(st, kinds[k], path, NULL, &s, err, sizeof err) != PSY_OK) {
            psy_catalog_counts(st, after);
            if (memcmp(before, after, sizeof before) != 0) abort(); /* a rejected import kept something */
        }
    }
    unlink(path);
    return 0;
}
