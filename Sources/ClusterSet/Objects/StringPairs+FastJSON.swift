import FastJSON
import Glibc

extension StringPairs {
    /// Labels or annotations packed straight from the JSON bytes, without a `String` for
    /// any key or value: at start-up with 100,000 services the strings made, sorted and
    /// packed were a tenth of the time. Only the plain case is taken: at most 16 pairs,
    /// every key and value a string of ASCII without escapes (so byte order is `String`
    /// order and equal bytes are equal strings), keys unique. Anything else is nil, and
    /// the caller reads the object again the general way; the bytes packed are the same
    /// either way (`FastJSONTests`, the fuzz target `FuzzObjects`).
    static func fastDecodeASCII(_ c: inout JSONCursor) -> StringPairs? {
        typealias Piece = UnsafeRawBufferPointer
        var pairs = InlineArray<16, (key: Piece, value: Piece)>(repeating: (Piece(start: nil, count: 0), Piece(start: nil, count: 0)))
        var n = 0
        guard c.asciiObject({ key, c in
            guard n < 16, let value = c.rawASCIIString() else { return false }
            pairs[n] = (key, value)
            n += 1
            return true
        }) else { return nil }
        // Byte order (ASCII): a shorter key before the longer one it begins.
        func order(_ a: Piece, _ b: Piece) -> Int32 {
            let m = Swift.min(a.count, b.count)
            if m > 0, let pa = a.baseAddress, let pb = b.baseAddress {
                let r = memcmp(pa, pb, m)
                if r != 0 { return r }
            }
            return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
        }
        var i = 1
        while i < n {
            var j = i
            while j > 0, order(pairs[j].key, pairs[j - 1].key) < 0 {
                pairs.swapAt(j, j - 1)
                j -= 1
            }
            if j > 0, order(pairs[j].key, pairs[j - 1].key) == 0 { return nil }
            i += 1
        }
        var out: [UInt8] = []
        var size = 0
        for k in 0..<n { size += pairs[k].key.count + pairs[k].value.count + 2 }
        out.reserveCapacity(size)
        for k in 0..<n {
            Packed.append(bytes: pairs[k].key, to: &out)
            Packed.append(bytes: pairs[k].value, to: &out)
        }
        return StringPairs(packed: out)
    }
}
