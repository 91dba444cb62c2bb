import FastJSON
import Foundation
import FuzzSupport
import Gateway

/// The gateway's inputs from other gateways: exchange files (a List of Cluster and
/// Endpoint), Endpoints and Gateway status objects, Go durations. What decodes encodes
/// and decodes again to the same value.
func fuzzOne(_ input: UnsafeRawBufferPointer) {
    let data = Data(input)
    let decoder = JSONDecoder()
    if let e = try? decoder.decodeBounded(EndpointObject.self, from: data) { roundTrip(e) }
    if let g = try? decoder.decodeBounded(GatewayObject.self, from: data) { roundTrip(g) }
    if let c = try? decoder.decodeBounded(ClusterObject.self, from: data) { roundTrip(c) }
    if input.count < 64, let text = String(bytes: input, encoding: .utf8), let d = GoDuration(parsing: text) {
        // What Go would print for it parses back to the same duration (to the nanosecond).
        guard let again = GoDuration(parsing: d.description), again == d else { fatalError("\(text) → \(d) does not round-trip") }
    }
    if let text = String(bytes: input, encoding: .utf8), let n = IPv4Network(text) {
        guard IPv4Network(n.description) == n else { fatalError("\(text) → \(n) does not round-trip") }
    }
}

func roundTrip<T: Codable & Equatable>(_ value: T) {
    guard let data = try? JSONEncoder().encode(value), let back = try? JSONDecoder().decode(T.self, from: data) else {
        fatalError("a decoded \(T.self) does not encode and decode again")
    }
    guard back == value else { fatalError("a \(T.self) changed on the round trip") }
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
