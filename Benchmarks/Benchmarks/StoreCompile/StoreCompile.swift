import Benchmark
import ClusterSet
import DNSWire

/// 10,000 ClusterSetIP services, each exported by 3 clusters that are all remote, so
/// every service compiles a rotation (the costliest case).
let services = 10_000
let clusters = ["c1", "c2", "c3"]
let zone = try! DNSName("clusterset.local")

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

let objects: [KubeObject] = (0..<services).flatMap { s in
    [KubeObject.serviceImport(ServiceImport(metadata: ObjectMeta(name: "svc\(s)", namespace: "bench"), type: .clusterSetIP,
                                            ports: [ServicePort(name: "http", proto: "TCP", port: 80)]))]
        + (0..<clusters.count).map { slice(s, $0, lastOctet: s) }
}

func loadedStore() -> ClusterSetStore {
    let store = ClusterSetStore(configuration: StoreConfiguration(localClusterID: "c0", zones: [zone]))
    for o in objects { store.apply(.upsert(o)) }
    return store
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident], maxDuration: .seconds(20), maxIterations: 20)

    Benchmark("Compile 10k services x 3 clusters from scratch") { benchmark in
        for _ in benchmark.scaledIterations {
            let store = loadedStore()
            blackHole(store.makeTable(zones: [.builtIn(apex: zone)]))
        }
    }

    Benchmark("Apply one changed EndpointSlice (10k services loaded)", configuration: .init(maxIterations: 200)) { benchmark in
        // Set-up outside the measurement: a store with everything compiled once.
        let store = loadedStore()
        _ = store.makeTable(zones: [.builtIn(apex: zone)])
        var octet = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            octet += 1
            store.apply(.upsert(slice(4242, 1, lastOctet: octet)))
            blackHole(store.makeTable(zones: [.builtIn(apex: zone)]))
        }
        benchmark.stopMeasurement()
    }
}
