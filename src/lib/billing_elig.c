/*
 * billing_elig.c -- eligibility with the practice's records: the 270 for a client's policy (control
 * numbers from the practice's counters), and 271 answers kept with the policy they answer
 * (eligibility_check, 0016_eligibility.sql) for the client's page, the audit (audit_elig.c) and the
 * claims scrubber.
 *
 * An answer finds its policy by the trace psyclaim wrote in TRN02 ("P<policy>C<client>D<date>", echoed
 * in the 271's TRN*2), else by the member id (NM109 of NM1*IL) when exactly one of the practice's
 * policies has it (a birth date decides between family members sharing one). A whole file is read
 * before anything is stored, and stored in one transaction; an answer is known by the hash of its
 * content without control numbers, so reading a file again adds nothing.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_db.h"
#include "billing_int.h"

static void date8(const char *iso, char out[9])
{
    size_t k = 0;
    for (const char *p = iso; *p && k < 8; p++)
        if (*p != '-') out[k++] = *p;
    out[k] = 0;
}

static void iso_of(const char *d8, char out[PSY_DATE_MAX])
{
    if (!d8[0]) out[0] = 0;
    else snprintf(out, PSY_DATE_MAX, "%.4s-%.2s-%.2s", d8, d8 + 4, d8 + 6);
}

static psy_status control(void *ud, psy_x12_control kind, unsigned long *out)
{
    void **c = ud;
    return psy_billing_control_next(c[0], *(psy_id *)c[1], (int)kind, out);
}

psy_status psy_billing_eligibility_request(psy_store *st, psy_id practice, psy_id client, psy_id policy,
                                           const char *date, char **out, size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    char dummy[8];
    if (!err || !errlen) err = dummy, errlen = sizeof dummy;
    err[0] = 0;
    char now[PSY_REC_TIME_MAX], on[PSY_DATE_MAX];
    psy__billing_now(now);
    if (date && *date) {
        if (!psy_date_iso_valid(date)) {
            snprintf(err, errlen, "date: '%.12s' is not a date written YYYY-MM-DD", date);
            return PSY_EINVAL;
        }
        snprintf(on, sizeof on, "%s", date);
    } else {
        snprintf(on, sizeof on, "%.10s", now);
    }
    struct psy_practice pr;
    struct psy_client cl;
    struct psy_policy po;
    struct psy_payer pa;
    psy_status rc = psy_records_practice_get(st, practice, &pr);
    if (!rc) rc = psy_records_client_get(st, practice, client, &cl);
    if (rc) {
        snprintf(err, errlen, "client: no client %lld in this practice", (long long)client);
        return rc;
    }
    rc = policy ? psy_records_policy_get(st, practice, policy, &po) : psy_records_policy_on(st, practice, client, on, 1, &po);
    if (rc || po.client_id != client) {
        if (policy) snprintf(err, errlen, "policy: no policy %lld of this client", (long long)policy);
        else snprintf(err, errlen, "policy: the client has no primary policy in force on %s", on);
        return rc ? rc : PSY_ENOTFOUND;
    }
    if ((rc = psy_records_payer_get(st, practice, po.payer_id, &pa))) return rc;
    /* names as X12 carries them (accents dropped), as on the practice's claims */
    psy__billing_fold(pr.name, sizeof pr.name), psy__billing_fold(pr.first_name, sizeof pr.first_name);
    psy__billing_fold(pr.last_name, sizeof pr.last_name), psy__billing_fold(pa.name, sizeof pa.name);
    psy__billing_fold(cl.first_name, sizeof cl.first_name), psy__billing_fold(cl.last_name, sizeof cl.last_name);
    psy__billing_fold(po.subscriber_first, sizeof po.subscriber_first);
    psy__billing_fold(po.subscriber_last, sizeof po.subscriber_last);
    char d8[9], today[9], hhmm[5], birth[9], sub_birth[9], trace[64], originator[11] = "";
    date8(on, d8);
    date8(now, today);
    snprintf(hhmm, sizeof hhmm, "%.2s%.2s", now + 11, now + 14);
    date8(cl.birth_date, birth);
    date8(po.subscriber_birth, sub_birth);
    snprintf(trace, sizeof trace, "P%lldC%lldD%s", (long long)po.id, (long long)client, d8);
    if (strlen(pr.tax_id) == 9) {
        originator[0] = '1';
        memcpy(originator + 1, pr.tax_id, 10);
    }
    int dependent = po.relation[0] && strcmp(po.relation, "self");
    struct psy_x12_270 q = {
        .sender_id = pr.npi, .receiver_id = pa.payer_code, .payer_name = pa.name, .payer_id = pa.payer_code,
        .provider_name = pr.sole_proprietor ? pr.last_name : pr.name, .provider_npi = pr.npi,
        .provider_first = pr.sole_proprietor ? pr.first_name : NULL, .member_id = po.member_id,
        .group_number = po.group_number, .trace = trace, .trace_originator = originator[0] ? originator : NULL,
        .service_date = d8, .date = today, .time = hhmm, .production = 1, .dependent = dependent,
    };
    if (dependent) {
        q.sub_last = po.subscriber_last;
        q.sub_first = po.subscriber_first;
        q.sub_birth = sub_birth[0] ? sub_birth : NULL;
        q.pat_last = cl.last_name;
        q.pat_first = cl.first_name;
        q.pat_birth = birth;
        q.pat_sex = cl.sex[0];
    } else {
        q.sub_last = cl.last_name;
        q.sub_first = cl.first_name;
        q.sub_birth = birth;
        q.sub_sex = cl.sex[0];
    }
    void *ud[2] = {st, &practice};
    struct psy_x12_write_opts o = {.next_control = control, .control_ud = ud, .line_breaks = 1};
    return psy_x12_270_write(&q, &o, out, len, err, errlen);
}

/* --- reading and keeping 271 answers ------------------------------------------------------------ */

struct answers {
    struct psy_elig_response **r;
    size_t n, cap;
};

static psy_status collect(void *ud, struct psy_elig_response *r)
{
    struct answers *a = ud;
    if (a->n == a->cap) a->r = psy__realloc(a->r, (a->cap = a->cap ? 2 * a->cap : 4) * sizeof *a->r);
    a->r[a->n++] = r;
    return PSY_OK;
}

static void answers_free(struct answers *a)
{
    for (size_t i = 0; i < a->n; i++) psy_elig_response_free(a->r[i]);
    free(a->r);
}

static psy_status read_all(const void *data, size_t len, struct answers *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    psy_x12_reader *r = psy_x12_reader_mem(data, len, 0);
    psy_status rc = psy_x12_271_read(r, collect, a, err, errlen);
    psy_x12_reader_free(r);
    if (!rc && !a->n) {
        snprintf(err, errlen, "no 271 answer in the file");
        rc = PSY_EPARSE;
    }
    if (rc) answers_free(a);
    return rc;
}

psy_status psy_billing_eligibility_read(const void *data, size_t len, char **json, size_t *n, char *err, size_t errlen)
{
    *json = NULL;
    struct answers a;
    psy_status rc = read_all(data, len, &a, err, errlen);
    if (rc) return rc;
    json_t *arr = json_array();
    for (size_t i = 0; i < a.n; i++) {
        char *one = psy_elig_response_json(a.r[i], 0);
        json_array_append_new(arr, json_loads(one, 0, NULL));
        free(one);
    }
    if (n) *n = a.n;
    answers_free(&a);
    json_t *doc = json_pack("{s:o}", "answers", arr);
    *json = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    return *json ? PSY_OK : PSY_ENOMEM;
}

/* The policy an answer is for (0 when none fits); *client its client. */
static psy_status match(psy_store *st, psy_id practice, const struct psy_elig_response *r, psy_id *policy,
                        psy_id *client)
{
    *policy = *client = 0;
    long long p, c;
    char d[16], tail;
    if (sscanf(r->trace, "P%lldC%lldD%8[0-9]%c", &p, &c, d, &tail) == 3 && strlen(d) == 8) {
        struct psy_policy po;
        if (!psy_records_policy_get(st, practice, (psy_id)p, &po) && po.client_id == (psy_id)c) {
            *policy = po.id;
            *client = po.client_id;
            return PSY_OK;
        }
    }
    if (!r->member_id[0]) return PSY_OK;
    char birth[PSY_DATE_MAX];
    iso_of(r->dependent ? r->pat_birth : r->sub_birth, birth);
    psy__stmt *s = psy__db_stmt(st,
                                "SELECT p.id, p.client_id, c.birth_date FROM policy p JOIN client c ON c.id = p.client_id "
                                "WHERE p.practice_id = ? AND p.member_id = ? ORDER BY p.id",
                                PSY_ARGS(PSY_INT(practice), PSY_TEXT(r->member_id)));
    if (!s) return psy__store_dbfail(st, "policy");
    int n = 0, nb = 0, row;
    psy_id first[2] = {0, 0}, born[2] = {0, 0};
    while ((row = psy__sql_step(s)) == PSY_SQL_ROW) {
        if (!n++) first[0] = psy__sql_int64(s, 0), first[1] = psy__sql_int64(s, 1);
        const char *b = psy__sql_text(s, 2);
        if (birth[0] && b && !strcmp(b, birth) && !nb++) born[0] = psy__sql_int64(s, 0), born[1] = psy__sql_int64(s, 1);
    }
    psy__sql_finalize(s);
    if (row == PSY_SQL_ERROR) return psy__store_dbfail(st, "policy");
    const psy_id *pick = n == 1 ? first : nb == 1 ? born : NULL;
    if (pick) *policy = pick[0], *client = pick[1];
    return PSY_OK;
}

/* The answer's JSON without control numbers, and its BLAKE2b-256 in hex. */
static char *answer_json(const struct psy_elig_response *r, char hash[65])
{
    char *text = psy_elig_response_json(r, 0);
    json_t *j = json_loads(text, 0, NULL);
    free(text);
    json_object_del(j, "transaction_control");
    char *canon = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)canon, strlen(canon), NULL, 0);
    sodium_bin2hex(hash, 65, h, sizeof h);
    free(canon);
    char *out = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    return out;
}

static psy_status store_one(psy_store *st, psy_id practice, const char *name, const char *now,
                            const struct psy_elig_response *r, psy_id policy, psy_id client, int *added)
{
    struct psy_elig_summary s;
    psy_elig_summarize(r, &s);
    char hash[65], as_of[PSY_DATE_MAX], begin[PSY_DATE_MAX], end[PSY_DATE_MAX], year[PSY_DATE_MAX];
    char *json = answer_json(r, hash);
    iso_of(r->as_of, as_of);
    iso_of(r->begin, begin);
    iso_of(r->end, end);
    iso_of(s.visits_year_begin, year);
    if (!as_of[0]) snprintf(as_of, sizeof as_of, "%.10s", now);
    int64_t changed = 0;
    psy_status rc = psy__db_run(
        st, &changed,
        "INSERT INTO eligibility_check (practice_id, client_id, policy_id, as_of, status, coverage_begin, "
        "coverage_end, visits_allowed, visits_left, visits_year_begin, auth_required, trace, answer, content_hash, "
        "file_name, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (practice_id, content_hash) DO NOTHING",
        PSY_ARGS(PSY_INT(practice), PSY_INT(client), PSY_INT(policy), PSY_TEXT(as_of), PSY_TEXT(s.status),
                 PSY_TEXT(begin), PSY_TEXT(end), PSY_INT(s.visits_allowed), PSY_INT(s.visits_left), PSY_TEXT(year),
                 PSY_INT(s.auth_required), PSY_TEXT(r->trace), PSY_TEXT(json), PSY_TEXT(hash),
                 PSY_TEXT(name ? name : ""), PSY_TEXT(now)));
    free(json);
    if (rc) return rc;
    *added = changed > 0;
    return PSY_OK;
}

psy_status psy_billing_eligibility_post(psy_store *st, psy_id practice, const char *name, const void *data, size_t len,
                                        struct psy_billing_elig_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    char dummy[8];
    if (!err || !errlen) err = dummy, errlen = sizeof dummy;
    err[0] = 0;
    struct answers a;
    psy_status rc = read_all(data, len, &a, err, errlen);
    if (rc) return rc;
    char now[PSY_REC_TIME_MAX];
    psy__billing_now(now);
    if ((rc = psy__store_begin(st))) {
        answers_free(&a);
        return rc;
    }
    for (size_t i = 0; i < a.n && !rc; i++) {
        psy_id policy, client;
        res->answers++;
        if ((rc = match(st, practice, a.r[i], &policy, &client))) break;
        if (!policy) {
            res->unmatched++;
            continue;
        }
        int added = 0;
        if ((rc = store_one(st, practice, name, now, a.r[i], policy, client, &added))) break;
        if (added) res->stored++;
        else res->seen_before++;
        res->client = client;
        res->policy = policy;
    }
    answers_free(&a);
    if (rc) {
        snprintf(err, errlen, "%s", psy_store_errmsg(st));
        psy__store_rollback(st);
        return rc;
    }
    return psy__store_commit(st);
}

psy_status psy_billing_eligibility_list(psy_store *st, psy_id practice, psy_id client, char **out, size_t *len)
{
    *out = NULL;
    if (len) *len = 0;
    psy__stmt *s = psy__db_stmt(st,
                                "SELECT id, policy_id, as_of, status, received_at, file_name, answer FROM eligibility_check "
                                "WHERE practice_id = ? AND client_id = ? ORDER BY as_of DESC, id DESC",
                                PSY_ARGS(PSY_INT(practice), PSY_INT(client)));
    if (!s) return psy__store_dbfail(st, "eligibility_check");
    json_t *arr = json_array();
    int row;
    while ((row = psy__sql_step(s)) == PSY_SQL_ROW) {
        json_t *answer = json_loads(psy__sql_text(s, 6), 0, NULL);
        json_array_append_new(arr, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:o}", "id", (json_int_t)psy__sql_int64(s, 0),
                                             "policy_id", (json_int_t)psy__sql_int64(s, 1), "as_of", psy__sql_text(s, 2),
                                             "status", psy__sql_text(s, 3), "received_at", psy__sql_text(s, 4),
                                             "file_name", psy__sql_text(s, 5), "answer", answer ? answer : json_null()));
    }
    psy__sql_finalize(s);
    if (row == PSY_SQL_ERROR) {
        json_decref(arr);
        return psy__store_dbfail(st, "eligibility_check");
    }
    *out = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(arr);
    if (!*out) return PSY_ENOMEM;
    if (len) *len = strlen(*out);
    return PSY_OK;
}
