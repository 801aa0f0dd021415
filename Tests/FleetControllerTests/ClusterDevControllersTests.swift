import FleetDevCluster
import FleetSystem
import Foundation
import Glibc
import Testing

extension ClusterTests {
    /// `dev-cluster up --controllers M`: a 3-member etcd and M controller
    /// machines, each in a network namespace on the cluster's bridge, used
    /// through the real command line as an operator or a test would.
    @Suite struct DevClusterControllers {
        struct Status: Decodable {
            struct Host: Decodable { let name: String; let sshdRunning: Bool }
            struct Member: Decodable { let name: String; let endpoint: String; let namespace: String; let pid: Int32; let running: Bool }
            struct Controller: Decodable { let name: String; let namespace: String; let address: String; let environment: [String: String] }
            let hosts: [Host]
            let etcd: [Member]
            let controllers: [Controller]
        }

        static func status(_ dir: String) throws -> Status {
            let r = try TestCluster.vfleet(["dev-cluster", "status", "--dir", dir, "--format", "json"])
            try #require(r.status == 0, "\(r.err)")
            return try JSONDecoder().decode(Status.self, from: Data(r.out.utf8))
        }

        /// etcdctl (Debian's etcd-client), run inside network namespace `ns`.
        static func etcdctl(_ ns: String, _ endpoints: String, _ args: [String]) throws -> SubprocessOutput {
            try Subprocess.run(["nsenter", "--net=/run/netns/\(ns)", "etcdctl", "--endpoints=\(endpoints)", "--dial-timeout=2s",
                                "--command-timeout=5s"] + args, environment: ["ETCDCTL_API": "3", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
        }

        static func namespaces(matching prefix: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []).filter { $0.hasPrefix(prefix) }
        }

        /// Alive and not a zombie: a detached member is reparented to the
        /// nearest subreaper, which may be this test process (the agent's
        /// code makes itself one), and it reaps when it gets to it.
        static func runs(_ pid: Int32) -> Bool {
            guard kill(pid, 0) == 0 else { return false }
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            guard let close = stat.lastIndex(of: ")") else { return false }
            return !stat[close...].dropFirst(2).hasPrefix("Z")
        }

        @Test func upWithControllersStartsAThreeMemberEtcdEveryControllerReachesAndDownRemovesIt() throws {
            let dir = "/var/tmp/vfleet-devctl-test-\(UUID().uuidString.prefix(8).lowercased())"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var pids: [Int32] = []
            defer {
                _ = try? TestCluster.vfleet(["dev-cluster", "down", "--dir", dir])
                for pid in pids { kill(pid, SIGKILL) }
                try? FileManager.default.removeItem(atPath: dir)
            }
            let up = try TestCluster.vfleet(["dev-cluster", "up", "--hosts", "1", "--controllers", "2", "--dir", dir,
                                             "--agent", TestCluster.agentBinary])
            try #require(up.status == 0, "\(up.out)\(up.err)")
            let status = try Self.status(dir)
            pids = status.etcd.map(\.pid)
            #expect(status.hosts.map(\.sshdRunning) == [true])
            #expect(status.etcd.count == 3 && status.etcd.allSatisfy(\.running), "\(status.etcd)")
            #expect(Set(status.etcd.map(\.namespace)).count == 3, "each member in its own namespace")
            try #require(status.controllers.map(\.name) == ["controller1", "controller2"])
            let (one, two) = (status.controllers[0], status.controllers[1])
            let endpoints = status.etcd.map(\.endpoint).joined(separator: ",")
            for c in status.controllers {
                #expect(c.environment["VFLEET_ETCD_ENDPOINTS"] == endpoints)
                #expect(c.environment["VFLEET_STORE"] == "replicated")
                #expect(c.environment["VFLEET_DB"]?.hasPrefix(dir) == true)
            }
            #expect(one.environment["VFLEET_DB"] != two.environment["VFLEET_DB"], "each controller has its own replica")

            // A write from one controller's namespace is read from the other's.
            let put = try Self.etcdctl(one.namespace, endpoints, ["put", "/devcluster-test", "from-controller1"])
            #expect(put.status == 0, "\(put.stdoutText)\(put.stderrText)")
            let get = try Self.etcdctl(two.namespace, endpoints, ["get", "--print-value-only", "/devcluster-test"])
            #expect(get.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "from-controller1", "\(get.stderrText)")

            // One member killed (by its pid): status says so, and writes go on.
            kill(status.etcd[0].pid, SIGKILL)
            let after = try Self.status(dir)
            #expect(after.etcd.map(\.running) == [false, true, true])
            // If it led, the two others elect a new leader first (a second
            // or more on a loaded machine): a write may time out until then.
            var again = try Self.etcdctl(two.namespace, endpoints, ["put", "/devcluster-test", "quorum-of-two"])
            let deadline = Monotonic.now + 30
            while again.status != 0 && Monotonic.now < deadline {
                usleep(500_000)
                again = try Self.etcdctl(two.namespace, endpoints, ["put", "/devcluster-test", "quorum-of-two"])
            }
            #expect(again.status == 0, "no write within 30 s of one member of three killed: \(again.stdoutText)\(again.stderrText)")

            let index = status.etcd[0].namespace.split(separator: "-")[0]
            let down = try TestCluster.vfleet(["dev-cluster", "down", "--dir", dir])
            #expect(down.status == 0, "\(down.err)")
            #expect(Self.namespaces(matching: "\(index)-").isEmpty, "namespaces left: \(Self.namespaces(matching: "\(index)-"))")
            for pid in pids { #expect(!Self.runs(pid), "etcd member \(pid) still runs after down") }
            #expect(!FileManager.default.fileExists(atPath: dir + "/etcd"))
        }
    }
}
