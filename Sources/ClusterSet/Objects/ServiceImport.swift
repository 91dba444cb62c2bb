/// `multicluster.x-k8s.io/v1alpha1` ServiceImport, trimmed to what answers depend on.
public struct ServiceImport: Decodable, Sendable, Equatable {
    public enum ServiceType: String, Sendable { case clusterSetIP = "ClusterSetIP", headless = "Headless" }

    /// The fields behind one reference, as `EndpointSlice.Storage` and for the same
    /// reasons. Immutable: a setter makes new storage.
    final class Storage: Sendable {
        let metadata: ObjectMeta
        let type: ServiceType
        let ips: [IPAddress]
        let ports: [ServicePort]

        init(metadata: ObjectMeta, type: ServiceType, ips: [IPAddress], ports: [ServicePort]) {
            self.metadata = metadata
            self.type = type
            self.ips = ips
            self.ports = ports
        }
    }

    private var storage: Storage

    public var metadata: ObjectMeta {
        _read { yield storage.metadata }
        set { storage = Storage(metadata: newValue, type: type, ips: ips, ports: ports) }
    }
    public var type: ServiceType {
        _read { yield storage.type }
        set { storage = Storage(metadata: metadata, type: newValue, ips: ips, ports: ports) }
    }
    public var ips: [IPAddress] {
        _read { yield storage.ips }
        set { storage = Storage(metadata: metadata, type: type, ips: newValue, ports: ports) }
    }
    public var ports: [ServicePort] {
        _read { yield storage.ports }
        set { storage = Storage(metadata: metadata, type: type, ips: ips, ports: newValue) }
    }

    public static func == (l: ServiceImport, r: ServiceImport) -> Bool {
        l.storage === r.storage || (l.metadata == r.metadata && l.type == r.type && l.ips == r.ips && l.ports == r.ports)
    }

    enum CodingKeys: String, CodingKey { case metadata, spec }
    enum SpecKeys: String, CodingKey { case type, ips, ports }

    public init(metadata: ObjectMeta, type: ServiceType, ips: [IPAddress] = [], ports: [ServicePort] = []) {
        storage = Storage(metadata: metadata, type: type, ips: ips, ports: ports)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let metadata = try c.decode(ObjectMeta.self, forKey: .metadata)
        guard c.contains(.spec) else {
            storage = Storage(metadata: metadata, type: .clusterSetIP, ips: [], ports: [])
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
        storage = Storage(metadata: metadata, type: type, ips: ips, ports: ports)
    }
}
