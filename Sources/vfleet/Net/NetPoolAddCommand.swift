import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct NetPoolAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a pool of addresses for guests.",
        discussion: "Every address of the network but its network and broadcast addresses, the gateway and the enrolled hosts' own addresses may be given. Pools may not overlap.")
    @OptionGroup var options: ChangeOptions
    @Argument(help: "Pool name.") var name: String
    @Argument(help: ArgumentHelp("The network, e.g. 10.40.0.0/24.", valueName: "CIDR")) var cidr: String
    @Option(help: ArgumentHelp("Only guests on these hosts take its addresses (comma-separated; default: every host). Hosts where the network is routed.", valueName: "H1,H2")) var hosts: String?
    @Option(help: ArgumentHelp("The gateway of private guests from this pool (never given to a guest).", valueName: "ADDRESS")) var gateway: String?
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let list = (hosts ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let pool = try fleet { () throws(FleetError) in try controller.addPool(name, cidr: cidr, hosts: list, gateway: gateway) }
        if format == .json { return printJSON(pool) }
        print("added address pool \(pool.name) \(pool.cidr)\(pool.hosts.isEmpty ? " for every host" : " for \(pool.hosts.joined(separator: ", "))")")
    }
}
