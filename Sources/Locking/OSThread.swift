import CNetShim
import Glibc

/// A detached pthread running one closure: the UDP workers, the reflectors and the
/// forwarder each own a thread that blocks in a system call. Foundation's `Thread` did
/// this before; it is the only reason those modules needed Foundation, whose
/// internationalization layer and ICU cost about 8 MiB of resident memory (issue 18).
package enum OSThread {
    /// Starts `body` on a new detached thread named `name` (at most 15 bytes are kept,
    /// the kernel's limit). Returns the pthread_create error number on failure.
    @discardableResult
    package static func start(name: String, _ body: @escaping () -> Void) -> Int32 {
        final class Box {
            let name: String
            let body: () -> Void
            init(_ name: String, _ body: @escaping () -> Void) { self.name = name; self.body = body }
        }
        let box = Unmanaged.passRetained(Box(name, body))
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let r = pthread_create(&thread, &attributes, { arg in
            guard let arg else { return nil }
            let box = Unmanaged<Box>.fromOpaque(arg).takeRetainedValue()
            _ = String(box.name.utf8.prefix(15))?.withCString { cns_set_thread_name($0) }
            box.body()
            return nil
        }, box.toOpaque())
        if r != 0 { box.release() }
        return r
    }
}
