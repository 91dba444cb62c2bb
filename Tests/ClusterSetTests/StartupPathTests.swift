import AnswerTable
@testable import ClusterSet
import FastJSON
import Foundation
import Testing

/// The shortcuts a first load takes (issue 18, fifth round) against the plain ways they
/// replace: the decoder's ports memo, the key order compared in place, the metadata
/// read once for classifying.
@Suite struct StartupPathTests {
    static func slice(_ name: String, ports: String) -> String {
        #"{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"\#(name)","namespace":"ns"},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"]}],"ports":\#(ports)}"#
    }

    static func importWith(ports: String) -> String {
        #"{"apiVersion":"multicluster.x-k8s.io/v1alpha1","kind":"ServiceImport","metadata":{"name":"svc","namespace":"ns"},"spec":{"ports":\#(ports)}}"#
    }

    static func same(_ a: KubeObject.FastDecoded, _ b: KubeObject.FastDecoded) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)): return x == y
        case (.otherKind, .otherKind), (.undecided, .undecided): return true
        default: return false
        }
    }

    @Test func objectsDecodedThroughOneMemoEqualEachDecodedAlone() {
        // Each ports value after the others: the same bytes again, the same list written
        // otherwise (space, order, case), a longer list that begins like the last one, null,
        // none, a list the slow path must judge (a port out of range) and one with an escape.
        let ports = [
            #"[{"name":"http","protocol":"TCP","port":80}]"#,
            #"[{"name":"http","protocol":"TCP","port":80}]"#,
            #"[ {"name":"http","protocol":"TCP","port":80}]"#,
            #"[{"protocol":"TCP","name":"http","port":80}]"#,
            #"[{"name":"HTTP","protocol":"tcp","port":80}]"#,
            #"[{"name":"http","protocol":"TCP","port":80},{"name":"dns","protocol":"UDP","port":53}]"#,
            #"[{"name":"http","protocol":"TCP","port":80},{"name":"dns","protocol":"UDP","port":53}]"#,
            #"[{"name":"http","protocol":"TCP","port":80}]"#,
            "null",
            #"[{"name":"http","protocol":"TCP","port":80}]"#,
            #"[{"name":"http","protocol":"TCP","port":70000}]"#,
            #"[{"name":"h\u0074tp","protocol":"TCP","port":80}]"#,
            #"[{"name":"h\u0074tp","protocol":"TCP","port":80}]"#,
            "[]",
            #"[{"name":"http","protocol":"TCP","port":80}]"#,
        ]
        var texts: [String] = []
        for (i, p) in ports.enumerated() {
            texts.append(Self.slice("s\(i)", ports: p))
            texts.append(Self.importWith(ports: p))
        }
        texts.append(#"{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"none","namespace":"ns"},"addressType":"IPv4"}"#)
        var memo = KubeObject.DecodeMemo()
        var decided = 0
        for text in texts {
            let bytes = Array(text.utf8)
            let alone = bytes.withUnsafeBytes { KubeObject.fastDecode($0) }
            let withMemo = bytes.withUnsafeBytes { KubeObject.fastDecode($0, memo: &memo) }
            #expect(Self.same(withMemo, alone), "\(text)")
            if case .object = alone { decided += 1 }
            FastJSONTests.check(text)
        }
        // Everything but the out-of-range port (two objects) is read fast.
        #expect(decided == texts.count - 2)
    }

    @Test func theSameListIsSharedNotCopied() throws {
        var memo = KubeObject.DecodeMemo()
        let p = #"[{"name":"http","protocol":"TCP","port":80}]"#
        var lists: [[ServicePort]] = []
        for name in ["a", "b"] {
            let decoded = Array(Self.slice(name, ports: p).utf8).withUnsafeBytes { KubeObject.fastDecode($0, memo: &memo) }
            guard case .object(.endpointSlice(let s)) = decoded else {
                Issue.record("not read fast")
                return
            }
            lists.append(s.ports)
        }
        #expect(lists[0] == [ServicePort(name: "http", proto: "tcp", port: 80)])
        let same = lists[0].withUnsafeBufferPointer { a in lists[1].withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress } }
        #expect(same)
    }

    @Test func kindsOrderAsTheirNames() {
        for a in ObjectKind.allCases {
            for b in ObjectKind.allCases { #expect((a.order < b.order) == (a.rawValue < b.rawValue), "\(a) \(b)") }
        }
    }

    @Test func keysOrderInPlaceAsTheyOrderAsStrings() {
        // ASCII, a common label string as a name, a prefix, the empty namespace, and
        // non-ASCII (precomposed against combining: `String` compares them as equal).
        let names = ["a", "b", "ab", "svc-1", "svc-10", "svc-2", "true", "false", "é", "e\u{301}", "z\u{1F600}", "A", "_x"]
        var objects: [KubeObject] = []
        for n in names {
            for ns in ["", "ns", "é", "e\u{301}", "true", "nt"] {
                let m = ObjectMeta(name: n, namespace: ns)
                objects.append(.serviceImport(ServiceImport(metadata: m, type: .clusterSetIP)))
                objects.append(.endpointSlice(EndpointSlice(metadata: m, endpoints: [], ports: [])))
            }
        }
        var compared = 0
        for o in objects {
            // The hash read in place is the key's.
            #expect(ObjectTable.hash(of: o) == ObjectTable.hash(o.key), "\(o.key)")
            for p in objects {
                #expect(o.precedes(p) == (o.key < p.key), "\(o.key) against \(p.key)")
                // Same name: the same bytes (the table's identity; `String` would take
                // precomposed and combining forms as one).
                let same = o.key.kind == p.key.kind && Array(o.key.name.utf8) == Array(p.key.name.utf8)
                    && Array(o.key.namespace.utf8) == Array(p.key.namespace.utf8)
                #expect((o.key.kind == p.key.kind && o.kindAndMetadata.metadata.hasSameName(as: p.kindAndMetadata.metadata)) == same,
                        "\(o.key) against \(p.key)")
                compared += 1
            }
        }
        #expect(compared == objects.count * objects.count)
    }

    @Test func metadataReadOnceAgreesWithEachField() {
        let labels = ["endpointslice.kubernetes.io/managed-by": "lighthouse-agent.submariner.io",
                      "multicluster.kubernetes.io/service-name": "web", "zz": "true", "custom": "lighthouse-agent.submariner.io-not"]
        let keys = ["endpointslice.kubernetes.io/managed-by", "multicluster.kubernetes.io/service-name", "zz", "custom",
                    "lighthouse.submariner.io/is-headless", "absent", "origin-name"]
        for (name, ns) in [("web-cluster-a", "ns"), ("web", ""), ("true", "true"), ("wéb-cluster-a", "é"), ("web-\u{E9}", "ns")] {
            let m = ObjectMeta(name: name, namespace: ns, labels: labels, annotations: ["custom": "a", "origin-name": "web"])
            let r = m.reader
            #expect(r.name == name)
            #expect(r.namespace == ns)
            for k in keys {
                let key = StringPairs.PackedKey(k)
                #expect(r.label(key) == m.label(k), "\(k)")
                #expect(r.hasLabel(key) == (m.label(k) != nil), "\(k)")
                #expect(r.annotation(key) == m.annotation(k), "\(k)")
                for v in ["lighthouse-agent.submariner.io", "web", "true", "lighthouse-agent.submariner.io-not", "x"] {
                    #expect(r.label(key, is: StringPairs.PackedKey(v)) == (m.label(k) == v), "\(k)=\(v)")
                }
            }
            for suffix in ["cluster-a", "a", "", "web-cluster-a", "b", "e\u{301}", "\u{E9}"] {
                #expect(r.nameEnds(withDashAnd: suffix) == name.hasSuffix("-" + suffix), "\(name) \(suffix)")
            }
        }
    }

    @Test func kindsNamedByBytesAreTheirRawValues() {
        for k in ObjectKind.allCases {
            #expect(Array(k.rawValue.utf8).withUnsafeBytes { ObjectKind(named: $0) } == k)
        }
        for other in ["", "Service", "serviceimport", "ServiceImports", "Gatewa", "EndpointSlic", "List"] {
            #expect(Array(other.utf8).withUnsafeBytes { ObjectKind(named: $0) } == nil, "\(other)")
        }
    }

    @Test func takingTheListGivesTheStoreThatCopyingItGives() throws {
        // Services of both kinds, an object given twice (the later wins), a legacy slice.
        var list: [KubeObject] = []
        for i in 0..<40 {
            list.append(serviceImport("s\(i)", "ns\(i % 3)", ips: i % 2 == 0 ? ["243.0.0.\(i)"] : []))
            for c in ["a", "b"] { list.append(clusterSlice("s\(i)", "ns\(i % 3)", cluster: c, address: "10.0.\(i).1")) }
        }
        list.append(clusterSlice("s1", "ns1", cluster: "a", address: "10.9.9.9"))
        let copied = ClusterSetStore(configuration: StoreConfiguration(zones: [zone]))
        copied.replaceAll(of: Set(ObjectKind.allCases), with: list)
        let taken = ClusterSetStore(configuration: StoreConfiguration(zones: [zone]))
        var handed = list
        taken.replaceAll(of: Set(ObjectKind.allCases), taking: &handed)
        #expect(handed.isEmpty)
        #expect(taken.objects(from: ObjectSource.manifests) == copied.objects(from: ObjectSource.manifests))
        #expect(taken.objectCount == 40 * 3)
        #expect(taken.serviceCount == copied.serviceCount)
        let a = table(copied), b = table(taken)
        #expect(a.serviceTableCount == 40 && b.serviceTableCount == 40)
        for name in ["s0.ns0.svc.clusterset.local", "s1.ns1.svc.clusterset.local", "a.s1.ns1.svc.clusterset.local"] {
            let x = try ask(a, name, .a), y = try ask(b, name, .a)
            #expect(x.answers == y.answers, "\(name)")
            #expect(!x.answers.isEmpty, "\(name)")
        }
        // Fewer objects than the keys made ahead (8), one given twice.
        var few = [serviceImport("s0", "ns0", ips: []), clusterSlice("s0", "ns0", cluster: "a", address: "10.0.0.1"),
                   clusterSlice("s0", "ns0", cluster: "a", address: "10.0.0.2")]
        let small = ClusterSetStore(configuration: StoreConfiguration(zones: [zone]))
        small.replaceAll(of: Set(ObjectKind.allCases), taking: &few)
        #expect(small.objectCount == 2)
        #expect(try ask(table(small), "s0.ns0.svc.clusterset.local", .a).answers.map(\.presentationData) == ["10.0.0.2"])
    }

    /// A kind's own fields are read as they come once `apiVersion` and `kind` have come,
    /// else after the pass (issue 18, sixth round): the same object, or the same doubt,
    /// wherever the two are.
    @Test func kindFieldsReadTheSameWhereverTheKindIs() {
        let head = #""apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice""#
        let importHead = #""apiVersion":"multicluster.x-k8s.io/v1alpha1","kind":"ServiceImport""#
        let meta = #""metadata":{"name":"web-c1","namespace":"shop","labels":{"a":"b"}}"#
        let bodies: [(head: String, fields: [String], read: Bool)] = [
            (head, [meta, #""addressType":"IPv4""#, #""endpoints":[{"addresses":["10.1.0.1"],"hostname":"h"}]"#, #""ports":[{"name":"http","protocol":"TCP","port":80}]"#], true),
            (head, [meta, #""addressType":"IPv6""#, #""endpoints":[{"addresses":["2001:db8::1"]}]"#, #""ports":null"#], true),
            (head, [meta, #""addressType":"IPv4""#, #""endpoints":null"#], true),
            (head, [meta, #""addressType":"FQDN""#, #""endpoints":[]"#], false),
            (head, [meta, #""addressType":"IPv4""#, #""endpoints":[{"addresses":["2001:db8::1"]}]"#], false),
            (head, [meta, #""addressType":"IPv4""#, #""ports":[{"port":0}]"#], false),
            (head, [meta, #""addressType":"IPv4""#, #""ports":[]"#, #""ports":[]"#], false),
            (head, [meta, #""endpoints":[{"addresses":["10.1.0.1"],"conditions":{"ready":"yes"}}]"#, #""addressType":"IPv4""#], false),
            (importHead, [meta, #""spec":{"type":"ClusterSetIP","ips":["243.0.0.1"],"ports":[{"name":"dns","protocol":"UDP","port":53}]}"#], true),
            (importHead, [meta, #""spec":null"#], false),
            (importHead, [meta, #""spec":{"type":"LoadBalancer"}"#], false),
            (importHead, [#""spec":{"type":"Headless"}"#, meta], true),
            (importHead, [meta], true),
        ]
        for b in bodies {
            let orders = [
                "{" + ([b.head] + b.fields).joined(separator: ",") + "}",
                "{" + (b.fields + [b.head]).joined(separator: ",") + "}",
                "{" + ([b.fields[0], b.head] + b.fields.dropFirst()).joined(separator: ",") + "}",
            ]
            let outcomes = orders.map { json in Array(json.utf8).withUnsafeBytes { KubeObject.fastDecode($0) } }
            for (json, o) in zip(orders, outcomes) {
                #expect(Self.same(o, outcomes[0]), "\(json)")
                if case .object(let x) = o {
                    #expect(b.read, "\(json)")
                    #expect((try? KubeObject.decode(kind: x.key.kind, json: Data(json.utf8))) == x, "\(json)")
                } else {
                    #expect(!b.read && o.isUndecided, "\(json)")
                }
            }
        }
    }

    /// `rawASCIIString` gives what `rawString` gives when that is ASCII, else nil; with
    /// the odd byte at every offset of the first 24 (eight bytes are read at a time).
    @Test func asciiStringsAtEveryOffset() {
        for special in ["\u{e9}", "\u{7f}", "\\n", "\\\"", "\u{1}", "a\"", ""] {
            for n in 0..<24 {
                let text = String(repeating: "x", count: n) + special + String(repeating: "y", count: 24 - n)
                let bytes = Array(("\"" + text + "\" ").utf8)
                let (raw, ascii): ([UInt8]?, [UInt8]?) = bytes.withUnsafeBytes { b in
                    var c = JSONCursor(b), d = JSONCursor(b)
                    return (c.rawString().map { Array($0) }, d.rawASCIIString().map { Array($0) })
                }
                let isASCII = raw.map { $0.allSatisfy { $0 < 0x80 } } ?? false
                #expect(ascii == (isASCII ? raw : nil), "\(text)")
                // A quote ends the string early (`a"`): read up to it.
                let plain = !special.contains("\\") && !special.contains("\u{1}")
                #expect((raw != nil) == plain, "\(text)")
                if special == "a\"" { #expect(raw == Array((String(repeating: "x", count: n) + "a").utf8), "\(text)") }
            }
        }
    }

    /// The common strings are found by their length and bytes: each at its index in
    /// `common`, and a string of the same length one byte off, or one byte longer or
    /// shorter, not at all.
    @Test func commonStringsAreFoundByLengthAndBytes() {
        func index(_ s: String) -> Int? {
            let bytes = Array(s.utf8)
            return bytes.withUnsafeBytes { StringPairs.Packed.commonIndex(matching: $0) }
        }
        for (i, text) in StringPairs.common.enumerated() {
            #expect(index(text) == i, "\(text)")
            var bytes = Array(text.utf8)
            for at in [0, bytes.count / 2, bytes.count - 1] {
                let kept = bytes[at]
                bytes[at] = kept == UInt8(ascii: "x") ? UInt8(ascii: "y") : UInt8(ascii: "x")
                #expect(index(String(decoding: bytes, as: UTF8.self)) == nil, "\(text) changed at \(at)")
                bytes[at] = kept
            }
            #expect(index(text + "x") == nil && index(String(text.dropLast())) == nil, "\(text)")
        }
        #expect(index("") == nil && index("cluster-0") == nil)
    }
}
