import FoundationEssentials

/// Exponential back-off with jitter, reset after a quiet spell of success.
///
/// client-go waits 0.8 s doubling to 30 s; a DNS server that must follow its API server
/// back within seconds uses a shorter cap for transport failures (a refused connection
/// costs the server nothing) and the long one for errors the server answered.
public struct Backoff: Sendable {
    public var initial: Double
    public var cap: Double
    public var resetAfter: Double
    var current: Double = 0
    var lastFailure: Double = 0

    public init(initial: Double, cap: Double, resetAfter: Double = 120) {
        self.initial = initial
        self.cap = cap
        self.resetAfter = resetAfter
    }

    /// The next wait, in seconds: doubling, capped, plus up to 50% jitter.
    public mutating func next(now: Double = Date().timeIntervalSince1970) -> Double {
        if now - lastFailure > resetAfter { current = 0 }
        lastFailure = now
        current = current == 0 ? initial : min(current * 2, cap)
        return current * (1 + Double.random(in: 0..<0.5))
    }

    public mutating func reset() { current = 0 }
}
