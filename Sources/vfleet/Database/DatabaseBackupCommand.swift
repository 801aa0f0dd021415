import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct DatabaseBackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent copy of the store to FILE, also while other vfleet commands use it.",
        discussion: "Restore by stopping the controller's users and copying FILE over the database (see controller/README.md). In replicated mode (VFLEET_STORE=replicated) FILE is a standalone store of the fleet as of etcd's log head: `--db FILE` runs a fleet from it.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Destination file (must not exist).") var file: String

    func run() throws {
        let controller = try options.controller()
        try fleet { () throws(FleetError) in try controller.backupDatabase(to: file) }
        print("backed up \(controller.databasePath) to \(file)")
    }
}
