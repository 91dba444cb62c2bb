import DNSWire

/// Writes one service's names and answers straight into the buffers of its `NameTable`.
///
/// A full compile makes a table for every service (10,000 or more at once). Going
/// through `NameSpec`, `ResourceRecord` and `MessageBuilder` cost some 800 heap
/// allocations per service, and the compile took a second; the writer builds wire bytes
/// from addresses and ports into buffers it keeps from one service to the next, so a
/// table costs its own block and little more. `ServiceResolver` decides what each name
/// answers; this type only encodes.
///
/// Names are interned below the service's name (the key, `Name` 0): each is its first
/// label plus a parent, its full wire form stored once in the arena (lookups compare
/// whole names). Compression follows `MessageBuilder`'s rules, so answers are the
/// bytes the general compiler would write: owner names point at the longest suffix
/// already in the message (the echoed question at offset 12, or a name written
/// before), SRV targets are written whole (RFC 2782) and make their suffixes known.
package struct ServiceTableWriter {
    /// Every SRV record's priority and weight (Lighthouse's values).
    package static let srvPriority: UInt16 = 0
    package static let srvWeight: UInt16 = 50

    /// One DNS label: not empty, at most 63 bytes, no dot.
    package static func isLabel(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= Wire.Name.maxLabelLength else { return false }
        // In place: `String.UTF8View.contains` went byte by byte through the view (every
        // service's name, namespace and cluster ids are checked at every compile).
        var s = s
        return s.withUTF8 { !$0.contains(UInt8(ascii: ".")) }
    }

    /// An interned name: an index into `names`.
    package typealias Name = Int32

    struct NameEntry {
        var parent: Name
        /// Where the name is in `arena`: the key's whole wire form; any other name's
        /// labels down to the key, `stored` bytes (the key's own are not repeated: a lookup
        /// reaches the table through the key, so only the rest is compared).
        var offset: UInt32
        /// Wire length of the whole name.
        var length: UInt16
        var stored: UInt16
        var hash: UInt64
        /// Has answers of its own (or is the key); its ancestors become empty non-terminals.
        package var isOwner = false
        var acceptsPortNames = false
        var hasAny = false
        /// Where the answer being written holds this name, valid when `knownStamp` is the
        /// answer's stamp.
        var knownStamp: UInt32 = 0
        var knownAt: UInt16 = 0
        /// Node index while finishing.
        var node: Int32 = -1
    }

    static let noName: Name = -1
    /// The service's own name.
    package static let key: Name = 0

    private(set) var names: [NameEntry] = []
    /// Open addressing over `names` by hash (-1: empty), for interning.
    private var internSlots: [Int32] = []
    /// The table's bytes being written (the cluster section is written here too,
    /// `ServiceTableWriter+Clusters`).
    let arena = WireBuffer()
    private var pending: [(node: Name, entry: NameTable.TypeEntry)] = []
    private var rotations: [NameTable.Rotation] = []
    private var cycles: [UInt16] = []
    private var alternatives: [NameTable.AnswerRef] = []
    // Scratch of `finish`, kept for the next table.
    private var slots: [NameTable.Slot] = []
    private var nodes: [NameTable.Node] = []
    private var types: [NameTable.TypeEntry] = []
    private var perNode: [Int] = []
    private var first: [Int] = []
    private var zone: UInt16 = 0
    private(set) var ttl: UInt32 = 0
    /// Where the clusters' section starts in the arena (0: none), and the names it
    /// stands for (`ServiceTableWriter+Clusters`).
    var clusterSectionOffset = 0
    var synthesizedNameCount = 0
    /// Wire length of the service's name (the key).
    package var keyLength: Int { Int(names[Int(Self.key)].length) }

    // The answer being written.
    private var stamp: UInt32 = 0
    private var answerStart = 0
    /// Message offset of `arena[recordsStart]`.
    private var messageBase = 0
    private var recordsStart = 0
    private var answerCount: UInt16 = 0
    private var additionalCount: UInt16 = 0

    package init() {}

    /// Starts a new table for `<name>.<namespace>.svc.<zone>`; false when that is not a
    /// valid name (a label over 63 octets, a name over 255).
    package mutating func reset(service: ServiceKey, zone apex: DNSName, zoneIndex: Int, ttl: UInt32) -> Bool {
        names.removeAll(keepingCapacity: true)
        arena.removeAll()
        pending.removeAll(keepingCapacity: true)
        rotations.removeAll(keepingCapacity: true)
        cycles.removeAll(keepingCapacity: true)
        alternatives.removeAll(keepingCapacity: true)
        clusterSectionOffset = 0
        synthesizedNameCount = 0
        if internSlots.count != 64 {
            internSlots = [Int32](repeating: -1, count: 64)
        } else {
            for i in internSlots.indices { internSlots[i] = -1 }
        }
        zone = UInt16(zoneIndex)
        self.ttl = ttl
        arena.append(0)  // offset 0 stays unused: AnswerRef(0, 0) means none
        let start = arena.count
        guard appendLabel(service.name, prefix: nil),
              appendLabel(service.namespace, prefix: nil),
              appendLabel("svc", prefix: nil) else { return false }
        apex.wire.withUnsafeBytes { arena.append($0) }
        let length = arena.count - start
        guard length <= Wire.Name.maxLength else { return false }
        let hash = NameHash.hash(arena.base + start, count: length)
        add(NameEntry(parent: Self.noName, offset: UInt32(start), length: UInt16(length), stored: 0, hash: hash))
        names[0].isOwner = true
        return true
    }

    /// Appends one label (lower-cased, with an optional first byte such as `_`); false
    /// when it is empty or longer than 63 octets.
    private func appendLabel(_ label: String, prefix: UInt8?) -> Bool {
        let length = label.utf8.count + (prefix == nil ? 0 : 1)
        guard length > 0, length <= Wire.Name.maxLabelLength else { return false }
        arena.reserve(1 + length)
        arena.append(UInt8(length))
        if let p = prefix { arena.append(p) }
        arena.appendLowercased(label)
        return true
    }

    /// `<prefix><label>.<parent>`, interned; nil when it cannot be a name.
    package mutating func name(_ label: String, prefix: UInt8? = nil, under parent: Name) -> Name? {
        let start = arena.count
        guard appendLabel(label, prefix: prefix) else {
            arena.truncate(to: start)
            return nil
        }
        let p = names[Int(parent)]
        let length = arena.count - start + Int(p.length)
        let stored = arena.count - start + Int(p.stored)
        guard length <= Wire.Name.maxLength else {
            arena.truncate(to: start)
            return nil
        }
        arena.appendCopy(from: Int(p.offset), length: Int(p.stored))
        // The hash is the whole name's (a query's): the key follows for the moment.
        let key = names[Int(Self.key)]
        arena.appendCopy(from: Int(key.offset), length: Int(key.length))
        let hash = NameHash.hash(arena.base + start, count: length)
        arena.truncate(to: start + stored)
        var i = Int(truncatingIfNeeded: hash) & (internSlots.count - 1)
        while internSlots[i] >= 0 {
            let e = names[Int(internSlots[i])]
            if e.hash == hash && Int(e.length) == length && sameBytes(Int(e.offset), start, stored) {
                arena.truncate(to: start)
                return internSlots[i]
            }
            i = (i + 1) & (internSlots.count - 1)
        }
        return add(NameEntry(parent: parent, offset: UInt32(start), length: UInt16(length), stored: UInt16(stored), hash: hash))
    }

    private func sameBytes(_ a: Int, _ b: Int, _ count: Int) -> Bool {
        memEqual(arena.base + a, arena.base + b, count)
    }

    @discardableResult
    private mutating func add(_ entry: NameEntry) -> Name {
        let id = Name(names.count)
        names.append(entry)
        if names.count * 2 > internSlots.count {
            internSlots = [Int32](repeating: -1, count: internSlots.count * 2)
            for (k, e) in names.enumerated() { place(Int32(k), hash: e.hash) }
        } else {
            place(id, hash: entry.hash)
        }
        return id
    }

    private mutating func place(_ id: Int32, hash: UInt64) {
        var i = Int(truncatingIfNeeded: hash) & (internSlots.count - 1)
        while internSlots[i] >= 0 { i = (i + 1) & (internSlots.count - 1) }
        internSlots[i] = id
    }

    /// Makes `name` exist (with or without answers); `_port._proto.<name>` then answers
    /// NODATA when not compiled (Lighthouse's SRV port filter).
    package mutating func own(_ name: Name, acceptsPortNames: Bool = false) {
        names[Int(name)].isOwner = true
        if acceptsPortNames { names[Int(name)].acceptsPortNames = true }
    }

    package func isOwner(_ name: Name) -> Bool { names[Int(name)].isOwner }

    // MARK: answers

    /// Starts an answer to a question for `question`: its name and every suffix of it
    /// up to the key are known at offset 12.
    package mutating func beginAnswer(for question: Name) {
        stamp &+= 1
        if stamp == 0 {
            for i in names.indices { names[i].knownStamp = 0 }
            stamp = 1
        }
        answerStart = arena.count
        arena.appendZeros(6)
        recordsStart = arena.count
        messageBase = Wire.Header.size + Int(names[Int(question)].length) + Wire.Question.fixedSize
        answerCount = 0
        additionalCount = 0
        var id = question
        var at = Wire.Header.size
        while id != Self.noName {
            markKnown(id, at: at)
            at += 1 + Int(arena[Int(names[Int(id)].offset)])
            id = names[Int(id)].parent
        }
    }

    private mutating func markKnown(_ id: Name, at offset: Int) {
        guard offset <= Wire.Name.maxPointerOffset, names[Int(id)].knownStamp != stamp else { return }
        names[Int(id)].knownStamp = stamp
        names[Int(id)].knownAt = UInt16(offset)
    }

    private var messageOffset: Int { messageBase + arena.count - recordsStart }

    /// Writes `name`: labels up to the longest suffix already in the message, then a
    /// pointer to it; without compression, every label (suffixes still become known).
    private mutating func write(_ name: Name, compress: Bool) {
        var id = name
        while id != Self.noName {
            let e = names[Int(id)]
            if compress && e.knownStamp == stamp {
                arena.appendUInt16(0xC000 | e.knownAt)
                return
            }
            markKnown(id, at: messageOffset)
            if e.parent == Self.noName {
                // The key: the rest of its wire form, zone labels and root included.
                arena.appendCopy(from: Int(e.offset), length: Int(e.length))
                return
            }
            let label = Int(e.offset)
            arena.appendCopy(from: label, length: 1 + Int(arena[label]))
            id = e.parent
        }
    }

    private mutating func recordHeader(owner: Name, type: RRType, additional: Bool) {
        write(owner, compress: true)
        arena.appendUInt16(type.rawValue)
        arena.appendUInt16(RRClass.in.rawValue)
        arena.appendUInt32(ttl)
        if additional { additionalCount += 1 } else { answerCount += 1 }
    }

    /// An A or AAAA record. Answer records come before additional ones.
    package mutating func address(_ owner: Name, _ ip: IPAddress, additional: Bool = false) {
        recordHeader(owner: owner, type: ip.recordType, additional: additional)
        arena.appendUInt16(ip.isIPv6 ? 16 : 4)
        ip.append(to: arena)
    }

    /// An SRV record with Lighthouse's priority and weight.
    package mutating func srv(_ owner: Name, port: UInt16, target: Name) {
        recordHeader(owner: owner, type: .srv, additional: false)
        let lengthAt = arena.count
        arena.appendUInt16(0)
        let start = arena.count
        arena.appendUInt16(Self.srvPriority)
        arena.appendUInt16(Self.srvWeight)
        arena.appendUInt16(port)
        write(target, compress: false)
        arena.setUInt16(UInt16(arena.count - start), at: lengthAt)
    }

    /// RFC 8482's minimal ANY answer: HINFO "RFC8482" "".
    package mutating func minimalAny(_ owner: Name) {
        recordHeader(owner: owner, type: .hinfo, additional: false)
        arena.appendUInt16(9)
        arena.append(7)
        for b in "RFC8482".utf8 { arena.append(b) }
        arena.append(0)
    }

    /// Ends the answer: its counts, and where it is.
    package mutating func endAnswer() -> NameTable.AnswerRef {
        arena.setUInt16(answerCount, at: answerStart)
        arena.setUInt16(additionalCount, at: answerStart + 4)
        return .init(offset: UInt32(answerStart), length: UInt32(arena.count - answerStart))
    }

    // MARK: entries

    /// `owner` answers `type` with `answer`.
    package mutating func fixed(_ owner: Name, _ type: RRType, _ answer: NameTable.AnswerRef) {
        own(owner)
        pending.append((owner, .init(type: type.rawValue, answer: answer, rotation: NameTable.noRotation)))
    }

    /// `owner` answers `type` with one of `alternatives`, chosen by the counter's position
    /// in `cycle`.
    package mutating func rotating(_ owner: Name, _ type: RRType, counter: Int, advance: Bool, cycle: [UInt16], alternatives alts: [NameTable.AnswerRef]) {
        own(owner)
        rotations.append(.init(counter: UInt32(counter), advance: advance, cycleOffset: UInt32(cycles.count),
                               cycleLength: UInt32(max(cycle.count, 1)), alternativesOffset: UInt32(alternatives.count)))
        if cycle.isEmpty { cycles.append(0) } else { cycles.append(contentsOf: cycle) }
        alternatives.append(contentsOf: alts)
        pending.append((owner, .init(type: type.rawValue, answer: .none, rotation: UInt32(rotations.count - 1))))
    }

    /// The answer to QTYPE ANY (a type entry like the others); the first one set stays.
    package mutating func any(_ owner: Name, _ answer: NameTable.AnswerRef) {
        own(owner)
        guard !names[Int(owner)].hasAny else { return }
        names[Int(owner)].hasAny = true
        pending.append((owner, .init(type: NameTable.anyType, answer: answer, rotation: NameTable.noRotation)))
    }

    // MARK: finishing

    /// The table: owners and the empty non-terminals between them and the key, a slot
    /// per name, type entries grouped per name (by type; the key's first).
    package mutating func finish(counters: RotationCounters) -> NameTable {
        // Nodes: owners and their ancestors, in interning order.
        for i in names.indices where names[i].isOwner {
            var p = names[i].parent
            while p != Self.noName && !names[Int(p)].isOwner && names[Int(p)].node != -2 {
                names[Int(p)].node = -2  // an empty non-terminal
                p = names[Int(p)].parent
            }
        }
        var count = 0
        for i in names.indices where names[i].isOwner || names[i].node == -2 {
            names[i].node = Int32(count)
            count += 1
        }
        var capacity = 8
        // Load at most 5/8 (a ClusterSetIP service's own names, its clusters' being data:
        // 5 names in 8 slots).
        while capacity * 5 < count * 8 { capacity <<= 1 }
        slots.removeAll(keepingCapacity: true)
        slots.append(contentsOf: repeatElement(.init(hash: 0, nameOffset: 0, nameLength: 0, node: 0), count: capacity))
        // Type entries per node (the key, node 0, first: next to the block's header).
        for i in pending.indices { pending[i].node = names[Int(pending[i].node)].node }
        NameTable.groupTypes(pending, nodeCount: count, types: &types, first: &first, count: &perNode)
        nodes.removeAll(keepingCapacity: true)
        for e in names where e.node >= 0 {
            var i = Int(truncatingIfNeeded: e.hash) & (capacity - 1)
            while slots[i].nameLength != 0 { i = (i + 1) & (capacity - 1) }
            slots[i] = .init(hash: e.hash, nameOffset: e.offset, nameLength: e.length, node: UInt32(e.node))
            let n = Int(e.node)
            nodes.append(.init(firstType: UInt32(first[n]), typeCount: UInt16(perNode[n]), zone: zone, acceptsPortNames: e.acceptsPortNames))
        }
        let keyWire = Array(UnsafeBufferPointer(start: arena.base + Int(names[0].offset), count: Int(names[0].length)))
        return NameTable(arena: arena.bytes, slots: slots, nodes: nodes, types: types, zoneInfo: [], zones: [],
                         rotations: rotations, cycles: cycles, alternatives: alternatives, counters: counters,
                         key: keyWire, keyNode: 0, storedSuffix: keyWire.count,
                         clusterSection: clusterSectionOffset, synthesizedNames: synthesizedNameCount)
    }
}
