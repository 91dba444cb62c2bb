/// `multicluster.x-k8s.io/v1alpha1` ServiceImport, trimmed to what answers depend on.
public struct ServiceImport: Decodable, Sendable, Equatable {
    public enum ServiceType: String, Sendable { case clusterSetIP = "ClusterSetIP", headless = "Headless" }

    public var metadata: ObjectMeta
    public var type: ServiceType
    public var ips: [IPAddress]
    public var ports: [ServicePort]

    enum CodingKeys: String, CodingKey { case metadata, spec }
    enum SpecKeys: String, CodingKey { case type, ips, ports }

    public init(metadata: ObjectMeta, type: ServiceType, ips: [IPAddress] = [], ports: [ServicePort] = []) {
        self.metadata = metadata
        self.type = type
        self.ips = ips
        self.ports = ports
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try c.decode(ObjectMeta.self, forKey: .metadata)
        guard c.contains(.spec) else {
            type = .clusterSetIP
            ips = []
            ports = []
            return
        }
        let s = try c.nestedContainer(keyedBy: SpecKeys.self, forKey: .spec)
        let t = try s.decodeIfPresent(String.self, forKey: .type) ?? ""
        if t.isEmpty {
            type = .clusterSetIP
        } else if let known = ServiceType(rawValue: t) {
            type = known
        } else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: s, debugDescription: "unknown service type \(t)")
        }
        let texts = try s.decodeIfPresent([String].self, forKey: .ips) ?? []
        ips = try texts.map { text in
            guard let ip = IPAddress(text) else {
                throw DecodingError.dataCorruptedError(forKey: .ips, in: s, debugDescription: "bad IP address \(text)")
            }
            return ip
        }
        ports = ServicePort.shared(try s.decodeIfPresent([ServicePort].self, forKey: .ports) ?? [])
    }
}
