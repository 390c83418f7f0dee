/*
 * fuzz_837.c -- libFuzzer target for the 837P writer's input: the bytes, split at newlines, replace
 * names, identifiers, codes, an amount and the delimiters of an otherwise valid batch. The writer may
 * refuse; whatever it accepts must read back through the structure check with no problem and with
 * every claim and line in place -- a value can never break the file.
 */
#include <psyclaim/psyclaim.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../tests/unit/fixture_claims.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FIELDS = 18 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *text = malloc(size + 1), *tok[FIELDS] = {0};
    memcpy(text, data, size);
    text[size] = 0;
    size_t n = 0;
    for (char *p = text; n < FIELDS && p;) {
        tok[n++] = p;
        p = strchr(p, '\n');
        if (p) *p++ = 0;
    }
    struct fixture f;
    fixture_init(&f, 1 + (size ? data[0] % 3 : 0));
    const char **slots[] = {&f.billing.last_name, &f.billing.address.line1, &f.jane.person.last_name,
                            &f.jane.person.first_name, &f.jane.member_id, &f.payer.name, &f.payer.id,
                            &f.claims[0].id, &f.l0[0].code, &f.l0[0].modifiers[0], &f.claims[2].prior_auth,
                            &f.jane.group_number, &f.child.address.line2, &f.claims[0].diagnoses[0],
                            &f.claims[2].payer_claim_number, &f.submitter.id};
    for (size_t i = 0; i < sizeof slots / sizeof slots[0] && i < n; i++)
        if (tok[i][0]) *slots[i] = tok[i];
    if (n > 16 && tok[16][0]) {
        long long c = strtoll(tok[16], NULL, 10) % 100000000000LL;
        f.l0[0].charge_cents = c;
        f.claims[0].total_cents = c;
    }
    struct psy_x12_write_opts o = {.next_control = fixture_counter, .control_ud = &(unsigned long){0},
                                   .line_breaks = size % 2};
    if (n > 17 && strlen(tok[17]) >= 4) o.delims = (struct psy_x12_delims){tok[17][0], tok[17][1], tok[17][2], tok[17][3]};
    char *out, err[300];
    size_t len;
    if (psy_x12_837_write(&f.batch, &o, &out, &len, err, sizeof err) == PSY_OK) {
        size_t lines = 0;
        for (size_t i = 0; i < f.batch.n_claims; i++) lines += f.batch.claims[i].n_lines;
        psy_x12_reader *r = psy_x12_reader_mem(out, len, 0);
        struct psy_x12_problem probs[4];
        size_t np;
        struct psy_x12_check_stats st;
        if (psy_x12_check(r, probs, 4, &np, &st) != PSY_OK || np || st.claims != f.batch.n_claims || st.lines != lines ||
            st.interchanges != 1 || st.transactions != 1)
            abort();
        psy_x12_reader_free(r);
        free(out);
    } else if (!err[0]) {
        abort();
    }
    free(text);
    return 0;
}
