import DNSWire

/// An immutable set of wire names with a lookup that allocates nothing: the empty
/// non-terminals above the services, rebuilt only when a namespace comes or goes.
package final class NameSet: @unchecked Sendable {
    // @unchecked: written once in init, only read afterwards.
    struct Slot {
        var hash: UInt64
        var offset: UInt32
        var length: UInt32  // 0: empty
    }

    let arena: UnsafeMutableRawBufferPointer
    let slots: UnsafeMutableBufferPointer<Slot>
    let mask: Int
    let count: Int

    package init(_ names: [[UInt8]]) {
        let unique = Array(Set(names.filter { !$0.isEmpty }))
        var capacity = 8
        while capacity < unique.count * 2 { capacity <<= 1 }
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Slot(hash: 0, offset: 0, length: 0))
        mask = capacity - 1
        let a = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, unique.reduce(0) { $0 + $1.count }), alignment: 8)
        arena = a
        var offset = 0
        for n in unique {
            let h = NameHash.hash(n)
            var i = Int(truncatingIfNeeded: h) & (capacity - 1)
            while slots[i].length != 0 { i = (i + 1) & (capacity - 1) }
            n.withUnsafeBytes { (a.baseAddress! + offset).copyMemory(from: $0.baseAddress!, byteCount: n.count) }
            slots[i] = Slot(hash: h, offset: UInt32(offset), length: UInt32(n.count))
            offset += n.count
        }
        count = unique.count
    }

    deinit {
        slots.deallocate()
        arena.deallocate()
    }

    @inline(__always)
    func contains(_ name: UnsafeRawPointer, length: Int, hash: UInt64) -> Bool {
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let s = slots[i]
            if s.length == 0 { return false }
            if s.hash == hash && Int(s.length) == length && memEqual(arena.baseAddress! + Int(s.offset), name, length) { return true }
            i = (i + 1) & mask
        }
    }
}
