import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct HostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "Enrol, list, show, cordon, evacuate, fail, reclaim and remove hosts.",
        subcommands: [HostAddCommand.self, HostListCommand.self, HostShowCommand.self, HostRemoveCommand.self,
                      HostCordonCommand.self, HostUncordonCommand.self, HostRefreshCommand.self, HostEvacuateCommand.self, HostRestoreCommand.self,
                      HostFailCommand.self, HostReclaimCommand.self])
}
