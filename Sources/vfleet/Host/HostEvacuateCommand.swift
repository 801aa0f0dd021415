import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct HostEvacuateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evacuate",
        abstract: "Move every guest off one or more hosts for maintenance; the hosts end evacuated.",
        discussion: """
            Several hosts (a rack) are drained at once, `vfleet host evacuate r1-h1 r1-h2 r1-h3`: all of them are marked \
            evacuating before anything is planned, and no guest of one is placed on another of them, so each guest moves \
            once. Naming a host twice, an unknown host, or every host of the fleet (unless --action stop) is refused \
            before anything changes. The plan (each guest's destination, or why it fits nowhere) is printed first. \
            Without --allow-partial nothing starts when a guest fits nowhere; with it, such guests are stopped in place. \
            --max-parallel counts the moves of all the hosts together. `host restore H` brings back the guests of H, \
            one host at a time. Replicas the hosts keep for guests elsewhere (`guest replicate`) move to other standbys \
            after the moves: each gets a full sync there, and its old copy is dropped only once that sync is whole. \
            A guest moved onto its own standby gets a new standby the same way. A move waits for a sync of its guest \
            that is running to end.
            """)
    @OptionGroup var options: ChangeOptions
    @OptionGroup var moveTransport: MoveTransportOption
    @Argument(help: "The hosts to empty (one or more).") var names: [String]
    @Flag(name: .customLong("dry-run"), help: "Print the plan only.") var dryRun = false
    @Option(name: .customLong("max-parallel"), help: "Moves at once, across all the hosts.") var maxParallel: Int = 1
    @Option(help: "migrate (default) or stop (stop every guest in place).") var action: Controller.EvacuationAction = .migrate
    @Flag(name: .customLong("allow-partial"), help: "Stop guests that fit nowhere instead of refusing.") var allowPartial = false
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        moveTransport.apply(to: controller)
        let printer = ProgressPrinter()
        let report = try fleet { () throws(FleetError) in
            try controller.evacuate(names, dryRun: dryRun, maxParallel: maxParallel, action: action, allowPartial: allowPartial,
                                    planned: { plan in
                                        guard format == .table else { return }
                                        show(plan, title: "plan")
                                        // Progress goes to unbuffered stderr: in a log
                                        // or a pipe the plan must reach it first.
                                        fflush(nil)
                                    },
                                    progress: printer.callback())
        }
        if format == .json { return printJSON(report) }
        show(report, title: dryRun ? "plan" : "result")
        if report.moves.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }

    func show(_ r: Controller.EvacuationReport, title: String) {
        let several = r.hosts.count > 1
        let hosts = r.hosts.map(\.name).joined(separator: ", ")
        print("\(title) for \(several ? "hosts" : "host") \(hosts):")
        for m in r.moves {
            // With several hosts each line says which one the guest leaves.
            var line = "  move \(m.guest)" + (several ? " from \(m.source ?? "?")" : "") + " → \(m.destination)"
            if let d = m.downtimeSeconds { line += " (down \(String(format: "%.2f", d)) s)" }
            if let e = m.error { line += "\n    failed: \(e)" }
            print(line)
        }
        for u in r.unplaceable {
            let guest = u.guest + (several ? " on \(u.source)" : "")
            print("  \(u.stopped ? "stopped" : "stays") \(guest): \(u.reason.replacingOccurrences(of: "\n", with: "\n    "))")
        }
        for h in r.hosts { print("host \(h.name) is \(h.state)") }
        for replica in r.replicas ?? [] { print(replica.line) }
    }
}

extension Controller.EvacuationAction: ExpressibleByArgument {}
