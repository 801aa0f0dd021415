@testable import FleetController
import FleetTestSupport
import Testing

/// Before a copy the controller may ask the source for the layer's size (a
/// walk of the whole layer there) to show progress. That must never happen
/// for a delta, which runs while the guest is down: it did, and for a guest
/// of 50,000 files it added seconds of downtime. This holds the rule
/// `MoveRun.copyLayer` follows; the figures are in BENCHMARKS.md.
@Suite(.tags(.unit)) struct MoveProgressTotalTests {
    @Test func theSizeIsAskedForAWholeCopyAndNeverForADelta() {
        #expect(MoveRun.wantsProgressTotal(.whole))
        // A move's delta after its pre-copy, on the same channels.
        #expect(!MoveRun.wantsProgressTotal(.lastExport))
        // A resumed move's delta, against the destination's manifest.
        #expect(!MoveRun.wantsProgressTotal(.manifest("[]")))
    }
}
