import FleetProtocol

extension Controller {
    /// `vfleet serve`'s reconcile loop: a look first (a dry run); only when
    /// a guest is to be started, stopped or created does it reconcile for
    /// real, with its `fleet.reconcile` event, so a fleet in order costs one
    /// hello per host and writes nothing. Returns what was done or failed.
    public func reconcileOnSchedule() -> [ReconcileAction] {
        let work: Set<ReconcileAction.Kind> = [.start, .stop, .create]
        guard let planned = try? reconcileHosts(dryRun: true), planned.contains(where: { work.contains($0.kind) }) else { return [] }
        guard let actions = try? reconcile(dryRun: false) else { return [] }
        return actions.filter { $0.done || $0.kind == .failed }
    }
}
