/// How names outside the served zones are forwarded and cached (`sextant serve --forward`).
public struct ForwarderConfiguration: Sendable {
    /// Tried in this order; one that keeps failing is skipped for a while.
    public var upstreams: [UpstreamAddress]
    /// Milliseconds to wait for one upstream before the next is asked.
    public var timeoutMs: Int
    /// Entries the cache holds at most (`--cache-size`; 0: no cache).
    public var cacheSize: Int
    /// TTL caps for what is kept.
    public var limits: CachedAnswer.Limits
    /// Seconds past its TTL an entry may be served when every upstream fails (RFC 8767;
    /// `--serve-stale`; 0: off).
    public var maxStale: UInt32
    /// Questions in flight upstream at most; further misses are dropped (the client asks again).
    public var maxPending: Int
    /// Failures in a row after which an upstream is skipped, and for how long at first
    /// (doubling up to `maxBackoffMs` while it keeps failing its probes).
    public var failuresBeforeDown: Int
    public var backoffMs: Int
    public var maxBackoffMs: Int

    public init(upstreams: [UpstreamAddress], timeoutMs: Int = 1000, cacheSize: Int = 4096, limits: CachedAnswer.Limits = .init(),
                maxStale: UInt32 = 0, maxPending: Int = 4096) {
        self.upstreams = upstreams
        self.timeoutMs = timeoutMs
        self.cacheSize = cacheSize
        self.limits = limits
        self.maxStale = maxStale
        self.maxPending = maxPending
        failuresBeforeDown = 3
        backoffMs = 5000
        maxBackoffMs = 60_000
    }
}
