import AnswerTable

/// `multicluster.x-k8s.io/v1alpha1` ServiceImport, trimmed to what answers depend on.
public struct ServiceImport: Decodable, Sendable, Equatable {
    public enum ServiceType: String, Sendable { case clusterSetIP = "ClusterSetIP", headless = "Headless" }

    struct Fields: Sendable, Equatable {
        var metadata: ObjectMeta
        var type: ServiceType
        var ips: IPAddresses
        var ports: [ServicePort]
    }

    /// Behind one reference (`Boxed`), as an `EndpointSlice`'s.
    private var fields: Boxed<Fields>

    public var metadata: ObjectMeta {
        _read { yield fields.value.metadata }
        _modify { yield &fields.value.metadata }
    }
    public var type: ServiceType {
        _read { yield fields.value.type }
        _modify { yield &fields.value.type }
    }
    public var ips: IPAddresses {
        _read { yield fields.value.ips }
        _modify { yield &fields.value.ips }
    }
    public var ports: [ServicePort] {
        _read { yield fields.value.ports }
        _modify { yield &fields.value.ports }
    }

    enum CodingKeys: String, CodingKey { case metadata, spec }
    enum SpecKeys: String, CodingKey { case type, ips, ports }

    public init(metadata: ObjectMeta, type: ServiceType, ips: [IPAddress] = [], ports: [ServicePort] = []) {
        fields = Boxed(Fields(metadata: metadata, type: type, ips: IPAddresses(ips), ports: ports))
    }

    /// The decoder's: the addresses as read, no array made for one.
    init(metadata: ObjectMeta, type: ServiceType, ips: IPAddresses, ports: [ServicePort]) {
        fields = Boxed(Fields(metadata: metadata, type: type, ips: ips, ports: ports))
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let metadata = try c.decode(ObjectMeta.self, forKey: .metadata)
        guard c.contains(.spec) else {
            fields = Boxed(Fields(metadata: metadata, type: .clusterSetIP, ips: [], ports: []))
            return
        }
        let s = try c.nestedContainer(keyedBy: SpecKeys.self, forKey: .spec)
        let t = try s.decodeIfPresent(String.self, forKey: .type) ?? ""
        let type: ServiceType
        if t.isEmpty {
            type = .clusterSetIP
        } else if let known = ServiceType(rawValue: t) {
            type = known
        } else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: s, debugDescription: "unknown service type \(t)")
        }
        let texts = try s.decodeIfPresent([String].self, forKey: .ips) ?? []
        let ips = try texts.map { text in
            guard let ip = IPAddress(text) else {
                throw DecodingError.dataCorruptedError(forKey: .ips, in: s, debugDescription: "bad IP address \(text)")
            }
            return ip
        }
        let ports = ServicePort.shared(try s.decodeIfPresent([ServicePort].self, forKey: .ports) ?? [])
        fields = Boxed(Fields(metadata: metadata, type: type, ips: IPAddresses(ips), ports: ports))
    }
}
