import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct NetPoolListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The pools, their hosts and how many addresses are given.")
    @OptionGroup var options: ControllerOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let pools = try fleet { () throws(FleetError) in try controller.poolViews() }
        if format == .json { return printJSON(pools) }
        var t = Table(["NAME", "NETWORK", "HOSTS", "GATEWAY", "USED"])
        for p in pools { t.add([p.name, p.cidr, p.hosts.isEmpty ? "all" : p.hosts.joined(separator: ","), p.gateway ?? "-", "\(p.used)/\(p.size)"]) }
        print(t.render())
    }
}
