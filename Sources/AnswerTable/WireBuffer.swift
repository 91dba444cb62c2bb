import DNSWire

/// A growable byte buffer written with plain stores, for the service compiler.
///
/// The compiler appends one to a few bytes at a time; `[UInt8].append` checks capacity
/// and uniqueness on each call and was the top of the compile profile. One buffer per
/// compile thread is reused for every service.
final class WireBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    package init(capacity: Int = 4096) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    @inline(__always)
    func reserve(_ n: Int) {
        if count &+ n > capacity { grow(count &+ n) }
    }

    private func grow(_ needed: Int) {
        var c = capacity * 2
        while c < needed { c *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = c
    }

    @inline(__always)
    func append(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count &+= 1
    }

    @inline(__always)
    func appendUInt16(_ v: UInt16) {
        reserve(2)
        base[count] = UInt8(truncatingIfNeeded: v >> 8)
        base[count &+ 1] = UInt8(truncatingIfNeeded: v)
        count &+= 2
    }

    @inline(__always)
    func appendUInt32(_ v: UInt32) {
        appendUInt16(UInt16(truncatingIfNeeded: v >> 16))
        appendUInt16(UInt16(truncatingIfNeeded: v))
    }

    /// `n` zero bytes, to be filled in later (`setUInt16`).
    @inline(__always)
    func appendZeros(_ n: Int) {
        reserve(n)
        (base + count).initialize(repeating: 0, count: n)
        count &+= n
    }

    func append(_ bytes: UnsafeRawBufferPointer) {
        guard let p = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        UnsafeMutableRawPointer(base + count).copyMemory(from: p, byteCount: bytes.count)
        count &+= bytes.count
    }

    /// Appends a string's UTF-8 bytes lower-cased (ASCII letters, as names are stored),
    /// read in place: through `String.UTF8View` one byte at a time it was a tenth of
    /// compiling a service.
    func appendLowercased(_ text: String) {
        var text = text
        text.withUTF8 { appendLowercased(UnsafeRawBufferPointer($0)) }
    }

    func appendLowercased(_ bytes: UnsafeRawBufferPointer) {
        reserve(bytes.count)
        let out = base + count
        for i in 0..<bytes.count { out[i] = DNSName.lower(bytes[i]) }
        count &+= bytes.count
    }

    /// Appends a copy of `length` bytes of its own, from `offset`.
    @inline(__always)
    func appendCopy(from offset: Int, length: Int) {
        reserve(length)
        (base + count).update(from: base + offset, count: length)
        count &+= length
    }

    @inline(__always)
    subscript(i: Int) -> UInt8 { base[i] }

    @inline(__always)
    func setUInt16(_ v: UInt16, at i: Int) {
        base[i] = UInt8(truncatingIfNeeded: v >> 8)
        base[i &+ 1] = UInt8(truncatingIfNeeded: v)
    }

    func truncate(to n: Int) { count = min(count, n) }

    func removeAll() { count = 0 }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
