import Foundation

/// Keeps an app within its limits (from its schema's `limits`): at most `concurrency` requests in
/// flight and at most `requestsPerSecond` started per second. Waiters are served in order.
actor RequestLimiter {
    private var concurrency: Int
    private let interval: Duration?
    private var inFlight = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var nextStart = ContinuousClock.now

    init(concurrency: Int, requestsPerSecond: Double?) {
        self.concurrency = max(concurrency, 1)
        self.interval = requestsPerSecond.flatMap { $0 > 0 ? .seconds(1 / $0) : nil }
    }

    /// Runs `body` once a slot is free and the rate allows a new request.
    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        if let interval {
            // Reserve the next start time before sleeping, so concurrent callers space out.
            let now = ContinuousClock.now
            let start = max(now, nextStart)
            nextStart = start + interval
            if start > now { try await Task.sleep(until: start, clock: .continuous) }
        }
        return try await body()
    }

    private func acquire() async {
        if inFlight < concurrency {
            inFlight += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if !waiting.isEmpty, inFlight <= concurrency {
            // The slot passes straight to the next waiter.
            waiting.removeFirst().resume()
        } else {
            inFlight -= 1
        }
    }

    /// One request at a time from now on, for a server that cannot take more (requests in
    /// flight finish; the next start when they have). Returns whether this narrowed anything.
    @discardableResult
    func narrowToOne() -> Bool {
        defer { concurrency = 1 }
        return concurrency > 1
    }
}
