import AccordDiagnostics
import Foundation
import Synchronization

/// The `carddav` app: an address book on a CardDAV server (RFC 6352): iCloud, Fastmail,
/// Nextcloud, mailbox.org, Radicale. The record id is the resource's path, the version its ETag.
///
/// Listing uses `sync-collection` (RFC 6578) with the cursor as sync token when the server has
/// it, otherwise a PROPFIND of ETags; a run that finds the address book's ctag as the last
/// listing left it asks nothing more (one request in all). Changed
/// cards are fetched with `addressbook-multiget`, a batch per request. Creates are `PUT` with
/// `If-None-Match: *`; updates `PUT` with `If-Match`, and an edit made on the server since the
/// listing (an ETag that moved, or a 412) is re-fetched and re-merged once: fields accord did not
/// change are kept (and the record comes back without a version, so the next run syncs them),
/// a field edited on both sides is left for the next run to merge.
public final class CardDAVConnector: ContactConnector {
    public let batchSize: Int
    public let client: HTTPClient
    /// How cards map to fields, custom fields included.
    public let vcard: VCardFields
    private let discovery: CardDAVDiscovery
    /// The address book once discovered, and whether its ctag is still current: it is until
    /// this connector lists or writes, as nothing it writes came before.
    private let found = Mutex<(book: AddressBook, ctagIsCurrent: Bool)?>(nil)
    /// Called before each update's PUT, so a test can edit the card on the server in between.
    let beforeUpdatePut: (@Sendable (_ id: String) async throws -> Void)?

    /// - Parameters:
    ///   - url: the server, the account's principal, or the address book itself.
    ///   - addressBook: the address book's display name (or last path segment); nil for the first.
    ///   - fields: how cards map to fields, custom fields included.
    public convenience init(url: URL, addressBook: String?, client: HTTPClient, batchSize: Int = 100, fields: VCardFields = VCardFields()) {
        self.init(url: url, addressBook: addressBook, client: client, batchSize: batchSize, fields: fields, beforeUpdatePut: nil)
    }

    init(
        url: URL, addressBook: String?, client: HTTPClient, batchSize: Int, fields: VCardFields = VCardFields(),
        beforeUpdatePut: (@Sendable (String) async throws -> Void)?
    ) {
        self.batchSize = batchSize
        self.client = client
        self.vcard = fields
        self.discovery = CardDAVDiscovery(client: client, serverURL: url, name: addressBook)
        self.beforeUpdatePut = beforeUpdatePut
    }

    /// The address book, discovered once per connector.
    func addressBook() async throws -> AddressBook { try await discover(hint: nil) }

    /// The address book, first looked for where `hint` says it was.
    private func discover(hint: URL?) async throws -> AddressBook {
        if let book = found.withLock({ $0?.book }) { return book }
        let book = try await discovery.find(hint: hint)
        found.withLock { $0 = (book, true) }
        return book
    }

    /// The ctag discovery found, while nothing has been listed or written since; `consume` marks
    /// it used, as a listing is followed by the run's writes.
    private func currentCtag(consume: Bool) -> String? {
        found.withLock { found in
            defer { if consume { found?.ctagIsCurrent = false } }
            return found?.ctagIsCurrent == true ? found?.book.ctag : nil
        }
    }

    /// The address book for a write, after which its discovered ctag is no longer current.
    private func addressBookForWriting() async throws -> AddressBook {
        let book = try await addressBook()
        _ = currentCtag(consume: true)
        return book
    }

    // MARK: - Listing

    /// Whether the address book's ctag is still the one the last listing saw (one PROPFIND);
    /// false without a ctag on either side.
    public func isUnchanged(since cursor: String) async throws -> Bool {
        let cursor = ListingCursor(text: cursor)
        guard let last = cursor.ctag else { return false }
        _ = try await discover(hint: cursor.addressBook.flatMap { URL(string: $0) })
        return currentCtag(consume: false) == last
    }

    public func list(since state: ListingState) async throws -> Listing {
        let cursor = state.cursor.map(ListingCursor.init(text:))
        let book = try await discover(hint: cursor?.addressBook.flatMap { URL(string: $0) })
        let ctag = currentCtag(consume: true)
        if let ctag, let cursor, cursor.ctag == ctag {
            // Nothing in the address book changed since the last run: no report needed.
            return Listing(changed: [], deleted: [], cursor: state.cursor)
        }
        var members: Members
        if book.supportsSyncCollection, let synced = try await syncCollection(book, token: cursor?.syncToken) {
            members = synced
        } else {
            members = try await propfindMembers(book)
        }
        let changedIDs = members.etags.filter { state.known[$0.key] != $0.value }.keys.sorted()
        if members.complete {
            members.deleted = Set(state.known.keys).subtracting(members.etags.keys)
        }
        let cards = try await multiget(changedIDs, in: book)
        var records: [ContactRecord] = []
        records.reserveCapacity(cards.count)
        for id in changedIDs {
            // Gone between the listing and the fetch: the next listing reports it deleted.
            guard let card = cards[id] else { continue }
            records.append(vcard.record(card.card, id: id, version: card.etag))
        }
        // The ctag is remembered only with a sync token: it proves nothing changed since that token.
        let next = members.token.map { ListingCursor(syncToken: $0, ctag: ctag, addressBook: book.url.absoluteString).text }
        return Listing(changed: records, deleted: members.deleted.filter { state.known[$0] != nil }.sorted(), cursor: next)
    }

    /// The cursor a listing leaves: the sync token, the ctag seen before the report, and where
    /// the address book was; stored as JSON.
    struct ListingCursor: Codable {
        var syncToken: String
        var ctag: String?
        var addressBook: String?

        init(syncToken: String, ctag: String?, addressBook: String?) {
            self.syncToken = syncToken
            self.ctag = ctag
            self.addressBook = addressBook
        }

        /// A cursor this connector wrote, or else a bare sync token.
        init(text: String) {
            self = (try? JSONDecoder().decode(Self.self, from: Data(text.utf8))) ?? Self(syncToken: text, ctag: nil, addressBook: nil)
        }

        var text: String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
        }
    }

    /// What a listing learnt: member id → ETag (all members, or those changed since the token),
    /// ids removed, and the token for next time.
    private struct Members {
        var etags: [String: String] = [:]
        var deleted: Set<String> = []
        var token: String?
        /// Whether `etags` holds every member (so known ids missing from it are deleted).
        var complete: Bool
    }

    private static func syncBody(_ token: String?) -> String {
        """
        <?xml version="1.0" encoding="utf-8"?>
        <D:sync-collection xmlns:D="DAV:"><D:sync-token>\((token ?? "").xmlEscaped)</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>
        """
    }

    /// Members changed since `token` (all of them without one). An invalid or expired token
    /// starts over with a full listing; nil when the server refuses the report altogether.
    private func syncCollection(_ book: AddressBook, token: String?) async throws -> Members? {
        var members = Members(complete: token == nil)
        var token = token
        // A truncated answer (507 for the collection itself) is continued with the token it gave.
        for _ in 0..<10_000 {
            let request = HTTPRequest.webDAV("REPORT", book.url, depth: 0, body: Self.syncBody(token))
            let response = try await client.send(request)
            if response.status == 403 || response.status == 412 || response.status == 400 || response.status == 409,
               String(decoding: response.body, as: UTF8.self).contains("valid-sync-token") {
                guard token != nil else { throw client.failure(for: response, request: request) }
                // RFC 6578 §3.2: the token is no longer valid; list everything again.
                return try await syncCollection(book, token: nil)
            }
            if [400, 403, 405, 415, 501].contains(response.status) && token == nil && members.etags.isEmpty { return nil }
            guard response.status == 207, let status = Multistatus.parse(response.body) else {
                throw client.failure(for: response, request: request)
            }
            var truncated = false
            for item in status.responses {
                guard let id = memberID(item.href, in: book) else {
                    if item.status == 507 || item.errors.contains(.dav("number-of-matches-within-limits")) { truncated = true }
                    continue
                }
                if item.status == 404 {
                    members.deleted.insert(id)
                    members.etags[id] = nil
                } else if let etag = item[.dav("getetag")]?.text, !etag.isEmpty {
                    members.etags[id] = etag
                    members.deleted.remove(id)
                }
            }
            members.token = status.syncToken ?? token
            token = members.token
            if !truncated { return members }
        }
        throw AppFailure(DiagnosticCatalog.unexpectedResponse, app: client.app, "the sync report never ended (10,000 truncated answers)")
    }

    /// Every member with its ETag, by PROPFIND (servers without sync-collection).
    private func propfindMembers(_ book: AddressBook) async throws -> Members {
        let status = try await client.multistatus(.webDAV(
            "PROPFIND", book.url, depth: 1,
            body: #"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:resourcetype/></D:prop></D:propfind>"#))
        var members = Members(complete: true)
        for item in status.responses {
            guard let id = memberID(item.href, in: book), let etag = item[.dav("getetag")]?.text, !etag.isEmpty else { continue }
            members.etags[id] = etag
        }
        return members
    }

    /// The record id of a member href (its path); nil for the collection itself.
    private func memberID(_ href: String, in book: AddressBook) -> String? {
        guard let url = resolve(href, against: book.url) else { return nil }
        let path = url.path(percentEncoded: true)
        return path == book.url.path(percentEncoded: true) || path.hasSuffix("/") ? nil : path
    }

    private func resourceURL(_ id: String, in book: AddressBook) -> URL {
        URL(string: id, relativeTo: book.url)!.absoluteURL
    }

    // MARK: - Fetching

    private struct FetchedCard {
        var card: VCard
        var etag: String
    }

    private static func multigetBody(_ ids: some Sequence<String>) -> String {
        var body = #"<?xml version="1.0" encoding="utf-8"?><C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data/></D:prop>"#
        for id in ids { body += "<D:href>\(id.xmlEscaped)</D:href>" }
        return body + "</C:addressbook-multiget>"
    }

    /// The cards of `ids`, a batch per request, batches at once within the app's limits. Ids
    /// that are gone are missing from the result.
    private func multiget(_ ids: [String], in book: AddressBook) async throws -> [String: FetchedCard] {
        guard !ids.isEmpty else { return [:] }
        let batches = stride(from: 0, to: ids.count, by: batchSize).map { Array(ids[$0..<min($0 + batchSize, ids.count)]) }
        return try await withThrowingTaskGroup(of: [String: FetchedCard].self) { group in
            for batch in batches {
                group.addTask { try await self.multigetBatch(batch, in: book) }
            }
            var cards: [String: FetchedCard] = [:]
            for try await part in group { cards.merge(part) { $1 } }
            return cards
        }
    }

    private func multigetBatch(_ ids: [String], in book: AddressBook) async throws -> [String: FetchedCard] {
        let request = HTTPRequest.webDAV("REPORT", book.url, depth: 1, body: Self.multigetBody(ids))
        let status = try await client.multistatus(request)
        var cards: [String: FetchedCard] = [:]
        for item in status.responses {
            guard let id = memberID(item.href, in: book), let data = item[.cardDAV("address-data")]?.text,
                  let etag = item[.dav("getetag")]?.text
            else { continue }
            do {
                cards[id] = FetchedCard(card: try VCard.parse(data), etag: etag)
            } catch {
                throw AppFailure(
                    DiagnosticCatalog.unexpectedResponse, app: client.app, request: request.summary, "the card '\(id)' is not a valid vCard: \(error)")
            }
        }
        return cards
    }

    /// One card by GET, with its current ETag; nil when it is gone.
    private func fetch(_ id: String, in book: AddressBook) async throws -> FetchedCard? {
        let request = HTTPRequest("GET", resourceURL(id, in: book), headers: ["Accept": "text/vcard"])
        let response = try await client.send(request)
        if response.status == 404 || response.status == 410 { return nil }
        guard response.status == 200, let etag = response.header("ETag"),
              let card = try? VCard.parse(response.body)
        else { throw client.failure(for: response, request: request) }
        return FetchedCard(card: card, etag: etag)
    }

    // MARK: - Writing

    /// A created card is stored as `UID.vcf` in the address book, its UID the correlation id.
    public func recordID(forCorrelation correlationID: String) -> String? {
        found.withLock { $0 }.map { $0.book.url.path(percentEncoded: true) + correlationID + ".vcf" }
    }

    public func create(_ contacts: [NewContact]) async throws -> [WriteResult] {
        let book = try await addressBookForWriting()
        return try await inOrder(contacts) { contact in
            let uid = contact.correlationID
            let card = self.vcard.newCard(uid: uid, fields: contact.fields, tags: contact.segments[VCardFields.tagSegment] ?? [])
            let id = book.url.path(percentEncoded: true) + uid + ".vcf"
            let result = try await self.put(card, id: id, in: book, condition: ["If-None-Match": "*"])
            if case .refused(let status, _) = result, status == 412, let existing = try await self.fetch(id, in: book),
               existing.card.properties.first(where: { $0.name == "UID" })?.value == uid {
                // An earlier attempt of this very PUT went through (its answer was lost): it is ours.
                return .written(self.vcard.record(existing.card, id: id, version: existing.etag, packed: false))
            }
            return result.writeResult
        }
    }

    public func update(_ updates: [ContactUpdate]) async throws -> [WriteResult] {
        let book = try await addressBookForWriting()
        let current = try await multiget(updates.map(\.id), in: book)
        return try await inOrder(updates) { update in
            guard var fetched = current[update.id] else { return .failed(reason: "'\(update.id)' no longer exists in the address book") }
            for attempt in 1...2 {
                // Edited on the server since accord listed it: merge again, keeping what accord
                // does not change, and return the record without a version (see `WriteResult`).
                let editedSince = update.wasEdited(now: fetched.etag)
                if editedSince, let field = update.conflictingField(in: self.vcard.fields(of: fetched.card)) {
                    return .failed(reason: "'\(field)' was edited in the address book during the run; the next run merges it")
                }
                var card = fetched.card
                self.vcard.apply(
                    update.fields, add: update.addSegments[VCardFields.tagSegment] ?? [],
                    remove: update.removeSegments[VCardFields.tagSegment] ?? [], to: &card)
                try await self.beforeUpdatePut?(update.id)
                let result = try await self.put(card, id: update.id, in: book, condition: ["If-Match": fetched.etag])
                if case .stored(var record) = result, editedSince {
                    record.version = nil
                    return .written(record)
                }
                guard case .refused(412, _) = result else { return result.writeResult }
                if attempt == 2 { break }
                guard let again = try await self.fetch(update.id, in: book) else {
                    return .failed(reason: "'\(update.id)' was deleted from the address book during the run")
                }
                fetched = again
            }
            return .failed(reason: "'\(update.id)' kept changing in the address book while accord wrote it (HTTP 412 twice)")
        }
    }

    private enum PutResult {
        case stored(ContactRecord)
        case refused(status: Int, reason: String)

        var writeResult: WriteResult {
            switch self {
            case .stored(let record): .written(record)
            case .refused(_, let reason): .failed(reason: reason)
            }
        }
    }

    /// PUTs a card. A 4xx about this card (invalid data, UID conflict, precondition) is the
    /// card's failure; credentials refused or a server failing stops the run.
    private func put(_ card: VCard, id: String, in book: AddressBook, condition: [String: String]) async throws -> PutResult {
        let request = HTTPRequest(
            "PUT", resourceURL(id, in: book), headers: condition.merging(["Content-Type": "text/vcard; charset=utf-8"]) { $1 },
            body: Data(card.serializedBytes()))
        let response = try await client.send(request)
        switch response.status {
        case 200...299:
            Failpoint.hit("carddav-put")
            // No ETag: the server stored something other than what was sent (RFC 6352 §6.3.2.3); read it back.
            guard let etag = response.header("ETag"), !etag.hasPrefix("W/") else {
                guard let stored = try await fetch(id, in: book) else {
                    throw AppFailure(DiagnosticCatalog.unexpectedResponse, app: client.app, request: request.summary, "the card vanished right after it was written")
                }
                return .stored(vcard.record(stored.card, id: id, version: stored.etag, packed: false))
            }
            return .stored(vcard.record(card, id: id, version: etag, packed: false))
        case 401, 407:
            throw client.failure(for: response, request: request)
        case 403 where !String(decoding: response.body, as: UTF8.self).contains("error"):
            throw client.failure(for: response, request: request)
        default:
            let failure = client.failure(for: response, request: request)
            return .refused(status: response.status, reason: failure.message + (failure.serverSaid.map { ": \($0)" } ?? ""))
        }
    }

    /// `items` mapped concurrently (the client's limiter bounds requests in flight); results in input order.
    private func inOrder<Item: Sendable>(
        _ items: [Item], _ body: @escaping @Sendable (Item) async throws -> WriteResult
    ) async throws -> [WriteResult] {
        try await withThrowingTaskGroup(of: (Int, WriteResult).self) { group in
            for (index, item) in items.enumerated() {
                group.addTask { (index, try await body(item)) }
            }
            var results = [WriteResult?](repeating: nil, count: items.count)
            for try await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
    }
}
