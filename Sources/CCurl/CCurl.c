#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "CCurl.h"

struct ccurl_api ccurl_api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[512];
static int loaded;

static void *need(void *lib, const char *name) {
    void *f = dlsym(lib, name);
    if (!f && !failure[0]) snprintf(failure, sizeof failure, "libcurl.so.4 has no %s", name);
    return f;
}

static void load(void) {
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        snprintf(failure, sizeof failure, "cannot load libcurl: %s", e ? e : "libcurl.so.4 not found");
        return;
    }
    CURLcode (*global_init)(long) = (CURLcode (*)(long))need(lib, "curl_global_init");
    ccurl_api.easy_init = (CURL *(*)(void))need(lib, "curl_easy_init");
    ccurl_api.easy_cleanup = (void (*)(CURL *))need(lib, "curl_easy_cleanup");
    ccurl_api.easy_reset = (void (*)(CURL *))need(lib, "curl_easy_reset");
    ccurl_api.easy_perform = (CURLcode (*)(CURL *))need(lib, "curl_easy_perform");
    ccurl_api.easy_strerror = (const char *(*)(CURLcode))need(lib, "curl_easy_strerror");
    ccurl_api.easy_setopt = (CURLcode (*)(CURL *, CURLoption, ...))need(lib, "curl_easy_setopt");
    ccurl_api.easy_getinfo = (CURLcode (*)(CURL *, CURLINFO, ...))need(lib, "curl_easy_getinfo");
    ccurl_api.slist_append = (struct curl_slist *(*)(struct curl_slist *, const char *))need(lib, "curl_slist_append");
    ccurl_api.slist_free_all = (void (*)(struct curl_slist *))need(lib, "curl_slist_free_all");
    ccurl_api.version_info = (curl_version_info_data *(*)(CURLversion))need(lib, "curl_version_info");
    if (failure[0]) return;
    CURLcode c = global_init(CURL_GLOBAL_DEFAULT);
    if (c != CURLE_OK) {
        snprintf(failure, sizeof failure, "curl_global_init: %s", ccurl_api.easy_strerror(c));
        return;
    }
    loaded = 1;
}

const char *ccurl_load(void) {
    pthread_once(&once, load);
    return loaded ? NULL : failure;
}
