/*
 * records_notes.c -- session notes: the group-level note of a group session, one note per present
 * member, the note of an individual-type session; drafts, signing (which locks), addenda, listing.
 *
 * Lifecycle: draft --save*--> draft --sign--> signed --addendum*--> signed. A signed note never changes
 * (the library refuses, and a trigger in the schema backs it up); every save, the signature and each
 * addendum are entries of the note's history.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "records_int.h"

/* The eight text parts, in column order. */
enum { F_THEME, F_TECHNIQUES, F_DYNAMICS, F_FACTORS, F_PARTICIPATION, F_RESPONSE, F_PROGRESS, F_PLAN, F_COUNT };
static const char *const field_names[F_COUNT] = {"theme", "techniques", "dynamics", "factors",
                                                 "participation", "response", "progress", "plan"};

/* Which parts each kind has; every part a kind has is required to sign it. */
static const struct { const char *kind; unsigned parts; } kinds[] = {
    {"group", 1u << F_THEME | 1u << F_TECHNIQUES | 1u << F_DYNAMICS | 1u << F_FACTORS},
    {"member", 1u << F_PARTICIPATION | 1u << F_RESPONSE | 1u << F_PROGRESS | 1u << F_PLAN},
    {"individual", 1u << F_TECHNIQUES | 1u << F_RESPONSE | 1u << F_PROGRESS | 1u << F_PLAN},
};

static unsigned kind_parts(const char *kind)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].kind, kind)) return kinds[i].parts;
    return 0;
}

static void note_texts(const struct psy_note *n, const char *t[F_COUNT])
{
    t[F_THEME] = n->theme;
    t[F_TECHNIQUES] = n->techniques;
    t[F_DYNAMICS] = n->dynamics;
    t[F_FACTORS] = n->factors;
    t[F_PARTICIPATION] = n->participation;
    t[F_RESPONSE] = n->response;
    t[F_PROGRESS] = n->progress;
    t[F_PLAN] = n->plan;
    for (int i = 0; i < F_COUNT; i++)
        if (!t[i]) t[i] = "";
}

void psy_note_clear(struct psy_note *n)
{
    if (!n) return;
    char **p[F_COUNT] = {&n->theme, &n->techniques, &n->dynamics, &n->factors,
                         &n->participation, &n->response, &n->progress, &n->plan};
    for (int i = 0; i < F_COUNT; i++) free(*p[i]);
    memset(n, 0, sizeof *n);
}

/* Checks kind and client of a new note against its session. */
static psy_status check_new_note(psy_store *st, psy_id practice, const struct psy_note *n)
{
    struct psy_session s;
    int64_t present = 0;
    psy_status rc = psy_records_session_get(st, practice, n->session_id, &s);
    if (rc == PSY_ENOTFOUND) return psy__rec_bad(st, "session_id", "no such session in this practice");
    if (rc) return rc;
    if (*s.signed_at) return psy__store_fail(st, PSY_EPERM, "session_id: the session is signed");
    int group = !strcmp(s.kind, "group") || !strcmp(s.kind, "multifamily");
    if (!group) {
        if (strcmp(n->kind, "individual")) return psy__rec_bad(st, "kind", "this session takes an 'individual' note");
        if (n->client_id != s.client_id) return psy__rec_bad(st, "client_id", "not the client of this session");
        return PSY_OK;
    }
    if (!strcmp(n->kind, "group")) {
        if (n->client_id) return psy__rec_bad(st, "client_id", "the group note names no client");
        return PSY_OK;
    }
    if (strcmp(n->kind, "member")) return psy__rec_bad(st, "kind", "a group session takes a 'group' note and 'member' notes");
    rc = psy__db_int(st, &present,
                     "SELECT present FROM attendance WHERE practice_id = ? AND session_id = ? AND client_id = ?",
                     PSY_ARGS(PSY_INT(practice), PSY_INT(n->session_id), PSY_INT(n->client_id)));
    if (rc == PSY_ENOTFOUND || (!rc && !present))
        return psy__rec_bad(st, "client_id", "not marked present in this session (record attendance first)");
    return rc;
}

static psy_status write_note(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version)
{
    const struct psy_note *n = rec;
    const char *t[F_COUNT];
    char now[PSY_REC_TIME_MAX], kind[12], status[8] = "";
    psy_id session = n->session_id;
    psy__rec_now(now);
    note_texts(n, t);
    psy_status rc;
    if (*id) {
        psy__stmt *q;
        if ((rc = psy__db_query(st, &q, "SELECT kind, status, session_id FROM note WHERE practice_id = ? AND id = ?",
                                PSY_ARGS(PSY_INT(practice), PSY_INT(*id)))))
            return rc;
        int r = psy__sql_step(q);
        if (r == PSY_SQL_ROW) {
            psy__db_col_copy(q, 0, kind, sizeof kind);
            psy__db_col_copy(q, 1, status, sizeof status);
            session = psy__sql_int64(q, 2);
        } else if (r == PSY_SQL_ERROR) {
            rc = psy__store_dbfail(st, "records");
        }
        psy__sql_finalize(q);
        if (rc) return rc;
        if (!strcmp(status, "signed")) return psy__store_fail(st, PSY_EPERM, "note: signed; add an addendum instead");
    } else {
        if ((rc = check_new_note(st, practice, n))) return rc;
        snprintf(kind, sizeof kind, "%s", n->kind);
    }
    if ((rc = psy__rec_ref(st, "author_id", "clinician", practice, n->author_id, 1))) return rc;
    for (const char *p = n->template_id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return psy__rec_bad(st, "template", "a template id: lower-case letters, digits, - and _");
    if ((rc = psy__rec_session_signer(st, practice, session, n->author_id))) return rc;
    unsigned parts = kind_parts(kind);
    for (int i = 0; i < F_COUNT; i++) {
        if (!(parts & (1u << i)) && *t[i])
            return psy__rec_bad(st, field_names[i], "not part of a %s note", kind);
        if ((rc = psy__rec_text(st, field_names[i], t[i], PSY_REC_TEXT_MAX, PSY__MULTILINE))) return rc;
    }
    if (*id)
        return psy__rec_update(
            st, "note", practice, *id, version,
            "author_id = ?, theme = ?, techniques = ?, dynamics = ?, factors = ?, participation = ?, "
            "response = ?, progress = ?, plan = ?, template = ?, updated_at = ?",
            PSY_ARGS(PSY_INT(n->author_id), PSY_TEXT_OR_EMPTY(t[0]), PSY_TEXT_OR_EMPTY(t[1]), PSY_TEXT_OR_EMPTY(t[2]),
                     PSY_TEXT_OR_EMPTY(t[3]), PSY_TEXT_OR_EMPTY(t[4]), PSY_TEXT_OR_EMPTY(t[5]), PSY_TEXT_OR_EMPTY(t[6]),
                     PSY_TEXT_OR_EMPTY(t[7]), PSY_TEXT_OR_NULL(n->template_id), PSY_TEXT_OR_EMPTY(now)));
    return psy__db_insert(
        st, id,
        "INSERT INTO note (practice_id, session_id, client_id, kind, author_id, theme, techniques, "
        "dynamics, factors, participation, response, progress, plan, template, created_at, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        PSY_ARGS(PSY_INT(practice), PSY_INT(n->session_id), PSY_INT_OR_NULL(n->client_id), PSY_TEXT_OR_EMPTY(kind),
                 PSY_INT(n->author_id), PSY_TEXT_OR_EMPTY(t[0]), PSY_TEXT_OR_EMPTY(t[1]), PSY_TEXT_OR_EMPTY(t[2]),
                 PSY_TEXT_OR_EMPTY(t[3]), PSY_TEXT_OR_EMPTY(t[4]), PSY_TEXT_OR_EMPTY(t[5]), PSY_TEXT_OR_EMPTY(t[6]),
                 PSY_TEXT_OR_EMPTY(t[7]), PSY_TEXT_OR_NULL(n->template_id), PSY_TEXT_OR_EMPTY(now),
                 PSY_TEXT_OR_EMPTY(now)));
}

psy_status psy_records_note_save(psy_store *st, psy_id practice, const struct psy_note *n, psy_id *id)
{
    return psy__rec_write_one(st, practice, "note", n->id, n->version, n->id ? "update" : "create", n->author_id,
                              write_note, n, id);
}

#define C(f, t) PSY__COL(struct psy_note, f, t)
static const struct psy__col note_cols[] = {
    C(id, i),           C(session_id, i), C(client_id, i), C(kind, s),     C(author_id, i),
    C(theme, S),        C(techniques, S), C(dynamics, S),  C(factors, S),  C(participation, S),
    C(response, S),     C(progress, S),   C(plan, S),      C(status, s),   C(signed_at, s),
    C(signed_by, i),    PSY__COLX(struct psy_note, "template", template_id, s), C(version, d)};
#undef C
static const struct psy__map note_map = PSY__MAP(note_cols);

psy_status psy_records_note_get(psy_store *st, psy_id practice, psy_id id, struct psy_note *n)
{
    memset(n, 0, sizeof *n);
    return psy__rec_get(st, n, &note_map, "note", id, "FROM note WHERE practice_id = ? AND id = ?",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(id)));
}

psy_status psy_records_note_list(psy_store *st, psy_id practice, psy_id session, struct psy_note **out, size_t *n)
{
    return psy__db_rows(st, (void **)out, n, sizeof **out, &note_map,
                        "FROM note WHERE practice_id = ? AND session_id = ? "
                        "ORDER BY client_id IS NOT NULL, client_id",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(session)));
}

psy_status psy_records_client_notes_before(psy_store *st, psy_id practice, psy_id client, const char *date,
                                           psy_id session, size_t max, struct psy_note **out, size_t *n)
{
    char sql[600];
    snprintf(sql, sizeof sql,
             "FROM note WHERE practice_id = ? AND client_id = ? AND kind IN ('member', 'individual') AND session_id <> ? "
             "AND EXISTS (SELECT 1 FROM session s WHERE s.id = note.session_id AND s.practice_id = ? AND "
             "s.service_date < ?) "
             "ORDER BY (SELECT service_date FROM session s WHERE s.id = note.session_id) DESC, id DESC LIMIT %zu",
             max ? max : 1);
    return psy__db_rows(
        st, (void **)out, n, sizeof **out, &note_map, sql,
        PSY_ARGS(PSY_INT(practice), PSY_INT(client), PSY_INT(session), PSY_INT(practice), PSY_TEXT_OR_EMPTY(date)));
}

static psy_status write_note_sign(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version)
{
    const psy_id *clinician = rec;
    struct psy_note n;
    const char *t[F_COUNT];
    char now[PSY_REC_TIME_MAX];
    psy__rec_now(now);
    psy_status rc = psy_records_note_get(st, practice, *id, &n);
    if (rc) return rc;
    if (!strcmp(n.status, "signed")) rc = psy__store_fail(st, PSY_ECONFLICT, "note: already signed");
    if (!rc) rc = psy__rec_ref(st, "clinician", "clinician", practice, *clinician, 1);
    if (!rc) rc = psy__rec_session_signer(st, practice, n.session_id, *clinician);
    note_texts(&n, t);
    unsigned parts = kind_parts(n.kind);
    for (int i = 0; !rc && i < F_COUNT; i++)
        if (parts & (1u << i))
            rc = psy__rec_text(st, field_names[i], t[i], PSY_REC_TEXT_MAX, PSY__REQ | PSY__MULTILINE);
    if (!rc && !strcmp(n.kind, "member")) {
        int64_t present = 0;
        psy_status q = psy__db_int(
            st, &present, "SELECT present FROM attendance WHERE practice_id = ? AND session_id = ? AND client_id = ?",
            PSY_ARGS(PSY_INT(practice), PSY_INT(n.session_id), PSY_INT(n.client_id)));
        if (q && q != PSY_ENOTFOUND) rc = q;
        else if (!present) rc = psy__rec_bad(st, "client_id", "the member is no longer marked present");
    }
    psy_note_clear(&n);
    if (rc) return rc;
    return psy__rec_update(st, "note", practice, *id, version,
                           "status = 'signed', signed_at = ?, signed_by = ?, updated_at = ?",
                           PSY_ARGS(PSY_TEXT_OR_EMPTY(now), PSY_INT(*clinician), PSY_TEXT_OR_EMPTY(now)));
}

psy_status psy_records_note_sign(psy_store *st, psy_id practice, psy_id note, psy_id clinician)
{
    return psy__rec_write_current(st, practice, "note", note, "sign", clinician, write_note_sign, &clinician);
}

psy_status psy_records_note_addendum(psy_store *st, psy_id practice, psy_id note, psy_id clinician, const char *text,
                                     psy_id *id)
{
    struct psy_note n;
    char now[PSY_REC_TIME_MAX];
    psy_id aid = 0;
    psy__rec_now(now);
    psy_status rc = psy__store_begin(st);
    if (rc) return rc;
    rc = psy_records_note_get(st, practice, note, &n);
    if (!rc && strcmp(n.status, "signed"))
        rc = psy__store_fail(st, PSY_EPERM, "note: a draft; edit it instead of adding an addendum");
    if (!rc) rc = psy__rec_ref(st, "clinician", "clinician", practice, clinician, 1);
    if (!rc) rc = psy__rec_session_signer(st, practice, n.session_id, clinician);
    if (!rc) rc = psy__rec_text(st, "text", text, PSY_REC_TEXT_MAX, PSY__REQ | PSY__MULTILINE);
    if (!rc)
        rc = psy__db_insert(
            st, &aid,
            "INSERT INTO note_addendum (practice_id, note_id, author_id, text, created_at) VALUES (?,?,?,?,?)",
            PSY_ARGS(PSY_INT(practice), PSY_INT(note), PSY_INT(clinician), PSY_TEXT_OR_EMPTY(text),
                     PSY_TEXT_OR_EMPTY(now)));
    if (!rc) rc = psy__rec_history(st, practice, "note", note, "addendum", clinician, NULL);
    psy_note_clear(&n);
    if (!rc && id) *id = aid;
    return psy__rec_end(st, rc);
}

#define C(f, t) PSY__COL(struct psy_addendum, f, t)
static const struct psy__col addendum_cols[] = {C(id, i), C(author_id, i), C(created_at, s), C(text, S)};
#undef C
static const struct psy__map addendum_map = PSY__MAP(addendum_cols);

psy_status psy_records_addenda(psy_store *st, psy_id practice, psy_id note, struct psy_addendum **out, size_t *n)
{
    return psy__db_rows(st, (void **)out, n, sizeof **out, &addendum_map,
                        "FROM note_addendum WHERE practice_id = ? AND note_id = ? ORDER BY id",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(note)));
}

void psy_addenda_free(struct psy_addendum *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++) free(a[i].text);
    free(a);
}
