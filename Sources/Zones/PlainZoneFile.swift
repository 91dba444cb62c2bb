#if canImport(Glibc)
import Glibc
#endif
import DNSWire

/// Sextant's own reader for the zone files most people write: `$ORIGIN`, `$TTL`, owners,
/// TTLs and class IN as RFC 1035 §5.1 has them, parentheses and comments, and the
/// types SOA, NS, A, AAAA, CNAME, PTR, MX, TXT and SRV.
///
/// It exists so that a server whose zone files are plain never loads libldns, and with
/// it libssl and libcrypto (about 2 MiB resident, issue 18). It reads as libldns 1.8.3
/// reads, quirks included (`ldns_rr_new_frm_fp_l`: how a line is joined across
/// parentheses and comments, a blank owner, TTL before class only), and gives up — nil —
/// on anything else: escapes, other types and classes, TTL units, relative `$ORIGIN`,
/// names near the length limits, and every error. libldns then reads the file
/// (`ZoneFile`), so what is accepted, and the message for what is not, stay libldns's.
/// `PlainZoneFileTests` and the fuzz target `FuzzZoneFile` hold the two readers equal.
enum PlainZoneFile {
    /// The records in file order, or nil when libldns must read the file.
    static func records(_ text: [UInt8], origin: DNSName, defaultTTL: UInt32) -> [ResourceRecord]? {
        var reader = Reader(text: text, origin: origin.wire, ttl: defaultTTL)
        return reader.run()
    }

    /// One pass over the bytes; a logical line at a time, as `ldns_fget_token_l_st` joins it.
    struct Reader {
        let text: [UInt8]
        var position = 0
        var origin: [UInt8]
        var ttl: UInt32
        /// The last owner written out (libldns's `prev`), for lines that start blank.
        var previous: [UInt8]?
        var records: [ResourceRecord] = []

        init(text: [UInt8], origin: [UInt8], ttl: UInt32) {
            self.text = text
            self.origin = origin
            self.ttl = ttl
        }

        mutating func run() -> [ResourceRecord]? {
            var line: [UInt8] = []
            while true {
                guard let more = nextLine(into: &line) else { return nil }
                if !line.isEmpty, !entry(line) { return nil }
                if !more { return records }
            }
        }

        // MARK: Lines

        /// The next logical line into `line` (comments and parentheses gone, newlines
        /// inside parentheses made spaces); false when the text ended with it, nil when
        /// the text is outside what this reader mirrors.
        mutating func nextLine(into line: inout [UInt8]) -> Bool? {
            line.removeAll(keepingCapacity: true)
            var depth = 0
            var quoted = false
            while position < text.count {
                var c = text[position]
                position += 1
                switch c {
                case 0, 0x0B, 0x0C, UInt8(ascii: "\\"):
                    return nil  // NUL, \v, \f: libldns's delimiters; escapes: libldns's
                case UInt8(ascii: "\r"):
                    // libldns reads \r as a space, but skips it after a line's end:
                    // only the \r of \r\n reads the same both ways.
                    guard position < text.count, text[position] == UInt8(ascii: "\n") else { return nil }
                    c = UInt8(ascii: " ")
                default:
                    break
                }
                if quoted {
                    if c == UInt8(ascii: "\n") { return nil }  // a string across lines
                    if c == UInt8(ascii: "\"") { quoted = false }
                    line.append(c)
                    continue
                }
                switch c {
                case UInt8(ascii: "("):
                    depth += 1
                case UInt8(ascii: ")"):
                    depth -= 1
                    if depth < 0 { return nil }
                case UInt8(ascii: ";"):
                    // To the end of the line, whatever it holds; that newline adds no
                    // space, even inside parentheses (libldns).
                    while position < text.count, text[position] != UInt8(ascii: "\n") { position += 1 }
                    if position < text.count { position += 1 }
                    if depth == 0, !line.isEmpty { return true }
                case UInt8(ascii: "\n"):
                    if depth > 0 {
                        if !line.isEmpty { line.append(UInt8(ascii: " ")) }
                    } else if !line.isEmpty {
                        return true
                    }
                case UInt8(ascii: "\""):
                    quoted = true
                    line.append(c)
                default:
                    line.append(c)
                }
            }
            if depth != 0 || quoted { return nil }
            return false
        }

        /// One logical line: a directive or a record. False to give up.
        mutating func entry(_ line: [UInt8]) -> Bool {
            var end = line.count
            while end > 0, line[end - 1] == UInt8(ascii: " ") || line[end - 1] == UInt8(ascii: "\t") { end -= 1 }
            if end == 0 { return true }  // blank
            let body = line[..<end]
            if body.first == UInt8(ascii: "$") { return directive(body) }
            return record(body)
        }

        mutating func directive(_ line: ArraySlice<UInt8>) -> Bool {
            let words = Self.words(line)
            guard words.count == 2 else { return false }
            let keyword = Array(line[words[0]])
            let value = line[words[1]]
            // libldns wants the keyword followed by one whitespace character.
            guard line[words[0].upperBound] == UInt8(ascii: " ") || line[words[0].upperBound] == UInt8(ascii: "\t") else { return false }
            if keyword == Array("$ORIGIN".utf8) {
                // A relative $ORIGIN is made absolute by libldns (not appended to the
                // current origin), and `$ORIGIN .` fails there when blanks or a comment
                // follow (its strip keeps two characters): neither is mirrored.
                guard value.count >= 2, value.last == UInt8(ascii: "."), let name = name(value) else { return false }
                origin = name
                return true
            }
            if keyword == Array("$TTL".utf8) {
                // $TTL 0 gives records without a TTL libldns's default 3600: not mirrored.
                guard let t = Self.number(value, max: UInt64(UInt32.max)), t > 0 else { return false }
                ttl = UInt32(t)
                return true
            }
            return false  // $INCLUDE (refused with libldns's line number) and the rest
        }

        // MARK: Records

        mutating func record(_ line: ArraySlice<UInt8>) -> Bool {
            var words = Self.words(line)
            guard let firstWord = words.first else { return false }
            // libldns: a line that starts with a space or a tab has no owner.
            let blankOwner = firstWord.lowerBound != line.startIndex
            let owner: [UInt8]
            if blankOwner {
                owner = previous ?? origin
            } else {
                guard let n = nameOrOrigin(line[firstWord]) else { return false }
                owner = n
                previous = owner
                words.removeFirst()
            }
            var i = 0
            func word(_ k: Int) -> ArraySlice<UInt8>? { k < words.count ? line[words[k]] : nil }
            guard let first = word(0) else { return false }
            var recordTTL = ttl
            if let c = first.first, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
                guard let t = Self.number(first, max: UInt64(UInt32.max)) else { return false }  // units: libldns
                recordTTL = UInt32(t)
                i = 1
            }
            guard let classOrType = word(i) else { return false }
            switch Self.classWord(classOrType) {
            case .in: i += 1
            case .other: return false
            case .notAClass: break
            }
            guard let typeWord = word(i), let type = Self.type(typeWord) else { return false }
            let fields = words[(i + 1)...]
            guard let rdata = rdata(type, fields: fields, line: line), let ownerName = try? DNSName(wire: owner) else { return false }
            records.append(ResourceRecord(name: ownerName, type: type, ttl: recordTTL, rdata: rdata))
            return true
        }

        func rdata(_ type: RRType, fields: ArraySlice<Range<Int>>, line: ArraySlice<UInt8>) -> RData? {
            if type == .txt { return txt(fields, line: line) }
            var tokens: [ArraySlice<UInt8>] = []
            for f in fields {
                let t = line[f]
                if t.contains(UInt8(ascii: "\"")) { return nil }
                tokens.append(t)
            }
            switch type {
            case .a:
                guard tokens.count == 1, let b = Self.address(tokens[0], family: AF_INET, size: 4) else { return nil }
                return .bytes(b)
            case .aaaa:
                guard tokens.count == 1, let b = Self.address(tokens[0], family: AF_INET6, size: 16) else { return nil }
                return .bytes(b)
            case .ns, .cname, .ptr:
                guard tokens.count == 1, let n = target(tokens[0]) else { return nil }
                return .name(n)
            case .mx:
                guard tokens.count == 2, let pref = Self.number(tokens[0], max: 65535), let n = target(tokens[1]) else { return nil }
                return RData([.bytes(Self.be(pref, 2)), .name(n)])
            case .srv:
                guard tokens.count == 4, let p = Self.number(tokens[0], max: 65535), let w = Self.number(tokens[1], max: 65535),
                      let port = Self.number(tokens[2], max: 65535), let n = target(tokens[3]) else { return nil }
                return RData([.bytes(Self.be(p, 2) + Self.be(w, 2) + Self.be(port, 2)), .name(n)])
            case .soa:
                guard tokens.count == 7, let m = target(tokens[0]), let r = target(tokens[1]) else { return nil }
                var numbers: [UInt8] = []
                for t in tokens[2...] {
                    guard let v = Self.number(t, max: UInt64(UInt32.max)) else { return nil }
                    numbers += Self.be(v, 4)
                }
                return RData([.name(m), .name(r), .bytes(numbers)])
            default:
                return nil
            }
        }

        /// TXT: character-strings, quoted or single words, each at most 255 bytes.
        func txt(_ fields: ArraySlice<Range<Int>>, line: ArraySlice<UInt8>) -> RData? {
            // libldns cuts the record data's text at 65,535 characters.
            guard let start = fields.first?.lowerBound, line.endIndex - start < 65000 else { return nil }
            var out: [UInt8] = []
            var strings = 0
            var k = start
            let end = line.endIndex
            while k < end {
                let c = line[k]
                if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") { k += 1; continue }
                var s = k
                var e: Int
                if c == UInt8(ascii: "\"") {
                    s = k + 1
                    e = s
                    while e < end, line[e] != UInt8(ascii: "\"") { e += 1 }
                    guard e < end else { return nil }
                    k = e + 1
                    // A string glued to the next one: libldns splits it; not mirrored.
                    if k < end, line[k] != UInt8(ascii: " "), line[k] != UInt8(ascii: "\t") { return nil }
                } else {
                    e = k
                    while e < end, line[e] != UInt8(ascii: " "), line[e] != UInt8(ascii: "\t") {
                        if line[e] == UInt8(ascii: "\"") { return nil }
                        e += 1
                    }
                    k = e
                }
                let bytes = line[s..<e]
                // Printable ASCII only: other bytes are libldns's to judge.
                guard bytes.count <= 255, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
                out.append(UInt8(bytes.count))
                out += bytes
                strings += 1
            }
            guard strings > 0, out.count <= 65535 else { return nil }
            return .bytes(out)
        }

        /// A name in record data.
        func target(_ word: ArraySlice<UInt8>) -> DNSName? {
            nameOrOrigin(word).flatMap { try? DNSName(wire: $0) }
        }

        /// An owner or a name in record data: `@` is the origin, any other name as
        /// `name` reads it.
        func nameOrOrigin(_ word: ArraySlice<UInt8>) -> [UInt8]? {
            word.elementsEqual([UInt8(ascii: "@")]) ? origin : name(word)
        }

        /// Wire form of a name as written, relative to the current origin. Letters,
        /// digits, `-`, `_`, `*` and `/` only; nil near the limits (libldns decides those).
        func name(_ word: ArraySlice<UInt8>) -> [UInt8]? {
            if word.elementsEqual([UInt8(ascii: ".")]) { return [0] }
            var wire: [UInt8] = [0]
            var labelStart = 0
            for c in word {
                switch c {
                case UInt8(ascii: "."):
                    let n = wire.count - labelStart - 1
                    guard n > 0, n <= 63 else { return nil }
                    wire[labelStart] = UInt8(n)
                    labelStart = wire.count
                    wire.append(0)
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                     UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "*"), UInt8(ascii: "/"):
                    wire.append(c)
                default:
                    return nil
                }
            }
            if word.last == UInt8(ascii: ".") {
                // Absolute: the label slot after the last dot is the root.
            } else {
                let n = wire.count - labelStart - 1
                guard n > 0, n <= 63 else { return nil }
                wire[labelStart] = UInt8(n)
                wire += origin
            }
            guard wire.count <= 250 else { return nil }
            return wire
        }

        // MARK: Words

        /// The ranges of the space- or tab-separated words of a line.
        static func words(_ line: ArraySlice<UInt8>) -> [Range<Int>] {
            var out: [Range<Int>] = []
            var k = line.startIndex
            while k < line.endIndex {
                while k < line.endIndex, line[k] == UInt8(ascii: " ") || line[k] == UInt8(ascii: "\t") { k += 1 }
                let s = k
                while k < line.endIndex, line[k] != UInt8(ascii: " "), line[k] != UInt8(ascii: "\t") { k += 1 }
                if k > s { out.append(s..<k) }
            }
            return out
        }

        /// Decimal digits only, at most `max`.
        static func number(_ word: ArraySlice<UInt8>, max: UInt64) -> UInt64? {
            guard !word.isEmpty, word.count <= 10 else { return nil }
            var v: UInt64 = 0
            for c in word {
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
                v = v * 10 + UInt64(c - UInt8(ascii: "0"))
            }
            return v <= max ? v : nil
        }

        static func be(_ v: UInt64, _ n: Int) -> [UInt8] {
            (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64(n - 1 - $0))) }
        }

        /// `inet_pton`, as libldns parses A and AAAA.
        static func address(_ word: ArraySlice<UInt8>, family: Int32, size: Int) -> [UInt8]? {
            guard word.count < 64 else { return nil }
            var text = Array(word)
            text.append(0)
            var out = [UInt8](repeating: 0, count: size)
            let ok = text.withUnsafeBufferPointer { t in
                out.withUnsafeMutableBytes { o in
                    t.withMemoryRebound(to: CChar.self) { inet_pton(family, $0.baseAddress, o.baseAddress) }
                }
            }
            return ok == 1 ? out : nil
        }

        enum ClassWord { case `in`, other, notAClass }

        /// libldns's class names (any case) and CLASSnn; only IN is mirrored.
        static func classWord(_ word: ArraySlice<UInt8>) -> ClassWord {
            let upper = word.map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") ? $0 - 32 : $0 }
            if upper == Array("IN".utf8) { return .in }
            if ["CH", "HS", "NONE", "ANY"].contains(where: { upper == Array($0.utf8) }) { return .other }
            if upper.count > 5, upper.starts(with: "CLASS".utf8) { return .other }
            return .notAClass
        }

        /// The types this reader writes (any case, as libldns matches them).
        static func type(_ word: ArraySlice<UInt8>) -> RRType? {
            let upper = word.map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") ? $0 - 32 : $0 }
            switch String(decoding: upper, as: UTF8.self) {
            case "SOA": return .soa
            case "NS": return .ns
            case "A": return .a
            case "AAAA": return .aaaa
            case "CNAME": return .cname
            case "PTR": return .ptr
            case "MX": return .mx
            case "TXT": return .txt
            case "SRV": return .srv
            default: return nil
            }
        }
    }
}
