@testable import FleetController
import FleetTestSupport
import Foundation
import Synchronization
import Testing

@Suite(.tags(.unit)) struct ParallelMapTests {
    /// Bodies that block (as libssh calls do) must all run at once, nested
    /// or not. On GCD's pool, four outer bodies waiting for nested blocking
    /// work leave it without threads; it adds about one a second, so this
    /// took 2–3 s there (measured) against well under 0.1 s on threads of our
    /// own — parallel moves waited in one-second steps the same way. The
    /// 1.5 s bound is a 15-fold margin, not a benchmark.
    @Test func nestedBlockingBodiesDoNotWaitForThreads() {
        let active = Atomic<Int>(0)
        let started = Date()
        let results = parallelMap(Array(0..<4), maxParallel: 4) { i -> Bool in
            active.add(1, ordering: .relaxed)
            let deadline = Date().addingTimeInterval(1.0)
            while active.load(ordering: .relaxed) < 4 && Date() < deadline { usleep(1000) }
            let allIn = active.load(ordering: .relaxed) == 4
            let inner = parallelMap([0, 1], maxParallel: 2) { j -> Int in
                usleep(50_000)
                return j
            }
            return allIn && inner == [0, 1]
        }
        #expect(results == [true, true, true, true])
        #expect(Date().timeIntervalSince(started) < 1.5)
    }

    @Test func keepsTheInputOrderAndTheBound() {
        let active = Atomic<Int>(0)
        let peak = Atomic<Int>(0)
        let out = parallelMap(Array(0..<20), maxParallel: 3) { i -> Int in
            let now = active.add(1, ordering: .relaxed).newValue
            var p = peak.load(ordering: .relaxed)
            while now > p, !peak.compareExchange(expected: p, desired: now, ordering: .relaxed).exchanged {
                p = peak.load(ordering: .relaxed)
            }
            usleep(5_000)
            active.subtract(1, ordering: .relaxed)
            return i * 2
        }
        #expect(out == (0..<20).map { $0 * 2 })
        #expect(peak.load(ordering: .relaxed) <= 3)
    }
}
