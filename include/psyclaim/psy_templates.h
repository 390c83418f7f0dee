/*
 * psy_templates.h -- note templates: the headings and prompts a clinician writes a session note under
 * (SOAP, DAP, BIRP, a group template ...). A template maps each of its sections to one part of the note
 * kind it is for (an individual note's techniques, response, progress and plan; a group note's theme,
 * techniques, dynamics and factors; a member note's participation, response, progress and plan), and
 * covers every part, so a note written under it can be signed and audited like any other.
 *
 * The built-in templates are data/notes/NAME.json; a practice adds its own as *.json files in a directory
 * (docs/records.md, "Note templates"). A practice template with a built-in's id replaces it.
 */
#ifndef PSY_TEMPLATES_H
#define PSY_TEMPLATES_H

#include <stddef.h>
#include "psyclaim.h"

/* Checks one template (JSON text). PSY_OK, or PSY_EINVAL with err naming the field
 * ("notes.individual[2].part: ..."). */
psy_status psy_note_template_check(const char *json, size_t len, char *err, size_t errlen);

/* Every template, the built-in ones and then those in dir (NULL or "": none), as the JSON text
 * {"templates": [...]} sorted by id (free *out). A file that is not a valid template fails the whole
 * call with PSY_EINVAL and err naming the file and field, so a typo is seen at start, not at a bedside. */
psy_status psy_note_templates_json(const char *dir, char **out, char *err, size_t errlen);

#endif
