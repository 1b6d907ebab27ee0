import AccordConnectors
import AccordModel
import AccordPlan
import Foundation

/// Builds the connector of each app of a plan from its settings.
public enum ConnectorFactory {
    /// - Parameters:
    ///   - baseDirectory: relative paths in settings are resolved against it (the connection
    ///     file's directory).
    public static func make(_ app: SyncPlan.App, baseDirectory: String) throws -> any ContactConnector {
        func batchSize(default value: Int) throws -> Int {
            guard let text = app.settings["batch_size"]?.value else { return value }
            guard let size = Int(text), size > 0 else {
                throw ConnectorError("app \(app.label): batch_size must be a positive whole number, not '\(text)'")
            }
            return size
        }
        switch app.app {
        case "csv", "vcard-dir":
            // The path as written and the folder it is resolved against go to the connector, whose
            // errors about a missing file or folder name both; nothing is created here (`create`).
            guard let written = app.settings["path"]?.value else {
                throw ConnectorError("app \(app.label) needs the setting 'path'")
            }
            let source = SourcePath(written, relativeTo: baseDirectory)
            let settings = app.settings.compactMapValues(\.value)
            if app.app == "vcard-dir" {
                return VCardDirectoryConnector(directory: source, settings: try .init(settings), batchSize: try batchSize(default: 500), fields: vcardFields(app))
            }
            let csv = try CSVConnector.Settings(
                settings, columns: app.settings["columns"]?.entries ?? [:], customFields: app.fields.filter(\.custom).map(\.name), fields: app.fields.map(\.name))
            return CSVConnector(path: source, settings: csv, batchSize: try batchSize(default: 10_000))
        case "carddav":
            let label = "\(app.app) (\(app.side.rawValue))"
            guard let text = app.settings["url"]?.value, let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw ConnectorError("app \(app.label): the setting 'url' must be an http or https URL, such as https://carddav.fastmail.com/")
            }
            let user = try parameter("username", of: app, label: label, baseDirectory: baseDirectory)
            let password = try parameter("password", of: app, label: label, baseDirectory: baseDirectory)
            var configuration = HTTPClient.Configuration()
            configuration.concurrency = app.limits.concurrency
            configuration.requestsPerSecond = app.limits.requests_per_second
            let client = HTTPClient(app: label, auth: .basic(user: user, password: password), configuration: configuration)
            return CardDAVConnector(
                url: url, addressBook: app.subset?.name, client: client, batchSize: try batchSize(default: app.limits.batch_size), fields: vcardFields(app))
        default:
            throw ConnectorError("accord cannot run app '\(app.app)' yet: its connector is not built (validate and compile work)")
        }
    }

    /// The vCard mapping of an app: the custom fields the plan declares, and records holding
    /// only the fields the plan uses.
    private static func vcardFields(_ app: SyncPlan.App) -> VCardFields {
        let custom = app.fields.filter(\.custom).map {
            VCardFields.CustomField(name: $0.name, type: $0.type, multiValue: $0.multi_value)
        }
        return VCardFields(customFields: custom, reading: Set(app.fields.map(\.name)))
    }

    /// An auth parameter's value, read from where the plan says (a literal, a variable or a file;
    /// a relative file path is taken from the connection file's directory).
    private static func parameter(_ name: String, of app: SyncPlan.App, label: String, baseDirectory: String) throws -> String {
        guard let parameter = app.auth[name] else { throw ConnectorError("app \(app.label) needs the auth parameter '\(name)'") }
        let source: ParameterSource
        if let variable = parameter.env {
            source = .environment(variable)
        } else if let path = parameter.file {
            source = .file(path.hasPrefix("/") ? path : (baseDirectory as NSString).appendingPathComponent(path))
        } else {
            source = .literal(parameter.value ?? "")
        }
        return try source.resolve(name: name, app: label)
    }
}
