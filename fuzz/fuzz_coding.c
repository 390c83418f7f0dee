/*
 * fuzz_coding.c -- libFuzzer target for the coding engine's inputs: any bytes as a code-session JSON
 * object (parsed, coded, written back as JSON) and as a payer profile. Either may be refused; neither
 * may crash, and a refused session must name a field.
 */
#include <psyclaim/psyclaim.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static psy_coder *cx;
    static struct psy_coding_result r;
    char err[600], field[64], msg[300];
    if (!cx && psy_coding_open(NULL, &cx, err, sizeof err)) abort();
    struct psy_coding_input s;
    psy_status rc = psy_session_from_json((const char *)data, size, &s, field, sizeof field, msg, sizeof msg);
    if (rc == PSY_OK) {
        rc = psy_coding_session(cx, &s, &r);
        if (rc != PSY_OK && (r.n_findings != 1 || !r.findings[0].field[0])) abort();
        if (rc == PSY_OK && r.n_lines > PSY_CODING_MAX_LINES) abort();
        char *out = psy_coding_result_json(&r, (int)(size & 1), NULL);
        free(out);
    }
    psy_payers *ps;
    if (psy_payers_builtin(&ps, err, sizeof err)) abort();
    psy_payers_add_json(ps, (const char *)data, size, "fuzz", err, sizeof err);
    psy_payers_free(ps);
    return 0;
}
