import AccordCompiler
import ArgumentParser

/// Every command names itself (`commandName`): argument-parser would otherwise derive each name
/// from its type by reflection at every start, a few milliseconds of a run with nothing to do.
@main
struct Accord: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accord",
        abstract: "Keep contacts in two apps in sync, configured as code.",
        discussion: """
        Connection files (YAML) are parsed, checked against app schemas and compiled into sync
        plans. Shell completions: accord --generate-completion-script bash|zsh|fish.
        """,
        version: "0.1.0",
        subcommands: [
            Validate.self, Compile.self, Run.self, Health.self, Activity.self, Log.self, Revert.self, Approve.self, Pause.self, Resume.self,
            Retry.self, Schema.self, Explain.self,
        ])
}
