import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct HostEvacuateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evacuate",
        abstract: "Move every guest off a host for maintenance; the host ends evacuated.",
        discussion: "The plan (each guest's destination, or why it fits nowhere) is printed first. Without --allow-partial nothing starts when a guest fits nowhere; with it, such guests are stopped in place. `host restore` brings the guests back.")
    @OptionGroup var options: ChangeOptions
    @OptionGroup var moveTransport: MoveTransportOption
    @Argument(help: "Host name.") var name: String
    @Flag(name: .customLong("dry-run"), help: "Print the plan only.") var dryRun = false
    @Option(name: .customLong("max-parallel"), help: "Moves at once.") var maxParallel: Int = 1
    @Option(help: "migrate (default) or stop (stop every guest in place).") var action: Controller.EvacuationAction = .migrate
    @Flag(name: .customLong("allow-partial"), help: "Stop guests that fit nowhere instead of refusing.") var allowPartial = false
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        moveTransport.apply(to: controller)
        let printer = ProgressPrinter()
        let report = try fleet { () throws(FleetError) in
            try controller.evacuate(name, dryRun: dryRun, maxParallel: maxParallel, action: action, allowPartial: allowPartial,
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
        print("\(title) for host \(r.host):")
        for m in r.moves {
            var line = "  move \(m.guest) → \(m.destination)"
            if let d = m.downtimeSeconds { line += " (down \(String(format: "%.2f", d)) s)" }
            if let e = m.error { line += "\n    failed: \(e)" }
            print(line)
        }
        for u in r.unplaceable {
            print("  \(u.stopped ? "stopped" : "stays") \(u.guest): \(u.reason.replacingOccurrences(of: "\n", with: "\n    "))")
        }
        print("host \(r.host) is \(r.hostState)")
    }
}

extension Controller.EvacuationAction: ExpressibleByArgument {}
