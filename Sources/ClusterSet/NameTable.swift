import Atomics
import DNSWire

/// An immutable group of names in lower-cased wire form, mapped to answers that are
/// already in wire format: the zone files' names, or one service's names.
///
/// `AnswerTable` (the snapshot the DNS workers read) is made of these: one for the zone
/// files and one per service and zone, so a data change rebuilds one service's table
/// instead of every name. Compiling does all the work (grouping, glue, compression);
/// answering is a hash probe and a copy. Storage is raw memory owned by the object, so
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

        init(hash: UInt64, nameOffset: UInt32, nameLength: UInt16, node: UInt32) {
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

    let arena: UnsafeMutableRawBufferPointer
    let slots: UnsafeMutableBufferPointer<Slot>
    let nodes: UnsafeMutableBufferPointer<Node>
    let types: UnsafeMutableBufferPointer<TypeEntry>
    let zoneInfo: UnsafeMutableBufferPointer<ZoneInfo>
    let rotations: UnsafeMutableBufferPointer<Rotation>
    let cycles: UnsafeMutableBufferPointer<UInt16>
    let alternatives: UnsafeMutableBufferPointer<AnswerRef>
    let slotMask: Int
    /// Round-robin positions; shared with the tables before and after this one.
    public let counters: RotationCounters

    /// The served zones' apexes, in the order of `zone` indexes.
    public let zones: [DNSName]
    /// Number of distinct owner names (empty non-terminals included).
    public var nameCount: Int { nodes.count + synthesizedNames }
    /// Bytes of precompiled answers, names and their index.
    public var arenaBytes: Int { blockSize }
    /// For a service's table: its service name (`<svc>.<ns>.svc.<zone>`), by which the
    /// answer table indexes it; empty for the zone files' table.
    let key: (bytes: UnsafeRawPointer, length: Int, hash: UInt64)

    init(arena a: UnsafeRawBufferPointer, slots s: [Slot], nodes n: [Node], types t: [TypeEntry], zoneInfo z: [ZoneInfo], zones: [DNSName],
         rotations r: [Rotation], cycles c: [UInt16], alternatives alt: [AnswerRef], counters: RotationCounters,
         key k: [UInt8], keyNode: Int?, storedSuffix: Int = 0, clusterSection: Int = 0, synthesizedNames: Int = 0) {
        self.storedSuffix = storedSuffix
        self.clusterSection = clusterSection
        self.synthesizedNames = synthesizedNames
        // One block for everything: a lookup touches adjacent memory (a service's table
        // is a few KiB), and a table is one allocation instead of eight.
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
        func copy<T>(_ src: [T], at offset: Int) -> UnsafeMutableBufferPointer<T> {
            let p = (block + offset).bindMemory(to: T.self, capacity: src.count)
            let buffer = UnsafeMutableBufferPointer(start: p, count: src.count)
            _ = buffer.initialize(from: src)
            return buffer
        }
        self.block = block
        blockSize = size
        block.storeBytes(of: UInt16(k.count), toByteOffset: 0, as: UInt16.self)
        // The key name's type entries are the first ones (the builder puts them there):
        // their count here spares `keyAnswer` a read of the node array.
        let keyTypes = keyNode.map { n[$0].firstType == 0 ? Int(n[$0].typeCount) : 0 } ?? 0
        block.storeBytes(of: UInt16(keyTypes), toByteOffset: 2, as: UInt16.self)
        block.storeBytes(of: Int32(keyNode ?? -1), toByteOffset: 4, as: Int32.self)
        block.storeBytes(of: UInt32(oNodes), toByteOffset: 8, as: UInt32.self)
        block.storeBytes(of: UInt32(oTypes), toByteOffset: 12, as: UInt32.self)
        block.storeBytes(of: UInt32(oArena), toByteOffset: 16, as: UInt32.self)
        block.storeBytes(of: UInt32(oRotations), toByteOffset: 20, as: UInt32.self)
        block.storeBytes(of: UInt32(oCycles), toByteOffset: 24, as: UInt32.self)
        block.storeBytes(of: UInt32(oAlternatives), toByteOffset: 28, as: UInt32.self)
        block.storeBytes(of: UnsafeRawPointer(counters.storage), toByteOffset: 32, as: UnsafeRawPointer.self)
        block.storeBytes(of: counters.capacity, toByteOffset: 40, as: Int.self)
        k.withUnsafeBytes { if k.count > 0 { (block + Self.keyOffset).copyMemory(from: $0.baseAddress!, byteCount: k.count) } }
        key = (UnsafeRawPointer(block + Self.keyOffset), k.count, k.isEmpty ? 0 : NameHash.hash(k))
        self.keyNode = keyNode ?? -1
        slots = copy(s, at: oSlots)
        nodes = copy(n, at: oNodes)
        types = copy(t, at: oTypes)
        zoneInfo = copy(z, at: oZones)
        rotations = copy(r, at: oRotations)
        alternatives = copy(alt, at: oAlternatives)
        cycles = copy(c, at: oCycles)
        let bytes = UnsafeMutableRawBufferPointer(start: block + oArena, count: a.count)
        if a.count > 0 { bytes.copyMemory(from: a) }
        arena = bytes
        self.counters = counters
        slotMask = s.count - 1
        self.zones = zones
    }

    /// Bytes at the end of every name that the arena does not store: a service table's
    /// names are stored without the service's name (the key), which the answer table's
    /// directory lookup has already matched; 0 for the zone files' table.
    let storedSuffix: Int
    /// Where a service table's cluster names are kept as data (`clusterLookup`); 0: none.
    let clusterSection: Int
    /// The names the cluster section stands for.
    let synthesizedNames: Int

    /// The single allocation holding every buffer (all of trivial types). Its header:
    /// key length (UInt16), the number of the key name's type entries (UInt16; they are
    /// the first type entries), the key name's node (Int32, -1 if none), the offsets of the
    /// nodes, type entries, arena, rotations, cycles and alternatives (UInt32 each), the
    /// rotation counters' storage and capacity; the key at `keyOffset`.
    let block: UnsafeMutableRawPointer
    static let keyOffset = 48
    /// The key name's node, -1 when the key has no names of its own.
    let keyNode: Int

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
        let types = block + Int(block.load(fromByteOffset: 12, as: UInt32.self))
        var i = 0
        let end = Int(block.load(fromByteOffset: 2, as: UInt16.self))
        while i < end {
            let e = types.load(fromByteOffset: i * MemoryLayout<TypeEntry>.stride, as: TypeEntry.self)
            if e.type == type.rawValue {
                let arena = block + Int(block.load(fromByteOffset: 16, as: UInt32.self))
                var answer = e.answer
                if e.rotation != noRotation {
                    let rotations = block + Int(block.load(fromByteOffset: 20, as: UInt32.self))
                    let r = rotations.load(fromByteOffset: Int(e.rotation) &* MemoryLayout<Rotation>.stride, as: Rotation.self)
                    // A peek takes the first alternative and leaves the counter alone.
                    var alt = 0
                    if !peek {
                        let storage = block.load(fromByteOffset: 32, as: UnsafeRawPointer.self)
                            .assumingMemoryBound(to: UnsafeAtomic<Int>.Storage.self)
                        let position = RotationCounters.position(UnsafeMutablePointer(mutating: storage), capacity: block.load(fromByteOffset: 40, as: Int.self),
                                                                 Int(r.counter), advance: r.advance)
                        let step = Int(UInt(bitPattern: position) % UInt(r.cycleLength))
                        let cycles = block + Int(block.load(fromByteOffset: 24, as: UInt32.self))
                        alt = Int(cycles.load(fromByteOffset: (Int(r.cycleOffset) &+ step) &* 2, as: UInt16.self))
                    }
                    let alternatives = block + Int(block.load(fromByteOffset: 28, as: UInt32.self))
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
        let types = Int(block.load(fromByteOffset: 12, as: UInt32.self))
        let keyTypes = Int(block.load(fromByteOffset: 2, as: UInt16.self))
        return min(types + keyTypes * MemoryLayout<TypeEntry>.stride, maxHotBytes)
    }

    static let maxHotBytes = 640

    /// Its size in bytes, for memory reports.
    let blockSize: Int

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
        guard name[1] == UInt8(ascii: "_") || Self.isProtocolLabel(name, at: second) else { return nil }
        let rest = UnsafeRawBufferPointer(rebasing: name[restStart..<length])
        return node(name: rest.baseAddress!, length: rest.count, hash: NameHash.hash(rest.baseAddress!, count: rest.count))
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
/// instead of a byte loop (names are 10 to 60 bytes).
@inline(__always)
func memEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
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
