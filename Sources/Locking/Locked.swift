/// A value behind a pthread mutex (`Lock`). `Synchronization.Mutex` would do as well, but
/// ThreadSanitizer on Linux reports false races through it (notes/swift-systems.md §4),
/// and the suite's TSan run must stay clean to show the real ones. Every module that
/// shares state between threads under a lock uses this one.
package final class Locked<Value>: @unchecked Sendable {
    // @unchecked: `value` is touched only while `lock` is held.
    private let lock = Lock()
    private var value: Value

    package init(_ value: Value) { self.value = value }

    package func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
