import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct ConfigSetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set", abstract: "Set a setting, e.g. `vfleet config set placement.policy binpack`.")
    @OptionGroup var options: ChangeOptions
    @Argument(help: "Key.") var key: String
    @Argument(help: "Value.") var value: String

    func run() throws {
        let controller = try options.controller()
        try fleet { () throws(FleetError) in try controller.setConfig(key, value) }
        print("\(key) = \(value)")
    }
}
