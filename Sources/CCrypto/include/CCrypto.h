// OpenSSL's libcrypto for the gateway, loaded on first use: X25519 for WireGuard keys
// and SHA-256 for the pre-shared key, without a second crypto library in the binary.
// Not linked (dlopen on the first key), so the DNS server, which never derives a key,
// does not map libcrypto (1.4 MiB resident, issue 18). The header gives the types only.
#ifndef SEXTANT_CCRYPTO_H
#define SEXTANT_CCRYPTO_H
#include <openssl/evp.h>

/// The libcrypto functions the gateway calls, resolved by ccrypto_load.
struct ccrypto_api {
    EVP_PKEY *(*pkey_new_raw_private_key)(int, ENGINE *, const unsigned char *, size_t);
    void (*pkey_free)(EVP_PKEY *);
    int (*pkey_get_raw_public_key)(const EVP_PKEY *, unsigned char *, size_t *);
    int (*digest)(const void *, size_t, unsigned char *, unsigned int *, const EVP_MD *, ENGINE *);
    const EVP_MD *(*sha256)(void);
};
extern struct ccrypto_api ccrypto_api;

/// Opens libcrypto (libcrypto.so.3) once, thread-safe. Returns NULL when it is usable,
/// else why not.
const char *ccrypto_load(void);

static inline EVP_PKEY *ccrypto_x25519_private_key(const unsigned char *key, size_t len) {
    return ccrypto_api.pkey_new_raw_private_key(EVP_PKEY_X25519, NULL, key, len);
}
static inline void ccrypto_pkey_free(EVP_PKEY *k) { ccrypto_api.pkey_free(k); }
static inline int ccrypto_pkey_get_raw_public_key(const EVP_PKEY *k, unsigned char *out, size_t *len) {
    return ccrypto_api.pkey_get_raw_public_key(k, out, len);
}
static inline int ccrypto_sha256(const void *data, size_t count, unsigned char *out, unsigned int *len) {
    return ccrypto_api.digest(data, count, out, len, ccrypto_api.sha256(), NULL);
}
#endif
