import AnswerTable
import DNSWire

/// The answer rules of `spec/answers.md` for one service: from its objects and the
/// cluster set's state to the names it owns and what each answers. The one place
/// where a resolution rule lives.
struct ServiceResolver {
    let config: StoreConfiguration
    let localCluster: String?
    let isConnected: (String) -> Bool
    /// Gives a stable counter slot for a service's rotation of a type.
    let counterSlot: (ServiceKey, RRType) -> Int
    /// Whether a ClusterSetIP service's cluster names are kept as data
    /// (`ServiceTableWriter+Clusters`) rather than compiled; tests compare the two.
    var synthesizesClusterNames = true

    static let weightAnnotation = "sextant.io/weight."
    static let publishNotReady = "lighthouse.submariner.io/publish-not-ready-addresses"

    /// What one exporting cluster contributes to a service.
    /// A cluster's addresses are a list of one almost always (its service IP): held
    /// inline, no array made per cluster and service at every compile.
    struct ClusterRecord {
        var cluster: String
        var v4 = IPAddresses()
        var v6 = IPAddresses()
        var healthy = false
        var ports: [ServicePort] = []
        var endpoints: [EndpointRecord] = []

        func addresses(_ type: RRType) -> IPAddresses { type == .aaaa ? v6 : v4 }
    }

    struct EndpointRecord {
        var host: String
        var v4 = IPAddresses()
        var v6 = IPAddresses()
        var ports: [ServicePort] = []
    }

    // MARK: cluster records

    /// Indexes of the service's slices in name order, without legacy slices of clusters
    /// that also have a current-format one (objects.md). Indexes, not copies: a slice
    /// copied is a retain per field. The store gives a service's objects in key order,
    /// and a service's slices share one namespace (the broker's, or the service's: the
    /// layout rules), so they come in name order already.
    func slicesInUse(_ o: ServiceObjects) -> [Int] {
        var current: [String] = []
        for s in o.slices where !s.legacy && !current.contains(s.cluster) { current.append(s.cluster) }
        return o.slices.indices.filter { !(o.slices[$0].legacy && current.contains(o.slices[$0].cluster)) }
    }

    /// The record of `cluster` in `records`, added if missing; records stay in cluster
    /// order (a handful: a linear search beats a dictionary).
    static func record(_ cluster: String, in records: inout [ClusterRecord]) -> Int {
        // A service's slices come in name order, so usually in cluster order: a new last.
        if records.isEmpty || records[records.count - 1].cluster < cluster {
            records.append(ClusterRecord(cluster: cluster))
            return records.count - 1
        }
        var i = 0
        while i < records.count {
            if records[i].cluster == cluster { return i }
            if cluster < records[i].cluster { break }
            i += 1
        }
        records.insert(ClusterRecord(cluster: cluster), at: i)
        return i
    }

    /// ClusterSetIP: per cluster, the service IP of each family from the current-format
    /// slices; legacy slices only where the cluster has no current one.
    func clusterSetIPRecords(_ o: ServiceObjects) -> [ClusterRecord] {
        var records: [ClusterRecord] = []
        records.reserveCapacity(o.slices.count + o.legacyImports.count)
        // Without legacy slices every slice is in use (the usual case: no list made).
        let inUse: [Int]? = o.slices.contains(where: \.legacy) ? slicesInUse(o) : nil
        var n = 0
        while n < (inUse?.count ?? o.slices.count) {
            let s = o.slices[inUse?[n] ?? n]
            n += 1
            let i = Self.record(s.cluster, in: &records)
            if s.legacy {
                // Legacy slices list backend Pods: healthy with at least one; the service
                // IP comes from the legacy ServiceImport.
                if !s.object.endpoints.isEmpty { records[i].healthy = true }
            } else if let e = s.object.endpoints.first, let ip = e.addresses.first {
                let wasEmpty = records[i].v4.isEmpty && records[i].v6.isEmpty
                if ip.isIPv6 {
                    if records[i].v6.isEmpty { records[i].v6 = IPAddresses(one: ip) }
                } else if records[i].v4.isEmpty {
                    records[i].v4 = IPAddresses(one: ip)
                }
                records[i].healthy = records[i].healthy || (e.ready ?? true)
                if wasEmpty { records[i].ports = s.object.ports }
            }
            if records[i].ports.isEmpty { records[i].ports = s.object.ports }
        }
        for l in o.legacyImports {
            let i = Self.record(l.cluster, in: &records)
            if !o.slices.contains(where: { !$0.legacy && $0.cluster == l.cluster }) {
                records[i].v4 = IPAddresses(l.object.ips.filter { !$0.isIPv6 }.prefix(1).map { $0 })
                records[i].v6 = IPAddresses(l.object.ips.filter(\.isIPv6).prefix(1).map { $0 })
                if records[i].ports.isEmpty { records[i].ports = l.object.ports }
            }
        }
        return records
    }

    /// Headless: per cluster, the union of its slices' endpoints that are ready (or
    /// published though not ready), merged by host name across address families.
    func headlessRecords(_ o: ServiceObjects) -> [ClusterRecord] {
        var records: [ClusterRecord] = []
        for k in slicesInUse(o) {
            let s = o.slices[k]
            let i = Self.record(s.cluster, in: &records)
            var r = records[i]
            let publishAll = s.object.metadata.annotation(Self.publishNotReady) == "true"
            for e in s.object.endpoints where publishAll || (e.ready ?? true) {
                guard let first = e.addresses.first else { continue }
                let host: String
                switch config.mode {
                case .lighthouse: host = e.hostname ?? e.podName ?? first.dashed
                case .mcs: host = e.hostname ?? first.dashed
                }
                let j = r.endpoints.firstIndex(where: { $0.host == host }) ?? {
                    r.endpoints.append(EndpointRecord(host: host))
                    return r.endpoints.count - 1
                }()
                var endpoint = r.endpoints[j]
                for ip in e.addresses {
                    Self.addOnce(ip, v4: &endpoint.v4, v6: &endpoint.v6)
                    Self.addOnce(ip, v4: &r.v4, v6: &r.v6)
                }
                for p in s.object.ports where !endpoint.ports.contains(p) { endpoint.ports.append(p) }
                r.endpoints[j] = endpoint
            }
            for p in s.object.ports where !r.ports.contains(p) { r.ports.append(p) }
            records[i] = r
        }
        return records
    }

    /// Appends an address to the list of its family unless it is there already.
    static func addOnce(_ ip: IPAddress, v4: inout IPAddresses, v6: inout IPAddresses) {
        if ip.isIPv6 {
            if !v6.contains(ip) { v6.append(ip) }
        } else if !v4.contains(ip) {
            v4.append(ip)
        }
    }

    // MARK: names

    typealias Name = ServiceTableWriter.Name

    /// What an SRV answer's additional section may hold: addresses at one name (a
    /// ClusterSetIP service or cluster name, in the order given) or the headless hosts'.
    /// Records go in only for names the answer targets.
    enum Glue {
        case at(Name, [IPAddress], [IPAddress])
        case hosts([(name: Name, ips: [IPAddress])])
    }

    /// The SRV records' targets: one name for every port, or per port.
    enum Targets {
        case name(Name)
        case perPort((ServicePort) -> [Name])
    }

    /// A rotation the SRV answers follow without moving it: the A rotation's counter and
    /// cycle, and each alternative's additional section.
    struct SRVRotation {
        var counter: Int
        var cycle: [UInt16]
        var glue: [Glue]
    }

    /// The glue of `records`' targets, as additional records.
    func writeGlue(_ glue: Glue, for records: [(port: UInt16, target: Name)], into w: inout ServiceTableWriter) {
        switch glue {
        case .at(let owner, let first, let then):
            guard records.contains(where: { $0.target == owner }) else { return }
            for ip in first { w.address(owner, ip, additional: true) }
            for ip in then { w.address(owner, ip, additional: true) }
        case .hosts(let hosts):
            for h in hosts where records.contains(where: { $0.target == h.name }) {
                for ip in h.ips { w.address(h.name, ip, additional: true) }
            }
        }
    }

    /// The service's table in `zone`, or nil when the service does not exist there.
    func table(service key: ServiceKey, objects o: ServiceObjects, zone: DNSName, zoneIndex: Int,
               writer w: inout ServiceTableWriter, counters: RotationCounters) -> NameTable? {
        guard let type = (o.imports.first ?? o.legacyImports.first?.object)?.type,
              w.reset(service: key, zone: zone, zoneIndex: zoneIndex, ttl: config.ttl) else { return nil }
        switch type {
        case .clusterSetIP: writeClusterSetIP(key: key, objects: o, into: &w)
        case .headless: guard writeHeadless(key: key, objects: o, into: &w) else { return nil }
        }
        return w.finish(counters: counters)
    }

    /// A fixed answer of addresses at `owner`; nothing when there are none.
    func addresses(_ ips: [IPAddress], at owner: Name, _ type: RRType, into w: inout ServiceTableWriter) {
        guard !ips.isEmpty else { return }
        w.beginAnswer(for: owner)
        for ip in ips { w.address(owner, ip) }
        w.fixed(owner, type, w.endAnswer())
    }

    /// Addresses at `owner`, at most `maxRecords` of them in one answer: past the cap the
    /// answer rotates over windows of that size (wrapping to the first addresses, so every
    /// window is full), one window further per query. The windows start evenly spread and
    /// are an odd number: a resolver that gets TC over UDP and asks again over TCP moves
    /// the rotation two steps per refresh, and with an even number it would see every
    /// other window only. The service's counter of `type` drives its capped names.
    func cappedAddresses(_ ips: [IPAddress], at owner: Name, _ type: RRType, service: ServiceKey, into w: inout ServiceTableWriter) {
        guard let cap = config.maxRecords, ips.count > cap else {
            addresses(ips, at: owner, type, into: &w)
            return
        }
        var windows = (ips.count + cap - 1) / cap
        if windows % 2 == 0 { windows += 1 }
        var alternatives: [NameTable.AnswerRef] = []
        alternatives.reserveCapacity(windows)
        for window in 0..<windows {
            // Consecutive starts are at most ceil(count / windows) <= cap apart: no gap.
            let start = window * ips.count / windows
            w.beginAnswer(for: owner)
            for i in 0..<cap { w.address(owner, ips[(start + i) % ips.count]) }
            alternatives.append(w.endAnswer())
        }
        w.rotating(owner, type, counter: counterSlot(service, type), advance: true,
                   cycle: (0..<windows).map { UInt16($0) }, alternatives: alternatives)
    }

    /// Ports that get SRV records: in `mcs` mode unnamed ports get none.
    func srvPorts(_ ports: [ServicePort]) -> [ServicePort] {
        config.mode == .mcs ? ports.filter { !$0.name.isEmpty } : ports
    }

    /// `_name._proto.<owner>` and `name.proto.<owner>` for a named port.
    func portNames(_ p: ServicePort, under owner: Name, _ w: inout ServiceTableWriter) -> (Name?, Name?) {
        guard !p.name.isEmpty else { return (nil, nil) }
        func name(_ prefix: UInt8?) -> Name? {
            guard let proto = w.name(p.proto, prefix: prefix, under: owner) else { return nil }
            return w.name(p.name, prefix: prefix, under: proto)
        }
        return (name(UInt8(ascii: "_")), name(nil))
    }

    /// `<cluster>.<owner>`; a cluster id of two labels (`<name>.<registry>`) is allowed in
    /// mcs mode only.
    func clusterName(_ text: String, under owner: Name, _ w: inout ServiceTableWriter) -> Name? {
        // One label, the common case, without splitting (a Character split is slow).
        guard text.utf8.contains(UInt8(ascii: ".")) else { return w.name(text, under: owner) }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        if labels.count > 1 && (config.mode != .mcs || labels.count > 2) { return nil }
        var name = owner
        for l in labels.reversed() {
            guard let n = w.name(String(l), under: name) else { return nil }
            name = n
        }
        return name
    }

    /// SRV answers at `owner` and at its per-port names, given the SRV records' ports and
    /// each port's targets; the additional section holds the glue of the answer's targets
    /// (or, following a rotation, the alternative's). Returns the owner's records, for ANY.
    @discardableResult
    func addSRV(owner: Name, ports: [ServicePort], targets: Targets, glue: Glue, rotation: SRVRotation? = nil,
                portNames withPortNames: Bool = true, into w: inout ServiceTableWriter) -> [(port: UInt16, target: Name)] {
        var all: [(port: UInt16, target: Name)] = []
        var byName: [(name: Name, records: [(port: UInt16, target: Name)])] = []
        func add(_ p: ServicePort, _ t: Name, _ names: (Name?, Name?)) {
            if !all.contains(where: { $0 == (p.port, t) }) { all.append((p.port, t)) }
            for case let n? in [names.0, names.1] {
                let i = byName.firstIndex { $0.name == n } ?? { byName.append((n, [])); return byName.count - 1 }()
                if !byName[i].records.contains(where: { $0 == (p.port, t) }) { byName[i].records.append((p.port, t)) }
            }
        }
        for p in srvPorts(ports) {
            switch targets {
            case .name(let t):
                add(p, t, withPortNames ? portNames(p, under: owner, &w) : (nil, nil))
            case .perPort(let f):
                let ts = f(p)
                guard !ts.isEmpty else { continue }
                let names = portNames(p, under: owner, &w)
                for t in ts { add(p, t, names) }
            }
        }
        guard !all.isEmpty else { return [] }
        func answer(at n: Name, _ records: [(port: UInt16, target: Name)]) {
            if let r = rotation {
                var alternatives: [NameTable.AnswerRef] = []
                for g in r.glue {
                    w.beginAnswer(for: n)
                    for s in records { w.srv(n, port: s.port, target: s.target) }
                    writeGlue(g, for: records, into: &w)
                    alternatives.append(w.endAnswer())
                }
                w.rotating(n, .srv, counter: r.counter, advance: false, cycle: r.cycle, alternatives: alternatives)
                return
            }
            w.beginAnswer(for: n)
            for s in records { w.srv(n, port: s.port, target: s.target) }
            writeGlue(glue, for: records, into: &w)
            w.fixed(n, .srv, w.endAnswer())
        }
        answer(at: owner, all)
        for (n, records) in byName { answer(at: n, records) }
        return all
    }

    /// ANY (RFC 8482): the name's fixed RRsets in type order (A, AAAA, SRV); a rotating
    /// name gets the minimal HINFO; none at all answers NODATA.
    func writeAny(_ owner: Name, ips: [IPAddress], _ more: [IPAddress] = [], srv: [(port: UInt16, target: Name)], rotating: Bool,
                  into w: inout ServiceTableWriter) {
        if rotating {
            w.beginAnswer(for: owner)
            w.minimalAny(owner)
            w.any(owner, w.endAnswer())
            return
        }
        guard !ips.isEmpty || !more.isEmpty || !srv.isEmpty else { return }
        w.beginAnswer(for: owner)
        for ip in ips where !ip.isIPv6 { w.address(owner, ip) }
        for ip in more where !ip.isIPv6 { w.address(owner, ip) }
        for ip in ips where ip.isIPv6 { w.address(owner, ip) }
        for ip in more where ip.isIPv6 { w.address(owner, ip) }
        for s in srv { w.srv(owner, port: s.port, target: s.target) }
        w.any(owner, w.endAnswer())
    }

    func writeClusterSetIP(key: ServiceKey, objects o: ServiceObjects, into w: inout ServiceTableWriter) {
        let clusters = clusterSetIPRecords(o)
        let base = ServiceTableWriter.key
        w.own(base, acceptsPortNames: true)
        let aggregate = o.imports.first
        let clustersetIPs = aggregate?.ips ?? []
        // The service name's fixed addresses (A, then AAAA), the SRV answers' glue.
        var fixedIPs: [IPAddress] = []
        var srvGlue: [IPAddress]
        var srvPorts: [ServicePort]
        var rotation: SRVRotation? = nil

        if !clustersetIPs.isEmpty {
            let all = Array(clustersetIPs)
            if !all.contains(where: \.isIPv6) {
                // IPv4 only (the usual case): the one list serves all three.
                addresses(all, at: base, .a, into: &w)
                fixedIPs = all
            } else {
                for type in [RRType.a, .aaaa] {
                    let ips = all.filter { $0.recordType == type }
                    addresses(ips, at: base, type, into: &w)
                    fixedIPs += ips
                }
            }
            srvGlue = all
            srvPorts = aggregate?.ports ?? []
        } else {
            let weights = self.weights(aggregate)
            let eligible = clusters.filter { isConnected($0.cluster) && $0.healthy && (weights[$0.cluster] ?? 1) > 0 }
            for type in [RRType.a, .aaaa] {
                let candidates = eligible.filter { !$0.addresses(type).isEmpty }
                if let chosen = candidates.first(where: { $0.cluster == localCluster }) ?? (candidates.count == 1 ? candidates[0] : nil) {
                    addresses(Array(chosen.addresses(type)), at: base, type, into: &w)
                    fixedIPs += chosen.addresses(type)
                } else if candidates.count > 1 {
                    let cycle = Self.smoothWeightedCycle(candidates.map { weights[$0.cluster] ?? 1 })
                    var alternatives: [NameTable.AnswerRef] = []
                    // The addresses alone: an A answer needs no additional section (the
                    // cluster's other family would only make the reply longer).
                    for c in candidates {
                        w.beginAnswer(for: base)
                        for ip in c.addresses(type) { w.address(base, ip) }
                        alternatives.append(w.endAnswer())
                    }
                    let counter = counterSlot(key, type)
                    w.rotating(base, type, counter: counter, advance: true, cycle: cycle, alternatives: alternatives)
                    if rotation == nil {
                        rotation = SRVRotation(counter: counter, cycle: cycle, glue: candidates.map { .at(base, Array($0.v4), Array($0.v6)) })
                    }
                }
            }
            srvGlue = fixedIPs
            // Ports common to every cluster record (by name, protocol and number); no SRV
            // at all while no cluster can be chosen, as for A.
            if !eligible.isEmpty, var common = clusters.first?.ports {
                for c in clusters.dropFirst() { common = common.filter { c.ports.contains($0) } }
                srvPorts = common
            } else {
                srvPorts = []
            }
        }
        // Cluster names as data (lighthouse mode), and then the service's own port names
        // too when their answers do not follow a rotation (`ServiceTableWriter+Clusters`).
        let names = config.mode == .lighthouse && synthesizesClusterNames
            ? ServiceTableWriter.clusterNames(clusters.map { .init(label: $0.cluster, v4: $0.v4, v6: $0.v6, ports: $0.ports) },
                                              keyLength: w.keyLength, keyPorts: srvPorts) : nil
        let keyPorts = names != nil && rotation == nil
            ? ServiceTableWriter.KeyPortNames(ports: srvPorts, glue: srvGlue, keyLength: w.keyLength) : nil
        let srv = addSRV(owner: base, ports: srvPorts, targets: .name(base), glue: .at(base, srvGlue, []),
                         rotation: rotation, portNames: keyPorts == nil, into: &w)
        writeAny(base, ips: fixedIPs, srv: srv, rotating: rotation != nil, into: &w)

        // <cluster>.<svc>: that cluster's service IP, healthy or not (lighthouse mode).
        guard config.mode == .lighthouse else { return }
        if let names {
            w.clusterSection(names, keyPorts: keyPorts, keyLength: w.keyLength)
            return
        }
        for c in clusters {
            guard let owner = clusterName(c.cluster, under: base, &w) else { continue }
            w.own(owner, acceptsPortNames: true)
            let v4 = Array(c.v4), v6 = Array(c.v6)
            addresses(v4, at: owner, .a, into: &w)
            addresses(v6, at: owner, .aaaa, into: &w)
            let srv = addSRV(owner: owner, ports: c.ports, targets: .name(owner), glue: .at(owner, v4, v6), into: &w)
            writeAny(owner, ips: v4, v6, srv: srv, rotating: false, into: &w)
        }
    }

    /// False when the service has no names in this zone (mcs mode with nothing ready).
    func writeHeadless(key: ServiceKey, objects o: ServiceObjects, into w: inout ServiceTableWriter) -> Bool {
        let clusters = headlessRecords(o)
        let connected = clusters.indices.filter { isConnected(clusters[$0].cluster) }
        let anyReady = connected.contains { !clusters[$0].endpoints.isEmpty }
        if config.mode == .mcs && !anyReady { return false }
        let base = ServiceTableWriter.key
        w.own(base, acceptsPortNames: true)

        // <host>.<cluster>.<svc> names and their addresses, in first-seen order.
        var clusterNames: [Name?] = []
        var hostNames: [[Name?]] = []
        var hostIndex: [Name: Int] = [:]
        var hosts: [(name: Name, ips: [IPAddress])] = []
        for c in clusters {
            let cn = clusterName(c.cluster, under: base, &w)
            clusterNames.append(cn)
            var names: [Name?] = []
            for e in c.endpoints {
                guard let cn, let host = w.name(e.host, under: cn) else { names.append(nil); continue }
                names.append(host)
                let i = hostIndex[host] ?? { hosts.append((host, [])); hostIndex[host] = hosts.count - 1; return hosts.count - 1 }()
                for ip in Array(e.v4) + e.v6 where !hosts[i].ips.contains(ip) { hosts[i].ips.append(ip) }
            }
            hostNames.append(names)
        }
        var fixedIPs: [IPAddress] = []
        for type in [RRType.a, .aaaa] {
            var seen: [IPAddress] = []
            for i in connected { for ip in clusters[i].addresses(type) where !seen.contains(ip) { seen.append(ip) } }
            cappedAddresses(seen, at: base, type, service: key, into: &w)
            fixedIPs += seen
        }
        func endpointTargets(_ cs: [Int]) -> (ServicePort) -> [Name] {
            return { port in
                var out: [Name] = []
                for i in cs {
                    for (j, e) in clusters[i].endpoints.enumerated() where e.ports.contains(port) {
                        if let t = hostNames[i][j], !out.contains(t) { out.append(t) }
                    }
                }
                return out
            }
        }
        let glue = Glue.hosts(hosts)
        var connectedPorts: [ServicePort] = []
        for i in connected { for e in clusters[i].endpoints { for p in e.ports where !connectedPorts.contains(p) { connectedPorts.append(p) } } }
        let srv = addSRV(owner: base, ports: connectedPorts, targets: .perPort(endpointTargets(connected)), glue: glue, into: &w)
        writeAny(base, ips: fixedIPs, srv: srv, rotating: false, into: &w)

        for (i, c) in clusters.enumerated() {
            guard let cn = clusterNames[i] else { continue }
            if config.mode == .lighthouse {
                w.own(cn, acceptsPortNames: true)
                let v4 = Array(c.v4), v6 = Array(c.v6)
                cappedAddresses(v4, at: cn, .a, service: key, into: &w)
                cappedAddresses(v6, at: cn, .aaaa, service: key, into: &w)
                var ports: [ServicePort] = []
                for e in c.endpoints { for p in e.ports where !ports.contains(p) { ports.append(p) } }
                let srv = addSRV(owner: cn, ports: ports, targets: .perPort(endpointTargets([i])), glue: glue, into: &w)
                writeAny(cn, ips: v4, v6, srv: srv, rotating: false, into: &w)
            }
            for j in c.endpoints.indices {
                guard let host = hostNames[i][j], let h = hostIndex[host], !w.isOwner(host) else { continue }
                let ips = hosts[h].ips
                addresses(ips.filter { !$0.isIPv6 }, at: host, .a, into: &w)
                addresses(ips.filter(\.isIPv6), at: host, .aaaa, into: &w)
                w.own(host)
                // ANY: the addresses as they came (not grouped by type).
                w.beginAnswer(for: host)
                for ip in ips { w.address(host, ip) }
                w.any(host, w.endAnswer())
            }
        }
        return true
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

