import AccordDiagnostics
import Foundation
import Synchronization

/// The `carddav` app: an address book on a CardDAV server (RFC 6352): iCloud, Fastmail,
/// Nextcloud, mailbox.org, Radicale. The record id is the resource's path, the version its ETag.
///
/// The address book is the one the connection names, or the one an earlier run found from the
/// server or account URL (the cursor says where): never another in its place (see
/// `CardDAVDiscovery`). Listing uses `sync-collection` (RFC 6578) with the cursor's sync token
/// when the server has it, otherwise a PROPFIND of ETags; a run that finds the address book's
/// ctag as the last listing left it asks nothing more (one request in all).
///
/// A server's ctag and sync token may name content rather than a moment (Radicale's ctag,
/// Xandikos's ctag and token are hashes of what the address book holds), so once the cards
/// accord wrote are deleted or reverted on the server, both are as they were before accord
/// wrote, and claim nothing changed. After a run that wrote, the cursor therefore keeps no ctag,
/// and names the cards written: the next run asks the sync report from the token before the
/// writes, which normally lists each of them, and asks the ETags of those it does not list (one
/// multiget, only when some were undone). After more writes than a cursor keeps ids of, the next
/// run lists every member's ETag instead.
///
/// Changed cards are fetched with `addressbook-multiget`, a batch per request; a card that
/// cannot be read is reported unreadable and the rest is listed. Creates are `PUT` with
/// `If-None-Match: *`; updates `PUT` with `If-Match`, and an edit made on the server since the
/// listing (an ETag that moved, or a 412) is re-fetched and re-merged once: fields accord did not
/// change are kept (and the record comes back without a version, so the next run syncs them),
/// a field edited on both sides is left for the next run to merge.
///
/// Every failure it throws or returns, and every reason it gives, has the client's secrets
/// redacted in whatever form the server echoed them.
public final class CardDAVConnector: ContactConnector {
    public let batchSize: Int
    public let client: HTTPClient
    /// How cards map to fields, custom fields included.
    public let vcard: VCardFields
    private let discovery: CardDAVDiscovery
    /// The address book once discovered, and whether its ctag is still current: it is until
    /// this connector lists or writes, as nothing it writes came before.
    private let found = Mutex<(book: AddressBook, ctagIsCurrent: Bool)?>(nil)
    /// The cards this connector has sent a write for (a PUT, answered or not).
    private let written = Mutex<Set<String>>([])
    /// How many written cards a cursor names at most; after more, the next run lists every ETag.
    let writtenIDsKept: Int
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
        url: URL, addressBook: String?, client: HTTPClient, batchSize: Int, fields: VCardFields = VCardFields(), writtenIDsKept: Int = 1_000,
        beforeUpdatePut: (@Sendable (String) async throws -> Void)?
    ) {
        self.batchSize = batchSize
        self.writtenIDsKept = writtenIDsKept
        self.client = client
        self.vcard = fields
        self.discovery = CardDAVDiscovery(client: client, serverURL: url, name: addressBook)
        self.beforeUpdatePut = beforeUpdatePut
    }

    /// The address book, discovered once per connector.
    func addressBook() async throws -> AddressBook { try await discover(remembered: nil) }

    /// The address book: where `remembered` (a cursor of this connection) says it was, else
    /// found from the connection's URL.
    private func discover(remembered cursor: ListingCursor?) async throws -> AddressBook {
        if let book = found.withLock({ $0?.book }) { return book }
        let book = try await discovery.find(remembered: cursor?.addressBook.flatMap { URL(string: $0) })
        found.withLock { $0 = (book, true) }
        return book
    }

    /// The cursor if it was left by a listing of the address book this connection names now (an
    /// earlier URL or name led elsewhere: then it says nothing about this one).
    private func applicable(_ text: String?) -> ListingCursor? {
        guard let text else { return nil }
        let cursor = ListingCursor(text: text)
        // Cursors from before they named the connection's URL are taken as this connection's.
        guard let url = cursor.url else { return cursor }
        guard let from = URL(string: url), CardDAVDiscovery.samePlace(from, discovery.serverURL), cursor.name == discovery.name else { return nil }
        return cursor
    }

    /// Whether `cursor` was left by a listing of `book` (a bare sync token says nothing else).
    private func describes(_ cursor: ListingCursor?, _ book: AddressBook) -> Bool {
        guard let cursor else { return false }
        return cursor.addressBook.flatMap { URL(string: $0) }.map { CardDAVDiscovery.samePlace($0, book.url) } ?? true
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
    /// false without a ctag on either side, or when the cursor is not this address book's.
    public func isUnchanged(since cursor: String) async throws -> Bool {
        try await redactingFailures {
            guard let cursor = applicable(cursor), let last = cursor.ctag else { return false }
            let book = try await discover(remembered: cursor)
            return describes(cursor, book) && currentCtag(consume: false) == last
        }
    }

    /// The cards changed since `state`'s cursor (all of them without one), the known ones gone
    /// (from a complete listing, or as the sync report says), and those that cannot be read.
    public func list(since state: ListingState) async throws -> Listing {
        try await redactingFailures {
            let remembered = applicable(state.cursor)
            // A full listing is still of the address book the last run found (never another).
            let book = try await discover(remembered: remembered ?? applicable(state.lastCursor))
            let ctag = currentCtag(consume: true)
            // A cursor of another collection (the connection named another one before) is no
            // help: its token would be refused, or worse, mean something there.
            let cursor = describes(remembered, book) ? remembered : nil
            var next = ListingCursor(
                syncToken: nil, ctag: ctag, addressBook: book.url.absoluteString, url: discovery.serverURL.absoluteString, name: discovery.name)
            // Cards found unreadable before, at the ETag they had: until they change or go, they
            // are unreadable still, and every listing says so (a sync report would not mention
            // them again, and the state holds nothing read from them).
            var unreadable = cursor?.unreadable ?? [:]
            func listing(_ changed: [ContactRecord], deleted: [String]) -> Listing {
                next.unreadable = unreadable.isEmpty ? nil : unreadable
                let records = unreadable.sorted { $0.key < $1.key }.map { id, card in
                    UnreadableRecord(id: id, location: HTTPRequest.display(resourceURL(id, in: book)), reason: client.redacted(card.reason))
                }
                return Listing(changed: changed, deleted: deleted, unreadable: records, cursor: next.text)
            }
            if let ctag, let cursor, cursor.ctag == ctag {
                // Nothing in the address book changed since the last run: no report needed.
                next.syncToken = cursor.syncToken
                return listing([], deleted: [])
            }
            var members: Members
            if book.supportsSyncCollection, let synced = try await syncCollection(book, token: cursor?.syncToken) {
                members = synced
            } else {
                members = try await propfindMembers(book)
            }
            if !members.complete, let written = cursor?.written {
                // Cards the last run wrote that the report does not mention: undone since (the
                // server's token is back to before the writes), or the report would list them.
                let unmentioned = Set(written).subtracting(members.etags.keys).subtracting(members.deleted)
                for (id, etag) in try await currentETags(unmentioned.sorted(), in: book) {
                    if let etag { members.etags[id] = etag } else { members.deleted.insert(id) }
                }
            }
            for (id, card) in unreadable where members.deleted.contains(id) || (members.etags[id].map { $0 != card.etag } ?? members.complete) {
                unreadable[id] = nil
            }
            let changedIDs = members.etags.filter { state.known[$0.key] != $0.value && unreadable[$0.key]?.etag != $0.value }.keys.sorted()
            if members.complete {
                members.deleted = Set(state.known.keys).subtracting(members.etags.keys)
            }
            let fetched = try await multiget(changedIDs, in: book)
            var records: [ContactRecord] = []
            records.reserveCapacity(fetched.cards.count)
            for id in changedIDs {
                // Neither a card nor unreadable: gone between the listing and the fetch, which the next listing reports.
                if let card = fetched.cards[id] { records.append(self.vcard.record(card.card, id: id, version: card.etag)) }
            }
            unreadable.merge(fetched.unreadable) { $1 }
            // The ctag was read before the report, so it proves nothing changed since the report
            // (a change in between moves it away from the one remembered: the next run asks).
            next.syncToken = members.token
            return listing(records, deleted: members.deleted.filter { state.known[$0] != nil }.sorted())
        }
    }

    /// After a run in which this connector wrote, the listing's cursor without its ctag, which
    /// may come back to what it was before the writes once the server's content does (the cards
    /// accord uploaded deleted, an edit reverted), and would then claim nothing changed; with the
    /// ids of the cards written, which the next run checks when its sync report leaves them out
    /// (a token may come back too). After more writes than `writtenIDsKept`, without the token
    /// either: the next run lists every member's ETag. After a run that wrote nothing, the
    /// cursor as listed.
    public func cursorAfterWrites(listed cursor: String?) -> String? {
        let written = written.withLock { $0 }
        guard !written.isEmpty else { return cursor }
        var after: ListingCursor
        if let cursor {
            after = ListingCursor(text: cursor)
        } else if let book = found.withLock({ $0?.book }) {
            after = ListingCursor(syncToken: nil, ctag: nil, addressBook: book.url.absoluteString, url: discovery.serverURL.absoluteString, name: discovery.name)
        } else {
            return nil
        }
        after.ctag = nil
        if after.syncToken != nil, written.count <= writtenIDsKept {
            after.written = written.sorted()
        } else {
            after.syncToken = nil
            after.written = nil
        }
        return after.text
    }

    /// The cursor a listing leaves: the sync token, the ctag seen before the report, where the
    /// address book was, and the connection's URL and address book name it was found from;
    /// stored as JSON.
    struct ListingCursor: Codable {
        var syncToken: String?
        var ctag: String?
        var addressBook: String?
        var url: String?
        var name: String?
        /// Cards the listing could not read, by id.
        var unreadable: [String: UnreadableCard]?
        /// Cards written after the listing (see `cursorAfterWrites`).
        var written: [String]?

        init(syncToken: String?, ctag: String?, addressBook: String?, url: String? = nil, name: String? = nil) {
            self.syncToken = syncToken
            self.ctag = ctag
            self.addressBook = addressBook
            self.url = url
            self.name = name
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

    /// What multigets found: cards by id, and those that could not be read.
    private struct Fetched {
        var cards: [String: FetchedCard] = [:]
        var unreadable: [String: UnreadableCard] = [:]
    }

    /// A card the server holds but accord cannot read: its ETag then, and why.
    struct UnreadableCard: Error, Codable, Hashable {
        var etag: String
        var reason: String
    }

    /// - Parameter cards: whether to ask for the cards, or only their ETags.
    private static func multigetBody(_ ids: some Sequence<String>, cards: Bool = true) -> String {
        var body = #"<?xml version="1.0" encoding="utf-8"?><C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/>"#
            + (cards ? "<C:address-data/>" : "") + "</D:prop>"
        for id in ids { body += "<D:href>\(id.xmlEscaped)</D:href>" }
        return body + "</C:addressbook-multiget>"
    }

    /// The cards of `ids`, a batch per request, batches at once within the app's limits. Ids
    /// that are gone are missing from the result; cards that cannot be read are `unreadable`.
    private func multiget(_ ids: [String], in book: AddressBook) async throws -> Fetched {
        guard !ids.isEmpty else { return Fetched() }
        let batches = stride(from: 0, to: ids.count, by: batchSize).map { Array(ids[$0..<min($0 + batchSize, ids.count)]) }
        return try await withThrowingTaskGroup(of: Fetched.self) { group in
            for batch in batches {
                group.addTask { try await self.multigetBatch(batch, in: book) }
            }
            var fetched = Fetched()
            for try await part in group {
                fetched.cards.merge(part.cards) { $1 }
                fetched.unreadable.merge(part.unreadable) { $1 }
            }
            return fetched
        }
    }

    private func multigetBatch(_ ids: [String], in book: AddressBook) async throws -> Fetched {
        // Depth 1, as RFC 6352's examples and every server tried take it: §8.7's text asks for 0,
        // which erratum 4610 reports as the mistake.
        let request = HTTPRequest.webDAV("REPORT", book.url, depth: 1, body: Self.multigetBody(ids))
        let status = try await client.multistatus(request)
        var fetched = Fetched()
        for item in status.responses {
            // A member with a status of its own (404) is gone; one without an ETag was not found either.
            guard let id = memberID(item.href, in: book), item.status.map({ (200..<300).contains($0) }) ?? true,
                  let etag = item[.dav("getetag")]?.text, !etag.isEmpty
            else { continue }
            guard let data = item[.cardDAV("address-data")]?.text else {
                fetched.unreadable[id] = UnreadableCard(etag: etag, reason: "the server sent no vCard data for it")
                continue
            }
            do {
                fetched.cards[id] = FetchedCard(card: try VCard.parse(data), etag: etag)
            } catch {
                fetched.unreadable[id] = UnreadableCard(etag: etag, reason: "not a valid vCard: \(error)")
            }
        }
        return fetched
    }

    /// The current ETag of each of `ids` (nil for one that is gone), a batch per request.
    private func currentETags(_ ids: [String], in book: AddressBook) async throws -> [String: String?] {
        var etags: [String: String?] = [:]
        for start in stride(from: 0, to: ids.count, by: batchSize) {
            let batch = ids[start..<min(start + batchSize, ids.count)]
            let status = try await client.multistatus(.webDAV("REPORT", book.url, depth: 1, body: Self.multigetBody(batch, cards: false)))
            for item in status.responses {
                guard let id = memberID(item.href, in: book), batch.contains(id) else { continue }
                if let code = item.status, [404, 410].contains(code) {
                    etags[id] = .some(nil)
                } else if let etag = item[.dav("getetag")]?.text, !etag.isEmpty {
                    etags[id] = etag
                }
                // Neither: the server did not say; the card stays as the state knows it.
            }
        }
        return etags
    }

    /// One card by GET, with its current ETag; nil when it is gone. Throws `UnreadableCard`
    /// when the server's copy cannot be read.
    private func fetch(_ id: String, in book: AddressBook) async throws -> FetchedCard? {
        let request = HTTPRequest("GET", resourceURL(id, in: book), headers: ["Accept": "text/vcard"])
        let response = try await client.send(request)
        if response.status == 404 || response.status == 410 { return nil }
        guard response.status == 200, let etag = response.header("ETag") else { throw client.failure(for: response, request: request) }
        do {
            return FetchedCard(card: try VCard.parse(response.body), etag: etag)
        } catch {
            throw UnreadableCard(etag: etag, reason: "not a valid vCard: \(error)")
        }
    }

    // MARK: - Writing

    /// A created card is stored as `UID.vcf` in the address book, its UID the correlation id.
    public func recordID(forCorrelation correlationID: String) -> String? {
        found.withLock { $0 }.map { $0.book.url.path(percentEncoded: true) + correlationID + ".vcf" }
    }

    public func create(_ contacts: [NewContact]) async throws -> [WriteResult] {
        try await redactingFailures {
            let book = try await addressBookForWriting()
            return try await inOrder(contacts) { contact in
                let uid = contact.correlationID
                let card = self.vcard.newCard(uid: uid, fields: contact.fields, tags: contact.segments[VCardFields.tagSegment] ?? [])
                let id = book.url.path(percentEncoded: true) + uid + ".vcf"
                let result = try await self.put(card, id: id, in: book, condition: ["If-None-Match": "*"])
                // A card there that cannot be read is not recognisably ours: the 412 stands.
                if case .refused(let status, _) = result, status == 412, let existing = try? await self.fetch(id, in: book),
                   existing.card.properties.first(where: { $0.name == "UID" })?.value == uid {
                    // An earlier attempt of this very PUT went through (its answer was lost): it is ours.
                    return .written(self.vcard.record(existing.card, id: id, version: existing.etag, packed: false))
                }
                return result.writeResult
            }
        }
    }

    public func update(_ updates: [ContactUpdate]) async throws -> [WriteResult] {
        try await redactingFailures { try await updateCards(updates) }
    }

    private func updateCards(_ updates: [ContactUpdate]) async throws -> [WriteResult] {
        let book = try await addressBookForWriting()
        let current = try await multiget(updates.map(\.id), in: book)
        return try await inOrder(updates) { update in
            if let card = current.unreadable[update.id] { return .failed(reason: "'\(update.id)' cannot be read: \(card.reason)") }
            guard var fetched = current.cards[update.id] else { return .failed(reason: "'\(update.id)' no longer exists in the address book") }
            for attempt in 1...2 {
                // Edited on the server since accord listed it: merge again, keeping what accord
                // does not change, and return the record without a version (see `WriteResult`).
                let editedSince = update.wasEdited(now: fetched.etag)
                if editedSince, let field = update.conflictingField(in: self.vcard.fields(of: fetched.card)) {
                    return .changedDuringRun(reason: "'\(field)' was edited in the address book during the run; the next run merges it")
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
                let again: FetchedCard?
                do {
                    again = try await self.fetch(update.id, in: book)
                } catch let unreadable as UnreadableCard {
                    return .changedDuringRun(reason: "'\(update.id)' was edited in the address book during the run and cannot be read now: \(unreadable.reason)")
                }
                guard let again else { return .changedDuringRun(reason: "'\(update.id)' was deleted from the address book during the run") }
                fetched = again
            }
            return .changedDuringRun(reason: "'\(update.id)' kept changing in the address book while accord wrote it (HTTP 412 twice)")
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
        // Before it is sent: a PUT whose answer is lost may have been carried out all the same.
        written.withLock { _ = $0.insert(id) }
        let response = try await client.send(request)
        switch response.status {
        case 200...299:
            Failpoint.hit("carddav-put")
            // No ETag: the server stored something other than what was sent (RFC 6352 §6.3.2.3); read it back.
            guard let etag = response.header("ETag"), !etag.hasPrefix("W/") else {
                let stored: FetchedCard?
                do {
                    stored = try await fetch(id, in: book)
                } catch let unreadable as UnreadableCard {
                    return .refused(status: response.status, reason: "'\(id)' was written, but the server's copy cannot be read: \(unreadable.reason)")
                }
                guard let stored else {
                    throw AppFailure(DiagnosticCatalog.unexpectedResponse, app: client.app, request: request.summary, "the card vanished right after it was written")
                }
                return .stored(self.vcard.record(stored.card, id: id, version: stored.etag, packed: false))
            }
            return .stored(self.vcard.record(card, id: id, version: etag, packed: false))
        case 401, 407:
            throw client.failure(for: response, request: request)
        case 403 where !String(decoding: response.body, as: UTF8.self).contains("error"):
            throw client.failure(for: response, request: request)
        default:
            let failure = client.failure(for: response, request: request)
            return .refused(status: response.status, reason: failure.message + (failure.serverSaid.map { ": \($0)" } ?? ""))
        }
    }

    /// Runs `body` with the client's secrets redacted from whatever it throws (the server's
    /// words may have been quoted into any message on the way) and from the reasons of the
    /// records and writes it returns.
    private func redactingFailures<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let failure as AppFailure {
            throw client.redacted(failure)
        } catch let error as ConnectorError {
            throw ConnectorError(client.redacted(error.description))
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
            return results.map { result in
                switch result! {
                case .written(let record): .written(record)
                case .failed(let reason): .failed(reason: self.client.redacted(reason))
                case .changedDuringRun(let reason): .changedDuringRun(reason: self.client.redacted(reason))
                }
            }
        }
    }
}
