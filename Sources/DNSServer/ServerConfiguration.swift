import Forwarder

/// What the DNS server listens on and how it treats clients.
public struct ServerConfiguration: Sendable {
    public var listen: [ListenAddress]
    /// UDP sockets (and so threads of the packet path) per address.
    public var workers: Int
    /// Seconds a TCP connection may stay without traffic (RFC 7766 §6.2.3).
    public var tcpIdleTimeout: Double
    /// Open TCP connections across all addresses; further ones are closed at once.
    public var tcpMaxConnections: Int

    /// How UDP workers wait for datagrams.
    public var udpIO: UDPIO
    /// Nil: every client is answered; else clients outside it get REFUSED (`--allow`).
    public var allow: SourceFilter?
    /// Nil: no response-rate limiting (`--rrl`, UDP only).
    public var rateLimiter: ResponseRateLimiter?
    /// Nil: names outside the zones get REFUSED; else they are forwarded (`--forward`).
    public var forwarder: Forwarder?

    public init(listen: [ListenAddress], workers: Int, tcpIdleTimeout: Double = 10, tcpMaxConnections: Int = 1024, udpIO: UDPIO = .thread) {
        self.listen = listen
        self.udpIO = udpIO
        self.workers = workers
        self.tcpIdleTimeout = tcpIdleTimeout
        self.tcpMaxConnections = tcpMaxConnections
    }
}
