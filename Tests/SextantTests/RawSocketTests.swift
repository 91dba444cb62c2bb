import DNSWire
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

func query(_ name: String, _ type: RRType = .a, id: UInt16 = 1, edns: Bool = true) -> [UInt8] {
    MessageBuilder.query(id: id, name: (try? DNSName(name)) ?? .root, type: type, edns: edns ? (1232, 0, false) : nil)
}

/// What dig cannot send: raw bytes over UDP and TCP.
@Suite struct RawSocketTests {
    @Test func errorTableOverUDP() throws {
        let s = try SextantProcess(["--zones", repositoryZones])
        // QDCOUNT 2: FORMERR.
        var two = query("clusterset.local", .soa)
        two[5] = 2
        let formerr = try Message(decoding: try #require(RawClient.udp(two, port: s.port)))
        #expect(formerr.rcode == .formErr)
        // Two OPT records: FORMERR.
        var twoOPT = query("clusterset.local", .soa)
        twoOPT += twoOPT.suffix(11)
        twoOPT[11] = 2
        #expect(try Message(decoding: try #require(RawClient.udp(twoOPT, port: s.port))).rcode == .formErr)
        // A label of type 01: FORMERR with the ID echoed.
        let badName: [UInt8] = [0xAB, 0xCD, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 0x61, 0, 0, 1, 0, 1]
        let bn = try Message(decoding: try #require(RawClient.udp(badName, port: s.port)))
        #expect(bn.id == 0xABCD && bn.rcode == .formErr)
        // QR=1: no reply at all.
        var response = query("clusterset.local", .soa)
        response[2] |= 0x80
        #expect(RawClient.udp(response, port: s.port, timeout: 0.5) == nil)
        // Runt: no reply.
        #expect(RawClient.udp([1, 2, 3, 4], port: s.port, timeout: 0.5) == nil)
        // The server still answers.
        #expect(try Message(decoding: try #require(RawClient.udp(query("clusterset.local", .soa), port: s.port))).answers.count == 1)
    }

    /// A worker answers a batch of datagrams (the questions read once, ahead of the
    /// lookups, to warm their memory) exactly as it answers one datagram alone: the
    /// server is stopped while a burst queues up, so the worker reads it as one batch.
    @Test(arguments: ["thread", "dispatch"])
    func batchedRepliesEqualSingleOnes(mode: String) throws {
        let s = try SextantProcess(["--zones", repositoryZones, "--udp-io", mode, "--workers", "1"])
        // Datagrams that get no reply first: the replies after them must not shift.
        var response = query("clusterset.local", .soa, id: 0)
        response[2] |= 0x80  // QR: never answered
        var queries: [[UInt8]] = [response, [0, 1, 3, 4, 5]]  // and a runt
        let names = ["nginx.nginx-test.svc.clusterset.local", "NGINX.nginx-test.SVC.clusterset.local",
                     "aws-sub1.nginx.default.svc.clusterset.local", "nosuch.aws-sub1.nginx.default.svc.clusterset.local",
                     "_http._tcp.nginx.default.svc.clusterset.local", "http.tcp.nginx.default.svc.clusterset.local",
                     "redis-master.guestbook.svc.clusterset.local", "redis-slave.guestbook.svc.clusterset.local",
                     "guestbook.svc.clusterset.local", "nosuch.guestbook.svc.clusterset.local",
                     "clusterset.local", "ns.clusterset.local", "nosuch.clusterset.local", "example.com"]
        for n in names {
            for type in [RRType.a, .aaaa, .srv, .any, .soa, .txt] {
                queries.append(query(n, type, id: UInt16(queries.count), edns: queries.count % 3 != 0))
            }
        }
        var special: [[UInt8]] = []
        var badVersion = MessageBuilder.query(id: 0, name: try DNSName("clusterset.local"), type: .soa, edns: (1232, 1, false))
        special.append(badVersion)
        badVersion = query("nginx.nginx-test.svc.clusterset.local", .a)
        badVersion[2] = 0x20  // opcode 4 (NOTIFY)
        special.append(badVersion)
        var twoQuestions = query("clusterset.local", .soa)
        twoQuestions[5] = 2
        special.append(twoQuestions)
        special.append([0xAB, 0xCD, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 0x61, 0, 0, 1, 0, 1])  // label type 01
        special.append(Array(query("nginx.nginx-test.svc.clusterset.local", .a).prefix(30)))  // cut in the name
        special.append(MessageBuilder.query(id: 0, name: try DNSName("clusterset.local"), type: .soa, rclass: 3))  // CHAOS
        special.append(query("clusterset.local", .axfr))
        special.append(query("clusterset.local", .opt))
        for var q in special {
            if q.count >= 2 { q[0] = UInt8(queries.count >> 8); q[1] = UInt8(queries.count & 0xFF) }
            queries.append(q)
        }
        #expect(queries.count > 64)  // more than one batch of a worker (64 datagrams)

        // Each alone first: a batch of one.
        let alone = queries.map { RawClient.udp($0, port: s.port, timeout: $0.count < 12 || $0[2] & 0x80 != 0 ? 0.3 : 3) }
        #expect(alone.compactMap { $0 }.count == queries.count - 2)

        let fd = RawClient.udpSocket()
        defer { close(fd) }
        s.signal(SIGSTOP)
        #expect(waitForState(pid: s.process.processIdentifier, "T"))
        for q in queries { RawClient.send(fd, q, port: s.port) }
        s.signal(SIGCONT)
        var replies: [UInt16: [UInt8]] = [:]
        var extra = 0
        var buf = [UInt8](repeating: 0, count: 65536)
        while RawClient.readable(fd, timeout: 1) {
            let n = recv(fd, &buf, buf.count, 0)
            guard n >= 2 else { continue }
            let id = UInt16(buf[0]) << 8 | UInt16(buf[1])
            if replies[id] != nil { extra += 1 }
            replies[id] = Array(buf[0..<n])
        }
        #expect(extra == 0)
        for (i, reference) in alone.enumerated() {
            let id = queries[i].count >= 2 ? UInt16(queries[i][0]) << 8 | UInt16(queries[i][1]) : 0
            if let reference {
                #expect(replies[id] == reference, "query \(i): \(queries[i])")
            } else if queries[i].count >= 12 {
                #expect(replies[id] == nil, "query \(i) was answered")
            }
        }
        #expect(replies.count == queries.count - 2)
    }

    /// Waits until the process is in `state` (the third field of /proc/PID/stat).
    func waitForState(pid: Int32, _ state: Character) -> Bool {
        for _ in 0..<200 {
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
               let close = stat.lastIndex(of: ")"), stat[stat.index(after: close)...].dropFirst().first == state {
                return true
            }
            usleep(10_000)
        }
        return false
    }

    @Test func pipelinedQueriesAreAnsweredInOrder() throws {
        let s = try SextantProcess(["--zones", repositoryZones])
        let fd = try RawClient.tcpConnect(port: s.port)
        defer { close(fd) }
        let names = ["clusterset.local", "nosuch.clusterset.local", "example.com", "ns.clusterset.local"]
        var burst: [UInt8] = []
        for (i, n) in names.enumerated() { burst += RawClient.framed(query(n, .a, id: UInt16(100 + i))) }
        RawClient.write(fd, burst)
        var rcodes: [RCode] = []
        for i in 0..<names.count {
            let m = try Message(decoding: try #require(RawClient.readFrame(fd)))
            #expect(m.id == UInt16(100 + i))
            rcodes.append(m.rcode)
        }
        #expect(rcodes == [.noError, .nxDomain, .refused, .noError])
    }

    @Test func partialLengthPrefixAndFrame() throws {
        let s = try SextantProcess(["--zones", repositoryZones])
        let fd = try RawClient.tcpConnect(port: s.port)
        defer { close(fd) }
        let frame = RawClient.framed(query("ns.clusterset.local", .a, id: 77))
        // One byte of the length, a pause, then the rest byte by byte.
        RawClient.write(fd, [frame[0]])
        usleep(100_000)
        for b in frame.dropFirst() { RawClient.write(fd, [b]) }
        let m = try Message(decoding: try #require(RawClient.readFrame(fd)))
        #expect(m.id == 77)
        #expect(m.answers.map(\.presentationData) == ["127.0.0.1"])
    }

    @Test func garbageOverTCPDoesNotHurtOthers() throws {
        let s = try SextantProcess(["--zones", repositoryZones])
        let bad = try RawClient.tcpConnect(port: s.port)
        defer { close(bad) }
        // Frames of noise, then a valid query on the same connection.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let noise = (0..<Int.random(in: 1...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            RawClient.write(bad, RawClient.framed(noise))
        }
        let good = try RawClient.tcpConnect(port: s.port)
        defer { close(good) }
        RawClient.write(good, RawClient.framed(query("clusterset.local", .soa, id: 5)))
        let m = try Message(decoding: try #require(RawClient.readFrame(good)))
        #expect(m.id == 5 && m.answers.count == 1)
    }

    @Test func stalledClientDoesNotDelayOthers() throws {
        let s = try SextantProcess(["--zones", repositoryZones])
        // Announces 300 bytes, sends 10, and stalls.
        let stalled = try RawClient.tcpConnect(port: s.port)
        defer { close(stalled) }
        RawClient.write(stalled, [0x01, 0x2C] + [UInt8](repeating: 0, count: 10))
        // A client that pipelines without ever reading.
        let deaf = try RawClient.tcpConnect(port: s.port)
        defer { close(deaf) }
        var burst: [UInt8] = []
        for i in 0..<2000 { burst += RawClient.framed(query("clusterset.local", .ns, id: UInt16(i))) }
        RawClient.write(deaf, burst)
        let other = try RawClient.tcpConnect(port: s.port)
        defer { close(other) }
        RawClient.write(other, RawClient.framed(query("clusterset.local", .soa, id: 9)))
        let m = try Message(decoding: try #require(RawClient.readFrame(other)))
        #expect(m.id == 9)
        #expect(try Message(decoding: try #require(RawClient.udp(query("clusterset.local", .soa), port: s.port))).answers.count == 1)
    }

    @Test func idleConnectionsAreClosed() throws {
        let s = try SextantProcess(["--zones", repositoryZones, "--tcp-idle-timeout", "1"])
        let fd = try RawClient.tcpConnect(port: s.port)
        defer { close(fd) }
        RawClient.write(fd, RawClient.framed(query("clusterset.local", .soa)))
        #expect(RawClient.readFrame(fd) != nil)
        #expect(RawClient.closedByPeer(fd, timeout: 5))
    }

    @Test func connectionLimitClosesExtraConnections() throws {
        let s = try SextantProcess(["--zones", repositoryZones, "--tcp-max-connections", "3"])
        var open: [Int32] = []
        defer { for fd in open { close(fd) } }
        for _ in 0..<3 {
            let fd = try RawClient.tcpConnect(port: s.port)
            // Make sure the server has accepted this one before the next.
            RawClient.write(fd, RawClient.framed(query("clusterset.local", .soa)))
            #expect(RawClient.readFrame(fd) != nil)
            open.append(fd)
        }
        let extra = try RawClient.tcpConnect(port: s.port)
        defer { close(extra) }
        #expect(RawClient.closedByPeer(extra, timeout: 3))
        // Once one closes, a new connection is served again.
        close(open.removeFirst())
        usleep(200_000)
        let again = try RawClient.tcpConnect(port: s.port)
        defer { close(again) }
        RawClient.write(again, RawClient.framed(query("clusterset.local", .soa, id: 3)))
        #expect(try Message(decoding: try #require(RawClient.readFrame(again))).id == 3)
    }

    @Test func idleConnectionMakesRoomAtTheLimit() throws {
        let s = try SextantProcess(["--zones", repositoryZones, "--tcp-max-connections", "3"])
        var open: [Int32] = []
        defer { for fd in open { close(fd) } }
        for i in 0..<3 {
            let fd = try RawClient.tcpConnect(port: s.port)
            RawClient.write(fd, RawClient.framed(query("clusterset.local", .soa, id: UInt16(i))))
            #expect(RawClient.readFrame(fd) != nil)
            open.append(fd)
            usleep(50_000)
        }
        // All three fall idle for more than a second; then the third speaks again.
        usleep(1_300_000)
        RawClient.write(open[2], RawClient.framed(query("clusterset.local", .soa, id: 22)))
        #expect(RawClient.readFrame(open[2]) != nil)
        // A fourth client is served, and the connection idle the longest (the first) goes.
        let fourth = try RawClient.tcpConnect(port: s.port)
        defer { close(fourth) }
        RawClient.write(fourth, RawClient.framed(query("clusterset.local", .soa, id: 44)))
        #expect(try Message(decoding: try #require(RawClient.readFrame(fourth))).id == 44)
        #expect(RawClient.closedByPeer(open[0], timeout: 3))
        // The others are still served.
        RawClient.write(open[2], RawClient.framed(query("clusterset.local", .soa, id: 23)))
        #expect(try Message(decoding: try #require(RawClient.readFrame(open[2]))).id == 23)
    }

    @Test func clientHalfCloseStillGetsAnswers() throws {
        let s = try SextantProcess(["--zones", repositoryZones])
        let fd = try RawClient.tcpConnect(port: s.port)
        defer { close(fd) }
        RawClient.write(fd, RawClient.framed(query("clusterset.local", .soa, id: 11)) + RawClient.framed(query("ns.clusterset.local", .a, id: 12)))
        shutdown(fd, Int32(SHUT_WR))
        #expect(try Message(decoding: try #require(RawClient.readFrame(fd))).id == 11)
        #expect(try Message(decoding: try #require(RawClient.readFrame(fd))).id == 12)
        #expect(RawClient.closedByPeer(fd, timeout: 3))
    }
}
