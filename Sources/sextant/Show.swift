#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import FastJSON
import FoundationEssentials
import OpsHTTP

/// `sextant show services|clusters|connections`: a running server's view, read from its
/// `/debug/state`, as tables in the manner of `subctl show`.
struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a running server's services, clusters or connections (from its /debug/state).")

    enum What: String, ExpressibleByArgument, CaseIterable { case services, clusters, connections }

    @Argument(help: ArgumentHelp("services, clusters or connections."))
    var what: What

    @Option(name: .long, help: ArgumentHelp("The server's HTTP endpoint.", valueName: "URL"))
    var server: String = "http://" + Serve.defaultHTTP

    @Flag(name: .long, help: "Every service, not the first 1,000 (a large state is slow to make and read).")
    var all = false

    func run() throws {
        Signals.unblock()
        let body: [UInt8]
        do {
            let base = server.hasSuffix("/") ? String(server.dropLast()) : server
            body = try PlainHTTP.get(base + "/debug/state" + (all ? "?services=all" : ""))
        } catch {
            throw StartupError(description: "\(server): \(error)", status: 1)
        }
        guard let state = body.withUnsafeBytes({ JSONCursor.parse($0) }) as? [String: Any] else {
            throw StartupError(description: "\(server)/debug/state is not Sextant's state (not a JSON object)", status: 1)
        }
        let rows: [[String]]
        switch what {
        case .services: rows = Self.services(state)
        case .clusters: rows = Self.clusters(state)
        case .connections: rows = Self.connections(state)
        }
        print(Self.table(rows), terminator: "")
        if what != .connections, state["servicesTruncated"] as? Bool == true {
            let shown = (state["services"] as? [Any])?.count ?? 0
            print("(from the first \(shown) of \(state["servicesTotal"] as? Int ?? 0) services; --all for every one)")
        }
    }

    static func services(_ state: [String: Any]) -> [[String]] {
        var rows = [["NAMESPACE", "NAME", "TYPE", "CLUSTERSET IP", "CLUSTERS (ready/endpoints)"]]
        for s in state["services"] as? [[String: Any]] ?? [] {
            let clusters = (s["clusters"] as? [[String: Any]] ?? []).map { c -> String in
                let name = c["name"] as? String ?? "?"
                let mark = (c["connected"] as? Bool ?? true) ? "" : " disconnected"
                return "\(name) \(c["ready"] as? Int ?? 0)/\(c["endpoints"] as? Int ?? 0)\(mark)"
            }
            let ips = (s["clustersetIPs"] as? [String] ?? []).joined(separator: ",")
            rows.append([s["namespace"] as? String ?? "", s["name"] as? String ?? "", s["type"] as? String ?? "",
                         ips.isEmpty ? "-" : ips, clusters.isEmpty ? "-" : clusters.joined(separator: ", ")])
        }
        return rows
    }

    static func clusters(_ state: [String: Any]) -> [[String]] {
        var perCluster: [String: Int] = [:]
        for s in state["services"] as? [[String: Any]] ?? [] {
            for c in s["clusters"] as? [[String: Any]] ?? [] { perCluster[c["name"] as? String ?? "?", default: 0] += 1 }
        }
        var rows = [["CLUSTER", "LOCAL", "CONNECTED", "SERVICES"]]
        for c in state["clusters"] as? [[String: Any]] ?? [] {
            let name = c["name"] as? String ?? "?"
            rows.append([name, (c["local"] as? Bool ?? false) ? "yes" : "no", (c["connected"] as? Bool ?? true) ? "yes" : "no",
                         String(perCluster[name] ?? 0)])
        }
        return rows
    }

    static func connections(_ state: [String: Any]) -> [[String]] {
        let conn = state["connectivity"] as? [String: Any] ?? [:]
        var rows = [["GATEWAY", "CLUSTER", "STATUS"]]
        for c in conn["connections"] as? [[String: Any]] ?? [] {
            rows.append([c["gateway"] as? String ?? "", c["cluster"] as? String ?? "", c["status"] as? String ?? ""])
        }
        if rows.count == 1, let source = conn["source"] as? String { rows.append(["-", "-", source]) }
        return rows
    }

    /// Columns padded to their widest cell, two spaces apart.
    static func table(_ rows: [[String]]) -> String {
        guard let header = rows.first else { return "" }
        var widths = header.map(\.count)
        for r in rows { for (i, cell) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for r in rows {
            let cells = r.enumerated().map { i, cell in i == r.count - 1 ? cell : cell + String(repeating: " ", count: max(0, widths[i] - cell.count)) }
            out += cells.joined(separator: "  ") + "\n"
        }
        return out
    }
}
