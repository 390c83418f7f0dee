/*
 * records_plans.c -- treatment plans (modalities, frequency, session length, dates, diagnoses, goals,
 * signatures) and therapy groups with their rosters.
 *
 * A plan is in force from its start date (to its end date, if any) once its clinician has signed it;
 * after that signature its content is frozen: a revision is a new plan, and the old one is closed.
 * Its review date stays what was planned; the audit reports sessions after it (R-PLAN-1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "records_int.h"

/* --- treatment plans ---------------------------------------------------------------------------- */

void psy_plan_clear(struct psy_plan *p)
{
    if (!p) return;
    for (int i = 0; i < p->n_goals && i < PSY_REC_GOALS_MAX; i++) free(p->goals[i]);
    for (int i = 0; i < p->n_problems && i < PSY_REC_PLAN_ITEMS_MAX; i++) free(p->problems[i]);
    for (int i = 0; i < p->n_objectives && i < PSY_REC_PLAN_ITEMS_MAX; i++) free(p->objectives[i]);
    for (int i = 0; i < p->n_interventions && i < PSY_REC_PLAN_ITEMS_MAX; i++) free(p->interventions[i]);
    memset(p, 0, sizeof *p);
}

static psy_status check_plan(psy_store *st, psy_id practice, const struct psy_plan *p, char (*dx)[PSY_CODE_MAX])
{
    char f[32];
    psy_status rc = psy__rec_ref(st, "client_id", "client", practice, p->client_id, 0);
    if (!rc) rc = psy__rec_ref(st, "clinician_id", "clinician", practice, p->clinician_id, 1);
    if (!rc && (p->modalities < 1 || p->modalities > 7))
        rc = psy__rec_bad(st, "modalities", "one or more of individual, group, family");
    if (!rc) rc = psy__rec_text(st, "frequency", p->frequency, 64, PSY__REQ);
    if (!rc && (p->session_minutes < 1 || p->session_minutes > 480))
        rc = psy__rec_bad(st, "session_minutes", "between 1 and 480");
    if (!rc) rc = psy__rec_date(st, "start_date", p->start_date, 1);
    if (!rc) rc = psy__rec_date(st, "review_date", p->review_date, 1);
    if (!rc && strcmp(p->review_date, p->start_date) < 0) rc = psy__rec_bad(st, "review_date", "before start_date");
    if (!rc) rc = psy__rec_date(st, "end_date", p->end_date, 0);
    if (!rc && *p->end_date && strcmp(p->end_date, p->start_date) < 0) rc = psy__rec_bad(st, "end_date", "before start_date");
    if (!rc && p->n_dx < 1) rc = psy__rec_bad(st, "dx", "at least one diagnosis");
    if (!rc) rc = psy__rec_dx(st, "dx", p->n_dx, p->dx, dx, p->start_date);
    if (!rc && (p->n_goals < 1 || p->n_goals > PSY_REC_GOALS_MAX))
        rc = psy__rec_bad(st, "goals", "1 to %d goals", PSY_REC_GOALS_MAX);
    for (int i = 0; !rc && i < p->n_goals; i++) {
        snprintf(f, sizeof f, "goals[%d]", i);
        rc = psy__rec_text(st, f, p->goals[i], 2000, PSY__REQ | PSY__MULTILINE);
    }
    const struct { const char *name; int n; char *const *items; } lists[] = {
        {"problems", p->n_problems, p->problems},
        {"objectives", p->n_objectives, p->objectives},
        {"interventions", p->n_interventions, p->interventions},
    };
    for (size_t l = 0; !rc && l < sizeof lists / sizeof lists[0]; l++) {
        if (lists[l].n < 0 || lists[l].n > PSY_REC_PLAN_ITEMS_MAX)
            rc = psy__rec_bad(st, lists[l].name, "at most %d", PSY_REC_PLAN_ITEMS_MAX);
        for (int i = 0; !rc && i < lists[l].n; i++) {
            snprintf(f, sizeof f, "%s[%d]", lists[l].name, i);
            rc = psy__rec_text(st, f, lists[l].items[i], 2000, PSY__REQ | PSY__MULTILINE);
        }
    }
    return rc;
}

static psy_status write_plan(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version)
{
    const struct psy_plan *p = rec;
    char now[PSY_REC_TIME_MAX], dx[PSY_REC_DX_MAX][PSY_CODE_MAX];
    int64_t signed_n = 0;
    psy__rec_now(now);
    if (*id) {
        psy_status q = psy__db_int(st, &signed_n,
                                   "SELECT CASE WHEN clinician_signed_at IS NULL THEN 0 ELSE 1 END FROM treatment_plan "
                                   "WHERE practice_id = ? AND id = ?",
                                   PSY_ARGS(PSY_INT(practice), PSY_INT(*id)));
        if (q) return q;
        if (signed_n)
            return psy__store_fail(st, PSY_EPERM, "plan: signed by its clinician; write a new plan and close this one");
    }
    psy_status rc = check_plan(st, practice, p, dx);
    if (rc) return rc;
    int ind = !!(p->modalities & PSY_MOD_INDIVIDUAL), grp = !!(p->modalities & PSY_MOD_GROUP),
        fam = !!(p->modalities & PSY_MOD_FAMILY);
    if (*id)
        rc = psy__rec_update(st, "treatment_plan", practice, *id, version,
                             "client_id = ?, clinician_id = ?, covers_individual = ?, covers_group = ?, "
                             "covers_family = ?, frequency = ?, session_minutes = ?, start_date = ?, review_date = ?, "
                             "end_date = ?, updated_at = ?",
                             PSY_ARGS(PSY_INT(p->client_id), PSY_INT(p->clinician_id), PSY_INT(ind), PSY_INT(grp),
                                      PSY_INT(fam), PSY_TEXT_OR_EMPTY(p->frequency), PSY_INT(p->session_minutes),
                                      PSY_TEXT_OR_EMPTY(p->start_date), PSY_TEXT_OR_EMPTY(p->review_date),
                                      PSY_TEXT_OR_NULL(p->end_date), PSY_TEXT_OR_EMPTY(now)));
    else
        rc = psy__db_insert(st, id,
                            "INSERT INTO treatment_plan (practice_id, client_id, clinician_id, covers_individual, "
                            "covers_group, covers_family, frequency, session_minutes, start_date, review_date, "
                            "end_date, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            PSY_ARGS(PSY_INT(practice), PSY_INT(p->client_id), PSY_INT(p->clinician_id), PSY_INT(ind),
                                     PSY_INT(grp), PSY_INT(fam), PSY_TEXT_OR_EMPTY(p->frequency),
                                     PSY_INT(p->session_minutes), PSY_TEXT_OR_EMPTY(p->start_date),
                                     PSY_TEXT_OR_EMPTY(p->review_date), PSY_TEXT_OR_NULL(p->end_date),
                                     PSY_TEXT_OR_EMPTY(now), PSY_TEXT_OR_EMPTY(now)));
    const char *vals[PSY_REC_DX_MAX];
    for (int i = 0; i < p->n_dx; i++) vals[i] = dx[i];
    if (!rc) rc = psy__rec_put_list(st, "plan_diagnosis", "plan_id", "code", practice, *id, p->n_dx, vals, 1);
    if (!rc)
        rc = psy__rec_put_list(st, "plan_goal", "plan_id", "text", practice, *id, p->n_goals,
                               (const char *const *)p->goals, 1);
    if (!rc)
        rc = psy__rec_put_list(st, "plan_problem", "plan_id", "text", practice, *id, p->n_problems,
                               (const char *const *)p->problems, 1);
    if (!rc)
        rc = psy__rec_put_list(st, "plan_objective", "plan_id", "text", practice, *id, p->n_objectives,
                               (const char *const *)p->objectives, 1);
    if (!rc)
        rc = psy__rec_put_list(st, "plan_intervention", "plan_id", "text", practice, *id, p->n_interventions,
                               (const char *const *)p->interventions, 1);
    return rc;
}

psy_status psy_records_plan_add(psy_store *st, psy_id practice, const struct psy_plan *p, psy_id *id)
{
    return psy__rec_write_one(st, practice, "treatment_plan", 0, 0, "create", 0, write_plan, p, id);
}

psy_status psy_records_plan_update(psy_store *st, psy_id practice, const struct psy_plan *p)
{
    return psy__rec_write_one(st, practice, "treatment_plan", p->id, p->version, "update", 0, write_plan, p, NULL);
}

#define C(f, t) PSY__COL(struct psy_plan, f, t)
static const struct psy__col plan_cols[] = {
    C(id, i), C(client_id, i), C(clinician_id, i),
    PSY__COLX(struct psy_plan, "covers_individual + 2 * covers_group + 4 * covers_family", modalities, d),
    C(frequency, s), C(session_minutes, d), C(start_date, s), C(review_date, s), C(end_date, s),
    C(clinician_signed_at, s), C(client_signed_at, s), C(version, d)};
#undef C
static const struct psy__map plan_map = PSY__MAP(plan_cols);

psy_status psy_records_plan_get(psy_store *st, psy_id practice, psy_id id, struct psy_plan *p)
{
    psy__stmt *s;
    int r = PSY_SQL_DONE;
    memset(p, 0, sizeof *p);
    psy_status rc =
        psy__rec_get(st, p, &plan_map, "treatment plan", id, "FROM treatment_plan WHERE practice_id = ? AND id = ?",
                     PSY_ARGS(PSY_INT(practice), PSY_INT(id)));
    if (rc) return rc;
    rc =
        psy__db_query(st, &s, "SELECT code FROM plan_diagnosis WHERE practice_id = ? AND plan_id = ? ORDER BY position",
                      PSY_ARGS(PSY_INT(practice), PSY_INT(id)));
    if (rc) return rc;
    while (p->n_dx < PSY_REC_DX_MAX && (r = psy__sql_step(s)) == PSY_SQL_ROW)
        psy__db_col_copy(s, 0, p->dx[p->n_dx++], PSY_CODE_MAX);
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) return psy__store_dbfail(st, "records");
    const struct { const char *table; int *n; char **items; int cap; } lists[] = {
        {"plan_goal", &p->n_goals, p->goals, PSY_REC_GOALS_MAX},
        {"plan_problem", &p->n_problems, p->problems, PSY_REC_PLAN_ITEMS_MAX},
        {"plan_objective", &p->n_objectives, p->objectives, PSY_REC_PLAN_ITEMS_MAX},
        {"plan_intervention", &p->n_interventions, p->interventions, PSY_REC_PLAN_ITEMS_MAX},
    };
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT text FROM %s WHERE practice_id = ? AND plan_id = ? ORDER BY position",
                 lists[l].table);
        if ((rc = psy__db_query(st, &s, sql, PSY_ARGS(PSY_INT(practice), PSY_INT(id))))) break;
        while (*lists[l].n < lists[l].cap && (r = psy__sql_step(s)) == PSY_SQL_ROW)
            lists[l].items[(*lists[l].n)++] = psy__db_col_dup(s, 0);
        psy__sql_finalize(s);
        if (r == PSY_SQL_ERROR) {
            rc = psy__store_dbfail(st, "records");
            break;
        }
    }
    if (rc) psy_plan_clear(p);
    return rc;
}

struct plan_sign {
    char who;
    psy_id clinician;
    const char *at;
};

static psy_status write_plan_sign(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version)
{
    const struct plan_sign *ps = rec;
    char at[PSY_REC_TIME_MAX], now[PSY_REC_TIME_MAX];
    int64_t owner = 0, already = 0;
    psy__rec_now(now);
    if (ps->at && *ps->at) {
        if (psy_records_time_utc(ps->at, at)) return psy__rec_bad(st, "at", "not an instant (YYYY-MM-DDTHH:MM:SSZ)");
    } else {
        memcpy(at, now, sizeof at);
    }
    const char *col = ps->who == 'c' ? "clinician_signed_at" : "client_signed_at";
    if (ps->who != 'c' && ps->who != 'p') return psy__rec_bad(st, "who", "'c' (clinician) or 'p' (client)");
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT clinician_id, CASE WHEN %s IS NULL THEN 0 ELSE 1 END FROM treatment_plan WHERE practice_id = ? AND id = ?",
             col);
    psy__stmt *s;
    psy_status rc = psy__db_query(st, &s, sql, PSY_ARGS(PSY_INT(practice), PSY_INT(*id)));
    if (rc) return rc;
    int r = psy__sql_step(s);
    if (r == PSY_SQL_ROW) {
        owner = psy__sql_int64(s, 0);
        already = psy__sql_int64(s, 1);
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) return psy__store_dbfail(st, "records");
    if (already) return psy__store_fail(st, PSY_ECONFLICT, "%s: the plan is already signed", col);
    if (ps->who == 'c' && ps->clinician != owner)
        return psy__store_fail(st, PSY_EPERM, "clinician: only the plan's clinician signs it");
    snprintf(sql, sizeof sql, "%s = ?, updated_at = ?", col);
    return psy__rec_update(st, "treatment_plan", practice, *id, version, sql,
                           PSY_ARGS(PSY_TEXT_OR_EMPTY(at), PSY_TEXT_OR_EMPTY(now)));
}

psy_status psy_records_plan_sign(psy_store *st, psy_id practice, psy_id plan, char who, psy_id clinician,
                                 const char *at)
{
    struct plan_sign ps = {who, clinician, at};
    return psy__rec_write_current(st, practice, "treatment_plan", plan, "sign", who == 'c' ? clinician : 0,
                                  write_plan_sign, &ps);
}

static psy_status write_plan_close(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version)
{
    const char *end = rec;
    char now[PSY_REC_TIME_MAX], start[PSY_DATE_MAX] = "";
    psy__stmt *s;
    psy__rec_now(now);
    psy_status rc = psy__rec_date(st, "end_date", end, 1);
    if (rc) return rc;
    rc = psy__db_query(st, &s, "SELECT start_date FROM treatment_plan WHERE practice_id = ? AND id = ?",
                       PSY_ARGS(PSY_INT(practice), PSY_INT(*id)));
    if (rc) return rc;
    int r = psy__sql_step(s);
    if (r == PSY_SQL_ROW) psy__db_col_copy(s, 0, start, sizeof start);
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) return psy__store_dbfail(st, "records");
    if (strcmp(end, start) < 0) return psy__rec_bad(st, "end_date", "before the plan's start_date");
    return psy__rec_update(st, "treatment_plan", practice, *id, version, "end_date = ?, updated_at = ?",
                           PSY_ARGS(PSY_TEXT_OR_EMPTY(end), PSY_TEXT_OR_EMPTY(now)));
}

psy_status psy_records_plan_close(psy_store *st, psy_id practice, psy_id plan, const char *end_date)
{
    return psy__rec_write_current(st, practice, "treatment_plan", plan, "close", 0, write_plan_close, end_date);
}

/* --- groups ------------------------------------------------------------------------------------------- */

static const char *const group_modalities[] = {"group", "multifamily", NULL};

static psy_status write_group(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version)
{
    const struct psy_group *g = rec;
    char now[PSY_REC_TIME_MAX];
    psy__rec_now(now);
    psy_status rc = psy__rec_text(st, "name", g->name, 128, PSY__REQ);
    if (!rc) rc = psy__rec_ref(st, "clinician_id", "clinician", practice, g->clinician_id, 1);
    if (!rc && g->co_clinician_id) {
        rc = psy__rec_ref(st, "co_clinician_id", "clinician", practice, g->co_clinician_id, 1);
        if (!rc && g->co_clinician_id == g->clinician_id)
            rc = psy__rec_bad(st, "co_clinician_id", "the same as clinician_id");
    }
    if (!rc) rc = psy__rec_oneof(st, "modality", g->modality, group_modalities);
    if (!rc && g->telehealth != 0 && g->telehealth != 1) rc = psy__rec_bad(st, "telehealth", "0 or 1");
    if (!rc && (g->capacity < 2 || g->capacity > 50)) rc = psy__rec_bad(st, "capacity", "between 2 and 50");
    if (!rc) rc = psy__rec_text(st, "schedule", g->schedule, 64, 0);
    if (!rc && *id && g->active != 0 && g->active != 1) rc = psy__rec_bad(st, "active", "0 or 1");
    if (!rc && *id) {
        int64_t members = 0;
        rc = psy__db_int(st, &members,
                         "SELECT COUNT(*) FROM group_member WHERE practice_id = ? AND group_id = ? "
                         "AND left_date IS NULL",
                         PSY_ARGS(PSY_INT(practice), PSY_INT(*id)));
        if (!rc && members > g->capacity)
            rc = psy__rec_bad(st, "capacity", "below the %lld current members", (long long)members);
    }
    if (rc) return rc;
    if (*id)
        return psy__rec_update(st, "therapy_group", practice, *id, version,
                               "name = ?, clinician_id = ?, co_clinician_id = ?, modality = ?, telehealth = ?, "
                               "capacity = ?, schedule = ?, active = ?, updated_at = ?",
                               PSY_ARGS(PSY_TEXT_OR_EMPTY(g->name), PSY_INT(g->clinician_id),
                                        PSY_INT_OR_NULL(g->co_clinician_id), PSY_TEXT_OR_EMPTY(g->modality),
                                        PSY_INT(g->telehealth), PSY_INT(g->capacity), PSY_TEXT_OR_EMPTY(g->schedule),
                                        PSY_INT(g->active), PSY_TEXT_OR_EMPTY(now)));
    return psy__db_insert(st, id,
                          "INSERT INTO therapy_group (practice_id, name, clinician_id, co_clinician_id, modality, "
                          "telehealth, capacity, schedule, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                          PSY_ARGS(PSY_INT(practice), PSY_TEXT_OR_EMPTY(g->name), PSY_INT(g->clinician_id),
                                   PSY_INT_OR_NULL(g->co_clinician_id), PSY_TEXT_OR_EMPTY(g->modality),
                                   PSY_INT(g->telehealth), PSY_INT(g->capacity), PSY_TEXT_OR_EMPTY(g->schedule),
                                   PSY_TEXT_OR_EMPTY(now), PSY_TEXT_OR_EMPTY(now)));
}

psy_status psy_records_group_add(psy_store *st, psy_id practice, const struct psy_group *g, psy_id *id)
{
    return psy__rec_write_one(st, practice, "therapy_group", 0, 0, "create", 0, write_group, g, id);
}

psy_status psy_records_group_update(psy_store *st, psy_id practice, const struct psy_group *g)
{
    return psy__rec_write_one(st, practice, "therapy_group", g->id, g->version, "update", 0, write_group, g, NULL);
}

#define C(f, t) PSY__COL(struct psy_group, f, t)
static const struct psy__col group_cols[] = {C(id, i),         C(name, s),       C(clinician_id, i),
                                                 C(co_clinician_id, i), C(modality, s), C(telehealth, d),
                                                 C(capacity, d),   C(schedule, s),   C(active, d),
                                                 C(version, d)};
#undef C
static const struct psy__map group_map = PSY__MAP(group_cols);

psy_status psy_records_group_get(psy_store *st, psy_id practice, psy_id id, struct psy_group *g)
{
    memset(g, 0, sizeof *g);
    return psy__rec_get(st, g, &group_map, "group", id, "FROM therapy_group WHERE practice_id = ? AND id = ?",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(id)));
}

psy_status psy_records_group_join(psy_store *st, psy_id practice, psy_id group, psy_id client, const char *joined)
{
    int64_t was;
    psy_status rc = psy__store_begin(st);
    if (rc) return rc;
    rc = psy__rec_ref(st, "group_id", "therapy_group", practice, group, 1);
    if (!rc) rc = psy__rec_ref(st, "client_id", "client", practice, client, 1);
    if (!rc) rc = psy__rec_date(st, "joined", joined, 1);
    if (!rc) {
        psy_status q =
            psy__db_int(st, &was, "SELECT 1 FROM group_member WHERE practice_id = ? AND group_id = ? AND client_id = ?",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(group), PSY_INT(client)));
        if (q == PSY_OK) rc = psy__store_fail(st, PSY_ECONFLICT, "client_id: already on this group's roster");
        else if (q != PSY_ENOTFOUND) rc = q;
    }
    if (!rc)
        rc = psy__db_run(st, NULL,
                         "INSERT INTO group_member (practice_id, group_id, client_id, joined_date) VALUES (?,?,?,?)",
                         PSY_ARGS(PSY_INT(practice), PSY_INT(group), PSY_INT(client), PSY_TEXT_OR_EMPTY(joined)));
    return psy__rec_end(st, rc);
}

psy_status psy_records_group_leave(psy_store *st, psy_id practice, psy_id group, psy_id client, const char *left)
{
    int64_t changed = 0;
    psy_status rc = psy__store_begin(st);
    if (rc) return rc;
    rc = psy__rec_date(st, "left", left, 1);
    if (!rc)
        rc = psy__db_run(
            st, &changed,
            "UPDATE group_member SET left_date = ? WHERE practice_id = ? AND group_id = ? AND client_id = ? "
            "AND left_date IS NULL AND joined_date <= ?",
            PSY_ARGS(PSY_TEXT_OR_EMPTY(left), PSY_INT(practice), PSY_INT(group), PSY_INT(client),
                     PSY_TEXT_OR_EMPTY(left)));
    if (!rc && !changed) rc = psy__rec_bad(st, "client_id", "not a current member who joined on or before that date");
    return psy__rec_end(st, rc);
}

psy_status psy_records_group_roster(psy_store *st, psy_id practice, psy_id group, const char *date, psy_id **ids,
                                    size_t *n)
{
    return psy__db_ints(
        st, ids, n,
        "SELECT client_id FROM group_member WHERE practice_id = ? AND group_id = ? AND joined_date <= ? "
        "AND (left_date IS NULL OR left_date >= ?) ORDER BY client_id",
        PSY_ARGS(PSY_INT(practice), PSY_INT(group), PSY_TEXT_OR_EMPTY(date), PSY_TEXT_OR_EMPTY(date)));
}

#define C(f, t) PSY__COL(struct psy_membership, f, t)
static const struct psy__col member_cols[] = {C(client_id, i),
                                              PSY__COLX(struct psy_membership, "joined_date", joined, s),
                                              PSY__COLX(struct psy_membership, "left_date", left, s)};
#undef C
static const struct psy__map member_map = PSY__MAP(member_cols);

psy_status psy_records_group_members(psy_store *st, psy_id practice, psy_id group, struct psy_membership **out, size_t *n)
{
    psy_status rc = psy__rec_ref(st, "group_id", "therapy_group", practice, group, 0);
    if (rc) return rc;
    return psy__db_rows(st, (void **)out, n, sizeof **out, &member_map,
                        "FROM group_member WHERE practice_id = ? AND group_id = ? ORDER BY client_id",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(group)));
}
