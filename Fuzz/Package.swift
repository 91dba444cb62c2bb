// swift-tools-version:6.1
// Fuzz targets (libFuzzer), separate from the main package so that `swift build` and
// `swift test` there never see a fuzzing entry point. scripts/fuzz.sh builds them two
// ways: plain (each target is then a corpus-replay tool, run in CI) and with
// `--sanitize=fuzzer --sanitize=address -Xswiftc -DFUZZING` (libFuzzer's own main).
import PackageDescription

let core: [Target.Dependency] = [.product(name: "SextantCore", package: "Sextant"), "FuzzSupport"]

let package = Package(
    name: "SextantFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Sextant", path: ".."),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "FuzzSupport", path: "Sources/FuzzSupport"),
        // A query through the whole respond path against the demo zones' answer table.
        .executableTarget(name: "FuzzQuery", dependencies: core + [.product(name: "Logging", package: "swift-log")], path: "Sources/FuzzQuery"),
        // A zone file through libldns and the zone checks.
        .executableTarget(name: "FuzzZoneFile", dependencies: core, path: "Sources/FuzzZoneFile"),
        // A manifest (YAML, or JSON through the List scanner).
        .executableTarget(name: "FuzzManifest", dependencies: core, path: "Sources/FuzzManifest"),
        // A kubeconfig.
        .executableTarget(name: "FuzzKubeconfig", dependencies: core, path: "Sources/FuzzKubeconfig"),
        // A watch event's or list item's object, as the reflector decodes them.
        .executableTarget(name: "FuzzObjects", dependencies: core, path: "Sources/FuzzObjects"),
        // An upstream's reply through what the forwarder keeps, the cache and the client's reply.
        .executableTarget(name: "FuzzForwardedReply", dependencies: core, path: "Sources/FuzzForwardedReply"),
        // The gateway's objects: exchange files, Endpoints, Gateway status, Go durations.
        .executableTarget(name: "FuzzGateway", dependencies: core + [.product(name: "SextantGateway", package: "Sextant")], path: "Sources/FuzzGateway"),
    ]
)
