import ArgumentParser
import FleetCLI
import FleetController
import FleetDevCluster
import FleetProtocol
import Foundation

struct DevClusterStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Each test host's name, address, port, identity and known_hosts files, and whether its sshd runs.",
        discussion: """
            A cluster brought up with --controllers also lists its etcd members (running or not) and, per \
            controller, its namespace and the VFLEET_* environment that points the CLI at it. \
            JSON: {"hosts": [...], "etcd": [...], "controllers": [{"name", "namespace", "address", \
            "stateDirectory", "environment": {...}}]}.
            """)
    @Option(help: "The cluster's directory.") var dir: String = "/var/tmp/vfleet-dev-cluster"
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let status = try fleet { () throws(FleetError) in try DevCluster.status(directory: dir) }
        if format == .json { return printJSON(status) }
        var t = Table(["NAME", "ADDRESS", "STATE", "NETNS"])
        for h in status.hosts { t.add([h.name, "\(h.address):\(h.port)", h.sshdRunning ? "running" : "DOWN", h.namespace]) }
        for m in status.etcd { t.add([m.name, m.endpoint, m.running ? "running" : "DOWN", m.namespace]) }
        for c in status.controllers { t.add([c.name, c.address, "-", c.namespace]) }
        print(t.render())
        for c in status.controllers {
            print("\n\(c.name): nsenter --net=/run/netns/\(c.namespace) env \(c.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) vfleet ...")
        }
    }
}
