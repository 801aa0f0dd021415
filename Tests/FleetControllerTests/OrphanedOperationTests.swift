@testable import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

/// Who may finish an operation another controller process left in flight.
@Suite(.tags(.unit)) struct OrphanedOperationTests {
    static let names: [Int32: String] = [10: "vfleet", 11: "vfleetPackageTe", 12: "bash"]

    @Test func anOwnerIsAliveOnlyAsAVfleetProcessOfThisMachine() throws {
        let look = { (pid: Int32) in Self.names[pid] }
        #expect(OperationOwner("10@ctl1")?.liveness(thisHost: "ctl1", command: look) == .alive)
        #expect(OperationOwner("11@ctl1")?.liveness(thisHost: "ctl1", command: look) == .alive)
        // Its pid reused by another program: the owner is gone.
        #expect(OperationOwner("12@ctl1")?.liveness(thisHost: "ctl1", command: look) == .dead)
        #expect(OperationOwner("13@ctl1")?.liveness(thisHost: "ctl1", command: look) == .dead)
        // Another machine's: this one cannot tell, and must not guess.
        #expect(OperationOwner("13@ctl2")?.liveness(thisHost: "ctl1", command: look) == .unknown)
        #expect(OperationOwner("x@ctl1") == nil && OperationOwner("0@ctl1") == nil && OperationOwner("ctl1") == nil)
    }

    @Test func thisProcessIsAliveAndADeadPidIsNot() throws {
        let me = try #require(OperationOwner("\(getpid())@\(ProcessInfo.processInfo.hostName)"))
        #expect(me.liveness() == .alive)
        // A child that has exited and been reaped.
        let child = try Process.run(URL(fileURLWithPath: "/bin/true"), arguments: [])
        child.waitUntilExit()
        #expect(OperationOwner("\(child.processIdentifier)@\(ProcessInfo.processInfo.hostName)")?.liveness() == .dead)
    }

    @Test func aRetryComesLaterEachTimeUpToTheMaximumAndAnEndForgetsIt() {
        var b = ResumeBackoff(initial: 5, maximum: 30)
        #expect(b.due(1, now: 0))
        b.failed(1, now: 0)
        #expect(!b.due(1, now: 4.9) && b.due(1, now: 5))
        b.failed(1, now: 5)
        #expect(!b.due(1, now: 14.9) && b.due(1, now: 15))
        b.failed(1, now: 15)
        b.failed(1, now: 35)
        #expect(!b.due(1, now: 64.9) && b.due(1, now: 65), "capped at 30 s")
        #expect(b.due(2, now: 35), "another operation is not held back")
        b.ended(1)
        #expect(b.due(1, now: 36))
        b.failed(3, now: 0)
        b.keepOnly([])
        #expect(b.due(3, now: 0))
    }

    /// Serve's own earlier attempt that left an operation in flight made it
    /// the owner: it must still try again (the backoff's promise), while
    /// another live owner's operation, or serve's own in progress elsewhere, is left.
    @Test func serveRetriesWhatItsOwnAttemptLeftInFlightAndNothingElseThatLives() {
        #expect(Controller.mayResume(.dead, ownedBySelf: false, triedBefore: false))
        #expect(!Controller.mayResume(.alive, ownedBySelf: false, triedBefore: false))
        #expect(!Controller.mayResume(.unknown, ownedBySelf: false, triedBefore: false))
        #expect(Controller.mayResume(.alive, ownedBySelf: true, triedBefore: true))
        #expect(!Controller.mayResume(.alive, ownedBySelf: true, triedBefore: false))
        var b = ResumeBackoff(initial: 5)
        #expect(!b.triedBefore(7))
        b.failed(7, now: 0)
        #expect(b.triedBefore(7))
        b.ended(7)
        #expect(!b.triedBefore(7))
    }

    /// The claim is what keeps `ops resume` and `vfleet serve` from both
    /// finishing one operation: only the first takes it.
    @Test func onlyTheFirstClaimOfADeadOwnersOperationWins() throws {
        let store = try FleetStore(inMemory: ())
        try store.write { db in
            try db.execute(sql: "INSERT INTO templates (name, digest, fileCount, totalBytes, archivePath, archiveBytes, addedAt) VALUES ('t', 'd', 0, 0, '', 0, 0)")
            try db.execute(sql: "INSERT INTO guests (name, template, spec, memoryBytes, cpuMillis, diskBytes, requires, desiredState, createdAt) VALUES ('g', 't', '{}', 0, 0, 0, '[]', 'running', 0)")
            try db.execute(sql: "INSERT INTO operations (kind, guest, host, params, state, step, owner, createdAt, updatedAt) VALUES ('move', 'g', 'h1', '{}', 'running', 'delta', '999999@gone', 1, 1)")
        }
        let op = try #require(try store.inFlight().first)
        #expect(try store.claimOperation(op.id!, from: "999999@gone"))
        #expect(try store.operation(op.id!).owner == FleetStore.owner)
        #expect(try !store.claimOperation(op.id!, from: "999999@gone"), "a second claim from the dead owner must lose")
        try store.finishOperation(op.id!, state: .done)
        #expect(try !store.claimOperation(op.id!, from: FleetStore.owner), "an ended operation is nobody's to take")
    }
}
