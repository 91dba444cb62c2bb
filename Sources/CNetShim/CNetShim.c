#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <sys/socket.h>
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
