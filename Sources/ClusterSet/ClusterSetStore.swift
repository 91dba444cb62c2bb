import AnswerTable
import Dispatch
import DNSWire
import Locking
#if canImport(Glibc)
import Glibc
#endif

/// The objects of the cluster set and the answers they compile to.
///
/// Sources (zones/ manifests, the Kubernetes watcher) apply upserts and deletes; the
/// store sorts objects into services by the layout rules of objects.md and recompiles,
/// on `makeTable`, only the services an event touched (all of them when connectivity
/// or the local cluster changes). Answers depend on the current objects only, never
/// on the order events came in.
///
/// Not thread-safe: one owner (a serial queue) applies events and makes tables.
public final class ClusterSetStore {
    public private(set) var configuration: StoreConfiguration
    /// Services compiled by the last `makeTable`.
    public private(set) var lastCompileCount = 0

    /// What an object is for, decided once when it arrives.
    enum Role: Equatable {
        case aggregateImport(ServiceKey)
        case legacyImport(ServiceKey, cluster: String)
        case slice(ServiceKey, cluster: String, legacy: Bool)
        case gateway
        case ignored(String)

        var isImport: Bool {
            switch self {
            case .aggregateImport, .legacyImport: return true
            default: return false
            }
        }

        var service: ServiceKey? {
            switch self {
            case .aggregateImport(let k), .legacyImport(let k, _), .slice(let k, _, _): return k
            case .gateway, .ignored: return nil
            }
        }
    }

    /// Every object held, with where it came from and what it is to the layout.
    private(set) var entries = ObjectTable()

    private var byService: [ServiceKey: Members] = [:]
    /// Exporting cluster ids, interned: entries hold an index (a handful of clusters,
    /// never forgotten).
    private var clusterNames: [String] = []
    private var clusterIDs: [String: UInt32] = [:]

    /// A service's objects: their entries, kept in key order as they arrive (answers are
    /// built in that order; sorting them on every compile was a tenth of it), how many
    /// are ServiceImports, and the tables compiled from them (one per zone it is served
    /// in; kept until the next compile after the last object went).
    struct Members {
        var objects: [ObjectTable.Index] = []
        var imports: Int32 = 0
        var tables = Tables()

        /// Nothing left to keep: no objects, no tables to take out of the directory.
        var isEmpty: Bool { objects.isEmpty && tables.isEmpty }

        /// Puts `new` in place of the tables; the old ones, and whether nothing is left
        /// then. (Mutating, so the map's entry is changed in place: reading a field
        /// through the map's getter copied the whole entry.)
        mutating func replaceTables(with new: Tables) -> (old: Tables, isEmpty: Bool) {
            let old = tables
            tables = new
            return (old, isEmpty)
        }

        /// Adds the entry at `index` (in `entries` already) in its key's place.
        mutating func insert(_ index: ObjectTable.Index, isImport: Bool, in entries: ObjectTable) {
            guard !objects.contains(index) else { return }
            // Room for a service's usual objects (an import and a slice per cluster) at
            // once: growing 1, 2, 4 was two allocations per service more.
            if objects.isEmpty { objects.reserveCapacity(4) }
            let object = entries[index].object
            var lo = 0, hi = objects.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if entries[objects[mid]].object.precedes(object) { lo = mid + 1 } else { hi = mid }
            }
            objects.insert(index, at: lo)
            if isImport { imports += 1 }
        }

        mutating func remove(_ index: ObjectTable.Index, isImport: Bool) {
            guard let i = objects.firstIndex(of: index) else { return }
            objects.remove(at: i)
            if isImport { imports -= 1 }
        }
    }

    /// A service's tables: one (one zone, the usual case) without an array; a word.
    struct Tables {
        private enum Storage {
            case one(NameTable)
            case many([NameTable])
        }

        private var storage: Storage?

        init() { storage = nil }

        /// Adds a zone's table (the compile builds them so: no array for one zone).
        mutating func append(_ t: NameTable) {
            switch storage {
            case nil: storage = .one(t)
            case .one(let first)?: storage = .many([first, t])
            case .many(var l)?:
                storage = nil
                l.append(t)
                storage = .many(l)
            }
        }

        func forEach(_ body: (NameTable) -> Void) {
            switch storage {
            case nil: break
            case .one(let t)?: body(t)
            case .many(let l)?: l.forEach(body)
            }
        }

        var isEmpty: Bool { storage == nil }
    }
    /// The Gateway objects' entries, so connectivity is computed without a scan of everything.
    private var gatewayEntries: Set<ObjectTable.Index> = []
    /// The API server serves `gateways.submariner.io` (ClusterSync says so after a LIST).
    /// A connectivity source then exists even with no Gateway object (answers.md).
    public var gatewayTypeServed = false
    private var dirty: Set<ServiceKey> = []
    private var allDirty = true
    /// Every service table by its service name: what snapshots share.
    private var directory = ServiceDirectory()
    /// Services with a table, per namespace: the namespace's empty non-terminal exists
    /// while this is above 0.
    private var namespaceCounts: [String: Int] = [:]
    private var emptyNonTerminals: NameSet?
    /// The zone files' table and the zones it was built from.
    private var base: (zones: [ZoneContent], serviceZones: [DNSName], table: NameTable)?
    /// Rotation slots handed out so far; compile threads ask for them concurrently.
    private let counterSlots = Locked<[CounterKey: Int]>([:])

    /// A rotation's identity: stable across recompiles, so its position survives them.
    struct CounterKey: Hashable {
        var service: ServiceKey
        var type: RRType
    }
    public private(set) var counters = RotationCounters(capacity: 64)
    private var connectivity: (local: String?, connected: Set<String>?) = (nil, nil)
    /// Services whose name or namespace cannot be a DNS label (over 63 octets, a dot).
    private var unnamable: Set<ServiceKey> = []

    /// Cluster names of ClusterSetIP services as data (the default) or compiled like
    /// every other name: tests compare the answers of the two. Set before the first table.
    var synthesizesClusterNames = true

    public init(configuration: StoreConfiguration) {
        self.configuration = configuration
    }

    // MARK: events

    /// Applies one change. An upsert records `source` as the object's origin (the last
    /// writer of a key owns it); a delete removes the key whatever its source.
    public func apply(_ event: StoreEvent, source: ObjectSource = .manifests) {
        switch event {
        case .upsert(let o):
            upsert(o, at: entries.locate(object: o, hash: ObjectTable.hash(of: o)), source: source)
        case .delete(let key):
            guard let i = entries.find(key) else { return }
            touch(classify(entries[i].object), nil, index: i)
            entries.remove(at: i)
        }
    }

    /// An upsert of `o` where `locate` found its entry or slot.
    private func upsert(_ o: KubeObject, at: ObjectTable.Location, source: ObjectSource) {
        if let i = at.entry {
            // An unchanged object (a re-list, a reload) costs a comparison only.
            if entries[i].object == o {
                entries[i].source = source
                return
            }
            // Off the old role's lists before the entry changes (they are kept in key
            // order, read from the entries).
            touch(classify(entries[i].object), nil, index: i)
            let role = classify(o)
            entries[i] = entry(o, source: source, role: role)
            touch(nil, role, index: i)
        } else {
            let role = classify(o)
            let i = entries.insert(entry(o, source: source, role: role), at: at)
            touch(nil, role, index: i)
        }
    }

    /// The entry for an object in `role`; its cluster id interned.
    private func entry(_ o: KubeObject, source: ObjectSource, role: Role) -> ObjectTable.Entry {
        func id(_ cluster: String) -> UInt32 {
            // A handful of clusters, usually: compared (short strings) before hashed.
            if clusterNames.count <= 8, let i = clusterNames.firstIndex(of: cluster) { return UInt32(i) }
            if clusterNames.count > 8, let i = clusterIDs[cluster] { return i }
            clusterNames.append(cluster)
            clusterIDs[cluster] = UInt32(clusterNames.count - 1)
            return UInt32(clusterNames.count - 1)
        }
        switch role {
        case .aggregateImport: return .init(object: o, source: source, kind: .aggregateImport, cluster: 0)
        case .legacyImport(_, let c): return .init(object: o, source: source, kind: .legacyImport, cluster: id(c))
        case .slice(_, let c, let legacy): return .init(object: o, source: source, kind: legacy ? .legacySlice : .slice, cluster: id(c))
        case .gateway: return .init(object: o, source: source, kind: .gateway, cluster: 0)
        case .ignored: return .init(object: o, source: source, kind: .ignored, cluster: 0)
        }
    }

    public func apply(_ events: [StoreEvent], source: ObjectSource = .manifests) { for e in events { apply(e, source: source) } }

    /// Replaces every object of the given kinds from `source` with `list` (a re-list or
    /// a reload): that source's objects that are gone are deleted, the others upserted.
    /// Other sources' objects stay.
    public func replaceAll(of kinds: Set<ObjectKind>, with list: [KubeObject], source: ObjectSource = .manifests) {
        if entries.count > 0 {
            let keep = Set(list.map(\.key))
            let gone = entries.indexes.compactMap { i -> ObjectKey? in
                let e = entries[i]
                let key = e.object.key
                return kinds.contains(key.kind) && !keep.contains(key) && e.source == source ? key : nil
            }
            for key in gone { apply(.delete(key)) }
        }
        reserve(for: list)
        for o in list { apply(.upsert(o), source: source) }
    }

    /// Room for `list` replacing this source's objects: the object table about the size
    /// it will have, and a service per import, about (the map grows once, not by
    /// doubling, rehashing every service's key each time).
    private func reserve(for list: [KubeObject]) {
        entries.reserve(max(entries.count, list.count))
        var imports = 0
        for case .serviceImport in list { imports += 1 }
        byService.reserveCapacity(byService.count + imports)
    }

    /// The same, taking the objects out of `list` (left empty) as they are applied: the
    /// list's reference to each object goes while the object is in the cache. Released
    /// at the end instead, 400,100 objects at start-up, each release was a cache miss
    /// (5 % of the start-up).
    public func replaceAll(of kinds: Set<ObjectKind>, taking list: inout [KubeObject], source: ObjectSource = .manifests) {
        guard entries.count == 0, let placeholder = list.first else {
            replaceAll(of: kinds, with: list, source: source)
            list = []
            return
        }
        // An empty store: nothing to delete; sized once, as `replaceAll(of:with:source:)`.
        reserve(for: list)
        // Keys hashed `ahead` objects early and their slots prefetched: the slot's cache
        // miss overlaps the objects in between.
        let ahead = 8
        var pending = InlineArray<8, UInt32>(repeating: 0)
        func hashed(_ i: Int) -> UInt32 {
            let hash = ObjectTable.hash(of: list[i])
            entries.prefetch(hash: hash)
            return hash
        }
        for i in 0..<min(ahead, list.count) { pending[i] = hashed(i) }
        for i in list.indices {
            let hash = pending[i % ahead]
            if i + ahead < list.count { pending[i % ahead] = hashed(i + ahead) }
            upsert(list[i], at: entries.locate(object: list[i], hash: hash), source: source)
            list[i] = placeholder
        }
        list = []
    }

    /// Moves the entry at `index` from its old role's lists to its new role's (the entry
    /// holds the new object already).
    private func touch(_ old: Role?, _ new: Role?, index: ObjectTable.Index) {
        // Matched, not compared with `==`: each comparison with `.gateway` copied both
        // roles and their strings (a tenth of applying a first load).
        var oldIsGateway = false, newIsGateway = false
        if case .gateway? = old { oldIsGateway = true }
        if case .gateway? = new { newIsGateway = true }
        if oldIsGateway || newIsGateway { allDirty = true }
        if oldIsGateway { gatewayEntries.remove(index) }
        if newIsGateway { gatewayEntries.insert(index) }
        if let old, let s = old.service {
            if !allDirty { dirty.insert(s) }
            byService[s]?.remove(index, isImport: old.isImport)
            if byService[s]?.isEmpty == true { byService[s] = nil }
        }
        if let new, let s = new.service {
            if !allDirty { dirty.insert(s) }
            byService[s, default: Members()].insert(index, isImport: new.isImport, in: entries)
        }
    }

    /// Changes that concern every service: mode, TTL, local cluster, zones.
    public func reconfigure(_ c: StoreConfiguration) {
        let relayout = c.layout != configuration.layout || c.brokerNamespace != configuration.brokerNamespace
        configuration = c
        allDirty = true
        if relayout {
            let all = entries.indexes.map { (entries[$0].object, entries[$0].source) }
            entries.removeAll()
            byService = [:]
            gatewayEntries = []
            for (o, source) in all { apply(.upsert(o), source: source) }
        }
    }

    // MARK: roles (objects.md)

    static let serviceNameKey = "multicluster.kubernetes.io/service-name"
    static let sourceNamespaceKey = "lighthouse.submariner.io/sourceNamespace"
    static let sourceClusterKey = "multicluster.kubernetes.io/source-cluster"
    static let managedByKey = "endpointslice.kubernetes.io/managed-by"
    static let managedByLighthouse = "lighthouse-agent.submariner.io"
    static let isHeadlessKey = "lighthouse.submariner.io/is-headless"
    static let legacySourceClusterKey = "lighthouse.submariner.io/sourceCluster"

    /// The labels every slice is classified by, packed once.
    private static let sliceKeys = (
        managedBy: StringPairs.PackedKey(managedByKey), lighthouse: StringPairs.PackedKey(managedByLighthouse),
        serviceName: StringPairs.PackedKey(serviceNameKey), sourceNamespace: StringPairs.PackedKey(sourceNamespaceKey),
        sourceCluster: StringPairs.PackedKey(sourceClusterKey), isHeadless: StringPairs.PackedKey(isHeadlessKey))

    /// The same, in the order `classify` reads their offsets.
    private static let sliceKeyList = [sliceKeys.managedBy, sliceKeys.serviceName, sliceKeys.sourceNamespace,
                                       sliceKeys.sourceCluster, sliceKeys.isHeadless]

    /// The labels and annotations every ServiceImport is classified by, packed once.
    private static let importKeys = (
        serviceName: StringPairs.PackedKey(serviceNameKey), sourceNamespace: StringPairs.PackedKey(sourceNamespaceKey),
        originName: StringPairs.PackedKey("origin-name"), originNamespace: StringPairs.PackedKey("origin-namespace"),
        legacySourceCluster: StringPairs.PackedKey(legacySourceClusterKey))

    func classify(_ o: KubeObject) -> Role {
        let broker = configuration.layout == .broker
        switch o {
        case .gateway:
            return .gateway
        case .serviceImport(let si):
            let m = si.metadata.reader
            let k = Self.importKeys
            if broker {
                guard m.namespace == configuration.brokerNamespace else { return .ignored("service import outside the broker namespace") }
                guard let name = m.annotation(k.serviceName), let ns = m.annotation(k.sourceNamespace) else {
                    return .ignored("broker service import without service-name/sourceNamespace annotations")
                }
                return .aggregateImport(ServiceKey(namespace: ns, name: name))
            }
            if m.hasLabel(k.serviceName) { return .ignored("an exporting cluster's own service import") }
            if m.annotation(k.serviceName) != nil { return .ignored("the broker's aggregated service import") }
            if let name = m.annotation(k.originName), let ns = m.annotation(k.originNamespace) {
                guard let cluster = m.label(k.legacySourceCluster) else { return .ignored("legacy service import without sourceCluster label") }
                return .legacyImport(ServiceKey(namespace: ns, name: name), cluster: cluster)
            }
            return .aggregateImport(ServiceKey(namespace: m.namespace, name: m.name))
        case .endpointSlice(let es):
            let m = es.metadata.reader
            let k = Self.sliceKeys
            // The five labels found in one pass: managed-by, service-name, sourceNamespace,
            // source-cluster, is-headless.
            let at = m.labelOffsets(Self.sliceKeyList)
            guard let managedBy = at[0], m.string(atOffset: managedBy, is: k.lighthouse) else {
                return .ignored("endpoint slice not managed by Lighthouse")
            }
            guard let nameAt = at[1], let nsAt = at[2], let clusterAt = at[3] else {
                return .ignored("endpoint slice without service-name, sourceNamespace or source-cluster label")
            }
            let name = m.string(atOffset: nameAt), ns = m.string(atOffset: nsAt), cluster = m.string(atOffset: clusterAt)
            guard !name.isEmpty, !ns.isEmpty, !cluster.isEmpty else {
                return .ignored("endpoint slice without service-name, sourceNamespace or source-cluster label")
            }
            if broker {
                guard m.namespaceIs(configuration.brokerNamespace) else { return .ignored("endpoint slice outside the broker namespace") }
            } else if !m.namespaceIs(stringAt: nsAt) {
                return .ignored("broker copy of an endpoint slice")
            }
            let legacy = at[4] == nil && m.nameEnds(withDashAnd: cluster)
            return .slice(ServiceKey(namespace: ns, name: name), cluster: cluster, legacy: legacy)
        }
    }

    /// Objects held but not used, by reason: a metric for operators.
    public var ignoredCounts: [String: Int] {
        var out: [String: Int] = [:]
        for i in entries.indexes {
            guard entries[i].kind == .ignored else { continue }
            if case .ignored(let why) = classify(entries[i].object) { out[why, default: 0] += 1 }
        }
        if !unnamable.isEmpty { out["service name or namespace is not a DNS label"] = unnamable.count }
        return out
    }

    public var objectCount: Int { entries.count }

    /// The objects held from `source` (tests, diagnostics).
    public func objects(from source: ObjectSource) -> [ObjectKey: KubeObject] {
        var out: [ObjectKey: KubeObject] = [:]
        for i in entries.indexes where entries[i].source == source { out[entries[i].object.key] = entries[i].object }
        return out
    }
    public var serviceCount: Int { byService.keys.filter { hasImport($0) }.count }

    func hasImport(_ s: ServiceKey) -> Bool { (byService[s]?.imports ?? 0) > 0 }

    /// An interned cluster id's name (for reports).
    func clusterName(_ index: UInt32) -> String { clusterNames[Int(index)] }

    /// Every service key with objects (for reports).
    func serviceKeys() -> [ServiceKey] { Array(byService.keys) }
    /// The Gateway objects' entries (for reports).
    func gatewayIndexes() -> [ObjectTable.Index] { Array(gatewayEntries) }

    // MARK: connectivity

    /// The local cluster (an active Gateway's own id wins over the configured one) and
    /// the connected clusters; nil when there is no connectivity source (no Gateway type
    /// on the API server and no Gateway object anywhere, or `--connectivity none`), so
    /// that every cluster counts as connected. A source without an active Gateway
    /// connects only the local cluster.
    func computeConnectivity() -> (local: String?, connected: Set<String>?) {
        var local = configuration.localClusterID
        let gateways = gatewayEntries.compactMap { i -> Gateway? in if case .gateway(let g) = entries[i].object { return g }; return nil }
            .sorted { ($0.metadata.namespace, $0.metadata.name) < ($1.metadata.namespace, $1.metadata.name) }
        guard configuration.connectivity == .gateway, !gateways.isEmpty || gatewayTypeServed else { return (local, nil) }
        var connected: Set<String> = []
        for g in gateways where g.isActive {
            if let id = g.localClusterID, !id.isEmpty {
                if local == nil || local == configuration.localClusterID { local = id }
            }
            for c in g.connections where c.status == "connected" { connected.insert(c.clusterID) }
        }
        if let l = local { connected.insert(l) }
        return (local, connected)
    }

    // MARK: compiling

    /// Compiles what changed and assembles a new answer table with `zones` (the zone
    /// files' SOA, NS and records). Service names go into the configured zones.
    ///
    /// Only dirty services are compiled (all when connectivity, configuration or the
    /// zones change); the others' tables are reused as they are.
    public func makeTable(zones: [ZoneContent], ready: Bool = true, stale: Bool = false) -> AnswerTable {
        let conn = computeConnectivity()
        if conn.local != connectivity.local || conn.connected != connectivity.connected { allDirty = true }
        connectivity = conn
        let servedApexes = Set(zones.map(\.apex))
        let serviceZones = configuration.zones.filter { servedApexes.contains($0) }
        // The zone files' table depends on the zones alone; new zones recompile every
        // service too (zone numbering, service zones).
        let baseTable: NameTable
        if let b = base, b.zones == zones, b.serviceZones == serviceZones {
            baseTable = b.table
        } else {
            baseTable = makeBase(zones: zones, serviceZones: serviceZones)
            base = (zones, serviceZones, baseTable)
            allDirty = true
        }
        var resolver = ServiceResolver(
            config: configuration, localCluster: conn.local,
            isConnected: { c in conn.connected?.contains(c) ?? true },
            counterSlot: { [unowned self] k, t in self.slot(k, t) })
        resolver.synthesizesClusterNames = synthesizesClusterNames

        // Every service with objects or a table.
        // (With their places in the service map when all are: no key hashed again.)
        let targets: [(key: ServiceKey, at: [ServiceKey: Members].Index?)] =
            allDirty ? servicesInArrivalOrder() : dirty.map { ($0, nil) }
        var namespacesChanged = emptyNonTerminals == nil || allDirty
        // What to compile: each service's objects read once here (one lookup per
        // service), and how many rotation slots they may need.
        // Where each is in the service map, so that its tables are set without another
        // lookup: the services whose tables go are set after them, since that may take
        // a service out of the map (and move the others).
        var work: [ServiceKey] = [], workObjects: [[ObjectTable.Index]] = [], workAt: [[ServiceKey: Members].Index] = []
        var dropped: [ServiceKey] = []
        var rotationSlots = 0
        work.reserveCapacity(targets.count)
        workObjects.reserveCapacity(targets.count)
        workAt.reserveCapacity(targets.count)
        for (key, known) in targets {
            if !unnamable.isEmpty { unnamable.remove(key) }
            // One copy of the members out of the map (each read of a field copied all).
            guard let at = known ?? byService.index(forKey: key), case let members = byService.values[at], members.imports > 0 else {
                dropped.append(key)
                continue
            }
            guard ServiceTableWriter.isLabel(key.name), ServiceTableWriter.isLabel(key.namespace) else {
                unnamable.insert(key)
                dropped.append(key)
                continue
            }
            let objects = members.objects
            work.append(key)
            workObjects.append(objects)
            workAt.append(at)
            if mayRotate(objects) { rotationSlots += 2 }
        }
        // A service compiled replaces its table or adds one: at most this many after.
        directory.reserve(max(directory.count, work.count))
        let compiled = compile(work, objects: workObjects, rotationSlots: rotationSlots, resolver: resolver,
                               zones: zones.map(\.apex), serviceZones: serviceZones)
        lastCompileCount = work.count
        for i in work.indices where setTables(work[i], compiled[i], at: workAt[i]) { namespacesChanged = true }
        for key in dropped where setTables(key, Tables()) { namespacesChanged = true }
        dirty = []
        allDirty = false

        if namespacesChanged {
            // The empty non-terminals above the services: svc.<zone> and <ns>.svc.<zone>.
            var ents: [[UInt8]] = []
            for z in serviceZones where !namespaceCounts.isEmpty {
                guard let svc = try? z.prepending(label: Array("svc".utf8)) else { continue }
                ents.append(svc.wire)
                for ns in namespaceCounts.keys {
                    if let n = try? svc.prepending(label: Array(ns.utf8)) { ents.append(n.wire) }
                }
            }
            emptyNonTerminals = NameSet(ents)
        }
        return AnswerTable(base: baseTable, services: directory,
                           emptyNonTerminals: emptyNonTerminals ?? NameSet([]), ready: ready, stale: stale)
    }

    /// Every service, in the order of its first object's entry: about the order objects
    /// arrived in, so about their order in memory. A compile of everything then reads the
    /// heap forward; in the dictionary's order each service's first touch was a cache
    /// and TLB miss (a quarter of the first compile at 100,000 services was `swift_retain`
    /// waiting for the object's first line).
    ///
    /// Each with its place in the service map, which stays valid until the map changes.
    private func servicesInArrivalOrder() -> [(key: ServiceKey, at: [ServiceKey: Members].Index?)] {
        var order: [(first: ObjectTable.Index, at: [ServiceKey: Members].Index)] = []
        order.reserveCapacity(byService.count)
        var at = byService.startIndex
        while at != byService.endIndex {
            order.append((byService.values[at].objects.first ?? .max, at))
            byService.formIndex(after: &at)
        }
        order.sort { $0.first < $1.first }
        return order.map { (byService.keys[$0.at], $0.at) }
    }

    /// Services compiled on one thread: below this, starting threads costs more than it saves.
    public static let parallelThreshold = 256
    static let cores = Processors.usable

    /// Each service's tables (nil: none), on every core when there are many services.
    /// Objects and configuration are only read meanwhile; rotation slots are handed out
    /// under a lock, and the counters are sized first so that none grows meanwhile.
    private func compile(_ work: [ServiceKey], objects: [[ObjectTable.Index]], rotationSlots: Int, resolver: ServiceResolver,
                         zones: [DNSName], serviceZones: [DNSName]) -> [Tables] {
        reserveCounters(extra: rotationSlots)
        let counters = self.counters
        let zoneIndexes = serviceZones.map { z in zones.firstIndex(of: z) ?? 0 }
        let out = UnsafeMutableBufferPointer<Tables>.allocate(capacity: work.count)
        out.initialize(repeating: Tables())
        defer {
            out.deinitialize()
            out.deallocate()
        }
        let parts = work.count >= Self.parallelThreshold ? Self.cores : 1
        let body = { (part: Int) in
            var writer = ServiceTableWriter()
            var o = ServiceObjects()
            // Interleaved shares (measured steadier than contiguous halves).
            var i = part
            while i < work.count {
                let key = work[i]
                self.objectsOf(objects[i], into: &o)
                var tables = Tables()
                for (z, zoneIndex) in zip(serviceZones, zoneIndexes) {
                    if let t = resolver.table(service: key, objects: o, zone: z, zoneIndex: zoneIndex, writer: &writer, counters: counters) {
                        tables.append(t)
                    }
                }
                out[i] = tables
                i += parts
            }
        }
        if parts == 1 {
            body(0)
        } else {
            let threads = CompileThreads(body: body)
            DispatchQueue.concurrentPerform(iterations: parts) { threads.body($0) }
        }
        return Array(out)
    }

    /// The compile loop, handed to Dispatch's threads.
    private struct CompileThreads: @unchecked Sendable {
        // @unchecked: the threads read the store and the resolver, which nothing writes
        // until they are done, write disjoint results, and take rotation slots under a lock.
        let body: (Int) -> Void
    }

    /// Replaces a service's tables in the directory; true when a namespace appeared or
    /// disappeared.
    private func setTables(_ key: ServiceKey, _ new: Tables, at known: [ServiceKey: Members].Index? = nil) -> Bool {
        // One lookup of the service at most (none when the caller knows where it is).
        let at = known ?? byService.index(forKey: key)
        var old = Tables()
        if let at {
            let r = byService.values[at].replaceTables(with: new)
            old = r.old
            if r.isEmpty { byService.remove(at: at) }
        } else if !new.isEmpty {
            var m = Members()
            m.tables = new
            byService[key] = m
        }
        old.forEach { directory.remove($0) }
        new.forEach { directory.insert($0) }
        switch (old.isEmpty, new.isEmpty) {
        case (true, false):
            return Self.count(&namespaceCounts[key.namespace, default: 0], by: 1) == 1
        case (false, true):
            if Self.count(&namespaceCounts[key.namespace, default: 1], by: -1) == 0 {
                namespaceCounts[key.namespace] = nil
                return true
            }
            return false
        default:
            return false
        }
    }

    /// Adds `step` to a count in place and returns it (one dictionary lookup).
    private static func count(_ n: inout Int, by step: Int) -> Int {
        n += step
        return n
    }

    /// The zone files' names and each service zone's `dns-version` TXT.
    func makeBase(zones: [ZoneContent], serviceZones: [DNSName]) -> NameTable {
        var b = AnswerTableBuilder()
        for z in zones { b.add(zone: z) }
        for z in serviceZones {
            // dns-version.<zone> TXT "1.0.0": the MCS DNS schema version.
            if let n = try? z.prepending(label: Array("dns-version".utf8)) {
                let txt = ResourceRecord(name: n, type: .txt, ttl: 28800, rdata: .txt(["1.0.0"]))
                b.add(fragment: AnswerFragment(compiling: [NameSpec(name: n, answers: [.txt: .fixed(Sections(answer: [txt]))], any: [txt])]), zone: z)
            }
        }
        return b.buildNameTable(counters: counters)
    }


    func objectsOf(_ key: ServiceKey) -> ServiceObjects { objectsOf(byService[key]?.objects ?? []) }

    /// The objects at `indexes` (a service's), sorted into roles.
    func objectsOf(_ indexes: [ObjectTable.Index]) -> ServiceObjects {
        var o = ServiceObjects()
        objectsOf(indexes, into: &o)
        return o
    }

    /// The same into `o`, emptied first: the compile reuses one per thread, its lists'
    /// room with it (two allocations per service otherwise, 200,000 at start-up).
    func objectsOf(_ indexes: [ObjectTable.Index], into o: inout ServiceObjects) {
        o.imports.removeAll(keepingCapacity: true)
        o.legacyImports.removeAll(keepingCapacity: true)
        o.slices.removeAll(keepingCapacity: true)
        // Slices are most of a service's objects: one allocation, not one per doubling.
        o.slices.reserveCapacity(indexes.count)
        for i in indexes {
            let e = entries[i]
            switch (e.kind, e.object) {
            case (.aggregateImport, .serviceImport(let si)): o.imports.append(si)
            case (.legacyImport, .serviceImport(let si)): o.legacyImports.append((clusterNames[Int(e.cluster)], si))
            case (.slice, .endpointSlice(let es)): o.slices.append((clusterNames[Int(e.cluster)], false, es))
            case (.legacySlice, .endpointSlice(let es)): o.slices.append((clusterNames[Int(e.cluster)], true, es))
            default: break
            }
        }
    }

    /// Whether a service's answers may rotate: a ClusterSetIP service without
    /// clusterset IPs (or known only from legacy imports), or a headless one when its
    /// answers are capped (`maxRecords`). Sizes the counters.
    func mayRotate(_ objects: [ObjectTable.Index]) -> Bool {
        for i in objects where entries[i].kind == .aggregateImport {
            guard case .serviceImport(let si) = entries[i].object else { continue }
            return si.type == .clusterSetIP ? si.ips.isEmpty : configuration.maxRecords != nil
        }
        return true
    }

    /// A stable counter slot per rotation key. The counters must have room
    /// (`reserveCounters`): they cannot grow while compile threads run.
    func slot(_ service: ServiceKey, _ type: RRType) -> Int {
        let key = CounterKey(service: service, type: type)
        return counterSlots.withLock { slots in
            if let s = slots[key] { return s }
            let s = slots.count
            slots[key] = s
            return s
        }
    }

    /// Grows the counters (keeping positions) so that `extra` more slots fit.
    func reserveCounters(extra: Int) {
        let needed = counterSlots.withLock { $0.count } + extra
        guard needed > counters.capacity else { return }
        var capacity = counters.capacity
        while capacity < needed { capacity *= 2 }
        counters = RotationCounters(capacity: capacity, copying: counters)
    }
}
