import Foundation
import Gateway
import Logging
import Testing

/// The gateway's status published to an API server (the Kubernetes API test server):
/// Submariner's Gateway object with its `update-timestamp` annotation and status, which
/// the DNS side (the same reflector and store `sextant serve` uses) reads as Lighthouse
/// does: an active Gateway's connected clusters answer, the others do not.
@Suite struct GatewayStatusAPITests {
    func endpoint(_ cluster: String, _ ip: String) -> EndpointSpec {
        EndpointSpec(clusterID: cluster, cableName: EndpointSpec.cableName(clusterID: cluster, privateIP: ip), healthCheckIP: "10.9.9.1",
                     hostname: "gw-\(cluster)", subnets: ["10.9.0.0/16"], privateIP: ip, publicIP: ip, backend: "wireguard",
                     backendConfig: ["udp-port": "4500", "publicKey": "AZQKl6VUv3JJ7efHyp0LhiBabPvX1NrH/R8QoD4Cp3g="])
    }

    func gateway(_ east: Connection.Status) -> GatewayObject {
        let rtt = LatencyRTT(last: GoDuration(nanoseconds: 855_257), min: GoDuration(nanoseconds: 797_579), average: GoDuration(nanoseconds: 2_283_600),
                             max: GoDuration(nanoseconds: 5_990_410), stdDev: GoDuration(nanoseconds: 1_966_830))
        return GatewayObject(metadata: ObjectMeta(name: "gw-west", annotations: ["update-timestamp": "\(Int(Date().timeIntervalSince1970))"]),
                             status: GatewayStatus(version: "sextant-0.1", haStatus: .active, localEndpoint: endpoint("west", "192.168.9.1"),
                                                   connections: [Connection(status: east, endpoint: endpoint("east", "192.168.9.2"),
                                                                            usingIP: "192.168.9.2", latencyRTT: rtt)]))
    }

    @Test func publishedStatusDrivesTheAnswers() throws {
        let api = try KubeTestServer(objects: [Objects.serviceImport("web"), Objects.slice("web", cluster: "east", ip: "10.9.5.2")], gatewayType: true)
        let kubeconfig = try api.kubeconfig()
        let publisher = try StatusPublisher(target: .api(.kubeconfig(kubeconfig, context: nil), namespace: "submariner-operator"), logger: Logger(label: "t"))
        let h = try SyncHarness(api: api, localCluster: "west")
        let name = "web.default.svc.clusterset.local"
        // The Gateway type is served and no Gateway exists: only west (which exports nothing) is connected.
        #expect(eventually { h.sync.isSynced && h.addresses(name) == [] })

        try publisher.publish(gateway(.connected))
        #expect(eventually { h.addresses(name) == ["10.9.5.2"] })
        let stored = try api.objects().first { $0["kind"] as? String == "Gateway" }
        let meta = stored?["metadata"] as? [String: Any]
        #expect(meta?["name"] as? String == "gw-west" && meta?["namespace"] as? String == "submariner-operator")
        #expect((meta?["annotations"] as? [String: String])?["update-timestamp"].flatMap { Int($0) } != nil)
        let status = stored?["status"] as? [String: Any]
        #expect(status?["haStatus"] as? String == "active")
        let conn = (status?["connections"] as? [[String: Any]])?.first
        #expect(conn?["status"] as? String == "connected" && conn?["usingIP"] as? String == "192.168.9.2")
        #expect((conn?["latencyRTT"] as? [String: String])?["average"] == "2.2836ms")
        #expect(((conn?["endpoint"] as? [String: Any])?["cluster_id"]) as? String == "east")
        // The status subresource was written (PUT …/status), after the object itself.
        let paths = try api.requests().filter { $0.0 == "PUT" || $0.0 == "POST" }.map { "\($0.0) \($0.1)" }
        #expect(paths.contains { $0.hasPrefix("PUT ") && $0.hasSuffix("/namespaces/submariner-operator/gateways/gw-west/status") }, "\(paths)")

        try publisher.publish(gateway(.error))
        #expect(eventually { h.addresses(name) == [] })
        try publisher.publish(gateway(.connected))
        #expect(eventually { h.addresses(name) == ["10.9.5.2"] })
        // A stopped gateway says passive with no connections: east is left out again.
        publisher.publishStopped(gateway(.connected))
        #expect(eventually { h.addresses(name) == [] })
    }
}
