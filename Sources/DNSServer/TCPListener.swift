#if canImport(Glibc)
import Glibc
#endif
import Atomics
import CNetShim
import ClusterSet
import Dispatch
import Logging

/// Accepts DNS-over-TCP connections on one address and enforces the server-wide
/// connection limit.
final class TCPListener: @unchecked Sendable {
    // @unchecked: `source` is set once in start() and cancelled in stop(); the rest is
    // immutable or atomic.

    let fd: Int32
    let address: ListenAddress
    private let queue: DispatchQueue
    private let connectionQueue: DispatchQueue
    private let limit: ConnectionLimit
    private let idleTimeout: Double
    private let snapshots: SnapshotBox
    private let logger: Logger
    private var source: DispatchSourceRead?

    init(fd: Int32, address: ListenAddress, limit: ConnectionLimit, idleTimeout: Double, snapshots: SnapshotBox, logger: Logger) {
        self.fd = fd
        self.address = address
        self.limit = limit
        self.idleTimeout = idleTimeout
        self.snapshots = snapshots
        self.logger = logger
        queue = DispatchQueue(label: "sextant.tcp.accept.\(address)")
        connectionQueue = DispatchQueue(label: "sextant.tcp.conn", attributes: .concurrent)
    }

    func start() {
        let s = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        s.setEventHandler { [unowned self] in self.acceptAll() }
        s.setCancelHandler { [fd] in _ = close(fd) }
        source = s
        s.resume()
    }

    func stop() { source?.cancel() }

    private func acceptAll() {
        while true {
            let c = retryingEINTR { cns_accept_nonblocking(fd) }
            if c < 0 {
                let e = cns_errno()
                if e == EAGAIN || e == EWOULDBLOCK { return }
                if e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM {
                    // Out of descriptors: pause accepting briefly instead of spinning on a
                    // listen socket that stays readable.
                    logger.warning("accept on \(address): \(SystemError("accept", errno: e)); pausing 100 ms")
                    source?.suspend()
                    queue.asyncAfter(deadline: .now() + .milliseconds(100)) { [self] in source?.resume() }
                    return
                }
                // ECONNABORTED and the like concern one client only.
                continue
            }
            guard limit.acquire() else {
                _ = close(c)
                continue
            }
            let q = DispatchQueue(label: "sextant.tcp.c", target: connectionQueue)
            let limit = self.limit
            let conn = TCPConnection(fd: c, queue: q, idleTimeout: idleTimeout, snapshots: snapshots) { limit.release() }
            q.async { conn.start() }
        }
    }
}

/// The number of open TCP connections across all listeners, and its limit.
final class ConnectionLimit: Sendable {
    let maximum: Int
    private let open = ManagedAtomic<Int>(0)
    private let refusedCount = ManagedAtomic<Int>(0)

    init(maximum: Int) { self.maximum = maximum }

    func acquire() -> Bool {
        if open.wrappingIncrementThenLoad(ordering: .relaxed) > maximum {
            open.wrappingDecrement(ordering: .relaxed)
            refusedCount.wrappingIncrement(ordering: .relaxed)
            return false
        }
        return true
    }

    func release() { open.wrappingDecrement(ordering: .relaxed) }
    var current: Int { open.load(ordering: .relaxed) }
    var refused: Int { refusedCount.load(ordering: .relaxed) }
}
