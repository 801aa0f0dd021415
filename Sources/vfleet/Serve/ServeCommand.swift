import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import FleetSystem
import Foundation

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the controller's long-running process: /metrics for Prometheus, from a background observation of the fleet.",
        discussion: """
            Serves GET /metrics in the Prometheus text format on --metrics-address (VFLEET_METRICS_ADDRESS, \
            default 127.0.0.1:9464; any other path answers 404). A background loop asks every host's agent \
            every --interval (VFLEET_METRICS_INTERVAL, default 15s), each host within --host-timeout \
            (VFLEET_METRICS_HOST_TIMEOUT, default 5s) plus config ssh.connect-timeout, and refreshes the hosts' \
            stored facts as vfleet inventory does. A scrape answers at once from the last observation, never \
            waiting for a host: vfleet_observation_age_seconds says how old it is and vfleet_host_up which \
            hosts answered. Until the first observation ends, /metrics answers 503.

            Every --resume-interval (VFLEET_RESUME_INTERVAL, default 5s; off turns it off) it looks for \
            operations in flight whose controller process on this machine is gone (a `vfleet guest move` or \
            `host evacuate` killed, a crash, a reboot) and finishes or rolls back each, as `vfleet ops resume` \
            would, logging the outcome and recording it in the events. One that stays in flight (a host still \
            unreachable) is tried again later, at most every 5 minutes. Operations owned by a live process, or \
            (standalone store) by another machine, are left alone.

            Every --reconcile-interval (VFLEET_RECONCILE_INTERVAL, default 1m; off turns it off; the first one \
            an interval after the start) it compares desired and actual state and, when a guest is to be started, \
            stopped or created, reconciles as `vfleet reconcile` would (a fleet.reconcile event; a log line per \
            action). Guests an operation holds, and guests a host runs that the controller does not know, are \
            left alone.

            With a replicated store (VFLEET_STORE=replicated) run it on every controller machine: an owner is \
            gone once its lease in etcd ran out (VFLEET_LEASE_TTL, default 5 s), whichever machine it ran on, \
            and the serves elect a leader through etcd. Only the leader resumes operations, syncs replicas and \
            reconciles; \
            the others serve /metrics and log which controller leads. A stopped leader hands over at once, a \
            killed one after its lease. docs/guide/replicated-store.md.

            Runs in the foreground and logs to standard error; SIGTERM or SIGINT stops it (the listener at \
            once, a running observation within its timeouts). It keeps its own SSH sessions to the hosts \
            (no connection keeper). Under systemd: vfleet-serve.service (the vfleet package ships it, \
            disabled). The metrics and their meanings: docs/guide/controller.md.
            """)

    @OptionGroup var options: ControllerOptions
    @Option(name: .customLong("metrics-address"), help: ArgumentHelp("HOST:PORT to serve /metrics on (default: $VFLEET_METRICS_ADDRESS or 127.0.0.1:9464; port 0 picks a free one).", valueName: "host:port"))
    var metricsAddress: String?
    @Option(help: ArgumentHelp("Time between observations of the fleet (default: $VFLEET_METRICS_INTERVAL or 15s).", valueName: "duration"))
    var interval: String?
    @Option(name: .customLong("host-timeout"), help: ArgumentHelp("How long one host's answer may take in an observation (default: $VFLEET_METRICS_HOST_TIMEOUT or 5s).", valueName: "duration"))
    var hostTimeout: String?
    @Option(name: .customLong("resume-interval"), help: ArgumentHelp("Time between looks for operations a dead controller process left in flight, or off (default: $VFLEET_RESUME_INTERVAL or 5s).", valueName: "duration"))
    var resumeInterval: String?
    @Option(name: .customLong("reconcile-interval"), help: ArgumentHelp("Time between reconciliations of desired and actual state (as `vfleet reconcile`), or off (default: $VFLEET_RECONCILE_INTERVAL or 1m).", valueName: "duration"))
    var reconcileInterval: String?

    func run() throws {
        let settings = try fleet { () throws(FleetError) in
            try ServeSettings.resolve(address: metricsAddress, interval: interval, hostTimeout: hostTimeout, resumeInterval: resumeInterval,
                                      reconcileInterval: reconcileInterval)
        }
        // Before any thread starts, so that every thread inherits the mask
        // and the signals arrive here only.
        StopSignals.block()
        let controller = try options.controller(keeper: false)
        let service = try fleet { () throws(FleetError) in try FleetService(controller: controller, settings: settings) { line in Self.log(line) } }
        log("metrics on \(service.metricsURL) (observing every \(Self.seconds(settings.interval)), host timeout \(Self.seconds(settings.hostTimeout)))"
            + (settings.resumeInterval.map { "; resuming orphaned operations every \(Self.seconds($0))" } ?? "; not resuming orphaned operations")
            + (settings.reconcileInterval.map { "; reconciling every \(Self.seconds($0))" } ?? "; not reconciling"))
        let signal = StopSignals.wait()
        log("\(signal == SIGTERM ? "SIGTERM" : "SIGINT"): stopping")
        let waiting = service.stop(timeout: settings.hostTimeout + controller.settings.connectTimeout + 5)
        if !waiting.isEmpty { log("stopped with \(waiting.joined(separator: ", ")) still running") } else { log("stopped") }
    }

    private static func seconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s))s" : "\(s)s"
    }

    private func log(_ line: String) { Self.log(line) }

    private static func log(_ line: String) {
        FileHandle.standardError.write(Data("vfleet serve: \(line)\n".utf8))
    }
}
