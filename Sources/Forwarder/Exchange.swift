#if canImport(Glibc)
import Glibc
#endif
import DNSWire

/// One question in flight upstream, with every client waiting for its answer (clients
/// asking the same question meanwhile join it instead of asking again). Owned by the
/// forwarder's thread.
final class Exchange {
    struct Key: Hashable {
        var name: [UInt8]
        var type: UInt16
        var bits: UInt16
    }

    /// Where a client's reply goes.
    enum Route {
        /// Sent with sendto on the worker's socket, from the address the client asked.
        case udp(fd: Int32, address: sockaddr_storage, length: socklen_t)
        /// Handed to a TCP connection, which frames and writes it.
        case callback(@Sendable ([UInt8]) -> Void)

        var isTCP: Bool {
            if case .callback = self { return true }
            return false
        }
    }

    /// A client: its query up to the end of the question (ID, flags, the question as
    /// sent), and its EDNS, which decide its reply.
    struct Waiter {
        var route: Route
        var prefix: [UInt8]
        var question: Question
        var edns: EDNSQuery?
    }

    let key: Key
    let name: DNSName
    let nameHash: UInt64
    let dnssec: Bool
    let checkingDisabled: Bool
    var waiters: [Waiter] = []
    /// Upstreams asked so far, in order.
    var tried: [Int] = []
    var upstream = -1
    var fd: Int32 = -1
    var id: UInt16 = 0
    var tcp: Bool
    /// The framed query and how much of it is written; the reply as it arrives.
    var tcpOut: [UInt8] = []
    var tcpWritten = 0
    var tcpIn: [UInt8] = []
    var connecting = false
    var sentAtNs: UInt64 = 0
    /// Distinguishes this attempt's timer from an earlier attempt's (timers are not removed).
    var attempt: UInt64 = 0
    /// The last upstream reply that said nothing about the name (SERVFAIL, REFUSED...):
    /// relayed if no upstream does better.
    var lastFailure: [UInt8]? = nil

    init(key: Key, name: DNSName, nameHash: UInt64, tcp: Bool) {
        self.key = key
        self.name = name
        self.nameHash = nameHash
        self.tcp = tcp
        dnssec = key.bits & 1 != 0
        checkingDisabled = key.bits & 2 != 0
    }

    /// The query for a new attempt, with a fresh random ID (`UpstreamQuery`).
    func upstreamQuery() -> [UInt8] {
        id = UInt16(truncatingIfNeeded: arc4random())
        return [UInt8](unsafeUninitializedCapacity: UpstreamQuery.maxSize) { buffer, count in
            count = key.name.withUnsafeBytes { n in
                UpstreamQuery.write(id: id, name: n.baseAddress.unsafelyUnwrapped, nameLength: n.count, type: key.type, dnssec: dnssec,
                                    checkingDisabled: checkingDisabled, into: UnsafeMutableRawPointer(buffer.baseAddress.unsafelyUnwrapped))
            }
        }
    }

    /// Whether a message is the reply to this attempt: our ID, QR, QUERY, one question
    /// equal (ignoring case) to ours.
    func accepts(_ reply: UnsafeRawBufferPointer, scratch: UnsafeMutableRawBufferPointer) -> Bool {
        guard reply.count >= Wire.Header.size,
              reply.baseAddress.unsafelyUnwrapped.loadUnaligned(as: UInt16.self) == id.bigEndian
        else { return false }
        let flags = reply.u16(at: Wire.Header.flags)
        guard flags & Wire.Flag.qr != 0, flags & Wire.Flag.opcodeMask == 0,
              let q = try? QueryParser.question(in: reply, lowercasedInto: scratch),
              q.type.rawValue == key.type, q.rclass == RRClass.in.rawValue, q.nameLength == key.name.count
        else { return false }
        return key.name.withUnsafeBytes { mine in
            memcmp(mine.baseAddress.unsafelyUnwrapped, scratch.baseAddress.unsafelyUnwrapped, key.name.count) == 0
        }
    }
}
