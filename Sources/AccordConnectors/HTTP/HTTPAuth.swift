import AccordDiagnostics
import Foundation

/// Where a parameter's value comes from at run time: written in the connection (never a secret),
/// an environment variable, or a file.
public enum ParameterSource: Sendable, Hashable {
    case literal(String)
    case environment(String)
    case file(String)

    /// The value. A missing or empty variable or file is an `R1008` failure naming where accord
    /// looked, never the value.
    /// - Parameters:
    ///   - name: the parameter's name in the app schema, for the message.
    ///   - app: the app and side, for the message.
    public func resolve(name: String, app: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        switch self {
        case .literal(let value):
            return value
        case .environment(let variable):
            guard let value = environment[variable], !value.isEmpty else {
                throw AppFailure(DiagnosticCatalog.missingSecret, app: app, "'\(name)' comes from the environment variable \(variable), which is not set")
            }
            return value
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw AppFailure(DiagnosticCatalog.missingSecret, app: app, "'\(name)' comes from the file '\(path)', which cannot be read")
            }
            // A trailing newline is how editors and `echo` end a one-line file; it is not part of the secret.
            let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
            guard !value.isEmpty else {
                throw AppFailure(DiagnosticCatalog.missingSecret, app: app, "'\(name)' comes from the file '\(path)', which is empty")
            }
            return value
        }
    }
}

/// How requests authenticate.
public enum HTTPAuth: Sendable, Hashable {
    case basic(user: String, password: String)
    case bearer(token: String)

    /// The `Authorization` header value.
    var header: String {
        switch self {
        case .basic(let user, let password): "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        case .bearer(let token): "Bearer " + token
        }
    }
}
