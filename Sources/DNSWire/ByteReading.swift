/// Big-endian reads from untrusted bytes. Callers check bounds first: in release builds
/// `UnsafeRawBufferPointer` subscripts are not bounds-checked, so every read below is
/// preceded by an explicit length test in its caller.
extension UnsafeRawBufferPointer {
    @inlinable @inline(__always)
    public func u16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    @inlinable @inline(__always)
    public func u32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16
            | UInt32(self[offset + 2]) << 8 | UInt32(self[offset + 3])
    }
}

extension UnsafeMutableRawBufferPointer {
    @inlinable @inline(__always)
    public func put16(_ v: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: v >> 8)
        self[offset + 1] = UInt8(truncatingIfNeeded: v)
    }
}

/// FNV-1a over lower-cased name bytes: the answer table's key hash. Computed while the
/// parser validates and lower-cases the question, so a lookup reads the name once.
public enum NameHash {
    public static let seed: UInt64 = 0xcbf2_9ce4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01b3

    @inline(__always)
    public static func step(_ h: UInt64, _ byte: UInt8) -> UInt64 {
        (h ^ UInt64(byte)) &* prime
    }

    public static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var h = seed
        for b in bytes { h = step(h, b) }
        return h
    }
}
