import Foundation
import Testing

/// `sextant show`: a running server's services, clusters and connections as tables, read
/// from its /debug/state.
@Suite struct ShowTests {
    static let gateway = """
        apiVersion: submariner.io/v1
        kind: Gateway
        metadata: {name: c1-gw, namespace: submariner-operator}
        status:
          haStatus: active
          localEndpoint: {cluster_id: c1, hostname: gw1}
          connections:
          - status: connected
            endpoint: {cluster_id: c2}
          - status: error
            statusMessage: "no reply"
            endpoint: {cluster_id: c3}

        """

    @Test func tablesOfARunningServer() throws {
        let objects = ForwarderTests.clusterSetIP("web", "shop", cluster: "c1", address: "10.60.0.1")
            + "---\n" + ForwarderTests.clusterSetIP("web", "shop", cluster: "c3", address: "10.60.0.3")
            + "---\n" + ForwarderTests.clusterSetIP("db", "shop", cluster: "c2", address: "10.60.0.2")
        let zones = try zonesFolder(["objects.yaml": objects, "gateway.yaml": Self.gateway])
        defer { try? FileManager.default.removeItem(atPath: zones) }
        let s = try SextantProcess(["--zones", zones])
        let url = "http://" + (try #require(s.httpAddress))
        func show(_ what: String) throws -> [[String]] {
            let r = try SextantProcess.runToExit(["show", what, "--server", url])
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        }
        let services = try show("services")
        #expect(services.first == ["NAMESPACE", "NAME", "TYPE", "CLUSTERSET", "IP", "CLUSTERS", "(ready/endpoints)"])
        #expect(services.dropFirst().map { Array($0.prefix(3)) } == [["shop", "db", "ClusterSetIP"], ["shop", "web", "ClusterSetIP"]])
        #expect(services[2].suffix(5) == ["c1", "1/1,", "c3", "1/1", "disconnected"], "\(services)")

        let clusters = try show("clusters")
        #expect(Array(clusters.dropFirst()) == [["c1", "yes", "yes", "1"], ["c2", "no", "yes", "1"], ["c3", "no", "no", "1"]])
        let connections = try show("connections")
        #expect(Array(connections.dropFirst()) == [["submariner-operator/c1-gw", "c2", "connected"], ["submariner-operator/c1-gw", "c3", "error"]])

        // No server there: one line, status 1.
        let r = try SextantProcess.runToExit(["show", "services", "--server", "http://127.0.0.1:1"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("cannot connect"), "\(r.stderr)")
        #expect(try SextantProcess.runToExit(["show", "pods"]).status == 2)
    }
}
