import DNSWire

/// The query Sextant sends upstream, written into a caller's buffer: the ID given, RD,
/// the client's CD, the lower-cased question (class IN), and an OPT with Sextant's
/// buffer size and the client's DO. The UDP workers write it without allocating (they
/// send a miss's first query themselves); the forwarder's thread for retries.
public enum UpstreamQuery {
    /// Header, the longest name, type and class, an empty OPT.
    public static let maxSize = Wire.Header.size + Wire.Name.maxLength + Wire.Question.fixedSize + Wire.EDNS.emptyOPTSize

    @inline(__always)
    public static func write(id: UInt16, name: UnsafeRawPointer, nameLength: Int, type: UInt16, dnssec: Bool, checkingDisabled: Bool,
                             into out: UnsafeMutableRawPointer) -> Int {
        let flags = Wire.Flag.rd | (checkingDisabled ? Wire.Flag.cd : 0)
        out.storeBytes(of: id.bigEndian, toByteOffset: 0, as: UInt16.self)
        out.storeBytes(of: flags.bigEndian, toByteOffset: 2, as: UInt16.self)
        out.storeBytes(of: UInt16(1).bigEndian, toByteOffset: 4, as: UInt16.self)
        out.storeBytes(of: UInt32(0), toByteOffset: 6, as: UInt32.self)
        out.storeBytes(of: UInt16(1).bigEndian, toByteOffset: 10, as: UInt16.self)
        (out + Wire.Header.size).copyMemory(from: name, byteCount: nameLength)
        var o = Wire.Header.size + nameLength
        out.storeBytes(of: type.bigEndian, toByteOffset: o, as: UInt16.self)
        out.storeBytes(of: RRClass.in.rawValue.bigEndian, toByteOffset: o + 2, as: UInt16.self)
        o += Wire.Question.fixedSize
        // OPT: root, TYPE 41, CLASS = buffer size, TTL = 0 / version 0 / DO, RDLENGTH 0.
        out.storeBytes(of: UInt8(0), toByteOffset: o, as: UInt8.self)
        out.storeBytes(of: RRType.opt.rawValue.bigEndian, toByteOffset: o + 1, as: UInt16.self)
        out.storeBytes(of: Wire.EDNS.advertisedUDPSize.bigEndian, toByteOffset: o + 3, as: UInt16.self)
        out.storeBytes(of: UInt16(0), toByteOffset: o + 5, as: UInt16.self)
        out.storeBytes(of: (dnssec ? Wire.EDNS.doBit : 0).bigEndian, toByteOffset: o + 7, as: UInt16.self)
        out.storeBytes(of: UInt16(0), toByteOffset: o + 9, as: UInt16.self)
        return o + Wire.EDNS.emptyOPTSize
    }
}
