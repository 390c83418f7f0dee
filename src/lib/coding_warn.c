/*
 * coding_warn.c -- what a payer questions in a session that is otherwise billable: a "group" of one, a
 * group session shorter than the payer's minimum, an individual session over three hours, a date of
 * service in the future, and input that contradicts itself (a patient location without telehealth,
 * group_size on a session that is not a group, a credential the engine does not know). Warnings only,
 * each naming the field to look at. Rules R-WARN-1 to R-WARN-5 in docs/rules.md.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "coding_int.h"

/* Licences the engine knows (domain.md 1.6, 3.1, 8.2), besides those a payer profile maps to a modifier. */
static int known_credential(const char *c, const struct psy__payer_terms *t)
{
    static const char *const list[] = {"MD", "DO", "NP", "PA", "APRN", "PMHNP", "CNS", "PSYCHOLOGIST", "PHD", "PSYD",
                                       "LCSW", "LICSW", "LISW", "LMSW", "CSW", "LPC", "LPCC", "LMHC", "LCPC",
                                       "LCMHC", "MHC", "LMFT", "MFT", NULL};
    for (const char *const *p = list; *p; p++)
        if (!strcmp(*p, c)) return 1;
    for (size_t i = 0; i < t->n_creds; i++)
        if (!strcmp(t->creds[i].credential, c)) return 1;
    return 0;
}

static void warn(struct psy__sink *out, const char *rule, const char *field, const char *a, long n, const char *b)
{
    struct psy_finding *f = psy__sink_add(out, PSY_SEVERITY_WARNING, rule, field);
    struct psy__sb sb;
    psy__sb_init(&sb, f->message, sizeof f->message);
    psy__sb_put(&sb, a);
    if (n >= 0) psy__sb_int(&sb, n);
    if (b) psy__sb_put(&sb, b);
}

void psy__input_warnings(const struct psy_coding_input *s, int date, const struct psy__payer_terms *t,
                         struct psy__sink *out)
{
    int group = s->kind == PSY_SESSION_GROUP || s->kind == PSY_SESSION_MULTIPLE_FAMILY_GROUP;
    if (s->kind == PSY_SESSION_GROUP && s->group_size == 1)
        warn(out, "R-WARN-1", "group_size", "a group session with one participant is individual psychotherapy in "
                                            "all but name; payers question 90853 for a group of one",
             -1, NULL);
    if (group && t->group_minutes_min && s->minutes >= 0 && s->minutes < t->group_minutes_min)
        warn(out, "R-WARN-2", "minutes", "the payer pays group sessions of at least ", t->group_minutes_min,
             " minutes; this one is shorter");
    if (s->kind == PSY_SESSION_INDIVIDUAL && s->minutes > 180)
        warn(out, "R-WARN-3", "minutes", "an individual session of ", s->minutes,
             " minutes (over 3 hours) is one 90837 and draws a medical review: the note should say why");
    /* the practice's date may run a day ahead of UTC; later than that is the future anywhere */
    time_t now = time(NULL) + 86400;
    struct tm tm;
    gmtime_r(&now, &tm);
    int tomorrow = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
    if (date > tomorrow)
        warn(out, "R-WARN-4", "date", "the date of service is in the future; a claim is billed after the service",
             -1, NULL);
    if (s->telehealth == PSY_TELEHEALTH_NONE && s->patient_location != PSY_LOCATION_UNKNOWN)
        warn(out, "R-WARN-5", "patient_location", "a patient location is given but the session is not telehealth; "
                                                  "say telehealth video or audio, or leave the location out",
             -1, NULL);
    if (!group && s->group_size > 0)
        warn(out, "R-WARN-5", "group_size", "group_size is given on a session that is not a group", -1, NULL);
    if (*s->credential && !known_credential(s->credential, t))
        warn(out, "R-WARN-5", "credential", "the credential is not one the engine or the payer profile knows; "
                                            "credential rules (E/M, 90792, modifiers) were not applied to it",
             -1, NULL);
}
