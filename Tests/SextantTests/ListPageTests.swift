import ClusterSet
import Foundation
@testable import KubeClient
import Testing

/// A LIST page read by `ListPage.fast` (the cursor for the page, the fast decoder for
/// items, JSONDecoder for what it cannot say) equals JSONDecoder's reading of the page;
/// anything unusual gives nil, so the reflector decodes the page as before and reports
/// the same error.
@Suite struct ListPageTests {
    static let fastImport: @Sendable (UnsafeRawBufferPointer) -> (ObjectReference, ServiceImport)? = { raw in
        guard case .object(.serviceImport(let o)) = KubeObject.fastDecode(raw, kind: .serviceImport) else { return nil }
        return (ObjectReference(name: o.metadata.name, namespace: o.metadata.namespace, resourceVersion: o.metadata.resourceVersion), o)
    }

    static func summary(_ p: ListPage<ServiceImport>) -> [String] {
        ["rv=\(p.metadata.resourceVersion ?? "-") continue=\(p.metadata.continue ?? "-")"] + (p.items ?? []).map { d in
            let item: String
            switch d.item {
            case .success(let o): item = "\(o.type) \(o.ips.map(\.description)) \(o.ports.map(\.port))"
            case .failure(let f): item = "failed: \(f.reason)"
            }
            return "\(d.reference.namespace)/\(d.reference.name)@\(d.reference.resourceVersion ?? "-") \(item)"
        }
    }

    @Test func aPageReadsAsJSONDecoderReadsIt() throws {
        let page = #"""
            {"kind": "ServiceImportList", "apiVersion": "multicluster.x-k8s.io/v1alpha1",
             "metadata": {"resourceVersion": "812", "continue": "abc", "remainingItemCount": 3},
             "items": [
               {"metadata": {"name": "web", "namespace": "shop", "resourceVersion": "800"}, "spec": {"type": "ClusterSetIP", "ips": ["10.0.0.1"], "ports": [{"port": 80}]}},
               {"metadata": {"name": "db", "namespace": "shop", "resourceVersion": "801"}, "spec": {"type": "Bogus"}},
               {"metadata": {"name": "odd", "namespace": "shop", "resourceVersion": "802", "labels": {"a": 1}}, "spec": {"type": "Headless"}},
               {"metadata": {"name": "bad-ip", "namespace": "shop"}, "spec": {"ips": ["10.0.0.999"]}}
             ]}
            """#
        let bytes = Array(page.utf8)
        let fast = try #require(ListPage<ServiceImport>.fast(bytes, item: Self.fastImport))
        let slow = try JSONDecoder().decode(ListPage<ServiceImport>.self, from: Data(bytes))
        #expect(Self.summary(fast) == Self.summary(slow))
        #expect(Self.summary(fast) == [
            "rv=812 continue=abc",
            "shop/web@800 clusterSetIP [\"10.0.0.1\"] [80]",
            "shop/db@801 failed: \(Self.reason(slow, 1))",
            "shop/odd@802 headless [] []",
            "shop/bad-ip@- failed: \(Self.reason(slow, 3))",
        ])
        #expect(Self.reason(slow, 1).contains("unknown service type Bogus"))
    }

    static func reason(_ p: ListPage<ServiceImport>, _ i: Int) -> String {
        if case .failure(let f)? = p.items?[i].item { return f.reason }
        return ""
    }

    @Test func unusualPagesAreLeftToJSONDecoder() {
        let cases = [
            #"{"items": []}"#,                                                        // no metadata: JSONDecoder says so
            #"{"metadata": null, "items": []}"#,
            #"{"metadata": {}, "metadata": {}, "items": []}"#,
            #"{"metadata": {"resourceVersion": 5}, "items": []}"#,
            #"{"metadata": {}, "items": [1]}"#,                                       // an item JSONDecoder refuses
            #"{"metadata": {}, "items": [{"metadata": {"name": "x"}},]}"#,             // invalid JSON
            #"{"metadata": {}, "items": []} trailing"#,
            #"[]"#, "",
        ]
        for c in cases { #expect(ListPage<ServiceImport>.fast(Array(c.utf8), item: Self.fastImport) == nil, "\(c)") }
        let empty = ListPage<ServiceImport>.fast(Array(#"{"metadata": {"resourceVersion": "9"}, "items": null}"#.utf8), item: Self.fastImport)
        #expect(empty.map(Self.summary) == ["rv=9 continue=-"])
    }
}
