import Benchmark
import BenchWorkload
import DNSWire
import Foundation

/// The query path's costs, enforced in CI by the thresholds in `Thresholds/`:
/// no heap allocation for any kind of answer, and user-space instructions per A hit
/// (counted by callgrind, so the figure is exact and machine-independent).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.mallocCountTotal, .wallClock], warmupIterations: 1, scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 50,
        thresholds: [.mallocCountTotal: .init(absolute: [.p0: 0, .p25: 0, .p50: 0, .p75: 0, .p90: 0, .p99: 0, .p100: 0])])

    let table = QueryWorkload.table()
    for kind in QueryWorkload.Kind.allCases {
        Benchmark("Answer: \(kind.rawValue)") { benchmark in
            let query = QueryWorkload.query(kind)
            let buffers = QueryWorkload.Buffers()
            // Outside the measurement: the reply is right.
            _ = QueryWorkload.answer(query, table: table, buffers: buffers, count: 1)
            precondition(buffers.out[3] & 0x0F == kind.rcode.headerBits & 0x0F, "\(kind.rawValue): wrong rcode")
            benchmark.startMeasurement()
            blackHole(QueryWorkload.answer(query, table: table, buffers: buffers, count: benchmark.scaledIterations.count))
            benchmark.stopMeasurement()
        }
    }

    let instructions = BenchmarkMetric.custom("Instructions per A hit (callgrind)", polarity: .prefersSmaller, useScalingFactor: false)
    Benchmark("Instructions: A hit", configuration: .init(
        metrics: [instructions], warmupIterations: 0, maxDuration: .seconds(120), maxIterations: 1,
        thresholds: [instructions: .init(absolute: [.p90: 0])])) { benchmark in
        benchmark.measurement(instructions, callgrindInstructionsPerQuery("A hit"))
    }
}

/// Runs QueryLoop under callgrind for N and 2N queries; the difference over N is the
/// cost of one query, whatever the set-up costs. -1 when valgrind or QueryLoop is missing.
func callgrindInstructionsPerQuery(_ kind: String) -> Int {
    let exe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("QueryLoop").path
    func total(_ n: Int) -> Int? {
        let out = NSTemporaryDirectory() + "callgrind.\(getpid()).\(n)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/valgrind")
        p.arguments = ["--tool=callgrind", "--callgrind-out-file=\(out)", exe, kind, String(n), "200"]
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
