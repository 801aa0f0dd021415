@testable import FleetAgent
import FleetProtocol
import FleetSystem
import Foundation
import Glibc
import Testing

extension AgentIntegration {
    /// The destination's listener of a direct transfer, attacked over
    /// loopback (127.0.0.1 is the source's fleet address, 127.0.0.2 another
    /// host's): only the pinned certificate, from the source's address,
    /// naming the transfer, before the deadline, once, gets anything written.
    @Suite(.serialized) struct DirectTransfer {
        static func newId() -> String { UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }

        func listen(_ t: TestAgent, id: String, source: TransferIdentity, deadline: Double = 10) throws -> TransferListener {
            try t.agent.listenForLayer(TransferListenParams(transfer: id, name: "dst", address: "127.0.0.1", sourceAddress: "127.0.0.1",
                                                            sourceFingerprint: source.hex, deadlineSeconds: deadline))
        }

        func send(_ t: TestAgent, id: String, identity: TransferIdentity, to listener: TransferListener, from: String = "127.0.0.1") throws -> LayerTransfer {
            try t.agent.sendLayer(TransferSendParams(transfer: id, name: "src", address: from, destinationAddress: "127.0.0.1",
                                                     destinationPort: listener.port, destinationFingerprint: listener.identity.hex),
                                  identity: identity, since: nil)
        }

        func makeSource(_ t: TestAgent) throws {
            try t.makeGuest("src", start: false)
            let upper = t.agent.paths.guestUpper("src")
            try FileManager.default.createDirectory(atPath: upper + "/data", withIntermediateDirectories: true)
            for i in 0..<50 { try Data(repeating: UInt8(i), count: 10_000 + i).write(to: URL(fileURLWithPath: upper + "/data/f\(i)")) }
        }

        func log(_ t: TestAgent) -> String { (try? String(contentsOfFile: t.root + "/transfer.log", encoding: .utf8)) ?? "" }
        func staged(_ t: TestAgent) -> Bool { FileManager.default.fileExists(atPath: t.agent.paths.guests + "/.incoming-dst") }

        @Test func theSourceWithThePinnedKeySendsTheLayerIntoStaging() throws {
            try withTestAgent { t in
                try makeSource(t)
                defer { t.agent.discardStaging("dst") }
                let id = Self.newId()
                let key = try TransferIdentity()
                let listener = try listen(t, id: id, source: key)
                #expect(try AgentConfig().transferPortRange().contains(listener.port))
                let sent = try send(t, id: id, identity: key, to: listener)
                let received = try listener.wait(cancel: false).get()
                #expect(sent.stats.fileBytes == received.stats.fileBytes && received.stats.fileBytes > 500_000)
                #expect(try t.agent.layerDigest("dst", staging: true).digest == t.agent.layerDigest("src", staging: false).digest)
                #expect(log(t).contains("transfer \(id): accepted the connection from 127.0.0.1"))
            }
        }

        @Test func anotherKeyIsRefusedAndNothingIsWritten() throws {
            try withTestAgent { t in
                try makeSource(t)
                defer { t.agent.discardStaging("dst") }
                let id = Self.newId()
                let listener = try listen(t, id: id, source: try TransferIdentity(), deadline: 2)
                #expect(throws: FleetError.self) { try send(t, id: id, identity: try TransferIdentity(), to: listener) }
                #expect(throws: FleetError.self) { try listener.wait(cancel: false).get() }
                #expect(!staged(t))
                #expect(log(t).contains("transfer \(id): refused a connection from 127.0.0.1: the peer's certificate is not the one this transfer pinned"))
            }
        }

        @Test func anotherAddressIsRefusedAndNothingIsWritten() throws {
            try withTestAgent { t in
                try makeSource(t)
                defer { t.agent.discardStaging("dst") }
                let id = Self.newId()
                let key = try TransferIdentity()
                let listener = try listen(t, id: id, source: key, deadline: 2)
                #expect(throws: FleetError.self) { try send(t, id: id, identity: key, to: listener, from: "127.0.0.2") }
                #expect(throws: FleetError.self) { try listener.wait(cancel: false).get() }
                #expect(!staged(t))
                #expect(log(t).contains("transfer \(id): refused a connection from 127.0.0.2: not the source's address 127.0.0.1"))
            }
        }

        @Test func anUnknownTransferIdIsRefusedAndNothingIsWritten() throws {
            try withTestAgent { t in
                try makeSource(t)
                defer { t.agent.discardStaging("dst") }
                let id = Self.newId()
                let other = Self.newId()
                let key = try TransferIdentity()
                let listener = try listen(t, id: id, source: key, deadline: 2)
                #expect(throws: FleetError.self) { try send(t, id: other, identity: key, to: listener) }
                #expect(throws: FleetError.self) { try listener.wait(cancel: false).get() }
                #expect(!staged(t))
                #expect(log(t).contains("transfer \(id): refused a connection from 127.0.0.1: it named \"VFT1 \(other)\", not this transfer"))
            }
        }

        @Test func aConnectionAfterTheDeadlineIsRefusedAndNothingIsWritten() throws {
            try withTestAgent { t in
                try makeSource(t)
                defer { t.agent.discardStaging("dst") }
                let id = Self.newId()
                let key = try TransferIdentity()
                let listener = try listen(t, id: id, source: key, deadline: 0.3)
                usleep(800_000)
                #expect(throws: FleetError.self) { try send(t, id: id, identity: key, to: listener) }
                #expect(throws: FleetError.self) { try listener.wait(cancel: false).get() }
                #expect(!staged(t))
                #expect(log(t).contains("transfer \(id): deadline passed with no accepted connection; closed port \(listener.port)"))
            }
        }

        @Test func aSecondConnectionIsRefusedWhileTheFirstIsReceived() throws {
            try withTestAgent { t in
                try makeSource(t)
                defer { t.agent.discardStaging("dst") }
                let id = Self.newId()
                let key = try TransferIdentity()
                let listener = try listen(t, id: id, source: key, deadline: 5)
                // The first connection names the transfer and then sends nothing.
                let fd = try TransferSocket.connect(from: "127.0.0.1", to: "127.0.0.1", port: listener.port, seconds: 2)
                let first = try TransferSession.handshake(fd: fd, identity: key, peer: listener.identity.fingerprint, server: false)
                try first.send(Array((TransferListener.header + id + "\n").utf8))
                for _ in 0..<100 where !log(t).contains("accepted the connection") { usleep(20_000) }
                #expect(throws: FleetError.self) { try send(t, id: id, identity: key, to: listener) }
                first.close()
                #expect(throws: FleetError.self) { try listener.wait(cancel: false).get() }
                #expect(!staged(t))
                #expect(log(t).contains("transfer \(id): refused a connection from 127.0.0.1: a second connection for this transfer"))
            }
        }

        @Test func aListenerCancelledBeforeAConnectionClosesItsPort() throws {
            try withTestAgent { t in
                let listener = try listen(t, id: Self.newId(), source: try TransferIdentity(), deadline: 60)
                #expect(throws: FleetError.self) { try listener.wait(cancel: true).get() }
                #expect(throws: FleetError.self) { _ = try TransferSocket.connect(from: "127.0.0.1", to: "127.0.0.1", port: listener.port, seconds: 1) }
            }
        }

        /// transfer.wait answers when the outcome is in, not at the accept
        /// loop's next poll timeout (200 ms, which a move paid twice):
        /// ten cancelled listeners answer in well under one such timeout each.
        @Test func aListenerAnswersItsWaitWithoutWaitingForItsPollTimeout() throws {
            try withTestAgent { t in
                var waited = 0.0
                for _ in 0..<10 {
                    let listener = try listen(t, id: Self.newId(), source: try TransferIdentity(), deadline: 60)
                    // The loop is in its poll by then (before it, it sees a cancel at once).
                    usleep(50_000)
                    let started = Monotonic.now
                    #expect(throws: FleetError.self) { try listener.wait(cancel: true).get() }
                    waited += Monotonic.now - started
                }
                #expect(waited < 0.5, "10 cancelled waits took \(waited) s")
            }
        }
    }
}

@Suite struct TransferPortsConfig {
    @Test func aRangeThatIsNotLowToHighIsRefusedWhenTheConfigIsRead() throws {
        let root = "/var/tmp/vfleet-test-ports-\(UUID().uuidString.prefix(8).lowercased())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for bad in ["7479-7440", "7440", "0-10", "7440-70000", "a-b"] {
            try Data("{\"transferPorts\": \"\(bad)\"}".utf8).write(to: URL(fileURLWithPath: root + "/agent.json"))
            #expect(throws: FleetError.self) { _ = try AgentConfig.load(paths: AgentPaths(root: root)) }
        }
        try Data("{\"transferPorts\": \"9000-9001\"}".utf8).write(to: URL(fileURLWithPath: root + "/agent.json"))
        #expect(try AgentConfig.load(paths: AgentPaths(root: root)).transferPortRange() == 9000...9001)
        // Left out: the documented default.
        try Data("{}".utf8).write(to: URL(fileURLWithPath: root + "/agent.json"))
        #expect(try AgentConfig.load(paths: AgentPaths(root: root)).transferPortRange() == 7440...7479)
    }
}
