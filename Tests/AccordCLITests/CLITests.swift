import Foundation
import Testing

/// End-to-end tests of the `accord` executable: exit codes, output formats, locations.
@Suite struct CLITests {
    func accord(_ arguments: [String]) throws -> AccordOutput {
        try runAccord(arguments)
    }

    func temporaryFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "accord-cli-" + UUID().uuidString + ".yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let broken = """
    connection: broken
    apps:
      a: {app: csv, settings: {path: a.csv}}
      b: {app: vcard-dir, settings: {path: b}}
    direction: two-way
    winner: a
    mappings:
      custom:
        - a: notes
          b: nite
    """

    @Test func validatesTheExamplesByDefault() throws {
        let output = try accord(["validate"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.hasSuffix("files checked: 0 errors, 0 warnings\n"))
    }

    @Test func brokenFileExitsOneWithFileLineColumn() throws {
        let path = try temporaryFile(Self.broken)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try accord(["validate", path])
        #expect(output.status == 1)
        #expect(output.stderr.contains("\(path):10:10: error: app 'vcard-dir' (b) has no field 'nite'; did you mean 'note'? [C2002]"))
        #expect(output.stderr.contains("  10 |       b: nite\n     |          ^~~~\n"))
    }

    @Test func jsonFormat() throws {
        let path = try temporaryFile(Self.broken)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try accord(["validate", "--format", "json", path])
        #expect(output.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == false)
        #expect(object["errors"] as? Int == 1)
        let diagnostic = try #require((object["diagnostics"] as? [[String: Any]])?.first)
        #expect(diagnostic["code"] as? String == "C2002")
        #expect(diagnostic["severity"] as? String == "error")
        #expect(diagnostic["file"] as? String == path)
        #expect(diagnostic["line"] as? Int == 10)
        #expect(diagnostic["column"] as? Int == 10)
        #expect((diagnostic["message"] as? String)?.hasPrefix("app 'vcard-dir' (b) has no field 'nite'") == true)
    }

    @Test func githubFormat() throws {
        let path = try temporaryFile(Self.broken)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try accord(["validate", "--format", "github", path])
        #expect(output.status == 1)
        #expect(output.stdout.hasPrefix("::error file=\(path),line=10,col=10,endColumn=14,title=accord C2002::app 'vcard-dir' (b) has no field 'nite'"))
    }

    @Test func sarifFormat() throws {
        let path = try temporaryFile(Self.broken)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try accord(["validate", "--format", "sarif", path])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        #expect(object["version"] as? String == "2.1.0")
        let run = try #require((object["runs"] as? [[String: Any]])?.first)
        let result = try #require((run["results"] as? [[String: Any]])?.first)
        #expect(result["ruleId"] as? String == "C2002")
    }

    @Test func warningsAsErrors() throws {
        let path = try temporaryFile("""
        connection: warn
        apps:
          a: {app: csv, settings: {path: a.csv}}
          b: {app: vcard-dir, settings: {path: b}}
        direction: a-to-b
        rules:
          b-to-a:
            - if: [{has_tag: x}]
        """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try accord(["validate", path]).status == 0)
        #expect(try accord(["validate", "--warnings-as-errors", path]).status == 1)
    }

    @Test func usageErrorExits64() throws {
        #expect(try accord(["validate", "--format", "xml"]).status == 64)
        #expect(try accord(["no-such-command"]).status == 64)
    }

    @Test func compileWritesThePlan() throws {
        let out = NSTemporaryDirectory() + "accord-plan-" + UUID().uuidString + ".json"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let output = try accord(["compile", "connections/demo.yaml", "-o", out])
        #expect(output.status == 0, "\(output.stderr)")
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        #expect(plan["format_version"] as? Int == 1)
        #expect((plan["fingerprint"] as? String)?.hasPrefix("sha256:") == true)
        let stdout = try accord(["compile", "connections/demo.yaml"]).stdout
        #expect(stdout == (try String(contentsOfFile: out, encoding: .utf8)))
    }

    @Test func compileRefusesABrokenFile() throws {
        let path = try temporaryFile(Self.broken)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try accord(["compile", path])
        #expect(output.status == 1)
        #expect(output.stdout.isEmpty)
    }

    @Test func schemaListShowAndExplain() throws {
        let list = try accord(["schema", "list"])
        #expect(list.status == 0)
        for app in ["batchbook", "carddav", "contactually", "csv", "google-contacts", "hubspot", "icontact", "mailchimp",
                    "office365", "podio", "salesforce", "vcard-dir"] {
            #expect(list.stdout.contains("\n\(app) ") || list.stdout.hasPrefix("\(app) "), "\(app)")
        }
        let show = try accord(["schema", "show", "contactually"])
        #expect(show.stdout.contains("in_bucket"))
        #expect(try accord(["schema", "show", "nope"]).status == 64)
        let explain = try accord(["explain", "C3002"])
        #expect(explain.stdout.hasPrefix("## C3002 incompatibleFieldTypes (error)"))
        #expect(try accord(["explain", "C9999"]).status == 64)
    }

    @Test func completionScript() throws {
        let output = try accord(["--generate-completion-script", "bash"])
        #expect(output.status == 0)
        #expect(output.stdout.contains("validate"))
    }
}

extension CLITests {
    @Test(arguments: ["text", "json", "github", "sarif"])
    func aLiteralSecretIsNeverEchoed(_ format: String) throws {
        let secret = "pat-na1-" + UUID().uuidString
        let path = try temporaryFile("""
        connection: leak
        apps:
          a: {app: hubspot, auth: {token: \(secret)}}
          b: {app: csv, settings: {path: b.csv}}
        direction: a-to-b
        """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try accord(["validate", "--format", format, path])
        #expect(output.status == 1)
        #expect((output.stdout + output.stderr).contains("C2003"))
        #expect(!(output.stdout + output.stderr).contains(secret))
    }
}
