import DNSWire
import Foundation
import Testing

/// The HTTP endpoint: /health, /ready, /metrics and /debug/state before and after the
/// first sync with the API server; the metrics read by the Prometheus client library's own
/// parser; JSON logs; the endpoint's limits and flags.
@Suite struct OperationsTests {
    /// Every family /metrics must have, and the labels each may carry with their values.
    static let families: [String: [String: Set<String>]] = [
        "sextant_dns_replies": ["transport": ["udp", "tcp"],
                                "type": ["A", "AAAA", "SRV", "TXT", "SOA", "NS", "ANY", "PTR", "CNAME", "other"],
                                "rcode": ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "other"]],
        "sextant_dns_truncated": ["transport": ["udp", "tcp"]],
        "sextant_dns_dropped": ["transport": ["udp", "tcp"]],
        "sextant_tcp_connections_open": [:],
        "sextant_tcp_connections_refused": [:],
        "sextant_tcp_connections_closed_idle": ["why": ["timeout", "limit"]],
        "sextant_answer_table_generation": [:],
        "sextant_answer_table_age_seconds": [:],
        "sextant_services": [:], "sextant_clusters": [:], "sextant_endpoints": [:], "sextant_connected_clusters": [:],
        "sextant_objects": [:], "sextant_ready": [:],
        "sextant_watch_events": ["resource": ["serviceimports", "endpointslices", "gateways"], "type": ["upsert", "delete"]],
        "sextant_lists": ["resource": ["serviceimports", "endpointslices", "gateways"]],
        "sextant_relists": ["resource": ["serviceimports", "endpointslices", "gateways"], "reason": ["gone", "unavailable", "error"]],
        "sextant_watch_restarts": ["resource": ["serviceimports", "endpointslices", "gateways"],
                                   "reason": ["timeout", "transport", "stalled", "gone", "malformed", "throttled", "unauthorized",
                                              "unavailable", "server_error", "other"]],
        "sextant_objects_rejected": ["kind": ["ServiceImport", "EndpointSlice", "Gateway"]],
        "sextant_watch_event_publish_seconds": ["le": []],
        "process_resident_memory_bytes": [:], "process_cpu_seconds": [:], "process_open_fds": [:], "process_max_fds": [:],
        "process_start_time_seconds": [:],
    ]

    struct Sample: Decodable {
        let family: String
        let name: String
        let labels: [String: String]
        let value: Double
    }

    /// /metrics parsed by prometheus_client (Debian's python3-prometheus-client): it
    /// throws on anything that is not the text format.
    static func parse(_ text: String) throws -> [Sample] {
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = []
            for f in text_string_to_metric_families(sys.stdin.read()):
                for s in f.samples:
                    out.append({"family": f.name, "name": s.name, "labels": s.labels, "value": s.value})
            print(json.dumps(out))
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", script]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = errors
        try p.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw HarnessError("prometheus_client could not parse /metrics: \(String(decoding: err, as: UTF8.self))")
        }
        return try JSONDecoder().decode([Sample].self, from: data)
    }

    static func value(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { k, v in sample.labels[k] == v } }?.value
    }

    @Test func endpointsBeforeAndAfterTheFirstSync() throws {
        let api = try KubeTestServer(objects: Objects.service("web", ip: "10.30.0.1"))
        try api.fault(["fail": ["status": 500, "verb": "list", "match": "serviceimports", "count": 100000]])
        let s = try SextantProcess(["--kubeconfig", try api.kubeconfig(), "--zones", try zonesFolder([:])])

        // Before: alive, not ready, and the body says what is missing.
        #expect(try s.http("/health").status == 200)
        #expect(try s.http("/health").body == "ok\n")
        let notReady = try s.http("/ready")
        #expect(notReady.status == 503)
        #expect(notReady.body.contains("waiting for the first list of serviceimports"), "\(notReady.body)")
        #expect(!notReady.body.contains("endpointslices") || notReady.body.contains("serviceimports"))
        var samples = try Self.parse(try s.http("/metrics").body)
        #expect(Self.value(samples, "sextant_ready") == 0)
        #expect(Self.value(samples, "sextant_services") == 0)
        #expect(try #require(Self.value(samples, "sextant_watch_restarts_total", ["resource": "serviceimports", "reason": "server_error"])) >= 1)
        let before = try JSONSerialization.jsonObject(with: Data(try s.http("/debug/state").body.utf8)) as? [String: Any]
        #expect(before?["ready"] as? Bool == false)
        let api1 = (before?["sources"] as? [[String: Any]])?.first { $0["name"] as? String == "api" }
        #expect(api1?["state"] as? String == "syncing")

        // After: ready, and the service is in the state and the gauges.
        try api.fault(["clear_fail": true])
        #expect(eventually { (try? s.http("/ready").status) == 200 })
        #expect(try s.http("/ready").status == 200)
        #expect(try s.http("/ready").body == "ready\n")
        samples = try Self.parse(try s.http("/metrics").body)
        #expect(Self.value(samples, "sextant_ready") == 1)
        #expect(Self.value(samples, "sextant_services") == 1)
        #expect(Self.value(samples, "sextant_endpoints") == 1)
        #expect(Self.value(samples, "sextant_clusters") == 1)
        #expect(Self.value(samples, "sextant_lists_total", ["resource": "serviceimports"]) == 1)
        #expect(try #require(Self.value(samples, "sextant_answer_table_generation")) >= 1)

        // A watch event: counted, and its event-to-table latency observed.
        try api.apply(Objects.slice("web", cluster: "west", ip: "10.30.0.2"))
        #expect(eventually { (try? Self.parse(try s.http("/metrics").body)).flatMap { Self.value($0, "sextant_endpoints") } == 2 })
        samples = try Self.parse(try s.http("/metrics").body)
        #expect(Self.value(samples, "sextant_watch_events_total", ["resource": "endpointslices", "type": "upsert"]) == 1)
        #expect(Self.value(samples, "sextant_watch_event_publish_seconds_count") == 1)
        #expect(Self.value(samples, "sextant_watch_event_publish_seconds_bucket", ["le": "+Inf"]) == 1)

        let state = try #require(try JSONSerialization.jsonObject(with: Data(try s.http("/debug/state").body.utf8)) as? [String: Any])
        #expect(state["ready"] as? Bool == true)
        let services = try #require(state["services"] as? [[String: Any]])
        #expect(services.count == 1)
        #expect(services.first?["name"] as? String == "web" && services.first?["namespace"] as? String == "default")
        let clusters = (services.first?["clusters"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(clusters == ["east", "west"])
        let api2 = (state["sources"] as? [[String: Any]])?.first { $0["name"] as? String == "api" }
        #expect(api2?["state"] as? String == "synced")
        // The API server by its URL only: no token in the state.
        #expect(!(try s.http("/debug/state").body.contains(KubeTestServer.token)))
    }

    @Test func metricsParseAndCountEveryReply() throws {
        let zones = try zonesFolder(["big.yaml": ForwarderTests.headless("pods", count: 60)])
        defer { try? FileManager.default.removeItem(atPath: zones) }
        let s = try SextantProcess(["--zones", zones])
        for _ in 0..<3 { _ = try dig(s, ["pods.big.svc.clusterset.local", "+noedns", "+ignore"]) }  // 60 A: TC without EDNS
        _ = try dig(s, ["pods.big.svc.clusterset.local", "AAAA"])
        _ = try dig(s, ["nosuch.big.svc.clusterset.local"])
        _ = try dig(s, ["example.com", "MX"])
        _ = try dig(s, ["+tcp", "clusterset.local", "SOA"])
        // A reply sent to the server gets no reply: dropped.
        var reply = MessageBuilder.query(id: 9, name: try DNSName("clusterset.local"), type: .soa)
        reply[2] |= 0x80
        let fd = RawClient.udpSocket()
        defer { close(fd) }
        RawClient.send(fd, reply, port: s.port)
        #expect(eventually(3) { (try? Self.parse(try s.http("/metrics").body)).flatMap { Self.value($0, "sextant_dns_dropped_total", ["transport": "udp"]) } == 1 })

        let samples = try Self.parse(try s.http("/metrics").body)
        // Every family, and no label outside its fixed set.
        let families = Set(samples.map(\.family))
        for name in Self.families.keys { #expect(families.contains(name), "family \(name) missing") }
        for sample in samples {
            let allowed = try #require(Self.families[sample.family], "unexpected family \(sample.family)")
            for (k, v) in sample.labels {
                let values = try #require(allowed[k], "\(sample.name): unexpected label \(k)")
                #expect(values.isEmpty || values.contains(v), "\(sample.name): \(k)=\(v)")
            }
        }
        func replies(_ transport: String, _ type: String, _ rcode: String) -> Double? {
            Self.value(samples, "sextant_dns_replies_total", ["transport": transport, "type": type, "rcode": rcode])
        }
        #expect(replies("udp", "A", "NOERROR") == 3)
        #expect(replies("udp", "AAAA", "NOERROR") == 1)
        #expect(replies("udp", "A", "NXDOMAIN") == 1)
        #expect(replies("udp", "other", "REFUSED") == 1)
        #expect(replies("tcp", "SOA", "NOERROR") == 1)
        #expect(Self.value(samples, "sextant_dns_truncated_total", ["transport": "udp"]) == 3)
        #expect(Self.value(samples, "sextant_dns_dropped_total", ["transport": "udp"]) == 1)
        #expect(Self.value(samples, "sextant_services") == 1)
        #expect(Self.value(samples, "sextant_endpoints") == 60)
        #expect(try #require(Self.value(samples, "process_resident_memory_bytes")) > 1_000_000)
        #expect(try #require(Self.value(samples, "process_open_fds")) > 3)
        // No API server: its families are there, without samples of their own.
        #expect(Self.value(samples, "sextant_ready") == 1)
    }

    @Test func jsonLogsAreOneObjectPerLine() throws {
        let s = try SextantProcess(["--zones", repositoryZones, "--log-format", "json"])
        #expect(try s.http("/health").status == 200)
        let lines = s.stopAndReadStderr().split(separator: "\n")
        #expect(lines.count >= 2)
        for line in lines {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(o["level"] is String && o["message"] is String && o["time"] is String && o["logger"] as? String == "sextant", "\(line)")
        }
        #expect(lines.contains { $0.contains("\"message\":\"serving\"") && $0.contains("\"workers\":") })
    }

    /// Without `--workers`, one UDP worker per CPU the process may use: pinned to one
    /// CPU (`taskset`, as a cpuset or a cgroup CPU limit of 1 would), one worker, not
    /// one per CPU of the machine.
    @Test func workersFollowTheCPUsTheProcessMayUse() throws {
        func workers(cpus: String) throws -> String? {
            let log = NSTemporaryDirectory() + "sextant-workers-\(getpid())-\(UUID().uuidString.prefix(8)).log"
            defer { unlink(log) }
            let p = try SpawnedProcess(["/usr/bin/taskset", "-c", cpus, SextantProcess.binary, "serve", "--zones", repositoryZones,
                                        "--listen", "127.0.0.1:0", "--http", "off"], log: log)
            defer { p.stop() }
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                if let line = text.split(separator: "\n").first(where: { $0.contains(" serving") }),
                   let r = line.range(of: "workers=") {
                    return line[r.upperBound...].split(separator: " ").first.map(String.init)
                }
                usleep(50_000)
            }
            return nil
        }
        #expect(try workers(cpus: "0") == "1")
        if sysconf(Int32(_SC_NPROCESSORS_ONLN)) >= 2 { #expect(try workers(cpus: "0,1") == "2") }
    }

    @Test func theEndpointsLimitsAndErrors() throws {
        let s = try SextantProcess(["--zones", repositoryZones])
        #expect(try s.http("/nope").status == 404)
        #expect(try s.http("/metrics", method: "POST").status == 405)
        #expect(try s.http("/health", method: "HEAD", extraArgs: ["-I"]).status == 200)
        #expect(try s.http("/health", extraArgs: ["-H", "X-Big: " + String(repeating: "a", count: 9000)]).status == 431)
        // A client that connects and sends nothing holds no one up.
        let address = try #require(s.httpAddress)
        let port = try #require(UInt16(address.split(separator: ":").last ?? ""))
        let idle = try RawClient.tcpConnect(port: port)
        defer { close(idle) }
        RawClient.write(idle, Array("GET /heal".utf8))
        #expect(try s.http("/health").status == 200)
        #expect(try s.http("/health").body == "ok\n")
        // DNS goes on as before.
        #expect(try dig(s, ["+short", "nginx.nginx-test.svc.clusterset.local"]) == "11.96.112.197\n")

        // Flags: a bad address or format is exit 2, a port in use exit 1.
        for bad in [["--http", "nonsense"], ["--http", "127.0.0.1:99999"], ["--log-format", "xml"]] {
            let r = try SextantProcess.runToExit(["serve", "--zones", repositoryZones, "--listen", "127.0.0.1:0"] + bad)
            #expect(r.status == 2, "\(bad): \(r.stderr)")
        }
        let taken = try SextantProcess.runToExit(["serve", "--zones", repositoryZones, "--listen", "127.0.0.1:0", "--http", address])
        #expect(taken.status == 1)
        #expect(taken.stderr.contains("--http \(address)"), "\(taken.stderr)")
        #expect(try SextantProcess(["--zones", repositoryZones, "--http", "off"]).httpAddress == nil)
    }
}
