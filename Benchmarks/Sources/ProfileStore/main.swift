// A plain loop over the same workload as the StoreCompile benchmark, for perf or
// callgrind (the benchmark runner needs its host process).
import ClusterSet
import DNSWire

let zone = try! DNSName("clusterset.local")
let clusters = ["c1", "c2", "c3"]
func slice(_ s: Int, _ cluster: Int, lastOctet: Int) -> KubeObject {
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
let store = ClusterSetStore(configuration: StoreConfiguration(localClusterID: "c0", zones: [zone]))
for s in 0..<10_000 {
    store.apply(.upsert(.serviceImport(ServiceImport(metadata: ObjectMeta(name: "svc\(s)", namespace: "bench"), type: .clusterSetIP,
                                                     ports: [ServicePort(name: "http", proto: "TCP", port: 80)]))))
    for c in 0..<3 { store.apply(.upsert(slice(s, c, lastOctet: s))) }
}
_ = store.makeTable(zones: [.builtIn(apex: zone)])
let rounds = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 10
for i in 0..<rounds {
    store.apply(.upsert(slice(4242, 1, lastOctet: i)))
    _ = store.makeTable(zones: [.builtIn(apex: zone)])
}
