import DNSWire
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 16's measure: a headless service exported by the lab's three clusters, `sextant
/// serve` reading cluster 1's gateway status from its zones folder (`--status-file`); the
/// underlay between clusters 1 and 2 cut twenty times: the time from the cut to the first
/// answer without cluster 2's address, and from the heal to the first answer with it.
extension GatewayLabTests {
    @Test func cutClusterLeavesTheAnswersAndComesBack() throws {
        let lab = try GatewayLab()
        let zones = lab.folder + "/zones"
        try FileManager.default.createDirectory(atPath: zones, withIntermediateDirectories: true)
        try headlessService(prefix: lab.prefix).write(toFile: zones + "/web.json", atomically: true, encoding: .utf8)
        try lab.start(1, "wireguard", ["--status-file", zones + "/gateway-gw1.json", "--http", "127.0.0.1:9155"])
        try lab.start(2, "wireguard")
        try lab.start(3, "wireguard")
        #expect(try lab.check(within: 20).passed == 18)
        let dns = try SextantProcess(["--zones", zones, "--cluster-id", lab.prefix + "c1", "--ttl", "0"])
        defer { dns.stop() }
        let all: Set<String> = ["10.1.0.2", "10.2.0.2", "10.3.0.2"]
        let withoutTwo: Set<String> = ["10.1.0.2", "10.3.0.2"]
        #expect(poll(dns.port, within: 10) { $0 == all } != nil, "never saw all three clusters")

        var cut: [Double] = [], healed: [Double] = [], wrong: [String] = []
        for round in 1...20 {
            try lab.cut(1, 2)
            let gone = poll(dns.port, within: 8) { answer in
                if answer != all && answer != withoutTwo { wrong.append("round \(round) after cut: \(answer.sorted())") }
                return answer == withoutTwo
            }
            if let g = gone { cut.append(g) } else { Issue.record("round \(round): cluster 2 never left the answer") }
            Thread.sleep(forTimeInterval: 0.3)
            try lab.heal()
            let back = poll(dns.port, within: 8) { answer in
                if answer != all && answer != withoutTwo { wrong.append("round \(round) after heal: \(answer.sorted())") }
                return answer == all
            }
            if let b = back { healed.append(b) } else { Issue.record("round \(round): cluster 2 never came back") }
            Thread.sleep(forTimeInterval: 0.7)
        }
        #expect(wrong.isEmpty, "\(wrong)")
        let c = summary(cut), h = summary(healed)
        print("gateway withdrawal: cut → withdrawn p50 \(c.p50) s, p99 \(c.p99) s, max \(c.max) s; heal → back p50 \(h.p50) s, p99 \(h.p99) s, max \(h.max) s (20 rounds, WireGuard, 0.5 s probes, 4 lost)")
        #expect(cut.count == 20 && healed.count == 20)
        #expect(c.p99Value < 3.0, "cut → withdrawn p99 \(c.p99) s")
        #expect(h.p99Value < 2.0, "heal → back p99 \(h.p99) s")
        // The status file is Submariner's Gateway object, as Lighthouse reads it.
        let status = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: zones + "/gateway-gw1.json"))) as? [String: Any]
        let st = status?["status"] as? [String: Any]
        #expect(status?["kind"] as? String == "Gateway" && st?["haStatus"] as? String == "active")
        #expect((st?["localEndpoint"] as? [String: Any])?["cluster_id"] as? String == lab.prefix + "c1")
        let conns = st?["connections"] as? [[String: Any]] ?? []
        #expect(conns.count == 2)
        #expect(conns.allSatisfy { $0["status"] as? String == "connected" && (($0["latencyRTT"] as? [String: Any])?["average"] as? String)?.hasSuffix("s") == true })
        #expect(((status?["metadata"] as? [String: Any])?["annotations"] as? [String: String])?["update-timestamp"].flatMap { Int($0) } != nil)
        // The gateway's own metrics: each connection's status, RTT and bytes.
        let metrics = try lab.exec("gw1", ["curl", "-sf", "http://127.0.0.1:9155/metrics"]).output
        for c in [2, 3] {
            #expect(metrics.contains("sextant_gateway_connection_status{cluster=\"\(lab.prefix)c\(c)\",status=\"connected\"} 1"), "\(metrics)")
            #expect(metrics.contains("sextant_gateway_connection_rtt_seconds{cluster=\"\(lab.prefix)c\(c)\",stat=\"average\"} 0."))
            let rx = metrics.split(separator: "\n").first { $0.hasPrefix("sextant_gateway_connection_rx_bytes_total{cluster=\"\(lab.prefix)c\(c)\"}") }
            #expect(rx.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } }.map { $0 > 1000 } == true, "\(rx ?? "no rx line")")
        }
        #expect(try lab.exec("gw1", ["curl", "-sf", "http://127.0.0.1:9155/health"]).output == "ok\n")
        // SIGTERM: the gateway's last status says passive with no connection; only the local cluster answers.
        #expect(lab.signal(1, SIGTERM))
        #expect(poll(dns.port, within: 5) { $0 == ["10.1.0.2"] } != nil)
    }

    /// Asks every 20 ms until `done` holds; the seconds it took, nil after `within`.
    private func poll(_ port: UInt16, within seconds: Double, _ done: (Set<String>) -> Bool) -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            if let reply = RawClient.udp(query("web.demo.svc.clusterset.local", .a), port: port, timeout: 1),
               let m = try? Message(decoding: reply), m.rcode == .noError {
                if done(Set(m.answers.map(\.presentationData))) { return Date().timeIntervalSince(start) }
            }
            usleep(20_000)
        }
        return nil
    }

    private func summary(_ values: [Double]) -> (p50: String, p99: String, max: String, p99Value: Double) {
        let v = values.sorted()
        guard !v.isEmpty else { return ("-", "-", "-", .infinity) }
        func at(_ q: Double) -> Double { v[min(v.count - 1, Int((q * Double(v.count)).rounded(.up)) - 1)] }
        let f = { (x: Double) in String(format: "%.2f", x) }
        return (f(at(0.5)), f(at(0.99)), f(v[v.count - 1]), at(0.99))
    }

    /// A headless service `web.demo` with one ready pod in each lab cluster.
    private func headlessService(prefix: String) -> String {
        var items: [[String: Any]] = [["apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceImport",
                                       "metadata": ["name": "web", "namespace": "demo"], "spec": ["type": "Headless", "ports": []]]]
        for i in 1...3 {
            items.append(["apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                          "metadata": ["name": "web-\(prefix)c\(i)", "namespace": "demo", "labels": [
                            "endpointslice.kubernetes.io/managed-by": "lighthouse-agent.submariner.io",
                            "multicluster.kubernetes.io/service-name": "web",
                            "lighthouse.submariner.io/sourceNamespace": "demo",
                            "multicluster.kubernetes.io/source-cluster": "\(prefix)c\(i)",
                            "lighthouse.submariner.io/is-headless": "true"]],
                          "addressType": "IPv4",
                          "endpoints": [["addresses": ["10.\(i).0.2"], "conditions": ["ready": true]]]])
        }
        let data = (try? JSONSerialization.data(withJSONObject: ["apiVersion": "v1", "kind": "List", "items": items])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
