import ArgumentParser
import FleetCLI
import FleetController
import FleetDevCluster
import FleetProtocol
import Foundation

struct DevClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-cluster",
        abstract: "A multi-host test cluster on this machine: network namespaces, each with its own /var/lib/vfleet and real sshd.",
        subcommands: [DevClusterUpCommand.self, DevClusterDownCommand.self, DevClusterStatusCommand.self])
}
