import Glibc

/// A pthread mutex for code that locks around a region rather than a value (`Locked` is
/// the usual choice). It replaces Foundation's `NSLock`, so that no module needs
/// Foundation (issue 18).
package final class Lock: @unchecked Sendable {
    // @unchecked: a pthread mutex is made to be shared between threads.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    package func lock() { pthread_mutex_lock(mutex) }
    package func unlock() { pthread_mutex_unlock(mutex) }
}
