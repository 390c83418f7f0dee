/*
 * records_lists.c -- the id lists the web pages browse by: a practice's groups and clients (all, or
 * those of one clinician), a client's policies, authorisations and treatment plans, a group's sessions
 * and the groups a client belongs to. Each answer is an ascending id list; the records themselves come
 * from the *_get functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "records_int.h"

psy_status psy_records_group_list(psy_store *st, psy_id practice, psy_id clinician, psy_id **ids, size_t *n)
{
    if (!clinician)
        return psy__db_ints(st, ids, n, "SELECT id FROM therapy_group WHERE practice_id = ? ORDER BY id",
                            PSY_ARGS(PSY_INT(practice)));
    return psy__db_ints(
        st, ids, n,
        "SELECT id FROM therapy_group WHERE practice_id = ? AND (clinician_id = ? OR co_clinician_id = ?) "
        "ORDER BY id",
        PSY_ARGS(PSY_INT(practice), PSY_INT(clinician), PSY_INT(clinician)));
}

void psy__records_seen_by(struct psy__query *q, const char *client_col, psy_id practice, psy_id clinician)
{
    char cond[640];
    snprintf(cond, sizeof cond,
             "%s IN (SELECT m.client_id FROM group_member m JOIN therapy_group g ON g.id = m.group_id"
             "        WHERE g.practice_id = ? AND (g.clinician_id = ? OR g.co_clinician_id = ?)"
             " UNION SELECT client_id FROM treatment_plan WHERE practice_id = ? AND clinician_id = ?"
             " UNION SELECT client_id FROM session WHERE practice_id = ? AND clinician_id = ?"
             "       AND client_id IS NOT NULL)",
             client_col);
    psy__query_where_n(q, cond,
                       PSY_ARGS(PSY_INT(practice), PSY_INT(clinician), PSY_INT(clinician), PSY_INT(practice),
                                PSY_INT(clinician), PSY_INT(practice), PSY_INT(clinician)));
}

psy_status psy_records_client_ids(psy_store *st, psy_id practice, psy_id clinician, psy_id **ids, size_t *n)
{
    struct psy__query q;
    psy__query_init(&q, "SELECT id FROM client", PSY_NOARGS);
    psy__query_where(&q, "practice_id = ?", PSY_INT(practice));
    if (clinician) psy__records_seen_by(&q, "id", practice, clinician);
    psy__query_sql(&q, " ORDER BY id");
    psy_status rc = psy__db_ints(st, ids, n, q.sql.p, q.args, q.n);
    psy__query_free(&q);
    return rc;
}

/* The conditions of a client list on client c; pat holds the search's pattern while the query lives. */
static void client_filter(struct psy__query *q, psy_id practice, psy_id clinician, const char *text,
                          char pat[PSY__LIKE_MAX])
{
    psy__query_where(q, "c.practice_id = ?", PSY_INT(practice));
    if (clinician) psy__records_seen_by(q, "c.id", practice, clinician);
    if (psy__like_pattern(text, pat))
        psy__query_where_n(q,
                           "lower(c.first_name || ' ' || c.last_name) LIKE ? ESCAPE '\\'"
                           " OR lower(c.last_name || ', ' || c.first_name) LIKE ? ESCAPE '\\'"
                           " OR lower(c.last_name || ' ' || c.first_name) LIKE ? ESCAPE '\\' OR c.birth_date = ?",
                           PSY_ARGS(PSY_TEXT(pat), PSY_TEXT(pat), PSY_TEXT(pat), PSY_TEXT(text)));
}

psy_status psy_records_client_page(psy_store *st, psy_id practice, psy_id clinician, const char *text,
                                   struct psy_page *pg, psy_id **ids, size_t *n)
{
    struct client_key {
        int64_t id;
        char last[PSY_REC_NAME_MAX];
    };
    static const struct psy__col cols[] = {PSY__COLX(struct client_key, "c.id", id, i),
                                           PSY__COLX(struct client_key, "c.last_name", last, s)};
    static const struct psy__map map = PSY__MAP(cols);
    char pat[PSY__LIKE_MAX];
    struct psy__query q;
    struct client_key *rows = NULL;
    void *v = NULL;
    size_t nr = 0;
    *ids = NULL;
    *n = 0;
    psy__query_init(&q, "SELECT count(*) FROM client c", PSY_NOARGS);
    client_filter(&q, practice, clinician, text, pat);
    psy_status rc = psy__page_total(st, pg, &q);
    psy__query_free(&q);
    if (rc) return rc;
    psy__query_init(&q, "FROM client c", PSY_NOARGS);
    client_filter(&q, practice, clinician, text, pat);
    rc = psy__page_after(st, &q, pg, "c.last_name", "c.id", 0);
    if (!rc) {
        psy__page_order(&q, pg, "c.last_name", "c.id", 0);
        rc = psy__db_rows(st, &v, &nr, sizeof *rows, &map, q.sql.p, q.args, q.n);
    }
    psy__query_free(&q);
    rows = v;
    if (!rc) {
        size_t lim = (size_t)psy__page_limit(pg);
        nr = psy__page_done(pg, nr, nr > lim ? rows[lim - 1].last : NULL, nr > lim ? rows[lim - 1].id : 0);
        *ids = psy_malloc((nr ? nr : 1) * sizeof **ids);
        for (size_t i = 0; i < nr; i++) (*ids)[i] = rows[i].id;
        *n = nr;
    }
    free(rows);
    return rc;
}

psy_status psy_records_client_policies(psy_store *st, psy_id practice, psy_id client, psy_id **ids, size_t *n)
{
    return psy__db_ints(st, ids, n,
                        "SELECT id FROM policy WHERE practice_id = ? AND client_id = ? ORDER BY priority, id",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(client)));
}

psy_status psy_records_client_auths(psy_store *st, psy_id practice, psy_id client, psy_id **ids, size_t *n)
{
    return psy__db_ints(st, ids, n, "SELECT id FROM authorisation WHERE practice_id = ? AND client_id = ? ORDER BY id",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(client)));
}

psy_status psy_records_client_plans(psy_store *st, psy_id practice, psy_id client, psy_id **ids, size_t *n)
{
    return psy__db_ints(st, ids, n, "SELECT id FROM treatment_plan WHERE practice_id = ? AND client_id = ? ORDER BY id",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(client)));
}

psy_status psy_records_client_groups(psy_store *st, psy_id practice, psy_id client, psy_id **ids, size_t *n)
{
    return psy__db_ints(st, ids, n,
                        "SELECT group_id FROM group_member WHERE practice_id = ? AND client_id = ? ORDER BY group_id",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(client)));
}

/* The unary + below keeps SQLite (without statistics) on the client's or group's index: for the order by
 * date it would rather walk every session of the practice through (practice_id, service_date). */
psy_status psy_records_client_sessions(psy_store *st, psy_id practice, psy_id client, psy_id **ids, size_t *n)
{
    return psy__db_ints(st, ids, n,
                        "SELECT id FROM session WHERE +practice_id = ? AND client_id = ? ORDER BY service_date, id",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(client)));
}

psy_status psy_records_group_sessions(psy_store *st, psy_id practice, psy_id group, psy_id **ids, size_t *n)
{
    return psy__db_ints(st, ids, n,
                        "SELECT id FROM session WHERE +practice_id = ? AND group_id = ? ORDER BY service_date, id",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(group)));
}

psy_status psy_records_group_attendance(psy_store *st, psy_id practice, psy_id group, struct psy_group_attendance **out,
                                        size_t *n)
{
    *out = NULL;
    *n = 0;
    psy__stmt *s;
    psy_status rc = psy__db_query(
        st, &s,
        "SELECT s.id, a.client_id, s.service_date, a.present, COALESCE((SELECT p.payer_id FROM policy p WHERE "
        "p.practice_id = s.practice_id AND p.client_id = a.client_id AND p.priority = 1 AND p.start_date <= "
        "s.service_date AND (p.end_date IS NULL OR p.end_date >= s.service_date) ORDER BY p.start_date DESC, p.id DESC "
        "LIMIT 1), 0) FROM session s JOIN attendance a ON a.session_id = s.id AND a.practice_id = s.practice_id "
        "WHERE +s.practice_id = ? AND s.group_id = ? ORDER BY s.service_date, s.id, a.client_id",
        PSY_ARGS(PSY_INT(practice), PSY_INT(group)));
    if (rc) return rc;
    size_t cap = 0;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        struct psy_group_attendance *x = PSY__PUSH(*out, *n, cap);
        x->session_id = psy__sql_int64(s, 0);
        x->client_id = psy__sql_int64(s, 1);
        psy__db_col_copy(s, 2, x->service_date, sizeof x->service_date);
        x->present = (int)psy__sql_int64(s, 3);
        x->payer_id = psy__sql_int64(s, 4);
    }
    psy__sql_finalize(s);
    if (r != PSY_SQL_ERROR) return PSY_OK;
    free(*out);
    *out = NULL;
    *n = 0;
    return psy__store_dbfail(st, "attendance");
}

/* The conditions of f on session s (no join: counting stays on the session indexes). */
static void session_filter(struct psy__query *q, psy_id practice, const struct psy_session_filter *f,
                           char pat[PSY__LIKE_MAX])
{
    psy__query_where(q, "s.practice_id = ?", PSY_INT(practice));
    if (f->client) psy__query_where(q, "s.client_id = ?", PSY_INT(f->client));
    if (f->clinician) psy__query_where(q, "s.clinician_id = ?", PSY_INT(f->clinician));
    if (f->group) psy__query_where(q, "s.group_id = ?", PSY_INT(f->group));
    if (f->from && *f->from) psy__query_where(q, "s.service_date >= ?", PSY_TEXT(f->from));
    if (f->to && *f->to) psy__query_where(q, "s.service_date <= ?", PSY_TEXT(f->to));
    if (f->status && !strcmp(f->status, "signed")) psy__query_sql(q, " AND s.signed_at IS NOT NULL");
    if (f->status && !strcmp(f->status, "draft")) psy__query_sql(q, " AND s.signed_at IS NULL");
    if (f->seen_by) {
        /* a clinician's own: their sessions, their clients' and their groups' */
        psy__query_where_n(q,
                           "s.clinician_id = ? OR s.group_id IN (SELECT g.id FROM therapy_group g WHERE g.practice_id = ?"
                           " AND (g.clinician_id = ? OR g.co_clinician_id = ?))",
                           PSY_ARGS(PSY_INT(f->seen_by), PSY_INT(practice), PSY_INT(f->seen_by), PSY_INT(f->seen_by)));
    }
    /* the sessions of the clients and groups the text names, each found through its own index (an OR
     * of the two would read every session of the practice) */
    if (psy__like_pattern(f->q, pat))
        psy__query_where_n(q,
                           "s.id IN (SELECT x.id FROM session x WHERE x.client_id IN (SELECT k.id FROM client k WHERE"
                           " k.practice_id = ? AND (lower(k.first_name || ' ' || k.last_name) LIKE ? ESCAPE '\\'"
                           " OR lower(k.last_name || ', ' || k.first_name) LIKE ? ESCAPE '\\'))"
                           " UNION ALL SELECT x.id FROM session x WHERE x.group_id IN (SELECT g.id FROM therapy_group g"
                           " WHERE g.practice_id = ? AND lower(g.name) LIKE ? ESCAPE '\\'))",
                           PSY_ARGS(PSY_INT(practice), PSY_TEXT(pat), PSY_TEXT(pat), PSY_INT(practice), PSY_TEXT(pat)));
}

psy_status psy_records_session_page(psy_store *st, psy_id practice, const struct psy_session_filter *f,
                                    struct psy_page *pg, struct psy_session_row **out, size_t *n)
{
#define C(expr, fld, k) PSY__COLX(struct psy_session_row, expr, fld, k)
    static const struct psy__col cols[] = {
        C("s.id", id, i), C("s.service_date", service_date, s), C("s.kind", kind, s),
        C("coalesce(s.client_id, 0)", client_id, i), C("coalesce(s.group_id, 0)", group_id, i),
        C("s.clinician_id", clinician_id, i), C("coalesce(k.first_name, '')", client_first, s),
        C("coalesce(k.last_name, '')", client_last, s), C("coalesce(g.name, '')", group_name, s),
        C("d.first_name || ' ' || d.last_name", clinician_name, s),
        C("CASE WHEN s.signed_at IS NULL THEN 0 ELSE 1 END", signed_, d), C("s.minutes", minutes, d),
        C("coalesce(s.billed_code, '')", billed_code, s)};
#undef C
    static const struct psy__map map = PSY__MAP(cols);
    char pat[PSY__LIKE_MAX];
    struct psy__query q;
    void *v = NULL;
    *out = NULL;
    *n = 0;
    psy__query_init(&q, "SELECT count(*) FROM session s", PSY_NOARGS);
    session_filter(&q, practice, f, pat);
    psy_status rc = psy__page_total(st, pg, &q);
    psy__query_free(&q);
    if (rc) return rc;
    psy__query_init(&q,
                    "FROM session s JOIN clinician d ON d.id = s.clinician_id LEFT JOIN client k ON k.id = s.client_id"
                    " LEFT JOIN therapy_group g ON g.id = s.group_id",
                    PSY_NOARGS);
    session_filter(&q, practice, f, pat);
    rc = psy__page_after(st, &q, pg, "s.service_date", "s.id", 1);
    if (!rc) {
        psy__page_order(&q, pg, "s.service_date", "s.id", 1);
        rc = psy__db_rows(st, &v, n, sizeof **out, &map, q.sql.p, q.args, q.n);
    }
    psy__query_free(&q);
    *out = v;
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
        return rc;
    }
    size_t lim = (size_t)psy__page_limit(pg);
    *n = psy__page_done(pg, *n, *n > lim ? (*out)[lim - 1].service_date : NULL, *n > lim ? (*out)[lim - 1].id : 0);
    return PSY_OK;
}
