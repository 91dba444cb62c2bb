// A C library opened with dlopen on first use, its functions resolved into the caller's
// table: libcurl (CCurl), libldns (CLDNS) and libcrypto (CCrypto) are not linked, so a
// process that never needs one never maps it and what it loads (issue 18).
#ifndef SEXTANT_CLIBRARY_H
#define SEXTANT_CLIBRARY_H
#include <pthread.h>

struct clibrary {
    /// The file dlopen opens ("libcurl.so.4") and the name messages use ("libcurl").
    const char *soname;
    const char *name;
    pthread_mutex_t lock;
    int tried;
    void *handle;
    /// Why the library is not usable; empty when it is.
    char failure[512];
};
#define CLIBRARY_INIT(soname, name) { soname, name, PTHREAD_MUTEX_INITIALIZER, 0, 0, "" }

/// Opens `lib` once, thread-safe, and has `resolve` fill the caller's function table
/// (through `clibrary_symbol`; it may also initialize the library and set `failure`).
/// Returns NULL when the library is usable, else why not; the same on every call.
const char *clibrary_load(struct clibrary *lib, void (*resolve)(struct clibrary *lib));

/// A function of the opened library; NULL when it has none, the first such name then
/// recorded in `failure` ("libcurl.so.4 has no curl_easy_init").
void *clibrary_symbol(struct clibrary *lib, const char *symbol);
#endif
