import FoundationEssentials
import Logging

/// The node's packet filter rules a cable needs (gateway.md a.4, d.5), through the node's
/// own `iptables` so they land in the tables its CNI and kube-proxy use (iptables-nft or
/// legacy alike):
/// - nat `SEXTANT-POSTROUTING`, jumped to from POSTROUTING at position 1: local cluster
///   CIDR ↔ remote subnets ACCEPT, so no CNI masquerade rewrites a pod's address (an
///   nftables `accept` in a table of our own would not stop another table's NAT);
/// - filter `SEXTANT-FORWARD`, first in FORWARD: accept to and from the tunnel device;
/// - mangle `SEXTANT-POSTROUTING`: TCP MSS clamped to the path MTU between local and
///   remote ranges, so a stream never needs fragments in the tunnel.
///
/// Each chain is rewritten whole at every change (one `iptables-restore --noflush` per
/// table, atomic); `remove()` takes the jumps and chains away, and deletes a table that
/// only existed because of them (recorded by the caller before the first change).
public final class PacketFilter {
    static let natChain = "SEXTANT-POSTROUTING"
    static let forwardChain = "SEXTANT-FORWARD"
    static let mssChain = "SEXTANT-MSS"
    static let tables = ["nat", "filter", "mangle"]

    private let iptables: String
    private let logger: Logger
    private var applied: String?
    private var jumpsChecked = Date.distantPast

    public init(iptables: String = "iptables", logger: Logger) {
        self.iptables = iptables
        self.logger = logger
    }

    /// The iptables tables that exist as nftables tables now (none with the legacy
    /// backend, whose tables are always there and leave no trace when emptied).
    public func existingNFTables() -> Set<String>? {
        guard let v = try? ChildProcess.run([iptables, "-V"]), v.output.contains("nf_tables") else { return nil }
        guard let list = try? ChildProcess.run(["nft", "list", "tables", "ip"]), list.status == 0 else { return nil }
        var out = Set<String>()
        for line in list.output.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 3, words[0] == "table", words[1] == "ip" { out.insert(String(words[2])) }
        }
        return out
    }

    /// Makes the three chains exactly these rules and their jumps first in line.
    public func apply(device: String, localCIDRs: [IPv4Network], remoteSubnets: [IPv4Network]) throws(GatewayError) {
        var nat: [String] = [], mss: [String] = []
        for l in localCIDRs {
            for r in remoteSubnets {
                nat.append("-A \(Self.natChain) -s \(l) -d \(r) -j ACCEPT")
                nat.append("-A \(Self.natChain) -s \(r) -d \(l) -j ACCEPT")
                mss.append("-A \(Self.mssChain) -s \(l) -d \(r) -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu")
                mss.append("-A \(Self.mssChain) -s \(r) -d \(l) -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu")
            }
        }
        let forward = ["-A \(Self.forwardChain) -i \(device) -j ACCEPT", "-A \(Self.forwardChain) -o \(device) -j ACCEPT"]
        let input = Self.section("nat", Self.natChain, nat) + Self.section("filter", Self.forwardChain, forward)
            + Self.section("mangle", Self.mssChain, mss)
        let changed = input != applied
        if changed {
            let r = try ChildProcess.run([iptables + "-restore", "--noflush"], input: input)
            guard r.status == 0 else { throw GatewayError("\(iptables)-restore failed (\(r.status)): \(r.output.trimmed)") }
            applied = input
        }
        // The jumps: after a change, else every 10 s (a CNI may have inserted before them).
        guard changed || Date().timeIntervalSince(jumpsChecked) >= 10 else { return }
        jumpsChecked = Date()
        try ensureFirst(table: "nat", chain: "POSTROUTING", target: Self.natChain)
        try ensureFirst(table: "filter", chain: "FORWARD", target: Self.forwardChain)
        try ensureFirst(table: "mangle", chain: "POSTROUTING", target: Self.mssChain)
    }

    private static func section(_ table: String, _ chain: String, _ rules: [String]) -> String {
        // With --noflush, declaring a chain creates it or empties it: the rules below are all it holds.
        "*\(table)\n:\(chain) - [0:0]\n" + rules.map { $0 + "\n" }.joined() + "COMMIT\n"
    }

    /// The jump to `target` is rule 1 of `chain` (a CNI that inserted before it is passed again).
    private func ensureFirst(table: String, chain: String, target: String) throws(GatewayError) {
        let listed = try ChildProcess.run([iptables, "-w", "5", "-t", table, "-S", chain])
        guard listed.status == 0 else { throw GatewayError("\(iptables) -t \(table) -S \(chain): \(listed.output.trimmed)") }
        let rules = listed.output.split(separator: "\n").filter { $0.hasPrefix("-A ") }
        let jump = "-A \(chain) -j \(target)"
        if rules.first.map(String.init) == jump && rules.filter({ $0 == jump }).count == 1 { return }
        for rule in rules where String(rule) == jump {
            _ = try ChildProcess.run([iptables, "-w", "5", "-t", table, "-D", chain, "-j", target])
        }
        let r = try ChildProcess.run([iptables, "-w", "5", "-t", table, "-I", chain, "1", "-j", target])
        guard r.status == 0 else { throw GatewayError("\(iptables) -t \(table) -I \(chain) 1 -j \(target): \(r.output.trimmed)") }
        logger.debug("jump placed first", metadata: ["table": "\(table)", "chain": "\(chain)"])
    }

    /// Removes the jumps and chains; then the nftables tables in `created` if nothing
    /// else is left in them.
    public func remove(created: Set<String>) {
        for (table, chain, target) in [("nat", "POSTROUTING", Self.natChain), ("filter", "FORWARD", Self.forwardChain),
                                       ("mangle", "POSTROUTING", Self.mssChain)] {
            while let r = try? ChildProcess.run([iptables, "-w", "5", "-t", table, "-D", chain, "-j", target]), r.status == 0 {}
            _ = try? ChildProcess.run([iptables, "-w", "5", "-t", table, "-F", target])
            _ = try? ChildProcess.run([iptables, "-w", "5", "-t", table, "-X", target])
        }
        applied = nil
        jumpsChecked = .distantPast
        for table in created.sorted() {
            guard let r = try? ChildProcess.run([iptables, "-w", "5", "-t", table, "-S"]), r.status == 0 else { continue }
            let leftover = r.output.split(separator: "\n").filter { !$0.hasPrefix("-P ") }
            if leftover.isEmpty { _ = try? ChildProcess.run(["nft", "delete", "table", "ip", table]) }
        }
    }
}

extension String {
    var trimmed: String { String(self.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed()) }
}
