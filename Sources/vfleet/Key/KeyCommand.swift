import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "key", abstract: "The controller's SSH key.", subcommands: [KeyGenerateCommand.self, KeyShowCommand.self])
}
