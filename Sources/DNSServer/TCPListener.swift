#if canImport(Glibc)
import Glibc
#endif
import Atomics
import Locking
import CNetShim
import AnswerTable
import Dispatch
import Forwarder
import Logging
import Synchronization

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
    private let queries: QueryCounters
    private let logger: Logger
    private var source: DispatchSourceRead?

    /// `--allow`: a connection from elsewhere gets REFUSED for every query.
    private let allow: SourceFilter?
    /// `--forward`: names outside the zones.
    private let forwarder: Forwarder?

    init(fd: Int32, address: ListenAddress, limit: ConnectionLimit, idleTimeout: Double, snapshots: SnapshotBox,
         queries: QueryCounters, allow: SourceFilter? = nil, forwarder: Forwarder? = nil, logger: Logger) {
        self.fd = fd
        self.forwarder = forwarder
        self.allow = allow
        self.queries = queries
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
            let q = DispatchQueue(label: "sextant.tcp.c", target: connectionQueue)
            let limit = self.limit
            let id = limit.nextID()
            var allowed = true
            if let a = allow {
                var peer = sockaddr_storage()
                var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let ok = withUnsafeMutablePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(c, $0, &len) } } == 0
                allowed = ok && withUnsafePointer(to: &peer) { a.allows(UnsafeRawPointer($0)) }
            }
            let conn = TCPConnection(fd: c, queue: q, idleTimeout: idleTimeout, snapshots: snapshots, queries: queries, allowed: allowed,
                                     forwarder: forwarder, onIdleClose: { limit.noteIdleClose() }) { limit.release(id) }
            guard limit.acquire(conn, id: id) else {
                // Every connection was active within the last second: refuse this one.
                _ = close(c)
                continue
            }
            q.async { conn.start() }
        }
    }
}

/// The open TCP connections across all listeners, and their limit.
///
/// At the limit, the connection idle the longest makes room for the new one (RFC 7766
/// §6.2.3 lets a server close idle connections under pressure), so a flood of idle or
/// half-open connections cannot lock out clients; only when every connection was active
/// within `minimumIdleToEvict` is the new one refused. Runs per accept and close only.
final class ConnectionLimit: Sendable {
    let maximum: Int
    static let minimumIdleToEvict: UInt64 = 1_000_000_000
    private let state = Locked<[Int: TCPConnection]>([:])
    private let ids = ManagedAtomic<Int>(0)
    private let refusedCount = ManagedAtomic<Int>(0)
    private let evictedCount = ManagedAtomic<Int>(0)
    private let idleClosedCount = ManagedAtomic<Int>(0)

    init(maximum: Int) { self.maximum = maximum }

    func nextID() -> Int { ids.loadThenWrappingIncrement(ordering: .relaxed) }

    func acquire(_ conn: TCPConnection, id: Int) -> Bool {
        let now = DispatchTime.now().uptimeNanoseconds
        let victim: TCPConnection?? = state.withLock { open in
            var victim: TCPConnection? = nil
            if open.count >= maximum {
                guard let (oldID, oldest) = open.min(by: { $0.value.lastActivity < $1.value.lastActivity }),
                      now &- oldest.lastActivity >= Self.minimumIdleToEvict else { return .none }
                open[oldID] = nil
                victim = oldest
            }
            open[id] = conn
            return .some(victim)
        }
        switch victim {
        case .none:
            refusedCount.wrappingIncrement(ordering: .relaxed)
            return false
        case .some(let v?):
            evictedCount.wrappingIncrement(ordering: .relaxed)
            v.queue.async { v.close() }
            return true
        case .some(nil):
            return true
        }
    }

    func release(_ id: Int) { state.withLock { _ = $0.removeValue(forKey: id) } }
    /// Every open connection (to finish them at shutdown).
    var all: [TCPConnection] { state.withLock { Array($0.values) } }
    var current: Int { state.withLock { $0.count } }
    var refused: Int { refusedCount.load(ordering: .relaxed) }
    var evicted: Int { evictedCount.load(ordering: .relaxed) }
    /// Connections the idle timeout closed.
    var idleClosed: Int { idleClosedCount.load(ordering: .relaxed) }
    func noteIdleClose() { idleClosedCount.wrappingIncrement(ordering: .relaxed) }
}
