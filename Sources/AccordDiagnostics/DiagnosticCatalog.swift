/// Every diagnostic code accord can emit, with its default severity and documentation.
///
/// Codes never change meaning once released. `docs/diagnostics.md` is generated from this
/// catalogue (a test keeps them in step) and `accord explain CODE` prints an entry.
public enum DiagnosticCatalog {
    /// All codes, sorted.
    public static let all: [DiagnosticCode] = [
        unreadableFile, invalidYAML, duplicateKey, emptyFile, notText, multipleDocuments,
        nestingTooDeep, aliasExpansionTooLarge, fileTooLarge, noConnectionFiles, unknownKey,
        wrongType, missingKey, invalidValue,
        unknownApp, unknownField, literalSecret, missingParameter, unknownParameter,
        invalidSecretReference, unsupportedContactType, unsupportedSubset, missingSubset,
        duplicateConnectionName, customFieldRedeclared, invalidOverlay,
        fieldMappedTwice, incompatibleFieldTypes, mappingHasNoDirection, mappingDirectionNarrowed,
        mappingNarrowerThanDefault, valueMapMissingOption, valueMapUnknownOption,
        valueMapNotOneToOne, valueMapRequired, valueMapNotApplicable, requiredFieldUnfilled,
        matchKeyDisabled, unknownDefaultMapping, invalidNameJoin,
        unsupportedCondition, unsupportedAction, operatorTypeMismatch, invalidLiteral,
        literalNotAnOption, ruleForDisabledDirection, actionConflictsWithMapping,
        ruleMayOscillate, undoUnavailable, emptyConditionGroup,
        missingWinner, deletionsUnsupported, unsubscribesUnsupported,
        duplicateAppSchema, invalidSchemaReference,
        appUnreachable, requestTimedOut, authenticationFailed, accessDenied, rateLimited, serverError,
        unexpectedResponse, missingSecret, addressBookNotFound, notCardDAV, addressBookGone,
    ].sorted()

    private static let byRawValue: [String: DiagnosticCode] = Dictionary(
        uniqueKeysWithValues: all.map { ($0.rawValue, $0) })

    /// The code with this raw value (`C3002`) or name (`incompatibleFieldTypes`), case-insensitively.
    public static func code(_ text: String) -> DiagnosticCode? {
        byRawValue[text.uppercased()] ?? all.first { $0.name.lowercased() == text.lowercased() }
    }

    // MARK: - C1xxx: files and YAML shape

    public static let unreadableFile = DiagnosticCode(
        "C1000", "unreadableFile", .error, "a file or directory named on the command line cannot be read",
        explanation: """
        The path does not exist, is not readable, or is neither a file nor a directory.
        Check the path given to `accord validate` or `accord compile`.
        """)

    public static let invalidYAML = DiagnosticCode(
        "C1001", "invalidYAML", .error, "the file is not valid YAML",
        explanation: """
        libyaml could not parse the file. The message gives its reason and the place where it
        stopped. A frequent cause is a tab used for indentation: YAML allows only spaces.

        ```yaml
        apps:
        \ta: {app: csv}      # a tab: not allowed
        ```

        Fix: indent with spaces, close every quote and bracket.
        """)

    public static let duplicateKey = DiagnosticCode(
        "C1002", "duplicateKey", .error, "a mapping has the same key twice",
        explanation: """
        A key appears twice in one mapping. YAML parsers disagree on which value wins, so accord
        refuses the file.

        ```yaml
        direction: two-way
        direction: a-to-b
        ```

        Fix: keep one of the two keys.
        """)

    public static let emptyFile = DiagnosticCode(
        "C1003", "emptyFile", .error, "the file holds no YAML document",
        explanation: """
        The file is empty or holds only comments. A connection file must be a mapping with at
        least `connection`, `apps` and `direction`.
        """)

    public static let notText = DiagnosticCode(
        "C1004", "notText", .error, "the file is not UTF-8 text",
        explanation: """
        The file contains a NUL byte or bytes that are not valid UTF-8, so it is binary or in
        another encoding. Connection files and app schemas are UTF-8 YAML.

        Fix: re-save the file as UTF-8, or remove the binary file from the connections folder.
        """)

    public static let multipleDocuments = DiagnosticCode(
        "C1005", "multipleDocuments", .error, "the file holds more than one YAML document",
        explanation: """
        A `---` line starts a second document. Each connection file describes exactly one
        connection; put the second connection in a file of its own.
        """)

    public static let nestingTooDeep = DiagnosticCode(
        "C1006", "nestingTooDeep", .error, "the YAML nests deeper than accord reads",
        explanation: """
        Mappings and sequences nest more than 64 levels deep. No valid connection file comes
        close to that; the file is probably generated wrongly. accord refuses it instead of
        recursing without bound.
        """)

    public static let aliasExpansionTooLarge = DiagnosticCode(
        "C1007", "aliasExpansionTooLarge", .error, "YAML aliases expand to too many nodes",
        explanation: """
        Anchors (`&name`) and aliases (`*name`) are allowed, but the document they expand to is
        limited to 100,000 nodes, and an alias may not be used as a mapping key. Aliases that
        refer to aliases can expand exponentially (a "billion laughs" alias bomb); accord refuses
        such a file rather than expanding it.

        Fix: write the repeated parts out, or use fewer levels of aliases.
        """)

    public static let fileTooLarge = DiagnosticCode(
        "C1008", "fileTooLarge", .error, "the file is larger than 1 MiB",
        explanation: """
        Connection files and app schemas are limited to 1 MiB. A larger file is almost certainly
        not a connection file (a data export in the wrong folder, for example). accord does not
        read it.
        """)

    public static let noConnectionFiles = DiagnosticCode(
        "C1009", "noConnectionFiles", .warning, "a directory holds no connection files",
        explanation: """
        A directory given to `accord validate` contains no `.yaml` or `.yml` file, so nothing was
        checked. Check the path; in CI this usually means the job runs in the wrong folder.
        """)

    public static let unknownKey = DiagnosticCode(
        "C1010", "unknownKey", .error, "a key is not part of the format",
        explanation: """
        The key is not one accord knows at this place. The message suggests the closest known
        key, and a fix-it replaces it.

        ```yaml
        dirction: two-way   # did you mean 'direction'?
        ```
        """)

    public static let wrongType = DiagnosticCode(
        "C1011", "wrongType", .error, "a value has the wrong YAML type",
        explanation: """
        The value is, say, a list where a single word is expected, or text where `true` or
        `false` is expected.

        ```yaml
        avoid_duplicates: sometimes   # expected a boolean
        ```
        """)

    public static let missingKey = DiagnosticCode(
        "C1012", "missingKey", .error, "a required key is missing",
        explanation: """
        A mapping lacks a key it must have, such as `connection`, `apps`, `direction`, or the
        `app` of `apps.a`.
        """)

    public static let invalidValue = DiagnosticCode(
        "C1013", "invalidValue", .error, "a value is not one of the allowed choices",
        explanation: """
        The value is of the right type but not an allowed choice. The message lists the choices
        and suggests the closest.

        ```yaml
        direction: two_way   # did you mean 'two-way'?
        ```
        """)

    // MARK: - C2xxx: names and references

    public static let unknownApp = DiagnosticCode(
        "C2001", "unknownApp", .error, "no app schema has this app id",
        explanation: """
        `apps.a.app` or `apps.b.app` names an app for which no schema exists in the schemas
        folder (`--schemas`, default `schemas/`). `accord schema list` shows the known apps.
        """)

    public static let unknownField = DiagnosticCode(
        "C2002", "unknownField", .error, "a field is not in the app's schema",
        explanation: """
        A mapping, condition or action names a field the app does not have. The message
        suggests the closest field of that app. Declare custom fields under the app's
        `custom_fields:` or in a schema overlay.
        """)

    public static let literalSecret = DiagnosticCode(
        "C2003", "literalSecret", .error, "a secret is written into the connection file",
        explanation: """
        Secrets never go into connection files, which live in git. Refer to an environment
        variable or a file instead:

        ```yaml
        auth:
          token: {env: HUBSPOT_TOKEN}
          # or
          token: {file: /run/secrets/hubspot-token}
        ```

        Remove the secret from the git history too, and rotate it.
        """)

    public static let missingParameter = DiagnosticCode(
        "C2004", "missingParameter", .error, "a required auth parameter or setting is missing",
        explanation: """
        The app's schema marks an auth parameter (under `auth:`) or a setting (under
        `settings:`) as required, and the connection does not give it.
        `accord schema show APP` lists them.
        """)

    public static let unknownParameter = DiagnosticCode(
        "C2005", "unknownParameter", .error, "an auth parameter or setting is not defined by the app",
        explanation: """
        The key under `auth:` or `settings:` is not one the app's schema defines. The message
        suggests the closest.
        """)

    public static let invalidSecretReference = DiagnosticCode(
        "C2006", "invalidSecretReference", .error, "a secret reference is malformed",
        explanation: """
        A secret reference is a mapping with exactly one of `env` (an environment variable name:
        letters, digits and `_`, not starting with a digit) or `file` (a non-empty path).
        """)

    public static let unsupportedContactType = DiagnosticCode(
        "C2007", "unsupportedContactType", .error, "the app has no such contact type",
        explanation: """
        `contact_type` must be one of the types the app's schema lists (`contacts`, and `leads`
        where the app has leads).
        """)

    public static let unsupportedSubset = DiagnosticCode(
        "C2008", "unsupportedSubset", .error, "the app cannot be limited to this kind of subset",
        explanation: """
        `subset` names a kind (list, folder, group, app, client_folder, ...) that the app's schema
        does not offer. `accord schema show APP` lists the subset kinds.
        """)

    public static let missingSubset = DiagnosticCode(
        "C2009", "missingSubset", .error, "the app needs a subset and none is given",
        explanation: """
        Some apps sync one subset per connection: a Mailchimp audience (list), a Podio Contact
        App, an Office 365 contacts folder. Give it with `subset: {list: "Newsletter"}`.
        """)

    public static let duplicateConnectionName = DiagnosticCode(
        "C2010", "duplicateConnectionName", .error, "two connection files use the same name",
        explanation: """
        Connection names identify a connection's state (links, history, health), so they must be
        unique across all files validated together. A note points at the other file.
        """)

    public static let customFieldRedeclared = DiagnosticCode(
        "C2011", "customFieldRedeclared", .error, "a custom field has the name of an existing field",
        explanation: """
        A field declared under `custom_fields:` or in an overlay has the same name as a field the
        app (or an earlier declaration) already has. Choose another name or use the existing field.
        """)

    public static let invalidOverlay = DiagnosticCode(
        "C2012", "invalidOverlay", .error, "a schema overlay cannot be used",
        explanation: """
        The overlay file named by `overlay:` does not exist, cannot be read, or extends another
        app than the one it is attached to (`overlay_for:` must equal the app id).
        """)

    // MARK: - C3xxx: field mappings and types

    public static let fieldMappedTwice = DiagnosticCode(
        "C3001", "fieldMappedTwice", .error, "a field takes part in two mappings",
        explanation: """
        Each field belongs to at most one mapping, so a run never has two values to write into
        it. A field of a default mapping becomes free when that default is toggled off:

        ```yaml
        mappings:
          toggles: {phone: off}
          custom:
            - {a: mobilephone, b: PHONE}
        ```
        """)

    public static let incompatibleFieldTypes = DiagnosticCode(
        "C3002", "incompatibleFieldTypes", .error, "the two fields' types allow no direction of the mapping",
        explanation: """
        Values of one field cannot be written into the other in either direction the mapping
        needs, for example `'birthday' (date) cannot be written into 'score' (number)`.
        The compatibility table in `docs/connection-format.md` lists what may be written into what:
        the same type both ways; number, date, boolean, choice, email, phone, url and address into
        text one way only; text into number never.
        """)

    public static let mappingHasNoDirection = DiagnosticCode(
        "C3003", "mappingHasNoDirection", .error, "no direction is left for a mapping",
        explanation: """
        A mapping's effective direction is the asked direction ∩ the directions the types allow ∩
        the writable sides ∩ the connection direction. Here nothing is left, for example a
        mapping into a read-only field in a one-way connection towards it.
        """)

    public static let mappingDirectionNarrowed = DiagnosticCode(
        "C3004", "mappingDirectionNarrowed", .error, "a mapping cannot go in the direction it asks for",
        explanation: """
        The mapping asks for a direction (`direction: two-way`, say) that the field types,
        a read-only field or the connection direction do not allow. The message says which part
        is not possible and why. Ask for the direction that is possible, or drop `direction:`
        to take what is allowed.
        """)

    public static let mappingNarrowerThanDefault = DiagnosticCode(
        "C3005", "mappingNarrowerThanDefault", .note, "a mapping syncs one way only in a two-way connection",
        explanation: """
        A custom mapping without an explicit `direction:` follows the connection direction where
        it can. Here the types or a read-only field allow only one way, and accord tells you so.
        Write the direction explicitly to acknowledge it.
        """)

    public static let valueMapMissingOption = DiagnosticCode(
        "C3006", "valueMapMissingOption", .error, "a value map leaves source options unmapped",
        explanation: """
        A drop-down ↔ drop-down mapping needs a value for every option of the source field, in
        every direction the mapping syncs, so no value is ever dropped silently. The message lists
        the missing options.
        """)

    public static let valueMapUnknownOption = DiagnosticCode(
        "C3007", "valueMapUnknownOption", .error, "a value map names a value that is not an option",
        explanation: """
        The keys of `values:` must be options of the `a` field and the values options of the `b`
        field. The message suggests the closest option.
        """)

    public static let valueMapNotOneToOne = DiagnosticCode(
        "C3008", "valueMapNotOneToOne", .error, "a value map is not one-to-one but syncs both ways",
        explanation: """
        Two source options map to the same target option, so the way back is ambiguous. Make the
        map one-to-one or make the mapping one-way (`direction: a-to-b`).
        """)

    public static let valueMapRequired = DiagnosticCode(
        "C3009", "valueMapRequired", .error, "a drop-down to drop-down mapping has no value map",
        explanation: """
        Options of two drop-down fields are different sets even when the labels look alike.
        Give an explicit map from `a` options to `b` options:

        ```yaml
        - a: lifecyclestage
          b: STAGE
          values: {lead: Lead, customer: Customer}
        ```
        """)

    public static let valueMapNotApplicable = DiagnosticCode(
        "C3010", "valueMapNotApplicable", .error, "a value map is given for fields that are not drop-downs",
        explanation: """
        `values:` applies only when both fields are single-choice (enum) fields.
        """)

    public static let requiredFieldUnfilled = DiagnosticCode(
        "C3011", "requiredFieldUnfilled", .warning, "a required field of the target is never filled",
        explanation: """
        The target app requires this field on new contacts, and no mapping or action of that
        direction writes it. Contacts created in that direction will fail to sync (they show up
        in `accord health` as failed). Map a field into it, or set it with a `set_field` action.
        """)

    public static let matchKeyDisabled = DiagnosticCode(
        "C3012", "matchKeyDisabled", .error, "the email mapping is turned off while contacts are matched by email",
        explanation: """
        With `avoid_duplicates: true` (the default) contacts are matched by email, so the email
        default mapping cannot be toggled off.
        """)

    public static let unknownDefaultMapping = DiagnosticCode(
        "C3013", "unknownDefaultMapping", .error, "a toggle names a default mapping this app pair does not have",
        explanation: """
        `mappings.toggles` keys are the standard roles both apps share (`email`, `name`,
        `phone`, `company`, `job_title`, `address`, ...). `accord compile` shows the default
        mappings of a connection.
        """)

    public static let invalidNameJoin = DiagnosticCode(
        "C3014", "invalidNameJoin", .error, "a name join/split mapping is malformed",
        explanation: """
        A join/split mapping pairs two text fields (first and last name) on one side with one
        text field (the full name) on the other:

        ```yaml
        - a: [firstname, lastname]
          b: full_name
        ```
        """)

    // MARK: - C4xxx: IF/THEN rules

    public static let unsupportedCondition = DiagnosticCode(
        "C4001", "unsupportedCondition", .error, "the source app does not support this IF condition",
        explanation: """
        Conditions come from the source app's schema: a rule of `a-to-b` filters contacts of
        app `a`. `accord schema show APP` lists the conditions an app supports.
        """)

    public static let unsupportedAction = DiagnosticCode(
        "C4002", "unsupportedAction", .error, "the target app does not support this THEN action",
        explanation: """
        Actions run in the target app: a rule of `a-to-b` acts in app `b`. `accord schema show
        APP` lists the actions an app supports.
        """)

    public static let operatorTypeMismatch = DiagnosticCode(
        "C4003", "operatorTypeMismatch", .error, "a field condition's operator does not fit the field's type",
        explanation: """
        Each field type has its own operators: text has `equals`, `contains`, `starts_with`, ...;
        numbers and dates have `greater_than`, `less_than`, ...; booleans `equals`; drop-downs
        `equals` and `one_of`. Every type has `empty` and `not_empty`.
        """)

    public static let invalidLiteral = DiagnosticCode(
        "C4004", "invalidLiteral", .error, "a literal does not parse as the field's type",
        explanation: """
        The value compared with or written into a field must parse as that field's type: a
        number for number fields, `YYYY-MM-DD` for dates, an ISO 8601 timestamp for date-times,
        `true`/`false` for booleans.
        """)

    public static let literalNotAnOption = DiagnosticCode(
        "C4005", "literalNotAnOption", .error, "a literal is not one of the drop-down's options",
        explanation: """
        A drop-down (enum) field only holds its options. The message suggests the closest one.
        """)

    public static let ruleForDisabledDirection = DiagnosticCode(
        "C4006", "ruleForDisabledDirection", .warning, "rules are given for a direction the connection does not sync",
        explanation: """
        The connection is one-way, so rules of the other direction never run. Remove them or make
        the connection two-way.
        """)

    public static let actionConflictsWithMapping = DiagnosticCode(
        "C4007", "actionConflictsWithMapping", .error, "an action writes a field that a mapping also writes",
        explanation: """
        In one direction, a `set_field` action and a mapping both write the same target field,
        so the result would depend on the order. Drop one of them, or narrow the mapping's direction.
        """)

    public static let ruleMayOscillate = DiagnosticCode(
        "C4008", "ruleMayOscillate", .warning, "an action may re-trigger a rule of the other direction",
        explanation: """
        An action of one direction changes a tag, list, flag or field in the target app, and a rule
        of the opposite direction filters on that same tag or field in that app. With undo or
        opposite actions this can flip a contact back and forth on every run. Check that the rules
        converge.
        """)

    public static let undoUnavailable = DiagnosticCode(
        "C4009", "undoUnavailable", .error, "undo is asked for a rule whose actions cannot be reversed",
        explanation: """
        `undo: true` reverses a rule's actions when a contact stops matching it. That needs a
        reverse for every action (add tag ↔ remove tag, make ↔ unmake champion). `set_field`
        has no reverse.
        """)

    public static let emptyConditionGroup = DiagnosticCode(
        "C4010", "emptyConditionGroup", .error, "an 'any' or 'all' group has no conditions",
        explanation: """
        An empty `any:` would match nothing and an empty `all:` everything; both are almost
        always a mistake. Remove the group or give it conditions.
        """)

    // MARK: - C5xxx: connection options

    public static let missingWinner = DiagnosticCode(
        "C5001", "missingWinner", .error, "a two-way connection has no winning app",
        explanation: """
        A two-way connection needs `winner: a` or `winner: b` to settle conflicts: differing
        values at the first match, and a field changed on both sides between two runs. An empty
        value in the winning app never clears the other side.
        """)

    public static let deletionsUnsupported = DiagnosticCode(
        "C5002", "deletionsUnsupported", .error, "sync deletions is on but no direction of this app pair supports it",
        explanation: """
        Syncing deletions needs an app that can detect deleted contacts on one side and an app
        that can write a marker (tag, list, group, bucket) on the other, in a direction the
        connection syncs. accord never deletes a contact; it only marks it.
        """)

    public static let unsubscribesUnsupported = DiagnosticCode(
        "C5003", "unsubscribesUnsupported", .error, "sync unsubscribes is on but no direction of this app pair supports it",
        explanation: """
        Syncing unsubscribes needs an app that can detect unsubscribed contacts (a marketing app)
        on one side and an app that can write a marker on the other, in a direction the
        connection syncs.
        """)

    // MARK: - S1xxx: app schema files

    public static let duplicateAppSchema = DiagnosticCode(
        "S1001", "duplicateAppSchema", .error, "two schema files define the same app id",
        explanation: """
        Each app id is defined by exactly one file in the schemas folder; overlays use
        `overlay_for:` instead of `app:`.
        """)

    public static let invalidSchemaReference = DiagnosticCode(
        "S1002", "invalidSchemaReference", .error, "an app schema refers to something it does not define",
        explanation: """
        A condition or action of an app schema names a field, segment kind or reverse action that
        the schema does not define, or a field's role or options are inconsistent.
        """)

    // MARK: - R1xxx: talking to an app at run time

    public static let appUnreachable = DiagnosticCode(
        "R1001", "appUnreachable", .error, "the app's server could not be reached",
        explanation: """
        The connection was refused, reset or the host name did not resolve, and stayed so through
        every retry (exponential backoff with jitter). Nothing was written for the requests that
        failed; the run stops, its state stays consistent, and the next run picks up from there.
        Check the `url` setting, the network, and whether the server is up.
        """)

    public static let requestTimedOut = DiagnosticCode(
        "R1002", "requestTimedOut", .error, "a request to the app got no answer in time",
        explanation: """
        The server accepted the connection but did not answer within the timeout, through every
        retry. A write that timed out may still have been carried out by the server; the intent
        journal makes the next run find such a contact instead of creating it twice.
        """)

    public static let authenticationFailed = DiagnosticCode(
        "R1003", "authenticationFailed", .error, "the app rejected the credentials (HTTP 401)",
        explanation: """
        The user name, password or token was refused. accord reads secrets from the environment
        variable or file the connection names (`{env: NAME}`, `{file: PATH}`); check that it holds
        a current app password or token. The secret itself is never printed.
        """)

    public static let accessDenied = DiagnosticCode(
        "R1004", "accessDenied", .error, "the app refused the request (HTTP 403)",
        explanation: """
        The credentials were accepted but the account may not read or write this resource, for
        example an address book shared read-only. Grant access in the app, or choose another
        address book or list.
        """)

    public static let rateLimited = DiagnosticCode(
        "R1005", "rateLimited", .error, "the app kept answering HTTP 429 (too many requests)",
        explanation: """
        accord honours `Retry-After` and backs off, but the app still refused after every retry, or
        asked for a longer wait than accord will sleep within a run. Lower `requests_per_second`
        or `concurrency` in the app's `limits`, or run less often.
        """)

    public static let serverError = DiagnosticCode(
        "R1006", "serverError", .error, "the app answered with a server error (HTTP 5xx) through every retry",
        explanation: """
        The server failed on its side. The run stops with its state consistent; the next run
        retries. The message quotes what the server said.
        """)

    public static let unexpectedResponse = DiagnosticCode(
        "R1007", "unexpectedResponse", .error, "the app answered in a way accord does not understand",
        explanation: """
        An unexpected status code, or a body that is not what the protocol promises (for example
        a WebDAV multistatus that does not parse). The message names the request and quotes the
        server; please report it with the server's name and version.
        """)

    public static let missingSecret = DiagnosticCode(
        "R1008", "missingSecret", .error, "a secret the connection refers to is not available",
        explanation: """
        The environment variable named by `{env: NAME}` is unset or empty, or the file named by
        `{file: PATH}` cannot be read or is empty. Provide it where the runner runs (CI needs no
        secrets: `accord validate` does not read them).
        """)

    // MARK: - R2xxx: CardDAV

    public static let addressBookNotFound = DiagnosticCode(
        "R2001", "addressBookNotFound", .error, "no address book with the name the connection gives",
        explanation: """
        accord found the account's address books but none has the display name (or path name)
        given by `subset: {addressbook: NAME}`. The message lists the address books it found.
        """)

    public static let notCardDAV = DiagnosticCode(
        "R2002", "notCardDAV", .error, "no CardDAV address book could be discovered from the URL",
        explanation: """
        accord looks for an address book at the URL itself, then follows
        `current-user-principal` and `addressbook-home-set` from the URL and from
        `/.well-known/carddav`. None of them led to an address book. Check the `url` setting
        against the provider's documentation (for example
        `https://carddav.fastmail.com/dav/addressbooks/user/you@fastmail.com/Default/`).
        """)

    public static let addressBookGone = DiagnosticCode(
        "R2003", "addressBookGone", .error, "the address book the connection names, or synced until now, is not there",
        explanation: """
        The `url` setting names nothing (HTTP 404), or a collection that is neither an address
        book nor the account's principal or address-book home; or the address book earlier runs
        found from the server or account URL is gone, or is no longer an address book. accord
        never syncs another address book in its place: it would take every contact synced so far
        as deleted, and copy strangers into the other app. If the address book moved, put its new
        URL in the connection (the message names the one discovery would take now). An address
        book that was emptied, or deleted and created again empty at the same URL, is not this
        error: it is listed as it is, and the safety budget holds the run that would mark every
        contact deleted.
        """)
}
