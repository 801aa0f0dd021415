import FleetEtcd
import FleetProtocol
import Foundation
import Glibc

/// The test cluster's etcd (issue 19's replicated store): three members, each
/// in a network namespace of its own on the cluster's bridge, so a test can
/// kill one (by the pid kept in cluster.json) or cut its links like a host's.
/// Plain HTTP: the traffic never leaves these namespaces; TLS is tested by
/// FleetEtcd's own tests.
enum DevEtcd {
    static let clientPort = 2379
    static let peerPort = 2380
    static let members = 3

    /// Address of member `n` (1-based): .201… of the cluster's /24, far
    /// above the hosts' .11–.60 and the controllers' .101….
    static func address(prefix: String, member n: Int) -> String { "\(prefix).\(200 + n)" }

    /// Starts the members and waits until all follow one running leader.
    static func start(index: Int, prefix: String, state: DevClusterState) throws(FleetError) -> [DevClusterState.EtcdMember] {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/etcd") else {
            throw .unsupportedTool("/usr/bin/etcd is missing (apt-get install etcd-server; scripts/install-deps does it)")
        }
        let names = (1...members).map { "etcd\($0)" }
        let initial = names.enumerated().map { "\($0.element)=http://\(address(prefix: prefix, member: $0.offset + 1)):\(peerPort)" }
            .joined(separator: ",")
        var started: [DevClusterState.EtcdMember] = []
        for (offset, name) in names.enumerated() {
            let n = offset + 1
            let ns = "vf\(index)-\(name)"
            let addr = address(prefix: prefix, member: n)
            let dir = state.directory + "/etcd/" + name
            try DevCluster.makeDirectory(dir)
            try DevCluster.plugIn(namespace: ns, veth: "vf\(index)e\(n)", address: addr, bridge: state.bridge)
            let pidFile = dir + "/etcd.pid"
            try? FileManager.default.removeItem(atPath: pidFile)
            let argv = [
                "/usr/bin/etcd", "--name", name, "--data-dir", dir + "/data",
                "--listen-client-urls", "http://\(addr):\(clientPort)", "--advertise-client-urls", "http://\(addr):\(clientPort)",
                "--listen-peer-urls", "http://\(addr):\(peerPort)", "--initial-advertise-peer-urls", "http://\(addr):\(peerPort)",
                "--initial-cluster", initial, "--initial-cluster-state", "new",
                "--initial-cluster-token", "vfleet-dev-cluster-\(index)-\(getpid())",
            ].map { "'\($0)'" }.joined(separator: " ")
            // The shell writes its own pid, then becomes etcd (exec keeps it).
            let script = "echo $$ > '\(pidFile)' && exec \(argv) >>'\(dir)/etcd.log' 2>&1"
            try SystemCommand.run(["setsid", "-f", "nsenter", "--net=/run/netns/\(ns)", "sh", "-c", script])
            let pid = try waitForPidFile(pidFile, what: "etcd member \(name)", log: dir + "/etcd.log")
            started.append(DevClusterState.EtcdMember(name: name, namespace: ns, address: addr, clientPort: clientPort,
                                                      peerPort: peerPort, dataDirectory: dir + "/data", pid: pid))
        }
        try waitHealthy(started, timeout: 30)
        return started
    }

    /// Every member answers and names the same leader, itself a member.
    static func waitHealthy(_ members: [DevClusterState.EtcdMember], timeout: Double) throws(FleetError) {
        let endpoints = members.map { EtcdEndpoint(host: $0.address, port: $0.clientPort) }
        let deadline = Date().addingTimeInterval(timeout)
        var last = "no answer"
        while Date() < deadline {
            var leaders = Set<UInt64>(), ids = Set<UInt64>(), answered = 0
            for endpoint in endpoints {
                guard let client = try? EtcdClient(settings: EtcdSettings(endpoints: [endpoint], requestTimeout: 1, connectTimeout: 0.5)),
                      let status = try? client.status(of: endpoint) else { continue }
                answered += 1
                leaders.insert(status.leader)
                ids.insert(status.header.memberID)
            }
            if answered == endpoints.count, leaders.count == 1, let leader = leaders.first, ids.contains(leader) { return }
            last = "\(answered) of \(endpoints.count) answered, leaders \(leaders)"
            usleep(100_000)
        }
        throw .failed("the test cluster's etcd has no common leader after \(Int(timeout)) s (\(last)); logs in the etcd/ directory of the cluster")
    }

    static func waitForPidFile(_ path: String, what: String, log: String) throws(FleetError) -> Int32 {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return pid
            }
            usleep(20_000)
        }
        let tail = (try? String(contentsOfFile: log, encoding: .utf8)).map { String($0.suffix(500)) } ?? ""
        throw .failed("\(what) did not start: \(tail)")
    }

    /// Kills the member (its pid, then anything left in its namespace) and
    /// removes its namespace. Safe to run twice.
    static func stop(_ member: DevClusterState.EtcdMember) {
        if member.pid > 0 { kill(member.pid, SIGKILL) }
        DevCluster.killNamespace(member.namespace)
    }

    /// `VFLEET_ETCD_ENDPOINTS` for these members.
    static func endpointsSetting(_ members: [DevClusterState.EtcdMember]) -> String {
        members.map { "\($0.address):\($0.clientPort)" }.joined(separator: ",")
    }
}
