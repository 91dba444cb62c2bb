import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `sextant gateway` in a three-cluster lab of network namespaces: every pod → remote
/// pod, pod → remote service VIP and gateway → remote health-check IP path (18), for
/// WireGuard and VXLAN; restarts that adopt instead of duplicating; SIGTERM that leaves
/// the namespace as it was; a CNI-like masquerade that must not rewrite pod addresses;
/// NAT; MTU without fragments. One lab at a time (wireguard-go is CPU-bound on 2 cores).
@Suite(.serialized, .enabled(if: GatewayLab.canRun, "network namespaces need root"))
struct GatewayLabTests {
    @Test func wireguardConnectsAdoptsAndCleansUp() throws {
        let lab = try GatewayLab(["--masquerade"])
        let before = try lab.snapshot(1)
        let started = Date()
        for i in 1...3 { try lab.start(i, "wireguard") }
        let first = try lab.check(within: 20)
        #expect(first.passed == 18 && first.failed == 0, "\(first.text)\n\(lab.log(1))")
        print("gateway lab: wireguard, 3 clusters, all 18 paths up after \(String(format: "%.2f", Date().timeIntervalSince(started))) s")

        // The CNI's MASQUERADE is passed: the remote pod sees the pod's own address.
        #expect(try sourceSeen(lab, from: "pod1", to: "pod2", address: "10.2.0.2") == "10.1.0.2")
        #expect(try sourceSeen(lab, from: "pod3", to: "pod1", address: "10.1.0.2") == "10.3.0.2")

        // SIGKILL and a restart: the running wireguard-go and the routes are adopted, not doubled.
        #expect(lab.signal(1, SIGKILL))
        try lab.start(1, "wireguard")
        let again = try lab.check(within: 20)
        #expect(again.passed == 18, "\(again.text)")
        #expect(lab.waitForLog(1, "adopting the running wireguard-go"))
        let peers = try lab.exec("gw1", ["wg", "show", lab.device + "1", "peers"]).output.split(separator: "\n")
        #expect(peers.count == 2)
        let routes = try lab.exec("gw1", ["ip", "route", "show", "table", "150"]).output.split(separator: "\n")
        #expect(routes.count == 4, "\(routes)")
        #expect(routes.allSatisfy { $0.contains("src 10.1.0.1") && $0.contains("proto static") })
        let rules = try lab.exec("gw1", ["ip", "rule", "show"]).output.split(separator: "\n").filter { $0.hasPrefix("150:") }
        #expect(rules.count == 1)
        let jumps = try lab.exec("gw1", ["iptables", "-t", "nat", "-S", "POSTROUTING"]).output.split(separator: "\n")
        #expect(jumps.filter { $0 == "-A POSTROUTING -j SEXTANT-POSTROUTING" }.count == 1)
        #expect(jumps.first { $0.hasPrefix("-A ") } == "-A POSTROUTING -j SEXTANT-POSTROUTING")

        // SIGTERM: everything it made is gone, the others drop it.
        #expect(lab.signal(1, SIGTERM))
        #expect(try lab.snapshot(1) == before)
        #expect(!FileManager.default.fileExists(atPath: "/var/run/wireguard/\(lab.device)1.sock"))
        let left = try SpawnedProcess.run(["/usr/bin/pgrep", "-f", "wireguard-go -f \(lab.device)1$"])
        #expect(left.status == 1, "wireguard-go still runs: \(left.output)")
        var remaining: [Substring] = []
        let deadline = Date().addingTimeInterval(5)
        repeat {
            remaining = try lab.exec("gw2", ["wg", "show", lab.device + "2", "peers"]).output.split(separator: "\n")
            if remaining.count == 1 { break }
            usleep(100_000)
        } while Date() < deadline
        #expect(remaining.count == 1)
        #expect(lab.log(1).contains("gateway stopped; everything it made is removed"))
    }

    @Test func vxlanConnectsAndReplacesAnEarlierWireGuard() throws {
        let lab = try GatewayLab(["--masquerade"])
        let before = try lab.snapshot(1)
        // A WireGuard gateway killed without its clean-up; the VXLAN one removes what it made.
        try lab.start(1, "wireguard")
        Thread.sleep(forTimeInterval: 1)
        #expect(lab.signal(1, SIGKILL))
        let started = Date()
        // UDP probes to the other gateways' responders (what runs without CAP_NET_RAW).
        for i in 1...3 { try lab.start(i, "vxlan", ["--health-probe", "udp", "--http", "127.0.0.1:9155"]) }
        let r = try lab.check(within: 20)
        #expect(r.passed == 18 && r.failed == 0, "\(r.text)\n\(lab.log(1))")
        print("gateway lab: vxlan, 3 clusters, all 18 paths up after \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        #expect(lab.waitForLog(1, "an earlier run used another cable"))
        let rules = try lab.exec("gw1", ["ip", "rule", "show"]).output
        #expect(rules.contains("100:\tfrom all lookup 100") && !rules.contains("150:"))
        let fdb = try lab.exec("gw1", ["bridge", "fdb", "show", "dev", lab.device + "1"]).output
        #expect(fdb.contains("00:00:00:00:00:00 dst 192.168.77.12") && fdb.contains("00:00:00:00:00:00 dst 192.168.77.13"))
        let routes = try lab.exec("gw1", ["ip", "route", "show", "table", "100"]).output
        #expect(routes.contains("10.2.0.0/16 via 241.168.77.12") && routes.contains("onlink") && routes.contains("src 10.1.0.1"))
        #expect(try sourceSeen(lab, from: "pod2", to: "pod3", address: "10.3.0.2") == "10.2.0.2")
        #expect(lab.waitForLog(1, "probe=udp"))
        var metrics = ""
        let deadline = Date().addingTimeInterval(5)
        repeat {
            metrics = try lab.exec("gw1", ["curl", "-sf", "http://127.0.0.1:9155/metrics"]).output
            if metrics.contains("cluster=\"\(lab.prefix)c3\",stat=\"average\"") && metrics.contains("cluster=\"\(lab.prefix)c2\",stat=\"average\"") { break }
            usleep(200_000)
        } while Date() < deadline
        for c in [2, 3] {
            #expect(metrics.contains("sextant_gateway_connection_status{cluster=\"\(lab.prefix)c\(c)\",status=\"connected\"} 1"), "\(metrics)")
            #expect(metrics.contains("sextant_gateway_connection_rtt_seconds{cluster=\"\(lab.prefix)c\(c)\",stat=\"average\"}"), "\(metrics)")
        }

        #expect(lab.signal(1, SIGKILL))
        try lab.start(1, "vxlan", ["--health-probe", "udp"])
        #expect(try lab.check(within: 20).passed == 18)
        #expect(try lab.exec("gw1", ["bridge", "fdb", "show", "dev", lab.device + "1"]).output.split(separator: "\n")
            .filter { $0.hasPrefix("00:00:00:00:00:00") }.count == 2)
        #expect(lab.signal(1, SIGTERM))
        #expect(try lab.snapshot(1) == before)
    }

    @Test func wireguardCrossesAMasqueradingRouter() throws {
        let lab = try GatewayLab(["--nat3"])
        for i in 1...3 { try lab.start(i, "wireguard") }
        let r = try lab.check(within: 30)
        #expect(r.passed == 18 && r.failed == 0, "\(r.text)\n\(lab.log(1))\n\(lab.log(3))")
        // Cluster 1 reaches cluster 3 at the router's address and says so.
        #expect(lab.waitForLog(1, "cluster=\(lab.prefix)c3 message= status=connected using-ip=192.168.77.33 using-nat=true"), "\(lab.log(1))")
        let endpoints = try lab.exec("gw1", ["wg", "show", lab.device + "1", "endpoints"]).output
        #expect(endpoints.contains("192.168.77.33:"))
    }

    @Test(arguments: [("wireguard", 1340), ("vxlan", 1350)])
    func tunnelMTUAvoidsFragments(backend: String, tunnelMTU: Int) throws {
        let lab = try GatewayLab(["--mtu", "1400"])
        for i in 1...3 { try lab.start(i, backend) }
        #expect(try lab.check(within: 20).passed == 18)
        let mtu = try lab.exec("gw1", ["cat", "/sys/class/net/\(lab.device)1/mtu"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(mtu == "\(tunnelMTU)")
        // The largest packet that fits passes with DF; one byte more is refused with the tunnel MTU.
        let fits = try lab.exec("pod1", ["ping", "-c", "1", "-W", "2", "-M", "do", "-s", "\(tunnelMTU - 28)", "10.2.0.2"])
        #expect(fits.status == 0, "\(fits.output)")
        let over = try lab.exec("pod1", ["ping", "-c", "1", "-W", "2", "-M", "do", "-s", "\(tunnelMTU - 27)", "10.2.0.2"])
        #expect(over.status != 0 && over.output.contains("mtu = \(tunnelMTU)"), "\(over.output)")
        // A TCP stream (MSS clamped to the path MTU) creates no IP fragment anywhere.
        let server = try SpawnedProcess(["/usr/bin/ip", "netns", "exec", lab.prefix + "pod2", "iperf3", "-s", "-1", "-p", "5201"],
                                        log: "/tmp/\(lab.prefix)-lab/iperf-server.log")
        defer { server.stop() }
        Thread.sleep(forTimeInterval: 0.5)
        let client = try lab.exec("pod1", ["iperf3", "-c", "10.2.0.2", "-p", "5201", "-t", "3", "-J"])
        #expect(client.status == 0, "\(client.output.suffix(500))")
        if let data = client.output.data(using: .utf8), let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
           let end = json["end"] as? [String: Any], let sum = end["sum_received"] as? [String: Any], let bps = sum["bits_per_second"] as? Double {
            print("gateway lab: \(backend) iperf3 pod → pod over a 1400-byte underlay: \(Int(bps / 1e6)) Mbit/s")
            #expect(bps > 1e6)
        } else {
            Issue.record("iperf3 printed no result: \(client.output.suffix(500))")
        }
        for ns in ["gw1", "gw2", "pod1", "pod2"] {
            let snmp = try lab.exec(ns, ["nstat", "-az", "IpFragCreates"]).output
            let count = snmp.split(separator: "\n").first { $0.hasPrefix("IpFragCreates") }?.split(whereSeparator: \.isWhitespace).dropFirst().first
            #expect(count == "0", "\(ns): \(snmp)")
        }
    }

    @Test func aPortClashIsAClearError() throws {
        let lab = try GatewayLab()
        // A VXLAN device already holds UDP 4500 in gateway 1's namespace.
        let add = try lab.exec("gw1", ["ip", "link", "add", "other", "type", "vxlan", "id", "7", "dstport", "4500", "local", "192.168.77.11", "dev", "eth0"])
        #expect(add.status == 0, "\(add.output)")
        #expect(try lab.exec("gw1", ["ip", "link", "set", "other", "up"]).status == 0)
        try lab.start(1, "wireguard")
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, let p = lab.pid(1), kill(p, 0) == 0 { usleep(50_000) }
        #expect(lab.log(1).contains("UDP port 4500 is in use in this network namespace"), "\(lab.log(1))")
        // It cleaned up what it had started: no device of its own, no rule.
        #expect(!(try lab.exec("gw1", ["ip", "link", "show"]).output.contains(lab.device + "1")))
        #expect(!FileManager.default.fileExists(atPath: "/var/run/wireguard/\(lab.device)1.sock"))
    }

    /// Connects from one pod to another over TCP; the source address the far end saw.
    private func sourceSeen(_ lab: GatewayLab, from: String, to: String, address: String) throws -> String {
        let out = "/tmp/\(lab.prefix)-lab/seen-\(to).txt"
        let script = """
        import socket
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", 7001)); s.listen(1); s.settimeout(10)
        c, a = s.accept(); open("\(out)", "w").write(a[0]); c.close()
        """
        let server = try SpawnedProcess(["/usr/bin/ip", "netns", "exec", lab.prefix + to, "python3", "-c", script], log: out + ".log")
        defer { server.stop() }
        var connected = false
        for _ in 0..<20 where !connected {
            usleep(100_000)
            connected = try lab.exec(from, ["bash", "-c", "echo hi > /dev/tcp/\(address)/7001"]).status == 0
        }
        _ = server.wait()
        return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    }
}
