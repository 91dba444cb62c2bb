#if canImport(Glibc)
import Glibc
#endif
import Atomics
import AnswerTable
import Dispatch
import Logging

/// The DNS server: per listen address, `workers` UDP sockets sharing the port through
/// SO_REUSEPORT and one TCP listener on the same port.
public final class Server: @unchecked Sendable {
    // @unchecked: the worker and listener lists are written in start() before any
    // source runs, and read afterwards only by stop() and the counters.

    public let configuration: ServerConfiguration
    private let snapshots: SnapshotBox
    private let logger: Logger
    private var udpWorkers: [UDPWorker] = []
    private var tcpListeners: [TCPListener] = []
    private let limit: ConnectionLimit
    /// Every TCP connection's replies.
    private let tcpQueries = QueryCounters(shared: true)
    private let serving = ManagedAtomic<Bool>(false)

    /// Between a successful `start()` and `stop()`: the workers run (`/health`).
    public var isServing: Bool { serving.load(ordering: .acquiring) }

    public init(configuration: ServerConfiguration, snapshots: SnapshotBox, logger: Logger) {
        self.configuration = configuration
        self.snapshots = snapshots
        self.logger = logger
        limit = ConnectionLimit(maximum: configuration.tcpMaxConnections)
    }

    /// Binds every socket, starts serving, and returns the bound addresses (port 0
    /// replaced by the port the kernel chose, the same for UDP and TCP).
    public func start() throws(SystemError) -> [ListenAddress] {
        start(on: try ListenSockets(listen: configuration.listen, workers: configuration.workers))
    }

    /// Starts serving on sockets bound earlier (`sextant serve` binds before it loads);
    /// queries that waited in their queues are answered first.
    public func start(on sockets: ListenSockets) -> [ListenAddress] {
        signal(SIGPIPE, SIG_IGN)
        var bound: [ListenAddress] = []
        for g in sockets.adopt() {
            for u in g.udp {
                udpWorkers.append(UDPWorker(fd: u, index: udpWorkers.count, io: configuration.udpIO, snapshots: snapshots,
                                            allow: configuration.allow, limiter: configuration.rateLimiter,
                                            forwarder: configuration.forwarder, logger: logger))
            }
            tcpListeners.append(TCPListener(fd: g.tcp, address: g.address, limit: limit, idleTimeout: configuration.tcpIdleTimeout,
                                            snapshots: snapshots, queries: tcpQueries, allow: configuration.allow,
                                            forwarder: configuration.forwarder, logger: logger))
            bound.append(g.address)
        }
        for w in udpWorkers { w.start() }
        for l in tcpListeners { l.start() }
        serving.store(true, ordering: .releasing)
        return bound
    }

    /// Stops receiving: sockets close once their sources are cancelled.
    public func stop() {
        serving.store(false, ordering: .releasing)
        for w in udpWorkers { w.stop() }
        for l in tcpListeners { l.stop() }
    }

    /// Stops gracefully: no new TCP connection, datagrams already received answered,
    /// each TCP connection's queries already sent answered and its replies written, then
    /// `done` (on a global queue) once every connection is closed or `grace` seconds have
    /// passed.
    public func shutdown(grace: Double, done: @escaping @Sendable () -> Void) {
        stop()
        for c in limit.all { c.queue.async { c.finish() } }
        let deadline = DispatchTime.now() + grace
        let limit = self.limit
        @Sendable func check() {
            if limit.current == 0 || DispatchTime.now() >= deadline {
                done()
            } else {
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(10)) { check() }
            }
        }
        DispatchQueue.global().async { check() }
    }

    /// Open TCP connections right now.
    public var openTCPConnections: Int { limit.current }
    /// TCP connections closed at once because the limit was reached and none was idle.
    public var refusedTCPConnections: Int { limit.refused }
    /// Idle TCP connections closed to make room for new ones.
    public var evictedTCPConnections: Int { limit.evicted }
    /// TCP connections the idle timeout closed.
    public var idleClosedTCPConnections: Int { limit.idleClosed }

    /// Replies by type and rcode, truncated replies and dropped messages, per transport,
    /// summed over the UDP workers at the time of asking.
    public func queryStatistics() -> (udp: QueryCounters.Snapshot, tcp: QueryCounters.Snapshot) {
        var udp = QueryCounters.Snapshot.zero
        for w in udpWorkers { udp.add(w.queries.snapshot()) }
        return (udp, tcpQueries.snapshot())
    }
}
