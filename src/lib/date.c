/*
 * date.c -- calendar dates (psy_date.h): parsing and writing YYYY-MM-DD and CCYYMMDD, Gregorian leap
 * years, day numbers, adding days, weekdays, and today's date and time in a practice's time zone.
 *
 * Day numbers use the civil-from-days algorithms of Howard Hinnant's "chrono-Compatible Low-Level Date
 * Algorithms" (proleptic Gregorian, exact for every year here).
 *
 * Time zones: the C library keeps one process-wide zone, chosen by the TZ environment variable. The local
 * date of an instant in another zone is computed under one mutex that sets TZ, runs tzset and
 * localtime_r, and puts TZ back; nothing else in psyclaim reads the local zone (every other time is
 * UTC, through gmtime_r), so the switch is invisible to other threads.
 */
#include "psyclaim/psy_date.h"
#include "psy_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int psy_date_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int psy_date_month_days(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12) return 0;
    return days[month - 1] + (month == 2 && psy_date_leap(year));
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

static int check(int y, int m, int d, struct psy_date *out)
{
    if (y < PSY_DATE_YEAR_MIN || y > PSY_DATE_YEAR_MAX || d < 1 || d > psy_date_month_days(y, m)) return 0;
    if (out) *out = (struct psy_date){y, m, d};
    return 1;
}

int psy_date_parse(const char *s, struct psy_date *out)
{
    int y, m, d;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return 0;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d)) return 0;
    return check(y, m, d, out);
}

int psy_date_parse8(const char *s, struct psy_date *out)
{
    int y, m, d;
    if (!s || strlen(s) != 8 || !digits(s, 4, &y) || !digits(s + 4, 2, &m) || !digits(s + 6, 2, &d)) return 0;
    return check(y, m, d, out);
}

int psy__date_int(const char *s)
{
    struct psy_date d;
    return psy_date_parse(s, &d) ? d.year * 10000 + d.month * 100 + d.day : 0;
}

int psy_date_iso_valid(const char *s) { return psy_date_parse(s, NULL); }

int psy_date_valid(const char *s) { return psy_date_parse8(s, NULL); }

void psy_date_format(struct psy_date d, char out[PSY_DATE_TEXT_MAX])
{
    char tmp[48];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", d.year, d.month, d.day);
    snprintf(out, PSY_DATE_TEXT_MAX, "%.10s", tmp);
}

int64_t psy_date_to_days(struct psy_date d)
{
    int64_t y = d.year - (d.month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (d.month + (d.month > 2 ? -3 : 9)) + 2) / 5 + d.day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

struct psy_date psy_date_from_days(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    struct psy_date d;
    d.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    d.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    d.year = (int)(yoe + era * 400 + (d.month <= 2));
    return d;
}

int64_t psy_date_between(const char *a, const char *b)
{
    struct psy_date x, y;
    if (!psy_date_parse(a, &x) || !psy_date_parse(b, &y)) return INT64_MIN;
    return psy_date_to_days(y) - psy_date_to_days(x);
}

int psy_date_add(const char *date, int days, char out[PSY_DATE_TEXT_MAX])
{
    struct psy_date d;
    out[0] = 0;
    if (!psy_date_parse(date, &d)) return 0;
    d = psy_date_from_days(psy_date_to_days(d) + days);
    if (d.year < PSY_DATE_YEAR_MIN || d.year > PSY_DATE_YEAR_MAX) return 0;
    psy_date_format(d, out);
    return 1;
}

int psy_date_add_months(const char *date, int months, char out[PSY_DATE_TEXT_MAX])
{
    struct psy_date d;
    out[0] = 0;
    if (!psy_date_parse(date, &d) || months < -120000 || months > 120000) return 0;
    int m = d.year * 12 + (d.month - 1) + months;
    d.year = m / 12;
    d.month = m % 12 + 1;
    if (d.year < PSY_DATE_YEAR_MIN || d.year > PSY_DATE_YEAR_MAX) return 0;
    int last = psy_date_month_days(d.year, d.month);
    if (d.day > last) d.day = last;
    psy_date_format(d, out);
    return 1;
}

int psy_date_weekday(const char *date)
{
    struct psy_date d;
    if (!psy_date_parse(date, &d)) return -1;
    int64_t z = psy_date_to_days(d); /* 1970-01-01 was a Thursday */
    return (int)(((z % 7) + 7 + 4) % 7);
}

/* --- time zones ------------------------------------------------------------------------------------ */

int psy_date_zone_known(const char *tz)
{
    if (!tz || !*tz || strlen(tz) > 64) return 0;
    if (!strcmp(tz, "UTC")) return 1;
    if (tz[0] == '/' || tz[0] == '.' || strstr(tz, "..")) return 0;
    for (const char *c = tz; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '/' ||
              *c == '_' || *c == '-' || *c == '+'))
            return 0;
    char path[128];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
    return access(path, R_OK) == 0;
}

static pthread_mutex_t zone_lock = PTHREAD_MUTEX_INITIALIZER;

/* The broken-down local time of t in tz (UTC when unknown); 1 when the zone was known. */
static int local_tm(const char *tz, int64_t t, struct tm *out)
{
    time_t tt = (time_t)t;
    int known = psy_date_zone_known(tz);
    if (!known || !strcmp(tz, "UTC")) {
        gmtime_r(&tt, out);
        out->tm_gmtoff = 0;
        return known;
    }
    pthread_mutex_lock(&zone_lock);
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    setenv("TZ", tz, 1);
    tzset();
    localtime_r(&tt, out);
    if (saved) setenv("TZ", saved, 1);
    else unsetenv("TZ");
    free(saved);
    tzset();
    pthread_mutex_unlock(&zone_lock);
    return 1;
}

int psy_date_at(const char *tz, int64_t t, char out[PSY_DATE_TEXT_MAX])
{
    struct tm tm;
    int known = local_tm(tz, t, &tm);
    psy_date_format((struct psy_date){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday}, out);
    return known;
}

int psy_date_time_at(const char *tz, int64_t t, char out[PSY_DATE_NOW_MAX])
{
    struct tm tm;
    int known = local_tm(tz, t, &tm);
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0) off = -off;
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off / 3600, off / 60 % 60);
    snprintf(out, PSY_DATE_NOW_MAX, "%.25s", tmp);
    return known;
}

long psy_date_zone_offset(const char *tz, int64_t t)
{
    struct tm tm;
    local_tm(tz, t, &tm);
    return tm.tm_gmtoff;
}

int psy_date_zone_start(const char *tz, const char *date, int64_t *out)
{
    struct psy_date d;
    if (!psy_date_parse(date, &d)) return 0;
    int64_t wall = psy_date_to_days(d) * 86400; /* midnight as if the zone were UTC */
    int64_t guess = wall - psy_date_zone_offset(tz, wall);
    *out = wall - psy_date_zone_offset(tz, guess); /* the offset in force at that midnight */
    return 1;
}

void psy_date_utc_text(int64_t t, char out[PSY_DATE_NOW_MAX])
{
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400, sec = t - days * 86400;
    struct psy_date d = psy_date_from_days(days);
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02dZ", d.year, d.month, d.day, (int)(sec / 3600),
             (int)(sec / 60 % 60), (int)(sec % 60));
    snprintf(out, PSY_DATE_NOW_MAX, "%.20s", tmp);
}

int psy_date_today(const char *tz, char out[PSY_DATE_TEXT_MAX]) { return psy_date_at(tz, (int64_t)time(NULL), out); }

int psy_date_now(const char *tz, char out[PSY_DATE_NOW_MAX]) { return psy_date_time_at(tz, (int64_t)time(NULL), out); }
