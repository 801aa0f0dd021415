import ArgumentParser
import FleetCLI
import FleetController
import FleetDevCluster
import FleetProtocol
import Foundation

struct DevClusterStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Each test host's name, address, port, identity and known_hosts files, and whether its sshd runs.")
    @Option(help: "The cluster's directory.") var dir: String = "/var/tmp/vfleet-dev-cluster"
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let hosts = try fleet { () throws(FleetError) in try DevCluster.status(directory: dir) }
        if format == .json { return printJSON(hosts) }
        var t = Table(["NAME", "ADDRESS", "SSHD", "NETNS"])
        for h in hosts { t.add([h.name, "\(h.address):\(h.port)", h.sshdRunning ? "running" : "DOWN", h.namespace]) }
        print(t.render())
    }
}
