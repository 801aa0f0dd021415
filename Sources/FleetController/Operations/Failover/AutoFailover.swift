import FleetProtocol
import FleetSystem
import Foundation
import Synchronization

/// `vfleet serve`'s auto-failover (setting `failover.auto-after`, off by
/// default): the leader asks every host that is not failed for a hello
/// every `checkSeconds`; a host with replicated guests that has not
/// answered for the set time gets `host fail` (whose own alive check asks
/// once more), unless this controller reaches no majority of the hosts
/// (AutoFailoverClock). The setting is read from the store at each look,
/// so `vfleet config set` takes effect without restarting serve.
public final class AutoFailover: Sendable {
    public static let checkSeconds = 5.0
    private let controller: Controller
    private let clock = Mutex(AutoFailoverClock())

    public init(controller: Controller) { self.controller = controller }

    /// The setting as stored now (nil: off, also when unreadable).
    func after() -> Double? {
        guard let value = try? controller.store.setting("failover.auto-after") else { return nil }
        var s = controller.settings
        guard (try? s.set("failover.auto-after", value)) != nil else { return nil }
        return s.autoFailoverSeconds
    }

    /// One look; answers the reports of the hosts it failed.
    @discardableResult
    public func run(now: Double = Monotonic.now, log: (String) -> Void = { _ in }) -> [Controller.HostFailReport] {
        guard let after = after() else {
            clock.withLock { $0 = AutoFailoverClock() }
            return []
        }
        // An evacuated host may be powered off for maintenance: not asked, not counted.
        guard let hosts = try? controller.store.hosts().filter({ $0.state != .failed && $0.state != .evacuated }), !hosts.isEmpty else { return [] }
        let answers = controller.agents.greet(hosts, maxParallel: controller.settings.maxParallelHosts, timeout: controller.settings.connectTimeout)
        var reachable = Set<String>(), unreachable = Set<String>()
        for (host, answer) in zip(hosts, answers) {
            if case .success = answer { reachable.insert(host.name) } else { unreachable.insert(host.name) }
        }
        let (due, majority, since) = clock.withLock { c in
            c.observe(reachable: reachable, unreachable: unreachable, now: now)
            return (c.due(after: after, now: now), c.hasMajority, c.unreachableSince)
        }
        if !unreachable.isEmpty && !majority {
            log("auto-failover: \(unreachable.count) of \(hosts.count) hosts unreachable from here: no majority, nothing failed over")
        }
        let replicated = Set(((try? controller.store.replicas()) ?? []).map(\.guest))
        let placements = (try? controller.store.placements()) ?? []
        var reports: [Controller.HostFailReport] = []
        for name in due where placements.contains(where: { $0.host == name && replicated.contains($0.guest) }) {
            let seconds = Int(now - (since[name] ?? now))
            log("auto-failover: host \(name) unreachable for \(seconds) s: host fail")
            do throws(FleetError) {
                let report = try controller.failHost(name, reason: "auto-failover: unreachable for \(seconds) s", force: false)
                for f in report.failovers {
                    log("auto-failover: guest \(f.guest) → \(f.standby): " + (f.error.map { "failed: \($0)" } ?? "point \(f.point ?? 0), \(f.started ? "running" : "not started")"))
                }
                reports.append(report)
            } catch {
                log("auto-failover: host fail \(name) refused: \(error.message)")
            }
            clock.withLock { $0.forget(name) }
        }
        return reports
    }
}
