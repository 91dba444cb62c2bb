import ClusterSet
import Foundation
import FuzzSupport
import KubeClient

/// An object as a watch event or a LIST page carries it (`Decoded<Item>`: the reference
/// always, the item or the reason it is skipped), for each kind Sextant watches.
func fuzzOne(_ input: UnsafeRawBufferPointer) {
    let data = Data(input)
    let decoder = JSONDecoder()
    if let d = try? decoder.decode(Decoded<ServiceImport>.self, from: data) { inspect(d) }
    if let d = try? decoder.decode(Decoded<EndpointSlice>.self, from: data) { inspect(d) }
    if let d = try? decoder.decode(Decoded<Gateway>.self, from: data) { inspect(d) }
}

func inspect<T>(_ d: Decoded<T>) {
    if case .failure(let f) = d.item, f.reason.isEmpty { fatalError("a skipped object without a reason") }
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
