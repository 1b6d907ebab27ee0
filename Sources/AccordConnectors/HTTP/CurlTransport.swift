import CCurl
import Foundation

/// Sends one request at a time per thread through libcurl's easy interface, with one connection
/// cache shared by all of them, so connections are kept alive across requests.
///
/// accord calls libcurl itself rather than through `URLSession`: on Linux, FoundationNetworking
/// keeps a write-readiness source for a socket after libcurl stops asking for it, which keeps a
/// core busy for as long as each answer takes (measured: a 0.5 s answer cost 0.4 s of CPU and
/// 49,000 context switches). `curl_easy_perform` waits in `poll` instead.
final class CurlTransport: @unchecked Sendable {
    // @unchecked: `share` is only ever passed to libcurl, which guards it with the mutexes the
    // C side gives it (`CURLSHOPT_LOCKFUNC`); Swift never reads or writes through it.
    private let share: OpaquePointer

    init() {
        share = accord_curl_share_new()
    }

    deinit {
        accord_curl_share_free(share)
    }

    /// The response, or a `TransportFailure` when none came.
    func send(_ request: HTTPRequest, extraHeaders: [String: String], timeout: Double) async throws -> HTTPResponse {
        try await withCheckedThrowingContinuation { continuation in
            // A thread of its own: the transfer blocks it in poll(), never a Swift concurrency thread.
            Thread.detachNewThread {
                continuation.resume(with: Result { try self.perform(request, extraHeaders: extraHeaders, timeout: timeout) })
            }
        }
    }

    private func perform(_ request: HTTPRequest, extraHeaders: [String: String], timeout: Double) throws -> HTTPResponse {
        let fields = request.headers.merging(extraHeaders) { $1 }
        let names = Set(fields.keys.map { $0.lowercased() })
        var lines = fields.map { "\($0.key): \($0.value)" }
        // Without these, libcurl would give a body without a type a form's Content-Type, and
        // wait for a 100 Continue before sending a large one.
        if request.body != nil, !names.contains("content-type") { lines.append("Content-Type:") }
        if !names.contains("expect") { lines.append("Expect:") }
        var response = accord_curl_response()
        defer { accord_curl_response_free(&response) }
        let payload = request.body ?? Data()
        withCStrings(lines) { headers in
            payload.withUnsafeBytes { bytes in
                accord_curl_perform(
                    share, request.method, request.url.absoluteString, headers, lines.count,
                    bytes.baseAddress?.assumingMemoryBound(to: CChar.self), payload.count, request.body == nil ? 0 : 1,
                    Int(max(timeout, 0.001) * 1000), &response)
            }
        }
        guard response.curl_code == 0 else {
            let detail = withUnsafeBytes(of: response.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw TransportFailure(reason: .init(curlCode: Int(response.curl_code), errno: Int32(response.os_errno)), detail: detail)
        }
        let headerText = String(decoding: UnsafeRawBufferPointer(start: response.headers.bytes, count: response.headers.length), as: UTF8.self)
        let body = response.body.length == 0 ? Data() : Data(bytes: response.body.bytes, count: response.body.length)
        return HTTPResponse(status: response.status, headers: Self.headers(headerText), body: body)
    }

    /// Header fields of a response block, names in lower case; a repeated field's values joined
    /// with commas (RFC 9110 §5.3).
    static func headers(_ text: String) -> [String: String] {
        var headers: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline).dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { "\($0), \(value)" } ?? value
        }
        return headers
    }
}

/// Why a request got no response.
struct TransportFailure: Error {
    enum Reason {
        case refused, timedOut, connectionLost, unknownHost, tls, other

        /// The reason of a libcurl error (see libcurl-errors(3)).
        init(curlCode: Int, errno: Int32) {
            switch curlCode {
            case 6: self = .unknownHost  // COULDNT_RESOLVE_HOST
            case 7: self = errno == ETIMEDOUT ? .timedOut : .refused  // COULDNT_CONNECT
            case 28: self = .timedOut  // OPERATION_TIMEDOUT
            case 52, 55, 56: self = .connectionLost  // GOT_NOTHING, SEND_ERROR, RECV_ERROR
            case 35, 53, 54, 58, 59, 60, 64, 66, 77, 80, 83, 90, 91: self = .tls  // handshake, certificates, setup
            default: self = .other
            }
        }
    }

    var reason: Reason
    /// libcurl's own words.
    var detail: String
}

/// Calls `body` with a C array of C strings that live for the duration of the call.
private func withCStrings<Result>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> Result) -> Result {
    let pointers = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    return pointers.map { UnsafePointer($0) }.withUnsafeBufferPointer { body($0.baseAddress) }
}
