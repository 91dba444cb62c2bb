extension ResourceRecord {
    /// RDATA in presentation format: what `dig` prints and what the answer vectors hold.
    public var presentationData: String {
        let w = rdata.wire
        func u16(_ o: Int) -> UInt16 { UInt16(w[o]) << 8 | UInt16(w[o + 1]) }
        switch type {
        case .a where w.count == 4:
            return w.map(String.init).joined(separator: ".")
        case .aaaa where w.count == 16:
            return IPv6Text.format(w)
        case .ns, .cname, .ptr:
            if case .name(let n)? = rdata.pieces.first { return n.description }
        case .srv where rdata.pieces.count == 2:
            if case .name(let n) = rdata.pieces[1] { return "\(u16(0)) \(u16(2)) \(u16(4)) \(n)" }
        case .mx where rdata.pieces.count == 2:
            if case .name(let n) = rdata.pieces[1] { return "\(u16(0)) \(n)" }
        case .soa where rdata.pieces.count == 3:
            if case .name(let m) = rdata.pieces[0], case .name(let r) = rdata.pieces[1], case .bytes(let b) = rdata.pieces[2] {
                let f = (0..<5).map { k -> String in
                    let o = k * 4
                    return String(UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3]))
                }
                return "\(m) \(r) " + f.joined(separator: " ")
            }
        case .txt:
            var parts: [String] = []
            var i = 0
            while i < w.count {
                let n = Int(w[i])
                guard i + 1 + n <= w.count else { break }
                var s = "\""
                for b in w[(i + 1)..<(i + 1 + n)] {
                    if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { s += "\\" + String(Character(Unicode.Scalar(b))) }
                    else if b >= 0x20 && b < 0x7F { s.append(Character(Unicode.Scalar(b))) }
                    else { let d = String(b); s += "\\" + String(repeating: "0", count: 3 - d.count) + d }
                }
                parts.append(s + "\"")
                i += 1 + n
            }
            return parts.joined(separator: " ")
        default:
            break
        }
        let hex = w.map { b -> String in
            let s = String(b, radix: 16, uppercase: true)
            return s.count == 1 ? "0" + s : s
        }.joined()
        return "\\# \(w.count)" + (w.isEmpty ? "" : " " + hex)
    }
}

/// IPv6 text forms (RFC 5952) without Foundation or inet_ntop, so DNSWire stays
/// standard-library only.
public enum IPv6Text {
    public static func format(_ b: [UInt8]) -> String {
        precondition(b.count == 16)
        let groups = (0..<8).map { UInt16(b[$0 * 2]) << 8 | UInt16(b[$0 * 2 + 1]) }
        // Longest run of zero groups, length at least 2 (RFC 5952 §4.2.2).
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLen && j - i >= 2 { bestStart = i; bestLen = j - i }
                i = j
            } else { i += 1 }
        }
        var s = ""
        i = 0
        while i < 8 {
            if i == bestStart {
                s += "::"
                i += bestLen
                continue
            }
            if !s.isEmpty && !s.hasSuffix(":") { s += ":" }
            s += String(groups[i], radix: 16)
            i += 1
        }
        return s
    }

    /// Parses the textual forms, including `::` and an embedded IPv4 tail.
    public static func parse(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3 || text.contains("::") else { return nil }
        var head: [UInt16] = [], tail: [UInt16] = []
        var seenGap = false
        var idx = 0
        var groups: [String] = parts
        // Leading or trailing "::" produce empty strings at the ends.
        if text.hasPrefix("::") { groups.removeFirst() }
        if text.hasSuffix("::") { groups.removeLast() }
        while idx < groups.count {
            let g = groups[idx]
            if g.isEmpty {
                if seenGap { return nil }
                seenGap = true
            } else if g.contains(".") {
                guard idx == groups.count - 1, let v4 = IPv4Text.parse(g) else { return nil }
                let hi = UInt16(v4[0]) << 8 | UInt16(v4[1]), lo = UInt16(v4[2]) << 8 | UInt16(v4[3])
                if seenGap { tail += [hi, lo] } else { head += [hi, lo] }
            } else {
                guard g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
                if seenGap { tail.append(v) } else { head.append(v) }
            }
            idx += 1
        }
        let total = head.count + tail.count
        if seenGap { guard total < 8 else { return nil } } else { guard total == 8 else { return nil } }
        let all = head + Array(repeating: 0, count: 8 - total) + tail
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}

public enum IPv4Text {
    /// Four dot-separated decimal numbers of one to three digits, each at most 255
    /// (leading zeros allowed, as before). One pass over the bytes: start-up parses every
    /// endpoint's address (issue 18).
    public static func parse(_ text: String) -> [UInt8]? {
        guard let word = parseWord(text) else { return nil }
        return [UInt8(truncatingIfNeeded: word >> 24), UInt8(truncatingIfNeeded: word >> 16),
                UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)]
    }

    /// The address as a big-endian word, without an array (the decoders read one per
    /// endpoint).
    public static func parseWord(_ text: String) -> UInt32? {
        var text = text
        return text.withUTF8 { parseWord(UnsafeRawBufferPointer($0)) }
    }

    /// `parseWord` on the text's bytes.
    public static func parseWord(_ bytes: UnsafeRawBufferPointer) -> UInt32? {
        var word: UInt32 = 0
        var parts = 0, value: UInt32 = 0, digits = 0
        for b in bytes {
            if b >= 0x30, b <= 0x39 {
                value = value * 10 + UInt32(b - 0x30)
                digits += 1
                guard digits <= 3 else { return nil }
            } else if b == UInt8(ascii: "."), digits > 0, value <= 255, parts < 3 {
                word = word << 8 | value
                parts += 1
                value = 0
                digits = 0
            } else {
                return nil
            }
        }
        guard digits > 0, value <= 255, parts == 3 else { return nil }
        return word << 8 | value
    }
}
