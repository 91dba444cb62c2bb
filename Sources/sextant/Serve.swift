#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import ClusterSet
import DNSServer
import DNSWire
import Dispatch
import Logging
import Zones

/// `sextant serve`: the DNS server. With no flags it serves `./zones` on 127.0.0.1:5353.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve DNS for the zones folder (and, later, a Kubernetes cluster set).")

    @Option(name: .long, help: ArgumentHelp("Folder of zone files (*.zone).", valueName: "DIR"))
    var zones: String?

    @Option(name: .long, help: ArgumentHelp("Address and port to serve UDP and TCP on; repeatable. IPv6 as [::1]:5353. Port 0 picks a free port.", valueName: "ADDR:PORT"))
    var listen: [String] = []

    @Option(name: .long, help: ArgumentHelp("Zone to serve even without a zone file; repeatable.", valueName: "NAME"))
    var zone: [String] = []

    @Option(name: .long, help: ArgumentHelp("UDP sockets per address (default: one per core).", valueName: "N"))
    var workers: Int?

    @Option(name: .customLong("tcp-idle-timeout"), help: ArgumentHelp("Seconds a TCP connection may stay idle.", valueName: "SECONDS"))
    var tcpIdleTimeout: Double = 10

    @Option(name: .customLong("tcp-max-connections"), help: ArgumentHelp("Open TCP connections at most.", valueName: "N"))
    var tcpMaxConnections: Int = 1024

    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "LEVEL"))
    var logLevel: String = "info"

    static let defaultListen = "127.0.0.1:5353"
    static let defaultZone = "clusterset.local"
    static let defaultZonesFolder = "zones"

    func validate() throws {
        if let w = workers, !(1...256).contains(w) { throw ValidationError("--workers must be between 1 and 256, not \(w)") }
        if !(tcpIdleTimeout > 0 && tcpIdleTimeout <= 3600) {
            throw ValidationError("--tcp-idle-timeout must be more than 0 and at most 3600 seconds")
        }
        if !(1...1_000_000).contains(tcpMaxConnections) {
            throw ValidationError("--tcp-max-connections must be between 1 and 1000000")
        }
        if Logger.Level(rawValue: logLevel.lowercased()) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        for l in listen {
            do { _ = try ListenAddress(parsing: l) } catch { throw ValidationError("--listen \(error)") }
        }
        for z in zone {
            do { _ = try DNSName(z) } catch { throw ValidationError("--zone '\(z)' is not a domain name") }
        }
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel.lowercased()) ?? .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "sextant")

        let addresses = (listen.isEmpty ? [Self.defaultListen] : listen).compactMap { try? ListenAddress(parsing: $0) }
        let servedZones = (zone.isEmpty ? [Self.defaultZone] : zone).compactMap { try? DNSName($0) }
        let folder = ZoneFolder(directory: zones ?? Self.defaultZonesFolder, servedZones: servedZones)
        let table = try Self.compile(folder: folder, required: zones != nil, logger: logger)
        let snapshots = SnapshotBox(table)

        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let config = ServerConfiguration(
            listen: addresses, workers: workers ?? max(1, cores),
            tcpIdleTimeout: tcpIdleTimeout, tcpMaxConnections: tcpMaxConnections)
        let server = Server(configuration: config, snapshots: snapshots, logger: logger)
        // Before binding: a signal sent as soon as the address is printed must be handled.
        Signals.install(server: server, snapshots: snapshots, folder: folder, required: zones != nil, logger: logger)
        let bound: [ListenAddress]
        do {
            bound = try server.start()
        } catch {
            throw StartupError(description: "\(error)", status: 1)
        }
        let zoneList = table.zones.map(\.description).joined(separator: " ")
        for address in bound {
            // A stable line on stdout: scripts and tests read the bound port from it.
            let line = "sextant: listening on \(address) (udp, tcp)\n"
            _ = line.withCString { write(1, $0, strlen($0)) }
        }
        logger.info("serving", metadata: [
            "zones": "\(zoneList)", "names": "\(table.nameCount)", "workers": "\(config.workers)",
        ])
        dispatchMain()
    }

    /// Loads and compiles the folder; a bad file is a start-up error with status 2.
    static func compile(folder: ZoneFolder, required: Bool, logger: Logger) throws(StartupError) -> AnswerTable {
        let contents: [ZoneContent]
        do {
            contents = try folder.load(required: required, logger: logger)
        } catch {
            throw StartupError(description: error.description, status: 2)
        }
        var builder = AnswerTableBuilder()
        for z in contents { builder.add(zone: z) }
        return builder.build()
    }
}
