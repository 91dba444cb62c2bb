/// Counts of what the store holds, for the gauges of `/metrics`.
public struct StoreSummary: Sendable {
    public var services: Int
    /// Clusters that export at least one slice.
    public var clusters: Int
    /// Endpoint addresses in every slice.
    public var endpoints: Int
    /// Of `clusters`, those connected (all of them without a connectivity source).
    public var connectedClusters: Int
    public var objects: Int
}
