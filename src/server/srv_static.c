/*
 * srv_static.c -- the pages: files of web/ compiled into the server (tools/embed.c --web writes the
 * table with each file's content type and ETag), served for GET and HEAD of any path outside /api/.
 * "/" is index.html. A matching If-None-Match gets 304 so browsers revalidate cheaply.
 */
#include <string.h>
#include "srv_int.h"

struct srv_asset_file {
    const char *name;
    const unsigned char *data;
    size_t size;
    const char *mime;
    const char *etag;
};
extern const struct srv_asset_file srv_asset_files[];
extern const size_t srv_asset_count;

static const struct srv_asset_file *find_asset(const char *name)
{
    for (size_t i = 0; i < srv_asset_count; i++)
        if (strcmp(srv_asset_files[i].name, name) == 0) return &srv_asset_files[i];
    return NULL;
}

void srv_static(struct srv_req *r)
{
    const char *name = strcmp(r->path, "/") == 0 ? "index.html" : r->path + 1;
    const struct srv_asset_file *a = *r->path == '/' ? find_asset(name) : NULL;
    if (!a) {
        srv_reply_error(r, 404, "not_found", NULL, "no such page");
        return;
    }
    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
        r->route = r->path; /* an asset that exists: no ids in it */
        srv_reply_error(r, 405, "method_not_allowed", NULL, "%s is not allowed here (allowed: GET)", r->method);
        srv_add_header(r, "Allow", "GET, HEAD");
        return;
    }
    r->route = r->path; /* an asset that exists: no ids in it */
    const char *inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    srv_reply_empty(r, inm && strcmp(inm, a->etag) == 0 ? 304 : 200);
    r->etag = a->etag;
    if (r->status == 200) {
        r->raw = a->data;
        r->raw_len = a->size;
        r->raw_type = a->mime;
    }
}
