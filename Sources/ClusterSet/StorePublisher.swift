import Locking
import AnswerTable
import Dispatch
import Synchronization

/// The one writer of the store: sources submit changes from their own threads; a serial
/// queue applies everything pending at once, compiles, and publishes one new table.
///
/// Coalescing is what keeps a burst (a re-list of 40,000 objects, a flood of watch events)
/// to one compile per drain instead of one per event, while a lone event is applied as
/// soon as the queue runs.
public final class StorePublisher: @unchecked Sendable {
    // @unchecked: `store`, `zones` and `ready` are touched only on `queue`; `pending`
    // is behind its Mutex.

    /// One change from a source.
    public enum Change: Sendable {
        case event(StoreEvent, ObjectSource)
        /// A complete state of some kinds from one source (a LIST, a manifest reload).
        case replace(Set<ObjectKind>, [KubeObject], ObjectSource)
        /// The zone files' content (SOA, NS, static records).
        case zones([ZoneContent])
        /// Whether every source has delivered its first complete state. `ready(true)`
        /// also ends `stale`: the sources have confirmed (or replaced) what was restored.
        case ready(Bool)
        /// Objects restored from a state file stand in for a source not read yet: the
        /// table is ready, its in-zone answers marked stale (EDE 3) until `ready(true)`.
        case stale
        /// Whether the API server serves the Gateway type (listed: true; 404 or 403:
        /// false). Served without an active Gateway, only the local cluster is connected.
        case gatewayTypeServed(Bool)
    }

    public let snapshots: SnapshotBox
    private let store: ClusterSetStore
    private var zones: [ZoneContent]
    private var ready: Bool
    private var stale = false
    private let queue = DispatchQueue(label: "sextant.store")
    /// Changes not applied yet, and when each `.event` among them was submitted
    /// (monotonic nanoseconds): the latency from a watch event to its table.
    private let pending = Locked<(changes: [Change], scheduled: Bool, eventTimes: [UInt64])>(([], false, []))
    private let published = Locked<[@Sendable (AnswerTable) -> Void]>([])
    private let latencyObservers = Locked<[@Sendable ([UInt64]) -> Void]>([])
    /// When the current table was published (monotonic nanoseconds).
    private let publishedAt = Atomic<UInt64>(DispatchTime.now().uptimeNanoseconds)

    /// Called on the store queue after a large change was applied (at least `largeChange`
    /// objects: the first load, a reload, a re-list) and after a table that recompiled at
    /// least that many services was published: the server gives the heap's freed pages
    /// back then (a decoder's and a full compile's temporaries, 20 MB at 100,000
    /// services), so that the resident peak is the data, not the data and its debris.
    private let releaseMemory: (@Sendable () -> Void)?
    public static let largeChange = 1024

    /// Compiles the first table at once (on the caller's thread).
    public init(configuration: StoreConfiguration, zones: [ZoneContent], objects: consuming [KubeObject], ready: Bool,
                releaseMemory: (@Sendable () -> Void)? = nil) {
        store = ClusterSetStore(configuration: configuration)
        self.zones = zones
        self.ready = ready
        self.releaseMemory = releaseMemory
        // The list is this initializer's: the store takes each object out of it as it
        // applies it (`replaceAll(of:taking:source:)`).
        var list = objects
        let count = list.count
        store.replaceAll(of: Set(ObjectKind.allCases), taking: &list, source: .manifests)
        if count >= Self.largeChange { releaseMemory?() }
        snapshots = SnapshotBox(store.makeTable(zones: zones, ready: ready))
        if store.lastCompileCount >= Self.largeChange { releaseMemory?() }
    }

    /// Queues a change; it is served after the next drain.
    public func submit(_ change: Change) {
        submit([change])
    }

    public func submit(_ changes: [Change]) {
        let now = DispatchTime.now().uptimeNanoseconds
        let events = changes.reduce(0) { n, c in if case .event = c { return n + 1 }; return n }
        let schedule = pending.withLock { p -> Bool in
            p.changes += changes
            if events > 0 { p.eventTimes += repeatElement(now, count: events) }
            if p.scheduled { return false }
            p.scheduled = true
            return true
        }
        if schedule { queue.async { self.drain() } }
    }

    /// Calls `observer` with every table published from now on (on the store queue).
    public func onPublish(_ observer: @escaping @Sendable (AnswerTable) -> Void) {
        published.withLock { $0.append(observer) }
    }

    /// Calls `observer` after each publish with the nanoseconds each event it contains
    /// waited from `submit` to the table that answers it (on the store queue).
    public func onEventsPublished(_ observer: @escaping @Sendable ([UInt64]) -> Void) {
        latencyObservers.withLock { $0.append(observer) }
    }

    /// Seconds since the current table was published.
    public var tableAge: Double {
        Double(DispatchTime.now().uptimeNanoseconds &- publishedAt.load(ordering: .relaxed)) / 1e9
    }

    /// Runs `body` on the store queue after everything submitted so far: a barrier for
    /// tests and for reading counts.
    public func read<T: Sendable>(_ body: @Sendable (ClusterSetStore) -> T) -> T {
        queue.sync { body(store) }
    }

    private func drain() {
        let (changes, eventTimes) = pending.withLock { p -> ([Change], [UInt64]) in
            let c = (p.changes, p.eventTimes)
            p.changes = []
            p.eventTimes = []
            p.scheduled = false
            return c
        }
        guard !changes.isEmpty else { return }
        var applied = 0
        for c in changes {
            switch c {
            case .event(let e, let source):
                store.apply(e, source: source)
                applied += 1
            case .replace(let kinds, let objects, let source):
                store.replaceAll(of: kinds, with: objects, source: source)
                applied += objects.count
            case .zones(let z): zones = z
            case .ready(let r):
                ready = r
                if r { stale = false }
            case .stale:
                ready = true
                stale = true
            case .gatewayTypeServed(let served):
                store.gatewayTypeServed = served
            }
        }
        if applied >= Self.largeChange { releaseMemory?() }
        let table = store.makeTable(zones: zones, ready: ready, stale: stale)
        snapshots.publish(table)
        let now = DispatchTime.now().uptimeNanoseconds
        publishedAt.store(now, ordering: .relaxed)
        for o in published.withLock({ $0 }) { o(table) }
        if !eventTimes.isEmpty {
            let waited = eventTimes.map { now &- $0 }
            for o in latencyObservers.withLock({ $0 }) { o(waited) }
        }
        if store.lastCompileCount >= Self.largeChange { releaseMemory?() }
    }
}
