import AccordCompiler
import ArgumentParser

extension Accord {
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Check connection files against app schemas, like a compiler.",
            discussion: """
            Exits 0 when there is no error (warnings allowed), 1 when there is one, 64 on usage
            errors. Lines are 1-based; columns are 1-based and count Unicode characters.
            """)

        @Argument(help: ArgumentHelp("Connection files or directories (searched recursively).", valueName: "path"))
        var paths: [String] = ["connections"]

        @OptionGroup var schemaOptions: SchemaOptions
        @OptionGroup var diagnosticOptions: DiagnosticOptions

        func run() throws {
            let compiler = Compiler(schemasDirectory: schemaOptions.schemas)
            let validation = compiler.validate(paths: paths)
            let code = diagnosticOptions.report(
                validation.diagnostics, sources: validation.sources, filesChecked: validation.filesChecked)
            throw code
        }
    }
}
