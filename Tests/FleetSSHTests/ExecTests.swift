import FleetSSH
import FleetTestSupport
import Foundation
import Testing

@Suite(.tags(.root)) struct ExecTests {
    @Test func echoHelloAndExitStatusZero() throws {
        try withSSHServer { server in
            let session = try server.connect()
            #expect(session.isConnected)
            #expect(session.hostKeyFingerprint == (try server.hostKeyFingerprint()))
            let channel = try session.exec("echo hello")
            #expect(try channel.readLine(timeout: 5) == "hello")
            #expect(try channel.readLine(timeout: 5) == nil)
            #expect(channel.isEOF)
            #expect(channel.exitStatus(timeout: 5) == 0)
        }
    }

    @Test func exitStatusOfAFailingCommand() throws {
        try withSSHServer { server in
            let session = try server.connect()
            let channel = try session.exec("exit 3")
            #expect(channel.exitStatus(timeout: 5) == 3)
            #expect(try channel.read(timeout: 5) == Data())
        }
    }

    @Test func readsAOneMegabyteLineThenTheNext() throws {
        try withSSHServer { server in
            let session = try server.connect()
            let channel = try session.exec("head -c 1048576 /dev/zero | tr '\\0' 'a'; echo; echo after")
            let line = try #require(try channel.readLine(timeout: 10))
            #expect(line.utf8.count == 1_048_576)
            #expect(line.utf8.allSatisfy { $0 == UInt8(ascii: "a") })
            #expect(try channel.readLine(timeout: 5) == "after")
            #expect(try channel.readLine(timeout: 5) == nil)
        }
    }

    @Test func stdinRoundTripThroughCat() throws {
        try withSSHServer { server in
            let session = try server.connect()
            let channel = try session.exec("cat")
            // Far more than both flow-control windows and the pipes between
            // could hold if nobody drained the echo while writing.
            let payload = Data((0..<8_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
            // Written in one go: while the window is shut, write buffers what
            // cat echoes back, so cat never blocks and neither do we.
            try channel.write(payload)
            var echoed = Data()
            try channel.sendEOF()
            while true {
                let chunk = try channel.read(max: 1 << 20, timeout: 10)
                if chunk.isEmpty { break }
                echoed.append(chunk)
            }
            #expect(echoed == payload)
            #expect(channel.exitStatus(timeout: 5) == 0)
            #expect(throws: SSHError.self) { try channel.write(Data("late".utf8)) }
        }
    }

    @Test func lineProtocolRoundTrips() throws {
        try withSSHServer { server in
            let session = try server.connect()
            let channel = try session.exec("while read line; do echo \"got $line\"; done")
            for index in 0..<50 {
                try channel.write(Data("request \(index)\n".utf8))
                #expect(try channel.readLine(timeout: 5) == "got request \(index)")
            }
            try channel.sendEOF()
            #expect(try channel.readLine(timeout: 5) == nil)
            #expect(channel.exitStatus(timeout: 5) == 0)
        }
    }

    @Test func stderrIsSeparateFromStdout() throws {
        try withSSHServer { server in
            let session = try server.connect()
            let channel = try session.exec("echo out; echo err >&2; exit 4")
            #expect(try channel.readLine(timeout: 5) == "out")
            #expect(channel.exitStatus(timeout: 5) == 4)
            #expect(String(decoding: try channel.readStderr(timeout: 5), as: UTF8.self) == "err\n")
            #expect(try channel.readStderr(timeout: 5) == Data())
        }
    }

    @Test func oneSessionRunsManySequentialCommands() throws {
        try withSSHServer { server in
            let session = try server.connect()
            for index in 0..<20 {
                let channel = try session.exec("echo \(index)")
                #expect(try channel.readLine(timeout: 5) == "\(index)")
                #expect(channel.exitStatus(timeout: 5) == 0)
                channel.close()
            }
            // Channels dropped without close() are closed by deinit.
            for index in 0..<15 {
                #expect(try session.exec("echo again \(index)").readLine(timeout: 5) == "again \(index)")
            }
            #expect(session.isConnected)
        }
    }

    @Test func forcedCommandReplacesTheRequestedOne() throws {
        try withSSHServer { server in
            let key = try server.clientPublicKeyLine()
            try server.authorize([
                "command=\"echo forced\",no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding \(key)"
            ])
            let session = try server.connect()
            let channel = try session.exec("echo hello")
            #expect(try channel.readLine(timeout: 5) == "forced")
            #expect(try channel.readLine(timeout: 5) == nil)
            #expect(channel.exitStatus(timeout: 5) == 0)
        }
    }

    /// Not a benchmark: records what a connect and a command round trip
    /// cost on loopback, and guards against gross regressions (e.g. Nagle).
    @Test func connectAndRoundTripAreFast() throws {
        try withSSHServer { server in
            _ = try server.connect()  // records the host key
            let clock = ContinuousClock()
            var session: SSHSession?
            let connect = try clock.measure { session = try server.connect(policy: .strict) }
            let channel = try #require(session).exec("while read line; do echo \"$line\"; done")
            try channel.write(Data("warm-up\n".utf8))
            _ = try channel.readLine(timeout: 5)
            let rounds = 50
            let roundTrips = try clock.measure {
                for index in 0..<rounds {
                    try channel.write(Data("\(index)\n".utf8))
                    _ = try channel.readLine(timeout: 5)
                }
            }
            let perRound = roundTrips / rounds
            let exec = try clock.measure {
                let once = try #require(session).exec("true")
                _ = once.exitStatus(timeout: 5)
            }
            print("FleetSSH timing: connect+auth \(connect), exec+exit \(exec), line round trip \(perRound)")
            #expect(perRound < .milliseconds(30))
        }
    }
}
