/* fixtures_records.c -- the invented practice shared by the records and audit tests (see the header). */
#include "fixtures_records.h"
#include <stdio.h>
#include "psy_db.h"
#include <stdlib.h>
#include <string.h>

void fx_npi(char first, unsigned n, char out[11])
{
    out[0] = first;
    for (int i = 8; i >= 1; i--, n /= 10) out[i] = (char)('0' + n % 10);
    out[10] = 0;
    for (char d = '0'; d <= '9'; d++) {
        out[9] = d;
        if (psy_records_npi_valid(out)) return;
    }
}

static const char *const words[] = {
    "anxiety", "sleep", "routine", "worry", "breathing", "family", "work", "avoidance", "panic", "exposure", "mood",
    "journal", "walk", "friend", "anger", "boundary", "grief", "hobby", "schedule", "values", "coping", "rating",
    "trigger", "practice", "review", "evening", "morning", "weekend", "shop", "phone", "drive", "lunch",
    "neighbour", "sister", "brother", "parent", "manager", "colleague", "garden", "music", "reading", "cooking"};

void fx_text(unsigned seed, char *out, size_t len)
{
    unsigned x = seed * 2654435761u + 12345u;
    size_t n = 0, nw = sizeof words / sizeof words[0];
    out[0] = 0;
    for (int i = 0; i < 40 && n + 16 < len; i++) {
        x = x * 1103515245u + 12345u;
        n += (size_t)snprintf(out + n, len - n, "%s%s", i ? " " : "", words[(x >> 16) % nw]);
    }
}

void fx_plan_init(struct psy_plan *p, psy_id client, psy_id clinician, int modalities, const char *start,
                  const char *review)
{
    memset(p, 0, sizeof *p);
    p->client_id = client;
    p->clinician_id = clinician;
    p->modalities = modalities;
    snprintf(p->frequency, sizeof p->frequency, "weekly");
    p->session_minutes = 45;
    snprintf(p->start_date, sizeof p->start_date, "%s", start);
    snprintf(p->review_date, sizeof p->review_date, "%s", review);
    p->n_dx = 1;
    snprintf(p->dx[0], PSY_CODE_MAX, "F41.1");
    p->n_goals = 1;
    p->goals[0] = "reduce worry time";
}

void fx_policy_init(struct psy_policy *p, psy_id client, psy_id payer, const char *member_id, int priority)
{
    memset(p, 0, sizeof *p);
    p->client_id = client;
    p->payer_id = payer;
    snprintf(p->member_id, sizeof p->member_id, "%s", member_id);
    p->priority = priority;
    snprintf(p->relation, sizeof p->relation, "self");
    snprintf(p->start_date, sizeof p->start_date, "2024-01-01");
}

static psy_id add_client(struct fx *f, int i, psy_id payer)
{
    struct psy_client c;
    memset(&c, 0, sizeof c);
    snprintf(c.first_name, sizeof c.first_name, "Testa%d", i);
    snprintf(c.last_name, sizeof c.last_name, "Fixture");
    static const char *const births[] = {"1980-01-15", "1975-06-02", "1990-11-30", "1968-03-09"};
    snprintf(c.birth_date, sizeof c.birth_date, "%s", births[i % 4]);
    snprintf(c.sex, sizeof c.sex, "F");
    snprintf(c.telehealth_consent_date, sizeof c.telehealth_consent_date, "2024-01-02");
    c.n_dx = 1;
    snprintf(c.dx[0], PSY_CODE_MAX, "F41.1");
    psy_id id;
    assert_int_equal(psy_records_client_add(f->st, f->pr, &c, &id), PSY_OK);
    struct psy_policy p;
    char member[16];
    snprintf(member, sizeof member, "MBR%d", i);
    fx_policy_init(&p, id, payer, member, 1);
    assert_int_equal(psy_records_policy_add(f->st, f->pr, &p, NULL), PSY_OK);
    struct psy_plan pl;
    fx_plan_init(&pl, id, f->clin, PSY_MOD_INDIVIDUAL | PSY_MOD_GROUP, "2024-01-05", "2025-12-31");
    assert_int_equal(psy_records_plan_add(f->st, f->pr, &pl, &f->plan[i]), PSY_OK);
    assert_int_equal(psy_records_plan_sign(f->st, f->pr, f->plan[i], 'c', f->clin, "2024-01-05T15:00:00Z"), PSY_OK);
    if (payer == f->medicaid) {
        struct psy_authorisation a;
        memset(&a, 0, sizeof a);
        a.client_id = id;
        a.payer_id = payer;
        snprintf(a.number, sizeof a.number, "PA-%d", i);
        snprintf(a.unit_kind, sizeof a.unit_kind, "visit");
        a.units_approved = 50;
        snprintf(a.start_date, sizeof a.start_date, "2024-01-01");
        snprintf(a.end_date, sizeof a.end_date, "2024-12-31");
        a.n_codes = 3;
        snprintf(a.codes[0], PSY_CODE_MAX, "90834");
        snprintf(a.codes[1], PSY_CODE_MAX, "90837");
        snprintf(a.codes[2], PSY_CODE_MAX, "90853");
        assert_int_equal(psy_records_auth_add(f->st, f->pr, &a, &f->auth[i]), PSY_OK);
    }
    return id;
}

/* The scratch databases are backends.c's (test_db_make / test_db_open / test_db_drop). */
static struct test_backend fx_sqlite = {"sqlite", 0, NULL}, fx_postgres = {"postgres", 1, NULL};

void fx_db_open(struct fx_db *d, const char *server)
{
    memset(d, 0, sizeof *d);
    d->server = server;
    if (server) fx_postgres.server = server;
    test_db_make(server ? &fx_postgres : &fx_sqlite, &d->t);
    d->uri = d->t.uri;
    d->path = d->t.path;
    d->st = test_db_open(&d->t, 1);
}

void fx_db_close(struct fx_db *d)
{
    psy_store_close(d->st);
    test_db_drop(&d->t);
    memset(d, 0, sizeof *d);
}

psy_store *fx_db_connect(const struct fx_db *d) { return test_db_open(&d->t, 0); }

long fx_db_count(const struct fx_db *d, const char *sql)
{
    psy_store *st = fx_db_connect(d);
    psy__stmt *s = psy__sql_prepare(st, sql);
    if (!s) fail_msg("%s: %s", sql, psy__db_errtext(st));
    int r = psy__sql_step(s);
    if (r == PSY_SQL_ERROR) fail_msg("%s: %s", sql, psy__db_errtext(st));
    long n = r == PSY_SQL_ROW ? (long)psy__sql_int64(s, 0) : -1;
    psy__sql_finalize(s);
    psy_store_close(st);
    return n;
}

int fx_run_on_both(const char *prog, const struct CMUnitTest *tests, size_t n)
{
    return test_run_on_backends(prog, tests, n, NULL, NULL);
}

void fx_open(struct fx *f) { fx_open_on(f, NULL); }

void fx_open_on(struct fx *f, const char *server)
{
    memset(f, 0, sizeof *f);
    fx_db_open(&f->db, server);
    fx_build(f, f->db.st);
    f->path = f->db.path;
}

void fx_build(struct fx *f, psy_store *st)
{
    struct fx_db db = f->db;
    memset(f, 0, sizeof *f);
    f->db = db;
    f->st = st;
    struct psy_practice p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "Fixture Practice");
    fx_npi('2', 4242, p.npi);
    snprintf(p.tax_id, sizeof p.tax_id, "12-3456789");
    snprintf(p.time_zone, sizeof p.time_zone, "America/Chicago");
    assert_int_equal(psy_records_practice_add(f->st, &p, &f->pr), PSY_OK);
    psy_id *ids[3] = {&f->clin, &f->co, &f->other_clin};
    for (int i = 0; i < 3; i++) {
        struct psy_clinician c;
        memset(&c, 0, sizeof c);
        snprintf(c.first_name, sizeof c.first_name, "Clin%d", i);
        snprintf(c.last_name, sizeof c.last_name, "Fixture");
        fx_npi('1', 1000u + (unsigned)i, c.npi);
        snprintf(c.taxonomy, sizeof c.taxonomy, "1041C0700X");
        snprintf(c.credential, sizeof c.credential, "LCSW");
        assert_int_equal(psy_records_clinician_add(f->st, f->pr, &c, ids[i]), PSY_OK);
    }
    struct psy_payer py;
    memset(&py, 0, sizeof py);
    snprintf(py.name, sizeof py.name, "State Plan (fixture)");
    snprintf(py.payer_code, sizeof py.payer_code, "FXMCD");
    snprintf(py.kind, sizeof py.kind, "medicaid");
    py.group_max = 3;
    py.requires_auth = 1;
    assert_int_equal(psy_records_payer_add(f->st, f->pr, &py, &f->medicaid), PSY_OK);
    snprintf(py.name, sizeof py.name, "Commercial (fixture)");
    snprintf(py.payer_code, sizeof py.payer_code, "FXCOM");
    snprintf(py.kind, sizeof py.kind, "commercial");
    py.group_max = 0;
    py.requires_auth = 0;
    assert_int_equal(psy_records_payer_add(f->st, f->pr, &py, &f->commercial), PSY_OK);
    for (int i = 0; i < 4; i++) f->client[i] = add_client(f, i, i < 2 ? f->commercial : f->medicaid);
    struct psy_group g;
    memset(&g, 0, sizeof g);
    snprintf(g.name, sizeof g.name, "Fixture Group");
    g.clinician_id = f->clin;
    g.co_clinician_id = f->co;
    snprintf(g.modality, sizeof g.modality, "group");
    g.capacity = 8;
    assert_int_equal(psy_records_group_add(f->st, f->pr, &g, &f->group), PSY_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(psy_records_group_join(f->st, f->pr, f->group, f->client[i], "2024-01-05"), PSY_OK);
}

void fx_close(struct fx *f)
{
    if (f->db.st) {
        fx_db_close(&f->db);
    } else if (f->path) { /* a store the caller opened on a scratch file and put in f */
        psy_store_close(f->st);
        test_rm_db(f->path);
        free(f->path);
    }
    f->st = NULL;
    f->path = NULL;
}

static void times(const char *date, int start_min, int minutes, char start[PSY_REC_TIME_MAX], char stop[PSY_REC_TIME_MAX])
{
    char t[40];
    snprintf(t, sizeof t, "%sT%02d:%02d:00-06:00", date, start_min / 60, start_min % 60);
    assert_int_equal(psy_records_time_utc(t, start), PSY_OK);
    snprintf(t, sizeof t, "%sT%02d:%02d:00-06:00", date, (start_min + minutes) / 60, (start_min + minutes) % 60);
    assert_int_equal(psy_records_time_utc(t, stop), PSY_OK);
}

static unsigned text_seed = 1;

/* Writes a note with four fresh texts in the parts its kind has; signs it when sign. */
static psy_id fx_note(struct fx *f, psy_id session, psy_id client, const char *kind, psy_id author, int sign)
{
    char t[4][400];
    for (int i = 0; i < 4; i++) fx_text(text_seed++, t[i], sizeof t[i]);
    struct psy_note n;
    memset(&n, 0, sizeof n);
    n.session_id = session;
    n.client_id = client;
    snprintf(n.kind, sizeof n.kind, "%s", kind);
    n.author_id = author;
    char **parts[3][4] = {{&n.theme, &n.techniques, &n.dynamics, &n.factors},
                          {&n.participation, &n.response, &n.progress, &n.plan},
                          {&n.techniques, &n.response, &n.progress, &n.plan}};
    int k = !strcmp(kind, "group") ? 0 : !strcmp(kind, "member") ? 1 : 2;
    for (int i = 0; i < 4; i++) *parts[k][i] = t[i];
    psy_id id;
    assert_int_equal(psy_records_note_save(f->st, f->pr, &n, &id), PSY_OK);
    if (sign) assert_int_equal(psy_records_note_sign(f->st, f->pr, id, author), PSY_OK);
    return id;
}

psy_id fx_individual(struct fx *f, psy_id client, const char *date, int minutes, const char *code, int sign)
{
    struct psy_session s;
    memset(&s, 0, sizeof s);
    snprintf(s.kind, sizeof s.kind, "individual");
    s.client_id = client;
    s.clinician_id = f->clin;
    snprintf(s.service_date, sizeof s.service_date, "%s", date);
    times(date, 600, minutes, s.start_utc, s.stop_utc);
    snprintf(s.pos, sizeof s.pos, "11");
    snprintf(s.billed_code, sizeof s.billed_code, "%s", code);
    psy_id sid;
    assert_int_equal(psy_records_session_add(f->st, f->pr, &s, &sid), PSY_OK);
    fx_note(f, sid, client, "individual", f->clin, sign);
    if (sign) assert_int_equal(psy_records_session_sign(f->st, f->pr, sid, f->clin), PSY_OK);
    return sid;
}

psy_id fx_group(struct fx *f, const char *date, const psy_id *present, int npresent, int sign)
{
    struct psy_session s;
    memset(&s, 0, sizeof s);
    snprintf(s.kind, sizeof s.kind, "group");
    s.group_id = f->group;
    s.clinician_id = f->clin;
    snprintf(s.service_date, sizeof s.service_date, "%s", date);
    times(date, 18 * 60, 90, s.start_utc, s.stop_utc);
    snprintf(s.pos, sizeof s.pos, "11");
    psy_id sid;
    assert_int_equal(psy_records_session_add(f->st, f->pr, &s, &sid), PSY_OK);
    for (int i = 0; i < 4; i++) {
        struct psy_attendance a;
        memset(&a, 0, sizeof a);
        a.session_id = sid;
        a.client_id = f->client[i];
        for (int k = 0; k < npresent; k++) a.present |= present[k] == f->client[i];
        if (a.present) snprintf(a.billed_code, sizeof a.billed_code, "90853");
        assert_int_equal(psy_records_attendance_set(f->st, f->pr, &a, NULL), PSY_OK);
    }
    fx_note(f, sid, 0, "group", f->co, sign);
    for (int k = 0; k < npresent; k++) fx_note(f, sid, present[k], "member", f->clin, sign);
    if (sign) assert_int_equal(psy_records_session_sign(f->st, f->pr, sid, f->clin), PSY_OK);
    return sid;
}
