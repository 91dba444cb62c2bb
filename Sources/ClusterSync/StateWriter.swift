import ClusterSet
import Dispatch
import Logging
import Locking

/// Saves the API server's objects to the state file after changes, at most once per
/// `interval`, on a queue of its own (the store is only read, on its queue, for the copy).
public final class StateWriter: Sendable {
    let file: StateFile
    let publisher: StorePublisher
    let interval: Double
    let logger: Logger
    /// False until the objects are worth keeping: listed from the API server, or restored.
    let ready: @Sendable () -> Bool
    private let queue = DispatchQueue(label: "sextant.state-file")
    private let state = Locked<(generation: Int, failing: Bool)>((-1, false))

    public init(file: StateFile, publisher: StorePublisher, interval: Double = 2, logger: Logger,
                ready: @escaping @Sendable () -> Bool) {
        self.file = file
        self.publisher = publisher
        self.interval = interval
        self.logger = logger
        self.ready = ready
    }

    public func start() {
        queue.asyncAfter(deadline: .now() + interval) { [self] in tick() }
    }

    /// Writes now if anything was published since the last write (tests, and SIGTERM).
    public func flush() { queue.sync { writeIfChanged() } }

    private func tick() {
        writeIfChanged()
        queue.asyncAfter(deadline: .now() + interval) { [self] in tick() }
    }

    private func writeIfChanged() {
        let generation = publisher.snapshots.currentGeneration
        guard ready(), state.withLock({ $0.generation }) != generation else { return }
        let objects = publisher.read { Array($0.objects(from: .api).values) }
        do {
            try file.write(objects)
            let recovered = state.withLock { s -> Bool in
                defer { s = (generation, false) }
                return s.failing
            }
            if recovered { logger.notice("state file written again", metadata: ["path": "\(file.path)"]) }
            logger.debug("state file written", metadata: ["path": "\(file.path)", "objects": "\(objects.count)"])
        } catch {
            let first = state.withLock { s -> Bool in
                defer { s.failing = true }
                return !s.failing
            }
            if first { logger.warning("state file cannot be written: \(error); trying again", metadata: ["path": "\(file.path)"]) }
        }
    }
}
