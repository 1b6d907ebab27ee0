// Validation benchmark: generates 1,000 connection files and times `accord validate` on them
// against bare YAML parsing (Yams) of the same files, alternating runs in one process.
//
//   swift run -c release accord-benchmark [--files N] [--runs N]
import AccordCompiler
import Foundation
import Yams

struct Options {
    var files = 1_000
    var runs = 9
    var schemas = "schemas"

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--files": files = Int(iterator.next() ?? "") ?? files
            case "--runs": runs = Int(iterator.next() ?? "") ?? runs
            case "--schemas": schemas = iterator.next() ?? schemas
            default:
                FileHandle.standardError.write(Data("usage: accord-benchmark [--files N] [--runs N] [--schemas DIR]\n".utf8))
                exit(64)
            }
        }
    }
}

/// A realistic connection: apps from the shipped schemas, custom fields, mappings, rules.
func connection(_ index: Int) -> String {
    let pairs = [
        ("csv", "vcard-dir", "settings: {path: a\(index).csv}", "settings: {path: book\(index)}", "has_tag", "add_tag"),
        ("hubspot", "mailchimp", "auth: {token: {env: HUBSPOT_TOKEN}}", "auth: {api_key: {env: MC_KEY}}\n    subset: {list: l\(index)}", "in_list", "add_tag"),
        ("google-contacts", "contactually", "auth: {token: {env: G_TOKEN}}", "auth: {token: {env: C_TOKEN}}", "has_label", "add_to_bucket"),
        ("batchbook", "carddav", "auth: {api_token: {env: BB}}\n    settings: {login_url: https://x.batchbook.com}",
         "auth: {username: u\(index), password: {env: DAV}}\n    settings: {url: https://dav.example.com/}", "has_tag", "add_tag"),
    ]
    let (a, b, aConfig, bConfig, condition, action) = pairs[index % pairs.count]
    return """
    # yaml-language-server: $schema=../schemas/connection.schema.json
    connection: generated-\(index)
    description: Generated connection number \(index) for the validation benchmark.
    apps:
      a:
        app: \(a)
        \(aConfig)
        custom_fields:
          - {name: score_\(index), label: Score, type: number}
          - {name: tier_\(index), type: enum, options: [gold, silver, bronze]}
      b:
        app: \(b)
        \(bConfig)
        custom_fields:
          - {name: remark_\(index), type: text}
          - {name: level_\(index), type: enum, options: [Gold, Silver, Bronze]}
    direction: two-way
    winner: \(index % 2 == 0 ? "a" : "b")
    avoid_duplicates: true
    mappings:
      defaults: on
      custom:
        - a: score_\(index)
          b: remark_\(index)
          direction: a-to-b
        - a: tier_\(index)
          b: level_\(index)
          values: {gold: Gold, silver: Silver, bronze: Bronze}
    rules:
      a-to-b:
        - name: segment \(index)
          if:
            - \(condition): segment-\(index)
            - field: score_\(index)
              at_least: \(index % 100)
          then:
            - \(action): from-a-\(index)
          undo: true
        - name: gold
          if:
            any:
              - field: tier_\(index)
                equals: gold
              - field: tier_\(index)
                one_of: [silver, bronze]
      b-to-a:
        - if:
            - exists_in_other_app: true
    """
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func seconds(_ work: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    work()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

let options = Options(CommandLine.arguments)
let directory = NSTemporaryDirectory() + "accord-benchmark-\(getpid())"
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }
var paths: [String] = []
for index in 0..<options.files {
    let path = directory + String(format: "/c%05d.yaml", index)
    try connection(index).write(toFile: path, atomically: false, encoding: .utf8)
    paths.append(path)
}

// Sanity: the generated files are valid, so the benchmark measures the full pipeline.
let check = Compiler(schemasDirectory: options.schemas).validate(paths: [directory])
guard check.filesChecked == options.files, check.diagnostics.isEmpty else {
    print("generated files do not validate: \(check.diagnostics.prefix(3).map(\.message))")
    exit(1)
}

var bare: [Double] = []
var validate: [Double] = []
for _ in 0..<options.runs {
    bare.append(seconds {
        for path in paths {
            let text = try! String(contentsOfFile: path, encoding: .utf8)
            // The same parse accord does: libyaml composing nodes, no tag resolution.
            _ = try! Yams.compose(yaml: text, .basic)
        }
    })
    validate.append(seconds {
        let validation = Compiler(schemasDirectory: options.schemas).validate(paths: [directory])
        precondition(validation.filesChecked == options.files)
    })
}

let bareMedian = median(bare), validateMedian = median(validate)
func row(_ name: String, _ value: Double) -> String {
    name.padding(toLength: 44, withPad: " ", startingAt: 0)
        + String(format: "%9.1f ms %12.0f files/s", value * 1000, Double(options.files) / value)
}
print("accord validate benchmark: \(options.files) generated connection files, median of \(options.runs) alternating runs")
print(String(repeating: "-", count: 80))
print(row("bare YAML parsing (read + Yams.compose)", bareMedian))
print(row("accord validate (schemas + parse + check)", validateMedian))
print(String(repeating: "-", count: 80))
print(String(format: "ratio validate / bare parsing: %.2fx   (target: 1,000 files < 1 s, ratio <= 3x)", validateMedian / bareMedian))
print(String(format: "runs (ms): bare %@ | validate %@",
             bare.map { String(format: "%.0f", $0 * 1000) }.joined(separator: " "),
             validate.map { String(format: "%.0f", $0 * 1000) }.joined(separator: " ")))
