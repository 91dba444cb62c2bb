/// Text helpers that Foundation gave (`trimmingCharacters(in:)`, `String(format:)`'s padding):
/// no module loads Foundation (issue 18).
extension StringProtocol {
    /// Without leading and trailing white space and newlines.
    package var trimmedWhitespace: String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}

extension BinaryInteger {
    /// The decimal digits, zero-padded to `width` (a sign, if any, first).
    package func padded(_ width: Int) -> String {
        let digits = String(self.magnitude)
        let pad = String(repeating: "0", count: max(0, width - digits.count))
        return (self < 0 ? "-" : "") + pad + digits
    }
}
