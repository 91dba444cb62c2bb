import Testing
@testable import DNSWire

@Suite struct MessageTests {
    let owner = try! DNSName("web.shop.svc.clusterset.local")
    let zone = try! DNSName("clusterset.local")

    func records() throws -> [ResourceRecord] {
        [
            ResourceRecord(name: owner, type: .a, ttl: 5, rdata: .a(198, 51, 100, 10)),
            ResourceRecord(name: owner, type: .aaaa, ttl: 5, rdata: .bytes(IPv6Text.parse("2001:db8::14")!)),
            ResourceRecord(name: owner, type: .srv, ttl: 5, rdata: .srv(priority: 0, weight: 50, port: 8080, target: owner)),
            ResourceRecord(name: zone, type: .soa, ttl: 30, rdata: .soa(mname: try DNSName("ns.clusterset.local"), rname: try DNSName("hostmaster.clusterset.local"), serial: 7, refresh: 1, retry: 2, expire: 3, minimum: 5)),
            ResourceRecord(name: zone, type: .ns, ttl: 30, rdata: .name(try DNSName("ns.clusterset.local"))),
            ResourceRecord(name: zone, type: .mx, ttl: 30, rdata: RData([.bytes([0, 10]), .name(try DNSName("mail.clusterset.local"))])),
            ResourceRecord(name: try DNSName("dns-version.clusterset.local"), type: .txt, ttl: 28800, rdata: .txt(["1.0.0"])),
        ]
    }

    @Test func roundTripWithCompression() throws {
        var b = MessageBuilder()
        b.append(bytes: [0x12, 0x34, 0x84, 0x00, 0, 1, 0, 7, 0, 0, 0, 0])
        b.append(owner, compress: true)
        b.appendUInt16(RRType.a.rawValue); b.appendUInt16(1)
        let rrs = try records()
        for rr in rrs { b.append(rr) }
        let m = try Message(decoding: b.bytes)
        #expect(m.id == 0x1234)
        #expect(m.authoritative)
        #expect(m.questions.count == 1)
        #expect(m.questions[0].name == owner)
        #expect(m.answers == rrs)
        // Compression saved bytes: the uncompressed form is far larger.
        let uncompressed = 12 + owner.wire.count + 4 + rrs.reduce(0) { $0 + $1.name.wire.count + 10 + $1.rdata.wireLength }
        #expect(b.bytes.count < uncompressed - 100)
    }

    @Test func srvTargetIsNeverCompressed() throws {
        var b = MessageBuilder()
        b.append(owner, compress: true)
        let before = b.bytes.count
        b.append(ResourceRecord(name: owner, type: .srv, ttl: 5, rdata: .srv(priority: 0, weight: 0, port: 1, target: owner)))
        // Owner: 2-byte pointer; RDATA: 6 fixed + the full target name (RFC 2782).
        #expect(b.bytes.count - before == 2 + 10 + 6 + owner.wire.count)
    }

    @Test func presentation() throws {
        let rrs = try records()
        #expect(rrs.map(\.presentationData) == [
            "198.51.100.10", "2001:db8::14", "0 50 8080 web.shop.svc.clusterset.local.",
            "ns.clusterset.local. hostmaster.clusterset.local. 7 1 2 3 5", "ns.clusterset.local.",
            "10 mail.clusterset.local.", "\"1.0.0\"",
        ])
    }

    @Test func pointerLoopsAndForwardPointersAreErrors() {
        let header: [UInt8] = [0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        // Pointer to itself.
        #expect(throws: WireError.badPointer(offset: 12)) { _ = try Message(decoding: header + [0xC0, 12, 0, 1, 0, 1]) }
        // Forward pointer.
        #expect(throws: WireError.badPointer(offset: 12)) { _ = try Message(decoding: header + [0xC0, 14, 0, 0, 1, 0, 1]) }
        // Two labels, then a pointer back to the first label: a loop.
        #expect(throws: WireError.badPointer(offset: 16)) {
            _ = try Message(decoding: header + [1, 0x61, 1, 0x62, 0xC0, 12, 0, 1, 0, 1])
        }
        // Pointer into the header, whose flags byte 0x80 is not a valid label type.
        #expect(throws: WireError.badLabelType(offset: 2)) { _ = try Message(decoding: header + [0xC0, 2, 0, 1, 0, 1]) }
        // Pointer into the header at a zero byte: the root name, legal if odd.
        #expect(throws: Never.self) { _ = try Message(decoding: header + [0xC0, 3, 0, 1, 0, 1]) }
    }

    @Test func everyTruncationOfAResponseIsAnError() throws {
        var b = MessageBuilder()
        b.append(bytes: [0, 1, 0x84, 0, 0, 1, 0, 7, 0, 0, 0, 0])
        b.append(owner, compress: true)
        b.appendUInt16(1); b.appendUInt16(1)
        for rr in try records() { b.append(rr) }
        for cut in 0..<b.bytes.count {
            #expect(throws: WireError.self) { _ = try Message(decoding: Array(b.bytes[0..<cut])) }
        }
    }

    @Test func extendedRCode() throws {
        var b = MessageBuilder()
        b.append(bytes: [0, 1, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        b.appendOPT(udpSize: 1232, extendedRCode: 1, version: 0, dnssecOK: false)
        let m = try Message(decoding: b.bytes)
        #expect(m.rcode == .badVers)
        #expect(m.edns?.udpSize == 1232)
    }
}

@Suite struct NameTests {
    @Test func presentationRoundTrip() throws {
        let n = try DNSName("A.Example.COM.")
        #expect(n.wire == [1, 0x61, 7] + Array("example".utf8) + [3] + Array("com".utf8) + [0])
        #expect(n.description == "a.example.com.")
        #expect(try DNSName("a.example.com") == n)
        #expect(DNSName.root.description == ".")
        #expect(try DNSName("a\\.b.c").labelCount == 2)
        #expect(try DNSName("\\065bc.d").description == "abc.d.")
    }

    @Test func badPresentation() {
        #expect(throws: WireError.self) { _ = try DNSName("a..b") }
        #expect(throws: WireError.self) { _ = try DNSName(String(repeating: "x", count: 64) + ".com") }
        #expect(throws: WireError.self) { _ = try DNSName(Array(repeating: String(repeating: "x", count: 63), count: 5).joined(separator: ".")) }
        #expect(throws: WireError.self) { _ = try DNSName("a\\999.b") }
        #expect(throws: WireError.self) { _ = try DNSName("a\\") }
    }

    @Test func subdomains() throws {
        let z = try DNSName("clusterset.local")
        #expect(try DNSName("a.clusterset.local").isSubdomain(of: z))
        #expect(z.isSubdomain(of: z))
        #expect(!(try DNSName("aclusterset.local").isSubdomain(of: z)))
        #expect(!(try DNSName("local").isSubdomain(of: z)))
        #expect(try DNSName("a.b.c").parent == DNSName("b.c"))
    }

    @Test func ipv6Text() {
        for text in ["2001:db8::14", "::1", "::", "fe80::1:2", "2001:db8:1:ffff::14", "1:2:3:4:5:6:7:8", "::ffff:10.0.0.1"] {
            let bytes = IPv6Text.parse(text)
            #expect(bytes?.count == 16, "\(text)")
        }
        #expect(IPv6Text.format(IPv6Text.parse("2001:0db8:0000:0000:0000:0000:0000:0014")!) == "2001:db8::14")
        #expect(IPv6Text.format(IPv6Text.parse("1:0:0:2:0:0:0:3")!) == "1:0:0:2::3")
        #expect(IPv6Text.format(IPv6Text.parse("1:0:2:3:4:5:6:7")!) == "1:0:2:3:4:5:6:7")
        for bad in ["1::2::3", "12345::", "1:2:3", "g::1", "1:2:3:4:5:6:7:8:9"] {
            #expect(IPv6Text.parse(bad) == nil, "\(bad)")
        }
        #expect(IPv4Text.parse("10.0.0.1") == [10, 0, 0, 1])
        #expect(IPv4Text.parse("256.0.0.1") == nil)
        #expect(IPv4Text.parse("1.2.3") == nil)
    }

    /// The word form (the decoders' path) and the byte form agree, edge cases included.
    @Test func ipv4TextAsAWord() {
        let good: [(String, UInt32)] = [("10.0.0.1", 0x0A00_0001), ("255.255.255.255", 0xFFFF_FFFF), ("0.0.0.0", 0),
                                        ("010.001.000.009", 0x0A01_0009), ("192.0.2.72", 0xC000_0248)]
        for (text, word) in good {
            #expect(IPv4Text.parseWord(text) == word, "\(text)")
            #expect(Array(text.utf8).withUnsafeBytes { IPv4Text.parseWord($0) } == word, "\(text)")
            #expect(IPv4Text.parse(text) == [UInt8(word >> 24), UInt8(word >> 16 & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word & 0xFF)])
        }
        for bad in ["", ".", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.256", "1..2.3", "1.2.3.", ".1.2.3", "0001.2.3.4",
                    "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "::1", "1.2.3.4/24", "١.2.3.4"] {
            #expect(IPv4Text.parseWord(bad) == nil, "\(bad)")
            #expect(IPv4Text.parse(bad) == nil, "\(bad)")
        }
    }
}
