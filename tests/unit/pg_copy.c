/*
 * pg_copy.c -- owns copying a practice's records between stores for tests and benchmarks
 * (see pg_copy.h). Rows travel as text in multi-row inserts (psy__batch).
 */
#include "pg_copy.h"

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
