import AnswerTable

extension ClusterSetStore {
    /// Every cluster that exports a slice (one pass over the entries).
    func clusterNameSet() -> Set<String> {
        var ids: Set<UInt32> = []
        for i in entries.indexes where entries[i].kind == .slice || entries[i].kind == .legacySlice { ids.insert(entries[i].cluster) }
        return Set(ids.map(clusterName))
    }

    /// The gauges of `/metrics`: counted from the entries in one pass, without building
    /// each service's objects (a scrape at 100,000 services stays a few milliseconds).
    public func summary() -> StoreSummary {
        var endpoints = 0
        var clusters: Set<UInt32> = []
        for i in entries.indexes {
            let e = entries[i]
            guard e.kind == .slice || e.kind == .legacySlice, case .endpointSlice(let es) = e.object else { continue }
            clusters.insert(e.cluster)
            for ep in es.endpoints { endpoints += ep.addresses.count }
        }
        let conn = computeConnectivity()
        let connected = conn.connected.map { c in clusters.filter { c.contains(clusterName($0)) }.count } ?? clusters.count
        return StoreSummary(services: serviceCount, clusters: clusters.count, endpoints: endpoints,
                            connectedClusters: connected, objects: objectCount, hasConnectivitySource: conn.connected != nil)
    }
}
