import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct HostListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List enrolled hosts (from the store; `inventory` asks them).")
    @OptionGroup var options: ControllerOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let hosts = try fleet { () throws(FleetError) in try controller.hosts() }
        if format == .json { return printJSON(hosts) }
        let placements = try fleet { () throws(FleetError) in try controller.placements() }
        var t = Table(["NAME", "ADDRESS", "STATE", "CPUS", "MEMORY", "GUESTS", "LABELS"])
        for h in hosts {
            let state = h.cordoned ? "\(h.state.rawValue),cordoned" : h.state.rawValue
            t.add([h.name, "\(h.address):\(h.port)", state, String(h.facts?.cpus ?? 0), ByteSize.format(h.facts?.memoryBytes ?? 0),
                   String(placements.values.filter { $0 == h.name }.count),
                   h.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")])
        }
        print(t.render())
    }
}
