import FastJSON
import FoundationEssentials

/// What one response body goes through in the reflector, for the fuzz target
/// `FuzzObjects` (whose release build cannot reach internal types): the watch stream's
/// line buffer and event decoder, and a LIST page read both ways.
public enum StreamProbe {
    /// Feeds `body` to the line buffer `chunk` bytes at a time, decoding each line as a
    /// watch event as the reflector does. Returns the events decoded and the lines that
    /// were not events, or nil when a line was longer than `maxLine` (the reflector's
    /// restart).
    public static func watch<Item: Decodable>(_ body: UnsafeRawBufferPointer, chunk: Int, maxLine: Int, as _: Item.Type) -> (events: Int, malformed: Int)? {
        var lines = LineBuffer(maxLine: maxLine)
        let decoder = JSONDecoder()
        var events = 0, malformed = 0
        var at = 0
        let step = max(1, chunk)
        while at < body.count {
            let piece = UnsafeRawBufferPointer(rebasing: body[at..<min(body.count, at + step)])
            let ok = lines.append(piece) { line in
                if (try? decoder.decodeBounded(WatchLine<Item>.self, from: Data(line))) != nil { events += 1 } else { malformed += 1 }
                return true
            }
            guard ok else { return nil }
            at += step
        }
        return (events, malformed)
    }

    /// A LIST page through `ListPage.fast` (with `item` as the fast item decoder) and
    /// through JSONDecoder: the references and outcomes of both, nil for a reader that
    /// refused the page. Whenever the fast reader reads a page, JSONDecoder must too, to
    /// the same references and the same successes.
    public static func listPage<Item: Decodable>(_ body: [UInt8], item: (UnsafeRawBufferPointer) -> (ObjectReference, Item)?) -> (fast: [Decoded<Item>]?, slow: [Decoded<Item>]?) {
        let fast = ListPage<Item>.fast(body, item: item).map { $0.items ?? [] }
        let slow = (try? JSONDecoder().decodeBounded(ListPage<Item>.self, from: Data(body))).map { $0.items ?? [] }
        return (fast, slow)
    }
}
