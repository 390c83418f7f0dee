/*
 * billing_export.c -- claims leaving: the practice's control-number counters, the 837P batch of a payer's
 * ready claims (kept whole in the database with the claims it submits, written to a file only from that
 * stored copy), and the CMS-1500 of a stored claim.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "psy_db.h"
#include "billing_int.h"

/* --- control numbers --------------------------------------------------------------------------- */

psy_status psy_billing_control_next(psy_store *st, psy_id practice, int kind, unsigned long *out)
{
    psy_status rc = psy__store_begin(st);
    if (rc) return rc;
    psy__stmt *s = psy__db_stmt(st,
                                "INSERT INTO control_number (practice_id, kind, last_value) VALUES (?, ?, 0) "
                                "ON CONFLICT (practice_id, kind) DO NOTHING",
                                PSY_ARGS(PSY_INT(practice), PSY_INT(kind)));
    int r = PSY_SQL_ERROR;
    if (s) {
        r = psy__sql_step(s);
        psy__sql_finalize(s);
    }
    s = r == PSY_SQL_DONE ? psy__db_stmt(st,
                                         "UPDATE control_number SET last_value = CASE WHEN last_value >= "
                                         "999999999 THEN 1 ELSE last_value + 1 END WHERE practice_id = ? "
                                         "AND kind = ? RETURNING last_value",
                                         PSY_ARGS(PSY_INT(practice), PSY_INT(kind)))
                          : NULL;
    if (!s) {
        rc = psy__store_dbfail(st, "control_number");
        psy__store_rollback(st);
        return rc;
    }
    r = psy__sql_step(s);
    if (r == PSY_SQL_ROW) *out = (unsigned long)psy__sql_int64(s, 0);
    if (r == PSY_SQL_ROW) r = psy__sql_step(s);
    psy__sql_finalize(s);
    if (r != PSY_SQL_DONE) {
        rc = psy__store_dbfail(st, "control_number");
        psy__store_rollback(st);
        return rc;
    }
    return psy__store_commit(st);
}

struct control_ctx {
    psy_store *st;
    psy_id practice;
    unsigned long last[3]; /* the last number drawn of each kind: ISA13, GS06, ST02 of the batch */
};

static psy_status next_control(void *ud, psy_x12_control kind, unsigned long *out)
{
    struct control_ctx *c = ud;
    psy_status rc = psy_billing_control_next(c->st, c->practice, (int)kind, out);
    if (!rc && (unsigned)kind < 3) c->last[kind] = *out;
    return rc;
}

/* --- 837P export --------------------------------------------------------------------------------- */

/* Keeps an 837P batch: its bytes, control numbers, payer and claims. */
static psy_status store_batch(psy_store *st, psy_id practice, const struct psy__loaded *first, const struct control_ctx *cc,
                              const char *bytes, size_t len, const psy_id *ids, size_t n, psy_id *batch)
{
    char now[PSY_REC_TIME_MAX], st02[16];
    psy__billing_now(now);
    snprintf(st02, sizeof st02, "%04lu", cc->last[2]);
    char *text = psy__malloc(len + 1);
    memcpy(text, bytes, len);
    text[len] = 0;
    psy__stmt *s =
        psy__db_stmt(st,
                     "INSERT INTO claim_batch (practice_id, payer_id, payer_code, isa13, gs06, st02, "
                     "n_claims, bytes, created_at) SELECT ?, c.payer_id, p.payer_code, ?, ?, ?, ?, ?, ? "
                     "FROM claim c JOIN payer p ON p.id = c.payer_id WHERE c.id = ? RETURNING id",
                     PSY_ARGS(PSY_INT(practice), PSY_INT((int64_t)cc->last[0]), PSY_INT((int64_t)cc->last[1]),
                              PSY_TEXT(st02), PSY_INT((int64_t)n), PSY_TEXT(text), PSY_TEXT(now), PSY_INT(first->id)));
    if (!s) {
        free(text);
        return psy__store_dbfail(st, "claim_batch");
    }
    int64_t id = 0;
    psy_status rc = psy__sql_insert_id(st, s, &id);
    psy__sql_finalize(s);
    free(text);
    if (rc) return psy__store_dbfail(st, "claim_batch");
    for (size_t i = 0; i < n; i++) {
        s = psy__db_stmt(st, "INSERT INTO claim_batch_claim (batch_id, claim_id) VALUES (?, ?)",
                         PSY_ARGS(PSY_INT(id), PSY_INT(ids[i])));
        if (!s) return psy__store_dbfail(st, "claim_batch_claim");
        int r = psy__sql_step(s);
        psy__sql_finalize(s);
        if (r != PSY_SQL_DONE) return psy__store_dbfail(st, "claim_batch_claim");
    }
    if (batch) *batch = id;
    return PSY_OK;
}

psy_status psy_billing_export_batch(psy_store *st, psy_id practice, psy_id payer, const char *payer_code, char **out,
                                    size_t *len, size_t *n_claims, psy_id *batch, char *err, size_t errlen)
{
    return psy_billing_export_late(st, practice, payer, payer_code, NULL, out, len, n_claims, batch, err, errlen);
}

psy_status psy_billing_export_late(psy_store *st, psy_id practice, psy_id payer, const char *payer_code,
                                   const char *late_reason, char **out, size_t *len, size_t *n_claims, psy_id *batch,
                                   char *err, size_t errlen)
{
    *out = NULL;
    if (batch) *batch = 0;
    *len = 0;
    *n_claims = 0;
    if (err && errlen) err[0] = 0;
    /* One transaction from choosing the ready claims to marking them submitted, under a lock per
     * practice: two exports running at once (two servers, two billers) never put a claim into two
     * files, and control numbers drawn for a file that fails go back with the rollback. */
    psy_status rc = psy__store_begin(st);
    if (rc) return rc;
    if ((rc = psy__store_lock(st, PSY__LOCK_EXPORT ^ (int64_t)practice))) {
        psy__store_rollback(st);
        return rc;
    }
    psy__stmt *s = psy__db_stmt(st,
                                "SELECT c.id FROM claim c JOIN payer p ON p.id = c.payer_id WHERE "
                                "c.practice_id = ? AND c.status = 'ready' AND (c.payer_id = ? OR "
                                "p.payer_code = CAST(? AS TEXT)) ORDER BY c.id",
                                PSY_ARGS(PSY_INT(practice), PSY_INT(payer),
                                         PSY_TEXT(payer        ? ""
                                                  : payer_code ? payer_code
                                                               : "")));
    if (!s) {
        rc = psy__store_dbfail(st, "claim");
        psy__store_rollback(st);
        return rc;
    }
    psy_id *ids = NULL;
    size_t n = 0, cap = 0;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW && n < PSY_CLAIM_MAX_PER_BATCH) {
        if (n == cap) ids = psy__realloc(ids, (cap = cap ? 2 * cap : 16) * sizeof *ids);
        ids[n++] = psy__sql_int64(s, 0);
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) {
        free(ids);
        rc = psy__store_dbfail(st, "claim");
        psy__store_rollback(st);
        return rc;
    }
    struct psy__loaded *L = n ? psy__calloc(n, sizeof *L) : NULL;
    struct psy_claim *claims = n ? psy__calloc(n, sizeof *claims) : NULL;
    void *tf = psy__billing_timely_cache();
    char gate[400];
    for (size_t i = 0; !rc && i < n; i++) {
        rc = psy__billing_load(st, practice, ids[i], &L[i]);
        claims[i] = L[i].c;
        gate[0] = 0;
        if (!rc && (rc = psy__billing_timely_gate(st, practice, &L[i], late_reason, tf, gate, sizeof gate)) && err &&
            errlen)
            snprintf(err, errlen, "%s", gate[0] ? gate : psy_store_errmsg(st));
    }
    psy__billing_timely_cache_free(tf);
    if (!rc && n) {
        struct psy_claim_batch b;
        psy__billing_batch(&L[0], &b, claims, n);
        struct control_ctx cc = {st, practice, {0, 0, 0}};
        struct psy_x12_write_opts o = {.next_control = next_control, .control_ud = &cc};
        rc = psy_x12_837_write(&b, &o, out, len, err, errlen);
        if (rc) psy__store_fail(st, rc, "%s", err ? err : "837P");
        /* the batch is kept whole in the same transaction that submits its claims: a file that then
         * fails to be written can always be fetched again, and no claim is submitted outside a batch */
        if (!rc) rc = store_batch(st, practice, &L[0], &cc, *out, *len, ids, n, batch);
    }
    for (size_t i = 0; !rc && i < n; i++)
        rc = psy_billing_transition(st, practice, ids[i], PSY_CLAIM_SUBMITTED, "written into an 837P batch");
    if (!rc) rc = psy__store_commit(st);
    else psy__store_rollback(st);
    if (rc) {
        free(*out);
        *out = NULL;
        *len = 0;
    } else {
        *n_claims = n;
    }
    free(claims);
    psy__billing_loaded_free(L, n);
    free(ids);
    return rc;
}

psy_status psy_billing_export(psy_store *st, psy_id practice, psy_id payer, const char *payer_code, char **out,
                              size_t *len, size_t *n_claims, char *err, size_t errlen)
{
    return psy_billing_export_batch(st, practice, payer, payer_code, out, len, n_claims, NULL, err, errlen);
}

#define BATCH_COLS                                                                                                     \
    "SELECT id, payer_id, payer_code, isa13, gs06, st02, n_claims, length(bytes), created_at, written_to, written_at " \
    "FROM claim_batch"

/* Reads the batches of the query q (BATCH_COLS and its conditions) into *out, *n. */
static psy_status batch_rows(psy_store *st, const struct psy__query *q, struct psy_billing_batch **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    psy__stmt *s = psy__db_stmt(st, q->sql.p, q->args, q->n);
    if (!s) return psy__store_dbfail(st, "claim_batch");
    size_t cap = 0;
    int r;
    while ((r = psy__sql_step(s)) == PSY_SQL_ROW) {
        if (*n == cap) *out = psy__realloc(*out, (cap = cap ? 2 * cap : 16) * sizeof **out);
        struct psy_billing_batch *b = &(*out)[(*n)++];
        memset(b, 0, sizeof *b);
        b->id = psy__sql_int64(s, 0);
        b->payer_id = psy__sql_int64(s, 1);
        snprintf(b->payer_code, sizeof b->payer_code, "%s", psy__sql_text(s, 2));
        b->isa13 = (unsigned long)psy__sql_int64(s, 3);
        b->gs06 = (unsigned long)psy__sql_int64(s, 4);
        snprintf(b->st02, sizeof b->st02, "%s", psy__sql_text(s, 5));
        b->n_claims = (long)psy__sql_int64(s, 6);
        b->bytes = (size_t)psy__sql_int64(s, 7);
        snprintf(b->created_at, sizeof b->created_at, "%s", psy__sql_text(s, 8));
        snprintf(b->written_to, sizeof b->written_to, "%s", psy__sql_text(s, 9));
        snprintf(b->written_at, sizeof b->written_at, "%s", psy__sql_text(s, 10));
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) {
        free(*out);
        *out = NULL;
        *n = 0;
        return psy__store_dbfail(st, "claim_batch");
    }
    return PSY_OK;
}

psy_status psy_billing_batch_list(psy_store *st, psy_id practice, struct psy_billing_batch **out, size_t *n)
{
    struct psy__query q;
    psy__query_init(&q, BATCH_COLS, PSY_NOARGS);
    psy__query_where(&q, "practice_id = ?", PSY_INT(practice));
    psy__query_sql(&q, " ORDER BY id DESC");
    psy_status rc = batch_rows(st, &q, out, n);
    psy__query_free(&q);
    return rc;
}

psy_status psy_billing_batch_page(psy_store *st, psy_id practice, const char *payer, struct psy_page *pg,
                                  struct psy_billing_batch **out, size_t *n)
{
    struct psy__query q;
    *out = NULL;
    *n = 0;
    for (int count = 1; count >= 0; count--) {
        psy__query_init(&q, count ? "SELECT count(*) FROM claim_batch" : BATCH_COLS, PSY_NOARGS);
        psy__query_where(&q, "practice_id = ?", PSY_INT(practice));
        if (payer && *payer) psy__query_where(&q, "payer_code = ?", PSY_TEXT(payer));
        psy_status rc = count ? psy__page_total(st, pg, &q) : psy__page_after(st, &q, pg, NULL, "id", 1);
        if (!rc && !count) {
            psy__page_order(&q, pg, NULL, "id", 1);
            rc = batch_rows(st, &q, out, n);
        }
        psy__query_free(&q);
        if (rc) return rc;
    }
    size_t lim = (size_t)psy__page_limit(pg);
    *n = psy__page_done(pg, *n, NULL, *n > lim ? (*out)[lim - 1].id : 0);
    return PSY_OK;
}

psy_status psy_billing_batch_get(psy_store *st, psy_id practice, psy_id batch, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    psy__stmt *s = psy__db_stmt(st, "SELECT bytes FROM claim_batch WHERE practice_id = ? AND id = ?",
                                PSY_ARGS(PSY_INT(practice), PSY_INT(batch)));
    if (!s) return psy__store_dbfail(st, "claim_batch");
    int r = psy__sql_step(s);
    if (r == PSY_SQL_ROW) {
        const char *t = psy__sql_text(s, 0);
        *len = strlen(t);
        *out = psy__malloc(*len + 1);
        memcpy(*out, t, *len + 1);
    }
    psy__sql_finalize(s);
    if (r == PSY_SQL_ERROR) return psy__store_dbfail(st, "claim_batch");
    if (r != PSY_SQL_ROW) return psy__store_fail(st, PSY_ENOTFOUND, "batch: no batch %lld", (long long)batch);
    return PSY_OK;
}

/* Writes len bytes to path so that after a crash the path holds either its old content or all of
 * the new: a temporary file in the same directory, fsync, rename over path, fsync of the directory. */
static psy_status write_durable(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    size_t pl = strlen(path);
    char *tmp = psy__malloc(pl + 16);
    snprintf(tmp, pl + 16, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a file next to %s: %s", path, strerror(errno));
        free(tmp);
        return PSY_EIO;
    }
    const char *what = NULL;
    for (size_t off = 0; !what && off < len;) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) what = "write";
        else off += (size_t)w;
    }
    if (!what && fchmod(fd, 0644)) what = "chmod";
    if (!what && fsync(fd)) what = "fsync";
    int e = errno;
    if (close(fd) && !what) what = "close", e = errno;
    if (!what && rename(tmp, path)) what = "rename", e = errno;
    if (what) {
        snprintf(err, errlen, "cannot write %s (%s): %s", path, what, strerror(e));
        unlink(tmp);
        free(tmp);
        return PSY_EIO;
    }
    free(tmp);
    char *dir = psy__malloc(pl + 2);
    memcpy(dir, path, pl + 1);
    char *slash = strrchr(dir, '/');
    if (slash == dir) dir[1] = 0;
    else if (slash) *slash = 0;
    else memcpy(dir, ".", 2);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd); /* best effort: some file systems refuse fsync on a directory */
        close(dfd);
    }
    free(dir);
    return PSY_OK;
}

psy_status psy_billing_batch_write(psy_store *st, psy_id practice, psy_id batch, const char *path, char *err,
                                   size_t errlen)
{
    char *data;
    size_t len;
    psy_status rc = psy_billing_batch_get(st, practice, batch, &data, &len);
    if (rc) {
        snprintf(err, errlen, "%s", psy_store_errmsg(st));
        return rc;
    }
    rc = write_durable(path, data, len, err, errlen);
    free(data);
    if (rc) return rc;
    char now[PSY_REC_TIME_MAX];
    psy__billing_now(now);
    psy__stmt *s =
        psy__db_stmt(st, "UPDATE claim_batch SET written_to = ?, written_at = ? WHERE practice_id = ? AND id = ?",
                     PSY_ARGS(PSY_TEXT(path), PSY_TEXT(now), PSY_INT(practice), PSY_INT(batch)));
    int r = PSY_SQL_ERROR;
    if (s) {
        r = psy__sql_step(s);
        psy__sql_finalize(s);
    }
    if (r != PSY_SQL_DONE) { /* the file is there; only the note of it is missing */
        snprintf(err, errlen, "%s", psy_store_errmsg(st));
        return psy__store_dbfail(st, "claim_batch");
    }
    return PSY_OK;
}

/* --- CMS-1500 ------------------------------------------------------------------------------------ */

psy_status psy_billing_cms1500(psy_store *st, psy_id practice, const char *claim_number, char **out, size_t *len,
                               char *err, size_t errlen)
{
    psy_id id = 0;
    psy_status rc = psy__billing_claim_by_number(st, practice, claim_number, &id);
    if (rc == PSY_ENOTFOUND) {
        snprintf(err, errlen, "claim: no claim numbered %s", claim_number);
        return rc;
    }
    if (rc) {
        snprintf(err, errlen, "%s", psy_store_errmsg(st));
        return rc;
    }
    struct psy__loaded *L = psy__calloc(1, sizeof *L);
    if ((rc = psy__billing_load(st, practice, id, L))) {
        snprintf(err, errlen, "%s", psy_store_errmsg(st));
    } else {
        struct psy_claim_batch b;
        psy__billing_batch(L, &b, &L->c, 1);
        struct psy_cms1500_opts o = {1, L->today};
        rc = psy_pdf_cms1500(&L->c, &L->billing, &o, out, len, err, errlen);
    }
    psy__billing_loaded_free(L, 1);
    return rc;
}
