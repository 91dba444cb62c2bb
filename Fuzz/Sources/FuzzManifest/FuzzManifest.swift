import FuzzSupport
import Zones

/// A manifest: the same bytes as YAML and as JSON (the List scanner's path); objects,
/// problems with their reasons, or one clear error. In memory (`ManifestFile.parse`):
/// the readers, not a file written and read back per input.
func fuzzOne(_ input: UnsafeRawBufferPointer) {
    let bytes = Array(input)
    for suffix in [".yaml", ".json"] {
        do {
            let m = try ManifestFile.parse(bytes, path: "fuzz" + suffix)
            for p in m.problems where p.reason.isEmpty { fatalError("a problem without a reason") }
        } catch {
            guard !error.reason.isEmpty else { fatalError("an error without a reason") }
        }
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
