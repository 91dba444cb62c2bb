/// JSON text eight bytes at a time: the bytes a string's scan must stop at, found in one
/// word (Kubernetes' strings are short, and a byte loop or a `memchr` call per string was
/// most of a scan). Both string scans, the cursor's and the List scan's
/// (`JSONListScanner`), use it.
package enum JSONWord {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The high bit of each byte of `w` that is a quote or a backslash. Exact at the
    /// lowest one (a subtraction's borrow flags only bytes above a true match), which is
    /// all a scan reads: `trailingZeroBitCount >> 3` is its offset (little-endian).
    @inline(__always) package static func quotesAndBackslashes(_ w: UInt64) -> UInt64 {
        let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
        return (((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)) & highs
    }

    /// The same, with control characters (below 0x20) and non-ASCII bytes too: where a
    /// strict string scan stops.
    @inline(__always) package static func stops(_ w: UInt64) -> UInt64 {
        quotesAndBackslashes(w) | (((w &- ones &* 0x20) & ~w) | w) & highs
    }
}
