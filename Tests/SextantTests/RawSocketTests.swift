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
