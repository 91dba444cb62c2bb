@testable import AnswerTable
@testable import ClusterSet
import DNSWire
import Testing

/// The batch warm-up walks the lookup's own path: its last step names the memory the
/// lookup then answers from, and it changes nothing a lookup sees.
@Suite struct WarmProbeTests {
    /// Where a lookup writes an answer kept as data; read after `walk` returns, so never freed.
    nonisolated(unsafe) static let answerSpace = UnsafeMutableRawBufferPointer.allocate(byteCount: AnswerTable.answerSpaceSize, alignment: 8)

    /// Parses `name` as a worker does and returns every range the probe names, in order,
    /// with the lookup's result afterwards.
    func walk(_ table: AnswerTable, _ name: String, _ type: RRType) throws -> (ranges: [UnsafeRawBufferPointer]?, answer: AnswerTable.Lookup) {
        let query = MessageBuilder.query(id: 1, name: try DNSName(name), type: type)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 263, alignment: 8)
        defer { scratch.deallocate() }
        let q = try query.withUnsafeBytes { try QueryParser.question(in: $0, lowercasedInto: scratch) }
        let lowered = UnsafeRawBufferPointer(scratch)
        var ranges: [UnsafeRawBufferPointer]? = nil
        if var probe = AnswerTable.WarmProbe(table: table, name: lowered, length: q.nameLength, hash: q.hash, type: type) {
            var seen: [UnsafeRawBufferPointer] = []
            for _ in 0..<AnswerTable.WarmProbe.steps {
                guard let r = probe.next() else { break }
                seen.append(r)
            }
            ranges = seen
        }
        return (ranges, table.lookup(name: lowered, length: q.nameLength, hash: q.hash, type: type, answerSpace: Self.answerSpace))
    }

    @Test func serviceNameEndsOnItsAnswer() throws {
        // One cluster: a fixed answer, so the probe's last range is exactly the lookup's.
        let t = table(makeStore([serviceImport("web", "shop"), clusterSlice("web", "shop", cluster: "c1", address: "10.1.0.1")]))
        let (ranges, answer) = try walk(t, "Web.shop.svc.clusterset.local", .a)
        let steps = try #require(ranges)
        guard case .answer(let blob) = answer else {
            Issue.record("expected an answer, got \(answer)")
            return
        }
        let last = try #require(steps.last)
        #expect(last.baseAddress == blob.baseAddress)
        #expect(last.count == min(blob.count, 128))
        #expect(data(try ask(t, "web.shop.svc.clusterset.local", .a)) == ["10.1.0.1"])
    }

    /// With many services some start their directory probe on another service's slot:
    /// the warm-up follows the lookup's linear probe (else it warms the other service's
    /// block and the lookup misses), for a service's own name and for a name below it.
    @Test func probeFollowsTheDirectorysLinearProbe() throws {
        let objects = (0..<300).flatMap { i in
            [serviceImport("s\(i)", "shop"), clusterSlice("s\(i)", "shop", cluster: "c1", address: "10.1.\(i / 256).\(i % 256)")]
        }
        let t = table(makeStore(objects))
        var longest = 0
        for i in 0..<300 {
            // The whole probe (a batch gives it `steps`; a chain longer than that is
            // left cold, the lookup still answers).
            let answer = try walk(t, "s\(i).shop.svc.clusterset.local", .a).answer
            let steps = try #require(try probe(t, "s\(i).shop.svc.clusterset.local", .a))
            guard case .answer(let blob) = answer else {
                Issue.record("s\(i): expected an answer, got \(answer)")
                continue
            }
            #expect(steps.last?.baseAddress == blob.baseAddress, "s\(i)")
            longest = max(longest, steps.count)
            // A cluster's name: the probe ends on this service's cluster section, after
            // the block's header and key (which the directory's comparison reads).
            let cluster = try #require(try probe(t, "c1.s\(i).shop.svc.clusterset.local", .a))
            let section = try #require(cluster.last)
            #expect(Array(section.prefix(12)) == [0, 0, 0, 5, 0, 30, 1, 0, 23, 2] + Array("c1".utf8), "s\(i)")
            let keyed = cluster.contains { r in r.count > NameTable.keyOffset && Array(r[NameTable.keyOffset...].prefix(1 + "s\(i)".utf8.count)) == [UInt8("s\(i)".utf8.count)] + Array("s\(i)".utf8) }
            #expect(keyed, "s\(i): no range covers the key")
        }
        // Some service started on another's slot (else the test shows nothing).
        #expect(longest > 4)
    }

    @Test func rotatingAnswerIsNotAdvancedByTheProbe() throws {
        let objects = [serviceImport("web", "shop")] + (1...3).map { clusterSlice("web", "shop", cluster: "c\($0)", address: "10.\($0).0.1") }
        let plain = table(makeStore(objects, local: nil))
        let probed = table(makeStore(objects, local: nil))
        var a: [[String]] = []
        var b: [[String]] = []
        for _ in 0..<6 {
            a.append(data(try ask(plain, "web.shop.svc.clusterset.local", .a)))
            // Probes for both rotating answers (A, and SRV that follows it), then the same question.
            for type in [RRType.a, .srv, .a] { #expect(try probe(probed, "web.shop.svc.clusterset.local", type)?.isEmpty == false) }
            b.append(data(try ask(probed, "web.shop.svc.clusterset.local", .a)))
        }
        #expect(Set(a.flatMap { $0 }) == ["10.1.0.1", "10.2.0.1", "10.3.0.1"])
        #expect(a == b)
    }

    /// The probe's ranges alone, no lookup.
    func probe(_ table: AnswerTable, _ name: String, _ type: RRType) throws -> [UnsafeRawBufferPointer]? {
        let query = MessageBuilder.query(id: 1, name: try DNSName(name), type: type)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 263, alignment: 8)
        defer { scratch.deallocate() }
        let q = try query.withUnsafeBytes { try QueryParser.question(in: $0, lowercasedInto: scratch) }
        guard var p = AnswerTable.WarmProbe(table: table, name: UnsafeRawBufferPointer(scratch), length: q.nameLength, hash: q.hash, type: type) else { return nil }
        var seen: [UnsafeRawBufferPointer] = []
        while let r = p.next() { seen.append(r) }
        return seen
    }

    @Test func portNameEndsOnItsNode() throws {
        // Two clusters: the SRV answers follow the rotation, so the port names are compiled.
        let t = table(makeStore(rotatingWeb))
        let answer = try walk(t, "_http._tcp.web.shop.svc.clusterset.local", .srv).answer
        // The whole probe (a batch stops after `steps`): directory slot, table object,
        // its block's header, the table's slots up to the name's (as many as the lookup's linear probe
        // reads), the name itself, its node.
        let steps = try #require(try probe(t, "_http._tcp.web.shop.svc.clusterset.local", .srv))
        #expect(steps.count >= 6)
        // The name as the table stores it: without the service's own name.
        #expect(Array(steps[steps.count - 2]) == [5] + Array("_http".utf8) + [4] + Array("_tcp".utf8))
        if case .answer = answer {} else { Issue.record("expected an answer, got \(answer)") }
    }

    /// A cluster's name is kept as data: the probe ends on the table's cluster section.
    @Test func clusterNameEndsOnTheClusterSection() throws {
        let t = table(makeStore([serviceImport("web", "shop"), clusterSlice("web", "shop", cluster: "c1", address: "10.1.0.1")]))
        let answer = try walk(t, "c1.web.shop.svc.clusterset.local", .a).answer
        let steps = try #require(try probe(t, "c1.web.shop.svc.clusterset.local", .a))
        // The section: TTL, where the service's port names start, one cluster, the
        // record's length, then the label `c1`.
        let last = try #require(steps.last)
        #expect(Array(last.prefix(12)) == [0, 0, 0, 5, 0, 30, 1, 0, 23, 2] + Array("c1".utf8))
        guard case .answer(let blob) = answer else { Issue.record("expected an answer, got \(answer)"); return }
        #expect(Array(blob) == [0, 1, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 1, 0, 1])
    }

    @Test func namesOutsideServicesHaveNoProbe() throws {
        let t = table(makeStore([serviceImport("web", "shop"), clusterSlice("web", "shop", cluster: "c1", address: "10.1.0.1")]))
        #expect(try walk(t, "clusterset.local", .soa).ranges == nil)
        #expect(try walk(t, "shop.svc.clusterset.local", .a).ranges == nil)
        #expect(try walk(t, "example.org", .a).ranges == nil)
        // Under a service name that does not exist: the probe stops at the empty slot.
        let missing = try #require(try walk(t, "nope.shop.svc.clusterset.local", .a).ranges)
        #expect(missing.count <= 2)
    }
}
