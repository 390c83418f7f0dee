/*
 * records_sessions.c -- sessions (individual kinds and group kinds), group attendance, what was billed,
 * signing a session, and the billable lines a signed session hands to the coding engine.
 *
 * The one idea: a session is open until signed; signing needs every note it owes to be signed (the
 * group note and one per present member, or the client's note) and freezes the session and its
 * attendance. Only the billing annotation (billed_code) may still change, and it is kept in history.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "records_int.h"
#include "records_bulk.h"

static const char *const kinds[] = {"individual", "family", "intake", "crisis", "group", "multifamily", NULL};
static const char *const th_modalities[] = {"video", "audio", NULL};
static const char *const locations[] = {"home", "other", NULL};

static int group_kind(const char *kind) { return !strcmp(kind, "group") || !strcmp(kind, "multifamily"); }

int psy_records_session_minutes(const struct psy_session *s)
{
    int64_t a, b;
    if (s->minutes > 0) return s->minutes;
    if (!*s->start_utc || !*s->stop_utc || psy__rec_epoch(s->start_utc, &a) || psy__rec_epoch(s->stop_utc, &b) || b <= a)
        return 0;
    return (int)((b - a) / 60);
}

/* Normalises an optional instant field into out. */
static psy_status check_instant(psy_store *st, const char *field, const char *in, char out[PSY_REC_TIME_MAX])
{
    out[0] = 0;
    if (!in || !*in) return PSY_OK;
    if (psy_records_time_utc(in, out)) return psy__rec_bad(st, field, "not an instant (YYYY-MM-DDTHH:MM:SSZ or with an offset)");
    return PSY_OK;
}

/* A session's date must be a day therapy could have happened on: not before PSY_REC_SESSION_DATE_MIN,
 * not after today in the practice's time zone, and not before the client's birth date (client 0: no
 * client to compare with). field names the date in errors. */
static psy_status check_session_date(psy_store *st, psy_id practice, psy_id client, const char *field,
                                     const char *date)
{
    struct psy_practice p;
    char today[PSY_DATE_MAX];
    if (strcmp(date, PSY_REC_SESSION_DATE_MIN) < 0)
        return psy__rec_bad(st, field, "before %s, the earliest session date psyclaim keeps", PSY_REC_SESSION_DATE_MIN);
    psy_status rc = psy_records_practice_get(st, practice, &p);
    if (rc) return rc;
    psy_date_today(p.time_zone, today);
    if (strcmp(date, today) > 0)
        return psy__rec_bad(st, field, "in the future (today is %s in the practice's time zone)", today);
    if (client) {
        struct psy_client c;
        rc = psy_records_client_get(st, practice, client, &c);
        if (rc) return rc;
        if (strcmp(date, c.birth_date) < 0) return psy__rec_bad(st, field, "before the client's birth date");
    }
    return PSY_OK;
}

/* Validates s; writes the normalised instants, place of service and billed code to n. */
static psy_status check_session(psy_store *st, psy_id practice, const struct psy_session *s, struct psy_session *n)
{
    *n = *s;
    psy_status rc = psy__rec_oneof(st, "kind", s->kind, kinds);
    if (rc) return rc;
    if (group_kind(s->kind)) {
        struct psy_group g;
        if (s->client_id) return psy__rec_bad(st, "client_id", "a group session names its group, not a client");
        rc = psy__rec_ref(st, "group_id", "therapy_group", practice, s->group_id, 1);
        if (!rc) rc = psy_records_group_get(st, practice, s->group_id, &g);
        if (!rc && strcmp(g.modality, s->kind) != 0) rc = psy__rec_bad(st, "kind", "the group's modality is %s", g.modality);
    } else {
        if (s->group_id) return psy__rec_bad(st, "group_id", "only group and multifamily sessions have a group");
        rc = psy__rec_ref(st, "client_id", "client", practice, s->client_id, 0);
    }
    if (!rc) rc = psy__rec_ref(st, "clinician_id", "clinician", practice, s->clinician_id, 1);
    if (!rc) rc = psy__rec_date(st, "service_date", s->service_date, 1);
    if (!rc) rc = check_session_date(st, practice, group_kind(s->kind) ? 0 : s->client_id, "service_date", s->service_date);
    if (!rc) rc = check_instant(st, "start_utc", s->start_utc, n->start_utc);
    if (!rc) rc = check_instant(st, "stop_utc", s->stop_utc, n->stop_utc);
    if (!rc && *n->start_utc) {
        int64_t sd = psy__rec_day_number(s->service_date), d = psy__rec_day_number(n->start_utc);
        if (d < sd - 1 || d > sd + 1) rc = psy__rec_bad(st, "start_utc", "not on the service date");
    }
    if (!rc && *n->start_utc && *n->stop_utc) {
        int64_t a, b;
        psy__rec_epoch(n->start_utc, &a);
        psy__rec_epoch(n->stop_utc, &b);
        if (b <= a) rc = psy__rec_bad(st, "stop_utc", "must be after start_utc");
        else if (b - a > 12 * 3600) rc = psy__rec_bad(st, "stop_utc", "more than 12 hours after start_utc");
    }
    if (!rc && *n->stop_utc && !*n->start_utc) {
        int64_t sd = psy__rec_day_number(s->service_date), d = psy__rec_day_number(n->stop_utc);
        if (d < sd - 1 || d > sd + 1) rc = psy__rec_bad(st, "stop_utc", "not on the service date");
    }
    if (!rc && (s->minutes < 0 || s->minutes > 720)) rc = psy__rec_bad(st, "minutes", "between 0 (none) and 720");
    if (!rc) {
        struct psy_code c;
        char pos[PSY_CODE_MAX];
        if (psy_catalog_normalize(PSY_SYS_POS, s->pos, pos)) {
            rc = psy__rec_bad(st, "pos", "a two-digit place of service code");
        } else {
            rc = psy_catalog_get(st, PSY_SYS_POS, pos, &c);
            if (rc == PSY_ENOTFOUND) rc = psy__rec_bad(st, "pos", "place of service %s is not in the catalog", pos);
            else psy_code_clear(&c);
            memcpy(n->pos, pos, sizeof n->pos - 1);
            n->pos[sizeof n->pos - 1] = 0;
        }
    }
    if (!rc && s->telehealth != 0 && s->telehealth != 1) rc = psy__rec_bad(st, "telehealth", "0 or 1");
    if (!rc && *s->th_modality) rc = psy__rec_oneof(st, "th_modality", s->th_modality, th_modalities);
    if (!rc && *s->patient_location) rc = psy__rec_oneof(st, "patient_location", s->patient_location, locations);
    if (!rc && !s->telehealth && (*s->th_modality || *s->patient_location))
        rc = psy__rec_bad(st, *s->th_modality ? "th_modality" : "patient_location", "only for telehealth sessions");
    if (!rc && (s->patient_absent != 0 && s->patient_absent != 1)) rc = psy__rec_bad(st, "patient_absent", "0 or 1");
    if (!rc && s->patient_absent && strcmp(s->kind, "family") != 0)
        rc = psy__rec_bad(st, "patient_absent", "only family sessions are held without the patient");
    if (!rc && (s->medical != 0 && s->medical != 1)) rc = psy__rec_bad(st, "medical", "0 or 1");
    if (!rc && s->medical && strcmp(s->kind, "intake") != 0)
        rc = psy__rec_bad(st, "medical", "only an intake is a diagnostic evaluation with medical services");
    if (!rc && s->interactive_complexity != 0 && s->interactive_complexity != 1)
        rc = psy__rec_bad(st, "interactive_complexity", "0 or 1");
    n->em_code[0] = 0;
    if (!rc && *s->em_code) {
        if (group_kind(s->kind)) rc = psy__rec_bad(st, "em_code", "an E/M visit is recorded on individual-type sessions");
        else rc = psy__rec_proc_code(st, "em_code", s->em_code, n->em_code);
        if (!rc && (strcmp(n->em_code, "99202") < 0 || strcmp(n->em_code, "99499") > 0) &&
            (strcmp(n->em_code, "98000") < 0 || strcmp(n->em_code, "98015") > 0))
            rc = psy__rec_bad(st, "em_code", "an E/M code, 99202 to 99499 (or telemedicine 98000 to 98015)");
    }
    n->billed_code[0] = 0;
    if (!rc && *s->billed_code) {
        if (group_kind(s->kind)) rc = psy__rec_bad(st, "billed_code", "group members are billed on their attendance");
        else rc = psy__rec_proc_code(st, "billed_code", s->billed_code, n->billed_code);
    }
    return rc;
}

/* Fails with PSY_EPERM when the session is signed (or absent). */
static psy_status session_open(psy_store *st, psy_id practice, psy_id session, const char *what)
{
    int64_t is_signed;
    psy_status rc = psy__db_int(st, &is_signed,
                                "SELECT CASE WHEN signed_at IS NULL THEN 0 ELSE 1 END FROM session "
                                "WHERE practice_id = ? AND id = ?",
                                PSY_ARGS(PSY_INT(practice), PSY_INT(session)));
    if (rc == PSY_ENOTFOUND) return psy__rec_bad(st, "session_id", "no such session in this practice");
    if (rc) return rc;
    return is_signed ? psy__store_fail(st, PSY_EPERM, "%s: the session is signed", what) : PSY_OK;
}

/* A group meets once a date: any further session that day is marked distinct, and when there are
 * several each has its own times, overlapping none of the others. */
static psy_status same_day_group(psy_store *st, psy_id practice, psy_id id, const struct psy_session *n)
{
    int64_t others = 0, plain = 0, clash = 0;
    psy_status rc =
        psy__db_int(st, &others,
                    "SELECT COUNT(*) FROM session WHERE practice_id = ? AND group_id = ? AND service_date = ? "
                    "AND id <> ?",
                    PSY_ARGS(PSY_INT(practice), PSY_INT(n->group_id), PSY_TEXT_OR_EMPTY(n->service_date), PSY_INT(id)));
    if (!rc && others)
        rc = psy__db_int(
            st, &plain,
            "SELECT COUNT(*) FROM session WHERE practice_id = ? AND group_id = ? AND service_date = ? "
            "AND id <> ? AND distinct_session = 0",
            PSY_ARGS(PSY_INT(practice), PSY_INT(n->group_id), PSY_TEXT_OR_EMPTY(n->service_date), PSY_INT(id)));
    if (rc || !others) return rc;
    if (!n->distinct_session && plain)
        return psy__rec_bad(st, "service_date", "the group already has a session on %s; a second one that day must be "
                                                "marked as a distinct session with its own start and stop times",
                            n->service_date);
    if (!*n->start_utc || !*n->stop_utc)
        return psy__rec_bad(st, *n->start_utc ? "stop_utc" : "start_utc",
                            "a distinct second session of the group that day needs its own start and stop times");
    rc = psy__db_int(
        st, &clash,
        "SELECT COUNT(*) FROM session WHERE practice_id = ? AND group_id = ? AND service_date = ? AND id <> ? "
        "AND (COALESCE(start_utc, '') = '' OR COALESCE(stop_utc, '') = '' OR (start_utc < ? AND ? < stop_utc))",
        PSY_ARGS(PSY_INT(practice), PSY_INT(n->group_id), PSY_TEXT_OR_EMPTY(n->service_date), PSY_INT(id),
                 PSY_TEXT_OR_NULL(n->stop_utc), PSY_TEXT_OR_NULL(n->start_utc)));
    if (!rc && clash)
        rc = psy__rec_bad(st, "start_utc", "overlaps (or cannot be told apart from, having no times) the group's "
                                           "other session on %s", n->service_date);
    return rc;
}

static psy_status write_session(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version)
{
    const struct psy_session *s = rec;
    struct psy_session n;
    char now[PSY_REC_TIME_MAX];
    psy__rec_now(now);
    if (*id) {
        struct psy_session old;
        psy_status rc = session_open(st, practice, *id, "session");
        if (!rc) rc = psy_records_session_get(st, practice, *id, &old);
        if (rc) return rc;
        if (strcmp(old.kind, s->kind) || old.client_id != s->client_id || old.group_id != s->group_id)
            return psy__rec_bad(st, "kind", "kind, client and group of a session do not change; record a new session");
    }
    psy_status rc = check_session(st, practice, s, &n);
    if (!rc && group_kind(n.kind)) rc = same_day_group(st, practice, *id, &n);
    if (rc) return rc;
    if (*id)
        return psy__rec_update(
            st, "session", practice, *id, version,
            "clinician_id = ?, service_date = ?, start_utc = ?, stop_utc = ?, minutes = ?, "
            "place_of_service = ?, telehealth = ?, th_modality = ?, patient_location = ?, "
            "billed_code = ?, patient_absent = ?, medical = ?, em_code = ?, interactive_complexity = ?, "
            "distinct_session = ?, updated_at = ?",
            PSY_ARGS(PSY_INT(n.clinician_id), PSY_TEXT_OR_EMPTY(n.service_date), PSY_TEXT_OR_NULL(n.start_utc),
                     PSY_TEXT_OR_NULL(n.stop_utc), PSY_INT(n.minutes), PSY_TEXT_OR_EMPTY(n.pos), PSY_INT(n.telehealth),
                     PSY_TEXT_OR_NULL(n.th_modality), PSY_TEXT_OR_NULL(n.patient_location),
                     PSY_TEXT_OR_NULL(n.billed_code), PSY_INT(n.patient_absent), PSY_INT(n.medical),
                     PSY_TEXT_OR_NULL(n.em_code), PSY_INT(n.interactive_complexity), PSY_INT(n.distinct_session != 0),
                     PSY_TEXT_OR_EMPTY(now)));
    return psy__db_insert(
        st, id,
        "INSERT INTO session (practice_id, kind, client_id, group_id, clinician_id, service_date, "
        "start_utc, stop_utc, minutes, place_of_service, telehealth, th_modality, patient_location, "
        "billed_code, patient_absent, medical, em_code, interactive_complexity, distinct_session, "
        "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        PSY_ARGS(PSY_INT(practice), PSY_TEXT_OR_EMPTY(n.kind), PSY_INT_OR_NULL(n.client_id),
                 PSY_INT_OR_NULL(n.group_id), PSY_INT(n.clinician_id), PSY_TEXT_OR_EMPTY(n.service_date),
                 PSY_TEXT_OR_NULL(n.start_utc), PSY_TEXT_OR_NULL(n.stop_utc), PSY_INT(n.minutes),
                 PSY_TEXT_OR_EMPTY(n.pos), PSY_INT(n.telehealth), PSY_TEXT_OR_NULL(n.th_modality),
                 PSY_TEXT_OR_NULL(n.patient_location), PSY_TEXT_OR_NULL(n.billed_code), PSY_INT(n.patient_absent),
                 PSY_INT(n.medical), PSY_TEXT_OR_NULL(n.em_code), PSY_INT(n.interactive_complexity),
                 PSY_INT(n.distinct_session != 0), PSY_TEXT_OR_EMPTY(now), PSY_TEXT_OR_EMPTY(now)));
}

psy_status psy_records_session_add(psy_store *st, psy_id practice, const struct psy_session *s, psy_id *id)
{
    return psy__rec_write_one(st, practice, "session", 0, 0, "create", 0, write_session, s, id);
}

psy_status psy_records_session_update(psy_store *st, psy_id practice, const struct psy_session *s)
{
    return psy__rec_write_one(st, practice, "session", s->id, s->version, "update", 0, write_session, s, NULL);
}

#define C(f, t) PSY__COL(struct psy_session, f, t)
static const struct psy__col session_cols[] = {
    C(id, i),          C(kind, s),      C(client_id, i),   C(group_id, i),       C(clinician_id, i),
    C(service_date, s), C(start_utc, s), C(stop_utc, s),    C(minutes, d),
    PSY__COLX(struct psy_session, "place_of_service", pos, s),  C(telehealth, d),    C(th_modality, s),
    C(patient_location, s), C(billed_code, s), C(patient_absent, d), C(medical, d), C(em_code, s),
    C(interactive_complexity, d), C(signed_at, s), C(sign_override, s), C(version, d),
    C(distinct_session, d)};
#undef C
static const struct psy__map session_map = PSY__MAP(session_cols);

psy_status psy_records_session_get(psy_store *st, psy_id practice, psy_id id, struct psy_session *s)
{
    memset(s, 0, sizeof *s);
    return psy__rec_get(st, s, &session_map, "session", id, "FROM session WHERE practice_id = ? AND id = ?",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(id)));
}

psy_status psy_records_session_list(psy_store *st, psy_id practice, const char *from, const char *to,
                                    struct psy_session **out, size_t *n)
{
    return psy__db_rows(st, (void **)out, n, sizeof **out, &session_map,
                        "FROM session WHERE practice_id = ? AND service_date >= ? "
                        "AND service_date <= ? ORDER BY service_date, id",
                        PSY_ARGS(PSY_INT(practice), PSY_TEXT_OR_EMPTY(from && *from ? from : "0000-00-00"),
                                 PSY_TEXT_OR_EMPTY(to && *to ? to : "9999-99-99")));
}

/* --- signing ------------------------------------------------------------------------------------------ */

/* PSY_OK when clinician led the session (or co-led its group). */
psy_status psy__rec_session_signer(psy_store *st, psy_id practice, psy_id session, psy_id clinician)
{
    int64_t ok = 0;
    psy_status rc =
        psy__db_int(st, &ok,
                    "SELECT COUNT(*) FROM session s LEFT JOIN therapy_group g ON g.id = s.group_id "
                    "WHERE s.id = ? AND s.practice_id = ? AND (s.clinician_id = ? OR g.co_clinician_id = ?)",
                    PSY_ARGS(PSY_INT(session), PSY_INT(practice), PSY_INT(clinician), PSY_INT(clinician)));
    if (rc) return rc;
    return ok ? PSY_OK : psy__store_fail(st, PSY_EPERM, "clinician: did not lead this session");
}

struct sign_req {
    psy_id clinician;
    const char *reason;
};

static psy_status write_session_sign(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version)
{
    const struct sign_req *req = rec;
    const psy_id *clinician = &req->clinician;
    struct psy_session s;
    char now[PSY_REC_TIME_MAX];
    int64_t missing = 0, present = 0;
    psy__rec_now(now);
    psy_status rc = session_open(st, practice, *id, "session");
    if (!rc) rc = psy__rec_session_signer(st, practice, *id, *clinician);
    if (!rc) rc = psy_records_session_get(st, practice, *id, &s);
    if (rc) return rc;
    if (group_kind(s.kind)) {
        rc = psy__db_int(st, &present,
                         "SELECT COUNT(*) FROM attendance WHERE practice_id = ? AND session_id = ? AND present = 1",
                         PSY_ARGS(PSY_INT(practice), PSY_INT(*id)));
        if (!rc && !present) return psy__rec_bad(st, "attendance", "no member is marked present");
        /* the group note, then each present member's note, must exist and be signed */
        if (!rc)
            rc = psy__db_int(st, &missing,
                             "SELECT (SELECT CASE WHEN COUNT(*) = 0 THEN 1 ELSE 0 END FROM note WHERE practice_id = ? "
                             "AND session_id = ? AND kind = 'group' AND status = 'signed') "
                             "+ (SELECT COUNT(*) FROM attendance a WHERE a.practice_id = ? AND a.session_id = ? "
                             "AND a.present = 1 AND NOT EXISTS (SELECT 1 FROM note n WHERE n.session_id = a.session_id "
                             "AND n.client_id = a.client_id AND n.status = 'signed'))",
                             PSY_ARGS(PSY_INT(practice), PSY_INT(*id), PSY_INT(practice), PSY_INT(*id)));
    } else {
        rc = psy__db_int(st, &missing,
                         "SELECT CASE WHEN COUNT(*) = 0 THEN 1 ELSE 0 END FROM note WHERE practice_id = ? "
                         "AND session_id = ? AND client_id = ? AND status = 'signed'",
                         PSY_ARGS(PSY_INT(practice), PSY_INT(*id), PSY_INT(s.client_id)));
    }
    if (rc) return rc;
    if (missing) return psy__rec_bad(st, "notes", "%lld note(s) of this session missing or unsigned", (long long)missing);
    return psy__rec_update(
        st, "session", practice, *id, version, "signed_at = ?, signed_by = ?, sign_override = ?, updated_at = ?",
        PSY_ARGS(PSY_TEXT_OR_EMPTY(now), PSY_INT(*clinician), PSY_TEXT_OR_NULL(req->reason), PSY_TEXT_OR_EMPTY(now)));
}

psy_status psy_records_session_sign(psy_store *st, psy_id practice, psy_id session, psy_id clinician)
{
    return psy_records_session_sign_override(st, practice, session, clinician, NULL);
}

psy_status psy_records_session_sign_override(psy_store *st, psy_id practice, psy_id session, psy_id clinician,
                                             const char *reason)
{
    struct sign_req req = {clinician, reason && *reason ? reason : ""};
    if (*req.reason) {
        psy_status rc =
            psy__rec_text(st, "override_reason", req.reason, PSY_REC_REASON_MAX - 1, PSY__REQ | PSY__MULTILINE);
        if (rc) return rc;
        size_t letters = 0;
        for (const char *p = req.reason; *p; p++) letters += *p != ' ' && *p != '\n' && *p != '\t';
        if (letters < 10) return psy__rec_bad(st, "override_reason", "say in at least 10 characters why it may be signed");
    }
    return psy__rec_write_current(st, practice, "session", session, "sign", clinician, write_session_sign, &req);
}

/* --- attendance --------------------------------------------------------------------------------------- */

static psy_status write_attendance(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version)
{
    const struct psy_attendance *a = rec;
    struct psy_session s;
    char now[PSY_REC_TIME_MAX], code[PSY_CODE_MAX] = "";
    int64_t v;
    psy__rec_now(now);
    psy_status rc = psy_records_session_get(st, practice, a->session_id, &s);
    if (rc == PSY_ENOTFOUND) return psy__rec_bad(st, "session_id", "no such session in this practice");
    if (rc) return rc;
    if (!group_kind(s.kind)) return psy__rec_bad(st, "session_id", "attendance is kept for group sessions only");
    rc = session_open(st, practice, a->session_id, "attendance");
    if (!rc) rc = psy__rec_ref(st, "client_id", "client", practice, a->client_id, 0);
    if (!rc) {
        struct psy_client c;
        rc = psy_records_client_get(st, practice, a->client_id, &c);
        if (!rc && strcmp(s.service_date, c.birth_date) < 0)
            rc = psy__rec_bad(st, "client_id", "the session is dated before this client's birth date");
    }
    if (!rc && a->present != 0 && a->present != 1) rc = psy__rec_bad(st, "present", "0 or 1");
    if (!rc && (a->late_minutes < 0 || a->late_minutes > 720)) rc = psy__rec_bad(st, "late_minutes", "between 0 and 720");
    if (!rc && (a->early_minutes < 0 || a->early_minutes > 720)) rc = psy__rec_bad(st, "early_minutes", "between 0 and 720");
    if (!rc && a->interactive_complexity != 0 && a->interactive_complexity != 1)
        rc = psy__rec_bad(st, "interactive_complexity", "0 or 1");
    if (!rc && !a->present && a->interactive_complexity)
        rc = psy__rec_bad(st, "interactive_complexity", "an absent member has no interactive complexity");
    if (!rc && !a->present && (a->late_minutes || a->early_minutes))
        rc = psy__rec_bad(st, a->late_minutes ? "late_minutes" : "early_minutes", "an absent member has no minutes");
    int mins = psy_records_session_minutes(&s);
    if (!rc && mins && a->late_minutes + a->early_minutes >= mins)
        rc = psy__rec_bad(st, "late_minutes", "late plus early minutes cover the whole session");
    if (!rc && *a->billed_code) rc = psy__rec_proc_code(st, "billed_code", a->billed_code, code);
    if (!rc && a->policy_id) {
        psy_status q = psy__db_int(st, &v, "SELECT 1 FROM policy WHERE id = ? AND practice_id = ? AND client_id = ?",
                                   PSY_ARGS(PSY_INT(a->policy_id), PSY_INT(practice), PSY_INT(a->client_id)));
        if (q == PSY_ENOTFOUND) rc = psy__rec_bad(st, "policy_id", "not a policy of this client");
        else rc = q;
    }
    if (!rc && !a->present) {
        psy_status q =
            psy__db_int(st, &v, "SELECT id FROM note WHERE practice_id = ? AND session_id = ? AND client_id = ?",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(a->session_id), PSY_INT(a->client_id)));
        if (q == PSY_OK) rc = psy__rec_bad(st, "present", "this member already has a note in this session");
        else if (q != PSY_ENOTFOUND) rc = q;
    }
    if (rc) return rc;
    if (*id)
        return psy__rec_update(st, "attendance", practice, *id, version,
                               "present = ?, late_minutes = ?, early_minutes = ?, billed_code = ?, policy_id = ?, "
                               "interactive_complexity = ?, updated_at = ?",
                               PSY_ARGS(PSY_INT(a->present), PSY_INT(a->late_minutes), PSY_INT(a->early_minutes),
                                        PSY_TEXT_OR_NULL(code), PSY_INT_OR_NULL(a->policy_id),
                                        PSY_INT(a->interactive_complexity), PSY_TEXT_OR_EMPTY(now)));
    return psy__db_insert(st, id,
                          "INSERT INTO attendance (practice_id, session_id, client_id, present, late_minutes, "
                          "early_minutes, billed_code, policy_id, interactive_complexity, created_at, updated_at) "
                          "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                          PSY_ARGS(PSY_INT(practice), PSY_INT(a->session_id), PSY_INT(a->client_id),
                                   PSY_INT(a->present), PSY_INT(a->late_minutes), PSY_INT(a->early_minutes),
                                   PSY_TEXT_OR_NULL(code), PSY_INT_OR_NULL(a->policy_id),
                                   PSY_INT(a->interactive_complexity), PSY_TEXT_OR_EMPTY(now), PSY_TEXT_OR_EMPTY(now)));
}

psy_status psy_records_attendance_set(psy_store *st, psy_id practice, const struct psy_attendance *a, psy_id *id)
{
    int64_t existing = 0;
    int version = 0;
    psy_status rc = psy__db_int(st, &existing,
                                "SELECT id FROM attendance WHERE practice_id = ? AND session_id = ? AND client_id = ?",
                                PSY_ARGS(PSY_INT(practice), PSY_INT(a->session_id), PSY_INT(a->client_id)));
    if (rc == PSY_ENOTFOUND) existing = 0;
    else if (rc) return rc;
    if (existing && (rc = psy__rec_version(st, "attendance", practice, existing, &version))) return rc;
    return psy__rec_write_one(st, practice, "attendance", existing, version, existing ? "update" : "create", 0,
                              write_attendance, a, id);
}

#define C(f, t) PSY__COL(struct psy_attendance, f, t)
static const struct psy__col attendance_cols[] = {C(id, i),           C(session_id, i),    C(client_id, i),
                                                      C(present, d),      C(late_minutes, d),  C(early_minutes, d),
                                                      C(billed_code, s),  C(policy_id, i),     C(interactive_complexity, d),
                                                      C(version, d)};
#undef C
static const struct psy__map attendance_map = PSY__MAP(attendance_cols);

psy_status psy_records_attendance_list(psy_store *st, psy_id practice, psy_id session, struct psy_attendance **out,
                                       size_t *n)
{
    return psy__db_rows(st, (void **)out, n, sizeof **out, &attendance_map,
                        "FROM attendance WHERE practice_id = ? AND session_id = ? ORDER BY client_id",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(session)));
}

/* --- billing ------------------------------------------------------------------------------------------ */

struct billed {
    psy_id session, client;
    const char *code;
    int on_attendance;
};

static psy_status write_billed(psy_store *st, psy_id practice, const void *rec, psy_id *id, int version)
{
    const struct billed *b = rec;
    char code[PSY_CODE_MAX] = "", now[PSY_REC_TIME_MAX];
    psy__rec_now(now);
    if (b->code && *b->code) {
        psy_status rc = psy__rec_proc_code(st, "code", b->code, code);
        if (rc) return rc;
    }
    return psy__rec_update(st, b->on_attendance ? "attendance" : "session", practice, *id, version,
                           "billed_code = ?, updated_at = ?", PSY_ARGS(PSY_TEXT_OR_NULL(code), PSY_TEXT_OR_EMPTY(now)));
}

psy_status psy_records_billed_set(psy_store *st, psy_id practice, psy_id session, psy_id client, const char *code)
{
    struct psy_session s;
    struct billed b = {session, client, code, 0};
    int64_t row = session;
    psy_status rc = psy_records_session_get(st, practice, session, &s);
    if (rc) return rc;
    if (group_kind(s.kind)) {
        if (!client) return psy__rec_bad(st, "client_id", "name the group member billed");
        rc = psy__db_int(st, &row,
                         "SELECT id FROM attendance WHERE practice_id = ? AND session_id = ? AND client_id = ?",
                         PSY_ARGS(PSY_INT(practice), PSY_INT(session), PSY_INT(client)));
        if (rc == PSY_ENOTFOUND) return psy__rec_bad(st, "client_id", "no attendance of this client at this session");
        if (rc) return rc;
        b.on_attendance = 1;
    } else if (client && client != s.client_id) {
        return psy__rec_bad(st, "client_id", "not the client of this session");
    }
    return psy__rec_write_current(st, practice, b.on_attendance ? "attendance" : "session", row, "update", 0, write_billed,
                                  &b);
}

/* Fills the insurance and diagnoses of one billable line. */
static psy_status fill_billable(psy_store *st, psy_id practice, struct psy_billable *b, psy_id policy_id)
{
    struct psy_policy pol;
    struct psy_client c;
    psy_status rc = policy_id ? psy_records_policy_get(st, practice, policy_id, &pol)
                              : psy_records_policy_on(st, practice, b->client_id, b->service_date, 1, &pol);
    if (rc == PSY_OK) {
        struct psy_payer p;
        b->policy_id = pol.id;
        b->payer_id = pol.payer_id;
        memcpy(b->member_id, pol.member_id, sizeof b->member_id);
        if ((rc = psy_records_payer_get(st, practice, pol.payer_id, &p))) return rc;
        memcpy(b->payer_code, p.payer_code, sizeof b->payer_code);
    } else if (rc != PSY_ENOTFOUND) {
        return rc;
    }
    if ((rc = psy_records_client_get(st, practice, b->client_id, &c))) return rc;
    b->n_dx = c.n_dx;
    memcpy(b->dx, c.dx, sizeof b->dx);
    return PSY_OK;
}

psy_status psy_records_session_billables(psy_store *st, psy_id practice, psy_id session, struct psy_billable **out,
                                         size_t *n)
{
    struct psy_session s;
    struct psy_clinician cl;
    *out = NULL;
    *n = 0;
    psy_status rc = psy_records_session_get(st, practice, session, &s);
    if (!rc && !*s.signed_at)
        rc = psy__store_fail(st, PSY_EPERM, "session: not signed; sign its notes and the session first");
    if (!rc) rc = psy_records_clinician_get(st, practice, s.clinician_id, &cl);
    if (rc) return rc;
    struct psy_billable proto;
    memset(&proto, 0, sizeof proto);
    proto.session_id = s.id;
    proto.clinician_id = s.clinician_id;
    memcpy(proto.rendering_npi, cl.npi, sizeof proto.rendering_npi);
    memcpy(proto.kind, s.kind, sizeof proto.kind);
    memcpy(proto.service_date, s.service_date, sizeof proto.service_date);
    memcpy(proto.pos, s.pos, sizeof proto.pos);
    proto.telehealth = s.telehealth;
    memcpy(proto.th_modality, s.th_modality, sizeof proto.th_modality);
    memcpy(proto.patient_location, s.patient_location, sizeof proto.patient_location);
    proto.interactive_complexity = s.interactive_complexity;
    int mins = psy_records_session_minutes(&s);
    if (!group_kind(s.kind)) {
        *out = psy__calloc(1, sizeof **out);
        **out = proto;
        (*out)->client_id = s.client_id;
        (*out)->minutes = mins;
        (*out)->participants = 1;
        memcpy((*out)->billed_code, s.billed_code, sizeof s.billed_code);
        (*out)->patient_absent = s.patient_absent;
        (*out)->medical = s.medical;
        memcpy((*out)->em_code, s.em_code, sizeof s.em_code);
        *n = 1;
        rc = fill_billable(st, practice, *out, 0);
    } else {
        struct psy_attendance *att;
        size_t na, present = 0;
        if ((rc = psy_records_attendance_list(st, practice, session, &att, &na))) return rc;
        for (size_t i = 0; i < na; i++) present += (size_t)att[i].present;
        *out = psy__calloc(present ? present : 1, sizeof **out);
        for (size_t i = 0; !rc && i < na; i++) {
            if (!att[i].present) continue;
            struct psy_billable *b = &(*out)[(*n)++];
            *b = proto;
            b->client_id = att[i].client_id;
            b->minutes = mins ? mins - att[i].late_minutes - att[i].early_minutes : 0;
            b->participants = (int)present;
            /* interactive complexity member by member: the session's flag covers every member, a
             * member's own flag that member alone (domain.md 1.8) */
            b->interactive_complexity = s.interactive_complexity || att[i].interactive_complexity;
            memcpy(b->billed_code, att[i].billed_code, sizeof b->billed_code);
            rc = fill_billable(st, practice, b, att[i].policy_id);
        }
        free(att);
    }
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* --- many sessions at once (records_bulk.h) ---------------------------------------------------------------- */

#define BSEARCH_BY_ID(name, T)                                                                                   \
    static const T *name(const T *v, size_t n, psy_id id)                                                       \
    {                                                                                                            \
        size_t lo = 0, hi = n;                                                                                   \
        while (lo < hi) {                                                                                        \
            size_t mid = lo + (hi - lo) / 2;                                                                     \
            if (v[mid].id < id) lo = mid + 1;                                                                    \
            else hi = mid;                                                                                       \
        }                                                                                                        \
        return lo < n && v[lo].id == id ? &v[lo] : NULL;                                                         \
    }
BSEARCH_BY_ID(find_clinician, struct psy_clinician)
BSEARCH_BY_ID(find_client, struct psy_client)
BSEARCH_BY_ID(find_payer, struct psy_payer)
BSEARCH_BY_ID(find_policy, struct psy_policy)
#undef BSEARCH_BY_ID

struct bulk {
    struct psy_clinician *cl;
    struct psy_client *cs;
    struct psy_payer *py;
    struct psy_policy *po; /* by id */
    size_t ncl, ncs, npy, npo;
    const struct psy_policy **by_client; /* primary policies by client, then start_date desc, id desc */
    size_t nbc;
};

static int cmp_primary(const void *a, const void *b)
{
    const struct psy_policy *x = *(const struct psy_policy *const *)a, *y = *(const struct psy_policy *const *)b;
    if (x->client_id != y->client_id) return x->client_id < y->client_id ? -1 : 1;
    int c = strcmp(y->start_date, x->start_date);
    if (c) return c;
    return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

/* psy_records_policy_on(priority 1) over the loaded policies (end_date "" is stored as NULL: open). */
static const struct psy_policy *primary_on(const struct bulk *k, psy_id client, const char *date)
{
    size_t lo = 0, hi = k->nbc;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->by_client[mid]->client_id < client) lo = mid + 1;
        else hi = mid;
    }
    for (; lo < k->nbc && k->by_client[lo]->client_id == client; lo++) {
        const struct psy_policy *p = k->by_client[lo];
        if (strcmp(p->start_date, date) <= 0 && (!*p->end_date || strcmp(p->end_date, date) >= 0)) return p;
    }
    return NULL;
}

/* fill_billable over the loaded records. */
static psy_status bulk_fill(psy_store *st, const struct bulk *k, struct psy_billable *b, psy_id policy_id)
{
    const struct psy_policy *pol =
        policy_id ? find_policy(k->po, k->npo, policy_id) : primary_on(k, b->client_id, b->service_date);
    if (!pol && policy_id)
        return psy__store_fail(st, PSY_ENOTFOUND, "id: no policy %lld in this practice", (long long)policy_id);
    if (pol) {
        const struct psy_payer *p = find_payer(k->py, k->npy, pol->payer_id);
        if (!p) return psy__store_fail(st, PSY_ENOTFOUND, "id: no payer %lld in this practice", (long long)pol->payer_id);
        b->policy_id = pol->id;
        b->payer_id = pol->payer_id;
        memcpy(b->member_id, pol->member_id, sizeof b->member_id);
        memcpy(b->payer_code, p->payer_code, sizeof b->payer_code);
    }
    const struct psy_client *c = find_client(k->cs, k->ncs, b->client_id);
    if (!c) return psy__store_fail(st, PSY_ENOTFOUND, "id: no client %lld in this practice", (long long)b->client_id);
    b->n_dx = c->n_dx;
    memcpy(b->dx, c->dx, sizeof b->dx);
    return PSY_OK;
}

psy_status psy__records_billables(psy_store *st, psy_id practice, const struct psy_session *ss, size_t n,
                                  struct psy_billable **out, size_t **of, size_t *nout)
{
    struct bulk k = {0};
    struct psy_attendance *att = NULL;
    size_t na = 0, cap = 0;
    *out = NULL;
    *of = NULL;
    *nout = 0;
    if (!n) return PSY_OK;
    psy_status rc = psy_records_clinician_list(st, practice, &k.cl, &k.ncl);
    if (!rc) rc = psy_records_client_list(st, practice, &k.cs, &k.ncs);
    if (!rc) rc = psy_records_payer_list(st, practice, &k.py, &k.npy);
    if (!rc) rc = psy__records_policies(st, practice, &k.po, &k.npo);
    /* (+practice_id: SQLite, without statistics, would rather read every attendance row of the practice
     * by that column than the dates' sessions' rows by session) */
    if (!rc)
        rc = psy__db_rows(st, (void **)&att, &na, sizeof *att, &attendance_map,
                          "FROM attendance WHERE +practice_id = ? AND session_id IN (SELECT id FROM session WHERE "
                          "practice_id = ? AND service_date >= ? AND service_date <= ?) ORDER BY session_id, client_id",
                          PSY_ARGS(PSY_INT(practice), PSY_INT(practice), PSY_TEXT(ss[0].service_date),
                                   PSY_TEXT(ss[n - 1].service_date)));
    if (!rc) {
        k.by_client = psy__malloc((k.npo ? k.npo : 1) * sizeof *k.by_client);
        for (size_t i = 0; i < k.npo; i++)
            if (k.po[i].priority == 1) k.by_client[k.nbc++] = &k.po[i];
        if (k.nbc > 1) qsort(k.by_client, k.nbc, sizeof *k.by_client, cmp_primary);
    }
    for (size_t i = 0; !rc && i < n; i++) {
        const struct psy_session *s = &ss[i];
        if (!*s->signed_at) continue;
        const struct psy_clinician *cl = find_clinician(k.cl, k.ncl, s->clinician_id);
        if (!cl) {
            rc = psy__store_fail(st, PSY_ENOTFOUND, "id: no clinician %lld in this practice", (long long)s->clinician_id);
            break;
        }
        struct psy_billable proto;
        memset(&proto, 0, sizeof proto);
        proto.session_id = s->id;
        proto.clinician_id = s->clinician_id;
        memcpy(proto.rendering_npi, cl->npi, sizeof proto.rendering_npi);
        memcpy(proto.kind, s->kind, sizeof proto.kind);
        memcpy(proto.service_date, s->service_date, sizeof proto.service_date);
        memcpy(proto.pos, s->pos, sizeof proto.pos);
        proto.telehealth = s->telehealth;
        memcpy(proto.th_modality, s->th_modality, sizeof proto.th_modality);
        memcpy(proto.patient_location, s->patient_location, sizeof proto.patient_location);
        proto.interactive_complexity = s->interactive_complexity;
        int mins = psy_records_session_minutes(s);
        if (!group_kind(s->kind)) {
            struct psy_billable *b = PSY__PUSH(*out, *nout, cap);
            *b = proto;
            b->client_id = s->client_id;
            b->minutes = mins;
            b->participants = 1;
            memcpy(b->billed_code, s->billed_code, sizeof s->billed_code);
            b->patient_absent = s->patient_absent;
            b->medical = s->medical;
            memcpy(b->em_code, s->em_code, sizeof s->em_code);
            rc = bulk_fill(st, &k, b, 0);
            continue;
        }
        size_t lo = 0, hi = na, present = 0;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (att[mid].session_id < s->id) lo = mid + 1;
            else hi = mid;
        }
        for (size_t j = lo; j < na && att[j].session_id == s->id; j++) present += (size_t)att[j].present;
        for (size_t j = lo; !rc && j < na && att[j].session_id == s->id; j++) {
            if (!att[j].present) continue;
            struct psy_billable *b = PSY__PUSH(*out, *nout, cap);
            *b = proto;
            b->client_id = att[j].client_id;
            b->minutes = mins ? mins - att[j].late_minutes - att[j].early_minutes : 0;
            b->participants = (int)present;
            b->interactive_complexity = s->interactive_complexity || att[j].interactive_complexity;
            memcpy(b->billed_code, att[j].billed_code, sizeof b->billed_code);
            rc = bulk_fill(st, &k, b, att[j].policy_id);
        }
    }
    if (!rc && *nout) {
        /* the session of each member: members come in session order */
        *of = psy__malloc(*nout * sizeof **of);
        for (size_t i = 0, j = 0; i < *nout; i++) {
            while (ss[j].id != (*out)[i].session_id) j++;
            (*of)[i] = j;
        }
    }
    free(att);
    free(k.cl);
    free(k.cs);
    free(k.py);
    free(k.po);
    free(k.by_client);
    if (rc) {
        free(*out);
        *out = NULL;
        *nout = 0;
    }
    return rc;
}

struct billed_row {
    psy_id id, session, client;
    int version, was_null;
    char updated_at[PSY_REC_TIME_MAX], code[PSY_CODE_MAX];
};

static int cmp_billed_row(const void *a, const void *b)
{
    const struct billed_row *x = a, *y = b;
    if (x->session != y->session) return x->session < y->session ? -1 : 1;
    return x->client < y->client ? -1 : x->client > y->client;
}

/* The current billing columns of the sessions (client 0) or attendance rows of the date range. */
static psy_status billed_rows(psy_store *st, psy_id practice, const char *from, const char *to, int attendance,
                              struct billed_row **out, size_t *n)
{
    size_t cap = 0;
    psy__stmt *s;
    /* the attendance rows through their sessions' dates (s.practice_id: the dates' index; by a.practice_id
     * alone SQLite read every attendance row of the practice) */
    psy_status rc = psy__db_query(
        st, &s,
        attendance ? "SELECT a.id, a.session_id, a.client_id, a.version, a.updated_at, CASE WHEN a.billed_code IS NULL "
                     "THEN 1 ELSE 0 END, a.billed_code FROM attendance a JOIN session s ON s.id = a.session_id "
                     "WHERE a.practice_id = ? AND s.practice_id = a.practice_id AND s.service_date >= ? AND "
                     "s.service_date <= ?"
                   : "SELECT id, id, 0, version, updated_at, CASE WHEN billed_code IS NULL THEN 1 ELSE 0 END, "
                     "billed_code FROM session WHERE practice_id = ? AND service_date >= ? AND service_date <= ?",
        PSY_ARGS(PSY_INT(practice), PSY_TEXT(from), PSY_TEXT(to)));
    if (rc) return rc;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        struct billed_row *b = PSY__PUSH(*out, *n, cap);
        b->id = psy__sql_int64(s, 0);
        b->session = psy__sql_int64(s, 1);
        b->client = psy__sql_int64(s, 2);
        b->version = (int)psy__sql_int64(s, 3);
        psy__db_col_copy(s, 4, b->updated_at, sizeof b->updated_at);
        b->was_null = (int)psy__sql_int64(s, 5);
        psy__db_col_copy(s, 6, b->code, sizeof b->code);
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) return psy__store_dbfail(st, "records");
    if (*n > 1) qsort(*out, *n, sizeof **out, cmp_billed_row);
    return PSY_OK;
}

psy_status psy__records_billed_many(psy_store *st, psy_id practice, const char *from, const char *to,
                                    const struct psy__billed_item *items, size_t n)
{
    struct billed_row *rows[2] = {NULL, NULL};
    size_t nrows[2] = {0, 0};
    char now[PSY_REC_TIME_MAX], last_in[PSY_CODE_MAX] = "", last_out[PSY_CODE_MAX] = "";
    psy__rec_now(now);
    if (!n) return PSY_OK;
    psy_status rc = billed_rows(st, practice, from, to, 0, &rows[0], &nrows[0]);
    if (!rc) rc = billed_rows(st, practice, from, to, 1, &rows[1], &nrows[1]);
    struct psy__batch up[2], hist;
    static const char *const heads[2] = {
        "UPDATE session SET billed_code = v.column2, updated_at = v.column3, version = session.version + 1 FROM (VALUES",
        "UPDATE attendance SET billed_code = v.column2, updated_at = v.column3, version = attendance.version + 1 "
        "FROM (VALUES"};
    static const char *const tails[2] = {") AS v WHERE session.id = v.column1", ") AS v WHERE attendance.id = v.column1"};
    for (int t = 0; t < 2; t++)
        psy__batch_init(&up[t], st, heads[t], "(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT))", tails[t]);
    psy__batch_init(&hist, st,
                    "INSERT INTO record_history (practice_id, record_type, record_id, version, action, actor_id, "
                    "changed_at, previous) VALUES",
                    "(?, ?, ?, ?, ?, ?, ?, ?)", "");
    for (size_t i = 0; !rc && i < n; i++) {
        const struct psy__billed_item *it = &items[i];
        int t = it->client != 0;
        struct billed_row key = {.session = it->session, .client = it->client};
        struct billed_row *row = nrows[t] ? bsearch(&key, rows[t], nrows[t], sizeof key, cmp_billed_row) : NULL;
        if (!row) {
            rc = t ? psy__rec_bad(st, "client_id", "no attendance of this client at this session")
                   : psy__store_fail(st, PSY_ENOTFOUND, "id: no session %lld in this practice", (long long)it->session);
            break;
        }
        char code[PSY_CODE_MAX] = "";
        if (it->code && *it->code) {
            if (strcmp(it->code, last_in)) { /* members of one session mostly share a code */
                if ((rc = psy__rec_proc_code(st, "code", it->code, code))) break;
                snprintf(last_in, sizeof last_in, "%s", it->code);
                memcpy(last_out, code, sizeof code);
            }
            memcpy(code, last_out, sizeof code);
        }
        /* the history row keeps the earlier values of the columns that changed (psy__rec_history) */
        json_t *prev = json_object();
        if (row->was_null ? *code != 0 : !*code || strcmp(row->code, code))
            json_object_set_new(prev, "billed_code", row->was_null ? json_null() : json_string(row->code));
        if (strcmp(row->updated_at, now)) json_object_set_new(prev, "updated_at", json_string(row->updated_at));
        json_object_set_new(prev, "version", json_integer(row->version));
        char *text = json_dumps(prev, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(prev);
        psy__batch_int64(&up[t], row->id);
        psy__batch_text(&up[t], *code ? code : NULL);
        psy__batch_text(&up[t], now);
        row->version++;
        psy__batch_int64(&hist, practice);
        psy__batch_text(&hist, t ? "attendance" : "session");
        psy__batch_int64(&hist, row->id);
        psy__batch_int64(&hist, row->version);
        psy__batch_text(&hist, "update");
        psy__batch_text(&hist, NULL);
        psy__batch_text(&hist, now);
        psy__batch_text(&hist, text);
        free(text);
        if (!(rc = psy__batch_row(&up[t]))) rc = psy__batch_row(&hist);
    }
    for (int t = 0; t < 2; t++) {
        if (!rc) rc = psy__batch_flush(&up[t]);
        psy__batch_free(&up[t]);
        free(rows[t]);
    }
    if (!rc) rc = psy__batch_flush(&hist);
    psy__batch_free(&hist);
    return rc;
}
