#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Dispatch
import FoundationEssentials
import Gateway
import Logging
import OpsHTTP

/// `sextant gateway`: connects this cluster's network to the others' (WireGuard or
/// VXLAN cables, routes, filter rules), exchanging Submariner Endpoints through a shared
/// folder or the broker. SIGTERM removes everything it made.
struct GatewayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Connect this cluster to the others: tunnels, routes and filter rules from Submariner Endpoints.")

    @Option(name: .customLong("cluster-id"), help: "This cluster's ID (as Submariner and the DNS server name it).")
    var clusterID: String

    @Option(name: .long, help: ArgumentHelp("wireguard or vxlan (unencrypted; not across NAT).", valueName: "BACKEND"))
    var backend: String

    @Option(name: .customLong("private-ip"), help: ArgumentHelp("This gateway's address on the network between the gateways.", valueName: "IP"))
    var privateIP: String

    @Option(name: .customLong("public-ip"), help: ArgumentHelp("The address the others reach it at through NAT (default: the private IP).", valueName: "IP"))
    var publicIP: String?

    @Option(name: .customLong("health-check-ip"), help: ArgumentHelp("This gateway's address inside the cluster CIDR: the source of routes into the tunnel and the address the others probe; auto: the first address of this host inside a --cluster-cidr.", valueName: "IP|auto"))
    var healthCheckIP: String

    @Option(name: .customLong("service-cidr"), help: ArgumentHelp("A service range of this cluster; repeatable.", valueName: "CIDR"))
    var serviceCIDR: [String] = []

    @Option(name: .customLong("cluster-cidr"), help: ArgumentHelp("A pod range of this cluster; repeatable.", valueName: "CIDR"))
    var clusterCIDR: [String] = []

    @Option(name: .long, help: ArgumentHelp("A folder the gateways share: one file per cluster, watched with inotify.", valueName: "DIR"))
    var exchange: String?

    @Option(name: .long, help: ArgumentHelp("Exchange through the broker's API server with this kubeconfig.", valueName: "FILE"))
    var kubeconfig: String?

    @Option(name: .long, help: ArgumentHelp("The kubeconfig context (default: its current one).", valueName: "NAME"))
    var context: String?

    @Flag(name: .customLong("in-cluster"), help: "Exchange through the API server of the pod's service account.")
    var inCluster = false

    @Option(name: .customLong("broker-namespace"), help: ArgumentHelp("The broker's namespace for Cluster and Endpoint objects.", valueName: "NS"))
    var brokerNamespace = "submariner-k8s-broker"

    @Option(name: .long, help: ArgumentHelp("The tunnel device's name (default: submariner for WireGuard, vxlan-tunnel for VXLAN). wireguard-go's socket path is global: two gateways on one machine need two names.", valueName: "NAME"))
    var interface: String?

    @Option(name: .long, help: ArgumentHelp("The tunnel's UDP port.", valueName: "PORT"))
    var port: Int = 4500

    @Option(name: .customLong("psk-file"), help: ArgumentHelp("The shared secret's file (WireGuard PSK = SHA-256 of its text, trailing newline dropped; default: Submariner's \"default psk\").", valueName: "FILE"))
    var pskFile: String?

    @Option(name: .long, help: ArgumentHelp("The tunnel MTU (default: the underlay's MTU less 60 for WireGuard, 50 for VXLAN).", valueName: "N"))
    var mtu: Int?

    @Option(name: .long, help: ArgumentHelp("The Endpoint's hostname (default: this host's name).", valueName: "NAME"))
    var hostname: String?

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Where the record of what the gateway made is kept, so a restart adopts it and a backend change removes it.", valueName: "DIR"))
    var stateDir = "/run/sextant-gateway"

    @Option(name: .customLong("packet-filter"), help: ArgumentHelp("The iptables command whose nat, filter and mangle tables get the rules (iptables, iptables-legacy, iptables-nft), or none.", valueName: "CMD"))
    var packetFilter = "iptables"

    @Option(name: .customLong("wireguard-go"), help: ArgumentHelp("The wireguard-go program.", valueName: "PATH"))
    var wireguardGo = "wireguard-go"

    @Option(name: .customLong("health-interval"), help: ArgumentHelp("Seconds between two probes of each remote health-check IP.", valueName: "SECONDS"))
    var healthInterval = 0.5

    @Option(name: .customLong("health-loss"), help: ArgumentHelp("Probes lost in a row that make a connection error (the first reply makes it connected again).", valueName: "N"))
    var healthLoss = 4

    @Option(name: .customLong("health-probe"), help: ArgumentHelp("auto (ICMP over a raw socket, UDP when raw sockets are refused), icmp, udp (to the other gateways' responders on --health-port), or off.", valueName: "KIND"))
    var healthProbe = "auto"

    @Option(name: .customLong("health-port"), help: ArgumentHelp("The UDP port of the probe responder every gateway runs on its health-check IP.", valueName: "PORT"))
    var healthPort = 4801

    @Option(name: .customLong("status-file"), help: ArgumentHelp("Write the Gateway object with this gateway's status here (atomically, *.json): into a DNS server's zones folder, it changes the answers.", valueName: "PATH"))
    var statusFile: String?

    @Option(name: .customLong("status-kubeconfig"), help: ArgumentHelp("Publish the Gateway object to the local cluster's API server with this kubeconfig.", valueName: "FILE"))
    var statusKubeconfig: String?

    @Flag(name: .customLong("status-in-cluster"), help: "Publish the Gateway object with the pod's service account.")
    var statusInCluster = false

    @Option(name: .customLong("status-namespace"), help: ArgumentHelp("The namespace of the published Gateway object.", valueName: "NS"))
    var statusNamespace = "submariner-operator"

    @Option(name: .long, help: ArgumentHelp("Address and port of the HTTP endpoint (/health, /metrics, /debug/state); off: none.", valueName: "ADDR:PORT"))
    var http = "off"

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard GatewayConfiguration.Backend(rawValue: backend) != nil else { throw ValidationError("--backend must be wireguard or vxlan, not '\(backend)'") }
        guard !clusterID.isEmpty, clusterID.count <= 63, clusterID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) else {
            throw ValidationError("--cluster-id '\(clusterID)' is not a cluster id (1 to 63 letters, digits, '-' or '.')")
        }
        guard IPv4(privateIP) != nil else { throw ValidationError("--private-ip '\(privateIP)' is not an IPv4 address") }
        if let p = publicIP, IPv4(p) == nil { throw ValidationError("--public-ip '\(p)' is not an IPv4 address") }
        guard healthCheckIP == "auto" || IPv4(healthCheckIP) != nil else { throw ValidationError("--health-check-ip '\(healthCheckIP)' is not an IPv4 address or auto") }
        if serviceCIDR.isEmpty || clusterCIDR.isEmpty { throw ValidationError("at least one --service-cidr and one --cluster-cidr are needed") }
        for c in serviceCIDR + clusterCIDR where IPv4Network(c) == nil { throw ValidationError("'\(c)' is not an IPv4 CIDR (like 10.1.0.0/16)") }
        let sources = [exchange != nil, kubeconfig != nil, inCluster].filter { $0 }.count
        guard sources == 1 else { throw ValidationError("give exactly one of --exchange DIR, --kubeconfig FILE or --in-cluster") }
        if context != nil && kubeconfig == nil { throw ValidationError("--context needs --kubeconfig") }
        guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535, not \(port)") }
        if let m = mtu, !(576...9000).contains(m) { throw ValidationError("--mtu must be between 576 and 9000, not \(m)") }
        if let i = interface, i.isEmpty || i.utf8.count > 15 || i.contains("/") || i.contains(" ") {
            throw ValidationError("--interface '\(i)' is not a device name (1 to 15 characters, no '/' or space)")
        }
        if !(healthInterval >= 0.05 && healthInterval <= 60) { throw ValidationError("--health-interval must be between 0.05 and 60 seconds") }
        if !(1...100).contains(healthLoss) { throw ValidationError("--health-loss must be between 1 and 100, not \(healthLoss)") }
        if healthProbe != "off" && HealthChecker.Mode(rawValue: healthProbe) == nil {
            throw ValidationError("--health-probe must be auto, icmp, udp or off, not '\(healthProbe)'")
        }
        guard (1...65535).contains(healthPort) else { throw ValidationError("--health-port must be between 1 and 65535, not \(healthPort)") }
        if statusKubeconfig != nil && statusInCluster { throw ValidationError("--status-kubeconfig and --status-in-cluster cannot be used together") }
        if http != "off" {
            do { _ = try HTTPServer.split(http) } catch { throw ValidationError(error.description) }
        }
    }

    func run() throws {
        logging.bootstrap()
        let logger = Logger(label: "sextant.gateway")
        var psk: [UInt8]? = nil
        if let f = pskFile {
            guard var bytes = FileManager.default.contents(atPath: f).map(Array.init) else {
                throw StartupError(description: "--psk-file \(f): cannot read it", status: 2)
            }
            while let last = bytes.last, last == 10 || last == 13 { bytes.removeLast() }
            guard !bytes.isEmpty else { throw StartupError(description: "--psk-file \(f) is empty", status: 2) }
            psk = bytes
        }
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count)
        // Validated above: the force-free conversions cannot fail here.
        let config = GatewayConfiguration(
            clusterID: clusterID, backend: GatewayConfiguration.Backend(rawValue: backend) ?? .wireguard,
            privateIP: IPv4(privateIP) ?? IPv4(0), publicIP: publicIP.flatMap { IPv4($0) }, healthCheckIP: IPv4(healthCheckIP),
            serviceCIDRs: serviceCIDR.compactMap { IPv4Network($0) }, clusterCIDRs: clusterCIDR.compactMap { IPv4Network($0) },
            hostname: hostname ?? String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
            interface: interface, port: UInt16(port), pskText: psk, mtu: mtu.map { UInt32($0) }, stateDirectory: stateDir,
            packetFilter: packetFilter, wireguardProgram: wireguardGo)
        var configuration = config
        configuration.healthInterval = healthInterval
        configuration.lossThreshold = healthLoss
        configuration.healthChecks = healthProbe != "off"
        configuration.healthProbe = HealthChecker.Mode(rawValue: healthProbe) ?? .auto
        configuration.healthPort = UInt16(healthPort)
        if let f = statusFile { configuration.statusTargets.append(.file(f)) }
        if statusInCluster { configuration.statusTargets.append(.api(.inCluster, namespace: statusNamespace)) }
        if let k = statusKubeconfig { configuration.statusTargets.append(.api(.kubeconfig(k, context: nil), namespace: statusNamespace)) }

        let ex: any EndpointExchange
        if let dir = exchange {
            ex = FolderExchange(directory: dir, logger: logger)
        } else {
            let kube: KubeConfigChoice = inCluster ? .inCluster : .kubeconfig(kubeconfig ?? "", context: context)
            do {
                ex = try BrokerExchange(choice: kube, namespace: brokerNamespace, logger: logger)
            } catch {
                throw StartupError(description: error.description, status: 2)
            }
        }
        let engine: GatewayEngine
        do {
            engine = try GatewayEngine(configuration: configuration, exchange: ex, logger: logger)
            try engine.start()
        } catch {
            throw StartupError(description: error.description, status: 1)
        }
        KeptAlive.objects.append(engine)
        if http != "off" {
            let ops = GatewayOperations(engine: engine)
            let h = HTTPServer(logger: logger) { ops.handle($0) }
            do {
                let address = try h.start(address: http)
                let line = "sextant: http on \(address)\n"
                _ = line.withCString { write(1, $0, strlen($0)) }
            } catch {
                engine.stop()
                throw StartupError(description: error.description, status: 1)
            }
            KeptAlive.objects.append(h)
        }
        Signals.install(signals: [SIGTERM, SIGINT], logger: logger) { sig in
            logger.info("stopping", metadata: ["signal": "\(sig)"])
            engine.stop()
            Glibc.exit(0)
        }
        Signals.waitForever()
    }
}
