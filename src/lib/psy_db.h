/*
 * psy_db.h -- the SQL layer inside libpsyclaim: one way to run SQL on SQLite or PostgreSQL.
 *
 * Modules write SQL once, with `?` placeholders, and run it through these calls; db.c keeps one
 * prepared statement per SQL text per store (prepare once, run many times) and hands it to the backend
 * (db_sqlite.c, db_pg.c). On PostgreSQL the `?` become $1..$n (quoted text, identifiers and comments
 * are left alone), statements are prepared server-side and values travel as text.
 *
 * Writing SQL that runs on both (the rules the contract tests hold both backends to):
 *   - Types: INTEGER / BIGINT, TEXT, REAL / DOUBLE PRECISION; booleans as INTEGER 0/1 (a PostgreSQL
 *     boolean result reads as 1/0 through psy__sql_int64); money in integer cents; dates as ISO text.
 *   - Upserts with INSERT ... ON CONFLICT (cols) DO UPDATE / DO NOTHING, never INSERT OR REPLACE/IGNORE.
 *   - New ids with INSERT ... RETURNING id (psy__sql_insert_id), never last_insert_rowid().
 *   - No SQLite-only functions (date(), ifnull(), printf(), group_concat()); do date arithmetic in C.
 *   - Text compares bytewise on both: the PostgreSQL migrations declare key text columns COLLATE "C".
 *   - A placeholder whose type the statement does not fix ("SELECT ?", "? IS NULL") gets a cast,
 *     CAST(? AS TEXT): PostgreSQL must know every parameter's type when it prepares.
 *   - A failed statement inside a transaction aborts the whole transaction on PostgreSQL. Code that
 *     wants to go on after a failure wraps the attempt in its own psy__store_begin/rollback (a savepoint).
 *   - One statement handle is used by one caller at a time; preparing a text that is already in use
 *     (a nested query with the same SQL) gives a separate, uncached statement.
 */
#ifndef PSY_DB_H
#define PSY_DB_H

#include <stddef.h>
#include <stdint.h>
#include "psy_int.h"

typedef enum { PSY_DB_SQLITE, PSY_DB_POSTGRES } psy__dialect;

/* What kind of failure the last error on a store was. */
typedef enum {
    PSY_DBE_OTHER,
    PSY_DBE_CONSTRAINT, /* unique, foreign key, check or not-null violation */
    PSY_DBE_BUSY,       /* lock timeout, deadlock or serialization failure: worth a retry */
    PSY_DBE_UNAVAILABLE /* the database server cannot be reached (PostgreSQL down, restarting, failing over) */
} psy__dberr;

enum { PSY_SQL_ERROR = -1, PSY_SQL_DONE = 0, PSY_SQL_ROW = 1 };

typedef struct psy__stmt psy__stmt;

psy__dialect psy__db_dialect(psy_store *st);
const char *psy__db_errtext(psy_store *st); /* the backend's message for the last failure */
psy__dberr psy__db_errkind(psy_store *st);

/* Runs SQL text that takes no parameters (one or more statements separated by ';'). */
psy_status psy__sql_exec(psy_store *st, const char *script);

/* A statement for sql, prepared on first use and reused afterwards; NULL on error (psy__db_errtext
 * says why). Give it back with psy__sql_finalize. */
psy__stmt *psy__sql_prepare(psy_store *st, const char *sql);
void psy__sql_finalize(psy__stmt *s); /* resets, clears bindings, returns it to the cache; NULL ok */

/* Parameters count from 1. Text is copied; a NULL string binds SQL NULL. Each returns 0, or -1 when the
 * backend refuses the value (a parameter number the statement lacks, a value too big): the failure is
 * recorded (psy__db_errtext) and the statement's next step returns PSY_SQL_ERROR, so a refused bind is
 * never run with a missing value. Modules bind through psy__db_query and PSY_ARGS below, not these. */
int psy__sql_bind_int64(psy__stmt *s, int i, int64_t v);
int psy__sql_bind_double(psy__stmt *s, int i, double v);
int psy__sql_bind_text(psy__stmt *s, int i, const char *v);
int psy__sql_bind_text_kept(psy__stmt *s, int i, const char *v); /* v unchanged until the next step ran */
int psy__sql_bind_null(psy__stmt *s, int i);

/* Runs the statement or moves to its next row: PSY_SQL_ROW, PSY_SQL_DONE, or PSY_SQL_ERROR. After
 * DONE or ERROR it stays there until psy__sql_reset. */
int psy__sql_step(psy__stmt *s);

/* Columns of the current row count from 0. Text is NULL for SQL NULL and valid until the next step. */
int64_t psy__sql_int64(psy__stmt *s, int col);
double psy__sql_double(psy__stmt *s, int col);
const char *psy__sql_text(psy__stmt *s, int col);
int psy__sql_is_null(psy__stmt *s, int col);

int64_t psy__sql_changes(psy__stmt *s); /* rows inserted, updated or deleted by its last run */
void psy__sql_reset(psy__stmt *s);      /* ready to run again; bindings cleared */

/* Runs an "INSERT ... RETURNING id" statement (bound beforehand) and stores the new row's id; resets
 * the statement. */
psy_status psy__sql_insert_id(psy_store *st, psy__stmt *s, int64_t *id);

/* --- the query API: what every module uses ------------------------------------------------------
 *
 * Arguments are typed values made by macros that the compiler checks (an integer macro refuses a
 * pointer or a double, a text macro refuses anything but a char pointer or array), passed as one array:
 *
 *     int64_t n;
 *     psy_status rc = psy__db_int(st, &n, "SELECT count(*) FROM claim WHERE practice_id = ? AND status = ?",
 *                                 PSY_ARGS(PSY_INT(practice), PSY_TEXT(status)));
 *
 * Rows are read into structs through column maps (PSY__COL below), whose every entry is checked at
 * compile time against the member's declared type. Failures are recorded on the store with the
 * backend's message ("database: ..."); PSY_ENOTFOUND (no row) records nothing. */
typedef enum { PSY__ARG_NULL, PSY__ARG_INT, PSY__ARG_REAL, PSY__ARG_TEXT } psy__argtype;
typedef struct {
    psy__argtype type;
    int64_t i;
    double d;
    const char *s;
} psy__arg;

static inline psy__arg psy__arg_int(int64_t v) { return (psy__arg){PSY__ARG_INT, v, 0, NULL}; }
static inline psy__arg psy__arg_int_or_null(int64_t v)
{
    return (psy__arg){v ? PSY__ARG_INT : PSY__ARG_NULL, v, 0, NULL};
}
static inline psy__arg psy__arg_real(double v) { return (psy__arg){PSY__ARG_REAL, 0, v, NULL}; }
static inline psy__arg psy__arg_text(const char *v) { return (psy__arg){v ? PSY__ARG_TEXT : PSY__ARG_NULL, 0, 0, v}; }
static inline psy__arg psy__arg_text_or_empty(const char *v) { return (psy__arg){PSY__ARG_TEXT, 0, 0, v ? v : ""}; }
static inline psy__arg psy__arg_text_or_null(const char *v)
{
    return (psy__arg){v && *v ? PSY__ARG_TEXT : PSY__ARG_NULL, 0, 0, v};
}

#define PSY__INTEGER(x, f)                                                                                       \
    _Generic((x), _Bool: f, char: f, signed char: f, unsigned char: f, short: f, unsigned short: f, int: f,      \
             unsigned: f, long: f, unsigned long: f, long long: f, unsigned long long: f)(x)
#define PSY__STRING(x, f) _Generic((x), char *: f, const char *: f)(x)

#define PSY_INT(x) PSY__INTEGER(x, psy__arg_int)                 /* any integer: ids, counts, cents, flags */
#define PSY_INT_OR_NULL(x) PSY__INTEGER(x, psy__arg_int_or_null) /* 0 binds SQL NULL (an optional reference) */
#define PSY_REAL(x) _Generic((x), double: psy__arg_real, float: psy__arg_real)(x)
#define PSY_TEXT(x) PSY__STRING(x, psy__arg_text)                   /* NULL binds SQL NULL */
#define PSY_TEXT_OR_EMPTY(x) PSY__STRING(x, psy__arg_text_or_empty) /* NULL binds '' */
#define PSY_TEXT_OR_NULL(x) PSY__STRING(x, psy__arg_text_or_null)   /* NULL and "" bind SQL NULL */
#define PSY_NULL ((psy__arg){PSY__ARG_NULL, 0, 0, NULL})

/* The argument list of a query: PSY_ARGS(a, b, ...) or PSY_NOARGS. */
#define PSY_ARGS(...)                                                                                            \
    ((const psy__arg[]){__VA_ARGS__}), (int)(sizeof((const psy__arg[]){__VA_ARGS__}) / sizeof(psy__arg))
#define PSY_NOARGS NULL, 0

/* Binds n arguments to parameters first, first + 1, ...; 0, or -1 at the first the backend refuses. */
int psy__sql_bind_args(psy__stmt *s, int first, const psy__arg *a, int n);

/* A statement for sql with its arguments bound, to step through by hand; give it back with
 * psy__sql_finalize. On failure *out is NULL. */
psy_status psy__db_query(psy_store *st, psy__stmt **out, const char *sql, const psy__arg *a, int n);
/* The same without a message on the store: the statement, or NULL with the reason on psy__db_errtext
 * (for modules that name the failure themselves with psy__store_dbfail). */
psy__stmt *psy__db_stmt(psy_store *st, const char *sql, const psy__arg *a, int n);
/* Runs a statement that returns no rows; *changes (may be NULL) gets the rows it changed. */
psy_status psy__db_run(psy_store *st, int64_t *changes, const char *sql, const psy__arg *a, int n);
/* Runs an INSERT (sql without RETURNING; "RETURNING id" is added) and gives the new row's id. */
psy_status psy__db_insert(psy_store *st, int64_t *id, const char *sql, const psy__arg *a, int n);
/* The first column of the first row as an integer (as text into dst, "" for NULL); PSY_ENOTFOUND when
 * there is no row. */
psy_status psy__db_int(psy_store *st, int64_t *out, const char *sql, const psy__arg *a, int n);
psy_status psy__db_text(psy_store *st, char *dst, size_t len, const char *sql, const psy__arg *a, int n);
/* The first column of every row as integers (free *out). */
psy_status psy__db_ints(psy_store *st, int64_t **out, size_t *n_out, const char *sql, const psy__arg *a, int n);
/* Several statements, one round trip. Runs the n statements (from psy__db_stmt, arguments bound) in
 * their order and waits once: on PostgreSQL they go out together in libpq's pipeline mode and their
 * answers come back together; on SQLite each runs in turn. Afterwards each statement's steps give its
 * rows as usual (the first step no longer runs it) and psy__sql_changes its count. For statements whose
 * arguments do not hang on each other's answers: the checks of a write, or the writes of one record.
 * PSY_OK, or the failure of the first statement that failed, recorded on the store ("database: ...");
 * the statements after it did not run (their step gives PSY_SQL_ERROR). Inside a transaction a failure
 * leaves it to be rolled back, as any failed statement does. The caller finalizes the statements. */
psy_status psy__db_pipeline(psy_store *st, psy__stmt **s, size_t n);
/* The same with SQL text (no parameters, or NULL) sent before and after the statements in the same
 * round trip: store.c's BEGIN and COMMIT. */
psy_status psy__db_pipeline_with(psy_store *st, const char *lead, psy__stmt **s, size_t n, const char *tail);
/* psy__store_begin, psy__store_lock and then the n statements (may be 0) as psy__db_pipeline runs
 * them: on a PostgreSQL server, outside a transaction, all in one round trip. On failure no transaction
 * is left open (inside another, the savepoint is rolled back). */
psy_status psy__store_begin_lock(psy_store *st, int64_t key, psy__stmt **s, size_t n);
/* The statement that takes psy__store_lock's lock, bound, to send with others (finalize it); *out NULL
 * on SQLite, where the write transaction already serialises. */
psy_status psy__store_lock_stmt(psy_store *st, int64_t key, psy__stmt **out);
/* The n statements as one unit, all or nothing (the outermost transaction, or a savepoint inside
 * one), with its BEGIN or SAVEPOINT and its COMMIT or RELEASE in the same round trip. On failure the
 * unit is rolled back and the failure recorded; the statements' rows read as after psy__db_pipeline. */
psy_status psy__store_atomic(psy_store *st, psy__stmt **s, size_t n);
/* Runs the n statements as psy__db_pipeline does, then psy__store_commit: for the outermost
 * transaction the COMMIT goes in the same round trip. When a statement or the commit fails nothing is
 * kept: the transaction (the savepoint, inside another) is rolled back, and the failure recorded. */
psy_status psy__store_commit_after(psy_store *st, psy__stmt **s, size_t n);

/* Ids for n new rows of table (whose key is `id`), ascending, as the store would give them one by one,
 * for rows written in sets: the table's sequence on PostgreSQL, after the largest id on SQLite (the
 * caller holds the write lock: inside its transaction). */
psy_status psy__db_reserve_ids(psy_store *st, const char *table, size_t n, int64_t *ids);

/* Column n of the current row: copied into dst ("" for NULL); or a malloc'd copy ("" for NULL). */
void psy__db_col_copy(psy__stmt *s, int col, char *dst, size_t len);
char *psy__db_col_dup(psy__stmt *s, int col);

/* How a struct is read from a row: one entry per column (a column name or an SQL expression) with the
 * member it fills. The kind says the member's type and is checked against it when the map compiles:
 *   i int64_t (ids)      c long long (cents)     d int      l long      f double
 *   s char array (text, "" for NULL, cut to the array)
 *   S char * (malloc'd text, "" for NULL)     N char * (malloc'd text, or NULL for NULL)
 * PSY__COL(struct psy_client, last_name, s) reads column last_name; PSY__COLX gives an expression. */
#define PSY__COL(T, f, k) PSY__COLX(T, #f, f, k)
#define PSY__COLX(T, expr, f, k) {expr, PSY__K_##k, offsetof(T, f), sizeof(((T *)0)->f) * PSY__CK_##k(T, f)}
enum {
    PSY__K_i = 'i',
    PSY__K_c = 'c',
    PSY__K_d = 'd',
    PSY__K_l = 'l',
    PSY__K_f = 'f',
    PSY__K_s = 's',
    PSY__K_S = 'S',
    PSY__K_N = 'N'
};
/* Each is the integer constant 1 when the member has the kind's type, and a compile error otherwise. */
#define PSY__CK_i(T, f) _Generic(((T *)0)->f, int64_t: 1)
#define PSY__CK_c(T, f) _Generic(((T *)0)->f, long long: 1)
#define PSY__CK_d(T, f) _Generic(((T *)0)->f, int: 1)
#define PSY__CK_l(T, f) _Generic(((T *)0)->f, long: 1)
#define PSY__CK_f(T, f) _Generic(((T *)0)->f, double: 1)
#define PSY__CK_s(T, f) _Generic(&((T *)0)->f, char(*)[sizeof(((T *)0)->f)]: 1)
#define PSY__CK_S(T, f) _Generic(((T *)0)->f, char *: 1)
#define PSY__CK_N(T, f) _Generic(((T *)0)->f, char *: 1)
struct psy__col {
    const char *expr;
    int kind;
    size_t off, size;
};
struct psy__map {
    const struct psy__col *cols;
    size_t n;
};
#define PSY__MAP(arr) {arr, sizeof arr / sizeof arr[0]}

/* "SELECT <m's columns> " + rest, to read row by row with psy__db_read. */
psy_status psy__db_map_query(psy_store *st, psy__stmt **s, const struct psy__map *m, const char *rest,
                             const psy__arg *a, int n);
/* Fills item from the current row of s, by m (columns from 0). */
void psy__db_read(psy__stmt *s, const struct psy__map *m, void *item);
/* "SELECT <m's columns> " + rest: the first row into item, PSY_ENOTFOUND when there is none. */
psy_status psy__db_row(psy_store *st, void *item, const struct psy__map *m, const char *rest, const psy__arg *a, int n);
/* The same for every row, into a new array of zeroed items of size bytes (free *out, also after a
 * failure: it holds the rows read before it). */
psy_status psy__db_rows(psy_store *st, void **out, size_t *n_out, size_t size, const struct psy__map *m,
                        const char *rest, const psy__arg *a, int n);

/* Growable result lists: a new zeroed element of size bytes at the end of *v (n elements, room for
 * *cap), growing it by doubling. Aborts on out-of-memory like every allocation in the library. */
void *psy__db_grow(void *v, size_t *n, size_t *cap, size_t size);
/* The same for a typed array: PSY__PUSH(list, n, cap) is a pointer to its new last element. */
#define PSY__PUSH(v, n, cap) ((v) = psy__db_grow(v, &(n), &(cap), sizeof *(v)), &(v)[(n) - 1])

/* WHERE clauses built from the filters actually given: conditions are joined with AND and their values
 * always travel as bound parameters. Start with the SELECT up to (not including) WHERE and its
 * arguments; add filters; then the tail; then run psy__db_query(st, &s, q.sql.p, q.args, q.n).
 *     struct psy__query q;
 *     psy__query_init(&q, "SELECT id FROM claim", PSY_ARGS(...)) or PSY_NOARGS;
 *     psy__query_where(&q, "practice_id = ?", PSY_INT(practice));
 *     if (*status) psy__query_where(&q, "status = ?", PSY_TEXT(status));
 *     psy__query_sql(&q, " ORDER BY id");
 * Up to PSY__QUERY_ARGS arguments in all (more aborts: a programming error). */
#define PSY__QUERY_ARGS 32
struct psy__query {
    struct psy__buf sql;
    psy__arg args[PSY__QUERY_ARGS];
    int n, nwhere;
};
void psy__query_init(struct psy__query *q, const char *head, const psy__arg *a, int n);
void psy__query_where(struct psy__query *q, const char *cond, psy__arg a); /* cond has one `?` */
void psy__query_where_n(struct psy__query *q, const char *cond, const psy__arg *a, int n);
void psy__query_sql(struct psy__query *q, const char *text); /* appends text as it is */
void psy__query_sql_n(struct psy__query *q, const char *text, const psy__arg *a, int n); /* and its `?` values */
void psy__query_free(struct psy__query *q);

/* Keyset paging (struct psy_page in psy_store.h), on a query built as above with every filter added:
 *     if ((rc = psy__page_after(st, &q, pg, "c.service_date", "c.id", 0))) ...   (key NULL: by id only)
 *     psy__page_order(&q, pg, "c.service_date", "c.id", 0);      ORDER BY key, id LIMIT limit + 1
 * then read the rows, and psy__page_done(pg, n, key_of_row(limit - 1), id_of_row(limit - 1)) which
 * says how many rows belong to the page (the extra one only tells that another page follows) and sets
 * next_cursor. desc reads from the newest. The total comes from psy__page_total with the same filters
 * ("SELECT count(*) FROM ... WHERE ..."). The key column must hold text (or be NULL: by id only). */
psy_status psy__page_after(psy_store *st, struct psy__query *q, struct psy_page *pg, const char *key,
                           const char *id, int desc);
void psy__page_order(struct psy__query *q, const struct psy_page *pg, const char *key, const char *id, int desc);
/* For a list ordered in memory: reads pg->cursor into pg->after_key and *last (-1 and "" on the first
 * page); keyed 0 refuses a cursor with a key. PSY_EINVAL ("cursor: ...") for one no list gave. */
psy_status psy__page_cursor(psy_store *st, struct psy_page *pg, int keyed, int64_t *last);
size_t psy__page_done(struct psy_page *pg, size_t n, const char *key, int64_t id);
int psy__page_limit(const struct psy_page *pg);
/* The count of a query (its SQL and arguments as built) into pg->total. */
psy_status psy__page_total(psy_store *st, struct psy_page *pg, const struct psy__query *count);
/* The same, given again from the store's memory while the list's version (table list_version, raised
 * by triggers on every change to the rows it counts; on SQLite not on insert) and the highest id of
 * the table named list are the ones it was computed at. */
psy_status psy__page_total_cached(psy_store *st, struct psy_page *pg, const struct psy__query *count,
                                  const char *list);
void **psy__store_page_cache(psy_store *st);
void psy__page_cache_free(void *cache);
/* A search box's words as a LIKE pattern ("%word%", lower case, % and _ taken literally with \ as the
 * escape): cond is an expression with one `?` per use, such as
 * "(lower(c.last_name) LIKE ? ESCAPE '\\' OR ...)". pat holds at least PSY__LIKE_MAX bytes. */
#define PSY__LIKE_MAX 130
int psy__like_pattern(const char *q, char pat[PSY__LIKE_MAX]);

/* Multi-row writes: rows of one "HEAD ROW, ROW, ... TAIL" statement collected and sent in chunks
 * (one round trip per chunk on PostgreSQL). ROW is a parenthesised template such as "(?, ?, 'x')";
 * add its `?` values in order, then end the row. A plain insert -- HEAD "INSERT INTO t (a, b) VALUES",
 * ROW of `?` only, no TAIL -- goes out on PostgreSQL as COPY t (a, b) FROM STDIN, up to 8192 rows
 * at a time. The same key must not appear twice in one chunk of an
 * ON CONFLICT DO UPDATE statement; psy__batch_flush first when it might. */
struct psy__batch_val {
    int type; /* 0 null, 1 int64, 2 text (offset into text), 3 double */
    int64_t i;
    double d;
    size_t off;
};
struct psy__batch {
    psy_store *st;
    const char *head, *row, *tail;
    int ncols;
    size_t rows, max_rows, flushes;
    int64_t changes; /* rows changed by every chunk sent so far */
    struct psy__batch_val *vals;
    size_t nvals, capvals;
    struct psy__buf text;
    char *copy; /* the COPY statement when the batch goes out that way, else NULL */
};
void psy__batch_init(struct psy__batch *b, psy_store *st, const char *head, const char *row, const char *tail);
void psy__batch_int64(struct psy__batch *b, int64_t v);
void psy__batch_double(struct psy__batch *b, double v);
void psy__batch_text(struct psy__batch *b, const char *v); /* NULL adds SQL NULL */
psy_status psy__batch_row(struct psy__batch *b);            /* ends a row; sends a full chunk */
psy_status psy__batch_flush(struct psy__batch *b);          /* sends what is collected */
/* Waits for the database's answer to every row sent so far: in a transaction that fails whole, a COPY's
 * answer may otherwise come only with the next statement (psy__db_ops.copy). For a caller that must know
 * here whether the rows were taken (to try another way in the same call). */
psy_status psy__batch_settle(psy_store *st);
void psy__batch_free(struct psy__batch *b);

/* --- the backend interface (db_sqlite.c, db_pg.c) ------------------------------------------------ */

/* The version of struct psy__db_ops below. A backend fills its table with designated initialisers and
 * sets .version = PSY_DB_OPS_VERSION; a store refuses a connection whose table has another version.
 * Raise it whenever a member is added, removed or changes meaning. Binds return 0, or -1 with the
 * failure recorded by psy__db_seterr. */
#define PSY_DB_OPS_VERSION 6
struct psy__db;
struct psy__db_ops {
    int version;
    psy__dialect dialect;
    void (*close)(struct psy__db *db);
    int (*exec)(struct psy__db *db, const char *script); /* 0 ok */
    /* persistent: kept for the life of the connection (prepared server-side on PostgreSQL) */
    psy__stmt *(*prepare)(struct psy__db *db, const char *sql, int persistent);
    void (*finalize)(psy__stmt *s);
    int (*bind_int64)(psy__stmt *s, int i, int64_t v);
    int (*bind_double)(psy__stmt *s, int i, double v);
    int (*bind_text)(psy__stmt *s, int i, const char *v);
    /* NULL (bind_text serves), or: binds text that stays as it is until the statement's next step has
     * run, which the backend may so read in place instead of copying it (multi-row batches) */
    int (*bind_text_kept)(psy__stmt *s, int i, const char *v);
    int (*bind_null)(psy__stmt *s, int i);
    int (*step)(psy__stmt *s);
    void (*reset)(psy__stmt *s);
    int64_t (*col_int64)(psy__stmt *s, int col);
    double (*col_double)(psy__stmt *s, int col);
    const char *(*col_text)(psy__stmt *s, int col);
    int (*col_is_null)(psy__stmt *s, int col);
    int64_t (*changes)(psy__stmt *s);
    /* NULL, or: runs sql (a COPY ... FROM STDIN) with data, rows in COPY's text format; 0 ok. With
     * later set, inside a transaction that any failure ends whole (no savepoint to go back to), the
     * backend may return once the rows are sent and report the server's answer at the next call, which
     * then fails if the rows were refused. */
    int (*copy)(struct psy__db *db, const char *sql, const char *data, size_t len, int later);
    /* NULL (copy never answers later), or: reads the answer still owed for rows copied with later; 0
     * when there was none or the rows were taken, else -1 with the refusal recorded */
    int (*settle)(struct psy__db *db);
    /* NULL (each then runs in turn), or: sends lead (SQL text without parameters, or NULL), the n bound
     * statements and tail (the same, or NULL) together and waits once for all their answers. first[i]
     * gets what statement i's first step gives, its rows staying on it; the statements after a failure
     * do not run. 0 when all ran, else -1 with the first failure recorded. */
    int (*pipeline)(struct psy__db *db, const char *lead, psy__stmt **s, size_t n, const char *tail, int *first);
};

/* The common head of every backend's connection and statement. A backend records each failure with
 * psy__db_seterr; the text stays until the next failure. */
struct psy__db {
    const struct psy__db_ops *ops;
    psy__stmt **cache; /* hash table of persistent statements by SQL text */
    size_t cache_cap, cache_n;
    char err[512];
    psy__dberr errkind;
};
struct psy__stmt {
    struct psy__db *db;
    char *sql;
    uint64_t hash;
    psy__stmt *next; /* cache chain */
    int cached, in_use, state; /* state: 0 ready, 1 rows, 2 done, 3 failed, 4 ran in a pipeline, on its first row */
};

/* The connection under a store (store.c). */
struct psy__db *psy__store_conn(psy_store *st);

/* Open a connection; NULL on failure with a message in err. */
struct psy__db *psy__sqlite_open(const char *path, char *err, size_t errlen);
struct psy__db *psy__pg_open(const char *conninfo, char *err, size_t errlen);
void psy__db_close(struct psy__db *db); /* finalizes cached statements, then closes */

void psy__db_seterr(struct psy__db *db, psy__dberr kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));


/* Rewrites `?` placeholders as $1..$n outside quotes and comments; returns a new string and the count. */
char *psy__sql_numbered(const char *sql, int *nparams);

#endif
