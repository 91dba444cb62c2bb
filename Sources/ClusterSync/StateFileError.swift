/// Why the state file could not be written.
public struct StateFileError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
