@testable import FleetController
import FleetDevCluster
import FleetProtocol
import FleetSystem
import FleetTestSupport
import Foundation
import Testing

/// A scoped test cluster: `withCluster(hosts:)` brings up real test hosts
/// (network namespaces with sshd and the agent) and a controller with its
/// own database, and always tears everything down, also when the test fails.
struct TestCluster {
    let state: DevClusterState
    let dbPath: String
    let directory: String

    /// A fresh controller on the same database: like a new `vfleet` process.
    func controller() throws -> Controller {
        try Controller(dbPath: dbPath, knownHosts: state.knownHostsFile, identity: state.identityFile)
    }

    /// Enrols every host (accepting their new keys), with labels by index.
    func enrolAll(_ c: Controller, labels: (Int) -> [String: String] = { _ in [:] }, reserve: UInt64 = 0) throws {
        for (i, h) in state.hosts.enumerated() {
            var r = Controller.HostRequest(name: h.name, address: "\(h.address):\(h.port)")
            r.acceptNewHostKey = true
            r.labels = labels(i)
            r.reservedMemoryBytes = reserve
            _ = try c.addHost(r)
        }
    }

    /// Asks a host's agent directly (through the controller's connection) for its guests.
    /// A controller with every host enrolled and the busybox template added:
    /// where most cluster tests start.
    func busyboxController() throws -> Controller {
        let c = try controller()
        try enrolAll(c)
        _ = try c.addTemplate(name: "busybox", path: nil, busybox: true)
        return c
    }

    func agentGuests(_ c: Controller, _ host: String) throws -> [GuestStatus] {
        try c.connections.call(RPC.GuestList(), on: try c.store.host(host))
    }

    /// The guest's own layer as this machine sees it (test hosts share the file system).
    func upper(_ host: String, _ guest: String) -> String {
        state.hosts.first { $0.name == host }!.stateDirectory + "/guests/\(guest)/upper"
    }

    func stagingExists(_ host: String, _ guest: String) -> Bool {
        FileManager.default.fileExists(atPath: state.hosts.first { $0.name == host }!.stateDirectory + "/guests/.incoming-\(guest)")
    }

    /// Runs the vfleet command line against this cluster's controller.
    func cli(_ args: [String], env extra: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        // No connection keeper outlives a test unless the test asks for one (and stops it).
        var env = ["VFLEET_IDENTITY": state.identityFile, "VFLEET_SSH_PERSIST": "0"]
        for (k, v) in extra { env[k] = v }
        return try Self.vfleet(args + ["--db", dbPath, "--known-hosts", state.knownHostsFile], env: env)
    }

    /// Runs the vfleet built next to the agent, with `env` over this process's
    /// environment (a nil value removes a variable).
    static func vfleet(_ args: [String], env extra: [String: String?] = [:]) throws -> (status: Int32, out: String, err: String) {
        let r = try Subprocess.run([vfleetBinary] + args, environment: environment(extra))
        return (r.status, r.stdoutText, r.stderrText)
    }

    /// Runs vfleet with its standard output and error into one pipe, as a
    /// log sees them (`vfleet ... >log 2>&1`): the order of the lines is the
    /// order they reached the pipe.
    func cliMerged(_ args: [String]) throws -> (status: Int32, output: String) {
        let env = ["VFLEET_IDENTITY": state.identityFile, "VFLEET_SSH_PERSIST": "0"]
        let r = try Subprocess.run([Self.vfleetBinary] + args + ["--db", dbPath, "--known-hosts", state.knownHostsFile],
                                   environment: Self.environment(env), mergeStandardError: true)
        return (r.status, r.stdoutText)
    }

    static var vfleetBinary: String { (agentBinary as NSString).deletingLastPathComponent + "/vfleet" }

    /// This process's environment with `extra` over it (nil removes a variable).
    static func environment(_ extra: [String: String?]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in extra { env[k] = v }
        return env
    }

    /// The hosts whose agent reports `guest` running, asked directly.
    func runningOn(_ c: Controller, _ guest: String) throws -> [String] {
        try state.hosts.map(\.name).filter { h in
            try agentGuests(c, h).contains { $0.name == guest && $0.state == .running }
        }
    }

    static var agentBinary: String {
        if let env = ProcessInfo.processInfo.environment["VFLEET_AGENT_BIN"] { return env }
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("vfleet-agent").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug/vfleet-agent"
    }
}

func withCluster<R>(hosts: Int, smallDisks: [Int: UInt64] = [:], controllers: Int = 0, _ body: (TestCluster) throws -> R) throws -> R {
    let dir = "/var/tmp/vfleet-cluster-test-\(UUID().uuidString.prefix(8).lowercased())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer {
        try? DevCluster.down(directory: dir)
        // Agents hand destroyed trees to a detached `rm -rf` that may still run.
        for _ in 0..<100 where FileManager.default.fileExists(atPath: dir) {
            try? FileManager.default.removeItem(atPath: dir)
            if FileManager.default.fileExists(atPath: dir) { usleep(50_000) }
        }
    }
    let state = try DevCluster.up(hosts: hosts, directory: dir, agentBinary: TestCluster.agentBinary, smallDisks: smallDisks, controllers: controllers)
    return try body(TestCluster(state: state, dbPath: dir + "/controller-db/fleet.db", directory: dir))
}

/// Cluster tests bring up namespaces and sshd processes: one at a time.
@Suite(.serialized, .tags(.cluster)) struct ClusterTests {}
