import Benchmark
import BenchWorkload

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident], maxDuration: .seconds(20), maxIterations: 20)

    // The full compile: every service's answers from the objects a store holds (the
    // store is filled outside the measurement; `Apply` below measures that part).
    Benchmark("Compile 10k services x 3 clusters from scratch") { benchmark in
        for _ in benchmark.scaledIterations {
            let store = Workload.loadedStore()
            benchmark.startMeasurement()
            blackHole(Workload.compile(store))
            benchmark.stopMeasurement()
        }
    }

    Benchmark("Apply 40k objects (10k services x 3 clusters) to an empty store") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(Workload.loadedStore())
        }
    }

    Benchmark("Apply one changed EndpointSlice (10k services loaded)", configuration: .init(maxIterations: 200)) { benchmark in
        // Set-up outside the measurement: a store with everything compiled once.
        let store = Workload.loadedStore()
        _ = Workload.compile(store)
        var octet = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            octet += 1
            store.apply(.upsert(Workload.slice(4242, 1, lastOctet: octet)))
            blackHole(Workload.compile(store))
        }
        benchmark.stopMeasurement()
    }
}
