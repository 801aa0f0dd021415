import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct NetPoolRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a pool none of whose addresses is given.")
    @OptionGroup var options: ChangeOptions
    @Argument(help: "Pool name.") var name: String

    func run() throws {
        let controller = try options.controller()
        try fleet { () throws(FleetError) in try controller.removePool(name) }
        print("removed address pool \(name)")
    }
}
