extension ClusterSetStore {
    /// One pass over the EndpointSlices: the clusters that export one (interned ids) and
    /// the endpoint addresses they hold.
    func sliceTotals() -> (clusters: Set<UInt32>, endpoints: Int) {
        var endpoints = 0
        var clusters: Set<UInt32> = []
        for i in entries.indexes {
            let e = entries[i]
            guard e.kind == .slice || e.kind == .legacySlice, case .endpointSlice(let es) = e.object else { continue }
            clusters.insert(e.cluster)
            for ep in es.endpoints { endpoints += ep.addresses.count }
        }
        return (clusters, endpoints)
    }

    /// Every cluster that exports a slice, by name.
    func clusterNameSet() -> Set<String> { Set(sliceTotals().clusters.map(clusterName)) }

    /// The gauges of `/metrics`: counted from the entries in one pass, without building
    /// each service's objects.
    public func summary() -> StoreSummary {
        let (clusters, endpoints) = sliceTotals()
        let conn = computeConnectivity()
        let connected = conn.connected.map { c in clusters.filter { c.contains(clusterName($0)) }.count } ?? clusters.count
        return StoreSummary(services: serviceCount, clusters: clusters.count, endpoints: endpoints,
                            connectedClusters: connected, objects: objectCount)
    }
}
