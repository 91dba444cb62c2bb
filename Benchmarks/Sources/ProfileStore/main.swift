// A plain loop over the StoreCompile workload, for perf or callgrind (the benchmark
// runner needs its host process): `.build/release/ProfileStore 30`.
import BenchWorkload

let store = Workload.loadedStore()
_ = Workload.compile(store)
let rounds = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 10
for i in 0..<rounds {
    store.apply(.upsert(Workload.slice(4242, 1, lastOctet: i)))
    _ = Workload.compile(store)
}
