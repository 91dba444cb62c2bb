#include "CLibrary.h"
#include "CCrypto.h"

struct ccrypto_api ccrypto_api;

static struct clibrary library = CLIBRARY_INIT("libcrypto.so.3", "libcrypto");

static void resolve(struct clibrary *lib) {
    ccrypto_api.pkey_new_raw_private_key = (EVP_PKEY *(*)(int, ENGINE *, const unsigned char *, size_t))clibrary_symbol(lib, "EVP_PKEY_new_raw_private_key");
    ccrypto_api.pkey_free = (void (*)(EVP_PKEY *))clibrary_symbol(lib, "EVP_PKEY_free");
    ccrypto_api.pkey_get_raw_public_key = (int (*)(const EVP_PKEY *, unsigned char *, size_t *))clibrary_symbol(lib, "EVP_PKEY_get_raw_public_key");
    ccrypto_api.digest = (int (*)(const void *, size_t, unsigned char *, unsigned int *, const EVP_MD *, ENGINE *))clibrary_symbol(lib, "EVP_Digest");
    ccrypto_api.sha256 = (const EVP_MD *(*)(void))clibrary_symbol(lib, "EVP_sha256");
}

const char *ccrypto_load(void) {
    return clibrary_load(&library, resolve);
}
