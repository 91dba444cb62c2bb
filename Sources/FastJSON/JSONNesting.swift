/// How deeply JSON text nests, for the one limit that matters before `JSONDecoder`.
///
/// FoundationEssentials' `JSONDecoder` (Swift 6.3) refuses text nested deeper than 512
/// arrays and objects, but when the 513th opens at the very end of the input it traps
/// while working out the error's line and column (`JSONError.SourceLocation`; found by
/// `FuzzObjects`: `{"a":` and 512 `[` stop a process). Text that nests deeper than 512 is
/// refused anyway, so it is refused before it is handed over
/// (`JSONDecoder.decodeBounded`): the same outcome, without the trap.
public enum JSONNesting {
    /// The deepest nesting `JSONDecoder` accepts.
    public static let decoderLimit = 512

    /// Whether `bytes` open more than `limit` arrays and objects at once (strings and
    /// their escapes skipped; nothing else checked: the decoder judges the rest).
    public static func exceeds(_ limit: Int, in bytes: UnsafeRawBufferPointer) -> Bool {
        // Shallow text cannot nest deeply: most callers stop here.
        guard bytes.count > limit else { return false }
        var depth = 0
        var inString = false, escaped = false
        for b in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if b == UInt8(ascii: "\\") {
                    escaped = true
                } else if b == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return false
    }
}
