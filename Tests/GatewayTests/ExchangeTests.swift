import Foundation
@testable import Gateway
import Logging
import Testing

/// The folder exchange and the choice of peers from what it holds.
@Suite struct ExchangeTests {
    func spec(_ cluster: String, ip: String, subnets: [String]) -> EndpointSpec {
        EndpointSpec(clusterID: cluster, cableName: EndpointSpec.cableName(clusterID: cluster, privateIP: ip), healthCheckIP: "10.9.0.1",
                     subnets: subnets, privateIP: ip, backend: "wireguard", backendConfig: ["publicKey": "AZQKl6VUv3JJ7efHyp0LhiBabPvX1NrH/R8QoD4Cp3g="])
    }

    func publish(_ ex: FolderExchange, _ s: EndpointSpec, created: String) throws {
        try ex.publish(cluster: ClusterObject(metadata: ObjectMeta(name: s.clusterID), spec: ClusterSpec(clusterID: s.clusterID, serviceCIDR: [], clusterCIDR: [])),
                       endpoint: EndpointObject(metadata: ObjectMeta(name: s.objectName, creationTimestamp: created), spec: s))
    }

    @Test func folderPublishWatchAndWithdraw() throws {
        let dir = NSTemporaryDirectory() + "sextant-exchange-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = FolderExchange(directory: dir, logger: Logger(label: "a"))
        let b = FolderExchange(directory: dir, logger: Logger(label: "b"))
        let changes = Counter()
        try a.start {}
        try b.start { changes.add() }
        defer { a.stop(); b.stop() }
        try publish(a, spec("west", ip: "192.168.1.1", subnets: ["10.1.0.0/16"]), created: "2026-12-04T10:00:00Z")
        #expect(wait { changes.value > 0 })
        #expect(b.current().endpoints.map(\.spec.clusterID) == ["west"])
        #expect(b.current().clusters.map(\.spec.clusterID) == ["west"])
        // A file that does not parse is skipped; the others stay.
        try "{not json".write(toFile: dir + "/broken.json", atomically: true, encoding: .utf8)
        #expect(b.current().endpoints.count == 1)
        // No temporary file is left; the file is the cluster's name.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["broken.json", "west.json"])
        try a.withdraw(clusterID: "west", endpointName: "x")
        #expect(b.current().endpoints.isEmpty)
        try a.withdraw(clusterID: "west", endpointName: "x")
    }

    @Test func newestEndpointWinsAndOverlapsAreSkipped() throws {
        let config = GatewayConfiguration(clusterID: "west", backend: .wireguard, privateIP: IPv4("192.168.1.1")!, publicIP: nil,
                                          healthCheckIP: IPv4("10.1.0.1")!, serviceCIDRs: [IPv4Network("100.65.0.0/16")!],
                                          clusterCIDRs: [IPv4Network("10.1.0.0/16")!], hostname: "gw", interface: "t", port: 4500,
                                          pskText: nil, mtu: nil, stateDirectory: "/nonexistent", packetFilter: "none")
        let dir = NSTemporaryDirectory() + "sextant-exchange-\(UUID().uuidString.prefix(8))"
        let engine = try GatewayEngine(configuration: config, exchange: FolderExchange(directory: dir, logger: Logger(label: "t")), logger: Logger(label: "t"))
        func object(_ s: EndpointSpec, _ created: String) -> EndpointObject {
            EndpointObject(metadata: ObjectMeta(name: s.objectName, creationTimestamp: created), spec: s)
        }
        let peers = engine.selectPeers([
            object(spec("west", ip: "192.168.1.1", subnets: ["10.1.0.0/16"]), "2026-12-04T10:00:00Z"),      // ourselves
            object(spec("east", ip: "192.168.1.2", subnets: ["10.2.0.0/16"]), "2026-12-04T10:00:00Z"),
            object(spec("east", ip: "192.168.1.22", subnets: ["10.2.0.0/16"]), "2026-12-04T11:00:00Z"),    // newer: wins
            object(spec("east", ip: "192.168.1.23", subnets: ["10.2.0.0/16"]), "2026-12-04T09:00:00Z"),
            object(spec("south", ip: "192.168.1.3", subnets: ["10.1.128.0/17"]), "2026-12-04T10:00:00Z"),  // overlaps ours
            object(spec("north", ip: "192.168.1.4", subnets: ["100.68.0.0/16", "bogus"]), "2026-12-04T10:00:00Z"),
        ])
        #expect(peers.map(\.clusterID) == ["east"])
        #expect(peers.first?.endpoint.privateIP == "192.168.1.22")
        #expect(peers.first?.subnets == [IPv4Network("10.2.0.0/16")!])
    }

    func wait(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }
}

final class Counter: @unchecked Sendable {
    // @unchecked: the lock guards `n`.
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
