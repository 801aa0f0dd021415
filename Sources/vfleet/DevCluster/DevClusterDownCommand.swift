import ArgumentParser
import FleetCLI
import FleetController
import FleetDevCluster
import FleetProtocol
import Foundation

struct DevClusterDownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "down", abstract: "Stop the test hosts and remove what `up` made.")
    @Option(help: "The cluster's directory.") var dir: String = "/var/tmp/vfleet-dev-cluster"

    func run() throws {
        try fleet { () throws(FleetError) in try DevCluster.down(directory: dir) }
        print("test cluster in \(dir) is down")
    }
}
