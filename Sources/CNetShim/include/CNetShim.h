#ifndef CNETSHIM_H
#define CNETSHIM_H
// recvmmsg/sendmmsg need _GNU_SOURCE, which Swift's Glibc module does not define, and
// defining it in a public header breaks the import of that module. So this header
// declares a layout-identical mirror of struct mmsghdr and wrappers implemented in
// the .c file, where _GNU_SOURCE is set.
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <stddef.h>

struct cns_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};

/// recvmmsg with MSG_DONTWAIT semantics left to the caller's flags; returns -1 and errno on failure.
int cns_recvmmsg(int fd, struct cns_mmsghdr *vec, unsigned int vlen, int flags);
int cns_sendmmsg(int fd, struct cns_mmsghdr *vec, unsigned int vlen, int flags);
/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC (also _GNU_SOURCE only).
int cns_accept_nonblocking(int fd);
/// errno, read through a function so Swift sees the thread's value.
int cns_errno(void);
/// Asks for the cache line holding `p` ahead of its use (a hint: never faults). Batch
/// loops warm every query's lines first, so the misses of a batch overlap.
static inline void cns_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
/// glibc's malloc_trim(0) (malloc.h is not in Swift's Glibc module): gives the free
/// pages inside the heap back to the system. 1 when some memory was released.
int cns_malloc_trim(void);
/// Unmaps the pages of every loaded object's read-only segments (code, constants) from
/// this process: they are the file's bytes, so a later use maps them again from the page
/// cache. Start-up runs code (argument parsing, decoding, the first compile) that
/// serving never runs again; the kernel maps file pages 64 KiB around every fault, so
/// that code stays resident for the life of the process unless dropped. Returns the
/// bytes of address space advised (not all of them were resident); 0 while a debugger
/// traces the process (its breakpoints are written into those pages).
size_t cns_release_code_pages(void);
/// The CPUs this process may use: its affinity mask (taskset, a cpuset), capped by its
/// cgroup v2 CPU limit rounded up (a pod's `resources.limits.cpu`); at least 1. The
/// online count alone gave a sidecar limited to one CPU on a 64-CPU node 64 workers.
int cns_usable_cpus(void);
/// cgroup v2's CPU limit of the group named in `proc_cgroup` (a /proc/PID/cgroup file):
/// the smallest `cpu.max` of the group and its ancestors under `root` (/sys/fs/cgroup),
/// in whole CPUs rounded up; 0 when none limits it or none can be read (cgroup v1).
int cns_cgroup_cpu_limit(const char *proc_cgroup, const char *root);
/// Names the calling thread (at most 15 bytes; pthread_setname_np is _GNU_SOURCE only).
int cns_set_thread_name(const char *name);

// Stop signals (SIGTERM, SIGINT, SIGHUP) taken with sigwaitinfo instead of a handler:
// blocked in the calling thread, which every thread created after inherits (call it
// before any), and waited for by one thread.
int cns_block_stop_signals(void);
int cns_unblock_stop_signals(void);
// Blocks until one of them is pending and returns its number (EINTR retried).
int cns_wait_stop_signal(void);
#endif
