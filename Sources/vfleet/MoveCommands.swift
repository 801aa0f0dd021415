import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct GuestMoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move",
        abstract: "Cold-migrate a guest to another host (the scheduler's choice without --to).",
        discussion: """
        Pre-copies the guest's own layer while it runs, stops it, sends what changed, verifies every file's \
        digest at the destination, starts it there, and only then removes the source copy (--keep-source keeps \
        it, stopped, as a backup). The template is pushed first if the destination lacks it. Every step is \
        journaled: if anything dies, `vfleet ops resume` finishes or rolls back.
        """)
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Guest name.") var name: String
    @Option(help: "Destination host.") var to: String?
    @Flag(name: .customLong("keep-source"), help: "Keep the source copy, stopped.") var keepSource = false
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let printer = ProgressPrinter()
        let r = try fleet { () throws(FleetError) in try controller.moveGuest(name, to: to, keepSource: keepSource, progress: printer.callback()) }
        if format == .json { return printJSON(r) }
        var line = "moved guest \(r.guest) from \(r.source) to \(r.destination) in \(String(format: "%.2f", r.seconds)) s"
        line += ": \(ByteSize.format(r.precopyBytes)) pre-copied, \(ByteSize.format(r.deltaBytes)) after stop"
        if let d = r.downtimeSeconds { line += ", down \(String(format: "%.2f", d)) s" }
        if r.templateSent { line += ", template sent" }
        print(line)
    }
}

struct HostEvacuateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evacuate",
        abstract: "Move every guest off a host for maintenance; the host ends evacuated.",
        discussion: "The plan (each guest's destination, or why it fits nowhere) is printed first. Without --allow-partial nothing starts when a guest fits nowhere; with it, such guests are stopped in place. `host restore` brings the guests back.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Host name.") var name: String
    @Flag(name: .customLong("dry-run"), help: "Print the plan only.") var dryRun = false
    @Option(name: .customLong("max-parallel"), help: "Moves at once.") var maxParallel: Int = 1
    @Option(help: "migrate (default) or stop (stop every guest in place).") var action: Controller.EvacuationAction = .migrate
    @Flag(name: .customLong("allow-partial"), help: "Stop guests that fit nowhere instead of refusing.") var allowPartial = false
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
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

struct HostRestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Take placements on a host again and move back the guests an evacuation moved off it.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Host name.") var name: String
    @Flag(name: .customLong("dry-run"), help: "Print the plan only.") var dryRun = false
    @Option(name: .customLong("max-parallel"), help: "Moves at once.") var maxParallel: Int = 1
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let printer = ProgressPrinter()
        let r = try fleet { () throws(FleetError) in try controller.restore(name, dryRun: dryRun, maxParallel: maxParallel, progress: printer.callback()) }
        if format == .json { return printJSON(r) }
        print("\(dryRun ? "plan" : "result") for host \(r.host):")
        for m in r.moves { print("  move \(m.guest) → \(r.host)" + (m.error.map { "\n    failed: \($0)" } ?? "")) }
        if !dryRun { print("host \(r.host) is \(r.hostState)") }
        if r.moves.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }
}

struct RebalanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebalance",
        abstract: "Even out memory use across hosts with the fewest moves that help most.",
        discussion: "The score is the standard deviation of each host's allocated memory fraction (0 = even). The plan is printed, then carried out unless --dry-run.")
    @OptionGroup var options: ControllerOptions
    @Flag(name: .customLong("dry-run"), help: "Print the plan only.") var dryRun = false
    @Option(name: .customLong("max-moves"), help: "At most this many moves.") var maxMoves: Int = 10
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let printer = ProgressPrinter()
        let plan = try fleet { () throws(FleetError) in try controller.rebalance(dryRun: dryRun, maxMoves: maxMoves, progress: printer.callback()) }
        if format == .json { return printJSON(plan) }
        print(String(format: "score %.4f → %.4f with %d move(s)", plan.scoreBefore, plan.scoreAfter, plan.moves.count))
        for m in plan.moves {
            print(String(format: "  move %@ %@ → %@ (score %.4f)", m.guest, m.from, m.to, m.score) + (m.error.map { "\n    failed: \($0)" } ?? ""))
        }
        if plan.moves.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }
}

struct OpsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "The operations journal: list, show, resume.",
        subcommands: [OpsListCommand.self, OpsShowCommand.self, OpsResumeCommand.self])
}

struct OpsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Recent operations, newest first.")
    @OptionGroup var options: ControllerOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let ops = try fleet { () throws(FleetError) in try controller.store.operations() }
        if format == .json { return printJSON(ops) }
        var t = Table(["ID", "KIND", "GUEST", "STATE", "STEP", "OWNER", "ERROR"])
        for o in ops { t.add([String(o.id ?? 0), o.kind, o.guest ?? "-", o.state.rawValue, o.step, o.owner, o.error ?? ""]) }
        print(t.render())
    }
}

struct OpsShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One operation and each of its steps.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Operation id.") var id: Int64
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let op = try fleet { () throws(FleetError) in try controller.store.operation(id) }
        let steps = try fleet { () throws(FleetError) in try controller.store.steps(of: id) }
        if format == .json {
            struct View: Encodable { var operation: StoredOperation; var steps: [StoredOperationStep] }
            return printJSON(View(operation: op, steps: steps))
        }
        print("operation \(id): \(op.kind) of \(op.guest ?? "-"), \(op.state.rawValue) at step \(op.step), by \(op.owner)")
        print("params \(op.params)")
        if let e = op.error { print("error \(e)") }
        let start = steps.first?.at ?? 0
        for s in steps {
            print(String(format: "  +%7.3f s  %-18@ %-8@ %@", s.at - start, s.step, s.state, s.detail ?? ""))
        }
    }
}

struct OpsResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Finish or roll back operations a dead controller left in flight (all, or one).")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Operation id (default: every one in flight).") var id: Int64?
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let outcomes = try fleet { () throws(FleetError) in try controller.resumeOperations(id) }
        if format == .json { return printJSON(outcomes) }
        if outcomes.isEmpty { print("no operation in flight") }
        for o in outcomes { print("operation \(o.operation) (\(o.guest ?? "-")): \(o.outcome): \(o.detail)") }
        if outcomes.contains(where: { $0.outcome == "failed" }) { throw ExitCode(1) }
    }
}
