import AccordConnectors
import AccordPlan
import Foundation

/// Builds the connector of each app of a plan from its settings.
public enum ConnectorFactory {
    /// - Parameter baseDirectory: relative paths in settings are resolved against it (the
    ///   connection file's directory).
    public static func make(_ app: SyncPlan.App, baseDirectory: String) throws -> any ContactConnector {
        func path(_ name: String) throws -> String {
            guard let value = app.settings[name]?.value else {
                throw ConnectorError("app '\(app.app)' (\(app.side)) needs the setting '\(name)'")
            }
            return value.hasPrefix("/") ? value : (baseDirectory as NSString).appendingPathComponent(value)
        }
        func batchSize(default value: Int) throws -> Int {
            guard let text = app.settings["batch_size"]?.value else { return value }
            guard let size = Int(text), size > 0 else {
                throw ConnectorError("app '\(app.app)' (\(app.side)): batch_size must be a positive whole number, not '\(text)'")
            }
            return size
        }
        switch app.app {
        case "csv":
            return CSVConnector(path: try path("path"), idColumn: app.settings["id_column"]?.value ?? "id", batchSize: try batchSize(default: 10_000))
        case "vcard-dir":
            let directory = try path("path")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return VCardDirectoryConnector(directory: directory, batchSize: try batchSize(default: 500))
        default:
            throw ConnectorError("accord cannot run app '\(app.app)' yet: its connector is not built (validate and compile work)")
        }
    }
}
