import CCrypto
import FoundationEssentials

/// A Curve25519 key as WireGuard uses it: 32 bytes, base64 in Submariner's Endpoint
/// (`backend_config.publicKey`), hex on the UAPI socket.
public struct WireGuardKey: Hashable, Sendable {
    public var bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    public init?(base64: String) {
        guard let d = Data(base64Encoded: base64), d.count == 32 else { return nil }
        bytes = Array(d)
    }

    public init?(hex: some StringProtocol) {
        let u = Array(hex.utf8)
        guard u.count == 64 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var i = 0
        while i < 64 {
            guard let h = Self.nibble(u[i]), let l = Self.nibble(u[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        bytes = out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    public var base64: String { Data(bytes).base64EncodedString() }
    public var hex: String { bytes.map { String($0, radix: 16).leftPadded(2) }.joined() }

    /// A new private key from the system's random source, clamped as X25519 wants.
    public static func generatePrivate() -> WireGuardKey {
        var g = SystemRandomNumberGenerator()
        var b = (0..<32).map { _ in UInt8.random(in: 0...255, using: &g) }
        b[0] &= 248
        b[31] = (b[31] & 127) | 64
        return WireGuardKey(unchecked: b)
    }

    private init(unchecked: [UInt8]) { bytes = unchecked }

    /// The public key of this private key (X25519 base-point multiplication, libcrypto).
    public func publicKey() throws(GatewayError) -> WireGuardKey {
        try Self.loadCrypto()
        guard let pkey = bytes.withUnsafeBufferPointer({ ccrypto_x25519_private_key($0.baseAddress, 32) }) else {
            throw GatewayError("libcrypto: cannot load an X25519 private key")
        }
        defer { ccrypto_pkey_free(pkey) }
        var out = [UInt8](repeating: 0, count: 32)
        var len = 32
        guard ccrypto_pkey_get_raw_public_key(pkey, &out, &len) == 1, len == 32 else {
            throw GatewayError("libcrypto: cannot derive the X25519 public key")
        }
        return WireGuardKey(unchecked: out)
    }

    /// Submariner's pre-shared key: SHA-256 of the PSK text (`"default psk"` by default).
    public static func presharedKey(from text: [UInt8]) throws(GatewayError) -> WireGuardKey {
        try loadCrypto()
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        let ok = text.withUnsafeBufferPointer { ccrypto_sha256($0.baseAddress, $0.count, &out, &len) }
        guard ok == 1, len == 32 else { throw GatewayError("libcrypto: SHA-256 failed") }
        return WireGuardKey(unchecked: out)
    }

    /// libcrypto is opened on the first key (not linked: the DNS server never needs it).
    static func loadCrypto() throws(GatewayError) {
        if let failure = ccrypto_load() { throw GatewayError(String(cString: failure)) }
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
