import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct HostRefreshCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "refresh", abstract: "Ask a host's agent again and store its facts.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Host name.") var name: String

    func run() throws {
        let controller = try options.controller()
        let h = try fleet { () throws(FleetError) in try controller.refreshHost(name) }
        print("refreshed host \(h.name): \(h.facts?.guests.count ?? 0) guests, \(ByteSize.format(h.facts?.freeDiskBytes ?? 0)) free disk")
    }
}
