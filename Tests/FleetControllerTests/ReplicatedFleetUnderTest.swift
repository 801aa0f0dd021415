@testable import FleetController
import FleetEtcd
import FleetEtcdTestSupport
import FleetProtocol
import FleetSystem
import Foundation
import Glibc

/// Several controllers over one test cluster and a real etcd: the fleet is
/// made as usual (a standalone store), loaded into etcd with `vfleet db
/// migrate --to replicated`, then driven by `vfleet` processes, each with
/// its own replica, and read by the test through one more replica.
struct ReplicatedFleetUnderTest {
    let cluster: TestCluster
    let endpoints: [EtcdEndpoint]
    let environment: [String: String]

    /// Loads the cluster's store into `etcd`; owner leases of `leaseTTL` s.
    init(cluster: TestCluster, etcd: EtcdTestCluster, leaseTTL: Int = 2) throws {
        try self.init(cluster: cluster, endpoints: etcd.endpoints, leaseTTL: leaseTTL)
    }

    /// The same with the dev cluster's own etcd (`withCluster(controllers:)`),
    /// whose members live in network namespaces on the cluster's bridge.
    init(devCluster cluster: TestCluster, leaseTTL: Int = 2) throws {
        let members = cluster.state.etcd ?? []
        try self.init(cluster: cluster, endpoints: members.map { EtcdEndpoint(host: $0.address, port: $0.clientPort) }, leaseTTL: leaseTTL)
    }

    private init(cluster: TestCluster, endpoints: [EtcdEndpoint], leaseTTL: Int) throws {
        self.cluster = cluster
        self.endpoints = endpoints
        environment = TestCluster.environment([
            "VFLEET_STORE": "replicated",
            "VFLEET_ETCD_ENDPOINTS": endpoints.map { "\($0.host):\($0.port)" }.joined(separator: ","),
            "VFLEET_LEASE_TTL": String(leaseTTL),
            "VFLEET_IDENTITY": cluster.state.identityFile,
            "VFLEET_SSH_PERSIST": "0",
        ])
        let migrate = try Subprocess.run([TestCluster.vfleetBinary, "db", "migrate", "--to", "replicated", "--db", cluster.dbPath], environment: environment)
        guard migrate.status == 0 else { throw ServeTestFailure(description: "db migrate --to replicated: \(migrate.stderrText)") }
    }

    /// Controller `name`'s replica (the first one, "a", is the migrated file).
    func replica(_ name: String) -> String { name == "a" ? cluster.dbPath : cluster.directory + "/controller-\(name)/fleet.db" }

    /// A vfleet command of controller `name`, running on (a process the test
    /// ends by pid); with `namespace`, inside that network namespace.
    func start(_ args: [String], controller name: String, env extra: [String: String] = [:], namespace: String? = nil,
               log: String) throws -> TestProcess {
        var env = environment
        for (k, v) in extra { env[k] = v }
        let command = [TestCluster.vfleetBinary] + args + ["--db", replica(name), "--known-hosts", cluster.state.knownHostsFile]
        let entered = namespace.map { ["/usr/bin/nsenter", "--net=/run/netns/\($0)"] + command } ?? command
        return try TestProcess(entered[0], Array(entered.dropFirst()), environment: env, log: cluster.directory + "/" + log)
    }

    /// A vfleet command of controller `name`, to its end.
    func run(_ args: [String], controller name: String) throws -> SubprocessOutput {
        try Subprocess.run([TestCluster.vfleetBinary] + args + ["--db", replica(name), "--known-hosts", cluster.state.knownHostsFile],
                           environment: environment)
    }

    /// `vfleet serve` of controller `name`: resumes each second, observes hourly.
    func serve(_ name: String) throws -> TestProcess {
        try start(["serve", "--interval", "1h", "--resume-interval", "1s"], controller: name,
                  env: ["VFLEET_METRICS_ADDRESS": "127.0.0.1:0"], log: "serve-\(name).log")
    }

    /// The test's own replica, to read the fleet.
    func observer() throws -> FleetStore {
        try FleetStore(path: replica("observer"), mode: .replicated(ReplicationSettings(etcd: EtcdSettings(endpoints: endpoints))))
    }

    /// Waits until no operation is in flight; false at the deadline.
    static func settle(_ store: FleetStore, within seconds: Double) throws -> Bool {
        let deadline = Monotonic.now + seconds
        while Monotonic.now < deadline {
            if try store.inFlight().isEmpty { return true }
            usleep(200_000)
        }
        return try store.inFlight().isEmpty
    }

    /// Whether `pid` is stopped (SIGSTOP), as /proc says.
    static func frozen(_ pid: Int32) -> Bool {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        guard let close = stat.lastIndex(of: ")") else { return false }
        return stat[close...].dropFirst(2).hasPrefix("T")
    }

    /// Waits until `process` stopped itself; false if it ended or the deadline passed.
    static func waitFrozen(_ process: TestProcess, within seconds: Double) -> Bool {
        let deadline = Monotonic.now + seconds
        while !frozen(process.pid) && process.process.isRunning && Monotonic.now < deadline { usleep(50_000) }
        return frozen(process.pid)
    }
}
