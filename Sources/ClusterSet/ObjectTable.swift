/// The store's objects by key: entries in one array at stable indexes (a freed index is
/// reused), found through an open-addressing index of 8-byte slots.
///
/// A `[ObjectKey: Entry]` kept the key (40 bytes) next to every entry and doubled at
/// three quarters full: with 400,100 objects (100,000 services × 3 clusters) it had
/// 2^20 buckets of 112 bytes, 117 MB, more than a third of what the objects themselves
/// take. Here the key is the object's own (`KubeObject.key`), an entry is its object,
/// source and what it is to the layout in 16 bytes, and the index is half empty at
/// most: 6 MB + 8 MB. Services refer to their objects by index
/// (`ClusterSetStore.Members`), which no lookup needs.
struct ObjectTable {
    struct Entry {
        var object: KubeObject
        var source: ObjectSource
        /// What `ClusterSetStore.classify` made of the object, without the service's key
        /// (a 56-byte `Role` per object was a third of the store's index): the compile
        /// reaches entries through their service, and a change classifies the old object
        /// again (the same object and layout give the same role).
        var kind: Kind
        /// The exporting cluster of a slice or legacy import: an index into the store's
        /// cluster ids.
        var cluster: UInt32
    }

    enum Kind: UInt8 {
        case aggregateImport, legacyImport, slice, legacySlice, gateway, ignored
    }

    typealias Index = UInt32

    /// One index slot: `entry` is the entry's index + 1 (0: empty), `hash` the low half
    /// of its key's hash (enough for the home slot while the table has below 2^32 slots).
    private struct Slot {
        var entry: UInt32
        var hash: UInt32
    }

    private var entries: [Entry?] = []
    private var freeIndexes: [Index] = []
    private var slots: [Slot] = []
    private(set) var count = 0

    /// The entry at an index that `find`, `insert` or `indexes` gave: the store hands
    /// out no others (an index is never derived from input), so a miss is a store bug.
    subscript(index: Index) -> Entry {
        get { entries[Int(index)]! }
        _modify { yield &entries[Int(index)]! }
    }

    /// The indexes of every entry held, in no particular order.
    var indexes: [Index] {
        entries.indices.compactMap { entries[$0] == nil ? nil : Index($0) }
    }

    private static func hash(_ key: ObjectKey) -> UInt32 {
        UInt32(truncatingIfNeeded: key.hashValue)
    }

    /// The slot holding `key`'s entry, or the empty slot where it would go.
    private func probe(_ key: ObjectKey, hash: UInt32) -> (slot: Int, entry: Index?) {
        let mask = slots.count - 1
        var i = Int(hash) & mask
        while true {
            let s = slots[i]
            if s.entry == 0 { return (i, nil) }
            if s.hash == hash, let e = entries[Int(s.entry - 1)], Self.matches(e.object, key) { return (i, s.entry - 1) }
            i = (i + 1) & mask
        }
    }

    private static func matches(_ o: KubeObject, _ key: ObjectKey) -> Bool {
        switch o {
        case .serviceImport(let x): return key.kind == .serviceImport && x.metadata.name == key.name && x.metadata.namespace == key.namespace
        case .endpointSlice(let x): return key.kind == .endpointSlice && x.metadata.name == key.name && x.metadata.namespace == key.namespace
        case .gateway(let x): return key.kind == .gateway && x.metadata.name == key.name && x.metadata.namespace == key.namespace
        }
    }

    func find(_ key: ObjectKey) -> Index? {
        guard count > 0 else { return nil }
        return probe(key, hash: Self.hash(key)).entry
    }

    /// Adds an entry whose key is not held yet (`find` said so); returns its index.
    mutating func insert(_ entry: Entry) -> Index {
        if (count + 1) * 2 > slots.count { grow() }
        let key = entry.object.key
        let hash = Self.hash(key)
        let slot = probe(key, hash: hash).slot
        let index: Index
        if let reused = freeIndexes.popLast() {
            index = reused
            entries[Int(index)] = entry
        } else {
            index = Index(entries.count)
            entries.append(entry)
        }
        slots[slot] = Slot(entry: index + 1, hash: hash)
        count += 1
        return index
    }

    /// Removes the entry at `index` and returns it.
    @discardableResult
    mutating func remove(at index: Index) -> Entry {
        let entry = self[index]
        let key = entry.object.key
        var i = probe(key, hash: Self.hash(key)).slot
        // Backward-shift deletion (linear probing keeps no tombstones): later slots of
        // the run whose home is not between the hole and them move into the hole.
        let mask = slots.count - 1
        var j = i
        while true {
            j = (j + 1) & mask
            let s = slots[j]
            if s.entry == 0 { break }
            let home = Int(s.hash) & mask
            let stays = i <= j ? (i < home && home <= j) : (i < home || home <= j)
            if stays { continue }
            slots[i] = s
            i = j
        }
        slots[i] = Slot(entry: 0, hash: 0)
        entries[Int(index)] = nil
        freeIndexes.append(index)
        count -= 1
        return entry
    }

    /// Drops everything (a relayout re-adds every object).
    mutating func removeAll() {
        entries = []
        freeIndexes = []
        slots = []
        count = 0
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(entry: 0, hash: 0), count: max(16, old.count * 2))
        let mask = slots.count - 1
        for s in old where s.entry != 0 {
            var i = Int(s.hash) & mask
            while slots[i].entry != 0 { i = (i + 1) & mask }
            slots[i] = s
        }
    }
}
