import DNSWire
import Testing
@testable import Forwarder

/// The cache the workers read: a hit writes the client's reply (its ID, its question's
/// case, TTLs counted down), misses and expiry say 0, the bound holds.
struct AnswerCacheTests {
    static func query(_ name: String, _ type: RRType = .a, id: UInt16 = 0xBEEF, dnssec: Bool = false, edns: Bool = true) -> [UInt8] {
        var b = MessageBuilder()
        b.appendUInt16(id)
        b.appendUInt16(Wire.Flag.rd)
        b.appendUInt16(1)
        b.appendUInt16(0)
        b.appendUInt16(0)
        b.appendUInt16(edns ? 1 : 0)
        // The name as typed: case kept (DNSName would lower it).
        for label in name.split(separator: ".") {
            b.append(bytes: [UInt8(label.utf8.count)] + Array(label.utf8))
        }
        b.append(bytes: [0])
        b.appendUInt16(type.rawValue)
        b.appendUInt16(1)
        if edns { b.appendOPT(udpSize: 1232, extendedRCode: 0, version: 0, dnssecOK: dnssec) }
        return b.bytes
    }

    static func answer(ttl: UInt32 = 120) -> CachedAnswer {
        let rr = ResourceRecord(name: try! DNSName("www.example.test"), type: .a, ttl: ttl, rdata: .a(192, 0, 2, 10))
        var a = CachedAnswer.build(name: try! DNSName("www.example.test"), rcode: .noError, ad: false, answers: [rr], authority: [], ttlCap: 3600)
        a.ttl = ttl
        return a
    }

    /// Looks `query` up as a worker does; the decoded reply, or nil for a miss.
    static func lookup(_ cache: AnswerCache, _ query: [UInt8], nowMs: UInt64, allowStale: Bool = false) throws -> Message? {
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 16)
        defer { out.deallocate(); scratch.deallocate() }
        let n = try query.withUnsafeBytes { q -> Int in
            let question = try QueryParser.question(in: q, lowercasedInto: scratch)
            let edns = try QueryParser.edns(in: q, after: question)
            return cache.answer(query: q, question: question, name: UnsafeRawBufferPointer(scratch), edns: edns, limit: edns == nil ? 512 : 1232, nowMs: nowMs,
                                allowStale: allowStale, out: out)
        }
        guard n > 0 else { return nil }
        return try Message(decoding: Array(out[0..<n]))
    }

    static func insert(_ cache: AnswerCache, _ name: String, _ answer: CachedAnswer, bits: UInt16 = 0, nowMs: UInt64) -> Bool {
        let wire = try! DNSName(name).wire
        return cache.insert(name: wire, type: .a, bits: bits, nameHash: NameHash.hash(wire), answer: answer, nowMs: nowMs)
    }

    @Test func aHitIsTheClientsReplyWithTTLsCountedDown() throws {
        let cache = AnswerCache(entries: 64)
        #expect(Self.insert(cache, "www.example.test", Self.answer(), nowMs: 10_000))
        let reply = try #require(try Self.lookup(cache, Self.query("WwW.Example.TEST", id: 0x4242), nowMs: 15_500))
        #expect(reply.id == 0x4242)
        #expect(reply.flags & Wire.Flag.qr != 0 && reply.flags & Wire.Flag.ra != 0 && reply.flags & Wire.Flag.rd != 0)
        #expect(reply.flags & Wire.Flag.aa == 0)
        #expect(reply.rawQuestionName == [3] + Array("WwW".utf8) + [7] + Array("Example".utf8) + [4] + Array("TEST".utf8) + [0])
        #expect(reply.answers.count == 1)
        #expect(reply.answers[0].ttl == 115)
        #expect(reply.answers[0].rdata == .a(192, 0, 2, 10))
        #expect(reply.edns != nil)
        #expect(cache.entries == 1)
    }

    @Test func anExpiredEntryIsAMissUnlessStaleIsAllowed() throws {
        let cache = AnswerCache(entries: 64, maxStale: 600)
        #expect(Self.insert(cache, "www.example.test", Self.answer(ttl: 2), nowMs: 1_000))
        #expect(try Self.lookup(cache, Self.query("www.example.test"), nowMs: 2_999) != nil)
        #expect(try Self.lookup(cache, Self.query("www.example.test"), nowMs: 3_000) == nil)
        let stale = try #require(try Self.lookup(cache, Self.query("www.example.test"), nowMs: 3_000, allowStale: true))
        #expect(stale.answers[0].ttl == CachedReply.staleTTL)
        // EDE 3 "Stale Answer": option 15, length 2, code 3.
        #expect(stale.ednsOptions == [0, 15, 0, 2, 0, 3])
        #expect(try Self.lookup(cache, Self.query("www.example.test"), nowMs: 3_000 + 600_000, allowStale: true) == nil)
    }

    @Test func theDOBitIsPartOfTheKey() throws {
        let cache = AnswerCache(entries: 64)
        #expect(Self.insert(cache, "www.example.test", Self.answer(), bits: 1, nowMs: 0))
        #expect(try Self.lookup(cache, Self.query("www.example.test"), nowMs: 0) == nil)
        #expect(try Self.lookup(cache, Self.query("www.example.test", dnssec: true), nowMs: 0) != nil)
        #expect(try Self.lookup(cache, Self.query("www.example.test", .aaaa, dnssec: true), nowMs: 0) == nil)
    }

    @Test func theBoundHoldsAndTheOldestGoesFirst() throws {
        let cache = AnswerCache(entries: AnswerCache.ways)  // one bucket
        let w = AnswerCache.ways
        for i in 0..<w { #expect(Self.insert(cache, "n\(i).example.test", Self.answer(ttl: UInt32(100 + i)), nowMs: 0)) }
        #expect(cache.entries == w)
        #expect(Self.insert(cache, "n\(w).example.test", Self.answer(), nowMs: 0))
        #expect(cache.entries == w)
        #expect(cache.evictions == 1)
        // n0 expired first: it is the one replaced.
        #expect(try Self.lookup(cache, Self.query("n0.example.test"), nowMs: 0) == nil)
        for i in 1...w { #expect(try Self.lookup(cache, Self.query("n\(i).example.test"), nowMs: 0) != nil) }
        // The same key replaces itself.
        #expect(Self.insert(cache, "n\(w).example.test", Self.answer(ttl: 50), nowMs: 0))
        #expect(cache.entries == w)
        #expect(cache.evictions == 1)
        #expect(try Self.lookup(cache, Self.query("n\(w).example.test"), nowMs: 0)?.answers[0].ttl == 50)
    }

    @Test func anAnswerTooLargeForASlotIsNotKept() {
        let cache = AnswerCache(entries: 64)
        let big = ResourceRecord(name: try! DNSName("big.example.test"), type: .txt, ttl: 300, rdata: .bytes([255] + [UInt8](repeating: 120, count: 255))
        )
        var a = CachedAnswer.build(name: try! DNSName("big.example.test"), rcode: .noError, ad: false, answers: [big, big, big, big], authority: [], ttlCap: 3600)
        a.ttl = 300
        #expect(!Self.insert(cache, "big.example.test", a, nowMs: 0))
        #expect(cache.entries == 0)
    }

    @Test func aReplyOverTheClientsLimitIsTruncated() throws {
        let cache = AnswerCache(entries: 64)
        let rrs = (0..<40).map { ResourceRecord(name: try! DNSName("many.example.test"), type: .a, ttl: 60, rdata: .a(192, 0, 2, UInt8($0))) }
        var a = CachedAnswer.build(name: try! DNSName("many.example.test"), rcode: .noError, ad: false, answers: rrs, authority: [], ttlCap: 3600)
        a.ttl = 60
        #expect(a.body.count == 40 * 16)
        #expect(Self.insert(cache, "many.example.test", a, nowMs: 0))
        let full = try #require(try Self.lookup(cache, Self.query("many.example.test"), nowMs: 0))
        #expect(full.answers.count == 40)
        // No EDNS: 512 bytes at most.
        let cut = try #require(try Self.lookup(cache, Self.query("many.example.test", edns: false), nowMs: 0))
        #expect(cut.truncated)
        #expect(cut.answers.isEmpty)
    }
}
