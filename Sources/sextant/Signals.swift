#if canImport(Glibc)
import Glibc
#endif
import ClusterSet
import DNSServer
import Dispatch
import Logging
import Zones

/// SIGTERM and SIGINT stop the server; SIGHUP reloads the zones folder and keeps the
/// old data when the new files are bad.
enum Signals {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    // nonisolated(unsafe): written once from the main thread before dispatchMain(), then only kept alive.

    static func install(server: Server, loader: ZonesLoader, logger: Logger) {
        let queue = DispatchQueue(label: "sextant.signals")
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            s.setEventHandler {
                logger.info("stopping", metadata: ["signal": "\(sig)"])
                server.stop()
                // Let replies already computed leave before the process ends.
                queue.asyncAfter(deadline: .now() + .milliseconds(100)) { exit(0) }
            }
            s.resume()
            sources.append(s)
        }
        signal(SIGHUP, SIG_IGN)
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hup.setEventHandler { loader.reload() }
        hup.resume()
        sources.append(hup)
    }
}
