/// What `vfleet host fail HOST` does with each guest placed on HOST: a pure
/// function of the store's rows, so that its rules are tested without hosts.
public enum FailoverDecision: Sendable, Equatable {
    /// Promote the replica on this standby and start the guest there.
    case failover(standby: String)
    /// No replica: the guest stays placed on the failed host, running nowhere.
    case noReplica
    /// A replica exists but cannot be used (the reason says why): as noReplica.
    case unusable(String)
}

public enum FailoverPlan {
    /// Decides for every guest in `placed` (those placed on `host`).
    /// A replica is used only if it has a complete point and its standby is
    /// another host that is active (a failed, evacuating or evacuated standby
    /// is not where a guest should come back; a cordoned one is: cordoning
    /// stops new placements, not a recovery).
    public static func decide(host: String, placed: [String], replicas: [String: StoredReplica],
                              hostStates: [String: StoredHost.State]) -> [(guest: String, decision: FailoverDecision)] {
        placed.sorted().map { guest in
            guard let replica = replicas[guest] else { return (guest, .noReplica) }
            let standby = replica.host
            if standby == host { return (guest, .unusable("its replica is on \(host) itself")) }
            guard replica.point != nil else {
                return (guest, .unusable("its replica on \(standby) has no complete point (the first sync never finished)"))
            }
            guard let state = hostStates[standby] else { return (guest, .unusable("its standby \(standby) is not enrolled")) }
            guard state == .active else { return (guest, .unusable("its standby \(standby) is \(state.rawValue)")) }
            return (guest, .failover(standby: standby))
        }
    }
}
