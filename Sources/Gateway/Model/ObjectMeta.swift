/// The part of Kubernetes object metadata the gateway reads and writes.
public struct ObjectMeta: Codable, Equatable, Sendable {
    public var name: String
    public var namespace: String?
    /// RFC 3339, as the API server sets it; the exchange folder's writer sets it too, so
    /// "the newest Endpoint of a cluster wins" means the same in both exchanges.
    public var creationTimestamp: String?
    public var resourceVersion: String?
    public var uid: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?

    public init(name: String, namespace: String? = nil, creationTimestamp: String? = nil,
                labels: [String: String]? = nil, annotations: [String: String]? = nil) {
        self.name = name
        self.namespace = namespace
        self.creationTimestamp = creationTimestamp
        self.labels = labels
        self.annotations = annotations
    }
}

/// A Submariner Cluster object (`submariner.io/v1`).
public struct ClusterObject: Codable, Equatable, Sendable {
    public var apiVersion = "submariner.io/v1"
    public var kind = "Cluster"
    public var metadata: ObjectMeta
    public var spec: ClusterSpec

    public init(metadata: ObjectMeta, spec: ClusterSpec) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// A Submariner Endpoint object (`submariner.io/v1`).
public struct EndpointObject: Codable, Equatable, Sendable {
    public var apiVersion = "submariner.io/v1"
    public var kind = "Endpoint"
    public var metadata: ObjectMeta
    public var spec: EndpointSpec

    public init(metadata: ObjectMeta, spec: EndpointSpec) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// A Submariner Gateway object: one gateway node's view of its connections.
public struct GatewayObject: Codable, Equatable, Sendable {
    public var apiVersion = "submariner.io/v1"
    public var kind = "Gateway"
    public var metadata: ObjectMeta
    public var status: GatewayStatus

    public init(metadata: ObjectMeta, status: GatewayStatus) {
        self.metadata = metadata
        self.status = status
    }
}
