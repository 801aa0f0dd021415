@testable import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import GRDB
import Testing

/// Fencing tokens in the journal: each begin and each takeover takes a
/// newer one, and a process whose operation another took over cannot write
/// the operation's journal or switch its guest's placement any more.
@Suite(.tags(.unit)) struct FencingTokenTests {
    static func store() throws -> FleetStore {
        let store = try FleetStore(inMemory: ())
        try store.write { db in
            try db.execute(sql: "INSERT INTO templates (name, digest, fileCount, totalBytes, archivePath, archiveBytes, addedAt) VALUES ('t', 'd', 0, 0, '', 0, 0)")
            for g in ["g1", "g2"] {
                try db.execute(sql: "INSERT INTO guests (name, template, spec, memoryBytes, cpuMillis, diskBytes, requires, desiredState, createdAt) VALUES (?, 't', '{}', 0, 0, 0, '[]', 'running', 0)", arguments: [g])
            }
        }
        return store
    }

    @Test func everyBeginAndEveryClaimTakesANewerToken() throws {
        let store = try Self.store()
        let a = try store.beginOperation(kind: "move", guest: "g1", host: "h1", params: "{}", firstStep: "begin")
        let b = try store.beginOperation(kind: "move", guest: "g2", host: "h1", params: "{}", firstStep: "begin")
        #expect(a.fence == 1 && b.fence == 2)
        try store.write { db in try db.execute(sql: "UPDATE operations SET owner = '1@gone' WHERE id = ?", arguments: [a.id!]) }
        #expect(try store.claimOperation(a.id!, from: "1@gone"))
        #expect(try store.operation(a.id!).fence == 3, "a takeover outranks every token given before")
        try store.finishOperation(b.id!, state: .done)
        let c = try store.beginOperation(kind: "move", guest: "g2", host: "h1", params: "{}", firstStep: "begin")
        #expect(c.fence == 4)
    }

    @Test func aProcessWhoseOperationWasTakenOverCannotWriteItsJournal() throws {
        let store = try Self.store()
        let op = try store.beginOperation(kind: "move", guest: "g1", host: "h1", params: "{}", firstStep: "begin")
        try store.beginStep(op.id!, "template")
        // Another controller process claims it (as its serve would).
        try store.write { db in try db.execute(sql: "UPDATE operations SET owner = '77@ctl2', fence = fence + 1 WHERE id = ?", arguments: [op.id!]) }
        let refusals: [(String, () throws -> Void)] = [
            ("beginStep", { try store.beginStep(op.id!, "precopy") }),
            ("noteStep", { try store.noteStep(op.id!, "template", state: "done", detail: nil) }),
            ("finish", { try store.finishOperation(op.id!, state: .rolledBack) }),
            ("params", { try store.updateOperationParams(op.id!, "{}") }),
            ("placement", { try store.switchPlacement(operation: op.id!, of: "g1", to: "h2", origin: nil) }),
        ]
        for (what, write) in refusals {
            do {
                try write()
                Issue.record("\(what) went through for a process that lost the operation")
            } catch let error as FleetError {
                #expect(error.code == .conflict && error.message.contains("taken over by controller process 77@ctl2"), "\(what): \(error.message)")
            }
        }
        let after = try store.operation(op.id!)
        #expect(after.state == .running && after.step == "template" && after.owner == "77@ctl2")
        #expect(try store.placement(of: "g1") == nil)
        #expect(try store.steps(of: op.id!).map(\.step) == ["begin", "template"])
    }
}
