/*
 * api_visits.h -- helpers of api_visits.c that the session handlers (api_sessions.c) use for sessions of
 * every kind: the parts of each note kind, a draft's kind-specific fields, coding a draft, comparing its
 * notes with the client's earlier notes.
 */
#ifndef PSY_API_VISITS_H
#define PSY_API_VISITS_H

#include "srv_int.h"

int api_visit_group_kind(const char *kind);
/* The text parts of a note kind (group, member, individual), NULL-terminated. */
const char *const *api_note_parts(const char *note_kind);
/* Where a part's text lives in a note; NULL when no such part. */
char **api_note_slot(struct psy_note *n, const char *part);
/* Applies a draft's kind-specific fields to s; replies 422 naming the field and returns -1 when wrong. */
int api_visit_apply(struct srv_req *r, struct psy_session *s, json_t *draft);
/* Adds the kind-specific fields of s to its JSON. */
void api_visit_fields(const struct psy_session *s, json_t *j);
/* {lines, findings, total_cents}: the coding engine's answer for each billable member of the draft. */
json_t *api_visit_coding(struct srv_req *r, const struct psy_session *s, json_t *draft);
/* R-DOC-CLONE warnings for the draft's client notes that repeat that client's earlier notes. */
void api_visit_clone_checks(struct srv_req *r, const struct psy_session *s, json_t *draft, json_t *out);
/* Replies 201 with the new session as GET answers it. */
void api_session_reply_created(struct srv_req *r, psy_id id);

#endif
