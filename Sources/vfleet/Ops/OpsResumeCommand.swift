import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct OpsResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Finish or roll back operations a dead controller left in flight (all, or one).")
    @OptionGroup var options: ChangeOptions
    @Argument(help: "Operation id (default: every one in flight).") var id: Int64?
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table
    @Option(help: ArgumentHelp("Which copy wins when a move's source ran or changed since the move stopped it: source (roll back, keep its changes) or destination (throw them away and finish the move; the output says what went).",
                               valueName: "source|destination"))
    var prefer: MovePreference = .source

    func run() throws {
        let controller = try options.controller()
        let outcomes = try fleet { () throws(FleetError) in try controller.resumeOperations(id, preferDestination: prefer == .destination) }
        if format == .json { return printJSON(outcomes) }
        if outcomes.isEmpty { print("no operation in flight") }
        for o in outcomes { print("operation \(o.operation) (\(o.guest ?? "-")): \(o.outcome): \(o.detail)") }
        if outcomes.contains(where: { $0.outcome == "failed" || $0.outcome == "rollback_pending" }) { throw ExitCode(1) }
    }
}

enum MovePreference: String, ExpressibleByArgument, CaseIterable { case source, destination }
