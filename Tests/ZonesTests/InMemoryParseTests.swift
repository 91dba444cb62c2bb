import ClusterSet
import DNSWire
import Foundation
import Testing
import Zones

/// The in-memory entries the fuzz targets use (`ZoneFile.parse`, `ManifestFile.parse`)
/// read what the file entries read from the same bytes.
@Suite struct InMemoryParseTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

    @Test func theDemoZoneFileReadsTheSameFromMemory() throws {
        let path = Self.repository.appendingPathComponent("zones/clusterset.local.zone").path
        let origin = try DNSName("clusterset.local")
        let fromFile = try ZoneFile.load(path: path, origin: origin)
        let fromMemory = try ZoneFile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))), path: path, origin: origin)
        #expect(fromMemory.records.count == fromFile.records.count)
        #expect(fromMemory.records.count > 1)
        #expect(fromMemory.soa == fromFile.soa)
        #expect(throws: ZoneFileError.self) { try ZoneFile.parse([], path: "empty.zone", origin: origin) }
        let bad = try #require(throws: ZoneFileError.self) { try ZoneFile.parse(Array("$TTL 30\n@ IN SOA ns hm 1 2 3 4 5\nbad IN A 300.1.1.1\n".utf8), path: "bad.zone", origin: origin) }
        #expect(bad.description.contains("bad.zone:3:"))
    }

    @Test func theDemoManifestReadsTheSameFromMemory() throws {
        let path = Self.repository.appendingPathComponent("zones/demo.yaml").path
        let fromFile = try ManifestFile.load(path: path)
        let fromMemory = try ManifestFile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))), path: path)
        #expect(fromMemory.objects == fromFile.objects)
        #expect(fromMemory.objects.count == 8)
        #expect(fromMemory.problems.isEmpty)
        let json = Array(#"{"kind": "List", "items": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}]}"#.utf8)
        #expect(try ManifestFile.parse(json, path: "m.json").otherKinds == 1)
    }
}
