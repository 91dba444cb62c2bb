import AnswerTable
import ClusterSet
import DNSServer
import DNSWire
import Foundation
import Testing

/// A small seeded generator, so a failing run can be repeated with its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct ConvergenceTests {
    /// Random creates, updates and deletes with faults in between (dropped watches,
    /// compaction so resumes get 410, failures, malformed events, stalls, the server
    /// killed and restarted); afterwards the store holds exactly the server's objects
    /// and answers as a store fed those objects directly does.
    @Test func randomChangesUnderFaults() throws {
        let seed = UInt64(Date().timeIntervalSince1970 * 1000)
        var rng = SplitMix64(state: seed)
        let api = try KubeTestServer()
        let h = try SyncHarness(api: api) { $0.idleTimeout = 1 }
        #expect(eventually { h.sync.isSynced })

        let services = (0..<10).map { "svc\($0)" }
        let clusters = ["east", "west"]
        for step in 0..<160 {
            let svc = services.randomElement(using: &rng) ?? "svc0"
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<30:
                try api.apply(Objects.serviceImport(svc))
            case 30..<65:
                let c = clusters.randomElement(using: &rng) ?? "east"
                try api.apply(Objects.slice(svc, cluster: c, ip: "10.30.\(Int.random(in: 0..<200, using: &rng)).\(step % 250 + 1)",
                                            ready: Bool.random(using: &rng)))
            case 65..<78:
                try api.delete(kind: "ServiceImport", namespace: "default", name: svc)
            case 78..<88:
                try api.delete(kind: "EndpointSlice", namespace: "default", name: "\(svc)-\(clusters.randomElement(using: &rng) ?? "east")")
            case 88..<91:
                try api.fault(["drop_watches": true])
            case 91..<93:
                try api.fault(["compact": true, "drop_watches": true, "gone_mode": Bool.random(using: &rng) ? "event" : "http"])
            case 93..<95:
                try api.fault(["fail": ["status": [500, 503, 429].randomElement(using: &rng) ?? 500, "count": 1, "retry_after": 0]])
            case 95..<97:
                try api.fault(["malformed": ["serviceimports", "endpointslices"].randomElement(using: &rng) ?? "endpointslices"])
            case 97..<99:
                try api.fault(["stall": true])
                usleep(UInt32.random(in: 100_000..<1_500_000, using: &rng))
                try api.fault(["stall": false])
            default:
                try api.restart()
            }
            if Int.random(in: 0..<4, using: &rng) == 0 { usleep(UInt32.random(in: 0..<60_000, using: &rng)) }
        }
        try api.fault(["stall": false, "clear_fail": true])

        // The server's final objects, as the store would hold them.
        func serverState() throws -> [String: String] {
            var out: [String: String] = [:]
            for o in try api.objects() {
                guard let kind = o["kind"] as? String, kind != "Namespace", let m = o["metadata"] as? [String: Any],
                      let name = m["name"] as? String, let ns = m["namespace"] as? String else { continue }
                out["\(kind) \(ns)/\(name)"] = m["resourceVersion"] as? String
            }
            return out
        }
        func heldState() -> [String: String] {
            h.held.mapValues { o -> String in
                switch o {
                case .serviceImport(let x): return x.metadata.resourceVersion ?? ""
                case .endpointSlice(let x): return x.metadata.resourceVersion ?? ""
                case .gateway(let x): return x.metadata.resourceVersion ?? ""
                }
            }
        }
        let converged = eventually(15) { (try? serverState()) == heldState() }
        let expected = try serverState()
        let held = heldState()
        #expect(converged, "seed \(seed): store \(held.count) objects, server \(expected.count); differing: \(Set(held.map { "\($0)=\($1)" }).symmetricDifference(expected.map { "\($0)=\($1)" }).sorted())")

        // Answers: the live table against a store fed the server's objects directly.
        let zone = try DNSName("clusterset.local")
        let fresh = ClusterSetStore(configuration: StoreConfiguration(zones: [zone]))
        for o in try api.objects() {
            guard let k = o["kind"] as? String, let kind = ObjectKind(rawValue: k) else { continue }
            fresh.apply(.upsert(try KubeObject.decode(kind: kind, json: JSONSerialization.data(withJSONObject: o))))
        }
        let reference = fresh.makeTable(zones: [.builtIn(apex: zone)])
        let live = h.publisher.snapshots.table
        var names: [(String, RRType)] = []
        for s in services {
            names.append(("\(s).default.svc.clusterset.local", .srv))
            for c in clusters { names.append(("\(c).\(s).default.svc.clusterset.local", .a)) }
        }
        for (name, type) in names {
            let a = reply(live, name, type), b = reply(reference, name, type)
            #expect(a == b, "seed \(seed): \(name) \(type) differs")
        }
    }

    func reply(_ table: AnswerTable, _ name: String, _ type: RRType) -> [UInt8] {
        guard let n = try? DNSName(name) else { return [] }
        let q = MessageBuilder.query(id: 7, name: n, type: type)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Responder.scratchSize, alignment: 8)
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535, alignment: 8)
        defer { scratch.deallocate(); out.deallocate() }
        let len = q.withUnsafeBytes { Responder.respond(to: $0, table: table, transport: .tcp, scratch: scratch, out: out) }
        return Array(out[0..<len])
    }
}
