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

    public init(mode: Mode = .lighthouse, ttl: UInt32 = 5, localClusterID: String? = nil, connectivity: Connectivity = .gateway,
                layout: Layout = .cluster, brokerNamespace: String = "submariner-k8s-broker", zones: [DNSName]) {
        self.mode = mode
        self.ttl = ttl
        self.localClusterID = localClusterID
        self.connectivity = connectivity
        self.layout = layout
        self.brokerNamespace = brokerNamespace
        self.zones = zones
    }
}
