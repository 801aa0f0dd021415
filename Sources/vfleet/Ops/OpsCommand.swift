import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct OpsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "The operations journal: list, show, resume.",
        subcommands: [OpsListCommand.self, OpsShowCommand.self, OpsResumeCommand.self])
}
