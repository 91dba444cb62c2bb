/// What the store holds, for operators: `/debug/state`, `sextant show` and the gauges of
/// `/metrics`. Names and addresses appear here, never in metric labels.
public struct StoreReport: Sendable {
    public struct Service: Sendable {
        public var namespace: String
        public var name: String
        /// `ClusterSetIP` or `Headless`.
        public var type: String
        public var clustersetIPs: [String]
        public var clusters: [Cluster]
    }

    /// One exporting cluster of a service.
    public struct Cluster: Sendable {
        public var name: String
        /// Endpoint addresses in its slices, and how many of them are ready.
        public var endpoints: Int
        public var ready: Int
        public var connected: Bool
    }

    /// One connection of an active Gateway (Submariner's status).
    public struct Connection: Sendable {
        public var gateway: String
        public var cluster: String
        public var status: String
    }

    /// The first services in name order (all of them, or as many as asked for).
    public var services: [Service]
    /// How many services there are in all.
    public var servicesTotal: Int
    /// Every cluster seen in the objects, sorted.
    public var clusters: [String]
    /// The local cluster (configured, or an active Gateway's own id).
    public var localCluster: String?
    /// Connected clusters; nil when there is no connectivity source (every cluster is).
    public var connected: [String]?
    public var connections: [Connection]
    public var objects: Int
    /// Objects held but not used, by reason.
    public var ignored: [String: Int]

}
