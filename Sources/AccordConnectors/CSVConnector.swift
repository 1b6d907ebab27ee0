import Foundation

/// The `csv` app: one CSV file, one contact per row, the header naming the columns, a `tags`
/// column (names separated by `;`) and an id column (`id` unless the `id_column` setting says
/// otherwise).
///
/// Which column holds which field: `CSVColumns`. How a row is identified, never by its position:
/// `CSVRowIdentity` (the id column, else the row's unique email, else its values); accord writes
/// those ids into the id column whenever it writes the file, and adds an id column when the file
/// has none and it creates a row (whose id, the correlation id, must be in the file) or changes a
/// row whose id it would change (one known by its values, or by an email it changes).
///
/// The file is written back as it was (`CSVTable`: delimiter, line ends, quoting, a byte order
/// mark, column order and header spelling, the bytes of rows accord does not change, a final line
/// end or not), in its encoding (`TextEncoding`). It is replaced whole, atomically, and only if it
/// is still the file accord read (`AtomicFile`): when another program wrote it meanwhile, accord
/// reads it again and re-applies the batch, a few times, then fails the batch's records with a
/// reason; a write that lands in the file accord has just replaced is re-applied the same way.
/// An update of a row edited since the listing is merged into it like `carddav` does (see
/// `WriteResult`).
///
/// A missing file, a file that is not text in its encoding, that cannot be parsed, or that is
/// larger than the limit (`max_file_mb`, default 128 MB), is an error: never an app without
/// contacts. A row with another number of cells than the header, or with an id another row has,
/// is an `UnreadableRecord`.
public struct CSVConnector: ContactConnector {
    /// What a connection can set for a `csv` app besides its path.
    public struct Settings: Sendable, Hashable {
        /// The header of the id column (`id_column`).
        public var idColumn = "id"
        /// Field name → header text of the column that holds it, for headers the matching rule
        /// (`CSVColumns`) does not find; `id` and `tags` name the id and tags columns.
        public var columns: [String: String] = [:]
        /// Custom fields the connection declares for the app: columns read and written like the
        /// schema's fields.
        public var customFields: [String] = []
        /// The fields of a file the connection's first run creates (`create`), after the id column
        /// and before `tags`.
        public var newFileFields: [String] = ["email", "first_name", "last_name"]
        /// The file's encoding (`encoding`); `nil` to tell it by its byte order mark, else UTF-8.
        public var encoding: TextEncoding?
        /// The delimiter (`delimiter`: `,`, `;`, `tab` or `|`); `nil` to take the header's
        /// (`CSVTable.detectDelimiter`).
        public var delimiter: Character?
        /// Whether the connection's first run may create the file, with a header row, when it
        /// does not exist (`create: true`).
        public var create = false
        /// The size above which the file is refused (`max_file_mb`).
        public var maxFileSize = Self.defaultMaxFileSize

        /// 128 MB: about a million contacts. The file is read whole, and a listing holds every
        /// row's values and record besides: a file of 126 MB (a million rows) took 1.5 GB to list.
        public static let defaultMaxFileSize = 128 << 20

        public init() {}

        /// The settings from a connection's `settings:` (`id_column`, `encoding`, `delimiter`,
        /// `create`, `max_file_mb`; others ignored), with the column map and the custom fields.
        /// - Parameter fields: the fields the plan reads or writes: the columns of a file the
        ///   first run creates.
        /// - Throws: `ConnectorError` naming a setting whose value is not valid.
        public init(_ settings: [String: String], columns: [String: String] = [:], customFields: [String] = [], fields: [String] = []) throws {
            idColumn = settings["id_column"] ?? "id"
            self.columns = columns
            self.customFields = customFields
            let newFields = fields.filter { $0 != "id" && $0 != "tags" }
            if !newFields.isEmpty { newFileFields = newFields }
            if let name = settings["encoding"] {
                guard let encoding = TextEncoding(setting: name) else {
                    throw ConnectorError(
                        "csv: the setting 'encoding' must be one of \(TextEncoding.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")), not '\(name)'")
                }
                self.encoding = encoding
            }
            if let text = settings["delimiter"] {
                switch text.lowercased() {
                case ",", "comma": delimiter = ","
                case ";", "semicolon": delimiter = ";"
                case "tab", "\t", "\\t": delimiter = "\t"
                case "|", "pipe": delimiter = "|"
                default: throw ConnectorError("csv: the setting 'delimiter' must be ',', ';', 'tab' or '|', not '\(text)'")
                }
            }
            let headers = Array(columns.values)
            if let twice = headers.first(where: { header in headers.filter { CSVColumns.key($0) == CSVColumns.key(header) }.count > 1 }) {
                throw ConnectorError("csv: the column map names the column '\(twice)' for two fields")
            }
            create = try LocalSettings.flag("create", in: settings, app: "csv") ?? false
            maxFileSize = try LocalSettings.megabytes("max_file_mb", in: settings, app: "csv") ?? Self.defaultMaxFileSize
        }
    }

    /// The fields of the `csv` schema (schemas/csv.yaml) and their labels, which headers are
    /// matched against besides their names (`CSVColumns`). A test holds the two equal.
    public static let schemaFields: [(name: String, label: String)] = [
        ("id", "ID"), ("email", "E-mail Address"), ("first_name", "Given Name"), ("last_name", "Family Name"),
        ("phone", "Phone Number"), ("company", "Company Name"), ("job_title", "Job Title"), ("address", "Address"),
        ("website", "Web Page"), ("notes", "Notes"),
    ]

    /// The file as configured.
    public let source: SourcePath
    public let settings: Settings
    public let batchSize: Int
    /// The file's path.
    public var path: String { source.path }
    public var idColumn: String { settings.idColumn }
    public let tagsColumn = "tags"
    /// One write of the file at a time.
    let writing = LockedValue(())

    /// Called right after each replacement of the file, before accord looks for writes another
    /// program made to the file replaced: for tests, to write at that moment.
    var afterReplacing: @Sendable () -> Void = {}

    /// How often a write is tried again when another program wrote the file meanwhile.
    static let writeAttempts = 4

    public init(path: SourcePath, settings: Settings = Settings(), batchSize: Int = 10_000) {
        self.source = path
        self.settings = settings
        self.batchSize = batchSize
    }

    /// A connector for the file at `path`, as given.
    public init(path: String, idColumn: String = "id", batchSize: Int = 10_000) {
        var settings = Settings()
        settings.idColumn = idColumn
        self.init(path: SourcePath(path), settings: settings, batchSize: batchSize)
    }

    var schema: CSVColumns.Schema {
        CSVColumns.Schema(
            fields: Self.schemaFields + settings.customFields.map { ($0, $0) }, columns: settings.columns, idColumn: settings.idColumn)
    }

    // MARK: - Reading

    /// The file, read and parsed; `nil` when it does not exist.
    private func document() throws -> (CSVFile, CSVDocument)? {
        guard let file = try CSVFile(source, limit: settings.maxFileSize) else { return nil }
        return (file, try document(of: file))
    }

    func document(of file: CSVFile) throws -> CSVDocument {
        let decoded: TextEncoding.Decoded
        do {
            decoded = try TextEncoding.decode(file.bytes, declared: settings.encoding)
        } catch {
            var message = "csv: \(source) cannot be read as \(settings.encoding?.rawValue ?? "UTF-8") text: line \(error.line): \(error.problem)"
            if settings.encoding == nil || settings.encoding == .utf8 {
                message += ". If it comes from Excel or Windows, set 'encoding: windows-1252' (or 'latin1'); accord does not read it with replacement characters"
            }
            throw ConnectorError(message)
        }
        do {
            return try CSVDocument(decoded, delimiter: settings.delimiter?.asciiValue, schema: schema)
        } catch {
            throw ConnectorError("csv: \(source) line \(error.line): \(error.problem)")
        }
    }

    public func list(since state: ListingState) async throws -> Listing {
        // The cursor is the file's version: when it did not change, nothing did.
        if let cursor = state.cursor, try fileIsUnchanged(since: cursor) {
            return Listing(changed: [], deleted: [], cursor: cursor)
        }
        guard let (file, document) = try document() ?? createdOnFirstRun(state) else {
            throw CSVFile.cannotOpen(source, ENOENT)
        }
        var changed: [ContactRecord] = []
        var present = Set<String>()
        var failures: [String: (lines: [Int], reason: String)] = [:]
        var unidentified: [Int] = []  // lines of rows that may be any record
        for (index, identity) in document.identities.enumerated() {
            guard let identity else { continue }
            present.insert(identity.id)
            if let problem = identity.problem {
                failures[identity.id, default: ([], problem)].lines.append(document.table.rows[index].line)
                // A malformed row's cells may be shifted: its id column holds its id only if the
                // state knows that id.
                if identity.source != .column || (document.table.rows[index].isWellFormed == false && state.known[identity.id] == nil) {
                    unidentified.append(document.table.rows[index].line)
                }
                continue
            }
            let record = document.record(at: index)
            if state.known[identity.id] != record.version { changed.append(record) }
        }
        var unreadable = failures.sorted { $0.value.lines[0] < $1.value.lines[0] }.map { id, failure in
            UnreadableRecord(
                id: id, location: path + ":" + failure.lines.map(String.init).joined(separator: ","),
                reason: "the row on line \(failure.lines[0]) \(failure.reason)")
        }
        let missing = state.known.keys.filter { !present.contains($0) }.sorted()
        var deleted = missing
        if !unidentified.isEmpty, !missing.isEmpty {
            // A row that could not be read nor identified may be one of them.
            deleted = []
            let lines = unidentified.map(String.init).joined(separator: ", ")
            unreadable += missing.map {
                UnreadableRecord(
                    id: $0, location: path,
                    reason: "is no longer in the file, but the rows on lines \(lines) could not be read and may be it: "
                        + "it is not taken as deleted while they cannot be read")
            }
        }
        return Listing(changed: changed, deleted: deleted, unreadable: unreadable, cursor: FileVersion.of(file.info))
    }

    /// On the connection's first run with `create: true`: a new file with a header row, read
    /// back; `nil` otherwise.
    private func createdOnFirstRun(_ state: ListingState) throws -> (CSVFile, CSVDocument)? {
        guard settings.create, state.isFirstRun else { return nil }
        let fields = [settings.idColumn] + settings.newFileFields.map { settings.columns[$0] ?? $0 } + [settings.columns["tags"] ?? tagsColumn]
        let delimiter = settings.delimiter.map(String.init) ?? ","
        let text = fields.map { $0.contains(where: { $0 == "\"" || String($0) == delimiter }) ? "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : $0 }
            .joined(separator: delimiter) + "\r\n"
        do {
            try AtomicFile.create(try (settings.encoding ?? .utf8).encode(Array(text.utf8), byteOrderMark: false), at: path)
        } catch let taken as AtomicFile.NameTaken {
            throw ConnectorError("csv: cannot create \(source)\(source.origin): \(taken)")
        }
        return try document()
    }

    /// Whether the file still has the version the last listing saw (one `stat`): accord's own
    /// writes after that listing move it too.
    /// - Throws: `ConnectorError` when the file is missing or not a file.
    public func isUnchanged(since cursor: String) async throws -> Bool {
        try fileIsUnchanged(since: cursor)
    }

    private func fileIsUnchanged(since cursor: String) throws -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { throw CSVFile.cannotOpen(source, errno) }
        if info.st_mode & S_IFMT == S_IFDIR { throw ConnectorError("csv: \(source)\(source.origin) is a folder, not a CSV file") }
        return FileVersion.of(info) == cursor
    }

    /// A created row's id is its correlation id, in the id column.
    public func recordID(forCorrelation correlationID: String) -> String? { correlationID }
}
