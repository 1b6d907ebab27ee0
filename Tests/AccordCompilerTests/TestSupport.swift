import AccordCompiler
import AccordDiagnostics
import Foundation
import Testing

/// The package root, found from this file's path.
let packageRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The repository's app schemas, loaded once.
let repositoryCompiler = Compiler(schemasDirectory: packageRoot + "/schemas")

/// Text rendering with paths relative to the package root, so goldens do not depend on the checkout.
func renderRelative(_ diagnostics: [Diagnostic], sources: [String: SourceFile], filesChecked: Int) -> String {
    DiagnosticFormat.text.render(diagnostics, sources: sources, filesChecked: filesChecked)
        .replacingOccurrences(of: packageRoot + "/", with: "")
}

/// Compares `actual` with the golden file at `path`. With `RECORD_GOLDEN=1` the golden file is
/// rewritten and the test still records an issue, so recording never passes silently.
func assertGolden(_ actual: String, path: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let expected = try? String(contentsOfFile: path, encoding: .utf8)
    if ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1" {
        try? actual.write(toFile: path, atomically: true, encoding: .utf8)
        if expected != actual {
            Issue.record("recorded golden file \(path); review the diff and run again", sourceLocation: sourceLocation)
        }
        return
    }
    guard let expected else {
        Issue.record("missing golden file \(path); run with RECORD_GOLDEN=1 to create it", sourceLocation: sourceLocation)
        return
    }
    if expected != actual {
        Issue.record(
            "output differs from \(path.replacingOccurrences(of: packageRoot + "/", with: "")):\n\(lineDiff(expected: expected, actual: actual))",
            sourceLocation: sourceLocation)
    }
}

/// A minimal line diff: the first differing lines with context.
func lineDiff(expected: String, actual: String) -> String {
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    var out: [String] = []
    for index in 0..<max(e.count, a.count) {
        let left = index < e.count ? String(e[index]) : nil
        let right = index < a.count ? String(a[index]) : nil
        if left != right {
            if let left { out.append("- \(left)") }
            if let right { out.append("+ \(right)") }
        }
        if out.count > 40 { break }
    }
    return out.joined(separator: "\n")
}

/// A fresh temporary directory for one test.
func makeTemporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "accord-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
