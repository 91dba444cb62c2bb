import AnswerTable
import ClusterSet
import DNSWire
import Foundation
import Logging
import Testing
@testable import Zones

/// A fresh temporary folder with the given files.
func folder(_ files: [String: String]) throws -> String {
    let dir = NSTemporaryDirectory() + "sextant-zones-\(UInt64.random(in: 0...UInt64.max))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
    return dir
}

let logger = Logger(label: "test")
let apex = try! DNSName("clusterset.local")

let goodZone = """
$ORIGIN clusterset.local.
$TTL 30
@       IN SOA ns hostmaster ( 2024010101 7200 1800 86400 5 )
        IN NS  ns
ns      IN A   127.0.0.1
ns      IN AAAA ::1
www     300 IN CNAME web.shop.svc
web.shop.svc IN A 198.51.100.10
_http._tcp.web.shop.svc IN SRV 0 50 8080 web.shop.svc
txt     IN TXT "hello world" "second"
ptr     IN PTR web.shop.svc.clusterset.local.
mail    IN MX 10 ns

"""

@Suite struct ZoneFolderTests {
    @Test func loadsEveryType() throws {
        let dir = try folder(["clusterset.local.zone": goodZone])
        let zones = try ZoneFolder(directory: dir, servedZones: [apex]).load(required: true, logger: logger).zones
        #expect(zones.count == 1)
        let z = zones[0]
        #expect(z.apex == apex)
        #expect(z.soa.presentationData == "ns.clusterset.local. hostmaster.clusterset.local. 2024010101 7200 1800 86400 5")
        #expect(z.soa.ttl == 30)
        let byType = Dictionary(grouping: z.records, by: \.type)
        #expect(byType[.ns]?.map(\.presentationData) == ["ns.clusterset.local."])
        #expect(byType[.a]?.count == 2)
        #expect(byType[.aaaa]?.map(\.presentationData) == ["::1"])
        #expect(byType[.cname]?.first?.ttl == 300)
        #expect(byType[.srv]?.map(\.presentationData) == ["0 50 8080 web.shop.svc.clusterset.local."])
        #expect(byType[.txt]?.map(\.presentationData) == ["\"hello world\" \"second\""])
        #expect(byType[.ptr]?.map(\.presentationData) == ["web.shop.svc.clusterset.local."])
        #expect(byType[.mx]?.map(\.presentationData) == ["10 ns.clusterset.local."])
    }

    @Test func originComesFromTheFileNameWithoutDollarOrigin() throws {
        let dir = try folder(["example.test.zone": "$TTL 60\n@ IN SOA ns hm 1 2 3 4 5\nwww IN A 192.0.2.1\n"])
        let zones = try ZoneFolder(directory: dir, servedZones: [apex]).load(required: true, logger: logger).zones
        #expect(zones.map(\.apex.description) == ["example.test.", "clusterset.local."])
        #expect(zones[0].records.first?.name.description == "www.example.test.")
        // The served zone without a file got the built-in SOA and NS.
        #expect(zones[1].records.map(\.type) == [.ns])
        #expect(zones[1].soa.rdata.soaMinimum == 5)
    }

    @Test func syntaxErrorNamesFileAndLine() throws {
        let dir = try folder(["clusterset.local.zone": "$TTL 30\n@ IN SOA ns hm 1 2 3 4 5\nbad IN A 300.1.1.1\n"])
        let error = try #require(throws: ZoneFileError.self) {
            _ = try ZoneFolder(directory: dir, servedZones: [apex]).load(required: true, logger: logger).zones
        }
        #expect(error.path.hasSuffix("/clusterset.local.zone"))
        #expect(error.line == 3)
        #expect(error.description.contains("clusterset.local.zone:3:"))
    }

    @Test func semanticErrors() throws {
        let cases: [(String, String)] = [
            ("$TTL 30\nwww IN A 192.0.2.1\n", "no SOA"),
            ("$TTL 30\n@ IN SOA ns hm 1 2 3 4 5\nwww.example.com. IN A 192.0.2.1\n", "outside the zone"),
            ("$TTL 30\n@ IN SOA ns hm 1 2 3 4 5\nwww IN CNAME x\nwww IN A 192.0.2.1\n", "CNAME and other"),
            ("$TTL 30\n@ IN SOA ns hm 1 2 3 4 5\nwww CH A 192.0.2.1\n", "class IN"),
            // Found by FuzzZoneFile: several SOA records made libldns's zone reader read
            // freed memory (a crash under AddressSanitizer); now the second is an error.
            ("@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ IN SOA nsDHCID[1 hostmaster 1 7200 3600 1209600 00\n"
                + "@ IN SOA ns1 hostster 1 7200 3600 1209600 30\n", "a second SOA record"),
            ("$INCLUDE other.zone\n@ IN SOA ns hm 1 2 3 4 5\n", "$INCLUDE is not supported"),
        ]
        for (text, reason) in cases {
            let dir = try folder(["clusterset.local.zone": text])
            let error = try #require(throws: ZoneFileError.self) {
                _ = try ZoneFolder(directory: dir, servedZones: [apex]).load(required: true, logger: logger).zones
            }
            #expect(error.description.contains(reason), "\(error)")
        }
    }

    @Test func duplicateApexIsAnError() throws {
        let dir = try folder([
            "clusterset.local.zone": goodZone,
            "copy.zone": "$ORIGIN clusterset.local.\n$TTL 30\n@ IN SOA ns hm 1 2 3 4 5\n",
        ])
        let error = try #require(throws: ZoneFileError.self) {
            _ = try ZoneFolder(directory: dir, servedZones: [apex]).load(required: true, logger: logger).zones
        }
        #expect(error.description.contains("already loaded"))
    }

    @Test func missingFolder() throws {
        let f = ZoneFolder(directory: "/nonexistent/sextant", servedZones: [apex])
        #expect(throws: ZoneFileError.self) { _ = try f.load(required: true, logger: logger) }
        let zones = try f.load(required: false, logger: logger).zones
        #expect(zones.map(\.apex) == [apex])
    }

    @Test func otherFilesAreIgnored() throws {
        let dir = try folder(["README.md": "not a zone", ".hidden.zone": "garbage", "clusterset.local.zone": goodZone])
        let zones = try ZoneFolder(directory: dir, servedZones: [apex]).load(required: true, logger: logger).zones
        #expect(zones.count == 1)
    }

    @Test func garbageFilesNeverCrash() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abc.@$ ();\\\"\n\t0123456789INSOAMXTXTSRVCNAMEPTR:".utf8)
        for _ in 0..<300 {
            let text = String(decoding: (0..<Int.random(in: 0...200, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }, as: UTF8.self)
            let dir = try folder(["clusterset.local.zone": "$TTL 5\n@ IN SOA ns hm 1 2 3 4 5\n" + text])
            _ = try? ZoneFolder(directory: dir, servedZones: [apex]).load(required: true, logger: logger).zones
        }
    }
}
