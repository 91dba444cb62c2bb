import DNSWire
import FuzzSupport
import Zones

/// A zone file (origin example.org) through libldns and the zone checks: loaded, or one
/// clear error; never a crash.
func fuzzOne(_ input: UnsafeRawBufferPointer) {
    guard let origin = try? DNSName("example.org") else { return }
    do {
        // In memory (fmemopen): libldns and the checks, not a file per input.
        let z = try ZoneFile.parse(Array(input), path: "fuzz.zone", origin: origin)
        guard z.soa.type == .soa else { fatalError("a zone without its SOA") }
    } catch {
        guard !error.reason.isEmpty else { fatalError("an error without a reason") }
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
