/// `submariner.io/v1` Gateway: which remote clusters the local gateway reaches.
public struct Gateway: Decodable, Sendable, Equatable {
    public struct Connection: Sendable, Equatable {
        public var clusterID: String
        public var status: String
        public init(clusterID: String, status: String) {
            self.clusterID = clusterID
            self.status = status
        }
    }

    public var metadata: ObjectMeta
    public var isActive: Bool
    public var localClusterID: String?
    public var connections: [Connection]

    enum CodingKeys: String, CodingKey { case metadata, status }
    enum StatusKeys: String, CodingKey { case haStatus, localEndpoint, connections }
    enum EndpointKeys: String, CodingKey { case cluster_id }
    enum ConnectionKeys: String, CodingKey { case status, endpoint }

    public init(metadata: ObjectMeta, isActive: Bool, localClusterID: String?, connections: [Connection]) {
        self.metadata = metadata
        self.isActive = isActive
        self.localClusterID = localClusterID
        self.connections = connections
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try c.decode(ObjectMeta.self, forKey: .metadata)
        guard c.contains(.status) else {
            isActive = false
            localClusterID = nil
            connections = []
            return
        }
        let s = try c.nestedContainer(keyedBy: StatusKeys.self, forKey: .status)
        isActive = (try s.decodeIfPresent(String.self, forKey: .haStatus)) == "active"
        if s.contains(.localEndpoint) {
            let e = try s.nestedContainer(keyedBy: EndpointKeys.self, forKey: .localEndpoint)
            localClusterID = try e.decodeIfPresent(String.self, forKey: .cluster_id)
        } else {
            localClusterID = nil
        }
        var list: [Connection] = []
        if s.contains(.connections), (try? s.decodeNil(forKey: .connections)) == false {
            var a = try s.nestedUnkeyedContainer(forKey: .connections)
            while !a.isAtEnd {
                let k = try a.nestedContainer(keyedBy: ConnectionKeys.self)
                let status = try k.decodeIfPresent(String.self, forKey: .status) ?? ""
                let e = try k.nestedContainer(keyedBy: EndpointKeys.self, forKey: .endpoint)
                let id = try e.decode(String.self, forKey: .cluster_id)
                list.append(Connection(clusterID: id, status: status))
            }
        }
        connections = list
    }
}
