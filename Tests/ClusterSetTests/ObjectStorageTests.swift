import AnswerTable
import ClusterSet
import Foundation
import Testing

/// The compact forms the store keeps objects in (labels as sorted pairs, addresses as
/// inline words) behave like the dictionaries and byte arrays they replaced.
@Suite struct ObjectStorageTests {
    @Test func labelsReadWriteAndCompareLikeADictionary() {
        var l: StringPairs = ["b": "2", "multicluster.kubernetes.io/service-name": "web", "a": "1"]
        #expect(l["a"] == "1")
        #expect(l["multicluster.kubernetes.io/service-name"] == "web")
        #expect(l["missing"] == nil)
        #expect(l.map(\.key) == ["a", "b", "multicluster.kubernetes.io/service-name"])
        l["a"] = "one"
        l["c"] = "3"
        l["b"] = nil
        #expect(l.map(\.key) == ["a", "c", "multicluster.kubernetes.io/service-name"])
        #expect(l["a"] == "one")
        #expect(l.count == 3)
        // Order of arrival does not matter; values do.
        let same = StringPairs(["multicluster.kubernetes.io/service-name": "web", "c": "3", "a": "one"])
        #expect(l == same)
        #expect(l != StringPairs(["multicluster.kubernetes.io/service-name": "web", "c": "3", "a": "1"]))
        #expect(l.dictionary == ["a": "one", "c": "3", "multicluster.kubernetes.io/service-name": "web"])
    }

    /// Decoded objects with the same ports share one array (the store holds four per
    /// service otherwise); different ports stay apart.
    @Test func decodedPortListsAreShared() throws {
        func slice(_ name: String, port: Int) throws -> EndpointSlice {
            let json = #"{"metadata":{"name":"\#(name)","namespace":"n"},"addressType":"IPv4","endpoints":[],"ports":[{"name":"Web","protocol":"TCP","port":\#(port)}]}"#
            return try JSONDecoder().decode(EndpointSlice.self, from: Data(json.utf8))
        }
        func storage(_ ports: [ServicePort]) -> UnsafeRawPointer? { ports.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) } }
        let a = try slice("a", port: 8443), b = try slice("b", port: 8443), c = try slice("c", port: 8444)
        #expect(a.ports == [ServicePort(name: "web", proto: "tcp", port: 8443)])
        #expect(storage(a.ports) != nil)
        #expect(storage(a.ports) == storage(b.ports))
        #expect(storage(a.ports) != storage(c.ports))
        #expect(c.ports.map(\.port) == [8444])
        let json = #"{"metadata":{"name":"s","namespace":"n"},"spec":{"type":"ClusterSetIP","ports":[{"name":"web","protocol":"TCP","port":8443}]}}"#
        let si = try JSONDecoder().decode(ServiceImport.self, from: Data(json.utf8))
        #expect(storage(si.ports) == storage(a.ports))
    }

    /// Objects keep their fields behind one shared reference: a changed copy is a new
    /// object, the original stays as it was, and equality is by value.
    @Test func objectsChangeByCopyAndCompareByValue() {
        let original = EndpointSlice(metadata: ObjectMeta(name: "a", namespace: "n"), endpoints: [.init(addresses: [IPAddress("10.0.0.1")!])],
                                     ports: [ServicePort(name: "http", proto: "TCP", port: 80)])
        var changed = original
        #expect(changed == original)
        changed.ports.append(ServicePort(name: "https", proto: "TCP", port: 443))
        changed.metadata.name = "b"
        #expect(original.ports.map(\.port) == [80])
        #expect(original.metadata.name == "a")
        #expect(changed.ports.map(\.port) == [80, 443])
        #expect(changed.metadata.name == "b")
        #expect(changed != original)
        let rebuilt = EndpointSlice(metadata: ObjectMeta(name: "a", namespace: "n"), endpoints: [.init(addresses: [IPAddress("10.0.0.1")!])],
                                    ports: [ServicePort(name: "http", proto: "TCP", port: 80)])
        #expect(rebuilt == original)
        var si = ServiceImport(metadata: ObjectMeta(name: "s", namespace: "n"), type: .clusterSetIP)
        let before = si
        si.ips = [IPAddress("10.9.0.1")!]
        #expect(before.ips.isEmpty && si.ips.count == 1 && si != before)
    }

    @Test func decodedLabelsKeepEveryPairAndScalarValues() throws {
        let json = #"{"name":"x","namespace":"n","labels":{"endpointslice.kubernetes.io/managed-by":"lighthouse-agent.submariner.io","lighthouse.submariner.io/is-headless":false,"weight":3,"app":"web"},"annotations":{"origin-name":"x"}}"#
        let m = try JSONDecoder().decode(ObjectMeta.self, from: Data(json.utf8))
        #expect(m.labels.count == 4)
        #expect(m.labels["endpointslice.kubernetes.io/managed-by"] == "lighthouse-agent.submariner.io")
        #expect(m.labels["lighthouse.submariner.io/is-headless"] == "false")
        #expect(m.labels["weight"] == "3")
        #expect(m.labels["app"] == "web")
        #expect(m.annotations["origin-name"] == "x")
        #expect(m == ObjectMeta(name: "x", namespace: "n",
                                labels: ["app": "web", "weight": "3", "lighthouse.submariner.io/is-headless": "false",
                                         "endpointslice.kubernetes.io/managed-by": "lighthouse-agent.submariner.io"],
                                annotations: ["origin-name": "x"]))
    }

    @Test func addressesKeepTheirBytesAndOrder() throws {
        let v4 = try #require(IPAddress("192.0.2.72"))
        #expect(v4.bytes == [192, 0, 2, 72])
        #expect(!v4.isIPv6)
        #expect(v4.description == "192.0.2.72")
        #expect(v4.dashed == "192-0-2-72")
        let v6 = try #require(IPAddress("2001:db8:3::5"))
        #expect(v6.bytes == [0x20, 0x01, 0x0d, 0xb8, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5])
        #expect(v6.isIPv6)
        #expect(v6.description == "2001:db8:3::5")
        #expect(IPAddress(bytes: v6.bytes) == v6)
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        // IPv4 before IPv6, then numeric (the byte order), as the sorted answers need.
        let sorted = ["10.0.0.10", "::1", "10.0.0.9", "9.255.255.255", "2001:db8::1"].compactMap(IPAddress.init).sorted()
        #expect(sorted.map(\.description) == ["9.255.255.255", "10.0.0.9", "10.0.0.10", "::1", "2001:db8::1"])
        #expect(Set([ip("10.0.0.1"), ip("10.0.0.1"), ip("::a00:1")]).count == 2)
    }

    /// Packed pairs hold any string: the one-byte common ones, empty, non-ASCII, and
    /// values of 254 bytes and more (annotations can be long); equal pairs are equal
    /// whatever their order of arrival.
    @Test func packedLabelsHoldLongAndCommonStrings() {
        let long = String(repeating: "a\u{e9}", count: 200)  // 600 bytes of UTF-8
        let edge = String(repeating: "x", count: 253)
        var l = StringPairs(["note": long, "lighthouse.submariner.io/is-headless": "false", "empty": "", "edge": edge,
                             "endpointslice.kubernetes.io/managed-by": "lighthouse-agent.submariner.io", "k\u{e4}y": "v"])
        #expect(l["note"] == long)
        #expect(l["edge"] == edge)
        #expect(l["empty"] == "")
        #expect(l["k\u{e4}y"] == "v")
        #expect(l["lighthouse.submariner.io/is-headless"] == "false")
        #expect(l["endpointslice.kubernetes.io/managed-by"] == "lighthouse-agent.submariner.io")
        #expect(l["lighthouse-agent.submariner.io"] == nil, "a common value is not a key")
        #expect(l.count == 6)
        #expect(l.map(\.key) == ["edge", "empty", "endpointslice.kubernetes.io/managed-by", "k\u{e4}y",
                                 "lighthouse.submariner.io/is-headless", "note"])
        l["edge"] = String(repeating: "x", count: 254)
        #expect(l["edge"]?.utf8.count == 254)
        l["note"] = nil
        #expect(l["note"] == nil && l.count == 5)
        #expect(l["k\u{e4}y"] == "v", "pairs after a removed one are still found")
        #expect(StringPairs().isEmpty && !l.isEmpty)
        #expect(StringPairs(["a": "true", "b": "x"]) == ["b": "x", "a": "true"])
        #expect(StringPairs(["a": "true"]) != StringPairs(["a": "false"]))
    }

    /// One address is held inline, none or several as a list; both read the same.
    @Test func endpointAddressesReadTheSameInlineOrListed() {
        let one: IPAddresses = [ip("10.0.0.1")]
        #expect(Array(one) == [ip("10.0.0.1")])
        #expect(one.first == ip("10.0.0.1") && one.count == 1)
        let none = IPAddresses([])
        #expect(none.isEmpty && none.first == nil)
        let two = IPAddresses([ip("10.0.0.1"), ip("::1")])
        #expect(two.map(\.description) == ["10.0.0.1", "::1"])
        #expect(two != one && IPAddresses([ip("10.0.0.1")]) == one)
        let e = EndpointSlice.Endpoint(addresses: [ip("10.0.0.2")])
        #expect(e.addresses.map(\.description) == ["10.0.0.2"])
    }

    /// An endpoint's DNS name is its hostname, else its Pod's name: with a hostname the
    /// Pod's name is not kept (no answer uses it).
    @Test func endpointKeepsTheNameAnswersUse() throws {
        var e = EndpointSlice.Endpoint(addresses: [ip("10.0.0.1")], hostname: "web-0", podName: "web-5f7")
        #expect(e.hostname == "web-0" && e.podName == nil)
        e.hostname = nil
        #expect(e.hostname == nil && e.podName == nil)
        e.podName = "web-5f7"
        #expect(e.podName == "web-5f7")
        e.hostname = "web-1"
        #expect(e.hostname == "web-1" && e.podName == nil)
        let json = #"{"addresses":["10.0.0.2"],"hostname":"Db-0","targetRef":{"kind":"Pod","name":"db-abc"}}"#
        let decoded = try JSONDecoder().decode(EndpointSlice.Endpoint.self, from: Data(json.utf8))
        #expect(decoded.hostname == "db-0" && decoded.podName == nil)
        let pod = try JSONDecoder().decode(EndpointSlice.Endpoint.self, from: Data(#"{"addresses":["10.0.0.3"],"targetRef":{"name":"Db-XYZ"}}"#.utf8))
        #expect(pod.hostname == nil && pod.podName == "db-xyz")
        #expect(decoded != pod)
    }
}
