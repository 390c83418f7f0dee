/*
 * psy_date.h -- calendar dates and "today" in a practice's time zone: the one date module every other
 * module uses (src/lib/date.c).
 *
 * Dates are proleptic Gregorian (a year is a leap year when divisible by 4, except centuries not
 * divisible by 400: 2024-02-29 and 2000-02-29 exist, 1900-02-29 and 2025-02-29 do not), years
 * PSY_DATE_YEAR_MIN to PSY_DATE_YEAR_MAX. They are written "YYYY-MM-DD" (ISO 8601) everywhere except in
 * X12 files, which write "CCYYMMDD".
 */
#ifndef PSYCLAIM_PSY_DATE_H
#define PSYCLAIM_PSY_DATE_H

#include <stdint.h>

#define PSY_DATE_YEAR_MIN 1900
#define PSY_DATE_YEAR_MAX 9999
#define PSY_DATE_TEXT_MAX 11 /* "YYYY-MM-DD" plus NUL (the same as PSY_DATE_MAX) */
#define PSY_DATE_NOW_MAX 32  /* "YYYY-MM-DDTHH:MM:SS+HH:MM" plus NUL */

struct psy_date {
    int year, month, day;
};

/* 1 when year is a Gregorian leap year. */
int psy_date_leap(int year);

/* Days in month (1-12) of year; 0 for a month out of range. */
int psy_date_month_days(int year, int month);

/* Parses exactly "YYYY-MM-DD" (a real calendar date within the years above) into *out (may be NULL).
 * Returns 1, or 0 when s is anything else (NULL, other lengths, signs, spaces, 2026-02-30). */
int psy_date_parse(const char *s, struct psy_date *out);

/* Parses exactly "CCYYMMDD" (X12's form) likewise. */
int psy_date_parse8(const char *s, struct psy_date *out);

/* 1 when s is a real calendar date written "YYYY-MM-DD". */
int psy_date_iso_valid(const char *s);

/* 1 when s is a real calendar date written CCYYMMDD (X12). */
int psy_date_valid(const char *s);

/* Writes d as "YYYY-MM-DD" (out holds PSY_DATE_TEXT_MAX bytes). */
void psy_date_format(struct psy_date d, char out[PSY_DATE_TEXT_MAX]);

/* Days since 1970-01-01 of d (negative before), and back. */
int64_t psy_date_to_days(struct psy_date d);
struct psy_date psy_date_from_days(int64_t days);

/* Days from a to b (b - a; negative when b is earlier); INT64_MIN when either is not a date. */
int64_t psy_date_between(const char *a, const char *b);

/* "YYYY-MM-DD" days after date (before, when negative) into out. Returns 0 (out "") when date is not a
 * date or the result leaves the years above. */
int psy_date_add(const char *date, int days, char out[PSY_DATE_TEXT_MAX]);

/* The same day months calendar months after date (before, when negative), or the last day of that month
 * when it is shorter: 2024-02-29 plus 12 months is 2025-02-28, 2025-01-31 plus 1 is 2025-02-28. Returns
 * 0 (out "") when date is not a date or the result leaves the years above. */
int psy_date_add_months(const char *date, int months, char out[PSY_DATE_TEXT_MAX]);
/* The day of the week of date: 0 Sunday ... 6 Saturday; -1 when date is not a date. */
int psy_date_weekday(const char *date);

/* 1 when tz names a time zone this machine knows ("UTC", or an IANA name such as America/Chicago with a
 * file under /usr/share/zoneinfo). */
int psy_date_zone_known(const char *tz);

/* The calendar date at instant t (seconds since the epoch) in time zone tz, and the local time with its
 * offset ("2026-03-08T01:30:00-06:00"). A zone the machine does not know counts as UTC; the functions
 * return 0 then, 1 otherwise. Thread-safe: the C library's zone rules are reached under one lock. */
int psy_date_at(const char *tz, int64_t t, char out[PSY_DATE_TEXT_MAX]);
int psy_date_time_at(const char *tz, int64_t t, char out[PSY_DATE_NOW_MAX]);

/* The offset from UTC in seconds of time zone tz at instant t (east positive; 0 for unknown zones). */
long psy_date_zone_offset(const char *tz, int64_t t);

/* The instant (seconds since the epoch) at which date begins in time zone tz. Returns 0 when date is
 * not a date. */
int psy_date_zone_start(const char *tz, const char *date, int64_t *out);

/* Instant t as UTC text "YYYY-MM-DDTHH:MM:SSZ". */
void psy_date_utc_text(int64_t t, char out[PSY_DATE_NOW_MAX]);

/* Today and now in time zone tz (psy_date_at with the clock). */
int psy_date_today(const char *tz, char out[PSY_DATE_TEXT_MAX]);
int psy_date_now(const char *tz, char out[PSY_DATE_NOW_MAX]);

#endif
