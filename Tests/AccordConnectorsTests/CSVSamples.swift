@testable import AccordConnectors
import Foundation
import Testing

/// Small CSV files shaped like real exports, each with one change accord makes to it and the
/// file that change must give: everything else byte for byte as it was.
struct CSVSample: CustomTestStringConvertible, Sendable {
    var testDescription: String
    var bytes: [UInt8]
    var settings: CSVConnector.Settings
    /// The record to change, a field, its new value, and what that row's text becomes.
    var id: String
    var field: String
    var value: String
    var expected: [UInt8]
    /// Field values a listing must read from the sample, by record id.
    var reads: [String: [String: String]]

    static var all: [CSVSample] { [google, outlook, hubspot, excelUTF8, excelSemicolon, unicodeText, noFinalLineEnd] }

    /// Google Contacts: UTF-8, CRLF, its own headers (some found by label, the rest through the
    /// column map), a quoted note over two lines, no id column (rows are known by their email).
    static var google: CSVSample {
        let text = """
        Name,Given Name,Family Name,Notes,Group Membership,E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,Phone 1 - Value,Organization 1 - Name,Organization 1 - Title\r
        Ann Example,Ann,Example,"Met at the fair,\r
        likes tea",* myContacts ::: Customers,* Work,ann@example.com,Mobile,+1 555 0100,Acme,CEO\r
        Bob Builder,Bob,Builder,,* myContacts,* Home,bob@example.org,,,,\r

        """
        var settings = CSVConnector.Settings()
        settings.columns = ["email": "E-mail 1 - Value", "phone": "Phone 1 - Value", "company": "Organization 1 - Name", "job_title": "Organization 1 - Title"]
        return CSVSample(
            testDescription: "Google Contacts", bytes: Array(text.utf8), settings: settings, id: "email:ann@example.com", field: "job_title", value: "Chair",
            expected: Array(text.replacingOccurrences(of: "+1 555 0100,Acme,CEO", with: "+1 555 0100,Acme,Chair").utf8),
            reads: [
                "email:ann@example.com": ["first_name": "Ann", "last_name": "Example", "notes": "Met at the fair,\r\nlikes tea", "phone": "+1 555 0100", "job_title": "CEO"],
                "email:bob@example.org": ["first_name": "Bob", "company": ""],
            ])
    }

    /// Outlook: every cell quoted, CRLF; `Title` is a salutation, not the job title.
    static var outlook: CSVSample {
        let text = """
        "First Name","Middle Name","Last Name","Title","Company","Job Title","Business Phone","E-mail Address","E-mail Display Name","Notes"\r
        "Bob","","Builder","Mr.","Builder Ltd","Owner","+44 20 7946 0000","bob@example.org","Bob Builder (bob@example.org)",""\r
        "Cy","","Young","Dr.","","","","cy@example.net","Cy Young",""\r

        """
        return CSVSample(
            testDescription: "Outlook", bytes: Array(text.utf8), settings: CSVConnector.Settings(), id: "email:bob@example.org", field: "job_title", value: "CEO",
            expected: Array(text.replacingOccurrences(of: "\"Builder Ltd\",\"Owner\"", with: "\"Builder Ltd\",\"CEO\"").utf8),
            reads: ["email:bob@example.org": ["first_name": "Bob", "last_name": "Builder", "company": "Builder Ltd", "job_title": "Owner"], "email:cy@example.net": ["job_title": ""]])
    }

    /// HubSpot: an id column of its own (`Record ID`), LF, quotes only where needed.
    static var hubspot: CSVSample {
        let text = """
        Record ID,First Name,Last Name,Email,Phone Number,Company Name,Lifecycle Stage,Create Date
        101,Dana,Scully,dana@example.com,+1 202 555 0142,"FBI, X-Files",lead,2024-01-02 10:00
        102,Fox,Mulder,fox@example.com,,"FBI, X-Files",customer,2024-01-03 11:30

        """
        var settings = CSVConnector.Settings()
        settings.idColumn = "Record ID"
        return CSVSample(
            testDescription: "HubSpot", bytes: Array(text.utf8), settings: settings, id: "102", field: "phone", value: "+1 202 555 0199",
            expected: Array(text.replacingOccurrences(of: "fox@example.com,,", with: "fox@example.com,+1 202 555 0199,").utf8),
            reads: ["101": ["email": "dana@example.com", "phone": "+1 202 555 0142", "company": "FBI, X-Files"], "102": ["last_name": "Mulder"]])
    }

    /// Excel's "CSV UTF-8": a byte order mark, CRLF, an `id` column with gaps.
    static var excelUTF8: CSVSample {
        let text = "id,E-Mail,First Name,Last Name,tags\r\n7,eve@example.com,Ève,Dupré,vip;customer\r\n,gus@example.com,Gus,Grün,\r\n"
        return CSVSample(
            testDescription: "Excel UTF-8 with BOM", bytes: [0xEF, 0xBB, 0xBF] + Array(text.utf8), settings: CSVConnector.Settings(), id: "7", field: "last_name", value: "Dupré-SSé",
            // The row without an id gets the one it was known by.
            expected: [0xEF, 0xBB, 0xBF] + Array(text.replacingOccurrences(of: "Ève,Dupré,", with: "Ève,Dupré-SSé,").replacingOccurrences(of: ",gus@", with: "email:gus@example.com,gus@").utf8),
            reads: ["7": ["first_name": "Ève", "email": "eve@example.com"], "email:gus@example.com": ["last_name": "Grün"]])
    }

    /// Excel's "CSV (semicolon delimited)" on a German system: windows-1252, `sep=;` first line,
    /// CRLF, a semicolon inside a quoted cell.
    static var excelSemicolon: CSVSample {
        func cp1252(_ text: String) -> [UInt8] {
            text.unicodeScalars.map { $0 == "€" ? 0x80 : UInt8($0.value) }
        }
        let text = "sep=;\r\nE-Mail;First Name;Last Name;Notes\r\nmueller@example.de;Jürgen;Müller;\"Café; 5 € Rabatt\"\r\nzoe@example.de;Zoë;Weiß;\r\n"
        var settings = CSVConnector.Settings()
        settings.encoding = .windows1252
        return CSVSample(
            testDescription: "Excel semicolon, windows-1252", bytes: cp1252(text), settings: settings, id: "email:zoe@example.de", field: "notes", value: "Grüße, 10 €",
            expected: cp1252(text.replacingOccurrences(of: "Zoë;Weiß;\r\n", with: "Zoë;Weiß;Grüße, 10 €\r\n")),
            reads: ["email:mueller@example.de": ["first_name": "Jürgen", "last_name": "Müller", "notes": "Café; 5 € Rabatt"], "email:zoe@example.de": ["last_name": "Weiß"]])
    }

    /// Excel's "Unicode Text": UTF-16 little endian with a byte order mark, tab-delimited.
    static var unicodeText: CSVSample {
        func utf16(_ text: String) -> [UInt8] { [0xFF, 0xFE] + Array(text.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }
        let text = "Email\tFirst Name\tNotes\r\nli@example.cn\t李\t\r\nann@example.com\tAnn\t😀\r\n"
        return CSVSample(
            testDescription: "UTF-16 tab-delimited", bytes: utf16(text), settings: CSVConnector.Settings(), id: "email:li@example.cn", field: "notes", value: "你好",
            expected: utf16(text.replacingOccurrences(of: "李\t\r\n", with: "李\t你好\r\n")),
            reads: ["email:li@example.cn": ["first_name": "李"], "email:ann@example.com": ["notes": "😀"]])
    }

    /// A hand-written file: LF, no line end after the last row, a blank line kept.
    static var noFinalLineEnd: CSVSample {
        let text = "id,email,first_name\n\n1,ann@example.com,Ann\n2,bob@example.com,Bob"
        return CSVSample(
            testDescription: "no final line end", bytes: Array(text.utf8), settings: CSVConnector.Settings(), id: "2", field: "first_name", value: "Robert",
            expected: Array(text.replacingOccurrences(of: ",Bob", with: ",Robert").utf8), reads: ["1": ["first_name": "Ann"], "2": ["email": "bob@example.com"]])
    }
}
