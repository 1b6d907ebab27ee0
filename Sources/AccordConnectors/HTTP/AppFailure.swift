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

    /// This failure with `redact` applied to each of its texts.
    func redacted(by redact: SecretRedactor) -> AppFailure {
        AppFailure(code, app: redact(app), request: request.map { redact($0) }, redact(message), serverSaid: serverSaid.map { redact($0) })
    }

    /// The first part of a response body worth quoting: markup and runs of white space removed.
    /// `body` is the body as text, already redacted: this shortens it, and keeps the
    /// `<redacted>` marks, which are not markup.
    static func quote(_ body: String, limit: Int = 300) -> String {
        var text = ""
        var inTag = false
        var rest = body.prefix(4 * limit)[...]
        while let character = rest.first {
            if !inTag, rest.hasPrefix(SecretRedactor.marker) {
                text += SecretRedactor.marker
                rest = rest.dropFirst(SecretRedactor.marker.count)
                continue
            }
            rest = rest.dropFirst()
            if character == "<" { inTag = true; text += " "; continue }
            if character == ">" { inTag = false; continue }
            if !inTag { text.append(character) }
        }
        let words = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return words.count > limit ? String(words.prefix(limit)) + "…" : words
    }
}
