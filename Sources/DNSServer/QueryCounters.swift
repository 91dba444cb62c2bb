import Atomics
import DNSWire

/// Counts of replies by question type and rcode, of truncated replies and of dropped
/// messages, for one UDP worker or for all TCP connections: fixed slots, no label from
/// the traffic (a type or rcode outside the fixed sets counts as `other`).
///
/// A UDP worker is the only writer of its counters: an increment is a relaxed load and
/// store (plain moves on x86, no locked instruction), and a scrape reads them with relaxed
/// loads and sums them. TCP connections run on several threads, so theirs increment
/// atomically (`shared`).
public final class QueryCounters: @unchecked Sendable {
    // @unchecked: the slots are atomics; the pointer is allocated once and never freed
    // while a reader may hold the object (deinit only).

    /// Question types counted by name (`typeIndex`); everything else is `other`.
    public static let typeLabels = ["A", "AAAA", "SRV", "TXT", "SOA", "NS", "ANY", "PTR", "CNAME", "other"]
    /// Rcodes counted by name (header rcode; extended rcodes count as `other`).
    public static let rcodeLabels = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "other"]

    static let typeCount = typeLabels.count
    static let rcodeCount = rcodeLabels.count
    static let truncatedSlot = typeCount * rcodeCount
    static let droppedSlot = truncatedSlot + 1
    /// Replies from the forwarder's cache: the only replies with RA set (authoritative
    /// answers never offer recursion).
    static let cacheHitSlot = droppedSlot + 1
    static let slotCount = cacheHitSlot + 1

    private let slots: UnsafeMutablePointer<UnsafeAtomic<Int>.Storage>
    private let shared: Bool

    /// `shared`: written from several threads.
    public init(shared: Bool) {
        self.shared = shared
        slots = .allocate(capacity: Self.slotCount)
        slots.initialize(repeating: UnsafeAtomic<Int>.Storage(0), count: Self.slotCount)
    }

    deinit {
        slots.deinitialize(count: Self.slotCount)
        slots.deallocate()
    }

    @inline(__always)
    private func add(_ slot: Int) {
        let a = UnsafeAtomic<Int>(at: slots + slot)
        if shared {
            a.wrappingIncrement(ordering: .relaxed)
        } else {
            a.store(a.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        }
    }

    /// Counts a reply from its bytes: rcode and TC from the header, the type after the
    /// question's name (a reply without a question, a FORMERR, counts as `other`).
    @inline(__always)
    public func count(reply: UnsafeRawPointer, length: Int) {
        guard length >= Wire.Header.size else { return }
        let r = UnsafeRawBufferPointer(start: reply, count: length)
        let flags = r.u16(at: Wire.Header.flags)
        let rcode = Int(flags & Wire.Flag.rcodeMask)
        var type = Self.typeCount - 1
        if r.u16(at: Wire.Header.qdcount) == 1 {
            // The reply's question is ours and uncompressed: labels up to the root.
            var i = Wire.Header.size
            while i < length {
                let l = Int(r[i])
                if l == 0 || l > Wire.Name.maxLabelLength { break }
                i += 1 + l
            }
            if i + 2 < length { type = Self.typeIndex(r.u16(at: i + 1)) }
        }
        add(type * Self.rcodeCount + min(rcode, Self.rcodeCount - 1))
        if flags & Wire.Flag.tc != 0 { add(Self.truncatedSlot) }
        if flags & Wire.Flag.ra != 0 { add(Self.cacheHitSlot) }
    }

    /// A message that got no reply (unparseable, or a reply sent to us).
    @inline(__always)
    public func dropped() { add(Self.droppedSlot) }

    @inline(__always)
    static func typeIndex(_ t: UInt16) -> Int {
        switch t {
        case RRType.a.rawValue: 0
        case RRType.aaaa.rawValue: 1
        case RRType.srv.rawValue: 2
        case RRType.txt.rawValue: 3
        case RRType.soa.rawValue: 4
        case RRType.ns.rawValue: 5
        case RRType.any.rawValue: 6
        case RRType.ptr.rawValue: 7
        case RRType.cname.rawValue: 8
        default: typeCount - 1
        }
    }

    /// A reading: replies per [type][rcode] (`typeLabels` × `rcodeLabels`), truncated
    /// replies, dropped messages.
    public struct Snapshot: Sendable {
        public var replies: [[Int]]
        public var truncated: Int
        public var dropped: Int
        /// Replies answered from the forwarder's cache (also counted in `replies`).
        public var cacheHits: Int = 0

        public static var zero: Snapshot {
            Snapshot(replies: Array(repeating: Array(repeating: 0, count: QueryCounters.rcodeCount), count: QueryCounters.typeCount),
                     truncated: 0, dropped: 0)
        }

        public mutating func add(_ o: Snapshot) {
            for t in replies.indices { for r in replies[t].indices { replies[t][r] += o.replies[t][r] } }
            truncated += o.truncated
            dropped += o.dropped
            cacheHits += o.cacheHits
        }
    }

    public func snapshot() -> Snapshot {
        func value(_ slot: Int) -> Int { UnsafeAtomic<Int>(at: slots + slot).load(ordering: .relaxed) }
        var s = Snapshot.zero
        for t in 0..<Self.typeCount { for r in 0..<Self.rcodeCount { s.replies[t][r] = value(t * Self.rcodeCount + r) } }
        s.truncated = value(Self.truncatedSlot)
        s.dropped = value(Self.droppedSlot)
        s.cacheHits = value(Self.cacheHitSlot)
        return s
    }
}
