import AnswerTable
import ClusterSet
import Foundation
import Testing

/// `KubeObject.jsonObject` (the state file's form) decodes back to an equal object, for
/// every field the answers depend on.
@Suite struct ObjectJSONTests {
    static func roundTrip(_ o: KubeObject) throws -> KubeObject {
        let data = try JSONSerialization.data(withJSONObject: o.jsonObject)
        return try KubeObject.decode(kind: o.key.kind, json: data)
    }

    @Test func everyKindComesBackEqual() throws {
        let objects: [KubeObject] = [
            serviceImport("web", "shop", ips: ["10.0.0.10", "2001:db8::10"],
                          ports: [ServicePort(name: "http", proto: "TCP", port: 80), ServicePort(name: "", proto: "UDP", port: 53)],
                          annotations: ["sextant.io/weight.c1": "3"]),
            serviceImport("db", "shop", type: .headless, ports: []),
            clusterSlice("web", "shop", cluster: "c1", address: "10.0.0.1", ready: false),
            headlessSlice("db", "shop", cluster: "c2", endpoints: [
                .init(addresses: [ip("10.1.0.1")], ready: true, hostname: "db-0"),
                .init(addresses: [ip("10.1.0.2"), ip("10.1.0.3")], ready: nil, podName: "db-1"),
                .init(addresses: [ip("10.1.0.4")], ready: false),
            ]),
            headlessSlice("db", "shop", cluster: "c2", endpoints: [.init(addresses: [ip("2001:db8::1")])], v6: true),
        ]
        for o in objects { #expect(try Self.roundTrip(o) == o, "\(o.key)") }
    }

    @Test func gatewaysComeBackEqual() throws {
        let json = #"""
            {"apiVersion": "submariner.io/v1", "kind": "Gateway", "metadata": {"name": "gw", "namespace": "submariner-operator", "resourceVersion": "42"},
             "status": {"haStatus": "active", "localEndpoint": {"cluster_id": "c1"},
                        "connections": [{"status": "connected", "endpoint": {"cluster_id": "c2"}}, {"status": "error", "endpoint": {"cluster_id": "c3"}}]}}
            """#
        let g = try KubeObject.decode(kind: .gateway, json: Data(json.utf8))
        #expect(try Self.roundTrip(g) == g)
        let passive = try KubeObject.decode(kind: .gateway, json: Data(#"{"metadata": {"name": "gw2", "namespace": "x"}, "status": {"haStatus": "passive"}}"#.utf8))
        #expect(try Self.roundTrip(passive) == passive)
    }
}
