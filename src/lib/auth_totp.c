/*
 * auth_totp.c -- the optional second factor of sign-in: TOTP codes (RFC 6238 with HMAC-SHA1, 30-second
 * steps, 6 digits, by liboath), a user's secret from enrolment to confirmation, the practice's rule that
 * every user has one, and the QR picture (libqrencode) an authenticator app scans (table user_totp and
 * practice_security of migration 0007).
 *
 * A secret is shown once, while enrolling; it is never logged and no call returns it afterwards. A code
 * is taken at most once: the step it belongs to must come after the last step used.
 */
#include <liboath/oath.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "auth_int.h"
#include "psy_db.h"
#include "psy_int.h"

#define TOTP_STEP 30
#define TOTP_DIGITS 6

static int oath_ready(void)
{
    static int done; /* oath_init is idempotent and cheap; this only skips repeat calls */
    if (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
        if (oath_init() != OATH_OK) return -1;
        __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    }
    return 0;
}

psy_status psy_auth_totp_code(const unsigned char *secret, size_t len, long long t, int digits, char *out)
{
    if (!secret || !len || digits < 6 || digits > 8 || t < 0 || !out) return PSY_EINVAL;
    if (oath_ready()) return PSY_EIO;
    return oath_totp_generate((const char *)secret, len, (time_t)t, TOTP_STEP, 0, (unsigned)digits, out) == OATH_OK
               ? PSY_OK
               : PSY_EINVAL;
}

static void utc_now(char out[PSY_TIME_MAX])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, PSY_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A code is exactly TOTP_DIGITS digits (spaces people type between groups are dropped). */
static int clean_code(const char *in, char out[TOTP_DIGITS + 1])
{
    size_t n = 0;
    for (const char *p = in ? in : ""; *p; p++) {
        if (*p == ' ') continue;
        if (*p < '0' || *p > '9' || n == TOTP_DIGITS) return -1;
        out[n++] = *p;
    }
    out[n] = 0;
    return n == TOTP_DIGITS ? 0 : -1;
}

/* Reads the user's secret (confirmed or not, as asked). OUT *found 0 when there is none. */
static psy_status read_secret(psy_store *st, long long user_id, int confirmed, unsigned char key[PSY_TOTP_SECRET_BYTES],
                              long long *last_step, int *found)
{
    psy__stmt *s = psy__db_stmt(st,
                                confirmed ? "SELECT secret, last_step FROM user_totp WHERE user_id = ? "
                                            "AND confirmed_at IS NOT NULL"
                                          : "SELECT secret, last_step FROM user_totp WHERE user_id = ? "
                                            "AND confirmed_at IS NULL",
                                PSY_ARGS(PSY_INT(user_id)));
    if (!s) return psy__store_dbfail(st, "reading a second factor");
    int src = psy__sql_step(s);
    *found = 0;
    if (src == PSY_SQL_ROW) {
        size_t got = 0;
        const char *hex = psy__sql_text(s, 0);
        *found = sodium_hex2bin(key, PSY_TOTP_SECRET_BYTES, hex, strlen(hex), NULL, &got, NULL) == 0 &&
                 got == PSY_TOTP_SECRET_BYTES;
        *last_step = psy__sql_int64(s, 1);
    }
    psy__sql_finalize(s);
    return src == PSY_SQL_ERROR ? psy__store_dbfail(st, "reading a second factor") : PSY_OK;
}

/* The step of a code that fits the secret at now (one step either way); -1 when none does. */
static long long code_step(const unsigned char key[PSY_TOTP_SECRET_BYTES], const char *code, long long now)
{
    char c[TOTP_DIGITS + 1];
    if (clean_code(code, c) || oath_ready()) return -1;
    int pos = 0;
    uint64_t counter = 0;
    int rc = oath_totp_validate3((const char *)key, PSY_TOTP_SECRET_BYTES, (time_t)now, TOTP_STEP, 0, 1, &pos,
                                 &counter, c);
    return rc >= 0 ? (long long)counter : -1;
}

static psy_status take_step(psy_store *st, long long user_id, long long step, const char *confirm_sql)
{
    psy__stmt *s = psy__db_stmt(st, confirm_sql, PSY_ARGS(PSY_INT(step), PSY_INT(user_id)));
    if (!s) return psy__store_dbfail(st, "using a second factor");
    int rc = psy__sql_step(s);
    psy__sql_finalize(s);
    return rc == PSY_SQL_DONE ? PSY_OK : psy__store_dbfail(st, "using a second factor");
}

psy_status psy__totp_use(psy_store *st, long long user_id, const char *code, long long now, int *ok)
{
    unsigned char key[PSY_TOTP_SECRET_BYTES];
    long long last = 0;
    int found;
    *ok = 0;
    psy_status rc = read_secret(st, user_id, 1, key, &last, &found);
    long long step = !rc && found ? code_step(key, code, now) : -1;
    sodium_memzero(key, sizeof key);
    if (rc || step < 0 || step <= last) return rc; /* wrong, or that step's code was taken already */
    if ((rc = take_step(st, user_id, step, "UPDATE user_totp SET last_step = ? WHERE user_id = ?"))) return rc;
    *ok = 1;
    return PSY_OK;
}

psy_status psy_auth_totp_begin(psy_store *st, long long user_id, char secret_b32[PSY_TOTP_B32_MAX],
                               char uri[PSY_TOTP_URI_MAX])
{
    struct psy_user u;
    psy_status rc;
    if (sodium_init() < 0 || oath_ready()) return psy__store_fail(st, PSY_EIO, "the crypto libraries cannot start");
    if ((rc = psy_auth_user_get(st, user_id, &u))) return rc;
    if (u.totp) return psy__store_fail(st, PSY_ECONFLICT, "the user has a second factor already");
    unsigned char key[PSY_TOTP_SECRET_BYTES];
    char hex[2 * PSY_TOTP_SECRET_BYTES + 1], created[PSY_TIME_MAX], *b32 = NULL;
    size_t b32len = 0;
    randombytes_buf(key, sizeof key);
    sodium_bin2hex(hex, sizeof hex, key, sizeof key);
    int ok = oath_base32_encode((const char *)key, sizeof key, &b32, &b32len) == OATH_OK && b32len < PSY_TOTP_B32_MAX;
    sodium_memzero(key, sizeof key);
    if (!ok) {
        free(b32);
        sodium_memzero(hex, sizeof hex);
        return psy__store_fail(st, PSY_EIO, "cannot encode a secret");
    }
    memcpy(secret_b32, b32, b32len);
    secret_b32[b32len] = 0;
    sodium_memzero(b32, b32len);
    free(b32);
    /* the label is "psyclaim:NAME"; a user name's only character to escape is '@' */
    char label[3 * PSY_USERNAME_MAX];
    size_t k = 0;
    for (const char *p = u.username; *p && k + 4 < sizeof label; p++) {
        if (*p == '@') {
            memcpy(label + k, "%40", 3);
            k += 3;
        } else {
            label[k++] = *p;
        }
    }
    label[k] = 0;
    snprintf(uri, PSY_TOTP_URI_MAX, "otpauth://totp/psyclaim:%s?secret=%s&issuer=psyclaim&algorithm=SHA1&digits=%d"
                                    "&period=%d", label, secret_b32, TOTP_DIGITS, TOTP_STEP);
    utc_now(created);
    /* replace any enrolment begun before (a confirmed secret was refused above) */
    psy__stmt *s;
    if ((rc = psy__store_begin(st))) goto out;
    s = psy__db_stmt(st, "DELETE FROM user_totp WHERE user_id = ? AND confirmed_at IS NULL",
                     PSY_ARGS(PSY_INT(user_id)));
    if (!s) goto dbfail;
    int src = psy__sql_step(s);
    psy__sql_finalize(s);
    if (src != PSY_SQL_DONE) goto dbfail;
    s = psy__db_stmt(st, "INSERT INTO user_totp (user_id, secret, created_at) VALUES (?, ?, ?)",
                     PSY_ARGS(PSY_INT(user_id), PSY_TEXT(hex), PSY_TEXT(created)));
    if (!s) goto dbfail;
    src = psy__sql_step(s);
    psy__sql_finalize(s);
    if (src != PSY_SQL_DONE) goto dbfail;
    rc = psy__store_commit(st);
    goto out;
dbfail:
    rc = psy__store_dbfail(st, "starting a second factor");
    psy__store_rollback(st);
out:
    sodium_memzero(hex, sizeof hex);
    if (rc) {
        sodium_memzero(secret_b32, PSY_TOTP_B32_MAX);
        sodium_memzero(uri, PSY_TOTP_URI_MAX);
    }
    return rc;
}

psy_status psy_auth_totp_confirm(psy_store *st, long long user_id, const char *code, long long now)
{
    unsigned char key[PSY_TOTP_SECRET_BYTES];
    long long last = 0;
    int found;
    if (!now) now = (long long)time(NULL);
    psy_status rc = read_secret(st, user_id, 0, key, &last, &found);
    if (rc) return rc;
    if (!found) return psy__store_fail(st, PSY_ENOTFOUND, "no second factor is being set up");
    long long step = code_step(key, code, now);
    sodium_memzero(key, sizeof key);
    if (step < 0) return psy__store_fail(st, PSY_EINVAL, "code: not the code the app shows now");
    char at[PSY_TIME_MAX];
    utc_now(at);
    psy__stmt *s = psy__db_stmt(st,
                                "UPDATE user_totp SET last_step = ?, confirmed_at = ? WHERE user_id = ? "
                                "AND confirmed_at IS NULL",
                                PSY_ARGS(PSY_INT(step), PSY_TEXT(at), PSY_INT(user_id)));
    if (!s) return psy__store_dbfail(st, "confirming a second factor");
    int src = psy__sql_step(s);
    psy__sql_finalize(s);
    return src == PSY_SQL_DONE ? PSY_OK : psy__store_dbfail(st, "confirming a second factor");
}

psy_status psy_auth_totp_reset(psy_store *st, long long user_id)
{
    struct psy_user u;
    psy_status rc = psy_auth_user_get(st, user_id, &u);
    if (rc) return rc;
    if ((rc = psy__store_begin(st))) return rc;
    static const char *const sql[] = {"DELETE FROM user_totp WHERE user_id = ?", "DELETE FROM web_session WHERE user_id = ?"};
    for (size_t i = 0; i < 2; i++) {
        psy__stmt *s = psy__db_stmt(st, sql[i], PSY_ARGS(PSY_INT(user_id)));
        int src = s ? psy__sql_step(s) : PSY_SQL_ERROR;
        psy__sql_finalize(s);
        if (src != PSY_SQL_DONE) {
            rc = psy__store_dbfail(st, "removing a second factor");
            psy__store_rollback(st);
            return rc;
        }
    }
    return psy__store_commit(st);
}

psy_status psy_auth_totp_required(psy_store *st, long long practice_id, int *required)
{
    psy__stmt *s = psy__db_stmt(st,
                                "SELECT coalesce(max(require_totp), 0) FROM practice_security "
                                "WHERE practice_id = ?",
                                PSY_ARGS(PSY_INT(practice_id)));
    if (!s) return psy__store_dbfail(st, "reading the two-factor rule");
    int src = psy__sql_step(s);
    *required = src == PSY_SQL_ROW && psy__sql_int64(s, 0) > 0;
    psy__sql_finalize(s);
    return src == PSY_SQL_ROW ? PSY_OK : psy__store_dbfail(st, "reading the two-factor rule");
}

psy_status psy_auth_totp_require(psy_store *st, long long practice_id, int required)
{
    char at[PSY_TIME_MAX];
    utc_now(at);
    psy__stmt *s = psy__db_stmt(st,
                                "INSERT INTO practice_security (practice_id, require_totp, updated_at) "
                                "VALUES (?, ?, ?) ON CONFLICT (practice_id) DO UPDATE SET "
                                "require_totp = excluded.require_totp, updated_at = excluded.updated_at",
                                PSY_ARGS(PSY_INT(practice_id), PSY_INT(required ? 1 : 0), PSY_TEXT(at)));
    if (!s) return psy__store_dbfail(st, "setting the two-factor rule");
    int src = psy__sql_step(s);
    psy__sql_finalize(s);
    return src == PSY_SQL_DONE ? PSY_OK : psy__store_dbfail(st, "setting the two-factor rule");
}

psy_status psy_auth_qr_data_url(const char *text, char **url)
{
    *url = NULL;
    if (!text || !*text) return PSY_EINVAL;
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!qr) return PSY_EINVAL;
    int w = qr->width, quiet = 4, size = w + 2 * quiet;
    size_t cap = 256 + (size_t)w * (size_t)w * 24, n = 0;
    char *svg = malloc(cap);
    if (!svg) {
        QRcode_free(qr);
        return PSY_ENOMEM;
    }
    n += (size_t)snprintf(svg + n, cap - n, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                                            "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
                                            "fill=\"#fff\"/><path fill=\"#000\" d=\"", size, size, size, size);
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++)
            if (qr->data[y * w + x] & 1)
                n += (size_t)snprintf(svg + n, cap - n, "M%d %dh1v1h-1z", x + quiet, y + quiet);
    n += (size_t)snprintf(svg + n, cap - n, "\"/></svg>");
    QRcode_free(qr);
    static const char prefix[] = "data:image/svg+xml;base64,";
    size_t b64 = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(sizeof prefix + b64);
    if (!out) {
        free(svg);
        return PSY_ENOMEM;
    }
    memcpy(out, prefix, sizeof prefix - 1);
    sodium_bin2base64(out + sizeof prefix - 1, b64, (const unsigned char *)svg, n, sodium_base64_VARIANT_ORIGINAL);
    free(svg);
    *url = out;
    return PSY_OK;
}
