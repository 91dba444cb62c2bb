import Atomics
import DNSWire

/// An immutable group of names in lower-cased wire form, mapped to answers that are
/// already in wire format: the zone files' names, or one service's names.
///
/// `AnswerTable` (the snapshot the DNS workers read) is made of these: one for the zone
/// files and one per service and zone, so a data change rebuilds one service's table
/// instead of every name. Compiling does all the work (grouping, glue, compression);
/// answering is a hash probe and a copy, or for a ClusterSetIP service's cluster names
/// (kept as data: `clusterLookup`) a few records written from fixed parts. Storage is
/// one raw block owned by the object, its header holding the buffers' offsets, so
/// reading it costs no reference counting and no bounds-checked array access.
public final class NameTable: @unchecked Sendable {
    // @unchecked: every stored buffer is written once in init and only read afterwards;
    // deinit frees them when the last reader drops its reference.

    /// A precompiled answer: `arena[offset..<offset+length]` holds three UInt16 counts
    /// (answer, authority, additional) followed by the section bytes, compiled for a
    /// question that starts at offset 12 with a name of the looked-up length.
    public struct AnswerRef: Sendable, Equatable {
        public var offset: UInt32
        public var length: UInt32
        static let none = AnswerRef(offset: 0, length: 0)
        public var isNone: Bool { length == 0 }
    }

    /// What the table says about a question.
    public enum Lookup: Sendable, Equatable {
        /// Records of the asked type (or a CNAME) exist: answer with these sections.
        case answer(AnswerRef, zone: Int)
        /// The name exists, with no records of this type.
        case noData(zone: Int)
        /// The name is under `zone` and does not exist.
        case nxDomain(zone: Int)
        /// Not under any served zone.
        case refused
    }

    /// 16 bytes: a service table has 32 of them (the full hash took 24).
    struct Slot {
        /// The name hash's high 32 bits; its low bits chose the slot.
        var tag: UInt32
        var nameOffset: UInt32
        var node: UInt32
        /// The whole name's wire length (0: empty slot); the arena holds its first
        /// `nameLength - storedSuffix` bytes.
        var nameLength: UInt16

        package init(hash: UInt64, nameOffset: UInt32, nameLength: UInt16, node: UInt32) {
            tag = Self.tag(hash)
            self.nameOffset = nameOffset
            self.node = node
            self.nameLength = nameLength
        }

        @inline(__always)
        static func tag(_ hash: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: hash &>> 32) }

        @inline(__always)
        func matches(_ hash: UInt64) -> Bool { tag == Self.tag(hash) }
    }

    /// 12 bytes: the answer for QTYPE ANY (every RRset of the name) and a CNAME owner's
    /// answer for other types are type entries (`anyType`, `fallbackType`), not fields
    /// every node would carry.
    struct Node {
        var firstType: UInt32
        var typeCount: UInt16
        var zone: UInt16
        /// `_port._proto.<this name>` answers NODATA when not compiled.
        var acceptsPortNames: Bool
    }

    /// The type entry answering QTYPE ANY.
    static let anyType = RRType.any.rawValue
    /// The type entry of a CNAME owner that answers every type without an entry of its
    /// own (type 0 is reserved, RFC 6895); never QTYPE ANY.
    static let fallbackType: UInt16 = 0

    struct TypeEntry {
        var type: UInt16
        var answer: AnswerRef
        /// Index into `rotations`, or `noRotation` for a fixed answer.
        var rotation: UInt32
    }

    static let noRotation = UInt32.max

    struct Rotation {
        var counter: UInt32
        var advance: Bool
        var cycleOffset: UInt32
        var cycleLength: UInt32
        /// First of this rotation's alternatives in `alternatives`.
        var alternativesOffset: UInt32
    }

    struct ZoneInfo {
        var apexOffset: UInt32
        var apexLength: UInt16
        /// Labels of the apex, root excluded.
        var apexLabels: UInt16
        /// The SOA record after its owner name (type, class, TTL, RDLENGTH, RDATA), with the
        /// negative TTL min(SOA TTL, MINIMUM) (RFC 2308 §5), uncompressed.
        var negativeSOA: AnswerRef
    }

    /// The single allocation holding every buffer (all of trivial types), its header
    /// first (`Header`), then the key at `keyOffset`. The object itself holds only what
    /// must be retained or found without the block: a table per service made the
    /// object's eight buffer fields (272 bytes with the allocator's) a fifth of it.
    let block: UnsafeMutableRawPointer
    /// Round-robin positions; shared with the tables before and after this one.
    public let counters: RotationCounters
    /// The served zones' apexes, in the order of `zone` indexes.
    public let zones: [DNSName]
    /// The key's hash (the directory's slot).
    let keyHash: UInt64

    /// Byte offsets of the block's header fields: UInt16 key length, UInt16 number of the
    /// key name's type entries (the first ones), Int32 key node (-1: none), then UInt32
    /// offsets and counts of the buffers, the rotation counters' storage and capacity
    /// (read by `keyAnswer` from the block alone), and the table's small fields.
    enum Header {
        package static let keyLength = 0, keyTypes = 2, keyNode = 4
        static let nodes = 8, types = 12, arena = 16, rotations = 20, cycles = 24, alternatives = 28
        static let countersStorage = 32, countersCapacity = 40
        static let slots = 48, zoneInfo = 52
        static let arenaCount = 56, slotCount = 60, nodeCount = 64, typeCount = 68, zoneInfoCount = 72
        static let rotationCount = 76, cycleCount = 80, alternativeCount = 84
        static let storedSuffix = 88, clusterSection = 92, synthesizedNames = 96, blockSize = 100
    }

    static let keyOffset = 104

    @inline(__always)
    private func field(_ offset: Int) -> Int { Int(block.load(fromByteOffset: offset, as: UInt32.self)) }

    @inline(__always)
    private func buffer<T>(_ offset: Int, _ count: Int, _: T.Type) -> UnsafeMutableBufferPointer<T> {
        UnsafeMutableBufferPointer(start: (block + field(offset)).assumingMemoryBound(to: T.self), count: field(count))
    }

    var arena: UnsafeMutableRawBufferPointer {
        @inline(__always) get { UnsafeMutableRawBufferPointer(start: block + field(Header.arena), count: field(Header.arenaCount)) }
    }
    var slots: UnsafeMutableBufferPointer<Slot> { @inline(__always) get { buffer(Header.slots, Header.slotCount, Slot.self) } }
    var nodes: UnsafeMutableBufferPointer<Node> { @inline(__always) get { buffer(Header.nodes, Header.nodeCount, Node.self) } }
    var types: UnsafeMutableBufferPointer<TypeEntry> { @inline(__always) get { buffer(Header.types, Header.typeCount, TypeEntry.self) } }
    var zoneInfo: UnsafeMutableBufferPointer<ZoneInfo> { @inline(__always) get { buffer(Header.zoneInfo, Header.zoneInfoCount, ZoneInfo.self) } }
    var rotations: UnsafeMutableBufferPointer<Rotation> { @inline(__always) get { buffer(Header.rotations, Header.rotationCount, Rotation.self) } }
    var cycles: UnsafeMutableBufferPointer<UInt16> { @inline(__always) get { buffer(Header.cycles, Header.cycleCount, UInt16.self) } }
    var alternatives: UnsafeMutableBufferPointer<AnswerRef> { @inline(__always) get { buffer(Header.alternatives, Header.alternativeCount, AnswerRef.self) } }
    var slotMask: Int { @inline(__always) get { field(Header.slotCount) &- 1 } }

    /// Number of distinct owner names (empty non-terminals included).
    public var nameCount: Int { field(Header.nodeCount) + synthesizedNames }
    /// Bytes of precompiled answers, names and their index.
    public var arenaBytes: Int { blockSize }
    /// For a service's table: its service name (`<svc>.<ns>.svc.<zone>`), by which the
    /// answer table indexes it; empty for the zone files' table.
    package var key: (bytes: UnsafeRawPointer, length: Int, hash: UInt64) {
        (UnsafeRawPointer(block + Self.keyOffset), Int(block.load(fromByteOffset: Header.keyLength, as: UInt16.self)), keyHash)
    }

    init(arena a: UnsafeRawBufferPointer, slots s: [Slot], nodes n: [Node], types t: [TypeEntry], zoneInfo z: [ZoneInfo], zones: [DNSName],
         rotations r: [Rotation], cycles c: [UInt16], alternatives alt: [AnswerRef], counters: RotationCounters,
         key k: [UInt8], keyNode: Int?, storedSuffix: Int = 0, clusterSection: Int = 0, synthesizedNames: Int = 0) {
        // One block for everything: a lookup touches adjacent memory (a service's table
        // is a few hundred bytes), and a table is one allocation instead of eight.
        // The block starts with a header and the key, then the nodes and type entries:
        // the first lines a lookup of the service name touches (`keyAnswer`).
        var size = Self.keyOffset + k.count
        func place<T>(_ src: [T]) -> Int {
            let align = MemoryLayout<T>.alignment
            size = (size + align - 1) / align * align
            let at = size
            size += MemoryLayout<T>.stride * src.count
            return at
        }
        // What answering the key name reads comes first (rotations, their cycles and
        // alternatives, the type entries, the key name's first): `hotBytes`.
        let oRotations = place(r), oCycles = place(c), oAlternatives = place(alt), oTypes = place(t)
        let oNodes = place(n), oSlots = place(s), oZones = place(z), oArena = size
        size += a.count
        let block = UnsafeMutableRawPointer.allocate(byteCount: max(size, 1), alignment: 16)
        func copy<T>(_ src: [T], at offset: Int) {
            let p = (block + offset).bindMemory(to: T.self, capacity: src.count)
            _ = UnsafeMutableBufferPointer(start: p, count: src.count).initialize(from: src)
        }
        func store(_ v: Int, _ offset: Int) { block.storeBytes(of: UInt32(v), toByteOffset: offset, as: UInt32.self) }
        self.block = block
        block.storeBytes(of: UInt16(k.count), toByteOffset: Header.keyLength, as: UInt16.self)
        // The key name's type entries are the first ones (the builder puts them there):
        // their count here spares `keyAnswer` a read of the node array.
        let keyTypes = keyNode.map { n[$0].firstType == 0 ? Int(n[$0].typeCount) : 0 } ?? 0
        block.storeBytes(of: UInt16(keyTypes), toByteOffset: Header.keyTypes, as: UInt16.self)
        block.storeBytes(of: Int32(keyNode ?? -1), toByteOffset: Header.keyNode, as: Int32.self)
        for (v, o) in [(oNodes, Header.nodes), (oTypes, Header.types), (oArena, Header.arena), (oRotations, Header.rotations),
                       (oCycles, Header.cycles), (oAlternatives, Header.alternatives), (oSlots, Header.slots), (oZones, Header.zoneInfo),
                       (a.count, Header.arenaCount), (s.count, Header.slotCount), (n.count, Header.nodeCount), (t.count, Header.typeCount),
                       (z.count, Header.zoneInfoCount), (r.count, Header.rotationCount), (c.count, Header.cycleCount),
                       (alt.count, Header.alternativeCount), (storedSuffix, Header.storedSuffix), (clusterSection, Header.clusterSection),
                       (synthesizedNames, Header.synthesizedNames), (size, Header.blockSize)] {
            store(v, o)
        }
        block.storeBytes(of: UnsafeRawPointer(counters.storage), toByteOffset: Header.countersStorage, as: UnsafeRawPointer.self)
        block.storeBytes(of: counters.capacity, toByteOffset: Header.countersCapacity, as: Int.self)
        k.withUnsafeBytes { if k.count > 0 { (block + Self.keyOffset).copyMemory(from: $0.baseAddress!, byteCount: k.count) } }
        keyHash = k.isEmpty ? 0 : NameHash.hash(k)
        copy(s, at: oSlots)
        copy(n, at: oNodes)
        copy(t, at: oTypes)
        copy(z, at: oZones)
        copy(r, at: oRotations)
        copy(alt, at: oAlternatives)
        copy(c, at: oCycles)
        if a.count > 0 { (block + oArena).copyMemory(from: a.baseAddress!, byteCount: a.count) }
        self.counters = counters
        self.zones = zones
    }

    /// Bytes at the end of every name that the arena does not store: a service table's
    /// names are stored without the service's name (the key), which the answer table's
    /// directory lookup has already matched; 0 for the zone files' table.
    var storedSuffix: Int { @inline(__always) get { field(Header.storedSuffix) } }
    /// Where a service table's cluster names are kept as data (`clusterLookup`); 0: none.
    package var clusterSection: Int { @inline(__always) get { field(Header.clusterSection) } }
    /// The names the cluster section stands for.
    var synthesizedNames: Int { field(Header.synthesizedNames) }
    /// The key name's node, -1 when the key has no names of its own.
    var keyNode: Int { @inline(__always) get { Int(block.load(fromByteOffset: Header.keyNode, as: Int32.self)) } }

    /// The answer of the table's key name for `type` (fixed, or the rotation's current
    /// alternative), read from the block alone (no access to this object): the common
    /// query, a service's own name, costs the directory slot and a few lines of the
    /// block. Nil (no such type: NODATA, ANY, CNAME fallback) sends the caller the long way.
    @inline(__always)
    static func keyAnswer(block: UnsafeRawPointer, type: RRType) -> UnsafeRawBufferPointer? {
        keyAnswer(block: block, type: type, peek: false)
    }

    /// Where the key name's answer for `type` starts, without touching the rotation
    /// counter (a rotation's first alternative: the others follow it in the arena). For
    /// the batch warm-up (`AnswerTable.WarmProbe`).
    @inline(__always)
    static func keyAnswerPeek(block: UnsafeRawPointer, type: RRType) -> UnsafeRawBufferPointer? {
        keyAnswer(block: block, type: type, peek: true)
    }

    @inline(__always)
    private static func keyAnswer(block: UnsafeRawPointer, type: RRType, peek: Bool) -> UnsafeRawBufferPointer? {
        // The key name's entries are types[0..<count]; 0 when the key has no names of its
        // own (or no types: NODATA, ANY, a CNAME fallback take the long way).
        let types = block + Int(block.load(fromByteOffset: Header.types, as: UInt32.self))
        var i = 0
        let end = Int(block.load(fromByteOffset: Header.keyTypes, as: UInt16.self))
        while i < end {
            let e = types.load(fromByteOffset: i * MemoryLayout<TypeEntry>.stride, as: TypeEntry.self)
            if e.type == type.rawValue {
                let arena = block + Int(block.load(fromByteOffset: Header.arena, as: UInt32.self))
                var answer = e.answer
                if e.rotation != noRotation {
                    let rotations = block + Int(block.load(fromByteOffset: Header.rotations, as: UInt32.self))
                    let r = rotations.load(fromByteOffset: Int(e.rotation) &* MemoryLayout<Rotation>.stride, as: Rotation.self)
                    // A peek takes the first alternative and leaves the counter alone.
                    var alt = 0
                    if !peek {
                        let storage = block.load(fromByteOffset: Header.countersStorage, as: UnsafeRawPointer.self)
                            .assumingMemoryBound(to: UnsafeAtomic<Int>.Storage.self)
                        let position = RotationCounters.position(UnsafeMutablePointer(mutating: storage), capacity: block.load(fromByteOffset: Header.countersCapacity, as: Int.self),
                                                                 Int(r.counter), advance: r.advance)
                        let step = Int(UInt(bitPattern: position) % UInt(r.cycleLength))
                        let cycles = block + Int(block.load(fromByteOffset: Header.cycles, as: UInt32.self))
                        alt = Int(cycles.load(fromByteOffset: (Int(r.cycleOffset) &+ step) &* 2, as: UInt16.self))
                    }
                    let alternatives = block + Int(block.load(fromByteOffset: Header.alternatives, as: UInt32.self))
                    answer = alternatives.load(fromByteOffset: (Int(r.alternativesOffset) &+ alt) &* MemoryLayout<AnswerRef>.stride, as: AnswerRef.self)
                }
                return UnsafeRawBufferPointer(start: arena + Int(answer.offset), count: Int(answer.length))
            }
            i += 1
        }
        return nil
    }
    /// How many bytes at the start of a block answering the key name reads (header, key,
    /// rotations, the key name's type entries; not the answers), at most `maxHotBytes`:
    /// what a batch loop warms before the lookups.
    @inline(__always)
    static func hotBytes(block: UnsafeRawPointer) -> Int {
        let types = Int(block.load(fromByteOffset: Header.types, as: UInt32.self))
        let keyTypes = Int(block.load(fromByteOffset: Header.keyTypes, as: UInt16.self))
        return min(types + keyTypes * MemoryLayout<TypeEntry>.stride, maxHotBytes)
    }

    static let maxHotBytes = 640

    /// Its size in bytes, for memory reports.
    var blockSize: Int { field(Header.blockSize) }

    deinit { block.deallocate() }

    /// The bytes of a precompiled answer or template.
    @inline(__always)
    func bytes(_ ref: AnswerRef) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: arena[Int(ref.offset)..<Int(ref.offset + ref.length)])
    }

    /// The zone's SOA record without its owner, for negative answers.
    @inline(__always)
    public func negativeSOA(zone: Int) -> UnsafeRawBufferPointer {
        bytes(zoneInfo[zone].negativeSOA)
    }

    /// Wire length of the zone's apex name.
    @inline(__always)
    public func apexLength(zone: Int) -> Int { Int(zoneInfo[zone].apexLength) }

    /// Looks a lower-cased wire name up. Allocates nothing.
    ///
    /// - Parameters:
    ///   - name: the lower-cased name, `length` bytes, as `QueryParser.question` wrote it.
    ///   - hash: its `NameHash`.
    @inline(__always)
    public func lookup(name: UnsafeRawBufferPointer, length: Int, hash: UInt64, type: RRType) -> Lookup {
        if let n = node(name: name.baseAddress!, length: length, hash: hash) {
            return answer(node: n, type: type)
        }
        guard let zone = enclosingZone(name: name, length: length) else { return .refused }
        if let parent = portNameParent(name: name, length: length), nodes[parent].acceptsPortNames {
            return .noData(zone: Int(nodes[parent].zone))
        }
        return .nxDomain(zone: zone)
    }

    @inline(__always)
    func node(name: UnsafeRawPointer, length: Int, hash: UInt64) -> Int? {
        var i = Int(truncatingIfNeeded: hash) & slotMask
        let tag = Slot.tag(hash)
        while true {
            let s = slots[i]
            if s.nameLength == 0 { return nil }
            if s.tag == tag && Int(s.nameLength) == length
                && memEqual(arena.baseAddress! + Int(s.nameOffset), name, length &- storedSuffix)
            {
                return Int(s.node)
            }
            i = (i + 1) & slotMask
        }
    }

    /// For `_port._proto.<rest>` or `port.(tcp|udp|sctp).<rest>`, the node of `<rest>`.
    /// Only reached for names that are not in the table.
    func portNameParent(name: UnsafeRawBufferPointer, length: Int) -> Int? {
        let l1 = Int(name[0])
        guard l1 > 0, 1 + l1 < length else { return nil }
        let second = 1 + l1
        let l2 = Int(name[second])
        guard l2 > 0, second + 1 + l2 < length else { return nil }
        let restStart = second + 1 + l2
        guard Self.looksLikePortName(name, second: second) else { return nil }
        let rest = UnsafeRawBufferPointer(rebasing: name[restStart..<length])
        return node(name: rest.baseAddress!, length: rest.count, hash: NameHash.hash(rest.baseAddress!, count: rest.count))
    }

    /// Lighthouse's SRV port filter: a name whose first label starts with `_` or whose
    /// second label (at `second`) is a protocol is a port name of what follows them,
    /// and answers NODATA there when not compiled.
    static func looksLikePortName(_ name: UnsafeRawBufferPointer, second: Int) -> Bool {
        name[1] == UInt8(ascii: "_") || isProtocolLabel(name, at: second)
    }

    static func isProtocolLabel(_ name: UnsafeRawBufferPointer, at i: Int) -> Bool {
        var start = i + 1
        var len = Int(name[i])
        if len > 0 && name[start] == UInt8(ascii: "_") { start += 1; len -= 1 }
        let label = UnsafeRawBufferPointer(rebasing: name[start..<(start + len)])
        return label.elementsEqual("tcp".utf8) || label.elementsEqual("udp".utf8) || label.elementsEqual("sctp".utf8)
    }

    @inline(__always)
    func answer(node n: Int, type: RRType) -> Lookup {
        let node = nodes[n]
        let zone = Int(node.zone)
        var t = Int(node.firstType)
        let end = t + Int(node.typeCount)
        var fallback = AnswerRef.none
        while t < end {
            let entry = types[t]
            if entry.type == type.rawValue {
                if entry.rotation == Self.noRotation { return .answer(entry.answer, zone: zone) }
                return .answer(rotate(rotations[Int(entry.rotation)]), zone: zone)
            }
            if entry.type == Self.fallbackType { fallback = entry.answer }
            t += 1
        }
        if !fallback.isNone && type != .any { return .answer(fallback, zone: zone) }
        return .noData(zone: zone)
    }

    /// The alternative a rotating answer gives now: one relaxed atomic operation.
    @inline(__always)
    func rotate(_ r: Rotation) -> AnswerRef {
        let position = r.advance ? counters.next(Int(r.counter)) : counters.value(Int(r.counter))
        let step = Int(UInt(bitPattern: position) % UInt(r.cycleLength))
        let alt = Int(cycles[Int(r.cycleOffset) + step])
        return alternatives[Int(r.alternativesOffset) + alt]
    }

    /// The longest served apex that is a suffix of `name` on a label boundary.
    @inline(__always)
    func enclosingZone(name: UnsafeRawBufferPointer, length: Int) -> Int? {
        var best: Int? = nil
        var bestLength = -1
        for z in 0..<zoneInfo.count {
            let info = zoneInfo[z]
            let al = Int(info.apexLength)
            guard al <= length, al > bestLength else { continue }
            let start = length - al
            guard memEqual(arena.baseAddress! + Int(info.apexOffset), name.baseAddress! + start, al) else { continue }
            // The suffix must start on a label boundary of `name`.
            var i = 0
            while i < start { i += 1 + Int(name[i]) }
            if i == start {
                best = z
                bestLength = al
            }
        }
        return best
    }
}

/// Byte equality, eight bytes at a time; the last word overlaps the previous one
/// instead of a byte loop (names are 10 to 60 bytes). Package: the store's label packing
/// compares short strings with it too (a `memcmp` call cost more than the comparison).
@inline(__always)
package func memEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    if n >= 8 {
        var i = 0
        while i &+ 8 < n {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
                return false
            }
            i &+= 8
        }
        return a.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
    }
    var i = 0
    while i < n {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i &+= 1
    }
    return true
}
