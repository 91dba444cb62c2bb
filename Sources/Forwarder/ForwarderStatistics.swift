import Atomics

/// The forwarder's counters for `/metrics`: written by the forwarder's thread (and, for
/// `intakeDropped`, by the workers), read by a scrape. Upstream counters are indexed in
/// `--forward` order, a fixed set of labels.
public final class ForwarderStatistics: Sendable {
    public struct PerUpstream: Sendable {
        public let queries = ManagedAtomic<Int>(0)
        public let timeouts = ManagedAtomic<Int>(0)
        /// Socket errors (refused, unreachable), TCP failures.
        public let errors = ManagedAtomic<Int>(0)
        /// Replies with SERVFAIL, REFUSED, NOTIMP or FORMERR.
        public let failures = ManagedAtomic<Int>(0)
        /// Datagrams ignored: wrong ID, question or source.
        public let ignored = ManagedAtomic<Int>(0)
        /// 1 while the upstream is asked, 0 while it is skipped after failures.
        public let up = ManagedAtomic<Int>(1)
        /// Smoothed round-trip time in microseconds (RFC 6298's 1/8 gain).
        public let rttMicros = ManagedAtomic<Int>(0)
    }

    public let upstreams: [PerUpstream]
    /// Questions the workers handed over (cache misses).
    public let misses = ManagedAtomic<Int>(0)
    /// Misses a full hand-over queue dropped (the client asks again).
    public let intakeDropped = ManagedAtomic<Int>(0)
    /// Misses joined to a question already in flight.
    public let coalesced = ManagedAtomic<Int>(0)
    /// Misses dropped because `maxPending` questions were in flight.
    public let overloaded = ManagedAtomic<Int>(0)
    /// Upstream replies over UDP with TC, asked again over TCP.
    public let tcpRetries = ManagedAtomic<Int>(0)
    /// Replies relayed but not kept (zero TTL, no SOA, too large for a slot...).
    public let uncacheable = ManagedAtomic<Int>(0)
    /// Stale answers served because every upstream failed (RFC 8767).
    public let staleAnswers = ManagedAtomic<Int>(0)
    /// SERVFAIL sent because every upstream failed or timed out.
    public let failedQuestions = ManagedAtomic<Int>(0)
    /// Questions in flight upstream now.
    public let pending = ManagedAtomic<Int>(0)

    public init(upstreams: Int) {
        self.upstreams = (0..<upstreams).map { _ in PerUpstream() }
    }
}
