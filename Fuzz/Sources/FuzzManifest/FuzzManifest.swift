import FuzzSupport
import Zones

/// A manifest: the same bytes as YAML and as JSON (the List scanner's path); objects,
/// problems with their reasons, or one clear error.
func fuzzOne(_ input: UnsafeRawBufferPointer) {
    for suffix in [".yaml", ".json"] {
        let path = FuzzSupport.file(input, suffix: suffix)
        do {
            let m = try ManifestFile.load(path: path)
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
