/// Submariner's `GatewayStatus`, as Lighthouse reads it: the local Endpoint, whether
/// this gateway is the active one, and one Connection per remote cluster.
public struct GatewayStatus: Codable, Equatable, Sendable {
    public enum HAStatus: String, Codable, Sendable { case active, passive }

    public var version: String
    public var haStatus: HAStatus
    public var localEndpoint: EndpointSpec
    public var statusFailure: String
    public var connections: [Connection]

    public init(version: String, haStatus: HAStatus, localEndpoint: EndpointSpec, statusFailure: String = "", connections: [Connection]) {
        self.version = version
        self.haStatus = haStatus
        self.localEndpoint = localEndpoint
        self.statusFailure = statusFailure
        self.connections = connections
    }

    enum CodingKeys: String, CodingKey { case version, haStatus, localEndpoint, statusFailure, connections }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decodeIfPresent(String.self, forKey: .version) ?? ""
        haStatus = try c.decodeIfPresent(HAStatus.self, forKey: .haStatus) ?? .passive
        localEndpoint = try c.decode(EndpointSpec.self, forKey: .localEndpoint)
        statusFailure = try c.decodeIfPresent(String.self, forKey: .statusFailure) ?? ""
        connections = try c.decodeIfPresent([Connection].self, forKey: .connections) ?? []
    }
}

/// One remote cluster as a gateway sees it.
public struct Connection: Codable, Equatable, Sendable {
    public enum Status: String, Codable, Sendable { case connected, connecting, error, none }

    public var status: Status
    public var statusMessage: String
    public var endpoint: EndpointSpec
    /// The remote address actually used: private or public (omitted when empty).
    public var usingIP: String
    public var usingNAT: Bool
    public var latencyRTT: LatencyRTT?

    public init(status: Status, statusMessage: String = "", endpoint: EndpointSpec, usingIP: String = "", usingNAT: Bool = false, latencyRTT: LatencyRTT? = nil) {
        self.status = status
        self.statusMessage = statusMessage
        self.endpoint = endpoint
        self.usingIP = usingIP
        self.usingNAT = usingNAT
        self.latencyRTT = latencyRTT
    }

    enum CodingKeys: String, CodingKey { case status, statusMessage, endpoint, usingIP, usingNAT, latencyRTT }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        status = try c.decodeIfPresent(Status.self, forKey: .status) ?? .none
        statusMessage = try c.decodeIfPresent(String.self, forKey: .statusMessage) ?? ""
        endpoint = try c.decode(EndpointSpec.self, forKey: .endpoint)
        usingIP = try c.decodeIfPresent(String.self, forKey: .usingIP) ?? ""
        usingNAT = try c.decodeIfPresent(Bool.self, forKey: .usingNAT) ?? false
        latencyRTT = try c.decodeIfPresent(LatencyRTT.self, forKey: .latencyRTT)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(status, forKey: .status)
        try c.encode(statusMessage, forKey: .statusMessage)
        try c.encode(endpoint, forKey: .endpoint)
        if !usingIP.isEmpty { try c.encode(usingIP, forKey: .usingIP) }
        if usingNAT { try c.encode(usingNAT, forKey: .usingNAT) }
        if let l = latencyRTT { try c.encode(l, forKey: .latencyRTT) }
    }
}

/// Round-trip time statistics, each a Go `time.Duration` string ("855.257µs").
public struct LatencyRTT: Codable, Equatable, Sendable {
    public var last: GoDuration
    public var min: GoDuration
    public var average: GoDuration
    public var max: GoDuration
    public var stdDev: GoDuration

    public init(last: GoDuration, min: GoDuration, average: GoDuration, max: GoDuration, stdDev: GoDuration) {
        self.last = last
        self.min = min
        self.average = average
        self.max = max
        self.stdDev = stdDev
    }
}
