import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The Kubernetes API test server (Tests/KubeTestServer/kube_test_server.py), started
/// for one test: TLS with its own CA, a bearer token, objects that survive a restart,
/// and a control port to change objects and inject faults.
final class KubeTestServer: @unchecked Sendable {
    // @unchecked: used from one test at a time.
    let dir: String
    private(set) var process: Process
    private(set) var apiURL = ""
    private(set) var controlPort: UInt16 = 0
    let clientCA: Bool

    static let script: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("KubeTestServer/kube_test_server.py").path
    }()

    /// One CA, server and client certificate for the whole test run.
    static let certificates: String = {
        let dir = NSTemporaryDirectory() + "sextant-kube-certs-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let script = """
        set -e
        cd '\(dir)'
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=sextant-test-ca
        openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=kube-apiserver
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\\n' > server.ext
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile server.ext
        openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=sextant
        openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2
        openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.crt -days 2 -subj /CN=other-ca
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try? p.run()
        p.waitUntilExit()
        return dir
    }()

    static let token = "token-one"

    /// - Parameters:
    ///   - clientCA: also accept client certificates signed by the test CA.
    /// Whether `gateways.submariner.io` is served. Not served, the server answers 404 for
    /// it, as a cluster without Submariner does: no connectivity source, every cluster
    /// connected (answers.md). Served without an active Gateway, only the local cluster is.
    let servesGateways: Bool

    /// - Parameter gatewayType: serve the Gateway type; by default when `objects` hold a Gateway.
    init(objects: [Any] = [], clientCA: Bool = false, gatewayType: Bool? = nil) throws {
        servesGateways = gatewayType ?? objects.contains { ($0 as? [String: Any])?["kind"] as? String == "Gateway" }
        dir = NSTemporaryDirectory() + "sextant-kube-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        self.clientCA = clientCA
        try Self.token.write(toFile: dir + "/expected-token", atomically: true, encoding: .utf8)
        try Self.token.write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        process = Process()
        try launch(port: 0, controlPort: 0)
        if !objects.isEmpty { try apply(objects) }
    }

    private func launch(port: UInt16, controlPort cport: UInt16) throws {
        let certs = Self.certificates
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var args = ["python3", Self.script, "--port", "\(port)", "--control-port", "\(cport)",
                    "--cert", certs + "/server.crt", "--key", certs + "/server.key",
                    "--token-file", dir + "/expected-token", "--state", dir + "/state.json"]
        if clientCA { args += ["--client-ca", certs + "/ca.crt"] }
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        _ = FileManager.default.createFile(atPath: dir + "/server.log", contents: nil)
        p.standardError = FileHandle(forWritingAtPath: dir + "/server.log")
        try p.run()
        process = p
        var text = ""
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && !(text.contains("api ") && text.contains("control ")) {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            text += String(decoding: d, as: UTF8.self)
        }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { continue }
            if parts[0] == "api" { apiURL = String(parts[1]) }
            if parts[0] == "control", let p = parts[1].split(separator: ":").last.flatMap({ UInt16($0) }) { controlPort = p }
        }
        guard !apiURL.isEmpty, controlPort != 0 else { throw HarnessError("the test API server did not start: \(text)") }
        if !servesGateways { try fault(["remove_resource": "gateways"]) }
    }

    var apiPort: UInt16 { apiURL.split(separator: ":").last.flatMap { UInt16($0) } ?? 0 }

    /// SIGKILL: the server goes away without a word, connections reset.
    func kill() {
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Starts again on the same ports with the objects of the state file (not the history).
    func restart() throws {
        kill()
        let (port, cport) = (apiPort, controlPort)
        var lastError: Error?
        for _ in 0..<50 {
            do { try launch(port: port, controlPort: cport); return } catch { lastError = error }
            usleep(100_000)
        }
        throw lastError ?? HarnessError("restart failed")
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(atPath: dir)
    }

    // MARK: kubeconfig

    enum Credentials { case tokenFile, token, clientCertificate, none }

    /// Writes a kubeconfig for this server and returns its path.
    func kubeconfig(_ credentials: Credentials = .tokenFile, inlineCA: Bool = false, ca: String = "ca.crt", name: String = "kubeconfig") throws -> String {
        let certs = Self.certificates
        var cluster = "    server: \(apiURL)\n"
        if inlineCA {
            let pem = try Data(contentsOf: URL(fileURLWithPath: certs + "/" + ca)).base64EncodedString()
            cluster += "    certificate-authority-data: \(pem)\n"
        } else {
            cluster += "    certificate-authority: \(certs)/\(ca)\n"
        }
        var user = ""
        switch credentials {
        case .tokenFile: user = "    tokenFile: token\n"
        case .token: user = "    token: \(Self.token)\n"
        case .clientCertificate:
            let c = try Data(contentsOf: URL(fileURLWithPath: certs + "/client.crt")).base64EncodedString()
            user = "    client-certificate-data: \(c)\n    client-key: \(certs)/client.key\n"
        case .none: user = "    {}\n"
        }
        let text = """
        apiVersion: v1
        kind: Config
        current-context: test
        clusters:
        - name: test-cluster
          cluster:
        \(cluster)users:
        - name: test-user
          user:
        \(user)contexts:
        - name: test
          context:
            cluster: test-cluster
            user: test-user

        """
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Rotates the token: the server wants `token` from now on; the client's token file
    /// says it too (as the kubelet would rewrite it).
    func rotateToken(_ token: String) throws {
        try token.write(toFile: dir + "/expected-token", atomically: true, encoding: .utf8)
        try token.write(toFile: dir + "/token", atomically: true, encoding: .utf8)
    }

    // MARK: control

    @discardableResult
    func control(_ method: String, _ path: String, _ body: Any? = nil) throws -> Any {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        let fd = try RawClient.tcpConnect(port: controlPort)
        defer { close(fd) }
        let head = "\(method) \(path) HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: \(data.count)\r\n\r\n"
        RawClient.write(fd, Array(head.utf8) + Array(data))
        var reply: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while RawClient.readable(fd, timeout: 10) {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break }
            reply += buf[0..<n]
        }
        guard let split = reply.firstRange(of: Array("\r\n\r\n".utf8)) else {
            let log = (try? String(contentsOfFile: dir + "/server.log", encoding: .utf8)) ?? ""
            throw HarnessError("control \(path): no reply (\(reply.count) bytes); server log: \(log.suffix(2000))")
        }
        return try JSONSerialization.jsonObject(with: Data(reply[split.upperBound...]), options: [.fragmentsAllowed])
    }

    func apply(_ objects: [Any]) throws { try control("POST", "/apply", ["kind": "List", "items": objects]) }
    func apply(_ object: [String: Any]) throws { try control("POST", "/apply", object) }
    func delete(kind: String, namespace: String, name: String) throws {
        try control("POST", "/delete", ["kind": kind, "namespace": namespace, "name": name])
    }
    func fault(_ f: [String: Any]) throws { try control("POST", "/fault", f) }
    func objects() throws -> [[String: Any]] {
        ((try control("GET", "/objects") as? [String: Any])?["items"] as? [[String: Any]]) ?? []
    }
    /// (verb, path) of every API request so far.
    func requests() throws -> [(String, String)] {
        ((try control("GET", "/requests") as? [[String]]) ?? []).map { ($0[0], $0[1]) }
    }
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass.
@discardableResult
func eventually(_ seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        if try condition() { return true }
        usleep(20_000)
    } while Date() < deadline
    return try condition()
}

extension KubeTestServer {
    /// Changes the objects a restarted server comes back with (while it is down).
    func editState(_ edit: (inout [[String: Any]]) -> Void) throws {
        let path = dir + "/state.json"
        var state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
        var items = state["objects"] as? [[String: Any]] ?? []
        edit(&items)
        state["objects"] = items
        try JSONSerialization.data(withJSONObject: state).write(to: URL(fileURLWithPath: path))
    }
}

/// Objects of the shapes Lighthouse writes, for the watcher tests.
enum Objects {
    static func serviceImport(_ name: String, namespace: String = "default", type: String = "ClusterSetIP") -> [String: Any] {
        ["apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceImport",
         "metadata": ["name": name, "namespace": namespace],
         "spec": ["type": type, "ports": [["name": "http", "protocol": "TCP", "port": 80]]]]
    }

    static func slice(_ service: String, namespace: String = "default", cluster: String, ip: String, ready: Bool = true) -> [String: Any] {
        ["apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": ["name": "\(service)-\(cluster)", "namespace": namespace, "labels": [
            "endpointslice.kubernetes.io/managed-by": "lighthouse-agent.submariner.io",
            "multicluster.kubernetes.io/service-name": service,
            "lighthouse.submariner.io/sourceNamespace": namespace,
            "multicluster.kubernetes.io/source-cluster": cluster,
            "lighthouse.submariner.io/is-headless": "false",
         ]],
         "addressType": "IPv4",
         "ports": [["name": "http", "protocol": "TCP", "port": 80]],
         "endpoints": [["addresses": [ip], "conditions": ["ready": ready]]]]
    }

    /// `count` services `<prefix><i>` with addresses `<subnet>.<i+1>`.
    static func services(_ count: Int, prefix: String, subnet: String) -> [[String: Any]] {
        var out: [[String: Any]] = []
        for i in 0..<count { out += service("\(prefix)\(i)", ip: "\(subnet).\(i + 1)") }
        return out
    }

    /// A service exported from one cluster: its import and its slice.
    static func service(_ name: String, namespace: String = "default", cluster: String = "east", ip: String) -> [[String: Any]] {
        [serviceImport(name, namespace: namespace), slice(name, namespace: namespace, cluster: cluster, ip: ip)]
    }
}
