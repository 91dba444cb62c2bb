import DNSWire
import Foundation
import Testing

/// The README's promises, checked with the real `dig` against the real binary.
@Suite struct DigTests {
    @Test func doneWhenQueriesOverUDPAndTCP() throws {
        let s = try SextantProcess(["--zones", repositoryZones])
        for transport in [[], ["+tcp"], ["+tcp", "+keepalive"]] {
            let soa = DigResult(text: try dig(s, transport + ["clusterset.local", "SOA"]))
            #expect(soa.status == "NOERROR", "\(transport)")
            #expect(soa.flags.contains("aa"))
            #expect(soa.section("ANSWER").first?[3] == "SOA")
            #expect(soa.section("ANSWER").first?[4] == "ns.clusterset.local.")

            let nx = DigResult(text: try dig(s, transport + ["nosuch.clusterset.local"]))
            #expect(nx.status == "NXDOMAIN")
            #expect(nx.flags.contains("aa"))
            #expect(nx.section("ANSWER").isEmpty)
            #expect(nx.section("AUTHORITY").first?[0] == "clusterset.local.")
            #expect(nx.section("AUTHORITY").first?[3] == "SOA")

            let refused = DigResult(text: try dig(s, transport + ["example.com"]))
            #expect(refused.status == "REFUSED")
            #expect(!refused.flags.contains("aa"))
        }
    }

    /// Both UDP variants answer the same, in batches from several clients, and stop on
    /// SIGTERM; the default (a thread per socket) sleeps while nothing arrives.
    @Test(arguments: ["thread", "dispatch"])
    func udpWorkerVariants(mode: String) throws {
        let s = try SextantProcess(["--zones", repositoryZones, "--udp-io", mode, "--workers", "2"])
        for _ in 0..<3 {
            let soa = DigResult(text: try dig(s, ["clusterset.local", "SOA"]))
            #expect(soa.status == "NOERROR")
            #expect(soa.section("ANSWER").first?[3] == "SOA")
        }
        let q = MessageBuilder.query(id: 77, name: try DNSName("nginx.nginx-test.svc.clusterset.local"), type: .a)
        let fd = RawClient.udpSocket()
        defer { close(fd) }
        for _ in 0..<50 { RawClient.send(fd, q, port: s.port) }
        var answered = 0
        var buf = [UInt8](repeating: 0, count: 4096)
        while RawClient.readable(fd, timeout: 2), recv(fd, &buf, buf.count, 0) > 12 { answered += 1 }
        #expect(answered == 50)
        // Idle for a second: a worker that polls instead of waiting (a non-blocking
        // socket in the thread variant) would burn a whole core here.
        let before = try #require(try cpuTicks(pid: s.process.processIdentifier))
        Thread.sleep(forTimeInterval: 1)
        let used = try #require(try cpuTicks(pid: s.process.processIdentifier)) - before
        #expect(used < 20, "\(used) clock ticks of CPU in one idle second")
        s.signal(SIGTERM)
        s.process.waitUntilExit()
        #expect(s.process.terminationStatus == 0)
    }

    /// User plus system CPU time of a process, in clock ticks (1/100 s), from /proc.
    func cpuTicks(pid: Int32) throws -> Int? {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the command name (which may hold spaces) in parentheses.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // utime and stime are fields 14 and 15; fields[0] here is field 3 (state).
        guard fields.count > 12, let u = Int(fields[11]), let k = Int(fields[12]) else { return nil }
        return u + k
    }

    @Test func ipv6AndIPv4Together() throws {
        let s = try SextantProcess(["--zones", repositoryZones, "--listen", "127.0.0.1:0", "--listen", "[::1]:0"], listens: 2)
        #expect(s.addresses.count == 2)
        #expect(s.addresses[1].hasPrefix("[::1]:"))
        let port = s.addresses[1].split(separator: ":").last.map(String.init) ?? ""
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/dig")
        p.arguments = ["@::1", "-p", port, "+time=3", "+tries=1", "clusterset.local", "SOA"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(DigResult(text: text).status == "NOERROR")
        #expect(DigResult(text: text).flags.contains("aa"))
    }

    @Test func caseIsEchoedAndMatchingIsCaseInsensitive() throws {
        let s = try SextantProcess(["--zones", repositoryZones])
        let r = DigResult(text: try dig(s, ["NS.ClusterSet.LOCAL", "A"]))
        #expect(r.status == "NOERROR")
        #expect(r.section("ANSWER").first?[0] == "NS.ClusterSet.LOCAL.")
        #expect(r.section("ANSWER").first?[4] == "127.0.0.1")
    }

    @Test func truncatedOverUDPThenFullOverTCP() throws {
        var zone = "$ORIGIN clusterset.local.\n$TTL 5\n@ IN SOA ns hm 1 2 3 4 5\n@ IN NS ns\n"
        for i in 0..<80 { zone += "big IN A 10.0.0.\(i)\n" }
        let s = try SextantProcess(["--zones", try zonesFolder(["clusterset.local.zone": zone])])
        let udp = DigResult(text: try dig(s, ["+ignore", "+noedns", "big.clusterset.local", "A"]))
        #expect(udp.flags.contains("tc"))
        #expect(udp.section("ANSWER").isEmpty)
        // Without +ignore dig retries over TCP on TC, and gets everything.
        let retried = DigResult(text: try dig(s, ["+noedns", "big.clusterset.local", "A"]))
        #expect(!retried.flags.contains("tc"))
        #expect(retried.section("ANSWER").count == 80)
        #expect(retried.text.contains("(TCP)"))
    }

    @Test func errorRowsSeenByDig() throws {
        let s = try SextantProcess(["--zones", repositoryZones])
        let badvers = DigResult(text: try dig(s, ["+edns=1", "+noednsneg", "clusterset.local", "SOA"]))
        #expect(badvers.status == "BADVERS")
        #expect(badvers.text.contains("EDNS: version: 0"))
        let noedns = DigResult(text: try dig(s, ["+noedns", "clusterset.local", "SOA"]))
        #expect(!noedns.hasOPT)
        #expect(noedns.status == "NOERROR")
        let edns = DigResult(text: try dig(s, ["clusterset.local", "SOA"]))
        #expect(edns.hasOPT)
        #expect(edns.text.contains("udp: 1232"))
        let mx = DigResult(text: try dig(s, ["ns.clusterset.local", "MX"]))
        #expect(mx.status == "NOERROR")
        #expect(mx.section("ANSWER").isEmpty)
        #expect(mx.section("AUTHORITY").first?[3] == "SOA")
        let notify = DigResult(text: try dig(s, ["+opcode=notify", "clusterset.local", "SOA"]))
        #expect(notify.status == "NOTIMP")
        let any = DigResult(text: try dig(s, ["clusterset.local", "ANY"]))
        #expect(Set(any.section("ANSWER").map { $0[3] }) == ["SOA", "NS"])
    }
}

/// The README's demo answers, from the repository's own zones/ folder.
@Suite struct DemoTests {
    @Test func demoNamesAnswerAsTheReadmeSays() throws {
        let s = try SextantProcess(["--zones", repositoryZones])
        let a = DigResult(text: try dig(s, ["nginx.nginx-test.svc.clusterset.local"]))
        #expect(a.status == "NOERROR")
        #expect(a.flags.contains("aa"))
        #expect(a.section("ANSWER").map { $0[4] } == ["11.96.112.197"])
        let srv = DigResult(text: try dig(s, ["SRV", "_http._tcp.nginx.nginx-test.svc.clusterset.local"]))
        #expect(srv.section("ANSWER").map { $0[4...].joined(separator: " ") } == ["0 50 8080 nginx.nginx-test.svc.clusterset.local."])
        #expect(srv.section("ADDITIONAL").map { "\($0[0]) \($0[4])" } == ["nginx.nginx-test.svc.clusterset.local. 11.96.112.197"])
        #expect(DigResult(text: try dig(s, ["cluster1.nginx.nginx-test.svc.clusterset.local"])).section("ANSWER").map { $0[4] } == ["11.96.112.197"])
        #expect(DigResult(text: try dig(s, ["redis-slave.guestbook.svc.clusterset.local"])).section("ANSWER").map { $0[4] } == ["198.51.100.95"])
        #expect(DigResult(text: try dig(s, ["nginx.default.svc.clusterset.local"])).section("ANSWER").map { $0[4] } == ["198.51.100.23"])
        #expect(DigResult(text: try dig(s, ["frontend.guestbook.svc.clusterset.local"])).status == "NXDOMAIN")
        #expect(DigResult(text: try dig(s, ["TXT", "dns-version.clusterset.local"])).section("ANSWER").map { $0[4] } == ["\"1.0.0\""])
    }
}
