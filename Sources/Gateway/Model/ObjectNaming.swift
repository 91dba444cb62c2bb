/// Object names the way Submariner makes them valid (`util.EnsureValidName`): lower
/// case, every character outside `[a-z0-9.-]` a dash, so two gateways that derive a
/// name from the same cluster ID and address agree on it.
public enum ObjectNaming {
    public static func validName(_ s: String) -> String {
        var out = ""
        for ch in s.lowercased() {
            if ch.isASCII, ch.isLetter || ch.isNumber || ch == "." || ch == "-" { out.append(ch) } else { out.append("-") }
        }
        return out
    }
}
