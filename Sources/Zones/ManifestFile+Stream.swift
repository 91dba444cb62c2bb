import ClusterSet
import FastJSON
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

extension ManifestFile {
    /// A List file read once, front to back, each item decoded where the reading reaches
    /// it: for a process with one CPU (a sidecar's limit; the kit's pinned core).
    ///
    /// The two-pass read (`decodeJSONList(fd:path:window:chunk:)`) scans the file for the
    /// items' offsets so that lanes can decode them on every core; with one core there
    /// are no lanes, and the scan and the second read were a sixth of the start-up at
    /// 100,000 services. Here the fast decoder finds where an item ends by reading it; an
    /// item it leaves undecided is delimited by the scan's own rules
    /// (`JSONListScanner.valueEnd`) and decoded by JSONDecoder, so the outcome is the two
    /// passes': the same objects, problems and counts, or nil (the caller then reads the
    /// file whole, which says what is wrong). `FuzzManifest` holds it to the bytes in
    /// memory. Holds about `chunk` bytes at a time (more only for an item that does not
    /// fit).
    public static func streamJSONList(fd: Int32, path: String, chunk: Int = decodeChunk) -> Contents? {
        var before = stat()
        guard fstat(fd, &before) == 0, (before.st_mode & S_IFMT) == S_IFREG, before.st_size > 0 else { return nil }
        var window = StreamWindow(fd: fd, capacity: max(64, min(chunk, Int(before.st_size))))
        guard let out = readList(&window, path: path), !window.failed else { return nil }
        // Rewritten meanwhile: read it again whole.
        var after = stat()
        guard fstat(fd, &after) == 0, after.st_size == before.st_size, after.st_mtim.tv_sec == before.st_mtim.tv_sec,
              after.st_mtim.tv_nsec == before.st_mtim.tv_nsec else { return nil }
        return out
    }

    /// The top-level object: its `kind` (a List's), its `items` (the last array of them,
    /// as the scan keeps), nothing after it.
    private static func readList(_ w: inout StreamWindow, path: String) -> Contents? {
        guard w.advance({ raw, complete in
            let i = skipSpace(raw, 0)
            guard i < raw.count else { return complete ? .fail : .more }
            return raw[i] == UInt8(ascii: "{") ? .done(i + 1) : .fail
        }) else { return nil }
        var isList = false
        var listed: Contents?
        var memo = KubeObject.DecodeMemo()
        let decoder = JSONDecoder()
        while true {
            // `}`, or a key, its colon and the first byte of its value.
            enum Key { case kind, items, other }
            var key = Key.other
            var closed = false
            guard w.advance({ raw, complete in
                let i = skipSpace(raw, 0)
                guard i < raw.count else { return complete ? .fail : .more }
                if raw[i] == UInt8(ascii: "}") {
                    closed = true
                    return .done(i + 1)
                }
                guard raw[i] == UInt8(ascii: "\"") else { return .fail }
                guard let s = JSONListScanner.string(in: raw, from: i) else { return complete ? .fail : .more }
                let colon = skipSpace(raw, s.end)
                guard colon < raw.count else { return complete ? .fail : .more }
                guard raw[colon] == UInt8(ascii: ":") else { return .fail }
                let value = skipSpace(raw, colon + 1)
                guard value < raw.count else { return complete ? .fail : .more }
                let text = UnsafeRawBufferPointer(rebasing: raw[s.contents])
                key = s.escaped ? .other : text.equals("kind") ? .kind : text.equals("items") ? .items : .other
                return .done(value)
            }) else { return nil }
            if closed { break }
            let first = w.rest[0]
            switch key {
            case .kind where first == UInt8(ascii: "\""):
                guard w.advance({ raw, complete in
                    guard let s = JSONListScanner.string(in: raw, from: 0) else { return complete ? .fail : .more }
                    // An escaped kind is left to the decoder, as the scan leaves it.
                    guard !s.escaped else { return .fail }
                    let v = s.contents
                    isList = v.count >= 4 && UnsafeRawBufferPointer(rebasing: raw[(v.upperBound - 4)..<v.upperBound]).equals("List")
                    return .done(s.end)
                }) else { return nil }
            case .items where first == UInt8(ascii: "["):
                w.position += 1
                guard let items = readItems(&w, path: path, memo: &memo, decoder: decoder) else { return nil }
                listed = items
            default:
                guard w.advance({ raw, complete in
                    guard let end = JSONListScanner.valueEnd(in: raw, from: 0), end < raw.count || complete else {
                        return complete ? .fail : .more
                    }
                    return .done(end)
                }) else { return nil }
            }
            guard let another = separator(&w, closing: UInt8(ascii: "}")) else { return nil }
            if !another { break }
        }
        // Anything after the object is for the decoder to reject.
        guard w.advance({ raw, complete in
            let i = skipSpace(raw, 0)
            if i < raw.count { return .fail }
            return complete ? .done(i) : .more
        }) else { return nil }
        return isList ? listed : nil
    }

    /// An `items` array after its `[`: each element decoded as it is reached.
    private static func readItems(_ w: inout StreamWindow, path: String, memo: inout KubeObject.DecodeMemo,
                                  decoder: JSONDecoder) -> Contents? {
        var out = Contents()
        var empty = false
        guard w.advance({ raw, complete in
            let i = skipSpace(raw, 0)
            guard i < raw.count else { return complete ? .fail : .more }
            if raw[i] == UInt8(ascii: "]") { empty = true; return .done(i + 1) }
            return .done(i)
        }) else { return nil }
        if empty { return out }
        var index = 0
        while true {
            index += 1
            enum Item { case object(KubeObject), other, slow(Data) }
            var item = Item.other
            guard w.advance({ raw, complete in
                let i = skipSpace(raw, 0)
                guard i < raw.count else { return complete ? .fail : .more }
                var c = JSONCursor(UnsafeRawBufferPointer(rebasing: raw[i...]))
                let fast = KubeObject.fastDecode(&c, memo: &memo)
                let end = i + c.at
                switch fast {
                case .object(let o) where end < raw.count || complete:
                    item = .object(o)
                    return .done(end)
                case .otherKind where end < raw.count || complete:
                    item = .other
                    return .done(end)
                default:
                    // Undecided, or it may go on past the bytes held: where the scan ends it.
                    guard let end = JSONListScanner.valueEnd(in: raw, from: i), end < raw.count || complete else {
                        return complete ? .fail : .more
                    }
                    item = .slow(Data(UnsafeRawBufferPointer(rebasing: raw[i..<end])))
                    return .done(end)
                }
            }) else { return nil }
            switch item {
            case .object(let o): out.objects.append(o)
            case .other: out.otherKinds += 1
            case .slow(let bytes):
                guard let decoded = try? decoder.decodeBounded(JSONItem.self, from: bytes) else { return nil }
                add(decoded, label: "document 1 item \(index)", path: path, to: &out)
            }
            guard let another = separator(&w, closing: UInt8(ascii: "]")) else { return nil }
            if !another { return out }
        }
    }

    /// After a member or an element: `,` (true: another follows) or `close` (false),
    /// consumed; nil for anything else.
    private static func separator(_ w: inout StreamWindow, closing close: UInt8) -> Bool? {
        var another = false
        guard w.advance({ raw, complete in
            let i = skipSpace(raw, 0)
            guard i < raw.count else { return complete ? .fail : .more }
            another = raw[i] == UInt8(ascii: ",")
            return another || raw[i] == close ? .done(i + 1) : .fail
        }) else { return nil }
        return another
    }

    /// The first byte at or after `i` that is not JSON white space (the cursor's rule).
    private static func skipSpace(_ raw: UnsafeRawBufferPointer, _ i: Int) -> Int {
        var c = JSONCursor(raw)
        c.at = i
        c.skipSpace()
        return c.at
    }

    /// What a parsing step made of the bytes held: done (this many consumed), needs more
    /// bytes, or cannot be read as the scan reads it.
    fileprivate enum Step {
        case done(Int)
        case more
        case fail
    }

    /// The bytes of the file from the reading's position on, through a `WindowReader`.
    fileprivate struct StreamWindow {
        let reader: WindowReader
        /// Bytes held, and the next one to read.
        private(set) var filled = 0
        var position = 0

        init(fd: Int32, capacity: Int) { reader = WindowReader(fd: fd, capacity: capacity) }

        var failed: Bool { reader.failed }

        var rest: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: reader.buffer + position, count: filled - position) }

        /// Runs `parse` on the bytes from `position` (and whether they run to the end of
        /// the file) until it decides, reading more while it asks for more; false when it
        /// fails, or the file ends or cannot be read first.
        mutating func advance(_ parse: (UnsafeRawBufferPointer, _ complete: Bool) -> Step) -> Bool {
            while true {
                switch parse(rest, reader.atEnd) {
                case .done(let n):
                    position += n
                    return true
                case .fail:
                    return false
                case .more:
                    guard !reader.atEnd else { return false }
                    // The bytes from `position` move to the front whether or not more come.
                    let keep = filled - position
                    filled = reader.refill(keeping: keep, from: position) ?? keep
                    position = 0
                    if reader.failed { return false }
                }
            }
        }
    }
}
