import FleetArchive
import FleetTestSupport
import FleetTree
import Foundation
import Testing

/// Every archive here breaks one template rule; each must be refused with a
/// message naming the offending member, leaving the destination empty even
/// though earlier, valid members were already extracted.
@Suite(.tags(.unit)) struct TarRefusalTests {
    /// Writes valid members first so the refusal has something to clean up,
    /// then the members from `build`, extracts, and checks the outcome.
    private func expectRefusal(
        naming member: String?,
        mentioning phrase: String,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ build: (inout TestTarWriter) -> Void
    ) throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        var writer = TestTarWriter()
        writer.append(name: "./", type: "5", mode: 0o755)
        writer.append(name: "usr/", type: "5", mode: 0o555)
        writer.append(name: "usr/lib/", type: "5", mode: 0o500)
        writer.append(name: "usr/lib/libc.so", content: Array("elf".utf8))
        build(&writer)
        let archive = directory + "/bad.tar"
        try writer.write(to: archive)
        let destination = directory + "/out"
        try TestDirectory.makeDirectory(destination)

        let error = try #require(throws: TreeError.self, sourceLocation: sourceLocation) {
            try TarImporter.extract(archive: archive, into: destination)
        }
        #expect(error.description.hasPrefix("cannot import template archive \(archive): "), sourceLocation: sourceLocation)
        if let member {
            #expect(error.description.contains("\"\(member)\""), "message: \(error)", sourceLocation: sourceLocation)
        }
        #expect(error.description.contains(phrase), "message: \(error)", sourceLocation: sourceLocation)
        #expect(try TestDirectory.isEmpty(destination), "destination not emptied", sourceLocation: sourceLocation)
    }

    // Rule a
    @Test func dotDotComponentIsRefused() throws {
        try expectRefusal(naming: "../etc/passwd", mentioning: "has a \"..\" path component") {
            $0.append(name: "../etc/passwd")
        }
        try expectRefusal(naming: "usr/../../x", mentioning: "has a \"..\" path component") {
            $0.append(name: "usr/../../x")
        }
    }

    // Rule b
    @Test func absolutePathIsRefused() throws {
        try expectRefusal(naming: "/etc/passwd", mentioning: "has an absolute path") {
            $0.append(name: "/etc/passwd")
        }
    }

    // Rule c
    @Test func deviceNodesAreRefused() throws {
        try expectRefusal(naming: "dev/null", mentioning: "/dev is provided by vfleet at start") {
            $0.append(name: "dev/null", type: "3", mode: 0o666, deviceMajor: 1, deviceMinor: 3)
        }
        try expectRefusal(naming: "dev/sda", mentioning: "device nodes are not allowed in a template") {
            $0.append(name: "dev/sda", type: "4", mode: 0o660, deviceMajor: 8, deviceMinor: 0)
        }
    }

    // Rule d
    @Test func hardLinksOutsideTheTreeAreRefused() throws {
        try expectRefusal(naming: "shadow", mentioning: "points outside the tree") {
            $0.append(name: "shadow", type: "1", linkName: "/etc/shadow")
        }
        try expectRefusal(naming: "shadow", mentioning: "points outside the tree") {
            $0.append(name: "shadow", type: "1", linkName: "usr/../../etc/shadow")
        }
        try expectRefusal(naming: "later", mentioning: "is not a regular file extracted earlier") {
            $0.append(name: "later", type: "1", linkName: "usr/lib/missing")
        }
        try expectRefusal(naming: "to-dir", mentioning: "points outside the tree") {
            $0.append(name: "to-dir", type: "1", linkName: "usr/lib")
        }
    }

    // Rule e
    @Test func symlinksClimbingAboveTheRootAreRefused() throws {
        try expectRefusal(naming: "etc/x", mentioning: "points outside the tree") {
            $0.append(name: "etc/x", type: "2", linkName: "../../../etc/shadow")
        }
        try expectRefusal(naming: "x", mentioning: "points outside the tree") {
            $0.append(name: "x", type: "2", linkName: "/../etc")
        }
        try expectRefusal(naming: "usr/lib/y", mentioning: "points outside the tree") {
            $0.append(name: "usr/lib/y", type: "2", linkName: "../../a/../../b")
        }
    }

    @Test func ordinarySymlinksIncludingAbsoluteOnesAreAccepted() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        var writer = TestTarWriter()
        writer.append(name: "bin/sh", type: "2", linkName: "/bin/busybox")
        writer.append(name: "etc/mtab", type: "2", linkName: "/proc/self/mounts")
        writer.append(name: "usr/lib/up", type: "2", linkName: "../../bin/./sh")
        writer.append(name: "dangling", type: "2", linkName: "nowhere/at/all")
        let archive = directory + "/ok.tar"
        try writer.write(to: archive)
        let destination = directory + "/out"
        try TestDirectory.makeDirectory(destination)

        let summary = try TarImporter.extract(archive: archive, into: destination)

        #expect(summary.entries == 4)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: destination + "/bin/sh") == "/bin/busybox")
    }

    // Rule f
    @Test func membersThroughEarlierSymlinksAreRefused() throws {
        try expectRefusal(naming: "a/passwd", mentioning: "goes through the symlink \"a\"") {
            $0.append(name: "a", type: "2", linkName: "/etc")
            $0.append(name: "a/passwd", content: Array("root::0:0::/:/bin/sh\n".utf8))
        }
        try expectRefusal(naming: "lib/evil/x", mentioning: "goes through the symlink \"lib\"") {
            $0.append(name: "lib", type: "2", linkName: "usr/lib")
            $0.append(name: "lib/evil/x", type: "5")
        }
        try expectRefusal(naming: "usr/lib/libc.so/x", mentioning: "to be a directory") {
            $0.append(name: "usr/lib/libc.so/x")
        }
    }

    /// "/" followed by a combining mark is one Swift `Character` but still a
    /// separator to the kernel; path checks must split bytes, not characters.
    @Test func combiningMarksDoNotHideSeparators() throws {
        try expectRefusal(naming: "/\u{301}etc/passwd", mentioning: "has an absolute path") {
            $0.append(name: "/\u{301}etc/passwd")
        }
        try expectRefusal(naming: "a/\u{301}passwd", mentioning: "goes through the symlink \"a\"") {
            $0.append(name: "a", type: "2", linkName: "/etc")
            $0.append(name: "a/\u{301}passwd")
        }
        try expectRefusal(naming: "x/\u{301}/../..", mentioning: "has a \"..\" path component") {
            $0.append(name: "x/\u{301}/../..")
        }
    }

    // Rule g
    @Test func replacingADirectoryWithANonDirectoryIsRefused() throws {
        try expectRefusal(naming: "usr/lib", mentioning: "would replace the directory") {
            $0.append(name: "usr/lib", content: Array("not a dir".utf8))
        }
        try expectRefusal(naming: "usr", mentioning: "would replace the directory") {
            $0.append(name: "usr", type: "2", linkName: "/tmp")
        }
    }

    // Rule h and stream integrity
    @Test func corruptOrMalformedHeadersAreRefused() throws {
        try expectRefusal(naming: "second", mentioning: "bad header checksum") {
            let offset = $0.append(name: "second")
            $0.corrupt(byteAt: offset + 120)
        }
        try expectRefusal(naming: "f\u{FFFD}", mentioning: "not NUL-free UTF-8") {
            $0.appendRaw(name: [UInt8(ascii: "f"), 0xff])
        }
        // The member a pax header describes comes after it, so the header is named by offset.
        try expectRefusal(naming: nil, mentioning: "the pax header at byte 2560 is malformed: the path value contains a NUL byte") {
            $0.appendPax([("path", "nul\u{0}name")])
            $0.append(name: "ignored")
        }
        try expectRefusal(naming: "sparse", mentioning: "sparse") {
            $0.append(name: "sparse", type: "S")
        }
        try expectRefusal(naming: "tape", mentioning: "unsupported type 'M'") {
            $0.append(name: "tape", type: "M")
        }
    }

    @Test func truncatedArchiveIsRefusedAndCleanedUp() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        var writer = TestTarWriter()
        writer.append(name: "dir/", type: "5", mode: 0o500)
        writer.append(name: "dir/big", content: Array(repeating: 1, count: 5000))
        let archive = directory + "/cut.tar"
        try Data(writer.bytes.prefix(512 * 4)).write(to: URL(fileURLWithPath: archive))
        let destination = directory + "/out"
        try TestDirectory.makeDirectory(destination)

        let error = try #require(throws: TreeError.self) {
            try TarImporter.extract(archive: archive, into: destination)
        }
        #expect(error.description.contains("the data of member \"dir/big\""))
        #expect(error.description.contains("truncated"))
        #expect(try TestDirectory.isEmpty(destination))
    }

    @Test func corruptCompressedStreamReportsTheDecompressor() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        var writer = TestTarWriter()
        // Pseudo-random content so the compressed stream is long enough to cut.
        var state: UInt32 = 12345
        let noise = (0..<100_000).map { _ -> UInt8 in
            state = state &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: state >> 16)
        }
        writer.append(name: "a", content: noise)
        let plain = directory + "/a.tar"
        try writer.write(to: plain)
        try Shell.run("gzip -c '\(plain)' | head -c 50000 > '\(plain).gz'")
        let destination = directory + "/out"
        try TestDirectory.makeDirectory(destination)

        let error = try #require(throws: TreeError.self) {
            try TarImporter.extract(archive: plain + ".gz", into: destination)
        }
        #expect(error.description.contains("gzip -dc failed"), "message: \(error)")
        #expect(try TestDirectory.isEmpty(destination))
    }

    @Test func fileThatIsNotATarArchiveIsRefused() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let archive = directory + "/notes.txt"
        try TestDirectory.writeFile(archive, String(repeating: "hello world\n", count: 100))
        let destination = directory + "/out"
        try TestDirectory.makeDirectory(destination)

        let error = try #require(throws: TreeError.self) {
            try TarImporter.extract(archive: archive, into: destination)
        }
        #expect(error.description.contains("not a tar archive"))
    }
}
