// swift-tools-version:6.1
import PackageDescription

// Release builds on Linux lay the code out by use (issue 18, docs/PERFORMANCE.md): every
// function in its own section, and lld puts the functions a run executes (the symbols of
// Sources/sextant/link.order, written by scripts/link-order.py) side by side. The kernel
// maps file pages 64 KiB around each fault, so code used here and there across 11 MB of
// text made 7.8 MiB of it resident; packed, 4.7 MiB (the 1.3 MB executed, and the private
// functions of the static standard library, one section per file, which cannot move).
// `pack-relative-relocs` (DT_RELR, glibc 2.36) shrinks the 1 MB of relocations the
// loader reads at start to 9 KB;
// `--no-export-dynamic` keeps the 5,700 Swift symbols SwiftPM exports from an executable
// (for tests that import it) out of the dynamic symbol table the loader searches.
// A stale order file costs memory, never correctness: unknown names are skipped.
// `-L static-cxx`: the Swift runtime's `-lstdc++` takes the static archive (a linker
// script there says so), only what the runtime uses, instead of libstdc++.so (1 MiB).
let linkLayout = [
    "-use-ld=lld",
    "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Sources/sextant/link.order",
    "-Xlinker", "--no-warn-symbol-ordering",
    "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
    "-Xlinker", "--no-export-dynamic",
    "-L", "\(Context.packageDirectory)/Sources/sextant/static-cxx",
]

let package = Package(
    name: "Sextant",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sextant", targets: ["sextant"]),
        .library(name: "DNSWire", targets: ["DNSWire"]),
        // For the benchmark and fuzz packages beside this one.
        .library(name: "SextantCore", targets: ["DNSWire", "FastJSON", "AnswerTable", "ClusterSet", "DNSServer", "Zones", "KubeClient", "ClusterSync", "Forwarder"]),
        // For the fuzz package beside this one.
        .library(name: "SextantGateway", targets: ["Gateway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
    ],
    targets: [
        // The DNS message format. Standard library only: no I/O, no Foundation.
        .target(name: "DNSWire"),
        // One lock type for state shared between threads (a pthread mutex: ThreadSanitizer
        // sees through it, and reports false races through Synchronization.Mutex on Linux),
        // and the few platform pieces Foundation gave before (threads, path names, text).
        .target(name: "Locking", dependencies: ["CNetShim"]),
        // A strict forward JSON reader for the fast decoders of objects and LIST pages
        // (start-up and the first LIST without JSONDecoder's generic machinery).
        .target(name: "FastJSON"),
        // YAML documents (manifests, kubeconfigs) as JSON text, over libyaml's events: the
        // objects then take the same decoders as JSON. Replaces Yams, which needs
        // Foundation and, through it, ICU (issue 18: about 8 MiB resident).
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .target(name: "YAML", dependencies: ["CYAML", "FastJSON"]),
        // The compiled answers the DNS workers read: name tables, the service directory,
        // the batch warm-up, rotation counters, the table writer. No store, no rules.
        .target(
            name: "AnswerTable",
            dependencies: [
                "DNSWire", "Locking",
                .product(name: "Atomics", package: "swift-atomics"),
            ]
        ),
        // The domain: the objects, the store and the rules of answers.md, compiled into
        // the answer table.
        .target(
            name: "ClusterSet",
            dependencies: [
                "DNSWire", "AnswerTable", "Locking", "FastJSON", "CNetShim",
                .product(name: "Atomics", package: "swift-atomics"),
            ]
        ),
        // A C library opened with dlopen on first use, its functions resolved into a table
        // (libcurl, libldns, libcrypto: a process that never needs one never maps it).
        .target(name: "CLibrary"),
        // libldns, opened with dlopen when a zone file needs it (libldns-dev for the header).
        .target(name: "CLDNS", dependencies: ["CLibrary"]),
        // Reading the zones/ folder.
        .target(
            name: "Zones",
            dependencies: [
                "AnswerTable", "ClusterSet", "DNSWire", "CLDNS", "FastJSON", "Locking", "YAML",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // recvmmsg/sendmmsg need _GNU_SOURCE, which Swift's Glibc module does not define.
        .target(name: "CNetShim"),
        // libcurl, wrapped once (typed setopt wrappers: the C functions are variadic) and
        // loaded with dlopen on first use: a server without an API server never maps it.
        // Its header comes from libcurl4-openssl-dev.
        .target(name: "CCurl", dependencies: ["CLibrary"]),
        // Kubernetes API access: kubeconfig, in-cluster, LIST + WATCH. Knows nothing of DNS.
        .target(
            name: "KubeClient",
            dependencies: [
                "CCurl", "Locking", "FastJSON", "YAML",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Watch events into store updates; layouts; readiness.
        .target(
            name: "ClusterSync",
            dependencies: [
                "AnswerTable", "ClusterSet", "KubeClient", "DNSWire", "Locking", "FastJSON",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // OpenSSL's libcrypto (X25519, SHA-256), opened with dlopen on the gateway's first
        // key (libssl-dev for the header).
        .target(name: "CCrypto", dependencies: ["CLibrary"]),
        // The bundled gateway: Submariner's data model, the endpoint exchange, WireGuard
        // and VXLAN cables, routes and rules over rtnetlink, the packet filter. The DNS
        // server never imports it.
        .target(
            name: "Gateway",
            dependencies: [
                "CCrypto", "FastJSON", "KubeClient", "Locking",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Names outside the zones: upstream questions (its own thread, epoll) and the cache
        // the workers read without a lock.
        .target(
            name: "Forwarder",
            dependencies: [
                "DNSWire", "Locking", "CNetShim",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Sockets, workers, limits.
        .target(
            name: "DNSServer",
            dependencies: [
                "DNSWire", "AnswerTable", "CNetShim", "Locking", "Forwarder",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The operations endpoints over HTTP (/metrics, /health, /ready, /debug/state):
        // its own queue and sockets, never a DNS worker's thread. Knows nothing of DNS.
        .target(
            name: "OpsHTTP",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "sextant",
            dependencies: [
                "DNSServer", "Zones", "AnswerTable", "ClusterSet", "DNSWire", "ClusterSync", "KubeClient", "CNetShim", "OpsHTTP", "Gateway", "Locking", "Forwarder", "FastJSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["link.order", "static-cxx"],
            linkerSettings: [.unsafeFlags(linkLayout, .when(platforms: [.linux], configuration: .release))]
        ),
        .testTarget(name: "DNSWireTests", dependencies: ["DNSWire"]),
        .testTarget(name: "OpsHTTPTests", dependencies: ["OpsHTTP"]),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway"]),
        .testTarget(name: "ForwardingTests", dependencies: ["Forwarder", "DNSWire"]),
        .testTarget(name: "ClusterSetTests", dependencies: ["AnswerTable", "ClusterSet", "DNSWire", "DNSServer", "FastJSON"], exclude: ["broker-layout.json"]),
        .testTarget(name: "ZonesTests", dependencies: ["Zones", "AnswerTable", "ClusterSet", "DNSWire", "YAML"]),
        .testTarget(name: "DNSServerTests", dependencies: ["DNSServer", "AnswerTable", "ClusterSet", "DNSWire"]),
        // Black-box: starts the built `sextant` binary and speaks DNS to it over sockets.
        .testTarget(
            name: "SextantTests",
            dependencies: ["DNSWire", "AnswerTable", "ClusterSet", "DNSServer", "KubeClient", "ClusterSync", "Gateway", "Locking", "sextant"]
        ),
    ]
)

// See linkLayout above.
for target in package.targets where target.type == .regular || target.type == .executable {
    // Swift gives a section of its own only to functions with external linkage; the
    // private ones and the specializations would stay in one `.text` per file.
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .unsafeFlags(["-Xfrontend", "-function-sections"], .when(platforms: [.linux], configuration: .release)),
    ]
    target.cSettings = (target.cSettings ?? []) + [
        .unsafeFlags(["-ffunction-sections"], .when(platforms: [.linux], configuration: .release)),
    ]
}
