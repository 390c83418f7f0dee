/*
 * api_visits.c -- sessions of every kind over HTTP, beside the group session handlers of api_sessions.c:
 * opening an individual, family, crisis or intake session from a client (POST /api/clients/:id/sessions),
 * the note templates (GET /api/note-templates), the kind-specific fields of a draft (minutes, E/M visit,
 * interactive complexity, family without the patient, intake with medical services, telehealth), the
 * claim lines the coding engine gives a draft (one per billable member, on that member's insurance, as
 * building claims would), and the check of each member's or client's note against their earlier notes.
 *
 * Nothing here writes except opening a session; GET/PUT/check/sign of /api/sessions/:id serve every
 * kind through api_sessions.c, which calls these helpers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srv_api.h"
#include "api_visits.h"

#define CLONE_THRESHOLD 0.8 /* data/audit/audit.json clone_threshold */
#define EARLIER_NOTES 8     /* a note is compared with this many of the client's earlier notes */

static const char *const INDIVIDUAL_KINDS[] = {"individual", "family", "intake", "crisis", NULL};
static const char *const PARTS_GROUP[] = {"theme", "techniques", "dynamics", "factors", NULL};
static const char *const PARTS_MEMBER[] = {"participation", "response", "progress", "plan", NULL};
static const char *const PARTS_INDIVIDUAL[] = {"techniques", "response", "progress", "plan", NULL};

int api_visit_group_kind(const char *kind) { return !strcmp(kind, "group") || !strcmp(kind, "multifamily"); }

const char *const *api_note_parts(const char *note_kind)
{
    if (!strcmp(note_kind, "group")) return PARTS_GROUP;
    if (!strcmp(note_kind, "member")) return PARTS_MEMBER;
    return PARTS_INDIVIDUAL;
}

char **api_note_slot(struct psy_note *n, const char *part)
{
    static const char *const names[] = {"theme", "techniques", "dynamics", "factors", "participation", "response",
                                        "progress", "plan", NULL};
    char **slots[] = {&n->theme, &n->techniques, &n->dynamics, &n->factors, &n->participation, &n->response,
                      &n->progress, &n->plan};
    for (int i = 0; names[i]; i++)
        if (!strcmp(names[i], part)) return slots[i];
    return NULL;
}

void api_note_templates(struct srv_req *r)
{
    const char *t = r->srv->note_templates ? r->srv->note_templates : "{\"templates\":[]}";
    srv_reply_json_text(r, 200, t, strlen(t));
}

/* --- the kind-specific fields of a draft ------------------------------------------------------------- */

static int bad(struct srv_req *r, const char *field, const char *what)
{
    srv_reply_error(r, 422, "invalid", field, "%s: %s", field, what);
    return -1;
}

static int opt_bool(struct srv_req *r, json_t *b, const char *field, int *out)
{
    json_t *v = json_object_get(b, field);
    if (!v) return 0;
    if (!json_is_boolean(v)) return bad(r, field, "true or false");
    *out = json_is_true(v);
    return 0;
}

static int opt_text(struct srv_req *r, json_t *b, const char *field, char *out, size_t cap, const char *what)
{
    json_t *v = json_object_get(b, field);
    if (!v) return 0;
    if (!json_is_string(v) || strlen(json_string_value(v)) >= cap) return bad(r, field, what);
    snprintf(out, cap, "%s", json_string_value(v));
    return 0;
}

int api_visit_apply(struct srv_req *r, struct psy_session *s, json_t *b)
{
    json_t *v = json_object_get(b, "minutes");
    if (v && (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 720))
        return bad(r, "minutes", "a whole number of minutes, 0 (none: from the times) to 720");
    if (v) s->minutes = (int)json_integer_value(v);
    if (opt_bool(r, b, "interactive_complexity", &s->interactive_complexity)) return -1;
    if (api_visit_group_kind(s->kind)) return 0; /* the rest is for individual-type sessions */
    if (opt_text(r, b, "service_date", s->service_date, sizeof s->service_date, "a date YYYY-MM-DD")) return -1;
    if (json_object_get(b, "service_date") && !psy_records_date_valid(s->service_date))
        return bad(r, "service_date", "a date YYYY-MM-DD");
    if (opt_bool(r, b, "patient_absent", &s->patient_absent) || opt_bool(r, b, "medical", &s->medical)) return -1;
    if (opt_text(r, b, "em_code", s->em_code, sizeof s->em_code, "an E/M code such as 99213, or \"\"")) return -1;
    char th[sizeof s->th_modality] = "-";
    if (opt_text(r, b, "telehealth", th, sizeof th, "\"video\", \"audio\" or \"\" (in person)")) return -1;
    if (strcmp(th, "-")) {
        if (*th && strcmp(th, "video") && strcmp(th, "audio")) return bad(r, "telehealth", "\"video\", \"audio\" or \"\" (in person)");
        s->telehealth = *th != 0;
        snprintf(s->th_modality, sizeof s->th_modality, "%s", th);
        if (!s->telehealth) s->patient_location[0] = 0;
    }
    if (opt_text(r, b, "patient_location", s->patient_location, sizeof s->patient_location, "\"home\" or \"other\""))
        return -1;
    if (!s->telehealth) s->patient_location[0] = 0;
    if (s->telehealth && !*s->patient_location) snprintf(s->patient_location, sizeof s->patient_location, "home");
    if (opt_text(r, b, "pos", s->pos, sizeof s->pos, "a two-digit place of service")) return -1;
    if (s->telehealth) snprintf(s->pos, sizeof s->pos, "%s", !strcmp(s->patient_location, "home") ? "10" : "02");
    else if (!strcmp(s->pos, "10") || !strcmp(s->pos, "02")) snprintf(s->pos, sizeof s->pos, "11");
    return 0;
}

void api_visit_fields(const struct psy_session *s, json_t *j)
{
    json_object_set_new(j, "interactive_complexity", json_boolean(s->interactive_complexity));
    json_object_set_new(j, "sign_override", json_string(s->sign_override));
    if (api_visit_group_kind(s->kind)) return;
    json_object_set_new(j, "client_id", json_integer(s->client_id));
    json_object_set_new(j, "patient_absent", json_boolean(s->patient_absent));
    json_object_set_new(j, "medical", json_boolean(s->medical));
    json_object_set_new(j, "em_code", json_string(s->em_code));
    json_object_set_new(j, "th_modality", json_string(s->telehealth ? s->th_modality : ""));
    json_object_set_new(j, "patient_location", json_string(s->patient_location));
}

/* --- coding a draft ---------------------------------------------------------------------------------- */

/* A draft's minutes: the explicit total, else from its start and stop. */
static int draft_minutes(const struct psy_session *s, json_t *draft)
{
    struct psy_session t = *s;
    const char *a = json_string_value(json_object_get(draft, "start_utc"));
    const char *b = json_string_value(json_object_get(draft, "stop_utc"));
    if (a) snprintf(t.start_utc, sizeof t.start_utc, "%s", a);
    if (b) snprintf(t.stop_utc, sizeof t.stop_utc, "%s", b);
    char n1[PSY_REC_TIME_MAX], n2[PSY_REC_TIME_MAX];
    if (*t.start_utc && !psy_records_time_utc(t.start_utc, n1)) memcpy(t.start_utc, n1, sizeof n1);
    if (*t.stop_utc && !psy_records_time_utc(t.stop_utc, n2)) memcpy(t.stop_utc, n2, sizeof n2);
    return psy_records_session_minutes(&t);
}

static void code_member(struct srv_req *r, const struct psy_session *s, psy_id client, int minutes, int participants,
                        int member_complexity, json_t *lines, json_t *findings)
{
    psy_id pr = r->session.user.practice_id;
    struct psy_billable b;
    memset(&b, 0, sizeof b);
    b.session_id = s->id;
    b.client_id = client;
    b.clinician_id = s->clinician_id;
    snprintf(b.kind, sizeof b.kind, "%s", s->kind);
    snprintf(b.service_date, sizeof b.service_date, "%s", s->service_date);
    b.minutes = minutes;
    b.participants = participants;
    snprintf(b.pos, sizeof b.pos, "%s", s->pos);
    b.telehealth = s->telehealth;
    snprintf(b.th_modality, sizeof b.th_modality, "%s", s->th_modality);
    snprintf(b.patient_location, sizeof b.patient_location, "%s", s->patient_location);
    b.patient_absent = s->patient_absent;
    b.medical = s->medical;
    snprintf(b.em_code, sizeof b.em_code, "%s", s->em_code);
    b.interactive_complexity = s->interactive_complexity || member_complexity;
    struct psy_policy pol;
    if (psy_records_policy_on(r->st, pr, client, s->service_date, 1, &pol) == PSY_OK) {
        b.policy_id = pol.id;
        b.payer_id = pol.payer_id;
    }
    struct psy_coding_result *res = calloc(1, sizeof *res);
    if (!res) return;
    psy_status rc = psy_billing_code_line(r->st, r->srv->coder, pr, &b, res);
    if (rc && rc != PSY_EINVAL) {
        free(res);
        return;
    }
    size_t len;
    char *text = psy_coding_result_json(res, 0, &len);
    json_t *j = text ? json_loadb(text, len, 0, NULL) : NULL;
    free(text);
    free(res);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(j, "lines"), i, x) {
        json_object_set_new(x, "client_id", json_integer(client));
        json_object_del(x, "member");
        json_array_append(lines, x);
    }
    json_array_foreach(json_object_get(j, "findings"), i, x) {
        json_object_set_new(x, "client_id", json_integer(client));
        json_object_set_new(x, "source", json_string("coding"));
        json_array_append(findings, x);
    }
    if (!b.payer_id) {
        json_array_append_new(findings, json_pack("{s:s, s:s, s:s, s:I, s:s}", "severity", "warning", "rule", "NO-POLICY",
                                                  "message", "no insurance policy in force on the date: coded at the "
                                                  "default fees, and no claim will be built",
                                                  "client_id", (json_int_t)client, "source", "coding"));
    }
    json_decref(j);
}

json_t *api_visit_coding(struct srv_req *r, const struct psy_session *s0, json_t *draft)
{
    struct psy_session s = *s0;
    json_t *lines = json_array(), *findings = json_array();
    int mins = draft_minutes(&s, draft);
    if (!api_visit_group_kind(s.kind)) {
        code_member(r, &s, s.client_id, mins, 1, 0, lines, findings);
    } else {
        int present = 0;
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(draft, "attendance"), i, a) present += json_is_true(json_object_get(a, "present"));
        json_array_foreach(json_object_get(draft, "attendance"), i, a) {
            if (!json_is_true(json_object_get(a, "present"))) continue;
            int m = mins ? mins - (int)json_integer_value(json_object_get(a, "late_minutes")) -
                               (int)json_integer_value(json_object_get(a, "early_minutes"))
                         : 0;
            code_member(r, &s, json_integer_value(json_object_get(a, "client_id")), m > 0 ? m : 0, present,
                        json_is_true(json_object_get(a, "interactive_complexity")), lines, findings);
        }
    }
    long long total = 0;
    int over = 0;
    size_t i;
    json_t *l;
    json_array_foreach(lines, i, l)
        psy_cents_acc(&total, json_integer_value(json_object_get(l, "charge_cents")), &over);
    if (over) total = -1; /* not a total: the lines' charges do not fit in one amount */
    return json_pack("{s:o, s:o, s:I}", "lines", lines, "findings", findings, "total_cents", total);
}

/* --- notes against the client's earlier notes -------------------------------------------------------- */

static char *joined(json_t *note, const char *const *parts)
{
    size_t len = 1;
    for (int k = 0; parts[k]; k++) len += strlen(json_string_value(json_object_get(note, parts[k])) ?: "") + 1;
    char *t = psy_malloc(len);
    *t = 0;
    for (int k = 0; parts[k]; k++) {
        strcat(t, json_string_value(json_object_get(note, parts[k])) ?: "");
        strcat(t, " ");
    }
    return t;
}

/* The audit's note text: techniques, participation, response, progress, plan. */
static char *stored_text(const struct psy_note *n)
{
    const char *p[] = {n->techniques, n->participation, n->response, n->progress, n->plan};
    size_t len = 1;
    for (int k = 0; k < 5; k++) len += strlen(p[k] ? p[k] : "") + 1;
    char *t = psy_malloc(len);
    *t = 0;
    for (int k = 0; k < 5; k++) {
        strcat(t, p[k] ? p[k] : "");
        strcat(t, " ");
    }
    return t;
}

void api_visit_clone_checks(struct srv_req *r, const struct psy_session *s, json_t *draft, json_t *out)
{
    psy_id pr = r->session.user.practice_id;
    size_t i;
    json_t *note;
    json_array_foreach(json_object_get(draft, "notes"), i, note) {
        psy_id client = json_integer_value(json_object_get(note, "client_id"));
        if (!client) continue;
        char *text = joined(note, api_visit_group_kind(s->kind) ? PARTS_MEMBER : PARTS_INDIVIDUAL);
        struct psy_note *old = NULL;
        size_t n = 0;
        double best = 0;
        if (text && strlen(text) > 20 &&
            psy_records_client_notes_before(r->st, pr, client, s->service_date, s->id, EARLIER_NOTES, &old, &n) ==
                PSY_OK) {
            for (size_t k = 0; k < n; k++) {
                char *t = stored_text(&old[k]);
                double sim = t ? psy_audit_similarity(text, t) : 0;
                if (sim > best) best = sim;
                free(t);
            }
        }
        for (size_t k = 0; k < n; k++) psy_note_clear(&old[k]);
        free(old);
        free(text);
        if (best >= CLONE_THRESHOLD) {
            json_t *f = json_pack("{s:s, s:s, s:s, s:I, s:f, s:s, s:I}", "rule", "R-DOC-CLONE", "severity", "warning",
                                  "record_type", "session", "record_id", (json_int_t)s->id, "similarity", best, "message",
                                  "the note repeats an earlier note of this client: write what happened in this session",
                                  "client_id", (json_int_t)client);
            json_array_append_new(out, f);
        }
    }
}

/* --- opening a session from a client ----------------------------------------------------------------- */

void api_client_session_add(struct srv_req *r)
{
    psy_id cid, pr = r->session.user.practice_id;
    if (api_id_param(r, "id", &cid)) return;
    struct psy_client c;
    psy_status rc = psy_records_client_get(r->st, pr, cid, &c);
    if (rc == PSY_OK && !api_may_see(r, 0, cid)) rc = PSY_ENOTFOUND;
    if (api_found(r, rc, "client")) return;
    json_t *b = srv_body_object(r);
    if (!b) return;
    struct psy_session s;
    memset(&s, 0, sizeof s);
    const char *kind = json_string_value(json_object_get(b, "kind"));
    int known = 0;
    for (int k = 0; kind && INDIVIDUAL_KINDS[k]; k++) known |= !strcmp(kind, INDIVIDUAL_KINDS[k]);
    if (!known) {
        bad(r, "kind", "individual, family, intake or crisis (group sessions are opened from their group)");
        goto out;
    }
    snprintf(s.kind, sizeof s.kind, "%s", kind);
    s.client_id = cid;
    s.clinician_id = r->session.user.clinician_id;
    snprintf(s.pos, sizeof s.pos, "11");
    if (!json_object_get(b, "service_date")) {
        bad(r, "service_date", "a date YYYY-MM-DD");
        goto out;
    }
    if (api_visit_apply(r, &s, b)) goto out;
    if (!s.clinician_id) {
        srv_reply_error(r, 403, "forbidden", NULL, "only a clinician user documents sessions");
        goto out;
    }
    psy_id sid;
    if (api_audit_rec(r, "session.create", "client", cid)) goto out;
    rc = psy_records_session_add(r->st, pr, &s, &sid);
    if (rc) {
        api_reply_store(r, rc);
        goto out;
    }
    json_decref(b);
    b = NULL;
    api_session_reply_created(r, sid);
out:
    json_decref(b);
}

/* --- the practice for the page: its name, time zone and today's date there (psy_date_today) ---------------------------- */

json_t *api_practice_brief(psy_store *st, psy_id practice)
{
    struct psy_practice p;
    if (!st || psy_records_practice_get(st, practice, &p) != PSY_OK) return json_null();
    const char *tz = *p.time_zone ? p.time_zone : "UTC";
    char today[PSY_DATE_TEXT_MAX] = "";
    psy_date_today(tz, today);
    return json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)p.id, "name", p.name, "time_zone", tz, "today", today);
}
