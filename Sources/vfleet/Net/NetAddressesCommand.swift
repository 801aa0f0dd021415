import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct NetAddressesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "addresses", abstract: "Every address given to a guest: guest, host, pool, network mode.")
    @OptionGroup var options: ControllerOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let list = try fleet { () throws(FleetError) in try controller.addressViews() }
        if format == .json { return printJSON(list) }
        var t = Table(["ADDRESS", "GUEST", "HOST", "POOL", "NETWORK"])
        for a in list { t.add([a.address, a.guest, a.host ?? "-", a.pool ?? "-", a.network?.rawValue ?? "-"]) }
        print(t.render())
    }
}
