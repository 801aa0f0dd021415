import FleetTestSupport
import FleetTree
import Foundation
import Testing

@Suite(.tags(.unit)) struct SHA256HasherTests {
    @Test func knownVectors() {
        var empty = SHA256Hasher()
        empty.update([UInt8]())
        #expect(empty.finalizeHex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")

        var abc = SHA256Hasher()
        abc.update(Array("abc".utf8))
        #expect(abc.finalizeHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func incrementalAndNonContiguousInputsMatchOneShot() {
        let message = Array("The quick brown fox jumps over the lazy dog".utf8)
        var whole = SHA256Hasher()
        message.withUnsafeBytes { whole.update($0) }

        var pieces = SHA256Hasher()
        pieces.update(message[0..<10])
        // A lazy collection has no contiguous storage, exercising the copying path.
        pieces.update(message[10...].lazy.map { $0 })

        let expected = "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"
        #expect(whole.finalizeHex() == expected)
        #expect(pieces.finalizeHex() == expected)
    }

    @Test func fileDigestMatchesSha256sumAcrossBufferBoundaries() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let path = directory + "/big"
        // 2.5 MiB: more than two reads of the 1 MiB buffer.
        let bytes = (0..<(5 << 19)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try TestDirectory.writeFile(path, bytes)

        let expected = try Shell.run("sha256sum '\(path)'").split(separator: " ")[0]
        #expect(try SHA256Hasher.hexDigest(ofFileAt: path) == String(expected))
    }

    @Test func missingFileErrorNamesThePath() throws {
        let error = try #require(throws: TreeError.self) {
            try SHA256Hasher.hexDigest(ofFileAt: "/nonexistent/vfleet-file")
        }
        #expect(error.description.contains("/nonexistent/vfleet-file"))
        #expect(error.errnoCode == ENOENT)
    }
}
