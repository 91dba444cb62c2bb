import ClusterSet
import FastJSON
import Foundation
import FuzzSupport
import KubeClient

/// An object as a watch event or a LIST page carries it (`Decoded<Item>`: the reference
/// always, the item or the reason it is skipped), for each kind Sextant watches; the fast
/// decoder against JSONDecoder; the bytes as a watch stream and as a LIST page.
func fuzzOne(_ input: UnsafeRawBufferPointer) {
    let data = Data(input)
    let decoder = JSONDecoder()
    // Bounded, as the watcher decodes (JSONDecoder traps on some text nested past 512).
    if let d = try? decoder.decodeBounded(Decoded<ServiceImport>.self, from: data) { inspect(d) }
    if let d = try? decoder.decodeBounded(Decoded<EndpointSlice>.self, from: data) { inspect(d) }
    if let d = try? decoder.decodeBounded(Decoded<Gateway>.self, from: data) { inspect(d) }
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
    // Through a memo that holds the usual slice's ports, then the input's own (a decoding
    // thread's memo, `KubeObject.DecodeMemo`): what a fresh decode gives, every time.
    var memo = KubeObject.DecodeMemo()
    _ = usualSlice.withUnsafeBytes { KubeObject.fastDecode($0, memo: &memo) }
    let alone = KubeObject.fastDecode(input, kind: .endpointSlice)
    for _ in 0..<2 {
        let through = KubeObject.fastDecode(input, kind: .endpointSlice, memo: &memo)
        switch (alone, through) {
        case (.object(let a), .object(let b)) where a == b: break
        case (.otherKind, .otherKind), (.undecided, .undecided): break
        default: fatalError("a decode through the memo differs from a fresh one")
        }
    }
    // The same bytes as a watch stream, cut where the first byte says (the line buffer
    // and the event decoder), and as a LIST page read both ways.
    let chunk = Int(input.first ?? 1) + 1
    _ = StreamProbe.watch(input, chunk: chunk, maxLine: 1 << 16, as: EndpointSlice.self)
    let page = StreamProbe.listPage(Array(input)) { (raw: UnsafeRawBufferPointer) -> (ObjectReference, EndpointSlice)? in
        guard case .object(.endpointSlice(let o)) = KubeObject.fastDecode(raw, kind: .endpointSlice) else { return nil }
        return (ObjectReference(name: o.metadata.name, namespace: o.metadata.namespace, resourceVersion: o.metadata.resourceVersion), o)
    }
    if let fast = page.fast {
        guard let slow = page.slow, slow.count == fast.count else { fatalError("a LIST page the fast reader read and JSONDecoder did not, or not alike") }
        for (f, s) in zip(fast, slow) {
            guard f.reference == s.reference else { fatalError("a LIST item's reference differs") }
            switch (f.item, s.item) {
            case (.success(let a), .success(let b)): if a != b { fatalError("a LIST item differs") }
            case (.failure, .failure): break
            default: fatalError("a LIST item read by one reader and refused by the other")
            }
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

/// A usual EndpointSlice (the fixtures' shape), to fill the memo before each input.
let usualSlice = Array(#"{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"s","namespace":"n"},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"]}],"ports":[{"name":"http","protocol":"TCP","port":80}]}"#.utf8)
