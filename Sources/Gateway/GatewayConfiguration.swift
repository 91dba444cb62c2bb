/// Everything `sextant gateway` is told on its command line, checked.
public struct GatewayConfiguration: Sendable {
    public enum Backend: String, Sendable, CaseIterable { case wireguard, vxlan }

    public var clusterID: String
    public var backend: Backend
    public var privateIP: IPv4
    /// Equal to `privateIP` when no public address was given.
    public var publicIP: IPv4
    /// Nil: found at start, the first address of this host inside a cluster CIDR (the
    /// CNI's interface on the node, as Submariner finds it).
    public var healthCheckIP: IPv4?
    public var serviceCIDRs: [IPv4Network]
    public var clusterCIDRs: [IPv4Network]
    public var hostname: String
    /// The tunnel device: "submariner" (WireGuard) or "vxlan-tunnel" by default.
    public var interface: String
    public var port: UInt16
    /// The shared secret's text; SHA-256 of it is the WireGuard PSK.
    public var pskText: [UInt8]
    public var mtu: UInt32?
    /// Where the record of what was made lives (to clean up after a crash or a backend change).
    public var stateDirectory: String
    /// "iptables" (the node's) or "none".
    public var packetFilter: String
    public var wireguardProgram: String
    public var wireguardSocketDirectory: String
    /// Health probes: one per interval to each remote health-check IP; `lossThreshold`
    /// unanswered in a row make the connection `error`.
    public var healthInterval: Double = 0.5
    public var lossThreshold = 4
    public var healthProbe: HealthChecker.Mode = .auto
    /// The UDP port of every gateway's probe responder (the probe without raw sockets).
    public var healthPort: UInt16 = 4801
    /// Nil: no health checks (connections as the cable reports them).
    public var healthChecks = true
    /// Where the Gateway status goes (none: only the log).
    public var statusTargets: [StatusTarget] = []
    /// How often the status is written when nothing changed.
    public var statusPeriod: Double = 5

    public init(clusterID: String, backend: Backend, privateIP: IPv4, publicIP: IPv4?, healthCheckIP: IPv4?,
                serviceCIDRs: [IPv4Network], clusterCIDRs: [IPv4Network], hostname: String, interface: String?, port: UInt16,
                pskText: [UInt8]?, mtu: UInt32?, stateDirectory: String, packetFilter: String = "iptables",
                wireguardProgram: String = "wireguard-go", wireguardSocketDirectory: String = "/var/run/wireguard") {
        self.clusterID = clusterID
        self.backend = backend
        self.privateIP = privateIP
        self.publicIP = publicIP ?? privateIP
        self.healthCheckIP = healthCheckIP
        self.serviceCIDRs = serviceCIDRs
        self.clusterCIDRs = clusterCIDRs
        self.hostname = hostname
        self.interface = interface ?? (backend == .wireguard ? "submariner" : "vxlan-tunnel")
        self.port = port
        self.pskText = pskText ?? Array("default psk".utf8)
        self.mtu = mtu
        self.stateDirectory = stateDirectory
        self.packetFilter = packetFilter
        self.wireguardProgram = wireguardProgram
        self.wireguardSocketDirectory = wireguardSocketDirectory
    }

    /// The local ranges published as the Endpoint's subnets: service CIDRs, then cluster CIDRs.
    public var subnets: [IPv4Network] { serviceCIDRs + clusterCIDRs }
}
