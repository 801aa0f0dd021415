import FleetController
import FleetProtocol
import Foundation
import Glibc
import Testing

extension ClusterTests {
    /// The connection keeper, driven through the real command line.
    @Suite struct Keeper {
        static let persist = ["VFLEET_SSH_PERSIST": "30"]

        static func status(_ cluster: TestCluster) throws -> KeeperStatus? {
            let r = try cluster.cli(["connections", "status", "--format", "json"], env: persist)
            return try? JSONDecoder().decode(KeeperStatus.self, from: Data(r.out.utf8))
        }

        /// SSH sessions a test host's sshd is serving now (its children).
        static func sessions(_ cluster: TestCluster, _ host: String) -> Int {
            let pid = cluster.state.hosts.first { $0.name == host }!.sshdPid
            let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").count
        }

        static func inventory(_ cluster: TestCluster) throws -> InventoryReport {
            let r = try cluster.cli(["inventory", "--format", "json"], env: persist)
            #expect(r.status == 0, "\(r.err)")
            return try JSONDecoder().decode(InventoryReport.self, from: Data(r.out.utf8))
        }

        @Test func laterCommandsReuseOneSessionPerHostThroughTheKeeperUntilItIsStopped() throws {
            try withCluster(hosts: 2) { cluster in
                do {
                    let c = try cluster.controller()
                    try cluster.enrolAll(c)
                    c.connections.closeAll()
                }
                var keeperPid: pid_t?
                defer {
                    _ = try? cluster.cli(["connections", "stop"], env: Self.persist)
                    if let pid = keeperPid, eventuallyGone(pid, seconds: 5) == false { kill(pid, SIGKILL) }
                }
                // The first command connects by itself and starts the keeper.
                #expect(try Self.inventory(cluster).hosts.allSatisfy(\.reachable))
                var started: KeeperStatus?
                for _ in 0..<50 {
                    started = try Self.status(cluster)
                    if started != nil { break }
                    usleep(100_000)
                }
                let first = try #require(started, "no keeper after the first command")
                keeperPid = first.pid
                #expect(first.calls == 0)

                // Later commands go through it: one session per host, kept.
                _ = try Self.inventory(cluster)
                let before = ["host1", "host2"].map { Self.sessions(cluster, $0) }
                for _ in 0..<3 {
                    let inv = try Self.inventory(cluster)
                    #expect(inv.hosts.map(\.name) == ["host1", "host2"] && inv.hosts.allSatisfy(\.reachable))
                }
                #expect(["host1", "host2"].map { Self.sessions(cluster, $0) } == before, "a command opened sessions of its own")
                let served = try #require(try Self.status(cluster))
                #expect(served.pid == first.pid)
                #expect(served.calls == 8)
                #expect(served.hosts == ["host1", "host2"])
                let socket = served.socket
                var st = stat()
                #expect(stat(socket, &st) == 0 && st.st_mode & 0o077 == 0)

                // A host enrolled again at another address is asked there, not
                // on the session the keeper kept to its old address.
                do {
                    let c = try cluster.controller()
                    var k1 = Controller.GuestRequest(spec: GuestSpec(name: "k1", template: "busybox"))
                    k1.host = "host1"
                    k1.desiredState = .stopped
                    _ = try c.addTemplate(name: "busybox", path: nil, busybox: true)
                    _ = try c.createGuest(k1)
                    c.connections.closeAll()
                }
                #expect(try cluster.cli(["host", "remove", "host2"], env: Self.persist).status == 0)
                let readd = try cluster.cli(["host", "add", "host2", "--address", cluster.state.hosts[0].address], env: Self.persist)
                #expect(readd.status == 0, "\(readd.err)")
                let moved = try Self.inventory(cluster)
                #expect(moved.hosts.first { $0.name == "host2" }?.unknownGuests == ["k1"], "\(moved.hosts)")
                #expect(try cluster.cli(["host", "remove", "host2"], env: Self.persist).status == 0)
                let back = try cluster.cli(["host", "add", "host2", "--address", cluster.state.hosts[1].address], env: Self.persist)
                #expect(back.status == 0, "\(back.err)")

                // A host gone dark (its sshd and every session of it, the
                // keeper's too): shown unreachable, the other still reported.
                let sshd = cluster.state.hosts[1].sshdPid
                let children = ((try? String(contentsOfFile: "/proc/\(sshd)/task/\(sshd)/children", encoding: .utf8)) ?? "")
                    .split(separator: " ").compactMap { pid_t($0) }
                kill(sshd, SIGKILL)
                for child in children { kill(child, SIGKILL) }
                let dark = try Self.inventory(cluster)
                #expect(dark.hosts.first { $0.name == "host1" }?.reachable == true)
                #expect(dark.hosts.first { $0.name == "host2" }?.reachable == false)

                // Stopped: it ends, its socket goes, and commands connect by themselves again.
                let stop = try cluster.cli(["connections", "stop"], env: Self.persist)
                #expect(stop.out.contains("stopping"))
                #expect(eventuallyGone(first.pid, seconds: 5))
                #expect(!FileManager.default.fileExists(atPath: socket))
                #expect(try Self.inventory(cluster).hosts.first { $0.name == "host1" }?.reachable == true)
                // ... and that command started a new keeper for the next ones.
                var again: KeeperStatus?
                for _ in 0..<50 {
                    again = try Self.status(cluster)
                    if again != nil { break }
                    usleep(100_000)
                }
                keeperPid = again?.pid
                #expect(again != nil && again?.pid != first.pid)
            }
        }

        @Test func aKeeperEndsByItselfAfterPersistWithoutACall() throws {
            try withCluster(hosts: 1) { cluster in
                do {
                    let c = try cluster.controller()
                    try cluster.enrolAll(c)
                    c.connections.closeAll()
                }
                let short = ["VFLEET_SSH_PERSIST": "3"]
                #expect(try cluster.cli(["inventory", "--format", "json"], env: short).status == 0)
                var pid: pid_t?
                for _ in 0..<50 where pid == nil {
                    let r = try cluster.cli(["connections", "status", "--format", "json"], env: short)
                    pid = (try? JSONDecoder().decode(KeeperStatus.self, from: Data(r.out.utf8)))?.pid
                    if pid == nil { usleep(50_000) }
                }
                let keeper = try #require(pid, "no keeper after the first command")
                defer { if !eventuallyGone(keeper, seconds: 0.1) { kill(keeper, SIGKILL) } }
                // Asking for its status is not a use: asked every half second,
                // it still ends about 3 s after it began.
                let deadline = Date().addingTimeInterval(12)
                while Date() < deadline && !eventuallyGone(keeper, seconds: 0.5) {
                    _ = try cluster.cli(["connections", "status"], env: short)
                }
                #expect(eventuallyGone(keeper, seconds: 0.1))
                #expect(try cluster.cli(["connections", "status"], env: short).out.contains("no connection keeper runs"))
            }
        }

        @Test func persistZeroMeansNoKeeper() throws {
            try withCluster(hosts: 1) { cluster in
                do {
                    let c = try cluster.controller()
                    try cluster.enrolAll(c)
                    c.connections.closeAll()
                }
                let r = try cluster.cli(["inventory", "--format", "json"], env: ["VFLEET_SSH_PERSIST": "0"])
                #expect(r.status == 0)
                usleep(500_000)
                let s = try cluster.cli(["connections", "status"], env: ["VFLEET_SSH_PERSIST": "0"])
                #expect(s.out.contains("no connection keeper runs"))
            }
        }
    }
}

/// Waits for a process to end; true when it did.
func eventuallyGone(_ pid: pid_t, seconds: Double) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        usleep(50_000)
    }
    return false
}
