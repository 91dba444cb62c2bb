import AnswerTable
import FoundationEssentials

extension KubeObject {
    /// The object as Kubernetes JSON: the fields Sextant reads, enough for
    /// `KubeObject.decode` to give back an equal object. For the state file, which keeps
    /// the API server's objects across a restart.
    public var jsonObject: [String: Any] {
        switch self {
        case .serviceImport(let si):
            var spec: [String: Any] = ["type": si.type.rawValue, "ports": si.ports.map(Self.port)]
            if !si.ips.isEmpty { spec["ips"] = si.ips.map(\.description) }
            return ["apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceImport",
                    "metadata": Self.meta(si.metadata), "spec": spec]
        case .endpointSlice(let es):
            let endpoints: [[String: Any]] = es.endpoints.map { e in
                var o: [String: Any] = ["addresses": e.addresses.map(\.description)]
                if let r = e.ready { o["conditions"] = ["ready": r] }
                if let h = e.hostname { o["hostname"] = h }
                if let p = e.podName { o["targetRef"] = ["kind": "Pod", "name": p] }
                return o
            }
            return ["apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": Self.meta(es.metadata),
                    "addressType": es.isIPv6 ? "IPv6" : "IPv4", "endpoints": endpoints, "ports": es.ports.map(Self.port)]
        case .gateway(let g):
            var status: [String: Any] = [
                "haStatus": g.isActive ? "active" : "passive",
                "connections": g.connections.map { ["status": $0.status, "endpoint": ["cluster_id": $0.clusterID]] },
            ]
            if let id = g.localClusterID { status["localEndpoint"] = ["cluster_id": id] }
            return ["apiVersion": "submariner.io/v1", "kind": "Gateway", "metadata": Self.meta(g.metadata), "status": status]
        }
    }

    static func meta(_ m: ObjectMeta) -> [String: Any] {
        var o: [String: Any] = ["name": m.name]
        if !m.namespace.isEmpty { o["namespace"] = m.namespace }
        if let rv = m.resourceVersion { o["resourceVersion"] = rv }
        if !m.labels.isEmpty { o["labels"] = m.labels.dictionary }
        if !m.annotations.isEmpty { o["annotations"] = m.annotations.dictionary }
        return o
    }

    static func port(_ p: ServicePort) -> [String: Any] {
        ["name": p.name, "protocol": p.proto, "port": Int(p.port)]
    }
}
