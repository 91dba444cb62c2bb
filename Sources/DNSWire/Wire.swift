/// Named offsets and limits of the DNS message format (RFC 1035 §4.1, RFC 6891).
///
/// Every place that reads or writes a fixed position of a message uses these names,
/// so a reader can check the code against the RFC's diagrams.
public enum Wire {
    /// Offsets inside the 12-byte header (RFC 1035 §4.1.1).
    public enum Header {
        public static let id = 0
        public static let flags = 2
        public static let qdcount = 4
        public static let ancount = 6
        public static let nscount = 8
        public static let arcount = 10
        public static let size = 12
    }

    /// Bits of the 16-bit flags word.
    public enum Flag {
        public static let qr: UInt16 = 0x8000
        public static let opcodeShift: UInt16 = 11
        public static let opcodeMask: UInt16 = 0x7800
        public static let aa: UInt16 = 0x0400
        public static let tc: UInt16 = 0x0200
        public static let rd: UInt16 = 0x0100
        public static let ra: UInt16 = 0x0080
        public static let z: UInt16 = 0x0040
        public static let ad: UInt16 = 0x0020
        public static let cd: UInt16 = 0x0010
        public static let rcodeMask: UInt16 = 0x000F
    }

    /// Limits on names (RFC 1035 §2.3.4, §4.1.4).
    public enum Name {
        public static let maxLabelLength = 63
        /// Wire length including the length octets and the root label.
        public static let maxLength = 255
        /// The two high bits of a length octet that mark a compression pointer.
        public static let pointerMask: UInt8 = 0xC0
        /// A pointer's 14-bit offset can reach this far at most.
        public static let maxPointerOffset = 0x3FFF
    }

    /// Sizes of the fixed parts around names.
    public enum Question {
        /// QTYPE and QCLASS after the name.
        public static let fixedSize = 4
    }

    public enum Record {
        /// TYPE, CLASS, TTL and RDLENGTH after the owner name.
        public static let fixedSize = 10
        public static let typeOffset = 0
        public static let classOffset = 2
        public static let ttlOffset = 4
        public static let rdlengthOffset = 8
    }

    /// EDNS(0) (RFC 6891 §6.1.2, §6.1.3): the OPT pseudo-record's fields.
    public enum EDNS {
        /// Buffer size Sextant advertises and caps UDP replies at (DNS Flag Day 2020).
        public static let advertisedUDPSize: UInt16 = 1232
        /// Largest UDP reply to a query without EDNS (RFC 1035 §4.2.1).
        public static let classicUDPSize = 512
        /// The DO bit in the OPT TTL's low 16 bits (RFC 3225).
        public static let doBit: UInt16 = 0x8000
        /// Size of an OPT record with no options: root name plus the fixed part.
        public static let emptyOPTSize = 1 + Record.fixedSize
        /// Option code and option length before each option's data.
        public static let optionHeaderSize = 4
        /// Extended DNS Errors option (RFC 8914 §2): INFO-CODE, then optional text.
        public static let extendedErrorOption: UInt16 = 15
        /// EDE INFO-CODE 14, "Not Ready": the server has not loaded its data yet.
        public static let edeNotReady: UInt16 = 14
        /// EDE INFO-CODE 3, "Stale Answer": data restored from a state file, not yet
        /// confirmed by the source (RFC 8914 §4.4).
        public static let edeStaleAnswer: UInt16 = 3
    }

    /// Largest message over TCP: the two-byte length prefix (RFC 7766 §8).
    public static let maxTCPMessageSize = 65_535
}
