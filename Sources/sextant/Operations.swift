import ClusterSet
import ClusterSync
import DNSServer
import FastJSON
import FoundationEssentials
import KubeClient
import OpsHTTP
import Locking

/// The operations endpoints: what `/health`, `/ready`, `/metrics` and `/debug/state`
/// answer, read from the server, the store and the API watches at the time of asking.
/// Runs on the HTTP server's queue; reads the store on the store's queue.
final class Operations: Sendable {
    let server: Server
    let publisher: StorePublisher
    let sync: ClusterSync?
    /// What `/debug/state` says of the sources: the zones folder and the API server.
    let zonesPath: String
    let apiServer: String?
    let configuration: StoreConfiguration
    /// The state file the API's objects were restored from at start, if they were.
    let restoredFrom: String?

    /// Event → published table, in seconds: cumulative counts per bound, count, sum.
    static let latencyBounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
    /// The store's gauges as of a table generation: a walk of every object (0.1 s at
    /// 100,000 services, on the store's queue), made again only when the table changed.
    private let summaryCache = Locked<(generation: Int, summary: StoreSummary)?>(nil)
    private let latency = Locked<(buckets: [Int], count: Int, sum: Double)>(([Int](repeating: 0, count: Operations.latencyBounds.count), 0, 0))

    init(server: Server, publisher: StorePublisher, sync: ClusterSync?, zonesPath: String, apiServer: String?,
         configuration: StoreConfiguration, restoredFrom: String? = nil) {
        self.restoredFrom = restoredFrom
        self.server = server
        self.publisher = publisher
        self.sync = sync
        self.zonesPath = zonesPath
        self.apiServer = apiServer
        self.configuration = configuration
        publisher.onEventsPublished { [weak self] waited in self?.observe(waited) }
    }

    private func observe(_ waited: [UInt64]) {
        latency.withLock { l in
            for ns in waited {
                let s = Double(ns) / 1e9
                l.count += 1
                l.sum += s
                for (i, b) in Self.latencyBounds.enumerated() where s <= b { l.buckets[i] += 1 }
            }
        }
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        switch request.path {
        case "/health":
            return server.isServing ? HTTPResponse(status: 200, text: "ok\n") : HTTPResponse(status: 503, text: "stopping\n")
        case "/ready":
            let missing = notReady()
            return missing.isEmpty ? HTTPResponse(status: 200, text: "ready\n")
                : HTTPResponse(status: 503, text: "not ready: " + missing.joined(separator: "; ") + "\n")
        case "/metrics":
            return HTTPResponse(status: 200, contentType: PrometheusText.contentType, text: metrics())
        case "/debug/state":
            // The first 1,000 services unless asked for all (`?services=all`): the whole
            // state of 100,000 services is 58 MB of JSON and seconds of work.
            let all = request.query.split(separator: "&").contains("services=all")
            return HTTPResponse(status: 200, contentType: "application/json", body: state(limit: all ? nil : Self.stateServices))
        default:
            return HTTPResponse(status: 404, text: "not found: /health, /ready, /metrics, /debug/state\n")
        }
    }

    /// What has not been read yet, in words; empty when ready.
    func notReady() -> [String] {
        var out: [String] = []
        if !server.isServing { out.append("the DNS workers are not running") }
        // Restored from the state file counts as read: the answers are there (marked stale).
        if let sync, restoredFrom == nil {
            let waiting = sync.report().filter { !$0.listed }.map(\.resource)
            if !waiting.isEmpty { out.append("waiting for the first list of \(waiting.joined(separator: ", ")) from \(apiServer ?? "the API server")") }
        }
        return out
    }

    // MARK: metrics

    func metrics() -> String {
        var p = PrometheusText()
        let q = server.queryStatistics()
        p.family("sextant_dns_replies_total", .counter, "DNS replies sent, by transport, question type and rcode.")
        for (transport, s) in [("udp", q.udp), ("tcp", q.tcp)] {
            for (t, type) in QueryCounters.typeLabels.enumerated() {
                for (r, rcode) in QueryCounters.rcodeLabels.enumerated() where s.replies[t][r] > 0 || (t == 0 && r == 0) {
                    p.sample("sextant_dns_replies_total", s.replies[t][r], labels: ["transport": transport, "type": type, "rcode": rcode])
                }
            }
        }
        p.family("sextant_dns_truncated_total", .counter, "Replies sent with TC set (too large for the transport).")
        p.sample("sextant_dns_truncated_total", q.udp.truncated, labels: ["transport": "udp"])
        p.sample("sextant_dns_truncated_total", q.tcp.truncated, labels: ["transport": "tcp"])
        p.family("sextant_dns_dropped_total", .counter, "Messages that got no reply: malformed beyond a header, replies sent to the server, or over the --rrl rate.")
        p.sample("sextant_dns_dropped_total", q.udp.dropped, labels: ["transport": "udp"])
        p.sample("sextant_dns_dropped_total", q.tcp.dropped, labels: ["transport": "tcp"])
        p.single("sextant_tcp_connections_open", .gauge, "TCP connections open.", Double(server.openTCPConnections))
        p.single("sextant_tcp_connections_refused_total", .counter, "TCP connections closed at accept: at the limit, none idle.",
                 Double(server.refusedTCPConnections))
        p.family("sextant_tcp_connections_closed_idle_total", .counter, "TCP connections closed for idleness: the idle timeout, or to make room at the limit.")
        p.sample("sextant_tcp_connections_closed_idle_total", server.idleClosedTCPConnections, labels: ["why": "timeout"])
        p.sample("sextant_tcp_connections_closed_idle_total", server.evictedTCPConnections, labels: ["why": "limit"])

        if let f = server.configuration.forwarder { forwarderMetrics(&p, f, cacheHits: q.udp.cacheHits + q.tcp.cacheHits) }

        p.single("sextant_answer_table_generation", .gauge, "Answer tables published since start.", Double(publisher.snapshots.currentGeneration))
        p.single("sextant_answer_table_age_seconds", .gauge, "Seconds since the answer table in use was published.", publisher.tableAge)
        let summary = currentSummary()
        p.single("sextant_services", .gauge, "Imported services held.", Double(summary.services))
        p.single("sextant_clusters", .gauge, "Clusters exporting at least one EndpointSlice.", Double(summary.clusters))
        p.single("sextant_endpoints", .gauge, "Endpoint addresses in the EndpointSlices held.", Double(summary.endpoints))
        p.single("sextant_connected_clusters", .gauge, "Of those clusters, the connected ones (all of them without Gateway objects).",
                 Double(summary.connectedClusters))
        p.single("sextant_objects", .gauge, "Objects held, from every source.", Double(summary.objects))
        p.single("sextant_ready", .gauge, "1 once every source has been read (/ready).", notReady().isEmpty ? 1 : 0)

        // Every resource has its samples, zero without an API server: the families and
        // their series stay the same whatever the sources.
        let reported = sync?.report() ?? []
        let kinds = ObjectKind.allCases.map { kind in
            reported.first { $0.kind == kind }
                ?? SyncReport(kind: kind, resource: ClusterSync.resourceName(kind), listed: false, unavailable: false, lists: 0,
                              relists: [:], restarts: [:], upserts: 0, deletes: 0, rejected: 0)
        }
        p.family("sextant_watch_events_total", .counter, "Watch events received, by resource and type.")
        for k in kinds {
            p.sample("sextant_watch_events_total", k.upserts, labels: ["resource": k.resource, "type": "upsert"])
            p.sample("sextant_watch_events_total", k.deletes, labels: ["resource": k.resource, "type": "delete"])
        }
        p.family("sextant_lists_total", .counter, "Complete lists of a resource, the first included.")
        for k in kinds { p.sample("sextant_lists_total", k.lists, labels: ["resource": k.resource]) }
        p.family("sextant_relists_total", .counter, "Lists after the first, by resource and reason.")
        for k in kinds {
            for why in ReflectorStatistics.Relist.allCases {
                p.sample("sextant_relists_total", k.relists[why] ?? 0, labels: ["resource": k.resource, "reason": why.rawValue])
            }
        }
        p.family("sextant_watch_restarts_total", .counter, "Watches (or lists) ended and opened again, by resource and reason.")
        for k in kinds {
            for why in ReflectorStatistics.Restart.allCases {
                p.sample("sextant_watch_restarts_total", k.restarts[why] ?? 0, labels: ["resource": k.resource, "reason": why.rawValue])
            }
        }
        p.family("sextant_objects_rejected_total", .counter, "Objects from the API server that could not be read, by kind.")
        for k in kinds { p.sample("sextant_objects_rejected_total", k.rejected, labels: ["kind": k.kind.rawValue]) }
        p.family("sextant_watch_event_publish_seconds", .histogram, "From a watch event's arrival to the answer table that includes it.")
        let l = latency.withLock { $0 }
        p.histogram("sextant_watch_event_publish_seconds", bounds: Self.latencyBounds, cumulative: l.buckets, count: l.count, sum: l.sum)

        let proc = ProcessStats.read()
        p.single("process_resident_memory_bytes", .gauge, "Resident memory size in bytes.", proc.residentBytes)
        p.single("process_cpu_seconds_total", .counter, "User and system CPU time spent, in seconds.", proc.cpuSeconds)
        p.single("process_open_fds", .gauge, "Open file descriptors.", Double(proc.openFDs))
        p.single("process_max_fds", .gauge, "The open file descriptor limit.", Double(proc.maxFDs))
        p.single("process_start_time_seconds", .gauge, "Start time of the process since the Unix epoch, in seconds.", proc.startTime)
        return p.text
    }

    private func currentSummary() -> StoreSummary {
        let generation = publisher.snapshots.currentGeneration
        if let cached = summaryCache.withLock({ $0 }), cached.generation == generation { return cached.summary }
        let fresh = publisher.read { $0.summary() }
        summaryCache.withLock { $0 = (generation, fresh) }
        return fresh
    }

    // MARK: state

    /// `/debug/state`: services, clusters, connectivity, sources and their sync state,
    /// generation. Never a token or a key: the API server appears as its URL only.
    static let stateServices = 1000

    func state(limit: Int?) -> [UInt8] {
        let report = publisher.read { $0.report(limit: limit) }
        let services: [[String: Any]] = report.services.map { s in
            ["namespace": s.namespace, "name": s.name, "type": s.type, "clustersetIPs": s.clustersetIPs,
             "clusters": s.clusters.map { c in ["name": c.name, "endpoints": c.endpoints, "ready": c.ready, "connected": c.connected] as [String: Any] }]
        }
        let connected = report.connected.map(Set.init)
        let clusters: [[String: Any]] = report.clusters.map { c in
            ["name": c, "local": c == report.localCluster, "connected": connected.map { $0.contains(c) } ?? true]
        }
        var sources: [[String: Any]] = [["name": "zones", "path": zonesPath, "state": "loaded"]]
        if let sync {
            let kinds: [[String: Any]] = sync.report().map { k in
                ["resource": k.resource, "listed": k.listed, "unavailable": k.unavailable, "lists": k.lists,
                 "upserts": k.upserts, "deletes": k.deletes, "rejected": k.rejected,
                 "restarts": Dictionary(uniqueKeysWithValues: k.restarts.map { ($0.key.rawValue, $0.value) })]
            }
            let synced = kinds.allSatisfy { $0["listed"] as? Bool == true }
            var api: [String: Any] = ["name": "api", "server": apiServer ?? "",
                                      "state": synced ? "synced" : restoredFrom != nil ? "restored (stale) and syncing" : "syncing",
                                      "resources": kinds]
            if let restoredFrom { api["stateFile"] = restoredFrom }
            sources.append(api)
        }
        let root: [String: Any] = [
            "generation": publisher.snapshots.currentGeneration,
            "tableAgeSeconds": (publisher.tableAge * 1000).rounded() / 1000,
            "ready": notReady().isEmpty,
            "stale": publisher.snapshots.table.isStale,
            "mode": configuration.mode.rawValue,
            "zones": configuration.zones.map(\.description),
            "localCluster": report.localCluster as Any,
            "connectivity": ["source": report.connected == nil ? "none (every cluster is connected)" : "gateways",
                             "connected": report.connected as Any,
                             "connections": report.connections.map { ["gateway": $0.gateway, "cluster": $0.cluster, "status": $0.status] }] as [String: Any],
            "services": services,
            "servicesTotal": report.servicesTotal,
            "servicesTruncated": services.count < report.servicesTotal,
            "clusters": clusters,
            "sources": sources,
            "objects": report.objects,
            "ignored": report.ignored,
        ]
        return (JSONWriter.bytes(root, pretty: true) ?? Array("{}".utf8)) + [10]
    }
}
