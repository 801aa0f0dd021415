import FleetProtocol

extension Agent {
    /// The limits a guest runs with: its own, and agent.json's pids limit
    /// where it set none. Applied at start, not stored in the guest's spec,
    /// so that the controller's record of the guest stays what it asked for.
    func limitsWithDefaults(_ limits: GuestLimits) -> GuestLimits {
        var l = limits
        if l.pids == nil && config.defaultPids > 0 { l.pids = config.defaultPids }
        return l
    }
}
