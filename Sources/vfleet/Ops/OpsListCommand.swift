import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct OpsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Recent operations, newest first.")
    @OptionGroup var options: ControllerOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let ops = try fleet { () throws(FleetError) in try controller.operations() }
        if format == .json { return printJSON(ops) }
        var t = Table(["ID", "KIND", "GUEST", "STATE", "STEP", "OWNER", "REASON", "ERROR"])
        for o in ops { t.add([String(o.id ?? 0), o.kind, o.guest ?? "-", o.state.rawValue, o.step, o.owner, o.reason ?? "", o.error ?? ""]) }
        print(t.render())
    }
}
