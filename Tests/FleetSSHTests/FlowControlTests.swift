import FleetSSH
import FleetTestSupport
import Foundation
import Testing

/// SSH stalls a command whose output nobody reads; these make sure waiting
/// on one stream (or on the exit status) never wedges the other.
@Suite(.tags(.root)) struct FlowControlTests {
    @Test func stderrFloodDoesNotStallStdout() throws {
        try withSSHServer { server in
            let session = try server.connect()
            let channel = try session.exec("head -c 3000000 /dev/zero >&2; echo done")
            #expect(try channel.readLine(timeout: 10) == "done")
            var stderrBytes = 0
            while true {
                let chunk = try channel.readStderr(max: 1 << 20, timeout: 5)
                if chunk.isEmpty { break }
                stderrBytes += chunk.count
            }
            #expect(stderrBytes == 3_000_000)
            #expect(channel.exitStatus(timeout: 5) == 0)
        }
    }

    @Test func exitStatusDoesNotWaitForUnreadOutput() throws {
        try withSSHServer { server in
            let session = try server.connect()
            let channel = try session.exec("head -c 5000000 /dev/zero; echo oops >&2; exit 7")
            #expect(channel.exitStatus(timeout: 10) == 7)
            var stdoutBytes = 0
            while true {
                let chunk = try channel.read(max: 1 << 20, timeout: 5)
                if chunk.isEmpty { break }
                stdoutBytes += chunk.count
            }
            #expect(stdoutBytes == 5_000_000)
            #expect(try channel.readStderr(timeout: 1) == Data("oops\n".utf8))
        }
    }

    @Test func writeToACommandThatNeverReadsTimesOut() throws {
        try withSSHServer { server in
            let session = try SSHSession(
                endpoint: server.endpoint(), options: SSHOptions(policy: .acceptNew, operationTimeout: 1))
            let channel = try session.exec("sleep 30")
            let started = ContinuousClock.now
            #expect {
                try channel.write(Data(repeating: 7, count: 64 << 20))
            } throws: { error in
                let sshError = error as? SSHError
                return sshError?.kind == .timeout && sshError?.message.contains("stdin") == true
            }
            #expect(ContinuousClock.now - started < .seconds(10))
            // The session stays usable for other work.
            #expect(try session.exec("echo alive").readLine(timeout: 5) == "alive")
        }
    }

    @Test func largeReadsKeepStdoutInOrderAcrossBufferedAndDirectPieces() throws {
        try withSSHServer { server in
            let session = try server.connect()
            // stdout in two halves with stderr between them, so reads meet
            // bytes buffered while stderr was drained as well as fresh ones.
            let channel = try session.exec("echo header; seq 1 150000; seq 1 3000 >&2; seq 150001 300000; echo end >&2")
            #expect(try channel.readLine(timeout: 10) == "header")
            var stdout = Data()
            let sizes = [1 << 20, 7, 65_536, 100_003]
            var index = 0
            while true {
                let chunk = try channel.read(max: sizes[index % sizes.count], timeout: 10)
                if chunk.isEmpty { break }
                #expect(chunk.count <= sizes[index % sizes.count])
                stdout.append(chunk)
                index += 1
            }
            let expected = (1...300_000).map(String.init).joined(separator: "\n") + "\n"
            #expect(stdout == Data(expected.utf8))
            var stderr = Data()
            while true {
                let chunk = try channel.readStderr(max: 1 << 20, timeout: 5)
                if chunk.isEmpty { break }
                stderr.append(chunk)
            }
            #expect(stderr == Data(((1...3000).map(String.init) + ["end"]).joined(separator: "\n").utf8 + [10]))
            #expect(channel.exitStatus(timeout: 5) == 0)
        }
    }
}
