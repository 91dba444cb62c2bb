#if canImport(Glibc)
import Glibc
#endif
import Atomics
import CNetShim
import DNSWire

/// The forwarder's cache, read by every DNS worker without a lock or an allocation and
/// written by the forwarder's thread alone.
///
/// A fixed arena of slots (`slotSize` bytes each, `ways` slots per bucket, mapped at
/// start and touched only as entries arrive): a key's hash picks a bucket, a new entry
/// replaces the same key, else an empty slot, else the one that expires first. Each
/// bucket's key hashes also sit together in one 64-byte tag line, so a lookup reads one
/// line to find its way and then the one slot (eight ways keep a cache at two thirds
/// full from pushing out entries of crowded buckets). Each slot
/// is a sequence lock: the writer makes its counter odd, writes the words, makes it even
/// again; a reader copies the words it needs and keeps them only if the counter was the
/// same even number before and after (Boehm, "Can seqlocks get along with programming
/// language memory models?", 2012). Every word is read and written as a relaxed atomic,
/// so the protocol is data-race free and ThreadSanitizer sees no race.
///
/// An entry holds the question's lower-cased name, type and flags as its key, and the
/// records of the reply (`CachedAnswer.body`) with their TTL offsets; a hit copies the
/// records into the reply buffer after the client's question and counts the TTLs down.
/// An answer too large for a slot is not kept (`uncacheable`).
public final class AnswerCache: @unchecked Sendable {
    // @unchecked: the arena is shared on purpose; every access is an atomic word
    // (see above), and the writer-side counters are touched by the forwarder's thread only.

    public static let slotSize = 1024
    public static let ways = 8
    static let slotWords = slotSize / 8
    /// Header words: sequence, key hash, stored-at (ms), TTL and flags, counts and
    /// lengths, type and key bits.
    static let headerWords = 6
    /// Bytes for name, records and TTL offsets together.
    public static let capacityPerSlot = slotSize - headerWords * 8

    public let buckets: Int
    public var slots: Int { buckets * Self.ways }
    private let arena: UnsafeMutableRawPointer
    private let arenaBytes: Int
    private let words: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>
    /// Per bucket, its ways' key hashes (0: empty): a hint the slot itself confirms.
    private let tags: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>

    /// Entries held now, and entries pushed out by a newer one, for `/metrics`.
    private let entryCount = ManagedAtomic<Int>(0)
    private let evictionCount = ManagedAtomic<Int>(0)
    public var entries: Int { entryCount.load(ordering: .relaxed) }
    public var evictions: Int { evictionCount.load(ordering: .relaxed) }

    /// How long past its TTL an entry may still be served stale (0: never).
    public let maxStale: UInt32

    /// - Parameter entries: the bound (`--cache-size`), rounded down to whole buckets.
    public init(entries: Int, maxStale: UInt32 = 0) {
        buckets = max(1, entries / Self.ways)
        self.maxStale = maxStale
        arenaBytes = buckets * Self.ways * Self.slotSize
        // Anonymous pages: zero (every slot empty) and not resident until written.
        let p = mmap(nil, arenaBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        if let p, p != MAP_FAILED {
            arena = p
        } else {
            // Fall back to the allocator, zeroed by hand.
            let q = UnsafeMutableRawPointer.allocate(byteCount: arenaBytes, alignment: 64)
            q.initializeMemory(as: UInt8.self, repeating: 0, count: arenaBytes)
            arena = q
        }
        words = arena.bindMemory(to: UnsafeAtomic<UInt64>.Storage.self, capacity: arenaBytes / 8)
        let tagBytes = buckets * Self.ways * 8
        let t = UnsafeMutableRawPointer.allocate(byteCount: tagBytes, alignment: 64)
        t.initializeMemory(as: UInt8.self, repeating: 0, count: tagBytes)
        tags = t.bindMemory(to: UnsafeAtomic<UInt64>.Storage.self, capacity: buckets * Self.ways)
        // A large cache is read at random: 2 MiB pages spare each hit a TLB miss (a small
        // one stays in 4 KiB pages, resident only as used).
        if arenaBytes >= 8 << 20 { _ = madvise(arena, arenaBytes, MADV_HUGEPAGE) }
    }

    /// Brings the slots a question without DO or CD would read into the CPU cache: the
    /// UDP batch's warm-up calls it for every name outside the zones before answering,
    /// so the batch's cache misses overlap instead of following one another.
    @inline(__always)
    public func prefetch(nameHash: UInt64, type: RRType) {
        let first = bucket(Self.keyHash(nameHash: nameHash, type: type, bits: 0)) &* Self.ways
        cns_prefetch(UnsafeRawPointer(tags + first))
    }

    deinit {
        munmap(arena, arenaBytes)
        UnsafeMutableRawPointer(tags).deallocate()
    }

    @inline(__always)
    private func tag(_ slot: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: tags + slot)
    }

    /// The key's hash: the name's (`Question.hash`) mixed with type and key bits.
    @inline(__always)
    public static func keyHash(nameHash: UInt64, type: RRType, bits: UInt16) -> UInt64 {
        var x = nameHash ^ (UInt64(type.rawValue) | UInt64(bits) &<< 16) &* 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x &>> 31)) &* 0xBF58_476D_1CE4_E5B9
        return (x ^ (x &>> 29)) | 1  // never 0: 0 marks a slot never written
    }

    /// DO and CD, the query bits that change what an upstream returns.
    @inline(__always)
    public static func keyBits(flags: UInt16, edns: EDNSQuery?) -> UInt16 {
        (edns?.dnssecOK == true ? 1 : 0) | (flags & Wire.Flag.cd != 0 ? 2 : 0)
    }

    @inline(__always)
    private func bucket(_ hash: UInt64) -> Int {
        // Lemire's multiply-shift instead of a division.
        Int((UInt64(truncatingIfNeeded: UInt32(truncatingIfNeeded: hash >> 32)) &* UInt64(buckets)) &>> 32)
    }

    @inline(__always)
    private func word(_ slot: Int, _ w: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: words + (slot &* Self.slotWords &+ w))
    }

    /// What a lookup found.
    public enum Freshness {
        case fresh
        /// Past its TTL but within `maxStale`: only the forwarder serves these, when every
        /// upstream failed (RFC 8767).
        case stale
    }

    /// The hit path: writes the reply for the client's query into `out` and returns its
    /// length, or 0 when the cache has no fresh entry (then the forwarder asks upstream).
    ///
    /// - Parameters:
    ///   - name: the question's lower-cased name (`QueryParser.question` wrote it); it
    ///     may lie in `out` where the reply's question goes: it is read before `out` is written.
    ///   - nowMs: milliseconds of `ForwarderClock.now()`.
    ///   - out: the reply buffer; at least `question.end + capacityPerSlot + CachedReply.slack` bytes.
    @inline(__always)
    public func answer(query: UnsafeRawBufferPointer, question: Question, name: UnsafeRawBufferPointer, edns: EDNSQuery?, limit: Int,
                       nowMs: UInt64, allowStale: Bool = false, out: UnsafeMutableRawBufferPointer) -> Int {
        let bits = Self.keyBits(flags: query.u16(at: Wire.Header.flags), edns: edns)
        let hash = Self.keyHash(nameHash: question.hash, type: question.type, bits: bits)
        let first = bucket(hash) &* Self.ways
        guard out.count >= question.end &+ Self.capacityPerSlot &+ CachedReply.slack else { return 0 }
        var way = 0
        while way < Self.ways {
            let slot = first &+ way
            way &+= 1
            if tag(slot).load(ordering: .relaxed) != hash || word(slot, 1).load(ordering: .relaxed) != hash { continue }
            let n = read(slot: slot, hash: hash, question: question, name: name, bits: bits, edns: edns, query: query, limit: limit,
                         nowMs: nowMs, allowStale: allowStale, out: out)
            if n != 0 { return n }
        }
        return 0
    }

    @inline(__always)
    private func read(slot: Int, hash: UInt64, question: Question, name: UnsafeRawBufferPointer, bits: UInt16, edns: EDNSQuery?,
                      query: UnsafeRawBufferPointer, limit: Int, nowMs: UInt64, allowStale: Bool, out: UnsafeMutableRawBufferPointer) -> Int {
        let seq = word(slot, 0).load(ordering: .acquiring)
        guard seq & 1 == 0, seq != 0 else { return 0 }
        let storedAt = word(slot, 2).load(ordering: .relaxed)
        let w3 = word(slot, 3).load(ordering: .relaxed)
        let w4 = word(slot, 4).load(ordering: .relaxed)
        let w5 = word(slot, 5).load(ordering: .relaxed)
        let ttl = UInt32(truncatingIfNeeded: w3)
        let rcode = UInt16(truncatingIfNeeded: w3 &>> 32) & 0xFF
        let ad = (w3 &>> 40) & 1 != 0
        let ttlCount = Int(UInt16(truncatingIfNeeded: w3 &>> 48))
        let an = UInt16(truncatingIfNeeded: w4)
        let ns = UInt16(truncatingIfNeeded: w4 &>> 16)
        let nameLength = Int(UInt16(truncatingIfNeeded: w4 &>> 32))
        let bodyLength = Int(UInt16(truncatingIfNeeded: w4 &>> 48))
        guard UInt16(truncatingIfNeeded: w5) == question.type.rawValue, UInt16(truncatingIfNeeded: w5 &>> 16) == bits,
              nameLength == question.nameLength
        else { return 0 }
        // Freshness, in milliseconds since it was stored.
        let age = nowMs &- storedAt
        let life = UInt64(ttl) &* 1000
        var stale = false
        if nowMs < storedAt || age >= life {
            guard allowStale, nowMs >= storedAt, age < life &+ UInt64(maxStale) &* 1000 else { return 0 }
            stale = true
        }
        // The name, word by word (the stored copy is zero-padded; the parser's may carry
        // bytes past the name in its last word, masked off).
        let nameWords = (nameLength &+ 7) &>> 3
        let nameBase = name.baseAddress.unsafelyUnwrapped
        var i = 0
        while i < nameWords {
            var mine = nameBase.loadUnaligned(fromByteOffset: i &* 8, as: UInt64.self)
            let rest = nameLength &- i &* 8
            if rest < 8 { mine &= UInt64.max &>> UInt64((8 &- rest) &* 8) }
            if word(slot, Self.headerWords &+ i).load(ordering: .relaxed) != mine { return 0 }
            i &+= 1
        }
        // The records and their TTL offsets, to the reply buffer after the question.
        let copyBytes = bodyLength &+ ttlCount &* 2
        guard nameWords &* 8 &+ copyBytes <= Self.capacityPerSlot else { return 0 }
        let dataWord = Self.headerWords &+ nameWords
        let dest = out.baseAddress.unsafelyUnwrapped + question.end
        var k = 0
        while k &* 8 < copyBytes {
            dest.storeBytes(of: word(slot, dataWord &+ k).load(ordering: .relaxed), toByteOffset: k &* 8, as: UInt64.self)
            k &+= 1
        }
        atomicMemoryFence(ordering: .acquiring)
        guard word(slot, 0).load(ordering: .relaxed) == seq else { return 0 }
        // Consistent: count the TTLs down.
        let elapsed = UInt32(truncatingIfNeeded: age / 1000)
        var t = 0
        while t < ttlCount {
            let at = Int(UInt16(bigEndian: dest.loadUnaligned(fromByteOffset: bodyLength &+ t &* 2, as: UInt16.self)))
            if at &+ 4 <= bodyLength { CachedReply.age(dest, at: at, elapsed: elapsed, stale: stale) }
            t &+= 1
        }
        return CachedReply.finish(query: query, question: question, edns: edns, rcode: RCode(rawValue: rcode), authenticData: ad,
                                  answerCount: an, authorityCount: ns, bodyLength: bodyLength, limit: limit, stale: stale, out: out)
    }

    /// Keeps `answer` for the key (forwarder thread only). False when it does not fit a
    /// slot. `name` is the lower-cased wire name.
    @discardableResult
    public func insert(name: [UInt8], type: RRType, bits: UInt16, nameHash: UInt64, answer: CachedAnswer, nowMs: UInt64) -> Bool {
        let nameWords = (name.count + 7) / 8
        let copyBytes = answer.body.count + answer.ttlOffsets.count * 2
        guard nameWords * 8 + copyBytes <= Self.capacityPerSlot, answer.body.count <= Int(UInt16.max) else { return false }
        let hash = Self.keyHash(nameHash: nameHash, type: type, bits: bits)
        let first = bucket(hash) * Self.ways
        // Same key, else empty, else the one whose freshness (and stale grace) ends first.
        var same: Int? = nil
        var empty: Int? = nil
        var oldest = first
        var oldestEnd = UInt64.max
        for way in 0..<Self.ways {
            let slot = first + way
            if word(slot, 0).load(ordering: .relaxed) == 0 {
                if empty == nil { empty = slot }
                continue
            }
            if word(slot, 1).load(ordering: .relaxed) == hash, sameKey(slot: slot, name: name, type: type, bits: bits) {
                same = slot
                break
            }
            let ttl = UInt64(UInt32(truncatingIfNeeded: word(slot, 3).load(ordering: .relaxed)))
            let end = word(slot, 2).load(ordering: .relaxed) &+ (ttl &+ UInt64(maxStale)) &* 1000
            if end < oldestEnd { oldest = slot; oldestEnd = end }
        }
        let victim = same ?? empty ?? oldest
        if same == nil {
            if empty != nil {
                entryCount.wrappingIncrement(ordering: .relaxed)
            } else if oldestEnd > nowMs {
                evictionCount.wrappingIncrement(ordering: .relaxed)
            }
        }
        write(slot: victim, hash: hash, name: name, type: type, bits: bits, answer: answer, nowMs: nowMs)
        tag(victim).store(hash, ordering: .relaxed)
        return true
    }

    private func sameKey(slot: Int, name: [UInt8], type: RRType, bits: UInt16) -> Bool {
        let w4 = word(slot, 4).load(ordering: .relaxed)
        let w5 = word(slot, 5).load(ordering: .relaxed)
        guard Int(UInt16(truncatingIfNeeded: w4 &>> 32)) == name.count, UInt16(truncatingIfNeeded: w5) == type.rawValue,
              UInt16(truncatingIfNeeded: w5 &>> 16) == bits else { return false }
        for (i, w) in Self.packed(name).enumerated() where word(slot, Self.headerWords + i).load(ordering: .relaxed) != w { return false }
        return true
    }

    /// Bytes as little-endian words, the last one zero-padded (how the hit path reads them).
    static func packed(_ bytes: [UInt8]) -> [UInt64] {
        var out = [UInt64](repeating: 0, count: (bytes.count + 7) / 8)
        for (i, b) in bytes.enumerated() { out[i / 8] |= UInt64(b) << (UInt64(i % 8) * 8) }
        return out
    }

    private func write(slot: Int, hash: UInt64, name: [UInt8], type: RRType, bits: UInt16, answer: CachedAnswer, nowMs: UInt64) {
        var data = answer.body
        for t in answer.ttlOffsets { data.append(UInt8(t >> 8)); data.append(UInt8(t & 0xFF)) }
        let nameWords = Self.packed(name)
        let dataWords = Self.packed(data)
        let seq = word(slot, 0).load(ordering: .relaxed)
        word(slot, 0).store(seq &+ 1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
        word(slot, 1).store(hash, ordering: .relaxed)
        word(slot, 2).store(nowMs, ordering: .relaxed)
        let w3 = UInt64(answer.ttl) | UInt64(answer.rcode.rawValue & 0xFF) << 32 | (answer.authenticData ? 1 << 40 : 0)
            | UInt64(answer.ttlOffsets.count) << 48
        word(slot, 3).store(w3, ordering: .relaxed)
        let w4 = UInt64(answer.answerCount) | UInt64(answer.authorityCount) << 16 | UInt64(name.count) << 32 | UInt64(answer.body.count) << 48
        word(slot, 4).store(w4, ordering: .relaxed)
        word(slot, 5).store(UInt64(type.rawValue) | UInt64(bits) << 16, ordering: .relaxed)
        for (i, w) in nameWords.enumerated() { word(slot, Self.headerWords + i).store(w, ordering: .relaxed) }
        for (i, w) in dataWords.enumerated() { word(slot, Self.headerWords + nameWords.count + i).store(w, ordering: .relaxed) }
        word(slot, 0).store(seq &+ 2, ordering: .releasing)
    }
}
