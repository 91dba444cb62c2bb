import CNetShim

/// The store's objects by key: entries in one array at stable indexes (a freed index is
/// reused), found through an open-addressing index of 8-byte slots.
///
/// A `[ObjectKey: Entry]` kept the key (40 bytes) next to every entry and doubled at
/// three quarters full: with 400,100 objects (100,000 services × 3 clusters) it had
/// 2^20 buckets of 112 bytes, 117 MB, more than a third of what the objects themselves
/// take. Here the key is the object's own (`KubeObject.key`), an entry is its object,
/// source and what it is to the layout in 16 bytes, and the index (entry numbers and
/// their keys' hash tags) is half empty at most: 6 MB + 8 MB. Services refer to their
/// objects by index (`ClusterSetStore.Members`), which no lookup needs.
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

    private var entries: [Entry?] = []
    private var freeIndexes: [Index] = []
    /// Per slot the entry's index + 1 (low 32 bits; 0: empty) and the low 32 bits of its
    /// key's hash (high 32 bits). A probe compares that first and reads an entry only
    /// when it matches: each entry read was a cache miss, a fifth of applying a first
    /// load. Moving a slot needs no hash computed again (the home slot is in the word).
    private var slots: [UInt64] = []
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

    /// The low 32 bits of the key's hash: its home slot (the index has fewer slots than
    /// 2^32) and the tag a probe compares.
    /// Made from the key's UTF-8 bytes, so that an object's hash is read from its packed
    /// metadata in place (`hash(of:)`) and agrees with its key's: a first load of
    /// 400,100 objects made no key strings to hash (they were a fifth of applying it).
    static func hash(_ key: ObjectKey) -> UInt32 {
        var name = key.name, namespace = key.namespace
        return name.withUTF8 { n in
            namespace.withUTF8 { ns in hash(kind: key.kind, name: UnsafeRawBufferPointer(n), namespace: UnsafeRawBufferPointer(ns)) }
        }
    }

    /// `hash(object.key)`, without the key.
    static func hash(of object: KubeObject) -> UInt32 {
        let (kind, meta) = object.kindAndMetadata
        return meta.withNameAndNamespace { name, namespace in hash(kind: kind, name: name, namespace: namespace) }
    }

    private static func hash(kind: ObjectKind, name: UnsafeRawBufferPointer, namespace: UnsafeRawBufferPointer) -> UInt32 {
        var h = Hasher()
        switch kind {
        case .serviceImport: h.combine(UInt8(1))
        case .endpointSlice: h.combine(UInt8(2))
        case .gateway: h.combine(UInt8(3))
        }
        // The namespace's length first: ("ab", "c") and ("a", "bc") differ.
        h.combine(namespace.count)
        h.combine(bytes: namespace)
        h.combine(bytes: name)
        return UInt32(truncatingIfNeeded: h.finalize())
    }

    /// Asks the CPU for the home slot of a key with this hash: a load of many objects
    /// (`ClusterSetStore.replaceAll(of:taking:)`) hashes keys a few objects ahead, so the
    /// slot is in cache when `locate` reads it (that read's miss was a fifth of applying
    /// a first load).
    func prefetch(hash: UInt32) {
        slots.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress, b.count > 0 else { return }
            cns_prefetch(base + (Int(hash) & (b.count - 1)))
        }
    }

    private static func word(index: Index, hash: UInt32) -> UInt64 { UInt64(hash) << 32 | UInt64(index + 1) }

    /// The home slot of the entry a (non-empty) slot holds.
    private static func home(_ word: UInt64, mask: Int) -> Int { Int(word >> 32) & mask }

    /// The slot holding the entry whose object `isKey` accepts (objects of a key with
    /// hash `hash`), or the empty slot where it would go.
    private func probe(hash: UInt32, _ isKey: (KubeObject) -> Bool) -> (slot: Int, entry: Index?) {
        let mask = slots.count - 1
        var i = Int(hash) & mask
        while true {
            let s = slots[i]
            if s == 0 { return (i, nil) }
            let index = Index(truncatingIfNeeded: s) - 1
            if UInt32(truncatingIfNeeded: s >> 32) == hash, let e = entries[Int(index)], isKey(e.object) { return (i, index) }
            i = (i + 1) & mask
        }
    }

    /// `probe` for a key given as its strings.
    private func probe(_ key: ObjectKey, hash: UInt32) -> (slot: Int, entry: Index?) {
        probe(hash: hash) { o in
            let (kind, meta) = o.kindAndMetadata
            return kind == key.kind && meta.isNamed(key.name, namespace: key.namespace)
        }
    }

    /// `probe` for an object's key, its parts compared in place.
    private func probe(object: KubeObject, hash: UInt32) -> (slot: Int, entry: Index?) {
        let (kind, meta) = object.kindAndMetadata
        return probe(hash: hash) { o in
            let other = o.kindAndMetadata
            return other.kind == kind && other.metadata.hasSameName(as: meta)
        }
    }

    func find(_ key: ObjectKey) -> Index? {
        guard count > 0 else { return nil }
        return probe(key, hash: Self.hash(key)).entry
    }

    /// Where `key`'s entry is, or the empty slot `insert(_:at:)` fills: one probe for an
    /// upsert, not one to find and one to insert. The index grows first when one more
    /// entry would need it.
    mutating func locate(_ key: ObjectKey) -> Location {
        if (count + 1) * 2 > slots.count { grow() }
        let hash = Self.hash(key)
        let p = probe(key, hash: hash)
        return Location(slot: p.slot, entry: p.entry, hash: hash)
    }

    /// `locate` for an object's key; `hash` is `Self.hash(of: object)`.
    mutating func locate(object: KubeObject, hash: UInt32) -> Location {
        if (count + 1) * 2 > slots.count { grow() }
        let p = probe(object: object, hash: hash)
        return Location(slot: p.slot, entry: p.entry, hash: hash)
    }

    /// What `locate` found: the entry's index, or the empty slot for it.
    struct Location {
        var slot: Int
        var entry: Index?
        fileprivate var hash: UInt32
    }

    /// Adds an entry in the empty slot `locate` gave for its key (nothing changed since);
    /// returns its index.
    mutating func insert(_ entry: Entry, at location: Location) -> Index {
        let index: Index
        if let reused = freeIndexes.popLast() {
            index = reused
            entries[Int(index)] = entry
        } else {
            index = Index(entries.count)
            entries.append(entry)
        }
        slots[location.slot] = Self.word(index: index, hash: location.hash)
        count += 1
        return index
    }

    /// Removes the entry at `index` and returns it.
    @discardableResult
    mutating func remove(at index: Index) -> Entry {
        let entry = self[index]
        var i = probe(object: entry.object, hash: Self.hash(of: entry.object)).slot
        // Backward-shift deletion (linear probing keeps no tombstones): later slots of
        // the run whose home is not between the hole and them move into the hole.
        let mask = slots.count - 1
        var j = i
        while true {
            j = (j + 1) & mask
            let s = slots[j]
            if s == 0 { break }
            let home = Self.home(s, mask: mask)
            let stays = i <= j ? (i < home && home <= j) : (i < home || home <= j)
            if stays { continue }
            slots[i] = s
            i = j
        }
        slots[i] = 0
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

    /// Room for `total` entries: a first LIST or load of n objects then rehashes nothing
    /// on the way (growing by doubling rehashed a million slots for 400,100 objects, 8 %
    /// of the start-up at 100,000 services), to the index size growing would reach.
    mutating func reserve(_ total: Int) {
        entries.reserveCapacity(total)
        var size = max(16, slots.count)
        while total * 2 > size { size *= 2 }
        if size > slots.count { rehash(to: size) }
    }

    private mutating func grow() { rehash(to: max(16, slots.count * 2)) }

    private mutating func rehash(to size: Int) {
        let old = slots
        slots = [UInt64](repeating: 0, count: size)
        let mask = slots.count - 1
        for s in old where s != 0 {
            var i = Self.home(s, mask: mask)
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = s
        }
    }
}
