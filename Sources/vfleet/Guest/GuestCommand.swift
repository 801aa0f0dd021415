import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct GuestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guest",
        abstract: "Create, start, stop, inspect and destroy guests anywhere in the fleet.",
        subcommands: [GuestCreateCommand.self, GuestStartCommand.self, GuestStopCommand.self, GuestRestartCommand.self,
                      GuestDestroyCommand.self, GuestExecCommand.self, GuestShowCommand.self, GuestListCommand.self, GuestMoveCommand.self,
                      GuestReplicateCommand.self])
}
