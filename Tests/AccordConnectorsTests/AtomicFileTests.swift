@testable import AccordConnectors
import Foundation
import Testing

/// `AtomicFile`: a new file appears whole under its name or not at all, and never replaces one;
/// a replacement happens only over the file expected, and keeps its permissions.
@Suite struct AtomicFileTests {
    @Test func aCreatedFileHasItsTextAndVersionAndLeavesNothingElse() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path + "/new.vcf"
        let info = try AtomicFile.create(Array("BEGIN:VCARD\r\nEND:VCARD\r\n".utf8), at: path)
        #expect(try folder.text("new.vcf") == "BEGIN:VCARD\r\nEND:VCARD\r\n")
        #expect(try FileVersion.of(path: path) == FileVersion.of(info))
        #expect(try folder.names() == ["new.vcf"])
    }

    @Test func aCreateDoesNotReplaceAFileOfThatName() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try folder.write("old", to: "taken.vcf")
        #expect(throws: AtomicFile.NameTaken.self) { try AtomicFile.create(Array("new".utf8), at: path) }
        #expect(try folder.text("taken.vcf") == "old")
        #expect(try folder.names() == ["taken.vcf"])
    }

    @Test func aCreateInAMissingDirectoryFailsWithItsPath() throws {
        let path = temporaryDirectory() + "/missing.vcf"
        let error = #expect(throws: ConnectorError.self) { try AtomicFile.create(Array("text".utf8), at: path) }
        #expect(error?.description.contains(path) == true)
    }

    /// A replacement checks, right before it renames, that the file is still the one expected:
    /// not written in place, not replaced by a rename.
    @Test(arguments: ["unchanged", "appended to", "replaced by a rename", "removed"])
    func aReplacementHappensOnlyOverTheFileExpected(_ change: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try folder.write("old\n", to: "file.csv")
        let expected = try #require(FileIdentity.of(path: path))
        switch change {
        case "appended to":
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("theirs\n".utf8))
            try handle.close()
        case "replaced by a rename":
            // Same size and time: only the inode tells.
            let other = try folder.write("new\n", to: "other")
            var info = stat()
            stat(path, &info)
            var times = [info.st_atim, info.st_mtim]
            utimensat(AT_FDCWD, other, &times, 0)
            rename(other, path)
        case "removed":
            unlink(path)
        default:
            break
        }
        if change == "unchanged" {
            try AtomicFile.write(Array("mine\n".utf8), to: path, replacing: expected)
            #expect(try folder.text("file.csv") == "mine\n")
        } else {
            #expect(throws: AtomicFile.TargetChanged.self) { try AtomicFile.write(Array("mine\n".utf8), to: path, replacing: expected) }
            #expect(try folder.names().allSatisfy { !$0.hasSuffix(".tmp") })
            if change != "removed" { #expect(try folder.text("file.csv") != "mine\n") }
        }
    }

    @Test func aReplacementKeepsThePermissions() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try folder.write("old", to: "private.csv")
        chmod(path, 0o600)
        try AtomicFile.write(Array("new".utf8), to: path)
        var info = stat()
        stat(path, &info)
        #expect(info.st_mode & 0o777 == 0o600)
    }

    @Test(arguments: [
        (".a.vcf.123-1.tmp", true), (".a.b.vcf.1-22.tmp", true), ("a.vcf.123-1.tmp", false), (".a.vcf.123-1.tmp~", false),
        (".a.vcf.123.tmp", false), (".a.vcf.x-1.tmp", false), (".123-1.tmp", false), (".a.vcf.-1.tmp", false),
    ])
    func leftoverNames(_ name: String, _ isTemporaryName: Bool) {
        // With a pid that is surely not running (above the kernel's limit).
        let named = name.replacingOccurrences(of: "123-", with: "2147483646-").replacingOccurrences(of: ".1-", with: ".2147483645-")
        #expect(AtomicFile.isLeftover(named) == isTemporaryName, "\(named)")
    }
}

/// `FileVersion.contents`: a whole file, or nothing when it is over the limit.
@Suite struct FileContentsTests {
    @Test(arguments: [0, 1, 4095, 4096, 4097, 100_000])
    func readsWholeFilesUpToTheLimit(_ size: Int) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let path = try folder.write(bytes, to: "f")
        let descriptor = open(path, O_RDONLY)
        defer { close(descriptor) }
        #expect(try FileVersion.contents(of: descriptor, size: size) == bytes)
        #expect(try FileVersion.contents(of: descriptor, size: size, limit: size) == bytes)
        #expect(try FileVersion.contents(of: descriptor, size: 0, limit: size) == bytes)  // grown since the fstat
        if size > 0 { #expect(try FileVersion.contents(of: descriptor, size: size, limit: size - 1) == nil) }
    }
}
