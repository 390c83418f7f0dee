/* test_date.c -- the date module (psy_date.h): Gregorian calendar rules, day arithmetic, weekdays, the
 * date and time in a practice's time zone (also from many threads at once), and the modules that now
 * read dates through it (catalog import, records, claims). */
#include "support.h"
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Gregorian rule (ISO 8601 / the Gregorian reform): leap years are divisible by 4, except centuries
 * that are not divisible by 400. */
static void test_gregorian(void **state)
{
    (void)state;
    assert_true(psy_date_iso_valid("2024-02-29"));  /* divisible by 4 */
    assert_false(psy_date_iso_valid("2025-02-29")); /* not divisible by 4 */
    assert_false(psy_date_iso_valid("1900-02-29")); /* century not divisible by 400 */
    assert_true(psy_date_iso_valid("2000-02-29"));  /* century divisible by 400 */
    assert_false(psy_date_iso_valid("2100-02-29"));
    assert_false(psy_date_iso_valid("2026-02-30"));
    assert_false(psy_date_iso_valid("2026-04-31"));
    assert_true(psy_date_iso_valid("2026-12-31"));
    assert_false(psy_date_iso_valid("2026-13-01"));
    assert_false(psy_date_iso_valid("2026-00-10"));
    assert_false(psy_date_iso_valid("2026-01-00"));
    assert_false(psy_date_iso_valid("1899-12-31")); /* before the first year psyclaim writes */
    assert_false(psy_date_iso_valid("2026-1-01"));
    assert_false(psy_date_iso_valid("2026-01-01 "));
    assert_false(psy_date_iso_valid("+026-01-01"));
    assert_false(psy_date_iso_valid("2026/01/01"));
    assert_false(psy_date_iso_valid(""));
    assert_false(psy_date_iso_valid(NULL));
    assert_int_equal(psy_date_month_days(2024, 2), 29);
    assert_int_equal(psy_date_month_days(1900, 2), 28);
    assert_int_equal(psy_date_month_days(2026, 13), 0);

    /* X12 writes CCYYMMDD */
    assert_true(psy_date_valid("20240229"));
    assert_false(psy_date_valid("20250229"));
    assert_false(psy_date_valid("19000229"));
    assert_false(psy_date_valid("20260230"));
    assert_false(psy_date_valid("2026-01-01"));
    struct psy_date d;
    assert_true(psy_date_parse8("20000229", &d));
    assert_int_equal(d.year, 2000);
    assert_int_equal(d.month, 2);
    assert_int_equal(d.day, 29);
    char out[PSY_DATE_TEXT_MAX];
    psy_date_format(d, out);
    assert_string_equal(out, "2000-02-29");
}

static void test_arithmetic(void **state)
{
    (void)state;
    char out[PSY_DATE_TEXT_MAX];
    assert_int_equal(psy_date_between("2024-01-01", "2025-01-01"), 366);
    assert_int_equal(psy_date_between("2025-01-01", "2026-01-01"), 365);
    assert_int_equal(psy_date_between("2026-03-01", "2026-02-28"), -1);
    assert_int_equal(psy_date_between("1970-01-01", "1970-01-01"), 0);
    assert_true(psy_date_between("2026-02-30", "2026-03-01") == INT64_MIN);
    /* calendar months keep the day, else take the month's last (Feb 29 + 12 months: Feb 28) */
    assert_true(psy_date_add_months("2024-02-29", 12, out));
    assert_string_equal(out, "2025-02-28");
    assert_true(psy_date_add_months("2023-03-31", 12, out));
    assert_string_equal(out, "2024-03-31");
    assert_true(psy_date_add_months("2025-01-31", 1, out));
    assert_string_equal(out, "2025-02-28");
    assert_true(psy_date_add_months("2024-01-31", 1, out));
    assert_string_equal(out, "2024-02-29");
    assert_true(psy_date_add_months("2025-11-30", 3, out));
    assert_string_equal(out, "2026-02-28");
    assert_true(psy_date_add_months("2025-03-15", -3, out));
    assert_string_equal(out, "2024-12-15");
    assert_false(psy_date_add_months("2025-02-30", 1, out));
    assert_string_equal(out, "");
    assert_false(psy_date_add_months("9999-12-01", 1, out));
    assert_true(psy_date_add("2024-02-28", 1, out));
    assert_string_equal(out, "2024-02-29");
    assert_true(psy_date_add("2025-02-28", 1, out));
    assert_string_equal(out, "2025-03-01");
    assert_true(psy_date_add("2026-01-01", -1, out));
    assert_string_equal(out, "2025-12-31");
    assert_true(psy_date_add("2000-03-01", -1, out));
    assert_string_equal(out, "2000-02-29");
    assert_true(psy_date_add("1900-03-01", -1, out));
    assert_string_equal(out, "1900-02-28");
    assert_false(psy_date_add("1900-01-01", -1, out));
    assert_string_equal(out, "");
    assert_false(psy_date_add("2026-02-30", 1, out));
    /* 1970-01-01 was a Thursday, 2000-01-01 a Saturday, 2024-02-29 a Thursday, 2026-11-23 a Monday */
    assert_int_equal(psy_date_weekday("1970-01-01"), 4);
    assert_int_equal(psy_date_weekday("2000-01-01"), 6);
    assert_int_equal(psy_date_weekday("2024-02-29"), 4);
    assert_int_equal(psy_date_weekday("2026-11-23"), 1);
    assert_int_equal(psy_date_weekday("1900-01-01"), 1);
    assert_int_equal(psy_date_weekday("nope"), -1);
}

/* Time zone rules from the IANA database: America/Chicago is UTC-6 in winter; daylight time starts on
 * the second Sunday of March at 02:00 local (2026-03-08), UTC-5. Asia/Tokyo is UTC+9 without daylight
 * time. */
static void test_zones(void **state)
{
    (void)state;
    char day[PSY_DATE_TEXT_MAX], now[PSY_DATE_NOW_MAX];
    const int64_t jan1_0300z = 1767236400; /* 2026-01-01T03:00:00Z */
    assert_true(psy_date_at("America/Chicago", jan1_0300z, day));
    assert_string_equal(day, "2025-12-31");
    assert_true(psy_date_at("Asia/Tokyo", jan1_0300z, day));
    assert_string_equal(day, "2026-01-01");
    assert_true(psy_date_at("UTC", jan1_0300z, day));
    assert_string_equal(day, "2026-01-01");
    const int64_t dst_0730z = 1772955000; /* 2026-03-08T07:30:00Z */
    assert_true(psy_date_time_at("America/Chicago", dst_0730z, now));
    assert_string_equal(now, "2026-03-08T01:30:00-06:00");
    assert_true(psy_date_time_at("America/Chicago", dst_0730z + 3600, now));
    assert_string_equal(now, "2026-03-08T03:30:00-05:00");
    assert_true(psy_date_time_at("Asia/Tokyo", dst_0730z, now));
    assert_string_equal(now, "2026-03-08T16:30:00+09:00");
    /* unknown zones count as UTC and say so */
    assert_false(psy_date_at("Mars/Olympus_Mons", jan1_0300z, day));
    assert_string_equal(day, "2026-01-01");
    assert_false(psy_date_zone_known("../../etc/passwd"));
    assert_false(psy_date_zone_known("/etc/localtime"));
    assert_true(psy_date_zone_known("America/Chicago"));
    assert_true(psy_date_today("America/Chicago", day));
    assert_true(psy_date_iso_valid(day));
    /* where a day begins: 2026-03-08 starts at 06:00Z in Chicago (still CST), 2026-03-09 at 05:00Z */
    int64_t t;
    assert_true(psy_date_zone_start("America/Chicago", "2026-03-08", &t));
    psy_date_utc_text(t, now);
    assert_string_equal(now, "2026-03-08T06:00:00Z");
    assert_true(psy_date_zone_start("America/Chicago", "2026-03-09", &t));
    psy_date_utc_text(t, now);
    assert_string_equal(now, "2026-03-09T05:00:00Z");
    assert_true(psy_date_zone_start("Asia/Tokyo", "2026-01-01", &t));
    psy_date_utc_text(t, now);
    assert_string_equal(now, "2025-12-31T15:00:00Z");
    assert_false(psy_date_zone_start("UTC", "2026-02-30", &t));
    assert_int_equal(psy_date_zone_offset("America/Chicago", dst_0730z), -6 * 3600);
}

static void *zone_worker(void *arg)
{
    const char *tz = arg, *want = !strcmp(tz, "Asia/Tokyo") ? "2026-01-01" : "2025-12-31";
    long bad = 0;
    for (int i = 0; i < 2000; i++) {
        char day[PSY_DATE_TEXT_MAX];
        psy_date_at(tz, 1767236400, day);
        bad += strcmp(day, want) != 0;
    }
    return (void *)bad;
}

/* Threads asking for different zones at once each get their own zone's answer. */
static void test_zones_threads(void **state)
{
    (void)state;
    pthread_t t[4];
    const char *zones[4] = {"Asia/Tokyo", "America/Chicago", "Asia/Tokyo", "America/Chicago"};
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&t[i], NULL, zone_worker, (void *)zones[i]), 0);
    for (int i = 0; i < 4; i++) {
        void *bad;
        pthread_join(t[i], &bad);
        assert_int_equal((long)bad, 0);
    }
}

/* The modules that used their own date checks now share these rules. */
static void test_callers(void **state)
{
    (void)state;
    assert_false(psy_records_date_valid("2026-02-30"));
    assert_false(psy_records_date_valid("1900-02-29"));
    assert_true(psy_records_date_valid("2024-02-29"));
    assert_false(psy_records_date_valid("2200-01-01")); /* the records keep years up to 2199 */
    char err[256];
    struct psy_import_opts o = {.effective = "2026-02-30"};
    assert_int_not_equal(psy_catalog_import(NULL, PSY_IMPORT_ICD10CM, "/nonexistent/icd10cm-order-2026.txt", &o, NULL,
                                            err, sizeof err),
                         PSY_OK);
    assert_non_null(strstr(err, "--effective '2026-02-30' is not YYYY-MM-DD"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gregorian), cmocka_unit_test(test_arithmetic), cmocka_unit_test(test_zones),
        cmocka_unit_test(test_zones_threads), cmocka_unit_test(test_callers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
