/*
 * setup.c -- starting a practice (psy_setup.h): the practice with its stricter first-day checks, the
 * first admin user and payers from the built-in profiles, in one transaction under a lock, so that a
 * database gets its first practice exactly once even when two first-run requests race.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "psy_db.h"
#include "psy_int.h"
#include <psyclaim/psy_payer.h>
#include <psyclaim/psy_setup.h>

#define LOCK_SETUP (PSY__LOCK_MIGRATE + 2)

static psy_payers *profiles;
static pthread_once_t profiles_once = PTHREAD_ONCE_INIT;

static void load_profiles(void)
{
    char err[256];
    if (psy_payers_builtin(&profiles, err, sizeof err)) profiles = NULL;
}

size_t psy_setup_profile_count(void)
{
    pthread_once(&profiles_once, load_profiles);
    return profiles ? psy_payers_count(profiles) : 0;
}

const char *psy_setup_profile_id(size_t i)
{
    return i < psy_setup_profile_count() ? psy_payers_id(profiles, i) : NULL;
}

const char *psy_setup_profile_name(size_t i)
{
    return i < psy_setup_profile_count() ? psy_payers_name(profiles, i) : NULL;
}

int psy_setup_needed(psy_store *st)
{
    psy_id *ids;
    size_t n;
    if (psy_records_practice_list(st, &ids, &n)) return -1;
    free(ids);
    if (n) return 0;
    /* users made by `psyclaim user add` before any practice record: not an empty database either */
    struct psy_user *users;
    if (psy_auth_user_list(st, 0, &users, &n)) return -1;
    free(users);
    return n == 0;
}

/* The kind of payer record a profile stands for (claims choose the profile back from the kind). */
static const char *profile_kind(const char *profile)
{
    if (!strcmp(profile, "medicare")) return "medicare";
    if (strstr(profile, "medicaid")) return "medicaid";
    if (strstr(profile, "commercial")) return "commercial";
    return "other";
}

static int digits_only(const char *s, size_t *n)
{
    size_t k = 0;
    for (; *s; s++)
        if (isdigit((unsigned char)*s)) k++;
        else if (*s != '-' && *s != ' ') return 0;
    *n = k;
    return 1;
}

/* What a first day needs beyond what a practice record accepts. */
static psy_status check_first_day(psy_store *st, const struct psy_practice *p)
{
    size_t n;
    if (!p->name[0]) return psy__store_fail(st, PSY_EINVAL, "name: the practice's legal name is required");
    if (!p->tax_id[0]) return psy__store_fail(st, PSY_EINVAL, "tax_id: the employer identification number is required (NN-NNNNNNN)");
    if (!p->address[0]) return psy__store_fail(st, PSY_EINVAL, "address: the street address is required");
    if (!p->city[0]) return psy__store_fail(st, PSY_EINVAL, "city: required");
    if (!p->state[0]) return psy__store_fail(st, PSY_EINVAL, "state: required (two capital letters)");
    if (!digits_only(p->zip, &n) || n != 9)
        return psy__store_fail(st, PSY_EINVAL, "zip: ZIP+4, 9 digits (12345-6789): claims need the full ZIP code");
    if (!p->time_zone[0]) return psy__store_fail(st, PSY_EINVAL, "time_zone: required (an IANA name such as America/Chicago)");
    struct stat sb;
    char path[160];
    if (strstr(p->time_zone, "..") || p->time_zone[0] == '/')
        return psy__store_fail(st, PSY_EINVAL, "time_zone: an IANA name such as America/Chicago");
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", p->time_zone);
    if (stat("/usr/share/zoneinfo", &sb) == 0 && (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)))
        return psy__store_fail(st, PSY_EINVAL, "time_zone: not a known time zone (an IANA name such as America/Chicago)");
    if (!p->billing_contact[0]) return psy__store_fail(st, PSY_EINVAL, "billing_contact: the person payers call about claims is required");
    if (!p->billing_phone[0] && !p->billing_email[0])
        return psy__store_fail(st, PSY_EINVAL, "billing_phone: a phone number or an e-mail address of the billing contact is required");
    return PSY_OK;
}

/* Prefixes the store's "field: message" with where the field is. */
static psy_status renamed(psy_store *st, psy_status rc, const char *prefix)
{
    if (rc != PSY_EINVAL && rc != PSY_ECONFLICT) return rc;
    char msg[400];
    snprintf(msg, sizeof msg, "%s", psy_store_errmsg(st));
    return psy__store_fail(st, rc, "%s%s", prefix, msg);
}

static psy_status add_payer(psy_store *st, psy_id practice, const struct psy_setup_payer *sp, size_t i)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "payers[%zu].", i);
    const char *pname = NULL;
    for (size_t k = 0; sp->profile && k < psy_setup_profile_count(); k++)
        if (!strcmp(psy_setup_profile_id(k), sp->profile)) pname = psy_setup_profile_name(k);
    if (!pname)
        return psy__store_fail(st, PSY_EINVAL, "%sprofile: not a built-in payer profile (see data/payers/)", prefix);
    struct psy_payer py = {0};
    snprintf(py.name, sizeof py.name, "%s", sp->name && *sp->name ? sp->name : pname);
    snprintf(py.payer_code, sizeof py.payer_code, "%s", sp->payer_code ? sp->payer_code : "");
    snprintf(py.kind, sizeof py.kind, "%s", profile_kind(sp->profile));
    if (strlen(sp->payer_code ? sp->payer_code : "") >= sizeof py.payer_code)
        return psy__store_fail(st, PSY_EINVAL, "%spayer_code: 2 to 80 letters or digits", prefix);
    psy_id id;
    return renamed(st, psy_records_payer_add(st, practice, &py, &id), prefix);
}

psy_status psy_setup_practice(psy_store *st, const struct psy_auth_policy *policy, const struct psy_setup *s,
                              psy_id *practice, long long *admin)
{
    psy_id pid = 0;
    long long uid = 0;
    psy_status rc = psy__store_begin(st);
    if (rc) return rc;
    if ((rc = psy__store_lock(st, LOCK_SETUP))) goto out;
    if (s->only_first) {
        int needed = psy_setup_needed(st);
        if (needed < 0) rc = PSY_EDB;
        else if (!needed) rc = psy__store_fail(st, PSY_ECONFLICT, "practice: this database has a practice already");
        if (rc) goto out;
    }
    if ((rc = check_first_day(st, &s->practice))) goto out;
    if ((rc = psy_records_practice_add(st, &s->practice, &pid))) goto out;
    struct psy_user u = {0};
    u.practice_id = pid;
    u.role = PSY_ROLE_ADMIN;
    u.active = 1;
    if (!s->admin_username || psy_auth_username_normalize(s->admin_username, u.username)) {
        rc = psy__store_fail(st, PSY_EINVAL, "admin_username: 1 to 64 characters of letters, digits and . _ - @");
        goto out;
    }
    if (!s->admin_password || strlen(s->admin_password) < PSY_PASSWORD_MIN || strlen(s->admin_password) > PSY_PASSWORD_MAX) {
        rc = psy__store_fail(st, PSY_EINVAL, "admin_password: %d to %d characters", PSY_PASSWORD_MIN, PSY_PASSWORD_MAX);
        goto out;
    }
    if ((rc = psy_auth_user_add(st, policy, &u, s->admin_password, &uid))) {
        rc = renamed(st, rc, "admin_");
        goto out;
    }
    for (size_t i = 0; i < s->n_payers && !rc; i++) rc = add_payer(st, pid, &s->payers[i], i);
out:
    if (rc) {
        psy__store_rollback(st);
        return rc;
    }
    if ((rc = psy__store_commit(st))) return rc;
    if (practice) *practice = pid;
    if (admin) *admin = uid;
    return PSY_OK;
}
