/*
 * session_kind.c -- the names of the session kinds (psy_coding.h) that the coding engine's input and the
 * payer profiles' per-kind terms use.
 */
#include <string.h>
#include "psy_int.h"

static const char *const kind_names[PSY_SESSION_KIND_COUNT] = {
    "individual", "crisis", "group", "family_with_patient", "family_without_patient", "multiple_family_group",
    "diagnostic_evaluation", "diagnostic_evaluation_medical"};

const char *psy_session_kind_name(psy_session_kind kind)
{
    return (unsigned)kind < PSY_SESSION_KIND_COUNT ? kind_names[kind] : "?";
}

psy_status psy_session_kind_parse(const char *name, psy_session_kind *out)
{
    for (int k = 0; k < PSY_SESSION_KIND_COUNT; k++)
        if (!strcmp(name, kind_names[k])) {
            *out = (psy_session_kind)k;
            return PSY_OK;
        }
    return PSY_EINVAL;
}
