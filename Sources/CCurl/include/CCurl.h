// libcurl for Swift, loaded on first use.
//
// curl_easy_setopt/getinfo are variadic (unavailable in Swift), so each argument kind
// gets one typed wrapper (notes/swift-systems.md, pitfalls 2 and 3). And libcurl is not
// linked: it is opened with dlopen when the first transfer is set up (ccurl_load), so a
// server that talks to no API server (the zones folder only, a sidecar's forwarder)
// never maps libcurl and the TLS, Kerberos, LDAP and SSH libraries it pulls in: about
// 3 MiB of resident memory (issue 18). The header gives the types and constants only.
#ifndef SEXTANT_CCURL_H
#define SEXTANT_CCURL_H
#include <curl/curl.h>
#include <stddef.h>

/// The libcurl functions Sextant calls, resolved by ccurl_load.
struct ccurl_api {
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    curl_version_info_data *(*version_info)(CURLversion);
};
extern struct ccurl_api ccurl_api;

/// Opens libcurl (libcurl.so.4) once, thread-safe, and runs curl_global_init. Returns
/// NULL when it is usable, else why not (dlerror's text or curl_global_init's).
const char *ccurl_load(void);

static inline CURL *ccurl_easy_init(void) { return ccurl_api.easy_init(); }
static inline void ccurl_easy_cleanup(CURL *h) { ccurl_api.easy_cleanup(h); }
static inline void ccurl_easy_reset(CURL *h) { ccurl_api.easy_reset(h); }
static inline CURLcode ccurl_easy_perform(CURL *h) { return ccurl_api.easy_perform(h); }
static inline const char *ccurl_easy_strerror(CURLcode c) { return ccurl_api.easy_strerror(c); }
static inline struct curl_slist *ccurl_slist_append(struct curl_slist *l, const char *s) { return ccurl_api.slist_append(l, s); }
static inline void ccurl_slist_free_all(struct curl_slist *l) { if (l) ccurl_api.slist_free_all(l); }

static inline CURLcode ccurl_setopt_long(CURL *h, CURLoption o, long v) { return ccurl_api.easy_setopt(h, o, v); }
static inline CURLcode ccurl_setopt_string(CURL *h, CURLoption o, const char *v) { return ccurl_api.easy_setopt(h, o, v); }
static inline CURLcode ccurl_setopt_pointer(CURL *h, CURLoption o, void *v) { return ccurl_api.easy_setopt(h, o, v); }
static inline CURLcode ccurl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return ccurl_api.easy_setopt(h, o, v); }

/// PEM held in memory (kubeconfig *-data fields); curl copies it.
static inline CURLcode ccurl_setopt_blob(CURL *h, CURLoption o, const void *data, size_t len) {
    struct curl_blob b;
    b.data = (void *)data;
    b.len = len;
    b.flags = CURL_BLOB_COPY;
    return ccurl_api.easy_setopt(h, o, &b);
}

typedef size_t (*ccurl_data_cb)(char *, size_t, size_t, void *);
typedef int (*ccurl_xferinfo_cb)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
static inline CURLcode ccurl_setopt_data_cb(CURL *h, CURLoption o, ccurl_data_cb cb) { return ccurl_api.easy_setopt(h, o, cb); }
static inline CURLcode ccurl_setopt_xferinfo_cb(CURL *h, ccurl_xferinfo_cb cb) { return ccurl_api.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, cb); }
static inline CURLcode ccurl_getinfo_long(CURL *h, CURLINFO i, long *out) { return ccurl_api.easy_getinfo(h, i, out); }
static inline curl_version_info_data *ccurl_version_info(void) { return ccurl_api.version_info(CURLVERSION_NOW); }

static inline const long ccurl_http_version_2tls(void) { return CURL_HTTP_VERSION_2TLS; }
#endif
