/// A value kept behind one immutable reference, copied on write.
///
/// The store and the compiler copy objects around; a struct of several arrays and
/// strings costs a retain per field on every copy (a tenth of a full compile), and an
/// enum of such structs is as wide as the widest (96 bytes in the store's dictionary).
/// Boxed, a copy is one retain and the object one word. Fields are read in place
/// (`_read`), so reading `slice.metadata.name` copies nothing.
struct Boxed<Value: Sendable>: Sendable {
    final class Reference: Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    private var reference: Reference

    init(_ value: Value) { reference = Reference(value) }

    var value: Value {
        _read { yield reference.value }
        // A change makes a new reference: the old one may be shared.
        _modify {
            var v = reference.value
            yield &v
            reference = Reference(v)
        }
    }
}

extension Boxed: Equatable where Value: Equatable {
    static func == (l: Boxed, r: Boxed) -> Bool { l.reference === r.reference || l.value == r.value }
}
