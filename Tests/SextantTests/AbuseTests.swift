import DNSWire
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `--allow` and `--rrl`, and abusive TCP clients while a well-behaved one keeps
/// getting its answers.
@Suite struct AbuseTests {
    /// A UDP socket bound to `source` (any 127.x address is this machine's).
    func socket(from source: String) throws -> Int32 {
        let fd = RawClient.udpSocket()
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &a.sin_addr)
        let rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { throw HarnessError("bind \(source): \(String(cString: strerror(errno)))") }
        return fd
    }

    func reply(_ fd: Int32, timeout: Double = 2) -> Message? {
        guard RawClient.readable(fd, timeout: timeout) else { return nil }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buf, buf.count, 0)
        return n > 0 ? try? Message(decoding: Array(buf[0..<n])) : nil
    }

    @Test func onlyAllowedSourcesAreAnswered() throws {
        let name = "ns.clusterset.local"
        let closed = try SextantProcess(["--zones", repositoryZones, "--allow", "10.255.0.0/16", "--allow", "fd00::/8"])
        defer { closed.stop() }
        let udp = try Message(decoding: try #require(RawClient.udp(query(name, .a, id: 77), port: closed.port)))
        #expect(udp.rcode == .refused && udp.id == 77 && udp.answers.isEmpty)
        #expect(udp.questions.first?.name.description.lowercased() == "ns.clusterset.local.")
        let t = try RawClient.tcpConnect(port: closed.port)
        defer { close(t) }
        RawClient.write(t, RawClient.framed(query(name, .a, id: 78)))
        let tcp = try Message(decoding: try #require(RawClient.readFrame(t)))
        #expect(tcp.rcode == .refused && tcp.id == 78)

        let open = try SextantProcess(["--zones", repositoryZones, "--allow", "127.0.0.0/8"])
        defer { open.stop() }
        let ok = try Message(decoding: try #require(RawClient.udp(query(name, .a), port: open.port)))
        #expect(ok.rcode == .noError && ok.answers.map(\.presentationData) == ["127.0.0.1"])
        // Only 127.0.0.0/8: 127.0.0.1 in, everything else (no other source here) out.
        let bad = try SextantProcess.runToExit(["serve", "--allow", "10.0.0.0/33"])
        #expect(bad.status == 2 && bad.stderr.contains("--allow '10.0.0.0/33' is not an IPv4 or IPv6 prefix"))
    }

    @Test func rateLimitSlipsTruncatedRepliesAndSparesOtherPrefixes() throws {
        let server = try SextantProcess(["--zones", repositoryZones, "--rrl", "20", "--rrl-slip", "2", "--workers", "1"])
        defer { server.stop() }
        let flood = try socket(from: "127.0.0.1")
        defer { close(flood) }
        let q = query("ns.clusterset.local", .a)
        for _ in 0..<200 { RawClient.send(flood, q, port: server.port) }
        var full = 0, truncated = 0
        while let m = reply(flood, timeout: 0.5) {
            if m.truncated { truncated += 1; #expect(m.answers.isEmpty) } else { full += 1 }
        }
        // 20 a second (a burst can straddle a second: at most twice that), every second
        // reply over the rate truncated, the rest dropped.
        #expect(full >= 20 && full <= 40, "full replies: \(full)")
        #expect(truncated >= (200 - full) / 2 - 2 && truncated <= (200 - full) / 2 + 2, "truncated: \(truncated) of \(200 - full)")
        // Another /24 is not limited by the first one's flood.
        let other = try socket(from: "127.0.1.1")
        defer { close(other) }
        for i in 0..<5 {
            RawClient.send(other, query("ns.clusterset.local", .a, id: UInt16(500 + i)), port: server.port)
            let m = try #require(reply(other))
            #expect(!m.truncated && m.answers.map(\.presentationData) == ["127.0.0.1"])
        }
        // TCP is never limited.
        let t = try RawClient.tcpConnect(port: server.port)
        defer { close(t) }
        for i in 0..<30 {
            RawClient.write(t, RawClient.framed(query("ns.clusterset.local", .a, id: UInt16(900 + i))))
            #expect(try Message(decoding: try #require(RawClient.readFrame(t))).answers.count == 1)
        }
        let m = try server.http("/metrics").body
        #expect(m.contains("sextant_dns_dropped_total"), "\(m.prefix(300))")
    }

    @Test func abusiveTCPClientsDoNotStarveAGoodOne() throws {
        let server = try SextantProcess(["--zones", repositoryZones])
        defer { server.stop() }
        var abusers: [Int32] = []
        defer { for a in abusers { close(a) } }
        // Oversized frames: a 65,535-byte length with garbage behind it; a frame that
        // says 65,535 and sends 10 bytes; a slow reader that asks 2,000 questions and reads none.
        for kind in 0..<30 {
            let a = try RawClient.tcpConnect(port: server.port)
            switch kind % 3 {
            case 0: RawClient.write(a, [0xFF, 0xFF] + (0..<65535).map { _ in UInt8.random(in: 0...255) })
            case 1: RawClient.write(a, [0xFF, 0xFF] + [UInt8](repeating: 7, count: 10))
            default:
                var burst: [UInt8] = []
                for i in 0..<2000 { burst += RawClient.framed(query("ns.clusterset.local", .a, id: UInt16(i))) }
                let fl = fcntl(a, F_GETFL)
                _ = fcntl(a, F_SETFL, fl | O_NONBLOCK)
                _ = burst.withUnsafeBytes { send(a, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
            abusers.append(a)
        }
        let start = Date()
        for i in 0..<20 {
            let good = try #require(RawClient.udp(query("ns.clusterset.local", .a, id: UInt16(3000 + i)), port: server.port, timeout: 2))
            #expect(try Message(decoding: good).answers.map(\.presentationData) == ["127.0.0.1"])
            let t = try RawClient.tcpConnect(port: server.port)
            RawClient.write(t, RawClient.framed(query("ns.clusterset.local", .a, id: UInt16(4000 + i))))
            let r = RawClient.readFrame(t, timeout: 2)
            close(t)
            #expect(try r.map { try Message(decoding: $0).id } == UInt16(4000 + i))
        }
        #expect(Date().timeIntervalSince(start) < 20)
        #expect(server.isRunning)
    }
}
