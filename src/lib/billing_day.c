/*
 * billing_day.c -- the scrubber's claim-level day check: a claim judged as the payer judges it, by one
 * client, one payer, one rendering clinician and one date of service. Every line that clinician billed
 * the client that day under that payer (whichever sessions and open or sent claims they came from) goes
 * through the same-day edits of coding_sameday.c: NCCI PTP pairs, MUE units per day (MAI 2 and 3) and
 * add-on anchors. Rules: docs/rules.md (R-DAY-1; findings keep the edit's own id, R-PTP-*, R-MUE-1,
 * R-ADDON-*, with source "day").
 *
 * A pair of lines from two sessions counts as separately documented when both sessions have start and
 * stop times and the times do not overlap; the distinct-service modifier must then be on the claim line
 * (59, XE, XS, XP, XU; 25 on an E/M). Findings that the coding of a single session already recorded on
 * the claim (same rule and sentence) are not repeated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_db.h"
#include "billing_int.h"
#include "coding_int.h"

enum { DAY_LINES = PSY__DAY_LINES };
#define day_line psy__day_line

/* 1 when the two sessions have their own documented times and do not overlap (ISO-8601 UTC texts of one
 * format compare as strings). */
static int separate(const struct day_line *a, const struct day_line *b)
{
    if (a->session == b->session) return 0;
    if (!a->start[0] || !a->stop[0] || !b->start[0] || !b->stop[0]) return 0;
    return strcmp(a->stop, b->start) <= 0 || strcmp(b->stop, a->start) <= 0;
}

static int already(json_t *arr, const char *rule, const char *msg)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *r = json_string_value(json_object_get(v, "rule"));
        const char *m = json_string_value(json_object_get(v, "message"));
        if (r && m && !strcmp(r, rule) && !strcmp(m, msg)) return 1;
    }
    return 0;
}

/* 1 when the same edit fires on a part of the day's lines alone: those of line li's session (the coding
 * of that session reported it already, with its own wording) or, with clinician set, those of that
 * clinician. */
static int fires_within(const psy_coder *cx, const char *date, const struct psy_coded_line *lines,
                        const struct day_line *dl, size_t n, size_t li, psy_id clinician, const struct psy_finding *want)
{
    struct psy_coded_line *sub = psy__calloc(n, sizeof *sub);
    size_t m = 0, at = 0;
    for (size_t i = 0; i < n; i++)
        if (clinician ? dl[i].clinician == clinician : dl[i].session == dl[li].session) {
            if (i == li) at = m;
            sub[m] = lines[i];
            if (!clinician) sub[m].separate_times = 0;
            m++;
        }
    struct psy_finding f[PSY_CODING_MAX_FINDINGS];
    size_t nf = 0, hit = 0;
    char field[PSY_FIELD_MAX];
    snprintf(field, sizeof field, "lines[%zu]", at);
    if (psy_coding_same_day(cx, date, sub, m, f, PSY_CODING_MAX_FINDINGS, &nf) == PSY_OK)
        for (size_t k = 0; k < nf && !hit; k++) hit = !strcmp(f[k].rule, want->rule) && !strcmp(f[k].field, field);
    free(sub);
    return hit != 0;
}

/* 1 when the claim's payer profile, on its date, counts the clinicians of one specialty as one. */
static int one_provider(psy_store *st, const psy_coder *cx, psy_id practice, psy_id claim)
{
    psy__stmt *s = psy__db_stmt(st, "SELECT payer_profile, service_date FROM claim WHERE practice_id = ? AND id = ?",
                                PSY_ARGS(PSY_INT(practice), PSY_INT(claim)));
    int one = 0;
    if (s && psy__sql_step(s) == PSY_SQL_ROW) {
        const struct psy__payer_terms *t = NULL;
        const char *profile = psy__sql_text(s, 0), *date = psy__sql_text(s, 1);
        if (profile && *profile && date &&
            psy__payer_terms(psy_coding_payers(cx), profile, psy__date_int(date), &t) == PSY_OK && t)
            one = t->same_specialty_one_provider;
    }
    psy__sql_finalize(s);
    return one;
}

void psy__day_check(const psy_coder *cx, psy_id claim, psy_id own, struct psy_coded_line *lines,
                    const struct psy__day_line *dl, size_t n, const char *date, json_t *arr)
{
    /* a line's times count as separate when they are apart from every other session's line of the day */
    for (size_t i = 0; i < n; i++) {
        int sep = 1, others = 0;
        for (size_t k = 0; k < n; k++)
            if (dl[k].session != dl[i].session) {
                others = 1;
                sep &= separate(&dl[i], &dl[k]);
            }
        lines[i].separate_times = others && sep;
    }
    struct psy_finding f[PSY_CODING_MAX_FINDINGS];
    size_t nf = 0;
    if (!n || psy_coding_same_day(cx, date, lines, n, f, PSY_CODING_MAX_FINDINGS, &nf) != PSY_OK) return;
    for (size_t k = 0; k < nf; k++) {
        size_t li = n;
        if (sscanf(f[k].field, "lines[%zu]", &li) != 1 || li >= n) continue;
        /* the finding goes on the claim whose line it names; another claim of the day carries its own */
        if (dl[li].claim != claim) continue;
        if (already(arr, f[k].rule, f[k].message) || fires_within(cx, date, lines, dl, n, li, 0, &f[k])) continue;
        /* an edit that needs another clinician's line: the clinicians of one specialty as one provider */
        int across = 0;
        for (size_t i = 0; i < n && !across; i++) across = dl[i].clinician != own;
        across = across && !fires_within(cx, date, lines, dl, n, li, own, &f[k]);
        const char *rule = across ? "R-DAY-2" : f[k].rule;
        char field[64], msg[PSY_MESSAGE_MAX + 192];
        snprintf(field, sizeof field, "claim_line[%lld]", (long long)dl[li].number);
        if (across)
            snprintf(msg, sizeof msg, "%s: %s (the payer counts the practice's clinicians of one specialty as one "
                     "provider: another clinician of the same specialty billed the client that day)",
                     f[k].rule, f[k].message);
        else
            snprintf(msg, sizeof msg, "%s (over the client's whole date of service with this clinician and payer)",
                     f[k].message);
        if (already(arr, rule, msg)) continue;
        json_array_append_new(arr, psy__billing_finding(f[k].severity == PSY_SEVERITY_ERROR ? "error" : "warning",
                                                        rule, field, msg, "day"));
    }
}

psy_status psy__scrub_day(psy_store *st, const psy_coder *cx, psy_id practice, psy_id claim, json_t *arr)
{
    int one = one_provider(st, cx, practice, claim);
    psy__stmt *s = psy__db_stmt(
        st, "SELECT l.claim_id, l.line_number, l.session_id, l.code, l.units, l.modifiers, "
            "COALESCE(s.start_utc, ''), COALESCE(s.stop_utc, ''), c.service_date, c.clinician_id, k.clinician_id "
            "FROM claim k JOIN clinician ck ON ck.id = k.clinician_id "
            "JOIN claim c ON c.practice_id = k.practice_id AND c.client_id = k.client_id AND c.payer_id = k.payer_id "
            "AND c.service_date = k.service_date JOIN clinician cc ON cc.id = c.clinician_id "
            "JOIN claim_line l ON l.claim_id = c.id LEFT JOIN session s ON s.id = l.session_id "
            "WHERE k.practice_id = ? AND k.id = ? AND (c.clinician_id = k.clinician_id OR (? <> 0 AND "
            "cc.taxonomy = ck.taxonomy)) AND (c.id = k.id OR c.status IN ('draft', 'ready', 'submitted', "
            "'accepted', 'paid', 'partially_paid')) ORDER BY c.id, l.line_number",
        PSY_ARGS(PSY_INT(practice), PSY_INT(claim), PSY_INT(one)));
    if (!s) return psy__store_dbfail(st, "claim_line");
    struct psy_coded_line *lines = psy__calloc(DAY_LINES, sizeof *lines);
    struct day_line *dl = psy__calloc(DAY_LINES, sizeof *dl);
    char date[PSY_DATE_MAX] = "";
    size_t n = 0;
    psy_id own = 0; /* the claim's clinician */
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW && n < DAY_LINES) {
        struct psy_coded_line *l = &lines[n];
        struct day_line *d = &dl[n];
        d->claim = psy__sql_int64(s, 0);
        d->number = psy__sql_int64(s, 1);
        d->session = psy__sql_int64(s, 2);
        snprintf(l->code, sizeof l->code, "%s", psy__sql_text(s, 3));
        l->units = (int)psy__sql_int64(s, 4);
        const char *m = psy__sql_text(s, 5);
        while (m && *m && l->n_modifiers < PSY_LINE_MAX_MODIFIERS) {
            snprintf(l->modifiers[l->n_modifiers++], 3, "%.2s", m);
            m = strchr(m, ',');
            if (m) m++;
        }
        snprintf(d->start, sizeof d->start, "%s", psy__sql_text(s, 6));
        snprintf(d->stop, sizeof d->stop, "%s", psy__sql_text(s, 7));
        snprintf(date, sizeof date, "%s", psy__sql_text(s, 8));
        d->clinician = psy__sql_int64(s, 9);
        own = psy__sql_int64(s, 10);
        n++;
    }
    psy__sql_finalize(s);
    psy_status rc = PSY_OK;
    if (r == PSY_SQL_ERROR) rc = psy__store_dbfail(st, "claim_line");
    else psy__day_check(cx, claim, own, lines, dl, n, date, arr);
    free(lines);
    free(dl);
    return rc;
}
