import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct ReconcileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Compare desired with actual on every host and fix what is safe: start, stop, create a missing guest.",
        discussion: "A guest a host runs that the controller does not know is reported, never deleted. An unreachable host is reported and skipped.")

    @OptionGroup var options: ChangeOptions
    @Flag(name: .customLong("dry-run"), help: "Report only.") var dryRun = false
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let actions = try fleet { () throws(FleetError) in try controller.reconcile(dryRun: dryRun) }
        if format == .json { return printJSON(actions) }
        if actions.isEmpty { print("every guest is as desired") }
        for a in actions {
            let mark = a.done ? "done" : (dryRun && [.start, .stop, .create].contains(a.kind) ? "would" : "-")
            print("\(a.kind.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)) \(mark.padding(toLength: 5, withPad: " ", startingAt: 0)) \(a.guest ?? "-") @\(a.host): \(a.detail)")
        }
        if actions.contains(where: { $0.kind == .failed }) { throw ExitCode(1) }
    }
}
