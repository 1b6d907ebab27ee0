import AccordCompiler
import AccordDiagnostics
import AccordPlan
import ArgumentParser
import Foundation

extension Accord {
    struct Compile: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compile",
            abstract: "Compile a connection file into a sync plan (canonical JSON).",
            discussion: "The plan's fingerprint is the SHA-256 of the canonical plan; the runner rescans when it changes.")

        @Argument(help: ArgumentHelp("The connection file.", valueName: "file"))
        var file: String

        @Option(name: .shortAndLong, help: ArgumentHelp("Write the plan here instead of standard output.", valueName: "out"))
        var output: String?

        @OptionGroup var schemaOptions: SchemaOptions
        @OptionGroup var diagnosticOptions: DiagnosticOptions

        func run() throws {
            let compiler = Compiler(schemasDirectory: schemaOptions.schemas)
            let (plan, unit) = compiler.compile(path: file)
            var sources = compiler.schemaSources.merging(unit.overlaySources) { first, _ in first }
            if let source = unit.source { sources[source.path] = source }
            guard let plan, !unit.diagnostics.containsErrors else {
                throw diagnosticOptions.report(unit.diagnostics, sources: sources, filesChecked: 1)
            }
            if !unit.diagnostics.isEmpty {
                // Warnings and notes go to standard error so the plan on standard output stays clean.
                printError(TextRenderer(sources: sources).render(unit.diagnostics.sortedForOutput(), filesChecked: 1))
                if diagnosticOptions.warningsAsErrors, unit.diagnostics.contains(where: { $0.severity == .warning }) {
                    throw ExitCode.failure
                }
            }
            let json = plan.canonicalJSON()
            if let output {
                do {
                    try Data(json.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
                } catch {
                    throw ValidationError("cannot write '\(output)': \(error.localizedDescription)")
                }
            } else {
                print(json, terminator: "")
            }
        }
    }
}
