// OpenSSL's libcrypto, already loaded with libcurl: X25519 for WireGuard keys and
// SHA-256 for the pre-shared key, without a second crypto library in the binary.
#ifndef SEXTANT_CCRYPTO_SHIM_H
#define SEXTANT_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#endif
