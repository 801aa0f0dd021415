@testable import FleetController
import FleetProtocol
import Foundation
import Glibc
import Testing

/// Issue 17 on real hosts: the controller killed at a step of a move
/// (VFLEET_TEST_CRASH_AT_STEP), the hosts changed from outside, then `ops
/// resume`: stale or corrupted data never goes live, the source survives,
/// and the operation says why it was rolled back.
extension ClusterTests.Migration {
    /// Rewrites one byte in place and puts the file's mtime back.
    static func flipByte(_ path: String, at offset: off_t) throws {
        var before = stat()
        try #require(stat(path, &before) == 0, "\(path)")
        let fd = open(path, O_RDWR)
        try #require(fd >= 0)
        defer { close(fd) }
        var byte: UInt8 = 0
        try #require(pread(fd, &byte, 1, offset) == 1)
        byte ^= 0x01
        try #require(pwrite(fd, &byte, 1, offset) == 1)
        var times = [before.st_atim, before.st_mtim]
        try #require(futimens(fd, &times) == 0)
    }

    static func makeRunningGuest(_ c: Controller, _ name: String) throws {
        var r = Controller.GuestRequest(spec: GuestSpec(name: name, template: "busybox", userNamespace: false))
        r.host = "host1"
        _ = try c.createGuest(r)
        let w = try c.execGuest(name, argv: ["/bin/sh", "-c", "mkdir -p /data && head -c 65536 /dev/urandom > /data/blob && echo kept > /data/note"])
        #expect(w.exitCode == 0, "\(w.stderr)")
    }

    /// `vfleet ops list --format json`: the operation of `id`.
    static func listed(_ cluster: TestCluster, _ id: Int64) throws -> [String: Any] {
        let list = try cluster.cli(["ops", "list", "--format", "json"])
        let ops = try #require(try JSONSerialization.jsonObject(with: Data(list.out.utf8)) as? [[String: Any]], "\(list.out)")
        return try #require(ops.first { ($0["id"] as? Int).map(Int64.init) == id }, "\(list.out)")
    }

    @Test func aStagedFileCorruptedAfterVerifyIsNotAdoptedOnResume() throws {
        try withCluster(hosts: 2) { cluster in
            let c = try cluster.busyboxController()
            try Self.makeRunningGuest(c, "rot")
            _ = try c.stopGuest("rot", timeout: 5)
            let original = try Self.layerDigest(cluster.upper("host1", "rot"))
            _ = try c.startGuest("rot")
            let killed = try cluster.cli(["guest", "move", "rot", "--to", "host2"], env: ["VFLEET_TEST_CRASH_AT_STEP": "adopt"])
            #expect(killed.status == 99, "\(killed.err)")
            let id = try #require(try c.store.inFlight().first?.id)
            // Verified, then one byte flipped with size and mtime kept.
            let staged = (cluster.upper("host2", "rot") as NSString).deletingLastPathComponent
                .replacingOccurrences(of: "/guests/rot", with: "/guests/.incoming-rot") + "/upper/data/blob"
            try Self.flipByte(staged, at: 4096)
            let resumed = try cluster.cli(["ops", "resume"])
            #expect(resumed.status == 0, "\(resumed.out) \(resumed.err)")
            #expect(resumed.out.contains("rolled_back") && resumed.out.contains("staged layer has digest"), "\(resumed.out)")
            let fresh = try cluster.controller()
            #expect(try cluster.runningOn(fresh, "rot") == ["host1"])
            #expect(try fresh.store.placement(of: "rot")?.host == "host1")
            #expect(try cluster.agentGuests(fresh, "host2").isEmpty)
            #expect(!cluster.stagingExists("host2", "rot"))
            #expect(try Self.layerDigest(cluster.upper("host1", "rot")) == original)
            let op = try Self.listed(cluster, id)
            #expect(op["state"] as? String == "rolled_back")
            let reason = op["reason"] as? String ?? ""
            #expect(reason.hasPrefix("failed at adopt: host host2: cannot adopt guest rot: its staged layer has digest"), "\(reason)")
            let shown = try cluster.cli(["ops", "show", String(id)])
            #expect(shown.out.contains("reason failed at adopt"), "\(shown.out)")
            let table = try cluster.cli(["ops", "list"])
            #expect(table.out.contains("REASON") && table.out.contains("failed at adopt"), "\(table.out)")
        }
    }

    @Test func aSourceThatRanAgainIsNotOverwrittenAndIsRefusedMeanwhile() throws {
        try withCluster(hosts: 2) { cluster in
            let c = try cluster.busyboxController()
            try Self.makeRunningGuest(c, "again")
            let killed = try cluster.cli(["guest", "move", "again", "--to", "host2"], env: ["VFLEET_TEST_CRASH_AT_STEP": "start-destination"])
            #expect(killed.status == 99, "\(killed.err)")
            let id = try #require(try c.store.inFlight().first?.id)
            // Adopted at host2, stopped at host1: nothing may start or write to it.
            #expect(try cluster.agentGuests(c, "host2").contains { $0.name == "again" })
            let refused = try cluster.cli(["guest", "start", "again"])
            #expect(refused.status != 0 && refused.err.contains("operation \(id) (move") && refused.err.contains("vfleet ops resume \(id)"),
                    "\(refused.out) \(refused.err)")
            do throws(FleetError) {
                _ = try c.execGuest("again", argv: ["/bin/true"])
                Issue.record("guest exec during a move was not refused")
            } catch {
                #expect(error.message.contains("operation \(id) (move") && error.message.contains("vfleet ops resume \(id)"), "\(error.message)")
            }
            let reconcile = try cluster.cli(["reconcile"])
            #expect(reconcile.out.contains("refused") && reconcile.out.contains("vfleet ops resume \(id)"), "\(reconcile.out) \(reconcile.err)")
            #expect(try cluster.runningOn(c, "again").isEmpty)
            // Someone starts it at the agent anyway, writes, stops it.
            let host1 = try c.store.host("host1")
            _ = try c.connections.call(RPC.GuestStart(name: "again"), on: host1)
            let w = try c.connections.call(RPC.GuestExec(GuestExecParams(name: "again", argv: ["/bin/sh", "-c", "echo newer > /data/newer"],
                                                                         stdin: nil, timeoutSeconds: 30)), on: host1)
            #expect(w.exitCode == 0)
            _ = try c.connections.call(RPC.GuestStop(name: "again", timeoutSeconds: 5), on: host1, timeout: 30)
            let resumed = try cluster.cli(["ops", "resume"])
            #expect(resumed.out.contains("rolled_back") && resumed.out.contains("was started at host1 since the move stopped it"),
                    "\(resumed.out) \(resumed.err)")
            let fresh = try cluster.controller()
            #expect(try cluster.runningOn(fresh, "again") == ["host1"])
            #expect(try fresh.store.placement(of: "again")?.host == "host1")
            #expect(try cluster.agentGuests(fresh, "host2").isEmpty, "the older copy stayed")
            #expect(try String(contentsOfFile: cluster.upper("host1", "again") + "/data/newer", encoding: .utf8) == "newer\n")
            let reason = try Self.listed(cluster, id)["reason"] as? String ?? ""
            #expect(reason.hasPrefix("failed at start-destination: source changed"), "\(reason)")
        }
    }

    @Test func preferDestinationFinishesTheMoveAndSaysWhatItThrewAway() throws {
        try withCluster(hosts: 2) { cluster in
            let c = try cluster.busyboxController()
            try Self.makeRunningGuest(c, "pref")
            let killed = try cluster.cli(["guest", "move", "pref", "--to", "host2"], env: ["VFLEET_TEST_CRASH_AT_STEP": "adopt"])
            #expect(killed.status == 99, "\(killed.err)")
            let host1 = try c.store.host("host1")
            _ = try c.connections.call(RPC.GuestStart(name: "pref"), on: host1)
            let w = try c.connections.call(RPC.GuestExec(GuestExecParams(name: "pref", argv: ["/bin/sh", "-c", "echo newer > /data/newer"],
                                                                         stdin: nil, timeoutSeconds: 30)), on: host1)
            #expect(w.exitCode == 0)
            // Still running at the source: --prefer destination stops it.
            let resumed = try cluster.cli(["ops", "resume", "--prefer", "destination"])
            #expect(resumed.status == 0, "\(resumed.out) \(resumed.err)")
            #expect(resumed.out.contains("done") && resumed.out.contains("threw away guest pref's changes at host1"), "\(resumed.out)")
            let fresh = try cluster.controller()
            #expect(try cluster.runningOn(fresh, "pref") == ["host2"])
            #expect(try fresh.store.placement(of: "pref")?.host == "host2")
            #expect(try cluster.agentGuests(fresh, "host1").isEmpty)
            #expect(!FileManager.default.fileExists(atPath: cluster.upper("host2", "pref") + "/data/newer"))
            #expect(FileManager.default.fileExists(atPath: cluster.upper("host2", "pref") + "/data/note"))
        }
    }

    @Test func aRollbackThatCannotReachTheDestinationIsPendingUntilResumed() throws {
        try withCluster(hosts: 2) { cluster in
            let c = try cluster.busyboxController()
            try Self.makeRunningGuest(c, "pend")
            let killed = try cluster.cli(["guest", "move", "pend", "--to", "host2"], env: ["VFLEET_TEST_CRASH_AT_STEP": "start-destination"])
            #expect(killed.status == 99, "\(killed.err)")
            let id = try #require(try c.store.inFlight().first?.id)
            // The source ran again (the rollback must happen) and host2 stops answering.
            let host1 = try c.store.host("host1")
            _ = try c.connections.call(RPC.GuestStart(name: "pend"), on: host1)
            _ = try c.connections.call(RPC.GuestStop(name: "pend", timeoutSeconds: 5), on: host1, timeout: 30)
            let good = try c.store.host("host2")
            var bad = good
            bad.port = 1
            try c.store.updateHost(bad)
            let pending = try cluster.cli(["ops", "resume"])
            #expect(pending.status != 0, "\(pending.out)")
            #expect(pending.out.contains("rollback_pending") && pending.out.contains("vfleet ops resume \(id)"), "\(pending.out) \(pending.err)")
            let op = try Self.listed(cluster, id)
            #expect(op["state"] as? String == "rollback_pending")
            #expect((op["reason"] as? String ?? "").hasPrefix("failed at start-destination: source changed"), "\(op)")
            #expect((op["error"] as? String ?? "").hasPrefix("rollback not finished"), "\(op)")
            let refused = try cluster.cli(["guest", "start", "pend"])
            #expect(refused.status != 0 && refused.err.contains("rollback") && refused.err.contains("vfleet ops resume \(id)"), "\(refused.err)")
            try c.store.updateHost(good)
            let finished = try cluster.cli(["ops", "resume", String(id)])
            #expect(finished.status == 0 && finished.out.contains("rolled_back"), "\(finished.out) \(finished.err)")
            let fresh = try cluster.controller()
            #expect(try cluster.runningOn(fresh, "pend") == ["host1"])
            #expect(try cluster.agentGuests(fresh, "host2").isEmpty)
            #expect(!cluster.stagingExists("host2", "pend"))
            #expect(try fresh.store.inFlight().isEmpty)
        }
    }
}
