import AnswerTable
import DNSWire
import FuzzSupport
import Zones

/// A zone file (origin example.org) through both readers and the zone checks: loaded, or
/// one clear error; never a crash. What Sextant's own reader reads (`ZoneFile.plain`)
/// must be exactly what libldns reads from the same bytes.
func fuzzOne(_ input: UnsafeRawBufferPointer) {
    guard let origin = try? DNSName("example.org") else { return }
    let bytes = Array(input)
    // libldns in memory (fmemopen), not a file per input.
    let ldns = Result { () throws(ZoneFileError) -> ZoneContent in try ZoneFile.parseWithLDNS(bytes, path: "fuzz.zone", origin: origin) }
    switch ldns {
    case .success(let z):
        guard z.soa.type == .soa else { fatalError("a zone without its SOA") }
    case .failure(let error):
        guard !error.reason.isEmpty else { fatalError("an error without a reason") }
    }
    if let plain = ZoneFile.plain(bytes, origin: origin) {
        guard case .success(let z) = ldns else { fatalError("the plain reader read a file libldns refuses: \(ldns)") }
        guard plain == z else { fatalError("the plain reader and libldns differ:\n\(plain)\n\(z)") }
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
