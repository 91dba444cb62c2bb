import Glibc

/// A strict forward reader over JSON bytes, for the objects' fast decoder
/// (`KubeObject.fastDecode`).
///
/// Start-up and the first LIST spent three quarters of their time in `JSONDecoder`'s
/// generic machinery (issue 18: 8 of 10.7 s at 100,000 services). The fast decoder
/// reads the few fields an object has straight from the bytes and gives up on anything
/// it is not sure of; `JSONDecoder` then decodes that object as before, so what is
/// accepted, rejected and said about a bad object does not change. For that the cursor
/// is at least as strict as `JSONDecoder`: RFC 8259 numbers, strings without raw control
/// characters, valid escapes and valid UTF-8, a nesting limit. Every method returns
/// nil or false on anything else, leaving the cursor anywhere.
package struct JSONCursor {
    let base: UnsafePointer<UInt8>
    let end: Int
    /// The next byte to read.
    package var at: Int

    /// Deeper than this is given up on (`JSONDecoder` stops at 512).
    static let maxDepth = 256

    package init(_ bytes: UnsafeRawBufferPointer) {
        // An empty buffer has no base address; a one-byte dummy keeps the pointer valid.
        base = bytes.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) } ?? JSONCursor.empty
        end = bytes.count
        at = 0
    }

    // nonisolated(unsafe): one byte, written once here and never again.
    nonisolated(unsafe) private static let empty: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()

    /// What the next value is, white space skipped before asking.
    package var peekIsString: Bool { peek == UInt8(ascii: "\"") }
    package var peekIsObject: Bool { peek == UInt8(ascii: "{") }
    package var peekIsArray: Bool { peek == UInt8(ascii: "[") }

    /// The byte at `at`, or 0 at the end (0 is never valid where a byte is looked at).
    @inline(__always) var peek: UInt8 { at < end ? base[at] : 0 }

    @inline(__always) package mutating func skipSpace() {
        while at < end {
            let b = base[at]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            at += 1
        }
    }

    /// Consumes `byte` after any white space.
    @inline(__always) package mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard at < end, base[at] == byte else { return false }
        at += 1
        return true
    }

    /// True at the end of the input, white space aside.
    package mutating func atEnd() -> Bool {
        skipSpace()
        return at == end
    }

    /// Consumes `literal` (`null`, `true`, `false`).
    private mutating func literal(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard end - at >= n, memcmp(base + at, literal.utf8Start, n) == 0 else { return false }
        at += n
        return true
    }

    /// Consumes `null` when it is next.
    package mutating func takeNull() -> Bool {
        skipSpace()
        return peek == UInt8(ascii: "n") && literal("null")
    }

    package mutating func bool() -> Bool? {
        skipSpace()
        switch peek {
        case UInt8(ascii: "t"): return literal("true") ? true : nil
        case UInt8(ascii: "f"): return literal("false") ? false : nil
        default: return nil
        }
    }

    /// A plain integer (`-?(0|[1-9][0-9]*)`, no fraction, no exponent) that fits an Int.
    package mutating func int() -> Int? {
        skipSpace()
        var negative = false
        if peek == UInt8(ascii: "-") { negative = true; at += 1 }
        guard at < end, base[at] >= 0x30, base[at] <= 0x39 else { return nil }
        if base[at] == 0x30, at + 1 < end, base[at + 1] >= 0x30, base[at + 1] <= 0x39 { return nil }
        var value = 0
        while at < end, base[at] >= 0x30, base[at] <= 0x39 {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(base[at] - 0x30))
            guard !o1, !o2 else { return nil }
            value = s
            at += 1
        }
        // A fraction or exponent: not a plain integer (JSONDecoder's rules for those are
        // its own).
        if at < end, base[at] == UInt8(ascii: ".") || base[at] == UInt8(ascii: "e") || base[at] == UInt8(ascii: "E") { return nil }
        return negative ? -value : value
    }

    /// The raw bytes of a string without escapes (object keys): nil for a string with an
    /// escape or invalid content.
    package mutating func rawString() -> UnsafeRawBufferPointer? { scanString(asciiOnly: false) }

    /// The raw bytes of a string of ASCII without escapes: nil for anything else (the
    /// labels' fast path packs only those; the scan knows, a second look cost 6 % of
    /// reading a folder).
    package mutating func rawASCIIString() -> UnsafeRawBufferPointer? { scanString(asciiOnly: true) }

    @inline(__always) private mutating func scanString(asciiOnly: Bool) -> UnsafeRawBufferPointer? {
        skipSpace()
        guard peek == UInt8(ascii: "\"") else { return nil }
        let start = at + 1
        var i = start
        var ascii = true
        // Eight bytes at a time, up to the first quote, backslash, control character or
        // non-ASCII byte (`JSONWord.stops`): the usual names, labels and addresses never
        // go byte by byte but for their last few bytes.
        while i + 8 <= end {
            let special = JSONWord.stops(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
            if special == 0 {
                i += 8
                continue
            }
            let k = i + special.trailingZeroBitCount >> 3
            let b = base[k]
            if b == UInt8(ascii: "\"") { return finishString(start: start, quote: k, ascii: ascii) }
            guard b >= 0x80, !asciiOnly else { return nil }
            ascii = false
            i = k + 1
        }
        while i < end {
            let b = base[i]
            if b == UInt8(ascii: "\"") { return finishString(start: start, quote: i, ascii: ascii) }
            if b == UInt8(ascii: "\\") || b < 0x20 { return nil }
            if b >= 0x80 {
                if asciiOnly { return nil }
                ascii = false
            }
            i += 1
        }
        return nil
    }

    @inline(__always) private mutating func finishString(start: Int, quote: Int, ascii: Bool) -> UnsafeRawBufferPointer? {
        let raw = UnsafeRawBufferPointer(start: base + start, count: quote - start)
        if !ascii, !Self.validUTF8(raw) { return nil }
        at = quote + 1
        return raw
    }

    /// Consumes `bytes` when the input continues with exactly them, white space skipped
    /// first. A complete JSON value read before is the same value again when its bytes
    /// come again (a value's bytes end where it does): the decoders reuse what they made
    /// of it (`KubeObject.DecodeMemo`).
    package mutating func take(exactly bytes: UnsafeRawBufferPointer) -> Bool {
        skipSpace()
        let n = bytes.count
        guard n > 0, end - at >= n, let b = bytes.baseAddress, bytesEqual(UnsafeRawPointer(base + at), b, n) else { return false }
        at += n
        return true
    }

    /// Consumes the string `text` (quoted, no escapes in `text`) when it is next, and
    /// gives its bytes in the input: a decoder that expects a key checks for it without
    /// scanning the string.
    package mutating func take(string text: StaticString) -> UnsafeRawBufferPointer? {
        skipSpace()
        let n = text.utf8CodeUnitCount
        guard end - at >= n + 2, base[at] == UInt8(ascii: "\""), base[at + 1 + n] == UInt8(ascii: "\""),
              bytesEqual(UnsafeRawPointer(base + at + 1), UnsafeRawPointer(text.utf8Start), n) else { return nil }
        let piece = UnsafeRawBufferPointer(start: base + at + 1, count: n)
        at += n + 2
        return piece
    }

    /// The input's bytes from `start` (an earlier `at`) to the cursor.
    package func bytes(since start: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + start, count: max(0, at - start))
    }

    /// A string or null: `.some(nil)` for null, nil for anything else (a decoder's
    /// `decodeIfPresent(String.self, ...)`).
    package mutating func stringOrNull() -> String?? {
        if takeNull() { return .some(nil) }
        return string().map { .some($0) }
    }

    /// Skips a string, checked as `string()` checks it, without making it.
    package mutating func skipString() -> Bool {
        if rawString() != nil { return true }
        return string() != nil
    }

    /// A string, escapes decoded.
    package mutating func string() -> String? {
        let save = at
        if let raw = rawString() {
            return String(decoding: raw, as: UTF8.self)
        }
        at = save
        skipSpace()
        guard peek == UInt8(ascii: "\"") else { return nil }
        at += 1
        var out: [UInt8] = []
        while at < end {
            let b = base[at]
            if b == UInt8(ascii: "\"") {
                at += 1
                guard out.withUnsafeBytes({ Self.validUTF8($0) }) else { return nil }
                return String(decoding: out, as: UTF8.self)
            }
            if b < 0x20 { return nil }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                at += 1
                continue
            }
            guard at + 1 < end else { return nil }
            let e = base[at + 1]
            at += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                // Surrogates (pairs or not) are left to JSONDecoder.
                guard let u = hex4(), !(0xD800...0xDFFF).contains(u), let scalar = Unicode.Scalar(u) else { return nil }
                out.append(contentsOf: UTF8.encode(scalar).map { Array($0) } ?? [])
            default: return nil
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard end - at >= 4 else { return nil }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = base[at]
            let d: UInt8
            switch b {
            case 0x30...0x39: d = b - 0x30
            case 0x41...0x46: d = b - 0x41 + 10
            case 0x61...0x66: d = b - 0x61 + 10
            default: return nil
            }
            v = v << 4 | UInt32(d)
            at += 1
        }
        return v
    }

    /// Skips one value of any kind, checking it as strictly as it is read.
    package mutating func skipValue(depth: Int = 0) -> Bool {
        guard depth < Self.maxDepth else { return false }
        skipSpace()
        switch peek {
        case UInt8(ascii: "\""):
            return skipString()
        case UInt8(ascii: "{"):
            at += 1
            if take(UInt8(ascii: "}")) { return true }
            repeat {
                skipSpace()
                guard peek == UInt8(ascii: "\""), skipString(), take(UInt8(ascii: ":")), skipValue(depth: depth + 1) else { return false }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            at += 1
            if take(UInt8(ascii: "]")) { return true }
            repeat {
                guard skipValue(depth: depth + 1) else { return false }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "]"))
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default:
            return number()
        }
    }

    /// Skips an RFC 8259 number.
    private mutating func number() -> Bool {
        @inline(__always) func digits(_ c: inout JSONCursor) -> Bool {
            let s = c.at
            while c.at < c.end, c.base[c.at] >= 0x30, c.base[c.at] <= 0x39 { c.at += 1 }
            return c.at > s
        }
        let start = at
        if peek == UInt8(ascii: "-") { at += 1 }
        if peek == 0x30 {
            at += 1
        } else {
            guard digits(&self) else { return false }
        }
        if peek == UInt8(ascii: ".") {
            at += 1
            guard digits(&self) else { return false }
        }
        var exponent = false
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            exponent = true
            at += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { at += 1 }
            guard digits(&self) else { return false }
        }
        // A number no Double holds (`80E820`, 400 digits) is refused by JSONSerialization
        // (found by FuzzObjects): given up on here too, so the slow path decides.
        if exponent || at - start > 15 {
            let text = String(decoding: UnsafeRawBufferPointer(start: base + start, count: at - start), as: UTF8.self)
            guard let d = Double(text), d.isFinite else { return false }
        }
        return true
    }

    /// Reads an object: `body` gets each key's bytes (escapes decoded) with the cursor on
    /// the value, and must consume the value. False when the value is not
    /// an object or `body` said false.
    package mutating func object(_ body: (UnsafeRawBufferPointer, inout JSONCursor) -> Bool) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        if take(UInt8(ascii: "}")) { return true }
        repeat {
            if let key = rawString() {
                guard take(UInt8(ascii: ":")), body(key, &self) else { return false }
            } else {
                // A key with an escape (JSONSerialization writes `\/`): decoded, then
                // compared like any other.
                guard var key = string(), take(UInt8(ascii: ":")) else { return false }
                guard key.withUTF8({ body(UnsafeRawBufferPointer($0), &self) }) else { return false }
            }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}"))
    }

    /// Reads an object whose keys are all strings of ASCII without escapes (a label
    /// map's usual form); false for anything else, as `object` is for a bad object.
    package mutating func asciiObject(_ body: (UnsafeRawBufferPointer, inout JSONCursor) -> Bool) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        if take(UInt8(ascii: "}")) { return true }
        repeat {
            guard let key = rawASCIIString(), take(UInt8(ascii: ":")), body(key, &self) else { return false }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}"))
    }

    /// Reads an array, `body` consuming each element.
    package mutating func array(_ body: (inout JSONCursor) -> Bool) -> Bool {
        guard take(UInt8(ascii: "[")) else { return false }
        if take(UInt8(ascii: "]")) { return true }
        repeat {
            guard body(&self) else { return false }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]"))
    }

    /// The byte ranges of an array's elements, each checked as it is skipped.
    package mutating func elementRanges() -> [Range<Int>]? {
        var found: [Range<Int>] = []
        guard array({ c in
            c.skipSpace()
            let start = c.at
            guard c.skipValue() else { return false }
            found.append(start..<c.at)
            return true
        }) else { return nil }
        return found
    }

    /// An array of strings.
    package mutating func strings() -> [String]? {
        var out: [String] = []
        guard array({ c in
            guard let s = c.string() else { return false }
            out.append(s)
            return true
        }) else { return nil }
        return out
    }

    static func validUTF8(_ raw: UnsafeRawBufferPointer) -> Bool {
        var it = raw.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&it) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}

extension UnsafeRawBufferPointer {
    /// Whether these bytes are `s`'s (a JSON key against a field name).
    @inline(__always) package func equals(_ s: StaticString) -> Bool {
        guard count == s.utf8CodeUnitCount, let p = baseAddress else { return count == s.utf8CodeUnitCount }
        return bytesEqual(p, UnsafeRawPointer(s.utf8Start), count)
    }
}

/// -1, 0 or 1 as `a` orders before, with or after `b` byte by byte, a prefix first (for
/// ASCII, `String`'s order).
package func bytesOrder(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let m = Swift.min(a.count, b.count)
    if m > 0, let pa = a.baseAddress, let pb = b.baseAddress {
        let r = memcmp(pa, pb, m)
        if r != 0 { return r < 0 ? -1 : 1 }
    }
    return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
}

/// Whether `n` bytes at `a` and at `b` are equal, compared a word at a time (the last
/// word overlapping the one before). Keys and field names are short: a `memcmp` call per
/// key was 5 % of start-up, a byte at a time 3 % (half a million keys at 10,000 services).
@inline(__always) package func bytesEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    if n >= 8 {
        var i = 0
        while i &+ 8 < n {
            guard a.loadUnaligned(fromByteOffset: i, as: UInt64.self) == b.loadUnaligned(fromByteOffset: i, as: UInt64.self) else {
                return false
            }
            i &+= 8
        }
        return a.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
    }
    if n >= 4 {
        return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
            && a.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self) == b.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
    }
    var i = 0
    while i < n {
        guard a.load(fromByteOffset: i, as: UInt8.self) == b.load(fromByteOffset: i, as: UInt8.self) else { return false }
        i &+= 1
    }
    return true
}
