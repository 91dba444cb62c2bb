#if canImport(Glibc)
import Glibc
#endif
import CNetShim
import ClusterSet
import DNSServer
import Dispatch
import Logging

/// SIGTERM and SIGINT stop the server; SIGHUP reloads the zones folder and keeps the
/// old data when the new files are bad.
///
/// The signals are blocked in every thread from main's first line (`block()`) and taken
/// by the main thread with sigwaitinfo (`waitForever()`): no handler runs anywhere, and
/// one sent during start-up waits, pending, instead of being lost or killing the process.
enum Signals {
    /// Seconds a stop waits for TCP connections to write their last replies.
    static let grace = 4.0
    // nonisolated(unsafe): written once by install() on the main thread, then read only
    // by that thread in waitForever().
    nonisolated(unsafe) private static var wanted: Set<Int32> = []
    nonisolated(unsafe) private static var handler: (@Sendable (Int32) -> Void)?

    /// - Parameter beforeExit: runs once a stop has drained, just before the process exits
    ///   (the state file's last write).
    static func install(server: Server, loader: ZonesLoader, publisher: StorePublisher, logger: Logger,
                        beforeExit: @escaping @Sendable () -> Void = {}) {
        install(signals: [SIGTERM, SIGINT, SIGHUP], logger: logger) { sig in
            switch sig {
            case SIGHUP:
                loader.reload(into: publisher)
            default:
                logger.info("stopping", metadata: ["signal": "\(sig)"])
                // No new TCP connection; what was already asked is answered; within
                // the grace time (the kubelet waits 10 s by default, our pods say so).
                let start = DispatchTime.now().uptimeNanoseconds
                server.shutdown(grace: Self.grace) {
                    let ms = (DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
                    logger.info("stopped", metadata: ["after-ms": "\(ms)", "tcp-left": "\(server.openTCPConnections)"])
                    beforeExit()
                    exit(0)
                }
            }
        }
    }

    /// Blocks the stop signals in the calling thread, and so in every thread started
    /// after it: they are waited for (`waitForever`), never delivered to a handler.
    /// Called first thing in main. (A handler ran on whichever thread the kernel chose,
    /// the main thread parked by `dispatchMain()` included, which AddressSanitizer takes
    /// for a finished thread.)
    static func block() { _ = cns_block_stop_signals() }

    /// For the short commands (check, show): the default actions again.
    static func unblock() { _ = cns_unblock_stop_signals() }

    /// Routes the stop signals (SIGTERM, SIGINT, SIGHUP) in `signals` to `handle`, which
    /// `waitForever()` calls on the main thread; the others stay blocked and pending.
    static func install(signals: [Int32], logger: Logger, handle: @escaping @Sendable (Int32) -> Void) {
        wanted = Set(signals)
        handler = handle
    }

    /// The main thread's last job, instead of `dispatchMain()` (which unblocks every
    /// signal on the main thread while it sleeps): waits for the stop signals and hands
    /// them to the installed handler, forever. Everything else runs on Dispatch queues
    /// and threads of its own; nothing uses the main queue.
    static func waitForever() -> Never {
        while true {
            let sig = cns_wait_stop_signal()
            if sig > 0, wanted.contains(sig), let h = handler { h(sig) }
        }
    }
}

