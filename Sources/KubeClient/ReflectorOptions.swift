/// The knobs of LIST + WATCH. Defaults follow client-go where a DNS server has no reason
/// to differ, and are shorter where following the API server quickly matters.
public struct ReflectorOptions: Sendable {
    /// Items per LIST page (client-go's pager: 500).
    public var pageSize = 500
    /// Server-side watch timeout, drawn at random per watch so replicas do not re-watch
    /// in step (client-go: 300–600 s).
    public var watchTimeout: ClosedRange<Int> = 300...600
    /// A stream with no byte (bookmarks included) for this long is dropped and re-opened:
    /// the only way to notice a half-open connection. Servers send a bookmark a minute.
    public var idleTimeout: Double = 90
    /// After transport failures (refused, reset, stalled): short, so that answers follow
    /// a returning API server within seconds.
    public var transportBackoff = Backoff(initial: 0.2, cap: 1)
    /// After errors the server answered (5xx without Retry-After, 401, malformed data).
    public var errorBackoff = Backoff(initial: 0.8, cap: 30)
    /// How often a resource the server does not have (404, 403) is asked for again.
    public var unavailableRetry: Double = 60
    /// The largest watch event or list accepted, in bytes.
    public var maxEventBytes = 64 << 20
    public var maxListBytes = 1 << 30
    public var userAgent = "sextant/0.1"

    public init() {}
}
