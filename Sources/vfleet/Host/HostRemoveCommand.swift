import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct HostRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Forget a host (refused while guests are placed there).")
    @OptionGroup var options: ChangeOptions
    @Argument(help: "Host name.") var name: String

    func run() throws {
        let controller = try options.controller()
        try fleet { () throws(FleetError) in try controller.removeHost(name) }
        print("removed host \(name)")
    }
}
