import DNSWire
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The issue's "Done when": floods of random datagrams and half-open connections do not
/// crash the server, and the next valid query is answered at once.
@Suite(.serialized) struct RobustnessTests {
    @Test func randomDatagramsAndHalfOpenConnections() throws {
        let s = try SextantProcess(["--zones", repositoryZones])
        let fd = RawClient.udpSocket()
        defer { close(fd) }
        var rng = SystemRandomNumberGenerator()
        let valid = query("ns.clusterset.local", .a)
        for i in 0..<100_000 {
            var m: [UInt8]
            switch i % 3 {
            case 0:  // pure noise of any length up to 600
                m = (0..<Int.random(in: 0...600, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            case 1:  // a valid query with a few bytes changed
                m = valid
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    m[Int.random(in: 0..<m.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            default:  // a valid header with a random body
                m = Array(valid.prefix(12)) + (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                m[2] &= 0x7F
            }
            RawClient.send(fd, m, port: s.port)
            // Drain replies now and then so our own socket buffer does not fill.
            if i % 256 == 0 {
                var buf = [UInt8](repeating: 0, count: 4096)
                while recv(fd, &buf, buf.count, Int32(MSG_DONTWAIT)) > 0 {}
            }
        }
        var halfOpen: [Int32] = []
        defer { for h in halfOpen { close(h) } }
        for i in 0..<1000 {
            let h = try RawClient.tcpConnect(port: s.port)
            // Some send nothing, some half a length prefix, some half a message.
            switch i % 3 {
            case 0: break
            case 1: RawClient.write(h, [0x00])
            default: RawClient.write(h, Array(RawClient.framed(valid).prefix(20)))
            }
            halfOpen.append(h)
        }
        #expect(s.isRunning)
        let reply = try #require(RawClient.udp(query("ns.clusterset.local", .a, id: 4242), port: s.port, timeout: 2))
        let m = try Message(decoding: reply)
        #expect(m.id == 4242)
        #expect(m.answers.map(\.presentationData) == ["127.0.0.1"])
        // TCP still has room: 1000 of 1024 connections are taken.
        let t = try RawClient.tcpConnect(port: s.port)
        defer { close(t) }
        RawClient.write(t, RawClient.framed(query("clusterset.local", .soa, id: 4343)))
        #expect(try Message(decoding: try #require(RawClient.readFrame(t, timeout: 2))).id == 4343)
    }
}

/// Start-up: exit statuses and messages.
@Suite struct StartupTests {
    @Test func badZoneFileExitsTwoWithPathAndLine() throws {
        let dir = try zonesFolder(["clusterset.local.zone": "$TTL 5\n@ IN SOA ns hm 1 2 3 4 5\nwww IN A not-an-address\n"])
        let r = try SextantProcess.runToExit(["serve", "--zones", dir, "--listen", "127.0.0.1:0"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("clusterset.local.zone:3:"))
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func badFlagsExitTwoWithOneLine() throws {
        for args in [["serve", "--bogus"], ["serve", "--listen", "nonsense"], ["serve", "--listen", "1.2.3.4:99999"],
                     ["serve", "--workers", "0"], ["serve", "--tcp-idle-timeout", "x"], ["serve", "--log-level", "loud"],
                     ["serve", "--zone", "a..b"], ["frobnicate"]] {
            let r = try SextantProcess.runToExit(args)
            #expect(r.status == 2, "\(args)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.hasPrefix("sextant: error: "), "\(args)")
        }
    }

    /// A manifest that would make JSONDecoder trap (its 513th level opening at the end of
    /// the file, found by FuzzObjects) is a bad file like any other: status 2 and where.
    @Test func jsonNestedPastTheDecodersLimitIsABadFileNotACrash() throws {
        let zone = try String(contentsOfFile: repositoryZones + "/clusterset.local.zone", encoding: .utf8)
        let dir = try zonesFolder(["clusterset.local.zone": zone, "deep.json": #"{"a":"# + String(repeating: "[", count: 512)])
        let r = try SextantProcess.runToExit(["serve", "--zones", dir, "--listen", "127.0.0.1:0"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("deep.json:1: not valid JSON"))
    }

    @Test func missingZonesFolderGivenExplicitlyExitsTwo() throws {
        let r = try SextantProcess.runToExit(["serve", "--zones", "/nonexistent/zones", "--listen", "127.0.0.1:0"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("/nonexistent/zones"))
    }

    @Test func helpExitsZero() throws {
        let r = try SextantProcess.runToExit(["serve", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("--tcp-max-connections"))
    }

    @Test func portInUseIsAClearError() throws {
        let first = try SextantProcess(["--zones", repositoryZones])
        let r = try SextantProcess.runToExit(["serve", "--zones", repositoryZones, "--listen", "127.0.0.1:\(first.port)"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("bind 127.0.0.1:\(first.port)"))
    }

    /// The DNS sockets are bound before the zones folder is read: a question sent while a
    /// large folder is being read (before the server says it listens) waits in the
    /// socket's queue and is answered once the first table is ready, not refused.
    @Test func aQuestionSentDuringStartupIsAnsweredOnceLoaded() throws {
        var items: [String] = []
        for i in 0..<20_000 {
            items.append(#"{"apiVersion":"multicluster.x-k8s.io/v1alpha1","kind":"ServiceImport","metadata":{"name":"svc-\#(i)","namespace":"ns"},"spec":{"type":"ClusterSetIP","ips":["243.0.\#(i / 256).\#(i % 256)"],"ports":[{"name":"http","protocol":"TCP","port":80}]}}"#)
        }
        let zone = try String(contentsOfFile: repositoryZones + "/clusterset.local.zone", encoding: .utf8)
        let dir = try zonesFolder(["clusterset.local.zone": zone, "services.json": #"{"apiVersion":"v1","kind":"List","items":["# + items.joined(separator: ",") + "]}"])
        // A port nobody holds (UDP and TCP), then the server on it.
        let port = try freeLoopbackPort()
        let out = Pipe()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: SextantProcess.binary)
        server.arguments = ["serve", "--zones", dir, "--listen", "127.0.0.1:\(port)", "--http", "off", "--workers", "1"]
        server.standardOutput = out
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        // A connected socket: a question to a port not yet bound comes back refused.
        let fd = RawClient.udpSocket()
        defer { close(fd) }
        var sin = RawClient.address(port)
        _ = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        let q = query("svc-19999.ns.svc.clusterset.local")
        var waitingBeforeListening = false
        var reply: [UInt8]?
        for _ in 0..<2_000 where reply == nil {
            var p = pollfd(fd: out.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
            let saidListening = poll(&p, 1, 0) > 0
            _ = q.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            if RawClient.readable(fd, timeout: 0.05) {
                var buf = [UInt8](repeating: 0, count: 4096)
                let n = recv(fd, &buf, buf.count, 0)
                if n > 0 { reply = Array(buf[0..<n]) } else { usleep(2_000) }  // refused: not bound yet
                continue
            }
            // Not refused and not answered: bound, still reading. Wait for the answer.
            waitingBeforeListening = !saidListening
            if RawClient.readable(fd, timeout: 60) {
                var buf = [UInt8](repeating: 0, count: 4096)
                let n = recv(fd, &buf, buf.count, 0)
                if n > 0 { reply = Array(buf[0..<n]) }
            }
            break
        }
        #expect(waitingBeforeListening, "no question was sent while the folder was being read")
        let answer = try Message(decoding: try #require(reply))
        #expect(answer.rcode == .noError)
        #expect(answer.answers.map(\.presentationData) == ["243.0.78.31"])
    }

    @Test func sighupReloadsAndKeepsOldDataOnError() throws {
        let zone = "$ORIGIN clusterset.local.\n$TTL 5\n@ IN SOA ns hm 1 2 3 4 5\nold IN A 192.0.2.1\n"
        let dir = try zonesFolder(["clusterset.local.zone": zone])
        let s = try SextantProcess(["--zones", dir])
        #expect(DigResult(text: try dig(s, ["old.clusterset.local"])).status == "NOERROR")
        try (zone + "new IN A 192.0.2.2\n").write(toFile: dir + "/clusterset.local.zone", atomically: true, encoding: .utf8)
        s.signal(SIGHUP)
        var status: String? = nil
        for _ in 0..<50 where status != "NOERROR" {
            usleep(100_000)
            status = DigResult(text: try dig(s, ["new.clusterset.local"])).status
        }
        #expect(status == "NOERROR")
        try "garbage here\n".write(toFile: dir + "/clusterset.local.zone", atomically: true, encoding: .utf8)
        s.signal(SIGHUP)
        usleep(500_000)
        #expect(s.isRunning)
        #expect(DigResult(text: try dig(s, ["new.clusterset.local"])).status == "NOERROR")
    }

    @Test func sigtermExitsCleanly() throws {
        let s = try SextantProcess(["--zones", repositoryZones])
        s.signal(SIGTERM)
        for _ in 0..<50 where s.isRunning { usleep(100_000) }
        #expect(!s.isRunning)
        if !s.isRunning { #expect(s.process.terminationStatus == 0) }
    }
}
