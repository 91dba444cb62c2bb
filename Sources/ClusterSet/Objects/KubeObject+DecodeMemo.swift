import AnswerTable
import FastJSON

extension KubeObject {
    /// What the fast decoder made of the previous objects that the next one can reuse:
    /// the last `ports` list, as its JSON bytes and the shared list they gave, and where
    /// the last labels had Lighthouse's common strings.
    ///
    /// Every slice and import of a service, and most services of a cluster set, list the
    /// same ports: reading them (strings made, lower-cased, hashed into the shared set
    /// under its lock) was a tenth of the decoding at start-up. The same bytes are the
    /// same list, so a match costs one comparison. One memo per decoding thread.
    public struct DecodeMemo {
        private var portsJSON: [UInt8] = []
        private var ports: [ServicePort] = []
        /// The last labels' and annotations' common strings by place
        /// (`StringPairs.ASCIIPieces.Prediction`).
        var labels = StringPairs.ASCIIPieces.Prediction()
        var annotations = StringPairs.ASCIIPieces.Prediction()

        public init() {}

        /// The list when the cursor's next value has the bytes of the last one recorded
        /// (and the cursor past it).
        mutating func reusePorts(_ c: inout JSONCursor) -> [ServicePort]? {
            guard !portsJSON.isEmpty else { return nil }
            let hit = portsJSON.withUnsafeBytes { c.take(exactly: $0) }
            return hit ? ports : nil
        }

        /// Remembers the list read from `json` (bytes of the input, copied).
        mutating func record(portsJSON json: UnsafeRawBufferPointer, ports list: [ServicePort]) {
            // A long list is not worth comparing against every object (nor keeping).
            guard json.count <= 512 else { return }
            portsJSON.removeAll(keepingCapacity: true)
            portsJSON.append(contentsOf: json)
            ports = list
        }
    }
}
