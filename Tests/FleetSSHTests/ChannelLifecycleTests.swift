import FleetSSH
import FleetTestSupport
import Foundation
import Testing

@Suite(.tags(.root)) struct ChannelLifecycleTests {
    @Test func readLineTimesOutOnASleepingCommand() throws {
        try withSSHServer { server in
            let session = try server.connect()
            let channel = try session.exec("sleep 5")
            let started = ContinuousClock.now
            #expect {
                try channel.readLine(timeout: 0.5)
            } throws: { ($0 as? SSHError)?.kind == .timeout }
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= .milliseconds(450))
            #expect(elapsed < .seconds(2))
            #expect(throws: SSHError.self) { try channel.read(timeout: 0) }
            #expect(channel.exitStatus(timeout: 0.2) == nil)
            #expect(!channel.isEOF)
        }
    }

    @Test func partialLineSurvivesATimeout() throws {
        try withSSHServer { server in
            let session = try server.connect()
            let channel = try session.exec("printf 'par'; sleep 1; printf 'tial\\nrest'")
            #expect(throws: SSHError.self) { try channel.readLine(timeout: 0.3) }
            #expect(try channel.readLine(timeout: 5) == "partial")
            #expect(try channel.readLine(timeout: 5) == "rest")
            #expect(try channel.readLine(timeout: 5) == nil)
        }
    }

    @Test func closedSessionAndChannelThrowClosed() throws {
        try withSSHServer { server in
            let session = try server.connect()
            let channel = try session.exec("cat")
            channel.close()
            channel.close()
            #expect {
                try channel.write(Data("x".utf8))
            } throws: { ($0 as? SSHError)?.kind == .closed }

            let other = try session.exec("cat")
            session.close()
            #expect(!session.isConnected)
            #expect {
                try session.exec("true")
            } throws: { ($0 as? SSHError)?.kind == .closed }
            #expect {
                try other.readLine(timeout: 1)
            } throws: { ($0 as? SSHError)?.kind == .closed }
            #expect(other.exitStatus(timeout: 0.1) == nil)
            other.close()
        }
    }

    @Test func lostConnectionIsReportedNotFatal() throws {
        try withSSHServer { server in
            let session = try server.connect()
            let cat = try session.exec("cat")
            // The shell's parent is the sshd process serving this connection.
            _ = try session.exec("kill -9 $PPID")
            #expect {
                _ = try cat.readLine(timeout: 5)
            } throws: { error in
                let kind = (error as? SSHError)?.kind
                return kind == .closed || kind == .channel
            }
            // Writing to the dead connection must fail, not raise SIGPIPE.
            #expect(throws: SSHError.self) {
                for _ in 0..<50 { try cat.write(Data(repeating: 1, count: 65536)) }
            }
            #expect(throws: SSHError.self) { try session.exec("true") }
            #expect(!session.isConnected)
        }
    }

    @Test func channelsOfOneSessionWorkFromSeveralThreads() throws {
        try withSSHServer { server in
            let session = try server.connect()
            let failures = FailureLog()
            let group = DispatchGroup()
            for worker in 0..<4 {
                group.enter()
                Thread.detachNewThread {
                    defer { group.leave() }
                    do {
                        let channel = try session.exec("while read line; do echo \"$line\"; done")
                        for index in 0..<25 {
                            try channel.write(Data("\(worker)-\(index)\n".utf8))
                            let line = try channel.readLine(timeout: 5)
                            if line != "\(worker)-\(index)" { failures.add("worker \(worker) got \(line ?? "EOF")") }
                        }
                        try channel.sendEOF()
                        if channel.exitStatus(timeout: 5) != 0 { failures.add("worker \(worker): bad exit status") }
                    } catch {
                        failures.add("worker \(worker): \(error)")
                    }
                }
            }
            #expect(group.wait(timeout: .now() + 60) == .success)
            #expect(failures.entries.isEmpty, "\(failures.entries)")
        }
    }

    @Test func aWaitingReaderDoesNotStarveASiblingChannel() throws {
        try withSSHServer { server in
            let session = try server.connect()
            let silent = try session.exec("sleep 30")
            let echo = try session.exec("while read line; do echo \"$line\"; done")
            let readerDone = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                _ = try? silent.readLine(timeout: 8)
                readerDone.signal()
            }
            usleep(100_000)
            let started = ContinuousClock.now
            for index in 0..<50 {
                try echo.write(Data("\(index)\n".utf8))
                #expect(try echo.readLine(timeout: 5) == "\(index)")
            }
            // The reader waits without holding the session lock.
            #expect(ContinuousClock.now - started < .seconds(2))
            silent.close()
            #expect(readerDone.wait(timeout: .now() + 10) == .success)
        }
    }
}

/// A host given by name: the session says which address it reached, which
/// a direct transfer needs (agents bind and check numeric addresses).
@Suite(.tags(.root)) struct PeerAddressTests {
    @Test func aSessionToANameKnowsTheNumericAddressItReached() throws {
        try withSSHServer { server in
            var endpoint = server.endpoint()
            endpoint.host = "localhost"
            let session = try SSHSession(endpoint: endpoint, options: SSHOptions(connectTimeout: 5, policy: .acceptNew))
            #expect(session.peerAddress == "127.0.0.1")
            let channel = try session.exec("true")
            #expect(channel.peerAddress == "127.0.0.1")
            session.close()
            #expect(session.peerAddress == nil)
        }
    }
}
