import AnswerTable

extension ClusterSetStore {
    /// The store's services, clusters and connectivity as operators read them. Walks
    /// every service: for scrapes and diagnostics, never per query.
    public func report() -> StoreReport {
        let conn = computeConnectivity()
        var clusterSet: Set<String> = []
        var services: [StoreReport.Service] = []
        for key in serviceKeys() where hasImport(key) {
            let o = objectsOf(key)
            guard let si = o.imports.first ?? o.legacyImports.first?.object else { continue }
            var byCluster: [String: (endpoints: Int, ready: Int)] = [:]
            var order: [String] = []
            for s in o.slices {
                if byCluster[s.cluster] == nil { order.append(s.cluster) }
                var c = byCluster[s.cluster] ?? (0, 0)
                for e in s.object.endpoints {
                    c.endpoints += e.addresses.count
                    if e.ready != false { c.ready += e.addresses.count }
                }
                byCluster[s.cluster] = c
            }
            clusterSet.formUnion(order)
            services.append(StoreReport.Service(
                namespace: key.namespace, name: key.name, type: si.type == .headless ? "Headless" : "ClusterSetIP",
                clustersetIPs: si.ips.map(\.description),
                clusters: order.sorted().map { name in
                    let c = byCluster[name] ?? (0, 0)
                    return StoreReport.Cluster(name: name, endpoints: c.endpoints, ready: c.ready,
                                               connected: conn.connected.map { $0.contains(name) } ?? true)
                }))
        }
        services.sort { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
        var connections: [StoreReport.Connection] = []
        for i in gatewayIndexes() {
            guard case .gateway(let g) = entries[i].object, g.isActive else { continue }
            for c in g.connections {
                connections.append(StoreReport.Connection(gateway: "\(g.metadata.namespace)/\(g.metadata.name)", cluster: c.clusterID, status: c.status))
            }
        }
        connections.sort { ($0.gateway, $0.cluster) < ($1.gateway, $1.cluster) }
        return StoreReport(services: services, clusters: clusterSet.sorted(), localCluster: conn.local,
                           connected: conn.connected.map { $0.sorted() }, connections: connections,
                           objects: objectCount, ignored: ignoredCounts)
    }
}
