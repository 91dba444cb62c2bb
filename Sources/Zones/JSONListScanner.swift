import FoundationEssentials

/// Finds the items of a JSON `List` manifest without parsing them: their byte ranges,
/// so that each is decoded on its own.
///
/// Decoding a 192 MB List in one call kept the decoder's map of the whole document
/// alive while the objects were made: the start-up's peak memory. The scan only
/// matches brackets and skips strings; it gives up (nil, and the caller decodes the
/// whole document, which reports any syntax error with its position) on anything it
/// does not expect.
enum JSONListScanner {
    /// The ranges of the `items` array's elements when `data` is an object whose `kind`
    /// is a string ending in `List` and which has an `items` array; nil otherwise.
    static func items(in data: Data) -> [Range<Int>]? {
        data.withUnsafeBytes { raw -> [Range<Int>]? in
            guard let base = raw.baseAddress else { return nil }
            var scanner = Scanner(bytes: base.assumingMemoryBound(to: UInt8.self), count: raw.count)
            guard let found = scanner.topLevel(), found.isList, let items = found.items else { return nil }
            let start = data.startIndex
            return items.map { (start + $0.lowerBound)..<(start + $0.upperBound) }
        }
    }

    private struct Scanner {
        let bytes: UnsafePointer<UInt8>
        let count: Int
        var i = 0

        init(bytes: UnsafePointer<UInt8>, count: Int) {
            self.bytes = bytes
            self.count = count
        }

        mutating func skipSpace() {
            while i < count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        /// Skips a string starting at `i` (a quote); its contents' range, and whether
        /// it held an escape.
        mutating func string() -> (Range<Int>, escaped: Bool)? {
            guard i < count, bytes[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            let start = i
            var escaped = false
            while i < count {
                switch bytes[i] {
                case UInt8(ascii: "\\"):
                    escaped = true
                    i += 2
                case UInt8(ascii: "\""):
                    i += 1
                    return (start..<(i - 1), escaped)
                default:
                    i += 1
                }
            }
            return nil
        }

        /// Skips one value of any kind; false when it is not well-formed as far as the
        /// scan can tell.
        mutating func skipValue() -> Bool {
            skipSpace()
            guard i < count else { return false }
            switch bytes[i] {
            case UInt8(ascii: "\""):
                return string() != nil
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while i < count {
                    switch bytes[i] {
                    case UInt8(ascii: "\""):
                        guard string() != nil else { return false }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["):
                        depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 {
                            i += 1
                            return true
                        }
                    default:
                        break
                    }
                    i += 1
                }
                return false
            default:
                // A number or literal: up to the next delimiter.
                let start = i
                while i < count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 }
                return i > start
            }
        }

        /// After an array element or object member: true at `,` (another follows), false
        /// at `close` (the end), nil for anything else. Consumes that byte.
        mutating func afterElement(closing close: UInt8) -> Bool? {
            skipSpace()
            guard i < count else { return nil }
            let b = bytes[i]
            i += 1
            if b == UInt8(ascii: ",") { return true }
            return b == close ? false : nil
        }

        func equals(_ r: Range<Int>, _ text: StaticString) -> Bool {
            guard r.count == text.utf8CodeUnitCount else { return false }
            for k in 0..<r.count where bytes[r.lowerBound + k] != text.utf8Start[k] { return false }
            return true
        }

        /// The top-level object's `kind` (ends in `List`) and its `items` elements.
        mutating func topLevel() -> (isList: Bool, items: [Range<Int>]?)? {
            skipSpace()
            guard i < count, bytes[i] == UInt8(ascii: "{") else { return nil }
            i += 1
            var isList = false
            var items: [Range<Int>]? = nil
            while true {
                skipSpace()
                guard i < count else { return nil }
                if bytes[i] == UInt8(ascii: "}") {
                    i += 1
                    break
                }
                guard let (key, keyEscaped) = string() else { return nil }
                skipSpace()
                guard i < count, bytes[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                skipSpace()
                if !keyEscaped && equals(key, "kind") && i < count && bytes[i] == UInt8(ascii: "\"") {
                    guard let (value, escaped) = string() else { return nil }
                    // An escaped kind is left to the decoder.
                    guard !escaped else { return nil }
                    isList = value.count >= 4 && equals((value.upperBound - 4)..<value.upperBound, "List")
                } else if !keyEscaped && equals(key, "items") && i < count && bytes[i] == UInt8(ascii: "[") {
                    i += 1
                    var ranges: [Range<Int>] = []
                    skipSpace()
                    if i < count && bytes[i] == UInt8(ascii: "]") {
                        i += 1
                    } else {
                        while true {
                            skipSpace()
                            let start = i
                            guard skipValue() else { return nil }
                            ranges.append(start..<i)
                            guard let more = afterElement(closing: UInt8(ascii: "]")) else { return nil }
                            if !more { break }
                        }
                    }
                    items = ranges
                } else {
                    guard skipValue() else { return nil }
                }
                guard let more = afterElement(closing: UInt8(ascii: "}")) else { return nil }
                if !more { break }
            }
            skipSpace()
            // Anything after the object is for the decoder to reject.
            guard i == count else { return nil }
            return (isList, items)
        }
    }
}
