import DNSWire

/// The service tables of an answer table, found by service name: a hash table split
/// into chunks that snapshots share, so that a change copies one chunk (a few KiB)
/// instead of re-indexing and re-retaining every service.
///
/// The store owns the current directory and mutates it; `AnswerTable` keeps a copy,
/// which is only a copy of the chunk references. A chunk is never changed once a
/// snapshot may hold it: changes copy it first (`writableChunk`).
package struct ServiceDirectory {
    static let chunkSlots = 256
    private(set) var chunks: [ServiceChunk]
    package private(set) var count = 0
    private(set) var nameCount = 0
    private(set) var arenaBytes = 0

    package init(chunkCount: Int = 1) {
        chunks = (0..<chunkCount).map { _ in ServiceChunk() }
    }

    var chunkMask: Int { chunks.count - 1 }

    /// Puts `table` under its key, replacing a table with the same key.
    package mutating func insert(_ table: NameTable) {
        if (count + 1) * 2 > chunks.count * Self.chunkSlots
            || chunks[Self.chunk(table.key.hash, mask: chunkMask)].occupied * 4 >= Self.chunkSlots * 3 {
            grow()
        }
        if let old = writableChunk(Self.chunk(table.key.hash, mask: chunkMask)).insert(table) {
            nameCount -= old.nameCount
            arenaBytes -= old.arenaBytes
        } else {
            count += 1
        }
        nameCount += table.nameCount
        arenaBytes += table.arenaBytes
    }

    /// Room for `tables` tables without growing on the way (a first compile of 100,000
    /// services grew nine times, rehashing everything each time). A chunk that fills
    /// unevenly may still make it grow.
    package mutating func reserve(_ tables: Int) {
        var n = chunks.count
        while tables * 2 > n * Self.chunkSlots { n *= 2 }
        if n > chunks.count { rehash(chunkCount: n) }
    }

    /// Removes the table with `table`'s key.
    package mutating func remove(_ table: NameTable) {
        if let old = writableChunk(Self.chunk(table.key.hash, mask: chunkMask)).remove(table) {
            count -= 1
            nameCount -= old.nameCount
            arenaBytes -= old.arenaBytes
        }
    }

    /// Chunk `c`, copied first if a published snapshot may share it; a chunk only this
    /// directory holds (already copied since the last snapshot) is changed in place, so
    /// a full compile copies each chunk once, not once per service.
    private mutating func writableChunk(_ c: Int) -> ServiceChunk {
        if !isKnownUniquelyReferenced(&chunks[c]) { chunks[c] = chunks[c].copy() }
        return chunks[c]
    }

    private mutating func grow() { rehash(chunkCount: chunks.count * 2) }

    private mutating func rehash(chunkCount: Int) {
        let all = chunks.flatMap { $0.tables.compactMap { $0 } }
        chunks = (0..<chunkCount).map { _ in ServiceChunk() }
        let mask = chunkMask
        for t in all { _ = chunks[Self.chunk(t.key.hash, mask: mask)].insert(t) }
    }

    @inline(__always)
    static func chunk(_ hash: UInt64, mask: Int) -> Int { Int(truncatingIfNeeded: hash >> 40) & mask }

    /// The chunk `find` probes for `hash` (its slots, `ServiceChunk.size` of them) and the
    /// slot it reads first.
    @inline(__always)
    func probeStart(hash: UInt64) -> (slots: UnsafePointer<ServiceChunk.Slot>, index: Int) {
        chunks.withUnsafeBufferPointer { b in
            Unmanaged.passUnretained(b[Self.chunk(hash, mask: b.count - 1)])._withUnsafeGuaranteedRef {
                (UnsafePointer($0.slots.baseAddress!), ServiceChunk.start(hash))
            }
        }
    }

    /// The slot of the table whose key is `name`. Allocates nothing, retains nothing.
    @inline(__always)
    func find(_ name: UnsafeRawPointer, length: Int, hash: UInt64) -> ServiceChunk.Slot? {
        chunks.withUnsafeBufferPointer { b in
            Unmanaged.passUnretained(b[Self.chunk(hash, mask: b.count - 1)])._withUnsafeGuaranteedRef { $0.find(name, length: length, hash: hash) }
        }
    }
}

/// One chunk of a `ServiceDirectory`: linear probing that wraps inside the chunk.
final class ServiceChunk: @unchecked Sendable {
    // @unchecked: mutated only by the store's owner while no snapshot holds it
    // (`ServiceDirectory.writableChunk`); immutable once a snapshot can see it.
    /// The key's bytes are reached without touching the table object: one cache miss
    /// less per query.
    struct Slot {
        var hash: UInt64
        package var key: UnsafeRawPointer?
        package var keyLength: Int
        var table: Unmanaged<NameTable>?

        package init(_ table: NameTable?) {
            guard let t = table else {
                self.init(hash: 0, key: nil, keyLength: 0, table: nil)
                return
            }
            self.init(hash: t.key.hash, key: t.key.bytes, keyLength: t.key.length, table: .passUnretained(t))
        }

        package init(hash: UInt64, key: UnsafeRawPointer?, keyLength: Int, table: Unmanaged<NameTable>?) {
            self.hash = hash
            self.key = key
            self.keyLength = keyLength
            self.table = table
        }
    }

    static var size: Int { ServiceDirectory.chunkSlots }
    let slots: UnsafeMutableBufferPointer<Slot>
    /// Strong references for the unretained ones in `slots`, index for index.
    var tables: [NameTable?]
    private(set) var occupied = 0

    package init() {
        slots = .allocate(capacity: Self.size)
        slots.initialize(repeating: Slot(nil))
        tables = Array(repeating: nil, count: Self.size)
    }

    private init(copying other: ServiceChunk) {
        slots = .allocate(capacity: Self.size)
        _ = slots.initialize(from: other.slots)
        tables = other.tables
        occupied = other.occupied
    }

    deinit { slots.deallocate() }

    func copy() -> ServiceChunk { ServiceChunk(copying: self) }

    @inline(__always)
    static func start(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: hash) & (size - 1) }

    static func sameKey(_ a: NameTable, _ b: NameTable) -> Bool {
        a.key.hash == b.key.hash && a.key.length == b.key.length && memEqual(a.key.bytes, b.key.bytes, a.key.length)
    }

    /// Inserts or replaces; returns the replaced table.
    package func insert(_ table: NameTable) -> NameTable? {
        let hash = table.key.hash
        var i = Self.start(hash)
        while let t = tables[i] {
            // The slot's hash first: another key's table is not touched.
            if slots[i].hash == hash, Self.sameKey(t, table) {
                tables[i] = table
                slots[i] = Slot(table)
                return t
            }
            i = (i + 1) & (Self.size - 1)
        }
        tables[i] = table
        slots[i] = Slot(table)
        occupied += 1
        return nil
    }

    /// Removes the table with `table`'s key (backward-shift deletion); returns it.
    package func remove(_ table: NameTable) -> NameTable? {
        let mask = Self.size - 1
        var i = Self.start(table.key.hash)
        while let t = tables[i] {
            if Self.sameKey(t, table) {
                var hole = i
                var j = (i + 1) & mask
                while let moving = tables[j] {
                    let home = Self.start(moving.key.hash)
                    // Move `moving` into the hole unless its home lies cyclically in (hole, j].
                    let inRange = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j)
                    if !inRange {
                        tables[hole] = moving
                        slots[hole] = slots[j]
                        hole = j
                    }
                    j = (j + 1) & mask
                }
                tables[hole] = nil
                slots[hole] = Slot(nil)
                occupied -= 1
                return t
            }
            i = (i + 1) & mask
        }
        return nil
    }

    @inline(__always)
    func find(_ name: UnsafeRawPointer, length: Int, hash: UInt64) -> Slot? {
        var i = Self.start(hash)
        while true {
            let s = slots[i]
            guard let key = s.key else { return nil }
            if s.hash == hash && s.keyLength == length && memEqual(key, name, length) { return s }
            i = (i + 1) & (Self.size - 1)
        }
    }
}
