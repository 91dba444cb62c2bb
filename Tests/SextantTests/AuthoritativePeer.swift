import Foundation

/// A real authoritative server (Debian's NSD) on a free loopback port serving one zone:
/// the upstream a forwarding Sextant asks in the tests. Stopped (and its folder removed)
/// on `stop` or deinit.
final class AuthoritativePeer {
    static let binary = "/usr/sbin/nsd"
    let port: UInt16
    let folder: String
    private var process: SpawnedProcess?

    /// `upstream.test` as the forwarding tests know it: a CNAME, short and long TTLs,
    /// a wildcard for floods of distinct names, and a TXT too large for UDP.
    static let zone: String = {
        var z = """
            $ORIGIN upstream.test.
            $TTL 300
            @ 3600 IN SOA ns1 hostmaster 1 3600 600 86400 60
            @ IN NS ns1
            ns1 IN A 127.0.0.1
            www 120 IN A 192.0.2.10
            www IN AAAA 2001:db8::10
            alias 200 IN CNAME www
            short 2 IN A 192.0.2.2
            *.wild 300 IN A 192.0.2.99

            """
        z += "big 300 IN TXT " + (0..<10).map { "\"" + String(repeating: "x", count: 200) + "\($0)\"" }.joined(separator: " ") + "\n"
        return z
    }()

    init(zone: String = AuthoritativePeer.zone, origin: String = "upstream.test") throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw HarnessError("\(Self.binary) is missing: install the Debian package nsd (scripts/test.sh does)")
        }
        port = try freeLoopbackPort()
        folder = NSTemporaryDirectory() + "sextant-nsd-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try zone.write(toFile: folder + "/zone", atomically: true, encoding: .utf8)
        try """
            server:
              ip-address: 127.0.0.1@\(port)
              port: \(port)
              username: ""
              chroot: ""
              zonesdir: "\(folder)"
              pidfile: "\(folder)/nsd.pid"
              database: ""
              xfrdfile: "\(folder)/xfrd.state"
              zonelistfile: "\(folder)/zone.list"
              logfile: "\(folder)/nsd.log"
              verbosity: 1
              hide-version: yes
              server-count: 1
              rrl-ratelimit: 0
            remote-control:
              control-enable: no
            zone:
              name: \(origin)
              zonefile: zone
            """.write(toFile: folder + "/nsd.conf", atomically: true, encoding: .utf8)
        try start()
        _ = origin
    }

    /// (Re)starts NSD on the same port.
    func start() throws {
        let p = try SpawnedProcess([Self.binary, "-d", "-c", folder + "/nsd.conf"], log: folder + "/output.log")
        process = p
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && p.isRunning {
            if DigResult(text: (try? dig(port: port, ["+time=1", "upstream.test", "SOA"])) ?? "").status == "NOERROR" { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        p.stop()
        let log = (try? String(contentsOfFile: folder + "/output.log", encoding: .utf8)) ?? ""
        throw HarnessError("nsd did not start answering on 127.0.0.1:\(port): \(log.suffix(2000))")
    }

    /// Stops NSD; the port then refuses (ICMP port unreachable).
    func stop() {
        process?.stop()
        process = nil
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
