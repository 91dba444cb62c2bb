import Foundation
import KubeClient
import Testing

@Suite struct KubeConfigTests {
    func write(_ text: String, name: String = "config") throws -> String {
        let dir = NSTemporaryDirectory() + "sextant-kc-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "tok-from-file\n".write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        try "-----BEGIN CERTIFICATE-----\n".write(toFile: dir + "/ca.crt", atomically: true, encoding: .utf8)
        try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        return dir + "/" + name
    }

    func config(cluster: String, user: String, extra: String = "") -> String {
        """
        apiVersion: v1
        kind: Config
        current-context: a
        clusters:
        - name: c
          cluster:
        \(cluster)
        users:
        - name: u
          user:
        \(user)
        contexts:
        - name: a
          context: {cluster: c, user: u, namespace: ns1}
        - name: b
          context: {cluster: c, user: missing}
        \(extra)
        """
    }

    @Test func relativePathsAndTokenFile() throws {
        let path = try write(config(cluster: "    server: https://10.0.0.1:6443/\n    certificate-authority: ca.crt", user: "    tokenFile: token"))
        let c = try KubeConfig.load(kubeconfig: path)
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        #expect(c.server == "https://10.0.0.1:6443")
        #expect(c.certificateAuthority == .file(dir + "/ca.crt"))
        #expect(c.token?.origin == .file(dir + "/token"))
        #expect(c.token?.current() == "tok-from-file")
        #expect(c.namespace == "ns1")
    }

    @Test func inlineDataIsBase64() throws {
        let pem = Data("PEM BYTES".utf8).base64EncodedString()
        let path = try write(config(cluster: "    server: https://api:443\n    certificate-authority-data: \(pem)",
                                    user: "    token: abc\n    client-certificate-data: \(pem)\n    client-key-data: \(pem)"))
        let c = try KubeConfig.load(kubeconfig: path)
        #expect(c.certificateAuthority == .pem(Array("PEM BYTES".utf8)))
        #expect(c.clientCertificate == .pem(Array("PEM BYTES".utf8)))
        #expect(c.token?.current() == "abc")
    }

    @Test(arguments: [
        ("    server: https://a:1\n    certificate-authority-data: '!!!'", "    token: t", "a", "certificate-authority-data is not base64"),
        ("    server: https://a:1\n    insecure-skip-tls-verify: true\n    certificate-authority: ca.crt", "    token: t", "a", "insecure flag is not allowed"),
        ("    server: https://a:1", "    exec: {command: get-token}", "a", "exec plugin"),
        ("    server: https://a:1", "    client-certificate: ca.crt", "a", "needs its key"),
        ("    server: ftp://a:1", "    token: t", "a", "must be https"),
        ("    server: https://a:1", "    tokenFile: nothing-here", "a", "cannot read a token"),
        ("    server: https://a:1", "    token: t", "b", "user 'missing', which is not defined"),
        ("    server: https://a:1", "    token: t", "zzz", "no context named 'zzz'"),
        ("    certificate-authority: ca.crt", "    token: t", "a", "has no server"),
    ])
    func unusableConfigurations(cluster: String, user: String, context: String, message: String) throws {
        let path = try write(config(cluster: cluster, user: user))
        do {
            _ = try KubeConfig.load(kubeconfig: path, context: context)
            Issue.record("expected an error containing '\(message)'")
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
            #expect(error.description.contains(path))
        }
    }

    @Test func notAKubeconfig() throws {
        let path = try write("- just\n- a list\n")
        #expect(throws: KubeConfigError.self) { try KubeConfig.load(kubeconfig: path) }
        #expect(throws: KubeConfigError.self) { try KubeConfig.load(kubeconfig: "/nonexistent/kubeconfig") }
    }

    @Test func inCluster() throws {
        let dir = URL(fileURLWithPath: try write("unused")).deletingLastPathComponent().path
        try "pod-ns\n".write(toFile: dir + "/namespace", atomically: true, encoding: .utf8)
        let c = try KubeConfig.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"], folder: dir)
        #expect(c.server == "https://[fd00::1]:443")
        #expect(c.namespace == "pod-ns")
        #expect(c.token?.current() == "tok-from-file")
        // Rotation: the kubelet rewrites the file; a 401 makes the next request read it.
        try "rotated\n".write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        #expect(c.token?.current() == "tok-from-file")
        c.token?.invalidate()
        #expect(c.token?.current() == "rotated")
        #expect(throws: KubeConfigError.self) { try KubeConfig.inCluster(environment: [:], folder: dir) }
        #expect(throws: KubeConfigError.self) {
            try KubeConfig.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "h", "KUBERNETES_SERVICE_PORT": "443"], folder: dir + "/nope")
        }
    }
}
