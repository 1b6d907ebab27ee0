import AccordCompiler
import AccordDiagnostics
import ArgumentParser

extension Accord {
    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "explain",
            abstract: "Explain a diagnostic code, such as C3002.",
            discussion: "Without a code, lists every code.")

        @Argument(help: ArgumentHelp("A code (C3002) or name (incompatibleFieldTypes).", valueName: "code"))
        var code: String?

        func run() throws {
            guard let code else {
                for entry in DiagnosticCatalog.all {
                    print("\(entry.rawValue)  \(entry.defaultSeverity.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0))  \(entry.summary)")
                }
                return
            }
            guard let entry = DiagnosticCatalog.code(code) else {
                let suggestion = Suggestions.bestMatch(for: code, in: DiagnosticCatalog.all.map(\.rawValue))
                throw ValidationError("unknown diagnostic code '\(code)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? ""))
            }
            print(DiagnosticDocumentation.page(entry), terminator: "")
        }
    }
}
