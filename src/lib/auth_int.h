/*
 * auth_int.h -- what the sign-in (auth.c) and the second factor (auth_totp.c) share inside the library.
 */
#ifndef PSY_AUTH_INT_H
#define PSY_AUTH_INT_H

#include "psyclaim/psy_auth.h"

/* Checks a sign-in code against the user's confirmed TOTP secret (one step either side of now, for
 * clocks a little apart) and, when it fits a step after the last one used, takes that step, so the same
 * code is never accepted twice. OUT *ok is 1 for an accepted code. Runs in the caller's transaction. */
psy_status psy__totp_use(psy_store *st, long long user_id, const char *code, long long now, int *ok);

#endif
