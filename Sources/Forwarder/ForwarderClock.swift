#if canImport(Glibc)
import Glibc
#endif

/// Milliseconds of the monotonic clock, as the cache stores and ages entries. The coarse
/// clock (a vDSO read of the last tick, a few ms resolution) is enough for TTLs in seconds
/// and costs a load instead of a TSC read per batch.
public enum ForwarderClock {
    @inline(__always)
    public static func nowMs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
        return UInt64(ts.tv_sec) &* 1000 &+ UInt64(ts.tv_nsec) / 1_000_000
    }

    /// Nanoseconds of the precise monotonic clock: upstream timeouts and RTTs.
    @inline(__always)
    static func nowNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
