import DNSWire

/// The answer rules of `spec/answers.md` for one service: from its objects and the
/// cluster set's state to the names it owns and what each answers. The one place
/// where a resolution rule lives.
struct ServiceResolver {
    let config: StoreConfiguration
    let localCluster: String?
    let isConnected: (String) -> Bool
    /// Gives a stable counter slot for a rotation key.
    let counterSlot: (String) -> Int

    static let srvPriority: UInt16 = 0
    static let srvWeight: UInt16 = 50
    static let weightAnnotation = "sextant.io/weight."
    static let publishNotReady = "lighthouse.submariner.io/publish-not-ready-addresses"

    /// What one exporting cluster contributes to a service.
    struct ClusterRecord {
        var cluster: String
        var v4: [IPAddress] = []
        var v6: [IPAddress] = []
        var healthy = false
        var ports: [ServicePort] = []
        var endpoints: [EndpointRecord] = []

        func addresses(_ type: RRType) -> [IPAddress] { type == .aaaa ? v6 : v4 }
    }

    struct EndpointRecord {
        var host: String
        var v4: [IPAddress] = []
        var v6: [IPAddress] = []
        var ports: [ServicePort] = []
    }

    // MARK: cluster records

    /// The service's slices in name order, without legacy slices of clusters that also
    /// have a current-format one (objects.md).
    func slicesInUse(_ o: ServiceObjects) -> [(cluster: String, legacy: Bool, object: EndpointSlice)] {
        let current = Set(o.slices.filter { !$0.legacy }.map(\.cluster))
        return o.slices
            .filter { !($0.legacy && current.contains($0.cluster)) }
            .sorted { $0.object.metadata.name < $1.object.metadata.name }
    }

    /// ClusterSetIP: per cluster, the service IP of each family from the current-format
    /// slices; legacy slices only where the cluster has no current one.
    func clusterSetIPRecords(_ o: ServiceObjects) -> [ClusterRecord] {
        var byCluster: [String: ClusterRecord] = [:]
        let current = Set(o.slices.filter { !$0.legacy }.map(\.cluster))
        for s in slicesInUse(o) {
            var r = byCluster[s.cluster] ?? ClusterRecord(cluster: s.cluster)
            if s.legacy {
                // Legacy slices list backend Pods: healthy with at least one; the service
                // IP comes from the legacy ServiceImport.
                if !s.object.endpoints.isEmpty { r.healthy = true }
            } else if let e = s.object.endpoints.first, let ip = e.addresses.first {
                let wasEmpty = r.v4.isEmpty && r.v6.isEmpty
                if ip.isIPv6 { if r.v6.isEmpty { r.v6 = [ip] } } else { if r.v4.isEmpty { r.v4 = [ip] } }
                r.healthy = r.healthy || (e.ready ?? true)
                if wasEmpty { r.ports = s.object.ports }
            }
            if r.ports.isEmpty { r.ports = s.object.ports }
            byCluster[s.cluster] = r
        }
        for l in o.legacyImports {
            var r = byCluster[l.cluster] ?? ClusterRecord(cluster: l.cluster)
            if !current.contains(l.cluster) {
                r.v4 = l.object.ips.filter { !$0.isIPv6 }.prefix(1).map { $0 }
                r.v6 = l.object.ips.filter(\.isIPv6).prefix(1).map { $0 }
                if r.ports.isEmpty { r.ports = l.object.ports }
            }
            byCluster[l.cluster] = r
        }
        return byCluster.values.sorted { $0.cluster < $1.cluster }
    }

    /// Headless: per cluster, the union of its slices' endpoints that are ready (or
    /// published though not ready), merged by host name across address families.
    func headlessRecords(_ o: ServiceObjects) -> [ClusterRecord] {
        var byCluster: [String: ClusterRecord] = [:]
        for s in slicesInUse(o) {
            var r = byCluster[s.cluster] ?? ClusterRecord(cluster: s.cluster)
            let publishAll = s.object.metadata.annotations[Self.publishNotReady] == "true"
            for e in s.object.endpoints where publishAll || (e.ready ?? true) {
                guard let first = e.addresses.first else { continue }
                let host: String
                switch config.mode {
                case .lighthouse: host = e.hostname ?? e.podName ?? first.dashed
                case .mcs: host = e.hostname ?? first.dashed
                }
                var endpoint = r.endpoints.first(where: { $0.host == host }) ?? EndpointRecord(host: host)
                for ip in e.addresses {
                    Self.addOnce(ip, v4: &endpoint.v4, v6: &endpoint.v6)
                    Self.addOnce(ip, v4: &r.v4, v6: &r.v6)
                }
                for p in s.object.ports where !endpoint.ports.contains(p) { endpoint.ports.append(p) }
                if let i = r.endpoints.firstIndex(where: { $0.host == host }) { r.endpoints[i] = endpoint } else { r.endpoints.append(endpoint) }
            }
            for p in s.object.ports where !r.ports.contains(p) { r.ports.append(p) }
            byCluster[s.cluster] = r
        }
        return byCluster.values.sorted { $0.cluster < $1.cluster }
    }

    /// Appends an address to the list of its family unless it is there already.
    static func addOnce(_ ip: IPAddress, v4: inout [IPAddress], v6: inout [IPAddress]) {
        if ip.isIPv6 {
            if !v6.contains(ip) { v6.append(ip) }
        } else if !v4.contains(ip) {
            v4.append(ip)
        }
    }

    // MARK: names

    /// The names a service owns in `zone`, or nil when the service does not exist there.
    func specs(service key: ServiceKey, objects o: ServiceObjects, zone: DNSName) -> [NameSpec]? {
        guard let type = (o.imports.first ?? o.legacyImports.first?.object)?.type,
              let base = try? zone.prepending(label: Array("svc".utf8))
                .prepending(label: Array(key.namespace.utf8)).prepending(label: Array(key.name.utf8))
        else { return nil }
        switch type {
        case .clusterSetIP: return clusterSetIPSpecs(key: key, objects: o, base: base)
        case .headless: return headlessSpecs(objects: o, base: base)
        }
    }

    func rr(_ name: DNSName, _ ip: IPAddress) -> ResourceRecord {
        ResourceRecord(name: name, type: ip.recordType, ttl: config.ttl, rdata: ip.record)
    }

    func srv(_ owner: DNSName, port: UInt16, target: DNSName) -> ResourceRecord {
        ResourceRecord(name: owner, type: .srv, ttl: config.ttl,
                       rdata: .srv(priority: Self.srvPriority, weight: Self.srvWeight, port: port, target: target))
    }

    /// Ports that get SRV records: in `mcs` mode unnamed ports get none.
    func srvPorts(_ ports: [ServicePort]) -> [ServicePort] {
        config.mode == .mcs ? ports.filter { !$0.name.isEmpty } : ports
    }

    /// `_name._proto.<owner>` and `name.proto.<owner>` for a named port.
    func portNames(_ p: ServicePort, under owner: DNSName) -> [DNSName] {
        guard !p.name.isEmpty else { return [] }
        var out: [DNSName] = []
        for (a, b) in [("_" + p.name, "_" + p.proto), (p.name, p.proto)] {
            if let n = try? owner.prepending(label: Array(b.utf8)).prepending(label: Array(a.utf8)) { out.append(n) }
        }
        return out
    }

    func label(_ text: String, under owner: DNSName) -> DNSName? {
        var name = owner
        // A cluster id of two labels (`<name>.<registry>`) is allowed in mcs mode only.
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        if labels.count > 1 && (config.mode != .mcs || labels.count > 2) { return nil }
        for l in labels.reversed() {
            guard !l.isEmpty, let n = try? name.prepending(label: Array(l.utf8)) else { return nil }
            name = n
        }
        return name
    }

    /// SRV specs for `owner` and its per-port names, given the SRV records' ports.
    func addSRV(_ specs: inout [NameSpec], owner: DNSName, ports: [ServicePort], target: (ServicePort) -> [DNSName], additional: [ResourceRecord], rotating: AnswerSpec? = nil) {
        var all: [ResourceRecord] = []
        var byName: [DNSName: [ResourceRecord]] = [:]
        for p in srvPorts(ports) {
            for t in target(p) {
                let r = srv(owner, port: p.port, target: t)
                if !all.contains(r) { all.append(r) }
                for n in portNames(p, under: owner) {
                    let pr = srv(n, port: p.port, target: t)
                    if !(byName[n] ?? []).contains(pr) { byName[n, default: []].append(pr) }
                }
            }
        }
        guard !all.isEmpty else { return }
        func answer(_ records: [ResourceRecord]) -> AnswerSpec {
            if case .rotating(let c, _, let cycle, let alts)? = rotating {
                // The additional section follows the A rotation without moving it.
                return .rotating(counter: c, advance: false, cycle: cycle,
                                 alternatives: alts.map { Sections(answer: records, additional: $0.additional) })
            }
            let targets = Set(records.compactMap { r -> DNSName? in if case .name(let n)? = r.rdata.pieces.last { return n }; return nil })
            return .fixed(Sections(answer: records, additional: additional.filter { targets.contains($0.name) }))
        }
        if let i = specs.firstIndex(where: { $0.name == owner }) { specs[i].answers[.srv] = answer(all) }
        for (n, records) in byName.sorted(by: { $0.key.wire.lexicographicallyPrecedes($1.key.wire) }) {
            specs.append(NameSpec(name: n, answers: [.srv: answer(records)]))
        }
    }

    func clusterSetIPSpecs(key: ServiceKey, objects o: ServiceObjects, base: DNSName) -> [NameSpec] {
        let clusters = clusterSetIPRecords(o)
        var main = NameSpec(name: base, acceptsPortNames: true)
        var specs: [NameSpec] = []
        let aggregate = o.imports.first
        let clustersetIPs = aggregate?.ips ?? []
        var srvPorts: [ServicePort]
        var srvAdditional: [ResourceRecord] = []
        var srvRotation: AnswerSpec? = nil

        if !clustersetIPs.isEmpty {
            for type in [RRType.a, .aaaa] {
                let ips = clustersetIPs.filter { $0.recordType == type }
                if !ips.isEmpty { main.answers[type] = .fixed(Sections(answer: ips.map { rr(base, $0) })) }
            }
            srvAdditional = clustersetIPs.map { rr(base, $0) }
            srvPorts = aggregate?.ports ?? []
        } else {
            let weights = self.weights(aggregate)
            let eligible = clusters.filter { isConnected($0.cluster) && $0.healthy && (weights[$0.cluster] ?? 1) > 0 }
            for type in [RRType.a, .aaaa] {
                let candidates = eligible.filter { !$0.addresses(type).isEmpty }
                if let local = candidates.first(where: { $0.cluster == localCluster }) {
                    main.answers[type] = .fixed(Sections(answer: local.addresses(type).map { rr(base, $0) }))
                } else if candidates.count == 1 {
                    main.answers[type] = .fixed(Sections(answer: candidates[0].addresses(type).map { rr(base, $0) }))
                } else if candidates.count > 1 {
                    let cycle = Self.smoothWeightedCycle(candidates.map { weights[$0.cluster] ?? 1 })
                    let alternatives = candidates.map { c in
                        Sections(answer: c.addresses(type).map { rr(base, $0) }, additional: (c.v4 + c.v6).map { rr(base, $0) })
                    }
                    let counter = counterSlot("\(key.namespace)/\(key.name)/\(type.mnemonic)")
                    main.answers[type] = .rotating(counter: counter, advance: true, cycle: cycle, alternatives: alternatives)
                    if srvRotation == nil { srvRotation = main.answers[type] }
                }
            }
            for type in [RRType.a, .aaaa] {
                if case .fixed(let s)? = main.answers[type] { srvAdditional += s.answer }
            }
            // Ports common to every cluster record (by name, protocol and number); no SRV
            // at all while no cluster can be chosen, as for A.
            if !eligible.isEmpty, var common = clusters.first?.ports {
                for c in clusters.dropFirst() { common = common.filter { c.ports.contains($0) } }
                srvPorts = common
            } else {
                srvPorts = []
            }
        }
        specs.append(main)
        addSRV(&specs, owner: base, ports: srvPorts, target: { _ in [base] }, additional: srvAdditional, rotating: srvRotation)
        if let i = specs.firstIndex(where: { $0.name == base }) { specs[i].any = anyAnswer(specs[i]) }

        // <cluster>.<svc>: that cluster's service IP, healthy or not (lighthouse mode).
        guard config.mode == .lighthouse else { return specs }
        for c in clusters {
            guard let owner = label(c.cluster, under: base) else { continue }
            var s = NameSpec(name: owner, acceptsPortNames: true)
            for type in [RRType.a, .aaaa] where !c.addresses(type).isEmpty {
                s.answers[type] = .fixed(Sections(answer: c.addresses(type).map { rr(owner, $0) }))
            }
            specs.append(s)
            addSRV(&specs, owner: owner, ports: c.ports, target: { _ in [owner] }, additional: (c.v4 + c.v6).map { rr(owner, $0) })
            if let i = specs.firstIndex(where: { $0.name == owner }) { specs[i].any = anyAnswer(specs[i]) }
        }
        return specs
    }

    func headlessSpecs(objects o: ServiceObjects, base: DNSName) -> [NameSpec]? {
        let clusters = headlessRecords(o)
        let connected = clusters.filter { isConnected($0.cluster) }
        let anyReady = connected.contains { !$0.endpoints.isEmpty }
        if config.mode == .mcs && !anyReady { return nil }

        var specs: [NameSpec] = []
        var main = NameSpec(name: base, acceptsPortNames: true)
        var hostRecords: [DNSName: [ResourceRecord]] = [:]
        var hostOrder: [DNSName] = []
        for c in clusters {
            guard let clusterName = label(c.cluster, under: base) else { continue }
            for e in c.endpoints {
                guard let host = try? clusterName.prepending(label: Array(e.host.utf8)) else { continue }
                if hostRecords[host] == nil { hostOrder.append(host) }
                for ip in e.v4 + e.v6 where !(hostRecords[host] ?? []).contains(rr(host, ip)) {
                    hostRecords[host, default: []].append(rr(host, ip))
                }
            }
        }
        for type in [RRType.a, .aaaa] {
            var seen: [IPAddress] = []
            for c in connected { for ip in c.addresses(type) where !seen.contains(ip) { seen.append(ip) } }
            if !seen.isEmpty { main.answers[type] = .fixed(Sections(answer: seen.map { rr(base, $0) })) }
        }
        specs.append(main)

        func endpointTargets(_ cs: [ClusterRecord]) -> (ServicePort) -> [DNSName] {
            return { port in
                var out: [DNSName] = []
                for c in cs {
                    guard let clusterName = label(c.cluster, under: base) else { continue }
                    for e in c.endpoints where e.ports.contains(port) {
                        if let t = try? clusterName.prepending(label: Array(e.host.utf8)), !out.contains(t) { out.append(t) }
                    }
                }
                return out
            }
        }
        let glue = hostOrder.flatMap { hostRecords[$0] ?? [] }
        var connectedPorts: [ServicePort] = []
        for c in connected { for e in c.endpoints { for p in e.ports where !connectedPorts.contains(p) { connectedPorts.append(p) } } }
        addSRV(&specs, owner: base, ports: connectedPorts, target: endpointTargets(connected), additional: glue)
        if let i = specs.firstIndex(where: { $0.name == base }) { specs[i].any = anyAnswer(specs[i]) }

        for c in clusters {
            guard let clusterName = label(c.cluster, under: base) else { continue }
            if config.mode == .lighthouse {
                var s = NameSpec(name: clusterName, acceptsPortNames: true)
                for type in [RRType.a, .aaaa] where !c.addresses(type).isEmpty {
                    s.answers[type] = .fixed(Sections(answer: c.addresses(type).map { rr(clusterName, $0) }))
                }
                specs.append(s)
                var ports: [ServicePort] = []
                for e in c.endpoints { for p in e.ports where !ports.contains(p) { ports.append(p) } }
                addSRV(&specs, owner: clusterName, ports: ports, target: endpointTargets([c]), additional: glue)
                if let i = specs.firstIndex(where: { $0.name == clusterName }) { specs[i].any = anyAnswer(specs[i]) }
            }
            for e in c.endpoints {
                guard let host = try? clusterName.prepending(label: Array(e.host.utf8)), let records = hostRecords[host],
                      !specs.contains(where: { $0.name == host }) else { continue }
                var s = NameSpec(name: host)
                for type in [RRType.a, .aaaa] {
                    let set = records.filter { $0.type == type }
                    if !set.isEmpty { s.answers[type] = .fixed(Sections(answer: set)) }
                }
                s.any = records
                specs.append(s)
            }
        }
        return specs
    }

    /// ANY (RFC 8482): the name's fixed RRsets; a rotating name gets the minimal HINFO.
    func anyAnswer(_ spec: NameSpec) -> [ResourceRecord]? {
        var out: [ResourceRecord] = []
        var rotating = false
        for type in spec.answers.keys.sorted() {
            switch spec.answers[type] {
            case .fixed(let s)?: out += s.answer
            case .rotating?: rotating = true
            case nil: break
            }
        }
        if rotating {
            return [ResourceRecord(name: spec.name, type: .hinfo, ttl: config.ttl, rdata: .txt(["RFC8482", ""]))]
        }
        return out.isEmpty ? nil : out
    }

    /// `sextant.io/weight.<cluster>` annotations; a bad value counts as the default 1.
    func weights(_ si: ServiceImport?) -> [String: Int] {
        var out: [String: Int] = [:]
        for (k, v) in si?.metadata.annotations ?? [:] where k.hasPrefix(Self.weightAnnotation) {
            let cluster = String(k.dropFirst(Self.weightAnnotation.count))
            if let w = Int(v), (0...1000).contains(w) { out[cluster] = w }
        }
        return out
    }

    /// Smooth weighted round robin (as nginx does it) unrolled into one full cycle: with
    /// weights 2 and 1 the cycle is 0, 1, 0. The same weights always give the same cycle.
    static func smoothWeightedCycle(_ weights: [Int]) -> [UInt16] {
        let w = weights.map { max($0, 1) }
        let total = w.reduce(0, +)
        var current = [Int](repeating: 0, count: w.count)
        var cycle: [UInt16] = []
        cycle.reserveCapacity(total)
        for _ in 0..<total {
            var best = 0
            for i in 0..<w.count {
                current[i] += w[i]
                if current[i] > current[best] { best = i }
            }
            current[best] -= total
            cycle.append(UInt16(best))
        }
        return cycle
    }
}

