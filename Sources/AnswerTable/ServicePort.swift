import Locking

/// A port of a ServiceImport or EndpointSlice. Names and protocols are compared
/// case-insensitively, as DNS names are.
public struct ServicePort: Decodable, Hashable, Sendable {
    /// Empty for an unnamed port.
    public var name: String
    /// `tcp`, `udp` or `sctp`, lower-cased; Kubernetes' default is TCP.
    public var proto: String
    public var port: UInt16

    enum CodingKeys: String, CodingKey { case name, `protocol`, port }

    public init(name: String, proto: String, port: UInt16) {
        self.name = name.lowercased()
        self.proto = proto.lowercased()
        self.port = port
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = (try c.decodeIfPresent(String.self, forKey: .name) ?? "").lowercased()
        proto = (try c.decodeIfPresent(String.self, forKey: .protocol) ?? "TCP").lowercased()
        let p = try c.decode(Int.self, forKey: .port)
        guard (1...65535).contains(p) else {
            throw DecodingError.dataCorruptedError(forKey: .port, in: c, debugDescription: "port \(p) is not 1-65535")
        }
        port = UInt16(p)
    }
}

extension ServicePort {
    /// Every distinct port list decoded so far (few: most services of a cluster set
    /// export the same ports).
    private static let lists = Locked<Set<[ServicePort]>>([])

    /// The shared copy of `ports`: every slice and import of a service, and most
    /// services, list the same ports, and each decoded list was a heap block of its own
    /// (some 80 bytes a copy, four copies per service). Interned as objects are decoded,
    /// so that the duplicate is freed at once and its memory reused by the next object.
    package static func shared(_ ports: [ServicePort]) -> [ServicePort] {
        if ports.isEmpty { return ports }
        return lists.withLock { lists in
            if let known = lists.firstIndex(of: ports) { return lists[known] }
            lists.insert(ports)
            return ports
        }
    }
}

