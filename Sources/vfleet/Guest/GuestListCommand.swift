import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct GuestListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List guests as the controller places them (`inventory` adds what hosts report).")
    @OptionGroup var options: ControllerOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let guests = try fleet { () throws(FleetError) in try controller.guests() }
        let placements = try fleet { () throws(FleetError) in try controller.placements() }
        if format == .json {
            struct Row: Encodable { var guest: StoredGuest; var host: String? }
            return printJSON(guests.map { Row(guest: $0, host: placements[$0.name]) })
        }
        var t = Table(["NAME", "HOST", "DESIRED", "MEMORY", "CPUS", "GROUP", "TEMPLATE"])
        for g in guests {
            t.add([g.name, placements[g.name] ?? "-", g.desiredState.rawValue, ByteSize.format(g.memoryBytes),
                   String(Double(g.cpuMillis) / 1000), g.groupName ?? "-", g.template])
        }
        print(t.render())
    }
}
