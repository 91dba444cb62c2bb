import AnswerTable
import ClusterSet
import FastJSON
import Foundation
import Testing

/// The fast decoder (`KubeObject.fastDecode`) against `JSONDecoder`: whatever it decides
/// is what `JSONDecoder` makes of the same bytes, and what it is unsure of it leaves to
/// `JSONDecoder`, so the store's rules and messages for bad objects do not change.
@Suite struct FastJSONTests {
    enum Outcome: Equatable { case object, otherKind, undecided }

    /// Decodes `json` both ways; the fast outcome, after checking it against the slow one.
    @discardableResult
    static func check(_ json: String, kind: ObjectKind? = nil, sourceLocation: SourceLocation = #_sourceLocation) -> Outcome {
        let bytes = Array(json.utf8)
        let fast = bytes.withUnsafeBytes { KubeObject.fastDecode($0, kind: kind) }
        switch fast {
        case .object(let o):
            let slow = try? KubeObject.decode(kind: kind ?? o.key.kind, json: Data(bytes))
            #expect(slow == o, "fast and slow differ for \(json)", sourceLocation: sourceLocation)
            return .object
        case .otherKind:
            #expect((try? JSONSerialization.jsonObject(with: Data(bytes))) != nil, "invalid JSON passed over: \(json)", sourceLocation: sourceLocation)
            return .otherKind
        case .undecided:
            return .undecided
        }
    }

    static let serviceImport = #"""
        {"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceImport",
         "metadata": {"name": "web-shop", "namespace": "submariner-k8s-broker", "resourceVersion": "17", "uid": "u-1",
                      "labels": {"lighthouse.submariner.io/sourceNamespace": "shop", "app": "web"},
                      "annotations": {"multicluster.kubernetes.io/service-name": "web", "note": "a \"quoted\" \u00e9 / \/ \n"},
                      "managedFields": [{"manager": "x", "fieldsV1": {"f:spec": {".": {}}}, "n": -1.5e3}]},
         "spec": {"type": "ClusterSetIP", "ips": ["10.0.0.10", "2001:db8::10"],
                  "ports": [{"name": "HTTP", "protocol": "TCP", "port": 80}, {"port": 53, "protocol": "UDP", "appProtocol": null}]},
         "status": {"clusters": [{"cluster": "c1"}]}}
        """#

    static let endpointSlice = #"""
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": {"name": "web-c1", "namespace": "shop", "labels": {"multicluster.kubernetes.io/source-cluster": "c1",
                      "multicluster.kubernetes.io/service-name": "web", "endpointslice.kubernetes.io/managed-by": "lighthouse-agent.submariner.io"}},
         "addressType": "IPv4",
         "endpoints": [{"addresses": ["10.1.0.1"], "conditions": {"ready": true, "serving": true}, "hostname": "Web-0",
                        "targetRef": {"kind": "Pod", "name": "web-0", "namespace": "shop"}},
                       {"addresses": ["10.1.0.2", "10.1.0.3"], "conditions": {"ready": null}, "targetRef": {"name": "Web-1"}},
                       {"addresses": ["10.1.0.4"], "conditions": null, "hostname": "", "targetRef": {"kind": "Service", "name": "x"}},
                       {"addresses": [], "nodeName": "n1"}],
         "ports": [{"name": "http", "protocol": "TCP", "port": 8080}]}
        """#

    @Test func usualObjectsAreReadFastAndEqual() {
        #expect(Self.check(Self.serviceImport) == .object)
        #expect(Self.check(Self.endpointSlice) == .object)
        #expect(Self.check(Self.serviceImport, kind: .serviceImport) == .object)
        #expect(Self.check(#"{"metadata": {"name": "x"}, "addressType": "IPv6", "endpoints": [{"addresses": ["2001:db8::1"]}]}"#, kind: .endpointSlice) == .object)
        #expect(Self.check(#"{"metadata": {"name": "x"}}"#, kind: .serviceImport) == .object)
        #expect(Self.check(#"{"metadata": {"name": "x", "namespace": null, "labels": null}, "spec": {"type": "", "ips": null, "ports": null}}"#, kind: .serviceImport) == .object)
        #expect(Self.check(#"{"metadata":{"name":"x"},"spec":{"type":"Headless"}}"#, kind: .serviceImport) == .object)
        #expect(Self.check(#"  {"metadata" : {"name" : "x"} , "addressType" : "IPv4" , "endpoints" : null , "ports" : null }  "#, kind: .endpointSlice) == .object)
    }

    @Test func whatWasReadIsWhatJSONDecoderReads() throws {
        guard case .object(.endpointSlice(let s)) = Array(Self.endpointSlice.utf8).withUnsafeBytes({ KubeObject.fastDecode($0) }) else {
            Issue.record("not read")
            return
        }
        #expect(s.metadata.name == "web-c1")
        #expect(s.metadata.label("multicluster.kubernetes.io/source-cluster") == "c1")
        #expect(s.endpoints.count == 4)
        #expect(s.endpoints[0].hostname == "web-0")
        #expect(s.endpoints[0].ready == true)
        #expect(s.endpoints[1].podName == "web-1")
        #expect(s.endpoints[1].ready == nil)
        #expect(s.endpoints[2].hostname == nil && s.endpoints[2].podName == nil)
        #expect(s.ports == [ServicePort(name: "http", proto: "TCP", port: 8080)])
        guard case .object(.serviceImport(let i)) = Array(Self.serviceImport.utf8).withUnsafeBytes({ KubeObject.fastDecode($0) }) else {
            Issue.record("not read")
            return
        }
        #expect(i.metadata.annotation("note") == "a \"quoted\" \u{e9} / / \n")
        #expect(i.metadata.resourceVersion == "17")
        #expect(i.ips.map(\.description) == ["10.0.0.10", "2001:db8::10"])
        #expect(i.ports.map(\.name) == ["http", ""])
    }

    /// Labels and annotations packed from the bytes (`StringPairs.fastDecodeASCII`) or,
    /// outside its plain case, through strings: the same packing, equal to JSONDecoder's.
    @Test func labelsPackedFromBytesEqualTheGeneralWay() throws {
        func meta(_ labels: String) -> String { #"{"metadata": {"name": "x", "labels": \#(labels), "annotations": \#(labels)}}"# }
        let long = String(repeating: "v", count: 300)
        let cases = [
            #"{"b": "2", "a": "1", "c": "3"}"#,                                 // unsorted
            #"{"ab": "1", "a": "2", "abc": "3", "": "4"}"#,                    // prefixes, an empty key
            #"{"lighthouse.submariner.io/is-headless": "false", "app": "true"}"#, // common strings
            #"{"true": "lighthouse-agent.submariner.io"}"#,                     // a common string as a key
            #"{"k": "\#(long)"}"#,                                               // 254 bytes and more
            #"{"café": "1", "b": "2"}"#,                                    // an escape: the general way
            #"{"é": "1", "e": "2", "f": "ü"}"#,                                  // not ASCII: the general way
            #"{"a\/b": "1"}"#,                                                    // an escaped key
            "{" + (0..<20).map { #""k\#($0)": "\#($0)""# }.joined(separator: ", ") + "}", // more than 16
            "{}",
        ]
        for labels in cases {
            #expect(Self.check(meta(labels), kind: .serviceImport) == .object, "\(labels)")
        }
        // Duplicate keys: JSONDecoder keeps one silently; the fast path leaves it.
        #expect(Self.check(meta(#"{"a": "1", "b": "2", "a": "3"}"#), kind: .serviceImport) == .undecided)
        #expect(Self.check(meta(#"{"a": 1}"#), kind: .serviceImport) == .undecided)
        let bytes = Array(meta(#"{"multicluster.kubernetes.io/source-cluster": "c2", "z": "last", "a": "first"}"#).utf8)
        guard case .object(.serviceImport(let si)) = bytes.withUnsafeBytes({ KubeObject.fastDecode($0, kind: .serviceImport) }) else {
            Issue.record("not read")
            return
        }
        #expect(Array(si.metadata.labels).map(\.key) == ["a", "multicluster.kubernetes.io/source-cluster", "z"])
        #expect(si.metadata.label("multicluster.kubernetes.io/source-cluster") == "c2")
        #expect(si.metadata.annotation("z") == "last")
    }

    /// `apiVersion` is compared in place when it has no escape, else read as a string.
    @Test func apiVersionWithAnEscapeIsReadAsAString() {
        #expect(Self.check(#"{"apiVersion": "multicluster.x-k8s.io\/v1alpha1", "kind": "ServiceImport", "metadata": {"name": "x"}}"#) == .object)
        #expect(Self.check(#"{"apiVersion": "discovery.k8s.io/v1", "kind": "ServiceImport", "metadata": {"name": "x"}}"#) == .otherKind)
        // Not the usual form: asked as a string, whose rule (empty parts dropped) takes it.
        #expect(Self.check(#"{"apiVersion": "multicluster.x-k8s.io//v1", "kind": "ServiceImport", "metadata": {"name": "x"}}"#) == .object)
        #expect(Self.check(#"{"apiVersion": "multicluster.x-k8s.io/", "kind": "ServiceImport", "metadata": {"name": "x"}}"#) == .otherKind)
    }

    @Test func otherKindsArePassedOver() {
        #expect(Self.check(#"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}"#) == .otherKind)
        #expect(Self.check(#"{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "g"}}"#) == .otherKind)
        #expect(Self.check(#"{"kind": "ServiceImport", "metadata": {"name": "x"}}"#) == .otherKind)
        #expect(Self.check(#"{"apiVersion": "multicluster.x-k8s.io/v1alpha1/extra", "kind": "ServiceImport", "metadata": {"name": "x"}}"#) == .otherKind)
    }

    /// Everything JSONDecoder refuses, or might read otherwise, or that carries a message.
    @Test func unsureCasesAreLeftToJSONDecoder() {
        let si = Self.serviceImport
        let es = Self.endpointSlice
        let cases: [String] = [
            si.replacingOccurrences(of: #""ClusterSetIP""#, with: #""LoadBalancer""#),    // unknown type: a message
            si.replacingOccurrences(of: #""10.0.0.10""#, with: #""10.0.0.300""#),         // bad IP: a message
            si.replacingOccurrences(of: #""port": 80"#, with: #""port": 0"#),               // port out of range
            si.replacingOccurrences(of: #""port": 80"#, with: #""port": "80""#),            // port as a string
            si.replacingOccurrences(of: #""port": 80"#, with: #""port": 80.0"#),            // a fraction
            si.replacingOccurrences(of: #""port": 80"#, with: #""port": 8e1"#),             // an exponent
            si.replacingOccurrences(of: #""port": 80"#, with: #""port": 080"#),             // invalid JSON
            si.replacingOccurrences(of: #""port": 80"#, with: #""port": null"#),
            si.replacingOccurrences(of: #""app": "web""#, with: #""app": true"#),           // a label that is not a string
            si.replacingOccurrences(of: #""app": "web""#, with: #""app": "web", "app": "web2""#),  // a duplicate label
            si.replacingOccurrences(of: #""uid": "u-1""#, with: #""name": "other""#),      // a duplicate name
            si.replacingOccurrences(of: #""name": "web-shop""#, with: #""name": null"#),
            si.replacingOccurrences(of: #""name": "web-shop", "#, with: ""),                // no name
            si.replacingOccurrences(of: #""spec": {"#, with: #""spec": null, "x": {"#),     // spec null
            si.replacingOccurrences(of: #""kind": "ServiceImport""#, with: #""kind": "ServiceImport", "kind": "ServiceImport""#),
            si.replacingOccurrences(of: #""note": "a"#, with: #""note": "\ud83d\ude00 a"#),  // surrogates
            si.replacingOccurrences(of: #""note": "a"#, with: #""note": "\x a"#),            // a bad escape
            si.replacingOccurrences(of: #""note": "a"#, with: "\"note\": \"\t a"),          // a raw control character
            si.replacingOccurrences(of: #""n": -1.5e3"#, with: #""n": -1.5e"#),             // a bad number where nobody looks
            si.replacingOccurrences(of: #""n": -1.5e3"#, with: #""n": [1, 2,]"#),           // a trailing comma
            si.replacingOccurrences(of: #""n": -1.5e3"#, with: #""n": tru"#),
            si + " x",                                                                        // trailing garbage
            String(si.dropLast()),                                                            // cut short
            es.replacingOccurrences(of: #""IPv4""#, with: #""FQDN""#),                      // not served: a message
            es.replacingOccurrences(of: #""10.1.0.4""#, with: #""2001:db8::4""#),           // mismatched family
            es.replacingOccurrences(of: #""ready": true"#, with: #""ready": "true""#),
            es.replacingOccurrences(of: #""hostname": "Web-0""#, with: #""hostname": 7"#),
            es.replacingOccurrences(of: #""targetRef": {"name": "Web-1"}"#, with: #""targetRef": []"#),
            es.replacingOccurrences(of: #""addressType": "IPv4","#, with: ""),               // no addressType
            es.replacingOccurrences(of: #""conditions": null"#, with: #""conditions": 1"#),
            String(repeating: "[", count: 300) + String(repeating: "]", count: 300),
            #"{"metadata": {"name": "x"}, "deep": "# + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "}",
            #"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}, "x": [1,]}"#,
            #"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}, "x": 80E820}"#,  // beyond a Double (FuzzObjects)
            #"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}, "x": 1"# + String(repeating: "0", count: 400) + "}",
            "[]", "null", "", "{", #"{"metadata": {"name": "x"}}"#,   // no kind known: Gateway-less, nothing to say
            #"{"apiVersion": "submariner.io/v1", "kind": "Gateway", "metadata": {"name": "g"}}"#,  // Gateways: the slow path
        ]
        for json in cases {
            #expect(Self.check(json) != .object || json == #"{"metadata": {"name": "x"}}"#, "\(json)")
        }
        // With the kind given (a LIST's items), `apiVersion` and `kind` are not looked at,
        // by either decoder: an EndpointSlice's JSON is a ServiceImport without a spec.
        // Whatever is read must still equal JSONDecoder's reading (`check`), and the
        // ServiceImport's own faults stay undecided.
        for json in cases {
            Self.check(json, kind: .serviceImport)
            Self.check(json, kind: .endpointSlice)
        }
        for json in cases.prefix(24) where json.contains("ServiceImport") {
            #expect(Self.check(json, kind: .serviceImport) == .undecided, "\(json)")
        }
        // An escaped key is read as the key it spells.
        #expect(Self.check(#"{"metadata": {"n\u0061me": "x", "labels": {"a\/b": "c"}}, "spec": {}}"#, kind: .serviceImport) == .object)
        // Invalid UTF-8 inside a string.
        var bytes = Array(Self.serviceImport.utf8)
        if let i = bytes.firstIndex(of: UInt8(ascii: "u")) { bytes[i] = 0xC3 }
        #expect(bytes.withUnsafeBytes { KubeObject.fastDecode($0) }.isUndecided)
    }

    /// JSONDecoder traps on text whose 513th array or object opens at its very end
    /// (FuzzObjects): such text is refused before it reaches it, as JSONDecoder refuses any
    /// text nested deeper than 512; text at 512 decodes as before.
    @Test func textNestedDeeperThanJSONDecoderAcceptsIsRefusedFirst() throws {
        let trap = Data((#"{"a":"# + String(repeating: "[", count: 512)).utf8)
        #expect(trap.withUnsafeBytes { JSONNesting.exceeds(512, in: $0) })
        #expect(throws: DecodingError.self) { try JSONDecoder().decodeBounded([String: [String]].self, from: trap) }
        #expect(throws: DecodingError.self) { try KubeObject.decode(kind: .serviceImport, json: trap) }
        // 512 deep and closed: JSONDecoder's own answer (an array of arrays ... of nothing).
        let deepest = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(!Data(deepest.utf8).withUnsafeBytes { JSONNesting.exceeds(512, in: $0) })
        #expect((try? JSONDecoder().decodeBounded(AnyDepth.self, from: Data(deepest.utf8))) != nil)
        // Brackets inside strings, escaped quotes included, do not count.
        let quoted = Data(("[\"" + String(repeating: "[", count: 600) + "\\\"" + "\"]").utf8)
        #expect(!quoted.withUnsafeBytes { JSONNesting.exceeds(512, in: $0) })
        #expect((try? JSONDecoder().decodeBounded([String].self, from: quoted))?.first?.count == 601)
    }

    /// Any JSON array nesting (the deepest decode above).
    struct AnyDepth: Decodable {
        init(from decoder: Decoder) throws {
            var c = try decoder.unkeyedContainer()
            while !c.isAtEnd { _ = try c.decode(AnyDepth.self) }
        }
    }

    /// Strings with an escape, a quote, a control character or a non-ASCII letter at every
    /// position of the first 40 bytes (the cursor reads eight bytes at a time): read as
    /// JSONSerialization reads them, or refused where it refuses them.
    @Test func stringsAtEveryOffset() throws {
        for special in [#"\""#, #"\\"#, #"\n"#, #"\u00e9"#, "é", "\u{1}"] {
            for n in 0..<40 {
                let text = String(repeating: "a", count: n) + special + String(repeating: "b", count: 40 - n)
                let bytes = Array(("[\"" + text + "\"]").utf8)
                let fast: Bool = bytes.withUnsafeBytes { raw in
                    var c = JSONCursor(raw)
                    return c.array { c in c.string() != nil } && c.atEnd()
                }
                let slow = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String]
                #expect(fast == (slow != nil), "\(text)")
                if let slow {
                    let read: String? = bytes.withUnsafeBytes { raw in
                        var c = JSONCursor(raw)
                        c.at = 1
                        return c.string()
                    }
                    #expect(read == slow[0], "\(text)")
                }
            }
        }
    }

    /// Every object of the real-shaped broker layout is read fast, equal to JSONDecoder's.
    @Test func brokerLayoutIsReadFast() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("broker-layout.json")
        let top = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        let items = try #require(top?["items"] as? [Any])
        #expect(items.count == 7)
        for item in items {
            let data = try JSONSerialization.data(withJSONObject: item)
            #expect(Self.check(String(decoding: data, as: UTF8.self)) == .object)
        }
    }
}

extension KubeObject.FastDecoded {
    var isUndecided: Bool { if case .undecided = self { return true } else { return false } }
}
