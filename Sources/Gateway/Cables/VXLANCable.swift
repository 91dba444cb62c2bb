#if canImport(Glibc)
import Glibc
#endif
import Logging

/// Submariner's VXLAN cable (gateway.md a.3): device `vxlan-tunnel`, VNI 1000 on the
/// tunnel port, the VTEP address 241.x.y.z/8 made from the private IP, one all-zero MAC
/// FDB entry per remote gateway, routes on-link via the remote VTEP. Unencrypted, and
/// it cannot cross NAT; it is for networks the operator trusts.
public final class VXLANCable: Cable {
    public let backend = "vxlan"
    public let deviceName: String
    public let table: UInt32 = 100
    static let vni: UInt32 = 1000
    static let vtepOctet: UInt8 = 241
    /// Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14).
    public static let overhead: UInt32 = 50

    private let routing: Routing
    private let privateIP: IPv4
    private let port: UInt16
    private let mtu: UInt32?
    private let logger: Logger

    public init(deviceName: String, routing: Routing, privateIP: IPv4, port: UInt16, mtu: UInt32?, logger: Logger) {
        self.deviceName = deviceName
        self.routing = routing
        self.privateIP = privateIP
        self.port = port
        self.mtu = mtu
        self.logger = logger
    }

    public func start() throws(GatewayError) -> [String: String] {
        guard let underlay = try routing.addresses().first(where: { $0.address == privateIP }) else {
            throw GatewayError("no interface holds the private IP \(privateIP)")
        }
        let links = try routing.links()
        guard let under = links.first(where: { $0.index == underlay.index }) else { throw GatewayError("the underlay interface went away") }
        let wanted = mtu ?? (under.mtu - Self.overhead)
        if let existing = links.first(where: { $0.name == deviceName }) {
            guard existing.kind == "vxlan" else {
                throw GatewayError("\(deviceName) exists and is not a VXLAN device (\(existing.kind ?? "plain")); choose another --interface")
            }
            logger.info("adopting the existing VXLAN device", metadata: ["device": "\(deviceName)"])
        } else {
            try routing.addVXLAN(name: deviceName, vni: Self.vni, port: port, local: privateIP, underlay: under.index, mtu: wanted)
        }
        guard let dev = try routing.link(named: deviceName) else { throw GatewayError("\(deviceName) vanished after creation") }
        try routing.addAddress(index: dev.index, address: privateIP.withFirstOctet(Self.vtepOctet), prefix: 8)
        do {
            try routing.setUp(index: dev.index, mtu: wanted)
        } catch let e where e.errno == EADDRINUSE {
            throw GatewayError("UDP port \(port) is in use in this network namespace (WireGuard or another tunnel on it?): "
                + "one backend per gateway, or another --port", errno: e.errno)
        }
        logger.info("VXLAN device up", metadata: ["device": "\(deviceName)", "mtu": "\(wanted)", "underlay": "\(under.name)"])
        return [:]
    }

    public func deviceIndex() throws(GatewayError) -> Int32 {
        guard let l = try routing.link(named: deviceName) else { throw GatewayError("\(deviceName) is gone") }
        return l.index
    }

    public func reconcile(peers: [RemotePeer]) throws(GatewayError) -> [String: CableState] {
        let index = try deviceIndex()
        var states: [String: CableState] = [:]
        var wanted = Set<IPv4>()
        for p in peers {
            let nat = p.endpoint.natEnabled && p.publicIP != nil
            guard let ip = nat ? p.publicIP : p.privateIP else { continue }
            wanted.insert(ip)
            states[p.clusterID] = CableState(status: .connected, message: "", usingIP: "\(ip)", usingNAT: nat)
        }
        let current = Set(try routing.floodDestinations(index: index))
        for ip in wanted.subtracting(current) { try routing.appendFlood(index: index, destination: ip) }
        for ip in current.subtracting(wanted) { try routing.deleteFlood(index: index, destination: ip) }
        return states
    }

    public func nextHop(for peer: RemotePeer) -> IPv4? { peer.privateIP?.withFirstOctet(Self.vtepOctet) }

    public func remove() throws(GatewayError) {
        if let l = try routing.link(named: deviceName), l.kind == "vxlan" { try routing.deleteLink(index: l.index) }
    }
}

