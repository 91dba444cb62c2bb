import AnswerTable
import ClusterSet
import DNSWire
import Foundation
import Testing

@Suite struct StoreTests {
    @Test func weightsShapeTheRotation() throws {
        let s = makeStore([
            serviceImport("web", "shop", annotations: ["sextant.io/weight.c1": "2", "sextant.io/weight.c2": "1", "sextant.io/weight.c3": "0"]),
            clusterSlice("web", "shop", cluster: "c1", address: "10.0.0.1"),
            clusterSlice("web", "shop", cluster: "c2", address: "10.0.0.2"),
            clusterSlice("web", "shop", cluster: "c3", address: "10.0.0.3"),
        ])
        let t = table(s)
        var seen: [String] = []
        for _ in 0..<9 { seen += data(try ask(t, "web.shop.svc.clusterset.local", .a)) }
        // Smooth weighted round robin with weights 2:1 gives c1 c2 c1, and c3 (weight 0) never.
        let cycle = Array(seen.prefix(3))
        #expect(cycle.filter { $0 == "10.0.0.1" }.count == 2)
        #expect(cycle.filter { $0 == "10.0.0.2" }.count == 1)
        #expect(seen == cycle + cycle + cycle)
        #expect(!seen.contains("10.0.0.3"))
        // The cluster-specific name still answers for the drained cluster.
        #expect(data(try ask(t, "c3.web.shop.svc.clusterset.local", .a)) == ["10.0.0.3"])
    }

    @Test func aaaaDoesNotAdvanceTheARotation() throws {
        let s = makeStore(rotatingWeb)
        let t = table(s)
        let first = data(try ask(t, "web.shop.svc.clusterset.local", .a))
        for _ in 0..<3 { _ = try ask(t, "web.shop.svc.clusterset.local", .aaaa) }
        let second = data(try ask(t, "web.shop.svc.clusterset.local", .a))
        #expect(first != second)
    }

    @Test func rotationSurvivesDataChanges() throws {
        let s = makeStore(rotatingWeb)
        let first = data(try ask(table(s), "web.shop.svc.clusterset.local", .a))
        // An unrelated change makes a new table; the rotation goes on where it was.
        s.apply(.upsert(serviceImport("other", "shop")))
        let second = data(try ask(table(s), "web.shop.svc.clusterset.local", .a))
        #expect(first != second)
    }

    @Test func dualStackClusterSetIP() throws {
        let s = makeStore([
            serviceImport("api", "shop"),
            clusterSlice("api", "shop", cluster: "c1", address: "10.0.0.1"),
            clusterSlice("api", "shop", cluster: "c1", address: "2001:db8::1"),
        ])
        let t = table(s)
        #expect(data(try ask(t, "api.shop.svc.clusterset.local", .a)) == ["10.0.0.1"])
        #expect(data(try ask(t, "api.shop.svc.clusterset.local", .aaaa)) == ["2001:db8::1"])
        let srv = try ask(t, "api.shop.svc.clusterset.local", .srv)
        #expect(srv.additional.map(\.presentationData).sorted() == ["10.0.0.1", "2001:db8::1"])
    }

    @Test func updatesAndDeletesChangeAnswers() throws {
        let s = makeStore([serviceImport("web", "shop"), clusterSlice("web", "shop", cluster: "c1", address: "10.0.0.1")])
        #expect(data(try ask(table(s), "web.shop.svc.clusterset.local", .a)) == ["10.0.0.1"])
        // The slice changes its address.
        s.apply(.upsert(clusterSlice("web", "shop", cluster: "c1", address: "10.0.0.9")))
        #expect(data(try ask(table(s), "web.shop.svc.clusterset.local", .a)) == ["10.0.0.9"])
        // The endpoint becomes unready: NODATA, the cluster name still answers.
        s.apply(.upsert(clusterSlice("web", "shop", cluster: "c1", address: "10.0.0.9", ready: false)))
        let t = table(s)
        #expect(try ask(t, "web.shop.svc.clusterset.local", .a).answers.isEmpty)
        #expect(try ask(t, "web.shop.svc.clusterset.local", .a).rcode == .noError)
        #expect(data(try ask(t, "c1.web.shop.svc.clusterset.local", .a)) == ["10.0.0.9"])
        // The ServiceImport goes: the service is gone even though the slice remains.
        s.apply(.delete(ObjectKey(kind: .serviceImport, namespace: "shop", name: "web")))
        #expect(try ask(table(s), "web.shop.svc.clusterset.local", .a).rcode == .nxDomain)
        // And comes back.
        s.apply(.upsert(serviceImport("web", "shop")))
        #expect(try ask(table(s), "c1.web.shop.svc.clusterset.local", .a).rcode == .noError)
    }

    @Test func answersDoNotDependOnEventOrder() throws {
        let objects = [
            serviceImport("web", "shop"), clusterSlice("web", "shop", cluster: "c1", address: "10.0.0.1"),
            clusterSlice("web", "shop", cluster: "c2", address: "10.0.0.2", ready: false),
            serviceImport("db", "shop", type: .headless, ports: []),
            headlessSlice("db", "shop", cluster: "c1", endpoints: [.init(addresses: [ip("10.1.0.1")], hostname: "db-0")]),
        ]
        var reference: [String]? = nil
        for _ in 0..<10 {
            let s = makeStore(objects.shuffled())
            // Deleting and re-adding a random object must not change anything either.
            let o = objects.randomElement()!
            s.apply(.delete(o.key))
            s.apply(.upsert(o))
            let t = table(s)
            var answers: [String] = []
            for (n, ty) in [("web.shop.svc.clusterset.local", RRType.a), ("c2.web.shop.svc.clusterset.local", .a),
                            ("db.shop.svc.clusterset.local", .a), ("db-0.c1.db.shop.svc.clusterset.local", .a),
                            ("db.shop.svc.clusterset.local", .srv)] {
                let m = try ask(t, n, ty)
                answers.append("\(m.rcode.mnemonic) \(data(m))")
            }
            if let r = reference { #expect(answers == r) } else { reference = answers }
        }
    }

    @Test func mcsModeNamesAndTwoLabelClusterIDs() throws {
        let objects: [KubeObject] = [
            serviceImport("db", "shop", type: .headless, ports: []),
            headlessSlice("db", "shop", cluster: "east.reg1", endpoints: [
                .init(addresses: [ip("10.1.0.1")], podName: "db-5f7"),
                .init(addresses: [ip("10.1.0.2")], hostname: "db-1"),
            ], ports: [ServicePort(name: "", proto: "TCP", port: 5432)]),
            serviceImport("web", "shop"), clusterSlice("web", "shop", cluster: "c1", address: "10.0.0.1"),
        ]
        let mcs = table(makeStore(objects, mode: .mcs))
        // mcs: no pod-name hosts, dashed addresses instead; a two-label cluster id works.
        #expect(data(try ask(mcs, "10-1-0-1.east.reg1.db.shop.svc.clusterset.local", .a)) == ["10.1.0.1"])
        #expect(try ask(mcs, "db-5f7.east.reg1.db.shop.svc.clusterset.local", .a).rcode == .nxDomain)
        #expect(data(try ask(mcs, "db-1.east.reg1.db.shop.svc.clusterset.local", .a)) == ["10.1.0.2"])
        // mcs: no <cluster>.<svc> names for ClusterSetIP, no SRV for unnamed ports.
        #expect(try ask(mcs, "c1.web.shop.svc.clusterset.local", .a).rcode == .nxDomain)
        #expect(try ask(mcs, "db.shop.svc.clusterset.local", .srv).answers.isEmpty)
        let lighthouse = table(makeStore(objects, mode: .lighthouse))
        // lighthouse: pod names are host names; a dotted cluster id has no names at all.
        #expect(try ask(lighthouse, "db-5f7.east.reg1.db.shop.svc.clusterset.local", .a).rcode == .nxDomain)
        #expect(data(try ask(lighthouse, "db.shop.svc.clusterset.local", .a)) == ["10.1.0.1", "10.1.0.2"])
        #expect(data(try ask(lighthouse, "c1.web.shop.svc.clusterset.local", .a)) == ["10.0.0.1"])
    }

    @Test func malformedObjectsAreRejectedNotFatal() throws {
        let bad: [(ObjectKind, String)] = [
            (.serviceImport, #"{"metadata":{"namespace":"a"}}"#),                                    // no name
            (.serviceImport, #"{"metadata":{"name":"x","namespace":"a"},"spec":{"type":"Weird"}}"#),
            (.serviceImport, #"{"metadata":{"name":"x","namespace":"a"},"spec":{"ips":["300.1.1.1"]}}"#),
            (.endpointSlice, #"{"metadata":{"name":"x","namespace":"a"}}"#),                         // no addressType
            (.endpointSlice, #"{"metadata":{"name":"x","namespace":"a"},"addressType":"FQDN","endpoints":[]}"#),
            (.endpointSlice, #"{"metadata":{"name":"x","namespace":"a"},"addressType":"IPv4","endpoints":[{"addresses":["::1"]}]}"#),
            (.endpointSlice, #"{"metadata":{"name":"x","namespace":"a"},"addressType":"IPv4","endpoints":[],"ports":[{"port":70000}]}"#),
            (.gateway, #"{"metadata":{"name":"g"},"status":{"connections":[{"status":"connected"}]}}"#),
            (.gateway, #"[1,2,3]"#),
        ]
        for (kind, json) in bad {
            #expect(throws: (any Error).self, "\(json)") { _ = try KubeObject.decode(kind: kind, json: Data(json.utf8)) }
        }
        // Lenient where Kubernetes is: unquoted label values, null conditions, missing ports.
        let ok = #"{"metadata":{"name":"x","namespace":"a","labels":{"lighthouse.submariner.io/is-headless":false}},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"conditions":null}]}"#
        let o = try KubeObject.decode(kind: .endpointSlice, json: Data(ok.utf8))
        guard case .endpointSlice(let es) = o else { Issue.record("not a slice"); return }
        #expect(es.metadata.labels["lighthouse.submariner.io/is-headless"] == "false")
        #expect(es.endpoints.first?.ready == nil)
    }

    @Test func slicesWithoutRequiredLabelsAreCountedAndIgnored() throws {
        var labels = lighthouseLabels("web", "shop", "c1", headless: false)
        labels["multicluster.kubernetes.io/source-cluster"] = nil
        let s = makeStore([
            serviceImport("web", "shop"),
            .endpointSlice(EndpointSlice(metadata: meta("web-x", "shop", labels: labels), endpoints: [.init(addresses: [ip("10.0.0.1")])], ports: [])),
        ])
        #expect(try ask(table(s), "web.shop.svc.clusterset.local", .a).answers.isEmpty)
        #expect(s.ignoredCounts.values.reduce(0, +) == 1)
    }

    @Test func servicesWithoutADNSNameAreCounted() throws {
        let long = String(repeating: "x", count: 64)
        let s = makeStore([serviceImport(long, "shop"), serviceImport("a.b", "shop"), serviceImport("web", "shop"),
                           clusterSlice("web", "shop", cluster: "c1", address: "10.0.0.1")])
        let t = table(s)
        #expect(data(try ask(t, "web.shop.svc.clusterset.local", .a)) == ["10.0.0.1"])
        #expect(s.ignoredCounts["service name or namespace is not a DNS label"] == 2)
        s.apply(.delete(ObjectKey(kind: .serviceImport, namespace: "shop", name: long)))
        _ = table(s)
        #expect(s.ignoredCounts["service name or namespace is not a DNS label"] == 1)
    }

    @Test func gatewaysDecideConnectivityAndTheirDeletionCounts() throws {
        let gw = KubeObject.gateway(Gateway(metadata: meta("gw", "submariner-operator"), isActive: true, localClusterID: "c0",
                                            connections: [.init(clusterID: "c1", status: "connected"), .init(clusterID: "c2", status: "error")]))
        let s = makeStore([
            serviceImport("db", "shop", type: .headless, ports: []),
            headlessSlice("db", "shop", cluster: "c1", endpoints: [.init(addresses: [ip("10.1.0.1")])]),
            headlessSlice("db", "shop", cluster: "c2", endpoints: [.init(addresses: [ip("10.2.0.1")])]),
            gw,
        ])
        #expect(data(try ask(table(s), "db.shop.svc.clusterset.local", .a)) == ["10.1.0.1"])
        // The Gateway goes away: no connectivity source, every cluster connected.
        s.apply(.delete(gw.key))
        #expect(data(try ask(table(s), "db.shop.svc.clusterset.local", .a)) == ["10.1.0.1", "10.2.0.1"])
    }

    /// A published table never changes: later changes (in the same directory chunk or
    /// not) build new tables and leave the old one answering as before.
    @Test func publishedTablesStayAsTheyWere() throws {
        let s = makeStore((0..<50).flatMap { n in
            [serviceImport("s\(n)", "ns", ips: ["10.0.0.\(n + 1)"]), clusterSlice("s\(n)", "ns", cluster: "c1", address: "10.1.0.\(n + 1)")]
        })
        let first = table(s)
        for n in 0..<50 { s.apply(.upsert(serviceImport("s\(n)", "ns", ips: ["10.2.0.\(n + 1)"]))) }
        s.apply(.delete(ObjectKey(kind: .serviceImport, namespace: "ns", name: "s7")))
        let second = table(s)
        for n in 0..<50 {
            #expect(data(try ask(first, "s\(n).ns.svc.clusterset.local", .a)) == ["10.0.0.\(n + 1)"])
            if n != 7 { #expect(data(try ask(second, "s\(n).ns.svc.clusterset.local", .a)) == ["10.2.0.\(n + 1)"]) }
        }
        #expect(try ask(second, "s7.ns.svc.clusterset.local", .a).rcode == .nxDomain)
    }

    /// A zone deeper than the lookup's label ring (six labels) still serves its
    /// services, their namespace's empty non-terminal and NXDOMAIN below them.
    @Test func deepZonesServeServices() throws {
        let deep = try DNSName("a.b.c.d.e.clusterset")
        let s = ClusterSetStore(configuration: StoreConfiguration(localClusterID: "c0", zones: [deep]))
        s.apply(.upsert(serviceImport("web", "shop", ips: ["10.9.8.7"])))
        s.apply(.upsert(clusterSlice("web", "shop", cluster: "c1", address: "10.1.1.1")))
        let t = s.makeTable(zones: [.builtIn(apex: deep)])
        #expect(data(try ask(t, "web.shop.svc.a.b.c.d.e.clusterset", .a)) == ["10.9.8.7"])
        #expect(data(try ask(t, "c1.web.shop.svc.a.b.c.d.e.clusterset", .a)) == ["10.1.1.1"])
        let ent = try ask(t, "shop.svc.a.b.c.d.e.clusterset", .a)
        #expect(ent.rcode == .noError && ent.answers.isEmpty)
        #expect(try ask(t, "nope.shop.svc.a.b.c.d.e.clusterset", .a).rcode == .nxDomain)
        #expect(try ask(t, "a.b.c.d.e.clusterset", .soa).answers.count == 1)
    }

    @Test func brokerLayout() throws {
        let json = try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("broker-layout.json"))
        let list = try JSONSerialization.jsonObject(with: json) as? [String: Any]
        let items = (list?["items"] as? [[String: Any]]) ?? []
        let s = ClusterSetStore(configuration: StoreConfiguration(localClusterID: "cluster1", layout: .broker, zones: [zone]))
        for item in items {
            guard let k = KubeObject.kind(apiVersion: item["apiVersion"] as? String ?? "", kind: item["kind"] as? String ?? "") else { continue }
            s.apply(.upsert(try KubeObject.decode(kind: k, json: JSONSerialization.data(withJSONObject: item))))
        }
        let t = table(s)
        #expect(data(try ask(t, "web.shop.svc.clusterset.local", .a)) == ["198.51.100.10"])
        #expect(data(try ask(t, "cluster2.web.shop.svc.clusterset.local", .a)) == ["198.51.100.70"])
        #expect(data(try ask(t, "kafka.streaming.svc.clusterset.local", .a)) == ["192.0.2.10", "192.0.2.12", "192.0.2.70", "192.0.2.72", "192.0.2.73"])
        #expect(try ask(t, "web-shop.submariner-k8s-broker.svc.clusterset.local", .a).rcode == .nxDomain)
    }
}
