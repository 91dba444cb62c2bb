/// Submariner's `EndpointSpec`: one cluster's gateway as the others must reach it.
///
/// The JSON names are Submariner's own, mixed snake_case and camelCase, so that
/// Lighthouse, `subctl` and Submariner's gateways read what Sextant writes and the other
/// way round. `healthCheckIP` and `backend_config` are left out when empty (Go's
/// `omitempty`); every other field is always written.
public struct EndpointSpec: Codable, Equatable, Sendable {
    public var clusterID: String
    public var cableName: String
    public var healthCheckIP: String
    public var hostname: String
    public var subnets: [String]
    public var privateIP: String
    public var publicIP: String
    public var natEnabled: Bool
    public var backend: String
    public var backendConfig: [String: String]

    public init(clusterID: String, cableName: String, healthCheckIP: String = "", hostname: String = "",
                subnets: [String] = [], privateIP: String, publicIP: String = "", natEnabled: Bool = false,
                backend: String, backendConfig: [String: String] = [:]) {
        self.clusterID = clusterID
        self.cableName = cableName
        self.healthCheckIP = healthCheckIP
        self.hostname = hostname
        self.subnets = subnets
        self.privateIP = privateIP
        self.publicIP = publicIP
        self.natEnabled = natEnabled
        self.backend = backend
        self.backendConfig = backendConfig
    }

    enum CodingKeys: String, CodingKey {
        case clusterID = "cluster_id"
        case cableName = "cable_name"
        case healthCheckIP
        case hostname
        case subnets
        case privateIP = "private_ip"
        case publicIP = "public_ip"
        case natEnabled = "nat_enabled"
        case backend
        case backendConfig = "backend_config"
    }

    /// Go decodes a missing field as its zero value; so does this.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        clusterID = try c.decodeIfPresent(String.self, forKey: .clusterID) ?? ""
        cableName = try c.decodeIfPresent(String.self, forKey: .cableName) ?? ""
        healthCheckIP = try c.decodeIfPresent(String.self, forKey: .healthCheckIP) ?? ""
        hostname = try c.decodeIfPresent(String.self, forKey: .hostname) ?? ""
        subnets = try c.decodeIfPresent([String].self, forKey: .subnets) ?? []
        privateIP = try c.decodeIfPresent(String.self, forKey: .privateIP) ?? ""
        publicIP = try c.decodeIfPresent(String.self, forKey: .publicIP) ?? ""
        natEnabled = try c.decodeIfPresent(Bool.self, forKey: .natEnabled) ?? false
        backend = try c.decodeIfPresent(String.self, forKey: .backend) ?? ""
        backendConfig = try c.decodeIfPresent([String: String].self, forKey: .backendConfig) ?? [:]
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(clusterID, forKey: .clusterID)
        try c.encode(cableName, forKey: .cableName)
        if !healthCheckIP.isEmpty { try c.encode(healthCheckIP, forKey: .healthCheckIP) }
        try c.encode(hostname, forKey: .hostname)
        try c.encode(subnets, forKey: .subnets)
        try c.encode(privateIP, forKey: .privateIP)
        try c.encode(publicIP, forKey: .publicIP)
        try c.encode(natEnabled, forKey: .natEnabled)
        try c.encode(backend, forKey: .backend)
        if !backendConfig.isEmpty { try c.encode(backendConfig, forKey: .backendConfig) }
    }

    /// Submariner's `GatewayIP()`: the public address when one is published.
    public var gatewayIP: String { publicIP.isEmpty ? privateIP : publicIP }

    /// The tunnel's UDP port the remote gateway listens on (`udp-port`, default 4500).
    public var udpPort: UInt16 { backendConfig["udp-port"].flatMap { UInt16($0) } ?? 4500 }

    /// `submariner-cable-<cluster>-<private IP with dots as dashes>`, as Submariner names it.
    public static func cableName(clusterID: String, privateIP: String) -> String {
        "submariner-cable-\(clusterID)-" + privateIP.replacingDots()
    }

    /// The Endpoint object's name: `<cluster>-<cable name>`, made a valid object name.
    public var objectName: String { ObjectNaming.validName("\(clusterID)-\(cableName)") }
}

extension String {
    func replacingDots() -> String { String(map { $0 == "." || $0 == ":" ? "-" : $0 }) }
}
