@testable import FleetController
import Foundation
import Synchronization
import Testing

@Suite struct ParallelMapTests {
    /// Bodies that block (as libssh calls do) must all run at once, nested
    /// or not: on GCD's pool only about one per core starts at first and one
    /// more per second after that, which made parallel moves wait in steps.
    @Test func runsMaxParallelBlockingBodiesAtOnceEvenNested() {
        let active = Atomic<Int>(0)
        let results = parallelMap(Array(0..<4), maxParallel: 4) { i -> Bool in
            active.add(1, ordering: .relaxed)
            // A barrier: wait (briefly) until all four are in.
            let deadline = Date().addingTimeInterval(0.5)
            while active.load(ordering: .relaxed) < 4 && Date() < deadline { usleep(1000) }
            let allIn = active.load(ordering: .relaxed) == 4
            // Nested blocking work on the same mechanism.
            let inner = parallelMap([0, 1], maxParallel: 2) { j -> Int in
                usleep(50_000)
                return j
            }
            return allIn && inner == [0, 1]
        }
        #expect(results == [true, true, true, true])
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
