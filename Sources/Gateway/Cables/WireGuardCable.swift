#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import Logging

/// Submariner's WireGuard cable (gateway.md a.3) on wireguard-go's UAPI socket:
/// wireguard-go is started as a child (the kernels this was built on have no WireGuard
/// module) or adopted when its socket already answers, and started again if it dies.
///
/// Peers: the remote public key, PSK = SHA-256 of the shared text, keepalive 10 s,
/// allowed IPs = the remote subnets, endpoint = the remote private IP first, its public IP
/// when no handshake came within `switchAfter`; once a handshake is recent the endpoint is
/// left alone, so WireGuard's roaming (a NAT that remapped the port) is kept.
public final class WireGuardCable: Cable {
    public let backend = "wireguard"
    public let deviceName: String
    public let table: UInt32 = 150
    /// Outer IPv4 (20) + UDP (8) + WireGuard header and tag (32).
    public static let overhead: UInt32 = 60
    static let keepalive = 10
    /// WireGuard re-handshakes at least every 120 s while a peer is in use.
    static let handshakeStale: Int64 = 180
    /// Submariner's limit for a peer that never completed a handshake.
    static let neverHandshaken: Double = 130
    let switchAfter: Double = 5

    private let routing: Routing
    private let uapi: WireGuardUAPI
    private let privateIP: IPv4
    private let port: UInt16
    private let mtu: UInt32?
    private let psk: WireGuardKey
    private let program: String
    private let logger: Logger
    private var child: ChildProcess?
    private var privateKey: WireGuardKey?

    /// Per remote cluster: which candidate address is in use and since when.
    private struct Track {
        var key: WireGuardKey
        var candidates: [IPv4]
        var index = 0
        var since: Date
        var configuredAt: Date
        /// Times the peer was made anew to start a handshake at once (below).
        var kicks = 0
    }
    /// A first handshake not done this long after the peer was set up is started again.
    static let kickAfter: Double = 0.5
    static let maxKicks = 3
    private var tracks: [String: Track] = [:]

    public init(deviceName: String, routing: Routing, privateIP: IPv4, port: UInt16, mtu: UInt32?, psk: WireGuardKey,
                program: String = "wireguard-go", socketDirectory: String = "/var/run/wireguard", logger: Logger) {
        self.deviceName = deviceName
        self.routing = routing
        uapi = WireGuardUAPI(interface: deviceName, directory: socketDirectory)
        self.privateIP = privateIP
        self.port = port
        self.mtu = mtu
        self.psk = psk
        self.program = program
        self.logger = logger
    }

    public func start() throws(GatewayError) -> [String: String] {
        if let device = try? uapi.get() {
            privateKey = device.privateKey
            logger.info("adopting the running wireguard-go", metadata: ["device": "\(deviceName)", "peers": "\(device.peers.count)"])
        } else {
            try launch()
        }
        let key = privateKey ?? WireGuardKey.generatePrivate()
        privateKey = key
        try configureDevice()
        return ["publicKey": try key.publicKey().base64, "interface-name": deviceName]
    }

    /// Starts wireguard-go and waits (5 s at most) for its socket to answer.
    private func launch() throws(GatewayError) {
        if let stale = try routing.link(named: deviceName) {
            guard stale.kind == "tun" || stale.kind == nil else {
                throw GatewayError("\(deviceName) exists and is a \(stale.kind ?? "plain") device; choose another --interface")
            }
        }
        let c = try ChildProcess([program, "-f", deviceName], environment: ["LOG_LEVEL": "error"])
        child = c
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if (try? uapi.get()) != nil { return }
            if !c.isRunning {
                throw GatewayError("\(program) exited with status \(c.exitStatus.map { "\(($0 >> 8) & 0xff)" } ?? "?") before its socket answered "
                    + "(is /dev/net/tun there and CAP_NET_ADMIN granted?)")
            }
            usleep(20_000)
        }
        c.stop()
        throw GatewayError("\(program) did not open \(uapi.socketPath) within 5 s")
    }

    /// Private key, port, MTU and link up; the device's peers are the reconcile's job.
    private func configureDevice() throws(GatewayError) {
        guard let key = privateKey else { return }
        let device = try uapi.get()
        if device.privateKey != key || device.listenPort != port {
            do {
                try uapi.set(["private_key=\(key.hex)", "listen_port=\(port)"])
            } catch let e where e.errno == EADDRINUSE {
                throw GatewayError("UDP port \(port) is in use in this network namespace (a VXLAN tunnel or another WireGuard on it?): "
                    + "one backend per gateway, or another --port", errno: e.errno)
            }
        }
        guard let link = try routing.link(named: deviceName) else { throw GatewayError("\(deviceName) has no link") }
        let wanted: UInt32
        if let m = mtu { wanted = m } else { wanted = try underlayMTU() - Self.overhead }
        if !link.isUp || link.mtu != wanted {
            try routing.setUp(index: link.index, mtu: wanted)
            logger.info("WireGuard device up", metadata: ["device": "\(deviceName)", "mtu": "\(wanted)", "port": "\(port)"])
        }
    }

    private func underlayMTU() throws(GatewayError) -> UInt32 {
        guard let a = try routing.addresses().first(where: { $0.address == privateIP }),
              let l = try routing.links().first(where: { $0.index == a.index }) else {
            throw GatewayError("no interface holds the private IP \(privateIP)")
        }
        return l.mtu
    }

    public func deviceIndex() throws(GatewayError) -> Int32 {
        guard let l = try routing.link(named: deviceName) else { throw GatewayError("\(deviceName) is gone") }
        return l.index
    }

    public func nextHop(for peer: RemotePeer) -> IPv4? { nil }

    /// wireguard-go died (or its socket stopped answering): start it again with the same key.
    private func superviseDevice() throws(GatewayError) {
        let childDied = child.map { !$0.isRunning } ?? false
        if !childDied, (try? uapi.get()) != nil { return }
        logger.warning("wireguard-go is gone; starting it again", metadata: [
            "device": "\(deviceName)", "exit-status": "\(child?.exitStatus.map { "\($0)" } ?? "not our child")"])
        child?.stop(grace: 0.5)
        child = nil
        tracks = [:]
        try launch()
        try configureDevice()
    }

    public func reconcile(peers: [RemotePeer]) throws(GatewayError) -> [String: CableState] {
        try superviseDevice()
        var device = try uapi.get()
        if device.privateKey != privateKey || device.listenPort != port {
            try configureDevice()
            device = try uapi.get()
        }
        var states: [String: CableState] = [:]
        var lines: [String] = []
        var wantedKeys = Set<WireGuardKey>()
        let now = Date()
        for p in peers {
            guard let key = p.endpoint.backendConfig["publicKey"].flatMap(WireGuardKey.init(base64:)) else {
                states[p.clusterID] = CableState(status: .error, message: "the Endpoint has no valid backend_config.publicKey", usingIP: "", usingNAT: false)
                continue
            }
            wantedKeys.insert(key)
            var candidates: [IPv4] = []
            for ip in [p.privateIP, p.publicIP] { if let ip, !candidates.contains(ip) { candidates.append(ip) } }
            guard !candidates.isEmpty else {
                states[p.clusterID] = CableState(status: .error, message: "the Endpoint has no usable IP", usingIP: "", usingNAT: false)
                continue
            }
            var track = tracks[p.clusterID] ?? Track(key: key, candidates: candidates, since: now, configuredAt: now)
            if track.key != key || track.candidates != candidates {
                if track.key != key { logger.info("remote key changed; replacing the peer", metadata: ["cluster": "\(p.clusterID)"]) }
                track = Track(key: key, candidates: candidates, since: now, configuredAt: now)
            }
            let existing = device.peers.first { $0.publicKey == key }
            let port = p.endpoint.udpPort
            let allowed = p.subnets.map(\.description)
            var peerLines: [String] = []
            let recent = existing.map { $0.lastHandshake > 0 && Int64(now.timeIntervalSince1970) - $0.lastHandshake < Self.handshakeStale } ?? false
            var fresh = existing == nil
            if let e = existing, e.lastHandshake == 0, track.kicks < Self.maxKicks,
               now.timeIntervalSince(track.since) >= Self.kickAfter * Double(track.kicks + 1) {
                // Both sides' first initiations can cross before either knows the other;
                // WireGuard then waits 5 s (REKEY_TIMEOUT) before it tries again, for a
                // peer object. A peer made anew initiates at once.
                lines += ["public_key=\(key.hex)", "remove=true"]
                track.kicks += 1
                logger.info("no first handshake yet; setting the peer up anew to start one", metadata: ["cluster": "\(p.clusterID)", "attempt": "\(track.kicks)"])
                fresh = true
            }
            if fresh {
                peerLines.append("endpoint=\(track.candidates[track.index]):\(port)")
                if existing == nil { track.since = now }
            } else if !recent, candidates.count > 1, now.timeIntervalSince(track.since) >= switchAfter {
                track.index = (track.index + 1) % candidates.count
                track.since = now
                peerLines.append("endpoint=\(track.candidates[track.index]):\(port)")
                logger.info("no handshake; trying the peer's other address", metadata: [
                    "cluster": "\(p.clusterID)", "endpoint": "\(track.candidates[track.index])"])
            }
            if fresh || existing.map({ Set($0.allowedIPs) != Set(allowed) || $0.keepalive != Self.keepalive || !$0.hasPresharedKey }) ?? true {
                peerLines += ["preshared_key=\(psk.hex)", "persistent_keepalive_interval=\(Self.keepalive)", "replace_allowed_ips=true"]
                peerLines += allowed.map { "allowed_ip=\($0)" }
            }
            if !peerLines.isEmpty { lines += ["public_key=\(key.hex)"] + peerLines }
            tracks[p.clusterID] = track
        }
        for old in device.peers where !wantedKeys.contains(old.publicKey) {
            lines += ["public_key=\(old.publicKey.hex)", "remove=true"]
            logger.info("removing an unknown or retired peer", metadata: ["key": "\(old.publicKey.base64)"])
        }
        let live = Set(peers.map(\.clusterID))
        tracks = tracks.filter { live.contains($0.key) }
        if !lines.isEmpty {
            try uapi.set(lines)
            device = try uapi.get()
        }
        // Read back: every wanted peer is there with the subnets asked for.
        for p in peers where states[p.clusterID] == nil {
            states[p.clusterID] = peerState(p, device: device, now: now)
        }
        return states
    }

    private func peerState(_ p: RemotePeer, device: WireGuardUAPI.Device, now: Date) -> CableState {
        guard let track = tracks[p.clusterID], let peer = device.peers.first(where: { $0.publicKey == track.key }) else {
            return CableState(status: .error, message: "the peer is missing after configuration", usingIP: "", usingNAT: false)
        }
        if Set(peer.allowedIPs) != Set(p.subnets.map(\.description)) {
            return CableState(status: .error, message: "the peer's allowed IPs did not take: \(peer.allowedIPs)", usingIP: "", usingNAT: false)
        }
        let host = peer.endpoint.map { String($0[..<($0.lastIndex(of: ":") ?? $0.endIndex)]) } ?? ""
        var s = CableState(status: .connecting, message: "", usingIP: host, usingNAT: !host.isEmpty && host != p.endpoint.privateIP,
                           rxBytes: peer.rxBytes, txBytes: peer.txBytes, lastHandshake: peer.lastHandshake)
        let age = Int64(now.timeIntervalSince1970) - peer.lastHandshake
        if peer.lastHandshake == 0 {
            if now.timeIntervalSince(track.configuredAt) > Self.neverHandshaken {
                s.status = .error
                s.message = "no handshake in \(Int(Self.neverHandshaken)) s"
            }
        } else if age < Self.handshakeStale {
            s.status = .connected
        } else {
            s.status = .error
            s.message = "last handshake \(age) s ago"
        }
        return s
    }

    public func remove() throws(GatewayError) {
        if let c = child {
            c.stop()
            child = nil
        }
        if let l = try routing.link(named: deviceName), l.kind == "tun" || l.kind == nil {
            try routing.deleteLink(index: l.index)
        }
        // wireguard-go removes its socket as it exits; one that was not ours exits when
        // its device goes.
        let deadline = Date().addingTimeInterval(3)
        while FileManager.default.fileExists(atPath: uapi.socketPath) && Date() < deadline { usleep(20_000) }
    }
}
