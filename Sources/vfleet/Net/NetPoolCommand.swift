import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct NetPoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool", abstract: "Add, list and remove address pools.",
        subcommands: [NetPoolAddCommand.self, NetPoolListCommand.self, NetPoolRemoveCommand.self])
}
