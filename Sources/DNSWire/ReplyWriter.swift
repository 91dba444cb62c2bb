/// The pieces every reply is made of, written into a caller's buffer without allocating:
/// the server's authoritative answers and the forwarder's cached ones use the same.
///
/// Callers check that `out` has room first; these write blindly.
public enum ReplyWriter {
    /// The largest UDP reply for a query: 512 bytes without EDNS, else the client's
    /// buffer clamped to [512, 1232] (RFC 6891 §6.2.5, DNS Flag Day 2020).
    @inlinable @inline(__always)
    public static func udpLimit(edns: EDNSQuery?) -> Int {
        guard let e = edns else { return Wire.EDNS.classicUDPSize }
        return min(max(Int(e.udpSize), Wire.EDNS.classicUDPSize), Int(Wire.EDNS.advertisedUDPSize))
    }

    /// The 12 header bytes in two stores: the query's ID copied, then flags and the four
    /// counts, big-endian.
    @inlinable @inline(__always)
    public static func header(query: UnsafeRawBufferPointer, flags: UInt16, qd: UInt16, an: UInt16, ns: UInt16, ar: UInt16,
                              out: UnsafeMutableRawBufferPointer) {
        let id = query.baseAddress.unsafelyUnwrapped.loadUnaligned(as: UInt16.self)
        let first = UInt32(truncatingIfNeeded: id) | UInt32(flags.bigEndian) &<< 16
        let rest = UInt64(qd.bigEndian) | UInt64(an.bigEndian) &<< 16 | UInt64(ns.bigEndian) &<< 32 | UInt64(ar.bigEndian) &<< 48
        out.baseAddress.unsafelyUnwrapped.storeBytes(of: first, toByteOffset: Wire.Header.id, as: UInt32.self)
        out.baseAddress.unsafelyUnwrapped.storeBytes(of: rest, toByteOffset: Wire.Header.qdcount, as: UInt64.self)
    }

    /// Copies the question as received: its case and bytes are echoed exactly. Returns
    /// the offset after it.
    @inlinable @inline(__always)
    public static func question(query: UnsafeRawBufferPointer, question: Question, out: UnsafeMutableRawBufferPointer) -> Int {
        let n = question.end - Wire.Header.size
        (out.baseAddress.unsafelyUnwrapped + Wire.Header.size).copyMemory(from: query.baseAddress.unsafelyUnwrapped + Wire.Header.size, byteCount: n)
        return question.end
    }

    /// Appends an OPT record (RFC 6891 §6.1.2): our buffer size, version 0, the extended
    /// RCODE bits, and the DO bit copied from the query (RFC 3225 §3).
    @inlinable @inline(__always)
    public static func opt(edns: EDNSQuery, rcode: RCode, at o: Int, out: UnsafeMutableRawBufferPointer) -> Int {
        // Root owner, TYPE OPT, CLASS = our buffer size, TTL = extended RCODE, version 0,
        // DO copied; RDLENGTH 0. Big-endian fields in one 8-byte and one 3-byte write.
        let p = out.baseAddress.unsafelyUnwrapped + o
        let head = UInt64(RRType.opt.rawValue.bigEndian) &<< 8
            | UInt64(Wire.EDNS.advertisedUDPSize.bigEndian) &<< 24
            | UInt64(rcode.extendedBits) &<< 40
        p.storeBytes(of: head, as: UInt64.self)  // bytes 0-7: 0, OPT, size, ext-rcode, version 0, (overwritten)
        let tail = (edns.flags & Wire.EDNS.doBit).bigEndian
        p.storeBytes(of: tail, toByteOffset: 7, as: UInt16.self)
        p.storeBytes(of: UInt16(0), toByteOffset: 9, as: UInt16.self)
        return o + Wire.EDNS.emptyOPTSize
    }

    /// Adds an Extended DNS Error option (RFC 8914) to the reply's OPT, its last record
    /// (written empty by `opt`), when it fits within `limit`; otherwise the reply stays
    /// as it is. Returns the new length.
    public static func appendEDE(_ code: UInt16, length o: Int, limit: Int, out: UnsafeMutableRawBufferPointer) -> Int {
        let ede = Wire.EDNS.optionHeaderSize + 2
        guard o + ede <= limit else { return o }
        out.put16(UInt16(ede), at: o - 2)
        out.put16(Wire.EDNS.extendedErrorOption, at: o)
        out.put16(2, at: o + 2)
        out.put16(code, at: o + 4)
        return o + ede
    }
}
