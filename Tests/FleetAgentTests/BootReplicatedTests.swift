@testable import FleetAgent
import FleetProtocol
import Foundation
import Testing

extension AgentIntegration {
    /// `vfleet-agent boot` and replicated guests (docs/ARCHITECTURE.md,
    /// failover): a guest whose replica a sync may have committed is left
    /// to the controller, autostart or not; the others boot as before.
    @Suite struct BootReplicated {
        @Test func bootLeavesAReplicatedGuestToTheController() throws {
            try withTestAgent { t in
                _ = try t.agent.create(GuestSpec(name: "plain1", template: TestAgent.template, autostart: true))
                _ = try t.agent.create(GuestSpec(name: "repl1", template: TestAgent.template, autostart: true))
                try ReplicatedMark(standby: "10.231.9.12", since: Date().timeIntervalSince1970).write(t.agent.paths, "repl1")
                let outcome = t.agent.bootAutostart()
                #expect(outcome.done == ["plain1"])
                #expect(outcome.left == ["repl1"])
                #expect(try t.agent.status("repl1").state == .stopped)
                _ = t.agent.shutdownAll(timeout: 5)
            }
        }
    }
}
