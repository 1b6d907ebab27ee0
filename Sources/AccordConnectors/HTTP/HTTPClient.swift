import AccordDiagnostics
import Foundation
import Logging
import Synchronization

/// The HTTP stack every app that accord reaches over the network shares: libcurl with one
/// connection cache for the client's life (``CurlTransport``), timeouts rather than cancellation, retries with exponential
/// backoff and jitter on 429, 423, 5xx and connection errors (honouring `Retry-After`), the app's
/// concurrency and request-rate limits, authentication, and debug logging with secrets redacted.
///
/// `send` returns every answer the caller may want to interpret (2xx, 3xx beyond the redirects
/// it follows, 4xx); it throws an ``AppFailure`` when the server could not be reached or kept
/// failing (5xx, 429) through every retry.
public final class HTTPClient: Sendable {
    public struct Configuration: Sendable {
        /// Seconds to wait for a response before the attempt counts as timed out.
        public var timeout: Double = 60
        /// Attempts per request, the first included.
        public var attempts: Int = 4
        /// The first retry waits about this long; each next one twice as long (with jitter).
        public var backoff: Duration = .milliseconds(500)
        /// No retry waits longer than this, and a `Retry-After` asking for more fails the request.
        public var maximumWait: Duration = .seconds(60)
        /// Requests in flight at once (`limits.concurrency`).
        public var concurrency: Int = 4
        /// Requests started per second (`limits.requests_per_second`); nil for no limit.
        public var requestsPerSecond: Double?
        /// Redirects followed per request.
        public var redirects: Int = 5

        public init() {}
    }

    /// The app and side, such as `carddav (b)`, for messages and logs.
    public let app: String
    private let auth: HTTPAuth?
    private let redactor: SecretRedactor
    private let configuration: Configuration
    private let transport = CurlTransport()
    private let limiter: RequestLimiter
    private let logger: Logger
    private let sent = Mutex(0)

    /// - Parameter logger: where requests, answers and retries are logged (the `accord.http`
    ///   logger of the process's logging system unless a test gives its own).
    public init(app: String, auth: HTTPAuth?, configuration: Configuration = Configuration(), logger: Logger = Logger(label: "accord.http")) {
        self.app = app
        self.auth = auth
        self.redactor = SecretRedactor(auth)
        self.configuration = configuration
        self.limiter = RequestLimiter(concurrency: configuration.concurrency, requestsPerSecond: configuration.requestsPerSecond)
        var logger = logger
        logger[metadataKey: "app"] = "\(app)"
        self.logger = logger
    }

    /// Requests sent so far, retries and redirects included.
    public var requestCount: Int { sent.withLock { $0 } }

    /// Sends a request, following redirects and retrying what is worth retrying.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var request = request
        var redirects = 0
        while true {
            let response = try await sendWithRetries(request)
            guard [301, 302, 303, 307, 308].contains(response.status), redirects < configuration.redirects,
                  let location = response.header("Location"), let target = URL(string: location, relativeTo: request.url)?.absoluteURL
            else { return response }
            redirects += 1
            // WebDAV clients repeat the method on a redirect (a PROPFIND stays a PROPFIND), except after 303.
            if response.status == 303 {
                request.method = "GET"
                request.body = nil
            }
            if target.host != request.url.host || target.scheme != request.url.scheme || target.port != request.url.port {
                throw AppFailure(
                    DiagnosticCatalog.unexpectedResponse, app: app, request: request.summary,
                    "redirected to another server (\(HTTPRequest.display(target))); accord does not send credentials there. Put that URL in the connection")
            }
            request.url = target
        }
    }

    private func sendWithRetries(_ request: HTTPRequest) async throws -> HTTPResponse {
        var attempt = 1
        while true {
            let outcome: Result<HTTPResponse, TransportFailure>
            do {
                outcome = .success(try await limiter.run { try await self.sendOnce(request) })
            } catch let failure as TransportFailure {
                outcome = .failure(failure)
            }
            let retryable: Bool
            var wait = configuration.backoff * Double(1 << min(attempt - 1, 16)) * Double.random(in: 0.5...1.0)
            switch outcome {
            case .success(let response):
                // 423: a WebDAV server whose storage another write holds (Xandikos's git repository).
                guard response.status == 429 || response.status == 423 || (500...599).contains(response.status) else { return response }
                if response.status == 423, await limiter.narrowToOne() {
                    logger.notice("\(redacted(request.summary)) answered 423 Locked: one request at a time from now on")
                }
                retryable = response.status == 429 || request.isIdempotent
                if let asked = response.retryAfter {
                    if asked > configuration.maximumWait {
                        throw failure(for: response, request: request, attempts: attempt, note: "it asked to wait \(asked.components.seconds) s")
                    }
                    wait = asked
                }
                if !retryable || attempt >= configuration.attempts { throw failure(for: response, request: request, attempts: attempt) }
            case .failure(let error):
                retryable = request.isIdempotent
                if !retryable || attempt >= configuration.attempts { throw failure(for: error, request: request, attempts: attempt) }
            }
            logger.debug("retrying \(redacted(request.summary)) in \(wait) (attempt \(attempt + 1) of \(configuration.attempts))")
            try await Task.sleep(for: min(wait, configuration.maximumWait))
            attempt += 1
        }
    }

    private func sendOnce(_ request: HTTPRequest) async throws -> HTTPResponse {
        sent.withLock { $0 += 1 }
        let start = ContinuousClock.now
        if logger.logLevel <= .debug {
            let headers = request.headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" } + (auth == nil ? [] : ["Authorization: <redacted>"])
            logger.debug("→ \(redacted(request.summary)) [\(redacted(headers.joined(separator: ", ")))] \(request.body?.count ?? 0) bytes")
        }
        let response = try await transport.send(
            request, extraHeaders: auth.map { ["Authorization": $0.header] } ?? [:], timeout: configuration.timeout)
        logger.debug("← \(response.status) for \(redacted(request.summary)) in \(Self.milliseconds(since: start)) ms, \(response.body.count) bytes")
        return response
    }

    private static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = (ContinuousClock.now - start).components
        return Int(elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000)
    }

    /// `text` with every form of the client's secrets replaced (see ``SecretRedactor``). Every
    /// message this client logs or puts in a failure goes through it, whole, before anything
    /// shortens it.
    func redacted(_ text: String) -> String { redactor(text) }

    /// `failure` with every form of the client's secrets replaced in each of its texts.
    func redacted(_ failure: AppFailure) -> AppFailure { failure.redacted(by: redactor) }

    // MARK: - Failures

    /// The failure for an answer the caller did not expect: 401, 403, 429, 5xx and the rest.
    public func failure(for response: HTTPResponse, request: HTTPRequest, attempts: Int = 1, note: String? = nil) -> AppFailure {
        let code: DiagnosticCode = switch response.status {
        case 401: DiagnosticCatalog.authenticationFailed
        case 403: DiagnosticCatalog.accessDenied
        case 429: DiagnosticCatalog.rateLimited
        case 500...599: DiagnosticCatalog.serverError
        default: DiagnosticCatalog.unexpectedResponse
        }
        var message = "HTTP \(response.status) \(HTTPResponse.reasonPhrase(response.status))"
        if attempts > 1 { message += " after \(attempts) attempts" }
        if let note { message += " (\(note))" }
        // The body is redacted before it is shortened and stripped of markup, which could cut a
        // secret in two or split it into words no longer recognisable; the quote once more after,
        // in case stripping joined pieces into one.
        let body = redacted(String(decoding: response.body.prefix(Self.redactedBodyBytes), as: UTF8.self))
        return AppFailure(code, app: app, request: redacted(request.summary), redacted(message), serverSaid: redacted(AppFailure.quote(body)))
    }

    /// How much of a body a failure redacts and quotes from: far more than the quote keeps, so a
    /// secret cut at this boundary is never in the part quoted.
    static let redactedBodyBytes = 16_384

    private func failure(for error: TransportFailure, request: HTTPRequest, attempts: Int) -> AppFailure {
        let what = switch error.reason {
        case .timedOut: "no answer within \(Int(configuration.timeout)) s"
        case .refused: "connection refused"
        case .connectionLost: "the connection was lost"
        case .unknownHost: "the host name does not resolve"
        case .tls: "the TLS connection failed (certificate or protocol): \(error.detail)"
        case .other: "network error: \(error.detail)"
        }
        let code = error.reason == .timedOut ? DiagnosticCatalog.requestTimedOut : DiagnosticCatalog.appUnreachable
        return AppFailure(code, app: app, request: redacted(request.summary), redacted(attempts > 1 ? "\(what), \(attempts) attempts" : what))
    }
}
