#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "CCrypto.h"

struct ccrypto_api ccrypto_api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[512];
static int loaded;

static void *need(void *lib, const char *name) {
    void *f = dlsym(lib, name);
    if (!f && !failure[0]) snprintf(failure, sizeof failure, "libcrypto.so.3 has no %s", name);
    return f;
}

static void load(void) {
    void *lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        snprintf(failure, sizeof failure, "cannot load libcrypto: %s", e ? e : "libcrypto.so.3 not found");
        return;
    }
    ccrypto_api.pkey_new_raw_private_key = (EVP_PKEY *(*)(int, ENGINE *, const unsigned char *, size_t))need(lib, "EVP_PKEY_new_raw_private_key");
    ccrypto_api.pkey_free = (void (*)(EVP_PKEY *))need(lib, "EVP_PKEY_free");
    ccrypto_api.pkey_get_raw_public_key = (int (*)(const EVP_PKEY *, unsigned char *, size_t *))need(lib, "EVP_PKEY_get_raw_public_key");
    ccrypto_api.digest = (int (*)(const void *, size_t, unsigned char *, unsigned int *, const EVP_MD *, ENGINE *))need(lib, "EVP_Digest");
    ccrypto_api.sha256 = (const EVP_MD *(*)(void))need(lib, "EVP_sha256");
    if (failure[0]) return;
    loaded = 1;
}

const char *ccrypto_load(void) {
    pthread_once(&once, load);
    return loaded ? NULL : failure;
}
