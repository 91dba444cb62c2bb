import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One three-cluster lab of network namespaces (scripts/gateway-lab.sh, topology in
/// gateway.md d.8) with its own name prefix, torn down when the test lets go of it.
final class GatewayLab {
    let prefix: String
    static let script: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/gateway-lab.sh").path
    }()

    /// Namespaces and `ip netns exec` need root; CI runs as root.
    static var canRun: Bool { getuid() == 0 }

    init(_ options: [String] = []) throws {
        // Short: the WireGuard device is "<prefix>wg<i>", at most 15 characters, and
        // unique on the machine (wireguard-go's socket folder is global).
        prefix = "g" + String(UInt32.random(in: 0..<0xFFFFF), radix: 16)
        let r = try lab(["up", prefix] + options)
        guard r.status == 0 else {
            _ = try? lab(["down", prefix])
            throw HarnessError("lab up failed: \(r.output)")
        }
    }

    deinit { _ = try? lab(["down", prefix]) }

    private func lab(_ args: [String]) throws -> (status: Int32, output: String) {
        try SpawnedProcess.run(["/usr/bin/env", "SEXTANT=\(SextantProcess.binary)", "/bin/bash", Self.script] + args)
    }

    /// Starts `sextant gateway` in cluster i's gateway namespace; returns its pid.
    @discardableResult
    func start(_ i: Int, _ backend: String, _ extra: [String] = []) throws -> pid_t {
        let r = try lab(["start", prefix, "\(i)", backend] + extra)
        guard r.status == 0, let pid = pid_t(r.output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw HarnessError("start failed: \(r.output)")
        }
        return pid
    }

    func pid(_ i: Int) -> pid_t? {
        (try? String(contentsOfFile: "/tmp/\(prefix)-lab/gw\(i).pid", encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Pings the 18 paths until all pass or `within` seconds went by.
    func check(within seconds: Int) throws -> (passed: Int, failed: Int, text: String) {
        let r = try lab(["check", prefix, "\(seconds)"])
        let words = r.output.split(whereSeparator: \.isWhitespace)
        guard words.count >= 4, let p = Int(words[1]), let f = Int(words[3]) else { throw HarnessError("check printed: \(r.output)") }
        return (p, f, r.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Links, rules, routes (but the local table) and the nft ruleset of gateway i.
    func snapshot(_ i: Int) throws -> String { try lab(["snapshot", prefix, "\(i)"]).output }

    /// A command in one of the lab's namespaces ("gw1", "pod2", "rt3").
    func exec(_ namespace: String, _ args: [String]) throws -> (status: Int32, output: String) {
        try SpawnedProcess.run(["/usr/bin/ip", "netns", "exec", prefix + namespace] + args)
    }

    /// Waits (`within` seconds at most) for gateway i's log to contain `text`.
    func waitForLog(_ i: Int, _ text: String, within seconds: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if log(i).contains(text) { return true }
            usleep(100_000)
        } while Date() < deadline
        return false
    }

    func log(_ i: Int) -> String { (try? String(contentsOfFile: "/tmp/\(prefix)-lab/gw\(i).log", encoding: .utf8)) ?? "" }

    /// Sends `signal` to gateway i and waits (10 s at most) for it to end; its exit status.
    func signal(_ i: Int, _ signal: Int32) -> Bool {
        guard let p = pid(i) else { return false }
        kill(p, signal)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if kill(p, 0) != 0 { return true }
            usleep(20_000)
        }
        return false
    }

    var device: String { prefix + "wg" }

    /// Drops the underlay between gateways i and j (nft on the bridge); `heal` takes it away.
    func cut(_ i: Int, _ j: Int) throws {
        let r = try lab(["cut", prefix, "\(i)", "\(j)"])
        guard r.status == 0 else { throw HarnessError("cut failed: \(r.output)") }
    }

    func heal() throws {
        let r = try lab(["heal", prefix])
        guard r.status == 0 else { throw HarnessError("heal failed: \(r.output)") }
    }

    /// The lab's own folder (/tmp/<prefix>-lab).
    var folder: String { "/tmp/\(prefix)-lab" }
}
