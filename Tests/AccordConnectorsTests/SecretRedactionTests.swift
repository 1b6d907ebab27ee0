@testable import AccordConnectors
import AccordDiagnostics
import CardDAVTestServers
import FlyingFox
import Foundation
import InMemoryLogging
import Logging
import Synchronization
import Testing

/// Credentials a server echoes back (in a 401 page, a 500 page, a URL it redirects to) never
/// reach a failure's message, what it quotes of the server, or the logs, in any encoding.
@Suite struct SecretRedactionTests {
    /// A password with every character an encoding treats apart: `/`, `+`, space, `@`, `%`, `&`,
    /// `<`, `"`, `\` and `'`.
    static let password = #"s3cr3t/Pa+ss w@rd%&<"q\z'7 Kx9"#
    static let auths: [AccordConnectors.HTTPAuth] = [.basic(user: "ann", password: password), .bearer(token: "tok_9Fq+/Zr8=Lm2/Wx" + "+vB7")]

    /// A server that answers `/401/N` and `/500/N` with a page quoting the N-th form of the
    /// credentials it received, `/long/401` with the `Authorization` value straddling the cut
    /// of a quote, and `/redirect` by redirecting to a path holding the secret percent-encoded,
    /// which answers 423 once and then 500.
    static func echoServer() async throws -> LoopbackServer {
        let locked = Locked()
        return try await LoopbackServer.start([("*", { request in
            let header = request.headers[.authorization] ?? ""
            let echo = SecretEcho(authorization: header)
            let parts = request.path.split(separator: "/").map(String.init)
            switch parts.first {
            case "401", "500":
                let form = echo.forms[Int(parts[1]) ?? 0]
                return .init(statusCode: parts[0] == "401" ? .unauthorized : .internalServerError, body: Data(SecretEcho.page(quoting: form).utf8))
            case "long":
                return .init(statusCode: .unauthorized, body: Data(SecretEcho.page(straddling: header).utf8))
            case "redirect":
                let secret = echo.forms.first { $0.name == "percent-encoded, upper-case hex" }!.text
                return .init(statusCode: .found, headers: HTTPHeaders([.location: "/landing/\(secret)"]))
            default:
                if locked.take() { return .init(statusCode: .locked) }
                return .init(statusCode: .internalServerError, body: Data(SecretEcho.page(straddling: header).utf8))
            }
        })])
    }

    /// Answers 423 to the first request only.
    final class Locked: Sendable {
        private let done = Mutex(false)
        func take() -> Bool {
            done.withLock { done in
                defer { done = true }
                return !done
            }
        }
    }

    func client(_ auth: AccordConnectors.HTTPAuth, logs: InMemoryLogHandler? = nil) -> Client {
        var configuration = HTTPClient.Configuration()
        configuration.attempts = 2
        configuration.backoff = .milliseconds(5)
        var logger = Logger(label: "accord.http.test") { _ in logs ?? InMemoryLogHandler() }
        logger.logLevel = .trace
        return Client(app: "carddav (b)", auth: auth, configuration: configuration, logger: logger)
    }

    @Test(arguments: auths)
    func noFormOfTheCredentialsInA401Or500Failure(_ auth: AccordConnectors.HTTPAuth) async throws {
        let server = try await Self.echoServer()
        defer { Task { await server.stop() } }
        let echo = SecretEcho(authorization: auth.header)
        let client = client(auth)
        for (index, form) in echo.forms.enumerated() {
            for status in ["401", "500"] {
                let request = Request("GET", server.url("/\(status)/\(index)"))
                let failure: AppFailure
                do {
                    let response = try await client.send(request)
                    failure = client.failure(for: response, request: request)
                } catch let thrown as AppFailure {
                    failure = thrown
                }
                #expect(failure.code == (status == "401" ? DiagnosticCatalog.authenticationFailed : DiagnosticCatalog.serverError))
                #expect(echo.leaks(in: failure.description).isEmpty, "\(form) in a \(status): \(failure.description)")
                #expect(failure.serverSaid?.contains("You sent: ") == true && failure.serverSaid?.contains(SecretRedactor.marker) == true, "\(form): \(failure.description)")
            }
        }
    }

    @Test(arguments: auths)
    func aSecretAcrossTheCutOfTheQuoteIsRedactedWhole(_ auth: AccordConnectors.HTTPAuth) async throws {
        let server = try await Self.echoServer()
        defer { Task { await server.stop() } }
        let request = Request("GET", server.url("/long/401"))
        let client = client(auth)
        let failure = client.failure(for: try await client.send(request), request: request)
        #expect(SecretEcho(authorization: auth.header).leaks(in: failure.description).isEmpty, "\(failure.description)")
        // Redacted whole, where the first 300 characters of the page end inside the secret.
        #expect(failure.serverSaid?.hasSuffix(SecretRedactor.marker) == true, "\(failure.description)")
    }

    @Test(arguments: auths)
    func noFormOfTheCredentialsInLogsAtAnyLevel(_ auth: AccordConnectors.HTTPAuth) async throws {
        let server = try await Self.echoServer()
        defer { Task { await server.stop() } }
        let logs = InMemoryLogHandler()
        let client = client(auth, logs: logs)
        let failure = await appFailure { _ = try await client.send(Request("GET", server.url("/redirect"))) }
        let echo = SecretEcho(authorization: auth.header)
        #expect(failure?.code == DiagnosticCatalog.serverError)
        let description = failure.map(\.description) ?? ""
        #expect(echo.leaks(in: description).isEmpty, "\(description)")
        // Requests, answers, the retry after 423 and the notice it gave all name the URL.
        #expect(logs.entries.count >= 6 && logs.entries.contains { $0.level == .notice })
        for entry in logs.entries {
            let line = "\(entry.message) \(entry.metadata)"
            #expect(echo.leaks(in: line).isEmpty, "\(entry.level): \(line)")
        }
        #expect(logs.entries.contains { "\($0.message)".contains("/landing/<redacted>") })
    }

    @Test func theRedactorFindsSecretsInMixedEncodingsAndLeavesOtherTextAlone() {
        let redact = SecretRedactor(.basic(user: "ann", password: "pa ss/w%rd"))
        #expect(redact("user ann, no secret here: pass word") == "user ann, no secret here: pass word")
        #expect(redact("pa%20ss%2fw%25rd and pa+ss&#47;w%rd and pa\\u0020ss\\/w%25rd") == "<redacted> and <redacted> and <redacted>")
        #expect(redact("Authorization: Basic \(Data("ann:pa ss/w%rd".utf8).base64EncodedString())") == "Authorization: <redacted>")
        // A literal `%` that also starts an escape: `%25` read as itself, then `25`, does not fit.
        #expect(SecretRedactor(.bearer(token: "a%25b"))("x a%2525b y") == "x <redacted> y")
    }
}
