import FleetSystem
import FleetTestSupport
import Glibc
import Testing

@Suite(.tags(.unit)) struct JoinableThreadTests {
    /// The body runs on a thread of its own, and join returns only after it ended.
    @Test func theBodyRunsOnAnotherThreadAndJoinWaitsForIt() throws {
        let starter = pthread_self()
        let seen = Locked<(ranElsewhere: Bool, finished: Bool)>((false, false))
        let thread = try JoinableThread(for: "a test") {
            usleep(50_000)
            seen.withLock { $0 = (pthread_equal(pthread_self(), starter) == 0, true) }
        }
        thread.join()
        let result = seen.withLock { $0 }
        #expect(result.finished, "join returned before the body ended")
        #expect(result.ranElsewhere)
    }

    @Test func manyThreadsAllRunTheirOwnBody() throws {
        let sum = Locked(0)
        let threads = try (1...16).map { n in try JoinableThread(for: "a test") { sum.withLock { $0 += n } } }
        for thread in threads { thread.join() }
        #expect(sum.withLock { $0 } == 136)
    }
}
