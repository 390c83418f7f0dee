/*
 * api_sessions.c -- documenting a group session over HTTP: open a new one (POST /api/groups/:id/sessions;
 * a group's second session on a date only as distinct_session, with its own start and stop),
 * read it with its attendance grid, notes and warnings (GET /api/sessions/:id), save a draft of times,
 * attendance and notes at the version read (PUT, 409 when stale), check a draft without saving it
 * (POST .../check), sign and lock it (POST .../sign) and add an addendum to a signed note
 * (POST /api/notes/:id/addendum).
 *
 * The warnings are the audit's checks for one session: those that depend on what is being typed (near
 * copies among member notes, more members present than the payers allow, missing times) run on the draft;
 * those that depend on other records (treatment plan, authorisation units, diagnoses, telehealth consent)
 * come from psy_audit_collect on the stored records. A biller reads sessions without any note text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srv_api.h"
#include "api_visits.h"

static const char *const MEMBER_PARTS[] = {"participation", "response", "progress", "plan", NULL};

#define CLONE_THRESHOLD 0.8 /* data/audit/audit.json clone_threshold */
#define GROUP_MAX_DEFAULT 12

/* The session of the path, when the user may see it (else replies 404). */
static int load_session(struct srv_req *r, struct psy_session *s)
{
    psy_id id;
    if (api_id_param(r, "id", &id)) return -1;
    psy_status rc = psy_records_session_get(r->st, r->session.user.practice_id, id, s);
    if (rc == PSY_OK) {
        psy_id own = api_own_clinician(r, PSY_PERM_CLIENTS_READ);
        int ok = !own || s->clinician_id == own || (s->group_id ? api_may_see(r, 1, s->group_id) : api_may_see(r, 0, s->client_id));
        if (!ok) rc = PSY_ENOTFOUND;
    }
    return api_found(r, rc, "session");
}

static json_t *finding_json(const char *rule, const char *severity, const char *type, psy_id id, double sim,
                            const char *msg)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:s}", "rule", rule, "severity", severity, "record_type", type,
                          "record_id", (json_int_t)id, "message", msg);
    if (sim >= 0) json_object_set_new(j, "similarity", json_real(sim));
    return j;
}

static int is_present(json_t *draft, psy_id client)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(draft, "attendance"), i, a)
        if (json_integer_value(json_object_get(a, "client_id")) == client) return json_is_true(json_object_get(a, "present"));
    return 0;
}

static char *member_text(json_t *note)
{
    size_t len = 0;
    for (int k = 0; MEMBER_PARTS[k]; k++) len += strlen(json_string_value(json_object_get(note, MEMBER_PARTS[k])) ?: "") + 1;
    char *t = psy_malloc(len + 1);
    *t = 0;
    for (int k = 0; MEMBER_PARTS[k]; k++) {
        strcat(t, json_string_value(json_object_get(note, MEMBER_PARTS[k])) ?: "");
        strcat(t, " ");
    }
    return t;
}

/* Near copies among the present members' draft notes: one warning per pair at or above the threshold. */
static void check_clones(json_t *draft, psy_id sid, json_t *out)
{
    json_t *notes = json_object_get(draft, "notes"), *m[64];
    char *text[64];
    size_t n = 0, i;
    json_t *note;
    json_array_foreach(notes, i, note) {
        psy_id c = json_integer_value(json_object_get(note, "client_id"));
        if (n < 64 && c && is_present(draft, c)) {
            text[n] = member_text(note);
            m[n++] = note;
        }
    }
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++) {
            double sim = psy_audit_similarity(text[a], text[b]);
            if (sim < CLONE_THRESHOLD) continue;
            char msg[200];
            snprintf(msg, sizeof msg, "the notes of clients %lld and %lld are near copies of each other",
                     (long long)json_integer_value(json_object_get(m[a], "client_id")),
                     (long long)json_integer_value(json_object_get(m[b], "client_id")));
            json_t *f = finding_json("R-GRP-2", "warning", "session", sid, sim, msg);
            json_object_set_new(f, "client_ids", json_pack("[O,O]", json_object_get(m[a], "client_id"),
                                                      json_object_get(m[b], "client_id")));
            json_array_append_new(out, f);
        }
    for (size_t k = 0; k < n; k++) free(text[k]);
}

/* More members present than the strictest of their primary payers pays a group for. */
static void check_size(struct srv_req *r, const struct psy_session *s, json_t *draft, json_t *out)
{
    psy_id pr = r->session.user.practice_id;
    int present = 0, limit = GROUP_MAX_DEFAULT;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(draft, "attendance"), i, a) {
        if (!json_is_true(json_object_get(a, "present"))) continue;
        present++;
        struct psy_policy p;
        struct psy_payer py;
        if (psy_records_policy_on(r->st, pr, json_integer_value(json_object_get(a, "client_id")), s->service_date, 1, &p) ==
                PSY_OK &&
            psy_records_payer_get(r->st, pr, p.payer_id, &py) == PSY_OK && py.group_max && py.group_max < limit)
            limit = py.group_max;
    }
    if (present > limit) {
        char msg[160];
        snprintf(msg, sizeof msg, "%d members present; their payers pay for groups of at most %d", present, limit);
        json_array_append_new(out, finding_json("R-GRP-1", "error", "session", s->id, -1, msg));
    }
}

/* The stored audit's findings for this session's present members that the draft does not change. */
static void stored_findings(struct srv_req *r, const struct psy_session *s, json_t *draft, json_t *out)
{
    psy_id pr = r->session.user.practice_id;
    struct psy_audit_opts o = {s->service_date, s->service_date, NULL, 0};
    struct psy_audit_finding *f;
    size_t n;
    if (psy_audit_collect(r->st, pr, &o, &f, &n)) return;
    for (size_t i = 0; i < n; i++) {
        static const char *const rules[] = {"R-PLAN-1", "R-AUTH-1", "R-DX-1", "R-DX-2", "R-TH-2", NULL};
        int want = 0;
        for (int k = 0; rules[k]; k++) want |= strcmp(f[i].rule, rules[k]) == 0;
        if (!want || strcmp(f[i].date, s->service_date) != 0) continue;
        psy_id client = 0;
        if (!strcmp(f[i].record_type, "client")) {
            client = f[i].record_id;
        } else if (!strcmp(f[i].record_type, "treatment_plan")) {
            struct psy_plan p;
            if (psy_records_plan_get(r->st, pr, f[i].record_id, &p) == PSY_OK) client = p.client_id, psy_plan_clear(&p);
        } else if (!strcmp(f[i].record_type, "authorisation")) {
            struct psy_authorisation a;
            if (psy_records_auth_get(r->st, pr, f[i].record_id, &a) == PSY_OK) client = a.client_id;
        } else if (!strcmp(f[i].record_type, "session") && f[i].record_id == s->id) {
            client = -1;
        }
        int ours = client > 0 && (s->group_id ? is_present(draft, client) : client == s->client_id);
        if (client == -1 || ours) {
            json_t *j = finding_json(f[i].rule, psy_audit_severity_name(f[i].severity), f[i].record_type, f[i].record_id,
                                     f[i].similarity, f[i].message);
            if (client > 0) json_object_set_new(j, "client_id", json_integer(client));
            json_array_append_new(out, j);
        }
    }
    free(f);
}

static json_t *run_checks(struct srv_req *r, const struct psy_session *s, json_t *draft)
{
    json_t *out = json_array();
    const char *start = json_string_value(json_object_get(draft, "start_utc")) ?: "";
    const char *stop = json_string_value(json_object_get(draft, "stop_utc")) ?: "";
    if ((!*start || !*stop) && !json_integer_value(json_object_get(draft, "minutes")))
        json_array_append_new(out, finding_json("R-TIME-4", "error", "session", s->id, -1,
                                                "the session has no start or no stop time and no total minutes"));
    if (s->group_id) {
        check_size(r, s, draft, out);
        check_clones(draft, s->id, out);
    }
    api_visit_clone_checks(r, s, draft, out);
    stored_findings(r, s, draft, out);
    return out;
}

static json_t *note_json(struct srv_req *r, const struct psy_note *n)
{
    json_t *j = json_pack("{s:I, s:s, s:I, s:s, s:s, s:i, s:s}", "id", (json_int_t)n->id, "kind", n->kind, "client_id",
                          (json_int_t)n->client_id, "status", n->status, "signed_at", n->signed_at, "version",
                          n->version, "template", n->template_id);
    const char *const *parts = api_note_parts(n->kind);
    struct psy_note copy = *n;
    for (int k = 0; parts[k]; k++) {
        char **v = api_note_slot(&copy, parts[k]);
        json_object_set_new(j, parts[k], json_string(v && *v ? *v : ""));
    }
    struct psy_addendum *ad;
    size_t na;
    json_t *arr = json_array();
    if (psy_records_addenda(r->st, r->session.user.practice_id, n->id, &ad, &na) == PSY_OK) {
        for (size_t i = 0; i < na; i++)
            json_array_append_new(arr, json_pack("{s:s, s:s}", "created_at", ad[i].created_at, "text", ad[i].text ?: ""));
        psy_addenda_free(ad, na);
    }
    json_object_set_new(j, "addenda", arr);
    return j;
}

/* The session as stored, in the shape PUT takes (notes only when with_notes). */
static json_t *session_doc(struct srv_req *r, const struct psy_session *s, int with_notes)
{
    psy_id pr = r->session.user.practice_id;
    json_t *members = json_array(), *att = json_array(), *notes = json_array();
    struct psy_attendance *a = NULL;
    size_t na = 0, nr = 0;
    psy_id *roster = NULL;
    if (s->group_id) psy_records_group_roster(r->st, pr, s->group_id, s->service_date, &roster, &nr);
    psy_records_attendance_list(r->st, pr, s->id, &a, &na);
    for (size_t i = 0; i < na; i++)
        json_array_append_new(att, json_pack("{s:I, s:b, s:i, s:i, s:b}", "client_id", (json_int_t)a[i].client_id,
                                             "present", a[i].present, "late_minutes", a[i].late_minutes,
                                             "early_minutes", a[i].early_minutes, "interactive_complexity",
                                             a[i].interactive_complexity));
    for (size_t i = 0; i < nr + na; i++) {
        psy_id c = i < nr ? roster[i] : a[i - nr].client_id;
        int dup = 0;
        for (size_t k = 0; k < nr && i >= nr; k++) dup |= roster[k] == c;
        struct psy_client cl;
        if (!dup && psy_records_client_get(r->st, pr, c, &cl) == PSY_OK) json_array_append_new(members, api_client_brief(&cl));
    }
    free(roster);
    free(a);
    if (with_notes) {
        struct psy_note *n;
        size_t nn;
        if (psy_records_note_list(r->st, pr, s->id, &n, &nn) == PSY_OK) {
            for (size_t i = 0; i < nn; i++) {
                json_array_append_new(notes, note_json(r, &n[i]));
                psy_note_clear(&n[i]);
            }
            free(n);
        }
    }
    json_t *j = json_pack("{s:I, s:s, s:I, s:I, s:s, s:s, s:s, s:i, s:s, s:b, s:s, s:s, s:i, s:o, s:o}", "id",
                          (json_int_t)s->id, "kind", s->kind, "group_id", (json_int_t)s->group_id, "clinician_id",
                          (json_int_t)s->clinician_id, "service_date", s->service_date, "start_utc", s->start_utc,
                          "stop_utc", s->stop_utc, "minutes", s->minutes, "pos", s->pos, "telehealth", s->telehealth,
                          "signed_at", s->signed_at, "billed_code", s->billed_code, "version", s->version, "members",
                          members, "attendance", att);
    if (s->group_id) json_object_set_new(j, "distinct_session", json_boolean(s->distinct_session));
    if (with_notes) json_object_set_new(j, "notes", notes);
    else json_decref(notes);
    api_visit_fields(s, j);
    if (!s->group_id) {
        struct psy_client cl;
        if (psy_records_client_get(r->st, pr, s->client_id, &cl) == PSY_OK) {
            json_object_set_new(j, "client", api_client_brief(&cl));
            json_array_append_new(members, api_client_brief(&cl));
        }
    }
    if (s->group_id) {
        struct psy_group g;
        if (psy_records_group_get(r->st, pr, s->group_id, &g) == PSY_OK)
            json_object_set_new(j, "group", json_pack("{s:I, s:s, s:i}", "id", (json_int_t)g.id, "name", g.name,
                                                      "capacity", g.capacity));
    }
    return j;
}

static int notes_readable(const struct srv_req *r)
{
    return psy_auth_scope(r->session.user.role, PSY_PERM_NOTES_READ) != PSY_SCOPE_NONE;
}

static void reply_session(struct srv_req *r, const struct psy_session *s)
{
    int with_notes = notes_readable(r);
    json_t *j = session_doc(r, s, with_notes);
    json_object_set_new(j, "findings", run_checks(r, s, j));
    json_object_set_new(j, "coding", api_visit_coding(r, s, j));
    int writes = psy_auth_scope(r->session.user.role, PSY_PERM_NOTES_WRITE) != PSY_SCOPE_NONE;
    json_object_set_new(j, "editable", json_boolean(!*s->signed_at && writes));
    json_object_set_new(j, "may_addend", json_boolean(*s->signed_at && writes));
    srv_reply_json(r, 200, j);
}

void api_session_get(struct srv_req *r)
{
    struct psy_session s;
    if (load_session(r, &s)) return;
    if (api_audit_rec(r, notes_readable(r) ? "session.read" : "session.read_no_notes", "session", s.id)) return;
    reply_session(r, &s);
}

/* Validates the shape of a draft body; replies 422 naming the field and returns -1 when wrong. */
static int draft_shape(struct srv_req *r, json_t *b)
{
    static const char *const texts[] = {"start_utc", "stop_utc", NULL};
    for (int k = 0; texts[k]; k++) {
        json_t *v = json_object_get(b, texts[k]);
        if (v && !json_is_string(v)) {
            srv_reply_error(r, 422, "invalid", texts[k], "%s: a UTC instant such as 2025-01-07T18:00:00Z, or \"\"", texts[k]);
            return -1;
        }
    }
    json_t *v = json_object_get(b, "attendance"), *a;
    size_t i;
    if (v && !json_is_array(v)) {
        srv_reply_error(r, 422, "invalid", "attendance", "attendance: a list of members");
        return -1;
    }
    json_array_foreach(v, i, a) {
        static const char *const ints[] = {"client_id", "late_minutes", "early_minutes", NULL};
        for (int k = 0; ints[k]; k++) {
            json_t *x = json_object_get(a, ints[k]);
            if ((x || k == 0) && (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > 720)) {
                char f[48];
                snprintf(f, sizeof f, "attendance[%zu].%s", i, ints[k]);
                srv_reply_error(r, 422, "invalid", f, "%s: a whole number of %s", f, k ? "minutes, 0 to 720" : "id");
                return -1;
            }
        }
        json_t *ic = json_object_get(a, "interactive_complexity");
        if (!json_is_boolean(json_object_get(a, "present")) || (ic && !json_is_boolean(ic))) {
            char f[64];
            snprintf(f, sizeof f, "attendance[%zu].%s", i, ic && !json_is_boolean(ic) ? "interactive_complexity" : "present");
            srv_reply_error(r, 422, "invalid", f, "%s: true or false", f);
            return -1;
        }
    }
    v = json_object_get(b, "notes");
    if (v && !json_is_array(v)) {
        srv_reply_error(r, 422, "invalid", "notes", "notes: a list of notes");
        return -1;
    }
    json_array_foreach(v, i, a) {
        json_t *c = json_object_get(a, "client_id");
        if (!json_is_object(a) || (c && !json_is_integer(c))) {
            char f[48];
            snprintf(f, sizeof f, "notes[%zu].client_id", i);
            srv_reply_error(r, 422, "invalid", f, "%s: a client id, or 0 for the group note", f);
            return -1;
        }
    }
    return 0;
}

void api_session_check(struct srv_req *r)
{
    struct psy_session s;
    if (load_session(r, &s)) return;
    json_t *b = srv_body_object(r);
    if (!b) return;
    if (draft_shape(r, b)) {
        json_decref(b);
        return;
    }
    if (api_audit_rec(r, "session.check", "session", s.id)) {
        json_decref(b);
        return;
    }
    if (api_visit_apply(r, &s, b)) {
        json_decref(b);
        return;
    }
    json_t *f = run_checks(r, &s, b);
    json_t *c = api_visit_coding(r, &s, b);
    json_decref(b);
    srv_reply_json(r, 200, json_pack("{s:o, s:o}", "findings", f, "coding", c));
}

static psy_status save_note(struct srv_req *r, const struct psy_session *s, json_t *j)
{
    struct psy_note n;
    memset(&n, 0, sizeof n);
    n.id = json_integer_value(json_object_get(j, "id"));
    n.version = (int)json_integer_value(json_object_get(j, "version"));
    n.session_id = s->id;
    n.client_id = json_integer_value(json_object_get(j, "client_id"));
    snprintf(n.kind, sizeof n.kind, "%s", !s->group_id ? "individual" : n.client_id ? "member" : "group");
    n.author_id = r->session.user.clinician_id;
    snprintf(n.template_id, sizeof n.template_id, "%s", json_string_value(json_object_get(j, "template")) ?: "");
    const char *const *parts = api_note_parts(n.kind);
    for (int k = 0; parts[k]; k++) *api_note_slot(&n, parts[k]) = (char *)(json_string_value(json_object_get(j, parts[k])) ?: "");
    return psy_records_note_save(r->st, r->session.user.practice_id, &n, NULL);
}

void api_session_put(struct srv_req *r)
{
    struct psy_session s;
    if (load_session(r, &s)) return;
    json_t *b = srv_body_object(r);
    if (!b) return;
    if (draft_shape(r, b)) goto out;
    json_t *ver = json_object_get(b, "version");
    if (!json_is_integer(ver)) {
        srv_reply_error(r, 422, "invalid", "version", "version: the session's version as read");
        goto out;
    }
    if (*s.signed_at) {
        srv_reply_error(r, 409, "signed", NULL, "the session is signed and locked: add an addendum to a note instead");
        goto out;
    }
    if (api_audit_rec(r, "session.write", "session", s.id)) goto out;
    psy_id pr = r->session.user.practice_id;
    s.version = (int)json_integer_value(ver);
    snprintf(s.start_utc, sizeof s.start_utc, "%s", json_string_value(json_object_get(b, "start_utc")) ?: s.start_utc);
    snprintf(s.stop_utc, sizeof s.stop_utc, "%s", json_string_value(json_object_get(b, "stop_utc")) ?: s.stop_utc);
    if (api_visit_apply(r, &s, b)) goto out;
    psy_status rc = psy_records_batch_begin(r->st);
    if (!rc) rc = psy_records_session_update(r->st, pr, &s);
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(b, "attendance"), i, a) {
        if (rc) break;
        struct psy_attendance at;
        memset(&at, 0, sizeof at);
        at.session_id = s.id;
        at.client_id = json_integer_value(json_object_get(a, "client_id"));
        at.present = json_is_true(json_object_get(a, "present"));
        at.late_minutes = at.present ? (int)json_integer_value(json_object_get(a, "late_minutes")) : 0;
        at.early_minutes = at.present ? (int)json_integer_value(json_object_get(a, "early_minutes")) : 0;
        at.interactive_complexity = at.present && json_is_true(json_object_get(a, "interactive_complexity"));
        rc = psy_records_attendance_set(r->st, pr, &at, NULL);
    }
    json_array_foreach(json_object_get(b, "notes"), i, a) {
        if (rc) break;
        rc = save_note(r, &s, a);
    }
    if (rc) {
        api_reply_store(r, rc); /* before ending the batch: the reply reads the store's message */
        psy_records_batch_end(r->st, 0);
        goto out;
    }
    rc = psy_records_batch_end(r->st, 1);
    if (!rc) rc = psy_records_session_get(r->st, pr, s.id, &s);
    if (rc) api_reply_store(r, rc);
    else reply_session(r, &s);
out:
    json_decref(b);
}

void api_session_sign(struct srv_req *r)
{
    struct psy_session s;
    if (load_session(r, &s)) return;
    json_t *b = srv_body_object(r);
    if (!b) return;
    json_t *ver = json_object_get(b, "version"), *why = json_object_get(b, "override_reason");
    json_int_t v = json_integer_value(ver);
    int ok = json_is_integer(ver), why_ok = !why || json_is_string(why);
    char *reason = psy_strdup(json_string_value(why) ?: "");
    json_decref(b);
    if (!ok || !why_ok) {
        free(reason);
        if (!ok) srv_reply_error(r, 422, "invalid", "version", "version: the session's version as read");
        else srv_reply_error(r, 422, "invalid", "override_reason", "override_reason: text");
        return;
    }
    if (v != s.version) {
        free(reason);
        api_reply_store(r, PSY_ECONFLICT);
        return;
    }
    /* every error of the audit and the coding engine blocks signing, unless a written reason overrides */
    json_t *doc = session_doc(r, &s, 1), *found = run_checks(r, &s, doc), *coded = api_visit_coding(r, &s, doc);
    json_array_extend(found, json_object_get(coded, "findings"));
    json_decref(coded);
    json_decref(doc);
    size_t errors = 0, fi;
    json_t *f;
    json_array_foreach(found, fi, f) errors += !strcmp(json_string_value(json_object_get(f, "severity")) ?: "", "error");
    if (errors && !*reason) {
        free(reason);
        json_t *err = json_pack("{s:s, s:s, s:s}", "code", "unresolved", "message",
                                "errors stand in the way of signing: correct them, or give a written reason to sign anyway",
                                "field", "override_reason");
        srv_reply_json(r, 422, json_pack("{s:o, s:o}", "error", err, "findings", found));
        return;
    }
    json_decref(found);
    if (!errors) *reason = 0; /* nothing to override */
    if (api_audit_rec(r, *reason ? "session.sign_override" : "session.sign", "session", s.id)) {
        free(reason);
        return;
    }
    psy_id pr = r->session.user.practice_id, who = r->session.user.clinician_id;
    struct psy_note *n = NULL;
    size_t nn = 0;
    psy_status rc = psy_records_batch_begin(r->st);
    if (!rc) rc = psy_records_note_list(r->st, pr, s.id, &n, &nn);
    for (size_t i = 0; i < nn; i++) {
        if (!rc && strcmp(n[i].status, "signed") != 0) rc = psy_records_note_sign(r->st, pr, n[i].id, who);
        psy_note_clear(&n[i]);
    }
    free(n);
    if (!rc) rc = psy_records_session_sign_override(r->st, pr, s.id, who, reason);
    free(reason);
    if (rc) {
        api_reply_store(r, rc);
        psy_records_batch_end(r->st, 0);
        return;
    }
    rc = psy_records_batch_end(r->st, 1);
    /* the expected share (copay or fee) goes on the client's ledger at signing; the session is signed
     * either way, and a ledger that could not take it now takes it when next read */
    if (!rc) (void)psy_ledger_sync_session(r->st, pr, s.id, NULL);
    if (!rc) rc = psy_records_session_get(r->st, pr, s.id, &s);
    if (rc) api_reply_store(r, rc);
    else reply_session(r, &s);
}

void api_note_addendum(struct srv_req *r)
{
    psy_id id, pr = r->session.user.practice_id;
    if (api_id_param(r, "id", &id)) return;
    struct psy_note n;
    struct psy_session s;
    psy_status rc = psy_records_note_get(r->st, pr, id, &n);
    if (rc == PSY_OK) {
        rc = psy_records_session_get(r->st, pr, n.session_id, &s);
        psy_note_clear(&n);
    }
    if (rc == PSY_OK && s.group_id && !api_may_see(r, 1, s.group_id)) rc = PSY_ENOTFOUND;
    if (rc == PSY_OK && !s.group_id && s.clinician_id != r->session.user.clinician_id) rc = PSY_ENOTFOUND;
    if (api_found(r, rc, "note")) return;
    json_t *b = srv_body_object(r);
    if (!b) return;
    const char *text = json_string_value(json_object_get(b, "text"));
    if (!text || !*text) {
        srv_reply_error(r, 422, "invalid", "text", "text: the addendum's text");
        json_decref(b);
        return;
    }
    if (!api_audit_rec(r, "note.addendum", "note", id)) {
        rc = psy_records_note_addendum(r->st, pr, id, r->session.user.clinician_id, text, NULL);
        if (rc == PSY_EPERM) srv_reply_error(r, 409, "draft", NULL, "the note is a draft: edit it instead");
        else if (rc) api_reply_store(r, rc);
        else reply_session(r, &s);
    }
    json_decref(b);
}

void api_session_reply_created(struct srv_req *r, psy_id id)
{
    struct psy_session s;
    psy_status rc = psy_records_session_get(r->st, r->session.user.practice_id, id, &s);
    if (rc) {
        api_reply_store(r, rc);
        return;
    }
    reply_session(r, &s);
    r->status = 201;
}

void api_group_session_add(struct srv_req *r)
{
    psy_id gid, pr = r->session.user.practice_id;
    struct psy_group g;
    if (api_group_param(r, &gid, &g)) return;
    json_t *b = srv_body_object(r);
    if (!b) return;
    struct psy_session s;
    memset(&s, 0, sizeof s);
    const char *date = json_string_value(json_object_get(b, "service_date"));
    if (!date || !psy_records_date_valid(date)) {
        srv_reply_error(r, 422, "invalid", "service_date", "service_date: a date YYYY-MM-DD");
        json_decref(b);
        return;
    }
    snprintf(s.service_date, sizeof s.service_date, "%s", date);
    /* a second, distinct session of the group on that date comes with its own start and stop */
    json_t *dv = json_object_get(b, "distinct_session");
    if (dv && !json_is_boolean(dv)) {
        srv_reply_error(r, 422, "invalid", "distinct_session", "distinct_session: true or false");
        json_decref(b);
        return;
    }
    s.distinct_session = json_is_true(dv);
    static const char *const times[] = {"start_utc", "stop_utc"};
    for (int k = 0; k < 2; k++) {
        json_t *v = json_object_get(b, times[k]);
        const char *t = json_string_value(v);
        char *out = k ? s.stop_utc : s.start_utc;
        if ((v && !t) || (t && *t && psy_records_time_utc(t, out))) {
            srv_reply_error(r, 422, "invalid", times[k], "%s: a UTC instant such as 2025-01-07T18:00:00Z, or \"\"", times[k]);
            json_decref(b);
            return;
        }
    }
    json_decref(b);
    snprintf(s.kind, sizeof s.kind, "%s", g.modality);
    s.group_id = gid;
    s.clinician_id = g.clinician_id;
    s.telehealth = g.telehealth;
    snprintf(s.pos, sizeof s.pos, "%s", g.telehealth ? "10" : "11");
    if (g.telehealth) snprintf(s.th_modality, sizeof s.th_modality, "video");
    psy_id sid;
    if (api_audit_rec(r, "session.create", "therapy_group", gid)) return;
    psy_status rc = psy_records_session_add(r->st, pr, &s, &sid);
    if (!rc) rc = psy_records_session_get(r->st, pr, sid, &s);
    if (rc) api_reply_store(r, rc);
    else {
        reply_session(r, &s);
        r->status = 201;
    }
}
