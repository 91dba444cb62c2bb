import ClusterSet
import FoundationEssentials
import KubeClient
import Logging
import Locking

/// Keeps the store equal to what the API server holds: one reflector per kind
/// (ServiceImport, EndpointSlice with Lighthouse's selector, Gateway), their lists and
/// events turned into store changes, and readiness once each kind has been listed.
///
/// While the API server is away nothing is removed: the store keeps the last state and
/// the reflectors keep trying. A re-list replaces its kind's API objects, so deletions
/// missed while disconnected are applied then.
public final class ClusterSync: Sendable {
    public let resources: [ObjectKind: APIResource]
    let config: KubeConfig
    let publisher: StorePublisher
    let logger: Logger
    let options: ReflectorOptions
    private let synced = Locked<Set<ObjectKind>>([])
    /// How to stop each reflector: ask, then wait.
    private let reflectors = Locked<[(ask: @Sendable () -> Void, wait: @Sendable () -> Void)]>([])
    /// Called on a reflector's thread as each watch event arrives, before it is queued
    /// for the store (latency measurements, event counters).
    let onEvent: @Sendable (ObjectKind) -> Void
    /// Objects the API sent that could not be read, by kind (a metric for operators).
    private let rejected = Locked<[ObjectKind: Int]>([:])
    /// Each kind's reflector statistics and its watch events (upserts, deletes).
    private let perKind = Locked<[ObjectKind: (statistics: ReflectorStatistics, upserts: Int, deletes: Int, unavailable: Bool)]>([:])

    /// The API resource of each watched kind (also the metrics' `resource` label).
    public static func resourceName(_ kind: ObjectKind) -> String {
        switch kind {
        case .serviceImport: "serviceimports"
        case .endpointSlice: "endpointslices"
        case .gateway: "gateways"
        }
    }

    /// Lighthouse's EndpointSlice selector (kubernetes-watch.md §4.1, objects.md).
    public static let endpointSliceSelector = "endpointslice.kubernetes.io/managed-by=lighthouse-agent.submariner.io"

    public init(config: KubeConfig, layout: StoreConfiguration.Layout, brokerNamespace: String,
                publisher: StorePublisher, options: ReflectorOptions = ReflectorOptions(), logger: Logger,
                onEvent: @escaping @Sendable (ObjectKind) -> Void = { _ in }) {
        self.config = config
        self.onEvent = onEvent
        self.publisher = publisher
        self.options = options
        self.logger = logger
        let ns: String? = layout == .broker ? brokerNamespace : nil
        resources = [
            .serviceImport: APIResource(group: "multicluster.x-k8s.io", version: "v1alpha1", resource: Self.resourceName(.serviceImport), namespace: ns),
            .endpointSlice: APIResource(group: "discovery.k8s.io", version: "v1", resource: Self.resourceName(.endpointSlice), namespace: ns,
                                        labelSelector: Self.endpointSliceSelector),
            // Gateways live in the Submariner operator's namespace, whatever the layout.
            .gateway: APIResource(group: "submariner.io", version: "v1", resource: Self.resourceName(.gateway)),
        ]
    }

    /// True once every kind has been listed (or found absent) once.
    public var isSynced: Bool { synced.withLock { $0.count == ObjectKind.allCases.count } }

    public var rejectedCounts: [ObjectKind: Int] { rejected.withLock { $0 } }

    /// Per kind: listed yet, lists and restarts by reason, watch events, objects rejected.
    public func report() -> [SyncReport] {
        let done = synced.withLock { $0 }
        let rejects = rejectedCounts
        let kinds = perKind.withLock { $0 }
        return ObjectKind.allCases.map { kind in
            let k = kinds[kind]
            return SyncReport(kind: kind, resource: Self.resourceName(kind), listed: done.contains(kind),
                              unavailable: k?.unavailable ?? false, lists: k?.statistics.lists ?? 0,
                              relists: k?.statistics.relists ?? [:], restarts: k?.statistics.restarts ?? [:],
                              upserts: k?.upserts ?? 0, deletes: k?.deletes ?? 0, rejected: rejects[kind] ?? 0)
        }
    }

    /// Starts the three watches.
    public func start() throws(KubeConfigError) {
        try run(ServiceImport.self, .serviceImport, fast: { raw in
            guard case .object(.serviceImport(let o)) = KubeObject.fastDecode(raw, kind: .serviceImport) else { return nil }
            return (Self.reference(o.metadata), o)
        }) { .serviceImport($0) }
        try run(EndpointSlice.self, .endpointSlice, fast: { raw in
            guard case .object(.endpointSlice(let o)) = KubeObject.fastDecode(raw, kind: .endpointSlice) else { return nil }
            return (Self.reference(o.metadata), o)
        }) { .endpointSlice($0) }
        try run(Gateway.self, .gateway, fast: nil) { .gateway($0) }
    }

    /// Stops the watches (tests; the process otherwise runs until it exits).
    public func stop() {
        let all = reflectors.withLock { r in
            defer { r = [] }
            return r
        }
        for r in all { r.ask() }
        for r in all { r.wait() }
    }

    /// What `ObjectReference(from:)` reads of an object the fast decoder read.
    static func reference(_ m: ObjectMeta) -> ObjectReference {
        ObjectReference(name: m.name, namespace: m.namespace, resourceVersion: m.resourceVersion)
    }

    private func run<Item: Decodable & Sendable>(_: Item.Type, _ kind: ObjectKind,
                                                 fast: (@Sendable (UnsafeRawBufferPointer) -> (ObjectReference, Item)?)?,
                                                 wrap: @escaping @Sendable (Item) -> KubeObject) throws(KubeConfigError) {
        guard let resource = resources[kind] else { return }
        let r = Reflector<Item>(resource: resource, config: config, options: options, logger: logger, fastItem: fast) { [self] event in
            handle(event, kind: kind, wrap: wrap)
        }
        perKind.withLock { $0[kind] = (r.statistics, 0, 0, false) }
        try r.start()
        reflectors.withLock { $0.append((ask: { r.requestStop() }, wait: { r.waitUntilStopped() })) }
    }

    private func handle<Item>(_ event: ReflectorEvent<Item>, kind: ObjectKind, wrap: (Item) -> KubeObject) {
        switch event {
        case .replaced(let items):
            var objects: [KubeObject] = []
            objects.reserveCapacity(items.count)
            for d in items {
                switch d.item {
                case .success(let item): objects.append(wrap(item))
                case .failure(let f): reject(kind, d.reference, f)
                }
            }
            if kind == .gateway {
                publisher.submit([.gatewayTypeServed(true), .replace([kind], objects, .api)])
            } else {
                publisher.submit(.replace([kind], objects, .api))
            }
            perKind.withLock { $0[kind]?.unavailable = false }
            markSynced(kind)
        case .upserted(let d):
            onEvent(kind)
            perKind.withLock { $0[kind]?.upserts += 1 }
            switch d.item {
            // A change the server accepted but Sextant cannot read keeps the last good copy.
            case .failure(let f): reject(kind, d.reference, f)
            case .success(let item): publisher.submit(.event(.upsert(wrap(item)), .api))
            }
        case .deleted(let d):
            onEvent(kind)
            perKind.withLock { $0[kind]?.deletes += 1 }
            publisher.submit(.event(.delete(ObjectKey(kind: kind, namespace: d.reference.namespace, name: d.reference.name)), .api))
        case .unavailable(let status):
            perKind.withLock { $0[kind]?.unavailable = true }
            // A Gateway type the server does not have (or lets us read) means no
            // connectivity source from the API: unless a manifest holds a Gateway, every
            // cluster counts as connected (answers.md).
            // ServiceImports that are not installed mean there are none; RBAC refusing
            // imports or slices leaves Sextant not ready rather than answering NXDOMAIN.
            if kind == .gateway {
                publisher.submit([.gatewayTypeServed(false), .replace([kind], [], .api)])
                markSynced(kind)
            } else if status.code == 404 {
                publisher.submit(.replace([kind], [], .api))
                markSynced(kind)
            }
        }
    }

    private func reject(_ kind: ObjectKind, _ ref: ObjectReference, _ f: DecodeFailure) {
        rejected.withLock { $0[kind, default: 0] += 1 }
        logger.warning("\(kind.rawValue) \(ref.namespace)/\(ref.name) cannot be read and is skipped: \(f.reason)")
    }

    private func markSynced(_ kind: ObjectKind) {
        let nowReady = synced.withLock { s -> Bool in
            let before = s.count == ObjectKind.allCases.count
            s.insert(kind)
            return !before && s.count == ObjectKind.allCases.count
        }
        if nowReady {
            logger.info("every resource listed; answering from the API server's objects")
            publisher.submit(.ready(true))
        }
    }
}
