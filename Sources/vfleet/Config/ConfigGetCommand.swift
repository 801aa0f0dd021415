import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct ConfigGetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Show the settings in force (all, or one key): value, and whether it was set, comes from the environment or is the default.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Key.") var key: String?
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let entries = try fleet { () throws(FleetError) in try controller.configEntries(key: key) }
        if format == .json { return printJSON(entries) }
        var table = Table(["KEY", "VALUE", "SOURCE", "MEANING"])
        for e in entries { table.add([e.key, e.value, e.source.rawValue, e.meaning]) }
        print(table.render())
    }
}
