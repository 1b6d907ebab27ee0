@testable import AccordConnectors
import AccordDiagnostics
import FlyingFox
import Foundation
import CardDAVTestServers
import Synchronization
import Testing

typealias Client = AccordConnectors.HTTPClient
typealias Request = AccordConnectors.HTTPRequest

/// A loopback HTTP server (FlyingFox, port 0) whose routes misbehave on purpose.
struct LoopbackServer {
    let server: HTTPServer
    let task: Task<Void, any Error>
    let port: UInt16

    static func start(_ routes: [(String, @Sendable (FlyingFox.HTTPRequest) async throws -> FlyingFox.HTTPResponse)]) async throws -> LoopbackServer {
        let server = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: 0), logger: .disabled)
        for (route, handler) in routes { await server.appendRoute(HTTPRoute(stringLiteral: route), handler: handler) }
        let task = Task { try await server.run() }
        try await server.waitUntilListening()
        guard case .ip4(_, let port) = await server.listeningAddress else { throw ConnectorError("no listening address") }
        return LoopbackServer(server: server, task: task, port: port)
    }

    func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    func stop() async {
        await server.stop()
        task.cancel()
    }
}

func quickClient(attempts: Int = 4, timeout: Double = 10, concurrency: Int = 4, rate: Double? = nil, auth: AccordConnectors.HTTPAuth? = nil) -> Client {
    var configuration = HTTPClient.Configuration()
    configuration.attempts = attempts
    configuration.backoff = .milliseconds(10)
    configuration.timeout = timeout
    configuration.concurrency = concurrency
    configuration.requestsPerSecond = rate
    return Client(app: "test (a)", auth: auth, configuration: configuration)
}

/// Runs `body`; returns the ``AppFailure`` it throws (a test failure when it throws none).
func appFailure(_ body: () async throws -> Void) async -> AppFailure? {
    do {
        try await body()
        Issue.record("expected an AppFailure")
    } catch let failure as AppFailure {
        return failure
    } catch {
        Issue.record("expected an AppFailure, got \(error)")
    }
    return nil
}

@Suite struct HTTPClientTests {
    @Test func retriesServerErrorsWithBackoffThenSucceeds() async throws {
        let calls = Mutex(0)
        let server = try await LoopbackServer.start([("GET /flaky", { _ in
            calls.withLock { $0 += 1; return $0 } <= 2 ? .init(statusCode: .serviceUnavailable) : .init(statusCode: .ok, body: Data("fine".utf8))
        })])
        defer { Task { await server.stop() } }
        let client = quickClient()
        let response = try await client.send(Request("GET", server.url("/flaky")))
        #expect(response.status == 200 && String(decoding: response.body, as: UTF8.self) == "fine")
        #expect(client.requestCount == 3)
    }

    @Test func serverErrorsThroughEveryAttemptAreR1006WithWhatTheServerSaid() async throws {
        let server = try await LoopbackServer.start([("PUT /down", { _ in
            .init(statusCode: .serviceUnavailable, body: Data("<html><body>maintenance until 10:00</body></html>".utf8))
        })])
        defer { Task { await server.stop() } }
        let client = quickClient(attempts: 3)
        let failure = await appFailure { _ = try await client.send(Request("PUT", server.url("/down"), body: Data("x".utf8))) }
        #expect(failure?.code == DiagnosticCatalog.serverError)
        #expect(failure?.description == "R1006 test (a): PUT \(server.url("/down")): HTTP 503 Service Unavailable after 3 attempts; the server said: maintenance until 10:00")
        #expect(client.requestCount == 3)
    }

    @Test func honoursRetryAfter() async throws {
        let calls = Mutex(0)
        let server = try await LoopbackServer.start([("GET /busy", { _ in
            calls.withLock { $0 += 1; return $0 } == 1 ? .init(statusCode: .tooManyRequests, headers: HTTPHeaders([HTTPHeader("Retry-After"): "1"])) : .init(statusCode: .ok)
        })])
        defer { Task { await server.stop() } }
        let start = ContinuousClock.now
        let response = try await quickClient().send(Request("GET", server.url("/busy")))
        #expect(response.status == 200)
        // The backoff alone would retry after about 10 ms; the server asked for a second.
        #expect(ContinuousClock.now - start >= .milliseconds(900))
    }

    @Test func retryAfterLongerThanAccordWaitsIsR1005() async throws {
        let server = try await LoopbackServer.start([("GET /quota", { _ in
            .init(statusCode: .tooManyRequests, headers: HTTPHeaders([HTTPHeader("Retry-After"): "3600"]), body: Data("daily quota used".utf8))
        })])
        defer { Task { await server.stop() } }
        let client = quickClient()
        let failure = await appFailure { _ = try await client.send(Request("GET", server.url("/quota"))) }
        #expect(failure?.code == DiagnosticCatalog.rateLimited)
        #expect(failure?.message == "HTTP 429 Too Many Requests (it asked to wait 3600 s)")
        #expect(client.requestCount == 1)
    }

    @Test func refusedConnectionIsR1001AfterRetries() async throws {
        let client = quickClient(attempts: 3)
        let url = URL(string: "http://127.0.0.1:\(freePort())/x")!
        let failure = await appFailure { _ = try await client.send(Request("GET", url)) }
        #expect(failure?.code == DiagnosticCatalog.appUnreachable)
        #expect(failure?.message == "connection refused, 3 attempts")
    }

    @Test func noAnswerInTimeIsR1002() async throws {
        let server = try await LoopbackServer.start([("GET /slow", { _ in
            try await Task.sleep(for: .seconds(3))
            return .init(statusCode: .ok)
        })])
        defer { Task { await server.stop() } }
        let failure = await appFailure { _ = try await quickClient(attempts: 1, timeout: 1).send(Request("GET", server.url("/slow"))) }
        #expect(failure?.code == DiagnosticCatalog.requestTimedOut)
    }

    @Test func keepsWithinTheConcurrencyLimit() async throws {
        let inFlight = Mutex((now: 0, most: 0))
        let server = try await LoopbackServer.start([("GET /work", { _ in
            inFlight.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
            // Each answer waits (up to 2 s) until the client has 3 requests out, so a loaded
            // machine cannot hide a limit that is too tight; 15 requests are 5 full waves.
            let deadline = ContinuousClock.now + .seconds(2)
            while inFlight.withLock({ $0.now }) < 3, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            try await Task.sleep(for: .milliseconds(10))
            inFlight.withLock { $0.now -= 1 }
            return .init(statusCode: .ok)
        })])
        defer { Task { await server.stop() } }
        let client = quickClient(concurrency: 3)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<15 { group.addTask { _ = try await client.send(Request("GET", server.url("/work"))) } }
            try await group.waitForAll()
        }
        #expect(inFlight.withLock { $0.most } == 3)
    }

    @Test func aServerThatAnswersLockedGetsOneRequestAtATime() async throws {
        let inFlight = Mutex(0)
        let server = try await LoopbackServer.start([("PUT /locked", { _ in
            defer { inFlight.withLock { $0 -= 1 } }
            guard inFlight.withLock({ $0 += 1; return $0 }) == 1 else { return .init(statusCode: .locked) }
            try await Task.sleep(for: .milliseconds(20))
            return .init(statusCode: .created)
        })])
        defer { Task { await server.stop() } }
        let client = quickClient(concurrency: 4)
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<12 { group.addTask { try await client.send(Request("PUT", server.url("/locked"), body: Data("x".utf8))).status } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 201, count: 12))
    }

    @Test func keepsWithinTheRequestRate() async throws {
        let server = try await LoopbackServer.start([("GET /tick", { _ in .init(statusCode: .ok) })])
        defer { Task { await server.stop() } }
        let client = quickClient(concurrency: 8, rate: 20)
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<9 { group.addTask { _ = try await client.send(Request("GET", server.url("/tick"))) } }
            try await group.waitForAll()
        }
        // 9 starts at 20 per second: the last starts 8 × 50 ms after the first.
        #expect(ContinuousClock.now - start >= .milliseconds(390))
    }

    @Test func followsRedirectsKeepingTheMethodOnTheSameServer() async throws {
        let server = try await LoopbackServer.start([("PROPFIND *", { request in
            guard request.path.hasPrefix("/dav") else { return .init(statusCode: .movedPermanently, headers: HTTPHeaders([.location: "/dav/"])) }
            return .init(statusCode: .ok, body: Data("\(request.method.rawValue) \(String(decoding: try await request.bodyData, as: UTF8.self))".utf8))
        })])
        defer { Task { await server.stop() } }
        let response = try await quickClient().send(Request("PROPFIND", server.url("/.well-known/carddav"), body: Data("<propfind/>".utf8)))
        #expect(response.status == 200, "\(response)")
        #expect(String(decoding: response.body, as: UTF8.self) == "PROPFIND <propfind/>")
    }

    @Test func secretsNeverAppearInFailuresOrLogs() async throws {
        let password = "hunter2-very-secret"
        let server = try await LoopbackServer.start([("GET /echo", { request in
            .init(statusCode: .unauthorized, body: Data("bad credentials: \(request.headers[.authorization] ?? "")".utf8))
        })])
        defer { Task { await server.stop() } }
        let client = quickClient(auth: .basic(user: "ann", password: password))
        let response = try await client.send(Request("GET", server.url("/echo")))
        let failure = client.failure(for: response, request: Request("GET", server.url("/echo")))
        #expect(failure.code == DiagnosticCatalog.authenticationFailed)
        let header = AccordConnectors.HTTPAuth.basic(user: "ann", password: password).header
        #expect(!failure.description.contains(password) && !failure.description.contains(header))
        #expect(failure.description.contains("bad credentials: <redacted>"))
        #expect(client.redacted("Authorization: \(header), body \(password)") == "Authorization: <redacted>, body <redacted>")
    }

    @Test func unexpectedStatusIsR1007() async throws {
        let client = quickClient()
        let failure = client.failure(for: AccordConnectors.HTTPResponse(status: 418, body: Data("short and stout".utf8)), request: Request("GET", URL(string: "https://user:pw@example.com/a?token=abc")!))
        #expect(failure.code == DiagnosticCatalog.unexpectedResponse)
        #expect(failure.description == "R1007 test (a): GET https://example.com/a?…: HTTP 418 Client Error; the server said: short and stout")
    }

    @Test func missingSecretsAreR1008NamingWhereAccordLooked() throws {
        let variable = ParameterSource.environment("ACCORD_TEST_UNSET_\(UUID().uuidString.prefix(6))")
        #expect(throws: AppFailure.self) { try variable.resolve(name: "password", app: "carddav (b)") }
        do {
            _ = try ParameterSource.file("/nonexistent/secret").resolve(name: "password", app: "carddav (b)")
        } catch let failure as AppFailure {
            #expect(failure.description == "R1008 carddav (b): 'password' comes from the file '/nonexistent/secret', which cannot be read")
        }
        let file = NSTemporaryDirectory() + "accord-secret-" + UUID().uuidString
        try "s3cret\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(try ParameterSource.file(file).resolve(name: "password", app: "carddav (b)") == "s3cret")
        #expect(try ParameterSource.environment("V").resolve(name: "token", app: "x", environment: ["V": "abc"]) == "abc")
    }
}
