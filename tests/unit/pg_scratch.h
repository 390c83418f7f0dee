/* pg_scratch.h -- a private schema on the test PostgreSQL server for one test or benchmark, so runs never
 * see each other's rows. The server comes from scripts/pg-test-server.sh (ctest starts it as the
 * fixture pg_server). */
#ifndef PSY_PG_SCRATCH_H
#define PSY_PG_SCRATCH_H

#include <stddef.h>

/* The test server's URI: $PSY_TEST_PG_URI, else the `uri` file the fixture wrote (path given at build
 * time), else NULL with a message saying how to get a server in why. */
const char *pg_scratch_server(char *why, size_t whylen);

/* Creates a fresh schema on the server at base and returns a URI whose search_path is that schema
 * (free it); NULL with a message in why on failure. *schema gets the schema's name (free it). */
char *pg_scratch_create(const char *base, char **schema, char *why, size_t whylen);

/* Runs sql on its own connection to base; 1 on success, else 0 with a message in why (may be NULL). */
int pg_scratch_exec(const char *base, const char *sql, char *why, size_t whylen);

/* Drops the schema and everything in it. */
void pg_scratch_drop(const char *base, const char *schema);

#endif
