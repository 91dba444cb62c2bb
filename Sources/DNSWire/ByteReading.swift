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

/// The answer table's key hash over lower-cased wire names: eight bytes per step
/// (multiply and xor-shift), so hashing a 40-byte name costs a dozen instructions
/// instead of two per byte. The same function hashes a name when the table is built and
/// when a query arrives; both call it on contiguous bytes.
public enum NameHash {
    static let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15

    @inline(__always)
    static func start(_ count: Int) -> UInt64 { UInt64(truncatingIfNeeded: count) &* multiplier }

    /// Final avalanche: tables use the low bits for slots and the high ones for chunks.
    @inline(__always)
    static func finish(_ h: UInt64) -> UInt64 {
        let x = (h ^ (h >> 32)) &* 0xD6E8_FEB8_6659_FD93
        return x ^ (x >> 32)
    }

    @inline(__always)
    static func mix(_ h: UInt64, _ w: UInt64) -> UInt64 {
        let x = (h ^ w) &* multiplier
        return x ^ (x >> 29)
    }

    /// Hash of `count` bytes at `p`.
    @inline(__always)
    public static func hash(_ p: UnsafeRawPointer, count: Int) -> UInt64 {
        var h = start(count)
        var i = 0
        while i &+ 8 <= count {
            h = mix(h, p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i &+= 8
        }
        if i < count {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < count {
                w |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) &<< shift
                shift &+= 8
                i &+= 1
            }
            h = mix(h, w)
        }
        return finish(h)
    }

    @inline(__always)
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        guard let base = bytes.baseAddress else { return hash(UnsafeRawPointer(bitPattern: 1)!, count: 0) }
        return hash(base, count: bytes.count)
    }

    public static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { hash($0) }
    }

    public static func hash(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.withUnsafeBytes { hash($0) }
    }
}
