import AnswerTable
import ClusterSet
import DNSServer
import DNSWire
import Forwarder

/// The per-query workload: the compile workload's 10,000 services plus a headless one,
/// and one prepared query per kind of answer the issue names.
public enum QueryWorkload {
    public enum Kind: String, CaseIterable, Sendable {
        case aHit = "A hit"
        case srvWithGlue = "SRV hit with glue"
        case headless = "Headless answer"
        case noData = "NODATA"
        case nxDomain = "NXDOMAIN"
        /// Answers kept as data, written per query (`NameTable.clusterLookup`).
        case clusterA = "Cluster A"
        case clusterPortSRV = "Cluster port SRV"
        /// A name outside the zones, answered from the forwarder's cache (`--forward`).
        case forwardedHit = "Forwarded cache hit"

        var question: (String, RRType) {
            switch self {
            case .aHit: return ("svc42.bench.svc.clusterset.local", .a)
            case .srvWithGlue: return ("_http._tcp.svc42.bench.svc.clusterset.local", .srv)
            case .headless: return ("db.bench.svc.clusterset.local", .a)
            case .noData: return ("svc42.bench.svc.clusterset.local", .aaaa)
            case .nxDomain: return ("nosuch.bench.svc.clusterset.local", .a)
            case .clusterA: return ("c2.svc42.bench.svc.clusterset.local", .a)
            case .clusterPortSRV: return ("_http._tcp.c2.svc42.bench.svc.clusterset.local", .srv)
            case .forwardedHit: return ("www.example.org", .a)
            }
        }

        /// For benchmark and file names.
        public var identifier: String {
            switch self {
            case .aHit: return "AHit"
            case .srvWithGlue: return "SRVWithGlue"
            case .headless: return "Headless"
            case .noData: return "NODATA"
            case .nxDomain: return "NXDOMAIN"
            case .clusterA: return "ClusterA"
            case .clusterPortSRV: return "ClusterPortSRV"
            case .forwardedHit: return "ForwardedHit"
            }
        }

        /// The response code the answer must carry (a check that the workload answers).
        public var rcode: RCode { self == .nxDomain ? .nxDomain : .noError }
    }

    /// The table: 10k ClusterSetIP services over 3 clusters, and `db`, headless with 3 pods.
    public static func table(services: Int = Workload.services) -> AnswerTable {
        let store = Workload.loadedStore(services: services)
        let labels = [
            "endpointslice.kubernetes.io/managed-by": "lighthouse-agent.submariner.io",
            "lighthouse.submariner.io/sourceNamespace": "bench", "multicluster.kubernetes.io/source-cluster": "c1",
            "multicluster.kubernetes.io/service-name": "db", "lighthouse.submariner.io/is-headless": "true",
        ]
        store.apply(.upsert(.serviceImport(ServiceImport(metadata: ObjectMeta(name: "db", namespace: "bench"), type: .headless,
                                                         ports: [ServicePort(name: "sql", proto: "TCP", port: 5432)]))))
        let pods = (1...3).compactMap { i in IPAddress(bytes: [10, 9, 0, UInt8(i)]).map { EndpointSlice.Endpoint(addresses: [$0], ready: true, hostname: "db-\(i)") } }
        store.apply(.upsert(.endpointSlice(EndpointSlice(metadata: ObjectMeta(name: "db-c1", namespace: "bench", labels: labels),
                                                          endpoints: pods, ports: [ServicePort(name: "sql", proto: "TCP", port: 5432)]))))
        return Workload.compile(store)
    }

    /// The wire query for `kind` (EDNS, 1232-byte buffer, as resolvers send).
    public static func query(_ kind: Kind) -> [UInt8] {
        let (name, type) = kind.question
        return MessageBuilder.query(id: 0x5E57, name: (try? DNSName(name)) ?? Workload.zone, type: type)
    }

    /// Buffers a worker owns, allocated once.
    public struct Buffers: @unchecked Sendable {
        // @unchecked: each benchmark owns its buffers.
        public let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Responder.scratchSize, alignment: 16)
        public let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
        public init() {}
    }

    /// The forwarder's cache holding `www.example.org A` (two addresses, TTL 3600), as a
    /// worker sees it; nil for the kinds the zones answer.
    public static func forwarding(_ kind: Kind) -> Responder.Forwarding? {
        guard kind == .forwardedHit, let name = try? DNSName("www.example.org") else { return nil }
        var b = MessageBuilder()
        for v in [UInt16(1), Wire.Flag.qr | Wire.Flag.rd | Wire.Flag.ra, 1, 2, 0, 0] { b.appendUInt16(v) }
        b.append(name, compress: false)
        b.appendUInt16(RRType.a.rawValue)
        b.appendUInt16(1)
        for last in [UInt8(1), 2] { b.append(ResourceRecord(name: name, type: .a, ttl: 3600, rdata: .a(192, 0, 2, last))) }
        let cache = AnswerCache(entries: 64)
        if let reply = try? Message(decoding: b.bytes),
           case .cache(let answer) = CachedAnswer.reduce(reply, name: name, type: .a, dnssec: false, limits: .init()) {
            cache.insert(name: name.wire, type: .a, bits: 0, nameHash: NameHash.hash(name.wire), answer: answer, nowMs: 1_000)
        }
        return Responder.Forwarding(cache: cache, nowMs: 2_000)
    }

    /// Answers `query` `count` times; returns the last reply's length.
    @inline(never)
    public static func answer(_ query: [UInt8], table: AnswerTable, buffers: Buffers, count: Int, forwarding: Responder.Forwarding? = nil) -> Int {
        var n = 0
        query.withUnsafeBytes { q in
            for _ in 0..<count {
                n = Responder.respond(to: q, table: table, transport: .udp, scratch: buffers.scratch, out: buffers.out, forwarding: forwarding)
            }
        }
        return n
    }
}
