/// Submariner's `ClusterSpec`: a cluster's ID and address ranges, published beside its
/// Endpoint. Every field is always written (none is `omitempty` in Submariner but the
/// color codes, which Sextant does not use).
public struct ClusterSpec: Codable, Equatable, Sendable {
    public var clusterID: String
    public var serviceCIDR: [String]
    public var clusterCIDR: [String]
    public var globalCIDR: [String]
    public var colorCodes: [String]

    public init(clusterID: String, serviceCIDR: [String], clusterCIDR: [String], globalCIDR: [String] = [], colorCodes: [String] = []) {
        self.clusterID = clusterID
        self.serviceCIDR = serviceCIDR
        self.clusterCIDR = clusterCIDR
        self.globalCIDR = globalCIDR
        self.colorCodes = colorCodes
    }

    enum CodingKeys: String, CodingKey {
        case clusterID = "cluster_id"
        case serviceCIDR = "service_cidr"
        case clusterCIDR = "cluster_cidr"
        case globalCIDR = "global_cidr"
        case colorCodes = "color_codes"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        clusterID = try c.decodeIfPresent(String.self, forKey: .clusterID) ?? ""
        serviceCIDR = try c.decodeIfPresent([String].self, forKey: .serviceCIDR) ?? []
        clusterCIDR = try c.decodeIfPresent([String].self, forKey: .clusterCIDR) ?? []
        globalCIDR = try c.decodeIfPresent([String].self, forKey: .globalCIDR) ?? []
        colorCodes = try c.decodeIfPresent([String].self, forKey: .colorCodes) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(clusterID, forKey: .clusterID)
        try c.encode(serviceCIDR, forKey: .serviceCIDR)
        try c.encode(clusterCIDR, forKey: .clusterCIDR)
        try c.encode(globalCIDR, forKey: .globalCIDR)
        if !colorCodes.isEmpty { try c.encode(colorCodes, forKey: .colorCodes) }
    }

    /// The Cluster object's name: the cluster ID made a valid name.
    public var objectName: String { ObjectNaming.validName(clusterID) }
}
