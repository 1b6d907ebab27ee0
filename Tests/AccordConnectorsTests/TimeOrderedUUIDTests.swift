@testable import AccordConnectors
import Foundation
import Testing

@Suite struct TimeOrderedUUIDTests {
    @Test func idsAreVersion7UUIDsThatIncrease() throws {
        let ids = (0..<1000).map { _ in TimeOrderedUUID.next() }
        #expect(ids == ids.sorted() && Set(ids).count == ids.count)
        for id in ids {
            let uuid = try #require(UUID(uuidString: id))
            #expect(uuid.uuidString.lowercased() == id)
            #expect(id.utf8.count == 36 && Array(id)[14] == "7" && "89ab".contains(Array(id)[19]))
        }
        // The first 48 bits are the time in milliseconds.
        let milliseconds = try #require(UInt64(ids[0].prefix(8) + ids[0].dropFirst(9).prefix(4), radix: 16))
        #expect(abs(Double(milliseconds) / 1000 - Date().timeIntervalSince1970) < 60)
    }

    @Test func theFormatPlacesEveryDigit() {
        #expect(TimeOrderedUUID.format(0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210) == "01234567-89ab-cdef-fedc-ba9876543210")
    }
}
