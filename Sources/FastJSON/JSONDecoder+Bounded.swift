import FoundationEssentials

extension JSONDecoder {
    /// `decode(_:from:)` for text from outside (files, the API server, the exchange):
    /// text nested deeper than `JSONDecoder` accepts is refused before it reaches it, which
    /// could trap on it (`JSONNesting`). Every decode of untrusted bytes goes through here.
    public func decodeBounded<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let tooDeep = data.withUnsafeBytes { JSONNesting.exceeds(JSONNesting.decoderLimit, in: $0) }
        guard !tooDeep else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "nested deeper than \(JSONNesting.decoderLimit) levels"))
        }
        return try decode(type, from: data)
    }
}
