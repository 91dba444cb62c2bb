import Foundation
import Testing

/// `--state-file`: a restart while the API server is down answers at once from the saved
/// objects, marked stale (EDE 3), then plainly once the API server is back and listed. A
/// corrupt, truncated or foreign file is logged and ignored.
@Suite struct StateFileTests {
    func answer(_ s: SextantProcess, _ name: String) -> DigResult {
        DigResult(text: (try? dig(s, ["+norec", name])) ?? "")
    }

    @Test func aRestartWithTheAPIServerDownAnswersStaleThenFresh() throws {
        let api = try KubeTestServer(objects: Objects.service("web", ip: "10.70.0.1") + Objects.service("db", ip: "10.70.0.2"))
        let dir = NSTemporaryDirectory() + "sextant-state-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let state = dir + "/state.json"
        let args = ["--kubeconfig", try api.kubeconfig(), "--zones", try zonesFolder([:]), "--state-file", state]

        let first = try SextantProcess(args)
        #expect(eventually { answer(first, "web.default.svc.clusterset.local").section("ANSWER").first?.last == "10.70.0.1" })
        // Written within a few seconds of the change, atomically (no temporary file left).
        #expect(eventually(6) { ((try? String(contentsOfFile: state, encoding: .utf8)) ?? "").contains("10.70.0.2") })
        first.signal(SIGTERM)
        first.process.waitUntilExit()
        #expect(first.process.terminationStatus == 0)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(left == ["state.json"], "\(left)")

        // The API server is down: the restarted server answers at once, stale.
        api.kill()
        let second = try SextantProcess(args)
        let stale = answer(second, "web.default.svc.clusterset.local")
        #expect(stale.status == "NOERROR")
        #expect(stale.section("ANSWER").first?.last == "10.70.0.1")
        #expect(stale.text.contains("EDE: 3 (Stale Answer)"), "\(stale.text)")
        #expect(answer(second, "nope.default.svc.clusterset.local").text.contains("EDE: 3"))
        // Without EDNS the same answer, without the option.
        let plain = DigResult(text: try dig(second, ["+norec", "+noedns", "db.default.svc.clusterset.local"]))
        #expect(plain.section("ANSWER").first?.last == "10.70.0.2" && !plain.hasOPT)
        #expect(try second.http("/ready").status == 200)
        #expect(try second.http("/debug/state").body.contains("\"stale\" : true"))

        // Back, with a change made meanwhile: fresh answers, no EDE.
        try api.editState { items in
            for i in items.indices where (items[i]["metadata"] as? [String: Any])?["name"] as? String == "web-east" {
                items[i]["endpoints"] = [["addresses": ["10.70.0.9"], "conditions": ["ready": true]]]
            }
        }
        try api.restart()
        #expect(eventually {
            let r = answer(second, "web.default.svc.clusterset.local")
            return r.section("ANSWER").first?.last == "10.70.0.9" && !r.text.contains("EDE")
        })
        #expect(try second.http("/debug/state").body.contains("\"stale\" : false"))
    }

    @Test(arguments: ["{\"kind\": \"SextantState\", \"version\": 1, \"objects\": [", "not json at all", "{\"kind\": \"Other\", \"objects\": []}", ""])
    func aBadStateFileIsIgnored(content: String) throws {
        let api = try KubeTestServer(objects: Objects.service("web", ip: "10.71.0.1"))
        try api.fault(["fail": ["status": 500, "verb": "list", "match": "serviceimports", "count": 100000]])
        let dir = NSTemporaryDirectory() + "sextant-state-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try content.write(toFile: dir + "/state.json", atomically: true, encoding: .utf8)
        let s = try SextantProcess(["--kubeconfig", try api.kubeconfig(), "--zones", try zonesFolder([:]), "--state-file", dir + "/state.json"])
        // Not fatal: the server runs, not ready (nothing restored, nothing listed).
        let r = answer(s, "web.default.svc.clusterset.local")
        #expect(r.status == "SERVFAIL" && r.text.contains("EDE: 14"))
        try api.fault(["clear_fail": true])
        #expect(eventually { answer(s, "web.default.svc.clusterset.local").section("ANSWER").first?.last == "10.71.0.1" })
        let log = s.stopAndReadStderr()
        #expect(log.contains("state file") && log.contains("ignored"), "\(log)")
    }

    @Test func theFlagNeedsAnAPIServer() throws {
        let r = try SextantProcess.runToExit(["serve", "--zones", repositoryZones, "--state-file", "/tmp/x.json"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--state-file"), "\(r.stderr)")
    }
}
