/* backends.h -- running one module's tests on every store backend: once on a scratch SQLite file and
 * once on a scratch schema of the test PostgreSQL server (the ctest fixture pg_server, or
 * $PSY_TEST_PG_URI). The same test functions run twice; each reads its backend from its state. */
#ifndef PSY_TEST_BACKENDS_H
#define PSY_TEST_BACKENDS_H

#include "support.h"

struct test_backend {
    const char *name; /* "sqlite" or "postgres", as psy_store_backend says */
    int pg;
    const char *server; /* PostgreSQL: the test server's URI */
};

/* One fresh, empty database on a backend: uri opens it (psy_store_open, --db). */
struct test_db {
    const struct test_backend *b;
    char *uri, *path, *schema;
};

void test_db_make(const struct test_backend *b, struct test_db *d);
void test_db_drop(struct test_db *d);

/* Opens the database, migrating it; seeded with the built-in catalog when seed is set. */
psy_store *test_db_open(const struct test_db *d, int seed);

/* The first column of the first row of sql, read on a connection of its own. */
long long test_db_count(const struct test_db *d, const char *sql);

/* The first column of the first row of sql as text (free it), read on a connection of its own. */
char *test_db_text(const struct test_db *d, const char *sql);

/* Runs sql on a connection of its own; returns its status and copies the store's message into msg. */
psy_status test_db_exec(const struct test_db *d, const char *sql, char *msg, size_t msglen);

/* Runs the tests as group "<name>/sqlite", then "<name>/postgres", each test's initial state set to
 * its struct test_backend. No PostgreSQL server is a failure (with a message saying how to get one).
 * Returns the number of failures. */
int test_run_on_backends(const char *name, const struct CMUnitTest *tests, size_t n, CMFixtureFunction group_setup,
                         CMFixtureFunction group_teardown);

#endif
