// swift-tools-version:6.1
// Micro-benchmarks (package-benchmark). Separate from the main package so that
// `swift test` does not build the benchmark framework. Run from this folder:
//   swift package --allow-writing-to-package-directory benchmark
import PackageDescription

let package = Package(
    name: "SextantBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Sextant", path: ".."),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(
            name: "BenchWorkload",
            dependencies: [.product(name: "SextantCore", package: "Sextant")],
            path: "Sources/BenchWorkload"
        ),
        .executableTarget(name: "ProfileStore", dependencies: ["BenchWorkload"], path: "Sources/ProfileStore"),
        // Heap bytes per service of a zones folder: decoded objects, store, tables.
        .executableTarget(
            name: "MemoryProfile",
            dependencies: [.product(name: "SextantCore", package: "Sextant"), .product(name: "Logging", package: "swift-log")],
            path: "Sources/MemoryProfile"
        ),
        // N queries of one kind, for callgrind (the QueryPath benchmark runs it).
        .executableTarget(name: "QueryLoop", dependencies: ["BenchWorkload"], path: "Sources/QueryLoop"),
        .executableTarget(
            name: "QueryPath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                "BenchWorkload",
            ],
            path: "Benchmarks/QueryPath",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // End to end: a watch event from the test API server until the changed answer is served.
        .executableTarget(
            name: "WatchLatency",
            dependencies: [.product(name: "SextantCore", package: "Sextant"), .product(name: "Logging", package: "swift-log")],
            path: "Sources/WatchLatency"
        ),
        .executableTarget(
            name: "StoreCompile",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                "BenchWorkload",
            ],
            path: "Benchmarks/StoreCompile",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
