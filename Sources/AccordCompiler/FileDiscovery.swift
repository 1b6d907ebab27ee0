import AccordDiagnostics
import AccordSyntax
import Foundation

/// Finds and reads input files.
enum FileDiscovery {
    /// The `.yaml` / `.yml` files named by `paths`: files as given, directories searched
    /// (recursively unless `recursive` is false), each directory's files sorted by path.
    static func yamlFiles(in paths: [String], recursive: Bool = true) -> (paths: [String], diagnostics: [Diagnostic]) {
        let manager = FileManager.default
        var found: [String] = []
        var diagnostics: [Diagnostic] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                diagnostics.append(Diagnostic(DiagnosticCatalog.unreadableFile, "no such file or directory", file: path))
                continue
            }
            guard isDirectory.boolValue else {
                found.append(path)
                continue
            }
            guard let enumerator = manager.enumerator(atPath: path) else {
                diagnostics.append(Diagnostic(DiagnosticCatalog.unreadableFile, "cannot list the directory", file: path))
                continue
            }
            var inDirectory: [String] = []
            while let relative = enumerator.nextObject() as? String {
                if !recursive { enumerator.skipDescendants() }
                guard relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") else { continue }
                let full = path.hasSuffix("/") ? path + relative : path + "/" + relative
                var isSubdirectory: ObjCBool = false
                if manager.fileExists(atPath: full, isDirectory: &isSubdirectory), !isSubdirectory.boolValue {
                    inDirectory.append(full)
                }
            }
            if inDirectory.isEmpty {
                diagnostics.append(Diagnostic(
                    DiagnosticCatalog.noConnectionFiles, "directory holds no .yaml or .yml files; nothing was checked", file: path))
            }
            found += inDirectory.sorted()
        }
        return (found, diagnostics)
    }

    /// Reads and decodes one file, refusing files that are too large or not UTF-8 text.
    static func read(_ path: String) -> Result<SourceFile, Diagnostic> {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return .failure(Diagnostic(DiagnosticCatalog.unreadableFile, "cannot read the file", file: path))
        }
        defer { try? handle.close() }
        // Read at most one byte past the limit, so a huge file is never loaded whole.
        let data: Data
        do {
            data = try handle.read(upToCount: SourceDecoder.maximumSize + 1) ?? Data()
        } catch {
            return .failure(Diagnostic(DiagnosticCatalog.unreadableFile, "cannot read the file: \(error.localizedDescription)", file: path))
        }
        if data.count > SourceDecoder.maximumSize {
            let size = ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int) ?? data.count
            return .failure(Diagnostic(
                DiagnosticCatalog.fileTooLarge,
                "file is \(String(format: "%.1f MiB", Double(size) / 1_048_576)), larger than the 1 MiB accord reads; is it really a connection file?",
                file: path))
        }
        return SourceDecoder.decode(data, path: path)
    }
}
