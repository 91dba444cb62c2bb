// Where the heap goes when a zones folder is served: the store's objects, then its
// compiled tables, as resident bytes after each step.
//   .build/release/MemoryProfile ../../shared/bench/data/n100000-c3/zones
import AnswerTable
import ClusterSet
import DNSWire
import Foundation
import Logging
import Zones

func rssKB() -> Int {
    let s = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = s.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
}

// RSS, not the allocator's count (Glibc's module map leaves malloc.h out): each step
// only adds memory, so the differences are what it holds.
func heapBytes() -> Int { rssKB() * 1024 }

// glibc's malloc_stats (no arguments, no result: the Swift and C conventions agree);
// it prints the bytes in use, which RSS hides behind freed holes.
@_silgen_name("malloc_stats") func mallocStats()

func report(_ step: String, since: Int, per: Int) -> Int {
    if CommandLine.arguments.contains("--malloc") {
        fflush(nil)
        mallocStats()
    }
    let now = heapBytes()
    let delta = now - since
    print("\(step): heap \(now / 1024) KiB (+\(delta / 1024) KiB, \(per > 0 ? delta / per : 0) B per service), RSS \(rssKB()) KiB")
    return now
}

guard CommandLine.arguments.count > 1 else {
    print("usage: MemoryProfile ZONES_FOLDER")
    exit(2)
}
let logger = Logger(label: "memory")
let start = report("start", since: 0, per: 0)
let folder = ZoneFolder(directory: CommandLine.arguments[1], servedZones: [])
let contents: ZoneFolder.Contents
do { contents = try folder.load(required: true, logger: logger) } catch {
    print("\(error)")
    exit(2)
}
let services = contents.objects.filter { if case .serviceImport = $0 { return true }; return false }.count
print("\(contents.objects.count) objects, \(services) services")
let decoded = report("decoded", since: start, per: services)
let store = ClusterSetStore(configuration: StoreConfiguration(localClusterID: nil, zones: contents.zones.map(\.apex)))
for o in contents.objects { store.apply(.upsert(o)) }
let applied = report("applied (objects shared with the decoded list)", since: decoded, per: services)
let table = store.makeTable(zones: contents.zones)
let compiled = report("compiled", since: applied, per: services)
print("table: \(table.serviceTableCount) service tables, \(table.arenaBytes) table bytes (\(table.arenaBytes / max(services, 1)) per service)")
var list: [KubeObject]? = contents.objects
_ = list
list = nil
print("total over start: \((heapBytes() - start) / max(services, 1)) B per service (objects still held by the decoded list too)")
withExtendedLifetime((store, table)) {}
