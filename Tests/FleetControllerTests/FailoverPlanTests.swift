@testable import FleetController
import FleetProtocol
import Testing

/// Which guests `host fail` brings back where (FailoverPlan) and which
/// copies `host reclaim` deletes (ReclaimPlan): pure decisions.
@Suite(.tags(.unit)) struct FailoverPlanTests {
    static func replica(_ guest: String, on host: String, point: Int? = 3) -> StoredReplica {
        var r = StoredReplica(guest: guest, host: host, everySeconds: 60, createdAt: 0)
        r.point = point
        return r
    }

    @Test func aGuestWithACompletePointOnAnActiveStandbyFailsOverThere() {
        let plan = FailoverPlan.decide(host: "h1", placed: ["b", "a"], replicas: ["a": Self.replica("a", on: "h2"), "b": Self.replica("b", on: "h3")],
                                       hostStates: ["h1": .failed, "h2": .active, "h3": .active])
        #expect(plan.map(\.guest) == ["a", "b"])
        #expect(plan.map(\.decision) == [.failover(standby: "h2"), .failover(standby: "h3")])
    }

    @Test func guestsWithoutAUsableReplicaStay() {
        let replicas = ["nopoint": Self.replica("nopoint", on: "h2", point: nil), "self": Self.replica("self", on: "h1"),
                        "gone": Self.replica("gone", on: "h9"), "down": Self.replica("down", on: "h3"), "evac": Self.replica("evac", on: "h4")]
        let plan = Dictionary(uniqueKeysWithValues: FailoverPlan.decide(
            host: "h1", placed: ["none", "nopoint", "self", "gone", "down", "evac"], replicas: replicas,
            hostStates: ["h1": .failed, "h2": .active, "h3": .failed, "h4": .evacuated]).map { ($0.guest, $0.decision) })
        #expect(plan["none"] == FailoverDecision.noReplica)
        for guest in ["nopoint", "self", "gone", "down", "evac"] {
            guard case .unusable? = plan[guest] else {
                Issue.record("\(guest): \(String(describing: plan[guest]))")
                continue
            }
        }
    }

    static func status(_ name: String, _ state: GuestState) -> GuestStatus {
        GuestStatus(name: name, template: "busybox", state: state, contextId: 100, limits: GuestLimits(), autostart: false, network: .none, capabilities: [])
    }

    @Test func reclaimDeletesOnlyCopiesAFailoverPlacedElsewhere() {
        let holds = [Self.status("moved", .running), Self.status("stopped", .stopped), Self.status("stays", .running),
                     Self.status("unknown", .stopped), Self.status("kept-source", .stopped)]
        let placements = ["moved": "h2", "stopped": "h3", "stays": "h1", "kept-source": "h2"]
        let stale = ReclaimPlan.stale(on: "h1", holds: holds, placements: placements, failedOver: ["moved", "stopped", "stays"])
        #expect(stale == [.init(guest: "moved", placedOn: "h2", running: true), .init(guest: "stopped", placedOn: "h3", running: false)])
    }
}

/// ReclaimPlan.staleReplicas: the replica directories `host reclaim` deletes.
@Suite(.tags(.unit)) struct StaleReplicaPlanTests {
    @Test func onlyReplicasTheStoreNoLongerKeepsThereAreStale() {
        let stale = ReclaimPlan.staleReplicas(on: "h1", holds: ["moved", "kept", "dropped"],
                                              replicaHosts: ["moved": "h2", "kept": "h1", "other": "h3"])
        #expect(stale == ["dropped", "moved"])
    }
}
