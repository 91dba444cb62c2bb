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

    /// A file's bytes in memory of their own: read whole, nothing for what is not a
    /// regular, non-empty file.
    @Test func fileBufferReadsRegularFilesOnly() throws {
        let bytes = (0..<(3 * 4096 + 100)).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) }
        let path = NSTemporaryDirectory() + "sextant-buffer-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let file = try #require(FileBuffer(path: path))
        #expect(Array(file.data) == bytes)
        let empty = path + ".empty"
        defer { try? FileManager.default.removeItem(atPath: empty) }
        try Data().write(to: URL(fileURLWithPath: empty))
        #expect(FileBuffer(path: empty) == nil)
        #expect(FileBuffer(path: NSTemporaryDirectory()) == nil)
        #expect(FileBuffer(path: path + ".missing") == nil)
    }

    /// A List read a window at a time (the file never whole in memory) finds the same
    /// items as the scan of the bytes in memory and decodes to the same contents, however
    /// small the window (an item larger than it makes it grow) and the decoding chunks.
    @Test func listFileThroughSmallWindowsMatchesTheBytesInMemory() throws {
        let gateway = #"{"apiVersion":"submariner.io/v1","kind":"Gateway","metadata":{"name":"gw","namespace":"submariner-operator"},"status":{"haStatus":"active","localEndpoint":{"cluster_id":"c1"},"connections":[]}}"#
        let big = #"{"apiVersion":"multicluster.x-k8s.io/v1alpha1","kind":"ServiceImport","metadata":{"name":"big","namespace":"shop","annotations":{"pad":"\#(String(repeating: "y\\\"]}", count: 300))"}},"spec":{"type":"ClusterSetIP","ports":[{"port":80,"protocol":"TCP"}]}}"#
        let text = """
        {"apiVersion": "v1", "metadata": {"odd": ["]", {"}": "\\\\"}]}, "kind": "List",
         "items": [ \(Self.slice) ,
            {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}},
            42, "text", true, \(gateway),
            {"apiVersion":"multicluster.x-k8s.io/v1alpha1","kind":"ServiceImport","metadata":{"name":"web","namespace":"shop"},"spec":{"type":"Bogus"}},
            \(big)
           ] }\n\n
        """
        let path = try write(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let inMemory = try #require(JSONListScanner.items(in: Data(text.utf8)))
        #expect(inMemory.count == 8)
        let expected = try ManifestFile.parse(Array(text.utf8), path: path)
        #expect(expected.objects.map(\.key.description) == ["EndpointSlice shop/web-c1", "Gateway submariner-operator/gw", "ServiceImport shop/big"])
        #expect(expected.problems.count == 4)
        for window in [64, 100, 257, 4096, 1 << 20] {
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            #expect(JSONListScanner.items(fd: fd, window: window) == inMemory, "window \(window)")
            for chunk in [1, 300, 1 << 20] {
                let c = try #require(ManifestFile.decodeJSONList(path: path, window: window, chunk: chunk))
                #expect(c.objects.map(\.key.description) == expected.objects.map(\.key.description))
                #expect(c.problems.map(\.description) == expected.problems.map(\.description))
                #expect(c.otherKinds == expected.otherKinds)
            }
        }
        // In one pass (one CPU), through windows from 64 bytes (growing for `big`) up.
        for chunk in [1, 64, 100, 257, 300, 4096, 1 << 20] {
            let c = try #require(ManifestFile.decodeJSONList(path: path, chunk: chunk, cpus: 1), "chunk \(chunk)")
            #expect(c.objects == expected.objects, "chunk \(chunk)")
            #expect(c.problems.map(\.description) == expected.problems.map(\.description))
            #expect(c.otherKinds == expected.otherKinds)
        }
        guard case .serviceImport(let si)? = try ManifestFile.load(path: path).objects.last else {
            Issue.record("no ServiceImport")
            return
        }
        #expect(si.metadata.annotations["pad"] == String(repeating: #"y"]}"#, count: 300))
    }

    /// What the windowed scan cannot read as a List is left to the whole-file path: a
    /// single object, an escaped kind, a truncated List, trailing bytes, any prefix.
    @Test func listFileScanGivesUpWhereTheBytesScanDoes() throws {
        let good = #"{"kind":"List","items":[\#(Self.slice),{"kind":"Namespace"}]}"#
        for text in [Self.slice, #"{"kind":"Li\u0073t","items":[]}"#, String(good.dropLast(3)), good + " x", "[]"] {
            let path = try write(text)
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(ManifestFile.decodeJSONList(path: path, window: 64) == nil, "\(text)")
            #expect(ManifestFile.decodeJSONList(path: path, chunk: 64, cpus: 1) == nil, "\(text)")
        }
        for n in stride(from: 0, through: good.utf8.count, by: 5) {
            let prefix = Data(good.utf8.prefix(n))
            let path = NSTemporaryDirectory() + "sextant-prefix-\(UInt64.random(in: 0...UInt64.max)).json"
            defer { try? FileManager.default.removeItem(atPath: path) }
            try prefix.write(to: URL(fileURLWithPath: path))
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            #expect(JSONListScanner.items(fd: fd, window: 64) == JSONListScanner.items(in: prefix), "prefix \(n)")
            #expect((ManifestFile.streamJSONList(fd: fd, path: path, chunk: 64) == nil) == (JSONListScanner.items(in: prefix) == nil), "prefix \(n)")
        }
    }

    /// The one-pass read keeps the scan's rules where they are lenient or odd: `kind`
    /// after `items`, a second `items` (the last counts), a comma before `}`, values
    /// around the items the scan only matches brackets in, items the fast decoder leaves
    /// to JSONDecoder. Each file: both reads give up, or both give the same contents.
    @Test func onePassReadsWhatTwoPassesRead() throws {
        let namespace = #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}"#
        let texts = [
            #"{"items":[\#(Self.slice)],"kind":"List"}"#,
            #"{"kind":"List","items":[\#(namespace)],"items":[\#(Self.slice),\#(Self.slice)]}"#,
            #"{"kind":"List","items":[\#(Self.slice)],"items":7}"#,
            #"{"kind":"List","items":[\#(Self.slice)],}"#,
            #"{"kind":"List","items":[\#(Self.slice),]}"#,
            #"{"kind":"List","metadata":{"x":[1,2,{"y":"]"}]},"items":[]}"#,
            #"{"kind":"List","metadata":{"bad": tru},"items":[\#(Self.slice)]}"#,
            #"{"kind":"PodList","items":[1,"two",null,\#(namespace)]}"#,
            #"{"kind":"Thing","items":[\#(Self.slice)]}"#,
            #"{"kind":7,"items":[\#(Self.slice)]}"#,
            #"{"kind":"List","items":[{"apiVersion":"multicluster.x-k8s.io/v1alpha1","kind":"ServiceImport","metadata":{"name":"a","namespace":"b"},"spec":{"ports":[{"port":99999}]}}]}"#,
            #"{"kind":"List","items":[\#(Self.slice) \#(Self.slice)]}"#,
            #"{"kind":"List","items":[{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"x"},"addressType":"IPv4"}]}"#,
            "  \n" + #"{"kind" : "List" , "items" : [ \#(Self.slice) , \#(Self.slice) ] }"# + " \n ",
        ]
        var read: [Int] = []
        for (i, text) in texts.enumerated() {
            let path = try write(text)
            defer { try? FileManager.default.removeItem(atPath: path) }
            if ManifestFile.decodeJSONList(path: path, cpus: 1) != nil { read.append(i) }
            for chunk in [64, 100, 4096] {
                let one = ManifestFile.decodeJSONList(path: path, chunk: chunk, cpus: 1)
                let two = ManifestFile.decodeJSONList(path: path, window: 64, chunk: chunk, cpus: 2)
                #expect((one == nil) == (two == nil), "\(text)")
                #expect(one?.objects == two?.objects, "\(text)")
                #expect(one?.problems.map(\.description) == two?.problems.map(\.description), "\(text)")
                #expect(one?.otherKinds == two?.otherKinds, "\(text)")
            }
        }
        // The scan reads these as Lists (leniently: a comma before `}`, `tru` skipped as a
        // value); the others it gives up on.
        #expect(read == [0, 1, 2, 3, 5, 6, 7, 10, 12, 13])
    }

    /// A List of 9 MB read from a file in windows and chunks: every item, in order.
    @Test func largeListDecodesChunkByChunk() throws {
        let items = (0..<6000).map { i in
            #"{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"s\#(i)-c1","namespace":"n","annotations":{"pad":"\#(String(repeating: "x", count: 1500))"}},"addressType":"IPv4","endpoints":[{"addresses":["10.0.\#(i / 256).\#(i % 256)"]}],"ports":[]}"#
        }
        let path = try write(#"{"apiVersion":"v1","kind":"List","items":["# + items.joined(separator: ",") + "]}")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let contents = try ManifestFile.load(path: path)
        #expect(contents.objects.count == 6000)
        let onePass = try #require(ManifestFile.decodeJSONList(path: path, chunk: 1 << 16, cpus: 1))
        #expect(onePass.objects == contents.objects)
        #expect(contents.problems.isEmpty)
        guard case .endpointSlice(let last)? = contents.objects.last else { Issue.record("no slice"); return }
        #expect(last.metadata.name == "s5999-c1")
        #expect(last.endpoints.first?.addresses.first?.description == "10.0.23.111")
    }
}
