@testable import AnswerTable
@testable import ClusterSet
import DNSServer
import DNSWire
import Testing

/// A ClusterSetIP service's cluster names are kept as data and answered on demand
/// (`NameTable.clusterLookup`); every reply must be the one the compiled names gave,
/// byte for byte, for every name form and type, and the table must be smaller.
@Suite struct ClusterNameDataTests {
    /// Raw replies (TCP, and UDP without EDNS, where a long answer is truncated).
    func replies(_ table: AnswerTable, _ name: String, _ type: RRType) throws -> [[UInt8]] {
        let query = MessageBuilder.query(id: 9, name: try DNSName(name), type: type)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Responder.scratchSize, alignment: 8)
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535, alignment: 8)
        defer { scratch.deallocate(); out.deallocate() }
        return [Transport.tcp, .udp].map { transport in
            let n = query.withUnsafeBytes { Responder.respond(to: $0, table: table, transport: transport, scratch: scratch, out: out) }
            return Array(out[0..<n])
        }
    }

    /// The store compiled both ways.
    func tables(_ objects: [KubeObject], local: String? = "c0") -> (data: AnswerTable, compiled: AnswerTable) {
        let a = makeStore(objects, local: local)
        let b = makeStore([], local: local)
        b.synthesizesClusterNames = false
        for o in objects { b.apply(.upsert(o)) }
        return (table(a), table(b))
    }

    static let types: [RRType] = [.a, .aaaa, .srv, .any, .txt, .cname, .mx]

    /// Every name form below each cluster and below the service itself (and some that
    /// are not names), asked with every type, in mixed case.
    func names(service: String, clusters: [String], ports: [ServicePort]) -> [String] {
        var out: [String] = []
        for owner in clusters.map({ "\($0).\(service)" }) + ["nope.\(service)", "_x.\(service)", "tcp.\(service)", service] {
            out += [owner, owner.uppercased(), "_tcp.\(owner)", "tcp.\(owner)", "_udp.\(owner)", "udp.\(owner)", "_foo.\(owner)",
                    "foo.\(owner)", "a.b.\(owner)", "_a.b.\(owner)", "a.tcp.\(owner)", "a.b.c.\(owner)", "_x._http._tcp.\(owner)",
                    "x._http._tcp.\(owner)", "_a._b._c.\(owner)"]
            for p in ports {
                out += ["_\(p.name)._\(p.proto).\(owner)", "\(p.name).\(p.proto).\(owner)", "_\(p.name).\(p.proto).\(owner)",
                        "\(p.name)._\(p.proto).\(owner)", "_\(p.proto).\(owner)", "\(p.proto).\(owner)",
                        "_\(p.name.uppercased())._\(p.proto.uppercased()).\(owner)"]
            }
        }
        return out
    }

    func compare(_ objects: [KubeObject], service: String, clusters: [String], ports: [ServicePort], local: String? = "c0",
                 expectData: Bool = true) throws {
        let (data, compiled) = tables(objects, local: local)
        for name in names(service: service, clusters: clusters, ports: ports) where (try? DNSName(name)) != nil {
            for type in Self.types {
                let a = try replies(data, name, type), b = try replies(compiled, name, type)
                #expect(a == b, "\(name) \(type)")
            }
        }
        let sections = data.services.chunks.flatMap { $0.tables.compactMap { $0 } }.filter { $0.clusterSection != 0 }
        #expect(sections.isEmpty == !expectData)
        if expectData {
            #expect(data.arenaBytes < compiled.arenaBytes)
            #expect(data.nameCount == compiled.nameCount, "the names the data stands for are counted")
        }
    }

    @Test func threeClustersOnePortAnswerAsCompiled() throws {
        try compare([serviceImport("web", "shop", ips: ["243.0.0.1"])]
                    + (0..<3).map { clusterSlice("web", "shop", cluster: "cluster-\($0)", address: "10.10\($0).0.5") },
                    service: "web.shop.svc.clusterset.local", clusters: ["cluster-0", "cluster-1", "cluster-2"],
                    ports: [ServicePort(name: "http", proto: "TCP", port: 80)])
    }

    @Test func rotatingDualStackManyPortsAnswerAsCompiled() throws {
        let ports = [ServicePort(name: "http", proto: "TCP", port: 80), ServicePort(name: "http", proto: "UDP", port: 80),
                     ServicePort(name: "", proto: "TCP", port: 9000), ServicePort(name: "dns", proto: "UDP", port: 53),
                     ServicePort(name: "dns", proto: "TCP", port: 53), ServicePort(name: "alt", proto: "TCP", port: 80),
                     ServicePort(name: "http", proto: "TCP", port: 8080)]
        let objects: [KubeObject] = [serviceImport("api", "prod", ports: ports),
            clusterSlice("api", "prod", cluster: "East", address: "10.1.0.1", ports: ports),
            clusterSlice("api", "prod", cluster: "East", address: "fd00::1", ports: ports),
            clusterSlice("api", "prod", cluster: "west", address: "fd00::2", ready: false, ports: ports),
            clusterSlice("api", "prod", cluster: "c0", address: "10.0.0.9", ports: Array(ports.prefix(2))),
            clusterSlice("api", "prod", cluster: "noports", address: "10.3.0.1", ports: [])]
        try compare(objects, service: "api.prod.svc.clusterset.local", clusters: ["east", "west", "c0", "noports"], ports: ports)
        try compare(objects, service: "api.prod.svc.clusterset.local", clusters: ["east", "west", "c0", "noports"], ports: ports, local: "west")
    }

    /// Clusterset IPs listed IPv6 first: the service's port names carry them as glue in
    /// that order.
    @Test func clustersetIPsInTheirOrderAnswerAsCompiled() throws {
        let ports = [ServicePort(name: "http", proto: "TCP", port: 80), ServicePort(name: "grpc", proto: "TCP", port: 9090)]
        try compare([serviceImport("web", "shop", ips: ["fd00::9", "243.0.0.9"], ports: ports),
                     clusterSlice("web", "shop", cluster: "c1", address: "10.0.0.1", ports: ports),
                     clusterSlice("web", "shop", cluster: "c2", address: "10.0.0.2", ports: [])],
                    service: "web.shop.svc.clusterset.local", clusters: ["c1", "c2"], ports: ports)
    }

    /// One port's `name.proto` can be another's `_name._proto`: one name, both ports'
    /// records, counted once.
    @Test func portNamesThatCoincideAnswerAsCompiled() throws {
        let ports = [ServicePort(name: "_h", proto: "_t", port: 1), ServicePort(name: "h", proto: "t", port: 2),
                     ServicePort(name: "H", proto: "T", port: 2), ServicePort(name: "h", proto: "", port: 3)]
        try compare([serviceImport("web", "shop", ips: ["243.0.0.9"], ports: ports),
                     clusterSlice("web", "shop", cluster: "c1", address: "10.0.0.1", ports: ports)],
                    service: "web.shop.svc.clusterset.local", clusters: ["c1"], ports: ports)
    }

    @Test func longNamesAnswerAsCompiled() throws {
        // Port names near the label and name limits: some forms do not fit.
        let long = String(repeating: "p", count: 62)
        let ports = [ServicePort(name: long, proto: "TCP", port: 1), ServicePort(name: String(repeating: "q", count: 63), proto: "TCP", port: 2)]
        let svc = String(repeating: "s", count: 60), ns = String(repeating: "n", count: 60)
        let cluster = String(repeating: "c", count: 40)
        try compare([serviceImport(svc, ns, ports: ports), clusterSlice(svc, ns, cluster: cluster, address: "10.0.0.1", ports: ports)],
                    service: "\(svc).\(ns).svc.clusterset.local", clusters: [cluster], ports: ports)
    }

    /// Labels that could also be one of the service's own names keep the compiled path.
    @Test func clusterLabelsThatCouldBeServiceNamesStayCompiled() throws {
        for cluster in ["tcp", "_x"] {
            try compare([serviceImport("web", "shop"), clusterSlice("web", "shop", cluster: cluster, address: "10.0.0.1")],
                        service: "web.shop.svc.clusterset.local", clusters: [cluster],
                        ports: [ServicePort(name: "http", proto: "TCP", port: 80)], expectData: false)
        }
        // Two clusters whose ids differ only in case have one name.
        try compare([serviceImport("web", "shop"), clusterSlice("web", "shop", cluster: "A", address: "10.0.0.1"),
                     clusterSlice("web", "shop", cluster: "a", address: "10.0.0.2")],
                    service: "web.shop.svc.clusterset.local", clusters: ["a"],
                    ports: [ServicePort(name: "http", proto: "TCP", port: 80)], expectData: false)
    }

    @Test func anAnswerTooLargeForTheScratchStaysCompiled() throws {
        let ports = (0..<80).map { ServicePort(name: "p\($0)", proto: "TCP", port: UInt16(1000 + $0)) }
        try compare([serviceImport("big", "shop", ports: ports), clusterSlice("big", "shop", cluster: "c1", address: "10.0.0.1", ports: ports)],
                    service: "big.shop.svc.clusterset.local", clusters: ["c1"], ports: Array(ports.prefix(3)), expectData: false)
    }
}
