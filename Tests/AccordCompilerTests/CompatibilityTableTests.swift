import AccordChecker
import AccordModel
import Testing

@Suite struct CompatibilityTableTests {
    @Test(arguments: FieldType.allCases)
    func sameTypeIsAllowedBothWays(_ type: FieldType) {
        let conversion = CompatibilityTable.conversion(from: type, into: type)
        if type == .enumeration || type == .set {
            #expect(conversion == .needsValueMap)
        } else {
            #expect(conversion == .allowed(.identity))
        }
    }

    @Test(arguments: [FieldType.number, .date, .datetime, .boolean, .enumeration, .set, .email, .phone, .url, .address])
    func everythingFormatsAsTextButNotBack(_ type: FieldType) {
        #expect(CompatibilityTable.conversion(from: type, into: .text) == .allowed(.formatAsText(type)))
        if case .forbidden = CompatibilityTable.conversion(from: .text, into: type) {} else {
            Issue.record("text should not be writable into \(type)")
        }
    }

    @Test(arguments: [(FieldType.number, FieldType.boolean), (.boolean, .number), (.number, .date), (.date, .number), (.phone, .email)])
    func unrelatedTypesAreForbidden(_ source: FieldType, _ target: FieldType) {
        if case .forbidden = CompatibilityTable.conversion(from: source, into: target) {} else {
            Issue.record("\(source) → \(target) should be forbidden")
        }
    }

    @Test func datesAndDateTimesConvertBothWays() {
        #expect(CompatibilityTable.conversion(from: .date, into: .datetime) == .allowed(.dateToDatetime))
        #expect(CompatibilityTable.conversion(from: .datetime, into: .date) == .allowed(.datetimeToDate))
    }

    @Test func tableCoversEveryPair() {
        #expect(CompatibilityTable.rows.count == FieldType.allCases.count * FieldType.allCases.count)
    }
}
