import DNSWire

/// How the store turns objects into answers.
public struct StoreConfiguration: Sendable {
    /// `lighthouse`: Lighthouse's names and cluster choice; `mcs`: the MCS DNS spec.
    public enum Mode: String, Sendable, CaseIterable { case lighthouse, mcs }
    /// Where connectivity comes from: Gateway objects, or nowhere (every cluster connected).
    public enum Connectivity: String, Sendable, CaseIterable { case gateway, none }
    /// Which objects describe an imported service (objects.md).
    public enum Layout: String, Sendable, CaseIterable { case cluster, broker }

    public var mode: Mode
    public var ttl: UInt32
    public var localClusterID: String?
    public var connectivity: Connectivity
    public var layout: Layout
    public var brokerNamespace: String
    /// The zones service names live in (`clusterset.local.` and aliases).
    public var zones: [DNSName]
    /// At most this many address records in one headless answer (nil: no cap). Resolvers
    /// that refuse large RRsets (BIND 9.18's `max-records-per-type`, 100 by default)
    /// answer SERVFAIL for a headless service with more ready addresses; with a cap the
    /// answer is a window of the addresses that moves on with every query, so that every
    /// address is handed out in turn.
    public var maxRecords: Int?

    public init(mode: Mode = .lighthouse, ttl: UInt32 = 5, localClusterID: String? = nil, connectivity: Connectivity = .gateway,
                layout: Layout = .cluster, brokerNamespace: String = "submariner-k8s-broker", zones: [DNSName],
                maxRecords: Int? = nil) {
        self.mode = mode
        self.ttl = ttl
        self.localClusterID = localClusterID
        self.connectivity = connectivity
        self.layout = layout
        self.brokerNamespace = brokerNamespace
        self.zones = zones
        self.maxRecords = maxRecords.map { max(1, $0) }
    }
}
