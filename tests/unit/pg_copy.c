/*
 * pg_copy.c -- owns copying a practice's records between stores for tests and benchmarks
 * (see pg_copy.h). Rows travel as text in multi-row inserts (psy__batch).
 */
#include "pg_copy.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "psy_db.h"

static const char *const record_tables[] = {"practice", "clinician", "client", "client_diagnosis", "payer",
                                            "policy", "authorisation", "authorisation_code", "treatment_plan",
                                            "plan_diagnosis", "plan_goal", "therapy_group", "group_member",
                                            "session", "attendance", "note", "note_addendum", NULL};

static int copy_table(psy_store *from, psy_store *to, const char *table, int *has_id, char *why, size_t whylen)
{
    struct psy__buf cols = {0}, row = {0}, head = {0}, sel = {0};
    int n = 0, ok = 0;
    psy__stmt *c = psy__sql_prepare(to, "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                                        "current_schema() AND table_name = ? ORDER BY ordinal_position");
    if (!c) {
        snprintf(why, whylen, "%s: columns: %s", table, psy__db_errtext(to));
        return -1;
    }
    psy__sql_bind_text(c, 1, table);
    *has_id = 0;
    while (psy__sql_step(c) == PSY_SQL_ROW) {
        if (!strcmp(psy__sql_text(c, 0), "id")) *has_id = 1;
        psy__buf_printf(&cols, "%s%s", n ? ", " : "", psy__sql_text(c, 0));
        psy__buf_puts(&row, n++ ? ", ?" : "(?");
    }
    psy__sql_finalize(c);
    if (!n) {
        snprintf(why, whylen, "%s: no such table in the target", table);
        goto out;
    }
    psy__buf_puts(&row, ")");
    psy__buf_printf(&sel, "SELECT %s FROM %s", cols.p, table);
    psy__buf_printf(&head, "INSERT INTO %s (%s) VALUES ", table, cols.p);
    psy__stmt *r = psy__sql_prepare(from, sel.p);
    if (!r) {
        snprintf(why, whylen, "%s: %s", table, psy__db_errtext(from));
        goto out;
    }
    struct psy__batch b;
    psy__batch_init(&b, to, head.p, row.p, "");
    int step, failed = 0;
    while (!failed && (step = psy__sql_step(r)) == PSY_SQL_ROW) {
        for (int i = 0; i < n; i++) psy__batch_text(&b, psy__sql_text(r, i));
        failed = psy__batch_row(&b) != PSY_OK;
    }
    psy__sql_finalize(r);
    if (!failed) failed = psy__batch_flush(&b) != PSY_OK;
    psy__batch_free(&b);
    if (failed) snprintf(why, whylen, "%s: %s", table, psy_store_errmsg(to));
    else ok = 1;
out:
    psy__buf_free(&cols);
    psy__buf_free(&row);
    psy__buf_free(&head);
    psy__buf_free(&sel);
    return ok ? 0 : -1;
}

int pg_copy_records(psy_store *from, psy_store *to, char *why, size_t whylen)
{
    if (psy__store_begin(to)) {
        snprintf(why, whylen, "begin: %s", psy_store_errmsg(to));
        return -1;
    }
    int has_id[sizeof record_tables / sizeof record_tables[0]] = {0};
    for (int t = 0; record_tables[t]; t++)
        if (copy_table(from, to, record_tables[t], &has_id[t], why, whylen)) {
            psy__store_rollback(to);
            return -1;
        }
    if (psy__store_commit(to)) {
        snprintf(why, whylen, "commit: %s", psy_store_errmsg(to));
        return -1;
    }
    /* the copied ids came with the rows: move each id sequence past them */
    for (int t = 0; record_tables[t]; t++) {
        if (!has_id[t]) continue;
        char sql[300];
        snprintf(sql, sizeof sql,
                 "SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM %s), false)",
                 record_tables[t], record_tables[t]);
        psy__stmt *s = psy__sql_prepare(to, sql);
        int r = s ? psy__sql_step(s) : PSY_SQL_ERROR;
        psy__sql_finalize(s);
        if (r == PSY_SQL_ERROR) {
            snprintf(why, whylen, "%s: id sequence: %s", record_tables[t], psy__db_errtext(to));
            return -1;
        }
    }
    return 0;
}

int pg_claims_digest(psy_store *st, char out[17], long *rows, char *why, size_t whylen)
{
    static const char *const sql[] = {
        "SELECT c.claim_number, c.client_id, c.payer_id, c.policy_id, c.clinician_id, c.service_date, c.status, "
        "c.version, c.total_cents, c.place_of_service, c.prior_auth, c.payer_profile, c.findings, l.line_number, "
        "l.session_id, l.client_id, l.code, l.modifiers, l.units, l.charge_cents, l.place_of_service, l.dx_pointers, "
        "l.rules, l.explanation FROM claim c JOIN claim_line l ON l.claim_id = c.id ORDER BY c.id, l.line_number",
        "SELECT id, COALESCE(billed_code, '-') FROM session ORDER BY id",
        "SELECT id, COALESCE(billed_code, '-') FROM attendance ORDER BY id",
        "SELECT claim_id, from_status, to_status, reason FROM claim_status_history ORDER BY claim_id, id",
    };
    uint64_t h = 1469598103934665603ULL;
    *rows = 0;
    for (size_t q = 0; q < sizeof sql / sizeof *sql; q++) {
        psy__stmt *s = psy__sql_prepare(st, sql[q]);
        int r = s ? PSY_SQL_ROW : PSY_SQL_ERROR;
        while (s && (r = psy__sql_step(s)) == PSY_SQL_ROW) {
            for (int c = 0; c < 24; c++) {
                if (q && c >= (q == 3 ? 4 : 2)) break;
                const char *v = psy__sql_text(s, c);
                for (const char *p = v ? v : "\x01"; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
                h = (h ^ 0x1f) * 1099511628211ULL;
            }
            if (!q) ++*rows;
        }
        psy__sql_finalize(s);
        if (r == PSY_SQL_ERROR) {
            snprintf(why, whylen, "digest: %s", psy__db_errtext(st));
            return -1;
        }
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
    return 0;
}
