import FleetAgent
import FleetProtocol
import FleetTreeStream
import Foundation
import Glibc
import FleetTestSupport
import Testing

extension AgentIntegration {
    /// Adopt digests the staged layer again, whatever a verification found
    /// before (issue 17): a byte flipped after it, with the file's size and
    /// mtime put back, must not go live.
    @Suite struct AdoptDigest {
        /// Rewrites one byte of `path` in place and puts its mtime back.
        static func flipByte(_ path: String, at offset: off_t) throws {
            var before = stat()
            try #require(stat(path, &before) == 0)
            let fd = open(path, O_RDWR)
            try #require(fd >= 0)
            defer { close(fd) }
            var byte: UInt8 = 0
            try #require(pread(fd, &byte, 1, offset) == 1)
            byte ^= 0x01
            try #require(pwrite(fd, &byte, 1, offset) == 1)
            var times = [before.st_atim, before.st_mtim]
            try #require(futimens(fd, &times) == 0)
            var after = stat()
            try #require(fstat(fd, &after) == 0)
            try #require(after.st_size == before.st_size && after.st_mtim.tv_sec == before.st_mtim.tv_sec
                         && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)
        }

        @Test func aByteFlippedAfterVerifyIsNotAdoptedAndTheUnchangedCopyIs() throws {
            try withTestAgent { t in
                try t.makeGuest("src", start: false)
                let upper = t.agent.paths.guestUpper("src")
                try FileManager.default.createDirectory(atPath: upper + "/data", withIntermediateDirectories: true)
                for i in 0..<20 { try Data(repeating: UInt8(i), count: 4096).write(to: URL(fileURLWithPath: upper + "/data/f\(i)")) }
                defer { t.agent.discardStaging("mv") }
                var sink = MemorySink()
                _ = try t.agent.exportLayer("src", since: nil, to: &sink)
                var stream = MemorySource(sink.bytes)
                _ = try t.agent.importLayer("mv", from: &stream)
                let source = try t.agent.layerDigest("src", staging: false).digest
                // The move's verification: equal, and the staged digests cached.
                #expect(try t.agent.layerDigest("mv", staging: true).digest == source)

                let staged = t.agent.paths.guests + "/.incoming-mv/upper/data/f7"
                try Self.flipByte(staged, at: 100)
                let spec = GuestSpec(name: "mv", template: TestAgent.template)
                do throws(FleetError) {
                    _ = try t.agent.adopt(spec, expectedDigest: source)
                    Issue.record("a staged layer changed after its verification was adopted")
                } catch {
                    #expect(error.message.contains("its staged layer has digest"), "\(error.message)")
                }
                #expect(!t.agent.guests.exists("mv"))
                #expect(FileManager.default.fileExists(atPath: staged), "the staging area went with the refusal")

                // Flipped back (mtime kept again): the same content is adopted.
                try Self.flipByte(staged, at: 100)
                let status = try t.agent.adopt(spec, expectedDigest: source)
                #expect(status.name == "mv" && status.state == .stopped)
                #expect(try t.agent.layerDigest("mv", staging: false).digest == source)
            }
        }

        /// A daemon's socket file in the layer (postfix keeps its own under
        /// /var/spool) is not carried by the stream: the source's digest must
        /// leave it out as the staged copy's does, or the move is never adopted.
        @Test func aLayerHoldingASocketFileIsAdopted() throws {
            try withTestAgent { t in
                try t.makeGuest("sock", start: false)
                let upper = t.agent.paths.guestUpper("sock")
                try FileManager.default.createDirectory(atPath: upper + "/var/spool/postfix/private", withIntermediateDirectories: true)
                try UnixSocketFile.make(at: upper + "/var/spool/postfix/private/smtp")
                try Data("queued\n".utf8).write(to: URL(fileURLWithPath: upper + "/var/spool/postfix/maildrop"))
                defer { t.agent.discardStaging("sockmv") }
                var sink = MemorySink()
                _ = try t.agent.exportLayer("sock", since: nil, to: &sink)
                var stream = MemorySource(sink.bytes)
                _ = try t.agent.importLayer("sockmv", from: &stream)
                let source = try t.agent.layerDigest("sock", staging: false).digest
                let status = try t.agent.adopt(GuestSpec(name: "sockmv", template: TestAgent.template), expectedDigest: source)
                #expect(status.name == "sockmv")
                let adopted = t.agent.paths.guestUpper("sockmv")
                #expect(FileManager.default.fileExists(atPath: adopted + "/var/spool/postfix/maildrop"))
                #expect(!FileManager.default.fileExists(atPath: adopted + "/var/spool/postfix/private/smtp"), "a socket was carried")
            }
        }

        @Test func everyStartBumpsTheGuestsGenerationDurably() throws {
            try withTestAgent { t in
                try t.makeGuest("gen", start: false)
                #expect(try t.agent.status("gen").generation == 0)
                _ = try t.agent.start("gen")
                _ = try t.agent.stop("gen", timeout: 5)
                _ = try t.agent.start("gen")
                _ = try t.agent.stop("gen", timeout: 5)
                #expect(try t.agent.status("gen").generation == 2)
                // In the guest's record on disk, not only in this process.
                #expect(try t.agent.guests.load("gen").generation == 2)
            }
        }
    }
}
