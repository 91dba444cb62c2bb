import FuzzSupport
import KubeClient

/// A kubeconfig: a configuration, or one clear error that never quotes a token.
func fuzzOne(_ input: UnsafeRawBufferPointer) {
    let path = FuzzSupport.file(input, suffix: ".kubeconfig")
    do {
        let c = try KubeConfig.load(kubeconfig: path)
        guard !c.server.isEmpty else { fatalError("a configuration without a server") }
    } catch {
        guard !error.description.isEmpty else { fatalError("an error without a message") }
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
