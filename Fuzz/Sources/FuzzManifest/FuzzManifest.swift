import FuzzSupport
import Zones

#if canImport(Glibc)
import Glibc
#endif

/// One scratch file for every input of the windowed List read (unlinked: `tmpfile`).
/// nonisolated(unsafe): libFuzzer calls the target from one thread.
nonisolated(unsafe) let scratch: Int32 = {
    guard let file = tmpfile() else { fatalError("no scratch file") }
    return fileno(file)
}()

/// A manifest: the same bytes as YAML and as JSON (the List scanner's path); objects,
/// problems with their reasons, or one clear error. In memory (`ManifestFile.parse`):
/// the readers, not a file written and read back per input. As JSON also through the
/// windowed reads of a List file (two passes: a 64-byte window, 256-byte chunks; one
/// pass: a 64-byte window; every refill and growth path), which must decode what the
/// bytes in memory decode.
func fuzzOne(_ input: UnsafeRawBufferPointer) {
    let bytes = Array(input)
    var asJSON: ManifestFile.Contents? = nil
    for suffix in [".yaml", ".json"] {
        do {
            let m = try ManifestFile.parse(bytes, path: "fuzz" + suffix)
            for p in m.problems where p.reason.isEmpty { fatalError("a problem without a reason") }
            if suffix == ".json" { asJSON = m }
        } catch {
            guard !error.reason.isEmpty else { fatalError("an error without a reason") }
        }
    }
    guard ftruncate(scratch, 0) == 0, bytes.isEmpty || pwrite(scratch, bytes, bytes.count, 0) == bytes.count else {
        fatalError("the scratch file cannot be written")
    }
    // In two passes (scan, then chunks), and in one pass (one CPU) through a 64-byte window.
    let reads = [ManifestFile.decodeJSONList(fd: scratch, path: "fuzz.json", window: 64, chunk: 256),
                 ManifestFile.streamJSONList(fd: scratch, path: "fuzz.json", chunk: 64)]
    for windowed in reads.compactMap({ $0 }) {
        guard let whole = asJSON,
              windowed.objects.map(\.key.description) == whole.objects.map(\.key.description),
              windowed.problems.map(\.description) == whole.problems.map(\.description),
              windowed.otherKinds == whole.otherKinds else {
            fatalError("the windowed read of a List differs from the bytes in memory")
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
