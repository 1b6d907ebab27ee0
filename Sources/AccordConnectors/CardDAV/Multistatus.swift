import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A WebDAV `207 Multi-Status` body (RFC 4918 §13), reduced to what a CardDAV client reads:
/// per response its href, status, and the properties of its `200` propstat; and the sync token of
/// a `sync-collection` report (RFC 6578).
struct Multistatus: Sendable {
    /// An element name: namespace and local name.
    struct Name: Hashable, Sendable {
        var namespace: String
        var local: String

        static func dav(_ local: String) -> Name { Name(namespace: "DAV:", local: local) }
        static func cardDAV(_ local: String) -> Name { Name(namespace: "urn:ietf:params:xml:ns:carddav", local: local) }
    }

    /// One property value: its text, the hrefs inside it, and the names of its child elements
    /// (for `resourcetype` and `supported-report-set`, which are sets of empty elements).
    struct Property: Sendable {
        var text = ""
        var hrefs: [String] = []
        var descendants: Set<Name> = []
    }

    struct Response: Sendable {
        var href: String
        /// The response's own status (a removed member in a sync report, a missing href in a
        /// multiget); nil when it carries propstats.
        var status: Int?
        /// Properties found (from propstats with a 2xx status).
        var properties: [Name: Property]
        /// Names of the elements inside the response's `error`, such as `number-of-matches-within-limits`.
        var errors: Set<Name>

        subscript(_ name: Name) -> Property? { properties[name] }
    }

    var responses: [Response]
    var syncToken: String?

    /// Parses a multistatus body; nil when it is not XML or not a multistatus.
    static func parse(_ data: Data) -> Multistatus? {
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.shouldReportNamespacePrefixes = false
        parser.shouldResolveExternalEntities = false
        let reader = Reader()
        parser.delegate = reader
        guard parser.parse(), reader.sawMultistatus else { return nil }
        return Multistatus(responses: reader.responses, syncToken: reader.syncToken)
    }

    /// `HTTP/1.1 404 Not Found` → 404.
    static func statusCode(_ line: String) -> Int? {
        let parts = line.split(separator: " ")
        return parts.count >= 2 ? Int(parts[1]) : nil
    }

    /// Builds responses as the parser walks the tree.
    private final class Reader: NSObject, XMLParserDelegate {
        var responses: [Response] = []
        var syncToken: String?
        var sawMultistatus = false

        private var stack: [Name] = []
        private var text = ""
        // The response being read.
        private var href: String?
        private var status: Int?
        private var properties: [Name: Property] = [:]
        private var errors: Set<Name> = []
        // The propstat being read: its properties wait for its status.
        private var pending: [Name: Property] = [:]
        private var propstatStatus: Int?
        private var current: (name: Name, property: Property)?

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            let name = Name(namespace: namespaceURI ?? "", local: elementName)
            let parent = stack.last
            stack.append(name)
            text = ""
            if name == .dav("multistatus") { sawMultistatus = true }
            if name == .dav("response") {
                href = nil; status = nil; properties = [:]; errors = []
            } else if name == .dav("propstat") {
                pending = [:]; propstatStatus = nil
            } else if parent == .dav("prop") {
                current = (name, Property())
            } else if current != nil {
                current!.property.descendants.insert(name)
            } else if stack.dropLast().contains(.dav("error")), stack.contains(.dav("response")) {
                errors.insert(name)
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            text += string
        }

        func parser(_ parser: XMLParser, foundCDATA block: Data) {
            text += String(decoding: block, as: UTF8.self)
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            let name = stack.removeLast()
            let parent = stack.last
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if let (propertyName, found) = current {
                var property = found
                if name == propertyName, parent == .dav("prop") {
                    // address-data keeps its text as sent; only surrounding white space goes.
                    if property.hrefs.isEmpty { property.text = value }
                    pending[propertyName] = property
                    current = nil
                } else if name == .dav("href") {
                    property.hrefs.append(value)
                    current = (propertyName, property)
                }
            } else if name == .dav("href"), parent == .dav("response") {
                href = value
            } else if name == .dav("status"), parent == .dav("response") {
                status = Multistatus.statusCode(value)
            } else if name == .dav("status"), parent == .dav("propstat") {
                propstatStatus = Multistatus.statusCode(value)
            } else if name == .dav("propstat") {
                if let code = propstatStatus, (200..<300).contains(code) { properties.merge(pending) { $1 } }
            } else if name == .dav("response") {
                if let href { responses.append(Response(href: href, status: status, properties: properties, errors: errors)) }
            } else if name == .dav("sync-token"), parent == .dav("multistatus") {
                syncToken = value
            }
            text = ""
        }
    }
}

extension HTTPRequest {
    /// A WebDAV request (PROPFIND, REPORT) with an XML body and a `Depth` header.
    static func webDAV(_ method: String, _ url: URL, depth: Int, body: String) -> HTTPRequest {
        HTTPRequest(method, url, headers: ["Depth": "\(depth)", "Content-Type": "application/xml; charset=utf-8"], body: Data(body.utf8))
    }
}

extension HTTPClient {
    /// Sends a WebDAV request whose only good answer is a `207 Multi-Status`; anything else is
    /// the failure that names the request and quotes the server.
    func multistatus(_ request: HTTPRequest) async throws -> Multistatus {
        let response = try await send(request)
        guard response.status == 207, let status = Multistatus.parse(response.body) else { throw failure(for: response, request: request) }
        return status
    }
}

extension String {
    /// The text as XML character data (`&` and `<` escaped).
    var xmlEscaped: String {
        replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }
}
