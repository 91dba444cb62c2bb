import AnswerTable
import ClusterSet
import DNSWire

/// The compile workload shared by the StoreCompile benchmark and the ProfileStore loop:
/// 10,000 ClusterSetIP services, each exported by 3 remote clusters, so every service
/// compiles a round-robin rotation (the costliest case).
public enum Workload {
    public static let services = 10_000
    public static let clusters = ["c1", "c2", "c3"]
    public static let zone = try! DNSName("clusterset.local")

    /// Service `s`'s slice from cluster index `cluster`; `lastOctet` varies the address.
    public static func slice(_ s: Int, _ cluster: Int, lastOctet: Int) -> KubeObject {
        let svc = "svc\(s)"
        let labels = [
            "endpointslice.kubernetes.io/managed-by": "lighthouse-agent.submariner.io",
            "lighthouse.submariner.io/sourceNamespace": "bench", "multicluster.kubernetes.io/source-cluster": clusters[cluster],
            "multicluster.kubernetes.io/service-name": svc, "lighthouse.submariner.io/is-headless": "false",
        ]
        let ip = IPAddress(bytes: [10, UInt8(cluster + 1), UInt8(s >> 8 & 0xFF), UInt8(lastOctet & 0xFF)])!
        return .endpointSlice(EndpointSlice(
            metadata: ObjectMeta(name: "\(svc)-\(clusters[cluster])", namespace: "bench", labels: labels),
            endpoints: [.init(addresses: [ip], ready: true)], ports: [ServicePort(name: "http", proto: "TCP", port: 80)]))
    }

    public static let objects: [KubeObject] = objects(services)

    public static func objects(_ services: Int) -> [KubeObject] { (0..<services).flatMap { s in
        [KubeObject.serviceImport(ServiceImport(metadata: ObjectMeta(name: "svc\(s)", namespace: "bench"), type: .clusterSetIP,
                                                ports: [ServicePort(name: "http", proto: "TCP", port: 80)]))]
            + (0..<clusters.count).map { slice(s, $0, lastOctet: s) }
    } }

    /// A store holding every object, nothing compiled yet.
    public static func loadedStore(services count: Int = services) -> ClusterSetStore {
        let store = ClusterSetStore(configuration: StoreConfiguration(localClusterID: "c0", zones: [zone]))
        for o in count == services ? objects : objects(count) { store.apply(.upsert(o)) }
        return store
    }

    public static func compile(_ store: ClusterSetStore) -> AnswerTable {
        store.makeTable(zones: [.builtIn(apex: zone)])
    }
}
