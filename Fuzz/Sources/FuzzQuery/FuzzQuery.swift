import AnswerTable
import ClusterSet
import DNSServer
import DNSWire
import Foundation
import FuzzSupport
import Logging
import Zones

/// The demo zones' answer table (the repository's `zones/`), built once.
let table: AnswerTable = {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("zones").path
    let zone = (try? DNSName("clusterset.local")) ?? DNSName.root
    var logger = Logger(label: "fuzz")
    logger.logLevel = .critical
    guard let contents = try? ZoneFolder(directory: dir, servedZones: [zone]).load(required: true, logger: logger),
          !contents.objects.isEmpty else { fatalError("the demo zones did not load from \(dir)") }
    let publisher = StorePublisher(configuration: StoreConfiguration(zones: [zone]), zones: contents.zones, objects: contents.objects, ready: true)
    return publisher.snapshots.table
}()
nonisolated(unsafe) let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Responder.scratchSize, alignment: 16)
nonisolated(unsafe) let parsed = UnsafeMutableRawBufferPointer.allocate(byteCount: Responder.scratchSize, alignment: 16)
nonisolated(unsafe) let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535, alignment: 16)

/// Every reply parses, keeps the query's ID, echoes its question byte for byte, and
/// stays within what the transport and the query's EDNS allow; REFUSED and truncated
/// replies (the --allow and --rrl paths) too.
func fuzzOne(_ query: UnsafeRawBufferPointer) {
    let question = try? QueryParser.question(in: query, lowercasedInto: parsed)
    for transport in [Transport.udp, .tcp] {
        var n = Responder.respond(to: query, table: table, transport: transport, scratch: scratch, out: out)
        check(query, n, question: question, transport: transport)
        if n > 0 {
            n = Responder.truncate(reply: out, length: n)
            check(query, n, question: question, transport: transport)
        }
    }
    check(query, Responder.refuse(to: query, scratch: scratch, out: out), question: question, transport: .udp)
}

func check(_ query: UnsafeRawBufferPointer, _ n: Int, question: Question?, transport: Transport) {
    guard n > 0 else { return }
    guard n <= (transport == .udp ? 1232 : 65535) else { fatalError("a \(transport) reply of \(n) bytes") }
    let reply = Array(UnsafeRawBufferPointer(rebasing: out[0..<n]))
    guard let m = try? Message(decoding: reply) else { fatalError("a reply that does not parse: \(reply)") }
    guard m.id == UInt16(query[0]) << 8 | UInt16(query[1]) else { fatalError("the reply's ID differs") }
    if let q = question, n >= q.end, reply[2] & 0x0F != 1 /* FORMERR may carry no question */ {
        guard Array(query[12..<q.end]) == Array(reply[12..<q.end]) else { fatalError("the question is not echoed") }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
@main struct Replay { static func main() { FuzzSupport.replay(fuzzOne) } }
#endif
