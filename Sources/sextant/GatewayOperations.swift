import FoundationEssentials
import Gateway
import OpsHTTP

/// `sextant gateway --http`: /health (503 while the last reconcile failed), /metrics (per
/// connection: status, RTT, bytes) and /debug/state (the Gateway status as published).
struct GatewayOperations: Sendable {
    let engine: GatewayEngine

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        switch request.path {
        case "/health":
            let s = engine.snapshot()
            return s.problem.map { HTTPResponse(status: 503, text: "reconcile failing: \($0)\n") } ?? HTTPResponse(status: 200, text: "ok\n")
        case "/metrics":
            return HTTPResponse(status: 200, contentType: PrometheusText.contentType, text: metrics(engine.snapshot()))
        case "/debug/state":
            let s = engine.snapshot()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            struct State: Encodable { var localEndpoint: EndpointSpec?; var connections: [Connection]; var problem: String?; var probe: String }
            let body = (try? encoder.encode(State(localEndpoint: s.local, connections: s.connections, problem: s.problem, probe: s.probe))) ?? Data()
            return HTTPResponse(status: 200, contentType: "application/json", body: Array(body))
        default:
            return HTTPResponse(status: 404, text: "not found: /health, /metrics, /debug/state\n")
        }
    }

    /// Cluster IDs are labels: a cluster set has a handful, as Submariner's own metrics have.
    func metrics(_ s: GatewayEngine.Snapshot) -> String {
        var p = PrometheusText()
        p.family("sextant_gateway_connection_status", .gauge, "1 for each remote cluster's current connection status.")
        for c in s.connections {
            for status in ["connected", "connecting", "error", "none"] {
                p.sample("sextant_gateway_connection_status", c.status.rawValue == status ? 1 : 0,
                         labels: ["cluster": c.endpoint.clusterID, "status": status])
            }
        }
        p.family("sextant_gateway_connection_rtt_seconds", .gauge, "Round-trip time of the health probes to a remote cluster (last, min, average, max, stddev).")
        for c in s.connections {
            guard let l = c.latencyRTT else { continue }
            for (stat, d) in [("last", l.last), ("min", l.min), ("average", l.average), ("max", l.max), ("stddev", l.stdDev)] {
                p.sample("sextant_gateway_connection_rtt_seconds", Double(d.nanoseconds) / 1e9, labels: ["cluster": c.endpoint.clusterID, "stat": stat])
            }
        }
        p.family("sextant_gateway_connection_rx_bytes_total", .counter, "Bytes received from a remote cluster's gateway (WireGuard).")
        for c in s.connections { p.sample("sextant_gateway_connection_rx_bytes_total", Double(s.traffic[c.endpoint.clusterID]?.rx ?? 0), labels: ["cluster": c.endpoint.clusterID]) }
        p.family("sextant_gateway_connection_tx_bytes_total", .counter, "Bytes sent to a remote cluster's gateway (WireGuard).")
        for c in s.connections { p.sample("sextant_gateway_connection_tx_bytes_total", Double(s.traffic[c.endpoint.clusterID]?.tx ?? 0), labels: ["cluster": c.endpoint.clusterID]) }
        p.single("sextant_gateway_reconcile_failing", .gauge, "1 while the last reconcile failed.", s.problem == nil ? 0 : 1)
        return p.text
    }
}
