import FleetTestSupport
import FleetEtcd
import FleetSystem
import Foundation

/// A real etcd cluster of `/usr/bin/etcd` members on 127.0.0.1 with free
/// ports and data directories in one temporary directory. Members can be
/// killed (SIGKILL, by pid) and restarted on their data. Use it through
/// `withEtcdCluster`, which always stops every member and removes the files.
public final class EtcdTestCluster {
    public struct Member {
        public let name: String
        public let clientPort: Int
        public let peerPort: Int
        public var process: ChildProcess?

        public var endpoint: EtcdEndpoint { EtcdEndpoint(host: "127.0.0.1", port: clientPort) }
    }

    public let directory: TemporaryDirectory
    public private(set) var members: [Member]
    private let token: String
    /// With TLS: the members serve https and require a client certificate.
    public let certificates: TestCertificates?

    private init(directory: TemporaryDirectory, size: Int, tls: Bool) throws {
        self.directory = directory
        try LeftoverEtcdSweep.mark(directory.path, owner: getpid())
        certificates = tls ? try TestCertificates.make(in: directory.file("tls")) : nil
        var ports = Set<Int>()
        while ports.count < 2 * size { ports.insert(try LoopbackPort.free()) }
        let list = Array(ports)
        members = (0..<size).map { Member(name: "m\($0)", clientPort: list[2 * $0], peerPort: list[2 * $0 + 1]) }
        token = "vfleet-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Starts `size` members and waits until every one follows a leader;
    /// cleans up after itself if that fails.
    public static func start(size: Int = 3, tls: Bool = false) throws -> EtcdTestCluster {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/etcd") else {
            throw FixtureError("/usr/bin/etcd is missing: run ./scripts/install-deps (Debian's etcd-server)")
        }
        LeftoverEtcdSweep.run()
        var lastError: Error = FixtureError("etcd never started")
        // A free port can be taken between probing and etcd's bind: retry.
        for _ in 0..<3 {
            let directory = try TemporaryDirectory(prefix: "fleetetcd-test")
            let cluster: EtcdTestCluster
            do {
                cluster = try EtcdTestCluster(directory: directory, size: size, tls: tls)
            } catch {
                directory.remove()
                throw error
            }
            do {
                for index in cluster.members.indices { try cluster.launch(index) }
                try cluster.waitHealthy(timeout: 20)
                return cluster
            } catch {
                lastError = error
                cluster.shutdown()
            }
        }
        throw lastError
    }

    public var endpoints: [EtcdEndpoint] { members.map(\.endpoint) }

    public func settings(timeout: Double = 5, endpoints: [EtcdEndpoint]? = nil) -> EtcdSettings {
        EtcdSettings(endpoints: endpoints ?? self.endpoints, requestTimeout: timeout, connectTimeout: 1, tls: certificates?.clientFiles)
    }

    public func client(timeout: Double = 5, endpoints: [EtcdEndpoint]? = nil) throws -> EtcdClient {
        try EtcdClient(settings: settings(timeout: timeout, endpoints: endpoints))
    }

    public func pid(of index: Int) -> pid_t? { members[index].process?.pid }

    /// SIGKILL to that member's pid only, then reaped.
    public func kill(_ index: Int) {
        members[index].process?.killNow()
        members[index].process = nil
    }

    /// SIGSTOP to that member's pid: it keeps its connections and answers
    /// nothing, like a member cut off or hung. `resume` undoes it; a paused
    /// member is still stopped by `shutdown` (SIGKILL reaches it).
    public func pause(_ index: Int) {
        if let pid = members[index].process?.pid { Glibc.kill(pid, SIGSTOP) }
    }

    public func resume(_ index: Int) {
        if let pid = members[index].process?.pid { Glibc.kill(pid, SIGCONT) }
    }

    /// Starts a killed member again on its data and waits until it follows a leader.
    public func restart(_ index: Int) throws {
        try launch(index)
        try waitHealthy(timeout: 20)
    }

    /// The index of the member that leads now (asked of each running member).
    public func leader() throws -> Int {
        for (index, member) in members.enumerated() where member.process != nil {
            if let status = try? EtcdClient(settings: settings(timeout: 2, endpoints: [member.endpoint])).status(of: member.endpoint),
               status.isLeader
            {
                return index
            }
        }
        throw FixtureError("no etcd member leads: \(logs())")
    }

    /// Waits until every running member follows the same leader, itself a
    /// running member (after a kill, the others follow the dead one until
    /// their election timeout).
    public func waitHealthy(timeout: Double) throws {
        let deadline = Monotonic.now + timeout
        while true {
            var statuses: [String: EtcdStatus] = [:]
            for member in members {
                guard let process = member.process else { continue }
                if process.hasExited { throw FixtureError("etcd member \(member.name) exited: \(log(of: member))") }
                statuses[member.name] = try? EtcdClient(settings: settings(timeout: 1, endpoints: [member.endpoint])).status(of: member.endpoint)
            }
            let running = Set(statuses.values.map(\.header.memberID))
            let leaders = Set(statuses.values.map(\.leader))
            if statuses.count == members.filter({ $0.process != nil }).count, leaders.count == 1, let leader = leaders.first, running.contains(leader) {
                return
            }
            guard Monotonic.now < deadline else {
                throw FixtureError("etcd members have no common running leader after \(timeout) s (\(statuses.mapValues(\.leader))): \(logs())")
            }
            usleep(50_000)
        }
    }

    /// The members' logs, for a failure message.
    public func logs() -> String {
        members.map { "\($0.name): \(String(log(of: $0).suffix(1500)))" }.joined(separator: "\n")
    }

    /// Stops every member (SIGTERM, then SIGKILL, by pid) and removes the files.
    public func shutdown() {
        for index in members.indices {
            resume(index)
            members[index].process?.terminate(grace: 2)
            members[index].process = nil
        }
        directory.remove()
    }

    private func log(of member: Member) -> String {
        (try? String(contentsOfFile: directory.file("\(member.name).log"), encoding: .utf8)) ?? ""
    }

    private func launch(_ index: Int) throws {
        let member = members[index]
        let peers = members.map { "\($0.name)=http://127.0.0.1:\($0.peerPort)" }.joined(separator: ",")
        let client = "\(certificates == nil ? "http" : "https")://127.0.0.1:\(member.clientPort)"
        let peer = "http://127.0.0.1:\(member.peerPort)"
        // With TLS also on 127.0.0.2, an address its certificate does not
        // name: a client there must refuse the member.
        let listen = certificates == nil ? client : "\(client),https://127.0.0.2:\(member.clientPort)"
        // Short heartbeat and election timeout: a killed leader is replaced
        // in about a second, which keeps the failover tests short.
        let arguments = [
            "--name", member.name, "--data-dir", directory.file(member.name),
            "--listen-client-urls", listen, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", peers, "--initial-cluster-state", "new", "--initial-cluster-token", token,
            "--heartbeat-interval", "50", "--election-timeout", "500",
            "--logger", "zap", "--log-outputs", "stderr",
        ] + (certificates.map {
            ["--cert-file", $0.serverCertificate, "--key-file", $0.serverKey, "--trusted-ca-file", $0.ca, "--client-cert-auth"]
        } ?? [])
        let logPath = directory.file("\(member.name).log")
        let process = try ChildProcess("/usr/bin/etcd", arguments, stdout: logPath, stderr: logPath)
        members[index].process = process
        try LeftoverEtcdSweep.mark(directory.path, member: member.name, pid: process.pid)
    }
}
