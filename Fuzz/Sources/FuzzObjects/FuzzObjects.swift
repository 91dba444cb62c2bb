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
    // The fast decoder must agree with JSONDecoder whenever it decides (issue 18).
    for kind in [ObjectKind?.none, .serviceImport, .endpointSlice] {
        switch KubeObject.fastDecode(input, kind: kind) {
        case .object(let fast):
            let k = kind ?? fast.key.kind
            guard let slow = try? KubeObject.decode(kind: k, json: data) else { fatalError("the fast decoder read an object JSONDecoder refuses") }
            if slow != fast { fatalError("the fast decoder and JSONDecoder read different objects") }
        case .otherKind:
            if (try? JSONSerialization.jsonObject(with: data)) == nil { fatalError("the fast decoder passed over invalid JSON") }
        case .undecided:
            break
        }
    }
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
