@testable import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

/// What `vfleet serve`'s replica metrics read: how far a replica is behind
/// the log before anything catches it up, and that a read ends the lag.
@Suite(.tags(.root), .serialized) struct ReplicaLagTests {
    @Test func aReplicaBehindTheLogSaysByHowMuchUntilItReads() throws {
        try withReplicaFleet(snapshotEvery: 1000) { fleet in
            try fleet.loadSeed()
            let a = try fleet.replica("a")
            let b = try fleet.replica("b")
            let start = try #require(b.replicaLag())
            #expect(start.entries == 0)
            for n in 0..<3 { try a.insertGuest(ReplicaFixture.guest("lag\(n)"), on: "h1") }
            let behind = try #require(b.replicaLag())
            #expect(behind.applied == start.applied && behind.head == start.applied + 3 && behind.entries == 3)
            _ = try b.guests()
            #expect(b.replicaLag()?.entries == 0)
            #expect(try FleetStore(inMemory: ()).replicaLag() == nil, "a standalone store lags behind nothing")
        }
    }
}
