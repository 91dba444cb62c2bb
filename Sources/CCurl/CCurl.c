#include <stdio.h>
#include "CLibrary.h"
#include "CCurl.h"

struct ccurl_api ccurl_api;

static struct clibrary library = CLIBRARY_INIT("libcurl.so.4", "libcurl");

static void resolve(struct clibrary *lib) {
    CURLcode (*global_init)(long) = (CURLcode (*)(long))clibrary_symbol(lib, "curl_global_init");
    ccurl_api.easy_init = (CURL *(*)(void))clibrary_symbol(lib, "curl_easy_init");
    ccurl_api.easy_cleanup = (void (*)(CURL *))clibrary_symbol(lib, "curl_easy_cleanup");
    ccurl_api.easy_reset = (void (*)(CURL *))clibrary_symbol(lib, "curl_easy_reset");
    ccurl_api.easy_perform = (CURLcode (*)(CURL *))clibrary_symbol(lib, "curl_easy_perform");
    ccurl_api.easy_strerror = (const char *(*)(CURLcode))clibrary_symbol(lib, "curl_easy_strerror");
    ccurl_api.easy_setopt = (CURLcode (*)(CURL *, CURLoption, ...))clibrary_symbol(lib, "curl_easy_setopt");
    ccurl_api.easy_getinfo = (CURLcode (*)(CURL *, CURLINFO, ...))clibrary_symbol(lib, "curl_easy_getinfo");
    ccurl_api.slist_append = (struct curl_slist *(*)(struct curl_slist *, const char *))clibrary_symbol(lib, "curl_slist_append");
    ccurl_api.slist_free_all = (void (*)(struct curl_slist *))clibrary_symbol(lib, "curl_slist_free_all");
    ccurl_api.version_info = (curl_version_info_data *(*)(CURLversion))clibrary_symbol(lib, "curl_version_info");
    if (lib->failure[0]) return;
    CURLcode c = global_init(CURL_GLOBAL_DEFAULT);
    if (c != CURLE_OK) snprintf(lib->failure, sizeof lib->failure, "curl_global_init: %s", ccurl_api.easy_strerror(c));
}

const char *ccurl_load(void) {
    return clibrary_load(&library, resolve);
}
