import FleetAgent
import FleetProtocol
import Foundation
import Testing

extension AgentIntegration {
    /// Fencing tokens, through real `vfleet-agent rpc` processes: what a
    /// controller that lost its operation to another may still send is
    /// refused once the agent has seen the newer owner's token.
    @Suite struct Fencing {
        static func fenced<M: AgentMethod>(_ method: M, token: Int64, operation: Int64 = 7) -> FencedParams<M.Params> {
            FleetProtocol.RPC.Fenced(method, fence: Fence(guest: "fence1", token: token, operation: operation)).params
        }

        @Test func anOlderTokenIsRefusedLoggedAndRemembered() throws {
            try withTestAgent { t in
                let old = try RPCClientProcess(root: t.root)
                defer { old.close() }
                let new = try RPCClientProcess(root: t.root)
                defer { new.close() }
                for rpc in [old, new] { #expect(try rpc.call(RPCMethod.hello, HelloParams(client: "test")).error == nil) }
                let spec = GuestSpec(name: "fence1", template: TestAgent.template)
                #expect(try old.call(RPCMethod.guestCreate, Self.fenced(FleetProtocol.RPC.GuestCreate(spec: spec), token: 5)).error == nil)
                // The operation's new owner (another controller's channel).
                let started = try new.call(RPCMethod.guestStart, Self.fenced(FleetProtocol.RPC.GuestStart(name: "fence1"), token: 9, operation: 7))
                #expect(started.error == nil, "\(started.error?.message ?? "")")
                // The old owner's late stop: refused, and the guest runs on.
                let late = try old.call(RPCMethod.guestStop, Self.fenced(FleetProtocol.RPC.GuestStop(name: "fence1", timeoutSeconds: 5), token: 5))
                #expect(late.error?.code == "conflict")
                #expect(late.error?.message.contains("fencing token 5") == true && late.error?.message.contains("seen token 9") == true, "\(late.error?.message ?? "")")
                #expect(try t.agent.status("fence1").state == .running)
                let log = try String(contentsOfFile: t.root + "/fence.log", encoding: .utf8)
                #expect(log.contains("guest.stop refused") && log.contains("fencing token 5"), "\(log)")
                // The token is on disk: a new agent process refuses it too.
                let restarted = try RPCClientProcess(root: t.root)
                defer { restarted.close() }
                #expect(try restarted.call(RPCMethod.hello, HelloParams(client: "test")).error == nil)
                #expect(try restarted.call(RPCMethod.guestDestroy, Self.fenced(FleetProtocol.RPC.GuestDestroy(name: "fence1", force: true), token: 8)).error?.code == "conflict")
                #expect(try t.agent.status("fence1").state == .running)
                // Not a token at all.
                #expect(try restarted.call(RPCMethod.guestStatus, Self.fenced(FleetProtocol.RPC.GuestStatus(name: "fence1"), token: 0)).error?.code == "invalid_argument")
                // The owner's own token (and a newer one) still pass; the
                // method's own params are checked as strictly as ever.
                let stop = try new.call(RPCMethod.guestStop, Self.fenced(FleetProtocol.RPC.GuestStop(name: "fence1", timeoutSeconds: 5), token: 9))
                #expect(stop.error == nil, "\(stop.error?.message ?? "")")
                #expect(try new.sendRaw(#"{"id":90,"method":"guest.status","params":{"name":"fence1","nmae":1,"fence":{"guest":"fence1","token":10,"operation":7}}}"#).error?.message.contains("unknown parameter \"nmae\"") == true)
                #expect(try new.call(RPCMethod.guestDestroy, Self.fenced(FleetProtocol.RPC.GuestDestroy(name: "fence1", force: true), token: 10)).error == nil)
            }
        }
    }
}
