import Foundation
import Testing

/// Sextant behind the resolvers people put in front of it (cluster DNS forwarders):
/// Unbound (stub zone), dnsmasq (`server=/clusterset.local/...`), BIND 9 (forward zone)
/// and Knot Resolver (policy.STUB), each a real process on loopback. The demo names
/// resolve through each; NXDOMAIN and NODATA carry the SOA and are cached no longer than
/// its minimum; an answer over the UDP size arrives whole (TC, then TCP); a data change
/// shows once the TTL has passed.
@Suite(.serialized) struct ForwarderTests {
    /// Positive TTL and SOA minimum of the test zone: short, so that expiry is quick.
    static let ttl = 2
    /// Slack for polling and process scheduling on top of a TTL, in seconds.
    static let slack = 2.5

    static let zoneFile = """
        $ORIGIN clusterset.local.
        $TTL \(ttl)
        @   IN SOA ns.clusterset.local. hostmaster.clusterset.local. 1 7200 1800 86400 \(ttl)
            IN NS  ns.clusterset.local.
        ns  IN A   127.0.0.1
        """

    /// `web.shop`: one cluster, service IP `address`; `late.shop` only when `withLate`.
    static func shop(address: String, withLate: Bool) -> String {
        var text = clusterSetIP("web", "shop", cluster: "c1", address: address)
        if withLate { text += "---\n" + clusterSetIP("late", "shop", cluster: "c1", address: "10.9.9.9") }
        return text
    }

    static func clusterSetIP(_ svc: String, _ ns: String, cluster: String, address: String) -> String {
        """
        apiVersion: multicluster.x-k8s.io/v1alpha1
        kind: ServiceImport
        metadata: {name: \(svc), namespace: \(ns)}
        spec: {type: ClusterSetIP, ports: [{name: http, protocol: TCP, port: 80}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: \(svc)-\(cluster)
          namespace: \(ns)
          labels:
            endpointslice.kubernetes.io/managed-by: lighthouse-agent.submariner.io
            multicluster.kubernetes.io/source-cluster: \(cluster)
            multicluster.kubernetes.io/service-name: \(svc)
            lighthouse.submariner.io/sourceNamespace: \(ns)
            lighthouse.submariner.io/is-headless: "false"
        addressType: IPv4
        endpoints: [{addresses: ["\(address)"], conditions: {ready: true}}]
        ports: [{name: http, protocol: TCP, port: 80}]

        """
    }

    /// A headless service `<svc>.big` with `count` ready pods in cluster c1 (10.77.x.y).
    static func headless(_ svc: String, count: Int) -> String {
        let endpoints = (0..<count).map { "  - {addresses: [\"10.77.\($0 / 200).\($0 % 200 + 1)\"], conditions: {ready: true}}" }
        return """
            apiVersion: multicluster.x-k8s.io/v1alpha1
            kind: ServiceImport
            metadata: {name: \(svc), namespace: big}
            spec: {type: Headless, ports: [{name: tcp, protocol: TCP, port: 5432}]}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: \(svc)-c1
              namespace: big
              labels:
                endpointslice.kubernetes.io/managed-by: lighthouse-agent.submariner.io
                multicluster.kubernetes.io/source-cluster: c1
                multicluster.kubernetes.io/service-name: \(svc)
                lighthouse.submariner.io/sourceNamespace: big
                lighthouse.submariner.io/is-headless: "true"
            addressType: IPv4
            endpoints:
            \(endpoints.joined(separator: "\n"))
            ports: [{name: tcp, protocol: TCP, port: 5432}]

            """
    }

    /// The demo zones, the short-TTL zone file, `shop` and a 90-pod headless service
    /// (its A answer, ~1.5 KB, is over the 1,232 bytes every one of these resolvers
    /// advertises, so it comes truncated over UDP).
    static func folder() throws -> String {
        let demo = try String(contentsOfFile: repositoryZones + "/demo.yaml", encoding: .utf8)
        return try zonesFolder([
            "clusterset.local.zone": zoneFile, "demo.yaml": demo,
            "shop.yaml": shop(address: "10.9.0.1", withLate: false),
            "big.yaml": headless("pods", count: 90),
        ])
    }

    /// Polls `query` until `done` holds; the seconds it took, nil past `limit`.
    static func secondsUntil(limit: Double, _ query: () throws -> DigResult, _ done: (DigResult) -> Bool) rethrows -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < limit {
            if done(try query()) { return Date().timeIntervalSince(start) }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return nil
    }

    @Test(arguments: RecursivePeer.Kind.allCases)
    func namesResolveThroughAForwarder(kind: RecursivePeer.Kind) throws {
        let zones = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: zones) }
        let sextant = try SextantProcess(["--zones", zones, "--ttl", "\(Self.ttl)"])
        let peer = try RecursivePeer(kind, upstream: sextant.port)

        // The demo names.
        #expect(try peer.ask(["+short", "nginx.nginx-test.svc.clusterset.local"]).text == "11.96.112.197\n")
        #expect(try peer.ask(["+short", "SRV", "_http._tcp.nginx.nginx-test.svc.clusterset.local"]).text
            == "0 50 8080 nginx.nginx-test.svc.clusterset.local.\n")
        #expect(try peer.ask(["+short", "redis-slave.guestbook.svc.clusterset.local"]).text == "198.51.100.95\n")
        #expect(try peer.ask(["+short", "TXT", "dns-version.clusterset.local"]).text == "\"1.0.0\"\n")

        // NXDOMAIN and NODATA with the zone's SOA, its TTL at most the SOA minimum.
        for (name, type, status) in [("late.shop.svc.clusterset.local", "A", "NXDOMAIN"),
                                     ("nginx.nginx-test.svc.clusterset.local", "AAAA", "NOERROR"),
                                     ("nginx-test.svc.clusterset.local", "A", "NOERROR")] {
            let r = try peer.ask([name, type])
            #expect(r.status == status, "\(kind) \(name) \(type)")
            #expect(r.section("ANSWER").isEmpty, "\(kind) \(name) \(type)")
            let soa = try #require(r.section("AUTHORITY").first, "\(kind): no SOA with \(name) \(type)")
            #expect(soa.count > 4 && soa[0] == "clusterset.local." && soa[3] == "SOA", "\(kind) \(soa)")
            #expect(Int(soa[1]).map { $0 <= Self.ttl } == true, "\(kind): negative TTL \(soa[1]) over the SOA minimum")
        }

        // Over the UDP size: TC from Sextant to the resolver, which asks again over TCP;
        // dig, told TC by the resolver, does the same. All 90 arrive, over UDP and TCP.
        for transport in ["+notcp", "+tcp"] {
            let lines = try peer.ask(["+short", transport, "pods.big.svc.clusterset.local"]).text.split(separator: "\n")
            #expect(lines.count == 90, "\(kind) \(transport): \(lines.count) addresses")
            #expect(Set(lines).count == 90)
        }
        let udp = try peer.ask(["+ignore", "+bufsize=1232", "pods.big.svc.clusterset.local"])
        #expect(udp.flags.contains("tc") || udp.section("ANSWER").count == 90, "\(kind): \(udp.text)")

        // A change: web.shop moves to 10.9.0.2, late.shop appears (it was NXDOMAIN, so
        // cached negatively). Both show through the resolver once the TTL has passed.
        #expect(try peer.ask(["+short", "web.shop.svc.clusterset.local"]).text == "10.9.0.1\n")
        try Self.shop(address: "10.9.0.2", withLate: true).write(toFile: zones + "/shop.yaml", atomically: true, encoding: .utf8)
        sextant.signal(SIGHUP)
        let limit = Double(Self.ttl) + Self.slack
        let moved = try Self.secondsUntil(limit: limit, { try peer.ask(["+short", "web.shop.svc.clusterset.local"]) }) { $0.text == "10.9.0.2\n" }
        #expect(moved != nil, "\(kind): the new address did not show within \(limit) s")
        let appeared = try Self.secondsUntil(limit: limit, { try peer.ask(["+short", "late.shop.svc.clusterset.local"]) }) { $0.text == "10.9.9.9\n" }
        #expect(appeared != nil, "\(kind): the negative answer outlived the SOA minimum (\(limit) s)")
        // Sextant itself answers as before; the resolver kept running.
        #expect(try dig(sextant, ["+short", "web.shop.svc.clusterset.local"]) == "10.9.0.2\n")
        let log = peer.stopAndRead()
        #expect(!log.contains("assertion"), "\(kind): \(log)")
    }

    /// BIND 9.18 refuses to cache an RRset of more than 100 records (max-records-per-type):
    /// a headless service with 150 ready pods is SERVFAIL through it. `--max-records 100`
    /// makes each answer a window of 100 that moves on per query, and BIND answers it.
    @Test func bindNeedsACapOnLargeHeadlessAnswers() throws {
        let zones = try zonesFolder(["clusterset.local.zone": Self.zoneFile, "big.yaml": Self.headless("wide", count: 150)])
        defer { try? FileManager.default.removeItem(atPath: zones) }

        let plain = try SextantProcess(["--zones", zones])
        #expect(try dig(plain, ["+short", "+tcp", "wide.big.svc.clusterset.local"]).split(separator: "\n").count == 150)
        let refused = try RecursivePeer(.bind9, upstream: plain.port)
        #expect(try refused.ask(["wide.big.svc.clusterset.local"]).status == "SERVFAIL")
        refused.stopAndRead()
        plain.stop()

        let capped = try SextantProcess(["--zones", zones, "--max-records", "100", "--ttl", "1"])
        let bind = try RecursivePeer(.bind9, upstream: capped.port)
        let first = try bind.ask(["+short", "wide.big.svc.clusterset.local"]).text.split(separator: "\n")
        #expect(first.count == 100)
        // Once BIND's copy expires it asks again and gets the next window.
        var seen = Set(first)
        let limit = 3 * (1 + Self.slack)
        _ = try Self.secondsUntil(limit: limit, { try bind.ask(["+short", "wide.big.svc.clusterset.local"]) }) { r in
            let lines = r.text.split(separator: "\n")
            #expect(lines.count == 100 || r.status == nil)
            seen.formUnion(lines)
            return seen.count == 150
        }
        #expect(seen.count == 150, "\(seen.count) of 150 addresses handed out through BIND")
    }
}
