import FleetProtocol
import FleetSystem
import Foundation

/// `vfleet serve`: the controller's long-running process. It serves
/// `/metrics` and runs background loops (`ServeLoop`): the fleet's
/// observation; and, in the leading serve only, finishing operations a
/// dead controller process left in flight, syncing replicas, and
/// reconciling desired and actual state.
public final class FleetService: Sendable {
    public let settings: ServeSettings
    public let metrics: MetricsObserver
    private let loops: [ServeLoop]
    private let listener: HTTPListener
    private let store: FleetStore

    /// Binds the metrics address and starts every loop.
    /// `log` gets one line per event worth an operator's eye (an operation
    /// finished or rolled back on its own).
    public init(controller: Controller, settings: ServeSettings, log: @escaping @Sendable (String) -> Void = { _ in }) throws(FleetError) {
        self.settings = settings
        let metrics = MetricsObserver(controller: controller, hostTimeout: settings.hostTimeout)
        self.metrics = metrics
        do {
            listener = try HTTPListener(address: settings.metricsAddress, connectionTimeout: settings.connectionTimeout) { request in
                guard request.path == "/metrics" else {
                    return HTTPListener.Response(status: 404, body: "vfleet serve: no \(request.path) here; metrics are at /metrics\n")
                }
                return metrics.scrape()
            }
        } catch {
            throw .failed("vfleet serve: \(error) (set VFLEET_METRICS_ADDRESS or --metrics-address to a free HOST:PORT)")
        }
        // With a replicated store only the leading serve resumes and syncs
        // (ServeLeadership); the others stand by, ready to lead.
        let gate = LeaderGate(store: controller.store, log: log)
        var loops = [ServeLoop(name: "observe", interval: settings.interval) { metrics.observe() },
                     // Syncs each replica whose --every is due (each a guest.sync event, failed or not).
                     ServeLoop(name: "replicate", interval: Self.replicationCheckSeconds) { if gate.leads() { _ = controller.syncDueReplicas() } }]
        if let every = settings.resumeInterval {
            let finisher = OrphanedOperationsFinisher(controller: controller, interval: every, log: log)
            loops.append(ServeLoop(name: "resume", interval: every) { if gate.leads() { finisher.run() } })
        }
        if let every = settings.reconcileInterval {
            // Not at once: a serve just started leaves the fleet one
            // interval to settle (an operator's commands, a move resumed).
            loops.append(ServeLoop(name: "reconcile", interval: every, waitFirst: true) {
                guard gate.leads() else { return }
                for a in controller.reconcileOnSchedule() {
                    log("reconcile: \(a.kind.rawValue) guest \(a.guest ?? "-") on \(a.host): \(a.detail)\(a.done ? "" : " (not done)")")
                }
            })
        }
        // Off unless `failover.auto-after` is set; read at each look.
        let autoFailover = AutoFailover(controller: controller)
        loops.append(ServeLoop(name: "auto-failover", interval: AutoFailover.checkSeconds) { if gate.leads() { autoFailover.run(log: log) } })
        self.loops = loops
        store = controller.store
        for loop in loops { loop.start() }
    }

    /// How often the replication loop looks for replicas due a sync.
    static let replicationCheckSeconds = 10.0

    /// The address /metrics is served on (with the port chosen for port 0).
    public var metricsURL: String {
        let host = listener.host.contains(":") ? "[\(listener.host)]" : listener.host
        return "http://\(host):\(listener.port)/metrics"
    }

    /// Stops listening, then the loops; returns the names of loops still
    /// running after `timeout` seconds.
    public func stop(timeout: Double) -> [String] {
        listener.stop()
        let deadline = Monotonic.now + timeout
        let left = loops.filter { !$0.stop(timeout: max(0, deadline - Monotonic.now)) }.map(\.name)
        store.resignLeadership()
        return left
    }
}
