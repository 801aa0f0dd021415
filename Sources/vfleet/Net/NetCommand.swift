import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct NetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "net",
        abstract: "Address pools and the guests' addresses, fleet-wide.",
        discussion: """
        A guest created without --ip takes the lowest free address of a pool that serves its host. \
        The store gives an address to one guest at a time, fleet-wide; destroying the guest releases it, \
        and a moved guest keeps it (the destination answers for it, the source stops).
        """,
        subcommands: [NetPoolCommand.self, NetAddressesCommand.self])
}
