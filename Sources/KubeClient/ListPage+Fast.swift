import FastJSON
import FoundationEssentials

extension ListPage {
    /// A page read with `JSONCursor`: its `metadata` (resourceVersion, continue) and its
    /// items, each through `item` or, when that cannot say, through JSONDecoder as one
    /// `Decoded<Item>`. Nil whenever anything is unusual (invalid JSON, a duplicate key,
    /// an item JSONDecoder refuses): the caller decodes the whole page as before, so the
    /// error it reports is the same.
    static func fast(_ body: [UInt8], item: (UnsafeRawBufferPointer) -> (ObjectReference, Item)?) -> ListPage? {
        body.withUnsafeBytes { raw -> ListPage? in
            var c = JSONCursor(raw)
            var meta = Meta(resourceVersion: nil, continue: nil)
            var ranges: [Range<Int>]?
            var sawMeta = false
            guard c.object({ key, c in
                if key.equals("metadata") {
                    guard !sawMeta else { return false }
                    sawMeta = true
                    var seen: UInt8 = 0
                    return c.object { key, c in
                        let bit: UInt8
                        if key.equals("resourceVersion") { bit = 1 } else if key.equals("continue") { bit = 2 } else { return c.skipValue() }
                        guard seen & bit == 0 else { return false }
                        seen |= bit
                        if c.takeNull() { return true }
                        guard let v = c.string() else { return false }
                        if bit == 1 { meta.resourceVersion = v } else { meta.continue = v }
                        return true
                    }
                }
                if key.equals("items") {
                    guard ranges == nil else { return false }
                    if c.takeNull() { ranges = []; return true }
                    guard let found = c.elementRanges() else { return false }
                    ranges = found
                    return true
                }
                return c.skipValue()
            }), c.atEnd(), sawMeta else { return nil }
            var items: [Decoded<Item>] = []
            items.reserveCapacity(ranges?.count ?? 0)
            let decoder = JSONDecoder()
            for r in ranges ?? [] {
                let one = UnsafeRawBufferPointer(rebasing: raw[r])
                if let (reference, object) = item(one) {
                    items.append(Decoded(reference: reference, item: .success(object)))
                } else {
                    guard let d = try? decoder.decodeBounded(Decoded<Item>.self, from: Data(one)) else { return nil }
                    items.append(d)
                }
            }
            return ListPage(metadata: meta, items: ranges == nil ? nil : items)
        }
    }
}
