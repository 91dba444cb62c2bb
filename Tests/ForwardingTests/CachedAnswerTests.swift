import DNSWire
import Testing
@testable import Forwarder

/// What is kept of an upstream's reply: only the question's chain, the SOA of a
/// negative answer with RFC 2308's TTL, nothing of what the upstream added beside.
struct CachedAnswerTests {
    static func name(_ s: String) -> DNSName { try! DNSName(s) }

    static func soa(_ zone: String, ttl: UInt32, minimum: UInt32) -> ResourceRecord {
        ResourceRecord(name: name(zone), type: .soa, ttl: ttl,
                       rdata: .soa(mname: name("ns1." + zone), rname: name("hostmaster." + zone), serial: 1, refresh: 3600, retry: 600,
                                   expire: 86400, minimum: minimum))
    }

    /// Encodes a reply to `q`/`type` with the given sections and decodes it as the
    /// forwarder does.
    static func reply(_ q: String, _ type: RRType, rcode: RCode = .noError, answers: [ResourceRecord], authority: [ResourceRecord] = [],
                      additional: [ResourceRecord] = []) throws -> Message {
        var b = MessageBuilder()
        b.appendUInt16(0x1234)
        b.appendUInt16(Wire.Flag.qr | Wire.Flag.rd | Wire.Flag.ra | rcode.headerBits)
        b.appendUInt16(1)
        b.appendUInt16(UInt16(answers.count))
        b.appendUInt16(UInt16(authority.count))
        b.appendUInt16(UInt16(additional.count))
        b.append(name(q), compress: true)
        b.appendUInt16(type.rawValue)
        b.appendUInt16(1)
        for rr in answers + authority + additional { b.append(rr) }
        return try Message(decoding: b.bytes)
    }

    /// The kept records, decoded behind a question for `q`.
    static func records(_ a: CachedAnswer, _ q: String, _ type: RRType) throws -> Message {
        var b = MessageBuilder()
        b.appendUInt16(1)
        b.appendUInt16(Wire.Flag.qr)
        b.appendUInt16(1)
        b.appendUInt16(a.answerCount)
        b.appendUInt16(a.authorityCount)
        b.appendUInt16(0)
        b.append(name(q), compress: false)
        b.appendUInt16(type.rawValue)
        b.appendUInt16(1)
        b.append(bytes: a.body)
        return try Message(decoding: b.bytes)
    }

    @Test func aPositiveAnswerKeepsTheChainAndDropsTheRest() throws {
        let m = try Self.reply("alias.example.test", .a, answers: [
            ResourceRecord(name: Self.name("alias.example.test"), type: .cname, ttl: 300, rdata: .name(Self.name("www.example.test"))),
            ResourceRecord(name: Self.name("www.example.test"), type: .a, ttl: 120, rdata: .a(192, 0, 2, 10)),
            // Beside the question: never kept.
            ResourceRecord(name: Self.name("evil.example.org"), type: .a, ttl: 9999, rdata: .a(6, 6, 6, 6)),
            ResourceRecord(name: Self.name("www.example.test"), type: .txt, ttl: 9999, rdata: .bytes([3, 65, 66, 67])),
        ], authority: [ResourceRecord(name: Self.name("example.test"), type: .ns, ttl: 9999, rdata: .name(Self.name("ns1.example.test")))],
           additional: [ResourceRecord(name: Self.name("ns1.example.test"), type: .a, ttl: 9999, rdata: .a(6, 6, 6, 7))])
        guard case .cache(let a) = CachedAnswer.reduce(m, name: Self.name("alias.example.test"), type: .a, dnssec: false, limits: .init()) else {
            Issue.record("not cacheable")
            return
        }
        #expect(a.ttl == 120)
        #expect(a.answerCount == 2)
        #expect(a.authorityCount == 0)
        #expect(a.ttlOffsets.count == 2)
        let back = try Self.records(a, "alias.example.test", .a)
        #expect(back.answers.map(\.type) == [.cname, .a])
        #expect(back.answers[1].rdata == .a(192, 0, 2, 10))
        #expect(back.authority.isEmpty && back.additional.isEmpty)
    }

    @Test func ttlsAreCappedAtTheMaximum() throws {
        let m = try Self.reply("www.example.test", .a, answers: [
            ResourceRecord(name: Self.name("www.example.test"), type: .a, ttl: 86400, rdata: .a(192, 0, 2, 10)),
        ])
        guard case .cache(let a) = CachedAnswer.reduce(m, name: Self.name("www.example.test"), type: .a, dnssec: false,
                                                       limits: .init(maxTTL: 600)) else {
            Issue.record("not cacheable")
            return
        }
        #expect(a.ttl == 600)
        #expect(try Self.records(a, "www.example.test", .a).answers[0].ttl == 600)
    }

    @Test func nxdomainIsKeptForTheSOAMinimumOrItsTTLWhicheverIsLess() throws {
        let m = try Self.reply("nope.example.test", .a, rcode: .nxDomain, answers: [],
                               authority: [Self.soa("example.test", ttl: 3600, minimum: 60)])
        guard case .cache(let a) = CachedAnswer.reduce(m, name: Self.name("nope.example.test"), type: .a, dnssec: false, limits: .init()) else {
            Issue.record("not cacheable")
            return
        }
        #expect(a.rcode == .nxDomain)
        #expect(a.ttl == 60)
        let back = try Self.records(a, "nope.example.test", .a)
        #expect(back.authority.count == 1)
        #expect(back.authority[0].type == .soa)
        #expect(back.authority[0].ttl == 60)

        let low = try Self.reply("nope.example.test", .a, rcode: .nxDomain, answers: [],
                                 authority: [Self.soa("example.test", ttl: 30, minimum: 900)])
        guard case .cache(let b) = CachedAnswer.reduce(low, name: Self.name("nope.example.test"), type: .a, dnssec: false,
                                                       limits: .init(maxNegativeTTL: 20)) else {
            Issue.record("not cacheable")
            return
        }
        #expect(b.ttl == 20)
    }

    @Test func nodataWithoutAnSOAIsRelayedNotKept() throws {
        let m = try Self.reply("www.example.test", .txt, answers: [])
        guard case .relay(let a, let why) = CachedAnswer.reduce(m, name: Self.name("www.example.test"), type: .txt, dnssec: false, limits: .init()) else {
            Issue.record("kept a negative answer without SOA")
            return
        }
        #expect(a.rcode == .noError)
        #expect(a.answerCount == 0)
        #expect(why.contains("SOA"))
    }

    @Test func nodataWithAnSOAInAnotherZoneIsNotKept() throws {
        let m = try Self.reply("www.example.test", .txt, answers: [], authority: [Self.soa("other.test", ttl: 300, minimum: 300)])
        guard case .relay = CachedAnswer.reduce(m, name: Self.name("www.example.test"), type: .txt, dnssec: false, limits: .init()) else {
            Issue.record("kept an SOA of an unrelated zone")
            return
        }
    }

    @Test func servfailIsKeptBrieflyAndRefusedNot() throws {
        let s = try Self.reply("www.example.test", .a, rcode: .servFail, answers: [])
        #expect(CachedAnswer.reduce(s, name: Self.name("www.example.test"), type: .a, dnssec: false, limits: .init())
            == .cache(CachedAnswer(rcode: .servFail, ttl: 5)))
        let r = try Self.reply("www.example.test", .a, rcode: .refused, answers: [])
        guard case .relay(let a, _) = CachedAnswer.reduce(r, name: Self.name("www.example.test"), type: .a, dnssec: false, limits: .init()) else {
            Issue.record("kept REFUSED")
            return
        }
        #expect(a.rcode == .refused)
    }

    @Test func aZeroTTLIsRelayedNotKept() throws {
        let m = try Self.reply("www.example.test", .a, answers: [
            ResourceRecord(name: Self.name("www.example.test"), type: .a, ttl: 0, rdata: .a(192, 0, 2, 10)),
        ])
        guard case .relay(let a, _) = CachedAnswer.reduce(m, name: Self.name("www.example.test"), type: .a, dnssec: false, limits: .init()) else {
            Issue.record("kept a zero TTL")
            return
        }
        #expect(a.answerCount == 1)
    }
}
