import AccordModel
import AccordStore

/// One value for each side of a connection, looked up without hashing: the engine's per-side
/// tables are read for every record, and reading a table out of a `[Side: Table]` copied
/// it out (a retain and a release each time; at 100,000 contacts, a third of the loop that picks
/// the creates). `_read` and `_modify` lend the table in place instead.
struct BySide<Value> {
    var a: Value
    var b: Value

    init(a: Value, b: Value) {
        self.a = a
        self.b = b
    }

    /// The same value on both sides.
    init(both value: Value) {
        self.init(a: value, b: value)
    }

    subscript(side: Side) -> Value {
        _read {
            switch side {
            case .a: yield a
            case .b: yield b
            }
        }
        _modify {
            switch side {
            case .a: yield &a
            case .b: yield &b
            }
        }
    }
}

extension BySide: Sendable where Value: Sendable {}
