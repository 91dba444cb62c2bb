import DNSWire

/// Compiles zone data into an `AnswerTable`.
///
/// Runs whenever data changes, never per query: it groups records into RRsets, adds
/// empty non-terminals, chases in-zone CNAMEs, picks additional-section glue and
/// compresses every answer once.
public struct AnswerTableBuilder: Sendable {
    struct Draft {
        var zone: Int
        /// RRsets by type, records in insertion order.
        var rrsets: [RRType: [ResourceRecord]] = [:]
    }

    private var apexes: [DNSName] = []
    private var soas: [ResourceRecord] = []
    private var drafts: [DNSName: Draft] = [:]
    /// Records dropped because no served zone holds them.
    public private(set) var outOfZone = 0

    public init() {}

    /// Adds a zone. A later zone with the same apex replaces nothing: zones are unique
    /// by apex, and the loader rejects duplicates before this point.
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

    func zoneIndex(for name: DNSName) -> Int? {
        var best: Int? = nil
        var bestLength = 0
        for (i, apex) in apexes.enumerated() where name.isSubdomain(of: apex) && apex.wire.count > bestLength {
            best = i
            bestLength = apex.wire.count
        }
        return best
    }

    public func build() -> AnswerTable {
        var all = drafts
        // Empty non-terminals: every ancestor of an owner, down to its zone apex, exists.
        for (name, d) in drafts {
            var p = name
            let apex = apexes[d.zone]
            while p != apex && !p.isRoot {
                p = p.parent
                if all[p] == nil { all[p] = Draft(zone: zoneIndex(for: p) ?? d.zone) }
            }
        }

        var arena: [UInt8] = [0]  // offset 0 stays unused so AnswerRef(0, 0) means none
        var nodes: [AnswerTable.Node] = []
        var types: [AnswerTable.TypeEntry] = []
        var slotsDraft: [(hash: UInt64, nameOffset: UInt32, nameLength: UInt16, node: UInt32)] = []

        func store(_ bytes: [UInt8]) -> AnswerTable.AnswerRef {
            let ref = AnswerTable.AnswerRef(offset: UInt32(arena.count), length: UInt32(bytes.count))
            arena.append(contentsOf: bytes)
            return ref
        }

        // Deterministic order makes two builds of the same data byte-identical.
        let names = all.keys.sorted { $0.wire.lexicographicallyPrecedes($1.wire) }
        for name in names {
            guard let d = all[name] else { continue }
            let nameRef = store(name.wire)
            let firstType = types.count
            var own = d.rrsets.keys.sorted()
            var fallback = AnswerTable.AnswerRef.none
            if let cname = d.rrsets[.cname] {
                // A CNAME owner answers every type with the CNAME, followed by the
                // target's records of that type when the target is ours (RFC 1034 §4.3.2).
                fallback = store(compile(owner: name, answer: cname, additional: []))
                for (type, chain) in chase(from: name, all: all) where type != .cname {
                    types.append(.init(type: type.rawValue, answer: store(compile(owner: name, answer: cname + chain, additional: glue(for: chain, all: all)))))
                }
                own = [.cname]
            }
            for type in own {
                guard let set = d.rrsets[type] else { continue }
                types.append(.init(type: type.rawValue, answer: store(compile(owner: name, answer: set, additional: glue(for: set, all: all)))))
            }
            var anyRef = AnswerTable.AnswerRef.none
            if !d.rrsets.isEmpty {
                let every = d.rrsets.keys.sorted().flatMap { d.rrsets[$0] ?? [] }
                anyRef = store(compile(owner: name, answer: every, additional: []))
            }
            slotsDraft.append((NameHash.hash(name.wire), nameRef.offset, UInt16(name.wire.count), UInt32(nodes.count)))
            nodes.append(.init(
                zone: UInt16(d.zone), firstType: UInt32(firstType), typeCount: UInt16(types.count - firstType),
                any: anyRef, fallback: fallback))
        }

        var zoneInfo: [AnswerTable.ZoneInfo] = []
        for (i, apex) in apexes.enumerated() {
            let apexRef = store(apex.wire)
            let soa = soas[i]
            let negTTL = min(soa.ttl, soa.rdata.soaMinimum ?? soa.ttl)
            var b = MessageBuilder()
            b.appendUInt16(RRType.soa.rawValue)
            b.appendUInt16(soa.rclass)
            b.appendUInt32(negTTL)
            let rd = soa.rdata.wire
            b.appendUInt16(UInt16(rd.count))
            b.append(bytes: rd)
            zoneInfo.append(.init(apexOffset: apexRef.offset, apexLength: UInt16(apex.wire.count), negativeSOA: store(b.bytes)))
        }

        var capacity = 16
        while capacity < slotsDraft.count * 2 { capacity <<= 1 }
        var slots = [AnswerTable.Slot](repeating: .init(hash: 0, nameOffset: 0, nameLength: 0, node: 0), count: capacity)
        for s in slotsDraft {
            var i = Int(truncatingIfNeeded: s.hash) & (capacity - 1)
            while slots[i].nameLength != 0 { i = (i + 1) & (capacity - 1) }
            slots[i] = .init(hash: s.hash, nameOffset: s.nameOffset, nameLength: s.nameLength, node: s.node)
        }
        return AnswerTable(arena: arena, slots: slots, nodes: nodes, types: types, zoneInfo: zoneInfo, zones: apexes)
    }

    /// Follows CNAMEs from `name` (at most 8 links, no loops) and returns the records the
    /// chain adds for each type found at its in-zone end: further CNAMEs, then the RRset.
    func chase(from name: DNSName, all: [DNSName: Draft]) -> [RRType: [ResourceRecord]] {
        var links: [ResourceRecord] = []
        var seen: Set<DNSName> = [name]
        var current = all[name]?.rrsets[.cname]?.first
        while let c = current, links.count < 8 {
            guard case .name(let target)? = c.rdata.pieces.first, !seen.contains(target),
                  let t = all[target] else { break }
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
    func glue(for set: [ResourceRecord], all: [DNSName: Draft]) -> [ResourceRecord] {
        var out: [ResourceRecord] = []
        var seen: Set<DNSName> = []
        for rr in set where rr.type == .ns || rr.type == .mx || rr.type == .srv {
            guard case .name(let target)? = rr.rdata.pieces.last, seen.insert(target).inserted,
                  let d = all[target] else { continue }
            out += d.rrsets[.a] ?? []
            out += d.rrsets[.aaaa] ?? []
        }
        return out
    }

    /// Three counts, then the sections, compiled for a question at offset 12.
    func compile(owner: DNSName, answer: [ResourceRecord], additional: [ResourceRecord]) -> [UInt8] {
        var b = MessageBuilder(base: Wire.Header.size + owner.wire.count + Wire.Question.fixedSize)
        b.register(owner, at: Wire.Header.size)
        for rr in answer { b.append(rr) }
        for rr in additional { b.append(rr) }
        return be16(UInt16(answer.count)) + be16(0) + be16(UInt16(additional.count)) + b.bytes
    }
}

@inline(__always) func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
