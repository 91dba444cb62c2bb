import AnswerTable
import ClusterSet
import DNSServer
import DNSWire
import Testing

/// The service compiler's wire output (compression as RFC 1035 and RFC 2782 want it) and
/// the threaded full compile.
@Suite struct ServiceCompileTests {
    /// Raw response bytes for one question.
    func raw(_ table: AnswerTable, _ name: String, _ type: RRType) throws -> [UInt8] {
        let query = MessageBuilder.query(id: 7, name: try DNSName(name), type: type, edns: nil)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Responder.scratchSize, alignment: 8)
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535, alignment: 8)
        defer { scratch.deallocate(); out.deallocate() }
        let n = query.withUnsafeBytes { Responder.respond(to: $0, table: table, transport: .tcp, scratch: scratch, out: out) }
        return Array(out[0..<n])
    }

    @Test func headlessSRVWritesTargetsWholeAndPointsGlueAtThem() throws {
        let s = makeStore([
            serviceImport("db", "shop", type: .headless),
            headlessSlice("db", "shop", cluster: "c1", endpoints: [.init(addresses: [ip("10.1.0.5")], hostname: "db-0")]),
        ])
        let name = "db.shop.svc.clusterset.local"
        let bytes = try raw(table(s), name, .srv)
        let qname = try DNSName(name).wire
        // Header, question (owner at offset 12), then the SRV record.
        var at = 12 + qname.count + 4
        #expect(Array(bytes[at..<(at + 2)]) == [0xC0, 12], "the owner points at the question")
        at += 2
        #expect(Array(bytes[at..<(at + 2)]) == [0, 33])
        at += 8  // type, class, TTL
        let rdlength = Int(bytes[at]) << 8 | Int(bytes[at + 1])
        at += 2
        #expect(Array(bytes[at..<(at + 6)]) == [0, 0, 0, 50, 0, 80], "priority 0, weight 50, port 80")
        let targetAt = at + 6
        // The target, db-0.c1.db.shop.svc.clusterset.local, written without a pointer.
        let target = try DNSName("db-0.c1.\(name)").wire
        #expect(Array(bytes[targetAt..<(targetAt + target.count)]) == target)
        #expect(rdlength == 6 + target.count)
        // The glue's owner is a pointer to the target inside the SRV record.
        let glueAt = targetAt + target.count
        #expect(Array(bytes[glueAt..<(glueAt + 2)]) == [0xC0 | UInt8(targetAt >> 8), UInt8(targetAt & 0xFF)])
        #expect(Array(bytes[(glueAt + 2)..<(glueAt + 4)]) == [0, 1])
        #expect(Array(bytes[(bytes.count - 4)...]) == [10, 1, 0, 5])
        let m = try Message(decoding: bytes)
        #expect(m.answers.map(\.presentationData) == ["0 50 80 db-0.c1.\(name)."])
        #expect(m.additional.map(\.name.description) == ["db-0.c1.\(name)."])
    }

    @Test func portNameSRVPointsAtTheServiceInsideTheQuestion() throws {
        let s = makeStore([
            serviceImport("web", "shop", ips: ["10.9.0.1"]),
            clusterSlice("web", "shop", cluster: "c1", address: "10.0.0.1"),
        ])
        let name = "_http._tcp.web.shop.svc.clusterset.local"
        let bytes = try raw(table(s), name, .srv)
        let m = try Message(decoding: bytes)
        #expect(m.answers.map(\.presentationData) == ["0 50 80 web.shop.svc.clusterset.local."])
        #expect(m.additional.map(\.presentationData) == ["10.9.0.1"])
        // The SRV target is written whole (RFC 2782); the glue's owner points at the same
        // name where it first appears: inside the question, after `_http._tcp`.
        let rdataAt = 12 + (try DNSName(name).wire.count) + 4 + 12
        let target = try DNSName("web.shop.svc.clusterset.local").wire
        #expect(Array(bytes[(rdataAt + 6)..<(rdataAt + 6 + target.count)]) == target)
        let glueAt = rdataAt + 6 + target.count
        #expect(Array(bytes[glueAt..<(glueAt + 2)]) == [0xC0, 12 + 6 + 5])
    }

    /// A rotating A answer is the chosen cluster's address alone; the SRV answer that
    /// follows the rotation carries that cluster's addresses as glue.
    @Test func rotatingAddressAnswersHaveNoAdditionalSection() throws {
        let s = makeStore([
            serviceImport("web", "shop"),
            clusterSlice("web", "shop", cluster: "c1", address: "10.0.0.1"),
            clusterSlice("web", "shop", cluster: "c1", address: "2001:db8::1"),
            clusterSlice("web", "shop", cluster: "c2", address: "10.0.0.2"),
            clusterSlice("web", "shop", cluster: "c2", address: "2001:db8::2"),
        ])
        let t = table(s)
        let name = "web.shop.svc.clusterset.local"
        for _ in 0..<2 {
            let a = try ask(t, name, .a)
            #expect(a.answers.count == 1)
            #expect(a.additional.isEmpty)
            let srv = try ask(t, name, .srv)
            #expect(srv.answers.map(\.presentationData) == ["0 50 80 \(name)."])
            // The glue is the cluster the A rotation stands on: both of its families.
            let glue = srv.additional.map(\.presentationData).sorted()
            #expect(glue == ["10.0.0.1", "2001:db8::1"] || glue == ["10.0.0.2", "2001:db8::2"])
        }
    }

    /// A zone file with more empty non-terminals than the first slot array holds: the
    /// builder grows it (re-hashing names, as slots keep only part of the hash) and
    /// every name and non-terminal is still found.
    @Test func zoneTableGrowsAndFindsEveryName() throws {
        var z = ZoneContent.builtIn(apex: zone)
        for i in 0..<40 {
            let name = try DNSName("h\(i).d\(i).c\(i).b\(i).deep.clusterset.local")
            z.records.append(ResourceRecord(name: name, type: .a, ttl: 5, rdata: .a(10, 9, 0, UInt8(i))))
        }
        var b = AnswerTableBuilder()
        b.add(zone: z)
        let t = b.build()
        for i in [0, 17, 39] {
            #expect(data(try ask(t, "h\(i).d\(i).c\(i).b\(i).deep.clusterset.local", .a)) == ["10.9.0.\(i)"])
            let ent = try ask(t, "c\(i).b\(i).deep.clusterset.local", .a)
            #expect(ent.rcode == .noError && ent.answers.isEmpty)
        }
        #expect(try ask(t, "h40.d40.c40.b40.deep.clusterset.local", .a).rcode == .nxDomain)
        #expect(t.nameCount >= 40 * 4 + 2)
    }

    /// More services than the threshold compile on every core; each keeps its own
    /// rotation (slots handed out once, under the lock).
    @Test func threadedFullCompileGivesEveryServiceItsOwnAnswersAndRotation() throws {
        let count = ClusterSetStore.parallelThreshold * 2 + 3
        var objects: [KubeObject] = []
        for i in 0..<count {
            objects.append(serviceImport("s\(i)", "bulk"))
            objects.append(clusterSlice("s\(i)", "bulk", cluster: "c1", address: "10.1.\(i / 256).\(i % 256)"))
            objects.append(clusterSlice("s\(i)", "bulk", cluster: "c2", address: "10.2.\(i / 256).\(i % 256)"))
        }
        let s = makeStore(objects)
        let t = table(s)
        #expect(t.serviceTableCount == count)
        for i in [0, 1, count / 2, count - 1] {
            let name = "s\(i).bulk.svc.clusterset.local"
            let a = "10.1.\(i / 256).\(i % 256)", b = "10.2.\(i / 256).\(i % 256)"
            // Two queries take both clusters once, whatever the other services did.
            let seen = Set([try ask(t, name, .a), try ask(t, name, .a)].flatMap(data))
            #expect(seen == [a, b])
            #expect(data(try ask(t, "c2.\(name)", .a)) == [b])
        }
        // Slots are distinct: moving one service's rotation leaves another's alone.
        let one = "s1.bulk.svc.clusterset.local", two = "s2.bulk.svc.clusterset.local"
        let before = data(try ask(t, two, .a))
        _ = try ask(t, one, .a)
        _ = try ask(t, one, .a)
        _ = try ask(t, one, .a)
        let after = data(try ask(t, two, .a))
        #expect(before != after, "s2 moves by its own queries only")
    }

    /// Services added after a compile need more rotation slots: the counters grow and
    /// the rotations already running go on where they were.
    @Test func countersGrowWithoutRestartingRotations() throws {
        let s = makeStore(rotatingWeb)
        let first = data(try ask(table(s), "web.shop.svc.clusterset.local", .a))
        let capacity = s.counters.capacity
        for i in 0..<(capacity + 5) {
            s.apply(.upsert(serviceImport("n\(i)", "shop")))
            s.apply(.upsert(clusterSlice("n\(i)", "shop", cluster: "c1", address: "10.3.0.\(i % 250 + 1)")))
            s.apply(.upsert(clusterSlice("n\(i)", "shop", cluster: "c2", address: "10.4.0.\(i % 250 + 1)")))
        }
        s.apply(.upsert(clusterSlice("web", "shop", cluster: "c2", address: "10.0.0.2", ports: [ServicePort(name: "http", proto: "TCP", port: 8080)])))
        let t = table(s)
        #expect(s.counters.capacity > capacity)
        #expect(data(try ask(t, "web.shop.svc.clusterset.local", .a)) != first)
        #expect(data(try ask(t, "n\(capacity + 4).shop.svc.clusterset.local", .a)).count == 1)
    }
}
