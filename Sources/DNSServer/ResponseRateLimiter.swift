#if canImport(Glibc)
import Glibc
#endif
import Atomics

/// Response-rate limiting over UDP (`--rrl`), as Knot, NSD and BIND do it: at most
/// `rate` replies a second to one source prefix (/24 for IPv4, /56 for IPv6); over that,
/// every `slip`-th reply goes out truncated (TC, no records: a real client retries over
/// TCP, which is not limited) and the others are dropped, so a spoofed victim receives
/// little while a real one keeps getting through.
///
/// One table shared by every worker: 65,536 buckets, each an atomic (second, count)
/// pair updated with relaxed loads and stores. Two prefixes sharing a bucket share a
/// budget, and racing workers may let a reply or two more through: both err on the side
/// of answering, as the others' implementations do.
public final class ResponseRateLimiter: Sendable {
    public let rate: Int
    public let slip: Int
    static let buckets = 1 << 16
    private let table: [ManagedAtomic<UInt64>]

    public init(rate: Int, slip: Int) {
        self.rate = rate
        self.slip = slip
        table = (0..<Self.buckets).map { _ in ManagedAtomic<UInt64>(0) }
    }

    public enum Verdict { case answer, truncate, drop }

    /// Counts one reply to the sender in `name` at `second` (a coarse monotonic clock);
    /// `slipCount` is the worker's own counter of limited replies.
    @inline(__always)
    func verdict(for name: UnsafeRawPointer, second: UInt32, slipCount: inout Int) -> Verdict {
        let bucket = SourceFilter.withAddress(name) { a -> Int in
            // The prefix's bytes: 3 of IPv4 (/24), 7 of IPv6 (/56).
            let n = a.count == 4 ? 3 : 7
            var h: UInt32 = 2_166_136_261
            for i in 0..<n { h = (h ^ UInt32(a[i])) &* 16_777_619 }
            return Int(h) & (Self.buckets - 1)
        } ?? 0
        let cell = table[bucket]
        let v = cell.load(ordering: .relaxed)
        let (s, count) = (UInt32(truncatingIfNeeded: v >> 32), UInt32(truncatingIfNeeded: v))
        if s != second {
            cell.store(UInt64(second) << 32 | 1, ordering: .relaxed)
            return .answer
        }
        if Int(count) < rate {
            cell.store(UInt64(second) << 32 | UInt64(count + 1), ordering: .relaxed)
            return .answer
        }
        slipCount &+= 1
        return slip > 0 && slipCount % slip == 0 ? .truncate : .drop
    }

    /// Whole seconds of the coarse monotonic clock (read once per batch).
    static func second() -> UInt32 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &t)
        return UInt32(truncatingIfNeeded: t.tv_sec)
    }
}
