import Foundation

/// A real recursive resolver (Debian's Unbound, dnsmasq, BIND 9 or Knot Resolver) started
/// on a free loopback port, forwarding `clusterset.local` to a Sextant on `upstream`: what
/// a cluster's DNS does in front of Sextant. Configured as an operator would, in a
/// temporary folder; stopped (and the folder removed) on `stop` or deinit.
final class RecursivePeer {
    enum Kind: String, CaseIterable, CustomStringConvertible, Sendable {
        case unbound, dnsmasq, bind9, knotResolver = "knot-resolver"
        var description: String { rawValue }
        /// The Debian package that brings it (scripts/test.sh installs them).
        var package: String { rawValue }
        var binary: String {
            switch self {
            case .unbound: "/usr/sbin/unbound"
            case .dnsmasq: "/usr/sbin/dnsmasq"
            case .bind9: "/usr/sbin/named"
            case .knotResolver: "/usr/sbin/kresd"
            }
        }
    }

    let kind: Kind
    let port: UInt16
    let folder: String
    private let process: SpawnedProcess

    init(_ kind: Kind, upstream: UInt16) throws {
        guard FileManager.default.isExecutableFile(atPath: kind.binary) else {
            throw HarnessError("\(kind.binary) is missing: install the Debian package \(kind.package) (scripts/test.sh does)")
        }
        self.kind = kind
        port = try freeLoopbackPort()
        folder = NSTemporaryDirectory() + "sextant-\(kind)-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        process = try SpawnedProcess([kind.binary] + Self.configure(kind, folder: folder, port: port, upstream: upstream),
                                     log: folder + "/output.log")
        // Ready once it answers the zone's SOA through the forward.
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline && process.isRunning {
            if DigResult(text: (try? dig(port: port, ["+time=1", "clusterset.local", "SOA"])) ?? "").status == "NOERROR" { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        let log = stopAndRead()
        throw HarnessError("\(kind) did not start answering on 127.0.0.1:\(port): \(log.suffix(2000))")
    }

    /// Writes the configuration; returns the command line.
    private static func configure(_ kind: Kind, folder: String, port: UInt16, upstream: UInt16) throws -> [String] {
        func write(_ name: String, _ text: String) throws -> String {
            let path = folder + "/" + name
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        switch kind {
        case .unbound:
            // A stub zone: Unbound asks Sextant as the zone's authoritative server.
            let conf = try write("unbound.conf", """
                server:
                    interface: 127.0.0.1@\(port)
                    port: \(port)
                    do-ip6: no
                    access-control: 127.0.0.0/8 allow
                    do-not-query-localhost: no
                    username: ""
                    chroot: ""
                    directory: "\(folder)"
                    pidfile: "\(folder)/unbound.pid"
                    use-syslog: no
                    logfile: ""
                    module-config: "iterator"
                    domain-insecure: "clusterset.local"
                    local-zone: "local." nodefault
                remote-control:
                    control-enable: no
                stub-zone:
                    name: "clusterset.local"
                    stub-addr: 127.0.0.1@\(upstream)
                """)
            return ["-d", "-c", conf]
        case .dnsmasq:
            return ["--keep-in-foreground", "--log-facility=-", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                    "--port=\(port)", "--listen-address=127.0.0.1", "--bind-interfaces", "--user=root",
                    "--pid-file=\(folder)/dnsmasq.pid", "--cache-size=1000",
                    "--server=/clusterset.local/127.0.0.1#\(upstream)"]
        case .bind9:
            // A forward zone. dnssec-validation no: proving clusterset.local insecure
            // would need the root servers, which this machine cannot reach.
            let conf = try write("named.conf", """
                options {
                    directory "\(folder)";
                    pid-file "\(folder)/named.pid";
                    listen-on port \(port) { 127.0.0.1; };
                    listen-on-v6 { none; };
                    recursion yes;
                    allow-query { 127.0.0.0/8; };
                    dnssec-validation no;
                };
                controls { };
                zone "clusterset.local" {
                    type forward;
                    forward only;
                    forwarders { 127.0.0.1 port \(upstream); };
                };
                """)
            return ["-g", "-c", conf]
        case .knotResolver:
            // policy.STUB: Knot Resolver asks Sextant as-is. Its cache keeps every record
            // at least 5 s by default (cache.min_ttl); 0 lets Sextant's TTL rule.
            let conf = try write("kresd.conf", """
                net.listen('127.0.0.1', \(port), { kind = 'dns' })
                trust_anchors.remove('.')
                cache.open(10 * MB, 'lmdb://\(folder)/cache')
                cache.min_ttl(0)
                policy.add(policy.suffix(policy.STUB({'127.0.0.1@\(upstream)'}), {todname('clusterset.local.')}))
                """)
            return ["-n", "-q", "-c", conf, folder]
        }
    }

    /// `dig` through this resolver.
    func ask(_ args: [String]) throws -> DigResult {
        DigResult(text: try dig(port: port, args))
    }

    /// Stops it; what it printed.
    @discardableResult
    func stopAndRead() -> String {
        process.stop()
        let text = (try? String(contentsOfFile: folder + "/output.log", encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: folder)
        return text
    }

    deinit { stopAndRead() }
}
