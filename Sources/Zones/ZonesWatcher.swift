#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging

/// Watches the zones folder with inotify and calls `onChange` (on its own queue) once
/// the folder has been quiet for `settle`: an edited file, a new or removed one, and the
/// way Kubernetes updates a mounted ConfigMap (a new `..2026_...` folder, then the
/// `..data` link renamed over the old one, which the files link through).
///
/// If the folder itself goes away (deleted, or a volume remounted), the watch is set up
/// again once it is back, checked every second.
public final class ZonesWatcher: @unchecked Sendable {
    // @unchecked: the inotify descriptor, the watch and the sources are touched only on
    // `queue` (start() runs before the source is resumed).

    public let directory: String
    private let settle: DispatchTimeInterval
    private let logger: Logger
    private let onChange: @Sendable () -> Void
    private let queue = DispatchQueue(label: "sextant.zones.watch")
    private var fd: Int32 = -1
    private var watch: Int32 = -1
    private var source: DispatchSourceRead?
    private var pending: DispatchWorkItem?

    static let mask = UInt32(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB
        | IN_DELETE_SELF | IN_MOVE_SELF)

    public init(directory: String, settle: DispatchTimeInterval = .milliseconds(20), logger: Logger,
                onChange: @escaping @Sendable () -> Void) {
        self.directory = directory
        self.settle = settle
        self.logger = logger
        self.onChange = onChange
    }

    /// Starts watching. Throws when inotify cannot be used at all (no instance left).
    public func start() throws(ZoneFileError) {
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else {
            throw ZoneFileError(path: directory, reason: "cannot watch for changes: inotify_init1: \(String(cString: strerror(errno)))")
        }
        addWatch()
        let s = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        s.setEventHandler { [unowned self] in self.drain() }
        let descriptor = fd
        s.setCancelHandler { close(descriptor) }
        source = s
        s.resume()
        if watch < 0 { queue.async { self.rewatchLater() } }
    }

    public func stop() {
        queue.sync {
            pending?.cancel()
            source?.cancel()
            source = nil
        }
    }

    private func addWatch() {
        watch = inotify_add_watch(fd, directory, Self.mask)
        if watch < 0 { logger.debug("zones folder \(directory) cannot be watched yet: \(String(cString: strerror(errno)))") }
    }

    /// Reads every queued event; any of them schedules one reload after the quiet time.
    private func drain() {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var lost = false
        var any = false
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            any = true
            var offset = 0
            buffer.withUnsafeBytes { raw in
                while offset + MemoryLayout<inotify_event>.size <= n {
                    let e = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    if e.mask & UInt32(IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF) != 0 { lost = true }
                    offset += MemoryLayout<inotify_event>.size + Int(e.len)
                }
            }
        }
        guard any else { return }
        if lost {
            if watch >= 0 { _ = inotify_rm_watch(fd, watch) }
            watch = -1
            logger.warning("zones folder \(directory) went away; watching for it to come back")
            rewatchLater()
        }
        schedule()
    }

    private func schedule() {
        pending?.cancel()
        let work = DispatchWorkItem { [onChange] in onChange() }
        pending = work
        queue.asyncAfter(deadline: .now() + settle, execute: work)
    }

    private func rewatchLater() {
        queue.asyncAfter(deadline: .now() + 1) { [weak self] in
            guard let self, self.source != nil, self.watch < 0 else { return }
            self.addWatch()
            if self.watch >= 0 {
                self.logger.notice("zones folder \(self.directory) is back; reloading")
                self.schedule()
            } else {
                self.rewatchLater()
            }
        }
    }
}
