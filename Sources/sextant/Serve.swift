#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import ClusterSet
import ClusterSync
import CNetShim
import DNSServer
import DNSWire
import Dispatch
import Forwarder
import KubeClient
import Locking
import Logging
import OpsHTTP
import Zones

/// `sextant serve`: the DNS server. With no flags it serves `./zones` on 127.0.0.1:5353.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve DNS for a Kubernetes cluster set (--kubeconfig, --in-cluster) and the zones folder.")

    @Option(name: .long, help: ArgumentHelp("Folder of zone files (*.zone).", valueName: "DIR"))
    var zones: String?

    @Option(name: .long, help: ArgumentHelp("Address and port to serve UDP and TCP on; repeatable. IPv6 as [::1]:5353. Port 0 picks a free port.", valueName: "ADDR:PORT"))
    var listen: [String] = []

    @Option(name: .long, help: ArgumentHelp("Zone to serve even without a zone file; repeatable.", valueName: "NAME"))
    var zone: [String] = []

    @Option(name: .long, help: ArgumentHelp("lighthouse (Lighthouse's names and answers) or mcs (the MCS DNS specification).", valueName: "MODE"))
    var mode: String = "lighthouse"

    @Option(name: .long, help: ArgumentHelp("TTL of positive answers, 0-3600.", valueName: "SECONDS"))
    var ttl: Int = 5

    @Option(name: .customLong("cluster-id"), help: ArgumentHelp("This cluster's id (default: $SUBMARINER_CLUSTERID); an active Gateway's own id overrides it.", valueName: "ID"))
    var clusterID: String?

    @Option(name: .long, help: ArgumentHelp("gateway (Gateway objects say which clusters are connected) or none (all are).", valueName: "SOURCE"))
    var connectivity: String = "gateway"

    @Option(name: .long, help: ArgumentHelp("cluster (objects the Lighthouse agent keeps in a cluster) or broker (the broker namespace's objects).", valueName: "LAYOUT"))
    var layout: String = "cluster"

    @Option(name: .customLong("broker-namespace"), help: ArgumentHelp("The broker namespace, for --layout broker.", valueName: "NS"))
    var brokerNamespace: String = "submariner-k8s-broker"

    @Option(name: .long, help: ArgumentHelp("Watch the API server of this kubeconfig file.", valueName: "PATH"))
    var kubeconfig: String?

    @Option(name: .long, help: ArgumentHelp("The kubeconfig context to use (default: its current-context).", valueName: "NAME"))
    var context: String?

    @Flag(name: .customLong("in-cluster"), help: "Watch the API server of the pod's own cluster (service account).")
    var inCluster = false

    @Option(name: .customLong("watch-idle-timeout"), help: ArgumentHelp("Seconds without a byte (bookmarks included) after which a watch is re-opened.", valueName: "SECONDS"))
    var watchIdleTimeout: Double = 90

    @Option(name: .customLong("watch-timeout"), help: ArgumentHelp("Server-side watch timeout; drawn at random from SECONDS to twice that.", valueName: "SECONDS"))
    var watchTimeout: Int = 300

    @Option(name: .long, help: ArgumentHelp("UDP sockets per address (default: one per CPU this process may use: its affinity, capped by its cgroup CPU limit).", valueName: "N"))
    var workers: Int?

    @Option(name: .customLong("udp-io"), help: ArgumentHelp("thread (a thread per UDP socket blocks in recvmmsg) or dispatch (a Dispatch read source drains it).", valueName: "MODE"))
    var udpIO: String = "thread"

    @Option(name: .customLong("tcp-idle-timeout"), help: ArgumentHelp("Seconds a TCP connection may stay idle.", valueName: "SECONDS"))
    var tcpIdleTimeout: Double = 10

    @Option(name: .customLong("tcp-max-connections"), help: ArgumentHelp("Open TCP connections at most.", valueName: "N"))
    var tcpMaxConnections: Int = 1024

    @Option(name: .long, help: ArgumentHelp("Answer only clients in this prefix (IPv4 or IPv6, e.g. 10.0.0.0/8); repeatable. Others get REFUSED. Default: every client.", valueName: "CIDR"))
    var allow: [String] = []

    @Option(name: .long, help: ArgumentHelp("Response-rate limiting over UDP: at most N replies a second to one /24 (IPv4) or /56 (IPv6). Default: off.", valueName: "N"))
    var rrl: Int?

    @Option(name: .customLong("rrl-slip"), help: ArgumentHelp("With --rrl, every N-th reply over the rate goes out truncated (TC: the client retries over TCP), the others are dropped; 0 drops them all.", valueName: "N"))
    var rrlSlip = 2

    @Option(name: .long, help: ArgumentHelp("Forward names outside the served zones to this upstream: IP, IP:PORT, [IPv6]:PORT, or resolv.conf (the nameservers of /etc/resolv.conf; or a path to such a file); repeatable, asked in order. Default: REFUSED outside the zones.", valueName: "UPSTREAM"))
    var forward: [String] = []

    @Option(name: .customLong("forward-timeout"), help: ArgumentHelp("Milliseconds to wait for one upstream before asking the next.", valueName: "MS"))
    var forwardTimeout = 1000

    @Option(name: .customLong("cache-size"), help: ArgumentHelp("With --forward: answers kept at most (1 KiB each, mapped as used); 0: no cache.", valueName: "N"))
    var cacheSize = 4096

    @Option(name: .customLong("cache-max-ttl"), help: ArgumentHelp("With --forward: keep an answer at most this long, whatever its TTL.", valueName: "SECONDS"))
    var cacheMaxTTL = 3600

    @Option(name: .customLong("cache-max-negative-ttl"), help: ArgumentHelp("With --forward: keep NXDOMAIN and NODATA at most this long (RFC 2308: their SOA's TTL and MINIMUM, whichever is less, below this).", valueName: "SECONDS"))
    var cacheMaxNegativeTTL = 3600

    @Option(name: .customLong("serve-stale"), help: ArgumentHelp("With --forward: when every upstream fails, answer from an entry expired less than this long ago, with TTL 30 (RFC 8767). Default 0: off.", valueName: "SECONDS"))
    var serveStale = 0

    @Option(name: .customLong("max-records"), help: ArgumentHelp("At most N address records in a headless answer, a window that moves on with each query (BIND 9.18 refuses RRsets over 100 records). Default: no cap.", valueName: "N"))
    var maxRecords: Int?

    @Option(name: .customLong("state-file"), help: ArgumentHelp("Keep the API server's objects in this file (written after changes, at most every 2 s) and answer from it at start, marked stale (EDE 3), until the API server has been listed.", valueName: "PATH"))
    var stateFile: String?

    @Option(name: .long, help: ArgumentHelp("Address and port of the HTTP endpoint (/metrics, /health, /ready, /debug/state); off: none.", valueName: "ADDR:PORT"))
    var http: String = Serve.defaultHTTP

    @OptionGroup var logging: LoggingOptions

    /// The API server to watch, if any; an unusable configuration is exit status 2.
    func kubeConfiguration() throws(StartupError) -> KubeConfig? {
        do {
            if inCluster { return try KubeConfig.inCluster() }
            if let path = kubeconfig { return try KubeConfig.load(kubeconfig: path, context: context) }
        } catch {
            throw StartupError(description: error.description, status: 2)
        }
        return nil
    }

    static let defaultListen = "127.0.0.1:5353"
    static let defaultHTTP = "127.0.0.1:9153"
    static let defaultZone = "clusterset.local"
    static let defaultZonesFolder = "zones"

    func validate() throws {
        if StoreConfiguration.Mode(rawValue: mode) == nil { throw ValidationError("--mode must be lighthouse or mcs, not '\(mode)'") }
        if StoreConfiguration.Connectivity(rawValue: connectivity) == nil { throw ValidationError("--connectivity must be gateway or none, not '\(connectivity)'") }
        if UDPIO(rawValue: udpIO) == nil { throw ValidationError("--udp-io must be thread or dispatch, not '\(udpIO)'") }
        if StoreConfiguration.Layout(rawValue: layout) == nil { throw ValidationError("--layout must be cluster or broker, not '\(layout)'") }
        if !(0...3600).contains(ttl) { throw ValidationError("--ttl must be between 0 and 3600 seconds, not \(ttl)") }
        if let id = clusterID, id.isEmpty || id.contains(where: { $0 == " " || $0 == "/" }) { throw ValidationError("--cluster-id '\(id)' is not a cluster id") }
        if let w = workers, !(1...256).contains(w) { throw ValidationError("--workers must be between 1 and 256, not \(w)") }
        if !(tcpIdleTimeout > 0 && tcpIdleTimeout <= 3600) {
            throw ValidationError("--tcp-idle-timeout must be more than 0 and at most 3600 seconds")
        }
        if !(1...1_000_000).contains(tcpMaxConnections) {
            throw ValidationError("--tcp-max-connections must be between 1 and 1000000")
        }
        for a in allow where SourcePrefix(parsing: a) == nil {
            throw ValidationError("--allow '\(a)' is not an IPv4 or IPv6 prefix (like 10.0.0.0/8 or fd00::/8)")
        }
        if let r = rrl, !(1...1_000_000).contains(r) { throw ValidationError("--rrl must be between 1 and 1000000 replies a second, not \(r)") }
        if !(0...100).contains(rrlSlip) { throw ValidationError("--rrl-slip must be between 0 and 100, not \(rrlSlip)") }
        for f in forward {
            do { _ = try UpstreamAddress.parse(f) } catch { throw ValidationError(error.description) }
        }
        if !(10...60_000).contains(forwardTimeout) { throw ValidationError("--forward-timeout must be between 10 and 60000 ms, not \(forwardTimeout)") }
        if !(0...10_000_000).contains(cacheSize) { throw ValidationError("--cache-size must be between 0 and 10000000 entries, not \(cacheSize)") }
        if !(1...604_800).contains(cacheMaxTTL) { throw ValidationError("--cache-max-ttl must be between 1 and 604800 seconds, not \(cacheMaxTTL)") }
        if !(0...86_400).contains(cacheMaxNegativeTTL) { throw ValidationError("--cache-max-negative-ttl must be between 0 and 86400 seconds, not \(cacheMaxNegativeTTL)") }
        if !(0...604_800).contains(serveStale) { throw ValidationError("--serve-stale must be between 0 and 604800 seconds, not \(serveStale)") }
        if let m = maxRecords, !(1...65535).contains(m) { throw ValidationError("--max-records must be between 1 and 65535, not \(m)") }
        if http != "off" {
            do { _ = try HTTPServer.split(http) } catch { throw ValidationError(error.description) }
        }
        if stateFile != nil && kubeconfig == nil && !inCluster {
            throw ValidationError("--state-file keeps the API server's objects: it needs --kubeconfig or --in-cluster")
        }
        if inCluster && kubeconfig != nil { throw ValidationError("--in-cluster and --kubeconfig cannot be used together") }
        if context != nil && kubeconfig == nil { throw ValidationError("--context needs --kubeconfig") }
        if !(watchIdleTimeout >= 1 && watchIdleTimeout <= 3600) { throw ValidationError("--watch-idle-timeout must be between 1 and 3600 seconds") }
        if !(1...86400).contains(watchTimeout) { throw ValidationError("--watch-timeout must be between 1 and 86400 seconds") }
        for l in listen {
            do { _ = try ListenAddress(parsing: l) } catch { throw ValidationError("--listen \(error)") }
        }
        for z in zone {
            do { _ = try DNSName(z) } catch { throw ValidationError("--zone '\(z)' is not a domain name") }
        }
    }

    func run() throws {
        logging.bootstrap()
        let logger = Logger(label: "sextant")

        let addresses = (listen.isEmpty ? [Self.defaultListen] : listen).compactMap { try? ListenAddress(parsing: $0) }
        let servedZones = (zone.isEmpty ? [Self.defaultZone] : zone).compactMap { try? DNSName($0) }
        let folder = ZoneFolder(directory: zones ?? Self.defaultZonesFolder, servedZones: servedZones)
        let environmentID = getenv("SUBMARINER_CLUSTERID").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
        let storeConfig = StoreConfiguration(
            mode: StoreConfiguration.Mode(rawValue: mode) ?? .lighthouse, ttl: UInt32(ttl),
            localClusterID: clusterID ?? environmentID,
            connectivity: StoreConfiguration.Connectivity(rawValue: connectivity) ?? .gateway,
            layout: StoreConfiguration.Layout(rawValue: layout) ?? .cluster, brokerNamespace: brokerNamespace,
            zones: servedZones, maxRecords: maxRecords)
        let kube = try kubeConfiguration()
        let workerCount = workers ?? Processors.usable
        // Bound before the folder is read, as Knot DNS and NSD bind before they load: a
        // port in use is the error at once, and a query sent meanwhile waits in the
        // socket's queue for the first table instead of being refused.
        let sockets: ListenSockets
        do {
            sockets = try ListenSockets(listen: addresses, workers: workerCount)
        } catch {
            throw StartupError(description: "\(error)", status: 1)
        }
        let loader = ZonesLoader(folder: folder, required: zones != nil, logger: logger)
        // With an API server, in-zone questions get SERVFAIL (Not Ready) until every
        // resource has been listed once: never an NXDOMAIN a resolver would cache.
        // The folder's contents go out of scope once the store holds them (this function
        // never returns: kept, they would pin objects a reload replaces).
        let publisher = try {
            // The pages of what ran so far (the flags, the configuration) go before the
            // folder is read: the start-up's peak then holds only the reading's code.
            _ = cns_release_code_pages()
            var contents = try loader.read()
            // The objects handed over, not shared: the store empties the list as it goes.
            let objects = contents.objects
            contents.objects = []
            return StorePublisher(configuration: storeConfig, zones: contents.zones, objects: consume objects, ready: kube == nil,
                                  releaseMemory: { _ = cns_malloc_trim(); _ = cns_release_code_pages() })
        }()
        let snapshots = publisher.snapshots
        let table = snapshots.table
        var sync: ClusterSync?
        if let kube {
            var options = ReflectorOptions()
            options.idleTimeout = watchIdleTimeout
            options.watchTimeout = watchTimeout...(2 * watchTimeout)
            let s = ClusterSync(config: kube, layout: storeConfig.layout, brokerNamespace: brokerNamespace,
                                publisher: publisher, options: options, logger: logger)
            sync = s
        }

        // Warm restart: the objects the API server had last time, answered (marked stale)
        // before it is reached. Published before the workers start.
        var restored = false
        var stateWriter: StateWriter?
        if let sync, let path = stateFile {
            let file = StateFile(path: path)
            if let saved = file.load(logger: logger) {
                publisher.submit([.replace(Set(ObjectKind.allCases), saved.objects, .api), .stale])
                _ = publisher.read { $0.objectCount }  // a barrier: the restored table is published
                restored = true
                logger.notice("restored the API server's objects from the state file; answers are marked stale until it has been listed",
                              metadata: ["path": "\(path)", "objects": "\(saved.objects.count)", "written": "\(saved.written)"])
            }
            let wasRestored = restored
            let w = StateWriter(file: file, publisher: publisher, logger: logger) { wasRestored || sync.isSynced }
            w.start()
            stateWriter = w
        }

        var config = ServerConfiguration(
            listen: sockets.addresses, workers: workerCount,
            tcpIdleTimeout: tcpIdleTimeout, tcpMaxConnections: tcpMaxConnections, udpIO: UDPIO(rawValue: udpIO) ?? .thread)
        if !allow.isEmpty { config.allow = SourceFilter(allow.compactMap { SourcePrefix(parsing: $0) }) }
        if let r = rrl { config.rateLimiter = ResponseRateLimiter(rate: r, slip: rrlSlip) }
        config.forwarder = try makeForwarder(listening: sockets.addresses, logger: logger)
        let server = Server(configuration: config, snapshots: snapshots, logger: logger)
        if let f = config.forwarder {
            do { try f.start() } catch { throw StartupError(description: error.description, status: 1) }
            logger.info("forwarding names outside the zones", metadata: [
                "upstreams": "\(f.configuration.upstreams.map(\.description).joined(separator: " "))",
                "cache": "\(f.cache?.slots ?? 0) entries",
            ])
        }
        // Before the workers start and the address is printed: a signal sent as soon as it
        // is printed must be handled.
        Signals.install(server: server, loader: loader, publisher: publisher, logger: logger) { [stateWriter] in stateWriter?.flush() }
        let bound = server.start(on: sockets)
        if let sync, let kube {
            do { try sync.start() } catch { throw StartupError(description: error.description, status: 2) }
            logger.info("watching the API server", metadata: [
                "server": "\(kube.server)", "resources": "\(sync.resources.values.map(\.description).sorted().joined(separator: ", "))",
            ])
        }
        let zoneList = table.zones.map(\.description).joined(separator: " ")
        for address in bound {
            // A stable line on stdout: scripts and tests read the bound port from it.
            let line = "sextant: listening on \(address) (udp, tcp)\n"
            _ = line.withCString { write(1, $0, strlen($0)) }
        }
        // The HTTP endpoint after the DNS sockets: a DNS port in use is the error to report.
        var httpServer: HTTPServer?
        if http != "off" {
            let ops = Operations(server: server, publisher: publisher, sync: sync, zonesPath: folder.directory,
                                 apiServer: kube?.server, configuration: storeConfig, restoredFrom: restored ? stateFile : nil)
            let h = HTTPServer(logger: logger) { ops.handle($0) }
            do {
                let address = try h.start(address: http)
                let line = "sextant: http on \(address)\n"
                _ = line.withCString { write(1, $0, strlen($0)) }
            } catch {
                throw StartupError(description: error.description, status: 1)
            }
            httpServer = h
        }
        // Changes in the zones folder (an edit, a ConfigMap update) are served within a
        // second; SIGHUP still reloads at once.
        let watcher = ZonesWatcher(directory: folder.directory, logger: logger) { loader.reload(into: publisher) }
        do { try watcher.start() } catch { logger.warning("\(error); reload with SIGHUP") }
        logger.info("serving", metadata: [
            "zones": "\(zoneList)", "names": "\(table.nameCount)", "workers": "\(config.workers)",
        ])
        // The start-up's code (flags, the folder's decoders, the first compile) is not
        // run again while serving: its pages go back to the page cache (the kernel would
        // drop them itself under memory pressure); what serving runs is mapped again as
        // it runs.
        _ = cns_release_code_pages()
        // waitForever never returns, so an optimized build may release locals before it
        // (withExtendedLifetime's fix-up comes after a return that never happens): what
        // must live as long as the process is held by a static.
        KeptAlive.objects = [watcher] + (httpServer.map { [$0] } ?? []) + (stateWriter.map { [$0] } ?? [])
        Signals.waitForever()
    }

    /// The forwarder for `--forward`, or nil; an upstream that is one of our own listen
    /// addresses is refused (it would forward to itself forever).
    func makeForwarder(listening: [ListenAddress], logger: Logger) throws(StartupError) -> Forwarder? {
        guard !forward.isEmpty else { return nil }
        var upstreams: [UpstreamAddress] = []
        for f in forward {
            do { upstreams += try UpstreamAddress.parse(f) } catch {
                throw StartupError(description: error.description, status: 2)
            }
        }
        for u in upstreams {
            let bytes = u.addressBytes
            let wildcard = bytes.allSatisfy { $0 == 0 } || bytes.first == 127 && bytes.count == 4 || bytes == [UInt8](repeating: 0, count: 15) + [1]
            for l in listening where l.port == u.port && (l.address == bytes || l.address.allSatisfy({ $0 == 0 }) && l.address.count == bytes.count && wildcard) {
                throw StartupError(description: "--forward \(u) is Sextant's own address (--listen \(l)): it would forward to itself", status: 2)
            }
        }
        var configuration = ForwarderConfiguration(upstreams: upstreams, timeoutMs: forwardTimeout, cacheSize: cacheSize,
                                                   maxStale: UInt32(serveStale))
        configuration.limits = CachedAnswer.Limits(maxTTL: UInt32(cacheMaxTTL), maxNegativeTTL: UInt32(cacheMaxNegativeTTL))
        do throws(UpstreamError) {
            return try Forwarder(configuration: configuration, logger: logger)
        } catch {
            throw StartupError(description: error.description, status: 1)
        }
    }
}
