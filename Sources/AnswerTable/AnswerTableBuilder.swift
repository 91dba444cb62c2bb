import DNSWire

/// Assembles a `NameTable` (or an `AnswerTable` of just that) from zone files and
/// precompiled fragments.
///
/// Runs whenever data changes, never per query. Zone-file records are grouped into
/// RRsets, in-zone CNAMEs chased and glue added, then compiled; service fragments
/// arrive compiled. Assembly adds empty non-terminals and the hash index.
public struct AnswerTableBuilder: Sendable {
    struct Draft {
        var zone: Int
        /// RRsets by type, records in insertion order.
        var rrsets: [RRType: [ResourceRecord]] = [:]
    }

    private var apexes: [DNSName] = []
    private var soas: [ResourceRecord] = []
    private var drafts: [DNSName: Draft] = [:]
    private var fragments: [(fragment: AnswerFragment, zone: Int)] = []
    /// Records dropped because no served zone holds them.
    public private(set) var outOfZone = 0

    public init() {}

    /// The zones added so far, in `zone` index order.
    public var zones: [DNSName] { apexes }

    /// Adds a zone: its SOA (for negative answers) and records.
    public mutating func add(zone: ZoneContent) {
        apexes.append(zone.apex)
        soas.append(zone.soa)
        add(record: zone.soa)
        for rr in zone.records { add(record: rr) }
    }

    /// Adds one record to whichever served zone holds its owner (the longest apex).
    /// Identical records are kept once (RFC 2181 §5: an RRset has no duplicates).
    public mutating func add(record rr: ResourceRecord) {
        guard let zone = zoneIndex(for: rr.name) else {
            outOfZone += 1
            return
        }
        var d = drafts[rr.name] ?? Draft(zone: zone)
        d.zone = zone
        var set = d.rrsets[rr.type] ?? []
        if !set.contains(where: { $0.rdata == rr.rdata && $0.rclass == rr.rclass }) { set.append(rr) }
        d.rrsets[rr.type] = set
        drafts[rr.name] = d
    }

    /// Adds names compiled apart (the `dns-version` TXT) to the zone with `apex`.
    /// A fragment for a zone that was not added is dropped.
    public mutating func add(fragment: AnswerFragment, zone apex: DNSName) {
        guard let z = apexes.firstIndex(of: apex) else { return }
        fragments.append((fragment, z))
    }

    func zoneIndex(for name: DNSName) -> Int? {
        var best: Int? = nil
        var bestLength = 0
        for (i, apex) in apexes.enumerated() where name.isSubdomain(of: apex) && apex.wire.count > bestLength {
            best = i
            bestLength = apex.wire.count
        }
        return best
    }

    /// The zone-file data as name specs: RRsets with glue, CNAME owners with their chains.
    func zoneSpecs() -> [Int: [NameSpec]] {
        var out: [Int: [NameSpec]] = [:]
        for (name, d) in drafts {
            var spec = NameSpec(name: name)
            if let cname = d.rrsets[.cname] {
                spec.fallback = cname
                for (type, chain) in chase(from: name) where type != .cname {
                    spec.answers[type] = .fixed(Sections(answer: cname + chain, additional: glue(for: chain)))
                }
                spec.answers[.cname] = .fixed(Sections(answer: cname))
            } else {
                for (type, set) in d.rrsets { spec.answers[type] = .fixed(Sections(answer: set, additional: glue(for: set))) }
            }
            spec.any = d.rrsets.keys.sorted().flatMap { d.rrsets[$0] ?? [] }
            out[d.zone, default: []].append(spec)
        }
        return out
    }

    /// A table with only these names: zone files, test data.
    public func build(counters: RotationCounters = RotationCounters(capacity: 1), ready: Bool = true) -> AnswerTable {
        AnswerTable(base: buildNameTable(counters: counters), ready: ready)
    }

    /// The names as one `NameTable`: the answer table's base (zone files and the service
    /// zones' fixed names).
    public func buildNameTable(counters: RotationCounters) -> NameTable {
        var arena: [UInt8] = [0]  // offset 0 stays unused so AnswerRef(0, 0) means none
        var nodes: [NameTable.Node] = []
        /// Per node: whether its ANY and fallback entries are set.
        var special: [(any: Bool, fallback: Bool)] = []
        var types: [NameTable.TypeEntry] = []
        var nameOffsets: [UInt32] = []

        // The hash index doubles as the name-to-node map while assembling: FNV over the
        // bytes already in the arena, no per-name allocation or Hasher pass.
        var all = zoneSpecs().sorted { $0.key < $1.key }.map { (AnswerFragment(compiling: $0.value.sorted { $0.name.wire.lexicographicallyPrecedes($1.name.wire) }), $0.key) }
        all += fragments
        let expected = all.reduce(0) { $0 + $1.0.names.count }
        var capacity = 16
        // Room for the names and their empty non-terminals at half load; grows if short.
        // (Load at most 5/8: a service's 20 names fit 32 slots.)
        while capacity * 5 < (expected + 2) * 8 { capacity <<= 1 }
        let empty = NameTable.Slot(hash: 0, nameOffset: 0, nameLength: 0, node: 0)
        var slots = [NameTable.Slot](repeating: empty, count: capacity)

        func sameName(_ s: NameTable.Slot, _ wire: ArraySlice<UInt8>) -> Bool {
            guard Int(s.nameLength) == wire.count else { return false }
            var a = Int(s.nameOffset)
            for b in wire {
                if arena[a] != b { return false }
                a += 1
            }
            return true
        }
        func find(_ wire: ArraySlice<UInt8>, _ hash: UInt64) -> (found: Int?, slot: Int) {
            var i = Int(truncatingIfNeeded: hash) & (capacity - 1)
            while slots[i].nameLength != 0 {
                if slots[i].matches(hash) && sameName(slots[i], wire) { return (Int(slots[i].node), i) }
                i = (i + 1) & (capacity - 1)
            }
            return (nil, i)
        }
        func grow() {
            capacity <<= 1
            var bigger = [NameTable.Slot](repeating: empty, count: capacity)
            for s in slots where s.nameLength != 0 {
                // Slots keep only the hash's high bits: the low ones come from the name.
                let hash = NameHash.hash(arena[Int(s.nameOffset)..<(Int(s.nameOffset) + Int(s.nameLength))])
                var i = Int(truncatingIfNeeded: hash) & (capacity - 1)
                while bigger[i].nameLength != 0 { i = (i + 1) & (capacity - 1) }
                bigger[i] = s
            }
            slots = bigger
        }
        func emptyNode(_ wire: ArraySlice<UInt8>, zone: Int) -> Int {
            let hash = NameHash.hash(wire)
            let (found, slot) = find(wire, hash)
            if let n = found { return n }
            let offset = UInt32(arena.count)
            arena.append(contentsOf: wire)
            nodes.append(.init(firstType: 0, typeCount: 0, zone: UInt16(zone), acceptsPortNames: false))
            special.append((false, false))
            nameOffsets.append(offset)
            slots[slot] = .init(hash: hash, nameOffset: offset, nameLength: UInt16(wire.count), node: UInt32(nodes.count - 1))
            if nodes.count * 8 > capacity * 5 { grow() }
            return nodes.count - 1
        }

        // Zone files first (compiled here), then service fragments (copied).
        // (node, entry) pairs in arrival order; grouped per node below by a counting sort.
        var pending: [(node: Int32, entry: NameTable.TypeEntry)] = []
        for (fragment, zone) in all {
            let base = UInt32(arena.count)
            arena.append(contentsOf: fragment.arena)
            func relocate(_ r: AnswerFragment.Ref) -> NameTable.AnswerRef { .init(offset: base + r.offset, length: r.length) }
            for name in fragment.names {
                let n = emptyNode(name.wire[...], zone: zone)
                for (type, ref) in name.types {
                    pending.append((Int32(n), .init(type: type, answer: relocate(ref), rotation: NameTable.noRotation)))
                }
                // ANY and the CNAME fallback are type entries too; the first of each stays.
                if let a = name.any, !special[n].any {
                    special[n].any = true
                    pending.append((Int32(n), .init(type: NameTable.anyType, answer: relocate(a), rotation: NameTable.noRotation)))
                }
                if let f = name.fallback, !special[n].fallback {
                    special[n].fallback = true
                    pending.append((Int32(n), .init(type: NameTable.fallbackType, answer: relocate(f), rotation: NameTable.noRotation)))
                }
                if name.acceptsPortNames { nodes[n].acceptsPortNames = true }
            }
        }
        // Empty non-terminals: every ancestor of an owner, down to its zone apex, exists.
        // Walking up stops at the first ancestor already present: its own are too.
        let owners = nodes.count
        for n in 0..<owners {
            let zone = Int(nodes[n].zone)
            let stop = apexes[zone].wire.count
            let offset = Int(nameOffsets[n])
            let length = nameLength(arena, offset)
            var i = 0
            while length - i > stop {
                i += 1 + Int(arena[offset + i])
                let range = (offset + i)..<(offset + length)
                if find(arena[range], NameHash.hash(arena[range])).found != nil { break }
                // Copy first: a slice of the arena alive across the append would make
                // the append copy the whole arena.
                let parent = Array(arena[range])
                _ = emptyNode(parent[...], zone: zone)
            }
        }
        // Type entries, contiguous per node.
        var first: [Int] = [], perNode: [Int] = []
        NameTable.groupTypes(pending, nodeCount: nodes.count, types: &types, first: &first, count: &perNode)
        for n in 0..<nodes.count {
            nodes[n].firstType = UInt32(first[n])
            nodes[n].typeCount = UInt16(perNode[n])
        }

        var zoneInfo: [NameTable.ZoneInfo] = []
        for (i, apex) in apexes.enumerated() {
            let apexOffset = UInt32(arena.count)
            arena.append(contentsOf: apex.wire)
            let soa = soas[i]
            let negTTL = min(soa.ttl, soa.rdata.soaMinimum ?? soa.ttl)
            var b = MessageBuilder()
            b.appendUInt16(RRType.soa.rawValue)
            b.appendUInt16(soa.rclass)
            b.appendUInt32(negTTL)
            let rd = soa.rdata.wire
            b.appendUInt16(UInt16(rd.count))
            b.append(bytes: rd)
            let soaRef = NameTable.AnswerRef(offset: UInt32(arena.count), length: UInt32(b.bytes.count))
            arena.append(contentsOf: b.bytes)
            zoneInfo.append(.init(apexOffset: apexOffset, apexLength: UInt16(apex.wire.count), apexLabels: UInt16(apex.labelCount),
                                  negativeSOA: soaRef))
        }

        return arena.withUnsafeBytes { arena in NameTable(arena: arena, slots: slots, nodes: nodes, types: types, zoneInfo: zoneInfo, zones: apexes,
                         rotations: [], cycles: [], alternatives: [], counters: counters, key: [], keyNode: nil) }
    }

    /// Wire length of the name stored at `offset`.
    func nameLength(_ arena: [UInt8], _ offset: Int) -> Int {
        var i = offset
        while arena[i] != 0 { i += 1 + Int(arena[i]) }
        return i + 1 - offset
    }

    /// Follows CNAMEs from `name` (at most 8 links, no loops) and returns the records the
    /// chain adds for each type found at its in-zone end: further CNAMEs, then the RRset.
    func chase(from name: DNSName) -> [RRType: [ResourceRecord]] {
        var links: [ResourceRecord] = []
        var seen: Set<DNSName> = [name]
        var current = drafts[name]?.rrsets[.cname]?.first
        while let c = current, links.count < 8 {
            guard case .name(let target)? = c.rdata.pieces.first, !seen.contains(target),
                  let t = drafts[target] else { break }
            seen.insert(target)
            if let next = t.rrsets[.cname]?.first {
                links.append(next)
                current = next
                continue
            }
            var result: [RRType: [ResourceRecord]] = [:]
            for (type, set) in t.rrsets { result[type] = links + set }
            return result
        }
        return [:]
    }

    /// A and AAAA records of the in-zone targets of NS, MX and SRV records.
    func glue(for set: [ResourceRecord]) -> [ResourceRecord] {
        var out: [ResourceRecord] = []
        var seen: Set<DNSName> = []
        for rr in set where rr.type == .ns || rr.type == .mx || rr.type == .srv {
            guard case .name(let target)? = rr.rdata.pieces.last, seen.insert(target).inserted,
                  let d = drafts[target] else { continue }
            out += d.rrsets[.a] ?? []
            out += d.rrsets[.aaaa] ?? []
        }
        return out
    }
}
