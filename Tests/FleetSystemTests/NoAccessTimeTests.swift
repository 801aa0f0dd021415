import FleetSystem
import FleetTestSupport
import Glibc
import Testing

/// O_NOATIME is refused (EPERM) to a caller that neither owns the file nor
/// has CAP_FOWNER; the read must still happen, without the flag.
@Suite(.tags(.unit)) struct NoAccessTimeTests {
    @Test func theFlagIsAskedForFirst() {
        var asked: [Int32] = []
        let fd = NoAccessTime.open({ flags in asked.append(flags); return 42 }, flags: O_RDONLY)
        #expect(fd == 42)
        #expect(asked == [O_RDONLY | NoAccessTime.flag])
        #expect(NoAccessTime.flag != 0)
    }

    @Test func aRefusedFlagIsDroppedAndTheOpenTriedAgain() {
        var asked: [Int32] = []
        let fd = NoAccessTime.open({ flags in
            asked.append(flags)
            if flags & NoAccessTime.flag != 0 { errno = EPERM; return -1 }
            return 7
        }, flags: O_RDONLY | O_CLOEXEC)
        #expect(fd == 7)
        #expect(asked == [O_RDONLY | O_CLOEXEC | NoAccessTime.flag, O_RDONLY | O_CLOEXEC])
    }

    @Test func anotherFailureIsNotRetried() {
        var asked = 0
        let fd = NoAccessTime.open({ _ in asked += 1; errno = ENOENT; return -1 }, flags: O_RDONLY)
        #expect(fd == -1)
        #expect(errno == ENOENT)
        #expect(asked == 1)
    }
}
