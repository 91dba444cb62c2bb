import AnswerTable
import ClusterSet
import DNSServer
import DNSWire

let zone = try! DNSName("clusterset.local")

func meta(_ name: String, _ ns: String, labels: [String: String] = [:], annotations: [String: String] = [:]) -> ObjectMeta {
    ObjectMeta(name: name, namespace: ns, labels: labels, annotations: annotations)
}

func ip(_ s: String) -> IPAddress { IPAddress(s)! }

func serviceImport(_ name: String, _ ns: String, type: ServiceImport.ServiceType = .clusterSetIP, ips: [String] = [],
                   ports: [ServicePort] = [ServicePort(name: "http", proto: "TCP", port: 80)], annotations: [String: String] = [:]) -> KubeObject {
    .serviceImport(ServiceImport(metadata: meta(name, ns, annotations: annotations), type: type, ips: ips.map(ip), ports: ports))
}

func lighthouseLabels(_ svc: String, _ ns: String, _ cluster: String, headless: Bool) -> [String: String] {
    ["endpointslice.kubernetes.io/managed-by": "lighthouse-agent.submariner.io",
     "lighthouse.submariner.io/sourceNamespace": ns, "multicluster.kubernetes.io/source-cluster": cluster,
     "multicluster.kubernetes.io/service-name": svc, "lighthouse.submariner.io/is-headless": headless ? "true" : "false"]
}

/// A ClusterSetIP cluster record: one endpoint carrying the cluster's service IP.
func clusterSlice(_ svc: String, _ ns: String, cluster: String, address: String, ready: Bool = true,
                  ports: [ServicePort] = [ServicePort(name: "http", proto: "TCP", port: 80)]) -> KubeObject {
    let a = ip(address)
    return .endpointSlice(EndpointSlice(
        metadata: meta("\(svc)-\(cluster)-\(a.isIPv6 ? "v6" : "v4")", ns, labels: lighthouseLabels(svc, ns, cluster, headless: false)),
        isIPv6: a.isIPv6, endpoints: [.init(addresses: [a], ready: ready)], ports: ports))
}

func headlessSlice(_ svc: String, _ ns: String, cluster: String, endpoints: [EndpointSlice.Endpoint], v6: Bool = false,
                   ports: [ServicePort] = [ServicePort(name: "http", proto: "TCP", port: 80)]) -> KubeObject {
    .endpointSlice(EndpointSlice(
        metadata: meta("\(svc)-\(cluster)-\(v6 ? "v6" : "v4")", ns, labels: lighthouseLabels(svc, ns, cluster, headless: true)),
        isIPv6: v6, endpoints: endpoints, ports: ports))
}

/// `web.shop` exported by c1 (10.0.0.1) and c2 (10.0.0.2): a ClusterSetIP service that
/// rotates (the local cluster, c0, exports nothing).
let rotatingWeb: [KubeObject] = [
    serviceImport("web", "shop"),
    clusterSlice("web", "shop", cluster: "c1", address: "10.0.0.1"),
    clusterSlice("web", "shop", cluster: "c2", address: "10.0.0.2"),
]

/// Asks a table one question through the responder, as a DNS worker would.
func ask(_ table: AnswerTable, _ name: String, _ type: RRType) throws -> Message {
    let query = MessageBuilder.query(id: 7, name: try DNSName(name), type: type)
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Responder.scratchSize, alignment: 8)
    let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535, alignment: 8)
    defer { scratch.deallocate(); out.deallocate() }
    let n = query.withUnsafeBytes { Responder.respond(to: $0, table: table, transport: .tcp, scratch: scratch, out: out) }
    return try Message(decoding: Array(out[0..<n]))
}

func data(_ m: Message) -> [String] { m.answers.map(\.presentationData).sorted() }

func makeStore(_ objects: [KubeObject], mode: StoreConfiguration.Mode = .lighthouse, local: String? = "c0") -> ClusterSetStore {
    let s = ClusterSetStore(configuration: StoreConfiguration(mode: mode, localClusterID: local, zones: [zone]))
    for o in objects { s.apply(.upsert(o)) }
    return s
}

func table(_ s: ClusterSetStore) -> AnswerTable { s.makeTable(zones: [.builtIn(apex: zone)]) }
