import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct HostRestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Take placements on a host again and move back the guests an evacuation moved off it.")
    @OptionGroup var options: ChangeOptions
    @OptionGroup var moveTransport: MoveTransportOption
    @Argument(help: "Host name.") var name: String
    @Flag(name: .customLong("dry-run"), help: "Print the plan only.") var dryRun = false
    @Option(name: .customLong("max-parallel"), help: "Moves at once.") var maxParallel: Int = 1
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        moveTransport.apply(to: controller)
        let printer = ProgressPrinter()
        let r = try fleet { () throws(FleetError) in try controller.restore(name, dryRun: dryRun, maxParallel: maxParallel, progress: printer.callback()) }
        if format == .json { return printJSON(r) }
        print("\(dryRun ? "plan" : "result") for host \(r.host):")
        for m in r.moves { print("  move \(m.guest) → \(r.host)" + (m.error.map { "\n    failed: \($0)" } ?? "")) }
        if !dryRun { print("host \(r.host) is \(r.hostState)") }
        if r.moves.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }
}
