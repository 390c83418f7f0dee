/* pg_scratch.c -- private schemas on the test PostgreSQL server (see pg_scratch.h). */
#include "pg_scratch.h"
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *pg_scratch_server(char *why, size_t whylen)
{
    static char uri[512];
    const char *env = getenv("PSY_TEST_PG_URI");
    if (env && *env) return env;
#ifdef PSY_PG_URI_FILE
    FILE *f = fopen(PSY_PG_URI_FILE, "r");
    if (f) {
        int ok = fgets(uri, sizeof uri, f) != NULL;
        fclose(f);
        uri[strcspn(uri, "\r\n")] = 0;
        if (ok && *uri) return uri;
    }
    snprintf(why, whylen, "no PostgreSQL test server: PSY_TEST_PG_URI is unset and %s is missing. "
             "`ctest` starts one (fixture pg_server, scripts/pg-test-server.sh; needs the postgresql "
             "package that scripts/bootstrap.sh installs)", PSY_PG_URI_FILE);
#else
    snprintf(why, whylen, "no PostgreSQL test server: set PSY_TEST_PG_URI (scripts/pg-test-server.sh start "
             "prints one)");
#endif
    return NULL;
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int pg_scratch_exec(const char *base, const char *sql, char *why, size_t whylen)
{
    PGconn *c = PQconnectdb(base);
    int ok = PQstatus(c) == CONNECTION_OK;
    if (ok) {
        PQsetNoticeProcessor(c, quiet, NULL);
        PGresult *r = PQexec(c, sql);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
        PQclear(r);
    }
    if (!ok && why) snprintf(why, whylen, "PostgreSQL test server %s: %s", base, PQerrorMessage(c));
    PQfinish(c);
    return ok;
}

char *pg_scratch_create(const char *base, char **schema, char *why, size_t whylen)
{
    static unsigned counter;
    char name[64], sql[128];
    snprintf(name, sizeof name, "psy_t%ld_%d_%u", (long)time(NULL) % 100000, (int)getpid(), ++counter);
    snprintf(sql, sizeof sql, "CREATE SCHEMA %s", name);
    *schema = NULL;
    if (!pg_scratch_exec(base, sql, why, whylen)) return NULL;
    size_t len = strlen(base) + 128;
    char *uri = malloc(len);
    snprintf(uri, len, "%s%soptions=-csearch_path%%3D%s", base, strchr(base, '?') ? "&" : "?", name);
    *schema = strdup(name);
    return uri;
}

void pg_scratch_drop(const char *base, const char *schema)
{
    char sql[128];
    if (!schema) return;
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", schema);
    pg_scratch_exec(base, sql, NULL, 0);
}
