import AnswerTable
import ClusterSet
import DNSWire
import Testing
@testable import DNSServer

/// A table with one zone holding a few record types, a CNAME chain and a large RRset.
func makeTable() throws -> AnswerTable {
    let apex = try DNSName("clusterset.local")
    let ns = try DNSName("ns.clusterset.local")
    let soa = ResourceRecord(name: apex, type: .soa, ttl: 60,
                             rdata: .soa(mname: ns, rname: try DNSName("hostmaster.clusterset.local"), serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5))
    var records = [
        ResourceRecord(name: apex, type: .ns, ttl: 60, rdata: .name(ns)),
        ResourceRecord(name: ns, type: .a, ttl: 60, rdata: .a(127, 0, 0, 1)),
        ResourceRecord(name: try DNSName("web.shop.svc.clusterset.local"), type: .a, ttl: 5, rdata: .a(198, 51, 100, 10)),
        ResourceRecord(name: try DNSName("alias.clusterset.local"), type: .cname, ttl: 5, rdata: .name(try DNSName("web.shop.svc.clusterset.local"))),
        ResourceRecord(name: try DNSName("dns-version.clusterset.local"), type: .txt, ttl: 28800, rdata: .txt(["1.0.0"])),
    ]
    // 60 A records: about 1 KB, more than 512 bytes.
    let big = try DNSName("big.clusterset.local")
    for i in 0..<60 { records.append(ResourceRecord(name: big, type: .a, ttl: 5, rdata: .a(10, 0, 0, UInt8(i)))) }
    var b = AnswerTableBuilder()
    b.add(zone: ZoneContent(apex: apex, soa: soa, records: records))
    b.add(zone: .builtIn(apex: try DNSName("supercluster.local")))
    return b.build()
}

/// Sends `query` through the responder the way a worker does.
func ask(_ query: [UInt8], table: AnswerTable, transport: Transport = .udp) -> [UInt8] {
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Responder.scratchSize, alignment: 8)
    let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535, alignment: 8)
    defer { scratch.deallocate(); out.deallocate() }
    let n = query.withUnsafeBytes { Responder.respond(to: $0, table: table, transport: transport, scratch: scratch, out: out) }
    return Array(out[0..<n])
}

func q(_ name: String, _ type: RRType, id: UInt16 = 0x4242, edns: (UInt16, UInt8, Bool)? = (1232, 0, false)) throws -> [UInt8] {
    MessageBuilder.query(id: id, name: try DNSName(name), type: type, rd: true, edns: edns.map { ($0.0, $0.1, $0.2) })
}

@Suite struct ResponderTests {
    let table: AnswerTable
    init() throws { table = try makeTable() }

    @Test func positiveAnswerIsAuthoritativeAndEchoes() throws {
        var query = try q("web.shop.svc.clusterset.local", .a)
        query[13] = UInt8(ascii: "W")  // "Web"
        let reply = ask(query, table: table)
        let m = try Message(decoding: reply)
        #expect(m.id == 0x4242)
        #expect(m.isResponse && m.authoritative && !m.truncated)
        #expect(m.flags & Wire.Flag.rd != 0)
        #expect(m.flags & Wire.Flag.ra == 0)
        #expect(m.rcode == .noError)
        #expect(m.answers.map(\.presentationData) == ["198.51.100.10"])
        #expect(m.answers[0].ttl == 5)
        // The question (and so the compressed owner) comes back byte for byte.
        #expect(Array(reply[12..<(query.count - 11)]) == Array(query[12..<(query.count - 11)]))
        #expect(m.edns?.udpSize == 1232)
        #expect(m.edns?.version == 0)
    }

    @Test func nxdomainCarriesSOAWithNegativeTTL() throws {
        let m = try Message(decoding: ask(try q("nosuch.clusterset.local", .a), table: table))
        #expect(m.rcode == .nxDomain)
        #expect(m.authoritative)
        #expect(m.answers.isEmpty)
        #expect(m.authority.count == 1)
        #expect(m.authority[0].type == .soa)
        #expect(m.authority[0].name == (try DNSName("clusterset.local")))
        #expect(m.authority[0].ttl == 5)  // min(SOA TTL 60, MINIMUM 5)
    }

    @Test func nodataAtExistingNamesAndEmptyNonTerminals() throws {
        for (name, type) in [("web.shop.svc.clusterset.local", RRType.aaaa), ("web.shop.svc.clusterset.local", .mx),
                             ("shop.svc.clusterset.local", .a), ("svc.clusterset.local", .a), ("clusterset.local", .a),
                             ("dns-version.clusterset.local", .a), ("web.shop.svc.clusterset.local", .ptr)] {
            let m = try Message(decoding: ask(try q(name, type), table: table))
            #expect(m.rcode == .noError, "\(name) \(type.mnemonic)")
            #expect(m.authoritative)
            #expect(m.answers.isEmpty)
            #expect(m.authority.map(\.type) == [.soa])
        }
    }

    @Test func refusedOutsideZonesWithoutAA() throws {
        for name in ["example.com", "local", "xclusterset.local", "101.156.96.100.in-addr.arpa"] {
            let m = try Message(decoding: ask(try q(name, .a), table: table))
            #expect(m.rcode == .refused, "\(name)")
            #expect(!m.authoritative)
            #expect(m.answers.isEmpty && m.authority.isEmpty)
        }
    }

    @Test func secondZoneGetsItsOwnBuiltInSOA() throws {
        let m = try Message(decoding: ask(try q("a.supercluster.local", .a), table: table))
        #expect(m.rcode == .nxDomain)
        #expect(m.authority.first?.name == (try DNSName("supercluster.local")))
        let ns = try Message(decoding: ask(try q("supercluster.local", .ns), table: table))
        #expect(ns.answers.map(\.presentationData) == ["ns.supercluster.local."])
    }

    @Test func notImpForOtherOpcodes() throws {
        var query = try q("web.shop.svc.clusterset.local", .a)
        query[2] |= UInt8(Opcode.update.rawValue) << 3
        let m = try Message(decoding: ask(query, table: table))
        #expect(m.rcode == .notImp)
        #expect(m.opcode == .update)
        #expect(!m.authoritative)
    }

    @Test func formErrForQuestionCount() throws {
        var query = try q("web.shop.svc.clusterset.local", .a)
        query[5] = 2
        let m = try Message(decoding: ask(query, table: table))
        #expect(m.rcode == .formErr)
        #expect(m.questions.isEmpty)
        query[5] = 0
        #expect(try Message(decoding: ask(query, table: table)).rcode == .formErr)
    }

    @Test func formErrForTwoOPTs() throws {
        var query = try q("web.shop.svc.clusterset.local", .a)
        query += query.suffix(11)
        query[11] = 2
        let m = try Message(decoding: ask(query, table: table))
        #expect(m.rcode == .formErr)
        #expect(m.edns == nil)
    }

    @Test func badVersWithVersionZeroOPT() throws {
        let m = try Message(decoding: ask(try q("web.shop.svc.clusterset.local", .a, edns: (1232, 1, false)), table: table))
        #expect(m.rcode == .badVers)
        #expect(m.flags & Wire.Flag.rcodeMask == 0)
        #expect(m.edns?.version == 0)
        #expect(m.answers.isEmpty)
    }

    @Test func noReplyToResponsesOrRunts() throws {
        var query = try q("web.shop.svc.clusterset.local", .a)
        query[2] |= 0x80
        #expect(ask(query, table: table).isEmpty)
        #expect(ask([1, 2, 3], table: table).isEmpty)
        #expect(ask([], table: table).isEmpty)
    }

    @Test func optOnlyWhenTheQueryHadOne() throws {
        let m = try Message(decoding: ask(try q("web.shop.svc.clusterset.local", .a, edns: nil), table: table))
        #expect(m.edns == nil)
        #expect(m.answers.count == 1)
        let n = try Message(decoding: ask(try q("nosuch.clusterset.local", .a, edns: nil), table: table))
        #expect(n.edns == nil)
    }

    @Test func doBitIsCopied() throws {
        let m = try Message(decoding: ask(try q("web.shop.svc.clusterset.local", .a, edns: (1232, 0, true)), table: table))
        #expect(m.edns?.dnssecOK == true)
    }

    @Test func truncationOverUDPAndFullAnswerOverTCP() throws {
        let classic = try Message(decoding: ask(try q("big.clusterset.local", .a, edns: nil), table: table))
        #expect(classic.truncated)
        #expect(classic.answers.isEmpty)
        #expect(classic.authoritative)
        let small = try Message(decoding: ask(try q("big.clusterset.local", .a, edns: (512, 0, false)), table: table))
        #expect(small.truncated)
        let large = ask(try q("big.clusterset.local", .a, edns: (4096, 0, false)), table: table)
        let fits = try Message(decoding: large)
        #expect(!fits.truncated)
        #expect(fits.answers.count == 60)
        #expect(large.count <= 1232)
        let tcp = try Message(decoding: ask(try q("big.clusterset.local", .a, edns: nil), table: table, transport: .tcp))
        #expect(!tcp.truncated)
        #expect(tcp.answers.count == 60)
    }

    @Test func anyAnswersTheNamesRecords() throws {
        let m = try Message(decoding: ask(try q("clusterset.local", .any), table: table))
        #expect(Set(m.answers.map(\.type)) == [.soa, .ns])
        let e = try Message(decoding: ask(try q("svc.clusterset.local", .any), table: table))
        #expect(e.rcode == .noError && e.answers.isEmpty && e.authority.count == 1)
    }

    @Test func cnameIsChasedInZone() throws {
        let m = try Message(decoding: ask(try q("alias.clusterset.local", .a), table: table))
        #expect(m.answers.map(\.type) == [.cname, .a])
        #expect(m.answers.last?.presentationData == "198.51.100.10")
        let other = try Message(decoding: ask(try q("alias.clusterset.local", .txt), table: table))
        #expect(other.answers.map(\.type) == [.cname])
        // ANY is the owner's own RRsets (the CNAME), not the chain a fallback would give.
        let any = try Message(decoding: ask(try q("alias.clusterset.local", .any), table: table))
        #expect(any.answers.map(\.type) == [.cname])
        #expect(any.answers.first?.presentationData == "web.shop.svc.clusterset.local.")
    }

    @Test func nsAnswerHasGlue() throws {
        let m = try Message(decoding: ask(try q("clusterset.local", .ns), table: table))
        #expect(m.answers.map(\.presentationData) == ["ns.clusterset.local."])
        #expect(m.additional.map(\.presentationData) == ["127.0.0.1"])
    }

    @Test func otherClassesAndTransfersAreRefused() throws {
        let ch = MessageBuilder.query(id: 1, name: try DNSName("version.bind"), type: .txt, rclass: RRClass.ch.rawValue)
        #expect(try Message(decoding: ask(ch, table: table)).rcode == .refused)
        #expect(try Message(decoding: ask(try q("clusterset.local", .axfr), table: table)).rcode == .refused)
    }

    @Test func malformedQuestionIsFormErrWithoutQuestion() throws {
        let bad: [UInt8] = [0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41]  // truncated name
        let m = try Message(decoding: ask(bad, table: table))
        #expect(m.id == 9)
        #expect(m.rcode == .formErr)
        #expect(m.questions.isEmpty)
    }

    @Test func randomQueriesAlwaysGetAParseableReplyOrNone() throws {
        var rng = SystemRandomNumberGenerator()
        let base = try q("web.shop.svc.clusterset.local", .a)
        for _ in 0..<20_000 {
            var m = base
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                m[Int.random(in: 0..<m.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            if Bool.random(using: &rng) { m = Array(m.prefix(Int.random(in: 0...m.count, using: &rng))) }
            let reply = ask(m, table: table)
            if reply.isEmpty { continue }
            let decoded = try Message(decoding: reply)
            #expect(decoded.isResponse)
            #expect(reply.count <= 1232)
        }
    }
}
