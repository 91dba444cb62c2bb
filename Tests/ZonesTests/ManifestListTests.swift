import ClusterSet
import Foundation
import Testing
@testable import Zones

/// JSON Lists are decoded item by item after a scan for the items' bounds; the scan
/// must agree with a full parse on what an item is, and give up on what it cannot read.
@Suite struct ManifestListTests {
    func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "sextant-list-\(UInt64.random(in: 0...UInt64.max)).json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let slice = #"{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"web-c1","namespace":"shop","annotations":{"note":"a } ] \" \\ inside"}},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"conditions":{"ready":true}}],"ports":[{"name":"http","protocol":"TCP","port":80}]}"#

    @Test func itemsAreFoundAroundStringsAndNesting() throws {
        let text = """
        { "apiVersion": "v1", "metadata": {"resourceVersion": "7", "odd": ["]", {"}": 1}]},
          "kind": "List",
          "items": [ \(Self.slice),
            {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}},
            42,
            {"apiVersion":"multicluster.x-k8s.io/v1alpha1","kind":"ServiceImport","metadata":{"name":"web","namespace":"shop"},"spec":{"type":"Bogus"}}
          ] }
        """
        let ranges = try #require(JSONListScanner.items(in: Data(text.utf8)))
        #expect(ranges.count == 4)
        let bytes = Data(text.utf8)
        #expect(String(decoding: bytes[ranges[0]], as: UTF8.self) == Self.slice)
        #expect(String(decoding: bytes[ranges[2]], as: UTF8.self) == "42")

        let c = try ManifestFile.load(path: try write(text))
        #expect(c.objects.count == 1)
        #expect(c.objects.first?.key.description == "EndpointSlice shop/web-c1")
        if case .endpointSlice(let es)? = c.objects.first {
            #expect(es.metadata.annotations["note"] == #"a } ] " \ inside"#)
            #expect(es.endpoints.first?.addresses.map(\.description) == ["10.0.0.1"])
        }
        #expect(c.otherKinds == 1)
        #expect(c.problems.map(\.object) == ["document 1 item 3", "ServiceImport shop/web"])
        #expect(c.problems.last?.reason.contains("Bogus") == true)
    }

    @Test func listWithNoItemsAndNonLists() throws {
        #expect(JSONListScanner.items(in: Data(#"{"kind":"List","items":[]}"#.utf8)) == [])
        #expect(try ManifestFile.load(path: try write(#"{"kind":"List","items":[]}"#)).objects.isEmpty)
        // Not a List, or a kind the scan does not read: the whole document is decoded.
        #expect(JSONListScanner.items(in: Data(Self.slice.utf8)) == nil)
        #expect(JSONListScanner.items(in: Data(#"{"kind":"Li\u0073t","items":[]}"#.utf8)) == nil)
        let single = try ManifestFile.load(path: try write(Self.slice))
        #expect(single.objects.map(\.key.description) == ["EndpointSlice shop/web-c1"])
    }

    @Test func brokenListsFallBackToTheParserThatSaysWhere() throws {
        let truncated = "{\"kind\":\"List\",\"items\":[\n\(Self.slice),\n{\"kind\":"
        #expect(JSONListScanner.items(in: Data(truncated.utf8)) == nil)
        #expect(throws: ZoneFileError.self) { try ManifestFile.load(path: try write(truncated)) }
        // Brackets that balance for the scan but are not JSON: the item's own decode
        // fails, then the full parse reports the file.
        let mismatched = #"{"kind":"List","items":[{"a":[1}]]}"#
        #expect(throws: ZoneFileError.self) { try ManifestFile.load(path: try write(mismatched)) }
        // Every prefix of a good List: never a crash, an error or a partial result.
        let good = #"{"kind":"List","items":[\#(Self.slice)]}"#
        for n in stride(from: 0, to: good.utf8.count, by: 7) {
            let prefix = String(decoding: Array(good.utf8.prefix(n)), as: UTF8.self)
            _ = JSONListScanner.items(in: Data(prefix.utf8))
        }
    }
}
