import AnswerTable
import ClusterSet
import DNSWire
import Testing

/// `--max-records`: a headless answer of more addresses than the cap is a window of the
/// cap's size that moves on with each query; every address comes in turn.
@Suite struct MaxRecordsTests {
    /// `db.shop`: headless, 150 ready endpoints in c1 (10.1.0.1 ...) and 30 in c2.
    static func objects() -> [KubeObject] {
        func endpoints(_ prefix: String, _ n: Int) -> [EndpointSlice.Endpoint] {
            (1...n).map { .init(addresses: [ip("\(prefix).\($0 / 250).\($0 % 250 + 1)")], ready: true) }
        }
        return [
            serviceImport("db", "shop", type: .headless),
            headlessSlice("db", "shop", cluster: "c1", endpoints: endpoints("10.1", 150)),
            headlessSlice("db", "shop", cluster: "c2", endpoints: endpoints("10.2", 30)),
        ]
    }

    static func store(maxRecords: Int?) -> ClusterSetStore {
        let s = ClusterSetStore(configuration: StoreConfiguration(localClusterID: "c0", zones: [zone], maxRecords: maxRecords))
        for o in objects() { s.apply(.upsert(o)) }
        return s
    }

    @Test func withoutACapEveryAddressIsInOneAnswer() throws {
        let t = table(Self.store(maxRecords: nil))
        #expect(try ask(t, "db.shop.svc.clusterset.local", .a).answers.count == 180)
        #expect(try ask(t, "c1.db.shop.svc.clusterset.local", .a).answers.count == 150)
    }

    @Test func aCappedAnswerRotatesOverEveryAddress() throws {
        let t = table(Self.store(maxRecords: 100))
        // 180 addresses, windows of 100: three (an odd number) starting at 0, 60 and 120,
        // the last wrapping to the start; the fourth query is the first window again.
        var answers: [[String]] = []
        for _ in 0..<6 { answers.append(data(try ask(t, "db.shop.svc.clusterset.local", .a))) }
        #expect(answers.allSatisfy { $0.count == 100 && Set($0).count == 100 })
        #expect(answers[0] != answers[1] && answers[1] != answers[2] && answers[0] != answers[2])
        #expect(answers[3] == answers[0])
        #expect(Set(answers[0]).intersection(answers[1]).count == 40)
        #expect(Set(answers[0]).union(answers[1]).union(answers[2]).count == 180)
        // Two steps at a time (TC over UDP, then TCP) still visits every window.
        #expect(Set(answers[0]).union(answers[2]).union(answers[4]).count == 180)

        // The cluster name of c1 (150 addresses) is capped too; c2's (30) is whole.
        let c1 = data(try ask(t, "c1.db.shop.svc.clusterset.local", .a))
        let c1Next = data(try ask(t, "c1.db.shop.svc.clusterset.local", .a))
        #expect(c1.count == 100 && c1Next.count == 100)
        #expect(Set(c1).union(c1Next).count == 150)  // windows start at 0, 50, 100
        #expect(c1.allSatisfy { $0.hasPrefix("10.1.") })
        #expect(try ask(t, "c2.db.shop.svc.clusterset.local", .a).answers.count == 30)
        // Below the cap nothing changes: a host name, and NODATA for AAAA.
        #expect(data(try ask(t, "c2.db.shop.svc.clusterset.local", .a)).count == 30)
        let aaaa = try ask(t, "db.shop.svc.clusterset.local", .aaaa)
        #expect(aaaa.answers.isEmpty && aaaa.rcode == .noError)
    }

    @Test func aCapAboveTheCountChangesNothing() throws {
        let capped = table(Self.store(maxRecords: 500))
        let plain = table(Self.store(maxRecords: nil))
        for name in ["db.shop.svc.clusterset.local", "c1.db.shop.svc.clusterset.local"] {
            #expect(data(try ask(capped, name, .a)) == data(try ask(plain, name, .a)))
        }
    }
}
