import Foundation
import Gateway
import Logging
import Testing

/// The gateway's exchange through a broker namespace, against the Kubernetes API test
/// server: Cluster and Endpoint created (then replaced), the other clusters' objects
/// listed and watched, an older Endpoint of this cluster deleted, the Endpoint withdrawn.
@Suite struct BrokerExchangeTests {
    static let namespace = "submariner-k8s-broker"

    func endpoint(_ cluster: String, ip: String, key: String = "AZQKl6VUv3JJ7efHyp0LhiBabPvX1NrH/R8QoD4Cp3g=") -> EndpointObject {
        let spec = EndpointSpec(clusterID: cluster, cableName: EndpointSpec.cableName(clusterID: cluster, privateIP: ip), healthCheckIP: "10.9.0.1",
                                hostname: "gw-\(cluster)", subnets: ["100.70.0.0/16", "10.70.0.0/16"], privateIP: ip, publicIP: ip,
                                backend: "wireguard", backendConfig: ["publicKey": key, "udp-port": "4500"])
        return EndpointObject(metadata: ObjectMeta(name: spec.objectName), spec: spec)
    }

    @Test func publishesReadsReplacesAndWithdraws() throws {
        let server = try KubeTestServer()
        let kubeconfig = try server.kubeconfig()
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let exchange = try BrokerExchange(choice: .kubeconfig(kubeconfig, context: nil), namespace: Self.namespace, logger: logger)
        // Another cluster is already there, and an old Endpoint of ours from another address.
        let remote = endpoint("east", ip: "192.168.9.2")
        let old = endpoint("west", ip: "192.168.9.99")
        for e in [remote, old] {
            var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(e)) as? [String: Any] ?? [:]
            var meta = json["metadata"] as? [String: Any] ?? [:]
            meta["namespace"] = Self.namespace
            json["metadata"] = meta
            try server.apply(json)
        }
        try exchange.start {}
        defer { exchange.stop() }
        #expect(eventually { exchange.current().endpoints.count == 2 })

        let mine = endpoint("west", ip: "192.168.9.1")
        let cluster = ClusterObject(metadata: ObjectMeta(name: "west"), spec: ClusterSpec(clusterID: "west", serviceCIDR: ["100.70.0.0/16"], clusterCIDR: ["10.70.0.0/16"]))
        try exchange.publish(cluster: cluster, endpoint: mine)
        let names = { try server.objects().compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String } }
        #expect(eventually { (try? names()).map { Set($0) == [remote.metadata.name, mine.metadata.name, "west"] } ?? false })
        let stored = try server.objects().first { ($0["metadata"] as? [String: Any])?["name"] as? String == mine.metadata.name }
        let spec = stored?["spec"] as? [String: Any]
        #expect(spec?["cluster_id"] as? String == "west")
        #expect(spec?["private_ip"] as? String == "192.168.9.1")
        #expect((spec?["backend_config"] as? [String: String])?["publicKey"] == "AZQKl6VUv3JJ7efHyp0LhiBabPvX1NrH/R8QoD4Cp3g=")
        #expect((stored?["metadata"] as? [String: Any])?["namespace"] as? String == Self.namespace)
        #expect(eventually { Set(exchange.current().endpoints.map(\.spec.privateIP)) == ["192.168.9.2", "192.168.9.1"] })
        #expect(exchange.current().clusters.map(\.spec.clusterID) == ["west"])

        // Published again with a new key: replaced in place (HTTP 409 then PUT).
        let rotated = endpoint("west", ip: "192.168.9.1", key: "hHQFq7zw5rWMrjSnwWnQYKQk8uKlBBOY0jrJdm3DeFI=")
        try exchange.publish(cluster: cluster, endpoint: rotated)
        #expect(eventually { exchange.current().endpoints.first { $0.spec.privateIP == "192.168.9.1" }?.spec.backendConfig["publicKey"]
            == "hHQFq7zw5rWMrjSnwWnQYKQk8uKlBBOY0jrJdm3DeFI=" })
        let methods = try server.requests().map(\.0)
        #expect(methods.contains("PUT") && methods.contains("DELETE"))

        try exchange.withdraw(clusterID: "west", endpointName: mine.metadata.name)
        #expect(eventually { exchange.current().endpoints.map(\.spec.clusterID) == ["east"] })
        // Withdrawing twice is no error (404 is "already gone").
        try exchange.withdraw(clusterID: "west", endpointName: mine.metadata.name)
    }

    @Test func aBrokerThatRefusesWritesIsAClearError() throws {
        let server = try KubeTestServer()
        // The server now wants another token than the kubeconfig's fixed one.
        try server.rotateToken("another-token")
        let kubeconfig = try server.kubeconfig(.token)
        let exchange = try BrokerExchange(choice: .kubeconfig(kubeconfig, context: nil), namespace: Self.namespace, logger: Logger(label: "test"))
        let cluster = ClusterObject(metadata: ObjectMeta(name: "west"), spec: ClusterSpec(clusterID: "west", serviceCIDR: [], clusterCIDR: []))
        #expect {
            try exchange.publish(cluster: cluster, endpoint: endpoint("west", ip: "192.168.9.1"))
        } throws: { error in
            "\(error)".contains("publishing to the broker") && "\(error)".contains("401")
        }
    }
}
