import Benchmark
import BenchWorkload
import DNSWire
import Foundation

/// The query path's costs, enforced in CI by the thresholds in `Thresholds/`:
/// no heap allocation for any kind of answer, and user-space instructions per A hit
/// (counted by callgrind, so the figure is exact and machine-independent).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.mallocCountTotal], warmupIterations: 1, scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 50,
        thresholds: [.mallocCountTotal: .init(absolute: [.p0: 0, .p25: 0, .p50: 0, .p75: 0, .p90: 0, .p99: 0, .p100: 0])])

    let table = QueryWorkload.table()
    for kind in QueryWorkload.Kind.allCases {
        // Names without spaces: package-benchmark 1.38 writes threshold files with `_`
        // for spaces but looks them up with the spaces.
        Benchmark("Answer-\(kind.identifier)") { benchmark in
            let query = QueryWorkload.query(kind)
            let buffers = QueryWorkload.Buffers()
            let forwarding = QueryWorkload.forwarding(kind)
            // Outside the measurement: the reply is right.
            let n = QueryWorkload.answer(query, table: table, buffers: buffers, count: 1, forwarding: forwarding)
            precondition(n > 0 && buffers.out[3] & 0x0F == kind.rcode.headerBits & 0x0F, "\(kind.rawValue): wrong rcode")
            benchmark.startMeasurement()
            blackHole(QueryWorkload.answer(query, table: table, buffers: buffers, count: benchmark.scaledIterations.count, forwarding: forwarding))
            benchmark.stopMeasurement()
        }
    }

    let instructions = BenchmarkMetric.custom("Instructions per A hit (callgrind)", polarity: .prefersSmaller, useScalingFactor: false)
    Benchmark("Instructions-AHit", configuration: .init(
        metrics: [instructions], warmupIterations: 0, maxDuration: .seconds(120), maxIterations: 1,
        thresholds: [instructions: .init(absolute: [.p90: 0])])) { benchmark in
        benchmark.measurement(instructions, callgrindInstructionsPerQuery("A hit"))
    }
}

@discardableResult
func run(_ tool: String, _ arguments: [String]) -> Bool {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: tool)
    p.arguments = arguments
    guard (try? p.run()) != nil else { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
}

/// Runs QueryLoop under callgrind for N and 2N queries; the difference over N is the
/// cost of one query, whatever the set-up costs. -1 when valgrind or QueryLoop is missing.
func callgrindInstructionsPerQuery(_ kind: String) -> Int {
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    let built = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("QueryLoop").path
    // valgrind 3.19 cannot read the DWARF 5 of Swift 6.3 binaries: count on a copy
    // without debug information.
    let exe = NSTemporaryDirectory() + "QueryLoop.\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: exe) }
    guard run("/usr/bin/objcopy", ["--strip-debug", built, exe]) else { return -1 }
    func total(_ n: Int) -> Int? {
        let out = NSTemporaryDirectory() + "callgrind.\(getpid()).\(n)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/valgrind")
        p.arguments = ["--tool=callgrind", "--callgrind-out-file=\(out)", exe, kind, String(n), "200"]
        // The same table layout every run: counts repeat exactly.
        p.environment = ["SWIFT_DETERMINISTIC_HASHING": "1"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        p.waitUntilExit()
        guard let text = try? String(contentsOfFile: out, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("summary:") || $0.hasPrefix("totals:") }),
              let v = line.split(separator: " ").last.flatMap({ Int($0) }) else { return nil }
        return v
    }
    let n = 20_000
    guard let one = total(n), let two = total(2 * n) else { return -1 }
    return (two - one) / n
}
