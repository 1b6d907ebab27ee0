import AccordDiagnostics
import Foundation

/// A failure talking to an app that stops the run, as a runtime diagnostic: a stable `R…` code,
/// the app, the request, and what the server said. Never carries a secret: URLs are logged and
/// reported without credentials, and request headers are not part of it.
public struct AppFailure: Error, CustomStringConvertible, Sendable, Equatable {
    public var code: DiagnosticCode
    /// The app and side, such as `carddav (b)`.
    public var app: String
    /// `METHOD URL` of the request that failed, when there was one.
    public var request: String?
    public var message: String
    /// The start of the server's answer, when it said something.
    public var serverSaid: String?

    public init(_ code: DiagnosticCode, app: String, request: String? = nil, _ message: String, serverSaid: String? = nil) {
        self.code = code
        self.app = app
        self.request = request
        self.message = message
        self.serverSaid = serverSaid
    }

    public var description: String {
        var text = "\(code.rawValue) \(app): "
        if let request { text += "\(request): " }
        text += message
        if let serverSaid, !serverSaid.isEmpty { text += "; the server said: \(serverSaid)" }
        return text
    }

    /// The first part of a response body worth quoting: markup and runs of white space removed.
    static func quote(_ body: Data, limit: Int = 300) -> String {
        var text = ""
        var inTag = false
        for character in String(decoding: body.prefix(4 * limit), as: UTF8.self) {
            if character == "<" { inTag = true; text += " "; continue }
            if character == ">" { inTag = false; continue }
            if !inTag { text.append(character) }
        }
        let words = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return words.count > limit ? String(words.prefix(limit)) + "…" : words
    }
}
