/*
 * note_templates.c -- note templates (psy_templates.h): checking one, and gathering the built-in ones
 * (data/notes/NAME.json) with a practice's own directory into one sorted list.
 *
 * The parts of each note kind are those of records_notes.c; a template must name each part of its kind
 * exactly once, which is what makes a templated note signable and lets the audit's individualisation and
 * clone checks read it like any other note.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "psyclaim/psy_templates.h"

static const struct {
    const char *kind;
    const char *parts[4];
} kinds[] = {
    {"individual", {"techniques", "response", "progress", "plan"}},
    {"group", {"theme", "techniques", "dynamics", "factors"}},
    {"member", {"participation", "response", "progress", "plan"}},
};
static const char *const session_kinds[] = {"individual", "family", "intake", "crisis", "group", "multifamily", NULL};

__attribute__((format(printf, 3, 4))) static psy_status bad(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return PSY_EINVAL;
}

static int id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 40) return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')) return 0;
    return 1;
}

static psy_status check_sections(json_t *secs, int k, char *err, size_t errlen)
{
    char f[64], msg[160];
    snprintf(f, sizeof f, "notes.%s", kinds[k].kind);
    if (!json_is_array(secs) || json_array_size(secs) != 4)
        return bad(err, errlen, "%s: a list of 4 sections, one per part (%s)", f,
                   k == 1 ? "theme, techniques, dynamics, factors"
                   : k == 2 ? "participation, response, progress, plan" : "techniques, response, progress, plan");
    int seen[4] = {0};
    size_t i;
    json_t *s;
    json_array_foreach(secs, i, s) {
        snprintf(f, sizeof f, "notes.%s[%zu]", kinds[k].kind, i);
        const char *part = json_string_value(json_object_get(s, "part"));
        const char *label = json_string_value(json_object_get(s, "label"));
        json_t *prompt = json_object_get(s, "prompt");
        int p = -1;
        for (int q = 0; part && q < 4; q++)
            if (!strcmp(part, kinds[k].parts[q])) p = q;
        if (p < 0) {
            snprintf(msg, sizeof msg, "not a part of a %s note", kinds[k].kind);
            return bad(err, errlen, "%s.part: %s", f, msg);
        }
        if (seen[p]++) return bad(err, errlen, "%s.part: %s comes twice", f, part);
        if (!label || !*label || strlen(label) > 80) return bad(err, errlen, "%s.label: %s", f, "1 to 80 characters");
        if (prompt && (!json_is_string(prompt) || strlen(json_string_value(prompt)) > 500))
            return bad(err, errlen, "%s.prompt: %s", f, "text of at most 500 characters");
    }
    return PSY_OK;
}

static psy_status check_obj(json_t *t, char *err, size_t errlen)
{
    if (!json_is_object(t)) return bad(err, errlen, "%s: %s", "template", "one JSON object");
    const char *id = json_string_value(json_object_get(t, "id"));
    const char *name = json_string_value(json_object_get(t, "name"));
    json_t *sk = json_object_get(t, "session_kinds"), *notes = json_object_get(t, "notes"), *v;
    if (!id || !id_ok(id)) return bad(err, errlen, "%s: %s", "id", "1 to 40 lower-case letters, digits, - or _");
    if (!name || !*name || strlen(name) > 80) return bad(err, errlen, "%s: %s", "name", "1 to 80 characters");
    v = json_object_get(t, "description");
    if (v && !json_is_string(v)) return bad(err, errlen, "%s: %s", "description", "text");
    if (!json_is_array(sk) || !json_array_size(sk))
        return bad(err, errlen, "%s: %s", "session_kinds", "a list of session kinds (individual, family ...)");
    int group = -1;
    size_t i;
    json_array_foreach(sk, i, v) {
        const char *k = json_string_value(v);
        int known = 0;
        for (int q = 0; k && session_kinds[q]; q++) known |= !strcmp(k, session_kinds[q]);
        if (!known) return bad(err, errlen, "%s: %s", "session_kinds", "individual, family, intake, crisis, group or multifamily");
        int g = !strcmp(k, "group") || !strcmp(k, "multifamily");
        if (group >= 0 && g != group)
            return bad(err, errlen, "%s: %s", "session_kinds", "either group kinds or individual kinds, not both");
        group = g;
    }
    if (!json_is_object(notes)) return bad(err, errlen, "%s: %s", "notes", "an object of note kinds");
    const char *key;
    json_object_foreach(notes, key, v) {
        int k = -1;
        for (int q = 0; q < 3; q++)
            if (!strcmp(key, kinds[q].kind)) k = q;
        if (k < 0 || (k == 0) == group)
            return bad(err, errlen, "notes.%s: %s", key,
                       group ? "a group template has 'group' and 'member' notes" : "this template has an 'individual' note");
        psy_status rc = check_sections(v, k, err, errlen);
        if (rc) return rc;
    }
    if (group ? !json_object_get(notes, "group") || !json_object_get(notes, "member") : !json_object_get(notes, "individual"))
        return bad(err, errlen, "%s: %s", "notes", group ? "needs a 'group' and a 'member' note" : "needs an 'individual' note");
    return PSY_OK;
}

psy_status psy_note_template_check(const char *json, size_t len, char *err, size_t errlen)
{
    json_error_t je;
    json_t *t = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!t) {
        if (err && errlen) snprintf(err, errlen, "line %d: %s", je.line, je.text);
        return PSY_EINVAL;
    }
    psy_status rc = check_obj(t, err, errlen);
    json_decref(t);
    return rc;
}

struct gather {
    json_t *by_id; /* id -> template */
    psy_status rc;
    char *err;
    size_t errlen;
};

static void add_one(void *ud, const char *name, const char *data, size_t len)
{
    struct gather *g = ud;
    char e[200];
    if (g->rc) return;
    size_t n = strlen(name);
    if (n < 5 || strcmp(name + n - 5, ".json")) return;
    if ((g->rc = psy_note_template_check(data, len, e, sizeof e))) {
        if (g->err && g->errlen) snprintf(g->err, g->errlen, "%s: %s", name, e);
        return;
    }
    json_t *t = json_loadb(data, len, 0, NULL);
    json_object_set_new(t, "source", json_string(strncmp(name, "notes/", 6) ? "practice" : "built-in"));
    json_object_set_new(g->by_id, json_string_value(json_object_get(t, "id")), t);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static psy_status add_dir(struct gather *g, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (g->err && g->errlen) snprintf(g->err, g->errlen, "note templates: cannot open the directory %s", dir);
        return PSY_EIO;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".json") && e->d_name[0] != '.') {
            char **nn = realloc(names, (n + 1) * sizeof *names);
            if (!nn) break;
            names = nn;
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = g->rc ? NULL : fopen(path, "rb");
        if (f) {
            char *buf = malloc(65537);
            size_t len = buf ? fread(buf, 1, 65536, f) : 0;
            if (buf && len == 65536) {
                g->rc = PSY_EINVAL;
                if (g->err && g->errlen) snprintf(g->err, g->errlen, "%s: larger than 64 KiB", path);
            } else if (buf) {
                buf[len] = 0;
                add_one(g, path, buf, len);
            }
            free(buf);
            fclose(f);
        } else if (!g->rc) {
            g->rc = PSY_EIO;
            if (g->err && g->errlen) snprintf(g->err, g->errlen, "%s: cannot be read", path);
        }
        free(names[i]);
    }
    free(names);
    return g->rc;
}

psy_status psy_note_templates_json(const char *dir, char **out, char *err, size_t errlen)
{
    struct gather g = {json_object(), PSY_OK, err, errlen};
    *out = NULL;
    psy_data_each("notes/", add_one, &g);
    if (!g.rc && dir && *dir) add_dir(&g, dir);
    if (g.rc) {
        json_decref(g.by_id);
        return g.rc;
    }
    /* sorted by id */
    size_t n = json_object_size(g.by_id), i = 0;
    const char **ids = calloc(n ? n : 1, sizeof *ids);
    const char *key;
    json_t *v;
    json_object_foreach(g.by_id, key, v) ids[i++] = key;
    qsort(ids, n, sizeof *ids, by_name);
    json_t *arr = json_array();
    for (i = 0; i < n; i++) json_array_append(arr, json_object_get(g.by_id, ids[i]));
    free(ids);
    json_t *doc = json_pack("{s:o}", "templates", arr);
    *out = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    json_decref(g.by_id);
    return *out ? PSY_OK : PSY_ENOMEM;
}
