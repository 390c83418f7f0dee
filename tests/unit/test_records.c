/* test_records.c -- the practice records, run once on a SQLite file and once on a real PostgreSQL server
 * (the ctest fixture pg_server, or $PSY_TEST_PG_URI): create/read/update, validation that names the
 * field and stores nothing, versions (also two connections racing for one row), signing and locking,
 * addenda, change history, batches, tenancy, the billable lines of a signed session, and the demo
 * generator. */
#include "fixtures_records.h"
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "psy_db.h"
#include "psyclaim/psy_templates.h"

/* Asserts rc == want and that the store's message starts with "field:". */
#define ASSERT_FIELD(st, rc, want, field)                                                           \
    do {                                                                                            \
        psy_status rc_ = (rc);                                                                      \
        if (rc_ != (want) || strncmp(psy_store_errmsg(st), field ":", strlen(field ":")) != 0)      \
            fail_msg("expected %s on '%s', got %s: %s", psy_strerror(want), field, psy_strerror(rc_), \
                     psy_store_errmsg(st));                                                         \
    } while (0)

static void test_npi_dates_times(void **state)
{
    (void)state;
    /* EVIDENCE: R-NPI-1 (domain.md 5.5) */
    assert_true(psy_records_npi_valid("1234567893"));
    assert_true(psy_records_npi_valid("1245319599"));
    assert_false(psy_records_npi_valid("1234567890"));
    assert_false(psy_records_npi_valid("6543210903")); /* Luhn holds, but issued NPIs start with 1 or 2 */
    assert_false(psy_records_npi_valid("123456789"));
    assert_false(psy_records_npi_valid("12345678a3"));
    assert_true(psy_records_date_valid("2024-02-29"));
    assert_false(psy_records_date_valid("2023-02-29"));
    assert_false(psy_records_date_valid("2024-13-01"));
    assert_false(psy_records_date_valid("2024-1-01"));
    assert_false(psy_records_date_valid("2024-04-31"));
    char t[PSY_REC_TIME_MAX];
    assert_int_equal(psy_records_time_utc("2024-03-05T18:00:00-06:00", t), PSY_OK);
    assert_string_equal(t, "2024-03-06T00:00:00Z");
    assert_int_equal(psy_records_time_utc("2024-12-31T23:30+01:00", t), PSY_OK);
    assert_string_equal(t, "2024-12-31T22:30:00Z");
    assert_int_equal(psy_records_time_utc("2024-03-05 09:05:07Z", t), PSY_OK);
    assert_string_equal(t, "2024-03-05T09:05:07Z");
    assert_int_equal(psy_records_time_utc("2024-03-05T25:00:00Z", t), PSY_EINVAL);
    assert_int_equal(psy_records_time_utc("2024-03-05T10:00:00", t), PSY_EINVAL);
    assert_int_equal(psy_records_time_utc("yesterday", t), PSY_EINVAL);
}

static void test_practice_and_clinicians(void **state)
{
    struct fx f;
    fx_open_on(&f, FX_SERVER(state));
    struct psy_practice p;
    assert_int_equal(psy_records_practice_get(f.st, f.pr, &p), PSY_OK);
    assert_string_equal(p.tax_id, "123456789");
    assert_int_equal(p.unsigned_note_days, 7);
    assert_int_equal(p.version, 1);
    struct psy_practice bad = p;
    snprintf(bad.npi, sizeof bad.npi, "1234567890");
    ASSERT_FIELD(f.st, psy_records_practice_update(f.st, &bad), PSY_EINVAL, "npi");
    bad = p;
    snprintf(bad.zip, sizeof bad.zip, "1234");
    ASSERT_FIELD(f.st, psy_records_practice_update(f.st, &bad), PSY_EINVAL, "zip");
    snprintf(p.city, sizeof p.city, "Springfield");
    assert_int_equal(psy_records_practice_update(f.st, &p), PSY_OK);
    /* a stale version is refused */
    ASSERT_FIELD(f.st, psy_records_practice_update(f.st, &p), PSY_ECONFLICT, "version");
    assert_int_equal(psy_records_practice_get(f.st, f.pr, &p), PSY_OK);
    assert_string_equal(p.city, "Springfield");
    assert_int_equal(p.version, 2);

    struct psy_clinician c;
    assert_int_equal(psy_records_clinician_get(f.st, f.pr, f.clin, &c), PSY_OK);
    assert_int_equal(c.active, 1);
    struct psy_clinician dup = c;
    ASSERT_FIELD(f.st, psy_records_clinician_add(f.st, f.pr, &dup, NULL), PSY_ECONFLICT, "npi");
    fx_npi('1', 777, dup.npi);
    snprintf(dup.taxonomy, sizeof dup.taxonomy, "1041C0700");
    ASSERT_FIELD(f.st, psy_records_clinician_add(f.st, f.pr, &dup, NULL), PSY_EINVAL, "taxonomy");
    snprintf(dup.taxonomy, sizeof dup.taxonomy, "1041C0700X");
    dup.last_name[0] = 0;
    ASSERT_FIELD(f.st, psy_records_clinician_add(f.st, f.pr, &dup, NULL), PSY_EINVAL, "last_name");
    assert_int_equal(fx_db_count(&f.db, "SELECT COUNT(*) FROM clinician"), 3);
    c.active = 0;
    assert_int_equal(psy_records_clinician_update(f.st, f.pr, &c), PSY_OK);
    struct psy_clinician *list;
    size_t n;
    assert_int_equal(psy_records_clinician_list(f.st, f.pr, &list, &n), PSY_OK);
    assert_int_equal(n, 3);
    assert_int_equal(list[0].active, 0);
    free(list);
    fx_close(&f);
}

static void test_clients_and_diagnoses(void **state)
{
    struct fx f;
    fx_open_on(&f, FX_SERVER(state));
    struct psy_client c;
    assert_int_equal(psy_records_client_get(f.st, f.pr, f.client[0], &c), PSY_OK);
    assert_int_equal(c.n_dx, 1);
    assert_string_equal(c.dx[0], "F41.1");
    long before = fx_db_count(&f.db, "SELECT COUNT(*) FROM client_diagnosis");

    struct psy_client bad = c;
    bad.n_dx = 1;
    snprintf(bad.dx[0], PSY_CODE_MAX, "F41"); /* a category, not a leaf */
    ASSERT_FIELD(f.st, psy_records_client_update(f.st, f.pr, &bad), PSY_EINVAL, "dx[0]");
    bad.n_dx = 2;
    snprintf(bad.dx[0], PSY_CODE_MAX, "F32.1");
    snprintf(bad.dx[1], PSY_CODE_MAX, "Z99.999");
    ASSERT_FIELD(f.st, psy_records_client_update(f.st, f.pr, &bad), PSY_EINVAL, "dx[1]");
    snprintf(bad.dx[1], PSY_CODE_MAX, "f321"); /* the same code typed another way */
    ASSERT_FIELD(f.st, psy_records_client_update(f.st, f.pr, &bad), PSY_EINVAL, "dx[1]");
    bad = c;
    snprintf(bad.birth_date, sizeof bad.birth_date, "2999-01-01");
    ASSERT_FIELD(f.st, psy_records_client_update(f.st, f.pr, &bad), PSY_EINVAL, "birth_date");
    bad = c;
    snprintf(bad.sex, sizeof bad.sex, "X");
    ASSERT_FIELD(f.st, psy_records_client_update(f.st, f.pr, &bad), PSY_EINVAL, "sex");
    bad = c;
    snprintf(bad.telehealth_consent_date, sizeof bad.telehealth_consent_date, "2024-02-30");
    ASSERT_FIELD(f.st, psy_records_client_update(f.st, f.pr, &bad), PSY_EINVAL, "telehealth_consent_date");
    bad = c;
    snprintf(bad.first_name, sizeof bad.first_name, "Bad\x01name");
    ASSERT_FIELD(f.st, psy_records_client_update(f.st, f.pr, &bad), PSY_EINVAL, "first_name");
    assert_int_equal(fx_db_count(&f.db, "SELECT COUNT(*) FROM client_diagnosis"), before);
    assert_int_equal(fx_db_count(&f.db, "SELECT MAX(version) FROM client"), 1);

    /* a good update replaces the list, normalising the codes */
    c.n_dx = 2;
    snprintf(c.dx[0], PSY_CODE_MAX, "f321");
    snprintf(c.dx[1], PSY_CODE_MAX, "F41.1");
    assert_int_equal(psy_records_client_update(f.st, f.pr, &c), PSY_OK);
    struct psy_client again;
    assert_int_equal(psy_records_client_get(f.st, f.pr, f.client[0], &again), PSY_OK);
    assert_int_equal(again.n_dx, 2);
    assert_string_equal(again.dx[0], "F32.1");
    assert_string_equal(again.dx[1], "F41.1");
    assert_int_equal(again.version, 2);

    /* the history keeps the earlier diagnosis list */
    struct psy_history *h;
    size_t nh;
    assert_int_equal(psy_records_history(f.st, f.pr, "client", f.client[0], &h, &nh), PSY_OK);
    assert_int_equal(nh, 2);
    assert_string_equal(h[0].action, "create");
    assert_null(h[0].previous);
    assert_string_equal(h[1].action, "update");
    assert_int_equal(h[1].version, 2);
    json_t *prev = json_loads(h[1].previous, 0, NULL);
    assert_non_null(prev);
    json_t *dx = json_object_get(prev, "client_diagnosis");
    assert_int_equal(json_array_size(dx), 1);
    assert_string_equal(json_string_value(json_array_get(dx, 0)), "F41.1");
    assert_int_equal(json_integer_value(json_object_get(prev, "version")), 1);
    assert_null(json_object_get(prev, "first_name")); /* unchanged columns are not repeated */
    json_decref(prev);
    psy_history_free(h, nh);

    struct psy_client *all;
    size_t n;
    assert_int_equal(psy_records_client_list(f.st, f.pr, &all, &n), PSY_OK);
    assert_int_equal(n, 4);
    assert_int_equal(all[0].n_dx, 2);
    assert_int_equal(all[3].n_dx, 1);
    free(all);
    fx_close(&f);
}

static void test_payers_policies_authorisations(void **state)
{
    struct fx f;
    fx_open_on(&f, FX_SERVER(state));
    struct psy_payer p;
    assert_int_equal(psy_records_payer_get(f.st, f.pr, f.medicaid, &p), PSY_OK);
    assert_int_equal(p.group_max, 3);
    ASSERT_FIELD(f.st, psy_records_payer_add(f.st, f.pr, &p, NULL), PSY_ECONFLICT, "payer_code");
    snprintf(p.payer_code, sizeof p.payer_code, "NEW01");
    snprintf(p.kind, sizeof p.kind, "charity");
    ASSERT_FIELD(f.st, psy_records_payer_add(f.st, f.pr, &p, NULL), PSY_EINVAL, "kind");
    snprintf(p.kind, sizeof p.kind, "other");
    p.group_max = 1;
    ASSERT_FIELD(f.st, psy_records_payer_add(f.st, f.pr, &p, NULL), PSY_EINVAL, "group_max");

    struct psy_policy pol;
    assert_int_equal(psy_records_policy_on(f.st, f.pr, f.client[2], "2024-06-01", 1, &pol), PSY_OK);
    assert_int_equal(pol.payer_id, f.medicaid);
    assert_int_equal(psy_records_policy_on(f.st, f.pr, f.client[2], "2023-06-01", 1, &pol), PSY_ENOTFOUND);
    assert_int_equal(psy_records_policy_on(f.st, f.pr, f.client[2], "2024-06-01", 1, &pol), PSY_OK);
    struct psy_policy second = pol;
    snprintf(second.start_date, sizeof second.start_date, "2024-05-01");
    ASSERT_FIELD(f.st, psy_records_policy_add(f.st, f.pr, &second, NULL), PSY_EINVAL, "priority");
    second.priority = 2;
    snprintf(second.relation, sizeof second.relation, "spouse");
    ASSERT_FIELD(f.st, psy_records_policy_add(f.st, f.pr, &second, NULL), PSY_EINVAL, "subscriber_first");
    snprintf(second.subscriber_first, sizeof second.subscriber_first, "Partner");
    snprintf(second.subscriber_last, sizeof second.subscriber_last, "Fixture");
    second.copay_cents = 2000;
    psy_id pid;
    assert_int_equal(psy_records_policy_add(f.st, f.pr, &second, &pid), PSY_OK);
    assert_int_equal(psy_records_policy_get(f.st, f.pr, pid, &pol), PSY_OK);
    assert_int_equal(pol.copay_cents, 2000);

    struct psy_authorisation a;
    assert_int_equal(psy_records_auth_get(f.st, f.pr, f.auth[2], &a), PSY_OK);
    assert_int_equal(a.n_codes, 3);
    struct psy_authorisation b = a;
    snprintf(b.end_date, sizeof b.end_date, "2023-12-31");
    ASSERT_FIELD(f.st, psy_records_auth_add(f.st, f.pr, &b, NULL), PSY_EINVAL, "end_date");
    b = a;
    snprintf(b.codes[1], PSY_CODE_MAX, "9083");
    ASSERT_FIELD(f.st, psy_records_auth_add(f.st, f.pr, &b, NULL), PSY_EINVAL, "codes[1]");
    b = a;
    b.units_prior = 60;
    ASSERT_FIELD(f.st, psy_records_auth_add(f.st, f.pr, &b, NULL), PSY_EINVAL, "units_prior");

    /* use is counted from the billed lines: 90834 and 90853 count, 90832 is not covered */
    int used;
    a.units_prior = 0;
    assert_int_equal(psy_records_auth_used(f.st, f.pr, f.auth[2], &used), PSY_OK);
    assert_int_equal(used, 0);
    fx_individual(&f, f.client[2], "2024-02-05", 45, "90834", 1);
    fx_individual(&f, f.client[2], "2024-02-12", 30, "90832", 1);
    psy_id present[] = {f.client[2], f.client[0]};
    fx_group(&f, "2024-02-14", present, 2, 1);
    fx_individual(&f, f.client[2], "2025-02-12", 45, "90834", 1); /* after the authorisation */
    assert_int_equal(psy_records_auth_used(f.st, f.pr, f.auth[2], &used), PSY_OK);
    assert_int_equal(used, 2);
    fx_close(&f);
}

static void test_plans(void **state)
{
    struct fx f;
    fx_open_on(&f, FX_SERVER(state));
    struct psy_plan p;
    fx_plan_init(&p, f.client[1], f.co, PSY_MOD_FAMILY, "2024-03-01", "2024-02-01");
    snprintf(p.frequency, sizeof p.frequency, "every two weeks");
    p.session_minutes = 50;
    snprintf(p.dx[0], PSY_CODE_MAX, "F43.23");
    p.n_goals = 2;
    p.goals[0] = "improve communication at home";
    p.goals[1] = "";
    ASSERT_FIELD(f.st, psy_records_plan_add(f.st, f.pr, &p, NULL), PSY_EINVAL, "review_date");
    snprintf(p.review_date, sizeof p.review_date, "2024-06-01");
    ASSERT_FIELD(f.st, psy_records_plan_add(f.st, f.pr, &p, NULL), PSY_EINVAL, "goals[1]");
    p.goals[1] = "reduce arguments to one a week";
    p.modalities = 0;
    ASSERT_FIELD(f.st, psy_records_plan_add(f.st, f.pr, &p, NULL), PSY_EINVAL, "modalities");
    p.modalities = PSY_MOD_FAMILY;
    p.n_dx = 0;
    ASSERT_FIELD(f.st, psy_records_plan_add(f.st, f.pr, &p, NULL), PSY_EINVAL, "dx");
    p.n_dx = 1;
    psy_id id;
    assert_int_equal(psy_records_plan_add(f.st, f.pr, &p, &id), PSY_OK);
    struct psy_plan got;
    assert_int_equal(psy_records_plan_get(f.st, f.pr, id, &got), PSY_OK);
    assert_int_equal(got.n_goals, 2);
    assert_string_equal(got.goals[1], "reduce arguments to one a week");
    assert_string_equal(got.clinician_signed_at, "");
    /* a draft plan may change */
    got.session_minutes = 60;
    assert_int_equal(psy_records_plan_update(f.st, f.pr, &got), PSY_OK);
    psy_plan_clear(&got);
    /* only its clinician signs it; then it is frozen */
    ASSERT_FIELD(f.st, psy_records_plan_sign(f.st, f.pr, id, 'c', f.clin, ""), PSY_EPERM, "clinician");
    assert_int_equal(psy_records_plan_sign(f.st, f.pr, id, 'c', f.co, "2024-03-01T17:00:00+00:00"), PSY_OK);
    ASSERT_FIELD(f.st, psy_records_plan_sign(f.st, f.pr, id, 'c', f.co, ""), PSY_ECONFLICT, "clinician_signed_at");
    assert_int_equal(psy_records_plan_sign(f.st, f.pr, id, 'p', 0, ""), PSY_OK);
    assert_int_equal(psy_records_plan_get(f.st, f.pr, id, &got), PSY_OK);
    assert_string_equal(got.clinician_signed_at, "2024-03-01T17:00:00Z");
    assert_int_equal(got.session_minutes, 60);
    assert_true(*got.client_signed_at);
    ASSERT_FIELD(f.st, psy_records_plan_update(f.st, f.pr, &got), PSY_EPERM, "plan");
    psy_plan_clear(&got);
    ASSERT_FIELD(f.st, psy_records_plan_close(f.st, f.pr, id, "2024-01-01"), PSY_EINVAL, "end_date");
    assert_int_equal(psy_records_plan_close(f.st, f.pr, id, "2024-09-30"), PSY_OK);
    struct psy_history *h;
    size_t nh;
    assert_int_equal(psy_records_history(f.st, f.pr, "treatment_plan", id, &h, &nh), PSY_OK);
    assert_int_equal(nh, 5);
    const char *actions[] = {"create", "update", "sign", "sign", "close"};
    for (size_t i = 0; i < nh; i++) {
        assert_string_equal(h[i].action, actions[i]);
        assert_int_equal(h[i].version, (int)i + 1);
    }
    assert_int_equal(h[2].actor_id, f.co);
    psy_history_free(h, nh);
    fx_close(&f);
}

static void test_sessions_and_attendance(void **state)
{
    struct fx f;
    fx_open_on(&f, FX_SERVER(state));
    struct psy_session s;
    memset(&s, 0, sizeof s);
    snprintf(s.kind, sizeof s.kind, "individual");
    s.client_id = f.client[0];
    s.clinician_id = f.clin;
    snprintf(s.service_date, sizeof s.service_date, "2024-03-05");
    snprintf(s.start_utc, sizeof s.start_utc, "2024-03-05T16:00:00Z");
    snprintf(s.stop_utc, sizeof s.stop_utc, "2024-03-05T15:00:00Z");
    snprintf(s.pos, sizeof s.pos, "11");
    ASSERT_FIELD(f.st, psy_records_session_add(f.st, f.pr, &s, NULL), PSY_EINVAL, "stop_utc");
    snprintf(s.stop_utc, sizeof s.stop_utc, "2024-03-05T16:53:00Z");
    snprintf(s.start_utc, sizeof s.start_utc, "2024-03-09T16:00:00Z");
    ASSERT_FIELD(f.st, psy_records_session_add(f.st, f.pr, &s, NULL), PSY_EINVAL, "start_utc");
    snprintf(s.start_utc, sizeof s.start_utc, "2024-03-05T10:00:00-06:00");
    snprintf(s.pos, sizeof s.pos, "77");
    ASSERT_FIELD(f.st, psy_records_session_add(f.st, f.pr, &s, NULL), PSY_EINVAL, "pos");
    snprintf(s.pos, sizeof s.pos, "11");
    snprintf(s.th_modality, sizeof s.th_modality, "video");
    ASSERT_FIELD(f.st, psy_records_session_add(f.st, f.pr, &s, NULL), PSY_EINVAL, "th_modality");
    s.telehealth = 1;
    snprintf(s.th_modality, sizeof s.th_modality, "fax");
    ASSERT_FIELD(f.st, psy_records_session_add(f.st, f.pr, &s, NULL), PSY_EINVAL, "th_modality");
    s.telehealth = 0;
    s.th_modality[0] = 0;
    s.group_id = f.group;
    ASSERT_FIELD(f.st, psy_records_session_add(f.st, f.pr, &s, NULL), PSY_EINVAL, "group_id");
    s.group_id = 0;
    s.clinician_id = 999;
    ASSERT_FIELD(f.st, psy_records_session_add(f.st, f.pr, &s, NULL), PSY_EINVAL, "clinician_id");
    s.clinician_id = f.clin;
    snprintf(s.billed_code, sizeof s.billed_code, "99999");
    ASSERT_FIELD(f.st, psy_records_session_add(f.st, f.pr, &s, NULL), PSY_EINVAL, "billed_code");
    snprintf(s.billed_code, sizeof s.billed_code, "90837");

    /* the date window: not after today in the practice's time zone (the fixture's is America/Chicago),
     * not before 2000-01-01, not before the client's birth */
    char today[PSY_DATE_MAX], tomorrow[PSY_DATE_MAX];
    psy_date_today("America/Chicago", today);
    psy_date_add(today, 1, tomorrow);
    snprintf(s.service_date, sizeof s.service_date, "%s", tomorrow);
    ASSERT_FIELD(f.st, psy_records_session_add(f.st, f.pr, &s, NULL), PSY_EINVAL, "service_date");
    assert_non_null(strstr(psy_store_errmsg(f.st), "in the future"));
    snprintf(s.service_date, sizeof s.service_date, "2031-06-02");
    ASSERT_FIELD(f.st, psy_records_session_add(f.st, f.pr, &s, NULL), PSY_EINVAL, "service_date");
    snprintf(s.service_date, sizeof s.service_date, "1999-12-31");
    ASSERT_FIELD(f.st, psy_records_session_add(f.st, f.pr, &s, NULL), PSY_EINVAL, "service_date");
    snprintf(s.service_date, sizeof s.service_date, "1900-01-01");
    ASSERT_FIELD(f.st, psy_records_session_add(f.st, f.pr, &s, NULL), PSY_EINVAL, "service_date");
    struct psy_client young;
    assert_int_equal(psy_records_client_get(f.st, f.pr, f.client[0], &young), PSY_OK);
    char born[PSY_DATE_MAX];
    snprintf(born, sizeof born, "%s", young.birth_date);
    snprintf(young.birth_date, sizeof young.birth_date, "2024-03-06"); /* born the day after the session */
    assert_int_equal(psy_records_client_update(f.st, f.pr, &young), PSY_OK);
    snprintf(s.service_date, sizeof s.service_date, "2024-03-05");
    ASSERT_FIELD(f.st, psy_records_session_add(f.st, f.pr, &s, NULL), PSY_EINVAL, "service_date");
    assert_non_null(strstr(psy_store_errmsg(f.st), "birth"));
    assert_int_equal(psy_records_client_get(f.st, f.pr, f.client[0], &young), PSY_OK);
    snprintf(young.birth_date, sizeof young.birth_date, "%s", born);
    assert_int_equal(psy_records_client_update(f.st, f.pr, &young), PSY_OK);
    assert_int_equal(fx_db_count(&f.db, "SELECT COUNT(*) FROM session"), 0);
    psy_id sid;
    assert_int_equal(psy_records_session_add(f.st, f.pr, &s, &sid), PSY_OK);
    struct psy_session got;
    assert_int_equal(psy_records_session_get(f.st, f.pr, sid, &got), PSY_OK);
    assert_string_equal(got.start_utc, "2024-03-05T16:00:00Z");
    assert_int_equal(psy_records_session_minutes(&got), 53);
    got.minutes = 55; /* an explicit total wins */
    assert_int_equal(psy_records_session_update(f.st, f.pr, &got), PSY_OK);
    assert_int_equal(psy_records_session_get(f.st, f.pr, sid, &got), PSY_OK);
    assert_int_equal(psy_records_session_minutes(&got), 55);
    got.client_id = f.client[1];
    ASSERT_FIELD(f.st, psy_records_session_update(f.st, f.pr, &got), PSY_EINVAL, "kind");

    /* attendance is for group sessions, and minutes must fit */
    struct psy_attendance a;
    memset(&a, 0, sizeof a);
    a.session_id = sid;
    a.client_id = f.client[0];
    a.present = 1;
    ASSERT_FIELD(f.st, psy_records_attendance_set(f.st, f.pr, &a, NULL), PSY_EINVAL, "session_id");
    memset(&s, 0, sizeof s);
    snprintf(s.kind, sizeof s.kind, "group");
    s.group_id = f.group;
    s.clinician_id = f.clin;
    snprintf(s.service_date, sizeof s.service_date, "2024-03-06");
    snprintf(s.start_utc, sizeof s.start_utc, "2024-03-07T00:00:00Z");
    snprintf(s.stop_utc, sizeof s.stop_utc, "2024-03-07T01:30:00Z");
    snprintf(s.pos, sizeof s.pos, "11");
    psy_id gid;
    assert_int_equal(psy_records_session_add(f.st, f.pr, &s, &gid), PSY_OK);
    a.session_id = gid;
    a.late_minutes = 90;
    ASSERT_FIELD(f.st, psy_records_attendance_set(f.st, f.pr, &a, NULL), PSY_EINVAL, "late_minutes");
    a.present = 0;
    a.late_minutes = 10;
    ASSERT_FIELD(f.st, psy_records_attendance_set(f.st, f.pr, &a, NULL), PSY_EINVAL, "late_minutes");
    a.present = 1;
    a.policy_id = 12345;
    ASSERT_FIELD(f.st, psy_records_attendance_set(f.st, f.pr, &a, NULL), PSY_EINVAL, "policy_id");
    a.policy_id = 0;
    {
        /* a member born after the group session's date */
        struct psy_client c;
        assert_int_equal(psy_records_client_get(f.st, f.pr, f.client[0], &c), PSY_OK);
        snprintf(born, sizeof born, "%s", c.birth_date);
        snprintf(c.birth_date, sizeof c.birth_date, "2024-03-07");
        assert_int_equal(psy_records_client_update(f.st, f.pr, &c), PSY_OK);
        ASSERT_FIELD(f.st, psy_records_attendance_set(f.st, f.pr, &a, NULL), PSY_EINVAL, "client_id");
        assert_int_equal(psy_records_client_get(f.st, f.pr, f.client[0], &c), PSY_OK);
        snprintf(c.birth_date, sizeof c.birth_date, "%s", born);
        assert_int_equal(psy_records_client_update(f.st, f.pr, &c), PSY_OK);
    }
    assert_int_equal(psy_records_attendance_set(f.st, f.pr, &a, NULL), PSY_OK);
    a.late_minutes = 5; /* setting again replaces */
    assert_int_equal(psy_records_attendance_set(f.st, f.pr, &a, NULL), PSY_OK);
    struct psy_attendance *list;
    size_t n;
    assert_int_equal(psy_records_attendance_list(f.st, f.pr, gid, &list, &n), PSY_OK);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].late_minutes, 5);
    assert_int_equal(list[0].version, 2);
    free(list);

    struct psy_session *ss;
    assert_int_equal(psy_records_session_list(f.st, f.pr, "2024-03-06", "", &ss, &n), PSY_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ss[0].id, gid);
    free(ss);
    psy_id *roster;
    assert_int_equal(psy_records_group_roster(f.st, f.pr, f.group, "2024-03-06", &roster, &n), PSY_OK);
    assert_int_equal(n, 4);
    free(roster);
    assert_int_equal(psy_records_group_leave(f.st, f.pr, f.group, f.client[3], "2024-03-01"), PSY_OK);
    assert_int_equal(psy_records_group_roster(f.st, f.pr, f.group, "2024-03-06", &roster, &n), PSY_OK);
    assert_int_equal(n, 3);
    free(roster);
    ASSERT_FIELD(f.st, psy_records_group_join(f.st, f.pr, f.group, f.client[0], "2024-03-01"), PSY_ECONFLICT, "client_id");
    fx_close(&f);
}

static void test_notes_sign_lock_addendum(void **state)
{
    struct fx f;
    fx_open_on(&f, FX_SERVER(state));
    psy_id present[] = {f.client[0], f.client[1]};
    psy_id sid = fx_group(&f, "2024-04-03", present, 2, 0);
    struct psy_note *notes;
    size_t nn;
    assert_int_equal(psy_records_note_list(f.st, f.pr, sid, &notes, &nn), PSY_OK);
    assert_int_equal(nn, 3);
    assert_string_equal(notes[0].kind, "group");
    psy_id group_note = notes[0].id, member_note = notes[1].id;
    for (size_t i = 0; i < nn; i++) psy_note_clear(&notes[i]);
    free(notes);

    /* new notes must fit the session: no member note for an absent member, one group note only */
    struct psy_note n;
    memset(&n, 0, sizeof n);
    n.session_id = sid;
    n.client_id = f.client[2];
    snprintf(n.kind, sizeof n.kind, "member");
    n.author_id = f.clin;
    n.participation = "attended";
    ASSERT_FIELD(f.st, psy_records_note_save(f.st, f.pr, &n, NULL), PSY_EINVAL, "client_id");
    n.client_id = f.client[0];
    assert_int_equal(psy_records_note_save(f.st, f.pr, &n, NULL), PSY_EDB); /* one member note each */
    n.client_id = f.client[2];
    snprintf(n.kind, sizeof n.kind, "individual");
    ASSERT_FIELD(f.st, psy_records_note_save(f.st, f.pr, &n, NULL), PSY_EINVAL, "kind");
    snprintf(n.kind, sizeof n.kind, "member");
    n.client_id = f.client[1];
    n.author_id = f.other_clin;
    ASSERT_FIELD(f.st, psy_records_note_save(f.st, f.pr, &n, NULL), PSY_EPERM, "clinician");

    /* a draft changes freely; parts that do not belong to the kind are refused */
    struct psy_note d;
    assert_int_equal(psy_records_note_get(f.st, f.pr, member_note, &d), PSY_OK);
    free(d.progress);
    d.progress = strdup("");
    assert_int_equal(psy_records_note_save(f.st, f.pr, &d, NULL), PSY_OK);
    d.version++;
    free(d.theme);
    d.theme = strdup("not for members");
    ASSERT_FIELD(f.st, psy_records_note_save(f.st, f.pr, &d, NULL), PSY_EINVAL, "theme");
    psy_note_clear(&d);
    /* signing needs every part */
    ASSERT_FIELD(f.st, psy_records_note_sign(f.st, f.pr, member_note, f.clin), PSY_EINVAL, "progress");
    assert_int_equal(psy_records_note_get(f.st, f.pr, member_note, &d), PSY_OK);
    free(d.progress);
    d.progress = strdup("Worry log kept on five days; goal partly met.");
    assert_int_equal(psy_records_note_save(f.st, f.pr, &d, NULL), PSY_OK);
    ASSERT_FIELD(f.st, psy_records_note_sign(f.st, f.pr, member_note, f.other_clin), PSY_EPERM, "clinician");
    assert_int_equal(psy_records_note_sign(f.st, f.pr, member_note, f.co), PSY_OK); /* the co-therapist may */
    ASSERT_FIELD(f.st, psy_records_note_sign(f.st, f.pr, member_note, f.co), PSY_ECONFLICT, "note");

    /* signed: locked in the library and in the database */
    psy_note_clear(&d);
    assert_int_equal(psy_records_note_get(f.st, f.pr, member_note, &d), PSY_OK);
    assert_string_equal(d.status, "signed");
    assert_int_equal(d.signed_by, f.co);
    ASSERT_FIELD(f.st, psy_records_note_save(f.st, f.pr, &d, NULL), PSY_EPERM, "note");
    psy_note_clear(&d);
    psy_store *raw = fx_db_connect(&f.db);
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE note SET plan = 'edited' WHERE id = %lld", (long long)member_note);
    assert_int_not_equal(psy__sql_exec(raw, sql), PSY_OK);
    psy_store_close(raw);
    struct psy_attendance a;
    memset(&a, 0, sizeof a);
    a.session_id = sid;
    a.client_id = f.client[0];
    a.present = 0;
    ASSERT_FIELD(f.st, psy_records_attendance_set(f.st, f.pr, &a, NULL), PSY_EINVAL, "present");

    /* addenda: only on signed notes */
    ASSERT_FIELD(f.st, psy_records_note_addendum(f.st, f.pr, group_note, f.clin, "late entry", NULL), PSY_EPERM, "note");
    ASSERT_FIELD(f.st, psy_records_note_addendum(f.st, f.pr, member_note, f.clin, "", NULL), PSY_EINVAL, "text");
    psy_id add;
    assert_int_equal(psy_records_note_addendum(f.st, f.pr, member_note, f.clin, "Correction: the log covered six days.", &add),
                     PSY_OK);
    struct psy_addendum *ad;
    size_t nad;
    assert_int_equal(psy_records_addenda(f.st, f.pr, member_note, &ad, &nad), PSY_OK);
    assert_int_equal(nad, 1);
    assert_string_equal(ad[0].text, "Correction: the log covered six days.");
    assert_int_equal(ad[0].author_id, f.clin);
    psy_addenda_free(ad, nad);

    /* the history: create, update, update, sign, addendum */
    struct psy_history *h;
    size_t nh;
    assert_int_equal(psy_records_history(f.st, f.pr, "note", member_note, &h, &nh), PSY_OK);
    assert_int_equal(nh, 5);
    const char *actions[] = {"create", "update", "update", "sign", "addendum"};
    for (size_t i = 0; i < nh; i++) assert_string_equal(h[i].action, actions[i]);
    json_t *prev = json_loads(h[3].previous, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(prev, "status")), "draft");
    json_decref(prev);
    prev = json_loads(h[2].previous, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(prev, "progress")), "");
    json_decref(prev);
    assert_int_equal(h[3].actor_id, f.co);
    psy_history_free(h, nh);

    /* the session signs only when every note it owes is signed */
    ASSERT_FIELD(f.st, psy_records_session_sign(f.st, f.pr, sid, f.clin), PSY_EINVAL, "notes");
    struct psy_billable *b;
    size_t nb;
    ASSERT_FIELD(f.st, psy_records_session_billables(f.st, f.pr, sid, &b, &nb), PSY_EPERM, "session");
    assert_int_equal(psy_records_note_list(f.st, f.pr, sid, &notes, &nn), PSY_OK);
    for (size_t i = 0; i < nn; i++) {
        if (strcmp(notes[i].status, "signed")) assert_int_equal(psy_records_note_sign(f.st, f.pr, notes[i].id, f.clin), PSY_OK);
        psy_note_clear(&notes[i]);
    }
    free(notes);
    assert_int_equal(psy_records_session_sign(f.st, f.pr, sid, f.clin), PSY_OK);
    a.present = 1;
    ASSERT_FIELD(f.st, psy_records_attendance_set(f.st, f.pr, &a, NULL), PSY_EPERM, "attendance");
    struct psy_session s;
    assert_int_equal(psy_records_session_get(f.st, f.pr, sid, &s), PSY_OK);
    ASSERT_FIELD(f.st, psy_records_session_update(f.st, f.pr, &s), PSY_EPERM, "session");
    /* what was billed may still be recorded */
    assert_int_equal(psy_records_billed_set(f.st, f.pr, sid, f.client[1], "90853"), PSY_OK);
    ASSERT_FIELD(f.st, psy_records_billed_set(f.st, f.pr, sid, f.client[1], "123"), PSY_EINVAL, "code");

    /* the coding engine's input: one line per present member, on that member's insurance */
    assert_int_equal(psy_records_session_billables(f.st, f.pr, sid, &b, &nb), PSY_OK);
    assert_int_equal(nb, 2);
    assert_int_equal(b[0].client_id, f.client[0]);
    assert_int_equal(b[0].participants, 2);
    assert_int_equal(b[0].minutes, 90);
    assert_int_equal(b[0].payer_id, f.commercial);
    assert_string_equal(b[0].payer_code, "FXCOM");
    assert_string_equal(b[0].member_id, "MBR0");
    assert_string_equal(b[0].dx[0], "F41.1");
    assert_string_equal(b[0].kind, "group");
    assert_string_equal(b[1].billed_code, "90853");
    assert_true(psy_records_npi_valid(b[0].rendering_npi));
    free(b);
    fx_close(&f);
}

static void test_batches_and_tenancy(void **state)
{
    struct fx f;
    fx_open_on(&f, FX_SERVER(state));
    struct psy_client c;
    assert_int_equal(psy_records_client_get(f.st, f.pr, f.client[0], &c), PSY_OK);
    long before = fx_db_count(&f.db, "SELECT COUNT(*) FROM client");
    /* a failed write inside a batch undoes only itself */
    assert_int_equal(psy_records_batch_begin(f.st), PSY_OK);
    assert_int_equal(psy_records_client_add(f.st, f.pr, &c, NULL), PSY_OK);
    struct psy_client bad = c;
    bad.sex[0] = 'Q';
    assert_int_equal(psy_records_client_add(f.st, f.pr, &bad, NULL), PSY_EINVAL);
    assert_int_equal(psy_records_client_add(f.st, f.pr, &c, NULL), PSY_OK);
    assert_int_equal(fx_db_count(&f.db, "SELECT COUNT(*) FROM client"), before); /* not visible before the end */
    assert_int_equal(psy_records_batch_end(f.st, 1), PSY_OK);
    assert_int_equal(fx_db_count(&f.db, "SELECT COUNT(*) FROM client"), before + 2);
    assert_int_equal(psy_records_batch_begin(f.st), PSY_OK);
    assert_int_equal(psy_records_client_add(f.st, f.pr, &c, NULL), PSY_OK);
    assert_int_equal(psy_records_batch_end(f.st, 0), PSY_OK);
    assert_int_equal(fx_db_count(&f.db, "SELECT COUNT(*) FROM client"), before + 2);
    assert_int_equal(psy_records_batch_end(f.st, 1), PSY_EINVAL);

    /* a second practice sees none of the first one's records */
    struct psy_practice p;
    assert_int_equal(psy_records_practice_get(f.st, f.pr, &p), PSY_OK);
    psy_id other;
    assert_int_equal(psy_records_practice_add(f.st, &p, &other), PSY_OK);
    assert_int_equal(psy_records_client_get(f.st, other, f.client[0], &c), PSY_ENOTFOUND);
    struct psy_plan pl;
    assert_int_equal(psy_records_plan_get(f.st, other, f.plan[0], &pl), PSY_ENOTFOUND);
    struct psy_policy pol;
    fx_policy_init(&pol, f.client[0], f.commercial, "X1", 2);
    ASSERT_FIELD(f.st, psy_records_policy_add(f.st, other, &pol, NULL), PSY_EINVAL, "client_id");
    ASSERT_FIELD(f.st, psy_records_client_add(f.st, 4242, &c, NULL), PSY_EINVAL, "practice");
    psy_id *ids;
    size_t n;
    assert_int_equal(psy_records_practice_list(f.st, &ids, &n), PSY_OK);
    assert_int_equal(n, 2);
    free(ids);
    if (!f.db.server) /* PostgreSQL checks every reference as it is written */
        assert_int_equal(fx_db_count(&f.db, "PRAGMA foreign_key_check"), -1); /* no dangling reference */
    fx_close(&f);
}


/* One writer of a race: its own connection updates the session it loaded at version v. */
struct racer {
    const struct fx_db *db;
    psy_id practice;
    struct psy_session s;
    psy_status rc;
    char err[300];
};

static void *race_update(void *arg)
{
    struct racer *r = arg;
    psy_store *st = fx_db_connect(r->db);
    r->rc = psy_records_session_update(st, r->practice, &r->s);
    snprintf(r->err, sizeof r->err, "%s", psy_store_errmsg(st));
    psy_store_close(st);
    return NULL;
}

/* Whether another connection waits for a lock (PostgreSQL) -- the racer has read and is blocked. */
static int someone_waits(const struct fx_db *d)
{
    return fx_db_count(d, "SELECT COUNT(*) FROM pg_locks WHERE NOT granted") > 0;
}

static void test_versions_across_connections(void **state)
{
    struct fx f;
    fx_open_on(&f, FX_SERVER(state));
    psy_id sid = fx_individual(&f, f.client[0], "2024-03-04", 53, "90837", 0);
    struct psy_session s;
    assert_int_equal(psy_records_session_get(f.st, f.pr, sid, &s), PSY_OK);
    int v = s.version;

    /* sequential: two handles load version v; the first update wins, the second is told it is stale */
    psy_store *a = fx_db_connect(&f.db), *b = fx_db_connect(&f.db);
    struct psy_session sa, sb;
    assert_int_equal(psy_records_session_get(a, f.pr, sid, &sa), PSY_OK);
    assert_int_equal(psy_records_session_get(b, f.pr, sid, &sb), PSY_OK);
    assert_int_equal(sa.version, v);
    assert_int_equal(sb.version, v);
    sa.minutes = 50;
    sb.minutes = 40;
    assert_int_equal(psy_records_session_update(a, f.pr, &sa), PSY_OK);
    ASSERT_FIELD(b, psy_records_session_update(b, f.pr, &sb), PSY_ECONFLICT, "version");

    /* racing: a holds its update uncommitted while b's update starts from the same version; whichever
     * order the database lets them through, exactly one of them changes the row */
    assert_int_equal(psy_records_session_get(a, f.pr, sid, &sa), PSY_OK);
    v = sa.version;
    struct racer r = {&f.db, f.pr, sa, PSY_OK, ""};
    r.s.minutes = 30;
    sa.minutes = 35;
    assert_int_equal(psy_records_batch_begin(a), PSY_OK);
    assert_int_equal(psy_records_session_update(a, f.pr, &sa), PSY_OK);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, race_update, &r), 0);
    if (f.db.server) /* let the racer read version v and block on the row before a commits */
        for (int i = 0; i < 3000 && !someone_waits(&f.db); i++) usleep(10000);
    assert_int_equal(psy_records_batch_end(a, 1), PSY_OK);
    assert_int_equal(pthread_join(t, NULL), 0);
    if (r.rc != PSY_ECONFLICT || strncmp(r.err, "version:", 8) != 0)
        fail_msg("the second writer got %s: %s", psy_strerror(r.rc), r.err);
    /* on PostgreSQL the racer read version v before a committed: only the versioned UPDATE itself can
     * have caught it (on SQLite, BEGIN IMMEDIATE made it wait before reading) */
    if (f.db.server && !strstr(r.err, "is gone")) fail_msg("the stale write was not caught by its UPDATE: %s", r.err);
    assert_int_equal(psy_records_session_get(f.st, f.pr, sid, &s), PSY_OK);
    assert_int_equal(s.version, v + 1);
    assert_int_equal(s.minutes, 35);
    struct psy_history *h;
    size_t nh;
    assert_int_equal(psy_records_history(f.st, f.pr, "session", sid, &h, &nh), PSY_OK);
    size_t updates = 0;
    for (size_t i = 0; i < nh; i++) updates += !strcmp(h[i].action, "update");
    assert_int_equal(updates, 2); /* one per winning write, none for the losers */
    psy_history_free(h, nh);

    /* a note saved from two connections at the same version: one draft wins */
    struct psy_note *notes;
    size_t nn;
    assert_int_equal(psy_records_note_list(f.st, f.pr, sid, &notes, &nn), PSY_OK);
    assert_int_equal(nn, 1);
    struct psy_note na = notes[0], nb = notes[0];
    char t1[] = "first edit of the plan", t2[] = "second edit of the plan";
    na.plan = t1;
    nb.plan = t2;
    assert_int_equal(psy_records_note_save(a, f.pr, &na, NULL), PSY_OK);
    ASSERT_FIELD(b, psy_records_note_save(b, f.pr, &nb, NULL), PSY_ECONFLICT, "version");
    for (size_t i = 0; i < nn; i++) psy_note_clear(&notes[i]);
    free(notes);
    psy_store_close(a);
    psy_store_close(b);
    fx_close(&f);
}

static void test_demo_generator(void **state)
{
    struct fx_db d1, d2;
    fx_db_open(&d1, FX_SERVER(state));
    fx_db_open(&d2, FX_SERVER(state));
    psy_store *a = d1.st, *b = d2.st;
    struct psy_demo_opts o = {7, "2025-03-31", 0, 0, 0, 0};
    struct psy_demo_result ra, rb;
    assert_int_equal(psy_records_demo(a, &o, &ra), PSY_OK);
    assert_int_equal(psy_records_demo(b, &o, &rb), PSY_OK);
    assert_int_equal(ra.clients, 60);
    assert_int_equal(ra.groups, 4);
    assert_true(ra.clinicians >= 3);
    assert_true(ra.sessions > 300);
    assert_int_equal(ra.sessions, rb.sessions);
    assert_int_equal(ra.notes, rb.notes);
    assert_int_equal(ra.n_problems, rb.n_problems);
    assert_true(ra.n_problems >= 10);
    for (size_t i = 0; i < ra.n_problems; i++) {
        assert_string_equal(ra.problems[i].rule, rb.problems[i].rule);
        assert_int_equal(ra.problems[i].record_id, rb.problems[i].record_id);
    }
    assert_int_equal(fx_db_count(&d1, "SELECT COUNT(*) FROM session WHERE service_date < '2024-12-30' OR service_date > '2025-03-31'"), 0);
    assert_int_equal(fx_db_count(&d1, "SELECT COUNT(*) FROM therapy_group"), 4);
    assert_int_equal(fx_db_count(&d1, "SELECT COUNT(*) FROM note WHERE status = 'signed'"), ra.notes - fx_db_count(&d1,
                     "SELECT COUNT(*) FROM note WHERE status = 'draft'"));
    /* too few clients for the planted problems is refused, naming the field */
    struct psy_demo_opts small = {1, "2025-03-31", 0, 20, 0, 0};
    free(rb.problems);
    ASSERT_FIELD(a, psy_records_demo(a, &small, &rb), PSY_EINVAL, "clients");
    assert_null(rb.problems);
    free(ra.problems);
    fx_db_close(&d1);
    fx_db_close(&d2);
}

/* A group's attendance in one query (psy_records_group_attendance) is the same as reading each session of
 * the group, its attendance, and each member's primary policy in force that day (psy_records_policy_on),
 * including a policy that starts after some of the sessions, one that ended before others, and no
 * policy in force at all. */
static void test_group_attendance(void **state)
{
    struct fx_db d;
    fx_db_open(&d, FX_SERVER(state));
    struct psy_demo_opts o = {7, "2025-03-31", 0, 0, 0, 0};
    struct psy_demo_result rd;
    assert_int_equal(psy_records_demo(d.st, &o, &rd), PSY_OK);
    free(rd.problems);
    psy_id pr = rd.practice_id;
    char msg[300];
    /* members of the first group: one's policy starts mid-period, one's ended, one has none */
    assert_int_equal(test_db_exec(&d.t, "UPDATE policy SET start_date = '2025-02-15' WHERE id = (SELECT min(p.id) FROM policy p "
                                    "JOIN group_member m ON m.client_id = p.client_id WHERE m.group_id = (SELECT min(id) "
                                    "FROM therapy_group) AND p.priority = 1)", msg, sizeof msg), PSY_OK);
    assert_int_equal(test_db_exec(&d.t, "UPDATE policy SET end_date = '2025-01-20' WHERE id = (SELECT max(p.id) FROM policy p "
                                    "JOIN group_member m ON m.client_id = p.client_id WHERE m.group_id = (SELECT min(id) "
                                    "FROM therapy_group) AND p.priority = 1)", msg, sizeof msg), PSY_OK);
    assert_int_equal(test_db_exec(&d.t, "UPDATE policy SET start_date = '2020-01-01', end_date = '2020-12-31' WHERE "
                                    "priority = 1 AND client_id = (SELECT min(m.client_id) FROM group_member m WHERE "
                                    "m.group_id = (SELECT max(id) FROM therapy_group))", msg, sizeof msg), PSY_OK);
    psy_id *gids;
    size_t ng, rows = 0, absent = 0, none = 0;
    assert_int_equal(psy_records_group_list(d.st, pr, 0, &gids, &ng), PSY_OK);
    assert_true(ng >= 2);
    for (size_t i = 0; i < ng; i++) {
        struct psy_group_attendance *a;
        size_t na, at = 0;
        assert_int_equal(psy_records_group_attendance(d.st, pr, gids[i], &a, &na), PSY_OK);
        psy_id *sids;
        size_t ns;
        assert_int_equal(psy_records_group_sessions(d.st, pr, gids[i], &sids, &ns), PSY_OK);
        for (size_t k = 0; k < ns; k++) {
            struct psy_session s;
            struct psy_attendance *m;
            size_t nm;
            assert_int_equal(psy_records_session_get(d.st, pr, sids[k], &s), PSY_OK);
            assert_int_equal(psy_records_attendance_list(d.st, pr, s.id, &m, &nm), PSY_OK);
            for (size_t j = 0; j < nm; j++, at++) {
                assert_true(at < na);
                assert_int_equal(a[at].session_id, s.id);
                assert_int_equal(a[at].client_id, m[j].client_id);
                assert_string_equal(a[at].service_date, s.service_date);
                assert_int_equal(a[at].present, m[j].present);
                struct psy_policy p;
                psy_id payer = psy_records_policy_on(d.st, pr, m[j].client_id, s.service_date, 1, &p) == PSY_OK ? p.payer_id : 0;
                assert_int_equal(a[at].payer_id, payer);
                absent += !m[j].present;
                none += !payer;
            }
            free(m);
        }
        assert_int_equal(at, na);
        rows += na;
        free(sids);
        free(a);
    }
    assert_true(rows > 100);
    assert_true(absent > 0);
    assert_true(none > 0);
    /* a group of another practice, or none, gives nothing */
    struct psy_group_attendance *a;
    size_t na;
    assert_int_equal(psy_records_group_attendance(d.st, pr + 1000, gids[0], &a, &na), PSY_OK);
    assert_int_equal(na, 0);
    free(a);
    free(gids);
    fx_db_close(&d);
}

/* The fields a practice enters from its first day (migration 0009) and the updates that came with
 * them: licence and supervisor, payer profile/address/filing limit, client contact and discharge,
 * diagnosis add/remove/move, policy, authorisation and group updates, plan lists, rosters. */
static void test_first_day_fields(void **state)
{
    struct fx f;
    fx_open_on(&f, FX_SERVER(state));

    /* clinicians: licence number and state go together; the supervisor is an active clinician of
     * this practice and not the clinician */
    struct psy_clinician c;
    assert_int_equal(psy_records_clinician_get(f.st, f.pr, f.co, &c), PSY_OK);
    assert_string_equal(c.licence_number, "");
    assert_int_equal(c.supervisor_id, 0);
    snprintf(c.licence_number, sizeof c.licence_number, "LCSW-12345");
    ASSERT_FIELD(f.st, psy_records_clinician_update(f.st, f.pr, &c), PSY_EINVAL, "licence_state");
    snprintf(c.licence_state, sizeof c.licence_state, "il");
    ASSERT_FIELD(f.st, psy_records_clinician_update(f.st, f.pr, &c), PSY_EINVAL, "licence_state");
    snprintf(c.licence_state, sizeof c.licence_state, "IL");
    c.supervisor_id = f.co;
    ASSERT_FIELD(f.st, psy_records_clinician_update(f.st, f.pr, &c), PSY_EINVAL, "supervisor_id");
    c.supervisor_id = 999999;
    ASSERT_FIELD(f.st, psy_records_clinician_update(f.st, f.pr, &c), PSY_EINVAL, "supervisor_id");
    c.supervisor_id = f.clin;
    assert_int_equal(psy_records_clinician_update(f.st, f.pr, &c), PSY_OK);
    struct psy_clinician got;
    assert_int_equal(psy_records_clinician_get(f.st, f.pr, f.co, &got), PSY_OK);
    assert_string_equal(got.licence_number, "LCSW-12345");
    assert_string_equal(got.licence_state, "IL");
    assert_int_equal(got.supervisor_id, f.clin);
    assert_int_equal(got.version, 2);
    /* a stale edit is refused and the current version stays readable */
    ASSERT_FIELD(f.st, psy_records_clinician_update(f.st, f.pr, &c), PSY_ECONFLICT, "version");
    assert_non_null(strstr(psy_store_errmsg(f.st), "now version 2"));

    /* payers: profile must be a built-in profile; address; timely filing; list and find */
    struct psy_payer p;
    assert_int_equal(psy_records_payer_get(f.st, f.pr, f.commercial, &p), PSY_OK);
    assert_string_equal(psy_records_payer_profile(&p), "example-commercial");
    snprintf(p.profile, sizeof p.profile, "no-such-payer");
    ASSERT_FIELD(f.st, psy_records_payer_update(f.st, f.pr, &p), PSY_EINVAL, "profile");
    snprintf(p.profile, sizeof p.profile, "default");
    p.timely_filing_days = -1;
    ASSERT_FIELD(f.st, psy_records_payer_update(f.st, f.pr, &p), PSY_EINVAL, "timely_filing_days");
    p.timely_filing_days = 90;
    snprintf(p.zip, sizeof p.zip, "6270");
    ASSERT_FIELD(f.st, psy_records_payer_update(f.st, f.pr, &p), PSY_EINVAL, "zip");
    snprintf(p.zip, sizeof p.zip, "62701-1234");
    snprintf(p.address, sizeof p.address, "PO Box 100");
    snprintf(p.city, sizeof p.city, "Springfield");
    snprintf(p.state, sizeof p.state, "IL");
    assert_int_equal(psy_records_payer_update(f.st, f.pr, &p), PSY_OK);
    assert_int_equal(psy_records_payer_get(f.st, f.pr, f.commercial, &p), PSY_OK);
    assert_string_equal(p.zip, "627011234");
    assert_int_equal(p.timely_filing_days, 90);
    assert_string_equal(psy_records_payer_profile(&p), "default");
    struct psy_payer *payers;
    size_t np;
    assert_int_equal(psy_records_payer_list(f.st, f.pr, &payers, &np), PSY_OK);
    assert_int_equal(np, 2);
    assert_true(payers[0].id < payers[1].id);
    psy_id found = 0;
    assert_int_equal(psy_records_payer_find(f.st, f.pr, payers[1].payer_code, &found), PSY_OK);
    assert_int_equal(found, payers[1].id);
    assert_int_equal(psy_records_payer_find(f.st, f.pr, "NOSUCH", &found), PSY_ENOTFOUND);
    free(payers);

    /* clients: email, emergency contact, discharge */
    struct psy_client cl;
    assert_int_equal(psy_records_client_get(f.st, f.pr, f.client[1], &cl), PSY_OK);
    struct psy_client bad = cl;
    snprintf(bad.email, sizeof bad.email, "not-an-address");
    ASSERT_FIELD(f.st, psy_records_client_update(f.st, f.pr, &bad), PSY_EINVAL, "email");
    bad = cl;
    snprintf(bad.emergency_name, sizeof bad.emergency_name, "Rowan Fixture");
    ASSERT_FIELD(f.st, psy_records_client_update(f.st, f.pr, &bad), PSY_EINVAL, "emergency_phone");
    bad = cl;
    snprintf(bad.emergency_phone, sizeof bad.emergency_phone, "555-0100");
    ASSERT_FIELD(f.st, psy_records_client_update(f.st, f.pr, &bad), PSY_EINVAL, "emergency_name");
    bad = cl;
    snprintf(bad.discharge_date, sizeof bad.discharge_date, "2024-06-30");
    ASSERT_FIELD(f.st, psy_records_client_update(f.st, f.pr, &bad), PSY_EINVAL, "discharge_date");
    snprintf(cl.email, sizeof cl.email, "client@example.org");
    snprintf(cl.emergency_name, sizeof cl.emergency_name, "Rowan Fixture");
    snprintf(cl.emergency_phone, sizeof cl.emergency_phone, "(555) 010-0100");
    snprintf(cl.emergency_relation, sizeof cl.emergency_relation, "sibling");
    cl.active = 0;
    snprintf(cl.discharge_date, sizeof cl.discharge_date, "2024-06-30");
    assert_int_equal(psy_records_client_update(f.st, f.pr, &cl), PSY_OK);
    assert_int_equal(psy_records_client_get(f.st, f.pr, f.client[1], &cl), PSY_OK);
    assert_string_equal(cl.email, "client@example.org");
    assert_string_equal(cl.emergency_relation, "sibling");
    assert_string_equal(cl.discharge_date, "2024-06-30");
    assert_int_equal(cl.active, 0);
    psy_id dup = 0;
    char upper_first[65];
    snprintf(upper_first, sizeof upper_first, "%s", cl.first_name);
    for (char *q = upper_first; *q; q++) *q = (char)((*q >= 'a' && *q <= 'z') ? *q - 32 : *q);
    assert_int_equal(psy_records_client_find(f.st, f.pr, upper_first, cl.last_name, cl.birth_date, &dup), PSY_OK);
    assert_int_equal(dup, f.client[1]);
    assert_int_equal(psy_records_client_find(f.st, f.pr, cl.first_name, cl.last_name, "1901-01-01", &dup), PSY_ENOTFOUND);

    /* diagnoses one at a time, each version-checked: [F41.1] -> add F32.1 first -> add F43.10 last
     * -> move F43.10 to 1 -> remove F41.1 */
    int v = cl.version;
    ASSERT_FIELD(f.st, psy_records_client_dx_add(f.st, f.pr, f.client[1], v - 1, "F32.1", 1), PSY_ECONFLICT, "version");
    ASSERT_FIELD(f.st, psy_records_client_dx_add(f.st, f.pr, f.client[1], v, "F32", 1), PSY_EINVAL, "dx[0]");
    ASSERT_FIELD(f.st, psy_records_client_dx_add(f.st, f.pr, f.client[1], v, "F41.1", 0), PSY_EINVAL, "dx");
    ASSERT_FIELD(f.st, psy_records_client_dx_add(f.st, f.pr, f.client[1], v, "F32.1", 3), PSY_EINVAL, "position");
    assert_int_equal(psy_records_client_dx_add(f.st, f.pr, f.client[1], v++, "f321", 1), PSY_OK);
    assert_int_equal(psy_records_client_dx_add(f.st, f.pr, f.client[1], v++, "F43.10", 0), PSY_OK);
    ASSERT_FIELD(f.st, psy_records_client_dx_move(f.st, f.pr, f.client[1], v, "F43.10", 4), PSY_EINVAL, "position");
    assert_int_equal(psy_records_client_dx_move(f.st, f.pr, f.client[1], v++, "F43.10", 1), PSY_OK);
    ASSERT_FIELD(f.st, psy_records_client_dx_remove(f.st, f.pr, f.client[1], v, "F20.0"), PSY_EINVAL, "dx");
    assert_int_equal(psy_records_client_dx_remove(f.st, f.pr, f.client[1], v++, "F41.1"), PSY_OK);
    assert_int_equal(psy_records_client_get(f.st, f.pr, f.client[1], &cl), PSY_OK);
    assert_int_equal(cl.version, v);
    assert_int_equal(cl.n_dx, 2);
    assert_string_equal(cl.dx[0], "F43.10");
    assert_string_equal(cl.dx[1], "F32.1");

    /* policies: a version-checked update that keeps the client and the no-overlap rule */
    struct psy_policy pol;
    assert_int_equal(psy_records_policy_on(f.st, f.pr, f.client[2], "2024-06-01", 1, &pol), PSY_OK);
    struct psy_policy pb = pol;
    pb.client_id = f.client[3];
    ASSERT_FIELD(f.st, psy_records_policy_update(f.st, f.pr, &pb), PSY_EINVAL, "client_id");
    pb = pol;
    snprintf(pb.member_id, sizeof pb.member_id, "bad id!");
    ASSERT_FIELD(f.st, psy_records_policy_update(f.st, f.pr, &pb), PSY_EINVAL, "member_id");
    snprintf(pol.group_number, sizeof pol.group_number, "GRP-7");
    snprintf(pol.end_date, sizeof pol.end_date, "2024-12-31");
    assert_int_equal(psy_records_policy_update(f.st, f.pr, &pol), PSY_OK); /* overlaps only itself */
    ASSERT_FIELD(f.st, psy_records_policy_update(f.st, f.pr, &pol), PSY_ECONFLICT, "version");
    assert_int_equal(psy_records_policy_get(f.st, f.pr, pol.id, &pol), PSY_OK);
    assert_string_equal(pol.group_number, "GRP-7");
    assert_int_equal(pol.version, 2);
    struct psy_history *h;
    size_t nh;
    assert_int_equal(psy_records_history(f.st, f.pr, "policy", pol.id, &h, &nh), PSY_OK);
    assert_int_equal(nh, 2);
    assert_non_null(strstr(h[1].previous, "\"group_number\""));
    psy_history_free(h, nh);

    /* authorisations: codes replaced whole, validated, history keeps the old list */
    struct psy_authorisation a;
    assert_int_equal(psy_records_auth_get(f.st, f.pr, f.auth[2], &a), PSY_OK);
    struct psy_authorisation ab = a;
    ab.units_approved = 0;
    ASSERT_FIELD(f.st, psy_records_auth_update(f.st, f.pr, &ab), PSY_EINVAL, "units_approved");
    a.n_codes = 1;
    snprintf(a.codes[0], PSY_CODE_MAX, "90837");
    a.units_approved = 30;
    assert_int_equal(psy_records_auth_update(f.st, f.pr, &a), PSY_OK);
    assert_int_equal(psy_records_auth_get(f.st, f.pr, f.auth[2], &a), PSY_OK);
    assert_int_equal(a.n_codes, 1);
    assert_string_equal(a.codes[0], "90837");
    assert_int_equal(a.units_approved, 30);
    assert_int_equal(psy_records_history(f.st, f.pr, "authorisation", a.id, &h, &nh), PSY_OK);
    json_t *prev = json_loads(h[nh - 1].previous, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(prev, "authorisation_code")), 3);
    json_decref(prev);
    psy_history_free(h, nh);

    /* plans: problems, objectives and interventions are numbered lists like goals */
    struct psy_plan pl;
    fx_plan_init(&pl, f.client[0], f.clin, PSY_MOD_INDIVIDUAL, "2024-07-01", "2024-10-01");
    char *problems[] = {"panic attacks at work"}, *objectives[] = {"names three triggers", ""},
         *interventions[] = {"CBT, weekly", "relaxation training"};
    pl.n_problems = 1;
    memcpy(pl.problems, problems, sizeof problems);
    pl.n_objectives = 2;
    memcpy(pl.objectives, objectives, sizeof objectives);
    pl.n_interventions = 2;
    memcpy(pl.interventions, interventions, sizeof interventions);
    ASSERT_FIELD(f.st, psy_records_plan_add(f.st, f.pr, &pl, NULL), PSY_EINVAL, "objectives[1]");
    pl.n_objectives = 1;
    psy_id plan;
    assert_int_equal(psy_records_plan_add(f.st, f.pr, &pl, &plan), PSY_OK);
    struct psy_plan pg;
    assert_int_equal(psy_records_plan_get(f.st, f.pr, plan, &pg), PSY_OK);
    assert_int_equal(pg.n_problems, 1);
    assert_string_equal(pg.problems[0], "panic attacks at work");
    assert_int_equal(pg.n_objectives, 1);
    assert_int_equal(pg.n_interventions, 2);
    assert_string_equal(pg.interventions[1], "relaxation training");
    free(pg.interventions[1]);
    pg.n_interventions = 1;
    assert_int_equal(psy_records_plan_update(f.st, f.pr, &pg), PSY_OK);
    psy_plan_clear(&pg);
    assert_int_equal(psy_records_plan_get(f.st, f.pr, plan, &pg), PSY_OK);
    assert_int_equal(pg.n_interventions, 1);
    psy_plan_clear(&pg);
    assert_int_equal(fx_db_count(&f.db, "SELECT COUNT(*) FROM plan_intervention"), 1);

    /* groups: a version-checked update; capacity cannot drop below the current members; rosters */
    struct psy_group g;
    assert_int_equal(psy_records_group_get(f.st, f.pr, f.group, &g), PSY_OK);
    struct psy_group gb = g;
    gb.capacity = 3;
    ASSERT_FIELD(f.st, psy_records_group_update(f.st, f.pr, &gb), PSY_EINVAL, "capacity");
    gb = g;
    gb.co_clinician_id = gb.clinician_id;
    ASSERT_FIELD(f.st, psy_records_group_update(f.st, f.pr, &gb), PSY_EINVAL, "co_clinician_id");
    snprintf(g.schedule, sizeof g.schedule, "Thu 17:30");
    g.capacity = 6;
    assert_int_equal(psy_records_group_update(f.st, f.pr, &g), PSY_OK);
    ASSERT_FIELD(f.st, psy_records_group_update(f.st, f.pr, &g), PSY_ECONFLICT, "version");
    assert_int_equal(psy_records_group_get(f.st, f.pr, f.group, &g), PSY_OK);
    assert_string_equal(g.schedule, "Thu 17:30");
    assert_int_equal(psy_records_group_leave(f.st, f.pr, f.group, f.client[3], "2024-08-01"), PSY_OK);
    struct psy_membership *m;
    size_t nm;
    assert_int_equal(psy_records_group_members(f.st, f.pr, f.group, &m, &nm), PSY_OK);
    assert_int_equal(nm, 4);
    assert_string_equal(m[3].left, "2024-08-01");
    assert_string_equal(m[0].left, "");
    assert_true(*m[0].joined);
    free(m);
    fx_close(&f);
}

/* Note templates: the built-in ones are valid; a bad one is refused naming the field; a practice's
 * directory adds templates and replaces a built-in of the same id. */
static void test_note_templates(void **state)
{
    (void)state;
    char err[256], *out;
    assert_int_equal(psy_note_templates_json(NULL, &out, err, sizeof err), PSY_OK);
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    assert_int_equal(json_array_size(json_object_get(j, "templates")), 4);
    json_decref(j);
    static const struct { const char *json, *field; } bad[] = {
        {"{\"id\": \"x\", \"name\": \"X\", \"session_kinds\": [\"individual\"], \"notes\": {\"individual\": ["
         "{\"part\": \"techniques\", \"label\": \"A\"}, {\"part\": \"response\", \"label\": \"B\"},"
         "{\"part\": \"progress\", \"label\": \"C\"}, {\"part\": \"theme\", \"label\": \"D\"}]}}", "notes.individual[3].part"},
        {"{\"id\": \"x\", \"name\": \"X\", \"session_kinds\": [\"individual\"], \"notes\": {\"individual\": ["
         "{\"part\": \"techniques\", \"label\": \"A\"}, {\"part\": \"response\", \"label\": \"B\"},"
         "{\"part\": \"progress\", \"label\": \"C\"}, {\"part\": \"progress\", \"label\": \"D\"}]}}", "notes.individual[3].part"},
        {"{\"id\": \"Bad Id\", \"name\": \"X\", \"session_kinds\": [\"individual\"], \"notes\": {}}", "id"},
        {"{\"id\": \"x\", \"name\": \"X\", \"session_kinds\": [\"individual\", \"group\"], \"notes\": {}}", "session_kinds"},
        {"{\"id\": \"x\", \"name\": \"X\", \"session_kinds\": [\"group\"], \"notes\": {\"group\": []}}", "notes.group"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(psy_note_template_check(bad[i].json, strlen(bad[i].json), err, sizeof err), PSY_EINVAL);
        if (strncmp(err, bad[i].field, strlen(bad[i].field)) || err[strlen(bad[i].field)] != ':')
            fail_msg("template %zu: %s (wanted %s)", i, err, bad[i].field);
    }
    /* a practice's directory */
    char dir[] = "/tmp/psy-notes-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[300];
    snprintf(path, sizeof path, "%s/soap.json", dir);
    FILE *fp = fopen(path, "w");
    fputs("{\"id\": \"soap\", \"name\": \"Our SOAP\", \"session_kinds\": [\"individual\"], \"notes\": {\"individual\": ["
          "{\"part\": \"response\", \"label\": \"S\"}, {\"part\": \"techniques\", \"label\": \"O\"},"
          "{\"part\": \"progress\", \"label\": \"A\"}, {\"part\": \"plan\", \"label\": \"P\"}]}}", fp);
    fclose(fp);
    snprintf(path, sizeof path, "%s/girp.json", dir);
    fp = fopen(path, "w");
    fputs("{\"id\": \"girp\", \"name\": \"GIRP\", \"session_kinds\": [\"individual\", \"family\"], \"notes\": {\"individual\": ["
          "{\"part\": \"progress\", \"label\": \"Goals\"}, {\"part\": \"techniques\", \"label\": \"Intervention\"},"
          "{\"part\": \"response\", \"label\": \"Response\"}, {\"part\": \"plan\", \"label\": \"Plan\"}]}}", fp);
    fclose(fp);
    assert_int_equal(psy_note_templates_json(dir, &out, err, sizeof err), PSY_OK);
    j = json_loads(out, 0, NULL);
    free(out);
    json_t *ts = json_object_get(j, "templates"), *t;
    size_t i;
    assert_int_equal(json_array_size(ts), 5);
    json_array_foreach(ts, i, t) {
        const char *id = json_string_value(json_object_get(t, "id"));
        if (!strcmp(id, "soap")) assert_string_equal(json_string_value(json_object_get(t, "name")), "Our SOAP");
        if (!strcmp(id, "girp")) assert_string_equal(json_string_value(json_object_get(t, "source")), "practice");
    }
    json_decref(j);
    /* a broken file fails the whole list, naming the file and the field */
    snprintf(path, sizeof path, "%s/broken.json", dir);
    fp = fopen(path, "w");
    fputs("{\"id\": \"broken\", \"name\": \"\", \"session_kinds\": [\"individual\"], \"notes\": {}}", fp);
    fclose(fp);
    assert_int_equal(psy_note_templates_json(dir, &out, err, sizeof err), PSY_EINVAL);
    assert_non_null(strstr(err, "broken.json: name:"));
    unlink(path);
    snprintf(path, sizeof path, "%s/soap.json", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/girp.json", dir);
    unlink(path);
    rmdir(dir);
}

/* The fields an individual-type session adds for coding, and signing over errors with a kept reason. */
static void test_session_kinds_and_override(void **state)
{
    struct fx f;
    fx_open_on(&f, FX_SERVER(state));
    struct psy_session s;
    memset(&s, 0, sizeof s);
    snprintf(s.kind, sizeof s.kind, "individual");
    s.client_id = f.client[0];
    s.clinician_id = f.clin;
    snprintf(s.service_date, sizeof s.service_date, "2024-03-04");
    snprintf(s.pos, sizeof s.pos, "11");
    s.minutes = 50;
    psy_id id;
    s.patient_absent = 1;
    assert_int_equal(psy_records_session_add(f.st, f.pr, &s, &id), PSY_EINVAL);
    assert_non_null(strstr(psy_store_errmsg(f.st), "patient_absent"));
    s.patient_absent = 0;
    s.medical = 1;
    assert_int_equal(psy_records_session_add(f.st, f.pr, &s, &id), PSY_EINVAL);
    assert_non_null(strstr(psy_store_errmsg(f.st), "medical"));
    s.medical = 0;
    snprintf(s.em_code, sizeof s.em_code, "90834");
    assert_int_equal(psy_records_session_add(f.st, f.pr, &s, &id), PSY_EINVAL);
    assert_non_null(strstr(psy_store_errmsg(f.st), "em_code"));
    snprintf(s.em_code, sizeof s.em_code, "99213");
    s.interactive_complexity = 1;
    assert_int_equal(psy_records_session_add(f.st, f.pr, &s, &id), PSY_OK);
    struct psy_session r;
    assert_int_equal(psy_records_session_get(f.st, f.pr, id, &r), PSY_OK);
    assert_string_equal(r.em_code, "99213");
    assert_int_equal(r.interactive_complexity, 1);
    /* the E/M codes of the catalog are recorded whatever their dates (R-CODE-2 judges the date when the
     * session is coded): a hospital visit, a telemedicine visit of CPT 2025; a number that is no code is not */
    s.interactive_complexity = 0;
    static const char *const em_taken[] = {"99232", "98012"};
    for (size_t k = 0; k < sizeof em_taken / sizeof em_taken[0]; k++) {
        psy_id other;
        snprintf(s.em_code, sizeof s.em_code, "%s", em_taken[k]);
        if (psy_records_session_add(f.st, f.pr, &s, &other)) fail_msg("%s: %s", em_taken[k], psy_store_errmsg(f.st));
    }
    snprintf(s.em_code, sizeof s.em_code, "99260");
    psy_id none;
    assert_int_equal(psy_records_session_add(f.st, f.pr, &s, &none), PSY_EINVAL);
    assert_non_null(strstr(psy_store_errmsg(f.st), "not in the catalog"));
    /* family without the patient */
    snprintf(s.kind, sizeof s.kind, "family");
    s.em_code[0] = 0;
    s.patient_absent = 1;
    psy_id fam;
    assert_int_equal(psy_records_session_add(f.st, f.pr, &s, &fam), PSY_OK);
    assert_int_equal(psy_records_session_get(f.st, f.pr, fam, &r), PSY_OK);
    assert_int_equal(r.patient_absent, 1);
    struct psy_note nt;
    memset(&nt, 0, sizeof nt);
    nt.session_id = fam;
    nt.client_id = f.client[0];
    snprintf(nt.kind, sizeof nt.kind, "individual");
    nt.author_id = f.clin;
    snprintf(nt.template_id, sizeof nt.template_id, "birp");
    nt.techniques = "Structural family therapy: mapped the parents' roles in the evening routine.";
    nt.response = "Both parents agreed on one rule to try; the father questioned the second.";
    nt.progress = "Goal 2, consistent bedtime: four nights of seven, up from one.";
    nt.plan = "Meet in two weeks; the parents keep a log of bedtimes.";
    psy_id nid;
    assert_int_equal(psy_records_note_save(f.st, f.pr, &nt, &nid), PSY_OK);
    assert_int_equal(psy_records_note_sign(f.st, f.pr, nid, f.clin), PSY_OK);
    assert_int_equal(psy_records_note_get(f.st, f.pr, nid, &nt), PSY_OK);
    assert_string_equal(nt.template_id, "birp");
    psy_note_clear(&nt);
    /* a reason too short is refused and signs nothing; a reason is kept */
    assert_int_equal(psy_records_session_sign_override(f.st, f.pr, fam, f.clin, "  ok  "), PSY_EINVAL);
    assert_non_null(strstr(psy_store_errmsg(f.st), "override_reason"));
    assert_int_equal(psy_records_session_get(f.st, f.pr, fam, &r), PSY_OK);
    assert_string_equal(r.signed_at, "");
    assert_int_equal(psy_records_session_sign_override(f.st, f.pr, fam, f.clin, "Times confirmed by phone with the family."), PSY_OK);
    assert_int_equal(psy_records_session_get(f.st, f.pr, fam, &r), PSY_OK);
    assert_string_equal(r.sign_override, "Times confirmed by phone with the family.");
    /* the billable line carries what the coding engine needs */
    struct psy_billable *b;
    size_t n;
    assert_int_equal(psy_records_session_billables(f.st, f.pr, fam, &b, &n), PSY_OK);
    assert_int_equal(n, 1);
    assert_int_equal(b[0].patient_absent, 1);
    free(b);
    fx_close(&f);
}

/* Whether report r has a problem in row under column whose message contains part (NULL: any). */
static int has_problem(const struct psy_import_report *r, long row, const char *column, const char *part)
{
    for (size_t i = 0; i < r->n_problems; i++)
        if (r->problems[i].row == row && !strcmp(r->problems[i].column, column) &&
            (!part || strstr(r->problems[i].message, part)))
            return 1;
    return 0;
}

/* Four rows of clients named last (a policy with diagnoses, no policy, a child's secondary policy, and
 * every client column: contact, emergency contact, telehealth consent, codes written in lower case
 * without the dot, a policy of another relation with an end date). */
static void import_rows(char *out, size_t len, const char *last, const char *payer)
{
    snprintf(out, len,
             "Dana,%s,1980-03-04,F,\"1 Elm St, Apt 2\",Millbrook,IL,62901,F41.1;F32.1,%s,MA-1,G7,primary,self,,,,"
             "2025-01-01,,$25.00,,,,,,\r\n"
             "Eli,%s,1975-12-31,M,,,,,F43.10,,,,,,,,,,,,,,,,\r\n"
             "Fran,%s,2010-06-15,U,,,,,,%s,MC-3,,secondary,child,Gale,Roe,1979-01-01,2024-07-01,2026-12-31,12.50,,,,,"
             "\r\n"
             "Gus,%s,1966-02-28,M,9 Oak Rd,Springfield,MO,658011234,f329 F41.1,%s,ZX-9,,tertiary,Spouse,Hana,Roe,"
             "1968-08-08,2023-02-01,2025-01-31,\"$1,040.05\",(417) 555-0100,gus@example.org,Hana Roe,417-555-0101,"
             "spouse,2024-05-06\r\n"
             "Zo\xC3\xAB,%s,1980-03-04,F,,,,,,,,,,,,,,,,,,,,,\r\n",
             last, payer, last, last, payer, last, payer, last);
}

/* sql with each NAME replaced by name. */
static void named(char *out, size_t len, const char *sql, const char *name)
{
    const char *at = strstr(sql, "NAME");
    assert_non_null(at);
    size_t k = 0;
    for (; at; sql = at + 4, at = strstr(sql, "NAME")) {
        k += (size_t)snprintf(out + k, len - k, "%.*s%s", (int)(at - sql), sql, name);
        assert_true(k < len);
    }
    snprintf(out + k, len - k, "%s", sql);
}

/* The same rows of a client CSV imported on the first attempt (a clean file: no savepoints) and after a
 * retry row by row (a file with a bad row, PSY_IMPORT_SKIP_BAD) keep the same clients, diagnoses,
 * policies and history; a clean dry run writes nothing; a duplicate in an otherwise clean file is
 * reported under its row as before. */
struct bytes_seen {
    long long last, total;
    int calls, bad;
};

static void bytes_progress(void *ud, const char *what, long long done, long long total)
{
    struct bytes_seen *b = ud;
    if (strcmp(what, "import clients") || done < 0 || done > total) b->bad = 1;
    b->last = done;
    b->total = total;
    b->calls++;
}

/* A file of more than a megabyte is read in pieces, rows cut across the pieces' edges read whole, its
 * progress in bytes up to the file's length. */
static void test_import_clients_large(void **state)
{
    struct fx f;
    fx_open_on(&f, FX_SERVER(state));
    static const char head[] = "first_name,last_name,birth_date,sex,address,city,state,zip,diagnoses\r\n";
    size_t rows = 0, cap = 1500000, n;
    char *csv = malloc(cap);
    n = (size_t)snprintf(csv, cap, "%s", head);
    while (n < 1200000) {
        char last[8];
        size_t k = rows++;
        for (int i = 0; i < 6; i++, k /= 26) last[i] = (char)('a' + k % 26);
        last[0] = (char)(last[0] - 32);
        last[6] = 0;
        n += (size_t)snprintf(csv + n, cap - n,
                              "Pat,%s,1980-03-04,F,\"12 Long Street Name, Apartment 34\",Millbrook,IL,62901,"
                              "F41.1;F32.1;F43.10\r\n",
                              last);
    }
    struct bytes_seen b = {0};
    psy_store_set_progress(f.st, bytes_progress, &b);
    struct psy_import_report r;
    assert_int_equal(psy_records_import_clients(f.st, f.pr, csv, n, PSY_IMPORT_DRY_RUN, &r), PSY_OK);
    psy_store_set_progress(f.st, NULL, NULL);
    assert_int_equal(r.rows, (long)rows);
    assert_int_equal(r.good, (long)rows);
    assert_int_equal(r.refused, 0);
    psy_import_report_clear(&r);
    assert_false(b.bad);
    assert_int_equal(b.total, (long long)n);
    assert_int_equal(b.last, (long long)n);
    assert_true(b.calls >= 3); /* the start and at least two pieces */
    free(csv);
    fx_close(&f);
}

static void test_import_clients_fast(void **state)
{
    struct fx f;
    fx_open_on(&f, FX_SERVER(state));
    struct psy_payer py;
    assert_int_equal(psy_records_payer_get(f.st, f.pr, f.commercial, &py), PSY_OK);
    static const char *const head = "first_name,last_name,birth_date,sex,address,city,state,zip,diagnoses,payer_id,"
                                    "member_id,group_number,policy_order,relation,subscriber_first,subscriber_last,"
                                    "subscriber_birth,policy_start,policy_end,copay,phone,email,emergency_name,"
                                    "emergency_phone,emergency_relation,telehealth_consent_date\r\n";
    char a[4096], b[4096], fast_rows[2048], slow_rows[2048];
    import_rows(fast_rows, sizeof fast_rows, "Fastpath", py.payer_code);
    import_rows(slow_rows, sizeof slow_rows, "Slowpath", py.payer_code);
    snprintf(a, sizeof a, "%s%s", head, fast_rows);
    snprintf(b, sizeof b, "%s%sHal,Slowpath,not-a-date,M,,,,,,,,,,,,,,,,,,,,,\r\n", head, slow_rows);
    long before = fx_db_count(&f.db, "SELECT COUNT(*) FROM client");
    struct psy_import_report r;
    assert_int_equal(psy_records_import_clients(f.st, f.pr, a, strlen(a), PSY_IMPORT_DRY_RUN, &r), PSY_OK);
    assert_int_equal(r.good, 5);
    assert_int_equal(r.clients, 0);
    assert_int_equal(r.committed, 0);
    psy_import_report_clear(&r);
    assert_int_equal(fx_db_count(&f.db, "SELECT COUNT(*) FROM client"), before);
    assert_int_equal(psy_records_import_clients(f.st, f.pr, a, strlen(a), 0, &r), PSY_OK);
    assert_true(r.committed && r.rows == 5 && r.good == 5 && r.refused == 0 && r.clients == 5 && r.policies == 3);
    assert_int_equal(r.n_problems, 0);
    psy_import_report_clear(&r);
    assert_int_equal(psy_records_import_clients(f.st, f.pr, b, strlen(b), PSY_IMPORT_SKIP_BAD, &r), PSY_OK);
    assert_true(r.committed && r.rows == 6 && r.good == 5 && r.refused == 1 && r.clients == 5 && r.policies == 3);
    assert_true(has_problem(&r, 7, "birth_date", NULL));
    psy_import_report_clear(&r);
    /* what each kept, but for the last name */
    static const char *const q[] = {
        "SELECT practice_id, first_name, birth_date, sex, address, city, state, zip, phone, email, emergency_name, "
        "emergency_phone, emergency_relation, telehealth_consent_date, discharge_date, active, version, "
        "CASE WHEN created_at = updated_at THEN 1 ELSE 0 END FROM client WHERE last_name = 'NAME'",
        "SELECT d.practice_id, c.first_name, d.code, d.position FROM client_diagnosis d JOIN client c ON c.id = "
        "d.client_id WHERE c.last_name = 'NAME'",
        "SELECT p.practice_id, c.first_name, p.payer_id, p.member_id, p.group_number, p.priority, p.relation, "
        "p.subscriber_first, p.subscriber_last, p.subscriber_birth, p.start_date, p.end_date, p.copay_cents, "
        "p.version, CASE WHEN p.created_at = p.updated_at THEN 1 ELSE 0 END FROM policy p JOIN client c ON c.id = "
        "p.client_id WHERE c.last_name = 'NAME'",
        "SELECT h.practice_id, c.first_name, h.record_type, h.action, h.version, h.actor_id, h.previous FROM "
        "record_history h JOIN client c ON (h.record_type = 'client' AND h.record_id = c.id) OR (h.record_type = "
        "'policy' AND h.record_id IN (SELECT p.id FROM policy p WHERE p.client_id = c.id)) WHERE c.last_name = 'NAME'",
        /* the order of the history rows: each client's, then its policy's */
        "SELECT c.first_name, h.record_type, (SELECT COUNT(*) FROM record_history e JOIN client k ON (e.record_type "
        "= 'client' AND e.record_id = k.id) OR (e.record_type = 'policy' AND e.record_id IN (SELECT p.id FROM policy "
        "p WHERE p.client_id = k.id)) WHERE k.last_name = 'NAME' AND e.id < h.id) FROM record_history h JOIN client c "
        "ON (h.record_type = 'client' AND h.record_id = c.id) OR (h.record_type = 'policy' AND h.record_id IN (SELECT "
        "p.id FROM policy p WHERE p.client_id = c.id)) WHERE c.last_name = 'NAME'",
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        char one[1500], other[1500], sql[3200];
        named(one, sizeof one, q[i], "Fastpath");
        named(other, sizeof other, q[i], "Slowpath");
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM (%s) x", one);
        long n = fx_db_count(&f.db, sql);
        assert_true(n >= 2);
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM (%s) x", other);
        assert_int_equal(fx_db_count(&f.db, sql), n);
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM (%s EXCEPT %s) x", one, other);
        assert_int_equal(fx_db_count(&f.db, sql), 0);
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM (%s EXCEPT %s) x", other, one);
        assert_int_equal(fx_db_count(&f.db, sql), 0);
    }
    /* the same file again: every row is a client already in the practice (the one with a name outside
     * ASCII too), named as the row-by-row reading names it */
    assert_int_equal(psy_records_import_clients(f.st, f.pr, a, strlen(a), 0, &r), PSY_OK);
    assert_true(!r.committed && r.rows == 5 && r.good == 0 && r.refused == 5 && r.clients == 0);
    for (long row = 2; row <= 6; row++) assert_true(has_problem(&r, row, "row", "already in the practice"));
    psy_import_report_clear(&r);
    /* a duplicate later in a clean-looking file: found and named as before, nothing written */
    char c[2048];
    before = fx_db_count(&f.db, "SELECT COUNT(*) FROM client");
    snprintf(c, sizeof c, "%sIvy,Dup,1990-01-01,F,,,,,,,,,,,,,,,,,,,,,\r\nJo,Dup,1991-01-01,M,,,,,,,,,,,,,,,,,,,,,\r\n"
                          "IVY,dup,1990-01-01,F,,,,,,,,,,,,,,,,,,,,,\r\n", head);
    assert_int_equal(psy_records_import_clients(f.st, f.pr, c, strlen(c), 0, &r), PSY_OK);
    assert_true(!r.committed && r.good == 2 && r.refused == 1 && r.clients == 0);
    assert_true(has_problem(&r, 4, "row", "as row 2"));
    psy_import_report_clear(&r);
    assert_int_equal(fx_db_count(&f.db, "SELECT COUNT(*) FROM client"), before);
    /* the same with names outside ASCII, which the database's lower() folds (as the records API's
     * same-person check compares them): "ZO\xc3\xab DUP\xc3\xa9" is row 2's "Zo\xc3\xab Dup\xc3\xa9" */
    snprintf(c, sizeof c,
             "%sZo\xc3\xab,Dup\xc3\xa9,1992-02-02,F,,,,,,,,,,,,,,,,,,,,,\r\nJo,Dupe,1993-01-01,M,,,,,,,,,,,,,,,,,,,,,\r\n"
             "ZO\xc3\xab,DUP\xc3\xa9,1992-02-02,F,,,,,,,,,,,,,,,,,,,,,\r\n",
             head);
    assert_int_equal(psy_records_import_clients(f.st, f.pr, c, strlen(c), 0, &r), PSY_OK);
    assert_true(!r.committed && r.good == 2 && r.refused == 1 && r.clients == 0);
    assert_true(has_problem(&r, 4, "row", "as row 2"));
    psy_import_report_clear(&r);
    assert_int_equal(fx_db_count(&f.db, "SELECT COUNT(*) FROM client"), before);
    /* 300 names outside ASCII, more than one query of folded names: all written; again, each one
     * already in the practice (the second reading of the file names every row) */
    size_t cap = 300 * 64 + 512, n = (size_t)snprintf(NULL, 0, "%s", head);
    char *many = malloc(cap);
    snprintf(many, cap, "%s", head);
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(many + n, cap - n,
                              "Ren\xc3\xa9" "e,N\xc3\xba\xc3\xb1" "ez%c%c,19%02d-0%d-1%d,F,,,,,,,,,,,,,,,,,,,,,\r\n",
                              'a' + i % 26, 'a' + i / 26, 40 + i % 50, 1 + i % 9, i % 10);
    assert_int_equal(psy_records_import_clients(f.st, f.pr, many, n, 0, &r), PSY_OK);
    assert_true(r.committed && r.good == 300 && r.refused == 0 && r.clients == 300);
    psy_import_report_clear(&r);
    assert_int_equal(fx_db_count(&f.db, "SELECT COUNT(*) FROM client"), before + 300);
    many[n - 2] = 0; /* the last row once more, in capitals where ASCII */
    char *last = strrchr(many, '\n') + 1, again[4096];
    snprintf(again, sizeof again, "%s%s\r\n%s\r\n", head, last, last);
    for (char *u = again + strlen(head); *u; u++)
        if (*u >= 'a' && *u <= 'z') *u = (char)(*u - 32);
    assert_int_equal(psy_records_import_clients(f.st, f.pr, again, strlen(again), 0, &r), PSY_OK);
    assert_true(!r.committed && r.refused == 2 && r.clients == 0);
    assert_true(has_problem(&r, 2, "row", "already in the practice"));
    psy_import_report_clear(&r);
    free(many);
    fx_close(&f);
}

/* Clients from CSV (docs/importing.md): every problem of a row under its column, never the value;
 * nothing written on a dry run or when a row is refused, the good rows with PSY_IMPORT_SKIP_BAD. */
static void test_import_clients_lib(void **state)
{
    struct fx f;
    fx_open_on(&f, FX_SERVER(state));
    struct psy_payer py;
    assert_int_equal(psy_records_payer_get(f.st, f.pr, f.commercial, &py), PSY_OK);
    char csv[2048];
    snprintf(csv, sizeof csv,
             "first_name,last_name,birth_date,sex,state,email,diagnoses,payer_id,member_id,policy_start,copay\r\n"
             "Avery,Libtest,1988-02-14,F,IL,,F41.1;F32.1,%s,M-1,2025-01-01,$25.00\r\n"
             ",Libtest,1990-02-30,X,il,not-an-email,\"F41;F32.1;Z99.999\",%s,bad id!,,abc\r\n"
             "Avery,Libtest,1988-02-14,F,,,,,,,\r\n"
             "Blair,Libtest,1991-01-01,M,,,F41.1,NOPE1,bad id!,2025-01-01,\r\n"
             "Casey,Libtest,1992-02-02,F,,,,,M-9,,\r\n",
             py.payer_code, py.payer_code);
    long before = fx_db_count(&f.db, "SELECT COUNT(*) FROM client");
    struct psy_import_report r;
    assert_int_equal(psy_records_import_clients(f.st, f.pr, csv, strlen(csv), PSY_IMPORT_DRY_RUN, &r), PSY_OK);
    assert_int_equal(r.rows, 5);
    assert_int_equal(r.good, 1);
    assert_int_equal(r.refused, 4);
    assert_int_equal(r.committed, 0);
    /* row 3: every field that breaks a rule, each under its column */
    assert_true(has_problem(&r, 3, "first_name", NULL));
    assert_true(has_problem(&r, 3, "birth_date", "date"));
    assert_true(has_problem(&r, 3, "sex", NULL));
    assert_true(has_problem(&r, 3, "state", "two capital letters"));
    assert_true(has_problem(&r, 3, "email", "not an email address"));
    assert_true(has_problem(&r, 3, "diagnoses", "code 1: a category"));
    assert_true(has_problem(&r, 3, "diagnoses", "code 3:"));
    assert_false(has_problem(&r, 3, "diagnoses", "code 2:"));
    assert_true(has_problem(&r, 3, "member_id", "letters, digits"));
    assert_true(has_problem(&r, 3, "policy_start", NULL));
    assert_true(has_problem(&r, 3, "copay", "dollars"));
    /* row 4: the same person as row 2, about the row; row 5: an unknown payer and still its member id */
    assert_true(has_problem(&r, 4, "row", "as row 2"));
    assert_true(has_problem(&r, 5, "payer_id", "no payer"));
    assert_true(has_problem(&r, 5, "member_id", NULL));
    /* row 6: a policy column without a payer */
    assert_true(has_problem(&r, 6, "member_id", "without payer_id"));
    assert_false(has_problem(&r, 2, "row", NULL));
    for (size_t i = 0; i < r.n_problems; i++) {
        assert_true(*r.problems[i].column);
        assert_null(strstr(r.problems[i].message, "Libtest"));
        assert_null(strstr(r.problems[i].message, "not-an-email"));
        assert_null(strstr(r.problems[i].message, "bad id"));
        assert_null(strstr(r.problems[i].message, "Z99"));
    }
    psy_import_report_clear(&r);
    assert_int_equal(fx_db_count(&f.db, "SELECT COUNT(*) FROM client"), before);

    /* without flags a refused row stops everything */
    assert_int_equal(psy_records_import_clients(f.st, f.pr, csv, strlen(csv), 0, &r), PSY_OK);
    assert_int_equal(r.committed, 0);
    assert_int_equal(r.clients, 0);
    psy_import_report_clear(&r);
    assert_int_equal(fx_db_count(&f.db, "SELECT COUNT(*) FROM client"), before);
    assert_int_equal(fx_db_count(&f.db, "SELECT COUNT(*) FROM policy WHERE member_id = 'M-1'"), 0);

    /* skipping the bad rows writes the good one with its diagnoses and policy, and nothing of the rest */
    assert_int_equal(psy_records_import_clients(f.st, f.pr, csv, strlen(csv), PSY_IMPORT_SKIP_BAD, &r), PSY_OK);
    assert_int_equal(r.committed, 1);
    assert_int_equal(r.clients, 1);
    assert_int_equal(r.policies, 1);
    assert_int_equal(r.refused, 4);
    psy_import_report_clear(&r);
    assert_int_equal(fx_db_count(&f.db, "SELECT COUNT(*) FROM client"), before + 1);
    assert_int_equal(fx_db_count(&f.db, "SELECT copay_cents FROM policy WHERE member_id = 'M-1'"), 2500);
    psy_id id;
    assert_int_equal(psy_records_client_find(f.st, f.pr, "avery", "LIBTEST", "1988-02-14", &id), PSY_OK);
    struct psy_client c;
    assert_int_equal(psy_records_client_get(f.st, f.pr, id, &c), PSY_OK);
    assert_int_equal(c.n_dx, 2);
    assert_string_equal(c.dx[1], "F32.1");
    assert_int_equal(psy_records_client_find(f.st, f.pr, "Blair", "Libtest", "1991-01-01", &id), PSY_ENOTFOUND);

    /* a file that is not in the layout: refused whole */
    const char *odd = "first_name,last_name,birthday,sex\nA,B,1990-01-01,F\n";
    assert_int_equal(psy_records_import_clients(f.st, f.pr, odd, strlen(odd), 0, &r), PSY_EPARSE);
    assert_non_null(strstr(psy_store_errmsg(f.st), "'birthday'"));
    psy_import_report_clear(&r);
    assert_int_equal(fx_db_count(&f.db, "SELECT COUNT(*) FROM client"), before + 1);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_practice_and_clinicians, NULL),
        cmocka_unit_test_prestate(test_clients_and_diagnoses, NULL),
        cmocka_unit_test_prestate(test_payers_policies_authorisations, NULL),
        cmocka_unit_test_prestate(test_plans, NULL),
        cmocka_unit_test_prestate(test_sessions_and_attendance, NULL),
        cmocka_unit_test_prestate(test_notes_sign_lock_addendum, NULL),
        cmocka_unit_test_prestate(test_batches_and_tenancy, NULL),
        cmocka_unit_test_prestate(test_versions_across_connections, NULL),
        cmocka_unit_test_prestate(test_demo_generator, NULL),
        cmocka_unit_test_prestate(test_group_attendance, NULL),
        cmocka_unit_test_prestate(test_first_day_fields, NULL),
        cmocka_unit_test_prestate(test_session_kinds_and_override, NULL),
        cmocka_unit_test_prestate(test_import_clients_lib, NULL),
        cmocka_unit_test_prestate(test_import_clients_fast, NULL),
        cmocka_unit_test_prestate(test_import_clients_large, NULL),
    };
    const struct CMUnitTest plain[] = {cmocka_unit_test(test_npi_dates_times), cmocka_unit_test(test_note_templates)};
    int failed = cmocka_run_group_tests_name("plain", plain, NULL, NULL);
    failed += fx_run_on_both("test_records", tests, sizeof tests / sizeof tests[0]);
    return failed ? 1 : 0;
}
