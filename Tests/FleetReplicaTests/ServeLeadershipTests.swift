@testable import FleetController
import FleetSystem
import FleetTestSupport
import Foundation
import Testing

/// Two `vfleet serve` processes on one replicated fleet: one leads (the
/// leader key in etcd holds its lease), the other stands by; killed with
/// SIGKILL, the leader's lease runs out and the other leads.
@Suite(.tags(.root), .serialized) struct ServeLeadershipTests {
    static func log(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    @Test func oneServeLeadsAndTheOtherLeadsOnceTheLeadersLeaseRanOut() throws {
        try withReplicaFleet { fleet in
            let env = fleet.environment(extra: ["VFLEET_LEASE_TTL": "2", "VFLEET_METRICS_ADDRESS": "127.0.0.1:0"])
            let migrate = try Subprocess.run([ControllerProcessTests.vfleet, "db", "migrate", "--to", "replicated", "--db", fleet.replicaPath("a")], environment: env)
            try #require(migrate.status == 0, "\(migrate.stderrText)")
            let settings = env.filter { $0.key.hasPrefix("VFLEET_") }.map { "\($0.key)=\($0.value)" }
            var serves: [(name: String, process: ChildProcess, log: String)] = []
            defer { for s in serves { s.process.terminate() } }
            for name in ["a", "b"] {
                let log = fleet.directory.file("serve-\(name).log")
                let p = try ChildProcess("/usr/bin/env", settings + [ControllerProcessTests.vfleet, "serve", "--db", fleet.replicaPath(name),
                                                                     "--interval", "1h", "--resume-interval", "1s"], stdout: log, stderr: log)
                serves.append((name, p, log))
            }
            var deadline = Monotonic.now + 30
            while serves.contains(where: { !Self.log($0.log).contains(" leads") }) && Monotonic.now < deadline { usleep(100_000) }
            let leaders = serves.filter { Self.log($0.log).contains("this controller leads") }
            try #require(leaders.count == 1, "\(serves.map { Self.log($0.log) })")
            let leader = leaders[0], follower = serves.first { $0.name != leader.name }!
            #expect(Self.log(follower.log).contains("controller \(leader.process.pid)@"), "\(Self.log(follower.log))")

            let killedAt = Monotonic.now
            leader.process.killNow()
            deadline = Monotonic.now + 30
            while !Self.log(follower.log).contains("this controller leads") && Monotonic.now < deadline { usleep(50_000) }
            let took = Monotonic.now - killedAt
            #expect(Self.log(follower.log).contains("this controller leads"), "\(Self.log(follower.log))")
            // The lease (2 s) and a look each second, with room for a loaded machine.
            #expect(took < 10, "the other serve led only \(took) s after the leader was killed")
            print("serve leadership: the other serve led \(String(format: "%.1f", took)) s after the leader was killed (lease 2 s)")
        }
    }
}
