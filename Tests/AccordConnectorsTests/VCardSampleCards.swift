import Foundation
import Testing

/// Cards written the way real clients write them (Outlook, iPhone, Android, Evolution, Google, a
/// vCard 4.0 server, a UTF-16 export), made up for these tests, with what accord should read from
/// each and one edit to try on each.
struct SampleCard: CustomTestStringConvertible, Sendable {
    let name: String
    let bytes: [UInt8]
    /// Fields the card must read as (others may be there too).
    let fields: [String: [String]]
    let tags: Set<String>
    /// A field to change, its new values, the properties whose lines alone may change, and what
    /// the field reads back when that is not the values as given.
    let edit: Edit
    struct Edit: Sendable {
        var field: String
        var values: [String]
        var properties: Set<String>
        var readBack: [String]?
    }
    /// The two emails, preferred first, when the card has two.
    let emails: [String]

    var testDescription: String { name }

    /// `lines` joined by `end`, each character of `text` one byte (text that is ASCII and Latin-1),
    /// or UTF-8 when `latin1` is false.
    static func bytes(_ lines: [String], end: String = "\r\n", latin1: Bool = false) -> [UInt8] {
        let text = lines.joined(separator: end) + end
        guard latin1 else { return Array(text.utf8) }
        return text.unicodeScalars.map { scalar in
            precondition(scalar.value < 0x100, "not Latin-1: \(scalar)")
            return UInt8(scalar.value)
        }
    }

    /// Outlook 2003 export: vCard 2.1, windows-1252/Latin-1 8-bit and quoted-printable values
    /// with soft line breaks, bare 2.1 parameters, an unfolded long note.
    static let outlook = SampleCard(
        name: "Outlook 2.1, quoted-printable Latin-1",
        bytes: bytes([
            "BEGIN:VCARD", "VERSION:2.1",
            "N;LANGUAGE=de;CHARSET=Windows-1252:Müller;Jürgen;;Dr.;",
            "FN;CHARSET=Windows-1252:Dr. Jürgen Müller",
            "ORG;CHARSET=Windows-1252:Bäckerei Müller GmbH;Vertrieb",
            "TITLE:Vertriebsleiter",
            "TEL;WORK;VOICE:+49 30 1234567",
            "TEL;CELL;PREF:+49 170 1234567",
            "ADR;WORK;PREF;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:;;Hauptstra=DFe 5=0D=0A=",
            "Hinterhaus;Berlin;;10115;Deutschland",
            "LABEL;WORK;PREF;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:Hauptstra=DFe 5=0D=0AHinterhaus=0D=0A=",
            "10115 Berlin",
            "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:Kunde seit 2004, bevorzugt Anrufe am Vormittag. Gr=FC=",
            "=DFe an das Team=0D=0A=E4=F6=FC",
            "EMAIL;PREF;INTERNET:juergen.mueller@example.de",
            "EMAIL;INTERNET:jm@baeckerei.example",
            "X-MS-OL-DEFAULT-POSTAL-ADDRESS:2",
            "REV:20240101T120000Z",
            "END:VCARD",
        ], latin1: true),
        fields: [
            "family_name": ["Müller"], "given_name": ["Jürgen"], "honorific_prefix": ["Dr."], "formatted_name": ["Dr. Jürgen Müller"],
            "org": ["Bäckerei Müller GmbH"], "title": ["Vertriebsleiter"],
            "tel": ["+49 170 1234567", "+49 30 1234567"], "email": ["juergen.mueller@example.de", "jm@baeckerei.example"],
            "adr_street": ["Hauptstraße 5\r\nHinterhaus"], "adr_locality": ["Berlin"], "adr_postal_code": ["10115"], "adr_country": ["Deutschland"],
            "note": ["Kunde seit 2004, bevorzugt Anrufe am Vormittag. Grüße an das Team\r\näöü"],
        ],
        tags: [],
        edit: Edit(field: "note", values: ["Neue Notiz: Rückruf erbeten"], properties: ["NOTE"]),
        emails: ["juergen.mueller@example.de", "jm@baeckerei.example"])

    /// iPhone export: vCard 3.0, item groups with X-ABLabel and X-ABADR, several EMAIL, TEL and
    /// ADR, `type=pref`, an escaped URL, a folded base64 photo.
    static let iPhone = SampleCard(
        name: "iPhone 3.0, item groups and labels",
        bytes: bytes([
            "BEGIN:VCARD", "VERSION:3.0", "PRODID:-//Apple Inc.//iPhone OS 17.2//EN",
            "N:Appleseed;Johnny;;;", "FN:Johnny Appleseed", "ORG:Apple Inc.;",
            "item1.EMAIL;type=INTERNET;type=pref:johnny@icloud.example",
            "item2.EMAIL;type=INTERNET:j.appleseed@work.example",
            "item2.X-ABLabel:_$!<Work>!$_",
            "TEL;type=CELL;type=VOICE;type=pref:+1 (408) 555-0101",
            "item3.TEL:+1 408 555 0102",
            "item3.X-ABLabel:Studio",
            "item4.ADR;type=HOME;type=pref:;;1 Infinite Loop;Cupertino;CA;95014;United States",
            "item4.X-ABADR:us",
            "item5.ADR;type=WORK:;;One Apple Park Way;Cupertino;CA;95014;United States",
            "item5.X-ABADR:us",
            "item6.URL;type=pref:https\\://www.example.com/johnny",
            "item6.X-ABLabel:_$!<HomePage>!$_",
            "BDAY;value=date:1975-04-01",
            "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0a",
            " HBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAA",
            " AAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==",
            "X-SOCIALPROFILE;type=twitter:https://twitter.example/johnny",
            "END:VCARD",
        ]),
        fields: [
            "family_name": ["Appleseed"], "given_name": ["Johnny"], "org": ["Apple Inc."],
            "email": ["johnny@icloud.example", "j.appleseed@work.example"], "tel": ["+1 (408) 555-0101", "+1 408 555 0102"],
            "adr": [";;1 Infinite Loop;Cupertino;CA;95014;United States", ";;One Apple Park Way;Cupertino;CA;95014;United States"],
            "adr_street": ["1 Infinite Loop"], "adr_region": ["CA"], "url": ["https://www.example.com/johnny"], "bday": ["1975-04-01"],
        ],
        tags: [],
        edit: Edit(field: "url", values: ["https://johnny.example"], properties: ["URL"]),
        emails: ["johnny@icloud.example", "j.appleseed@work.example"])

    /// Android export of a Japanese contact: vCard 2.1 in Shift_JIS, 8-bit (a character whose
    /// second byte is a backslash among them: ソ is 0x83 0x5C), with the phonetic name.
    static let android = SampleCard(
        name: "Android 2.1, Shift_JIS",
        bytes: Array("BEGIN:VCARD\r\nVERSION:2.1\r\n".utf8)
            + Array("N;CHARSET=SHIFT_JIS:安藤;ロイド;;;\r\n".data(using: .shiftJIS)!)
            + Array("SOUND;X-IRMC-N;CHARSET=SHIFT_JIS:ｱﾝﾄﾞｳ;ﾛｲﾄﾞ;;;\r\n".data(using: .shiftJIS)!)
            + Array("FN;CHARSET=SHIFT_JIS:安藤 ロイド\r\n".data(using: .shiftJIS)!)
            + Array("TEL;CELL;PREF:090-1234-5678\r\nTEL;HOME:03-1234-5678\r\nEMAIL;INTERNET;PREF:android@example.jp\r\nEMAIL;INTERNET:ando@home.example.jp\r\n".utf8)
            + Array("ORG;CHARSET=SHIFT_JIS:株式会社ソフト;開発部\r\n".data(using: .shiftJIS)!)
            + Array("END:VCARD\r\n".utf8),
        fields: [
            "family_name": ["安藤"], "given_name": ["ロイド"], "formatted_name": ["安藤 ロイド"], "org": ["株式会社ソフト"],
            "tel": ["090-1234-5678", "03-1234-5678"], "email": ["android@example.jp", "ando@home.example.jp"],
        ],
        tags: [],
        edit: Edit(field: "org", values: ["株式会社ソニー"], properties: ["ORG"]),
        emails: ["android@example.jp", "ando@home.example.jp"])

    /// Evolution: vCard 3.0 with LF line ends, X-EVOLUTION parameters and properties, escaped
    /// text, all five parts of N, CATEGORIES.
    static let evolution = SampleCard(
        name: "Evolution 3.0, LF line ends",
        bytes: bytes([
            "BEGIN:VCARD", "VERSION:3.0", "UID:pas-id-5E8A1C2B00000001", "X-EVOLUTION-FILE-AS:Doe\\, Jane",
            "FN:Ms. Jane Marie Doe", "N:Doe;Jane;Marie;Ms.;", "NICKNAME:JD",
            "EMAIL;TYPE=WORK;X-EVOLUTION-UI-SLOT=1:jane.doe@corp.example",
            "EMAIL;TYPE=HOME;X-EVOLUTION-UI-SLOT=2:jane@home.example",
            "TEL;TYPE=WORK;TYPE=VOICE;X-EVOLUTION-UI-SLOT=1:+44 20 7946 0000",
            "ADR;TYPE=WORK:;Floor 3;221B Baker Street;London;;NW1 6XE;United Kingdom",
            "LABEL;TYPE=WORK:221B Baker Street\\nLondon NW1 6XE\\nUnited Kingdom",
            "NOTE:Met at the conference\\, follow up in spring.\\nLikes tea\\; no sugar.",
            "CATEGORIES:Business,VIP", "X-EVOLUTION-BLOG-URL:https://blog.example/jane", "REV:2024-03-01T10:00:00Z", "END:VCARD",
        ], end: "\n"),
        fields: [
            "uid": ["pas-id-5E8A1C2B00000001"], "family_name": ["Doe"], "given_name": ["Jane"], "additional_names": ["Marie"],
            "honorific_prefix": ["Ms."], "email": ["jane.doe@corp.example", "jane@home.example"],
            "adr_extended": ["Floor 3"], "adr_street": ["221B Baker Street"], "adr_postal_code": ["NW1 6XE"],
            "note": ["Met at the conference, follow up in spring.\nLikes tea; no sugar."],
        ],
        tags: ["Business", "VIP"],
        // FN is the parts of N joined: it follows.
        edit: Edit(field: "given_name", values: ["Janet"], properties: ["N", "FN"]),
        emails: ["jane.doe@corp.example", "jane@home.example"])

    /// Google Contacts export: vCard 3.0, `TYPE=INTERNET;TYPE=HOME`, an escaped URL in an item
    /// group, a note folded mid-word, a surname with particles.
    static let google = SampleCard(
        name: "Google 3.0, folded note and escaped URL",
        bytes: bytes([
            "BEGIN:VCARD", "VERSION:3.0", "FN:Carlos de la Cruz", "N:de la Cruz;Carlos;;;",
            "EMAIL;TYPE=INTERNET;TYPE=HOME:carlos@gmail.example", "EMAIL;TYPE=INTERNET;TYPE=WORK:c.delacruz@firm.example",
            "TEL;TYPE=CELL:+34 612 34 56 78", "ADR;TYPE=HOME:;;Calle Mayor 1;Madrid;;28013;España", "ORG:Firm S.L.", "TITLE:Abogado",
            "item1.URL:http\\://www.firm.example/carlos", "item1.X-ABLabel:PROFILE",
            "NOTE:A long note that Google folds at seventy-five octets so that the line con", " tinues here on a second line.",
            "CATEGORIES:myContacts,Clientes", "END:VCARD",
        ]),
        fields: [
            "family_name": ["de la Cruz"], "given_name": ["Carlos"], "title": ["Abogado"], "adr_country": ["España"],
            "url": ["http://www.firm.example/carlos"], "email": ["carlos@gmail.example", "c.delacruz@firm.example"],
            "note": ["A long note that Google folds at seventy-five octets so that the line continues here on a second line."],
        ],
        tags: ["myContacts", "Clientes"],
        edit: Edit(field: "title", values: ["Socio"], properties: ["TITLE"]),
        emails: ["carlos@gmail.example", "c.delacruz@firm.example"])

    /// A vCard 4.0 server's card: `PREF=n` out of file order, `TEL;VALUE=uri` with an extension.
    static let vCard40 = SampleCard(
        name: "vCard 4.0, VALUE=uri and PREF",
        bytes: bytes([
            "BEGIN:VCARD", "VERSION:4.0", "UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1", "FN:Dr. Ann Müller", "N:Müller;Ann;;Dr.;",
            "EMAIL;TYPE=home;PREF=2:ann@home.example", "EMAIL;TYPE=work;PREF=1:ann@work.example",
            "TEL;VALUE=uri;TYPE=\"voice,cell\";PREF=1:tel:+49-30-1234567", "TEL;VALUE=uri;TYPE=work:tel:+49-30-7654321;ext=12",
            "ADR;TYPE=home:;;Kastanienallee 2;Berlin;;10435;Germany", "ADR;TYPE=work;PREF=1:;;Unter den Linden 1;Berlin;;10117;Germany",
            "X-SKYPE:ann.mueller", "END:VCARD",
        ]),
        fields: [
            "email": ["ann@work.example", "ann@home.example"], "tel": ["+49-30-1234567", "+49-30-7654321 ext. 12"],
            "adr_street": ["Unter den Linden 1"], "adr_postal_code": ["10117"], "honorific_prefix": ["Dr."],
        ],
        tags: [],
        // A tel: URI has no spaces.
        edit: Edit(field: "tel", values: ["+49 30 999 888", "+49-30-7654321 ext. 12"], properties: ["TEL"], readBack: ["+49-30-999-888", "+49-30-7654321 ext. 12"]),
        emails: ["ann@work.example", "ann@home.example"])

    /// A UTF-16 export (little-endian, with a byte order mark), as some Windows tools write one.
    static let utf16 = SampleCard(
        name: "UTF-16 LE with a byte order mark",
        bytes: [0xFF, 0xFE] + "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë Łukasiewicz\r\nN:Łukasiewicz;Zoë;;;\r\nEMAIL:zoe@example.pl\r\nEMAIL;TYPE=work:z.lukasiewicz@work.example\r\nNOTE:Ünïcödé 😀\r\nEND:VCARD\r\n"
            .utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] },
        fields: ["family_name": ["Łukasiewicz"], "given_name": ["Zoë"], "note": ["Ünïcödé 😀"], "email": ["zoe@example.pl", "z.lukasiewicz@work.example"]],
        tags: [],
        edit: Edit(field: "note", values: ["Nowa notatka ✓"], properties: ["NOTE"]),
        emails: ["zoe@example.pl", "z.lukasiewicz@work.example"])

    static let all = [outlook, iPhone, android, evolution, google, vCard40, utf16]
}
