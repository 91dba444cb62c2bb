import AnswerTable
import ClusterSet
import ClusterSync
import DNSServer
import DNSWire
import Foundation
import KubeClient
import Logging
import Testing

/// ClusterSync in-process against the test API server: the store must follow the
/// server through every fault kubernetes-watch.md lists.
final class SyncHarness: @unchecked Sendable {
    // @unchecked: the test drives it from one thread.
    let api: KubeTestServer
    let publisher: StorePublisher
    let sync: ClusterSync

    init(api: KubeTestServer, credentials: KubeTestServer.Credentials = .tokenFile, ca: String = "ca.crt", localCluster: String? = nil,
         configure: (inout ReflectorOptions) -> Void = { _ in }) throws {
        self.api = api
        let config = try KubeConfig.load(kubeconfig: try api.kubeconfig(credentials, ca: ca))
        publisher = StorePublisher(configuration: StoreConfiguration(localClusterID: localCluster, zones: [try DNSName("clusterset.local")]),
                                   zones: [.builtIn(apex: try DNSName("clusterset.local"))], objects: [], ready: false)
        var options = ReflectorOptions()
        options.pageSize = 3
        options.errorBackoff = Backoff(initial: 0.05, cap: 0.2)
        options.transportBackoff = Backoff(initial: 0.05, cap: 0.2)
        options.unavailableRetry = 0.5
        configure(&options)
        var logger = Logger(label: "sync-test")
        logger.logLevel = .critical
        sync = ClusterSync(config: config, layout: .cluster, brokerNamespace: "submariner-k8s-broker",
                           publisher: publisher, options: options, logger: logger)
        try sync.start()
    }

    deinit { sync.stop() }

    /// The API objects the store holds, by "Kind ns/name".
    var held: [String: KubeObject] {
        publisher.read { store in
            Dictionary(uniqueKeysWithValues: store.objects(from: .api).map { ("\($0.key.kind.rawValue) \($0.key.namespace)/\($0.key.name)", $0.value) })
        }
    }

    /// The A records served for `name` by the current table.
    func addresses(_ name: String) -> [String]? {
        guard let n = try? DNSName(name) else { return nil }
        let table = publisher.snapshots.table
        let q = MessageBuilder.query(id: 1, name: n, type: .a)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Responder.scratchSize, alignment: 8)
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535, alignment: 8)
        defer { scratch.deallocate(); out.deallocate() }
        let len = q.withUnsafeBytes { Responder.respond(to: $0, table: table, transport: .tcp, scratch: scratch, out: out) }
        guard let m = try? Message(decoding: Array(out[0..<len])), m.rcode == .noError else { return nil }
        return m.answers.map { $0.presentationData }.sorted()
    }

    func requests(_ verb: String) -> [String] {
        ((try? api.requests()) ?? []).filter { $0.0 == verb }.map(\.1)
    }

    /// The image's ip in the store (the first endpoint address of slice `name`).
    func sliceAddress(_ name: String, namespace: String = "default") -> String? {
        guard case .endpointSlice(let s)? = held["EndpointSlice \(namespace)/\(name)"] else { return nil }
        return s.endpoints.first?.addresses.first.map { "\($0)" }
    }
}

@Suite struct SyncTests {
    @Test func listsInPagesThenFollowsEvents() throws {
        let api = try KubeTestServer(objects: Objects.services(7, prefix: "svc", subnet: "10.1.0"))
        let h = try SyncHarness(api: api)
        #expect(eventually { h.sync.isSynced && h.held.count == 14 })
        #expect(h.publisher.snapshots.table.isReady)
        #expect(h.requests("LIST").contains { $0.contains("continue=") }, "7 imports in pages of 3 need continue tokens")
        #expect(h.addresses("svc3.default.svc.clusterset.local") == ["10.1.0.4"])

        try api.apply(Objects.slice("svc3", cluster: "east", ip: "10.9.9.9"))
        try api.apply(Objects.service("new", ip: "10.2.0.1"))
        try api.delete(kind: "ServiceImport", namespace: "default", name: "svc0")
        try api.delete(kind: "EndpointSlice", namespace: "default", name: "svc0-east")
        #expect(eventually { h.addresses("svc3.default.svc.clusterset.local") == ["10.9.9.9"] })
        #expect(eventually { h.addresses("new.default.svc.clusterset.local") == ["10.2.0.1"] })
        #expect(eventually { h.held["ServiceImport default/svc0"] == nil && h.held.count == 14 })
        #expect(h.addresses("svc0.default.svc.clusterset.local") == nil)
    }

    @Test func expiredContinueTokenListsAgainInOnePiece() throws {
        let api = try KubeTestServer(objects: Objects.services(5, prefix: "s", subnet: "10.1.1"))
        try api.fault(["fail": ["status": 410, "reason": "Expired", "match": "serviceimports?limit=3&continue=", "count": 1]])
        let h = try SyncHarness(api: api)
        #expect(eventually { h.sync.isSynced && h.held.count == 10 })
        let lists = h.requests("LIST")
        #expect(lists.contains { $0.contains("serviceimports") && !$0.contains("limit=") },
                "after the 410 the list starts over without pages: \(lists)")
    }

    /// Changes made while no watch runs, then the history compacted: the re-watch gets
    /// 410 (as an ERROR event, then as an HTTP status) and the re-list's diff deletes
    /// what vanished.
    @Test(arguments: ["event", "http"]) func goneRelistsAndDeletesWhatVanished(mode: String) throws {
        let api = try KubeTestServer(objects: Objects.service("keep", ip: "10.3.0.1") + Objects.service("drop", ip: "10.3.0.2"))
        try api.fault(["gone_mode": mode])
        let h = try SyncHarness(api: api)
        #expect(eventually { h.sync.isSynced && h.held.count == 4 })
        try api.fault(["fail": ["status": 503, "verb": "watch", "count": 100000]])
        try api.fault(["drop_watches": true])
        try api.delete(kind: "ServiceImport", namespace: "default", name: "drop")
        try api.delete(kind: "EndpointSlice", namespace: "default", name: "drop-east")
        try api.apply(Objects.slice("keep", cluster: "east", ip: "10.3.0.9"))
        try api.fault(["compact": true])
        let listsBefore = h.requests("LIST").count
        try api.fault(["clear_fail": true])
        #expect(eventually { h.held["ServiceImport default/drop"] == nil && h.sliceAddress("keep-east") == "10.3.0.9" })
        #expect(h.requests("LIST").count > listsBefore, "a 410 must lead to a new LIST")
        #expect(h.addresses("drop.default.svc.clusterset.local") == nil)
        #expect(h.addresses("keep.default.svc.clusterset.local") == ["10.3.0.9"])
    }

    @Test func serverErrorsThrottlingAndPlainTextBodies() throws {
        let api = try KubeTestServer(objects: Objects.service("web", ip: "10.4.0.1"))
        try api.fault(["fail": ["status": 500, "verb": "list", "match": "serviceimports", "count": 1]])
        try api.fault(["fail": ["status": 429, "verb": "list", "match": "serviceimports", "count": 1, "plain": true, "retry_after": 1]])
        try api.fault(["fail": ["status": 503, "verb": "list", "match": "endpointslices", "count": 1, "plain": true]])
        let h = try SyncHarness(api: api)
        #expect(eventually { h.sync.isSynced && h.addresses("web.default.svc.clusterset.local") == ["10.4.0.1"] })
        #expect(h.requests("LIST").filter { $0.contains("serviceimports") }.count >= 3)
        // And a failing watch: 500 once, then events flow again.
        try api.fault(["fail": ["status": 500, "verb": "watch", "count": 1]])
        try api.fault(["drop_watches": true])
        try api.apply(Objects.slice("web", cluster: "east", ip: "10.4.0.2"))
        #expect(eventually { h.addresses("web.default.svc.clusterset.local") == ["10.4.0.2"] })
    }

    @Test func rotatedTokenIsReadAgainAfter401() throws {
        let api = try KubeTestServer(objects: Objects.service("web", ip: "10.5.0.1"))
        let h = try SyncHarness(api: api)
        #expect(eventually { h.sync.isSynced })
        try api.rotateToken("token-two")
        try api.fault(["drop_watches": true])
        try api.apply(Objects.slice("web", cluster: "east", ip: "10.5.0.2"))
        #expect(eventually { h.addresses("web.default.svc.clusterset.local") == ["10.5.0.2"] })
    }

    @Test func malformedEventIsDroppedAndTheWatchResumes() throws {
        let api = try KubeTestServer(objects: Objects.service("web", ip: "10.6.0.1"))
        let h = try SyncHarness(api: api)
        #expect(eventually { h.sync.isSynced })
        let watches = h.requests("WATCH").count
        try api.fault(["malformed": "endpointslices"])
        try api.apply(Objects.slice("web", cluster: "east", ip: "10.6.0.2"))
        // The garbled line replaced the event; resuming from the last good version replays it.
        #expect(eventually { h.addresses("web.default.svc.clusterset.local") == ["10.6.0.2"] })
        #expect(h.requests("WATCH").count > watches)
    }

    @Test func stalledStreamIsReopened() throws {
        let api = try KubeTestServer(objects: Objects.service("web", ip: "10.7.0.1"))
        try api.fault(["bookmark_interval": 0.2])
        let h = try SyncHarness(api: api) { $0.idleTimeout = 1 }
        #expect(eventually { h.sync.isSynced })
        let watches = h.requests("WATCH").count
        try api.fault(["stall": true])
        try api.apply(Objects.slice("web", cluster: "east", ip: "10.7.0.2"))
        #expect(eventually { h.requests("WATCH").count >= watches + 3 }, "a silent stream must be dropped and re-opened")
        #expect(h.addresses("web.default.svc.clusterset.local") == ["10.7.0.1"], "nothing arrived while stalled")
        try api.fault(["stall": false])
        #expect(eventually { h.addresses("web.default.svc.clusterset.local") == ["10.7.0.2"] })
    }

    @Test func missingGatewayTypeMeansEveryClusterConnected() throws {
        let api = try KubeTestServer(objects: Objects.service("web", ip: "10.8.0.1"))
        try api.fault(["remove_resource": "gateways"])
        let h = try SyncHarness(api: api)
        #expect(eventually { h.sync.isSynced && h.addresses("web.default.svc.clusterset.local") == ["10.8.0.1"] })
        let gatewayLists = h.requests("LIST").filter { $0.contains("gateways") }.count
        #expect(gatewayLists >= 1)
    }

    /// answers.md, "connected": the Gateway type served without an active Gateway is a
    /// connectivity source that connects only the local cluster; an active Gateway's
    /// connections add the clusters it reaches.
    @Test func gatewayTypeWithoutActiveGatewayConnectsOnlyTheLocalCluster() throws {
        let api = try KubeTestServer(objects: [Objects.serviceImport("web"), Objects.slice("web", cluster: "west", ip: "10.8.2.1"),
                                               Objects.slice("web", cluster: "east", ip: "10.8.2.2")], gatewayType: true)
        let h = try SyncHarness(api: api, localCluster: "west")
        let name = "web.default.svc.clusterset.local"
        #expect(eventually { h.sync.isSynced && h.addresses(name) == ["10.8.2.1"] })
        // Round robin over connected clusters: with only the local one, always the local address.
        #expect((0..<6).map { _ in h.addresses(name) }.allSatisfy { $0 == ["10.8.2.1"] })
        let passive: [String: Any] = ["apiVersion": "submariner.io/v1", "kind": "Gateway",
                                      "metadata": ["name": "gw1", "namespace": "submariner-operator"],
                                      "status": ["haStatus": "passive", "localEndpoint": ["cluster_id": "west"],
                                                 "connections": [["status": "connected", "endpoint": ["cluster_id": "east"]]]]]
        try api.apply(passive)
        usleep(300_000)
        #expect((0..<6).map { _ in h.addresses(name) }.allSatisfy { $0 == ["10.8.2.1"] }, "a passive Gateway connects nothing")
        // West's local address still comes first (local first); east is connected now: take west's slice away to see it.
        var active = passive
        active["status"] = ["haStatus": "active", "localEndpoint": ["cluster_id": "west"],
                            "connections": [["status": "connected", "endpoint": ["cluster_id": "east"]]]]
        try api.apply(active)
        try api.delete(kind: "EndpointSlice", namespace: "default", name: "web-west")
        #expect(eventually { h.addresses(name) == ["10.8.2.2"] })
        // The connection in error: east is left out again.
        active["status"] = ["haStatus": "active", "localEndpoint": ["cluster_id": "west"],
                            "connections": [["status": "error", "endpoint": ["cluster_id": "east"]]]]
        try api.apply(active)
        #expect(eventually { h.addresses(name) == [] })
    }

    @Test func rbacRefusalOfImportsStaysNotReady() throws {
        let api = try KubeTestServer(objects: Objects.service("web", ip: "10.8.1.1"))
        try api.fault(["fail": ["status": 403, "reason": "Forbidden", "match": "serviceimports", "count": 100000]])
        let h = try SyncHarness(api: api)
        #expect(!eventually(1.5) { h.sync.isSynced })
        #expect(!h.publisher.snapshots.table.isReady)
        try api.fault(["clear_fail": true])
        #expect(eventually { h.sync.isSynced && h.addresses("web.default.svc.clusterset.local") == ["10.8.1.1"] })
    }

    @Test func clientCertificateAndInlineCA() throws {
        let api = try KubeTestServer(objects: Objects.service("web", ip: "10.9.0.1"), clientCA: true)
        let h = try SyncHarness(api: api, credentials: .clientCertificate)
        #expect(eventually { h.sync.isSynced && h.addresses("web.default.svc.clusterset.local") == ["10.9.0.1"] })
    }

    @Test func serverCertificateFromAnotherCAIsRefused() throws {
        let api = try KubeTestServer(objects: Objects.service("web", ip: "10.9.1.1"))
        let h = try SyncHarness(api: api, ca: "other-ca.crt")
        #expect(!eventually(1.5) { h.sync.isSynced })
        #expect(h.requests("LIST").isEmpty, "no request may be sent over an unverified connection")
    }
}
