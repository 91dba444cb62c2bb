#if canImport(Glibc)
import Glibc
#endif
import ClusterSet
import DNSServer
import Dispatch
import Logging

/// SIGTERM and SIGINT stop the server; SIGHUP reloads the zones folder and keeps the
/// old data when the new files are bad.
///
/// The handlers are installed with sigaction before any socket is bound, and only
/// write the signal number to a pipe that a Dispatch source reads. (A Dispatch signal
/// source registers its handler asynchronously: a signal sent right after start-up
/// could be lost.)
enum Signals {
    nonisolated(unsafe) static var writeEnd: Int32 = -1
    /// Seconds a stop waits for TCP connections to write their last replies.
    static let grace = 4.0
    // nonisolated(unsafe): set once before the handlers are installed, then only read
    // by the async-signal-safe handler.
    nonisolated(unsafe) private static var source: DispatchSourceRead?
    // nonisolated(unsafe): written once from the main thread before dispatchMain().

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

    /// Routes `signals` to `handle`, called on a queue of its own with the signal number.
    static func install(signals: [Int32], logger: Logger, handle: @escaping @Sendable (Int32) -> Void) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            logger.error("cannot create the signal pipe; signals keep their default action")
            return
        }
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        writeEnd = fds[1]
        let queue = DispatchQueue(label: "sextant.signals")
        let s = DispatchSource.makeReadSource(fileDescriptor: fds[0], queue: queue)
        s.setEventHandler {
            var sig: UInt8 = 0
            while read(fds[0], &sig, 1) == 1 { handle(Int32(sig)) }
        }
        s.resume()
        source = s
        for sig in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = signalHandler
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(sig, &action, nil)
        }
    }
}

/// Async-signal-safe: one write() of the signal number.
func signalHandler(_ sig: Int32) {
    var b = UInt8(truncatingIfNeeded: sig)
    _ = write(Signals.writeEnd, &b, 1)
}
