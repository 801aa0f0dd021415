@testable import FleetAgent
import FleetProtocol
import FleetTree
import Foundation
import Glibc
import Testing

extension AgentIntegration {
    /// A template as the payload of a direct transfer, over loopback (one
    /// agent sends its template "bb" and receives it under another name):
    /// the tree is installed only if it passes a template import's checks and
    /// has the digest the controller named; otherwise nothing of it stays.
    @Suite(.serialized) struct DirectTemplateTransfer {
        func listen(_ t: TestAgent, id: String, source: TransferIdentity, name: String = "bb2", digest: String) throws -> TransferListener {
            try t.agent.listenForTemplate(TransferListenTemplateParams(transfer: id, name: name, digest: digest, address: "127.0.0.1",
                                                                       sourceAddress: "127.0.0.1", sourceFingerprint: source.hex, deadlineSeconds: 10))
        }

        func send(_ t: TestAgent, id: String, identity: TransferIdentity, to listener: TransferListener, digest: String) throws -> LayerTransfer {
            try t.agent.sendTemplate(TransferSendTemplateParams(transfer: id, name: TestAgent.template, digest: digest, address: "127.0.0.1",
                                                                destinationAddress: "127.0.0.1", destinationPort: listener.port,
                                                                destinationFingerprint: listener.identity.hex), identity: identity)
        }

        /// What the templates directory holds besides the test's own template.
        func leftovers(_ t: TestAgent) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: t.agent.paths.templates)) ?? []).filter { $0 != TestAgent.template }.sorted()
        }

        @Test func theTemplateArrivesWithTheSendersDigest() throws {
            try withTestAgent { t in
                let original = try t.agent.templates.info(TestAgent.template)
                let id = DirectTransfer.newId()
                let key = try TransferIdentity()
                let listener = try listen(t, id: id, source: key, digest: original.digest)
                let sent = try send(t, id: id, identity: key, to: listener, digest: original.digest)
                let received = try listener.wait(cancel: false).get()
                let info = try #require(received.template)
                #expect(info.name == "bb2" && info.digest == original.digest && info.fileCount == original.fileCount)
                #expect(sent.stats.fileBytes == received.stats.fileBytes && sent.stats.fileBytes > 500_000)
                #expect(info.source == "transfer:127.0.0.1")
                // Digested again from the installed tree, not from the manifest.
                #expect(try TreeDigester.digest(root: t.agent.paths.templateRootfs("bb2")).digest == original.digest)
                #expect(leftovers(t) == ["bb2"])
                // A guest can use it.
                try t.makeGuest("on-bb2", template: "bb2", start: false)
            }
        }

        @Test func aTreeWithAnotherDigestThanTheControllersIsNotInstalled() throws {
            try withTestAgent { t in
                let original = try t.agent.templates.info(TestAgent.template)
                let id = DirectTransfer.newId()
                let key = try TransferIdentity()
                // The controller named another digest: what arrives is not it.
                let listener = try listen(t, id: id, source: key, digest: String(repeating: "0", count: 64))
                _ = try send(t, id: id, identity: key, to: listener, digest: original.digest)
                #expect(throws: FleetError.self) { try listener.wait(cancel: false).get() }
                do throws(FleetError) {
                    _ = try listener.wait(cancel: false).get()
                } catch {
                    #expect(error.message.contains("arrived with digest \(original.digest.prefix(12)), expected 000000000000"), "\(error.message)")
                }
                #expect(!t.agent.templates.exists("bb2"))
                #expect(leftovers(t) == [], "a half template stayed: \(leftovers(t))")
            }
        }

        @Test func aTreeWithADeviceNodeIsRefusedAsATemplateEvenWithItsDigest() throws {
            try withTestAgent { t in
                // A guest layer with an overlay whiteout (a character device
                // 0:0): the tree stream carries it, a template may not hold it.
                try t.makeGuest("wsrc", start: false)
                let upper = t.agent.paths.guestUpper("wsrc")
                try Data("x".utf8).write(to: URL(fileURLWithPath: upper + "/file"))
                #expect(mknod(upper + "/gone", S_IFCHR | 0o600, 0) == 0)
                let digest = try TreeDigester.digest(root: upper).digest
                let id = DirectTransfer.newId()
                let key = try TransferIdentity()
                let listener = try listen(t, id: id, source: key, digest: digest)
                _ = try t.agent.sendLayer(TransferSendParams(transfer: id, name: "wsrc", address: "127.0.0.1", destinationAddress: "127.0.0.1",
                                                             destinationPort: listener.port, destinationFingerprint: listener.identity.hex),
                                          identity: key, since: nil)
                do throws(FleetError) {
                    _ = try listener.wait(cancel: false).get()
                    Issue.record("a tree with a device node was installed as a template")
                } catch {
                    #expect(error.message.contains("device node"), "\(error.message)")
                }
                #expect(!t.agent.templates.exists("bb2"))
                #expect(leftovers(t) == [], "a half template stayed: \(leftovers(t))")
            }
        }

        @Test func aSenderWhoseCopyHasAnotherDigestSendsNothing() throws {
            try withTestAgent { t in
                let id = DirectTransfer.newId()
                let key = try TransferIdentity()
                let other = String(repeating: "a", count: 64)
                let listener = try listen(t, id: id, source: key, digest: other)
                do {
                    _ = try send(t, id: id, identity: key, to: listener, digest: other)
                    Issue.record("a template was sent under a digest it does not have")
                } catch let error as FleetError {
                    #expect(error.code == .conflict, "\(error.message)")
                }
                #expect(throws: FleetError.self) { try listener.wait(cancel: true).get() }
                #expect(!log(t).contains("transfer \(id): accepted"))
                #expect(leftovers(t) == [])
            }
        }

        @Test func anotherKeyIsRefusedAndNoTemplateIsWritten() throws {
            try withTestAgent { t in
                let original = try t.agent.templates.info(TestAgent.template)
                let id = DirectTransfer.newId()
                let listener = try listen(t, id: id, source: try TransferIdentity(), digest: original.digest)
                #expect(throws: FleetError.self) { try send(t, id: id, identity: try TransferIdentity(), to: listener, digest: original.digest) }
                #expect(throws: FleetError.self) { try listener.wait(cancel: true).get() }
                #expect(leftovers(t) == [])
                #expect(log(t).contains("transfer \(id): refused a connection from 127.0.0.1: the peer's certificate is not the one this transfer pinned"))
            }
        }

        @Test func twoTransfersOfTheSameTemplateAtOnceInstallItOnceAndTheOtherIsAConflict() throws {
            try withTestAgent { t in
                let original = try t.agent.templates.info(TestAgent.template)
                let pairs = try (0..<2).map { _ in
                    let (id, key) = (DirectTransfer.newId(), try TransferIdentity())
                    return (id, key, try listen(t, id: id, source: key, digest: original.digest))
                }
                let done = DispatchGroup()
                for (id, key, listener) in pairs {
                    let sender = Thread { _ = try? send(t, id: id, identity: key, to: listener, digest: original.digest); done.leave() }
                    done.enter()
                    sender.start()
                }
                done.wait()
                let outcomes = pairs.map { $0.2.wait(cancel: false) }
                let installed = outcomes.compactMap { try? $0.get().template }
                #expect(installed.count == 1 && installed.first?.digest == original.digest)
                let refused = outcomes.compactMap { if case .failure(let e) = $0 { return e } else { return nil } }
                #expect(refused.count == 1 && refused.first?.code == .conflict, "\(refused.map(\.message))")
                #expect(leftovers(t) == ["bb2"], "\(leftovers(t))")
            }
        }

        @Test func aHostThatHasTheTemplateDoesNotListen() throws {
            try withTestAgent { t in
                let original = try t.agent.templates.info(TestAgent.template)
                #expect(throws: FleetError.self) {
                    _ = try listen(t, id: DirectTransfer.newId(), source: try TransferIdentity(), name: TestAgent.template, digest: original.digest)
                }
                #expect(throws: FleetError.self) {
                    _ = try listen(t, id: DirectTransfer.newId(), source: try TransferIdentity(), digest: "not-a-digest")
                }
            }
        }

        func log(_ t: TestAgent) -> String { (try? String(contentsOfFile: t.root + "/transfer.log", encoding: .utf8)) ?? "" }
    }
}
