import DNSWire
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The security basics, each shown: zone transfers refused; no token or key in a log
/// line, the operations endpoint or an error message; the HTTP endpoints on loopback (or
/// off) unless told otherwise.
@Suite struct SecurityTests {
    @Test func zoneTransfersAreRefusedOverUDPAndTCP() throws {
        let server = try SextantProcess(["--zones", try zonesFolder([:])])
        defer { server.stop() }
        for type in [RRType.axfr, .ixfr] {
            let udp = try #require(RawClient.udp(query("clusterset.local", type), port: server.port))
            #expect(try Message(decoding: udp).rcode == .refused)
            let fd = try RawClient.tcpConnect(port: server.port)
            defer { close(fd) }
            RawClient.write(fd, RawClient.framed(query("clusterset.local", type)))
            let tcp = try #require(RawClient.readFrame(fd))
            let m = try Message(decoding: tcp)
            #expect(m.rcode == .refused && m.answers.isEmpty)
        }
    }

    @Test func tokensAndKeysStayOutOfLogsStateAndErrors() throws {
        let secret = "s3cr3t-token-\(UInt32.random(in: 0..<UInt32.max))"
        let api = try KubeTestServer(objects: Objects.service("web", ip: "10.40.0.1"))
        try api.rotateToken(secret)
        // The token inline in the kubeconfig (the server wants it), and trace logging.
        let kubeconfig = try api.kubeconfig(.tokenFile)
        let server = try SextantProcess(["--kubeconfig", kubeconfig, "--zones", try zonesFolder([:]), "--log-level", "trace"])
        #expect(eventually { (try? dig(server, ["web.default.svc.clusterset.local", "+short"]))?.contains("10.40.0.1") == true })
        var exposed = ""
        for path in ["/debug/state?services=all", "/metrics", "/ready", "/health"] {
            exposed += (try? server.http(path).body) ?? ""
        }
        // Now the server refuses it: 401s, re-reads, errors in the log.
        try api.rotateToken("another-\(secret.reversed())")
        try "\(secret)".write(toFile: (kubeconfig as NSString).deletingLastPathComponent + "/token", atomically: true, encoding: .utf8)
        try api.fault(["drop_watches": true])
        Thread.sleep(forTimeInterval: 2)
        exposed += server.stopAndReadStderr()
        #expect(exposed.contains("401") || exposed.contains("Unauthorized"), "the refusal was not logged: \(exposed.suffix(2000))")
        #expect(!exposed.contains(secret), "the token appears in the output")

        // A kubeconfig that cannot be used: the message names the problem, not the token.
        let bad = NSTemporaryDirectory() + "sextant-bad-kubeconfig-\(getpid())"
        try """
        apiVersion: v1
        kind: Config
        current-context: c
        clusters: [{name: k, cluster: {server: "https://127.0.0.1:1"}}]
        users: [{name: u, user: {token: \(secret), exec: {command: get-token, apiVersion: client.authentication.k8s.io/v1}}}]
        contexts: [{name: c, context: {cluster: k, user: u}}]
        """.write(toFile: bad, atomically: true, encoding: .utf8)
        defer { unlink(bad) }
        let r = try SextantProcess.runToExit(["serve", "--kubeconfig", bad])
        #expect(r.status == 2 && r.stderr.contains("exec"), "\(r.stderr)")
        #expect(!r.stderr.contains(secret))

        // A client key: its PEM body never appears either.
        let keyLines = try String(contentsOfFile: KubeTestServer.certificates + "/client.key", encoding: .utf8).split(separator: "\n")
        let keyLine = String(keyLines[1])
        let api2 = try KubeTestServer(objects: Objects.service("web", ip: "10.40.0.2"), clientCA: true)
        let server2 = try SextantProcess(["--kubeconfig", try api2.kubeconfig(.clientCertificate), "--zones", try zonesFolder([:]), "--log-level", "trace"])
        #expect(eventually { (try? dig(server2, ["web.default.svc.clusterset.local", "+short"]))?.contains("10.40.0.2") == true })
        let out2 = ((try? server2.http("/debug/state?services=all").body) ?? "") + server2.stopAndReadStderr()
        #expect(!out2.contains(keyLine))
    }

    @Test func httpEndpointsAreOnLoopbackOrOffByDefault() throws {
        // The help text, its line wrapping undone.
        func help(_ command: String) throws -> String {
            try SextantProcess.runToExit([command, "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        #expect(try help("serve").contains("/debug/state); off: none. (default: 127.0.0.1:9153)"))
        #expect(try help("gateway").contains("/debug/state); off: none. (default: off)"))
    }
}

extension GatewayLabTests {
    /// The WireGuard private key, the PSK's text and its SHA-256 never leave the gateway:
    /// not in its log (trace), the exchange files, the status file, nor its HTTP endpoint.
    @Test func gatewaySecretsStayInside() throws {
        let lab = try GatewayLab()
        let psk = "psk-\(UInt32.random(in: 0..<UInt32.max))-text"
        try (psk + "\n").write(toFile: lab.folder + "/psk", atomically: true, encoding: .utf8)
        for i in 1...3 {
            try lab.start(i, "wireguard", ["--psk-file", lab.folder + "/psk", "--log-level", "trace", "--status-file", lab.folder + "/status-\(i).json",
                                           "--http", "127.0.0.1:9155"])
        }
        #expect(try lab.check(within: 20).passed == 18)
        let privateKey = try lab.exec("gw1", ["wg", "show", lab.device + "1", "private-key"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let pskKey = try lab.exec("gw1", ["wg", "show", lab.device + "1", "preshared-keys"]).output.split(whereSeparator: \.isWhitespace).last.map(String.init) ?? ""
        #expect(privateKey.count == 44 && pskKey.count == 44)
        // Both sides agree on the PSK derived from the file (the handshakes above prove it too).
        let expectedPSK = try SpawnedProcess.run(["/usr/bin/python3", "-c", "import base64, hashlib; print(base64.b64encode(hashlib.sha256(b'\(psk)').digest()).decode())"]).output
        #expect(expectedPSK.trimmingCharacters(in: .whitespacesAndNewlines) == pskKey)
        var seen = ""
        for i in 1...3 { seen += lab.log(i) }
        for file in (try? FileManager.default.contentsOfDirectory(atPath: lab.folder + "/exchange")) ?? [] {
            seen += (try? String(contentsOfFile: lab.folder + "/exchange/" + file, encoding: .utf8)) ?? ""
        }
        for i in 1...3 { seen += (try? String(contentsOfFile: lab.folder + "/status-\(i).json", encoding: .utf8)) ?? "" }
        for path in ["/debug/state", "/metrics"] { seen += try lab.exec("gw1", ["curl", "-sf", "http://127.0.0.1:9155" + path]).output }
        #expect(seen.contains("publicKey"), "nothing was read")
        for secret in [psk, pskKey, privateKey, hex(base64: pskKey), hex(base64: privateKey)] {
            #expect(!seen.contains(secret), "a secret appears in the gateway's output")
        }
    }

    private func hex(base64: String) -> String {
        (Data(base64Encoded: base64) ?? Data()).map { String(format: "%02x", $0) }.joined()
    }
}
