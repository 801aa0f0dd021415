import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Controller settings (placement policy, defaults, timeouts).",
        discussion: ControllerSettings.keys.map { "  \($0.0): \($0.1)" }.joined(separator: "\n"),
        subcommands: [ConfigSetCommand.self, ConfigGetCommand.self])
}
