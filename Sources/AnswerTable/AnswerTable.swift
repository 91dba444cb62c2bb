import DNSWire

/// The snapshot the DNS workers read: every name Sextant serves, with its answers
/// already in wire format (DESIGN.md "The data path").
///
/// Two levels, so that a data change costs one service, not the whole table: the zone
/// files' names in one `NameTable`, and one small `NameTable` per service and zone,
/// found by the service's name (`<svc>.<ns>.svc.<zone>`, the last three labels before
/// the apex). Publishing a change builds the changed service's table and a new index
/// over the others, which are shared with the previous snapshot.
///
/// Lookups allocate nothing and take no lock; the index holds unretained references
/// to tables that `tables` keeps alive.
public final class AnswerTable: @unchecked Sendable {
    // @unchecked: every stored buffer is written once in init and only read afterwards;
    // deinit frees them when the last reader drops its reference.

    /// What the table says about a question.
    public enum Lookup {
        /// Three UInt16 counts (answer, authority, additional) and the sections, compiled
        /// for a question at offset 12 with a name of the asked length. Valid while the
        /// table is.
        case answer(UnsafeRawBufferPointer)
        /// The name exists, with no records of this type.
        case noData(zone: Int)
        /// The name is under `zone` and does not exist.
        case nxDomain(zone: Int)
        /// Not under any served zone.
        case refused
    }

    let base: NameTable
    let services: ServiceDirectory
    /// Empty non-terminals above the services: `<ns>.svc.<zone>` and `svc.<zone>`.
    let emptyNonTerminals: NameSet

    /// False until every data source has delivered its first complete state: in-zone
    /// questions then get SERVFAIL (EDE 14, Not Ready) instead of a wrong NXDOMAIN.
    public let isReady: Bool
    /// Answers come from a state file and the source has not confirmed them yet: in-zone
    /// replies carry Extended DNS Error 3 (Stale Answer) when the query has EDNS.
    public let isStale: Bool
    /// Distinct owner names (empty non-terminals included).
    public let nameCount: Int
    /// Bytes of precompiled answers and names.
    public let arenaBytes: Int

    /// The served zones' apexes, in the order of `zone` indexes.
    public var zones: [DNSName] { base.zones }
    public var counters: RotationCounters { base.counters }
    public var serviceTableCount: Int { services.count }

    /// - Parameters:
    ///   - base: the zone files' names; its zones are every table's zones, in order.
    ///   - services: one table per service and zone, each under its key.
    ///   - emptyNonTerminals: the names above the services.
    package init(base: NameTable, services: ServiceDirectory, emptyNonTerminals: NameSet, ready: Bool, stale: Bool = false) {
        self.base = base
        self.services = services
        self.emptyNonTerminals = emptyNonTerminals
        isReady = ready
        isStale = stale
        nameCount = base.nameCount + services.nameCount + emptyNonTerminals.count
        arenaBytes = base.arenaBytes + services.arenaBytes
    }

    /// A table of zone-file names only.
    public convenience init(base: NameTable, ready: Bool) {
        self.init(base: base, services: ServiceDirectory(), emptyNonTerminals: NameSet([]), ready: ready)
    }

    /// The zone's SOA record without its owner, for negative answers.
    @inline(__always)
    public func negativeSOA(zone: Int) -> UnsafeRawBufferPointer { base.negativeSOA(zone: zone) }

    /// Wire length of the zone's apex name.
    @inline(__always)
    public func apexLength(zone: Int) -> Int { base.apexLength(zone: zone) }

    /// Where a name sits: its zone and the label starts before the zone's apex. The
    /// first step of `lookup`, shared with the batch warm-up (`WarmProbe`).
    struct Location {
        var zone: Int
        /// The last eight label starts before the apex (all below 256), newest in the low byte.
        var ring: UInt64
        /// Labels before the apex.
        var before: Int
        /// The name is `<x>.svc.<zone>` or below: a service's name or an empty non-terminal.
        var underServices: Bool

        @inline(__always)
        func labelStart(fromEnd k: Int) -> Int { AnswerTable.labelStart(ring, fromEnd: k) }

        /// Start of `<svc>.<ns>.svc.<zone>` inside the name, when the name is at or below one.
        @inline(__always)
        var serviceStart: Int? { underServices && before >= 3 ? labelStart(fromEnd: 2) : nil }
    }

    /// The `k`-th newest label start a ring word holds (one byte each, newest lowest).
    @inline(__always)
    static func labelStart(_ ring: UInt64, fromEnd k: Int) -> Int { Int(truncatingIfNeeded: (ring &>> UInt64(k &* 8)) & 0xFF) }

    /// Finds the zone (the longest apex that ends the name on a label boundary) in one
    /// walk over the labels; nil when no served zone holds the name.
    @inline(__always)
    func locate(name: UnsafeRawBufferPointer, length: Int) -> Location? {
        let p = name.baseAddress!
        var ring: UInt64 = 0
        var n = 0
        var i = 0
        while i &+ 1 < length {
            ring = (ring &<< 8) | UInt64(truncatingIfNeeded: i)
            n &+= 1
            i &+= 1 &+ Int(name[i])
        }
        @inline(__always) func labelStart(fromEnd k: Int) -> Int { Self.labelStart(ring, fromEnd: k) }
        var zone = -1
        // How many of the ring's newest labels are the apex's.
        var apexLabels = 0
        var best = -1
        let info = base.zoneInfo
        for z in 0..<info.count {
            let zl = Int(info[z].apexLabels)
            let al = Int(info[z].apexLength)
            guard zl <= n, al > best, zl <= Self.ringLabels - 3 else { continue }
            let start = zl == 0 ? length &- 1 : labelStart(fromEnd: zl &- 1)
            guard length &- start == al, memEqual(base.arena.baseAddress! + Int(info[z].apexOffset), p + start, al) else { continue }
            zone = z
            apexLabels = zl
            best = al
        }
        if zone < 0 {
            // An apex deeper than the ring holds: find it the long way, then walk again up
            // to it, so the ring holds the labels before the apex.
            guard let z = base.enclosingZone(name: name, length: length) else { return nil }
            zone = z
            apexLabels = 0
            let apexStart = length &- base.apexLength(zone: z)
            ring = 0
            n = 0
            i = 0
            while i < apexStart {
                ring = (ring &<< 8) | UInt64(truncatingIfNeeded: i)
                n &+= 1
                i &+= 1 &+ Int(name[i])
            }
        }
        // Drop the apex's labels: the ring then starts with the label before the apex.
        let before = n &- apexLabels
        ring = ring &>> UInt64(truncatingIfNeeded: apexLabels &* 8)
        let underServices = before > 0 && Self.isServiceLabel(name, at: Self.labelStart(ring, fromEnd: 0))
        return Location(zone: zone, ring: ring, before: before, underServices: underServices)
    }

    /// Looks a lower-cased wire name up. Allocates nothing.
    ///
    /// - Parameters:
    ///   - name: the lower-cased name, `length` bytes, as `QueryParser.question` wrote it.
    ///   - hash: its `NameHash`.
    ///   - answerSpace: where an answer that is kept as data is written (a cluster's name,
    ///     `NameTable.clusterLookup`); at least `answerSpaceSize` bytes.
    @inline(__always)
    public func lookup(name: UnsafeRawBufferPointer, length: Int, hash: UInt64, type: RRType,
                       answerSpace: UnsafeMutableRawBufferPointer) -> Lookup {
        let p = name.baseAddress!
        guard let location = locate(name: name, length: length) else { return .refused }
        let zone = location.zone
        let underServices = location.underServices
        // <x>.svc.<zone>: a service's names (three labels or more) or the empty
        // non-terminals above them.
        if let third = location.serviceStart {
            let suffixHash = third == 0 ? hash : NameHash.hash(p + third, count: length &- third)
            if let found = services.find(p + third, length: length &- third, hash: suffixHash), let table = found.table {
                // The service's own name: straight from the table's block.
                if third == 0, let key = found.key, let blob = NameTable.keyAnswer(block: key - NameTable.keyOffset, type: type) {
                    return .answer(blob)
                }
                return table._withUnsafeGuaranteedRef { t -> Lookup in
                    if third == 0 && t.keyNode >= 0 { return Self.convert(t, t.answer(node: t.keyNode, type: type)) }
                    if let n = t.node(name: p, length: length, hash: hash) { return Self.convert(t, t.answer(node: n, type: type)) }
                    if let found = t.clusterLookup(name: name, length: length, serviceStart: third, type: type, zone: zone, into: answerSpace) {
                        return found
                    }
                    if let parent = t.portNameParent(name: name, length: length), t.nodes[parent].acceptsPortNames {
                        return .noData(zone: zone)
                    }
                    return .nxDomain(zone: zone)
                }
            }
        }
        // The zone files' names (a service's names, above, take precedence over a zone
        // file's records for the same name).
        if let n = base.node(name: p, length: length, hash: hash) {
            return Self.convert(base, base.answer(node: n, type: type))
        }
        if underServices && location.before < 3 && emptyNonTerminals.contains(p, length: length, hash: hash) {
            return .noData(zone: zone)
        }
        if let parent = base.portNameParent(name: name, length: length), base.nodes[parent].acceptsPortNames {
            return .noData(zone: zone)
        }
        return .nxDomain(zone: zone)
    }

    /// The bytes `lookup` may write an answer into.
    public static let answerSpaceSize = ServiceTableWriter.maxSynthesizedAnswer

    /// Label starts the lookup's ring word holds.
    static let ringLabels = 8

    @inline(__always)
    static func convert(_ t: NameTable, _ l: NameTable.Lookup) -> Lookup {
        switch l {
        case .answer(let ref, _): return .answer(t.bytes(ref))
        case .noData(let z): return .noData(zone: z)
        case .nxDomain(let z): return .nxDomain(zone: z)
        case .refused: return .refused
        }
    }

    /// The `svc` label (in lower case, as queries are stored).
    @inline(__always)
    static func isServiceLabel(_ name: UnsafeRawBufferPointer, at i: Int) -> Bool {
        name[i] == 3 && name[i + 1] == UInt8(ascii: "s") && name[i + 2] == UInt8(ascii: "v") && name[i + 3] == UInt8(ascii: "c")
    }

}
