#if canImport(Glibc)
import Glibc
#endif

/// Links, addresses, routes, policy rules and bridge FDB entries over rtnetlink: the
/// calls `ip link`, `ip addr`, `ip route`, `ip rule` and `bridge fdb` make, from Swift,
/// so the gateway needs no iproute2 in its image and reads back exactly what it set.
///
/// Adds are idempotent (EEXIST is success, or NLM_F_REPLACE), deletes too (ESRCH and
/// ENOENT are success): a reconcile can run any number of times.
public final class Routing {
    public struct Link: Equatable, Sendable {
        public var index: Int32
        public var name: String
        public var mtu: UInt32
        public var isUp: Bool
        /// `IFLA_INFO_KIND`: "vxlan", "veth", "tun", "bridge"; nil for a plain device.
        public var kind: String?
    }

    public struct Route: Equatable, Hashable, Sendable {
        public var destination: IPv4Network
        public var table: UInt32
        public var outputIndex: Int32?
        public var gateway: IPv4?
        public var source: IPv4?
        public var protocolID: UInt8 = RTNetlink.protoStatic
        public var onlink = false

        public init(destination: IPv4Network, table: UInt32, outputIndex: Int32?, gateway: IPv4? = nil, source: IPv4? = nil, onlink: Bool = false) {
            self.destination = destination
            self.table = table
            self.outputIndex = outputIndex
            self.gateway = gateway
            self.source = source
            self.onlink = onlink
        }
    }

    public struct Rule: Equatable, Sendable {
        public var priority: UInt32
        public var table: UInt32
    }

    private let socket: NetlinkSocket

    public init() throws(GatewayError) { socket = try NetlinkSocket() }

    // MARK: Links

    public func links() throws(GatewayError) -> [Link] {
        let m = NetlinkMessage(type: RTNetlink.getLink, flags: RTNetlink.dump, familyHeader: NetlinkMessage.ifinfo())
        return try socket.dump(m, what: "list links").compactMap { r in
            guard r.type == RTNetlink.newLink, r.body.count >= RTNetlink.ifinfoSize else { return nil }
            let attrs = r.attributes(after: RTNetlink.ifinfoSize)
            let info = attrs[RTNetlink.iflaLinkinfo].map { NetlinkReply.attributes(in: $0) }
            return Link(index: Int32(bitPattern: r.u32(4)), name: NetlinkReply.string(attrs[RTNetlink.iflaIfname]) ?? "",
                        mtu: NetlinkReply.u32(attrs[RTNetlink.iflaMTU]) ?? 0, isUp: r.u32(8) & RTNetlink.iffUp != 0,
                        kind: NetlinkReply.string(info?[RTNetlink.iflaInfoKind]))
        }
    }

    public func link(named name: String) throws(GatewayError) -> Link? { try links().first { $0.name == name } }

    /// `ip link add NAME type vxlan id VNI dstport PORT local LOCAL dev UNDERLAY nolearning`.
    public func addVXLAN(name: String, vni: UInt32, port: UInt16, local: IPv4, underlay: Int32, mtu: UInt32) throws(GatewayError) {
        var m = NetlinkMessage(type: RTNetlink.newLink, flags: RTNetlink.create | RTNetlink.excl | RTNetlink.ack,
                               familyHeader: NetlinkMessage.ifinfo())
        m.attribute(RTNetlink.iflaIfname, string: name)
        m.attribute(RTNetlink.iflaMTU, u32: mtu)
        m.beginNest(RTNetlink.iflaLinkinfo)
        m.attribute(RTNetlink.iflaInfoKind, Array("vxlan".utf8))
        m.beginNest(RTNetlink.iflaInfoData)
        m.attribute(RTNetlink.vxlanID, u32: vni)
        m.attribute(RTNetlink.vxlanLink, u32: UInt32(bitPattern: underlay))
        m.attribute(RTNetlink.vxlanLocal, ip: local)
        m.attribute(RTNetlink.vxlanLearning, [0])
        m.attribute(RTNetlink.vxlanPort, [UInt8(port >> 8), UInt8(port & 255)])
        m.endNest()
        m.endNest()
        try socket.perform(m, what: "create VXLAN device \(name)")
    }

    /// Sets the MTU and brings the link up.
    public func setUp(index: Int32, mtu: UInt32?) throws(GatewayError) {
        var m = NetlinkMessage(type: RTNetlink.newLink, flags: RTNetlink.ack,
                               familyHeader: NetlinkMessage.ifinfo(index: index, flags: RTNetlink.iffUp, change: RTNetlink.iffUp))
        if let mtu { m.attribute(RTNetlink.iflaMTU, u32: mtu) }
        try socket.perform(m, what: "set link \(index) up")
    }

    public func deleteLink(index: Int32) throws(GatewayError) {
        let m = NetlinkMessage(type: RTNetlink.delLink, flags: RTNetlink.ack, familyHeader: NetlinkMessage.ifinfo(index: index))
        do { try socket.perform(m, what: "delete link \(index)") } catch let e where e.errno == ENODEV {}
    }

    // MARK: Addresses

    /// Every IPv4 address with its link index and prefix length.
    public func addresses() throws(GatewayError) -> [(index: Int32, address: IPv4, prefix: UInt8)] {
        let m = NetlinkMessage(type: RTNetlink.getAddr, flags: RTNetlink.dump, familyHeader: NetlinkMessage.ifaddr(prefix: 0, index: 0))
        return try socket.dump(m, what: "list addresses").compactMap { r in
            guard r.type == RTNetlink.newAddr, r.body.count >= RTNetlink.ifaddrSize, r.u8(0) == RTNetlink.afInet else { return nil }
            let attrs = r.attributes(after: RTNetlink.ifaddrSize)
            guard let ip = NetlinkReply.ipv4(attrs[RTNetlink.ifaLocal] ?? attrs[RTNetlink.ifaAddress]) else { return nil }
            return (Int32(bitPattern: r.u32(4)), ip, r.u8(1))
        }
    }

    public func addAddress(index: Int32, address: IPv4, prefix: UInt8) throws(GatewayError) {
        var m = NetlinkMessage(type: RTNetlink.newAddr, flags: RTNetlink.create | RTNetlink.excl | RTNetlink.ack,
                               familyHeader: NetlinkMessage.ifaddr(prefix: prefix, index: index))
        m.attribute(RTNetlink.ifaLocal, ip: address)
        m.attribute(RTNetlink.ifaAddress, ip: address)
        do { try socket.perform(m, what: "add address \(address)/\(prefix)") } catch let e where e.errno == EEXIST {}
    }

    // MARK: Routes

    /// The routes of one table (IPv4).
    public func routes(table: UInt32) throws(GatewayError) -> [Route] {
        let m = NetlinkMessage(type: RTNetlink.getRoute, flags: RTNetlink.dump,
                               familyHeader: NetlinkMessage.rtmsg(dstLen: 0, table: 0, protocolID: 0, scope: 0, type: 0))
        return try socket.dump(m, what: "list routes").compactMap { r in
            guard r.type == RTNetlink.newRoute, r.body.count >= RTNetlink.rtmsgSize, r.u8(0) == RTNetlink.afInet else { return nil }
            let attrs = r.attributes(after: RTNetlink.rtmsgSize)
            let t = NetlinkReply.u32(attrs[RTNetlink.rtaTable]) ?? UInt32(r.u8(4))
            guard t == table else { return nil }
            let dst = NetlinkReply.ipv4(attrs[RTNetlink.rtaDst]) ?? IPv4(0)
            var route = Route(destination: IPv4Network(address: dst, prefixLength: r.u8(1)), table: t,
                              outputIndex: NetlinkReply.u32(attrs[RTNetlink.rtaOif]).map { Int32(bitPattern: $0) },
                              gateway: NetlinkReply.ipv4(attrs[RTNetlink.rtaGateway]), source: NetlinkReply.ipv4(attrs[RTNetlink.rtaPrefsrc]),
                              onlink: r.u32(8) & RTNetlink.flagOnlink != 0)
            route.protocolID = r.u8(5)
            return route
        }
    }

    /// `ip route replace`: creates or overwrites the route to that destination in that table.
    public func replaceRoute(_ route: Route) throws(GatewayError) {
        var m = NetlinkMessage(type: RTNetlink.newRoute, flags: RTNetlink.create | RTNetlink.replace | RTNetlink.ack,
                               familyHeader: header(route))
        attributes(route, into: &m)
        try socket.perform(m, what: "route \(route.destination) table \(route.table)")
    }

    public func deleteRoute(_ route: Route) throws(GatewayError) {
        var m = NetlinkMessage(type: RTNetlink.delRoute, flags: RTNetlink.ack, familyHeader: header(route))
        m.attribute(RTNetlink.rtaDst, ip: route.destination.address)
        m.attribute(RTNetlink.rtaTable, u32: route.table)
        do { try socket.perform(m, what: "delete route \(route.destination) table \(route.table)") } catch let e where e.errno == ESRCH || e.errno == ENOENT {}
    }

    private func header(_ route: Route) -> [UInt8] {
        NetlinkMessage.rtmsg(dstLen: route.destination.prefixLength, table: route.table < 256 ? UInt8(route.table) : 252,
                             protocolID: route.protocolID, scope: route.gateway == nil ? RTNetlink.scopeLink : RTNetlink.scopeUniverse,
                             type: RTNetlink.typeUnicast, flags: route.onlink ? RTNetlink.flagOnlink : 0)
    }

    private func attributes(_ route: Route, into m: inout NetlinkMessage) {
        m.attribute(RTNetlink.rtaDst, ip: route.destination.address)
        m.attribute(RTNetlink.rtaTable, u32: route.table)
        if let o = route.outputIndex { m.attribute(RTNetlink.rtaOif, u32: UInt32(bitPattern: o)) }
        if let g = route.gateway { m.attribute(RTNetlink.rtaGateway, ip: g) }
        if let s = route.source { m.attribute(RTNetlink.rtaPrefsrc, ip: s) }
    }

    /// `ip route get IP`: the link a packet to `ip` leaves by (for the underlay's MTU).
    public func outputLink(to ip: IPv4) throws(GatewayError) -> Int32? {
        var m = NetlinkMessage(type: RTNetlink.getRoute, flags: 0,
                               familyHeader: NetlinkMessage.rtmsg(dstLen: 32, table: 0, protocolID: 0, scope: 0, type: 0))
        m.attribute(RTNetlink.rtaDst, ip: ip)
        let replies = try socket.dump(m, what: "route to \(ip)")
        for r in replies where r.type == RTNetlink.newRoute && r.body.count >= RTNetlink.rtmsgSize {
            return NetlinkReply.u32(r.attributes(after: RTNetlink.rtmsgSize)[RTNetlink.rtaOif]).map { Int32(bitPattern: $0) }
        }
        return nil
    }

    // MARK: Rules

    public func rules() throws(GatewayError) -> [Rule] {
        let m = NetlinkMessage(type: RTNetlink.getRule, flags: RTNetlink.dump, familyHeader: NetlinkMessage.rule(table: 0, action: 0))
        return try socket.dump(m, what: "list rules").compactMap { r in
            guard r.type == RTNetlink.newRule, r.body.count >= RTNetlink.ruleSize, r.u8(0) == RTNetlink.afInet else { return nil }
            let attrs = r.attributes(after: RTNetlink.ruleSize)
            return Rule(priority: NetlinkReply.u32(attrs[RTNetlink.fraPriority]) ?? 0,
                        table: NetlinkReply.u32(attrs[RTNetlink.fraTable]) ?? UInt32(r.u8(4)))
        }
    }

    /// `ip rule add pref P lookup T`, unless that very rule is there already.
    public func ensureRule(priority: UInt32, table: UInt32) throws(GatewayError) {
        if try rules().contains(Rule(priority: priority, table: table)) { return }
        var m = NetlinkMessage(type: RTNetlink.newRule, flags: RTNetlink.create | RTNetlink.ack,
                               familyHeader: NetlinkMessage.rule(table: table < 256 ? UInt8(table) : 252, action: RTNetlink.actionToTable))
        m.attribute(RTNetlink.fraPriority, u32: priority)
        m.attribute(RTNetlink.fraTable, u32: table)
        do { try socket.perform(m, what: "rule pref \(priority) lookup \(table)") } catch let e where e.errno == EEXIST {}
    }

    public func deleteRule(priority: UInt32, table: UInt32) throws(GatewayError) {
        var m = NetlinkMessage(type: RTNetlink.delRule, flags: RTNetlink.ack,
                               familyHeader: NetlinkMessage.rule(table: table < 256 ? UInt8(table) : 252, action: RTNetlink.actionToTable))
        m.attribute(RTNetlink.fraPriority, u32: priority)
        m.attribute(RTNetlink.fraTable, u32: table)
        do { try socket.perform(m, what: "delete rule pref \(priority)") } catch let e where e.errno == ENOENT || e.errno == ESRCH {}
    }

    // MARK: Bridge FDB (VXLAN peers)

    /// The remote VTEP addresses of the all-zero MAC entries on a VXLAN device.
    public func floodDestinations(index: Int32) throws(GatewayError) -> [IPv4] {
        let m = NetlinkMessage(type: RTNetlink.getNeigh, flags: RTNetlink.dump,
                               familyHeader: NetlinkMessage.ndmsg(family: RTNetlink.afBridge, index: 0, state: 0, flags: 0))
        return try socket.dump(m, what: "list FDB").compactMap { r in
            guard r.type == RTNetlink.newNeigh, r.body.count >= RTNetlink.ndmsgSize, Int32(bitPattern: r.u32(4)) == index else { return nil }
            let attrs = r.attributes(after: RTNetlink.ndmsgSize)
            guard let mac = attrs[RTNetlink.ndaLladdr], mac.allSatisfy({ $0 == 0 }) else { return nil }
            return NetlinkReply.ipv4(attrs[RTNetlink.ndaDst])
        }
    }

    /// `bridge fdb append 00:00:00:00:00:00 dev DEV dst IP`: one more flood destination.
    public func appendFlood(index: Int32, destination: IPv4) throws(GatewayError) {
        var m = NetlinkMessage(type: RTNetlink.newNeigh, flags: RTNetlink.create | RTNetlink.append | RTNetlink.ack,
                               familyHeader: NetlinkMessage.ndmsg(family: RTNetlink.afBridge, index: index,
                                                                  state: RTNetlink.nudPermanent | RTNetlink.nudNoarp, flags: RTNetlink.ntfSelf))
        m.attribute(RTNetlink.ndaLladdr, [0, 0, 0, 0, 0, 0])
        m.attribute(RTNetlink.ndaDst, ip: destination)
        do { try socket.perform(m, what: "FDB entry to \(destination)") } catch let e where e.errno == EEXIST {}
    }

    public func deleteFlood(index: Int32, destination: IPv4) throws(GatewayError) {
        var m = NetlinkMessage(type: RTNetlink.delNeigh, flags: RTNetlink.ack,
                               familyHeader: NetlinkMessage.ndmsg(family: RTNetlink.afBridge, index: index, state: 0, flags: RTNetlink.ntfSelf))
        m.attribute(RTNetlink.ndaLladdr, [0, 0, 0, 0, 0, 0])
        m.attribute(RTNetlink.ndaDst, ip: destination)
        do { try socket.perform(m, what: "delete FDB entry to \(destination)") } catch let e where e.errno == ENOENT || e.errno == ESRCH {}
    }
}
