@testable import FleetController
import FleetProtocol
import FleetSystem
import Foundation
import Testing

extension ClusterTests.DirectTransferCluster {
    /// A direct copy, whose bytes never pass the controller, still reports
    /// progress while it runs (the controller asks the destination), the
    /// running move's row in the store shows its bytes so far, and once it
    /// ends each copy step's bytes and transport are in the store and in
    /// `ops show`.
    @Test func aDirectMoveReportsProgressWhileItCopiesAndRecordsItsBytes() throws {
        try withCluster(hosts: 2) { cluster in
            let c = try cluster.busyboxController()
            c.moveTransport.mode = .direct
            var r = Controller.GuestRequest(spec: GuestSpec(name: "pg", template: "busybox"))
            r.host = "host1"
            _ = try c.createGuest(r)
            // Big enough that the copy outlasts a few of the controller's 1 s questions.
            _ = try c.execGuest("pg", argv: ["/bin/sh", "-c", "for i in $(seq 1 40); do head -c 4000000 /dev/urandom > /f$i; done"], timeout: 120)
            // A link of 300 Mbit/s from the source: the 160 MB copy takes
            // about 4 s, so the controller's questions (one a second) come
            // while it runs also on a fast machine.
            let namespace = cluster.state.hosts[0].namespace
            #expect(Self.tc(["-n", namespace, "qdisc", "add", "dev", "eth0", "root", "tbf", "rate", "300mbit", "burst", "256kb", "latency", "100ms"]) == 0)
            defer { _ = Self.tc(["-n", namespace, "qdisc", "del", "dev", "eth0", "root"]) }
            let seen = Locked<[UInt64]>([])
            let running = Locked<[StoredTransfer]>([])
            let store = c.store
            let result = try c.moveGuest("pg", to: "host2") { p in
                guard p.step == "precopy", p.bytes > 0 else { return }
                seen.withLock { $0.append(p.bytes) }
                if let op = try? store.inFlight().first?.id, let rows = try? store.transfers(of: op) {
                    running.withLock { $0 += rows.filter { !$0.ended && $0.bytes > 0 } }
                }
            }
            let counts = seen.withLock { $0 }
            print("direct precopy progress: \(counts.map { ByteSize.format($0) }.joined(separator: ", ")) of \(ByteSize.format(result.precopyBytes))")
            #expect(result.transports?.contains("precopy: direct") == true)
            // Reports before the end: counts well short of the whole layer.
            #expect(counts.filter { $0 < result.precopyBytes * 9 / 10 }.count >= 1, "\(counts)")
            #expect(counts == counts.sorted())
            #expect(!running.withLock { $0 }.isEmpty, "no row of the running copy showed its bytes so far")
            let rows = try c.store.transfers(of: result.operation)
            #expect(rows.map(\.step) == ["template", "precopy", "delta"])
            #expect(rows.allSatisfy { $0.ended && $0.transport == "direct" })
            #expect(rows.first { $0.step == "precopy" }?.bytes == Int64(result.precopyBytes))
            let shown = try cluster.cli(["ops", "show", "\(result.operation)"])
            #expect(shown.out.contains("sent"), "\(shown.out)")
            let precopy = "precopy".padding(toLength: 10, withPad: " ", startingAt: 0) + ByteSize.format(result.precopyBytes)
            #expect(shown.out.components(separatedBy: "\n").contains { $0.contains(precopy) && $0.contains("direct") }, "\(shown.out)")
        }
    }

    static func tc(_ arguments: [String]) -> Int32 {
        guard let p = try? Process.run(URL(fileURLWithPath: "/usr/sbin/tc"), arguments: arguments) else { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }
}
