#include <dlfcn.h>
#include <stdio.h>
#include "CLibrary.h"

void *clibrary_symbol(struct clibrary *lib, const char *symbol) {
    void *f = dlsym(lib->handle, symbol);
    if (!f && !lib->failure[0]) snprintf(lib->failure, sizeof lib->failure, "%s has no %s", lib->soname, symbol);
    return f;
}

const char *clibrary_load(struct clibrary *lib, void (*resolve)(struct clibrary *lib)) {
    pthread_mutex_lock(&lib->lock);
    if (!lib->tried) {
        lib->tried = 1;
        lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
        if (!lib->handle) {
            const char *e = dlerror();
            if (e) snprintf(lib->failure, sizeof lib->failure, "cannot load %s: %s", lib->name, e);
            else snprintf(lib->failure, sizeof lib->failure, "cannot load %s: %s not found", lib->name, lib->soname);
        } else {
            resolve(lib);
        }
    }
    pthread_mutex_unlock(&lib->lock);
    return lib->failure[0] ? lib->failure : NULL;
}
