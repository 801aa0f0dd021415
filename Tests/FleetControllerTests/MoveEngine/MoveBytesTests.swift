@testable import FleetController
import FleetProtocol
import Foundation
import Synchronization
import Testing

/// The bytes each copy step of a move sent, and how, land in the store
/// (migration v6) for `ops show` and `vfleet_moved_bytes_total`; a direct
/// copy, whose bytes never pass the controller, reports progress by asking
/// the destination while the source sends.
@Suite(.tags(.unit)) struct MoveBytesTests {
    @Test func eachCopyStepRecordsItsBytesAndTransport() throws {
        let f = try MoveEngineTests.Fixture(running: true)
        let result = try f.engine.start(f.params) { _ in }
        let rows = try f.store.transfers(of: result.operation)
        #expect(rows.map(\.step) == ["template", "precopy", "delta"])
        #expect(rows.allSatisfy { $0.ended && $0.transport == "relay" })
        #expect(rows.map { UInt64($0.bytes) } == [result.templateBytes ?? 0, result.precopyBytes, result.deltaBytes])
        #expect(result.precopyBytes > 0)
        let sum = rows.reduce(UInt64(0)) { $0 + UInt64($1.bytes) }
        #expect(try f.store.movedBytesByTransport() == ["relay": sum])
    }

    /// A running copy's row counts for `ops show` but not for the counter,
    /// which must never go down when the final count replaces the running one.
    @Test func onlyEndedCopiesCountForTheCounter() throws {
        let f = try MoveEngineTests.Fixture(running: false)
        let op = try f.store.beginOperation(kind: "move", guest: "g1", host: "host1", params: "{}", firstStep: "precopy")
        let row = try f.store.beginTransfer(operation: op.id!, step: "precopy")
        try f.store.noteTransfer(row, bytes: 5000, totalBytes: 9000, transport: nil, ended: false)
        #expect(try f.store.movedBytesByTransport().isEmpty)
        let running = try #require(try f.store.transfers(of: op.id!).first)
        #expect(running.bytes == 5000 && running.totalBytes == 9000 && !running.ended)
        try f.store.noteTransfer(row, bytes: 8900, totalBytes: nil, transport: "direct", ended: true)
        #expect(try f.store.movedBytesByTransport() == ["direct": 8900])
        #expect(try f.store.transfers(of: op.id!).first?.totalBytes == 9000)
    }

    @Test func transportNotesAreReducedToDirectOrRelay() {
        #expect(StoredTransfer.transportKind("direct") == "direct")
        #expect(StoredTransfer.transportKind("direct from host1") == "direct")
        #expect(StoredTransfer.transportKind("relay (direct failed: no route)") == "relay")
        #expect(StoredTransfer.transportKind("relay") == "relay")
    }

    /// While the send runs, each growing count the destination gives is
    /// reported; the send's own result is what the poll returns.
    @Test func aDirectCopyReportsProgressWhileTheSendRuns() {
        let asked = Atomic<UInt64>(0)
        let sending = BackgroundResult { () throws(FleetError) -> String in
            while asked.load(ordering: .relaxed) < 4 { usleep(5000) }
            return "sent"
        }
        var seen: [UInt64] = []
        let outcome = ProgressPoll.run(until: sending, every: 0.02, report: { seen.append($0) }) { () throws(FleetError) -> UInt64 in
            // 1000, 2000, 2000 (not reported again), 3000, …
            let n = asked.add(1, ordering: .relaxed).newValue
            return n == 3 ? 2000 : n * 1000
        }
        #expect((try? outcome.get()) == "sent")
        #expect(seen.count >= 3)
        #expect(seen == seen.sorted() && Set(seen).count == seen.count, "\(seen)")
        #expect(seen.prefix(2) == [1000, 2000])
    }

    /// An agent without transfer.progress: no progress, the copy goes on.
    @Test func aDestinationThatCannotSayHowFarStopsBeingAsked() {
        let sending = BackgroundResult { () throws(FleetError) -> Int in
            usleep(100_000)
            return 7
        }
        let asked = Atomic<Int>(0)
        var seen: [UInt64] = []
        let outcome = ProgressPoll.run(until: sending, every: 0.01, report: { seen.append($0) }) { () throws(FleetError) -> UInt64 in
            asked.add(1, ordering: .relaxed)
            throw FleetError.notFound("unknown method transfer.progress")
        }
        #expect((try? outcome.get()) == 7)
        #expect(seen.isEmpty)
        #expect(asked.load(ordering: .relaxed) == 1)
    }
}
