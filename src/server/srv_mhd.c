/*
 * srv_mhd.c -- owns loading libmicrohttpd: the pointers the server's calls go through (srv_int.h) and
 * filling them in from the library when a server starts.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "srv_int.h"

#ifndef PSY_LIBMHD_SONAME
#define PSY_LIBMHD_SONAME "libmicrohttpd.so.12"
#endif

/* the pointers themselves: the macros of srv_int.h must not rename the declarations below */
#define SRV_MHD_DEFINE(f) __typeof__(f) *srv_##f;
#undef MHD_add_response_header
#undef MHD_create_response_from_buffer
#undef MHD_destroy_response
#undef MHD_get_connection_info
#undef MHD_get_daemon_info
#undef MHD_get_reason_phrase_for
#undef MHD_get_response_header
#undef MHD_is_feature_supported
#undef MHD_lookup_connection_value
#undef MHD_quiesce_daemon
#undef MHD_start_daemon
#undef MHD_stop_daemon
SRV_MHD_FUNCS(SRV_MHD_DEFINE)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char why[300]; /* "" once loaded */

static void load(void)
{
    void *lib = dlopen(PSY_LIBMHD_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        snprintf(why, sizeof why, "cannot load the HTTP library: %s", e ? e : PSY_LIBMHD_SONAME);
        return;
    }
#define SRV_MHD_RESOLVE(f)                                                                                   \
    if (!why[0]) {                                                                                           \
        void *sym = dlsym(lib, #f);                                                                          \
        if (sym) memcpy(&srv_##f, &sym, sizeof sym);                                                         \
        else snprintf(why, sizeof why, "the HTTP library %s has no %s", PSY_LIBMHD_SONAME, #f);             \
    }
    SRV_MHD_FUNCS(SRV_MHD_RESOLVE)
#undef SRV_MHD_RESOLVE
}

int srv_mhd_load(char *err, size_t errlen)
{
    pthread_once(&once, load);
    if (why[0]) snprintf(err, errlen, "%s", why);
    return why[0] ? -1 : 0;
}
