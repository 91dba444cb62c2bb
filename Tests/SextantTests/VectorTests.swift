import AnswerTable
import ClusterSet
import DNSServer
import DNSWire
import Foundation
import Testing

let vectors: VectorFile = {
    do { return try VectorFile.load() } catch { fatalError("vectors.json: \(error)") }
}()

/// The flags of a scenario as a store configuration (the in-process twin of `serve`).
func storeConfiguration(_ flags: [String]) -> StoreConfiguration {
    var c = StoreConfiguration(zones: [VectorChecker.zone])
    var i = 0
    while i + 1 < flags.count {
        let v = flags[i + 1]
        switch flags[i] {
        case "--ttl": c.ttl = UInt32(v) ?? 5
        case "--cluster-id": c.localClusterID = v
        case "--mode": c.mode = StoreConfiguration.Mode(rawValue: v) ?? .lighthouse
        case "--connectivity": c.connectivity = StoreConfiguration.Connectivity(rawValue: v) ?? .gateway
        case "--layout": c.layout = StoreConfiguration.Layout(rawValue: v) ?? .cluster
        case "--broker-namespace": c.brokerNamespace = v
        default: break
        }
        i += 2
    }
    return c
}

/// Every scenario in-process: objects into the store, queries through the responder.
@Suite struct InProcessVectorTests {
    @Test(arguments: vectors.scenarios.filter { $0.modes.contains("static") })
    func scenario(_ s: Scenario) throws {
        for mcs in [false, true] {
            let store = ClusterSetStore(configuration: storeConfiguration(s.flags + (mcs ? vectors.mcs_flags : [])))
            for o in s.manifestObjects {
                guard case .object(let d) = o, case .string(let kind)? = d["kind"], let k = ObjectKind(rawValue: kind) else { continue }
                store.apply(.upsert(try KubeObject.decode(kind: k, json: o.data)))
            }
            let table = store.makeTable(zones: [.builtIn(apex: VectorChecker.zone)])
            let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Responder.scratchSize, alignment: 8)
            let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535, alignment: 8)
            defer { scratch.deallocate(); out.deallocate() }
            var checker = VectorChecker(scenario: s, mcs: mcs) { query in
                var n = query.withUnsafeBytes { Responder.respond(to: $0, table: table, transport: .udp, scratch: scratch, out: out) }
                if n > 2 && out[2] & 0x02 != 0 {
                    n = query.withUnsafeBytes { Responder.respond(to: $0, table: table, transport: .tcp, scratch: scratch, out: out) }
                }
                return Array(out[0..<n])
            }
            let failures = checker.run()
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        }
    }
}

/// Every scenario against the `sextant` binary, objects written as a manifest.
@Suite struct BinaryVectorTests {
    @Test(arguments: vectors.scenarios.filter { $0.modes.contains("static") })
    func scenario(_ s: Scenario) throws {
        let list: [String: Any] = ["apiVersion": "v1", "kind": "List", "items": s.manifestObjects.map(\.any)]
        let dir = try zonesFolder([:])
        try JSONSerialization.data(withJSONObject: list).write(to: URL(fileURLWithPath: dir + "/objects.json"))
        for mcs in [false, true] {
            let server = try SextantProcess(["--zones", dir] + s.flags + (mcs ? vectors.mcs_flags : []))
            var checker = VectorChecker(scenario: s, mcs: mcs) { askBinary($0, port: server.port) }
            let failures = checker.run()
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
            server.stop()
        }
    }
}

/// Every scenario a third way: the objects are created on the test API server and the
/// `sextant` binary watches it through a kubeconfig.
@Suite struct APIVectorTests {
    @Test(arguments: vectors.scenarios.filter { $0.modes.contains("api") })
    func scenario(_ s: Scenario) throws {
        let api = try KubeTestServer(objects: s.objects.map(\.any))
        let kubeconfig = try api.kubeconfig()
        let zones = try zonesFolder([:])
        for mcs in [false, true] {
            let server = try SextantProcess(["--kubeconfig", kubeconfig, "--zones", zones] + s.flags + (mcs ? vectors.mcs_flags : []))
            // Until every resource is listed the server says SERVFAIL (Not Ready).
            let ready = eventually { (try? dig(server, ["SOA", "clusterset.local", "+norec"])).map { DigResult(text: $0).status == "NOERROR" } ?? false }
            #expect(ready, "sextant never became ready")
            var checker = VectorChecker(scenario: s, mcs: mcs) { askBinary($0, port: server.port) }
            let failures = checker.run()
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
            server.stop()
        }
    }
}

/// One query to the binary as vectors.md says: UDP with EDNS, and over TCP again when
/// the answer came back truncated.
func askBinary(_ query: [UInt8], port: UInt16) -> [UInt8]? {
    guard let reply = RawClient.udp(query, port: port) else { return nil }
    guard reply.count > 2, reply[2] & 0x02 != 0 else { return reply }
    guard let fd = try? RawClient.tcpConnect(port: port) else { return nil }
    defer { close(fd) }
    RawClient.write(fd, RawClient.framed(query))
    return RawClient.readFrame(fd)
}
