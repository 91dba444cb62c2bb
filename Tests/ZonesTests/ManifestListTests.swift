import AnswerTable
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

    /// A file's bytes in memory of their own: read whole, pages given back on request
    /// (the rest intact), nothing for what is not a regular, non-empty file.
    @Test func fileBufferReadsAndGivesPagesBack() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let bytes = (0..<(3 * page + 100)).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) }
        let path = NSTemporaryDirectory() + "sextant-buffer-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let file = try #require(FileBuffer(path: path))
        #expect(Array(file.data) == bytes)
        // Whole pages only: [page + 1, 3 * page + 50) gives back the third page alone.
        file.release((page + 1)..<(3 * page + 50))
        #expect(Array(file.data[0..<(2 * page)]) == Array(bytes[0..<(2 * page)]))
        #expect(file.data[2 * page..<3 * page].allSatisfy { $0 == 0 })
        #expect(Array(file.data[(3 * page)...]) == Array(bytes[(3 * page)...]))
        let empty = path + ".empty"
        defer { try? FileManager.default.removeItem(atPath: empty) }
        try Data().write(to: URL(fileURLWithPath: empty))
        #expect(FileBuffer(path: empty) == nil)
        #expect(FileBuffer(path: NSTemporaryDirectory()) == nil)
        #expect(FileBuffer(path: path + ".missing") == nil)
    }

    /// A List decoded from a file gives back the pages it has decoded and still reads
    /// every item (the release never reaches an item not yet decoded).
    @Test func largeListDecodesWhileGivingPagesBack() throws {
        let items = (0..<6000).map { i in
            #"{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"s\#(i)-c1","namespace":"n","annotations":{"pad":"\#(String(repeating: "x", count: 1500))"}},"addressType":"IPv4","endpoints":[{"addresses":["10.0.\#(i / 256).\#(i % 256)"]}],"ports":[]}"#
        }
        let path = try write(#"{"apiVersion":"v1","kind":"List","items":["# + items.joined(separator: ",") + "]}")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let contents = try ManifestFile.load(path: path)
        #expect(contents.objects.count == 6000)
        #expect(contents.problems.isEmpty)
        guard case .endpointSlice(let last)? = contents.objects.last else { Issue.record("no slice"); return }
        #expect(last.metadata.name == "s5999-c1")
        #expect(last.endpoints.first?.addresses.first?.description == "10.0.23.111")
    }
}
