import FastJSON
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

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

    /// The same for a file read from its start through a window of about `window` bytes
    /// (larger only for an item that does not fit): the ranges are the file's offsets.
    /// The file is never in memory whole; the caller reads the items again by range.
    static func items(fd: Int32, window: Int) -> [Range<Int>]? {
        let reader = WindowReader(fd: fd, capacity: max(window, 64))
        var scanner = Scanner(reader: reader)
        guard let found = scanner.topLevel(), found.isList, let items = found.items, !reader.failed else { return nil }
        return items
    }

    /// The scan's rules on bytes in memory, for the one-pass read of a List
    /// (`ManifestFile.streamJSONList`), which must end items and skip values where the
    /// scan does: where the value at `from` (white space before it skipped) ends; nil
    /// when it does not end inside `raw` or is not a value the scan accepts.
    static func valueEnd(in raw: UnsafeRawBufferPointer, from: Int) -> Int? {
        guard let base = raw.baseAddress, from < raw.count else { return nil }
        var scanner = Scanner(bytes: base.assumingMemoryBound(to: UInt8.self), count: raw.count)
        scanner.i = from
        return scanner.skipValue() ? scanner.i : nil
    }

    /// The string at `from` (a quote) by the scan's rules: its contents' range, whether it
    /// held an escape, and where it ends; nil when it does not end inside `raw`.
    static func string(in raw: UnsafeRawBufferPointer, from: Int) -> (contents: Range<Int>, escaped: Bool, end: Int)? {
        guard let base = raw.baseAddress, from < raw.count else { return nil }
        var scanner = Scanner(bytes: base.assumingMemoryBound(to: UInt8.self), count: raw.count)
        scanner.i = from
        guard let (range, escaped) = scanner.string() else { return nil }
        return (range, escaped, scanner.i)
    }

    /// Positions are absolute (offsets in the file or the buffer); `bytes` holds
    /// `origin..<count`. In memory the window is the whole buffer and never moves.
    private struct Scanner {
        var bytes: UnsafePointer<UInt8>
        var origin = 0
        var count: Int
        var i = 0
        /// The first position the scan may still look back at: the window keeps it.
        var mark = 0
        let reader: WindowReader?

        init(bytes: UnsafePointer<UInt8>, count: Int) {
            self.bytes = bytes
            self.count = count
            reader = nil
        }

        init(reader: WindowReader) {
            self.reader = reader
            bytes = UnsafePointer(reader.buffer)
            count = 0
        }

        @inline(__always) func byte(_ at: Int) -> UInt8 { bytes[at &- origin] }

        /// True when a byte is at `i`, reading more of the file if needed.
        @inline(__always) mutating func more() -> Bool {
            i < count || refill()
        }

        mutating func refill() -> Bool {
            guard let reader, !reader.atEnd else { return false }
            let keep = count - mark
            // The bytes from the mark move to the front whether or not more come (the
            // window may even have grown): the view follows them either way, so nothing
            // points into a moved or freed window after the file's end or a read error.
            let held = reader.refill(keeping: keep, from: mark - origin) ?? keep
            origin = mark
            count = origin + held
            bytes = UnsafePointer(reader.buffer)
            return i < count
        }

        mutating func skipSpace() {
            while more(), byte(i) == 0x20 || byte(i) == 0x0A || byte(i) == 0x0D || byte(i) == 0x09 { i += 1 }
        }

        /// Skips a string starting at `i` (a quote); its contents' range, and whether
        /// it held an escape.
        mutating func string() -> (Range<Int>, escaped: Bool)? {
            guard more(), byte(i) == UInt8(ascii: "\"") else { return nil }
            i += 1
            let start = i
            // The usual string, without escapes and inside the window: eight bytes at a
            // time up to the first quote or backslash (`JSONWord`; two memchr calls per
            // string were most of the scan).
            while i &+ 8 <= count {
                let found = JSONWord.quotesAndBackslashes(UnsafeRawPointer(bytes + (i &- origin)).loadUnaligned(as: UInt64.self))
                if found == 0 {
                    i &+= 8
                    continue
                }
                i &+= found.trailingZeroBitCount >> 3
                if byte(i) == UInt8(ascii: "\"") {
                    i += 1
                    return (start..<(i - 1), false)
                }
                break
            }
            var escaped = false
            while more() {
                switch byte(i) {
                case UInt8(ascii: "\\"):
                    escaped = true
                    i += 1
                    guard more() else { return nil }
                    i += 1
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
            guard more() else { return false }
            switch byte(i) {
            case UInt8(ascii: "\""):
                return string() != nil
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while more() {
                    switch byte(i) {
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
                while more(), ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09].contains(byte(i)) { i += 1 }
                return i > start
            }
        }

        /// After an array element or object member: true at `,` (another follows), false
        /// at `close` (the end), nil for anything else. Consumes that byte.
        mutating func afterElement(closing close: UInt8) -> Bool? {
            skipSpace()
            guard more() else { return nil }
            let b = byte(i)
            i += 1
            if b == UInt8(ascii: ",") { return true }
            return b == close ? false : nil
        }

        func equals(_ r: Range<Int>, _ text: StaticString) -> Bool {
            guard r.count == text.utf8CodeUnitCount, r.lowerBound >= origin else { return false }
            for k in 0..<r.count where byte(r.lowerBound + k) != text.utf8Start[k] { return false }
            return true
        }

        /// The top-level object's `kind` (ends in `List`) and its `items` elements.
        mutating func topLevel() -> (isList: Bool, items: [Range<Int>]?)? {
            skipSpace()
            guard more(), byte(i) == UInt8(ascii: "{") else { return nil }
            i += 1
            var isList = false
            var items: [Range<Int>]? = nil
            while true {
                skipSpace()
                mark = i  // the key and a kind's value stay readable
                guard more() else { return nil }
                if byte(i) == UInt8(ascii: "}") {
                    i += 1
                    break
                }
                guard let (key, keyEscaped) = string() else { return nil }
                let isKind = !keyEscaped && equals(key, "kind")
                let isItems = !keyEscaped && equals(key, "items")
                skipSpace()
                guard more(), byte(i) == UInt8(ascii: ":") else { return nil }
                i += 1
                skipSpace()
                if isKind && more() && byte(i) == UInt8(ascii: "\"") {
                    guard let (value, escaped) = string() else { return nil }
                    // An escaped kind is left to the decoder.
                    guard !escaped else { return nil }
                    isList = value.count >= 4 && equals((value.upperBound - 4)..<value.upperBound, "List")
                } else if isItems && more() && byte(i) == UInt8(ascii: "[") {
                    i += 1
                    var ranges: [Range<Int>] = []
                    skipSpace()
                    if more() && byte(i) == UInt8(ascii: "]") {
                        i += 1
                    } else {
                        while true {
                            skipSpace()
                            mark = i  // only the item being skipped stays in the window
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
                mark = i
                guard let more = afterElement(closing: UInt8(ascii: "}")) else { return nil }
                if !more { break }
            }
            mark = i
            skipSpace()
            // Anything after the object is for the decoder to reject.
            guard !more() else { return nil }
            return (isList, items)
        }
    }
}
