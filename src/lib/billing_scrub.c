/*
 * billing_scrub.c -- the scrubber that decides whether a stored claim may leave (the coding engine's and
 * the records audit's findings, payer and policy checks), and the chunked transactions in which a build
 * or a scrub of every open claim commits its work (each chunk's claims scrubbed before it commits).
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "psy_db.h"
#include "billing_int.h"


/* --- scrubber ----------------------------------------------------------------------------------- */

static void finding_add(json_t *arr, const char *sev, const char *rule, const char *field, const char *msg,
                        const char *source)
{
    json_array_append_new(arr, psy__billing_finding(sev, rule, field, msg, source));
}

/* The sessions behind a claim (distinct, at most cap). */
static size_t claim_sessions(psy_store *st, psy_id claim, psy_id *out, size_t cap)
{
    size_t n = 0;
    psy__stmt *s =
        psy__db_stmt(st, "SELECT DISTINCT session_id FROM claim_line WHERE claim_id = ?", PSY_ARGS(PSY_INT(claim)));
    if (!s) return 0;
    while (n < cap && psy__sql_step(s) == PSY_SQL_ROW) out[n++] = psy__sql_int64(s, 0);
    psy__sql_finalize(s);
    return n;
}

/* The session an audit finding concerns (0 when none); *client the one member an attendance finding
 * concerns (0: every claim of the session). */
static psy_id finding_session(psy_store *st, const struct psy_audit_finding *f, psy_id *client)
{
    *client = 0;
    if (!strcmp(f->record_type, "session")) return f->record_id;
    if (!strcmp(f->record_type, "attendance")) {
        psy__stmt *s = psy__db_stmt(st, "SELECT session_id, client_id FROM attendance WHERE id = ?",
                                    PSY_ARGS(PSY_INT(f->record_id)));
        if (!s) return 0;
        psy_id id = 0;
        if (psy__sql_step(s) == PSY_SQL_ROW) {
            id = psy__sql_int64(s, 0);
            *client = psy__sql_int64(s, 1);
        }
        psy__sql_finalize(s);
        return id;
    }
    const char *sql = !strcmp(f->record_type, "attendance") ? "SELECT session_id FROM attendance WHERE id = ?"
                      : !strcmp(f->record_type, "note")     ? "SELECT session_id FROM note WHERE id = ?"
                                                            : NULL;
    if (!sql) return 0;
    psy__stmt *s = psy__db_stmt(st, sql, PSY_ARGS(PSY_INT(f->record_id)));
    if (!s) return 0;
    psy_id id = psy__sql_step(s) == PSY_SQL_ROW ? psy__sql_int64(s, 0) : 0;
    psy__sql_finalize(s);
    return id;
}

/* The audit's findings per service date, kept while one build scrubs many claims. */
struct audit_day {
    char date[PSY_DATE_MAX];
    struct psy_audit_finding *af;
    size_t n;
};
struct audit_cache {
    struct audit_day *days;
    size_t n, cap;
    const psy_coder *cx; /* the NCCI tables for the day check (billing_day.c) */
    psy_coder *own;      /* opened here when the caller gave none */
};

static void audit_cache_free(struct audit_cache *c)
{
    psy_coding_close(c->own);
    for (size_t i = 0; i < c->n; i++) free(c->days[i].af);
    free(c->days);
}

/* The audit's findings for one date, from the cache when it has them (cache NULL: computed, and the
 * caller frees *af). */
static psy_status audit_day(psy_store *st, psy_id practice, const char *iso, struct audit_cache *c,
                            struct psy_audit_finding **af, size_t *n)
{
    for (size_t i = c ? c->n : 0; i-- > 0;) /* the latest days first: claims come roughly by date */
        if (!strcmp(c->days[i].date, iso)) {
            *af = c->days[i].af;
            *n = c->days[i].n;
            return PSY_OK;
        }
    struct psy_audit_opts ao = {iso, iso, NULL, 0};
    psy_status rc = psy_audit_collect(st, practice, &ao, af, n);
    if (rc || !c) return rc;
    if (c->n == c->cap) c->days = psy__realloc(c->days, (c->cap = c->cap ? 2 * c->cap : 16) * sizeof *c->days);
    struct audit_day *d = &c->days[c->n++];
    snprintf(d->date, sizeof d->date, "%s", iso);
    d->af = *af;
    d->n = *n;
    return PSY_OK;
}

/* ready (may be NULL) says whether the claim ended ready (1) or draft (0). */
static psy_status scrub(psy_store *st, psy_id practice, psy_id claim, struct audit_cache *cache, int *ready)
{
    struct psy__loaded *L = psy__calloc(1, sizeof *L);
    psy_status rc = psy__billing_load(st, practice, claim, L);
    if (rc) goto out;
    if (L->c.state != PSY_CLAIM_DRAFT && L->c.state != PSY_CLAIM_READY) {
        rc = psy__store_fail(st, PSY_EPERM, "status: claim %s is %s; only draft and ready claims are scrubbed",
                             L->number, psy_claim_state_name(L->c.state));
        goto out;
    }
    json_t *arr = json_array();
    /* the coding findings recorded when the lines were built */
    psy__stmt *s = psy__db_stmt(st, "SELECT findings FROM claim WHERE id = ?", PSY_ARGS(PSY_INT(claim)));
    if (s) {
        if (psy__sql_step(s) == PSY_SQL_ROW) {
            json_t *old = json_loads(psy__sql_text(s, 0), 0, NULL);
            size_t i;
            json_t *v;
            json_array_foreach(old, i, v) {
                const char *src = json_string_value(json_object_get(v, "source"));
                if (src && !strcmp(src, "coding")) json_array_append(arr, v);
            }
            json_decref(old);
        }
        psy__sql_finalize(s);
    }
    /* the audit's findings for the sessions behind the claim */
    psy_id sess[PSY_CLAIM_MAX_LINES];
    size_t ns = claim_sessions(st, claim, sess, PSY_CLAIM_MAX_LINES);
    char iso[PSY_DATE_MAX];
    snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", L->date, L->date + 4, L->date + 6);
    struct psy_audit_finding *af = NULL;
    size_t naf = 0;
    if ((rc = audit_day(st, practice, iso, cache, &af, &naf))) {
        json_decref(arr);
        goto out;
    }
    for (size_t i = 0; i < naf; i++) {
        psy_id member;
        psy_id sid = finding_session(st, &af[i], &member);
        if (member && member != L->client.id) continue; /* another member's claim carries it */
        for (size_t k = 0; k < ns; k++)
            if (sid && sid == sess[k]) {
                char field[64];
                snprintf(field, sizeof field, "%s[%lld]", af[i].record_type, (long long)af[i].record_id);
                finding_add(arr, af[i].severity == PSY_AUDIT_ERROR ? "error" : "warning", af[i].rule, field,
                            af[i].message, "audit");
                break;
            }
    }
    if (!cache) free(af);
    /* the client's whole date of service under this payer and clinician (billing_day.c) */
    struct audit_cache one = {0};
    struct audit_cache *cc = cache ? cache : &one;
    if (!cc->cx) {
        char err[200];
        if (psy_coding_open(st, &cc->own, err, sizeof err)) rc = psy__store_fail(st, PSY_EDB, "ncci: %s", err);
        cc->cx = cc->own;
    }
    if (!rc) rc = psy__scrub_day(st, cc->cx, practice, claim, arr);
    if (!cache) audit_cache_free(&one);
    if (rc) {
        json_decref(arr);
        goto out;
    }
    /* IMP: R-COB-4 -- the earlier payer's adjudication this claim carries was taken back */
    if (L->cob_missing) {
        char num[PSY_CLAIM_ID_MAX + 1] = "", msg[240];
        psy__db_text(st, num, sizeof num, "SELECT claim_number FROM claim WHERE id = ?",
                     PSY_ARGS(PSY_INT(L->cob_missing)));
        snprintf(msg, sizeof msg, "the earlier payer's payment of claim %s was reversed (835 CLP02 22) and no new "
                 "adjudication of it is posted: this claim waits for it", num);
        finding_add(arr, "error", "R-COB-4", "cob_from", msg, "billing");
    }
    /* the 837P rules */
    struct psy_claim_batch b;
    psy__billing_batch(L, &b, &L->c, 1);
    struct psy_claim_finding pf[32];
    size_t npf = 0;
    psy_x12_837_preflight(&b, pf, 32, &npf);
    for (size_t i = 0; i < npf && i < 32; i++)
        finding_add(arr, pf[i].severity == PSY_FINDING_ERROR ? "error" : "warning", pf[i].rule, pf[i].field,
                    pf[i].message, "837p");
    int errors = 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) errors += !strcmp(json_string_value(json_object_get(v, "severity")), "error");
    char *text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    char now[PSY_REC_TIME_MAX];
    psy__billing_now(now);
    s = psy__db_stmt(st, "UPDATE claim SET findings = ?, scrubbed_at = ? WHERE id = ?",
                     PSY_ARGS(PSY_TEXT(text), PSY_TEXT(now), PSY_INT(claim)));
    if (!s) {
        free(text);
        rc = psy__store_dbfail(st, "claim");
        goto out;
    }
    int r = psy__sql_step(s);
    psy__sql_finalize(s);
    free(text);
    if (r != PSY_SQL_DONE) {
        rc = psy__store_dbfail(st, "claim");
        goto out;
    }
    if (!errors && L->c.state == PSY_CLAIM_DRAFT)
        rc = psy_billing_transition(st, practice, claim, PSY_CLAIM_READY, "the scrubber found no errors");
    else if (errors && L->c.state == PSY_CLAIM_READY)
        rc = psy_billing_transition(st, practice, claim, PSY_CLAIM_DRAFT, "the scrubber found errors");
    if (ready) *ready = !errors;
out:
    psy__billing_loaded_free(L, 1);
    return rc;
}

psy_status psy_billing_scrub(psy_store *st, psy_id practice, psy_id claim)
{
    return scrub(st, practice, claim, NULL, NULL);
}

/* --- assembly ----------------------------------------------------------------------------------- */

/* A transaction that is committed and begun again every psy__billing_chunk_items steps (later while the
 * caller holds it: a build ends a chunk only at a change of date, so a claim's members are never split
 * between two chunks and it is scrubbed once, with all its lines); the claims its steps
 * touched are scrubbed in that same transaction, just before it commits, so a claim is never committed
 * built but unchecked (an interrupted build leaves nothing for a person to find by hand). Inside a
 * caller's own transaction it commits nothing: the caller decides when its work becomes durable. */
int psy__billing_chunk_items = 256;
void (*psy__billing_chunk_hook)(void);

void psy__chunk_touch(struct psy__chunk *c, psy_id claim)
{
    if (c->n == c->cap) c->t = psy__realloc(c->t, (c->cap = c->cap ? 2 * c->cap : 64) * sizeof *c->t);
    c->t[c->n] = (struct psy__touched){claim, c->n, 0};
    c->n++;
}

static int cmp_touched(const void *a, const void *b)
{
    const struct psy__touched *x = a, *y = b;
    return x->id != y->id ? (x->id < y->id ? -1 : 1) : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* Scrubs the claims touched since the last flush (each once, in id order, a savepoint each). */
static psy_status chunk_scrub(struct psy__chunk *c)
{
    size_t k = c->n - c->from;
    if (!k) return PSY_OK;
    struct psy__touched *p = c->t + c->from;
    qsort(p, k, sizeof *p, cmp_touched);
    struct audit_cache local = {.cx = c->cx}, *cache = c->keep ? c->keep : &local;
    psy_status rc = PSY_OK;
    for (size_t i = 0; !rc && i < k; i++) {
        if (i && p[i].id == p[i - 1].id) {
            p[i].ok = p[i - 1].ok;
            continue;
        }
        int ok = 0;
        if ((rc = psy__store_begin(c->st))) break;
        if ((rc = scrub(c->st, c->practice, p[i].id, cache, &ok))) psy__store_rollback(c->st);
        else rc = psy__store_commit(c->st);
        p[i].ok = ok;
    }
    audit_cache_free(&local);
    if (!rc) c->from = c->n;
    return rc;
}

/* Scrubs what the open transaction touched and commits it. */
static psy_status chunk_flush(struct psy__chunk *c)
{
    psy_status rc = chunk_scrub(c);
    if (c->open <= 0) return rc;
    c->open = 0;
    /* a failed scrub leaves its claims unscrubbed ('' in scrubbed_at); what was built is kept and the
     * next build scrubs them */
    psy_status crc = psy__store_commit(c->st);
    if (!crc && psy__billing_chunk_hook) psy__billing_chunk_hook();
    return rc ? rc : crc;
}

psy_status psy__chunk_step(struct psy__chunk *c)
{
    if (c->open < 0) return PSY_OK;
    if (c->open == 0 && psy__store_in_transaction(c->st)) {
        c->open = -1;
        return PSY_OK;
    }
    if (c->open >= psy__billing_chunk_items && !c->hold) {
        psy_status rc = chunk_flush(c);
        if (rc) return rc;
    }
    if (c->open == 0) {
        psy_status rc = psy__store_begin(c->st);
        if (rc) return rc;
    }
    c->open++;
    return PSY_OK;
}

/* Scrubs and commits what the chunk holds (the items that failed rolled back their own savepoints),
 * counts the verdicts of every claim touched (its last scrub's) and frees the list. */
psy_status psy__chunk_end(struct psy__chunk *c, psy_status rc, long *ready, long *draft)
{
    psy_status frc = rc ? PSY_OK : chunk_scrub(c);
    if (c->open > 0) {
        c->open = 0;
        psy_status crc = psy__store_commit(c->st);
        if (!frc) frc = crc;
    }
    if (!rc) rc = frc;
    if (!rc && c->n) {
        qsort(c->t, c->n, sizeof *c->t, cmp_touched);
        for (size_t i = 0; i < c->n; i++)
            if (i + 1 == c->n || c->t[i + 1].id != c->t[i].id) {
                if (c->t[i].ok) (*ready)++;
                else (*draft)++;
            }
    }
    free(c->t);
    c->t = NULL;
    c->n = c->cap = c->from = 0;
    return rc;
}

/* Scrubs the claims of ids, committing in chunks, and counts the verdicts (cx: the NCCI tables, or NULL). */
static psy_status scrub_many(psy_store *st, const psy_coder *cx, psy_id practice, const psy_id *ids, size_t n,
                             long *ready, long *draft)
{
    /* One audit per date of service for the whole call, and the NCCI tables opened once: a date's claims
     * span several transactions, and each transaction audited the date again. The audit reads the records
     * (sessions, notes, plans, policies), never a claim, so what the scrub writes cannot change it; a
     * record changed by someone else during the call counts from the next scrub, as it did for the
     * claims of one transaction. */
    struct audit_cache keep = {.cx = cx};
    struct psy__chunk ch = {.st = st, .cx = cx, .practice = practice, .keep = &keep};
    psy_status rc = PSY_OK;
    for (size_t i = 0; !rc && i < n; i++) {
        if ((rc = psy__chunk_step(&ch))) break;
        psy__chunk_touch(&ch, ids[i]);
    }
    rc = psy__chunk_end(&ch, rc, ready, draft);
    audit_cache_free(&keep);
    return rc;
}

/* The ids of the practice's claims matched by where (a condition on claim, one ? for the practice). */
psy_status psy__billing_claim_ids(psy_store *st, psy_id practice, const char *where, psy_id **ids, size_t *n)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT id FROM claim WHERE practice_id = ? AND %s ORDER BY id", where);
    *ids = NULL;
    *n = 0;
    psy__stmt *s = psy__db_stmt(st, sql, PSY_ARGS(PSY_INT(practice)));
    if (!s) return psy__store_dbfail(st, "claim");
    size_t cap = 0;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        if (*n == cap) *ids = psy__realloc(*ids, (cap = cap ? 2 * cap : 64) * sizeof **ids);
        (*ids)[(*n)++] = psy__sql_int64(s, 0);
    }
    psy__sql_finalize(s);
    if (r != PSY_SQL_ERROR) return PSY_OK;
    free(*ids);
    *ids = NULL;
    *n = 0;
    return psy__store_dbfail(st, "claim");
}

psy_status psy_billing_scrub_all(psy_store *st, psy_id practice, long *ready, long *draft)
{
    *ready = *draft = 0;
    int64_t open = 0;
    psy_status rc = psy__db_int(st, &open, "SELECT count(*) FROM claim WHERE practice_id = ? AND status IN ('draft', "
                                "'ready')", PSY_ARGS(PSY_INT(practice)));
    if (rc || !open) return rc;
    psy_coder *cx = NULL;
    char err[200];
    if (psy_coding_open(st, &cx, err, sizeof err)) return psy__store_fail(st, PSY_EDB, "ncci: %s", err);
    /* the plain originals a stretch of dates at a time (billing_bulk.c), the others claim by claim */
    psy_id *rest = NULL;
    size_t nrest = 0;
    long r2 = 0, d2 = 0;
    rc = psy__billing_rescrub(st, cx, practice, ready, draft, &rest, &nrest);
    if (!rc && nrest) rc = scrub_many(st, cx, practice, rest, nrest, &r2, &d2);
    free(rest);
    psy_coding_close(cx);
    if (rc) {
        *ready = *draft = 0;
        return rc;
    }
    *ready += r2;
    *draft += d2;
    psy__progress(st, "claims scrub", (long long)open, (long long)open);
    return PSY_OK;
}

/* --- listing ------------------------------------------------------------------------------------ */
