import FastJSON

extension StringPairs {
    /// Labels or annotations read in place from the JSON bytes, sorted, not packed yet:
    /// `ObjectMeta` packs them straight into the bytes it keeps, so no `String` is made
    /// for any key or value and no packed array only to be copied (at start-up with
    /// 100,000 services the strings made, sorted and packed were a tenth of the time,
    /// and the array per object 300,000 allocations). Only the plain case is taken: at
    /// most 16 pairs, every key and value a string of ASCII without escapes (so byte
    /// order is `String` order and equal bytes are equal strings), keys unique. Anything
    /// else is nil, and the caller reads the object again the general way; the bytes
    /// packed are the same either way (`FastJSONTests`, the fuzz target `FuzzObjects`).
    ///
    /// The pieces point into the input: valid while the bytes being decoded are.
    struct ASCIIPieces {
        /// A key or value: its bytes in the input, and its index among the common strings
        /// (`Packed.commonIndex`, found once for the size and the packing), or `noCommon`.
        struct Entry {
            var bytes: UnsafeRawBufferPointer
            var common: UInt8
        }
        static let noCommon: UInt8 = 0xFF
        /// Not looked up yet (while reading).
        private static let unknown: UInt8 = 0xFE

        /// The common strings (indexes, or `noCommon`) at each key's and value's place
        /// in the last object read: objects of one kind carry the same labels in the same
        /// order, and their common keys and values are then compared, not scanned.
        struct Prediction {
            fileprivate var common = InlineArray<32, UInt8>(repeating: ASCIIPieces.noCommon)
            init() {}
        }
        /// Room for the plain case's 16 pairs, the caller's (a stack allocation): pair k's
        /// key at 2k, its value at 2k + 1. (An `InlineArray` here was copied whole, 512
        /// bytes, at every subscript of a borrowed value.)
        static let capacity = 32
        private let slots: UnsafeMutableBufferPointer<Entry>
        private(set) var count = 0
        /// The bytes `pack(into:)` appends.
        private(set) var packedCount = 0

        /// Pieces read into `slots` (at least `capacity` entries; none for no pairs).
        init(slots: UnsafeMutableBufferPointer<Entry>) { self.slots = slots }

        /// Reads the object at the cursor; false outside the plain case. Where the
        /// previous object read with `prediction` had a common string (a Lighthouse
        /// label key or value) the same position is checked for it first, compared in
        /// place instead of scanned; `prediction` then holds this object's.
        mutating func read(_ c: inout JSONCursor, prediction: inout Prediction) -> Bool {
            count = 0
            packedCount = 0
            guard slots.count >= Self.capacity, c.take(UInt8(ascii: "{")) else { return false }
            let slots = self.slots
            var n = 0
            func piece(_ c: inout JSONCursor, _ slot: Int, _ predicted: UInt8) -> Bool {
                if predicted != Self.noCommon, let p = c.take(string: StringPairs.commonText(Int(predicted))) {
                    slots[slot] = Entry(bytes: p, common: predicted)
                    return true
                }
                guard let p = c.rawASCIIString() else { return false }
                slots[slot] = Entry(bytes: p, common: Self.unknown)
                return true
            }
            if !c.take(UInt8(ascii: "}")) {
                repeat {
                    guard n < Self.capacity / 2,
                          piece(&c, 2 * n, prediction.common[2 * n]), c.take(UInt8(ascii: ":")),
                          piece(&c, 2 * n + 1, prediction.common[2 * n + 1]) else { return false }
                    n += 1
                } while c.take(UInt8(ascii: ","))
                guard c.take(UInt8(ascii: "}")) else { return false }
            }
            // The common strings, in the input's order, for the next object.
            var size = 0
            for k in 0..<(2 * n) {
                if slots[k].common == Self.unknown {
                    slots[k].common = Packed.commonIndex(matching: slots[k].bytes).map(UInt8.init) ?? Self.noCommon
                }
                prediction.common[k] = slots[k].common
                size += slots[k].common == Self.noCommon ? Packed.size(uncommon: slots[k].bytes.count) : 2
            }
            for k in (2 * n)..<Self.capacity { prediction.common[k] = Self.noCommon }
            // Sorted by key in byte order (ASCII: `String`'s order), by insertion.
            var i = 1
            while i < n {
                var j = i
                while j > 0, bytesOrder(slots[2 * j].bytes, slots[2 * j - 2].bytes) < 0 {
                    slots.swapAt(2 * j, 2 * j - 2)
                    slots.swapAt(2 * j + 1, 2 * j - 1)
                    j -= 1
                }
                if j > 0, bytesOrder(slots[2 * j].bytes, slots[2 * j - 2].bytes) == 0 { return false }
                i += 1
            }
            count = n
            packedCount = size
            return true
        }

        /// Writes the pairs as `Packed` packs them (the same bytes as packing their
        /// strings), `packedCount` bytes.
        func pack(into w: inout Packed.Writer) {
            for k in 0..<(2 * count) {
                let e = slots[k]
                w.string(e.bytes, common: e.common == Self.noCommon ? nil : Int(e.common))
            }
        }
    }
}
