@testable import FleetController
import Testing

/// When auto-failover runs `host fail`: AutoFailoverClock.
@Suite(.tags(.unit)) struct AutoFailoverClockTests {
    @Test func aHostIsDueOnceUnreachableForTheSetTime() {
        var c = AutoFailoverClock()
        c.observe(reachable: ["h2", "h3"], unreachable: ["h1"], now: 100)
        #expect(c.due(after: 30, now: 100).isEmpty)
        c.observe(reachable: ["h2", "h3"], unreachable: ["h1"], now: 129)
        #expect(c.due(after: 30, now: 129).isEmpty, "counted from the first look it failed, not the last")
        c.observe(reachable: ["h2", "h3"], unreachable: ["h1"], now: 130)
        #expect(c.due(after: 30, now: 130) == ["h1"])
    }

    @Test func answeringOnceStartsTheCountAgain() {
        var c = AutoFailoverClock()
        c.observe(reachable: ["h2", "h3"], unreachable: ["h1"], now: 0)
        c.observe(reachable: ["h1", "h2", "h3"], unreachable: [], now: 20)
        c.observe(reachable: ["h2", "h3"], unreachable: ["h1"], now: 25)
        #expect(c.due(after: 30, now: 40).isEmpty)
        #expect(c.due(after: 30, now: 55) == ["h1"])
    }

    /// A controller cut off from the fleet sees every host down: it fails none.
    @Test func withoutAMajorityOfHostsAnsweringNothingIsDue() {
        var c = AutoFailoverClock()
        c.observe(reachable: [], unreachable: ["h1", "h2", "h3"], now: 0)
        #expect(c.due(after: 10, now: 100).isEmpty)
        c.observe(reachable: ["h3"], unreachable: ["h1", "h2"], now: 100)
        #expect(!c.hasMajority && c.due(after: 10, now: 100).isEmpty)
        c.observe(reachable: ["h2", "h3"], unreachable: ["h1"], now: 101)
        #expect(c.hasMajority && c.due(after: 10, now: 101) == ["h1"])
        // Two hosts, one down: half is no majority.
        var two = AutoFailoverClock()
        two.observe(reachable: ["h2"], unreachable: ["h1"], now: 0)
        #expect(two.due(after: 10, now: 100).isEmpty)
    }

    @Test func aForgottenOrNoLongerAskedHostIsNotDue() {
        var c = AutoFailoverClock()
        c.observe(reachable: ["h2", "h3"], unreachable: ["h1"], now: 0)
        c.forget("h1")
        c.observe(reachable: ["h2", "h3"], unreachable: ["h1"], now: 50)
        #expect(c.due(after: 30, now: 60).isEmpty)
        c.observe(reachable: ["h2", "h3"], unreachable: [], now: 70)
        #expect(c.unreachableSince.isEmpty)
    }
}
