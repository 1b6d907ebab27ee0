/// The value type of an app field, as declared in app schemas.
public enum FieldType: String, CaseIterable, Sendable, Codable, Comparable {
    /// Free text.
    case text
    /// An email address.
    case email
    /// A phone number.
    case phone
    /// A web address.
    case url
    /// A number (integer or decimal).
    case number
    /// A calendar date, `YYYY-MM-DD`.
    case date
    /// A point in time, ISO 8601.
    case datetime
    /// `true` or `false`.
    case boolean
    /// One of a fixed set of options (drop-down, radio, picklist).
    case enumeration = "enum"
    /// Any subset of a fixed set of options (multi-select, checkboxes).
    case set
    /// A postal address (street, city, region, postal code, country).
    case address

    public static func < (lhs: FieldType, rhs: FieldType) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The standard meaning of a field, used to build default mappings between two apps.
public enum StandardRole: String, CaseIterable, Sendable, Codable, Comparable {
    case email
    case firstName = "first_name"
    case lastName = "last_name"
    case fullName = "full_name"
    case phone
    case mobilePhone = "mobile_phone"
    case company
    case jobTitle = "job_title"
    case address
    case website
    case notes
    case birthday

    public static func < (lhs: StandardRole, rhs: StandardRole) -> Bool { lhs.rawValue < rhs.rawValue }
}
