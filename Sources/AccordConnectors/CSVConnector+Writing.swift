import Foundation

/// Creates and updates of the `csv` app: each batch is one replacement of the file.
extension CSVConnector {
    public func create(_ contacts: [NewContact]) async throws -> [WriteResult] {
        try modify(count: contacts.count) { document in
            document.ensureIDColumn()
            let existing = document.rows(of: Set(contacts.map(\.correlationID)))
            return contacts.map { contact in
                // Already there: this batch, written once before another program's write made
                // accord apply it again.
                if let row = existing[contact.correlationID] { return .written(row: row, editedSince: false) }
                let tags = contact.segments["tag"] ?? []
                let cells = CSVDocument.cells(contact.fields, tags: tags.isEmpty ? nil : tags)
                if let problem = document.unencodable(cells) { return .failed(reason: problem) }
                return .written(row: document.addRow(id: contact.correlationID, cells: cells), editedSince: false)
            }
        }
    }

    public func update(_ updates: [ContactUpdate]) async throws -> [WriteResult] {
        try modify(count: updates.count) { document in
            let rows = document.rows(of: Set(updates.map(\.id)))
            // First what each update would write, so that an id column a row needs is added
            // before any row is written.
            var planned: [(row: Int, cells: [(field: String, value: String)], editedSince: Bool)?] = []
            var results: [RowChange] = []
            var needsIDColumn = false
            for update in updates {
                guard let index = rows[update.id] else {
                    planned.append(nil)
                    results.append(.changedDuringRun(reason: "the row of '\(update.id)' is no longer in \(source); the next run lists the file again"))
                    continue
                }
                let current = document.record(at: index)
                // Edited since accord listed it: a field this update sets is left for the next run
                // to merge; an edit of other fields is kept, and the row comes back without a version.
                let editedSince = update.wasEdited(now: current.version)
                if editedSince, let field = update.conflictingField(in: current.fields) {
                    planned.append(nil)
                    results.append(.changedDuringRun(reason: "'\(field)' was edited in the row of '\(update.id)' during the run; the next run merges it"))
                    continue
                }
                var tags: Set<String>?
                if update.addSegments.values.contains(where: { !$0.isEmpty }) || update.removeSegments.values.contains(where: { !$0.isEmpty }) {
                    var segments = current.segments["tag"] ?? []
                    segments.formUnion(update.addSegments["tag"] ?? [])
                    segments.subtract(update.removeSegments["tag"] ?? [])
                    tags = segments
                }
                let cells = CSVDocument.cells(update.fields, tags: tags)
                if let problem = document.unencodable(cells) {
                    planned.append(nil)
                    results.append(.failed(reason: problem))
                    continue
                }
                // A row known by its values, or by an email this changes, would change its id.
                switch document.identities[index]!.source {
                case .content: needsIDColumn = true
                case .email: if cells.contains(where: { $0.field == "email" }) { needsIDColumn = true }
                case .column: break
                }
                planned.append((index, cells, editedSince))
                results.append(.written(row: index, editedSince: editedSince))
            }
            if needsIDColumn { document.ensureIDColumn() }
            for plan in planned {
                if let plan { document.set(plan.cells, inRow: plan.row) }
            }
            return results
        }
    }

    /// What `modify`'s change did to one row (an index into the table's rows).
    enum RowChange {
        case written(row: Int, editedSince: Bool)
        case failed(reason: String)
        case changedDuringRun(reason: String)
    }

    /// Reads the file, changes it, fills in ids, and replaces it atomically once, checking right
    /// before that it is still the file read; returns each written record (without a version when
    /// it was edited since the update's listing).
    ///
    /// When another program changed the file before accord replaced it, the change is made again
    /// on the file as it is now. When another program wrote into the file accord had just
    /// replaced (it had the file open), what it appended is added to the new file, and a file it
    /// rewrote gets the change made again. After `writeAttempts`, the batch's records fail with
    /// the reason (the next run tries again), and what the other program wrote that could not be
    /// carried over is saved beside the file, never dropped.
    private func modify(count: Int, _ change: (inout CSVDocument) -> [RowChange]) throws -> [WriteResult] {
        try writing.withLock { _ in
            // A link is written through: the file it leads to is replaced, the link stays.
            let target = realpath(path, nil).map { pointer in
                defer { free(pointer) }
                return String(cString: pointer)
            } ?? path
            AtomicFile.removeLeftovers(nextTo: target)
            var file = try openForWriting()
            var expected = file.identity
            for _ in 0..<Self.writeAttempts {
                var document = try self.document(of: file)
                let changes = change(&document)
                document.fillInIDs()
                let written: stat
                do {
                    written = try AtomicFile.write(try document.encoded(), to: target, replacing: expected)
                } catch is AtomicFile.TargetChanged {
                    file = try openForWriting()
                    expected = file.identity
                    continue
                }
                afterReplacing()
                switch try lateWrite(into: file) {
                case .none:
                    return results(of: changes, in: document)
                case .appended(let tail):
                    if try carryOver(tail, into: target) { return results(of: changes, in: document) }
                    return try saved(tail, beside: target, count: count)
                case .rewritten:
                    // `file` holds what the other program wrote: the change is made on it, over accord's file.
                    expected = FileIdentity(written)
                }
            }
            if expected != file.identity { return try saved(file.bytes, beside: target, count: count) }
            let reason = "\(source) kept changing while accord wrote it (another program is writing it); the next run tries again"
            return Array(repeating: .changedDuringRun(reason: reason), count: count)
        }
    }

    private func openForWriting() throws -> CSVFile {
        guard let file = try CSVFile(source, limit: settings.maxFileSize) else { throw CSVFile.cannotOpen(source, ENOENT) }
        return file
    }

    /// What another program wrote into a file after accord read it, found once accord has
    /// replaced it (the program had it open).
    private enum LateWrite {
        case none
        /// Bytes added at its end: rows to carry over into the new file.
        case appended([UInt8])
        /// Anything else; `file` now holds it.
        case rewritten
    }

    /// Whether `file` was written since accord read it. A program that opened the file before
    /// accord's rename may write a moment after it, so the file is looked at again after a
    /// millisecond.
    private func lateWrite(into file: CSVFile) throws -> LateWrite {
        if file.isUnchangedSinceRead {
            usleep(1000)
            if file.isUnchangedSinceRead { return .none }
        }
        let read = file.bytes
        try file.reread(source, limit: settings.maxFileSize)
        if file.bytes.count > read.count, file.bytes.starts(with: read) { return .appended(Array(file.bytes[read.count...])) }
        return .rewritten
    }

    /// Adds `tail` (rows another program appended to the file accord replaced) at the end of the
    /// file now at `target`, and what it gets appended meanwhile too; false when it cannot.
    private func carryOver(_ tail: [UInt8], into target: String) throws -> Bool {
        var tail = tail
        for _ in 0..<Self.writeAttempts {
            let current = try openForWriting()
            do {
                try AtomicFile.write(current.bytes + tail, to: target, replacing: current.identity)
            } catch is AtomicFile.TargetChanged {
                continue
            }
            switch try lateWrite(into: current) {
            case .none: return true
            case .appended(let more): tail = more
            case .rewritten: return false
            }
        }
        return false
    }

    /// Saves what another program wrote, which accord could not put back into the file, beside
    /// it, and fails the batch naming where it is.
    private func saved(_ bytes: [UInt8], beside target: String, count: Int) throws -> [WriteResult] {
        let path = "\(target).accord-saved-\(Int(Date().timeIntervalSince1970))-\(getpid())"
        try AtomicFile.write(bytes, to: path)
        let reason = "another program wrote \(source) while accord replaced it, and what it wrote could not be put back: "
            + "it is saved in '\(path)'; the next run tries the batch again"
        return Array(repeating: .changedDuringRun(reason: reason), count: count)
    }

    /// The records of the rows written, as the file now holds them.
    private func results(of changes: [RowChange], in document: CSVDocument) -> [WriteResult] {
        changes.map { change in
            switch change {
            case .failed(let reason):
                return .failed(reason: reason)
            case .changedDuringRun(let reason):
                return .changedDuringRun(reason: reason)
            case .written(let index, let editedSince):
                var record = document.record(at: index)
                if editedSince { record.version = nil }
                return .written(record)
            }
        }
    }
}
