import Foundation
import Testing

/// The `sextant` binary watching the test API server: readiness, outages, start-up errors.
@Suite struct WatcherTests {
    func answer(_ server: SextantProcess, _ name: String) -> [String] {
        guard let out = try? dig(server, ["+short", "+norec", name]) else { return [] }
        return out.split(separator: "\n").map(String.init).filter { !$0.hasPrefix(";") }.sorted()
    }

    @Test func notReadyIsServfailWithExtendedError14() throws {
        let api = try KubeTestServer(objects: Objects.service("web", ip: "10.20.0.1"))
        try api.fault(["fail": ["status": 500, "verb": "list", "match": "serviceimports", "count": 100000]])
        let server = try SextantProcess(["--kubeconfig", try api.kubeconfig(), "--zones", try zonesFolder([:])])
        let edns = DigResult(text: try dig(server, ["+norec", "web.default.svc.clusterset.local"]))
        #expect(edns.status == "SERVFAIL")
        #expect(edns.text.contains("EDE: 14 (Not Ready)"), "\(edns.text)")
        let plain = DigResult(text: try dig(server, ["+norec", "+noedns", "SOA", "clusterset.local"]))
        #expect(plain.status == "SERVFAIL")
        #expect(!plain.hasOPT)
        // Outside the zones nothing changes: REFUSED, not SERVFAIL.
        #expect(DigResult(text: try dig(server, ["+norec", "example.com"])).status == "REFUSED")

        try api.fault(["clear_fail": true])
        #expect(eventually { answer(server, "web.default.svc.clusterset.local") == ["10.20.0.1"] })
        #expect(DigResult(text: try dig(server, ["+norec", "nope.default.svc.clusterset.local"])).status == "NXDOMAIN")
    }

    /// The API server dies: answers stay. It comes back with other objects (changed and
    /// deleted while it was away, its history lost): answers follow.
    @Test func outageKeepsAnswersAndRecoveryFollowsChanges() throws {
        let api = try KubeTestServer(objects: Objects.service("web", ip: "10.21.0.1") + Objects.service("old", ip: "10.21.0.2"))
        let server = try SextantProcess(["--kubeconfig", try api.kubeconfig(), "--zones", try zonesFolder([:])])
        #expect(eventually { answer(server, "web.default.svc.clusterset.local") == ["10.21.0.1"] })

        api.kill()
        for _ in 0..<5 {
            #expect(answer(server, "web.default.svc.clusterset.local") == ["10.21.0.1"])
            #expect(answer(server, "old.default.svc.clusterset.local") == ["10.21.0.2"])
            usleep(300_000)
        }
        try api.editState { items in
            items.removeAll { (($0["metadata"] as? [String: Any])?["name"] as? String)?.hasPrefix("old") == true }
            for i in items.indices where (items[i]["metadata"] as? [String: Any])?["name"] as? String == "web-east" {
                items[i]["endpoints"] = [["addresses": ["10.21.0.9"], "conditions": ["ready": true]]]
            }
        }
        try api.restart()
        let back = Date()
        #expect(eventually { answer(server, "web.default.svc.clusterset.local") == ["10.21.0.9"] })
        let followed = Date().timeIntervalSince(back)
        #expect(eventually { DigResult(text: (try? dig(server, ["+norec", "old.default.svc.clusterset.local"])) ?? "").status == "NXDOMAIN" })
        print("answers followed the returning API server after \(Int(followed * 1000)) ms")
        #expect(server.isRunning)
    }

    /// Manifests in the zones folder and the API's objects answer side by side; a SIGHUP
    /// reload of the folder replaces the manifests' objects only.
    @Test func manifestsAndAPIObjectsSideBySide() throws {
        let api = try KubeTestServer(objects: Objects.service("from-api", ip: "10.22.0.1"))
        let manifest: [String: Any] = ["apiVersion": "v1", "kind": "List", "items": Objects.service("from-file", ip: "10.22.0.2")]
        let zones = try zonesFolder([:])
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: zones + "/objects.json"))
        let server = try SextantProcess(["--kubeconfig", try api.kubeconfig(), "--zones", zones])
        #expect(eventually { answer(server, "from-api.default.svc.clusterset.local") == ["10.22.0.1"] })
        #expect(answer(server, "from-file.default.svc.clusterset.local") == ["10.22.0.2"])

        let changed: [String: Any] = ["apiVersion": "v1", "kind": "List", "items": Objects.service("from-file", ip: "10.22.0.3")]
        try JSONSerialization.data(withJSONObject: changed).write(to: URL(fileURLWithPath: zones + "/objects.json"))
        server.signal(SIGHUP)
        #expect(eventually { answer(server, "from-file.default.svc.clusterset.local") == ["10.22.0.3"] })
        #expect(answer(server, "from-api.default.svc.clusterset.local") == ["10.22.0.1"], "a reload must keep the API's objects")
    }

    @Test func unusableKubeConfigurationIsExitStatus2() throws {
        let bad = try SextantProcess.runToExit(["serve", "--kubeconfig", "/nonexistent/config", "--listen", "127.0.0.1:0"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("kubeconfig /nonexistent/config: cannot read the file"), "\(bad.stderr)")
        let incluster = try SextantProcess.runToExit(["serve", "--in-cluster", "--listen", "127.0.0.1:0"])
        #expect(incluster.status == 2)
        #expect(incluster.stderr.contains("KUBERNETES_SERVICE_HOST"), "\(incluster.stderr)")
        let both = try SextantProcess.runToExit(["serve", "--in-cluster", "--kubeconfig", "x"])
        #expect(both.status == 2)
        #expect(both.stderr.contains("cannot be used together"))
    }
}
