import DNSWire

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

    /// What an object is for, decided once when it arrives.
    enum Role: Equatable {
        case aggregateImport(ServiceKey)
        case legacyImport(ServiceKey, cluster: String)
        case slice(ServiceKey, cluster: String, legacy: Bool)
        case gateway
        case ignored(String)

        var service: ServiceKey? {
            switch self {
            case .aggregateImport(let k), .legacyImport(let k, _), .slice(let k, _, _): return k
            case .gateway, .ignored: return nil
            }
        }
    }

    /// Every object held, with where it came from and what it is to the layout: one
    /// dictionary entry per object (three dictionaries cost two more entries each).
    private var entries: [ObjectKey: Entry] = [:]

    struct Entry {
        var object: KubeObject
        var source: ObjectSource
        var role: Role
    }

    private var byService: [ServiceKey: Set<ObjectKey>] = [:]
    /// The Gateway objects' keys, so connectivity is computed without a scan of everything.
    private var gatewayKeys: Set<ObjectKey> = []
    private var dirty: Set<ServiceKey> = []
    private var allDirty = true
    /// One table per service and zone it is served in; rebuilt only when dirty.
    private var tables: [ServiceKey: [NameTable]] = [:]
    /// Every service table by its service name: what snapshots share.
    private var directory = ServiceDirectory()
    /// Services with a table, per namespace: the namespace's empty non-terminal exists
    /// while this is above 0.
    private var namespaceCounts: [String: Int] = [:]
    private var emptyNonTerminals: NameSet?
    /// The zone files' table and the zones it was built from.
    private var base: (zones: [ZoneContent], serviceZones: [DNSName], table: NameTable)?
    private var counterSlots: [String: Int] = [:]
    public private(set) var counters = RotationCounters(capacity: 64)
    private var connectivity: (local: String?, connected: Set<String>?) = (nil, nil)
    /// Services whose name or namespace cannot be a DNS label (over 63 octets, a dot).
    private var unnamable: Set<ServiceKey> = []

    public init(configuration: StoreConfiguration) {
        self.configuration = configuration
    }

    // MARK: events

    /// Applies one change. An upsert records `source` as the object's origin (the last
    /// writer of a key owns it); a delete removes the key whatever its source.
    public func apply(_ event: StoreEvent, source: ObjectSource = .manifests) {
        switch event {
        case .upsert(let o):
            let key = o.key
            let old = entries[key]
            if old?.object == o {
                entries[key]?.source = source
                return
            }
            let role = classify(o)
            entries[key] = Entry(object: o, source: source, role: role)
            touch(old?.role, role, key: key)
        case .delete(let key):
            guard let gone = entries.removeValue(forKey: key) else { return }
            touch(gone.role, nil, key: key)
        }
    }

    public func apply(_ events: [StoreEvent], source: ObjectSource = .manifests) { for e in events { apply(e, source: source) } }

    /// Replaces every object of the given kinds from `source` with `list` (a re-list or
    /// a reload): that source's objects that are gone are deleted, the others upserted.
    /// Other sources' objects stay.
    public func replaceAll(of kinds: Set<ObjectKind>, with list: [KubeObject], source: ObjectSource = .manifests) {
        let keep = Set(list.map(\.key))
        let gone = entries.compactMap { kinds.contains($0.key.kind) && !keep.contains($0.key) && $0.value.source == source ? $0.key : nil }
        for key in gone { apply(.delete(key)) }
        for o in list { apply(.upsert(o), source: source) }
    }

    private func touch(_ old: Role?, _ new: Role?, key: ObjectKey) {
        if old == .gateway || new == .gateway { allDirty = true }
        if old == .gateway { gatewayKeys.remove(key) }
        if new == .gateway { gatewayKeys.insert(key) }
        if let s = old?.service {
            dirty.insert(s)
            byService[s]?.remove(key)
            if byService[s]?.isEmpty == true { byService[s] = nil }
        }
        if let s = new?.service {
            dirty.insert(s)
            byService[s, default: []].insert(key)
        }
    }

    /// Changes that concern every service: mode, TTL, local cluster, zones.
    public func reconfigure(_ c: StoreConfiguration) {
        let relayout = c.layout != configuration.layout || c.brokerNamespace != configuration.brokerNamespace
        configuration = c
        allDirty = true
        if relayout {
            let all = entries.values.map { ($0.object, $0.source) }
            entries = [:]
            byService = [:]
            gatewayKeys = []
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

    func classify(_ o: KubeObject) -> Role {
        let broker = configuration.layout == .broker
        switch o {
        case .gateway:
            return .gateway
        case .serviceImport(let si):
            let m = si.metadata
            if broker {
                guard m.namespace == configuration.brokerNamespace else { return .ignored("service import outside the broker namespace") }
                guard let name = m.annotations[Self.serviceNameKey], let ns = m.annotations[Self.sourceNamespaceKey] else {
                    return .ignored("broker service import without service-name/sourceNamespace annotations")
                }
                return .aggregateImport(ServiceKey(namespace: ns, name: name))
            }
            if m.labels[Self.serviceNameKey] != nil { return .ignored("an exporting cluster's own service import") }
            if m.annotations[Self.serviceNameKey] != nil { return .ignored("the broker's aggregated service import") }
            if let name = m.annotations["origin-name"], let ns = m.annotations["origin-namespace"] {
                guard let cluster = m.labels[Self.legacySourceClusterKey] else { return .ignored("legacy service import without sourceCluster label") }
                return .legacyImport(ServiceKey(namespace: ns, name: name), cluster: cluster)
            }
            return .aggregateImport(ServiceKey(namespace: m.namespace, name: m.name))
        case .endpointSlice(let es):
            let m = es.metadata
            guard m.labels[Self.managedByKey] == Self.managedByLighthouse else { return .ignored("endpoint slice not managed by Lighthouse") }
            guard let name = m.labels[Self.serviceNameKey], let ns = m.labels[Self.sourceNamespaceKey],
                  let cluster = m.labels[Self.sourceClusterKey], !name.isEmpty, !ns.isEmpty, !cluster.isEmpty else {
                return .ignored("endpoint slice without service-name, sourceNamespace or source-cluster label")
            }
            if broker {
                guard m.namespace == configuration.brokerNamespace else { return .ignored("endpoint slice outside the broker namespace") }
            } else if m.namespace != ns {
                return .ignored("broker copy of an endpoint slice")
            }
            let legacy = m.labels[Self.isHeadlessKey] == nil && m.name.hasSuffix("-" + cluster)
            return .slice(ServiceKey(namespace: ns, name: name), cluster: cluster, legacy: legacy)
        }
    }

    /// Objects held but not used, by reason: a metric for operators.
    public var ignoredCounts: [String: Int] {
        var out: [String: Int] = [:]
        for e in entries.values {
            if case .ignored(let why) = e.role { out[why, default: 0] += 1 }
        }
        if !unnamable.isEmpty { out["service name or namespace is not a DNS label"] = unnamable.count }
        return out
    }

    public var objectCount: Int { entries.count }

    /// The objects held from `source` (tests, diagnostics).
    public func objects(from source: ObjectSource) -> [ObjectKey: KubeObject] {
        entries.filter { $0.value.source == source }.mapValues(\.object)
    }
    public var serviceCount: Int { byService.keys.filter { hasImport($0) }.count }

    func hasImport(_ s: ServiceKey) -> Bool {
        (byService[s] ?? []).contains { key in
            switch entries[key]?.role {
            case .aggregateImport?, .legacyImport?: return true
            default: return false
            }
        }
    }

    // MARK: connectivity

    /// The local cluster (an active Gateway's own id wins over the configured one) and
    /// the connected clusters; nil when there is no connectivity source, so that every
    /// cluster counts as connected.
    func computeConnectivity() -> (local: String?, connected: Set<String>?) {
        var local = configuration.localClusterID
        let gateways = gatewayKeys.compactMap { k -> Gateway? in if case .gateway(let g)? = entries[k]?.object { return g }; return nil }
            .sorted { ($0.metadata.namespace, $0.metadata.name) < ($1.metadata.namespace, $1.metadata.name) }
        guard configuration.connectivity == .gateway, !gateways.isEmpty else { return (local, nil) }
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
    public func makeTable(zones: [ZoneContent], ready: Bool = true) -> AnswerTable {
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
        let resolver = ServiceResolver(
            config: configuration, localCluster: conn.local,
            isConnected: { c in conn.connected?.contains(c) ?? true },
            counterSlot: { [unowned self] k in self.slot(k) })

        let targets: [ServiceKey] = allDirty ? Array(Set(byService.keys).union(tables.keys)) : Array(dirty)
        var namespacesChanged = emptyNonTerminals == nil || allDirty
        for key in targets {
            unnamable.remove(key)
            guard hasImport(key) else {
                if setTables(key, nil) { namespacesChanged = true }
                continue
            }
            guard Self.isLabel(key.name), Self.isLabel(key.namespace) else {
                unnamable.insert(key)
                if setTables(key, nil) { namespacesChanged = true }
                continue
            }
            let o = objectsOf(key)
            var list: [NameTable] = []
            for z in serviceZones {
                guard let specs = resolver.specs(service: key, objects: o, zone: z),
                      let serviceName = try? z.prepending(label: Array("svc".utf8))
                          .prepending(label: Array(key.namespace.utf8)).prepending(label: Array(key.name.utf8)) else { continue }
                var b = AnswerTableBuilder()
                for zone in zones { b.add(zoneApex: zone) }
                b.add(fragment: AnswerFragment(compiling: specs), zone: z)
                list.append(b.buildNameTable(counters: counters, key: serviceName))
            }
            if setTables(key, list.isEmpty ? nil : list) { namespacesChanged = true }
        }
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
                           emptyNonTerminals: emptyNonTerminals ?? NameSet([]), ready: ready)
    }

    /// Replaces a service's tables in the directory; true when a namespace appeared or
    /// disappeared.
    private func setTables(_ key: ServiceKey, _ list: [NameTable]?) -> Bool {
        let old = tables[key]
        for t in old ?? [] { directory.remove(t) }
        for t in list ?? [] { directory.insert(t) }
        tables[key] = list
        switch (old == nil, list == nil) {
        case (true, false):
            namespaceCounts[key.namespace, default: 0] += 1
            return namespaceCounts[key.namespace] == 1
        case (false, true):
            namespaceCounts[key.namespace, default: 1] -= 1
            if namespaceCounts[key.namespace] == 0 {
                namespaceCounts[key.namespace] = nil
                return true
            }
            return false
        default:
            return false
        }
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

    static func isLabel(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= Wire.Name.maxLabelLength && !s.contains(".")
    }

    func objectsOf(_ key: ServiceKey) -> ServiceObjects {
        var o = ServiceObjects()
        for k in (byService[key] ?? []).sorted() {
            guard let e = entries[k] else { continue }
            switch (e.role, e.object) {
            case (.aggregateImport, .serviceImport(let si)): o.imports.append(si)
            case (.legacyImport(_, let c), .serviceImport(let si)): o.legacyImports.append((c, si))
            case (.slice(_, let c, let legacy), .endpointSlice(let es)): o.slices.append((c, legacy, es))
            default: break
            }
        }
        return o
    }

    /// A stable counter slot per rotation key; grows the counters (keeping positions).
    func slot(_ key: String) -> Int {
        if let s = counterSlots[key] { return s }
        let s = counterSlots.count
        counterSlots[key] = s
        if s >= counters.capacity { counters = RotationCounters(capacity: counters.capacity * 2, copying: counters) }
        return s
    }
}
