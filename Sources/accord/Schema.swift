import AccordCompiler
import AccordDiagnostics
import AccordModel
import ArgumentParser

extension Accord {
    struct Schema: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "schema",
            abstract: "List the known apps or show one app's schema.",
            subcommands: [List.self, Show.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List the apps with a schema.")
            @OptionGroup var schemaOptions: SchemaOptions

            func run() throws {
                let compiler = try loadCompiler(schemaOptions)
                for id in compiler.schemas.ids {
                    let schema = compiler.schemas[id]!
                    let pad = String(repeating: " ", count: max(1, 18 - id.count))
                    print("\(id)\(pad)\(schema.name) — \(schema.fields.count) fields, \(schema.conditions.count) conditions, \(schema.actions.count) actions")
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", abstract: "Show an app's fields, conditions, actions and limits.")
            @Argument(help: ArgumentHelp("The app id, such as hubspot.", valueName: "app"))
            var app: String
            @OptionGroup var schemaOptions: SchemaOptions

            func run() throws {
                let compiler = try loadCompiler(schemaOptions)
                guard let schema = compiler.schemas[app] else {
                    throw ValidationError(
                        "unknown app '\(app)'; known apps: \(compiler.schemas.ids.joined(separator: ", "))")
                }
                print(SchemaDescription.text(schema), terminator: "")
            }
        }
    }
}

private func loadCompiler(_ options: SchemaOptions) throws -> Compiler {
    let compiler = Compiler(schemasDirectory: options.schemas)
    if compiler.schemaDiagnostics.containsErrors {
        printError(TextRenderer(sources: compiler.schemaSources).render(compiler.schemaDiagnostics.sortedForOutput(), filesChecked: 0))
        throw ExitCode.failure
    }
    return compiler
}
