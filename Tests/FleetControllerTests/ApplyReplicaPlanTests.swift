@testable import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

/// `apply`'s plan for the `replicate:` key, on an in-memory store (planning
/// reads the store and the scheduler only; nothing is asked of a host).
@Suite(.tags(.unit)) struct ApplyReplicaPlanTests {
    /// Three hosts with room, the busybox template, and guest g1 on host1.
    static func controller() throws -> Controller {
        let store = try FleetStore()
        for name in ["host1", "host2", "host3"] {
            try store.insertHost(StoredHost(name: name, address: "10.0.0.1", port: 22, user: "root", identityFile: "/k", labels: [:],
                                            reservedMemoryBytes: 0, facts: nil, hostKeyFingerprint: "SHA256:x", addedAt: 1, lastSeenAt: nil))
            var h = try store.host(name)
            h.facts = HostFacts(hostname: name, kernel: "6.1", cgroupMode: "v2", cpus: 4, memoryBytes: 8 << 30, freeDiskBytes: 100 << 30,
                                templates: [], guests: [])
            try store.updateHost(h)
        }
        try store.insertTemplate(StoredTemplate(name: "busybox", digest: "d-busybox", fileCount: 1, totalBytes: 1, archivePath: "/a",
                                                archiveBytes: 1, addedAt: 1))
        try store.insertGuest(StoredGuest(name: "g1", template: "busybox", spec: GuestSpec(name: "g1", template: "busybox"), memoryBytes: 1,
                                          cpuMillis: 1, diskBytes: 1, groupName: nil, requires: [:], desiredState: .running, createdAt: 1),
                              on: "host1")
        return Controller(store: store, settings: ControllerSettings(knownHostsFile: "/k", identityFile: "/i"),
                          transport: FakeAgents(guest: "g1", running: true))
    }

    static func plan(_ c: Controller, _ replicate: String?, guest: String = "g1", disk: String? = nil) throws -> [Controller.ApplyStep] {
        var text = "guests:\n  - name: \(guest)\n    template: busybox\n"
        if let disk { text += "    disk: \(disk)\n" }
        if let replicate { text += "    replicate: \(replicate)\n" }
        return try c.plan(try FleetFile.parse(text))
    }

    static func keep(_ c: Controller, on host: String, every: Double?) throws {
        var r = StoredReplica(guest: "g1", host: host, everySeconds: every, createdAt: 1)
        r.point = 1
        try c.store.saveReplica(r)
    }

    @Test func aNewReplicaIsPlannedOnAnotherHost() throws {
        let c = try Self.controller()
        let steps = try Self.plan(c, "{every: 5m}")
        #expect(steps.map(\.action) == [.replicate])
        let standby = try #require(steps[0].standby)
        #expect(standby != "host1")
        #expect(steps[0].detail.contains("replicate to \(standby)") && steps[0].detail.contains("every 300 s"), "\(steps[0].detail)")
        #expect(try Self.plan(c, "{to: host3}").first?.standby == "host3")
        // Planning changes nothing.
        #expect(try c.store.replica(of: "g1") == nil)
    }

    @Test func aReplicaAsTheFileSaysIsUnchanged() throws {
        let c = try Self.controller()
        try Self.keep(c, on: "host2", every: 300)
        #expect(try Self.plan(c, "{every: 5m}").map(\.action) == [.unchanged])
        #expect(try Self.plan(c, "{to: host2, every: 5m}").map(\.action) == [.unchanged])
        // Without the key the replica is not apply's business.
        #expect(try Self.plan(c, nil).map(\.action) == [.unchanged])
    }

    @Test func anIntervalChangeIsAReplicateStepOnTheSameStandby() throws {
        let c = try Self.controller()
        try Self.keep(c, on: "host2", every: 300)
        let steps = try Self.plan(c, "{every: 10m}")
        #expect(steps.map(\.action) == [.replicate])
        #expect(steps[0].standby == "host2")
        #expect(steps[0].detail.contains("every 300 s → every 600 s") && steps[0].detail.contains("no sync now"), "\(steps[0].detail)")
        // An absent `every` in the file means no scheduled syncs.
        #expect(try Self.plan(c, "true").first?.detail.contains("→ only by --sync-now") == true)
    }

    @Test func anotherStandbyOrAGuestOnItsStandbyGetsANewOne() throws {
        let c = try Self.controller()
        try Self.keep(c, on: "host2", every: nil)
        let moved = try Self.plan(c, "{to: host3}")
        #expect(moved.map(\.action) == [.replicate] && moved[0].standby == "host3")
        #expect(moved[0].detail.contains("standby host2 → host3"), "\(moved[0].detail)")
        // The guest runs where its replica is (moved there): a new standby.
        try Self.keep(c, on: "host1", every: nil)
        let fresh = try Self.plan(c, "true")
        #expect(fresh.map(\.action) == [.replicate])
        #expect(fresh[0].standby != nil && fresh[0].standby != "host1")
    }

    @Test func falseDropsAnExistingReplicaOnly() throws {
        let c = try Self.controller()
        #expect(try Self.plan(c, "false").map(\.action) == [.unchanged])
        try Self.keep(c, on: "host2", every: 300)
        let steps = try Self.plan(c, "false")
        #expect(steps.map(\.action) == [.unreplicate] && steps[0].standby == "host2")
    }

    @Test func aNewGuestGetsItsReplicaAfterItsCreation() throws {
        let c = try Self.controller()
        let steps = try Self.plan(c, "{to: host3}", guest: "g2")
        #expect(steps.map(\.action) == [.create, .replicate])
        #expect(steps[1].standby == "host3" && steps[0].host != "host3")
        // The guest's own host cannot be its standby.
        let own = try Self.plan(c, "{to: \(steps[0].host!)}", guest: "g2")
        #expect(own.map(\.action) == [.create, .impossible])
        #expect(own[1].error?.contains("a standby must be another host") == true, "\(own[1].error ?? "")")
    }

    /// A --disk guest's replica could never be promoted: the plan says so.
    @Test func aGuestWithADiskCannotBeReplicated() throws {
        let c = try Self.controller()
        let steps = try Self.plan(c, "true", guest: "g3", disk: "1G")
        #expect(steps.map(\.action) == [.create, .impossible])
        #expect(steps[1].error?.contains("--disk") == true, "\(steps[1].error ?? "")")
    }

    /// `guest replicate` refuses it before anything is recorded or sent.
    @Test func guestReplicateRefusesAGuestWithADisk() throws {
        let c = try Self.controller()
        var spec = GuestSpec(name: "gd", template: "busybox")
        spec.limits.diskBytes = 1 << 30
        try c.store.insertGuest(StoredGuest(name: "gd", template: "busybox", spec: spec, memoryBytes: 1, cpuMillis: 1, diskBytes: 1 << 30,
                                            groupName: nil, requires: [:], desiredState: .running, createdAt: 1), on: "host1")
        let error = #expect(throws: FleetError.self) { _ = try c.replicateGuest("gd", to: "host2", every: nil) }
        #expect(error?.message.contains("--disk 1G") == true && error?.message.contains("without --disk") == true, "\(error?.message ?? "")")
        #expect(try c.store.replica(of: "gd") == nil)
    }
}
