import GRDB

extension StateStore {
    /// Migrations are never edited once released; new ones are appended.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "connection") { t in
                t.primaryKey("name", .text)
                t.column("fingerprint", .text)
                t.column("paused", .boolean).notNull().defaults(to: false)
                t.column("retry_requested", .boolean).notNull().defaults(to: false)
            }
            try db.create(table: "link") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("connection", .text).notNull().indexed()
                t.column("a_id", .text).notNull()
                t.column("b_id", .text).notNull()
                t.column("created_at", .datetime).notNull()
                t.uniqueKey(["connection", "a_id"])
                t.uniqueKey(["connection", "b_id"])
            }
            // The last-synced snapshot of every record seen on each side: mapped field values
            // (JSON), segments, the email used for matching and the app's version token.
            try db.create(table: "record") { t in
                t.column("connection", .text).notNull()
                t.column("side", .text).notNull()
                t.column("id", .text).notNull()
                t.column("email", .text)
                t.column("version", .text)
                t.column("fields", .text).notNull()
                t.column("deleted", .boolean).notNull().defaults(to: false)
                t.primaryKey(["connection", "side", "id"])
            }
            try db.create(index: "record_email", on: "record", columns: ["connection", "side", "email"])
            try db.create(table: "cursor") { t in
                t.column("connection", .text).notNull()
                t.column("side", .text).notNull()
                t.column("value", .text).notNull()
                t.primaryKey(["connection", "side"])
            }
            try db.create(table: "run") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("connection", .text).notNull().indexed()
                t.column("started_at", .datetime).notNull()
                t.column("finished_at", .datetime)
                t.column("status", .text).notNull()
                t.column("full_scan", .boolean).notNull()
                t.column("dry_run", .boolean).notNull().defaults(to: false)
                t.column("counts", .text).notNull().defaults(to: "{}")
                t.column("error", .text)
            }
            try db.create(table: "health") { t in
                t.column("connection", .text).notNull()
                t.column("side", .text).notNull()
                t.column("record_id", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("reason", .text).notNull()
                t.column("detail", .text)
                t.column("email", .text)
                t.column("updated_at", .datetime).notNull()
                t.primaryKey(["connection", "side", "record_id", "kind"])
            }
            try db.create(table: "intent") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("connection", .text).notNull().indexed()
                t.column("way", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("source_id", .text).notNull()
                t.column("email", .text)
                t.column("created_at", .datetime).notNull()
            }
            try db.create(table: "lock") { t in
                t.primaryKey("connection", .text)
                t.column("pid", .integer).notNull()
                t.column("host", .text).notNull()
                t.column("since", .datetime).notNull()
            }
        }
        // The rules a record matched move from its fields JSON (key `@rules:<way>`) to a column of
        // their own, so a run can load every record without decoding its fields.
        migrator.registerMigration("v2") { db in
            try db.alter(table: "record") { t in t.add(column: "rules", .text) }
            let key = "'$.\"@rules:' || CASE side WHEN 'a' THEN 'a-to-b' ELSE 'b-to-a' END || '\"'"
            try db.execute(sql: """
                UPDATE record
                SET rules = replace(replace(replace(json_extract(fields, \(key)), '[', ''), ']', ''), '"', ''),
                    fields = json_remove(fields, \(key))
                WHERE json_type(fields, \(key)) = 'array'
                """)
        }
        // Every run writes a row per record it syncs: the table is clustered on its primary key
        // (no rowid table beside the key's index), and the email index, which nothing queried,
        // is gone. Two B-trees fewer per write.
        migrator.registerMigration("v3") { db in
            try rebuild("record", options: .withoutRowID, db) { t in
                t.column("connection", .text).notNull()
                t.column("side", .text).notNull()
                t.column("id", .text).notNull()
                t.column("email", .text)
                t.column("version", .text)
                t.column("fields", .text).notNull()
                t.column("deleted", .boolean).notNull().defaults(to: false)
                t.column("rules", .text)
                t.primaryKey(["connection", "side", "id"])
            }
        }
        // Links are found by their (connection, a_id) and (connection, b_id) keys; an index on
        // the connection alone only cost every new link one more B-tree write.
        migrator.registerMigration("v4") { db in
            try db.drop(index: "link_on_connection")
        }
        // A first run writes a link and a journal entry per contact. Links are clustered on
        // (connection, a_id), with no rowid table beside it; the journal, empty between runs,
        // needs no index on its connection.
        migrator.registerMigration("v5") { db in
            try rebuild("link", options: .withoutRowID, db) { t in
                t.column("connection", .text).notNull()
                t.column("a_id", .text).notNull()
                t.column("b_id", .text).notNull()
                t.column("created_at", .datetime).notNull()
                t.primaryKey(["connection", "a_id"])
                t.uniqueKey(["connection", "b_id"])
            }
            try db.drop(index: "intent_on_connection")
        }
        // A first run journals every contact it creates before the first is sent: one row per
        // batch of creates instead of one per contact (100,000 inserts took half a second on one
        // core while the other waited). A row's entries are a JSON array of [source id, email].
        migrator.registerMigration("v6") { db in
            try db.create(table: "intent_batch") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("connection", .text).notNull()
                t.column("way", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("entries", .text).notNull()
                t.column("created_at", .datetime).notNull()
            }
            try db.execute(sql: """
                INSERT INTO intent_batch (id, connection, way, kind, entries, created_at)
                SELECT id, connection, way, kind, json_array(json_array(source_id, email)), created_at FROM intent
                """)
            try db.drop(table: "intent")
            try db.rename(table: "intent_batch", to: "intent")
        }
        // The safety budget and the changelog: a connection can be approved to go over its
        // budget once, and keeps the plan it last ran (what `accord revert` needs to reach its
        // apps); a held run says why (`detail`); each batch a run writes adds a row of changelog
        // entries (a JSON array), found by connection and run.
        migrator.registerMigration("v7") { db in
            try db.alter(table: "connection") { t in
                t.add(column: "approved", .boolean).notNull().defaults(to: false)
                t.add(column: "plan", .text)
                t.add(column: "base_directory", .text)
            }
            try db.alter(table: "run") { t in t.add(column: "detail", .text) }
            try db.create(table: "change") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("connection", .text).notNull()
                t.column("run", .integer).notNull()
                t.column("entries", .text).notNull()
            }
            try db.create(index: "change_by_run", on: "change", columns: ["connection", "run"])
        }
        return migrator
    }

    /// Rebuilds `table` under a new definition, copying every row (each new column from the old one
    /// of the same name): SQLite cannot change in place how a table is stored.
    private static func rebuild(_ table: String, options: TableOptions, _ db: Database, definition: (TableDefinition) -> Void) throws {
        let rebuilt = table + "_rebuilt"
        try db.create(table: rebuilt, options: options, body: definition)
        let columns = try db.columns(in: rebuilt).map(\.name.quotedDatabaseIdentifier).joined(separator: ", ")
        try db.execute(sql: "INSERT INTO \(rebuilt) (\(columns)) SELECT \(columns) FROM \(table)")
        try db.drop(table: table)
        try db.rename(table: rebuilt, to: table)
    }
}
