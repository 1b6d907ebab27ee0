/// Puts a `vcard-dir` listing together from the cards found unchanged and the ones read: which
/// records changed, which known ones are gone, and which files could not be taken as a record.
///
/// A record's id is its card's UID, which must be unique in the folder: two files with one UID
/// are both unreadable (vdirsyncer's IdentConflict), the record left as the state remembers it.
/// A file that could not be read is reported under the id the state knew for its name, or the
/// UID made out of its bytes when the state knows that one, else its file name. A known card
/// missing from the folder is deleted only when every file could be identified: while a file
/// whose UID could not be made out is there, it may be that card, renamed and then damaged, so
/// the card is reported unreadable instead of deleted.
struct CardListing {
    /// The folder, for the locations of unreadable records.
    var directory: String
    /// Record id → version, as the state remembers them.
    var known: [String: String]

    /// A file that could not be taken as a record.
    struct Failure: Sendable {
        var name: String
        var reason: String
        /// The UID made out of its bytes, if any.
        var uid: String?
    }

    /// The listing, and the version of every record read, by id (a version holds the record's
    /// file name).
    /// - Parameters:
    ///   - unmatched: version → id of each known record whose version no file has now; the
    ///     others are unchanged.
    ///   - read: the records of the files read, in name order; a file that gave none (see
    ///     `failures`, or gone since the folder was listed) holds a record with an empty id.
    ///   - failures: the files read that could not be taken as a record.
    func assemble(unmatched: [String: String], read: consuming [ContactRecord], failures: [Failure]) -> (Listing, versions: [String: String]) {
        var versions = [String: String](minimumCapacity: read.count)
        var duplicates: [String: [String]] = [:]  // id → the version of every file that holds it
        var records = read
        var placeholders = false
        for record in records {
            guard !record.id.isEmpty else {
                placeholders = true
                continue
            }
            if let first = versions.updateValue(record.version!, forKey: record.id) {
                if duplicates[record.id] == nil { duplicates[record.id] = [first] }
                duplicates[record.id]!.append(record.version!)
            } else if let version = known[record.id], unmatched[version] == nil {
                // A file still has the version the state knows for this id: a second file holds it.
                duplicates[record.id, default: [version]].append(record.version!)
            }
        }
        if placeholders { records.removeAll { $0.id.isEmpty } }
        var failures = failures
        if !duplicates.isEmpty {
            records.removeAll { duplicates[$0.id] != nil }
            for (id, duplicated) in duplicates {
                versions[id] = nil
                let names = duplicated.map { CardVersion.name(of: $0) ?? "?" }
                for name in names {
                    let others = names.filter { $0 != name }.map { "'\($0)'" }.joined(separator: ", ")
                    failures.append(Failure(
                        name: name, reason: "has the UID '\(id)', as does \(others): a UID must be unique in the folder; give each card its own UID, or remove the copy",
                        uid: id))
                }
            }
        }
        var unreadable: [UnreadableRecord] = []
        var unreadableIDs = Set<String>()
        var accounted = Set<String>()  // known ids a failed file holds or may hold: not deleted
        var unidentified: [String] = []  // files that may hold any card
        if !failures.isEmpty {
            let knownByName = knownIDsByName()
            for failure in failures.sorted(by: { $0.name < $1.name }) {
                var preferred = knownByName[failure.name]
                if let uid = failure.uid {
                    accounted.insert(uid)
                    if preferred == nil, known[uid] != nil { preferred = uid }
                }
                if let preferred { accounted.insert(preferred) }
                if preferred == nil, failure.uid == nil { unidentified.append(failure.name) }
                // An id a record or another failure has already taken goes by the file name.
                var id = preferred ?? failure.name
                if versions[id] != nil || unreadableIDs.contains(id) { id = failure.name }
                unreadableIDs.insert(id)
                unreadable.append(UnreadableRecord(id: id, location: directory + "/" + failure.name, reason: failure.reason))
            }
        }
        var missing: [String] = []
        for id in unmatched.values where versions[id] == nil && !accounted.contains(id) && !unreadableIDs.contains(id) { missing.append(id) }
        // A card the state knew by its file name (before records went by their UIDs: a version
        // without a name) read now from that file is the same record under its UID.
        var reidentified: [String: String] = [:]
        if missing.contains(where: { known[$0].flatMap(CardVersion.name(of:)) == nil }) {
            var idByName: [String: String] = [:]
            for (id, version) in versions where known[id] == nil {
                if let name = CardVersion.name(of: version) { idByName[name] = id }
            }
            for id in missing where known[id].flatMap(CardVersion.name(of:)) == nil {
                if let uid = idByName[id] { reidentified[id] = uid }
            }
            missing.removeAll { reidentified[$0] != nil }
        }
        missing.sort()
        var deleted: [String] = []
        if unidentified.isEmpty {
            deleted = missing
        } else {
            let suspects = unidentified.map { "'\($0)'" }.joined(separator: ", ")
            for id in missing {
                let name = known[id].flatMap(CardVersion.name(of:)) ?? id
                unreadable.append(UnreadableRecord(
                    id: id, location: directory + "/" + name,
                    reason: "is no longer in the folder, but \(suspects) could not be read and may be this card: "
                        + "it is not taken as deleted while \(unidentified.count == 1 ? "that file" : "those files") cannot be read"))
            }
        }
        return (Listing(changed: records, deleted: deleted, unreadable: unreadable, cursor: nil, reidentified: reidentified), versions)
    }

    /// The id the state knows for each file name (versions hold the name).
    private func knownIDsByName() -> [String: String] {
        var byName: [String: String] = [:]
        for (id, version) in known {
            if let name = CardVersion.name(of: version) { byName[name] = id }
        }
        return byName
    }
}
