import AnswerTable

/// `discovery.k8s.io/v1` EndpointSlice, trimmed to what answers depend on.
public struct EndpointSlice: Decodable, Sendable, Equatable {
    public struct Endpoint: Decodable, Sendable, Equatable {
        public var addresses: IPAddresses
        /// `conditions.ready`; nil (unknown) counts as ready.
        public var ready: Bool?
        /// The endpoint's name in DNS: its hostname, else (Lighthouse mode) the name of
        /// its Pod. One field: with a hostname, the Pod's name is never used, and every
        /// endpoint is kept for as long as its slice exists.
        private var host: Host?

        private enum Host: Equatable, Sendable {
            case hostname(String)
            case pod(String)
        }

        public var hostname: String? {
            get { if case .hostname(let h)? = host { return h } else { return nil } }
            set { host = newValue.map(Host.hostname) ?? (podName.map(Host.pod)) }
        }

        /// The Pod's name, when `targetRef` names a Pod and there is no hostname.
        public var podName: String? {
            get { if case .pod(let p)? = host { return p } else { return nil } }
            set {
                guard hostname == nil else { return }
                host = newValue.map(Host.pod)
            }
        }

        enum CodingKeys: String, CodingKey { case addresses, conditions, hostname, targetRef }
        enum ConditionKeys: String, CodingKey { case ready }
        enum RefKeys: String, CodingKey { case kind, name }

        public init(addresses: [IPAddress], ready: Bool? = true, hostname: String? = nil, podName: String? = nil) {
            self.addresses = IPAddresses(addresses)
            self.ready = ready
            host = hostname.map(Host.hostname) ?? podName.map(Host.pod)
        }

        /// The decoder's: the list as read, no array made for one address.
        init(addresses: IPAddresses, ready: Bool?, hostname: String?, podName: String?) {
            self.addresses = addresses
            self.ready = ready
            host = hostname.map(Host.hostname) ?? podName.map(Host.pod)
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let texts = try c.decodeIfPresent([String].self, forKey: .addresses) ?? []
            addresses = IPAddresses(try texts.map { text in
                guard let ip = IPAddress(text) else {
                    throw DecodingError.dataCorruptedError(forKey: .addresses, in: c, debugDescription: "bad IP address \(text)")
                }
                return ip
            })
            if c.contains(.conditions), (try? c.decodeNil(forKey: .conditions)) == false {
                let k = try c.nestedContainer(keyedBy: ConditionKeys.self, forKey: .conditions)
                ready = try k.decodeIfPresent(Bool.self, forKey: .ready)
            } else {
                ready = nil
            }
            let hostname = try c.decodeIfPresent(String.self, forKey: .hostname).flatMap { $0.isEmpty ? nil : $0.lowercased() }
            var podName: String? = nil
            if c.contains(.targetRef), (try? c.decodeNil(forKey: .targetRef)) == false {
                let r = try c.nestedContainer(keyedBy: RefKeys.self, forKey: .targetRef)
                let kind = try r.decodeIfPresent(String.self, forKey: .kind) ?? "Pod"
                if kind == "Pod" { podName = try r.decodeIfPresent(String.self, forKey: .name).flatMap { $0.isEmpty ? nil : $0.lowercased() } }
            }
            host = hostname.map(Host.hostname) ?? podName.map(Host.pod)
        }
    }

    struct Fields: Sendable, Equatable {
        var metadata: ObjectMeta
        var isIPv6: Bool
        var endpoints: OneOrMany<Endpoint>
        var ports: [ServicePort]
    }

    /// Behind one reference (`Boxed`): slices are copied around more than read.
    private var fields: Boxed<Fields>

    public var metadata: ObjectMeta {
        _read { yield fields.value.metadata }
        _modify { yield &fields.value.metadata }
    }
    public var isIPv6: Bool {
        _read { yield fields.value.isIPv6 }
        _modify { yield &fields.value.isIPv6 }
    }
    public var endpoints: OneOrMany<Endpoint> {
        _read { yield fields.value.endpoints }
        _modify { yield &fields.value.endpoints }
    }
    public var ports: [ServicePort] {
        _read { yield fields.value.ports }
        _modify { yield &fields.value.ports }
    }

    enum CodingKeys: String, CodingKey { case metadata, addressType, endpoints, ports }

    public init(metadata: ObjectMeta, isIPv6: Bool = false, endpoints: [Endpoint], ports: [ServicePort]) {
        fields = Boxed(Fields(metadata: metadata, isIPv6: isIPv6, endpoints: OneOrMany(endpoints), ports: ports))
    }

    /// The decoder's: the list as read, no array made for one endpoint.
    init(metadata: ObjectMeta, isIPv6: Bool, endpoints: OneOrMany<Endpoint>, ports: [ServicePort]) {
        fields = Boxed(Fields(metadata: metadata, isIPv6: isIPv6, endpoints: endpoints, ports: ports))
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
        fields = Boxed(Fields(metadata: metadata, isIPv6: isIPv6, endpoints: OneOrMany(endpoints), ports: ports))
    }
}
