import Foundation
import Testing
import YAML

/// `YAMLReader`: YAML documents as JSON text, typed as Yams' default resolver typed
/// them (timestamps excepted), with the errors the manifests and kubeconfigs report.
@Suite struct YAMLReaderTests {
    static func json(_ yaml: String, scalars: YAMLReader.Scalars = .typed) throws -> [String] {
        try YAMLReader.documents(yaml, scalars: scalars).map { String(decoding: $0.json, as: UTF8.self) }
    }

    /// One document's JSON as a canonical string (sorted keys), to compare with.
    static func canonical(_ yaml: String, scalars: YAMLReader.Scalars = .typed) throws -> String {
        let docs = try YAMLReader.documents(yaml, scalars: scalars)
        let value = try JSONSerialization.jsonObject(with: Data(try #require(docs.first).json), options: [.fragmentsAllowed])
        return String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
    }

    @Test func plainScalarsAreTypedAsYamsTypedThem() throws {
        let yaml = """
            yes1: yes
            off1: Off
            hex: 0x1f
            octal: 017
            octal2: 0o17
            binary: 0b101
            under: 1_000
            sexagesimal: 1:30
            negative: -42
            float: 1.5
            eight: 08
            exp: 1e3
            null1: ~
            null2:
            quoted: "yes"
            single: '80'
            stamp: 2024-05-14T09:12:31Z
            tagged: !!str 80
            word: web-0
            block: |
              two
              lines
            """
        #expect(try Self.canonical(yaml) == #"{"binary":5,"block":"two\nlines","eight":8,"exp":1000,"float":1.5,"hex":31,"negative":-42,"null1":null,"null2":null,"octal":15,"octal2":15,"off1":false,"quoted":"yes","sexagesimal":90,"single":"80","stamp":"2024-05-14T09:12:31Z","tagged":"80","under":1000,"word":"web-0","yes1":true}"#)
    }

    @Test func kubeconfigsKeepTheirScalarsAsText() throws {
        #expect(try Self.canonical("token: 12345\nskip: true\nname: 0x10\nnothing: ~\n", scalars: .stringsExceptBoolAndNull)
                == #"{"name":"0x10","nothing":null,"skip":true,"token":"12345"}"#)
    }

    @Test func infinitiesAreMarkedNotWritten() throws {
        let docs = try YAMLReader.documents("a: .inf\nb: 1\n")
        let doc = try #require(docs.first)
        #expect(String(decoding: doc.json, as: UTF8.self) == #"{"a":null,"b":1}"#)
        #expect(doc.unrepresentable == [5])
    }

    @Test func anchorsAndAliasesAreExpanded() throws {
        #expect(try Self.canonical("base: &b {x: 1, y: [a, b]}\nuse: *b\nname: &n web\nagain: *n\n*n : key\n")
                == #"{"again":"web","base":{"x":1,"y":["a","b"]},"name":"web","use":{"x":1,"y":["a","b"]},"web":"key"}"#)
        #expect(throws: YAMLError.self) { try YAMLReader.documents("a: *missing\n") }
    }

    @Test func documentsAndTheirLines() throws {
        let docs = try YAMLReader.documents("---\na: 1\n---\n---\n# a comment\nb: [1, 2]\n")
        #expect(docs.map { String(decoding: $0.json, as: UTF8.self) } == [#"{"a":1}"#, "null", #"{"b":[1,2]}"#])
        #expect(docs.map(\.line) == [2, 4, 6])  // an empty document is an empty scalar where it ends
        #expect(try Self.json("") == [])
        #expect(try Self.json("just text") == [#""just text""#])
        #expect(try Self.json(#"{"json": ["is", "yaml", 1.5, true, null]}"#) == [#"{"json":["is","yaml",1.5,true,null]}"#])
    }

    @Test func stringsAreEscapedForJSON() throws {
        #expect(try Self.json(#"a: "quote \" backslash \\ tab \t bell \a""#) == [#"{"a":"quote \" backslash \\ tab \t bell \u0007"}"#])
    }

    @Test func errorsSayWhatAndWhere() {
        func error(_ yaml: String) -> YAMLError? {
            do { _ = try YAMLReader.documents(yaml); return nil } catch { return error }
        }
        let dup = error("a: 1\nb: 2\na: 3\n")
        #expect(dup?.line == 3)
        #expect(dup?.reason == "the key 'a' appears twice in one mapping")
        let key = error("? [a, b]\n: c\n")
        #expect(key?.reason == YAMLError.nonScalarKey)
        #expect(key?.line == 1)
        #expect(error("{a: 1}: b\n")?.reason == YAMLError.nonScalarKey)
        let syntax = error("a: [1, 2\nb: 3\n")
        #expect(syntax?.line != nil)
        #expect(syntax?.reason.isEmpty == false)
        #expect(error("a: b: c\n")?.line == 1)
        // A billion laughs stays within the bound.
        var laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<12 { laughs += "\(Character(UnicodeScalar(97 + i)!)): &\(Character(UnicodeScalar(97 + i)!)) [*\(Character(UnicodeScalar(96 + i)!)), *\(Character(UnicodeScalar(96 + i)!)), *\(Character(UnicodeScalar(96 + i)!)), *\(Character(UnicodeScalar(96 + i)!)), *\(Character(UnicodeScalar(96 + i)!)), *\(Character(UnicodeScalar(96 + i)!)), *\(Character(UnicodeScalar(96 + i)!)), *\(Character(UnicodeScalar(96 + i)!)), *\(Character(UnicodeScalar(96 + i)!)), *\(Character(UnicodeScalar(96 + i)!))]\n" }
        #expect(error(laughs)?.reason.hasPrefix("aliases expand the document beyond") == true)
    }
}
