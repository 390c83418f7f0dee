/*
 * psy_payer.h -- payer profiles: how one payer wants psychotherapy billed, as effective-dated data.
 *
 * A profile (data/payers/<id>.json, or a file a practice writes) lists versions by start date; each
 * version states only what changes from the one before. A version holds the telehealth convention
 * (POS 02/10 by the patient's location, or the in-person POS with a modality modifier), credential and
 * program modifiers, the group-size limit, codes the payer does not cover, codes that need prior
 * authorisation, and the fee schedule in cents. The file format is in docs/payers.md.
 */
#ifndef PSY_PAYER_H
#define PSY_PAYER_H

#include "psyclaim.h"

#define PSY_PAYER_ID_MAX 32 /* longest payer id plus NUL */

typedef struct psy_payers psy_payers;

/* A set holding every built-in profile (data/payers/). */
psy_status psy_payers_builtin(psy_payers **out, char *err, size_t errlen);

/* Adds one profile from JSON text (origin names it in messages) or from a file. A profile with an id
 * the set already has replaces it. Errors name the field: "FILE: versions[1].fees_cents.90834: ...". */
psy_status psy_payers_add_json(psy_payers *ps, const char *text, size_t len, const char *origin, char *err,
                               size_t errlen);
psy_status psy_payers_add_file(psy_payers *ps, const char *path, char *err, size_t errlen);

size_t psy_payers_count(const psy_payers *ps);
const char *psy_payers_id(const psy_payers *ps, size_t i);   /* NULL past the end */
const char *psy_payers_name(const psy_payers *ps, size_t i); /* NULL past the end */

void psy_payers_free(psy_payers *ps);

#endif
