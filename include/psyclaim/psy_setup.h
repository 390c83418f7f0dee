/*
 * psy_setup.h -- starting a practice: the practice record, its first admin user and, optionally, its
 * payers from the built-in payer profiles (data/payers/), written in one transaction: all of it or
 * nothing. Used by `psyclaim init` and by the web app's first-run page.
 */
#ifndef PSY_SETUP_H
#define PSY_SETUP_H

#include "psyclaim.h"
#include "psy_auth.h"
#include "psy_records.h"

struct psy_setup_payer {
    const char *profile;    /* a built-in profile id: medicare, example-medicaid, example-commercial, default */
    const char *payer_code; /* the payer's electronic id, as the clearinghouse lists it */
    const char *name;       /* NULL or "" = the profile's name */
};

struct psy_setup {
    /* The practice as psy_records_practice_add takes it, and more strictly: a type 2 (organisation)
     * NPI, a tax id, street, city, state, a ZIP+4 (9 digits), an IANA time zone the system knows and a
     * billing contact with a phone or an e-mail address. */
    struct psy_practice practice;
    const char *admin_username; /* the first user, role admin */
    const char *admin_password; /* PSY_PASSWORD_MIN..PSY_PASSWORD_MAX bytes */
    const struct psy_setup_payer *payers;
    size_t n_payers;
    int only_first;             /* 1: refuse (PSY_ECONFLICT) unless psy_setup_needed (no practice, no user) */
};

/* Creates the practice, its admin user and its payers in one transaction. Writers are serialised, so of
 * two concurrent first-run calls with only_first exactly one succeeds. On PSY_EINVAL the store's message
 * names the field: practice fields by their name ("npi: ..."), the user as "admin_username" or
 * "admin_password", payers as "payers[1].payer_code". policy NULL = the production password policy.
 * OUT *practice and *admin (each may be NULL) are the new ids. */
psy_status psy_setup_practice(psy_store *st, const struct psy_auth_policy *policy, const struct psy_setup *s,
                              psy_id *practice, long long *admin);

/* 1 when the store holds no practice and no user yet (the web app then shows its first-run page), 0
 * when it holds either, -1 when it cannot tell. */
int psy_setup_needed(psy_store *st);

/* The built-in payer profiles a practice can start with: id and name of the i-th; NULL past the end. */
size_t psy_setup_profile_count(void);
const char *psy_setup_profile_id(size_t i);
const char *psy_setup_profile_name(size_t i);

#endif
