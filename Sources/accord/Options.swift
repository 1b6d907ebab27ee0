import AccordCompiler
import AccordDiagnostics
import ArgumentParser
import Foundation

extension DiagnosticFormat: ExpressibleByArgument {}

/// Where app schemas are read from.
struct SchemaOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Directory of app schemas.", valueName: "dir"))
    var schemas = "schemas"
}

/// How diagnostics are printed.
struct DiagnosticOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: text, json, github (Actions annotations) or sarif.")
    var format: DiagnosticFormat = .text

    @Flag(name: .long, help: "Treat warnings as errors.")
    var warningsAsErrors = false

    /// Promotes warnings when asked, prints, and returns the exit code: 0 clean, 1 on errors.
    func report(_ diagnostics: [Diagnostic], sources: [String: SourceFile], filesChecked: Int) -> ExitCode {
        var diagnostics = diagnostics
        if warningsAsErrors {
            for index in diagnostics.indices where diagnostics[index].severity == .warning {
                diagnostics[index].severity = .error
            }
        }
        let output = format.render(diagnostics, sources: sources, filesChecked: filesChecked)
        if format == .text, diagnostics.containsErrors {
            printError(output)
        } else {
            print(output, terminator: "")
        }
        return diagnostics.containsErrors ? .failure : .success
    }
}

func printError(_ text: String) {
    var standardError = StandardError()
    print(text, terminator: "", to: &standardError)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}
