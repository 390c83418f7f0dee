/*
 * pg_copy.h -- copies a practice's records from one store into another (tests and benchmarks): the
 * same rows, ids included, so the two backends can be compared on exactly the same practice.
 */
#ifndef PG_COPY_H
#define PG_COPY_H

#include <stddef.h>
#include "psyclaim/psyclaim.h"

/* Copies every records table of `from` (any backend) into `to` (PostgreSQL, migrated, with no
 * records yet), in an order that keeps every reference valid, in one transaction. The columns are
 * those the target table has. Returns 0, or -1 with why. */
int pg_copy_records(psy_store *from, psy_store *to, char *why, size_t whylen);

/* A digest (FNV-1a, 16 hex digits) of every claim with its lines as stored: number, parties, date,
 * status, version, total, findings, and each line's number, session, code, modifiers, units, charge,
 * place, pointers, rules and explanation; plus the billed codes of sessions and attendance. Equal
 * digests mean the same claims. *rows gets the number of claim lines. Returns 0, or -1 with why. */
int pg_claims_digest(psy_store *st, char out[17], long *rows, char *why, size_t whylen);

#endif
