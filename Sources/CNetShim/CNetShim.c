#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>
#include "CNetShim.h"

_Static_assert(sizeof(struct cns_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr size");
_Static_assert(offsetof(struct cns_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "msg_len offset");

int cns_recvmmsg(int fd, struct cns_mmsghdr *vec, unsigned int vlen, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)vec, vlen, flags, NULL);
}

int cns_sendmmsg(int fd, struct cns_mmsghdr *vec, unsigned int vlen, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)vec, vlen, flags);
}

int cns_errno(void) { return errno; }

int cns_malloc_trim(void) { return malloc_trim(0); }

// A segment is dropped only when nothing in it can differ from the file: loaded
// without PF_W (so neither relocated nor RELRO, which lives in a writable segment) and
// in an object without text relocations. Only whole pages inside it are dropped.
static int cns_has_textrel(const struct dl_phdr_info *info) {
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_DYNAMIC) continue;
        for (const ElfW(Dyn) *d = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr); d->d_tag != DT_NULL; d++) {
            if (d->d_tag == DT_TEXTREL) return 1;
            if (d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_TEXTREL)) return 1;
        }
    }
    return 0;
}

static int cns_release_object(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    size_t *released = data;
    const char *name = info->dlpi_name;
    // The vDSO is the kernel's mapping, not a file's.
    if (name != NULL && strstr(name, "linux-vdso") != NULL) return 0;
    if (cns_has_textrel(info)) return 0;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) || ph->p_filesz < ph->p_memsz) continue;
        uintptr_t start = (info->dlpi_addr + ph->p_vaddr + page - 1) & ~(page - 1);
        uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_filesz) & ~(page - 1);
        if (end <= start) continue;
        if (madvise((void *)start, end - start, MADV_DONTNEED) == 0) *released += end - start;
    }
    return 0;
}

// The rest of the first line of a text file (/proc) that starts with `prefix`, without
// its newline, into `out`; 0 when the file cannot be read or has no such line.
static int cns_line_after(const char *path, const char *prefix, char *out, size_t size) {
    FILE *f = fopen(path, "re");
    if (f == NULL) return 0;
    char line[600];
    size_t n = strlen(prefix);
    int found = 0;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, prefix, n) == 0) {
            line[strcspn(line, "\n")] = 0;
            snprintf(out, size, "%s", line + n);
            found = 1;
        }
    }
    fclose(f);
    return found;
}

// A debugger's breakpoints are bytes written into this process's copy of the code:
// dropped with the pages, they would be lost silently. Nothing is dropped while traced.
static int cns_is_traced(void) {
    char tracer[64];
    return cns_line_after("/proc/self/status", "TracerPid:", tracer, sizeof tracer) && atoi(tracer) != 0;
}

size_t cns_release_code_pages(void) {
    size_t released = 0;
    if (cns_is_traced()) return 0;
    dl_iterate_phdr(cns_release_object, &released);
    return released;
}

int cns_cgroup_cpu_limit(const char *proc_cgroup, const char *root) {
    char group[512] = "";  // stays empty (the root) without a cgroup v2 line
    cns_line_after(proc_cgroup, "0::", group, sizeof group);
    // The group's file and every ancestor's up to the root (limits nest: the smallest
    // holds; a container in its own cgroup namespace sees its group as the root).
    int best = 0;
    for (;;) {
        char path[1200];
        snprintf(path, sizeof path, "%s%s/cpu.max", root, group);
        FILE *m = fopen(path, "re");
        if (m != NULL) {
            char quota[32] = "";
            long period = 0;
            int fields = fscanf(m, "%31s %ld", quota, &period);
            fclose(m);
            char *end = NULL;
            long q = fields == 2 ? strtol(quota, &end, 10) : 0;
            if (fields == 2 && period > 0 && end != quota && *end == 0 && q > 0) {
                int cpus = (int)((q + period - 1) / period);
                if (best == 0 || cpus < best) best = cpus;
            }
        }
        char *slash = strrchr(group, '/');
        if (slash == NULL) break;
        *slash = 0;  // "/a/b" -> "/a" -> "" (the root, read last)
    }
    return best;
}

int cns_usable_cpus(void) {
    int n = 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
    if (n <= 0) n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    int limit = cns_cgroup_cpu_limit("/proc/self/cgroup", "/sys/fs/cgroup");
    if (limit > 0 && limit < n) n = limit;
    return n < 1 ? 1 : n;
}

int cns_accept_nonblocking(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }

static void cns_stop_set(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
}

int cns_block_stop_signals(void) {
    sigset_t set;
    cns_stop_set(&set);
    return pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int cns_unblock_stop_signals(void) {
    sigset_t set;
    cns_stop_set(&set);
    return pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int cns_wait_stop_signal(void) {
    sigset_t set;
    cns_stop_set(&set);
    for (;;) {
        int sig = sigwaitinfo(&set, NULL);
        if (sig > 0) return sig;
        if (errno != EINTR) return -1;
    }
}

#include <pthread.h>
int cns_set_thread_name(const char *name) { return pthread_setname_np(pthread_self(), name); }
