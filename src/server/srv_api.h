/*
 * srv_api.h -- helpers shared by the record, session, claim and report handlers (srv_api.c):
 * path ids, the clinician scope, audit events and the answers for library failures.
 */
#ifndef PSY_SRV_API_H
#define PSY_SRV_API_H

#include "srv_int.h"

/* The path parameter as a positive id; else replies 404 and returns -1. */
int api_id_param(struct srv_req *r, const char *name, psy_id *out);
/* 0 when the user's role reaches the whole practice for perm; else their clinician id (-1 when the user
 * is tied to no clinician, who then owns nothing). */
psy_id api_own_clinician(const struct srv_req *r, psy_perm perm);
/* The clients (group = 0) or groups (group = 1) the user may see under perm; on failure replies and
 * returns -1. */
int api_visible(struct srv_req *r, int group, psy_perm perm, psy_id **ids, size_t *n);
/* 1 when the user may see the client (group = 0) or group (group = 1) id. */
int api_may_see(struct srv_req *r, int group, psy_id id);
/* Writes an audit event for the record (id 0 = none); on failure replies and returns -1. */
int api_audit_rec(struct srv_req *r, const char *action, const char *type, psy_id id);
/* The group of the path's :id when the user may see it; else replies 404 and returns -1. */
int api_group_param(struct srv_req *r, psy_id *id, struct psy_group *g);
/* 0 when rc is PSY_OK; else replies (404 "no such WHAT" for PSY_ENOTFOUND) and returns -1. */
int api_found(struct srv_req *r, psy_status rc, const char *what);
/* Replies for a failed records write: 422 naming the field, 409 for a stale version, else the table. */
void api_reply_store(struct srv_req *r, psy_status rc);
json_t *api_client_brief(const struct psy_client *c);
#define PSY_TZ_MAX 65 /* struct psy_practice's time_zone */
/* The practice's time zone (an IANA name; "UTC" when its record has none), and today's date in it. */
void api_zone(struct srv_req *r, char out[PSY_TZ_MAX]);
/* Lists (docs/api.yaml, "Lists"): reads ?limit= (1-500, default 50) and ?cursor= into pg; replies 400
 * naming the parameter and returns -1 when one is malformed. */
int api_page(struct srv_req *r, struct psy_page *pg);
/* The answer of a list: {"items": items, "next_cursor": "..." or null, "total": n} and the members of
 * extra (may be NULL; taken). A list failing with PSY_EINVAL on its cursor answers 400 through
 * api_page_fail. */
void api_page_reply(struct srv_req *r, const struct psy_page *pg, json_t *items, json_t *extra);
/* The same with the items written as JSON text ("[...]", taken over); extra (may be NULL) is stolen. */
void api_page_reply_jw(struct srv_req *r, const struct psy_page *pg, struct srv_jw *items, json_t *extra);
void api_page_fail(struct srv_req *r, psy_status rc);
void api_today(struct srv_req *r, char out[PSY_DATE_MAX]);

#endif
