// A plain loop over the StoreCompile workload, for perf or callgrind (the benchmark
// runner needs its host process): `.build/release/ProfileStore 30`.
import BenchWorkload
import Foundation

func rss() -> Int {
    let s = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = s.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
}

let clock = ContinuousClock()
let before = rss()
let t0 = clock.now
let store = Workload.loadedStore()
let t1 = clock.now
let loaded = rss()
let table = Workload.compile(store)
let t2 = clock.now
let compiled = rss()
let rounds = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 10
for i in 0..<rounds {
    store.apply(.upsert(Workload.slice(4242, 1, lastOctet: i)))
    _ = Workload.compile(store)
}
if CommandLine.arguments.contains("--time") {
    print("apply \(Workload.objects.count) objects: \(t1 - t0); first full compile: \(t2 - t1)")
}
if CommandLine.arguments.contains("--memory") {
    print("RSS kB: start \(before), objects loaded \(loaded), compiled \(compiled); table names \(table.nameCount), table bytes \(table.arenaBytes), service tables \(table.serviceTableCount)")
}
