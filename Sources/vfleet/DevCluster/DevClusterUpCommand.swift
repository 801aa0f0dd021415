import ArgumentParser
import FleetCLI
import FleetController
import FleetDevCluster
import FleetProtocol
import Foundation

struct DevClusterUpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start N test hosts (left un-enrolled: enrol them with `host add`).",
        discussion: """
            With --controllers M, also a 3-member etcd (each member in its own network namespace on the \
            cluster's bridge) and M controller machines sharing one fleet through it: each a state \
            directory and a network namespace. `dev-cluster status --format json` lists, for each \
            controller, the VFLEET_* environment that makes the CLI that controller, and the namespace \
            to run it in (nsenter --net=/run/netns/NAMESPACE).
            """)
    @Option(help: "Number of hosts.") var hosts: Int = 3
    @Option(help: "Controller machines sharing the fleet through a 3-member etcd (0: none, the standalone store).") var controllers: Int = 0
    @Option(help: "Directory for the cluster's files.") var dir: String = "/var/tmp/vfleet-dev-cluster"
    @Option(help: "The vfleet-agent the hosts run (default: the one next to this vfleet).") var agent: String?
    @Option(name: .customLong("disk-size"),
            help: ArgumentHelp("Give each host its own disk: a loop-mounted ext4 (with a journal) of this size for its state directory, e.g. 4G. Default: the state directory lives on this machine's file system.",
                               valueName: "SIZE"))
    var diskSize: String?
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        var disks: [Int: UInt64] = [:]
        if let diskSize {
            guard let size = ByteSize.parse(diskSize) else {
                throw CLIError(.invalid("--disk-size \(diskSize) is not a size (use a number with K, M, G or T, e.g. 4G)"))
            }
            guard size >= 64 << 20 else { throw CLIError(.invalid("--disk-size \(diskSize) is too small: a host's disk needs at least 64M")) }
            guard (1...50).contains(hosts) else { throw CLIError(.invalid("--hosts must be between 1 and 50")) }
            for i in 1...hosts { disks[i] = size }
        }
        let bin = agent ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("vfleet-agent").path
        let state = try fleet { () throws(FleetError) in try DevCluster.up(hosts: hosts, directory: dir, agentBinary: bin, smallDisks: disks, controllers: controllers) }
        if format == .json { return printJSON(state) }
        for h in state.hosts { print("\(h.name)  \(h.address):\(h.port)  netns \(h.namespace)") }
        for m in state.etcd ?? [] { print("\(m.name)  \(m.address):\(m.clientPort)  netns \(m.namespace)") }
        for c in state.controllers ?? [] { print("\(c.name)  \(c.address)  netns \(c.namespace)  state \(c.stateDirectory)") }
        print("identity \(state.identityFile)")
        print("known_hosts \(state.knownHostsFile)")
        print("enrol: vfleet host add host1 --address \(state.hosts.first?.address ?? "?") --identity \(state.identityFile) --known-hosts \(state.knownHostsFile) --accept-new-host-key")
    }
}
