extension String {
    /// Calls `body` with the string's UTF-8 in place: without the copy that `withUTF8` needs (it
    /// is mutating), which made it a quarter slower for the short values of a card.
    public func withUTF8Bytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = self
        return try copy.withUTF8(body)
    }
}
