extension ClusterSetStore {
    /// The store's services, clusters and connectivity as operators read them: the first
    /// `limit` services in name order (nil: all), the clusters of every service. For
    /// diagnostics, never per query: at 100,000 services the whole report is tens of MB.
    public func report(limit: Int? = nil) -> StoreReport {
        let conn = computeConnectivity()
        let clusterSet = clusterNameSet()
        var services: [StoreReport.Service] = []
        let keys = serviceKeys().filter { hasImport($0) }.sorted()
        for key in keys.prefix(limit ?? keys.count) {
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
            services.append(StoreReport.Service(
                namespace: key.namespace, name: key.name, type: si.type == .headless ? "Headless" : "ClusterSetIP",
                clustersetIPs: si.ips.map(\.description),
                clusters: order.sorted().map { name in
                    let c = byCluster[name] ?? (0, 0)
                    return StoreReport.Cluster(name: name, endpoints: c.endpoints, ready: c.ready,
                                               connected: conn.connected.map { $0.contains(name) } ?? true)
                }))
        }
        var connections: [StoreReport.Connection] = []
        for i in gatewayIndexes() {
            guard case .gateway(let g) = entries[i].object, g.isActive else { continue }
            for c in g.connections {
                connections.append(StoreReport.Connection(gateway: "\(g.metadata.namespace)/\(g.metadata.name)", cluster: c.clusterID, status: c.status))
            }
        }
        connections.sort { ($0.gateway, $0.cluster) < ($1.gateway, $1.cluster) }
        return StoreReport(services: services, servicesTotal: keys.count, clusters: clusterSet.sorted(), localCluster: conn.local,
                           connected: conn.connected.map { $0.sorted() }, connections: connections,
                           objects: objectCount, ignored: ignoredCounts)
    }
}
