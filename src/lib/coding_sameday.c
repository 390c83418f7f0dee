/*
 * coding_sameday.c -- the same-day edits: everything one clinician bills for one client on one date,
 * checked against the NCCI tables. Procedure-to-procedure pairs (indicator 0 refused; indicator 1 only
 * as separate encounters, with a distinct-service modifier and times documented), medically unlikely
 * edits (units per day, by adjudication indicator) and add-on anchors.
 *
 * The one idea: the check sees only lines, never sessions, so it serves both the coding of one session
 * (its own lines, so an E/M with a diagnostic evaluation is caught at once) and the records module's
 * check over every session of the day. Lines are few (a day rarely has more than ten), so pairs are
 * compared directly, each through one hash probe.
 */
#include <stdio.h>
#include <string.h>
#include "coding_int.h"

#define MAX_DAY_LINES 256 /* lines beyond this are not compared (a day of one client never has so many) */

static void field_of(const char *const *fields, size_t i, char out[PSY_FIELD_MAX])
{
    if (fields) snprintf(out, PSY_FIELD_MAX, "%s", fields[i]);
    else snprintf(out, PSY_FIELD_MAX, "lines[%zu]", i);
}

static int has_modifier(const struct psy_coded_line *l, const char *m)
{
    for (int i = 0; i < l->n_modifiers && i < PSY_LINE_MAX_MODIFIERS; i++)
        if (!strcmp(l->modifiers[i], m)) return 1;
    return 0;
}

static int in_range(uint32_t k, const char *lo, const char *hi)
{
    return k >= psy__code_key(lo) && k <= psy__code_key(hi);
}

/* The rule id a PTP pair evidences (docs/rules.md). */
static const char *ptp_rule(uint32_t c1, uint32_t c2, int indicator)
{
    if (in_range(c1, "90839", "90840") || in_range(c2, "90839", "90840")) return "R-PTP-1";
    if (in_range(c1, "90791", "90792")) return "R-PTP-2";
    if ((c1 == psy__code_key("90833") || c1 == psy__code_key("90836") || c1 == psy__code_key("90838")) &&
        (in_range(c2, "99281", "99285") || in_range(c2, "99291", "99292")))
        return "R-ADDON-3";
    return indicator == 1 ? "R-PTP-3" : "R-PTP-0";
}

/* The distinct-service modifier on the denied line of an indicator-1 pair, or NULL. NCCI policy: an
 * E/M takes 25; other services 59 or one of XE/XS/XP/XU. */
static const char *override_modifier(const struct psy_coded_line *l, int em)
{
    static const char *const x[] = {"XE", "59", "XS", "XP", "XU"};
    if (em) return has_modifier(l, "25") ? "25" : NULL;
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        if (has_modifier(l, x[i])) return x[i];
    return NULL;
}

static void ptp_pair(const struct psy__ptp_row *p, const struct psy_coded_line *keep, const struct psy_coded_line *deny,
                     uint32_t k1, uint32_t k2, const char *field, const char *sep_field, struct psy__sink *out)
{
    const char *rule = ptp_rule(k1, k2, p->indicator);
    struct psy__sb b;
    if (p->indicator == 0) {
        struct psy_finding *f = psy__sink_add(out, PSY_SEVERITY_ERROR, rule, field);
        psy__sb_init(&b, f->message, sizeof f->message);
        psy__sb_put(&b, keep->code);
        psy__sb_put(&b, " and ");
        psy__sb_put(&b, deny->code);
        psy__sb_put(&b, " are never paid together for one client on one date (NCCI PTP, modifier indicator 0): ");
        psy__sb_put(&b, deny->code);
        psy__sb_put(&b, " would be denied and no modifier changes that");
        return;
    }
    int em = psy__is_em_key(k2);
    const char *mod = override_modifier(deny, em);
    if (mod && deny->separate_times) return;
    struct psy_finding *f = psy__sink_add(out, PSY_SEVERITY_ERROR, rule, sep_field ? sep_field : field);
    psy__sb_init(&b, f->message, sizeof f->message);
    psy__sb_put(&b, deny->code);
    psy__sb_put(&b, " with ");
    psy__sb_put(&b, keep->code);
    if (mod) {
        psy__sb_put(&b, " carries ");
        psy__sb_put(&b, mod);
        psy__sb_put(&b, " but the separate start and stop times of each service are not documented");
    } else {
        psy__sb_put(&b, " on one date is paid only as a separate encounter: modifier ");
        psy__sb_put(&b, em ? "25" : "XE (or 59)");
        psy__sb_put(&b, " on ");
        psy__sb_put(&b, deny->code);
        psy__sb_put(&b, " and start and stop times documented for each service (NCCI PTP, modifier indicator 1)");
        if (sep_field) {
            psy__sb_put(&b, "; set ");
            psy__sb_put(&b, sep_field);
            psy__sb_put(&b, " when they are");
        }
    }
}

static void mue(const struct psy__ncci *t, const struct psy_coded_line *lines, const uint32_t *keys, size_t n,
                const char *const *fields, struct psy__sink *out)
{
    for (size_t i = 0; i < n; i++) {
        int first = 1;
        for (size_t k = 0; k < i && first; k++) first = keys[k] != keys[i];
        const struct psy__mue_row *m = first ? psy__ncci_mue(t, keys[i]) : NULL;
        if (!m) continue;
        long total = 0, over_line = 0;
        for (size_t k = i; k < n; k++)
            if (keys[k] == keys[i]) {
                total += lines[k].units;
                if (lines[k].units > over_line) over_line = lines[k].units;
            }
        long units = m->mai == 1 ? over_line : total;
        if (units <= m->units) continue;
        char field[PSY_FIELD_MAX];
        field_of(fields, i, field);
        struct psy_finding *f = psy__sink_add(out, m->mai == 3 ? PSY_SEVERITY_WARNING : PSY_SEVERITY_ERROR, "R-MUE-1", field);
        struct psy__sb b;
        psy__sb_init(&b, f->message, sizeof f->message);
        psy__sb_int(&b, units);
        psy__sb_put(&b, " units of ");
        psy__sb_put(&b, lines[i].code);
        psy__sb_put(&b, m->mai == 1 ? " on one line exceed its MUE of " : " on one date exceed its MUE of ");
        psy__sb_int(&b, m->units);
        psy__sb_put(&b, m->mai == 1   ? " per line (MAI 1): the line is denied"
                        : m->mai == 2 ? " (MAI 2, a policy limit: no appeal)"
                                      : " (MAI 3, a clinical limit: payable on appeal with records)");
    }
}

static void aoc(const struct psy__ncci *t, int date, const struct psy_coded_line *lines, const uint32_t *keys, size_t n,
                const char *const *fields, struct psy__sink *out)
{
    for (size_t i = 0; i < n; i++) {
        size_t nr;
        const struct psy__aoc_row *rows = psy__ncci_aoc(t, keys[i], &nr);
        int listed = 0, type1 = 0, found = 0;
        for (size_t r = 0; r < nr; r++) {
            if (rows[r].effective > date || date > rows[r].deleted || rows[r].type == 2) continue;
            listed++;
            type1 |= rows[r].type == 1;
            for (size_t k = 0; k < n && !found; k++) found = k != i && keys[k] == rows[r].primary;
        }
        if (!listed || found) continue;
        char field[PSY_FIELD_MAX];
        field_of(fields, i, field);
        struct psy_finding *f = psy__sink_add(out, type1 ? PSY_SEVERITY_ERROR : PSY_SEVERITY_WARNING, "R-ADDON-1", field);
        struct psy__sb b;
        psy__sb_init(&b, f->message, sizeof f->message);
        psy__sb_put(&b, lines[i].code);
        psy__sb_put(&b, type1 ? " is an add-on paid only with one of its primaries on the same date ("
                              : " is an add-on that needs a primary on the same date (");
        int shown = 0;
        for (size_t r = 0; r < nr; r++) {
            if (rows[r].effective > date || date > rows[r].deleted || rows[r].type == 2 || !rows[r].primary) continue;
            if (shown == 6) {
                psy__sb_put(&b, " ...");
                break;
            }
            char code[6];
            psy__code_text(rows[r].primary, code);
            psy__sb_put(&b, shown++ ? ", " : "");
            psy__sb_put(&b, code);
        }
        psy__sb_put(&b, "); none is billed");
    }
}

void psy__same_day(const struct psy__ncci *t, int date, const struct psy_coded_line *lines, size_t n,
                   const char *const *fields, const char *sep_field, struct psy__sink *out)
{
    uint32_t keys[MAX_DAY_LINES];
    if (n > MAX_DAY_LINES) n = MAX_DAY_LINES;
    for (size_t i = 0; i < n; i++) keys[i] = psy__code_key(lines[i].code);
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++) {
            if (!keys[i] || keys[i] == keys[k]) continue;
            const struct psy__ptp_row *p = psy__ncci_ptp(t, keys[i], keys[k], date);
            size_t keep = i, deny = k;
            if (!p) {
                p = psy__ncci_ptp(t, keys[k], keys[i], date);
                keep = k;
                deny = i;
            }
            if (!p) continue;
            char field[PSY_FIELD_MAX];
            field_of(fields, deny, field);
            ptp_pair(p, &lines[keep], &lines[deny], keys[keep], keys[deny], field, sep_field, out);
        }
    mue(t, lines, keys, n, fields, out);
    aoc(t, date, lines, keys, n, fields, out);
}
