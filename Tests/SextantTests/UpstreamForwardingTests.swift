import DNSWire
import Foundation
import Locking
import Testing

/// `--forward`: Sextant as a pod's resolver, against a real upstream (NSD on loopback)
/// and scripted ones, asked with dig. Cached answers are proven cached by stopping the
/// upstream and asking again.
@Suite struct UpstreamForwardingTests {
    static func metrics(_ s: SextantProcess) throws -> [OperationsTests.Sample] {
        try OperationsTests.parse(try s.http("/metrics").body)
    }

    static func metric(_ samples: [OperationsTests.Sample], _ name: String, _ labels: [String: String] = [:]) -> Int {
        Int(OperationsTests.value(samples, name, labels) ?? -1)
    }

    static func ask(_ s: SextantProcess, _ args: [String]) throws -> DigResult {
        DigResult(text: try dig(s, args))
    }

    @Test func namesAreForwardedCachedAndTheZonesNeverAre() throws {
        let nsd = try AuthoritativePeer()
        let s = try SextantProcess(["--forward", "127.0.0.1:\(nsd.port)"])
        defer { s.stop() }

        // The client's case comes back; recursion available, not authoritative.
        let first = try Self.ask(s, ["WwW.UpStream.test", "A"])
        #expect(first.status == "NOERROR")
        #expect(first.flags.contains("ra") && !first.flags.contains("aa"))
        #expect(first.section("ANSWER").first?.first == "WwW.UpStream.test.")
        #expect(first.section("ANSWER").first?.last == "192.0.2.10")
        #expect(first.hasOPT)
        // A client without EDNS gets no OPT back.
        let plain = try Self.ask(s, ["+noedns", "www.upstream.test", "AAAA"])
        #expect(plain.section("ANSWER").first?.last == "2001:db8::10")
        #expect(!plain.hasOPT)
        // A CNAME chain, over TCP.
        let alias = try Self.ask(s, ["+tcp", "alias.upstream.test", "A"])
        #expect(alias.section("ANSWER").map { $0[3] } == ["CNAME", "A"])
        // The authoritative zone is answered here, never forwarded.
        let own = try Self.ask(s, ["nothing.clusterset.local", "A"])
        #expect(own.status == "NXDOMAIN")
        #expect(own.flags.contains("aa"))

        nsd.stop()
        // From the cache now, TTL counted from the upstream's 120.
        let again = try Self.ask(s, ["www.upstream.test", "A"])
        #expect(again.section("ANSWER").first?.last == "192.0.2.10")
        let ttl = Int(again.section("ANSWER").first?[1] ?? "") ?? -1
        #expect((1...120).contains(ttl))
        #expect(try Self.ask(s, ["+tcp", "alias.upstream.test", "A"]).section("ANSWER").count == 2)

        #expect(try Self.ask(s, ["+noedns", "www.upstream.test", "AAAA"]).section("ANSWER").first?.last == "2001:db8::10")

        let m = try Self.metrics(s)
        #expect(Self.metric(m, "sextant_forward_cache_misses_total") == 3)
        #expect(Self.metric(m, "sextant_forward_cache_hits_total") == 3)
        #expect(Self.metric(m, "sextant_forward_upstream_queries_total", ["upstream": "127.0.0.1:\(nsd.port)"]) == 3)
        #expect(Self.metric(m, "sextant_forward_cache_entries") == 3)
    }

    @Test func ttlsExpireAndNegativeAnswersAreKeptByTheirSOA() throws {
        let nsd = try AuthoritativePeer()
        let s = try SextantProcess(["--forward", "127.0.0.1:\(nsd.port)", "--forward-timeout", "300"])
        defer { s.stop() }
        #expect(try Self.ask(s, ["short.upstream.test", "A"]).section("ANSWER").first?.last == "192.0.2.2")
        let nx = try Self.ask(s, ["nope.upstream.test", "A"])
        #expect(nx.status == "NXDOMAIN")
        // RFC 2308 §5: the SOA's TTL is min(its TTL 3600, MINIMUM 60).
        #expect(nx.section("AUTHORITY").first?[3] == "SOA")
        #expect(nx.section("AUTHORITY").first?[1] == "60")
        let nodata = try Self.ask(s, ["www.upstream.test", "TXT"])
        #expect(nodata.status == "NOERROR")
        #expect(nodata.section("ANSWER").isEmpty)
        #expect(nodata.section("AUTHORITY").first?[3] == "SOA")

        nsd.stop()
        #expect(try Self.ask(s, ["nope.upstream.test", "A"]).status == "NXDOMAIN")
        #expect(try Self.ask(s, ["www.upstream.test", "TXT"]).section("AUTHORITY").first?[3] == "SOA")
        // Past its 2 s TTL, with the upstream gone: SERVFAIL, not the old answer.
        Thread.sleep(forTimeInterval: 2.5)
        #expect(try Self.ask(s, ["short.upstream.test", "A"]).status == "SERVFAIL")
        #expect(try Self.ask(s, ["nope.upstream.test", "A"]).status == "NXDOMAIN")
        let m = try Self.metrics(s)
        #expect(Self.metric(m, "sextant_forward_failed_total") == 1)
        #expect(Self.metric(m, "sextant_forward_stale_answers_total") == 0)
    }

    @Test func serveStaleAnswersAnExpiredEntryWhenEveryUpstreamFails() throws {
        let nsd = try AuthoritativePeer()
        let s = try SextantProcess(["--forward", "127.0.0.1:\(nsd.port)", "--forward-timeout", "300", "--serve-stale", "600"])
        defer { s.stop() }
        #expect(try Self.ask(s, ["short.upstream.test", "A"]).section("ANSWER").first?.last == "192.0.2.2")
        nsd.stop()
        Thread.sleep(forTimeInterval: 2.5)
        let stale = try Self.ask(s, ["short.upstream.test", "A"])
        #expect(stale.status == "NOERROR")
        #expect(stale.section("ANSWER").first?.last == "192.0.2.2")
        #expect(stale.section("ANSWER").first?[1] == "30")
        #expect(stale.text.contains("EDE: 3 (Stale Answer)"))
        #expect(Self.metric(try Self.metrics(s), "sextant_forward_stale_answers_total") == 1)
    }

    @Test func aTruncatedUpstreamReplyIsAskedAgainOverTCP() throws {
        let nsd = try AuthoritativePeer()
        let s = try SextantProcess(["--forward", "127.0.0.1:\(nsd.port)"])
        defer { s.stop() }
        // Over UDP the client gets TC (2 KB is over its 1,232 bytes) ...
        let udp = try Self.ask(s, ["+ignore", "+bufsize=1232", "big.upstream.test", "TXT"])
        #expect(udp.flags.contains("tc"))
        #expect(udp.section("ANSWER").isEmpty)
        // ... and over TCP the whole RRset, which Sextant fetched over TCP.
        let tcp = try Self.ask(s, ["+tcp", "big.upstream.test", "TXT"])
        #expect(tcp.status == "NOERROR")
        #expect(tcp.section("ANSWER").count == 1)
        #expect(tcp.text.contains("xxxxxxxxxx9\""))
        let m = try Self.metrics(s)
        #expect(Self.metric(m, "sextant_forward_tcp_retries_total") >= 1)
    }

    @Test func aSilentUpstreamIsLeftForTheNextAndThenSkipped() throws {
        let silent = try FakeUpstream(.silent)
        defer { silent.stop() }
        let nsd = try AuthoritativePeer()
        let s = try SextantProcess(["--forward", "127.0.0.1:\(silent.port)", "--forward", "127.0.0.1:\(nsd.port)", "--forward-timeout", "200"])
        defer { s.stop() }
        for i in 0..<6 {
            let r = try Self.ask(s, ["n\(i).wild.upstream.test", "A"])
            #expect(r.section("ANSWER").first?.last == "192.0.2.99")
        }
        // Three timeouts in a row: skipped (probed again after 5 s).
        #expect(silent.queries == 3)
        let m = try Self.metrics(s)
        #expect(Self.metric(m, "sextant_forward_upstream_timeouts_total", ["upstream": "127.0.0.1:\(silent.port)"]) == 3)
        #expect(Self.metric(m, "sextant_forward_upstream_up", ["upstream": "127.0.0.1:\(silent.port)"]) == 0)
        #expect(Self.metric(m, "sextant_forward_upstream_up", ["upstream": "127.0.0.1:\(nsd.port)"]) == 1)
        #expect(Self.metric(m, "sextant_forward_upstream_queries_total", ["upstream": "127.0.0.1:\(nsd.port)"]) == 6)
    }

    @Test func servfailIsPassedOnKeptBrieflyAndTheNextUpstreamTried() throws {
        let failing = try FakeUpstream(.rcode(.servFail))
        defer { failing.stop() }
        let alone = try SextantProcess(["--forward", "127.0.0.1:\(failing.port)"])
        defer { alone.stop() }
        #expect(try Self.ask(alone, ["www.upstream.test", "A"]).status == "SERVFAIL")
        #expect(try Self.ask(alone, ["www.upstream.test", "A"]).status == "SERVFAIL")
        // The second came from the cache (5 s for a SERVFAIL).
        #expect(failing.queries == 1)

        let nsd = try AuthoritativePeer()
        let both = try SextantProcess(["--forward", "127.0.0.1:\(failing.port)", "--forward", "127.0.0.1:\(nsd.port)"])
        defer { both.stop() }
        let r = try Self.ask(both, ["www.upstream.test", "A"])
        #expect(r.status == "NOERROR")
        #expect(r.section("ANSWER").first?.last == "192.0.2.10")
        #expect(Self.metric(try Self.metrics(both), "sextant_forward_upstream_failures_total", ["upstream": "127.0.0.1:\(failing.port)"]) == 1)
    }

    @Test(arguments: [FakeUpstream.Forgery.wrongID, .wrongQuestion, .wrongSource])
    func forgedRepliesAreIgnored(_ forgery: FakeUpstream.Forgery) throws {
        let fake = try FakeUpstream(.forgedFirst(forgery, [192, 0, 2, 77]))
        defer { fake.stop() }
        let s = try SextantProcess(["--forward", "127.0.0.1:\(fake.port)"])
        defer { s.stop() }
        let r = try Self.ask(s, ["www.upstream.test", "A"])
        #expect(r.status == "NOERROR")
        #expect(r.section("ANSWER").map { $0.last ?? "" } == ["192.0.2.77"])
        let ignored = Self.metric(try Self.metrics(s), "sextant_forward_upstream_ignored_total", ["upstream": "127.0.0.1:\(fake.port)"])
        // A datagram from another port never reaches the connected socket: the kernel drops it.
        #expect(ignored == (forgery == .wrongSource ? 0 : 1))
    }

    @Test func clientsAskingTheSameNewNameAtOnceCostOneUpstreamQueryPerWorker() throws {
        let slow = try FakeUpstream(.delayed(300, [192, 0, 2, 55]))
        defer { slow.stop() }
        let s = try SextantProcess(["--forward", "127.0.0.1:\(slow.port)", "--workers", "2"])
        defer { s.stop() }
        let port = s.port
        let got = Locked<[String]>([])
        // Forty clients at once (a thread each: a queue would run two at a time here).
        let group = DispatchGroup()
        for _ in 0..<40 {
            group.enter()
            Thread.detachNewThread {
                // 10 s, not the helper's 3: forty dig processes start at once on two cores,
                // beside the other suites; one retry would add a query and spoil the counts.
                let r = (try? dig(port: port, ["+time=10", "+short", "same.upstream.test", "A"])) ?? ""
                got.withLock { $0.append(r.trimmingCharacters(in: .whitespacesAndNewlines)) }
                group.leave()
            }
        }
        group.wait()
        let answers = got.withLock { $0 }
        #expect(answers.count == 40)
        #expect(answers.allSatisfy { $0 == "192.0.2.55" }, "answers: \(answers)")
        #expect((1...2).contains(slow.queries))
        let m = try Self.metrics(s)
        #expect(Self.metric(m, "sextant_forward_coalesced_total") >= 1)
        #expect(Self.metric(m, "sextant_forward_cache_misses_total") + Self.metric(m, "sextant_forward_cache_hits_total") == 40)
    }

    @Test func theUpstreamQueryCarriesDOAndCDAndItsOwnIDAndCase() throws {
        let fake = try FakeUpstream(.answer([192, 0, 2, 66]))
        defer { fake.stop() }
        let s = try SextantProcess(["--forward", "127.0.0.1:\(fake.port)"])
        defer { s.stop() }
        let r = try Self.ask(s, ["+dnssec", "+cdflag", "MiXeD.UpStReAm.TeSt", "A"])
        #expect(r.section("ANSWER").first?.first == "MiXeD.UpStReAm.TeSt.")
        #expect(r.flags.contains("cd"))
        let q = try #require(fake.lastQuery)
        #expect(q.edns?.dnssecOK == true)
        #expect(q.edns?.udpSize == 1232)
        #expect(q.flags & Wire.Flag.cd != 0)
        #expect(q.flags & Wire.Flag.rd != 0)
        #expect(q.rawQuestionName == Array("\u{5}mixed\u{8}upstream\u{4}test\u{0}".utf8))
        // The DO bit is part of the cache key: without it, a second upstream query.
        _ = try Self.ask(s, ["MiXeD.UpStReAm.TeSt", "A"])
        #expect(fake.queries == 2)
        #expect(fake.lastQuery?.edns?.dnssecOK == false)
        #expect(((fake.lastQuery?.flags ?? 0) & Wire.Flag.cd) == 0)
    }

    @Test func theCacheBoundHoldsUnderAFloodOfDistinctNames() throws {
        let nsd = try AuthoritativePeer()
        let s = try SextantProcess(["--forward", "127.0.0.1:\(nsd.port)", "--cache-size", "64"])
        defer { s.stop() }
        let batch = NSTemporaryDirectory() + "sextant-flood-\(UInt64.random(in: 0...UInt64.max))"
        try (0..<1500).map { "n\($0).wild.upstream.test A" }.joined(separator: "\n").write(toFile: batch, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: batch) }
        let out = try dig(s, ["+short", "-f", batch])
        let m = try Self.metrics(s)
        // Where a question went if one is missing (it failed once in CI, 1,499 of 1,500
        // answered and counted as misses, and never again; not reproduced under load).
        let trail = Comment(rawValue: "dig's other lines: \(out.split(separator: "\n").filter { $0 != "192.0.2.99" }.prefix(5)); "
            + ["sextant_forward_dropped_total", "sextant_forward_failed_total", "sextant_forward_coalesced_total",
               "sextant_forward_upstream_timeouts_total", "sextant_forward_cache_hits_total", "sextant_dns_dropped_total"]
            .map { name in "\(name) \(Int(m.filter { $0.name == name }.map(\.value).reduce(0, +)))" }.joined(separator: ", "))
        #expect(out.split(separator: "\n").filter { $0 == "192.0.2.99" }.count == 1500, trail)
        #expect(Self.metric(m, "sextant_forward_cache_capacity") == 64)
        #expect(Self.metric(m, "sextant_forward_cache_entries") == 64)
        #expect(Self.metric(m, "sextant_forward_cache_evictions_total") >= 1500 - 64 - 64)
        #expect(Self.metric(m, "sextant_forward_cache_misses_total") == 1500, trail)
    }

    @Test func forwardingToItselfOrToNothingIsRefusedAtStart() throws {
        let loop = try SextantProcess.runToExit(["serve", "--listen", "127.0.0.1:5391", "--forward", "127.0.0.1:5391"])
        #expect(loop.status == 2)
        #expect(loop.stderr.contains("it would forward to itself"))
        let bad = try SextantProcess.runToExit(["serve", "--forward", "dns.example"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("is not IP, IP:PORT, [IPv6]:PORT or resolv.conf"))
    }
}
