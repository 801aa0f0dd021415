import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "db", abstract: "The controller's database.", subcommands: [DatabaseBackupCommand.self, DatabaseMigrateCommand.self, DatabaseUpgradeCommand.self])
}
