#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import FoundationEssentials
import Logging

/// The gateway: publishes this cluster's Endpoint, reads the others', and keeps the
/// cable's peers, the routing table and rule, and the packet filter exactly matching
/// them. One serial queue does all of it: at once on an exchange change, and every
/// second (wireguard-go supervision, NAT address choice, drift repair).
public final class GatewayEngine: @unchecked Sendable {
    // @unchecked: every mutable member is touched only on `queue` (start and stop hop onto it).
    public let configuration: GatewayConfiguration
    private let exchange: any EndpointExchange
    private let logger: Logger
    private let queue = DispatchQueue(label: "sextant.gateway")
    private let routing: Routing
    private let cable: any Cable
    private let filter: PacketFilter?
    private let recordPath: String
    private var record: GatewayRecord
    private var timer: DispatchSourceTimer?
    private var localEndpoint: EndpointObject?
    private var localCluster: ClusterObject?
    private var lastStates: [String: CableState] = [:]
    private var lastProblem: String?
    private var skipped: Set<String> = []
    private var stopped = false
    private var recordSaved = false
    private var extraPending = false
    private var health: HealthChecker?
    private var publishers: [StatusPublisher] = []
    private var lastPeers: [RemotePeer] = []
    private var lastPublishedKey: [String]?
    private var lastPublishedAt = Date.distantPast
    private var lastLogged: [String: Connection] = [:]
    /// Written into the Gateway status (Submariner writes its version here).
    public static let version = "sextant-0.1"
    /// The source of routes into the tunnel: given, or found at start.
    private var healthCheckIP = IPv4(0)
    /// Connections as of the last reconcile, for `sextant show connections`-like readers.
    public private(set) var connections: [Connection] = []

    public static let rulePriority: [GatewayConfiguration.Backend: UInt32] = [.wireguard: 150, .vxlan: 100]

    public init(configuration c: GatewayConfiguration, exchange: any EndpointExchange, logger: Logger) throws(GatewayError) {
        configuration = c
        self.exchange = exchange
        self.logger = logger
        routing = try Routing()
        switch c.backend {
        case .wireguard:
            cable = WireGuardCable(deviceName: c.interface, routing: routing, privateIP: c.privateIP, port: c.port, mtu: c.mtu,
                                   psk: try WireGuardKey.presharedKey(from: c.pskText), program: c.wireguardProgram,
                                   socketDirectory: c.wireguardSocketDirectory, logger: logger)
        case .vxlan:
            cable = VXLANCable(deviceName: c.interface, routing: routing, privateIP: c.privateIP, port: c.port, mtu: c.mtu, logger: logger)
        }
        filter = c.packetFilter == "none" ? nil : PacketFilter(iptables: c.packetFilter, logger: logger)
        recordPath = GatewayRecord.path(directory: c.stateDirectory, clusterID: c.clusterID)
        record = GatewayRecord(backend: c.backend.rawValue, device: cable.deviceName, table: cable.table,
                               rulePriority: Self.rulePriority[c.backend] ?? cable.table, packetFilter: c.packetFilter,
                               createdTables: [], wireguardSocketDirectory: c.wireguardSocketDirectory)
    }

    /// Cleans up after a different earlier run, makes the device, publishes, and starts
    /// the loop. Throws what stops the gateway from starting at all.
    public func start() throws(GatewayError) {
        let outcome: Result<Void, GatewayError> = queue.sync {
            do throws(GatewayError) {
                try startOnQueue()
                return .success(())
            } catch {
                // Nothing half-made stays behind: a device without peers, a rule, a record
                // (and nothing is touched when the start failed before making anything).
                exchange.stop()
                health?.stop()
                if recordSaved {
                    removeMade(by: record, cable: cable)
                    unlink(recordPath)
                }
                return .failure(error)
            }
        }
        try outcome.get()
    }

    private func startOnQueue() throws(GatewayError) {
        let c = configuration
        let local = try routing.addresses().map(\.address)
        if let wanted = c.healthCheckIP {
            guard local.contains(wanted) else {
                throw GatewayError("--health-check-ip \(wanted) is not an address of this host (it must be the gateway's own address inside the cluster CIDR)")
            }
            healthCheckIP = wanted
        } else {
            guard let found = local.first(where: { ip in c.clusterCIDRs.contains { $0.contains(ip) } }) else {
                throw GatewayError("--health-check-ip auto: no address of this host lies in a cluster CIDR (\(c.clusterCIDRs.map(\.description).joined(separator: ", "))); give it")
            }
            healthCheckIP = found
        }
        if let previous = GatewayRecord.load(recordPath) {
            if previous.backend != record.backend || previous.device != record.device || previous.table != record.table {
                logger.notice("an earlier run used another cable; removing what it made", metadata: [
                    "backend": "\(previous.backend)", "device": "\(previous.device)"])
                removeMade(by: previous, cable: nil)
                record.createdTables = previous.createdTables
            } else {
                record.createdTables = previous.createdTables
                logger.info("adopting what an earlier run made", metadata: ["device": "\(previous.device)"])
            }
        } else if let f = filter, let existing = f.existingNFTables() {
            record.createdTables = PacketFilter.tables.filter { !existing.contains($0) }
        }
        try record.save(recordPath)
        recordSaved = true

        try Sysctl.write("net/ipv4/ip_forward", "1")
        var backendConfig = try cable.start()
        backendConfig["udp-port"] = "\(c.port)"
        do {
            try Sysctl.write("net/ipv4/conf/\(cable.deviceName)/rp_filter", "2")
        } catch {
            // A container's /proc/sys is read-only; strict rp_filter on the device only
            // matters when net.ipv4.conf.all.rp_filter is not already loose (2).
            logger.warning("cannot make rp_filter loose on the tunnel device; set net.ipv4.conf.\(cable.deviceName).rp_filter=2 on the node",
                           metadata: ["error": "\(error)"])
        }
        try routing.ensureRule(priority: record.rulePriority, table: record.table)
        for target in c.statusTargets { publishers.append(try StatusPublisher(target: target, logger: logger)) }
        if c.healthChecks {
            let h = HealthChecker(source: healthCheckIP, interval: c.healthInterval, lossThreshold: c.lossThreshold, mode: c.healthProbe,
                                  healthPort: c.healthPort, logger: logger) { [weak self] in
                guard let self else { return }
                self.queue.async { self.publishStatus() }
            }
            try h.start()
            health = h
        }

        let now = Self.timestamp(Date())
        let spec = EndpointSpec(clusterID: c.clusterID, cableName: EndpointSpec.cableName(clusterID: c.clusterID, privateIP: "\(c.privateIP)"),
                                healthCheckIP: "\(healthCheckIP)", hostname: c.hostname, subnets: c.subnets.map(\.description),
                                privateIP: "\(c.privateIP)", publicIP: "\(c.publicIP)", natEnabled: c.publicIP != c.privateIP,
                                backend: c.backend.rawValue, backendConfig: backendConfig)
        localEndpoint = EndpointObject(metadata: ObjectMeta(name: spec.objectName, creationTimestamp: now), spec: spec)
        let cluster = ClusterSpec(clusterID: c.clusterID, serviceCIDR: c.serviceCIDRs.map(\.description), clusterCIDR: c.clusterCIDRs.map(\.description))
        localCluster = ClusterObject(metadata: ObjectMeta(name: cluster.objectName, creationTimestamp: now), spec: cluster)
        // The peers already published are configured before this Endpoint appears: the
        // others' first handshake then finds us ready (otherwise both sides' first
        // initiations can cross before either knows the other, and WireGuard retries
        // only after 5 s).
        try exchange.start { [weak self] in
            guard let self else { return }
            self.queue.async { self.reconcile() }
        }
        reconcile(republish: false)
        try publish()
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now() + 1, repeating: 1, leeway: .milliseconds(50))
        t.setEventHandler { [weak self] in self?.reconcile() }
        timer = t
        t.resume()
        logger.info("gateway started", metadata: ["cluster": "\(c.clusterID)", "backend": "\(c.backend.rawValue)",
                                                 "device": "\(cable.deviceName)", "endpoint": "\(spec.objectName)"])
    }

    private func publish() throws(GatewayError) {
        guard let e = localEndpoint, let c = localCluster else { return }
        try exchange.publish(cluster: c, endpoint: e)
    }

    /// Withdraws this cluster's objects and removes the device, routes, rule and filter
    /// rules; the record goes last.
    public func stop() {
        queue.sync {
            stopped = true
            timer?.cancel()
            timer = nil
            exchange.stop()
            if let e = localEndpoint {
                do { try exchange.withdraw(clusterID: configuration.clusterID, endpointName: e.metadata.name) } catch {
                    logger.warning("cannot withdraw the local objects", metadata: ["error": "\(error)"])
                }
            }
            health?.stop()
            if let g = gatewayObject(connections: []) { for p in publishers { p.publishStopped(g) } }
            removeMade(by: record, cable: cable)
            unlink(recordPath)
            logger.info("gateway stopped; everything it made is removed")
        }
    }

    /// Removes what a run described by `r` made; `cable` is this run's (nil: an earlier
    /// run's, found by its device name and kind).
    private func removeMade(by r: GatewayRecord, cable: (any Cable)?) {
        if r.packetFilter != "none" {
            PacketFilter(iptables: r.packetFilter, logger: logger).remove(created: Set(r.createdTables))
        }
        do {
            try routing.deleteRule(priority: r.rulePriority, table: r.table)
            for route in try routing.routes(table: r.table) { try routing.deleteRoute(route) }
            if let cable {
                try cable.remove()
            } else if let link = try routing.link(named: r.device) {
                let expected = r.backend == "vxlan" ? "vxlan" : "tun"
                if link.kind == expected || (expected == "tun" && link.kind == nil) {
                    try routing.deleteLink(index: link.index)
                    // wireguard-go exits when its device goes; wait for it to free its UDP port.
                    let socket = (r.wireguardSocketDirectory ?? "/var/run/wireguard") + "/" + r.device + ".sock"
                    let deadline = Date().addingTimeInterval(3)
                    while FileManager.default.fileExists(atPath: socket) && Date() < deadline { usleep(20_000) }
                } else {
                    logger.warning("not removing \(r.device): it is a \(link.kind ?? "plain") device now, not ours")
                }
            }
        } catch {
            logger.warning("clean-up incomplete", metadata: ["error": "\(error)"])
        }
    }

    /// The remote clusters to connect: one Endpoint per cluster (the newest), not ours,
    /// not overlapping our ranges.
    func selectPeers(_ endpoints: [EndpointObject]) -> [RemotePeer] {
        var newest: [String: EndpointObject] = [:]
        for e in endpoints where e.spec.clusterID != configuration.clusterID && !e.spec.clusterID.isEmpty {
            if let old = newest[e.spec.clusterID], (old.metadata.creationTimestamp ?? "") >= (e.metadata.creationTimestamp ?? "") { continue }
            newest[e.spec.clusterID] = e
        }
        var peers: [RemotePeer] = []
        for (id, e) in newest.sorted(by: { $0.key < $1.key }) {
            let subnets = e.spec.subnets.compactMap { IPv4Network($0) }
            let overlapping = subnets.filter { s in configuration.subnets.contains { $0.overlaps(s) } }
            if !overlapping.isEmpty || subnets.count != e.spec.subnets.count {
                if skipped.insert(id + "|" + e.spec.subnets.joined(separator: ",")).inserted {
                    logger.warning("remote cluster skipped: its subnets overlap ours or do not parse", metadata: [
                        "cluster": "\(id)", "subnets": "\(e.spec.subnets)"])
                }
                continue
            }
            peers.append(RemotePeer(endpoint: e.spec, subnets: subnets))
        }
        return peers
    }

    private func reconcile(republish: Bool = true) {
        guard !stopped else { return }
        do {
            let view = exchange.current()
            if republish, let mine = localEndpoint, !view.endpoints.contains(where: { $0.spec == mine.spec }) {
                logger.notice("the local Endpoint is missing from the exchange; publishing it again")
                try publish()
            }
            let all = selectPeers(view.endpoints)
            let peers = all.filter { $0.endpoint.backend == cable.backend }
            var states = try cable.reconcile(peers: peers)
            for p in all where p.endpoint.backend != cable.backend {
                states[p.clusterID] = CableState(status: .error, message: "the remote gateway uses the \(p.endpoint.backend) cable, this one \(cable.backend)",
                                                 usingIP: "", usingNAT: false)
            }
            let index = try cable.deviceIndex()
            var wanted: [Routing.Route] = []
            for p in peers {
                let hop = cable.nextHop(for: p)
                for s in p.subnets {
                    wanted.append(Routing.Route(destination: s, table: cable.table, outputIndex: index, gateway: hop,
                                                source: healthCheckIP, onlink: hop != nil))
                }
            }
            let existing = try routing.routes(table: cable.table)
            for r in existing where !wanted.contains(r) { try routing.deleteRoute(r) }
            for r in wanted where !existing.contains(r) { try routing.replaceRoute(r) }
            try routing.ensureRule(priority: record.rulePriority, table: record.table)
            if let f = filter {
                try f.apply(device: cable.deviceName, localCIDRs: configuration.clusterCIDRs, remoteSubnets: peers.flatMap(\.subnets))
            }
            report(states, peers: all)
            // A connection still coming up is looked at again in half a second (the
            // WireGuard cable restarts a first handshake that does not come).
            if states.values.contains(where: { $0.status == .connecting }), !extraPending {
                extraPending = true
                queue.asyncAfter(deadline: .now() + 0.5) { [weak self] in
                    self?.extraPending = false
                    self?.reconcile()
                }
            }
            if lastProblem != nil { logger.notice("gateway reconciled again") }
            lastProblem = nil
        } catch {
            if lastProblem != error.description {
                logger.error("reconcile failed; trying again in 1 s", metadata: ["error": "\(error)"])
            }
            lastProblem = error.description
        }
    }

    private func report(_ states: [String: CableState], peers all: [RemotePeer]) {
        lastStates = states
        lastPeers = all
        var targets: [String: IPv4] = [:]
        for p in all where states[p.clusterID]?.status != nil && p.endpoint.backend == cable.backend {
            if let ip = IPv4(p.endpoint.healthCheckIP) { targets[p.clusterID] = ip }
        }
        health?.setTargets(targets)
        publishStatus()
    }

    /// The connections as the status says them: the cable's state, overruled by the
    /// health probes (gateway.md b): a probe in error makes the connection `error`, a
    /// probe answered makes it `connected`; RTT statistics from the probes.
    private func mergedConnections() -> [Connection] {
        let results = health?.results() ?? [:]
        return lastPeers.compactMap { p in
            guard let s = lastStates[p.clusterID] else { return nil }
            var c = Connection(status: s.status, statusMessage: s.message, endpoint: p.endpoint, usingIP: s.usingIP, usingNAT: s.usingNAT)
            if let r = results[p.clusterID] {
                c.latencyRTT = r.latency
                switch r.status {
                case .error:
                    c.status = .error
                    c.statusMessage = r.message
                case .connected:
                    c.status = .connected
                    c.statusMessage = ""
                default: break
                }
            }
            return c
        }
    }

    private func gatewayObject(connections: [Connection]) -> GatewayObject? {
        guard let local = localEndpoint else { return nil }
        let meta = ObjectMeta(name: ObjectNaming.validName(configuration.hostname),
                              annotations: ["update-timestamp": "\(Int(Date().timeIntervalSince1970))"])
        return GatewayObject(metadata: meta, status: GatewayStatus(version: Self.version, haStatus: .active, localEndpoint: local.spec,
                                                                   statusFailure: lastProblem ?? "", connections: connections))
    }

    /// Logs what changed and writes the status: at once when a connection's status,
    /// message or address changed, else every `statusPeriod` (the RTT figures).
    private func publishStatus() {
        guard !stopped else { return }
        let merged = mergedConnections()
        connections = merged
        for c in merged {
            let old = lastLogged[c.endpoint.clusterID]
            if old?.status != c.status || old?.usingIP != c.usingIP || old?.statusMessage != c.statusMessage {
                logger.info("connection", metadata: ["cluster": "\(c.endpoint.clusterID)", "status": "\(c.status.rawValue)", "using-ip": "\(c.usingIP)",
                                                     "using-nat": "\(c.usingNAT)", "message": "\(c.statusMessage)"])
            }
        }
        let live = Set(merged.map(\.endpoint.clusterID))
        for id in lastLogged.keys where !live.contains(id) { logger.info("connection removed", metadata: ["cluster": "\(id)"]) }
        lastLogged = Dictionary(merged.map { ($0.endpoint.clusterID, $0) }, uniquingKeysWith: { a, _ in a })
        guard !publishers.isEmpty, let g = gatewayObject(connections: merged) else { return }
        let key = merged.map { "\($0.endpoint.clusterID)|\($0.status.rawValue)|\($0.statusMessage)|\($0.usingIP)|\($0.usingNAT)" } + [lastProblem ?? ""]
        guard key != lastPublishedKey || Date().timeIntervalSince(lastPublishedAt) >= configuration.statusPeriod else { return }
        for p in publishers {
            do { try p.publish(g) } catch {
                logger.warning("cannot publish the Gateway status", metadata: ["error": "\(error)"])
                return
            }
        }
        lastPublishedKey = key
        lastPublishedAt = Date()
    }

    /// What the operations endpoint shows, read on the engine's queue.
    public struct Snapshot: Sendable {
        public var connections: [Connection]
        /// WireGuard byte counters per cluster (zero for VXLAN).
        public var traffic: [String: (rx: UInt64, tx: UInt64)]
        /// The last reconcile's failure; nil when it went through.
        public var problem: String?
        public var probe: String
        public var local: EndpointSpec?
    }

    public func snapshot() -> Snapshot {
        queue.sync {
            Snapshot(connections: connections, traffic: lastStates.mapValues { ($0.rxBytes, $0.txBytes) }, problem: lastProblem,
                     probe: health.map { $0.mode.rawValue } ?? "off", local: localEndpoint?.spec)
        }
    }

    static func timestamp(_ d: Date) -> String {
        d.formatted(Date.ISO8601FormatStyle())
    }
}
