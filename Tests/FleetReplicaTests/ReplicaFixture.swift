@testable import FleetController
import FleetEtcd
import FleetEtcdTestSupport
import FleetProtocol
import FleetSystem
import FleetTestSupport
import Foundation

/// A fleet in a real 3-member etcd: a seed store (a template, two hosts, an
/// address pool) loaded with `loadIntoEtcd`, and replicas of it, each a
/// SQLite file in its own directory. Everything goes with the directory
/// and the cluster (`withReplicaFleet`).
struct ReplicaFixture {
    let cluster: EtcdTestCluster
    let directory: TemporaryDirectory
    var snapshotEvery = ReplicationSettings.defaultSnapshotEvery
    var timeout: Double = 5

    var seedPath: String { directory.file("seed/fleet.db") }
    func replicaPath(_ name: String) -> String { directory.file("\(name)/fleet.db") }

    func settings() -> ReplicationSettings {
        ReplicationSettings(etcd: cluster.settings(timeout: timeout), snapshotEvery: snapshotEvery)
    }

    /// The environment that points a vfleet process at this fleet.
    func environment(extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["VFLEET_STORE"] = "replicated"
        env["VFLEET_ETCD_ENDPOINTS"] = cluster.endpoints.map { "\($0.host):\($0.port)" }.joined(separator: ",")
        env["VFLEET_STORE_SNAPSHOT_EVERY"] = String(snapshotEvery)
        env["VFLEET_SSH_PERSIST"] = "0"
        for (key, value) in extra { env[key] = value }
        return env
    }

    /// Makes the seed store and loads it into etcd.
    @discardableResult
    func loadSeed() throws -> ReplicatedFleetLoad {
        let seed = try FleetStore(path: seedPath, mode: .standalone)
        try seed.insertTemplate(StoredTemplate(name: "t", digest: "d", fileCount: 1, totalBytes: 2, archivePath: "/a", archiveBytes: 3, addedAt: 1))
        for name in ["h1", "h2"] { try seed.insertHost(Self.host(name)) }
        try seed.insertPool(StoredAddressPool(name: "p", cidr: "10.50.0.0/22", hosts: [], gateway: nil, createdAt: 1))
        return try seed.loadIntoEtcd(settings())
    }

    func replica(_ name: String) throws -> FleetStore {
        try FleetStore(path: replicaPath(name), mode: .replicated(settings()))
    }

    static func host(_ name: String) -> StoredHost {
        StoredHost(name: name, address: "192.0.2.\(name.count)", port: 22, user: "root", identityFile: "/k", labels: [:],
                   reservedMemoryBytes: 0, facts: nil, hostKeyFingerprint: "SHA256:x", addedAt: 1, lastSeenAt: nil)
    }

    static func guest(_ name: String) -> StoredGuest {
        StoredGuest(name: name, template: "t", spec: GuestSpec(name: name, template: "t"), memoryBytes: 1, cpuMillis: 2,
                    diskBytes: 3, groupName: nil, requires: [:], desiredState: .running, createdAt: 1)
    }

    /// `sqlite3 FILE .dump`: every table's rows, as the issue compares replicas.
    static func dump(_ path: String) throws -> String {
        let result = try Subprocess.run(["/usr/bin/sqlite3", path, ".dump"])
        guard result.status == 0 else { throw FixtureError("sqlite3 \(path) .dump exited \(result.status): \(result.stderrText)") }
        return result.stdoutText
    }

    /// The log entries etcd still holds.
    func logKeys() throws -> [String] {
        let client = try cluster.client()
        return try client.range(EtcdRangeRequest(.prefix("/vfleet/store/log/"), keysOnly: true)).kvs.map(\.keyString)
    }
}

/// Runs `body` with a fresh 3-member etcd and directory, always removed.
func withReplicaFleet<T>(snapshotEvery: Int = ReplicationSettings.defaultSnapshotEvery, timeout: Double = 5,
                         _ body: (ReplicaFixture) throws -> T) throws -> T {
    try withEtcdCluster { cluster in
        let directory = try TemporaryDirectory(prefix: "vfleet-replica-test")
        defer { directory.remove() }
        let fixture = ReplicaFixture(cluster: cluster, directory: directory, snapshotEvery: snapshotEvery, timeout: timeout)
        return try body(fixture)
    }
}
