import AccordDiagnostics
import Foundation

/// Turns raw file bytes into a ``SourceFile``, refusing what is not a plausible YAML text file.
public enum SourceDecoder {
    /// The largest connection file or app schema accord reads.
    public static let maximumSize = 1 << 20

    /// Decodes `data` read from `path`, or returns the diagnostic that says why it cannot be read.
    public static func decode(_ data: Data, path: String) -> Result<SourceFile, Diagnostic> {
        if data.count > maximumSize {
            return .failure(Diagnostic(
                DiagnosticCatalog.fileTooLarge,
                "file is \(formatted(data.count)), larger than the 1 MiB accord reads; is it really a connection file?",
                file: path))
        }
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        if let nul = bytes.firstIndex(of: 0) {
            return .failure(Diagnostic(
                DiagnosticCatalog.notText,
                "file is not text: it contains a NUL byte at offset \(nul - data.startIndex)", file: path))
        }
        guard let text = String(validatingUTF8Bytes: bytes) else {
            let offset = firstInvalidUTF8Offset(bytes)
            return .failure(Diagnostic(
                DiagnosticCatalog.notText,
                "file is not UTF-8 text: invalid byte sequence at offset \(offset)", file: path))
        }
        return .success(SourceFile(path: path, text: text))
    }

    private static func formatted(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? String(format: "%.1f MiB", Double(bytes) / Double(1 << 20)) : "\(bytes) bytes"
    }

    private static func firstInvalidUTF8Offset(_ bytes: Data) -> Int {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        var consumed = 0
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                offset += UTF8.width(scalar)
                consumed = offset
            case .emptyInput: break loop
            case .error: return consumed
            }
        }
        return consumed
    }
}

extension String {
    init?(validatingUTF8Bytes bytes: Data) {
        guard let text = String(bytes: bytes, encoding: .utf8) else { return nil }
        self = text
    }
}
