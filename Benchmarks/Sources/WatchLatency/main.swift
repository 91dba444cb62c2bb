// The time from a watch event arriving to the changed answer being served, with
// 10,000 services x 3 clusters loaded: the test API server (TLS, bearer token) holds
// the objects, ClusterSync watches it, and each round changes one EndpointSlice.
//
//   swift run -c release WatchLatency [rounds]      (from Benchmarks/)
//
// Reports two distributions: event received by the watcher -> new table published
// (what Sextant controls), and API write -> published (adds the test server's own
// latency in emitting the event).
import AnswerTable
import ClusterSet
import ClusterSync
import DNSServer
import DNSWire
import Foundation
import KubeClient
import Logging
import Synchronization

let rounds = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 300
let services = 10_000
let clusters = ["c1", "c2", "c3"]
let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let script = here.appendingPathComponent("../../../Tests/KubeTestServer/kube_test_server.py").standardized.path
let dir = NSTemporaryDirectory() + "sextant-watch-latency-\(getpid())"
try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)

func sh(_ command: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try? p.run()
    p.waitUntilExit()
}

sh("""
cd '\(dir)' && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=ca && \
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=api && \
printf 'subjectAltName=IP:127.0.0.1\\n' > ext && \
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 1 -extfile ext && \
echo bench-token > token
""")

let server = Process()
server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
server.arguments = ["python3", script, "--cert", dir + "/server.crt", "--key", dir + "/server.key", "--token-file", dir + "/token"]
let out = Pipe()
server.standardOutput = out
try server.run()
var banner = ""
while !(banner.contains("api ") && banner.contains("control ")) {
    let d = out.fileHandleForReading.availableData
    if d.isEmpty { fatalError("test API server did not start") }
    banner += String(decoding: d, as: UTF8.self)
}
let apiURL = banner.split(separator: "\n").first { $0.hasPrefix("api ") }.map { String($0.dropFirst(4)) } ?? ""
let controlPort = banner.split(separator: "\n").first { $0.hasPrefix("control ") }.flatMap { $0.split(separator: ":").last }.flatMap { Int32($0) } ?? 0
defer { server.terminate() }

/// POST to the control port (plain HTTP/1.0).
func control(_ path: String, _ body: Any) {
    guard let data = try? JSONSerialization.data(withJSONObject: body) else { return }
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var sin = sockaddr_in()
    sin.sin_family = sa_family_t(AF_INET)
    sin.sin_port = UInt16(controlPort).bigEndian
    sin.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    let request = Array("POST \(path) HTTP/1.0\r\nContent-Length: \(data.count)\r\n\r\n".utf8) + Array(data)
    var sent = 0
    while sent < request.count {
        let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        sent += n
    }
    var buf = [UInt8](repeating: 0, count: 4096)
    while recv(fd, &buf, buf.count, 0) > 0 {}
}

func slice(_ s: Int, _ c: Int, ip: String) -> [String: Any] {
    ["apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
     "metadata": ["name": "svc\(s)-\(clusters[c])", "namespace": "bench", "labels": [
        "endpointslice.kubernetes.io/managed-by": "lighthouse-agent.submariner.io",
        "multicluster.kubernetes.io/service-name": "svc\(s)", "lighthouse.submariner.io/sourceNamespace": "bench",
        "multicluster.kubernetes.io/source-cluster": clusters[c], "lighthouse.submariner.io/is-headless": "false"]],
     "addressType": "IPv4", "ports": [["name": "http", "protocol": "TCP", "port": 80]],
     "endpoints": [["addresses": [ip], "conditions": ["ready": true]]]]
}

var objects: [Any] = []
for s in 0..<services {
    objects.append(["apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceImport",
                    "metadata": ["name": "svc\(s)", "namespace": "bench"],
                    "spec": ["type": "ClusterSetIP", "ports": [["name": "http", "protocol": "TCP", "port": 80]]]])
    for c in 0..<clusters.count { objects.append(slice(s, c, ip: "10.\(c + 1).\(s >> 8 & 255).\(s & 255)")) }
}
control("/apply", ["kind": "List", "items": objects])

try """
apiVersion: v1
kind: Config
current-context: b
clusters: [{name: b, cluster: {server: "\(apiURL)", certificate-authority: ca.crt}}]
users: [{name: b, user: {tokenFile: token}}]
contexts: [{name: b, context: {cluster: b, user: b}}]
""".write(toFile: dir + "/kubeconfig", atomically: true, encoding: .utf8)

let zone = try DNSName("clusterset.local")
let publisher = StorePublisher(configuration: StoreConfiguration(localClusterID: "c0", zones: [zone]),
                               zones: [.builtIn(apex: zone)], objects: [], ready: false)
var logger = Logger(label: "watch-latency")
logger.logLevel = .warning
let lastEvent = Mutex<UInt64>(0)
let sync = ClusterSync(config: try KubeConfig.load(kubeconfig: dir + "/kubeconfig"), layout: .cluster,
                       brokerNamespace: "submariner-k8s-broker", publisher: publisher, logger: logger) { _ in
    lastEvent.withLock { $0 = DispatchTime.now().uptimeNanoseconds }
}

/// The first A record served for `name` by `table`.
func address(_ table: AnswerTable, _ name: DNSName) -> [UInt8]? {
    let q = MessageBuilder.query(id: 1, name: name, type: .a)
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Responder.scratchSize, alignment: 8)
    let reply = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
    defer { scratch.deallocate(); reply.deallocate() }
    let n = q.withUnsafeBytes { Responder.respond(to: $0, table: table, transport: .udp, scratch: scratch, out: reply) }
    guard let m = try? Message(decoding: Array(reply[0..<n])), let a = m.answers.first, case .bytes(let b)? = a.rdata.pieces.first else { return nil }
    return b
}

struct Waiting { var name: DNSName; var want: [UInt8]; var published: UInt64? }
let waiting = Mutex<Waiting?>(nil)
publisher.onPublish { table in
    let now = DispatchTime.now().uptimeNanoseconds
    waiting.withLock { w in
        guard var x = w, x.published == nil, address(table, x.name) == x.want else { return }
        x.published = now
        w = x
    }
}

let started = Date()
try sync.start()
while !(sync.isSynced && publisher.snapshots.table.isReady && publisher.read({ $0.serviceCount }) == services) { usleep(10_000) }
print("listed and compiled \(services) services x \(clusters.count) clusters in \(Int(Date().timeIntervalSince(started) * 1000)) ms")

var eventToServed: [Double] = []
var writeToServed: [Double] = []
for round in 0..<rounds {
    let s = Int.random(in: 0..<services), c = Int.random(in: 0..<clusters.count)
    let octet = UInt8(round % 250 + 1)
    let name = try DNSName("\(clusters[c]).svc\(s).bench.svc.clusterset.local")
    waiting.withLock { $0 = Waiting(name: name, want: [10, UInt8(c + 1), 200, octet], published: nil) }
    let wrote = DispatchTime.now().uptimeNanoseconds
    control("/apply", slice(s, c, ip: "10.\(c + 1).200.\(octet)"))
    var published: UInt64? = nil
    let deadline = Date().addingTimeInterval(5)
    while published == nil && Date() < deadline {
        published = waiting.withLock { $0?.published }
        if published == nil { usleep(100) }
    }
    guard let p = published else { print("round \(round): the change was not served within 5 s"); continue }
    let arrived = lastEvent.withLock { $0 }
    eventToServed.append(Double(p &- arrived) / 1e6)
    writeToServed.append(Double(p &- wrote) / 1e6)
}
sync.stop()

func report(_ label: String, _ v: [Double]) {
    let s = v.sorted()
    guard !s.isEmpty else { return }
    func q(_ p: Double) -> Double { s[min(s.count - 1, Int(Double(s.count) * p))] }
    print(String(describing: label).padding(toLength: 34, withPad: " ", startingAt: 0)
          + "p50 \(String(format: "%.2f", q(0.5))) ms  p90 \(String(format: "%.2f", q(0.9))) ms  p99 \(String(format: "%.2f", q(0.99))) ms  max \(String(format: "%.2f", s.last ?? 0)) ms  (n=\(s.count))")
}
report("event received -> answer served", eventToServed)
report("API write -> answer served", writeToServed)
try? FileManager.default.removeItem(atPath: dir)
