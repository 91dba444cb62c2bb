import AnswerTable
import DNSWire
import Foundation
import Testing
import Zones

/// Sextant's own zone reader against libldns: what it reads, it reads exactly as libldns
/// does (the same records, names, TTLs and data); what it is not sure of it leaves to
/// libldns (nil), and `ZoneFile.parse` then gives libldns's answer or message.
@Suite struct PlainZoneFileTests {
    static let origin = try! DNSName("example.org")  // a literal, not input
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

    static let soa = "@ IN SOA ns.example.org. hostmaster.example.org. 1 7200 1800 86400 5\n"

    /// Files the plain reader reads itself, each held equal to libldns's reading.
    static let plainFiles: [String] = [
        soa,
        "$TTL 30\n" + soa + "www IN A 192.0.2.1\n",
        // The demo's layout: $ORIGIN, SOA across lines with comments, blank owners.
        """
        ; comment first
        $ORIGIN example.org.
        $TTL 5
        @   IN SOA ns.example.org. hostmaster.example.org. (
                1       ; serial
                7200    ; refresh
                1800    ; retry
                86400   ; expire
                5 )     ; minimum
            IN NS  ns.example.org.
        ns  IN A   127.0.0.1
            IN AAAA 2001:db8::1
        """,
        // TTL and class in every order libldns takes, lower-case types and classes.
        soa + "a 300 IN A 192.0.2.1\nb IN A 192.0.2.2\nc 60 A 192.0.2.3\nd A 192.0.2.4\ne in a 192.0.2.5\nf 0 cname a\n",
        // Relative, absolute and @ names in data; wildcards, underscores, upper case.
        soa + "*.w IN CNAME @\n_sip._tcp IN SRV 10 60 5060 sip\nsip IN A 192.0.2.9\nMail.Example.ORG. IN MX 10 mx.other.net.\nr IN PTR .\n",
        // TXT: quoted with spaces, ;, parentheses inside quotes, several strings, a word, empty.
        soa + "t1 IN TXT \"v=spf1 include:_spf.example.net ~all\"\nt2 IN TXT \"a; b\" (\"c)\" word)\nt3 IN TXT \"\"\nt4 TXT one two\n",
        // $ORIGIN changes; owners before and after; a blank owner after $ORIGIN keeps the previous owner.
        soa + "$ORIGIN sub.example.org.\nx IN A 192.0.2.10\n IN A 192.0.2.11\n$ORIGIN example.org.\ny IN A 192.0.2.12\n",
        // CRLF line ends, tabs, trailing spaces, a comment that ends inside parentheses.
        "@\tIN\tSOA\tns hm (1 2 ; no space before the next line\n3 4 5)\r\nq IN A 192.0.2.13   \r\n\r\n",
        // Blank owner on the first record after the SOA line: the SOA's owner.
        soa + "  IN NS ns\nns IN A 192.0.2.14\n",
        // Numbers at their limits.
        "@ 4294967295 IN SOA ns hm 4294967295 0 0 0 4294967295\nm IN MX 65535 m\ns IN SRV 0 0 65535 s\n",
    ]

    @Test(arguments: plainFiles)
    func readsAsLibldnsDoes(_ text: String) throws {
        let bytes = Array(text.utf8)
        let plain = try #require(ZoneFile.plain(bytes, origin: Self.origin))
        let ldns = try ZoneFile.parseWithLDNS(bytes, path: "t.zone", origin: Self.origin)
        #expect(plain == ldns)
        #expect(try ZoneFile.parse(bytes, path: "t.zone", origin: Self.origin) == ldns)
    }

    @Test func concreteRecords() throws {
        let text = Self.soa + "$TTL 60\nwww 30 IN A 192.0.2.1\n IN TXT \"a b\" c\nmx IN MX 10 www\n"
        let z = try #require(ZoneFile.plain(Array(text.utf8), origin: Self.origin))
        #expect(z.apex == Self.origin)
        #expect(z.soa.ttl == 3600)
        #expect(z.soa.rdata == .soa(mname: try DNSName("ns.example.org"), rname: try DNSName("hostmaster.example.org"),
                                    serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: 5))
        #expect(z.records.count == 3)
        #expect(z.records[0] == ResourceRecord(name: try DNSName("www.example.org"), type: .a, ttl: 30, rdata: .a(192, 0, 2, 1)))
        #expect(z.records[1] == ResourceRecord(name: try DNSName("www.example.org"), type: .txt, ttl: 60, rdata: .txt(["a b", "c"])))
        #expect(z.records[2].rdata == RData([.bytes([0, 10]), .name(try DNSName("www.example.org"))]))
    }

    /// Files the plain reader leaves to libldns, which still reads them (or says why not).
    static let libldnsFiles: [(text: String, readable: Bool)] = [
        (soa + "a IN CAA 0 issue \"ca.example\"\n", true),          // another type
        (soa + "a 1h IN A 192.0.2.1\n", true),                        // TTL units
        (soa + "a IN TXT \"x\\\"y\"\n", true),                        // an escape
        (soa + "a CH A 192.0.2.1\n", false),                          // class CH: not served
        ("$ORIGIN sub\n" + soa, true),                                // relative $ORIGIN
        ("$TTL 0\n" + soa + "a A 192.0.2.1\n", true),                 // $TTL 0: libldns's default
        (soa + "a IN A 300.1.1.1\n", false),                          // a bad address
        (soa + "a IN A 192.0.2.1 extra\n", false),                    // superfluous text
        (soa + "a IN MX 70000 b\n", true),                            // libldns wraps it
        ("$INCLUDE other.zone\n" + soa, false),
        (soa + "a IN TXT \"open\n", true),                            // a string left open at the end
        (soa + "a IN A (192.0.2.1\n", true),                          // a parenthesis left open at the end
        ("a IN A 192.0.2.1\n", false),                                // no SOA
        (soa + "other.net. IN A 192.0.2.1\n", false),                 // outside the zone
        (soa + "a IN CNAME b\na IN A 192.0.2.1\n", false),            // CNAME and other data
        (soa + "\ra IN A 192.0.2.1\n", true),                         // a lone \r
        (soa + "@x IN A 192.0.2.1\n", true),                          // libldns: any owner starting with @ is the origin
        (soa + "a IN TXT \"one\"\"two\"\n", true),                    // strings glued together
        (soa + "$ORIGIN . \n", false),                              // libldns keeps ". " and refuses it (FuzzZoneFile)
        (soa + "$ORIGIN .\na. IN A 192.0.2.1\n", false),            // the root as origin: left to libldns
    ]

    @Test(arguments: libldnsFiles.indices)
    func leavesTheRestToLibldns(_ i: Int) throws {
        let (text, readable) = Self.libldnsFiles[i]
        let bytes = Array(text.utf8)
        #expect(ZoneFile.plain(bytes, origin: Self.origin) == nil)
        if readable {
            let z = try ZoneFile.parse(bytes, path: "t.zone", origin: Self.origin)
            #expect(z == (try ZoneFile.parseWithLDNS(bytes, path: "t.zone", origin: Self.origin)))
        } else {
            let e = try #require(throws: ZoneFileError.self) { try ZoneFile.parse(bytes, path: "t.zone", origin: Self.origin) }
            #expect(e.description.hasPrefix("t.zone"))
            #expect(!e.reason.isEmpty)
        }
    }

    @Test func theDemoZoneIsPlain() throws {
        let path = Self.repository.appendingPathComponent("zones/clusterset.local.zone").path
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let origin = try DNSName("clusterset.local")
        let plain = try #require(ZoneFile.plain(bytes, origin: origin))
        #expect(plain == (try ZoneFile.parseWithLDNS(bytes, path: path, origin: origin)))
        #expect(plain.records.count == 2)
    }

    /// Every prefix of a plain file (cut anywhere: mid-name, mid-string, inside
    /// parentheses) is either read equal to libldns or left to it.
    @Test func everyPrefixAgreesOrFallsBack() throws {
        let text = Array(Self.plainFiles[2].utf8) + Array(Self.plainFiles[5].utf8.dropFirst(Self.soa.utf8.count))
        var plainCount = 0
        for n in 0...text.count {
            let prefix = Array(text[0..<n])
            guard let plain = ZoneFile.plain(prefix, origin: Self.origin) else { continue }
            plainCount += 1
            #expect(plain == (try ZoneFile.parseWithLDNS(prefix, path: "p.zone", origin: Self.origin)), "prefix of \(n) bytes")
        }
        #expect(plainCount > 30)
    }
}
