/// A remote cluster as a cable driver is asked to reach it.
public struct RemotePeer: Equatable, Sendable {
    public var endpoint: EndpointSpec
    public var subnets: [IPv4Network]
    public var privateIP: IPv4?
    public var publicIP: IPv4?

    public init(endpoint: EndpointSpec, subnets: [IPv4Network]) {
        self.endpoint = endpoint
        self.subnets = subnets
        privateIP = IPv4(endpoint.privateIP)
        publicIP = IPv4(endpoint.publicIP)
    }

    public var clusterID: String { endpoint.clusterID }
}

/// What a cable says of one remote cluster after a reconcile.
public struct CableState: Equatable, Sendable {
    public var status: Connection.Status
    public var message: String
    /// The remote address in use (private or public; after WireGuard roaming, where the
    /// peer's packets really come from).
    public var usingIP: String
    public var usingNAT: Bool
    public var rxBytes: UInt64 = 0
    public var txBytes: UInt64 = 0
    /// Unix seconds of the last WireGuard handshake; 0 for none or for VXLAN.
    public var lastHandshake: Int64 = 0
}

/// A tunnel driver: makes or adopts its device, keeps its peers exactly the given set,
/// says how routes into it are made, and removes everything it made.
public protocol Cable: AnyObject {
    /// "wireguard" or "vxlan", as Submariner's Endpoint `backend` names it.
    var backend: String { get }
    var deviceName: String { get }
    /// The routing table and rule priority its routes live in.
    var table: UInt32 { get }
    /// Creates or adopts the device; returns what goes into the local Endpoint's
    /// `backend_config` (WireGuard's public key).
    func start() throws(GatewayError) -> [String: String]
    /// Makes the device's peers exactly `peers`; returns each cluster's state.
    func reconcile(peers: [RemotePeer]) throws(GatewayError) -> [String: CableState]
    /// The route's next hop for a peer (VXLAN: the remote VTEP, on-link), nil for a
    /// point-to-point device.
    func nextHop(for peer: RemotePeer) -> IPv4?
    /// The device's link index (after `start`).
    func deviceIndex() throws(GatewayError) -> Int32
    /// Removes the device (and stops what runs it).
    func remove() throws(GatewayError)
}
