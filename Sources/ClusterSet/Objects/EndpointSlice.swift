/// `discovery.k8s.io/v1` EndpointSlice, trimmed to what answers depend on.
public struct EndpointSlice: Decodable, Sendable, Equatable {
    public struct Endpoint: Decodable, Sendable, Equatable {
        public var addresses: [IPAddress]
        /// `conditions.ready`; nil (unknown) counts as ready.
        public var ready: Bool?
        public var hostname: String?
        /// The Pod's name, when `targetRef` names a Pod.
        public var podName: String?

        enum CodingKeys: String, CodingKey { case addresses, conditions, hostname, targetRef }
        enum ConditionKeys: String, CodingKey { case ready }
        enum RefKeys: String, CodingKey { case kind, name }

        public init(addresses: [IPAddress], ready: Bool? = true, hostname: String? = nil, podName: String? = nil) {
            self.addresses = addresses
            self.ready = ready
            self.hostname = hostname
            self.podName = podName
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let texts = try c.decodeIfPresent([String].self, forKey: .addresses) ?? []
            addresses = try texts.map { text in
                guard let ip = IPAddress(text) else {
                    throw DecodingError.dataCorruptedError(forKey: .addresses, in: c, debugDescription: "bad IP address \(text)")
                }
                return ip
            }
            if c.contains(.conditions), (try? c.decodeNil(forKey: .conditions)) == false {
                let k = try c.nestedContainer(keyedBy: ConditionKeys.self, forKey: .conditions)
                ready = try k.decodeIfPresent(Bool.self, forKey: .ready)
            } else {
                ready = nil
            }
            hostname = try c.decodeIfPresent(String.self, forKey: .hostname).flatMap { $0.isEmpty ? nil : $0.lowercased() }
            podName = nil
            if c.contains(.targetRef), (try? c.decodeNil(forKey: .targetRef)) == false {
                let r = try c.nestedContainer(keyedBy: RefKeys.self, forKey: .targetRef)
                let kind = try r.decodeIfPresent(String.self, forKey: .kind) ?? "Pod"
                if kind == "Pod" { podName = try r.decodeIfPresent(String.self, forKey: .name).flatMap { $0.isEmpty ? nil : $0.lowercased() } }
            }
        }
    }

    /// The fields behind one reference: the store and the compiler copy slices around
    /// (a copy of the fields was a retain each: a tenth of a full compile), and an
    /// object in the store's dictionary is then a word, not 96 bytes. Immutable: a
    /// setter makes new storage.
    final class Storage: Sendable {
        let metadata: ObjectMeta
        let isIPv6: Bool
        let endpoints: [Endpoint]
        let ports: [ServicePort]

        init(metadata: ObjectMeta, isIPv6: Bool, endpoints: [Endpoint], ports: [ServicePort]) {
            self.metadata = metadata
            self.isIPv6 = isIPv6
            self.endpoints = endpoints
            self.ports = ports
        }
    }

    private var storage: Storage

    public var metadata: ObjectMeta {
        _read { yield storage.metadata }
        set { storage = Storage(metadata: newValue, isIPv6: isIPv6, endpoints: endpoints, ports: ports) }
    }
    public var isIPv6: Bool {
        _read { yield storage.isIPv6 }
        set { storage = Storage(metadata: metadata, isIPv6: newValue, endpoints: endpoints, ports: ports) }
    }
    public var endpoints: [Endpoint] {
        _read { yield storage.endpoints }
        set { storage = Storage(metadata: metadata, isIPv6: isIPv6, endpoints: newValue, ports: ports) }
    }
    public var ports: [ServicePort] {
        _read { yield storage.ports }
        set { storage = Storage(metadata: metadata, isIPv6: isIPv6, endpoints: endpoints, ports: newValue) }
    }

    enum CodingKeys: String, CodingKey { case metadata, addressType, endpoints, ports }

    public init(metadata: ObjectMeta, isIPv6: Bool = false, endpoints: [Endpoint], ports: [ServicePort]) {
        storage = Storage(metadata: metadata, isIPv6: isIPv6, endpoints: endpoints, ports: ports)
    }

    public static func == (l: EndpointSlice, r: EndpointSlice) -> Bool {
        l.storage === r.storage
            || (l.metadata == r.metadata && l.isIPv6 == r.isIPv6 && l.endpoints == r.endpoints && l.ports == r.ports)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let metadata = try c.decode(ObjectMeta.self, forKey: .metadata)
        let type = try c.decode(String.self, forKey: .addressType)
        let isIPv6: Bool
        switch type {
        case "IPv4": isIPv6 = false
        case "IPv6": isIPv6 = true
        default:
            throw DecodingError.dataCorruptedError(forKey: .addressType, in: c, debugDescription: "address type \(type) is not served")
        }
        let endpoints = try c.decodeIfPresent([Endpoint].self, forKey: .endpoints) ?? []
        let ports = ServicePort.shared(try c.decodeIfPresent([ServicePort].self, forKey: .ports) ?? [])
        for e in endpoints where e.addresses.contains(where: { $0.isIPv6 != isIPv6 }) {
            throw DecodingError.dataCorruptedError(forKey: .endpoints, in: c, debugDescription: "an address does not match addressType \(type)")
        }
        storage = Storage(metadata: metadata, isIPv6: isIPv6, endpoints: endpoints, ports: ports)
    }
}
